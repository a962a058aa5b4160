//! Errors about one field of one gesture, party or membership.

use std::fmt;

/// A field that is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub column: &'static str,
    pub message: String,
}

impl Error {
    pub fn new(column: &'static str, message: impl Into<String>) -> Error {
        Error {
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.column, self.message)
    }
}
