//! The storage boundary: what a backend must do, and nothing of how.
//!
//! A backend stores rows and keeps them consistent inside a write transaction; the
//! ledger rules (validation, roll-up, idempotency, balance deltas) live in this crate
//! and are written once for every backend.

use balans_core::{
    Email, Gesture, GestureId, Kind, KindDef, KindId, Level, Membership, Moment, MonthKey, PairKey,
    Party, PartyFields, PartyId, PartyKey, StoredGesture, TokenInfo, Totals, User, UserId,
    UserRole,
};
use std::sync::Arc;

use thiserror::Error;

use crate::catalog::Catalog;
use crate::snapshot::Resolved;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Batches of resolved gestures an import hands to [`Store::stream_gestures`].
pub trait GestureBatches {
    /// The next batch, or `None` when there is none to store now.
    fn next_batch(&mut self) -> Option<&[Resolved]>;
    /// The batch last handed over is stored, and every gesture in it was new.
    /// The store answers for the stream as a whole when it ends: an error then
    /// undoes the write, as any error in it does.
    fn stored(&mut self);
}

/// How [`Store::stream_gestures`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streamed {
    /// The batches handed over are stored, and there is none to store now.
    Drained,
    /// The batch last handed over is not stored: it goes in the usual way.
    Declined,
}

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

/// The names of the settings a store keeps.
pub mod setting {
    /// The IANA time zone a date without a time is read in.
    pub const TIME_ZONE: &str = "timezone";
    /// The key of our own organization, which the report takes sides with.
    pub const US: &str = "us";
}

/// A response kept for an idempotency key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedResponse {
    /// A hash of the request it answered; the same key with another request is an error.
    pub fingerprint: [u8; 32],
    pub status: u16,
    pub body: Vec<u8>,
}

/// Which gestures a listing wants; every field narrows it.
#[derive(Clone, Debug, Default)]
pub struct GestureFilter {
    /// Gestures this party gave or received.
    pub party: Option<PartyId>,
    /// Gestures any of these parties gave or received.
    pub any_of: Option<Vec<PartyId>>,
    /// ...with this party on the other side.
    pub counterpart: Option<PartyId>,
    pub kind: Option<KindId>,
    pub item: Option<String>,
    /// From this moment on, inclusive.
    pub from: Option<Moment>,
    /// Before this moment.
    pub until: Option<Moment>,
    /// Only gestures beyond this sequence number in the listing's order (the
    /// cursor): stored after it, or before it when `newest_first`.
    pub after_seq: Option<i64>,
    /// Latest stored first, instead of in the order they were stored.
    pub newest_first: bool,
    pub limit: usize,
}

/// What a backend implements. Methods that write are called only between
/// [`Store::begin_write`] and [`Store::commit`] or [`Store::rollback`]; reads may be
/// called either inside or outside a transaction.
pub trait Store {
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

    fn setting(&mut self, name: &str) -> StoreResult<Option<String>>;
    fn set_setting(&mut self, name: &str, value: &str) -> StoreResult<()>;

    fn kinds(&mut self) -> StoreResult<Vec<Kind>>;
    /// The kinds and the time zone as every write resolves against them. A backend
    /// may keep one between calls, as long as a change to either (by any
    /// connection) gives a new one.
    fn catalog(&mut self) -> StoreResult<Arc<Catalog>> {
        Catalog::read(self).map(Arc::new)
    }
    fn insert_kind(&mut self, def: &KindDef, builtin: bool) -> StoreResult<KindId>;
    fn update_kind(&mut self, id: KindId, def: &KindDef) -> StoreResult<()>;

    /// Every party, in id order.
    fn parties(&mut self) -> StoreResult<Vec<Party>>;
    fn party_by_key(&mut self, key: &PartyKey) -> StoreResult<Option<Party>>;
    fn party_by_id(&mut self, id: PartyId) -> StoreResult<Option<Party>>;
    /// The parties with these keys (those that exist), in one trip.
    fn parties_by_keys(&mut self, keys: &[&str]) -> StoreResult<Vec<Party>>;
    /// The parties with these ids (those that exist), in one trip.
    fn parties_by_ids(&mut self, ids: &[PartyId]) -> StoreResult<Vec<Party>>;
    fn insert_party(&mut self, fields: &PartyFields) -> StoreResult<PartyId>;
    /// Inserts new parties (no key stored yet, none twice) and returns their ids in
    /// the same order. A backend where each statement is a trip to a server does
    /// it in one.
    fn insert_parties(&mut self, parties: &[PartyFields]) -> StoreResult<Vec<PartyId>> {
        parties.iter().map(|f| self.insert_party(f)).collect()
    }
    fn update_party(&mut self, id: PartyId, fields: &PartyFields) -> StoreResult<()>;
    fn party_count(&mut self) -> StoreResult<u64>;

    /// Every membership, ordered by person, then start.
    fn memberships(&mut self) -> StoreResult<Vec<Membership>>;
    fn memberships_of(&mut self, person: PartyId) -> StoreResult<Vec<Membership>>;
    /// The memberships of all these persons, in one trip.
    fn memberships_of_many(&mut self, persons: &[PartyId]) -> StoreResult<Vec<Membership>>;
    /// Inserts the membership, or updates role and end of the one with the same
    /// person, organization and start.
    fn upsert_membership(&mut self, membership: &Membership) -> StoreResult<()>;
    /// `upsert_membership` for each, none with the same person, organization and
    /// start as another; in one trip where that matters.
    fn upsert_memberships(&mut self, memberships: &[Membership]) -> StoreResult<()> {
        memberships
            .iter()
            .try_for_each(|m| self.upsert_membership(m))
    }

    /// Many gestures follow in the open write: an import. A backend may prepare
    /// for a bulk load; what it stores and answers stays exactly the same. True
    /// when it will load them in bulk and have work to do once they are all
    /// written, in [`Store::many_gestures_written`].
    fn expect_many_gestures(&mut self) -> StoreResult<bool> {
        Ok(false)
    }

    /// The gestures an import announced are all written (it adds their sums
    /// next): a backend loading in bulk does now what it put off.
    fn many_gestures_written(&mut self) -> StoreResult<()> {
        Ok(())
    }

    /// Stores the batches `batches` hands over, in order, for as long as it can
    /// load them in bulk (see [`Store::expect_many_gestures`]): in one stream,
    /// which spares the backend's turns at each batch's end. Only batches of
    /// new, ordinary gestures are streamed (no reversal, no id stored). Ends when
    /// `batches` has none to hand over now ([`Streamed::Drained`]), or with the
    /// batch last handed over not stored, for [`Store::insert_gestures`] to
    /// store ([`Streamed::Declined`]). The default declines every batch.
    fn stream_gestures(&mut self, batches: &mut dyn GestureBatches) -> StoreResult<Streamed> {
        Ok(match batches.next_batch() {
            Some(_) => Streamed::Declined,
            None => Streamed::Drained,
        })
    }

    /// Inserts the gestures in order, each unless one with the same id is stored
    /// (earlier in the same batch included); for those, returns the stored one and
    /// changes nothing. `gesture.reverses`, when set, names a stored gesture.
    /// (Boxed: a batch's answer is mostly `None`, a word each.)
    fn insert_gestures(
        &mut self,
        gestures: &[&Gesture],
    ) -> StoreResult<Vec<Option<Box<StoredGesture>>>>;
    fn gesture(&mut self, id: &GestureId) -> StoreResult<Option<StoredGesture>>;
    /// The id of the gesture that reverses `id`, if one does.
    fn reversal_of(&mut self, id: &GestureId) -> StoreResult<Option<GestureId>>;
    /// Every gesture in the order it was stored.
    fn for_each_gesture(
        &mut self,
        visit: &mut dyn FnMut(StoredGesture) -> StoreResult<()>,
    ) -> StoreResult<()>;
    fn gesture_count(&mut self) -> StoreResult<u64>;

    /// Adds deltas to the stored balances, creating pairs as needed; exact, failing
    /// with [`StoreError::Overflow`] rather than rounding. Deltas drained from a
    /// `BalanceMap` (as an import's are) come in key order, the order of the
    /// tables' primary keys; a store may count on that for speed, not for
    /// correctness.
    fn add_to_balances(&mut self, deltas: &[(PairKey, Totals)]) -> StoreResult<()>;
    /// Replaces every balance of one level.
    fn replace_level(&mut self, level: Level, balances: &[(PairKey, Totals)]) -> StoreResult<()>;
    /// Adds credit per organization and month (given as `low_to_high`, received
    /// as `high_to_low`), as [`Store::add_to_balances`] adds to pairs.
    fn add_to_months(&mut self, deltas: &[(MonthKey, Totals)]) -> StoreResult<()>;
    /// Replaces every organization's months.
    fn replace_months(&mut self, months: &[(MonthKey, Totals)]) -> StoreResult<()>;
    /// One organization's months, in order.
    fn months_of(&mut self, organization: PartyId) -> StoreResult<Vec<(i32, Totals)>>;
    /// Every organization's months.
    fn all_months(&mut self) -> StoreResult<Vec<(MonthKey, Totals)>>;
    /// Credit a party gave and received directly (person level), summed per hour
    /// (`at_ms / 3600000`): `(hour, given, received)`, in order.
    fn credit_hours(
        &mut self,
        party: PartyId,
        credit_kinds: &[KindId],
    ) -> StoreResult<Vec<(i64, i64, i64)>>;
    /// How many gestures of each kind `[from, until)` holds, and their sum.
    fn kind_totals(&mut self, from: Moment, until: Moment) -> StoreResult<Vec<(KindId, u64, i64)>>;
    /// The balances of one pair (any dimension) at one level.
    fn pair(&mut self, level: Level, a: PartyId, b: PartyId)
    -> StoreResult<Vec<(PairKey, Totals)>>;
    /// Every balance `party` is a side of, at one level.
    fn balances_of(&mut self, level: Level, party: PartyId) -> StoreResult<Vec<(PairKey, Totals)>>;
    fn for_each_balance(
        &mut self,
        visit: &mut dyn FnMut(PairKey, Totals) -> StoreResult<()>,
    ) -> StoreResult<()>;

    /// Parties whose key or name contains `search` (ignoring case), with keys after
    /// `after`, in key order, at most `limit`.
    fn find_parties(
        &mut self,
        search: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<Party>>;
    /// Gestures matching the filter, in the order they were stored.
    fn find_gestures(&mut self, filter: &GestureFilter) -> StoreResult<Vec<StoredGesture>>;
    /// The memberships of an organization, ordered by start.
    fn members_of(&mut self, organization: PartyId) -> StoreResult<Vec<Membership>>;

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

/// Runs `work` on one consistent view of the store, for reads that take many
/// statements (a check, an export) while others may be writing.
pub fn in_read<S: Store + ?Sized, T, E: From<StoreError>>(
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
pub fn in_transaction<S: Store + ?Sized, T, E: From<StoreError>>(
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
