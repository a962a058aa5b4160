//! Parties and memberships: added, changed, found and listed a page at a time.

use balans_core::{Party, PartyFields, PartyId, PartyKind};
use serde::Serialize;

use super::lookup::{find_party, page_limit};
use super::view::PartyRef;
use crate::LedgerError;
use crate::snapshot::{PartyText, Snapshot};
use crate::store::{Store, in_transaction};

/// Adds a party; its key must be new.
pub fn add_party<S: Store + ?Sized>(
    store: &mut S,
    text: &PartyText<'_>,
) -> Result<Party, LedgerError> {
    let fields = text.resolve()?;
    in_transaction(store, |store| {
        if store.party_by_key(&fields.key)?.is_some() {
            return Err(LedgerError::clash(
                format!("a party with key '{}' exists already", fields.key),
                balans_core::said::Code::PartyKeyTaken,
                &[("key", fields.key.as_str())],
            ));
        }
        let id = store.insert_party(&fields)?;
        Ok(Party {
            id,
            fields: fields.clone(),
        })
    })
}

/// Changes a party's name and contact fields; its key and kind stay.
pub fn update_party<S: Store + ?Sized>(
    store: &mut S,
    key: &str,
    change: impl FnOnce(&PartyFields) -> PartyFields,
) -> Result<Party, LedgerError> {
    in_transaction(store, |store| {
        let existing = find_party(store, key)?;
        let changed = change(&existing.fields);
        // Checked as a whole, as a new party would be.
        let fields = PartyText {
            key: existing.fields.key.as_str(),
            kind: existing.fields.kind.as_str(),
            name: &changed.name,
            email: changed.email.as_deref().unwrap_or(""),
            phone: changed.phone.as_deref().unwrap_or(""),
            note: changed.note.as_deref().unwrap_or(""),
        }
        .resolve()?;
        store.update_party(existing.id, &fields)?;
        Ok(Party {
            id: existing.id,
            fields,
        })
    })
}

/// Adds a membership, or changes the role and end of the one with the same person,
/// organization and start (ending a membership is setting its `until`). Stored
/// gestures follow: the organization level is recomputed in the same transaction,
/// and a change that would leave a gesture attributable to no single organization
/// is refused. Returns the membership and whether it is new.
pub fn set_membership<S: Store + ?Sized>(
    store: &mut S,
    text: &crate::snapshot::MembershipText<'_>,
) -> Result<(MembershipView, bool), LedgerError> {
    in_transaction(store, |store| {
        let mut snapshot = Snapshot::load(store)?;
        let membership = snapshot.resolve_membership(text)?;
        let existing = snapshot.memberships().same_period(&membership).cloned();
        let created = existing.is_none();
        if existing.as_ref() != Some(&membership) {
            store.upsert_membership(&membership)?;
            snapshot.insert_membership(membership.clone());
            let change = [(existing.clone(), membership.clone())];
            super::promises::check_pending_promises(store, &snapshot, &change)?;
            // Only the stored gestures the change moves move (a person without
            // gestures costs a read of their sums: no count of all gestures).
            super::levels::follow_membership_changes(store, &snapshot, &change)?;
            // An end set or moved: the credits that went to sleep with it.
            if membership.until.is_some()
                && existing.as_ref().map(|m| m.until) != Some(membership.until)
            {
                super::credits::name_departures(
                    store,
                    &snapshot,
                    std::slice::from_ref(&membership),
                )?;
            }
        }
        let view = MembershipView::of(
            &membership,
            |id| (snapshot.key(id), snapshot.key(id)),
            &snapshot.zone,
        );
        Ok((view, created))
    })
}

/// A membership as a view names it.
#[derive(Debug, Clone, Serialize)]
pub struct MembershipView {
    pub person: String,
    pub organization: String,
    /// The parties' names, for pages (the API names parties by key).
    #[serde(skip)]
    pub person_name: String,
    #[serde(skip)]
    pub organization_name: String,
    pub role: balans_core::Role,
    /// In the store's time zone.
    pub from: String,
    pub until: Option<String>,
}

impl MembershipView {
    fn of(
        m: &balans_core::Membership,
        named: impl Fn(PartyId) -> (String, String),
        zone: &balans_core::Zone,
    ) -> MembershipView {
        let (person, person_name) = named(m.person);
        let (organization, organization_name) = named(m.organization);
        MembershipView {
            person,
            organization,
            person_name,
            organization_name,
            role: m.role,
            from: m.from.display_in(zone),
            until: m.until.map(|u| u.display_in(zone)),
        }
    }
}

/// The memberships of a person, or the members of an organization.
pub fn memberships<S: Store + ?Sized>(
    store: &mut S,
    key: &str,
) -> Result<Vec<MembershipView>, LedgerError> {
    let party = find_party(store, key)?;
    let list = match party.fields.kind {
        PartyKind::Person => store.memberships_of(party.id)?,
        PartyKind::Organization => store.members_of(party.id)?,
    };
    let zone = crate::store::zone_of(store)?;
    let mut keys: rustc_hash::FxHashMap<PartyId, (String, String)> = Default::default();
    for id in list.iter().flat_map(|m| [m.person, m.organization]) {
        if let std::collections::hash_map::Entry::Vacant(slot) = keys.entry(id) {
            slot.insert(store.party_by_id(id)?.map_or_else(
                || (format!("#{}", id.0), format!("#{}", id.0)),
                |p| (p.fields.key.to_string(), p.fields.name),
            ));
        }
    }
    Ok(list
        .iter()
        .map(|m| MembershipView::of(m, |id| keys[&id].clone(), &zone))
        .collect())
}

/// A page of parties, in key order.
#[derive(Debug, Clone, Serialize)]
pub struct PartyPage {
    pub parties: Vec<PartyRef>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// Parties whose key or name contains `search`, a page at a time.
pub fn list_parties<S: Store + ?Sized>(
    store: &mut S,
    search: Option<&str>,
    cursor: Option<&str>,
    limit: Option<usize>,
) -> Result<PartyPage, LedgerError> {
    let limit = page_limit(limit)?;
    let search = search.map(str::trim).filter(|s| !s.is_empty());
    let mut found = store.find_parties(search, cursor, limit + 1)?;
    let more = found.len() > limit;
    found.truncate(limit);
    let next_cursor = more
        .then(|| found.last().map(|p| p.fields.key.to_string()))
        .flatten();
    Ok(PartyPage {
        parties: found.iter().map(PartyRef::from).collect(),
        next_cursor,
    })
}
