//! What the server keeps beside the ledger: idempotent responses, uploads, and the
//! party search.

use balans_store::prelude::*;

use balans_tests::Backend;

use crate::support::*;

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
    // An upload's content goes in parts and comes back whole, part by part.
    let keep = |store: &mut B::Store, user, name: &str, parts: &[&[u8]], when, forget| {
        let id = store.insert_upload(user, name, when, forget).unwrap();
        for (n, part) in parts.iter().enumerate() {
            store.add_upload_part(id, n as i64, part).unwrap();
        }
        id
    };
    let read = |store: &mut B::Store, id, user| {
        let name = store.upload(id, user).unwrap()?;
        let mut body = Vec::new();
        let mut n = 0;
        while let Some(part) = store.upload_part(id, n).unwrap() {
            body.extend(part);
            n += 1;
        }
        Some((name, body))
    };
    let old = keep(&mut store, ann, "oud.csv", &[b"a,b\n"], at(1_000), at(0));
    let kept = keep(
        &mut store,
        ann,
        "klanten.csv",
        &[b"key\n", b"x\n"],
        at(1_500),
        at(0),
    );
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
        read(&mut store, kept, ann),
        Some(("klanten.csv".to_string(), b"key\nx\n".to_vec()))
    );
    assert_eq!(read(&mut store, kept, bob), None, "another user's upload");

    // Saving later forgets what was saved before the given moment.
    store.begin_write().unwrap();
    store
        .save_idempotent_response(ann, "k2", &response(200, "second"), at(5_000), at(1_200))
        .unwrap();
    let newest = keep(&mut store, bob, "b.csv", &[], at(5_000), at(1_200));
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
    assert_eq!(read(&mut store, old, ann), None, "forgotten");
    assert_eq!(store.upload_part(old, 0).unwrap(), None, "with its parts");
    assert_eq!(read(&mut store, kept, ann), None, "deleted");
    assert_eq!(store.upload_part(kept, 1).unwrap(), None, "with its parts");
    assert_eq!(
        read(&mut store, newest, bob),
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

conformance!(responses_uploads_and_party_searches);
