//! Gestures listed and shown: a filtered page at a time, as views that name
//! their parties and kinds, and an organization's gestures through its people.

use balans_core::{Amount, GestureId, PartyId, PartyKind};
use serde::Serialize;

use super::lookup::{find_party, page_limit};
use crate::store::Store;
use crate::{LedgerError, field};

/// A gesture as a view names it: party keys, kind code, amount as an exact string.
#[derive(Debug, Clone, Serialize)]
pub struct GestureView {
    pub id: GestureId,
    /// In the store's time zone, with its offset.
    pub at: String,
    pub giver: String,
    pub receiver: String,
    /// The parties' names, for pages (the API names parties by key).
    #[serde(skip)]
    pub giver_name: String,
    #[serde(skip)]
    pub receiver_name: String,
    pub kind: String,
    pub amount: Amount,
    pub note: Option<String>,
    pub item: Option<String>,
    pub giver_org: Option<String>,
    pub receiver_org: Option<String>,
    pub reverses: Option<GestureId>,
}

/// A page of gestures, in the order they were stored.
#[derive(Debug, Clone, Serialize)]
pub struct GesturePage {
    pub gestures: Vec<GestureView>,
    pub next_cursor: Option<String>,
}

/// What to list: every field narrows it; text as a request gives it.
#[derive(Debug, Clone, Default)]
pub struct GestureQuery<'a> {
    pub party: Option<&'a str>,
    pub counterpart: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub item: Option<&'a str>,
    /// Text a note or item holds, ignoring case.
    pub text: Option<&'a str>,
    pub from: Option<&'a str>,
    pub until: Option<&'a str>,
    pub cursor: Option<&'a str>,
    pub limit: Option<usize>,
    /// Latest in time first (at the same moment, latest stored first).
    pub newest_first: bool,
    /// For an organization `party`: the gestures that count for it at
    /// organization level, its people's included, as its balances count them.
    pub attributed: bool,
}

/// Gestures matching the query, a page at a time.
pub fn list_gestures<S: Store + ?Sized>(
    store: &mut S,
    query: &GestureQuery<'_>,
) -> Result<GesturePage, LedgerError> {
    let limit = page_limit(query.limit)?;
    let invalid = |column: &'static str, message: String| {
        LedgerError::Invalid(vec![field::Error::new(column, message)])
    };
    let zone = crate::store::zone_of(store)?;
    let party_id = |store: &mut S, key: Option<&str>| -> Result<Option<PartyId>, LedgerError> {
        key.map(|k| find_party(store, k).map(|p| p.id)).transpose()
    };
    let party = party_id(store, query.party)?;
    let counterpart = party_id(store, query.counterpart)?;
    let kinds = store.kinds()?;
    let kind = match query.kind {
        None => None,
        Some(code) => Some(
            kinds
                .iter()
                .find(|k| k.def.code.as_str() == code.trim().to_ascii_lowercase())
                .map(|k| k.id)
                .ok_or_else(|| invalid("kind", format!("unknown kind '{code}'")))?,
        ),
    };
    let moment = |column: &'static str, text: Option<&str>| {
        text.map(|t| zone.parse(t).map_err(|e| invalid(column, e.to_string())))
            .transpose()
    };
    let after_seq = match query.cursor {
        None => None,
        Some(cursor) => Some(cursor.parse::<i64>().map_err(|_| {
            invalid(
                "cursor",
                format!(
                    "'{}' is not a cursor this server gave",
                    balans_core::Quoted(cursor)
                ),
            )
        })?),
    };
    let mut filter = crate::store::GestureFilter {
        party,
        counterpart,
        any_of: None,
        kind,
        item: query.item.map(str::to_string),
        text: query
            .text
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        from: moment("from", query.from)?,
        until: moment("until", query.until)?,
        after_seq,
        newest_first: query.newest_first,
        limit: limit + 1,
    };
    let organization = match (query.attributed, party) {
        (true, Some(id)) => store
            .party_by_id(id)?
            .filter(|p| p.fields.kind == PartyKind::Organization),
        _ => None,
    };
    let mut found = match organization {
        None => store.find_gestures(&filter)?,
        Some(organization) => attributed_gestures(store, organization.id, None, &mut filter)?,
    };
    let more = found.len() > limit;
    found.truncate(limit);
    let next_cursor = more
        .then(|| found.last().map(|g| g.seq.to_string()))
        .flatten();
    let gestures = gesture_views(store, &kinds, &zone, found)?;
    Ok(GesturePage {
        gestures,
        next_cursor,
    })
}

/// Stored gestures as views: party keys, kind codes, times in the store's zone.
pub(crate) fn gesture_views<S: Store + ?Sized>(
    store: &mut S,
    kinds: &[balans_core::Kind],
    zone: &balans_core::Zone,
    found: Vec<balans_core::StoredGesture>,
) -> Result<Vec<GestureView>, LedgerError> {
    let mut keys: rustc_hash::FxHashMap<PartyId, (String, String)> = Default::default();
    let mut named = |store: &mut S, id: PartyId| -> Result<(String, String), LedgerError> {
        if let Some(known) = keys.get(&id) {
            return Ok(known.clone());
        }
        let known = store
            .party_by_id(id)?
            .map(|p| (p.fields.key.to_string(), p.fields.name))
            .unwrap_or_else(|| (format!("#{}", id.0), format!("#{}", id.0)));
        keys.insert(id, known.clone());
        Ok(known)
    };
    let mut gestures = Vec::with_capacity(found.len());
    for stored in found {
        let g = stored.gesture;
        let (giver, giver_name) = named(store, g.giver)?;
        let (receiver, receiver_name) = named(store, g.receiver)?;
        gestures.push(GestureView {
            at: g.at.display_in(zone),
            giver,
            receiver,
            giver_name,
            receiver_name,
            kind: kinds
                .iter()
                .find(|k| k.id == g.kind)
                .map(|k| k.def.code.to_string())
                .unwrap_or_default(),
            amount: g.amount,
            note: g.note,
            item: g.item,
            giver_org: g
                .giver_org
                .map(|id| named(store, id).map(|n| n.0))
                .transpose()?,
            receiver_org: g
                .receiver_org
                .map(|id| named(store, id).map(|n| n.0))
                .transpose()?,
            reverses: g.reverses,
            id: g.id,
        });
    }
    Ok(gestures)
}

/// One stored gesture as a view, with the id of its reversal when it has one.
pub fn gesture_view<S: Store + ?Sized>(
    store: &mut S,
    id: &str,
) -> Result<Option<(GestureView, Option<GestureId>)>, LedgerError> {
    let Ok(Some(id)) = GestureId::parse(id) else {
        return Ok(None);
    };
    let Some(stored) = store.gesture(&id)? else {
        return Ok(None);
    };
    let reversal = store.reversal_of(&id)?;
    let kinds = store.kinds()?;
    let zone = crate::store::zone_of(store)?;
    let view = gesture_views(store, &kinds, &zone, vec![stored])?.pop();
    Ok(view.map(|v| (v, reversal)))
}

/// The gestures that count for `organization` at organization level (and, with
/// `other`, for the pair of it and `other`), in the filter's order, at most
/// `filter.limit`. The gestures of the people of the smaller side (who were ever
/// its members) are read, and kept when the roll-up gives them to the party.
pub(crate) fn attributed_gestures<S: Store + ?Sized>(
    store: &mut S,
    organization: PartyId,
    other: Option<PartyId>,
    filter: &mut crate::store::GestureFilter,
) -> Result<Vec<balans_core::StoredGesture>, LedgerError> {
    let people_of = |store: &mut S, party: PartyId| -> Result<Vec<PartyId>, LedgerError> {
        let mut people: Vec<PartyId> = store.members_of(party)?.iter().map(|m| m.person).collect();
        people.push(party);
        people.sort_unstable();
        people.dedup();
        Ok(people)
    };
    let ours = people_of(store, organization)?;
    let theirs = match other {
        Some(other) => people_of(store, other)?,
        None => Vec::new(),
    };
    let mut everyone: Vec<PartyId> = ours.iter().chain(&theirs).copied().collect();
    everyone.sort_unstable();
    everyone.dedup();
    let index = balans_core::MembershipIndex::new(store.memberships_of_many(&everyone)?);
    let any_of = if other.is_some() && theirs.len() < ours.len() {
        theirs
    } else {
        ours
    };
    let wanted = filter.limit;
    filter.party = None;
    filter.any_of = Some(any_of);
    // Read in pages: most of a busy organization's gestures are its own.
    filter.limit = 1_000;
    let mut kept = Vec::new();
    walk_gestures(store, filter, |stored| {
        let g = &stored.gesture;
        let unit = |party, named| index.unit(party, stored.attributed_at, named).ok();
        let (giver, receiver) = (unit(g.giver, g.giver_org), unit(g.receiver, g.receiver_org));
        let counts = match other {
            None => {
                giver != receiver && (giver == Some(organization) || receiver == Some(organization))
            }
            Some(other) => {
                (giver, receiver) == (Some(organization), Some(other))
                    || (giver, receiver) == (Some(other), Some(organization))
            }
        };
        if counts {
            kept.push(stored);
        }
        Ok(kept.len() < wanted)
    })?;
    Ok(kept)
}

/// Every gesture `filter` finds, in its order, read a page of `filter.limit` at
/// a time (the filter's cursor moves along); `visit` stops the walk by
/// answering `false`.
pub(crate) fn walk_gestures<S: Store + ?Sized>(
    store: &mut S,
    filter: &mut crate::store::GestureFilter,
    mut visit: impl FnMut(balans_core::StoredGesture) -> Result<bool, LedgerError>,
) -> Result<(), LedgerError> {
    loop {
        let page = store.find_gestures(filter)?;
        let full = page.len() == filter.limit;
        for stored in page {
            filter.after_seq = Some(stored.seq);
            if !visit(stored)? {
                return Ok(());
            }
        }
        if !full {
            return Ok(());
        }
    }
}
