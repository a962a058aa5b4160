//! The connection: a PostgreSQL store's state between calls, what it keeps,
//! and the helpers every capability runs its statements through.
//!
//! A connection keeps the catalog (kinds and time zone) and the parties and
//! memberships it read, each with the `catalog_version` it was read at: triggers
//! count the transactions that change the kinds, the settings, the parties or the
//! memberships (once per transaction, remembered in a transaction-local setting
//! that a rolled-back savepoint undoes with the count). A write reads the count in
//! the same trip as its lock, and a read transaction in the same trip as its
//! `BEGIN`; outside a transaction it is asked before each use, or comes along with
//! the check of the token or session that the same read began with (`carried`:
//! forgotten by any other statement and by `end_read`, which the server calls after
//! every read). So a change by any server applies at once, and nothing is kept that
//! a second server could disagree with. Statements are prepared once per
//! connection and kept (`statements`).

use std::collections::HashMap;
use std::sync::Arc;

use balans_core::Amount;
use balans_store::store::{Catalog, Directory, StoreError, StoreResult};
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, Row, Statement};

use crate::bulk::Bulk;

/// The advisory lock every write holds until it commits.
pub const WRITE_LOCK: i64 = 0x6261_6c61_6e73; // "balans"

pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

pub struct PostgresStore {
    pub(crate) client: Client,
    pub(crate) statements: HashMap<String, Statement>,
    /// How many writes are open: 1 is the transaction, more are savepoints in it.
    pub(crate) depth: u32,
    pub(crate) reading: bool,
    /// Where the database is, for messages: host, port and database, never a password.
    pub(crate) target: String,
    /// The catalog as read at a `catalog_version`; kept while the version holds.
    pub(crate) catalog: Option<(i64, Arc<Catalog>)>,
    /// Parties and memberships as read at `directory_version`; kept while it holds.
    pub(crate) directory: Directory,
    pub(crate) directory_version: Option<i64>,
    /// The `catalog_version` read when the open transaction began: a write holds
    /// the write lock, so only this connection can change it until the commit, and
    /// a read sees one snapshot. `None` outside a transaction, and when this
    /// connection changed what the version counts since.
    pub(crate) version_now: Option<i64>,
    /// Savepoints opened and released but not sent yet, in order. A savepoint
    /// goes to the server with the first statement inside it, a release with the
    /// next savepoint or statement that must follow it; one that nothing ran in
    /// is never sent. A group of writes opens two per request: this saves the
    /// server a trip for each.
    pub(crate) unsent: Vec<Savepoint>,
    /// Whether gestures are being loaded in bulk.
    pub(crate) bulk: Bulk,
    /// The `catalog_version` the last statement brought along, outside a
    /// transaction: a check of a token or a session carries it, and the read
    /// that follows on this connection takes it instead of asking again. Any
    /// other statement forgets it, and so does `end_read`, which the server
    /// calls after every read: it serves the request whose check carried it.
    pub(crate) carried: Option<i64>,
    /// Where rows for `COPY` are encoded, kept from one copy to the next.
    pub(crate) copy_buffer: Vec<u8>,
    /// Whether the last batch of gestures held any stored already: the next
    /// is then looked up before it is copied (see `insert_gestures`).
    pub(crate) stored_last: bool,
    /// Batches of ids in order still to be read by id one at a time, after a
    /// read of their range met too many others (see `stored_gestures`).
    pub(crate) ranges_skipped: u32,
    /// Gestures copied in by the write under way outside a bulk load (which
    /// analyzes the table itself): many, and the commit analyzes it.
    pub(crate) copied: u64,
    /// Promises made by the write under way: many, and the commit analyzes
    /// their tables.
    pub(crate) promised: u64,
    /// How many ids a bulk load holds in memory before it sets them aside
    /// (`BULK_IDS_MAX`, halved: each holds the `seq` of its row too, and so as
    /// many bytes as the ids alone held).
    pub(crate) bulk_ids_max: usize,
    /// What the last bulk load did.
    pub(crate) bulk_seen: crate::bulk::BulkLoadSeen,
}

/// A savepoint command waiting to be sent; `w{n}` is the savepoint of depth `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Savepoint {
    Open(u32),
    Release(u32),
}

impl Savepoint {
    pub(crate) fn sql(self) -> String {
        match self {
            Savepoint::Open(n) => format!("SAVEPOINT w{n}; "),
            Savepoint::Release(n) => format!("RELEASE SAVEPOINT w{n}; "),
        }
    }
}

pub(crate) fn pg_error(context: &str) -> impl Fn(postgres::Error) -> StoreError + '_ {
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
pub(crate) fn first_number(replies: &[postgres::SimpleQueryMessage]) -> Option<i64> {
    replies.iter().find_map(|reply| match reply {
        postgres::SimpleQueryMessage::Row(row) => row.get(0)?.parse().ok(),
        _ => None,
    })
}

pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unexpected {what}"))
}

pub(crate) fn amount(minor: i64) -> StoreResult<Amount> {
    Amount::from_minor(minor).ok_or_else(|| corrupt("amount"))
}

pub(crate) fn rows<T>(rows: Vec<Row>, map: impl Fn(&Row) -> StoreResult<T>) -> StoreResult<Vec<T>> {
    rows.iter().map(map).collect()
}

/// The most rows one statement of deltas or gestures carries.
pub(crate) const ROWS_PER_STATEMENT: usize = 10_000;

impl PostgresStore {
    /// Before a statement: the savepoints it runs in must exist. Releases alone may
    /// wait, as no statement depends on them.
    pub(crate) fn send_savepoints(&mut self, context: &str) -> StoreResult<()> {
        if self.unsent.iter().any(|s| matches!(s, Savepoint::Open(_))) {
            let sql: String = self.unsent.drain(..).map(Savepoint::sql).collect();
            self.client.batch_execute(&sql).map_err(pg_error(context))?;
        }
        Ok(())
    }

    pub(crate) fn statement(&mut self, context: &str, sql: &str) -> StoreResult<Statement> {
        self.carried = None;
        self.send_savepoints(context)?;
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).map_err(pg_error(context))?;
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    pub(crate) fn query(
        &mut self,
        context: &str,
        sql: &str,
        params: Params<'_>,
    ) -> StoreResult<Vec<Row>> {
        let statement = self.statement(context, sql)?;
        self.client
            .query(&statement, params)
            .map_err(pg_error(context))
    }

    /// Runs a statement planned for its parameters' values every time, in one
    /// round trip (the unnamed statement, never kept). For a statement whose
    /// best plan depends on the values: a kept statement is planned once for
    /// any value after its fifth run, as for a typical one, and the promises of
    /// a party with ten thousand are then read as those of a party with ten.
    pub(crate) fn query_planned(
        &mut self,
        context: &str,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> StoreResult<Vec<Row>> {
        self.carried = None;
        self.send_savepoints(context)?;
        self.client
            .query_typed(sql, params)
            .map_err(pg_error(context))
    }

    /// Runs a kept statement with the plan made for any values of its
    /// parameters, never one made for the values at hand. For a lookup of
    /// thousands of ids through a unique index (`id = ANY($1)`): planned for
    /// 16,384 ids of a million gestures, a statement scanned and hashed the
    /// whole table, 260–320 ms a run, for each of its first five runs (after
    /// which PostgreSQL keeps the plan for any values); the plan for any
    /// values looks each id up in the index, 40–60 ms. The setting holds for
    /// this statement alone: it is reset after it, and when the statement
    /// fails inside a transaction, the rollback that follows undoes it.
    pub(crate) fn query_generic(
        &mut self,
        context: &str,
        sql: &str,
        params: Params<'_>,
    ) -> StoreResult<Vec<Row>> {
        self.batch(context, "SET plan_cache_mode = force_generic_plan")?;
        let rows = self.query(context, sql, params);
        let reset = self.batch(context, "RESET plan_cache_mode");
        let rows = rows?;
        reset?;
        Ok(rows)
    }

    pub(crate) fn query_opt(
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

    pub(crate) fn execute(
        &mut self,
        context: &str,
        sql: &str,
        params: Params<'_>,
    ) -> StoreResult<u64> {
        let statement = self.statement(context, sql)?;
        self.client
            .execute(&statement, params)
            .map_err(pg_error(context))
    }

    /// This connection changes what `catalog_version` counts (kinds, settings,
    /// parties, memberships), or undoes a change: nothing it kept holds any more,
    /// nor the version read when its transaction began.
    pub(crate) fn kept_changed(&mut self) {
        self.catalog = None;
        self.directory.clear();
        self.directory_version = None;
        self.version_now = None;
    }

    /// Whether a write or a read transaction is open.
    pub(crate) fn in_transaction(&self) -> bool {
        self.depth > 0 || self.reading
    }

    /// The `catalog_version` this connection sees now: read once per transaction,
    /// and on every call outside one.
    pub(crate) fn version(&mut self) -> StoreResult<i64> {
        let in_transaction = self.in_transaction();
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
    pub(crate) fn carry_version(&mut self, row: Option<&Row>, at: usize) {
        if !self.in_transaction() {
            self.carried = row.map(|r| r.get(at));
        }
    }

    /// Whether [`PostgresStore::version`] knows the version without a trip.
    pub(crate) fn version_at_hand(&self) -> bool {
        match self.in_transaction() {
            true => self.version_now.is_some(),
            false => self.carried.is_some(),
        }
    }

    /// Forgets the parties and memberships kept when the version has moved on.
    pub(crate) fn directory_fresh(&mut self) -> StoreResult<()> {
        let version = self.version()?;
        self.directory_at(version);
        Ok(())
    }

    /// [`PostgresStore::directory_fresh`] with the version read by a statement
    /// of the caller's (for the transaction, when one is open and had none).
    pub(crate) fn directory_at(&mut self, version: i64) {
        if self.in_transaction() {
            self.version_now.get_or_insert(version);
        }
        if self.directory_version != Some(version) {
            self.directory.clear();
            self.directory_version = Some(version);
        }
    }

    /// Runs statements without parameters, with the savepoint commands not sent
    /// yet ahead of them in the same trip.
    pub(crate) fn batch(&mut self, context: &str, sql: &str) -> StoreResult<()> {
        self.carried = None;
        if self.unsent.is_empty() {
            return self.client.batch_execute(sql).map_err(pg_error(context));
        }
        let mut all: String = self.unsent.drain(..).map(Savepoint::sql).collect();
        all.push_str(sql);
        self.client.batch_execute(&all).map_err(pg_error(context))
    }

    pub(crate) fn count(&mut self, context: &str, sql: &str) -> StoreResult<u64> {
        Ok(self
            .query_opt(context, sql, &[])?
            .map_or(0, |r| r.get::<_, i64>(0)) as u64)
    }
}
