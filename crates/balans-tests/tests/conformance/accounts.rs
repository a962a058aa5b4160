//! Accounts: users, tokens, sessions and the setup token.

use balans_store::LedgerError;
use balans_store::prelude::*;
use balans_tests::Backend;

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

conformance!(users_tokens_and_setup);
