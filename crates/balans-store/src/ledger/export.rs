//! Export: the whole store as CSV files that import gives back identically.

use std::io::Write;
use std::path::{Path, PathBuf};

use balans_core::{GestureId, PartyId};
use balans_csv::{FileKind, Writer};
use serde::Serialize;

use crate::LedgerError;
use crate::snapshot::Snapshot;
use crate::store::{Store, StoreError};

#[derive(Debug, Clone, Default, Serialize)]
pub struct ExportSummary {
    pub kinds: u64,
    pub parties: u64,
    pub memberships: u64,
    pub gestures: u64,
    pub handovers: u64,
    pub user_links: u64,
    pub alerts: u64,
    pub promises: u64,
    pub files: Vec<PathBuf>,
}

/// Writes `kinds.csv`, `parties.csv`, `memberships.csv`, `gestures.csv` and
/// `handovers.csv` into `dir`, and `user_links.csv` when a user is linked to
/// the person they are (users themselves, with their secrets, stay behind), and
/// `alerts.csv` when a departure was named in an alert (with its dismissal),
/// and `promises.csv` when a promise was made (with its state and due
/// moments). Each file is written beside its final name and renamed into place, so an
/// interrupted export never leaves a half-written file under a final name.
pub fn export<S: Store + ?Sized>(store: &mut S, dir: &Path) -> Result<ExportSummary, LedgerError> {
    crate::store::in_read(store, |store| export_now(store, dir))
}

fn export_now<S: Store + ?Sized>(store: &mut S, dir: &Path) -> Result<ExportSummary, LedgerError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| LedgerError::Io(format!("cannot create {}: {e}", dir.display())))?;
    let snapshot = Snapshot::load(store)?;
    let zone = snapshot.zone.clone();
    let mut summary = ExportSummary::default();
    let kinds = store.kinds()?;
    summary.kinds = write_file(dir, "kinds.csv", FileKind::Kinds, &mut summary.files, |w| {
        for kind in &kinds {
            let default = kind.def.default.map(|a| a.to_string()).unwrap_or_default();
            w.row([
                kind.def.code.as_str(),
                kind.def.dimension.as_str(),
                &default,
                &kind.def.label_nl,
                &kind.def.label_en,
            ])?;
        }
        Ok::<_, LedgerError>(kinds.len() as u64)
    })?;
    let parties = store.parties()?;
    summary.parties = write_file(
        dir,
        "parties.csv",
        FileKind::Parties,
        &mut summary.files,
        |w| {
            for p in &parties {
                let f = &p.fields;
                let opt = |v: &Option<String>| v.clone().unwrap_or_default();
                w.row([
                    f.key.as_str(),
                    f.kind.as_str(),
                    &f.name,
                    &opt(&f.email),
                    &opt(&f.phone),
                    &opt(&f.note),
                ])?;
            }
            Ok::<_, LedgerError>(parties.len() as u64)
        },
    )?;
    let memberships = store.memberships()?;
    summary.memberships = write_file(
        dir,
        "memberships.csv",
        FileKind::Memberships,
        &mut summary.files,
        |w| {
            for m in &memberships {
                let until = m.until.map(|u| u.display_in(&zone)).unwrap_or_default();
                w.row([
                    snapshot.key(m.person).as_str(),
                    snapshot.key(m.organization).as_str(),
                    m.role.as_str(),
                    &m.from.display_in(&zone),
                    &until,
                ])?;
            }
            Ok::<_, LedgerError>(memberships.len() as u64)
        },
    )?;
    let kind_codes: rustc_hash::FxHashMap<_, _> = kinds
        .iter()
        .map(|k| (k.id, k.def.code.to_string()))
        .collect();
    summary.gestures = write_file(
        dir,
        "gestures.csv",
        FileKind::Gestures,
        &mut summary.files,
        |w| {
            let mut gestures = 0u64;
            store.for_each_gesture(&mut |stored| {
                let g = &stored.gesture;
                let org = |id: Option<PartyId>| id.map(|id| snapshot.key(id)).unwrap_or_default();
                w.row([
                    g.id.as_str(),
                    &g.at.display_in(&zone),
                    &snapshot.key(g.giver),
                    &snapshot.key(g.receiver),
                    kind_codes.get(&g.kind).map_or("", String::as_str),
                    &g.amount.to_string(),
                    g.note.as_deref().unwrap_or(""),
                    g.item.as_deref().unwrap_or(""),
                    &org(g.giver_org),
                    &org(g.receiver_org),
                    g.reverses.as_ref().map_or("", GestureId::as_str),
                ])
                .map_err(|e| StoreError::backend("writing gestures.csv", e))?;
                gestures += 1;
                Ok(())
            })?;
            Ok::<_, LedgerError>(gestures)
        },
    )?;
    let handovers = store.handovers()?;
    summary.handovers = write_file(
        dir,
        "handovers.csv",
        FileKind::Handovers,
        &mut summary.files,
        |w| {
            for h in &handovers {
                let sum = |minor: i64| balans_core::Sum(minor).to_string();
                let decided = h
                    .decided_at
                    .map(|d| d.display_in(&zone))
                    .unwrap_or_default();
                w.row([
                    snapshot.key(h.left).as_str(),
                    &snapshot.key(h.left_unit),
                    &snapshot.key(h.other),
                    &snapshot.key(h.other_unit),
                    &snapshot.key(h.successor),
                    &h.share.to_string(),
                    h.state.as_str(),
                    &h.offered_at.display_in(&zone),
                    &decided,
                    h.note.as_deref().unwrap_or(""),
                    &sum(h.moved.credit.a_to_b),
                    &sum(h.moved.credit.b_to_a),
                    &sum(h.moved.money.a_to_b),
                    &sum(h.moved.money.b_to_a),
                ])?;
            }
            Ok::<_, LedgerError>(handovers.len() as u64)
        },
    )?;
    let links = store.user_links()?;
    if !links.is_empty() {
        let users = store.users()?;
        summary.user_links = write_file(
            dir,
            "user_links.csv",
            FileKind::UserLinks,
            &mut summary.files,
            |w| {
                for (user, party) in &links {
                    let email = users
                        .iter()
                        .find(|u| u.id == *user)
                        .map(|u| u.email.to_string())
                        .ok_or_else(|| {
                            StoreError::Corrupt(format!("user #{} is linked but missing", user.0))
                        })?;
                    w.row([email.as_str(), &snapshot.key(*party)])?;
                }
                Ok::<_, LedgerError>(links.len() as u64)
            },
        )?;
    }
    let alerts = store.alerts()?;
    if !alerts.is_empty() {
        summary.alerts = write_file(
            dir,
            "alerts.csv",
            FileKind::Alerts,
            &mut summary.files,
            |w| {
                for a in &alerts {
                    let dismissed = a
                        .dismissed_at
                        .map(|d| d.display_in(&zone))
                        .unwrap_or_default();
                    w.row([
                        snapshot.key(a.left).as_str(),
                        &snapshot.key(a.left_unit),
                        &snapshot.key(a.other_unit),
                        &a.left_at.display_in(&zone),
                        &balans_core::Sum(a.volume).to_string(),
                        &snapshot.key(a.other),
                        &a.others.to_string(),
                        &dismissed,
                    ])?;
                }
                Ok::<_, LedgerError>(alerts.len() as u64)
            },
        )?;
    }
    let promises = store.promises(&crate::store::PromiseFilter::default())?;
    if !promises.is_empty() {
        let catalog = store.catalog()?;
        let rows: Vec<i64> = promises.iter().map(|p| p.row).collect();
        let mut dues_of = super::promises::dues_of(store, &rows)?;
        summary.promises = write_file(
            dir,
            "promises.csv",
            FileKind::Promises,
            &mut summary.files,
            |w| {
                for p in &promises {
                    let dues = dues_of.remove(&p.row).unwrap_or_default();
                    let kind = catalog
                        .kind_by_id(p.kind)
                        .map(|k| k.def.code.to_string())
                        .ok_or_else(|| {
                            StoreError::Corrupt(format!("kind #{} is missing", p.kind.0))
                        })?;
                    let org = |o: Option<PartyId>| o.map(|o| snapshot.key(o)).unwrap_or_default();
                    w.row([
                        p.id.as_str(),
                        &snapshot.key(p.promiser),
                        &snapshot.key(p.promisee),
                        &kind,
                        &p.amount.to_string(),
                        &p.made.display_in(&zone),
                        &p.due.display_in(&zone),
                        p.note.as_deref().unwrap_or(""),
                        &org(p.promiser_org),
                        &org(p.promisee_org),
                        p.state.as_str(),
                        &p.resolved_at
                            .map(|r| r.display_in(&zone))
                            .unwrap_or_default(),
                        p.reason.as_deref().unwrap_or(""),
                        p.gesture.as_ref().map(|g| g.as_str()).unwrap_or(""),
                        &p.kept.map(|k| k.to_string()).unwrap_or_default(),
                        &crate::import::write_dues(&dues, &zone),
                    ])?;
                }
                Ok::<_, LedgerError>(promises.len() as u64)
            },
        )?;
    }
    Ok(summary)
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> LedgerError {
    LedgerError::Io(format!("cannot write {}: {e}", path.display()))
}

type FileWriter = Writer<std::io::BufWriter<std::fs::File>>;

/// Writes one file through a temporary name, synced before it is renamed into place.
fn write_file<E: Into<LedgerError>>(
    dir: &Path,
    name: &str,
    kind: FileKind,
    files: &mut Vec<PathBuf>,
    rows: impl FnOnce(&mut FileWriter) -> Result<u64, E>,
) -> Result<u64, LedgerError> {
    let path = dir.join(name);
    let temporary = dir.join(format!(".{name}.partial"));
    let file = std::fs::File::create(&temporary).map_err(|e| io_error(&temporary, e))?;
    let mut writer =
        Writer::new(std::io::BufWriter::new(file), kind).map_err(|e| io_error(&temporary, e))?;
    let count = match rows(&mut writer) {
        Ok(count) => count,
        Err(e) => {
            let _ = std::fs::remove_file(&temporary);
            return Err(e.into());
        }
    };
    let mut sink = writer.finish().map_err(|e| io_error(&temporary, e))?;
    sink.flush().map_err(|e| io_error(&temporary, e))?;
    let file = sink
        .into_inner()
        .map_err(|e| io_error(&temporary, e.into_error()))?;
    file.sync_all().map_err(|e| io_error(&temporary, e))?;
    std::fs::rename(&temporary, &path).map_err(|e| io_error(&path, e))?;
    files.push(path);
    Ok(count)
}
