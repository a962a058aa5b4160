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

/// A pair (low, high) in one window: low→high and high→low.
#[derive(Debug, Clone, Default)]
pub(crate) struct PairWindow {
    pub(crate) flows: [Flow; 2],
    /// The kinds of the takes in the window, each once, as the gestures came
    /// (in no particular order: see `for_each_flow_between`).
    pub(crate) take_kinds: Vec<KindId>,
}

impl PairWindow {
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

/// Every pair's flows in one dimension at one level in `[from, until)`, from
/// the gestures: one read of the gestures in that time. With `only`, just the
/// pairs with a side among those parties.
///
/// The read and the summing run side by side: this thread reads the store and
/// hands the gestures over in batches of [`BATCH`] to a second thread, which
/// attributes and sums them. A year's window reads hundreds of thousands of
/// gestures, and the summing takes a third of the time.
pub(crate) fn pair_window<S: Store + ?Sized>(
    store: &mut S,
    level: Level,
    dimension: Dimension,
    (from, until): (Moment, Moment),
    only: Option<&rustc_hash::FxHashSet<PartyId>>,
) -> Result<FxHashMap<(PartyId, PartyId), PairWindow>, LedgerError> {
    let index = match level {
        Level::Organization => Some(balans_core::MembershipIndex::new(store.memberships()?)),
        Level::Person => None,
    };
    let counted = counted_kinds(store, dimension)?;
    let index = index.as_ref();
    std::thread::scope(|scope| {
        let (full, to_sum) = std::sync::mpsc::sync_channel::<Vec<FlowRow>>(BATCHES_WAITING);
        let (emptied, to_fill) = std::sync::mpsc::channel::<Vec<FlowRow>>();
        let summing = scope.spawn(move || {
            let mut pairs: FxHashMap<(PartyId, PartyId), PairWindow> = FxHashMap::default();
            for mut batch in to_sum {
                for g in batch.drain(..) {
                    if let Some((key, forward)) = pair_of(index, only, &g) {
                        tally(pairs.entry(key).or_default(), forward, &g)?;
                    }
                }
                // The reader may have finished: then the batch is not needed.
                let _ = emptied.send(batch);
            }
            Ok::<_, StoreError>(pairs)
        });
        let mut batch = Vec::with_capacity(BATCH);
        let read = store.for_each_flow_between(from, until, &mut |g| {
            if !counted.contains(&g.kind) {
                return Ok(());
            }
            batch.push(g);
            if batch.len() == BATCH {
                let next = to_fill
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(BATCH));
                if full.send(std::mem::replace(&mut batch, next)).is_err() {
                    // The summing stopped at an error, which its result gives.
                    return Err(StoreError::Overflow("a window's sum".into()));
                }
            }
            Ok(())
        });
        if !batch.is_empty() {
            let _ = full.send(batch);
        }
        drop(full);
        let pairs = summing
            .join()
            .map_err(|_| StoreError::Corrupt("the summing of a window stopped".into()))??;
        read?;
        Ok(pairs)
    })
}

/// The kinds of one dimension.
fn counted_kinds<S: Store + ?Sized>(
    store: &mut S,
    dimension: Dimension,
) -> Result<rustc_hash::FxHashSet<KindId>, LedgerError> {
    Ok(store
        .kinds()?
        .into_iter()
        .filter(|k| k.def.dimension == dimension)
        .map(|k| k.id)
        .collect())
}

/// Gestures handed from the reading thread to the summing one at a time.
const BATCH: usize = 4_096;
/// Batches read and not yet summed, at most: the reader waits beyond them.
const BATCHES_WAITING: usize = 4;

type FlowRow = crate::store::Flow;

/// The pair (low, high) a gesture counts for at the level `index` gives (none:
/// person level), if it counts for one with a side in `only`; and whether it
/// goes low→high.
fn pair_of(
    index: Option<&balans_core::MembershipIndex>,
    only: Option<&rustc_hash::FxHashSet<PartyId>>,
    g: &FlowRow,
) -> Option<((PartyId, PartyId), bool)> {
    let (giver, receiver) = match index {
        None => (g.giver, g.receiver),
        Some(index) => {
            let unit = |party, named| index.unit(party, g.attributed_at, named).ok();
            // A gesture no single organization can be given for counts
            // nowhere at this level, as in the stored balances.
            (
                unit(g.giver, g.giver_org)?,
                unit(g.receiver, g.receiver_org)?,
            )
        }
    };
    if giver == receiver
        || only.is_some_and(|only| !only.contains(&giver) && !only.contains(&receiver))
    {
        return None;
    }
    Some(if giver < receiver {
        ((giver, receiver), true)
    } else {
        ((receiver, giver), false)
    })
}

/// Adds one gesture to its pair's window.
fn tally(entry: &mut PairWindow, forward: bool, g: &FlowRow) -> Result<(), StoreError> {
    let side = usize::from(!forward);
    let amount = g.amount.minor();
    entry.flows[side].add(amount, g.at)?;
    if amount < 0 && !entry.take_kinds.contains(&g.kind) {
        entry.take_kinds.push(g.kind);
    }
    Ok(())
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
        /// Its takes in the window, and their kinds' codes in the catalog's
        /// order.
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
/// its people) with others: the `limit` largest, and how many there are.
///
/// What changed is told from the window and the stored totals alone; the
/// window before is read only for the changes returned, from the gestures of
/// their other sides (see [`before_windows`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn changes<S: Store + ?Sized>(
    store: &mut S,
    level: Level,
    dimension: Dimension,
    span: Span,
    pairs: &FxHashMap<(PartyId, PartyId), PairWindow>,
    us: &balans_core::Party,
    ours: &rustc_hash::FxHashSet<PartyId>,
    limit: usize,
) -> Result<(Vec<Change>, usize), LedgerError> {
    let kinds = store.kinds()?;
    let code = |id: KindId| {
        kinds
            .iter()
            .find(|k| k.id == id)
            .map(|k| k.def.code.to_string())
            .unwrap_or_default()
    };
    // The weight, their side, our side, the story and the window's balance.
    let mut found: Vec<(i128, PartyId, PartyId, Story, balans_core::Balance)> = Vec::new();
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
    let empty = PairWindow::default();
    for (mine, them, stored_key, stored) in candidates {
        let key = if mine < them {
            (mine, them)
        } else {
            (them, mine)
        };
        let windows = pairs.get(&key).unwrap_or(&empty);
        // Index of the direction them→mine, and mine→them.
        let (from_them, from_us) = if them < mine { (0, 1) } else { (1, 0) };
        let window = seen(&windows.flows, them < mine);
        let all = balans_core::Balance::seen_from(them, &stored_key, &stored);
        let mut story = None;
        // Went quiet.
        let count_before = all.count - window.count;
        if windows.flows[from_them].count == 0 && count_before >= QUIET_AFTER_GESTURES {
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
                let now = windows.flows[side];
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
                // In the catalog's order, so that every backend tells them alike.
                let mut kinds = windows.take_kinds.clone();
                kinds.sort_unstable();
                let kinds: Vec<String> = kinds.iter().map(|k| code(*k)).collect();
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
            found.push((weight, them, mine, story, window));
        }
    }
    let total = found.len();
    // The `limit` heaviest, ties by their key: only the parties that can be
    // among them are read.
    if limit == 0 {
        found.clear();
    } else if found.len() > limit {
        found.select_nth_unstable_by(limit - 1, |x, y| y.0.cmp(&x.0));
        let lightest = found[limit - 1].0;
        found.retain(|f| f.0 >= lightest);
    }
    let mut found = found
        .into_iter()
        .map(|(weight, them, mine, story, window)| {
            let them = store
                .party_by_id(them)?
                .ok_or_else(|| crate::store::StoreError::Corrupt("missing party".into()))?;
            Ok((weight, them, mine, story, window))
        })
        .collect::<Result<Vec<_>, LedgerError>>()?;
    // Heaviest first, then by their key, then by our side (at person level one
    // counterpart may have changed with several of our people).
    found.sort_by(|x, y| {
        (y.0.cmp(&x.0))
            .then(x.1.fields.key.cmp(&y.1.fields.key))
            .then(x.2.cmp(&y.2))
    });
    found.truncate(limit);
    let wanted: Vec<(PartyId, PartyId)> = found.iter().map(|f| (f.1.id, f.2)).collect();
    let before = before_windows(store, level, dimension, span, &wanted)?;
    let mut shown = Vec::with_capacity(found.len());
    for (_, them, mine, story, window) in found {
        let key = if mine < them.id {
            (mine, them.id)
        } else {
            (them.id, mine)
        };
        let before = before.get(&key).map_or_else(
            || seen(&[Flow::default(); 2], them.id < mine),
            |w| seen(&w.flows, them.id < mine),
        );
        let us_party = if mine == us.id {
            us.clone()
        } else {
            store
                .party_by_id(mine)?
                .ok_or_else(|| crate::store::StoreError::Corrupt("missing party".into()))?
        };
        shown.push(Change {
            them: (&them).into(),
            us: (&us_party).into(),
            story,
            window: window.into(),
            before: before.into(),
        });
    }
    Ok((shown, total))
}

/// A pair's flows as a balance seen from them: `them_low` when they are the
/// pair's low side.
fn seen(flows: &[Flow; 2], them_low: bool) -> balans_core::Balance {
    let (a_to_b, b_to_a) = if them_low {
        (flows[0], flows[1])
    } else {
        (flows[1], flows[0])
    };
    balans_core::Balance {
        a_to_b: a_to_b.sum,
        b_to_a: b_to_a.sum,
        count: a_to_b.count + b_to_a.count,
        first: [a_to_b.first, b_to_a.first].into_iter().flatten().min(),
        last: [a_to_b.last, b_to_a.last].into_iter().flatten().max(),
    }
}

/// Parties whose gestures are read one by one for the window before, at most:
/// beyond them the window is read whole (one pass over its time, as
/// [`pair_window`] reads the window).
const BEFORE_BY_PARTY_MAX: usize = 200;
/// Gestures read a page at a time.
const BEFORE_PAGE: usize = 10_000;

/// The window before `span`'s for the pairs `wanted` (their side, our side):
/// from the gestures of their side (and at organization level of its people),
/// which are few beside the gestures of ours.
fn before_windows<S: Store + ?Sized>(
    store: &mut S,
    level: Level,
    dimension: Dimension,
    span: Span,
    wanted: &[(PartyId, PartyId)],
) -> Result<FxHashMap<(PartyId, PartyId), PairWindow>, LedgerError> {
    let mut windows = FxHashMap::default();
    if wanted.is_empty() {
        return Ok(windows);
    }
    let keys: rustc_hash::FxHashSet<(PartyId, PartyId)> = wanted
        .iter()
        .map(|&(a, b)| if a < b { (a, b) } else { (b, a) })
        .collect();
    let memberships = match level {
        Level::Organization => store.memberships()?,
        Level::Person => Vec::new(),
    };
    let mut parties: Vec<PartyId> = wanted.iter().map(|w| w.0).collect();
    let theirs: rustc_hash::FxHashSet<PartyId> = parties.iter().copied().collect();
    parties.extend(
        memberships
            .iter()
            .filter(|m| theirs.contains(&m.organization))
            .map(|m| m.person),
    );
    parties.sort_unstable();
    parties.dedup();
    let index =
        (level == Level::Organization).then(|| balans_core::MembershipIndex::new(memberships));
    let range = (span.before_from, span.from);
    if parties.len() > BEFORE_BY_PARTY_MAX {
        let mut all = pair_window(store, level, dimension, range, Some(&theirs))?;
        all.retain(|key, _| keys.contains(key));
        return Ok(all);
    }
    let counted = counted_kinds(store, dimension)?;
    let mut after_seq = None;
    loop {
        let page = store.find_gestures(&crate::store::GestureFilter {
            any_of: Some(parties.clone()),
            from: Some(range.0),
            until: Some(range.1),
            after_seq,
            limit: BEFORE_PAGE,
            ..crate::store::GestureFilter::default()
        })?;
        for stored in &page {
            let g = &stored.gesture;
            if !counted.contains(&g.kind) {
                continue;
            }
            // A reversal counts at its original's time.
            let attributed_at = match &g.reverses {
                None => g.at,
                Some(id) => store.gesture(id)?.map_or(g.at, |o| o.gesture.at),
            };
            let row = FlowRow {
                giver: g.giver,
                receiver: g.receiver,
                giver_org: g.giver_org,
                receiver_org: g.receiver_org,
                kind: g.kind,
                amount: g.amount,
                at: g.at,
                attributed_at,
            };
            if let Some((key, forward)) = pair_of(index.as_ref(), None, &row) {
                if keys.contains(&key) {
                    tally(windows.entry(key).or_default(), forward, &row)?;
                }
            }
        }
        match page.last() {
            Some(last) if page.len() == BEFORE_PAGE => after_seq = Some(last.seq),
            _ => return Ok(windows),
        }
    }
}
