//! The directory: parties and the memberships that tie persons to organizations.
//!
//! [`DirectoryStore`] is what a backend stores. [`Directory`] is what a backend's
//! connection keeps between requests: nearly every request looks up the same few
//! thousand parties. A backend decides when what it keeps no longer holds
//! (another connection committed, or this one changed a party or a membership)
//! and then clears it; that type only holds and answers.

use std::collections::HashMap;

use balans_core::{Membership, Party, PartyFields, PartyId, PartyKey, PartyKind};
use rustc_hash::FxHashMap;

use super::error::StoreResult;

/// Parties and memberships, as a backend stores them.
pub trait DirectoryStore {
    /// Every party, in id order.
    fn parties(&mut self) -> StoreResult<Vec<Party>>;
    /// Every party's id, key and kind, in id order, handed to `each` as they
    /// are read: an import's snapshot keeps no more of a party, and reading
    /// 200,000 whole parties into a list first took 60 MB more than the
    /// snapshot itself for a moment, memory the import then kept.
    fn for_each_party_key(
        &mut self,
        each: &mut dyn FnMut(PartyId, PartyKey, PartyKind),
    ) -> StoreResult<()>;
    fn party_by_key(&mut self, key: &PartyKey) -> StoreResult<Option<Party>>;
    fn party_by_id(&mut self, id: PartyId) -> StoreResult<Option<Party>>;
    /// The parties with these keys (those that exist), in one trip.
    fn parties_by_keys(&mut self, keys: &[&str]) -> StoreResult<Vec<Party>>;
    /// The parties with these ids (those that exist), in one trip.
    fn parties_by_ids(&mut self, ids: &[PartyId]) -> StoreResult<Vec<Party>>;
    fn insert_party(&mut self, fields: &PartyFields) -> StoreResult<PartyId>;
    /// Inserts new parties (no key stored yet, none twice) and returns their ids in
    /// the same order. A backend where each statement is a trip to a server does
    /// it in one.
    fn insert_parties(&mut self, parties: &[PartyFields]) -> StoreResult<Vec<PartyId>> {
        parties.iter().map(|f| self.insert_party(f)).collect()
    }
    fn update_party(&mut self, id: PartyId, fields: &PartyFields) -> StoreResult<()>;
    fn party_count(&mut self) -> StoreResult<u64>;
    /// Parties whose key or name contains `search` (ignoring case), with keys after
    /// `after`, in key order, at most `limit`.
    fn find_parties(
        &mut self,
        search: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<Party>>;

    /// Every membership, ordered by person, then start.
    fn memberships(&mut self) -> StoreResult<Vec<Membership>>;
    fn memberships_of(&mut self, person: PartyId) -> StoreResult<Vec<Membership>>;
    /// The memberships of all these persons, in one trip.
    fn memberships_of_many(&mut self, persons: &[PartyId]) -> StoreResult<Vec<Membership>>;
    /// The memberships of an organization, ordered by start.
    fn members_of(&mut self, organization: PartyId) -> StoreResult<Vec<Membership>>;
    /// Inserts the membership, or updates role and end of the one with the same
    /// person, organization and start.
    fn upsert_membership(&mut self, membership: &Membership) -> StoreResult<()>;
    /// `upsert_membership` for each, none with the same person, organization and
    /// start as another; in one trip where that matters.
    fn upsert_memberships(&mut self, memberships: &[Membership]) -> StoreResult<()> {
        memberships
            .iter()
            .try_for_each(|m| self.upsert_membership(m))
    }
}

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

    /// Whether a party is kept for each of `keys`.
    pub fn holds_keys(&self, keys: &[&str]) -> bool {
        keys.iter().all(|key| self.by_key.contains_key(*key))
    }

    /// Whether a party is kept for each of `ids`.
    pub fn holds_ids(&self, ids: &[PartyId]) -> bool {
        ids.iter().all(|id| self.by_id.contains_key(id))
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
