//! Gestures on SQLite: stored in order, found by id, listed with a filter.

use std::collections::HashMap;

use balans_core::{Dimension, Gesture, GestureId, KindId, Moment, PartyId, StoredGesture};
use balans_store::store::{
    BulkIds, BulkLoad, Flow, GestureFilter, GestureStore, StoreError, StoreResult, found_in_load,
    hold_new, id_hash, rows_carry_asked_ids,
};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, params};
use rustc_hash::FxHashMap;

use crate::connection::{SqliteStore, amount, backend, corrupt};
use crate::rows::IntRows;

// Subqueries, not joins: SQLite prepares a join whose WHERE holds a parameter again
// on every run (it propagates the bound value into the plan).
pub(crate) const GESTURE_SELECT: &str = "SELECT g.seq, g.id, g.at_ms, g.giver, g.receiver, g.giver_org, g.receiver_org, g.kind, \
     (SELECT k.dimension FROM kinds k WHERE k.id = g.kind), g.amount_minor, g.note, g.item, g.reverses, \
     COALESCE((SELECT o.at_ms FROM gestures o WHERE o.id = g.reverses), g.at_ms) \
     FROM gestures g";

/// The size of the filter of ids set aside (see `set_aside_any`): 16 MiB,
/// whatever the number of ids. Ten million set aside leave some 30 ids of a
/// batch of 16,384 not ruled out, each looked up in the table of hashes, where
/// every id of every batch was before: ten million gestures with ids in no
/// order took 56 s so; 64 s without it, once that table held where each row
/// went too (58 s before it did).
const ASIDE_FILTER_BITS: usize = 1 << 27;

/// Rows of ids set aside written by one statement.
const ASIDE_PART: usize = 65_536;

/// A filter of ids set aside with nothing in it, seeded alike in every load.
fn aside_filter() -> Box<fastbloom::BloomFilter> {
    Box::new(
        fastbloom::BloomFilter::with_num_bits(ASIDE_FILTER_BITS)
            .seed(&0x6261_6c61_6e73)
            .hashes(8),
    )
}

/// The page cache of a read of a whole table (see `scanning`), as
/// `PRAGMA cache_size` takes it (negative: in KiB): 2 MiB.
const SCAN_CACHE_SIZE: i64 = -2_048;

/// Ids this many or more are read as a run of the table first, where they
/// may be (see `stored_in_turn`).
const RUN_MIN: usize = 256;

/// [`GESTURE_SELECT`] at each gesture's own time, without the index of ids
/// that finds a reversal's original (see `bulk_gestures`).
const GESTURE_BY_SEQ: &str = "SELECT g.seq, g.id, g.at_ms, g.giver, g.receiver, g.giver_org, g.receiver_org, g.kind, \
     (SELECT k.dimension FROM kinds k WHERE k.id = g.kind), g.amount_minor, g.note, g.item, g.reverses, g.at_ms \
     FROM gestures g";

pub(crate) fn gesture_id(text: String) -> rusqlite::Result<GestureId> {
    GestureId::parse(&text)
        .ok()
        .flatten()
        .ok_or_else(|| corrupt("gesture id"))
}

/// A window's gesture, and the id of the gesture it reverses if it is a reversal.
fn flow_row(row: &Row<'_>) -> rusqlite::Result<(Flow, Option<String>)> {
    let party = |i| row.get::<_, i64>(i).map(PartyId);
    let org = |i| row.get::<_, Option<i64>>(i).map(|id| id.map(PartyId));
    let at = Moment::from_millis(row.get(6)?);
    Ok((
        Flow {
            giver: party(0)?,
            receiver: party(1)?,
            giver_org: org(2)?,
            receiver_org: org(3)?,
            kind: KindId(row.get(4)?),
            amount: amount(row.get(5)?)?,
            at,
            attributed_at: at,
        },
        row.get(7)?,
    ))
}

pub(crate) fn gesture_row(row: &Row<'_>) -> rusqlite::Result<StoredGesture> {
    Ok(StoredGesture {
        seq: row.get(0)?,
        gesture: Gesture {
            id: gesture_id(row.get(1)?)?,
            at: Moment::from_millis(row.get(2)?),
            giver: PartyId(row.get(3)?),
            receiver: PartyId(row.get(4)?),
            giver_org: row.get::<_, Option<i64>>(5)?.map(PartyId),
            receiver_org: row.get::<_, Option<i64>>(6)?.map(PartyId),
            kind: KindId(row.get(7)?),
            dimension: Dimension::from_code(row.get(8)?).ok_or_else(|| corrupt("dimension"))?,
            amount: amount(row.get(9)?)?,
            note: row.get(10)?,
            item: row.get(11)?,
            reverses: row
                .get::<_, Option<String>>(12)?
                .map(gesture_id)
                .transpose()?,
        },
        attributed_at: Moment::from_millis(row.get(13)?),
    })
}

/// Runs an `INSERT INTO gestures` of the eleven columns, in table order, for
/// one gesture; how many rows it stored.
fn insert_row(insert: &mut rusqlite::CachedStatement<'_>, g: &Gesture) -> rusqlite::Result<usize> {
    insert.execute(params![
        g.id.as_str(),
        g.at.millis(),
        g.giver.0,
        g.receiver.0,
        g.giver_org.map(|p| p.0),
        g.receiver_org.map(|p| p.0),
        g.kind.0,
        g.amount.minor(),
        g.note,
        g.item,
        g.reverses.as_ref().map(GestureId::as_str),
    ])
}

impl GestureStore for SqliteStore {
    fn insert_gestures(
        &mut self,
        gestures: &[&Gesture],
    ) -> StoreResult<Vec<Option<Box<StoredGesture>>>> {
        let context = "storing a gesture";
        if std::mem::take(&mut self.ids_undecided) {
            // Ids in order (as a system numbering its rows with a fixed width
            // writes them) fill the index of ids at its end, cheaper than
            // building it after; ids in no order fill it at random, and it is
            // dropped until the load ends.
            let in_order = gestures
                .windows(2)
                .all(|w| w[0].id.as_str() < w[1].id.as_str());
            if !in_order {
                let (_, name, _) = GESTURE_INDEXES[0];
                self.run_cached("storing a gesture", &format!("DROP INDEX {name}"))?;
                self.bulk_ids = Some(BulkIds::default());
                self.bulk_next_seq = Some(self.last_seq(context)? + 1);
            }
        }
        if self.importing && !self.gesture_indexes_dropped {
            self.drop_indexes_when_many()?;
        }
        self.import_offered += gestures.len() as u64;
        if self.bulk_ids.is_some() {
            // Without the index of ids, new gestures whose ids did not come
            // before go straight in, each held with the `seq` it gets; anything
            // else needs that index. A reversal goes in so too: its original
            // was looked up from the load (`bulk_gestures`), and the index of
            // reversals, which stays, keeps each gesture reversed once.
            let most = self.ids_held_most();
            if self
                .bulk_ids
                .as_ref()
                .is_some_and(|ids| ids.len() + gestures.len() > most)
            {
                self.set_ids_aside()?;
            }
            let most = self.ids_held_most();
            let next = self.bulk_next_seq.unwrap_or(0);
            let new = self.bulk_ids.as_mut().is_some_and(|ids| {
                hold_new(ids, gestures.len(), most, gestures.iter().copied(), next)
            });
            if new && !self.set_aside_any(gestures)? {
                return self.insert_new_gestures(gestures);
            }
            self.restore_id_index()?;
        }
        // When most of the last batch was stored already (a re-import), the
        // batch's stored gestures are read first, in the order of their ids,
        // and only the rest offered to the table: offering each in the file's
        // order walked the index of ids at random, once to meet the conflict
        // and once to read it back.
        let mut stored = if self.mostly_stored {
            self.stored_gestures(gestures.iter().map(|g| g.id.as_str()))?
        } else {
            HashMap::new()
        };
        let mut outcomes: Vec<Option<Box<StoredGesture>>> = Vec::with_capacity(gestures.len());
        let mut conflicts = Vec::new();
        let mut added = 0_u64;
        let mut insert = self
            .connection
            .prepare_cached(
                "INSERT INTO gestures (id, at_ms, giver, receiver, giver_org, receiver_org, kind, amount_minor, note, item, reverses) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (id) DO NOTHING",
            )
            .map_err(backend(context))?;
        for (index, g) in gestures.iter().enumerate() {
            if let Some(found) = stored.get(g.id.as_str()) {
                outcomes.push(Some(Box::new(found.clone())));
                continue;
            }
            let inserted = insert_row(&mut insert, g).map_err(backend(context))?;
            if inserted == 0 {
                conflicts.push(index);
            }
            added += inserted as u64;
            outcomes.push(None);
        }
        drop(insert);
        self.import_rows += added;
        // The stored gestures the conflicts met (retries, an id twice in a
        // batch), read back in one statement.
        if !conflicts.is_empty() {
            stored = self.stored_gestures(conflicts.iter().map(|&i| gestures[i].id.as_str()))?;
        }
        for index in conflicts {
            let id = &gestures[index].id;
            let found = stored.get(id.as_str()).cloned().ok_or_else(|| {
                StoreError::Corrupt(format!("gesture '{id}' conflicts but cannot be read"))
            })?;
            outcomes[index] = Some(Box::new(found));
        }
        let present = outcomes.iter().filter(|o| o.is_some()).count();
        self.mostly_stored = present * 2 > gestures.len();
        Ok(outcomes)
    }

    fn gesture(&mut self, id: &GestureId) -> StoreResult<Option<StoredGesture>> {
        // A lookup by id during a bulk load is answered from the load, or
        // builds the index of ids first.
        if let Some(found) = self.bulk_gestures(&[id.as_str()])? {
            return Ok(found.into_iter().next());
        }
        self.restore_id_index()?;
        self.query_one(
            "reading a gesture",
            &format!("{GESTURE_SELECT} WHERE g.id = ?1"),
            [id.as_str()],
            gesture_row,
        )
    }

    fn gestures_by_ids(&mut self, ids: &[&str]) -> StoreResult<Vec<StoredGesture>> {
        if let Some(found) = self.bulk_gestures(ids)? {
            return Ok(found);
        }
        self.restore_id_index()?;
        Ok(self
            .stored_gestures(ids.iter().copied())?
            .into_values()
            .collect())
    }

    fn reversal_of(&mut self, id: &GestureId) -> StoreResult<Option<GestureId>> {
        self.query_one(
            "reading a gesture",
            "SELECT id FROM gestures WHERE reverses = ?1",
            [id.as_str()],
            |r| gesture_id(r.get(0)?),
        )
    }

    fn for_each_gesture(
        &mut self,
        visit: &mut dyn FnMut(StoredGesture) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let sql = format!("{GESTURE_SELECT} ORDER BY g.seq");
        self.stream_gestures_of("reading gestures", &sql, [], visit)
    }

    /// Read from the index of times alone, which holds every column asked for:
    /// how the rows lie in the table does not matter (1 M gestures stored out of
    /// time order: a 90-day window 170 ms through the table, 10 ms from the index).
    fn for_each_flow_between(
        &mut self,
        from: Moment,
        until: Moment,
        visit: &mut dyn FnMut(Flow) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let context = "reading a window of gestures";
        // A reversal counts at its original's time, read apart: reversals are
        // few, and an expression for it in the scan costs every row.
        let mut statement = self
            .connection
            .prepare_cached(
                "SELECT giver, receiver, giver_org, receiver_org, kind, amount_minor, at_ms, reverses \
                 FROM gestures INDEXED BY gestures_at WHERE at_ms >= ?1 AND at_ms < ?2",
            )
            .map_err(backend(context))?;
        let mut original = self
            .connection
            .prepare_cached("SELECT at_ms FROM gestures WHERE id = ?1")
            .map_err(backend(context))?;
        let mut rows = statement
            .query([from.millis(), until.millis()])
            .map_err(backend(context))?;
        while let Some(row) = rows.next().map_err(backend(context))? {
            let (mut flow, reverses) = flow_row(row).map_err(backend(context))?;
            if let Some(id) = reverses {
                let at: Option<i64> = original
                    .query_row([&id], |r| r.get(0))
                    .optional()
                    .map_err(backend(context))?;
                if let Some(at) = at {
                    flow.attributed_at = Moment::from_millis(at);
                }
            }
            visit(flow)?;
        }
        Ok(())
    }

    fn gesture_count(&mut self) -> StoreResult<u64> {
        let context = "counting gestures";
        self.scanning(context, |store| {
            store.query_one(context, "SELECT COUNT(*) FROM gestures", [], |r| {
                r.get::<_, i64>(0)
            })
        })
        .map(|n| n.unwrap_or(0) as u64)
    }

    fn has_gestures(&mut self) -> StoreResult<bool> {
        Ok(!self.is_empty("gestures")?)
    }

    fn find_gestures(&mut self, f: &GestureFilter) -> StoreResult<Vec<StoredGesture>> {
        if f.newest_first {
            return self.newest_first(f);
        }
        // Walks the gestures in stored order from the cursor; a filter by party
        // is read through the indexes by giver and receiver, of the party its
        // first condition names: between two parties, the one with fewer
        // gestures (a customer's few, not the thousands of the account manager
        // they deal with: 34 ms against 4 ms at a million gestures).
        let mut query = match (f.party, f.counterpart) {
            (Some(party), Some(counterpart))
                if self.gestures_naming(&[counterpart])? < self.gestures_naming(&[party])? =>
            {
                Filtered::of(&GestureFilter {
                    party: Some(counterpart),
                    counterpart: Some(party),
                    ..f.clone()
                })
            }
            _ => Filtered::of(f),
        };
        if let Some(after) = f.after_seq {
            query.add("g.seq > ?", Value::Integer(after));
        }
        query.run(self, "ORDER BY g.seq", f.limit)
    }

    fn kind_totals(&mut self, from: Moment, until: Moment) -> StoreResult<Vec<(KindId, u64, i64)>> {
        self.query(
            "counting gestures by kind",
            "SELECT kind, COUNT(*), SUM(amount_minor) FROM gestures WHERE at_ms >= ?1 AND at_ms < ?2 GROUP BY kind",
            [from.millis(), until.millis()],
            |r| Ok((KindId(r.get(0)?), r.get::<_, i64>(1)? as u64, r.get(2)?)),
        )
    }

    fn credit_hours(
        &mut self,
        party: PartyId,
        credit_kinds: &[KindId],
    ) -> StoreResult<Vec<(i64, i64, i64)>> {
        let kinds: Vec<rusqlite::types::Value> = credit_kinds
            .iter()
            .map(|k| rusqlite::types::Value::Integer(k.0))
            .collect();
        self.query(
            "reading a party's credit",
            "SELECT at_ms / 3600000, \
                    SUM(CASE WHEN giver = ?1 THEN amount_minor ELSE 0 END), \
                    SUM(CASE WHEN receiver = ?1 THEN amount_minor ELSE 0 END) \
             FROM gestures WHERE (giver = ?1 OR receiver = ?1) AND kind IN rarray(?2) \
             GROUP BY 1 ORDER BY 1",
            params![party.0, std::rc::Rc::new(kinds)],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    }
}

/// The conditions of a gesture filter as SQL. Only the conditions asked for are
/// in it, and the unindexed ones compare with `+?`: SQLite prepares a statement
/// again on every run when a parameter's value could decide its plan
/// (`?1 IS NULL`, `x = ?1 OR y = ?1`).
#[derive(Clone)]
struct Filtered {
    conditions: Vec<String>,
    values: Vec<Value>,
    any: Option<std::rc::Rc<Vec<Value>>>,
    /// Read through this index, whatever else the conditions could use: the
    /// index of times for a slice of time newest first (without it the planner
    /// may take a party's index and sort every gesture of a large
    /// organization), the one of gestures with text for a search.
    index: Option<&'static str>,
}

impl Filtered {
    fn of(f: &GestureFilter) -> Filtered {
        let mut query = Filtered {
            conditions: Vec::new(),
            values: Vec::new(),
            any: f
                .any_of
                .as_ref()
                .map(|ids| std::rc::Rc::new(ids.iter().map(|p| Value::Integer(p.0)).collect())),
            index: None,
        };
        if let Some(party) = f.party {
            query.add("(g.giver = +? OR g.receiver = +?)", Value::Integer(party.0));
        }
        if let Some(counterpart) = f.counterpart {
            query.add(
                "(g.giver = +? OR g.receiver = +?)",
                Value::Integer(counterpart.0),
            );
        }
        if let Some(kind) = f.kind {
            query.add("g.kind = +?", Value::Integer(kind.0));
        }
        if let Some(item) = &f.item {
            query.add("g.item = +?", Value::Text(item.clone()));
        }
        if let Some(text) = &f.text {
            query.add(
                "(instr(lower(g.note), ?) > 0 OR instr(lower(g.item), ?) > 0)",
                Value::Text(text.to_ascii_lowercase()),
            );
        }
        if let Some(from) = f.from {
            query.add("g.at_ms >= +?", Value::Integer(from.millis()));
        }
        if let Some(until) = f.until {
            query.add("g.at_ms < +?", Value::Integer(until.millis()));
        }
        query
    }

    /// Adds a condition; every `?` in it is the one value.
    fn add(&mut self, condition: &str, value: Value) {
        self.values.push(value);
        let n = self.values.len();
        self.conditions
            .push(condition.replace('?', &format!("?{n}")));
    }

    fn run(
        &self,
        store: &SqliteStore,
        order: &str,
        limit: usize,
    ) -> StoreResult<Vec<StoredGesture>> {
        let mut conditions = self.conditions.clone();
        let mut params: Vec<&dyn rusqlite::ToSql> = self
            .values
            .iter()
            .map(|v| v as &dyn rusqlite::ToSql)
            .collect();
        if let Some(any) = &self.any {
            let n = params.len() + 1;
            conditions.push(format!(
                "(g.giver IN rarray(?{n}) OR g.receiver IN rarray(?{n}))"
            ));
            params.push(any);
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        // The limit is written out: as a parameter it too is read by the planner.
        let index = self
            .index
            .map(|index| format!("INDEXED BY {index}"))
            .unwrap_or_default();
        let sql = format!("{GESTURE_SELECT} {index} {filter} {order} LIMIT {limit}");
        store.query("listing gestures", &sql, params.as_slice(), gesture_row)
    }
}

/// The newest gestures are looked for in slices of time, latest first, each
/// read through the index of the gestures' times: a slice of `SLICE_FIRST`
/// gestures, then twice as many, and so on. A filter that most gestures pass
/// (our own organization's page, the dashboard) is done within the first slice;
/// one that few pass stops slicing once the slices have read a
/// `1 / SLICE_SHARE_MAX` part of the table, and the rest is read in one pass in
/// stored order and sorted, which costs less than finding each row by the index.
/// A filter by parties that name at most `BY_PARTY_MAX` gestures (each party's
/// sums at person level count them) is read through the indexes by giver and
/// by receiver and sorted instead; so is one that names too few for the slices
/// to find a page.
/// 1 M gestures: our organization's page 21 ms before times were kept apart
/// from the stored order, 190 ms with one sorted pass; a rare party's page reads
/// the table once either way.
const SLICE_FIRST: usize = 2_048;
const SLICE_SHARE_MAX: i64 = 32;
/// 1 M gestures over a million pairs: a staff member's 6,000 gestures newest
/// first take a few milliseconds through the party indexes and sorted.
const BY_PARTY_MAX: i64 = 20_000;

impl SqliteStore {
    /// Hands every gesture `sql` selects to `visit`, one row at a time.
    fn stream_gestures_of(
        &self,
        context: &str,
        sql: &str,
        params: impl rusqlite::Params,
        visit: &mut dyn FnMut(StoredGesture) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let mut statement = self
            .connection
            .prepare_cached(sql)
            .map_err(backend(context))?;
        let mut rows = statement.query(params).map_err(backend(context))?;
        while let Some(row) = rows.next().map_err(backend(context))? {
            visit(gesture_row(row).map_err(backend(context))?)?;
        }
        Ok(())
    }

    /// How many gestures name any of `parties` (at most), from each party's sums
    /// at person level.
    fn gestures_naming(&self, parties: &[PartyId]) -> StoreResult<i64> {
        let ids: Vec<Value> = parties.iter().map(|p| Value::Integer(p.0)).collect();
        Ok(self
            .query(
                "listing gestures",
                "SELECT COALESCE(SUM(count), 0) FROM party_totals WHERE level = 0 AND party IN rarray(?1)",
                [std::rc::Rc::new(ids)],
                |r| r.get::<_, i64>(0),
            )?
            .first()
            .copied()
            .unwrap_or(0))
    }

    fn newest_first(&mut self, f: &GestureFilter) -> StoreResult<Vec<StoredGesture>> {
        let base = Filtered::of(f);
        if f.text.is_some() && self.few_with_text()? {
            return self.newest_with_text(f, base);
        }
        // Where the page starts: before the cursor's gesture in (time, seq).
        let cursor: Option<(i64, i64)> = match f.after_seq {
            None => None,
            Some(seq) => self
                .query(
                    "listing gestures",
                    "SELECT at_ms FROM gestures WHERE seq = ?1",
                    [seq],
                    |r| r.get::<_, i64>(0),
                )?
                .first()
                .map(|at| (*at, seq)),
        };
        let total: i64 = self
            .query(
                "listing gestures",
                "SELECT COALESCE(MAX(seq), 0) FROM gestures",
                [],
                |r| r.get(0),
            )?
            .first()
            .copied()
            .unwrap_or(0);
        // Each slice reads the times in `[lowest, upper]`; later slices end just
        // before the earlier one's `lowest`.
        let mut upper: Option<i64> = cursor.map(|(at, _)| at);
        let mut first_slice = true;
        let mut found: Vec<StoredGesture> = Vec::new();
        let mut slice = SLICE_FIRST.max(f.limit.saturating_mul(4));
        let mut read = 0_i64;
        // Parties whose gestures are too few for the slices to find a page go
        // straight to the one pass: how many gestures name them, the balances
        // at person level say (an upper bound with other conditions).
        let named: Option<i64> = match (f.party, &f.any_of) {
            (Some(party), _) => Some(self.gestures_naming(&[party])?),
            (None, Some(parties)) => Some(self.gestures_naming(parties)?),
            (None, None) => None,
        };
        if let Some(named) = named {
            let to_read = (f.limit as i64).saturating_mul(total) / named.max(1);
            if named <= BY_PARTY_MAX || to_read.saturating_mul(SLICE_SHARE_MAX) > total {
                read = total;
            }
        }
        loop {
            let wanted = f.limit - found.len();
            if wanted == 0 {
                return Ok(found);
            }
            let probe = format!(
                "SELECT at_ms FROM gestures INDEXED BY gestures_at {} ORDER BY at_ms DESC LIMIT 1 OFFSET {slice}",
                if upper.is_some() {
                    "WHERE at_ms <= ?1"
                } else {
                    ""
                }
            );
            let lowest = match upper {
                None => self.query("listing gestures", &probe, [], |r| r.get::<_, i64>(0))?,
                Some(at) => self.query("listing gestures", &probe, [at], |r| r.get::<_, i64>(0))?,
            }
            .first()
            .copied();
            read = read.saturating_add(slice as i64);
            // A slice that reaches back past `from` is the last one asked for.
            let reaches_from = f
                .from
                .is_some_and(|from| lowest.is_none_or(|l| l <= from.millis()));
            let last =
                !reaches_from && (lowest.is_none() || read.saturating_mul(SLICE_SHARE_MAX) > total);
            // In the last pass `+` keeps the index out: the rest is read in stored
            // order and sorted.
            let column = if last { "+g.at_ms" } else { "g.at_ms" };
            let mut query = Filtered {
                index: (!last).then_some("gestures_at"),
                ..base.clone()
            };
            match (first_slice, cursor, upper) {
                (true, Some((at, seq)), _) => {
                    query.add(&format!("{column} <= ?"), Value::Integer(at));
                    let n = query.values.len() + 1;
                    query.values.push(Value::Integer(at));
                    query.values.push(Value::Integer(seq));
                    query
                        .conditions
                        .push(format!("({column} < ?{n} OR g.seq < ?{})", n + 1));
                }
                (false, _, Some(at)) => query.add(&format!("{column} < ?"), Value::Integer(at)),
                _ => {}
            }
            if last {
                let mut rest = query.run(self, "ORDER BY +g.at_ms DESC, g.seq DESC", wanted)?;
                found.append(&mut rest);
                return Ok(found);
            }
            let lowest = match (reaches_from, f.from) {
                (true, Some(from)) => from.millis(),
                _ => lowest.unwrap_or(i64::MIN),
            };
            query.add("g.at_ms >= ?", Value::Integer(lowest));
            let mut page = query.run(self, "ORDER BY g.at_ms DESC, g.seq DESC", wanted)?;
            found.append(&mut page);
            if reaches_from {
                return Ok(found);
            }
            // The next slice ends just before this one's earliest time: the whole
            // of that time was in this slice.
            upper = Some(lowest);
            first_slice = false;
            slice = slice.saturating_mul(2);
        }
    }
}

/// A search of the gestures' text reads the gestures with a note or an item
/// newest first through their own index (`gestures_text`) when there are
/// fewer than this many: each costs a read of its row. With more, a scan of the
/// table in stored order costs less than that many reads in order of time
/// (1 M gestures, all with a note: 0.5 s scanned, 1.2 s through the index); a
/// store of a million gestures with none answers at once instead of in 0.1 s.
const TEXT_INDEX_MAX: i64 = 50_000;

impl SqliteStore {
    /// Whether fewer than [`TEXT_INDEX_MAX`] gestures have a note or an item:
    /// counted in their index alone, as far as that.
    fn few_with_text(&mut self) -> StoreResult<bool> {
        let counted: i64 = self
            .query(
                "searching gestures",
                &format!(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM gestures INDEXED BY gestures_text \
                     WHERE note IS NOT NULL OR item IS NOT NULL LIMIT {TEXT_INDEX_MAX})"
                ),
                [],
                |r| r.get(0),
            )?
            .first()
            .copied()
            .unwrap_or(0);
        Ok(counted < TEXT_INDEX_MAX)
    }

    /// [`SqliteStore::newest_first`] for a text, through the index of the
    /// gestures that have one.
    fn newest_with_text(
        &mut self,
        f: &GestureFilter,
        mut query: Filtered,
    ) -> StoreResult<Vec<StoredGesture>> {
        query
            .conditions
            .push("(g.note IS NOT NULL OR g.item IS NOT NULL)".into());
        query.index = Some("gestures_text");
        if let Some(seq) = f.after_seq {
            let at: Option<i64> = self
                .query(
                    "listing gestures",
                    "SELECT at_ms FROM gestures WHERE seq = ?1",
                    [seq],
                    |r| r.get(0),
                )?
                .first()
                .copied();
            if let Some(at) = at {
                let n = query.values.len() + 1;
                query.values.push(Value::Integer(at));
                query.values.push(Value::Integer(seq));
                query.conditions.push(format!(
                    "(g.at_ms < ?{n} OR (g.at_ms = ?{n} AND g.seq < ?{}))",
                    n + 1
                ));
            }
        }
        query.run(self, "ORDER BY g.at_ms DESC, g.seq DESC", f.limit)
    }
}

/// An import's gestures go in batch by batch, as any write's do: one file
/// takes them as fast as they come.
///
/// An import into an empty table goes without the gestures' secondary indexes
/// (times, giver, receiver), which are built once at its end: inserting a
/// million gestures into the index of times one by one, in the order of a file,
/// doubled the import's time (1.28 s → 2.50 s, 1 M gestures); building it from
/// the table takes a fraction of that (about 0.4 s for each index). The drop and
/// the build are in the import's write, so a failed import leaves the indexes as
/// they were, and [`SqliteStore::restore_gesture_indexes`] builds them before
/// any commit.
impl BulkLoad for SqliteStore {
    fn expect_many_gestures(&mut self) -> StoreResult<bool> {
        self.start_importing()?;
        if !self.gesture_indexes_dropped && self.is_empty("gestures")? {
            // The index of ids stays until the first batch tells whether
            // its ids come in order (see `insert_gestures`).
            for (_, name, _) in &GESTURE_INDEXES[1..] {
                self.run_cached("preparing an import", &format!("DROP INDEX {name}"))?;
            }
            self.gesture_indexes_dropped = true;
            self.ids_undecided = true;
            // With no gestures there are no balances either (unless a
            // store was damaged): their sums come in key order, and the
            // index by the high party, which they would fill in no order
            // (a fifth of a million pairs' import), is built once after.
            if !self.balance_index_dropped && self.is_empty("balances")? {
                self.run_cached("preparing an import", "DROP INDEX balances_high")?;
                self.balance_index_dropped = true;
            }
        }
        Ok(false)
    }

    fn gestures_expected(&mut self, rows: u64) -> StoreResult<()> {
        self.import_expected = self.import_offered.saturating_add(rows);
        Ok(())
    }

    fn many_gestures_written(&mut self) -> StoreResult<()> {
        self.restore_gesture_indexes()
    }
}

/// The page cache, in KiB, while an index is built: the most its sort holds in
/// memory per thread before it writes a sorted run. Runs that fit the
/// processor's caches sort faster than their merging costs: a million
/// gestures' four indexes took 1.05–1.59 s in runs of 2 MiB against
/// 1.54–1.96 s in runs of 8 MiB (a quarter of an import's cache, before), over
/// three shapes of data, two runs each; ten million, 12.7 s against 12.9 s.
pub const SORT_RUN_KIB: i64 = 2_048;

/// An import whose files hold at least this share of what the store held
/// (an eighth) adds many (see `drop_indexes_when_many`).
const ADDED_SHARE: u64 = 8;

/// The gestures' indexes an import into an empty table drops and builds once
/// after, as the migrations make them: the kind of index, its name, its
/// columns. While the unique one (first) is dropped, `SqliteStore::bulk_ids`
/// keeps ids from repeating.
pub(crate) const GESTURE_INDEXES: [(&str, &str, &str); 4] = [
    ("UNIQUE INDEX", "gestures_id", "(id)"),
    (
        "INDEX",
        "gestures_at",
        "(at_ms, giver, receiver, kind, amount_minor, giver_org, receiver_org, reverses)",
    ),
    ("INDEX", "gestures_giver", "(giver)"),
    ("INDEX", "gestures_receiver", "(receiver)"),
];

impl SqliteStore {
    /// The page cache this connection keeps now, as `PRAGMA cache_size` takes it.
    fn cache_size(&self) -> i64 {
        match self.importing {
            true => crate::open::IMPORT_CACHE_SIZE,
            false => crate::open::CACHE_SIZE,
        }
    }

    /// Drops the gestures' secondary indexes (see `GESTURE_INDEXES`) when the
    /// open import adds many to a store that held gestures before; they are
    /// built again over all of them at the end of the import, as after an
    /// import into an empty store. Many is `many_added_min` gestures or more,
    /// and either
    /// - an eighth of what the store held, as its files' sizes tell
    ///   (`gestures_expected`) while what it offered so far was mostly new (a
    ///   file imported again is not), or
    /// - a quarter of what the store held, added (a file of unknown size:
    ///   those added went through the indexes already; with an eighth, a
    ///   million added to seven million took 50 s against 38 s keeping them).
    ///
    /// Told the file's size, ten files of a million gestures each, imported
    /// one after another, took 132 s for the first eight, against 215 s
    /// waiting for the count. Filled gesture by gesture, each gesture touched
    /// a page of each index at random, read and written once the indexes
    /// outgrew the page cache: five million gestures (ids from another system)
    /// added to five million took 167 s, the first five million 28 s. Without
    /// the indexes of times, givers and receivers, 97 s; without that of ids
    /// too, the stored ids set aside instead (`set_stored_ids_aside`), 68 s.
    fn drop_indexes_when_many(&mut self) -> StoreResult<()> {
        let context = "storing a gesture";
        let stored = match self.stored_before_import {
            Some(n) => n,
            None => {
                let n = self.last_seq(context)?.max(0) as u64;
                self.stored_before_import = Some(n);
                n
            }
        };
        // As many as the files tell while their gestures have been mostly new
        // so far, or as added so far: counted, those have gone through the
        // indexes already, and what is left is not known, so only a quarter
        // of the store drops them then.
        let mostly_new = self.import_rows > 0 && self.import_rows * 2 >= self.import_offered;
        let expected = match mostly_new {
            true => self.import_expected,
            false => 0,
        };
        let many = expected
            .saturating_mul(ADDED_SHARE)
            .max(self.import_rows.saturating_mul(4));
        if stored > 0 && expected.max(self.import_rows) >= self.many_added_min && many >= stored {
            self.dropped_after = Some(self.import_rows);
            for (_, name, _) in &GESTURE_INDEXES {
                self.run_cached(context, &format!("DROP INDEX IF EXISTS {name}"))?;
            }
            self.gesture_indexes_dropped = true;
            // Without the index of ids, the load holds the ids it stores, and
            // every id stored before is set aside with its `seq`: an id found
            // in neither is not stored.
            self.bulk_ids = Some(BulkIds::default());
            self.bulk_next_seq = Some(self.last_seq(context)? + 1);
            self.set_stored_ids_aside()?;
        }
        Ok(())
    }

    /// The last `seq` a gesture got, 0 with none. Gestures are never
    /// deleted, so it counts them too, at once, where counting them reads an
    /// index of all of them.
    fn last_seq(&self, context: &str) -> StoreResult<i64> {
        Ok(self
            .query_one(
                context,
                "SELECT COALESCE(MAX(seq), 0) FROM gestures",
                [],
                |r| r.get(0),
            )?
            .unwrap_or(0))
    }

    /// Sets the id of every stored gesture aside, as its hash with its `seq`,
    /// for a load without the index of ids into a store that held gestures
    /// (see `drop_indexes_when_many`): read in the order of the table, into
    /// `temp.bulk_stored_hashes` in that order, then indexed by one sort, and
    /// into the filter of those set aside. Looked up there instead (one
    /// statement for the ids the filter cannot rule out in a batch), they no
    /// longer fill the index of ids at random: an index built again at the
    /// end costs a sort of all of them.
    fn set_stored_ids_aside(&mut self) -> StoreResult<()> {
        let context = "setting the stored ids aside";
        self.create_aside_tables()?;
        let mut filter = self.aside_filter.take().unwrap_or_else(aside_filter);
        let scanned = self.scanning(context, |store| {
            let mut read = store
                .connection
                .prepare("SELECT id, seq FROM gestures")
                .map_err(backend(context))?;
            let mut rows = read.query([]).map_err(backend(context))?;
            let mut part: Vec<(i64, i64)> = Vec::with_capacity(ASIDE_PART);
            let insert =
                "INSERT INTO temp.bulk_stored_hashes (hash, seq) SELECT c0, c1 FROM int_rows(?1)";
            while let Some(row) = rows.next().map_err(backend(context))? {
                let id = row.get_ref(0).map_err(backend(context))?;
                let id = id.as_str().map_err(|e| backend(context)(e.into()))?;
                let hash = id_hash(id);
                filter.insert_hash(hash);
                part.push((hash as i64, row.get(1).map_err(backend(context))?));
                if part.len() == ASIDE_PART {
                    store.write_aside(context, insert, &part)?;
                    part.clear();
                }
            }
            store.write_aside(context, insert, &part)
        });
        self.aside_filter = Some(filter);
        self.ids_set_aside = true;
        scanned?;
        self.build_indexes(
            context,
            "CREATE INDEX IF NOT EXISTS temp.bulk_stored_hashes_hash ON bulk_stored_hashes (hash);",
        )
    }

    /// Writes `(hash, seq)` rows of ids set aside by `insert`, a statement
    /// reading them from `int_rows(?1)`.
    fn write_aside(&self, context: &str, insert: &str, rows: &[(i64, i64)]) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut param = IntRows::with_capacity(2, rows.len());
        rows.iter()
            .for_each(|(hash, seq)| param.push([*hash, *seq]));
        self.connection
            .prepare_cached(insert)
            .and_then(|mut statement| statement.execute([param.into_param()]))
            .map(drop)
            .map_err(backend(context))
    }

    /// The tables of ids a load sets aside: those it held (`set_ids_aside`),
    /// and those stored before it (`set_stored_ids_aside`).
    fn create_aside_tables(&mut self) -> StoreResult<()> {
        self.connection
            .execute_batch(
                "CREATE TEMP TABLE IF NOT EXISTS bulk_id_hashes (hash INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
                 CREATE TEMP TABLE IF NOT EXISTS bulk_stored_hashes (hash INTEGER NOT NULL, seq INTEGER NOT NULL);",
            )
            .map_err(backend("setting ids aside"))
    }

    /// Gives the open write the page cache of an import, until it ends.
    fn start_importing(&mut self) -> StoreResult<()> {
        if !self.importing {
            self.importing = true;
            self.set_cache_size()?;
        }
        Ok(())
    }

    /// Gives the connection its usual page cache again once the write that
    /// imported has ended, committed or not.
    pub(crate) fn stop_importing(&mut self) -> StoreResult<()> {
        self.import_rows = 0;
        self.import_offered = 0;
        self.import_expected = 0;
        self.stored_before_import = None;
        if std::mem::take(&mut self.importing) {
            self.set_cache_size()?;
        }
        Ok(())
    }

    /// Runs `scan`, which reads a whole table once, through a small page
    /// cache when in a write (an import's): its pages would not be read
    /// again, and a scan of a large store (a million parties, ten million
    /// gestures counted) filled the whole of the usual cache, whose bytes the
    /// process then held through the import that followed. A read keeps its
    /// cache: shrinking it would drop what the reads after it (a server's
    /// balances) find there.
    pub(crate) fn scanning<T>(
        &mut self,
        context: &str,
        scan: impl FnOnce(&mut Self) -> StoreResult<T>,
    ) -> StoreResult<T> {
        if self.depth == 0 {
            return scan(self);
        }
        self.connection
            .execute_batch(&format!("PRAGMA cache_size = {SCAN_CACHE_SIZE}"))
            .map_err(backend(context))?;
        let scanned = scan(self);
        let restored = self.set_cache_size();
        let scanned = scanned?;
        restored.map(|()| scanned)
    }

    fn set_cache_size(&mut self) -> StoreResult<()> {
        let sql = format!("PRAGMA cache_size = {}", self.cache_size());
        self.connection
            .execute_batch(&sql)
            .map_err(backend("setting the page cache"))
    }

    /// Whether a table holds no row.
    fn is_empty(&mut self, table: &str) -> StoreResult<bool> {
        Ok(self
            .query(
                "preparing an import",
                &format!("SELECT NOT EXISTS (SELECT 1 FROM {table})"),
                [],
                |r| r.get::<_, bool>(0),
            )?
            .first()
            .copied()
            .unwrap_or(false))
    }

    /// The stored gestures with any of `ids`, by id. Many are read first as
    /// the run of gestures stored between the first id's and the last's
    /// (`stored_in_turn`); the rest in one statement in the order of their ids.
    fn stored_gestures<'i>(
        &mut self,
        ids: impl Iterator<Item = &'i str>,
    ) -> StoreResult<HashMap<String, StoredGesture>> {
        let ids: Vec<&str> = ids.collect();
        let mut stored = HashMap::new();
        let mut rest = match ids.len() >= RUN_MIN {
            true => self.stored_in_turn(&ids, &mut stored)?,
            false => ids,
        };
        rest.sort_unstable();
        rest.dedup();
        if rest.is_empty() {
            return Ok(stored);
        }
        let values: Vec<Value> = rest.iter().map(|id| Value::Text(id.to_string())).collect();
        stored.extend(
            self.query(
                "reading gestures",
                &format!("{GESTURE_SELECT} WHERE g.id IN rarray(?1)"),
                [std::rc::Rc::new(values)],
                gesture_row,
            )?
            .into_iter()
            .map(|g| (g.gesture.id.as_str().to_string(), g)),
        );
        Ok(stored)
    }

    /// Reads into `stored` those of `ids` (many, in the order given) that are
    /// among the run of gestures stored between the first id's and the last's,
    /// when that run is short, and gives back the others: a file imported
    /// again offers each batch's gestures in the order they were stored,
    /// however its ids sort, and the run is read in the order of the table.
    /// Looked up one by one, in the order of their ids, each id of a batch of
    /// a file of ten million with ids in no order read a page of the index of
    /// ids of its own, and its row from another: importing the file again
    /// took longer than importing it first (48 s against 45.5 s).
    fn stored_in_turn<'i>(
        &mut self,
        ids: &[&'i str],
        stored: &mut HashMap<String, StoredGesture>,
    ) -> StoreResult<Vec<&'i str>> {
        let context = "reading gestures";
        let (first, last) = (ids[0], ids[ids.len() - 1]);
        let ends: Vec<i64> = self.query(
            context,
            "SELECT seq FROM gestures WHERE id IN (?1, ?2)",
            params![first, last],
            |r| r.get(0),
        )?;
        let n = ids.len() as i64;
        let (low, high) = match ends[..] {
            [a, b] if (a - b).abs() < 2 * n => (a.min(b), a.max(b)),
            _ => return Ok(ids.to_vec()),
        };
        let asked: std::collections::HashSet<&str> = ids.iter().copied().collect();
        let run = self.query(
            context,
            &format!("{GESTURE_SELECT} WHERE g.seq BETWEEN ?1 AND ?2"),
            params![low, high],
            gesture_row,
        )?;
        for g in run {
            if asked.contains(g.gesture.id.as_str()) {
                stored.insert(g.gesture.id.as_str().to_string(), g);
            }
        }
        Ok(ids
            .iter()
            .copied()
            .filter(|id| !stored.contains_key(*id))
            .collect())
    }

    /// Runs `create`, statements that build indexes a bulk load dropped. The
    /// sort may use a helper thread: the import's summing is done by then. Its
    /// sorted runs go to temporary files (`temp_store`, in `open`), each as
    /// large as the page cache allows while it runs: [`SORT_RUN_KIB`]. With the
    /// runs in memory, ten million gestures' index took 500 MB; in runs of the
    /// whole cache, with two threads, 200 MB.
    fn build_indexes(&mut self, context: &str, create: &str) -> StoreResult<()> {
        self.connection
            .execute_batch(&format!(
                "PRAGMA threads = 2; PRAGMA cache_size = -{SORT_RUN_KIB}; {create} \
                 PRAGMA cache_size = {CACHE}; PRAGMA threads = 0;",
                CACHE = self.cache_size(),
            ))
            .map_err(backend(context))
    }

    /// Builds the index of ids again when a bulk load dropped it: before a
    /// gesture that may repeat an id or reverses one, a lookup by id, or past
    /// `BULK_IDS_MAX` ids. The other indexes stay dropped until the load ends.
    pub(crate) fn restore_id_index(&mut self) -> StoreResult<()> {
        self.bulk_next_seq = None;
        if self.bulk_ids.take().is_some() {
            let (index, name, columns) = GESTURE_INDEXES[0];
            self.build_indexes(
                "indexing the gestures' ids",
                &format!("CREATE {index} IF NOT EXISTS {name} ON gestures {columns};"),
            )?;
        }
        self.forget_ids_set_aside()
    }

    /// Sets the ids a bulk load holds in memory aside, as their hashes, in a
    /// table of its own (`temp.bulk_id_hashes`, in the temporary file, not in
    /// memory), and holds the ids that come next anew: a load of more ids
    /// than [`SqliteStore::bulk_ids_max`] keeps its memory and goes on without
    /// the index of ids. Before, such a load built that index and filled it
    /// in no order from there on: ten million gestures with ids in no order
    /// took 128 s, more than half of it in that index, and each batch of a
    /// million past the first 3.5 million took longer than the last.
    fn set_ids_aside(&mut self) -> StoreResult<()> {
        let context = "setting the load's ids aside";
        let Some(ids) = self.bulk_ids.as_mut() else {
            return Ok(());
        };
        let mut hashes: Vec<(i64, i64)> = ids
            .take_hashes()
            .into_iter()
            .map(|(h, seq)| (h as i64, seq))
            .collect();
        hashes.sort_unstable();
        let filter = self.aside_filter.get_or_insert_with(aside_filter);
        for (hash, _) in &hashes {
            filter.insert_hash(*hash as u64);
        }
        self.create_aside_tables()?;
        for chunk in hashes.chunks(ASIDE_PART) {
            self.write_aside(
                context,
                "INSERT OR IGNORE INTO temp.bulk_id_hashes (hash, seq) SELECT c0, c1 FROM int_rows(?1)",
                chunk,
            )?;
        }
        self.ids_set_aside = true;
        Ok(())
    }

    /// How many ids a bulk load holds in memory now: [`SqliteStore::bulk_ids_max`]
    /// until it first sets them aside, half of that after: a load of ten
    /// million ids in no order that held 3.5 million (without their `seq`)
    /// each time peaked at 273 MiB, at 235 MiB with a quarter. Held with their
    /// `seq` (twice the bytes), 1.75 million and then a quarter of that: ten
    /// million gestures in 66 s against 61 s before; half after, in 64 s
    /// against 59 s (alternating runs), as the ids are set aside less often.
    fn ids_held_most(&self) -> usize {
        match self.ids_set_aside {
            false => self.bulk_ids_max,
            true => (self.bulk_ids_max / 2).max(1),
        }
    }

    /// Whether the id of any of `gestures` may be among those set aside (a
    /// hash the same): the batch then goes through the index of ids. Only the
    /// hashes the filter cannot rule out are looked up in the table of them.
    fn set_aside_any(&mut self, gestures: &[&Gesture]) -> StoreResult<bool> {
        if !self.ids_set_aside {
            return Ok(false);
        }
        let mut hashes: Vec<i64> = gestures
            .iter()
            .map(|g| BulkIds::hash(&g.id))
            .filter(|hash| {
                self.aside_filter
                    .as_ref()
                    .is_none_or(|filter| filter.contains_hash(*hash))
            })
            .map(|hash| hash as i64)
            .collect();
        if hashes.is_empty() {
            return Ok(false);
        }
        hashes.sort_unstable();
        let values: Vec<Value> = hashes.into_iter().map(Value::Integer).collect();
        Ok(self
            .query(
                "reading the load's ids set aside",
                "SELECT EXISTS (SELECT 1 FROM temp.bulk_id_hashes WHERE hash IN rarray(?1)) \
                 OR EXISTS (SELECT 1 FROM temp.bulk_stored_hashes WHERE hash IN rarray(?1))",
                [std::rc::Rc::new(values)],
                |r| r.get::<_, bool>(0),
            )?
            .first()
            .copied()
            .unwrap_or(true))
    }

    /// Drops the table of ids set aside, once the index of ids holds them.
    fn forget_ids_set_aside(&mut self) -> StoreResult<()> {
        self.aside_filter = None;
        if std::mem::take(&mut self.ids_set_aside) {
            self.connection
                .execute_batch(
                    "DROP TABLE IF EXISTS temp.bulk_id_hashes; DROP TABLE IF EXISTS temp.bulk_stored_hashes;",
                )
                .map_err(backend("indexing the gestures' ids"))?;
        }
        Ok(())
    }

    /// The stored gestures with `ids`, answered during a bulk load without the
    /// index of ids: an id's hash gives the `seq` of its row (held in memory,
    /// or set aside with it), and that row must carry the very id. Every row
    /// of the table came with the load, which began with it empty, or was set
    /// aside when it began without the index of ids (`set_stored_ids_aside`), so an id
    /// whose hash is not held is not stored. `None` when the load cannot
    /// answer: no load, where its rows went is not known (after a savepoint
    /// was undone), or a row carries another id (two ids share a hash); the
    /// index of ids answers then. Before, a reversal in a load built that
    /// index, and every gesture after it went through it in no order: ten
    /// million gestures with ids in no order and one in thirty reversing an
    /// earlier one took 171 s, against 59 s for as many without reversals;
    /// 63 s so.
    fn bulk_gestures(&mut self, ids: &[&str]) -> StoreResult<Option<Vec<StoredGesture>>> {
        found_in_load(ids, |ids| self.bulk_rows(ids))
    }

    /// The rows of `ids` as `bulk_gestures` finds them, each at its own time.
    fn bulk_rows(&mut self, ids: &[&str]) -> StoreResult<Option<Vec<StoredGesture>>> {
        let context = "reading gestures";
        if self.bulk_next_seq.is_none() {
            return Ok(None);
        }
        let Some(held) = self.bulk_ids.as_mut() else {
            return Ok(None);
        };
        let mut seqs: FxHashMap<i64, &str> = FxHashMap::default();
        let mut unsure: Vec<(i64, &str)> = Vec::new();
        for id in ids {
            let hash = id_hash(id);
            match held.get(hash) {
                Some(seq) => {
                    seqs.insert(seq, id);
                }
                None => unsure.push((hash as i64, id)),
            }
        }
        if !unsure.is_empty() && self.ids_set_aside {
            let hashes: Vec<Value> = unsure.iter().map(|(h, _)| Value::Integer(*h)).collect();
            let aside: HashMap<i64, i64> = self
                .query(
                    context,
                    "SELECT hash, seq FROM temp.bulk_id_hashes WHERE hash IN rarray(?1) \
                     UNION ALL SELECT hash, seq FROM temp.bulk_stored_hashes WHERE hash IN rarray(?1)",
                    [std::rc::Rc::new(hashes)],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?
                .into_iter()
                .collect();
            for (hash, id) in unsure {
                if let Some(seq) = aside.get(&hash) {
                    seqs.insert(*seq, id);
                }
            }
        }
        if seqs.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let values: Vec<Value> = seqs.keys().map(|seq| Value::Integer(*seq)).collect();
        let rows = self.query(
            context,
            &format!("{GESTURE_BY_SEQ} WHERE g.seq IN rarray(?1)"),
            [std::rc::Rc::new(values)],
            gesture_row,
        )?;
        if !rows_carry_asked_ids(&rows, &seqs) {
            return Ok(None);
        }
        self.looked_up_in_load += rows.len() as u64;
        Ok(Some(rows))
    }

    /// Gestures looked up by id during bulk loads without the index of ids
    /// (see `bulk_gestures`), since this connection opened.
    pub fn looked_up_in_load(&self) -> u64 {
        self.looked_up_in_load
    }

    /// How many ids a bulk load holds in memory before it sets them aside
    /// (see `set_ids_aside`): [`BULK_IDS_MAX`](balans_store::store::BULK_IDS_MAX)
    /// unless set lower, as a test does to reach the setting aside with a
    /// small file.
    pub fn set_bulk_ids_max(&mut self, most: usize) {
        self.bulk_ids_max = most.max(1);
    }

    /// The fewest gestures an import adds to a store holding gestures before
    /// it drops their secondary indexes (`MANY_ADDED_MIN` unless set lower,
    /// as a test does to reach that with a small file).
    pub fn set_many_added_min(&mut self, least: u64) {
        self.many_added_min = least.max(1);
    }

    /// How many gestures the last import that dropped the gestures' indexes
    /// for adding many had added when it dropped them, since this connection
    /// opened.
    pub fn dropped_after(&self) -> Option<u64> {
        self.dropped_after
    }

    /// How many times a write built the gestures' secondary indexes again
    /// after an import dropped them, since this connection opened.
    pub fn gesture_indexes_built(&self) -> u64 {
        self.gesture_indexes_built
    }

    /// Stores gestures known to be new (see `insert_gestures`).
    fn insert_new_gestures(
        &mut self,
        gestures: &[&Gesture],
    ) -> StoreResult<Vec<Option<Box<StoredGesture>>>> {
        let context = "storing a gesture";
        let mut insert = self
            .connection
            .prepare_cached(
                "INSERT INTO gestures (id, at_ms, giver, receiver, giver_org, receiver_org, kind, amount_minor, note, item, reverses) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .map_err(backend(context))?;
        for g in gestures {
            insert_row(&mut insert, g).map_err(backend(context))?;
        }
        drop(insert);
        self.import_rows += gestures.len() as u64;
        // Where the rows went, as `insert_gestures` expected, or not known.
        let n = gestures.len() as i64;
        let last = self.connection.last_insert_rowid();
        self.bulk_next_seq = self
            .bulk_next_seq
            .filter(|next| next + n - 1 == last)
            .map(|next| next + n);
        Ok(vec![None; gestures.len()])
    }

    /// Builds the index of balances by their high party again when an import
    /// dropped it: before a read that uses it, and at the latest before the
    /// commit. `IF NOT EXISTS`: a savepoint rolled back may have brought it back.
    pub(crate) fn restore_balance_index(&mut self) -> StoreResult<()> {
        if self.balance_index_dropped {
            self.build_indexes(
                "indexing the balances",
                "CREATE INDEX IF NOT EXISTS balances_high ON balances (level, high);",
            )?;
            self.balance_index_dropped = false;
        }
        Ok(())
    }

    /// Builds the gestures' secondary indexes again when an import dropped them.
    pub(crate) fn restore_gesture_indexes(&mut self) -> StoreResult<()> {
        if self.gesture_indexes_dropped {
            let build: String = GESTURE_INDEXES
                .iter()
                .map(|(index, name, columns)| {
                    format!("CREATE {index} IF NOT EXISTS {name} ON gestures {columns};")
                })
                .collect();
            self.build_indexes("indexing the gestures", &build)?;
            self.gesture_indexes_built += 1;
            self.gesture_indexes_dropped = false;
            self.bulk_ids = None;
            self.ids_undecided = false;
            self.forget_ids_set_aside()?;
        }
        Ok(())
    }
}
