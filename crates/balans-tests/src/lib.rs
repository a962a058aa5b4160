//! Fresh stores for the conformance suite, one kind per backend. Every test in
//! `tests/conformance/` is generic over [`Backend`] and runs for each backend.

use balans_sqlite::SqliteStore;
use balans_store::Store;

/// Makes fresh, empty stores of one backend.
pub trait Backend {
    type Store: Store + Send;
    /// A new, empty, migrated store, and whatever must live as long as it.
    fn fresh() -> (Self::Store, Box<dyn std::any::Any>);
    /// Another connection to the store `fresh` made, as a second process would have.
    fn again(guard: &dyn std::any::Any) -> Self::Store;
    /// Makes a bulk load on `store` hold at most `most` ids in memory before
    /// it sets them aside, so that a small file reaches the setting aside.
    fn hold_ids_at_most(store: &mut Self::Store, most: usize);
    /// Whether this backend can run here; a backend that cannot says why.
    fn available() -> bool {
        true
    }
}

/// The embedded store, in a file in a temporary directory.
pub struct Sqlite;

impl Backend for Sqlite {
    type Store = SqliteStore;
    fn fresh() -> (SqliteStore, Box<dyn std::any::Any>) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = SqliteStore::open(&dir.path().join("balans.db"), true).expect("a new store");
        (store, Box::new(dir))
    }

    fn hold_ids_at_most(store: &mut SqliteStore, most: usize) {
        store.set_bulk_ids_max(most);
    }

    fn again(guard: &dyn std::any::Any) -> SqliteStore {
        let dir = guard
            .downcast_ref::<tempfile::TempDir>()
            .expect("the guard fresh returned");
        SqliteStore::open(&dir.path().join("balans.db"), false).expect("the same store again")
    }
}

/// PostgreSQL, when `BALANS_TEST_POSTGRES_URL` names a server: each store is a new
/// database on it, dropped when the test ends. Without the variable the tests say
/// so and pass by; under CI (`BALANS_CI`) they fail instead.
pub struct Postgres;

/// The variable that names the test server, e.g.
/// `postgres://postgres@127.0.0.1:5432/test`.
pub const POSTGRES_URL_VARIABLE: &str = "BALANS_TEST_POSTGRES_URL";

/// A database made for one test; dropped, whoever is still connected, at the end.
pub struct TestDatabase {
    admin_url: String,
    pub url: String,
    name: String,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// `url` with its database replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    format!("{}/{database}{query}", &base[..host_end])
}

impl Postgres {
    /// Makes a new, empty database on the test server.
    pub fn database() -> TestDatabase {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let admin_url = std::env::var(POSTGRES_URL_VARIABLE).expect("checked by available()");
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!(
            "balans_test_{}_{}_{n}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        );
        let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot reach {POSTGRES_URL_VARIABLE}: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("a new test database");
        TestDatabase {
            url: with_database(&admin_url, &name),
            admin_url,
            name,
        }
    }
}

impl Backend for Postgres {
    type Store = balans_postgres::PostgresStore;

    fn available() -> bool {
        if std::env::var_os(POSTGRES_URL_VARIABLE).is_some() {
            return true;
        }
        assert!(
            std::env::var_os("BALANS_CI").is_none(),
            "{POSTGRES_URL_VARIABLE} is not set, and under CI the PostgreSQL tests may not be skipped"
        );
        eprintln!(
            "SKIPPED on PostgreSQL: set {POSTGRES_URL_VARIABLE} (e.g. postgres://postgres@127.0.0.1:5432/test) to run this test there too"
        );
        false
    }

    fn fresh() -> (balans_postgres::PostgresStore, Box<dyn std::any::Any>) {
        let database = Postgres::database();
        let store = balans_postgres::PostgresStore::open(&database.url).expect("a new store");
        (store, Box::new(database))
    }

    fn hold_ids_at_most(store: &mut balans_postgres::PostgresStore, most: usize) {
        store.set_bulk_ids_max(most);
    }

    fn again(guard: &dyn std::any::Any) -> balans_postgres::PostgresStore {
        let database = guard
            .downcast_ref::<TestDatabase>()
            .expect("the guard fresh returned");
        balans_postgres::PostgresStore::open(&database.url).expect("the same store again")
    }
}
