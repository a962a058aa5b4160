//! Handovers of dormant credits (`docs/credits.md`): offered, then accepted,
//! declined or withdrawn, each once; and the users linked to the person party
//! they are, whose handovers are theirs to accept.

use balans_core::{Both, DormantAlert, Handover, HandoverState, Moment, PartyId, UserId};

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

    /// Links a user to the person party they are, or unlinks them (`None`).
    /// A party is linked to one user at most; the caller checks.
    fn link_user(&mut self, user: UserId, party: Option<PartyId>) -> StoreResult<()>;
    /// The user linked to a party.
    fn linked_user(&mut self, party: PartyId) -> StoreResult<Option<UserId>>;
    /// The party a user is linked to.
    fn linked_party(&mut self, user: UserId) -> StoreResult<Option<PartyId>>;
    /// Every user's link, by user.
    fn user_links(&mut self) -> StoreResult<Vec<(UserId, PartyId)>>;

    /// Stores an alert of credits gone dormant (its `id` and `dismissed_at`
    /// unused); false, storing nothing, when one for the same departure and
    /// counterpart is stored already.
    fn insert_alert(&mut self, alert: &DormantAlert) -> StoreResult<bool>;
    /// Every alert, dismissed or not, by id.
    fn alerts(&mut self) -> StoreResult<Vec<DormantAlert>>;
    /// Dismisses an alert not dismissed yet; false when there was none.
    fn dismiss_alert(&mut self, id: i64, at: Moment) -> StoreResult<bool>;
}
