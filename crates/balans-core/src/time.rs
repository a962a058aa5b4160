//! Moments in time: parsing what people and spreadsheets write, in the store's time zone.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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
        "'{}' is not a date: use YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][+01:00] or DD-MM-YYYY [HH:MM]",
        crate::Quoted(.0)
    )]
    Unreadable(String),
    #[error("'{}' is not a real date or time", crate::Quoted(.0))]
    Invalid(String),
    #[error("'{}' is outside the years 1900 to 2199", crate::Quoted(.0))]
    OutOfRange(String),
    #[error("unknown time zone '{}': use an IANA name such as Europe/Amsterdam", crate::Quoted(.0))]
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
        let zoned = self.timestamp().to_zoned(zone.tz.clone());
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
        let zoned = self.timestamp().to_zoned(zone.tz.clone());
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
///
/// A file's rows mostly fall on days without a change of offset, so the zone
/// remembers the offset of such days as it meets them (for local days when it
/// reads a time, for UTC days when it names a month) and converts those rows by
/// arithmetic. Clones share what was remembered.
#[derive(Clone, Debug)]
pub struct Zone {
    tz: TimeZone,
    local_days: Arc<DayOffsets>,
    utc_days: Arc<DayOffsets>,
}

impl Zone {
    fn of(tz: TimeZone) -> Zone {
        Zone {
            tz,
            local_days: Arc::default(),
            utc_days: Arc::default(),
        }
    }

    pub fn named(name: &str) -> Result<Zone, TimeError> {
        jiff::tz::db()
            .get(name)
            .map(Zone::of)
            .map_err(|_| TimeError::UnknownZone(name.to_string()))
    }

    pub fn utc() -> Zone {
        Zone::of(TimeZone::UTC)
    }

    pub fn name(&self) -> &str {
        self.tz.iana_name().unwrap_or("UTC")
    }

    /// The offset in seconds that holds for all of the day starting at `start`
    /// and lasting 24 hours, if no transition falls inside it.
    fn steady_offset(&self, start: Timestamp) -> Option<i32> {
        let end = start.as_second().checked_add(SECONDS_PER_DAY)?;
        let steady = self
            .tz
            .following(start)
            .next()
            .is_none_or(|t| t.timestamp().as_second() >= end);
        steady.then(|| self.tz.to_offset(start).seconds())
    }

    /// The offset that holds for all of local `date` (day number `day`), if one
    /// does: remembered, or found and then remembered.
    fn local_day_offset(&self, date: Date, day: i64) -> Option<i32> {
        if let Some(offset) = self.local_days.get(day) {
            return Some(offset);
        }
        let midnight = date.to_datetime(Time::midnight());
        let jiff::tz::AmbiguousOffset::Unambiguous { offset } =
            self.tz.to_ambiguous_timestamp(midnight).offset()
        else {
            return None;
        };
        let offset = self.steady_offset(offset.to_timestamp(midnight).ok()?)?;
        self.local_days.put(day, offset);
        Some(offset)
    }

    /// The instant of local `date` and `time`: by arithmetic on a day without a
    /// transition, otherwise (a gap is skipped forward, a repeated hour takes
    /// its first) by the zone's rules.
    fn local_timestamp(&self, date: Date, time: Time) -> Result<Timestamp, ()> {
        let day = days_from_civil(date);
        match self.local_day_offset(date, day) {
            Some(offset) => {
                let seconds = day * SECONDS_PER_DAY + seconds_of_day(time) - i64::from(offset);
                Timestamp::new(seconds, time.subsec_nanosecond()).map_err(|_| ())
            }
            None => self
                .tz
                .to_timestamp(DateTime::from_parts(date, time))
                .map_err(|_| ()),
        }
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
        let timestamp = match rest {
            Offset::Local => self
                .local_timestamp(date, time)
                .map_err(|()| TimeError::Invalid(text.to_string()))?,
            Offset::Fixed(seconds) => {
                let offset = jiff::tz::Offset::from_seconds(seconds).map_err(|_| unreadable())?;
                offset
                    .to_timestamp(DateTime::from_parts(date, time))
                    .map_err(|_| TimeError::Invalid(text.to_string()))?
            }
        };
        Ok(Moment(timestamp.as_millisecond()))
    }

    /// The month that holds `moment` in this zone, counted from year 0: `year * 12
    /// + month - 1`.
    pub fn month_of(&self, moment: Moment) -> i32 {
        let day = moment.0.div_euclid(MILLIS_PER_DAY);
        let steady = self.utc_days.get(day).or_else(|| {
            let offset = self.steady_offset(Timestamp::from_second(day * SECONDS_PER_DAY).ok()?)?;
            self.utc_days.put(day, offset);
            Some(offset)
        });
        let offset = steady.unwrap_or_else(|| self.tz.to_offset(moment.timestamp()).seconds());
        let local_day = (moment.0 + i64::from(offset) * 1000).div_euclid(MILLIS_PER_DAY);
        let (year, month) = year_month_from_days(local_day);
        year * 12 + month - 1
    }

    /// The first moment of a month counted as [`Zone::month_of`] counts it.
    pub fn month_start(&self, month: i32) -> Moment {
        let (year, month) = (month.div_euclid(12), month.rem_euclid(12) + 1);
        jiff::civil::Date::new(year as i16, month as i8, 1)
            .ok()
            .and_then(|d| d.to_zoned(self.tz.clone()).ok())
            .map_or(Moment(0), |z| Moment(z.timestamp().as_millisecond()))
    }

    /// As [`Zone::parse`], for a moment a person types rather than a file holds:
    /// also `now`/`nu`, and `today`/`vandaag`, `yesterday`/`gisteren` and
    /// `eergisteren` (the day before yesterday) relative to `now`, alone (that
    /// day, as its date would be) or followed by a time (`gisteren 14:30`).
    pub fn parse_typed(&self, text: &str, now: Moment) -> Result<Moment, TimeError> {
        let trimmed = text.trim();
        let (word, time) = match trimmed.split_once(char::is_whitespace) {
            Some((word, time)) => (word, time.trim()),
            None => (trimmed, ""),
        };
        let days_back = match word.to_lowercase().as_str() {
            "now" | "nu" if time.is_empty() => return Ok(now),
            "today" | "vandaag" => 0,
            "yesterday" | "gisteren" => 1,
            "eergisteren" => 2,
            _ => return self.parse(text),
        };
        let day = now
            .timestamp()
            .to_zoned(self.tz.clone())
            .date()
            .checked_sub(jiff::Span::new().days(days_back))
            .map_err(|_| TimeError::Unreadable(trimmed.to_string()))?;
        if time.is_empty() {
            self.parse(&day.to_string())
        } else {
            self.parse(&format!("{day}T{time}"))
                .map_err(|_| TimeError::Unreadable(trimmed.to_string()))
        }
    }

    /// Midnight at the start of the day that holds `moment`, in this zone.
    pub fn start_of_day(&self, moment: Moment) -> Moment {
        let zoned: Zoned = moment.timestamp().to_zoned(self.tz.clone());
        zoned
            .start_of_day()
            .map(|z| Moment(z.timestamp().as_millisecond()))
            .unwrap_or(moment)
    }
}

const SECONDS_PER_DAY: i64 = 86_400;
const MILLIS_PER_DAY: i64 = SECONDS_PER_DAY * 1000;

/// Offsets remembered by day number, in a fixed table where a later day may
/// take an earlier one's place. Each slot is one atomic word, so threads share
/// the table without a lock; a slot only ever holds a correct answer.
struct DayOffsets(Box<[AtomicU64]>);

impl DayOffsets {
    const SLOTS: usize = 4096;
    /// Days from 1970 are stored shifted by this much, so that they are positive.
    const BIAS: i64 = 1 << 30;
    const FILLED: u64 = 1 << 63;

    fn get(&self, day: i64) -> Option<i32> {
        let word = self.0[day.rem_euclid(Self::SLOTS as i64) as usize].load(Ordering::Relaxed);
        let stored = (word & !Self::FILLED) >> 32;
        (word & Self::FILLED != 0 && i64::try_from(stored).ok()? == day + Self::BIAS)
            .then_some(word as u32 as i32)
    }

    fn put(&self, day: i64, offset: i32) {
        let Ok(key) = u64::try_from(day + Self::BIAS) else {
            return;
        };
        if key >= 1 << 31 {
            return;
        }
        let word = Self::FILLED | key << 32 | u64::from(offset as u32);
        self.0[day.rem_euclid(Self::SLOTS as i64) as usize].store(word, Ordering::Relaxed);
    }
}

impl Default for DayOffsets {
    fn default() -> DayOffsets {
        DayOffsets((0..Self::SLOTS).map(|_| AtomicU64::new(0)).collect())
    }
}

impl fmt::Debug for DayOffsets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DayOffsets")
    }
}

/// Days from 1970-01-01 to `date` (negative before it), in the proleptic
/// Gregorian calendar: the civil-from-days algorithm of Howard Hinnant, reversed.
fn days_from_civil(date: Date) -> i64 {
    let (month, day) = (i64::from(date.month()), i64::from(date.day()));
    let year = i64::from(date.year()) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The year and month (1–12) of the day `days` after 1970-01-01.
fn year_month_from_days(days: i64) -> (i32, i32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year as i32, month as i32)
}

fn seconds_of_day(time: Time) -> i64 {
    i64::from(time.hour()) * 3600 + i64::from(time.minute()) * 60 + i64::from(time.second())
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
    digits(text.as_bytes())
}

/// One to four ASCII digits, read by hand: `str::parse` weighed on reading a
/// large file, six times per gesture.
fn digits(bytes: &[u8]) -> Option<i32> {
    if bytes.is_empty() || bytes.len() > 4 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        bytes
            .iter()
            .fold(0, |n, &digit| n * 10 + i32::from(digit - b'0')),
    )
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
    // Bytes, not chars: the markers are ASCII, and a search for a set of chars
    // was a visible part of reading a large file.
    let bytes = text.as_bytes();
    let offset_at = bytes
        .iter()
        .position(|b| matches!(b, b'Z' | b'z' | b'+'))
        .or_else(|| bytes.iter().rposition(|&b| b == b'-'));
    let (clock, offset) = match offset_at {
        Some(i) => (&text[..i], parse_offset(&text[i..])?),
        None => (text, Offset::Local),
    };
    let (clock, millis) = match clock.bytes().position(|b| b == b'.') {
        Some(dot) => {
            let (clock, fraction) = (&clock[..dot], &clock[dot + 1..]);
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
    // Split on a byte: a search for a char was a visible part of reading a file.
    let mut fields = clock.as_bytes().split(|&b| b == b':');
    let hour = digits(fields.next()?)?;
    let minute = digits(fields.next()?)?;
    let second = match fields.next() {
        Some(s) => digits(s)?,
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

    /// Words a person types for a day, in Dutch and English, relative to now,
    /// in the zone's days: just after midnight in Amsterdam it is still the
    /// evening before in UTC.
    #[test]
    fn typed_days_are_read_relative_to_now_in_either_language() {
        let zone = amsterdam();
        let now = Moment::from_millis(utc_ms("2026-03-02T23:30:00Z")); // 00:30 on 3 March there
        let at = |text: &str| zone.parse_typed(text, now).map(|m| m.millis());
        assert_eq!(at("nu"), Ok(now.millis()));
        assert_eq!(at("Now"), Ok(now.millis()));
        assert_eq!(at("vandaag"), Ok(utc_ms("2026-03-02T23:00:00Z")));
        assert_eq!(at("today"), at("vandaag"));
        assert_eq!(at("gisteren"), Ok(utc_ms("2026-03-01T23:00:00Z")));
        assert_eq!(at("Yesterday"), at("gisteren"));
        assert_eq!(at("eergisteren"), Ok(utc_ms("2026-02-28T23:00:00Z")));
        assert_eq!(at("gisteren 14:30"), Ok(utc_ms("2026-03-02T13:30:00Z")));
        assert_eq!(
            at("2026-01-05"),
            zone.parse("2026-01-05").map(|m| m.millis())
        );
        assert_eq!(
            at("5-1-2026 10:00"),
            zone.parse("5-1-2026 10:00").map(|m| m.millis())
        );
        assert!(at("gisteren laat").is_err());
        assert!(at("morgen").is_err());
        assert!(at("").is_err());
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
            "2024-03-15T10:2x",
            "2024-03-15T10:23:00:00",
            "2024-03-15T10:23:00.",
            "2024-03-15T10:+3",
            "2024-03-15T10:00023",
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
    fn day_numbers_follow_the_calendar() {
        let mut date = Date::new(1900, 1, 1).unwrap();
        let mut day = -25_567;
        while date.year() < 2200 {
            assert_eq!(days_from_civil(date), day, "{date}");
            assert_eq!(
                year_month_from_days(day),
                (i32::from(date.year()), i32::from(date.month())),
                "{date}"
            );
            date = date.tomorrow().unwrap();
            day += 1;
        }
    }

    /// Zones with summer time at 02:00 or 03:00, with a change of half an hour,
    /// with changes at midnight, and with none.
    const ZONES: [&str; 6] = [
        "Europe/Amsterdam",
        "America/New_York",
        "Australia/Lord_Howe",
        "America/Santiago",
        "Asia/Tehran",
        "Asia/Kolkata",
    ];

    /// Every quarter of an hour over years with changes of offset, read twice
    /// (the second time from the remembered days), against the zone's own rules;
    /// also in made-up zones that change in the first and the last half hour of
    /// a day.
    #[test]
    fn local_times_and_months_agree_with_the_zone_rules() {
        let made_up = [
            "XST-1XDT,M3.5.0/0:30,M10.5.0/0:30",
            "XST-1XDT,M3.5.0/23:30,M10.5.0/23:30",
        ];
        let zones = ZONES
            .iter()
            .map(|name| (*name, Zone::named(name).unwrap()))
            .chain(
                made_up
                    .iter()
                    .map(|rule| (*rule, Zone::of(TimeZone::posix(rule).unwrap()))),
            );
        for (name, zone) in zones {
            for _ in 0..2 {
                let mut date = Date::new(2021, 1, 1).unwrap();
                while date.year() < 2024 {
                    for quarter in 0..96 {
                        let time = Time::new(quarter / 4, (quarter % 4) * 15, 0, 0).unwrap();
                        let expected = DateTime::from_parts(date, time)
                            .to_zoned(zone.tz.clone())
                            .unwrap()
                            .timestamp();
                        assert_eq!(
                            zone.local_timestamp(date, time),
                            Ok(expected),
                            "{name} {date} {time}"
                        );
                        let moment = Moment(
                            Timestamp::from_second(
                                days_from_civil(date) * SECONDS_PER_DAY + i64::from(quarter) * 900,
                            )
                            .unwrap()
                            .as_millisecond(),
                        );
                        let local = moment.timestamp().to_zoned(zone.tz.clone());
                        assert_eq!(
                            zone.month_of(moment),
                            i32::from(local.year()) * 12 + i32::from(local.month()) - 1,
                            "{name} {moment}"
                        );
                    }
                    date = date.tomorrow().unwrap();
                }
            }
        }
    }

    proptest::proptest! {
        /// Any moment of the years a gesture may have, in any of the zones above.
        #[test]
        fn any_local_time_agrees_with_the_zone_rules(
            zone in 0..ZONES.len(),
            day in -25_567i64..84_000,
            second in 0i64..86_400,
            millis in 0i32..1000,
        ) {
            let zone = Zone::named(ZONES[zone]).unwrap();
            let date = Date::new(1970, 1, 1)
                .unwrap()
                .checked_add(jiff::Span::new().days(day))
                .unwrap();
            let (hour, minute) = ((second / 3600) as i8, (second / 60 % 60) as i8);
            let time = Time::new(hour, minute, (second % 60) as i8, millis * 1_000_000).unwrap();
            let expected = DateTime::from_parts(date, time)
                .to_zoned(zone.tz.clone())
                .unwrap()
                .timestamp();
            for _ in 0..2 {
                proptest::prop_assert_eq!(zone.local_timestamp(date, time), Ok(expected));
            }
            let moment = Moment(day * MILLIS_PER_DAY + second * 1000 + i64::from(millis));
            let local = moment.timestamp().to_zoned(zone.tz.clone());
            for _ in 0..2 {
                proptest::prop_assert_eq!(
                    zone.month_of(moment),
                    i32::from(local.year()) * 12 + i32::from(local.month()) - 1
                );
            }
        }
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
