//! The storage boundary: what a backend must do, and nothing of how.
//!
//! A backend stores rows and keeps them consistent inside a write transaction; the
//! ledger rules (validation, roll-up, idempotency, balance deltas) live in this crate
//! and are written once for every backend. What a backend does is split by
//! capability, one trait and one file each; [`Store`] is their sum, and what the
//! rest of Balans asks for.
//!
//! | file | trait | what |
//! |---|---|---|
//! | `transactions.rs` | [`Transactions`] | writes (nesting as savepoints), consistent reads |
//! | `catalog.rs` | [`CatalogStore`] | kinds and settings; the [`Catalog`] a write resolves against |
//! | `directory.rs` | [`DirectoryStore`] | parties and memberships; the [`Directory`] a connection keeps |
//! | `gestures.rs` | [`GestureStore`] | storing, finding and counting gestures |
//! | `bulk.rs` | [`BulkLoad`] | the hooks of an import's bulk load (optional) |
//! | `balances.rs` | [`BalanceStore`] | balances per pair and level, credit per month |
//! | `credits.rs` | [`CreditStore`] | handovers of dormant credits |
//! | `promises.rs` | [`PromiseStore`] | promises and their due moments |
//! | `accounts.rs` | [`AccountStore`] | users, API tokens, web sessions |
//! | `keeping.rs` | [`KeepingStore`] | idempotent responses and uploads |

pub mod accounts;
pub mod balances;
pub mod bulk;
pub mod catalog;
pub mod credits;
pub mod directory;
pub mod error;
pub mod gestures;
pub mod keeping;
pub mod promises;
pub mod transactions;

pub use accounts::AccountStore;
pub use balances::BalanceStore;
pub use bulk::{
    BULK_IDS_MAX, BulkIds, BulkLoad, GestureBatches, Streamed, found_in_load, hold_new, id_hash,
    rows_carry_asked_ids,
};
pub use catalog::{Catalog, CatalogStore, setting, zone_of};
pub use credits::{CreditStore, NewHandover};
pub use directory::{Directory, DirectoryStore};
pub use error::{BoxError, SchemaUpgrade, StoreError, StoreResult};
pub use gestures::{Flow, GestureFilter, GestureStore, Resolved};
pub use keeping::{KeepingStore, SavedResponse};
pub use promises::{
    NewPromise, PromiseFilter, PromiseOrder, PromiseStore, PromiseTally, Resolution, ResolvedIn,
};
pub use transactions::{Transactions, in_read, in_transaction};

/// Everything a backend does: the sum of the capabilities, implemented for every
/// type that has them all. Callers ask for a `Store`; a backend implements each
/// capability in a file of its own.
pub trait Store:
    Transactions
    + CatalogStore
    + DirectoryStore
    + GestureStore
    + BulkLoad
    + BalanceStore
    + CreditStore
    + PromiseStore
    + AccountStore
    + KeepingStore
{
}

impl<T> Store for T where
    T: Transactions
        + CatalogStore
        + DirectoryStore
        + GestureStore
        + BulkLoad
        + BalanceStore
        + CreditStore
        + PromiseStore
        + AccountStore
        + KeepingStore
        + ?Sized
{
}
