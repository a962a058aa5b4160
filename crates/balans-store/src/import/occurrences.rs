//! How many rows with the same content came before a row without an id, counted
//! over a whole file in bounded memory.
//!
//! A row without an id gets one derived from its content and that count, so the
//! count must be exact: a wrong one would give a row another id than the same row
//! had in an earlier import, and the file would add it twice. Content hashes are
//! uniform 64-bit keys; the most recent ones are counted in a hash map of at most
//! [`RECENT`] keys. A full map is sorted into a run in a temporary file, and runs
//! are merged as a binary counter merges its digits, so that each key is rewritten
//! about log₂(rows / `RECENT`) times and at most that many runs exist.
//!
//! A key not in the map is looked up in each run. A Bloom filter per run (ten bits
//! a key, 1.3 bytes a row in all) answers most of those lookups without reading
//! the file; the rest read one block of the run, found through a sparse index of
//! every block's first key. At ten million rows the map holds 9 MB and the
//! filters 13 MB, where one map of every key took 400 MB.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use rustc_hash::FxHashMap;

/// The keys counted in memory before they go to a run: just below a power of
/// two, so the map never grows past the capacity it starts with.
pub(crate) const RECENT: usize = (1 << 19) / 8 * 7;

/// Keys in a block of a run: one read answers a lookup the filter let through.
const BLOCK: usize = 256;

/// A key and how many rows had it so far, as a run stores it.
const ENTRY: usize = 12;

/// The counts of content hashes seen so far in one file.
pub(crate) struct Occurrences {
    /// Keys seen since the last run was written, with their count so far
    /// (including what the runs held when the key came back).
    recent: FxHashMap<u64, u32>,
    limit: usize,
    /// Sorted runs, largest first.
    runs: Vec<Run>,
}

impl Occurrences {
    /// Counts at most `limit` keys in memory ([`RECENT`] unless an import's
    /// limits say otherwise).
    pub(crate) fn with_limit(limit: usize) -> Occurrences {
        let limit = limit.max(1);
        Occurrences {
            recent: FxHashMap::default(),
            limit,
            runs: Vec::new(),
        }
    }

    /// How many rows with this key came before; counts this one.
    pub(crate) fn next(&mut self, key: u64) -> io::Result<u32> {
        if let Some(count) = self.recent.get_mut(&key) {
            let before = *count;
            *count += 1;
            return Ok(before);
        }
        let mut before = 0;
        for run in &mut self.runs {
            before = before.max(run.count(key)?);
        }
        if self.recent.len() >= self.limit {
            self.spill()?;
        }
        if self.recent.capacity() == 0 {
            self.recent.reserve(self.limit);
        }
        self.recent.insert(key, before + 1);
        Ok(before)
    }

    /// Writes the map as a run and merges runs of like size.
    fn spill(&mut self) -> io::Result<()> {
        let mut entries: Vec<(u64, u32)> = self.recent.drain().collect();
        entries.sort_unstable_by_key(|&(key, _)| key);
        let mut run = Run::write(entries.len() as u64, entries.into_iter().map(Ok))?;
        while let Some(last) = self.runs.last() {
            if last.len > 2 * run.len {
                break;
            }
            let larger = self.runs.pop().expect("a last run");
            run = Run::merge(larger, run)?;
        }
        self.runs.push(run);
        Ok(())
    }
}

/// Keys and their counts, sorted, in a temporary file that is gone once closed.
struct Run {
    file: File,
    len: u64,
    bloom: Bloom,
    /// The first key of each block.
    firsts: Vec<u64>,
    block: Vec<u8>,
}

impl Run {
    /// A run of `len` entries, given in key order.
    fn write(len: u64, entries: impl Iterator<Item = io::Result<(u64, u32)>>) -> io::Result<Run> {
        let mut out = BufWriter::with_capacity(1 << 16, tempfile::tempfile()?);
        let mut bloom = Bloom::for_keys(len);
        let mut firsts = Vec::with_capacity(len as usize / BLOCK + 1);
        let mut written = 0u64;
        for entry in entries {
            let (key, count) = entry?;
            if written % BLOCK as u64 == 0 {
                firsts.push(key);
            }
            bloom.insert(key);
            out.write_all(&key.to_le_bytes())?;
            out.write_all(&count.to_le_bytes())?;
            written += 1;
        }
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        Ok(Run {
            file,
            len: written,
            bloom,
            firsts,
            block: vec![0; BLOCK * ENTRY],
        })
    }

    /// One run of both; a key in both keeps the larger count, which is the later.
    fn merge(a: Run, b: Run) -> io::Result<Run> {
        let len = a.len + b.len;
        let mut a = a.entries()?.peekable();
        let mut b = b.entries()?.peekable();
        let merged = std::iter::from_fn(move || match (a.peek(), b.peek()) {
            (None, None) => None,
            (Some(Err(_)), _) | (Some(_), None) => a.next(),
            (_, Some(Err(_))) | (None, Some(_)) => b.next(),
            (Some(Ok((x, n))), Some(Ok((y, m)))) => {
                if x < y {
                    a.next()
                } else if y < x {
                    b.next()
                } else {
                    let entry = (*x, (*n).max(*m));
                    a.next();
                    b.next();
                    Some(Ok(entry))
                }
            }
        });
        Run::write(len, merged)
    }

    /// Every entry, in key order.
    fn entries(mut self) -> io::Result<impl Iterator<Item = io::Result<(u64, u32)>>> {
        self.file.seek(SeekFrom::Start(0))?;
        let mut reader = BufReader::with_capacity(1 << 16, self.file);
        let mut left = self.len;
        Ok(std::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            left -= 1;
            let mut entry = [0u8; ENTRY];
            Some(reader.read_exact(&mut entry).map(|()| decode(&entry)))
        }))
    }

    /// The count this run holds for the key, 0 when it holds none.
    fn count(&mut self, key: u64) -> io::Result<u32> {
        if !self.bloom.may_hold(key) {
            return Ok(0);
        }
        let block = match self.firsts.partition_point(|&first| first <= key) {
            0 => return Ok(0),
            after => after - 1,
        };
        let start = block as u64 * BLOCK as u64;
        let entries = (self.len - start).min(BLOCK as u64) as usize;
        let bytes = &mut self.block[..entries * ENTRY];
        self.file.seek(SeekFrom::Start(start * ENTRY as u64))?;
        self.file.read_exact(bytes)?;
        let (mut low, mut high) = (0, entries);
        while low < high {
            let middle = (low + high) / 2;
            let (found, count) = decode(&bytes[middle * ENTRY..][..ENTRY]);
            match found.cmp(&key) {
                std::cmp::Ordering::Equal => return Ok(count),
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
            }
        }
        Ok(0)
    }
}

fn decode(entry: &[u8]) -> (u64, u32) {
    let key = u64::from_le_bytes(entry[..8].try_into().expect("eight bytes"));
    let count = u32::from_le_bytes(entry[8..ENTRY].try_into().expect("four bytes"));
    (key, count)
}

/// A Bloom filter over keys that are already uniform hashes, so the probes are
/// derived from the key itself (double hashing) rather than hashed again, and
/// mapped onto the bits by a multiplication rather than a mask, so the filter
/// takes ten bits a key and not the next power of two.
struct Bloom {
    bits: Vec<u64>,
    len: u64,
}

/// Probes a key: with ten bits a key, about one key in a hundred that is not
/// there gets through.
const PROBES: u64 = 6;

impl Bloom {
    fn for_keys(keys: u64) -> Bloom {
        let words = (keys.max(1) * 10).div_ceil(64);
        Bloom {
            bits: vec![0; words as usize],
            len: words * 64,
        }
    }

    fn probes(&self, key: u64) -> impl Iterator<Item = (usize, u64)> + use<> {
        let step = key.rotate_left(32) | 1;
        let len = u128::from(self.len);
        (0..PROBES).map(move |i| {
            let probe = key.wrapping_add(i.wrapping_mul(step));
            let bit = ((u128::from(probe) * len) >> 64) as u64;
            ((bit / 64) as usize, 1 << (bit % 64))
        })
    }

    fn insert(&mut self, key: u64) {
        for (word, bit) in self.probes(key) {
            self.bits[word] |= bit;
        }
    }

    fn may_hold(&self, key: u64) -> bool {
        self.probes(key)
            .all(|(word, bit)| self.bits[word] & bit != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts as one map would, for any limit: keys drawn from a small range
    /// repeat, within a run, across runs and across merges.
    #[test]
    fn counts_equal_one_map_s_whatever_the_limit() {
        let mut rng = fastrand::Rng::with_seed(20);
        for (limit, rows) in [
            (1, 1_000),
            (3, 3_000),
            (7, 20_000),
            (64, 20_000),
            (1000, 20_000),
        ] {
            for spread in [5u64, 300, 5_000, u64::MAX] {
                let mut occurrences = Occurrences::with_limit(limit);
                let mut reference: FxHashMap<u64, u32> = FxHashMap::default();
                for _ in 0..rows {
                    let key = rng.u64(..spread).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                    let seen = reference.entry(key).or_insert(0);
                    assert_eq!(
                        occurrences.next(key).unwrap(),
                        *seen,
                        "limit {limit}, spread {spread}, key {key}"
                    );
                    *seen += 1;
                }
                if limit < 1000 && spread > 5 {
                    assert!(
                        !occurrences.runs.is_empty(),
                        "limit {limit}, spread {spread}: nothing went to a run"
                    );
                    assert!(
                        occurrences.runs.len() <= 64 - (rows / limit).leading_zeros() as usize + 1
                    );
                }
            }
        }
    }

    #[test]
    fn a_bloom_filter_holds_what_went_in_and_lets_few_others_through() {
        let mut bloom = Bloom::for_keys(10_000);
        let mut rng = fastrand::Rng::with_seed(7);
        let keys: Vec<u64> = (0..10_000).map(|_| rng.u64(..)).collect();
        keys.iter().for_each(|&k| bloom.insert(k));
        assert!(keys.iter().all(|&k| bloom.may_hold(k)));
        let through = (0..100_000).filter(|_| bloom.may_hold(rng.u64(..))).count();
        assert!(
            through < 1_000,
            "{through} of 100,000 other keys got through"
        );
    }
}
