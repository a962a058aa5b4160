//! Promises on PostgreSQL.

use balans_core::{
    Amount, Due, GestureId, KindId, Moment, PartyId, Promise, PromiseId, PromiseState,
};
use balans_store::store::{
    NewPromise, PromiseFilter, PromiseOrder, PromiseStore, PromiseTally, Resolution, ResolvedIn,
    StoreResult,
};
use postgres::Row;
use postgres::types::{ToSql, Type};

use crate::connection::{PostgresStore, corrupt};

const PROMISE_SELECT: &str = "SELECT id, key, promiser, promisee, promiser_org, promisee_org, kind, \
     amount_minor, made_ms, due_ms, note, state, resolved_ms, reason, gesture, kept_minor FROM promises";

fn promise_row(r: &Row) -> StoreResult<Promise> {
    let amount = |minor: i64| Amount::from_minor(minor).ok_or_else(|| corrupt("promised amount"));
    let key: String = r.get(1);
    let gesture: Option<String> = r.get(14);
    Ok(Promise {
        row: r.get(0),
        id: PromiseId::parse(&key)
            .ok()
            .flatten()
            .ok_or_else(|| corrupt("promise id"))?,
        promiser: PartyId(r.get(2)),
        promisee: PartyId(r.get(3)),
        promiser_org: r.get::<_, Option<i64>>(4).map(PartyId),
        promisee_org: r.get::<_, Option<i64>>(5).map(PartyId),
        kind: KindId(r.get(6)),
        amount: amount(r.get(7))?,
        made: Moment::from_millis(r.get(8)),
        due: Moment::from_millis(r.get(9)),
        note: r.get(10),
        state: PromiseState::parse(r.get(11)).ok_or_else(|| corrupt("promise state"))?,
        resolved_at: r.get::<_, Option<i64>>(12).map(Moment::from_millis),
        reason: r.get(13),
        gesture: match gesture {
            Some(text) => Some(
                GestureId::parse(&text)
                    .ok()
                    .flatten()
                    .ok_or_else(|| corrupt("promise gesture"))?,
            ),
            None => None,
        },
        kept: r.get::<_, Option<i64>>(15).map(amount).transpose()?,
    })
}

impl PromiseStore for PostgresStore {
    fn insert_promise(&mut self, p: &NewPromise) -> StoreResult<i64> {
        let row = self
            .query_opt(
                "making a promise",
                "INSERT INTO promises (key, promiser, promisee, promiser_org, promisee_org, kind, amount_minor, \
                 made_ms, due_ms, note, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open') RETURNING id",
                &[
                    &p.id.as_str(),
                    &p.promiser.0,
                    &p.promisee.0,
                    &p.promiser_org.map(|o| o.0),
                    &p.promisee_org.map(|o| o.0),
                    &p.kind.0,
                    &p.amount.minor(),
                    &p.made.millis(),
                    &p.due.millis(),
                    &p.note,
                ],
            )?
            .ok_or_else(|| corrupt("an answer to INSERT … RETURNING"))?;
        let id: i64 = row.get(0);
        self.promised += 1;
        self.execute(
            "making a promise",
            "INSERT INTO promise_dues (promise, seq, due_ms, agreed_ms) VALUES ($1, 0, $2, $3)",
            &[&id, &p.due.millis(), &p.made.millis()],
        )?;
        Ok(id)
    }

    fn promise(&mut self, id: &PromiseId) -> StoreResult<Option<Promise>> {
        self.query_opt(
            "reading a promise",
            &format!("{PROMISE_SELECT} WHERE key = $1"),
            &[&id.as_str()],
        )?
        .map(|r| promise_row(&r))
        .transpose()
    }

    fn promises(&mut self, filter: &PromiseFilter) -> StoreResult<Vec<Promise>> {
        // The conditions beside the party's; `$1` is the party, if any.
        let mut sql = String::new();
        let party = filter.party.map(|p| p.0);
        let before = filter.due_before.map(|m| m.millis());
        let mut values: Vec<(&(dyn ToSql + Sync), Type)> = Vec::new();
        if let Some(party) = &party {
            values.push((party, Type::INT8));
        }
        if filter.pending {
            sql.push_str(" AND state IN ('open', 'renegotiated')");
        }
        if let Some(before) = &before {
            values.push((before, Type::INT8));
            sql.push_str(&format!(" AND due_ms < ${}", values.len()));
        }
        let since = filter.broken_since.map(|m| m.millis());
        if let Some(since) = &since {
            values.push((since, Type::INT8));
            sql.push_str(&format!(
                " AND state = 'broken' AND resolved_ms >= ${}",
                values.len()
            ));
        }
        let after = filter
            .after
            .as_ref()
            .map(|(due, id)| (due.millis(), id.as_str()));
        if let Some((due, id)) = &after {
            // A range of the indexes in due order, not a filter over them.
            values.push((due, Type::INT8));
            values.push((id, Type::TEXT));
            sql.push_str(&format!(
                " AND (due_ms, key) > (${}, ${})",
                values.len() - 1,
                values.len()
            ));
        }
        // A party's promises are those it made and those made to it (never
        // both: nobody promises themself), each range in due order in its
        // index, merged. With a limit each side is limited too: the planner
        // then reads the first rows of each range and merges them, where it
        // would otherwise read and sort every promise of a busy party.
        let limit = match filter.limit {
            0 => String::new(),
            n => format!(" LIMIT {n}"),
        };
        let mut sql = match filter.party {
            Some(_) if filter.limit > 0 => format!(
                "({PROMISE_SELECT} WHERE promiser = $1{sql} ORDER BY due_ms, key{limit}) \
                 UNION ALL ({PROMISE_SELECT} WHERE promisee = $1{sql} ORDER BY due_ms, key{limit})"
            ),
            Some(_) => format!(
                "{PROMISE_SELECT} WHERE promiser = $1{sql} \
                 UNION ALL {PROMISE_SELECT} WHERE promisee = $1{sql}"
            ),
            None => format!("{PROMISE_SELECT} WHERE TRUE{sql}"),
        };
        sql.push_str(" ORDER BY due_ms, key");
        sql.push_str(&limit);
        // Planned for this party: one with thousands of promises is read
        // otherwise than one with a few.
        self.query_planned("listing promises", &sql, &values)?
            .iter()
            .map(promise_row)
            .collect()
    }

    fn due_promises(
        &mut self,
        at: Moment,
        after: Option<(Moment, &PromiseId)>,
        limit: usize,
    ) -> StoreResult<Vec<Promise>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let pending = "state IN ('open', 'renegotiated') AND due_ms <= $1";
        match after {
            None => self.query(
                "finding promises that fell due",
                &format!("{PROMISE_SELECT} WHERE {pending} ORDER BY due_ms, key LIMIT $2"),
                &[&at.millis(), &limit],
            ),
            Some((due, id)) => self.query(
                "finding promises that fell due",
                &format!(
                    "{PROMISE_SELECT} WHERE {pending} AND (due_ms, key) > ($3, $4) \
                     ORDER BY due_ms, key LIMIT $2"
                ),
                &[&at.millis(), &limit, &due.millis(), &id.as_str()],
            ),
        }?
        .iter()
        .map(promise_row)
        .collect()
    }

    fn promise_tallies(
        &mut self,
        parties: &[PartyId],
        period: ResolvedIn,
    ) -> StoreResult<Vec<PromiseTally>> {
        let parties: Vec<i64> = parties.iter().map(|p| p.0).collect();
        let (since, until) = period.bounds();
        let resolved = "state IN ('kept', 'broken') AND resolved_ms >= $2 AND resolved_ms < $3";
        // Those the parties made, and those made to them by others: each
        // promise once, each side through its index; planned for these
        // parties (one may have made thousands, another none).
        let rows = self.query_planned(
            "counting kept promises",
            &format!(
                "SELECT promiser, promisee, promiser_org, promisee_org, state, amount_minor, kept_minor, \
                 COUNT(*), MIN(resolved_ms), MAX(resolved_ms) FROM ( \
                 SELECT * FROM promises WHERE promiser = ANY($1) AND {resolved} \
                 UNION ALL SELECT * FROM promises WHERE promisee = ANY($1) \
                 AND promiser <> ALL($1) AND {resolved}) AS p \
                 GROUP BY promiser, promisee, promiser_org, promisee_org, state, amount_minor, kept_minor"
            ),
            &[
                (&parties, Type::INT8_ARRAY),
                (&since, Type::INT8),
                (&until, Type::INT8),
            ],
        )?;
        rows.iter()
            .map(|r| {
                let amount = |minor: i64| {
                    Amount::from_minor(minor).ok_or_else(|| corrupt("promised amount"))
                };
                Ok(PromiseTally {
                    promiser: PartyId(r.get(0)),
                    promisee: PartyId(r.get(1)),
                    promiser_org: r.get::<_, Option<i64>>(2).map(PartyId),
                    promisee_org: r.get::<_, Option<i64>>(3).map(PartyId),
                    state: PromiseState::parse(r.get(4)).ok_or_else(|| corrupt("promise state"))?,
                    amount: amount(r.get(5))?,
                    kept: r.get::<_, Option<i64>>(6).map(amount).transpose()?,
                    count: r.get::<_, i64>(7).try_into().unwrap_or(0),
                    first: Moment::from_millis(r.get(8)),
                    last: Moment::from_millis(r.get(9)),
                })
            })
            .collect()
    }

    fn tally_moments(&mut self, t: &PromiseTally, period: ResolvedIn) -> StoreResult<Vec<Moment>> {
        Ok(self
            .query(
                "counting kept promises",
                "SELECT resolved_ms FROM promises WHERE promiser = $1 AND promisee = $2 \
                 AND promiser_org IS NOT DISTINCT FROM $3 AND promisee_org IS NOT DISTINCT FROM $4 \
                 AND state = $5 AND amount_minor = $6 AND kept_minor IS NOT DISTINCT FROM $7 \
                 AND resolved_ms >= $8 AND resolved_ms < $9",
                &[
                    &t.promiser.0,
                    &t.promisee.0,
                    &t.promiser_org.map(|o| o.0),
                    &t.promisee_org.map(|o| o.0),
                    &t.state.as_str(),
                    &t.amount.minor(),
                    &t.kept.map(|k| k.minor()),
                    &period.bounds().0,
                    &period.bounds().1,
                ],
            )?
            .iter()
            .map(|r| Moment::from_millis(r.get(0)))
            .collect())
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
                "(due_ms, key) > ($3, $4)",
                "due_ms, key",
            ),
            // After (R, K) latest resolved first: resolved before R, or at
            // R with an id after K.
            PromiseOrder::LatestResolved => (
                "resolved_ms IS NOT NULL",
                "(resolved_ms < $3 OR (resolved_ms = $3 AND key > $4))",
                "resolved_ms DESC, key",
            ),
        };
        self.read_promises_of(parties, condition, range, order, after, limit)
    }

    fn promise_dues_of(&mut self, rows: &[i64]) -> StoreResult<Vec<(i64, Due)>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .query(
                "reading promises' due moments",
                "SELECT promise, due_ms, agreed_ms FROM promise_dues \
                 WHERE promise = ANY($1) ORDER BY promise, seq",
                &[&rows],
            )?
            .iter()
            .map(|r| {
                (
                    r.get(0),
                    Due {
                        due: Moment::from_millis(r.get(1)),
                        agreed: Moment::from_millis(r.get(2)),
                    },
                )
            })
            .collect())
    }

    fn move_promise(&mut self, row: i64, due: Moment, agreed: Moment) -> StoreResult<bool> {
        let changed = self.execute(
            "moving a promise",
            "UPDATE promises SET due_ms = $2, state = 'renegotiated' \
             WHERE id = $1 AND state IN ('open', 'renegotiated')",
            &[&row, &due.millis()],
        )?;
        if changed == 1 {
            self.execute(
                "moving a promise",
                "INSERT INTO promise_dues (promise, seq, due_ms, agreed_ms) \
                 SELECT $1, COUNT(*)::INTEGER, $2, $3 FROM promise_dues WHERE promise = $1",
                &[&row, &due.millis(), &agreed.millis()],
            )?;
        }
        Ok(changed == 1)
    }

    fn resolve_promises(
        &mut self,
        resolutions: &[(i64, Resolution<'_>)],
    ) -> StoreResult<Vec<bool>> {
        let rows: Vec<i64> = resolutions.iter().map(|(row, _)| *row).collect();
        let states: Vec<&str> = resolutions.iter().map(|(_, r)| r.state.as_str()).collect();
        let ats: Vec<i64> = resolutions.iter().map(|(_, r)| r.at.millis()).collect();
        let gestures: Vec<Option<&str>> = resolutions
            .iter()
            .map(|(_, r)| r.gesture.map(|g| g.as_str()))
            .collect();
        let kept: Vec<Option<i64>> = resolutions
            .iter()
            .map(|(_, r)| r.kept.map(|k| k.minor()))
            .collect();
        let reasons: Vec<Option<&str>> = resolutions.iter().map(|(_, r)| r.reason).collect();
        // `p.id = ANY($1)` finds the promises through their key: joined on
        // the list's rows alone, a planner that knows the table holds
        // 100,000 promises reads all of them to hash the 1,000 it changes.
        let resolved: std::collections::HashSet<i64> = self
            .query(
                "resolving promises",
                "UPDATE promises AS p SET state = u.state, resolved_ms = u.at, gesture = u.gesture, \
                 kept_minor = u.kept, reason = u.reason \
                 FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::BIGINT[], $4::TEXT[], $5::BIGINT[], $6::TEXT[]) \
                 AS u (id, state, at, gesture, kept, reason) \
                 WHERE p.id = ANY($1) AND p.id = u.id AND p.state IN ('open', 'renegotiated') RETURNING p.id",
                &[&rows, &states, &ats, &gestures, &kept, &reasons],
            )?
            .iter()
            .map(|r| r.get::<_, i64>(0))
            .collect();
        Ok(rows.iter().map(|row| resolved.contains(row)).collect())
    }

    fn resolve_promise(&mut self, row: i64, r: &Resolution<'_>) -> StoreResult<bool> {
        let changed = self.execute(
            "resolving a promise",
            "UPDATE promises SET state = $2, resolved_ms = $3, gesture = $4, kept_minor = $5, reason = $6 \
             WHERE id = $1 AND state IN ('open', 'renegotiated')",
            &[
                &row,
                &r.state.as_str(),
                &r.at.millis(),
                &r.gesture.map(|g| g.as_str()),
                &r.kept.map(|k| k.minor()),
                &r.reason,
            ],
        )?;
        Ok(changed == 1)
    }
}

impl PostgresStore {
    /// The promises made by or to any of `parties` (each once: those made to
    /// them by others after those they made) that meet `condition`, in
    /// `order`, after the promise `after` names when given (`range`, on `$3`
    /// and `$4`), at most `limit`. Planned for these parties (the unnamed
    /// statement): a party that made every promise is read in order until
    /// the page is full, a few people's handful through their indexes.
    fn read_promises_of(
        &mut self,
        parties: &[PartyId],
        condition: &str,
        range: &str,
        order: &str,
        after: Option<(Moment, &PromiseId)>,
        limit: usize,
    ) -> StoreResult<Vec<Promise>> {
        let parties: Vec<i64> = parties.iter().map(|p| p.0).collect();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let (range, at, key) = match after {
            Some((at, id)) => (range, at.millis(), id.as_str()),
            // The same parameters, always true.
            None => ("$3::int8 IS NOT NULL AND $4::text IS NOT NULL", 0, ""),
        };
        let rows = self.query_planned(
            "listing promises",
            &format!(
                "({PROMISE_SELECT} WHERE promiser = ANY($1) AND {condition} AND {range} \
                 ORDER BY {order} LIMIT $2) \
                 UNION ALL ({PROMISE_SELECT} WHERE promisee = ANY($1) AND promiser <> ALL($1) \
                 AND {condition} AND {range} ORDER BY {order} LIMIT $2) \
                 ORDER BY {order} LIMIT $2"
            ),
            &[
                (&parties, Type::INT8_ARRAY),
                (&limit, Type::INT8),
                (&at, Type::INT8),
                (&key, Type::TEXT),
            ],
        )?;
        rows.iter().map(promise_row).collect()
    }
}
