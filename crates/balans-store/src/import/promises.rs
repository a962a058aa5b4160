//! Promises files (`promises.csv`, as export writes them): each promise with
//! its state, how it was resolved, and every due moment it had, restored as it
//! was (`docs/promises.md`). A row of a promise stored already with the same
//! content is present; with other content it is an error. The gesture that
//! kept or broke a promise comes from the store or an earlier file of the same
//! import (gestures files are read first).

use std::io::Read;

use balans_core::{Amount, Due, GestureId, Moment, PromiseState};
use balans_csv::{Column, RowError, Table};

use super::common::{Errors, Progress, Summary, for_each_row};
use crate::ledger::{BROKEN_PROMISE, PromiseText, resolve_in, same_content};
use crate::snapshot::{Snapshot, Written};
use crate::store::{Resolution, Store, StoreResult};

/// How the due moments of a promise are written in its `dues` column: each
/// due moment, `@`, the moment it was agreed; `;` between them, oldest first.
pub(crate) fn write_dues(dues: &[Due], zone: &balans_core::Zone) -> String {
    dues.iter()
        .map(|d| format!("{}@{}", d.due.display_in(zone), d.agreed.display_in(zone)))
        .collect::<Vec<_>>()
        .join(";")
}

fn read_dues(text: &str, zone: &balans_core::Zone) -> Result<Vec<Due>, String> {
    text.split(';')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (due, agreed) = part
                .split_once('@')
                .ok_or_else(|| format!("'{part}': each due moment is written DUE@AGREED"))?;
            Ok(Due {
                due: zone.parse(due).map_err(|e| e.to_string())?,
                agreed: zone.parse(agreed).map_err(|e| e.to_string())?,
            })
        })
        .collect()
}

pub(crate) fn import_promises<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    table: &mut Table<Box<dyn Read + Send>>,
    index: usize,
    summary: &mut Summary,
    errors: &mut Errors,
    progress: &(dyn Fn(Progress) + Sync),
) -> StoreResult<()> {
    let decimal = table.decimal();
    let zone = snapshot.zone.clone();
    let broken_kind = snapshot
        .catalog()
        .kind_by_code(BROKEN_PROMISE)
        .map(|k| k.id);
    summary.rows += for_each_row(table, index, errors, progress, |row, errors| {
        let mut problems: Vec<RowError> = Vec::new();
        let mut text =
            |column: Column| row.text(column).map_err(|e| problems.push(e)).unwrap_or("");
        let promise_text = PromiseText {
            id: text(Column::Id),
            promiser: text(Column::Promiser),
            promisee: text(Column::Promisee),
            kind: text(Column::GestureKind),
            amount: text(Column::Amount),
            made: text(Column::Made),
            due: text(Column::Due),
            note: text(Column::Note),
            promiser_org: text(Column::PromiserOrg),
            promisee_org: text(Column::PromiseeOrg),
        };
        let (state, resolved, reason, gesture, kept, dues) = (
            text(Column::State),
            text(Column::Resolved),
            text(Column::Reason),
            text(Column::Gesture),
            text(Column::Kept),
            text(Column::Dues),
        );
        if promise_text.id.trim().is_empty() {
            problems.push(row.error_in("id", "a promise in a file needs its id"));
        }
        let new = match resolve_in(
            snapshot,
            &promise_text,
            Moment::now(),
            Written::File(decimal),
        ) {
            Ok(new) => Some(new),
            Err(found) => {
                for e in found {
                    problems.push(row.error_in(e.column, e.message));
                }
                None
            }
        };
        let state = if state.trim().is_empty() {
            Some(PromiseState::Open)
        } else {
            PromiseState::parse(state.trim())
        };
        if state.is_none() {
            problems.push(row.error_in(
                "state",
                "the state is open, renegotiated, kept, broken or released",
            ));
        }
        let resolved = (!resolved.trim().is_empty())
            .then(|| zone.parse(resolved))
            .transpose()
            .map_err(|e| problems.push(row.error_in("resolved", e.to_string())))
            .ok()
            .flatten();
        let gesture = GestureId::parse(gesture)
            .map_err(|e| problems.push(row.error_in("gesture", e.to_string())))
            .ok()
            .flatten();
        let kept = (!kept.trim().is_empty())
            .then(|| Amount::parse(kept, decimal))
            .transpose()
            .map_err(|e| problems.push(row.error_in("kept", e.to_string())))
            .ok()
            .flatten();
        let dues = read_dues(dues, &zone)
            .map_err(|e| problems.push(row.error_in("dues", e)))
            .ok();
        let (Some(new), Some(state), Some(dues), true) = (new, state, dues, problems.is_empty())
        else {
            problems.into_iter().for_each(|e| errors.push(e));
            return Ok(());
        };
        let reason = Some(reason.trim()).filter(|r| !r.is_empty());
        // What the row says must hang together as the ledger keeps it.
        let dues = if dues.is_empty() {
            vec![Due {
                due: new.due,
                agreed: new.made,
            }]
        } else {
            dues
        };
        let mut wrong = |column: &'static str, message: String| -> StoreResult<()> {
            errors.push(row.error_in(column, message));
            Ok(())
        };
        if dues[0].agreed != new.made || dues[0].due < new.made {
            return wrong(
                "dues",
                "the first due moment is agreed when the promise was made, not before".into(),
            );
        }
        if dues.last().map(|d| d.due) != Some(new.due) {
            return wrong(
                "dues",
                "the last due moment is the promise's due moment".into(),
            );
        }
        if (state == PromiseState::Open) != (dues.len() == 1) && state.pending() {
            return wrong(
                "dues",
                format!("a promise that is {state} has {} due moment(s)", dues.len()),
            );
        }
        if state.pending() != resolved.is_none() {
            return wrong(
                "resolved",
                format!(
                    "a promise that is {state} {} the moment it was resolved",
                    if state.pending() { "has no" } else { "needs" }
                ),
            );
        }
        if state.has_gesture() != gesture.is_some() {
            return wrong(
                "gesture",
                format!(
                    "a promise that is {state} {} gesture",
                    if state.has_gesture() {
                        "names its"
                    } else {
                        "names no"
                    }
                ),
            );
        }
        if (state == PromiseState::Kept) != kept.is_some() {
            return wrong(
                "kept",
                "what keeping gave is written for a kept promise alone".into(),
            );
        }
        if kept.is_some_and(|k| k.minor() < 0 || k > new.amount) {
            return wrong(
                "kept",
                format!("a promise of {} is kept with 0 up to it", new.amount),
            );
        }
        if let Some(id) = &gesture {
            let kind = if state == PromiseState::Kept {
                Some(new.kind)
            } else {
                broken_kind
            };
            match store.gesture(id)? {
                None => {
                    return wrong(
                        "gesture",
                        format!(
                            "gesture {id} is not stored, nor in a gestures file of this import"
                        ),
                    );
                }
                Some(stored) => {
                    let g = &stored.gesture;
                    if (g.giver, g.receiver) != (new.promiser, new.promisee)
                        || Some(g.kind) != kind
                        || (kept.is_some() && Some(g.amount) != kept)
                    {
                        return wrong(
                            "gesture",
                            format!(
                                "gesture {id} is not the {state} promise's: another kind, other parties or another amount"
                            ),
                        );
                    }
                }
            }
        }
        if let Some(stored) = store.promise(&new.id)? {
            let stored_dues = store.promise_dues(stored.row)?;
            if same_content(&stored, &new)
                && stored.due == new.due
                && stored.state == state
                && stored.resolved_at == resolved
                && stored.gesture == gesture
                && stored.kept == kept
                && stored.reason.as_deref() == reason
                && stored_dues == dues
            {
                summary.promises_already_present += 1;
                return Ok(());
            }
            return wrong(
                "id",
                format!(
                    "a promise with id '{}' is stored already, with other content or state",
                    new.id
                ),
            );
        }
        let mut first = new.clone();
        first.due = dues[0].due;
        let row_id = store.insert_promise(&first)?;
        for due in &dues[1..] {
            store.move_promise(row_id, due.due, due.agreed)?;
        }
        if let (Some(at), false) = (resolved, state.pending()) {
            store.resolve_promise(
                row_id,
                &Resolution {
                    state,
                    at,
                    gesture: gesture.as_ref(),
                    kept,
                    reason,
                },
            )?;
        }
        summary.promises_added += 1;
        Ok(())
    })?;
    Ok(())
}
