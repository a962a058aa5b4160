//! What the server keeps for a while besides the ledger: the responses saved for
//! idempotency keys, and uploaded files waiting to be imported. Each belongs to
//! one user and is forgotten when old.

use balans_core::{Moment, UserId};

use super::error::StoreResult;

/// A response kept for an idempotency key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedResponse {
    /// A hash of the request it answered; the same key with another request is an error.
    pub fingerprint: [u8; 32],
    pub status: u16,
    pub body: Vec<u8>,
}

/// Saved responses and uploads, as a backend stores them.
pub trait KeepingStore {
    /// The response saved for a user's idempotency key: the request's fingerprint,
    /// the status and the body.
    fn idempotent_response(
        &mut self,
        user: UserId,
        key: &str,
    ) -> StoreResult<Option<SavedResponse>>;
    /// Saves a response for a user's idempotency key, and forgets those older than `forget_before`.
    fn save_idempotent_response(
        &mut self,
        user: UserId,
        key: &str,
        response: &SavedResponse,
        at: Moment,
        forget_before: Moment,
    ) -> StoreResult<()>;

    /// Keeps an uploaded file until its user imports it, and forgets the uploads
    /// (and their parts) made before `forget_before`. Its content is added in
    /// parts ([`KeepingStore::add_upload_part`]), so that no file need be held
    /// in memory whole.
    fn insert_upload(
        &mut self,
        user: UserId,
        name: &str,
        at: Moment,
        forget_before: Moment,
    ) -> StoreResult<i64>;
    /// Adds part `n` (from 0) of an upload's content.
    fn add_upload_part(&mut self, id: i64, n: i64, bytes: &[u8]) -> StoreResult<()>;
    /// An upload's name, when it exists and belongs to `user`.
    fn upload(&mut self, id: i64, user: UserId) -> StoreResult<Option<String>>;
    /// Part `n` of an upload's content; `None` after the last.
    fn upload_part(&mut self, id: i64, n: i64) -> StoreResult<Option<Vec<u8>>>;
    /// Forgets an upload and its parts.
    fn delete_upload(&mut self, id: i64) -> StoreResult<()>;
}
