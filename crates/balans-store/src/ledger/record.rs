//! Recording and reversing: one gesture, or a batch all together or none of
//! them, through the same path an import takes (`crate::record`).

use balans_core::{BalanceMap, GestureId, Level, Moment, PartyId};
use serde::Serialize;

use super::balances::pair_balance;
use super::names::{Keyed, Names};
use super::view::PairView;
use crate::record::{Recorded, flush, record_all};
use crate::snapshot::{GestureText, Snapshot, Written};
use crate::store::{Store, StoreError, in_transaction};
use crate::{LedgerError, field};

/// What recording one gesture did.
#[derive(Debug, Clone, Serialize)]
pub struct Given {
    pub id: GestureId,
    /// False when the same gesture was stored already (a retry).
    pub added: bool,
    /// The pair's person-level balance afterwards.
    pub balance: PairView,
}

/// Records one gesture, or recognizes a retry of one already stored.
pub fn give<S: Store + ?Sized>(
    store: &mut S,
    text: &GestureText<'_>,
) -> Result<Given, LedgerError> {
    let typed = [text.giver, text.receiver, text.giver_org, text.receiver_org];
    let (id, added, keyed) = in_transaction(store, |store| {
        let mut names = Names::for_texts(store, &typed)?;
        let keyed = Keyed::of(&mut names, store, text)??;
        let text = keyed.text(text);
        let keys = [text.giver, text.receiver, text.giver_org, text.receiver_org];
        let snapshot = Snapshot::for_keys(store, &keys)?;
        let resolved = snapshot.resolve_gesture(&text, Written::Typed)?;
        let id = resolved.gesture.id.clone();
        let mut pending = BalanceMap::new();
        let outcome = record_all(store, &snapshot, vec![resolved], &mut pending)?.pop();
        let added = match outcome {
            Some(Recorded::Added) => true,
            Some(Recorded::AlreadyPresent) => false,
            Some(Recorded::Refused(e)) => return Err(LedgerError::Invalid(vec![e])),
            None => unreachable!("one gesture in, one outcome out"),
        };
        flush(store, &mut pending)?;
        Ok::<_, LedgerError>((id, added, keyed))
    })?;
    let (giver, receiver) = keyed.pair();
    let balance = pair_balance(store, giver, receiver, Some(Level::Person))?;
    Ok(Given { id, added, balance })
}

/// What recording a batch of gestures did.
#[derive(Debug, Clone, Serialize)]
pub struct BatchGiven {
    pub added: u64,
    /// Gestures whose id was stored already with the same content (retries).
    pub already_present: u64,
    /// The ids, in the order given (generated where none was).
    pub ids: Vec<GestureId>,
}

/// The most gestures one batch may hold.
pub const BATCH_GESTURES_MAX: usize = 10_000;

/// Records gestures all together or none of them: any wrong one refuses the whole
/// batch, and each error names its gesture by position (`line` is the 1-based
/// position in the batch, `file` is `gestures`).
pub fn give_batch<S: Store + ?Sized>(
    store: &mut S,
    texts: &[GestureText<'_>],
) -> Result<BatchGiven, LedgerError> {
    if texts.len() > BATCH_GESTURES_MAX {
        return Err(LedgerError::Invalid(vec![field::Error::new(
            "gestures",
            format!(
                "{} gestures; a batch holds at most {BATCH_GESTURES_MAX}",
                texts.len()
            ),
        )]));
    }
    let row_error = |index: usize, e: field::Error| crate::RowError {
        file: "gestures".to_string(),
        line: index as u64 + 1,
        column: Some(e.column),
        message: e.message,
        said: e.said,
    };
    in_transaction(store, |store| {
        // The parties the batch names, each once: cheaper than every party in a
        // large store, and the same answers.
        let typed: Vec<&str> = texts
            .iter()
            .flat_map(|t| [t.giver, t.receiver, t.giver_org, t.receiver_org])
            .collect();
        let mut names = Names::for_texts(store, &typed)?;
        let mut errors = Vec::new();
        let mut keyed = Vec::with_capacity(texts.len());
        for (index, text) in texts.iter().enumerate() {
            match Keyed::of(&mut names, store, text)? {
                Ok(k) => keyed.push(k),
                Err(list) => errors.extend(list.into_iter().map(|e| row_error(index, e))),
            }
        }
        if !errors.is_empty() {
            let total = errors.len();
            errors.truncate(crate::ERRORS_SHOWN_MAX);
            return Err(LedgerError::Rejected(crate::Rejection { errors, total }));
        }
        let texts: Vec<GestureText<'_>> = keyed
            .iter()
            .zip(texts)
            .map(|(keyed, text)| keyed.text(text))
            .collect();
        let mut keys: Vec<&str> = texts
            .iter()
            .flat_map(|t| [t.giver, t.receiver, t.giver_org, t.receiver_org])
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let snapshot = Snapshot::for_keys(store, &keys)?;
        let mut resolved = Vec::with_capacity(texts.len());
        for (index, text) in texts.iter().enumerate() {
            match snapshot.resolve_gesture(text, Written::Typed) {
                Ok(r) => resolved.push(r),
                Err(list) => errors.extend(list.into_iter().map(|e| row_error(index, e))),
            }
        }
        let mut outcome = BatchGiven {
            added: 0,
            already_present: 0,
            ids: Vec::new(),
        };
        if errors.is_empty() {
            outcome.ids = resolved.iter().map(|r| r.gesture.id.clone()).collect();
            let mut pending = BalanceMap::new();
            for (index, recorded) in record_all(store, &snapshot, resolved, &mut pending)?
                .into_iter()
                .enumerate()
            {
                match recorded {
                    Recorded::Added => outcome.added += 1,
                    Recorded::AlreadyPresent => outcome.already_present += 1,
                    Recorded::Refused(e) => errors.push(row_error(index, e)),
                }
            }
            flush(store, &mut pending)?;
        }
        if !errors.is_empty() {
            let total = errors.len();
            errors.truncate(crate::ERRORS_SHOWN_MAX);
            return Err(LedgerError::Rejected(crate::Rejection { errors, total }));
        }
        Ok(outcome)
    })
}

/// Records the reversal of a stored gesture: the same parties and kind, the
/// opposite amount, at `at` (now when absent).
pub fn reverse<S: Store + ?Sized>(
    store: &mut S,
    id: &str,
    at: Option<&str>,
    note: Option<&str>,
    reversal_id: Option<&str>,
) -> Result<Given, LedgerError> {
    let original_id = GestureId::parse(id)
        .map_err(|e| {
            LedgerError::Invalid(vec![
                field::Error::new("id", e.to_string()).as_said(e.said()),
            ])
        })?
        .ok_or_else(|| LedgerError::Invalid(vec![field::Error::new("id", "empty id")]))?;
    let original = store.gesture(&original_id)?.ok_or_else(|| {
        LedgerError::not_found(
            format!("no gesture with id '{original_id}'"),
            field::Code::UnknownGesture,
            &[("id", original_id.as_str())],
        )
    })?;
    let g = &original.gesture;
    let key = |store: &mut S, id: PartyId| -> Result<String, LedgerError> {
        Ok(store
            .party_by_id(id)?
            .ok_or_else(|| StoreError::Corrupt(format!("party #{} is missing", id.0)))?
            .fields
            .key
            .to_string())
    };
    let giver = key(store, g.giver)?;
    let receiver = key(store, g.receiver)?;
    let giver_org = g
        .giver_org
        .map(|id| key(store, id))
        .transpose()?
        .unwrap_or_default();
    let receiver_org = g
        .receiver_org
        .map(|id| key(store, id))
        .transpose()?
        .unwrap_or_default();
    let kind = store
        .kinds()?
        .into_iter()
        .find(|k| k.id == g.kind)
        .ok_or_else(|| StoreError::Corrupt(format!("kind #{} is missing", g.kind.0)))?;
    let now = Moment::now().display_in(&crate::store::zone_of(store)?);
    let amount = g.amount.negated().to_string();
    let fresh_id;
    let id = match reversal_id {
        Some(id) => id,
        None => {
            fresh_id = GestureId::fresh();
            fresh_id.as_str()
        }
    };
    let text = GestureText {
        id,
        at: at.unwrap_or(&now),
        giver: &giver,
        receiver: &receiver,
        kind: kind.def.code.as_str(),
        amount: &amount,
        note: note.unwrap_or(""),
        item: g.item.as_deref().unwrap_or(""),
        giver_org: &giver_org,
        receiver_org: &receiver_org,
        reverses: original_id.as_str(),
    };
    give(store, &text)
}
