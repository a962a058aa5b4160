//! Importing a CSV file from the browser: first checked, with the row errors as a
//! table and nothing written; then, on the user's word, imported all at once.

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use balans_core::{Moment, UserRole};
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

fn import_form(session: &Session) -> Markup {
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
                label for="file" { (t(T::CsvFile)) }
                input #file type="file" name="file" accept=".csv,text/csv,text/plain" required;
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
pub async fn page(session: Session) -> Result<Response, Refusal> {
    session.require(UserRole::Staff)?;
    let lang = session.lang;
    let content = html! {
        (import_form(&session))
        div #import-result aria-live="polite" {}
    };
    Ok(layout::page(&session, Section::Import, T::Import.get(lang), content).into_response())
}

fn respond(session: &Session, headers: &HeaderMap, status: StatusCode, result: Markup) -> Response {
    if parts::is_htmx(headers) {
        return (status, result).into_response();
    }
    let content = html! {
        (import_form(session))
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
                        th scope="col" .num { (t(T::Line)) }
                        th scope="col" { (t(T::Column)) }
                        th scope="col" { (t(T::Message)) }
                    } }
                    tbody {
                        @for e in &rejection.errors {
                            tr {
                                td.num { (e.line) }
                                td { (e.column.unwrap_or("")) }
                                td { (e.message) }
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

/// `POST /import`: checks the file and writes nothing; a valid file waits for the
/// user's word.
pub async fn check(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let mut csrf = String::new();
    let mut decimal = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                let message = format!("{}: {e}", T::UploadFailed.get(lang));
                return Ok(respond(
                    &session,
                    &headers,
                    StatusCode::BAD_REQUEST,
                    parts::notice("error", &message),
                ));
            }
        };
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = match field.bytes().await {
            Ok(bytes) => bytes,
            Err(e) => {
                let message = format!("{}: {e}", T::UploadFailed.get(lang));
                return Ok(respond(
                    &session,
                    &headers,
                    StatusCode::BAD_REQUEST,
                    parts::notice("error", &message),
                ));
            }
        };
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "decimal" => decimal = String::from_utf8_lossy(&bytes).into_owned(),
            "file" => {
                file = Some((
                    file_name.unwrap_or_else(|| "upload.csv".into()),
                    bytes.to_vec(),
                ))
            }
            _ => {}
        }
    }
    session.check_csrf(&csrf)?;
    session.require(UserRole::Staff)?;
    let Some((name, body)) = file.filter(|(_, body)| !body.is_empty()) else {
        return Ok(respond(
            &session,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            parts::notice("error", T::ChooseFile.get(lang)),
        ));
    };
    let decimal = match decimal.as_str() {
        "" => None,
        other => other.parse().ok(),
    };
    let user = session.user.id;
    let result = state
        .db
        .write(move |store| {
            let options = import::Options {
                decimal,
                encoding: None,
                dry_run: true,
                ..import::Options::default()
            };
            let sources = vec![Source::new(
                name.clone(),
                std::io::Cursor::new(body.clone()),
            )];
            let summary = import::import(store, sources, options, &|_| {})?;
            let now = Moment::now();
            let forget = Moment::from_millis(now.millis() - UPLOAD_KEEP_MS);
            // The decimal mark travels with the file, after a NUL in its name: no
            // file name holds one.
            let kept_name = match decimal {
                Some(balans_core::DecimalMark::Comma) => format!("{name}\0comma"),
                Some(balans_core::DecimalMark::Point) => format!("{name}\0point"),
                None => name,
            };
            let id = in_transaction(store, |store| {
                store.insert_upload(user, &kept_name, &body, now, forget)
            })?;
            Ok((id, summary))
        })
        .await;
    let t = |text: T| text.get(lang);
    match result {
        Ok((id, summary)) => Ok(respond(
            &session,
            &headers,
            StatusCode::OK,
            html! {
                (parts::notice("ok", t(T::FileValid)))
                (summary_list(lang, &summary))
                form method="post" action={ "/import/" (id) } hx-post={ "/import/" (id) } hx-target="#import-result" hx-swap="innerHTML" hx-indicator="#import-running" {
                    input type="hidden" name="csrf" value=(session.csrf);
                    button.primary type="submit" { (t(T::ImportNow)) }
                    progress #import-running .htmx-indicator aria-label=(t(T::Importing)) {}
                }
            },
        )),
        Err(e) => Ok(respond(
            &session,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            rejection_table(lang, e),
        )),
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /import/{id}`: imports a checked upload, all of it or nothing.
pub async fn confirm(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<ConfirmForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(UserRole::Staff)?;
    let lang = session.lang;
    let user = session.user.id;
    let result = state
        .db
        .write(move |store| {
            in_transaction(store, |store| {
                let (name, body) = store
                    .upload(id, user)?
                    .ok_or_else(|| LedgerError::NotFound(T::UploadGone.get(lang).to_string()))?;
                let (name, decimal) = match name.rsplit_once('\0') {
                    Some((base, "comma")) => {
                        (base.to_string(), Some(balans_core::DecimalMark::Comma))
                    }
                    Some((base, "point")) => {
                        (base.to_string(), Some(balans_core::DecimalMark::Point))
                    }
                    _ => (name, None),
                };
                let options = import::Options {
                    decimal,
                    encoding: None,
                    dry_run: false,
                    ..import::Options::default()
                };
                let summary = import::import(
                    store,
                    vec![Source::new(name, std::io::Cursor::new(body))],
                    options,
                    &|_| {},
                )?;
                store.delete_upload(id)?;
                Ok::<_, LedgerError>(summary)
            })
        })
        .await;
    match result {
        Ok(summary) => Ok(respond(
            &session,
            &headers,
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
            StatusCode::UNPROCESSABLE_ENTITY,
            rejection_table(lang, e),
        )),
    }
}
