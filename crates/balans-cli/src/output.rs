//! Text output for people: tables and plain words. `--json` output is the serde form
//! of the same views.

use std::fmt::Write;

use balans_core::{Dimension, Kind, Zone};
use balans_store::import::Summary;
use balans_store::ledger::{self, BalanceView, CheckReport, Counterparts, Given, PairView, Report};
use serde::Serialize;

pub fn import_summary(s: &Summary) -> String {
    let mut parts = Vec::new();
    if s.kinds_added + s.kinds_updated > 0 {
        parts.push(format!(
            "{} kinds added, {} changed",
            s.kinds_added, s.kinds_updated
        ));
    }
    if s.parties_added + s.parties_updated > 0 {
        parts.push(format!(
            "{} parties added, {} changed",
            s.parties_added, s.parties_updated
        ));
    }
    if s.memberships_added + s.memberships_updated > 0 {
        parts.push(format!(
            "{} memberships added, {} changed",
            s.memberships_added, s.memberships_updated
        ));
    }
    parts.push(format!(
        "{} gestures added, {} already present",
        s.gestures_added, s.gestures_already_present
    ));
    if s.alerts_added + s.alerts_already_present > 0 {
        parts.push(format!(
            "{} alerts added, {} already present",
            s.alerts_added, s.alerts_already_present
        ));
    }
    if s.links_added + s.links_already_present > 0 {
        parts.push(format!(
            "{} user links added, {} already present",
            s.links_added, s.links_already_present
        ));
    }
    if s.handovers_added + s.handovers_already_present > 0 {
        parts.push(format!(
            "{} handovers added, {} already present",
            s.handovers_added, s.handovers_already_present
        ));
    }
    if s.promises_added + s.promises_already_present > 0 {
        parts.push(format!(
            "{} promises added, {} already present",
            s.promises_added, s.promises_already_present
        ));
    }
    format!(
        "{}{} rows from {} file{} in {:.2} s: {}",
        if s.dry_run {
            "dry run, nothing written: checked "
        } else {
            "imported "
        },
        s.rows,
        s.files,
        if s.files == 1 { "" } else { "s" },
        s.seconds,
        parts.join("; ")
    )
}

fn name(p: &balans_store::ledger::PartyRef) -> String {
    if p.name == p.key.as_str() {
        p.key.to_string()
    } else {
        format!("{} ({})", p.key, p.name)
    }
}

fn date(m: Option<balans_core::Moment>, zone: &Zone) -> String {
    m.map(|m| m.display_in(zone).chars().take(10).collect())
        .unwrap_or_else(|| "-".to_string())
}

fn evenness(b: &BalanceView) -> String {
    b.evenness
        .map_or_else(|| "-".to_string(), |e| e.to_string())
}

fn signed(net: balans_store::ledger::NetSum) -> String {
    if net.0 > 0 {
        format!("+{net}")
    } else {
        net.to_string()
    }
}

/// The balance of a pair, with a sentence in plain words per dimension.
pub fn pair(view: &PairView, zone: &Zone) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} and {}, {} level",
        name(&view.a),
        name(&view.b),
        view.level
    );
    let _ = writeln!(
        out,
        "\n{:<8} {:>14} {:>14} {:>14} {:>9} {:>9}  {:<10}  {:<10}",
        "",
        format!("{} gave", view.a.key),
        format!("{} gave", view.b.key),
        "net",
        "evenness",
        "gestures",
        "first",
        "last"
    );
    for dimension in Dimension::ALL {
        let b = view.of(dimension);
        let _ = writeln!(
            out,
            "{:<8} {:>14} {:>14} {:>14} {:>9} {:>9}  {:<10}  {:<10}",
            dimension.as_str(),
            b.a_to_b.to_string(),
            b.b_to_a.to_string(),
            signed(b.net),
            evenness(b),
            b.count,
            date(b.first, zone),
            date(b.last, zone)
        );
    }
    out.push('\n');
    for dimension in Dimension::ALL {
        let _ = writeln!(out, "{}", words(view, dimension));
    }
    out
}

/// One sentence on who gives more.
fn words(view: &PairView, dimension: Dimension) -> String {
    let b = view.of(dimension);
    let (a, bb) = (&view.a.key, &view.b.key);
    if b.count == 0 {
        return format!("{dimension}: nothing recorded between {a} and {bb} yet.");
    }
    match b.net.0.signum() {
        0 => format!("{dimension}: in balance."),
        1 => format!(
            "{dimension}: {a} gave {} more than it received; {bb} is in {a}'s debt.",
            b.net
        ),
        _ => format!(
            "{dimension}: {bb} gave {} more than it received; {a} is in {bb}'s debt.",
            balans_store::ledger::NetSum(-b.net.0)
        ),
    }
}

pub fn counterparts(list: &Counterparts) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Counterparts of {}, {} level, largest credit imbalance first ({} in all)\n",
        name(&list.party),
        list.level,
        list.counterparts.len()
    );
    if list.counterparts.is_empty() {
        let _ = writeln!(
            out,
            "No gestures at this level yet. Try --level person or --level organization."
        );
        return out;
    }
    let _ = writeln!(
        out,
        "{:<30} {:>10} {:>10} {:>10} {:>8} | {:>12} {:>12} {:>12}",
        "counterpart", "credit gave", "got", "net", "even", "money gave", "got", "net"
    );
    for v in &list.counterparts {
        let _ = writeln!(
            out,
            "{:<30} {:>10} {:>10} {:>10} {:>8} | {:>12} {:>12} {:>12}",
            truncate(&name(&v.b), 30),
            v.credit.a_to_b.to_string(),
            v.credit.b_to_a.to_string(),
            signed(v.credit.net),
            evenness(&v.credit),
            v.money.a_to_b.to_string(),
            v.money.b_to_a.to_string(),
            signed(v.money.net)
        );
    }
    out
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(width - 1).collect();
        cut.push('…');
        cut
    }
}

pub fn report(report: &Report) -> String {
    let mut out = String::new();
    let window = match report.window {
        ledger::Window::All => "all time".to_string(),
        ledger::Window::Days(days) => format!("the last {days} days"),
    };
    let _ = writeln!(
        out,
        "Out of balance over {window}: {} at {} level, volume at least {}, evenness below {}",
        report.dimension, report.level, report.min_volume, report.evenness_below
    );
    if !report.changes.is_empty() {
        let _ = writeln!(out, "\nWhat changed over {window}:");
        for change in &report.changes {
            let _ = writeln!(out, "  {}", change_line(change, &window));
        }
        let more = report.changes_total - report.changes.len();
        if more > 0 {
            let _ = writeln!(out, "  … and {more} more (--limit shows more)");
        }
    }
    // Each row: (the party shown, what it gave, what it got).
    let mut list = |title: &str,
                    rows: Vec<(&balans_store::ledger::PartyRef, &BalanceView)>,
                    gave: &str,
                    got: &str| {
        let _ = writeln!(out, "\n{title}");
        if rows.is_empty() {
            let _ = writeln!(out, "  (none)");
        }
        for (party, b) in rows {
            let _ = writeln!(
                out,
                "  {:<40} {gave} {:>10}  {got} {:>10}  evenness {}  ({} gestures)",
                truncate(&name(party), 40),
                b.a_to_b.to_string(),
                b.b_to_a.to_string(),
                evenness(b),
                b.count
            );
        }
    };
    match &report.us {
        Some(us) => {
            let us = name(us);
            let they = report
                .they_give_more
                .iter()
                .map(|v| (&v.a, v.of(report.dimension)))
                .collect();
            list(
                &format!("They give more than they get from {us} — they may feel unseen:"),
                they,
                "they gave",
                "we gave",
            );
            let we = report
                .we_give_more
                .iter()
                .map(|v| (&v.b, v.of(report.dimension)))
                .collect();
            list(
                &format!("{us} gives more than it gets — bowing too deep:"),
                we,
                "we gave",
                "they gave",
            );
        }
        None => {
            let pairs = report
                .pairs
                .iter()
                .map(|v| (&v.a, v.of(report.dimension)))
                .collect();
            list(
                "Pairs where one side gives more than it gets (that side shown):",
                pairs,
                "gave",
                "got",
            );
            let _ = writeln!(
                out,
                "\nSet our own organization with 'balans config set us KEY' to split these by direction."
            );
        }
    }
    out
}

/// A change in one line, as the dashboard says it.
fn change_line(change: &ledger::Change, window: &str) -> String {
    let them = name(&change.them);
    match &change.story {
        ledger::Story::WentQuiet {
            gestures_before,
            months_before,
        } => format!(
            "{them}: nothing given to us in {window}, after {gestures_before} gestures between us over {months_before} months"
        ),
        ledger::Story::Turned {
            by_them,
            takes,
            kinds,
            sum_before,
            ..
        } => format!(
            "{them}: {takes} takes from {} in {window} ({}), after giving {sum_before} before",
            if *by_them { "them" } else { "us" },
            kinds.join(", ")
        ),
    }
}

pub fn given(given: &Given, verb: &str, zone: &Zone) -> String {
    let mut out = String::new();
    if given.added {
        let _ = writeln!(out, "{verb} {}", given.id);
    } else {
        let _ = writeln!(out, "already recorded: {} (nothing changed)", given.id);
    }
    out.push('\n');
    out.push_str(&pair(&given.balance, zone));
    out
}

pub fn check(report: &CheckReport) -> String {
    let mut out = String::new();
    if report.is_consistent() {
        let _ = writeln!(
            out,
            "checked {} gestures and {} balances: every balance equals the sum of its gestures",
            report.gestures, report.pairs
        );
        return out;
    }
    for d in &report.differences {
        let _ = writeln!(
            out,
            "differs: {} and {}, {} level, {}: stored {}, gestures give {}",
            d.a, d.b, d.level, d.dimension, d.stored, d.computed
        );
    }
    for problem in &report.unattributable {
        let _ = writeln!(out, "counts for no single organization: {problem}");
    }
    for problem in &report.handovers {
        let _ = writeln!(out, "handover: {problem}");
    }
    for problem in &report.promises {
        let _ = writeln!(out, "promise: {problem}");
    }
    let _ = writeln!(
        out,
        "{} of {} balances differ from the sum of their {} gestures",
        report.differences.len(),
        report.pairs,
        report.gestures
    );
    out
}

pub fn kinds(kinds: &[Kind]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<16} {:<10} {:>9}  {:<22} {:<22}",
        "kind", "dimension", "default", "nederlands", "english"
    );
    for k in kinds {
        let default = k
            .def
            .default
            .map_or_else(|| "(given)".to_string(), |a| a.to_string());
        let _ = writeln!(
            out,
            "{:<16} {:<10} {:>9}  {:<22} {:<22}",
            k.def.code.as_str(),
            k.def.dimension.as_str(),
            default,
            k.def.label_nl,
            k.def.label_en
        );
    }
    out
}

#[derive(Serialize)]
pub struct KindJson<'a> {
    code: &'a str,
    dimension: Dimension,
    default: Option<balans_core::Amount>,
    label_nl: &'a str,
    label_en: &'a str,
    builtin: bool,
}

pub fn kinds_json(kinds: &[Kind]) -> Vec<KindJson<'_>> {
    kinds
        .iter()
        .map(|k| KindJson {
            code: k.def.code.as_str(),
            dimension: k.def.dimension,
            default: k.def.default,
            label_nl: &k.def.label_nl,
            label_en: &k.def.label_en,
            builtin: k.builtin,
        })
        .collect()
}

/// An organization's credits, relationship by relationship: the four figures
/// per dimension, the key persons and the person pairs; `total` says how many
/// relationships there are, shown or not.
pub fn credits(views: &[ledger::CreditsView], total: usize, zone: &Zone) -> String {
    let mut out = String::new();
    if views.is_empty() {
        let _ = writeln!(out, "No relationships with gestures yet.");
        return out;
    }
    for view in views {
        let _ = writeln!(
            out,
            "{} and {}, as of {}",
            name(&view.a),
            name(&view.b),
            view.as_of.display_in(zone)
        );
        out.push('\n');
        figures(
            &mut out,
            (
                &format!("{} side gave", view.a.key),
                &format!("{} side gave", view.b.key),
            ),
            [
                &view.historical,
                &view.live,
                &view.dormant,
                &view.handed_over,
            ],
        );
        if view.key_persons.is_empty() {
            let _ = writeln!(
                out,
                "\nNo key person: no one carries most of the live credit."
            );
        } else {
            let _ = writeln!(out, "\nKey persons (share of the live credit):");
            for person in &view.key_persons {
                let side = if person.side == "a" { &view.a } else { &view.b };
                let _ = writeln!(
                    out,
                    "  {} for {}: {}",
                    name(&person.party),
                    side.key,
                    person.share
                );
            }
        }
        let _ = writeln!(out, "\nPerson pairs:");
        for pair in &view.pairs {
            let _ = writeln!(
                out,
                "  {} and {}: {}, credit {} / {}, money {} / {}",
                pair.a.key,
                pair.b.key,
                pair.state,
                pair.credit.a_to_b,
                pair.credit.b_to_a,
                pair.money.a_to_b,
                pair.money.b_to_a
            );
        }
        out.push('\n');
    }
    if total > views.len() {
        let _ = writeln!(
            out,
            "{} more relationships, with less credit: --limit N or --all shows them.",
            total - views.len()
        );
    }
    out
}

/// A party's or a pair's kept rates, a line for each side: "Promises bosman
/// made to hotel-wadden: 67% kept, of 3 kept or broken".
pub fn kept_rates(view: &ledger::KeptRatesView) -> String {
    let (by, to) = match &view.with {
        Some(with) => (
            format!("Promises {} made to {with}", view.party),
            format!("Promises {with} made to {}", view.party),
        ),
        None => (
            format!("Promises {} made", view.party),
            format!("Promises made to {}", view.party),
        ),
    };
    let since = format!(
        "{}{}",
        view.since
            .as_ref()
            .map(|since| format!(" since {since}"))
            .unwrap_or_default(),
        view.until
            .as_ref()
            .map(|until| format!(" until {until}"))
            .unwrap_or_default()
    );
    let rate = |rate: &ledger::KeptRate| match rate.rate {
        Some(r) => format!(
            "{}% kept, of {} kept or broken{since}",
            (r * 100.0).round(),
            rate.resolved
        ),
        None => format!("none kept or broken{since}"),
    };
    format!(
        "{by}: {}\n{to}: {}\n",
        rate(&view.by_party),
        rate(&view.to_party)
    )
}

/// One promise in a line, with how it was resolved and its earlier due
/// moments when it was moved.
pub fn promise(view: &ledger::PromiseView, zone: &Zone) -> String {
    let mut line = format!(
        "{}: {} promised {} {} {}, due {}, {}",
        view.id,
        view.promiser.key,
        view.promisee.key,
        view.kind,
        view.amount,
        view.due.display_in(zone),
        view.state
    );
    if let Some(kept) = view.kept.filter(|_| view.kept_in_part) {
        let _ = write!(line, " in part ({kept})");
    }
    if let Some(at) = view.resolved_at {
        let _ = write!(line, " {}", at.display_in(zone));
    }
    if let Some(gesture) = &view.gesture {
        let _ = write!(line, " by gesture {gesture}");
    }
    if let Some(reason) = &view.reason {
        let _ = write!(line, " ({reason})");
    }
    if view.dues.len() > 1 {
        let earlier: Vec<String> = view.dues[..view.dues.len() - 1]
            .iter()
            .map(|d| d.due.display_in(zone).to_string())
            .collect();
        let _ = write!(line, "; was due {}", earlier.join(", then "));
    }
    if let Some(note) = &view.note {
        let _ = write!(line, "; {note}");
    }
    line.push('\n');
    line
}

/// One handover in a line: who took over from whom, and where it stands.
pub fn handover(view: &ledger::HandoverView, zone: &Zone) -> String {
    let mut line = format!(
        "#{} {}: {}% of what {} ({}) built with {} ({}) to {}, offered {}",
        view.id,
        view.state,
        view.share,
        view.left.key,
        view.left_unit.key,
        view.other.key,
        view.other_unit.key,
        view.successor.key,
        date(Some(view.offered_at), zone)
    );
    if let Some(decided) = view.decided_at {
        let _ = write!(line, ", {} {}", view.state, date(Some(decided), zone));
    }
    if view.state == "accepted" {
        let _ = write!(
            line,
            "; moved credit {} / {}, money {} / {}",
            view.moved.credit.a_to_b,
            view.moved.credit.b_to_a,
            view.moved.money.a_to_b,
            view.moved.money.b_to_a
        );
    }
    if let Some(note) = &view.note {
        let _ = write!(line, " ({note})");
    }
    line.push('\n');
    line
}

/// An alert of credits gone dormant, in plain words.
pub fn alert(view: &ledger::AlertView, zone: &Zone) -> String {
    let others = match view.others {
        0 => String::new(),
        1 => " and 1 other".to_string(),
        n => format!(" and {n} others"),
    };
    // A private customer stands for themselves: no "of".
    let of = if view.other.id == view.other_unit.id {
        String::new()
    } else {
        format!(" of {}", view.other_unit.name)
    };
    format!(
        "#{} {} left {} on {}; {} credits that {}{}{} built with them went dormant; nobody has taken them over\n",
        view.id,
        view.left.name,
        view.left_unit.name,
        date(Some(view.left_at), zone),
        view.volume,
        view.other.name,
        others,
        of,
    )
}

/// An organization's credits over all its relationships, as a table.
pub fn organization_credits(totals: &ledger::OrganizationCredits, zone: &Zone) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} with all its relationships, as of {}\n",
        name(&totals.organization),
        totals.as_of.display_in(zone)
    );
    figures(
        &mut out,
        ("gave", "received"),
        [
            &totals.historical,
            &totals.live,
            &totals.dormant,
            &totals.handed_over,
        ],
    );
    out
}

/// Historical, live, dormant and handed over, each in credit and money, each
/// way and net: a table under the two sides' headings.
fn figures(out: &mut String, sides: (&str, &str), both: [&ledger::BothView; 4]) {
    let _ = writeln!(
        out,
        "{:<12} {:<7} {:>14} {:>14} {:>14}",
        "", "", sides.0, sides.1, "net"
    );
    for (label, both) in ["historical", "live", "dormant", "handed over"]
        .into_iter()
        .zip(both)
    {
        for (dimension, flows) in [("credit", &both.credit), ("money", &both.money)] {
            let _ = writeln!(
                out,
                "{:<12} {:<7} {:>14} {:>14} {:>14}",
                label,
                dimension,
                flows.a_to_b.to_string(),
                flows.b_to_a.to_string(),
                signed(flows.net)
            );
        }
    }
}
