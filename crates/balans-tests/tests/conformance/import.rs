//! Importing files: idempotent by id, all or nothing with every error named, and
//! the bulk path of a large first import keeping every rule.

use balans_core::GestureId;
use balans_store::LedgerError;
use balans_store::import::{self, Options, Source};
use balans_store::ledger::{self};
use balans_store::prelude::*;
use balans_tests::Backend;

use crate::support::*;

pub fn importing_the_same_file_twice_adds_nothing<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let gestures = "at,giver,receiver,kind\n2024-03-01,ann,bob,thanks\n2024-03-01,ann,bob,thanks\n2024-03-02,bob,ann,smile\n";
    let first = import_texts(&mut store, &[("g.csv", gestures)]).unwrap();
    assert_eq!(
        first.gestures_added, 3,
        "two identical rows are two gestures"
    );
    let before = contents(&mut store);
    let second = import_texts(&mut store, &[("g.csv", gestures)]).unwrap();
    assert_eq!(
        (second.gestures_added, second.gestures_already_present),
        (0, 3)
    );
    assert_eq!(contents(&mut store), before);
    // A file that repeats the first rows and adds one adds just that one.
    let longer = format!("{gestures}2024-03-03,bob,ann,smile\n");
    let third = import_texts(&mut store, &[("g.csv", &longer)]).unwrap();
    assert_eq!(
        (third.gestures_added, third.gestures_already_present),
        (1, 3)
    );
    assert_consistent(&mut store);
}

pub fn the_same_id_with_other_content_is_refused_naming_both<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    import_texts(
        &mut store,
        &[(
            "a.csv",
            "id,at,giver,receiver,kind\nx1,2024-03-01,ann,bob,thanks\n",
        )],
    )
    .unwrap();
    let before = contents(&mut store);
    let error = import_texts(
        &mut store,
        &[(
            "b.csv",
            "id,at,giver,receiver,kind\nx2,2024-03-01,ann,bob,help\nx1,2024-03-01,ann,bob,gift\n",
        )],
    )
    .unwrap_err();
    let LedgerError::Rejected(rejection) = error else {
        panic!("expected a rejection, got {error}")
    };
    assert_eq!(rejection.total, 1);
    let message = rejection.errors[0].to_string();
    assert!(message.starts_with("b.csv:3: column 'id':"), "{message}");
    assert!(
        message.contains("ann → bob thanks 1.00") && message.contains("ann → bob gift 2.00"),
        "{message}"
    );
    assert_eq!(
        contents(&mut store),
        before,
        "nothing of the file was written"
    );
}

pub fn every_error_names_file_line_and_column_and_nothing_is_written<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let before = contents(&mut store);
    let gestures = "id,at,giver,receiver,kind,amount\n\
        ok1,2024-03-01,ann,bob,thanks,\n\
        e1,2024-03-01,nobody,bob,thanks,\n\
        e2,2024-03-01,ann,bob,hug,\n\
        e3,2024-03-01,ann,bob,pay,10000000000.01\n\
        e4,2024-13-01,ann,bob,thanks,\n\
        e5,2024-03-01,ann,ann,thanks,\n\
        e6,2024-03-01,ann,bob,pay,\n\
        e7,2024-03-01,ann,bob,thanks,1.234\n";
    let LedgerError::Rejected(rejection) =
        import_texts(&mut store, &[("g.csv", gestures)]).unwrap_err()
    else {
        panic!("expected a rejection")
    };
    let lines: Vec<String> = rejection.errors.iter().map(ToString::to_string).collect();
    let expect = [
        "g.csv:3: column 'giver': unknown party 'nobody'",
        "g.csv:4: column 'kind': unknown kind 'hug'",
        "g.csv:5: column 'amount': '10000000000.01' is out of range",
        "g.csv:6: column 'at': '2024-13-01' is not a real date",
        "g.csv:7: column 'receiver': a party cannot give to itself",
        "g.csv:8: column 'amount': a pay gesture needs an amount",
        "g.csv:9: column 'amount': '1.234' has more than two decimals",
    ];
    assert_eq!(lines.len(), expect.len(), "{lines:#?}");
    for (line, expected) in lines.iter().zip(expect) {
        assert!(
            line.starts_with(expected),
            "{line} should start with {expected}"
        );
    }
    assert_eq!(contents(&mut store), before);

    // Header problems name the file and line 1.
    for (text, expected) in [
        (
            "id,at,giver,receiver,kind,colour\n",
            "g.csv:1: unknown column 'colour'",
        ),
        (
            "id,at,giver,kind\n",
            "g.csv:1: missing required column 'receiver'",
        ),
    ] {
        let LedgerError::Rejected(rejection) =
            import_texts(&mut store, &[("g.csv", text)]).unwrap_err()
        else {
            panic!("expected a rejection")
        };
        assert!(
            rejection.errors[0].to_string().starts_with(expected),
            "{}",
            rejection.errors[0]
        );
    }
    assert_eq!(contents(&mut store), before);
}

pub fn only_the_first_hundred_errors_are_listed<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let mut gestures = String::from("at,giver,receiver,kind\n");
    for _ in 0..150 {
        gestures.push_str("2024-03-01,ann,nobody,thanks\n");
    }
    let LedgerError::Rejected(rejection) =
        import_texts(&mut store, &[("g.csv", &gestures)]).unwrap_err()
    else {
        panic!("expected a rejection")
    };
    assert_eq!((rejection.errors.len(), rejection.total), (100, 150));
    assert_eq!(rejection.errors[0].line, 2);
    assert_eq!(rejection.errors[99].line, 101);
    assert!(rejection.to_string().contains("… and 50 more errors"));
}

pub fn a_dry_run_validates_and_writes_nothing<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let before = contents(&mut store);
    let sources = vec![Source::new(
        "g.csv",
        std::io::Cursor::new(b"at,giver,receiver,kind\n2024-03-01,ann,bob,thanks\n".to_vec()),
    )];
    let summary = import::import(
        &mut store,
        sources,
        Options {
            dry_run: true,
            ..Options::default()
        },
        &|_| {},
    )
    .unwrap();
    assert_eq!(summary.gestures_added, 1);
    assert!(summary.dry_run);
    assert_eq!(contents(&mut store), before);
}

pub fn an_id_twice_in_one_large_file_counts_once<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    // Large enough to be written in bulk; the last row repeats the first.
    let mut text = String::from("id,at,giver,receiver,kind\n");
    for i in 0..1_000 {
        text.push_str(&format!("d{i},2024-03-01,ann,bob,thanks\n"));
    }
    text.push_str("d0,2024-03-01,ann,bob,thanks\n");
    let summary = import_texts(&mut store, &[("gestures.csv", &text)]).unwrap();
    assert_eq!(
        (summary.gestures_added, summary.gestures_already_present),
        (1_000, 1)
    );
    let pair = ledger::pair_balance(&mut store, "ann", "bob", None).unwrap();
    assert_eq!(pair.credit.count, 1_000);
    // The whole file again: nothing added.
    let again = import_texts(&mut store, &[("gestures.csv", &text)]).unwrap();
    assert_eq!(
        (again.gestures_added, again.gestures_already_present),
        (0, 1_001)
    );
    // The same id with other content in a large file is refused, and nothing is written.
    let mut other = text.clone();
    other.push_str("d1,2024-03-02,ann,bob,help\n");
    assert!(import_texts(&mut store, &[("gestures.csv", &other)]).is_err());
    assert_eq!(store.gesture_count().unwrap(), 1_000);
    assert_consistent(&mut store);
}

/// Rows without an id take one from their content and how many equal rows came
/// before them in the file. Those counts go to a temporary file past a limit;
/// with a limit of a few contents, a file whose rows repeat in and out of order
/// gets the ids it gets with everything counted in memory, the same file again
/// adds nothing, and one more equal row adds exactly one gesture.
pub fn rows_without_ids_get_the_same_ids_however_few_counts_fit_in_memory<B: Backend>() {
    let mut rng = fastrand::Rng::with_seed(23);
    let kinds = ["thanks", "help", "brush_off"];
    let pairs = [
        ("ann", "bob"),
        ("bob", "ann"),
        ("solo", "ann"),
        ("bob", "solo"),
    ];
    let mut text = String::from("at,giver,receiver,kind\n");
    let mut rows = Vec::new();
    for _ in 0..3_000 {
        // 600 contents: most rows repeat one seen before, far back or just now.
        let content = rng.usize(..600);
        let (giver, receiver) = pairs[content % pairs.len()];
        rows.push(format!(
            "2024-{:02}-{:02}T10:00:00,{giver},{receiver},{}\n",
            content % 12 + 1,
            content % 28 + 1,
            kinds[content % kinds.len()]
        ));
    }
    rows.iter().for_each(|row| text.push_str(row));
    let small = import::Limits {
        contents_in_memory: 3,
        ..import::Limits::default()
    };
    let imported = |limits: import::Limits| {
        let (mut store, guard) = B::fresh();
        setup(&mut store);
        let summary = import_texts_within(&mut store, &[("no-ids.csv", &text)], limits).unwrap();
        assert_eq!(summary.gestures_added, 3_000);
        (store, guard)
    };
    let (mut in_memory, _memory_guard) = imported(import::Limits::default());
    let (mut spilled, _spilled_guard) = imported(small);
    assert_eq!(contents(&mut spilled), contents(&mut in_memory));

    let again = import_texts_within(&mut spilled, &[("no-ids.csv", &text)], small).unwrap();
    assert_eq!(
        (again.gestures_added, again.gestures_already_present),
        (0, 3_000)
    );
    let mut longer = text.clone();
    longer.push_str(&rows[1_234]);
    let more = import_texts_within(&mut spilled, &[("longer.csv", &longer)], small).unwrap();
    assert_eq!(
        (more.gestures_added, more.gestures_already_present),
        (1, 3_000)
    );
    assert_eq!(spilled.gesture_count().unwrap(), 3_001);
    assert_consistent(&mut spilled);
}

/// A large file that repeats half of one imported before, row for row between
/// new ones: the stored gestures are answered as present, the new ones (one of
/// them twice) are added in the file's order, and the same file with one stored
/// gesture changed is refused whole.
pub fn a_file_that_repeats_part_of_another_adds_the_rest<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let first = varied_gestures_file("v", 1_000);
    import_texts(&mut store, &[("first.csv", &first)]).unwrap();
    let new = varied_gestures_file("w", 500);
    let stored_rows = first.lines().skip(501);
    let new_rows: Vec<&str> = new.lines().skip(1).collect();
    let mut second = format!("{}\n", first.lines().next().unwrap());
    for (old, new) in stored_rows.zip(&new_rows) {
        second.push_str(&format!("{old}\n{new}\n"));
    }
    second.push_str(&format!("{}\n", new_rows[0]));
    let mut changed = second.clone();
    changed.push_str("v00700,2024-03-01T10:00:00,ann,bob,help,9\n");

    assert!(import_texts(&mut store, &[("changed.csv", &changed)]).is_err());
    assert_eq!(store.gesture_count().unwrap(), 1_000);
    let summary = import_texts(&mut store, &[("second.csv", &second)]).unwrap();
    assert_eq!(
        (summary.gestures_added, summary.gestures_already_present),
        (500, 501)
    );
    assert_stored_in_order(&mut store, &[&first, &second]);
}

/// A file whose first batches are stored already and whose later ones are new,
/// then the other way round: the stored are answered as present and the new
/// written, whichever came first.
pub fn stored_batches_then_new_ones_and_back<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let first = varied_gestures_file("v", 1_000);
    import_texts(&mut store, &[("first.csv", &first)]).unwrap();
    let header = first.lines().next().unwrap();
    let new = varied_gestures_file("w", 1_000);
    let more = varied_gestures_file("x", 1_000);
    let limits = batches_of_300();
    let body = |text: &str| text.lines().skip(1).collect::<Vec<_>>().join("\n");
    let second = format!("{header}\n{}\n{}\n", body(&first), body(&new));
    let summary = import_texts_within(&mut store, &[("second.csv", &second)], limits).unwrap();
    assert_eq!(
        (summary.gestures_added, summary.gestures_already_present),
        (1_000, 1_000)
    );
    let third = format!("{header}\n{}\n{}\n", body(&more), body(&new));
    let summary = import_texts_within(&mut store, &[("third.csv", &third)], limits).unwrap();
    assert_eq!(
        (summary.gestures_added, summary.gestures_already_present),
        (1_000, 1_000)
    );
    assert_eq!(store.gesture_count().unwrap(), 3_000);
    assert_stored_in_order(&mut store, &[&first, &second, &third]);
    assert_consistent(&mut store);
}

/// A file imported again in many batches, whose gestures turn out to be
/// stored, answers a changed row deep in it at its own line, beside a new row
/// after it, and writes nothing.
pub fn a_file_imported_again_names_the_rows_it_cannot_take<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let first = varied_gestures_file("v", 3_000);
    import_texts(&mut store, &[("first.csv", &first)]).unwrap();
    let before = contents(&mut store);
    let limits = batches_of_300();
    let again = import_texts_within(&mut store, &[("again.csv", &first)], limits).unwrap();
    assert_eq!(
        (again.gestures_added, again.gestures_already_present),
        (0, 3_000)
    );
    // Row 2,500 (line 2,502, after the header) an hour later; the line after
    // the last one is new.
    let mut lines: Vec<String> = first.lines().map(str::to_string).collect();
    assert!(lines[2_501].starts_with("v02500,"), "{}", lines[2_501]);
    lines[2_501] = lines[2_501].replace("T10:00:00", "T11:00:00");
    lines.push("n1,2024-06-01,ann,bob,thanks,".to_string());
    let text = lines.join("\n") + "\n";
    let error = import_texts_within(&mut store, &[("changed.csv", &text)], limits).unwrap_err();
    let LedgerError::Rejected(rejection) = error else {
        panic!("expected a rejection, got {error}")
    };
    assert_eq!(rejection.total, 1, "{rejection:?}");
    let message = rejection.errors[0].to_string();
    assert!(
        message.starts_with("changed.csv:2502: column 'id':"),
        "{message}"
    );
    assert_eq!(contents(&mut store), before, "nothing is written");
}

/// A file imported again with ids in no order, some of its rows new and
/// between stored ones, one changed: each batch's stored rows are found among
/// the run of gestures stored between its first row's and its last's, the
/// changed row is refused at its own line, and the file without it adds only
/// the new rows.
pub fn a_file_imported_again_in_no_order_of_ids_adds_only_its_new_rows<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let limits = batches_of_300();
    let first = gestures_file_of(3_000, &[], scrambled);
    import_texts_within(&mut store, &[("first.csv", &first)], limits).unwrap();
    let before = contents(&mut store);
    // Every seventh row of the body new, but neither end of a batch of 300.
    let mut lines: Vec<String> = first.lines().map(str::to_string).collect();
    for row in (5..3_000).step_by(7).filter(|row| row % 300 != 299) {
        lines[row + 1] = format!("new{row},2024-04-01,bob,ann,thanks,");
    }
    let again = lines.join("\n") + "\n";
    let mut changed_lines = lines.clone();
    assert!(changed_lines[1_601].starts_with(&scrambled(1_600)));
    changed_lines[1_601] = changed_lines[1_601].replace("2024-03-01", "2024-03-02");
    let changed = changed_lines.join("\n") + "\n";
    let error = import_texts_within(&mut store, &[("changed.csv", &changed)], limits).unwrap_err();
    let LedgerError::Rejected(rejection) = error else {
        panic!("expected a rejection, got {error}")
    };
    assert_eq!(rejection.total, 1, "{rejection:?}");
    let message = rejection.errors[0].to_string();
    assert!(
        message.starts_with("changed.csv:1602: column 'id':"),
        "{message}"
    );
    assert_eq!(contents(&mut store), before, "nothing is written");
    let added = (5..3_000).step_by(7).filter(|row| row % 300 != 299).count();
    let summary = import_texts_within(&mut store, &[("again.csv", &again)], limits).unwrap();
    assert_eq!(
        (summary.gestures_added, summary.gestures_already_present),
        (added as u64, 3_000 - added as u64)
    );
    assert_stored_in_order(&mut store, &[&first, &again]);
    assert_consistent(&mut store);
}

/// The first import into an empty store is the one a backend may load in bulk;
/// a reversal, a repeated id and a conflicting id far into it, past the first
/// batches, must be answered as in any other import.
pub fn a_large_first_import_keeps_every_rule<B: Backend>() {
    // A first import of 40,000 gestures and two more lines; one is seen twice.
    // The gestures are stored in the file's order, and a gesture given after
    // the import is stored after them.
    let first_import_of = |text: String| {
        let (mut store, guard) = B::fresh();
        setup(&mut store);
        let summary = import_texts(&mut store, &[("gestures.csv", &text)]).unwrap();
        assert_eq!(
            (summary.gestures_added, summary.gestures_already_present),
            (40_001, 1)
        );
        assert_stored_in_order(&mut store, &[&text]);
        (store, guard, text)
    };
    let first_import = |extra: &[(usize, &str)]| first_import_of(long_gestures_file(40_000, extra));
    // A reversal in the second batch, then a repeat in the third.
    let (mut store, _guard, text) = first_import(&[
        (20_000, "r5,2024-03-05,ann,bob,help,d5"),
        (35_000, "d7,2024-03-01,ann,bob,help,"),
    ]);
    let pair = ledger::pair_balance(&mut store, "ann", "bob", None).unwrap();
    assert_eq!(pair.credit.count, 40_002);
    let reversal = GestureId::parse("r5").unwrap().unwrap();
    let d5 = GestureId::parse("d5").unwrap().unwrap();
    assert_eq!(store.reversal_of(&d5).unwrap(), Some(reversal.clone()));
    assert_eq!(
        store.gesture(&reversal).unwrap().unwrap().gesture.reverses,
        Some(d5)
    );
    let again = import_texts(&mut store, &[("gestures.csv", &text)]).unwrap();
    assert_eq!(
        (again.gestures_added, again.gestures_already_present),
        (0, 40_002)
    );

    // A repeat in the second batch of a gesture in the first, before any reversal.
    first_import(&[
        (20_000, "d7,2024-03-01,ann,bob,help,"),
        (35_000, "r5,2024-03-05,ann,bob,help,d5"),
    ]);
    // A repeat in the batch of the gesture it repeats.
    first_import(&[
        (100, "d7,2024-03-01,ann,bob,help,"),
        (35_000, "r5,2024-03-05,ann,bob,help,d5"),
    ]);
    // Ids in order up to a repeat of an early one, in the third batch; the same
    // after an id out of order (a new one) in the second; and a repeat of the
    // gesture just before it.
    first_import_of(long_gestures_file_in_order(
        40_000,
        &[
            (35_000, "d00007,2024-03-01,ann,bob,help,"),
            (38_000, "r5,2024-03-05,ann,bob,help,d00005"),
        ],
    ));
    first_import_of(long_gestures_file_in_order(
        40_000,
        &[
            (20_000, "c1,2024-03-01,ann,bob,help,"),
            (35_000, "d00007,2024-03-01,ann,bob,help,"),
        ],
    ));
    first_import_of(long_gestures_file_in_order(
        40_000,
        &[
            (20_000, "d19999,2024-03-01,ann,bob,help,"),
            (30_000, "r5,2024-03-05,ann,bob,help,d00005"),
        ],
    ));

    // Two large files in one first import: the second carries on with the load,
    // stored after the first, and a gesture given afterwards after both.
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let one = long_gestures_file_in_order(20_000, &[]);
    let two = gestures_file_of(20_000, &[], |i| format!("e{i:05}"));
    let summary = import_texts(&mut store, &[("one.csv", &one), ("two.csv", &two)]).unwrap();
    assert_eq!(summary.gestures_added, 40_000);
    assert_stored_in_order(&mut store, &[&one, &two]);
    // The second file's sums, over the same pairs as the first's, are added
    // to them (and to the gesture given after the import).
    assert_consistent(&mut store);
    let pair = ledger::pair_balance(&mut store, "ann", "bob", None).unwrap();
    assert_eq!(pair.credit.count, 40_001);

    // The same id with other content in the second batch: nothing is written,
    // and the store takes the file without it as its first import.
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let bad = long_gestures_file(40_000, &[(20_000, "d7,2024-03-02,ann,bob,help,")]);
    assert!(import_texts(&mut store, &[("gestures.csv", &bad)]).is_err());
    assert_eq!(store.gesture_count().unwrap(), 0);
    let good = long_gestures_file(40_000, &[]);
    let summary = import_texts(&mut store, &[("gestures.csv", &good)]).unwrap();
    assert_eq!(summary.gestures_added, 40_000);
    assert!(import_texts(&mut store, &[("gestures.csv", &bad)]).is_err());
    assert_eq!(store.gesture_count().unwrap(), 40_000);
    assert_consistent(&mut store);
}

/// Ids in order with other stored ids between them (`v00001`, `v00001a`,
/// `v00002`, …): each row of a re-import is answered for itself, stored or
/// new, whether the others are one after each id, two after each, or one
/// before each id that is not stored (`v00000z`: as many others as ids
/// stored, in a batch half of which is stored).
pub fn ids_in_order_with_others_between_them_are_answered_each_for_itself<B: Backend>() {
    let limits = batches_of_300();
    // Each row's id with `suffix` after it: an id that sorts right after it.
    let suffixed = |text: &str, suffix: &str| -> String {
        let mut lines = text.lines();
        let mut out = format!("{}\n", lines.next().unwrap());
        for line in lines {
            let (id, rest) = line.split_once(',').unwrap();
            out.push_str(&format!("{id}{suffix},{rest}\n"));
        }
        out
    };
    let all = varied_gestures_file("v", 1_000);
    let header = all.lines().next().unwrap();
    let even: String = std::iter::once(header)
        .chain(all.lines().skip(1).step_by(2))
        .map(|line| format!("{line}\n"))
        .collect();
    let cases = [
        vec![suffixed(&all, "a")],
        vec![suffixed(&all, "a"), suffixed(&all, "b")],
        vec![suffixed(&even, "z")],
    ];
    for others in cases {
        let between: Vec<&str> = others.iter().map(|o| &o[header.len() + 1..][..7]).collect();
        let (mut store, _guard) = B::fresh();
        setup(&mut store);
        for other in &others {
            import_texts(&mut store, &[("others.csv", other)]).unwrap();
        }
        let summary = import_texts_within(&mut store, &[("even.csv", &even)], limits).unwrap();
        assert_eq!(summary.gestures_added, 500);
        let summary = import_texts_within(&mut store, &[("all.csv", &all)], limits).unwrap();
        assert_eq!(
            (summary.gestures_added, summary.gestures_already_present),
            (500, 500),
            "{between:?}"
        );
        let summary = import_texts_within(&mut store, &[("all.csv", &all)], limits).unwrap();
        assert_eq!(
            (summary.gestures_added, summary.gestures_already_present),
            (0, 1_000),
            "{between:?}"
        );
        let mut files: Vec<&str> = others.iter().map(String::as_str).collect();
        files.extend([even.as_str(), all.as_str()]);
        assert_stored_in_order(&mut store, &files);
        assert_consistent(&mut store);
        // The same ids, one stored row changed: refused, nothing written.
        let changed: String = all
            .lines()
            .map(|line| match line.starts_with("v00500,") {
                true => "v00500,2024-03-01T10:00:00,ann,bob,help,9\n".to_string(),
                false => format!("{line}\n"),
            })
            .collect();
        assert_ne!(changed, all);
        assert_refused_with_nothing_written(&mut store, &changed, limits);
    }
}

/// Ids in no order, some stored by an earlier import: a batch is answered
/// row by row whether its stored gestures were stored in its order (a file
/// imported again), in the opposite order, with new rows between them, or
/// stored long after the batch's first and last, and a changed row among them
/// is refused with nothing written.
fn ids_in_no_order_are_answered_each_for_itself<B: Backend>() {
    let limits = batches_of_300();
    let varied = varied_gestures_file("v", 1_000);
    let header = varied.lines().next().unwrap();
    let rows: Vec<&str> = varied.lines().skip(1).collect();
    // 7,919 and 1,000 share no factor: every row once, in no order of ids.
    let scrambled: Vec<&str> = (0..rows.len())
        .map(|i| rows[i * 7_919 % rows.len()])
        .collect();
    fn file<'a>(header: &'a str, rows: impl Iterator<Item = &'a &'a str>) -> String {
        std::iter::once(header)
            .chain(rows.copied())
            .map(|line| format!("{line}\n"))
            .collect()
    }
    let all = file(header, scrambled.iter());
    let every_other = file(header, scrambled.iter().step_by(2));
    let reversed = file(header, scrambled.iter().rev());
    // A first batch whose first and last rows were stored one after the
    // other, and the rest of it long after them.
    let mut apart: Vec<&str> = vec![scrambled[0]];
    apart.extend(scrambled.iter().skip(1).step_by(2).take(298));
    apart.push(scrambled[2]);
    let taken: std::collections::HashSet<&str> = apart.iter().copied().collect();
    apart.extend(scrambled.iter().copied().filter(|row| !taken.contains(row)));
    let apart = file(header, apart.iter());
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let summary = import_texts_within(&mut store, &[("half.csv", &every_other)], limits).unwrap();
    assert_eq!(summary.gestures_added, 500);
    for (name, text, added) in [
        ("all.csv", &all, 500),
        ("all.csv", &all, 0),
        ("reversed.csv", &reversed, 0),
        ("apart.csv", &apart, 0),
    ] {
        let summary = import_texts_within(&mut store, &[(name, text)], limits).unwrap();
        assert_eq!(
            (summary.gestures_added, summary.gestures_already_present),
            (added, 1_000 - added),
            "{name}"
        );
    }
    assert_stored_in_order(&mut store, &[&every_other, &all]);
    assert_consistent(&mut store);
    let changed = all.replacen(",thanks,", ",help,", 1);
    assert_ne!(changed, all);
    assert_refused_with_nothing_written(&mut store, &changed, limits);
}

/// A bulk load of more ids in no order than it holds in memory sets them
/// aside and goes on without the index of ids (here past 2,000 ids, then past
/// 500 at a time, in batches of 300): every gesture is stored once, in the
/// file's order; an id repeated with the same content three batches after it
/// was set aside is present, not added twice; the same id with other content
/// is refused with nothing written; and a re-import finds every one.
fn a_load_past_the_ids_it_holds_sets_them_aside_and_keeps_every_rule<B: Backend>() {
    let limits = batches_of_300();
    let rows = 5_000;
    let plain = gestures_file_of(rows, &[], scrambled);
    let repeat_at = 2_000;
    let repeated = format!("{},2024-03-01,ann,bob,help,", scrambled(10));
    let with_repeat = gestures_file_of(rows, &[(repeat_at, repeated.as_str())], scrambled);
    let conflicting = format!("{},2024-03-02,ann,bob,help,", scrambled(10));
    let with_conflict = gestures_file_of(rows, &[(repeat_at, conflicting.as_str())], scrambled);

    let fresh = || {
        let (mut store, guard) = B::fresh();
        B::hold_ids_at_most(&mut store, 2_000);
        setup(&mut store);
        (store, guard)
    };

    let (mut store, _guard) = fresh();
    let summary = import_texts_within(&mut store, &[("plain.csv", &plain)], limits).unwrap();
    assert_eq!(summary.gestures_added, rows as u64);
    assert_stored_in_order(&mut store, &[&plain]);
    assert_consistent(&mut store);
    let again = import_texts_within(&mut store, &[("plain.csv", &plain)], limits).unwrap();
    assert_eq!(
        (again.gestures_added, again.gestures_already_present),
        (0, rows as u64)
    );

    let (mut store, _guard) = fresh();
    let summary = import_texts_within(&mut store, &[("repeat.csv", &with_repeat)], limits).unwrap();
    assert_eq!(
        (summary.gestures_added, summary.gestures_already_present),
        (rows as u64, 1)
    );
    assert_stored_in_order(&mut store, &[&with_repeat]);
    assert_consistent(&mut store);

    let (mut store, _guard) = fresh();
    let refused = import_texts_within(&mut store, &[("conflict.csv", &with_conflict)], limits);
    let message = refused.unwrap_err().to_string();
    assert!(message.contains(&scrambled(10)), "{message}");
    assert_eq!(store.gesture_count().unwrap(), 0);
    // The store takes the plain file after the refusal, as a new one would.
    let summary = import_texts_within(&mut store, &[("plain.csv", &plain)], limits).unwrap();
    assert_eq!(summary.gestures_added, rows as u64);
    assert_consistent(&mut store);
}

/// Batches of 300 rows: a file of a few thousand crosses many batches' ends.
fn batches_of_300() -> import::Limits {
    import::Limits {
        batch_rows: 300,
        ..import::Limits::default()
    }
}

/// Imports `changed` (a stored file with a row changed): refused, and the
/// store holds as many gestures as before.
fn assert_refused_with_nothing_written<S: Store>(
    store: &mut S,
    changed: &str,
    limits: import::Limits,
) {
    let count = store.gesture_count().unwrap();
    assert!(import_texts_within(store, &[("changed.csv", changed)], limits).is_err());
    assert_eq!(store.gesture_count().unwrap(), count);
}

/// Ids in no order: 5,000 distinct numbers below 10,007 for the first 5,000.
fn scrambled(i: usize) -> String {
    format!("s{}", (i * 7_919) % 10_007)
}

/// PostgreSQL: the load of `a_load_past_the_ids_it_holds_sets_them_aside_…`
/// copies on in bulk past the ids it holds, its `COPY` ending only to set
/// them aside or to look up the few its filter cannot rule out, and builds
/// the indexes once, at the end.
#[test]
fn postgres_sets_ids_aside_and_copies_on_in_bulk() {
    use balans_tests::{Backend, Postgres};
    if !Postgres::available() {
        return;
    }
    let limits = batches_of_300();
    let plain = gestures_file_of(5_000, &[], scrambled);
    let (mut store, _guard) = Postgres::fresh();
    Postgres::hold_ids_at_most(&mut store, 2_000);
    setup(&mut store);
    import_texts_within(&mut store, &[("plain.csv", &plain)], limits).unwrap();
    let load = store.last_bulk_load();
    // Batches of 300: the seventh would pass the 2,000 held, so the 1,800
    // before it are set aside; from then on 500 are held, and each batch
    // from the eighth to the sixteenth sets the one before it aside; the
    // last 200 fit beside the sixteenth's 300.
    assert_eq!(
        (load.sets_aside, load.ids_set_aside),
        (10, 4_500),
        "{load:?}"
    );
    assert_eq!(load.copied_in_bulk, 5_000, "{load:?}");
    assert_stored_in_order(&mut store, &[&plain]);
}

/// A large first import with ids in no order, in which one row in fifty
/// reverses a gesture 500 rows before it (an original the load may hold in
/// memory or have set aside): every reversal is checked as in any import and
/// stored in the file's order. The same file with bad reversals (of a gesture
/// not stored, of one later in the file, of a reversal, twice of one, with
/// another receiver) is refused with the very errors it gets in a store that
/// holds a gesture already, which loads nothing in bulk, and leaves nothing.
pub fn reversals_in_a_large_first_import_are_checked_as_in_any<B: Backend>() {
    let limits = batches_of_300();
    let good = with_reversals(&[]);
    let (mut store, _guard) = B::fresh();
    B::hold_ids_at_most(&mut store, 1_000);
    setup(&mut store);
    let summary = import_texts_within(&mut store, &[("good.csv", &good)], limits).unwrap();
    assert_eq!(summary.gestures_added, 3_048);
    assert_stored_in_order(&mut store, &[&good]);
    let original = GestureId::parse(&scrambled(2_450)).unwrap().unwrap();
    assert_eq!(
        store.reversal_of(&original).unwrap(),
        GestureId::parse("r2950").unwrap()
    );
    let stored = store
        .gesture(&GestureId::parse("r2950").unwrap().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(stored.gesture.amount.to_string(), "-3.00");
    let pair = ledger::pair_balance(&mut store, "ann", "bob", None).unwrap();
    // Beside the one gesture of `setup`.
    assert_eq!(credit(&pair), ("8859.00".into(), "0.00".into(), 3_049));
    let again = import_texts_within(&mut store, &[("good.csv", &good)], limits).unwrap();
    assert_eq!(again.gestures_already_present, 3_048);

    let bad = with_reversals(&[
        (700, "r700,2024-03-05,ann,bob,help,nope".to_string()),
        (
            800,
            format!("r800,2024-03-05,ann,bob,help,{}", scrambled(2_000)),
        ),
        (900, "r900,2024-03-05,ann,bob,help,r600".to_string()),
        (
            1_000,
            format!("r1000b,2024-03-05,ann,bob,help,{}", scrambled(500)),
        ),
        (
            1_100,
            format!("r1100,2024-03-05,ann,solo,help,{}", scrambled(1_050)),
        ),
    ]);
    let refused = |store: &mut B::Store| {
        let before = contents(store);
        let Err(LedgerError::Rejected(rejection)) =
            import_texts_within(store, &[("bad.csv", &bad)], limits)
        else {
            panic!("the bad reversals are refused");
        };
        assert_eq!(contents(store), before);
        rejection
    };
    let (mut empty, _empty_guard) = B::fresh();
    B::hold_ids_at_most(&mut empty, 1_000);
    setup(&mut empty);
    let in_bulk = refused(&mut empty);
    let (mut holding, _holding_guard) = B::fresh();
    setup(&mut holding);
    give(&mut holding, "first", "2024-01-01", "ann", "bob", "help").unwrap();
    let through_indexes = refused(&mut holding);
    assert_eq!(in_bulk.total, 5, "{:?}", in_bulk.errors);
    assert_eq!(
        format!("{:?}", in_bulk.errors),
        format!("{:?}", through_indexes.errors)
    );
    let summary = import_texts_within(&mut empty, &[("good.csv", &good)], limits).unwrap();
    assert_eq!(summary.gestures_added, 3_048);
    assert_consistent(&mut empty);
}

/// 3,000 gestures from ann to bob with ids in no order (`scrambled`), and
/// after every fiftieth from the 600th on a reversal `r…` of the gesture 500
/// rows before it, its amount left out; `more` lines go in before the rows
/// they name, after those reversals.
fn with_reversals(more: &[(usize, String)]) -> String {
    let reversals: Vec<(usize, String)> = (600..3_000)
        .step_by(50)
        .map(|i| {
            (
                i,
                format!("r{i},2024-03-05,ann,bob,help,{}", scrambled(i - 500)),
            )
        })
        .collect();
    let mut extra: Vec<(usize, &str)> = reversals
        .iter()
        .chain(more)
        .map(|(i, line)| (*i, line.as_str()))
        .collect();
    extra.sort_by_key(|(i, _)| *i);
    gestures_file_of(3_000, &extra, scrambled)
}

/// SQLite: the load of `reversals_in_a_large_first_import_…` finds each
/// reversal's original from the ids it holds or set aside, without the index
/// of ids, which it builds once, at the end.
#[test]
fn sqlite_finds_what_reversals_reverse_from_the_load() {
    use balans_tests::{Backend, Sqlite};
    let (mut store, _guard) = Sqlite::fresh();
    Sqlite::hold_ids_at_most(&mut store, 1_000);
    setup(&mut store);
    let file = with_reversals(&[]);
    import_texts_within(&mut store, &[("good.csv", &file)], batches_of_300()).unwrap();
    // Each of the 48 reversals reads its original, as the load holds it.
    assert_eq!(store.looked_up_in_load(), 48);
    assert_stored_in_order(&mut store, &[&file]);
}

/// PostgreSQL: the load of `reversals_in_a_large_first_import_…` copies
/// every row in bulk, reversals too, finding each reversal's original from
/// the ids it holds or set aside, and builds the indexes once, at the end.
#[test]
fn postgres_finds_what_reversals_reverse_from_the_load() {
    use balans_tests::{Backend, Postgres};
    if !Postgres::available() {
        return;
    }
    let (mut store, _guard) = Postgres::fresh();
    Postgres::hold_ids_at_most(&mut store, 1_000);
    setup(&mut store);
    let file = with_reversals(&[]);
    import_texts_within(&mut store, &[("good.csv", &file)], batches_of_300()).unwrap();
    let load = store.last_bulk_load();
    // Each of the 48 reversals reads its original, as the load holds it in
    // memory or set aside.
    assert_eq!(load.found_in_load, 48, "{load:?}");
    // All but the last 48 rows, too few to copy.
    assert_eq!(load.copied_in_bulk, 3_000, "{load:?}");
    assert!(load.sets_aside > 0, "{load:?}");
    assert_stored_in_order(&mut store, &[&file]);
    assert_consistent(&mut store);
}

/// Rows with long notes go to the store in batches bounded by their text, not
/// only by their count, and the store ends the same as with whole batches:
/// each batch is told as progress, so the reports count the batches.
pub fn long_notes_go_in_smaller_batches_and_store_the_same<B: Backend>() {
    let mut text = String::from("id,at,giver,receiver,kind,amount,note\n");
    for (i, row) in varied_gestures_file("n", 600).lines().skip(1).enumerate() {
        let note = "lang verhaal over de levering ".repeat(5 + i % 7);
        text.push_str(&format!("{row},{note}\n"));
    }
    // A row holds 150 to 330 bytes of note: 4 KiB of text is 13 to 28 rows.
    let by_bytes = import::Limits {
        batch_bytes: 4_096,
        ..import::Limits::default()
    };
    let imported = |limits: import::Limits| {
        let (mut store, guard) = B::fresh();
        setup(&mut store);
        let reports = std::sync::Mutex::new(Vec::new());
        let options = Options {
            limits,
            ..Options::default()
        };
        let source = Source::new("notes.csv", std::io::Cursor::new(text.clone().into_bytes()));
        let summary = import::import(&mut store, vec![source], options, &|p| {
            reports.lock().unwrap().push(p.rows)
        })
        .unwrap();
        assert_eq!(summary.gestures_added, 600);
        assert_consistent(&mut store);
        (store, guard, reports.into_inner().unwrap())
    };
    let (mut whole, _whole_guard, whole_reports) = imported(import::Limits::default());
    let (mut bounded, _bounded_guard, reports) = imported(by_bytes);
    assert!(whole_reports.len() <= 2, "{whole_reports:?}");
    assert!(reports.len() >= 600 / 28, "{reports:?}");
    assert!(
        reports.windows(2).all(|w| w[1] - w[0] <= 28),
        "no batch holds more than 4 KiB of text and one row: {reports:?}"
    );
    assert_eq!(reports.last(), Some(&600));
    assert_eq!(contents(&mut bounded), contents(&mut whole));
}

conformance!(
    importing_the_same_file_twice_adds_nothing,
    the_same_id_with_other_content_is_refused_naming_both,
    every_error_names_file_line_and_column_and_nothing_is_written,
    only_the_first_hundred_errors_are_listed,
    a_dry_run_validates_and_writes_nothing,
    an_id_twice_in_one_large_file_counts_once,
    a_file_that_repeats_part_of_another_adds_the_rest,
    stored_batches_then_new_ones_and_back,
    a_file_imported_again_names_the_rows_it_cannot_take,
    a_file_imported_again_in_no_order_of_ids_adds_only_its_new_rows,
    rows_without_ids_get_the_same_ids_however_few_counts_fit_in_memory,
    a_large_first_import_keeps_every_rule,
    ids_in_order_with_others_between_them_are_answered_each_for_itself,
    a_load_past_the_ids_it_holds_sets_them_aside_and_keeps_every_rule,
    ids_in_no_order_are_answered_each_for_itself,
    long_notes_go_in_smaller_batches_and_store_the_same,
    reversals_in_a_large_first_import_are_checked_as_in_any,
);
