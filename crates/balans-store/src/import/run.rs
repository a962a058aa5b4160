//! The import as a whole: one transaction over all its files, the kinds first,
//! then the parties, the memberships and the gestures.

use std::io::Read;
use std::time::Instant;

use balans_csv::{FileKind, RowError, Table};

use super::catalog::import_kinds;
use super::common::{Errors, Options, Progress, Source, Summary};
use super::directory::{import_memberships, import_parties};
use super::gestures::{GestureFile, import_gestures};
use super::handovers::{import_alerts, import_handovers, import_user_links};
use super::promises::import_promises;
use crate::LedgerError;
use crate::snapshot::Snapshot;
use crate::store::{Store, StoreResult};

/// Imports the files in one transaction: kinds first, then parties, memberships and
/// gestures, whatever order they are given in. Any error rejects them all.
pub fn import<S: Store + ?Sized>(
    store: &mut S,
    sources: Vec<Source>,
    options: Options,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Summary, LedgerError> {
    let started = Instant::now();
    let order: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
    let mut errors = Errors::default();
    let mut tables = Vec::new();
    let sizes: Vec<Option<u64>> = sources.iter().map(|s| s.bytes).collect();
    for (index, source) in sources.into_iter().enumerate() {
        let read = balans_csv::ReadOptions {
            decimal: options.decimal,
            encoding: options.encoding,
        };
        match Table::open(&source.name, source.reader, read) {
            Ok(table) => tables.push((index, table)),
            Err(e) => errors.push(e),
        }
    }
    if errors.total > 0 {
        return Err(LedgerError::Rejected(errors.into_rejection(&order)));
    }
    tables.sort_by_key(|(index, table)| (table.kind(), *index));

    let mut summary = Summary {
        files: tables.len(),
        dry_run: options.dry_run,
        ..Summary::default()
    };
    store.begin_write()?;
    let outcome = import_tables(
        store,
        tables,
        &sizes,
        options,
        &mut summary,
        &mut errors,
        progress,
    );
    let failed = outcome.is_err() || errors.total > 0;
    if failed || options.dry_run {
        store.rollback()?;
    }
    outcome?;
    if failed {
        return Err(LedgerError::Rejected(errors.into_rejection(&order)));
    }
    if !options.dry_run {
        store.commit()?;
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

pub(crate) fn import_tables<S: Store + ?Sized>(
    store: &mut S,
    tables: Vec<(usize, Table<Box<dyn Read + Send>>)>,
    sizes: &[Option<u64>],
    Options {
        dry_run,
        limits,
        user_links,
        ..
    }: Options,
    summary: &mut Summary,
    errors: &mut Errors,
    progress: &(dyn Fn(Progress) + Sync),
) -> StoreResult<()> {
    let (kind_tables, tables): (Vec<_>, Vec<_>) = tables
        .into_iter()
        .partition(|(_, t)| t.kind() == FileKind::Kinds);
    for (index, mut table) in kind_tables {
        import_kinds(store, &mut table, index, summary, errors, progress)?;
    }
    let mut snapshot = Snapshot::load(store)?;
    let ended = |m: &balans_core::Membership| {
        m.until
            .map(|until| (m.person, m.organization, m.from, until))
    };
    let ended_before: rustc_hash::FxHashSet<_> =
        snapshot.memberships().iter().filter_map(ended).collect();
    let had_gestures = store.has_gestures()?;
    let mut membership_changes = Vec::new();
    let mut membership_files = Vec::new();
    // After the last file of gestures, a store loading them in bulk finishes the
    // load (unless nothing will be kept).
    let last_gestures = tables
        .iter()
        .rposition(|(_, t)| t.kind() == FileKind::Gestures);
    for (position, (index, mut table)) in tables.into_iter().enumerate() {
        match table.kind() {
            FileKind::Kinds => unreachable!("kinds files are imported first"),
            FileKind::Parties => import_parties(
                store,
                &mut snapshot,
                &mut table,
                index,
                summary,
                errors,
                progress,
            )?,
            FileKind::Memberships => {
                membership_files.push(table.name().to_string());
                membership_changes.extend(import_memberships(
                    store,
                    &mut snapshot,
                    &mut table,
                    index,
                    summary,
                    errors,
                    progress,
                )?);
            }
            FileKind::Gestures => {
                // Stored gestures follow the new memberships before new ones arrive.
                if !membership_changes.is_empty() {
                    follow_memberships(
                        store,
                        &snapshot,
                        had_gestures,
                        &std::mem::take(&mut membership_changes),
                        &membership_files,
                        errors,
                    )?;
                }
                let finish = !dry_run && last_gestures == Some(position);
                let file = GestureFile {
                    table,
                    index,
                    finish,
                    bytes: sizes.get(index).copied().flatten(),
                };
                import_gestures(store, &snapshot, file, limits, summary, errors, progress)?;
            }
            FileKind::Handovers => import_handovers(
                store, &snapshot, &mut table, index, summary, errors, progress,
            )?,
            FileKind::UserLinks if !user_links => errors.push(RowError::file(
                table.name(),
                "user links decide who accepts a handover: only an admin imports them",
            )),
            FileKind::UserLinks => import_user_links(
                store, &snapshot, &mut table, index, summary, errors, progress,
            )?,
            FileKind::Alerts => import_alerts(
                store, &snapshot, &mut table, index, summary, errors, progress,
            )?,
            FileKind::Promises => import_promises(
                store, &snapshot, &mut table, index, summary, errors, progress,
            )?,
        }
    }
    if !membership_changes.is_empty() {
        follow_memberships(
            store,
            &snapshot,
            had_gestures,
            &membership_changes,
            &membership_files,
            errors,
        )?;
    }
    // The departures the files brought, with the credits they put to sleep.
    if errors.total == 0 && !dry_run {
        let departures: Vec<_> = snapshot
            .memberships()
            .iter()
            .filter(|m| ended(m).is_some_and(|e| !ended_before.contains(&e)))
            .cloned()
            .collect();
        if !departures.is_empty() {
            match crate::ledger::name_departures(store, &snapshot, &departures) {
                Ok(_) => {}
                Err(LedgerError::Store(e)) => return Err(e),
                Err(other) => errors.push(RowError::file(
                    &membership_files.join(", "),
                    other.to_string(),
                )),
            }
        }
    }
    Ok(())
}

/// Moves the stored gestures the changed memberships move (see
/// [`crate::ledger::follow_membership_changes`]); a gesture the change would
/// leave attributable to no single organization becomes an error of the
/// memberships files.
pub(crate) fn follow_memberships<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    had_gestures: bool,
    changes: &[(Option<balans_core::Membership>, balans_core::Membership)],
    files: &[String],
    errors: &mut Errors,
) -> StoreResult<()> {
    if errors.total > 0 {
        return Ok(());
    }
    match crate::ledger::check_pending_promises(store, snapshot, changes) {
        Ok(()) => {}
        Err(LedgerError::Store(e)) => return Err(e),
        Err(other) => {
            errors.push(RowError::file(&files.join(", "), other.to_string()));
            return Ok(());
        }
    }
    if !had_gestures {
        return Ok(());
    }
    match crate::ledger::follow_membership_changes(store, snapshot, changes) {
        Ok(()) => Ok(()),
        Err(LedgerError::Store(e)) => Err(e),
        Err(other) => {
            errors.push(RowError::file(&files.join(", "), other.to_string()));
            Ok(())
        }
    }
}
