//! Balances: a pair's balance, and a party's counterparts by volume.

use balans_core::{Balance, Dimension, Level, PairKey, Party, PartyId, PartyKey, Totals};
use serde::Serialize;

use super::directory::find_party;
use super::view::{PairView, PartyRef, default_level, view};
use crate::store::{Store, StoreError};
use crate::{LedgerError, field};

/// The parties with keys `a` and `b`, read in one trip to the store.
fn find_two<S: Store + ?Sized>(
    store: &mut S,
    a: &str,
    b: &str,
) -> Result<(Party, Party), LedgerError> {
    let parse = |key: &str| {
        PartyKey::parse(key).map_err(|e| LedgerError::NotFound(format!("party key: {e}")))
    };
    let (key_a, key_b) = (parse(a)?, parse(b)?);
    let found = store.parties_by_keys(&[key_a.as_str(), key_b.as_str()])?;
    let take = |key: &PartyKey| {
        found
            .iter()
            .find(|p| &p.fields.key == key)
            .cloned()
            .ok_or_else(|| LedgerError::NotFound(format!("no party with key '{key}'")))
    };
    Ok((take(&key_a)?, take(&key_b)?))
}

/// The balance of the pair `a`, `b`.
pub fn pair_balance<S: Store + ?Sized>(
    store: &mut S,
    a: &str,
    b: &str,
    level: Option<Level>,
) -> Result<PairView, LedgerError> {
    let (a, b) = find_two(store, a, b)?;
    if a.id == b.id {
        return Err(LedgerError::Invalid(vec![field::Error::new(
            "b",
            "a balance needs two different parties",
        )]));
    }
    let level = level.unwrap_or_else(|| default_level(&a, Some(&b)));
    let rows = store.pair(level, a.id, b.id)?;
    Ok(view(level, &a, &b, &rows))
}

/// Every counterpart of `a`, largest credit imbalance first (then money).
pub fn counterparts<S: Store + ?Sized>(
    store: &mut S,
    a: &str,
    level: Option<Level>,
) -> Result<Counterparts, LedgerError> {
    top_counterparts(store, a, level, usize::MAX)
}

/// The `n` counterparts of `a` with the largest credit imbalance (then money),
/// in that order; `total` says how many there are in all.
pub fn top_counterparts<S: Store + ?Sized>(
    store: &mut S,
    a: &str,
    level: Option<Level>,
    n: usize,
) -> Result<Counterparts, LedgerError> {
    let a = find_party(store, a)?;
    let level = level.unwrap_or_else(|| default_level(&a, None));
    let rows = store.balances_of(level, a.id)?;
    let mut by_counterpart: std::collections::BTreeMap<PartyId, Vec<(PairKey, Totals)>> =
        Default::default();
    for (key, totals) in rows {
        let other = if key.low == a.id { key.high } else { key.low };
        by_counterpart.entry(other).or_default().push((key, totals));
    }
    let total = by_counterpart.len();
    let mut by_counterpart: Vec<(PartyId, Vec<(PairKey, Totals)>)> =
        by_counterpart.into_iter().collect();
    if n < total {
        // Only the largest are named: the others need no lookup.
        let size = |rows: &[(PairKey, Totals)], dimension: Dimension| {
            rows.iter()
                .filter(|(key, _)| key.dimension == dimension)
                .map(|(key, totals)| Balance::seen_from(a.id, key, totals).net().abs())
                .sum::<i128>()
        };
        by_counterpart.sort_by_cached_key(|(other, rows)| {
            (
                std::cmp::Reverse((size(rows, Dimension::Credit), size(rows, Dimension::Money))),
                *other,
            )
        });
        by_counterpart.truncate(n);
    }
    let mut views = Vec::with_capacity(by_counterpart.len());
    for (other, rows) in by_counterpart {
        let b = store
            .party_by_id(other)?
            .ok_or_else(|| StoreError::Corrupt(format!("party #{} is missing", other.0)))?;
        views.push(view(level, &a, &b, &rows));
    }
    views.sort_by(|x, y| {
        (y.credit.net.0.abs(), y.money.net.0.abs(), &x.b.key).cmp(&(
            x.credit.net.0.abs(),
            x.money.net.0.abs(),
            &y.b.key,
        ))
    });
    Ok(Counterparts {
        party: (&a).into(),
        level,
        counterparts: views,
        total,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Counterparts {
    pub party: PartyRef,
    pub level: Level,
    pub counterparts: Vec<PairView>,
    /// How many counterparts there are, shown or not.
    #[serde(skip)]
    pub total: usize,
}
