//! Accounts: the users of the server, their API tokens and web sessions.

use balans_core::{Email, Moment, TokenInfo, User, UserId, UserRole};

use super::error::StoreResult;

/// Users, tokens and sessions, as a backend stores them. Secrets are stored
/// only as hashes.
pub trait AccountStore {
    /// Every user, in id order.
    fn users(&mut self) -> StoreResult<Vec<User>>;
    fn user_by_email(&mut self, email: &Email) -> StoreResult<Option<User>>;
    fn insert_user(
        &mut self,
        email: &Email,
        role: UserRole,
        password_hash: Option<&str>,
    ) -> StoreResult<UserId>;
    /// Changes role, password hash and language.
    fn update_user(&mut self, user: &User) -> StoreResult<()>;
    /// Removes a user with their tokens, sessions, saved responses and uploads.
    fn remove_user(&mut self, user: UserId) -> StoreResult<()>;

    /// Stores a token by the hash of its secret.
    fn insert_token(
        &mut self,
        user: UserId,
        name: &str,
        hash: &[u8; 32],
        created: Moment,
    ) -> StoreResult<i64>;
    /// The user a token's hash belongs to, unless the token is revoked.
    fn user_by_token(&mut self, hash: &[u8; 32]) -> StoreResult<Option<User>>;
    fn tokens(&mut self) -> StoreResult<Vec<TokenInfo>>;
    /// Revokes a token; false when there is no such token or it was revoked already.
    fn revoke_token(&mut self, id: i64, at: Moment) -> StoreResult<bool>;

    /// Stores a web session by the hash of its secret, and forgets the sessions
    /// expired before `at`.
    fn insert_session(
        &mut self,
        user: UserId,
        hash: &[u8; 32],
        at: Moment,
        expires: Moment,
    ) -> StoreResult<()>;
    /// The user a session belongs to, unless it expired before `at`.
    fn user_by_session(&mut self, hash: &[u8; 32], at: Moment) -> StoreResult<Option<User>>;
    /// Ends a session; ending one that does not exist is no error.
    fn delete_session(&mut self, hash: &[u8; 32]) -> StoreResult<()>;
    /// Ends every session of a user.
    fn end_sessions_of(&mut self, user: UserId) -> StoreResult<()>;
}
