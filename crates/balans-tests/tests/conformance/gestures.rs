//! Gestures: reversals, and listing by every filter.

use balans_core::GestureId;

use balans_store::LedgerError;
use balans_store::import;
use balans_store::ledger::{self};
use balans_store::prelude::*;
use balans_tests::Backend;

use crate::support::*;

pub fn a_reversal_cancels_once<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    give(&mut store, "h1", "2024-03-01", "ann", "bob", "help").unwrap();
    let reversed = ledger::reverse(
        &mut store,
        "h1",
        Some("2024-03-05"),
        Some("entered twice"),
        Some("r1"),
    )
    .unwrap();
    assert!(reversed.added);
    assert_eq!(credit(&reversed.balance), ("0.00".into(), "0.00".into(), 2));
    let org = ledger::pair_balance(&mut store, "us", "cust", None).unwrap();
    assert_eq!(credit(&org), ("0.00".into(), "0.00".into(), 2));
    // Retrying the same reversal changes nothing; a second reversal is refused.
    let retry = ledger::reverse(
        &mut store,
        "h1",
        Some("2024-03-05"),
        Some("entered twice"),
        Some("r1"),
    )
    .unwrap();
    assert!(!retry.added);
    let error = ledger::reverse(&mut store, "h1", None, None, None).unwrap_err();
    assert!(
        error.to_string().contains("already reversed by 'r1'"),
        "{error}"
    );
    let error = ledger::reverse(&mut store, "r1", None, None, None).unwrap_err();
    assert!(error.to_string().contains("itself a reversal"), "{error}");
    let error = ledger::reverse(&mut store, "nope", None, None, None).unwrap_err();
    assert!(matches!(error, LedgerError::NotFound { .. }), "{error}");
    assert_consistent(&mut store);
}

pub fn a_reversal_counts_where_its_gesture_counted<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    give(&mut store, "h1", "2024-03-01", "ann", "bob", "help").unwrap();
    // Bob moves to another customer; his earlier help still counts for cust.
    import_texts(
        &mut store,
        &[
            ("p.csv", "key,kind,name\nother,organization,Ander BV\n"),
            ("m.csv", "person,organization,role,from,until\nbob,cust,contact,2020-01-01,2024-04-01\nbob,other,contact,2024-04-01,\n"),
        ],
    )
    .unwrap();
    ledger::reverse(&mut store, "h1", Some("2024-05-01"), None, None).unwrap();
    let cust = ledger::pair_balance(&mut store, "us", "cust", None).unwrap();
    assert_eq!(credit(&cust), ("0.00".into(), "0.00".into(), 2));
    let other = ledger::pair_balance(&mut store, "us", "other", None).unwrap();
    assert_eq!(other.credit.count, 0);
    assert_consistent(&mut store);
}

/// A reversal in a file may leave its amount out, whatever its kind: it takes
/// the opposite of its gesture's, even for a kind without a default (a
/// payment), and one that states it must state that opposite.
pub fn a_reversal_in_a_file_takes_its_gestures_amount<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let file = "id,at,giver,receiver,kind,amount,reverses\n\
                p1,2024-03-01T10:00:00,us,cust,pay,10.00,\n\
                h1,2024-03-01T11:00:00,ann,bob,help,3,\n\
                rp1,2024-03-02T10:00:00,us,cust,pay,,p1\n\
                rh1,2024-03-02T11:00:00,ann,bob,help,,h1\n";
    let summary = import_texts(&mut store, &[("g.csv", file)]).unwrap();
    assert_eq!(summary.gestures_added, 4);
    let amount = |store: &mut B::Store, id: &str| {
        let id = GestureId::parse(id).unwrap().unwrap();
        store
            .gesture(&id)
            .unwrap()
            .unwrap()
            .gesture
            .amount
            .to_string()
    };
    assert_eq!(amount(&mut store, "rp1"), "-10.00");
    assert_eq!(amount(&mut store, "rh1"), "-3.00");
    let paid = ledger::pair_balance(&mut store, "us", "cust", None).unwrap();
    assert_eq!(money(&paid), ("0.00".into(), "0.00".into(), 2));
    let help = ledger::pair_balance(&mut store, "ann", "bob", None).unwrap();
    assert_eq!(credit(&help), ("0.00".into(), "0.00".into(), 2));
    // The same file again adds nothing; a stated amount must be the opposite.
    let again = import_texts(&mut store, &[("g.csv", file)]).unwrap();
    assert_eq!(again.gestures_already_present, 4);
    let wrong = "id,at,giver,receiver,kind,amount,reverses\n\
                 p2,2024-03-03T10:00:00,us,cust,pay,5.00,\n\
                 rp2,2024-03-04T10:00:00,us,cust,pay,-4.00,p2\n";
    let error = import_texts(&mut store, &[("w.csv", wrong)]).unwrap_err();
    assert!(error.to_string().contains("has amount -5.00"), "{error}");
    assert_consistent(&mut store);
}

/// Reversals in one batch are checked as if each row were stored alone, in
/// order: of a gesture earlier in the batch, a retry in it, a second reversal
/// of one, a reversal of a reversal, of a gesture that comes later, one whose
/// id another gesture has (which reverses nothing). The same rows in batches
/// of one row give the very same errors, and without the bad rows the same
/// store.
pub fn reversals_in_one_batch_are_checked_as_one_by_one<B: Backend>() {
    let header = "id,at,giver,receiver,kind,amount,reverses\n";
    let good = [
        "g1,2024-03-01T10:00:00,ann,bob,help,3,",
        "r1,2024-03-02T10:00:00,ann,bob,help,,g1",
        "r1,2024-03-02T10:00:00,ann,bob,help,,g1",
        "g9,2024-03-01T11:00:00,ann,bob,help,2,",
        "r5,2024-03-02T14:00:00,ann,bob,help,-2,g9",
        "g1,2024-03-01T10:00:00,ann,bob,help,3,",
        "x1,2024-03-01T12:00:00,bob,ann,thanks,,",
        "r8,2024-03-02T16:00:00,bob,ann,thanks,,x1",
    ];
    let bad = [
        (2, "r2,2024-03-02T11:00:00,ann,bob,help,,g1"),
        (2, "r3,2024-03-02T12:00:00,ann,bob,help,,r1"),
        (3, "r4,2024-03-02T13:00:00,ann,bob,help,,g9"),
        (5, "r6,2024-03-02T15:00:00,ann,solo,help,,g9"),
        (7, "g1,2024-03-02T16:00:00,bob,ann,thanks,,x1"),
    ];
    let file = |with_bad: bool| {
        let mut text = header.to_string();
        for (i, row) in good.iter().enumerate() {
            if with_bad {
                for (_, line) in bad.iter().filter(|(at, _)| *at == i) {
                    text.push_str(line);
                    text.push('\n');
                }
            }
            text.push_str(row);
            text.push('\n');
        }
        text
    };
    let one_by_one = import::Limits {
        batch_rows: 1,
        ..import::Limits::default()
    };
    let imported = |limits: import::Limits, with_bad: bool| {
        let (mut store, guard) = B::fresh();
        setup(&mut store);
        let outcome = import_texts_within(&mut store, &[("g.csv", &file(with_bad))], limits);
        (store, guard, outcome)
    };
    let (_, _g1, whole) = imported(import::Limits::default(), true);
    let (_, _g2, alone) = imported(one_by_one, true);
    let errors = |outcome: Result<import::Summary, LedgerError>| match outcome {
        Err(LedgerError::Rejected(rejection)) => rejection
            .errors
            .iter()
            .map(|e| format!("{}:{} {}", e.line, e.column.unwrap_or(""), e.message))
            .collect::<Vec<_>>(),
        other => panic!(
            "the bad reversals are refused: {:?}",
            other.map(|s| s.gestures_added)
        ),
    };
    let whole = errors(whole);
    assert_eq!(whole, errors(alone));
    assert_eq!(whole.len(), 5, "{whole:#?}");
    for expected in [
        "already reversed by 'r1'",
        "'r1' is itself a reversal",
        "no gesture with id 'g9' is stored",
        "already reversed by 'r5'",
        "id 'g1' is already used",
    ] {
        assert!(
            whole.iter().any(|e| e.contains(expected)),
            "{expected}: {whole:#?}"
        );
    }

    let (mut whole, _g3, summary) = imported(import::Limits::default(), false);
    let summary = summary.unwrap();
    assert_eq!(
        (summary.gestures_added, summary.gestures_already_present),
        (6, 2)
    );
    let (mut alone, _g4, _) = imported(one_by_one, false);
    assert_eq!(contents(&mut whole), contents(&mut alone));
    assert_consistent(&mut whole);
}

/// A listing of gestures narrowed by each filter, alone and together, in both
/// orders, paged with a cursor that neither skips nor repeats; and a period's
/// gestures counted by kind.
pub fn gestures_are_listed_by_every_filter<B: Backend>() {
    use balans_store::store::GestureFilter;
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    import_texts(
        &mut store,
        &[(
            "gestures.csv",
            "id,at,giver,receiver,kind,amount,note,item\n\
             g1,2024-03-01T10:00:00,ann,bob,help,,,vaas\n\
             g2,2024-03-02T10:00:00,bob,ann,thanks,,een notitie,\n\
             g3,2024-03-03T10:00:00,ann,solo,help,2,,vaas\n\
             g4,2024-04-01T10:00:00,solo,bob,thanks,,,\n\
             g5,2024-04-02T10:00:00,us,cust,pay,10.00,,\n",
        )],
    )
    .unwrap();
    let party = |store: &mut B::Store, key: &str| store.parties_by_keys(&[key]).unwrap()[0].id;
    let stored = |store: &mut B::Store, id: &str| {
        let id = GestureId::parse(id).unwrap().unwrap();
        store.gesture(&id).unwrap().unwrap()
    };
    let list = |store: &mut B::Store, filter: GestureFilter| -> Vec<String> {
        let filter = GestureFilter {
            limit: if filter.limit == 0 { 100 } else { filter.limit },
            ..filter
        };
        store
            .find_gestures(&filter)
            .unwrap()
            .iter()
            .map(|g| g.gesture.id.as_str().to_string())
            .collect()
    };
    let (ann, bob, solo, cust) = (
        party(&mut store, "ann"),
        party(&mut store, "bob"),
        party(&mut store, "solo"),
        party(&mut store, "cust"),
    );
    let help = store
        .kinds()
        .unwrap()
        .into_iter()
        .find(|k| k.def.code.as_str() == "help")
        .unwrap()
        .id;
    let (march_2, april_1) = (
        stored(&mut store, "g2").gesture.at,
        stored(&mut store, "g4").gesture.at,
    );

    let all = GestureFilter::default;
    assert_eq!(list(&mut store, all()), ["g1", "g2", "g3", "g4", "g5"]);
    let cases: Vec<(GestureFilter, &[&str])> = vec![
        (
            GestureFilter {
                party: Some(ann),
                ..all()
            },
            &["g1", "g2", "g3"],
        ),
        (
            GestureFilter {
                party: Some(ann),
                counterpart: Some(bob),
                ..all()
            },
            &["g1", "g2"],
        ),
        (
            GestureFilter {
                kind: Some(help),
                ..all()
            },
            &["g1", "g3"],
        ),
        (
            GestureFilter {
                item: Some("vaas".into()),
                ..all()
            },
            &["g1", "g3"],
        ),
        (
            GestureFilter {
                from: Some(march_2),
                until: Some(april_1),
                ..all()
            },
            &["g2", "g3"],
        ),
        (
            GestureFilter {
                any_of: Some(vec![solo, cust]),
                ..all()
            },
            &["g3", "g4", "g5"],
        ),
        (
            GestureFilter {
                party: Some(bob),
                kind: Some(help),
                item: Some("vaas".into()),
                ..all()
            },
            &["g1"],
        ),
        (
            GestureFilter {
                newest_first: true,
                ..all()
            },
            &["g5", "g4", "g3", "g2", "g1"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(list(&mut store, filter.clone()), expected, "{filter:?}");
    }
    // Pages of two, in either order, from a cursor.
    for newest_first in [false, true] {
        let mut pages = Vec::new();
        let mut after_seq = None;
        loop {
            let page = store
                .find_gestures(&GestureFilter {
                    newest_first,
                    after_seq,
                    limit: 2,
                    ..all()
                })
                .unwrap();
            let Some(last) = page.last() else { break };
            after_seq = Some(last.seq);
            pages.push(
                page.iter()
                    .map(|g| g.gesture.id.as_str().to_string())
                    .collect::<Vec<_>>(),
            );
        }
        let mut expected = vec![vec!["g1", "g2"], vec!["g3", "g4"], vec!["g5"]];
        if newest_first {
            expected = vec![vec!["g5", "g4"], vec!["g3", "g2"], vec!["g1"]];
        }
        assert_eq!(pages, expected);
    }

    let march_1 = stored(&mut store, "g1").gesture.at;
    let march = balans_store::views::kinds_in_period(&mut store, march_1, april_1).unwrap();
    let counted: Vec<(String, u64)> = march.iter().map(|k| (k.code.clone(), k.count)).collect();
    assert_eq!(
        counted,
        [("help".to_string(), 2), ("thanks".to_string(), 1)]
    );
    let help_total = march[0].total.0;
    let help_default = store
        .kinds()
        .unwrap()
        .into_iter()
        .find(|k| k.id == help)
        .unwrap()
        .def
        .default
        .unwrap()
        .minor();
    assert_eq!(help_total, i128::from(help_default + 200));
}

/// A party may be given by its name and a kind by its label in either language,
/// ignoring case and accents, where they name exactly one; what names several or
/// none but is close to some is refused with the candidates, and writes nothing.
pub fn gestures_are_given_by_name_and_label<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    import_texts(
        &mut store,
        &[(
            "parties.csv",
            "key,kind,name\nzoe,person,Zoë Jansen\nann2,person,Ann\n",
        )],
    )
    .unwrap();
    let given = give(
        &mut store,
        "n1",
        "2024-01-02",
        "BOB",
        "zoe jansen",
        "Bedankje",
    )
    .unwrap();
    assert!(given.added);
    let (stored, _) = ledger::gesture_view(&mut store, "n1").unwrap().unwrap();
    assert_eq!(
        (
            stored.giver.as_str(),
            stored.receiver.as_str(),
            stored.kind.as_str()
        ),
        ("bob", "zoe", "thanks")
    );
    give(&mut store, "n2", "2024-01-02", "Klant BV", "solo", "thanks").unwrap();
    let (stored, _) = ledger::gesture_view(&mut store, "n2").unwrap().unwrap();
    assert_eq!(stored.giver, "cust");

    let before = contents(&mut store);
    let refused = |result: Result<ledger::Given, LedgerError>| match result {
        Err(LedgerError::Invalid(errors)) => errors[0].to_string(),
        other => panic!("refused, not {other:?}"),
    };
    assert_eq!(
        refused(give(&mut store, "n3", "2024-01-02", "Ann", "bob", "thanks")),
        "giver: 'Ann' names 2 parties: ann (Ann), ann2 (Ann); give the key"
    );
    assert_eq!(
        refused(give(&mut store, "n3", "2024-01-02", "zo", "bob", "thanks")),
        "giver: no party 'zo': did you mean zoe (Zoë Jansen)?"
    );
    assert!(
        refused(give(&mut store, "n3", "2024-01-02", "bob", "solo", "dank"))
            .starts_with("kind: no kind 'dank': did you mean thanks (bedankje / thanks)"),
    );
    assert_eq!(contents(&mut store), before);
    // A key is a key, even where it is also someone's name.
    give(&mut store, "n4", "2024-01-02", "ann", "bob", "thanks").unwrap();
    assert_consistent(&mut store);
}

/// The newest first means latest in time, however the gestures were stored: an
/// import of last year's gestures after today's lists them after today's, and
/// pages from a cursor neither skip nor repeat one.
pub fn newest_first_follows_time_not_the_order_stored<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let gestures = "id,at,giver,receiver,kind,amount\n\
        t1,2024-05-01,ann,bob,thanks,1\n\
        t2,2023-01-01,ann,bob,thanks,1\n\
        t3,2024-06-01,bob,ann,help,1\n\
        t4,2024-05-01,bob,ann,help,1\n\
        t5,2022-01-01,ann,solo,thanks,1\n";
    import_texts(&mut store, &[("gestures.csv", gestures)]).unwrap();
    let expected = ["t3", "t4", "t1", "t2", "t5"];
    for limit in [1, 2, 3, 10] {
        assert_eq!(
            newest_first_pages(&mut store, None, limit),
            expected,
            "pages of {limit}"
        );
    }
    // A party's gestures, the same way.
    let page = ledger::list_gestures(
        &mut store,
        &ledger::GestureQuery {
            party: Some("ann"),
            newest_first: true,
            ..ledger::GestureQuery::default()
        },
    )
    .unwrap();
    let ids: Vec<_> = page.gestures.iter().map(|g| g.id.to_string()).collect();
    assert_eq!(ids, expected);
}

/// A search by text finds gestures whose note or item holds it, ignoring case.
pub fn gestures_are_found_by_the_text_of_their_note_or_item<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let gestures = "id,at,giver,receiver,kind,amount,note,item\n\
        s1,2024-05-01,ann,bob,thanks,1,Carried the SOFA upstairs,\n\
        s2,2024-05-02,ann,bob,thanks,1,,Sofa Oslo\n\
        s3,2024-05-03,bob,ann,help,1,Nothing to see,table\n";
    import_texts(&mut store, &[("gestures.csv", gestures)]).unwrap();
    let found = |store: &mut B::Store, text: &str| -> Vec<String> {
        ledger::list_gestures(
            store,
            &ledger::GestureQuery {
                text: Some(text),
                newest_first: true,
                ..ledger::GestureQuery::default()
            },
        )
        .unwrap()
        .gestures
        .iter()
        .map(|g| g.id.to_string())
        .collect()
    };
    assert_eq!(found(&mut store, "sofa"), ["s2", "s1"]);
    assert_eq!(
        newest_first_found(&mut store, None, Some("SoFa"), 1),
        ["s2", "s1"],
        "a page at a time"
    );
    assert_eq!(found(&mut store, "TABLE"), ["s3"]);
    assert!(found(&mut store, "chair").is_empty());
    // Text with the characters SQL gives a meaning to is just text.
    assert!(found(&mut store, "%").is_empty());
    assert!(found(&mut store, "_").is_empty());
}

/// Newest first holds over tens of thousands of gestures stored out of time order: for
/// a party on nearly every gesture and for one on a few, page after page, as
/// sorting all of them by time would give.
pub fn newest_first_holds_over_many_gestures_out_of_order<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let mut rng = fastrand::Rng::with_seed(7);
    let mut gestures = String::from("id,at,giver,receiver,kind,amount,note\n");
    let mut expected: Vec<(u64, usize, String, bool)> = Vec::new();
    // Enough that a store reading by slices of time takes several before it
    // reads the rest in one pass.
    for i in 0..70_000 {
        // Minutes into 2024, many of them shared: ties are broken by the order stored.
        let minute = rng.u64(..50_000);
        let rare = i % 10_000 == 0;
        let receiver = if rare { "solo" } else { "bob" };
        let day = minute / 1_440;
        let (hour, min) = ((minute % 1_440) / 60, minute % 60);
        let date = jiff_free_date(day);
        gestures.push_str(&format!(
            "n{i},{date}T{hour:02}:{min:02}+00:00,ann,{receiver},thanks,1,{}\n",
            if rare { "found the Needle" } else { "coffee" }
        ));
        expected.push((minute, i, format!("n{i}"), rare));
    }
    import_texts(&mut store, &[("gestures.csv", &gestures)]).unwrap();
    expected.sort_by_key(|x| std::cmp::Reverse((x.0, x.1)));
    let all: Vec<String> = expected.iter().map(|e| e.2.clone()).collect();
    assert_eq!(newest_first_pages(&mut store, Some("ann"), 100), all);
    let rare: Vec<String> = expected
        .iter()
        .filter(|e| e.3)
        .map(|e| e.2.clone())
        .collect();
    assert_eq!(rare.len(), 7);
    assert_eq!(newest_first_pages(&mut store, Some("solo"), 3), rare);
    // A text on few of many gestures with a note, and on most of them.
    assert_eq!(
        newest_first_found(&mut store, None, Some("needle"), 3),
        rare
    );
    let coffee = newest_first_found(&mut store, None, Some("COFFEE"), 1_000);
    assert_eq!(coffee.len(), all.len() - rare.len());
    assert!(coffee.iter().all(|id| !rare.contains(id)));
}

/// The ids of every gesture (of `party`) newest first, read page after page of
/// `limit` from each page's cursor.
fn newest_first_pages<S: Store>(store: &mut S, party: Option<&str>, limit: usize) -> Vec<String> {
    newest_first_found(store, party, None, limit)
}

/// As [`newest_first_pages`], of the gestures whose note or item holds `text`.
fn newest_first_found<S: Store>(
    store: &mut S,
    party: Option<&str>,
    text: Option<&str>,
    limit: usize,
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = ledger::list_gestures(
            store,
            &ledger::GestureQuery {
                party,
                text,
                newest_first: true,
                limit: Some(limit),
                cursor: cursor.as_deref(),
                ..ledger::GestureQuery::default()
            },
        )
        .unwrap();
        seen.extend(page.gestures.iter().map(|g| g.id.to_string()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return seen,
        }
    }
}

/// The date `day` days after 1 January 2024, in January to February 2024.
fn jiff_free_date(day: u64) -> String {
    let (month, day) = if day < 31 {
        (1, day + 1)
    } else {
        (2, day - 30)
    };
    format!("2024-{month:02}-{day:02}")
}

/// A window of time gives exactly the gestures in it, narrow or wide.
pub fn a_window_of_time_gives_exactly_its_gestures<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let mut gestures = String::from("id,at,giver,receiver,kind,amount\n");
    // One a day through 2024, stored in a shuffled order.
    let mut days: Vec<u64> = (0..300).collect();
    days.sort_by_key(|d| (d * 7_919) % 300);
    for day in &days {
        let (month, date) = (day / 28 + 1, day % 28 + 1);
        gestures.push_str(&format!(
            "w{day},2024-{month:02}-{date:02}T12:00+00:00,ann,bob,thanks,1\n"
        ));
    }
    import_texts(&mut store, &[("gestures.csv", &gestures)]).unwrap();
    let zone = balans_core::Zone::named("UTC").unwrap();
    for (from, until, count) in [
        ("2024-02-01", "2024-02-11", 10),
        ("2024-01-01", "2024-09-01", 224),
    ] {
        let (from, until) = (zone.parse(from).unwrap(), zone.parse(until).unwrap());
        let mut seen = Vec::new();
        store
            .for_each_flow_between(from, until, &mut |g| {
                assert!(g.at >= from && g.at < until);
                assert_eq!(g.attributed_at, g.at, "no reversal here");
                assert_eq!(g.amount.minor(), 100);
                seen.push(g.at);
                Ok(())
            })
            .unwrap();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), count, "one flow for each gesture: {seen:?}");
    }
}

/// Whether any gesture is stored, as an import and the readiness probe ask it
/// instead of counting them: not in an empty store, nor after a write rolled
/// back; yes after one gesture, whichever it was.
pub fn whether_any_gesture_is_stored<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    assert!(!store.has_gestures().unwrap(), "parties are no gestures");
    store.begin_write().unwrap();
    give(&mut store, "w1", "2024-03-01", "ann", "bob", "thanks").unwrap();
    assert!(
        store.has_gestures().unwrap(),
        "the write sees its own gesture"
    );
    store.rollback().unwrap();
    assert!(!store.has_gestures().unwrap(), "rolled back");
    give(&mut store, "w2", "2024-03-01", "ann", "bob", "thanks").unwrap();
    assert!(store.has_gestures().unwrap());
    assert_eq!(store.gesture_count().unwrap(), 1);
}

conformance!(
    whether_any_gesture_is_stored,
    gestures_are_given_by_name_and_label,
    a_reversal_cancels_once,
    a_reversal_counts_where_its_gesture_counted,
    a_reversal_in_a_file_takes_its_gestures_amount,
    reversals_in_one_batch_are_checked_as_one_by_one,
    gestures_are_listed_by_every_filter,
    newest_first_follows_time_not_the_order_stored,
    gestures_are_found_by_the_text_of_their_note_or_item,
    newest_first_holds_over_many_gestures_out_of_order,
    a_window_of_time_gives_exactly_its_gestures,
);
