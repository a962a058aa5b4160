//! Users, passwords and API tokens. Passwords are kept as argon2 hashes; a token's
//! secret is shown once and kept as its SHA-256, so a stolen store holds neither.

use argon2::Argon2;
use balans_core::{Email, Moment, TokenInfo, User, UserRole};
use password_hash::rand_core::{OsRng, RngCore};
use password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};

use crate::store::{Store, in_transaction};
use crate::{LedgerError, field};

/// What every token's secret starts with, so that one found in a log or a
/// repository is recognizable.
pub const TOKEN_PREFIX: &str = "bal_";
/// The shortest password accepted.
pub const PASSWORD_MIN_CHARS: usize = 10;
/// The name of the setting that holds the hash of the one-time setup token.
pub const SETUP_TOKEN_SETTING: &str = "setup_token_sha256";

fn invalid(column: &'static str, message: impl Into<String>) -> LedgerError {
    LedgerError::Invalid(vec![field::Error::new(column, message)])
}

fn unknown_user(email: &str) -> LedgerError {
    LedgerError::not_found(
        format!("no user {email}"),
        field::Code::UnknownUser,
        &[("email", email)],
    )
}

/// An address that is none, for the field `column`.
fn unusable_email(column: &'static str, error: balans_core::EmailError) -> LedgerError {
    let text = error.0.clone();
    LedgerError::Invalid(vec![
        field::Error::new(column, error.to_string())
            .said(field::Code::EmailUnusable, &[("text", &text)]),
    ])
}

/// A fresh secret: the prefix and 32 random bytes in hex.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let mut secret = String::with_capacity(TOKEN_PREFIX.len() + 64);
    secret.push_str(TOKEN_PREFIX);
    for byte in bytes {
        secret.push_str(&format!("{byte:02x}"));
    }
    secret
}

/// The SHA-256 a token is stored and looked up by.
pub fn token_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.trim().as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A password shorter than [`PASSWORD_MIN_CHARS`], refused.
pub fn password_too_short() -> LedgerError {
    LedgerError::Invalid(vec![
        field::Error::new(
            "password",
            format!("at least {PASSWORD_MIN_CHARS} characters"),
        )
        .said(
            field::Code::PasswordTooShort,
            &[("min", &PASSWORD_MIN_CHARS.to_string())],
        ),
    ])
}

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, LedgerError> {
    if password.chars().count() < PASSWORD_MIN_CHARS {
        return Err(password_too_short());
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| LedgerError::Io(format!("cannot hash the password: {e}")))
}

/// Whether `password` is the user's; false for a user without a password.
pub fn verify_password(user: &User, password: &str) -> bool {
    let Some(stored) = &user.password_hash else {
        return false;
    };
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// Adds a user; a password is optional (a user without one can hold API tokens but
/// cannot log in).
pub fn add_user<S: Store + ?Sized>(
    store: &mut S,
    email: &str,
    role: UserRole,
    password: Option<&str>,
) -> Result<User, LedgerError> {
    let email = Email::parse(email).map_err(|e| unusable_email("email", e))?;
    let password_hash = password.map(hash_password).transpose()?;
    in_transaction(store, |store| {
        if store.user_by_email(&email)?.is_some() {
            return Err(LedgerError::clash(
                format!("a user {email} exists already"),
                balans_core::said::Code::UserTaken,
                &[("email", email.as_str())],
            ));
        }
        let id = store.insert_user(&email, role, password_hash.as_deref())?;
        // The first user ends the setup: its token stops working.
        store.set_setting(SETUP_TOKEN_SETTING, "")?;
        Ok(User {
            id,
            email: email.clone(),
            role,
            password_hash: password_hash.clone(),
            language: None,
        })
    })
}

/// Changes a user's role.
pub fn set_role<S: Store + ?Sized>(
    store: &mut S,
    email: &str,
    role: UserRole,
) -> Result<User, LedgerError> {
    let email = Email::parse(email).map_err(|e| unusable_email("email", e))?;
    in_transaction(store, |store| {
        let mut user = store
            .user_by_email(&email)?
            .ok_or_else(|| unknown_user(email.as_str()))?;
        user.role = role;
        store.update_user(&user)?;
        Ok(user)
    })
}

/// Gives a user a new password (none: they can no longer log in, and keep only
/// their API tokens) and ends their sessions, so that whoever knew the old one
/// is logged out.
pub fn set_password<S: Store + ?Sized>(
    store: &mut S,
    email: &str,
    password: Option<&str>,
) -> Result<User, LedgerError> {
    let email = Email::parse(email).map_err(|e| unusable_email("email", e))?;
    let hash = match password.filter(|p| !p.is_empty()) {
        Some(password) => Some(hash_password(password)?),
        None => None,
    };
    in_transaction(store, |store| {
        let mut user = store
            .user_by_email(&email)?
            .ok_or_else(|| unknown_user(email.as_str()))?;
        user.password_hash = hash;
        store.update_user(&user)?;
        store.end_sessions_of(user.id)?;
        Ok(user)
    })
}

/// Removes a user, with their tokens, sessions and what the server kept for
/// them; the last admin stays, so that someone can still manage the users.
pub fn remove_user<S: Store + ?Sized>(store: &mut S, email: &str) -> Result<User, LedgerError> {
    let email = Email::parse(email).map_err(|e| unusable_email("email", e))?;
    in_transaction(store, |store| {
        let user = store
            .user_by_email(&email)?
            .ok_or_else(|| unknown_user(email.as_str()))?;
        let admins = store
            .users()?
            .iter()
            .filter(|u| u.role == UserRole::Admin)
            .count();
        if user.role == UserRole::Admin && admins == 1 {
            return Err(LedgerError::clash(
                format!("{email} is the last admin: make another user admin first"),
                balans_core::said::Code::LastAdmin,
                &[("email", email.as_str())],
            ));
        }
        store.remove_user(user.id)?;
        Ok(user)
    })
}

/// Links a user to the person party they are (`docs/credits.md`: a handover
/// to that person is then theirs alone to accept), or unlinks them (`None`).
/// Returns the user and the party's key.
pub fn link_user<S: Store + ?Sized>(
    store: &mut S,
    email: &str,
    party: Option<&str>,
) -> Result<(User, Option<String>), LedgerError> {
    let email = Email::parse(email).map_err(|e| unusable_email("email", e))?;
    in_transaction(store, |store| {
        let user = store
            .user_by_email(&email)?
            .ok_or_else(|| unknown_user(email.as_str()))?;
        let Some(key) = party else {
            store.link_user(user.id, None)?;
            return Ok((user, None));
        };
        let party = crate::ledger::find_party(store, key)?;
        if party.fields.kind != balans_core::PartyKind::Person {
            return Err(LedgerError::Invalid(vec![
                field::Error::new(
                    "party",
                    format!(
                        "{} is an organization: a user is linked to the person they are",
                        party.fields.key
                    ),
                )
                .said(field::Code::LinkNotAPerson, &[("name", &party.fields.name)]),
            ]));
        }
        if let Some(other) = store.linked_user(party.id)?
            && other != user.id
        {
            let others = store.users()?;
            let name = others
                .iter()
                .find(|u| u.id == other)
                .map_or_else(|| format!("user #{}", other.0), |u| u.email.to_string());
            return Err(LedgerError::Invalid(vec![
                field::Error::new(
                    "party",
                    format!("{} is linked to {name} already", party.fields.key),
                )
                .said(
                    field::Code::LinkTaken,
                    &[("name", &party.fields.name), ("email", &name)],
                ),
            ]));
        }
        store.link_user(user.id, Some(party.id))?;
        Ok((user, Some(party.fields.key.to_string())))
    })
}

/// Creates an API token for a user. Returns its description and its secret, which
/// is not kept and cannot be shown again.
pub fn create_token<S: Store + ?Sized>(
    store: &mut S,
    email: &str,
    name: &str,
) -> Result<(TokenInfo, String), LedgerError> {
    let email = Email::parse(email).map_err(|e| unusable_email("user", e))?;
    let name = name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(LedgerError::Invalid(vec![
            field::Error::new(
                "name",
                "a token needs a name of 1 to 200 bytes, such as the tool that uses it",
            )
            .said(field::Code::TokenNameUnusable, &[]),
        ]));
    }
    let secret = new_secret();
    let created = Moment::now();
    let id = in_transaction(store, |store| {
        let user = store
            .user_by_email(&email)?
            .ok_or_else(|| unknown_user(email.as_str()))?;
        Ok::<_, LedgerError>(store.insert_token(user.id, name, &token_hash(&secret), created)?)
    })?;
    Ok((
        TokenInfo {
            id,
            user: email,
            name: name.to_string(),
            created,
            revoked: None,
        },
        secret,
    ))
}

/// The user a bearer token belongs to; `None` for an unknown or revoked token.
pub fn authenticate<S: Store + ?Sized>(
    store: &mut S,
    secret: &str,
) -> Result<Option<User>, LedgerError> {
    if !secret.trim().starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    Ok(store.user_by_token(&token_hash(secret))?)
}

pub fn revoke_token<S: Store + ?Sized>(store: &mut S, id: i64) -> Result<(), LedgerError> {
    let revoked = in_transaction(store, |store| store.revoke_token(id, Moment::now()))?;
    if revoked {
        Ok(())
    } else {
        Err(LedgerError::not_found(
            format!("no active token #{id}"),
            field::Code::UnknownToken,
            &[("id", &id.to_string())],
        ))
    }
}

/// How long a web session lasts after logging in.
pub const SESSION_DAYS: i64 = 14;

/// Logs a user in with e-mail and password: a new session's secret, for a cookie,
/// and the user. Wrong e-mail and wrong password are the same answer, so that the
/// answer does not tell which addresses have accounts.
pub fn log_in<S: Store + ?Sized>(
    store: &mut S,
    email: &str,
    password: &str,
) -> Result<(String, User), LedgerError> {
    let refused = || invalid("password", "unknown e-mail address or wrong password");
    let email = Email::parse(email).map_err(|_| refused())?;
    let user = store.user_by_email(&email)?.ok_or_else(refused)?;
    if !verify_password(&user, password) {
        return Err(refused());
    }
    let secret = new_secret();
    let now = Moment::now();
    let expires = Moment::from_millis(now.millis() + SESSION_DAYS * 24 * 60 * 60 * 1000);
    in_transaction(store, |store| {
        store.insert_session(user.id, &token_hash(&secret), now, expires)
    })?;
    Ok((secret, user))
}

/// The user behind a session cookie's secret; `None` for an unknown or expired one.
pub fn session_user<S: Store + ?Sized>(
    store: &mut S,
    secret: &str,
) -> Result<Option<User>, LedgerError> {
    if !secret.trim().starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    Ok(store.user_by_session(&token_hash(secret), Moment::now())?)
}

/// Ends the session with this secret.
pub fn log_out<S: Store + ?Sized>(store: &mut S, secret: &str) -> Result<(), LedgerError> {
    in_transaction(store, |store| store.delete_session(&token_hash(secret)))?;
    Ok(())
}

/// Remembers the language a user chose for the web app.
pub fn set_language<S: Store + ?Sized>(
    store: &mut S,
    user: &User,
    language: &str,
) -> Result<(), LedgerError> {
    in_transaction(store, |store| {
        let mut stored = store
            .user_by_email(&user.email)?
            .ok_or_else(|| unknown_user(user.email.as_str()))?;
        stored.language = Some(language.to_string());
        Ok::<_, LedgerError>(store.update_user(&stored)?)
    })?;
    Ok(())
}

/// When the store has no users yet: a new one-time setup token (its hash kept in
/// the store, so that any server over the same store accepts it). `None` otherwise.
pub fn begin_setup<S: Store + ?Sized>(store: &mut S) -> Result<Option<String>, LedgerError> {
    in_transaction(store, |store| {
        if !store.users()?.is_empty() {
            return Ok(None);
        }
        let secret = new_secret();
        store.set_setting(SETUP_TOKEN_SETTING, &hex(&token_hash(&secret)))?;
        Ok(Some(secret))
    })
}

/// Creates the first admin with the setup token; refused once any user exists.
pub fn finish_setup<S: Store + ?Sized>(
    store: &mut S,
    setup_token: &str,
    email: &str,
    password: &str,
) -> Result<User, LedgerError> {
    let expected = store.setting(SETUP_TOKEN_SETTING)?.unwrap_or_default();
    if expected.is_empty() || !store.users()?.is_empty() {
        return Err(LedgerError::Conflict(
            "setup is finished: an admin exists already".to_string(),
        ));
    }
    if hex(&token_hash(setup_token)) != expected {
        return Err(invalid(
            "setup_token",
            "not the setup token this store printed",
        ));
    }
    add_user(store, email, UserRole::Admin, Some(password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_long_and_different() {
        let (a, b) = (new_secret(), new_secret());
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 64);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), token_hash(&format!(" {a}\n")));
    }

    #[test]
    fn passwords_verify_and_short_ones_are_refused() {
        let hash = hash_password("correct horse battery").unwrap();
        let user = User {
            id: balans_core::UserId(1),
            email: Email::parse("a@b.nl").unwrap(),
            role: UserRole::Staff,
            password_hash: Some(hash),
            language: None,
        };
        assert!(verify_password(&user, "correct horse battery"));
        assert!(!verify_password(&user, "wrong horse battery"));
        assert!(!verify_password(
            &User {
                password_hash: None,
                ..user
            },
            "correct horse battery"
        ));
        assert!(hash_password("short").is_err());
    }
}
