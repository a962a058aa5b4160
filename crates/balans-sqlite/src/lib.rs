//! The embedded SQLite store: one file in WAL mode, migrated on open.
//!
//! ```
//! use balans_sqlite::SqliteStore;
//! use balans_store::CatalogStore;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let mut store = SqliteStore::open(&dir.path().join("balans.db"), true).unwrap();
//! assert_eq!(store.kinds().unwrap().len(), 24);
//! ```

mod accounts;
mod balances;
mod catalog;
mod connection;
mod credits;
mod directory;
mod gestures;
mod keeping;
mod migrations;
mod open;
mod pending;
mod promises;
mod rows;
mod totals;
mod transactions;

#[cfg(test)]
mod tests;

pub use connection::SqliteStore;
pub use gestures::SORT_RUN_KIB;
pub use migrations::SCHEMA_VERSION;
