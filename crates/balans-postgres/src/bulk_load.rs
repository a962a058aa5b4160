//! A bulk load on PostgreSQL: an import into an empty gestures table copies its
//! rows in without the table's indexes and builds them once (see `bulk`).

use balans_core::Gesture;
use balans_store::store::{BulkLoad, GestureBatches, StoreResult, Streamed};
use postgres::Client;
use postgres::error::SqlState;

use crate::bulk::{Bulk, COPY_ROWS_MIN, Staged};
use crate::connection::{PostgresStore, corrupt, pg_error};
use crate::{copy, schema};
use balans_store::store::{BULK_IDS_MAX, BulkIds, bulk_new};

impl PostgresStore {
    /// Copies `gestures` in without the indexes when a bulk load is wanted and
    /// the table is empty, or one is under way; false when they must be written
    /// through the indexes, which are then in place.
    pub(crate) fn copy_in_bulk(&mut self, gestures: &[&Gesture]) -> StoreResult<bool> {
        let context = "storing gestures";
        if !self.bulk_takes(gestures.len(), gestures.iter().copied())? {
            return Ok(false);
        }
        self.send_savepoints(context)?;
        self.copy_gestures(gestures)
            .map_err(|e| e.into_store(context))?;
        Ok(true)
    }

    /// Whether `gestures` (`n` of them) go in with a bulk load: when one is
    /// wanted and the table is empty (which begins it), or one is under way, and
    /// [`bulk_new`] says they are all new. When they are not, the indexes are
    /// built, and the load is over.
    pub(crate) fn bulk_takes<'g>(
        &mut self,
        n: usize,
        gestures: impl Iterator<Item = &'g Gesture>,
    ) -> StoreResult<bool> {
        let context = "storing gestures";
        if matches!(self.bulk, Bulk::Wanted { .. }) {
            self.bulk = Bulk::Off;
            let empty = self
                .query_opt(
                    context,
                    "SELECT NOT EXISTS (SELECT 1 FROM gestures), NOT EXISTS (SELECT 1 FROM balances), \
                     NOT EXISTS (SELECT 1 FROM months)",
                    &[],
                )?
                .ok_or_else(|| corrupt("an answer to EXISTS"))?;
            if !empty.get::<_, bool>(0) {
                return Ok(false);
            }
            self.batch(context, schema::GESTURE_INDEXES_DROP)?;
            self.bulk = Bulk::Loading {
                dropped: self.depth,
                built: None,
                ids: BulkIds::default(),
                balances_empty: empty.get(1),
                months_empty: empty.get(2),
                balances_staged: Staged::No,
                months_staged: Staged::No,
            };
        }
        let Bulk::Loading {
            built: None, ids, ..
        } = &mut self.bulk
        else {
            return Ok(false);
        };
        if !bulk_new(ids, n, BULK_IDS_MAX, gestures) {
            self.build_indexes()?;
            return Ok(false);
        }
        Ok(true)
    }

    /// Copies batch after batch in one `COPY` while a bulk load takes them (see
    /// `BulkLoad::stream_gestures`): the server copies one batch while the next is
    /// parsed, where a `COPY` per batch left it waiting at each batch's end for
    /// the client's turn. The rows are numbered on from the sequence's next
    /// value, and the sequence is set to the last at the end: the writer holds
    /// the write lock, so no one else takes numbers meanwhile.
    pub(crate) fn stream_in_bulk(
        &mut self,
        batches: &mut dyn GestureBatches,
    ) -> StoreResult<Streamed> {
        let context = "storing gestures";
        let Some(mut batch) = batches.next_batch() else {
            return Ok(Streamed::Drained);
        };
        let n = batch.len();
        if n < COPY_ROWS_MIN
            || self.depth == 0
            || !self.bulk_takes(n, batch.iter().map(|r| &r.gesture))?
        {
            return Ok(Streamed::Declined);
        }
        self.send_savepoints(context)?;
        self.carried = None;
        let first: i64 = self
            .query_opt(
                context,
                "SELECT nextval(pg_get_serial_sequence('gestures', 'seq'))",
                &[],
            )?
            .ok_or_else(|| corrupt("an answer to nextval"))?
            .get(0);
        let Bulk::Loading { ids, .. } = &mut self.bulk else {
            return Err(corrupt("a bulk load that ended by itself"));
        };
        let mut stream = copy::GestureStream::open(&mut self.client, &mut self.copy_buffer, first)
            .map_err(|e| e.into_store(context))?;
        let mut ended = Streamed::Drained;
        loop {
            stream
                .write(batch.iter().map(|r| &r.gesture))
                .map_err(|e| e.into_store(context))?;
            batches.stored();
            let Some(next) = batches.next_batch() else {
                break;
            };
            if !bulk_new(
                ids,
                next.len(),
                BULK_IDS_MAX,
                next.iter().map(|r| &r.gesture),
            ) {
                ended = Streamed::Declined;
                break;
            }
            batch = next;
        }
        let last = stream.finish().map_err(|e| e.into_store(context))?;
        self.query_opt(
            context,
            "SELECT setval(pg_get_serial_sequence('gestures', 'seq'), $1)",
            &[&last],
        )?;
        if ended == Streamed::Declined {
            self.build_indexes()?;
        }
        Ok(ended)
    }

    /// Copies the first rows into a table that was empty when a bulk load began:
    /// `drop` locks the table without waiting and drops its indexes, `copy`
    /// copies, `build` builds them again. When another connection holds the
    /// table, the rows are copied through the indexes instead.
    pub(crate) fn copy_into_empty(
        &mut self,
        context: &str,
        drop: &str,
        copy: impl FnOnce(&mut Client, &mut Vec<u8>) -> Result<(), copy::CopyFailed>,
        build: &str,
    ) -> StoreResult<()> {
        let dropped = self.drop_indexes(context, drop)?;
        copy(&mut self.client, &mut self.copy_buffer).map_err(|e| e.into_store(context))?;
        if dropped {
            self.batch(context, build)?;
        }
        Ok(())
    }

    /// Runs `drop`, which locks a table without waiting and drops its
    /// indexes; false, with the indexes left, when another connection holds
    /// the table.
    pub(crate) fn drop_indexes(&mut self, context: &str, drop: &str) -> StoreResult<bool> {
        self.send_savepoints(context)?;
        self.carried = None;
        match self.client.batch_execute(&format!(
            "SAVEPOINT empty_table; {drop}; RELEASE SAVEPOINT empty_table"
        )) {
            Ok(()) => Ok(true),
            Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => {
                self.batch(
                    context,
                    "ROLLBACK TO SAVEPOINT empty_table; RELEASE SAVEPOINT empty_table",
                )?;
                Ok(false)
            }
            Err(e) => Err(pg_error(context)(e)),
        }
    }

    /// Builds the gestures table's indexes when a bulk load dropped them.
    pub(crate) fn build_indexes(&mut self) -> StoreResult<()> {
        if matches!(self.bulk, Bulk::Loading { built: None, .. }) {
            self.batch("indexing the gestures", schema::GESTURE_INDEXES_BUILD)?;
            // Statistics for the planner, which knew the table empty: without
            // them (where autovacuum is off, or until it comes by) a listing of
            // a customer's gestures over a million walked the index of times,
            // 72 ms instead of 4. Sampling a million takes some 130 ms.
            self.batch("indexing the gestures", "ANALYZE gestures")?;
            if let Bulk::Loading { built, .. } = &mut self.bulk {
                *built = Some(self.depth);
            }
        }
        Ok(())
    }
}

impl BulkLoad for PostgresStore {
    fn expect_many_gestures(&mut self) -> StoreResult<bool> {
        match self.bulk {
            // A second file of the same import carries on with the load.
            Bulk::Loading { built: None, .. } => return Ok(true),
            Bulk::Off if self.depth > 0 => {}
            _ => return Ok(false),
        }
        // Only an empty table is loaded in bulk; the first batch copied looks
        // again (the write lock keeps other writers out in between).
        let empty: bool = self
            .query_opt(
                "storing gestures",
                "SELECT NOT EXISTS (SELECT 1 FROM gestures)",
                &[],
            )?
            .ok_or_else(|| corrupt("an answer to EXISTS"))?
            .get(0);
        if empty {
            self.bulk = Bulk::Wanted { depth: self.depth };
        }
        Ok(empty)
    }

    fn many_gestures_written(&mut self) -> StoreResult<()> {
        self.build_indexes()
    }

    fn stream_gestures(&mut self, batches: &mut dyn GestureBatches) -> StoreResult<Streamed> {
        self.stream_in_bulk(batches)
    }
}
