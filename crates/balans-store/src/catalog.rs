//! The kinds and the time zone: read by every write, changed rarely.

use balans_core::{Kind, KindId, Zone};
use rustc_hash::FxHashMap;

use crate::store::{Store, StoreError, StoreResult, setting};

/// The store's kinds, by code and by id, and its time zone, as read at one moment.
#[derive(Debug)]
pub struct Catalog {
    pub zone: Zone,
    by_code: FxHashMap<String, Kind>,
    by_id: FxHashMap<KindId, Kind>,
}

impl Catalog {
    /// Reads both from the store.
    pub fn read<S: Store + ?Sized>(store: &mut S) -> StoreResult<Catalog> {
        let zone = zone_of(store)?;
        let kinds = store.kinds()?;
        Ok(Catalog {
            zone,
            by_code: kinds
                .iter()
                .map(|k| (k.def.code.as_str().to_string(), k.clone()))
                .collect(),
            by_id: kinds.into_iter().map(|k| (k.id, k)).collect(),
        })
    }

    /// The kind stored with exactly this code.
    pub fn kind_by_code(&self, code: &str) -> Option<&Kind> {
        self.by_code.get(code)
    }

    pub fn kind_by_id(&self, id: KindId) -> Option<&Kind> {
        self.by_id.get(&id)
    }
}

/// The store's time zone.
pub fn zone_of<S: Store + ?Sized>(store: &mut S) -> StoreResult<Zone> {
    let name = store.setting(setting::TIME_ZONE)?;
    let name = name.as_deref().unwrap_or(balans_core::DEFAULT_TIME_ZONE);
    Zone::named(name).map_err(|e| StoreError::Corrupt(e.to_string()))
}
