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
//! indexes rather than beside the copy. Whenever the pairs or months summed reach
//! their limit, the sums go to a sorted run in a temporary file (`sums.rs`); at
//! the end the runs are merged and each pair and month is added to the store
//! once, in key order. [`Limits`] holds the batch size, the queue and that limit.
//!
//! `run.rs` holds the import as a whole; each kind of file has a file of its own
//! (`catalog.rs`, `directory.rs`, `gestures.rs`), and `common.rs` what they share;
//! `occurrences.rs` and `sums.rs` keep what grows with the file on disk.

mod catalog;
mod common;
mod directory;
mod gestures;
mod handovers;
mod occurrences;
mod promises;
mod run;

pub use common::{Limits, Options, Progress, Source, Summary};
pub(crate) use promises::write_dues;
pub use run::import;
