//! Errors about one field of one gesture, party or membership.

use std::fmt;

/// A field that is wrong, and why: in English in `message`, and for the
/// messages a person meets most, as an entry of the web app's message catalog
/// with the values it names (`said`), so that a page says it in its reader's
/// language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub column: &'static str,
    pub message: String,
    pub said: Option<Said>,
}

/// A message as an entry of the catalog and the values of its placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub code: Code,
    pub args: Vec<(&'static str, String)>,
}

/// The messages of the catalog. Each names its placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// `{name}`: no party has this key or name.
    UnknownParty,
    /// `{name}`, `{candidates}`.
    PartyDidYouMean,
    /// `{name}`, `{count}`, `{candidates}`.
    PartyAmbiguous,
    /// `{name}`.
    UnknownKind,
    /// `{name}`, `{candidates}`.
    KindDidYouMean,
    /// `{name}`, `{count}`, `{candidates}`.
    KindAmbiguous,
    /// `{kind}`: the kind has no default, and no amount was given.
    NeedsAmount,
    /// `{amount}`.
    NegativePayment,
    /// No placeholder.
    GivesToItself,
    /// No placeholder.
    EmptyName,
    /// `{text}`.
    AmountUnreadable,
    /// `{text}`, `{thousands}`, `{decimal}`.
    AmountAmbiguous,
    /// `{text}`.
    AmountTooPrecise,
    /// `{text}`.
    MomentUnreadable,
}

impl Code {
    /// Every code, for the catalog's tests.
    pub const ALL: &[Code] = &[
        Code::UnknownParty,
        Code::PartyDidYouMean,
        Code::PartyAmbiguous,
        Code::UnknownKind,
        Code::KindDidYouMean,
        Code::KindAmbiguous,
        Code::NeedsAmount,
        Code::NegativePayment,
        Code::GivesToItself,
        Code::EmptyName,
        Code::AmountUnreadable,
        Code::AmountAmbiguous,
        Code::AmountTooPrecise,
        Code::MomentUnreadable,
    ];
}

impl Error {
    pub fn new(column: &'static str, message: impl Into<String>) -> Error {
        Error {
            column,
            message: message.into(),
            said: None,
        }
    }

    /// The same error, as the catalog's `code` with these values.
    pub fn said(mut self, code: Code, args: &[(&'static str, &str)]) -> Error {
        self.said = Some(Said {
            code,
            args: args.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        });
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.column, self.message)
    }
}
