//! Input quoted in a message: a message may be printed to a terminal, logged or
//! shown on a page, so what it quotes is kept short and made safe to print.

use std::fmt;

/// The most characters of input a message quotes.
pub const QUOTED_CHARS_MAX: usize = 200;

/// Text as a message quotes it: at most [`QUOTED_CHARS_MAX`] characters, then
/// `…`, with control characters and line breaks written as escapes (`\n`,
/// `\u{1b}`), so that a binary file or a megabyte-long line cannot flood or
/// steer a terminal.
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chars = self.0.chars();
        for c in chars.by_ref().take(QUOTED_CHARS_MAX) {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        if chars.next().is_some() {
            f.write_str("…")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_input_is_cut_and_control_characters_are_escaped() {
        assert_eq!(Quoted("Café").to_string(), "Café");
        assert_eq!(Quoted("a\nb\u{1b}[31m").to_string(), "a\\nb\\u{1b}[31m");
        let long = "x".repeat(52_000_000 / 1000);
        let quoted = Quoted(&long).to_string();
        assert_eq!(quoted.chars().count(), QUOTED_CHARS_MAX + 1);
        assert!(quoted.ends_with('…'));
        assert_eq!(
            Quoted(&"é".repeat(QUOTED_CHARS_MAX))
                .to_string()
                .chars()
                .count(),
            QUOTED_CHARS_MAX
        );
    }
}
