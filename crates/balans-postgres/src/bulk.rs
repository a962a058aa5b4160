//! The state of a bulk load: whether one is wanted or under way, and the ids it
//! has copied in.
//!
//! An import into an empty `gestures` table (announced by
//! `BulkLoad::expect_many_gestures`) copies its rows in without the table's two
//! unique indexes (`seq`, `id`), batch after batch in one `COPY`
//! (`BulkLoad::stream_gestures`: the server copies one batch while the next is
//! parsed; the rows are numbered from the sequence's next value and the sequence
//! set to the last at the end), and builds the indexes once
//! (`schema::GESTURE_INDEXES_BUILD`) before anything needs them: an id it has
//! copied before ([`BulkIds`]), a lookup it cannot answer itself, and at the
//! latest before the commit (`BulkLoad::many_gestures_written`, when the import
//! has written its last batch). A lookup by id (a reversal's original) it
//! answers from the ids it holds, each with the `seq` of its row, through the
//! key of `seq` alone, built at the first (`PostgresStore::bulk_gestures`). When the balance tables were empty too, its sums are copied into
//! temporary tables part after part and summed into them by one statement
//! before anything reads them, with the tables' indexes dropped and built at
//! once after (`PostgresStore::fold_staged`, `copy_into_empty`): inserting tens
//! of thousands of rows into two indexes cost four times the copy, and adding
//! part after part to a million pairs ten times.

use balans_store::store::BulkIds;
use fastbloom::BloomFilter;

/// An import into an empty gestures table copies the rows in without the table's
/// indexes and builds them once, as a restore does: maintaining two unique indexes
/// row by row costs PostgreSQL more than the copy itself. The indexes are built
/// before anything needs them (a repeated id, a lookup the load cannot answer), when
/// the import has written its last file of gestures (while it sums them), and at
/// the latest before the commit; a rollback past the drop brings them back.
///
/// Only an empty table is loaded this way, so building costs no more than the
/// import. The writer holds the write lock, so no other process adds a gesture
/// meanwhile; other connections' reads of the gestures wait for the commit, as
/// dropping an index locks the table, and so do reads of the balances and the
/// months once their first sums are copied in (`copy_into_empty`).
#[derive(Debug, Default)]
pub(crate) enum Bulk {
    /// Gestures are written with the indexes in place.
    #[default]
    Off,
    /// Many gestures follow in the write at `depth` (an import): its first batch
    /// large enough to be copied looks whether the table is empty.
    Wanted { depth: u32 },
    /// The indexes were dropped by the write at depth `dropped`, and built again
    /// by the one at `built`, if they were: a rollback past the build leaves
    /// them dropped. `ids` holds the ids copied in bulk, so that a repeated id,
    /// which the unique index would have refused, is seen and the indexes built
    /// before it is written; each with the `seq` its row got, so that a
    /// lookup by id finds the row through the key of `seq`, which is built at
    /// the first such lookup by the write at depth `seq_indexed` and kept from
    /// then on. `balances_empty`, `months_empty` and
    /// `party_totals_empty` say that the table held no row when the load
    /// began and none has been added since. The sums of such a table are then
    /// copied into a temporary table of their own, however many parts they
    /// come in, and summed into it by one statement (`balances_staged`,
    /// `months_staged`, `party_totals_staged`, see [`Staged`] and
    /// `PostgresStore::fold_staged`). Past the most ids it holds, the load
    /// sets them aside (`aside`, see [`IdsAside`]), into `aside_tables`
    /// tables so far.
    Loading {
        dropped: u32,
        built: Option<u32>,
        // Boxed: the rest of a load is small beside it, and so is every other state.
        ids: Box<BulkIds<i64>>,
        aside: IdsAside,
        aside_tables: u32,
        seq_indexed: Option<u32>,
        balances_empty: bool,
        months_empty: bool,
        party_totals_empty: bool,
        balances_staged: Staged,
        months_staged: Staged,
        party_totals_staged: Staged,
    },
}

/// What the last bulk load on a connection did, for tests and benchmarks.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BulkLoadSeen {
    /// Gestures copied in before the indexes were built.
    pub copied_in_bulk: u64,
    /// How many times it set the ids it held aside, and how many ids in all.
    pub sets_aside: u32,
    pub ids_set_aside: u64,
    /// Batches whose ids the filter could not rule out, looked up in the table.
    pub looked_up: u32,
    /// Gestures looked up by id, and found, from the ids the load holds
    /// (a reversal's original), without the index of ids.
    pub found_in_load: u64,
}

/// The ids a bulk load has set aside, once it holds more than it keeps in
/// memory (see `PostgresStore::set_ids_aside`): their hashes are in the
/// temporary tables `bulk_id_hashes_0`, `_1`, …, and in a filter of fixed size that
/// answers for most ids that they are not among them, so that only the few
/// it cannot rule out are looked up there. Before, such a load built every
/// index of the gestures and copied the rest through them: ten million ids
/// in no order took 181 s against the 10 s of `psql \copy`.
#[derive(Debug, Default)]
pub(crate) enum IdsAside {
    #[default]
    None,
    Set(Box<BloomFilter>),
    /// A rollback inside the load may have undone some of the setting aside,
    /// or the indexes were built and the filter is gone: the next batch (after
    /// a rollback past the build) builds the indexes and goes through them.
    Lost,
}

impl IdsAside {
    /// The filter's size: 32 MiB, whatever the number of ids. Ten million
    /// ids set aside leave one in some 50,000 ids not ruled out.
    const FILTER_BITS: usize = 1 << 28;

    /// A filter with nothing in it; its hashes seeded alike in every load, so
    /// that a load does the same work each time.
    pub(crate) fn new_filter() -> Box<BloomFilter> {
        Box::new(
            BloomFilter::with_num_bits(Self::FILTER_BITS)
                .seed(&0x6261_6c61_6e73)
                .hashes(8),
        )
    }
}

/// Where a bulk load's sums for a table that was empty go. While each part
/// comes in key order after the one before (an import's merged sums come so),
/// no key is there twice: the parts are copied straight into the table, its
/// indexes dropped before the first and built at the fold. A part out of order
/// waits, with every part after it, in a temporary table that the fold sums
/// into the table: one statement into the empty table when no part went
/// straight in, else an upsert once the indexes are built. Copying a million
/// pairs into the temporary table and across took PostgreSQL 0.8 s more than
/// copying them in.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) enum Staged {
    #[default]
    No,
    /// Every part copied straight in, in order; the last key's columns.
    Direct([i64; 4]),
    /// Parts wait in the temporary table; `direct` when some went straight
    /// into the table before.
    Waiting { direct: bool },
}

impl Staged {
    /// Notes a part of sums copied in, by their keys' columns in order.
    pub(crate) fn note(&mut self, mut keys: impl Iterator<Item = [i64; 4]>) {
        let Some(first) = keys.next() else {
            return;
        };
        let mut last = first;
        let mut sorted = true;
        for key in keys {
            sorted &= key > last;
            last = key;
        }
        *self = match self {
            Staged::No if sorted => Staged::Direct(last),
            Staged::No => Staged::Waiting { direct: false },
            Staged::Direct(before) if sorted && first > *before => Staged::Direct(last),
            Staged::Direct(_) => Staged::Waiting { direct: true },
            Staged::Waiting { direct } => Staged::Waiting { direct: *direct },
        };
    }
}

/// Batches this large are copied in (COPY); smaller ones are inserted.
pub(crate) const COPY_ROWS_MIN: usize = 256;

#[cfg(test)]
mod tests {
    use super::Staged;

    /// Parts in key order after one another go straight in; a part out of
    /// order, or one that starts at or before the last key, waits, and so does
    /// every part after it.
    #[test]
    fn parts_go_straight_in_only_while_each_follows_the_last() {
        let words = |keys: &[i64]| keys.iter().map(|&k| [0, k, k + 1, 0]).collect::<Vec<_>>();
        let mut staged = Staged::No;
        staged.note(words(&[]).into_iter());
        assert_eq!(staged, Staged::No);
        staged.note(words(&[1, 2, 5]).into_iter());
        assert_eq!(staged, Staged::Direct([0, 5, 6, 0]));
        staged.note(words(&[6, 9]).into_iter());
        assert_eq!(staged, Staged::Direct([0, 9, 10, 0]));
        let mut overlapping = staged.clone();
        overlapping.note(words(&[9, 12]).into_iter());
        assert_eq!(overlapping, Staged::Waiting { direct: true });
        overlapping.note(words(&[20]).into_iter());
        assert_eq!(overlapping, Staged::Waiting { direct: true });
        staged.note(words(&[12, 11]).into_iter());
        assert_eq!(staged, Staged::Waiting { direct: true });
        let mut twice = Staged::No;
        twice.note(words(&[3, 3]).into_iter());
        assert_eq!(twice, Staged::Waiting { direct: false });
        twice.note(words(&[4, 5]).into_iter());
        assert_eq!(twice, Staged::Waiting { direct: false });
    }
}
