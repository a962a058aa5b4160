//! Lists as CSV, as their page shows them filtered: a party's gestures, a
//! relationship's, the gestures a search found (gestures files that `balans
//! import` reads back: comma-separated, decimal point, times with their
//! offset), and the dashboard's relationships out of balance and what changed.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use balans_csv::{FileKind, Writer};
use balans_store::ledger::{self, GestureQuery, GestureView};
use balans_store::views as read_models;

use super::pages::{GestureFilterForm, LevelForm, read};
use super::parts;
use super::session::{Refusal, Session};
use crate::AppState;

/// Gestures written as rows of a gestures file, after its header when `header`.
fn gestures_file(
    gestures: &[GestureView],
    header: bool,
) -> Result<Vec<u8>, balans_csv::WriteError> {
    let mut w = if header {
        Writer::new(Vec::new(), FileKind::Gestures)?
    } else {
        Writer::continued(Vec::new())
    };
    for g in gestures {
        let amount = g.amount.to_string();
        let reverses = g
            .reverses
            .as_ref()
            .map(|r| r.as_str().to_string())
            .unwrap_or_default();
        w.row([
            g.id.as_str(),
            g.at.as_str(),
            g.giver.as_str(),
            g.receiver.as_str(),
            g.kind.as_str(),
            amount.as_str(),
            g.note.as_deref().unwrap_or(""),
            g.item.as_deref().unwrap_or(""),
            g.giver_org.as_deref().unwrap_or(""),
            g.receiver_org.as_deref().unwrap_or(""),
            reverses.as_str(),
        ])?;
    }
    w.finish().map_err(balans_csv::WriteError::from)
}

/// A CSV file to download, whole or written while it is sent.
pub(super) fn csv_file(name: &str, body: impl IntoResponse) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// One page of a query's gestures, newest first, after the cursor.
type PageOf = dyn Fn(
        &mut (dyn balans_store::Store + Send + 'static),
        Option<&str>,
    ) -> Result<ledger::GesturePage, balans_store::LedgerError>
    + Send
    + Sync
    + 'static;

/// Every gesture a query finds, newest first, as a gestures file written while
/// it is read, a page of [`EXPORT_PAGE`] at a time: the server holds one page,
/// whatever the file's size. The first page is read before the answer starts,
/// so a query that fails (an unknown party, a date that is none) answers with
/// its page; a store failing later cuts the file short, and the download fails.
async fn streamed_gestures(
    state: &AppState,
    lang: super::i18n::Lang,
    page: std::sync::Arc<PageOf>,
) -> Result<Response, Refusal> {
    let first = {
        let page = std::sync::Arc::clone(&page);
        read(state, lang, move |store| page(store, None)).await?
    };
    let first = match first {
        Ok(first) => first,
        Err(e) => {
            return Ok(parts::error_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                lang,
                &super::forms::messages(lang, &e),
            ));
        }
    };
    let written = |gestures: &[GestureView], header: bool| {
        gestures_file(gestures, header).map_err(|e| std::io::Error::other(e.to_string()))
    };
    let head = written(&first.gestures, true);
    let db = std::sync::Arc::clone(&state.db);
    let rest = futures_util::stream::try_unfold(first.next_cursor, move |cursor| {
        let (db, page) = (std::sync::Arc::clone(&db), std::sync::Arc::clone(&page));
        async move {
            let Some(cursor) = cursor else {
                return Ok(None);
            };
            let next = db
                .read(move |store| page(store, Some(&cursor)))
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            Ok(Some((written(&next.gestures, false)?, next.next_cursor)))
        }
    });
    let body = futures_util::StreamExt::chain(futures_util::stream::once(async { head }), rest);
    Ok(csv_file(
        "gestures.csv",
        axum::body::Body::from_stream(body),
    ))
}

/// Gestures read a page of this many at a time.
const EXPORT_PAGE: usize = 1_000;

/// `GET /parties/{key}/gestures.csv`: the party's gestures as its page filters
/// them, newest first, every page.
pub async fn party_gestures(
    State(state): State<AppState>,
    session: Session,
    Path(key): Path<String>,
    Query(filter): Query<GestureFilterForm>,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let (kind, from, until) = filter.narrowing();
    let page = move |store: &mut (dyn balans_store::Store + Send + 'static),
                     cursor: Option<&str>| {
        ledger::list_gestures(
            store,
            &GestureQuery {
                party: Some(&key),
                kind: kind.as_deref(),
                from: from.as_deref(),
                until: until.as_deref(),
                attributed: true,
                cursor,
                limit: Some(EXPORT_PAGE),
                newest_first: true,
                ..GestureQuery::default()
            },
        )
    };
    streamed_gestures(&state, lang, std::sync::Arc::new(page)).await
}

/// `GET /relations/{a}/{b}/gestures.csv`: the gestures that count for the
/// relationship at the level its page shows, newest first.
pub async fn relation_gestures(
    State(state): State<AppState>,
    session: Session,
    Path((a, b)): Path<(String, String)>,
    Query(form): Query<LevelForm>,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let level = form.level();
    let found = read(&state, lang, move |store| {
        read_models::relationship(store, &a, &b, level, i64::MAX as usize)
    })
    .await?;
    // Newest first, as the party's file is.
    let newest_first = found.map(|relationship| relationship.gestures.into_iter().rev().collect());
    Ok(written_as_csv(
        lang,
        "gestures.csv",
        newest_first,
        |g: &Vec<_>| gestures_file(g, true),
    ))
}

/// `GET /search/gestures.csv?q=`: every gesture whose note or item holds the
/// text, newest first, as the search page lists the latest of them.
pub async fn search_gestures(
    State(state): State<AppState>,
    session: Session,
    Query(form): Query<super::search::SearchForm>,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let text = form.text();
    // Too short a text would find every gesture.
    if !super::search::SearchForm::searchable(&text) {
        return Ok(parts::error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            lang,
            super::i18n::T::SearchTooShort.get(lang),
        ));
    }
    let page = move |store: &mut (dyn balans_store::Store + Send + 'static),
                     cursor: Option<&str>| {
        ledger::list_gestures(
            store,
            &GestureQuery {
                text: Some(&text),
                cursor,
                limit: Some(EXPORT_PAGE),
                newest_first: true,
                ..GestureQuery::default()
            },
        )
    };
    streamed_gestures(&state, lang, std::sync::Arc::new(page)).await
}

/// The most relationships the report's file lists in each list, and the most
/// changes: the dashboard shows ten of each.
const REPORT_FILE_LIMIT: usize = 10_000;

/// `GET /report.csv?window=`: the dashboard's relationships out of balance in
/// the window, one row per relationship and list (`they_give_more`,
/// `we_give_more`, or `uneven` without an organization of our own), then what
/// changed (`changed`, with its story). Sides as the list names them: `a` gave
/// more; amounts with a decimal point.
pub async fn report(
    State(state): State<AppState>,
    session: Session,
    Query(form): Query<super::pages::WindowForm>,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let window = form.window();
    let found = read(&state, lang, move |store| {
        ledger::report(
            store,
            &ledger::ReportOptions {
                window,
                limit: REPORT_FILE_LIMIT,
                ..ledger::ReportOptions::default()
            },
        )
    })
    .await?;
    Ok(written_as_csv(lang, "report.csv", found, report_file))
}

/// A list read from the store, written as a CSV file to download: a read that
/// failed answers 422, a write that failed 500, each with its page.
pub(super) fn written_as_csv<T>(
    lang: super::i18n::Lang,
    name: &str,
    found: Result<T, balans_store::LedgerError>,
    write: impl FnOnce(&T) -> csv::Result<Vec<u8>>,
) -> Response {
    match found.map(|list| write(&list)) {
        Ok(Ok(body)) => csv_file(name, body),
        Ok(Err(e)) => parts::error_page(StatusCode::INTERNAL_SERVER_ERROR, lang, &e.to_string()),
        Err(e) => parts::error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            lang,
            &super::forms::messages(lang, &e),
        ),
    }
}

fn report_file(report: &ledger::Report) -> csv::Result<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "list",
        "a",
        "a_name",
        "b",
        "b_name",
        "level",
        "window",
        "credit_a_gave",
        "credit_b_gave",
        "credit_net",
        "credit_evenness",
        "money_a_gave",
        "money_b_gave",
        "money_net",
        "gestures",
        "last",
    ])?;
    let evenness = |e: Option<balans_core::Evenness>| e.map(|e| e.to_string()).unwrap_or_default();
    let last = |pair: &ledger::BalanceView, other: &ledger::BalanceView| {
        pair.last
            .max(other.last)
            .map(|m| m.to_string())
            .unwrap_or_default()
    };
    let window = report.window.code();
    let lists = [
        ("they_give_more", &report.they_give_more),
        ("we_give_more", &report.we_give_more),
        ("uneven", &report.pairs),
    ];
    for (list, pairs) in lists {
        for pair in pairs.iter() {
            out.write_record([
                list.to_string(),
                pair.a.key.to_string(),
                pair.a.name.clone(),
                pair.b.key.to_string(),
                pair.b.name.clone(),
                pair.level.as_str().to_string(),
                window.clone(),
                pair.credit.a_to_b.to_string(),
                pair.credit.b_to_a.to_string(),
                pair.credit.net.to_string(),
                evenness(pair.credit.evenness),
                pair.money.a_to_b.to_string(),
                pair.money.b_to_a.to_string(),
                pair.money.net.to_string(),
                (pair.credit.count + pair.money.count).to_string(),
                last(&pair.credit, &pair.money),
            ])?;
        }
    }
    for change in &report.changes {
        let story = match &change.story {
            ledger::Story::WentQuiet { .. } => "changed: went_quiet",
            ledger::Story::Turned { .. } => "changed: turned",
        };
        let w = &change.window;
        out.write_record([
            story.to_string(),
            change.them.key.to_string(),
            change.them.name.clone(),
            change.us.key.to_string(),
            change.us.name.clone(),
            report.level.as_str().to_string(),
            window.clone(),
            w.a_to_b.to_string(),
            w.b_to_a.to_string(),
            w.net.to_string(),
            evenness(w.evenness),
            String::new(),
            String::new(),
            String::new(),
            w.count.to_string(),
            w.last.map(|m| m.to_string()).unwrap_or_default(),
        ])?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

/// `GET /parties/{key}/counterparts.csv?level=`: every counterpart of the party
/// at the level its page shows, largest credit imbalance first, as the page
/// lists them a page at a time. Sides as the page names them: `given` by the
/// party, `received` by it.
pub async fn counterparts(
    State(state): State<AppState>,
    session: Session,
    Path(key): Path<String>,
    Query(form): Query<LevelForm>,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let level = form.level();
    let found = read(&state, lang, move |store| {
        ledger::counterparts(store, &key, level)
    })
    .await?;
    Ok(written_as_csv(
        lang,
        "counterparts.csv",
        found,
        counterparts_file,
    ))
}

fn counterparts_file(list: &ledger::Counterparts) -> csv::Result<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "party",
        "counterpart",
        "counterpart_name",
        "level",
        "credit_given",
        "credit_received",
        "credit_net",
        "credit_evenness",
        "money_given",
        "money_received",
        "money_net",
        "gestures",
        "last",
    ])?;
    for pair in &list.counterparts {
        out.write_record([
            pair.a.key.to_string(),
            pair.b.key.to_string(),
            pair.b.name.clone(),
            pair.level.as_str().to_string(),
            pair.credit.a_to_b.to_string(),
            pair.credit.b_to_a.to_string(),
            pair.credit.net.to_string(),
            pair.credit
                .evenness
                .map(|e| e.to_string())
                .unwrap_or_default(),
            pair.money.a_to_b.to_string(),
            pair.money.b_to_a.to_string(),
            pair.money.net.to_string(),
            (pair.credit.count + pair.money.count).to_string(),
            pair.credit
                .last
                .max(pair.money.last)
                .map(|m| m.to_string())
                .unwrap_or_default(),
        ])?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}
