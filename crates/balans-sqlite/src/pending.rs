//! Balances and monthly credit changed inside a write, held in memory until the
//! outermost write commits.
//!
//! The server groups many requests into one transaction, each in a savepoint of its
//! own. Written at once, a busy pair's balance would be updated once per request,
//! and every page of the balances touched by a request copied into its savepoint's
//! journal. Held here, each total is written once per commit, outside every
//! savepoint.
//!
//! There is one layer per open write, as there is one savepoint: a layer holds the
//! totals as they stand after the changes made in that write (`None`: no row). A
//! nested write that succeeds hands its layer down; one that fails drops it. What
//! the store holds is always the tables overlaid by the layers, top layer first:
//! writing the pending totals into the tables (before a read that scans them) does
//! not change it, and undoing a savepoint undoes both the table writes made in it
//! and its layer.

use std::hash::Hash;

use balans_core::Totals;
use rustc_hash::FxHashMap as HashMap;

/// The layers of one table's pending totals.
pub struct Layers<K> {
    layers: Vec<HashMap<K, Option<Totals>>>,
}

impl<K> Default for Layers<K> {
    fn default() -> Self {
        Layers { layers: Vec::new() }
    }
}

impl<K: Copy + Eq + Hash + Ord> Layers<K> {
    /// A write begins.
    pub fn open(&mut self) {
        self.layers.push(HashMap::default());
    }

    /// A nested write succeeded: its totals become the enclosing write's.
    pub fn release(&mut self) {
        if self.layers.len() < 2 {
            return;
        }
        if let Some(top) = self.layers.pop()
            && let Some(below) = self.layers.last_mut()
        {
            if below.is_empty() {
                *below = top;
            } else {
                below.extend(top);
            }
        }
    }

    /// A nested write was undone.
    pub fn discard(&mut self) {
        self.layers.pop();
    }

    pub fn clear(&mut self) {
        self.layers.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.layers.iter().all(HashMap::is_empty)
    }

    /// The pending totals of `key`: `None` when nothing is pending for it,
    /// `Some(None)` when its row is to go.
    pub fn get(&self, key: &K) -> Option<Option<Totals>> {
        self.layers
            .iter()
            .rev()
            .find_map(|layer| layer.get(key).copied())
    }

    /// Sets `key`'s totals in the innermost write; there must be one.
    pub fn set(&mut self, key: K, totals: Option<Totals>) {
        let top = self
            .layers
            .last_mut()
            .expect("pending totals are set only inside a write");
        top.insert(key, totals);
    }

    /// How many keys the innermost write holds.
    pub fn innermost_len(&self) -> usize {
        self.layers.last().map_or(0, HashMap::len)
    }

    /// After every pending total was written to the tables: forgets those of the
    /// innermost write that no enclosing write holds, which the tables now hold
    /// as they stand. (One an enclosing write holds stays: forgotten, the older
    /// total below would show instead.) If the innermost write is undone, so are
    /// the table writes made in it.
    pub fn forget_written_innermost(&mut self) {
        let Some((top, below)) = self.layers.split_last_mut() else {
            return;
        };
        top.retain(|key, _| below.iter().any(|layer| layer.contains_key(key)));
    }

    /// Every pending key with its totals as they stand, in key order (which is the
    /// tables' order, so that writing them walks each table once).
    pub fn all(&self) -> Vec<(K, Option<Totals>)> {
        let mut merged: HashMap<K, Option<Totals>> = HashMap::default();
        for layer in &self.layers {
            merged.extend(layer.iter().map(|(k, v)| (*k, *v)));
        }
        let mut all: Vec<_> = merged.into_iter().collect();
        all.sort_unstable_by_key(|(k, _)| *k);
        all
    }

    /// After the rows that `in_scope` selects were rewritten as `rebuilt`, in the
    /// innermost write: every pending key among them takes its rebuilt totals, or
    /// none, so that older pending totals no longer cover the new rows.
    pub fn shadow(&mut self, in_scope: impl Fn(&K) -> bool, rebuilt: &HashMap<K, Totals>) {
        let keys: Vec<K> = self
            .layers
            .iter()
            .flat_map(|layer| layer.keys().copied())
            .filter(|k| in_scope(k))
            .collect();
        for key in keys {
            self.set(key, rebuilt.get(&key).copied());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use balans_core::Moment;

    fn totals(n: i64) -> Totals {
        Totals {
            low_to_high: n,
            high_to_low: 0,
            count: 1,
            first: Moment::from_millis(0),
            last: Moment::from_millis(0),
        }
    }

    #[test]
    fn a_released_write_hands_down_and_a_discarded_one_vanishes() {
        let mut layers = Layers::<u32>::default();
        layers.open();
        layers.set(1, Some(totals(10)));
        layers.open();
        layers.set(1, Some(totals(11)));
        layers.set(2, Some(totals(20)));
        assert_eq!(layers.get(&1), Some(Some(totals(11))));
        layers.discard();
        assert_eq!(layers.get(&1), Some(Some(totals(10))));
        assert_eq!(layers.get(&2), None);
        layers.open();
        layers.set(2, None);
        layers.release();
        assert_eq!(layers.all(), vec![(1, Some(totals(10))), (2, None)]);
        // A rewrite shadows what is pending in its scope, and only that.
        layers.open();
        let rebuilt: HashMap<u32, Totals> = [(2, totals(22))].into_iter().collect();
        layers.shadow(|k| *k >= 1, &rebuilt);
        assert_eq!(layers.all(), vec![(1, None), (2, Some(totals(22)))]);
        layers.discard();
        assert_eq!(layers.all(), vec![(1, Some(totals(10))), (2, None)]);
        // Written to the tables, what only the innermost write holds is forgotten.
        layers.open();
        layers.set(1, Some(totals(12)));
        layers.set(3, Some(totals(30)));
        layers.forget_written_innermost();
        assert_eq!(layers.innermost_len(), 1);
        assert_eq!(layers.get(&1), Some(Some(totals(12))));
        assert_eq!(layers.get(&3), None);
        layers.clear();
        assert!(layers.is_empty());
    }
}
