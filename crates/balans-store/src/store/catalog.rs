//! The catalog: the kinds and the settings (the time zone among them), read by
//! every write and changed rarely.

use std::sync::Arc;

use balans_core::{Kind, KindDef, KindId, Zone};
use rustc_hash::FxHashMap;

use super::error::{StoreError, StoreResult};

/// The names of the settings a store keeps.
pub mod setting {
    /// The IANA time zone a date without a time is read in.
    pub const TIME_ZONE: &str = "timezone";
    /// The key of our own organization, which the report takes sides with.
    pub const US: &str = "us";
    /// The share of a relationship's live credit above which a person is its
    /// key person: a whole percentage, 50 unless set (`docs/credits.md`).
    pub const KEY_PERSON: &str = "key_person_percent";
    /// The credit volume that must go dormant with a departure before it is
    /// named in an alert: points, 10 unless set (`docs/credits.md`).
    pub const DORMANT_ALERT: &str = "dormant_alert_points";
    /// Set ("1") in a store the demo organization was loaded into.
    pub const DEMO: &str = "demo";
}

/// Kinds and settings, as a backend stores them.
pub trait CatalogStore {
    fn setting(&mut self, name: &str) -> StoreResult<Option<String>>;
    fn set_setting(&mut self, name: &str, value: &str) -> StoreResult<()>;

    fn kinds(&mut self) -> StoreResult<Vec<Kind>>;
    /// The kinds and the time zone as every write resolves against them. A backend
    /// may keep one between calls, as long as a change to either (by any
    /// connection) gives a new one.
    fn catalog(&mut self) -> StoreResult<Arc<Catalog>> {
        Catalog::read(self).map(Arc::new)
    }
    fn insert_kind(&mut self, def: &KindDef, builtin: bool) -> StoreResult<KindId>;
    fn update_kind(&mut self, id: KindId, def: &KindDef) -> StoreResult<()>;
}

/// The store's kinds, by code and by id, and its time zone, as read at one moment.
#[derive(Debug)]
pub struct Catalog {
    pub zone: Zone,
    by_code: FxHashMap<String, Kind>,
    by_id: FxHashMap<KindId, Kind>,
}

impl Catalog {
    /// Reads both from the store.
    pub fn read<S: CatalogStore + ?Sized>(store: &mut S) -> StoreResult<Catalog> {
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
pub fn zone_of<S: CatalogStore + ?Sized>(store: &mut S) -> StoreResult<Zone> {
    let name = store.setting(setting::TIME_ZONE)?;
    let name = name.as_deref().unwrap_or(balans_core::DEFAULT_TIME_ZONE);
    Zone::named(name).map_err(|e| StoreError::Corrupt(e.to_string()))
}
