//! The organization level and the months: following a membership change by
//! moving the stored gestures it moves, and rebuilt from the gestures when a
//! change moves many, when the time zone changes, and once for a store that
//! held gestures before months were kept.

use balans_core::{
    BalanceMap, Dimension, GestureId, Level, Membership, Moment, MonthKey, PairKey, PartyId,
    PartySumKey, Totals, Zone, rollup,
};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::LedgerError;
use crate::snapshot::Snapshot;
use crate::store::{GestureFilter, Store, StoreError, in_transaction};

/// Recomputes every organization-level balance from the gestures and the current
/// memberships; fails, naming the gesture, when a gesture can no longer be
/// attributed (a person now in several organizations with none named).
pub fn rebuild_organization_level<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
) -> Result<(), LedgerError> {
    let mut balances = BalanceMap::new();
    let mut problem = None;
    store.for_each_gesture(&mut |stored| {
        let g = &stored.gesture;
        match snapshot.units(g, stored.attributed_at) {
            Ok((giver, receiver)) => {
                if giver != receiver {
                    let (key, forward) =
                        PairKey::directed(Level::Organization, giver, receiver, g.dimension);
                    balances
                        .add(key, Totals::of(forward, g.amount, g.at))
                        .map_err(|e| StoreError::Overflow(e.to_string()))?;
                    if g.dimension == Dimension::Credit {
                        let month = snapshot.zone.month_of(g.at);
                        balances
                            .add_month(giver, receiver, month, g.amount, g.at)
                            .map_err(|e| StoreError::Overflow(e.to_string()))?;
                    }
                }
            }
            Err(e) if problem.is_none() => {
                problem = Some((
                    format!(
                        "gesture '{}' ({}) would no longer count for one organization: {}",
                        g.id,
                        snapshot.describe(g),
                        e
                    ),
                    snapshot.describe(g),
                ))
            }
            Err(_) => {}
        }
        Ok(())
    })?;
    if let Some(problem) = problem {
        let (message, gesture) = problem;
        return Err(LedgerError::clash(
            message,
            balans_core::said::Code::NoLongerAttributable,
            &[("gesture", &gesture)],
        ));
    }
    let sorted = balances.sorted();
    store.replace_level(Level::Organization, &sorted)?;
    store.replace_party_totals(Level::Organization, &crate::record::party_sums_of(&sorted)?)?;
    store.replace_months(&balances.drain_months())?;
    Ok(())
}

/// The setting that says the monthly credit is complete: a store that held
/// gestures before months were kept has them computed once, on first open.
const MONTHS_BUILT: &str = "months_built";

/// Computes the monthly credit of a store that holds gestures from before it was
/// kept; does nothing otherwise.
pub fn ensure_months<S: Store + ?Sized>(store: &mut S) -> Result<(), LedgerError> {
    if store.setting(MONTHS_BUILT)?.as_deref() == Some("1") {
        return Ok(());
    }
    in_transaction(store, |store| {
        let snapshot = Snapshot::load(store)?;
        rebuild_organization_level(store, &snapshot)?;
        store.set_setting(MONTHS_BUILT, "1")?;
        Ok(())
    })
}

/// More changed memberships than this are followed by rebuilding the level
/// without looking: looking costs a read of each person's later gestures.
const CHANGES_LOOKED_AT_MAX: usize = 64;

/// Moving gestures costs a read of the gestures behind each pair or month that
/// lost its first or last (as over many pairs they often do), one read per
/// side for all its rows; rebuilding the level costs a pass over every
/// gesture (2.4 s for 1 M on SQLite, 1.9 s on PostgreSQL). More moved gestures
/// than one in this many stored, and the level is rebuilt.
/// `balans-bench membership`, 1 M gestures over many pairs on SQLite: an
/// account manager's end a month before their last gesture moves 87 in
/// 0.14 s, a year before 1,037 in 0.68 s; on PostgreSQL (1.15 M, few pairs)
/// 146 in 0.42 s and 1,411 in 0.89 s.
const MOVED_SHARE_MAX: u64 = 512;
/// Moving this many is always allowed: a small store's rebuild is quick, but
/// so are its moves.
const MOVED_MIN: usize = 64;

/// Brings the organization level up to the membership changes `changes` (each
/// new membership with the one it replaced, all of them already in
/// `snapshot`): the stored gestures of their persons attributed where an old
/// and a new period differ move from the organization pair they counted for
/// to the one they count for now, and only the rows of sums they leave and
/// join are written. A membership ended after its person's last gesture moves
/// none. Many changes
/// or many moved gestures rebuild the level instead, as does a gesture the
/// changes leave attributable to no single organization (the rebuild names
/// it).
pub fn follow_membership_changes<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    changes: &[(Option<Membership>, Membership)],
) -> Result<(), LedgerError> {
    if changes.len() > CHANGES_LOOKED_AT_MAX {
        return rebuild_organization_level(store, snapshot);
    }
    // Few moved gestures are moved without counting the stored ones.
    let mut found = moved_gestures(store, snapshot, changes, MOVED_MIN)?;
    if found.is_none() {
        let most = usize::try_from(store.gesture_count()? / MOVED_SHARE_MAX).unwrap_or(usize::MAX);
        if most > MOVED_MIN {
            found = moved_gestures(store, snapshot, changes, most)?;
        }
    }
    match found {
        Some(moved) if moved.is_empty() => Ok(()),
        Some(moved) => move_gestures(store, snapshot, &moved),
        None => rebuild_organization_level(store, snapshot),
    }
}

/// A stored gesture whose organization pair changed: the units it counted
/// for, and those it counts for now.
struct Moved {
    gesture: balans_core::Gesture,
    before: (PartyId, PartyId),
    after: (PartyId, PartyId),
}

/// The gestures the changes move, or `None` when the level is better rebuilt
/// (too many, or one no longer attributable).
fn moved_gestures<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    changes: &[(Option<Membership>, Membership)],
    most: usize,
) -> Result<Option<Vec<Moved>>, LedgerError> {
    // Each changed person's memberships before the changes: undone in reverse.
    let mut before: FxHashMap<PartyId, Vec<Membership>> = FxHashMap::default();
    for (old, new) in changes.iter().rev() {
        let list = before
            .entry(new.person)
            .or_insert_with(|| snapshot.memberships().of_person(new.person).to_vec());
        list.retain(|m| !(m.organization == new.organization && m.from == new.from));
        list.extend(old.iter().cloned());
    }
    let unit_before = |party: PartyId, at: Moment, named: Option<PartyId>| match before.get(&party)
    {
        Some(list) => rollup::unit_among(list, party, at, named),
        None => snapshot.memberships().unit(party, at, named),
    };
    let mut moved = Vec::new();
    let mut seen: FxHashSet<GestureId> = FxHashSet::default();
    for (old, new) in changes {
        let spans = changed_spans(old.as_ref(), new);
        let Some(start) = spans.iter().map(|(from, _)| *from).min() else {
            continue;
        };
        // The person's gestures all fall between their first and their last
        // (a reversal's attribution too): none there, none moves.
        let sums = store.party_totals_of(Level::Person, new.person)?;
        let first = sums.iter().map(|(_, t)| t.first).min();
        let last = sums.iter().map(|(_, t)| t.last).max();
        let (Some(first), Some(last)) = (first, last) else {
            continue;
        };
        if !spans
            .iter()
            .any(|(from, until)| *from <= last && until.is_none_or(|u| first < u))
        {
            continue;
        }
        // A gesture is attributed at its own time, a reversal at its
        // original's: the gestures from the first span's start on hold every
        // original attributed in a span, and their reversals are looked up.
        let mut filter = GestureFilter {
            party: Some(new.person),
            from: Some(start),
            limit: 10_000,
            ..GestureFilter::default()
        };
        let in_span = |at: Moment| {
            spans
                .iter()
                .any(|(from, until)| *from <= at && until.is_none_or(|u| at < u))
        };
        let mut found = Vec::new();
        super::gestures::walk_gestures(store, &mut filter, |stored| {
            if in_span(stored.attributed_at) && !seen.contains(&stored.gesture.id) {
                found.push(stored);
            }
            Ok(found.len() <= most)
        })?;
        if found.len() > most {
            return Ok(None);
        }
        let mut reversals = Vec::new();
        for stored in &found {
            if stored.gesture.reverses.is_none()
                && let Some(reversal) = store.reversal_of(&stored.gesture.id)?
                && let Some(reversal) = store.gesture(&reversal)?
            {
                reversals.push(reversal);
            }
        }
        found.extend(reversals);
        for stored in found {
            if !seen.insert(stored.gesture.id.clone()) {
                continue;
            }
            let at = stored.attributed_at;
            let g = stored.gesture;
            let was = (
                unit_before(g.giver, at, g.giver_org),
                unit_before(g.receiver, at, g.receiver_org),
            );
            let (Ok(a), Ok(b)) = was else {
                return Ok(None);
            };
            let Ok(after) = snapshot.units(&g, at) else {
                return Ok(None);
            };
            if (a, b) != after {
                moved.push(Moved {
                    gesture: g,
                    before: (a, b),
                    after,
                });
            }
        }
        if moved.len() > most {
            return Ok(None);
        }
    }
    Ok(Some(moved))
}

/// What moving gestures does to one row of sums: the sums and count it gains
/// (negative where it loses), the moments of the gestures it loses, and the
/// first and last of those it gains.
#[derive(Default)]
struct Shift {
    low_to_high: i64,
    high_to_low: i64,
    count: i64,
    lost: Vec<Moment>,
    gained: Option<(Moment, Moment)>,
}

impl Shift {
    fn apply(&mut self, totals: &Totals, sign: i64) -> Result<(), StoreError> {
        let add = |sum: i64, delta: i64| {
            delta
                .checked_mul(sign)
                .and_then(|d| sum.checked_add(d))
                .ok_or_else(overflow)
        };
        self.low_to_high = add(self.low_to_high, totals.low_to_high)?;
        self.high_to_low = add(self.high_to_low, totals.high_to_low)?;
        self.count = add(self.count, 1)?;
        if sign < 0 {
            self.lost.push(totals.first);
        } else {
            self.gained = Some(match self.gained {
                Some((first, last)) => (first.min(totals.first), last.max(totals.last)),
                None => (totals.first, totals.last),
            });
        }
        Ok(())
    }

    /// The row after the shift, from the stored one.
    fn after(&self, stored: Option<&Totals>) -> Result<After, StoreError> {
        let zero = Totals::from_values([0; 5]);
        let stored = stored.unwrap_or(&zero);
        let count = stored.count + self.count;
        if count <= 0 {
            return Ok(After::Gone);
        }
        let sum = |a: i64, b: i64| a.checked_add(b).ok_or_else(overflow);
        let mut totals = Totals {
            low_to_high: sum(stored.low_to_high, self.low_to_high)?,
            high_to_low: sum(stored.high_to_low, self.high_to_low)?,
            count,
            first: stored.first,
            last: stored.last,
        };
        let lost_first = stored.count > 0 && self.lost.contains(&stored.first);
        let lost_last = stored.count > 0 && self.lost.contains(&stored.last);
        if lost_first || lost_last {
            return Ok(After::EdgesLost(Edges {
                totals,
                gained: self.gained,
                lost_first,
                lost_last,
            }));
        }
        if let Some((first, last)) = self.gained {
            if stored.count == 0 {
                (totals.first, totals.last) = (first, last);
            } else {
                totals.first = totals.first.min(first);
                totals.last = totals.last.max(last);
            }
        }
        Ok(After::Exact(totals))
    }
}

fn overflow() -> StoreError {
    StoreError::Overflow("moving gestures between organization pairs".into())
}

/// A row of sums after gestures moved.
enum After {
    /// No gesture left.
    Gone,
    Exact(Totals),
    /// A gesture it lost was its first or its last.
    EdgesLost(Edges),
}

/// A row that lost its first or its last gesture: the sums and count are
/// right, the first and last still those stored; what was lost is the first
/// or last of the gestures gained (if any) and of those that stayed, looked
/// up among the stored ones between the two.
struct Edges {
    totals: Totals,
    gained: Option<(Moment, Moment)>,
    lost_first: bool,
    lost_last: bool,
}

impl Edges {
    /// The row, with `stayed` (the first and last of the stored gestures that
    /// count for it now, or the last alone when only that was lost); `what`
    /// names the row in the error of a row whose gestures are not found.
    fn finish(
        self,
        stayed: Option<(Moment, Moment)>,
        what: impl FnOnce() -> String,
    ) -> Result<Totals, LedgerError> {
        let Edges {
            mut totals,
            gained,
            lost_first,
            lost_last,
        } = self;
        let merge =
            |a: Option<Moment>, b: Option<Moment>, pick: fn(Moment, Moment) -> Moment| match (a, b)
            {
                (Some(a), Some(b)) => Some(pick(a, b)),
                (a, b) => a.or(b),
            };
        let kept = |lost: bool, edge: Moment| (!lost).then_some(edge);
        let first = merge(
            merge(
                kept(lost_first, totals.first),
                gained.map(|g| g.0),
                Moment::min,
            ),
            stayed.map(|s| s.0).filter(|_| lost_first),
            Moment::min,
        );
        let last = merge(
            merge(
                kept(lost_last, totals.last),
                gained.map(|g| g.1),
                Moment::max,
            ),
            stayed.map(|s| s.1),
            Moment::max,
        );
        let (Some(first), Some(last)) = (first, last) else {
            return Err(StoreError::Corrupt(format!(
                "the sums of {} count gestures that are not stored",
                what()
            ))
            .into());
        };
        (totals.first, totals.last) = (first, last);
        Ok(totals)
    }
}

/// A row whose lost first or last is looked up: a pair's balance or an
/// organization's month.
#[derive(Clone, Copy)]
enum Row {
    Pair(PairKey),
    Month(MonthKey),
}

impl Row {
    /// Whether a gesture attributed to `units` now counts for the row.
    fn counts(&self, g: &balans_core::Gesture, (a, b): (PartyId, PartyId), zone: &Zone) -> bool {
        a != b
            && match self {
                Row::Pair(key) => {
                    PairKey::directed(Level::Organization, a, b, g.dimension).0 == *key
                }
                Row::Month((party, month)) => {
                    g.dimension == Dimension::Credit
                        && (a == *party || b == *party)
                        && zone.month_of(g.at) == *month
                }
            }
    }

    fn units(&self) -> Vec<PartyId> {
        match self {
            Row::Pair(key) => vec![key.low, key.high],
            Row::Month((party, _)) => vec![*party],
        }
    }

    fn what(&self, snapshot: &Snapshot) -> String {
        match self {
            Row::Pair(key) => format!("{} and {}", snapshot.key(key.low), snapshot.key(key.high)),
            Row::Month((party, _)) => format!("the credit of {} in a month", snapshot.key(*party)),
        }
    }
}

/// The rows that lost their first or last, settled: each looked up among the
/// gestures of the parties behind one of its units (each unit, and everyone
/// who was ever a member of it: the side with fewer), read newest first, once
/// for all the rows read through the same side. Unless a row of the side lost
/// its first, the read stops when each has found its last.
fn settle_edges<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    lost: Vec<(Row, Edges)>,
) -> Result<Vec<(Row, Totals)>, LedgerError> {
    if lost.is_empty() {
        return Ok(Vec::new());
    }
    // Each unit's side: itself and everyone who was ever a member of it.
    let mut members: FxHashMap<PartyId, Vec<PartyId>> = FxHashMap::default();
    for m in snapshot.memberships().iter() {
        members.entry(m.organization).or_default().push(m.person);
    }
    let mut sides: FxHashMap<PartyId, Vec<PartyId>> = FxHashMap::default();
    let mut groups: FxHashMap<PartyId, Vec<usize>> = FxHashMap::default();
    for (i, (row, _)) in lost.iter().enumerate() {
        let mut best: Option<PartyId> = None;
        for unit in row.units() {
            let len = sides
                .entry(unit)
                .or_insert_with(|| {
                    let mut side = members.remove(&unit).unwrap_or_default();
                    side.sort_unstable();
                    side.dedup();
                    side.push(unit);
                    side
                })
                .len();
            if best.is_none_or(|b| len < sides[&b].len()) {
                best = Some(unit);
            }
        }
        let side = best.expect("a row has a unit");
        groups.entry(side).or_default().push(i);
    }
    let mut stayed: Vec<Option<(Moment, Moment)>> = vec![None; lost.len()];
    let mut groups: Vec<(PartyId, Vec<usize>)> = groups.into_iter().collect();
    groups.sort_unstable_by_key(|(unit, _)| *unit);
    for (unit, rows) in groups {
        let from = rows.iter().map(|i| lost[*i].1.totals.first).min();
        let until = rows.iter().map(|i| lost[*i].1.totals.last).max();
        let (Some(from), Some(until)) = (from, until) else {
            continue;
        };
        let want_first = rows.iter().any(|i| lost[*i].1.lost_first);
        let mut filter = GestureFilter {
            any_of: Some(sides[&unit].clone()),
            from: Some(from),
            until: Some(Moment::from_millis(until.millis().saturating_add(1))),
            // In stored order a store may read every gesture for the time
            // range; newest first it reads a slice of time, or the side's own.
            newest_first: true,
            limit: 10_000,
            ..GestureFilter::default()
        };
        let mut problem = None;
        let mut open = rows.len();
        super::gestures::walk_gestures(store, &mut filter, |found| {
            let units = match snapshot.units(&found.gesture, found.attributed_at) {
                Ok(units) => units,
                Err(e) => {
                    problem = Some(e.to_string());
                    return Ok(false);
                }
            };
            let at = found.gesture.at;
            for i in &rows {
                if lost[*i].0.counts(&found.gesture, units, &snapshot.zone) {
                    if stayed[*i].is_none() {
                        open -= 1;
                    }
                    stayed[*i] = Some(stayed[*i].map_or((at, at), |(f, l)| (f.min(at), l.max(at))));
                }
            }
            Ok(want_first || open > 0)
        })?;
        if let Some(problem) = problem {
            return Err(StoreError::Corrupt(problem).into());
        }
    }
    lost.into_iter()
        .zip(stayed)
        .map(|((row, edges), stayed)| Ok((row, edges.finish(stayed, || row.what(snapshot))?)))
        .collect()
}

/// Moves gestures between organization pairs: their balances, the months of
/// their credit and the parties' sums, each row written anew with exact totals.
fn move_gestures<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    moved: &[Moved],
) -> Result<(), LedgerError> {
    let mut pairs: FxHashMap<PairKey, Shift> = FxHashMap::default();
    let mut months: FxHashMap<MonthKey, Shift> = FxHashMap::default();
    for m in moved {
        let g = &m.gesture;
        for ((giver, receiver), sign) in [(m.before, -1), (m.after, 1)] {
            if giver == receiver {
                continue;
            }
            let (key, forward) =
                PairKey::directed(Level::Organization, giver, receiver, g.dimension);
            pairs
                .entry(key)
                .or_default()
                .apply(&Totals::of(forward, g.amount, g.at), sign)?;
            if g.dimension == Dimension::Credit {
                let month = snapshot.zone.month_of(g.at);
                for (party, given) in [(giver, true), (receiver, false)] {
                    months
                        .entry((party, month))
                        .or_default()
                        .apply(&Totals::of(given, g.amount, g.at), sign)?;
                }
            }
        }
    }

    // The balances: each pair's rows as stored, then as they become.
    let mut pair_rows: Vec<(PairKey, Totals)> = Vec::new();
    let mut lost = Vec::new();
    let mut units: Vec<(PartyId, PartyId)> = pairs.keys().map(|k| (k.low, k.high)).collect();
    units.sort_unstable();
    units.dedup();
    for (low, high) in &units {
        let stored = store.pair(Level::Organization, *low, *high)?;
        for dimension in Dimension::ALL {
            let key = PairKey {
                level: Level::Organization,
                low: *low,
                high: *high,
                dimension,
            };
            let Some(shift) = pairs.get(&key) else {
                continue;
            };
            let was = stored.iter().find(|(k, _)| *k == key).map(|(_, t)| t);
            match shift.after(was)? {
                After::Exact(totals) => pair_rows.push((key, totals)),
                After::Gone => {}
                After::EdgesLost(edges) => lost.push((Row::Pair(key), edges)),
            }
        }
    }

    // The months of credit, the same way, each party's read once; then the
    // rows that lost their first or last.
    let mut month_rows: Vec<(MonthKey, Totals)> = Vec::new();
    let mut month_keys: Vec<MonthKey> = months.keys().copied().collect();
    month_keys.sort_unstable();
    let mut stored_months: Vec<(i32, Totals)> = Vec::new();
    for (i, key) in month_keys.iter().enumerate() {
        let (party, month) = *key;
        if i == 0 || month_keys[i - 1].0 != party {
            stored_months = store.months_of(party)?;
        }
        let was = stored_months
            .iter()
            .find(|(m, _)| *m == month)
            .map(|(_, t)| *t);
        match months[key].after(was.as_ref())? {
            After::Exact(totals) => month_rows.push((*key, totals)),
            After::Gone => {}
            After::EdgesLost(edges) => lost.push((Row::Month(*key), edges)),
        }
    }
    for (row, totals) in settle_edges(store, snapshot, lost)? {
        match row {
            Row::Pair(key) => pair_rows.push((key, totals)),
            Row::Month(key) => month_rows.push((key, totals)),
        }
    }

    // Each party's sums, from its balances as they become: all read before
    // anything is written, as a read inside a write first writes what is pending.
    let mut new_rows: FxHashMap<PartyId, Vec<(PairKey, Totals)>> = FxHashMap::default();
    for (key, totals) in &pair_rows {
        for party in [key.low, key.high] {
            new_rows.entry(party).or_default().push((*key, *totals));
        }
    }
    let mut parties: Vec<PartyId> = units.iter().flat_map(|(a, b)| [*a, *b]).collect();
    parties.sort_unstable();
    parties.dedup();
    let mut party_keys = Vec::new();
    let mut party_rows = Vec::new();
    for party in parties {
        let mut rows: Vec<(PairKey, Totals)> = store
            .balances_of(Level::Organization, party)?
            .into_iter()
            .filter(|(k, _)| !pairs.contains_key(k))
            .collect();
        rows.extend(new_rows.remove(&party).unwrap_or_default());
        let sums = balans_core::party_sums(rows.iter().map(|(k, t)| (k, t)))
            .map_err(|e| StoreError::Overflow(e.to_string()))?;
        party_rows.extend(sums.into_iter().filter(|(k, _)| k.party == party));
        party_keys.extend(Dimension::ALL.map(|dimension| PartySumKey {
            level: Level::Organization,
            party,
            dimension,
        }));
    }

    let pair_keys: Vec<PairKey> = pairs.keys().copied().collect();
    store.remove_sums(&pair_keys, &month_keys, &party_keys)?;
    pair_rows.sort_unstable_by_key(|(k, _)| *k);
    store.add_to_balances(&pair_rows)?;
    month_rows.sort_unstable_by_key(|(k, _)| *k);
    store.add_to_months(&month_rows)?;
    store.add_to_party_totals(&party_rows)?;
    Ok(())
}

/// Where a membership's period changed: the spans in the old period or the new
/// one but not both (`None`: without end).
fn changed_spans(old: Option<&Membership>, new: &Membership) -> Vec<(Moment, Option<Moment>)> {
    let Some(old) = old else {
        return vec![(new.from, new.until)];
    };
    let mut spans = Vec::new();
    if old.from != new.from {
        spans.push((old.from.min(new.from), Some(old.from.max(new.from))));
    }
    if old.until != new.until {
        let (earlier, later) = match (old.until, new.until) {
            (Some(a), Some(b)) => (a.min(b), Some(a.max(b))),
            (Some(a), None) | (None, Some(a)) => (a, None),
            (None, None) => unreachable!("the ends differ"),
        };
        spans.push((earlier, later));
    }
    spans
}
