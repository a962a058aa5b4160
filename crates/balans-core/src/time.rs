//! Moments in time: parsing what people and spreadsheets write, in the store's time zone.

use std::fmt;

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use thiserror::Error;

/// The time zone a store uses when none is configured.
pub const DEFAULT_TIME_ZONE: &str = "Europe/Amsterdam";

/// A moment, in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Moment(i64);

impl serde::Serialize for Moment {
    /// As RFC 3339 in UTC: `2024-03-14T23:00:00Z`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TimeError {
    #[error("empty date")]
    Empty,
    #[error(
        "'{0}' is not a date: use YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][+01:00] or DD-MM-YYYY [HH:MM]"
    )]
    Unreadable(String),
    #[error("'{0}' is not a real date or time")]
    Invalid(String),
    #[error("'{0}' is outside the years 1900 to 2199")]
    OutOfRange(String),
    #[error("unknown time zone '{0}': use an IANA name such as Europe/Amsterdam")]
    UnknownZone(String),
}

impl Moment {
    pub fn from_millis(ms: i64) -> Moment {
        Moment(ms)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    /// Now, as the system clock tells it.
    pub fn now() -> Moment {
        Moment(Timestamp::now().as_millisecond())
    }

    fn timestamp(self) -> Timestamp {
        Timestamp::from_millisecond(self.0).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// Writes the moment for a file: a plain date when it is midnight in the zone,
    /// otherwise date, time and offset (`2024-03-15T10:23:00+01:00`).
    pub fn display_in(self, zone: &Zone) -> String {
        let zoned = self.timestamp().to_zoned(zone.0.clone());
        if zoned.time() == Time::midnight() {
            zoned.date().to_string()
        } else if zoned.millisecond() == 0 {
            zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
        } else {
            zoned.strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
        }
    }

    /// A short human form: the date, or date and minutes.
    pub fn short_in(self, zone: &Zone) -> String {
        let zoned = self.timestamp().to_zoned(zone.0.clone());
        if zoned.time() == Time::midnight() {
            zoned.date().to_string()
        } else {
            zoned.strftime("%Y-%m-%d %H:%M").to_string()
        }
    }
}

impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.timestamp())
    }
}

/// The store's time zone: where a date without a time means midnight.
#[derive(Clone, Debug)]
pub struct Zone(TimeZone);

impl Zone {
    pub fn named(name: &str) -> Result<Zone, TimeError> {
        jiff::tz::db()
            .get(name)
            .map(Zone)
            .map_err(|_| TimeError::UnknownZone(name.to_string()))
    }

    pub fn utc() -> Zone {
        Zone(TimeZone::UTC)
    }

    pub fn name(&self) -> &str {
        self.0.iana_name().unwrap_or("UTC")
    }

    /// Parses `2024-03-15`, `2024-03-15T10:23[:00[.123]]` (also with a space),
    /// either with `Z` or an offset, and the Dutch spreadsheet forms `15-3-2024`
    /// and `15-03-2024 10:23[:00]`. Without an offset the time is local to the zone.
    pub fn parse(&self, text: &str) -> Result<Moment, TimeError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(TimeError::Empty);
        }
        let unreadable = || TimeError::Unreadable(text.to_string());
        let bytes = text.as_bytes();
        let iso = bytes.len() >= 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes[..4].iter().all(u8::is_ascii_digit);
        let (date, time, rest) = if iso {
            let date = parse_ymd(&text[..4], &text[5..7], &text[8..10]).ok_or_else(unreadable)?;
            split_time(&text[10..])
                .ok_or_else(unreadable)?
                .with_date(date)
        } else {
            // Dutch spreadsheet form: D-M-YYYY, optionally followed by a space and a time.
            let (date_part, after) = match text.find([' ', 'T']) {
                Some(i) => (&text[..i], &text[i..]),
                None => (text, ""),
            };
            let mut parts = date_part.split('-');
            let (Some(day), Some(month), Some(year), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(unreadable());
            };
            if day.is_empty()
                || day.len() > 2
                || month.is_empty()
                || month.len() > 2
                || year.len() != 4
            {
                return Err(unreadable());
            }
            let date = parse_ymd(year, month, day).ok_or_else(unreadable)?;
            split_time(after).ok_or_else(unreadable)?.with_date(date)
        };
        let date = date.map_err(|()| TimeError::Invalid(text.to_string()))?;
        if !(1900..2200).contains(&date.year()) {
            return Err(TimeError::OutOfRange(text.to_string()));
        }
        let time = time.map_err(|()| TimeError::Invalid(text.to_string()))?;
        let civil = DateTime::from_parts(date, time);
        let timestamp = match rest {
            Offset::Local => civil
                .to_zoned(self.0.clone())
                .map_err(|_| TimeError::Invalid(text.to_string()))?
                .timestamp(),
            Offset::Fixed(seconds) => {
                let offset = jiff::tz::Offset::from_seconds(seconds).map_err(|_| unreadable())?;
                offset
                    .to_timestamp(civil)
                    .map_err(|_| TimeError::Invalid(text.to_string()))?
            }
        };
        Ok(Moment(timestamp.as_millisecond()))
    }

    /// The month that holds `moment` in this zone, counted from year 0: `year * 12
    /// + month - 1`.
    pub fn month_of(&self, moment: Moment) -> i32 {
        let offset = self.0.to_offset(moment.timestamp());
        let date = moment.timestamp().to_zoned(TimeZone::fixed(offset)).date();
        i32::from(date.year()) * 12 + i32::from(date.month()) - 1
    }

    /// The first moment of a month counted as [`Zone::month_of`] counts it.
    pub fn month_start(&self, month: i32) -> Moment {
        let (year, month) = (month.div_euclid(12), month.rem_euclid(12) + 1);
        jiff::civil::Date::new(year as i16, month as i8, 1)
            .ok()
            .and_then(|d| d.to_zoned(self.0.clone()).ok())
            .map_or(Moment(0), |z| Moment(z.timestamp().as_millisecond()))
    }

    /// Midnight at the start of the day that holds `moment`, in this zone.
    pub fn start_of_day(&self, moment: Moment) -> Moment {
        let zoned: Zoned = moment.timestamp().to_zoned(self.0.clone());
        zoned
            .start_of_day()
            .map(|z| Moment(z.timestamp().as_millisecond()))
            .unwrap_or(moment)
    }
}

enum Offset {
    Local,
    Fixed(i32),
}

struct TimeParts {
    time: Result<Time, ()>,
    offset: Offset,
}

impl TimeParts {
    fn with_date(self, date: Result<Date, ()>) -> (Result<Date, ()>, Result<Time, ()>, Offset) {
        (date, self.time, self.offset)
    }
}

fn number(text: &str) -> Option<i32> {
    if text.is_empty() || text.len() > 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `Ok(Err(()))` marks a well-formed but impossible date such as 2023-02-30.
fn parse_ymd(year: &str, month: &str, day: &str) -> Option<Result<Date, ()>> {
    let (year, month, day) = (number(year)?, number(month)?, number(day)?);
    let valid = i16::try_from(year)
        .ok()
        .zip(i8::try_from(month).ok())
        .zip(i8::try_from(day).ok());
    Some(
        valid
            .and_then(|((y, m), d)| Date::new(y, m, d).ok())
            .ok_or(()),
    )
}

/// Reads what follows a date: nothing, or `T`/space, `HH:MM[:SS[.fff]]`, then
/// nothing, `Z` or `±HH:MM`.
fn split_time(text: &str) -> Option<TimeParts> {
    if text.is_empty() {
        return Some(TimeParts {
            time: Ok(Time::midnight()),
            offset: Offset::Local,
        });
    }
    let text = text.strip_prefix(['T', ' '])?.trim_start();
    let offset_at = text.find(['Z', 'z', '+']).or_else(|| text.rfind('-'));
    let (clock, offset) = match offset_at {
        Some(i) => (&text[..i], parse_offset(&text[i..])?),
        None => (text, Offset::Local),
    };
    let (clock, millis) = match clock.split_once('.') {
        Some((clock, fraction)) => {
            if fraction.is_empty()
                || fraction.len() > 9
                || !fraction.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            let padded = format!("{fraction:0<3}");
            (clock, padded[..3].parse::<i32>().ok()?)
        }
        None => (clock, 0),
    };
    let mut fields = clock.split(':');
    let hour = number(fields.next()?)?;
    let minute = number(fields.next()?)?;
    let second = match fields.next() {
        Some(s) => number(s)?,
        None => 0,
    };
    if fields.next().is_some() {
        return None;
    }
    let time = match (
        i8::try_from(hour),
        i8::try_from(minute),
        i8::try_from(second),
    ) {
        (Ok(h), Ok(m), Ok(s)) => Time::new(h, m, s, millis * 1_000_000).map_err(|_| ()),
        _ => Err(()),
    };
    Some(TimeParts { time, offset })
}

fn parse_offset(text: &str) -> Option<Offset> {
    if text.eq_ignore_ascii_case("z") {
        return Some(Offset::Fixed(0));
    }
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = &text[1..];
    let (hours, minutes) = match body.split_once(':') {
        Some((h, m)) => (h, m),
        None if body.len() == 4 => body.split_at(2),
        None if body.len() == 2 => (body, "00"),
        None => return None,
    };
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let (hours, minutes) = (number(hours)?, number(minutes)?);
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(Offset::Fixed(sign * (hours * 3600 + minutes * 60)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amsterdam() -> Zone {
        Zone::named("Europe/Amsterdam").unwrap()
    }

    fn utc_ms(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn a_date_means_local_midnight() {
        let zone = amsterdam();
        assert_eq!(
            zone.parse("2024-03-15").unwrap().millis(),
            utc_ms("2024-03-14T23:00:00Z")
        );
        assert_eq!(
            zone.parse("2024-07-01").unwrap().millis(),
            utc_ms("2024-06-30T22:00:00Z")
        );
        assert_eq!(
            Zone::utc().parse("2024-03-15").unwrap().millis(),
            utc_ms("2024-03-15T00:00:00Z")
        );
    }

    #[test]
    fn date_times_with_and_without_offsets() {
        let zone = amsterdam();
        let expected = utc_ms("2024-03-15T09:23:00Z");
        for text in [
            "2024-03-15T10:23",
            "2024-03-15T10:23:00",
            "2024-03-15 10:23:00",
            "2024-03-15T09:23:00Z",
            "2024-03-15T10:23:00+01:00",
            "2024-03-15T04:23:00-05:00",
            "2024-03-15T10:23:00+0100",
            "15-03-2024 10:23",
            "15-3-2024 10:23:00",
        ] {
            assert_eq!(zone.parse(text).unwrap().millis(), expected, "{text}");
        }
        assert_eq!(
            zone.parse("2024-03-15T09:23:00.125Z").unwrap().millis(),
            expected + 125
        );
        assert_eq!(
            zone.parse("1-2-2024").unwrap(),
            zone.parse("2024-02-01").unwrap()
        );
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        let zone = amsterdam();
        for text in [
            "yesterday",
            "2024/03/15",
            "03/15/2024",
            "2024-3-15",
            "2024-03-15T25",
            "20240315",
            "15-03-24",
        ] {
            assert!(
                matches!(zone.parse(text), Err(TimeError::Unreadable(_))),
                "{text}: {:?}",
                zone.parse(text)
            );
        }
        assert!(matches!(
            zone.parse("2023-02-30"),
            Err(TimeError::Invalid(_))
        ));
        assert!(matches!(
            zone.parse("2024-03-15T24:00"),
            Err(TimeError::Invalid(_))
        ));
        assert!(matches!(
            zone.parse("1850-01-01"),
            Err(TimeError::OutOfRange(_))
        ));
        assert_eq!(zone.parse("  "), Err(TimeError::Empty));
        assert!(matches!(
            Zone::named("Mars/Olympus"),
            Err(TimeError::UnknownZone(_))
        ));
    }

    #[test]
    fn display_round_trips() {
        let zone = amsterdam();
        for text in [
            "2024-03-15",
            "2024-03-15T10:23:00+01:00",
            "2024-07-15T10:23:00.250+02:00",
        ] {
            let moment = zone.parse(text).unwrap();
            assert_eq!(moment.display_in(&zone), text);
            assert_eq!(zone.parse(&moment.display_in(&zone)).unwrap(), moment);
        }
    }
}
