//! Opening a PostgreSQL store: connecting, and bringing the schema up to date.

use std::collections::HashMap;

use balans_core::{Amount, builtin_catalog};
use balans_store::store::{Directory, SchemaUpgrade, StoreError, StoreResult};
use postgres::types::Type;
use postgres::{Client, NoTls};

use crate::bulk::Bulk;
use crate::connection::{PostgresStore, WRITE_LOCK, corrupt, pg_error};
use crate::schema;
use crate::schema::SCHEMA_VERSION;

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
            stored_last: false,
            ranges_skipped: 0,
            copied: 0,
            promised: 0,
            bulk_ids_max: balans_store::store::BULK_IDS_MAX / 2,
            bulk_seen: Default::default(),
        };
        store.migrate(upgrading)?;
        Ok(store)
    }

    /// Where the database is: host, port, database and user.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// How many ids a bulk load holds in memory before it sets them aside
    /// (see `set_ids_aside`): half [`BULK_IDS_MAX`](balans_store::store::BULK_IDS_MAX)
    /// unless set lower, as a test does to reach the setting aside with a
    /// small file.
    pub fn set_bulk_ids_max(&mut self, most: usize) {
        self.bulk_ids_max = most.max(1);
    }

    /// What the last bulk load on this connection did.
    pub fn last_bulk_load(&self) -> crate::BulkLoadSeen {
        self.bulk_seen
    }

    /// A setting of this connection as PostgreSQL has it now
    /// (`current_setting`): what its statements run with.
    pub fn setting(&mut self, name: &str) -> StoreResult<String> {
        let context = "reading a setting";
        Ok(self
            .query_planned(
                context,
                "SELECT current_setting($1)",
                &[(&name, Type::TEXT)],
            )?
            .first()
            .ok_or_else(|| corrupt("setting"))?
            .get(0))
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
}
