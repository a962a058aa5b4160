//! Handovers files (`handovers.csv`, as export writes them): each handover with
//! its state and, once accepted, what it moved, restored as it was. A row with
//! the content of a handover stored already (and not matched by another row) is
//! present; one with the same people, organizations and offer time but other
//! content is an error.

use std::io::Read;

use balans_core::{Amount, Both, DormantAlert, Flows, Handover, HandoverState, PartyId, PartyKind};
use balans_csv::{Column, RowError, Table};

use super::common::{Errors, Progress, Summary, for_each_row};
use crate::snapshot::Snapshot;
use crate::store::{NewHandover, Store, StoreResult};

pub(crate) fn import_handovers<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    table: &mut Table<Box<dyn Read + Send>>,
    index: usize,
    summary: &mut Summary,
    errors: &mut Errors,
    progress: &(dyn Fn(Progress) + Sync),
) -> StoreResult<()> {
    let decimal = table.decimal();
    let mut stored = store.handovers()?;
    let mut matched = vec![false; stored.len()];
    summary.rows += for_each_row(table, index, errors, progress, |row, errors| {
        let mut problems: Vec<RowError> = Vec::new();
        let mut text =
            |column: Column| row.text(column).map_err(|e| problems.push(e)).unwrap_or("");
        let texts = [
            text(Column::Left),
            text(Column::LeftUnit),
            text(Column::Other),
            text(Column::OtherUnit),
            text(Column::Successor),
        ];
        let (share, state, offered, decided, note) = (
            text(Column::Share),
            text(Column::State),
            text(Column::Offered),
            text(Column::Decided),
            text(Column::Note),
        );
        let amounts = [
            text(Column::CreditOut),
            text(Column::CreditIn),
            text(Column::MoneyOut),
            text(Column::MoneyIn),
        ];
        let names = [
            "left",
            "left_organization",
            "other",
            "other_organization",
            "successor",
        ];
        let mut parties = [PartyId(0); 5];
        for (i, key) in texts.iter().enumerate() {
            match snapshot.party(key) {
                Some((id, kind)) => {
                    parties[i] = id;
                    if names[i] == "successor" && kind != PartyKind::Person {
                        problems.push(
                            row.error_in(
                                names[i],
                                format!("the successor '{key}' is not a person"),
                            ),
                        );
                    }
                }
                None => problems.push(row.error_in(names[i], format!("no party with key '{key}'"))),
            }
        }
        let share = share.parse::<u8>().ok().filter(|s| *s <= 100);
        if share.is_none() {
            problems.push(row.error_in("share", "a share is a whole percentage from 0 to 100"));
        }
        let state = HandoverState::parse(state);
        if state.is_none() {
            problems.push(row.error_in(
                "state",
                "the state is offered, accepted, declined or withdrawn",
            ));
        }
        let offered = snapshot
            .zone
            .parse(offered)
            .map_err(|e| problems.push(row.error_in("offered", e.to_string())))
            .ok();
        let decided = (!decided.is_empty())
            .then(|| snapshot.zone.parse(decided))
            .transpose()
            .map_err(|e| problems.push(row.error_in("decided", e.to_string())))
            .ok()
            .flatten();
        if state.is_some_and(|s| s != HandoverState::Offered) && decided.is_none() {
            problems.push(row.error_in(
                "decided",
                "a handover that was decided needs the moment it was",
            ));
        }
        let columns = [
            "credit_given",
            "credit_received",
            "money_given",
            "money_received",
        ];
        let mut minor = [0i64; 4];
        for (i, text) in amounts.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            match Amount::parse(text, decimal) {
                Ok(amount) => minor[i] = amount.minor(),
                Err(e) => problems.push(row.error_in(columns[i], e.to_string())),
            }
        }
        let (Some(share), Some(state), Some(offered), true) =
            (share, state, offered, problems.is_empty())
        else {
            problems.into_iter().for_each(|e| errors.push(e));
            return Ok(());
        };
        let handover = Handover {
            id: 0,
            left: parties[0],
            left_unit: parties[1],
            other: parties[2],
            other_unit: parties[3],
            successor: parties[4],
            share,
            state,
            offered_at: offered,
            decided_at: if state == HandoverState::Offered {
                None
            } else {
                decided
            },
            note: (!note.is_empty()).then(|| note.to_string()),
            moved: Both {
                credit: Flows {
                    a_to_b: minor[0],
                    b_to_a: minor[1],
                },
                money: Flows {
                    a_to_b: minor[2],
                    b_to_a: minor[3],
                },
            },
        };
        // Equal handovers may be offered at the same moment: each row is matched
        // with a stored handover of its own.
        let identity = |h: &Handover| {
            (
                h.left,
                h.left_unit,
                h.other,
                h.other_unit,
                h.successor,
                h.offered_at,
            )
        };
        let candidates: Vec<usize> = (0..stored.len())
            .filter(|&i| !matched[i] && identity(&stored[i]) == identity(&handover))
            .collect();
        if let Some(&equal) = candidates.iter().find(|&&i| {
            (Handover {
                id: 0,
                ..stored[i].clone()
            }) == handover
        }) {
            matched[equal] = true;
            summary.handovers_already_present += 1;
            return Ok(());
        }
        if !candidates.is_empty() {
            errors.push(row.row_error(format!(
                "a handover to '{}' offered at {} is stored with another share, state or amounts",
                texts[4],
                row.text(Column::Offered).unwrap_or_default()
            )));
            return Ok(());
        }
        let id = store.insert_handover(&NewHandover {
            left: handover.left,
            left_unit: handover.left_unit,
            other: handover.other,
            other_unit: handover.other_unit,
            successor: handover.successor,
            share: handover.share,
            offered_at: handover.offered_at,
        })?;
        if let (false, Some(decided)) = (state == HandoverState::Offered, handover.decided_at) {
            store.decide_handover(
                id,
                state,
                decided,
                handover.note.as_deref(),
                &handover.moved,
            )?;
        }
        summary.handovers_added += 1;
        stored.push(Handover { id, ..handover });
        matched.push(true);
        Ok(())
    })?;
    Ok(())
}

/// A file of user links (`user_links.csv`, as export writes them): each user,
/// by email, linked to the person party they are. The user must exist (users
/// are not imported); the party must be a person linked to no other user.
pub(crate) fn import_user_links<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    table: &mut Table<Box<dyn Read + Send>>,
    index: usize,
    summary: &mut Summary,
    errors: &mut Errors,
    progress: &(dyn Fn(Progress) + Sync),
) -> StoreResult<()> {
    let users = store.users()?;
    let mut links: std::collections::BTreeMap<balans_core::UserId, PartyId> =
        store.user_links()?.into_iter().collect();
    summary.rows += for_each_row(table, index, errors, progress, |row, errors| {
        let (email, key) = match (row.text(Column::User), row.text(Column::Party)) {
            (Ok(email), Ok(key)) => (email.trim(), key.trim()),
            (email, key) => {
                errors.extend(email.err().into_iter().chain(key.err()).collect());
                return Ok(());
            }
        };
        let user = users
            .iter()
            .find(|u| u.email.as_str().eq_ignore_ascii_case(email));
        let Some(user) = user else {
            errors.push(row.error_in(
                "user",
                format!("no user '{email}': add the user first, then import their link"),
            ));
            return Ok(());
        };
        let party = match snapshot.party(key) {
            Some((id, PartyKind::Person)) => id,
            Some(_) => {
                errors.push(row.error_in(
                    "party",
                    format!("'{key}' is an organization: a user is linked to the person they are"),
                ));
                return Ok(());
            }
            None => {
                errors.push(row.error_in("party", format!("no party with key '{key}'")));
                return Ok(());
            }
        };
        if links.get(&user.id) == Some(&party) {
            summary.links_already_present += 1;
            return Ok(());
        }
        if let Some((other, _)) = links.iter().find(|(u, p)| **p == party && **u != user.id) {
            let other = users
                .iter()
                .find(|u| u.id == *other)
                .map_or_else(|| format!("user #{}", other.0), |u| u.email.to_string());
            errors.push(row.error_in("party", format!("'{key}' is linked to {other} already")));
            return Ok(());
        }
        store.link_user(user.id, Some(party))?;
        links.insert(user.id, party);
        summary.links_added += 1;
        Ok(())
    })?;
    Ok(())
}

/// A file of alerts of credits gone dormant (`alerts.csv`, as export writes
/// them), restored with their dismissal. An alert for the same departure and
/// counterpart stored already is kept as it is, dismissed when the file says so.
pub(crate) fn import_alerts<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
    table: &mut Table<Box<dyn Read + Send>>,
    index: usize,
    summary: &mut Summary,
    errors: &mut Errors,
    progress: &(dyn Fn(Progress) + Sync),
) -> StoreResult<()> {
    let decimal = table.decimal();
    let mut dismissals = Vec::new();
    summary.rows += for_each_row(table, index, errors, progress, |row, errors| {
        let mut problems: Vec<RowError> = Vec::new();
        let mut text =
            |column: Column| row.text(column).map_err(|e| problems.push(e)).unwrap_or("");
        let keys = [
            ("left", text(Column::Left)),
            ("left_organization", text(Column::LeftUnit)),
            ("other_organization", text(Column::OtherUnit)),
            ("other", text(Column::Other)),
        ];
        let (left_at, volume, others, dismissed) = (
            text(Column::LeftAt),
            text(Column::Volume),
            text(Column::Others),
            text(Column::Dismissed),
        );
        let mut parties = [PartyId(0); 4];
        for (i, (column, key)) in keys.iter().enumerate() {
            match snapshot.party(key) {
                Some((id, _)) => parties[i] = id,
                None => problems.push(row.error_in(column, format!("no party with key '{key}'"))),
            }
        }
        let left_at = snapshot
            .zone
            .parse(left_at)
            .map_err(|e| problems.push(row.error_in("left_at", e.to_string())))
            .ok();
        let volume = Amount::parse(volume, decimal)
            .map_err(|e| problems.push(row.error_in("volume", e.to_string())))
            .ok()
            .filter(|v| v.minor() >= 0);
        if volume.is_none() && problems.iter().all(|p| p.column != Some("volume")) {
            problems.push(row.error_in("volume", "a volume is never negative"));
        }
        let others = others
            .parse::<u32>()
            .map_err(|_| problems.push(row.error_in("others", "a count of people: 0 or more")))
            .ok();
        let dismissed = (!dismissed.is_empty())
            .then(|| snapshot.zone.parse(dismissed))
            .transpose()
            .map_err(|e| problems.push(row.error_in("dismissed", e.to_string())))
            .ok()
            .flatten();
        let (Some(left_at), Some(volume), Some(others), true) =
            (left_at, volume, others, problems.is_empty())
        else {
            problems.into_iter().for_each(|e| errors.push(e));
            return Ok(());
        };
        let alert = DormantAlert {
            id: 0,
            left: parties[0],
            left_unit: parties[1],
            other_unit: parties[2],
            left_at,
            volume: volume.minor(),
            other: parties[3],
            others,
            dismissed_at: None,
        };
        if store.insert_alert(&alert)? {
            summary.alerts_added += 1;
        } else {
            summary.alerts_already_present += 1;
        }
        if let Some(at) = dismissed {
            dismissals.push((
                (alert.left, alert.left_unit, alert.other_unit, alert.left_at),
                at,
            ));
        }
        Ok(())
    })?;
    // Dismissed as the file says, once every row is in.
    if !dismissals.is_empty() {
        let ids: rustc_hash::FxHashMap<_, i64> = store
            .alerts()?
            .into_iter()
            .map(|a| ((a.left, a.left_unit, a.other_unit, a.left_at), a.id))
            .collect();
        for (identity, at) in dismissals {
            if let Some(&id) = ids.get(&identity) {
                store.dismiss_alert(id, at)?;
            }
        }
    }
    Ok(())
}
