//! The catalog of gesture kinds: what can be given, in which dimension, worth what by default.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use thiserror::Error;

use crate::amount::Amount;

/// The two balances every pair keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dimension {
    /// The primary exchange, in the currency's minor units.
    Money,
    /// The relational balance, in hundredths of a point.
    Credit,
}

impl Dimension {
    pub const ALL: [Dimension; 2] = [Dimension::Money, Dimension::Credit];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Money => "money",
            Dimension::Credit => "credit",
        }
    }

    pub fn code(self) -> i64 {
        match self {
            Dimension::Money => 0,
            Dimension::Credit => 1,
        }
    }

    pub fn from_code(code: i64) -> Option<Dimension> {
        match code {
            0 => Some(Dimension::Money),
            1 => Some(Dimension::Credit),
            _ => None,
        }
    }
}

impl FromStr for Dimension {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "money" | "geld" => Ok(Dimension::Money),
            "credit" | "krediet" => Ok(Dimension::Credit),
            other => Err(format!("unknown dimension '{other}': use money or credit")),
        }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KindCodeError {
    #[error("empty kind")]
    Empty,
    #[error("kind '{}' may hold only a-z, 0-9 and _, and at most 64 characters", crate::Quoted(.0))]
    Invalid(String),
}

/// A kind's code: `thanks`, `broken_promise`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct KindCode(String);

impl KindCode {
    /// Accepts the code in any case; stores it in lower case.
    pub fn parse(text: &str) -> Result<KindCode, KindCodeError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(KindCodeError::Empty);
        }
        let code = text.to_ascii_lowercase();
        let valid = code.len() <= 64
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && code.as_bytes()[0].is_ascii_lowercase();
        if !valid {
            return Err(KindCodeError::Invalid(text.to_string()));
        }
        Ok(KindCode(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KindCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The store's own number for a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KindId(pub i64);

/// A kind as defined in the catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindDef {
    pub code: KindCode,
    pub dimension: Dimension,
    /// The value a gesture of this kind has when it names none. `None`: the amount
    /// must be given (a delivery's price, a payment's amount).
    pub default: Option<Amount>,
    pub label_nl: String,
    pub label_en: String,
}

/// A kind as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kind {
    pub id: KindId,
    pub def: KindDef,
    pub builtin: bool,
}

/// The starting catalog (DESIGN.md), in minor units.
pub fn builtin_catalog() -> Vec<KindDef> {
    use Dimension::{Credit, Money};
    let entries: [(&str, Dimension, Option<i64>, &str, &str); 24] = [
        ("deliver", Money, None, "levering", "delivery"),
        ("pay", Money, None, "betaling", "payment"),
        ("discount", Money, None, "korting", "discount"),
        ("attention", Credit, Some(100), "aandacht", "attention"),
        ("recognition", Credit, Some(200), "erkenning", "recognition"),
        ("help", Credit, Some(300), "hulp", "help"),
        ("thanks", Credit, Some(100), "bedankje", "thanks"),
        ("smile", Credit, Some(50), "glimlach", "smile"),
        (
            "ask_help",
            Credit,
            Some(100),
            "om hulp vragen",
            "asking for help",
        ),
        ("apology", Credit, Some(200), "excuses", "apology"),
        ("explanation", Credit, Some(200), "uitleg", "explanation"),
        ("gift", Credit, Some(200), "cadeau", "gift"),
        (
            "extra_effort",
            Credit,
            Some(300),
            "extra inzet",
            "extra effort",
        ),
        ("patience", Credit, Some(100), "geduld", "patience"),
        ("review", Credit, Some(300), "recensie", "review"),
        ("referral", Credit, Some(500), "aanbeveling", "referral"),
        ("stamp", Credit, Some(50), "stempel", "stamp"),
        ("reward", Credit, Some(300), "beloning", "reward"),
        (
            "brush_off",
            Credit,
            Some(-200),
            "afgescheept",
            "brushed off",
        ),
        (
            "broken_promise",
            Credit,
            Some(-300),
            "gebroken belofte",
            "broken promise",
        ),
        (
            "careless",
            Credit,
            Some(-200),
            "slordigheid",
            "carelessness",
        ),
        ("blame", Credit, Some(-200), "schuld afschuiven", "blame"),
        ("pressure", Credit, Some(-100), "prijsdruk", "pressure"),
        (
            "late_payment",
            Credit,
            Some(-200),
            "late betaling",
            "late payment",
        ),
    ];
    entries
        .into_iter()
        .map(|(code, dimension, default, nl, en)| KindDef {
            code: KindCode::parse(code).expect("built-in kind codes are valid"),
            dimension,
            default: default
                .map(|minor| Amount::from_minor(minor).expect("built-in defaults are in range")),
            label_nl: nl.to_string(),
            label_en: en.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_complete_and_unique() {
        let catalog = builtin_catalog();
        assert_eq!(catalog.len(), 24);
        let mut codes: Vec<_> = catalog.iter().map(|k| k.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 24);
        let takes = catalog
            .iter()
            .filter(|k| k.default.is_some_and(|a| a.minor() < 0))
            .count();
        assert_eq!(takes, 6);
        assert!(
            catalog
                .iter()
                .filter(|k| k.dimension == Dimension::Money)
                .all(|k| k.default.is_none())
        );
    }

    #[test]
    fn kind_codes() {
        assert_eq!(KindCode::parse(" Thanks ").unwrap().as_str(), "thanks");
        assert!(KindCode::parse("thank you").is_err());
        assert!(KindCode::parse("9lives").is_err());
        assert_eq!(KindCode::parse(""), Err(KindCodeError::Empty));
    }
}
