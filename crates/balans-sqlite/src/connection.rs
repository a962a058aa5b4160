//! The connection: a SQLite store's state between calls, what it keeps, and the
//! helpers every capability runs its statements through.
//!
//! Every statement stays prepared (`prepare_cached`, a cache of 256): the default
//! of 16 made the server prepare statements again on every request. Statements on
//! hot paths also avoid what makes SQLite prepare them again on every run: a join
//! with a parameter in its WHERE (SQLite plans with the bound value), `?1 IS NULL`,
//! a parameter beside an `ORDER BY` or in a `LIMIT`. They use subqueries, build
//! only the conditions asked for, and compare with `+?`. A list of keys or ids goes
//! in one statement through `IN rarray(?1)`. The bundled SQLite is built without
//! STAT4 and without memory statistics (`.cargo/config.toml`): with them,
//! statements were prepared again on every run and every allocation took a global
//! mutex.
//!
//! A connection remembers the parties and memberships it read, the catalog, the
//! users of the API tokens it checked (valid ones only), and inside its writes the
//! balances and months it read or wrote ([`PartyCache`]); what it forgets, and
//! when, is in `ARCHITECTURE.md`'s invariants.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use balans_core::{Amount, MonthKey, PairKey, Totals, User};
use balans_store::store::{Catalog, Directory, StoreError, StoreResult};
use rusqlite::{Connection, OptionalExtension, Row};
use rustc_hash::FxHashMap;

use crate::pending;

/// How long a writer waits for another before giving up.
pub(crate) const BUSY_TIMEOUT_MS: u64 = 10_000;

/// The fewest gestures an import adds to a store that held gestures before
/// it drops their secondary indexes, as long as its files hold at least an
/// eighth of what it held, or it has added a quarter (see
/// `drop_indexes_when_many`). Below that, the indexes are small enough for
/// the page cache, or the import small beside the store, and setting every
/// stored id aside and building the indexes again over all gestures would
/// cost more than filling them.
pub(crate) const MANY_ADDED_MIN: u64 = 250_000;

pub struct SqliteStore {
    pub(crate) connection: Connection,
    pub(crate) path: PathBuf,
    /// How many writes are open: 1 is the transaction, more are savepoints in it.
    pub(crate) depth: u32,
    /// Whether a read transaction (outside any write) is open.
    pub(crate) reading: bool,
    pub(crate) cache: PartyCache,
    /// Balances and monthly credit changed in the open write, written to their
    /// tables when it commits (see `pending`).
    pub(crate) pending_balances: pending::Layers<PairKey>,
    pub(crate) pending_months: pending::Layers<MonthKey>,
    /// The open write dropped the gestures' secondary indexes for an import
    /// into an empty table, or one adding many (`drop_indexes_when_many`);
    /// they are built again before that write commits.
    pub(crate) gesture_indexes_dropped: bool,
    /// Whether most of the last batch of gestures offered was stored already
    /// (see `insert_gestures`).
    pub(crate) mostly_stored: bool,
    /// Whether a bulk load has yet to decide, at its first batch, whether to
    /// drop the index of ids (see `insert_gestures`).
    pub(crate) ids_undecided: bool,
    /// The ids stored while the index of ids is dropped (see `GESTURE_INDEXES`),
    /// each with the `seq` its row went to.
    pub(crate) bulk_ids: Option<balans_store::store::BulkIds<i64>>,
    /// The `seq` the next gesture stored in such a load gets, while it is
    /// known: a look-up by id finds the row by it (see `bulk_gestures`).
    pub(crate) bulk_next_seq: Option<i64>,
    /// Gestures looked up by id during bulk loads without the index of ids.
    pub(crate) looked_up_in_load: u64,
    /// Whether the load set ids aside in `temp.bulk_id_hashes` (see
    /// `set_ids_aside`), or the ids stored before it in
    /// `temp.bulk_stored_hashes` (see `set_stored_ids_aside`).
    pub(crate) ids_set_aside: bool,
    /// The hashes set aside, in a filter that rules out most ids that are not
    /// among them (see `set_aside_any`); `None` while none are set aside.
    pub(crate) aside_filter: Option<Box<fastbloom::BloomFilter>>,
    /// The most ids a bulk load holds in memory (`BULK_IDS_MAX`, halved: each
    /// holds its `seq` too, and so as many bytes as the ids alone held). Below
    /// it, each id takes twice the bytes it took without: a million gestures
    /// with ids in no order peaked at 201 MiB, 157 MiB without.
    pub(crate) bulk_ids_max: usize,
    /// Whether a bulk load into empty tables dropped the index of balances by
    /// their high party (see `restore_balance_index`).
    pub(crate) balance_index_dropped: bool,
    /// Whether the open write imports gestures, with the smaller page cache of
    /// an import (`IMPORT_CACHE_SIZE`) until it ends.
    pub(crate) importing: bool,
    /// The gestures the open write's import has added so far, and how many
    /// were stored before it (read at its first batch): an import that adds
    /// many to a store already large drops the gestures' secondary indexes
    /// (see `drop_indexes_when_many`).
    pub(crate) import_rows: u64,
    pub(crate) stored_before_import: Option<u64>,
    /// The gestures the open write's import has offered so far (added or
    /// found stored), and how many its files hold as far as told (see
    /// `BulkLoad::gestures_expected`).
    pub(crate) import_offered: u64,
    pub(crate) import_expected: u64,
    /// How many gestures the last import that dropped the indexes for adding
    /// many had added then.
    pub(crate) dropped_after: Option<u64>,
    /// The fewest gestures an import adds to a store before it drops those
    /// indexes (`MANY_ADDED_MIN`, lower in a test).
    pub(crate) many_added_min: u64,
    /// How many times a write built the gestures' secondary indexes again.
    pub(crate) gesture_indexes_built: u64,
}

/// Parties and memberships read before. Kept until this connection writes either,
/// rolls back, or another connection commits anything (`PRAGMA data_version`), so
/// that a batch naming parties seen before needs no statement for them.
#[derive(Default)]
pub(crate) struct PartyCache {
    pub(crate) data_version: i64,
    /// Parties and memberships.
    pub(crate) directory: Directory,
    /// Balances as their table holds them, read or written by this connection in
    /// its writes; used only inside a write, where no other connection can change
    /// them. What a write changes is pending until it commits.
    pub(crate) balances: FxHashMap<PairKey, Totals>,
    /// Monthly credit as its table holds it, as `balances`.
    pub(crate) months: FxHashMap<MonthKey, Totals>,
    /// The kinds and the time zone; forgotten whenever this connection changes
    /// either, as well as when another one commits.
    pub(crate) catalog: Option<Arc<Catalog>>,
    /// The users of valid API tokens, by the token's hash; forgotten whenever
    /// this connection changes a user or a token, as well as when another one
    /// commits, so that a revoked token stops working at once.
    pub(crate) tokens: HashMap<[u8; 32], User>,
}

/// The most balances and months one write holds pending before writing them.
pub(crate) const PENDING_MAX: usize = 50_000;
/// The most tokens a cache holds before it starts over.
pub(crate) const TOKEN_CACHE_MAX: usize = 1_000;
/// The most balances a cache holds before it starts over.
pub(crate) const BALANCE_CACHE_MAX: usize = 500_000;

impl PartyCache {
    pub(crate) fn clear(&mut self) {
        self.directory.clear();
        self.balances.clear();
        self.months.clear();
        self.catalog = None;
        self.tokens.clear();
    }
}

pub(crate) fn backend(context: &str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
    move |e| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked) => {
            StoreError::Busy
        }
        _ => StoreError::backend(context, e),
    }
}

pub(crate) fn corrupt(what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Null,
        format!("unexpected {what}").into(),
    )
}

pub(crate) fn amount(minor: i64) -> rusqlite::Result<Amount> {
    Amount::from_minor(minor).ok_or_else(|| corrupt("amount"))
}

impl SqliteStore {
    /// Forgets the cache when another connection has committed since it was filled.
    /// Inside this connection's write no one else can commit, so it is asked only
    /// when the write starts (`starting`).
    pub(crate) fn refresh_cache_at(&mut self, starting: bool) -> StoreResult<()> {
        if self.depth > 0 && !starting {
            return Ok(());
        }
        // Asked on most requests: kept prepared, as every other statement is.
        let version: i64 = self
            .connection
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut statement| statement.query_row([], |r| r.get(0)))
            .map_err(backend("checking for changes"))?;
        if version != self.cache.data_version {
            self.cache.clear();
            self.cache.data_version = version;
        }
        Ok(())
    }

    /// Before a statement that reads the balances or months tables beyond one
    /// pair: inside a write, the tables are brought up to what is pending.
    pub(crate) fn write_pending_inside_a_write(&mut self) -> StoreResult<()> {
        if self.depth > 0 {
            self.write_pending()?;
        }
        Ok(())
    }

    /// Runs a statement without parameters or rows (a transaction's or a
    /// savepoint's), kept prepared: a group of writes runs several per request.
    pub(crate) fn run_cached(&self, context: &str, sql: &str) -> StoreResult<()> {
        self.connection
            .prepare_cached(sql)
            .and_then(|mut statement| statement.execute([]))
            .map(drop)
            .map_err(backend(context))
    }

    pub(crate) fn query<T>(
        &self,
        context: &str,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> StoreResult<Vec<T>> {
        let mut statement = self
            .connection
            .prepare_cached(sql)
            .map_err(backend(context))?;
        let rows = statement.query_map(params, map).map_err(backend(context))?;
        rows.collect::<rusqlite::Result<Vec<T>>>()
            .map_err(backend(context))
    }

    pub(crate) fn query_one<T>(
        &self,
        context: &str,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> StoreResult<Option<T>> {
        let mut statement = self
            .connection
            .prepare_cached(sql)
            .map_err(backend(context))?;
        statement
            .query_row(params, map)
            .optional()
            .map_err(backend(context))
    }

    pub(crate) fn execute(
        &self,
        context: &str,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> StoreResult<usize> {
        let mut statement = self
            .connection
            .prepare_cached(sql)
            .map_err(backend(context))?;
        statement.execute(params).map_err(backend(context))
    }
}
