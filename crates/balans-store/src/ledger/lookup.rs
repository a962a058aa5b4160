//! Finding what a request names, for every capability's operations: a party
//! by its key, and the size of a page. Kept apart from the directory so that
//! the capabilities the directory calls (credits, levels, promises) can use
//! them without a circle.

use balans_core::{Party, PartyKey};

use crate::store::Store;
use crate::{LedgerError, field};

/// The party with this key.
pub fn find_party<S: Store + ?Sized>(store: &mut S, key: &str) -> Result<Party, LedgerError> {
    let key = PartyKey::parse(key).map_err(|e| LedgerError::NotFound {
        message: format!("party key: {e}"),
        said: Some(e.said()),
    })?;
    store
        .party_by_key(&key)?
        .ok_or_else(|| LedgerError::UnknownParty(key.to_string()))
}

/// The most items one page holds.
pub const PAGE_LIMIT_MAX: usize = 1_000;

pub(crate) fn page_limit(limit: Option<usize>) -> Result<usize, LedgerError> {
    match limit {
        None => Ok(100),
        Some(n) if (1..=PAGE_LIMIT_MAX).contains(&n) => Ok(n),
        Some(n) => Err(LedgerError::Invalid(vec![field::Error::new(
            "limit",
            format!("{n}: use 1 to {PAGE_LIMIT_MAX}"),
        )])),
    }
}
