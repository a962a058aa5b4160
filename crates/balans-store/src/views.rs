//! Read models for the web pages: a period's gestures by kind, and a party's
//! credit over time.

use balans_core::{Dimension, Level, Moment, PartyKind};
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::ledger::{NetSum, PartyRef, find_party};
use crate::snapshot::Snapshot;
use crate::store::{GestureFilter, Store, in_read};
use crate::{LedgerError, StoreError};

/// How many gestures of one kind a period holds, and their total.
#[derive(Debug, Clone, Serialize)]
pub struct KindCount {
    pub code: String,
    pub label_nl: String,
    pub label_en: String,
    pub dimension: Dimension,
    pub count: u64,
    pub total: NetSum,
}

impl KindCount {
    /// A take: a gesture of negative value.
    pub fn is_take(&self) -> bool {
        self.total.0 < 0
    }
}

/// The gestures given in `[from, until)` by kind, most frequent first.
pub fn kinds_in_period<S: Store + ?Sized>(
    store: &mut S,
    from: Moment,
    until: Moment,
) -> Result<Vec<KindCount>, LedgerError> {
    let kinds = store.kinds()?;
    let mut counts: FxHashMap<balans_core::KindId, (u64, i128)> = FxHashMap::default();
    let mut filter = GestureFilter {
        from: Some(from),
        until: Some(until),
        limit: 5_000,
        ..GestureFilter::default()
    };
    loop {
        let page = store.find_gestures(&filter)?;
        for stored in &page {
            let entry = counts.entry(stored.gesture.kind).or_default();
            entry.0 += 1;
            entry.1 += i128::from(stored.gesture.amount.minor());
        }
        match page.last() {
            Some(last) if page.len() == filter.limit => filter.after_seq = Some(last.seq),
            _ => break,
        }
    }
    let mut list: Vec<KindCount> = kinds
        .into_iter()
        .filter_map(|kind| {
            let (count, total) = counts.get(&kind.id).copied()?;
            Some(KindCount {
                code: kind.def.code.to_string(),
                label_nl: kind.def.label_nl,
                label_en: kind.def.label_en,
                dimension: kind.def.dimension,
                count,
                total: NetSum(total),
            })
        })
        .collect();
    list.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(&b.code)));
    Ok(list)
}

/// A party's credit over time: what it gave and received, summed per day.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub party: PartyRef,
    pub level: Level,
    /// Credit given by the party, in all.
    pub given: NetSum,
    /// Credit received by the party, in all.
    pub received: NetSum,
    /// Per day with gestures, in the store's time zone: the day's first gesture's
    /// moment, the day as `YYYY-MM-DD`, and the net credit (given minus received)
    /// accumulated up to the end of that day.
    pub points: Vec<(Moment, String, NetSum)>,
}

/// The credit timeline of the party with this key: at organization level for an
/// organization (its people's gestures count for it, as in its balances), at
/// person level for a person.
pub fn timeline<S: Store + ?Sized>(store: &mut S, key: &str) -> Result<Timeline, LedgerError> {
    in_read(store, |store| {
        let party = find_party(store, key)?;
        let level = match party.fields.kind {
            PartyKind::Organization => Level::Organization,
            PartyKind::Person => Level::Person,
        };
        let snapshot = Snapshot::load(store)?;
        let zone = crate::snapshot::zone_of(store)?;
        let mut days: std::collections::BTreeMap<String, (Moment, i128)> = Default::default();
        let (mut given, mut received) = (0i128, 0i128);
        store.for_each_gesture(&mut |stored| {
            let g = &stored.gesture;
            if g.dimension != Dimension::Credit {
                return Ok(());
            }
            let (giver, receiver) = match level {
                Level::Person => (g.giver, g.receiver),
                Level::Organization => match snapshot.units(g, stored.attributed_at) {
                    Ok(units) => units,
                    Err(_) => return Ok(()),
                },
            };
            if giver == receiver {
                return Ok(());
            }
            let amount = i128::from(g.amount.minor());
            let change = if giver == party.id {
                given += amount;
                amount
            } else if receiver == party.id {
                received += amount;
                -amount
            } else {
                return Ok(());
            };
            let day = g.at.display_in(&zone);
            let entry = days
                .entry(day.get(..10).unwrap_or(&day).to_string())
                .or_insert((g.at, 0));
            entry.0 = entry.0.min(g.at);
            entry.1 += change;
            Ok::<(), StoreError>(())
        })?;
        let mut running = 0i128;
        let points = days
            .into_iter()
            .map(|(day, (first, change))| {
                running += change;
                (first, day, NetSum(running))
            })
            .collect();
        Ok(Timeline {
            party: (&party).into(),
            level,
            given: NetSum(given),
            received: NetSum(received),
            points,
        })
    })
}

/// The gestures that count for the pair `a`, `b` at `level`, oldest first: at
/// organization level those between their people too, as their balance counts
/// them. At most `limit`, the latest kept.
pub fn pair_gestures<S: Store + ?Sized>(
    store: &mut S,
    a: &str,
    b: &str,
    level: Level,
    limit: usize,
) -> Result<Vec<crate::ledger::GestureView>, LedgerError> {
    in_read(store, |store| {
        let a = find_party(store, a)?;
        let b = find_party(store, b)?;
        let snapshot = Snapshot::load(store)?;
        let mut found = std::collections::VecDeque::new();
        store.for_each_gesture(&mut |stored| {
            let g = &stored.gesture;
            let (giver, receiver) = match level {
                Level::Person => (g.giver, g.receiver),
                Level::Organization => match snapshot.units(g, stored.attributed_at) {
                    Ok(units) => units,
                    Err(_) => return Ok(()),
                },
            };
            if (giver == a.id && receiver == b.id) || (giver == b.id && receiver == a.id) {
                if found.len() == limit {
                    found.pop_front();
                }
                found.push_back(stored.clone());
            }
            Ok::<(), StoreError>(())
        })?;
        let mut found: Vec<_> = found.into();
        found.sort_by_key(|s| (s.gesture.at, s.seq));
        let kinds = store.kinds()?;
        let zone = crate::snapshot::zone_of(store)?;
        crate::ledger::gesture_views(store, &kinds, &zone, found)
    })
}
