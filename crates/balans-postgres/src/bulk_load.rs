//! A bulk load on PostgreSQL: an import into an empty gestures table copies its
//! rows in without the table's indexes and builds them once (see `bulk`).

use balans_core::{Gesture, StoredGesture};
use balans_store::store::{BulkLoad, GestureBatches, StoreResult, Streamed};
use postgres::Client;
use postgres::error::SqlState;
use postgres::types::Type;
use rustc_hash::FxHashMap;

use crate::bulk::{Bulk, BulkLoadSeen, COPY_ROWS_MIN, IdsAside, Staged};
use crate::connection::{PostgresStore, corrupt, pg_error};
use crate::gestures::{GESTURE_BY_SEQ, gesture_row};
use crate::{copy, schema};
use balans_store::store::{BulkIds, found_in_load, hold_new, id_hash, rows_carry_asked_ids};

/// The sequence that numbers the gestures.
const SEQ: &str = "pg_get_serial_sequence('gestures', 'seq')";

impl PostgresStore {
    /// Copies `gestures` in without the indexes when a bulk load is wanted and
    /// the table is empty, or one is under way; false when they must be written
    /// through the indexes, which are then in place. Their reversals were
    /// checked (`record_all`), against gestures the load looked up itself.
    pub(crate) fn copy_in_bulk(&mut self, gestures: &[&Gesture]) -> StoreResult<bool> {
        let context = "storing gestures";
        if !self.bulk_open() {
            return Ok(false);
        }
        let n = gestures.len() as i64;
        // Writers hold the write lock, so no one else takes numbers in between.
        let last: i64 = self
            .query_opt(
                context,
                &format!("SELECT setval({SEQ}, nextval({SEQ}) + $1 - 1)"),
                &[&n],
            )?
            .ok_or_else(|| corrupt("an answer to setval"))?
            .get(0);
        let first = last - n + 1;
        let gestures_of = || gestures.iter().copied();
        if !self.bulk_takes(gestures.len(), gestures_of(), first, true)? {
            self.give_back_seqs(first)?;
            return Ok(false);
        }
        self.send_savepoints(context)?;
        copy::copy_gestures(&mut self.client, &mut self.copy_buffer, first, gestures)
            .map_err(|e| e.into_store(context))?;
        self.bulk_seen.copied_in_bulk += gestures.len() as u64;
        Ok(true)
    }

    /// Whether a bulk load is wanted, or under way with its indexes not built.
    fn bulk_open(&self) -> bool {
        matches!(
            self.bulk,
            Bulk::Wanted { .. } | Bulk::Loading { built: None, .. }
        )
    }

    /// Gives the numbers from `first` on, taken for gestures not copied in
    /// bulk after all, back to the sequence.
    fn give_back_seqs(&mut self, first: i64) -> StoreResult<()> {
        self.query_opt(
            "storing gestures",
            &format!("SELECT setval({SEQ}, $1, false)"),
            &[&first],
        )?;
        Ok(())
    }

    /// Whether `gestures` (`n` of them, numbered from `first`) go in with a
    /// bulk load: when one is wanted and the table is empty (which begins
    /// it), or one is under way, and [`judge`] finds them all new, and their
    /// reversals `checked`. When they are not new, the indexes are built, and
    /// the load is over; reversals not checked leave it as it is.
    pub(crate) fn bulk_takes<'g>(
        &mut self,
        n: usize,
        gestures: impl Iterator<Item = &'g Gesture> + Clone,
        first: i64,
        checked: bool,
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
                aside_tables: 0,
                seq_indexed: None,
                balances_empty: empty.get(1),
                months_empty: empty.get(2),
                party_totals_empty: empty.get(3),
                balances_staged: Staged::No,
                months_staged: Staged::No,
                party_totals_staged: Staged::No,
            };
        }
        let judged = Judged { n, first, checked };
        let verdict = judge(&mut self.bulk, self.bulk_ids_max, judged, gestures.clone());
        if matches!(verdict, Verdict::Reversals) {
            return Ok(false);
        }
        let taken = self.answer(verdict, judged, gestures)?;
        if !taken {
            // Nothing to build when no load is under way.
            self.build_indexes()?;
        }
        Ok(taken)
    }

    /// Whether a batch, judged `verdict` by [`judge`], is copied in bulk,
    /// after asking the database what memory could not tell: the ids held are
    /// set aside first (and the batch judged again), or the hashes the filter
    /// cannot rule out are looked up among those set aside.
    fn answer<'g>(
        &mut self,
        mut verdict: Verdict,
        judged: Judged,
        gestures: impl Iterator<Item = &'g Gesture> + Clone,
    ) -> StoreResult<bool> {
        loop {
            match verdict {
                Verdict::New => return Ok(true),
                Verdict::Off | Verdict::Repeats | Verdict::Reversals => return Ok(false),
                Verdict::SetAsideFirst => {
                    self.set_ids_aside()?;
                    verdict = judge(&mut self.bulk, self.bulk_ids_max, judged, gestures.clone());
                }
                Verdict::LookUp(hashes) => {
                    self.bulk_seen.looked_up += 1;
                    return Ok(self.aside_seqs(&hashes)?.is_empty());
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
    /// (its ids set aside, or to be set aside). A batch holding a reversal
    /// ends the stream without ending the load: it is checked as in any write,
    /// and copied in by `copy_in_bulk`.
    pub(crate) fn stream_in_bulk(
        &mut self,
        batches: &mut dyn GestureBatches,
    ) -> StoreResult<Streamed> {
        let context = "storing gestures";
        let Some(batch) = batches.next_batch() else {
            return Ok(Streamed::Drained);
        };
        let n = batch.len();
        if n < COPY_ROWS_MIN || self.depth == 0 || !self.bulk_open() {
            return Ok(Streamed::Declined);
        }
        let mut first: i64 = self
            .query_opt(context, &format!("SELECT nextval({SEQ})"), &[])?
            .ok_or_else(|| corrupt("an answer to nextval"))?
            .get(0);
        if !self.bulk_takes(n, batch.iter().map(|r| &r.gesture), first, false)? {
            self.give_back_seqs(first)?;
            return Ok(Streamed::Declined);
        }
        self.send_savepoints(context)?;
        self.carried = None;
        let mut batch = batch;
        // Whether the batch declined goes in through the indexes, which ends
        // the load, or holds reversals to be checked first.
        let mut load_ends = true;
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
                let judged = Judged {
                    n: next.len(),
                    first: stream.next(),
                    checked: false,
                };
                let gestures = next.iter().map(|r| &r.gesture);
                match judge(&mut self.bulk, self.bulk_ids_max, judged, gestures) {
                    Verdict::New => batch = next,
                    Verdict::Off | Verdict::Repeats => {
                        ended = Streamed::Declined;
                        break None;
                    }
                    Verdict::Reversals => {
                        ended = Streamed::Declined;
                        load_ends = false;
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
            let judged = Judged {
                n: next.len(),
                first,
                checked: false,
            };
            let taken = self.answer(verdict, judged, next.iter().map(|r| &r.gesture))?;
            if !taken {
                break Streamed::Declined;
            }
            batch = next;
        };
        self.query_opt(
            context,
            &format!("SELECT setval({SEQ}, $1)"),
            &[&(first - 1)],
        )?;
        if ended == Streamed::Declined && load_ends {
            self.build_indexes()?;
        }
        Ok(ended)
    }

    /// Sets the ids a bulk load holds in memory aside, as their hashes with
    /// the `seq` of each one's row: into a temporary table of their own
    /// (`bulk_id_hashes_0`, `_1`, …, dropped at the commit, each with a B-tree
    /// of its hashes, built from them sorted) and the filter, and holds the
    /// ids that come next anew, a quarter as many as before. A lookup asks
    /// every table. One table for all, with a block-range index (`brin`)
    /// of each time's sorted hashes, took its hashes in as fast, but each
    /// hash was in a range of every time's, and 800 hashes read most of the
    /// table: 170 ms a lookup at ten million, where a file correcting recent
    /// gestures looks up a batch's originals after each setting aside.
    fn set_ids_aside(&mut self) -> StoreResult<()> {
        let context = "setting the load's ids aside";
        let Bulk::Loading {
            ids,
            aside,
            aside_tables,
            ..
        } = &mut self.bulk
        else {
            return Ok(());
        };
        let mut hashes: Vec<(i64, i64)> = ids
            .take_hashes()
            .into_iter()
            .map(|(h, seq)| (h as i64, seq))
            .collect();
        hashes.sort_unstable();
        self.bulk_seen.sets_aside += 1;
        self.bulk_seen.ids_set_aside += hashes.len() as u64;
        if matches!(aside, IdsAside::None) {
            *aside = IdsAside::Set(IdsAside::new_filter());
        }
        let IdsAside::Set(filter) = aside else {
            return Err(corrupt("ids set aside after a rollback lost them"));
        };
        for (hash, _) in &hashes {
            filter.insert_hash(*hash as u64);
        }
        let table = format!("bulk_id_hashes_{aside_tables}");
        *aside_tables += 1;
        self.batch(
            context,
            &format!(
                "CREATE TEMP TABLE {table} (hash int8 NOT NULL, seq int8 NOT NULL) ON COMMIT DROP"
            ),
        )?;
        self.send_savepoints(context)?;
        copy::copy_id_hashes(&mut self.client, &mut self.copy_buffer, &table, &hashes)
            .map_err(|e| e.into_store(context))?;
        self.batch(context, &format!("CREATE INDEX ON {table} (hash)"))
    }

    /// Those of `hashes` set aside, each with the `seq` of its row: a batch
    /// whose hashes are among them may repeat an id, and goes through the
    /// indexes. Through the indexes of the hashes, always, and not compiled:
    /// the tables have no statistics, and a planner that takes one row in two
    /// hundred to match scanned all of one for the first, 600 ms at ten
    /// million.
    fn aside_seqs(&mut self, hashes: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
        let context = "reading the load's ids set aside";
        let Bulk::Loading { aside_tables, .. } = self.bulk else {
            return Ok(Vec::new());
        };
        let sql = (0..aside_tables)
            .map(|k| format!("SELECT hash, seq FROM bulk_id_hashes_{k} WHERE hash = ANY($1)"))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        if sql.is_empty() {
            return Ok(Vec::new());
        }
        self.batch(
            context,
            "SET LOCAL enable_seqscan = off; SET LOCAL jit = off",
        )?;
        let found = self.query_planned(context, &sql, &[(&hashes, Type::INT8_ARRAY)])?;
        self.batch(
            context,
            "SET LOCAL enable_seqscan TO DEFAULT; SET LOCAL jit TO DEFAULT",
        )?;
        Ok(found.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// The stored gestures with `ids`, answered during a bulk load without the
    /// index of ids: an id's hash gives the `seq` of its row (held in memory,
    /// or set aside with it), and that row must carry the very id. Every row
    /// of the table came with the load, which began with it empty, so an id
    /// whose hash is not held is not stored. `None` when the load cannot
    /// answer: no load, some ids set aside may have been undone (a rollback),
    /// or a row carries another id (two ids share a hash, or its row was
    /// undone); the indexes are built and answer then. Before, a reversal in
    /// a load built every index, and every gesture after it went in through
    /// them: a million gestures with ids in no order, one in twenty reversing
    /// an earlier one, took 14 to 15 times as long as `psql \copy` of the
    /// file, 6 times so.
    pub(crate) fn bulk_gestures(
        &mut self,
        ids: &[&str],
    ) -> StoreResult<Option<Vec<StoredGesture>>> {
        found_in_load(ids, |ids| self.bulk_rows(ids))
    }

    /// The rows of `ids` as `bulk_gestures` finds them, each at its own time.
    fn bulk_rows(&mut self, ids: &[&str]) -> StoreResult<Option<Vec<StoredGesture>>> {
        let context = "reading gestures";
        let Bulk::Loading {
            built: None,
            ids: held,
            aside,
            ..
        } = &mut self.bulk
        else {
            return Ok(None);
        };
        let filter = match aside {
            IdsAside::None => None,
            IdsAside::Set(filter) => Some(filter),
            IdsAside::Lost => return Ok(None),
        };
        let mut seqs: FxHashMap<i64, &str> = FxHashMap::default();
        let mut unsure: Vec<i64> = Vec::new();
        for id in ids {
            let hash = id_hash(id);
            match held.get(hash) {
                Some(seq) => {
                    seqs.insert(seq, id);
                }
                None if filter.as_ref().is_some_and(|f| f.contains_hash(hash)) => {
                    unsure.push(hash as i64);
                }
                None => {}
            }
        }
        if !unsure.is_empty() {
            let aside: FxHashMap<i64, i64> = self.aside_seqs(&unsure)?.into_iter().collect();
            for id in ids {
                if let Some(seq) = aside.get(&(id_hash(id) as i64)) {
                    seqs.insert(*seq, id);
                }
            }
        }
        if seqs.is_empty() {
            return Ok(Some(Vec::new()));
        }
        self.index_seqs()?;
        let asked: Vec<i64> = seqs.keys().copied().collect();
        let found = self
            .query(
                context,
                &format!("{GESTURE_BY_SEQ} WHERE g.seq = ANY($1)"),
                &[&asked],
            )?
            .iter()
            .map(gesture_row)
            .collect::<StoreResult<Vec<StoredGesture>>>()?;
        if !rows_carry_asked_ids(&found, &seqs) {
            return Ok(None);
        }
        self.bulk_seen.found_in_load += found.len() as u64;
        Ok(Some(found))
    }

    /// Builds the key of `seq` during a bulk load, for its first lookup by id
    /// (see `bulk_gestures`); the rows copied in after go into it at its end.
    fn index_seqs(&mut self) -> StoreResult<()> {
        if let Bulk::Loading {
            built: None,
            seq_indexed: None,
            ..
        } = self.bulk
        {
            self.batch("indexing the gestures", schema::GESTURE_SEQ_KEY_BUILD)?;
            if let Bulk::Loading { seq_indexed, .. } = &mut self.bulk {
                *seq_indexed = Some(self.depth);
            }
        }
        Ok(())
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
            let tables = match self.bulk {
                Bulk::Loading { aside_tables, .. } => aside_tables,
                _ => 0,
            };
            if matches!(
                self.bulk,
                Bulk::Loading {
                    seq_indexed: None,
                    ..
                }
            ) {
                self.batch("indexing the gestures", schema::GESTURE_SEQ_KEY_BUILD)?;
            }
            self.batch("indexing the gestures", schema::GESTURE_INDEXES_BUILD)?;
            if tables > 0 {
                let names: Vec<String> =
                    (0..tables).map(|k| format!("bulk_id_hashes_{k}")).collect();
                self.batch(
                    "indexing the gestures",
                    &format!("DROP TABLE IF EXISTS {}", names.join(", ")),
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
    /// Every gesture is new, and its reversals checked: it is copied in bulk.
    New,
    /// Reversals not checked yet: the batch is checked as in any write first,
    /// and copied then (`copy_in_bulk`); the load goes on.
    Reversals,
    /// An id that may repeat one copied before: the indexes are built, and
    /// the batch goes through them.
    Repeats,
    /// The ids held would pass the most: they are set aside before the batch
    /// is judged.
    SetAsideFirst,
    /// New as far as the ids held tell, but the filter of those set aside
    /// cannot rule these hashes out: the table of them answers.
    LookUp(Vec<i64>),
}

/// A batch of `n` gestures, as [`judge`] is asked about it: numbered from
/// `first` should it be copied, its reversals `checked` or not.
#[derive(Debug, Clone, Copy)]
struct Judged {
    n: usize,
    first: i64,
    checked: bool,
}

/// Judges a batch for the bulk load `bulk`, which holds `most` ids in memory
/// before it sets them aside (a quarter of that after it first has), and
/// holds the batch's from now on when they are new.
fn judge<'g>(
    bulk: &mut Bulk,
    most: usize,
    judged: Judged,
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
    if !judged.checked && gestures.clone().any(|g| g.reverses.is_some()) {
        return Verdict::Reversals;
    }
    let n = judged.n;
    if !ids.is_empty() && ids.len() + n > most {
        return Verdict::SetAsideFirst;
    }
    if !hold_new(ids, n, most, gestures.clone(), judged.first) {
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
