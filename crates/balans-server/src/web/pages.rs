//! The pages to look at: the dashboard, the parties, one party, one relationship.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use balans_core::{Level, Moment, PartyKind};
use balans_store::ledger::{self, GestureQuery, PairView, ReportOptions, Window};
use balans_store::views::{self as read_models, KindCount};
use balans_store::{LedgerError, Store};
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::{self, Lang, T};
use super::layout::{self, Section};
use super::parts;
use super::party_forms;
use super::session::{Refusal, Session};
use super::setup;
use super::svg;
use super::views::{self, party_link};
use crate::AppState;

/// Runs a read for a page; a failure becomes an error page in the reader's language.
pub(super) async fn read<T: Send + 'static>(
    state: &AppState,
    lang: Lang,
    work: impl FnOnce(&mut (dyn Store + Send + 'static)) -> Result<T, LedgerError> + Send + 'static,
) -> Result<Result<T, LedgerError>, Refusal> {
    match state.db.read(work).await {
        Err(LedgerError::Store(e)) => Err(Refusal::Failed(lang, e.to_string())),
        other => Ok(other),
    }
}

/// A page that is a full page or, for htmx, its content alone.
pub(super) fn respond(
    session: &Session,
    headers: &HeaderMap,
    section: Section,
    title: &str,
    content: Markup,
) -> Response {
    if parts::is_htmx(headers) {
        return content.into_response();
    }
    layout::page(session, section, title, content).into_response()
}

fn not_found(session: &Session, message: &str) -> Response {
    (
        axum::http::StatusCode::NOT_FOUND,
        layout::page(
            session,
            Section::None,
            T::NotFound.get(session.lang),
            parts::notice("error", message),
        ),
    )
        .into_response()
}

#[derive(Deserialize, Default)]
pub struct WindowForm {
    window: Option<String>,
}

impl WindowForm {
    /// The window asked for; the report's default when none or no window is.
    pub(super) fn window(&self) -> Window {
        self.window
            .as_deref()
            .and_then(Window::parse)
            .unwrap_or(ReportOptions::default().window)
    }
}

/// A window in words: "the last 90 days", "all time".
fn window_words(lang: Lang, window: Window) -> String {
    match window {
        Window::All => T::AllTime.get(lang).to_string(),
        Window::Days(365) => T::LastYear.get(lang).to_string(),
        Window::Days(days) => T::LastDays.get(lang).replace("{days}", &days.to_string()),
    }
}

/// Links to the dashboard over each window, the one shown marked current.
fn window_switch(lang: Lang, shown: Window) -> Markup {
    html! {
        nav.levels aria-label=(T::WindowSwitch.get(lang)) {
            (T::WindowSwitch.get(lang)) ": "
            @for window in Window::CHOICES {
                @let words = window_words(lang, window);
                @if window == shown {
                    a href={ "/?window=" (window.code()) } aria-current="page" { strong { (words) } }
                } @else {
                    a href={ "/?window=" (window.code()) } { (words) }
                }
                " "
            }
        }
    }
}

/// A span of months in words: "4 years", "8 months".
fn months_words(lang: Lang, months: i64) -> String {
    if months >= 24 {
        T::Years
            .get(lang)
            .replace("{n}", &(months / 12).to_string())
    } else {
        T::Months.get(lang).replace("{n}", &months.to_string())
    }
}

/// What changed in a relationship, in one sentence.
fn change_sentence(lang: Lang, window: Window, change: &ledger::Change) -> String {
    let them = &change.them.name;
    let during = window_words(lang, window);
    match &change.story {
        ledger::Story::WentQuiet {
            gestures_before,
            months_before,
        } => {
            let per_month =
                (*gestures_before as f64 / (*months_before).max(1) as f64).round() as i64;
            let rate = if per_month == 1 {
                T::RateOnePerMonth.get(lang).to_string()
            } else if per_month > 1 {
                T::RatePerMonth
                    .get(lang)
                    .replace("{n}", &per_month.to_string())
            } else {
                let every = ((*months_before).max(1) as f64 / (*gestures_before).max(1) as f64)
                    .round() as i64;
                T::RateEveryMonths
                    .get(lang)
                    .replace("{n}", &every.max(1).to_string())
            };
            T::WentQuiet
                .get(lang)
                .replace("{them}", them)
                .replace("{window}", &during)
                .replace("{duration}", &months_words(lang, *months_before))
                .replace("{rate}", &rate)
        }
        ledger::Story::Turned {
            by_them,
            takes,
            kinds,
            sum_before,
            ..
        } => {
            let labels: Vec<String> = kinds.iter().map(|k| views::kind_label(lang, k)).collect();
            let text = if *by_them {
                T::TurnedByThem
            } else {
                T::TurnedByUs
            };
            text.get(lang)
                .replace("{them}", them)
                .replace("{takes}", &takes.to_string())
                .replace("{window}", &during)
                .replace("{kinds}", &labels.join(", "))
                .replace("{before}", &views::points_text(lang, sum_before.0))
        }
    }
}

struct Dashboard {
    report: ledger::Report,
    month: Vec<KindCount>,
    latest: Vec<ledger::GestureView>,
    month_name: String,
    kinds: Vec<balans_core::Kind>,
    /// Whether the store holds the demo organization: its stories are listed.
    demo: bool,
    /// Credits gone dormant with nobody to take them over.
    alerts: Vec<ledger::AlertView>,
    zone: balans_core::Zone,
    /// The relationships listed above whose live credit one person carries.
    key_people: Vec<ledger::CreditsView>,
    /// Promises due and broken lately.
    promises: super::promise_views::Agenda,
}

/// The start of this month and of the next, in the store's time zone.
fn this_month<S: Store + ?Sized>(store: &mut S) -> Result<(Moment, Moment, String), LedgerError> {
    let zone = balans_store::store::zone_of(store)?;
    let today = Moment::now().display_in(&zone);
    let year: i32 = today[..4].parse().unwrap_or(2000);
    let month: u32 = today[5..7].parse().unwrap_or(1);
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let parse = |text: String| {
        zone.parse(&text)
            .map_err(|e| LedgerError::Io(format!("cannot read the month: {e}")))
    };
    Ok((
        parse(format!("{year:04}-{month:02}-01"))?,
        parse(format!("{next_year:04}-{next_month:02}-01"))?,
        format!("{year:04}-{month:02}"),
    ))
}

/// `GET /`: the relationships most out of balance both ways, this month's gestures
/// by kind, and the latest gestures.
pub async fn dashboard(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(form): Query<WindowForm>,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let t = |text: T| text.get(lang);
    let window = form.window();
    let data = read(&state, lang, move |store| {
        let report = ledger::report(
            store,
            &ReportOptions {
                window,
                ..ReportOptions::default()
            },
        )?;
        let (from, until, month_name) = this_month(store)?;
        let month = read_models::kinds_in_period(store, from, until)?;
        let latest = ledger::list_gestures(
            store,
            &GestureQuery {
                limit: Some(10),
                newest_first: true,
                ..GestureQuery::default()
            },
        )?
        .gestures;
        let alerts = ledger::open_alerts(store, Moment::now())?;
        let promises = super::promise_views::agenda(store, Moment::now(), Default::default())?;
        // Of our relationships at the top of our page, those one person carries.
        let key_people = match &report.us {
            Some(us) => {
                let top = ledger::top_counterparts(
                    store,
                    us.key.as_str(),
                    Some(Level::Organization),
                    0,
                    RELATIONSHIPS_WITH_CREDITS,
                )?;
                let them: Vec<&str> = top
                    .counterparts
                    .iter()
                    .map(|pair| pair.b.key.as_str())
                    .collect();
                let mut carried = ledger::credits_with(store, us.key.as_str(), &them)?;
                // A private customer carries all of their own side: no news.
                for view in &mut carried {
                    let customer = view.b.id;
                    view.key_persons.retain(|k| k.party.id != customer);
                }
                carried.retain(|view| !view.key_persons.is_empty());
                carried
            }
            None => Vec::new(),
        };
        Ok(Dashboard {
            report,
            month,
            latest,
            month_name,
            kinds: ledger::kinds(store)?,
            demo: balans_store::demo::is_loaded(store)?,
            alerts,
            zone: balans_store::store::zone_of(store)?,
            key_people,
            promises,
        })
    })
    .await?;
    let data = match data {
        Ok(data) => data,
        Err(e) => {
            return Ok(parts::error_page(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                lang,
                &e.to_string(),
            ));
        }
    };
    let content = html! {
        @if data.latest.is_empty() {
            div.empty-state {
                p { (t(T::EmptyLedger)) }
                @if session.can_write() {
                    p { (t(T::EmptyNoParties)) " " a href="/parties/new" { (t(T::NewParty)) } ", " a href="/parties" { (t(T::Parties)) } }
                    p { (t(T::EmptyLedgerNext)) " " a href="/import" { (t(T::ImportCsv)) } }
                    (setup::template_links(lang))
                }
            }
        }
        @if data.report.us.is_none() && session.is_admin() {
            (setup::us_form(&session))
        }
        (window_switch(lang, window))
        @if !data.report.changes.is_empty() {
            section.changes aria-labelledby="changes-title" {
                h2 #changes-title { (t(T::WhatChanged)) " · " (window_words(lang, window)) }
                ul.changes {
                    @for change in &data.report.changes {
                        li {
                            a href=(views::relation_href(change.them.key.as_str(), change.us.key.as_str(), data.report.level)) {
                                (change_sentence(lang, window, change))
                            }
                        }
                    }
                }
                @let more = data.report.changes_total - data.report.changes.len();
                @if more > 0 {
                    p.more { a href={ "/report.csv?window=" (window.code()) } download { (T::MoreChanges.get(lang).replace("{count}", &views::number(lang, more))) } }
                }
            }
        }
        section.columns aria-label=(t(T::OutOfBalance)) {
            @if data.report.us.is_some() {
                (risk_list(lang, t(T::TheyGiveMore), t(T::TheyGiveMoreExplained), &data.report.they_give_more, "they"))
                (risk_list(lang, t(T::WeGiveMore), t(T::WeGiveMoreExplained), &data.report.we_give_more, "we"))
            } @else {
                (risk_list(lang, t(T::MostUneven), t(T::NoUsExplained), &data.report.pairs, "pairs"))
            }
        }
        p.export { a href={ "/report.csv?window=" (window.code()) } download { (t(T::ExportCsv)) } }
        (super::promise_views::dashboard_section(&session, &data.promises))
        @if !data.alerts.is_empty() || !data.key_people.is_empty() {
            section.columns aria-label=(t(T::CreditsHeading)) {
                @if !data.alerts.is_empty() {
                    (alerts_list(lang, &data.zone, &session, &data.alerts))
                }
                @if !data.key_people.is_empty() {
                    (key_people_list(lang, &data.key_people))
                }
            }
        }
        @if data.demo {
            section.stories aria-labelledby="stories-title" {
                h2 #stories-title { (t(T::DemoStories)) }
                p.explained { (t(T::DemoStoriesExplained)) }
                ol.stories {
                    @for story in balans_store::demo::STORIES {
                        li { a href=(views::relation_href(story.a, story.b, story.level)) { (t(i18n::demo_story(story.code))) } }
                    }
                }
            }
        }
        section aria-labelledby="month-title" {
            h2 #month-title { (T::ThisMonth.get(lang).replace("{month}", &views::month_name(lang, &data.month_name))) }
            (month_table(lang, &data.month))
        }
        section aria-labelledby="latest-title" {
            h2 #latest-title { (t(T::LatestGestures)) }
            @if data.latest.is_empty() {
                p.empty { (t(T::NoGesturesYet)) }
            } @else {
                (views::gesture_table(lang, &data.kinds, &data.latest, None))
            }
        }
    };
    Ok(respond(
        &session,
        &headers,
        Section::Dashboard,
        t(T::Dashboard),
        content,
    ))
}

/// The credits gone dormant, each in a sentence with a link to the
/// relationship, and a button to dismiss it for staff.
fn alerts_list(
    lang: Lang,
    zone: &balans_core::Zone,
    session: &Session,
    alerts: &[ledger::AlertView],
) -> Markup {
    let t = |text: T| text.get(lang);
    html! {
        section.risk aria-labelledby="alerts-title" {
            h2 #alerts-title { (t(T::AlertsHeading)) }
            p.explained { (t(T::AlertsExplained)) }
            ul.alerts {
                @for alert in alerts.iter().take(ALERTS_SHOWN) {
                    li {
                        a href=(views::relation_href(alert.left_unit.key.as_str(), alert.other_unit.key.as_str(), Level::Organization)) {
                            (alert_sentence(lang, zone, alert))
                        }
                        @if session.can_write() {
                            " "
                            form.inline method="post" action={ "/alerts/" (alert.id) "/dismiss" } {
                                input type="hidden" name="csrf" value=(session.csrf);
                                button type="submit" { (t(T::Dismiss)) span.visually-hidden { " " (alert.left.name) } }
                            }
                        }
                    }
                }
            }
            @if alerts.len() > ALERTS_SHOWN {
                p.more { (T::MoreAlerts.get(lang).replace("{count}", &views::number(lang, alerts.len() - ALERTS_SHOWN))) " " code { "balans alert list" } }
            }
        }
    }
}

/// The alerts the dashboard shows, the latest departures first; the command
/// line and the API list all.
const ALERTS_SHOWN: usize = 10;

/// "Gerrit Visser left Hotel De Wadden on 1 March 2025; 42 points that Henk
/// Bosman built with him went dormant; nobody has taken them over."
fn alert_sentence(lang: Lang, zone: &balans_core::Zone, alert: &ledger::AlertView) -> String {
    let builders = match alert.others {
        0 => alert.other.name.clone(),
        n => T::AlertAndOthers
            .get(lang)
            .replace("{name}", &alert.other.name)
            .replace("{count}", &views::number(lang, n as usize)),
    };
    T::AlertSentence
        .get(lang)
        .replace("{left}", &alert.left.name)
        .replace("{organization}", &alert.left_unit.name)
        .replace(
            "{date}",
            &views::long_date(lang, &alert.left_at.display_in(zone)),
        )
        .replace(
            "{points}",
            &views::points_text(lang, i128::from(alert.volume.0)),
        )
        .replace("{builders}", &builders)
}

/// Relationships whose live credit one person carries, with who and how much.
fn key_people_list(lang: Lang, carried: &[ledger::CreditsView]) -> Markup {
    let t = |text: T| text.get(lang);
    html! {
        section.risk aria-labelledby="key-people-title" {
            h2 #key-people-title { (t(T::KeyPeopleHeading)) }
            p.explained { (t(T::KeyPeopleExplained)) }
            ul.key-people {
                @for view in carried {
                    @for person in &view.key_persons {
                        li {
                            a href=(views::relation_href(view.a.key.as_str(), view.b.key.as_str(), Level::Organization)) {
                                (T::KeyPersonOf.get(lang)
                                    .replace("{name}", &person.party.name)
                                    .replace("{share}", &format!("{}%", views::number(lang, percent(&person.share))))
                                    .replace("{relationship}", &view.b.name))
                            }
                        }
                    }
                }
            }
        }
    }
}

fn risk_list(lang: Lang, title: &str, explained: &str, pairs: &[PairView], id: &str) -> Markup {
    let t = |text: T| text.get(lang);
    html! {
        section.risk aria-labelledby={ "risk-" (id) } {
            h2 id={ "risk-" (id) } { (title) }
            p.explained { (explained) }
            @if pairs.is_empty() {
                p.empty { (t(T::NoneOutOfBalance)) }
            } @else {
                ol.pairs {
                    @for pair in pairs {
                        @let (them, other) = if id == "we" { (&pair.b, &pair.a) } else { (&pair.a, &pair.b) };
                        li {
                            a href=(views::relation_href(pair.a.key.as_str(), pair.b.key.as_str(), pair.level)) {
                                strong { (them.name) }
                                @if id == "pairs" { " → " (other.name) }
                            }
                            " "
                            span.net { (t(T::Net)) " " (views::points(lang, pair.credit.net.0)) }
                            " · "
                            span.evenness { (views::evenness(lang, pair.credit.evenness)) }
                        }
                    }
                }
            }
        }
    }
}

fn month_table(lang: Lang, month: &[KindCount]) -> Markup {
    let t = |text: T| text.get(lang);
    if month.is_empty() {
        return html! { p.empty { (t(T::NoGesturesThisMonth)) } };
    }
    let gives: u64 = month.iter().filter(|k| !k.is_take()).map(|k| k.count).sum();
    let takes: u64 = month.iter().filter(|k| k.is_take()).map(|k| k.count).sum();
    let most = month.iter().map(|k| k.count).max().unwrap_or(1).max(1);
    html! {
        p.summary {
            (t(T::Gives)) ": " strong { (gives) } " · " (t(T::Takes)) ": " strong { (takes) }
        }
        div.scroll {
            table.kinds {
                thead { tr {
                    th scope="col" { (t(T::Kind)) }
                    th scope="col" { (t(T::GiveOrTake)) }
                    th scope="col" .num { (t(T::Count)) }
                    th scope="col" .num { (t(T::Total)) }
                    th scope="col" { span.visually-hidden { (t(T::Share)) } }
                } }
                tbody {
                    @for k in month {
                        tr class=(if k.is_take() { "take" } else { "give" }) {
                            th scope="row" { (match lang { Lang::Nl => &k.label_nl, Lang::En => &k.label_en }) }
                            td { (if k.is_take() { t(T::Take) } else { t(T::Give) }) }
                            td.num { (k.count) }
                            td.num { (views::amount_of(lang, k.dimension, k.total.0)) }
                            td {
                                svg.bar viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" {
                                    rect x="0" y="0" height="10" width=(k.count * 100 / most) {}
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn membership_role(role: balans_core::Role) -> T {
    match role {
        balans_core::Role::Employee => T::Employee,
        balans_core::Role::Contact => T::Contact,
    }
}

pub(super) fn kind_text(kind: PartyKind) -> T {
    match kind {
        PartyKind::Organization => T::Organization,
        PartyKind::Person => T::Person,
    }
}

#[derive(Deserialize, Default)]
pub(super) struct GestureFilterForm {
    level: Option<String>,
    kind: Option<String>,
    from: Option<String>,
    until: Option<String>,
    cursor: Option<String>,
    /// The page of a party's counterparts, from 1.
    cpage: Option<String>,
}

impl GestureFilterForm {
    /// The kind, from and until asked for, each left out when empty.
    pub(super) fn narrowing(&self) -> (Option<String>, Option<String>, Option<String>) {
        let given = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        (given(&self.kind), given(&self.from), given(&self.until))
    }
}

struct PartyData {
    party: balans_core::Party,
    memberships: Vec<ledger::MembershipView>,
    counterparts: ledger::Counterparts,
    /// The page of counterparts shown, from 0.
    counterpart_page: usize,
    /// Its people, most gestures first, with their sums at person level and,
    /// for the first few, their largest imbalances.
    people: Vec<(
        ledger::MembershipView,
        ledger::PartySums,
        Option<ledger::Counterparts>,
    )>,
    /// The store's time zone, for the people's last contact.
    zone: balans_core::Zone,
    /// An organization's relationships on the page, with their credits.
    credits: Vec<ledger::CreditsView>,
    /// Its promises and how it keeps them.
    promises: ledger::PairPromises,
    offered: Vec<(ledger::HandoverView, bool)>,
    timeline: read_models::Timeline,
    gestures: Result<ledger::GesturePage, LedgerError>,
    kinds: Vec<balans_core::Kind>,
}

/// `GET /parties/{key}`: who they are, their balances with everyone, a scale and
/// a timeline of their credit, and their gestures.
pub async fn party(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(key): Path<String>,
    Query(filter): Query<GestureFilterForm>,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let t = |text: T| text.get(lang);
    let wanted = key.clone();
    let user = session.user.clone();
    let level = LevelForm {
        level: filter.level.clone(),
    }
    .level();
    let f = GestureFilterForm {
        level: None,
        kind: filter.kind.clone().filter(|s| !s.is_empty()),
        from: filter.from.clone().filter(|s| !s.is_empty()),
        until: filter.until.clone().filter(|s| !s.is_empty()),
        cursor: filter.cursor.clone(),
        cpage: None,
    };
    let counterpart_page = filter
        .cpage
        .as_deref()
        .and_then(|p| p.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .max(1)
        - 1;
    let data = read(&state, lang, move |store| {
        let party = ledger::find_party(store, &wanted)?;
        let memberships = ledger::memberships(store, &wanted)?;
        let page_of = |store: &mut _, page: usize| {
            ledger::top_counterparts(
                store,
                &wanted,
                level,
                page.saturating_mul(COUNTERPARTS_PER_PAGE),
                COUNTERPARTS_PER_PAGE,
            )
        };
        let mut counterpart_page = counterpart_page;
        let mut counterparts = page_of(store, counterpart_page)?;
        // A page past the last (a link kept while counterparts went) shows the last.
        let last = counterparts.total.div_ceil(COUNTERPARTS_PER_PAGE).max(1) - 1;
        if counterpart_page > last {
            counterpart_page = last;
            counterparts = page_of(store, last)?;
        }
        let mut people = Vec::new();
        if party.fields.kind == PartyKind::Organization {
            let mut ranked = Vec::with_capacity(memberships.len());
            for m in &memberships {
                let sums = ledger::party_sums(store, &m.person, Level::Person)?;
                ranked.push((m.clone(), sums));
            }
            ranked.sort_by(|(m, x), (n, y)| {
                (y.count(), m.until.is_some(), &m.person).cmp(&(
                    x.count(),
                    n.until.is_some(),
                    &n.person,
                ))
            });
            let mut detailed = std::collections::BTreeSet::new();
            for (m, sums) in ranked {
                let top = if detailed.len() < PEOPLE_WITH_COUNTERPARTS
                    && sums.count() > 0
                    && detailed.insert(m.person.clone())
                {
                    Some(ledger::top_counterparts(
                        store,
                        &m.person,
                        Some(Level::Person),
                        0,
                        PEOPLE_COUNTERPARTS_SHOWN,
                    )?)
                } else {
                    None
                };
                people.push((m, sums, top));
            }
        }
        // An organization's relationships at the top of the page, with the
        // credits of the people behind them, and its handovers on offer.
        let (credits, offered) = if party.fields.kind == PartyKind::Organization
            && counterparts.level == Level::Organization
        {
            let keys: Vec<&str> = counterparts
                .counterparts
                .iter()
                .take(RELATIONSHIPS_WITH_CREDITS)
                .map(|pair| pair.b.key.as_str())
                .collect();
            let credits = ledger::credits_with(store, &wanted, &keys)?;
            let offered = open_handovers(store, &user, |units| units.contains(&party.id))?;
            (credits, offered)
        } else {
            (Vec::new(), Vec::new())
        };
        let timeline = read_models::timeline(store, &wanted)?;
        let gestures = ledger::list_gestures(
            store,
            &GestureQuery {
                party: Some(&wanted),
                kind: f.kind.as_deref(),
                from: f.from.as_deref(),
                until: f.until.as_deref(),
                cursor: f.cursor.as_deref(),
                limit: Some(50),
                newest_first: true,
                attributed: true,
                ..GestureQuery::default()
            },
        );
        let kinds = ledger::kinds(store)?;
        let promises =
            ledger::pair_promises(store, &wanted, None, Default::default(), PROMISES_SHOWN)?;
        Ok(PartyData {
            party,
            promises,
            credits,
            offered,
            memberships,
            counterparts,
            counterpart_page,
            people,
            zone: balans_store::store::zone_of(store)?,
            timeline,
            gestures,
            kinds,
        })
    })
    .await?;
    let data = match data {
        Ok(data) => data,
        Err(LedgerError::NotFound { message, said }) => {
            return Ok(not_found(
                &session,
                &i18n::said_or(lang, said.as_ref(), &message),
            ));
        }
        Err(LedgerError::UnknownParty(key)) => {
            return Ok(not_found(&session, &i18n::unknown_party(lang, &key)));
        }
        Err(e) => {
            return Ok(parts::error_page(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                lang,
                &e.to_string(),
            ));
        }
    };
    let fields = &data.party.fields;
    let here = format!("/parties/{}", super::encode(fields.key.as_str()));
    let content = html! {
        p.subtitle {
            code { (fields.key.as_str()) } " · " (t(kind_text(fields.kind)))
            @if let Some(email) = &fields.email { " · " (email) }
            @if let Some(phone) = &fields.phone { " · " (phone) }
            @if session.can_write() { " · " a href={ (here) "/edit" } { (t(T::Edit)) } }
        }
        @if let Some(note) = &fields.note { p.note { (note) } }
        div.columns {
            section aria-labelledby="scale-heading" {
                h2 #scale-heading { (t(T::GivenAndReceived)) " · " (t(views::level_text(data.timeline.level))) }
                (svg::scale(lang, data.timeline.given, data.timeline.received))
                @if fields.kind == PartyKind::Organization {
                    // Counted after the page: for a large organization it takes a while.
                    div #organization-totals hx-get={ (here) "/credits" } hx-trigger="load" hx-swap="outerHTML" {
                        p.hint { a href={ (here) "/credits" } { (t(T::CountingCredits)) } }
                    }
                }
            }
            section aria-labelledby="timeline-heading" {
                h2 #timeline-heading { (t(T::CreditOverTime)) }
                (svg::timeline(lang, &data.timeline.points))
            }
        }
        section aria-labelledby="memberships-heading" {
            h2 #memberships-heading { @if fields.kind == PartyKind::Organization { (t(T::People)) } @else { (t(T::Memberships)) } }
            @if data.memberships.is_empty() {
                p.empty { (t(T::NoMemberships)) }
            } @else {
                table.memberships {
                    thead { tr {
                        th scope="col" { (t(T::Person)) }
                        th scope="col" { (t(T::Organization)) }
                        th scope="col" { (t(T::Role)) }
                        th scope="col" { (t(T::From)) }
                        th scope="col" { (t(T::Until)) }
                        @if session.can_write() { th scope="col" { span.visually-hidden { (t(T::Actions)) } } }
                    } }
                    tbody {
                        @for m in &data.memberships {
                            tr {
                                td { (views::party_link_titled(&m.person, &m.person_name)) }
                                td { (views::party_link_titled(&m.organization, &m.organization_name)) }
                                td { (t(membership_role(m.role))) }
                                td { (m.from.get(..10).unwrap_or(&m.from)) }
                                td { (m.until.as_deref().map(|u| u.get(..10).unwrap_or(u)).unwrap_or("–")) }
                                @if session.can_write() {
                                    td { @if m.until.is_none() { (party_forms::end_membership_form(&session, m, fields.key.as_str())) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if session.can_write() {
            (party_forms::membership_form(&session, fields.key.as_str(), fields.kind))
        }
        section aria-labelledby="counterparts-heading" {
            h2 #counterparts-heading { (t(T::Counterparts)) " · " (t(views::level_text(data.counterparts.level))) }
            (level_switch(lang, &here, data.counterparts.level))
            @if data.counterparts.level == Level::Organization && fields.kind == PartyKind::Person && !data.memberships.is_empty() {
                p.explained { (T::MemberAtOrganizationLevel.get(lang).replace("{name}", &fields.name)) }
            }
            (counterpart_table(lang, &data.counterparts))
            (counterpart_pager(lang, &here, &data.counterparts, data.counterpart_page))
            @if data.counterparts.total > 0 {
                p.export { a href={ (here) "/counterparts.csv?level=" (data.counterparts.level.as_str()) } download { (t(T::ExportCsv)) } }
            }
        }
        @if !data.credits.is_empty() {
            (organization_credits(lang, &data.credits))
        }
        @if !data.offered.is_empty() {
            (handovers_section(lang, &session.csrf, &here, &data.offered))
        }
        (super::promise_views::pair_section(&session, &data.zone, &fields.name, None, &data.promises, &here))
        @if !data.people.is_empty() {
            section aria-labelledby="people-heading" {
                h2 #people-heading { (t(T::PeopleBalances)) }
                p.explained { (t(T::PeopleBalancesExplained)) }
                @for (membership, _, counterparts) in &data.people {
                    @if let Some(counterparts) = counterparts {
                        h3 { (party_link(&membership.person, &counterparts.party.name)) " · " (t(membership_role(membership.role))) }
                        (counterpart_table(lang, counterparts))
                        @if counterparts.total > counterparts.counterparts.len() {
                            p.hint { a href={ "/parties/" (super::encode(&membership.person)) } {
                                (T::AllCounterparts.get(lang).replace("{count}", &counterparts.total.to_string()))
                            } }
                        }
                    }
                }
                @if data.people.iter().any(|(_, _, top)| top.is_none()) {
                    h3 { (t(T::OtherPeople)) }
                    div.scroll {
                        table.people {
                            thead { tr {
                                th scope="col" { (t(T::Person)) }
                                th scope="col" { (t(T::Role)) }
                                th scope="col" class="num" { (t(T::Gestures)) }
                                th scope="col" class="num" { (t(T::GaveColumn)) }
                                th scope="col" class="num" { (t(T::ReceivedColumn)) }
                                th scope="col" { (t(T::LastContact)) }
                            } }
                            tbody {
                                @for (m, sums, _) in data.people.iter().filter(|(_, _, top)| top.is_none()) {
                                    tr {
                                        td { (views::party_link_titled(&m.person, &m.person_name)) }
                                        td { (t(membership_role(m.role))) @if let Some(until) = &m.until { " (" (t(T::Until)) " " (until.get(..10).unwrap_or(until)) ")" } }
                                        td.num { (views::number(lang, sums.count())) }
                                        td.num { (views::points(lang, i128::from(sums.credit.a_to_b))) }
                                        td.num { (views::points(lang, i128::from(sums.credit.b_to_a))) }
                                        td { (sums.last().map(|at| at.display_in(&data.zone).chars().take(10).collect::<String>()).unwrap_or_else(|| "–".to_string())) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="gestures-heading" {
            h2 #gestures-heading { (t(T::Gestures)) }
            form.filter method="get" action=(here) hx-get=(here) hx-target="#party-gestures" hx-select="#party-gestures" hx-swap="outerHTML" {
                @if let Some(level) = level { input type="hidden" name="level" value=(level.as_str()); }
                div.field {
                    label for="filter-kind" { (t(T::Kind)) }
                    select #filter-kind name="kind" {
                        option value="" { (t(T::AllKinds)) }
                        @for kind in &data.kinds {
                            option value=(kind.def.code.as_str()) selected[filter.kind.as_deref() == Some(kind.def.code.as_str())] { (views::label_of(lang, &kind.def)) }
                        }
                    }
                }
                div.field {
                    label for="filter-from" { (t(T::From)) }
                    input #filter-from type="date" name="from" value=(filter.from.as_deref().unwrap_or(""));
                }
                div.field {
                    label for="filter-until" { (t(T::Until)) }
                    input #filter-until type="date" name="until" value=(filter.until.as_deref().unwrap_or(""));
                }
                button type="submit" { (t(T::Filter)) }
            }
            div #party-gestures {
                @match &data.gestures {
                    Err(e) => { (parts::notice("error", &super::forms::messages(lang, e))) }
                    Ok(page) if page.gestures.is_empty() => { p.empty { (t(T::NoGesturesFound)) } }
                    Ok(page) => {
                        p.summary { a href={ (here) "/gestures.csv?"
                            @if let Some(k) = &filter.kind { "kind=" (super::encode(k)) "&" }
                            @if let Some(f) = &filter.from { "from=" (super::encode(f)) "&" }
                            @if let Some(u) = &filter.until { "until=" (super::encode(u)) } } download { (t(T::ExportCsv)) } }
                        (views::gesture_table(lang, &data.kinds, &page.gestures, session.can_write().then_some(here.as_str())))
                        @if let Some(next) = &page.next_cursor {
                            p { a href={ (here) "?cursor=" (super::encode(next))
                                @if let Some(level) = level { "&level=" (level.as_str()) }
                                @if let Some(k) = &filter.kind { "&kind=" (super::encode(k)) }
                                @if let Some(f) = &filter.from { "&from=" (super::encode(f)) }
                                @if let Some(u) = &filter.until { "&until=" (super::encode(u)) } } { (t(T::Older)) } }
                        }
                    }
                }
            }
        }
    };
    Ok(respond(
        &session,
        &headers,
        Section::Parties,
        &fields.name,
        content,
    ))
}

fn counterpart_table(lang: Lang, counterparts: &ledger::Counterparts) -> Markup {
    if counterparts.counterparts.is_empty() {
        return html! { p.empty { (T::NoCounterparts.get(lang)) } };
    }
    views::pairs_table(lang, &counterparts.counterparts, |pair| &pair.b)
}

/// The counterparts shown for each person on an organization's page; their own
/// page shows all.
const PEOPLE_COUNTERPARTS_SHOWN: usize = 5;
/// An organization's people shown with their own largest imbalances; the others
/// are listed with their sums.
const PEOPLE_WITH_COUNTERPARTS: usize = 5;
/// A party's counterparts shown on one page of its page.
const COUNTERPARTS_PER_PAGE: usize = 50;
/// The relationships at the top of an organization's page shown with their
/// credits: each costs a read of the smaller side's gestures.
const RELATIONSHIPS_WITH_CREDITS: usize = 10;

/// The promises a relationship's or a party's page lists, the soonest due first.
const PROMISES_SHOWN: usize = 10;

/// Pages through a party's counterparts, when they do not fit on one.
fn counterpart_pager(
    lang: Lang,
    here: &str,
    counterparts: &ledger::Counterparts,
    page: usize,
) -> Markup {
    let t = |text: T| text.get(lang);
    let pages = counterparts.total.div_ceil(COUNTERPARTS_PER_PAGE).max(1);
    let href = |page: usize| {
        format!(
            "{here}?level={}&cpage={}#counterparts-heading",
            counterparts.level.as_str(),
            page + 1
        )
    };
    html! {
        @if pages > 1 {
            nav.pager aria-label=(t(T::Pages)) {
                @if page > 0 { a href=(href(page - 1)) rel="prev" { (t(T::PreviousPage)) } " " }
                span { (T::PageOf.get(lang).replace("{page}", &(page + 1).to_string()).replace("{pages}", &pages.to_string())) }
                " · " (T::CounterpartsCount.get(lang).replace("{count}", &views::number(lang, counterparts.total)))
                @if page + 1 < pages { " " a href=(href(page + 1)) rel="next" { (t(T::NextPage)) } }
            }
        }
    }
}

/// The most gestures a relationship page lists.
const RELATION_GESTURES_MAX: usize = 500;

#[derive(Deserialize, Default)]
pub(super) struct LevelForm {
    level: Option<String>,
}

impl LevelForm {
    /// The level asked for; none (the default level) when absent or unknown.
    pub(super) fn level(&self) -> Option<Level> {
        match self.level.as_deref() {
            Some("person") => Some(Level::Person),
            Some("organization") => Some(Level::Organization),
            _ => None,
        }
    }
}

/// Links to the same page at each level, the one shown marked current.
fn level_switch(lang: Lang, here: &str, shown: Level) -> Markup {
    let t = |text: T| text.get(lang);
    html! {
        nav.levels aria-label=(t(T::LevelSwitch)) {
            (t(T::LevelSwitch)) ": "
            @for level in [Level::Organization, Level::Person] {
                @if level == shown {
                    a href={ (here) "?level=" (level.as_str()) } aria-current="page" { strong { (t(views::level_text(level))) } }
                } @else {
                    a href={ (here) "?level=" (level.as_str()) } { (t(views::level_text(level))) }
                }
                " "
            }
        }
    }
}

/// `GET /relations/{a}/{b}`: a pair's balance in both dimensions at a level (the
/// default level, or `?level=`), what each side gave in words, the people behind a
/// person's part, and the gestures between them in time order.
pub async fn relation(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path((a, b)): Path<(String, String)>,
    Query(form): Query<LevelForm>,
) -> Result<Response, Refusal> {
    relation_page(&state, &session, &headers, a, b, form.level(), None).await
}

/// An offer of a handover refused: what was typed, and why.
struct OfferRefused {
    a: String,
    b: String,
    to: String,
    share: String,
    message: String,
}

/// A relationship's page; with an offer refused, that offer's form keeps what
/// was typed and says why.
async fn relation_page(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    a: String,
    b: String,
    level: Option<Level>,
    refused: Option<OfferRefused>,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let t = |text: T| text.get(lang);
    let here = format!("/relations/{}/{}", super::encode(&a), super::encode(&b));
    let user = session.user.clone();
    let page = (a.clone(), b.clone());
    let data = read(state, lang, move |store| {
        let relationship = read_models::relationship(store, &a, &b, level, RELATION_GESTURES_MAX)?;
        // Credits belong to people: shown between two parties at organization
        // level, not for a person's part of an organization's relationships.
        // Shown at organization level where person pairs are behind it: not
        // for the part of a member of another organization.
        let credits = if relationship.pair.level == Level::Organization {
            ledger::credits(store, &a, Some(&b), None)?
                .pop()
                .filter(|c| !c.pairs.is_empty())
        } else {
            None
        };
        let offered = match &credits {
            Some(c) => {
                let pair = [c.a.id, c.b.id];
                open_handovers(store, &user, |units| {
                    units == pair || units == [pair[1], pair[0]]
                })?
            }
            None => Vec::new(),
        };
        let candidates = match &credits {
            Some(c) if user.role.allows(balans_core::UserRole::Staff) => {
                ledger::handover_candidates(store, c, Moment::now())?
            }
            _ => Vec::new(),
        };
        let promises =
            ledger::pair_promises(store, &a, Some(&b), Default::default(), PROMISES_SHOWN)?;
        let zone = balans_store::store::zone_of(store)?;
        Ok((
            relationship,
            ledger::kinds(store)?,
            credits,
            offered,
            candidates,
            (promises, zone),
        ))
    })
    .await?;
    let (relationship, kinds, credits, offered, candidates, (promises, zone)) = match data {
        Ok(data) => data,
        Err(LedgerError::NotFound { message, said }) => {
            return Ok(not_found(
                session,
                &i18n::said_or(lang, said.as_ref(), &message),
            ));
        }
        Err(LedgerError::UnknownParty(key)) => {
            return Ok(not_found(session, &i18n::unknown_party(lang, &key)));
        }
        Err(LedgerError::Invalid(errors)) => {
            let message = errors
                .iter()
                .map(|e| i18n::said(lang, e))
                .collect::<Vec<_>>()
                .join("; ");
            return Ok(not_found(session, &message));
        }
        Err(e) => {
            return Ok(parts::error_page(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                lang,
                &e.to_string(),
            ));
        }
    };
    let pair = &relationship.pair;
    let (person, organization) = if pair.a.kind == PartyKind::Person {
        (&pair.a, &pair.b)
    } else {
        (&pair.b, &pair.a)
    };
    let title = format!("{} ⇄ {}", pair.a.name, pair.b.name);
    let newest_first: Vec<_> = relationship.gestures.iter().rev().cloned().collect();
    let content = html! {
        (level_switch(lang, &here, pair.level))
        @if pair.part {
            p.explained {
                (T::PartExplained.get(lang).replace("{person}", &person.name).replace("{organization}", &organization.name))
            }
        }
        (views::pair_summary(lang, pair, relationship.split.as_ref()))
        (super::promise_views::pair_section(session, &zone, &pair.a.name, Some(&pair.b.name), &promises, &here))
        @if let Some(credits) = &credits {
            (credits_section(lang, credits))
        }
        @if !offered.is_empty() {
            (handovers_section(lang, &session.csrf, &here, &offered))
        }
        @if !candidates.is_empty() {
            (offer_section(lang, &session.csrf, (&page.0, &page.1), &candidates, refused.as_ref()))
        }
        @if !relationship.behind.is_empty() {
            section aria-labelledby="pair-behind" {
                h2 #pair-behind { (t(T::PeopleBehind)) " · " (t(T::PersonLevel)) }
                (views::pairs_table(lang, &relationship.behind, |v| if v.a.key == person.key { &v.b } else { &v.a }))
            }
        }
        section aria-labelledby="pair-gestures" {
            h2 #pair-gestures { (t(T::GesturesNewestFirst)) }
            @if relationship.gestures.is_empty() {
                p.empty { (t(T::NoGesturesFound)) }
            } @else {
                p.summary { a href={ (here) "/gestures.csv?level=" (pair.level.as_str()) } download { (t(T::ExportCsv)) } }
                @if relationship.total > relationship.gestures.len() { p.hint { (t(T::LatestOnly)) } }
                (views::gesture_table(lang, &kinds, &newest_first, None))
            }
        }
    };
    let mut response = respond(session, headers, Section::Parties, &title, content);
    if refused.is_some() {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// A relationship's credits (docs/credits.md): the four figures, the key
/// persons, and the person pairs behind it, live or dormant.
fn credits_section(lang: Lang, credits: &ledger::CreditsView) -> Markup {
    let t = |text: T| text.get(lang);
    let sum = |s: balans_core::Sum| i128::from(s.0);
    let side = |name: &str| t(T::CreditsSideGave).replace("{name}", name);
    html! {
        section aria-labelledby="pair-credits" {
            h2 #pair-credits { (t(T::CreditsHeading)) }
            p.explained { (t(T::CreditsExplained)) }
            div.scroll {
                table.credits {
                    thead {
                        tr {
                            th scope="col" { (t(T::Credit)) }
                            th scope="col" .num { (side(&credits.a.name)) }
                            th scope="col" .num { (side(&credits.b.name)) }
                            th scope="col" .num { (t(T::Net)) }
                        }
                    }
                    tbody {
                        @for (label, figure) in [
                            (T::CreditsHistorical, &credits.historical),
                            (T::CreditsLive, &credits.live),
                            (T::CreditsDormant, &credits.dormant),
                            (T::CreditsHandedOver, &credits.handed_over),
                        ] {
                            tr {
                                th scope="row" { (t(label)) }
                                td.num { (views::points(lang, sum(figure.credit.a_to_b))) }
                                td.num { (views::points(lang, sum(figure.credit.b_to_a))) }
                                td.num { (views::points(lang, figure.credit.net.0)) }
                            }
                        }
                    }
                }
            }
            @if credits.key_persons.is_empty() {
                p { (t(T::NoKeyPerson)) }
            } @else {
                ul.key-persons {
                    @for person in &credits.key_persons {
                        @let share = format!("{}%", views::number(lang, percent(&person.share)));
                        li { (t(T::KeyPersonCarries).replace("{name}", &person.party.name).replace("{share}", &share)) }
                    }
                }
            }
            @if !credits.pairs.is_empty() {
                h3 { (t(T::PersonPairs)) }
                div.scroll {
                    table.person-pairs {
                        thead {
                            tr {
                                th scope="col" { (credits.a.name) }
                                th scope="col" { (credits.b.name) }
                                th scope="col" { (t(T::Credit)) }
                                th scope="col" .num { (t(T::GaveColumn)) }
                                th scope="col" .num { (t(T::ReceivedColumn)) }
                            }
                        }
                        tbody {
                            @for pair in &credits.pairs {
                                tr {
                                    td { (views::party_link(pair.a.key.as_str(), &pair.a.name)) }
                                    td { (views::party_link(pair.b.key.as_str(), &pair.b.name)) }
                                    td { (t(if pair.state == "live" { T::CreditsLive } else { T::CreditsDormant })) }
                                    td.num { (views::points(lang, sum(pair.credit.a_to_b) + sum(pair.handed_in.credit.a_to_b))) }
                                    td.num { (views::points(lang, sum(pair.credit.b_to_a) + sum(pair.handed_in.credit.b_to_a))) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// An organization's relationships with their live, dormant and handed-over
/// credit (net, from the organization's side) and their key persons.
fn organization_credits(lang: Lang, credits: &[ledger::CreditsView]) -> Markup {
    let t = |text: T| text.get(lang);
    html! {
        section aria-labelledby="organization-credits" {
            h2 #organization-credits { (t(T::OrganizationCredits)) }
            p.explained { (t(T::OrganizationCreditsExplained)) }
            div.scroll {
                table.organization-credits {
                    thead {
                        tr {
                            th scope="col" { (t(T::Counterpart)) }
                            th scope="col" .num { (t(T::CreditsHistorical)) }
                            th scope="col" .num { (t(T::CreditsLive)) }
                            th scope="col" .num { (t(T::CreditsDormant)) }
                            th scope="col" .num { (t(T::CreditsHandedOver)) }
                            th scope="col" { (t(T::KeyPersons)) }
                        }
                    }
                    tbody {
                        @for c in credits {
                            tr {
                                td { a href=(views::relation_href(c.a.key.as_str(), c.b.key.as_str(), Level::Organization)) { (c.b.name) } }
                                td.num { (views::points(lang, c.historical.credit.net.0)) }
                                td.num { (views::points(lang, c.live.credit.net.0)) }
                                td.num { (views::points(lang, c.dormant.credit.net.0)) }
                                td.num { (views::points(lang, c.handed_over.credit.net.0)) }
                                td {
                                    @if c.key_persons.is_empty() { "–" }
                                    @for (i, person) in c.key_persons.iter().enumerate() {
                                        @if i > 0 { ", " }
                                        (t(T::KeyPersonShare).replace("{name}", &person.party.name).replace("{share}", &format!("{}%", views::number(lang, percent(&person.share)))))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A share's fraction ("0.8387") as a whole percentage, rounded down ("83").
fn percent(fraction: &str) -> u32 {
    let (whole, decimals) = fraction.split_once('.').unwrap_or((fraction, "0"));
    let whole: u32 = whole.parse().unwrap_or(0);
    let first_two: u32 = decimals.get(..2).and_then(|d| d.parse().ok()).unwrap_or(0);
    whole * 100 + first_two
}

/// The offered handovers of a relationship, each with whether `user` may
/// decide on it (see `ledger::Decider`).
fn open_handovers<S: Store + ?Sized>(
    store: &mut S,
    user: &balans_core::User,
    between: impl Fn([balans_core::PartyId; 2]) -> bool,
) -> Result<Vec<(ledger::HandoverView, bool)>, LedgerError> {
    let mut open = Vec::new();
    for handover in ledger::handovers(store)? {
        let units = [handover.left_unit.id, handover.other_unit.id];
        if handover.state != "offered" || !between(units) {
            continue;
        }
        let may = match store.linked_user(handover.successor.id)? {
            Some(linked) => linked == user.id,
            None => user.role.allows(balans_core::UserRole::Staff),
        };
        open.push((handover, may));
    }
    Ok(open)
}

/// Offered handovers, with the buttons to accept or decline for whoever may.
fn handovers_section(
    lang: Lang,
    csrf: &str,
    back: &str,
    offered: &[(ledger::HandoverView, bool)],
) -> Markup {
    let t = |text: T| text.get(lang);
    html! {
        section aria-labelledby="pair-handovers" {
            h2 #pair-handovers { (t(T::HandoversOffered)) }
            ul.handovers {
                @for (handover, may) in offered {
                    li {
                        (t(T::HandoverOffer)
                            .replace("{successor}", &handover.successor.name)
                            .replace("{share}", &handover.share.to_string())
                            .replace("{left}", &handover.left.name)
                            .replace("{other}", &handover.other.name))
                        " "
                        @if *may {
                            form.inline method="post" action={ "/handovers/" (handover.id) } {
                                input type="hidden" name="csrf" value=(csrf);
                                input type="hidden" name="back" value=(back);
                                button type="submit" name="decision" value="accept" { (t(T::AcceptHandover)) }
                                " "
                                button type="submit" name="decision" value="decline" { (t(T::DeclineHandover)) }
                            }
                        } @else {
                            (t(T::HandoverWaiting).replace("{successor}", &handover.successor.name))
                        }
                    }
                }
            }
        }
    }
}

/// For staff: a form per dormant pair whose side has members now, to offer
/// its credits to one of them.
fn offer_section(
    lang: Lang,
    csrf: &str,
    page: (&str, &str),
    candidates: &[ledger::HandoverCandidate],
    refused: Option<&OfferRefused>,
) -> Markup {
    let t = |text: T| text.get(lang);
    html! {
        section aria-labelledby="offer-handover" {
            h2 #offer-handover { (t(T::OfferHandover)) }
            p.explained { (t(T::OfferHandoverExplained)) }
            @for (i, candidate) in candidates.iter().enumerate() {
                @let typed = refused.filter(|r| r.a == candidate.left.key.as_str() && r.b == candidate.other.key.as_str());
                form.inline.offer method="post" action="/handovers" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="page_a" value=(page.0);
                    input type="hidden" name="page_b" value=(page.1);
                    input type="hidden" name="a" value=(candidate.left.key.as_str());
                    input type="hidden" name="b" value=(candidate.other.key.as_str());
                    @if let Some(typed) = typed {
                        (parts::notice("error", &typed.message))
                    }
                    p {
                        (t(T::OfferWhat).replace("{left}", &candidate.left.name).replace("{other}", &candidate.other.name))
                        " "
                        label for={ "offer-to-" (i) } { (t(T::OfferTo)) }
                        " "
                        select id={ "offer-to-" (i) } name="to" {
                            @for successor in &candidate.successors {
                                option value=(successor.key.as_str()) selected[typed.is_some_and(|r| r.to == successor.key.as_str())] { (successor.name) }
                            }
                        }
                        " "
                        label for={ "offer-share-" (i) } { (t(T::OfferShare)) }
                        " "
                        input id={ "offer-share-" (i) } type="text" inputmode="numeric" name="share" size="4"
                            value=(typed.map_or("100", |r| r.share.as_str()))
                            aria-invalid=[typed.map(|_| "true")];
                        " "
                        button type="submit" { (t(T::Offer)) }
                    }
                }
            }
        }
    }
}

#[derive(serde::Deserialize)]
pub struct OfferForm {
    csrf: String,
    /// The relationship whose page the offer was made on.
    page_a: Option<String>,
    page_b: Option<String>,
    a: String,
    b: String,
    to: String,
    share: Option<String>,
}

/// `POST /handovers`: a staff user offers a dormant pair's credits to a
/// successor; then back to the page.
pub async fn offer_handover(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    axum::Form(form): axum::Form<OfferForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(balans_core::UserRole::Staff)?;
    let lang = session.lang;
    let typed = form
        .share
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let (a, b, to) = (form.a.clone(), form.b.clone(), form.to.clone());
    let outcome = match typed.as_deref().map(|s| (s, s.parse::<u8>())) {
        Some((text, Err(_))) => Err(LedgerError::Invalid(vec![
            balans_store::field::Error::new(
                "share",
                format!("a share is a percentage from 0 to 100, not {text}"),
            )
            .said(balans_store::field::Code::HandoverShare, &[("share", text)]),
        ])),
        parsed => {
            let share = parsed.and_then(|(_, share)| share.ok());
            state
                .db
                .write(move |store| {
                    ledger::offer_handover(store, &a, &b, &to, share, Moment::now())
                })
                .await
        }
    };
    match (outcome, form.page_a, form.page_b) {
        (Ok(_), Some(a), Some(b)) => {
            let back = format!(
                "/relations/{}/{}#pair-handovers",
                super::encode(&a),
                super::encode(&b)
            );
            Ok(axum::response::Redirect::to(&back).into_response())
        }
        (Ok(_), _, _) => Ok(axum::response::Redirect::to("/").into_response()),
        (Err(e), Some(a), Some(b)) if !matches!(e, LedgerError::Store(_)) => {
            let offer = OfferRefused {
                a: form.a,
                b: form.b,
                to: form.to,
                share: typed.unwrap_or_default(),
                message: super::forms::failed(lang, &e),
            };
            relation_page(&state, &session, &headers, a, b, None, Some(offer)).await
        }
        (Err(e), _, _) => Ok(refused(lang, &e)),
    }
}

/// A write of a credits form refused: its reason on a page, with the status
/// that says why (not allowed, not there, or not accepted).
pub(super) fn refused(lang: Lang, e: &LedgerError) -> Response {
    let status = match e {
        LedgerError::Forbidden { .. } => axum::http::StatusCode::FORBIDDEN,
        LedgerError::NotFound { .. } | LedgerError::UnknownParty(_) => {
            axum::http::StatusCode::NOT_FOUND
        }
        _ => axum::http::StatusCode::UNPROCESSABLE_ENTITY,
    };
    parts::error_page(status, lang, &super::forms::failed(lang, e))
}

#[derive(serde::Deserialize)]
pub struct DecisionForm {
    csrf: String,
    decision: String,
    back: Option<String>,
}

/// `POST /handovers/{id}`: the successor's user (or, for a successor who is not
/// a user, a staff user) accepts or declines; then back to the page.
pub async fn decide_handover(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<DecisionForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    let lang = session.lang;
    let user = session.user.clone();
    let decision = form.decision.clone();
    let outcome = state
        .db
        .write(move |store| {
            let by = ledger::Decider::User(&user);
            let now = Moment::now();
            match decision.as_str() {
                "accept" => ledger::accept_handover(store, id, now, None, by),
                _ => ledger::end_handover(
                    store,
                    id,
                    balans_core::HandoverState::Declined,
                    now,
                    None,
                    by,
                ),
            }
        })
        .await;
    match outcome {
        Ok(_) => {
            let back = form
                .back
                .as_deref()
                .and_then(parts::local_path)
                .unwrap_or("/");
            Ok(axum::response::Redirect::to(back).into_response())
        }
        Err(e) => Ok(refused(lang, &e)),
    }
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /alerts/{id}/dismiss`: staff dismiss an alert of credits gone
/// dormant; then back to the dashboard.
pub async fn dismiss_alert(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Result<Response, Refusal> {
    session.check_csrf(&form.csrf)?;
    session.require(balans_core::UserRole::Staff)?;
    let lang = session.lang;
    let outcome = state
        .db
        .write(move |store| ledger::dismiss_alert(store, id, Moment::now()))
        .await;
    match outcome {
        Ok(()) => Ok(axum::response::Redirect::to("/#alerts-title").into_response()),
        Err(e) => Ok(refused(lang, &e)),
    }
}

/// `GET /parties/{key}/credits`: an organization's credits over all its
/// relationships, historical, live, dormant and handed over; the part of its
/// page counted after the page.
pub async fn organization_totals(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Result<Response, Refusal> {
    let lang = session.lang;
    let t = |text: T| text.get(lang);
    let wanted = key.clone();
    let totals = read(&state, lang, move |store| {
        ledger::organization_credits(store, &wanted, None)
    })
    .await?;
    let totals = match totals {
        Ok(totals) => totals,
        Err(LedgerError::UnknownParty(key)) => {
            return Ok(not_found(&session, &i18n::unknown_party(lang, &key)));
        }
        Err(e) => return Ok(refused(lang, &e)),
    };
    let sum = |s: balans_core::Sum| i128::from(s.0);
    let content = html! {
        div #organization-totals {
            h3 { (t(T::CreditsHeading)) }
            table.credits {
                thead {
                    tr {
                        th scope="col" { (t(T::Credit)) }
                        th scope="col" .num { (t(T::GaveColumn)) }
                        th scope="col" .num { (t(T::ReceivedColumn)) }
                        th scope="col" .num { (t(T::Net)) }
                    }
                }
                tbody {
                    @for (label, figure) in [
                        (T::CreditsHistorical, &totals.historical),
                        (T::CreditsLive, &totals.live),
                        (T::CreditsDormant, &totals.dormant),
                        (T::CreditsHandedOver, &totals.handed_over),
                    ] {
                        tr {
                            th scope="row" { (t(label)) }
                            td.num { (views::points(lang, sum(figure.credit.a_to_b))) }
                            td.num { (views::points(lang, sum(figure.credit.b_to_a))) }
                            td.num { (views::points(lang, figure.credit.net.0)) }
                        }
                    }
                }
            }
        }
    };
    Ok(respond(
        &session,
        &headers,
        Section::Parties,
        &totals.organization.name,
        content,
    ))
}
