//! Handovers of dormant credits on PostgreSQL.

use balans_core::{Both, DormantAlert, Flows, Handover, HandoverState, Moment, PartyId, UserId};
use balans_store::store::{CreditStore, NewHandover, StoreResult};
use postgres::Row;

use crate::connection::{PostgresStore, corrupt};

const HANDOVER_SELECT: &str = "SELECT id, left_person, left_unit, other_person, other_unit, successor, share, state, \
     offered_ms, decided_ms, note, money_out, money_in, credit_out, credit_in FROM handovers";

fn handover_row(r: &Row) -> StoreResult<Handover> {
    let share: i16 = r.get(6);
    Ok(Handover {
        id: r.get(0),
        left: PartyId(r.get(1)),
        left_unit: PartyId(r.get(2)),
        other: PartyId(r.get(3)),
        other_unit: PartyId(r.get(4)),
        successor: PartyId(r.get(5)),
        share: u8::try_from(share).map_err(|_| corrupt("handover share"))?,
        state: HandoverState::parse(r.get(7)).ok_or_else(|| corrupt("handover state"))?,
        offered_at: Moment::from_millis(r.get(8)),
        decided_at: r.get::<_, Option<i64>>(9).map(Moment::from_millis),
        note: r.get(10),
        moved: Both {
            money: Flows {
                a_to_b: r.get(11),
                b_to_a: r.get(12),
            },
            credit: Flows {
                a_to_b: r.get(13),
                b_to_a: r.get(14),
            },
        },
    })
}

impl CreditStore for PostgresStore {
    fn insert_handover(&mut self, h: &NewHandover) -> StoreResult<i64> {
        let row = self
            .query_opt(
                "offering a handover",
                "INSERT INTO handovers (left_person, left_unit, other_person, other_unit, successor, share, state, offered_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'offered', $7) RETURNING id",
                &[
                    &h.left.0,
                    &h.left_unit.0,
                    &h.other.0,
                    &h.other_unit.0,
                    &h.successor.0,
                    &i16::from(h.share),
                    &h.offered_at.millis(),
                ],
            )?
            .ok_or_else(|| corrupt("an answer to INSERT … RETURNING"))?;
        Ok(row.get(0))
    }

    fn handover(&mut self, id: i64) -> StoreResult<Option<Handover>> {
        self.query_opt(
            "reading a handover",
            &format!("{HANDOVER_SELECT} WHERE id = $1"),
            &[&id],
        )?
        .map(|r| handover_row(&r))
        .transpose()
    }

    fn handovers(&mut self) -> StoreResult<Vec<Handover>> {
        self.query(
            "reading handovers",
            &format!("{HANDOVER_SELECT} ORDER BY id"),
            &[],
        )?
        .iter()
        .map(handover_row)
        .collect()
    }

    fn decide_handover(
        &mut self,
        id: i64,
        state: HandoverState,
        at: Moment,
        note: Option<&str>,
        moved: &Both,
    ) -> StoreResult<bool> {
        let changed = self.execute(
            "deciding on a handover",
            "UPDATE handovers SET state = $2, decided_ms = $3, note = $4, money_out = $5, money_in = $6, \
             credit_out = $7, credit_in = $8 WHERE id = $1 AND state = 'offered'",
            &[
                &id,
                &state.as_str(),
                &at.millis(),
                &note,
                &moved.money.a_to_b,
                &moved.money.b_to_a,
                &moved.credit.a_to_b,
                &moved.credit.b_to_a,
            ],
        )?;
        Ok(changed == 1)
    }

    fn link_user(&mut self, user: UserId, party: Option<PartyId>) -> StoreResult<()> {
        self.execute(
            "unlinking a user",
            "DELETE FROM user_parties WHERE user_id = $1",
            &[&user.0],
        )?;
        if let Some(party) = party {
            self.execute(
                "linking a user",
                "INSERT INTO user_parties (user_id, party) VALUES ($1, $2)",
                &[&user.0, &party.0],
            )?;
        }
        Ok(())
    }

    fn linked_user(&mut self, party: PartyId) -> StoreResult<Option<UserId>> {
        Ok(self
            .query_opt(
                "reading a user's link",
                "SELECT user_id FROM user_parties WHERE party = $1",
                &[&party.0],
            )?
            .map(|r| UserId(r.get(0))))
    }

    fn linked_party(&mut self, user: UserId) -> StoreResult<Option<PartyId>> {
        Ok(self
            .query_opt(
                "reading a user's link",
                "SELECT party FROM user_parties WHERE user_id = $1",
                &[&user.0],
            )?
            .map(|r| PartyId(r.get(0))))
    }

    fn user_links(&mut self) -> StoreResult<Vec<(UserId, PartyId)>> {
        Ok(self
            .query(
                "reading users' links",
                "SELECT user_id, party FROM user_parties ORDER BY user_id",
                &[],
            )?
            .iter()
            .map(|r| (UserId(r.get(0)), PartyId(r.get(1))))
            .collect())
    }

    fn insert_alert(&mut self, a: &DormantAlert) -> StoreResult<bool> {
        let others = i32::try_from(a.others).map_err(|_| corrupt("an alert's count of others"))?;
        let added = self.execute(
            "storing an alert",
            "INSERT INTO dormant_alerts (left_person, left_unit, other_unit, left_ms, volume, other_person, others) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (left_person, left_unit, other_unit, left_ms) DO NOTHING",
            &[
                &a.left.0,
                &a.left_unit.0,
                &a.other_unit.0,
                &a.left_at.millis(),
                &a.volume,
                &a.other.0,
                &others,
            ],
        )?;
        Ok(added == 1)
    }

    fn alerts(&mut self) -> StoreResult<Vec<DormantAlert>> {
        self.query(
            "reading alerts",
            "SELECT id, left_person, left_unit, other_unit, left_ms, volume, other_person, others, dismissed_ms \
             FROM dormant_alerts ORDER BY id",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(DormantAlert {
                id: r.get(0),
                left: PartyId(r.get(1)),
                left_unit: PartyId(r.get(2)),
                other_unit: PartyId(r.get(3)),
                left_at: Moment::from_millis(r.get(4)),
                volume: r.get(5),
                other: PartyId(r.get(6)),
                others: u32::try_from(r.get::<_, i32>(7))
                    .map_err(|_| corrupt("an alert's count of others"))?,
                dismissed_at: r.get::<_, Option<i64>>(8).map(Moment::from_millis),
            })
        })
        .collect()
    }

    fn dismiss_alert(&mut self, id: i64, at: Moment) -> StoreResult<bool> {
        let changed = self.execute(
            "dismissing an alert",
            "UPDATE dormant_alerts SET dismissed_ms = $2 WHERE id = $1 AND dismissed_ms IS NULL",
            &[&id, &at.millis()],
        )?;
        Ok(changed == 1)
    }
}
