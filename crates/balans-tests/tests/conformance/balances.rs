//! Balances at both levels and credit per month, equal to the sum of their
//! gestures however they were written.

use balans_core::Level;
use balans_store::import::Limits;
use balans_store::ledger::{self};
use balans_store::prelude::*;

use balans_tests::Backend;

use crate::support::*;

pub fn balances_at_person_and_organization_level<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let gestures = "id,at,giver,receiver,kind,amount\n\
        g1,2024-03-01,ann,bob,thanks,\n\
        g2,2024-03-02,bob,ann,help,2.5\n\
        g3,2024-03-03,us,cust,deliver,100\n\
        g4,2024-03-04,cust,us,pay,100.00\n\
        g5,2024-03-05,ann,solo,attention,\n";
    let summary = import_texts(&mut store, &[("gestures.csv", gestures)]).unwrap();
    assert_eq!((summary.gestures_added, summary.rows), (5, 5));

    let person = ledger::pair_balance(&mut store, "ann", "bob", None).unwrap();
    assert_eq!(person.level, Level::Person);
    assert_eq!(credit(&person), ("1.00".into(), "2.50".into(), 2));
    assert_eq!(person.credit.net.to_string(), "-1.50");
    assert_eq!(person.credit.evenness.unwrap().to_string(), "0.5714");

    let org = ledger::pair_balance(&mut store, "us", "cust", None).unwrap();
    assert_eq!(org.level, Level::Organization);
    assert_eq!(credit(&org), ("1.00".into(), "2.50".into(), 2));
    assert_eq!(money(&org), ("100.00".into(), "100.00".into(), 2));
    assert_eq!(org.money.evenness.unwrap().to_string(), "1.0000");
    // A payment between the organizations themselves counts once, for that pair.
    let direct = ledger::pair_balance(&mut store, "us", "cust", Some(Level::Person)).unwrap();
    assert_eq!(money(&direct), ("100.00".into(), "100.00".into(), 2));
    assert_eq!(direct.credit.count, 0);
    // A person of no organization stands for themselves.
    let solo = ledger::pair_balance(&mut store, "us", "solo", Some(Level::Organization)).unwrap();
    assert_eq!(credit(&solo), ("1.00".into(), "0.00".into(), 1));
    // Seen from the other side, the directions swap.
    let flipped = ledger::pair_balance(&mut store, "cust", "us", None).unwrap();
    assert_eq!(credit(&flipped), ("2.50".into(), "1.00".into(), 2));

    let list = ledger::counterparts(&mut store, "us", None).unwrap();
    let keys: Vec<_> = list
        .counterparts
        .iter()
        .map(|v| v.b.key.to_string())
        .collect();
    assert_eq!(keys, ["cust", "solo"], "largest credit imbalance first");
    assert_consistent(&mut store);
}

pub fn monthly_credit_follows_gestures_memberships_and_time_zone<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    // Ann (of us) thanks Bob (of cust) at 00:30 on 1 February in Amsterdam, which
    // is 23:30 on 31 January in UTC.
    give(&mut store, "m1", "2024-02-01T00:30", "ann", "bob", "thanks").unwrap();
    give(&mut store, "m2", "2024-03-15", "bob", "ann", "help").unwrap();
    give(&mut store, "m3", "2024-03-16", "cust", "us", "pay").ok();
    let us = ledger::find_party(&mut store, "us").unwrap();
    let months = |store: &mut B::Store| -> Vec<(i32, i64, i64)> {
        store
            .months_of(us.id)
            .unwrap()
            .into_iter()
            .map(|(m, t)| (m, t.low_to_high, t.high_to_low))
            .collect()
    };
    let month = |year: i32, month: i32| year * 12 + month - 1;
    // Money (a payment) is not credit; the months are Amsterdam's.
    assert_eq!(
        months(&mut store),
        [(month(2024, 2), 100, 0), (month(2024, 3), 0, 300)]
    );
    let timeline = balans_store::views::timeline(&mut store, "us").unwrap();
    let points: Vec<_> = timeline
        .points
        .iter()
        .map(|(_, name, net)| (name.clone(), net.to_string()))
        .collect();
    assert_eq!(
        points,
        [
            ("2024-02".to_string(), "1.00".to_string()),
            ("2024-03".into(), "-2.00".into())
        ]
    );
    let ann = balans_store::views::timeline(&mut store, "ann").unwrap();
    assert_eq!(
        (ann.given.to_string(), ann.received.to_string()),
        ("1.00".into(), "3.00".into())
    );
    assert_eq!(ann.points.len(), 2, "one point per day with gestures");

    // When Ann leaves us before March, her March gesture no longer counts for us.
    import_texts(
        &mut store,
        &[(
            "m.csv",
            "person,organization,role,from,until\nann,us,employee,2020-01-01,2024-03-01\n",
        )],
    )
    .unwrap();
    assert_eq!(months(&mut store), [(month(2024, 2), 100, 0)]);
    assert_consistent(&mut store);

    // In UTC the first gesture falls in January.
    ledger::set_setting(&mut store, "timezone", "UTC").unwrap();
    assert_eq!(months(&mut store), [(month(2024, 1), 100, 0)]);
    assert_consistent(&mut store);

    // A store whose months were never kept gets them on first open.
    store.begin_write().unwrap();
    store.replace_months(&[]).unwrap();
    store.set_setting("months_built", "").unwrap();
    store.commit().unwrap();
    assert!(months(&mut store).is_empty());
    ledger::ensure_months(&mut store).unwrap();
    assert_eq!(months(&mut store), [(month(2024, 1), 100, 0)]);

    // A stored monthly total that differs from the gestures is reported.
    store.begin_write().unwrap();
    store
        .add_to_months(&[(
            (us.id, month(2024, 1)),
            balans_core::Totals::of(
                true,
                balans_core::Amount::from_minor(1).unwrap(),
                balans_core::Moment::from_millis(0),
            ),
        )])
        .unwrap();
    store.commit().unwrap();
    let report = ledger::check(&mut store).unwrap();
    assert_eq!(report.differences.len(), 1, "{:?}", report.differences);
    assert!(
        report.differences[0].b.contains("2024-01"),
        "{:?}",
        report.differences
    );
}

/// A long import puts its sums into sorted runs in temporary files, whenever the
/// pairs summed in memory reach their limit, merges them and hands the store
/// each sum once, in parts; a first import may be loading its gestures in bulk
/// meanwhile. Small limits take a few thousand gestures down that path (a batch
/// of a few hundred rows, a run after every batch): the store ends exactly as
/// after the same files imported in one go, for a first import and for a later
/// one.
pub fn sums_written_in_parts_lose_nothing<B: Backend>() {
    let small = Limits {
        batch_rows: 256,
        batch_bytes: 4 << 20,
        deferred_batches: 2,
        pending_pairs: 1,
        contents_in_memory: 1,
    };
    // A first and a later import with the given limits: what the store holds
    // after each.
    let import_within = |limits: Limits, first: &str, later: &str| {
        let (mut store, guard) = B::fresh();
        setup(&mut store);
        let mut after = Vec::new();
        for (name, text) in [("first.csv", first), ("later.csv", later)] {
            let summary = import_texts_within(&mut store, &[(name, text)], limits).unwrap();
            assert_eq!(summary.gestures_added, text.lines().count() as u64 - 1);
            after.push((contents(&mut store), store.all_months().unwrap()));
        }
        assert_consistent(&mut store);
        (store, guard, after)
    };
    let first = varied_gestures_file("v", 6_000);
    let later = varied_gestures_file("w", 3_000);
    let (_, _whole_guard, whole) = import_within(Limits::default(), &first, &later);
    assert!(!whole[0].1.is_empty(), "the organizations have months");
    let (mut parts, _parts_guard, in_parts) = import_within(small, &first, &later);
    assert_eq!(in_parts, whole);
    assert_stored_in_order(&mut parts, &[&first, &later]);

    // Limits of zero: batches of one row, a run after each.
    let zero = Limits {
        batch_rows: 0,
        batch_bytes: 0,
        deferred_batches: 0,
        pending_pairs: 0,
        contents_in_memory: 0,
    };
    let first = varied_gestures_file("v", 150);
    let later = varied_gestures_file("w", 50);
    let (_, _whole_guard, whole) = import_within(Limits::default(), &first, &later);
    assert_eq!(import_within(zero, &first, &later).2, whole);
}

/// A large import over many pairs: 600 people of 40 organizations (some
/// leaving and moving during the period) and 120 private customers, gestures
/// between random pairs out of time order, so that nearly every gesture is a
/// pair of its own at both levels. With the sums handed to the store in parts
/// (small limits) or whole, every balance at both levels equals the sum of its
/// gestures and the two stores hold the same; a bad row in the last batch of a
/// second such file leaves the store exactly as it was.
pub fn a_large_import_over_many_pairs_sums_every_pair<B: Backend>() {
    let (parties, memberships) = many_pairs_directory();
    let mut rng = fastrand::Rng::with_seed(17);
    let mut file = |prefix: &str, rows: usize| many_pairs_file(&mut rng, prefix, rows);
    let gestures = file("m", 12_000);
    let small = Limits {
        batch_rows: 1_000,
        batch_bytes: 4 << 20,
        deferred_batches: 2,
        pending_pairs: 5_000,
        contents_in_memory: 100,
    };
    let imported = |limits: Limits| {
        let (mut store, guard) = B::fresh();
        setup(&mut store);
        import_texts(
            &mut store,
            &[("parties.csv", &parties), ("memberships.csv", &memberships)],
        )
        .unwrap();
        let summary =
            import_texts_within(&mut store, &[("gestures.csv", &gestures)], limits).unwrap();
        assert_eq!(summary.gestures_added, 12_000);
        assert_consistent(&mut store);
        (store, guard)
    };
    let (mut whole, _whole_guard) = imported(Limits::default());
    let (mut parts, _parts_guard) = imported(small);
    assert_eq!(contents(&mut parts), contents(&mut whole));
    let pairs = store_pairs(&mut parts);
    assert!(
        pairs > 15_000,
        "about a pair per gesture at each level: {pairs}"
    );
    // A second file whose last row names no party: nothing of it is stored.
    let before = contents(&mut parts);
    let mut bad = file("n", 12_000);
    bad.push_str("n-last,2023-05-01,p1,nobody,thanks,\n");
    let refused = import_texts_within(&mut parts, &[("more.csv", &bad)], small);
    assert!(
        matches!(refused, Err(balans_store::LedgerError::Rejected(_))),
        "{refused:?}"
    );
    assert_eq!(contents(&mut parts), before);
    assert_consistent(&mut parts);
}

/// 600 people of 40 organizations (some leaving and moving in the middle of
/// 2023) and 120 private customers: parties and memberships.
fn many_pairs_directory() -> (String, String) {
    let mut parties = String::from("key,kind,name\n");
    let mut memberships = String::from("person,organization,role,from,until\n");
    for o in 0..40 {
        parties.push_str(&format!("o{o},organization,Org {o}\n"));
    }
    for p in 0..720 {
        parties.push_str(&format!("p{p},person,Person {p}\n"));
        if p < 600 {
            let org = p % 40;
            if p % 10 == 0 {
                // Leaves in the middle of 2023, and joins another organization.
                memberships.push_str(&format!("p{p},o{org},contact,2020-01-01,2023-07-01\n"));
                memberships.push_str(&format!("p{p},o{},contact,2023-07-01,\n", (org + 1) % 40));
            } else {
                memberships.push_str(&format!("p{p},o{org},contact,2020-01-01,\n"));
            }
        }
    }
    (parties, memberships)
}

/// `rows` gestures of 2023 between random pairs of [`many_pairs_directory`]'s
/// parties, out of time order, ids starting with `prefix`.
fn many_pairs_file(rng: &mut fastrand::Rng, prefix: &str, rows: usize) -> String {
    let mut next = |n: u64| rng.u64(..n);
    let mut text = String::from("id,at,giver,receiver,kind,amount\n");
    for i in 0..rows {
        let giver = next(760);
        let receiver = (giver + 1 + next(759)) % 760;
        let name = |n: u64| {
            if n < 40 {
                format!("o{n}")
            } else {
                format!("p{}", n - 40)
            }
        };
        let (kind, amount) = match next(4) {
            0 => ("pay", format!("{}.{:02}", next(900) + 1, next(100))),
            1 => ("brush_off", String::new()),
            2 => ("help", format!("{}", next(5) + 1)),
            _ => ("thanks", String::new()),
        };
        text.push_str(&format!(
            "{prefix}{i},2023-{:02}-{:02}T{:02}:{:02}:00,{},{},{kind},{amount}\n",
            next(12) + 1,
            next(28) + 1,
            next(24),
            next(60),
            name(giver),
            name(receiver)
        ));
    }
    text
}

/// `balans check` holds a bounded number of sums in memory and puts the rest
/// in sorted runs in temporary files. Held to a hundred, on a store of
/// thousands of pairs, it finds exactly what the check in memory finds: nothing
/// on a consistent store; then each balance, month and party's sum that was
/// changed, removed or added behind the ledger's back.
pub fn a_check_in_little_memory_finds_what_a_check_in_memory_finds<B: Backend>() {
    let (parties, memberships) = many_pairs_directory();
    let gestures = many_pairs_file(&mut fastrand::Rng::with_seed(29), "c", 3_000);
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    import_texts(
        &mut store,
        &[
            ("parties.csv", &parties),
            ("memberships.csv", &memberships),
            ("gestures.csv", &gestures),
        ],
    )
    .unwrap();
    let pairs = store_pairs(&mut store);
    assert!(pairs > 4_000, "{pairs}");
    for in_memory in [1, 100, 1_000_000] {
        let report = ledger::check_within(&mut store, in_memory).unwrap();
        assert!(
            report.is_consistent(),
            "{in_memory}: {:?}",
            report.differences
        );
        assert_eq!(
            (report.gestures, report.pairs as usize > pairs),
            (3_000, true)
        );
    }

    // Behind the ledger's back: one balance changed, one removed, one that no
    // gesture makes, a month changed and a party's sum removed.
    let mut stored = Vec::new();
    store
        .for_each_balance(&mut |key, totals| {
            stored.push((key, totals));
            Ok(())
        })
        .unwrap();
    stored.sort_unstable_by_key(|(key, _)| *key);
    let one = balans_core::Totals::of(
        true,
        balans_core::Amount::from_minor(1).unwrap(),
        balans_core::Moment::from_millis(0),
    );
    let (changed, removed) = (stored[10].0, stored[stored.len() / 2].0);
    let invented = balans_core::PairKey {
        low: removed.high,
        high: balans_core::PartyId(removed.high.0 + 100_000),
        ..removed
    };
    let month = store.all_months().unwrap()[3].0;
    let (party, dimension, _) = store.party_totals(Level::Organization).unwrap()[5];
    store.begin_write().unwrap();
    store
        .add_to_balances(&[(changed, one), (invented, one)])
        .unwrap();
    store.add_to_months(&[(month, one)]).unwrap();
    let party_key = balans_core::PartySumKey {
        level: Level::Organization,
        party,
        dimension,
    };
    store.remove_sums(&[removed], &[], &[party_key]).unwrap();
    store.commit().unwrap();

    let in_memory = ledger::check(&mut store).unwrap();
    let little = ledger::check_within(&mut store, 100).unwrap();
    let named = |report: &ledger::CheckReport| -> Vec<String> {
        report
            .differences
            .iter()
            .map(|d| {
                format!(
                    "{:?} {:?} {} {} {} {}",
                    d.level, d.dimension, d.a, d.b, d.stored, d.computed
                )
            })
            .collect()
    };
    assert_eq!(named(&little), named(&in_memory));
    assert_eq!(
        (little.gestures, little.pairs),
        (in_memory.gestures, in_memory.pairs)
    );
    // The changed balance, the removed one, the invented one, the month and
    // the party's sum (those of the parties are computed from the gestures).
    let differences = named(&little);
    assert_eq!(differences.len(), 5, "{differences:#?}");
    assert_eq!(
        differences
            .iter()
            .filter(|d| d.ends_with(" nothing"))
            .count(),
        1,
        "the invented balance, which no gesture makes: {differences:#?}"
    );
    assert!(
        differences.iter().any(|d| d.contains("credit in 2023-")),
        "{differences:#?}"
    );
}

/// The balances a store holds, at both levels.
fn store_pairs<S: Store>(store: &mut S) -> usize {
    let mut n = 0;
    store
        .for_each_balance(&mut |_, _| {
            n += 1;
            Ok(())
        })
        .unwrap();
    n
}

/// Between a person and an organization, organization level is the person's part:
/// their gestures with the organization or its people at the time, none inside it.
pub fn a_person_and_an_organization_show_the_persons_part<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let more = "person,organization,role,from,until\ndave,cust,contact,2020-01-01,2024-03-10\n";
    let people = "key,kind,name\ndave,person,Dave\n";
    let gestures = "id,at,giver,receiver,kind,amount\n\
        p1,2024-03-01,ann,bob,thanks,1\n\
        p2,2024-03-02,bob,ann,help,2.5\n\
        p3,2024-03-03,ann,cust,attention,0.5\n\
        p4,2024-03-04,ann,solo,thanks,1\n\
        p5,2024-03-05,us,cust,thanks,3\n\
        p6,2024-03-06,ann,dave,thanks,1\n\
        p7,2024-03-20,ann,dave,thanks,4\n\
        p8,2024-03-07,ann,us,thanks,1\n";
    import_texts(
        &mut store,
        &[
            ("parties.csv", people),
            ("memberships.csv", more),
            ("gestures.csv", gestures),
        ],
    )
    .unwrap();

    let part = ledger::pair_balance(&mut store, "ann", "cust", None).unwrap();
    assert_eq!((part.level, part.part), (Level::Organization, true));
    // p1, p3 and p6 from Ann; p2 to her. Not p4 (Solo is of no organization), p5
    // (not Ann's), p7 (Dave had left).
    assert_eq!(credit(&part), ("2.50".into(), "2.50".into(), 4));
    let flipped = ledger::pair_balance(&mut store, "cust", "ann", None).unwrap();
    assert_eq!(credit(&flipped), ("2.50".into(), "2.50".into(), 4));
    assert_eq!((flipped.a.key.as_str(), flipped.part), ("cust", true));

    let ann = ledger::find_party(&mut store, "ann").unwrap();
    let cust = ledger::find_party(&mut store, "cust").unwrap();
    let behind = ledger::person_part(&mut store, &ann, &cust).unwrap();
    let rows: Vec<_> = behind
        .behind
        .iter()
        .map(|v| (v.b.key.to_string(), credit(v)))
        .collect();
    assert_eq!(
        rows,
        [
            ("bob".to_string(), ("1.00".into(), "2.50".into(), 2)),
            ("dave".to_string(), ("1.00".into(), "0.00".into(), 1)),
            ("cust".to_string(), ("0.50".into(), "0.00".into(), 1)),
        ]
    );
    let ids: Vec<_> = behind
        .gestures
        .iter()
        .map(|g| g.gesture.id.to_string())
        .collect();
    assert_eq!(ids, ["p1", "p2", "p3", "p6"]);

    // Person level is still there when asked for: Ann and the organization itself.
    let person = ledger::pair_balance(&mut store, "ann", "cust", Some(Level::Person)).unwrap();
    assert_eq!(
        (credit(&person), person.part),
        (("0.50".into(), "0.00".into(), 1), false)
    );
    // A person of no organization: the part is the stored organization-level pair.
    let solo_part = ledger::pair_balance(&mut store, "solo", "us", None).unwrap();
    let us = ledger::find_party(&mut store, "us").unwrap();
    let solo = ledger::find_party(&mut store, "solo").unwrap();
    let stored = store.pair(Level::Organization, solo.id, us.id).unwrap();
    let stored_credit = stored
        .iter()
        .find(|(k, _)| k.dimension == balans_core::Dimension::Credit)
        .map(|(k, t)| balans_core::Balance::seen_from(solo.id, k, t))
        .unwrap();
    assert_eq!(credit(&solo_part), ("0.00".into(), "1.00".into(), 1));
    assert_eq!(
        (
            stored_credit.a_to_b,
            stored_credit.b_to_a,
            stored_credit.count
        ),
        (0, 100, 1)
    );
    // Ann and her own organization: what she gives it stays inside it.
    let own = ledger::pair_balance(&mut store, "ann", "us", None).unwrap();
    assert_eq!(own.credit.count, 0);
    assert_consistent(&mut store);
}

/// Each party's totals at a level are the sums of its balances there, seen from
/// it: given, received, count, first and last.
pub fn party_totals_sum_each_partys_balances<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let gestures = "id,at,giver,receiver,kind,amount\n\
        q1,2024-03-01,ann,bob,thanks,1\n\
        q2,2024-03-02,bob,ann,help,2.5\n\
        q3,2024-03-03,ann,solo,brush_off,-2\n\
        q4,2024-03-04,cust,us,pay,100\n\
        q5,2024-03-05,solo,bob,thanks,1\n";
    import_texts(&mut store, &[("gestures.csv", gestures)]).unwrap();
    for level in Level::ALL {
        let mut totals = store.party_totals(level).unwrap();
        totals.sort_by_key(|(party, dimension, _)| (*party, *dimension));
        // One party's sums, read alone, are the same rows.
        for party in store.parties().unwrap() {
            let alone = store.party_totals_of(level, party.id).unwrap();
            let among: Vec<_> = totals
                .iter()
                .filter(|(p, _, _)| *p == party.id)
                .map(|(_, d, t)| (*d, *t))
                .collect();
            assert_eq!(alone, among, "{} at {level}", party.fields.key);
        }
        let mut expected = Vec::new();
        for party in store.parties().unwrap() {
            for dimension in [
                balans_core::Dimension::Money,
                balans_core::Dimension::Credit,
            ] {
                let rows: Vec<_> = store
                    .balances_of(level, party.id)
                    .unwrap()
                    .into_iter()
                    .filter(|(k, _)| k.dimension == dimension)
                    .collect();
                if rows.is_empty() {
                    continue;
                }
                let seen: Vec<_> = rows
                    .iter()
                    .map(|(k, t)| balans_core::Balance::seen_from(party.id, k, t))
                    .collect();
                expected.push((
                    party.id,
                    dimension,
                    seen.iter().map(|b| b.a_to_b).sum::<i64>(),
                    seen.iter().map(|b| b.b_to_a).sum::<i64>(),
                    seen.iter().map(|b| b.count).sum::<i64>(),
                    seen.iter().filter_map(|b| b.first).min(),
                    seen.iter().filter_map(|b| b.last).max(),
                ));
            }
        }
        expected.sort_by_key(|row| (row.0, row.1));
        let got: Vec<_> = totals
            .iter()
            .map(|(p, d, t)| {
                (
                    *p,
                    *d,
                    t.low_to_high,
                    t.high_to_low,
                    t.count,
                    Some(t.first),
                    Some(t.last),
                )
            })
            .collect();
        assert_eq!(got, expected, "{level}");
        assert!(!got.is_empty());
    }
    let ann = ledger::find_party(&mut store, "ann").unwrap();
    let ann_credit = store
        .party_totals(Level::Person)
        .unwrap()
        .into_iter()
        .find(|(p, d, _)| *p == ann.id && *d == balans_core::Dimension::Credit)
        .unwrap()
        .2;
    // Ann gave 1 and took 2 (a brush-off), and received 2.5.
    assert_eq!(
        (
            ann_credit.low_to_high,
            ann_credit.high_to_low,
            ann_credit.count
        ),
        (-100, 250, 3)
    );
}

/// Over a window, the report's balances come from the window's gestures, and it
/// names what changed: a counterpart gone quiet after giving regularly, one whose
/// takes now outweigh its gifts after years of giving.
pub fn the_report_over_a_window_names_what_changed<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    ledger::set_setting(&mut store, "us", "us").unwrap();
    let mut gestures = String::from("id,at,giver,receiver,kind,amount\n");
    // Klant BV's Bob thanked Ann every month of 2023; nothing since.
    for month in 1..=12 {
        gestures.push_str(&format!("q{month},2023-{month:02}-15,bob,ann,thanks,1\n"));
    }
    // Solo helped us every month of 2023 and the first half of 2024, then brushed
    // us off twice in the last 90 days.
    for month in 1..=18 {
        let (year, m) = if month <= 12 {
            (2023, month)
        } else {
            (2024, month - 12)
        };
        gestures.push_str(&format!("s{month},{year}-{m:02}-10,solo,us,help,1\n"));
    }
    gestures.push_str("t1,2024-11-05,solo,ann,brush_off,-2\nt2,2024-11-20,solo,us,brush_off,-2\n");
    // And Ann and Solo: some gifts our way in the window.
    gestures.push_str("u1,2024-11-21,ann,solo,attention,0.5\n");
    import_texts(&mut store, &[("gestures.csv", &gestures)]).unwrap();
    let zone = balans_core::Zone::named("Europe/Amsterdam").unwrap();
    let until = zone.parse("2024-12-01").unwrap();
    let report = |store: &mut B::Store, window| {
        ledger::report(
            store,
            &ledger::ReportOptions {
                window,
                until: Some(until),
                min_volume: balans_core::Amount::from_minor(100).unwrap(),
                ..ledger::ReportOptions::default()
            },
        )
        .unwrap()
    };
    let windowed = report(&mut store, ledger::Window::Days(90));
    let stories: Vec<(String, String)> = windowed
        .changes
        .iter()
        .map(|c| {
            let story = match &c.story {
                ledger::Story::WentQuiet { gestures_before, .. } => format!("quiet after {gestures_before}"),
                ledger::Story::Turned { by_them, takes, kinds, sum_before, sum_now } => {
                    format!("turned by_them={by_them} takes={takes} {kinds:?} {sum_now} after {sum_before}")
                }
            };
            (c.them.key.to_string(), story)
        })
        .collect();
    assert_eq!(
        stories,
        [
            (
                "solo".to_string(),
                "turned by_them=true takes=2 [\"brush_off\"] -4.00 after 18.00".to_string()
            ),
            ("cust".to_string(), "quiet after 12".to_string()),
        ]
    );
    // The window's balance, seen from them: Solo took 4, we gave 0.50.
    let solo = &windowed.changes[0];
    assert_eq!(
        (
            solo.window.a_to_b.to_string(),
            solo.window.b_to_a.to_string()
        ),
        ("-4.00".into(), "0.50".into())
    );
    assert_eq!(
        solo.before.a_to_b.to_string(),
        "1.00",
        "10 June, the one help in the 90 days before"
    );
    assert_eq!(windowed.changes_total, 2);
    // With a limit, the largest change alone, the same; and how many there are.
    let first = ledger::report(
        &mut store,
        &ledger::ReportOptions {
            window: ledger::Window::Days(90),
            until: Some(until),
            min_volume: balans_core::Amount::from_minor(100).unwrap(),
            limit: 1,
            ..ledger::ReportOptions::default()
        },
    )
    .unwrap();
    assert_eq!((first.changes.len(), first.changes_total), (1, 2));
    assert_eq!(format!("{:?}", first.changes[0]), format!("{solo:?}"));
    // The lists too look at the window: over all time Solo gave us more than it
    // got; in the last 90 days we gave more.
    let listed = |r: &ledger::Report| -> Vec<String> {
        r.they_give_more
            .iter()
            .chain(&r.we_give_more)
            .map(|p| format!("{}-{}", p.a.key, p.b.key))
            .collect()
    };
    assert!(
        listed(&windowed).contains(&"us-solo".to_string()),
        "{:?}",
        listed(&windowed)
    );
    let all_time = report(&mut store, ledger::Window::All);
    assert!(all_time.changes.is_empty());
    assert!(
        listed(&all_time).contains(&"solo-us".to_string()),
        "{:?}",
        listed(&all_time)
    );
    assert!(!listed(&all_time).contains(&"us-solo".to_string()));
}

/// The parties list gives each party the same sums however it is ordered: a page
/// by name sums its own parties, the other orders sum each level once.
pub fn the_parties_list_sums_the_same_by_name_and_by_credit<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let gestures = "id,at,giver,receiver,kind,amount\n\
        r1,2024-03-01,ann,bob,thanks,1\n\
        r2,2024-03-02,bob,ann,help,2.5\n\
        r3,2024-03-03,ann,solo,brush_off,-2\n\
        r4,2024-03-04,cust,us,pay,100\n\
        r5,2024-03-05,solo,bob,thanks,1\n";
    import_texts(&mut store, &[("gestures.csv", gestures)]).unwrap();
    let figures = |list: balans_store::views::PartyList| {
        let mut rows: Vec<_> = list
            .rows
            .iter()
            .map(|r| {
                (
                    r.party.key.to_string(),
                    r.credit.a_to_b,
                    r.credit.b_to_a,
                    r.money.a_to_b,
                    r.money.b_to_a,
                    r.credit.count + r.money.count,
                    r.last,
                )
            })
            .collect();
        rows.sort_by(|x, y| x.0.cmp(&y.0));
        rows
    };
    let query = |sort, per_page| balans_store::views::PartyListQuery {
        sort,
        per_page,
        ..Default::default()
    };
    let by_name = figures(
        balans_store::views::party_list(
            &mut store,
            &query(balans_store::views::PartySort::Name, 50),
        )
        .unwrap(),
    );
    let by_credit = figures(
        balans_store::views::party_list(
            &mut store,
            &query(balans_store::views::PartySort::Credit, 0),
        )
        .unwrap(),
    );
    assert_eq!(by_name, by_credit);
    let ann = by_name.iter().find(|r| r.0 == "ann").unwrap();
    assert_eq!((ann.1, ann.2, ann.5), (-100, 250, 3));
}

conformance!(
    balances_at_person_and_organization_level,
    a_person_and_an_organization_show_the_persons_part,
    party_totals_sum_each_partys_balances,
    the_report_over_a_window_names_what_changed,
    the_parties_list_sums_the_same_by_name_and_by_credit,
    monthly_credit_follows_gestures_memberships_and_time_zone,
    sums_written_in_parts_lose_nothing,
    a_large_import_over_many_pairs_sums_every_pair,
    a_check_in_little_memory_finds_what_a_check_in_memory_finds,
);
