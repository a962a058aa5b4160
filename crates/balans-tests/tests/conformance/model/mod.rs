//! A model of the ledger rules, written independently of the stores, for property
//! tests: any sequence of gestures, reversals, retries and membership changes must
//! leave every stored balance equal to the model's sum of the accepted gestures,
//! at both levels, and the store must accept and refuse exactly what the model does.

use std::collections::BTreeMap;

use balans_core::{Dimension, Level, Moment, PairKey, PartyId, PartyKey, Totals, Zone};
use balans_store::GestureText;
use balans_store::ledger;
use balans_store::prelude::*;
use balans_tests::Backend;
use proptest::prelude::*;

pub mod credits;
pub mod promises;

const ORGS: usize = 3;
const PERSONS: usize = 5;

fn key(party: usize) -> String {
    if party < ORGS {
        format!("o{party}")
    } else {
        format!("p{}", party - ORGS)
    }
}

/// (code, dimension, default in minor units)
const KINDS: [(&str, Dimension, Option<i64>); 3] = [
    ("thanks", Dimension::Credit, Some(100)),
    ("brush_off", Dimension::Credit, Some(-200)),
    ("pay", Dimension::Money, None),
];

#[derive(Debug, Clone)]
pub enum Op {
    Give {
        giver: usize,
        receiver: usize,
        kind: usize,
        amount: Option<i64>,
        day: u8,
        giver_org: Option<usize>,
        via_import: bool,
    },
    Reverse {
        nth: usize,
        day: u8,
    },
    Retry {
        nth: usize,
    },
    Member {
        person: usize,
        org: usize,
        from: u8,
        length: Option<u8>,
    },
}

pub fn operations() -> impl Strategy<Value = Vec<Op>> {
    let party = 0..ORGS + PERSONS;
    let give = (
        party.clone(),
        party,
        0..KINDS.len(),
        proptest::option::of(-500i64..500),
        1u8..29,
        proptest::option::weighted(0.2, 0..ORGS),
        any::<bool>(),
    )
        .prop_map(
            |(giver, receiver, kind, amount, day, giver_org, via_import)| Op::Give {
                giver,
                receiver,
                kind,
                amount,
                day,
                giver_org,
                via_import,
            },
        );
    let reverse = (0usize..40, 1u8..29).prop_map(|(nth, day)| Op::Reverse { nth, day });
    let retry = (0usize..40).prop_map(|nth| Op::Retry { nth });
    let member = (0..PERSONS, 0..ORGS, 1u8..29, proptest::option::of(1u8..20)).prop_map(
        |(person, org, from, length)| Op::Member {
            person: ORGS + person,
            org,
            from,
            length,
        },
    );
    proptest::collection::vec(
        prop_oneof![6 => give, 1 => reverse, 1 => retry, 2 => member],
        1..30,
    )
}

#[derive(Debug, Clone)]
struct ModelGesture {
    id: String,
    giver: usize,
    receiver: usize,
    giver_org: Option<usize>,
    kind: usize,
    amount: i64,
    day: u8,
    attributed_day: u8,
    reverses: Option<usize>,
    reversed: bool,
}

#[derive(Default)]
struct Model {
    /// (person, org, from) → until (exclusive), days.
    memberships: BTreeMap<(usize, usize, u8), Option<u8>>,
    gestures: Vec<ModelGesture>,
}

impl Model {
    /// What the party counts for at organization level on `day`, or `None` when it cannot be told.
    fn unit(
        &self,
        memberships: &BTreeMap<(usize, usize, u8), Option<u8>>,
        party: usize,
        day: u8,
        named: Option<usize>,
    ) -> Option<usize> {
        let mut orgs: Vec<usize> = memberships
            .iter()
            .filter(|((person, _, from), until)| {
                *person == party && *from <= day && until.is_none_or(|u| day < u)
            })
            .map(|((_, org, _), _)| *org)
            .collect();
        orgs.sort_unstable();
        orgs.dedup();
        match named {
            Some(org) => orgs.contains(&org).then_some(org),
            None => match orgs.len() {
                0 => Some(party),
                1 => Some(orgs[0]),
                _ => None,
            },
        }
    }

    fn attributable(
        &self,
        memberships: &BTreeMap<(usize, usize, u8), Option<u8>>,
        g: &ModelGesture,
    ) -> bool {
        self.unit(memberships, g.giver, g.attributed_day, g.giver_org)
            .is_some()
            && self
                .unit(memberships, g.receiver, g.attributed_day, None)
                .is_some()
    }

    fn expected(&self, ids: &[PartyId], zone: &Zone) -> BTreeMap<PairKey, Totals> {
        let mut all: BTreeMap<PairKey, Totals> = BTreeMap::new();
        let mut add = |level, giver: usize, receiver: usize, dimension, amount, at| {
            let (key, forward) = PairKey::directed(level, ids[giver], ids[receiver], dimension);
            let (low_to_high, high_to_low) = if forward { (amount, 0) } else { (0, amount) };
            let entry = all.entry(key).or_insert(Totals {
                low_to_high: 0,
                high_to_low: 0,
                count: 0,
                first: at,
                last: at,
            });
            entry.low_to_high += low_to_high;
            entry.high_to_low += high_to_low;
            entry.count += 1;
            entry.first = entry.first.min(at);
            entry.last = entry.last.max(at);
        };
        for g in &self.gestures {
            let dimension = KINDS[g.kind].1;
            let at = moment(zone, g.day);
            add(Level::Person, g.giver, g.receiver, dimension, g.amount, at);
            let giver = self
                .unit(&self.memberships, g.giver, g.attributed_day, g.giver_org)
                .expect("stored gestures stay attributable");
            let receiver = self
                .unit(&self.memberships, g.receiver, g.attributed_day, None)
                .expect("stored gestures stay attributable");
            if giver != receiver {
                add(
                    Level::Organization,
                    giver,
                    receiver,
                    dimension,
                    g.amount,
                    at,
                );
            }
        }
        all
    }
}

fn date(day: u8) -> String {
    if day <= 31 {
        format!("2024-01-{day:02}")
    } else {
        format!("2024-02-{:02}", day - 31)
    }
}

fn moment(zone: &Zone, day: u8) -> Moment {
    zone.parse(&date(day)).unwrap()
}

fn import_one<S: Store>(
    store: &mut S,
    name: &str,
    text: String,
) -> Result<(), balans_store::LedgerError> {
    let sources = vec![balans_store::import::Source::new(
        name,
        std::io::Cursor::new(text.into_bytes()),
    )];
    balans_store::import::import(store, sources, Default::default(), &|_| {}).map(drop)
}

pub fn run<B: Backend>(ops: Vec<Op>) {
    let (mut store, _guard) = B::fresh();
    let mut parties = String::from("key,kind,name\n");
    for party in 0..ORGS + PERSONS {
        let kind = if party < ORGS {
            "organization"
        } else {
            "person"
        };
        parties.push_str(&format!("{},{kind},Party {party}\n", key(party)));
    }
    import_one(&mut store, "parties.csv", parties).unwrap();
    let ids: Vec<PartyId> = (0..ORGS + PERSONS)
        .map(|p| {
            store
                .party_by_key(&PartyKey::parse(&key(p)).unwrap())
                .unwrap()
                .unwrap()
                .id
        })
        .collect();
    let zone = Zone::named(balans_core::DEFAULT_TIME_ZONE).unwrap();
    let mut model = Model::default();

    for (step, op) in ops.iter().enumerate() {
        match op {
            Op::Give {
                giver,
                receiver,
                kind,
                amount,
                day,
                giver_org,
                via_import,
            } => {
                let (code, _, default) = KINDS[*kind];
                let id = format!("s{step}");
                let resolved_amount = amount.or(default);
                let candidate = ModelGesture {
                    id: id.clone(),
                    giver: *giver,
                    receiver: *receiver,
                    giver_org: *giver_org,
                    kind: *kind,
                    amount: resolved_amount.unwrap_or(0),
                    day: *day,
                    attributed_day: *day,
                    reverses: None,
                    reversed: false,
                };
                // A payment is never negative (a refund goes the other way).
                let negative_payment =
                    KINDS[*kind].1 == Dimension::Money && resolved_amount.is_some_and(|a| a < 0);
                let accept = giver != receiver
                    && resolved_amount.is_some()
                    && !negative_payment
                    && !(giver_org.is_some() && *giver < ORGS)
                    && model.attributable(&model.memberships, &candidate);
                let amount_text = amount
                    .map(|a| balans_core::Amount::from_minor(a).unwrap().to_string())
                    .unwrap_or_default();
                let org_text = giver_org.map(key).unwrap_or_default();
                let result = if *via_import {
                    let text = format!(
                        "id,at,giver,receiver,kind,amount,giver_org\n{id},{},{},{},{code},{amount_text},{org_text}\n",
                        date(*day),
                        key(*giver),
                        key(*receiver)
                    );
                    import_one(&mut store, "g.csv", text)
                } else {
                    ledger::give(
                        &mut store,
                        &GestureText {
                            id: &id,
                            at: &date(*day),
                            giver: &key(*giver),
                            receiver: &key(*receiver),
                            kind: code,
                            amount: &amount_text,
                            giver_org: &org_text,
                            ..GestureText::default()
                        },
                    )
                    .map(drop)
                };
                assert_eq!(
                    result.is_ok(),
                    accept,
                    "step {step} {op:?}: store said {result:?}"
                );
                if accept {
                    model.gestures.push(candidate);
                }
            }
            Op::Reverse { nth, day } => {
                if model.gestures.is_empty() {
                    continue;
                }
                let target = nth % model.gestures.len();
                let original = model.gestures[target].clone();
                let accept = original.reverses.is_none() && !original.reversed;
                let id = format!("r{step}");
                let result =
                    ledger::reverse(&mut store, &original.id, Some(&date(*day)), None, Some(&id));
                assert_eq!(
                    result.is_ok(),
                    accept,
                    "step {step} {op:?}: store said {:?}",
                    result.map(|g| g.id)
                );
                if accept {
                    model.gestures[target].reversed = true;
                    model.gestures.push(ModelGesture {
                        id,
                        amount: -original.amount,
                        day: *day,
                        reverses: Some(target),
                        reversed: false,
                        ..original
                    });
                }
            }
            Op::Retry { nth } => {
                let originals: Vec<&ModelGesture> = model
                    .gestures
                    .iter()
                    .filter(|g| g.reverses.is_none())
                    .collect();
                if originals.is_empty() {
                    continue;
                }
                let g = originals[nth % originals.len()];
                let given = ledger::give(
                    &mut store,
                    &GestureText {
                        id: &g.id,
                        at: &date(g.day),
                        giver: &key(g.giver),
                        receiver: &key(g.receiver),
                        kind: KINDS[g.kind].0,
                        amount: &balans_core::Amount::from_minor(g.amount)
                            .unwrap()
                            .to_string(),
                        giver_org: &g.giver_org.map(key).unwrap_or_default(),
                        ..GestureText::default()
                    },
                )
                .unwrap_or_else(|e| panic!("step {step}: a retry of {} was refused: {e}", g.id));
                assert!(!given.added, "step {step}: a retry added a gesture");
            }
            Op::Member {
                person,
                org,
                from,
                length,
            } => {
                let until = length.map(|l| from.saturating_add(l));
                let mut next = model.memberships.clone();
                next.insert((*person, *org, *from), until);
                let accept = model.gestures.iter().all(|g| model.attributable(&next, g));
                let text = format!(
                    "person,organization,role,from,until\n{},{},contact,{},{}\n",
                    key(*person),
                    key(*org),
                    date(*from),
                    until.map(date).unwrap_or_default()
                );
                let result = import_one(&mut store, "m.csv", text);
                assert_eq!(
                    result.is_ok(),
                    accept,
                    "step {step} {op:?}: store said {result:?}"
                );
                if accept {
                    model.memberships = next;
                    // Moving gestures keeps the months and each party's sums too.
                    let report = ledger::check(&mut store).unwrap();
                    assert!(
                        report.is_consistent(),
                        "step {step} {op:?}: {:?}",
                        report.differences
                    );
                }
            }
        }
        let mut stored = BTreeMap::new();
        store
            .for_each_balance(&mut |key, totals| {
                stored.insert(key, totals);
                Ok(())
            })
            .unwrap();
        assert_eq!(
            stored,
            model.expected(&ids, &zone),
            "balances after step {step} {op:?}"
        );
    }
    let report = ledger::check(&mut store).unwrap();
    assert!(report.differences.is_empty(), "{:?}", report.differences);
    assert_eq!(report.gestures, model.gestures.len() as u64);
}
