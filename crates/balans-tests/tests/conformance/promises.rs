//! Promises (`docs/promises.md`): kept in full or in part, renegotiated,
//! released, broken by hand or by themselves when they fall due, each exactly
//! once; every refusal writes nothing. The clock is the tests': every
//! operation is given its moment.

use balans_core::{GestureId, Moment, Zone};
use balans_store::LedgerError;
use balans_store::ledger::{self, PromiseQuery, PromiseText, PromiseView};
use balans_store::prelude::*;
use balans_tests::Backend;

use crate::support::*;

fn at(text: &str) -> Moment {
    Zone::named("Europe/Amsterdam")
        .unwrap()
        .parse(text)
        .unwrap()
}

fn promise<'a>(
    id: &'a str,
    promiser: &'a str,
    promisee: &'a str,
    kind: &'a str,
) -> PromiseText<'a> {
    PromiseText {
        id,
        promiser,
        promisee,
        kind,
        made: "2025-03-01",
        due: "2025-03-14",
        ..PromiseText::default()
    }
}

/// The stored id of the party with this key.
fn party_id<S: Store>(store: &mut S, key: &str) -> balans_core::PartyId {
    store
        .party_by_key(&balans_core::PartyKey::parse(key).unwrap())
        .unwrap()
        .unwrap()
        .id
}

/// A promise of 3.00 made on 2025-03-01, as written past the ledger's checks.
fn raw_promise(
    id: &str,
    promiser: balans_core::PartyId,
    promisee: balans_core::PartyId,
    kind: balans_core::KindId,
    due: Moment,
) -> balans_store::store::NewPromise {
    balans_store::store::NewPromise {
        id: balans_core::PromiseId::parse(id).unwrap().unwrap(),
        promiser,
        promisee,
        promiser_org: None,
        promisee_org: None,
        kind,
        amount: balans_core::Amount::from_minor(300).unwrap(),
        made: at("2025-03-01"),
        due,
        note: None,
    }
}

fn make<S: Store>(store: &mut S, text: PromiseText<'_>, now: &str) -> PromiseView {
    ledger::make_promise(store, &text, at(now)).unwrap().promise
}

/// The column an invalid request names, or what else came back.
fn refused<T: std::fmt::Debug>(result: Result<T, LedgerError>) -> String {
    match result {
        Err(LedgerError::Invalid(errors)) => errors[0].column.to_string(),
        Err(LedgerError::NotFound { .. }) => "not found".to_string(),
        Err(LedgerError::UnknownParty(_)) => "unknown party".to_string(),
        other => panic!("not refused: {other:?}"),
    }
}

fn state<S: Store>(store: &mut S, id: &str) -> &'static str {
    ledger::promise(store, id).unwrap().state
}

/// A promise is made once (the same again is a retry), kept in full or in
/// part with the promised gesture from promiser to promisee, and the gesture
/// counts in the balance.
pub fn a_promise_is_kept_in_full_or_in_part<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let call = make(
        &mut store,
        promise("call", "ann", "bob", "help"),
        "2025-03-01",
    );
    assert_eq!(
        (call.state, call.amount.to_string(), call.kind.as_str()),
        ("open", "3.00".to_string(), "help")
    );
    assert_eq!(call.dues.len(), 1);
    let again = ledger::make_promise(
        &mut store,
        &promise("call", "ann", "bob", "help"),
        at("2025-03-02"),
    )
    .unwrap();
    assert!(!again.added);
    let other = PromiseText {
        amount: "5",
        ..promise("call", "ann", "bob", "help")
    };
    assert_eq!(
        refused(ledger::make_promise(&mut store, &other, at("2025-03-02"))),
        "id"
    );

    let kept = ledger::keep_promise(&mut store, "call", None, at("2025-03-10")).unwrap();
    assert_eq!(kept.state, "kept");
    assert!(!kept.kept_in_part);
    let gesture = kept.gesture.clone().unwrap();
    assert_eq!(gesture.as_str(), "call.kept");
    let stored = store
        .gesture(&GestureId::parse("call.kept").unwrap().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(stored.gesture.at, at("2025-03-10"));
    assert_eq!(stored.gesture.amount.to_string(), "3.00");

    let payment = PromiseText {
        amount: "400.00",
        ..promise("pay", "cust", "us", "pay")
    };
    make(&mut store, payment, "2025-03-01");
    let part = ledger::keep_promise(&mut store, "pay", Some("100.00"), at("2025-03-12")).unwrap();
    assert!(part.kept_in_part);
    assert_eq!(part.kept.unwrap().to_string(), "100.00");
    let balance = ledger::pair_balance(&mut store, "us", "cust", None).unwrap();
    assert_eq!(money(&balance), ("0.00".into(), "100.00".into(), 1));
    let people = ledger::pair_balance(&mut store, "ann", "bob", None).unwrap();
    assert_eq!(credit(&people), ("3.00".into(), "0.00".into(), 1));
    assert_consistent(&mut store);
}

/// Wrong promises and wrong changes are refused, naming the field, and write
/// nothing: no promise, no gesture, no change of state.
pub fn wrong_promises_and_changes_write_nothing<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let wrong = [
        (
            PromiseText {
                due: "2025-02-01",
                ..promise("a", "ann", "bob", "help")
            },
            "due",
        ),
        (
            PromiseText {
                due: "",
                ..promise("a", "ann", "bob", "help")
            },
            "due",
        ),
        (promise("a", "ann", "ann", "help"), "promisee"),
        (promise("a", "ann", "bob", "nonsense"), "kind"),
        (promise("a", "ann", "bob", "pay"), "amount"),
        (
            PromiseText {
                amount: "-2",
                ..promise("a", "ann", "bob", "help")
            },
            "amount",
        ),
        (promise("two words", "ann", "bob", "help"), "id"),
    ];
    for (text, column) in wrong {
        assert_eq!(
            refused(ledger::make_promise(&mut store, &text, at("2025-03-01"))),
            column,
            "{text:?}"
        );
    }
    // A promise to oneself says so, not what a gesture to oneself would.
    match ledger::make_promise(
        &mut store,
        &promise("a", "ann", "ann", "help"),
        at("2025-03-01"),
    ) {
        Err(LedgerError::Invalid(errors)) => assert_eq!(
            (errors[0].column, errors[0].message.as_str()),
            ("promisee", "a party cannot make a promise to itself")
        ),
        other => panic!("not refused: {other:?}"),
    }
    assert!(matches!(
        ledger::make_promise(
            &mut store,
            &promise("a", "nobody", "bob", "help"),
            at("2025-03-01")
        ),
        Err(LedgerError::Invalid(_) | LedgerError::UnknownParty(_))
    ));
    let all = PromiseQuery::default();
    assert!(ledger::list_promises(&mut store, &all).unwrap().is_empty());

    make(&mut store, promise("p", "ann", "bob", "help"), "2025-03-01");
    let before = contents(&mut store);
    let now = at("2025-03-05");
    assert_eq!(
        refused(ledger::keep_promise(&mut store, "p", Some("3.01"), now)),
        "amount"
    );
    assert_eq!(
        refused(ledger::keep_promise(&mut store, "p", Some("-1"), now)),
        "amount"
    );
    assert_eq!(
        refused(ledger::keep_promise(&mut store, "nope", None, now)),
        "not found"
    );
    assert_eq!(
        refused(ledger::move_promise(&mut store, "p", "2025-03-04", now)),
        "due"
    );
    assert_eq!(
        refused(ledger::release_promise(&mut store, "p", " ", now)),
        "reason"
    );
    assert_eq!(contents(&mut store), before);
    assert_eq!(state(&mut store, "p"), "open");

    // Once resolved, every change is refused, naming how and the gesture.
    ledger::keep_promise(&mut store, "p", None, now).unwrap();
    let after = contents(&mut store);
    for result in [
        ledger::keep_promise(&mut store, "p", None, now).map(|_| ()),
        ledger::break_promise(&mut store, "p", None, now).map(|_| ()),
        ledger::move_promise(&mut store, "p", "2025-04-01", now).map(|_| ()),
        ledger::release_promise(&mut store, "p", "no longer", now).map(|_| ()),
    ] {
        match result {
            Err(LedgerError::Invalid(errors)) => {
                assert_eq!(errors[0].column, "id");
                assert!(
                    errors[0].message.contains("was kept"),
                    "{}",
                    errors[0].message
                );
                assert!(
                    errors[0].message.contains("p.kept"),
                    "{}",
                    errors[0].message
                );
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(contents(&mut store), after);
}

/// A pending promise whose due moment passes is broken by the next sweep (or
/// the next write), at its due moment, with a `broken_promise` gesture whose
/// id derives from the promise's; once.
pub fn a_promise_that_falls_due_breaks_by_itself_once<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    make(
        &mut store,
        promise("call", "us", "bob", "attention"),
        "2025-03-01",
    );
    make(
        &mut store,
        PromiseText {
            due: "2025-03-20",
            ..promise("later", "us", "bob", "attention")
        },
        "2025-03-01",
    );
    let swept = ledger::sweep(&mut store, at("2025-03-13T23:59")).unwrap();
    assert!(swept.broken.is_empty());
    assert_eq!(state(&mut store, "call"), "open");

    let swept = ledger::sweep(&mut store, at("2025-03-14")).unwrap();
    let ids: Vec<&str> = swept.broken.iter().map(|id| id.as_str()).collect();
    assert_eq!(ids, ["call"]);
    let broken = ledger::promise(&mut store, "call").unwrap();
    assert_eq!(broken.state, "broken");
    assert_eq!(broken.resolved_at, Some(at("2025-03-14")));
    let gesture = store
        .gesture(&GestureId::parse("call.broken").unwrap().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(gesture.gesture.at, at("2025-03-14"));
    assert_eq!(gesture.gesture.amount.to_string(), "-3.00");
    assert!(
        ledger::sweep(&mut store, at("2025-03-15"))
            .unwrap()
            .broken
            .is_empty()
    );
    let balance = ledger::pair_balance(&mut store, "us", "cust", None).unwrap();
    assert_eq!(credit(&balance), ("-3.00".into(), "0.00".into(), 1));

    // A write sweeps first: keeping the later one after its due moment finds
    // it broken.
    match ledger::keep_promise(&mut store, "later", None, at("2025-03-21")) {
        Err(LedgerError::Invalid(errors)) => {
            assert!(
                errors[0].message.contains("was broken"),
                "{}",
                errors[0].message
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(state(&mut store, "later"), "broken");
    assert_consistent(&mut store);
}

/// Renegotiated before it fell due, a promise keeps every due moment it had,
/// is not broken at the old one, and can be kept until the new one; released,
/// it ends without a gesture; broken by hand, with its note.
pub fn renegotiated_released_and_broken_by_hand<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    make(
        &mut store,
        promise("sofa", "us", "solo", "help"),
        "2025-03-01",
    );
    let moved = ledger::move_promise(&mut store, "sofa", "2025-03-21", at("2025-03-10")).unwrap();
    assert_eq!(moved.state, "renegotiated");
    let dues: Vec<(Moment, Moment)> = moved.dues.iter().map(|d| (d.due, d.agreed)).collect();
    assert_eq!(
        dues,
        [
            (at("2025-03-14"), at("2025-03-01")),
            (at("2025-03-21"), at("2025-03-10"))
        ]
    );
    assert!(
        ledger::sweep(&mut store, at("2025-03-15"))
            .unwrap()
            .broken
            .is_empty()
    );
    let kept = ledger::keep_promise(&mut store, "sofa", None, at("2025-03-18")).unwrap();
    assert_eq!((kept.state, kept.dues.len()), ("kept", 2));

    make(
        &mut store,
        promise("visit", "ann", "bob", "attention"),
        "2025-03-01",
    );
    let released =
        ledger::release_promise(&mut store, "visit", "the shop closed", at("2025-03-05")).unwrap();
    assert_eq!(
        (released.state, released.reason.as_deref(), released.gesture),
        ("released", Some("the shop closed"), None)
    );
    make(
        &mut store,
        promise("pay", "bob", "ann", "help"),
        "2025-03-01",
    );
    let broken =
        ledger::break_promise(&mut store, "pay", Some("said no"), at("2025-03-06")).unwrap();
    assert_eq!(broken.state, "broken");
    let gesture = store
        .gesture(&GestureId::parse("pay.broken").unwrap().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(gesture.gesture.at, at("2025-03-06"));
    assert_eq!(gesture.gesture.note.as_deref(), Some("said no"));

    let open = ledger::list_promises(
        &mut store,
        &PromiseQuery {
            pending: true,
            ..PromiseQuery::default()
        },
    )
    .unwrap();
    assert!(open.is_empty());
    let bobs: Vec<String> = ledger::list_promises(
        &mut store,
        &PromiseQuery {
            party: Some("bob"),
            ..PromiseQuery::default()
        },
    )
    .unwrap()
    .iter()
    .map(|p| p.id.to_string())
    .collect();
    assert_eq!(bobs, ["pay", "visit"]);
    assert_consistent(&mut store);
}

/// Listing: pending only, overdue (due before now, not swept yet), due within
/// a window, by party; the soonest due first.
pub fn promises_are_listed_soonest_due_first<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    for (id, due) in [
        ("c", "2025-03-30"),
        ("a", "2025-03-10"),
        ("b", "2025-03-20"),
    ] {
        make(
            &mut store,
            PromiseText {
                due,
                ..promise(id, "ann", "bob", "help")
            },
            "2025-03-01",
        );
    }
    make(&mut store, promise("d", "us", "solo", "help"), "2025-03-01");
    let ids = |store: &mut B::Store, query: PromiseQuery<'_>| -> Vec<String> {
        ledger::list_promises(store, &query)
            .unwrap()
            .iter()
            .map(|p| p.id.to_string())
            .collect()
    };
    let now = Some(at("2025-03-15"));
    assert_eq!(
        ids(&mut store, PromiseQuery::default()),
        ["a", "d", "b", "c"]
    );
    let overdue = PromiseQuery {
        overdue: true,
        now,
        ..PromiseQuery::default()
    };
    assert_eq!(ids(&mut store, overdue), ["a", "d"]);
    let week = PromiseQuery {
        due_within_ms: Some(7 * 24 * 3_600_000),
        now,
        ..PromiseQuery::default()
    };
    assert_eq!(ids(&mut store, week), ["a", "d", "b"]);
    let solo = PromiseQuery {
        party: Some("solo"),
        ..PromiseQuery::default()
    };
    assert_eq!(ids(&mut store, solo), ["d"]);

    // A party's promises made and made to it, merged in due order (the same
    // due moment by id), pending only, at most a limit.
    for (id, due) in [("f", "2025-03-20"), ("e", "2025-03-15")] {
        make(
            &mut store,
            PromiseText {
                due,
                ..promise(id, "bob", "ann", "help")
            },
            "2025-03-01",
        );
    }
    let bob = |overdue, limit| PromiseQuery {
        party: Some("bob"),
        pending: true,
        overdue,
        now: Some(at("2025-03-16")),
        limit,
        ..PromiseQuery::default()
    };
    assert_eq!(ids(&mut store, bob(false, 0)), ["a", "e", "b", "f", "c"]);
    assert_eq!(ids(&mut store, bob(false, 3)), ["a", "e", "b"]);
    assert_eq!(ids(&mut store, bob(true, 0)), ["a", "e"]);

    // Page by page: every size gives the whole list once, in order, a page
    // boundary falling between two promises due at the same moment too (b
    // and f); the last page has no cursor.
    for size in 1..=6 {
        let (mut paged, mut cursor, mut pages) = (Vec::new(), None::<String>, 0);
        loop {
            let page =
                ledger::promise_page(&mut store, &bob(false, 0), cursor.as_deref(), Some(size))
                    .unwrap();
            assert!(page.promises.len() <= size);
            paged.extend(page.promises.iter().map(|p| p.id.to_string()));
            pages += 1;
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(paged, ["a", "e", "b", "f", "c"], "pages of {size}");
        assert_eq!(pages, 5_usize.div_ceil(size).max(1), "pages of {size}");
    }
    // A renegotiated promise in a list carries every due moment it had (read
    // for the whole page at once).
    ledger::move_promise(&mut store, "c", "2025-04-02", at("2025-03-16")).unwrap();
    let page = ledger::promise_page(&mut store, &bob(false, 0), None, None).unwrap();
    let c = page.promises.iter().find(|p| p.id.as_str() == "c").unwrap();
    assert_eq!(c.dues.len(), 2);
    assert_eq!(c.dues[0].due, at("2025-03-30"));
    assert_eq!(c.dues[1].due, at("2025-04-02"));
    assert!(
        page.promises
            .iter()
            .filter(|p| p.id.as_str() != "c")
            .all(|p| p.dues.len() == 1)
    );
    // A cursor this store did not give, or a page size out of range, is
    // refused by name.
    for (cursor, limit, field) in [
        (Some("tomorrow"), None, "cursor"),
        (Some("12:"), None, "cursor"),
        (None, Some(0), "limit"),
        (None, Some(1001), "limit"),
    ] {
        match ledger::promise_page(&mut store, &bob(false, 0), cursor, limit) {
            Err(LedgerError::Invalid(errors)) => assert_eq!(errors[0].column, field),
            other => panic!("{cursor:?} {limit:?}: {other:?}"),
        }
    }

    // A party's page shows what is still to come, the soonest due first, then
    // what became of the latest (a and e broke at their due moments, b was
    // kept after them), not the oldest of its history.
    ledger::sweep(&mut store, at("2025-03-16")).unwrap();
    ledger::keep_promise(&mut store, "b", None, at("2025-03-17")).unwrap();
    let shown = |store: &mut B::Store, n| -> Vec<String> {
        ledger::pair_promises(store, "bob", None, Default::default(), n)
            .unwrap()
            .promises
            .iter()
            .map(|p| p.id.to_string())
            .collect()
    };
    assert_eq!(shown(&mut store, 10), ["f", "c", "b", "e", "a"]);
    assert_eq!(shown(&mut store, 3), ["f", "c", "b"]);
}

/// The kept rates count a promise for the side its parties counted for when
/// it was resolved, also where promises otherwise alike were resolved before
/// and after a person left; a page lists the promises of a pair past many of
/// the party's that do not count for it, from whichever side.
pub fn kept_rates_follow_a_departure_and_pages_skip_what_does_not_count<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    for id in ["p1", "p2", "p3"] {
        make(
            &mut store,
            PromiseText {
                due: "2025-03-20",
                ..promise(id, "ann", "bob", "help")
            },
            "2025-03-01",
        );
    }
    // p1 and p3 are alike but for when they were kept: before and after ann
    // left Wij BV.
    ledger::keep_promise(&mut store, "p1", None, at("2025-03-02")).unwrap();
    ledger::break_promise(&mut store, "p2", None, at("2025-03-04")).unwrap();
    ledger::set_membership(
        &mut store,
        &balans_store::snapshot::MembershipText {
            person: "ann",
            organization: "us",
            role: "employee",
            from: "2020-01-01",
            until: "2025-03-05",
        },
    )
    .unwrap();
    ledger::keep_promise(&mut store, "p3", None, at("2025-03-06")).unwrap();
    let rate = |store: &mut B::Store, a: &str, b: Option<&str>| {
        let r = ledger::kept_rates(store, a, b, Default::default())
            .unwrap()
            .a;
        (r.rate.map(|x| (x * 10_000.0).round() as i64), r.resolved)
    };
    // Wij BV: p1 kept, p2 broken; p3 was ann's alone.
    assert_eq!(rate(&mut store, "us", Some("cust")), (Some(5_000), 2));
    assert_eq!(rate(&mut store, "us", None), (Some(5_000), 2));
    assert_eq!(rate(&mut store, "ann", None), (Some(6_667), 3));
    assert_eq!(rate(&mut store, "ann", Some("bob")), (Some(6_667), 3));

    // Bob's 60 promises to solo come first in due order, and none is
    // between Klant BV and Wij BV; then two of ann's to bob.
    for i in 0..60 {
        make(
            &mut store,
            PromiseText {
                due: "2025-04-01",
                ..promise(&format!("solo-{i:02}"), "bob", "solo", "help")
            },
            "2025-03-10",
        );
    }
    for (id, due) in [("late-b", "2025-04-03"), ("late-a", "2025-04-02")] {
        make(
            &mut store,
            PromiseText {
                due,
                ..promise(id, "bob", "ann", "help")
            },
            "2025-03-10",
        );
    }
    let shown = |store: &mut B::Store, a: &str, b: Option<&str>, n| -> Vec<String> {
        ledger::pair_promises(store, a, b, Default::default(), n)
            .unwrap()
            .promises
            .iter()
            .map(|p| p.id.to_string())
            .collect()
    };
    assert_eq!(
        shown(&mut store, "cust", Some("ann"), 3),
        ["late-a", "late-b", "p3"]
    );
    assert_eq!(
        shown(&mut store, "ann", Some("cust"), 4),
        ["late-a", "late-b", "p3", "p2"]
    );
    assert_eq!(shown(&mut store, "ann", None, 2), ["late-a", "late-b"]);
    assert_eq!(shown(&mut store, "cust", None, 1), ["solo-00"]);
    // Read from bob's side: past the 60 that are not to ann.
    assert_eq!(
        shown(&mut store, "bob", Some("ann"), 2),
        ["late-a", "late-b"]
    );
}

/// Two processes sweeping at once break each promise once: one gesture each,
/// and the balance counts it once.
pub fn concurrent_sweeps_break_each_promise_once<B: Backend>() {
    let (mut store, guard) = B::fresh();
    setup(&mut store);
    for i in 0..40 {
        let id = format!("p{i}");
        make(
            &mut store,
            promise(&id, "ann", "bob", "attention"),
            "2025-03-01",
        );
    }
    let barrier = std::sync::Barrier::new(2);
    let counts: Vec<usize> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let mut store = B::again(guard.as_ref());
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    ledger::sweep(&mut store, at("2025-03-15"))
                        .unwrap()
                        .broken
                        .len()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(counts.iter().sum::<usize>(), 40, "{counts:?}");
    let balance = ledger::pair_balance(&mut store, "ann", "bob", None).unwrap();
    assert_eq!(credit(&balance), ("-120.00".into(), "0.00".into(), 40));
    assert_consistent(&mut store);
}

/// A sweep with nothing due, as before most writes, is a read: it answers
/// while another process holds the write, instead of waiting for it.
pub fn a_sweep_with_nothing_due_does_not_wait_for_a_write<B: Backend>() {
    let (mut store, guard) = B::fresh();
    setup(&mut store);
    make(
        &mut store,
        promise("later", "ann", "bob", "attention"),
        "2025-03-01",
    );
    let mut writer = B::again(guard.as_ref());
    writer.begin_write().unwrap();
    give(&mut writer, "held", "2025-03-02", "ann", "bob", "help").unwrap();
    let (sent, answer) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let swept = ledger::sweep(&mut store, at("2025-03-05"));
            sent.send(swept.map(|s| s.broken.len())).unwrap();
        });
        // Generous: the sweep is a read of one row. A sweep that waited for
        // the write would wait until the rollback below.
        let waited = answer.recv_timeout(std::time::Duration::from_secs(20));
        writer.rollback().unwrap();
        assert_eq!(
            waited
                .expect("the sweep waited for the other write")
                .unwrap(),
            0
        );
    });
    // What is due is still broken, in a write of its own.
    let swept = ledger::sweep(&mut store, at("2025-03-20")).unwrap();
    assert_eq!(swept.broken.len(), 1);
    assert_consistent(&mut store);
}

/// A sweep with more promises due than it breaks at a time breaks every one
/// once, soonest due first, and the balances at both levels are the sums of
/// the gestures it recorded.
pub fn a_sweep_of_many_batches_breaks_each_once<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let pairs = [
        ("ann", "bob"),
        ("bob", "solo"),
        ("solo", "ann"),
        ("us", "bob"),
    ];
    let pairs: Vec<_> = pairs
        .iter()
        .map(|(a, b)| (party_id(&mut store, a), party_id(&mut store, b)))
        .collect();
    let kind = store.catalog().unwrap().kind_by_code("help").unwrap().id;
    let first = at("2025-03-02");
    let count = 2_500;
    balans_store::in_transaction(&mut store, |store| {
        // Made in an order other than their due order.
        for i in (0..count).rev() {
            let (promiser, promisee) = pairs[i % pairs.len()];
            let due = Moment::from_millis(first.millis() + i as i64 * 60_000);
            store.insert_promise(&raw_promise(
                &format!("many-{i}"),
                promiser,
                promisee,
                kind,
                due,
            ))?;
        }
        Ok::<_, LedgerError>(())
    })
    .unwrap();
    // A thousand at a time: three batches.
    let swept = ledger::sweep_by(&mut store, at("2025-03-20"), 1_000)
        .unwrap()
        .broken;
    let expected: Vec<String> = (0..count).map(|i| format!("many-{i}")).collect();
    let swept: Vec<String> = swept.iter().map(|id| id.to_string()).collect();
    assert_eq!(swept, expected);
    assert!(
        ledger::sweep(&mut store, at("2025-03-21"))
            .unwrap()
            .broken
            .is_empty()
    );
    let balance = ledger::pair_balance(&mut store, "ann", "bob", None).unwrap();
    assert_eq!(credit(&balance), ("-1875.00".into(), "0.00".into(), 625));
    assert_consistent(&mut store);
    assert!(ledger::check(&mut store).unwrap().promises.is_empty());
}

/// `balans check` names a kept or broken promise whose gesture is missing or
/// is another, and an open one that names a gesture; a store kept by the
/// ledger passes.
pub fn the_check_names_promises_whose_gesture_does_not_fit<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    for id in ["kept", "lost", "other", "open"] {
        make(&mut store, promise(id, "ann", "bob", "help"), "2025-03-01");
    }
    ledger::keep_promise(&mut store, "kept", None, at("2025-03-05")).unwrap();
    give(&mut store, "thanks-1", "2025-03-05", "bob", "ann", "thanks").unwrap();
    assert!(ledger::check(&mut store).unwrap().promises.is_empty());

    // Written past the ledger, as a damaged store would hold them.
    let row = |store: &mut B::Store, id: &str| {
        store
            .promise(&balans_core::PromiseId::parse(id).unwrap().unwrap())
            .unwrap()
            .unwrap()
            .row
    };
    let missing = GestureId::parse("lost.kept").unwrap().unwrap();
    let lost = row(&mut store, "lost");
    let resolution = |gesture| balans_store::store::Resolution {
        state: balans_core::PromiseState::Kept,
        at: at("2025-03-06"),
        gesture: Some(gesture),
        kept: Some(balans_core::Amount::from_minor(300).unwrap()),
        reason: None,
    };
    assert!(store.resolve_promise(lost, &resolution(&missing)).unwrap());
    let thanks = GestureId::parse("thanks-1").unwrap().unwrap();
    let other = row(&mut store, "other");
    assert!(store.resolve_promise(other, &resolution(&thanks)).unwrap());
    let report = ledger::check(&mut store).unwrap();
    assert!(!report.is_consistent());
    let problems = report.promises.join("\n");
    assert!(
        problems.contains("lost is kept by gesture lost.kept, which is not stored"),
        "{problems}"
    );
    assert!(
        problems.contains("other: gesture thanks-1 is from bob to ann"),
        "{problems}"
    );
    assert!(
        problems.contains("other is kept by gesture thanks-1 of another kind"),
        "{problems}"
    );
    assert!(
        !problems.contains("kept:") && !problems.contains("open"),
        "{problems}"
    );
    assert!(
        problems.contains("kept for 3.00, but gesture thanks-1 gave 1.00"),
        "{problems}"
    );
    assert_eq!(report.promises.len(), 4, "{problems}");
}

/// Export writes every promise with its state, resolution and due moments;
/// an import into an empty store gives the same promises and balances, and a
/// second export the same file; the same file again adds nothing; a stored
/// promise with another state in the file is refused, and nothing is written.
pub fn promises_survive_export_and_import<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    for id in ["kept", "part", "moved", "broken", "released", "open"] {
        let text = PromiseText {
            note: "a note",
            due: "2099-03-14",
            ..promise(id, "ann", "bob", "help")
        };
        make(&mut store, text, "2025-03-01");
    }
    let now = at("2025-03-05");
    ledger::keep_promise(&mut store, "kept", None, now).unwrap();
    ledger::keep_promise(&mut store, "part", Some("1,5"), now).unwrap();
    ledger::move_promise(&mut store, "moved", "2099-04-01", now).unwrap();
    ledger::move_promise(&mut store, "moved", "2099-05-01", at("2025-03-06")).unwrap();
    ledger::break_promise(&mut store, "broken", Some("forgot"), now).unwrap();
    ledger::release_promise(&mut store, "released", "no longer needed", now).unwrap();
    make(
        &mut store,
        PromiseText {
            due: "2025-03-10",
            ..promise("swept", "us", "cust", "attention")
        },
        "2025-03-01",
    );
    ledger::sweep(&mut store, at("2025-03-11")).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let exported = ledger::export(&mut store, dir.path()).unwrap();
    assert_eq!(exported.promises, 7);
    let read = |dir: &std::path::Path| -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                (name, std::fs::read_to_string(&p).unwrap())
            })
            .collect();
        files.sort();
        files
    };
    let files = read(dir.path());
    let named: Vec<(&str, &str)> = files
        .iter()
        .map(|(f, t)| (f.as_str(), t.as_str()))
        .collect();
    let (mut copy, _copy_guard) = B::fresh();
    let summary = import_texts(&mut copy, &named).unwrap();
    assert_eq!(
        (summary.promises_added, summary.promises_already_present),
        (7, 0)
    );
    let everything = |store: &mut B::Store| {
        let promises = ledger::list_promises(store, &PromiseQuery::default()).unwrap();
        format!("{promises:?}\n{}", contents(store))
    };
    assert_eq!(everything(&mut copy), everything(&mut store));
    let again_dir = tempfile::tempdir().unwrap();
    ledger::export(&mut copy, again_dir.path()).unwrap();
    assert_eq!(read(again_dir.path()), files);
    let again = import_texts(&mut copy, &named).unwrap();
    assert_eq!(
        (again.promises_added, again.promises_already_present),
        (0, 7)
    );
    assert_consistent(&mut copy);

    // Another state for a stored promise is refused; nothing is written.
    let promises = &files.iter().find(|(f, _)| f == "promises.csv").unwrap().1;
    let changed = promises.replace(",open,,,,,", ",released,2099-01-01,changed our minds,,,");
    assert_ne!(&changed, promises);
    let before = everything(&mut copy);
    match import_texts(&mut copy, &[("promises.csv", &changed)]) {
        Err(LedgerError::Rejected(rejection)) => {
            assert!(
                rejection
                    .errors
                    .iter()
                    .any(|e| e.to_string().contains("other content or state")),
                "{:?}",
                rejection.errors
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(everything(&mut copy), before);
    // A kept promise whose gesture is in no file nor the store is refused.
    let (mut empty, _empty_guard) = B::fresh();
    let without_gestures: Vec<(&str, &str)> = named
        .iter()
        .copied()
        .filter(|(f, _)| *f != "gestures.csv")
        .collect();
    assert!(import_texts(&mut empty, &without_gestures).is_err());
    assert!(
        ledger::list_promises(&mut empty, &PromiseQuery::default())
            .unwrap()
            .is_empty()
    );
}

/// The kept rate: kept / (kept + broken), a promise kept in part counting by
/// its share, per person and per organization pair in each direction, over a
/// period; open and released promises do not count.
pub fn the_kept_rate_counts_a_part_by_its_share<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let payment = |id| PromiseText {
        amount: "300",
        ..promise(id, "ann", "bob", "pay")
    };
    for id in ["full", "part", "broken", "open", "released"] {
        make(&mut store, payment(id), "2025-03-01");
    }
    make(
        &mut store,
        promise("back", "bob", "ann", "help"),
        "2025-03-01",
    );
    ledger::keep_promise(&mut store, "full", None, at("2025-03-02")).unwrap();
    ledger::keep_promise(&mut store, "part", Some("100"), at("2025-03-03")).unwrap();
    ledger::break_promise(&mut store, "broken", None, at("2025-03-04")).unwrap();
    ledger::release_promise(&mut store, "released", "agreed", at("2025-03-04")).unwrap();
    ledger::keep_promise(&mut store, "back", None, at("2025-03-05")).unwrap();
    let rates = |store: &mut B::Store, a: &str, b: Option<&str>, since: Option<&str>| {
        let period = ledger::ResolvedIn {
            since: since.map(at),
            until: None,
        };
        let r = ledger::kept_rates(store, a, b, period).unwrap();
        (
            r.a.rate.map(|x| (x * 10_000.0).round() as i64),
            r.a.resolved,
            r.b.rate.map(|x| (x * 10_000.0).round() as i64),
            r.b.resolved,
        )
    };
    // (1 + 1/3 + 0) / 3 for ann; bob kept his one.
    assert_eq!(
        rates(&mut store, "ann", Some("bob"), None),
        (Some(4444), 3, Some(10_000), 1)
    );
    assert_eq!(
        rates(&mut store, "us", Some("cust"), None),
        (Some(4444), 3, Some(10_000), 1)
    );
    assert_eq!(
        rates(&mut store, "cust", None, None),
        (Some(10_000), 1, Some(4444), 3)
    );
    assert_eq!(
        rates(&mut store, "ann", None, Some("2025-03-03")),
        (Some(1667), 2, Some(10_000), 1)
    );
    assert_eq!(rates(&mut store, "solo", None, None), (None, 0, None, 0));
    // Before 2025-03-03: "full" alone; from then until 2025-03-05: the
    // part kept and the broken one.
    let mut ann = |since: Option<&str>, until: Option<&str>| {
        let period = ledger::ResolvedIn {
            since: since.map(at),
            until: until.map(at),
        };
        let r = ledger::kept_rates(&mut store, "ann", None, period)
            .unwrap()
            .a;
        (r.rate.map(|x| (x * 10_000.0).round() as i64), r.resolved)
    };
    assert_eq!(ann(None, Some("2025-03-03")), (Some(10_000), 1));
    assert_eq!(
        ann(Some("2025-03-03"), Some("2025-03-05")),
        (Some(1_667), 2)
    );
}

/// A person of two organizations names the one a promise is made for, as a
/// gesture does: without it the promise is refused at `promiser_org`; with
/// it, the gesture that keeps the promise counts for that organization.
pub fn a_promise_names_its_organization_where_a_person_has_several<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    import_texts(
        &mut store,
        &[(
            "memberships.csv",
            "person,organization,role,from,until\nann,cust,contact,2020-01-01,\n",
        )],
    )
    .unwrap();
    assert_eq!(
        refused(ledger::make_promise(
            &mut store,
            &promise("both", "ann", "solo", "help"),
            at("2025-03-01")
        )),
        "promiser_org"
    );
    let named = PromiseText {
        promiser_org: "cust",
        ..promise("for-cust", "ann", "solo", "help")
    };
    let made = make(&mut store, named, "2025-03-01");
    assert_eq!(
        made.promiser_org.as_ref().map(|o| o.key.to_string()),
        Some("cust".to_string())
    );
    ledger::keep_promise(&mut store, "for-cust", None, at("2025-03-02")).unwrap();
    let cust = ledger::pair_balance(&mut store, "cust", "solo", None).unwrap();
    assert_eq!(credit(&cust), ("3.00".into(), "0.00".into(), 1));
    let us = ledger::pair_balance(&mut store, "us", "solo", None).unwrap();
    assert_eq!(credit(&us), ("0.00".into(), "0.00".into(), 0));
    assert_consistent(&mut store);
}

/// A membership that would leave a pending promise's party a member of two
/// organizations at its due moment, the promise naming neither, is refused
/// (set by hand or imported), writing nothing: the promise's automatic break
/// could not be recorded, and the sweep before every write would fail. The
/// sweep then breaks it as usual.
pub fn a_membership_that_would_strand_a_pending_promise_is_refused<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    make(
        &mut store,
        promise("call", "ann", "bob", "help"),
        "2025-03-01",
    );
    let second = balans_store::snapshot::MembershipText {
        person: "bob",
        organization: "us",
        role: "contact",
        from: "2020-01-01",
        until: "",
    };
    match ledger::set_membership(&mut store, &second) {
        Err(LedgerError::Invalid(errors)) => {
            assert_eq!(errors[0].column, "organization");
            assert!(
                errors[0].message.contains("promise call"),
                "{}",
                errors[0].message
            );
        }
        other => panic!("not refused: {other:?}"),
    }
    let imported = import_texts(
        &mut store,
        &[(
            "memberships.csv",
            "person,organization,role,from,until\nbob,us,contact,2020-01-01,\n",
        )],
    );
    assert!(imported.is_err(), "{imported:?}");
    // Nothing written: bob still counts for his one organization, and the
    // promise breaks when it falls due.
    assert_eq!(store.memberships().unwrap().len(), 2);
    let swept = ledger::sweep(&mut store, at("2025-03-15")).unwrap();
    assert_eq!(swept.broken.len(), 1);
    assert_eq!(state(&mut store, "call"), "broken");
    // A second membership that starts after the due moment is fine.
    ledger::set_membership(
        &mut store,
        &balans_store::snapshot::MembershipText {
            from: "2025-04-01",
            ..second
        },
    )
    .unwrap();
    // Moving a promise to a moment when bob counts for two is refused too.
    make(
        &mut store,
        PromiseText {
            due: "2025-03-20",
            ..promise("visit", "ann", "bob", "help")
        },
        "2025-03-01",
    );
    assert_eq!(
        refused(ledger::move_promise(
            &mut store,
            "visit",
            "2025-04-10",
            at("2025-03-16")
        )),
        "promisee_org"
    );
    ledger::move_promise(&mut store, "visit", "2025-03-25", at("2025-03-16")).unwrap();
}

/// A store that already holds a pending promise whose party counts for no
/// single organization at its due moment (written before such memberships
/// were refused, here past the ledger): the sweep leaves it pending and names
/// it, breaks every other one, batch after batch, and every change goes on;
/// `balans check` names it until it is released.
pub fn a_sweep_names_a_stranded_promise_and_goes_on<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    make(
        &mut store,
        PromiseText {
            due: "2025-03-02",
            ..promise("stranded", "ann", "bob", "help")
        },
        "2025-03-01",
    );
    let (ann, bob, solo, us) = (
        party_id(&mut store, "ann"),
        party_id(&mut store, "bob"),
        party_id(&mut store, "solo"),
        party_id(&mut store, "us"),
    );
    let kind = store.catalog().unwrap().kind_by_code("help").unwrap().id;
    // More than a batch of others due after it, and one more of bob's due
    // before the last of them, on a later batch.
    let count = 1_500;
    balans_store::in_transaction(&mut store, |store| {
        for i in 0..count {
            let (promiser, promisee) = if i == 1_200 { (bob, solo) } else { (ann, solo) };
            let due = Moment::from_millis(at("2025-03-03").millis() + i as i64 * 60_000);
            let id = format!("other-{i:04}");
            store.insert_promise(&raw_promise(&id, promiser, promisee, kind, due))?;
        }
        // bob becomes a member of a second organization: written past the
        // ledger, which refuses it.
        store.upsert_membership(&balans_core::Membership {
            person: bob,
            organization: us,
            role: balans_core::Role::Contact,
            from: at("2020-01-01"),
            until: None,
        })?;
        Ok::<_, LedgerError>(())
    })
    .unwrap();
    let problems = ledger::check(&mut store).unwrap().promises;
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].contains("promise stranded falls due at")
            && problems[0].contains("bob is a member of several organizations"),
        "{problems:?}"
    );

    // A thousand at a time: two batches.
    let swept = ledger::sweep_by(&mut store, at("2025-03-20"), 1_000).unwrap();
    assert_eq!(swept.broken.len(), count - 1);
    assert!(
        swept
            .broken
            .iter()
            .all(|id| id.as_str().starts_with("other-"))
    );
    let stranded: Vec<&str> = swept.stranded.iter().map(|s| s.promise.as_str()).collect();
    assert_eq!(stranded, ["stranded", "other-1200"]);
    assert!(
        swept.stranded[0]
            .problem
            .contains("bob is a member of several organizations"),
        "{:?}",
        swept.stranded
    );
    assert_eq!(state(&mut store, "stranded"), "open");
    assert_eq!(state(&mut store, "other-1200"), "open");
    assert_eq!(state(&mut store, "other-1499"), "broken");
    // Named again by the next sweep, which breaks nothing twice.
    let again = ledger::sweep(&mut store, at("2025-03-21")).unwrap();
    assert!(again.broken.is_empty());
    assert_eq!(again.stranded.len(), 2);
    // Changes go on: a gesture, and releasing the stranded ones.
    give(
        &mut store,
        "thanks-1",
        "2025-03-21",
        "solo",
        "ann",
        "thanks",
    )
    .unwrap();
    for id in ["stranded", "other-1200"] {
        ledger::release_promise(&mut store, id, "bob moved on", at("2025-03-21")).unwrap();
    }
    assert!(
        ledger::sweep(&mut store, at("2025-03-22"))
            .unwrap()
            .stranded
            .is_empty()
    );
    assert_consistent(&mut store);
    assert!(ledger::check(&mut store).unwrap().promises.is_empty());
}

conformance!(
    kept_rates_follow_a_departure_and_pages_skip_what_does_not_count,
    a_sweep_names_a_stranded_promise_and_goes_on,
    a_membership_that_would_strand_a_pending_promise_is_refused,
    a_promise_names_its_organization_where_a_person_has_several,
    the_kept_rate_counts_a_part_by_its_share,
    promises_survive_export_and_import,
    the_check_names_promises_whose_gesture_does_not_fit,
    a_promise_is_kept_in_full_or_in_part,
    wrong_promises_and_changes_write_nothing,
    a_promise_that_falls_due_breaks_by_itself_once,
    renegotiated_released_and_broken_by_hand,
    promises_are_listed_soonest_due_first,
    concurrent_sweeps_break_each_promise_once,
    a_sweep_with_nothing_due_does_not_wait_for_a_write,
    a_sweep_of_many_batches_breaks_each_once,
);
