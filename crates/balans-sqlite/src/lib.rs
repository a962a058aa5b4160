//! The embedded SQLite store: one file in WAL mode, migrated on open.
//!
//! ```
//! use balans_sqlite::SqliteStore;
//! use balans_store::Store;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let mut store = SqliteStore::open(&dir.path().join("balans.db"), true).unwrap();
//! assert_eq!(store.kinds().unwrap().len(), 24);
//! ```

mod migrations;
mod pending;
mod totals;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use balans_core::{
    Amount, Dimension, Email, Gesture, GestureId, Kind, KindCode, KindDef, KindId, Level,
    Membership, Moment, MonthKey, PairKey, Party, PartyFields, PartyId, PartyKey, PartyKind, Role,
    StoredGesture, TokenInfo, Totals, User, UserId, UserRole, builtin_catalog,
};
use balans_store::store::{GestureFilter, SavedResponse};
use balans_store::{Catalog, Directory, SchemaUpgrade, Store, StoreError, StoreResult};
use rusqlite::{Connection, OptionalExtension, Row, params};
use rustc_hash::FxHashMap;

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = migrations::STEPS.len() as i64;

/// How long a writer waits for another before giving up.
const BUSY_TIMEOUT_MS: u64 = 10_000;

pub struct SqliteStore {
    connection: Connection,
    path: PathBuf,
    /// How many writes are open: 1 is the transaction, more are savepoints in it.
    depth: u32,
    /// Whether a read transaction (outside any write) is open.
    reading: bool,
    cache: PartyCache,
    /// Balances and monthly credit changed in the open write, written to their
    /// tables when it commits (see `pending`).
    pending_balances: pending::Layers<PairKey>,
    pending_months: pending::Layers<MonthKey>,
}

/// Parties and memberships read before. Kept until this connection writes either,
/// rolls back, or another connection commits anything (`PRAGMA data_version`), so
/// that a batch naming parties seen before needs no statement for them.
#[derive(Default)]
struct PartyCache {
    data_version: i64,
    /// Parties and memberships.
    directory: Directory,
    /// Balances as their table holds them, read or written by this connection in
    /// its writes; used only inside a write, where no other connection can change
    /// them. What a write changes is pending until it commits.
    balances: FxHashMap<PairKey, Totals>,
    /// Monthly credit as its table holds it, as `balances`.
    months: FxHashMap<MonthKey, Totals>,
    /// The kinds and the time zone; forgotten whenever this connection changes
    /// either, as well as when another one commits.
    catalog: Option<Arc<Catalog>>,
    /// The users of valid API tokens, by the token's hash; forgotten whenever
    /// this connection changes a user or a token, as well as when another one
    /// commits, so that a revoked token stops working at once.
    tokens: HashMap<[u8; 32], User>,
}

/// The most balances and months one write holds pending before writing them.
const PENDING_MAX: usize = 50_000;
/// The most tokens a cache holds before it starts over.
const TOKEN_CACHE_MAX: usize = 1_000;
/// The most balances a cache holds before it starts over.
const BALANCE_CACHE_MAX: usize = 500_000;

impl PartyCache {
    fn clear(&mut self) {
        self.directory.clear();
        self.balances.clear();
        self.months.clear();
        self.catalog = None;
        self.tokens.clear();
    }
}

fn backend(context: &str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
    move |e| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked) => {
            StoreError::Busy
        }
        _ => StoreError::backend(context, e),
    }
}

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
        // 16 KiB pages: a bulk import writes a sixth fewer bytes of WAL frame headers
        // and splits fewer pages than with 4 KiB (about 17% faster here), while a
        // single gesture's commit still writes only a few small frames. The size
        // takes effect only for a new store.
        connection
            .execute_batch(
                "PRAGMA page_size = 16384;
                 PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = FULL;
                 PRAGMA cache_size = -65536;
                 PRAGMA temp_store = MEMORY;",
            )
            .map_err(|e| StoreError::backend(context.clone(), e))?;
        let mut store = SqliteStore {
            connection,
            path: path.to_path_buf(),
            depth: 0,
            reading: false,
            cache: PartyCache::default(),
            pending_balances: pending::Layers::default(),
            pending_months: pending::Layers::default(),
        };
        store.migrate(version, upgrading)?;
        Ok(store)
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

fn insert_kind(connection: &Connection, def: &KindDef, builtin: bool) -> StoreResult<KindId> {
    connection
        .prepare_cached(
            "INSERT INTO kinds (code, dimension, default_minor, label_nl, label_en, builtin) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut s| {
            s.execute(params![
                def.code.as_str(),
                def.dimension.code(),
                def.default.map(Amount::minor),
                def.label_nl,
                def.label_en,
                builtin
            ])
        })
        .map_err(backend("adding a kind"))?;
    Ok(KindId(connection.last_insert_rowid()))
}

fn corrupt(what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Null,
        format!("unexpected {what}").into(),
    )
}

fn amount(minor: i64) -> rusqlite::Result<Amount> {
    Amount::from_minor(minor).ok_or_else(|| corrupt("amount"))
}

fn kind_row(row: &Row<'_>) -> rusqlite::Result<Kind> {
    let code: String = row.get(1)?;
    Ok(Kind {
        id: KindId(row.get(0)?),
        def: KindDef {
            code: KindCode::parse(&code).map_err(|_| corrupt("kind code"))?,
            dimension: Dimension::from_code(row.get(2)?).ok_or_else(|| corrupt("dimension"))?,
            default: row.get::<_, Option<i64>>(3)?.map(amount).transpose()?,
            label_nl: row.get(4)?,
            label_en: row.get(5)?,
        },
        builtin: row.get(6)?,
    })
}

const PARTY_COLUMNS: &str = "id, key, kind, name, email, phone, note";

fn party_row(row: &Row<'_>) -> rusqlite::Result<Party> {
    let key: String = row.get(1)?;
    let kind: String = row.get(2)?;
    Ok(Party {
        id: PartyId(row.get(0)?),
        fields: PartyFields {
            key: PartyKey::parse(&key).map_err(|_| corrupt("party key"))?,
            kind: kind
                .parse::<PartyKind>()
                .map_err(|_| corrupt("party kind"))?,
            name: row.get(3)?,
            email: row.get(4)?,
            phone: row.get(5)?,
            note: row.get(6)?,
        },
    })
}

fn membership_row(row: &Row<'_>) -> rusqlite::Result<Membership> {
    let role: String = row.get(2)?;
    Ok(Membership {
        person: PartyId(row.get(0)?),
        organization: PartyId(row.get(1)?),
        role: role.parse::<Role>().map_err(|_| corrupt("role"))?,
        from: Moment::from_millis(row.get(3)?),
        until: row.get::<_, Option<i64>>(4)?.map(Moment::from_millis),
    })
}

// Subqueries, not joins: SQLite prepares a join whose WHERE holds a parameter again
// on every run (it propagates the bound value into the plan).
const GESTURE_SELECT: &str = "SELECT g.seq, g.id, g.at_ms, g.giver, g.receiver, g.giver_org, g.receiver_org, g.kind, \
     (SELECT k.dimension FROM kinds k WHERE k.id = g.kind), g.amount_minor, g.note, g.item, g.reverses, \
     COALESCE((SELECT o.at_ms FROM gestures o WHERE o.id = g.reverses), g.at_ms) \
     FROM gestures g";

fn gesture_id(text: String) -> rusqlite::Result<GestureId> {
    GestureId::parse(&text)
        .ok()
        .flatten()
        .ok_or_else(|| corrupt("gesture id"))
}

fn gesture_row(row: &Row<'_>) -> rusqlite::Result<StoredGesture> {
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

const USER_COLUMNS: &str = "id, email, role, password_hash, language";

fn user_row(row: &Row<'_>) -> rusqlite::Result<User> {
    let email: String = row.get(1)?;
    let role: String = row.get(2)?;
    Ok(User {
        id: UserId(row.get(0)?),
        email: Email::parse(&email).map_err(|_| corrupt("e-mail address"))?,
        role: role.parse::<UserRole>().map_err(|_| corrupt("role"))?,
        password_hash: row.get(3)?,
        language: row.get(4)?,
    })
}

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

impl SqliteStore {
    /// Forgets the cache when another connection has committed since it was filled.
    /// Inside this connection's write no one else can commit, so it is asked only
    /// when the write starts (`starting`).
    fn refresh_cache_at(&mut self, starting: bool) -> StoreResult<()> {
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
    fn write_pending_inside_a_write(&mut self) -> StoreResult<()> {
        if self.depth > 0 {
            self.write_pending()?;
        }
        Ok(())
    }

    /// The parties whose `column` (key or id) is one of `values`, read from the
    /// store and remembered.
    fn read_parties(
        &mut self,
        column: &str,
        values: Vec<rusqlite::types::Value>,
    ) -> StoreResult<Vec<Party>> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let read = self.query(
            "reading parties",
            &format!("SELECT {PARTY_COLUMNS} FROM parties WHERE {column} IN rarray(?1)"),
            [std::rc::Rc::new(values)],
            party_row,
        )?;
        self.cache.directory.keep_parties(&read);
        Ok(read)
    }

    /// Runs a statement without parameters or rows (a transaction's or a
    /// savepoint's), kept prepared: a group of writes runs several per request.
    fn run_cached(&self, context: &str, sql: &str) -> StoreResult<()> {
        self.connection
            .prepare_cached(sql)
            .and_then(|mut statement| statement.execute([]))
            .map(drop)
            .map_err(backend(context))
    }

    fn query<T>(
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

    fn query_one<T>(
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

    fn execute(
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

impl Store for SqliteStore {
    fn begin_write(&mut self) -> StoreResult<()> {
        if self.depth == 1 {
            // What earlier writes of a group handed down is bounded as theirs was;
            // here, before this write, a failure leaves it unwritten and unanswered.
            self.bound_pending()?;
        }
        let sql = if self.depth == 0 {
            "BEGIN IMMEDIATE".to_string()
        } else {
            format!("SAVEPOINT w{}", self.depth)
        };
        self.run_cached("starting a write", &sql)?;
        if self.depth == 0 {
            // Nothing is pending between transactions.
            self.pending_balances.clear();
            self.pending_months.clear();
        }
        self.depth += 1;
        self.pending_balances.open();
        self.pending_months.open();
        if self.depth == 1 {
            // Others may have committed before this write took the lock.
            self.refresh_cache_at(true)?;
        }
        Ok(())
    }

    fn commit(&mut self) -> StoreResult<()> {
        debug_assert!(self.depth > 0, "commit without a write");
        self.depth = self.depth.saturating_sub(1);
        if self.depth > 0 {
            self.pending_balances.release();
            self.pending_months.release();
            return self.run_cached("committing", &format!("RELEASE w{}", self.depth));
        }
        // On failure the caller rolls back, which forgets what is pending.
        self.write_pending()?;
        self.pending_balances.clear();
        self.pending_months.clear();
        self.run_cached("committing", "COMMIT")
    }

    fn rollback(&mut self) -> StoreResult<()> {
        // What was read or written in the undone write may not be so any more.
        self.cache.clear();
        if self.depth <= 1 {
            self.depth = 0;
            self.pending_balances.clear();
            self.pending_months.clear();
            if self.connection.is_autocommit() {
                return Ok(());
            }
            return self
                .connection
                .execute_batch("ROLLBACK")
                .map_err(backend("rolling back"));
        }
        self.depth -= 1;
        self.pending_balances.discard();
        self.pending_months.discard();
        self.run_cached("rolling back", &format!("ROLLBACK TO w{}", self.depth))?;
        self.run_cached("rolling back", &format!("RELEASE w{}", self.depth))
    }

    fn begin_read(&mut self) -> StoreResult<()> {
        if self.depth > 0 || self.reading {
            return Ok(());
        }
        // A deferred transaction takes its snapshot at the first read; take it now.
        // Both statements stay prepared: a request's read begins with them.
        self.execute("starting a read", "BEGIN DEFERRED", [])?;
        self.reading = true;
        self.query_one(
            "starting a read",
            "SELECT 1 FROM settings LIMIT 1",
            [],
            |_| Ok(()),
        )?;
        Ok(())
    }

    fn end_read(&mut self) -> StoreResult<()> {
        if !self.reading {
            return Ok(());
        }
        self.reading = false;
        self.execute("ending a read", "COMMIT", []).map(drop)
    }

    fn setting(&mut self, name: &str) -> StoreResult<Option<String>> {
        self.query_one(
            "reading a setting",
            "SELECT value FROM settings WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
    }

    fn set_setting(&mut self, name: &str, value: &str) -> StoreResult<()> {
        self.cache.catalog = None;
        self.execute(
            "writing a setting",
            "INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [name, value],
        )
        .map(drop)
    }

    fn kinds(&mut self) -> StoreResult<Vec<Kind>> {
        self.query(
            "reading kinds",
            "SELECT id, code, dimension, default_minor, label_nl, label_en, builtin FROM kinds ORDER BY id",
            [],
            kind_row,
        )
    }

    fn catalog(&mut self) -> StoreResult<Arc<Catalog>> {
        self.refresh_cache_at(false)?;
        if let Some(catalog) = &self.cache.catalog {
            return Ok(Arc::clone(catalog));
        }
        let catalog = Arc::new(Catalog::read(self)?);
        self.cache.catalog = Some(Arc::clone(&catalog));
        Ok(catalog)
    }

    fn insert_kind(&mut self, def: &KindDef, builtin: bool) -> StoreResult<KindId> {
        self.cache.catalog = None;
        insert_kind(&self.connection, def, builtin)
    }

    fn update_kind(&mut self, id: KindId, def: &KindDef) -> StoreResult<()> {
        self.cache.catalog = None;
        self.execute(
            "changing a kind",
            "UPDATE kinds SET default_minor = ?2, label_nl = ?3, label_en = ?4 WHERE id = ?1",
            params![
                id.0,
                def.default.map(Amount::minor),
                def.label_nl,
                def.label_en
            ],
        )
        .map(drop)
    }

    fn parties(&mut self) -> StoreResult<Vec<Party>> {
        self.query(
            "reading parties",
            &format!("SELECT {PARTY_COLUMNS} FROM parties ORDER BY id"),
            [],
            party_row,
        )
    }

    fn party_by_key(&mut self, key: &PartyKey) -> StoreResult<Option<Party>> {
        Ok(self.parties_by_keys(&[key.as_str()])?.pop())
    }

    fn party_by_id(&mut self, id: PartyId) -> StoreResult<Option<Party>> {
        Ok(self.parties_by_ids(&[id])?.pop())
    }

    fn parties_by_keys(&mut self, keys: &[&str]) -> StoreResult<Vec<Party>> {
        self.refresh_cache_at(false)?;
        let (mut found, missing) = self.cache.directory.parties_by_keys(keys);
        let values = missing
            .iter()
            .map(|k| rusqlite::types::Value::Text(k.to_string()))
            .collect();
        found.extend(self.read_parties("key", values)?);
        Ok(found)
    }

    fn parties_by_ids(&mut self, ids: &[PartyId]) -> StoreResult<Vec<Party>> {
        self.refresh_cache_at(false)?;
        let (mut found, missing) = self.cache.directory.parties_by_ids(ids);
        let values = missing
            .iter()
            .map(|id| rusqlite::types::Value::Integer(id.0))
            .collect();
        found.extend(self.read_parties("id", values)?);
        Ok(found)
    }

    fn insert_party(&mut self, f: &PartyFields) -> StoreResult<PartyId> {
        self.cache.clear();
        self.execute(
            "adding a party",
            "INSERT INTO parties (key, kind, name, email, phone, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![f.key.as_str(), f.kind.as_str(), f.name, f.email, f.phone, f.note],
        )?;
        Ok(PartyId(self.connection.last_insert_rowid()))
    }

    fn update_party(&mut self, id: PartyId, f: &PartyFields) -> StoreResult<()> {
        self.cache.clear();
        self.execute(
            "changing a party",
            "UPDATE parties SET name = ?2, email = ?3, phone = ?4, note = ?5 WHERE id = ?1",
            params![id.0, f.name, f.email, f.phone, f.note],
        )
        .map(drop)
    }

    fn party_count(&mut self) -> StoreResult<u64> {
        self.query_one(
            "counting parties",
            "SELECT COUNT(*) FROM parties",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n.unwrap_or(0) as u64)
    }

    fn memberships(&mut self) -> StoreResult<Vec<Membership>> {
        self.query(
            "reading memberships",
            "SELECT person, organization, role, from_ms, until_ms FROM memberships ORDER BY person, from_ms, organization",
            [],
            membership_row,
        )
    }

    fn memberships_of(&mut self, person: PartyId) -> StoreResult<Vec<Membership>> {
        self.memberships_of_many(&[person])
    }

    fn memberships_of_many(&mut self, persons: &[PartyId]) -> StoreResult<Vec<Membership>> {
        self.refresh_cache_at(false)?;
        let (mut found, missing) = self.cache.directory.memberships_of(persons);
        if !missing.is_empty() {
            let values: Vec<rusqlite::types::Value> = missing
                .iter()
                .map(|id| rusqlite::types::Value::Integer(id.0))
                .collect();
            let read = self.query(
                "reading memberships",
                "SELECT person, organization, role, from_ms, until_ms FROM memberships WHERE person IN rarray(?1) \
                 ORDER BY person, from_ms, organization",
                [std::rc::Rc::new(values)],
                membership_row,
            )?;
            self.cache.directory.keep_memberships(&missing, &read);
            found.extend(read);
        }
        Ok(found)
    }

    fn upsert_membership(&mut self, m: &Membership) -> StoreResult<()> {
        self.cache.clear();
        self.execute(
            "writing a membership",
            "INSERT INTO memberships (person, organization, role, from_ms, until_ms) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (person, organization, from_ms) DO UPDATE SET role = excluded.role, until_ms = excluded.until_ms",
            params![m.person.0, m.organization.0, m.role.as_str(), m.from.millis(), m.until.map(Moment::millis)],
        )
        .map(drop)
    }

    fn insert_gestures(
        &mut self,
        gestures: &[&Gesture],
    ) -> StoreResult<Vec<Option<Box<StoredGesture>>>> {
        let context = "storing a gesture";
        let mut insert = self
            .connection
            .prepare_cached(
                "INSERT INTO gestures (id, at_ms, giver, receiver, giver_org, receiver_org, kind, amount_minor, note, item, reverses) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (id) DO NOTHING",
            )
            .map_err(backend(context))?;
        let mut outcomes = Vec::with_capacity(gestures.len());
        let mut conflicts = Vec::new();
        for (index, g) in gestures.iter().enumerate() {
            let inserted = insert
                .execute(params![
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
                .map_err(backend(context))?;
            if inserted == 0 {
                conflicts.push(index);
            }
            outcomes.push(None);
        }
        drop(insert);
        // Conflicts are rare (retries, re-imports): read each stored gesture back.
        for index in conflicts {
            let id = &gestures[index].id;
            let stored = self.gesture(id)?.ok_or_else(|| {
                StoreError::Corrupt(format!("gesture '{id}' conflicts but cannot be read"))
            })?;
            outcomes[index] = Some(Box::new(stored));
        }
        Ok(outcomes)
    }

    fn gesture(&mut self, id: &GestureId) -> StoreResult<Option<StoredGesture>> {
        self.query_one(
            "reading a gesture",
            &format!("{GESTURE_SELECT} WHERE g.id = ?1"),
            [id.as_str()],
            gesture_row,
        )
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
        let mut statement = self
            .connection
            .prepare(&format!("{GESTURE_SELECT} ORDER BY g.seq"))
            .map_err(backend("reading gestures"))?;
        let mut rows = statement.query([]).map_err(backend("reading gestures"))?;
        while let Some(row) = rows.next().map_err(backend("reading gestures"))? {
            visit(gesture_row(row).map_err(backend("reading gestures"))?)?;
        }
        Ok(())
    }

    fn gesture_count(&mut self) -> StoreResult<u64> {
        self.query_one(
            "counting gestures",
            "SELECT COUNT(*) FROM gestures",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n.unwrap_or(0) as u64)
    }

    fn add_to_balances(&mut self, deltas: &[(PairKey, Totals)]) -> StoreResult<()> {
        self.add_to(deltas)
    }

    fn replace_level(&mut self, level: Level, balances: &[(PairKey, Totals)]) -> StoreResult<()> {
        let context = "rewriting balances";
        self.cache.balances.clear();
        self.execute(
            context,
            "DELETE FROM balances WHERE level = ?1",
            [level.code()],
        )?;
        let mut write = self
            .connection
            .prepare_cached(&format!("INSERT INTO balances ({BALANCE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"))
            .map_err(backend(context))?;
        for (key, totals) in balances {
            debug_assert_eq!(key.level, level);
            totals::write_row(&mut write, key, totals).map_err(backend(context))?;
        }
        drop(write);
        if self.depth > 0 {
            let rebuilt: FxHashMap<PairKey, Totals> = balances.iter().copied().collect();
            self.pending_balances
                .shadow(|key| key.level == level, &rebuilt);
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
        let mut write = self
            .connection
            .prepare_cached(<MonthKey as totals::TotalsKey>::UPSERT)
            .map_err(backend(context))?;
        for (key, totals) in months {
            totals::write_row(&mut write, key, totals).map_err(backend(context))?;
        }
        drop(write);
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

    fn all_months(&mut self) -> StoreResult<Vec<(MonthKey, Totals)>> {
        self.write_pending_inside_a_write()?;
        self.query(
            "reading monthly credit",
            "SELECT given, received, count, first_ms, last_ms, month, organization FROM months ORDER BY organization, month",
            [],
            |r| Ok(((PartyId(r.get(6)?), r.get(5)?), totals::totals_row(r)?)),
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

    fn kind_totals(&mut self, from: Moment, until: Moment) -> StoreResult<Vec<(KindId, u64, i64)>> {
        self.query(
            "counting gestures by kind",
            "SELECT kind, COUNT(*), SUM(amount_minor) FROM gestures WHERE at_ms >= ?1 AND at_ms < ?2 GROUP BY kind",
            [from.millis(), until.millis()],
            |r| Ok((KindId(r.get(0)?), r.get::<_, i64>(1)? as u64, r.get(2)?)),
        )
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

    fn find_parties(
        &mut self,
        search: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<Party>> {
        // LIKE with its wildcards escaped: a search for "50%" finds "50%".
        let pattern = search.map(|s| {
            format!(
                "%{}%",
                s.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        });
        self.query(
            "listing parties",
            &format!(
                "SELECT {PARTY_COLUMNS} FROM parties \
                 WHERE (?1 IS NULL OR key LIKE ?1 ESCAPE '\\' OR name LIKE ?1 ESCAPE '\\') AND (?2 IS NULL OR key > ?2) \
                 ORDER BY key LIMIT ?3"
            ),
            params![pattern, after, limit as i64],
            party_row,
        )
    }

    fn find_gestures(&mut self, f: &GestureFilter) -> StoreResult<Vec<StoredGesture>> {
        // Walks the gestures in stored order from the cursor: there is no index by
        // party (it would make bulk imports far slower), so a rare party's page
        // reads much of the table. Only the conditions asked for are in the SQL, and
        // the unindexed ones compare with `+?`: SQLite prepares a statement again on
        // every run when a parameter's value could decide its plan (`?1 IS NULL`,
        // `x = ?1 OR y = ?1`).
        use rusqlite::types::Value;
        let mut conditions = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        let mut add = |condition: &str, value: Value| {
            values.push(value);
            conditions.push(condition.replace('?', &format!("?{}", values.len())));
        };
        if let Some(party) = f.party {
            add("(g.giver = +? OR g.receiver = +?)", Value::Integer(party.0));
        }
        if let Some(counterpart) = f.counterpart {
            add(
                "(g.giver = +? OR g.receiver = +?)",
                Value::Integer(counterpart.0),
            );
        }
        if let Some(kind) = f.kind {
            add("g.kind = +?", Value::Integer(kind.0));
        }
        if let Some(item) = &f.item {
            add("g.item = +?", Value::Text(item.clone()));
        }
        if let Some(from) = f.from {
            add("g.at_ms >= +?", Value::Integer(from.millis()));
        }
        if let Some(until) = f.until {
            add("g.at_ms < +?", Value::Integer(until.millis()));
        }
        let any: Option<std::rc::Rc<Vec<Value>>> = f
            .any_of
            .as_ref()
            .map(|ids| std::rc::Rc::new(ids.iter().map(|p| Value::Integer(p.0)).collect()));
        let order = match (f.after_seq, f.newest_first) {
            (Some(after), false) => {
                add("g.seq > ?", Value::Integer(after));
                "ORDER BY g.seq"
            }
            (Some(before), true) => {
                add("g.seq < ?", Value::Integer(before));
                "ORDER BY g.seq DESC"
            }
            (None, false) => "ORDER BY g.seq",
            (None, true) => "ORDER BY g.seq DESC",
        };
        let mut params: Vec<&dyn rusqlite::ToSql> =
            values.iter().map(|v| v as &dyn rusqlite::ToSql).collect();
        if let Some(any) = &any {
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
        let sql = format!("{GESTURE_SELECT} {filter} {order} LIMIT {}", f.limit);
        self.query("listing gestures", &sql, params.as_slice(), gesture_row)
    }

    fn members_of(&mut self, organization: PartyId) -> StoreResult<Vec<Membership>> {
        self.query(
            "reading memberships",
            "SELECT person, organization, role, from_ms, until_ms FROM memberships WHERE organization = +?1 ORDER BY from_ms, person",
            [organization.0],
            membership_row,
        )
    }

    fn idempotent_response(
        &mut self,
        user: UserId,
        key: &str,
    ) -> StoreResult<Option<SavedResponse>> {
        self.query_one(
            "reading a saved response",
            "SELECT fingerprint, status, body FROM idempotency WHERE user_id = ?1 AND key = ?2",
            params![user.0, key],
            |r| {
                let fingerprint: Vec<u8> = r.get(0)?;
                Ok(SavedResponse {
                    fingerprint: fingerprint.try_into().map_err(|_| corrupt("fingerprint"))?,
                    status: r.get(1)?,
                    body: r.get(2)?,
                })
            },
        )
    }

    fn save_idempotent_response(
        &mut self,
        user: UserId,
        key: &str,
        response: &SavedResponse,
        at: Moment,
        forget_before: Moment,
    ) -> StoreResult<()> {
        self.execute(
            "forgetting saved responses",
            "DELETE FROM idempotency WHERE created_ms < ?1",
            [forget_before.millis()],
        )?;
        self.execute(
            "saving a response",
            "INSERT INTO idempotency (user_id, key, fingerprint, status, body, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![user.0, key, &response.fingerprint[..], response.status, response.body, at.millis()],
        )
        .map(drop)
    }

    fn users(&mut self) -> StoreResult<Vec<User>> {
        self.query(
            "reading users",
            &format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"),
            [],
            user_row,
        )
    }

    fn user_by_email(&mut self, email: &Email) -> StoreResult<Option<User>> {
        self.query_one(
            "reading a user",
            &format!("SELECT {USER_COLUMNS} FROM users WHERE email = ?1"),
            [email.as_str()],
            user_row,
        )
    }

    fn insert_user(
        &mut self,
        email: &Email,
        role: UserRole,
        password_hash: Option<&str>,
    ) -> StoreResult<UserId> {
        self.cache.tokens.clear();
        self.execute(
            "adding a user",
            "INSERT INTO users (email, role, password_hash) VALUES (?1, ?2, ?3)",
            params![email.as_str(), role.as_str(), password_hash],
        )?;
        Ok(UserId(self.connection.last_insert_rowid()))
    }

    fn update_user(&mut self, user: &User) -> StoreResult<()> {
        self.cache.tokens.clear();
        self.execute(
            "changing a user",
            "UPDATE users SET role = ?2, password_hash = ?3, language = ?4 WHERE id = ?1",
            params![
                user.id.0,
                user.role.as_str(),
                user.password_hash,
                user.language
            ],
        )
        .map(drop)
    }

    fn insert_token(
        &mut self,
        user: UserId,
        name: &str,
        hash: &[u8; 32],
        created: Moment,
    ) -> StoreResult<i64> {
        self.cache.tokens.clear();
        self.execute(
            "adding a token",
            "INSERT INTO tokens (user_id, name, hash, created_ms) VALUES (?1, ?2, ?3, ?4)",
            params![user.0, name, &hash[..], created.millis()],
        )?;
        Ok(self.connection.last_insert_rowid())
    }

    fn user_by_token(&mut self, hash: &[u8; 32]) -> StoreResult<Option<User>> {
        self.refresh_cache_at(false)?;
        if let Some(user) = self.cache.tokens.get(hash) {
            return Ok(Some(user.clone()));
        }
        let user = self.query_one(
            "checking a token",
            &format!(
                "SELECT {USER_COLUMNS} FROM users WHERE id = (SELECT user_id FROM tokens WHERE hash = ?1 AND revoked_ms IS NULL)"
            ),
            [&hash[..]],
            user_row,
        )?;
        // Only tokens that work are kept: unknown ones could fill the cache.
        if let Some(user) = &user {
            if self.cache.tokens.len() >= TOKEN_CACHE_MAX {
                self.cache.tokens.clear();
            }
            self.cache.tokens.insert(*hash, user.clone());
        }
        Ok(user)
    }

    fn tokens(&mut self) -> StoreResult<Vec<TokenInfo>> {
        self.query(
            "reading tokens",
            "SELECT t.id, u.email, t.name, t.created_ms, t.revoked_ms FROM tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id",
            [],
            |r| {
                let email: String = r.get(1)?;
                Ok(TokenInfo {
                    id: r.get(0)?,
                    user: Email::parse(&email).map_err(|_| corrupt("e-mail address"))?,
                    name: r.get(2)?,
                    created: Moment::from_millis(r.get(3)?),
                    revoked: r.get::<_, Option<i64>>(4)?.map(Moment::from_millis),
                })
            },
        )
    }

    fn revoke_token(&mut self, id: i64, at: Moment) -> StoreResult<bool> {
        self.cache.tokens.clear();
        let changed = self.execute(
            "revoking a token",
            "UPDATE tokens SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL",
            params![id, at.millis()],
        )?;
        Ok(changed == 1)
    }

    fn insert_session(
        &mut self,
        user: UserId,
        hash: &[u8; 32],
        at: Moment,
        expires: Moment,
    ) -> StoreResult<()> {
        self.execute(
            "forgetting expired sessions",
            "DELETE FROM sessions WHERE expires_ms < ?1",
            [at.millis()],
        )?;
        self.execute(
            "starting a session",
            "INSERT INTO sessions (hash, user_id, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4)",
            params![&hash[..], user.0, at.millis(), expires.millis()],
        )?;
        Ok(())
    }

    fn user_by_session(&mut self, hash: &[u8; 32], at: Moment) -> StoreResult<Option<User>> {
        self.query_one(
            "checking a session",
            &format!(
                "SELECT {USER_COLUMNS} FROM users WHERE id = (SELECT user_id FROM sessions WHERE hash = ?1 AND expires_ms >= ?2)"
            ),
            params![&hash[..], at.millis()],
            user_row,
        )
    }

    fn delete_session(&mut self, hash: &[u8; 32]) -> StoreResult<()> {
        self.execute(
            "ending a session",
            "DELETE FROM sessions WHERE hash = ?1",
            [&hash[..]],
        )?;
        Ok(())
    }

    fn insert_upload(
        &mut self,
        user: UserId,
        name: &str,
        body: &[u8],
        at: Moment,
        forget_before: Moment,
    ) -> StoreResult<i64> {
        self.execute(
            "forgetting old uploads",
            "DELETE FROM uploads WHERE created_ms < ?1",
            [forget_before.millis()],
        )?;
        self.execute(
            "keeping an upload",
            "INSERT INTO uploads (user_id, name, body, created_ms) VALUES (?1, ?2, ?3, ?4)",
            params![user.0, name, body, at.millis()],
        )?;
        Ok(self.connection.last_insert_rowid())
    }

    fn upload(&mut self, id: i64, user: UserId) -> StoreResult<Option<(String, Vec<u8>)>> {
        self.query_one(
            "reading an upload",
            "SELECT name, body FROM uploads WHERE id = ?1 AND user_id = ?2",
            params![id, user.0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    fn delete_upload(&mut self, id: i64) -> StoreResult<()> {
        self.execute(
            "forgetting an upload",
            "DELETE FROM uploads WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_store_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("newer.db");
        drop(SqliteStore::open(&path, true).unwrap());
        Connection::open(&path)
            .unwrap()
            .execute_batch("PRAGMA user_version = 99")
            .unwrap();
        let before = std::fs::read(&path).unwrap();
        let error = SqliteStore::open(&path, false).err().unwrap();
        assert!(matches!(error, StoreError::NewerSchema { found: 99, .. }));
        assert!(error.to_string().contains("upgrade balans"), "{error}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    /// Opening a store of the previous schema says so before upgrading it; making
    /// a new store, or opening a current one, says nothing.
    #[test]
    fn an_upgrade_is_told_before_it_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("older.db");
        let previous = SCHEMA_VERSION - 1;
        {
            let mut connection = Connection::open(&path).unwrap();
            let tx = connection.transaction().unwrap();
            for sql in &migrations::STEPS[..previous as usize] {
                tx.execute_batch(sql).unwrap();
            }
            for def in builtin_catalog() {
                insert_kind(&tx, &def, true).unwrap();
            }
            tx.execute_batch(&format!("PRAGMA user_version = {previous}"))
                .unwrap();
            tx.commit().unwrap();
        }
        let mut told = Vec::new();
        let mut store =
            SqliteStore::open_telling(&path, false, &mut |upgrade| told.push(upgrade)).unwrap();
        assert_eq!(
            told,
            [SchemaUpgrade {
                from: previous,
                to: SCHEMA_VERSION
            }]
        );
        assert_eq!(store.kinds().unwrap().len(), 24);
        drop(store);
        told.clear();
        drop(SqliteStore::open_telling(&path, false, &mut |upgrade| told.push(upgrade)).unwrap());
        let new = dir.path().join("new.db");
        drop(SqliteStore::open_telling(&new, true, &mut |upgrade| told.push(upgrade)).unwrap());
        assert_eq!(told, []);
    }

    #[test]
    fn opening_is_idempotent_and_seeds_the_catalog_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.db");
        drop(SqliteStore::open(&path, true).unwrap());
        let mut store = SqliteStore::open(&path, false).unwrap();
        assert_eq!(store.kinds().unwrap().len(), 24);
        let mode: String = store
            .connection()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let page_size: i64 = store
            .connection()
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap();
        assert_eq!(page_size, 16384);
    }

    #[test]
    fn a_balance_change_that_fails_leaves_nothing_pending() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("b.db"), true).unwrap();
        let key = PairKey {
            level: Level::Person,
            low: PartyId(1),
            high: PartyId(2),
            dimension: Dimension::Credit,
        };
        let totals = |n: i64| Totals {
            low_to_high: n,
            high_to_low: 0,
            count: 1,
            first: Moment::from_millis(0),
            last: Moment::from_millis(0),
        };
        let stored = |store: &mut SqliteStore| {
            store
                .connection()
                .query_row(
                    "SELECT low_to_high, count FROM balances WHERE low = 1 AND high = 2",
                    [],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
                )
                .unwrap()
        };
        // Outside a write a change is written at once; one that overflows is refused
        // whole and leaves nothing for the next write to carry along.
        store.add_to_balances(&[(key, totals(5))]).unwrap();
        assert_eq!(stored(&mut store), (5, 1));
        let overflow = [(key, totals(1)), (key, totals(i64::MAX))];
        assert!(matches!(
            store.add_to_balances(&overflow),
            Err(StoreError::Overflow(_))
        ));
        assert_eq!(stored(&mut store), (5, 1));
        store.begin_write().unwrap();
        store.add_to_balances(&[(key, totals(2))]).unwrap();
        // Pending until the commit; a read of the pair sees it already.
        assert_eq!(stored(&mut store), (5, 1));
        let mut both = totals(7);
        both.count = 2;
        let pair = store.pair(Level::Person, PartyId(2), PartyId(1)).unwrap();
        assert_eq!(pair, vec![(key, both)]);
        store.commit().unwrap();
        assert_eq!(stored(&mut store), (7, 2));
    }

    #[test]
    fn a_large_write_keeps_a_bounded_amount_pending() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("b.db"), true).unwrap();
        let many = PENDING_MAX + PENDING_MAX / 2;
        let deltas: Vec<(PairKey, Totals)> = (0..many as i64)
            .map(|i| {
                let key = PairKey {
                    level: Level::Person,
                    low: PartyId(i),
                    high: PartyId(i + 1),
                    dimension: Dimension::Credit,
                };
                let totals = Totals {
                    low_to_high: 1,
                    high_to_low: 0,
                    count: 1,
                    first: Moment::from_millis(0),
                    last: Moment::from_millis(0),
                };
                (key, totals)
            })
            .collect();
        let rows = |store: &mut SqliteStore| {
            store
                .connection()
                .query_row("SELECT COUNT(*), SUM(low_to_high) FROM balances", [], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
                })
                .unwrap()
        };
        store.begin_write().unwrap();
        store.add_to_balances(&deltas[..10]).unwrap();
        // A nested write that changes many pairs writes them before it ends; undone,
        // it leaves only what was there.
        store.begin_write().unwrap();
        store.add_to_balances(&deltas).unwrap();
        assert!(store.pending_balances.innermost_len() <= 10);
        assert_eq!(rows(&mut store).0, many as i64);
        store.rollback().unwrap();
        // The tables are as before the nested write; the first ten are still
        // pending, as they were.
        assert_eq!(rows(&mut store), (0, None));
        assert_eq!(store.pending_balances.innermost_len(), 10);
        // Done again and kept, every pair counts once more where both wrote.
        store.begin_write().unwrap();
        store.add_to_balances(&deltas).unwrap();
        store.commit().unwrap();
        store.begin_write().unwrap();
        store.commit().unwrap();
        assert!(store.pending_balances.innermost_len() <= 10);
        store.commit().unwrap();
        assert_eq!(rows(&mut store), (many as i64, Some(many as i64 + 10)));
    }

    #[test]
    fn a_missing_store_is_not_created_unless_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.db");
        let error = SqliteStore::open(&path, false).err().unwrap();
        assert!(error.to_string().contains("no store at"), "{error}");
        assert!(!path.exists());
    }

    #[test]
    fn a_file_that_is_not_a_store_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        std::fs::write(
            &path,
            "hello, this is not a database at all, just some text to fill the header page",
        )
        .unwrap();
        let error = SqliteStore::open(&path, false).err().unwrap();
        assert!(error.to_string().contains("notes.txt"), "{error}");
    }
}
