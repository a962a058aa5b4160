//! The report over a window of time: each pair's balance in the window and in the
//! window before it, from the gestures themselves, and the changes worth naming
//! in plain words (DESIGN, "Health"; README, "The report over time").
//!
//! - **Went quiet**: they gave us nothing in the window, after at least
//!   [`QUIET_AFTER_GESTURES`] gestures between us before it, at an average of at
//!   least one every two months.
//! - **Turned**: in the window one side's takes weigh at least as much as its
//!   gifts (its sum is zero or less, with at least one take), while in all the
//!   time before the window its sum was positive.

use balans_core::{Dimension, KindId, Level, Moment, PartyId, Totals};
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::view::{BalanceView, PartyRef};
use crate::LedgerError;
use crate::store::{Store, StoreError};

/// How far back a report looks: the last so many days, or all time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    All,
    Days(u32),
}

impl Window {
    /// The windows the pages offer, with their codes.
    pub const CHOICES: [Window; 4] = [
        Window::Days(30),
        Window::Days(90),
        Window::Days(365),
        Window::All,
    ];

    /// `30d`, `90d`, `12m` (365 days), `all`, or any `Nd` from 1 to 3650 days.
    pub fn parse(text: &str) -> Option<Window> {
        let text = text.trim().to_ascii_lowercase();
        match text.as_str() {
            "all" => Some(Window::All),
            "12m" => Some(Window::Days(365)),
            _ => {
                let days: u32 = text.strip_suffix('d')?.parse().ok()?;
                (1..=3650).contains(&days).then_some(Window::Days(days))
            }
        }
    }

    pub fn code(self) -> String {
        match self {
            Window::All => "all".into(),
            Window::Days(365) => "12m".into(),
            Window::Days(days) => format!("{days}d"),
        }
    }
}

impl Serialize for Window {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.code())
    }
}

/// Gestures between us before the window for "went quiet".
pub const QUIET_AFTER_GESTURES: i64 = 6;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// One direction of a pair in one window: the signed sum, the gestures, and the
/// takes among them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Flow {
    pub(crate) sum: i64,
    pub(crate) count: i64,
    pub(crate) takes: i64,
    pub(crate) first: Option<Moment>,
    pub(crate) last: Option<Moment>,
}

impl Flow {
    fn add(&mut self, amount: i64, at: Moment) -> Result<(), StoreError> {
        self.sum = self
            .sum
            .checked_add(amount)
            .ok_or_else(|| StoreError::Overflow("a window's sum".into()))?;
        self.count += 1;
        self.takes += i64::from(amount < 0);
        self.first = Some(self.first.map_or(at, |f| f.min(at)));
        self.last = Some(self.last.map_or(at, |l| l.max(at)));
        Ok(())
    }
}

/// A pair (low, high) in the window and the one before: low→high and high→low.
#[derive(Debug, Clone, Default)]
pub(crate) struct PairWindows {
    pub(crate) now: [Flow; 2],
    pub(crate) before: [Flow; 2],
    /// The kinds of the takes in the window, in the order first seen.
    pub(crate) take_kinds: Vec<KindId>,
}

impl PairWindows {
    /// The window's flows as stored totals: what the report and the pages show.
    pub(crate) fn totals(flows: &[Flow; 2]) -> Option<Totals> {
        let count = flows[0].count + flows[1].count;
        let first = flows.iter().filter_map(|f| f.first).min()?;
        let last = flows.iter().filter_map(|f| f.last).max()?;
        Some(Totals {
            low_to_high: flows[0].sum,
            high_to_low: flows[1].sum,
            count,
            first,
            last,
        })
    }
}

/// The window `[from, until)` and the one before it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    pub(crate) before_from: Moment,
    pub(crate) from: Moment,
    pub(crate) until: Moment,
}

impl Span {
    pub(crate) fn ending(until: Moment, days: u32) -> Span {
        let length = i64::from(days) * DAY_MS;
        Span {
            before_from: Moment::from_millis(until.millis() - 2 * length),
            from: Moment::from_millis(until.millis() - length),
            until,
        }
    }
}

/// Every pair's flows in one dimension at one level over the span, from the
/// gestures: one read of the gestures since the window before began. With
/// `only`, just the pairs with a side among those parties.
pub(crate) fn pair_windows<S: Store + ?Sized>(
    store: &mut S,
    level: Level,
    dimension: Dimension,
    span: Span,
    only: Option<&rustc_hash::FxHashSet<PartyId>>,
) -> Result<FxHashMap<(PartyId, PartyId), PairWindows>, LedgerError> {
    let index = match level {
        Level::Organization => Some(balans_core::MembershipIndex::new(store.memberships()?)),
        Level::Person => None,
    };
    let counted: rustc_hash::FxHashSet<KindId> = store
        .kinds()?
        .into_iter()
        .filter(|k| k.def.dimension == dimension)
        .map(|k| k.id)
        .collect();
    let mut pairs: FxHashMap<(PartyId, PartyId), PairWindows> = FxHashMap::default();
    store.for_each_flow_between(span.before_from, span.until, &mut |g| {
        if !counted.contains(&g.kind) {
            return Ok(());
        }
        let (giver, receiver) = match &index {
            None => (g.giver, g.receiver),
            Some(index) => {
                let unit = |party, named| index.unit(party, g.attributed_at, named).ok();
                match (unit(g.giver, g.giver_org), unit(g.receiver, g.receiver_org)) {
                    (Some(giver), Some(receiver)) => (giver, receiver),
                    // A gesture no single organization can be given for counts
                    // nowhere at this level, as in the stored balances.
                    _ => return Ok(()),
                }
            }
        };
        if giver == receiver
            || only.is_some_and(|only| !only.contains(&giver) && !only.contains(&receiver))
        {
            return Ok(());
        }
        let forward = giver < receiver;
        let key = if forward {
            (giver, receiver)
        } else {
            (receiver, giver)
        };
        let entry = pairs.entry(key).or_default();
        let side = usize::from(!forward);
        let amount = g.amount.minor();
        if g.at >= span.from {
            entry.now[side].add(amount, g.at)?;
            if amount < 0 && !entry.take_kinds.contains(&g.kind) {
                entry.take_kinds.push(g.kind);
            }
        } else {
            entry.before[side].add(amount, g.at)?;
        }
        Ok(())
    })?;
    Ok(pairs)
}

/// What changed, in a few numbers.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "story", rename_all = "snake_case")]
pub enum Story {
    /// They gave us nothing in the window, after `gestures_before` gestures
    /// between us over `months_before` months.
    WentQuiet {
        gestures_before: i64,
        months_before: i64,
    },
    /// One side's takes outweighed its gifts in the window, after it gave more
    /// than it took in all the time before.
    Turned {
        /// Whether the side that turned is theirs.
        by_them: bool,
        /// Its takes in the window, and their kinds' codes.
        takes: i64,
        kinds: Vec<String>,
        /// Its sum in the window, and in all the time before it.
        sum_now: crate::ledger::NetSum,
        sum_before: crate::ledger::NetSum,
    },
}

/// A relationship of ours that changed, with its balance in the window and in
/// the window before, seen from them (`a`) toward us (`b`).
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    #[serde(serialize_with = "super::view::key_of")]
    pub them: PartyRef,
    #[serde(serialize_with = "super::view::key_of")]
    pub us: PartyRef,
    #[serde(flatten)]
    pub story: Story,
    pub window: BalanceView,
    pub before: BalanceView,
}

/// The changes among the pairs of `ours` (our organization, and at person level
/// its people) with others.
pub(crate) fn changes<S: Store + ?Sized>(
    store: &mut S,
    level: Level,
    dimension: Dimension,
    span: Span,
    pairs: &FxHashMap<(PartyId, PartyId), PairWindows>,
    us: &balans_core::Party,
    ours: &rustc_hash::FxHashSet<PartyId>,
) -> Result<Vec<Change>, LedgerError> {
    let kinds = store.kinds()?;
    let code = |id: KindId| {
        kinds
            .iter()
            .find(|k| k.id == id)
            .map(|k| k.def.code.to_string())
            .unwrap_or_default()
    };
    let mut found: Vec<(i128, Change)> = Vec::new();
    // Pairs with nothing in the window cannot be seen in `pairs`' window, but
    // may have gone quiet: every stored pair of ours is looked at.
    let mut candidates: Vec<(PartyId, PartyId, balans_core::PairKey, Totals)> = Vec::new();
    for &mine in ours {
        for (key, totals) in store.balances_of(level, mine)? {
            if key.dimension != dimension {
                continue;
            }
            let other = if key.low == mine { key.high } else { key.low };
            if !ours.contains(&other) {
                candidates.push((mine, other, key, totals));
            }
        }
    }
    candidates.sort_unstable_by_key(|c| (c.0, c.1));
    let empty = PairWindows::default();
    for (mine, them, stored_key, stored) in candidates {
        let key = if mine < them {
            (mine, them)
        } else {
            (them, mine)
        };
        let windows = pairs.get(&key).unwrap_or(&empty);
        // Index of the direction them→mine, and mine→them.
        let (from_them, from_us) = if them < mine { (0, 1) } else { (1, 0) };
        let seen = |flows: &[Flow; 2]| {
            let (a_to_b, b_to_a) = (flows[from_them], flows[from_us]);
            balans_core::Balance {
                a_to_b: a_to_b.sum,
                b_to_a: b_to_a.sum,
                count: a_to_b.count + b_to_a.count,
                first: [a_to_b.first, b_to_a.first].into_iter().flatten().min(),
                last: [a_to_b.last, b_to_a.last].into_iter().flatten().max(),
            }
        };
        let window = seen(&windows.now);
        let before = seen(&windows.before);
        let all = balans_core::Balance::seen_from(them, &stored_key, &stored);
        let mut story = None;
        // Went quiet.
        let count_before = all.count - window.count;
        if windows.now[from_them].count == 0 && count_before >= QUIET_AFTER_GESTURES {
            if let Some(first) = all.first {
                let months = (span.from.millis() - first.millis()) / (30 * DAY_MS);
                if months >= 3 && count_before * 2 >= months {
                    story = Some((
                        i128::from(count_before),
                        Story::WentQuiet {
                            gestures_before: count_before,
                            months_before: months,
                        },
                    ));
                }
            }
        }
        // Turned: either side.
        if story.is_none() {
            for (side, by_them) in [(from_them, true), (from_us, false)] {
                let now = windows.now[side];
                if now.takes == 0 || now.sum > 0 {
                    continue;
                }
                // Everything that side gave before the window.
                let earlier = if by_them {
                    all.a_to_b - now.sum
                } else {
                    all.b_to_a - now.sum
                };
                if earlier <= 0 {
                    continue;
                }
                let kinds: Vec<String> = windows.take_kinds.iter().map(|k| code(*k)).collect();
                story = Some((
                    i128::from(earlier) - i128::from(now.sum),
                    Story::Turned {
                        by_them,
                        takes: now.takes,
                        kinds,
                        sum_now: crate::ledger::NetSum(i128::from(now.sum)),
                        sum_before: crate::ledger::NetSum(i128::from(earlier)),
                    },
                ));
                break;
            }
        }
        if let Some((weight, story)) = story {
            let them_party = store
                .party_by_id(them)?
                .ok_or_else(|| crate::store::StoreError::Corrupt("missing party".into()))?;
            let us_party = if mine == us.id {
                us.clone()
            } else {
                store
                    .party_by_id(mine)?
                    .ok_or_else(|| crate::store::StoreError::Corrupt("missing party".into()))?
            };
            found.push((
                weight,
                Change {
                    them: (&them_party).into(),
                    us: (&us_party).into(),
                    story,
                    window: window.into(),
                    before: before.into(),
                },
            ));
        }
    }
    found.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.them.key.cmp(&y.1.them.key)));
    Ok(found.into_iter().map(|(_, change)| change).collect())
}
