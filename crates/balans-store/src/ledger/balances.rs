//! Balances: a pair's balance, and a party's counterparts by volume.

use balans_core::{Balance, Dimension, Level, PairKey, Party, PartyId, PartyKey, Totals};
use serde::Serialize;

use super::lookup::find_party;
use super::view::{PairView, PartyRef, default_level, view};
use crate::store::{Store, StoreError};
use crate::{LedgerError, field};

/// The parties with keys `a` and `b`, read in one trip to the store.
fn find_two<S: Store + ?Sized>(
    store: &mut S,
    a: &str,
    b: &str,
) -> Result<(Party, Party), LedgerError> {
    let parse = |key: &str| {
        PartyKey::parse(key).map_err(|e| LedgerError::NotFound {
            message: format!("party key: {e}"),
            said: Some(e.said()),
        })
    };
    let (key_a, key_b) = (parse(a)?, parse(b)?);
    let found = store.parties_by_keys(&[key_a.as_str(), key_b.as_str()])?;
    let take = |key: &PartyKey| {
        found
            .iter()
            .find(|p| &p.fields.key == key)
            .cloned()
            .ok_or_else(|| LedgerError::UnknownParty(key.to_string()))
    };
    Ok((take(&key_a)?, take(&key_b)?))
}

/// The balance of the pair `a`, `b`.
pub fn pair_balance<S: Store + ?Sized>(
    store: &mut S,
    a: &str,
    b: &str,
    level: Option<Level>,
) -> Result<PairView, LedgerError> {
    let (a, b) = find_two(store, a, b)?;
    if a.id == b.id {
        return Err(LedgerError::Invalid(vec![
            field::Error::new("b", "a balance needs two different parties")
                .said(field::Code::SameParty, &[]),
        ]));
    }
    let level = level.unwrap_or_else(|| default_level(&a, Some(&b)));
    if level == Level::Organization && person_and_organization(&a, &b).is_some() {
        return Ok(person_part(store, &a, &b)?.pair);
    }
    let rows = store.pair(level, a.id, b.id)?;
    Ok(view(level, &a, &b, &rows))
}

/// Every counterpart of `a`, largest credit imbalance first (then money).
pub fn counterparts<S: Store + ?Sized>(
    store: &mut S,
    a: &str,
    level: Option<Level>,
) -> Result<Counterparts, LedgerError> {
    top_counterparts(store, a, level, 0, usize::MAX)
}

/// The counterparts of `a` ranked by credit imbalance (then money, then who
/// came first), the `n` after the first `skip`, in that order; `total` says how
/// many there are in all.
pub fn top_counterparts<S: Store + ?Sized>(
    store: &mut S,
    a: &str,
    level: Option<Level>,
    skip: usize,
    n: usize,
) -> Result<Counterparts, LedgerError> {
    let a = find_party(store, a)?;
    let level = level.unwrap_or_else(|| default_level(&a, None));
    let rows = store.balances_of(level, a.id)?;
    let mut by_counterpart: std::collections::BTreeMap<PartyId, Vec<(PairKey, Totals)>> =
        Default::default();
    for (key, totals) in rows {
        let other = if key.low == a.id { key.high } else { key.low };
        by_counterpart.entry(other).or_default().push((key, totals));
    }
    let total = by_counterpart.len();
    let mut by_counterpart: Vec<(PartyId, Vec<(PairKey, Totals)>)> =
        by_counterpart.into_iter().collect();
    if skip > 0 || n < total {
        // Only those shown are named: the others need no lookup.
        let size = |rows: &[(PairKey, Totals)], dimension: Dimension| {
            rows.iter()
                .filter(|(key, _)| key.dimension == dimension)
                .map(|(key, totals)| Balance::seen_from(a.id, key, totals).net().abs())
                .sum::<i128>()
        };
        by_counterpart.sort_by_cached_key(|(other, rows)| {
            (
                std::cmp::Reverse((size(rows, Dimension::Credit), size(rows, Dimension::Money))),
                *other,
            )
        });
        by_counterpart.drain(..skip.min(total));
        by_counterpart.truncate(n);
    }
    let mut views = Vec::with_capacity(by_counterpart.len());
    for (other, rows) in by_counterpart {
        let b = store
            .party_by_id(other)?
            .ok_or_else(|| StoreError::Corrupt(format!("party #{} is missing", other.0)))?;
        views.push(view(level, &a, &b, &rows));
    }
    views.sort_by(|x, y| {
        (y.credit.net.0.abs(), y.money.net.0.abs(), &x.b.key).cmp(&(
            x.credit.net.0.abs(),
            x.money.net.0.abs(),
            &y.b.key,
        ))
    });
    Ok(Counterparts {
        party: (&a).into(),
        level,
        counterparts: views,
        total,
    })
}

/// One party's balances at one level summed over all its counterparts.
#[derive(Debug, Clone, Copy, Default)]
pub struct PartySums {
    /// What it gave as `a_to_b`, what it received as `b_to_a`.
    pub credit: Balance,
    pub money: Balance,
}

impl PartySums {
    /// The gestures counted, in both dimensions.
    pub fn count(&self) -> i64 {
        self.credit.count + self.money.count
    }

    pub fn last(&self) -> Option<balans_core::Moment> {
        self.credit.last.max(self.money.last)
    }
}

/// The sums of the party `key` at `level`, read from those kept beside the balances.
pub fn party_sums<S: Store + ?Sized>(
    store: &mut S,
    key: &str,
    level: Level,
) -> Result<PartySums, LedgerError> {
    let party = find_party(store, key)?;
    let mut sums = PartySums::default();
    for (dimension, t) in store.party_totals_of(level, party.id)? {
        let balance = Balance {
            a_to_b: t.low_to_high,
            b_to_a: t.high_to_low,
            count: t.count,
            first: Some(t.first),
            last: Some(t.last),
        };
        match dimension {
            Dimension::Credit => sums.credit = balance,
            Dimension::Money => sums.money = balance,
        }
    }
    Ok(sums)
}

#[derive(Debug, Clone, Serialize)]
pub struct Counterparts {
    pub party: PartyRef,
    pub level: Level,
    pub counterparts: Vec<PairView>,
    /// How many counterparts there are, shown or not.
    #[serde(skip)]
    pub total: usize,
}

/// A person's part of an organization's relationships (DESIGN, "Balance"): every
/// gesture between `person` and `organization` or the people it had at the
/// gesture's time, except those inside the organization (when the person was one
/// of its people too). Between a person and an organization, this is what
/// organization level shows: for a person of no organization it is the stored
/// organization-level balance; for an account manager it is their share of the
/// customer's relationship with us.
#[derive(Debug, Clone)]
pub struct Part {
    /// The balance of the two, seen from the party asked about first; `part` set.
    pub pair: PairView,
    /// The same, split by the party on the organization's side that the gesture
    /// named (the organization itself or one of its people), largest credit
    /// imbalance first; each seen from the same side as `pair`.
    pub behind: Vec<PairView>,
    /// Every gesture counted, in the order they were stored.
    pub gestures: Vec<balans_core::StoredGesture>,
}

/// The person and the organization of `a` and `b`, when one is each.
pub fn person_and_organization<'p>(a: &'p Party, b: &'p Party) -> Option<(&'p Party, &'p Party)> {
    use balans_core::PartyKind::{Organization, Person};
    match (a.fields.kind, b.fields.kind) {
        (Person, Organization) => Some((a, b)),
        (Organization, Person) => Some((b, a)),
        _ => None,
    }
}

/// [`Part`] of the pair `a`, `b`, one a person and the other an organization.
pub fn person_part<S: Store + ?Sized>(
    store: &mut S,
    a: &Party,
    b: &Party,
) -> Result<Part, LedgerError> {
    let Some((person, organization)) = person_and_organization(a, b) else {
        return Err(LedgerError::Invalid(vec![field::Error::new(
            "b",
            "a person's part needs a person and an organization",
        )]));
    };
    let mut people: Vec<PartyId> = store
        .members_of(organization.id)?
        .iter()
        .map(|m| m.person)
        .collect();
    people.push(organization.id);
    people.sort_unstable();
    people.dedup();
    let mut everyone = people.clone();
    everyone.push(person.id);
    let index = balans_core::MembershipIndex::new(store.memberships_of_many(&everyone)?);
    let mut filter = crate::store::GestureFilter {
        party: Some(person.id),
        any_of: Some(people),
        limit: 1_000,
        ..crate::store::GestureFilter::default()
    };
    let key =
        |dimension| PairKey::directed(Level::Organization, person.id, organization.id, dimension).0;
    let mut sums: Vec<(PairKey, Totals)> = Vec::new();
    let mut by_named: std::collections::BTreeMap<PartyId, Vec<(PairKey, Totals)>> =
        Default::default();
    let add = |rows: &mut Vec<(PairKey, Totals)>, key: PairKey, totals: Totals| match rows
        .iter_mut()
        .find(|(k, _)| *k == key)
    {
        Some((_, sum)) => sum
            .merge(&totals)
            .map_err(|_| LedgerError::Store(StoreError::Corrupt("a sum overflows".into()))),
        None => {
            rows.push((key, totals));
            Ok(())
        }
    };
    let mut gestures = Vec::new();
    super::gestures::walk_gestures(store, &mut filter, |stored| {
        let g = &stored.gesture;
        let (own, other, other_named) = if g.giver == person.id {
            ((g.giver, g.giver_org), g.receiver, g.receiver_org)
        } else {
            ((g.receiver, g.receiver_org), g.giver, g.giver_org)
        };
        let at = stored.attributed_at;
        let counts = other != person.id
            && index.unit(other, at, other_named).ok() == Some(organization.id)
            && index.unit(own.0, at, own.1).ok() != Some(organization.id);
        if !counts {
            return Ok(true);
        }
        let forward = g.giver == person.id;
        let dimension = g.dimension;
        let part_key = key(dimension);
        let totals = Totals::of(forward == (part_key.low == person.id), g.amount, g.at);
        add(&mut sums, part_key, totals)?;
        let (named_key, named_forward) =
            PairKey::directed(Level::Person, g.giver, g.receiver, dimension);
        add(
            by_named.entry(other).or_default(),
            named_key,
            Totals::of(named_forward, g.amount, g.at),
        )?;
        gestures.push(stored);
        Ok(true)
    })?;
    let mut pair = view(Level::Organization, a, b, &sums);
    pair.part = true;
    let mut behind = Vec::with_capacity(by_named.len());
    for (named, rows) in by_named {
        let party = store
            .party_by_id(named)?
            .ok_or_else(|| StoreError::Corrupt(format!("party #{} is missing", named.0)))?;
        behind.push(if a.id == person.id {
            view(Level::Person, person, &party, &rows)
        } else {
            view(Level::Person, &party, person, &rows)
        });
    }
    behind.sort_by(|x, y| {
        (
            y.credit.net.0.abs(),
            y.money.net.0.abs(),
            &x.b.key,
            &x.a.key,
        )
            .cmp(&(
                x.credit.net.0.abs(),
                x.money.net.0.abs(),
                &y.b.key,
                &y.a.key,
            ))
    });
    Ok(Part {
        pair,
        behind,
        gestures,
    })
}
