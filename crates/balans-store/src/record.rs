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
/// and single gestures alike. The batch goes to the store at once; its
/// reversals are checked first (`check_reversals`), and those refused are left
/// out.
pub(crate) fn record_all<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    mut batch: Vec<Resolved>,
    pending: &mut impl Tally,
) -> StoreResult<Vec<Recorded>> {
    let checked = match batch.iter().any(|r| r.units.is_none()) {
        true => check_reversals(store, snapshot, &mut batch)?,
        false => Vec::new(),
    };
    let verdict = |i: usize| checked.get(i).and_then(Option::as_ref);
    let stored: Vec<&balans_core::Gesture> = batch
        .iter()
        .enumerate()
        .filter(|(i, _)| !matches!(verdict(*i), Some(Err(_))))
        .map(|(_, r)| &r.gesture)
        .collect();
    let mut existing = match stored.is_empty() {
        true => Vec::new(),
        false => store.insert_gestures(&stored)?,
    }
    .into_iter();
    debug_assert_eq!(existing.len(), stored.len());
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut checked = checked.into_iter();
    for resolved in &batch {
        let units = match checked.next().flatten() {
            Some(Err(decided)) => {
                outcomes.push(decided);
                continue;
            }
            Some(Ok(units)) => units,
            None => resolved.units.expect("an ordinary gesture has its units"),
        };
        let existing = existing
            .next()
            .expect("the store answers for every gesture it is given");
        outcomes.push(settle(
            snapshot,
            resolved,
            units,
            existing.as_deref(),
            pending,
        )?);
    }
    Ok(outcomes)
}

/// What checking a reversal decided: the units it counts for, or what it
/// records without being stored (a retry, or a refusal).
type Checked = Result<(balans_core::PartyId, balans_core::PartyId), Recorded>;

/// Checks the reversals of a batch exactly as storing the batch one gesture at
/// a time would: each against the store as it stood before the batch (read at
/// once: the originals, the reversals' own ids, the reversals already stored)
/// and against the gestures of the batch before it that will be stored (those
/// with new ids, and the reversals accepted). `None` for an ordinary gesture.
/// Checked one by one, each reversal took a few statements of its own, and a
/// million gestures with one in twenty a reversal took PostgreSQL 90 s.
fn check_reversals<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    batch: &mut [Resolved],
) -> StoreResult<Vec<Option<Checked>>> {
    use std::collections::HashMap;
    let originals: Vec<&GestureId> = batch
        .iter()
        .filter_map(|r| {
            r.units
                .is_none()
                .then_some(r.gesture.reverses.as_ref())
                .flatten()
        })
        .collect();
    let mut asked: Vec<&str> = originals.iter().map(|id| id.as_str()).collect();
    asked.extend(
        batch
            .iter()
            .filter(|r| r.units.is_none())
            .map(|r| r.gesture.id.as_str()),
    );
    let stored: HashMap<String, balans_core::StoredGesture> = store
        .gestures_by_ids(&asked)?
        .into_iter()
        .map(|g| (g.gesture.id.as_str().to_string(), g))
        .collect();
    let mut reversed: HashMap<String, GestureId> = store
        .reversals_of(&originals)?
        .into_iter()
        .map(|(original, reversal)| (original.as_str().to_string(), reversal))
        .collect();
    // The batch's gestures with ids not stored before it, by the row of the
    // first of each id: stored by the time a later row is.
    let mut earlier: HashMap<String, usize> = HashMap::new();
    let mut checked = Vec::with_capacity(batch.len());
    for i in 0..batch.len() {
        let (before, rest) = batch.split_at_mut(i);
        let resolved = &mut rest[0];
        let id = resolved.gesture.id.as_str();
        let new = !stored.contains_key(id) && !earlier.contains_key(id);
        if resolved.units.is_some() {
            if new {
                earlier.insert(id.to_string(), i);
            }
            checked.push(None);
            continue;
        }
        let original_id = resolved
            .gesture
            .reverses
            .clone()
            .expect("only reversals are resolved without units");
        let original = match stored.get(original_id.as_str()) {
            Some(o) => Some((&o.gesture, o.attributed_at)),
            None => earlier
                .get(original_id.as_str())
                .map(|&row| (&before[row].gesture, before[row].gesture.at)),
        };
        let by = reversed.get(original_id.as_str());
        let verdict = match check_reversal(snapshot, resolved, &original_id, original, by) {
            Ok(units) => {
                // One whose id is taken is refused by the store, and reverses
                // nothing.
                if new {
                    reversed.insert(
                        original_id.as_str().to_string(),
                        resolved.gesture.id.clone(),
                    );
                    earlier.insert(resolved.gesture.id.as_str().to_string(), i);
                }
                Ok(units)
            }
            Err(e) => {
                // The same reversal stored before is a retry, not a second reversal.
                let id = resolved.gesture.id.as_str();
                let same = match stored.get(id) {
                    Some(s) => Some(&s.gesture),
                    None => earlier.get(id).map(|&row| &before[row].gesture),
                }
                .is_some_and(|s| s.same_content(&resolved.gesture, resolved.amount_given));
                Err(match same {
                    true => Recorded::AlreadyPresent,
                    false => Recorded::Refused(e),
                })
            }
        };
        checked.push(Some(verdict));
    }
    Ok(checked)
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

/// A reversal must name a stored gesture (`original`, with the time it counts
/// at) that is not itself a reversal and is not reversed yet (`by`), with the
/// same parties and kind and the opposite amount, which it takes when it
/// leaves its own out. It counts for the same organizations as the original,
/// at the original's time.
fn check_reversal(
    snapshot: &Snapshot,
    resolved: &mut Resolved,
    original_id: &GestureId,
    original: Option<(&balans_core::Gesture, balans_core::Moment)>,
    by: Option<&GestureId>,
) -> Result<(balans_core::PartyId, balans_core::PartyId), field::Error> {
    use field::{Code, Said};
    let refuse =
        |message: String, said: Said| Err(field::Error::new("reverses", message).as_said(said));
    let Some((o, attributed_at)) = original else {
        return Err(field::Error::new(
            "reverses",
            format!(
                "no gesture with id '{original_id}' is stored (a reversal must come after its gesture)"
            ),
        )
        .said(field::Code::ReversesUnknown, &[("id", original_id.as_str())]));
    };
    let id = original_id.as_str();
    if o.reverses.is_some() {
        return refuse(
            format!("'{original_id}' is itself a reversal; record the gesture anew instead"),
            Said::new(Code::ReversalOfReversal, &[("id", id)]),
        );
    }
    if let Some(earlier) = by {
        return refuse(
            format!("'{original_id}' is already reversed by '{earlier}'"),
            Said::new(
                Code::AlreadyReversed,
                &[("id", id), ("by", earlier.as_str())],
            ),
        );
    }
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
    snapshot.units(gesture, attributed_at)
}
