//! Promises (`docs/promises.md`), as a backend stores them: the promise, its
//! due moments, and its one change from pending to resolved.

use balans_core::{
    Amount, Due, GestureId, KindId, Moment, PartyId, Promise, PromiseId, PromiseState,
};

use super::error::StoreResult;

/// A promise as it is made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPromise {
    pub id: PromiseId,
    pub promiser: PartyId,
    pub promisee: PartyId,
    pub promiser_org: Option<PartyId>,
    pub promisee_org: Option<PartyId>,
    pub kind: KindId,
    pub amount: Amount,
    pub made: Moment,
    pub due: Moment,
    pub note: Option<String>,
}

/// Which promises to list.
#[derive(Clone, Debug, Default)]
pub struct PromiseFilter {
    /// Made by or to this party.
    pub party: Option<PartyId>,
    /// Only open or renegotiated ones.
    pub pending: bool,
    /// Only those due before this moment (not at it).
    pub due_before: Option<Moment>,
    /// Only those broken at or after this moment.
    pub broken_since: Option<Moment>,
    /// Only those after this one in the listing's order: due later, or due at
    /// the same moment with a greater id (a page's last promise, so that the
    /// next page starts where it ended).
    pub after: Option<(Moment, PromiseId)>,
    /// At most this many; all when 0.
    pub limit: usize,
}

/// Kept or broken promises alike in what a kept rate needs of them: their
/// parties and organizations, state, promised and kept amount; how many, and
/// the first and last moment they were resolved at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromiseTally {
    pub promiser: PartyId,
    pub promisee: PartyId,
    pub promiser_org: Option<PartyId>,
    pub promisee_org: Option<PartyId>,
    pub state: PromiseState,
    pub amount: Amount,
    pub kept: Option<Amount>,
    pub count: u64,
    pub first: Moment,
    pub last: Moment,
}

/// The promises resolved in a period: at or after `since`, before `until`;
/// either end open when absent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResolvedIn {
    pub since: Option<Moment>,
    pub until: Option<Moment>,
}

impl ResolvedIn {
    /// The period's ends in milliseconds, open ends as far as they go: at or
    /// after the first, before the second.
    pub fn bounds(&self) -> (i64, i64) {
        (
            self.since.map_or(i64::MIN, Moment::millis),
            self.until.map_or(i64::MAX, Moment::millis),
        )
    }
}

/// Which promises [`PromiseStore::promises_of`] reads, in which order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromiseOrder {
    /// Pending ones, the soonest due first, then by id.
    Pending,
    /// Resolved ones (kept, broken or released), the latest resolved first,
    /// then by id.
    LatestResolved,
}

/// How a pending promise is resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution<'a> {
    pub state: PromiseState,
    pub at: Moment,
    /// The gesture that kept or broke it.
    pub gesture: Option<&'a GestureId>,
    /// What keeping it gave.
    pub kept: Option<Amount>,
    /// Why it was released, or the note of a break by hand.
    pub reason: Option<&'a str>,
}

/// Promises, as a backend stores them.
pub trait PromiseStore {
    /// Stores a new promise, open, with its first due moment agreed when it was
    /// made; its row number. The caller checks that its id is new.
    fn insert_promise(&mut self, promise: &NewPromise) -> StoreResult<i64>;
    /// The promise with this id.
    fn promise(&mut self, id: &PromiseId) -> StoreResult<Option<Promise>>;
    /// The promises the filter asks for, the soonest due first (then by id).
    fn promises(&mut self, filter: &PromiseFilter) -> StoreResult<Vec<Promise>>;
    /// Pending promises due at or before `at`, the soonest first (then by
    /// id), after the one due at `after`'s moment with `after`'s id when
    /// given, at most `limit`: what a sweep breaks.
    fn due_promises(
        &mut self,
        at: Moment,
        after: Option<(Moment, &PromiseId)>,
        limit: usize,
    ) -> StoreResult<Vec<Promise>>;
    /// The kept and broken promises made by or to any of `parties` (each
    /// once), resolved in `period`, counted by what a kept rate needs
    /// of them, in no particular order: the database sums them, so a party's
    /// kept rate does not read each of its promises.
    fn promise_tallies(
        &mut self,
        parties: &[PartyId],
        period: ResolvedIn,
    ) -> StoreResult<Vec<PromiseTally>>;
    /// The moments the promises of `tally` (alike in all but when they were
    /// resolved) were resolved at, in `period`, in no particular order.
    fn tally_moments(
        &mut self,
        tally: &PromiseTally,
        period: ResolvedIn,
    ) -> StoreResult<Vec<Moment>>;
    /// Promises made by or to any of `parties`, each once, in `order`,
    /// after `after` in that order when given (a due moment or a resolved
    /// moment, and an id), at most `limit`: one statement for all of an
    /// organization's people, planned for them.
    fn promises_of(
        &mut self,
        parties: &[PartyId],
        order: PromiseOrder,
        after: Option<(Moment, &PromiseId)>,
        limit: usize,
    ) -> StoreResult<Vec<Promise>>;
    /// Every due moment of a promise, in the order agreed.
    fn promise_dues(&mut self, row: i64) -> StoreResult<Vec<Due>> {
        Ok(self
            .promise_dues_of(&[row])?
            .into_iter()
            .map(|(_, due)| due)
            .collect())
    }
    /// Every due moment of many promises, each promise's in the order agreed,
    /// with its row: a list of promises reads them in one statement.
    fn promise_dues_of(&mut self, rows: &[i64]) -> StoreResult<Vec<(i64, Due)>>;
    /// Gives a pending promise a new due moment, agreed at `agreed`, and makes
    /// it renegotiated; false, changing nothing, when it is not pending.
    fn move_promise(&mut self, row: i64, due: Moment, agreed: Moment) -> StoreResult<bool>;
    /// Resolves a pending promise; false, changing nothing, when it is not
    /// pending any more (resolved by someone else first).
    fn resolve_promise(&mut self, row: i64, resolution: &Resolution<'_>) -> StoreResult<bool>;
    /// [`PromiseStore::resolve_promise`] for many promises at once (a sweep):
    /// for each, whether it was resolved now. A backend with round trips
    /// resolves them in one statement.
    fn resolve_promises(
        &mut self,
        resolutions: &[(i64, Resolution<'_>)],
    ) -> StoreResult<Vec<bool>> {
        resolutions
            .iter()
            .map(|(row, resolution)| self.resolve_promise(*row, resolution))
            .collect()
    }
}
