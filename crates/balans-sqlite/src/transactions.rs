//! Writes and reads: the transaction, savepoints for nested writes, and what a
//! connection forgets when it rolls back or another connection commits.

use balans_store::store::{StoreResult, Transactions};

use crate::connection::{SqliteStore, backend};

impl Transactions for SqliteStore {
    fn begin_write(&mut self) -> StoreResult<()> {
        if self.depth == 1 {
            // What earlier writes of a group handed down is bounded as theirs was;
            // here, before this write, a failure leaves it unwritten and unanswered.
            self.bound_pending()?;
        }
        let sql = if self.depth == 0 {
            "BEGIN IMMEDIATE".to_string()
        } else {
            format!("SAVEPOINT w{}", self.depth)
        };
        self.run_cached("starting a write", &sql)?;
        if self.depth == 0 {
            // Nothing is pending between transactions.
            self.pending_balances.clear();
            self.pending_months.clear();
        }
        self.depth += 1;
        self.pending_balances.open();
        self.pending_months.open();
        if self.depth == 1 {
            // Others may have committed before this write took the lock.
            self.refresh_cache_at(true)?;
        }
        Ok(())
    }

    fn commit(&mut self) -> StoreResult<()> {
        debug_assert!(self.depth > 0, "commit without a write");
        self.depth = self.depth.saturating_sub(1);
        if self.depth > 0 {
            self.pending_balances.release();
            self.pending_months.release();
            return self.run_cached("committing", &format!("RELEASE w{}", self.depth));
        }
        // On failure the caller rolls back, which forgets what is pending.
        self.restore_gesture_indexes()?;
        self.write_pending()?;
        self.restore_balance_index()?;
        self.pending_balances.clear();
        self.pending_months.clear();
        self.run_cached("committing", "COMMIT")?;
        self.stop_importing()
    }

    fn rollback(&mut self) -> StoreResult<()> {
        // What was read or written in the undone write may not be so any more.
        self.cache.clear();
        if self.depth <= 1 {
            self.depth = 0;
            // The rollback brings a dropped index back.
            self.gesture_indexes_dropped = false;
            self.bulk_ids = None;
            self.bulk_next_seq = None;
            self.ids_set_aside = false;
            self.aside_filter = None;
            self.ids_undecided = false;
            self.balance_index_dropped = false;
            self.pending_balances.clear();
            self.pending_months.clear();
            if !self.connection.is_autocommit() {
                self.connection
                    .execute_batch("ROLLBACK")
                    .map_err(backend("rolling back"))?;
            }
            return self.stop_importing();
        }
        self.depth -= 1;
        self.pending_balances.discard();
        self.pending_months.discard();
        self.run_cached("rolling back", &format!("ROLLBACK TO w{}", self.depth))?;
        self.run_cached("rolling back", &format!("RELEASE w{}", self.depth))?;
        // Ids a bulk load set aside in the undone savepoint may be gone with
        // it: the load goes on through the index of ids. The rows it held may
        // be gone too, and their `seq` given anew: a look-up by id no longer
        // trusts where they went.
        self.bulk_next_seq = None;
        if self.ids_set_aside {
            self.restore_id_index()?;
        }
        Ok(())
    }

    fn begin_read(&mut self) -> StoreResult<()> {
        if self.depth > 0 || self.reading {
            return Ok(());
        }
        // A deferred transaction takes its snapshot at the first read; take it now.
        // Both statements stay prepared: a request's read begins with them.
        self.execute("starting a read", "BEGIN DEFERRED", [])?;
        self.reading = true;
        self.query_one(
            "starting a read",
            "SELECT 1 FROM settings LIMIT 1",
            [],
            |_| Ok(()),
        )?;
        Ok(())
    }

    fn end_read(&mut self) -> StoreResult<()> {
        if !self.reading {
            return Ok(());
        }
        self.reading = false;
        self.execute("ending a read", "COMMIT", []).map(drop)
    }
}
