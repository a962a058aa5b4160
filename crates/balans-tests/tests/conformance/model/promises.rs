//! A model of promises (`docs/promises.md`), written from the definitions:
//! for any sequence of promises made, kept, broken, moved, released and
//! sweeps, at moments that only move forward, every promise's state and the
//! gesture that resolved it equal the model's, each refusal writes nothing,
//! the pair's balance is the sum of the resolving gestures, and `balans check`
//! passes.

use std::collections::BTreeMap;

use balans_core::Moment;
use balans_store::ledger::{self, PromiseText};
use balans_tests::Backend;
use proptest::prelude::*;

const PEOPLE: [&str; 3] = ["ann", "bob", "solo"];
const HOUR: i64 = 3_600_000;
/// The first moment: 2025-01-01T00:00Z.
const START: i64 = 1_735_689_600_000;

#[derive(Debug, Clone)]
pub enum Op {
    Make {
        promiser: usize,
        promisee: usize,
        /// Hours from now to the due moment.
        due_in: u8,
        /// The promised amount in hundredths.
        amount: i64,
    },
    Keep {
        pick: usize,
        /// The kept amount in hundredths, when in part (may be too much).
        part: Option<i64>,
    },
    Break {
        pick: usize,
    },
    Move {
        pick: usize,
        /// Hours from now to the new due moment (0: now, refused).
        due_in: u8,
    },
    Release {
        pick: usize,
    },
    Sweep,
    /// Hours that pass.
    Wait(u8),
}

pub fn operations() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        (0..3usize, 0..3usize, 0u8..12, 0i64..600).prop_map(
            |(promiser, promisee, due_in, amount)| Op::Make {
                promiser,
                promisee,
                due_in,
                amount
            }
        ),
        (any::<usize>(), proptest::option::of(0i64..700))
            .prop_map(|(pick, part)| Op::Keep { pick, part }),
        any::<usize>().prop_map(|pick| Op::Break { pick }),
        (any::<usize>(), 0u8..12).prop_map(|(pick, due_in)| Op::Move { pick, due_in }),
        any::<usize>().prop_map(|pick| Op::Release { pick }),
        Just(Op::Sweep),
        (1u8..8).prop_map(Op::Wait),
    ];
    proptest::collection::vec(op, 1..40)
}

#[derive(Debug, Clone, PartialEq)]
struct Modeled {
    promiser: usize,
    promisee: usize,
    amount: i64,
    due: i64,
    /// "open", "renegotiated", "kept", "broken" or "released".
    state: &'static str,
    /// The credit its gesture moved from promiser to promisee, in hundredths.
    moved: i64,
    dues: usize,
}

impl Modeled {
    fn pending(&self) -> bool {
        matches!(self.state, "open" | "renegotiated")
    }
}

pub fn run<B: Backend>(ops: Vec<Op>) {
    let (mut store, _guard) = B::fresh();
    crate::support::import_texts(
        &mut store,
        &[(
            "parties.csv",
            "key,kind,name\nann,person,Ann\nbob,person,Bob\nsolo,person,Solo\n",
        )],
    )
    .unwrap();
    let mut model: BTreeMap<String, Modeled> = BTreeMap::new();
    let mut now = START;
    let mut made = 0;
    let moment = |ms: i64| Moment::from_millis(ms);
    let text_of = |ms: i64| moment(ms).to_string();
    // The model's sweep at `now`: what fell due is broken, at its due moment.
    let sweep = |model: &mut BTreeMap<String, Modeled>, now: i64| {
        for p in model.values_mut() {
            if p.pending() && p.due <= now {
                p.state = "broken";
                p.moved = -300;
            }
        }
    };
    for op in ops {
        let ids: Vec<String> = model.keys().cloned().collect();
        let pick = |i: usize| ids.get(i % ids.len().max(1)).cloned();
        match op {
            Op::Wait(hours) => {
                now += i64::from(hours) * HOUR;
                continue;
            }
            Op::Sweep => {
                ledger::sweep(&mut store, moment(now)).unwrap();
                sweep(&mut model, now);
            }
            Op::Make {
                promiser,
                promisee,
                due_in,
                amount,
            } => {
                let id = format!("p{made}");
                made += 1;
                let due = now + i64::from(due_in) * HOUR;
                let amount_text = format!("{}.{:02}", amount / 100, amount % 100);
                let (made_at, due_at) = (text_of(now), text_of(due));
                let text = PromiseText {
                    id: &id,
                    promiser: PEOPLE[promiser],
                    promisee: PEOPLE[promisee],
                    kind: "help",
                    amount: &amount_text,
                    made: &made_at,
                    due: &due_at,
                    ..PromiseText::default()
                };
                let result = ledger::make_promise(&mut store, &text, moment(now));
                sweep(&mut model, now);
                if promiser == promisee {
                    assert!(result.is_err(), "a promise to oneself");
                } else {
                    result.unwrap();
                    model.insert(
                        id,
                        Modeled {
                            promiser,
                            promisee,
                            amount,
                            due,
                            state: "open",
                            moved: 0,
                            dues: 1,
                        },
                    );
                }
            }
            Op::Keep { pick: i, part } => {
                let Some(id) = pick(i) else { continue };
                let part_text = part.map(|p| format!("{}.{:02}", p / 100, p % 100));
                let result =
                    ledger::keep_promise(&mut store, &id, part_text.as_deref(), moment(now));
                sweep(&mut model, now);
                let p = model.get_mut(&id).unwrap();
                let kept = part.unwrap_or(p.amount);
                if p.pending() && kept <= p.amount {
                    result.unwrap();
                    p.state = "kept";
                    p.moved = kept;
                } else {
                    assert!(result.is_err(), "{id}: keeping a {} promise", p.state);
                }
            }
            Op::Break { pick: i } => {
                let Some(id) = pick(i) else { continue };
                let result = ledger::break_promise(&mut store, &id, None, moment(now));
                sweep(&mut model, now);
                let p = model.get_mut(&id).unwrap();
                if p.pending() {
                    result.unwrap();
                    p.state = "broken";
                    p.moved = -300;
                } else {
                    assert!(result.is_err());
                }
            }
            Op::Move { pick: i, due_in } => {
                let Some(id) = pick(i) else { continue };
                let due = now + i64::from(due_in) * HOUR;
                let result = ledger::move_promise(&mut store, &id, &text_of(due), moment(now));
                sweep(&mut model, now);
                let p = model.get_mut(&id).unwrap();
                if p.pending() && due > now {
                    result.unwrap();
                    p.state = "renegotiated";
                    p.due = due;
                    p.dues += 1;
                } else {
                    assert!(result.is_err());
                }
            }
            Op::Release { pick: i } => {
                let Some(id) = pick(i) else { continue };
                let result = ledger::release_promise(&mut store, &id, "agreed", moment(now));
                sweep(&mut model, now);
                let p = model.get_mut(&id).unwrap();
                if p.pending() {
                    result.unwrap();
                    p.state = "released";
                } else {
                    assert!(result.is_err());
                }
            }
        }
        // Every promise as the model has it, and the balances its gestures make.
        for (id, p) in &model {
            let stored = ledger::promise(&mut store, id).unwrap();
            assert_eq!(stored.state, p.state, "{id}");
            assert_eq!(stored.dues.len(), p.dues, "{id}");
            assert_eq!(stored.due, moment(p.due), "{id}");
            match p.state {
                "kept" => assert_eq!(
                    stored.gesture.as_ref().unwrap().as_str(),
                    format!("{id}.kept")
                ),
                "broken" => assert_eq!(
                    stored.gesture.as_ref().unwrap().as_str(),
                    format!("{id}.broken")
                ),
                _ => assert!(stored.gesture.is_none(), "{id}"),
            }
        }
        for (a, b) in [(0, 1), (0, 2), (1, 2)] {
            let sum = |from: usize, to: usize| -> i128 {
                model
                    .values()
                    .filter(|p| p.promiser == from && p.promisee == to)
                    .map(|p| i128::from(p.moved))
                    .sum()
            };
            let balance = ledger::pair_balance(&mut store, PEOPLE[a], PEOPLE[b], None);
            let (given, received) = match balance {
                Ok(view) => (
                    i128::from(view.credit.a_to_b.0),
                    i128::from(view.credit.b_to_a.0),
                ),
                Err(_) => (0, 0),
            };
            assert_eq!((given, received), (sum(a, b), sum(b, a)), "{a} {b}");
        }
    }
    let report = ledger::check(&mut store).unwrap();
    assert!(report.is_consistent(), "{report:?}");
}
