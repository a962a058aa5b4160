//! The catalog: kinds and their defaults.

use balans_store::ledger::{self};

use balans_tests::Backend;

use crate::support::*;

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

conformance!(a_changed_default_applies_to_new_gestures_only);
