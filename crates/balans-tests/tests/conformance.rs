//! The conformance story: what every store must do, run against every backend.
//! Each test is a generic function; `backends!` instantiates it once per backend.

use std::collections::BTreeMap;

use balans_core::{Dimension, GestureId, Level, PairKey, PartyId, Totals};
use balans_store::import::{self, Limits, Options, Source, Summary};
use balans_store::ledger::{self, PairView};
use balans_store::prelude::*;
use balans_store::{GestureText, LedgerError};
use balans_tests::Backend;

fn import_texts<S: Store>(store: &mut S, files: &[(&str, &str)]) -> Result<Summary, LedgerError> {
    import_texts_within(store, files, Limits::default())
}

fn import_texts_within<S: Store>(
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

fn balances<S: Store>(store: &mut S) -> BTreeMap<PairKey, Totals> {
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
fn contents<S: Store>(store: &mut S) -> String {
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

fn assert_consistent<S: Store>(store: &mut S) {
    let report = ledger::check(store).unwrap();
    assert!(
        report.differences.is_empty(),
        "check found differences: {:?}",
        report.differences
    );
}

const PARTIES: &str = "key,kind,name\nus,organization,Wij BV\nann,person,Ann\ncust,organization,Klant BV\nbob,person,Bob\nsolo,person,Solo\n";
const MEMBERSHIPS: &str = "person,organization,role,from,until\nann,us,employee,2020-01-01,\nbob,cust,contact,2020-01-01,\n";

fn setup<S: Store>(store: &mut S) {
    import_texts(
        store,
        &[("parties.csv", PARTIES), ("memberships.csv", MEMBERSHIPS)],
    )
    .unwrap();
}

fn credit(view: &PairView) -> (String, String, i64) {
    (
        view.credit.a_to_b.to_string(),
        view.credit.b_to_a.to_string(),
        view.credit.count,
    )
}

fn money(view: &PairView) -> (String, String, i64) {
    (
        view.money.a_to_b.to_string(),
        view.money.b_to_a.to_string(),
        view.money.count,
    )
}

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

fn give<S: Store>(
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
    assert!(matches!(error, LedgerError::NotFound(_)), "{error}");
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

pub fn a_changed_default_applies_to_new_gestures_only<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    give(&mut store, "s1", "2024-03-01", "us", "bob", "stamp").unwrap();
    let code = balans_core::KindCode::parse("stamp").unwrap();
    let amount = balans_core::Amount::from_minor(75).unwrap();
    ledger::set_kind(&mut store, &code, Some(Some(amount)), None, None).unwrap();
    let after = give(&mut store, "s2", "2024-03-02", "us", "bob", "stamp").unwrap();
    assert_eq!(credit(&after.balance), ("1.25".into(), "0.00".into(), 2));
    // Re-importing the first gesture without an amount is still the same gesture.
    let again = give(&mut store, "s1", "2024-03-01", "us", "bob", "stamp").unwrap();
    assert!(!again.added);
    assert_consistent(&mut store);
}

pub fn export_then_import_gives_identical_balances<B: Backend>() {
    let (mut store, _guard) = B::fresh();
    balans_store::demo::load(&mut store).unwrap();
    ledger::add_kind(
        &mut store,
        balans_core::KindDef {
            code: balans_core::KindCode::parse("coffee").unwrap(),
            dimension: Dimension::Credit,
            default: balans_core::Amount::from_minor(100),
            label_nl: "koffie".into(),
            label_en: "coffee".into(),
        },
    )
    .unwrap();
    give(
        &mut store,
        "c1",
        "2026-11-01T10:15:00",
        "ria",
        "kees",
        "coffee",
    )
    .unwrap();
    ledger::reverse(&mut store, "demo-0001", Some("2026-11-02"), None, None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let summary = ledger::export(&mut store, dir.path()).unwrap();
    assert_eq!(summary.files.len(), 4);

    let (mut copy, _copy_guard) = B::fresh();
    let files: Vec<(String, String)> = summary
        .files
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read_to_string(p).unwrap(),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    import_texts(&mut copy, &refs).unwrap();
    // Every field of every gesture comes back as it went out (on PostgreSQL the
    // import copies the demo's gestures in bulk).
    let again = tempfile::tempdir().unwrap();
    let exported = ledger::export(&mut copy, again.path()).unwrap();
    for (first, second) in summary.files.iter().zip(&exported.files) {
        assert_eq!(
            std::fs::read_to_string(first).unwrap(),
            std::fs::read_to_string(second).unwrap(),
            "{}",
            first.display()
        );
    }
    let key_of = |store: &mut B::Store| -> BTreeMap<(Level, String, String, Dimension), Totals> {
        let parties: BTreeMap<PartyId, String> = store
            .parties()
            .unwrap()
            .into_iter()
            .map(|p| (p.id, p.fields.key.to_string()))
            .collect();
        balances(store)
            .into_iter()
            .map(|(k, t)| {
                (
                    (
                        k.level,
                        parties[&k.low].clone(),
                        parties[&k.high].clone(),
                        k.dimension,
                    ),
                    t,
                )
            })
            .collect()
    };
    let original = key_of(&mut store);
    let copied = key_of(&mut copy);
    assert!(!original.is_empty());
    // Party ids may differ between the stores; compare by key, orienting each pair.
    assert_eq!(original.len(), copied.len());
    for ((level, a, b, dimension), totals) in &original {
        let found = copied
            .get(&(*level, a.clone(), b.clone(), *dimension))
            .copied()
            .or_else(|| {
                copied
                    .get(&(*level, b.clone(), a.clone(), *dimension))
                    .map(|t| Totals {
                        low_to_high: t.high_to_low,
                        high_to_low: t.low_to_high,
                        ..*t
                    })
            });
        assert_eq!(found.as_ref(), Some(totals), "{level} {a} {b} {dimension}");
    }
    assert_eq!(
        store.gesture_count().unwrap(),
        copy.gesture_count().unwrap()
    );
    assert_consistent(&mut copy);
}

pub fn users_tokens_and_setup<B: Backend>() {
    use balans_core::UserRole;
    use balans_store::accounts;
    let (mut store, guard) = B::fresh();
    let setup = accounts::begin_setup(&mut store)
        .unwrap()
        .expect("no users yet: a setup token");
    let error = accounts::finish_setup(
        &mut store,
        "bal_wrong",
        "root@bosman.nl",
        "a long enough password",
    )
    .unwrap_err();
    assert!(error.to_string().contains("not the setup token"), "{error}");
    let admin = accounts::finish_setup(
        &mut store,
        &setup,
        "Root@Bosman.nl",
        "a long enough password",
    )
    .unwrap();
    assert_eq!(
        (admin.email.as_str(), admin.role),
        ("root@bosman.nl", UserRole::Admin)
    );
    assert!(
        accounts::finish_setup(&mut store, &setup, "x@bosman.nl", "a long enough password")
            .is_err(),
        "setup happens once"
    );
    assert!(accounts::begin_setup(&mut store).unwrap().is_none());

    let staff = accounts::add_user(&mut store, "femke@bosman.nl", UserRole::Staff, None).unwrap();
    assert!(matches!(
        accounts::add_user(&mut store, "FEMKE@bosman.nl", UserRole::Viewer, None),
        Err(LedgerError::Conflict(_))
    ));
    assert!(
        !accounts::verify_password(&staff, ""),
        "a user without a password cannot log in"
    );
    let (info, secret) = accounts::create_token(&mut store, "femke@bosman.nl", "till").unwrap();
    assert_eq!(
        accounts::authenticate(&mut store, &secret)
            .unwrap()
            .unwrap()
            .email,
        staff.email
    );
    assert!(
        accounts::authenticate(&mut store, "bal_0000")
            .unwrap()
            .is_none()
    );
    assert!(accounts::authenticate(&mut store, "").unwrap().is_none());
    let listed = store.tokens().unwrap();
    assert_eq!(
        (listed.len(), listed[0].name.as_str(), listed[0].revoked),
        (1, "till", None)
    );
    accounts::revoke_token(&mut store, info.id).unwrap();
    assert!(
        accounts::authenticate(&mut store, &secret)
            .unwrap()
            .is_none(),
        "a revoked token stops at once"
    );
    assert!(matches!(
        accounts::revoke_token(&mut store, info.id),
        Err(LedgerError::NotFound(_))
    ));
    let promoted = accounts::set_role(&mut store, "femke@bosman.nl", UserRole::Admin).unwrap();
    assert_eq!(promoted.role, UserRole::Admin);
    // A token that another connection has checked before: a role changed or the
    // token revoked here applies there at once.
    let (web_shop, secret) =
        accounts::create_token(&mut store, "femke@bosman.nl", "web shop").unwrap();
    let mut reader = B::again(guard.as_ref());
    let role = |reader: &mut B::Store| {
        accounts::authenticate(reader, &secret)
            .unwrap()
            .map(|user| user.role)
    };
    assert_eq!(role(&mut reader), Some(UserRole::Admin));
    assert_eq!(role(&mut reader), Some(UserRole::Admin));
    accounts::set_role(&mut store, "femke@bosman.nl", UserRole::Viewer).unwrap();
    assert_eq!(role(&mut reader), Some(UserRole::Viewer));
    accounts::revoke_token(&mut store, web_shop.id).unwrap();
    assert_eq!(role(&mut reader), None);
    assert!(matches!(
        accounts::create_token(&mut store, "nobody@bosman.nl", "x"),
        Err(LedgerError::NotFound(_))
    ));
}

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

/// What the server keeps besides the ledger: responses by idempotency key and
/// uploaded files, each per user and forgotten when old; and the parties found by
/// a search, counted and read by id.
pub fn responses_uploads_and_party_searches<B: Backend>() {
    use balans_core::{Email, Moment, UserRole};
    use balans_store::store::SavedResponse;
    let (mut store, _guard) = B::fresh();
    setup(&mut store);
    let at = Moment::from_millis;
    store.begin_write().unwrap();
    let ann = store
        .insert_user(&Email::parse("ann@wij.nl").unwrap(), UserRole::Staff, None)
        .unwrap();
    let bob = store
        .insert_user(
            &Email::parse("bob@klant.nl").unwrap(),
            UserRole::Viewer,
            None,
        )
        .unwrap();
    let response = |status: u16, body: &str| SavedResponse {
        fingerprint: [status as u8; 32],
        status,
        body: body.as_bytes().to_vec(),
    };
    store
        .save_idempotent_response(ann, "k1", &response(201, "first"), at(1_000), at(0))
        .unwrap();
    store
        .save_idempotent_response(bob, "k1", &response(409, "bob's"), at(1_500), at(0))
        .unwrap();
    let old = store
        .insert_upload(ann, "oud.csv", b"a,b\n", at(1_000), at(0))
        .unwrap();
    let kept = store
        .insert_upload(ann, "klanten.csv", b"key\nx\n", at(1_500), at(0))
        .unwrap();
    store.commit().unwrap();
    // Ann's and Bob's responses for key k1, and Ann's for k2.
    let saved = |store: &mut B::Store| {
        [(ann, "k1"), (bob, "k1"), (ann, "k2")]
            .map(|(user, key)| store.idempotent_response(user, key).unwrap())
    };
    assert_eq!(
        saved(&mut store),
        [
            Some(response(201, "first")),
            Some(response(409, "bob's")),
            None
        ]
    );
    assert_eq!(
        store.upload(kept, ann).unwrap(),
        Some(("klanten.csv".to_string(), b"key\nx\n".to_vec()))
    );
    assert_eq!(
        store.upload(kept, bob).unwrap(),
        None,
        "another user's upload"
    );

    // Saving later forgets what was saved before the given moment.
    store.begin_write().unwrap();
    store
        .save_idempotent_response(ann, "k2", &response(200, "second"), at(5_000), at(1_200))
        .unwrap();
    let newest = store
        .insert_upload(bob, "b.csv", b"", at(5_000), at(1_200))
        .unwrap();
    store.delete_upload(kept).unwrap();
    store.commit().unwrap();
    assert_eq!(
        saved(&mut store),
        [
            None,
            Some(response(409, "bob's")),
            Some(response(200, "second"))
        ]
    );
    assert_eq!(store.upload(old, ann).unwrap(), None, "forgotten");
    assert_eq!(store.upload(kept, ann).unwrap(), None, "deleted");
    assert_eq!(
        store.upload(newest, bob).unwrap(),
        Some(("b.csv".to_string(), Vec::new()))
    );

    let keys = |parties: Vec<balans_core::Party>| -> Vec<String> {
        parties.iter().map(|p| p.fields.key.to_string()).collect()
    };
    assert_eq!(store.party_count().unwrap(), 5);
    assert_eq!(
        keys(store.find_parties(None, None, 10).unwrap()),
        ["ann", "bob", "cust", "solo", "us"]
    );
    assert_eq!(
        keys(store.find_parties(Some("bv"), None, 10).unwrap()),
        ["cust", "us"]
    );
    assert_eq!(
        keys(store.find_parties(Some("BV"), Some("cust"), 10).unwrap()),
        ["us"]
    );
    assert_eq!(
        keys(store.find_parties(Some("o"), None, 2).unwrap()),
        ["bob", "solo"]
    );
    let ann_party = store.parties_by_keys(&["ann"]).unwrap()[0].id;
    let found = store
        .parties_by_ids(&[ann_party, balans_core::PartyId(999_999)])
        .unwrap();
    assert_eq!(keys(found), ["ann"]);
}

/// A gestures file of `rows` ordinary gestures `d0`, `d1`, … from ann to bob, with
/// `extra` lines put in before the row of each given number: long enough for
/// several of the import's batches. These ids do not sort in the file's order
/// (`d10` before `d9`); see [`long_gestures_file_in_order`].
fn long_gestures_file(rows: usize, extra: &[(usize, &str)]) -> String {
    gestures_file_of(rows, extra, |i| format!("d{i}"))
}

/// As [`long_gestures_file`], with ids `d00000`, `d00001`, … that sort in the
/// file's order, as a numbered export's do.
fn long_gestures_file_in_order(rows: usize, extra: &[(usize, &str)]) -> String {
    gestures_file_of(rows, extra, |i| format!("d{i:05}"))
}

fn gestures_file_of(rows: usize, extra: &[(usize, &str)], id: impl Fn(usize) -> String) -> String {
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
fn assert_stored_in_order<S: Store>(store: &mut S, files: &[&str]) {
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

/// `rows` gestures with ids in order (`{prefix}00000` on) between the setup's
/// people and organizations, in both dimensions, over two years of months.
fn varied_gestures_file(prefix: &str, rows: usize) -> String {
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

/// A long import hands its sums to the store in parts, whenever the pairs summed
/// in memory reach their limit, and a first import may be loading its gestures
/// in bulk meanwhile. Small limits take a few thousand gestures down that path
/// (a batch of a few hundred rows, sums handed back after every batch): the
/// store ends exactly as after the same files imported in one go, for a first
/// import and for a later one.
pub fn sums_written_in_parts_lose_nothing<B: Backend>() {
    let small = Limits {
        batch_rows: 256,
        deferred_batches: 2,
        pending_pairs: 1,
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

    // Limits of zero: batches of one row, sums handed back after each.
    let zero = Limits {
        batch_rows: 0,
        deferred_batches: 0,
        pending_pairs: 0,
    };
    let first = varied_gestures_file("v", 150);
    let later = varied_gestures_file("w", 50);
    let (_, _whole_guard, whole) = import_within(Limits::default(), &first, &later);
    assert_eq!(import_within(zero, &first, &later).2, whole);
}

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
    assert_eq!(migrated.len(), 14, "{migrated:?}");
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

mod model;

macro_rules! backends {
    ($($backend:ident),*) => {
        $(
            #[allow(non_snake_case)]
            mod $backend {
                use super::*;
                use balans_tests::$backend as B;
                #[test] fn balances_at_person_and_organization_level() { if B::available() { super::balances_at_person_and_organization_level::<B>() } }
                #[test] fn importing_the_same_file_twice_adds_nothing() { if B::available() { super::importing_the_same_file_twice_adds_nothing::<B>() } }
                #[test] fn the_same_id_with_other_content_is_refused_naming_both() { if B::available() { super::the_same_id_with_other_content_is_refused_naming_both::<B>() } }
                #[test] fn every_error_names_file_line_and_column_and_nothing_is_written() { if B::available() { super::every_error_names_file_line_and_column_and_nothing_is_written::<B>() } }
                #[test] fn only_the_first_hundred_errors_are_listed() { if B::available() { super::only_the_first_hundred_errors_are_listed::<B>() } }
                #[test] fn a_dry_run_validates_and_writes_nothing() { if B::available() { super::a_dry_run_validates_and_writes_nothing::<B>() } }
                #[test] fn a_reversal_cancels_once() { if B::available() { super::a_reversal_cancels_once::<B>() } }
                #[test] fn a_reversal_counts_where_its_gesture_counted() { if B::available() { super::a_reversal_counts_where_its_gesture_counted::<B>() } }
                #[test] fn a_membership_change_moves_stored_gestures() { if B::available() { super::a_membership_change_moves_stored_gestures::<B>() } }
                #[test] fn several_memberships_need_the_organization_named() { if B::available() { super::several_memberships_need_the_organization_named::<B>() } }
                #[test] fn a_changed_default_applies_to_new_gestures_only() { if B::available() { super::a_changed_default_applies_to_new_gestures_only::<B>() } }
                #[test] fn export_then_import_gives_identical_balances() { if B::available() { super::export_then_import_gives_identical_balances::<B>() } }
                #[test] fn users_tokens_and_setup() { if B::available() { super::users_tokens_and_setup::<B>() } }
                #[test] fn nested_writes_fail_alone() { if B::available() { super::nested_writes_fail_alone::<B>() } }
                #[test] fn a_group_of_writes_keeps_exactly_what_its_writes_did() { if B::available() { super::a_group_of_writes_keeps_exactly_what_its_writes_did::<B>() } }
                #[test] fn a_long_read_sees_one_moment() { if B::available() { super::a_long_read_sees_one_moment::<B>() } }
                #[test] fn monthly_credit_follows_gestures_memberships_and_time_zone() { if B::available() { super::monthly_credit_follows_gestures_memberships_and_time_zone::<B>() } }
                #[test] fn an_id_twice_in_one_large_file_counts_once() { if B::available() { super::an_id_twice_in_one_large_file_counts_once::<B>() } }
                #[test] fn responses_uploads_and_party_searches() { if B::available() { super::responses_uploads_and_party_searches::<B>() } }
                #[test] fn gestures_are_listed_by_every_filter() { if B::available() { super::gestures_are_listed_by_every_filter::<B>() } }
                #[test] fn a_file_that_repeats_part_of_another_adds_the_rest() { if B::available() { super::a_file_that_repeats_part_of_another_adds_the_rest::<B>() } }
                #[test] fn long_files_of_parties_and_memberships() { if B::available() { super::long_files_of_parties_and_memberships::<B>() } }
                #[test] fn a_large_first_import_keeps_every_rule() { if B::available() { super::a_large_first_import_keeps_every_rule::<B>() } }
                #[test] fn sums_written_in_parts_lose_nothing() { if B::available() { super::sums_written_in_parts_lose_nothing::<B>() } }
                #[test] fn a_read_after_a_check_sees_what_changed_before_it() { if B::available() { super::a_read_after_a_check_sees_what_changed_before_it::<B>() } }
                #[test] fn another_connection_s_changes_are_seen() { if B::available() { super::another_connection_s_changes_are_seen::<B>() } }
                proptest::proptest! {
                    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]
                    #[test]
                    fn balances_equal_the_sum_of_gestures(ops in model::operations()) {
                        if B::available() {
                            model::run::<B>(ops);
                        }
                    }
                }
            }
        )*
    };
}

backends!(Sqlite, Postgres);
