//! The Balans file formats: CSV files of parties, memberships and gestures.
//!
//! Export adds a fourth kind, the catalog of gesture kinds, so that an export
//! holds everything its gestures refer to.
//!
//! A file's type is read from its header row; its delimiter from the same row. A
//! semicolon-separated file uses a decimal comma and a comma-separated file a decimal
//! point, as Dutch and English Excel write them, unless the caller says otherwise.
//! A UTF-8 byte order mark is skipped. Every problem is a [`RowError`] that names the
//! file, the line and, where it applies, the column.
//!
//! ```
//! use balans_csv::{Column, FileKind, Table};
//!
//! let data = "\u{feff}key;kind;name\nbakker;organization;Bakkerij Jansen\n";
//! let mut table = Table::open("parties.csv", data.as_bytes(), Default::default()).unwrap();
//! assert_eq!(table.kind(), FileKind::Parties);
//! let row = table.next_row().unwrap().unwrap();
//! assert_eq!(row.text(Column::Name).unwrap(), "Bakkerij Jansen");
//! assert_eq!(row.line(), 2);
//! ```

use std::fmt;
use std::io::{Cursor, Read};

use balans_core::DecimalMark;
use balans_core::said::{Code, Said};
use thiserror::Error;

/// The most rows one file may hold.
pub const ROWS_PER_FILE_MAX: u64 = 100_000_000;

/// The kinds of file Balans reads and writes, in the order an import takes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    Kinds,
    Parties,
    Memberships,
    Gestures,
    Handovers,
    UserLinks,
    Alerts,
    Promises,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Kinds => "kinds",
            FileKind::Parties => "parties",
            FileKind::Memberships => "memberships",
            FileKind::Gestures => "gestures",
            FileKind::Handovers => "handovers",
            FileKind::UserLinks => "user links",
            FileKind::Alerts => "alerts",
            FileKind::Promises => "promises",
        }
    }

    /// The columns of this kind of file: (column, header name, required).
    pub fn columns(self) -> &'static [(Column, &'static str, bool)] {
        use Column::*;
        match self {
            FileKind::Kinds => &[
                (Code, "code", true),
                (Dimension, "dimension", true),
                (Default, "default", false),
                (LabelNl, "label_nl", false),
                (LabelEn, "label_en", false),
            ],
            FileKind::Parties => &[
                (Key, "key", true),
                (PartyKind, "kind", true),
                (Name, "name", true),
                (Email, "email", false),
                (Phone, "phone", false),
                (Note, "note", false),
            ],
            FileKind::Memberships => &[
                (Person, "person", true),
                (Organization, "organization", true),
                (Role, "role", true),
                (From, "from", true),
                (Until, "until", false),
            ],
            FileKind::Gestures => &[
                (Id, "id", false),
                (At, "at", true),
                (Giver, "giver", true),
                (Receiver, "receiver", true),
                (GestureKind, "kind", true),
                (Amount, "amount", false),
                (Note, "note", false),
                (Item, "item", false),
                (GiverOrg, "giver_org", false),
                (ReceiverOrg, "receiver_org", false),
                (Reverses, "reverses", false),
            ],
            FileKind::Handovers => &[
                (Left, "left", true),
                (LeftUnit, "left_organization", true),
                (Other, "other", true),
                (OtherUnit, "other_organization", true),
                (Successor, "successor", true),
                (Share, "share", true),
                (State, "state", true),
                (Offered, "offered", true),
                (Decided, "decided", false),
                (Note, "note", false),
                (CreditOut, "credit_given", false),
                (CreditIn, "credit_received", false),
                (MoneyOut, "money_given", false),
                (MoneyIn, "money_received", false),
            ],
            FileKind::UserLinks => &[(User, "user", true), (Party, "party", true)],
            FileKind::Alerts => &[
                (Left, "left", true),
                (LeftUnit, "left_organization", true),
                (OtherUnit, "other_organization", true),
                (LeftAt, "left_at", true),
                (Volume, "volume", true),
                (Other, "other", true),
                (Others, "others", true),
                (Dismissed, "dismissed", false),
            ],
            FileKind::Promises => &[
                (Id, "id", true),
                (Promiser, "promiser", true),
                (Promisee, "promisee", true),
                (GestureKind, "kind", true),
                (Amount, "amount", false),
                (Made, "made", true),
                (Due, "due", true),
                (Note, "note", false),
                (PromiserOrg, "promiser_org", false),
                (PromiseeOrg, "promisee_org", false),
                (State, "state", false),
                (Resolved, "resolved", false),
                (Reason, "reason", false),
                (Gesture, "gesture", false),
                (Kept, "kept", false),
                (Dues, "dues", false),
            ],
        }
    }

    /// The header row this kind of file is written with.
    pub fn header(self) -> Vec<&'static str> {
        self.columns().iter().map(|(_, name, _)| *name).collect()
    }

    fn detect(names: &[String]) -> Option<FileKind> {
        let has = |n: &str| names.iter().any(|name| name == n);
        if has("promiser") || has("promisee") {
            Some(FileKind::Promises)
        } else if has("successor") {
            Some(FileKind::Handovers)
        } else if has("user") {
            Some(FileKind::UserLinks)
        } else if has("left_at") {
            Some(FileKind::Alerts)
        } else if has("dimension") || has("code") {
            Some(FileKind::Kinds)
        } else if has("giver") || has("receiver") {
            Some(FileKind::Gestures)
        } else if has("person") || has("organization") {
            Some(FileKind::Memberships)
        } else if has("key") || has("name") {
            Some(FileKind::Parties)
        } else {
            None
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every column any file may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    Key,
    PartyKind,
    Name,
    Email,
    Phone,
    Note,
    Person,
    Organization,
    Role,
    From,
    Until,
    Id,
    At,
    Giver,
    Receiver,
    GestureKind,
    Amount,
    Item,
    GiverOrg,
    ReceiverOrg,
    Reverses,
    Code,
    Dimension,
    Default,
    LabelNl,
    LabelEn,
    Left,
    LeftUnit,
    Other,
    OtherUnit,
    Successor,
    Share,
    State,
    Offered,
    Decided,
    CreditOut,
    CreditIn,
    MoneyOut,
    MoneyIn,
    User,
    Party,
    LeftAt,
    Volume,
    Others,
    Dismissed,
    Promiser,
    Promisee,
    Made,
    Due,
    PromiserOrg,
    PromiseeOrg,
    Resolved,
    Reason,
    Gesture,
    Kept,
    Dues,
}

const COLUMN_COUNT: usize = Column::Dues as usize + 1;

impl Column {
    /// The header name of this column.
    pub fn name(self) -> &'static str {
        use Column::*;
        match self {
            Key => "key",
            PartyKind | GestureKind => "kind",
            Name => "name",
            Email => "email",
            Phone => "phone",
            Note => "note",
            Person => "person",
            Organization => "organization",
            Role => "role",
            From => "from",
            Until => "until",
            Id => "id",
            At => "at",
            Giver => "giver",
            Receiver => "receiver",
            Amount => "amount",
            Item => "item",
            GiverOrg => "giver_org",
            ReceiverOrg => "receiver_org",
            Reverses => "reverses",
            Code => "code",
            Dimension => "dimension",
            Default => "default",
            LabelNl => "label_nl",
            LabelEn => "label_en",
            Left => "left",
            LeftUnit => "left_organization",
            Other => "other",
            OtherUnit => "other_organization",
            Successor => "successor",
            Share => "share",
            State => "state",
            Offered => "offered",
            Decided => "decided",
            CreditOut => "credit_given",
            CreditIn => "credit_received",
            MoneyOut => "money_given",
            MoneyIn => "money_received",
            User => "user",
            Party => "party",
            LeftAt => "left_at",
            Volume => "volume",
            Others => "others",
            Dismissed => "dismissed",
            Promiser => "promiser",
            Promisee => "promisee",
            Made => "made",
            Due => "due",
            PromiserOrg => "promiser_org",
            PromiseeOrg => "promisee_org",
            Resolved => "resolved",
            Reason => "reason",
            Gesture => "gesture",
            Kept => "kept",
            Dues => "dues",
        }
    }
}

/// One problem in one file, where it is and why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub struct RowError {
    pub file: String,
    /// 1-based line number; 0 for a problem with the file as a whole.
    pub line: u64,
    pub column: Option<&'static str>,
    pub message: String,
    /// The message as an entry of the web app's catalog, where it has one.
    pub said: Option<Said>,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}: {}", self.file, self.message),
            (line, None) => write!(f, "{}:{}: {}", self.file, line, self.message),
            (line, Some(column)) => write!(
                f,
                "{}:{}: column '{}': {}",
                self.file, line, column, self.message
            ),
        }
    }
}

impl RowError {
    pub fn file(file: &str, message: impl Into<String>) -> RowError {
        RowError {
            file: file.to_string(),
            line: 0,
            column: None,
            message: message.into(),
            said: None,
        }
    }
}

/// The character encoding of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// What Excel's plain "CSV" saves on a Dutch or English Windows.
    Windows1252,
}

impl std::str::FromStr for Encoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Ok(Encoding::Utf8),
            "windows-1252" | "cp1252" | "ansi" => Ok(Encoding::Windows1252),
            other => Err(format!(
                "unknown encoding '{}': use utf-8 or windows-1252",
                balans_core::Quoted(other)
            )),
        }
    }
}

/// How to read a file; `None` means: tell from the file.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadOptions {
    /// Overrides the decimal mark the delimiter implies.
    pub decimal: Option<DecimalMark>,
    /// Overrides the encoding read from the file's start: UTF-8 when its first
    /// 16 KiB are valid UTF-8, Windows-1252 otherwise.
    pub encoding: Option<Encoding>,
}

/// The bytes of a file as UTF-8, transcoded when the file is Windows-1252.
enum Decoded<R: Read> {
    Utf8(std::io::Chain<Cursor<Vec<u8>>, R>),
    Windows1252(encoding_rs_io::DecodeReaderBytes<std::io::Chain<Cursor<Vec<u8>>, R>, Vec<u8>>),
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Decoded::Utf8(inner) => inner.read(buf),
            Decoded::Windows1252(inner) => inner.read(buf),
        }
    }
}

/// Whether `head`, the start of a file, is UTF-8 (a character cut off at its end is fine).
fn looks_like_utf8(head: &[u8]) -> bool {
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// An open CSV file of one kind, read row by row.
pub struct Table<R: Read> {
    name: String,
    kind: FileKind,
    delimiter: u8,
    decimal: DecimalMark,
    width: usize,
    index: [Option<usize>; COLUMN_COUNT],
    reader: csv::Reader<LineCounter<R>>,
    record: csv::ByteRecord,
    /// The last record, when it is all UTF-8: checked once for the whole row
    /// rather than once per field (which weighed on reading a large file).
    text: Option<csv::StringRecord>,
    rows: u64,
}

impl<R: Read> Table<R> {
    /// Reads the header, detects delimiter and kind, and checks the columns.
    /// `decimal` overrides the decimal mark the delimiter implies.
    pub fn open(name: &str, source: R, options: ReadOptions) -> Result<Table<R>, RowError> {
        let decimal = options.decimal;
        let mut source = source;
        let mut head = Vec::with_capacity(1 << 14);
        (&mut source)
            .take(1 << 14)
            .read_to_end(&mut head)
            .map_err(|e| RowError::file(name, format!("cannot read: {e}")))?;
        let encoding = options.encoding.unwrap_or(if looks_like_utf8(&head) {
            Encoding::Utf8
        } else {
            Encoding::Windows1252
        });
        let whole = Cursor::new(head.clone()).chain(source);
        let decoded = match encoding {
            Encoding::Utf8 => Decoded::Utf8(whole),
            Encoding::Windows1252 => Decoded::Windows1252(
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .encoding(Some(encoding_rs::WINDOWS_1252))
                    .build(whole),
            ),
        };
        let counter = LineCounter::new(decoded);
        let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&head);
        if head.starts_with(b"\xff\xfe") || head.starts_with(b"\xfe\xff") {
            return Err(RowError::file(
                name,
                "is UTF-16; save it as CSV UTF-8 (in Excel: 'CSV UTF-8 (door komma's gescheiden)')",
            ));
        }
        let first_line = head.split(|&b| b == b'\n').next().unwrap_or_default();
        if first_line.iter().all(u8::is_ascii_whitespace) {
            return Err(RowError::file(
                name,
                "is empty: the first line must be a header row",
            ));
        }
        let count = |c: u8| first_line.iter().filter(|&&b| b == c).count();
        let delimiter = if count(b';') > count(b',') {
            b';'
        } else if count(b'\t') > count(b',') {
            b'\t'
        } else {
            b','
        };
        let decimal = decimal.unwrap_or(if delimiter == b';' {
            DecimalMark::Comma
        } else {
            DecimalMark::Point
        });

        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(false)
            .from_reader(counter);
        let mut header = csv::ByteRecord::new();
        match reader.read_byte_record(&mut header) {
            Ok(true) => {}
            Ok(false) => {
                return Err(RowError::file(
                    name,
                    "is empty: the first line must be a header row",
                ));
            }
            Err(e) => return Err(RowError::file(name, format!("cannot read the header: {e}"))),
        }
        let mut names = Vec::with_capacity(header.len());
        for (i, field) in header.iter().enumerate() {
            let field = if i == 0 {
                field.strip_prefix(b"\xef\xbb\xbf").unwrap_or(field)
            } else {
                field
            };
            let text = std::str::from_utf8(field).map_err(|_| RowError {
                file: name.to_string(),
                line: 1,
                column: None,
                message: not_utf8(),
                said: Some(Said::new(Code::NotUtf8, &[])),
            })?;
            names.push(text.trim().to_ascii_lowercase());
        }
        while names.last().is_some_and(String::is_empty) && names.len() > 1 {
            names.pop();
        }
        let header_error = |message: String, said: Said| RowError {
            file: name.to_string(),
            line: 1,
            column: None,
            message,
            said: Some(said),
        };
        let kind = FileKind::detect(&names).ok_or_else(|| {
            let header = balans_core::Quoted(&names.join(",")).to_string();
            header_error(
                format!(
                    "cannot tell the file type from its header ({header}): a parties file has key,kind,name; \
                     a memberships file person,organization,role,from; a gestures file at,giver,receiver,kind; \
                     a kinds file code,dimension"
                ),
                Said::new(Code::FileTypeUnknown, &[("header", &header)]),
            )
        })?;
        let mut index = [None; COLUMN_COUNT];
        let mut unknown = Vec::new();
        for (position, header_name) in names.iter().enumerate() {
            match kind.columns().iter().find(|(_, n, _)| n == header_name) {
                Some((column, _, _)) => {
                    if index[*column as usize].is_some() {
                        let quoted = balans_core::Quoted(header_name).to_string();
                        return Err(header_error(
                            format!("column '{quoted}' appears twice"),
                            Said::new(Code::ColumnTwice, &[("column", &quoted)]),
                        ));
                    }
                    index[*column as usize] = Some(position);
                }
                None => unknown.push(if header_name.is_empty() {
                    "(empty)".to_string()
                } else {
                    header_name.clone()
                }),
            }
        }
        if !unknown.is_empty() {
            const LISTED_MAX: usize = 10;
            let more = unknown.len().saturating_sub(LISTED_MAX);
            let listed = unknown
                .iter()
                .take(LISTED_MAX)
                .map(|u| format!("'{}'", balans_core::Quoted(u)))
                .collect::<Vec<_>>()
                .join(", ")
                + &if more > 0 {
                    format!(" (+{more})")
                } else {
                    String::new()
                };
            let expected = kind.header().join(",");
            return Err(header_error(
                format!(
                    "unknown column{} {listed} in a {kind} file; the columns are {expected}",
                    if unknown.len() == 1 { "" } else { "s" },
                ),
                Said::new(
                    Code::ColumnsUnknown,
                    &[("columns", &listed), ("expected", &expected)],
                ),
            ));
        }
        let missing: Vec<&str> = kind
            .columns()
            .iter()
            .filter(|(column, _, required)| *required && index[*column as usize].is_none())
            .map(|(_, n, _)| *n)
            .collect();
        if !missing.is_empty() {
            let listed = missing
                .iter()
                .map(|m| format!("'{m}'"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(header_error(
                format!(
                    "missing required column{} {listed} in a {kind} file",
                    if missing.len() == 1 { "" } else { "s" },
                ),
                Said::new(Code::ColumnsMissing, &[("columns", &listed)]),
            ));
        }
        Ok(Table {
            name: name.to_string(),
            kind,
            delimiter,
            decimal,
            width: names.len(),
            index,
            reader,
            record: csv::ByteRecord::new(),
            text: None,
            rows: 0,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> FileKind {
        self.kind
    }

    pub fn decimal(&self) -> DecimalMark {
        self.decimal
    }

    pub fn delimiter(&self) -> char {
        char::from(self.delimiter)
    }

    pub fn has(&self, column: Column) -> bool {
        self.index[column as usize].is_some()
    }

    /// How far into the file reading has come, for progress.
    pub fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }

    /// The next data row; rows whose fields are all empty are skipped.
    pub fn next_row(&mut self) -> Option<Result<Row<'_>, RowError>> {
        if let Some(text) = self.text.take() {
            self.record = text.into_byte_record();
        }
        loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => {
                    let start = e.position().map_or(0, csv::Position::byte);
                    let line = self.reader.get_mut().line_at(start);
                    let message = match e.kind() {
                        csv::ErrorKind::Io(io) => format!("cannot read: {io}"),
                        _ => format!("not readable as CSV: {e}"),
                    };
                    return Some(Err(RowError {
                        file: self.name.clone(),
                        line,
                        column: None,
                        message,
                        said: None,
                    }));
                }
            }
            if self
                .record
                .iter()
                .all(|f| f.iter().all(u8::is_ascii_whitespace))
            {
                continue;
            }
            self.rows += 1;
            let start = self.record.position().map_or(0, csv::Position::byte);
            let line = self.reader.get_mut().line_at(start);
            if self.rows > ROWS_PER_FILE_MAX {
                return Some(Err(RowError {
                    file: self.name.clone(),
                    line,
                    column: None,
                    message: format!("more than {ROWS_PER_FILE_MAX} rows; split the file"),
                    said: Some(Said::new(
                        Code::TooManyRows,
                        &[("max", &ROWS_PER_FILE_MAX.to_string())],
                    )),
                }));
            }
            let extra = self
                .record
                .iter()
                .skip(self.width)
                .any(|f| !f.iter().all(u8::is_ascii_whitespace));
            if self.record.len() < self.width || extra {
                return Some(Err(RowError {
                    file: self.name.clone(),
                    line,
                    column: None,
                    message: format!(
                        "has {} fields where the header has {} (is a '{}' inside a field without quotes?)",
                        self.record.len(),
                        self.width,
                        char::from(self.delimiter)
                    ),
                    said: Some(Said::new(
                        Code::FieldCount,
                        &[
                            ("found", &self.record.len().to_string()),
                            ("expected", &self.width.to_string()),
                            ("delimiter", &char::from(self.delimiter).to_string()),
                        ],
                    )),
                }));
            }
            match csv::StringRecord::from_byte_record(std::mem::take(&mut self.record)) {
                Ok(text) => self.text = Some(text),
                Err(e) => self.record = e.into_byte_record(),
            }
            return Some(Ok(Row {
                table_name: &self.name,
                line,
                record: &self.record,
                text: self.text.as_ref(),
                index: &self.index,
            }));
        }
    }
}

/// Counts lines itself: the CSV reader's own line numbers drift on blank lines and
/// CRLF endings, and a row error must name the line a person sees in an editor.
struct LineCounter<R: Read> {
    inner: Decoded<R>,
    /// Bytes read but not yet passed by a record start; `window[consumed..]` is live.
    window: Vec<u8>,
    consumed: usize,
    /// The file offset of `window[0]`.
    window_start: u64,
    /// Newlines in the file before `window[consumed]`.
    newlines_before: u64,
}

impl<R: Read> LineCounter<R> {
    fn new(inner: Decoded<R>) -> LineCounter<R> {
        LineCounter {
            inner,
            window: Vec::new(),
            consumed: 0,
            window_start: 0,
            newlines_before: 0,
        }
    }

    /// The 1-based line of the record the reader reports at byte `position`
    /// (which may point at the line endings before it).
    fn line_at(&mut self, position: u64) -> u64 {
        let relative =
            usize::try_from(position.saturating_sub(self.window_start)).unwrap_or(usize::MAX);
        let relative = relative.clamp(self.consumed, self.window.len());
        let newline = |b: &&u8| **b == b'\n';
        self.newlines_before += self.window[self.consumed..relative]
            .iter()
            .filter(newline)
            .count() as u64;
        self.consumed = relative;
        let leading = self.window[relative..]
            .iter()
            .take_while(|&&b| b == b'\n' || b == b'\r');
        let line = self.newlines_before + leading.filter(newline).count() as u64 + 1;
        if self.consumed > 1 << 16 {
            self.window.drain(..self.consumed);
            self.window_start += self.consumed as u64;
            self.consumed = 0;
        }
        line
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.window.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

fn not_utf8() -> String {
    "is not UTF-8 text: import the file with --encoding windows-1252, or save it as 'CSV UTF-8' \
     (in Excel: 'CSV UTF-8 (door komma's gescheiden)')"
        .to_string()
}

/// One data row, its fields borrowed from the reader.
pub struct Row<'t> {
    table_name: &'t str,
    line: u64,
    record: &'t csv::ByteRecord,
    /// The record as text, when it is all UTF-8 (`record` is then empty).
    text: Option<&'t csv::StringRecord>,
    index: &'t [Option<usize>; COLUMN_COUNT],
}

impl<'t> Row<'t> {
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The field's text, trimmed; empty when the column is absent.
    pub fn text(&self, column: Column) -> Result<&'t str, RowError> {
        let Some(position) = self.index[column as usize] else {
            return Ok("");
        };
        if let Some(text) = self.text {
            return Ok(text.get(position).unwrap_or_default().trim());
        }
        let bytes = self.record.get(position).unwrap_or_default();
        std::str::from_utf8(bytes)
            .map(str::trim)
            .map_err(|_| RowError {
                said: Some(Said::new(Code::NotUtf8, &[])),
                ..self.error(column, not_utf8())
            })
    }

    /// The field's text, or `None` when it is empty or the column absent.
    pub fn optional(&self, column: Column) -> Result<Option<&'t str>, RowError> {
        self.text(column).map(|t| (!t.is_empty()).then_some(t))
    }

    /// An error about one field of this row.
    pub fn error(&self, column: Column, message: impl Into<String>) -> RowError {
        RowError {
            file: self.table_name.to_string(),
            line: self.line,
            column: Some(column.name()),
            message: message.into(),
            said: None,
        }
    }

    /// An error about a field of this row named by its header name.
    pub fn error_in(&self, column: &'static str, message: impl Into<String>) -> RowError {
        RowError {
            file: self.table_name.to_string(),
            line: self.line,
            column: Some(column),
            message: message.into(),
            said: None,
        }
    }

    /// An error about this row as a whole.
    pub fn row_error(&self, message: impl Into<String>) -> RowError {
        RowError {
            file: self.table_name.to_string(),
            line: self.line,
            column: None,
            message: message.into(),
            said: None,
        }
    }
}

/// The error a failed write gives.
pub type WriteError = csv::Error;

/// Writes one kind of file: comma-separated, decimal point, UTF-8 without BOM.
pub struct Writer<W: std::io::Write> {
    inner: csv::Writer<W>,
}

impl<W: std::io::Write> Writer<W> {
    pub fn new(sink: W, kind: FileKind) -> csv::Result<Writer<W>> {
        let mut inner = csv::WriterBuilder::new().from_writer(sink);
        inner.write_record(kind.header())?;
        Ok(Writer { inner })
    }

    /// A writer of more rows of a file whose header is written already: a file
    /// written in pieces.
    pub fn continued(sink: W) -> Writer<W> {
        Writer {
            inner: csv::WriterBuilder::new().from_writer(sink),
        }
    }

    pub fn row<'a>(&mut self, fields: impl IntoIterator<Item = &'a str>) -> Result<(), WriteError> {
        self.inner.write_record(fields)
    }

    pub fn finish(self) -> std::io::Result<W> {
        self.inner
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(text: &str) -> Result<Table<&[u8]>, RowError> {
        Table::open("t.csv", text.as_bytes(), ReadOptions::default())
    }

    #[test]
    fn detects_kind_delimiter_and_decimal_mark() {
        let t = open("id,at,giver,receiver,kind,amount\n").unwrap();
        assert_eq!(
            (t.kind(), t.delimiter(), t.decimal()),
            (FileKind::Gestures, ',', DecimalMark::Point)
        );
        let t = open("\u{feff}Person;Organization;Role;From\r\n").unwrap();
        assert_eq!(
            (t.kind(), t.delimiter(), t.decimal()),
            (FileKind::Memberships, ';', DecimalMark::Comma)
        );
        let t = Table::open(
            "t.csv",
            "key;kind;name\n".as_bytes(),
            ReadOptions {
                decimal: Some(DecimalMark::Point),
                ..ReadOptions::default()
            },
        )
        .unwrap();
        assert_eq!(t.decimal(), DecimalMark::Point);
    }

    #[test]
    fn header_errors_are_explained() {
        let err = open("key,kind,name,colour\n").err().unwrap();
        assert_eq!(err.line, 1);
        assert!(err.message.contains("unknown column 'colour'"), "{err}");
        let err = open("at,giver,kind\n").err().unwrap();
        assert!(
            err.message.contains("missing required column 'receiver'"),
            "{err}"
        );
        let err = open("foo,bar\n").err().unwrap();
        assert!(err.message.contains("cannot tell the file type"), "{err}");
        let err = open("").err().unwrap();
        assert!(err.message.contains("empty"), "{err}");
        let err = open("key,key,kind,name\n").err().unwrap();
        assert!(err.message.contains("appears twice"), "{err}");
    }

    #[test]
    fn rows_carry_their_line_and_fields() {
        let mut t = open("key;kind;name;note\r\n\"a\";person;\"Anna; de Vries\";\r\n;;;\r\n\r\n\r\nb;person;Bob\r\n").unwrap();
        let row = t.next_row().unwrap().unwrap();
        assert_eq!(
            (row.line(), row.text(Column::Name).unwrap()),
            (2, "Anna; de Vries")
        );
        assert_eq!(row.optional(Column::Note).unwrap(), None);
        assert_eq!(
            row.text(Column::Email).unwrap(),
            "",
            "absent column reads as empty"
        );
        let err = t.next_row().unwrap().err().unwrap();
        assert_eq!(err.line, 6);
        assert!(
            err.message.contains("has 3 fields where the header has 4"),
            "{err}"
        );
        assert!(t.next_row().is_none());
    }

    #[test]
    fn line_numbers_survive_blank_lines_crlf_and_quoted_newlines() {
        let mut t =
            open("key,kind,name\n\na,person,A\r\n\r\n\"b\",person,\"two\nlines\"\nc,person,C")
                .unwrap();
        let mut lines = Vec::new();
        while let Some(row) = t.next_row() {
            lines.push(row.unwrap().line());
        }
        assert_eq!(lines, vec![3, 5, 7]);
        let big: String = (0..50_000).map(|i| format!("k{i},person,N\n")).collect();
        let text = format!("key,kind,name\n{big}\nlast,person\n");
        let mut t = open(&text).unwrap();
        let mut last = None;
        while let Some(row) = t.next_row() {
            if let Err(e) = row {
                last = Some(e.line);
            }
        }
        assert_eq!(last, Some(50_003));
    }

    #[test]
    fn windows_1252_is_read_as_excel_writes_it() {
        let data = b"key;kind;name;note\ncafe;organization;Caf\xe9 de Zon;\x80 5 korting\n";
        let mut t = Table::open("t.csv", &data[..], ReadOptions::default()).unwrap();
        let row = t.next_row().unwrap().unwrap();
        assert_eq!(row.text(Column::Name).unwrap(), "Café de Zon");
        assert_eq!(row.text(Column::Note).unwrap(), "€ 5 korting");
    }

    #[test]
    fn invalid_utf8_is_named_with_its_column() {
        let data = b"key,kind,name\nx,person,Caf\xe9\n";
        let options = ReadOptions {
            encoding: Some(Encoding::Utf8),
            ..ReadOptions::default()
        };
        let mut t = Table::open("t.csv", &data[..], options).unwrap();
        let row = t.next_row().unwrap().unwrap();
        let err = row.text(Column::Name).unwrap_err();
        assert_eq!((err.line, err.column), (2, Some("name")));
        assert!(
            err.to_string()
                .starts_with("t.csv:2: column 'name': is not UTF-8"),
            "{err}"
        );
    }

    #[test]
    fn writer_writes_the_header() {
        let mut w = Writer::new(Vec::new(), FileKind::Parties).unwrap();
        w.row(["a", "person", "Anna, de Vries", "", "", ""])
            .unwrap();
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(
            out,
            "key,kind,name,email,phone,note\na,person,\"Anna, de Vries\",,,\n"
        );
    }
}
