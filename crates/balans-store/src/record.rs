//! Recording: the one place where gestures meet the store, for an import and a
//! single gesture alike. Resolved gestures are stored in order, and what those
//! actually stored contribute is counted into the balances and months.

use balans_core::{Amount, BalanceMap, Dimension, GestureId, contributions};

use crate::field;
use crate::snapshot::Snapshot;
use crate::store::{Resolved, Store, StoreError, StoreResult};

/// Writes the summed deltas to the store.
pub(crate) fn flush<S: Store + ?Sized>(store: &mut S, pending: &mut BalanceMap) -> StoreResult<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let pairs = pending.drain();
    store.add_to_balances(&pairs)?;
    store.add_to_party_totals(&party_sums_of(&pairs)?)?;
    store.add_to_months(&pending.drain_months())
}

/// Each party's share of the balances (or deltas) given, or the overflow
/// that summing them would be.
pub(crate) fn party_sums_of(
    pairs: &[(balans_core::PairKey, balans_core::Totals)],
) -> StoreResult<Vec<(balans_core::PartySumKey, balans_core::Totals)>> {
    balans_core::party_sums(pairs.iter().map(|(k, t)| (k, t)))
        .map_err(|_| StoreError::Overflow("a party's sum over its counterparts".into()))
}

/// What a stored gesture contributes to the balances, in a few words: the
/// counting needs no more of it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counted {
    pub(crate) giver: balans_core::PartyId,
    pub(crate) receiver: balans_core::PartyId,
    pub(crate) units: (balans_core::PartyId, balans_core::PartyId),
    pub(crate) dimension: Dimension,
    pub(crate) amount: Amount,
    pub(crate) at: balans_core::Moment,
}

impl Counted {
    pub(crate) fn of(
        gesture: &balans_core::Gesture,
        units: (balans_core::PartyId, balans_core::PartyId),
    ) -> Counted {
        Counted {
            giver: gesture.giver,
            receiver: gesture.receiver,
            units,
            dimension: gesture.dimension,
            amount: gesture.amount,
            at: gesture.at,
        }
    }
}

/// Where the gestures a write stores are counted: summed at once, or collected to
/// be summed on another thread (an import).
pub(crate) trait Tally {
    fn tally(&mut self, counted: Counted, zone: &balans_core::Zone) -> StoreResult<()>;
}

impl Tally for BalanceMap {
    fn tally(&mut self, counted: Counted, zone: &balans_core::Zone) -> StoreResult<()> {
        count_gesture(self, &counted, zone)
    }
}

impl Tally for Vec<Counted> {
    fn tally(&mut self, counted: Counted, _zone: &balans_core::Zone) -> StoreResult<()> {
        self.push(counted);
        Ok(())
    }
}

pub(crate) enum Recorded {
    Added,
    AlreadyPresent,
    Refused(field::Error),
}

/// Stores resolved gestures in order and adds the contributions of those actually
/// stored to `pending`: the one place where gestures meet the store, for imports
/// and single gestures alike. Runs of ordinary gestures go to the store as a batch;
/// a reversal is checked against the store alone, after everything before it.
pub(crate) fn record_all<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    mut batch: Vec<Resolved>,
    pending: &mut impl Tally,
) -> StoreResult<Vec<Recorded>> {
    let mut outcomes = Vec::with_capacity(batch.len());
    // The run of ordinary gestures since the last reversal starts here.
    let mut run = 0;
    for at in 0..batch.len() {
        let resolved = &mut batch[at];
        if resolved.units.is_some() {
            continue;
        }
        let original_id = resolved
            .gesture
            .reverses
            .clone()
            .expect("only reversals are resolved without units");
        insert_run(store, snapshot, &batch[run..at], pending, &mut outcomes)?;
        outcomes.push(record_reversal(
            store,
            snapshot,
            &mut batch[at],
            &original_id,
            pending,
        )?);
        run = at + 1;
    }
    insert_run(store, snapshot, &batch[run..], pending, &mut outcomes)?;
    Ok(outcomes)
}

fn insert_run<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    run: &[Resolved],
    pending: &mut impl Tally,
    outcomes: &mut Vec<Recorded>,
) -> StoreResult<()> {
    if run.is_empty() {
        return Ok(());
    }
    let gestures: Vec<&balans_core::Gesture> = run.iter().map(|r| &r.gesture).collect();
    let existing = store.insert_gestures(&gestures)?;
    debug_assert_eq!(existing.len(), run.len());
    for (resolved, existing) in run.iter().zip(existing) {
        let units = resolved.units.expect("a run holds no reversals");
        outcomes.push(settle(
            snapshot,
            resolved,
            units,
            existing.as_deref(),
            pending,
        )?);
    }
    Ok(())
}

fn record_reversal<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    resolved: &mut Resolved,
    original_id: &GestureId,
    pending: &mut impl Tally,
) -> StoreResult<Recorded> {
    match check_reversal(store, snapshot, resolved, original_id)? {
        Ok(units) => {
            let existing = store.insert_gestures(&[&resolved.gesture])?.pop().flatten();
            settle(snapshot, resolved, units, existing.as_deref(), pending)
        }
        Err(e) => {
            // The same reversal stored before is a retry, not a second reversal.
            if let Some(existing) = store.gesture(&resolved.gesture.id)? {
                if existing
                    .gesture
                    .same_content(&resolved.gesture, resolved.amount_given)
                {
                    return Ok(Recorded::AlreadyPresent);
                }
            }
            Ok(Recorded::Refused(e))
        }
    }
}

/// After the store has seen a gesture: a conflict is a retry or an error; a gesture
/// stored counts for its person-level pair and organization-level pair.
fn settle(
    snapshot: &Snapshot,
    resolved: &Resolved,
    units: (balans_core::PartyId, balans_core::PartyId),
    existing: Option<&balans_core::StoredGesture>,
    pending: &mut impl Tally,
) -> StoreResult<Recorded> {
    let gesture = &resolved.gesture;
    if let Some(existing) = existing {
        if existing
            .gesture
            .same_content(gesture, resolved.amount_given)
        {
            return Ok(Recorded::AlreadyPresent);
        }
        return Ok(Recorded::Refused(
            field::Error::new(
                "id",
                format!(
                    "id '{}' is already used for a different gesture ({}); this one is {}",
                    gesture.id,
                    snapshot.describe(&existing.gesture),
                    snapshot.describe(gesture)
                ),
            )
            .said(field::Code::IdInUse, &[("id", gesture.id.as_str())]),
        ));
    }
    pending.tally(Counted::of(gesture, units), &snapshot.zone)?;
    Ok(Recorded::Added)
}

/// Adds what a gesture contributes to `sums`: its pair at both levels and, for
/// credit between two different units, each side's month.
pub(crate) fn count_gesture(
    sums: &mut BalanceMap,
    counted: &Counted,
    zone: &balans_core::Zone,
) -> StoreResult<()> {
    let overflow = |e: balans_core::Overflow| StoreError::Overflow(e.to_string());
    let Counted {
        giver,
        receiver,
        units,
        dimension,
        amount,
        at,
    } = *counted;
    for (key, totals) in contributions(giver, receiver, units.0, units.1, dimension, amount, at) {
        sums.add(key, totals).map_err(overflow)?;
    }
    if dimension == Dimension::Credit && units.0 != units.1 {
        sums.add_month(units.0, units.1, zone.month_of(at), amount, at)
            .map_err(overflow)?;
    }
    Ok(())
}

/// A reversal must name a stored gesture that is not itself a reversal and is not
/// reversed yet, with the same parties and kind and the opposite amount. It counts
/// for the same organizations as the original, at the original's time.
fn check_reversal<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    resolved: &mut Resolved,
    original_id: &GestureId,
) -> StoreResult<Result<(balans_core::PartyId, balans_core::PartyId), field::Error>> {
    use field::{Code, Said};
    let refuse =
        |message: String, said: Said| Ok(Err(field::Error::new("reverses", message).as_said(said)));
    let Some(original) = store.gesture(original_id)? else {
        return Ok(Err(field::Error::new(
            "reverses",
            format!(
                "no gesture with id '{original_id}' is stored (a reversal must come after its gesture)"
            ),
        )
        .said(field::Code::ReversesUnknown, &[("id", original_id.as_str())])));
    };
    let id = original_id.as_str();
    if original.gesture.reverses.is_some() {
        return refuse(
            format!("'{original_id}' is itself a reversal; record the gesture anew instead"),
            Said::new(Code::ReversalOfReversal, &[("id", id)]),
        );
    }
    if let Some(earlier) = store.reversal_of(original_id)? {
        return refuse(
            format!("'{original_id}' is already reversed by '{earlier}'"),
            Said::new(
                Code::AlreadyReversed,
                &[("id", id), ("by", earlier.as_str())],
            ),
        );
    }
    let o = &original.gesture;
    if !resolved.amount_given {
        resolved.gesture.amount = o.amount.negated();
        resolved.amount_given = true;
    }
    let gesture = &resolved.gesture;
    if o.giver != gesture.giver || o.receiver != gesture.receiver || o.kind != gesture.kind {
        let described = snapshot.describe(o);
        return refuse(
            format!(
                "a reversal has the giver, receiver and kind of the gesture it reverses ({described})"
            ),
            Said::new(Code::ReversalDiffers, &[("gesture", &described)]),
        );
    }
    if o.giver_org != gesture.giver_org || o.receiver_org != gesture.receiver_org {
        return refuse(
            "a reversal names the same giver_org and receiver_org as the gesture it reverses"
                .to_string(),
            Said::new(Code::ReversalOrganizations, &[]),
        );
    }
    if gesture.amount != o.amount.negated() {
        let expected = o.amount.negated().to_string();
        return refuse(
            format!("a reversal of {} has amount {expected}", o.amount),
            Said::new(Code::ReversalAmount, &[("amount", &expected)]),
        );
    }
    match snapshot.units(gesture, original.attributed_at) {
        Ok(units) => Ok(Ok(units)),
        Err(e) => Ok(Err(e)),
    }
}
