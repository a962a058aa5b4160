//! Importing CSV files: all of them or nothing, idempotent by gesture id.
//!
//! Parsing and validation run on one thread, writing on the caller's, joined by a
//! bounded channel so memory stays flat however long the file. What the stored
//! gestures contribute is summed per pair on a third thread and added to the store
//! in the same transaction.
//!
//! The writer offers the batches to `BulkLoad::stream_gestures` first and writes
//! those the store declines one by one, through `record::record_all` as a single
//! gesture is written. When the store has work left once the gestures are in
//! (`BulkLoad::expect_many_gestures` says so), the summing waits for it, with up to
//! a million gestures queued, so that it runs while PostgreSQL builds a bulk load's
//! indexes rather than beside the copy. The sums go to the store whenever the pairs
//! summed reach their limit, which ends a stream. [`Limits`] holds the batch size,
//! the queue and that limit.

use std::io::Read;
use std::sync::mpsc::{Receiver, Sender, SyncSender, TrySendError, channel, sync_channel};
use std::time::Instant;

use balans_core::{
    Amount, BalanceMap, ContentHash, DecimalMark, Dimension, GestureId, KindCode, KindDef,
    Membership, PartyFields,
};
use balans_csv::{Column, FileKind, RowError, Table};
use rustc_hash::FxHashMap;

use crate::record::{Counted, Recorded, count_gesture, flush, record_all};
use crate::snapshot::{GestureText, MembershipText, NAME_MAX_BYTES, PartyText, Snapshot};
use crate::store::{GestureBatches, Resolved, Store, StoreResult, Streamed};
use crate::{ERRORS_SHOWN_MAX, LedgerError, Rejection, field};

/// Batches in flight between parser and writer.
const BATCHES_IN_FLIGHT: usize = 2;

/// One file to import.
pub struct Source {
    pub name: String,
    pub reader: Box<dyn Read + Send>,
}

impl Source {
    pub fn new(name: impl Into<String>, reader: impl Read + Send + 'static) -> Source {
        Source {
            name: name.into(),
            reader: Box::new(reader),
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Overrides the decimal mark each file's delimiter implies.
    pub decimal: Option<DecimalMark>,
    /// Overrides the encoding read from each file's start.
    pub encoding: Option<balans_csv::Encoding>,
    /// Validate everything, write nothing.
    pub dry_run: bool,
    /// How the gestures are divided up on their way to the store.
    pub limits: Limits,
}

/// How an import divides its gestures up. The defaults suit every import, short
/// or long; smaller limits take a few thousand gestures down the paths that
/// otherwise only millions take, which is how those paths are tested.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Rows handed from the parser to the writer at a time. Outside a bulk load
    /// (which streams its batches into one COPY) a batch is one COPY into
    /// PostgreSQL, whose client and server take turns at each batch's end: with
    /// 2,048 rows a million gestures took 7.6 s there, with 16,384 rows 5.8 s.
    /// Zero counts as one.
    pub batch_rows: usize,
    /// How many stored batches may wait for a counter that starts late
    /// (`ToCount`): by default a million gestures, some 56 MiB.
    pub deferred_batches: usize,
    /// Pairs summed in memory before their sums are written to the store.
    pub pending_pairs: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            batch_rows: 16_384,
            deferred_batches: 64,
            pending_pairs: 200_000,
        }
    }
}

/// How far an import has come, for a progress bar.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    /// Bytes read of the file being read now.
    pub bytes_in_file: u64,
    /// Index of that file among the sources.
    pub file: usize,
    pub rows: u64,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Summary {
    pub files: usize,
    pub rows: u64,
    pub kinds_added: u64,
    pub kinds_updated: u64,
    pub parties_added: u64,
    pub parties_updated: u64,
    pub memberships_added: u64,
    pub memberships_updated: u64,
    pub gestures_added: u64,
    /// Gestures whose id was stored already with the same content.
    pub gestures_already_present: u64,
    pub dry_run: bool,
    pub seconds: f64,
}

/// Row errors found so far: the first few kept, all counted.
#[derive(Default, Debug)]
struct Errors {
    kept: Vec<RowError>,
    total: usize,
}

impl Errors {
    fn push(&mut self, error: RowError) {
        self.total += 1;
        // Keep more than shown: parser and writer find errors out of line order.
        if self.kept.len() < ERRORS_SHOWN_MAX * 2 {
            self.kept.push(error);
        }
    }

    fn extend(&mut self, errors: Vec<RowError>) {
        errors.into_iter().for_each(|e| self.push(e));
    }

    fn merge(&mut self, other: Errors) {
        self.total += other.total;
        self.kept.extend(other.kept);
    }

    fn into_rejection(mut self, order: &[String]) -> Rejection {
        let rank = |file: &str| order.iter().position(|f| f == file).unwrap_or(usize::MAX);
        self.kept.sort_by_key(|e| (rank(&e.file), e.line));
        self.kept.truncate(ERRORS_SHOWN_MAX);
        Rejection {
            errors: self.kept,
            total: self.total,
        }
    }
}

fn row_error(table: &str, line: u64, error: field::Error) -> RowError {
    RowError {
        file: table.to_string(),
        line,
        column: Some(error.column),
        message: error.message,
    }
}

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
    let outcome = import_tables(store, tables, options, &mut summary, &mut errors, progress);
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

fn import_tables<S: Store + ?Sized>(
    store: &mut S,
    tables: Vec<(usize, Table<Box<dyn Read + Send>>)>,
    Options {
        dry_run, limits, ..
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
    let gestures_before = store.gesture_count()?;
    let mut memberships_changed = false;
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
                memberships_changed |= import_memberships(
                    store,
                    &mut snapshot,
                    &mut table,
                    index,
                    summary,
                    errors,
                    progress,
                )?;
            }
            FileKind::Gestures => {
                // Stored gestures follow the new memberships before new ones arrive.
                if memberships_changed {
                    follow_memberships(
                        store,
                        &snapshot,
                        gestures_before,
                        &membership_files,
                        errors,
                    )?;
                    memberships_changed = false;
                }
                let finish = !dry_run && last_gestures == Some(position);
                let file = GestureFile {
                    table,
                    index,
                    finish,
                };
                import_gestures(store, &snapshot, file, limits, summary, errors, progress)?;
            }
        }
    }
    if memberships_changed {
        follow_memberships(store, &snapshot, gestures_before, &membership_files, errors)?;
    }
    Ok(())
}

/// Re-attributes the stored gestures after memberships changed; a gesture the change
/// would leave attributable to no single organization becomes an error of the
/// memberships files.
fn follow_memberships<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    gestures_before: u64,
    files: &[String],
    errors: &mut Errors,
) -> StoreResult<()> {
    if errors.total > 0 || gestures_before == 0 {
        return Ok(());
    }
    match crate::ledger::rebuild_organization_level(store, snapshot) {
        Ok(()) => Ok(()),
        Err(LedgerError::Store(e)) => Err(e),
        Err(other) => {
            errors.push(RowError::file(&files.join(", "), other.to_string()));
            Ok(())
        }
    }
}

fn report(
    progress: &(dyn Fn(Progress) + Sync),
    file: usize,
    table: &Table<Box<dyn Read + Send>>,
    rows: u64,
) {
    progress(Progress {
        bytes_in_file: table.bytes_read(),
        file,
        rows,
    });
}

fn import_kinds<S: Store + ?Sized>(
    store: &mut S,
    table: &mut Table<Box<dyn Read + Send>>,
    index: usize,
    summary: &mut Summary,
    errors: &mut Errors,
    progress: &(dyn Fn(Progress) + Sync),
) -> StoreResult<()> {
    let stored = store.kinds()?;
    let decimal = table.decimal();
    let mut seen: FxHashMap<String, u64> = FxHashMap::default();
    summary.rows += for_each_row(table, index, errors, progress, |row, errors| {
        let Ok(def) = parse_kind(row, decimal).map_err(|list| errors.extend(list)) else {
            return Ok(());
        };
        if let Some(first_line) = seen.insert(def.code.to_string(), row.line()) {
            errors.push(row.error(
                Column::Code,
                format!("kind '{}' appears on line {first_line} too", def.code),
            ));
            return Ok(());
        }
        match stored.iter().find(|k| k.def.code == def.code) {
            Some(existing) if existing.def.dimension != def.dimension => errors.push(row.error(
                Column::Dimension,
                format!(
                    "kind '{}' is stored with dimension {}; a kind's dimension cannot change",
                    def.code, existing.def.dimension
                ),
            )),
            Some(existing) if existing.def == def => {}
            Some(existing) => {
                store.update_kind(existing.id, &def)?;
                summary.kinds_updated += 1;
            }
            None => {
                store.insert_kind(&def, false)?;
                summary.kinds_added += 1;
            }
        }
        Ok(())
    })?;
    Ok(())
}

/// Reads every row of a kinds, parties or memberships file and hands it to `handle`;
/// unreadable rows become errors and reading goes on. Returns the rows read.
fn for_each_row(
    table: &mut Table<Box<dyn Read + Send>>,
    index: usize,
    errors: &mut Errors,
    progress: &(dyn Fn(Progress) + Sync),
    mut handle: impl FnMut(&balans_csv::Row<'_>, &mut Errors) -> StoreResult<()>,
) -> StoreResult<u64> {
    let mut rows = 0;
    while let Some(row) = table.next_row() {
        rows += 1;
        match row {
            Ok(row) => handle(&row, errors)?,
            Err(e) => errors.push(e),
        }
        if rows % 4096 == 0 {
            report(progress, index, table, rows);
        }
    }
    report(progress, index, table, rows);
    Ok(rows)
}

fn parse_kind(row: &balans_csv::Row<'_>, decimal: DecimalMark) -> Result<KindDef, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut text = |column: Column| row.text(column).map_err(|e| errors.push(e)).unwrap_or("");
    let (code, dimension, default) = (
        text(Column::Code),
        text(Column::Dimension),
        text(Column::Default),
    );
    let (label_nl, label_en) = (text(Column::LabelNl), text(Column::LabelEn));
    let code = KindCode::parse(code)
        .map_err(|e| errors.push(row.error(Column::Code, e.to_string())))
        .ok();
    let dimension = dimension
        .parse::<Dimension>()
        .map_err(|e| errors.push(row.error(Column::Dimension, e)))
        .ok();
    let default = if default.is_empty() {
        Some(None)
    } else {
        Amount::parse(default, decimal)
            .map(Some)
            .map_err(|e| errors.push(row.error(Column::Default, e.to_string())))
            .ok()
    };
    for (column, label) in [(Column::LabelNl, label_nl), (Column::LabelEn, label_en)] {
        if label.len() > NAME_MAX_BYTES {
            errors.push(row.error(column, format!("longer than {NAME_MAX_BYTES} bytes")));
        }
    }
    match (code, dimension, default) {
        (Some(code), Some(dimension), Some(default)) if errors.is_empty() => Ok(KindDef {
            label_nl: if label_nl.is_empty() {
                code.to_string()
            } else {
                label_nl.to_string()
            },
            label_en: if label_en.is_empty() {
                code.to_string()
            } else {
                label_en.to_string()
            },
            code,
            dimension,
            default,
        }),
        _ => Err(errors),
    }
}

fn import_parties<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &mut Snapshot,
    table: &mut Table<Box<dyn Read + Send>>,
    index: usize,
    summary: &mut Summary,
    errors: &mut Errors,
    progress: &(dyn Fn(Progress) + Sync),
) -> StoreResult<()> {
    let name = table.name().to_string();
    let mut seen: FxHashMap<String, (u64, PartyFields)> = FxHashMap::default();
    let mut chunk: Vec<(u64, PartyFields)> = Vec::new();
    summary.rows += for_each_row(table, index, errors, progress, |row, errors| {
        let Ok(fields) = parse_party(row).map_err(|list| errors.extend(list)) else {
            return Ok(());
        };
        if let Some((first_line, first)) = seen.get(fields.key.as_str()) {
            if *first != fields {
                let message = format!(
                    "key '{}' appears on line {first_line} too, with other details",
                    fields.key
                );
                errors.push(row.error(Column::Key, message));
            }
            return Ok(());
        }
        seen.insert(
            fields.key.as_str().to_string(),
            (row.line(), fields.clone()),
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
const CHUNK_ROWS: usize = 4_096;

/// Compares a chunk of party rows with what is stored (one read), changes the
/// parties whose details differ and adds the new ones (one write), and empties it.
fn write_parties<S: Store + ?Sized>(
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

/// Field errors found in a row, as errors naming the row's file and line.
fn on_row(row: &balans_csv::Row<'_>, errors: Vec<field::Error>) -> Vec<RowError> {
    errors
        .into_iter()
        .map(|e| row.error_in(e.column, e.message))
        .collect()
}

fn parse_party(row: &balans_csv::Row<'_>) -> Result<PartyFields, Vec<RowError>> {
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

/// Returns whether any membership was added or changed.
fn import_memberships<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &mut Snapshot,
    table: &mut Table<Box<dyn Read + Send>>,
    index: usize,
    summary: &mut Summary,
    errors: &mut Errors,
    progress: &(dyn Fn(Progress) + Sync),
) -> StoreResult<bool> {
    let mut changed = false;
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
        match existing {
            Some(existing) if existing == membership => return Ok(()),
            Some(_) => summary.memberships_updated += 1,
            None => summary.memberships_added += 1,
        }
        chunk.push(membership.clone());
        if chunk.len() == CHUNK_ROWS {
            store.upsert_memberships(&chunk)?;
            chunk.clear();
        }
        snapshot.insert_membership(membership);
        changed = true;
        Ok(())
    })?;
    store.upsert_memberships(&chunk)?;
    Ok(changed)
}

fn parse_membership(
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

/// Gesture rows on their way from the parser to the writer, with their lines.
struct Batch {
    lines: Vec<u64>,
    rows: Vec<Resolved>,
}

impl Batch {
    fn with_capacity(n: usize) -> Batch {
        Batch {
            lines: Vec::with_capacity(n),
            rows: Vec::with_capacity(n),
        }
    }
}

/// A file of gestures, its place among the files given, and whether it is the
/// last of an import that will be kept.
struct GestureFile {
    table: Table<Box<dyn Read + Send>>,
    index: usize,
    finish: bool,
}

fn import_gestures<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    file: GestureFile,
    limits: Limits,
    summary: &mut Summary,
    errors: &mut Errors,
    progress: &(dyn Fn(Progress) + Sync),
) -> StoreResult<()> {
    let GestureFile {
        table,
        index,
        finish,
    } = file;
    let name = table.name().to_string();
    let bulk = store.expect_many_gestures()?;
    let deferred = (bulk && finish).then_some(limits.deferred_batches);
    let (mut to_count, counting, start) = ToCount::new(deferred);
    let (sender, receiver) = sync_channel::<Batch>(BATCHES_IN_FLIGHT);
    let (full_sender, full) = channel::<BalanceMap>();
    let zone = &snapshot.zone;
    std::thread::scope(|scope| {
        let parser = scope.spawn(move || {
            parse_gestures(table, snapshot, sender, limits.batch_rows, index, progress)
        });
        let counter = scope.spawn(move || {
            // Waits for the start, or for the writer to be gone.
            if let Some(start) = start {
                let _ = start.recv();
            }
            count_batches(counting, full_sender, limits.pending_pairs, zone)
        });
        let written = write_gestures(
            store,
            snapshot,
            &name,
            receiver,
            &mut to_count,
            &full,
            summary,
            errors,
        );
        to_count.start();
        drop(to_count);
        // Both end when their channels close, so joining cannot wait forever (the
        // writer has dropped the parser's).
        let (rows, parse_errors) = parser.join().expect("the gesture parser does not panic");
        summary.rows += rows;
        errors.merge(parse_errors);
        // The store's own work on the gestures, while the counter catches up; an
        // import with errors will be undone, so it is spared that.
        let finished = match written {
            Ok(()) if finish && errors.total == 0 => store.many_gestures_written(),
            _ => Ok(()),
        };
        let counted = counter.join().expect("the gesture counter does not panic");
        written?;
        finished?;
        let mut sums = counted?;
        flush_full(store, &full)?;
        flush(store, &mut sums)
    })
}

/// Where the writer hands what it stored to the counter. When the store has work
/// of its own once all the gestures are in (building a bulk load's indexes), the
/// counter waits for that moment and sums on the core the store's work leaves
/// idle, instead of taking a share of both cores while they copy. Meanwhile up to
/// `Limits::deferred_batches` batches wait for it; a full queue starts it early,
/// so the memory this takes stays bounded however long the file.
struct ToCount {
    batches: SyncSender<Vec<Counted>>,
    /// Starts a waiting counter; `None` once it runs.
    start: Option<Sender<()>>,
}

impl ToCount {
    /// The writer's end, the counter's end and, when the counter is `deferred`
    /// (with room for that many batches), what it waits on before it starts.
    fn new(deferred: Option<usize>) -> (ToCount, Receiver<Vec<Counted>>, Option<Receiver<()>>) {
        let (batches, counting) = sync_channel(deferred.unwrap_or(BATCHES_IN_FLIGHT));
        let (start, waiting) = deferred.map(|_| channel()).unzip();
        (ToCount { batches, start }, counting, waiting)
    }

    /// Queues a batch; `false` when the counter has stopped.
    fn send(&mut self, batch: Vec<Counted>) -> bool {
        let batch = match self.start {
            Some(_) => match self.batches.try_send(batch) {
                Ok(()) => return true,
                Err(TrySendError::Disconnected(_)) => return false,
                Err(TrySendError::Full(batch)) => {
                    self.start();
                    batch
                }
            },
            None => batch,
        };
        self.batches.send(batch).is_ok()
    }

    fn start(&mut self) {
        if let Some(start) = self.start.take() {
            let _ = start.send(());
        }
    }
}

/// Writes the sums the counter has handed back so far.
fn flush_full<S: Store + ?Sized>(store: &mut S, full: &Receiver<BalanceMap>) -> StoreResult<()> {
    full.try_iter()
        .try_for_each(|mut sums| flush(store, &mut sums))
}

/// Sums what the stored gestures contribute, off the writer's thread; a sum grown
/// to `pending_pairs` pairs goes back to the writer to be added to the store.
fn count_batches(
    batches: Receiver<Vec<Counted>>,
    full: Sender<BalanceMap>,
    pending_pairs: usize,
    zone: &balans_core::Zone,
) -> StoreResult<BalanceMap> {
    let mut sums = BalanceMap::new();
    for batch in batches {
        for counted in &batch {
            count_gesture(&mut sums, counted, zone)?;
        }
        if sums.len() >= pending_pairs && full.send(std::mem::take(&mut sums)).is_err() {
            break;
        }
    }
    Ok(sums)
}

fn parse_gestures(
    mut table: Table<Box<dyn Read + Send>>,
    snapshot: &Snapshot,
    sender: SyncSender<Batch>,
    batch_rows: usize,
    index: usize,
    progress: &(dyn Fn(Progress) + Sync),
) -> (u64, Errors) {
    let decimal = table.decimal();
    let name = table.name().to_string();
    let mut errors = Errors::default();
    let mut occurrences: FxHashMap<u64, u32> = FxHashMap::default();
    let batch_rows = batch_rows.max(1);
    let mut batch = Batch::with_capacity(batch_rows);
    let mut rows = 0u64;
    while let Some(row) = table.next_row() {
        rows += 1;
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let line = row.line();
        let mut text = GestureText::default();
        let mut unreadable = false;
        for (slot, column) in [
            (&mut text.id, Column::Id),
            (&mut text.at, Column::At),
            (&mut text.giver, Column::Giver),
            (&mut text.receiver, Column::Receiver),
            (&mut text.kind, Column::GestureKind),
            (&mut text.amount, Column::Amount),
            (&mut text.note, Column::Note),
            (&mut text.item, Column::Item),
            (&mut text.giver_org, Column::GiverOrg),
            (&mut text.receiver_org, Column::ReceiverOrg),
            (&mut text.reverses, Column::Reverses),
        ] {
            match row.text(column) {
                Ok(value) => *slot = value,
                Err(e) => {
                    errors.push(e);
                    unreadable = true;
                }
            }
        }
        if unreadable {
            continue;
        }
        // A row without an id gets one derived from its content and how many equal
        // rows came before it in the file, so that the same file twice adds nothing.
        let derive = text.id.is_empty().then(|| {
            let content = ContentHash::of(&[
                text.at,
                text.giver,
                text.receiver,
                &text.kind.to_ascii_lowercase(),
                text.amount,
                text.note,
                text.item,
                text.giver_org,
                text.receiver_org,
                text.reverses,
            ]);
            let seen = occurrences.entry(content.short()).or_insert(0);
            *seen += 1;
            (content, *seen - 1)
        });
        match snapshot.resolve_gesture(&text, decimal) {
            Ok(mut resolved) => {
                if let Some((content, occurrence)) = derive {
                    resolved.gesture.id =
                        GestureId::derive(resolved.gesture.at, &content, occurrence);
                }
                batch.lines.push(line);
                batch.rows.push(resolved);
            }
            Err(list) => list
                .into_iter()
                .for_each(|e| errors.push(row_error(&name, line, e))),
        }
        if batch.rows.len() == batch_rows {
            let full = std::mem::replace(&mut batch, Batch::with_capacity(batch_rows));
            if sender.send(full).is_err() {
                break;
            }
            progress(Progress {
                bytes_in_file: table.bytes_read(),
                file: index,
                rows,
            });
        }
    }
    if !batch.rows.is_empty() {
        let _ = sender.send(batch);
    }
    progress(Progress {
        bytes_in_file: table.bytes_read(),
        file: index,
        rows,
    });
    (rows, errors)
}

/// Stores the parsed batches in order and hands what was stored to the counter:
/// streamed, as long as the store takes them so, and otherwise one by one.
/// Stops early, without an error of its own, when the counter has stopped.
#[allow(clippy::too_many_arguments)]
fn write_gestures<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    name: &str,
    receiver: Receiver<Batch>,
    to_count: &mut ToCount,
    full: &Receiver<BalanceMap>,
    summary: &mut Summary,
    errors: &mut Errors,
) -> StoreResult<()> {
    let mut incoming = Incoming {
        receiver,
        full,
        to_count,
        summary,
        current: None,
        sums: Vec::new(),
        finished: false,
        stopped: false,
    };
    while !incoming.finished && !incoming.stopped {
        if store.stream_gestures(&mut incoming)? == Streamed::Declined {
            let batch = incoming
                .current
                .take()
                .expect("a declined batch was handed over");
            incoming.write(store, snapshot, name, batch, errors)?;
        }
        if incoming.stopped {
            break;
        }
        for mut sums in std::mem::take(&mut incoming.sums) {
            flush(store, &mut sums)?;
        }
        flush_full(store, full)?;
    }
    Ok(())
}

/// The parsed batches, as the writer hands them to the store.
struct Incoming<'a> {
    receiver: Receiver<Batch>,
    full: &'a Receiver<BalanceMap>,
    to_count: &'a mut ToCount,
    summary: &'a mut Summary,
    /// The batch last handed over, until it is stored or declined.
    current: Option<Batch>,
    /// Sums the counter handed back during a stream, which end it: the store
    /// writes them before the next.
    sums: Vec<BalanceMap>,
    /// The parser has sent its last batch.
    finished: bool,
    /// The counter has stopped.
    stopped: bool,
}

impl Incoming<'_> {
    /// Stores a batch the store declined to stream, gesture by gesture as
    /// `record_all` does, and counts what it stored.
    fn write<S: Store + ?Sized>(
        &mut self,
        store: &mut S,
        snapshot: &Snapshot,
        name: &str,
        Batch { lines, rows }: Batch,
        errors: &mut Errors,
    ) -> StoreResult<()> {
        let mut counted = Vec::with_capacity(rows.len());
        for (line, outcome) in
            lines
                .into_iter()
                .zip(record_all(store, snapshot, rows, &mut counted)?)
        {
            match outcome {
                Recorded::Added => self.summary.gestures_added += 1,
                Recorded::AlreadyPresent => self.summary.gestures_already_present += 1,
                Recorded::Refused(e) => errors.push(row_error(name, line, e)),
            }
        }
        self.stopped = !self.to_count.send(counted);
        Ok(())
    }
}

impl GestureBatches for Incoming<'_> {
    fn next_batch(&mut self) -> Option<&[Resolved]> {
        if self.finished || self.stopped {
            return None;
        }
        if let Ok(sums) = self.full.try_recv() {
            self.sums.push(sums);
            return None;
        }
        self.current = self.receiver.recv().ok();
        self.finished = self.current.is_none();
        self.current.as_ref().map(|batch| batch.rows.as_slice())
    }

    fn stored(&mut self) {
        let Some(batch) = self.current.take() else {
            return;
        };
        let counted: Vec<Counted> = batch
            .rows
            .iter()
            .map(|r| {
                let units = r.units.expect("a store streams no reversal");
                Counted::of(&r.gesture, units)
            })
            .collect();
        self.summary.gestures_added += batch.rows.len() as u64;
        self.stopped = !self.to_count.send(counted);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use balans_core::{Level, Moment, MonthKey, PairKey, PartyId, Totals, Zone};

    use super::*;

    /// A counter that waits for the store's own work starts early when its queue
    /// is full, so the writer never waits on it forever, and counts everything.
    /// (Threads of their own: should the writer hang, the test fails, not hangs.)
    #[test]
    fn a_waiting_counter_starts_when_its_queue_is_full() {
        let limits = Limits::default();
        let n = limits.deferred_batches as i64 + 10;
        let gestures: Vec<Counted> = (0..n)
            .map(|i| Counted {
                giver: PartyId(1),
                receiver: PartyId(2),
                units: (PartyId(1), PartyId(3)),
                dimension: Dimension::Credit,
                amount: Amount::from_minor(i + 1).unwrap(),
                at: Moment::from_millis(i * 86_400_000),
            })
            .collect();
        let (mut to_count, counting, start) = ToCount::new(Some(limits.deferred_batches));
        let (full_sender, _full) = channel::<BalanceMap>();
        let counter = std::thread::spawn(move || {
            let _ = start.unwrap().recv();
            count_batches(
                counting,
                full_sender,
                limits.pending_pairs,
                &Zone::named("Europe/Amsterdam").unwrap(),
            )
        });
        let (done, finished) = channel();
        std::thread::spawn(move || {
            let mut waited_while_queue_had_room = true;
            for (i, counted) in gestures.iter().enumerate() {
                assert!(to_count.send(vec![*counted]));
                if i + 1 < limits.deferred_batches {
                    waited_while_queue_had_room &= to_count.start.is_some();
                }
            }
            let started_when_full = to_count.start.is_none();
            drop(to_count);
            done.send((waited_while_queue_had_room, started_when_full))
                .unwrap();
        });
        let outcome = finished
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the writer got all its batches to the counter");
        assert_eq!(outcome, (true, true));
        let sums = counter.join().unwrap().unwrap();
        let key = PairKey::directed(Level::Person, PartyId(1), PartyId(2), Dimension::Credit).0;
        assert_eq!(sums.get(&key).map(|t| t.count), Some(n));
        assert_eq!(sums.get(&key).map(|t| t.low_to_high), Some(n * (n + 1) / 2));
    }

    /// A long import's sums come back to the writer in parts no smaller than the
    /// bound, and the parts together are exactly what counting everything at once
    /// gives.
    #[test]
    fn the_counter_hands_back_full_sums_and_loses_nothing() {
        let zone = Zone::named("Europe/Amsterdam").unwrap();
        let limits = Limits::default();
        let gestures: Vec<Counted> = (0..limits.pending_pairs as i64 * 5 / 4)
            .map(|n| Counted {
                giver: PartyId(2 * n),
                receiver: PartyId(2 * n + 1),
                units: (PartyId(n % 7), PartyId(7 + n % 5)),
                dimension: if n % 3 == 0 {
                    Dimension::Money
                } else {
                    Dimension::Credit
                },
                amount: Amount::from_minor(n % 1000 + 1).unwrap(),
                at: Moment::from_millis(n * 3_600_000),
            })
            .collect();
        let mut expected = BalanceMap::new();
        for counted in &gestures {
            count_gesture(&mut expected, counted, &zone).unwrap();
        }

        let (to_count, counting) = sync_channel::<Vec<Counted>>(BATCHES_IN_FLIGHT);
        let (full_sender, full) = channel::<BalanceMap>();
        let last = std::thread::scope(|scope| {
            let counter =
                scope.spawn(|| count_batches(counting, full_sender, limits.pending_pairs, &zone));
            for batch in gestures.chunks(limits.batch_rows) {
                to_count.send(batch.to_vec()).unwrap();
            }
            drop(to_count);
            counter.join().unwrap().unwrap()
        });
        let parts: Vec<BalanceMap> = full.try_iter().chain([last]).collect();
        assert!(parts.len() >= 2, "the sums went back to the writer");
        for part in &parts[..parts.len() - 1] {
            assert!(part.len() >= limits.pending_pairs);
        }

        let mut pairs: BTreeMap<PairKey, Totals> = BTreeMap::new();
        let mut months: BTreeMap<MonthKey, Totals> = BTreeMap::new();
        for mut part in parts {
            for (key, totals) in part.drain() {
                pairs
                    .entry(key)
                    .and_modify(|t| t.merge(&totals).unwrap())
                    .or_insert(totals);
            }
            for (key, totals) in part.drain_months() {
                months
                    .entry(key)
                    .and_modify(|t| t.merge(&totals).unwrap())
                    .or_insert(totals);
            }
        }
        assert_eq!(pairs.into_iter().collect::<Vec<_>>(), expected.drain());
        assert_eq!(
            months.into_iter().collect::<Vec<_>>(),
            expected.drain_months()
        );
    }
}
