//! What can go wrong in a store, and the upgrade a store tells of as it opens.

use thiserror::Error;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error(
        "this store was written by a newer Balans (schema version {found}; this version knows up to {known}): upgrade balans to open it"
    )]
    NewerSchema { found: i64, known: i64 },
    #[error("the store is in use by another process and stayed locked: try again")]
    Busy,
    #[error("the store holds unexpected data: {0}")]
    Corrupt(String),
    #[error("a balance would exceed the range of exact sums ({0})")]
    Overflow(String),
    /// The message holds the cause already, so that it is not also a `source`
    /// (an error chain would print it twice).
    #[error("{context}: {cause}")]
    Backend { context: String, cause: BoxError },
}

impl StoreError {
    pub fn backend(context: impl Into<String>, source: impl Into<BoxError>) -> StoreError {
        StoreError::Backend {
            context: context.into(),
            cause: source.into(),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A store's schema brought up to date as it is opened, from the version found
/// to the one this build knows. Told before the work begins, which may rewrite
/// tables; a new store is made, not upgraded, and tells nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchemaUpgrade {
    pub from: i64,
    pub to: i64,
}

impl SchemaUpgrade {
    /// The upgrade that opening a store of schema version `found` makes, for a
    /// build that knows up to `known`: none for a new store (version 0), a current
    /// one, or a newer one (which is refused instead).
    pub fn of(found: i64, known: i64) -> Option<SchemaUpgrade> {
        (found > 0 && found < known).then_some(SchemaUpgrade {
            from: found,
            to: known,
        })
    }
}
