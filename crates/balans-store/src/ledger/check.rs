//! The consistency check: every balance and month recomputed from the gestures
//! and compared with what is stored, and the handovers checked against the
//! gestures and memberships they rest on.

use balans_core::{BalanceMap, Dimension, Level, Totals};
use serde::Serialize;

use crate::LedgerError;
use crate::snapshot::Snapshot;
use crate::store::Store;

/// A stored balance that differs from the sum of its gestures.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    pub level: Level,
    pub dimension: Dimension,
    pub a: String,
    pub b: String,
    pub stored: String,
    pub computed: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub gestures: u64,
    pub pairs: u64,
    pub differences: Vec<Difference>,
    /// Gestures the memberships no longer attribute to one organization each.
    pub unattributable: Vec<String>,
    /// What is wrong with the stored handovers (see `docs/credits.md`).
    pub handovers: Vec<String>,
    /// What is wrong with the stored promises (see `docs/promises.md`).
    pub promises: Vec<String>,
}

impl CheckReport {
    /// Whether every balance equals the sum of its gestures, and every gesture counts somewhere.
    pub fn is_consistent(&self) -> bool {
        self.differences.is_empty()
            && self.unattributable.is_empty()
            && self.handovers.is_empty()
            && self.promises.is_empty()
    }
}

/// Recomputes every balance from the gestures and compares it with the stored one.
pub fn check<S: Store + ?Sized>(store: &mut S) -> Result<CheckReport, LedgerError> {
    crate::store::in_read(store, check_now)
}

fn check_now<S: Store + ?Sized>(store: &mut S) -> Result<CheckReport, LedgerError> {
    let snapshot = Snapshot::load(store)?;
    let mut computed = BalanceMap::new();
    let mut gestures = 0u64;
    let mut unattributable = Vec::new();
    store.for_each_gesture(&mut |stored| {
        gestures += 1;
        let g = &stored.gesture;
        let units = match snapshot.units(g, stored.attributed_at) {
            Ok(units) => units,
            Err(e) => {
                unattributable.push(format!("gesture '{}': {e}", g.id));
                (g.giver, g.giver)
            }
        };
        crate::record::count_gesture(
            &mut computed,
            &crate::record::Counted::of(g, units),
            &snapshot.zone,
        )?;
        Ok(())
    })?;
    // Each party's sums, from the computed balances before they are taken apart.
    let mut party_sums: rustc_hash::FxHashMap<_, _> =
        crate::record::party_sums_of(&computed.sorted())?
            .into_iter()
            .collect();
    let mut differences = Vec::new();
    let mut pairs = 0u64;
    let describe = |t: Option<&Totals>| match t {
        Some(t) => format!(
            "{} / {} in {} gestures",
            balans_core::Sum(t.low_to_high),
            balans_core::Sum(t.high_to_low),
            t.count
        ),
        None => "nothing".to_string(),
    };
    store.for_each_balance(&mut |key, stored| {
        pairs += 1;
        let expected = computed.remove(&key);
        if expected.as_ref() != Some(&stored) {
            differences.push(Difference {
                level: key.level,
                dimension: key.dimension,
                a: snapshot.key(key.low),
                b: snapshot.key(key.high),
                stored: describe(Some(&stored)),
                computed: describe(expected.as_ref()),
            });
        }
        Ok(())
    })?;
    let describe_month = |month: i32| {
        format!(
            "credit in {:04}-{:02}",
            month.div_euclid(12),
            month.rem_euclid(12) + 1
        )
    };
    for (key, stored) in store.all_months()? {
        pairs += 1;
        let expected = computed.remove_month(&key);
        if expected.as_ref() != Some(&stored) {
            differences.push(Difference {
                level: Level::Organization,
                dimension: Dimension::Credit,
                a: snapshot.key(key.0),
                b: describe_month(key.1),
                stored: describe(Some(&stored)),
                computed: describe(expected.as_ref()),
            });
        }
    }
    for (key, expected) in computed.drain_months() {
        differences.push(Difference {
            level: Level::Organization,
            dimension: Dimension::Credit,
            a: snapshot.key(key.0),
            b: describe_month(key.1),
            stored: describe(None),
            computed: describe(Some(&expected)),
        });
    }
    for (key, expected) in computed.sorted() {
        differences.push(Difference {
            level: key.level,
            dimension: key.dimension,
            a: snapshot.key(key.low),
            b: snapshot.key(key.high),
            stored: describe(None),
            computed: describe(Some(&expected)),
        });
    }
    // The parties' sums kept beside the balances.
    const EVERY_COUNTERPART: &str = "every counterpart";
    for level in [Level::Person, Level::Organization] {
        for (party, dimension, stored) in store.party_totals(level)? {
            let key = balans_core::PartySumKey {
                level,
                party,
                dimension,
            };
            let expected = party_sums.remove(&key);
            if expected.as_ref() != Some(&stored) {
                differences.push(Difference {
                    level,
                    dimension,
                    a: snapshot.key(party),
                    b: EVERY_COUNTERPART.to_string(),
                    stored: describe(Some(&stored)),
                    computed: describe(expected.as_ref()),
                });
            }
        }
    }
    let mut missing: Vec<_> = party_sums.into_iter().collect();
    missing.sort_unstable_by_key(|(key, _)| *key);
    for (key, expected) in missing {
        differences.push(Difference {
            level: key.level,
            dimension: key.dimension,
            a: snapshot.key(key.party),
            b: EVERY_COUNTERPART.to_string(),
            stored: describe(None),
            computed: describe(Some(&expected)),
        });
    }
    let handovers = super::credits::handover_problems(store, &snapshot)?;
    let promises = super::promises::promise_problems(store, &snapshot)?;
    Ok(CheckReport {
        gestures,
        pairs,
        differences,
        unattributable,
        handovers,
        promises,
    })
}
