//! A bulk load: the hooks an import calls so that a backend may load many
//! gestures its own faster way. A backend without one keeps the defaults, and
//! stores and answers exactly the same either way.

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
