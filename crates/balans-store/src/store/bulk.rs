//! A bulk load: the hooks an import calls so that a backend may load many
//! gestures its own faster way. A backend without one keeps the defaults, and
//! stores and answers exactly the same either way.

use std::hash::{Hash, Hasher};

use balans_core::{Gesture, GestureId, Moment, StoredGesture};
use rustc_hash::{FxHashMap, FxHasher};

use super::error::StoreResult;
use super::gestures::Resolved;

/// Batches of resolved gestures an import hands to [`BulkLoad::stream_gestures`].
pub trait GestureBatches {
    /// The next batch, or `None` when there is none to store now.
    fn next_batch(&mut self) -> Option<&[Resolved]>;
    /// The batch last handed over is stored, and every gesture in it was new.
    /// The store answers for the stream as a whole when it ends: an error then
    /// undoes the write, as any error in it does.
    fn stored(&mut self);
}

/// How [`BulkLoad::stream_gestures`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streamed {
    /// The batches handed over are stored, and there is none to store now.
    Drained,
    /// The batch last handed over is not stored: it goes in the usual way.
    Declined,
}

/// What an import tells a backend around its gestures.
pub trait BulkLoad {
    /// Many gestures follow in the open write: an import. A backend may prepare
    /// for a bulk load; what it stores and answers stays exactly the same. True
    /// when it will load them in bulk and have work to do once they are all
    /// written, in [`BulkLoad::many_gestures_written`].
    fn expect_many_gestures(&mut self) -> StoreResult<bool> {
        Ok(false)
    }

    /// The file being imported holds about `rows` gestures, as its size and
    /// its first batch tell (told once per file, when its size is known,
    /// before that batch is written): a backend may prepare for adding them
    /// sooner than their count would tell it.
    fn gestures_expected(&mut self, rows: u64) -> StoreResult<()> {
        let _ = rows;
        Ok(())
    }

    /// The gestures an import announced are all written (it adds their sums
    /// next): a backend loading in bulk does now what it put off.
    fn many_gestures_written(&mut self) -> StoreResult<()> {
        Ok(())
    }

    /// Stores the batches `batches` hands over, in order, for as long as it can
    /// load them in bulk (see [`BulkLoad::expect_many_gestures`]): in one stream,
    /// which spares the backend's turns at each batch's end. Only batches of
    /// new, ordinary gestures are streamed (no reversal, no id stored). Ends when
    /// `batches` has none to hand over now ([`Streamed::Drained`]), or with the
    /// batch last handed over not stored, for
    /// [`GestureStore::insert_gestures`](super::gestures::GestureStore::insert_gestures)
    /// to store ([`Streamed::Declined`]). The default declines every batch.
    fn stream_gestures(&mut self, batches: &mut dyn GestureBatches) -> StoreResult<Streamed> {
        Ok(match batches.next_batch() {
            Some(_) => Streamed::Declined,
            None => Streamed::Drained,
        })
    }
}

/// The ids copied in bulk, as hashes, each with a value of the backend's
/// (`()`, or where its row went, for a backend that looks gestures up by it).
/// Files usually number their gestures in order, and while each id sorts
/// after the one before, none can repeat: the hashes are only listed then,
/// which costs a write to the list's end where a set costs a trip to memory
/// per id. The first id out of order, or the first look-up, puts the list into
/// a set, which every id after it is checked against.
#[derive(Debug)]
pub struct BulkIds<V = ()> {
    /// The last id listed, while all are in order.
    last: String,
    listed: Vec<(u64, V)>,
    set: Option<FxHashMap<u64, V>>,
}

impl<V> Default for BulkIds<V> {
    fn default() -> Self {
        BulkIds {
            last: String::new(),
            listed: Vec::new(),
            set: None,
        }
    }
}

/// The hash an id is kept as in [`BulkIds`].
pub fn id_hash(id: &str) -> u64 {
    let mut hasher = FxHasher::default();
    id.hash(&mut hasher);
    hasher.finish()
}

impl BulkIds {
    /// The hash an id is kept as (see [`id_hash`]).
    pub fn hash(id: &GestureId) -> u64 {
        id_hash(id.as_str())
    }
}

impl<V: Copy> BulkIds<V> {
    pub fn len(&self) -> usize {
        self.set.as_ref().map_or(self.listed.len(), FxHashMap::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The hashes of every id added, with their values, which are then
    /// forgotten: the ids that come next are kept anew, as in an empty list.
    pub fn take_hashes(&mut self) -> Vec<(u64, V)> {
        let taken = std::mem::take(self);
        match taken.set {
            Some(set) => set.into_iter().collect(),
            None => taken.listed,
        }
    }

    /// Adds an id with its value; false when it was added before (or a
    /// different id with the same hash was, which sends the load through the
    /// indexes, as a repeat does).
    pub fn insert(&mut self, id: &GestureId, value: V) -> bool {
        let hash = id_hash(id.as_str());
        if let Some(set) = &mut self.set {
            return match set.entry(hash) {
                std::collections::hash_map::Entry::Occupied(_) => false,
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(value);
                    true
                }
            };
        }
        if self.listed.is_empty() || id.as_str() > self.last.as_str() {
            self.listed.push((hash, value));
            self.last.clear();
            self.last.push_str(id.as_str());
            return true;
        }
        self.set_up().insert(id, value)
    }

    /// The value an id with `hash` was added with.
    pub fn get(&mut self, hash: u64) -> Option<V> {
        self.set_up().set.as_ref()?.get(&hash).copied()
    }

    /// Puts the list into a set.
    fn set_up(&mut self) -> &mut Self {
        if self.set.is_none() {
            self.set = Some(std::mem::take(&mut self.listed).into_iter().collect());
        }
        self
    }
}

/// Whether a batch of `n` gestures may be loaded in bulk as far as the ids
/// held in memory tell: none was loaded before, and each is held from now on
/// with the `seq` its row gets, numbered on from `first`. Past `most` ids held
/// ([`BULK_IDS_MAX`], which a backend may lower) the batch is refused (unless
/// it is the first held, which nothing set aside could make room for), so that
/// the hashes stay within some 40 MiB, however long the file (for a moment
/// some 64 MiB, when an id out of order comes that late and the list becomes a
/// set): both backends set the ids held aside first. Reversals are the
/// backend's to judge: their originals must be looked up first.
pub fn hold_new<'g>(
    ids: &mut BulkIds<i64>,
    n: usize,
    most: usize,
    gestures: impl Iterator<Item = &'g Gesture>,
    first: i64,
) -> bool {
    (ids.is_empty() || ids.len() + n <= most)
        && gestures.zip(first..).all(|(g, seq)| ids.insert(&g.id, seq))
}

/// The stored gestures with `ids` as a bulk load finds them without the index
/// of ids: `rows` reads them, each at its own time, or `None` when the load
/// cannot answer; each reversal among them then counts at the time of its
/// original, which `rows` reads too, as a lookup through the indexes answers.
pub fn found_in_load<E>(
    ids: &[&str],
    mut rows: impl FnMut(&[&str]) -> Result<Option<Vec<StoredGesture>>, E>,
) -> Result<Option<Vec<StoredGesture>>, E> {
    let Some(mut found) = rows(ids)? else {
        return Ok(None);
    };
    let originals: Vec<&str> = found
        .iter()
        .filter_map(|g| g.gesture.reverses.as_ref().map(GestureId::as_str))
        .collect();
    if !originals.is_empty() {
        let Some(originals) = rows(&originals)? else {
            return Ok(None);
        };
        let at: FxHashMap<&str, Moment> = originals
            .iter()
            .map(|o| (o.gesture.id.as_str(), o.gesture.at))
            .collect();
        for g in &mut found {
            if let Some(original) = &g.gesture.reverses
                && let Some(at) = at.get(original.as_str())
            {
                g.attributed_at = *at;
            }
        }
    }
    Ok(Some(found))
}

/// Whether `rows`, read by `seq` for the ids `asked` (each by the `seq` its
/// hash gave), are one row for each, carrying the very id asked for: two ids
/// may share a hash, or a row may have been undone. When they are not, the
/// index of ids must answer.
pub fn rows_carry_asked_ids(rows: &[StoredGesture], asked: &FxHashMap<i64, &str>) -> bool {
    rows.len() == asked.len()
        && rows
            .iter()
            .all(|g| asked.get(&g.seq) == Some(&g.gesture.id.as_str()))
}

/// The most ids one bulk load holds in memory.
pub const BULK_IDS_MAX: usize = 3_500_000;
