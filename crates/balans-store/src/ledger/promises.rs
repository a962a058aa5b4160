//! Promises (`docs/promises.md`): made, kept, broken, moved, released, each in
//! one write that sweeps first, and the sweep that breaks what fell due.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use balans_core::{
    Amount, BalanceMap, Due, Gesture, GestureId, Moment, PartyId, Promise, PromiseId, PromiseState,
};
use serde::Serialize;

use super::view::PartyRef;
use crate::field::Code;
use crate::record::{Recorded, flush, record_all};
use crate::snapshot::{GestureText, Snapshot, Written};
/// The period a kept rate counts promises resolved in.
pub use crate::store::ResolvedIn;
use crate::store::{
    Catalog, NewPromise, PromiseFilter, PromiseOrder, Resolution, Resolved, Store, StoreError,
    in_read, in_transaction,
};
use crate::{LedgerError, field};

/// The kind a broken promise is recorded as.
pub const BROKEN_PROMISE: &str = "broken_promise";

/// How many promises a sweep reads and breaks at a time, all in its one write.
/// On PostgreSQL, breaking 10,000 in batches of 5,000 took 783–848 ms against
/// 821–1,031 ms in batches of 1,000 (runs alternated): each batch costs a few
/// statements and round trips besides its rows.
pub(crate) const SWEEP_BATCH: usize = 5_000;

/// How many sums a sweep holds before writing them: a sweep breaking many
/// promises writes each pair's sum once, in few statements, with memory
/// bounded however many fell due.
const SWEEP_PENDING: usize = 100_000;

/// A promise as it is typed or read from a file; empty texts are absent.
#[derive(Clone, Copy, Debug, Default)]
pub struct PromiseText<'a> {
    pub id: &'a str,
    pub promiser: &'a str,
    pub promisee: &'a str,
    pub kind: &'a str,
    pub amount: &'a str,
    pub made: &'a str,
    pub due: &'a str,
    pub note: &'a str,
    pub promiser_org: &'a str,
    pub promisee_org: &'a str,
}

/// A promise, as the ledger shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PromiseView {
    pub id: PromiseId,
    #[serde(serialize_with = "key_of")]
    pub promiser: Arc<PartyRef>,
    #[serde(serialize_with = "key_of")]
    pub promisee: Arc<PartyRef>,
    pub kind: String,
    #[serde(serialize_with = "amount")]
    pub amount: Amount,
    #[serde(serialize_with = "moment")]
    pub made: Moment,
    #[serde(serialize_with = "moment")]
    pub due: Moment,
    pub state: &'static str,
    /// The gesture that kept or broke it.
    pub gesture: Option<GestureId>,
    /// What keeping it gave, when kept.
    #[serde(serialize_with = "amount_opt")]
    pub kept: Option<Amount>,
    pub kept_in_part: bool,
    #[serde(serialize_with = "super::view::moment_opt")]
    pub resolved_at: Option<Moment>,
    pub note: Option<String>,
    /// Why it was released, or the note of a break by hand.
    pub reason: Option<String>,
    #[serde(serialize_with = "key_of_opt")]
    pub promiser_org: Option<Arc<PartyRef>>,
    #[serde(serialize_with = "key_of_opt")]
    pub promisee_org: Option<Arc<PartyRef>>,
    /// Every due moment it had, the first being the original.
    pub dues: Vec<DueView>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct DueView {
    #[serde(serialize_with = "moment")]
    pub due: Moment,
    #[serde(serialize_with = "moment")]
    pub agreed: Moment,
}

fn moment<S: serde::Serializer>(m: &Moment, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(m)
}

fn amount<S: serde::Serializer>(a: &Amount, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(a)
}

fn amount_opt<S: serde::Serializer>(a: &Option<Amount>, serializer: S) -> Result<S::Ok, S::Error> {
    match a {
        Some(a) => serializer.collect_str(a),
        None => serializer.serialize_none(),
    }
}

fn key_of<S: serde::Serializer>(party: &Arc<PartyRef>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(party.key.as_str())
}

fn key_of_opt<S: serde::Serializer>(
    party: &Option<Arc<PartyRef>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match party {
        Some(party) => serializer.collect_str(&party.key),
        None => serializer.serialize_none(),
    }
}

/// What making a promise did.
#[derive(Debug, Clone, Serialize)]
pub struct Made {
    pub promise: PromiseView,
    /// False when the same promise was stored already (a retry).
    pub added: bool,
}

/// Makes a promise at `now` (or when the text says it was made), or
/// recognizes a retry of one stored already. Breaks what fell due first, in a
/// write of its own that stays when this one is refused (as every change
/// below does).
pub fn make_promise<S: Store + ?Sized>(
    store: &mut S,
    text: &PromiseText<'_>,
    now: Moment,
) -> Result<Made, LedgerError> {
    break_due_first(store, now)?;
    let (promise, added) = in_transaction(store, |store| {
        let new = resolve(store, text, now)?;
        if let Some(stored) = store.promise(&new.id)? {
            // Made now, unless the text says when: a retry made later is the same.
            let made_given = !text.made.trim().is_empty();
            let first_due = store.promise_dues(stored.row)?.first().map(|d| d.due);
            if first_due == Some(new.due)
                && (same_content(&stored, &new)
                    || (!made_given && same_content_but_made(&stored, &new)))
            {
                return Ok::<_, LedgerError>((stored, false));
            }
            return Err(refuse_said(
                "id",
                format!(
                    "a promise with id '{}' is stored already, with other content",
                    new.id
                ),
                Code::PromiseIdTaken,
                &[("id", new.id.as_str())],
            ));
        }
        store.insert_promise(&new)?;
        let stored = store
            .promise(&new.id)?
            .ok_or_else(|| StoreError::Corrupt(format!("promise {} is missing", new.id)))?;
        Ok((stored, true))
    })?;
    Ok(Made {
        promise: view_of(store, promise)?,
        added,
    })
}

/// A promise's text, checked: the promised gesture as a gesture would be
/// (parties, kind, amount, organizations), and its moments.
fn resolve<S: Store + ?Sized>(
    store: &mut S,
    text: &PromiseText<'_>,
    now: Moment,
) -> Result<NewPromise, LedgerError> {
    let keys = [
        text.promiser,
        text.promisee,
        text.promiser_org,
        text.promisee_org,
    ];
    let snapshot = Snapshot::for_keys(store, &keys)?;
    resolve_in(&snapshot, text, now, Written::Typed).map_err(LedgerError::Invalid)
}

/// [`resolve`] against a snapshot holding the parties named, for text typed
/// or read from a file; the errors name the promise's columns.
pub(crate) fn resolve_in(
    snapshot: &Snapshot,
    text: &PromiseText<'_>,
    now: Moment,
    written: Written,
) -> Result<NewPromise, Vec<field::Error>> {
    let one = |column: &'static str, message: String, code: Code, args: &[(&'static str, &str)]| {
        vec![field::Error::new(column, message).said(code, args)]
    };
    let id = match PromiseId::parse(text.id) {
        Ok(id) => id.unwrap_or_else(PromiseId::fresh),
        Err(e) => {
            return Err(vec![
                field::Error::new("id", e.to_string()).as_said(e.said()),
            ]);
        }
    };
    if text.due.trim().is_empty() {
        return Err(one(
            "due",
            "a promise needs a due moment".to_string(),
            Code::PromiseNeedsDue,
            &[],
        ));
    }
    let kept_id = id.kept_gesture();
    let promised = GestureText {
        id: kept_id.as_str(),
        at: text.due,
        giver: text.promiser,
        receiver: text.promisee,
        kind: text.kind,
        amount: text.amount,
        note: text.note,
        giver_org: text.promiser_org,
        receiver_org: text.promisee_org,
        ..GestureText::default()
    };
    // The gesture's columns are the promise's.
    let resolved = snapshot
        .resolve_gesture(&promised, written)
        .map_err(|errors| {
            errors
                .into_iter()
                .map(|mut e| {
                    if e.said.as_ref().map(|s| s.code) == Some(Code::GivesToItself) {
                        e = crate::field::Error::new(
                            "receiver",
                            "a party cannot make a promise to itself",
                        )
                        .said(Code::PromiseToItself, &[]);
                    }
                    e.column = match e.column {
                        "at" => "due",
                        "giver" => "promiser",
                        "receiver" => "promisee",
                        "giver_org" => "promiser_org",
                        "receiver_org" => "promisee_org",
                        other => other,
                    };
                    e
                })
                .collect::<Vec<_>>()
        })?;
    let made = if text.made.trim().is_empty() {
        now
    } else {
        match written {
            Written::File(_) => snapshot.zone.parse(text.made),
            Written::Typed => snapshot.zone.parse_typed(text.made, now),
        }
        .map_err(|e| {
            one(
                "made",
                e.to_string(),
                Code::MomentUnreadable,
                &[("text", text.made.trim())],
            )
        })?
    };
    let g = resolved.gesture;
    if g.amount.minor() < 0 {
        return Err(one(
            "amount",
            format!(
                "{}: a promise is of something given, never negative",
                g.amount
            ),
            Code::PromiseNegative,
            &[("amount", &g.amount.to_string())],
        ));
    }
    if g.at < made {
        let (due, made) = (
            g.at.display_in(&snapshot.zone).to_string(),
            made.display_in(&snapshot.zone).to_string(),
        );
        return Err(one(
            "due",
            format!("the due moment {due} is before the promise was made ({made})"),
            Code::PromiseDueBeforeMade,
            &[("due", &due), ("made", &made)],
        ));
    }
    Ok(NewPromise {
        id,
        promiser: g.giver,
        promisee: g.receiver,
        promiser_org: g.giver_org,
        promisee_org: g.receiver_org,
        kind: g.kind,
        amount: g.amount,
        made,
        due: g.at,
        note: g.note,
    })
}

pub(crate) fn same_content(stored: &Promise, new: &NewPromise) -> bool {
    stored.made == new.made && same_content_but_made(stored, new)
}

fn same_content_but_made(stored: &Promise, new: &NewPromise) -> bool {
    stored.promiser == new.promiser
        && stored.promisee == new.promisee
        && stored.promiser_org == new.promiser_org
        && stored.promisee_org == new.promisee_org
        && stored.kind == new.kind
        && stored.amount == new.amount
        && stored.note == new.note
}

/// Keeps a pending promise at `now` with `amount` (the promised one unless
/// given, at most that): records the promised gesture. Sweeps first.
pub fn keep_promise<S: Store + ?Sized>(
    store: &mut S,
    id: &str,
    amount: Option<&str>,
    now: Moment,
) -> Result<PromiseView, LedgerError> {
    break_due_first(store, now)?;
    let promise = in_transaction(store, |store| {
        let promise = pending(store, id)?;
        let kept = match amount.map(str::trim).filter(|a| !a.is_empty()) {
            None => promise.amount,
            Some(text) => {
                let kept = Amount::parse_typed(text).map_err(|e| {
                    refuse_said(
                        "amount",
                        e.to_string(),
                        Code::AmountUnreadable,
                        &[("text", text)],
                    )
                })?;
                if kept.minor() < 0 || kept > promise.amount {
                    return Err(refuse_said(
                        "amount",
                        format!(
                            "{kept}: a promise of {} is kept with 0 up to {}",
                            promise.amount, promise.amount
                        ),
                        Code::PromiseKeptAmount,
                        &[
                            ("amount", &kept.to_string()),
                            ("promised", &promise.amount.to_string()),
                        ],
                    ));
                }
                kept
            }
        };
        let gesture = promise.id.kept_gesture();
        resolve_with(
            store,
            &promise,
            Resolution {
                state: PromiseState::Kept,
                at: now,
                gesture: Some(&gesture),
                kept: Some(kept),
                reason: None,
            },
        )?;
        record(store, &[(promise.clone(), now, None, Some(kept))])?;
        Ok::<_, LedgerError>(promise.id)
    })?;
    stored_view(store, &promise)
}

/// Breaks a pending promise by hand at `now`, with a note: records a
/// `broken_promise` gesture. Sweeps first.
pub fn break_promise<S: Store + ?Sized>(
    store: &mut S,
    id: &str,
    note: Option<&str>,
    now: Moment,
) -> Result<PromiseView, LedgerError> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    break_due_first(store, now)?;
    let promise = in_transaction(store, |store| {
        let promise = pending(store, id)?;
        let gesture = promise.id.broken_gesture();
        resolve_with(
            store,
            &promise,
            Resolution {
                state: PromiseState::Broken,
                at: now,
                gesture: Some(&gesture),
                kept: None,
                reason: note,
            },
        )?;
        record(store, &[(promise.clone(), now, note, None)])?;
        Ok::<_, LedgerError>(promise.id)
    })?;
    stored_view(store, &promise)
}

/// Gives a pending promise a new due moment after `now`: renegotiated. Sweeps
/// first, so a promise whose due moment passed is broken, not moved.
pub fn move_promise<S: Store + ?Sized>(
    store: &mut S,
    id: &str,
    due: &str,
    now: Moment,
) -> Result<PromiseView, LedgerError> {
    break_due_first(store, now)?;
    let promise = in_transaction(store, |store| {
        let promise = pending(store, id)?;
        let zone = crate::store::zone_of(store)?;
        let due = zone.parse_typed(due, now).map_err(|e| {
            refuse_said(
                "due",
                e.to_string(),
                Code::MomentUnreadable,
                &[("text", due.trim())],
            )
        })?;
        if due <= now {
            let shown = due.display_in(&zone).to_string();
            return Err(refuse_said(
                "due",
                format!(
                    "the new due moment {shown} has passed: a promise is moved to a moment to come"
                ),
                Code::PromiseMoveToPast,
                &[("due", &shown)],
            ));
        }
        // Its break at the new due moment must count for one organization
        // on each side, as when it was made.
        let snapshot = Snapshot::memberships_only(store)?;
        for (party, named, column) in [
            (promise.promiser, promise.promiser_org, "promiser_org"),
            (promise.promisee, promise.promisee_org, "promisee_org"),
        ] {
            if let Err(e) = snapshot.memberships().unit(party, due, named) {
                return Err(LedgerError::Invalid(vec![field::Error::new(
                    column,
                    format!(
                        "at {} its {} is {e}: a promise is moved to a moment when each side counts for one organization",
                        due.display_in(&zone),
                        column.trim_end_matches("_org"),
                    ),
                )]));
            }
        }
        if !store.move_promise(promise.row, due, now)? {
            return Err(resolved_already(store, &promise.id)?);
        }
        Ok::<_, LedgerError>(promise.id)
    })?;
    stored_view(store, &promise)
}

/// Releases a pending promise by agreement, with a reason: no gesture. Sweeps
/// first.
pub fn release_promise<S: Store + ?Sized>(
    store: &mut S,
    id: &str,
    reason: &str,
    now: Moment,
) -> Result<PromiseView, LedgerError> {
    let reason = reason.trim();
    break_due_first(store, now)?;
    let promise = in_transaction(store, |store| {
        let promise = pending(store, id)?;
        if reason.is_empty() {
            return Err(refuse_said(
                "reason",
                "a promise is released with a reason".to_string(),
                Code::PromiseNeedsReason,
                &[],
            ));
        }
        resolve_with(
            store,
            &promise,
            Resolution {
                state: PromiseState::Released,
                at: now,
                gesture: None,
                kept: None,
                reason: Some(reason),
            },
        )?;
        Ok::<_, LedgerError>(promise.id)
    })?;
    stored_view(store, &promise)
}

/// Breaks the promises that fell due by `now`, in a write of its own that
/// stays when the change that follows is refused: a change of a promise acts
/// on what is still pending at `now`. (Commands and requests that write run
/// the whole sweep first; this is the part a change of a promise relies on.)
fn break_due_first<S: Store + ?Sized>(store: &mut S, now: Moment) -> Result<(), LedgerError> {
    in_transaction(store, |store| {
        break_due(store, now, SWEEP_BATCH, &mut Vec::new())
    })
    .map(|_| ())
}

/// The sweep's part for promises ([`super::sweep`]), inside its write: the
/// pending promises due at or before `now` are broken at their due moments,
/// a batch at a time; their ids, soonest due first. A promise whose broken
/// promise cannot be recorded (its party counts for no single organization
/// at its due moment, in a store written before such memberships were
/// refused) stays pending and is named in `stranded`; the sweep goes on.
pub(super) fn break_due<S: Store + ?Sized>(
    store: &mut S,
    now: Moment,
    batch: usize,
    stranded_ones: &mut Vec<Stranded>,
) -> Result<Vec<PromiseId>, LedgerError> {
    let mut swept = Vec::new();
    // Read once for the whole sweep (a sweep adds no party or membership);
    // the sums are written once at the end, or when they grow large.
    let mut snapshot: Option<Snapshot> = None;
    let mut pending = BalanceMap::new();
    // Where the next batch starts: after the last promise of this one, so a
    // stranded promise, which stays pending, is read once.
    let mut after: Option<(Moment, PromiseId)> = None;
    loop {
        let due = store.due_promises(now, after.as_ref().map(|(due, id)| (*due, id)), batch)?;
        let Some(last) = due.last() else {
            flush(store, &mut pending)?;
            return Ok(swept);
        };
        after = Some((last.due, last.id.clone()));
        let snapshot: &Snapshot = match snapshot {
            Some(ref snapshot) => snapshot,
            // A batch short of full is the last: its parties are enough.
            None if due.len() < batch => {
                snapshot.insert(snapshot_of(store, &parties_of(due.iter()))?)
            }
            None => snapshot.insert(Snapshot::load(store)?),
        };
        let due: Vec<Promise> = due
            .into_iter()
            .filter(|p| match stranded(snapshot, p, None, "is") {
                Some(problem) => {
                    let promise = p.id.clone();
                    stranded_ones.push(Stranded { promise, problem });
                    false
                }
                None => true,
            })
            .collect();
        let gestures: Vec<GestureId> = due.iter().map(|p| p.id.broken_gesture()).collect();
        let resolutions: Vec<(i64, Resolution<'_>)> = due
            .iter()
            .zip(&gestures)
            .map(|(promise, gesture)| {
                (
                    promise.row,
                    Resolution {
                        state: PromiseState::Broken,
                        at: promise.due,
                        gesture: Some(gesture),
                        kept: None,
                        reason: None,
                    },
                )
            })
            .collect();
        let resolved = store.resolve_promises(&resolutions)?;
        let mut broken = Vec::with_capacity(due.len());
        // Another process that broke one first recorded its gesture too.
        for (promise, now_resolved) in due.into_iter().zip(resolved) {
            if now_resolved {
                let at = promise.due;
                swept.push(promise.id.clone());
                broken.push((promise, at, None, None));
            }
        }
        record_into(store, snapshot, &broken, &mut pending)?;
        if pending.len() + pending.months_len() > SWEEP_PENDING {
            flush(store, &mut pending)?;
        }
    }
}

/// A promise that fell due and stays pending because its broken promise
/// cannot be recorded, and why (`docs/promises.md`, "The sweep").
#[derive(Debug, Clone, Serialize)]
pub struct Stranded {
    pub promise: PromiseId,
    pub problem: String,
}

/// Resolves a pending promise, or names how it was resolved already.
fn resolve_with<S: Store + ?Sized>(
    store: &mut S,
    promise: &Promise,
    resolution: Resolution<'_>,
) -> Result<(), LedgerError> {
    if store.resolve_promise(promise.row, &resolution)? {
        Ok(())
    } else {
        Err(resolved_already(store, &promise.id)?)
    }
}

/// A promise that resolves with a gesture: the promise, the moment, a note,
/// and what keeping it gave (none: it was broken).
type Resolving<'a> = (Promise, Moment, Option<&'a str>, Option<Amount>);

/// Records the gestures that resolve promises, with their sums.
fn record<S: Store + ?Sized>(store: &mut S, resolved: &[Resolving<'_>]) -> Result<(), LedgerError> {
    if resolved.is_empty() {
        return Ok(());
    }
    let snapshot = snapshot_of(store, &parties_of(resolved.iter().map(|(p, ..)| p)))?;
    let mut pending = BalanceMap::new();
    record_into(store, &snapshot, resolved, &mut pending)?;
    flush(store, &mut pending)?;
    Ok(())
}

/// The parties that promises name, once each, in order.
fn parties_of<'p>(promises: impl Iterator<Item = &'p Promise>) -> Vec<PartyId> {
    let mut parties: Vec<PartyId> = promises
        .flat_map(|p| {
            [
                Some(p.promiser),
                Some(p.promisee),
                p.promiser_org,
                p.promisee_org,
            ]
        })
        .flatten()
        .collect();
    parties.sort_unstable();
    parties.dedup();
    parties
}

/// Records the gestures that resolve promises, adding their sums to
/// `pending` for the caller to write.
fn record_into<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    resolved: &[Resolving<'_>],
    pending: &mut BalanceMap,
) -> Result<(), LedgerError> {
    let catalog: &Catalog = snapshot.catalog();
    let broken_kind = catalog.kind_by_code(BROKEN_PROMISE).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "the kind {BROKEN_PROMISE} is missing from the catalog"
        ))
    })?;
    let mut batch = Vec::with_capacity(resolved.len());
    for (promise, at, note, kept) in resolved {
        let (id, kind, amount) = match kept {
            Some(kept) => {
                let kind = catalog.kind_by_id(promise.kind).ok_or_else(|| {
                    StoreError::Corrupt(format!("kind #{} is missing", promise.kind.0))
                })?;
                (promise.id.kept_gesture(), kind, *kept)
            }
            None => {
                let amount = broken_kind.def.default.ok_or_else(|| {
                    LedgerError::Invalid(vec![field::Error::new(
                        "kind",
                        format!("the kind {BROKEN_PROMISE} has no default amount to record a broken promise with"),
                    )])
                })?;
                (promise.id.broken_gesture(), broken_kind, amount)
            }
        };
        let gesture = Gesture {
            id,
            at: *at,
            giver: promise.promiser,
            receiver: promise.promisee,
            giver_org: promise.promiser_org,
            receiver_org: promise.promisee_org,
            kind: kind.id,
            dimension: kind.def.dimension,
            amount,
            note: match kept {
                Some(_) => promise.note.clone(),
                None => note.map(str::to_string),
            },
            item: None,
            reverses: None,
        };
        let units = snapshot
            .units(&gesture, *at)
            .map_err(|e| LedgerError::Invalid(vec![e]))?;
        batch.push(Resolved {
            gesture,
            amount_given: true,
            units: Some(units),
        });
    }
    for outcome in record_all(store, snapshot, batch, pending)? {
        if let Recorded::Refused(e) = outcome {
            return Err(LedgerError::Invalid(vec![e]));
        }
    }
    Ok(())
}

/// The parties named and their memberships: read by key for a few, all at
/// once for many.
fn snapshot_of<S: Store + ?Sized>(
    store: &mut S,
    parties: &[PartyId],
) -> Result<Snapshot, LedgerError> {
    if parties.len() > 256 {
        return Ok(Snapshot::load(store)?);
    }
    let mut keys = Vec::with_capacity(parties.len());
    for &id in parties {
        let party = store
            .party_by_id(id)?
            .ok_or_else(|| StoreError::Corrupt(format!("party #{} is missing", id.0)))?;
        keys.push(party.fields.key.to_string());
    }
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    Ok(Snapshot::for_keys(store, &keys)?)
}

/// The promise with this id, pending; or why it is not.
fn pending<S: Store + ?Sized>(store: &mut S, id: &str) -> Result<Promise, LedgerError> {
    let promise = find(store, id)?;
    if promise.state.pending() {
        Ok(promise)
    } else {
        Err(resolved_already(store, &promise.id)?)
    }
}

fn find<S: Store + ?Sized>(store: &mut S, id: &str) -> Result<Promise, LedgerError> {
    let parsed = PromiseId::parse(id).map_err(|e| {
        LedgerError::Invalid(vec![
            field::Error::new("id", e.to_string()).as_said(e.said()),
        ])
    })?;
    let found = match parsed {
        Some(parsed) => store.promise(&parsed)?,
        None => None,
    };
    found.ok_or_else(|| LedgerError::NotFound {
        message: format!("no promise with id '{}'", id.trim()),
        said: Some(field::Said::new(Code::PromiseUnknown, &[("id", id.trim())])),
    })
}

/// Why a promise can no longer be kept, broken, moved or released: how it was
/// resolved, when, and its gesture.
fn resolved_already<S: Store + ?Sized>(
    store: &mut S,
    id: &PromiseId,
) -> Result<LedgerError, LedgerError> {
    let promise = store
        .promise(id)?
        .ok_or_else(|| StoreError::Corrupt(format!("promise {id} is missing")))?;
    let zone = crate::store::zone_of(store)?;
    let when = promise
        .resolved_at
        .map(|at| at.display_in(&zone).to_string())
        .unwrap_or_default();
    let how = match (&promise.gesture, &promise.reason) {
        (Some(gesture), _) => format!(" by gesture {gesture}"),
        (None, Some(reason)) => format!(": {reason}"),
        (None, None) => String::new(),
    };
    let message = format!(
        "promise {id} was {} on {when}{how}; it is resolved once",
        promise.state
    );
    let gesture = promise
        .gesture
        .as_ref()
        .map(|g| g.to_string())
        .unwrap_or_default();
    let reason = promise.reason.clone().unwrap_or_default();
    let (code, third) = match promise.state {
        PromiseState::Kept => (Code::PromiseWasKept, ("gesture", gesture.as_str())),
        PromiseState::Broken => (Code::PromiseWasBroken, ("gesture", gesture.as_str())),
        _ => (Code::PromiseWasReleased, ("reason", reason.as_str())),
    };
    Ok(refuse_said(
        "id",
        message,
        code,
        &[("id", id.as_str()), ("when", &when), third],
    ))
}

/// A length of time typed as a number and a unit: `12h`, `7d`, `2w`; in
/// milliseconds.
pub fn parse_duration_ms(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let hours = match unit.trim() {
        "h" | "u" => 1,
        "d" => 24,
        "w" => 24 * 7,
        _ => {
            return Err(format!(
                "'{text}': a number and h, d or w, as in 12h, 7d, 2w"
            ));
        }
    };
    let number: i64 = number
        .parse()
        .map_err(|_| format!("'{text}': a number and h, d or w, as in 12h, 7d, 2w"))?;
    number
        .checked_mul(hours * 3_600_000)
        .ok_or_else(|| format!("'{text}' is too long"))
}

/// Which promises to list.
#[derive(Clone, Copy, Debug, Default)]
pub struct PromiseQuery<'a> {
    /// Made by or to this party.
    pub party: Option<&'a str>,
    /// Only open or renegotiated ones.
    pub pending: bool,
    /// Only pending ones whose due moment passed by `now`.
    pub overdue: bool,
    /// Only pending ones due within this many milliseconds of `now`.
    pub due_within_ms: Option<i64>,
    /// Only those broken at or after this moment.
    pub broken_since: Option<Moment>,
    pub now: Option<Moment>,
    /// At most this many; all when 0.
    pub limit: usize,
}

/// The promises a query asks for, the soonest due first.
pub fn list_promises<S: Store + ?Sized>(
    store: &mut S,
    query: &PromiseQuery<'_>,
) -> Result<Vec<PromiseView>, LedgerError> {
    in_read(store, |store| {
        let filter = promise_filter(store, query)?;
        let promises = store.promises(&filter)?;
        views_of(store, promises)
    })
}

/// A page of promises, the soonest due first.
#[derive(Debug, Clone, Serialize)]
pub struct PromisePage {
    pub promises: Vec<PromiseView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// The promises a query asks for, a page at a time: at most `limit` (100
/// when absent, 1 to 1,000), after the page `cursor` names. A page reads two
/// ranges of an index in due order however many promises a party has, so
/// the first page of a party with 100,000 costs what one with 100 does.
/// (`query.limit` is not used.)
pub fn promise_page<S: Store + ?Sized>(
    store: &mut S,
    query: &PromiseQuery<'_>,
    cursor: Option<&str>,
    limit: Option<usize>,
) -> Result<PromisePage, LedgerError> {
    let limit = super::lookup::page_limit(limit)?;
    let after = cursor.map(parse_cursor).transpose()?;
    in_read(store, |store| {
        let mut filter = promise_filter(store, query)?;
        filter.after = after;
        filter.limit = limit + 1;
        let mut promises = store.promises(&filter)?;
        let more = promises.len() > limit;
        promises.truncate(limit);
        let next_cursor = promises
            .last()
            .filter(|_| more)
            .map(|p| format!("{}:{}", p.due.millis(), p.id.as_str()));
        Ok(PromisePage {
            promises: views_of(store, promises)?,
            next_cursor,
        })
    })
}

/// The last promise of a page, from its cursor: `due:id`, the due moment in
/// milliseconds (which holds no `:`) and the promise's id.
fn parse_cursor(cursor: &str) -> Result<(Moment, PromiseId), LedgerError> {
    cursor
        .split_once(':')
        .and_then(|(due, id)| {
            let due = due.parse::<i64>().ok()?;
            let id = PromiseId::parse(id).ok().flatten()?;
            Some((Moment::from_millis(due), id))
        })
        .ok_or_else(|| {
            LedgerError::Invalid(vec![field::Error::new(
                "cursor",
                format!(
                    "'{}' is not a cursor this server gave",
                    balans_core::Quoted(cursor)
                ),
            )])
        })
}

/// The store's filter for a query: its party found, its moments made.
fn promise_filter<S: Store + ?Sized>(
    store: &mut S,
    query: &PromiseQuery<'_>,
) -> Result<PromiseFilter, LedgerError> {
    let party = query
        .party
        .map(|key| super::find_party(store, key))
        .transpose()?;
    let now = query.now.unwrap_or_else(Moment::now);
    let due_before = match (query.overdue, query.due_within_ms) {
        (true, _) => Some(now),
        (false, Some(ms)) => Some(Moment::from_millis(now.millis().saturating_add(ms))),
        (false, None) => None,
    };
    Ok(PromiseFilter {
        party: party.map(|p| p.id),
        pending: query.pending || due_before.is_some(),
        due_before,
        broken_since: query.broken_since,
        after: None,
        limit: query.limit,
    })
}

/// How a side keeps its promises: kept / (kept + broken), a promise kept in
/// part counting by its share; none when none was resolved so.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct KeptRate {
    pub rate: Option<f64>,
    /// The promises kept or broken it counts.
    pub resolved: usize,
}

/// How `a` keeps its promises (to `b`, or to anyone) and how `b` keeps its
/// promises to `a` (or how anyone keeps theirs to `a`), over the promises
/// resolved in a period.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct KeptRates {
    pub a: KeptRate,
    pub b: KeptRate,
}

/// The kept rates of `a` and `b` (`docs/promises.md`, "Kept rate"). A
/// promise counts for the side of an organization when its promiser (or
/// promisee) was the organization or counted for it when the promise was
/// resolved, as the gesture that resolved it counts.
pub fn kept_rates<S: Store + ?Sized>(
    store: &mut S,
    a: &str,
    b: Option<&str>,
    period: ResolvedIn,
) -> Result<KeptRates, LedgerError> {
    Ok(pair_promises(store, a, b, period, 0)?.rates)
}

/// The kept rates of a party, or of a pair, over a period, for a person to
/// read (`balans promise rate`, `GET /api/v1/kept-rates`).
#[derive(Debug, Clone, Serialize)]
pub struct KeptRatesView {
    /// The party's key.
    pub party: String,
    /// The other party's key, when the rates are of a pair.
    pub with: Option<String>,
    /// The period's start, in the store's time zone: from the first when
    /// absent.
    pub since: Option<String>,
    /// The period's end (not in it), in the store's time zone: up to now
    /// when absent.
    pub until: Option<String>,
    /// How the party keeps its promises (to `with`, or to anyone).
    pub by_party: KeptRate,
    /// How promises to the party are kept (by `with`, or by anyone).
    pub to_party: KeptRate,
}

/// [`kept_rates`] over the promises resolved at or after `since` and before
/// `until`, moments as a person types them (`2025-01-01`, `1-1-2025`,
/// `today`), in the store's time zone; either end open when absent.
pub fn kept_rates_in<S: Store + ?Sized>(
    store: &mut S,
    party: &str,
    with: Option<&str>,
    (since, until): (Option<&str>, Option<&str>),
    now: Moment,
) -> Result<KeptRatesView, LedgerError> {
    let zone = crate::store::zone_of(store)?;
    let moment = |column: &'static str, text: Option<&str>| {
        text.map(|text| {
            zone.parse_typed(text, now).map_err(|e| {
                refuse_said(
                    column,
                    e.to_string(),
                    Code::MomentUnreadable,
                    &[("text", text.trim())],
                )
            })
        })
        .transpose()
    };
    let period = ResolvedIn {
        since: moment("since", since)?,
        until: moment("until", until)?,
    };
    let shown = |m: Option<Moment>| m.map(|m| m.display_in(&zone).to_string());
    if let (Some(since), Some(until)) = (period.since, period.until)
        && until <= since
    {
        return Err(LedgerError::Invalid(vec![field::Error::new(
            "until",
            format!(
                "the period ends ({}) before it starts ({})",
                until.display_in(&zone),
                since.display_in(&zone)
            ),
        )]));
    }
    // Named as stored, however they were typed.
    let party = super::find_party(store, party)?.fields.key.to_string();
    let with = with
        .map(|with| super::find_party(store, with).map(|p| p.fields.key.to_string()))
        .transpose()?;
    if with.as_ref() == Some(&party) {
        return Err(LedgerError::Invalid(vec![field::Error::new(
            "with",
            format!("{party} keeps no promises to itself: name another party, or none"),
        )]));
    }
    let rates = kept_rates(store, &party, with.as_deref(), period)?;
    Ok(KeptRatesView {
        party,
        with,
        since: shown(period.since),
        until: shown(period.until),
        by_party: rates.a,
        to_party: rates.b,
    })
}

/// A relationship's promises: the kept rates of both sides, and its promises
/// (pending ones counted by whom their parties count for now), at most
/// `shown` of them (none when 0): the pending ones first, the soonest due
/// first, then the resolved ones, the latest resolved first — what is still
/// to come, then what became of the last ones, not the oldest of a long
/// history.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PairPromises {
    pub rates: KeptRates,
    pub promises: Vec<PromiseView>,
}

/// See [`PairPromises`] and [`kept_rates`]. The rates come from the
/// store's tallies of the kept and broken promises of `a`'s people, not from
/// each promise; the promises shown from the pending promises of a side's
/// people in due order and resolved ones latest first, a page at a time
/// until enough count for the pair: neither reads every promise of a party
/// with many.
pub fn pair_promises<S: Store + ?Sized>(
    store: &mut S,
    a: &str,
    b: Option<&str>,
    period: ResolvedIn,
    shown: usize,
) -> Result<PairPromises, LedgerError> {
    in_read(store, |store| {
        let a = super::find_party(store, a)?;
        let b = b.map(|b| super::find_party(store, b)).transpose()?;
        let snapshot = Snapshot::memberships_only(store)?;
        let sides = Sides {
            index: snapshot.memberships(),
            a: a.id,
            b: b.as_ref().map(|b| b.id),
        };
        let people = |party: PartyId| {
            let mut people: Vec<PartyId> = sides.index.people_of(party).chain([party]).collect();
            people.sort_unstable();
            people.dedup();
            people
        };
        let people_a = people(a.id);

        // The rates: each tally counted as a whole where neither of its
        // parties changed organizations while its promises were resolved,
        // else promise by promise.
        let (mut ours, mut theirs) = (Tally::default(), Tally::default());
        for t in store.promise_tallies(&people_a, period)? {
            let Some(share) = balans_core::kept_share(t.state, t.amount, t.kept) else {
                continue;
            };
            let steady = sides.steady(t.promiser, t.first, t.last)
                && sides.steady(t.promisee, t.first, t.last);
            let moments = if steady {
                vec![(t.first, t.count)]
            } else {
                store
                    .tally_moments(&t, period)?
                    .into_iter()
                    .map(|at| (at, 1))
                    .collect()
            };
            for (at, count) in moments {
                match sides.of(t.promiser, t.promiser_org, t.promisee, t.promisee_org, at) {
                    Some(Side::Ours) => ours.add(share, count),
                    Some(Side::Theirs) => theirs.add(share, count),
                    None => {}
                }
            }
        }

        // The promises shown: read from the side with fewer people (every
        // promise of the pair has a party of each side), the pending ones of
        // all its people soonest due first, then if that is not enough the
        // resolved ones latest first, a page at a time until enough count.
        let mut pending: Vec<Promise> = Vec::new();
        let mut resolved: Vec<Promise> = Vec::new();
        if shown > 0 {
            let now = Moment::now();
            let counts = |p: &Promise| {
                let at = p.resolved_at.unwrap_or(now);
                sides
                    .of(p.promiser, p.promiser_org, p.promisee, p.promisee_org, at)
                    .is_some()
            };
            let scanned = match &b {
                Some(b) => {
                    let people_b = people(b.id);
                    if people_b.len() < people_a.len() {
                        people_b
                    } else {
                        people_a.clone()
                    }
                }
                None => people_a.clone(),
            };
            // Pages of at least this many: most promises of a side count.
            let page = shown.max(50);
            pending = first_that_count(shown, page, &counts, |after| {
                let after = after.map(|p| (p.due, &p.id));
                store.promises_of(&scanned, PromiseOrder::Pending, after, page)
            })?;
            let wanted = shown - pending.len();
            if wanted > 0 {
                resolved = first_that_count(wanted, page, &counts, |after| match after {
                    Some(Promise {
                        resolved_at: Some(at),
                        id,
                        ..
                    }) => store.promises_of(
                        &scanned,
                        PromiseOrder::LatestResolved,
                        Some((*at, id)),
                        page,
                    ),
                    Some(_) => Ok(Vec::new()),
                    None => store.promises_of(&scanned, PromiseOrder::LatestResolved, None, page),
                })?;
            }
        }
        pending.append(&mut resolved);
        Ok(PairPromises {
            rates: KeptRates {
                a: ours.rate(),
                b: theirs.rate(),
            },
            promises: views_of(store, pending)?,
        })
    })
}

/// The first `wanted` promises that `counts`, from the pages `next` reads in
/// order, each after the last of the page before (none for the first).
fn first_that_count(
    wanted: usize,
    page: usize,
    counts: &impl Fn(&Promise) -> bool,
    mut next: impl FnMut(Option<&Promise>) -> crate::store::StoreResult<Vec<Promise>>,
) -> Result<Vec<Promise>, LedgerError> {
    let mut taken = Vec::new();
    let mut last: Option<Promise> = None;
    loop {
        let batch = next(last.as_ref())?;
        let full = batch.len() == page;
        last = batch.last().cloned();
        for p in batch {
            if counts(&p) {
                taken.push(p);
                if taken.len() == wanted {
                    return Ok(taken);
                }
            }
        }
        if !full {
            return Ok(taken);
        }
    }
}

/// Which side of a pair (or of a party and everyone else) a promise counts
/// for (`docs/promises.md`, "Kept rate").
struct Sides<'i> {
    index: &'i balans_core::MembershipIndex,
    a: PartyId,
    b: Option<PartyId>,
}

enum Side {
    /// Made by `a` (to `b`, or to anyone not of `a`).
    Ours,
    /// Made to `a` (by `b`, or by anyone not of `a`).
    Theirs,
}

impl Sides<'_> {
    /// Whether `party`, or the organization `org` it names, counts for `side`
    /// at `at`.
    fn counts_for(&self, party: PartyId, org: Option<PartyId>, at: Moment, side: PartyId) -> bool {
        party == side
            || self
                .index
                .unit(party, at, org)
                .is_ok_and(|unit| unit == side)
    }

    /// The side a promise from `promiser` to `promisee` counts for at `at`,
    /// if either.
    fn of(
        &self,
        promiser: PartyId,
        promiser_org: Option<PartyId>,
        promisee: PartyId,
        promisee_org: Option<PartyId>,
        at: Moment,
    ) -> Option<Side> {
        let by_a = self.counts_for(promiser, promiser_org, at, self.a);
        let to_a = self.counts_for(promisee, promisee_org, at, self.a);
        let other = |party, org| match self.b {
            Some(b) => self.counts_for(party, org, at, b),
            None => true,
        };
        if by_a && !to_a && other(promisee, promisee_org) {
            Some(Side::Ours)
        } else if to_a && !by_a && other(promiser, promiser_org) {
            Some(Side::Theirs)
        } else {
            None
        }
    }

    /// Whether what `party` counts for stays the same from `first` to `last`:
    /// none of its memberships starts or ends in between.
    fn steady(&self, party: PartyId, first: Moment, last: Moment) -> bool {
        let changes = |at: Moment| first < at && at <= last;
        self.index
            .of_person(party)
            .iter()
            .all(|m| !changes(m.from) && !m.until.is_some_and(changes))
    }
}

/// Kept shares summed, and how many.
#[derive(Default)]
struct Tally {
    sum: f64,
    count: u64,
}

impl Tally {
    fn add(&mut self, share: f64, count: u64) {
        for _ in 0..count {
            self.sum += share;
        }
        self.count += count;
    }

    fn rate(&self) -> KeptRate {
        KeptRate {
            rate: (self.count > 0).then(|| self.sum / self.count as f64),
            resolved: usize::try_from(self.count).unwrap_or(usize::MAX),
        }
    }
}

/// One promise, with its due moments.
pub fn promise<S: Store + ?Sized>(store: &mut S, id: &str) -> Result<PromiseView, LedgerError> {
    let promise = find(store, id)?;
    view_of(store, promise)
}

fn stored_view<S: Store + ?Sized>(
    store: &mut S,
    id: &PromiseId,
) -> Result<PromiseView, LedgerError> {
    let promise = store
        .promise(id)?
        .ok_or_else(|| StoreError::Corrupt(format!("promise {id} is missing")))?;
    view_of(store, promise)
}

fn view_of<S: Store + ?Sized>(store: &mut S, promise: Promise) -> Result<PromiseView, LedgerError> {
    Ok(views_of(store, vec![promise])?.remove(0))
}

fn views_of<S: Store + ?Sized>(
    store: &mut S,
    promises: Vec<Promise>,
) -> Result<Vec<PromiseView>, LedgerError> {
    let catalog = store.catalog()?;
    // Every party named, read in one batch: a party's list may name
    // thousands of others.
    let ids = parties_of(promises.iter());
    // Shared by every view that names them: a list names each party once.
    let parties: HashMap<PartyId, Arc<PartyRef>> = store
        .parties_by_ids(&ids)?
        .iter()
        .map(|party| (party.id, Arc::new(PartyRef::from(party))))
        .collect();
    let named = |id: PartyId| -> Result<Arc<PartyRef>, LedgerError> {
        parties
            .get(&id)
            .cloned()
            .ok_or_else(|| StoreError::Corrupt(format!("party #{} is missing", id.0)).into())
    };
    // An open promise was never moved: its one due moment was agreed when
    // it was made (`balans check` verifies it), so a list of open promises
    // reads no due moments; the others' are read in one batch.
    let moved: Vec<i64> = promises
        .iter()
        .filter(|p| p.state != PromiseState::Open)
        .map(|p| p.row)
        .collect();
    let mut dues_of = dues_of(store, &moved)?;
    let mut views = Vec::with_capacity(promises.len());
    for p in promises {
        let dues: Vec<Due> = if p.state == PromiseState::Open {
            vec![Due {
                due: p.due,
                agreed: p.made,
            }]
        } else {
            dues_of.remove(&p.row).unwrap_or_default()
        };
        views.push(PromiseView {
            kind: catalog
                .kind_by_id(p.kind)
                .map(|k| k.def.code.to_string())
                .ok_or_else(|| StoreError::Corrupt(format!("kind #{} is missing", p.kind.0)))?,
            promiser: named(p.promiser)?,
            promisee: named(p.promisee)?,
            promiser_org: p.promiser_org.map(named).transpose()?,
            promisee_org: p.promisee_org.map(named).transpose()?,
            amount: p.amount,
            made: p.made,
            due: p.due,
            state: p.state.as_str(),
            kept_in_part: p.kept_in_part(),
            gesture: p.gesture,
            kept: p.kept,
            resolved_at: p.resolved_at,
            note: p.note,
            reason: p.reason,
            id: p.id,
            dues: dues
                .into_iter()
                .map(|d| DueView {
                    due: d.due,
                    agreed: d.agreed,
                })
                .collect(),
        });
    }
    Ok(views)
}

/// Refuses membership changes (already in `snapshot`) that would leave a
/// changed person's pending promise attributable to no single organization
/// at its due moment: its automatic break could not be recorded, and the
/// sweep that every write runs first would fail. Names the promise and what
/// to do.
pub(crate) fn check_pending_promises<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    changes: &[(Option<balans_core::Membership>, balans_core::Membership)],
) -> Result<(), LedgerError> {
    let mut people: Vec<PartyId> = changes.iter().map(|(_, new)| new.person).collect();
    people.sort_unstable();
    people.dedup();
    let mut problems = Vec::new();
    for person in people {
        let filter = PromiseFilter {
            party: Some(person),
            pending: true,
            ..PromiseFilter::default()
        };
        for p in store.promises(&filter)? {
            if let Some(why) = stranded(snapshot, &p, Some(person), "would be") {
                problems.push(field::Error::new(
                    "organization",
                    format!(
                        "{why}. Release the promise first, or change the memberships so that \
                         one organization holds then."
                    ),
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(LedgerError::Invalid(problems))
    }
}

/// Why a pending promise's broken promise could not be recorded at its due
/// moment, if it could not: `person` (either party when `None`) counts for
/// no single organization then. In words, "promise … falls due at …, when
/// … `is` a member of several organizations: …".
pub(crate) fn stranded(
    snapshot: &Snapshot,
    p: &Promise,
    person: Option<PartyId>,
    is: &str,
) -> Option<String> {
    [(p.promiser, p.promiser_org), (p.promisee, p.promisee_org)]
        .into_iter()
        .filter(|(party, _)| person.is_none_or(|person| person == *party))
        .find_map(|(party, named)| {
            let e = snapshot.memberships().unit(party, p.due, named).err()?;
            let what = match e {
                balans_core::RollupError::Ambiguous { .. } => "a member of several organizations",
                balans_core::RollupError::NotAMember { .. } => {
                    "not a member of the organization its promise names"
                }
            };
            Some(format!(
                "promise {} falls due at {}, when {} {is} {what}: its broken promise \
                 could not be recorded",
                p.id,
                p.due.display_in(&snapshot.zone),
                snapshot.key(party)
            ))
        })
}

/// The due moments of the promises with these rows, by row, each in the
/// order agreed: read a batch at a time, not one promise at a time.
pub(crate) fn dues_of<S: Store + ?Sized>(
    store: &mut S,
    rows: &[i64],
) -> Result<HashMap<i64, Vec<Due>>, LedgerError> {
    /// Rows per statement: a bound on one statement's parameter, not a tuning.
    const BATCH: usize = 10_000;
    let mut dues: HashMap<i64, Vec<Due>> = HashMap::with_capacity(rows.len());
    for batch in rows.chunks(BATCH) {
        for (row, due) in store.promise_dues_of(batch)? {
            dues.entry(row).or_default().push(due);
        }
    }
    Ok(dues)
}

/// What is wrong with the stored promises, in words (`docs/promises.md`,
/// "Invariants"): a kept or broken promise whose gesture is missing, of
/// another kind, between other parties or for more than was promised; a
/// pending or released one that names a gesture; two naming one gesture; due
/// moments that do not end with its due moment; a pending one whose broken
/// promise could not be recorded at its due moment.
pub(crate) fn promise_problems<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
) -> Result<Vec<String>, LedgerError> {
    let mut problems = Vec::new();
    let mut named: BTreeMap<GestureId, PromiseId> = BTreeMap::new();
    let broken_kind = snapshot
        .catalog()
        .kind_by_code(BROKEN_PROMISE)
        .map(|k| k.id);
    let promises = store.promises(&PromiseFilter::default())?;
    let rows: Vec<i64> = promises.iter().map(|p| p.row).collect();
    let mut dues_of = dues_of(store, &rows)?;
    // The gestures they name, read a batch at a time.
    let named_ids: Vec<&str> = promises
        .iter()
        .filter_map(|p| p.gesture.as_ref().map(GestureId::as_str))
        .collect();
    let mut gestures: HashMap<String, balans_core::StoredGesture> =
        HashMap::with_capacity(named_ids.len());
    for batch in named_ids.chunks(10_000) {
        for stored in store.gestures_by_ids(batch)? {
            gestures.insert(stored.gesture.id.as_str().to_string(), stored);
        }
    }
    for p in promises {
        let id = &p.id;
        match (&p.gesture, p.state.has_gesture()) {
            (Some(gesture), false) => {
                problems.push(format!("{id} is {} but names gesture {gesture}", p.state))
            }
            (None, true) => problems.push(format!("{id} is {} but names no gesture", p.state)),
            (None, false) => {}
            (Some(gesture), true) => {
                if let Some(other) = named.insert(gesture.clone(), id.clone()) {
                    problems.push(format!("{other} and {id} both name gesture {gesture}"));
                }
                match gestures.get(gesture.as_str()) {
                    None => problems.push(format!(
                        "{id} is {} by gesture {gesture}, which is not stored",
                        p.state
                    )),
                    Some(stored) => {
                        let g = &stored.gesture;
                        let kind = match p.state {
                            PromiseState::Kept => Some(p.kind),
                            _ => broken_kind,
                        };
                        if (g.giver, g.receiver) != (p.promiser, p.promisee) {
                            problems.push(format!(
                                "{id}: gesture {gesture} is from {} to {}, not from {} to {}",
                                snapshot.key(g.giver),
                                snapshot.key(g.receiver),
                                snapshot.key(p.promiser),
                                snapshot.key(p.promisee)
                            ));
                        }
                        if Some(g.kind) != kind {
                            problems.push(format!(
                                "{id} is {} by gesture {gesture} of another kind",
                                p.state
                            ));
                        }
                        if p.state == PromiseState::Kept
                            && (g.amount > p.amount || Some(g.amount) != p.kept)
                        {
                            problems.push(format!(
                                "{id} was promised for {} and kept for {}, but gesture {gesture} gave {}",
                                p.amount,
                                p.kept.map(|k| k.to_string()).unwrap_or_default(),
                                g.amount
                            ));
                        }
                    }
                }
            }
        }
        if p.state.pending()
            && let Some(why) = stranded(snapshot, &p, None, "is")
        {
            problems.push(format!(
                "{why}; release it, or change the memberships so that one organization holds then"
            ));
        }
        let dues = dues_of.remove(&p.row).unwrap_or_default();
        if dues.last().map(|d| d.due) != Some(p.due) {
            problems.push(format!(
                "{id}: its due moments do not end with its due moment"
            ));
        }
        if (p.state == PromiseState::Renegotiated && dues.len() < 2)
            || (p.state == PromiseState::Open
                && dues
                    != [Due {
                        due: p.due,
                        agreed: p.made,
                    }])
        {
            problems.push(format!(
                "{id} is {} with {} due moment(s)",
                p.state,
                dues.len()
            ));
        }
    }
    Ok(problems)
}

/// A refusal naming its field, its message also as an entry of the catalog.
fn refuse_said(
    column: &'static str,
    message: String,
    code: Code,
    args: &[(&'static str, &str)],
) -> LedgerError {
    LedgerError::Invalid(vec![field::Error::new(column, message).said(code, args)])
}
