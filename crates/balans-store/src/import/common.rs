//! What every part of an import shares: the files, the options and limits, the
//! progress told and the summary returned, and the errors collected.

use std::io::Read;

use balans_core::DecimalMark;
use balans_csv::{RowError, Table};

use crate::store::StoreResult;
use crate::{ERRORS_SHOWN_MAX, Rejection, field};

/// One file to import.
pub struct Source {
    pub name: String,
    pub reader: Box<dyn Read + Send>,
    /// The bytes the reader holds, where known: a large file of gestures
    /// tells the store early how many it brings (see
    /// `BulkLoad::gestures_expected`).
    pub bytes: Option<u64>,
}

impl Source {
    pub fn new(name: impl Into<String>, reader: impl Read + Send + 'static) -> Source {
        Source {
            name: name.into(),
            reader: Box::new(reader),
            bytes: None,
        }
    }

    /// A source whose reader holds `bytes` bytes (a file, an upload).
    pub fn sized(
        name: impl Into<String>,
        reader: impl Read + Send + 'static,
        bytes: u64,
    ) -> Source {
        Source {
            bytes: Some(bytes),
            ..Source::new(name, reader)
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
    /// Whether a file of user links may be imported: a link decides who accepts
    /// a handover, so only the command line and admins import them.
    pub user_links: bool,
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
    /// Bytes of text (ids, notes, items) in a batch at which it goes before it
    /// holds `batch_rows`: four batches are in memory at once (parsed, waiting,
    /// written). A million gestures with notes of some 2 KB each, in batches of
    /// rows alone, peaked at 286 MiB into SQLite and 269 MiB into PostgreSQL
    /// (291 and 293 MiB imported again); with this at 4 MiB, at 128 and
    /// 104 MiB (91 and 68 MiB). Zero counts as one.
    pub batch_bytes: usize,
    /// How many stored batches may wait for a counter that starts late
    /// (`ToCount`): by default half a million gestures, some 28 MiB. With
    /// twice that, a shop with 200,000 customers importing 10 M gestures into
    /// PostgreSQL peaked at 232-244 MiB, with this at 209-210 MiB, and took no
    /// longer; a million gestures into SQLite took as long either way.
    pub deferred_batches: usize,
    /// Pairs (or months, or parties' sums over their counterparts) summed in
    /// memory before their sums go to a sorted run in a temporary file (see
    /// `sums`).
    pub pending_pairs: usize,
    /// Distinct contents of rows without an id whose counts a file keeps in
    /// memory before they go to a temporary file (see `import::occurrences`).
    /// Zero counts as one.
    pub contents_in_memory: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            batch_rows: 16_384,
            batch_bytes: 4 << 20,
            deferred_batches: 32,
            pending_pairs: 200_000,
            contents_in_memory: super::occurrences::RECENT,
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
    pub handovers_added: u64,
    /// Handovers stored already with the same content.
    pub handovers_already_present: u64,
    pub links_added: u64,
    /// Alerts of credits gone dormant restored, and those stored already.
    pub alerts_added: u64,
    pub alerts_already_present: u64,
    /// Users linked to the same person already.
    pub links_already_present: u64,
    /// Promises restored, and those stored already.
    pub promises_added: u64,
    pub promises_already_present: u64,
    pub dry_run: bool,
    pub seconds: f64,
}

/// Row errors found so far: the first few kept, all counted.
#[derive(Default, Debug)]
pub(crate) struct Errors {
    kept: Vec<RowError>,
    pub(crate) total: usize,
}

impl Errors {
    pub(crate) fn push(&mut self, error: RowError) {
        self.total += 1;
        // Keep more than shown: parser and writer find errors out of line order.
        if self.kept.len() < ERRORS_SHOWN_MAX * 2 {
            self.kept.push(error);
        }
    }

    pub(crate) fn extend(&mut self, errors: Vec<RowError>) {
        errors.into_iter().for_each(|e| self.push(e));
    }

    pub(crate) fn merge(&mut self, other: Errors) {
        self.total += other.total;
        self.kept.extend(other.kept);
    }

    pub(crate) fn into_rejection(mut self, order: &[String]) -> Rejection {
        let rank = |file: &str| order.iter().position(|f| f == file).unwrap_or(usize::MAX);
        self.kept.sort_by_key(|e| (rank(&e.file), e.line));
        self.kept.truncate(ERRORS_SHOWN_MAX);
        Rejection {
            errors: self.kept,
            total: self.total,
        }
    }
}

pub(crate) fn row_error(table: &str, line: u64, error: field::Error) -> RowError {
    RowError {
        file: table.to_string(),
        line,
        column: Some(error.column),
        message: error.message,
        said: error.said,
    }
}

pub(crate) fn report(
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

/// Reads every row of a kinds, parties or memberships file and hands it to `handle`;
/// unreadable rows become errors and reading goes on. Returns the rows read.
pub(crate) fn for_each_row(
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

/// Field errors found in a row, as errors naming the row's file and line.
pub(crate) fn on_row(row: &balans_csv::Row<'_>, errors: Vec<field::Error>) -> Vec<RowError> {
    errors
        .into_iter()
        .map(|e| RowError {
            said: e.said,
            ..row.error_in(e.column, e.message)
        })
        .collect()
}
