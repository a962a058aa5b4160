//! Parties and memberships a connection keeps between requests: nearly every
//! request looks up the same few thousand. A backend decides when what it keeps
//! no longer holds (another connection committed, or this one changed a party or
//! a membership) and then clears it; this type only holds and answers.

use std::collections::HashMap;

use balans_core::{Membership, Party, PartyId};
use rustc_hash::FxHashMap;

/// The most parties, and persons' memberships, kept before starting over.
const KEPT_MAX: usize = 100_000;

#[derive(Debug, Default)]
pub struct Directory {
    by_key: HashMap<String, Party>,
    by_id: FxHashMap<PartyId, Party>,
    /// Every membership of each person held; a person without any holds an
    /// empty list, which is as complete as a full one.
    memberships: FxHashMap<PartyId, Vec<Membership>>,
}

impl Directory {
    pub fn clear(&mut self) {
        self.by_key.clear();
        self.by_id.clear();
        self.memberships.clear();
    }

    /// The parties kept for `keys`, and the keys to read from the store.
    pub fn parties_by_keys<'k>(&self, keys: &[&'k str]) -> (Vec<Party>, Vec<&'k str>) {
        let mut found = Vec::with_capacity(keys.len());
        let mut missing = Vec::new();
        for key in keys {
            match self.by_key.get(*key) {
                Some(party) => found.push(party.clone()),
                None => missing.push(*key),
            }
        }
        (found, missing)
    }

    /// The parties kept for `ids`, and the ids to read from the store.
    pub fn parties_by_ids(&self, ids: &[PartyId]) -> (Vec<Party>, Vec<PartyId>) {
        let mut found = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        for id in ids {
            match self.by_id.get(id) {
                Some(party) => found.push(party.clone()),
                None => missing.push(*id),
            }
        }
        (found, missing)
    }

    /// Keeps parties just read from the store.
    pub fn keep_parties(&mut self, parties: &[Party]) {
        if self.by_id.len() + parties.len() > KEPT_MAX {
            self.by_key.clear();
            self.by_id.clear();
        }
        for party in parties {
            self.by_key
                .insert(party.fields.key.as_str().to_string(), party.clone());
            self.by_id.insert(party.id, party.clone());
        }
    }

    /// The memberships kept of `persons`, and the persons to read from the store.
    pub fn memberships_of(&self, persons: &[PartyId]) -> (Vec<Membership>, Vec<PartyId>) {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for person in persons {
            match self.memberships.get(person) {
                Some(list) => found.extend(list.iter().cloned()),
                None => missing.push(*person),
            }
        }
        (found, missing)
    }

    /// Keeps every membership of `persons`, just read from the store as `read`.
    pub fn keep_memberships(&mut self, persons: &[PartyId], read: &[Membership]) {
        if self.memberships.len() + persons.len() > KEPT_MAX {
            self.memberships.clear();
        }
        for person in persons {
            self.memberships.insert(*person, Vec::new());
        }
        for membership in read {
            self.memberships
                .entry(membership.person)
                .or_default()
                .push(membership.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use balans_core::{Moment, PartyFields, PartyKey, PartyKind, Role};

    fn party(id: i64, key: &str) -> Party {
        Party {
            id: PartyId(id),
            fields: PartyFields {
                key: PartyKey::parse(key).unwrap(),
                kind: PartyKind::Person,
                name: key.to_string(),
                email: None,
                phone: None,
                note: None,
            },
        }
    }

    #[test]
    fn answers_what_it_keeps_and_names_the_rest() {
        let mut directory = Directory::default();
        directory.keep_parties(&[party(1, "ann"), party(2, "bob")]);
        let (found, missing) = directory.parties_by_keys(&["bob", "cor"]);
        assert_eq!(found, vec![party(2, "bob")]);
        assert_eq!(missing, vec!["cor"]);
        let (found, missing) = directory.parties_by_ids(&[PartyId(1), PartyId(3)]);
        assert_eq!(found, vec![party(1, "ann")]);
        assert_eq!(missing, vec![PartyId(3)]);

        let membership = Membership {
            person: PartyId(1),
            organization: PartyId(9),
            role: Role::Employee,
            from: Moment::from_millis(0),
            until: None,
        };
        directory.keep_memberships(&[PartyId(1), PartyId(2)], std::slice::from_ref(&membership));
        // A person read without memberships is kept as having none.
        let (found, missing) = directory.memberships_of(&[PartyId(1), PartyId(2), PartyId(3)]);
        assert_eq!(found, vec![membership]);
        assert_eq!(missing, vec![PartyId(3)]);

        directory.clear();
        assert_eq!(directory.parties_by_keys(&["ann"]).1, vec!["ann"]);
        assert_eq!(directory.memberships_of(&[PartyId(2)]).1, vec![PartyId(2)]);
    }
}
