//! The catalog on SQLite: kinds and settings, and the catalog a connection keeps.

use std::sync::Arc;

use balans_core::{Amount, Dimension, Kind, KindCode, KindDef, KindId};
use balans_store::store::{Catalog, CatalogStore, StoreResult};
use rusqlite::{Connection, Row, params};

use crate::connection::{SqliteStore, amount, backend, corrupt};

pub(crate) fn insert_kind(
    connection: &Connection,
    def: &KindDef,
    builtin: bool,
) -> StoreResult<KindId> {
    connection
        .prepare_cached(
            "INSERT INTO kinds (code, dimension, default_minor, label_nl, label_en, builtin) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut s| {
            s.execute(params![
                def.code.as_str(),
                def.dimension.code(),
                def.default.map(Amount::minor),
                def.label_nl,
                def.label_en,
                builtin
            ])
        })
        .map_err(backend("adding a kind"))?;
    Ok(KindId(connection.last_insert_rowid()))
}

fn kind_row(row: &Row<'_>) -> rusqlite::Result<Kind> {
    let code: String = row.get(1)?;
    Ok(Kind {
        id: KindId(row.get(0)?),
        def: KindDef {
            code: KindCode::parse(&code).map_err(|_| corrupt("kind code"))?,
            dimension: Dimension::from_code(row.get(2)?).ok_or_else(|| corrupt("dimension"))?,
            default: row.get::<_, Option<i64>>(3)?.map(amount).transpose()?,
            label_nl: row.get(4)?,
            label_en: row.get(5)?,
        },
        builtin: row.get(6)?,
    })
}

impl CatalogStore for SqliteStore {
    fn setting(&mut self, name: &str) -> StoreResult<Option<String>> {
        self.query_one(
            "reading a setting",
            "SELECT value FROM settings WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
    }

    fn set_setting(&mut self, name: &str, value: &str) -> StoreResult<()> {
        self.cache.catalog = None;
        self.execute(
            "writing a setting",
            "INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [name, value],
        )
        .map(drop)
    }

    fn kinds(&mut self) -> StoreResult<Vec<Kind>> {
        self.query(
            "reading kinds",
            "SELECT id, code, dimension, default_minor, label_nl, label_en, builtin FROM kinds ORDER BY id",
            [],
            kind_row,
        )
    }

    fn catalog(&mut self) -> StoreResult<Arc<Catalog>> {
        self.refresh_cache_at(false)?;
        if let Some(catalog) = &self.cache.catalog {
            return Ok(Arc::clone(catalog));
        }
        let catalog = Arc::new(Catalog::read(self)?);
        self.cache.catalog = Some(Arc::clone(&catalog));
        Ok(catalog)
    }

    fn insert_kind(&mut self, def: &KindDef, builtin: bool) -> StoreResult<KindId> {
        self.cache.catalog = None;
        insert_kind(&self.connection, def, builtin)
    }

    fn update_kind(&mut self, id: KindId, def: &KindDef) -> StoreResult<()> {
        self.cache.catalog = None;
        self.execute(
            "changing a kind",
            "UPDATE kinds SET default_minor = ?2, label_nl = ?3, label_en = ?4 WHERE id = ?1",
            params![
                id.0,
                def.default.map(Amount::minor),
                def.label_nl,
                def.label_en
            ],
        )
        .map(drop)
    }
}
