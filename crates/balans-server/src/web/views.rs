//! Pieces several pages show: a pair's balance, a list of gestures, numbers and
//! labels in the reader's language.

use balans_core::{Dimension, Evenness, KindDef, Level};
use balans_store::ledger::{GestureView, PairView, PartyRef};
use balans_store::views::{GaveTook, Split};
use maud::{Markup, html};

use super::i18n::{Lang, T};

/// A kind's label in the reader's language.
pub fn label_of(lang: Lang, def: &KindDef) -> String {
    match lang {
        Lang::Nl => def.label_nl.clone(),
        Lang::En => def.label_en.clone(),
    }
}

/// The label of a built-in kind, or the code itself.
pub fn kind_label(lang: Lang, code: &str) -> String {
    balans_core::builtin_catalog()
        .iter()
        .find(|k| k.code.as_str() == code)
        .map_or_else(|| code.to_string(), |k| label_of(lang, k))
}

/// The label of a kind in the store's catalog, as an admin last named it.
fn catalog_label(lang: Lang, kinds: &[balans_core::Kind], code: &str) -> String {
    kinds
        .iter()
        .find(|k| k.def.code.as_str() == code)
        .map_or_else(|| code.to_string(), |k| label_of(lang, &k.def))
}

/// A decimal as the reader writes it: a decimal comma in Dutch. For numbers that
/// are neither money nor credit points (a kind's default in a form).
pub fn number(lang: Lang, value: impl std::fmt::Display) -> String {
    let text = value.to_string();
    match lang {
        Lang::Nl => text.replace('.', ","),
        Lang::En => text,
    }
}

/// Hundredths as the reader writes them: digits grouped by three, the language's
/// decimal mark, a real minus sign; without decimals when `whole_bare` and there
/// are none.
fn decimal(lang: Lang, minor: i128, whole_bare: bool) -> String {
    let (group, mark) = match lang {
        Lang::Nl => ('.', ','),
        Lang::En => (',', '.'),
    };
    let magnitude = minor.unsigned_abs();
    let whole = (magnitude / 100).to_string();
    let mut out = String::with_capacity(whole.len() + 8);
    if minor < 0 {
        out.push('−');
    }
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(digit);
    }
    let cents = magnitude % 100;
    if !(whole_bare && cents == 0) {
        out.push(mark);
        out.push_str(&format!("{cents:02}"));
    }
    out
}

/// Money with its currency, as the reader writes it: `€ 1.267,75` in Dutch,
/// `€1,267.75` in English.
pub fn money(lang: Lang, minor: i128) -> String {
    let text = decimal(lang, minor.abs(), false);
    let sign = if minor < 0 { "−" } else { "" };
    match lang {
        Lang::Nl => format!("€ {sign}{text}"),
        Lang::En => format!("{sign}€{text}"),
    }
}

/// Credit points as a number: `72`, or with two decimals when there are any
/// (`1.072,50` in Dutch, `1,072.50` in English).
pub fn points_number(lang: Lang, minor: i128) -> String {
    decimal(lang, minor, true)
}

/// Credit points in running text: "72 points" / "72 punten".
pub fn points_text(lang: Lang, minor: i128) -> String {
    let unit = if minor.abs() == 100 {
        T::PointOne
    } else {
        T::PointsUnit
    };
    format!("{} {}", points_number(lang, minor), unit.get(lang))
}

/// Credit points with their mark, for tables and lists: `◆ 72`, with the unit's
/// name for screen readers.
pub fn points(lang: Lang, minor: i128) -> Markup {
    html! {
        span.points {
            span.mark aria-hidden="true" { "◆" }
            " " (points_number(lang, minor))
            span.visually-hidden { " " (if minor.abs() == 100 { T::PointOne } else { T::PointsUnit }.get(lang)) }
        }
    }
}

/// An amount of a dimension: money with its currency, credit as points.
pub fn amount_of(lang: Lang, dimension: Dimension, minor: i128) -> Markup {
    match dimension {
        Dimension::Money => html! { span.money { (money(lang, minor)) } },
        Dimension::Credit => points(lang, minor),
    }
}

/// How even a relationship is, in words: at least 80% "in balance", at least 50%
/// "leaning", below that "one-sided".
pub fn evenness_word(evenness: Evenness) -> T {
    match evenness.0 {
        8_000.. => T::EvenBalanced,
        5_000.. => T::EvenLeaning,
        _ => T::EvenOneSided,
    }
}

/// Evenness in words and as a whole percentage, rounded down so that the two
/// never disagree at a threshold: "in balance (92%)"; a dash without volume.
pub fn evenness(lang: Lang, evenness: Option<Evenness>) -> String {
    match evenness {
        None => "–".into(),
        Some(e) => format!("{} ({}%)", evenness_word(e).get(lang), e.0 / 100),
    }
}

/// A date written `YYYY-MM-DD` (and whatever follows) in words: "1 maart
/// 2025", "1 March 2025"; as given when it is no date.
pub fn long_date(lang: Lang, date: &str) -> String {
    match (
        date.get(..7),
        date.get(8..10).and_then(|d| d.parse::<u8>().ok()),
    ) {
        (Some(month), Some(day)) if date.as_bytes().get(7) == Some(&b'-') => {
            format!("{day} {}", month_name(lang, month))
        }
        _ => date.to_string(),
    }
}

/// A month written `YYYY-MM` in words: "december 2026", "December 2026".
pub fn month_name(lang: Lang, month: &str) -> String {
    const NL: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let number = month.get(5..7).and_then(|m| m.parse::<usize>().ok());
    match (number, month.get(..4)) {
        (Some(m @ 1..=12), Some(year)) => {
            let names = match lang {
                Lang::Nl => NL,
                Lang::En => EN,
            };
            format!("{} {year}", names[m - 1])
        }
        _ => month.to_string(),
    }
}

pub fn level_text(level: Level) -> T {
    match level {
        Level::Person => T::PersonLevel,
        Level::Organization => T::OrganizationLevel,
    }
}

/// A party's name linking to its page, its key shown on hovering.
pub fn party_link_titled(key: &str, name: &str) -> Markup {
    html! {
        a href={ "/parties/" (super::encode(key)) } title=(key) { (name) }
    }
}

/// The dimension of a kind in the store's catalog (credit when unknown).
fn dimension_of(kinds: &[balans_core::Kind], code: &str) -> Dimension {
    kinds
        .iter()
        .find(|k| k.def.code.as_str() == code)
        .map_or(Dimension::Credit, |k| k.def.dimension)
}

/// A party's name linking to its page.
pub fn party_link(key: &str, name: &str) -> Markup {
    html! {
        a href={ "/parties/" (super::encode(key)) } { (name) }
    }
}

/// The link to a relationship page at a level.
pub fn relation_href(a: &str, b: &str, level: Level) -> String {
    format!(
        "/relations/{}/{}?level={}",
        super::encode(a),
        super::encode(b),
        level.as_str()
    )
}

/// An amount of a dimension in running text.
fn amount_text(lang: Lang, dimension: Dimension, minor: i128) -> String {
    match dimension {
        Dimension::Money => money(lang, minor),
        Dimension::Credit => points_text(lang, minor),
    }
}

/// What one side gave in a dimension, gifts and takes apart: "Ann gave 72 credit
/// points and took back 8".
fn side_sentence(lang: Lang, name: &str, dimension: Dimension, side: &GaveTook) -> String {
    let (given, taken) = (side.given.0, side.taken.0);
    let text = match (given > 0, taken > 0) {
        (true, true) => T::SideGaveTookBack,
        (true, false) => T::SideGave,
        (false, true) => T::SideOnlyTook,
        (false, false) => T::SideGaveNothing,
    };
    text.get(lang)
        .replace("{name}", name)
        .replace("{amount}", &amount_text(lang, dimension, given))
        .replace("{taken}", &amount_text(lang, dimension, taken))
}

/// In plain words, what a pair gave each other in one dimension and who is ahead:
/// each side's gifts and takes (when known), then the net.
pub fn verdict(
    lang: Lang,
    pair: &PairView,
    dimension: Dimension,
    split: Option<(&GaveTook, &GaveTook)>,
) -> String {
    let balance = pair.of(dimension);
    if balance.count == 0 {
        return T::NothingYet.get(lang).to_string();
    }
    let mut sentences = Vec::new();
    if let Some((a, b)) = split {
        sentences.push(side_sentence(lang, &pair.a.name, dimension, a));
        sentences.push(side_sentence(lang, &pair.b.name, dimension, b));
    }
    let net = balance.net.0;
    sentences.push(if net == 0 {
        T::InBalance.get(lang).to_string()
    } else {
        let more = if net > 0 { &pair.a.name } else { &pair.b.name };
        T::NetMore
            .get(lang)
            .replace("{more}", more)
            .replace("{amount}", &amount_text(lang, dimension, net.abs()))
    });
    sentences.join(" ")
}

/// Both dimensions of a pair's balance, as a table with its level and, below it,
/// what each side gave in words.
pub fn pair_summary(lang: Lang, pair: &PairView, split: Option<&Split>) -> Markup {
    let t = |text: T| text.get(lang);
    html! {
        table.balance {
            caption {
                (party_link(pair.a.key.as_str(), &pair.a.name)) " ⇄ "
                (party_link(pair.b.key.as_str(), &pair.b.name))
                " · " (t(level_text(pair.level)))
            }
            thead {
                tr {
                    th scope="col" { (t(T::Dimension)) }
                    th scope="col" .num { (pair.a.name) " → " (pair.b.name) }
                    th scope="col" .num { (pair.b.name) " → " (pair.a.name) }
                    th scope="col" .num { (t(T::Net)) }
                    th scope="col" { (t(T::Evenness)) }
                    th scope="col" .num { (t(T::Gestures)) }
                }
            }
            tbody {
                @for (label, dimension) in [(T::Credit, Dimension::Credit), (T::Money, Dimension::Money)] {
                    @let balance = pair.of(dimension);
                    tr {
                        th scope="row" { (t(label)) }
                        td.num { (amount_of(lang, dimension, i128::from(balance.a_to_b.0))) }
                        td.num { (amount_of(lang, dimension, i128::from(balance.b_to_a.0))) }
                        td.num { (amount_of(lang, dimension, balance.net.0)) }
                        td { (evenness(lang, balance.evenness)) }
                        td.num { (balance.count) }
                    }
                }
            }
        }
        p.verdict { (verdict(lang, pair, Dimension::Credit, split.map(|s| (&s.credit.0, &s.credit.1)))) }
        @if pair.money.count > 0 {
            p.verdict { (verdict(lang, pair, Dimension::Money, split.map(|s| (&s.money.0, &s.money.1)))) }
        }
    }
}

/// Balances of one party with others, as a table: each row names the other side
/// (`other`) and links to the relationship at the pairs' level.
pub fn pairs_table(
    lang: Lang,
    pairs: &[PairView],
    other: impl Fn(&PairView) -> &PartyRef,
) -> Markup {
    let t = |text: T| text.get(lang);
    html! {
        div.scroll {
            table.counterparts {
                thead {
                    tr {
                        th scope="col" rowspan="2" { (t(T::Counterpart)) }
                        th scope="colgroup" colspan="4" { (t(T::Credit)) }
                        th scope="colgroup" colspan="3" { (t(T::Money)) }
                    }
                    tr {
                        th scope="col" .num { (t(T::GaveColumn)) }
                        th scope="col" .num { (t(T::ReceivedColumn)) }
                        th scope="col" .num { (t(T::Net)) }
                        th scope="col" { (t(T::Evenness)) }
                        th scope="col" .num { (t(T::PaidColumn)) }
                        th scope="col" .num { (t(T::PaidToColumn)) }
                        th scope="col" .num { (t(T::Net)) }
                    }
                }
                tbody {
                    @for pair in pairs {
                        @let them = other(pair);
                        tr {
                            td {
                                a href=(relation_href(pair.a.key.as_str(), pair.b.key.as_str(), pair.level)) title=(them.key.as_str()) { (them.name) }
                            }
                            td.num { (points(lang, i128::from(pair.credit.a_to_b.0))) }
                            td.num { (points(lang, i128::from(pair.credit.b_to_a.0))) }
                            td.num { (points(lang, pair.credit.net.0)) }
                            td { (evenness(lang, pair.credit.evenness)) }
                            td.num { (money(lang, i128::from(pair.money.a_to_b.0))) }
                            td.num { (money(lang, i128::from(pair.money.b_to_a.0))) }
                            td.num { (money(lang, pair.money.net.0)) }
                        }
                    }
                }
            }
        }
    }
}

/// Gestures as a table; with `reverse_back`, each gesture that is no reversal has
/// a link to reverse it, returning to that page.
pub fn gesture_table(
    lang: Lang,
    kinds: &[balans_core::Kind],
    gestures: &[GestureView],
    reverse_back: Option<&str>,
) -> Markup {
    let t = |text: T| text.get(lang);
    html! {
        div.scroll {
            table.gestures {
                thead {
                    tr {
                        th scope="col" { (t(T::When)) }
                        th scope="col" { (t(T::Giver)) }
                        th scope="col" { (t(T::Receiver)) }
                        th scope="col" { (t(T::Kind)) }
                        th scope="col" .num { (t(T::Amount)) }
                        th scope="col" { (t(T::Note)) }
                        @if reverse_back.is_some() {
                            th scope="col" { span.visually-hidden { (t(T::Actions)) } }
                        }
                    }
                }
                tbody {
                    @for g in gestures {
                        tr class=[g.reverses.as_ref().map(|_| "reversal")] {
                            td { time { (g.at.get(..16).unwrap_or(&g.at).replace('T', " ")) } }
                            td { (party_link_titled(&g.giver, &g.giver_name)) }
                            td { (party_link_titled(&g.receiver, &g.receiver_name)) }
                            td { (catalog_label(lang, kinds, &g.kind)) }
                            td.num { (amount_of(lang, dimension_of(kinds, &g.kind), i128::from(g.amount.minor()))) }
                            td {
                                @if g.reverses.is_some() { em { (t(T::ReversalOf)) } " " }
                                (g.note.as_deref().unwrap_or(""))
                            }
                            @if let Some(back) = reverse_back {
                                td {
                                    @if g.reverses.is_none() {
                                        a.reverse href={ "/gestures/" (super::encode(g.id.as_str())) "/reverse?back=" (super::encode(back)) } {
                                            (t(T::Reverse))
                                            span.visually-hidden { " " (g.id.as_str()) }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_carries_its_currency_in_the_readers_marks() {
        let cases: &[(i128, &str, &str)] = &[
            (126_775, "€ 1.267,75", "€1,267.75"),
            (0, "€ 0,00", "€0.00"),
            (5, "€ 0,05", "€0.05"),
            (-800, "€ −8,00", "−€8.00"),
            (12_345_678_900, "€ 123.456.789,00", "€123,456,789.00"),
            (100_000, "€ 1.000,00", "€1,000.00"),
        ];
        for &(minor, nl, en) in cases {
            assert_eq!(money(Lang::Nl, minor), nl);
            assert_eq!(money(Lang::En, minor), en);
        }
    }

    #[test]
    fn points_drop_decimals_only_when_there_are_none() {
        let cases: &[(i128, &str, &str)] = &[
            (7_200, "72", "72"),
            (7_250, "72,50", "72.50"),
            (-800, "−8", "−8"),
            (123_400, "1.234", "1,234"),
            (5, "0,05", "0.05"),
        ];
        for &(minor, nl, en) in cases {
            assert_eq!(points_number(Lang::Nl, minor), nl);
            assert_eq!(points_number(Lang::En, minor), en);
        }
        assert_eq!(points_text(Lang::En, 100), "1 credit point");
        assert_eq!(points_text(Lang::Nl, 7_200), "72 punten verdienste");
    }

    #[test]
    fn evenness_is_said_in_words_with_a_percentage() {
        let said = |e: u16, lang| evenness(lang, Some(Evenness(e)));
        assert_eq!(said(10_000, Lang::En), "in balance (100%)");
        assert_eq!(said(8_000, Lang::Nl), "in evenwicht (80%)");
        assert_eq!(said(7_999, Lang::En), "leaning (79%)");
        assert_eq!(said(5_000, Lang::En), "leaning (50%)");
        assert_eq!(said(4_999, Lang::Nl), "eenzijdig (49%)");
        assert_eq!(said(0, Lang::En), "one-sided (0%)");
        assert_eq!(evenness(Lang::En, None), "–");
    }

    #[test]
    fn months_are_named_in_the_readers_language() {
        assert_eq!(month_name(Lang::Nl, "2026-12"), "december 2026");
        assert_eq!(month_name(Lang::En, "2026-03"), "March 2026");
        assert_eq!(month_name(Lang::En, "garbage"), "garbage");
        assert_eq!(long_date(Lang::Nl, "2025-03-01"), "1 maart 2025");
        assert_eq!(
            long_date(Lang::En, "2025-03-01T10:00:00+01:00"),
            "1 March 2025"
        );
        assert_eq!(long_date(Lang::En, "soon"), "soon");
    }
}
