//! The catalog on PostgreSQL: kinds and settings, and the catalog a connection
//! keeps while `catalog_version` holds.

use std::sync::Arc;

use balans_core::{Amount, Dimension, Kind, KindCode, KindDef, KindId};
use balans_store::store::{Catalog, CatalogStore, StoreResult};
use postgres::Row;

use crate::connection::{PostgresStore, amount, corrupt, rows};

pub(crate) const KIND_COLUMNS: &str =
    "id, code, dimension, default_minor, label_nl, label_en, builtin";

pub(crate) fn kind_row(row: &Row) -> StoreResult<Kind> {
    let code: String = row.get(1);
    Ok(Kind {
        id: KindId(row.get(0)),
        def: KindDef {
            code: KindCode::parse(&code).map_err(|_| corrupt("kind code"))?,
            dimension: Dimension::from_code(row.get(2)).ok_or_else(|| corrupt("dimension"))?,
            default: row.get::<_, Option<i64>>(3).map(amount).transpose()?,
            label_nl: row.get(4),
            label_en: row.get(5),
        },
        builtin: row.get(6),
    })
}

impl CatalogStore for PostgresStore {
    fn setting(&mut self, name: &str) -> StoreResult<Option<String>> {
        Ok(self
            .query_opt(
                "reading a setting",
                "SELECT value FROM settings WHERE name = $1",
                &[&name],
            )?
            .map(|r| r.get(0)))
    }

    fn set_setting(&mut self, name: &str, value: &str) -> StoreResult<()> {
        self.kept_changed();
        self.execute(
            "writing a setting",
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
            &[&name, &value],
        )
        .map(drop)
    }

    fn kinds(&mut self) -> StoreResult<Vec<Kind>> {
        let found = self.query(
            "reading kinds",
            &format!("SELECT {KIND_COLUMNS} FROM kinds ORDER BY id"),
            &[],
        )?;
        rows(found, kind_row)
    }

    fn catalog(&mut self) -> StoreResult<Arc<Catalog>> {
        let version = self.version()?;
        if let Some((kept, catalog)) = &self.catalog
            && *kept == version
        {
            return Ok(Arc::clone(catalog));
        }
        let catalog = Arc::new(Catalog::read(self)?);
        self.catalog = Some((version, Arc::clone(&catalog)));
        Ok(catalog)
    }

    fn insert_kind(&mut self, def: &KindDef, builtin: bool) -> StoreResult<KindId> {
        self.kept_changed();
        let row = self.query_opt(
            "adding a kind",
            "INSERT INTO kinds (code, dimension, default_minor, label_nl, label_en, builtin) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[&def.code.as_str(), &def.dimension.code(), &def.default.map(Amount::minor), &def.label_nl, &def.label_en, &builtin],
        )?;
        Ok(KindId(row.ok_or_else(|| corrupt("kind id"))?.get(0)))
    }

    fn update_kind(&mut self, id: KindId, def: &KindDef) -> StoreResult<()> {
        self.kept_changed();
        self.execute(
            "changing a kind",
            "UPDATE kinds SET default_minor = $2, label_nl = $3, label_en = $4 WHERE id = $1",
            &[
                &id.0,
                &def.default.map(Amount::minor),
                &def.label_nl,
                &def.label_en,
            ],
        )
        .map(drop)
    }
}
