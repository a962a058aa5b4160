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
    /// made before `forget_before`.
    fn insert_upload(
        &mut self,
        user: UserId,
        name: &str,
        body: &[u8],
        at: Moment,
        forget_before: Moment,
    ) -> StoreResult<i64>;
    /// An upload's name and content, when it exists and belongs to `user`.
    fn upload(&mut self, id: i64, user: UserId) -> StoreResult<Option<(String, Vec<u8>)>>;
    fn delete_upload(&mut self, id: i64) -> StoreResult<()>;
}
