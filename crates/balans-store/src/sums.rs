//! Sums kept in bounded memory: the sums of a part of the gestures at a time
//! go to sorted runs in temporary files, and the runs are merged at the end
//! into one sum per key, in key order. An import sums its file's gestures so
//! (`import::gestures`), and `balans check` the stored gestures, to walk their
//! sums beside the stored balances in the same order (`ledger::check`).
//!
//! Each balance and each month an import writes is then written to the store
//! once, in the order of its table's key, however the file's gestures spread
//! over pairs. Writing each part's sums as it filled wrote a pair once per part
//! it appeared in, at a place in the table's index that each part visited anew:
//! a million gestures over a million pairs took 17.5 s on PostgreSQL, most of
//! it summing the parts again in the server, and 6.9 s on SQLite.
//!
//! A run holds fixed-width little-endian words: the key's, then the totals'
//! five. Runs are merged [`FAN_IN`] at a time once that many of one size
//! exist (as a counter in base `FAN_IN` carries), so that a long file keeps
//! few runs open and writes each sum again only a few times: a hundred parts
//! make 6 runs of ten and 10 of one, written twice at most.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use std::collections::hash_map::Entry;

use balans_core::{BalanceMap, Dimension, Level, MonthKey, PairKey, PartyId, PartySumKey, Totals};
use rustc_hash::FxHashMap;

use crate::store::{StoreError, StoreResult};

/// Runs of one size merged into one.
const FAN_IN: usize = 16;

/// The bytes a run reads or writes at a time.
const BUFFER: usize = 1 << 15;

/// A key of a table of sums, as words in a run.
pub(crate) trait RunKey: Copy + Ord {
    const WORDS: usize;
    fn words(&self) -> [i64; 4];
    fn from_words(words: &[i64]) -> Option<Self>;
    /// What would exceed the range of exact sums, for the error.
    fn overflow(&self) -> String;
}

impl RunKey for PairKey {
    const WORDS: usize = 4;

    fn words(&self) -> [i64; 4] {
        [
            self.level.code(),
            self.low.0,
            self.high.0,
            self.dimension.code(),
        ]
    }

    fn from_words(words: &[i64]) -> Option<PairKey> {
        Some(PairKey {
            level: Level::from_code(words[0])?,
            low: PartyId(words[1]),
            high: PartyId(words[2]),
            dimension: Dimension::from_code(words[3])?,
        })
    }

    fn overflow(&self) -> String {
        format!(
            "pair #{} and #{} at {} level",
            self.low.0, self.high.0, self.level
        )
    }
}

impl RunKey for MonthKey {
    const WORDS: usize = 2;

    fn words(&self) -> [i64; 4] {
        [self.0.0, i64::from(self.1), 0, 0]
    }

    fn from_words(words: &[i64]) -> Option<MonthKey> {
        Some((PartyId(words[0]), i32::try_from(words[1]).ok()?))
    }

    fn overflow(&self) -> String {
        format!("monthly credit of party #{}", self.0.0)
    }
}

impl RunKey for PartySumKey {
    const WORDS: usize = 3;

    fn words(&self) -> [i64; 4] {
        [self.level.code(), self.party.0, self.dimension.code(), 0]
    }

    fn from_words(words: &[i64]) -> Option<PartySumKey> {
        Some(PartySumKey {
            level: Level::from_code(words[0])?,
            party: PartyId(words[1]),
            dimension: Dimension::from_code(words[2])?,
        })
    }

    fn overflow(&self) -> String {
        format!(
            "party #{}'s sum over its counterparts at {} level",
            self.party.0, self.level
        )
    }
}

fn spill_error(e: io::Error) -> StoreError {
    StoreError::backend("keeping sums in a temporary file", e)
}

/// The sums so far: what is in memory and what went to runs.
#[derive(Default)]
pub(crate) struct Sums {
    pub(crate) memory: BalanceMap,
    pairs: Runs<PairKey>,
    months: Runs<MonthKey>,
}

impl Sums {
    /// Whether any sums went to runs; if none did, `memory` holds them all.
    pub(crate) fn spilled(&self) -> bool {
        !self.pairs.runs.is_empty() || !self.months.runs.is_empty()
    }

    /// Moves what is in memory to runs.
    pub(crate) fn spill(&mut self) -> StoreResult<()> {
        self.pairs.add(&self.memory.drain())?;
        self.months.add(&self.memory.drain_months())
    }

    /// Every pair's sum, and then every month's, in key order, each key once.
    pub(crate) fn merged(mut self) -> StoreResult<(Merged<PairKey>, Merged<MonthKey>)> {
        if self.spilled() {
            self.spill()?;
        }
        Ok((self.pairs.merged()?, self.months.merged()?))
    }

    /// [`Sums::merged`], straight from memory when nothing went to runs.
    pub(crate) fn in_order(mut self) -> StoreResult<(InOrder<PairKey>, InOrder<MonthKey>)> {
        if self.spilled() {
            let (pairs, months) = self.merged()?;
            return Ok((Box::new(pairs), Box::new(months)));
        }
        let pairs = self.memory.drain().into_iter().map(Ok);
        let months = self.memory.drain_months().into_iter().map(Ok);
        Ok((Box::new(pairs), Box::new(months)))
    }
}

/// Sums in key order, each key once.
pub(crate) type InOrder<K> = Box<dyn Iterator<Item = StoreResult<(K, Totals)>>>;

/// Sums of one table added to in any order, at most `limit` keys of them in
/// memory: past that, what is in memory goes to a sorted run. Each party's
/// sums over its counterparts are summed so, as many as there are parties.
pub(crate) struct KeyedSums<K> {
    memory: FxHashMap<K, Totals>,
    limit: usize,
    runs: Runs<K>,
}

impl<K: RunKey + std::hash::Hash + 'static> KeyedSums<K> {
    pub(crate) fn new(limit: usize) -> KeyedSums<K> {
        KeyedSums {
            memory: FxHashMap::default(),
            limit: limit.max(1),
            runs: Runs::default(),
        }
    }

    pub(crate) fn add(&mut self, key: K, totals: Totals) -> StoreResult<()> {
        match self.memory.entry(key) {
            Entry::Occupied(mut sum) => sum
                .get_mut()
                .merge(&totals)
                .map_err(|_| StoreError::Overflow(key.overflow()))?,
            Entry::Vacant(vacant) => {
                vacant.insert(totals);
                if self.memory.len() >= self.limit {
                    self.spill()?;
                }
            }
        }
        Ok(())
    }

    fn sorted_memory(&mut self) -> Vec<(K, Totals)> {
        let mut entries: Vec<_> = self.memory.drain().collect();
        entries.sort_unstable_by_key(|(key, _)| *key);
        entries
    }

    fn spill(&mut self) -> StoreResult<()> {
        let entries = self.sorted_memory();
        self.runs.add(&entries)
    }

    /// Every key's sum, in key order.
    pub(crate) fn in_order(mut self) -> StoreResult<InOrder<K>> {
        if self.runs.runs.is_empty() {
            return Ok(Box::new(self.sorted_memory().into_iter().map(Ok)));
        }
        self.spill()?;
        Ok(Box::new(self.runs.merged()?))
    }
}

/// Sorted runs of one table's sums, each with its tier: how many times its sums
/// were merged. Tiers never grow from the oldest run to the newest.
struct Runs<K> {
    runs: Vec<(u32, Run)>,
    key: std::marker::PhantomData<K>,
}

impl<K> Default for Runs<K> {
    fn default() -> Self {
        Runs {
            runs: Vec::new(),
            key: std::marker::PhantomData,
        }
    }
}

impl<K: RunKey> Runs<K> {
    /// Adds sorted entries as a run, and merges the newest runs while
    /// [`FAN_IN`] of them share a tier.
    fn add(&mut self, entries: &[(K, Totals)]) -> StoreResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        self.runs
            .push((0, Run::write(entries.iter().map(|entry| Ok(*entry)))?));
        while let Some(&(tier, _)) = self.runs.last() {
            let same = self
                .runs
                .iter()
                .rev()
                .take_while(|(t, _)| *t == tier)
                .count();
            if same < FAN_IN {
                break;
            }
            let newest = self.runs.split_off(self.runs.len() - FAN_IN);
            let merged = Merged::<K>::of(newest.into_iter().map(|(_, run)| run).collect())?;
            self.runs.push((tier + 1, Run::write(merged)?));
        }
        Ok(())
    }

    fn merged(self) -> StoreResult<Merged<K>> {
        Merged::of(self.runs.into_iter().map(|(_, run)| run).collect())
    }
}

/// Sums in key order in a temporary file, gone once closed.
struct Run {
    file: File,
    len: u64,
}

impl Run {
    fn write<K: RunKey>(
        entries: impl Iterator<Item = StoreResult<(K, Totals)>>,
    ) -> StoreResult<Run> {
        let file = tempfile::tempfile().map_err(spill_error)?;
        let mut out = BufWriter::with_capacity(BUFFER, file);
        let mut len = 0;
        for entry in entries {
            let (key, totals) = entry?;
            let words = key.words();
            for word in words[..K::WORDS].iter().chain(&totals.values()) {
                out.write_all(&word.to_le_bytes()).map_err(spill_error)?;
            }
            len += 1;
        }
        let mut file = out.into_inner().map_err(|e| spill_error(e.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(spill_error)?;
        Ok(Run { file, len })
    }
}

/// A run being read, with its next entry.
struct Reading<K> {
    reader: BufReader<File>,
    left: u64,
    next: Option<(K, Totals)>,
}

impl<K: RunKey> Reading<K> {
    fn advance(&mut self) -> StoreResult<()> {
        self.next = None;
        if self.left == 0 {
            return Ok(());
        }
        self.left -= 1;
        let mut words = [0i64; 9];
        let width = K::WORDS + 5;
        for word in &mut words[..width] {
            let mut bytes = [0u8; 8];
            self.reader.read_exact(&mut bytes).map_err(spill_error)?;
            *word = i64::from_le_bytes(bytes);
        }
        let key = K::from_words(&words[..K::WORDS])
            .ok_or_else(|| StoreError::Corrupt("a key in a temporary file of sums".into()))?;
        let values = words[K::WORDS..width].try_into().expect("five values");
        self.next = Some((key, Totals::from_values(values)));
        Ok(())
    }
}

/// Runs merged: each key once, its sums added, in key order. Few runs, so the
/// smallest next key is found by looking at each.
pub(crate) struct Merged<K> {
    runs: Vec<Reading<K>>,
}

impl<K: RunKey> Merged<K> {
    fn of(runs: Vec<Run>) -> StoreResult<Merged<K>> {
        let mut readings = Vec::with_capacity(runs.len());
        for run in runs {
            let mut reading = Reading {
                reader: BufReader::with_capacity(BUFFER, run.file),
                left: run.len,
                next: None,
            };
            reading.advance()?;
            readings.push(reading);
        }
        Ok(Merged { runs: readings })
    }

    fn next_sum(&mut self) -> StoreResult<Option<(K, Totals)>> {
        let Some(key) = self
            .runs
            .iter()
            .filter_map(|r| r.next.map(|(k, _)| k))
            .min()
        else {
            return Ok(None);
        };
        let mut sum: Option<Totals> = None;
        for run in &mut self.runs {
            let Some((k, totals)) = run.next else {
                continue;
            };
            if k != key {
                continue;
            }
            match &mut sum {
                None => sum = Some(totals),
                Some(sum) => sum
                    .merge(&totals)
                    .map_err(|_| StoreError::Overflow(key.overflow()))?,
            }
            run.advance()?;
        }
        Ok(sum.map(|sum| (key, sum)))
    }
}

impl<K: RunKey> Iterator for Merged<K> {
    type Item = StoreResult<(K, Totals)>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_sum().transpose()
    }
}

#[cfg(test)]
mod tests {
    use balans_core::Moment;

    use super::*;

    fn key(level: i64, low: i64, high: i64, dimension: i64) -> PairKey {
        PairKey::from_words(&[level, low, high, dimension]).unwrap()
    }

    /// Parts of random sums, spilled as runs (enough for runs of two tiers to
    /// be merged on the way), merge to what one map of every sum holds.
    #[test]
    fn runs_merge_to_the_sums_of_one_map() {
        let mut rng = fastrand::Rng::with_seed(11);
        let mut sums = Sums::default();
        let mut whole = BalanceMap::new();
        for _ in 0..(FAN_IN * FAN_IN + 7) {
            for _ in 0..rng.usize(1..40) {
                let low = rng.i64(1..60);
                let pair = key(rng.i64(0..2), low, low + rng.i64(1..60), rng.i64(0..2));
                let totals = Totals::of(
                    rng.bool(),
                    balans_core::Amount::from_minor(rng.i64(0..10_000)).unwrap(),
                    Moment::from_millis(rng.i64(0..1_000_000)),
                );
                sums.memory.add(pair, totals).unwrap();
                whole.add(pair, totals).unwrap();
                let month = rng.i32(0..30);
                let (giver, receiver) = (PartyId(low), PartyId(low + 1));
                let amount = balans_core::Amount::from_minor(rng.i64(0..100)).unwrap();
                let at = Moment::from_millis(rng.i64(0..1_000_000));
                sums.memory
                    .add_month(giver, receiver, month, amount, at)
                    .unwrap();
                whole.add_month(giver, receiver, month, amount, at).unwrap();
            }
            sums.spill().unwrap();
        }
        assert!(sums.spilled());
        let tiers: Vec<u32> = sums.pairs.runs.iter().map(|(tier, _)| *tier).collect();
        assert_eq!(tiers, [[2].as_slice(), &[0; 7]].concat(), "runs by tier");
        let (pairs, months) = sums.merged().unwrap();
        let pairs: Vec<_> = pairs.collect::<StoreResult<_>>().unwrap();
        let months: Vec<_> = months.collect::<StoreResult<_>>().unwrap();
        assert_eq!(pairs, whole.drain());
        assert_eq!(months, whole.drain_months());
        assert!(pairs.len() > 3_000, "{} pairs", pairs.len());
    }

    #[test]
    fn a_sum_beyond_the_range_across_runs_is_an_overflow() {
        let mut sums = Sums::default();
        let pair = key(0, 1, 2, 0);
        let big = Totals {
            low_to_high: i64::MAX / 2 + 1,
            high_to_low: 0,
            count: 1,
            first: Moment::from_millis(0),
            last: Moment::from_millis(0),
        };
        for _ in 0..2 {
            sums.memory.add(pair, big).unwrap();
            sums.spill().unwrap();
        }
        let (mut pairs, _) = sums.merged().unwrap();
        assert!(matches!(pairs.next(), Some(Err(StoreError::Overflow(_)))));
    }
}
