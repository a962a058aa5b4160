//! Read models for the web pages: a period's gestures by kind, and a party's
//! credit over time.

use balans_core::{Dimension, Level, Moment, PartyKind};
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::LedgerError;
use crate::ledger::{NetSum, PartyRef, find_party};
use crate::store::{Store, in_read};

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
    let counts: FxHashMap<balans_core::KindId, (u64, i64)> = store
        .kind_totals(from, until)?
        .into_iter()
        .map(|(kind, count, total)| (kind, (count, total)))
        .collect();
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
                total: NetSum(i128::from(total)),
            })
        })
        .collect();
    list.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(&b.code)));
    Ok(list)
}

/// A party's credit over time: what it gave and received.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub party: PartyRef,
    pub level: Level,
    /// Credit given by the party, in all.
    pub given: NetSum,
    /// Credit received by the party, in all.
    pub received: NetSum,
    /// Per day (a person) or month (an organization) with gestures, in the
    /// store's time zone: its start, its name (`YYYY-MM-DD` or `YYYY-MM`), and the
    /// net credit (given minus received) accumulated up to its end.
    pub points: Vec<(Moment, String, NetSum)>,
}

const HOUR_MS: i64 = 60 * 60 * 1000;

/// The credit timeline of the party with this key. An organization's counts its
/// people's gestures, as its balances do, per month; a person's counts their own,
/// per day.
pub fn timeline<S: Store + ?Sized>(store: &mut S, key: &str) -> Result<Timeline, LedgerError> {
    in_read(store, |store| {
        let party = find_party(store, key)?;
        let zone = crate::store::zone_of(store)?;
        let (mut given, mut received) = (0i128, 0i128);
        let mut running = 0i128;
        let mut points = Vec::new();
        let level = match party.fields.kind {
            PartyKind::Organization => {
                for (month, totals) in store.months_of(party.id)? {
                    given += i128::from(totals.low_to_high);
                    received += i128::from(totals.high_to_low);
                    running += i128::from(totals.low_to_high) - i128::from(totals.high_to_low);
                    let name = format!(
                        "{:04}-{:02}",
                        month.div_euclid(12),
                        month.rem_euclid(12) + 1
                    );
                    points.push((zone.month_start(month), name, NetSum(running)));
                }
                Level::Organization
            }
            PartyKind::Person => {
                let credit: Vec<_> = store
                    .kinds()?
                    .into_iter()
                    .filter(|k| k.def.dimension == Dimension::Credit)
                    .map(|k| k.id)
                    .collect();
                let mut days: std::collections::BTreeMap<String, (Moment, i128)> =
                    Default::default();
                for (hour, gave, got) in store.credit_hours(party.id, &credit)? {
                    given += i128::from(gave);
                    received += i128::from(got);
                    let start = Moment::from_millis(hour * HOUR_MS);
                    let day = start.display_in(&zone);
                    let entry = days
                        .entry(day.get(..10).unwrap_or(&day).to_string())
                        .or_insert((zone.start_of_day(start), 0));
                    entry.1 += i128::from(gave) - i128::from(got);
                }
                for (day, (start, change)) in days {
                    running += change;
                    points.push((start, day, NetSum(running)));
                }
                Level::Person
            }
        };
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
        let mut filter = crate::store::GestureFilter {
            newest_first: true,
            limit,
            ..crate::store::GestureFilter::default()
        };
        let mut found = match level {
            Level::Person => {
                filter.party = Some(a.id);
                filter.counterpart = Some(b.id);
                store.find_gestures(&filter)?
            }
            Level::Organization => {
                crate::ledger::attributed_gestures(store, a.id, Some(b.id), &mut filter)?
            }
        };
        found.sort_by_key(|s| (s.gesture.at, s.seq));
        let kinds = store.kinds()?;
        let zone = crate::store::zone_of(store)?;
        crate::ledger::gesture_views(store, &kinds, &zone, found)
    })
}
