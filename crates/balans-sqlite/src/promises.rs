//! Promises on SQLite.

use balans_core::{
    Amount, Due, GestureId, KindId, Moment, PartyId, Promise, PromiseId, PromiseState,
};
use balans_store::store::{
    NewPromise, PromiseFilter, PromiseOrder, PromiseStore, PromiseTally, Resolution, ResolvedIn,
    StoreResult,
};
use rusqlite::{Row, params};

use crate::connection::{SqliteStore, corrupt};

const PROMISE_SELECT: &str = "SELECT id, key, promiser, promisee, promiser_org, promisee_org, kind, \
     amount_minor, made_ms, due_ms, note, state, resolved_ms, reason, gesture, kept_minor FROM promises";

fn promise_row(r: &Row<'_>) -> rusqlite::Result<Promise> {
    let key: String = r.get(1)?;
    let state: String = r.get(11)?;
    let amount = |minor: i64| Amount::from_minor(minor).ok_or_else(|| corrupt("promised amount"));
    let gesture: Option<String> = r.get(14)?;
    Ok(Promise {
        row: r.get(0)?,
        id: PromiseId::parse(&key)
            .ok()
            .flatten()
            .ok_or_else(|| corrupt("promise id"))?,
        promiser: PartyId(r.get(2)?),
        promisee: PartyId(r.get(3)?),
        promiser_org: r.get::<_, Option<i64>>(4)?.map(PartyId),
        promisee_org: r.get::<_, Option<i64>>(5)?.map(PartyId),
        kind: KindId(r.get(6)?),
        amount: amount(r.get(7)?)?,
        made: Moment::from_millis(r.get(8)?),
        due: Moment::from_millis(r.get(9)?),
        note: r.get(10)?,
        state: PromiseState::parse(&state).ok_or_else(|| corrupt("promise state"))?,
        resolved_at: r.get::<_, Option<i64>>(12)?.map(Moment::from_millis),
        reason: r.get(13)?,
        gesture: match gesture {
            Some(text) => Some(
                GestureId::parse(&text)
                    .ok()
                    .flatten()
                    .ok_or_else(|| corrupt("promise gesture"))?,
            ),
            None => None,
        },
        kept: r.get::<_, Option<i64>>(15)?.map(amount).transpose()?,
    })
}

impl PromiseStore for SqliteStore {
    fn insert_promise(&mut self, p: &NewPromise) -> StoreResult<i64> {
        self.execute(
            "making a promise",
            "INSERT INTO promises (key, promiser, promisee, promiser_org, promisee_org, kind, amount_minor, \
             made_ms, due_ms, note, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'open')",
            params![
                p.id.as_str(),
                p.promiser.0,
                p.promisee.0,
                p.promiser_org.map(|o| o.0),
                p.promisee_org.map(|o| o.0),
                p.kind.0,
                p.amount.minor(),
                p.made.millis(),
                p.due.millis(),
                p.note
            ],
        )?;
        let row = self.connection.last_insert_rowid();
        self.execute(
            "making a promise",
            "INSERT INTO promise_dues (promise, seq, due_ms, agreed_ms) VALUES (?1, 0, ?2, ?3)",
            params![row, p.due.millis(), p.made.millis()],
        )?;
        Ok(row)
    }

    fn promise(&mut self, id: &PromiseId) -> StoreResult<Option<Promise>> {
        self.query_one(
            "reading a promise",
            &format!("{PROMISE_SELECT} WHERE key = ?1"),
            [id.as_str()],
            promise_row,
        )
    }

    fn promises(&mut self, filter: &PromiseFilter) -> StoreResult<Vec<Promise>> {
        // The conditions beside the party's; `?1` is the party, if any.
        let mut sql = String::new();
        let mut values: Vec<rusqlite::types::Value> = filter
            .party
            .iter()
            .map(|p| rusqlite::types::Value::Integer(p.0))
            .collect();
        if filter.pending {
            sql.push_str(" AND state IN ('open', 'renegotiated')");
        }
        if let Some(before) = filter.due_before {
            values.push(before.millis().into());
            sql.push_str(&format!(" AND due_ms < ?{}", values.len()));
        }
        if let Some(since) = filter.broken_since {
            values.push(since.millis().into());
            sql.push_str(&format!(
                " AND state = 'broken' AND resolved_ms >= ?{}",
                values.len()
            ));
        }
        if let Some((due, id)) = &filter.after {
            // A range of the indexes in due order, not a filter over them.
            values.push(due.millis().into());
            values.push(id.as_str().to_string().into());
            sql.push_str(&format!(
                " AND (due_ms, key) > (?{}, ?{})",
                values.len() - 1,
                values.len()
            ));
        }
        // A party's promises are those it made and those made to it (never
        // both: nobody promises themself), each range in due order in its
        // index, merged.
        let mut sql = match filter.party {
            Some(_) => format!(
                "{PROMISE_SELECT} WHERE promiser = ?1{sql} \
                 UNION ALL {PROMISE_SELECT} WHERE promisee = ?1{sql}"
            ),
            None => format!("{PROMISE_SELECT} WHERE TRUE{sql}"),
        };
        sql.push_str(" ORDER BY due_ms, key");
        if filter.limit > 0 {
            sql.push_str(&format!(" LIMIT {}", filter.limit));
        }
        self.query(
            "listing promises",
            &sql,
            rusqlite::params_from_iter(values),
            promise_row,
        )
    }

    fn promise_tallies(
        &mut self,
        parties: &[PartyId],
        period: ResolvedIn,
    ) -> StoreResult<Vec<PromiseTally>> {
        let parties: Vec<rusqlite::types::Value> = parties
            .iter()
            .map(|p| rusqlite::types::Value::Integer(p.0))
            .collect();
        let resolved = "state IN ('kept', 'broken') AND resolved_ms >= ?2 AND resolved_ms < ?3";
        // Those the parties made, and those made to them by others: each
        // promise once, each side through its index.
        self.query(
            "counting kept promises",
            &format!(
                "SELECT promiser, promisee, promiser_org, promisee_org, state, amount_minor, kept_minor, \
                 COUNT(*), MIN(resolved_ms), MAX(resolved_ms) FROM ( \
                 SELECT * FROM promises WHERE promiser IN rarray(?1) AND {resolved} \
                 UNION ALL SELECT * FROM promises WHERE promisee IN rarray(?1) \
                 AND promiser NOT IN rarray(?1) AND {resolved}) \
                 GROUP BY promiser, promisee, promiser_org, promisee_org, state, amount_minor, kept_minor"
            ),
            params![
                std::rc::Rc::new(parties),
                period.bounds().0,
                period.bounds().1
            ],
            |r| {
                let amount =
                    |minor: i64| Amount::from_minor(minor).ok_or_else(|| corrupt("promised amount"));
                let state: String = r.get(4)?;
                Ok(PromiseTally {
                    promiser: PartyId(r.get(0)?),
                    promisee: PartyId(r.get(1)?),
                    promiser_org: r.get::<_, Option<i64>>(2)?.map(PartyId),
                    promisee_org: r.get::<_, Option<i64>>(3)?.map(PartyId),
                    state: PromiseState::parse(&state).ok_or_else(|| corrupt("promise state"))?,
                    amount: amount(r.get(5)?)?,
                    kept: r.get::<_, Option<i64>>(6)?.map(amount).transpose()?,
                    count: r.get::<_, i64>(7)?.try_into().unwrap_or(0),
                    first: Moment::from_millis(r.get(8)?),
                    last: Moment::from_millis(r.get(9)?),
                })
            },
        )
    }

    fn tally_moments(&mut self, t: &PromiseTally, period: ResolvedIn) -> StoreResult<Vec<Moment>> {
        self.query(
            "counting kept promises",
            "SELECT resolved_ms FROM promises WHERE promiser = ?1 AND promisee = ?2 \
             AND promiser_org IS ?3 AND promisee_org IS ?4 AND state = ?5 AND amount_minor = ?6 \
             AND kept_minor IS ?7 AND resolved_ms >= ?8 AND resolved_ms < ?9",
            params![
                t.promiser.0,
                t.promisee.0,
                t.promiser_org.map(|o| o.0),
                t.promisee_org.map(|o| o.0),
                t.state.as_str(),
                t.amount.minor(),
                t.kept.map(|k| k.minor()),
                period.bounds().0,
                period.bounds().1
            ],
            |r| Ok(Moment::from_millis(r.get(0)?)),
        )
    }

    fn promises_of(
        &mut self,
        parties: &[PartyId],
        order: PromiseOrder,
        after: Option<(Moment, &PromiseId)>,
        limit: usize,
    ) -> StoreResult<Vec<Promise>> {
        let (condition, range, order) = match order {
            // After (D, K) in due order: due after D, or at D with an id
            // after K.
            PromiseOrder::Pending => (
                "state IN ('open', 'renegotiated')",
                "(due_ms, key) > (?3, ?4)",
                "due_ms, key",
            ),
            // After (R, K) latest resolved first: resolved before R, or at
            // R with an id after K.
            PromiseOrder::LatestResolved => (
                "resolved_ms IS NOT NULL",
                "(resolved_ms < ?3 OR (resolved_ms = ?3 AND key > ?4))",
                "resolved_ms DESC, key",
            ),
        };
        self.read_promises_of(parties, condition, range, order, after, limit)
    }

    fn promise_dues_of(&mut self, rows: &[i64]) -> StoreResult<Vec<(i64, Due)>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<rusqlite::types::Value> = rows
            .iter()
            .map(|row| rusqlite::types::Value::Integer(*row))
            .collect();
        self.query(
            "reading promises' due moments",
            "SELECT promise, due_ms, agreed_ms FROM promise_dues \
             WHERE promise IN rarray(?1) ORDER BY promise, seq",
            [std::rc::Rc::new(rows)],
            |r| {
                Ok((
                    r.get(0)?,
                    Due {
                        due: Moment::from_millis(r.get(1)?),
                        agreed: Moment::from_millis(r.get(2)?),
                    },
                ))
            },
        )
    }

    fn due_promises(
        &mut self,
        at: Moment,
        after: Option<(Moment, &PromiseId)>,
        limit: usize,
    ) -> StoreResult<Vec<Promise>> {
        let pending = "state IN ('open', 'renegotiated') AND due_ms <= ?1";
        match after {
            None => self.query(
                "finding promises that fell due",
                &format!("{PROMISE_SELECT} WHERE {pending} ORDER BY due_ms, key LIMIT ?2"),
                params![at.millis(), limit as i64],
                promise_row,
            ),
            Some((due, id)) => self.query(
                "finding promises that fell due",
                &format!(
                    "{PROMISE_SELECT} WHERE {pending} AND (due_ms, key) > (?3, ?4) \
                     ORDER BY due_ms, key LIMIT ?2"
                ),
                params![at.millis(), limit as i64, due.millis(), id.as_str()],
                promise_row,
            ),
        }
    }

    fn move_promise(&mut self, row: i64, due: Moment, agreed: Moment) -> StoreResult<bool> {
        let changed = self.execute(
            "moving a promise",
            "UPDATE promises SET due_ms = ?2, state = 'renegotiated' \
             WHERE id = ?1 AND state IN ('open', 'renegotiated')",
            params![row, due.millis()],
        )?;
        if changed == 1 {
            self.execute(
                "moving a promise",
                "INSERT INTO promise_dues (promise, seq, due_ms, agreed_ms) \
                 SELECT ?1, COUNT(*), ?2, ?3 FROM promise_dues WHERE promise = ?1",
                params![row, due.millis(), agreed.millis()],
            )?;
        }
        Ok(changed == 1)
    }

    fn resolve_promise(&mut self, row: i64, r: &Resolution<'_>) -> StoreResult<bool> {
        let changed = self.execute(
            "resolving a promise",
            "UPDATE promises SET state = ?2, resolved_ms = ?3, gesture = ?4, kept_minor = ?5, reason = ?6 \
             WHERE id = ?1 AND state IN ('open', 'renegotiated')",
            params![
                row,
                r.state.as_str(),
                r.at.millis(),
                r.gesture.map(|g| g.as_str()),
                r.kept.map(|k| k.minor()),
                r.reason
            ],
        )?;
        Ok(changed == 1)
    }
}

impl SqliteStore {
    /// The promises made by or to any of `parties` (each once: those made to
    /// them by others after those they made) that meet `condition`, in
    /// `order`, after the promise `after` names when given (`range`, on
    /// `?3` and `?4`), at most `limit`.
    fn read_promises_of(
        &mut self,
        parties: &[PartyId],
        condition: &str,
        range: &str,
        order: &str,
        after: Option<(Moment, &PromiseId)>,
        limit: usize,
    ) -> StoreResult<Vec<Promise>> {
        let parties: Vec<rusqlite::types::Value> = parties
            .iter()
            .map(|p| rusqlite::types::Value::Integer(p.0))
            .collect();
        let (range, at, key) = match after {
            Some((at, id)) => (range, at.millis(), id.as_str()),
            // The same parameters, always true.
            None => ("?3 IS NOT NULL AND ?4 IS NOT NULL", 0, ""),
        };
        self.query(
            "listing promises",
            &format!(
                "{PROMISE_SELECT} WHERE promiser IN rarray(?1) AND {condition} AND {range} \
                 UNION ALL {PROMISE_SELECT} WHERE promisee IN rarray(?1) \
                 AND promiser NOT IN rarray(?1) AND {condition} AND {range} \
                 ORDER BY {order} LIMIT ?2"
            ),
            params![std::rc::Rc::new(parties), limit as i64, at, key],
            promise_row,
        )
    }
}
