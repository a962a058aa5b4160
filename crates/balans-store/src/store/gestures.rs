//! Gestures: stored once, never changed, read in the order they were stored.

use balans_core::{Amount, Gesture, GestureId, KindId, Moment, PartyId, StoredGesture};

use super::error::StoreResult;

/// A gesture as a report's window counts it: who gave what to whom, for which
/// organizations, and when it counts (a reversal at its original's time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow {
    pub giver: PartyId,
    pub receiver: PartyId,
    pub giver_org: Option<PartyId>,
    pub receiver_org: Option<PartyId>,
    pub kind: KindId,
    pub amount: Amount,
    pub at: Moment,
    pub attributed_at: Moment,
}

/// A gesture resolved against the store's parties, kinds and memberships (see
/// `snapshot`), before it meets the store.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub gesture: Gesture,
    /// Whether the amount was written, rather than taken from the kind's default.
    pub amount_given: bool,
    /// The parties giver and receiver count for at organization level; `None` for a
    /// reversal, which takes the attribution of the gesture it reverses.
    pub units: Option<(PartyId, PartyId)>,
}

/// Which gestures a listing wants; every field narrows it.
#[derive(Clone, Debug, Default)]
pub struct GestureFilter {
    /// Gestures this party gave or received.
    pub party: Option<PartyId>,
    /// Gestures any of these parties gave or received.
    pub any_of: Option<Vec<PartyId>>,
    /// ...with this party on the other side.
    pub counterpart: Option<PartyId>,
    pub kind: Option<KindId>,
    pub item: Option<String>,
    /// Gestures whose note or item holds this text, ignoring the case of ASCII
    /// letters. Read by a scan: a search, not a lookup.
    pub text: Option<String>,
    /// From this moment on, inclusive.
    pub from: Option<Moment>,
    /// Before this moment.
    pub until: Option<Moment>,
    /// Only gestures beyond the gesture with this sequence number in the
    /// listing's order (the cursor, the last of the page before): stored after
    /// it, or, when `newest_first`, earlier in time (or stored earlier at the
    /// same moment).
    pub after_seq: Option<i64>,
    /// Latest in time first (at the same moment, latest stored first), instead
    /// of in the order they were stored.
    pub newest_first: bool,
    pub limit: usize,
}

/// Gestures, as a backend stores them.
pub trait GestureStore {
    /// Inserts the gestures in order, each unless one with the same id is stored
    /// (earlier in the same batch included); for those, returns the stored one and
    /// changes nothing. `gesture.reverses`, when set, names a stored gesture.
    /// (Boxed: a batch's answer is mostly `None`, a word each.)
    fn insert_gestures(
        &mut self,
        gestures: &[&Gesture],
    ) -> StoreResult<Vec<Option<Box<StoredGesture>>>>;
    fn gesture(&mut self, id: &GestureId) -> StoreResult<Option<StoredGesture>>;
    /// The stored gestures with any of these ids, in no order (an id stored
    /// nowhere is left out): what a check of many promises reads at once.
    fn gestures_by_ids(&mut self, ids: &[&str]) -> StoreResult<Vec<StoredGesture>>;
    /// The id of the gesture that reverses `id`, if one does.
    fn reversal_of(&mut self, id: &GestureId) -> StoreResult<Option<GestureId>>;
    /// Each of `ids` that a gesture reverses, with the id of that reversal, in
    /// no order: what a batch of reversals asks at once. One question each,
    /// unless a backend asks them together.
    fn reversals_of(&mut self, ids: &[&GestureId]) -> StoreResult<Vec<(GestureId, GestureId)>> {
        let mut found = Vec::new();
        for id in ids {
            if let Some(reversal) = self.reversal_of(id)? {
                found.push(((*id).clone(), reversal));
            }
        }
        Ok(found)
    }
    /// Every gesture in the order it was stored.
    fn for_each_gesture(
        &mut self,
        visit: &mut dyn FnMut(StoredGesture) -> StoreResult<()>,
    ) -> StoreResult<()>;
    /// How many gestures are stored: a pass over all of them, so a large
    /// store takes a while (ten million in PostgreSQL: 0.4 s).
    fn gesture_count(&mut self) -> StoreResult<u64>;
    /// Whether any gesture is stored, found at once whatever the store's size:
    /// for the many callers that need no more than that.
    fn has_gestures(&mut self) -> StoreResult<bool>;
    /// What a report's window needs of every gesture with `from <= at < until`,
    /// in no particular order, in one pass; read without the gestures' texts, so
    /// that a store may answer from an index of times that holds the rest.
    fn for_each_flow_between(
        &mut self,
        from: Moment,
        until: Moment,
        visit: &mut dyn FnMut(Flow) -> StoreResult<()>,
    ) -> StoreResult<()>;
    /// Gestures matching the filter, in the order they were stored.
    fn find_gestures(&mut self, filter: &GestureFilter) -> StoreResult<Vec<StoredGesture>>;
    /// How many gestures of each kind `[from, until)` holds, and their sum.
    fn kind_totals(&mut self, from: Moment, until: Moment) -> StoreResult<Vec<(KindId, u64, i64)>>;
    /// Credit a party gave and received directly (person level), summed per hour
    /// (`at_ms / 3600000`): `(hour, given, received)`, in order.
    fn credit_hours(
        &mut self,
        party: PartyId,
        credit_kinds: &[KindId],
    ) -> StoreResult<Vec<(i64, i64, i64)>>;
}
