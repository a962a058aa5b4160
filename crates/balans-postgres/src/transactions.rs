//! Writes and reads on PostgreSQL: the write lock, savepoints sent with the
//! statement that needs them, a read as one snapshot, and what a rollback undoes.
//!
//! Every write takes one transaction-level advisory lock ([`WRITE_LOCK`]) when it
//! starts, so writes are serial across processes as they are within one server
//! (which still groups many requests into one commit). Savepoints are sent with the
//! first statement inside them and releases with whatever must follow them
//! (`unsent`), so the two that each request in a group opens cost one trip, not
//! four. A read is a `REPEATABLE READ READ ONLY` transaction: one snapshot.

use balans_store::store::{StoreResult, Transactions};

use crate::bulk::{Bulk, IdsAside};
use crate::connection::{PostgresStore, Savepoint, WRITE_LOCK, first_number, pg_error};

impl Transactions for PostgresStore {
    fn begin_write(&mut self) -> StoreResult<()> {
        if self.depth == 0 {
            if self.reading {
                self.end_read()?;
            }
            debug_assert!(self.unsent.is_empty(), "savepoints left from a transaction");
            self.carried = None;
            self.copied = 0;
            self.promised = 0;
            // The catalog's version comes in the same trip as the lock.
            let replies = self
                .client
                .simple_query(&format!(
                    "BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK}); SELECT n FROM catalog_version"
                ))
                .map_err(pg_error("starting a write"))?;
            self.version_now = first_number(&replies);
        } else {
            self.unsent.push(Savepoint::Open(self.depth));
        }
        self.depth += 1;
        Ok(())
    }

    fn commit(&mut self) -> StoreResult<()> {
        debug_assert!(self.depth > 0, "commit without a write");
        if self.depth == 1 {
            if let Err(e) = self
                .fold_staged()
                .and_then(|()| self.build_indexes())
                .and_then(|()| self.analyze_after_many())
            {
                // The transaction cannot commit: end it, undoing the load.
                self.rollback()?;
                return Err(e);
            }
            self.bulk = Bulk::Off;
        }
        self.depth = self.depth.saturating_sub(1);
        match &mut self.bulk {
            Bulk::Loading {
                dropped,
                built,
                seq_indexed,
                ..
            } => {
                // Released: what this write did is now part of the enclosing one.
                *dropped = (*dropped).min(self.depth);
                *built = built.map(|b| b.min(self.depth));
                *seq_indexed = seq_indexed.map(|b| b.min(self.depth));
            }
            // The import that wanted a bulk load has ended without one.
            Bulk::Wanted { depth } if *depth > self.depth => self.bulk = Bulk::Off,
            _ => {}
        }
        if self.depth == 0 {
            self.version_now = None;
            // COMMIT releases every savepoint.
            self.unsent.clear();
            let committed = self.batch("committing", "COMMIT");
            if committed.is_err() {
                self.kept_changed();
            }
            committed
        } else {
            if self.unsent.last() == Some(&Savepoint::Open(self.depth)) {
                // Nothing ran inside it: it never has to exist.
                self.unsent.pop();
            } else {
                self.unsent.push(Savepoint::Release(self.depth));
            }
            Ok(())
        }
    }

    fn rollback(&mut self) -> StoreResult<()> {
        // What was read after a change that is now undone must not stay.
        self.kept_changed();
        if self.depth <= 1 {
            self.depth = 0;
            self.unsent.clear();
            self.bulk = Bulk::Off;
            return self.batch("rolling back", "ROLLBACK");
        }
        self.depth -= 1;
        match &mut self.bulk {
            // Rolling back past the drop brings the indexes back.
            Bulk::Loading { dropped, .. } if *dropped > self.depth => self.bulk = Bulk::Off,
            Bulk::Loading {
                built,
                aside,
                seq_indexed,
                ..
            } => {
                // Rolling back past the build leaves them dropped.
                if built.is_some_and(|b| b > self.depth) {
                    *built = None;
                }
                if seq_indexed.is_some_and(|b| b > self.depth) {
                    *seq_indexed = None;
                }
                // It may have undone ids set aside: the load goes on through
                // the indexes.
                if built.is_none() && matches!(aside, IdsAside::Set(_)) {
                    *aside = IdsAside::Lost;
                }
            }
            Bulk::Wanted { depth } if *depth > self.depth => self.bulk = Bulk::Off,
            _ => {}
        }
        if self.unsent.last() == Some(&Savepoint::Open(self.depth)) {
            // Nothing ran inside it, so there is nothing to undo.
            self.unsent.pop();
            return Ok(());
        }
        // What is left unsent are releases of savepoints inside this one, which
        // rolling back to it removes anyway; sending them could fail in a
        // transaction that an error has aborted.
        self.unsent.clear();
        self.batch(
            "rolling back",
            &format!(
                "ROLLBACK TO SAVEPOINT w{0}; RELEASE SAVEPOINT w{0}",
                self.depth
            ),
        )
    }

    fn begin_read(&mut self) -> StoreResult<()> {
        if self.in_transaction() {
            return Ok(());
        }
        // The version comes in the same trip: the read sees one snapshot.
        self.carried = None;
        let replies = self
            .client
            .simple_query(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT n FROM catalog_version",
            )
            .map_err(pg_error("starting a read"))?;
        self.version_now = first_number(&replies);
        self.reading = true;
        Ok(())
    }

    fn end_read(&mut self) -> StoreResult<()> {
        // A carried version serves the read it was carried into, and no later one.
        self.carried = None;
        if !self.reading {
            return Ok(());
        }
        self.reading = false;
        self.version_now = None;
        self.batch("ending a read", "COMMIT")
    }
}

/// Gestures copied in by one write, at the least, after which it analyzes the
/// table before it commits: the planner's statistics would otherwise wait for
/// autovacuum (which may be off) while the table had grown by a good part.
/// Sampling costs some 130 ms whatever the table's size.
const ANALYZE_AFTER_ROWS: u64 = 100_000;

/// Promises made by one write, at the least, after which it analyzes their
/// tables before it commits. A planner that believes a party has two pending
/// promises sorts all of them to list the first page; it takes the ordered
/// range of the index once it knows better. Promises are fewer and wider
/// than gestures: sampling them costs some 40 ms.
const ANALYZE_AFTER_PROMISES: u64 = 10_000;

impl PostgresStore {
    fn analyze_after_many(&mut self) -> StoreResult<()> {
        if std::mem::take(&mut self.copied) >= ANALYZE_AFTER_ROWS {
            self.batch("analyzing the gestures", "ANALYZE gestures")?;
        }
        if std::mem::take(&mut self.promised) >= ANALYZE_AFTER_PROMISES {
            self.batch(
                "analyzing the promises",
                "ANALYZE promises; ANALYZE promise_dues",
            )?;
        }
        Ok(())
    }
}
