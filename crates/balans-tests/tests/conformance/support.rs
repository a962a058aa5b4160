//! What the conformance tests share: files to import, and ways to look at a store.

use balans_core::{GestureId, PairKey, Totals};
use balans_store::import::{self, Limits, Options, Source, Summary};
use balans_store::ledger::{self, PairView};
use balans_store::prelude::*;
use balans_store::{GestureText, LedgerError};
use std::collections::BTreeMap;

pub fn import_texts<S: Store>(
    store: &mut S,
    files: &[(&str, &str)],
) -> Result<Summary, LedgerError> {
    import_texts_within(store, files, Limits::default())
}

pub fn import_texts_within<S: Store>(
    store: &mut S,
    files: &[(&str, &str)],
    limits: Limits,
) -> Result<Summary, LedgerError> {
    let sources = files
        .iter()
        .map(|(name, text)| Source::new(*name, std::io::Cursor::new(text.as_bytes().to_vec())))
        .collect();
    let options = Options {
        limits,
        ..Options::default()
    };
    import::import(store, sources, options, &|_| {})
}

pub fn balances<S: Store>(store: &mut S) -> BTreeMap<PairKey, Totals> {
    let mut all = BTreeMap::new();
    store
        .for_each_balance(&mut |key, totals| {
            all.insert(key, totals);
            Ok(())
        })
        .unwrap();
    all
}

/// Everything a store holds that a user could see, to show that a failed write changed nothing.
pub fn contents<S: Store>(store: &mut S) -> String {
    let mut out = format!(
        "{:?}\n{:?}\n{:?}\n",
        store.parties().unwrap(),
        store.memberships().unwrap(),
        store.kinds().unwrap()
    );
    store
        .for_each_gesture(&mut |g| {
            out.push_str(&format!("{g:?}\n"));
            Ok(())
        })
        .unwrap();
    out.push_str(&format!("{:?}", balances(store)));
    out
}

pub fn assert_consistent<S: Store>(store: &mut S) {
    let report = ledger::check(store).unwrap();
    assert!(
        report.differences.is_empty(),
        "check found differences: {:?}",
        report.differences
    );
}

pub const PARTIES: &str = "key,kind,name\nus,organization,Wij BV\nann,person,Ann\ncust,organization,Klant BV\nbob,person,Bob\nsolo,person,Solo\n";

pub const MEMBERSHIPS: &str = "person,organization,role,from,until\nann,us,employee,2020-01-01,\nbob,cust,contact,2020-01-01,\n";

pub fn setup<S: Store>(store: &mut S) {
    import_texts(
        store,
        &[("parties.csv", PARTIES), ("memberships.csv", MEMBERSHIPS)],
    )
    .unwrap();
}

pub fn credit(view: &PairView) -> (String, String, i64) {
    (
        view.credit.a_to_b.to_string(),
        view.credit.b_to_a.to_string(),
        view.credit.count,
    )
}

pub fn money(view: &PairView) -> (String, String, i64) {
    (
        view.money.a_to_b.to_string(),
        view.money.b_to_a.to_string(),
        view.money.count,
    )
}

pub fn give<S: Store>(
    store: &mut S,
    id: &str,
    at: &str,
    giver: &str,
    receiver: &str,
    kind: &str,
) -> Result<ledger::Given, LedgerError> {
    ledger::give(
        store,
        &GestureText {
            id,
            at,
            giver,
            receiver,
            kind,
            ..GestureText::default()
        },
    )
}

/// A gestures file of `rows` ordinary gestures `d0`, `d1`, … from ann to bob, with
/// `extra` lines put in before the row of each given number: long enough for
/// several of the import's batches. These ids do not sort in the file's order
/// (`d10` before `d9`); see [`long_gestures_file_in_order`].
pub fn long_gestures_file(rows: usize, extra: &[(usize, &str)]) -> String {
    gestures_file_of(rows, extra, |i| format!("d{i}"))
}

/// As [`long_gestures_file`], with ids `d00000`, `d00001`, … that sort in the
/// file's order, as a numbered export's do.
pub fn long_gestures_file_in_order(rows: usize, extra: &[(usize, &str)]) -> String {
    gestures_file_of(rows, extra, |i| format!("d{i:05}"))
}

pub fn gestures_file_of(
    rows: usize,
    extra: &[(usize, &str)],
    id: impl Fn(usize) -> String,
) -> String {
    let mut text = String::from("id,at,giver,receiver,kind,reverses\n");
    for i in 0..rows {
        for (at, line) in extra {
            if *at == i {
                text.push_str(line);
                text.push('\n');
            }
        }
        text.push_str(&format!("{},2024-03-01,ann,bob,help,\n", id(i)));
    }
    text
}

/// Asserts that the store holds the gestures of `files` (the first of each id)
/// in the files' order, numbered in that order, that a gesture given now is
/// numbered after them, and that the balances hold.
pub fn assert_stored_in_order<S: Store>(store: &mut S, files: &[&str]) {
    let mut seen = std::collections::HashSet::new();
    let in_files: Vec<String> = files
        .iter()
        .flat_map(|text| text.lines().skip(1))
        .map(|line| line.split(',').next().unwrap().to_string())
        .filter(|id| seen.insert(id.clone()))
        .collect();
    let mut stored = Vec::new();
    let mut last_seq = 0;
    store
        .for_each_gesture(&mut |g| {
            assert!(g.seq > last_seq, "in order of storing");
            last_seq = g.seq;
            stored.push(g.gesture.id.as_str().to_string());
            Ok(())
        })
        .unwrap();
    assert_eq!(stored, in_files);
    let after = GestureText {
        id: "later",
        at: "2024-03-06",
        giver: "ann",
        receiver: "bob",
        kind: "help",
        ..GestureText::default()
    };
    ledger::give_batch(store, &[after]).unwrap();
    let later = GestureId::parse("later").unwrap().unwrap();
    assert!(store.gesture(&later).unwrap().unwrap().seq > last_seq);
    assert_consistent(store);
}

/// `rows` gestures with ids in order (`{prefix}00000` on) between the setup's
/// people and organizations, in both dimensions, over two years of months.
pub fn varied_gestures_file(prefix: &str, rows: usize) -> String {
    const PAIRS: [(&str, &str); 5] = [
        ("ann", "bob"),
        ("bob", "ann"),
        ("solo", "ann"),
        ("bob", "solo"),
        ("us", "cust"),
    ];
    let mut text = String::from("id,at,giver,receiver,kind,amount\n");
    for i in 0..rows {
        let (giver, receiver) = PAIRS[i % PAIRS.len()];
        let (kind, amount) = match i % 3 {
            0 => ("pay", format!("{}.{:02}", i % 500 + 1, i % 100)),
            1 => ("thanks", String::new()),
            _ => ("help", format!("{}", i % 7 + 1)),
        };
        let month = i % 24;
        text.push_str(&format!(
            "{prefix}{i:05},{}-{:02}-{:02}T10:00:00,{giver},{receiver},{kind},{amount}\n",
            2023 + month / 12,
            month % 12 + 1,
            i % 28 + 1
        ));
    }
    text
}
