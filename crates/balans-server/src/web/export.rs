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

/// Gestures written as a gestures file.
fn gestures_file(gestures: &[GestureView]) -> Result<Vec<u8>, balans_csv::WriteError> {
    let mut w = Writer::new(Vec::new(), FileKind::Gestures)?;
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

/// A CSV file to download.
pub(super) fn csv_file(name: &str, body: Vec<u8>) -> Response {
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

/// Every gesture a query finds, newest first, read a page at a time.
fn all_gestures<S: balans_store::Store + ?Sized>(
    store: &mut S,
    query: GestureQuery<'_>,
) -> Result<Vec<GestureView>, balans_store::LedgerError> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = ledger::list_gestures(
            store,
            &GestureQuery {
                cursor: cursor.as_deref(),
                limit: Some(EXPORT_PAGE),
                newest_first: true,
                ..query
            },
        )?;
        all.extend(page.gestures);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(all),
        }
    }
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
    let found = read(&state, lang, move |store| {
        let (kind, from, until) = filter.narrowing();
        all_gestures(
            store,
            GestureQuery {
                party: Some(&key),
                kind: kind.as_deref(),
                from: from.as_deref(),
                until: until.as_deref(),
                attributed: true,
                ..GestureQuery::default()
            },
        )
    })
    .await?;
    Ok(written_as_csv(lang, "gestures.csv", found, |g: &Vec<_>| {
        gestures_file(g)
    }))
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
        |g: &Vec<_>| gestures_file(g),
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
    let found = read(&state, lang, move |store| {
        all_gestures(
            store,
            GestureQuery {
                text: Some(&text),
                ..GestureQuery::default()
            },
        )
    })
    .await?;
    Ok(written_as_csv(lang, "gestures.csv", found, |g: &Vec<_>| {
        gestures_file(g)
    }))
}

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
        Err(e) => parts::error_page(StatusCode::UNPROCESSABLE_ENTITY, lang, &e.to_string()),
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
