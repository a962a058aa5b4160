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

/// What one side gave the other in one dimension, gifts and takes apart: the
/// balance's sum is `given − taken`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct GaveTook {
    /// The sum of the gestures of positive value.
    pub given: NetSum,
    /// The size of the sum of the takes (gestures of negative value).
    pub taken: NetSum,
}

/// Gifts and takes per direction and dimension, seen from `a`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Split {
    pub credit: (GaveTook, GaveTook),
    pub money: (GaveTook, GaveTook),
}

impl Split {
    fn add(&mut self, from_a: bool, dimension: Dimension, amount: balans_core::Amount) {
        let (a_to_b, b_to_a) = match dimension {
            Dimension::Credit => (&mut self.credit.0, &mut self.credit.1),
            Dimension::Money => (&mut self.money.0, &mut self.money.1),
        };
        let side = if from_a { a_to_b } else { b_to_a };
        let minor = i128::from(amount.minor());
        if minor >= 0 {
            side.given.0 += minor;
        } else {
            side.taken.0 -= minor;
        }
    }
}

/// What a relationship page shows: the pair's balance at a level, its gifts and
/// takes apart, the parties behind it when it is a person's part of an
/// organization's relationships, and the latest gestures that count for it,
/// oldest first.
#[derive(Debug, Clone)]
pub struct Relationship {
    pub pair: crate::ledger::PairView,
    /// Gifts and takes apart, when every gesture of the pair was read (at most
    /// the `limit` asked for).
    pub split: Option<Split>,
    /// For a person's part: the same split by the party the gestures named on
    /// the organization's side. Empty otherwise.
    pub behind: Vec<crate::ledger::PairView>,
    pub gestures: Vec<crate::ledger::GestureView>,
    /// How many gestures count for it, shown or not.
    pub total: usize,
}

/// The relationship of `a` and `b` at `level` (the default level when `None`),
/// with at most `limit` gestures, the latest. A person's part reads every
/// gesture of the person with the organization's people; a stored pair only its
/// latest `limit`.
pub fn relationship<S: Store + ?Sized>(
    store: &mut S,
    a: &str,
    b: &str,
    level: Option<Level>,
    limit: usize,
) -> Result<Relationship, LedgerError> {
    in_read(store, |store| {
        let (party_a, party_b) = (find_party(store, a)?, find_party(store, b)?);
        let level = level.unwrap_or_else(|| crate::ledger::default_level(&party_a, Some(&party_b)));
        let is_part = level == Level::Organization
            && crate::ledger::person_and_organization(&party_a, &party_b).is_some();
        let (pair, behind, mut found, index) = if is_part {
            let part = crate::ledger::person_part(store, &party_a, &party_b)?;
            (part.pair, part.behind, part.gestures, None)
        } else {
            let pair = crate::ledger::pair_balance(store, a, b, Some(level))?;
            // The latest `limit`, newest first: all of them when the pair has no
            // more, and then its gifts and takes can be counted apart.
            let mut filter = crate::store::GestureFilter {
                limit,
                newest_first: true,
                ..crate::store::GestureFilter::default()
            };
            let (found, index) = match level {
                Level::Person => {
                    filter.party = Some(party_a.id);
                    filter.counterpart = Some(party_b.id);
                    (store.find_gestures(&filter)?, None)
                }
                Level::Organization => {
                    let found = crate::ledger::attributed_gestures(
                        store,
                        party_a.id,
                        Some(party_b.id),
                        &mut filter,
                    )?;
                    let mut people: Vec<_> = store
                        .members_of(party_a.id)?
                        .iter()
                        .map(|m| m.person)
                        .collect();
                    people.push(party_a.id);
                    let index =
                        balans_core::MembershipIndex::new(store.memberships_of_many(&people)?);
                    (found, Some(index))
                }
            };
            (pair, Vec::new(), found, index)
        };
        let total = usize::try_from(pair.credit.count + pair.money.count).unwrap_or(usize::MAX);
        let complete = found.len() >= total;
        let mut split = Split::default();
        for stored in &found {
            let g = &stored.gesture;
            let from_a = match &index {
                // At organization level, the giver's side is the one it rolls up to.
                Some(index) => {
                    index.unit(g.giver, stored.attributed_at, g.giver_org).ok() == Some(party_a.id)
                }
                None if is_part => {
                    let person = if party_a.fields.kind == PartyKind::Person {
                        party_a.id
                    } else {
                        party_b.id
                    };
                    (g.giver == person) == (person == party_a.id)
                }
                None => g.giver == party_a.id,
            };
            split.add(from_a, g.dimension, g.amount);
        }
        found.sort_by_key(|s| (s.gesture.at, s.seq));
        let latest = found.split_off(found.len().saturating_sub(limit));
        let kinds = store.kinds()?;
        let zone = crate::store::zone_of(store)?;
        let gestures = crate::ledger::gesture_views(store, &kinds, &zone, latest)?;
        Ok(Relationship {
            pair,
            split: complete.then_some(split),
            behind,
            gestures,
            total,
        })
    })
}

/// How the parties list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PartySort {
    #[default]
    Name,
    /// By net credit points, largest first (or smallest, reversed).
    Credit,
    /// By net money.
    Money,
    /// By the moment of the latest gesture, latest first.
    LastContact,
}

impl PartySort {
    pub fn parse(text: &str) -> Option<PartySort> {
        match text {
            "name" => Some(PartySort::Name),
            "credit" => Some(PartySort::Credit),
            "money" => Some(PartySort::Money),
            "last" => Some(PartySort::LastContact),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            PartySort::Name => "name",
            PartySort::Credit => "credit",
            PartySort::Money => "money",
            PartySort::LastContact => "last",
        }
    }
}

/// What the parties list shows: every field narrows it.
#[derive(Debug, Clone, Default)]
pub struct PartyListQuery {
    /// Part of a name or key, ignoring case and accents.
    pub text: Option<String>,
    pub kind: Option<PartyKind>,
    /// The key of an organization: its people, past and present.
    pub organization: Option<String>,
    /// Only parties whose credit is one-sided (evenness below 50%).
    pub uneven: bool,
    pub sort: PartySort,
    /// The other way round from the sort's own order.
    pub reversed: bool,
    /// Counted from 0.
    pub page: usize,
    /// Rows per page; every row when 0.
    pub per_page: usize,
}

/// One party in the list, with its balances with everyone summed at its own
/// level (organization level for an organization, person level for a person).
#[derive(Debug, Clone)]
pub struct PartyRow {
    pub party: PartyRef,
    pub level: Level,
    /// Credit given and received, with everyone.
    pub credit: balans_core::Balance,
    pub money: balans_core::Balance,
    /// The latest gesture in either dimension.
    pub last: Option<Moment>,
    /// The same in the store's time zone, with its offset.
    pub last_local: Option<String>,
}

impl PartyRow {
    fn of(
        party: &balans_core::Party,
        level: Level,
        credit: balans_core::Balance,
        money: balans_core::Balance,
        zone: &balans_core::Zone,
    ) -> PartyRow {
        let last = credit.last.max(money.last);
        PartyRow {
            party: party.into(),
            level,
            last,
            last_local: last.map(|m| m.display_in(zone)),
            credit,
            money,
        }
    }

    /// A party with one-sided credit: evenness below 50%.
    pub fn is_uneven(&self) -> bool {
        self.credit.evenness().is_some_and(|e| e.0 < 5_000)
    }
}

/// A page of the parties list.
#[derive(Debug, Clone)]
pub struct PartyList {
    pub rows: Vec<PartyRow>,
    /// How many parties match, on every page.
    pub total: usize,
}

/// The parties matching `query`, with their summed balances, ordered and paged.
/// Reads every party and sums each level's balances once (see
/// [`crate::store::BalanceStore::party_totals`]).
pub fn party_list<S: Store + ?Sized>(
    store: &mut S,
    query: &PartyListQuery,
) -> Result<PartyList, LedgerError> {
    in_read(store, |store| {
        let wanted = query
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(crate::ledger::folded);
        let all = store.parties()?;
        let zone = crate::store::zone_of(store)?;
        let members: Option<Vec<balans_core::PartyId>> = match query.organization.as_deref() {
            None => None,
            Some(text) => {
                let organization = organization_named(&all, text)?;
                let mut ids: Vec<_> = store
                    .members_of(organization)?
                    .iter()
                    .map(|m| m.person)
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                Some(ids)
            }
        };
        let parties: Vec<balans_core::Party> = all
            .into_iter()
            .filter(|p| query.kind.is_none_or(|k| p.fields.kind == k))
            .filter(|p| {
                members
                    .as_ref()
                    .is_none_or(|m| m.binary_search(&p.id).is_ok())
            })
            .filter(|p| {
                wanted.as_deref().is_none_or(|w| {
                    crate::ledger::folded(&p.fields.name).contains(w)
                        || crate::ledger::folded(p.fields.key.as_str()).contains(w)
                })
            })
            .collect();
        // By name, a page needs the sums of its own parties only: each is read by
        // the balances' indexes, and no level is summed whole.
        if query.sort == PartySort::Name && !query.uneven && query.per_page > 0 {
            let mut parties = parties;
            parties.sort_by_cached_key(|p| {
                (crate::ledger::folded(&p.fields.name), p.fields.key.clone())
            });
            if query.reversed {
                parties.reverse();
            }
            let total = parties.len();
            let start = query.page.saturating_mul(query.per_page).min(total);
            let end = (start + query.per_page).min(total);
            let mut rows = Vec::with_capacity(end - start);
            for p in &parties[start..end] {
                let level = level_of(p);
                let mut credit = balans_core::Balance::EMPTY;
                let mut money = balans_core::Balance::EMPTY;
                for (key, sums) in store.balances_of(level, p.id)? {
                    let seen = balans_core::Balance::seen_from(p.id, &key, &sums);
                    let into = match key.dimension {
                        Dimension::Credit => &mut credit,
                        Dimension::Money => &mut money,
                    };
                    let overflow = || crate::store::StoreError::Overflow("a party's sums".into());
                    into.a_to_b = into.a_to_b.checked_add(seen.a_to_b).ok_or_else(overflow)?;
                    into.b_to_a = into.b_to_a.checked_add(seen.b_to_a).ok_or_else(overflow)?;
                    into.count += seen.count;
                    into.first = into.first.into_iter().chain(seen.first).min();
                    into.last = into.last.max(seen.last);
                }
                rows.push(PartyRow::of(p, level, credit, money, &zone));
            }
            return Ok(PartyList { rows, total });
        }
        let mut totals: FxHashMap<(Level, balans_core::PartyId, Dimension), balans_core::Totals> =
            FxHashMap::default();
        for level in Level::ALL {
            let needed = parties.iter().any(|p| level_of(p) == level);
            if needed {
                for (party, dimension, sums) in store.party_totals(level)? {
                    totals.insert((level, party, dimension), sums);
                }
            }
        }
        let balance = |level, party, dimension| {
            totals
                .get(&(level, party, dimension))
                .map_or(balans_core::Balance::EMPTY, |t| balans_core::Balance {
                    a_to_b: t.low_to_high,
                    b_to_a: t.high_to_low,
                    count: t.count,
                    first: Some(t.first),
                    last: Some(t.last),
                })
        };
        let mut rows: Vec<PartyRow> = parties
            .iter()
            .map(|p| {
                let level = level_of(p);
                let credit = balance(level, p.id, Dimension::Credit);
                let money = balance(level, p.id, Dimension::Money);
                PartyRow::of(p, level, credit, money, &zone)
            })
            .filter(|row| !query.uneven || row.is_uneven())
            .collect();
        let name = |r: &PartyRow| (crate::ledger::folded(&r.party.name), r.party.key.clone());
        match query.sort {
            PartySort::Name => rows.sort_by_cached_key(name),
            PartySort::Credit => {
                rows.sort_by_cached_key(|r| (std::cmp::Reverse(r.credit.net()), name(r)))
            }
            PartySort::Money => {
                rows.sort_by_cached_key(|r| (std::cmp::Reverse(r.money.net()), name(r)))
            }
            PartySort::LastContact => {
                rows.sort_by_cached_key(|r| (std::cmp::Reverse(r.last), name(r)))
            }
        }
        if query.reversed {
            rows.reverse();
        }
        let total = rows.len();
        if query.per_page > 0 {
            let start = query.page.saturating_mul(query.per_page).min(total);
            rows.truncate((start + query.per_page).min(total));
            rows.drain(..start);
        }
        Ok(PartyList { rows, total })
    })
}

/// The organization whose key is `text`, or whose name is `text` ignoring case
/// and accents when one organization has it.
fn organization_named(
    parties: &[balans_core::Party],
    text: &str,
) -> Result<balans_core::PartyId, LedgerError> {
    let organizations = || {
        parties
            .iter()
            .filter(|p| p.fields.kind == PartyKind::Organization)
    };
    let text = text.trim();
    if let Some(p) = organizations().find(|p| p.fields.key.as_str() == text) {
        return Ok(p.id);
    }
    let wanted = crate::ledger::folded(text);
    let named: Vec<_> = organizations()
        .filter(|p| crate::ledger::folded(&p.fields.name) == wanted)
        .collect();
    match named.as_slice() {
        [one] => Ok(one.id),
        [] => {
            let name = balans_core::Quoted(text).to_string();
            Err(LedgerError::not_found(
                format!("no organization with key or name '{name}'"),
                crate::field::Code::UnknownOrganization,
                &[("name", &name)],
            ))
        }
        several => {
            let name = balans_core::Quoted(text).to_string();
            let keys = several
                .iter()
                .map(|p| p.fields.key.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            Err(LedgerError::not_found(
                format!(
                    "'{name}' names {} organizations; give a key: {keys}",
                    several.len()
                ),
                crate::field::Code::OrganizationAmbiguous,
                &[
                    ("name", &name),
                    ("count", &several.len().to_string()),
                    ("candidates", &keys),
                ],
            ))
        }
    }
}

/// The level a party's own figures are kept at: organization level for an
/// organization, person level for a person.
fn level_of(party: &balans_core::Party) -> Level {
    match party.fields.kind {
        PartyKind::Organization => Level::Organization,
        PartyKind::Person => Level::Person,
    }
}
