//! The PostgreSQL store: the same `Store` as the embedded one, over a database
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
//! use balans_store::GestureStore;
//! let mut store = balans_postgres::PostgresStore::open("postgres://balans@db.example/balans")?;
//! println!("{} gestures", store.gesture_count()?);
//! # Ok::<(), balans_store::StoreError>(())
//! ```

mod accounts;
mod balances;
mod bulk;
mod bulk_load;
mod catalog;
mod connection;
mod copy;
mod credits;
mod directory;
mod gestures;
mod keeping;
mod open;
mod promises;
pub mod schema;
mod totals;
mod transactions;

pub use bulk::BulkLoadSeen;
pub use connection::{PostgresStore, WRITE_LOCK};
pub use schema::SCHEMA_VERSION;
