//! Pieces several pages show: a pair's balance, a list of gestures, numbers and
//! labels in the reader's language.

use balans_core::{KindDef, Level};
use balans_store::ledger::{BalanceView, GestureView, PairView};
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

/// A decimal as the reader writes it: a decimal comma in Dutch.
pub fn number(lang: Lang, value: impl std::fmt::Display) -> String {
    let text = value.to_string();
    match lang {
        Lang::Nl => text.replace('.', ","),
        Lang::En => text,
    }
}

pub fn level_text(level: Level) -> T {
    match level {
        Level::Person => T::PersonLevel,
        Level::Organization => T::OrganizationLevel,
    }
}

/// A party's name linking to its page.
pub fn party_link(key: &str, name: &str) -> Markup {
    html! {
        a href={ "/parties/" (super::encode(key)) } { (name) }
    }
}

/// In plain words, who gives more in one dimension of a pair.
pub fn verdict(lang: Lang, pair: &PairView, balance: &BalanceView) -> String {
    let net = balance.net.0;
    if balance.count == 0 {
        return T::NothingYet.get(lang).to_string();
    }
    if net == 0 {
        return T::InBalance.get(lang).to_string();
    }
    let (more, less) = if net > 0 {
        (&pair.a.name, &pair.b.name)
    } else {
        (&pair.b.name, &pair.a.name)
    };
    T::GivesMoreThan
        .get(lang)
        .replace("{a}", more)
        .replace("{b}", less)
}

/// Both dimensions of a pair's balance, as a table.
pub fn pair_summary(lang: Lang, pair: &PairView) -> Markup {
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
                    th scope="col" { (pair.a.name) " → " (pair.b.name) }
                    th scope="col" { (pair.b.name) " → " (pair.a.name) }
                    th scope="col" { (t(T::Net)) }
                    th scope="col" { (t(T::Evenness)) }
                    th scope="col" { (t(T::Gestures)) }
                }
            }
            tbody {
                @for (label, balance) in [(T::Credit, &pair.credit), (T::Money, &pair.money)] {
                    tr {
                        th scope="row" { (t(label)) }
                        td.num { (number(lang, balance.a_to_b)) }
                        td.num { (number(lang, balance.b_to_a)) }
                        td.num { (number(lang, balance.net)) }
                        td.num { (balance.evenness.map(|e| number(lang, e)).unwrap_or_else(|| "–".into())) }
                        td.num { (balance.count) }
                    }
                }
            }
        }
        p.verdict { (verdict(lang, pair, &pair.credit)) }
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
                            td { (party_link(&g.giver, &g.giver)) }
                            td { (party_link(&g.receiver, &g.receiver)) }
                            td { (catalog_label(lang, kinds, &g.kind)) }
                            td.num { (number(lang, g.amount)) }
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
