//! Credits that belong to people (`docs/credits.md`): live while both people of a
//! pair are members of their organizations, dormant once one has left, read now
//! or as of a past moment.

use balans_core::Zone;
use balans_store::LedgerError;
use balans_store::ledger::{self, CreditsView};
use balans_tests::Backend;

const CLI: ledger::Decider<'static> = ledger::Decider::CommandLine;

use crate::support::*;

const PARTIES: &str = "key,kind,name\nus,organization,Bosman\nhenk,person,Henk\nkees,person,Kees\n\
hotel,organization,Hotel\ngerrit,person,Gerrit\nsander,person,Sander\nsolo,person,Solo\n";

/// Gerrit leaves the hotel on 1 March 2025 and Sander joins it that day.
const MEMBERSHIPS: &str = "person,organization,role,from,until\nhenk,us,employee,2020-01-01,\n\
kees,us,employee,2020-01-01,\ngerrit,hotel,contact,2020-01-01,2025-03-01\nsander,hotel,contact,2025-03-01,\n";

const GESTURES: &str = "id,at,giver,receiver,kind,amount\n\
c1,2024-01-10,henk,gerrit,help,4\n\
c2,2024-02-10,gerrit,henk,thanks,1\n\
c3,2024-03-01,kees,gerrit,help,2\n\
c4,2024-04-01,hotel,us,pay,100.00\n\
c5,2025-04-01,henk,sander,help,1\n\
c6,2025-05-01,henk,solo,help,3\n";

/// A fresh store with the parties, memberships and gestures above (a helper,
/// not a test: its type parameter is not named `B`).
fn store<T: Backend>() -> (T::Store, Box<dyn std::any::Any>) {
    let (mut store, guard) = T::fresh();
    import_texts(
        &mut store,
        &[
            ("parties.csv", PARTIES),
            ("memberships.csv", MEMBERSHIPS),
            ("gestures.csv", GESTURES),
        ],
    )
    .unwrap();
    (store, guard)
}

fn at(text: &str) -> balans_core::Moment {
    Zone::named("Europe/Amsterdam")
        .unwrap()
        .parse(text)
        .unwrap()
}

fn hotel<S: balans_store::Store>(store: &mut S, as_of: Option<&str>) -> CreditsView {
    let mut views = ledger::credits(store, "us", Some("hotel"), as_of.map(at)).unwrap();
    assert_eq!(views.len(), 1);
    views.remove(0)
}

/// (a side gave, b side gave) of a figure's credit, as text.
fn credit(figure: &ledger::BothView) -> (String, String) {
    (
        figure.credit.a_to_b.to_string(),
        figure.credit.b_to_a.to_string(),
    )
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

fn key_persons(view: &CreditsView) -> Vec<(String, &'static str, String)> {
    view.key_persons
        .iter()
        .map(|k| (k.party.key.to_string(), k.side, k.share.clone()))
        .collect()
}

/// Before Gerrit leaves, everything Henk and Kees built with him is live, and
/// Henk carries most of it on our side; after, it is dormant, and the pair of
/// organizations themselves (a payment) stays live. Historical = live + dormant
/// at every moment, and historical is the organization-level balance.
pub fn credits_are_live_until_a_person_leaves_and_dormant_after<B: Backend>() {
    let (mut store, _guard) = store::<B>();

    let before = hotel(&mut store, Some("2025-02-01"));
    assert_eq!(credit(&before.historical), pair("6.00", "1.00"));
    assert_eq!(credit(&before.live), pair("6.00", "1.00"));
    assert_eq!(credit(&before.dormant), pair("0.00", "0.00"));
    assert_eq!(before.historical.money.b_to_a.to_string(), "100.00");
    assert_eq!(
        key_persons(&before),
        [
            ("gerrit".to_string(), "b", "1.0000".to_string()),
            ("henk".to_string(), "a", "0.7142".to_string()),
        ]
    );

    // The day he left: gone at midnight, so dormant from then on.
    let after = hotel(&mut store, Some("2025-03-01"));
    assert_eq!(credit(&after.historical), pair("6.00", "1.00"));
    assert_eq!(credit(&after.live), pair("0.00", "0.00"));
    assert_eq!(credit(&after.dormant), pair("6.00", "1.00"));
    assert_eq!(after.live.money.b_to_a.to_string(), "100.00");
    assert_eq!(after.dormant.money.b_to_a.to_string(), "0.00");
    assert!(after.key_persons.is_empty(), "{:?}", after.key_persons);
    let states: Vec<(String, String, &str)> = after
        .pairs
        .iter()
        .map(|p| (p.a.key.to_string(), p.b.key.to_string(), p.state))
        .collect();
    assert_eq!(
        states,
        [
            ("us".to_string(), "hotel".to_string(), "live"),
            ("henk".to_string(), "gerrit".to_string(), "dormant"),
            ("kees".to_string(), "gerrit".to_string(), "dormant"),
        ]
    );

    // Now: Henk has begun with Sander; the credits with Gerrit stay dormant.
    let now = hotel(&mut store, None);
    assert_eq!(credit(&now.historical), pair("7.00", "1.00"));
    assert_eq!(credit(&now.live), pair("1.00", "0.00"));
    assert_eq!(credit(&now.dormant), pair("6.00", "1.00"));
    assert_eq!(credit(&now.handed_over), pair("0.00", "0.00"));
    assert_eq!(
        key_persons(&now),
        [
            ("henk".to_string(), "a", "1.0000".to_string()),
            ("sander".to_string(), "b", "1.0000".to_string()),
        ]
    );
    let balance = ledger::pair_balance(&mut store, "us", "hotel", None).unwrap();
    assert_eq!(
        (
            balance.credit.a_to_b.to_string(),
            balance.credit.b_to_a.to_string()
        ),
        credit(&now.historical)
    );
    assert_eq!(
        balance.money.b_to_a.to_string(),
        now.historical.money.b_to_a.to_string()
    );
    // Before any gesture, the relationship is there with nothing in it.
    let empty = hotel(&mut store, Some("2023-01-01"));
    assert_eq!(credit(&empty.historical), pair("0.00", "0.00"));
    assert!(empty.pairs.is_empty());
}

/// Without a counterpart, every relationship of the organization, the largest
/// credit volume first; a private customer stands for themselves. Unknown
/// parties and a relationship with itself are refused.
pub fn an_organization_s_credits_list_every_relationship<B: Backend>() {
    let (mut store, _guard) = store::<B>();
    let all = ledger::credits(&mut store, "us", None, None).unwrap();
    let counterparts: Vec<String> = all.iter().map(|v| v.b.key.to_string()).collect();
    assert_eq!(counterparts, ["hotel", "solo"]);
    assert_eq!(credit(&all[1].live), pair("3.00", "0.00"));
    assert_eq!(all[1].pairs.len(), 1);
    assert_eq!(all[1].pairs[0].state, "live");
    // One relationship is read from its side with fewer people: the same figures.
    let solo = ledger::credits(&mut store, "us", Some("solo"), None).unwrap();
    assert_eq!(
        (solo[0].historical, solo[0].live, solo[0].pairs.len()),
        (all[1].historical, all[1].live, 1)
    );
    let seen_from_solo = ledger::credits(&mut store, "solo", Some("us"), None).unwrap();
    assert_eq!(credit(&seen_from_solo[0].historical), pair("0.00", "3.00"));

    // Seen from the hotel, the same figures the other way round.
    let theirs = ledger::credits(&mut store, "hotel", Some("us"), None).unwrap();
    assert_eq!(credit(&theirs[0].historical), pair("1.00", "7.00"));
    assert_eq!(credit(&theirs[0].dormant), pair("1.00", "6.00"));

    assert!(matches!(
        ledger::credits(&mut store, "nobody", None, None),
        Err(LedgerError::UnknownParty(key)) if key == "nobody"
    ));
    assert!(matches!(
        ledger::credits(&mut store, "us", Some("us"), None),
        Err(LedgerError::Invalid(_))
    ));
}

/// A handover moves its share of a dormant pair's credit to live once it is
/// accepted, and only while the successor stays; the historical balance never
/// changes. Refused offers and acceptances write nothing.
pub fn a_handover_counts_once_accepted_and_while_the_successor_stays<B: Backend>() {
    let (mut store, _guard) = store::<B>();
    let now = balans_core::Moment::now();
    let offered = at("2025-05-15");
    let refusals = [
        ("henk", "kees", "sander", Some(100), "b"),
        ("henk", "gerrit", "hotel", Some(100), "to"),
        ("henk", "gerrit", "kees", Some(100), "to"),
        ("henk", "gerrit", "sander", Some(101), "share"),
        ("henk", "nobody", "sander", Some(100), ""),
    ];
    for (a, b, successor, share, field) in refusals {
        match ledger::offer_handover(&mut store, a, b, successor, share, now) {
            Err(LedgerError::Invalid(errors)) => {
                assert_eq!(errors[0].column, field, "{a} {b} {successor}")
            }
            Err(LedgerError::UnknownParty(_)) => assert_eq!(field, ""),
            other => panic!("{a} {b} {successor} {share:?}: {other:?}"),
        }
    }
    assert!(ledger::handovers(&mut store).unwrap().is_empty());

    let half =
        ledger::offer_handover(&mut store, "henk", "gerrit", "sander", Some(50), offered).unwrap();
    assert_eq!(
        (
            half.left.key.as_str(),
            half.other.key.as_str(),
            half.left_unit.key.as_str(),
            half.state
        ),
        ("gerrit", "henk", "hotel", "offered")
    );
    let accepted =
        ledger::accept_handover(&mut store, half.id, at("2025-06-01"), Some("by phone"), CLI)
            .unwrap();
    assert_eq!(accepted.state, "accepted");
    // Seen from Gerrit: he gave 1.00, Henk gave him 4.00; half of each.
    assert_eq!(
        (
            accepted.moved.credit.a_to_b.to_string(),
            accepted.moved.credit.b_to_a.to_string()
        ),
        ("0.50".to_string(), "2.00".to_string())
    );
    assert!(matches!(
        ledger::accept_handover(&mut store, half.id, at("2025-06-02"), None, CLI),
        Err(LedgerError::Invalid(e)) if e[0].column == "id"
    ));
    // Nothing is decided before it was offered.
    let early =
        ledger::offer_handover(&mut store, "kees", "gerrit", "sander", None, offered).unwrap();
    assert!(matches!(
        ledger::accept_handover(&mut store, early.id, at("2025-05-14"), None, CLI),
        Err(LedgerError::Invalid(e)) if e[0].column == "at"
    ));
    ledger::end_handover(
        &mut store,
        early.id,
        balans_core::HandoverState::Withdrawn,
        now,
        None,
        CLI,
    )
    .unwrap();

    let before = hotel(&mut store, Some("2025-05-01"));
    assert_eq!(credit(&before.handed_over), pair("0.00", "0.00"));
    assert_eq!(credit(&before.live), pair("1.00", "0.00"));
    assert_consistent(&mut store);
    let after = hotel(&mut store, Some("2025-07-01"));
    assert_eq!(credit(&after.historical), pair("7.00", "1.00"));
    assert_eq!(credit(&after.handed_over), pair("2.00", "0.50"));
    assert_eq!(credit(&after.live), pair("3.00", "0.50"));
    assert_eq!(credit(&after.dormant), pair("4.00", "0.50"));

    // More than the other half is refused; the other half, declined, and a
    // withdrawn offer move nothing.
    let more =
        ledger::offer_handover(&mut store, "henk", "gerrit", "sander", Some(60), offered).unwrap();
    assert!(matches!(
        ledger::accept_handover(&mut store, more.id, at("2025-06-03"), None, CLI),
        Err(LedgerError::Invalid(e)) if e[0].column == "share"
    ));
    let declined = ledger::end_handover(
        &mut store,
        more.id,
        balans_core::HandoverState::Declined,
        now,
        Some("starts fresh"),
        CLI,
    )
    .unwrap();
    assert_eq!(declined.state, "declined");
    let other = ledger::offer_handover(&mut store, "kees", "gerrit", "sander", None, now).unwrap();
    ledger::end_handover(
        &mut store,
        other.id,
        balans_core::HandoverState::Withdrawn,
        now,
        None,
        CLI,
    )
    .unwrap();
    assert!(ledger::accept_handover(&mut store, other.id, now, None, CLI).is_err());
    let states: Vec<&str> = ledger::handovers(&mut store)
        .unwrap()
        .iter()
        .map(|h| h.state)
        .collect();
    assert_eq!(states, ["accepted", "withdrawn", "declined", "withdrawn"]);
    assert_eq!(
        credit(&hotel(&mut store, Some("2025-07-01")).live),
        pair("3.00", "0.50")
    );

    // Sander leaves at the start of 2026: from then on the handover counts no more.
    import_texts(
        &mut store,
        &[(
            "memberships.csv",
            "person,organization,role,from,until\nsander,hotel,contact,2025-03-01,2026-01-01\n",
        )],
    )
    .unwrap();
    let gone = hotel(&mut store, Some("2026-02-01"));
    assert_eq!(credit(&gone.live), pair("0.00", "0.00"));
    assert_eq!(credit(&gone.handed_over), pair("0.00", "0.00"));
    assert_eq!(credit(&gone.dormant), credit(&gone.historical));
    assert_eq!(
        credit(&hotel(&mut store, Some("2025-07-01")).live),
        pair("3.00", "0.50")
    );
}

/// Export writes the handovers with their states and what they moved; an
/// import into an empty store gives the same historical, live and dormant
/// figures at every moment, and the same file again adds nothing.
pub fn handovers_survive_export_and_import<B: Backend>() {
    let (mut store, _guard) = store::<B>();
    let now = balans_core::Moment::now();
    let offered = at("2025-05-15");
    let half =
        ledger::offer_handover(&mut store, "henk", "gerrit", "sander", Some(50), offered).unwrap();
    ledger::accept_handover(&mut store, half.id, at("2025-06-01"), Some("by phone"), CLI).unwrap();
    let other =
        ledger::offer_handover(&mut store, "kees", "gerrit", "sander", Some(30), now).unwrap();
    ledger::end_handover(
        &mut store,
        other.id,
        balans_core::HandoverState::Declined,
        now,
        None,
        CLI,
    )
    .unwrap();
    ledger::offer_handover(&mut store, "kees", "gerrit", "sander", None, now).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let exported = ledger::export(&mut store, dir.path()).unwrap();
    assert_eq!(exported.handovers, 3);
    let (mut copy, _copy_guard) = B::fresh();
    let files: Vec<(String, String)> = ["kinds", "parties", "memberships", "gestures", "handovers"]
        .iter()
        .map(|name| {
            let file = format!("{name}.csv");
            let text = std::fs::read_to_string(dir.path().join(&file)).unwrap();
            (file, text)
        })
        .collect();
    let named: Vec<(&str, &str)> = files
        .iter()
        .map(|(f, t)| (f.as_str(), t.as_str()))
        .collect();
    let summary = import_texts(&mut copy, &named).unwrap();
    assert_eq!(
        (summary.handovers_added, summary.handovers_already_present),
        (3, 0)
    );

    let shown = |store: &mut B::Store| {
        let handovers: Vec<_> = ledger::handovers(store)
            .unwrap()
            .into_iter()
            .map(|h| {
                (
                    h.left.key.to_string(),
                    h.successor.key.to_string(),
                    h.share,
                    h.state,
                    h.decided_at,
                    h.note,
                    h.moved,
                )
            })
            .collect();
        let figures: Vec<_> = [Some("2025-05-01"), Some("2025-07-01"), None]
            .into_iter()
            .map(|as_of| {
                let v = hotel(store, as_of);
                (v.historical, v.live, v.dormant, v.handed_over)
            })
            .collect();
        format!("{handovers:?}\n{figures:?}")
    };
    assert_eq!(shown(&mut copy), shown(&mut store));
    let again = import_texts(&mut copy, &named).unwrap();
    assert_eq!(
        (again.handovers_added, again.handovers_already_present),
        (0, 3)
    );

    // A stored handover with another state in the file is refused, and nothing is written.
    let changed = files[4].1.replace(",declined,", ",withdrawn,");
    assert_ne!(changed, files[4].1);
    assert!(matches!(
        import_texts(&mut copy, &[("handovers.csv", &changed)]),
        Err(LedgerError::Rejected(_))
    ));
    assert_eq!(shown(&mut copy), shown(&mut store));

    // Bad rows are named each, and a file with any of them writes nothing: an
    // unknown party, an organization as successor, a share above 100, an
    // unknown state, a decision without its moment, an amount that is no amount.
    let header = files[4].1.lines().next().unwrap();
    let bad = format!(
        "{header}\n\
         nobody,us,gerrit,hotel,sander,50,offered,2025-05-15,,,,,,\n\
         henk,us,gerrit,hotel,hotel,50,offered,2025-05-15,,,,,,\n\
         henk,us,gerrit,hotel,sander,150,offered,2025-05-15,,,,,,\n\
         henk,us,gerrit,hotel,sander,50,maybe,2025-05-15,,,,,,\n\
         henk,us,gerrit,hotel,sander,50,accepted,2025-05-15,,,,,,\n\
         henk,us,gerrit,hotel,sander,50,accepted,2025-05-15,2025-06-01,,lots,,,\n\
         henk,us,gerrit,hotel,sander,20,offered,2025-05-16,,,,,,\n"
    );
    match import_texts(&mut copy, &[("handovers.csv", &bad)]) {
        Err(LedgerError::Rejected(rejection)) => {
            let columns: Vec<Option<&str>> = rejection.errors.iter().map(|e| e.column).collect();
            assert_eq!(
                columns,
                [
                    Some("left"),
                    Some("successor"),
                    Some("share"),
                    Some("state"),
                    Some("decided"),
                    Some("credit_given"),
                ],
                "{:?}",
                rejection.errors
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(shown(&mut copy), shown(&mut store));
}

/// The check names a handover whose amounts are not its share of what the pair
/// built by its acceptance, and a pair handed over beyond 100%.
pub fn the_check_names_handovers_that_do_not_add_up<B: Backend>() {
    use balans_store::prelude::*;
    let (mut store, _guard) = store::<B>();
    let offered = at("2025-05-15");
    let first =
        ledger::offer_handover(&mut store, "henk", "gerrit", "sander", Some(60), offered).unwrap();
    let second =
        ledger::offer_handover(&mut store, "henk", "gerrit", "sander", Some(60), offered).unwrap();
    ledger::accept_handover(&mut store, first.id, at("2025-06-01"), None, CLI).unwrap();
    assert_consistent(&mut store);
    // Written past the rules: 60% more, with amounts of its own.
    let wrong = balans_core::Both {
        credit: balans_core::Flows {
            a_to_b: 100,
            b_to_a: 0,
        },
        ..balans_core::Both::default()
    };
    store.begin_write().unwrap();
    assert!(
        store
            .decide_handover(
                second.id,
                balans_core::HandoverState::Accepted,
                at("2025-06-02"),
                None,
                &wrong
            )
            .unwrap()
    );
    store.commit().unwrap();
    let report = ledger::check(&mut store).unwrap();
    assert!(!report.is_consistent());
    assert_eq!(report.handovers.len(), 2, "{:?}", report.handovers);
    assert!(
        report.handovers[0].contains(&format!("handover #{}", second.id)),
        "{:?}",
        report.handovers
    );
    assert!(
        report.handovers[0].contains("moved credit 1.00 / 0.00"),
        "{:?}",
        report.handovers
    );
    assert!(
        report.handovers[1].contains("add up to 120%"),
        "{:?}",
        report.handovers
    );
    assert!(report.differences.is_empty());
}

/// A successor linked to a user accepts or declines alone: not the command
/// line, not another user, not an admin. For a successor who is not a user, a
/// staff user records the decision; a viewer may not.
pub fn only_the_successor_s_own_user_accepts<B: Backend>() {
    use balans_core::UserRole;
    use balans_store::accounts;
    use balans_store::prelude::*;
    let (mut store, _guard) = store::<B>();
    let sander = accounts::add_user(&mut store, "sander@hotel.nl", UserRole::Viewer, None).unwrap();
    let admin = accounts::add_user(&mut store, "root@bosman.nl", UserRole::Admin, None).unwrap();
    let viewer = accounts::add_user(&mut store, "kijk@bosman.nl", UserRole::Viewer, None).unwrap();
    let staff = accounts::add_user(&mut store, "staf@bosman.nl", UserRole::Staff, None).unwrap();
    assert!(matches!(
        accounts::link_user(&mut store, "sander@hotel.nl", Some("hotel")),
        Err(LedgerError::Invalid(_))
    ));
    accounts::link_user(&mut store, "sander@hotel.nl", Some("sander")).unwrap();
    assert!(matches!(
        accounts::link_user(&mut store, "staf@bosman.nl", Some("sander")),
        Err(LedgerError::Invalid(_))
    ));

    let offered = at("2025-05-15");
    let h = ledger::offer_handover(&mut store, "henk", "gerrit", "sander", None, offered).unwrap();
    let when = at("2025-06-01");
    for by in [
        CLI,
        ledger::Decider::User(&admin),
        ledger::Decider::User(&staff),
    ] {
        assert!(
            matches!(
                ledger::accept_handover(&mut store, h.id, when, None, by),
                Err(LedgerError::Forbidden { .. })
            ),
            "{by:?}"
        );
        assert!(matches!(
            ledger::end_handover(
                &mut store,
                h.id,
                balans_core::HandoverState::Declined,
                when,
                None,
                by
            ),
            Err(LedgerError::Forbidden { .. })
        ));
    }
    assert_eq!(ledger::handovers(&mut store).unwrap()[0].state, "offered");
    let accepted =
        ledger::accept_handover(&mut store, h.id, when, None, ledger::Decider::User(&sander))
            .unwrap();
    assert_eq!(accepted.state, "accepted");

    // Kees's credits with Gerrit, to Sander unlinked: staff record, a viewer may not.
    accounts::link_user(&mut store, "sander@hotel.nl", None).unwrap();
    let k = ledger::offer_handover(&mut store, "kees", "gerrit", "sander", None, offered).unwrap();
    assert!(matches!(
        ledger::accept_handover(&mut store, k.id, when, None, ledger::Decider::User(&viewer)),
        Err(LedgerError::Forbidden { .. })
    ));
    assert!(matches!(
        ledger::end_handover(
            &mut store,
            k.id,
            balans_core::HandoverState::Withdrawn,
            when,
            None,
            ledger::Decider::User(&viewer)
        ),
        Err(LedgerError::Forbidden { .. })
    ));
    ledger::accept_handover(
        &mut store,
        k.id,
        when,
        Some("by phone"),
        ledger::Decider::User(&staff),
    )
    .unwrap();
    // Removing a user removes their link.
    accounts::link_user(&mut store, "staf@bosman.nl", Some("kees")).unwrap();
    let kees = ledger::find_party(&mut store, "kees").unwrap().id;
    assert_eq!(store.linked_user(kees).unwrap(), Some(staff.id));
    accounts::remove_user(&mut store, "staf@bosman.nl").unwrap();
    assert_eq!(store.linked_user(kees).unwrap(), None);
}

/// When a membership ends, each relationship whose live credit went dormant by
/// more than the threshold is named in an alert, until a handover of it is
/// accepted or it is dismissed; a threshold that is no amount is refused.
pub fn a_departure_names_the_credits_that_went_dormant<B: Backend>() {
    use balans_store::prelude::*;
    use balans_store::store::setting;
    // Below the threshold unless set: 7.00 is not more than 10.
    let (mut store, _guard) = store::<B>();
    assert!(store.alerts().unwrap().is_empty());
    let (mut store, _guard) = B::fresh();
    ledger::set_setting(&mut store, setting::DORMANT_ALERT, "0").unwrap();
    import_texts(
        &mut store,
        &[
            ("parties.csv", PARTIES),
            ("memberships.csv", MEMBERSHIPS),
            ("gestures.csv", GESTURES),
        ],
    )
    .unwrap();
    let now = balans_core::Moment::now();
    // The import brought Gerrit's departure: 5.00 with Henk, 2.00 with Kees.
    let alerts = ledger::open_alerts(&mut store, now).unwrap();
    let named: Vec<_> = alerts
        .iter()
        .map(|a| {
            (
                a.left.key.to_string(),
                a.left_unit.key.to_string(),
                a.other_unit.key.to_string(),
                a.other.key.to_string(),
                a.others,
                a.volume.to_string(),
            )
        })
        .collect();
    assert_eq!(
        named,
        [(
            "gerrit".to_string(),
            "hotel".to_string(),
            "us".to_string(),
            "henk".to_string(),
            1,
            "7.00".to_string()
        )]
    );
    assert_eq!(alerts[0].left_at, at("2025-03-01"));
    // Importing the same files again names nothing twice.
    import_texts(&mut store, &[("memberships.csv", MEMBERSHIPS)]).unwrap();
    assert_eq!(store.alerts().unwrap().len(), 1);

    // Thresholds that are no amount of zero or more are refused, and kept out.
    for bad in ["-1", "abc", "1.250"] {
        match ledger::set_setting(&mut store, setting::DORMANT_ALERT, bad) {
            Err(LedgerError::Invalid(e)) => assert_eq!(e[0].column, "value", "{bad}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    for bad in ["101", "-5", "half"] {
        assert!(matches!(
            ledger::set_setting(&mut store, setting::KEY_PERSON, bad),
            Err(LedgerError::Invalid(_))
        ));
    }
    assert_eq!(
        store.setting(setting::DORMANT_ALERT).unwrap().as_deref(),
        Some("0")
    );
    ledger::set_setting(&mut store, setting::DORMANT_ALERT, "2").unwrap();

    // Henk leaves on 1 June: 1.00 with Sander (not above 2) and 3.00 with Solo.
    ledger::set_membership(
        &mut store,
        &balans_store::snapshot::MembershipText {
            person: "henk",
            organization: "us",
            role: "employee",
            from: "2020-01-01",
            until: "2025-06-01",
        },
    )
    .unwrap();
    let alerts = ledger::open_alerts(&mut store, now).unwrap();
    let named: Vec<_> = alerts
        .iter()
        .map(|a| {
            (
                a.left.key.to_string(),
                a.other_unit.key.to_string(),
                a.volume.to_string(),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            ("henk".to_string(), "solo".to_string(), "3.00".to_string()),
            ("gerrit".to_string(), "us".to_string(), "7.00".to_string()),
        ]
    );
    // Not before the departure.
    assert_eq!(
        ledger::open_alerts(&mut store, at("2025-05-01"))
            .unwrap()
            .len(),
        1
    );

    // A handover of Gerrit's credits, accepted, ends his alert.
    let handover =
        ledger::offer_handover(&mut store, "kees", "gerrit", "sander", None, now).unwrap();
    assert_eq!(ledger::open_alerts(&mut store, now).unwrap().len(), 2);
    ledger::accept_handover(&mut store, handover.id, now, Some("by phone"), CLI).unwrap();
    let alerts = ledger::open_alerts(&mut store, now).unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].left.key.as_str(), "henk");

    // Dismissed, it is not shown; a second dismissal is refused.
    ledger::dismiss_alert(&mut store, alerts[0].id, now).unwrap();
    assert!(ledger::open_alerts(&mut store, now).unwrap().is_empty());
    assert!(matches!(
        ledger::dismiss_alert(&mut store, alerts[0].id, now),
        Err(LedgerError::NotFound { .. })
    ));
    assert_consistent(&mut store);

    // Export and import carry the alerts with their dismissal, into a store
    // whose own threshold would name none of them.
    let dir = tempfile::tempdir().unwrap();
    let exported = ledger::export(&mut store, dir.path()).unwrap();
    assert_eq!(exported.alerts, 2);
    let names = [
        "kinds",
        "parties",
        "memberships",
        "gestures",
        "handovers",
        "alerts",
    ];
    let files: Vec<(String, String)> = names
        .iter()
        .map(|name| {
            let file = format!("{name}.csv");
            (
                file.clone(),
                std::fs::read_to_string(dir.path().join(&file)).unwrap(),
            )
        })
        .collect();
    let named: Vec<(&str, &str)> = files
        .iter()
        .map(|(f, t)| (f.as_str(), t.as_str()))
        .collect();
    let (mut copy, _copy_guard) = B::fresh();
    let summary = import_texts(&mut copy, &named).unwrap();
    assert_eq!(summary.alerts_added, 2);
    let shown = |store: &mut B::Store| -> Vec<_> {
        store
            .alerts()
            .unwrap()
            .into_iter()
            .map(|a| (a.left, a.left_at, a.volume, a.others, a.dismissed_at))
            .collect()
    };
    assert_eq!(shown(&mut copy).len(), 2);
    assert_eq!(
        ledger::open_alerts(&mut copy, now).unwrap().len(),
        0,
        "the one dismissed stays dismissed, the other is taken over"
    );
    let again = import_texts(&mut copy, &[named[5]]).unwrap();
    assert_eq!((again.alerts_added, again.alerts_already_present), (0, 2));

    // A row with an unknown party, a moment, a volume or a count that cannot
    // be read is named, and nothing of the file is written.
    let header = files[5].1.lines().next().unwrap();
    let bad = format!(
        "{header}\nnobody,us,hotel,2025-06-01,3.00,solo,0,\nhenk,us,hotel,someday,3.00,solo,0,\n\
         henk,us,hotel,2025-06-02,-3.00,solo,0,\nhenk,us,hotel,2025-06-03,3.00,solo,many,\n"
    );
    match import_texts(&mut copy, &[("alerts.csv", &bad)]) {
        Err(LedgerError::Rejected(r)) => {
            let columns: Vec<Option<&str>> = r.errors.iter().map(|e| e.column).collect();
            assert_eq!(
                columns,
                [
                    Some("left"),
                    Some("left_at"),
                    Some("volume"),
                    Some("others")
                ],
                "{:?}",
                r.errors
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(shown(&mut copy).len(), 2);
}

/// Export writes each user's link to the person they are; an import restores
/// it where the user exists, names a row whose user or person is not there,
/// and takes the file only when it may link users (the command line, admins).
pub fn user_links_survive_export_and_import<B: Backend>() {
    use balans_store::accounts;
    use balans_store::import::{self, Options, Source};
    use balans_store::prelude::*;
    let (mut store, _guard) = store::<B>();
    let role = balans_core::UserRole::Staff;
    accounts::add_user(&mut store, "henk@bosman.nl", role, None).unwrap();
    accounts::add_user(&mut store, "kees@bosman.nl", role, None).unwrap();
    accounts::link_user(&mut store, "henk@bosman.nl", Some("henk")).unwrap();
    accounts::link_user(&mut store, "kees@bosman.nl", Some("kees")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let exported = ledger::export(&mut store, dir.path()).unwrap();
    assert_eq!(exported.user_links, 2);
    let links = std::fs::read_to_string(dir.path().join("user_links.csv")).unwrap();
    assert_eq!(
        links,
        "user,party\nhenk@bosman.nl,henk\nkees@bosman.nl,kees\n"
    );

    let import_links = |store: &mut B::Store, text: &str, allowed: bool| {
        let mut files: Vec<(String, String)> = ["parties", "memberships"]
            .iter()
            .map(|name| {
                let file = format!("{name}.csv");
                let text = std::fs::read_to_string(dir.path().join(&file)).unwrap();
                (file, text)
            })
            .collect();
        files.push(("user_links.csv".into(), text.to_string()));
        let sources = files
            .into_iter()
            .map(|(name, text)| Source::new(name, std::io::Cursor::new(text.into_bytes())))
            .collect();
        let options = Options {
            user_links: allowed,
            ..Options::default()
        };
        import::import(store, sources, options, &|_| {})
    };
    let (mut copy, _copy_guard) = B::fresh();
    accounts::add_user(&mut copy, "henk@bosman.nl", role, None).unwrap();
    accounts::add_user(&mut copy, "kees@bosman.nl", role, None).unwrap();
    // Only where it may link users.
    match import_links(&mut copy, &links, false) {
        Err(LedgerError::Rejected(r)) => assert!(
            r.errors[0].message.contains("only an admin imports them"),
            "{:?}",
            r.errors
        ),
        other => panic!("{other:?}"),
    }
    assert!(copy.user_links().unwrap().is_empty());
    assert!(copy.parties().unwrap().is_empty(), "nothing is written");

    let summary = import_links(&mut copy, &links, true).unwrap();
    assert_eq!((summary.links_added, summary.links_already_present), (2, 0));
    let restored = |store: &mut B::Store| {
        let users = store.users().unwrap();
        let mut links: Vec<(String, String)> = store
            .user_links()
            .unwrap()
            .into_iter()
            .map(|(user, party)| {
                let email = users
                    .iter()
                    .find(|u| u.id == user)
                    .unwrap()
                    .email
                    .to_string();
                let key = store
                    .party_by_id(party)
                    .unwrap()
                    .unwrap()
                    .fields
                    .key
                    .to_string();
                (email, key)
            })
            .collect();
        links.sort();
        links
    };
    assert_eq!(restored(&mut copy), restored(&mut store));
    let again = import_links(&mut copy, &links, true).unwrap();
    assert_eq!((again.links_added, again.links_already_present), (0, 2));

    // An unknown user, an unknown party, an organization, a person linked to
    // another user: each row named, none of the file written.
    let bad = "user,party\nnobody@bosman.nl,henk\nhenk@bosman.nl,nobody\nhenk@bosman.nl,hotel\nhenk@bosman.nl,kees\n";
    match import_links(&mut copy, bad, true) {
        Err(LedgerError::Rejected(r)) => {
            let columns: Vec<Option<&str>> = r.errors.iter().map(|e| e.column).collect();
            assert_eq!(
                columns,
                [Some("user"), Some("party"), Some("party"), Some("party")],
                "{:?}",
                r.errors
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(restored(&mut copy), restored(&mut store));
}

/// An organization standing for itself in a pair counts in the live volume but
/// is never a key person: here our organization gave Sander most of the credit
/// itself, and only Sander, on his side, carries the relationship.
pub fn an_organization_is_never_a_key_person<B: Backend>() {
    let (mut store, _guard) = store::<B>();
    import_texts(
        &mut store,
        &[(
            "gestures.csv",
            "id,at,giver,receiver,kind,amount\nk1,2025-06-01,us,sander,help,5\n",
        )],
    )
    .unwrap();
    let view = hotel(&mut store, Some("2025-07-01"));
    // Live: us with Sander 5.00, Henk with Sander 1.00 (c5).
    assert_eq!(credit(&view.live), pair("6.00", "0.00"));
    assert_eq!(
        key_persons(&view),
        [("sander".to_string(), "b", "1.0000".to_string())]
    );
}

/// The `limit` largest relationships are the first `limit` of the whole list,
/// in its order, whatever the limit: ties in credit volume (ordered by key),
/// relationships of money alone (no credit volume), as of a past moment, and
/// with a gesture dated after now; the total counts every relationship.
pub fn the_largest_relationships_are_the_first_of_the_whole_list<B: Backend>() {
    let (mut store, _guard) = store::<B>();
    import_texts(
        &mut store,
        &[
            (
                "parties.csv",
                "key,kind,name\ntie-b,organization,Tie B\ntie-a,organization,Tie A\n\
                 tie-c,organization,Tie C\nshop,organization,Shop\nbank,organization,Bank\n\
                 ann,person,Ann\nbob,person,Bob\ncor,person,Cor\n",
            ),
            // More people of ours than the few largest relationships have
            // between them: those are read one by one, the others at once.
            (
                "memberships.csv",
                "person,organization,role,from,until\nann,us,employee,2020-01-01,\n\
                 bob,us,employee,2020-01-01,\ncor,us,employee,2020-01-01,\n",
            ),
            (
                "gestures.csv",
                "id,at,giver,receiver,kind,amount\nt1,2024-06-01,us,tie-b,help,2\n\
                 t2,2024-06-02,tie-a,us,thanks,2\nt3,2024-06-03,kees,tie-c,help,2\n\
                 t4,2024-06-04,us,shop,pay,50.00\nt5,2024-06-05,bank,us,pay,10.00\n",
            ),
        ],
    )
    .unwrap();
    // The figures without the moment they were read at.
    let figures = |views: &[CreditsView]| -> Vec<String> {
        views
            .iter()
            .map(|v| {
                format!(
                    "{} {} {:?} {:?} {:?} {:?} {:?} {:?}",
                    v.a.key,
                    v.b.key,
                    v.historical,
                    v.live,
                    v.dormant,
                    v.handed_over,
                    v.key_persons,
                    v.pairs
                )
            })
            .collect()
    };
    let compare = |store: &mut B::Store, as_of: Option<&str>| {
        let all = ledger::credits(store, "us", None, as_of.map(at)).unwrap();
        for limit in 0..=all.len() + 1 {
            let (largest, total) =
                ledger::largest_credits(store, "us", as_of.map(at), limit).unwrap();
            assert_eq!(total, all.len(), "{as_of:?} {limit}");
            assert_eq!(
                figures(&largest),
                figures(&all[..limit.min(all.len())]),
                "{as_of:?} {limit}"
            );
        }
        all.iter().map(|v| v.b.key.to_string()).collect::<Vec<_>>()
    };
    assert_eq!(
        compare(&mut store, None),
        ["hotel", "solo", "tie-a", "tie-b", "tie-c", "bank", "shop"]
    );
    assert_eq!(
        compare(&mut store, Some("2024-12-31")),
        ["hotel", "tie-a", "tie-b", "tie-c", "bank", "shop"]
    );
    assert_eq!(compare(&mut store, Some("2024-03-15")), ["hotel"]);
    import_texts(
        &mut store,
        &[(
            "gestures.csv",
            "id,at,giver,receiver,kind,amount\nlater,2099-01-01,henk,tie-b,help,9\n",
        )],
    )
    .unwrap();
    assert_eq!(compare(&mut store, None)[..2], ["hotel", "solo"]);
    assert_eq!(compare(&mut store, Some("2099-02-01"))[0], "tie-b");
}

conformance!(
    the_largest_relationships_are_the_first_of_the_whole_list,
    an_organization_is_never_a_key_person,
    user_links_survive_export_and_import,
    a_departure_names_the_credits_that_went_dormant,
    only_the_successor_s_own_user_accepts,
    the_check_names_handovers_that_do_not_add_up,
    handovers_survive_export_and_import,
    credits_are_live_until_a_person_leaves_and_dormant_after,
    an_organization_s_credits_list_every_relationship,
    a_handover_counts_once_accepted_and_while_the_successor_stays,
);
