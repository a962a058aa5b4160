//! The demo organization: Bosman Wonen, a family firm in furniture and interiors,
//! its people, customers and suppliers, over almost three years. Its gestures tell
//! the stories in DESIGN.md with its own names. Fixed ids make loading it twice
//! add nothing the second time.

use std::fmt::Write;

use balans_core::{HandoverState, Level};

use crate::import::{self, Options, Source, Summary};
use crate::store::{Store, setting};
use crate::{LedgerError, ledger};

/// The key of the demo's own organization.
pub const US: &str = "bosman";

/// The language of the demo's notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NotesIn {
    /// Bosman Wonen is a Dutch firm and writes its notes in Dutch.
    #[default]
    Dutch,
    English,
}

/// Fills the store with the demo organization, its notes in Dutch, and makes it
/// the store's `us`.
pub fn load<S: Store + ?Sized>(store: &mut S) -> Result<Summary, LedgerError> {
    load_in(store, NotesIn::Dutch)
}

/// [`load`], with the notes in the language asked for.
pub fn load_in<S: Store + ?Sized>(store: &mut S, notes: NotesIn) -> Result<Summary, LedgerError> {
    let mut demo = build();
    let decided: Vec<(String, String)> = HANDOVERS
        .iter()
        .map(|h| (demo.shifted(OFFERED), demo.shifted(h.4)))
        .collect();
    let shifted: Vec<[String; 5]> = PROMISES
        .iter()
        .map(|p| [p.made, p.due, p.moved.0, p.moved.1, p.resolved].map(|day| demo.shifted(day)))
        .collect();
    if notes == NotesIn::Dutch {
        demo.parties = in_dutch(&demo.parties);
        demo.gestures = in_dutch(&demo.gestures);
    }
    let sources = vec![
        Source::new(
            "demo parties",
            std::io::Cursor::new(demo.parties.into_bytes()),
        ),
        Source::new(
            "demo memberships",
            std::io::Cursor::new(demo.memberships.into_bytes()),
        ),
        Source::new(
            "demo gestures",
            std::io::Cursor::new(demo.gestures.into_bytes()),
        ),
    ];
    let summary = import::import(store, sources, Options::default(), &|_| {})?;
    hand_over(store, &decided)?;

    make_promises(store, &shifted, notes)?;
    if store.setting(setting::US)?.is_none() {
        ledger::set_setting(store, setting::US, US)?;
    }
    crate::store::in_transaction(store, |store| store.set_setting(setting::DEMO, "1"))?;
    Ok(summary)
}

/// The day the demo's handovers are offered, a week after Ruud left.
const OFFERED: &str = "2025-07-08";

/// The demo's handovers: (the one who left, the other, the successor, the
/// decision, its day, its note). Offered once, when the demo is first loaded.
const HANDOVERS: &[(&str, &str, &str, HandoverState, &str, &str)] = &[
    (
        "ruud",
        "ans",
        "joris",
        HandoverState::Accepted,
        "2025-07-14",
        "Accepted at the handover meeting",
    ),
    (
        "ruud",
        "wim",
        "femke",
        HandoverState::Declined,
        "2025-07-16",
        "Femke starts afresh with Wim",
    ),
];

/// Offers the demo's handovers and decides them on their days (`days`: offered
/// and decided, moved as the demo's dates are), unless the store holds
/// handovers already.
fn hand_over<S: Store + ?Sized>(
    store: &mut S,
    days: &[(String, String)],
) -> Result<(), LedgerError> {
    if !store.handovers()?.is_empty() {
        return Ok(());
    }
    let zone = crate::store::zone_of(store)?;
    let day = |text: &str| {
        zone.parse(text)
            .map_err(|e| LedgerError::Io(format!("a demo date: {e}")))
    };
    for ((left, other, successor, decision, _, note), (offered, decided)) in
        HANDOVERS.iter().zip(days)
    {
        let offered = ledger::offer_handover(store, left, other, successor, None, day(offered)?)?;
        let at = day(decided)?;
        match decision {
            HandoverState::Accepted => {
                ledger::accept_handover(
                    store,
                    offered.id,
                    at,
                    Some(note),
                    ledger::Decider::CommandLine,
                )?;
            }
            state => {
                ledger::end_handover(
                    store,
                    offered.id,
                    *state,
                    at,
                    Some(note),
                    ledger::Decider::CommandLine,
                )?;
            }
        }
    }
    Ok(())
}

/// A promise of the demo (story 6 and the daily work around it): made, due,
/// moved (and to when), and resolved on its days.
struct DemoPromise {
    id: &'static str,
    promiser: &'static str,
    promisee: &'static str,
    kind: &'static str,
    amount: &'static str,
    note: &'static str,
    made: &'static str,
    due: &'static str,
    /// Moved on this day to the second, or "" when never moved.
    moved: (&'static str, &'static str),
    /// Kept on this day ("" when not kept by hand), for `kept` when in part.
    resolved: &'static str,
    kept: Option<&'static str>,
}

/// Kept on time; kept late after being renegotiated; kept in part; the bank's
/// call back broken by itself when it fell due (story 6); one still open.
const PROMISES: &[DemoPromise] = &[
    DemoPromise {
        id: "demo-curtains-call",
        promiser: "femke",
        promisee: "dewi",
        kind: "attention",
        amount: "",
        note: "Call back about the curtain fabric",
        made: "2026-10-05T11:00",
        due: "2026-10-09T17:00",
        moved: ("", ""),
        resolved: "2026-10-08T10:00",
        kept: None,
    },
    DemoPromise {
        id: "demo-sofa-delivery",
        promiser: US,
        promisee: "fam-yilmaz",
        kind: "help",
        amount: "",
        note: "New sofa delivered by the 12th",
        made: "2026-09-28T14:00",
        due: "2026-10-12T17:00",
        moved: ("2026-10-09T09:00", "2026-10-19T17:00"),
        resolved: "2026-10-17T15:00",
        kept: None,
    },
    DemoPromise {
        id: "demo-zon-invoice",
        promiser: "cafe-de-zon",
        promisee: US,
        kind: "pay",
        amount: "1200.00",
        note: "Invoice 2026-212: the payment will come",
        made: "2026-10-01T10:00",
        due: "2026-10-31T17:00",
        moved: ("", ""),
        resolved: "2026-10-30T12:00",
        kept: Some("800.00"),
    },
    DemoPromise {
        id: "demo-bank-call",
        promiser: "dorpsbank",
        promisee: "henk",
        kind: "attention",
        amount: "",
        note: "We will call you back about the credit line",
        // Three days before the demo's last day: broken this week, whenever
        // the demo is loaded, so the dashboard and the promises page tell it.
        made: "2026-11-05T10:00",
        due: "2026-11-08T17:00",
        moved: ("", ""),
        resolved: "",
        kept: None,
    },
    DemoPromise {
        id: "demo-wadden-measure",
        promiser: "henk",
        promisee: "hotel-wadden",
        kind: "attention",
        amount: "",
        note: "Visit to measure the new rooms",
        made: "2026-11-09T16:00",
        due: "2026-11-16T10:00",
        moved: ("", ""),
        resolved: "",
        kept: None,
    },
];

/// Makes the demo's promises and resolves them on their days (`days`: made,
/// due, moved on, moved to, resolved; moved as the demo's dates are), unless the store
/// holds promises already; then sweeps now, which breaks the bank's.
fn make_promises<S: Store + ?Sized>(
    store: &mut S,
    days: &[[String; 5]],
    notes: NotesIn,
) -> Result<(), LedgerError> {
    let any = store.promises(&crate::store::PromiseFilter {
        limit: 1,
        ..Default::default()
    })?;
    if !any.is_empty() {
        return Ok(());
    }
    let zone = crate::store::zone_of(store)?;
    let at = |text: &str| {
        zone.parse(text)
            .map_err(|e| LedgerError::Io(format!("a demo moment: {e}")))
    };
    for (p, [made, due, moved_on, moved_to, resolved]) in PROMISES.iter().zip(days) {
        let note = match notes {
            NotesIn::Dutch => crate::demo_nl::dutch(p.note),
            NotesIn::English => p.note,
        };
        let text = ledger::PromiseText {
            id: p.id,
            promiser: p.promiser,
            promisee: p.promisee,
            kind: p.kind,
            amount: p.amount,
            made,
            due,
            note,
            ..Default::default()
        };
        let made = at(made)?;
        ledger::make_promise(store, &text, made)?;
        if !moved_on.is_empty() {
            ledger::move_promise(store, p.id, moved_to, at(moved_on)?)?;
        }
        if !resolved.is_empty() {
            ledger::keep_promise(store, p.id, p.kept, at(resolved)?)?;
        }
    }
    ledger::sweep(store, balans_core::Moment::now())?;
    Ok(())
}

/// One of the demo's stories, and the relationship whose page tells it.
#[derive(Debug, Clone, Copy)]
pub struct Story {
    /// The story's name in the web app's catalog.
    pub code: &'static str,
    pub a: &'static str,
    pub b: &'static str,
    pub level: Level,
}

/// The demo's stories, in the order DESIGN.md tells them, each with the page
/// that tells it (the dashboard lists them, one click away).
pub const STORIES: &[Story] = &[
    Story::new("succession", "hotel-wadden", US, Level::Organization),
    Story::new("surgeon", "sanne", "kaakchirurgie", Level::Organization),
    Story::new("chain", "amina", "atlas", Level::Person),
    Story::new("delivery", "marco", US, Level::Organization),
    Story::new("stamps", "linda", US, Level::Organization),
    Story::new("bank", "dorpsbank", US, Level::Organization),
    Story::new("bowing", "vdberg", US, Level::Organization),
    Story::new("painter", "frans", US, Level::Organization),
    Story::new("unseen", "tineke", US, Level::Organization),
];

impl Story {
    const fn new(code: &'static str, a: &'static str, b: &'static str, level: Level) -> Story {
        Story { code, a, b, level }
    }
}

/// Whether the demo organization was loaded into this store.
pub fn is_loaded<S: Store + ?Sized>(store: &mut S) -> Result<bool, LedgerError> {
    Ok(store.setting(setting::DEMO)?.as_deref() == Some("1"))
}

/// A demo file with every quoted note that has a Dutch text replaced by it.
fn in_dutch(file: &str) -> String {
    let mut out = String::with_capacity(file.len());
    for (i, part) in file.split('"').enumerate() {
        if i > 0 {
            out.push('"');
        }
        // Odd parts are the quoted fields.
        out.push_str(if i % 2 == 1 {
            crate::demo_nl::dutch(part)
        } else {
            part
        });
    }
    out
}

struct Demo {
    parties: String,
    memberships: String,
    gestures: String,
    next_id: u32,
    rng: fastrand::Rng,
    /// Days added to every date, so that the demo's last day is today.
    shift: i64,
}

/// The demo's own last day, as written: [`Demo::day`] of this many days. Every
/// date moves by the days between it and today, so that what happened "lately"
/// in its stories happened lately whenever it is loaded.
const DEMO_LAST_DAY: i64 = 1_045;

/// The days from the demo's last day to `today`.
fn shift_to(today: jiff::civil::Date) -> i64 {
    let last = jiff::civil::date(2024, 1, 1)
        .checked_add(jiff::Span::new().days(DEMO_LAST_DAY))
        .expect("in range");
    i64::from((today - last).get_days())
}

impl Demo {
    fn party(&mut self, key: &str, kind: &str, name: &str, note: &str) {
        let _ = writeln!(self.parties, "{key},{kind},\"{name}\",\"{note}\"");
    }

    fn member(&mut self, person: &str, organization: &str, role: &str, from: &str, until: &str) {
        let (from, until) = (self.shifted(from), self.shifted(until));
        let _ = writeln!(
            self.memberships,
            "{person},{organization},{role},{from},{until}"
        );
    }

    /// A date (with or without a time after it) moved by [`Demo::shift`].
    fn shifted(&self, text: &str) -> String {
        let Some(date) = text
            .get(..10)
            .and_then(|d| d.parse::<jiff::civil::Date>().ok())
        else {
            return text.to_string();
        };
        let moved = date
            .checked_add(jiff::Span::new().days(self.shift))
            .unwrap_or(date);
        format!("{moved}{}", &text[10..])
    }

    /// One gesture; `amount` empty means the kind's default. The arguments are the
    /// row's columns in file order, which reads better here than a struct.
    #[allow(clippy::too_many_arguments)]
    fn give(
        &mut self,
        at: &str,
        giver: &str,
        receiver: &str,
        kind: &str,
        amount: &str,
        note: &str,
        item: &str,
    ) {
        self.next_id += 1;
        let at = self.shifted(at);
        let _ = writeln!(
            self.gestures,
            "demo-{:04},{at},{giver},{receiver},{kind},{amount},\"{note}\",{item}",
            self.next_id
        );
    }

    /// A date `days` after 2024-01-01, as YYYY-MM-DD.
    fn day(days: i64) -> String {
        let start = jiff::civil::date(2024, 1, 1);
        start
            .checked_add(jiff::Span::new().days(days))
            .unwrap_or(start)
            .to_string()
    }
}

fn build() -> Demo {
    build_for(jiff::Zoned::now().date())
}

/// The demo as loaded on `today`.
fn build_for(today: jiff::civil::Date) -> Demo {
    let mut demo = Demo {
        parties: "key,kind,name,note\n".to_string(),
        memberships: "person,organization,role,from,until\n".to_string(),
        gestures: "id,at,giver,receiver,kind,amount,note,item\n".to_string(),
        next_id: 0,
        rng: fastrand::Rng::with_seed(2024),
        shift: shift_to(today),
    };
    let d = Demo::day;

    // Our own organization and its people.
    demo.party(
        US,
        "organization",
        "Bosman Wonen",
        "Family firm in furniture, interiors and painting",
    );
    for (key, name, note, from) in [
        (
            "henk",
            "Henk Bosman",
            "Founder; account manager for the hotels",
            "1988-04-01",
        ),
        (
            "joris",
            "Joris Bosman",
            "Henk's son; writes the proposals",
            "2019-09-01",
        ),
        ("kees", "Kees Mulder", "Delivery", "2015-02-01"),
        ("piet", "Piet de Graaf", "Painter", "2011-05-01"),
        (
            "femke",
            "Femke Wouters",
            "Shop; runs the stamp card",
            "2020-03-01",
        ),
    ] {
        demo.party(key, "person", name, note);
        demo.member(key, US, "employee", from, "");
    }

    // 1. The succession: Henk's years of credits sit with Gerrit, who retires.
    demo.party(
        "hotel-wadden",
        "organization",
        "Hotel De Wadden",
        "Customer since 2009",
    );
    demo.party(
        "gerrit",
        "person",
        "Gerrit Visser",
        "Owner of Hotel De Wadden until mid 2025",
    );
    demo.party(
        "sander",
        "person",
        "Sander Visser",
        "Gerrit's son; runs the hotel from July 2025",
    );
    demo.member(
        "gerrit",
        "hotel-wadden",
        "contact",
        "2009-01-01",
        "2025-07-01",
    );
    demo.member("sander", "hotel-wadden", "contact", "2025-07-01", "");
    for month in 0..18 {
        let at = d(month * 30 + 5);
        demo.give(
            &at,
            "henk",
            "gerrit",
            "attention",
            "",
            "Coffee at the hotel, asked after the family",
            "",
        );
        if month % 3 == 0 {
            demo.give(
                &at,
                "henk",
                "gerrit",
                "help",
                "",
                "Came by on Sunday to fix a wardrobe door",
                "",
            );
            demo.give(&d(month * 30 + 8), "gerrit", "henk", "thanks", "", "", "");
        }
        if month % 4 == 1 {
            demo.give(
                &at,
                "gerrit",
                "henk",
                "referral",
                "",
                "Recommended us to the hotel next door",
                "",
            );
        }
        if month % 6 == 2 {
            demo.give(
                &at,
                "gerrit",
                "henk",
                "gift",
                "",
                "A bottle of wine at New Year",
                "",
            );
            demo.give(
                &at,
                "henk",
                "gerrit",
                "extra_effort",
                "",
                "Rush delivery before the season",
                "",
            );
        }
        let price = format!("{}.00", 1_800 + demo.rng.u32(0..6) * 150);
        demo.give(
            &d(month * 30 + 12),
            US,
            "hotel-wadden",
            "deliver",
            &price,
            "Furnishing rooms",
            "",
        );
        demo.give(
            &d(month * 30 + 40),
            "hotel-wadden",
            US,
            "pay",
            &price,
            "",
            "",
        );
    }
    // Gerrit retires; Sander takes over and nobody takes over Henk's credits.
    demo.give(
        "2025-06-20",
        "gerrit",
        "henk",
        "thanks",
        "3",
        "Farewell: thanks for twenty years",
        "",
    );
    demo.give(
        "2025-09-10",
        "joris",
        "sander",
        "extra_effort",
        "",
        "A careful proposal for the renovation",
        "",
    );
    demo.give(
        "2025-10-02",
        "henk",
        "sander",
        "brush_off",
        "",
        "Walked in on price without reading Joris's proposal",
        "",
    );
    demo.give(
        "2025-10-02",
        "henk",
        "sander",
        "pressure",
        "",
        "Pushed for a decision that day",
        "",
    );
    demo.give(
        "2025-10-20",
        "sander",
        "joris",
        "brush_off",
        "",
        "The contract went to another supplier",
        "",
    );

    // 2. The oral surgeon rated 9.8: painful, and yet the patient felt seen.
    demo.party(
        "kaakchirurgie",
        "organization",
        "Kaakchirurgie Noord",
        "Oral surgery practice; we furnished the waiting room",
    );
    demo.party("dr-bakker", "person", "Dr. Lotte Bakker", "Oral surgeon");
    demo.party("sanne", "person", "Sanne Jacobs", "Patient");
    demo.party("mila", "person", "Mila Jacobs", "Sanne's daughter, 7");
    demo.member("dr-bakker", "kaakchirurgie", "employee", "2016-01-01", "");
    demo.give(
        "2024-02-12",
        US,
        "kaakchirurgie",
        "deliver",
        "6400.00",
        "Waiting room furniture",
        "",
    );
    demo.give("2024-03-10", "kaakchirurgie", US, "pay", "6400.00", "", "");
    demo.give(
        "2024-02-12",
        "kees",
        "dr-bakker",
        "extra_effort",
        "",
        "Assembled everything after closing time",
        "",
    );
    demo.give("2024-02-14", "dr-bakker", "kees", "thanks", "", "", "");
    demo.give(
        "2025-03-04",
        "kaakchirurgie",
        "sanne",
        "deliver",
        "780.00",
        "Wisdom teeth removed",
        "",
    );
    demo.give(
        "2025-03-04",
        "sanne",
        "kaakchirurgie",
        "pay",
        "780.00",
        "",
        "",
    );
    demo.give(
        "2025-03-04",
        "dr-bakker",
        "sanne",
        "explanation",
        "",
        "Explained every step, and why it would hurt",
        "",
    );
    demo.give(
        "2025-03-04",
        "dr-bakker",
        "sanne",
        "recognition",
        "",
        "Took her fear seriously",
        "",
    );
    demo.give(
        "2025-03-05",
        "dr-bakker",
        "sanne",
        "extra_effort",
        "4",
        "Came out in the evening when the bleeding would not stop",
        "",
    );
    demo.give(
        "2025-03-06",
        "sanne",
        "dr-bakker",
        "thanks",
        "3",
        "Thanked her for the evening call-out",
        "",
    );
    demo.give(
        "2025-03-12",
        "mila",
        "dr-bakker",
        "gift",
        "3",
        "A drawing: 'thank you for helping mama'",
        "",
    );
    demo.give(
        "2025-03-12",
        "dr-bakker",
        "mila",
        "attention",
        "",
        "Hung the drawing in the treatment room",
        "",
    );
    demo.give(
        "2025-03-20",
        "sanne",
        "dr-bakker",
        "review",
        "",
        "Rated 9.8",
        "",
    );

    // 3. The chain: an embroidered cushion from maker to gift recipient; gratitude flows back.
    for (key, kind, name, note) in [
        (
            "amina",
            "person",
            "Amina El Idrissi",
            "Embroiders; works from home with a disability",
        ),
        (
            "atlas",
            "organization",
            "Atlas Crafts",
            "Partner abroad; buys from makers",
        ),
        (
            "draad",
            "organization",
            "Stichting Draad",
            "Foundation; sells in the Netherlands",
        ),
        ("eva", "person", "Eva de Boer", "Customer"),
        ("lies", "person", "Lies de Boer", "Eva's grandmother"),
    ] {
        demo.party(key, kind, name, note);
    }
    for (i, item) in ["kussen-017", "kussen-018", "loper-004"].iter().enumerate() {
        let base = 300 + i as i64 * 120;
        demo.give(
            &d(base),
            "amina",
            "atlas",
            "deliver",
            "25.00",
            "Embroidered by hand",
            item,
        );
        demo.give(&d(base), "atlas", "amina", "pay", "25.00", "", item);
        demo.give(
            &d(base + 20),
            "atlas",
            "draad",
            "deliver",
            "40.00",
            "",
            item,
        );
        demo.give(&d(base + 30), "draad", "atlas", "pay", "40.00", "", item);
        demo.give(
            &d(base + 35),
            "draad",
            US,
            "deliver",
            "55.00",
            "With a story card about the maker",
            item,
        );
        demo.give(&d(base + 50), US, "draad", "pay", "55.00", "", item);
    }
    demo.give(&d(420), US, "eva", "deliver", "89.95", "", "kussen-017");
    demo.give(&d(420), "eva", US, "pay", "89.95", "", "kussen-017");
    demo.give(
        &d(420),
        "femke",
        "eva",
        "attention",
        "",
        "Told her who made it and gave her the story card",
        "kussen-017",
    );
    demo.give(
        &d(425),
        "eva",
        "lies",
        "gift",
        "",
        "For her 80th birthday",
        "kussen-017",
    );
    demo.give(
        &d(426),
        "lies",
        "eva",
        "thanks",
        "2",
        "Read the card about Amina twice",
        "kussen-017",
    );
    demo.give(
        &d(430),
        "eva",
        "femke",
        "thanks",
        "",
        "Grandma loved the story",
        "kussen-017",
    );
    demo.give(
        &d(440),
        US,
        "draad",
        "thanks",
        "",
        "Passed on the customer's thanks",
        "kussen-017",
    );
    demo.give(&d(460), "draad", "atlas", "thanks", "", "", "kussen-017");
    demo.give(
        &d(470),
        "atlas",
        "amina",
        "thanks",
        "2",
        "A letter and a photo of the cushion's new home",
        "kussen-017",
    );

    // 4. The furniture delivery: advertising credits undone; coffee and patience rewarded.
    demo.party("marco", "person", "Marco Jansen", "Customer");
    demo.party("ria", "person", "Ria Smit", "Customer");
    for month in 0..6 {
        demo.give(
            &d(60 + month * 30),
            US,
            "marco",
            "attention",
            "",
            "Personal invitation to the showroom evening",
            "",
        );
    }
    demo.give(
        &d(200),
        "marco",
        US,
        "review",
        "",
        "Five stars for the showroom",
        "",
    );
    demo.give(
        &d(210),
        US,
        "marco",
        "deliver",
        "2450.00",
        "Dining table and six chairs",
        "",
    );
    demo.give(&d(212), "marco", US, "pay", "2450.00", "", "");
    demo.give(
        &d(214),
        "kees",
        "marco",
        "careless",
        "",
        "Table top scratched; chairs left in the hall",
        "",
    );
    demo.give(
        &d(214),
        "kees",
        "marco",
        "broken_promise",
        "",
        "Came four hours late without calling",
        "",
    );
    demo.give(
        &d(216),
        "marco",
        US,
        "referral",
        "",
        "Recommended us before the delivery went wrong",
        "",
    );
    demo.give(&d(230), US, "ria", "deliver", "1395.00", "Sofa", "");
    demo.give(&d(231), "ria", US, "pay", "1395.00", "", "");
    demo.give(
        &d(235),
        "ria",
        "kees",
        "patience",
        "",
        "Did not grumble about the late delivery",
        "",
    );
    demo.give(&d(235), "ria", "kees", "gift", "1", "Coffee and a cake", "");
    demo.give(
        &d(235),
        "kees",
        "ria",
        "extra_effort",
        "",
        "Carried the old sofa down three floors",
        "",
    );
    demo.give(&d(236), "ria", "kees", "thanks", "", "", "");

    // 5. Stamps of different worth: the same card, valued 0 by Linda and 8 by Mark.
    demo.party("linda", "person", "Linda Kramer", "Stamp card customer");
    demo.party("mark", "person", "Mark Peters", "Stamp card customer");
    for visit in 0..10 {
        demo.give(
            &d(100 + visit * 21),
            US,
            "linda",
            "stamp",
            "",
            "",
            "stamp-card",
        );
        demo.give(
            &d(100 + visit * 21),
            "linda",
            US,
            "pay",
            "24.50",
            "Small purchase",
            "",
        );
        demo.give(
            &d(104 + visit * 19),
            US,
            "mark",
            "stamp",
            "",
            "",
            "stamp-card",
        );
        demo.give(
            &d(104 + visit * 19),
            "mark",
            US,
            "pay",
            "31.00",
            "Small purchase",
            "",
        );
    }
    demo.give(
        &d(320),
        US,
        "linda",
        "reward",
        "0",
        "Football cards: worth nothing to her",
        "stamp-card",
    );
    demo.give(
        &d(300),
        US,
        "mark",
        "reward",
        "8",
        "Plush toy for his son: worth much to him",
        "stamp-card",
    );
    demo.give(&d(301), "mark", "femke", "thanks", "", "", "");

    // 6. The bank that closed its local helpdesk.
    demo.party("dorpsbank", "organization", "Dorpsbank Oost", "Our bank");
    demo.party(
        "jan-kok",
        "person",
        "Jan Kok",
        "Local business adviser until the helpdesk closed",
    );
    demo.member(
        "jan-kok",
        "dorpsbank",
        "employee",
        "2012-01-01",
        "2025-04-01",
    );
    for month in 0..35 {
        let at = d(month * 30 + 15);
        demo.give(&at, US, "dorpsbank", "pay", "45.00", "Account fees", "");
        demo.give(
            &at,
            "dorpsbank",
            US,
            "deliver",
            "45.00",
            "Business account",
            "",
        );
        if month < 15 {
            demo.give(
                &at,
                "jan-kok",
                "henk",
                "attention",
                "",
                "Dropped by; knew the business",
                "",
            );
            if month % 4 == 0 {
                demo.give(
                    &at,
                    "jan-kok",
                    "henk",
                    "help",
                    "",
                    "Arranged the bridging loan quickly",
                    "",
                );
                demo.give(&at, "henk", "jan-kok", "thanks", "", "", "");
            }
        } else if month % 2 == 0 {
            demo.give(
                &at,
                "dorpsbank",
                US,
                "brush_off",
                "",
                "Call centre; nobody knew our file",
                "",
            );
        }
    }

    // 7. Bowing too deep: a customer who presses and pays late.
    demo.party(
        "vdberg",
        "organization",
        "Van den Berg Vastgoed",
        "Property manager",
    );
    demo.party("rob", "person", "Rob van den Berg", "Director");
    demo.member("rob", "vdberg", "contact", "2005-01-01", "");
    for quarter in 0..11 {
        let at = d(quarter * 91 + 20);
        demo.give(
            &at,
            US,
            "vdberg",
            "deliver",
            "3200.00",
            "Furnishing rental flats",
            "",
        );
        demo.give(
            &at,
            "rob",
            "joris",
            "pressure",
            "",
            "Wanted another discount",
            "",
        );
        demo.give(&at, US, "vdberg", "discount", "320.00", "", "");
        demo.give(
            &at,
            "joris",
            "rob",
            "extra_effort",
            "",
            "Delivered on a Saturday at his request",
            "",
        );
        demo.give(&at, "henk", "rob", "attention", "", "", "");
        demo.give(
            &d(quarter * 91 + 80),
            "vdberg",
            US,
            "pay",
            "2880.00",
            "",
            "",
        );
        demo.give(
            &d(quarter * 91 + 80),
            "vdberg",
            US,
            "late_payment",
            "",
            "Paid after the second reminder",
            "",
        );
    }

    // 8. The painter: so good the customer felt in his debt after paying.
    demo.party("frans", "person", "Frans de Wit", "Customer");
    demo.give(
        "2025-05-06",
        US,
        "frans",
        "deliver",
        "4250.00",
        "Painting the house, inside and out",
        "",
    );
    demo.give(
        "2025-05-06",
        "piet",
        "frans",
        "extra_effort",
        "",
        "Repaired rotten window frames unasked",
        "",
    );
    demo.give(
        "2025-05-08",
        "piet",
        "frans",
        "help",
        "",
        "Moved the piano, and back",
        "",
    );
    demo.give(
        "2025-05-09",
        "piet",
        "frans",
        "attention",
        "",
        "Chose the colours with them",
        "",
    );
    demo.give("2025-05-20", "frans", US, "pay", "4250.00", "", "");
    demo.give("2025-05-20", "frans", "piet", "thanks", "", "", "");
    demo.give(
        "2025-05-22",
        "frans",
        "piet",
        "gift",
        "",
        "Tickets for the football",
        "",
    );
    demo.give(
        "2025-06-01",
        "frans",
        US,
        "review",
        "",
        "'They were better than we deserved'",
        "",
    );
    demo.give(
        "2025-07-15",
        "frans",
        US,
        "referral",
        "",
        "Sent the neighbours",
        "",
    );
    demo.give(
        "2025-09-03",
        "frans",
        US,
        "referral",
        "",
        "Sent his brother",
        "",
    );

    // 9. Credits handed over: Ruud, who kept the offices' customers, leaves us in
    // mid 2025. Joris accepts what Ruud built with Ans (see `HANDOVERS`); Femke
    // declines to take over Wim, and starts afresh with him.
    demo.party(
        "ruud",
        "person",
        "Ruud Smit",
        "Account manager for the offices until mid 2025",
    );
    demo.member("ruud", US, "employee", "2014-01-01", "2025-07-01");
    demo.party("ans", "person", "Ans Vermeer", "Customer");
    demo.party("wim", "person", "Wim Kok", "Customer");
    for (at, giver, receiver, kind) in [
        ("2024-03-05", "ruud", "ans", "help"),
        ("2024-03-12", "ans", "ruud", "thanks"),
        ("2024-09-18", "ruud", "ans", "attention"),
        ("2025-02-03", "ruud", "ans", "extra_effort"),
        ("2025-02-10", "ans", "ruud", "gift"),
        ("2024-06-11", "ruud", "wim", "help"),
        ("2024-06-20", "wim", "ruud", "thanks"),
        ("2025-03-14", "ruud", "wim", "attention"),
    ] {
        demo.give(at, giver, receiver, kind, "", "", "");
    }
    demo.give("2025-09-02", "joris", "ans", "attention", "", "", "");
    demo.give("2025-09-09", "ans", "joris", "thanks", "", "", "");

    // A loyal customer who gives and is not seen.
    demo.party(
        "tineke",
        "person",
        "Tineke Hoekstra",
        "Customer for 15 years",
    );
    for month in 0..12 {
        let at = d(500 + month * 30);
        demo.give(&at, "tineke", US, "referral", "", "Sent a friend", "");
        demo.give(&at, "tineke", "femke", "thanks", "", "", "");
        if month % 3 == 0 {
            demo.give(
                &at,
                "femke",
                "tineke",
                "brush_off",
                "",
                "Busy with a new customer",
                "",
            );
        }
    }

    // The everyday: customers who buy, pay, and now and then give or receive a little more.
    let names = [
        ("bakkerij-meijer", "organization", "Bakkerij Meijer"),
        ("cafe-de-zon", "organization", "Café de Zon"),
        ("kinderopvang-elf", "organization", "Kinderopvang 't Elfje"),
        ("fam-yilmaz", "person", "Familie Yilmaz"),
        ("dewi", "person", "Dewi Kartosen"),
        ("pieter", "person", "Pieter Brouwer"),
        ("anouk", "person", "Anouk Vos"),
        ("gemeente", "organization", "Gemeente Zuidveen"),
    ];
    for (key, kind, name) in names {
        demo.party(key, kind, name, "");
    }
    let friendly = ["attention", "thanks", "smile", "patience", "help"];
    for (i, (key, _, _)) in names.iter().enumerate() {
        let visits = 6 + demo.rng.i64(0..10);
        for v in 0..visits {
            let at = d(demo.rng.i64(0..1040));
            let price = format!("{}.{:02}", demo.rng.u32(40..1200), demo.rng.u32(0..100));
            demo.give(&at, US, key, "deliver", &price, "", "");
            demo.give(&at, key, US, "pay", &price, "", "");
            let kind = friendly[(i + v as usize) % friendly.len()];
            if demo.rng.bool() {
                demo.give(&at, US, key, kind, "", "", "");
            } else {
                demo.give(&at, key, US, kind, "", "", "");
            }
        }
    }
    demo
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_from_new_year_2024() {
        assert_eq!(Demo::day(0), "2024-01-01");
        assert_eq!(Demo::day(59), "2024-02-29");
        assert_eq!(Demo::day(366), "2025-01-01");
    }

    #[test]
    fn the_demo_has_several_hundred_gestures_over_a_couple_of_years() {
        let demo = build_for(jiff::civil::date(2026, 11, 11));
        let gestures = demo.gestures.lines().count() - 1;
        assert!((300..2000).contains(&gestures), "{gestures} gestures");
        assert!(demo.gestures.contains(",2024-01-") && demo.gestures.contains(",2026-"));
    }

    #[test]
    fn every_note_of_the_demo_has_its_dutch_text() {
        let demo = build();
        let mut missing = Vec::new();
        for file in [&demo.parties, &demo.gestures] {
            for line in file.lines().skip(1) {
                // The note is the last quoted field before the item (gestures) or
                // the last field (parties); names are quoted too and stay.
                let quoted: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
                if let Some(note) = quoted.last() {
                    if !note.is_empty() && crate::demo_nl::dutch(note) == *note && !is_name(note) {
                        missing.push(note.to_string());
                    }
                }
            }
        }
        missing.sort();
        missing.dedup();
        assert!(missing.is_empty(), "no Dutch text for {missing:?}");
    }

    #[test]
    fn the_notes_are_dutch_and_the_names_stay() {
        let demo = build();
        let dutch = in_dutch(&demo.gestures);
        assert!(dutch.contains("\"Droeg de oude sofa drie trappen af\""));
        assert!(!dutch.contains("Carried the old sofa"));
        assert!(
            demo.gestures
                .contains("\"Carried the old sofa down three floors\"")
        );
        let parties = in_dutch(&demo.parties);
        assert!(
            parties.contains(
                "\"Bosman Wonen\",\"Familiebedrijf in meubels, interieur en schilderwerk\""
            )
        );
        assert_eq!(parties.lines().count(), demo.parties.lines().count());
    }

    /// A party's name, which stays as it is in both languages.
    fn is_name(text: &str) -> bool {
        build()
            .parties
            .lines()
            .any(|l| l.contains(&format!(",\"{text}\",")))
    }

    #[test]
    fn the_demo_ends_on_the_day_it_is_loaded() {
        for today in [
            jiff::civil::date(2026, 12, 3),
            jiff::civil::date(2031, 2, 28),
        ] {
            let demo = build_for(today);
            let latest = demo
                .gestures
                .lines()
                .skip(1)
                .filter_map(|line| {
                    line.split(',')
                        .nth(1)?
                        .get(..10)?
                        .parse::<jiff::civil::Date>()
                        .ok()
                })
                .max()
                .unwrap();
            assert!(latest <= today, "{latest} is after {today}");
            assert!(
                (today - latest).get_days() < 14,
                "{latest} long before {today}"
            );
        }
    }
}
