//! Balances and months on SQLite: added through `totals` (pending until the
//! write commits), read through the same, scanned when whole tables are asked.

use balans_core::{Dimension, Level, Moment, MonthKey, PairKey, PartyId, PartySumKey, Totals};
use balans_store::store::{BalanceStore, StoreError, StoreResult};
use rusqlite::Row;
use rustc_hash::FxHashMap;

use crate::connection::{SqliteStore, backend, corrupt};
use crate::rows::{self, Insert, NotWritten};
use crate::totals;

const BALANCE_COLUMNS: &str =
    "level, low, high, dimension, low_to_high, high_to_low, count, first_ms, last_ms";

fn balance_row(row: &Row<'_>) -> rusqlite::Result<(PairKey, Totals)> {
    Ok((
        PairKey {
            level: Level::from_code(row.get(0)?).ok_or_else(|| corrupt("level"))?,
            low: PartyId(row.get(1)?),
            high: PartyId(row.get(2)?),
            dimension: Dimension::from_code(row.get(3)?).ok_or_else(|| corrupt("dimension"))?,
        },
        Totals {
            low_to_high: row.get(4)?,
            high_to_low: row.get(5)?,
            count: row.get(6)?,
            first: Moment::from_millis(row.get(7)?),
            last: Moment::from_millis(row.get(8)?),
        },
    ))
}

fn party_sum_values(key: &PartySumKey, t: &Totals) -> [i64; 8] {
    let [low_to_high, high_to_low, count, first, last] = t.values();
    [
        key.level.code(),
        key.party.0,
        key.dimension.code(),
        low_to_high,
        high_to_low,
        count,
        first,
        last,
    ]
}

/// An insert into `party_totals`, its values in the order of `party_sum_values`.
const PARTY_SUMS_INTO: &str =
    "INSERT INTO party_totals (level, party, dimension, given, received, count, first_ms, last_ms)";

/// What an insert into `party_totals` does when the row exists: adds the delta.
const PARTY_SUMS_ADDING: &str = "ON CONFLICT (level, party, dimension) DO UPDATE SET \
     given = given + excluded.given, received = received + excluded.received, count = count + excluded.count, \
     first_ms = min(first_ms, excluded.first_ms), last_ms = max(last_ms, excluded.last_ms)";

impl SqliteStore {
    /// Writes each party's sums (see `rows::write_all`), doing `clause` where a
    /// row exists. A sum beyond 64 bits becomes a REAL in SQLite, which the
    /// STRICT table refuses: it is named.
    fn write_party_sums(
        &mut self,
        context: &str,
        clause: &str,
        new_rows: bool,
        sums: &[(PartySumKey, Totals)],
    ) -> StoreResult<()> {
        let insert = Insert {
            into: PARTY_SUMS_INTO,
            width: 8,
            clause,
            new_rows,
        };
        rows::write_all(&self.connection, &insert, sums, |(key, t)| {
            party_sum_values(key, t)
        })
        .map_err(|e| match e {
            NotWritten::Refused((key, _)) => StoreError::Overflow(format!(
                "the sum of party #{} over its counterparts at {} level",
                key.party.0, key.level
            )),
            NotWritten::Failed(e) => backend(context)(e),
        })
    }
}

impl BalanceStore for SqliteStore {
    fn add_to_balances(&mut self, deltas: &[(PairKey, Totals)]) -> StoreResult<()> {
        self.add_to(deltas)
    }

    fn remove_sums(
        &mut self,
        pairs: &[PairKey],
        months: &[MonthKey],
        parties: &[PartySumKey],
    ) -> StoreResult<()> {
        self.remove(pairs)?;
        self.remove(months)?;
        let context = "updating each party's sums";
        let mut delete = self
            .connection
            .prepare_cached(
                "DELETE FROM party_totals WHERE level = ?1 AND party = ?2 AND dimension = ?3",
            )
            .map_err(backend(context))?;
        for key in parties {
            delete
                .execute([key.level.code(), key.party.0, key.dimension.code()])
                .map_err(backend(context))?;
        }
        Ok(())
    }

    fn replace_level(&mut self, level: Level, balances: &[(PairKey, Totals)]) -> StoreResult<()> {
        let context = "rewriting balances";
        self.cache.balances.clear();
        self.execute(
            context,
            "DELETE FROM balances WHERE level = ?1",
            [level.code()],
        )?;
        debug_assert!(balances.iter().all(|(key, _)| key.level == level));
        totals::write_rows(
            &self.connection,
            context,
            &totals::insert::<PairKey>("", true),
            balances,
        )?;
        if self.depth > 0 {
            let rebuilt: FxHashMap<PairKey, Totals> = balances.iter().copied().collect();
            self.pending_balances
                .shadow(|key| key.level == level, &rebuilt);
        }
        Ok(())
    }

    fn pair(
        &mut self,
        level: Level,
        a: PartyId,
        b: PartyId,
    ) -> StoreResult<Vec<(PairKey, Totals)>> {
        let (low, high) = if a < b { (a, b) } else { (b, a) };
        let mut rows = self.query(
            "reading a balance",
            &format!(
                "SELECT {BALANCE_COLUMNS} FROM balances WHERE level = ?1 AND low = ?2 AND high = ?3"
            ),
            [level.code(), low.0, high.0],
            balance_row,
        )?;
        // What this write changed is pending: the pair's totals as they stand.
        if !self.pending_balances.is_empty() {
            for dimension in Dimension::ALL {
                let key = PairKey {
                    level,
                    low,
                    high,
                    dimension,
                };
                if let Some(pending) = self.pending_balances.get(&key) {
                    rows.retain(|(k, _)| *k != key);
                    rows.extend(pending.map(|totals| (key, totals)));
                }
            }
            rows.sort_unstable_by_key(|(k, _)| *k);
        }
        Ok(rows)
    }

    fn balances_of(&mut self, level: Level, party: PartyId) -> StoreResult<Vec<(PairKey, Totals)>> {
        self.write_pending_inside_a_write()?;
        self.restore_balance_index()?;
        // Without statistics the planner would walk the whole level by the primary
        // key for the `high` side; the index is named so that it does not.
        self.query(
            "reading balances",
            &format!(
                "SELECT {BALANCE_COLUMNS} FROM balances WHERE level = ?1 AND low = ?2 \
                 UNION ALL SELECT {BALANCE_COLUMNS} FROM balances INDEXED BY balances_high WHERE level = ?1 AND high = ?2"
            ),
            [level.code(), party.0],
            balance_row,
        )
    }

    fn party_totals(&mut self, level: Level) -> StoreResult<Vec<(PartyId, Dimension, Totals)>> {
        self.query(
            "reading each party's sums",
            "SELECT party, dimension, given, received, count, first_ms, last_ms FROM party_totals WHERE level = ?1",
            [level.code()],
            |row| {
                Ok((
                    PartyId(row.get(0)?),
                    Dimension::from_code(row.get(1)?).ok_or_else(|| corrupt("dimension"))?,
                    Totals {
                        low_to_high: row.get(2)?,
                        high_to_low: row.get(3)?,
                        count: row.get(4)?,
                        first: Moment::from_millis(row.get(5)?),
                        last: Moment::from_millis(row.get(6)?),
                    },
                ))
            },
        )
    }

    fn party_totals_of(
        &mut self,
        level: Level,
        party: PartyId,
    ) -> StoreResult<Vec<(Dimension, Totals)>> {
        self.query(
            "reading a party's sums",
            "SELECT dimension, given, received, count, first_ms, last_ms FROM party_totals \
             WHERE level = ?1 AND party = ?2 ORDER BY dimension",
            [level.code(), party.0],
            |row| {
                Ok((
                    Dimension::from_code(row.get(0)?).ok_or_else(|| corrupt("dimension"))?,
                    Totals {
                        low_to_high: row.get(1)?,
                        high_to_low: row.get(2)?,
                        count: row.get(3)?,
                        first: Moment::from_millis(row.get(4)?),
                        last: Moment::from_millis(row.get(5)?),
                    },
                ))
            },
        )
    }

    /// Added in the table at once, not held pending as the pairs are: a write
    /// adds one delta per party it touched (an import, one per party and flush).
    fn add_to_party_totals(&mut self, deltas: &[(PartySumKey, Totals)]) -> StoreResult<()> {
        // An import into an empty store (see `BulkLoad`) adds rows none holds.
        let new_rows = self.balance_index_dropped;
        self.write_party_sums(
            "updating each party's sums",
            PARTY_SUMS_ADDING,
            new_rows,
            deltas,
        )
    }

    fn replace_party_totals(
        &mut self,
        level: Level,
        totals: &[(PartySumKey, Totals)],
    ) -> StoreResult<()> {
        let context = "rewriting each party's sums";
        self.execute(
            context,
            "DELETE FROM party_totals WHERE level = ?1",
            [level.code()],
        )?;
        debug_assert!(totals.iter().all(|(key, _)| key.level == level));
        self.write_party_sums(context, "", true, totals)
    }

    fn for_each_balance(
        &mut self,
        visit: &mut dyn FnMut(PairKey, Totals) -> StoreResult<()>,
    ) -> StoreResult<()> {
        self.write_pending_inside_a_write()?;
        let mut statement = self
            .connection
            .prepare(&format!(
                "SELECT {BALANCE_COLUMNS} FROM balances ORDER BY level, low, high, dimension"
            ))
            .map_err(backend("reading balances"))?;
        let mut rows = statement.query([]).map_err(backend("reading balances"))?;
        while let Some(row) = rows.next().map_err(backend("reading balances"))? {
            let (key, totals) = balance_row(row).map_err(backend("reading balances"))?;
            visit(key, totals)?;
        }
        Ok(())
    }

    fn add_to_months(&mut self, deltas: &[(MonthKey, Totals)]) -> StoreResult<()> {
        self.add_to(deltas)
    }

    fn replace_months(&mut self, months: &[(MonthKey, Totals)]) -> StoreResult<()> {
        let context = "rewriting monthly credit";
        self.cache.months.clear();
        self.execute(context, "DELETE FROM months", [])?;
        totals::write_rows(
            &self.connection,
            context,
            &totals::insert::<MonthKey>(<MonthKey as totals::TotalsKey>::REPLACING, true),
            months,
        )?;
        if self.depth > 0 {
            let rebuilt: FxHashMap<MonthKey, Totals> = months.iter().copied().collect();
            self.pending_months.shadow(|_| true, &rebuilt);
        }
        Ok(())
    }

    fn months_of(&mut self, organization: PartyId) -> StoreResult<Vec<(i32, Totals)>> {
        self.write_pending_inside_a_write()?;
        self.query(
            "reading monthly credit",
            "SELECT given, received, count, first_ms, last_ms, month FROM months WHERE organization = +?1 ORDER BY month",
            [organization.0],
            |r| Ok((r.get(5)?, totals::totals_row(r)?)),
        )
    }

    fn for_each_month(
        &mut self,
        visit: &mut dyn FnMut(MonthKey, Totals) -> StoreResult<()>,
    ) -> StoreResult<()> {
        self.write_pending_inside_a_write()?;
        let context = "reading monthly credit";
        let mut statement = self
            .connection
            .prepare(
                "SELECT given, received, count, first_ms, last_ms, month, organization FROM months ORDER BY organization, month",
            )
            .map_err(backend(context))?;
        let mut rows = statement.query([]).map_err(backend(context))?;
        while let Some(row) = rows.next().map_err(backend(context))? {
            let key = (
                PartyId(row.get(6).map_err(backend(context))?),
                row.get(5).map_err(backend(context))?,
            );
            visit(key, totals::totals_row(row).map_err(backend(context))?)?;
        }
        Ok(())
    }
}
