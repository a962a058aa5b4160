//! Credits that belong to people (`docs/credits.md`): an organization's
//! relationships seen through the person pairs behind them, live or dormant at
//! the moment asked.
//!
//! The person pairs are found from the gestures of the organization and its
//! people (ever), each attributed as the organization level attributes it; the
//! gestures after the moment asked are left out.

use std::collections::BTreeMap;

use balans_core::{
    Both, Credits, Dimension, Flows, Membership, Moment, Party, PartyId, PersonShare, Side, State,
};
use serde::Serialize;

use super::view::{NetSum, PartyRef, key_of};
use crate::LedgerError;
use crate::field;
use crate::snapshot::Snapshot;
use crate::store::{GestureFilter, Store, StoreError};

/// The setting that holds the key-person threshold, a whole percentage.
pub const KEY_PERSON_SETTING: &str = "key_person_percent";
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
        return Err(LedgerError::Invalid(vec![
            field::Error::new("counterpart", "a relationship needs two different parties")
                .said(field::Code::SameParty, &[]),
        ]));
    }
    let as_of = as_of.unwrap_or_else(Moment::now);
    let percent = match store.setting(KEY_PERSON_SETTING)? {
        Some(text) => text
            .parse::<u8>()
            .ok()
            .filter(|p| *p <= 100)
            .ok_or_else(|| {
                StoreError::Corrupt(format!("the setting {KEY_PERSON_SETTING} is '{text}'"))
            })?,
        None => KEY_PERSON_PERCENT,
    };
    let snapshot = Snapshot::load(store)?;
    let mut people: Vec<PartyId> = store
        .members_of(a.id)?
        .iter()
        .map(|m| m.person)
        .chain([a.id])
        .collect();
    people.sort_unstable();
    people.dedup();
    let mut filter = GestureFilter {
        any_of: Some(people),
        until: Some(Moment::from_millis(as_of.millis().saturating_add(1))),
        limit: 10_000,
        ..GestureFilter::default()
    };
    // Per counterpart unit, per person pair (a's side first): what went each way.
    let mut found: BTreeMap<PartyId, BTreeMap<(PartyId, PartyId), Both>> = BTreeMap::new();
    let overflow = || LedgerError::Store(StoreError::Overflow("a person pair's credits".into()));
    super::gestures::walk_gestures(store, &mut filter, |stored| {
        let g = &stored.gesture;
        let Ok((giver_unit, receiver_unit)) = snapshot.units(g, stored.attributed_at) else {
            return Ok(true);
        };
        let (pair, other, forward) = if giver_unit == a.id && receiver_unit != a.id {
            ((g.giver, g.receiver), receiver_unit, true)
        } else if receiver_unit == a.id && giver_unit != a.id {
            ((g.receiver, g.giver), giver_unit, false)
        } else {
            return Ok(true);
        };
        if b.as_ref().is_some_and(|b| b.id != other) {
            return Ok(true);
        }
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
        let both = match g.dimension {
            Dimension::Money => Both {
                money: flows,
                credit: Flows::default(),
            },
            Dimension::Credit => Both {
                money: Flows::default(),
                credit: flows,
            },
        };
        let sum = found.entry(other).or_default().entry(pair).or_default();
        sum.add(&both).map_err(|_| overflow())?;
        Ok(true)
    })?;
    if let Some(b) = &b {
        found.entry(b.id).or_default();
    }
    let member_at = |person: PartyId, unit: PartyId| {
        person == unit
            || snapshot
                .memberships()
                .of_person(person)
                .iter()
                .any(|m: &Membership| m.organization == unit && m.holds_at(as_of))
    };
    let mut parties: BTreeMap<PartyId, PartyRef> = BTreeMap::new();
    let mut views = Vec::with_capacity(found.len());
    for (other, pairs) in found {
        let contributions: Vec<_> = pairs.into_iter().collect();
        let computed = Credits::of(&contributions, &[], |(p, q)| {
            member_at(p, a.id) && member_at(q, other)
        })
        .map_err(|_| overflow())?;
        views.push(view(
            store,
            &mut parties,
            &a,
            other,
            as_of,
            computed,
            percent,
        )?);
    }
    views.sort_by(|x, y| {
        let volume = |v: &CreditsView| {
            i128::from(v.historical.credit.a_to_b.0).abs()
                + i128::from(v.historical.credit.b_to_a.0).abs()
        };
        volume(y).cmp(&volume(x)).then(x.b.key.cmp(&y.b.key))
    });
    Ok(views)
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
    let mut party = |id: PartyId| -> Result<PartyRef, LedgerError> {
        if let Some(known) = parties.get(&id) {
            return Ok(known.clone());
        }
        let found = store
            .party_by_id(id)?
            .ok_or_else(|| StoreError::Corrupt(format!("party #{} is named but missing", id.0)))?;
        let known = PartyRef::from(&found);
        parties.insert(id, known.clone());
        Ok(known)
    };
    let key_persons = credits
        .key_persons(percent)
        .map(|share: &PersonShare| {
            Ok(KeyPerson {
                party: party(share.party)?,
                side: match share.side {
                    Side::A => "a",
                    Side::B => "b",
                },
                share: share.fraction(),
            })
        })
        .collect::<Result<_, LedgerError>>()?;
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
