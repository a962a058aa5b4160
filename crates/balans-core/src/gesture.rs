//! Gestures: one act of giving (or taking), immutable once recorded.

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use compact_str::CompactString;
use serde::Serialize;
use thiserror::Error;

use crate::amount::Amount;
use crate::kind::{Dimension, KindId};
use crate::party::PartyId;
use crate::time::Moment;

/// The longest gesture id accepted, in bytes.
pub const GESTURE_ID_MAX_BYTES: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GestureIdError {
    #[error("id '{}…' is longer than {GESTURE_ID_MAX_BYTES} bytes", crate::Quoted(.0))]
    TooLong(String),
    #[error("id '{}' contains a space or a control character", crate::Quoted(.0))]
    Invalid(String),
}

impl GestureIdError {
    /// The error as an entry of the message catalog.
    pub fn said(&self) -> crate::said::Said {
        use crate::said::{Code, Said};
        match self {
            GestureIdError::TooLong(_) => Said::new(
                Code::IdTooLong,
                &[("max", &GESTURE_ID_MAX_BYTES.to_string())],
            ),
            GestureIdError::Invalid(text) => Said::new(Code::IdUnusable, &[("text", text)]),
        }
    }
}

/// A gesture's id, chosen by whoever recorded it; it is the idempotency key.
/// Ids of up to 24 bytes are kept inline: an import makes one per row.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct GestureId(CompactString);

impl GestureId {
    /// `None` for an empty text (an absent id), an error for an unusable one.
    pub fn parse(text: &str) -> Result<Option<GestureId>, GestureIdError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.len() > GESTURE_ID_MAX_BYTES {
            return Err(GestureIdError::TooLong(text.chars().take(40).collect()));
        }
        if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(GestureIdError::Invalid(text.escape_debug().to_string()));
        }
        Ok(Some(GestureId(CompactString::from(text))))
    }

    /// An id derived from a gesture's time and content and how many identical
    /// gestures came before it in the same file, so that importing the same file
    /// twice finds the same ids and adds nothing, while two identical rows stay two
    /// gestures. The time leads, so that ids of a file in time order are stored in
    /// order (new ids land together in the store's index).
    pub fn derive(at: Moment, content: &ContentHash, occurrence: u32) -> GestureId {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&content.0);
        hasher.update(&occurrence.to_le_bytes());
        let hash = hasher.finalize();
        let mut id = String::with_capacity(2 + 11 + 20);
        id.push_str("h-");
        push_sortable(&mut id, at);
        for byte in &hash.as_bytes()[..10] {
            push_hex(&mut id, u64::from(*byte), 2);
        }
        GestureId(id.into())
    }

    /// An id for a gesture recorded without one: the moment it was recorded, then
    /// a nonce. Ids recorded later sort later, so new ids land together in the
    /// store's index instead of all over it; within a moment, the ids one process
    /// makes increase too (see `next_nonce`).
    pub fn fresh() -> GestureId {
        GestureId::generated(Moment::now(), next_nonce())
    }

    /// The id [`GestureId::fresh`] makes, for a given moment and nonce.
    pub fn generated(recorded: Moment, nonce: u64) -> GestureId {
        let mut id = String::with_capacity(2 + 11 + 16);
        id.push_str("g-");
        push_sortable(&mut id, recorded);
        push_hex(&mut id, nonce, 16);
        GestureId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GestureId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The nonce of a fresh id: a random half drawn once per process, then a count.
/// The ids one process makes increase, so that each lands at the end of the
/// store's index instead of at a random place among those of the same
/// millisecond. Two processes (two servers on one database) make the same id only
/// if they drew the same random half and count to the same number in the same
/// millisecond: one chance in four billion even then.
fn next_nonce() -> u64 {
    static PROCESS: OnceLock<u64> = OnceLock::new();
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let process = *PROCESS.get_or_init(|| fastrand::u64(..) << 32);
    process | (COUNT.fetch_add(1, Ordering::Relaxed) & 0xffff_ffff)
}

/// A moment as 11 hex digits that sort as the moments do, from 1900 to 2457.
fn push_sortable(id: &mut String, at: Moment) {
    const FROM_1900_MS: i64 = 2_208_988_800_000;
    let offset = at
        .millis()
        .saturating_add(FROM_1900_MS)
        .clamp(0, (1 << 44) - 1);
    push_hex(id, offset as u64, 11);
}

/// The last `digits` hex digits of `value`, in lower case, zero-padded: what
/// `format!("{value:0digits$x}")` writes for a value that fits, without the
/// formatting machinery (every gesture recorded without an id gets one).
fn push_hex(id: &mut String, value: u64, digits: u32) {
    for shift in (0..digits).rev() {
        let nibble = (value >> (shift * 4)) & 0xf;
        id.push(char::from(b"0123456789abcdef"[nibble as usize]));
    }
}

/// A hash of a gesture's content as written, used to derive ids for rows without one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ContentHash([u8; 32]);

impl ContentHash {
    /// Hashes the fields, each length-prefixed so that no two field lists collide.
    pub fn of(fields: &[&str]) -> ContentHash {
        let mut hasher = blake3::Hasher::new();
        for field in fields {
            hasher.update(&(field.len() as u64).to_le_bytes());
            hasher.update(field.as_bytes());
        }
        ContentHash(*hasher.finalize().as_bytes())
    }

    /// The first eight bytes, enough to count repeats within one file.
    pub fn short(&self) -> u64 {
        u64::from_le_bytes(self.0[..8].try_into().expect("eight bytes"))
    }
}

/// A gesture ready to be stored: every reference resolved to the store's ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gesture {
    pub id: GestureId,
    pub at: Moment,
    pub giver: PartyId,
    pub receiver: PartyId,
    /// The organization the giver gave for, when the gesture names one.
    pub giver_org: Option<PartyId>,
    /// The organization the receiver received for, when the gesture names one.
    pub receiver_org: Option<PartyId>,
    pub kind: KindId,
    pub dimension: Dimension,
    pub amount: Amount,
    pub note: Option<String>,
    pub item: Option<String>,
    /// The gesture this one reverses.
    pub reverses: Option<GestureId>,
}

impl Gesture {
    /// Whether `other` records the same act, for an id seen twice. An amount that
    /// was left to the kind's default (`amount_given == false`) matches any stored
    /// amount, so that a changed default does not turn a re-import into a conflict.
    pub fn same_content(&self, other: &Gesture, amount_given: bool) -> bool {
        self.at == other.at
            && self.giver == other.giver
            && self.receiver == other.receiver
            && self.giver_org == other.giver_org
            && self.receiver_org == other.receiver_org
            && self.kind == other.kind
            && (!amount_given || self.amount == other.amount)
            && self.note == other.note
            && self.item == other.item
            && self.reverses == other.reverses
    }
}

/// A gesture as stored, with the store's sequence number and the moment its
/// organization-level attribution is taken at (its own time, or for a reversal the
/// time of the gesture it reverses, so that the two always cancel).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredGesture {
    pub seq: i64,
    pub gesture: Gesture,
    pub attributed_at: Moment,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_ids_differ_and_increase() {
        let ids: Vec<GestureId> = (0..1_000).map(|_| GestureId::fresh()).collect();
        assert!(
            ids.windows(2)
                .all(|pair| pair[0].as_str() < pair[1].as_str()),
            "{:?}",
            ids.windows(2)
                .find(|pair| pair[0].as_str() >= pair[1].as_str())
        );
    }

    #[test]
    fn ids_are_written_as_the_formatting_machinery_would() {
        for (millis, nonce) in [
            (0, 0),
            (1_700_000_000_000, u64::MAX),
            (-2_208_988_800_000, 0x0123_4567_89ab_cdef),
            (i64::MAX, 1),
            (i64::MIN, 0xf0),
        ] {
            let at = Moment::from_millis(millis);
            let offset = millis
                .saturating_add(2_208_988_800_000)
                .clamp(0, (1 << 44) - 1);
            assert_eq!(
                GestureId::generated(at, nonce).as_str(),
                format!("g-{offset:011x}{nonce:016x}")
            );
            // A derived id must stay what earlier versions derived: re-importing a
            // file finds its gestures by these ids.
            let mut hasher = blake3::Hasher::new();
            hasher.update(&[7; 32]);
            hasher.update(&3u32.to_le_bytes());
            let hash: String = hasher.finalize().as_bytes()[..10]
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect();
            assert_eq!(
                GestureId::derive(at, &ContentHash([7; 32]), 3).as_str(),
                format!("h-{offset:011x}{hash}")
            );
        }
    }

    #[test]
    fn ids() {
        assert_eq!(GestureId::parse("  ").unwrap(), None);
        assert_eq!(
            GestureId::parse(" inv-2024-001 ")
                .unwrap()
                .unwrap()
                .as_str(),
            "inv-2024-001"
        );
        assert!(GestureId::parse("a b").is_err());
        assert!(GestureId::parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn derived_ids_depend_on_content_and_occurrence() {
        let a = ContentHash::of(&["2024-01-01", "anna", "bob", "thanks"]);
        let b = ContentHash::of(&["2024-01-01", "anna", "bobthanks", ""]);
        assert_ne!(a, b);
        let at = Moment::from_millis(1_700_000_000_000);
        assert_eq!(GestureId::derive(at, &a, 0), GestureId::derive(at, &a, 0));
        assert_ne!(GestureId::derive(at, &a, 0), GestureId::derive(at, &a, 1));
        assert_ne!(GestureId::derive(at, &a, 0), GestureId::derive(at, &b, 0));
        assert!(
            GestureId::parse(GestureId::derive(at, &a, 0).as_str())
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn ids_sort_by_time() {
        let content = ContentHash::of(&["x"]);
        let moments = [
            -2_208_988_800_000,
            -1,
            0,
            1_700_000_000_000,
            1_700_000_000_001,
            7_000_000_000_000,
        ];
        let derived: Vec<GestureId> = moments
            .iter()
            .map(|&ms| GestureId::derive(Moment::from_millis(ms), &content, 9))
            .collect();
        assert!(derived.windows(2).all(|w| w[0] < w[1]), "{derived:?}");
        let generated: Vec<GestureId> = moments
            .iter()
            .map(|&ms| GestureId::generated(Moment::from_millis(ms), u64::MAX))
            .collect();
        assert!(generated.windows(2).all(|w| w[0] < w[1]), "{generated:?}");
        assert!(
            GestureId::generated(Moment::from_millis(5), u64::MAX)
                < GestureId::generated(Moment::from_millis(6), 0)
        );
    }
}
