//! Parties (organizations and persons) and their memberships.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use thiserror::Error;

use crate::time::Moment;

/// The store's own number for a party. Keys are what users see; ids are what rows hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartyId(pub i64);

/// The longest party key accepted, in bytes.
pub const PARTY_KEY_MAX_BYTES: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    #[error("empty key")]
    Empty,
    #[error("key '{}…' is longer than {PARTY_KEY_MAX_BYTES} bytes", crate::Quoted(.0))]
    TooLong(String),
    #[error("key '{}' contains a control character or a line break", crate::Quoted(.0))]
    ControlCharacter(String),
}

impl KeyError {
    /// The error as an entry of the message catalog.
    pub fn said(&self) -> crate::said::Said {
        use crate::said::{Code, Said};
        match self {
            KeyError::Empty => Said::new(Code::KeyEmpty, &[]),
            KeyError::TooLong(_) => Said::new(
                Code::KeyTooLong,
                &[("max", &PARTY_KEY_MAX_BYTES.to_string())],
            ),
            KeyError::ControlCharacter(text) => Said::new(Code::KeyControl, &[("text", text)]),
        }
    }
}

/// A party's key as the user chose it: a customer number, an e-mail address, a slug.
/// Trimmed; never empty; no control characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct PartyKey(String);

impl PartyKey {
    pub fn parse(text: &str) -> Result<PartyKey, KeyError> {
        PartyKey::check(text).map(|key| PartyKey(key.to_string()))
    }

    /// Checks a key without copying it: the trimmed text, or why it is no key.
    pub fn check(text: &str) -> Result<&str, KeyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(KeyError::Empty);
        }
        if text.len() > PARTY_KEY_MAX_BYTES {
            let shown: String = text.chars().take(40).collect();
            return Err(KeyError::TooLong(shown));
        }
        if text.chars().any(char::is_control) {
            return Err(KeyError::ControlCharacter(text.escape_debug().to_string()));
        }
        Ok(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PartyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PartyKind {
    Organization,
    Person,
}

impl PartyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PartyKind::Organization => "organization",
            PartyKind::Person => "person",
        }
    }
}

impl FromStr for PartyKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "organization" | "organisation" | "organisatie" | "org" => Ok(PartyKind::Organization),
            "person" | "persoon" => Ok(PartyKind::Person),
            other => Err(format!(
                "unknown party kind '{other}': use organization or person"
            )),
        }
    }
}

/// The text fields of a party, as imported or edited.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PartyFields {
    pub key: PartyKey,
    pub kind: PartyKind,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub note: Option<String>,
}

/// A party as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Party {
    pub id: PartyId,
    pub fields: PartyFields,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Works for the organization.
    Employee,
    /// Speaks for the organization.
    Contact,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Employee => "employee",
            Role::Contact => "contact",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "employee" | "medewerker" => Ok(Role::Employee),
            "contact" | "contactpersoon" => Ok(Role::Contact),
            other => Err(format!("unknown role '{other}': use employee or contact")),
        }
    }
}

/// A person's membership of an organization over `[from, until)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub person: PartyId,
    pub organization: PartyId,
    pub role: Role,
    pub from: Moment,
    pub until: Option<Moment>,
}

impl Membership {
    pub fn holds_at(&self, at: Moment) -> bool {
        self.from <= at && self.until.is_none_or(|until| at < until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_trimmed_and_checked() {
        assert_eq!(
            PartyKey::parse("  anna@example.nl ").unwrap().as_str(),
            "anna@example.nl"
        );
        assert_eq!(PartyKey::parse(" "), Err(KeyError::Empty));
        assert!(matches!(
            PartyKey::parse("a\nb"),
            Err(KeyError::ControlCharacter(_))
        ));
        assert!(matches!(
            PartyKey::parse(&"x".repeat(201)),
            Err(KeyError::TooLong(_))
        ));
        assert!(PartyKey::parse("Café de Zon 12").is_ok());
    }

    #[test]
    fn membership_interval_is_half_open() {
        let m = Membership {
            person: PartyId(1),
            organization: PartyId(2),
            role: Role::Employee,
            from: Moment::from_millis(100),
            until: Some(Moment::from_millis(200)),
        };
        assert!(!m.holds_at(Moment::from_millis(99)));
        assert!(m.holds_at(Moment::from_millis(100)));
        assert!(m.holds_at(Moment::from_millis(199)));
        assert!(!m.holds_at(Moment::from_millis(200)));
    }
}
