//! Credits belong to people: an organization pair's historical, live and dormant
//! balances, what handovers moved, and the share of its live credit that runs
//! through each person. The definitions are in `docs/credits.md`; this is their
//! arithmetic, given the person pairs' contributions and which pairs are live at
//! the moment asked.

use crate::balance::Overflow;
use crate::party::PartyId;

/// What side a gave side b and received from it, in one dimension, in minor units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flows {
    pub a_to_b: i64,
    pub b_to_a: i64,
}

impl Flows {
    pub fn net(&self) -> Result<i64, Overflow> {
        self.a_to_b.checked_sub(self.b_to_a).ok_or(Overflow)
    }

    /// |given| + |received|, as evenness counts a pair's volume.
    pub fn volume(&self) -> i128 {
        i128::from(self.a_to_b).abs() + i128::from(self.b_to_a).abs()
    }

    fn add(&mut self, other: &Flows) -> Result<(), Overflow> {
        self.a_to_b = self.a_to_b.checked_add(other.a_to_b).ok_or(Overflow)?;
        self.b_to_a = self.b_to_a.checked_add(other.b_to_a).ok_or(Overflow)?;
        Ok(())
    }

    fn minus(&self, other: &Flows) -> Result<Flows, Overflow> {
        Ok(Flows {
            a_to_b: self.a_to_b.checked_sub(other.a_to_b).ok_or(Overflow)?,
            b_to_a: self.b_to_a.checked_sub(other.b_to_a).ok_or(Overflow)?,
        })
    }

    /// `percent` of each direction, rounded toward zero.
    fn share(&self, percent: u8) -> Flows {
        let part = |v: i64| (i128::from(v) * i128::from(percent) / 100) as i64;
        Flows {
            a_to_b: part(self.a_to_b),
            b_to_a: part(self.b_to_a),
        }
    }
}

/// Flows in both dimensions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Both {
    pub money: Flows,
    pub credit: Flows,
}

impl Both {
    pub fn add(&mut self, other: &Both) -> Result<(), Overflow> {
        self.money.add(&other.money)?;
        self.credit.add(&other.credit)
    }

    pub fn minus(&self, other: &Both) -> Result<Both, Overflow> {
        Ok(Both {
            money: self.money.minus(&other.money)?,
            credit: self.credit.minus(&other.credit)?,
        })
    }

    /// The same flows seen from the other side.
    pub fn flipped(&self) -> Both {
        let flip = |f: Flows| Flows {
            a_to_b: f.b_to_a,
            b_to_a: f.a_to_b,
        };
        Both {
            money: flip(self.money),
            credit: flip(self.credit),
        }
    }

    /// What a handover of `percent` of these flows moves.
    pub fn share(&self, percent: u8) -> Both {
        Both {
            money: self.money.share(percent),
            credit: self.credit.share(percent),
        }
    }
}

/// A person pair of an organization pair (A, B): its person (or the
/// organization itself) on side A and on side B.
pub type PersonPair = (PartyId, PartyId);

/// An accepted handover: the amounts it moved from one person pair to another,
/// fixed at its acceptance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub from: PersonPair,
    pub to: PersonPair,
    pub moved: Both,
}

/// Whether a person pair's contribution counts as live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Live,
    Dormant,
}

/// One person pair behind an organization pair, at the moment asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairCredits {
    pub pair: PersonPair,
    pub state: State,
    /// The gestures between the two, as they count for the organization pair.
    pub contribution: Both,
    /// Handovers that count into this pair.
    pub handed_in: Both,
}

/// The side of an organization pair a person is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Side {
    A,
    B,
}

/// The share of an organization pair's live credit volume that runs through
/// pairs involving one person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PersonShare {
    pub party: PartyId,
    pub side: Side,
    pub volume: i128,
    /// The volume of all live pairs; never zero.
    pub of: i128,
}

impl PersonShare {
    /// Whether the share is above `percent`.
    pub fn above(&self, percent: u8) -> bool {
        self.volume * 100 > i128::from(percent) * self.of
    }

    /// The share as a decimal fraction with four places, rounded down: "0.7500".
    pub fn fraction(&self) -> String {
        let ten_thousandths = self.volume * 10_000 / self.of;
        format!(
            "{}.{:04}",
            ten_thousandths / 10_000,
            ten_thousandths % 10_000
        )
    }
}

/// An organization pair's credits at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credits {
    pub historical: Both,
    pub live: Both,
    pub dormant: Both,
    pub handed_over: Both,
    /// Every person pair, by pair.
    pub pairs: Vec<PairCredits>,
    /// Every person of a live pair with their share of the live credit volume,
    /// largest first; empty when the live pairs have no credit volume.
    pub shares: Vec<PersonShare>,
}

impl Credits {
    /// Computes the figures of `docs/credits.md` from each person pair's
    /// contribution, the accepted handovers, and which pairs are live at the
    /// moment asked.
    pub fn of(
        contributions: &[(PersonPair, Both)],
        accepted: &[Accepted],
        live: impl Fn(PersonPair) -> bool,
    ) -> Result<Credits, Overflow> {
        let mut sorted = contributions.to_vec();
        sorted.sort_by_key(|(pair, _)| *pair);
        // Pairs with the same two people are one pair.
        let mut pairs: Vec<PairCredits> = Vec::with_capacity(sorted.len());
        for (pair, contribution) in sorted {
            match pairs.last_mut() {
                Some(last) if last.pair == pair => last.contribution.add(&contribution)?,
                _ => pairs.push(PairCredits {
                    pair,
                    state: if live(pair) {
                        State::Live
                    } else {
                        State::Dormant
                    },
                    contribution,
                    handed_in: Both::default(),
                }),
            }
        }
        let mut credits = Credits::default();
        for pair in &pairs {
            credits.historical.add(&pair.contribution)?;
            if pair.state == State::Live {
                credits.live.add(&pair.contribution)?;
            }
        }
        for handover in accepted {
            if live(handover.from) || !live(handover.to) {
                continue;
            }
            credits.live.add(&handover.moved)?;
            credits.handed_over.add(&handover.moved)?;
            match pairs.binary_search_by_key(&handover.to, |p| p.pair) {
                Ok(at) => pairs[at].handed_in.add(&handover.moved)?,
                Err(at) => pairs.insert(
                    at,
                    PairCredits {
                        pair: handover.to,
                        state: State::Live,
                        contribution: Both::default(),
                        handed_in: handover.moved,
                    },
                ),
            }
        }
        credits.dormant = credits.historical.minus(&credits.live)?;
        credits.shares = shares(&pairs)?;
        credits.pairs = pairs;
        Ok(credits)
    }

    /// The persons whose share is above `percent`: the key persons.
    pub fn key_persons(&self, percent: u8) -> impl Iterator<Item = &PersonShare> {
        self.shares.iter().filter(move |s| s.above(percent))
    }
}

fn shares(pairs: &[PairCredits]) -> Result<Vec<PersonShare>, Overflow> {
    let mut through: Vec<((Side, PartyId), i128)> = Vec::new();
    let mut total = 0i128;
    for pair in pairs.iter().filter(|p| p.state == State::Live) {
        let mut credit = pair.contribution.credit;
        credit.add(&pair.handed_in.credit)?;
        let volume = credit.volume();
        total += volume;
        through.push(((Side::A, pair.pair.0), volume));
        through.push(((Side::B, pair.pair.1), volume));
    }
    if total == 0 {
        return Ok(Vec::new());
    }
    through.sort_by_key(|(person, _)| *person);
    let mut shares: Vec<PersonShare> = Vec::new();
    for ((side, party), volume) in through {
        match shares.last_mut() {
            Some(last) if last.side == side && last.party == party => last.volume += volume,
            _ => shares.push(PersonShare {
                party,
                side,
                volume,
                of: total,
            }),
        }
    }
    shares.sort_by(|x, y| {
        y.volume
            .cmp(&x.volume)
            .then((x.side, x.party).cmp(&(y.side, y.party)))
    });
    Ok(shares)
}

/// Where a handover stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum HandoverState {
    Offered,
    Accepted,
    Declined,
    Withdrawn,
}

impl HandoverState {
    pub const ALL: [HandoverState; 4] = [
        HandoverState::Offered,
        HandoverState::Accepted,
        HandoverState::Declined,
        HandoverState::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HandoverState::Offered => "offered",
            HandoverState::Accepted => "accepted",
            HandoverState::Declined => "declined",
            HandoverState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(text: &str) -> Option<HandoverState> {
        HandoverState::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A handover of a share of one dormant person pair's contribution to an
/// organization pair: `left` (of `left_unit`) left, `other` (of `other_unit`)
/// stays, and `successor` takes the place of `left`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handover {
    pub id: i64,
    pub left: PartyId,
    pub left_unit: PartyId,
    pub other: PartyId,
    pub other_unit: PartyId,
    pub successor: PartyId,
    /// A whole percentage, 0 to 100.
    pub share: u8,
    pub state: HandoverState,
    pub offered_at: crate::Moment,
    /// When it was accepted, declined or withdrawn.
    pub decided_at: Option<crate::Moment>,
    /// How an acceptance was given, or why a handover was declined.
    pub note: Option<String>,
    /// What an accepted handover moved, seen from `left` (`a_to_b`: what `left`
    /// gave `other`); nothing until it is accepted.
    pub moved: Both,
}

impl Handover {
    /// The handover as the credits of the organization pair (`a`, `b`) count it,
    /// when it is about that pair and was accepted at or before `at`.
    pub fn accepted_for(&self, a: PartyId, b: PartyId, at: crate::Moment) -> Option<Accepted> {
        if self.state != HandoverState::Accepted || self.decided_at.is_none_or(|d| d > at) {
            return None;
        }
        if (self.left_unit, self.other_unit) == (a, b) {
            Some(Accepted {
                from: (self.left, self.other),
                to: (self.successor, self.other),
                moved: self.moved,
            })
        } else if (self.other_unit, self.left_unit) == (a, b) {
            Some(Accepted {
                from: (self.other, self.left),
                to: (self.other, self.successor),
                moved: self.moved.flipped(),
            })
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn credit(a_to_b: i64, b_to_a: i64) -> Both {
        Both {
            money: Flows::default(),
            credit: Flows { a_to_b, b_to_a },
        }
    }

    const HENK: PartyId = PartyId(1);
    const KEES: PartyId = PartyId(2);
    const GERRIT: PartyId = PartyId(11);
    const SANDER: PartyId = PartyId(12);

    /// Story 1: Henk's credits with Gerrit are live while Gerrit is at the
    /// hotel, dormant once he left, and live again for the part Sander accepted.
    #[test]
    fn credits_go_dormant_when_a_person_leaves_and_live_again_by_handover() {
        let contributions = [
            ((HENK, GERRIT), credit(4_200, 1_000)),
            ((KEES, GERRIT), credit(500, 500)),
        ];
        let before = Credits::of(&contributions, &[], |_| true).unwrap();
        assert_eq!(before.historical, credit(4_700, 1_500));
        assert_eq!(before.live, before.historical);
        assert_eq!(before.dormant, Both::default());
        // Henk's pair carries 5,200 of 6,200: he is the key person on our side,
        // Gerrit (all of it) on theirs.
        let keys: Vec<_> = before
            .key_persons(50)
            .map(|s| (s.party, s.side, s.fraction()))
            .collect();
        assert_eq!(
            keys,
            [
                (GERRIT, Side::B, "1.0000".to_string()),
                (HENK, Side::A, "0.8387".to_string())
            ]
        );

        let gerrit_left = |(_, b): PersonPair| b != GERRIT;
        let after = Credits::of(&contributions, &[], gerrit_left).unwrap();
        assert_eq!(after.live, Both::default());
        assert_eq!(after.dormant, after.historical);
        assert!(after.shares.is_empty());
        assert!(after.pairs.iter().all(|p| p.state == State::Dormant));

        // Sander accepts half of Henk's credits with Gerrit.
        let half = Accepted {
            from: (HENK, GERRIT),
            to: (HENK, SANDER),
            moved: credit(4_200, 1_000).share(50),
        };
        let handed = Credits::of(&contributions, &[half], gerrit_left).unwrap();
        assert_eq!(handed.handed_over, credit(2_100, 500));
        assert_eq!(handed.live, credit(2_100, 500));
        assert_eq!(handed.dormant, credit(2_600, 1_000));
        assert_eq!(handed.historical, after.historical);
        let sander = handed
            .pairs
            .iter()
            .find(|p| p.pair == (HENK, SANDER))
            .unwrap();
        assert_eq!(
            (sander.state, sander.contribution, sander.handed_in),
            (State::Live, Both::default(), credit(2_100, 500))
        );

        // Sander leaves too: the handover no longer counts.
        let both_left = |(_, b): PersonPair| b != GERRIT && b != SANDER;
        let gone = Credits::of(&contributions, &[half], both_left).unwrap();
        assert_eq!(gone.live, Both::default());
        assert_eq!(gone.handed_over, Both::default());
        assert_eq!(gone.dormant, gone.historical);
    }

    #[test]
    fn a_share_rounds_toward_zero_in_both_directions() {
        assert_eq!(credit(333, -333).share(50), credit(166, -166));
        assert_eq!(credit(7, 1).share(0), credit(0, 0));
        assert_eq!(credit(7, 1).share(100), credit(7, 1));
    }

    #[test]
    fn a_key_person_is_strictly_above_the_threshold() {
        let contributions = [
            ((HENK, GERRIT), credit(100, 0)),
            ((KEES, SANDER), credit(0, 100)),
        ];
        let credits = Credits::of(&contributions, &[], |_| true).unwrap();
        assert!(credits.shares.iter().all(|s| s.fraction() == "0.5000"));
        assert_eq!(credits.key_persons(50).count(), 0);
        assert_eq!(credits.key_persons(49).count(), 4);
    }

    /// A gesture of the model: a person pair, a dimension and what went each way.
    #[derive(Clone, Debug)]
    struct Gift {
        pair: PersonPair,
        money: bool,
        a_to_b: i64,
        b_to_a: i64,
    }

    fn person(side: i64) -> impl Strategy<Value = PartyId> {
        (0..4i64).prop_map(move |n| PartyId(side * 100 + n))
    }

    proptest! {
        /// For random gestures, departures and handovers, historical = live +
        /// dormant in each dimension and direction, and live equals a model that
        /// adds gesture by gesture what counts.
        #[test]
        fn historical_is_live_plus_dormant(
            gifts in prop::collection::vec(
                ((person(1), person(2)), any::<bool>(), -1_000_000i64..1_000_000, -1_000_000i64..1_000_000)
                    .prop_map(|(pair, money, a_to_b, b_to_a)| Gift { pair, money, a_to_b, b_to_a }),
                0..40,
            ),
            left in prop::collection::vec(any::<bool>(), 8),
            handovers in prop::collection::vec(((person(1), person(2)), (person(1), person(2)), 0u8..=100), 0..6),
        ) {
            let is_left = |p: PartyId| left[((p.0 / 100 - 1) * 4 + p.0 % 100) as usize];
            let live = |(a, b): PersonPair| !is_left(a) && !is_left(b);
            let flows = |g: &Gift| {
                let f = Flows { a_to_b: g.a_to_b, b_to_a: g.b_to_a };
                if g.money { Both { money: f, credit: Flows::default() } } else { Both { money: Flows::default(), credit: f } }
            };
            let contributions: Vec<(PersonPair, Both)> = gifts.iter().map(|g| (g.pair, flows(g))).collect();
            // Each handover moves its share of its source pair's contribution.
            let accepted: Vec<Accepted> = handovers.iter().map(|&(from, to, percent)| {
                let mut source = Both::default();
                for g in gifts.iter().filter(|g| g.pair == from) {
                    source.add(&flows(g)).unwrap();
                }
                Accepted { from, to, moved: source.share(percent) }
            }).collect();
            let credits = Credits::of(&contributions, &accepted, live).unwrap();

            let mut sum = credits.live;
            sum.add(&credits.dormant).unwrap();
            prop_assert_eq!(sum, credits.historical);

            let mut historical = Both::default();
            let mut model_live = Both::default();
            for g in &gifts {
                historical.add(&flows(g)).unwrap();
                if live(g.pair) {
                    model_live.add(&flows(g)).unwrap();
                }
            }
            for h in &accepted {
                if !live(h.from) && live(h.to) {
                    model_live.add(&h.moved).unwrap();
                }
            }
            prop_assert_eq!(credits.historical, historical);
            prop_assert_eq!(credits.live, model_live);
            // Shares: each side's shares add up to the whole.
            for side in [Side::A, Side::B] {
                let of_side: i128 = credits.shares.iter().filter(|s| s.side == side).map(|s| s.volume).sum();
                if let Some(first) = credits.shares.first() {
                    prop_assert_eq!(of_side, first.of);
                }
            }
        }
    }
}

/// Credits gone dormant: `left` left `left_unit` at `left_at`, and the credit
/// volume (|given| + |received|) of the pairs it had with `other_unit`'s people
/// that were live until then went dormant. `other` is the one of those people
/// with the most of it, `others` how many more there were.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DormantAlert {
    pub id: i64,
    pub left: PartyId,
    pub left_unit: PartyId,
    pub other_unit: PartyId,
    pub left_at: crate::Moment,
    /// Credit volume in hundredths of a point.
    pub volume: i64,
    pub other: PartyId,
    pub others: u32,
    pub dismissed_at: Option<crate::Moment>,
}
