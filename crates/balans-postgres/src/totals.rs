//! The tables of sums by key (balances, each party's sums, monthly credit): how
//! deltas are added to them, written once for all.
//!
//! Deltas are added in the database (`x = x + delta`), all of a chunk in one
//! `UNNEST` statement, so no delta is lost to a concurrent reader and PostgreSQL
//! refuses a `bigint` overflow instead of wrapping. Both tables keep half of each
//! page free (`fillfactor`, in `schema`), so most such updates stay on their page
//! and leave the indexes alone. The first sums of a bulk load go into a table
//! that was empty by `COPY` instead (`copy_into_empty`).

use balans_core::{MonthKey, PairKey, PartySumKey, Totals};
use balans_store::store::StoreResult;
use postgres::Client;
use postgres::types::ToSql;

use crate::bulk::Bulk;
use crate::connection::{PostgresStore, ROWS_PER_STATEMENT};
use crate::copy::{self, CopyFailed};
use crate::schema;

/// The key of a table of sums, and what differs between the two tables.
pub(crate) trait TotalsKey: Sized {
    /// What is being done, for errors: adding deltas, and a bulk load's copy.
    const UPDATING: &'static str;
    const STORING: &'static str;
    /// Adds one `int8[]` per key column, then the five sums (low to high, high
    /// to low, count, first, last), row by row.
    const UPSERT: &'static str;
    /// Drops and builds the table's indexes around a bulk load's first copy.
    const INDEXES_DROP: &'static str;
    const INDEXES_BUILD: &'static str;
    /// The key's columns of a chunk, in the order `UPSERT` names them.
    fn key_columns(chunk: &[(Self, Totals)]) -> Vec<Vec<i64>>;
    /// Whether the table was empty when the bulk load began and has had nothing
    /// added since.
    fn empty(bulk: &mut Bulk) -> Option<&mut bool>;
    fn copy(
        client: &mut Client,
        buffer: &mut Vec<u8>,
        sums: &[(Self, Totals)],
    ) -> Result<(), CopyFailed>;
}

impl TotalsKey for PairKey {
    const UPDATING: &'static str = "updating balances";
    const STORING: &'static str = "storing balances";
    const UPSERT: &'static str = "INSERT INTO balances (level, low, high, dimension, low_to_high, high_to_low, count, first_ms, last_ms) \
     SELECT * FROM UNNEST($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[], $8::int8[], $9::int8[]) \
     ON CONFLICT (level, low, high, dimension) DO UPDATE SET \
     low_to_high = balances.low_to_high + EXCLUDED.low_to_high, high_to_low = balances.high_to_low + EXCLUDED.high_to_low, \
     count = balances.count + EXCLUDED.count, first_ms = LEAST(balances.first_ms, EXCLUDED.first_ms), \
     last_ms = GREATEST(balances.last_ms, EXCLUDED.last_ms)";
    const INDEXES_DROP: &'static str = schema::BALANCE_INDEXES_DROP;
    const INDEXES_BUILD: &'static str = schema::BALANCE_INDEXES_BUILD;

    fn key_columns(chunk: &[(PairKey, Totals)]) -> Vec<Vec<i64>> {
        vec![
            chunk.iter().map(|(k, _)| k.level.code()).collect(),
            chunk.iter().map(|(k, _)| k.low.0).collect(),
            chunk.iter().map(|(k, _)| k.high.0).collect(),
            chunk.iter().map(|(k, _)| k.dimension.code()).collect(),
        ]
    }

    fn empty(bulk: &mut Bulk) -> Option<&mut bool> {
        match bulk {
            Bulk::Loading { balances_empty, .. } => Some(balances_empty),
            _ => None,
        }
    }

    fn copy(
        client: &mut Client,
        buffer: &mut Vec<u8>,
        sums: &[(PairKey, Totals)],
    ) -> Result<(), CopyFailed> {
        copy::copy_balances(client, buffer, sums)
    }
}

impl TotalsKey for MonthKey {
    const UPDATING: &'static str = "updating monthly credit";
    const STORING: &'static str = "storing monthly credit";
    const UPSERT: &'static str = "INSERT INTO months (organization, month, given, received, count, first_ms, last_ms) \
     SELECT * FROM UNNEST($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[]) \
     ON CONFLICT (organization, month) DO UPDATE SET \
     given = months.given + EXCLUDED.given, received = months.received + EXCLUDED.received, \
     count = months.count + EXCLUDED.count, first_ms = LEAST(months.first_ms, EXCLUDED.first_ms), \
     last_ms = GREATEST(months.last_ms, EXCLUDED.last_ms)";
    const INDEXES_DROP: &'static str = schema::MONTH_INDEXES_DROP;
    const INDEXES_BUILD: &'static str = schema::MONTH_INDEXES_BUILD;

    fn key_columns(chunk: &[(MonthKey, Totals)]) -> Vec<Vec<i64>> {
        vec![
            chunk.iter().map(|((p, _), _)| p.0).collect(),
            chunk.iter().map(|((_, m), _)| i64::from(*m)).collect(),
        ]
    }

    fn empty(bulk: &mut Bulk) -> Option<&mut bool> {
        match bulk {
            Bulk::Loading { months_empty, .. } => Some(months_empty),
            _ => None,
        }
    }

    fn copy(
        client: &mut Client,
        buffer: &mut Vec<u8>,
        sums: &[(MonthKey, Totals)],
    ) -> Result<(), CopyFailed> {
        copy::copy_months(client, buffer, sums)
    }
}

impl TotalsKey for PartySumKey {
    const UPDATING: &'static str = "updating each party's sums";
    const STORING: &'static str = "storing each party's sums";
    const UPSERT: &'static str = "INSERT INTO party_totals (level, party, dimension, given, received, count, first_ms, last_ms) \
     SELECT * FROM UNNEST($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[], $8::int8[]) \
     ON CONFLICT (level, party, dimension) DO UPDATE SET \
     given = party_totals.given + EXCLUDED.given, received = party_totals.received + EXCLUDED.received, \
     count = party_totals.count + EXCLUDED.count, first_ms = LEAST(party_totals.first_ms, EXCLUDED.first_ms), \
     last_ms = GREATEST(party_totals.last_ms, EXCLUDED.last_ms)";
    // One row per party, level and dimension: few enough to be added to in place
    // even by a bulk load, which never copies them.
    const INDEXES_DROP: &'static str = "";
    const INDEXES_BUILD: &'static str = "";

    fn key_columns(chunk: &[(PartySumKey, Totals)]) -> Vec<Vec<i64>> {
        vec![
            chunk.iter().map(|(k, _)| k.level.code()).collect(),
            chunk.iter().map(|(k, _)| k.party.0).collect(),
            chunk.iter().map(|(k, _)| k.dimension.code()).collect(),
        ]
    }

    fn empty(_: &mut Bulk) -> Option<&mut bool> {
        None
    }

    fn copy(
        _: &mut Client,
        _: &mut Vec<u8>,
        _: &[(PartySumKey, Totals)],
    ) -> Result<(), CopyFailed> {
        unreachable!("each party's sums are added in place, never copied (`empty` is None)")
    }
}

impl PostgresStore {
    /// Adds deltas to the table of `K`, creating rows as needed: by `COPY` when
    /// they are a bulk load's first sums into an empty table, else a chunk per
    /// `UNNEST` statement.
    pub(crate) fn add_totals<K: TotalsKey>(&mut self, deltas: &[(K, Totals)]) -> StoreResult<()> {
        if !deltas.is_empty() && K::empty(&mut self.bulk).is_some_and(std::mem::take) {
            return self.copy_into_empty(
                K::STORING,
                K::INDEXES_DROP,
                |client, buffer| K::copy(client, buffer, deltas),
                K::INDEXES_BUILD,
            );
        }
        for chunk in deltas.chunks(ROWS_PER_STATEMENT) {
            let mut columns = K::key_columns(chunk);
            columns.extend([
                chunk.iter().map(|(_, t)| t.low_to_high).collect(),
                chunk.iter().map(|(_, t)| t.high_to_low).collect(),
                chunk.iter().map(|(_, t)| t.count).collect(),
                chunk.iter().map(|(_, t)| t.first.millis()).collect(),
                chunk
                    .iter()
                    .map(|(_, t)| t.last.millis())
                    .collect::<Vec<i64>>(),
            ]);
            let params: Vec<&(dyn ToSql + Sync)> = columns
                .iter()
                .map(|column| column as &(dyn ToSql + Sync))
                .collect();
            self.execute(K::UPDATING, K::UPSERT, &params)?;
        }
        Ok(())
    }
}
