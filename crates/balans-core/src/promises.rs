//! Promises (`docs/promises.md`): pending gestures with a due moment, kept,
//! renegotiated, released, or broken (by hand, or by themselves when they fall
//! due), each resolved exactly once.

use std::fmt;

use serde::Serialize;

use crate::{Amount, GestureId, GestureIdError, KindId, Moment, PartyId};

/// The longest promise id: the id of the gesture that resolves it adds
/// `.broken` to it and stays within a gesture id's 128 bytes.
pub const PROMISE_ID_MAX_BYTES: usize = 120;

/// A promise's id, chosen by whoever made it (or made by Balans); the
/// idempotency key of adding it, and the stem of the id of the gesture that
/// resolves it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct PromiseId(String);

impl PromiseId {
    /// `None` for an empty text (an absent id), an error for an unusable one:
    /// the rules of a gesture id, at most [`PROMISE_ID_MAX_BYTES`].
    pub fn parse(text: &str) -> Result<Option<PromiseId>, GestureIdError> {
        let text = text.trim();
        if text.len() > PROMISE_ID_MAX_BYTES {
            return Err(GestureIdError::TooLong(text.chars().take(40).collect()));
        }
        Ok(GestureId::parse(text)?.map(|id| PromiseId(id.as_str().to_string())))
    }

    /// An id for a promise made without one: `pr-`, then what a fresh gesture
    /// id holds (the moment, then a nonce), so that later ids sort later.
    pub fn fresh() -> PromiseId {
        let gesture = GestureId::fresh();
        let rest = gesture
            .as_str()
            .strip_prefix("g-")
            .unwrap_or(gesture.as_str());
        PromiseId(format!("pr-{rest}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id of the gesture that keeps it.
    pub fn kept_gesture(&self) -> GestureId {
        self.derived("kept")
    }

    /// The id of the `broken_promise` gesture that breaks it.
    pub fn broken_gesture(&self) -> GestureId {
        self.derived("broken")
    }

    fn derived(&self, suffix: &str) -> GestureId {
        GestureId::parse(&format!("{}.{suffix}", self.0))
            .ok()
            .flatten()
            .expect("a promise id with a suffix is a gesture id")
    }
}

impl fmt::Display for PromiseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a promise stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PromiseState {
    Open,
    Renegotiated,
    Kept,
    Broken,
    Released,
}

impl PromiseState {
    pub const ALL: [PromiseState; 5] = [
        PromiseState::Open,
        PromiseState::Renegotiated,
        PromiseState::Kept,
        PromiseState::Broken,
        PromiseState::Released,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PromiseState::Open => "open",
            PromiseState::Renegotiated => "renegotiated",
            PromiseState::Kept => "kept",
            PromiseState::Broken => "broken",
            PromiseState::Released => "released",
        }
    }

    pub fn parse(text: &str) -> Option<PromiseState> {
        PromiseState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Open or renegotiated: not resolved yet.
    pub fn pending(self) -> bool {
        matches!(self, PromiseState::Open | PromiseState::Renegotiated)
    }

    /// Kept or broken: resolved with a gesture.
    pub fn has_gesture(self) -> bool {
        matches!(self, PromiseState::Kept | PromiseState::Broken)
    }
}

impl fmt::Display for PromiseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A promise as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Promise {
    /// The store's number for it.
    pub row: i64,
    pub id: PromiseId,
    pub promiser: PartyId,
    pub promisee: PartyId,
    pub promiser_org: Option<PartyId>,
    pub promisee_org: Option<PartyId>,
    pub kind: KindId,
    pub amount: Amount,
    pub made: Moment,
    /// The due moment agreed last.
    pub due: Moment,
    pub note: Option<String>,
    pub state: PromiseState,
    /// When it was kept, broken or released.
    pub resolved_at: Option<Moment>,
    /// Why it was released, or the note of a break by hand.
    pub reason: Option<String>,
    /// The gesture that kept or broke it.
    pub gesture: Option<GestureId>,
    /// What keeping it gave (at most `amount`).
    pub kept: Option<Amount>,
}

impl Promise {
    /// Kept for less than was promised.
    pub fn kept_in_part(&self) -> bool {
        self.state == PromiseState::Kept && self.kept.is_some_and(|k| k < self.amount)
    }

    /// How much of it was kept, as a fraction of what was promised: 1 for a
    /// promise of nothing kept, none when it is not kept or broken.
    pub fn kept_share(&self) -> Option<f64> {
        kept_share(self.state, self.amount, self.kept)
    }
}

/// One due moment a promise had, and when it was agreed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Due {
    pub due: Moment,
    pub agreed: Moment,
}

/// What a promise in `state`, of `amount`, kept for `kept`, counts in a kept
/// rate: its share kept (a promise of nothing kept counts whole), 0 broken,
/// none otherwise.
pub fn kept_share(state: PromiseState, amount: Amount, kept: Option<Amount>) -> Option<f64> {
    match state {
        PromiseState::Broken => Some(0.0),
        PromiseState::Kept => Some(match kept {
            Some(kept) if amount.minor() > 0 => kept.minor() as f64 / amount.minor() as f64,
            _ => 1.0,
        }),
        _ => None,
    }
}

/// The kept rate of some promises: kept / (kept + broken), a promise kept in
/// part counting by its share; none when none of them is kept or broken.
pub fn kept_rate<'a>(promises: impl IntoIterator<Item = &'a Promise>) -> Option<f64> {
    let (sum, count) = promises
        .into_iter()
        .filter_map(Promise::kept_share)
        .fold((0.0, 0u64), |(sum, count), share| (sum + share, count + 1));
    (count > 0).then(|| sum / count as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn promise(state: PromiseState, amount: i64, kept: Option<i64>) -> Promise {
        Promise {
            row: 1,
            id: PromiseId::parse("p1").unwrap().unwrap(),
            promiser: PartyId(1),
            promisee: PartyId(2),
            promiser_org: None,
            promisee_org: None,
            kind: KindId(1),
            amount: Amount::from_minor(amount).unwrap(),
            made: Moment::from_millis(0),
            due: Moment::from_millis(1),
            note: None,
            state,
            resolved_at: None,
            reason: None,
            gesture: None,
            kept: kept.map(|k| Amount::from_minor(k).unwrap()),
        }
    }

    #[test]
    fn ids_are_checked_and_resolving_gestures_derive_from_them() {
        let id = PromiseId::parse(" call-friday ").unwrap().unwrap();
        assert_eq!(id.as_str(), "call-friday");
        assert_eq!(id.kept_gesture().as_str(), "call-friday.kept");
        assert_eq!(id.broken_gesture().as_str(), "call-friday.broken");
        assert_eq!(PromiseId::parse("").unwrap(), None);
        assert!(PromiseId::parse("two words").is_err());
        let longest = "x".repeat(PROMISE_ID_MAX_BYTES);
        let id = PromiseId::parse(&longest).unwrap().unwrap();
        assert_eq!(id.broken_gesture().as_str().len(), PROMISE_ID_MAX_BYTES + 7);
        assert!(PromiseId::parse(&format!("{longest}x")).is_err());
        let (a, b) = (PromiseId::fresh(), PromiseId::fresh());
        assert!(a.as_str().starts_with("pr-") && a < b, "{a} {b}");
    }

    #[test]
    fn states_read_back_and_say_whether_pending() {
        for state in PromiseState::ALL {
            assert_eq!(PromiseState::parse(state.as_str()), Some(state));
        }
        let pending: Vec<_> = PromiseState::ALL
            .into_iter()
            .filter(|s| s.pending())
            .collect();
        assert_eq!(pending, [PromiseState::Open, PromiseState::Renegotiated]);
        assert_eq!(PromiseState::parse("done"), None);
    }

    #[test]
    fn the_kept_rate_counts_a_part_by_its_share() {
        let kept = promise(PromiseState::Kept, 400, Some(400));
        let half = promise(PromiseState::Kept, 400, Some(100));
        let broken = promise(PromiseState::Broken, 400, None);
        let open = promise(PromiseState::Open, 400, None);
        let nothing = promise(PromiseState::Kept, 0, Some(0));
        assert!(half.kept_in_part() && !kept.kept_in_part());
        assert_eq!(kept_rate([&kept, &broken, &open]), Some(0.5));
        assert_eq!(kept_rate([&half, &kept]), Some(0.625));
        assert_eq!(kept_rate([&nothing]), Some(1.0));
        assert_eq!(kept_rate([&open]), None);
    }
}
