//! Fresh stores for the conformance suite, one kind per backend. Every test in
//! `tests/conformance.rs` is generic over [`Backend`] and runs for each backend.

use balans_sqlite::SqliteStore;
use balans_store::Store;

/// Makes fresh, empty stores of one backend.
pub trait Backend {
    type Store: Store;
    /// A new, empty, migrated store, and whatever must live as long as it.
    fn fresh() -> (Self::Store, Box<dyn std::any::Any>);
    /// Another connection to the store `fresh` made, as a second process would have.
    fn again(guard: &dyn std::any::Any) -> Self::Store;
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

    fn again(guard: &dyn std::any::Any) -> SqliteStore {
        let dir = guard
            .downcast_ref::<tempfile::TempDir>()
            .expect("the guard fresh returned");
        SqliteStore::open(&dir.path().join("balans.db"), false).expect("the same store again")
    }
}
