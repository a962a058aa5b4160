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
        Err(LedgerError::Clash { .. })
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
        Err(LedgerError::NotFound { .. })
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
        Err(LedgerError::NotFound { .. })
    ));
}

/// A user's password is reset (their sessions end) and a user is removed with
/// everything that was theirs; the last admin cannot be removed.
pub fn users_are_given_new_passwords_and_removed<B: Backend>() {
    use balans_core::{Moment, UserRole};
    use balans_store::accounts;
    let (mut store, _guard) = B::fresh();
    accounts::add_user(
        &mut store,
        "baas@bosman.nl",
        UserRole::Admin,
        Some("geheim-een-1"),
    )
    .unwrap();
    let staff = accounts::add_user(
        &mut store,
        "femke@bosman.nl",
        UserRole::Staff,
        Some("geheim-twee-2"),
    )
    .unwrap();
    let (_, token) = accounts::create_token(&mut store, "femke@bosman.nl", "till").unwrap();
    let (session, _) = accounts::log_in(&mut store, "femke@bosman.nl", "geheim-twee-2").unwrap();
    store.begin_write().unwrap();
    let at = Moment::now();
    store
        .save_idempotent_response(
            staff.id,
            "k1",
            &balans_store::store::SavedResponse {
                fingerprint: [7; 32],
                status: 201,
                body: b"{}".to_vec(),
            },
            at,
            Moment::from_millis(0),
        )
        .unwrap();
    let upload = store
        .insert_upload(staff.id, "klanten.csv", at, Moment::from_millis(0))
        .unwrap();
    store.add_upload_part(upload, 0, b"key\n").unwrap();
    store.commit().unwrap();

    // A new password: the old one and the session it opened no longer work.
    accounts::set_password(&mut store, "femke@bosman.nl", Some("nieuw-drie-3")).unwrap();
    assert!(accounts::log_in(&mut store, "femke@bosman.nl", "geheim-twee-2").is_err());
    assert!(
        accounts::session_user(&mut store, &session)
            .unwrap()
            .is_none()
    );
    let (session, _) = accounts::log_in(&mut store, "femke@bosman.nl", "nieuw-drie-3").unwrap();
    assert!(
        accounts::session_user(&mut store, &session)
            .unwrap()
            .is_some()
    );

    // The last admin stays.
    let refused = accounts::remove_user(&mut store, "baas@bosman.nl").unwrap_err();
    assert!(refused.to_string().contains("last admin"), "{refused}");
    assert_eq!(store.users().unwrap().len(), 2);

    // Removed: the user, their token, session, saved response and upload.
    assert!(
        accounts::authenticate(&mut store, &token)
            .unwrap()
            .is_some()
    );
    accounts::remove_user(&mut store, "femke@bosman.nl").unwrap();
    assert_eq!(store.users().unwrap().len(), 1);
    assert!(
        accounts::authenticate(&mut store, &token)
            .unwrap()
            .is_none()
    );
    assert!(
        accounts::session_user(&mut store, &session)
            .unwrap()
            .is_none()
    );
    assert!(store.idempotent_response(staff.id, "k1").unwrap().is_none());
    assert!(store.upload(upload, staff.id).unwrap().is_none());
    assert!(store.upload_part(upload, 0).unwrap().is_none());
    assert!(store.tokens().unwrap().is_empty());
    assert!(matches!(
        accounts::remove_user(&mut store, "femke@bosman.nl"),
        Err(LedgerError::NotFound { .. })
    ));
}

conformance!(
    users_tokens_and_setup,
    users_are_given_new_passwords_and_removed
);
