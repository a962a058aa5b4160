//! Balances: per pair of parties and dimension, what each side gave the other.

use std::fmt;

use rustc_hash::FxHashMap;
use serde::Serialize;
use thiserror::Error;

use crate::amount::Amount;
use crate::kind::Dimension;
use crate::party::PartyId;
use crate::time::Moment;

/// Where a balance is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The parties as the gesture names them: an account manager and a customer's contact.
    Person,
    /// The parties rolled up through the memberships valid at the gesture's time.
    Organization,
}

impl Level {
    pub const ALL: [Level; 2] = [Level::Person, Level::Organization];

    pub fn code(self) -> i64 {
        match self {
            Level::Person => 0,
            Level::Organization => 1,
        }
    }

    pub fn from_code(code: i64) -> Option<Level> {
        match code {
            0 => Some(Level::Person),
            1 => Some(Level::Organization),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Person => "person",
            Level::Organization => "organization",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A pair in canonical order (`low < high`), so each pair is kept once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PairKey {
    pub level: Level,
    pub low: PartyId,
    pub high: PartyId,
    pub dimension: Dimension,
}

impl PairKey {
    /// The key for a gesture from `giver` to `receiver`, and whether it flows low → high.
    pub fn directed(
        level: Level,
        giver: PartyId,
        receiver: PartyId,
        dimension: Dimension,
    ) -> (PairKey, bool) {
        debug_assert_ne!(giver, receiver, "a pair needs two parties");
        let (low, high, forward) = if giver < receiver {
            (giver, receiver, true)
        } else {
            (receiver, giver, false)
        };
        (
            PairKey {
                level,
                low,
                high,
                dimension,
            },
            forward,
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a balance would exceed the range of exact sums")]
pub struct Overflow;

/// One party's balances at one level in one dimension, summed over all its
/// counterparts: what it gave (as `low_to_high`), what it received (as
/// `high_to_low`), the gestures counted, the first and the last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartySumKey {
    pub level: Level,
    pub party: PartyId,
    pub dimension: Dimension,
}

/// Each party's sums over the given balances (or deltas of balances), in key
/// order: a pair's totals count for both its sides, each from its own side.
pub fn party_sums<'a>(
    pairs: impl IntoIterator<Item = (&'a PairKey, &'a Totals)>,
) -> Result<Vec<(PartySumKey, Totals)>, Overflow> {
    let mut sums: FxHashMap<PartySumKey, Totals> = FxHashMap::default();
    for (key, totals) in pairs {
        let swapped = Totals {
            low_to_high: totals.high_to_low,
            high_to_low: totals.low_to_high,
            ..*totals
        };
        for (party, side) in [(key.low, *totals), (key.high, swapped)] {
            let at = PartySumKey {
                level: key.level,
                party,
                dimension: key.dimension,
            };
            match sums.get_mut(&at) {
                Some(sum) => sum.merge(&side)?,
                None => {
                    sums.insert(at, side);
                }
            }
        }
    }
    let mut sums: Vec<_> = sums.into_iter().collect();
    sums.sort_unstable_by_key(|(key, _)| *key);
    Ok(sums)
}

/// The running totals of one pair in one dimension, in minor units and milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Totals {
    pub low_to_high: i64,
    pub high_to_low: i64,
    pub count: i64,
    pub first: Moment,
    pub last: Moment,
}

impl Totals {
    pub fn of(forward: bool, amount: Amount, at: Moment) -> Totals {
        let (low_to_high, high_to_low) = if forward {
            (amount.minor(), 0)
        } else {
            (0, amount.minor())
        };
        Totals {
            low_to_high,
            high_to_low,
            count: 1,
            first: at,
            last: at,
        }
    }

    /// The five numbers in the order the tables of sums store them: low to
    /// high, high to low, count, first and last (in milliseconds).
    pub fn values(&self) -> [i64; 5] {
        [
            self.low_to_high,
            self.high_to_low,
            self.count,
            self.first.millis(),
            self.last.millis(),
        ]
    }

    /// The totals of [`Totals::values`].
    pub fn from_values([low_to_high, high_to_low, count, first, last]: [i64; 5]) -> Totals {
        Totals {
            low_to_high,
            high_to_low,
            count,
            first: Moment::from_millis(first),
            last: Moment::from_millis(last),
        }
    }

    /// Adds `other` into `self`, failing rather than wrapping or rounding.
    pub fn merge(&mut self, other: &Totals) -> Result<(), Overflow> {
        self.low_to_high = self
            .low_to_high
            .checked_add(other.low_to_high)
            .ok_or(Overflow)?;
        self.high_to_low = self
            .high_to_low
            .checked_add(other.high_to_low)
            .ok_or(Overflow)?;
        self.count = self.count.checked_add(other.count).ok_or(Overflow)?;
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        Ok(())
    }
}

/// The balance of a pair as seen from `a`: what `a` gave `b` and what `b` gave `a`.
/// The default is a pair with no gestures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Balance {
    pub a_to_b: i64,
    pub b_to_a: i64,
    pub count: i64,
    pub first: Option<Moment>,
    pub last: Option<Moment>,
}

impl Balance {
    pub const EMPTY: Balance = Balance {
        a_to_b: 0,
        b_to_a: 0,
        count: 0,
        first: None,
        last: None,
    };

    /// Orients stored totals so that `a` is the party asked about.
    pub fn seen_from(a: PartyId, key: &PairKey, totals: &Totals) -> Balance {
        let (a_to_b, b_to_a) = if a == key.low {
            (totals.low_to_high, totals.high_to_low)
        } else {
            (totals.high_to_low, totals.low_to_high)
        };
        Balance {
            a_to_b,
            b_to_a,
            count: totals.count,
            first: Some(totals.first),
            last: Some(totals.last),
        }
    }

    /// What `a` gave beyond what it received: positive when `b` is in `a`'s debt.
    pub fn net(&self) -> i128 {
        i128::from(self.a_to_b) - i128::from(self.b_to_a)
    }

    /// The volume both ways, counting takes by their size.
    pub fn volume(&self) -> i128 {
        i128::from(self.a_to_b).abs() + i128::from(self.b_to_a).abs()
    }

    /// `1 − |net| / (|a→b| + |b→a|)`, in ten-thousandths; `None` without volume.
    pub fn evenness(&self) -> Option<Evenness> {
        let volume = self.volume();
        if volume == 0 {
            return None;
        }
        let uneven = (self.net().abs() * 10_000 + volume / 2) / volume;
        Some(Evenness((10_000 - uneven).clamp(0, 10_000) as u16))
    }
}

/// Evenness in ten-thousandths: 10000 is perfectly even, 0 entirely one-sided.
/// (It can be computed as 0 even with both sides giving, when takes outweigh gifts.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Evenness(pub u16);

impl Evenness {
    /// Reads an evenness from 0 to 1 with at most four decimals, exactly: `0.6`, `1`, `0,75`.
    pub fn parse(text: &str) -> Option<Evenness> {
        let text = text.trim().replace(',', ".");
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if text.is_empty()
            || !matches!(whole, "" | "0" | "1")
            || fraction.len() > 4
            || !digits(fraction)
            || text == "."
        {
            return None;
        }
        let value =
            u32::from(whole == "1") * 10_000 + format!("{fraction:0<4}").parse::<u32>().ok()?;
        (value <= 10_000).then_some(Evenness(value as u16))
    }
}

impl fmt::Display for Evenness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:04}", self.0 / 10_000, self.0 % 10_000)
    }
}

impl Serialize for Evenness {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(f64::from(self.0) / 10_000.0)
    }
}

/// The contributions of one gesture: its person-level pair and, when the two sides
/// roll up to different parties, its organization-level pair.
pub fn contributions(
    giver: PartyId,
    receiver: PartyId,
    giver_unit: PartyId,
    receiver_unit: PartyId,
    dimension: Dimension,
    amount: Amount,
    at: Moment,
) -> impl Iterator<Item = (PairKey, Totals)> {
    let person = PairKey::directed(Level::Person, giver, receiver, dimension);
    let organization = (giver_unit != receiver_unit)
        .then(|| PairKey::directed(Level::Organization, giver_unit, receiver_unit, dimension));
    std::iter::once(person)
        .chain(organization)
        .map(move |(key, forward)| (key, Totals::of(forward, amount, at)))
}

/// Balances accumulated in memory: a batch's deltas, or a full recomputation.
#[derive(Debug, Default, Clone)]
pub struct BalanceMap {
    map: FxHashMap<PairKey, Totals>,
    /// Credit per organization and month: given as `low_to_high`, received as
    /// `high_to_low`. Keyed by the organization and [`crate::Zone::month_of`].
    months: FxHashMap<(PartyId, i32), Totals>,
}

/// An organization's credit in one month.
pub type MonthKey = (PartyId, i32);

impl BalanceMap {
    pub fn new() -> BalanceMap {
        BalanceMap::default()
    }

    pub fn add(&mut self, key: PairKey, totals: Totals) -> Result<(), Overflow> {
        match self.map.get_mut(&key) {
            Some(existing) => existing.merge(&totals),
            None => {
                self.map.insert(key, totals);
                Ok(())
            }
        }
    }

    /// Adds a credit gesture between two organizations (or parties standing for
    /// themselves) to both sides' month.
    pub fn add_month(
        &mut self,
        giver: PartyId,
        receiver: PartyId,
        month: i32,
        amount: Amount,
        at: Moment,
    ) -> Result<(), Overflow> {
        for (party, given) in [(giver, true), (receiver, false)] {
            let totals = Totals::of(given, amount, at);
            match self.months.get_mut(&(party, month)) {
                Some(existing) => existing.merge(&totals)?,
                None => {
                    self.months.insert((party, month), totals);
                }
            }
        }
        Ok(())
    }

    /// The months in key order, and none left.
    pub fn drain_months(&mut self) -> Vec<(MonthKey, Totals)> {
        let mut entries: Vec<_> = self.months.drain().collect();
        entries.sort_unstable_by_key(|(k, _)| *k);
        entries
    }

    pub fn remove_month(&mut self, key: &MonthKey) -> Option<Totals> {
        self.months.remove(key)
    }

    /// Pairs held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Months held.
    pub fn months_len(&self) -> usize {
        self.months.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty() && self.months.is_empty()
    }

    pub fn get(&self, key: &PairKey) -> Option<&Totals> {
        self.map.get(key)
    }

    pub fn remove(&mut self, key: &PairKey) -> Option<Totals> {
        self.map.remove(key)
    }

    /// The entries in key order, so that stores write them in index order.
    pub fn sorted(&self) -> Vec<(PairKey, Totals)> {
        let mut entries: Vec<_> = self.map.iter().map(|(k, v)| (*k, *v)).collect();
        entries.sort_unstable_by_key(|(k, _)| *k);
        entries
    }

    /// The pairs in key order, and none left (months stay).
    pub fn drain(&mut self) -> Vec<(PairKey, Totals)> {
        let entries = self.sorted();
        self.map.clear();
        entries
    }

    pub fn iter(&self) -> impl Iterator<Item = (&PairKey, &Totals)> {
        self.map.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(minor: i64) -> Amount {
        Amount::from_minor(minor).unwrap()
    }

    #[test]
    fn a_pair_counts_for_both_its_sides_each_from_its_own_side() {
        let key = |low, high| PairKey {
            level: Level::Person,
            low: PartyId(low),
            high: PartyId(high),
            dimension: Dimension::Credit,
        };
        let t = |given, received, count, first, last| Totals {
            low_to_high: given,
            high_to_low: received,
            count,
            first: Moment::from_millis(first),
            last: Moment::from_millis(last),
        };
        let pairs = [
            (key(1, 2), t(300, 100, 3, 10, 50)),
            (key(2, 3), t(50, 0, 1, 5, 5)),
        ];
        let sums = party_sums(pairs.iter().map(|(k, t)| (k, t))).unwrap();
        let of = |party| {
            sums.iter()
                .find(|(k, _)| k.party == PartyId(party))
                .map(|(_, t)| *t)
                .unwrap()
        };
        assert_eq!(sums.len(), 3);
        assert_eq!(of(1), t(300, 100, 3, 10, 50));
        // Party 2 received 300 and gave 100 with party 1, gave 50 to party 3.
        assert_eq!(of(2), t(150, 300, 4, 5, 50));
        assert_eq!(of(3), t(0, 50, 1, 5, 5));
        let huge = [
            (key(1, 2), t(i64::MAX, 0, 1, 0, 0)),
            (key(1, 3), t(1, 0, 1, 0, 0)),
        ];
        assert_eq!(party_sums(huge.iter().map(|(k, t)| (k, t))), Err(Overflow));
    }

    #[test]
    fn a_gesture_counts_for_the_person_pair_and_the_organization_pair() {
        let (p, q, org_p, org_q) = (PartyId(1), PartyId(2), PartyId(10), PartyId(20));
        let at = Moment::from_millis(5);
        let items: Vec<_> =
            contributions(q, p, org_q, org_p, Dimension::Credit, amount(300), at).collect();
        assert_eq!(items.len(), 2);
        let (person, totals) = items[0];
        assert_eq!(
            (person.level, person.low, person.high),
            (Level::Person, p, q)
        );
        assert_eq!((totals.low_to_high, totals.high_to_low), (0, 300));
        let (org, totals) = items[1];
        assert_eq!(
            (org.level, org.low, org.high),
            (Level::Organization, org_p, org_q)
        );
        assert_eq!((totals.low_to_high, totals.high_to_low), (0, 300));
    }

    #[test]
    fn colleagues_do_not_make_an_organization_pair() {
        let org = PartyId(10);
        let n = contributions(
            PartyId(1),
            PartyId(2),
            org,
            org,
            Dimension::Credit,
            amount(1),
            Moment::from_millis(0),
        )
        .count();
        assert_eq!(n, 1);
    }

    #[test]
    fn net_and_evenness() {
        let balance = Balance {
            a_to_b: 1000,
            b_to_a: 500,
            count: 3,
            first: None,
            last: None,
        };
        assert_eq!(balance.net(), 500);
        // 1 - 500/1500 = 0.6667
        assert_eq!(balance.evenness().unwrap().to_string(), "0.6667");
        let even = Balance {
            a_to_b: 200,
            b_to_a: 200,
            ..balance
        };
        assert_eq!(even.evenness(), Some(Evenness(10_000)));
        let one_sided = Balance {
            a_to_b: 0,
            b_to_a: 700,
            ..balance
        };
        assert_eq!(one_sided.evenness(), Some(Evenness(0)));
        assert_eq!(Balance::EMPTY.evenness(), None);
        // Takes count by their size: a gave 3, b took 2 from a.
        let with_take = Balance {
            a_to_b: 300,
            b_to_a: -200,
            ..balance
        };
        assert_eq!(with_take.net(), 500);
        assert_eq!(with_take.evenness(), Some(Evenness(0)));
    }

    #[test]
    fn evenness_parses_exactly() {
        assert_eq!(Evenness::parse("0.6"), Some(Evenness(6_000)));
        assert_eq!(Evenness::parse("1"), Some(Evenness(10_000)));
        assert_eq!(Evenness::parse("0,7525"), Some(Evenness(7_525)));
        assert_eq!(Evenness::parse(".5"), Some(Evenness(5_000)));
        for bad in ["", ".", "1.5", "2", "0.12345", "-0.1", "abc", "1.0001"] {
            assert_eq!(Evenness::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn merging_refuses_to_overflow() {
        let mut totals = Totals::of(true, amount(1), Moment::from_millis(0));
        totals.low_to_high = i64::MAX;
        assert_eq!(
            totals.merge(&Totals::of(true, amount(1), Moment::from_millis(1))),
            Err(Overflow)
        );
    }

    #[test]
    fn seen_from_either_side() {
        let (key, forward) =
            PairKey::directed(Level::Person, PartyId(7), PartyId(3), Dimension::Money);
        assert!(!forward);
        let totals = Totals::of(forward, amount(250), Moment::from_millis(9));
        let from_giver = Balance::seen_from(PartyId(7), &key, &totals);
        assert_eq!((from_giver.a_to_b, from_giver.b_to_a), (250, 0));
        let from_receiver = Balance::seen_from(PartyId(3), &key, &totals);
        assert_eq!((from_receiver.a_to_b, from_receiver.b_to_a), (0, 250));
    }
}
