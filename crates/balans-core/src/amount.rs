//! Exact fixed-point amounts: hundredths of a currency unit or of a credit point.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};
use thiserror::Error;

use crate::Quoted;

/// The largest magnitude a single amount may have, in minor units (hundredths).
pub const AMOUNT_MINOR_MAX: i64 = 1_000_000_000_000;

/// Which character separates the whole part from the fraction in a text amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecimalMark {
    /// `12.50`, as English Excel writes it; `,` may group thousands.
    Point,
    /// `12,50`, as Dutch Excel writes it; `.` may group thousands.
    Comma,
}

impl DecimalMark {
    fn decimal(self) -> char {
        match self {
            DecimalMark::Point => '.',
            DecimalMark::Comma => ',',
        }
    }

    fn grouping(self) -> char {
        match self {
            DecimalMark::Point => ',',
            DecimalMark::Comma => '.',
        }
    }
}

impl FromStr for DecimalMark {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "point" | "." => Ok(DecimalMark::Point),
            "comma" | "," => Ok(DecimalMark::Comma),
            other => Err(format!(
                "unknown decimal mark '{other}': use point or comma"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AmountError {
    #[error("empty amount")]
    Empty,
    #[error("'{}' is not a number", Quoted(.0))]
    NotANumber(String),
    #[error("'{}' has more than two decimals", Quoted(.0))]
    TooPrecise(String),
    #[error("'{}' is out of range: at most {max} in magnitude", Quoted(.text))]
    OutOfRange { text: String, max: Amount },
    #[error("'{}' uses a decimal {found} where a decimal {expected} is expected", Quoted(.text))]
    WrongDecimalMark {
        text: String,
        found: &'static str,
        expected: &'static str,
    },
    /// One mark followed by exactly three digits: a thousands separator or a
    /// decimal mark, and nothing tells which.
    #[error("'{}' could be read two ways: write {thousands} or {decimal}", Quoted(.text))]
    Ambiguous {
        text: String,
        /// The amount read with the mark as a thousands separator, as digits alone.
        thousands: String,
        /// The amount read with the mark as a decimal mark, with the mark typed.
        decimal: String,
    },
}

/// An exact amount in hundredths: euro cents for money, hundredths of a point for credit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(i64);

impl Amount {
    pub const ZERO: Amount = Amount(0);
    pub const MAX: Amount = Amount(AMOUNT_MINOR_MAX);

    /// Builds an amount from minor units, refusing magnitudes beyond [`AMOUNT_MINOR_MAX`].
    pub fn from_minor(minor: i64) -> Option<Amount> {
        (minor.checked_abs()? <= AMOUNT_MINOR_MAX).then_some(Amount(minor))
    }

    pub fn minor(self) -> i64 {
        self.0
    }

    pub fn negated(self) -> Amount {
        Amount(-self.0)
    }

    /// Parses a text amount such as `12.50`, `-3`, `1.234,56` (with [`DecimalMark::Comma`]).
    ///
    /// At most two decimals (more are accepted only when they are zeros). Thousands
    /// separators are accepted only in their proper places, so that `12.50` in a
    /// decimal-comma file is an error rather than twelve hundred and fifty.
    pub fn parse(text: &str, mark: DecimalMark) -> Result<Amount, AmountError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(AmountError::Empty);
        }
        let not_a_number = || AmountError::NotANumber(trimmed.to_string());
        let (negative, rest) = match trimmed.chars().next() {
            Some('-') | Some('\u{2212}') => (
                true,
                &trimmed[trimmed.chars().next().map_or(0, char::len_utf8)..],
            ),
            Some('+') => (false, &trimmed[1..]),
            _ => (false, trimmed),
        };
        let rest = rest.trim_start();
        let (whole, fraction) = match rest.find(mark.decimal()) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        // A lone grouping character followed by one or two digits is almost surely
        // a decimal in the other convention: say so instead of misreading it.
        if fraction.is_none() {
            if let Some(i) = whole.rfind(mark.grouping()) {
                let tail = &whole[i + 1..];
                if !tail.is_empty() && tail.len() != 3 && tail.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(AmountError::WrongDecimalMark {
                        text: trimmed.to_string(),
                        found: name_of(mark.grouping()),
                        expected: name_of(mark.decimal()),
                    });
                }
            }
        }
        let digits = ungroup(whole, mark.grouping()).ok_or_else(not_a_number)?;
        if digits.is_empty() && fraction.is_none_or(str::is_empty) {
            return Err(not_a_number());
        }
        let mut minor: i128 = 0;
        for b in digits.bytes() {
            minor = minor * 10 + i128::from(b - b'0');
            if minor > i128::from(AMOUNT_MINOR_MAX) * 10 {
                return Err(AmountError::OutOfRange {
                    text: trimmed.to_string(),
                    max: Amount::MAX,
                });
            }
        }
        minor *= 100;
        if let Some(fraction) = fraction {
            if !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return Err(not_a_number());
            }
            let (kept, dropped) = fraction.split_at(fraction.len().min(2));
            if dropped.bytes().any(|b| b != b'0') {
                return Err(AmountError::TooPrecise(trimmed.to_string()));
            }
            let mut hundredths: i128 = 0;
            for (i, b) in kept.bytes().enumerate() {
                hundredths += i128::from(b - b'0') * if i == 0 { 10 } else { 1 };
            }
            minor += hundredths;
        }
        if minor > i128::from(AMOUNT_MINOR_MAX) {
            return Err(AmountError::OutOfRange {
                text: trimmed.to_string(),
                max: Amount::MAX,
            });
        }
        let minor = minor as i64;
        Ok(Amount(if negative { -minor } else { minor }))
    }
}

impl Amount {
    /// Parses an amount typed where no language or file says which mark is the
    /// decimal one (the command line, the API's strings): a mark followed by one or
    /// two digits is decimal, one that repeats or stands before another mark
    /// groups thousands, and a single mark followed by exactly three digits
    /// (`1.250`, `1,250`) is refused as [`AmountError::Ambiguous`], naming both
    /// readings. Currency marks and spaces are let through (see
    /// [`Amount::parse_in`]).
    pub fn parse_typed(text: &str) -> Result<Amount, AmountError> {
        let (bare, whole_mark) = undecorated(text);
        if let Some(mark) = whole_mark {
            return Amount::parse(&bare, mark).map_err(|e| with_text(e, text));
        }
        let points = bare.matches('.').count();
        let commas = bare.matches(',').count();
        let mark = match (points, commas) {
            (0, 0) => DecimalMark::Point,
            // Both: the last one is the decimal mark.
            (_, _) if points > 0 && commas > 0 => {
                if bare.rfind('.') > bare.rfind(',') {
                    DecimalMark::Point
                } else {
                    DecimalMark::Comma
                }
            }
            // One mark, more than once: it groups thousands.
            (p, 0) if p > 1 => DecimalMark::Comma,
            (0, c) if c > 1 => DecimalMark::Point,
            // One mark, once.
            _ => {
                let (at, mark) = match bare.find(['.', ',']) {
                    Some(at) if bare.as_bytes()[at] == b'.' => (at, DecimalMark::Point),
                    Some(at) => (at, DecimalMark::Comma),
                    None => unreachable!("one mark is there"),
                };
                let (head, tail) = (&bare[..at], &bare[at + 1..]);
                let digits = head.trim_start_matches(['-', '+', '\u{2212}']);
                let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
                if tail.len() == 3 && all_digits(tail) && !digits.is_empty() && all_digits(digits) {
                    let fraction = tail.trim_end_matches('0');
                    return Err(AmountError::Ambiguous {
                        text: text.trim().to_string(),
                        thousands: format!("{head}{tail}"),
                        decimal: if fraction.is_empty() {
                            head.to_string()
                        } else {
                            format!("{head}{}{fraction}", mark.decimal())
                        },
                    });
                }
                mark
            }
        };
        Amount::parse(&bare, mark).map_err(|e| with_text(e, text))
    }

    /// Parses an amount as a person writes it where the language says which mark
    /// is decimal (the web app: Dutch `1.250,50`, English `1,250.50`): `€` or
    /// `EUR` before or after it, spaces, and a whole amount written `10,-` are let
    /// through.
    pub fn parse_in(text: &str, mark: DecimalMark) -> Result<Amount, AmountError> {
        let (bare, whole_mark) = undecorated(text);
        Amount::parse(&bare, whole_mark.unwrap_or(mark)).map_err(|e| with_text(e, text))
    }

    /// The amount as a person writes it with `mark` as the decimal mark, thousands
    /// grouped: `1.234,56` or `1,234.56`. [`Amount::parse_in`] reads it back.
    pub fn written(self, mark: DecimalMark) -> String {
        let magnitude = self.0.unsigned_abs();
        let whole = (magnitude / 100).to_string();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3 + 4);
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(mark.grouping());
            }
            grouped.push(digit);
        }
        format!(
            "{}{grouped}{}{:02}",
            if self.0 < 0 { "-" } else { "" },
            mark.decimal(),
            magnitude % 100
        )
    }
}

/// A typed amount without what surrounds it and is not part of it: a currency
/// sign or code, spaces (ordinary, non-breaking, thin) and a closing `,-` or
/// `.-` (a whole amount, whose mark then says which one is decimal).
fn undecorated(text: &str) -> (String, Option<DecimalMark>) {
    let mut bare: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\t' | '€'))
        .collect();
    for code in ["EUR", "eur", "Eur"] {
        if let Some(rest) = bare.strip_prefix(code) {
            bare = rest.to_string();
        } else if let Some(rest) = bare.strip_suffix(code) {
            bare = rest.to_string();
        }
    }
    // A sign written after the currency sign has moved to the front.
    for (suffix, mark) in [(",-", DecimalMark::Comma), (".-", DecimalMark::Point)] {
        if let Some(rest) = bare.strip_suffix(suffix)
            && rest.bytes().last().is_some_and(|b| b.is_ascii_digit())
        {
            return (rest.to_string(), Some(mark));
        }
    }
    (bare, None)
}

/// An error about `bare` retold about the text as it was typed.
fn with_text(error: AmountError, typed: &str) -> AmountError {
    let typed = typed.trim().to_string();
    match error {
        AmountError::Empty => AmountError::Empty,
        AmountError::NotANumber(_) => AmountError::NotANumber(typed),
        AmountError::TooPrecise(_) => AmountError::TooPrecise(typed),
        AmountError::OutOfRange { max, .. } => AmountError::OutOfRange { text: typed, max },
        AmountError::WrongDecimalMark {
            found, expected, ..
        } => AmountError::WrongDecimalMark {
            text: typed,
            found,
            expected,
        },
        ambiguous @ AmountError::Ambiguous { .. } => ambiguous,
    }
}

fn name_of(c: char) -> &'static str {
    if c == '.' { "point" } else { "comma" }
}

/// Removes thousands separators, accepting them only between groups of three digits.
fn ungroup(whole: &str, separator: char) -> Option<String> {
    if !whole.contains(separator) {
        return whole
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| whole.to_string());
    }
    let mut groups = whole.split(separator);
    let first = groups.next()?;
    if first.is_empty() || first.len() > 3 || !first.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut out = first.to_string();
    for group in groups {
        if group.len() != 3 || !group.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        out.push_str(group);
    }
    Some(out)
}

impl fmt::Display for Amount {
    /// Always two decimals and a decimal point: `-12.50`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_minor(i128::from(self.0), f)
    }
}

/// Formats a sum of minor units (which may exceed one amount's range) as `-12.50`.
pub fn fmt_minor(minor: i128, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let sign = if minor < 0 { "-" } else { "" };
    let magnitude = minor.unsigned_abs();
    write!(f, "{sign}{}.{:02}", magnitude / 100, magnitude % 100)
}

/// A sum of amounts, exact, displayed like an amount.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sum(pub i64);

impl fmt::Display for Sum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_minor(i128::from(self.0), f)
    }
}

impl Serialize for Sum {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(s: &str) -> Result<i64, AmountError> {
        Amount::parse(s, DecimalMark::Point).map(Amount::minor)
    }
    fn comma(s: &str) -> Result<i64, AmountError> {
        Amount::parse(s, DecimalMark::Comma).map(Amount::minor)
    }

    #[test]
    fn parses_both_decimal_marks() {
        assert_eq!(point("12.50"), Ok(1250));
        assert_eq!(comma("12,50"), Ok(1250));
        assert_eq!(point("12.5"), Ok(1250));
        assert_eq!(comma("0,05"), Ok(5));
        assert_eq!(point("-3"), Ok(-300));
        assert_eq!(comma("\u{2212}2"), Ok(-200));
        assert_eq!(point("+7"), Ok(700));
        assert_eq!(point(" 1 "), Ok(100));
        assert_eq!(point(".5"), Ok(50));
        assert_eq!(point("3.00000"), Ok(300));
    }

    #[test]
    fn accepts_thousands_separators_only_where_they_belong() {
        assert_eq!(comma("1.234,56"), Ok(123_456));
        assert_eq!(point("1,234.56"), Ok(123_456));
        assert_eq!(comma("1.234.567"), Ok(123_456_700));
        assert!(comma("12.34.5").is_err());
        assert!(matches!(
            comma("1234.567,1"),
            Err(AmountError::NotANumber(_))
        ));
    }

    #[test]
    fn a_decimal_in_the_other_convention_is_named() {
        let err = comma("12.50").unwrap_err();
        assert!(matches!(err, AmountError::WrongDecimalMark { .. }));
        assert!(err.to_string().contains("decimal point"), "{err}");
        assert!(matches!(
            point("12,5"),
            Err(AmountError::WrongDecimalMark { .. })
        ));
    }

    #[test]
    fn rejects_garbage_precision_and_range() {
        assert_eq!(point(""), Err(AmountError::Empty));
        assert!(matches!(point("abc"), Err(AmountError::NotANumber(_))));
        assert!(matches!(point("€5"), Err(AmountError::NotANumber(_))));
        assert!(matches!(point("-"), Err(AmountError::NotANumber(_))));
        assert!(matches!(point("1.2.3"), Err(AmountError::NotANumber(_))));
        assert!(matches!(point("1.234"), Err(AmountError::TooPrecise(_))));
        assert_eq!(point("10000000000"), Ok(AMOUNT_MINOR_MAX));
        assert!(matches!(
            point("10000000000.01"),
            Err(AmountError::OutOfRange { .. })
        ));
        assert!(matches!(
            point("99999999999999999999999999"),
            Err(AmountError::OutOfRange { .. })
        ));
    }

    #[test]
    fn displays_with_two_decimals() {
        assert_eq!(Amount(1250).to_string(), "12.50");
        assert_eq!(Amount(-5).to_string(), "-0.05");
        assert_eq!(Sum(i64::MIN).to_string(), "-92233720368547758.08");
    }

    /// Every form a person types, on the command line or in the API (`typed`), and
    /// in the web app in Dutch (`nl`) and English (`en`): the amount in hundredths,
    /// or `None` where it is refused.
    #[test]
    fn every_typed_form_reads_as_one_amount_or_is_refused() {
        let nl = |s: &str| {
            Amount::parse_in(s, DecimalMark::Comma)
                .map(Amount::minor)
                .ok()
        };
        let en = |s: &str| {
            Amount::parse_in(s, DecimalMark::Point)
                .map(Amount::minor)
                .ok()
        };
        let typed = |s: &str| Amount::parse_typed(s).map(Amount::minor).ok();
        /// The text, then how the Dutch web app, the English web app, and the
        /// command line and API read it.
        type Row = (&'static str, Option<i64>, Option<i64>, Option<i64>);
        #[rustfmt::skip]
        let table: &[Row] = &[
            // text          Dutch web       English web     CLI and API
            ("1250",         Some(125_000),  Some(125_000),  Some(125_000)),
            ("1.250",        Some(125_000),  Some(125),      None),
            ("1,250",        Some(125),      Some(125_000),  None),
            ("1.250,50",     Some(125_050),  None,           Some(125_050)),
            ("1,250.50",     None,           Some(125_050),  Some(125_050)),
            ("12,50",        Some(1_250),    None,           Some(1_250)),
            ("12.50",        None,           Some(1_250),    Some(1_250)),
            ("12,5",         Some(1_250),    None,           Some(1_250)),
            ("0,05",         Some(5),        None,           Some(5)),
            ("1.234.567",    Some(123_456_700), None,        Some(123_456_700)),
            ("1,234,567",    None,           Some(123_456_700), Some(123_456_700)),
            ("€ 10,00",      Some(1_000),    None,           Some(1_000)),
            ("€10.00",       None,           Some(1_000),    Some(1_000)),
            ("10,00 €",      Some(1_000),    None,           Some(1_000)),
            ("EUR 10",       Some(1_000),    Some(1_000),    Some(1_000)),
            ("10 EUR",       Some(1_000),    Some(1_000),    Some(1_000)),
            ("10,-",         Some(1_000),    Some(1_000),    Some(1_000)),
            ("€ 1.250,-",    Some(125_000),  Some(125_000),  Some(125_000)),
            ("1 250,50",     Some(125_050),  None,           Some(125_050)),
            ("\u{a0}7\u{a0}",  Some(700),      Some(700),      Some(700)),
            ("-5",           Some(-500),     Some(-500),     Some(-500)),
            ("€ -5",         Some(-500),     Some(-500),     Some(-500)),
            ("1.2345",       None,           None,           None),
            ("12.34.5",      None,           None,           None),
            ("€",            None,           None,           None),
            ("tien",         None,           None,           None),
            ("",             None,           None,           None),
        ];
        for (text, dutch, english, anywhere) in table {
            assert_eq!(nl(text), *dutch, "{text:?} in Dutch");
            assert_eq!(en(text), *english, "{text:?} in English");
            assert_eq!(typed(text), *anywhere, "{text:?} typed");
        }
    }

    #[test]
    fn an_ambiguous_amount_names_both_readings() {
        let err = Amount::parse_typed("1.250").unwrap_err();
        assert_eq!(
            err.to_string(),
            "'1.250' could be read two ways: write 1250 or 1.25"
        );
        let err = Amount::parse_typed("1,250").unwrap_err();
        assert_eq!(
            err.to_string(),
            "'1,250' could be read two ways: write 1250 or 1,25"
        );
        let err = Amount::parse_typed("-3.000").unwrap_err();
        assert_eq!(
            err.to_string(),
            "'-3.000' could be read two ways: write -3000 or -3"
        );
        let err = Amount::parse_in("12.50", DecimalMark::Comma).unwrap_err();
        assert!(matches!(err, AmountError::WrongDecimalMark { .. }), "{err}");
        assert!(err.to_string().starts_with("'12.50'"), "{err}");
    }

    #[test]
    fn written_amounts_group_thousands() {
        let amount = Amount::from_minor(123_456_789).unwrap();
        assert_eq!(amount.written(DecimalMark::Comma), "1.234.567,89");
        assert_eq!(amount.written(DecimalMark::Point), "1,234,567.89");
        assert_eq!(
            Amount::from_minor(-5).unwrap().written(DecimalMark::Comma),
            "-0,05"
        );
        assert_eq!(
            Amount::from_minor(100_000)
                .unwrap()
                .written(DecimalMark::Point),
            "1,000.00"
        );
    }

    proptest::proptest! {
        #[test]
        fn written_then_read_is_identity(minor in -AMOUNT_MINOR_MAX..=AMOUNT_MINOR_MAX) {
            let amount = Amount::from_minor(minor).unwrap();
            for mark in [DecimalMark::Comma, DecimalMark::Point] {
                let written = amount.written(mark);
                proptest::prop_assert_eq!(Amount::parse_in(&written, mark), Ok(amount));
                proptest::prop_assert_eq!(Amount::parse_in(&format!("€ {written}"), mark), Ok(amount));
                proptest::prop_assert_eq!(Amount::parse_typed(&written), Ok(amount));
            }
            proptest::prop_assert_eq!(Amount::parse_typed(&amount.to_string()), Ok(amount));
        }

        #[test]
        fn display_then_parse_is_identity(minor in -AMOUNT_MINOR_MAX..=AMOUNT_MINOR_MAX) {
            let amount = Amount::from_minor(minor).unwrap();
            proptest::prop_assert_eq!(Amount::parse(&amount.to_string(), DecimalMark::Point), Ok(amount));
            let dutch = amount.to_string().replace('.', ",");
            proptest::prop_assert_eq!(Amount::parse(&dutch, DecimalMark::Comma), Ok(amount));
        }
    }
}
