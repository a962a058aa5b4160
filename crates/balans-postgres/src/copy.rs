//! Rows in PostgreSQL's binary `COPY` format, written a megabyte at a time:
//! gestures (a batch per `COPY`, or a bulk load's batches in one), and the sums
//! of a bulk load into empty tables.
//!
//! The format is a fixed header, then per row the number of fields and each field
//! as a length (-1 for NULL) and its bytes (`int8` big-endian, `text` as UTF-8),
//! then a trailer. The `postgres` crate's row writer runs its event loop for every
//! row; a million gestures spent half a second of the writer's time there.

use std::io::Write;

use balans_core::{Gesture, GestureId, MonthKey, PairKey, PartySumKey, Totals};
use postgres::error::SqlState;
use postgres::{Client, Error};

const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// How much is encoded before it is handed to the connection.
const CHUNK: usize = 1 << 20;

/// Why a copy failed: the server's answer, or a value it cannot carry.
#[derive(Debug)]
pub(crate) enum CopyFailed {
    Server(Error),
    Io(std::io::Error),
    TooLong,
    /// A party's or a kind's number does not fit in 32 bits.
    OutOfRange,
}

impl CopyFailed {
    /// A gesture's id is stored already, or twice in the batch.
    pub(crate) fn is_unique_violation(&self) -> bool {
        matches!(self, CopyFailed::Server(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION))
    }

    pub(crate) fn into_store(self, context: &str) -> balans_store::StoreError {
        match self {
            CopyFailed::Server(e) => crate::connection::pg_error(context)(e),
            CopyFailed::Io(e) => balans_store::StoreError::backend(context, e),
            CopyFailed::TooLong => {
                balans_store::StoreError::backend(context, "a text is longer than 2 GiB")
            }
            CopyFailed::OutOfRange => balans_store::StoreError::backend(
                context,
                "a party's or a kind's number is beyond 2147483647",
            ),
        }
    }
}

impl From<Error> for CopyFailed {
    fn from(e: Error) -> CopyFailed {
        CopyFailed::Server(e)
    }
}

impl From<std::io::Error> for CopyFailed {
    /// The connection's writer wraps the server's errors in I/O errors.
    fn from(e: std::io::Error) -> CopyFailed {
        if e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            let inner = e.into_inner().expect("checked above");
            return CopyFailed::Server(*inner.downcast::<Error>().expect("checked above"));
        }
        CopyFailed::Io(e)
    }
}

const GESTURES_COPY: &str = "COPY gestures (seq, at_ms, amount_minor, giver, receiver, kind, id, details) FROM STDIN BINARY";

/// Copies `gestures` in, numbered `first`, `first + 1`, … in order.
pub(crate) fn copy_gestures(
    client: &mut Client,
    buffer: &mut Vec<u8>,
    first: i64,
    gestures: &[&Gesture],
) -> Result<(), CopyFailed> {
    copy_in(
        client,
        buffer,
        GESTURES_COPY,
        (first..).zip(gestures),
        |rows, (seq, g)| rows.gesture(seq, g),
    )
}

/// One `COPY` of gestures kept open across batches, numbered on from the first.
pub(crate) struct GestureStream<'c> {
    copy: CopyStream<'c>,
    next: i64,
}

impl<'c> GestureStream<'c> {
    pub(crate) fn open(
        client: &'c mut Client,
        buffer: &'c mut Vec<u8>,
        first: i64,
    ) -> Result<GestureStream<'c>, CopyFailed> {
        Ok(GestureStream {
            copy: CopyStream::open(client, buffer, GESTURES_COPY)?,
            next: first,
        })
    }

    /// Writes a batch and hands all of it to the server, which copies it while
    /// the next batch is awaited.
    pub(crate) fn write<'g>(
        &mut self,
        gestures: impl Iterator<Item = &'g Gesture>,
    ) -> Result<(), CopyFailed> {
        let next = &mut self.next;
        self.copy.rows(gestures, |rows, g| {
            *next += 1;
            rows.gesture(*next - 1, g)
        })?;
        self.copy.hand_over()
    }

    /// The number the next gesture written gets.
    pub(crate) fn next(&self) -> i64 {
        self.next
    }

    /// Ends the copy; the number of the last gesture written.
    pub(crate) fn finish(self) -> Result<i64, CopyFailed> {
        self.copy.finish()?;
        Ok(self.next - 1)
    }
}

/// Copies sums into `table`, shaped as the balances table (which holds none of
/// their pairs, if it is that one).
pub(crate) fn copy_balances(
    client: &mut Client,
    buffer: &mut Vec<u8>,
    table: &str,
    sums: &[(PairKey, Totals)],
) -> Result<(), CopyFailed> {
    copy_in(
        client,
        buffer,
        &format!(
            "COPY {table} (level, low, high, dimension, low_to_high, high_to_low, count, first_ms, last_ms) FROM STDIN BINARY"
        ),
        sums,
        |rows, (key, totals)| {
            rows.fields(9);
            rows.int8(Some(key.level.code()));
            rows.int8(Some(key.low.0));
            rows.int8(Some(key.high.0));
            rows.int8(Some(key.dimension.code()));
            rows.totals(totals);
            Ok(())
        },
    )
}

/// Copies a bulk load's hashes of ids, each with the `seq` of its row, into
/// `table`, where they are set aside.
pub(crate) fn copy_id_hashes(
    client: &mut Client,
    buffer: &mut Vec<u8>,
    table: &str,
    hashes: &[(i64, i64)],
) -> Result<(), CopyFailed> {
    copy_in(
        client,
        buffer,
        &format!("COPY {table} (hash, seq) FROM STDIN BINARY"),
        hashes,
        |rows, (hash, seq)| {
            rows.fields(2);
            rows.int8(Some(*hash));
            rows.int8(Some(*seq));
            Ok(())
        },
    )
}

/// Copies monthly sums into `table`, shaped as the months table.
pub(crate) fn copy_months(
    client: &mut Client,
    buffer: &mut Vec<u8>,
    table: &str,
    sums: &[(MonthKey, Totals)],
) -> Result<(), CopyFailed> {
    copy_in(
        client,
        buffer,
        &format!(
            "COPY {table} (organization, month, given, received, count, first_ms, last_ms) FROM STDIN BINARY"
        ),
        sums,
        |rows, ((organization, month), totals)| {
            rows.fields(7);
            rows.int8(Some(organization.0));
            rows.int8(Some(i64::from(*month)));
            rows.totals(totals);
            Ok(())
        },
    )
}

pub(crate) fn copy_party_totals(
    client: &mut Client,
    buffer: &mut Vec<u8>,
    table: &str,
    sums: &[(PartySumKey, Totals)],
) -> Result<(), CopyFailed> {
    copy_in(
        client,
        buffer,
        &format!(
            "COPY {table} (level, party, dimension, given, received, count, first_ms, last_ms) FROM STDIN BINARY"
        ),
        sums,
        |rows, (key, totals)| {
            rows.fields(8);
            rows.int8(Some(key.level.code()));
            rows.int8(Some(key.party.0));
            rows.int8(Some(key.dimension.code()));
            rows.totals(totals);
            Ok(())
        },
    )
}

/// Runs `statement` (a `COPY … FROM STDIN BINARY`) with a row per item, each
/// written by `row`.
fn copy_in<T>(
    client: &mut Client,
    buffer: &mut Vec<u8>,
    statement: &str,
    items: impl IntoIterator<Item = T>,
    row: impl FnMut(&mut Rows, T) -> Result<(), CopyFailed>,
) -> Result<(), CopyFailed> {
    let mut copy = CopyStream::open(client, buffer, statement)?;
    copy.rows(items, row)?;
    copy.finish()
}

/// An open `COPY … FROM STDIN BINARY`. Rows are encoded into `buffer`, which is
/// kept from copy to copy (a fresh megabyte each time costs the kernel's zeroing
/// of its pages), and handed to the connection a megabyte at a time.
struct CopyStream<'c> {
    sink: postgres::CopyInWriter<'c>,
    buffer: &'c mut Vec<u8>,
}

impl<'c> CopyStream<'c> {
    fn open(
        client: &'c mut Client,
        buffer: &'c mut Vec<u8>,
        statement: &str,
    ) -> Result<CopyStream<'c>, CopyFailed> {
        let sink = client.copy_in(statement)?;
        buffer.clear();
        buffer.reserve(CHUNK + 4096);
        buffer.extend_from_slice(HEADER);
        Ok(CopyStream { sink, buffer })
    }

    /// Encodes a row per item, each written by `row`.
    fn rows<T>(
        &mut self,
        items: impl IntoIterator<Item = T>,
        mut row: impl FnMut(&mut Rows, T) -> Result<(), CopyFailed>,
    ) -> Result<(), CopyFailed> {
        let mut rows = Rows(self.buffer);
        for item in items {
            row(&mut rows, item)?;
            if rows.0.len() >= CHUNK {
                self.sink.write_all(rows.0)?;
                rows.0.clear();
            }
        }
        Ok(())
    }

    /// Hands everything encoded so far to the server.
    fn hand_over(&mut self) -> Result<(), CopyFailed> {
        self.sink.write_all(self.buffer)?;
        self.buffer.clear();
        self.sink.flush()?;
        Ok(())
    }

    fn finish(mut self) -> Result<(), CopyFailed> {
        self.buffer.extend_from_slice(&(-1i16).to_be_bytes());
        self.sink.write_all(self.buffer)?;
        self.sink.finish()?;
        Ok(())
    }
}

struct Rows<'b>(&'b mut Vec<u8>);

impl Rows<'_> {
    /// Starts a row of `n` fields.
    fn fields(&mut self, n: i16) {
        self.0.extend_from_slice(&n.to_be_bytes());
    }

    /// The five sums of a balance or a month, in the tables' column order.
    fn totals(&mut self, totals: &Totals) {
        self.int8(Some(totals.low_to_high));
        self.int8(Some(totals.high_to_low));
        self.int8(Some(totals.count));
        self.int8(Some(totals.first.millis()));
        self.int8(Some(totals.last.millis()));
    }

    /// A gesture's row, numbered `seq`.
    fn gesture(&mut self, seq: i64, g: &Gesture) -> Result<(), CopyFailed> {
        self.fields(8);
        self.int8(Some(seq));
        self.int8(Some(g.at.millis()));
        self.int8(Some(g.amount.minor()));
        self.int4(Some(g.giver.0))?;
        self.int4(Some(g.receiver.0))?;
        self.int4(Some(g.kind.0))?;
        self.text(Some(g.id.as_str()))?;
        self.details(g)
    }

    /// A gesture's `gesture_details`: NULL when it carries none of them, else a
    /// composite, written as its length, the number of its fields, and each
    /// field as its type's OID, a length and the bytes.
    fn details(&mut self, g: &Gesture) -> Result<(), CopyFailed> {
        const INT4: u32 = 23;
        const TEXT: u32 = 25;
        let reverses = g.reverses.as_ref().map(GestureId::as_str);
        if g.giver_org.is_none()
            && g.receiver_org.is_none()
            && g.note.is_none()
            && g.item.is_none()
            && reverses.is_none()
        {
            self.null();
            return Ok(());
        }
        let length_at = self.0.len();
        self.0.extend_from_slice(&0i32.to_be_bytes());
        self.0.extend_from_slice(&5i32.to_be_bytes());
        for org in [g.giver_org, g.receiver_org] {
            self.0.extend_from_slice(&INT4.to_be_bytes());
            self.int4(org.map(|p| p.0))?;
        }
        for text in [g.note.as_deref(), g.item.as_deref(), reverses] {
            self.0.extend_from_slice(&TEXT.to_be_bytes());
            self.text(text)?;
        }
        let length =
            i32::try_from(self.0.len() - length_at - 4).map_err(|_| CopyFailed::TooLong)?;
        self.0[length_at..length_at + 4].copy_from_slice(&length.to_be_bytes());
        Ok(())
    }

    fn null(&mut self) {
        self.0.extend_from_slice(&(-1i32).to_be_bytes());
    }

    fn int8(&mut self, value: Option<i64>) {
        match value {
            Some(v) => {
                self.0.extend_from_slice(&8i32.to_be_bytes());
                self.0.extend_from_slice(&v.to_be_bytes());
            }
            None => self.null(),
        }
    }

    /// A party's or a kind's number, which the gestures table keeps in 32 bits.
    fn int4(&mut self, value: Option<i64>) -> Result<(), CopyFailed> {
        match value {
            Some(v) => {
                let v = i32::try_from(v).map_err(|_| CopyFailed::OutOfRange)?;
                self.0.extend_from_slice(&4i32.to_be_bytes());
                self.0.extend_from_slice(&v.to_be_bytes());
            }
            None => self.null(),
        }
        Ok(())
    }

    fn text(&mut self, value: Option<&str>) -> Result<(), CopyFailed> {
        match value {
            Some(v) => {
                let length = i32::try_from(v.len()).map_err(|_| CopyFailed::TooLong)?;
                self.0.extend_from_slice(&length.to_be_bytes());
                self.0.extend_from_slice(v.as_bytes());
            }
            None => self.null(),
        }
        Ok(())
    }
}
