//! The roll-up from persons to organizations through memberships valid at a moment.

use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use thiserror::Error;

use crate::party::{Membership, PartyId};
use crate::time::Moment;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RollupError {
    /// The gesture names an organization the party did not belong to at that moment.
    #[error("not a member of the named organization at that time")]
    NotAMember { named: PartyId },
    /// The party belonged to several organizations and the gesture names none.
    #[error("a member of several organizations at that time; name the one it was for")]
    Ambiguous { candidates: Vec<PartyId> },
}

/// All memberships, by person, for resolving gestures to organization level.
/// A person's first membership is kept in the table itself: most persons have
/// one, and each row of an import looks up two persons, so this saves a trip to
/// memory elsewhere per lookup.
#[derive(Debug, Default, Clone)]
pub struct MembershipIndex {
    by_person: FxHashMap<PartyId, SmallVec<[Membership; 1]>>,
}

impl MembershipIndex {
    pub fn new(memberships: impl IntoIterator<Item = Membership>) -> MembershipIndex {
        let mut index = MembershipIndex::default();
        for membership in memberships {
            index.insert(membership);
        }
        index
    }

    /// Adds a membership, or replaces the one with the same person, organization and start.
    pub fn insert(&mut self, membership: Membership) {
        let list = self.by_person.entry(membership.person).or_default();
        match list
            .iter_mut()
            .find(|m| m.organization == membership.organization && m.from == membership.from)
        {
            Some(existing) => *existing = membership,
            None => list.push(membership),
        }
    }

    /// The stored membership with the same person, organization and start, which
    /// `membership` would replace.
    pub fn same_period(&self, membership: &Membership) -> Option<&Membership> {
        self.of_person(membership.person)
            .iter()
            .find(|m| m.organization == membership.organization && m.from == membership.from)
    }

    pub fn of_person(&self, person: PartyId) -> &[Membership] {
        self.by_person
            .get(&person)
            .map_or(&[], |list| list.as_slice())
    }

    /// Every membership, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Membership> + '_ {
        self.by_person.values().flatten()
    }

    /// Everyone who was ever a member of `organization`, in no particular order;
    /// a pass over every person.
    pub fn people_of(&self, organization: PartyId) -> impl Iterator<Item = PartyId> + '_ {
        self.by_person
            .iter()
            .filter(move |(_, list)| list.iter().any(|m| m.organization == organization))
            .map(|(person, _)| *person)
    }

    pub fn is_empty(&self) -> bool {
        self.by_person.is_empty()
    }

    /// The party a gesture by (or to) `party` at `at` counts for at organization level:
    /// the one organization it was a member of then, the organization `named`, or
    /// the party itself when it was a member of none.
    pub fn unit(
        &self,
        party: PartyId,
        at: Moment,
        named: Option<PartyId>,
    ) -> Result<PartyId, RollupError> {
        unit_among(self.of_person(party), party, at, named)
    }
}

/// [`MembershipIndex::unit`] of a party whose memberships are `list`.
pub fn unit_among(
    list: &[Membership],
    party: PartyId,
    at: Moment,
    named: Option<PartyId>,
) -> Result<PartyId, RollupError> {
    let mut valid = list
        .iter()
        .filter(|m| m.holds_at(at))
        .map(|m| m.organization);
    match named {
        Some(named) => {
            if valid.any(|org| org == named) {
                Ok(named)
            } else {
                Err(RollupError::NotAMember { named })
            }
        }
        None => match (valid.next(), valid.next()) {
            (None, _) => Ok(party),
            (Some(org), None) => Ok(org),
            (Some(first), Some(second)) => {
                let mut candidates = vec![first, second];
                candidates.extend(valid);
                candidates.sort_unstable();
                candidates.dedup();
                if candidates.len() == 1 {
                    Ok(first)
                } else {
                    Err(RollupError::Ambiguous { candidates })
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::party::Role;

    fn membership(person: i64, org: i64, from: i64, until: Option<i64>) -> Membership {
        Membership {
            person: PartyId(person),
            organization: PartyId(org),
            role: Role::Employee,
            from: Moment::from_millis(from),
            until: until.map(Moment::from_millis),
        }
    }

    #[test]
    fn resolves_through_the_membership_valid_at_the_moment() {
        let index = MembershipIndex::new([
            membership(1, 10, 0, Some(100)),
            membership(1, 20, 100, None),
        ]);
        let at = Moment::from_millis;
        assert_eq!(index.unit(PartyId(1), at(50), None), Ok(PartyId(10)));
        assert_eq!(index.unit(PartyId(1), at(150), None), Ok(PartyId(20)));
        assert_eq!(
            index.unit(PartyId(1), at(-5), None),
            Ok(PartyId(1)),
            "before joining: stands for themselves"
        );
        assert_eq!(
            index.unit(PartyId(2), at(50), None),
            Ok(PartyId(2)),
            "no memberships"
        );
        assert_eq!(
            index.unit(PartyId(1), at(50), Some(PartyId(20))),
            Err(RollupError::NotAMember { named: PartyId(20) })
        );
        assert_eq!(
            index.unit(PartyId(2), at(50), Some(PartyId(20))),
            Err(RollupError::NotAMember { named: PartyId(20) })
        );
    }

    #[test]
    fn several_memberships_need_a_named_organization() {
        let index = MembershipIndex::new([membership(1, 10, 0, None), membership(1, 20, 0, None)]);
        let at = Moment::from_millis(5);
        assert_eq!(
            index.unit(PartyId(1), at, None),
            Err(RollupError::Ambiguous {
                candidates: vec![PartyId(10), PartyId(20)]
            })
        );
        assert_eq!(
            index.unit(PartyId(1), at, Some(PartyId(20))),
            Ok(PartyId(20))
        );
    }

    #[test]
    fn two_periods_in_the_same_organization_are_not_ambiguous() {
        let index = MembershipIndex::new([membership(1, 10, 0, None), membership(1, 10, 5, None)]);
        assert_eq!(
            index.unit(PartyId(1), Moment::from_millis(7), None),
            Ok(PartyId(10))
        );
    }

    #[test]
    fn insert_replaces_the_same_period() {
        let mut index = MembershipIndex::new([membership(1, 10, 0, None)]);
        index.insert(membership(1, 10, 0, Some(10)));
        assert_eq!(index.of_person(PartyId(1)).len(), 1);
        assert_eq!(
            index.unit(PartyId(1), Moment::from_millis(20), None),
            Ok(PartyId(1))
        );
    }
}
