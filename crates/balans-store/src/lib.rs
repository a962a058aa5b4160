//! The storage boundary of Balans and the ledger operations written once over it.
//!
//! [`Store`] is what a backend (SQLite, PostgreSQL) implements: rows and
//! transactions. Everything with a rule in it lives here, generic over the backend:
//! validating and importing files ([`import`]), recording and reversing a gesture
//! ([`ledger::give`], [`ledger::reverse`]), balances, the out-of-balance report, the
//! consistency check and export. Balances change only in the transaction that
//! stores their gestures, and only for gestures actually stored.

pub mod accounts;
pub mod demo;
mod demo_nl;
pub mod field;
pub mod import;
pub mod ledger;
mod record;
pub mod snapshot;
pub mod store;
mod sums;
pub mod views;

use std::fmt;

pub use balans_csv::RowError;
pub use snapshot::GestureText;
pub use store::{
    AccountStore, BalanceStore, BulkLoad, Catalog, CatalogStore, Directory, DirectoryStore,
    GestureBatches, GestureStore, KeepingStore, SchemaUpgrade, Store, StoreError, StoreResult,
    Streamed, Transactions, in_read, in_transaction, setting,
};

/// The capability traits of a store, for code that calls a store's methods on a
/// concrete type or an associated one: `use balans_store::prelude::*;`.
pub mod prelude {
    pub use crate::store::{
        AccountStore, BalanceStore, BulkLoad, CatalogStore, CreditStore, DirectoryStore,
        GestureStore, KeepingStore, PromiseStore, Store, Transactions,
    };
}

/// The most row errors an import lists; the rest are counted.
pub const ERRORS_SHOWN_MAX: usize = 100;

/// Why an import wrote nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The first errors, in file and line order.
    pub errors: Vec<RowError>,
    /// How many errors were found in all.
    pub total: usize,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for error in &self.errors {
            writeln!(f, "{error}")?;
        }
        if self.total > self.errors.len() {
            writeln!(f, "… and {} more errors", self.total - self.errors.len())?;
        }
        write!(
            f,
            "{} error{} found; nothing was imported",
            self.total,
            if self.total == 1 { "" } else { "s" }
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// Fields of a single gesture or command that are wrong.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<field::Error>),
    /// An import that found errors and wrote nothing.
    #[error("{0}")]
    Rejected(Rejection),
    /// Something named is not stored: in English in `message`, and as its
    /// catalog entry where a page shows it.
    #[error("{message}")]
    NotFound {
        message: String,
        said: Option<balans_core::said::Said>,
    },
    /// No party has this key; a page says so in its reader's language.
    #[error("no party with key '{0}'")]
    UnknownParty(String),
    /// A conflict with what is stored (a key or an address taken, the last
    /// admin), as its catalog entry too: in English in `message`.
    #[error("{message}")]
    Clash {
        message: String,
        said: balans_core::said::Said,
    },
    #[error("{0}")]
    Conflict(String),
    /// The one asking may not do this (a handover that is another user's to
    /// accept, for example).
    #[error("{message}")]
    Forbidden {
        message: String,
        said: Option<balans_core::said::Said>,
    },
    #[error("{0}")]
    Io(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl LedgerError {
    /// Something named is not stored, said in English and as the catalog's `code`.
    pub fn not_found(
        message: impl Into<String>,
        code: balans_core::said::Code,
        args: &[(&'static str, &str)],
    ) -> LedgerError {
        LedgerError::NotFound {
            message: message.into(),
            said: Some(balans_core::said::Said::new(code, args)),
        }
    }

    /// Something named is not stored, in a text that is already the reader's.
    pub fn not_found_said(message: impl Into<String>) -> LedgerError {
        LedgerError::NotFound {
            message: message.into(),
            said: None,
        }
    }

    /// A conflict with what is stored, said in English and as the catalog's `code`.
    pub fn clash(
        message: impl Into<String>,
        code: balans_core::said::Code,
        args: &[(&'static str, &str)],
    ) -> LedgerError {
        LedgerError::Clash {
            message: message.into(),
            said: balans_core::said::Said::new(code, args),
        }
    }
}

impl From<balans_csv::WriteError> for LedgerError {
    fn from(error: balans_csv::WriteError) -> LedgerError {
        LedgerError::Io(format!("cannot write: {error}"))
    }
}

impl From<Vec<field::Error>> for LedgerError {
    fn from(errors: Vec<field::Error>) -> LedgerError {
        LedgerError::Invalid(errors)
    }
}
