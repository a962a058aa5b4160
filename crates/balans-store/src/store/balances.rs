//! Balances per pair and level, and each organization's credit per month: the
//! sums the ledger keeps beside the gestures.

use balans_core::{Dimension, Level, MonthKey, PairKey, PartyId, PartySumKey, Totals};

use super::error::StoreResult;

/// Balances and months, as a backend stores them.
pub trait BalanceStore {
    /// Adds deltas to the stored balances, creating pairs as needed; exact, failing
    /// with [`StoreError::Overflow`](super::error::StoreError::Overflow) rather
    /// than rounding. Deltas drained from a `BalanceMap` (as an import's are) come
    /// in key order, the order of the tables' primary keys; a store may count on
    /// that for speed, not for correctness.
    fn add_to_balances(&mut self, deltas: &[(PairKey, Totals)]) -> StoreResult<()>;
    /// Removes rows of balances, months and parties' sums, where every gesture
    /// they counted moved elsewhere or before they are written anew from exact
    /// totals (see `ledger::follow_membership_changes`). A key without a row is
    /// passed over.
    fn remove_sums(
        &mut self,
        pairs: &[PairKey],
        months: &[MonthKey],
        parties: &[PartySumKey],
    ) -> StoreResult<()>;
    /// Replaces every balance of one level.
    fn replace_level(&mut self, level: Level, balances: &[(PairKey, Totals)]) -> StoreResult<()>;
    /// The balances of one pair (any dimension) at one level.
    fn pair(&mut self, level: Level, a: PartyId, b: PartyId)
    -> StoreResult<Vec<(PairKey, Totals)>>;
    /// Every balance `party` is a side of, at one level.
    fn balances_of(&mut self, level: Level, party: PartyId) -> StoreResult<Vec<(PairKey, Totals)>>;
    /// Every balance, in key order (`PairKey`'s: level, low, high, dimension),
    /// read as it is visited: `balans check` walks it beside the sums of the
    /// gestures in the same order.
    fn for_each_balance(
        &mut self,
        visit: &mut dyn FnMut(PairKey, Totals) -> StoreResult<()>,
    ) -> StoreResult<()>;
    /// Every party's balances at one level summed over its counterparts, per
    /// dimension: what it gave as `low_to_high`, what it received as
    /// `high_to_low`, the gestures counted, the first and the last; in no
    /// particular order. Kept beside the balances (one row per party, level and
    /// dimension), so reading them costs the parties, not the pairs.
    fn party_totals(&mut self, level: Level) -> StoreResult<Vec<(PartyId, Dimension, Totals)>>;
    /// One party's sums at one level, per dimension (none where it has no balance).
    fn party_totals_of(
        &mut self,
        level: Level,
        party: PartyId,
    ) -> StoreResult<Vec<(Dimension, Totals)>>;
    /// Adds deltas to the parties' sums, as [`BalanceStore::add_to_balances`]
    /// adds to pairs; the caller adds [`balans_core::party_sums`] of the very
    /// deltas it adds to the balances, in the same write.
    fn add_to_party_totals(&mut self, deltas: &[(PartySumKey, Totals)]) -> StoreResult<()>;
    /// Replaces every party's sums at one level, beside [`BalanceStore::replace_level`].
    fn replace_party_totals(
        &mut self,
        level: Level,
        totals: &[(PartySumKey, Totals)],
    ) -> StoreResult<()>;

    /// Adds credit per organization and month (given as `low_to_high`, received
    /// as `high_to_low`), as [`BalanceStore::add_to_balances`] adds to pairs.
    fn add_to_months(&mut self, deltas: &[(MonthKey, Totals)]) -> StoreResult<()>;
    /// Replaces every organization's months.
    fn replace_months(&mut self, months: &[(MonthKey, Totals)]) -> StoreResult<()>;
    /// One organization's months, in order.
    fn months_of(&mut self, organization: PartyId) -> StoreResult<Vec<(i32, Totals)>>;
    /// Every organization's months, in key order (organization, month), read
    /// as they are visited.
    fn for_each_month(
        &mut self,
        visit: &mut dyn FnMut(MonthKey, Totals) -> StoreResult<()>,
    ) -> StoreResult<()>;
    /// Every organization's months, in key order.
    fn all_months(&mut self) -> StoreResult<Vec<(MonthKey, Totals)>> {
        let mut months = Vec::new();
        self.for_each_month(&mut |key, totals| {
            months.push((key, totals));
            Ok(())
        })?;
        Ok(months)
    }
}
