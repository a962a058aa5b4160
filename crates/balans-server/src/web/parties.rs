//! The parties list: every party with its balances with everyone, filtered,
//! sorted, paged, and exported as CSV as it is shown.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use balans_core::PartyKind;
use balans_store::views::{self as read_models, PartyList, PartyListQuery, PartyRow, PartySort};
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::{Lang, T};
use super::layout::Section;
use super::pages::{kind_text, read, respond};
use super::parts;
use super::session::{Refusal, Session};
use super::views;
use crate::AppState;

/// Parties shown on one page of the list.
const PER_PAGE: usize = 50;

/// The list's state, as its URL carries it: every link and the CSV keep it.
#[derive(Deserialize, Default, Clone)]
pub struct PartyFilter {
    q: Option<String>,
    kind: Option<String>,
    org: Option<String>,
    uneven: Option<String>,
    sort: Option<String>,
    rev: Option<String>,
    /// As typed in the address: a page that is no number is the first.
    page: Option<String>,
}

impl PartyFilter {
    fn text(value: &Option<String>) -> Option<String> {
        value
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    fn sort(&self) -> PartySort {
        self.sort
            .as_deref()
            .and_then(PartySort::parse)
            .unwrap_or_default()
    }

    /// The page asked for, counted from 0.
    fn page(&self) -> usize {
        self.page
            .as_deref()
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or(0)
    }

    fn reversed(&self) -> bool {
        self.rev.as_deref() == Some("1")
    }

    fn query(&self, per_page: usize) -> PartyListQuery {
        PartyListQuery {
            text: Self::text(&self.q),
            kind: match self.kind.as_deref() {
                Some("organization") => Some(PartyKind::Organization),
                Some("person") => Some(PartyKind::Person),
                _ => None,
            },
            organization: Self::text(&self.org),
            uneven: self.uneven.is_some(),
            sort: self.sort(),
            reversed: self.reversed(),
            page: self.page(),
            per_page,
        }
    }

    /// The query string of this state with another sort, order or page.
    fn href(&self, path: &str, sort: PartySort, reversed: bool, page: usize) -> String {
        let mut parts = Vec::new();
        for (name, value) in [("q", &self.q), ("kind", &self.kind), ("org", &self.org)] {
            if let Some(value) = Self::text(value) {
                parts.push(format!("{name}={}", super::encode(&value)));
            }
        }
        if self.uneven.is_some() {
            parts.push("uneven=1".into());
        }
        if sort != PartySort::Name {
            parts.push(format!("sort={}", sort.code()));
        }
        if reversed {
            parts.push("rev=1".into());
        }
        if page > 0 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", parts.join("&"))
        }
    }
}

/// `GET /parties`: every party with its net credit and money and its last
/// contact; searchable by name or key, filtered by kind, organization and
/// balance, sorted by any of its columns, a page at a time.
pub async fn parties(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(filter): Query<PartyFilter>,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let t = |text: T| text.get(lang);
    let query = filter.query(PER_PAGE);
    let list = read(&state, lang, move |store| {
        read_models::party_list(store, &query)
    })
    .await?;
    let text_of = |value: &Option<String>| value.clone().unwrap_or_default();
    let kind = filter.kind.clone().unwrap_or_default();
    let content = html! {
        @if session.can_write() { p { a.button href="/parties/new" { (t(T::NewParty)) } } }
        form.search.filter #party-filter method="get" action="/parties" role="search"
            hx-get="/parties" hx-target="#party-list" hx-select="#party-list" hx-swap="outerHTML" hx-push-url="true"
            hx-trigger="input changed delay:250ms from:#q, change, submit" {
            div.field {
                label for="q" { (t(T::SearchParties)) }
                input #q type="search" name="q" value=(text_of(&filter.q));
            }
            div.field {
                label for="filter-party-kind" { (t(T::PartyKind)) }
                select #filter-party-kind name="kind" {
                    option value="" { (t(T::AllParties)) }
                    option value="organization" selected[kind == "organization"] { (t(T::Organization)) }
                    option value="person" selected[kind == "person"] { (t(T::Person)) }
                }
            }
            div.field {
                label for="filter-org" { (t(T::OfOrganization)) }
                input #filter-org type="text" name="org" value=(text_of(&filter.org));
            }
            div.field.check {
                input #filter-uneven type="checkbox" name="uneven" value="1" checked[filter.uneven.is_some()];
                label for="filter-uneven" { (t(T::OnlyOneSided)) }
            }
            @if filter.sort() != PartySort::Name { input type="hidden" name="sort" value=(filter.sort().code()); }
            @if filter.reversed() { input type="hidden" name="rev" value="1"; }
            button type="submit" { (t(T::Filter)) }
        }
        div #party-list {
            @match &list {
                Err(e) => { (parts::notice("error", &super::forms::messages(lang, e))) }
                Ok(list) if list.rows.is_empty() => {
                    p.empty { @if filter.q.is_none() && filter.org.is_none() && filter.kind.is_none() { (t(T::NoPartiesYet)) } @else { (t(T::NoPartiesMatch)) } }
                }
                Ok(list) => { (party_table(lang, &filter, list)) }
            }
        }
    };
    Ok(respond(
        &session,
        &headers,
        Section::Parties,
        t(T::Parties),
        content,
    ))
}

fn party_table(lang: Lang, filter: &PartyFilter, list: &PartyList) -> Markup {
    let t = |text: T| text.get(lang);
    let page = filter.page();
    let pages = list.total.div_ceil(PER_PAGE).max(1);
    let (sort, reversed) = (filter.sort(), filter.reversed());
    // A column's heading links to the list sorted by it; a second click turns it round.
    let heading = |column: PartySort, label: T, numeric: bool| {
        let current = sort == column;
        let (natural, other) = if column == PartySort::Name {
            ("ascending", "descending")
        } else {
            ("descending", "ascending")
        };
        let aria = current.then_some(if reversed { other } else { natural });
        html! {
            th scope="col" class=[numeric.then_some("num")] aria-sort=[aria] {
                a href=(filter.href("/parties", column, current && !reversed, 0)) { (t(label)) }
            }
        }
    };
    html! {
        p.explained { (t(T::PartiesLevels)) }
        p.summary {
            (T::PartiesCount.get(lang).replace("{count}", &list.total.to_string()))
            " · "
            a href=(filter.href("/parties.csv", sort, reversed, 0)) download { (t(T::ExportCsv)) }
        }
        div.scroll {
            table.parties {
                thead { tr {
                    (heading(PartySort::Name, T::Name, false))
                    th scope="col" { (t(T::PartyKind)) }
                    (heading(PartySort::Credit, T::CreditNet, true))
                    th scope="col" { (t(T::Evenness)) }
                    (heading(PartySort::Money, T::MoneyNet, true))
                    (heading(PartySort::LastContact, T::LastContact, false))
                } }
                tbody {
                    @for row in &list.rows {
                        tr {
                            td { (views::party_link_titled(row.party.key.as_str(), &row.party.name)) }
                            td { (t(kind_text(row.party.kind))) }
                            td.num { (views::points(lang, row.credit.net())) }
                            td { (views::evenness(lang, row.credit.evenness())) }
                            td.num { (views::money(lang, row.money.net())) }
                            td { (row.last_local.as_deref().and_then(|d| d.get(..10)).unwrap_or("–")) }
                        }
                    }
                }
            }
        }
        @if pages > 1 {
            nav.pager aria-label=(t(T::Pages)) {
                @if page > 0 { a href=(filter.href("/parties", sort, reversed, page - 1)) rel="prev" { (t(T::PreviousPage)) } " " }
                span { (T::PageOf.get(lang).replace("{page}", &(page + 1).to_string()).replace("{pages}", &pages.to_string())) }
                @if page + 1 < pages { " " a href=(filter.href("/parties", sort, reversed, page + 1)) rel="next" { (t(T::NextPage)) } }
            }
        }
    }
}

/// `GET /parties.csv`: the parties list as it is filtered and sorted, every
/// page, as CSV: amounts with a decimal point, times in RFC 3339.
pub async fn parties_csv(
    State(state): State<AppState>,
    session: Session,
    Query(filter): Query<PartyFilter>,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let query = filter.query(0);
    let found = read(&state, lang, move |store| {
        read_models::party_list(store, &query)
    })
    .await?;
    Ok(super::export::written_as_csv(
        lang,
        "parties.csv",
        found,
        parties_file,
    ))
}

fn parties_file(list: &PartyList) -> csv::Result<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "key",
        "name",
        "kind",
        "level",
        "credit_given",
        "credit_received",
        "credit_net",
        "money_given",
        "money_received",
        "money_net",
        "gestures",
        "last",
    ])?;
    for row in &list.rows {
        out.write_record(csv_row(row))?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

fn csv_row(row: &PartyRow) -> Vec<String> {
    let sum = |minor: i128| balans_store::ledger::NetSum(minor).to_string();
    vec![
        row.party.key.to_string(),
        row.party.name.clone(),
        match row.party.kind {
            PartyKind::Organization => "organization".into(),
            PartyKind::Person => "person".into(),
        },
        row.level.as_str().into(),
        sum(row.credit.a_to_b.into()),
        sum(row.credit.b_to_a.into()),
        sum(row.credit.net()),
        sum(row.money.a_to_b.into()),
        sum(row.money.b_to_a.into()),
        sum(row.money.net()),
        (row.credit.count + row.money.count).to_string(),
        row.last_local.clone().unwrap_or_default(),
    ]
}
