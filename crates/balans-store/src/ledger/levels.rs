//! The organization level and the months, rebuilt from the gestures: when a
//! membership changes, when the time zone changes, and once for a store that
//! held gestures before months were kept.

use balans_core::{BalanceMap, Dimension, Level, Membership, Moment, PairKey, Totals};

use crate::LedgerError;
use crate::snapshot::Snapshot;
use crate::store::{GestureFilter, Store, StoreError, in_transaction};

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

/// More changed memberships than this are followed by rebuilding the level
/// without looking: looking costs a read of each person's later gestures.
const CHANGES_LOOKED_AT_MAX: usize = 64;

/// Whether the membership changes `changes` (each new membership with the one
/// it replaced) move the attribution of any stored gesture: whether a gesture
/// of its person is attributed where the old and the new period differ. A
/// membership ended today, after its person's last gesture, moves none, and
/// the organization level need not be rebuilt.
pub fn reattributes<S: Store + ?Sized>(
    store: &mut S,
    changes: &[(Option<Membership>, Membership)],
) -> Result<bool, LedgerError> {
    if changes.len() > CHANGES_LOOKED_AT_MAX {
        return Ok(true);
    }
    for (old, new) in changes {
        let spans = changed_spans(old.as_ref(), new);
        let Some(start) = spans.iter().map(|(from, _)| *from).min() else {
            continue;
        };
        // The person's gestures all fall between their first and their last
        // (a reversal's attribution too): none there, none moves.
        let sums = store.party_totals_of(Level::Person, new.person)?;
        let first = sums.iter().map(|(_, t)| t.first).min();
        let last = sums.iter().map(|(_, t)| t.last).max();
        let (Some(first), Some(last)) = (first, last) else {
            continue;
        };
        if !spans
            .iter()
            .any(|(from, until)| *from <= last && until.is_none_or(|u| first < u))
        {
            continue;
        }
        // A reversal is attributed at its original's time, never later than
        // its own: the gestures from the first span's start on hold them all.
        let mut filter = GestureFilter {
            party: Some(new.person),
            from: Some(start),
            limit: 10_000,
            ..GestureFilter::default()
        };
        let mut moved = false;
        super::gestures::walk_gestures(store, &mut filter, |stored| {
            let at = stored.attributed_at;
            moved = spans
                .iter()
                .any(|(from, until)| *from <= at && until.is_none_or(|u| at < u));
            Ok(!moved)
        })?;
        if moved {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Where a membership's period changed: the spans in the old period or the new
/// one but not both (`None`: without end).
fn changed_spans(old: Option<&Membership>, new: &Membership) -> Vec<(Moment, Option<Moment>)> {
    let Some(old) = old else {
        return vec![(new.from, new.until)];
    };
    let mut spans = Vec::new();
    if old.from != new.from {
        spans.push((old.from.min(new.from), Some(old.from.max(new.from))));
    }
    if old.until != new.until {
        let (earlier, later) = match (old.until, new.until) {
            (Some(a), Some(b)) => (a.min(b), Some(a.max(b))),
            (Some(a), None) | (None, Some(a)) => (a, None),
            (None, None) => unreachable!("the ends differ"),
        };
        spans.push((earlier, later));
    }
    spans
}
