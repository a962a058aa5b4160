//! Export: what import gives back identically.

use balans_core::{Dimension, Level, PartyId, Totals};
use std::collections::BTreeMap;

use balans_store::ledger::{self};
use balans_store::prelude::*;

use balans_tests::Backend;

use crate::support::*;

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
    assert_eq!(summary.files.len(), 7);
    assert_eq!(summary.handovers, 2, "the demo's handovers");
    assert_eq!(summary.promises, 5, "the demo's promises");
    assert_eq!(summary.alerts, 2, "the demo's departures above 10 points");

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

conformance!(export_then_import_gives_identical_balances);
