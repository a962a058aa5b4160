//! Opening a SQLite store: the file, its settings, and its migrations.

use std::path::Path;

use balans_core::builtin_catalog;
use balans_store::store::{SchemaUpgrade, StoreError, StoreResult};
use rusqlite::Connection;

use crate::catalog::insert_kind;
use crate::connection::BUSY_TIMEOUT_MS;
use crate::connection::{PartyCache, SqliteStore, backend};
use crate::migrations::{self, SCHEMA_VERSION};
use crate::pending;

/// The page cache of each connection, as `PRAGMA cache_size` takes it (minus:
/// in KiB): 64 MiB.
pub(crate) const CACHE_SIZE: i64 = -65_536;

/// The page cache of a connection while it imports gestures, until its write
/// ends: 32 MiB, and the sort that builds an index a quarter of it. An import
/// into an empty store writes its pages in order (gestures by their row, sums
/// by key, indexes built by a sort), so a page once written is rarely wanted
/// again: a million gestures between a shop's staff and 200,000 customers
/// peaked at 256-268 MiB with the usual cache, at 210-219 MiB so, in no more
/// time. A file of ten million ids from another system imported again, all
/// present, looks its ids up all over the index: 117 MiB and 50-51 s so,
/// 140 MiB and 50-52 s with the usual cache.
pub(crate) const IMPORT_CACHE_SIZE: i64 = -32_768;

impl SqliteStore {
    /// Opens the store at `path`, creating it when `create` is set, and brings its
    /// schema up to date. A store written by a newer Balans is refused untouched.
    pub fn open(path: &Path, create: bool) -> StoreResult<SqliteStore> {
        SqliteStore::open_telling(path, create, &mut |_| {})
    }

    /// As [`SqliteStore::open`], telling `upgrading` before an existing store's
    /// schema is brought up to date.
    pub fn open_telling(
        path: &Path,
        create: bool,
        upgrading: &mut dyn FnMut(SchemaUpgrade),
    ) -> StoreResult<SqliteStore> {
        if !create && !path.exists() {
            return Err(StoreError::backend(
                format!("no store at {}", path.display()),
                "run 'balans import' or 'balans demo' first, or choose one with --db",
            ));
        }
        let context = format!("cannot open the store {}", path.display());
        let connection =
            Connection::open(path).map_err(|e| StoreError::backend(context.clone(), e))?;
        connection
            .busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))
            .map_err(|e| StoreError::backend(context.clone(), e))?;
        // Every statement this store runs stays prepared: the default cache of 16
        // made the server re-prepare statements on every request.
        connection.set_prepared_statement_cache_capacity(256);
        // `IN rarray(?1)`: a list of keys or ids in one statement.
        rusqlite::vtab::array::load_module(&connection)
            .map_err(|e| StoreError::backend(context.clone(), e))?;
        // `int_rows(?1)`: many rows written by one statement.
        crate::rows::load_module(&connection)
            .map_err(|e| StoreError::backend(context.clone(), e))?;
        // Read the version before changing anything, so a newer store stays as it was.
        let version: i64 = connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(|e| StoreError::backend(context.clone(), e))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        // Temporary data (a large sort's runs: an import's index built) goes to
        // files, and stays within the page cache until it is large: in memory,
        // ten million gestures' index took 500 MB.
        //
        // 16 KiB pages: a bulk import writes a sixth fewer bytes of WAL frame headers
        // and splits fewer pages than with 4 KiB (about 17% faster here), while a
        // single gesture's commit still writes only a few small frames. The size
        // takes effect only for a new store.
        connection
            .execute_batch(&format!(
                "PRAGMA page_size = 16384;
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = FULL;
                     PRAGMA cache_size = {CACHE_SIZE};
                     PRAGMA temp_store = FILE;"
            ))
            .map_err(|e| StoreError::backend(context.clone(), e))?;
        let mut store = SqliteStore {
            connection,
            path: path.to_path_buf(),
            depth: 0,
            reading: false,
            gesture_indexes_dropped: false,
            bulk_ids: None,
            bulk_next_seq: None,
            looked_up_in_load: 0,
            ids_set_aside: false,
            aside_filter: None,
            bulk_ids_max: balans_store::store::BULK_IDS_MAX / 2,
            ids_undecided: false,
            mostly_stored: false,
            balance_index_dropped: false,
            importing: false,
            import_rows: 0,
            stored_before_import: None,
            import_offered: 0,
            import_expected: 0,
            dropped_after: None,
            many_added_min: crate::connection::MANY_ADDED_MIN,
            gesture_indexes_built: 0,
            cache: PartyCache::default(),
            pending_balances: pending::Layers::default(),
            pending_months: pending::Layers::default(),
        };
        store.migrate(version, upgrading)?;
        Ok(store)
    }

    /// Reads pages through a mapping of the file (its first `bytes`), not by
    /// copying each into the connection's cache: for a connection that mostly
    /// reads. A command that opens the store and reads a few thousand scattered
    /// pages (an organization's credits) spent a third of its time in those
    /// copies, 50 ms instead of 30. The mapped pages count in the process's
    /// resident memory, so an import, which reads much of a large store, does
    /// without.
    pub fn map_pages(&mut self, bytes: u64) -> StoreResult<()> {
        self.connection
            .execute_batch(&format!("PRAGMA mmap_size = {bytes}"))
            .map_err(|e| StoreError::backend(format!("mapping {}", self.path.display()), e))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn migrate(&mut self, from: i64, upgrading: &mut dyn FnMut(SchemaUpgrade)) -> StoreResult<()> {
        if from == SCHEMA_VERSION {
            return Ok(());
        }
        let tx = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend("migrating"))?;
        // Another process may have migrated while this one waited for the lock.
        let current: i64 = tx
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(backend("migrating"))?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found: current,
                known: SCHEMA_VERSION,
            });
        }
        if let Some(upgrade) = SchemaUpgrade::of(current, SCHEMA_VERSION) {
            upgrading(upgrade);
        }
        for (step, sql) in migrations::STEPS.iter().enumerate().skip(current as usize) {
            tx.execute_batch(sql).map_err(backend("migrating"))?;
            if step == 0 {
                for def in builtin_catalog() {
                    insert_kind(&tx, &def, true)?;
                }
            }
        }
        tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))
            .map_err(backend("migrating"))?;
        tx.commit().map_err(backend("migrating"))
    }

    /// The connection, for tests that need to look beneath the trait.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }
}
