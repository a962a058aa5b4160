//! The storage boundary of Balans and the ledger operations written once over it.
//!
//! [`Store`] is what a backend (SQLite, PostgreSQL) implements: rows and
//! transactions. Everything with a rule in it lives here, generic over the backend:
//! validating and importing files ([`import`]), recording and reversing a gesture
//! ([`ledger::give`], [`ledger::reverse`]), balances, the out-of-balance report, the
//! consistency check and export. Balances change only in the transaction that
//! stores their gestures, and only for gestures actually stored.

pub mod accounts;
pub mod catalog;
pub mod demo;
pub mod directory;
pub mod field;
pub mod import;
pub mod ledger;
pub mod snapshot;
pub mod store;
pub mod views;

use std::fmt;

pub use balans_csv::RowError;
pub use catalog::Catalog;
pub use directory::Directory;
pub use snapshot::GestureText;
pub use store::{
    GestureBatches, SchemaUpgrade, Store, StoreError, StoreResult, Streamed, in_read,
    in_transaction, setting,
};

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
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Io(String),
    #[error(transparent)]
    Store(#[from] StoreError),
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
