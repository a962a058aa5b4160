//! Who may use Balans: users with a role, and the e-mail addresses that name them.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use thiserror::Error;

/// What a user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UserRole {
    /// Read everything.
    Viewer,
    /// Read everything; write parties, memberships, gestures and imports.
    Staff,
    /// Everything, users and tokens included.
    Admin,
}

impl UserRole {
    pub const ALL: [UserRole; 3] = [UserRole::Viewer, UserRole::Staff, UserRole::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            UserRole::Viewer => "viewer",
            UserRole::Staff => "staff",
            UserRole::Admin => "admin",
        }
    }

    /// Whether this role may do what `needed` may.
    pub fn allows(self, needed: UserRole) -> bool {
        self >= needed
    }
}

impl FromStr for UserRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "viewer" => Ok(UserRole::Viewer),
            "staff" => Ok(UserRole::Staff),
            "admin" => Ok(UserRole::Admin),
            other => Err(format!(
                "unknown role '{other}': use admin, staff or viewer"
            )),
        }
    }
}

impl fmt::Display for UserRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("'{}' is not an e-mail address", crate::Quoted(.0))]
pub struct EmailError(pub String);

/// An e-mail address, trimmed and in lower case; it names a user.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Email, EmailError> {
        let text = text.trim();
        let valid = text.len() <= 254
            && text.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            })
            && !text.chars().any(|c| c.is_whitespace() || c.is_control())
            && text.matches('@').count() == 1;
        if !valid {
            return Err(EmailError(text.to_string()));
        }
        Ok(Email(text.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The store's own number for a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

/// A user as stored. The password hash never leaves the store's crate boundary in
/// a response: it is not serialized.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub role: UserRole,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub language: Option<String>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("role", &self.role)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "[redacted]"),
            )
            .field("language", &self.language)
            .finish()
    }
}

/// An API token as listed: never the token itself, which is shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub id: i64,
    pub user: Email,
    pub name: String,
    pub created: crate::Moment,
    pub revoked: Option<crate::Moment>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_what_they_allow() {
        assert!(UserRole::Admin.allows(UserRole::Staff));
        assert!(UserRole::Staff.allows(UserRole::Viewer));
        assert!(!UserRole::Viewer.allows(UserRole::Staff));
        assert!(!UserRole::Staff.allows(UserRole::Admin));
        assert_eq!("Admin".parse::<UserRole>(), Ok(UserRole::Admin));
        assert!("root".parse::<UserRole>().is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Femke@Bosman.NL ").unwrap().as_str(),
            "femke@bosman.nl"
        );
        for bad in [
            "femke",
            "@bosman.nl",
            "femke@bosman",
            "fem ke@bosman.nl",
            "a@b@c.nl",
            "femke@.nl",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_user_debug_hides_the_password_hash() {
        let user = User {
            id: UserId(1),
            email: Email::parse("a@b.nl").unwrap(),
            role: UserRole::Admin,
            password_hash: Some("$argon2id$secret".into()),
            language: None,
        };
        assert!(!format!("{user:?}").contains("secret"));
    }
}
