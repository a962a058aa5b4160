//! Exact fixed-point amounts: hundredths of a currency unit or of a credit point.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};
use thiserror::Error;

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
    #[error("'{0}' is not a number")]
    NotANumber(String),
    #[error("'{0}' has more than two decimals")]
    TooPrecise(String),
    #[error("'{text}' is out of range: at most {max} in magnitude")]
    OutOfRange { text: String, max: Amount },
    #[error("'{text}' uses a decimal {found} where a decimal {expected} is expected")]
    WrongDecimalMark {
        text: String,
        found: &'static str,
        expected: &'static str,
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

    proptest::proptest! {
        #[test]
        fn display_then_parse_is_identity(minor in -AMOUNT_MINOR_MAX..=AMOUNT_MINOR_MAX) {
            let amount = Amount::from_minor(minor).unwrap();
            proptest::prop_assert_eq!(Amount::parse(&amount.to_string(), DecimalMark::Point), Ok(amount));
            let dutch = amount.to_string().replace('.', ",");
            proptest::prop_assert_eq!(Amount::parse(&dutch, DecimalMark::Comma), Ok(amount));
        }
    }
}
