//! The SQLite store's own tests: opening, upgrading, and what it holds pending.

use balans_core::{
    Dimension, Level, Moment, PairKey, PartyId, PartySumKey, Totals, builtin_catalog,
};
use balans_store::store::{BalanceStore, CatalogStore, SchemaUpgrade, StoreError, Transactions};
use rusqlite::Connection;

use crate::SqliteStore;
use crate::catalog::insert_kind;
use crate::connection::PENDING_MAX;
use crate::migrations::{self, SCHEMA_VERSION};

#[test]
fn a_newer_store_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer.db");
    drop(SqliteStore::open(&path, true).unwrap());
    Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    let error = SqliteStore::open(&path, false).err().unwrap();
    assert!(matches!(error, StoreError::NewerSchema { found: 99, .. }));
    assert!(error.to_string().contains("upgrade balans"), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

/// Opening a store of the previous schema says so before upgrading it; making
/// a new store, or opening a current one, says nothing.
#[test]
fn an_upgrade_is_told_before_it_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("older.db");
    let previous = SCHEMA_VERSION - 1;
    {
        let mut connection = Connection::open(&path).unwrap();
        let tx = connection.transaction().unwrap();
        for sql in &migrations::STEPS[..previous as usize] {
            tx.execute_batch(sql).unwrap();
        }
        for def in builtin_catalog() {
            insert_kind(&tx, &def, true).unwrap();
        }
        tx.execute_batch(&format!("PRAGMA user_version = {previous}"))
            .unwrap();
        tx.commit().unwrap();
    }
    let mut told = Vec::new();
    let mut store =
        SqliteStore::open_telling(&path, false, &mut |upgrade| told.push(upgrade)).unwrap();
    assert_eq!(
        told,
        [SchemaUpgrade {
            from: previous,
            to: SCHEMA_VERSION
        }]
    );
    assert_eq!(store.kinds().unwrap().len(), 24);
    drop(store);
    told.clear();
    drop(SqliteStore::open_telling(&path, false, &mut |upgrade| told.push(upgrade)).unwrap());
    let new = dir.path().join("new.db");
    drop(SqliteStore::open_telling(&new, true, &mut |upgrade| told.push(upgrade)).unwrap());
    assert_eq!(told, []);
}

/// The step that gives the gestures' ids an index of their own keeps every
/// gesture, in its order, and its id unique: the same id again is present,
/// not stored twice.
#[test]
fn gestures_keep_their_order_and_unique_ids_through_the_index_of_ids() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("older.db");
    let before = migrations::STEPS.len() - 1;
    {
        let mut connection = Connection::open(&path).unwrap();
        let tx = connection.transaction().unwrap();
        for sql in &migrations::STEPS[..before] {
            tx.execute_batch(sql).unwrap();
        }
        for def in builtin_catalog() {
            insert_kind(&tx, &def, true).unwrap();
        }
        tx.execute_batch(&format!(
            "INSERT INTO parties (key, kind, name) VALUES ('ann', 'person', 'Ann'), ('bob', 'person', 'Bob'); \
             INSERT INTO gestures (seq, id, at_ms, giver, receiver, kind, amount_minor) VALUES \
               (7, 'b', 1000, 1, 2, 1, 100), (9, 'a', 2000, 2, 1, 1, 200); \
             PRAGMA user_version = {before}"
        ))
        .unwrap();
        tx.commit().unwrap();
    }
    let store = SqliteStore::open(&path, false).unwrap();
    let rows: Vec<(i64, String)> = store
        .connection()
        .prepare("SELECT seq, id FROM gestures ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows, [(7, "b".to_string()), (9, "a".to_string())]);
    let again = store.connection().execute(
        "INSERT INTO gestures (id, at_ms, giver, receiver, kind, amount_minor) \
         VALUES ('a', 3000, 1, 2, 1, 1) ON CONFLICT (id) DO NOTHING",
        [],
    );
    assert_eq!(again.unwrap(), 0);
}

#[test]
fn opening_is_idempotent_and_seeds_the_catalog_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    drop(SqliteStore::open(&path, true).unwrap());
    let mut store = SqliteStore::open(&path, false).unwrap();
    assert_eq!(store.kinds().unwrap().len(), 24);
    let mode: String = store
        .connection()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let page_size: i64 = store
        .connection()
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .unwrap();
    assert_eq!(page_size, 16384);
}

#[test]
fn a_balance_change_that_fails_leaves_nothing_pending() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("b.db"), true).unwrap();
    let key = PairKey {
        level: Level::Person,
        low: PartyId(1),
        high: PartyId(2),
        dimension: Dimension::Credit,
    };
    let totals = |n: i64| Totals {
        low_to_high: n,
        high_to_low: 0,
        count: 1,
        first: Moment::from_millis(0),
        last: Moment::from_millis(0),
    };
    let stored = |store: &mut SqliteStore| {
        store
            .connection()
            .query_row(
                "SELECT low_to_high, count FROM balances WHERE low = 1 AND high = 2",
                [],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )
            .unwrap()
    };
    // Outside a write a change is written at once; one that overflows is refused
    // whole and leaves nothing for the next write to carry along.
    store.add_to_balances(&[(key, totals(5))]).unwrap();
    assert_eq!(stored(&mut store), (5, 1));
    let overflow = [(key, totals(1)), (key, totals(i64::MAX))];
    assert!(matches!(
        store.add_to_balances(&overflow),
        Err(StoreError::Overflow(_))
    ));
    assert_eq!(stored(&mut store), (5, 1));
    store.begin_write().unwrap();
    store.add_to_balances(&[(key, totals(2))]).unwrap();
    // Pending until the commit; a read of the pair sees it already.
    assert_eq!(stored(&mut store), (5, 1));
    let mut both = totals(7);
    both.count = 2;
    let pair = store.pair(Level::Person, PartyId(2), PartyId(1)).unwrap();
    assert_eq!(pair, vec![(key, both)]);
    store.commit().unwrap();
    assert_eq!(stored(&mut store), (7, 2));
}

/// Many sums added in the outermost write go to the table at once, added to
/// what it and the write's pending totals hold; one beyond 64 bits is refused
/// as an overflow, and the write undone leaves the table as it was.
#[test]
fn many_sums_in_one_write_are_added_in_the_table_and_still_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("d.db"), true).unwrap();
    let key = |high: i64| PairKey {
        level: Level::Person,
        low: PartyId(1),
        high: PartyId(high),
        dimension: Dimension::Credit,
    };
    let totals = |n: i64, at: i64| Totals {
        low_to_high: n,
        high_to_low: 0,
        count: 1,
        first: Moment::from_millis(at),
        last: Moment::from_millis(at),
    };
    let many = crate::totals::DIRECT_MIN as i64 + 10;
    // Out of key order, as a map hands them over.
    let batch: Vec<_> = (2..2 + many)
        .rev()
        .map(|h| (key(h), totals(h, h)))
        .collect();
    store.add_to_balances(&[(key(2), totals(100, 1))]).unwrap();
    store.begin_write().unwrap();
    // Pending in this write, then added to by the large batch.
    store
        .add_to_balances(&[(key(3), totals(1_000, 50))])
        .unwrap();
    store.add_to_balances(&batch).unwrap();
    store.add_to_balances(&batch).unwrap();
    store.commit().unwrap();
    let all = |store: &mut SqliteStore| {
        let mut rows = Vec::new();
        store
            .for_each_balance(&mut |k, t| {
                rows.push((k, t));
                Ok(())
            })
            .unwrap();
        rows
    };
    let rows = all(&mut store);
    assert_eq!(rows.len() as i64, many);
    let row = |h: i64| rows.iter().find(|(k, _)| *k == key(h)).unwrap().1;
    assert_eq!(
        (
            row(2).low_to_high,
            row(2).count,
            row(2).first.millis(),
            row(2).last.millis()
        ),
        (104, 3, 1, 2)
    );
    assert_eq!(
        (row(3).low_to_high, row(3).count, row(3).last.millis()),
        (1_006, 3, 50)
    );
    let last = 1 + many;
    assert_eq!((row(last).low_to_high, row(last).count), (2 * last, 2));
    // One sum beyond 64 bits: refused, and the write undone.
    let mut over = batch.clone();
    over[0].1.low_to_high = i64::MAX;
    store.begin_write().unwrap();
    match store.add_to_balances(&over) {
        Err(StoreError::Overflow(what)) => assert_eq!(
            what,
            format!("pair #1 and #{last} at person level"),
            "the pair refused is named"
        ),
        other => panic!("expected an overflow, got {other:?}"),
    }
    store.rollback().unwrap();
    assert_eq!(all(&mut store), rows);
}

/// An import into an empty store writes its sums as new rows, and when a row
/// exists after all (a second file's sums for the same pairs, in the same
/// write), adds to it instead: each sum counted once, at every table.
#[test]
fn sums_written_as_new_rows_are_added_to_where_a_row_exists_after_all() {
    use balans_store::store::BulkLoad;
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("n.db"), true).unwrap();
    let many = crate::rows::ROWS_AT_ONCE as i64 + 10;
    let pairs: Vec<(PairKey, Totals)> = (2..2 + many)
        .map(|high| {
            let key = PairKey {
                level: Level::Person,
                low: PartyId(1),
                high: PartyId(high),
                dimension: Dimension::Credit,
            };
            (key, totals(high, high))
        })
        .collect();
    let parties: Vec<(PartySumKey, Totals)> = (1..many)
        .map(|party| {
            let key = PartySumKey {
                level: Level::Person,
                party: PartyId(party),
                dimension: Dimension::Credit,
            };
            (key, totals(party, party))
        })
        .collect();
    store.begin_write().unwrap();
    store.expect_many_gestures().unwrap();
    assert!(store.balance_index_dropped, "an empty store's import");
    assert_eq!(cache_size(&store), crate::open::IMPORT_CACHE_SIZE);
    store.add_to_balances(&pairs).unwrap();
    store.add_to_party_totals(&parties).unwrap();
    // The last part only, again: its rows exist.
    let tail = pairs.len() - 20;
    store.add_to_balances(&pairs[tail..]).unwrap();
    store.add_to_party_totals(&parties[tail..]).unwrap();
    store.commit().unwrap();
    assert_eq!(
        cache_size(&store),
        crate::open::CACHE_SIZE,
        "after the import"
    );
    let mut stored = Vec::new();
    store
        .for_each_balance(&mut |k, t| {
            stored.push((k, t));
            Ok(())
        })
        .unwrap();
    let mut expected = pairs.clone();
    for (_, t) in &mut expected[tail..] {
        t.low_to_high *= 2;
        t.count = 2;
    }
    assert_eq!(stored, expected);
    let stored: Vec<(PartyId, Totals)> = store
        .party_totals(Level::Person)
        .unwrap()
        .into_iter()
        .map(|(party, _, t)| (party, t))
        .collect();
    let mut expected: Vec<(PartyId, Totals)> = parties.iter().map(|(k, t)| (k.party, *t)).collect();
    for (_, t) in &mut expected[tail..] {
        t.low_to_high *= 2;
        t.count = 2;
    }
    assert_eq!(stored, expected);
}

/// The page cache the store's connection keeps, as `PRAGMA cache_size` gives it.
fn cache_size(store: &SqliteStore) -> i64 {
    store
        .connection
        .query_row("PRAGMA cache_size", [], |r| r.get(0))
        .unwrap()
}

fn totals(n: i64, at: i64) -> Totals {
    Totals {
        low_to_high: n,
        high_to_low: 0,
        count: 1,
        first: Moment::from_millis(at),
        last: Moment::from_millis(at),
    }
}

/// A party's sum beyond 64 bits is refused as an overflow, not stored as a
/// rounded REAL, and leaves the sum as it was.
#[test]
fn a_partys_sum_that_would_overflow_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("p.db"), true).unwrap();
    let key = PartySumKey {
        level: Level::Person,
        party: PartyId(1),
        dimension: Dimension::Credit,
    };
    let totals = |n: i64, at: i64| Totals {
        low_to_high: n,
        high_to_low: 1,
        count: 1,
        first: Moment::from_millis(at),
        last: Moment::from_millis(at),
    };
    store
        .add_to_party_totals(&[(key, totals(i64::MAX - 1, 5))])
        .unwrap();
    store.add_to_party_totals(&[(key, totals(1, 9))]).unwrap();
    assert!(matches!(
        store.add_to_party_totals(&[(key, totals(1, 1))]),
        Err(StoreError::Overflow(_))
    ));
    let stored = store.party_totals(Level::Person).unwrap();
    let mut expected = totals(i64::MAX, 5);
    expected.high_to_low = 2;
    expected.count = 2;
    expected.last = Moment::from_millis(9);
    assert_eq!(stored, vec![(PartyId(1), Dimension::Credit, expected)]);
}

#[test]
fn a_large_write_keeps_a_bounded_amount_pending() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("b.db"), true).unwrap();
    let many = PENDING_MAX + PENDING_MAX / 2;
    let deltas: Vec<(PairKey, Totals)> = (0..many as i64)
        .map(|i| {
            let key = PairKey {
                level: Level::Person,
                low: PartyId(i),
                high: PartyId(i + 1),
                dimension: Dimension::Credit,
            };
            let totals = Totals {
                low_to_high: 1,
                high_to_low: 0,
                count: 1,
                first: Moment::from_millis(0),
                last: Moment::from_millis(0),
            };
            (key, totals)
        })
        .collect();
    let rows = |store: &mut SqliteStore| {
        store
            .connection()
            .query_row("SELECT COUNT(*), SUM(low_to_high) FROM balances", [], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
            })
            .unwrap()
    };
    store.begin_write().unwrap();
    store.add_to_balances(&deltas[..10]).unwrap();
    // A nested write that changes many pairs writes them before it ends; undone,
    // it leaves only what was there.
    store.begin_write().unwrap();
    store.add_to_balances(&deltas).unwrap();
    assert!(store.pending_balances.innermost_len() <= 10);
    assert_eq!(rows(&mut store).0, many as i64);
    store.rollback().unwrap();
    // The tables are as before the nested write; the first ten are still
    // pending, as they were.
    assert_eq!(rows(&mut store), (0, None));
    assert_eq!(store.pending_balances.innermost_len(), 10);
    // Done again and kept, every pair counts once more where both wrote.
    store.begin_write().unwrap();
    store.add_to_balances(&deltas).unwrap();
    store.commit().unwrap();
    store.begin_write().unwrap();
    store.commit().unwrap();
    assert!(store.pending_balances.innermost_len() <= 10);
    store.commit().unwrap();
    assert_eq!(rows(&mut store), (many as i64, Some(many as i64 + 10)));
}

#[test]
fn a_missing_store_is_not_created_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.db");
    let error = SqliteStore::open(&path, false).err().unwrap();
    assert!(error.to_string().contains("no store at"), "{error}");
    assert!(!path.exists());
}

#[test]
fn a_file_that_is_not_a_store_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(
        &path,
        "hello, this is not a database at all, just some text to fill the header page",
    )
    .unwrap();
    let error = SqliteStore::open(&path, false).err().unwrap();
    assert!(error.to_string().contains("notes.txt"), "{error}");
}

/// An import into an empty table goes without the gestures' secondary indexes
/// and the balances' index by high party, and builds them at its end; a failed
/// import leaves them as they were; either way the store has them, and a
/// party's balances read through them.
#[test]
fn an_import_into_an_empty_store_leaves_the_gestures_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let mut store = SqliteStore::open(&path, true).unwrap();
    let has_index = |path: &std::path::Path| -> bool {
        Connection::open(path)
            .unwrap()
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' \
                 AND name IN ('gestures_id', 'gestures_at', 'gestures_giver', 'gestures_receiver', \
                 'balances_high')",
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
            == 5
    };
    let import = |store: &mut SqliteStore, gestures: &str| {
        balans_store::import::import(
            store,
            vec![
                balans_store::import::Source::new(
                    "parties.csv",
                    std::io::Cursor::new(
                        b"key,kind,name\nann,person,Ann\nbob,person,Bob\n".to_vec(),
                    ),
                ),
                balans_store::import::Source::new(
                    "gestures.csv",
                    std::io::Cursor::new(gestures.as_bytes().to_vec()),
                ),
            ],
            Default::default(),
            &|_| {},
        )
    };
    // A bad last row: nothing is written, and the index is there, and the
    // connection's usual page cache.
    assert!(
        import(
            &mut store,
            "at,giver,receiver,kind\n2024-01-02,ann,bob,thanks\n2024-01-03,ann,nobody,thanks\n"
        )
        .is_err()
    );
    assert!(has_index(&path));
    assert_eq!(cache_size(&store), crate::open::CACHE_SIZE);
    import(
        &mut store,
        "at,giver,receiver,kind\n2024-01-02,ann,bob,thanks\n2024-01-01,bob,ann,help\n",
    )
    .unwrap();
    assert!(has_index(&path));
    // An import into a store that holds gestures has the import's page cache
    // too, until its write ends.
    {
        use balans_store::store::BulkLoad;
        store.begin_write().unwrap();
        store.expect_many_gestures().unwrap();
        assert_eq!(cache_size(&store), crate::open::IMPORT_CACHE_SIZE);
        store.rollback().unwrap();
        assert_eq!(cache_size(&store), crate::open::CACHE_SIZE);
    }
    let newest = balans_store::store::GestureStore::find_gestures(
        &mut store,
        &balans_store::store::GestureFilter {
            newest_first: true,
            limit: 10,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(newest.len(), 2);
    assert!(newest[0].gesture.at > newest[1].gesture.at);
    let bob = balans_store::store::DirectoryStore::party_by_key(
        &mut store,
        &balans_core::PartyKey::parse("bob").unwrap(),
    )
    .unwrap()
    .unwrap();
    let bobs = balans_store::store::BalanceStore::balances_of(
        &mut store,
        balans_core::Level::Person,
        bob.id,
    )
    .unwrap();
    assert_eq!(bobs.len(), 1, "{bobs:?}");
}

/// An import that adds many gestures to a store that held gestures goes
/// without the secondary indexes of times, givers and receivers once it has
/// added enough, and builds them at its end; an import adding few, or none
/// (a file imported again), keeps them; a failed one leaves them as they
/// were. The store ends as the same files imported one by one into a store
/// that keeps them would leave it, and consistent.
#[test]
fn an_import_adding_many_gestures_to_a_store_builds_its_indexes_again() {
    use balans_store::import::{Limits, Options, Source, import};
    let dir = tempfile::tempdir().unwrap();
    let indexes = |path: &std::path::Path| -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' \
                 AND name IN ('gestures_id', 'gestures_at', 'gestures_giver', 'gestures_receiver')",
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
    };
    let parties = "key,kind,name\nann,person,Ann\nbob,person,Bob\ncy,person,Cy\ndo,person,Do\n";
    let names = ["ann", "bob", "cy", "do"];
    // Gestures `from..to` between changing pairs, ids in no order.
    // Gesture `n`: its id and its row (without the reversal's column).
    let row = |n: usize| -> (String, String) {
        let (giver, receiver) = (names[n % 4], names[(n / 4 + n + 1) % 4]);
        let receiver = if receiver == giver {
            names[(n + 1) % 4]
        } else {
            receiver
        };
        let id = format!("x{:05}", (n * 7919) % 100_000);
        let line = format!(
            "{id},2024-{:02}-{:02},{giver},{receiver},thanks",
            1 + n % 12,
            1 + n % 28
        );
        (id, line)
    };
    // Gestures `from..to`, ids in no order; `last` ends the file.
    let gestures = |from: usize, to: usize, last: &str| -> String {
        let mut file = String::from("id,at,giver,receiver,kind,reverses\n");
        for n in from..to {
            file.push_str(&format!("{},\n", row(n).1));
        }
        file.push_str(last);
        file
    };
    // After the indexes are dropped: gesture 5 again, as stored, and a
    // reversal of gesture 7, both stored before the import.
    let (seventh, seventh_row) = row(7);
    let fields: Vec<&str> = seventh_row.split(',').collect();
    let again_and_reversal = format!(
        "{},\nr7,2024-12-30,{},{},thanks,{seventh}\n",
        row(5).1,
        fields[2],
        fields[3]
    );
    let changed = format!("{},help,\n", row(6).1.trim_end_matches(",thanks"));
    let small = Options {
        limits: Limits {
            batch_rows: 10,
            ..Limits::default()
        },
        ..Options::default()
    };
    // Every row of the gestures and of the sums, in order.
    let holds = |path: &std::path::Path| -> Vec<String> {
        let connection = Connection::open(path).unwrap();
        let mut rows = Vec::new();
        for sql in [
            "SELECT seq, id, at_ms, giver, receiver, giver_org, receiver_org, kind, amount_minor FROM gestures ORDER BY seq",
            "SELECT * FROM balances ORDER BY level, low, high, dimension",
            "SELECT * FROM months ORDER BY organization, month",
            "SELECT * FROM party_totals ORDER BY level, party, dimension",
        ] {
            let mut statement = connection.prepare(sql).unwrap();
            let columns = statement.column_count();
            let mut found = statement.query([]).unwrap();
            while let Some(row) = found.next().unwrap() {
                let values: Vec<String> = (0..columns)
                    .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                    .collect();
                rows.push(values.join(","));
            }
        }
        rows
    };
    // Imports `files`, their sizes told or not.
    let import_told = |store: &mut SqliteStore, files: Vec<(&str, String)>, told: bool| {
        let sources = files
            .into_iter()
            .map(|(name, text)| {
                let bytes = text.len() as u64;
                let reader = std::io::Cursor::new(text.into_bytes());
                match told {
                    true => Source::sized(name, reader, bytes),
                    false => Source::new(name, reader),
                }
            })
            .collect();
        import(store, sources, small, &|_| {})
    };
    let run = |store: &mut SqliteStore, files| import_told(store, files, false);
    let run_sized = |store: &mut SqliteStore, files| import_told(store, files, true);
    let open = |name: &str| {
        let mut store = SqliteStore::open(&dir.path().join(name), true).unwrap();
        store.set_many_added_min(20);
        store
    };
    // The parties and 80 gestures, into an empty store (which drops the
    // indexes anyway).
    let first = |store: &mut SqliteStore| {
        run(
            store,
            vec![
                ("parties.csv", parties.to_string()),
                ("g.csv", gestures(0, 80, "")),
            ],
        )
        .unwrap();
    };
    // The store that drops them: 80 gestures first (into an empty store,
    // which drops them anyway), then 15 (too few), then 40 (a quarter of 95
    // is added after three batches) with a gesture stored before
    // changed at the end, and again with it as stored and a reversal of
    // another, then those again, then 40 more with a bad last row.
    let mut store = open("many.db");
    first(&mut store);
    assert_eq!(store.gesture_indexes_built(), 1, "the first import's");
    run(&mut store, vec![("g.csv", gestures(80, 95, ""))]).unwrap();
    assert_eq!(store.gesture_indexes_built(), 1, "15 added: kept");
    // Gesture 6 again, changed, after the drop: refused at its line.
    let error = run(&mut store, vec![("g.csv", gestures(95, 135, &changed))]).unwrap_err();
    assert!(format!("{error:?}").contains(&row(6).0), "{error:?}");
    assert_eq!(store.gesture_indexes_built(), 1, "rolled back, not built");
    assert_eq!(indexes(&dir.path().join("many.db")), 4);
    run(
        &mut store,
        vec![("g.csv", gestures(95, 135, &again_and_reversal))],
    )
    .unwrap();
    assert_eq!(
        store.gesture_indexes_built(),
        2,
        "40 added: dropped and built"
    );
    assert_eq!(store.dropped_after(), Some(30), "once a quarter was added");
    assert_eq!(indexes(&dir.path().join("many.db")), 4);
    run(
        &mut store,
        vec![("g.csv", gestures(95, 135, &again_and_reversal))],
    )
    .unwrap();
    assert_eq!(store.gesture_indexes_built(), 2, "none added: kept");
    // Told its size, a file of many drops them after its first batch, if
    // that was mostly new: not a file imported again.
    run_sized(
        &mut store,
        vec![("g.csv", gestures(95, 135, &again_and_reversal))],
    )
    .unwrap();
    assert_eq!(
        store.gesture_indexes_built(),
        2,
        "none added, its size told"
    );
    run_sized(&mut store, vec![("g.csv", gestures(135, 160, ""))]).unwrap();
    assert_eq!(store.gesture_indexes_built(), 3, "25 added, its size told");
    assert_eq!(store.dropped_after(), Some(10), "after the first batch");
    let before = holds(&dir.path().join("many.db"));
    let bad_last = "y00001,2024-01-01,ann,nobody,thanks,\n";
    assert!(run(&mut store, vec![("g.csv", gestures(160, 200, bad_last))]).is_err());
    assert_eq!(
        indexes(&dir.path().join("many.db")),
        4,
        "the failed import's rollback"
    );
    // The same files into a store that keeps them throughout.
    let mut kept = open("kept.db");
    kept.set_many_added_min(u64::MAX);
    first(&mut kept);
    run(&mut kept, vec![("g.csv", gestures(80, 95, ""))]).unwrap();
    for _ in 0..2 {
        run(
            &mut kept,
            vec![("g.csv", gestures(95, 135, &again_and_reversal))],
        )
        .unwrap();
    }
    run_sized(&mut kept, vec![("g.csv", gestures(135, 160, ""))]).unwrap();
    assert_eq!(kept.gesture_indexes_built(), 1);
    assert_eq!(
        before,
        holds(&dir.path().join("many.db")),
        "the failed import"
    );
    assert_eq!(before, holds(&dir.path().join("kept.db")));
    let checked = balans_store::ledger::check(&mut store).unwrap();
    assert!(checked.is_consistent(), "{checked:?}");
    assert_eq!(
        balans_store::store::GestureStore::gesture_count(&mut store).unwrap(),
        161,
        "160 and the reversal"
    );
}
