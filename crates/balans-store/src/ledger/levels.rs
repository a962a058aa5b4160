//! The organization level and the months, rebuilt from the gestures: when a
//! membership changes, when the time zone changes, and once for a store that
//! held gestures before months were kept.

use balans_core::{BalanceMap, Dimension, Level, PairKey, Totals};

use crate::LedgerError;
use crate::snapshot::Snapshot;
use crate::store::{Store, StoreError, in_transaction};

/// Recomputes every organization-level balance from the gestures and the current
/// memberships; fails, naming the gesture, when a gesture can no longer be
/// attributed (a person now in several organizations with none named).
pub fn rebuild_organization_level<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
) -> Result<(), LedgerError> {
    let mut balances = BalanceMap::new();
    let mut problem = None;
    store.for_each_gesture(&mut |stored| {
        let g = &stored.gesture;
        match snapshot.units(g, stored.attributed_at) {
            Ok((giver, receiver)) => {
                if giver != receiver {
                    let (key, forward) =
                        PairKey::directed(Level::Organization, giver, receiver, g.dimension);
                    balances
                        .add(key, Totals::of(forward, g.amount, g.at))
                        .map_err(|e| StoreError::Overflow(e.to_string()))?;
                    if g.dimension == Dimension::Credit {
                        let month = snapshot.zone.month_of(g.at);
                        balances
                            .add_month(giver, receiver, month, g.amount, g.at)
                            .map_err(|e| StoreError::Overflow(e.to_string()))?;
                    }
                }
            }
            Err(e) if problem.is_none() => {
                problem = Some((
                    format!(
                        "gesture '{}' ({}) would no longer count for one organization: {}",
                        g.id,
                        snapshot.describe(g),
                        e
                    ),
                    snapshot.describe(g),
                ))
            }
            Err(_) => {}
        }
        Ok(())
    })?;
    if let Some(problem) = problem {
        let (message, gesture) = problem;
        return Err(LedgerError::clash(
            message,
            balans_core::said::Code::NoLongerAttributable,
            &[("gesture", &gesture)],
        ));
    }
    let sorted = balances.sorted();
    store.replace_level(Level::Organization, &sorted)?;
    store.replace_party_totals(Level::Organization, &crate::record::party_sums_of(&sorted)?)?;
    store.replace_months(&balances.drain_months())?;
    Ok(())
}

/// The setting that says the monthly credit is complete: a store that held
/// gestures before months were kept has them computed once, on first open.
const MONTHS_BUILT: &str = "months_built";

/// Computes the monthly credit of a store that holds gestures from before it was
/// kept; does nothing otherwise.
pub fn ensure_months<S: Store + ?Sized>(store: &mut S) -> Result<(), LedgerError> {
    if store.setting(MONTHS_BUILT)?.as_deref() == Some("1") {
        return Ok(());
    }
    in_transaction(store, |store| {
        let snapshot = Snapshot::load(store)?;
        rebuild_organization_level(store, &snapshot)?;
        store.set_setting(MONTHS_BUILT, "1")?;
        Ok(())
    })
}
