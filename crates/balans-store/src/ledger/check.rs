//! The consistency check: every balance and month recomputed from the gestures
//! and compared with what is stored, and the handovers checked against the
//! gestures and memberships they rest on.

use balans_core::{Dimension, Level, MonthKey, PairKey, PartySumKey, Totals};
use serde::Serialize;

use crate::LedgerError;
use crate::snapshot::Snapshot;
use crate::store::{Store, StoreError, StoreResult};
use crate::sums::{InOrder, KeyedSums, Sums};

/// The computed balances summed into each party's sums at a time.
const PARTY_PART: usize = 4_096;

/// A stored balance that differs from the sum of its gestures.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    pub level: Level,
    pub dimension: Dimension,
    pub a: String,
    pub b: String,
    pub stored: String,
    pub computed: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub gestures: u64,
    pub pairs: u64,
    pub differences: Vec<Difference>,
    /// Gestures the memberships no longer attribute to one organization each.
    pub unattributable: Vec<String>,
    /// What is wrong with the stored handovers (see `docs/credits.md`).
    pub handovers: Vec<String>,
    /// What is wrong with the stored promises (see `docs/promises.md`).
    pub promises: Vec<String>,
}

impl CheckReport {
    /// Whether every balance equals the sum of its gestures, and every gesture counts somewhere.
    pub fn is_consistent(&self) -> bool {
        self.differences.is_empty()
            && self.unattributable.is_empty()
            && self.handovers.is_empty()
            && self.promises.is_empty()
    }
}

/// The most balances, months or parties' sums, summed from the gestures, that the check
/// holds in memory at once (about 130 bytes each in their map): the rest wait
/// in sorted runs in temporary files (`crate::sums`), and the stored ones are
/// read as they are compared, so that a store of any number of pairs is
/// checked in bounded memory. With every pair in memory, 5 M gestures over as
/// many pairs took 1.2 GiB on SQLite; with this bound, 132 MiB in the same
/// time (10–11 s), and 1 M on PostgreSQL 90 MiB instead of 446.
const IN_MEMORY: usize = 250_000;

/// Recomputes every balance from the gestures and compares it with the stored one.
pub fn check<S: Store + ?Sized>(store: &mut S) -> Result<CheckReport, LedgerError> {
    check_within(store, IN_MEMORY)
}

/// [`check`], holding at most `in_memory` balances or months in memory at a
/// time: for tests of a check whose sums go to temporary files.
#[doc(hidden)]
pub fn check_within<S: Store + ?Sized>(
    store: &mut S,
    in_memory: usize,
) -> Result<CheckReport, LedgerError> {
    crate::store::in_read(store, |store| check_now(store, in_memory.max(1)))
}

/// A key of the sums the check compares, as a difference names it: the
/// level and dimension, and its two sides.
trait Named {
    fn named(&self, snapshot: &Snapshot) -> (Level, Dimension, String, String);
}

impl Named for PairKey {
    fn named(&self, snapshot: &Snapshot) -> (Level, Dimension, String, String) {
        let (a, b) = (snapshot.key(self.low), snapshot.key(self.high));
        (self.level, self.dimension, a, b)
    }
}

impl Named for MonthKey {
    fn named(&self, snapshot: &Snapshot) -> (Level, Dimension, String, String) {
        let month = format!(
            "credit in {:04}-{:02}",
            self.1.div_euclid(12),
            self.1.rem_euclid(12) + 1
        );
        let organization = snapshot.key(self.0);
        (Level::Organization, Dimension::Credit, organization, month)
    }
}

impl Named for PartySumKey {
    fn named(&self, snapshot: &Snapshot) -> (Level, Dimension, String, String) {
        let party = snapshot.key(self.party);
        (
            self.level,
            self.dimension,
            party,
            "every counterpart".to_string(),
        )
    }
}

/// The difference at `key`: its stored sum against the one computed.
fn difference(
    key: &impl Named,
    snapshot: &Snapshot,
    stored: Option<&Totals>,
    computed: Option<&Totals>,
) -> Difference {
    let describe = |t: Option<&Totals>| match t {
        Some(t) => format!(
            "{} / {} in {} gestures",
            balans_core::Sum(t.low_to_high),
            balans_core::Sum(t.high_to_low),
            t.count
        ),
        None => "nothing".to_string(),
    };
    let (level, dimension, a, b) = key.named(snapshot);
    Difference {
        level,
        dimension,
        a,
        b,
        stored: describe(stored),
        computed: describe(computed),
    }
}

/// Told of a key whose sums differ: the stored sum, then the computed one.
type Differ<'a, K> = dyn FnMut(&K, Option<&Totals>, Option<&Totals>) + 'a;

/// The sums of the gestures in key order, walked beside the stored sums in
/// the same order: each key whose sums differ, or that only one side has, is
/// told to `differ`, and each sum of the gestures to `counted`.
struct Walk<'a, K> {
    computed: InOrder<K>,
    next: Option<(K, Totals)>,
    last_stored: Option<K>,
    counted: &'a mut dyn FnMut(&K, &Totals) -> StoreResult<()>,
    differ: &'a mut Differ<'a, K>,
}

impl<'a, K: Ord + Copy + std::fmt::Debug> Walk<'a, K> {
    fn new(
        mut computed: InOrder<K>,
        counted: &'a mut dyn FnMut(&K, &Totals) -> StoreResult<()>,
        differ: &'a mut Differ<'a, K>,
    ) -> StoreResult<Walk<'a, K>> {
        let next = computed.next().transpose()?;
        Ok(Walk {
            computed,
            next,
            last_stored: None,
            counted,
            differ,
        })
    }

    /// The computed sums before `key` (all of them without one), which the
    /// store does not have.
    fn computed_before(&mut self, key: Option<&K>) -> StoreResult<()> {
        while let Some((k, sum)) = self.next.take() {
            if key.is_some_and(|key| k >= *key) {
                self.next = Some((k, sum));
                break;
            }
            (self.counted)(&k, &sum)?;
            (self.differ)(&k, None, Some(&sum));
            self.next = self.computed.next().transpose()?;
        }
        Ok(())
    }

    fn stored(&mut self, key: K, kept: Totals) -> StoreResult<()> {
        if self.last_stored.is_some_and(|last| last >= key) {
            return Err(StoreError::Corrupt(format!(
                "the store gave its sums out of key order at {key:?}"
            )));
        }
        self.last_stored = Some(key);
        self.computed_before(Some(&key))?;
        match self.next.take() {
            Some((k, sum)) if k == key => {
                (self.counted)(&k, &sum)?;
                if kept != sum {
                    (self.differ)(&key, Some(&kept), Some(&sum));
                }
                self.next = self.computed.next().transpose()?;
            }
            next => {
                self.next = next;
                (self.differ)(&key, Some(&kept), None);
            }
        }
        Ok(())
    }

    fn finish(mut self) -> StoreResult<()> {
        self.computed_before(None)
    }
}

fn check_now<S: Store + ?Sized>(
    store: &mut S,
    in_memory: usize,
) -> Result<CheckReport, LedgerError> {
    let snapshot = Snapshot::load(store)?;
    let mut computed = Sums::default();
    let mut gestures = 0u64;
    let mut unattributable = Vec::new();
    store.for_each_gesture(&mut |stored| {
        gestures += 1;
        let g = &stored.gesture;
        let units = match snapshot.units(g, stored.attributed_at) {
            Ok(units) => units,
            Err(e) => {
                unattributable.push(format!("gesture '{}': {e}", g.id));
                (g.giver, g.giver)
            }
        };
        crate::record::count_gesture(
            &mut computed.memory,
            &crate::record::Counted::of(g, units),
            &snapshot.zone,
        )?;
        if computed.memory.len().max(computed.memory.months_len()) >= in_memory {
            computed.spill()?;
        }
        Ok(())
    })?;
    let (computed_pairs, computed_months) = computed.in_order()?;
    let mut differences = Vec::new();
    let mut pairs = 0u64;
    // Each party's sums, from the computed balances a part at a time.
    let mut party_sums: KeyedSums<PartySumKey> = KeyedSums::new(in_memory);
    let mut part: Vec<(PairKey, Totals)> = Vec::with_capacity(PARTY_PART);
    let mut add_part = |part: &mut Vec<(PairKey, Totals)>| -> StoreResult<()> {
        for (key, sum) in crate::record::party_sums_of(part)? {
            party_sums.add(key, sum)?;
        }
        part.clear();
        Ok(())
    };
    {
        let mut counted = |key: &PairKey, sum: &Totals| {
            part.push((*key, *sum));
            if part.len() == PARTY_PART {
                add_part(&mut part)?;
            }
            Ok(())
        };
        let mut differ = |key: &PairKey, stored: Option<&Totals>, computed: Option<&Totals>| {
            differences.push(difference(key, &snapshot, stored, computed))
        };
        let mut walk = Walk::new(computed_pairs, &mut counted, &mut differ)?;
        store.for_each_balance(&mut |key, stored| {
            pairs += 1;
            walk.stored(key, stored)
        })?;
        walk.finish()?;
    }
    add_part(&mut part)?;
    {
        let mut counted = |_: &MonthKey, _: &Totals| Ok(());
        let mut differ = |key: &MonthKey, stored: Option<&Totals>, computed: Option<&Totals>| {
            differences.push(difference(key, &snapshot, stored, computed))
        };
        let mut walk = Walk::new(computed_months, &mut counted, &mut differ)?;
        store.for_each_month(&mut |key, stored| {
            pairs += 1;
            walk.stored(key, stored)
        })?;
        walk.finish()?;
    }
    // The parties' sums kept beside the balances, as many as there are
    // parties: read a level at a time (the first part of their key) and put
    // in key order.
    {
        let mut counted = |_: &PartySumKey, _: &Totals| Ok(());
        let mut differ = |key: &PartySumKey, stored: Option<&Totals>, computed: Option<&Totals>| {
            differences.push(difference(key, &snapshot, stored, computed))
        };
        let mut walk = Walk::new(party_sums.in_order()?, &mut counted, &mut differ)?;
        for level in Level::ALL {
            let mut stored = store.party_totals(level)?;
            stored.sort_unstable_by_key(|(party, dimension, _)| (*party, *dimension));
            for (party, dimension, totals) in stored {
                let key = PartySumKey {
                    level,
                    party,
                    dimension,
                };
                walk.stored(key, totals)?;
            }
        }
        walk.finish()?;
    }
    let handovers = super::credits::handover_problems(store, &snapshot)?;
    let promises = super::promises::promise_problems(store, &snapshot)?;
    Ok(CheckReport {
        gestures,
        pairs,
        differences,
        unattributable,
        handovers,
        promises,
    })
}

#[cfg(test)]
mod tests {
    use balans_core::{Amount, Moment};

    use super::*;

    fn sums(n: i64) -> Totals {
        Totals::of(true, Amount::from_minor(n).unwrap(), Moment::from_millis(0))
    }

    /// A difference a walk tells: the month, the stored sum, the computed one.
    type Told = (i32, Option<i64>, Option<i64>);

    /// What a walk tells for each difference, and the computed keys counted.
    fn walk(
        computed: Vec<(MonthKey, Totals)>,
        stored: &[(MonthKey, Totals)],
    ) -> StoreResult<(Vec<Told>, Vec<i32>)> {
        let mut told = Vec::new();
        let mut counted = Vec::new();
        let mut count = |key: &MonthKey, _: &Totals| {
            counted.push(key.1);
            Ok(())
        };
        let mut differ = |key: &MonthKey, s: Option<&Totals>, c: Option<&Totals>| {
            told.push((key.1, s.map(|t| t.low_to_high), c.map(|t| t.low_to_high)));
        };
        let mut walk = Walk::new(
            Box::new(computed.into_iter().map(Ok)),
            &mut count,
            &mut differ,
        )?;
        for (key, totals) in stored {
            walk.stored(*key, *totals)?;
        }
        walk.finish()?;
        Ok((told, counted))
    }

    #[test]
    fn a_walk_names_each_key_whose_sums_differ_or_only_one_side_has() {
        let key = |month| (balans_core::PartyId(1), month);
        let computed = vec![
            (key(1), sums(1)),
            (key(2), sums(2)),
            (key(4), sums(4)),
            (key(6), sums(6)),
        ];
        let stored = [
            (key(0), sums(9)),
            (key(2), sums(2)),
            (key(3), sums(3)),
            (key(4), sums(5)),
        ];
        let (told, counted) = walk(computed, &stored).unwrap();
        assert_eq!(
            told,
            [
                (0, Some(9), None),
                (1, None, Some(1)),
                (3, Some(3), None),
                (4, Some(5), Some(4)),
                (6, None, Some(6)),
            ]
        );
        assert_eq!(counted, [1, 2, 4, 6]);
        // The same sums on both sides: nothing to tell.
        let same = vec![(key(1), sums(1)), (key(2), sums(2))];
        assert_eq!(walk(same.clone(), &same).unwrap().0, []);
        // A store that hands its sums out of key order is corrupt, not different.
        let backwards = [(key(2), sums(2)), (key(1), sums(1))];
        assert!(matches!(
            walk(same, &backwards),
            Err(StoreError::Corrupt(_))
        ));
    }
}
