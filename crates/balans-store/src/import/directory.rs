//! Parties and memberships files, written a chunk of rows at a time.

use std::io::Read;

use balans_core::{Membership, PartyFields, PartyKind};
use balans_csv::{Column, RowError, Table};
use compact_str::CompactString;
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::hash::BuildHasher;

use super::common::{Errors, Progress, Summary, for_each_row, on_row, row_error};
use crate::field;
use crate::snapshot::{MembershipText, PartyText, Snapshot};
use crate::store::{Store, StoreResult};

pub(crate) fn import_parties<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &mut Snapshot,
    table: &mut Table<Box<dyn Read + Send>>,
    index: usize,
    summary: &mut Summary,
    errors: &mut Errors,
    progress: &(dyn Fn(Progress) + Sync),
) -> StoreResult<()> {
    let name = table.name().to_string();
    // Each key's first line and a hash of its details: a key seen again with
    // other details is refused. Holding every row's details, a million
    // parties took some 400 MiB more. Two different details share a hash once
    // in 2^64 pairs, and the second row is then taken for a repeat of the
    // first (the first is stored either way).
    let mut seen: FxHashMap<CompactString, (u64, u64)> = FxHashMap::default();
    let mut chunk: Vec<(u64, PartyFields)> = Vec::new();
    summary.rows += for_each_row(table, index, errors, progress, |row, errors| {
        let Ok(fields) = parse_party(row).map_err(|list| errors.extend(list)) else {
            return Ok(());
        };
        let details = FxBuildHasher.hash_one(&fields);
        if let Some((first_line, first)) = seen.get(fields.key.as_str()) {
            if *first != details {
                let message = format!(
                    "key '{}' appears on line {first_line} too, with other details",
                    fields.key
                );
                errors.push(row.error(Column::Key, message));
            }
            return Ok(());
        }
        seen.insert(
            CompactString::from(fields.key.as_str()),
            (row.line(), details),
        );
        chunk.push((row.line(), fields));
        if chunk.len() == CHUNK_ROWS {
            write_parties(store, snapshot, &name, &mut chunk, summary, errors)?;
        }
        Ok(())
    })?;
    write_parties(store, snapshot, &name, &mut chunk, summary, errors)
}

/// Rows of parties and memberships written to the store at a time: a few trips
/// per chunk rather than one or two per row.
pub(crate) const CHUNK_ROWS: usize = 4_096;

/// Compares a chunk of party rows with what is stored (one read), changes the
/// parties whose details differ and adds the new ones (one write), and empties it.
pub(crate) fn write_parties<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &mut Snapshot,
    name: &str,
    chunk: &mut Vec<(u64, PartyFields)>,
    summary: &mut Summary,
    errors: &mut Errors,
) -> StoreResult<()> {
    let keys: Vec<&str> = chunk.iter().map(|(_, f)| f.key.as_str()).collect();
    let stored: FxHashMap<String, balans_core::Party> = store
        .parties_by_keys(&keys)?
        .into_iter()
        .map(|p| (p.fields.key.as_str().to_string(), p))
        .collect();
    let mut new = Vec::new();
    for (line, fields) in chunk.drain(..) {
        match stored.get(fields.key.as_str()) {
            Some(existing) if existing.fields.kind != fields.kind => {
                errors.push(row_error(
                    name,
                    line,
                    field::Error::new(
                        Column::PartyKind.name(),
                        format!(
                            "'{}' is stored as {}, not {}",
                            fields.key,
                            existing.fields.kind.as_str(),
                            fields.kind.as_str()
                        ),
                    )
                    .said(
                        match existing.fields.kind {
                            PartyKind::Person => field::Code::StoredAsPerson,
                            PartyKind::Organization => field::Code::StoredAsOrganization,
                        },
                        &[("key", fields.key.as_str())],
                    ),
                ));
            }
            Some(existing) if existing.fields == fields => {}
            Some(existing) => {
                store.update_party(existing.id, &fields)?;
                summary.parties_updated += 1;
            }
            None => new.push(fields),
        }
    }
    for (id, fields) in store.insert_parties(&new)?.into_iter().zip(new) {
        snapshot.add_party(id, fields.key, fields.kind);
        summary.parties_added += 1;
    }
    Ok(())
}

pub(crate) fn parse_party(row: &balans_csv::Row<'_>) -> Result<PartyFields, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut text = |column: Column| row.text(column).map_err(|e| errors.push(e)).unwrap_or("");
    let party = PartyText {
        key: text(Column::Key),
        kind: text(Column::PartyKind),
        name: text(Column::Name),
        email: text(Column::Email),
        phone: text(Column::Phone),
        note: text(Column::Note),
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    party.resolve().map_err(|list| on_row(row, list))
}

/// Returns each membership added or changed, with the one it replaced.
pub(crate) fn import_memberships<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &mut Snapshot,
    table: &mut Table<Box<dyn Read + Send>>,
    index: usize,
    summary: &mut Summary,
    errors: &mut Errors,
    progress: &(dyn Fn(Progress) + Sync),
) -> StoreResult<Vec<(Option<Membership>, Membership)>> {
    let mut changed = Vec::new();
    let mut seen: FxHashMap<(i64, i64, i64), u64> = FxHashMap::default();
    let mut chunk: Vec<Membership> = Vec::with_capacity(CHUNK_ROWS);
    summary.rows += for_each_row(table, index, errors, progress, |row, errors| {
        let Ok(membership) = parse_membership(row, snapshot).map_err(|list| errors.extend(list))
        else {
            return Ok(());
        };
        let identity = (
            membership.person.0,
            membership.organization.0,
            membership.from.millis(),
        );
        if let Some(first_line) = seen.insert(identity, row.line()) {
            errors.push(row.row_error(format!(
                "the same person, organization and start appear on line {first_line} too"
            )));
            return Ok(());
        }
        let existing = snapshot.memberships().same_period(&membership).cloned();
        match &existing {
            Some(existing) if *existing == membership => return Ok(()),
            Some(_) => summary.memberships_updated += 1,
            None => summary.memberships_added += 1,
        }
        chunk.push(membership.clone());
        if chunk.len() == CHUNK_ROWS {
            store.upsert_memberships(&chunk)?;
            chunk.clear();
        }
        snapshot.insert_membership(membership.clone());
        changed.push((existing, membership));
        Ok(())
    })?;
    store.upsert_memberships(&chunk)?;
    Ok(changed)
}

pub(crate) fn parse_membership(
    row: &balans_csv::Row<'_>,
    snapshot: &Snapshot,
) -> Result<Membership, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut text = |column: Column| row.text(column).map_err(|e| errors.push(e)).unwrap_or("");
    let membership = MembershipText {
        person: text(Column::Person),
        organization: text(Column::Organization),
        role: text(Column::Role),
        from: text(Column::From),
        until: text(Column::Until),
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    snapshot
        .resolve_membership(&membership)
        .map_err(|list| on_row(row, list))
}
