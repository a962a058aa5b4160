//! Handovers of dormant credits (`docs/credits.md`): offered, then accepted,
//! declined or withdrawn, each once.

use balans_core::{Both, Handover, HandoverState, Moment, PartyId};

use super::error::StoreResult;

/// A handover as it is offered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewHandover {
    pub left: PartyId,
    pub left_unit: PartyId,
    pub other: PartyId,
    pub other_unit: PartyId,
    pub successor: PartyId,
    pub share: u8,
    pub offered_at: Moment,
}

/// Handovers, as a backend stores them.
pub trait CreditStore {
    /// Stores an offered handover; its id.
    fn insert_handover(&mut self, handover: &NewHandover) -> StoreResult<i64>;
    fn handover(&mut self, id: i64) -> StoreResult<Option<Handover>>;
    /// Every handover, by id.
    fn handovers(&mut self) -> StoreResult<Vec<Handover>>;
    /// Ends an offered handover: accepted (with what it moved), declined or
    /// withdrawn, at `at`, with a note. Changes nothing and answers false when
    /// it was not offered any more.
    fn decide_handover(
        &mut self,
        id: i64,
        state: HandoverState,
        at: Moment,
        note: Option<&str>,
        moved: &Both,
    ) -> StoreResult<bool>;
}
