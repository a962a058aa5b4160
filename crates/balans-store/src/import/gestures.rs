//! Gestures files: parsed on one thread, written on the caller's, and summed on
//! a third, joined by bounded channels.

use std::io::Read;
use std::sync::mpsc::{Receiver, Sender, SyncSender, TrySendError, channel, sync_channel};

use balans_core::said::{Code, Said};

use balans_core::{ContentHash, GestureId, PartySumKey, Totals};
use balans_csv::{Column, RowError, Table};

use super::common::{Errors, Limits, Progress, Summary, row_error};
use super::occurrences::Occurrences;
use crate::record::{Counted, Recorded, count_gesture, flush, party_sums_of, record_all};
use crate::snapshot::{GestureText, Snapshot, Written};
use crate::store::{GestureBatches, Resolved, Store, StoreResult, Streamed};
use crate::sums::{InOrder, KeyedSums, Sums};

/// Batches in flight between parser and writer.
pub(crate) const BATCHES_IN_FLIGHT: usize = 2;

/// Gesture rows on their way from the parser to the writer, with their lines.
pub(crate) struct Batch {
    lines: Vec<u64>,
    rows: Vec<Resolved>,
    /// The bytes of text its rows hold (see `text_bytes`).
    bytes: usize,
    /// The bytes of the file read when it was cut.
    read_to: u64,
}

impl Batch {
    fn with_capacity(n: usize) -> Batch {
        Batch {
            lines: Vec::with_capacity(n),
            rows: Vec::with_capacity(n),
            bytes: 0,
            read_to: 0,
        }
    }

    fn push(&mut self, line: u64, row: Resolved) {
        self.bytes += text_bytes(&row.gesture);
        self.lines.push(line);
        self.rows.push(row);
    }
}

/// The bytes of text a gesture holds beside its fixed fields: what makes one
/// row take a hundred times the memory of another.
fn text_bytes(g: &balans_core::Gesture) -> usize {
    g.id.as_str().len()
        + g.note.as_ref().map_or(0, String::len)
        + g.item.as_ref().map_or(0, String::len)
        + g.reverses.as_ref().map_or(0, |r| r.as_str().len())
}

/// A file of gestures, its place among the files given, and whether it is the
/// last of an import that will be kept.
pub(crate) struct GestureFile {
    pub(crate) table: Table<Box<dyn Read + Send>>,
    pub(crate) index: usize,
    pub(crate) finish: bool,
    /// The file's bytes, where known.
    pub(crate) bytes: Option<u64>,
}

pub(crate) fn import_gestures<S: Store + ?Sized>(
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
        bytes,
    } = file;
    let name = table.name().to_string();
    let bulk = store.expect_many_gestures()?;
    let deferred = (bulk && finish).then_some(limits.deferred_batches);
    let (mut to_count, counting, start) = ToCount::new(deferred);
    let (sender, receiver) = sync_channel::<Batch>(BATCHES_IN_FLIGHT);
    let zone = &snapshot.zone;
    std::thread::scope(|scope| {
        let parser =
            scope.spawn(move || parse_gestures(table, snapshot, sender, limits, index, progress));
        let counter = scope.spawn(move || {
            // Waits for the start, or for the writer to be gone.
            if let Some(start) = start {
                let _ = start.recv();
            }
            count_batches(counting, limits.pending_pairs, zone)
        });
        let written = write_gestures(
            store,
            snapshot,
            &name,
            bytes,
            receiver,
            &mut to_count,
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
        write_sums(store, counted?, limits.pending_pairs)
    })
}

/// Sums written to the store in one part at a time.
const SUMS_WRITTEN_AT_ONCE: usize = 65_536;

/// Writes what the gestures contribute: each pair and month once, in key order.
/// Each party's share is summed over all pairs first (in memory up to
/// `pending` parties, as the pairs are), and written once, in key order.
pub(crate) fn write_sums<S: Store + ?Sized>(
    store: &mut S,
    mut sums: Sums,
    pending: usize,
) -> StoreResult<()> {
    if !sums.spilled() {
        return flush(store, &mut sums.memory);
    }
    let (pairs, months) = sums.merged()?;
    let mut parties: KeyedSums<PartySumKey> = KeyedSums::new(pending);
    write_in_parts(Box::new(pairs), |part| {
        store.add_to_balances(part)?;
        for (key, totals) in party_sums_of(part)? {
            parties.add(key, totals)?;
        }
        Ok(())
    })?;
    write_in_parts(parties.in_order()?, |part| store.add_to_party_totals(part))?;
    write_in_parts(Box::new(months), |part| store.add_to_months(part))
}

/// Hands `sums` to `write` [`SUMS_WRITTEN_AT_ONCE`] at a time.
fn write_in_parts<K, W>(sums: InOrder<K>, mut write: W) -> StoreResult<()>
where
    W: FnMut(&[(K, Totals)]) -> StoreResult<()>,
{
    let mut part = Vec::with_capacity(SUMS_WRITTEN_AT_ONCE);
    for sum in sums {
        part.push(sum?);
        if part.len() == SUMS_WRITTEN_AT_ONCE {
            write(&part)?;
            part.clear();
        }
    }
    if part.is_empty() {
        return Ok(());
    }
    write(&part)
}

/// Where the writer hands what it stored to the counter. When the store has work
/// of its own once all the gestures are in (building a bulk load's indexes), the
/// counter waits for that moment and sums on the core the store's work leaves
/// idle, instead of taking a share of both cores while they copy. Meanwhile up to
/// `Limits::deferred_batches` batches wait for it; a full queue starts it early,
/// so the memory this takes stays bounded however long the file.
pub(crate) struct ToCount {
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

/// Sums what the stored gestures contribute, off the writer's thread; sums grown
/// to `pending_pairs` pairs or months go to a run of their own (see `sums`).
pub(crate) fn count_batches(
    batches: Receiver<Vec<Counted>>,
    pending_pairs: usize,
    zone: &balans_core::Zone,
) -> StoreResult<Sums> {
    let mut sums = Sums::default();
    for batch in batches {
        for counted in &batch {
            count_gesture(&mut sums.memory, counted, zone)?;
        }
        if sums.memory.len().max(sums.memory.months_len()) >= pending_pairs {
            sums.spill()?;
        }
    }
    Ok(sums)
}

pub(crate) fn parse_gestures(
    mut table: Table<Box<dyn Read + Send>>,
    snapshot: &Snapshot,
    sender: SyncSender<Batch>,
    limits: Limits,
    index: usize,
    progress: &(dyn Fn(Progress) + Sync),
) -> (u64, Errors) {
    let decimal = table.decimal();
    let name = table.name().to_string();
    let mut errors = Errors::default();
    let mut occurrences = Occurrences::with_limit(limits.contents_in_memory);
    let batch_rows = limits.batch_rows.max(1);
    let batch_bytes = limits.batch_bytes.max(1);
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
            occurrences
                .next(content.short())
                .map(|occurrence| (content, occurrence))
        });
        let derive = match derive.transpose() {
            Ok(derive) => derive,
            Err(e) => {
                errors.push(RowError {
                    said: Some(Said::new(Code::TemporaryFile, &[("error", &e.to_string())])),
                    ..RowError::file(
                        &name,
                        format!("cannot count the rows without an id in a temporary file: {e}"),
                    )
                });
                break;
            }
        };
        match snapshot.resolve_gesture(&text, Written::File(decimal)) {
            Ok(mut resolved) => {
                if let Some((content, occurrence)) = derive {
                    resolved.gesture.id =
                        GestureId::derive(resolved.gesture.at, &content, occurrence);
                }
                batch.push(line, resolved);
            }
            Err(list) => list
                .into_iter()
                .for_each(|e| errors.push(row_error(&name, line, e))),
        }
        if batch.rows.len() == batch_rows || batch.bytes >= batch_bytes {
            batch.read_to = table.bytes_read();
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
        batch.read_to = table.bytes_read();
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
pub(crate) fn write_gestures<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    name: &str,
    bytes: Option<u64>,
    receiver: Receiver<Batch>,
    to_count: &mut ToCount,
    summary: &mut Summary,
    errors: &mut Errors,
) -> StoreResult<()> {
    let mut incoming = Incoming {
        receiver,
        to_count,
        summary,
        current: None,
        finished: false,
        stopped: false,
        expected: bytes,
    };
    while !incoming.finished && !incoming.stopped {
        if store.stream_gestures(&mut incoming)? == Streamed::Declined {
            let batch = incoming
                .current
                .take()
                .expect("a declined batch was handed over");
            incoming.write(store, snapshot, name, batch, errors)?;
        }
    }
    Ok(())
}

/// The parsed batches, as the writer hands them to the store.
pub(crate) struct Incoming<'a> {
    receiver: Receiver<Batch>,
    to_count: &'a mut ToCount,
    summary: &'a mut Summary,
    /// The batch last handed over, until it is stored or declined.
    current: Option<Batch>,
    /// The parser has sent its last batch.
    finished: bool,
    /// The counter has stopped.
    stopped: bool,
    /// The file's bytes, until the store is told how many gestures the file
    /// holds, from the rows and bytes of its first batch written one by one
    /// (see `BulkLoad::gestures_expected`).
    expected: Option<u64>,
}

impl Incoming<'_> {
    /// Stores a batch the store declined to stream, gesture by gesture as
    /// `record_all` does, and counts what it stored.
    fn write<S: Store + ?Sized>(
        &mut self,
        store: &mut S,
        snapshot: &Snapshot,
        name: &str,
        Batch {
            lines,
            rows,
            read_to,
            ..
        }: Batch,
        errors: &mut Errors,
    ) -> StoreResult<()> {
        if let Some(bytes) = self.expected.take()
            && read_to > 0
        {
            let rows = rows.len() as u64;
            store.gestures_expected(bytes.saturating_mul(rows) / read_to)?;
        }
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
    use balans_core::{Amount, BalanceMap, Dimension, Level, Moment, PairKey, PartyId, Zone};

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
        let counter = std::thread::spawn(move || {
            let _ = start.unwrap().recv();
            count_batches(
                counting,
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
        assert!(!sums.spilled());
        let sums = sums.memory;
        let key = PairKey::directed(Level::Person, PartyId(1), PartyId(2), Dimension::Credit).0;
        assert_eq!(sums.get(&key).map(|t| t.count), Some(n));
        assert_eq!(sums.get(&key).map(|t| t.low_to_high), Some(n * (n + 1) / 2));
    }

    /// A long import's sums go to runs whenever the pairs reach their bound, and
    /// merged they are exactly what counting everything at once gives.
    #[test]
    fn the_counter_spills_full_sums_and_loses_nothing() {
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
        let sums = std::thread::scope(|scope| {
            let counter = scope.spawn(|| count_batches(counting, limits.pending_pairs, &zone));
            for batch in gestures.chunks(limits.batch_rows) {
                to_count.send(batch.to_vec()).unwrap();
            }
            drop(to_count);
            counter.join().unwrap().unwrap()
        });
        assert!(sums.spilled(), "the sums went to runs");
        assert!(sums.memory.len() < limits.pending_pairs);
        let (pairs, months) = sums.merged().unwrap();
        let pairs: Vec<_> = pairs.collect::<StoreResult<_>>().unwrap();
        let months: Vec<_> = months.collect::<StoreResult<_>>().unwrap();
        assert_eq!(pairs, expected.drain());
        assert_eq!(months, expected.drain_months());
    }
}
