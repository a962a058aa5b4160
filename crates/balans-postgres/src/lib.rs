//! The PostgreSQL store: the same [`Store`] as the embedded one, over a database
//! that several `balans` processes share.
//!
//! Writers from all processes take one transaction-level advisory lock
//! ([`WRITE_LOCK`]) when their write starts, so writes are serial across servers as
//! they are within one: a balance is read and written by one writer at a time, a
//! membership change recomputes the organization level while no gesture can slip in
//! between, and each server still groups many requests into one commit. Balance
//! deltas are added in the database (`low_to_high = low_to_high + ...`), in one
//! statement per batch; PostgreSQL refuses a `bigint` overflow instead of wrapping.
//!
//! ```no_run
//! use balans_store::Store;
//! let mut store = balans_postgres::PostgresStore::open("postgres://balans@db.example/balans")?;
//! println!("{} gestures", store.gesture_count()?);
//! # Ok::<(), balans_store::StoreError>(())
//! ```

mod copy;
pub mod schema;

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use balans_core::{
    Amount, Dimension, Email, Gesture, GestureId, Kind, KindCode, KindDef, KindId, Level,
    Membership, Moment, MonthKey, PairKey, Party, PartyFields, PartyId, PartyKey, PartyKind, Role,
    StoredGesture, TokenInfo, Totals, User, UserId, UserRole, builtin_catalog,
};
use balans_store::store::{GestureFilter, SavedResponse};
use balans_store::{
    Catalog, Directory, GestureBatches, SchemaUpgrade, Store, StoreError, StoreResult, Streamed,
};
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement};
use rustc_hash::{FxHashSet, FxHasher};

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = schema::STEPS.len() as i64;

/// The advisory lock every write holds until it commits.
pub const WRITE_LOCK: i64 = 0x6261_6c61_6e73; // "balans"

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

pub struct PostgresStore {
    client: Client,
    statements: HashMap<String, Statement>,
    /// How many writes are open: 1 is the transaction, more are savepoints in it.
    depth: u32,
    reading: bool,
    /// Where the database is, for messages: host, port and database, never a password.
    target: String,
    /// The catalog as read at a `catalog_version`; kept while the version holds.
    catalog: Option<(i64, Arc<Catalog>)>,
    /// Parties and memberships as read at `directory_version`; kept while it holds.
    directory: Directory,
    directory_version: Option<i64>,
    /// The `catalog_version` read when the open transaction began: a write holds
    /// the write lock, so only this connection can change it until the commit, and
    /// a read sees one snapshot. `None` outside a transaction, and when this
    /// connection changed what the version counts since.
    version_now: Option<i64>,
    /// Savepoints opened and released but not sent yet, in order. A savepoint
    /// goes to the server with the first statement inside it, a release with the
    /// next savepoint or statement that must follow it; one that nothing ran in
    /// is never sent. A group of writes opens two per request: this saves the
    /// server a trip for each.
    unsent: Vec<Savepoint>,
    /// Whether gestures are being loaded in bulk.
    bulk: Bulk,
    /// The `catalog_version` the last statement brought along, outside a
    /// transaction: a check of a token or a session carries it, and the read
    /// that follows on this connection takes it instead of asking again. Any
    /// other statement forgets it, and so does `end_read`, which the server
    /// calls after every read: it serves the request whose check carried it.
    carried: Option<i64>,
    /// Where rows for `COPY` are encoded, kept from one copy to the next.
    copy_buffer: Vec<u8>,
}

/// An import into an empty gestures table copies the rows in without the table's
/// indexes and builds them once, as a restore does: maintaining two unique indexes
/// row by row costs PostgreSQL more than the copy itself. The indexes are built
/// before anything needs them (a lookup by id, a reversal, a repeated id), when
/// the import has written its last file of gestures (while it sums them), and at
/// the latest before the commit; a rollback past the drop brings them back.
///
/// Only an empty table is loaded this way, so building costs no more than the
/// import. The writer holds the write lock, so no other process adds a gesture
/// meanwhile; other connections' reads of the gestures wait for the commit, as
/// dropping an index locks the table, and so do reads of the balances and the
/// months once their first sums are copied in (`copy_into_empty`).
#[derive(Debug, Default)]
enum Bulk {
    /// Gestures are written with the indexes in place.
    #[default]
    Off,
    /// Many gestures follow in the write at `depth` (an import): its first batch
    /// large enough to be copied looks whether the table is empty.
    Wanted { depth: u32 },
    /// The indexes were dropped by the write at depth `dropped`, and built again
    /// by the one at `built`, if they were: a rollback past the build leaves
    /// them dropped. `ids` holds the ids copied in bulk, so that a repeated id,
    /// which the unique index would have refused, is seen and the indexes built
    /// before it is written. `balances_empty` and `months_empty`
    /// say that the table held no row when the load began and none has been
    /// added since: the first sums go in by COPY rather than one upsert each.
    Loading {
        dropped: u32,
        built: Option<u32>,
        ids: BulkIds,
        balances_empty: bool,
        months_empty: bool,
    },
}

/// The ids copied in bulk, as hashes. Files usually number their gestures in
/// order, and while each id sorts after the one before, none can repeat: the
/// hashes are only listed then, which costs a write to the list's end where a
/// set costs a trip to memory per id. The first id out of order puts the list
/// into a set, which every id after it is checked against.
#[derive(Debug, Default)]
struct BulkIds {
    /// The last id listed, while all are in order.
    last: String,
    listed: Vec<u64>,
    set: Option<FxHashSet<u64>>,
}

impl BulkIds {
    fn len(&self) -> usize {
        self.set.as_ref().map_or(self.listed.len(), FxHashSet::len)
    }

    /// Adds an id; false when it was added before (or a different id with the
    /// same hash was, which sends the load through the indexes, as a repeat does).
    fn insert(&mut self, id: &GestureId) -> bool {
        let mut hasher = FxHasher::default();
        id.as_str().hash(&mut hasher);
        let hash = hasher.finish();
        if let Some(set) = &mut self.set {
            return set.insert(hash);
        }
        if self.listed.is_empty() || id.as_str() > self.last.as_str() {
            self.listed.push(hash);
            self.last.clear();
            self.last.push_str(id.as_str());
            return true;
        }
        let mut set: FxHashSet<u64> = std::mem::take(&mut self.listed).into_iter().collect();
        let new = set.insert(hash);
        self.set = Some(set);
        new
    }
}

/// Whether a batch of `n` gestures may be copied in bulk: it holds no reversal
/// (which needs what the indexes check) and no id copied before. Past
/// `BULK_IDS_MAX` ids the rest goes through the indexes, so that the hashes stay
/// within some 40 MiB, however long the file (for a moment some 64 MiB, when an
/// id out of order comes that late and the list becomes a set).
fn bulk_new<'g>(
    ids: &mut BulkIds,
    n: usize,
    mut gestures: impl Iterator<Item = &'g Gesture>,
) -> bool {
    ids.len() + n <= BULK_IDS_MAX && gestures.all(|g| g.reverses.is_none() && ids.insert(&g.id))
}

/// A savepoint command waiting to be sent; `w{n}` is the savepoint of depth `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Savepoint {
    Open(u32),
    Release(u32),
}

impl Savepoint {
    fn sql(self) -> String {
        match self {
            Savepoint::Open(n) => format!("SAVEPOINT w{n}; "),
            Savepoint::Release(n) => format!("RELEASE SAVEPOINT w{n}; "),
        }
    }
}

/// Host, port, user and database of a URL, for messages.
fn describe(config: &postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".to_string());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("?");
    let db = config.get_dbname().unwrap_or(user);
    format!("{host}:{port} (database {db}, user {user})")
}

fn pg_error(context: &str) -> impl Fn(postgres::Error) -> StoreError + '_ {
    move |e| {
        if e.code() == Some(&SqlState::NUMERIC_VALUE_OUT_OF_RANGE) {
            StoreError::Overflow(context.to_string())
        } else if let Some(db) = e.as_db_error() {
            StoreError::backend(context.to_string(), db.message().to_string())
        } else {
            StoreError::backend(context.to_string(), e)
        }
    }
}

/// The first row's first column of a simple query's replies, as a number.
fn first_number(replies: &[postgres::SimpleQueryMessage]) -> Option<i64> {
    replies.iter().find_map(|reply| match reply {
        postgres::SimpleQueryMessage::Row(row) => row.get(0)?.parse().ok(),
        _ => None,
    })
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unexpected {what}"))
}

impl PostgresStore {
    /// Connects to the database of a `postgres://` URL and brings its schema up to
    /// date; a database with a newer schema is refused and left as it is.
    pub fn open(url: &str) -> StoreResult<PostgresStore> {
        PostgresStore::open_telling(url, &mut |_| {})
    }

    /// As [`PostgresStore::open`], telling `upgrading` before an existing
    /// database's schema is brought up to date.
    pub fn open_telling(
        url: &str,
        upgrading: &mut dyn FnMut(SchemaUpgrade),
    ) -> StoreResult<PostgresStore> {
        let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            StoreError::backend("cannot read the PostgreSQL URL", e.to_string())
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        config.application_name("balans");
        let target = describe(&config);
        let client = config.connect(NoTls).map_err(|e| {
            let reason = e
                .as_db_error()
                .map(|db| db.message().to_string())
                .unwrap_or_else(|| {
                    std::error::Error::source(&e).map_or_else(|| e.to_string(), |s| s.to_string())
                });
            StoreError::backend(format!("cannot connect to PostgreSQL at {target}"), reason)
        })?;
        let mut store = PostgresStore {
            client,
            statements: HashMap::new(),
            depth: 0,
            reading: false,
            target,
            catalog: None,
            directory: Directory::default(),
            directory_version: None,
            version_now: None,
            unsent: Vec::new(),
            bulk: Bulk::Off,
            carried: None,
            copy_buffer: Vec::new(),
        };
        store.migrate(upgrading)?;
        Ok(store)
    }

    /// Where the database is: host, port, database and user.
    pub fn target(&self) -> &str {
        &self.target
    }

    fn migrate(&mut self, upgrading: &mut dyn FnMut(SchemaUpgrade)) -> StoreResult<()> {
        let context = "migrating";
        let version = |client: &mut Client| -> StoreResult<i64> {
            let exists: Option<String> = client
                .query_one("SELECT to_regclass('schema_version')::text", &[])
                .map_err(pg_error(context))?
                .get(0);
            if exists.is_none() {
                return Ok(0);
            }
            Ok(client
                .query_opt("SELECT version FROM schema_version", &[])
                .map_err(pg_error(context))?
                .map_or(0, |r| r.get(0)))
        };
        let found = version(&mut self.client)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found,
                known: SCHEMA_VERSION,
            });
        }
        if found == SCHEMA_VERSION {
            return Ok(());
        }
        let mut tx = self.client.transaction().map_err(pg_error(context))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
            .map_err(pg_error(context))?;
        // Another process may have migrated while this one waited for the lock.
        let exists: Option<String> = tx
            .query_one("SELECT to_regclass('schema_version')::text", &[])
            .map_err(pg_error(context))?
            .get(0);
        if exists.is_none() {
            tx.batch_execute("CREATE TABLE schema_version (version BIGINT NOT NULL); INSERT INTO schema_version VALUES (0);")
                .map_err(pg_error(context))?;
        }
        let current: i64 = tx
            .query_one("SELECT version FROM schema_version FOR UPDATE", &[])
            .map_err(pg_error(context))?
            .get(0);
        if current > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found: current,
                known: SCHEMA_VERSION,
            });
        }
        if let Some(upgrade) = SchemaUpgrade::of(current, SCHEMA_VERSION) {
            upgrading(upgrade);
        }
        for (step, sql) in schema::STEPS.iter().enumerate().skip(current as usize) {
            tx.batch_execute(sql).map_err(pg_error(context))?;
            if step == 0 {
                for def in builtin_catalog() {
                    tx.execute(
                        "INSERT INTO kinds (code, dimension, default_minor, label_nl, label_en, builtin) VALUES ($1, $2, $3, $4, $5, TRUE)",
                        &[&def.code.as_str(), &def.dimension.code(), &def.default.map(Amount::minor), &def.label_nl, &def.label_en],
                    )
                    .map_err(pg_error(context))?;
                }
            }
        }
        tx.execute("UPDATE schema_version SET version = $1", &[&SCHEMA_VERSION])
            .map_err(pg_error(context))?;
        tx.commit().map_err(pg_error(context))
    }

    /// Before a statement: the savepoints it runs in must exist. Releases alone may
    /// wait, as no statement depends on them.
    fn send_savepoints(&mut self, context: &str) -> StoreResult<()> {
        if self.unsent.iter().any(|s| matches!(s, Savepoint::Open(_))) {
            let sql: String = self.unsent.drain(..).map(Savepoint::sql).collect();
            self.client.batch_execute(&sql).map_err(pg_error(context))?;
        }
        Ok(())
    }

    fn statement(&mut self, context: &str, sql: &str) -> StoreResult<Statement> {
        self.carried = None;
        self.send_savepoints(context)?;
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).map_err(pg_error(context))?;
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    fn query(&mut self, context: &str, sql: &str, params: Params<'_>) -> StoreResult<Vec<Row>> {
        let statement = self.statement(context, sql)?;
        self.client
            .query(&statement, params)
            .map_err(pg_error(context))
    }

    fn query_opt(
        &mut self,
        context: &str,
        sql: &str,
        params: Params<'_>,
    ) -> StoreResult<Option<Row>> {
        let statement = self.statement(context, sql)?;
        self.client
            .query_opt(&statement, params)
            .map_err(pg_error(context))
    }

    fn execute(&mut self, context: &str, sql: &str, params: Params<'_>) -> StoreResult<u64> {
        let statement = self.statement(context, sql)?;
        self.client
            .execute(&statement, params)
            .map_err(pg_error(context))
    }

    /// This connection changes what `catalog_version` counts (kinds, settings,
    /// parties, memberships), or undoes a change: nothing it kept holds any more,
    /// nor the version read when its transaction began.
    fn kept_changed(&mut self) {
        self.catalog = None;
        self.directory.clear();
        self.directory_version = None;
        self.version_now = None;
    }

    /// The `catalog_version` this connection sees now: read once per transaction,
    /// and on every call outside one.
    fn version(&mut self) -> StoreResult<i64> {
        let in_transaction = self.depth > 0 || self.reading;
        if let Some(version) = self.version_now.filter(|_| in_transaction) {
            return Ok(version);
        }
        if let Some(version) = self.carried.take().filter(|_| !in_transaction) {
            return Ok(version);
        }
        let version = self
            .query_opt(
                "reading the catalog's version",
                "SELECT n FROM catalog_version",
                &[],
            )?
            .ok_or_else(|| corrupt("catalog version"))?
            .get(0);
        if in_transaction {
            self.version_now = Some(version);
        }
        Ok(version)
    }

    /// Keeps the `catalog_version` in column `at` of `row` for the next read,
    /// outside a transaction (inside one, the version read when it began holds).
    fn carry_version(&mut self, row: Option<&Row>, at: usize) {
        if self.depth == 0 && !self.reading {
            self.carried = row.map(|r| r.get(at));
        }
    }

    /// Forgets the parties and memberships kept when the version has moved on.
    fn directory_fresh(&mut self) -> StoreResult<()> {
        let version = self.version()?;
        if self.directory_version != Some(version) {
            self.directory.clear();
            self.directory_version = Some(version);
        }
        Ok(())
    }

    /// The parties whose `column` (key or id) is one of `values`, read and kept.
    fn read_parties<T: ToSql + Sync>(
        &mut self,
        column: &str,
        values: &[T],
    ) -> StoreResult<Vec<Party>> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let found = self.query(
            "reading parties",
            &format!("SELECT {PARTY_COLUMNS} FROM parties WHERE {column} = ANY($1)"),
            &[&values],
        )?;
        let read = rows(found, party_row)?;
        self.directory.keep_parties(&read);
        Ok(read)
    }

    /// Runs statements without parameters, with the savepoint commands not sent
    /// yet ahead of them in the same trip.
    fn batch(&mut self, context: &str, sql: &str) -> StoreResult<()> {
        self.carried = None;
        if self.unsent.is_empty() {
            return self.client.batch_execute(sql).map_err(pg_error(context));
        }
        let mut all: String = self.unsent.drain(..).map(Savepoint::sql).collect();
        all.push_str(sql);
        self.client.batch_execute(&all).map_err(pg_error(context))
    }

    /// Copies `gestures` in without the indexes when a bulk load is wanted and
    /// the table is empty, or one is under way; false when they must be written
    /// through the indexes, which are then in place.
    fn copy_in_bulk(&mut self, gestures: &[&Gesture]) -> StoreResult<bool> {
        let context = "storing gestures";
        if !self.bulk_takes(gestures.len(), gestures.iter().copied())? {
            return Ok(false);
        }
        self.send_savepoints(context)?;
        self.copy_gestures(gestures)
            .map_err(|e| e.into_store(context))?;
        Ok(true)
    }

    /// Whether `gestures` (`n` of them) go in with a bulk load: when one is
    /// wanted and the table is empty (which begins it), or one is under way, and
    /// [`bulk_new`] says they are all new. When they are not, the indexes are
    /// built, and the load is over.
    fn bulk_takes<'g>(
        &mut self,
        n: usize,
        gestures: impl Iterator<Item = &'g Gesture>,
    ) -> StoreResult<bool> {
        let context = "storing gestures";
        if matches!(self.bulk, Bulk::Wanted { .. }) {
            self.bulk = Bulk::Off;
            let empty = self
                .query_opt(
                    context,
                    "SELECT NOT EXISTS (SELECT 1 FROM gestures), NOT EXISTS (SELECT 1 FROM balances), \
                     NOT EXISTS (SELECT 1 FROM months)",
                    &[],
                )?
                .ok_or_else(|| corrupt("an answer to EXISTS"))?;
            if !empty.get::<_, bool>(0) {
                return Ok(false);
            }
            self.batch(context, schema::GESTURE_INDEXES_DROP)?;
            self.bulk = Bulk::Loading {
                dropped: self.depth,
                built: None,
                ids: BulkIds::default(),
                balances_empty: empty.get(1),
                months_empty: empty.get(2),
            };
        }
        let Bulk::Loading {
            built: None, ids, ..
        } = &mut self.bulk
        else {
            return Ok(false);
        };
        if !bulk_new(ids, n, gestures) {
            self.build_indexes()?;
            return Ok(false);
        }
        Ok(true)
    }

    /// Copies batch after batch in one `COPY` while a bulk load takes them (see
    /// [`Store::stream_gestures`]): the server copies one batch while the next is
    /// parsed, where a `COPY` per batch left it waiting at each batch's end for
    /// the client's turn. The rows are numbered on from the sequence's next
    /// value, and the sequence is set to the last at the end: the writer holds
    /// the write lock, so no one else takes numbers meanwhile.
    fn stream_in_bulk(&mut self, batches: &mut dyn GestureBatches) -> StoreResult<Streamed> {
        let context = "storing gestures";
        let Some(mut batch) = batches.next_batch() else {
            return Ok(Streamed::Drained);
        };
        let n = batch.len();
        if n < COPY_ROWS_MIN
            || self.depth == 0
            || !self.bulk_takes(n, batch.iter().map(|r| &r.gesture))?
        {
            return Ok(Streamed::Declined);
        }
        self.send_savepoints(context)?;
        self.carried = None;
        let first: i64 = self
            .query_opt(
                context,
                "SELECT nextval(pg_get_serial_sequence('gestures', 'seq'))",
                &[],
            )?
            .ok_or_else(|| corrupt("an answer to nextval"))?
            .get(0);
        let Bulk::Loading { ids, .. } = &mut self.bulk else {
            return Err(corrupt("a bulk load that ended by itself"));
        };
        let mut stream = copy::GestureStream::open(&mut self.client, &mut self.copy_buffer, first)
            .map_err(|e| e.into_store(context))?;
        let mut ended = Streamed::Drained;
        loop {
            stream
                .write(batch.iter().map(|r| &r.gesture))
                .map_err(|e| e.into_store(context))?;
            batches.stored();
            let Some(next) = batches.next_batch() else {
                break;
            };
            if !bulk_new(ids, next.len(), next.iter().map(|r| &r.gesture)) {
                ended = Streamed::Declined;
                break;
            }
            batch = next;
        }
        let last = stream.finish().map_err(|e| e.into_store(context))?;
        self.query_opt(
            context,
            "SELECT setval(pg_get_serial_sequence('gestures', 'seq'), $1)",
            &[&last],
        )?;
        if ended == Streamed::Declined {
            self.build_indexes()?;
        }
        Ok(ended)
    }

    /// Copies the first rows into a table that was empty when a bulk load began:
    /// `drop` locks the table without waiting and drops its indexes, `copy`
    /// copies, `build` builds them again. When another connection holds the
    /// table, the rows are copied through the indexes instead.
    fn copy_into_empty(
        &mut self,
        context: &str,
        drop: &str,
        copy: impl FnOnce(&mut Client, &mut Vec<u8>) -> Result<(), copy::CopyFailed>,
        build: &str,
    ) -> StoreResult<()> {
        self.send_savepoints(context)?;
        self.carried = None;
        let dropped = match self.client.batch_execute(&format!(
            "SAVEPOINT empty_table; {drop}; RELEASE SAVEPOINT empty_table"
        )) {
            Ok(()) => true,
            Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => {
                self.batch(
                    context,
                    "ROLLBACK TO SAVEPOINT empty_table; RELEASE SAVEPOINT empty_table",
                )?;
                false
            }
            Err(e) => return Err(pg_error(context)(e)),
        };
        copy(&mut self.client, &mut self.copy_buffer).map_err(|e| e.into_store(context))?;
        if dropped {
            self.batch(context, build)?;
        }
        Ok(())
    }

    /// Builds the gestures table's indexes when a bulk load dropped them.
    fn build_indexes(&mut self) -> StoreResult<()> {
        if matches!(self.bulk, Bulk::Loading { built: None, .. }) {
            self.batch("indexing the gestures", schema::GESTURE_INDEXES_BUILD)?;
            if let Bulk::Loading { built, .. } = &mut self.bulk {
                *built = Some(self.depth);
            }
        }
        Ok(())
    }

    fn count(&mut self, context: &str, sql: &str) -> StoreResult<u64> {
        Ok(self
            .query_opt(context, sql, &[])?
            .map_or(0, |r| r.get::<_, i64>(0)) as u64)
    }
}

fn amount(minor: i64) -> StoreResult<Amount> {
    Amount::from_minor(minor).ok_or_else(|| corrupt("amount"))
}

const KIND_COLUMNS: &str = "id, code, dimension, default_minor, label_nl, label_en, builtin";

fn kind_row(row: &Row) -> StoreResult<Kind> {
    let code: String = row.get(1);
    Ok(Kind {
        id: KindId(row.get(0)),
        def: KindDef {
            code: KindCode::parse(&code).map_err(|_| corrupt("kind code"))?,
            dimension: Dimension::from_code(row.get(2)).ok_or_else(|| corrupt("dimension"))?,
            default: row.get::<_, Option<i64>>(3).map(amount).transpose()?,
            label_nl: row.get(4),
            label_en: row.get(5),
        },
        builtin: row.get(6),
    })
}

const PARTY_COLUMNS: &str = "id, key, kind, name, email, phone, note";

fn party_row(row: &Row) -> StoreResult<Party> {
    let key: String = row.get(1);
    let kind: String = row.get(2);
    Ok(Party {
        id: PartyId(row.get(0)),
        fields: PartyFields {
            key: PartyKey::parse(&key).map_err(|_| corrupt("party key"))?,
            kind: kind
                .parse::<PartyKind>()
                .map_err(|_| corrupt("party kind"))?,
            name: row.get(3),
            email: row.get(4),
            phone: row.get(5),
            note: row.get(6),
        },
    })
}

const MEMBERSHIP_COLUMNS: &str = "person, organization, role, from_ms, until_ms";

fn membership_row(row: &Row) -> StoreResult<Membership> {
    let role: String = row.get(2);
    Ok(Membership {
        person: PartyId(row.get(0)),
        organization: PartyId(row.get(1)),
        role: role.parse::<Role>().map_err(|_| corrupt("role"))?,
        from: Moment::from_millis(row.get(3)),
        until: row.get::<_, Option<i64>>(4).map(Moment::from_millis),
    })
}

/// Party and kind numbers are `INTEGER` in the gestures table and `BIGINT`
/// everywhere else; they are read and compared as `int8`.
const GESTURE_SELECT: &str = "SELECT g.seq, g.id, g.at_ms, g.giver::int8, g.receiver::int8, (g.details).giver_org::int8, (g.details).receiver_org::int8, g.kind::int8, \
     k.dimension, g.amount_minor, (g.details).note, (g.details).item, (g.details).reverses, COALESCE(o.at_ms, g.at_ms) \
     FROM gestures g JOIN kinds k ON k.id = g.kind LEFT JOIN gestures o ON o.id = (g.details).reverses";

fn gesture_id(text: &str) -> StoreResult<GestureId> {
    GestureId::parse(text)
        .ok()
        .flatten()
        .ok_or_else(|| corrupt("gesture id"))
}

fn gesture_row(row: &Row) -> StoreResult<StoredGesture> {
    Ok(StoredGesture {
        seq: row.get(0),
        gesture: Gesture {
            id: gesture_id(row.get(1))?,
            at: Moment::from_millis(row.get(2)),
            giver: PartyId(row.get(3)),
            receiver: PartyId(row.get(4)),
            giver_org: row.get::<_, Option<i64>>(5).map(PartyId),
            receiver_org: row.get::<_, Option<i64>>(6).map(PartyId),
            kind: KindId(row.get(7)),
            dimension: Dimension::from_code(row.get(8)).ok_or_else(|| corrupt("dimension"))?,
            amount: amount(row.get(9))?,
            note: row.get(10),
            item: row.get(11),
            reverses: row.get::<_, Option<&str>>(12).map(gesture_id).transpose()?,
        },
        attributed_at: Moment::from_millis(row.get(13)),
    })
}

const BALANCE_COLUMNS: &str =
    "level, low, high, dimension, low_to_high, high_to_low, count, first_ms, last_ms";

fn balance_row(row: &Row) -> StoreResult<(PairKey, Totals)> {
    Ok((
        PairKey {
            level: Level::from_code(row.get(0)).ok_or_else(|| corrupt("level"))?,
            low: PartyId(row.get(1)),
            high: PartyId(row.get(2)),
            dimension: Dimension::from_code(row.get(3)).ok_or_else(|| corrupt("dimension"))?,
        },
        Totals {
            low_to_high: row.get(4),
            high_to_low: row.get(5),
            count: row.get(6),
            first: Moment::from_millis(row.get(7)),
            last: Moment::from_millis(row.get(8)),
        },
    ))
}

/// Given, received, count, first and last from column `at` on.
fn month_totals(row: &Row, at: usize) -> Totals {
    Totals {
        low_to_high: row.get(at),
        high_to_low: row.get(at + 1),
        count: row.get(at + 2),
        first: Moment::from_millis(row.get(at + 3)),
        last: Moment::from_millis(row.get(at + 4)),
    }
}

const USER_COLUMNS: &str = "id, email, role, password_hash, language";

fn user_row(row: &Row) -> StoreResult<User> {
    let email: String = row.get(1);
    let role: String = row.get(2);
    Ok(User {
        id: UserId(row.get(0)),
        email: Email::parse(&email).map_err(|_| corrupt("e-mail address"))?,
        role: role.parse::<UserRole>().map_err(|_| corrupt("role"))?,
        password_hash: row.get(3),
        language: row.get(4),
    })
}

fn rows<T>(rows: Vec<Row>, map: impl Fn(&Row) -> StoreResult<T>) -> StoreResult<Vec<T>> {
    rows.iter().map(map).collect()
}

/// Adds deltas to a table keyed by `keys` columns, in one statement: each row's
/// sums grow in the database, so no delta is lost to a concurrent reader.
const BALANCE_UPSERT: &str = "INSERT INTO balances (level, low, high, dimension, low_to_high, high_to_low, count, first_ms, last_ms) \
     SELECT * FROM UNNEST($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[], $8::int8[], $9::int8[]) \
     ON CONFLICT (level, low, high, dimension) DO UPDATE SET \
     low_to_high = balances.low_to_high + EXCLUDED.low_to_high, high_to_low = balances.high_to_low + EXCLUDED.high_to_low, \
     count = balances.count + EXCLUDED.count, first_ms = LEAST(balances.first_ms, EXCLUDED.first_ms), \
     last_ms = GREATEST(balances.last_ms, EXCLUDED.last_ms)";

const MONTH_UPSERT: &str = "INSERT INTO months (organization, month, given, received, count, first_ms, last_ms) \
     SELECT * FROM UNNEST($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[]) \
     ON CONFLICT (organization, month) DO UPDATE SET \
     given = months.given + EXCLUDED.given, received = months.received + EXCLUDED.received, \
     count = months.count + EXCLUDED.count, first_ms = LEAST(months.first_ms, EXCLUDED.first_ms), \
     last_ms = GREATEST(months.last_ms, EXCLUDED.last_ms)";

/// The most rows one statement of deltas or gestures carries.
const ROWS_PER_STATEMENT: usize = 10_000;
/// Batches this large are copied in (COPY); smaller ones are inserted.
const COPY_ROWS_MIN: usize = 256;
/// The most gestures one bulk load copies in before the indexes are built.
const BULK_IDS_MAX: usize = 3_500_000;

impl Store for PostgresStore {
    fn begin_write(&mut self) -> StoreResult<()> {
        if self.depth == 0 {
            if self.reading {
                self.end_read()?;
            }
            debug_assert!(self.unsent.is_empty(), "savepoints left from a transaction");
            self.carried = None;
            // The catalog's version comes in the same trip as the lock.
            let replies = self
                .client
                .simple_query(&format!(
                    "BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK}); SELECT n FROM catalog_version"
                ))
                .map_err(pg_error("starting a write"))?;
            self.version_now = first_number(&replies);
        } else {
            self.unsent.push(Savepoint::Open(self.depth));
        }
        self.depth += 1;
        Ok(())
    }

    fn commit(&mut self) -> StoreResult<()> {
        debug_assert!(self.depth > 0, "commit without a write");
        if self.depth == 1 {
            if let Err(e) = self.build_indexes() {
                // The transaction cannot commit: end it, undoing the load.
                self.rollback()?;
                return Err(e);
            }
            self.bulk = Bulk::Off;
        }
        self.depth = self.depth.saturating_sub(1);
        match &mut self.bulk {
            Bulk::Loading { dropped, built, .. } => {
                // Released: what this write did is now part of the enclosing one.
                *dropped = (*dropped).min(self.depth);
                *built = built.map(|b| b.min(self.depth));
            }
            // The import that wanted a bulk load has ended without one.
            Bulk::Wanted { depth } if *depth > self.depth => self.bulk = Bulk::Off,
            _ => {}
        }
        if self.depth == 0 {
            self.version_now = None;
            // COMMIT releases every savepoint.
            self.unsent.clear();
            let committed = self.batch("committing", "COMMIT");
            if committed.is_err() {
                self.kept_changed();
            }
            committed
        } else {
            if self.unsent.last() == Some(&Savepoint::Open(self.depth)) {
                // Nothing ran inside it: it never has to exist.
                self.unsent.pop();
            } else {
                self.unsent.push(Savepoint::Release(self.depth));
            }
            Ok(())
        }
    }

    fn rollback(&mut self) -> StoreResult<()> {
        // What was read after a change that is now undone must not stay.
        self.kept_changed();
        if self.depth <= 1 {
            self.depth = 0;
            self.unsent.clear();
            self.bulk = Bulk::Off;
            return self.batch("rolling back", "ROLLBACK");
        }
        self.depth -= 1;
        match &mut self.bulk {
            // Rolling back past the drop brings the indexes back.
            Bulk::Loading { dropped, .. } if *dropped > self.depth => self.bulk = Bulk::Off,
            // Rolling back past the build leaves them dropped.
            Bulk::Loading { built, .. } if built.is_some_and(|b| b > self.depth) => *built = None,
            Bulk::Wanted { depth } if *depth > self.depth => self.bulk = Bulk::Off,
            _ => {}
        }
        if self.unsent.last() == Some(&Savepoint::Open(self.depth)) {
            // Nothing ran inside it, so there is nothing to undo.
            self.unsent.pop();
            return Ok(());
        }
        // What is left unsent are releases of savepoints inside this one, which
        // rolling back to it removes anyway; sending them could fail in a
        // transaction that an error has aborted.
        self.unsent.clear();
        self.batch(
            "rolling back",
            &format!(
                "ROLLBACK TO SAVEPOINT w{0}; RELEASE SAVEPOINT w{0}",
                self.depth
            ),
        )
    }

    fn begin_read(&mut self) -> StoreResult<()> {
        if self.depth > 0 || self.reading {
            return Ok(());
        }
        // The version comes in the same trip: the read sees one snapshot.
        self.carried = None;
        let replies = self
            .client
            .simple_query(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT n FROM catalog_version",
            )
            .map_err(pg_error("starting a read"))?;
        self.version_now = first_number(&replies);
        self.reading = true;
        Ok(())
    }

    fn end_read(&mut self) -> StoreResult<()> {
        // A carried version serves the read it was carried into, and no later one.
        self.carried = None;
        if !self.reading {
            return Ok(());
        }
        self.reading = false;
        self.version_now = None;
        self.batch("ending a read", "COMMIT")
    }

    fn setting(&mut self, name: &str) -> StoreResult<Option<String>> {
        Ok(self
            .query_opt(
                "reading a setting",
                "SELECT value FROM settings WHERE name = $1",
                &[&name],
            )?
            .map(|r| r.get(0)))
    }

    fn set_setting(&mut self, name: &str, value: &str) -> StoreResult<()> {
        self.kept_changed();
        self.execute(
            "writing a setting",
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
            &[&name, &value],
        )
        .map(drop)
    }

    fn kinds(&mut self) -> StoreResult<Vec<Kind>> {
        let found = self.query(
            "reading kinds",
            &format!("SELECT {KIND_COLUMNS} FROM kinds ORDER BY id"),
            &[],
        )?;
        rows(found, kind_row)
    }

    fn catalog(&mut self) -> StoreResult<Arc<Catalog>> {
        let version = self.version()?;
        if let Some((kept, catalog)) = &self.catalog
            && *kept == version
        {
            return Ok(Arc::clone(catalog));
        }
        let catalog = Arc::new(Catalog::read(self)?);
        self.catalog = Some((version, Arc::clone(&catalog)));
        Ok(catalog)
    }

    fn insert_kind(&mut self, def: &KindDef, builtin: bool) -> StoreResult<KindId> {
        self.kept_changed();
        let row = self.query_opt(
            "adding a kind",
            "INSERT INTO kinds (code, dimension, default_minor, label_nl, label_en, builtin) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[&def.code.as_str(), &def.dimension.code(), &def.default.map(Amount::minor), &def.label_nl, &def.label_en, &builtin],
        )?;
        Ok(KindId(row.ok_or_else(|| corrupt("kind id"))?.get(0)))
    }

    fn update_kind(&mut self, id: KindId, def: &KindDef) -> StoreResult<()> {
        self.kept_changed();
        self.execute(
            "changing a kind",
            "UPDATE kinds SET default_minor = $2, label_nl = $3, label_en = $4 WHERE id = $1",
            &[
                &id.0,
                &def.default.map(Amount::minor),
                &def.label_nl,
                &def.label_en,
            ],
        )
        .map(drop)
    }

    fn parties(&mut self) -> StoreResult<Vec<Party>> {
        let found = self.query(
            "reading parties",
            &format!("SELECT {PARTY_COLUMNS} FROM parties ORDER BY id"),
            &[],
        )?;
        rows(found, party_row)
    }

    fn party_by_key(&mut self, key: &PartyKey) -> StoreResult<Option<Party>> {
        Ok(self.parties_by_keys(&[key.as_str()])?.pop())
    }

    fn party_by_id(&mut self, id: PartyId) -> StoreResult<Option<Party>> {
        Ok(self.parties_by_ids(&[id])?.pop())
    }

    fn parties_by_keys(&mut self, keys: &[&str]) -> StoreResult<Vec<Party>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.directory_fresh()?;
        let (mut found, missing) = self.directory.parties_by_keys(keys);
        found.extend(self.read_parties("key", &missing)?);
        Ok(found)
    }

    fn parties_by_ids(&mut self, ids: &[PartyId]) -> StoreResult<Vec<Party>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.directory_fresh()?;
        let (mut found, missing) = self.directory.parties_by_ids(ids);
        let missing: Vec<i64> = missing.iter().map(|p| p.0).collect();
        found.extend(self.read_parties("id", &missing)?);
        Ok(found)
    }

    fn insert_party(&mut self, f: &PartyFields) -> StoreResult<PartyId> {
        self.kept_changed();
        let row = self.query_opt(
            "adding a party",
            "INSERT INTO parties (key, kind, name, email, phone, note) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[&f.key.as_str(), &f.kind.as_str(), &f.name, &f.email, &f.phone, &f.note],
        )?;
        Ok(PartyId(row.ok_or_else(|| corrupt("party id"))?.get(0)))
    }

    fn insert_parties(&mut self, parties: &[PartyFields]) -> StoreResult<Vec<PartyId>> {
        if parties.is_empty() {
            return Ok(Vec::new());
        }
        self.kept_changed();
        let mut ids = Vec::with_capacity(parties.len());
        for chunk in parties.chunks(ROWS_PER_STATEMENT) {
            let column = |f: fn(&PartyFields) -> Option<&str>| -> Vec<Option<&str>> {
                chunk.iter().map(f).collect()
            };
            let keys = column(|p| Some(p.key.as_str()));
            let kinds = column(|p| Some(p.kind.as_str()));
            let names = column(|p| Some(p.name.as_str()));
            let emails = column(|p| p.email.as_deref());
            let phones = column(|p| p.phone.as_deref());
            let notes = column(|p| p.note.as_deref());
            // Ids come back by key: RETURNING promises no order.
            let by_key: HashMap<String, i64> = self
                .query(
                    "adding parties",
                    "INSERT INTO parties (key, kind, name, email, phone, note) \
                     SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) \
                     RETURNING key, id",
                    &[&keys, &kinds, &names, &emails, &phones, &notes],
                )?
                .into_iter()
                .map(|row| (row.get(0), row.get(1)))
                .collect();
            for party in chunk {
                let id = by_key
                    .get(party.key.as_str())
                    .ok_or_else(|| corrupt("party id"))?;
                ids.push(PartyId(*id));
            }
        }
        Ok(ids)
    }

    fn update_party(&mut self, id: PartyId, f: &PartyFields) -> StoreResult<()> {
        self.kept_changed();
        self.execute(
            "changing a party",
            "UPDATE parties SET name = $2, email = $3, phone = $4, note = $5 WHERE id = $1",
            &[&id.0, &f.name, &f.email, &f.phone, &f.note],
        )
        .map(drop)
    }

    fn party_count(&mut self) -> StoreResult<u64> {
        self.count("counting parties", "SELECT COUNT(*) FROM parties")
    }

    fn memberships(&mut self) -> StoreResult<Vec<Membership>> {
        let found = self.query(
            "reading memberships",
            &format!("SELECT {MEMBERSHIP_COLUMNS} FROM memberships ORDER BY person, from_ms, organization"),
            &[],
        )?;
        rows(found, membership_row)
    }

    fn memberships_of(&mut self, person: PartyId) -> StoreResult<Vec<Membership>> {
        self.memberships_of_many(&[person])
    }

    fn memberships_of_many(&mut self, persons: &[PartyId]) -> StoreResult<Vec<Membership>> {
        if persons.is_empty() {
            return Ok(Vec::new());
        }
        self.directory_fresh()?;
        let (mut found, missing) = self.directory.memberships_of(persons);
        if !missing.is_empty() {
            let ids: Vec<i64> = missing.iter().map(|p| p.0).collect();
            let read = self.query(
                "reading memberships",
                &format!(
                    "SELECT {MEMBERSHIP_COLUMNS} FROM memberships WHERE person = ANY($1) ORDER BY person, from_ms, organization"
                ),
                &[&ids],
            )?;
            let read = rows(read, membership_row)?;
            self.directory.keep_memberships(&missing, &read);
            found.extend(read);
        }
        Ok(found)
    }

    fn upsert_membership(&mut self, m: &Membership) -> StoreResult<()> {
        self.kept_changed();
        self.execute(
            "writing a membership",
            "INSERT INTO memberships (person, organization, role, from_ms, until_ms) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (person, organization, from_ms) DO UPDATE SET role = EXCLUDED.role, until_ms = EXCLUDED.until_ms",
            &[&m.person.0, &m.organization.0, &m.role.as_str(), &m.from.millis(), &m.until.map(Moment::millis)],
        )
        .map(drop)
    }

    fn upsert_memberships(&mut self, memberships: &[Membership]) -> StoreResult<()> {
        if memberships.is_empty() {
            return Ok(());
        }
        self.kept_changed();
        for chunk in memberships.chunks(ROWS_PER_STATEMENT) {
            let persons: Vec<i64> = chunk.iter().map(|m| m.person.0).collect();
            let organizations: Vec<i64> = chunk.iter().map(|m| m.organization.0).collect();
            let roles: Vec<&str> = chunk.iter().map(|m| m.role.as_str()).collect();
            let froms: Vec<i64> = chunk.iter().map(|m| m.from.millis()).collect();
            let untils: Vec<Option<i64>> =
                chunk.iter().map(|m| m.until.map(Moment::millis)).collect();
            self.execute(
                "writing memberships",
                "INSERT INTO memberships (person, organization, role, from_ms, until_ms) \
                 SELECT * FROM UNNEST($1::int8[], $2::int8[], $3::text[], $4::int8[], $5::int8[]) \
                 ON CONFLICT (person, organization, from_ms) DO UPDATE SET role = EXCLUDED.role, until_ms = EXCLUDED.until_ms",
                &[&persons, &organizations, &roles, &froms, &untils],
            )?;
        }
        Ok(())
    }

    fn insert_gestures(
        &mut self,
        gestures: &[&Gesture],
    ) -> StoreResult<Vec<Option<Box<StoredGesture>>>> {
        // The fast path: COPY, with `seq` taken from the sequence in one step. A
        // batch with an id stored already (a retry, a re-import) or twice in itself
        // fails as a whole inside its savepoint and takes the careful path.
        if gestures.len() >= COPY_ROWS_MIN && self.depth > 0 {
            if self.copy_in_bulk(gestures)? {
                return Ok(vec![None; gestures.len()]);
            }
            let context = "storing gestures";
            self.batch(context, "SAVEPOINT copy_batch")?;
            match self.copy_gestures(gestures) {
                Ok(()) => {
                    self.batch(context, "RELEASE SAVEPOINT copy_batch")?;
                    return Ok(vec![None; gestures.len()]);
                }
                Err(e) => {
                    self.batch(
                        context,
                        "ROLLBACK TO SAVEPOINT copy_batch; RELEASE SAVEPOINT copy_batch",
                    )?;
                    if !e.is_unique_violation() {
                        return Err(e.into_store(context));
                    }
                }
            }
            // A re-import repeats whole batches: the gestures stored already are
            // read in one statement and answered with, and only the others are
            // written, as a batch of their own. Were all offered to
            // `INSERT … ON CONFLICT` first, a batch stored already would cost
            // PostgreSQL a refused insert per row before the same read.
            self.build_indexes()?;
            let ids: Vec<&str> = gestures.iter().map(|g| g.id.as_str()).collect();
            let stored = self.stored_gestures(&ids)?;
            if !stored.is_empty() {
                let new: Vec<&Gesture> = gestures
                    .iter()
                    .filter(|g| !stored.contains_key(g.id.as_str()))
                    .copied()
                    .collect();
                let mut written = self.insert_gestures(&new)?.into_iter();
                return gestures
                    .iter()
                    .map(|g| match stored.get(g.id.as_str()) {
                        Some(found) => Ok(Some(Box::new(found.clone()))),
                        None => written
                            .next()
                            .ok_or_else(|| corrupt("an answer for every new gesture")),
                    })
                    .collect();
            }
        }
        self.build_indexes()?;
        self.insert_gestures_one_by_one(gestures)
    }

    fn stream_gestures(&mut self, batches: &mut dyn GestureBatches) -> StoreResult<Streamed> {
        self.stream_in_bulk(batches)
    }

    fn expect_many_gestures(&mut self) -> StoreResult<bool> {
        match self.bulk {
            // A second file of the same import carries on with the load.
            Bulk::Loading { built: None, .. } => return Ok(true),
            Bulk::Off if self.depth > 0 => {}
            _ => return Ok(false),
        }
        // Only an empty table is loaded in bulk; the first batch copied looks
        // again (the write lock keeps other writers out in between).
        let empty: bool = self
            .query_opt(
                "storing gestures",
                "SELECT NOT EXISTS (SELECT 1 FROM gestures)",
                &[],
            )?
            .ok_or_else(|| corrupt("an answer to EXISTS"))?
            .get(0);
        if empty {
            self.bulk = Bulk::Wanted { depth: self.depth };
        }
        Ok(empty)
    }

    fn many_gestures_written(&mut self) -> StoreResult<()> {
        self.build_indexes()
    }

    fn gesture(&mut self, id: &GestureId) -> StoreResult<Option<StoredGesture>> {
        self.build_indexes()?;
        self.query_opt(
            "reading a gesture",
            &format!("{GESTURE_SELECT} WHERE g.id = $1"),
            &[&id.as_str()],
        )?
        .as_ref()
        .map(gesture_row)
        .transpose()
    }

    fn reversal_of(&mut self, id: &GestureId) -> StoreResult<Option<GestureId>> {
        self.build_indexes()?;
        self.query_opt(
            "reading a gesture",
            "SELECT id FROM gestures WHERE (details).reverses = $1",
            &[&id.as_str()],
        )?
        .map(|r| gesture_id(r.get(0)))
        .transpose()
    }

    fn for_each_gesture(
        &mut self,
        visit: &mut dyn FnMut(StoredGesture) -> StoreResult<()>,
    ) -> StoreResult<()> {
        use postgres::fallible_iterator::FallibleIterator;
        self.build_indexes()?;
        let context = "reading gestures";
        let sql = format!("{GESTURE_SELECT} ORDER BY g.seq");
        let statement = self.statement(context, &sql)?;
        let mut rows = self
            .client
            .query_raw(&statement, std::iter::empty::<i64>())
            .map_err(pg_error(context))?;
        while let Some(row) = rows.next().map_err(pg_error(context))? {
            visit(gesture_row(&row)?)?;
        }
        Ok(())
    }

    fn gesture_count(&mut self) -> StoreResult<u64> {
        self.count("counting gestures", "SELECT COUNT(*) FROM gestures")
    }

    fn add_to_balances(&mut self, deltas: &[(PairKey, Totals)]) -> StoreResult<()> {
        if let Bulk::Loading { balances_empty, .. } = &mut self.bulk
            && !deltas.is_empty()
            && std::mem::take(balances_empty)
        {
            return self.copy_into_empty(
                "storing balances",
                schema::BALANCE_INDEXES_DROP,
                |client, buffer| copy::copy_balances(client, buffer, deltas),
                schema::BALANCE_INDEXES_BUILD,
            );
        }
        for chunk in deltas.chunks(ROWS_PER_STATEMENT) {
            let column =
                |f: &dyn Fn(&(PairKey, Totals)) -> i64| chunk.iter().map(f).collect::<Vec<i64>>();
            let (level, low, high, dimension) = (
                column(&|(k, _)| k.level.code()),
                column(&|(k, _)| k.low.0),
                column(&|(k, _)| k.high.0),
                column(&|(k, _)| k.dimension.code()),
            );
            let (forward, back, count, first, last) = (
                column(&|(_, t)| t.low_to_high),
                column(&|(_, t)| t.high_to_low),
                column(&|(_, t)| t.count),
                column(&|(_, t)| t.first.millis()),
                column(&|(_, t)| t.last.millis()),
            );
            self.execute(
                "updating balances",
                BALANCE_UPSERT,
                &[
                    &level, &low, &high, &dimension, &forward, &back, &count, &first, &last,
                ],
            )?;
        }
        Ok(())
    }

    fn replace_level(&mut self, level: Level, balances: &[(PairKey, Totals)]) -> StoreResult<()> {
        self.execute(
            "rewriting balances",
            "DELETE FROM balances WHERE level = $1",
            &[&level.code()],
        )?;
        self.add_to_balances(balances)
    }

    fn add_to_months(&mut self, deltas: &[(MonthKey, Totals)]) -> StoreResult<()> {
        if let Bulk::Loading { months_empty, .. } = &mut self.bulk
            && !deltas.is_empty()
            && std::mem::take(months_empty)
        {
            return self.copy_into_empty(
                "storing monthly credit",
                schema::MONTH_INDEXES_DROP,
                |client, buffer| copy::copy_months(client, buffer, deltas),
                schema::MONTH_INDEXES_BUILD,
            );
        }
        for chunk in deltas.chunks(ROWS_PER_STATEMENT) {
            let column =
                |f: &dyn Fn(&(MonthKey, Totals)) -> i64| chunk.iter().map(f).collect::<Vec<i64>>();
            self.execute(
                "updating monthly credit",
                MONTH_UPSERT,
                &[
                    &column(&|((p, _), _)| p.0),
                    &column(&|((_, m), _)| i64::from(*m)),
                    &column(&|(_, t)| t.low_to_high),
                    &column(&|(_, t)| t.high_to_low),
                    &column(&|(_, t)| t.count),
                    &column(&|(_, t)| t.first.millis()),
                    &column(&|(_, t)| t.last.millis()),
                ],
            )?;
        }
        Ok(())
    }

    fn replace_months(&mut self, months: &[(MonthKey, Totals)]) -> StoreResult<()> {
        self.execute("rewriting monthly credit", "DELETE FROM months", &[])?;
        self.add_to_months(months)
    }

    fn months_of(&mut self, organization: PartyId) -> StoreResult<Vec<(i32, Totals)>> {
        let found = self.query(
            "reading monthly credit",
            "SELECT month, given, received, count, first_ms, last_ms FROM months WHERE organization = $1 ORDER BY month",
            &[&organization.0],
        )?;
        rows(found, |r| {
            let month: i64 = r.get(0);
            Ok((
                i32::try_from(month).map_err(|_| corrupt("month"))?,
                month_totals(r, 1),
            ))
        })
    }

    fn all_months(&mut self) -> StoreResult<Vec<(MonthKey, Totals)>> {
        let found = self.query(
            "reading monthly credit",
            "SELECT organization, month, given, received, count, first_ms, last_ms FROM months ORDER BY organization, month",
            &[],
        )?;
        rows(found, |r| {
            let month: i64 = r.get(1);
            let month = i32::try_from(month).map_err(|_| corrupt("month"))?;
            Ok(((PartyId(r.get(0)), month), month_totals(r, 2)))
        })
    }

    fn credit_hours(
        &mut self,
        party: PartyId,
        credit_kinds: &[KindId],
    ) -> StoreResult<Vec<(i64, i64, i64)>> {
        let kinds: Vec<i64> = credit_kinds.iter().map(|k| k.0).collect();
        let found = self.query(
            "reading a party's credit",
            "SELECT at_ms / 3600000, \
                    SUM(CASE WHEN giver = $1::int8 THEN amount_minor ELSE 0 END)::int8, \
                    SUM(CASE WHEN receiver = $1 THEN amount_minor ELSE 0 END)::int8 \
             FROM gestures WHERE (giver = $1 OR receiver = $1) AND kind = ANY($2::int8[]) \
             GROUP BY 1 ORDER BY 1",
            &[&party.0, &kinds],
        )?;
        Ok(found
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    fn kind_totals(&mut self, from: Moment, until: Moment) -> StoreResult<Vec<(KindId, u64, i64)>> {
        let found = self.query(
            "counting gestures by kind",
            "SELECT kind::int8, COUNT(*), SUM(amount_minor)::int8 FROM gestures WHERE at_ms >= $1 AND at_ms < $2 GROUP BY kind",
            &[&from.millis(), &until.millis()],
        )?;
        Ok(found
            .iter()
            .map(|r| (KindId(r.get(0)), r.get::<_, i64>(1) as u64, r.get(2)))
            .collect())
    }

    fn pair(
        &mut self,
        level: Level,
        a: PartyId,
        b: PartyId,
    ) -> StoreResult<Vec<(PairKey, Totals)>> {
        let (low, high) = if a < b { (a, b) } else { (b, a) };
        let found = self.query(
            "reading a balance",
            &format!(
                "SELECT {BALANCE_COLUMNS} FROM balances WHERE level = $1 AND low = $2 AND high = $3"
            ),
            &[&level.code(), &low.0, &high.0],
        )?;
        rows(found, balance_row)
    }

    fn balances_of(&mut self, level: Level, party: PartyId) -> StoreResult<Vec<(PairKey, Totals)>> {
        let found = self.query(
            "reading balances",
            &format!(
                "SELECT {BALANCE_COLUMNS} FROM balances WHERE level = $1 AND low = $2 \
                 UNION ALL SELECT {BALANCE_COLUMNS} FROM balances WHERE level = $1 AND high = $2"
            ),
            &[&level.code(), &party.0],
        )?;
        rows(found, balance_row)
    }

    fn for_each_balance(
        &mut self,
        visit: &mut dyn FnMut(PairKey, Totals) -> StoreResult<()>,
    ) -> StoreResult<()> {
        use postgres::fallible_iterator::FallibleIterator;
        let context = "reading balances";
        let sql =
            format!("SELECT {BALANCE_COLUMNS} FROM balances ORDER BY level, low, high, dimension");
        let statement = self.statement(context, &sql)?;
        let mut rows = self
            .client
            .query_raw(&statement, std::iter::empty::<i64>())
            .map_err(pg_error(context))?;
        while let Some(row) = rows.next().map_err(pg_error(context))? {
            let (key, totals) = balance_row(&row)?;
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
        // LIKE with its wildcards escaped: a search for "50%" finds "50%". SQLite's
        // LIKE ignores the case of ASCII letters, and so does ILIKE.
        let pattern = search.map(|s| {
            format!(
                "%{}%",
                s.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        });
        let found = self.query(
            "listing parties",
            &format!(
                "SELECT {PARTY_COLUMNS} FROM parties \
                 WHERE ($1::text IS NULL OR key ILIKE $1 ESCAPE '\\' OR name ILIKE $1 ESCAPE '\\') AND ($2::text IS NULL OR key > $2) \
                 ORDER BY key LIMIT $3"
            ),
            &[&pattern, &after, &(limit as i64)],
        )?;
        rows(found, party_row)
    }

    fn find_gestures(&mut self, f: &GestureFilter) -> StoreResult<Vec<StoredGesture>> {
        self.build_indexes()?;
        let order = if f.newest_first {
            "g.seq < COALESCE($7::int8, 9223372036854775807) ORDER BY g.seq DESC"
        } else {
            "g.seq > COALESCE($7::int8, 0) ORDER BY g.seq"
        };
        let any: Option<Vec<i64>> = f
            .any_of
            .as_ref()
            .map(|ids| ids.iter().map(|p| p.0).collect());
        let sql = format!(
            "{GESTURE_SELECT} WHERE ($1::int8 IS NULL OR g.giver = $1 OR g.receiver = $1) \
             AND ($2::int8 IS NULL OR g.giver = $2 OR g.receiver = $2) AND ($3::int8 IS NULL OR g.kind = $3) \
             AND ($4::text IS NULL OR (g.details).item = $4) AND ($5::int8 IS NULL OR g.at_ms >= $5) AND ($6::int8 IS NULL OR g.at_ms < $6) \
             AND ($9::int8[] IS NULL OR g.giver = ANY($9) OR g.receiver = ANY($9)) AND {order} LIMIT $8"
        );
        let found = self.query(
            "listing gestures",
            &sql,
            &[
                &f.party.map(|p| p.0),
                &f.counterpart.map(|p| p.0),
                &f.kind.map(|k| k.0),
                &f.item,
                &f.from.map(Moment::millis),
                &f.until.map(Moment::millis),
                &f.after_seq,
                &(f.limit as i64),
                &any,
            ],
        )?;
        rows(found, gesture_row)
    }

    fn members_of(&mut self, organization: PartyId) -> StoreResult<Vec<Membership>> {
        let found = self.query(
            "reading memberships",
            &format!("SELECT {MEMBERSHIP_COLUMNS} FROM memberships WHERE organization = $1 ORDER BY from_ms, person"),
            &[&organization.0],
        )?;
        rows(found, membership_row)
    }

    fn idempotent_response(
        &mut self,
        user: UserId,
        key: &str,
    ) -> StoreResult<Option<SavedResponse>> {
        self.query_opt(
            "reading a saved response",
            "SELECT fingerprint, status, body FROM idempotency WHERE user_id = $1 AND key = $2",
            &[&user.0, &key],
        )?
        .map(|r| {
            let fingerprint: Vec<u8> = r.get(0);
            let status: i32 = r.get(1);
            Ok(SavedResponse {
                fingerprint: fingerprint.try_into().map_err(|_| corrupt("fingerprint"))?,
                status: u16::try_from(status).map_err(|_| corrupt("status"))?,
                body: r.get(2),
            })
        })
        .transpose()
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
            "DELETE FROM idempotency WHERE created_ms < $1",
            &[&forget_before.millis()],
        )?;
        self.execute(
            "saving a response",
            "INSERT INTO idempotency (user_id, key, fingerprint, status, body, created_ms) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&user.0, &key, &&response.fingerprint[..], &i32::from(response.status), &response.body, &at.millis()],
        )
        .map(drop)
    }

    fn users(&mut self) -> StoreResult<Vec<User>> {
        let found = self.query(
            "reading users",
            &format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"),
            &[],
        )?;
        rows(found, user_row)
    }

    fn user_by_email(&mut self, email: &Email) -> StoreResult<Option<User>> {
        self.query_opt(
            "reading a user",
            &format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1"),
            &[&email.as_str()],
        )?
        .as_ref()
        .map(user_row)
        .transpose()
    }

    fn insert_user(
        &mut self,
        email: &Email,
        role: UserRole,
        password_hash: Option<&str>,
    ) -> StoreResult<UserId> {
        let row = self.query_opt(
            "adding a user",
            "INSERT INTO users (email, role, password_hash) VALUES ($1, $2, $3) RETURNING id",
            &[&email.as_str(), &role.as_str(), &password_hash],
        )?;
        Ok(UserId(row.ok_or_else(|| corrupt("user id"))?.get(0)))
    }

    fn update_user(&mut self, user: &User) -> StoreResult<()> {
        self.execute(
            "changing a user",
            "UPDATE users SET role = $2, password_hash = $3, language = $4 WHERE id = $1",
            &[
                &user.id.0,
                &user.role.as_str(),
                &user.password_hash,
                &user.language,
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
        let row = self.query_opt(
            "adding a token",
            "INSERT INTO tokens (user_id, name, hash, created_ms) VALUES ($1, $2, $3, $4) RETURNING id",
            &[&user.0, &name, &&hash[..], &created.millis()],
        )?;
        Ok(row.ok_or_else(|| corrupt("token id"))?.get(0))
    }

    fn user_by_token(&mut self, hash: &[u8; 32]) -> StoreResult<Option<User>> {
        let found = self.query_opt(
            "checking a token",
            "SELECT u.id, u.email, u.role, u.password_hash, u.language, (SELECT n FROM catalog_version) \
             FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1 AND t.revoked_ms IS NULL",
            &[&&hash[..]],
        )?;
        self.carry_version(found.as_ref(), 5);
        found.as_ref().map(user_row).transpose()
    }

    fn tokens(&mut self) -> StoreResult<Vec<TokenInfo>> {
        let found = self.query(
            "reading tokens",
            "SELECT t.id, u.email, t.name, t.created_ms, t.revoked_ms FROM tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id",
            &[],
        )?;
        rows(found, |r| {
            let email: String = r.get(1);
            Ok(TokenInfo {
                id: r.get(0),
                user: Email::parse(&email).map_err(|_| corrupt("e-mail address"))?,
                name: r.get(2),
                created: Moment::from_millis(r.get(3)),
                revoked: r.get::<_, Option<i64>>(4).map(Moment::from_millis),
            })
        })
    }

    fn revoke_token(&mut self, id: i64, at: Moment) -> StoreResult<bool> {
        let changed = self.execute(
            "revoking a token",
            "UPDATE tokens SET revoked_ms = $2 WHERE id = $1 AND revoked_ms IS NULL",
            &[&id, &at.millis()],
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
            "DELETE FROM sessions WHERE expires_ms < $1",
            &[&at.millis()],
        )?;
        self.execute(
            "starting a session",
            "INSERT INTO sessions (hash, user_id, created_ms, expires_ms) VALUES ($1, $2, $3, $4)",
            &[&&hash[..], &user.0, &at.millis(), &expires.millis()],
        )
        .map(drop)
    }

    fn user_by_session(&mut self, hash: &[u8; 32], at: Moment) -> StoreResult<Option<User>> {
        let found = self.query_opt(
            "checking a session",
            "SELECT u.id, u.email, u.role, u.password_hash, u.language, (SELECT n FROM catalog_version) \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = $1 AND s.expires_ms >= $2",
            &[&&hash[..], &at.millis()],
        )?;
        self.carry_version(found.as_ref(), 5);
        found.as_ref().map(user_row).transpose()
    }

    fn delete_session(&mut self, hash: &[u8; 32]) -> StoreResult<()> {
        self.execute(
            "ending a session",
            "DELETE FROM sessions WHERE hash = $1",
            &[&&hash[..]],
        )
        .map(drop)
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
            "DELETE FROM uploads WHERE created_ms < $1",
            &[&forget_before.millis()],
        )?;
        let row = self.query_opt(
            "keeping an upload",
            "INSERT INTO uploads (user_id, name, body, created_ms) VALUES ($1, $2, $3, $4) RETURNING id",
            &[&user.0, &name, &body, &at.millis()],
        )?;
        Ok(row.ok_or_else(|| corrupt("upload id"))?.get(0))
    }

    fn upload(&mut self, id: i64, user: UserId) -> StoreResult<Option<(String, Vec<u8>)>> {
        Ok(self
            .query_opt(
                "reading an upload",
                "SELECT name, body FROM uploads WHERE id = $1 AND user_id = $2",
                &[&id, &user.0],
            )?
            .map(|r| (r.get(0), r.get(1))))
    }

    fn delete_upload(&mut self, id: i64) -> StoreResult<()> {
        self.execute(
            "forgetting an upload",
            "DELETE FROM uploads WHERE id = $1",
            &[&id],
        )
        .map(drop)
    }
}

impl PostgresStore {
    /// Stores gestures with `INSERT … ON CONFLICT DO NOTHING`, telling which ones
    /// were stored already.
    fn insert_gestures_one_by_one(
        &mut self,
        gestures: &[&Gesture],
    ) -> StoreResult<Vec<Option<Box<StoredGesture>>>> {
        let context = "storing gestures";
        let mut inserted: HashSet<String> = HashSet::with_capacity(gestures.len());
        for chunk in gestures.chunks(ROWS_PER_STATEMENT) {
            let ids: Vec<&str> = chunk.iter().map(|g| g.id.as_str()).collect();
            let at: Vec<i64> = chunk.iter().map(|g| g.at.millis()).collect();
            let giver: Vec<i64> = chunk.iter().map(|g| g.giver.0).collect();
            let receiver: Vec<i64> = chunk.iter().map(|g| g.receiver.0).collect();
            let giver_org: Vec<Option<i64>> =
                chunk.iter().map(|g| g.giver_org.map(|p| p.0)).collect();
            let receiver_org: Vec<Option<i64>> =
                chunk.iter().map(|g| g.receiver_org.map(|p| p.0)).collect();
            let kind: Vec<i64> = chunk.iter().map(|g| g.kind.0).collect();
            let amount: Vec<i64> = chunk.iter().map(|g| g.amount.minor()).collect();
            let note: Vec<Option<&str>> = chunk.iter().map(|g| g.note.as_deref()).collect();
            let item: Vec<Option<&str>> = chunk.iter().map(|g| g.item.as_deref()).collect();
            let reverses: Vec<Option<&str>> = chunk
                .iter()
                .map(|g| g.reverses.as_ref().map(GestureId::as_str))
                .collect();
            // WITH ORDINALITY keeps the batch's order, so `seq` follows it.
            let stored = self.query(
                context,
                "INSERT INTO gestures (id, at_ms, giver, receiver, kind, amount_minor, details) \
                 SELECT id, at_ms, giver, receiver, kind, amount_minor, \
                        CASE WHEN num_nonnulls(giver_org, receiver_org, note, item, reverses) > 0 \
                             THEN ROW(giver_org::int4, receiver_org::int4, note, item, reverses)::gesture_details END \
                 FROM UNNEST($1::text[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[], $8::int8[], $9::text[], $10::text[], $11::text[]) \
                 WITH ORDINALITY AS t(id, at_ms, giver, receiver, giver_org, receiver_org, kind, amount_minor, note, item, reverses, n) \
                 ORDER BY n ON CONFLICT (id) DO NOTHING RETURNING id",
                &[&ids, &at, &giver, &receiver, &giver_org, &receiver_org, &kind, &amount, &note, &item, &reverses],
            )?;
            inserted.extend(stored.iter().map(|r| r.get::<_, String>(0)));
        }
        // The first row with an id was stored; any later one with the same id, in
        // this batch or before it, is answered with the stored gesture.
        let mut conflicts = Vec::new();
        let mut outcomes = Vec::with_capacity(gestures.len());
        for (index, g) in gestures.iter().enumerate() {
            if inserted.remove(g.id.as_str()) {
                outcomes.push(None);
            } else {
                conflicts.push(index);
                outcomes.push(None);
            }
        }
        if !conflicts.is_empty() {
            let ids: Vec<&str> = conflicts.iter().map(|&i| gestures[i].id.as_str()).collect();
            let stored = self.stored_gestures(&ids)?;
            for index in conflicts {
                let id = &gestures[index].id;
                let found = stored.get(id.as_str()).cloned().ok_or_else(|| {
                    StoreError::Corrupt(format!("gesture '{id}' conflicts but cannot be read"))
                })?;
                outcomes[index] = Some(Box::new(found));
            }
        }
        Ok(outcomes)
    }

    /// The stored gestures with any of `ids`, by id.
    fn stored_gestures(&mut self, ids: &[&str]) -> StoreResult<HashMap<String, StoredGesture>> {
        let found = self.query(
            "reading gestures",
            &format!("{GESTURE_SELECT} WHERE g.id = ANY($1)"),
            &[&ids],
        )?;
        let mut stored = HashMap::with_capacity(found.len());
        for row in &found {
            let gesture = gesture_row(row)?;
            stored.insert(gesture.gesture.id.as_str().to_string(), gesture);
        }
        Ok(stored)
    }

    /// Copies a batch of new gestures in, in order, numbered from the sequence.
    fn copy_gestures(&mut self, gestures: &[&Gesture]) -> Result<(), copy::CopyFailed> {
        let n = gestures.len() as i64;
        // Writers hold the write lock, so no one else takes numbers in between.
        let last: i64 = self
            .client
            .query_one(
                "SELECT setval(pg_get_serial_sequence('gestures', 'seq'), nextval(pg_get_serial_sequence('gestures', 'seq')) + $1 - 1)",
                &[&n],
            )?
            .get(0);
        copy::copy_gestures(
            &mut self.client,
            &mut self.copy_buffer,
            last - n + 1,
            gestures,
        )
    }
}
