//! Credits that belong to people (`docs/credits.md`): an organization's
//! relationships seen through the person pairs behind them, live or dormant at
//! the moment asked.
//!
//! The person pairs are found from the person-level sums of the organization
//! and its people (ever), or for one relationship those of the side with fewer
//! people, each attributed as the organization level attributes it; the
//! gestures after the moment asked are left out (`docs/credits.md`, "How the
//! figures are read"). Every relationship of an organization of sixty at a
//! million gestures (286,000 person pairs) takes about a second; its largest
//! few, ranked by its stored sums and read one by one, some milliseconds each.

use std::collections::BTreeMap;

use balans_core::{
    Both, Credits, Dimension, DormantAlert, Flows, Handover, HandoverState, Level, Membership,
    Moment, Party, PartyId, PartyKind, Side, State,
};
use serde::Serialize;

use super::view::{NetSum, PartyRef, key_of};
use crate::LedgerError;
use crate::field;
use crate::snapshot::Snapshot;
use crate::store::{GestureFilter, NewHandover, Store, StoreError, in_transaction, setting};

/// The key-person threshold unless the setting says otherwise.
pub const KEY_PERSON_PERCENT: u8 = 50;

/// One relationship's credits, seen from `a`.
#[derive(Debug, Clone, Serialize)]
pub struct CreditsView {
    #[serde(serialize_with = "key_of")]
    pub a: PartyRef,
    #[serde(serialize_with = "key_of")]
    pub b: PartyRef,
    #[serde(serialize_with = "moment")]
    pub as_of: Moment,
    pub historical: BothView,
    pub live: BothView,
    pub dormant: BothView,
    pub handed_over: BothView,
    pub key_persons: Vec<KeyPerson>,
    pub pairs: Vec<PersonPairView>,
}

/// Flows in both dimensions, as exact decimal strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BothView {
    pub money: FlowsView,
    pub credit: FlowsView,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FlowsView {
    pub a_to_b: balans_core::Sum,
    pub b_to_a: balans_core::Sum,
    pub net: NetSum,
}

impl From<Flows> for FlowsView {
    fn from(f: Flows) -> FlowsView {
        FlowsView {
            a_to_b: balans_core::Sum(f.a_to_b),
            b_to_a: balans_core::Sum(f.b_to_a),
            net: NetSum(i128::from(f.a_to_b) - i128::from(f.b_to_a)),
        }
    }
}

impl From<Both> for BothView {
    fn from(b: Both) -> BothView {
        BothView {
            money: b.money.into(),
            credit: b.credit.into(),
        }
    }
}

/// A person above the key-person threshold, on side `a` or `b`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyPerson {
    #[serde(serialize_with = "key_of")]
    pub party: PartyRef,
    pub side: &'static str,
    /// A decimal fraction with four places: "0.8387".
    pub share: String,
}

/// One person pair behind the relationship.
#[derive(Debug, Clone, Serialize)]
pub struct PersonPairView {
    #[serde(serialize_with = "key_of")]
    pub a: PartyRef,
    #[serde(serialize_with = "key_of")]
    pub b: PartyRef,
    pub state: &'static str,
    pub money: FlowsView,
    pub credit: FlowsView,
    pub handed_in: BothView,
}

fn moment<S: serde::Serializer>(m: &Moment, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(m)
}

/// The credits of `organization`'s relationships (or its one relationship with
/// `counterpart`) at `as_of`, now unless given: one view per counterpart,
/// largest historical credit volume first.
pub fn credits<S: Store + ?Sized>(
    store: &mut S,
    organization: &str,
    counterpart: Option<&str>,
    as_of: Option<Moment>,
) -> Result<Vec<CreditsView>, LedgerError> {
    let a = super::find_party(store, organization)?;
    let b = counterpart
        .map(|key| super::find_party(store, key))
        .transpose()?;
    if b.as_ref().is_some_and(|b| b.id == a.id) {
        return Err(same_party());
    }
    let mut reader = Reader::new(store, as_of.unwrap_or_else(Moment::now))?;
    let mut views = reader.read(store, &a, b.as_ref().map(|b| b.id))?;
    sort_by_volume(&mut views);
    Ok(views)
}

/// The `limit` relationships of `organization` with the largest historical
/// credit volume at `as_of` (now unless given), in the order of [`credits`],
/// and how many relationships it has in all: the first `limit` of what
/// [`credits`] lists, each read alone.
///
/// The relationships are ranked by the organization's stored sums, which are
/// their historical figures when no gesture of the organization comes after
/// the moment asked; otherwise, or when every one is shown, every relationship
/// is read at once and the first `limit` kept.
pub fn largest_credits<S: Store + ?Sized>(
    store: &mut S,
    organization: &str,
    as_of: Option<Moment>,
    limit: usize,
) -> Result<(Vec<CreditsView>, usize), LedgerError> {
    let a = super::find_party(store, organization)?;
    let as_of = as_of.unwrap_or_else(Moment::now);
    let mut reader = Reader::new(store, as_of)?;
    // Every relationship read in one pass from the organization's people,
    // largest first, the first `limit` kept.
    let read_all = |store: &mut S, reader: &mut Reader| {
        let mut views = reader.read(store, &a, None)?;
        sort_by_volume(&mut views);
        let total = views.len();
        views.truncate(limit);
        Ok((views, total))
    };
    let later = store
        .party_totals_of(Level::Organization, a.id)?
        .iter()
        .any(|(_, t)| t.last > as_of);
    if later {
        return read_all(store, &mut reader);
    }
    // Each counterpart's historical credit volume: |given| + |received|.
    let mut volumes: BTreeMap<PartyId, i128> = BTreeMap::new();
    for (key, totals) in store.balances_of(Level::Organization, a.id)? {
        let other = if key.low == a.id { key.high } else { key.low };
        let volume = volumes.entry(other).or_default();
        if key.dimension == Dimension::Credit {
            *volume += i128::from(totals.low_to_high).abs() + i128::from(totals.high_to_low).abs();
        }
    }
    for h in reader
        .handovers
        .iter()
        .filter(|h| h.state == HandoverState::Accepted)
    {
        match (h.left_unit == a.id, h.other_unit == a.id) {
            (true, false) => volumes.entry(h.other_unit).or_default(),
            (false, true) => volumes.entry(h.left_unit).or_default(),
            _ => continue,
        };
    }
    let total = volumes.len();
    if limit >= total {
        return read_all(store, &mut reader);
    }
    let mut ranked: Vec<(i128, PartyId)> = volumes.into_iter().map(|(p, v)| (v, p)).collect();
    ranked.sort_unstable_by_key(|r| std::cmp::Reverse(r.0));
    let chosen = if limit == 0 {
        Vec::new()
    } else {
        // Those as large as the last one kept are ordered by key, as the whole
        // list is: only they are named to choose among them.
        let cut = ranked[limit - 1].0;
        let mut chosen: Vec<PartyId> = ranked
            .iter()
            .take_while(|r| r.0 > cut)
            .map(|r| r.1)
            .collect();
        let mut tied = Vec::new();
        for &(_, id) in ranked.iter().filter(|r| r.0 == cut) {
            let party = store
                .party_by_id(id)?
                .ok_or_else(|| StoreError::Corrupt(format!("party #{} is missing", id.0)))?;
            tied.push((party.fields.key, id));
        }
        tied.sort_unstable();
        chosen.extend(tied.into_iter().map(|(_, id)| id));
        chosen.truncate(limit);
        chosen
    };
    // Each relationship alone is read from its side with fewer people; when
    // the gestures of those sides add up to more than those of the
    // organization's people, one pass over its people reads less.
    let ours = people_of(&reader.snapshot, a.id);
    let at_once = gestures_of(store, &ours)?;
    let mut alone = 0i64;
    for &b in &chosen {
        let theirs = people_of(&reader.snapshot, b);
        alone = alone.saturating_add(if theirs.len() < ours.len() {
            gestures_of(store, &theirs)?
        } else {
            at_once
        });
    }
    if alone >= at_once {
        return read_all(store, &mut reader);
    }
    let mut views = Vec::with_capacity(chosen.len());
    for b in chosen {
        views.extend(reader.read(store, &a, Some(b))?);
    }
    sort_by_volume(&mut views);
    Ok((views, total))
}

/// The credits of `organization`'s relationship with each of `counterparts`, now,
/// in the order given; one read of the store's memberships and handovers for
/// all, each relationship's gestures read from its side with fewer people. A
/// page that lists some of an organization's relationships reads them so.
pub fn credits_with<S: Store + ?Sized>(
    store: &mut S,
    organization: &str,
    counterparts: &[&str],
) -> Result<Vec<CreditsView>, LedgerError> {
    let a = super::find_party(store, organization)?;
    let mut reader = Reader::new(store, Moment::now())?;
    let mut views = Vec::with_capacity(counterparts.len());
    for key in counterparts {
        let b = super::find_party(store, key)?;
        if b.id == a.id {
            return Err(same_party());
        }
        views.extend(reader.read(store, &a, Some(b.id))?);
    }
    Ok(views)
}

fn same_party() -> LedgerError {
    LedgerError::Invalid(vec![
        field::Error::new("counterpart", "a relationship needs two different parties")
            .said(field::Code::SameParty, &[]),
    ])
}

fn sort_by_volume(views: &mut [CreditsView]) {
    views.sort_by(|x, y| {
        let volume = |v: &CreditsView| {
            i128::from(v.historical.credit.a_to_b.0).abs()
                + i128::from(v.historical.credit.b_to_a.0).abs()
        };
        volume(y).cmp(&volume(x)).then(x.b.key.cmp(&y.b.key))
    });
}

/// The key-person threshold the store's setting names, or the default.
pub fn key_person_percent<S: Store + ?Sized>(store: &mut S) -> Result<u8, LedgerError> {
    Ok(match store.setting(setting::KEY_PERSON)? {
        Some(text) => text
            .parse::<u8>()
            .ok()
            .filter(|p| *p <= 100)
            .ok_or_else(|| {
                StoreError::Corrupt(format!("the setting {} is '{text}'", setting::KEY_PERSON))
            })?,
        None => KEY_PERSON_PERCENT,
    })
}

/// What every relationship's read needs once: memberships, handovers, the
/// threshold, the moment, and the parties named so far.
struct Reader {
    snapshot: Snapshot,
    handovers: Vec<Handover>,
    percent: u8,
    as_of: Moment,
    parties: BTreeMap<PartyId, PartyRef>,
}

impl Reader {
    fn new<S: Store + ?Sized>(store: &mut S, as_of: Moment) -> Result<Reader, LedgerError> {
        Ok(Reader {
            percent: key_person_percent(store)?,
            snapshot: Snapshot::memberships_only(store)?,
            handovers: store.handovers()?,
            as_of,
            parties: BTreeMap::new(),
        })
    }

    /// `a`'s relationships (or its one with `b`), unsorted.
    fn read<S: Store + ?Sized>(
        &mut self,
        store: &mut S,
        a: &Party,
        b: Option<PartyId>,
    ) -> Result<Vec<CreditsView>, LedgerError> {
        let as_of = self.as_of;
        let snapshot = &self.snapshot;
        // The gestures are read from the side with fewer people (ever): one
        // relationship of our own organization is read from the customer's side.
        let mut people = people_of(snapshot, a.id);
        if let Some(b) = b {
            let theirs = people_of(snapshot, b);
            if theirs.len() < people.len() {
                people = theirs;
            }
        }
        // Per counterpart unit, per person pair (a's side first): what went each way.
        let mut found: BTreeMap<PartyId, BTreeMap<(PartyId, PartyId), Both>> = BTreeMap::new();
        let overflow =
            || LedgerError::Store(StoreError::Overflow("a person pair's credits".into()));
        let mut add = |x: PartyId, x_unit: PartyId, y: PartyId, y_unit: PartyId, both: Both| {
            let (pair, other, both) = if x_unit == a.id && y_unit != a.id {
                ((x, y), y_unit, both)
            } else if y_unit == a.id && x_unit != a.id {
                ((y, x), x_unit, both.flipped())
            } else {
                return Ok(());
            };
            if b.is_some_and(|b| b != other) {
                return Ok(());
            }
            let sum = found.entry(other).or_default().entry(pair).or_default();
            sum.add(&both).map_err(|_| overflow())
        };
        each_contribution(store, snapshot, &people, as_of, &mut add)?;
        if let Some(b) = b {
            found.entry(b).or_default();
        }
        // Every relationship a handover counts for is listed, if only by that.
        for h in self
            .handovers
            .iter()
            .filter(|h| h.state == HandoverState::Accepted)
        {
            let other = match (h.left_unit == a.id, h.other_unit == a.id) {
                (true, false) => h.other_unit,
                (false, true) => h.left_unit,
                _ => continue,
            };
            if b.is_none_or(|b| b == other) {
                found.entry(other).or_default();
            }
        }
        let mut views = Vec::with_capacity(found.len());
        for (other, pairs) in found {
            let contributions: Vec<_> = pairs.into_iter().collect();
            let accepted: Vec<_> = self
                .handovers
                .iter()
                .filter_map(|h| h.accepted_for(a.id, other, as_of))
                .collect();
            let computed = Credits::of(&contributions, &accepted, |(p, q)| {
                member_of(snapshot, p, a.id, as_of) && member_of(snapshot, q, other, as_of)
            })
            .map_err(|_| overflow())?;
            views.push(view(
                store,
                &mut self.parties,
                a,
                other,
                as_of,
                computed,
                self.percent,
            )?);
        }
        Ok(views)
    }
}

/// How many gestures `people` gave or received, each counted once per person
/// in it.
fn gestures_of<S: Store + ?Sized>(store: &mut S, people: &[PartyId]) -> Result<i64, LedgerError> {
    let mut gestures = 0i64;
    for &person in people {
        for (_, totals) in store.party_totals_of(Level::Person, person)? {
            gestures = gestures.saturating_add(totals.count);
        }
    }
    Ok(gestures)
}

/// An organization and everyone who was ever one of its members, in order.
fn people_of(snapshot: &Snapshot, unit: PartyId) -> Vec<PartyId> {
    let mut people: Vec<PartyId> = snapshot
        .memberships()
        .people_of(unit)
        .chain([unit])
        .collect();
    people.sort_unstable();
    people.dedup();
    people
}

fn view<S: Store + ?Sized>(
    store: &mut S,
    parties: &mut BTreeMap<PartyId, PartyRef>,
    a: &Party,
    b: PartyId,
    as_of: Moment,
    credits: Credits,
    percent: u8,
) -> Result<CreditsView, LedgerError> {
    let mut party = |id: PartyId| named(store, parties, id);
    let mut key_persons = Vec::new();
    for share in credits.key_persons(percent) {
        let person = party(share.party)?;
        // An organization standing for itself is no person to depend on.
        if person.kind != PartyKind::Person {
            continue;
        }
        key_persons.push(KeyPerson {
            party: person,
            side: match share.side {
                Side::A => "a",
                Side::B => "b",
            },
            share: share.fraction(),
        });
    }
    let pairs = credits
        .pairs
        .iter()
        .map(|p| {
            Ok(PersonPairView {
                a: party(p.pair.0)?,
                b: party(p.pair.1)?,
                state: match p.state {
                    State::Live => "live",
                    State::Dormant => "dormant",
                },
                money: p.contribution.money.into(),
                credit: p.contribution.credit.into(),
                handed_in: p.handed_in.into(),
            })
        })
        .collect::<Result<_, LedgerError>>()?;
    Ok(CreditsView {
        a: PartyRef::from(a),
        b: party(b)?,
        as_of,
        historical: credits.historical.into(),
        live: credits.live.into(),
        dormant: credits.dormant.into(),
        handed_over: credits.handed_over.into(),
        key_persons,
        pairs,
    })
}

/// A handover, as the ledger shows it.
#[derive(Debug, Clone, Serialize)]
pub struct HandoverView {
    pub id: i64,
    /// The person who left, and the organization they left.
    #[serde(serialize_with = "key_of")]
    pub left: PartyRef,
    #[serde(serialize_with = "key_of")]
    pub left_unit: PartyRef,
    /// The other person of the dormant pair, and their organization.
    #[serde(serialize_with = "key_of")]
    pub other: PartyRef,
    #[serde(serialize_with = "key_of")]
    pub other_unit: PartyRef,
    #[serde(serialize_with = "key_of")]
    pub successor: PartyRef,
    pub share: u8,
    pub state: &'static str,
    #[serde(serialize_with = "moment")]
    pub offered_at: Moment,
    #[serde(serialize_with = "super::view::moment_opt")]
    pub decided_at: Option<Moment>,
    pub note: Option<String>,
    /// What an accepted handover moved, seen from `left` (`a_to_b`: what the
    /// one who left gave the other).
    pub moved: BothView,
}

fn handover_view<S: Store + ?Sized>(
    store: &mut S,
    h: Handover,
) -> Result<HandoverView, LedgerError> {
    let mut parties = BTreeMap::new();
    let mut party = |id: PartyId| named(store, &mut parties, id);
    Ok(HandoverView {
        id: h.id,
        left: party(h.left)?,
        left_unit: party(h.left_unit)?,
        other: party(h.other)?,
        other_unit: party(h.other_unit)?,
        successor: party(h.successor)?,
        share: h.share,
        state: h.state.as_str(),
        offered_at: h.offered_at,
        decided_at: h.decided_at,
        note: h.note,
        moved: h.moved.into(),
    })
}

/// Hands `add` what each person pair with one of `people` in it contributed up
/// to `as_of` (inclusive), per the units its two people counted for:
/// `add(x, x_unit, y, y_unit, flows from x)`, a pair at most once per unit pair.
/// A pair's stored balance is its contribution where both of its people
/// counted for one unit each over all its gestures up to the moment asked: most
/// pairs. The others are read from their gestures.
fn each_contribution<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    people: &[PartyId],
    as_of: Moment,
    add: &mut dyn FnMut(PartyId, PartyId, PartyId, PartyId, Both) -> Result<(), LedgerError>,
) -> Result<(), LedgerError> {
    let ours: rustc_hash::FxHashSet<PartyId> = people.iter().copied().collect();
    let mut seen: rustc_hash::FxHashSet<(PartyId, PartyId, Dimension)> = Default::default();
    let mut from_gestures: std::collections::BTreeSet<(PartyId, PartyId)> = Default::default();
    let mut stored = Vec::new();
    for &person in people {
        for (key, totals) in store.balances_of(Level::Person, person)? {
            let (x, y) = (key.low, key.high);
            if totals.first > as_of
                || (ours.contains(&x) && ours.contains(&y) && !seen.insert((x, y, key.dimension)))
            {
                continue;
            }
            let units = (
                unit_throughout(snapshot, x, totals.first, totals.last),
                unit_throughout(snapshot, y, totals.first, totals.last),
            );
            match (units, totals.last <= as_of) {
                ((Some(x_unit), Some(y_unit)), true) => {
                    stored.push((key, totals, x_unit, y_unit));
                }
                // The gestures are read for the pair, in both dimensions.
                _ => {
                    from_gestures.insert((x, y));
                }
            }
        }
    }
    for (key, totals, x_unit, y_unit) in stored {
        if from_gestures.contains(&(key.low, key.high)) {
            continue;
        }
        let flows = Flows {
            a_to_b: totals.low_to_high,
            b_to_a: totals.high_to_low,
        };
        let both = match key.dimension {
            Dimension::Money => Both {
                money: flows,
                credit: Flows::default(),
            },
            Dimension::Credit => Both {
                money: Flows::default(),
                credit: flows,
            },
        };
        add(key.low, x_unit, key.high, y_unit, both)?;
    }
    // The pairs read from their gestures, by the one of `people` in them: one
    // with many such pairs for their gestures (someone who left and went on
    // alone) is read in one pass over their gestures, the others pair by pair.
    let mut by_person: BTreeMap<PartyId, Vec<(PartyId, PartyId)>> = Default::default();
    for (x, y) in from_gestures {
        let person = if ours.contains(&x) { x } else { y };
        by_person.entry(person).or_default().push((x, y));
    }
    for (person, pairs) in by_person {
        let gestures: i64 = store
            .party_totals_of(Level::Person, person)?
            .iter()
            .map(|(_, totals)| totals.count)
            .sum();
        if gestures > (pairs.len() as i64).saturating_mul(GESTURES_PER_PAIR_READ) {
            for (x, y) in pairs {
                for ((x_unit, y_unit), both) in pair_contributions(store, snapshot, x, y, as_of)? {
                    add(x, x_unit, y, y_unit, both)?;
                }
            }
            continue;
        }
        let wanted: rustc_hash::FxHashSet<(PartyId, PartyId)> = pairs.into_iter().collect();
        let mut filter = GestureFilter {
            party: Some(person),
            until: Some(Moment::from_millis(as_of.millis().saturating_add(1))),
            limit: 10_000,
            ..GestureFilter::default()
        };
        super::gestures::walk_gestures(store, &mut filter, |stored| {
            let g = &stored.gesture;
            let (x, y) = (g.giver.min(g.receiver), g.giver.max(g.receiver));
            if !wanted.contains(&(x, y)) {
                return Ok(true);
            }
            let Ok((giver_unit, receiver_unit)) = snapshot.units(g, stored.attributed_at) else {
                return Ok(true);
            };
            if giver_unit == receiver_unit {
                return Ok(true);
            }
            let forward = g.giver == x;
            let (x_unit, y_unit) = if forward {
                (giver_unit, receiver_unit)
            } else {
                (receiver_unit, giver_unit)
            };
            add(x, x_unit, y, y_unit, flows_of(g, forward))?;
            Ok(true)
        })?;
    }
    Ok(())
}

/// What one pair's own read costs, in gestures read in one pass over a
/// person's: a pair's read finds its few gestures through the index of the one
/// with fewer, but each is a statement of its own. A person with more gestures
/// than this for each of their pairs to read has them read pair by pair; 1 M
/// gestures, the 406 people who left of 13,000: 0.75 s pair by pair, 0.22 s so.
const GESTURES_PER_PAIR_READ: i64 = 64;

/// What one gesture moved, seen from the side that gave when `forward`.
fn flows_of(g: &balans_core::Gesture, forward: bool) -> Both {
    let amount = g.amount.minor();
    let flows = if forward {
        Flows {
            a_to_b: amount,
            b_to_a: 0,
        }
    } else {
        Flows {
            a_to_b: 0,
            b_to_a: amount,
        }
    };
    match g.dimension {
        Dimension::Money => Both {
            money: flows,
            credit: Flows::default(),
        },
        Dimension::Credit => Both {
            money: Flows::default(),
            credit: flows,
        },
    }
}

/// The party with this id, as views name it; remembered in `known`, since a
/// listing names the same parties again and again.
fn named<S: Store + ?Sized>(
    store: &mut S,
    known: &mut BTreeMap<PartyId, PartyRef>,
    id: PartyId,
) -> Result<PartyRef, LedgerError> {
    if let Some(party) = known.get(&id) {
        return Ok(party.clone());
    }
    let found = store
        .party_by_id(id)?
        .ok_or_else(|| StoreError::Corrupt(format!("party #{} is named but missing", id.0)))?;
    let party = PartyRef::from(&found);
    known.insert(id, party.clone());
    Ok(party)
}

/// The one unit `party` counted for at every moment from `first` to `last`:
/// itself when it was a member of nothing then, its organization when one
/// membership covered it all; none when that changed, or it had several.
fn unit_throughout(
    snapshot: &Snapshot,
    party: PartyId,
    first: Moment,
    last: Moment,
) -> Option<PartyId> {
    let mut overlapping = snapshot
        .memberships()
        .of_person(party)
        .iter()
        .filter(|m| m.from <= last && m.until.is_none_or(|until| until > first));
    match (overlapping.next(), overlapping.next()) {
        (None, _) => Some(party),
        (Some(m), None) if m.from <= first && m.until.is_none_or(|until| last < until) => {
            Some(m.organization)
        }
        _ => None,
    }
}

/// Whether `person` is `unit` or a member of it at `at`.
pub(crate) fn member_of(snapshot: &Snapshot, person: PartyId, unit: PartyId, at: Moment) -> bool {
    person == unit
        || snapshot
            .memberships()
            .of_person(person)
            .iter()
            .any(|m| m.organization == unit && m.holds_at(at))
}

/// What the gestures between `a` and `b` up to `until` contribute to each
/// organization pair they count for, seen from `a`: keyed by (a's unit, b's unit).
pub(crate) fn pair_contributions<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    a: PartyId,
    b: PartyId,
    until: Moment,
) -> Result<BTreeMap<(PartyId, PartyId), Both>, LedgerError> {
    let mut filter = GestureFilter {
        party: Some(a),
        counterpart: Some(b),
        until: Some(Moment::from_millis(until.millis().saturating_add(1))),
        limit: 10_000,
        ..GestureFilter::default()
    };
    let mut found: BTreeMap<(PartyId, PartyId), Both> = BTreeMap::new();
    super::gestures::walk_gestures(store, &mut filter, |stored| {
        let g = &stored.gesture;
        let Ok((giver_unit, receiver_unit)) = snapshot.units(g, stored.attributed_at) else {
            return Ok(true);
        };
        if giver_unit == receiver_unit {
            return Ok(true);
        }
        let forward = g.giver == a;
        let units = if forward {
            (giver_unit, receiver_unit)
        } else {
            (receiver_unit, giver_unit)
        };
        found
            .entry(units)
            .or_default()
            .add(&flows_of(g, forward))
            .map_err(|_| {
                LedgerError::Store(StoreError::Overflow("a person pair's credits".into()))
            })?;
        Ok(true)
    })?;
    Ok(found)
}

fn refuse(field: &'static str, message: String) -> LedgerError {
    LedgerError::Invalid(vec![field::Error::new(field, message)])
}

/// [`refuse`], with the message as an entry of the catalog.
fn refuse_said(
    field: &'static str,
    message: String,
    code: field::Code,
    args: &[(&'static str, &str)],
) -> LedgerError {
    LedgerError::Invalid(vec![field::Error::new(field, message).said(code, args)])
}

/// Offers a handover of `share` percent (100 unless given) of the dormant pair
/// (`a`, `b`) to `successor`, who takes the place of the one of them who left:
/// a member, at `now`, of the organization that one left.
pub fn offer_handover<S: Store + ?Sized>(
    store: &mut S,
    a: &str,
    b: &str,
    successor: &str,
    share: Option<u8>,
    now: Moment,
) -> Result<HandoverView, LedgerError> {
    in_transaction(store, |store| {
        let a = super::find_party(store, a)?;
        let b = super::find_party(store, b)?;
        let successor = super::find_party(store, successor)?;
        let share = share.unwrap_or(100);
        if share > 100 {
            return Err(refuse_said(
                "share",
                format!("a share is a percentage from 0 to 100, not {share}"),
                field::Code::HandoverShare,
                &[("share", &share.to_string())],
            ));
        }
        if successor.fields.kind != PartyKind::Person {
            return Err(refuse_said(
                "to",
                format!(
                    "the successor must be a person: {} is an organization",
                    successor.fields.key
                ),
                field::Code::HandoverNotAPerson,
                &[("name", &successor.fields.name)],
            ));
        }
        let snapshot = Snapshot::load(store)?;
        let pairs = pair_contributions(store, &snapshot, a.id, b.id, now)?;
        if pairs.is_empty() {
            return Err(refuse_said(
                "b",
                format!(
                    "no gesture between {} and {} counts for two organizations: there is nothing to hand over",
                    a.fields.key, b.fields.key
                ),
                field::Code::HandoverNothing,
                &[("a", &a.fields.name), ("b", &b.fields.name)],
            ));
        }
        let mut offers = Vec::new();
        let mut dormant = false;
        for &(a_unit, b_unit) in pairs.keys() {
            for (left, left_unit, other, other_unit) in
                [(&a, a_unit, &b, b_unit), (&b, b_unit, &a, a_unit)]
            {
                if member_of(&snapshot, left.id, left_unit, now) {
                    continue;
                }
                dormant = true;
                if successor.id != left.id
                    && successor.id != other.id
                    && member_of(&snapshot, successor.id, left_unit, now)
                {
                    offers.push(NewHandover {
                        left: left.id,
                        left_unit,
                        other: other.id,
                        other_unit,
                        successor: successor.id,
                        share,
                        offered_at: now,
                    });
                }
            }
        }
        let offer = match (offers.len(), dormant) {
            (1, _) => offers.remove(0),
            (0, false) => {
                return Err(refuse_said(
                    "b",
                    format!(
                        "{} and {} are both still members: their credits are live, and only dormant credits can be handed over",
                        a.fields.key, b.fields.key
                    ),
                    field::Code::HandoverLive,
                    &[("a", &a.fields.name), ("b", &b.fields.name)],
                ));
            }
            (found, _) => {
                let (message, code) = if found == 0 {
                    (
                        "is not a member of the organization that {a} or {b} left: a successor takes the place of the one who left, on that side",
                        field::Code::HandoverWrongSide,
                    )
                } else {
                    (
                        "could succeed in more than one relationship of {a} and {b}: end the memberships that no longer hold first",
                        field::Code::HandoverAmbiguous,
                    )
                };
                let message = message
                    .replace("{a}", a.fields.key.as_str())
                    .replace("{b}", b.fields.key.as_str());
                return Err(refuse_said(
                    "to",
                    format!("{} {message}", successor.fields.key),
                    code,
                    &[
                        ("successor", &successor.fields.name),
                        ("a", &a.fields.name),
                        ("b", &b.fields.name),
                    ],
                ));
            }
        };
        let id = store.insert_handover(&offer)?;
        let stored = store.handover(id)?.ok_or_else(|| {
            StoreError::Corrupt(format!("handover #{id} is missing after its insert"))
        })?;
        handover_view(store, stored)
    })
}

/// Who decides on a handover.
#[derive(Debug, Clone, Copy)]
pub enum Decider<'a> {
    /// A user, logged in to the web app or holding an API token.
    User(&'a balans_core::User),
    /// Whoever runs the command line, on the store's own machine: they record
    /// what was decided.
    CommandLine,
}

/// A successor linked to a user accepts or declines alone; for one who is not
/// a user, a staff user (or the command line) records their decision.
fn may_decide<S: Store + ?Sized>(
    store: &mut S,
    h: &Handover,
    by: Decider<'_>,
) -> Result<(), LedgerError> {
    let linked = store.linked_user(h.successor)?;
    match (linked, by) {
        (Some(linked), Decider::User(user)) if user.id == linked => Ok(()),
        (Some(_), _) => {
            let name = store_name(store, h.successor)?;
            Err(forbidden(
                format!(
                    "{name} is a user of Balans: only they accept or decline handover #{}, logged in as themselves",
                    h.id
                ),
                field::Code::HandoverNotYours,
                &[("name", &name), ("id", &h.id.to_string())],
            ))
        }
        (None, Decider::User(user)) if user.role < balans_core::UserRole::Staff => {
            let name = store_name(store, h.successor)?;
            Err(forbidden(
                format!(
                    "recording {name}'s decision on handover #{} takes the staff role",
                    h.id
                ),
                field::Code::HandoverTakesStaff,
                &[("name", &name), ("id", &h.id.to_string())],
            ))
        }
        (None, _) => Ok(()),
    }
}

/// A party's name, for a message.
fn store_name<S: Store + ?Sized>(store: &mut S, id: PartyId) -> Result<String, LedgerError> {
    Ok(store
        .party_by_id(id)?
        .map_or_else(|| format!("party #{}", id.0), |p| p.fields.name))
}

fn forbidden(message: String, code: field::Code, args: &[(&'static str, &str)]) -> LedgerError {
    LedgerError::Forbidden {
        message,
        said: Some(balans_core::said::Said::new(code, args)),
    }
}

fn offered<S: Store + ?Sized>(store: &mut S, id: i64) -> Result<Handover, LedgerError> {
    let h = store.handover(id)?.ok_or_else(|| LedgerError::NotFound {
        message: format!("no handover #{id}"),
        said: None,
    })?;
    if h.state != HandoverState::Offered {
        return Err(refuse_said(
            "id",
            format!("handover #{id} was {} already", h.state.as_str()),
            field::Code::HandoverDecided,
            &[("id", &id.to_string())],
        ));
    }
    Ok(h)
}

/// A handover is decided after it was offered.
fn not_before_offer(h: &Handover, at: Moment) -> Result<(), LedgerError> {
    if at < h.offered_at {
        return Err(refuse_said(
            "at",
            format!(
                "handover #{} was offered at {}: it cannot be decided before that",
                h.id, h.offered_at
            ),
            field::Code::HandoverBeforeOffer,
            &[("id", &h.id.to_string())],
        ));
    }
    Ok(())
}

/// Accepts an offered handover at `at` (recorded with `note`, how it was
/// given): it moves its share of what the dormant pair built up to then. A
/// successor linked to a user accepts alone (see [`Decider`]).
pub fn accept_handover<S: Store + ?Sized>(
    store: &mut S,
    id: i64,
    at: Moment,
    note: Option<&str>,
    by: Decider<'_>,
) -> Result<HandoverView, LedgerError> {
    in_transaction(store, |store| {
        let h = offered(store, id)?;
        may_decide(store, &h, by)?;
        not_before_offer(&h, at)?;
        let snapshot = Snapshot::load(store)?;
        if member_of(&snapshot, h.left, h.left_unit, at) {
            return Err(refuse_said(
                "id",
                format!(
                    "handover #{id}: {} is a member again, so the credits are live and cannot be handed over",
                    snapshot.key(h.left)
                ),
                field::Code::HandoverLiveAgain,
                &[("id", &id.to_string()), ("name", &snapshot.key(h.left))],
            ));
        }
        let taken: u32 = store
            .handovers()?
            .iter()
            .filter(|o| {
                o.state == HandoverState::Accepted
                    && (o.left, o.left_unit, o.other, o.other_unit)
                        == (h.left, h.left_unit, h.other, h.other_unit)
            })
            .map(|o| u32::from(o.share))
            .sum();
        if taken + u32::from(h.share) > 100 {
            return Err(refuse_said(
                "share",
                format!(
                    "handover #{id}: {taken}% of these credits was handed over already, so {}% more would exceed 100%",
                    h.share
                ),
                field::Code::HandoverBeyond,
                &[
                    ("id", &id.to_string()),
                    ("taken", &taken.to_string()),
                    ("share", &h.share.to_string()),
                ],
            ));
        }
        let pairs = pair_contributions(store, &snapshot, h.left, h.other, at)?;
        let source = pairs
            .get(&(h.left_unit, h.other_unit))
            .copied()
            .unwrap_or_default();
        decide(
            store,
            id,
            HandoverState::Accepted,
            at,
            note,
            &source.share(h.share),
        )
    })
}

/// Stores the decision on an offered handover, and the handover as it is now.
fn decide<S: Store + ?Sized>(
    store: &mut S,
    id: i64,
    state: HandoverState,
    at: Moment,
    note: Option<&str>,
    moved: &Both,
) -> Result<HandoverView, LedgerError> {
    if !store.decide_handover(id, state, at, note, moved)? {
        return Err(refuse_said(
            "id",
            format!("handover #{id} was decided meanwhile"),
            field::Code::HandoverDecided,
            &[("id", &id.to_string())],
        ));
    }
    let stored = store
        .handover(id)?
        .ok_or_else(|| StoreError::Corrupt(format!("handover #{id} is missing")))?;
    handover_view(store, stored)
}

/// Declines (by or for the successor, as for an acceptance) or withdraws (a
/// staff user, or the command line) an offered handover.
pub fn end_handover<S: Store + ?Sized>(
    store: &mut S,
    id: i64,
    state: HandoverState,
    at: Moment,
    note: Option<&str>,
    by: Decider<'_>,
) -> Result<HandoverView, LedgerError> {
    if !matches!(state, HandoverState::Declined | HandoverState::Withdrawn) {
        return Err(refuse(
            "state",
            "a handover ends declined or withdrawn".into(),
        ));
    }
    in_transaction(store, |store| {
        let h = offered(store, id)?;
        match (state, by) {
            (HandoverState::Declined, _) => may_decide(store, &h, by)?,
            (_, Decider::User(user)) if user.role < balans_core::UserRole::Staff => {
                return Err(forbidden(
                    format!("withdrawing handover #{id} takes the staff role"),
                    field::Code::HandoverWithdrawTakesStaff,
                    &[("id", &id.to_string())],
                ));
            }
            _ => {}
        }
        not_before_offer(&h, at)?;
        decide(store, id, state, at, note, &Both::default())
    })
}

/// Every handover, by id.
pub fn handovers<S: Store + ?Sized>(store: &mut S) -> Result<Vec<HandoverView>, LedgerError> {
    let all = store.handovers()?;
    all.into_iter().map(|h| handover_view(store, h)).collect()
}

/// What is wrong with the stored handovers, in words: a successor who is no
/// person, a decision without its moment or before the offer, an accepted
/// handover whose source was live when it was accepted or whose amounts are
/// not its share of what the pair had built by then, and shares of one source
/// above 100%.
pub(crate) fn handover_problems<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
) -> Result<Vec<String>, LedgerError> {
    let handovers = store.handovers()?;
    let mut problems = Vec::new();
    let mut shares: BTreeMap<(PartyId, PartyId, PartyId, PartyId), u32> = BTreeMap::new();
    for h in &handovers {
        let name = format!(
            "handover #{} ({} to {} of what {} built with {})",
            h.id,
            h.share,
            snapshot.key(h.successor),
            snapshot.key(h.left),
            snapshot.key(h.other)
        );
        let successor = store.party_by_id(h.successor)?;
        if successor.is_none_or(|p| p.fields.kind != PartyKind::Person) {
            problems.push(format!("{name}: the successor is not a person"));
        }
        match (h.state, h.decided_at) {
            (HandoverState::Offered, None) => {
                if h.moved != Both::default() {
                    problems.push(format!("{name}: offered, yet it moved credits"));
                }
                continue;
            }
            (HandoverState::Offered, Some(_)) => {
                problems.push(format!("{name}: offered, yet it has a decision's moment"));
                continue;
            }
            (_, None) => {
                problems.push(format!(
                    "{name}: {} without the moment it was",
                    h.state.as_str()
                ));
                continue;
            }
            (_, Some(at)) if at < h.offered_at => {
                problems.push(format!("{name}: decided before it was offered"));
            }
            _ => {}
        }
        let (HandoverState::Accepted, Some(at)) = (h.state, h.decided_at) else {
            continue;
        };
        if member_of(snapshot, h.left, h.left_unit, at) {
            problems.push(format!(
                "{name}: accepted at {at}, while {} was a member of {}",
                snapshot.key(h.left),
                snapshot.key(h.left_unit)
            ));
        }
        let pairs = pair_contributions(store, snapshot, h.left, h.other, at)?;
        let expected = pairs
            .get(&(h.left_unit, h.other_unit))
            .copied()
            .unwrap_or_default()
            .share(h.share);
        if expected != h.moved {
            problems.push(format!(
                "{name}: moved credit {} / {} and money {} / {}, while {}% of what the pair built by {at} is credit {} / {} and money {} / {}",
                balans_core::Sum(h.moved.credit.a_to_b),
                balans_core::Sum(h.moved.credit.b_to_a),
                balans_core::Sum(h.moved.money.a_to_b),
                balans_core::Sum(h.moved.money.b_to_a),
                h.share,
                balans_core::Sum(expected.credit.a_to_b),
                balans_core::Sum(expected.credit.b_to_a),
                balans_core::Sum(expected.money.a_to_b),
                balans_core::Sum(expected.money.b_to_a),
            ));
        }
        *shares
            .entry((h.left, h.left_unit, h.other, h.other_unit))
            .or_default() += u32::from(h.share);
    }
    for ((left, _, other, _), total) in shares {
        if total > 100 {
            problems.push(format!(
                "the accepted handovers of what {} built with {} add up to {total}%",
                snapshot.key(left),
                snapshot.key(other)
            ));
        }
    }
    Ok(problems)
}

/// The alert threshold unless the setting says otherwise: 10 points, so that an
/// account manager who leaves many customers with a point or two each is named
/// where it matters.
pub const DORMANT_ALERT_MINOR: i64 = 1_000;

/// The credit volume a departure must put to sleep with one counterpart before
/// it is named in an alert, in hundredths: the setting, or 10 points.
pub fn dormant_alert_threshold<S: Store + ?Sized>(store: &mut S) -> Result<i64, LedgerError> {
    match store.setting(setting::DORMANT_ALERT)? {
        Some(text) => balans_core::Amount::parse_typed(&text)
            .map(balans_core::Amount::minor)
            .ok()
            .filter(|minor| *minor >= 0)
            .ok_or_else(|| {
                LedgerError::Store(StoreError::Corrupt(format!(
                    "the setting {} is '{text}'",
                    setting::DORMANT_ALERT
                )))
            }),
        None => Ok(DORMANT_ALERT_MINOR),
    }
}

/// Names in alerts the credits each of `departures` (memberships with an end)
/// put to sleep (`docs/credits.md`, "Credits gone dormant"): for each
/// organization the person's pairs counted for, the credit volume of the pairs
/// that were live until the end, when above the threshold. An alert stored
/// already for the same departure and counterpart is kept as it is. Returns
/// how many were added.
pub fn name_departures<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    departures: &[Membership],
) -> Result<usize, LedgerError> {
    let threshold = dormant_alert_threshold(store)?;
    let mut added = 0;
    for departure in departures {
        let Some(until) = departure.until else {
            continue;
        };
        let (person, unit) = (departure.person, departure.organization);
        let before = Moment::from_millis(until.millis().saturating_sub(1));
        // Per counterpart unit, per other person: the credit each way, up to
        // the end.
        let mut found: BTreeMap<PartyId, BTreeMap<PartyId, Flows>> = BTreeMap::new();
        let mut add = |x: PartyId, x_unit: PartyId, y: PartyId, y_unit: PartyId, both: Both| {
            let (other, other_unit, credit) = if x == person && x_unit == unit {
                (y, y_unit, both.credit)
            } else if y == person && y_unit == unit {
                (x, x_unit, both.flipped().credit)
            } else {
                return Ok(());
            };
            if other_unit == unit {
                return Ok(());
            }
            let sum = found
                .entry(other_unit)
                .or_default()
                .entry(other)
                .or_default();
            let overflow =
                || LedgerError::Store(StoreError::Overflow("a person pair's credits".into()));
            sum.a_to_b = sum.a_to_b.checked_add(credit.a_to_b).ok_or_else(overflow)?;
            sum.b_to_a = sum.b_to_a.checked_add(credit.b_to_a).ok_or_else(overflow)?;
            Ok(())
        };
        each_contribution(store, snapshot, &[person], before, &mut add)?;
        for (other_unit, others) in found {
            let mut volume: i64 = 0;
            let mut largest: Option<(i64, PartyId)> = None;
            let mut count: u32 = 0;
            for (other, flows) in others {
                // A pair that was dormant already, or never live, went to sleep earlier.
                if !member_of(snapshot, other, other_unit, before) {
                    continue;
                }
                let pair = flows
                    .a_to_b
                    .checked_abs()
                    .zip(flows.b_to_a.checked_abs())
                    .and_then(|(x, y)| x.checked_add(y))
                    .and_then(|v| volume.checked_add(v).map(|total| (v, total)));
                let Some((pair, total)) = pair else {
                    return Err(LedgerError::Store(StoreError::Overflow(
                        "the credits gone dormant".into(),
                    )));
                };
                // Money alone builds no credit.
                if pair == 0 {
                    continue;
                }
                volume = total;
                count += 1;
                if largest.is_none_or(|(v, _)| pair > v) {
                    largest = Some((pair, other));
                }
            }
            let Some((_, other)) = largest else {
                continue;
            };
            if volume <= threshold || volume == 0 {
                continue;
            }
            let stored = store.insert_alert(&DormantAlert {
                id: 0,
                left: person,
                left_unit: unit,
                other_unit,
                left_at: until,
                volume,
                other,
                others: count - 1,
                dismissed_at: None,
            })?;
            added += usize::from(stored);
        }
    }
    Ok(added)
}

/// An alert of credits gone dormant, as the ledger shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AlertView {
    pub id: i64,
    /// The person who left, and the organization they left.
    #[serde(serialize_with = "key_of")]
    pub left: PartyRef,
    #[serde(serialize_with = "key_of")]
    pub left_unit: PartyRef,
    /// The organization on the other side of the relationship.
    #[serde(serialize_with = "key_of")]
    pub other_unit: PartyRef,
    /// Who on the other side built the most of it with the one who left.
    #[serde(serialize_with = "key_of")]
    pub other: PartyRef,
    /// How many more people on the other side did.
    pub others: u32,
    #[serde(serialize_with = "moment")]
    pub left_at: Moment,
    /// The credit volume gone dormant, in points: an exact decimal string.
    pub volume: balans_core::Sum,
}

/// The alerts open at `now`: the departure has happened, nobody dismissed the
/// alert, no handover of the pairs it names was accepted, and the one who left
/// is not a member again. Latest departure first.
pub fn open_alerts<S: Store + ?Sized>(
    store: &mut S,
    now: Moment,
) -> Result<Vec<AlertView>, LedgerError> {
    let alerts = store.alerts()?;
    if alerts.is_empty() {
        return Ok(Vec::new());
    }
    let snapshot = Snapshot::load(store)?;
    let handovers = store.handovers()?;
    let mut parties: BTreeMap<PartyId, PartyRef> = BTreeMap::new();
    let mut views = Vec::new();
    for alert in alerts {
        let taken_over = handovers.iter().any(|h| {
            h.state == HandoverState::Accepted
                && h.decided_at.is_some_and(|d| d <= now)
                && h.left == alert.left
                && h.left_unit == alert.left_unit
                && h.other_unit == alert.other_unit
        });
        if alert.dismissed_at.is_some()
            || alert.left_at > now
            || taken_over
            || member_of(&snapshot, alert.left, alert.left_unit, now)
        {
            continue;
        }
        let mut party = |id: PartyId| named(store, &mut parties, id);
        views.push(AlertView {
            id: alert.id,
            left: party(alert.left)?,
            left_unit: party(alert.left_unit)?,
            other_unit: party(alert.other_unit)?,
            other: party(alert.other)?,
            others: alert.others,
            left_at: alert.left_at,
            volume: balans_core::Sum(alert.volume),
        });
    }
    views.sort_by(|x, y| y.left_at.cmp(&x.left_at).then(x.id.cmp(&y.id)));
    Ok(views)
}

/// Dismisses an open alert: it is no longer shown.
pub fn dismiss_alert<S: Store + ?Sized>(
    store: &mut S,
    id: i64,
    now: Moment,
) -> Result<(), LedgerError> {
    in_transaction(store, |store| {
        if store.dismiss_alert(id, now)? {
            Ok(())
        } else {
            Err(LedgerError::not_found(
                format!("no open alert #{id}"),
                field::Code::AlertUnknown,
                &[("id", &id.to_string())],
            ))
        }
    })
}

/// A dormant person pair of a relationship that a handover could take over:
/// `left` left their side, and each of `successors` is a member of it now.
#[derive(Debug, Clone)]
pub struct HandoverCandidate {
    pub left: PartyRef,
    pub other: PartyRef,
    pub successors: Vec<PartyRef>,
}

/// The dormant pairs of `view` whose side that left has members now, with
/// those members: what a staff user may offer as a handover.
pub fn handover_candidates<S: Store + ?Sized>(
    store: &mut S,
    view: &CreditsView,
    now: Moment,
) -> Result<Vec<HandoverCandidate>, LedgerError> {
    let snapshot = Snapshot::load(store)?;
    let mut found = Vec::new();
    for pair in view.pairs.iter().filter(|p| p.state == "dormant") {
        for (left, unit, other) in [(&pair.a, view.a.id, &pair.b), (&pair.b, view.b.id, &pair.a)] {
            if member_of(&snapshot, left.id, unit, now) {
                continue;
            }
            let mut successors = Vec::new();
            for person in people_of(&snapshot, unit) {
                if person != unit
                    && person != left.id
                    && person != other.id
                    && member_of(&snapshot, person, unit, now)
                    && let Some(party) = store.party_by_id(person)?
                {
                    successors.push(PartyRef::from(&party));
                }
            }
            if !successors.is_empty() {
                successors.sort_by(|x, y| x.name.cmp(&y.name));
                found.push(HandoverCandidate {
                    left: left.clone(),
                    other: other.clone(),
                    successors,
                });
            }
        }
    }
    Ok(found)
}

/// An organization's credits over all its relationships (`docs/credits.md`,
/// "An organization's totals"), seen from it, at `as_of`.
#[derive(Debug, Clone, Serialize)]
pub struct OrganizationCredits {
    #[serde(serialize_with = "key_of")]
    pub organization: PartyRef,
    #[serde(serialize_with = "moment")]
    pub as_of: Moment,
    pub historical: BothView,
    pub live: BothView,
    pub dormant: BothView,
    pub handed_over: BothView,
}

/// The sum of `organization`'s relationships' figures at `as_of` (now unless
/// given). Read from what the people who left built, not from every person
/// pair: the historical figures are the organization's stored sums, and only
/// the pairs of someone who is no longer a member of an organization they were
/// can be dormant.
pub fn organization_credits<S: Store + ?Sized>(
    store: &mut S,
    organization: &str,
    as_of: Option<Moment>,
) -> Result<OrganizationCredits, LedgerError> {
    let o = super::find_party(store, organization)?;
    let as_of = as_of.unwrap_or_else(Moment::now);
    let overflow = || LedgerError::Store(StoreError::Overflow("an organization's credits".into()));
    let sums = store.party_totals_of(Level::Organization, o.id)?;
    if sums.iter().any(|(_, t)| t.last > as_of) {
        // Gestures after the moment asked: summed relationship by relationship.
        let views = credits(store, organization, None, Some(as_of))?;
        let mut total = [Both::default(); 4];
        for v in &views {
            for (sum, figure) in
                total
                    .iter_mut()
                    .zip([&v.historical, &v.live, &v.dormant, &v.handed_over])
            {
                sum.add(&both_of(figure)).map_err(|_| overflow())?;
            }
        }
        return Ok(OrganizationCredits {
            organization: PartyRef::from(&o),
            as_of,
            historical: total[0].into(),
            live: total[1].into(),
            dormant: total[2].into(),
            handed_over: total[3].into(),
        });
    }
    let mut historical = Both::default();
    for (dimension, t) in &sums {
        let flows = Flows {
            a_to_b: t.low_to_high,
            b_to_a: t.high_to_low,
        };
        match dimension {
            Dimension::Money => historical.money = flows,
            Dimension::Credit => historical.credit = flows,
        }
    }
    let snapshot = Snapshot::load(store)?;
    // Everyone no longer a member, at the moment asked, of an organization they
    // were a member of: only their pairs can be dormant.
    let mut left: Vec<PartyId> = snapshot
        .memberships()
        .iter()
        .filter(|m| m.until.is_some_and(|until| until <= as_of))
        .filter(|m| !member_of(&snapshot, m.person, m.organization, as_of))
        .map(|m| m.person)
        .collect();
    left.sort_unstable();
    left.dedup();
    let mut dormant = Both::default();
    let mut add = |x: PartyId, x_unit: PartyId, y: PartyId, y_unit: PartyId, both: Both| {
        let (ours, theirs, their_unit, both) = if x_unit == o.id && y_unit != o.id {
            (x, y, y_unit, both)
        } else if y_unit == o.id && x_unit != o.id {
            (y, x, x_unit, both.flipped())
        } else {
            return Ok(());
        };
        if !(member_of(&snapshot, ours, o.id, as_of)
            && member_of(&snapshot, theirs, their_unit, as_of))
        {
            dormant.add(&both).map_err(|_| overflow())?;
        }
        Ok(())
    };
    each_contribution(store, &snapshot, &left, as_of, &mut add)?;
    let mut handed_over = Both::default();
    for h in store.handovers()? {
        let other_unit = if h.left_unit == o.id {
            h.other_unit
        } else if h.other_unit == o.id {
            h.left_unit
        } else {
            continue;
        };
        // Seen from the organization: its person first, what moved its way.
        let Some(accepted) = h.accepted_for(o.id, other_unit, as_of) else {
            continue;
        };
        let live = |(p, q): (PartyId, PartyId)| {
            member_of(&snapshot, p, o.id, as_of) && member_of(&snapshot, q, other_unit, as_of)
        };
        if !live(accepted.from) && live(accepted.to) {
            handed_over.add(&accepted.moved).map_err(|_| overflow())?;
        }
    }
    let mut live = historical.minus(&dormant).map_err(|_| overflow())?;
    live.add(&handed_over).map_err(|_| overflow())?;
    let dormant = historical.minus(&live).map_err(|_| overflow())?;
    Ok(OrganizationCredits {
        organization: PartyRef::from(&o),
        as_of,
        historical: historical.into(),
        live: live.into(),
        dormant: dormant.into(),
        handed_over: handed_over.into(),
    })
}

fn both_of(view: &BothView) -> Both {
    Both {
        money: Flows {
            a_to_b: view.money.a_to_b.0,
            b_to_a: view.money.b_to_a.0,
        },
        credit: Flows {
            a_to_b: view.credit.a_to_b.0,
            b_to_a: view.credit.b_to_a.0,
        },
    }
}
