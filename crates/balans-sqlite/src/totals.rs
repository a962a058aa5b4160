//! The two tables of totals by key, balances and monthly credit: how a connection
//! reads, holds pending (see `pending`) and writes them, written once for both.

use balans_core::{MonthKey, PairKey, Totals};
use balans_store::{StoreError, StoreResult};
use rusqlite::params_from_iter;
use rustc_hash::FxHashMap;

use crate::connection::{BALANCE_CACHE_MAX, PENDING_MAX, PartyCache, SqliteStore, backend};
use crate::pending::Layers;
use crate::rows::{self, Insert, NotWritten};

/// The key of a table of totals.
pub(crate) trait TotalsKey: Copy + Eq + std::hash::Hash + Ord {
    /// What is being read or written, for errors.
    const READING: &'static str;
    const UPDATING: &'static str;
    /// One row's totals (low to high, high to low, count, first, last), by key.
    const READ: &'static str;
    /// The start of an insert of a row, naming the table and its columns, and
    /// how many columns.
    const INTO: &'static str;
    const WIDTH: usize;
    /// What an insert does when the row exists: writes the new totals in place.
    const REPLACING: &'static str;
    /// What an insert does when the row exists: adds the delta to it. A sum
    /// beyond 64 bits becomes a REAL, which the STRICT table refuses.
    const ADDING: &'static str;
    const DELETE: &'static str;
    /// The key's columns, in the order the statements name them, and how many.
    fn columns(&self) -> ([i64; 4], usize);
    /// What would exceed the range of exact sums, for the error.
    fn overflow(&self) -> String;
    fn cache(cache: &mut PartyCache) -> &mut FxHashMap<Self, Totals>;
    fn pending(store: &mut SqliteStore) -> &mut Layers<Self>;
}

impl TotalsKey for PairKey {
    const READING: &'static str = "reading a balance";
    const UPDATING: &'static str = "updating balances";
    const READ: &'static str = "SELECT low_to_high, high_to_low, count, first_ms, last_ms FROM balances \
         WHERE level = ?1 AND low = ?2 AND high = ?3 AND dimension = ?4";
    const INTO: &'static str = "INSERT INTO balances (level, low, high, dimension, low_to_high, high_to_low, count, first_ms, last_ms)";
    const WIDTH: usize = 9;
    const REPLACING: &'static str = "ON CONFLICT (level, low, high, dimension) DO UPDATE SET low_to_high = excluded.low_to_high, \
         high_to_low = excluded.high_to_low, count = excluded.count, first_ms = excluded.first_ms, last_ms = excluded.last_ms";
    const ADDING: &'static str = "ON CONFLICT (level, low, high, dimension) DO UPDATE SET low_to_high = low_to_high + excluded.low_to_high, \
         high_to_low = high_to_low + excluded.high_to_low, count = count + excluded.count, \
         first_ms = min(first_ms, excluded.first_ms), last_ms = max(last_ms, excluded.last_ms)";
    const DELETE: &'static str =
        "DELETE FROM balances WHERE level = ?1 AND low = ?2 AND high = ?3 AND dimension = ?4";

    fn columns(&self) -> ([i64; 4], usize) {
        (
            [
                self.level.code(),
                self.low.0,
                self.high.0,
                self.dimension.code(),
            ],
            4,
        )
    }

    fn overflow(&self) -> String {
        format!(
            "pair #{} and #{} at {} level",
            self.low.0, self.high.0, self.level
        )
    }

    fn cache(cache: &mut PartyCache) -> &mut FxHashMap<Self, Totals> {
        &mut cache.balances
    }

    fn pending(store: &mut SqliteStore) -> &mut Layers<Self> {
        &mut store.pending_balances
    }
}

impl TotalsKey for MonthKey {
    const READING: &'static str = "reading monthly credit";
    const UPDATING: &'static str = "updating monthly credit";
    const READ: &'static str = "SELECT given, received, count, first_ms, last_ms FROM months \
         WHERE organization = ?1 AND month = ?2";
    const INTO: &'static str =
        "INSERT INTO months (organization, month, given, received, count, first_ms, last_ms)";
    const WIDTH: usize = 7;
    const REPLACING: &'static str = "ON CONFLICT (organization, month) DO UPDATE SET given = excluded.given, received = excluded.received, \
         count = excluded.count, first_ms = excluded.first_ms, last_ms = excluded.last_ms";
    const ADDING: &'static str = "ON CONFLICT (organization, month) DO UPDATE SET given = given + excluded.given, \
         received = received + excluded.received, count = count + excluded.count, \
         first_ms = min(first_ms, excluded.first_ms), last_ms = max(last_ms, excluded.last_ms)";
    const DELETE: &'static str = "DELETE FROM months WHERE organization = ?1 AND month = ?2";

    fn columns(&self) -> ([i64; 4], usize) {
        ([self.0.0, i64::from(self.1), 0, 0], 2)
    }

    fn overflow(&self) -> String {
        format!("monthly credit of party #{}", self.0.0)
    }

    fn cache(cache: &mut PartyCache) -> &mut FxHashMap<Self, Totals> {
        &mut cache.months
    }

    fn pending(store: &mut SqliteStore) -> &mut Layers<Self> {
        &mut store.pending_months
    }
}

/// One row's totals, as the statements above read them.
pub(crate) fn totals_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Totals> {
    Ok(Totals {
        low_to_high: row.get(0)?,
        high_to_low: row.get(1)?,
        count: row.get(2)?,
        first: balans_core::Moment::from_millis(row.get(3)?),
        last: balans_core::Moment::from_millis(row.get(4)?),
    })
}

/// An insert of `K`'s rows, doing `clause` (`REPLACING`, `ADDING` or nothing)
/// where a row exists; see `rows::Insert` for `new_rows`.
pub(crate) fn insert<K: TotalsKey>(clause: &str, new_rows: bool) -> Insert<'_> {
    Insert {
        into: K::INTO,
        width: K::WIDTH,
        clause,
        new_rows,
    }
}

/// Writes one row with the statement of an insert's `row_sql`.
fn write_row<K: TotalsKey>(
    statement: &mut rusqlite::CachedStatement<'_>,
    key: &K,
    t: &Totals,
) -> rusqlite::Result<usize> {
    statement.execute(params_from_iter(row_values(key, t)))
}

/// Writes `sums` as rows with `insert` (see [`rows::write_all`]); a row
/// refused is named as a sum out of range.
pub(crate) fn write_rows<K: TotalsKey>(
    connection: &rusqlite::Connection,
    context: &str,
    insert: &Insert<'_>,
    sums: &[(K, Totals)],
) -> StoreResult<()> {
    rows::write_all(connection, insert, sums, |(key, t)| row_values(key, t)).map_err(|e| match e {
        NotWritten::Refused((key, _)) => StoreError::Overflow(key.overflow()),
        NotWritten::Failed(e) => backend(context)(e),
    })
}

/// A row's columns in the order the statements name them.
fn row_values<K: TotalsKey>(key: &K, t: &Totals) -> impl Iterator<Item = i64> + use<K> {
    let (columns, n) = key.columns();
    columns.into_iter().take(n).chain(t.values())
}

/// Deltas at once, at the least, that the outermost write adds straight to the
/// table (see [`SqliteStore::add_directly`]): fewer are held pending, as a
/// single gesture's are.
pub(crate) const DIRECT_MIN: usize = 4_096;

/// Keeps `totals` in a cache of stored totals, which starts over when full.
fn remember<K: TotalsKey>(cache: &mut FxHashMap<K, Totals>, key: K, totals: Totals) {
    if cache.len() >= BALANCE_CACHE_MAX {
        cache.clear();
    }
    cache.insert(key, totals);
}

impl SqliteStore {
    /// Adds deltas: inside a write to what is pending in the innermost one,
    /// outside a write to the table at once, leaving nothing pending either way.
    pub(crate) fn add_to<K: TotalsKey>(&mut self, deltas: &[(K, Totals)]) -> StoreResult<()> {
        if self.depth == 1 && deltas.len() >= DIRECT_MIN {
            return self.add_directly(deltas);
        }
        if self.depth > 0 {
            return self.pend(deltas);
        }
        K::pending(self).open();
        let written = self.pend(deltas).and_then(|()| self.write_pending());
        K::pending(self).clear();
        written
    }

    /// Removes rows, as [`SqliteStore::add_to`] adds to them: pending inside a
    /// write, at once outside one.
    pub(crate) fn remove<K: TotalsKey>(&mut self, keys: &[K]) -> StoreResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let outside = self.depth == 0;
        if outside {
            K::pending(self).open();
        }
        for key in keys {
            K::pending(self).set(*key, None);
        }
        if !outside {
            return self.bound_pending();
        }
        let written = self.write_pending();
        K::pending(self).clear();
        written
    }

    /// Adds many deltas in the outermost write straight to the table, in key
    /// order, many rows to a statement (see `rows`): an import's sums over many
    /// pairs, which held pending would each cost a read of the row first, and
    /// which no other write in this transaction shares. What was pending before
    /// is written first, so that no pending total hides a row changed here.
    fn add_directly<K: TotalsKey>(&mut self, deltas: &[(K, Totals)]) -> StoreResult<()> {
        if !K::pending(self).is_empty() {
            self.write_pending_of::<K>()?;
            K::pending(self).forget_written_innermost();
        }
        // The rows change under the cache of stored totals.
        K::cache(&mut self.cache).clear();
        // An import into an empty store (see `BulkLoad`) adds rows none holds.
        let insert = insert::<K>(K::ADDING, self.balance_index_dropped);
        if deltas.is_sorted_by_key(|(k, _)| *k) {
            return write_rows(&self.connection, K::UPDATING, &insert, deltas);
        }
        let mut sorted = deltas.to_vec();
        sorted.sort_unstable_by_key(|(k, _)| *k);
        write_rows(&self.connection, K::UPDATING, &insert, &sorted)
    }

    fn pend<K: TotalsKey>(&mut self, deltas: &[(K, Totals)]) -> StoreResult<()> {
        for (key, delta) in deltas {
            let mut totals = match K::pending(self).get(key) {
                Some(pending) => pending,
                None => self.stored(key)?,
            };
            let added = match &mut totals {
                Some(totals) => totals.merge(delta),
                None => {
                    totals = Some(*delta);
                    Ok(())
                }
            };
            added.map_err(|_| StoreError::Overflow(key.overflow()))?;
            K::pending(self).set(*key, totals);
        }
        self.bound_pending()
    }

    /// Keeps what is pending within `PENDING_MAX` totals: beyond, they are written
    /// to the tables and those only the innermost write held are forgotten, so
    /// that a large import changing many pairs keeps its memory.
    pub(crate) fn bound_pending(&mut self) -> StoreResult<()> {
        let held = self.pending_balances.innermost_len() + self.pending_months.innermost_len();
        if held > PENDING_MAX {
            self.write_pending()?;
            self.pending_balances.forget_written_innermost();
            self.pending_months.forget_written_innermost();
        }
        Ok(())
    }

    /// A row's totals as its table holds them (remembered inside a write).
    fn stored<K: TotalsKey>(&mut self, key: &K) -> StoreResult<Option<Totals>> {
        if let Some(totals) = K::cache(&mut self.cache).get(key) {
            return Ok(Some(*totals));
        }
        let (columns, n) = key.columns();
        let stored = self.query_one(
            K::READING,
            K::READ,
            params_from_iter(&columns[..n]),
            totals_row,
        )?;
        if let Some(totals) = stored {
            remember(K::cache(&mut self.cache), *key, totals);
        }
        Ok(stored)
    }

    /// Writes what is pending into the tables, each row once, in key order. What is
    /// pending stays so (see `pending`): in a savepoint that is undone, these
    /// writes are undone too.
    pub(crate) fn write_pending(&mut self) -> StoreResult<()> {
        self.write_pending_of::<PairKey>()?;
        self.write_pending_of::<MonthKey>()
    }

    fn write_pending_of<K: TotalsKey>(&mut self) -> StoreResult<()> {
        if K::pending(self).is_empty() {
            return Ok(());
        }
        let rows = K::pending(self).all();
        let mut upsert = self
            .connection
            .prepare_cached(&insert::<K>(K::REPLACING, false).row_sql())
            .map_err(backend(K::UPDATING))?;
        let mut delete = self
            .connection
            .prepare_cached(K::DELETE)
            .map_err(backend(K::UPDATING))?;
        for (key, totals) in rows {
            match totals {
                Some(totals) => {
                    write_row(&mut upsert, &key, &totals).map_err(backend(K::UPDATING))?;
                    remember(K::cache(&mut self.cache), key, totals);
                }
                None => {
                    let (columns, n) = key.columns();
                    delete
                        .execute(params_from_iter(&columns[..n]))
                        .map_err(backend(K::UPDATING))?;
                    K::cache(&mut self.cache).remove(&key);
                }
            }
        }
        Ok(())
    }
}
