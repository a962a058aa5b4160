//! Gestures on PostgreSQL: copied in with `COPY` when a batch is large, read
//! back by id when a batch meets stored ids, inserted one by one otherwise.
//!
//! A row holds the columns every gesture fills, the fixed widths first and the id
//! last, and one composite column, `details` (`gesture_details`: the
//! organizations named, the note, the item, the gesture reversed), NULL when a
//! gesture carries none: eight columns keep a row's NULLs in its header. Party and
//! kind numbers are `INTEGER` there (their sequences stop at 2³¹−1) and are read as
//! `int8` ([`GESTURE_SELECT`]). A gesture with a short id takes 72 bytes rather
//! than 96, and a bulk load copies in a fifth less time.
//!
//! A batch of [`COPY_ROWS_MIN`] or more goes in by `COPY` inside a savepoint; one
//! that meets a stored id (or repeats one) fails there, the gestures of the batch
//! stored already are read in one statement and answered with, and the rest go in
//! as a batch of their own, with `ON CONFLICT DO NOTHING` when they repeat an id
//! among themselves. A re-import of a million stored gestures took 4.5 s this
//! way, 9.5 s when every row was offered to `ON CONFLICT` first. Read with the
//! plan for any ids ([`PostgresStore::query_generic`]) it took 3.2–3.8 s, and
//! 2.6–3.0 s with ids in order read as ranges (`stored_gestures`).

use std::collections::HashSet;

use rustc_hash::{FxHashMap, FxHashSet};

use balans_core::{Dimension, Gesture, GestureId, KindId, Moment, PartyId, StoredGesture};
use balans_store::store::{Flow, GestureFilter, GestureStore, StoreError, StoreResult};
use postgres::Row;
use postgres::types::ToSql;

use crate::bulk::COPY_ROWS_MIN;
use crate::connection::{PostgresStore, ROWS_PER_STATEMENT, amount, corrupt, pg_error, rows};
use crate::copy;

/// Party and kind numbers are `INTEGER` in the gestures table and `BIGINT`
/// everywhere else; they are read and compared as `int8`.
/// The fewest ids in order that are read as a range (see `stored_gestures`).
const RANGE_MIN: usize = 64;

/// The fewest ids looked up with the plan for any ids (see `query_generic`).
const GENERIC_PLAN_MIN: usize = 256;

/// How many batches of ids in order are looked up id by id after a range held
/// too many others.
const RANGES_SKIPPED: u32 = 16;

/// The columns `gesture_row` takes, but the time a gesture counts at.
macro_rules! gesture_columns {
    () => {
        "SELECT g.seq, g.id, g.at_ms, g.giver::int8, g.receiver::int8, (g.details).giver_org::int8, (g.details).receiver_org::int8, g.kind::int8, \
         k.dimension, g.amount_minor, (g.details).note, (g.details).item, (g.details).reverses, "
    };
}

/// Reads gestures as `gesture_row` takes them. The time of the gesture a
/// reversal reverses is looked up for reversals alone: joined for every row,
/// the lookup's empty index scans took about as long as the rows themselves
/// (a range of 16,384 stored gestures read in 13 ms instead of 6).
pub(crate) const GESTURE_SELECT: &str = concat!(
    gesture_columns!(),
    "CASE WHEN (g.details).reverses IS NULL THEN g.at_ms \
     ELSE COALESCE((SELECT o.at_ms FROM gestures o WHERE o.id = (g.details).reverses), g.at_ms) END \
     FROM gestures g JOIN kinds k ON k.id = g.kind"
);

/// Reads gestures as `gesture_row` takes them, each at its own time: for a
/// bulk load, which finds a reversal's original itself (`bulk_gestures`).
pub(crate) const GESTURE_BY_SEQ: &str = concat!(
    gesture_columns!(),
    "g.at_ms FROM gestures g JOIN kinds k ON k.id = g.kind"
);

/// The gestures of `rows` (read with [`GESTURE_SELECT`]) whose ids are
/// among `ids`, by id.
fn asked_among(ids: &[&str], rows: &[Row]) -> StoreResult<FxHashMap<String, StoredGesture>> {
    let asked: FxHashSet<&str> = ids.iter().copied().collect();
    let mut stored = FxHashMap::default();
    stored.reserve(ids.len());
    for row in rows {
        if asked.contains(row.get::<_, &str>(1)) {
            let gesture = gesture_row(row)?;
            stored.insert(gesture.gesture.id.as_str().to_string(), gesture);
        }
    }
    Ok(stored)
}

pub(crate) fn gesture_id(text: &str) -> StoreResult<GestureId> {
    GestureId::parse(text)
        .ok()
        .flatten()
        .ok_or_else(|| corrupt("gesture id"))
}

pub(crate) fn gesture_row(row: &Row) -> StoreResult<StoredGesture> {
    Ok(StoredGesture {
        seq: row.get(0),
        gesture: Gesture {
            id: gesture_id(row.get(1))?,
            at: Moment::from_millis(row.get(2)),
            giver: PartyId(row.get(3)),
            receiver: PartyId(row.get(4)),
            giver_org: row.get::<_, Option<i64>>(5).map(PartyId),
            receiver_org: row.get::<_, Option<i64>>(6).map(PartyId),
            kind: KindId(row.get(7)),
            dimension: Dimension::from_code(row.get(8)).ok_or_else(|| corrupt("dimension"))?,
            amount: amount(row.get(9))?,
            note: row.get(10),
            item: row.get(11),
            reverses: row.get::<_, Option<&str>>(12).map(gesture_id).transpose()?,
        },
        attributed_at: Moment::from_millis(row.get(13)),
    })
}

impl PostgresStore {
    /// Stores gestures with `INSERT … ON CONFLICT DO NOTHING`, telling which ones
    /// were stored already.
    pub(crate) fn insert_gestures_one_by_one(
        &mut self,
        gestures: &[&Gesture],
    ) -> StoreResult<Vec<Option<Box<StoredGesture>>>> {
        let context = "storing gestures";
        let mut inserted: HashSet<String> = HashSet::with_capacity(gestures.len());
        for chunk in gestures.chunks(ROWS_PER_STATEMENT) {
            let ids: Vec<&str> = chunk.iter().map(|g| g.id.as_str()).collect();
            let at: Vec<i64> = chunk.iter().map(|g| g.at.millis()).collect();
            let giver: Vec<i64> = chunk.iter().map(|g| g.giver.0).collect();
            let receiver: Vec<i64> = chunk.iter().map(|g| g.receiver.0).collect();
            let giver_org: Vec<Option<i64>> =
                chunk.iter().map(|g| g.giver_org.map(|p| p.0)).collect();
            let receiver_org: Vec<Option<i64>> =
                chunk.iter().map(|g| g.receiver_org.map(|p| p.0)).collect();
            let kind: Vec<i64> = chunk.iter().map(|g| g.kind.0).collect();
            let amount: Vec<i64> = chunk.iter().map(|g| g.amount.minor()).collect();
            let note: Vec<Option<&str>> = chunk.iter().map(|g| g.note.as_deref()).collect();
            let item: Vec<Option<&str>> = chunk.iter().map(|g| g.item.as_deref()).collect();
            let reverses: Vec<Option<&str>> = chunk
                .iter()
                .map(|g| g.reverses.as_ref().map(GestureId::as_str))
                .collect();
            // WITH ORDINALITY keeps the batch's order, so `seq` follows it.
            let stored = self.query(
                context,
                "INSERT INTO gestures (id, at_ms, giver, receiver, kind, amount_minor, details) \
                 SELECT id, at_ms, giver, receiver, kind, amount_minor, \
                        CASE WHEN num_nonnulls(giver_org, receiver_org, note, item, reverses) > 0 \
                             THEN ROW(giver_org::int4, receiver_org::int4, note, item, reverses)::gesture_details END \
                 FROM UNNEST($1::text[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[], $8::int8[], $9::text[], $10::text[], $11::text[]) \
                 WITH ORDINALITY AS t(id, at_ms, giver, receiver, giver_org, receiver_org, kind, amount_minor, note, item, reverses, n) \
                 ORDER BY n ON CONFLICT (id) DO NOTHING RETURNING id",
                &[&ids, &at, &giver, &receiver, &giver_org, &receiver_org, &kind, &amount, &note, &item, &reverses],
            )?;
            inserted.extend(stored.iter().map(|r| r.get::<_, String>(0)));
        }
        // The first row with an id was stored; any later one with the same id, in
        // this batch or before it, is answered with the stored gesture.
        let mut conflicts = Vec::new();
        let mut outcomes = Vec::with_capacity(gestures.len());
        for (index, g) in gestures.iter().enumerate() {
            if inserted.remove(g.id.as_str()) {
                outcomes.push(None);
            } else {
                conflicts.push(index);
                outcomes.push(None);
            }
        }
        if !conflicts.is_empty() {
            let ids: Vec<&str> = conflicts.iter().map(|&i| gestures[i].id.as_str()).collect();
            let stored = self.stored_gestures(&ids)?;
            for index in conflicts {
                let id = &gestures[index].id;
                let found = stored.get(id.as_str()).cloned().ok_or_else(|| {
                    StoreError::Corrupt(format!("gesture '{id}' conflicts but cannot be read"))
                })?;
                outcomes[index] = Some(Box::new(found));
            }
        }
        Ok(outcomes)
    }

    /// The stored gestures with any of `ids`, by id. Ids in order (as a
    /// system numbering its rows with a fixed width writes them, and as a
    /// re-import of its file offers them) are read as one range of the index
    /// of ids, a descent and a walk along its leaves: 15 ms for 16,384 stored
    /// gestures against 38 ms for looking each id up. A range that holds more
    /// than twice as many ids as asked for (other gestures' ids between them)
    /// is given up at that many rows, and the next [`RANGES_SKIPPED`] batches
    /// in order are looked up id by id.
    pub(crate) fn stored_gestures(
        &mut self,
        ids: &[&str],
    ) -> StoreResult<FxHashMap<String, StoredGesture>> {
        let context = "reading gestures";
        let many = ids.len() >= RANGE_MIN;
        let in_order = many && ids.windows(2).all(|w| w[0] < w[1]);
        if many && self.ranges_skipped > 0 {
            self.ranges_skipped -= 1;
        } else if many && !in_order {
            return self.stored_in_turn(ids);
        } else if in_order {
            let (first, last) = (ids[0], ids[ids.len() - 1]);
            let most = 2 * ids.len() as i64;
            let found = self.query(
                context,
                &format!("{GESTURE_SELECT} WHERE g.id BETWEEN $1 AND $2 LIMIT $3"),
                &[&first, &last, &most],
            )?;
            if (found.len() as i64) < most {
                return asked_among(ids, &found);
            }
            self.ranges_skipped = RANGES_SKIPPED;
        }
        self.stored_by_id(ids, ids.len() >= GENERIC_PLAN_MIN)
    }

    /// The stored gestures with any of `ids` (many, in no order), read as
    /// the run of gestures stored between the first id's and the last's
    /// when that run is short: a file imported again offers each batch's
    /// gestures in the order they were stored, however its ids sort. 16,384
    /// ids in no order of ten million, looked up one by one, took some 100 ms,
    /// each on an index page of its own. The ids not in the run are looked up
    /// one by one; when they are most of them, the next [`RANGES_SKIPPED`]
    /// batches are looked up so from the start.
    fn stored_in_turn(&mut self, ids: &[&str]) -> StoreResult<FxHashMap<String, StoredGesture>> {
        let context = "reading gestures";
        let ends: Vec<i64> = self
            .query(
                context,
                "SELECT seq FROM gestures WHERE id = $1 OR id = $2",
                &[&ids[0], &ids[ids.len() - 1]],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let (low, high) = match ends[..] {
            [a, b] if (a - b).abs() < 2 * ids.len() as i64 => (a.min(b), a.max(b)),
            _ => {
                self.ranges_skipped = RANGES_SKIPPED;
                return self.stored_by_id(ids, ids.len() >= GENERIC_PLAN_MIN);
            }
        };
        let found = self.query(
            context,
            &format!("{GESTURE_SELECT} WHERE g.seq BETWEEN $1 AND $2"),
            &[&low, &high],
        )?;
        let mut stored = asked_among(ids, &found)?;
        let missing: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| !stored.contains_key(*id))
            .collect();
        if missing.len() > ids.len() / 2 {
            self.ranges_skipped = RANGES_SKIPPED;
        }
        if !missing.is_empty() {
            stored.extend(self.stored_by_id(&missing, missing.len() >= GENERIC_PLAN_MIN)?);
        }
        Ok(stored)
    }

    /// The stored gestures with any of `ids`, each looked up by its id, with
    /// the plan for any ids when `generic` (see `query_generic`).
    fn stored_by_id(
        &mut self,
        ids: &[&str],
        generic: bool,
    ) -> StoreResult<FxHashMap<String, StoredGesture>> {
        let context = "reading gestures";
        let sql = format!("{GESTURE_SELECT} WHERE g.id = ANY($1)");
        // Planned as they come unless `generic`: a few ids (a retried write
        // looks up one) are spared the two round trips of setting the plan,
        // and a look-up while a load's table grows gets a plan for its size.
        let found = if !generic {
            self.query(context, &sql, &[&ids])?
        } else {
            self.query_generic(context, &sql, &[&ids])?
        };
        let mut stored = FxHashMap::default();
        stored.reserve(found.len());
        for row in &found {
            let gesture = gesture_row(row)?;
            stored.insert(gesture.gesture.id.as_str().to_string(), gesture);
        }
        Ok(stored)
    }

    /// Copies a batch of new gestures in, in order, numbered from the sequence.
    pub(crate) fn copy_gestures(&mut self, gestures: &[&Gesture]) -> Result<(), copy::CopyFailed> {
        let n = gestures.len() as i64;
        // Writers hold the write lock, so no one else takes numbers in between.
        let last: i64 = self
            .client
            .query_one(
                "SELECT setval(pg_get_serial_sequence('gestures', 'seq'), nextval(pg_get_serial_sequence('gestures', 'seq')) + $1 - 1)",
                &[&n],
            )?
            .get(0);
        copy::copy_gestures(
            &mut self.client,
            &mut self.copy_buffer,
            last - n + 1,
            gestures,
        )
    }
}

impl GestureStore for PostgresStore {
    fn insert_gestures(
        &mut self,
        gestures: &[&Gesture],
    ) -> StoreResult<Vec<Option<Box<StoredGesture>>>> {
        // The fast path: COPY, with `seq` taken from the sequence in one step. A
        // batch with an id stored already (a retry, a re-import) or twice in itself
        // fails as a whole inside its savepoint and takes the careful path. After
        // a batch that held stored gestures, the next goes straight to the
        // careful path: a re-import repeats them batch after batch, and a copy
        // would send each whole batch to be refused at its first row.
        if gestures.len() >= COPY_ROWS_MIN && self.depth > 0 {
            let copy_tried = !self.stored_last;
            if copy_tried {
                if self.copy_in_bulk(gestures)? {
                    return Ok(vec![None; gestures.len()]);
                }
                let context = "storing gestures";
                self.batch(context, "SAVEPOINT copy_batch")?;
                match self.copy_gestures(gestures) {
                    Ok(()) => {
                        self.copied += gestures.len() as u64;
                        self.batch(context, "RELEASE SAVEPOINT copy_batch")?;
                        return Ok(vec![None; gestures.len()]);
                    }
                    Err(e) => {
                        self.batch(
                            context,
                            "ROLLBACK TO SAVEPOINT copy_batch; RELEASE SAVEPOINT copy_batch",
                        )?;
                        if !e.is_unique_violation() {
                            return Err(e.into_store(context));
                        }
                    }
                }
            }
            // A re-import repeats whole batches: the gestures stored already are
            // read in one statement and answered with, and only the others are
            // written, as a batch of their own. Were all offered to
            // `INSERT … ON CONFLICT` first, a batch stored already would cost
            // PostgreSQL a refused insert per row before the same read.
            self.build_indexes()?;
            let ids: Vec<&str> = gestures.iter().map(|g| g.id.as_str()).collect();
            let mut stored = self.stored_gestures(&ids)?;
            self.stored_last = !stored.is_empty();
            if stored.is_empty() && !copy_tried {
                // None stored after all: the fast path again.
                return self.insert_gestures(gestures);
            }
            if stored.len() == gestures.len() {
                // One stored gesture for each: all are stored, each id once,
                // and each is answered with its own.
                return gestures
                    .iter()
                    .map(|g| {
                        stored
                            .remove(g.id.as_str())
                            .map(|found| Some(Box::new(found)))
                            .ok_or_else(|| corrupt("a stored gesture for every id"))
                    })
                    .collect();
            }
            if !stored.is_empty() {
                let new: Vec<&Gesture> = gestures
                    .iter()
                    .filter(|g| !stored.contains_key(g.id.as_str()))
                    .copied()
                    .collect();
                // The others are new: copied, not looked up again.
                self.stored_last = false;
                let mut written = self.insert_gestures(&new)?.into_iter();
                self.stored_last = true;
                return gestures
                    .iter()
                    .map(|g| match stored.get(g.id.as_str()) {
                        Some(found) => Ok(Some(Box::new(found.clone()))),
                        None => written
                            .next()
                            .ok_or_else(|| corrupt("an answer for every new gesture")),
                    })
                    .collect();
            }
        }
        self.build_indexes()?;
        self.insert_gestures_one_by_one(gestures)
    }

    fn gesture(&mut self, id: &GestureId) -> StoreResult<Option<StoredGesture>> {
        // A lookup by id during a bulk load is answered from the load, or
        // builds the indexes first.
        if let Some(found) = self.bulk_gestures(&[id.as_str()])? {
            return Ok(found.into_iter().next());
        }
        self.build_indexes()?;
        self.query_opt(
            "reading a gesture",
            &format!("{GESTURE_SELECT} WHERE g.id = $1"),
            &[&id.as_str()],
        )?
        .as_ref()
        .map(gesture_row)
        .transpose()
    }

    fn gestures_by_ids(&mut self, ids: &[&str]) -> StoreResult<Vec<StoredGesture>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(found) = self.bulk_gestures(ids)? {
            return Ok(found);
        }
        self.build_indexes()?;
        // Planned each time: a plan for any ids, made while a load's table
        // was small, read the whole table for every batch once it had grown
        // (a million gestures, one in twenty a reversal: 9 s a batch).
        Ok(self.stored_by_id(ids, false)?.into_values().collect())
    }

    // The index of reversals stays through a bulk load: it is read as it is.
    fn reversal_of(&mut self, id: &GestureId) -> StoreResult<Option<GestureId>> {
        self.query_opt(
            "reading a gesture",
            "SELECT id FROM gestures WHERE (details).reverses = $1",
            &[&id.as_str()],
        )?
        .map(|r| gesture_id(r.get(0)))
        .transpose()
    }

    fn reversals_of(&mut self, ids: &[&GestureId]) -> StoreResult<Vec<(GestureId, GestureId)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
        self.query(
            "reading a gesture",
            "SELECT (details).reverses, id FROM gestures WHERE (details).reverses = ANY($1)",
            &[&ids],
        )?
        .iter()
        .map(|r| Ok((gesture_id(r.get(0))?, gesture_id(r.get(1))?)))
        .collect()
    }

    fn for_each_gesture(
        &mut self,
        visit: &mut dyn FnMut(StoredGesture) -> StoreResult<()>,
    ) -> StoreResult<()> {
        self.build_indexes()?;
        let sql = format!("{GESTURE_SELECT} ORDER BY g.seq");
        self.stream_gestures_of("reading gestures", &sql, &[], visit)
    }

    fn for_each_flow_between(
        &mut self,
        from: Moment,
        until: Moment,
        visit: &mut dyn FnMut(Flow) -> StoreResult<()>,
    ) -> StoreResult<()> {
        use postgres::fallible_iterator::FallibleIterator;
        self.build_indexes()?;
        let context = "reading a window of gestures";
        let statement = self.statement(
            context,
            "SELECT g.giver::int8, g.receiver::int8, (g.details).giver_org::int8, (g.details).receiver_org::int8, \
             g.kind::int8, g.amount_minor, g.at_ms, COALESCE(o.at_ms, g.at_ms) \
             FROM gestures g LEFT JOIN gestures o ON o.id = (g.details).reverses \
             WHERE g.at_ms >= $1 AND g.at_ms < $2",
        )?;
        let mut rows = self
            .client
            .query_raw(&statement, [from.millis(), until.millis()].iter())
            .map_err(pg_error(context))?;
        while let Some(row) = rows.next().map_err(pg_error(context))? {
            visit(Flow {
                giver: PartyId(row.get(0)),
                receiver: PartyId(row.get(1)),
                giver_org: row.get::<_, Option<i64>>(2).map(PartyId),
                receiver_org: row.get::<_, Option<i64>>(3).map(PartyId),
                kind: KindId(row.get(4)),
                amount: amount(row.get(5))?,
                at: Moment::from_millis(row.get(6)),
                attributed_at: Moment::from_millis(row.get(7)),
            })?;
        }
        Ok(())
    }

    fn gesture_count(&mut self) -> StoreResult<u64> {
        self.count("counting gestures", "SELECT COUNT(*) FROM gestures")
    }

    fn has_gestures(&mut self) -> StoreResult<bool> {
        Ok(self
            .query_opt(
                "looking for gestures",
                "SELECT EXISTS (SELECT 1 FROM gestures)",
                &[],
            )?
            .is_some_and(|r| r.get::<_, bool>(0)))
    }

    /// The statement names only the conditions the filter sets and is planned
    /// for its parameters each time: one statement for all, with `$n IS NULL
    /// OR …` for each, kept prepared, let PostgreSQL settle on a plan for any
    /// parameters after five runs, which walked the index of times for a
    /// customer's gestures (1 s over a million, instead of 4 ms).
    fn find_gestures(&mut self, f: &GestureFilter) -> StoreResult<Vec<StoredGesture>> {
        self.build_indexes()?;
        let mut conditions: Vec<String> = Vec::new();
        let mut params: Vec<Box<dyn ToSql + Sync>> = Vec::new();
        let mut add = |condition: &str, value: Box<dyn ToSql + Sync>| {
            params.push(value);
            conditions.push(condition.replace("$?", &format!("${}", params.len())));
        };
        for party in [f.party, f.counterpart].into_iter().flatten() {
            add(
                "(g.giver = $?::int8 OR g.receiver = $?::int8)",
                Box::new(party.0),
            );
        }
        if let Some(kind) = f.kind {
            add("g.kind = $?::int8", Box::new(kind.0));
        }
        if let Some(item) = &f.item {
            add("(g.details).item = $?::text", Box::new(item.clone()));
        }
        if let Some(from) = f.from {
            add("g.at_ms >= $?::int8", Box::new(from.millis()));
        }
        if let Some(until) = f.until {
            add("g.at_ms < $?::int8", Box::new(until.millis()));
        }
        if let Some(any) = &f.any_of {
            let ids: Vec<i64> = any.iter().map(|p| p.0).collect();
            add(
                "(g.giver = ANY($?::int8[]) OR g.receiver = ANY($?::int8[]))",
                Box::new(ids),
            );
        }
        if let Some(text) = &f.text {
            add(
                "(strpos(lower((g.details).note), $?::text) > 0 OR strpos(lower((g.details).item), $?::text) > 0)",
                Box::new(text.to_ascii_lowercase()),
            );
        }
        let order = match (f.newest_first, f.after_seq) {
            (true, Some(seq)) => {
                add(
                    "(g.at_ms, g.seq) < (SELECT c.at_ms, c.seq FROM gestures c WHERE c.seq = $?::int8)",
                    Box::new(seq),
                );
                "ORDER BY g.at_ms DESC, g.seq DESC"
            }
            (true, None) => "ORDER BY g.at_ms DESC, g.seq DESC",
            (false, seq) => {
                add("g.seq > $?::int8", Box::new(seq.unwrap_or(0)));
                "ORDER BY g.seq"
            }
        };
        params.push(Box::new(i64::try_from(f.limit).unwrap_or(i64::MAX)));
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!("{GESTURE_SELECT} {filter} {order} LIMIT ${}", params.len());
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref()).collect();
        // Planned for its parameters each time, never kept prepared: a plan
        // for any parameters walks the index of times whatever the filter.
        let context = "listing gestures";
        self.carried = None;
        self.send_savepoints(context)?;
        let found = self
            .client
            .query(sql.as_str(), &params)
            .map_err(pg_error(context))?;
        rows(found, gesture_row)
    }

    fn kind_totals(&mut self, from: Moment, until: Moment) -> StoreResult<Vec<(KindId, u64, i64)>> {
        let found = self.query(
            "counting gestures by kind",
            "SELECT kind::int8, COUNT(*), SUM(amount_minor)::int8 FROM gestures WHERE at_ms >= $1 AND at_ms < $2 GROUP BY kind",
            &[&from.millis(), &until.millis()],
        )?;
        Ok(found
            .iter()
            .map(|r| (KindId(r.get(0)), r.get::<_, i64>(1) as u64, r.get(2)))
            .collect())
    }

    fn credit_hours(
        &mut self,
        party: PartyId,
        credit_kinds: &[KindId],
    ) -> StoreResult<Vec<(i64, i64, i64)>> {
        let kinds: Vec<i64> = credit_kinds.iter().map(|k| k.0).collect();
        let found = self.query(
            "reading a party's credit",
            "SELECT at_ms / 3600000, \
                    SUM(CASE WHEN giver = $1::int8 THEN amount_minor ELSE 0 END)::int8, \
                    SUM(CASE WHEN receiver = $1 THEN amount_minor ELSE 0 END)::int8 \
             FROM gestures WHERE (giver = $1 OR receiver = $1) AND kind = ANY($2::int8[]) \
             GROUP BY 1 ORDER BY 1",
            &[&party.0, &kinds],
        )?;
        Ok(found
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }
}

impl PostgresStore {
    /// Hands every gesture `sql` selects to `visit`, one row at a time.
    fn stream_gestures_of(
        &mut self,
        context: &str,
        sql: &str,
        params: &[i64],
        visit: &mut dyn FnMut(StoredGesture) -> StoreResult<()>,
    ) -> StoreResult<()> {
        use postgres::fallible_iterator::FallibleIterator;
        let statement = self.statement(context, sql)?;
        let mut rows = self
            .client
            .query_raw(&statement, params.iter())
            .map_err(pg_error(context))?;
        while let Some(row) = rows.next().map_err(pg_error(context))? {
            visit(gesture_row(&row)?)?;
        }
        Ok(())
    }
}
