//! A model of credits that belong to people (`docs/credits.md`), written from
//! the definitions and independently of `balans_core::credits`: for any
//! sequence of gestures, departures and handovers, every organization pair's
//! historical, live and dormant figures at every step equal the model's, and
//! historical = live + dormant in each dimension and direction.

use std::collections::BTreeMap;

use balans_core::{HandoverState, Moment, Zone};
use balans_store::LedgerError;
use balans_store::ledger::{self, BothView, Decider};
use balans_store::snapshot::MembershipText;
use balans_tests::Backend;
use proptest::prelude::*;

/// us and c1 are organizations; h1, h2 belong to us, g1, g2 to c1, from day 0;
/// solo belongs to none.
const KEYS: [&str; 7] = ["us", "c1", "h1", "h2", "g1", "g2", "solo"];
const US: usize = 0;
const C1: usize = 1;
const SOLO: usize = 6;

fn organization_of(person: usize) -> Option<usize> {
    match person {
        2 | 3 => Some(US),
        4 | 5 => Some(C1),
        _ => None,
    }
}

#[derive(Debug, Clone)]
pub enum Op {
    Give {
        giver: usize,
        receiver: usize,
        credit: bool,
        amount: i64,
        advance: u8,
    },
    Leave {
        person: usize,
        advance: u8,
    },
    Handover {
        pick: usize,
        successor: usize,
        share: u8,
        advance: u8,
    },
}

pub fn operations() -> impl Strategy<Value = Vec<Op>> {
    let give = (
        0..KEYS.len(),
        0..KEYS.len(),
        any::<bool>(),
        1i64..900,
        0u8..3,
    )
        .prop_map(|(giver, receiver, credit, amount, advance)| Op::Give {
            giver,
            receiver,
            credit,
            // Credit may be negative (a take); a payment is not.
            amount: if credit && amount % 3 == 0 {
                -amount
            } else {
                amount
            },
            advance,
        });
    let leave = (2usize..6, 0u8..3).prop_map(|(person, advance)| Op::Leave { person, advance });
    let handover = (0usize..50, 0usize..50, 0u8..=100, 0u8..3).prop_map(
        |(pick, successor, share, advance)| Op::Handover {
            pick,
            successor,
            share,
            advance,
        },
    );
    proptest::collection::vec(prop_oneof![5 => give, 2 => leave, 3 => handover], 1..32)
}

/// The day's date: day 0 is 1 January 2025; at most 59 (28 February).
fn date(day: u8) -> String {
    if day < 31 {
        format!("2025-01-{:02}", day + 1)
    } else {
        format!("2025-02-{:02}", day - 30)
    }
}

/// Money and credit, each way: [money a→b, money b→a, credit a→b, credit b→a].
type Four = [i64; 4];

/// Per organization pair (units, in order) and person pair (on those sides).
type Contributions = BTreeMap<((usize, usize), (usize, usize)), Four>;

struct Given {
    giver: usize,
    receiver: usize,
    credit: bool,
    amount: i64,
    day: u8,
}

struct Accepted {
    left: usize,
    left_unit: usize,
    other: usize,
    other_unit: usize,
    successor: usize,
    share: u8,
    day: u8,
    /// Seen from `left`.
    moved: Four,
}

#[derive(Default)]
struct Model {
    /// The day each person left their organization.
    left: BTreeMap<usize, u8>,
    gestures: Vec<Given>,
    accepted: Vec<Accepted>,
}

impl Model {
    /// Whether `person` is `unit`, or a member of it on `day`.
    fn member(&self, person: usize, unit: usize, day: u8) -> bool {
        person == unit
            || (organization_of(person) == Some(unit)
                && self.left.get(&person).is_none_or(|until| day < *until))
    }

    /// What a party counts for on `day`.
    fn unit(&self, party: usize, day: u8) -> usize {
        match organization_of(party) {
            Some(org) if self.member(party, org, day) => org,
            _ => party,
        }
    }

    /// Per organization pair (units, in order) and person pair (on those
    /// sides), what the gestures up to `day` contribute.
    fn contributions(&self, day: u8) -> Contributions {
        let mut all: BTreeMap<_, Four> = BTreeMap::new();
        for g in self.gestures.iter().filter(|g| g.day <= day) {
            let (gu, ru) = (self.unit(g.giver, g.day), self.unit(g.receiver, g.day));
            if gu == ru {
                continue;
            }
            let slot = if g.credit { 2 } else { 0 };
            all.entry(((gu, ru), (g.giver, g.receiver))).or_default()[slot] += g.amount;
            all.entry(((ru, gu), (g.receiver, g.giver))).or_default()[slot + 1] += g.amount;
        }
        all
    }

    /// `organization`'s figures with each counterpart at `day`: (historical,
    /// live, dormant), seen from the organization.
    fn figures(&self, organization: usize, day: u8) -> BTreeMap<usize, [Four; 3]> {
        let mut out: BTreeMap<usize, [Four; 3]> = BTreeMap::new();
        for (((a, b), (p, q)), four) in self.contributions(day) {
            if a != organization {
                continue;
            }
            let entry = out.entry(b).or_default();
            let live = self.member(p, a, day) && self.member(q, b, day);
            for i in 0..4 {
                entry[0][i] += four[i];
                if live {
                    entry[1][i] += four[i];
                }
            }
        }
        for h in self.accepted.iter().filter(|h| h.day <= day) {
            let (other_unit, moved) = if h.left_unit == organization {
                (h.other_unit, h.moved)
            } else if h.other_unit == organization {
                let m = h.moved;
                (h.left_unit, [m[1], m[0], m[3], m[2]])
            } else {
                continue;
            };
            let source_dormant =
                !(self.member(h.left, h.left_unit, day) && self.member(h.other, h.other_unit, day));
            let target_live = self.member(h.successor, h.left_unit, day)
                && self.member(h.other, h.other_unit, day);
            if source_dormant && target_live {
                let entry = out.entry(other_unit).or_default();
                for i in 0..4 {
                    entry[1][i] += moved[i];
                }
            }
        }
        for [historical, live, dormant] in out.values_mut() {
            for ((d, h), l) in dormant.iter_mut().zip(historical.iter()).zip(live.iter()) {
                *d = h - l;
            }
        }
        out
    }

    /// The pairs whose credits someone took with them on leaving, as (the one
    /// who left, the other, their units), in order.
    fn dormant_pairs(&self, day: u8) -> Vec<(usize, usize, usize, usize)> {
        let mut pairs = Vec::new();
        for ((a, b), (p, q)) in self.contributions(day).into_keys() {
            if a <= C1 && p != a && !self.member(p, a, day) {
                pairs.push((p, q, a, b));
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    }

    /// How many handovers offering `successor` the credits of `x` and `y`
    /// would make, and whether any of their pairs is dormant.
    fn offers(&self, x: usize, y: usize, successor: usize, day: u8) -> (usize, bool) {
        let mut offers = 0;
        let mut dormant = false;
        for ((a, b), (p, q)) in self.contributions(day).into_keys() {
            if (p, q) != (x, y) {
                continue;
            }
            for (left, unit) in [(x, a), (y, b)] {
                if self.member(left, unit, day) {
                    continue;
                }
                dormant = true;
                if successor != x && successor != y && self.member(successor, unit, day) {
                    offers += 1;
                }
            }
        }
        (offers, dormant)
    }
}

fn four(view: &BothView) -> Four {
    [
        view.money.a_to_b.0,
        view.money.b_to_a.0,
        view.credit.a_to_b.0,
        view.credit.b_to_a.0,
    ]
}

fn import_one<S: balans_store::Store>(store: &mut S, name: &str, text: String) {
    let sources = vec![balans_store::import::Source::new(
        name,
        std::io::Cursor::new(text.into_bytes()),
    )];
    balans_store::import::import(store, sources, Default::default(), &|_| {}).unwrap();
}

pub fn run<T: Backend>(ops: Vec<Op>) {
    let (mut store, _guard) = T::fresh();
    let mut parties = String::from("key,kind,name\n");
    for (i, key) in KEYS.iter().enumerate() {
        let kind = if i <= C1 { "organization" } else { "person" };
        parties.push_str(&format!("{key},{kind},{key}\n"));
    }
    import_one(&mut store, "parties.csv", parties);
    let mut memberships = String::from("person,organization,role,from\n");
    for (person, key) in KEYS.iter().enumerate() {
        if let Some(org) = organization_of(person) {
            memberships.push_str(&format!("{key},{},employee,2025-01-01\n", KEYS[org]));
        }
    }
    import_one(&mut store, "memberships.csv", memberships);
    let zone = Zone::named(balans_core::DEFAULT_TIME_ZONE).unwrap();
    let moment = |day: u8| -> Moment { zone.parse(&date(day)).unwrap() };
    let mut model = Model::default();
    let mut day: u8 = 0;

    for (step, op) in ops.iter().enumerate() {
        match *op {
            Op::Give {
                giver,
                receiver,
                credit,
                amount,
                advance,
            } => {
                day = (day + advance).min(59);
                if giver == receiver {
                    continue;
                }
                let (kind, amount) = if credit {
                    ("thanks", amount)
                } else {
                    ("pay", amount.abs())
                };
                let text = format!(
                    "id,at,giver,receiver,kind,amount\ns{step},{},{},{},{kind},{}\n",
                    date(day),
                    KEYS[giver],
                    KEYS[receiver],
                    balans_core::Amount::from_minor(amount).unwrap()
                );
                import_one(&mut store, "gestures.csv", text);
                model.gestures.push(Given {
                    giver,
                    receiver,
                    credit,
                    amount,
                    day,
                });
            }
            Op::Leave { person, advance } => {
                day = (day + advance).clamp(1, 59);
                if model.left.contains_key(&person) {
                    continue;
                }
                let org = organization_of(person).unwrap();
                ledger::set_membership(
                    &mut store,
                    &MembershipText {
                        person: KEYS[person],
                        organization: KEYS[org],
                        role: "employee",
                        from: "2025-01-01",
                        until: &date(day),
                    },
                )
                .unwrap();
                model.left.insert(person, day);
            }
            Op::Handover {
                pick,
                successor,
                share,
                advance,
            } => {
                day = (day + advance).min(59);
                let pairs = model.dormant_pairs(day);
                if pairs.is_empty() {
                    continue;
                }
                let (x, y, x_unit, _) = pairs[pick % pairs.len()];
                let members: Vec<usize> = (2..SOLO)
                    .filter(|s| model.member(*s, x_unit, day))
                    .collect();
                let Some(&s) = members.get(successor % members.len().max(1)) else {
                    continue;
                };
                let (offers, dormant) = model.offers(x, y, s, day);
                let offered = ledger::offer_handover(
                    &mut store,
                    KEYS[x],
                    KEYS[y],
                    KEYS[s],
                    Some(share),
                    moment(day),
                );
                assert_eq!(
                    offered.is_ok(),
                    offers == 1 && dormant,
                    "step {step}: offer {x} {y} to {s}: {offered:?}"
                );
                let Ok(offered) = offered else { continue };
                let left = KEYS
                    .iter()
                    .position(|k| *k == offered.left.key.as_str())
                    .unwrap();
                let other = KEYS
                    .iter()
                    .position(|k| *k == offered.other.key.as_str())
                    .unwrap();
                let left_unit = KEYS
                    .iter()
                    .position(|k| *k == offered.left_unit.key.as_str())
                    .unwrap();
                let other_unit = KEYS
                    .iter()
                    .position(|k| *k == offered.other_unit.key.as_str())
                    .unwrap();
                let taken: u32 = model
                    .accepted
                    .iter()
                    .filter(|h| {
                        (h.left, h.left_unit, h.other, h.other_unit)
                            == (left, left_unit, other, other_unit)
                    })
                    .map(|h| u32::from(h.share))
                    .sum();
                let accepted = ledger::accept_handover(
                    &mut store,
                    offered.id,
                    moment(day),
                    Some("in the model"),
                    Decider::CommandLine,
                );
                if taken + u32::from(share) > 100 {
                    assert!(
                        matches!(&accepted, Err(LedgerError::Invalid(e)) if e[0].column == "share"),
                        "step {step}: {accepted:?}"
                    );
                    continue;
                }
                let accepted = accepted.unwrap_or_else(|e| panic!("step {step}: {e:?}"));
                assert_eq!(accepted.state, HandoverState::Accepted.as_str());
                let source = model
                    .contributions(day)
                    .get(&((left_unit, other_unit), (left, other)))
                    .copied()
                    .unwrap_or_default();
                let moved = source.map(|v| v * i64::from(share) / 100);
                assert_eq!(four(&accepted.moved), moved, "step {step}: what moved");
                model.accepted.push(Accepted {
                    left,
                    left_unit,
                    other,
                    other_unit,
                    successor: s,
                    share,
                    day,
                    moved,
                });
            }
        }
        // Every organization's figures, now and at an earlier day, equal the model's.
        for at in [day, day / 2] {
            for organization in [US, C1] {
                let views = ledger::credits(&mut store, KEYS[organization], None, Some(moment(at)))
                    .unwrap();
                let stored: BTreeMap<usize, [Four; 3]> = views
                    .iter()
                    .map(|v| {
                        let b = KEYS.iter().position(|k| *k == v.b.key.as_str()).unwrap();
                        let figures = [four(&v.historical), four(&v.live), four(&v.dormant)];
                        let [historical, live, dormant] = figures;
                        for ((h, l), d) in historical.iter().zip(live).zip(dormant) {
                            assert_eq!(*h, l + d, "step {step}: historical = live + dormant");
                        }
                        (b, figures)
                    })
                    // A relationship listed for a handover alone, with nothing yet.
                    .filter(|(_, figures)| figures.iter().any(|f| f.iter().any(|v| *v != 0)))
                    .collect();
                let mut expected = model.figures(organization, at);
                expected.retain(|_, figures| figures.iter().any(|f| f.iter().any(|v| *v != 0)));
                // The organization's totals are the sum of its relationships'.
                let totals =
                    ledger::organization_credits(&mut store, KEYS[organization], Some(moment(at)))
                        .unwrap();
                let mut sum = [[0i64; 4]; 3];
                for figures in expected.values() {
                    for (total, figure) in sum.iter_mut().zip(figures) {
                        for (t, f) in total.iter_mut().zip(figure) {
                            *t += f;
                        }
                    }
                }
                assert_eq!(
                    [
                        four(&totals.historical),
                        four(&totals.live),
                        four(&totals.dormant)
                    ],
                    sum,
                    "step {step}, {} at day {at}: the organization's totals",
                    KEYS[organization]
                );
                assert_eq!(
                    stored, expected,
                    "step {step}, {} at day {at}: (historical, live, dormant) per counterpart",
                    KEYS[organization]
                );
            }
        }
    }
    let report = ledger::check(&mut store).unwrap();
    assert!(report.is_consistent(), "{report:?}");
}
