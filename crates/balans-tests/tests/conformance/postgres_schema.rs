//! PostgreSQL alone: the gestures table's shape after a bulk load and after an
//! upgrade of its row layout.

use balans_store::GestureText;
use balans_store::import::{self, Options, Source};
use balans_store::ledger::{self};
use balans_store::prelude::*;
use balans_tests::Backend;

use crate::support::*;

/// Each index and constraint of the tables a bulk load fills, with its
/// definition, and the index each is clustered on.
fn postgres_shape(client: &mut postgres::Client) -> Vec<String> {
    client
        .query(
            "SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes \
             WHERE tablename IN ('gestures', 'balances', 'months') \
             UNION ALL SELECT 'constraint ' || conname || ': ' || pg_get_constraintdef(oid) \
             FROM pg_constraint WHERE conrelid IN ('gestures'::regclass, 'balances'::regclass, 'months'::regclass) \
             UNION ALL SELECT 'clustered on ' || indexrelid::regclass::text FROM pg_index \
             WHERE indisclustered AND indrelid IN ('gestures'::regclass, 'balances'::regclass, 'months'::regclass) \
             ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// PostgreSQL loads the first large import without the indexes of the gestures,
/// the balances and the months, and builds them before the commit: afterwards,
/// and after a rejected import or a dry run, the tables have exactly the indexes
/// and constraints their migrations made.
#[test]
fn postgres_bulk_loads_leave_the_gestures_table_as_migrated() {
    use balans_tests::Postgres;
    if !Postgres::available() {
        return;
    }
    let shape = postgres_shape;
    // The indexes a bulk load builds anew: the gestures' by id, and the primary
    // keys of the balances and the months.
    let id_index = |client: &mut postgres::Client| -> Vec<u32> {
        let row = client
            .query_one(
                "SELECT 'gestures_id_key'::regclass::oid, 'balances_pkey'::regclass::oid, \
                 'months_pkey'::regclass::oid",
                &[],
            )
            .unwrap();
        (0..3).map(|i| row.get(i)).collect()
    };
    let all_new = |now: &[u32], before: &[u32]| now.iter().zip(before).all(|(a, b)| a != b);
    // A new store with the setup's parties, and a connection of its own to look
    // at the table with.
    let fresh = || {
        let (mut store, guard) = Postgres::fresh();
        let url = &guard
            .downcast_ref::<balans_tests::TestDatabase>()
            .unwrap()
            .url;
        let client = postgres::Client::connect(url, postgres::NoTls).unwrap();
        setup(&mut store);
        (store, guard, client)
    };
    let (mut store, _guard, mut client) = fresh();
    let migrated = shape(&mut client);
    assert_eq!(migrated.len(), 17, "{migrated:?}");
    let good = long_gestures_file(20_000, &[]);
    let bad = long_gestures_file(20_000, &[(19_000, "d7,2024-03-02,ann,bob,help,")]);

    let before = id_index(&mut client);
    assert!(import_texts(&mut store, &[("gestures.csv", &bad)]).is_err());
    assert_eq!(shape(&mut client), migrated);
    let sources = vec![Source::new(
        "gestures.csv",
        std::io::Cursor::new(good.clone().into_bytes()),
    )];
    let options = Options {
        dry_run: true,
        ..Options::default()
    };
    import::import(&mut store, sources, options, &|_| {}).unwrap();
    assert_eq!(shape(&mut client), migrated);
    assert_eq!(
        id_index(&mut client),
        before,
        "undone loads leave the first index"
    );

    import_texts(&mut store, &[("gestures.csv", &good)]).unwrap();
    assert_eq!(shape(&mut client), migrated);
    let built = id_index(&mut client);
    assert!(
        all_new(&built, &before),
        "the first import was loaded in bulk: {built:?} {before:?}"
    );
    // Into a table that holds gestures, an import goes through the indexes.
    let more = good
        .replace(",2024-03-01,", ",2024-03-02,")
        .replace("\nd", "\ne");
    import_texts(&mut store, &[("gestures.csv", &more)]).unwrap();
    assert_eq!(id_index(&mut client), built);
    assert_eq!(store.gesture_count().unwrap(), 40_000);
    assert_consistent(&mut store);

    // After `good` and `more` were loaded in bulk: the table as migrated, its
    // index built anew, every gesture there and every balance right.
    let loaded_in_bulk = |store: &mut _, client: &mut postgres::Client, before: Vec<u32>| {
        assert_eq!(shape(client), migrated);
        let now = id_index(client);
        assert!(all_new(&now, &before), "loaded in bulk: {now:?} {before:?}");
        assert_eq!(GestureStore::gesture_count(store).unwrap(), 40_000);
        assert_consistent(store);
    };

    // Imports as nested writes in one transaction, as a server groups them: a
    // rejected one undoes its load; a bulk load kept by its write is indexed
    // when the transaction commits, whatever fails in it afterwards. The second
    // good import adds to the sums the first one copied into the empty tables.
    let (mut store, _guard, mut client) = fresh();
    let before = id_index(&mut client);
    store.begin_write().unwrap();
    assert!(import_texts(&mut store, &[("gestures.csv", &bad)]).is_err());
    import_texts(&mut store, &[("gestures.csv", &good)]).unwrap();
    assert!(import_texts(&mut store, &[("gestures.csv", &bad)]).is_err());
    import_texts(&mut store, &[("gestures.csv", &more)]).unwrap();
    store.commit().unwrap();
    loaded_in_bulk(&mut store, &mut client, before);

    // Two files of gestures in one import: the second carries on with the load,
    // which is finished after it.
    let (mut store, _guard, mut client) = fresh();
    let before = id_index(&mut client);
    import_texts(&mut store, &[("a.csv", &good), ("b.csv", &more)]).unwrap();
    loaded_in_bulk(&mut store, &mut client, before);

    // A read that holds the balances while the load runs is not waited for (it
    // could be waiting for the gestures in turn): the sums go in through the
    // balances' indexes, the months' are dropped and built as before. Were the
    // load to wait, the read would end after 30 s and the indexes be rebuilt.
    let (mut store, guard, mut client) = fresh();
    let before = id_index(&mut client);
    let url = guard
        .downcast_ref::<balans_tests::TestDatabase>()
        .unwrap()
        .url
        .clone();
    let (held, holding) = std::sync::mpsc::channel();
    let (done, finish) = std::sync::mpsc::channel::<()>();
    let reader = std::thread::spawn(move || {
        let mut reader = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let mut read = reader.transaction().unwrap();
        read.query("SELECT COUNT(*) FROM balances", &[]).unwrap();
        held.send(()).unwrap();
        let _ = finish.recv_timeout(std::time::Duration::from_secs(30));
        read.commit().unwrap();
    });
    holding.recv().unwrap();
    import_texts(&mut store, &[("gestures.csv", &good)]).unwrap();
    // The read has ended by itself if the load waited for it.
    let _ = done.send(());
    reader.join().unwrap();
    assert_eq!(shape(&mut client), migrated);
    let now = id_index(&mut client);
    assert_ne!(now[0], before[0], "the gestures were loaded in bulk");
    assert_eq!(
        now[1], before[1],
        "the balances went in through their indexes"
    );
    assert_ne!(
        now[2], before[2],
        "the months were copied without their index"
    );
    assert_eq!(store.gesture_count().unwrap(), 20_000);
    assert_consistent(&mut store);

    // An import that ends without a gesture wants no bulk load from the writes
    // that follow it in the same transaction.
    let (mut store, _guard, mut client) = fresh();
    let before = id_index(&mut client);
    store.begin_write().unwrap();
    import_texts(
        &mut store,
        &[("gestures.csv", "id,at,giver,receiver,kind\n")],
    )
    .unwrap();
    let ids: Vec<String> = (0..300).map(|i| format!("b{i}")).collect();
    let batch: Vec<GestureText> = ids
        .iter()
        .map(|id| GestureText {
            id,
            at: "2024-03-01",
            giver: "ann",
            receiver: "bob",
            kind: "help",
            ..GestureText::default()
        })
        .collect();
    ledger::give_batch(&mut store, &batch).unwrap();
    store.commit().unwrap();
    assert_eq!(id_index(&mut client), before);
    assert_eq!(store.gesture_count().unwrap(), 300);
}

/// A database made before a gesture's rarer parts (the organizations named, a
/// note, an item, the gesture reversed) moved into one column is rewritten when
/// it is opened: every gesture reads back as it was, with its number, numbering
/// carries on where it was, and the table is shaped as in a new database, with
/// the index that refuses a second reversal.
#[test]
fn postgres_gestures_stored_in_twelve_columns_read_back_the_same() {
    use balans_tests::{Postgres, TestDatabase};
    use std::io::{Read, Write};
    if !Postgres::available() {
        return;
    }
    const DETAILED: &str = "id,at,giver,receiver,kind,amount,note,item,giver_org,receiver_org\n\
        m1,2024-03-01T10:00:00,ann,bob,help,,Bedankt voor de hulp,,,\n\
        m2,2024-03-02T10:00:00,bob,ann,pay,12.50,,vaas-7,cust,us\n\
        m3,2024-03-03T10:00:00,ann,bob,thanks,,\"met, komma\",boek,us,\n";
    let connect = |guard: &dyn std::any::Any| {
        let url = &guard.downcast_ref::<TestDatabase>().unwrap().url;
        postgres::Client::connect(url, postgres::NoTls).unwrap()
    };
    // The gestures' columns in order, and their sequence.
    let columns = |client: &mut postgres::Client| -> Vec<String> {
        client
            .query(
                "SELECT column_name || ' ' || format_type(atttypid, atttypmod) || COALESCE(' ' || collation_name, '') \
                 FROM information_schema.columns JOIN pg_attribute ON attrelid = 'gestures'::regclass AND attname = column_name \
                 WHERE table_name = 'gestures' \
                 UNION ALL SELECT pg_get_serial_sequence('gestures', 'seq') ORDER BY 1",
                &[],
            )
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect()
    };
    let (mut current, current_guard) = Postgres::fresh();
    setup(&mut current);
    let varied = varied_gestures_file("v", 300);
    import_texts(&mut current, &[("d.csv", DETAILED), ("v.csv", &varied)]).unwrap();
    ledger::reverse(
        &mut current,
        "m1",
        Some("2024-03-05"),
        Some("twice"),
        Some("r1"),
    )
    .unwrap();
    let mut from = connect(&*current_guard);

    // The same database at version 4: its schema's steps, then every table the
    // store filled, copied over, and the gestures into their twelve columns.
    let old = Postgres::database();
    let mut to = postgres::Client::connect(&old.url, postgres::NoTls).unwrap();
    to.batch_execute("CREATE TABLE schema_version (version BIGINT NOT NULL); INSERT INTO schema_version VALUES (4)")
        .unwrap();
    for step in &balans_postgres::schema::STEPS[..4] {
        to.batch_execute(step).unwrap();
    }
    to.batch_execute("DELETE FROM settings").unwrap();
    let mut transfer = |out: &str, into: &str| {
        let mut rows = Vec::new();
        from.copy_out(&format!("COPY {out} TO STDOUT BINARY"))
            .unwrap()
            .read_to_end(&mut rows)
            .unwrap();
        let mut writer = to
            .copy_in(&format!("COPY {into} FROM STDIN BINARY"))
            .unwrap();
        writer.write_all(&rows).unwrap();
        writer.finish().unwrap();
    };
    for table in [
        "settings",
        "kinds",
        "parties",
        "memberships",
        "balances",
        "months",
    ] {
        transfer(table, table);
    }
    transfer(
        "(SELECT seq, id, at_ms, giver::int8, receiver::int8, (details).giver_org::int8, (details).receiver_org::int8, \
         kind::int8, amount_minor, (details).note, (details).item, (details).reverses FROM gestures)",
        "gestures (seq, id, at_ms, giver, receiver, giver_org, receiver_org, kind, amount_minor, note, item, reverses)",
    );
    let last: i64 = from
        .query_one(
            "SELECT pg_sequence_last_value(pg_get_serial_sequence('gestures', 'seq')::regclass)",
            &[],
        )
        .unwrap()
        .get(0);
    to.execute(
        "SELECT setval(pg_get_serial_sequence('gestures', 'seq'), $1)",
        &[&last],
    )
    .unwrap();
    to.batch_execute(
        "SELECT setval(pg_get_serial_sequence('kinds', 'id'), MAX(id)) FROM kinds; \
         SELECT setval(pg_get_serial_sequence('parties', 'id'), MAX(id)) FROM parties",
    )
    .unwrap();
    let details: i64 = to
        .query_one("SELECT COUNT(*) FROM gestures WHERE num_nonnulls(giver_org, receiver_org, note, item, reverses) > 0", &[])
        .unwrap()
        .get(0);
    assert_eq!(details, 4, "m1, m2, m3 and r1 carry details");

    let mut told = Vec::new();
    let mut migrated =
        balans_postgres::PostgresStore::open_telling(&old.url, &mut |upgrade| told.push(upgrade))
            .unwrap();
    assert_eq!(
        told,
        [balans_store::SchemaUpgrade {
            from: 4,
            to: balans_postgres::SCHEMA_VERSION
        }]
    );
    assert_eq!(contents(&mut migrated), contents(&mut current));
    assert_eq!(
        migrated.all_months().unwrap(),
        current.all_months().unwrap()
    );
    assert_consistent(&mut migrated);
    assert_eq!(columns(&mut to), columns(&mut from));
    assert_eq!(postgres_shape(&mut to), postgres_shape(&mut from));
    let version: i64 = to
        .query_one("SELECT version FROM schema_version", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, balans_postgres::SCHEMA_VERSION);

    // Opening it again, or making a new database, tells of no upgrade.
    told.clear();
    drop(
        balans_postgres::PostgresStore::open_telling(&old.url, &mut |upgrade| told.push(upgrade))
            .unwrap(),
    );
    let new = Postgres::database();
    drop(
        balans_postgres::PostgresStore::open_telling(&new.url, &mut |upgrade| told.push(upgrade))
            .unwrap(),
    );
    assert_eq!(told, []);

    // Numbering carries on, and a reversal is refused twice by the table too.
    let later = varied_gestures_file("w", 300);
    for store in [&mut migrated, &mut current] {
        import_texts(store, &[("w.csv", &later)]).unwrap();
    }
    assert_eq!(contents(&mut migrated), contents(&mut current));
    let twice = to
        .execute(
            "INSERT INTO gestures (at_ms, amount_minor, giver, receiver, kind, id, details) \
             SELECT at_ms, amount_minor, giver, receiver, kind, 'r2', details FROM gestures WHERE id = 'r1'",
            &[],
        )
        .unwrap_err();
    assert_eq!(
        twice.code(),
        Some(&postgres::error::SqlState::UNIQUE_VIOLATION),
        "{twice}"
    );
}

/// Stored gestures are read by id with the plan PostgreSQL makes for any ids
/// (a plan made for thousands of ids at hand scanned the whole table), for
/// that read alone: after a re-import, a refused one, and a read outside a
/// transaction, the connection plans for the values at hand again.
#[test]
fn postgres_reads_gestures_by_id_with_a_plan_for_any_ids_for_that_read_alone() {
    use balans_tests::Postgres;
    if !Postgres::available() {
        return;
    }
    let (mut store, _guard) = Postgres::fresh();
    setup(&mut store);
    let planned_for_values = |store: &mut balans_postgres::PostgresStore| {
        assert_eq!(store.setting("plan_cache_mode").unwrap(), "auto");
    };
    planned_for_values(&mut store);
    let file = long_gestures_file(20_000, &[]);
    import_texts(&mut store, &[("gestures.csv", &file)]).unwrap();
    let again = import_texts(&mut store, &[("gestures.csv", &file)]).unwrap();
    assert_eq!(
        (again.gestures_added, again.gestures_already_present),
        (0, 20_000)
    );
    planned_for_values(&mut store);

    // The same ids, one of them with another receiver: refused, nothing written.
    let changed = file.replacen("d19999,2024-03-01,ann,bob", "d19999,2024-03-01,bob,ann", 1);
    assert_ne!(changed, file);
    assert!(import_texts(&mut store, &[("gestures.csv", &changed)]).is_err());
    planned_for_values(&mut store);
    assert_eq!(store.gesture_count().unwrap(), 20_000);

    let ids: Vec<String> = (0..5_000).map(|i| format!("d{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let read = store.gestures_by_ids(&ids).unwrap();
    assert_eq!(read.len(), 5_000);
    planned_for_values(&mut store);
}
