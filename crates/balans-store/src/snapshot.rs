//! What validation needs to know of the store, held in memory for the length of a write.

use std::sync::Arc;

use balans_core::{
    Amount, DecimalMark, Dimension, Gesture, GestureId, Kind, KindCode, KindId, Membership,
    MembershipIndex, Moment, PartyFields, PartyId, PartyKey, PartyKind, Role, RollupError, Zone,
    rollup,
};
use compact_str::CompactString;
use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::hash::BuildHasher;

use crate::field::{self, Code};
use crate::store::{Catalog, Resolved, Store, StoreResult};

/// The parties, kinds and memberships a write resolves against.
pub struct Snapshot {
    pub zone: Zone,
    parties: Parties,
    /// The keys of organizations named in messages alone (`for_keys`).
    names: FxHashMap<PartyId, PartyKey>,
    catalog: Arc<Catalog>,
    /// Changed only by `insert_membership`, which keeps each entry's `roll` true.
    memberships: MembershipIndex,
    /// The membership of each party that has one, where its entry's `roll`
    /// says.
    single: Vec<Membership>,
}

/// The parties a snapshot holds, each once: its key and entry in one list,
/// found by key through a table of positions, and by id by bisection while
/// the list is in the order of their ids (as a store lists them, and numbers
/// new ones). Keys of up to 24 bytes are kept in the list itself: each row of
/// an import looks up two, and most keys (names, e-mail addresses) are short.
/// Held as a table by key and another by id, each with its own copy of the
/// key and the whole membership in each entry, the tables growing as parties
/// came, importing one gesture into a store of a million parties peaked at
/// 416 MiB; at 78 MiB so (with a small page cache for reading them, see
/// SQLite's `scanning`).
#[derive(Default)]
struct Parties {
    listed: Vec<(CompactString, Entry)>,
    by_key: HashTable<u32>,
    /// How many of `listed`, from the first, are in the order of their ids.
    in_order: usize,
    /// The positions of the others by id, and of the ids of entries replaced.
    by_id: FxHashMap<PartyId, u32>,
}

impl Parties {
    fn hash(key: &str) -> u64 {
        FxBuildHasher.hash_one(key)
    }

    fn get(&self, key: &str) -> Option<&Entry> {
        let listed = &self.listed;
        self.by_key
            .find(Self::hash(key), |&i| listed[i as usize].0 == key)
            .map(|&i| &listed[i as usize].1)
    }

    fn reserve(&mut self, additional: usize) {
        self.listed.reserve(additional);
        let listed = &self.listed;
        self.by_key
            .reserve(additional, |&j| Self::hash(listed[j as usize].0.as_str()));
    }

    /// Where the party with `id` is listed.
    fn position(&self, id: PartyId) -> Option<usize> {
        match self.listed[..self.in_order].binary_search_by_key(&id, |(_, e)| e.id) {
            Ok(i) => Some(i),
            Err(_) => self.by_id.get(&id).map(|&i| i as usize),
        }
    }

    fn by_id_mut(&mut self, id: PartyId) -> Option<&mut Entry> {
        let i = self.position(id)?;
        Some(&mut self.listed[i].1)
    }

    fn key(&self, id: PartyId) -> Option<&str> {
        Some(self.listed[self.position(id)?].0.as_str())
    }

    fn holds(&self, id: PartyId) -> bool {
        self.position(id).is_some()
    }

    /// Adds a party, or replaces the entry of the one with its key (whose id
    /// then finds the new entry too).
    fn insert(&mut self, key: &str, entry: Entry) {
        let listed = &mut self.listed;
        let hash = Self::hash(key);
        let id = entry.id;
        match self
            .by_key
            .find(hash, |&i| listed[i as usize].0 == key)
            .copied()
        {
            Some(i) => {
                let before = std::mem::replace(&mut listed[i as usize].1, entry).id;
                if before != id {
                    // The order by id may no longer hold from here on.
                    let from = (i as usize).min(self.in_order);
                    for (j, (_, e)) in listed.iter().enumerate().take(self.in_order).skip(from) {
                        if j != i as usize {
                            self.by_id.insert(e.id, j as u32);
                        }
                    }
                    self.in_order = from;
                    self.by_id.insert(before, i);
                    self.by_id.insert(id, i);
                }
            }
            None => {
                let i = u32::try_from(listed.len()).expect("fewer than 2^32 parties");
                let follows = listed.last().is_none_or(|(_, last)| last.id < id);
                if self.in_order == listed.len() && follows {
                    self.in_order += 1;
                } else {
                    self.by_id.insert(id, i);
                }
                listed.push((CompactString::from(key), entry));
                self.by_key
                    .insert_unique(hash, i, |&j| Self::hash(listed[j as usize].0.as_str()));
            }
        }
    }
}

/// A party as its key finds it, with its membership when it has one: each
/// row of an import rolls up the two parties it looks up, and most persons
/// belong to one organization, so this spares a second lookup per party.
/// Sixteen bytes: a million parties hold 48 MB less than with the membership
/// itself in each.
#[derive(Debug, Clone)]
struct Entry {
    id: PartyId,
    /// Always `Roll::of` the party's memberships in the index.
    roll: Roll,
    kind: PartyKind,
}

/// A party's memberships, as its entry finds them: none, the one at a place
/// in the snapshot's list of single memberships (`Snapshot::single`), or many,
/// which the index holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Roll(u32);

impl Roll {
    const NONE: Roll = Roll(u32::MAX);
    const MANY: Roll = Roll(u32::MAX - 1);

    /// The roll of `memberships`, a party's, whose roll was `before`: its one
    /// membership goes in `single`, in the place it had there, if it had one.
    fn of(memberships: &[Membership], before: Roll, single: &mut Vec<Membership>) -> Roll {
        match memberships {
            [] => Roll::NONE,
            [one] if before != Roll::NONE && before != Roll::MANY => {
                single[before.0 as usize] = one.clone();
                before
            }
            [one] => {
                single.push(one.clone());
                Roll(u32::try_from(single.len() - 1).expect("fewer than 2^32 memberships"))
            }
            _ => Roll::MANY,
        }
    }
}

/// The text of one gesture, as a file row or a command gives it.
#[derive(Clone, Copy, Debug, Default)]
pub struct GestureText<'a> {
    pub id: &'a str,
    pub at: &'a str,
    pub giver: &'a str,
    pub receiver: &'a str,
    pub kind: &'a str,
    pub amount: &'a str,
    pub note: &'a str,
    pub item: &'a str,
    pub giver_org: &'a str,
    pub receiver_org: &'a str,
    pub reverses: &'a str,
}

/// The text of a membership, as a file row or a request gives it.
#[derive(Clone, Copy, Debug, Default)]
pub struct MembershipText<'a> {
    pub person: &'a str,
    pub organization: &'a str,
    pub role: &'a str,
    pub from: &'a str,
    pub until: &'a str,
}

/// How the amounts of gestures are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// In a file whose dialect says which mark is decimal.
    File(DecimalMark),
    /// Typed where nothing says which mark is decimal: the command line, the
    /// API's strings ([`Amount::parse_typed`]: `1.250` is refused as ambiguous).
    /// A moment may then also be `gisteren`, `yesterday 14:30` or `nu`
    /// (`Zone::parse_typed`).
    Typed,
}

/// The longest note or item accepted, in bytes.
pub const TEXT_MAX_BYTES: usize = 4_000;
/// The longest party name or kind label accepted, in bytes.
pub const NAME_MAX_BYTES: usize = 500;

/// The text of a party, as a file row or a request gives it.
#[derive(Clone, Copy, Debug, Default)]
pub struct PartyText<'a> {
    pub key: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub phone: &'a str,
    pub note: &'a str,
}

impl PartyText<'_> {
    /// The party's fields, or every field that is wrong.
    pub fn resolve(&self) -> Result<PartyFields, Vec<field::Error>> {
        let mut errors = Vec::new();
        let key = keep(
            &mut errors,
            PartyKey::parse(self.key)
                .map_err(|e| field::Error::new("key", e.to_string()).as_said(e.said())),
        );
        let kind = keep(
            &mut errors,
            self.kind
                .parse::<PartyKind>()
                .map_err(|e| field::Error::new("kind", e)),
        );
        let name = self.name.trim();
        if name.is_empty() {
            errors.push(field::Error::new("name", "empty name").said(Code::EmptyName, &[]));
        } else if name.len() > NAME_MAX_BYTES {
            errors.push(
                field::Error::new("name", format!("longer than {NAME_MAX_BYTES} bytes"))
                    .said(Code::TooLong, &[("max", &NAME_MAX_BYTES.to_string())]),
            );
        }
        let email = keep(&mut errors, optional_text("email", self.email));
        let phone = keep(&mut errors, optional_text("phone", self.phone));
        let note = keep(&mut errors, optional_text("note", self.note));
        match (key, kind, email, phone, note) {
            (Some(key), Some(kind), Some(email), Some(phone), Some(note)) if errors.is_empty() => {
                Ok(PartyFields {
                    key,
                    kind,
                    name: name.to_string(),
                    email,
                    phone,
                    note,
                })
            }
            _ => Err(errors),
        }
    }
}

impl Snapshot {
    /// The memberships alone, no party: for a read that attributes stored
    /// gestures and names no one through it (its messages would name parties
    /// by number). An organization's credits read so skip reading every party,
    /// a third of their time at 13,000 parties.
    pub fn memberships_only<S: Store + ?Sized>(store: &mut S) -> StoreResult<Snapshot> {
        let mut snapshot = Snapshot::kinds_only(store)?;
        for membership in store.memberships()? {
            snapshot.insert_membership(membership);
        }
        Ok(snapshot)
    }

    /// Everything: for imports.
    pub fn load<S: Store + ?Sized>(store: &mut S) -> StoreResult<Snapshot> {
        let mut snapshot = Snapshot::kinds_only(store)?;
        // Made as large as it will be, not grown: growing, the old list and
        // tables and the new are held at once.
        let count = usize::try_from(store.party_count()?).unwrap_or(usize::MAX);
        snapshot.parties.reserve(count);
        store.for_each_party_key(&mut |id, key, kind| snapshot.add_party(id, key, kind))?;
        for membership in store.memberships()? {
            snapshot.insert_membership(membership);
        }
        Ok(snapshot)
    }

    /// Only the named parties and their memberships: for one gesture.
    pub fn for_keys<S: Store + ?Sized>(store: &mut S, keys: &[&str]) -> StoreResult<Snapshot> {
        let mut snapshot = Snapshot::kinds_only(store)?;
        let keys: Vec<&str> = keys
            .iter()
            .filter_map(|k| PartyKey::check(k).ok())
            .collect();
        let parties = store.parties_by_keys(&keys)?;
        let persons: Vec<PartyId> = parties.iter().map(|p| p.id).collect();
        let memberships = store.memberships_of_many(&persons)?;
        for party in parties {
            snapshot.add_party(party.id, party.fields.key, party.fields.kind);
        }
        // Messages name the organizations by key.
        let mut organizations: Vec<PartyId> = memberships
            .iter()
            .map(|m| m.organization)
            .filter(|org| !snapshot.parties.holds(*org))
            .collect();
        organizations.sort_unstable();
        organizations.dedup();
        for org in store.parties_by_ids(&organizations)? {
            snapshot.names.insert(org.id, org.fields.key);
        }
        for membership in memberships {
            snapshot.insert_membership(membership);
        }
        Ok(snapshot)
    }

    fn kinds_only<S: Store + ?Sized>(store: &mut S) -> StoreResult<Snapshot> {
        let catalog = store.catalog()?;
        Ok(Snapshot {
            zone: catalog.zone.clone(),
            parties: Parties::default(),
            names: FxHashMap::default(),
            catalog,
            memberships: MembershipIndex::default(),
            single: Vec::new(),
        })
    }

    pub fn add_party(&mut self, id: PartyId, key: PartyKey, kind: PartyKind) {
        let roll = Roll::of(self.memberships.of_person(id), Roll::NONE, &mut self.single);
        self.parties.insert(key.as_str(), Entry { id, roll, kind });
    }

    pub fn memberships(&self) -> &MembershipIndex {
        &self.memberships
    }

    /// Adds a membership, or replaces the one with the same person,
    /// organization and start.
    pub fn insert_membership(&mut self, membership: Membership) {
        let person = membership.person;
        self.memberships.insert(membership);
        if let Some(entry) = self.parties.by_id_mut(person) {
            entry.roll = Roll::of(
                self.memberships.of_person(person),
                entry.roll,
                &mut self.single,
            );
        }
    }

    pub fn party(&self, key: &str) -> Option<(PartyId, PartyKind)> {
        self.parties.get(key).map(|e| (e.id, e.kind))
    }

    /// The key of a party, for messages.
    pub fn key(&self, id: PartyId) -> String {
        match self.parties.key(id) {
            Some(key) => key.to_string(),
            None => self
                .names
                .get(&id)
                .map_or_else(|| format!("#{}", id.0), |k| k.to_string()),
        }
    }

    /// The kinds it resolves gestures against.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn kind_by_id(&self, id: KindId) -> Option<&Kind> {
        self.catalog.kind_by_id(id)
    }

    /// Resolves a party key field; `column` names the field for the error.
    pub fn resolve_party(
        &self,
        column: &'static str,
        text: &str,
    ) -> Result<(PartyId, PartyKind), field::Error> {
        self.resolve_entry(column, text).map(|e| (e.id, e.kind))
    }

    fn resolve_entry(&self, column: &'static str, text: &str) -> Result<&Entry, field::Error> {
        // Every key held is a checked `PartyKey`: text found needs no check.
        if let Some(entry) = self.parties.get(text.trim()) {
            return Ok(entry);
        }
        let key = PartyKey::check(text)
            .map_err(|e| field::Error::new(column, e.to_string()).as_said(e.said()))?;
        self.parties.get(key).ok_or_else(|| {
            field::Error::new(
                column,
                format!(
                    "unknown party '{key}': add it first (the Parties page, or a parties file)"
                ),
            )
            .said(Code::UnknownParty, &[("name", key)])
        })
    }

    /// Turns the text of a membership into a membership, or says every field that is wrong.
    pub fn resolve_membership(
        &self,
        text: &MembershipText<'_>,
    ) -> Result<Membership, Vec<field::Error>> {
        let mut errors = Vec::new();
        let mut party = |column: &'static str, key: &str, wanted: PartyKind| match self
            .resolve_party(column, key)
        {
            Ok((id, kind)) if kind == wanted => Some(id),
            Ok(_) => {
                let (what, code) = if wanted == PartyKind::Person {
                    ("a person", Code::NotAPerson)
                } else {
                    ("an organization", Code::NotAnOrganization)
                };
                errors.push(
                    field::Error::new(column, format!("'{}' is not {what}", key.trim()))
                        .said(code, &[("name", key.trim())]),
                );
                None
            }
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let person = party("person", text.person, PartyKind::Person);
        let organization = party("organization", text.organization, PartyKind::Organization);
        let role = keep(
            &mut errors,
            text.role.parse::<Role>().map_err(|e| {
                field::Error::new("role", e).said(Code::RoleUnknown, &[("text", text.role.trim())])
            }),
        );
        let from = keep(
            &mut errors,
            self.zone.parse(text.from).map_err(|e| {
                field::Error::new("from", e.to_string())
                    .said(Code::MomentUnreadable, &[("text", text.from.trim())])
            }),
        );
        let until = if text.until.trim().is_empty() {
            Some(None)
        } else {
            keep(
                &mut errors,
                self.zone.parse(text.until).map(Some).map_err(|e| {
                    field::Error::new("until", e.to_string())
                        .said(Code::MomentUnreadable, &[("text", text.until.trim())])
                }),
            )
        };
        if let (Some(from), Some(Some(until))) = (from, until) {
            if until <= from {
                errors.push(
                    field::Error::new("until", "ends before it starts")
                        .said(Code::EndsBeforeStart, &[]),
                );
            }
        }
        match (person, organization, role, from, until) {
            (Some(person), Some(organization), Some(role), Some(from), Some(until))
                if errors.is_empty() =>
            {
                Ok(Membership {
                    person,
                    organization,
                    role,
                    from,
                    until,
                })
            }
            _ => Err(errors),
        }
    }

    /// Turns the text of a gesture into a gesture, or says every field that is wrong.
    pub fn resolve_gesture(
        &self,
        text: &GestureText<'_>,
        written: Written,
    ) -> Result<Resolved, Vec<field::Error>> {
        let mut errors = Vec::new();
        let id = keep(
            &mut errors,
            GestureId::parse(text.id)
                .map_err(|e| field::Error::new("id", e.to_string()).as_said(e.said())),
        );
        let at = keep(
            &mut errors,
            match written {
                Written::File(_) => self.zone.parse(text.at),
                Written::Typed => self.zone.parse_typed(text.at, balans_core::Moment::now()),
            }
            .map_err(|e| {
                field::Error::new("at", e.to_string())
                    .said(Code::MomentUnreadable, &[("text", text.at.trim())])
            }),
        );
        let giver = keep(&mut errors, self.resolve_entry("giver", text.giver));
        let receiver = keep(&mut errors, self.resolve_entry("receiver", text.receiver));
        // Most rows name the kind exactly as stored: look that up before normalizing.
        let exact = self.catalog.kind_by_code(text.kind.trim());
        let kind = keep(
            &mut errors,
            exact.map(Ok).unwrap_or_else(|| {
                KindCode::parse(text.kind)
                    .map_err(|e| field::Error::new("kind", e.to_string()))
                    .and_then(|code| {
                        self.catalog.kind_by_code(code.as_str()).ok_or_else(|| {
                            field::Error::new(
                                "kind",
                                format!("unknown kind '{code}': see the kinds in the catalog (the Catalog page, or 'balans kind list')"),
                            )
                            .said(Code::UnknownKind, &[("name", code.as_str())])
                        })
                    })
            }),
        );
        let amount = keep(
            &mut errors,
            if text.amount.trim().is_empty() {
                Ok(None)
            } else {
                match written {
                    Written::File(decimal) => Amount::parse(text.amount, decimal),
                    Written::Typed => Amount::parse_typed(text.amount),
                }
                .map(Some)
                .map_err(|e| amount_error(&e, written))
            },
        );
        let note = keep(&mut errors, optional_text("note", text.note));
        let item = keep(&mut errors, optional_text("item", text.item));
        let giver_org = keep(&mut errors, self.optional_org("giver_org", text.giver_org));
        let receiver_org = keep(
            &mut errors,
            self.optional_org("receiver_org", text.receiver_org),
        );
        let reverses = keep(
            &mut errors,
            GestureId::parse(text.reverses)
                .map_err(|e| field::Error::new("reverses", e.to_string()).as_said(e.said())),
        );

        let amount = match (kind, amount) {
            // A reversal without an amount takes the opposite of its gesture's,
            // whatever the kind's default (see `record::check_reversal`).
            (Some(_), Some(None)) if !text.reverses.trim().is_empty() => {
                Some((Amount::ZERO, false))
            }
            (Some(kind), Some(None)) => match kind.def.default {
                Some(default) => Some((default, false)),
                None => {
                    errors.push(
                        field::Error::new(
                            "amount",
                            format!(
                                "a {} gesture needs an amount: the kind has no default",
                                kind.def.code
                            ),
                        )
                        .said(Code::NeedsAmount, &[("kind", kind.def.code.as_str())]),
                    );
                    None
                }
            },
            (_, Some(Some(amount))) => Some((amount, true)),
            _ => None,
        };
        if let (Some(kind), Some((amount, _))) = (kind, amount)
            && kind.def.dimension == Dimension::Money
            && amount.minor() < 0
            && text.reverses.trim().is_empty()
        {
            errors.push(
                field::Error::new(
                    "amount",
                    format!(
                        "{amount}: a payment is never negative; a refund is a payment the other way (swap giver and receiver), and a mistake is undone by reversing the gesture"
                    ),
                )
                .said(Code::NegativePayment, &[("amount", &amount.to_string())]),
            );
        }
        if let (Some(giver), Some(receiver)) = (giver, receiver) {
            if giver.id == receiver.id {
                errors.push(
                    field::Error::new("receiver", "a party cannot give to itself")
                        .said(Code::GivesToItself, &[]),
                );
            }
        }
        for (column, org, party) in [
            ("giver_org", giver_org, giver),
            ("receiver_org", receiver_org, receiver),
        ] {
            if let (
                Some(Some(_)),
                Some(Entry {
                    kind: PartyKind::Organization,
                    ..
                }),
            ) = (org, party)
            {
                errors.push(
                    field::Error::new(
                        column,
                        "only a person gives or receives for an organization",
                    )
                    .said(Code::OrgForOrg, &[]),
                );
            }
        }
        let (
            Some(id),
            Some(at),
            Some(giver_entry),
            Some(receiver_entry),
            Some(kind),
            Some((amount, amount_given)),
        ) = (id, at, giver, receiver, kind, amount)
        else {
            return Err(errors);
        };
        let (Some(note), Some(item), Some(giver_org), Some(receiver_org), Some(reverses)) =
            (note, item, giver_org, receiver_org, reverses)
        else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let gesture = Gesture {
            id: id.unwrap_or_else(GestureId::fresh),
            at,
            giver: giver_entry.id,
            receiver: receiver_entry.id,
            giver_org,
            receiver_org,
            kind: kind.id,
            dimension: kind.def.dimension,
            amount,
            note,
            item,
            reverses,
        };
        let units = if gesture.reverses.is_some() {
            None
        } else {
            let giver = self
                .unit(giver_entry, at, gesture.giver_org)
                .map_err(|e| vec![self.rollup_error("giver_org", gesture.giver, e)])?;
            let receiver = self
                .unit(receiver_entry, at, gesture.receiver_org)
                .map_err(|e| vec![self.rollup_error("receiver_org", gesture.receiver, e)])?;
            Some((giver, receiver))
        };
        Ok(Resolved {
            gesture,
            amount_given,
            units,
        })
    }

    /// The parties a gesture counts for at organization level, at moment `at`.
    pub fn units(&self, gesture: &Gesture, at: Moment) -> Result<(PartyId, PartyId), field::Error> {
        let giver = self
            .memberships
            .unit(gesture.giver, at, gesture.giver_org)
            .map_err(|e| self.rollup_error("giver_org", gesture.giver, e))?;
        let receiver = self
            .memberships
            .unit(gesture.receiver, at, gesture.receiver_org)
            .map_err(|e| self.rollup_error("receiver_org", gesture.receiver, e))?;
        Ok((giver, receiver))
    }

    /// [`MembershipIndex::unit`] of a party found by key, which holds its
    /// memberships when it has few.
    fn unit(
        &self,
        entry: &Entry,
        at: Moment,
        named: Option<PartyId>,
    ) -> Result<PartyId, RollupError> {
        match entry.roll {
            Roll::NONE => rollup::unit_among(&[], entry.id, at, named),
            Roll::MANY => self.memberships.unit(entry.id, at, named),
            Roll(one) => rollup::unit_among(
                std::slice::from_ref(&self.single[one as usize]),
                entry.id,
                at,
                named,
            ),
        }
    }

    fn rollup_error(
        &self,
        column: &'static str,
        party: PartyId,
        error: RollupError,
    ) -> field::Error {
        let who = self.key(party);
        let message = match error {
            RollupError::NotAMember { named } => {
                format!(
                    "{who} is not a member of {} at the gesture's time",
                    self.key(named)
                )
            }
            RollupError::Ambiguous { candidates } => format!(
                "{who} is a member of {} at the gesture's time: name the one it was for in {column}",
                candidates
                    .iter()
                    .map(|c| self.key(*c))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        };
        field::Error::new(column, message)
    }

    fn optional_org(
        &self,
        column: &'static str,
        text: &str,
    ) -> Result<Option<PartyId>, field::Error> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        match self.resolve_party(column, text)? {
            (id, PartyKind::Organization) => Ok(Some(id)),
            (_, PartyKind::Person) => Err(field::Error::new(
                column,
                format!("'{}' is a person, not an organization", text.trim()),
            )
            .said(Code::NotAnOrganization, &[("name", text.trim())])),
        }
    }

    /// A short description of a gesture for messages: `2024-03-01 anna → bob thanks 1.00`.
    pub fn describe(&self, gesture: &Gesture) -> String {
        let kind = self
            .kind_by_id(gesture.kind)
            .map_or("?", |k| k.def.code.as_str());
        format!(
            "{} {} → {} {} {}",
            gesture.at.short_in(&self.zone),
            self.key(gesture.giver),
            self.key(gesture.receiver),
            kind,
            gesture.amount
        )
    }

    pub fn dimension_of(&self, kind: KindId) -> Option<Dimension> {
        self.kind_by_id(kind).map(|k| k.def.dimension)
    }
}

/// An amount's error; a decimal mark of the other convention gets a hint.
/// An amount that cannot be read, as a field error, in the catalog where it is.
fn amount_error(error: &balans_core::AmountError, written: Written) -> field::Error {
    use balans_core::AmountError as E;
    let message = field::Error::new("amount", amount_message(error, written));
    match error {
        E::NotANumber(text) => message.said(Code::AmountUnreadable, &[("text", text)]),
        E::TooPrecise(text) => message.said(Code::AmountTooPrecise, &[("text", text)]),
        E::Ambiguous {
            text,
            thousands,
            decimal,
        } => message.said(
            Code::AmountAmbiguous,
            &[
                ("text", text),
                ("thousands", thousands),
                ("decimal", decimal),
            ],
        ),
        _ => message,
    }
}

fn amount_message(error: &balans_core::AmountError, written: Written) -> String {
    match error {
        balans_core::AmountError::WrongDecimalMark { .. }
            if written == Written::File(DecimalMark::Comma) =>
        {
            format!(
                "{error} (a semicolon-separated file uses a decimal comma; --decimal point overrides)"
            )
        }
        _ => error.to_string(),
    }
}

/// The value, or `None` with the error kept.
fn keep<T>(errors: &mut Vec<field::Error>, result: Result<T, field::Error>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

fn optional_text(column: &'static str, text: &str) -> Result<Option<String>, field::Error> {
    let text = text.trim();
    if text.len() > TEXT_MAX_BYTES {
        return Err(
            field::Error::new(column, format!("longer than {TEXT_MAX_BYTES} bytes"))
                .said(Code::TooLong, &[("max", &TEXT_MAX_BYTES.to_string())]),
        );
    }
    Ok((!text.is_empty()).then(|| text.to_string()))
}

#[cfg(test)]
mod tests {
    use balans_core::{Membership, Moment, PartyId, Role};

    use super::{Entry, Parties, Roll};

    fn entry(id: i64) -> Entry {
        Entry {
            id: PartyId(id),
            roll: Roll::NONE,
            kind: balans_core::PartyKind::Person,
        }
    }

    /// Parties listed in the order of their ids, then some out of it, then
    /// one whose key comes back with another id: each is found by key and by
    /// id, and the replaced id finds the new entry.
    #[test]
    fn parties_are_found_by_key_and_by_id_in_any_order() {
        let mut parties = Parties::default();
        parties.reserve(3);
        for id in [1, 2, 5, 9, 12] {
            parties.insert(&format!("p{id}"), entry(id));
        }
        assert_eq!(parties.in_order, 5);
        parties.insert("late", entry(3));
        parties.insert("later", entry(40));
        assert_eq!(
            parties.in_order, 5,
            "after one out of order, none is in order"
        );
        parties.insert("p5", entry(7));
        assert_eq!(parties.in_order, 2);
        for (key, id) in [("p1", 1), ("p2", 2), ("p5", 7), ("p9", 9), ("p12", 12)] {
            assert_eq!(parties.get(key).map(|e| e.id), Some(PartyId(id)), "{key}");
            assert_eq!(parties.key(PartyId(id)), Some(key), "{key}");
        }
        assert_eq!(parties.key(PartyId(3)), Some("late"));
        assert_eq!(parties.key(PartyId(40)), Some("later"));
        assert_eq!(parties.key(PartyId(5)), Some("p5"));
        assert_eq!(
            parties.by_id_mut(PartyId(5)).map(|e| e.id),
            Some(PartyId(7))
        );
        assert!(!parties.holds(PartyId(4)) && parties.get("p4").is_none());
    }

    fn member_of(organization: i64, from: i64) -> Membership {
        Membership {
            person: PartyId(1),
            organization: PartyId(organization),
            role: Role::Employee,
            from: Moment::from_millis(from),
            until: None,
        }
    }

    /// A party's one membership keeps its place in the list of single
    /// memberships as it changes, and a party that comes to one again after
    /// none or many gets a place of its own.
    #[test]
    fn a_roll_keeps_its_place_while_it_holds_one_membership() {
        let mut single = vec![member_of(9, 0)];
        let one = Roll::of(&[member_of(2, 0)], Roll::NONE, &mut single);
        assert_eq!(one, Roll(1));
        let changed = Roll::of(&[member_of(3, 5)], one, &mut single);
        assert_eq!(changed, one);
        assert_eq!(single[1], member_of(3, 5));
        assert_eq!(single[0], member_of(9, 0), "another's stays");
        let many = Roll::of(&[member_of(3, 5), member_of(4, 6)], changed, &mut single);
        assert_eq!(many, Roll::MANY);
        let again = Roll::of(&[member_of(4, 6)], many, &mut single);
        assert_eq!((again, &single[2]), (Roll(2), &member_of(4, 6)));
        assert_eq!(Roll::of(&[], again, &mut single), Roll::NONE);
    }
}
