//! A bulk load on PostgreSQL: an import into an empty gestures table copies its
//! rows in without the table's indexes and builds them once (see `bulk`).

use balans_core::Gesture;
use balans_store::store::{BulkLoad, GestureBatches, StoreResult, Streamed};
use postgres::Client;
use postgres::error::SqlState;
use postgres::types::Type;

use crate::bulk::{Bulk, BulkLoadSeen, COPY_ROWS_MIN, IdsAside, Staged};
use crate::connection::{PostgresStore, corrupt, pg_error};
use crate::{copy, schema};
use balans_store::store::{BulkIds, bulk_new};

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
        self.bulk_seen.copied_in_bulk += gestures.len() as u64;
        Ok(true)
    }

    /// Whether `gestures` (`n` of them) go in with a bulk load: when one is
    /// wanted and the table is empty (which begins it), or one is under way, and
    /// [`judge`] finds them all new. When they are not, the indexes are
    /// built, and the load is over.
    pub(crate) fn bulk_takes<'g>(
        &mut self,
        n: usize,
        gestures: impl Iterator<Item = &'g Gesture> + Clone,
    ) -> StoreResult<bool> {
        let context = "storing gestures";
        if matches!(self.bulk, Bulk::Wanted { .. }) {
            self.bulk = Bulk::Off;
            let empty = self
                .query_opt(
                    context,
                    "SELECT NOT EXISTS (SELECT 1 FROM gestures), NOT EXISTS (SELECT 1 FROM balances), \
                     NOT EXISTS (SELECT 1 FROM months), NOT EXISTS (SELECT 1 FROM party_totals)",
                    &[],
                )?
                .ok_or_else(|| corrupt("an answer to EXISTS"))?;
            if !empty.get::<_, bool>(0) {
                return Ok(false);
            }
            self.batch(context, schema::GESTURE_INDEXES_DROP)?;
            self.bulk_seen = BulkLoadSeen::default();
            self.bulk = Bulk::Loading {
                dropped: self.depth,
                built: None,
                ids: Box::default(),
                aside: IdsAside::None,
                balances_empty: empty.get(1),
                months_empty: empty.get(2),
                party_totals_empty: empty.get(3),
                balances_staged: Staged::No,
                months_staged: Staged::No,
                party_totals_staged: Staged::No,
            };
        }
        let verdict = judge(&mut self.bulk, self.bulk_ids_max, n, gestures.clone());
        let taken = self.answer(verdict, n, gestures)?;
        if !taken {
            // Nothing to build when no load is under way.
            self.build_indexes()?;
        }
        Ok(taken)
    }

    /// Whether a batch of `n` gestures, judged `verdict` by [`judge`], is
    /// copied in bulk, after asking the database what memory could not tell:
    /// the ids held are set aside first (and the batch judged again), or the
    /// hashes the filter cannot rule out are looked up among those set aside.
    fn answer<'g>(
        &mut self,
        mut verdict: Verdict,
        n: usize,
        gestures: impl Iterator<Item = &'g Gesture> + Clone,
    ) -> StoreResult<bool> {
        loop {
            match verdict {
                Verdict::New => return Ok(true),
                Verdict::Off | Verdict::Repeats => return Ok(false),
                Verdict::SetAsideFirst => {
                    self.set_ids_aside()?;
                    verdict = judge(&mut self.bulk, self.bulk_ids_max, n, gestures.clone());
                }
                Verdict::LookUp(hashes) => {
                    self.bulk_seen.looked_up += 1;
                    return Ok(!self.set_aside_holds_any(&hashes)?);
                }
            }
        }
    }

    /// Copies batch after batch in one `COPY` while a bulk load takes them (see
    /// `BulkLoad::stream_gestures`): the server copies one batch while the next is
    /// parsed, where a `COPY` per batch left it waiting at each batch's end for
    /// the client's turn. The rows are numbered on from the sequence's next
    /// value, and the sequence is set to the last at the end: the writer holds
    /// the write lock, so no one else takes numbers meanwhile. The `COPY` ends
    /// and starts again where the load must ask the database about a batch
    /// (its ids set aside, or to be set aside).
    pub(crate) fn stream_in_bulk(
        &mut self,
        batches: &mut dyn GestureBatches,
    ) -> StoreResult<Streamed> {
        let context = "storing gestures";
        let Some(batch) = batches.next_batch() else {
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
        let mut first: i64 = self
            .query_opt(
                context,
                "SELECT nextval(pg_get_serial_sequence('gestures', 'seq'))",
                &[],
            )?
            .ok_or_else(|| corrupt("an answer to nextval"))?
            .get(0);
        let mut batch = batch;
        let ended = loop {
            let mut stream =
                copy::GestureStream::open(&mut self.client, &mut self.copy_buffer, first)
                    .map_err(|e| e.into_store(context))?;
            let mut ended = Streamed::Drained;
            // A batch the database must answer for, and what it is asked.
            let asked = loop {
                stream
                    .write(batch.iter().map(|r| &r.gesture))
                    .map_err(|e| e.into_store(context))?;
                self.bulk_seen.copied_in_bulk += batch.len() as u64;
                batches.stored();
                let Some(next) = batches.next_batch() else {
                    break None;
                };
                let gestures = next.iter().map(|r| &r.gesture);
                match judge(&mut self.bulk, self.bulk_ids_max, next.len(), gestures) {
                    Verdict::New => batch = next,
                    Verdict::Off | Verdict::Repeats => {
                        ended = Streamed::Declined;
                        break None;
                    }
                    verdict => break Some((verdict, next)),
                }
            };
            let last = stream.finish().map_err(|e| e.into_store(context))?;
            first = last + 1;
            let Some((verdict, next)) = asked else {
                break ended;
            };
            let taken = self.answer(verdict, next.len(), next.iter().map(|r| &r.gesture))?;
            if !taken {
                break Streamed::Declined;
            }
            batch = next;
        };
        self.query_opt(
            context,
            "SELECT setval(pg_get_serial_sequence('gestures', 'seq'), $1)",
            &[&(first - 1)],
        )?;
        if ended == Streamed::Declined {
            self.build_indexes()?;
        }
        Ok(ended)
    }

    /// Sets the ids a bulk load holds in memory aside, as their hashes: into
    /// the temporary table `bulk_id_hashes` (made by the first, and dropped
    /// at the commit) and its filter, and holds the ids that come next anew,
    /// a quarter as many as before (as SQLite's load does). Each time's
    /// hashes go in sorted, after those before, so a block-range index
    /// (`brin`) finds a hash in a few pages of each time's: 875,000 hashes
    /// went in in 0.3 s so, in 0.7–1.1 s through a B-tree of ten million.
    fn set_ids_aside(&mut self) -> StoreResult<()> {
        let context = "setting the load's ids aside";
        let Bulk::Loading { ids, aside, .. } = &mut self.bulk else {
            return Ok(());
        };
        let mut hashes: Vec<i64> = ids
            .take_hashes()
            .into_iter()
            .map(|(h, ())| h as i64)
            .collect();
        hashes.sort_unstable();
        self.bulk_seen.sets_aside += 1;
        self.bulk_seen.ids_set_aside += hashes.len() as u64;
        let first = matches!(aside, IdsAside::None);
        if first {
            *aside = IdsAside::Set(IdsAside::new_filter());
        }
        let IdsAside::Set(filter) = aside else {
            return Err(corrupt("ids set aside after a rollback lost them"));
        };
        for hash in &hashes {
            filter.insert_hash(*hash as u64);
        }
        if first {
            self.batch(
                context,
                "CREATE TEMP TABLE IF NOT EXISTS bulk_id_hashes (hash int8 NOT NULL) ON COMMIT DROP; \
                 CREATE INDEX IF NOT EXISTS bulk_id_hashes_hash ON bulk_id_hashes \
                 USING brin (hash) WITH (pages_per_range = 4)",
            )?;
        }
        self.send_savepoints(context)?;
        copy::copy_id_hashes(&mut self.client, &mut self.copy_buffer, &hashes)
            .map_err(|e| e.into_store(context))?;
        self.batch(
            context,
            "SELECT brin_summarize_new_values('bulk_id_hashes_hash')",
        )
    }

    /// Whether any of `hashes` is among those set aside: the batch may then
    /// repeat an id, and goes through the indexes. Through the index of the
    /// hashes, always, and not compiled: the table has no statistics, and a
    /// planner that takes one row in two hundred to match scanned all of it
    /// for the first, 600 ms at ten million.
    fn set_aside_holds_any(&mut self, hashes: &[i64]) -> StoreResult<bool> {
        let context = "reading the load's ids set aside";
        self.batch(
            context,
            "SET LOCAL enable_seqscan = off; SET LOCAL jit = off",
        )?;
        let found = self.query_planned(
            context,
            "SELECT hash FROM bulk_id_hashes WHERE hash = ANY($1)",
            &[(&hashes, Type::INT8_ARRAY)],
        )?;
        self.batch(
            context,
            "SET LOCAL enable_seqscan TO DEFAULT; SET LOCAL jit TO DEFAULT",
        )?;
        Ok(!found.is_empty())
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

    /// Builds the gestures table's indexes when a bulk load dropped them,
    /// and drops the ids it set aside, which the index of ids now holds.
    pub(crate) fn build_indexes(&mut self) -> StoreResult<()> {
        if let Bulk::Loading {
            built: None, aside, ..
        } = &mut self.bulk
        {
            // The filter's memory goes now, before the import sums; should a
            // rollback undo the build, the load goes on through the indexes.
            let set_aside = !matches!(aside, IdsAside::None);
            if set_aside {
                *aside = IdsAside::Lost;
            }
            self.batch("indexing the gestures", schema::GESTURE_INDEXES_BUILD)?;
            if set_aside {
                self.batch(
                    "indexing the gestures",
                    "DROP TABLE IF EXISTS bulk_id_hashes",
                )?;
            }
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

/// What a batch is to a bulk load, as far as memory tells.
#[derive(Debug)]
enum Verdict {
    /// No load is under way (or its indexes are built).
    Off,
    /// Every gesture is new and ordinary: it is copied in bulk.
    New,
    /// A reversal, or an id that may repeat one copied before: the indexes
    /// are built, and the batch goes through them.
    Repeats,
    /// The ids held would pass the most: they are set aside before the batch
    /// is judged.
    SetAsideFirst,
    /// New as far as the ids held tell, but the filter of those set aside
    /// cannot rule these hashes out: the table of them answers.
    LookUp(Vec<i64>),
}

/// Judges a batch of `n` gestures for the bulk load `bulk`, which holds
/// `most` ids in memory before it sets them aside (a quarter of that after it
/// first has).
fn judge<'g>(
    bulk: &mut Bulk,
    most: usize,
    n: usize,
    gestures: impl Iterator<Item = &'g Gesture> + Clone,
) -> Verdict {
    let Bulk::Loading {
        built: None,
        ids,
        aside,
        ..
    } = bulk
    else {
        return Verdict::Off;
    };
    let most = match aside {
        IdsAside::None => most,
        IdsAside::Set(_) => (most / 4).max(1),
        IdsAside::Lost => return Verdict::Repeats,
    };
    if !ids.is_empty() && ids.len() + n > most {
        return Verdict::SetAsideFirst;
    }
    if !bulk_new(ids, n, most, gestures.clone()) {
        return Verdict::Repeats;
    }
    let IdsAside::Set(filter) = aside else {
        return Verdict::New;
    };
    let unsure: Vec<i64> = gestures
        .map(|g| BulkIds::hash(&g.id))
        .filter(|hash| filter.contains_hash(*hash))
        .map(|hash| hash as i64)
        .collect();
    match unsure.is_empty() {
        true => Verdict::New,
        false => Verdict::LookUp(unsure),
    }
}
