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

pub use balans_core::said::{Code, Said};

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
        self.said = Some(Said::new(code, args));
        self
    }

    /// The same error, as this catalog entry.
    pub fn as_said(mut self, said: Said) -> Error {
        self.said = Some(said);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.column, self.message)
    }
}
