//! The tables of sums by key (balances, each party's sums, monthly credit): how
//! deltas are added to them, written once for all.
//!
//! Deltas are added in the database (`x = x + delta`), all of a chunk in one
//! `UNNEST` statement, so no delta is lost to a concurrent reader and PostgreSQL
//! refuses a `bigint` overflow instead of wrapping. Both tables keep half of each
//! page free (`fillfactor`, in `schema`), so most such updates stay on their page
//! and leave the indexes alone.
//!
//! A bulk load's sums for a table that was empty go another way: each part is
//! copied into a temporary table without indexes, and before anything reads
//! the table or the write commits they are summed into it by one statement,
//! with its indexes built after (`fold_staged`). Upserting part after part of
//! sums over a million pairs cost ten times the gestures' copy, as each part
//! looks up its pairs among all those before it.

use balans_core::{MonthKey, PairKey, PartySumKey, Totals};
use balans_store::store::StoreResult;
use postgres::Client;
use postgres::types::ToSql;

use crate::bulk::{Bulk, Staged};
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
    /// Removes the rows of the keys given as one `int8[]` per key column.
    const DELETE: &'static str;
    /// How many of `key_words` are the key's columns.
    const KEY_COLUMNS: usize;
    /// Drops and builds the table's indexes around a bulk load's first copy.
    const INDEXES_DROP: &'static str;
    const INDEXES_BUILD: &'static str;
    /// The table, and its primary key's name.
    const TABLE: &'static str;
    const PRIMARY_KEY: &'static str;
    /// The temporary table a bulk load's sums wait in, made if it is missing;
    /// its name; and the statement that sums it into the table, empty.
    const STAGE: &'static str;
    const STAGED: &'static str;
    const FOLD: &'static str;
    /// The same into the table holding the parts copied straight in, with its
    /// indexes (see `Staged`).
    const FOLD_ONTO: &'static str;
    /// The key's columns of a chunk, in the order `UPSERT` names them.
    fn key_columns(chunk: &[(Self, Totals)]) -> Vec<Vec<i64>>;
    /// A key's columns, in the order of the table's primary key.
    fn key_words(&self) -> [i64; 4];
    /// Whether the table was empty when the bulk load began and has had nothing
    /// added since.
    fn empty(bulk: &mut Bulk) -> Option<&mut bool>;
    /// Whether sums wait in the temporary table, and in what order.
    fn staged(bulk: &mut Bulk) -> Option<&mut Staged>;
    /// Copies sums into `table`.
    fn copy(
        client: &mut Client,
        buffer: &mut Vec<u8>,
        table: &str,
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
    const DELETE: &'static str = "DELETE FROM balances WHERE (level, low, high, dimension) IN \
     (SELECT * FROM UNNEST($1::int8[], $2::int8[], $3::int8[], $4::int8[]))";
    const KEY_COLUMNS: usize = 4;
    const INDEXES_DROP: &'static str = schema::BALANCE_INDEXES_DROP;
    const INDEXES_BUILD: &'static str = schema::BALANCE_INDEXES_BUILD;
    const STAGE: &'static str = "CREATE TEMP TABLE IF NOT EXISTS staged_balances (level int8, low int8, high int8, \
     dimension int8, low_to_high int8, high_to_low int8, count int8, first_ms int8, last_ms int8)";
    const STAGED: &'static str = "staged_balances";
    const FOLD: &'static str = "INSERT INTO balances (level, low, high, dimension, low_to_high, high_to_low, count, first_ms, last_ms) \
     SELECT level, low, high, dimension, SUM(low_to_high), SUM(high_to_low), SUM(count), MIN(first_ms), MAX(last_ms) \
     FROM staged_balances GROUP BY level, low, high, dimension; DROP TABLE staged_balances";
    const FOLD_ONTO: &'static str = "INSERT INTO balances (level, low, high, dimension, low_to_high, high_to_low, count, first_ms, last_ms) \
     SELECT level, low, high, dimension, SUM(low_to_high), SUM(high_to_low), SUM(count), MIN(first_ms), MAX(last_ms) \
     FROM staged_balances GROUP BY level, low, high, dimension \
     ON CONFLICT (level, low, high, dimension) DO UPDATE SET \
     low_to_high = balances.low_to_high + EXCLUDED.low_to_high, high_to_low = balances.high_to_low + EXCLUDED.high_to_low, \
     count = balances.count + EXCLUDED.count, first_ms = LEAST(balances.first_ms, EXCLUDED.first_ms), \
     last_ms = GREATEST(balances.last_ms, EXCLUDED.last_ms); DROP TABLE staged_balances";
    const TABLE: &'static str = "balances";
    const PRIMARY_KEY: &'static str = "balances_pkey";

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

    fn key_words(&self) -> [i64; 4] {
        [
            self.level.code(),
            self.low.0,
            self.high.0,
            self.dimension.code(),
        ]
    }

    fn staged(bulk: &mut Bulk) -> Option<&mut Staged> {
        match bulk {
            Bulk::Loading {
                balances_staged, ..
            } => Some(balances_staged),
            _ => None,
        }
    }

    fn copy(
        client: &mut Client,
        buffer: &mut Vec<u8>,
        table: &str,
        sums: &[(PairKey, Totals)],
    ) -> Result<(), CopyFailed> {
        copy::copy_balances(client, buffer, table, sums)
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
    const DELETE: &'static str = "DELETE FROM months WHERE (organization, month) IN \
     (SELECT * FROM UNNEST($1::int8[], $2::int8[]))";
    const KEY_COLUMNS: usize = 2;
    const INDEXES_DROP: &'static str = schema::MONTH_INDEXES_DROP;
    const INDEXES_BUILD: &'static str = schema::MONTH_INDEXES_BUILD;
    const STAGE: &'static str = "CREATE TEMP TABLE IF NOT EXISTS staged_months (organization int8, month int8, \
     given int8, received int8, count int8, first_ms int8, last_ms int8)";
    const STAGED: &'static str = "staged_months";
    const FOLD: &'static str = "INSERT INTO months (organization, month, given, received, count, first_ms, last_ms) \
     SELECT organization, month, SUM(given), SUM(received), SUM(count), MIN(first_ms), MAX(last_ms) \
     FROM staged_months GROUP BY organization, month; DROP TABLE staged_months";
    const FOLD_ONTO: &'static str = "INSERT INTO months (organization, month, given, received, count, first_ms, last_ms) \
     SELECT organization, month, SUM(given), SUM(received), SUM(count), MIN(first_ms), MAX(last_ms) \
     FROM staged_months GROUP BY organization, month \
     ON CONFLICT (organization, month) DO UPDATE SET \
     given = months.given + EXCLUDED.given, received = months.received + EXCLUDED.received, \
     count = months.count + EXCLUDED.count, first_ms = LEAST(months.first_ms, EXCLUDED.first_ms), \
     last_ms = GREATEST(months.last_ms, EXCLUDED.last_ms); DROP TABLE staged_months";
    const TABLE: &'static str = "months";
    const PRIMARY_KEY: &'static str = "months_pkey";

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

    fn key_words(&self) -> [i64; 4] {
        [self.0.0, i64::from(self.1), 0, 0]
    }

    fn staged(bulk: &mut Bulk) -> Option<&mut Staged> {
        match bulk {
            Bulk::Loading { months_staged, .. } => Some(months_staged),
            _ => None,
        }
    }

    fn copy(
        client: &mut Client,
        buffer: &mut Vec<u8>,
        table: &str,
        sums: &[(MonthKey, Totals)],
    ) -> Result<(), CopyFailed> {
        copy::copy_months(client, buffer, table, sums)
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
    const DELETE: &'static str = "DELETE FROM party_totals WHERE (level, party, dimension) IN \
     (SELECT * FROM UNNEST($1::int8[], $2::int8[], $3::int8[]))";
    const KEY_COLUMNS: usize = 3;
    const INDEXES_DROP: &'static str = schema::PARTY_TOTAL_INDEXES_DROP;
    const INDEXES_BUILD: &'static str = schema::PARTY_TOTAL_INDEXES_BUILD;
    const STAGE: &'static str = "CREATE TEMP TABLE IF NOT EXISTS staged_party_totals (level int8, party int8, \
     dimension int8, given int8, received int8, count int8, first_ms int8, last_ms int8)";
    const STAGED: &'static str = "staged_party_totals";
    const FOLD: &'static str = "INSERT INTO party_totals (level, party, dimension, given, received, count, first_ms, last_ms) \
     SELECT level, party, dimension, SUM(given), SUM(received), SUM(count), MIN(first_ms), MAX(last_ms) \
     FROM staged_party_totals GROUP BY level, party, dimension; DROP TABLE staged_party_totals";
    const FOLD_ONTO: &'static str = "INSERT INTO party_totals (level, party, dimension, given, received, count, first_ms, last_ms) \
     SELECT level, party, dimension, SUM(given), SUM(received), SUM(count), MIN(first_ms), MAX(last_ms) \
     FROM staged_party_totals GROUP BY level, party, dimension \
     ON CONFLICT (level, party, dimension) DO UPDATE SET \
     given = party_totals.given + EXCLUDED.given, received = party_totals.received + EXCLUDED.received, \
     count = party_totals.count + EXCLUDED.count, first_ms = LEAST(party_totals.first_ms, EXCLUDED.first_ms), \
     last_ms = GREATEST(party_totals.last_ms, EXCLUDED.last_ms); DROP TABLE staged_party_totals";
    const TABLE: &'static str = "party_totals";
    const PRIMARY_KEY: &'static str = "party_totals_pkey";

    fn key_columns(chunk: &[(PartySumKey, Totals)]) -> Vec<Vec<i64>> {
        vec![
            chunk.iter().map(|(k, _)| k.level.code()).collect(),
            chunk.iter().map(|(k, _)| k.party.0).collect(),
            chunk.iter().map(|(k, _)| k.dimension.code()).collect(),
        ]
    }

    fn empty(bulk: &mut Bulk) -> Option<&mut bool> {
        match bulk {
            Bulk::Loading {
                party_totals_empty, ..
            } => Some(party_totals_empty),
            _ => None,
        }
    }

    fn key_words(&self) -> [i64; 4] {
        [self.level.code(), self.party.0, self.dimension.code(), 0]
    }

    fn staged(bulk: &mut Bulk) -> Option<&mut Staged> {
        match bulk {
            Bulk::Loading {
                party_totals_staged,
                ..
            } => Some(party_totals_staged),
            _ => None,
        }
    }

    fn copy(
        client: &mut Client,
        buffer: &mut Vec<u8>,
        table: &str,
        sums: &[(PartySumKey, Totals)],
    ) -> Result<(), CopyFailed> {
        copy::copy_party_totals(client, buffer, table, sums)
    }
}

impl PostgresStore {
    /// Adds deltas to the table of `K`, creating rows as needed: while a bulk
    /// load's table was empty, by `COPY` into the temporary table its sums wait
    /// in; else a chunk per `UNNEST` statement.
    pub(crate) fn add_totals<K: TotalsKey>(&mut self, deltas: &[(K, Totals)]) -> StoreResult<()> {
        if deltas.is_empty() {
            return Ok(());
        }
        let empty = K::empty(&mut self.bulk).is_some_and(std::mem::take);
        if let Some(staged) = K::staged(&mut self.bulk)
            && (empty || *staged != Staged::No)
        {
            let first = *staged == Staged::No;
            staged.note(deltas.iter().map(|(key, _)| key.key_words()));
            let direct = matches!(staged, Staged::Direct(_));
            self.send_savepoints(K::STORING)?;
            self.carried = None;
            let table = if direct {
                if first {
                    self.drop_indexes(K::STORING, K::INDEXES_DROP)?;
                }
                K::TABLE
            } else {
                // Made if missing: a savepoint undone may have taken it away.
                self.batch(K::STORING, K::STAGE)?;
                K::STAGED
            };
            return K::copy(&mut self.client, &mut self.copy_buffer, table, deltas)
                .map_err(|e| e.into_store(K::STORING));
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
            self.execute(K::UPDATING, K::UPSERT, &array_params(&columns))?;
        }
        Ok(())
    }
}

impl PostgresStore {
    /// Builds the indexes of `K`'s table that a bulk load's first part copied
    /// straight in dropped, unless they are there: the drop may have found the
    /// table in use, or a savepoint undone may have brought them back.
    fn build_dropped<K: TotalsKey>(&mut self) -> StoreResult<()> {
        let missing = self.count(
            K::UPDATING,
            &format!(
                "SELECT COUNT(*) FROM pg_constraint WHERE conname = '{}' AND conrelid = '{}'::regclass",
                K::PRIMARY_KEY,
                K::TABLE
            ),
        )? == 0;
        if missing {
            self.batch(
                K::UPDATING,
                &format!(
                    "SET LOCAL maintenance_work_mem = '256MB'; {}; SET LOCAL maintenance_work_mem TO DEFAULT",
                    K::INDEXES_BUILD
                ),
            )?;
        }
        Ok(())
    }
}

/// One `int8[]` parameter per column.
fn array_params(columns: &[Vec<i64>]) -> Vec<&(dyn ToSql + Sync)> {
    columns
        .iter()
        .map(|column| column as &(dyn ToSql + Sync))
        .collect()
}

impl PostgresStore {
    /// Removes the rows of `keys`, a chunk per statement, after a bulk load's
    /// waiting sums are in their tables.
    pub(crate) fn remove_totals<K: TotalsKey>(&mut self, keys: &[K]) -> StoreResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        self.fold_staged()?;
        for chunk in keys.chunks(ROWS_PER_STATEMENT) {
            let columns: Vec<Vec<i64>> = (0..K::KEY_COLUMNS)
                .map(|column| chunk.iter().map(|key| key.key_words()[column]).collect())
                .collect();
            self.execute(K::UPDATING, K::DELETE, &array_params(&columns))?;
        }
        Ok(())
    }

    /// Sums a bulk load's waiting sums into their tables, which held nothing
    /// before the load: one statement each, with the table's indexes built
    /// after (as `copy_into_empty` does). Done before anything reads either
    /// table, rewrites a level, or the write commits.
    pub(crate) fn fold_staged(&mut self) -> StoreResult<()> {
        self.fold::<PairKey>()?;
        self.fold::<MonthKey>()?;
        self.fold::<PartySumKey>()
    }

    fn fold<K: TotalsKey>(&mut self) -> StoreResult<()> {
        let direct = match K::staged(&mut self.bulk).map(std::mem::take) {
            None | Some(Staged::No) => return Ok(()),
            Some(Staged::Direct(_)) => return self.build_dropped::<K>(),
            Some(Staged::Waiting { direct }) => direct,
        };
        if direct {
            self.build_dropped::<K>()?;
            return self.batch(
                K::UPDATING,
                &format!(
                    "SET LOCAL work_mem = '256MB'; {}; {}",
                    K::STAGE,
                    K::FOLD_ONTO
                ),
            );
        }
        let fold = K::FOLD;
        self.copy_into_empty(
            K::UPDATING,
            K::INDEXES_DROP,
            |client, _| {
                // Summed in memory, not in files: the server's default of 4 MB
                // spilled a million pairs to disk (3.0 s; 1.4 s within 256 MB).
                client
                    .batch_execute(&format!(
                        "SET LOCAL work_mem = '256MB'; SET LOCAL maintenance_work_mem = '256MB'; {}; {}",
                        K::STAGE,
                        fold
                    ))
                    .map_err(CopyFailed::Server)
            },
            K::INDEXES_BUILD,
        )
    }
}
