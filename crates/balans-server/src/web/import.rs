//! Importing CSV files from the browser: parties, memberships and gestures files
//! in one upload, as the command line takes them. The files are streamed to
//! temporary files as they arrive (at most `UploadLimit` bytes in all, 200 MB
//! unless configured otherwise), checked with the row errors as a table and
//! nothing written, and kept in the store in parts; then, on the user's word,
//! imported all at once. No file is held in memory whole.

use axum::extract::{Extension, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use balans_core::{DecimalMark, Moment, UserRole};
use balans_store::import::{self, Source, Summary};
use balans_store::{LedgerError, in_transaction};
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::{Lang, T};
use super::layout::{self, Section};
use super::parts;
use super::session::{Refusal, Session};
use crate::AppState;

/// How long a checked upload waits for its import.
const UPLOAD_KEEP_MS: i64 = 24 * 60 * 60 * 1000;

/// The most an upload may hold unless configured otherwise, its files together.
pub const UPLOAD_LIMIT_DEFAULT_BYTES: usize = 200 * 1024 * 1024;

/// An upload's content is kept in the store, and read back, in parts this large.
const UPLOAD_PART_BYTES: usize = 1024 * 1024;

/// The most an upload may hold, its files together (the route's setting).
#[derive(Clone, Copy, Debug)]
pub struct UploadLimit(pub usize);

/// A file as it arrived: its name and where its bytes wait.
struct Received {
    name: String,
    file: tempfile::NamedTempFile,
}

impl Received {
    fn source(&self) -> std::io::Result<Source> {
        let file = std::fs::File::open(self.file.path())?;
        let bytes = file.metadata()?.len();
        Ok(Source::sized(
            self.name.clone(),
            std::io::BufReader::with_capacity(UPLOAD_PART_BYTES, file),
            bytes,
        ))
    }
}

/// The files' sources, for an import.
fn sources(files: &[Received], lang: Lang) -> Result<Vec<Source>, LedgerError> {
    files
        .iter()
        .map(Received::source)
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| LedgerError::Io(upload_failed(lang, &e.to_string())))
}

/// A kept file's name: the decimal mark travels with it, after a NUL (no file
/// name holds one).
fn kept_name(name: &str, decimal: Option<DecimalMark>) -> String {
    match decimal {
        Some(DecimalMark::Comma) => format!("{name}\0comma"),
        Some(DecimalMark::Point) => format!("{name}\0point"),
        None => name.to_string(),
    }
}

/// The file name and decimal mark [`kept_name`] kept.
fn read_kept_name(kept: String) -> (String, Option<DecimalMark>) {
    match kept.rsplit_once('\0') {
        Some((name, "comma")) => (name.to_string(), Some(DecimalMark::Comma)),
        Some((name, "point")) => (name.to_string(), Some(DecimalMark::Point)),
        _ => (kept, None),
    }
}

/// The form as received: its decimal mark and its files.
type Upload = (Option<DecimalMark>, Vec<Received>);
/// An upload refused: its status and the message, in the user's words.
type Refused = (StatusCode, String);

/// Why an upload was not received, in the user's words.
fn upload_failed(lang: Lang, detail: &str) -> String {
    format!(
        "{}: {}",
        T::UploadFailed.get(lang),
        balans_core::Quoted(detail)
    )
}

fn import_form(session: &Session, limit: usize) -> Markup {
    let lang = session.lang;
    let t = |text: T| text.get(lang);
    html! {
        p.explained { (t(T::ImportExplained)) }
        (super::setup::template_links(lang))
        form #import-form .stacked method="post" action="/import" enctype="multipart/form-data"
            hx-post="/import" hx-encoding="multipart/form-data" hx-target="#import-result" hx-swap="innerHTML"
            hx-indicator="#import-progress" {
            input type="hidden" name="csrf" value=(session.csrf);
            div.field {
                label for="file" { (t(T::CsvFiles)) }
                input #file type="file" name="file" accept=".csv,text/csv,text/plain" multiple required aria-describedby="file-hint";
                p #file-hint .hint { (T::UploadHint.get(lang).replace("{limit}", &(limit / (1024 * 1024)).to_string())) }
            }
            div.field {
                label for="decimal" { (t(T::DecimalMark)) }
                select #decimal name="decimal" {
                    option value="" { (t(T::DecimalAuto)) }
                    option value="comma" { (t(T::DecimalComma)) }
                    option value="point" { (t(T::DecimalPoint)) }
                }
            }
            button.primary type="submit" { (t(T::CheckFile)) }
            progress #import-progress .htmx-indicator max="100" aria-label=(t(T::Uploading)) {}
        }
    }
}

/// `GET /import`.
pub async fn page(
    session: Session,
    Extension(UploadLimit(limit)): Extension<UploadLimit>,
) -> Result<Response, Refusal> {
    session.require(UserRole::Staff)?;
    let lang = session.lang;
    let content = html! {
        (import_form(&session, limit))
        div #import-result aria-live="polite" {}
    };
    Ok(layout::page(&session, Section::Import, T::Import.get(lang), content).into_response())
}

fn respond(
    session: &Session,
    headers: &HeaderMap,
    limit: usize,
    status: StatusCode,
    result: Markup,
) -> Response {
    if parts::is_htmx(headers) {
        return (status, result).into_response();
    }
    let content = html! {
        (import_form(session, limit))
        div #import-result aria-live="polite" { (result) }
    };
    (
        status,
        layout::page(
            session,
            Section::Import,
            T::Import.get(session.lang),
            content,
        ),
    )
        .into_response()
}

fn summary_list(lang: Lang, summary: &Summary) -> Markup {
    let t = |text: T| text.get(lang);
    let rows = [
        (T::KindsAdded, summary.kinds_added + summary.kinds_updated),
        (
            T::PartiesAdded,
            summary.parties_added + summary.parties_updated,
        ),
        (
            T::MembershipsAdded,
            summary.memberships_added + summary.memberships_updated,
        ),
        (T::GesturesAdded, summary.gestures_added),
        (T::GesturesPresent, summary.gestures_already_present),
        (T::HandoversAdded, summary.handovers_added),
        (T::PromisesAdded, summary.promises_added),
        (T::PromisesPresent, summary.promises_already_present),
    ];
    html! {
        dl.summary {
            dt { (t(T::Rows)) } dd { (summary.rows) }
            @for (label, count) in rows {
                @if count > 0 { dt { (t(label)) } dd { (count) } }
            }
        }
    }
}

/// Why a file was not imported: its row errors as a table, or the one error.
fn rejection_table(lang: Lang, error: LedgerError) -> Markup {
    let t = |text: T| text.get(lang);
    match error {
        LedgerError::Rejected(rejection) => html! {
            (parts::notice("error", &if rejection.total == 1 { T::FileRejectedOne.get(lang).to_string() } else { T::FileRejected.get(lang).replace("{count}", &rejection.total.to_string()) }))
            div.scroll {
                table.row-errors {
                    thead { tr {
                        th scope="col" { (t(T::FileColumn)) }
                        th scope="col" .num { (t(T::Line)) }
                        th scope="col" { (t(T::Column)) }
                        th scope="col" { (t(T::Message)) }
                    } }
                    tbody {
                        @for e in &rejection.errors {
                            tr {
                                td { (e.file) }
                                td.num { (e.line) }
                                td { (e.column.unwrap_or("")) }
                                td { (super::i18n::said_row(lang, e)) }
                            }
                        }
                    }
                }
            }
            @if rejection.total > rejection.errors.len() {
                p.hint { (T::MoreErrors.get(lang).replace("{count}", &(rejection.total - rejection.errors.len()).to_string())) }
            }
        },
        other => parts::notice("error", &other.to_string()),
    }
}

/// `POST /import`: receives the files, checks them and writes nothing to the
/// ledger; valid files wait, kept in the store, for the user's word.
pub async fn check(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Extension(UploadLimit(limit)): Extension<UploadLimit>,
    multipart: Multipart,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let fail = |status: StatusCode, message: &str| {
        respond(
            &session,
            &headers,
            limit,
            status,
            parts::notice("error", message),
        )
    };
    let (decimal, files) = match receive(&session, multipart, limit).await? {
        Ok(received) => received,
        Err((status, message)) => return Ok(fail(status, &message)),
    };
    if files.is_empty() {
        return Ok(fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            T::ChooseFile.get(lang),
        ));
    }
    let user = session.user.id;
    let admin = session.is_admin();
    let result = state
        .db
        .write(move |store| {
            let options = import::Options {
                decimal,
                encoding: None,
                dry_run: true,
                user_links: admin,
                ..import::Options::default()
            };
            let summary = import::import(store, sources(&files, lang)?, options, &|_| {})?;
            let now = Moment::now();
            let forget = Moment::from_millis(now.millis() - UPLOAD_KEEP_MS);
            let ids = in_transaction(store, |store| {
                let mut ids = Vec::with_capacity(files.len());
                for received in &files {
                    let id = store.insert_upload(
                        user,
                        &kept_name(&received.name, decimal),
                        now,
                        forget,
                    )?;
                    keep_parts(store, id, received.file.path())
                        .map_err(|e| LedgerError::Io(upload_failed(lang, &e.to_string())))?;
                    ids.push(id.to_string());
                }
                Ok::<_, LedgerError>(ids.join("-"))
            })?;
            Ok((ids, summary))
        })
        .await;
    let t = |text: T| text.get(lang);
    match result {
        Ok((ids, summary)) => Ok(respond(
            &session,
            &headers,
            limit,
            StatusCode::OK,
            html! {
                (parts::notice("ok", t(T::FileValid)))
                (summary_list(lang, &summary))
                form method="post" action={ "/import/" (ids) } hx-post={ "/import/" (ids) } hx-target="#import-result" hx-swap="innerHTML" hx-indicator="#import-running" {
                    input type="hidden" name="csrf" value=(session.csrf);
                    button.primary type="submit" { (t(T::ImportNow)) }
                    progress #import-running .htmx-indicator aria-label=(t(T::Importing)) {}
                }
            },
        )),
        Err(e) => Ok(respond(
            &session,
            &headers,
            limit,
            StatusCode::UNPROCESSABLE_ENTITY,
            rejection_table(lang, e),
        )),
    }
}

/// Reads the form: its session token first (checked before any file is
/// kept), the decimal mark, and each file streamed to a temporary file. A
/// refusal (too large, broken) comes back as a status and a message.
async fn receive(
    session: &Session,
    mut multipart: Multipart,
    limit: usize,
) -> Result<Result<Upload, Refused>, Refusal> {
    use tokio::io::AsyncWriteExt;
    let lang = session.lang;
    let mut csrf_checked = false;
    let mut decimal = None;
    let mut files = Vec::new();
    let mut total = 0usize;
    let broken = |e: &dyn std::fmt::Display| {
        Err((StatusCode::BAD_REQUEST, upload_failed(lang, &e.to_string())))
    };
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Ok(too_large(lang, limit));
            }
            Err(e) => return Ok(broken(&e.body_text())),
        };
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            if !csrf_checked {
                session.check_csrf("")?;
            }
            session.require(UserRole::Staff)?;
            let file_name = field
                .file_name()
                .filter(|n| !n.is_empty())
                .unwrap_or("upload.csv")
                .to_string();
            let temporary = match tempfile::NamedTempFile::new() {
                Ok(file) => file,
                Err(e) => return Ok(broken(&e)),
            };
            let mut out = match temporary.as_file().try_clone() {
                Ok(file) => tokio::fs::File::from_std(file),
                Err(e) => return Ok(broken(&e)),
            };
            let mut written = 0usize;
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        total += chunk.len();
                        written += chunk.len();
                        if total > limit {
                            return Ok(too_large(lang, limit));
                        }
                        if let Err(e) = out.write_all(&chunk).await {
                            return Ok(broken(&e));
                        }
                    }
                    Ok(None) => break,
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                        return Ok(too_large(lang, limit));
                    }
                    Err(e) => return Ok(broken(&e.body_text())),
                }
            }
            if let Err(e) = out.flush().await {
                return Ok(broken(&e));
            }
            // A file input left empty still sends a part, without content.
            if written > 0 {
                files.push(Received {
                    name: file_name,
                    file: temporary,
                });
            }
            continue;
        }
        let text = match field.text().await {
            Ok(text) => text,
            Err(e) => return Ok(broken(&e.body_text())),
        };
        match name.as_str() {
            "csrf" => {
                session.check_csrf(&text)?;
                csrf_checked = true;
            }
            "decimal" => decimal = text.parse().ok(),
            _ => {}
        }
    }
    if !csrf_checked {
        session.check_csrf("")?;
    }
    session.require(UserRole::Staff)?;
    Ok(Ok((decimal, files)))
}

fn too_large(lang: Lang, limit: usize) -> Result<Upload, Refused> {
    Err((
        StatusCode::PAYLOAD_TOO_LARGE,
        T::UploadTooLarge
            .get(lang)
            .replace("{limit}", &(limit / (1024 * 1024)).to_string()),
    ))
}

/// Copies a received file into the store, a part at a time.
fn keep_parts<S: balans_store::Store + ?Sized>(
    store: &mut S,
    id: i64,
    path: &std::path::Path,
) -> Result<(), KeepError> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut part = vec![0u8; UPLOAD_PART_BYTES];
    let mut n = 0i64;
    loop {
        let mut filled = 0;
        while filled < part.len() {
            match file.read(&mut part[filled..])? {
                0 => break,
                read => filled += read,
            }
        }
        if filled == 0 {
            return Ok(());
        }
        store.add_upload_part(id, n, &part[..filled])?;
        n += 1;
    }
}

/// Writes a kept upload back to a temporary file, a part at a time.
fn unkeep_parts<S: balans_store::Store + ?Sized>(
    store: &mut S,
    id: i64,
) -> Result<tempfile::NamedTempFile, KeepError> {
    use std::io::Write;
    let mut file = tempfile::NamedTempFile::new()?;
    let mut n = 0i64;
    while let Some(part) = store.upload_part(id, n)? {
        file.write_all(&part)?;
        n += 1;
    }
    file.flush()?;
    Ok(file)
}

/// A kept upload could not be written or read.
#[derive(Debug, thiserror::Error)]
enum KeepError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] balans_store::store::StoreError),
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /import/{ids}`: imports the files of a checked upload (their ids, joined
/// by `-`), all of them or nothing.
pub async fn confirm(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Extension(UploadLimit(limit)): Extension<UploadLimit>,
    Path(ids): Path<String>,
    axum::Form(form): axum::Form<ConfirmForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(UserRole::Staff)?;
    let lang = session.lang;
    let user = session.user.id;
    let admin = session.is_admin();
    let gone = move || LedgerError::not_found_said(T::UploadGone.get(lang));
    let ids: Option<Vec<i64>> = ids.split('-').map(|id| id.parse().ok()).collect();
    let result = state
        .db
        .write(move |store| {
            let ids = ids.ok_or_else(gone)?;
            in_transaction(store, |store| {
                let mut kept = Vec::with_capacity(ids.len());
                let mut decimal = None;
                for &id in &ids {
                    let name = store.upload(id, user)?.ok_or_else(gone)?;
                    let (name, mark) = read_kept_name(name);
                    decimal = decimal.or(mark);
                    let file = unkeep_parts(store, id)
                        .map_err(|e| LedgerError::Io(upload_failed(lang, &e.to_string())))?;
                    kept.push(Received { name, file });
                }
                let options = import::Options {
                    decimal,
                    encoding: None,
                    dry_run: false,
                    user_links: admin,
                    ..import::Options::default()
                };
                let summary = import::import(store, sources(&kept, lang)?, options, &|_| {})?;
                for &id in &ids {
                    store.delete_upload(id)?;
                }
                Ok::<_, LedgerError>(summary)
            })
        })
        .await;
    match result {
        Ok(summary) => Ok(respond(
            &session,
            &headers,
            limit,
            StatusCode::OK,
            html! {
                (parts::notice("ok", T::Imported.get(lang)))
                (summary_list(lang, &summary))
                p { a href="/" { (T::BackToDashboard.get(lang)) } }
            },
        )),
        Err(e) => Ok(respond(
            &session,
            &headers,
            limit,
            StatusCode::UNPROCESSABLE_ENTITY,
            rejection_table(lang, e),
        )),
    }
}
