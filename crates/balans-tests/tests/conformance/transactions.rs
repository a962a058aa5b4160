//! Transactions: nested writes, groups of writes, reads that see one moment, and
//! what another connection sees.

use balans_core::{Dimension, Level};

use balans_store::LedgerError;
use balans_store::ledger::{self};
use balans_store::prelude::*;
use balans_tests::Backend;

use crate::support::*;

/// Several writes in one transaction, as a server groups them: each may fail alone.
pub fn nested_writes_fail_alone<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    store.begin_write().unwrap();
    give(&mut store, "n1", "2024-03-01", "ann", "bob", "thanks").unwrap();
    assert!(give(&mut store, "n2", "2024-03-01", "ann", "nobody", "thanks").is_err());
    assert!(
        give(&mut store, "n1", "2024-03-02", "ann", "bob", "help").is_err(),
        "same id, other content"
    );
    give(&mut store, "n3", "2024-03-01", "bob", "ann", "help").unwrap();
    store.commit().unwrap();
    let view = ledger::pair_balance(&mut store, "ann", "bob", None).unwrap();
    assert_eq!(credit(&view), ("1.00".into(), "3.00".into(), 2));
    assert_eq!(store.gesture_count().unwrap(), 2);
    // A rolled-back group leaves nothing of any of its writes.
    store.begin_write().unwrap();
    give(&mut store, "n4", "2024-03-01", "ann", "bob", "thanks").unwrap();
    store.rollback().unwrap();
    assert_eq!(store.gesture_count().unwrap(), 2);
    assert_consistent(&mut store);
}

/// Many writes in one transaction (as the server groups requests): each sees what
/// the writes before it did, one that fails leaves nothing (even after a read that
/// scans the balances), and a rebuilt organization level holds.
pub fn a_group_of_writes_keeps_exactly_what_its_writes_did<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let ann = ledger::find_party(&mut store, "ann").unwrap();
    store.begin_write().unwrap();
    give(&mut store, "g1", "2024-03-01", "ann", "bob", "thanks").unwrap();
    let second = give(&mut store, "g2", "2024-03-05", "ann", "bob", "thanks").unwrap();
    assert_eq!(
        credit(&second.balance),
        ("2.00".into(), "0.00".into(), 2),
        "a write sees the writes before it"
    );
    let failed: Result<(), LedgerError> = balans_store::in_transaction(&mut store, |store| {
        give(store, "g3", "2024-03-06", "bob", "ann", "help")?;
        let counted: u64 = store
            .balances_of(Level::Person, ann.id)?
            .iter()
            .filter(|(key, _)| key.dimension == Dimension::Credit)
            .map(|(_, totals)| totals.count as u64)
            .sum();
        assert_eq!(counted, 3, "a scan inside the write sees all three");
        Err(LedgerError::Conflict("undone on purpose".into()))
    });
    assert!(failed.is_err());
    // Bob moved to another organization before the second gesture: the
    // organization level is rebuilt, and that gesture moves.
    import_texts(
        &mut store,
        &[
            ("p.csv", "key,kind,name\nclub,organization,Club\n"),
            (
                "m.csv",
                "person,organization,role,from,until\nbob,cust,contact,2020-01-01,2024-03-04\nbob,club,contact,2024-03-04,\n",
            ),
        ],
    )
    .unwrap();
    give(&mut store, "g4", "2024-03-15", "ann", "bob", "thanks").unwrap();
    store.commit().unwrap();
    assert_eq!(store.gesture_count().unwrap(), 3);
    let pair = |store: &mut B::Store, a: &str, b: &str| {
        credit(&ledger::pair_balance(store, a, b, None).unwrap())
    };
    assert_eq!(
        pair(&mut store, "ann", "bob"),
        ("3.00".into(), "0.00".into(), 3)
    );
    assert_eq!(
        pair(&mut store, "us", "cust"),
        ("1.00".into(), "0.00".into(), 1)
    );
    assert_eq!(
        pair(&mut store, "us", "club"),
        ("2.00".into(), "0.00".into(), 2)
    );
    assert_consistent(&mut store);
}

/// A read that takes many statements (a check, an export) sees one moment of the
/// store while another connection writes.
pub fn a_long_read_sees_one_moment<B: Backend>() {
    let (mut store, guard) = B::fresh();
    setup(&mut store);
    give(&mut store, "m1", "2024-03-01", "ann", "bob", "thanks").unwrap();
    let mut other = B::again(guard.as_ref());
    store.begin_read().unwrap();
    let gestures_before = store.gesture_count().unwrap();
    give(&mut other, "m2", "2024-03-02", "ann", "bob", "help").unwrap();
    assert_eq!(
        store.gesture_count().unwrap(),
        gestures_before,
        "the write stays out of the read"
    );
    let view = ledger::pair_balance(&mut store, "ann", "bob", None).unwrap();
    assert_eq!(view.credit.count, 1);
    store.end_read().unwrap();
    assert_eq!(store.gesture_count().unwrap(), gestures_before + 1);
    // Inside a write, a read changes nothing.
    store.begin_write().unwrap();
    store.begin_read().unwrap();
    give(&mut store, "m3", "2024-03-03", "ann", "bob", "smile").unwrap();
    store.end_read().unwrap();
    store.commit().unwrap();
    assert_eq!(store.gesture_count().unwrap(), gestures_before + 2);
    assert_consistent(&mut store);
}

/// Parties asked for together, some read before and some not, come as they
/// are now when another connection has changed one read before: by key and
/// by id.
pub fn parties_read_before_beside_new_ones_are_read_anew<B: Backend>() {
    let (mut store, guard) = B::fresh();
    setup(&mut store);
    let names = |parties: Vec<balans_core::Party>| {
        let mut names: Vec<String> = parties.into_iter().map(|p| p.fields.name).collect();
        names.sort();
        names
    };
    let rename = |store: &mut B::Store, name: &str| {
        let text = format!("key,kind,name\nbob,person,{name}\n");
        import_texts(store, &[("p.csv", text.as_str())]).unwrap();
    };
    let mut reader = B::again(guard.as_ref());
    let bob = reader.parties_by_keys(&["bob"]).unwrap();
    assert_eq!(names(bob.clone()), ["Bob"]);
    rename(&mut store, "Bob Jansen");
    let by_keys = reader.parties_by_keys(&["bob", "solo"]).unwrap();
    assert_eq!(names(by_keys), ["Bob Jansen", "Solo"]);
    assert_eq!(reader.parties_by_keys(&["nobody", "bob"]).unwrap().len(), 1);

    let solo = store.parties_by_keys(&["solo"]).unwrap();
    let mut reader = B::again(guard.as_ref());
    assert_eq!(
        names(reader.parties_by_ids(&[bob[0].id]).unwrap()),
        ["Bob Jansen"]
    );
    rename(&mut store, "Bob de Vries");
    let by_ids = reader.parties_by_ids(&[bob[0].id, solo[0].id]).unwrap();
    assert_eq!(names(by_ids), ["Bob de Vries", "Solo"]);

    // A party read before is not trusted after a read of others that saw
    // another connection's change.
    let mut reader = B::again(guard.as_ref());
    assert_eq!(names(reader.parties_by_keys(&["ann"]).unwrap()), ["Ann"]);
    import_texts(
        &mut store,
        &[("p.csv", "key,kind,name\nann,person,Ann de Wit\n")],
    )
    .unwrap();
    assert!(reader.parties_by_keys(&["nobody"]).unwrap().is_empty());
    assert_eq!(
        names(reader.parties_by_keys(&["ann"]).unwrap()),
        ["Ann de Wit"]
    );
}

/// What one connection has read of parties and memberships is not trusted after
/// another connection changes them.
pub fn another_connection_s_changes_are_seen<B: Backend>() {
    let (mut store, guard) = B::fresh();
    setup(&mut store);
    give(&mut store, "c1", "2024-03-01", "ann", "bob", "thanks").unwrap();
    let mut other = B::again(guard.as_ref());
    import_texts(
        &mut other,
        &[
            ("p.csv", "key,kind,name\nbob,person,Bob Jansen\nclub,organization,Club\n"),
            ("m.csv", "person,organization,role,from,until\nbob,cust,contact,2020-01-01,2024-01-01\nbob,club,contact,2024-01-01,\n"),
        ],
    )
    .unwrap();
    let bob = store
        .party_by_key(&balans_core::PartyKey::parse("bob").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(bob.fields.name, "Bob Jansen");
    assert_eq!(store.memberships_of(bob.id).unwrap().len(), 2);
    // A new gesture by this connection counts for Bob's new organization.
    give(&mut store, "c2", "2024-03-02", "ann", "bob", "help").unwrap();
    let club = ledger::pair_balance(&mut store, "us", "club", None).unwrap();
    assert_eq!(
        credit(&club),
        ("4.00".into(), "0.00".into(), 2),
        "both gestures moved with the membership"
    );
    // A kind's default and the time zone that another connection changes apply to
    // this connection's next gesture.
    let thanks = balans_core::KindCode::parse("thanks").unwrap();
    let amount = |minor| Some(Some(balans_core::Amount::from_minor(minor).unwrap()));
    ledger::set_kind(&mut other, &thanks, amount(500), None, None).unwrap();
    ledger::set_setting(&mut other, "timezone", "UTC").unwrap();
    give(&mut store, "c3", "2024-03-31T23:30", "ann", "bob", "thanks").unwrap();
    let stored = |store: &mut B::Store, id: &str| {
        let id = balans_core::GestureId::parse(id).unwrap().unwrap();
        store.gesture(&id).unwrap().unwrap().gesture
    };
    let c3 = stored(&mut store, "c3");
    assert_eq!(c3.amount.minor(), 500);
    let utc = balans_core::Zone::named("UTC").unwrap();
    assert_eq!(c3.at, utc.parse("2024-03-31T23:30").unwrap());
    // A write that is undone leaves nothing behind in what the connection remembers.
    store.begin_write().unwrap();
    import_texts(
        &mut store,
        &[("p.csv", "key,kind,name\nghost,person,Ghost\n")],
    )
    .unwrap();
    ledger::set_kind(&mut store, &thanks, amount(900), None, None).unwrap();
    store.rollback().unwrap();
    give(&mut store, "c4", "2024-04-01", "ann", "bob", "thanks").unwrap();
    assert_eq!(stored(&mut store, "c4").amount.minor(), 500);
    let party = |store: &mut B::Store, key: &str| {
        store
            .party_by_key(&balans_core::PartyKey::parse(key).unwrap())
            .unwrap()
    };
    assert!(party(&mut store, "ghost").is_none());
    // A change made after an undone nested write still reaches a connection that
    // has read the party before.
    assert_eq!(party(&mut other, "bob").unwrap().fields.name, "Bob Jansen");
    store.begin_write().unwrap();
    store.begin_write().unwrap();
    import_texts(
        &mut store,
        &[("p.csv", "key,kind,name\nghost,person,Ghost\n")],
    )
    .unwrap();
    store.rollback().unwrap();
    import_texts(
        &mut store,
        &[("p.csv", "key,kind,name\nbob,person,Bob de Vries\n")],
    )
    .unwrap();
    store.commit().unwrap();
    assert_eq!(
        party(&mut other, "bob").unwrap().fields.name,
        "Bob de Vries"
    );
    assert!(party(&mut other, "ghost").is_none());
    assert_consistent(&mut store);
}

/// A check of a token or a session may bring the catalog's version along for the
/// read that follows it on the same connection; what another connection changed
/// before the check is seen, and the version never serves a later read.
pub fn a_read_after_a_check_sees_what_changed_before_it<B: Backend>() {
    use balans_core::UserRole;
    use balans_store::accounts;
    let (mut store, guard) = B::fresh();
    setup(&mut store);
    let password = "a long enough password";
    accounts::add_user(&mut store, "an@bosman.nl", UserRole::Staff, Some(password)).unwrap();
    let (_, secret) = accounts::create_token(&mut store, "an@bosman.nl", "laptop").unwrap();
    let mut other = B::again(guard.as_ref());
    let bob_key = balans_core::PartyKey::parse("bob").unwrap();
    let bob = |store: &mut B::Store| store.party_by_key(&bob_key).unwrap().unwrap().fields.name;
    let rename = |other: &mut B::Store, name: &str| {
        import_texts(
            other,
            &[("p.csv", &format!("key,kind,name\nbob,person,{name}\n"))],
        )
        .unwrap();
    };
    let check = |store: &mut B::Store| {
        assert!(accounts::authenticate(store, &secret).unwrap().is_some());
    };
    assert_eq!(bob(&mut store), "Bob");

    // Changed before the check: the read after it sees the change.
    rename(&mut other, "Bob Jansen");
    check(&mut store);
    assert_eq!(bob(&mut store), "Bob Jansen");

    // Changed after the read the check served ended: the next read sees it.
    check(&mut store);
    store.end_read().unwrap();
    rename(&mut other, "Bob de Vries");
    assert_eq!(bob(&mut store), "Bob de Vries");

    // Changed after another statement followed the check: seen too.
    check(&mut store);
    store.gesture_count().unwrap();
    rename(&mut other, "Bob Smit");
    assert_eq!(bob(&mut store), "Bob Smit");

    // A session's check, the same.
    let (session, _) = accounts::log_in(&mut store, "an@bosman.nl", password).unwrap();
    rename(&mut other, "Bob Bakker");
    assert!(
        accounts::session_user(&mut store, &session)
            .unwrap()
            .is_some()
    );
    assert_eq!(bob(&mut store), "Bob Bakker");
    store.end_read().unwrap();
}

conformance!(
    nested_writes_fail_alone,
    a_group_of_writes_keeps_exactly_what_its_writes_did,
    a_long_read_sees_one_moment,
    another_connection_s_changes_are_seen,
    parties_read_before_beside_new_ones_are_read_anew,
    a_read_after_a_check_sees_what_changed_before_it,
);
