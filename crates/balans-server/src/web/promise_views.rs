//! Promises as the web app shows them (`docs/promises.md`): in plain words,
//! listed by when they fall due, kept in one click; the agenda the promises
//! page and the dashboard show, and a party's or a relationship's promises
//! with their kept rate. The pages that show them are in `promises.rs`,
//! `pages.rs`.

use balans_core::{Moment, Zone};
use balans_store::ledger::{self, KeptRate, PairPromises, PromiseQuery, PromiseView};
use balans_store::{LedgerError, Store};
use maud::{Markup, html};

use super::i18n::{Lang, T};
use super::session::Session;
use super::views;

const DAY_MS: i64 = 86_400_000;

/// What is due and what was broken, as of a moment: a page of each.
pub(super) struct Agenda {
    pub overdue: Vec<PromiseView>,
    pub today: Vec<PromiseView>,
    pub week: Vec<PromiseView>,
    pub broken: Vec<PromiseView>,
    /// Whether the page shows the pending promises, and the broken ones.
    pub shows_due: bool,
    pub shows_broken: bool,
    /// The cursor of the next page of pending promises, when there is one.
    pub more_due: Option<String>,
    /// The cursor of the next page of broken ones.
    pub more_broken: Option<String>,
    pub zone: Zone,
}

/// The parts of an agenda's pending promises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Due {
    Overdue,
    Today,
    Week,
}

impl Agenda {
    /// The part the next page of pending promises goes on with, when there
    /// is one: the last part this page fills (they come in due order).
    pub(super) fn continues(&self) -> Option<Due> {
        self.more_due.as_ref()?;
        [
            (Due::Week, &self.week),
            (Due::Today, &self.today),
            (Due::Overdue, &self.overdue),
        ]
        .into_iter()
        .find(|(_, part)| !part.is_empty())
        .map(|(due, _)| due)
    }
}

/// Where an agenda's pages start: the first page of both lists, or a later
/// page of one of them (the other is then left out).
#[derive(Clone, Copy, Debug, Default)]
pub(super) enum AgendaPage<'a> {
    #[default]
    First,
    Due(&'a str),
    Broken(&'a str),
}

impl<'a> AgendaPage<'a> {
    /// From a page's query: a cursor of the pending promises, or else of the
    /// broken ones, or the first page.
    pub(super) fn of(due: Option<&'a str>, broken: Option<&'a str>) -> Self {
        match (due, broken) {
            (Some(cursor), _) => AgendaPage::Due(cursor),
            (None, Some(cursor)) => AgendaPage::Broken(cursor),
            (None, None) => AgendaPage::First,
        }
    }

    /// Where the pending promises start, when this page shows them (`None`
    /// inside: their first page).
    fn due(self) -> Option<Option<&'a str>> {
        match self {
            AgendaPage::First => Some(None),
            AgendaPage::Due(cursor) => Some(Some(cursor)),
            AgendaPage::Broken(_) => None,
        }
    }

    /// Where the broken promises start, when this page shows them.
    fn broken(self) -> Option<Option<&'a str>> {
        match self {
            AgendaPage::First => Some(None),
            AgendaPage::Broken(cursor) => Some(Some(cursor)),
            AgendaPage::Due(_) => None,
        }
    }
}

/// The pending promises due within a week (overdue ones apart, then today's,
/// then the rest of the week) and those broken in the week before `now`, a
/// page of each.
pub(super) fn agenda(
    store: &mut (dyn Store + Send + 'static),
    now: Moment,
    page: AgendaPage<'_>,
) -> Result<Agenda, LedgerError> {
    let zone = balans_store::store::zone_of(store)?;
    let pending = page
        .due()
        .map(|cursor| {
            ledger::promise_page(
                store,
                &PromiseQuery {
                    due_within_ms: Some(7 * DAY_MS),
                    now: Some(now),
                    ..PromiseQuery::default()
                },
                cursor,
                None,
            )
        })
        .transpose()?;
    let broken = page
        .broken()
        .map(|cursor| {
            ledger::promise_page(
                store,
                &PromiseQuery {
                    broken_since: Some(Moment::from_millis(now.millis() - 7 * DAY_MS)),
                    ..PromiseQuery::default()
                },
                cursor,
                None,
            )
        })
        .transpose()?;
    let today = day_of(&zone, now);
    let (mut overdue, mut due_today, mut week) = (Vec::new(), Vec::new(), Vec::new());
    let (pending, more_due) = pending.map_or((Vec::new(), None), |p| (p.promises, p.next_cursor));
    for p in pending {
        if p.due < now {
            overdue.push(p);
        } else if day_of(&zone, p.due) == today {
            due_today.push(p);
        } else {
            week.push(p);
        }
    }
    let (broken, more_broken) = broken.map_or((Vec::new(), None), |p| (p.promises, p.next_cursor));
    Ok(Agenda {
        overdue,
        today: due_today,
        week,
        broken,
        shows_due: page.due().is_some(),
        shows_broken: page.broken().is_some(),
        more_due,
        more_broken,
        zone,
    })
}

/// The local day of a moment, `YYYY-MM-DD`.
fn day_of(zone: &Zone, at: Moment) -> String {
    at.display_in(zone).to_string().chars().take(10).collect()
}

/// A moment in words: "14 March 2025, 17:00", or the day alone at midnight.
fn when(lang: Lang, zone: &Zone, at: Moment) -> String {
    let text = at.display_in(zone).to_string();
    let day = views::long_date(lang, &text);
    match text.get(11..16) {
        Some(time) if time != "00:00" => format!("{day}, {time}"),
        _ => day,
    }
}

/// A promise in plain words: "Bosman Wonen promised Hotel Wadden attention by
/// 14 March, 17:00"; a broken one says it was not kept.
pub(super) fn sentence(lang: Lang, zone: &Zone, p: &PromiseView) -> String {
    let text = if p.state == "broken" {
        T::PromiseBrokenSentence
    } else {
        T::PromiseSentence
    };
    text.get(lang)
        .replace("{promiser}", &p.promiser.name)
        .replace("{promisee}", &p.promisee.name)
        .replace("{kind}", &views::kind_label(lang, &p.kind))
        .replace("{due}", &when(lang, zone, p.due))
}

/// One promise: the sentence, its note, a link to the relationship, and for
/// staff the button that keeps a pending one.
fn item(session: &Session, zone: &Zone, p: &PromiseView, back: &str) -> Markup {
    let lang = session.lang;
    let t = |text: T| text.get(lang);
    let pending = p.state == "open" || p.state == "renegotiated";
    html! {
        li.promise {
            a href=(views::relation_href(p.promiser.key.as_str(), p.promisee.key.as_str(), balans_core::Level::Person)) {
                (sentence(lang, zone, p))
            }
            @if let Some(note) = &p.note {
                " · " q { (note) }
            }
            @if p.dues.len() > 1 {
                " · " (t(T::PromiseMoved))
            }
            @if pending && session.can_write() {
                form.inline method="post" action={ "/promises/" (super::encode(p.id.as_str())) "/keep" } {
                    input type="hidden" name="csrf" value=(session.csrf);
                    input type="hidden" name="back" value=(back);
                    button type="submit" { (t(T::KeepPromise)) }
                }
            }
        }
    }
}

pub(super) fn list(
    session: &Session,
    zone: &Zone,
    id: &str,
    title: T,
    promises: &[PromiseView],
    more: bool,
    back: &str,
) -> Markup {
    let t = |text: T| text.get(session.lang);
    html! {
        section aria-labelledby=(id) {
            h2 id=(id) { (t(title)) " (" (promises.len()) @if more { "+" } ")" }
            @if promises.is_empty() {
                p.empty { (t(T::NoPromisesHere)) }
            } @else {
                ul.promises {
                    @for p in promises { (item(session, zone, p, back)) }
                }
            }
        }
    }
}

/// The dashboard's part: due today and broken this week, when there are any.
pub(super) fn dashboard_section(session: &Session, agenda: &Agenda) -> Markup {
    let t = |text: T| text.get(session.lang);
    let due: Vec<PromiseView> = agenda
        .overdue
        .iter()
        .chain(&agenda.today)
        .cloned()
        .collect();
    html! {
        @if !due.is_empty() || !agenda.broken.is_empty() {
            section.columns aria-label=(t(T::Promises)) {
                @if !due.is_empty() {
                    (list(session, &agenda.zone, "promises-today", T::PromisesDueToday, &due,
                        matches!(agenda.continues(), Some(Due::Overdue | Due::Today)), "/"))
                }
                @if !agenda.broken.is_empty() {
                    (list(session, &agenda.zone, "promises-broken", T::PromisesBrokenThisWeek, &agenda.broken, agenda.more_broken.is_some(), "/"))
                }
            }
            p.more { a href="/promises" { (t(T::AllPromises)) } }
        }
    }
}

/// A kept rate in words: "67% of 3", or that none was resolved yet.
fn rate_words(lang: Lang, rate: &KeptRate) -> String {
    match rate.rate {
        Some(r) => T::KeptRateOf
            .get(lang)
            .replace("{rate}", &format!("{:.0}%", r * 100.0))
            .replace("{count}", &rate.resolved.to_string()),
        None => T::NoneResolvedYet.get(lang).to_string(),
    }
}

/// A relationship's (or a party's) promises: how each side keeps them, and
/// the promises, kept in one click by staff. `b` is none on a party's page:
/// the other side is everyone.
pub(super) fn pair_section(
    session: &Session,
    zone: &Zone,
    a: &str,
    b: Option<&str>,
    pair: &PairPromises,
    back: &str,
) -> Markup {
    let lang = session.lang;
    let t = |text: T| text.get(lang);
    let others = t(T::Others);
    html! {
        section aria-labelledby="pair-promises" {
            h2 #pair-promises { (t(T::Promises)) }
            p.kept-rate {
                (t(T::KeptRate)) ": "
                strong { (a) } " " (rate_words(lang, &pair.rates.a)) " · "
                strong { (b.unwrap_or(others)) } " " (rate_words(lang, &pair.rates.b))
            }
            @if pair.promises.is_empty() {
                p.empty { (t(T::NoPromisesHere)) }
            } @else {
                ul.promises {
                    @for p in &pair.promises { (item(session, zone, p, back)) }
                }
            }
        }
    }
}
