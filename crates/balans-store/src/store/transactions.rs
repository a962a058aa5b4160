//! Transactions: the one capability every other one is called inside.

use super::error::{StoreError, StoreResult};

/// Writes and consistent reads. Methods of the other capabilities that write are
/// called only between [`Transactions::begin_write`] and [`Transactions::commit`]
/// or [`Transactions::rollback`]; reads may be called either inside or outside a
/// transaction.
pub trait Transactions {
    /// Starts the write transaction, waiting for other writers; one at a time.
    /// Inside a write it starts a nested one (a savepoint), so that several writes
    /// can share one transaction and one commit while each can still fail alone.
    fn begin_write(&mut self) -> StoreResult<()>;
    /// Ends the innermost write: the outermost commits, a nested one is kept in it.
    fn commit(&mut self) -> StoreResult<()>;
    /// Undoes the innermost write.
    fn rollback(&mut self) -> StoreResult<()>;
    /// Starts a read that sees one moment of the store throughout, whatever other
    /// connections commit meanwhile; inside a write it changes nothing.
    fn begin_read(&mut self) -> StoreResult<()>;
    fn end_read(&mut self) -> StoreResult<()>;
}

/// Runs `work` on one consistent view of the store, for reads that take many
/// statements (a check, an export, a page) while others may be writing.
pub fn in_read<S: Transactions + ?Sized, T, E: From<StoreError>>(
    store: &mut S,
    work: impl FnOnce(&mut S) -> Result<T, E>,
) -> Result<T, E> {
    store.begin_read()?;
    let result = work(store);
    store.end_read()?;
    result
}

/// Runs `work` in a write transaction: committed when it returns `Ok`, rolled back
/// otherwise, so that nothing is ever half-written.
pub fn in_transaction<S: Transactions + ?Sized, T, E: From<StoreError>>(
    store: &mut S,
    work: impl FnOnce(&mut S) -> Result<T, E>,
) -> Result<T, E> {
    store.begin_write()?;
    match work(store) {
        Ok(value) => {
            store.commit()?;
            Ok(value)
        }
        Err(e) => {
            // The work's error is the one worth reporting; a failed rollback leaves
            // the transaction to be discarded when the connection closes.
            let _ = store.rollback();
            Err(e)
        }
    }
}
