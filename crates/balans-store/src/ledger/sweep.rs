//! The sweep (`docs/promises.md`, "The sweep"): the one mechanism for
//! everything in Balans that falls due. Each capability with something that
//! falls due adds its part here, in the same write; today, promises that fell
//! due while pending are broken.

use balans_core::{Moment, PromiseId};
use serde::Serialize;

use super::promises::Stranded;
use crate::LedgerError;
use crate::store::{Store, in_transaction};

/// What a sweep did, by capability.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Swept {
    /// The promises broken because they fell due, soonest due first.
    pub broken: Vec<PromiseId>,
    /// Promises that fell due and stay pending because their broken promise
    /// cannot be recorded, each with why: for `balans check` and a person to
    /// mend (release the promise, or change the memberships).
    pub stranded: Vec<Stranded>,
}

/// Resolves everything that has fallen due at `now`, in one write (a
/// savepoint inside a write already open). Every command and request that
/// writes runs it first, in a write of its own.
pub fn sweep<S: Store + ?Sized>(store: &mut S, now: Moment) -> Result<Swept, LedgerError> {
    sweep_by(store, now, super::promises::SWEEP_BATCH)
}

/// [`sweep`], reading and breaking `batch` promises at a time: for tests of
/// a sweep over many batches with fewer promises than the sweep's own batch.
#[doc(hidden)]
pub fn sweep_by<S: Store + ?Sized>(
    store: &mut S,
    now: Moment,
    batch: usize,
) -> Result<Swept, LedgerError> {
    // Nothing due, as before most writes: one read answers, without a write
    // (on PostgreSQL a write is three more round trips and the write lock).
    // What falls due after this read is the next sweep's.
    if store.due_promises(now, None, 1)?.is_empty() {
        return Ok(Swept::default());
    }
    in_transaction(store, |store| {
        let mut stranded = Vec::new();
        let broken = super::promises::break_due(store, now, batch.max(1), &mut stranded)?;
        Ok(Swept { broken, stranded })
    })
}
