//! The directory: parties and memberships, and what a membership change does to
//! stored gestures.

use balans_core::Level;

use balans_store::ledger::{self};
use balans_store::prelude::*;
use balans_store::{GestureText, LedgerError};
use balans_tests::Backend;

use crate::support::*;

pub fn a_membership_change_moves_stored_gestures<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    import_texts(&mut store, &[("parties.csv", PARTIES)]).unwrap();
    give(&mut store, "h1", "2024-03-01", "ann", "bob", "help").unwrap();
    let before = ledger::pair_balance(&mut store, "ann", "bob", Some(Level::Organization)).unwrap();
    assert_eq!(
        before.credit.count, 1,
        "without memberships each stands for themselves"
    );
    import_texts(&mut store, &[("memberships.csv", MEMBERSHIPS)]).unwrap();
    let org = ledger::pair_balance(&mut store, "us", "cust", None).unwrap();
    assert_eq!(credit(&org), ("3.00".into(), "0.00".into(), 1));
    let gone = ledger::pair_balance(&mut store, "ann", "bob", Some(Level::Organization)).unwrap();
    assert_eq!(gone.credit.count, 0);
    // Ending Ann's membership before the gesture moves it back to her.
    import_texts(
        &mut store,
        &[(
            "m.csv",
            "person,organization,role,from,until\nann,us,employee,2020-01-01,2024-02-01\n",
        )],
    )
    .unwrap();
    let ann = ledger::pair_balance(&mut store, "ann", "cust", Some(Level::Organization)).unwrap();
    assert_eq!(credit(&ann), ("3.00".into(), "0.00".into(), 1));
    assert_consistent(&mut store);
}

/// Ending a membership moves only the person's gestures after the end: from
/// the organization's pair to the person's own, with the first and last of
/// both pairs, the months and each party's sums as a rebuild would have them;
/// a reversal dated before its original moves with it. Taking the end away
/// moves them back.
pub fn ending_a_membership_moves_only_the_gestures_after_it<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    for (id, at) in [
        ("h1", "2024-03-01"),
        ("h2", "2024-05-01"),
        ("h3", "2024-07-01"),
    ] {
        give(&mut store, id, at, "ann", "bob", "help").unwrap();
    }
    ledger::reverse(&mut store, "h3", Some("2024-02-01"), None, Some("r3")).unwrap();
    let zone = balans_store::store::zone_of(&mut store).unwrap();
    let id = |store: &mut B::Store, key: &str| {
        store
            .party_by_key(&balans_core::PartyKey::parse(key).unwrap())
            .unwrap()
            .unwrap()
            .id
    };
    let (us, ann, cust) = (
        id(&mut store, "us"),
        id(&mut store, "ann"),
        id(&mut store, "cust"),
    );
    let credit_of = |store: &mut B::Store, a, b| {
        store
            .pair(Level::Organization, a, b)
            .unwrap()
            .into_iter()
            .find(|(k, _)| k.dimension == balans_core::Dimension::Credit)
            .map(|(_, t)| {
                let (first, last) = (t.first.display_in(&zone), t.last.display_in(&zone));
                (t.low_to_high + t.high_to_low, t.count, first, last)
            })
    };
    let end = |store: &mut B::Store, until: &str| {
        ledger::set_membership(
            store,
            &balans_store::snapshot::MembershipText {
                person: "ann",
                organization: "us",
                role: "employee",
                from: "2020-01-01",
                until,
            },
        )
        .unwrap();
    };
    end(&mut store, "2024-04-01");
    assert_eq!(
        credit_of(&mut store, us, cust),
        Some((300, 1, "2024-03-01".into(), "2024-03-01".into())),
        "only the gesture before the end stays with the organization"
    );
    assert_eq!(
        credit_of(&mut store, ann, cust),
        Some((300, 3, "2024-02-01".into(), "2024-07-01".into())),
        "the two after it and the reversal of one go with Ann"
    );
    assert_consistent(&mut store);
    end(&mut store, "");
    assert_eq!(
        credit_of(&mut store, us, cust),
        Some((600, 4, "2024-02-01".into(), "2024-07-01".into()))
    );
    assert_eq!(credit_of(&mut store, ann, cust), None);
    assert_consistent(&mut store);
}

pub fn several_memberships_need_the_organization_named<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    import_texts(
        &mut store,
        &[
            ("p.csv", "key,kind,name\nclub,organization,Club\n"),
            (
                "m.csv",
                "person,organization,role,from,until\nbob,club,contact,2020-01-01,\n",
            ),
        ],
    )
    .unwrap();
    let error = give(&mut store, "", "2024-03-01", "ann", "bob", "thanks").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("bob is a member of cust and club"),
        "{error}"
    );
    let named = ledger::give(
        &mut store,
        &GestureText {
            at: "2024-03-01",
            giver: "ann",
            receiver: "bob",
            kind: "thanks",
            receiver_org: "club",
            ..GestureText::default()
        },
    )
    .unwrap();
    assert!(named.added);
    let club = ledger::pair_balance(&mut store, "us", "club", None).unwrap();
    assert_eq!(credit(&club), ("1.00".into(), "0.00".into(), 1));
    // A membership that would make a stored gesture ambiguous is refused, and changes nothing.
    give(&mut store, "solo1", "2024-03-01", "ann", "solo", "thanks").unwrap();
    let before = contents(&mut store);
    let error = import_texts(
        &mut store,
        &[("m2.csv", "person,organization,role,from,until\nsolo,cust,contact,2020-01-01,\nsolo,club,contact,2020-01-01,\n")],
    )
    .unwrap_err();
    assert!(error.to_string().contains("solo1"), "{error}");
    assert_eq!(contents(&mut store), before);
}

/// Parties and memberships go to the store in chunks of thousands: every row of a
/// long file lands with its own details, a changed one is changed, a stored party
/// of the other kind is refused at its own line, and the same files again change
/// nothing.
pub fn long_files_of_parties_and_memberships<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let people = 9_000;
    let mut parties = String::from("key,kind,name,email\n");
    let mut memberships = String::from("person,organization,role,from,until\n");
    for n in 0..people {
        parties.push_str(&format!("p{n:05},person,Person {n},p{n}@example.nl\n"));
        let until = if n % 2 == 0 { "2025-01-01" } else { "" };
        let organization = if n % 3 == 0 { "us" } else { "cust" };
        memberships.push_str(&format!(
            "p{n:05},{organization},employee,2020-01-01,{until}\n"
        ));
    }
    // Bob, stored already, gets a new name.
    parties.push_str("bob,person,Bob Bakker,\n");
    let summary =
        import_texts(&mut store, &[("p.csv", &parties), ("m.csv", &memberships)]).unwrap();
    assert_eq!(summary.parties_added, people);
    assert_eq!(summary.parties_updated, 1);
    assert_eq!(summary.memberships_added, people);
    for n in [0u64, 4_095, 4_096, 4_097, 8_191, 8_192, people - 1] {
        let party = store
            .party_by_key(&balans_core::PartyKey::parse(&format!("p{n:05}")).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(party.fields.name, format!("Person {n}"));
        assert_eq!(
            party.fields.email.as_deref(),
            Some(format!("p{n}@example.nl").as_str())
        );
        let held = store.memberships_of(party.id).unwrap();
        assert_eq!(held.len(), 1);
        let organization = store.party_by_id(held[0].organization).unwrap().unwrap();
        let expected = if n % 3 == 0 { "us" } else { "cust" };
        assert_eq!(organization.fields.key.as_str(), expected, "p{n:05}");
        assert_eq!(held[0].until.is_some(), n % 2 == 0, "p{n:05}");
    }
    let bob = store
        .party_by_key(&balans_core::PartyKey::parse("bob").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(bob.fields.name, "Bob Bakker");

    let again = import_texts(&mut store, &[("p.csv", &parties), ("m.csv", &memberships)]).unwrap();
    assert_eq!(
        (
            again.parties_added,
            again.parties_updated,
            again.memberships_added,
            again.memberships_updated
        ),
        (0, 0, 0, 0)
    );

    // A party stored as a person, given as an organization far into a file.
    let before = contents(&mut store);
    let mut wrong = String::from("key,kind,name\n");
    for n in 0..5_000 {
        wrong.push_str(&format!("q{n:05},person,Q {n}\n"));
    }
    wrong.push_str("p00007,organization,Person 7\n");
    let error = import_texts(&mut store, &[("w.csv", &wrong)]).unwrap_err();
    let LedgerError::Rejected(rejection) = error else {
        panic!("expected a rejection, got {error}")
    };
    assert_eq!(rejection.total, 1);
    let message = rejection.errors[0].to_string();
    assert!(
        message.starts_with("w.csv:5002: column 'kind':"),
        "{message}"
    );
    assert_eq!(
        contents(&mut store),
        before,
        "nothing of the file was written"
    );
}

/// The parties an import's snapshot reads one by one are every party, in id
/// order, with the key and kind a whole party has.
pub fn parties_read_one_by_one_are_the_parties_whole<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let whole: Vec<_> = store
        .parties()
        .unwrap()
        .into_iter()
        .map(|p| (p.id, p.fields.key, p.fields.kind))
        .collect();
    let mut one_by_one = Vec::new();
    store
        .for_each_party_key(&mut |id, key, kind| one_by_one.push((id, key, kind)))
        .unwrap();
    assert_eq!(whole.len(), 5, "{whole:?}");
    assert_eq!(one_by_one, whole);
}

/// A key given twice in a parties file, far apart: with the same details it
/// is one party; with other details it is refused at its second line, which
/// names the first, and nothing of the file is written. Gestures find the
/// parties of a long file by their keys, and are refused as ever.
pub fn a_key_twice_in_a_parties_file_is_one_party_or_refused<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let mut parties = String::from("key,kind,name,email\n");
    for n in 0..6_000 {
        parties.push_str(&format!("k{n:05},person,Klant {n},k{n}@example.nl\n"));
    }
    let twice = format!("{parties}k00010,person,Klant 10,k10@example.nl\n");
    let summary = import_texts(&mut store, &[("p.csv", &twice)]).unwrap();
    assert_eq!(summary.parties_added, 6_000);
    let before = contents(&mut store);
    let mut other = String::from("key,kind,name\n");
    for n in 0..5_000 {
        other.push_str(&format!("m{n:05},person,M {n}\n"));
    }
    other.push_str("m00003,person,M drie\n");
    let error = import_texts(&mut store, &[("o.csv", &other)]).unwrap_err();
    let LedgerError::Rejected(rejection) = error else {
        panic!("expected a rejection, got {error}")
    };
    assert_eq!(rejection.total, 1, "{rejection:?}");
    let message = rejection.errors[0].to_string();
    assert!(
        message.starts_with("o.csv:5002: column 'key':"),
        "{message}"
    );
    assert!(
        message.contains("line 5 too, with other details"),
        "{message}"
    );
    assert_eq!(contents(&mut store), before, "nothing is written");

    let gestures = "id,at,giver,receiver,kind\n\
        g1,2024-03-01,k05999,k00000,thanks\n\
        g2,2024-03-01,k04096,k04096,thanks\n";
    let error = import_texts(&mut store, &[("g.csv", gestures)]).unwrap_err();
    let LedgerError::Rejected(rejection) = error else {
        panic!("expected a rejection, got {error}")
    };
    assert_eq!(rejection.total, 1, "{rejection:?}");
    assert!(
        rejection.errors[0].to_string().starts_with("g.csv:3:"),
        "{rejection:?}"
    );
    let fine = "id,at,giver,receiver,kind\ng1,2024-03-01,k05999,k00000,thanks\n";
    assert_eq!(
        import_texts(&mut store, &[("g.csv", fine)])
            .unwrap()
            .gestures_added,
        1
    );
}

conformance!(
    a_key_twice_in_a_parties_file_is_one_party_or_refused,
    a_membership_change_moves_stored_gestures,
    parties_read_one_by_one_are_the_parties_whole,
    ending_a_membership_moves_only_the_gestures_after_it,
    several_memberships_need_the_organization_named,
    long_files_of_parties_and_memberships,
);
