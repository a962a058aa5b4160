//! Kinds files: new kinds added, built-in ones left as they are.

use std::io::Read;

use balans_core::{Amount, DecimalMark, Dimension, KindCode, KindDef};
use balans_csv::{Column, RowError, Table};
use rustc_hash::FxHashMap;

use super::common::{Errors, Progress, Summary, for_each_row};
use crate::snapshot::NAME_MAX_BYTES;
use crate::store::{Store, StoreResult};

pub(crate) fn import_kinds<S: Store + ?Sized>(
    store: &mut S,
    table: &mut Table<Box<dyn Read + Send>>,
    index: usize,
    summary: &mut Summary,
    errors: &mut Errors,
    progress: &(dyn Fn(Progress) + Sync),
) -> StoreResult<()> {
    let stored = store.kinds()?;
    let decimal = table.decimal();
    let mut seen: FxHashMap<String, u64> = FxHashMap::default();
    summary.rows += for_each_row(table, index, errors, progress, |row, errors| {
        let Ok(def) = parse_kind(row, decimal).map_err(|list| errors.extend(list)) else {
            return Ok(());
        };
        if let Some(first_line) = seen.insert(def.code.to_string(), row.line()) {
            errors.push(row.error(
                Column::Code,
                format!("kind '{}' appears on line {first_line} too", def.code),
            ));
            return Ok(());
        }
        match stored.iter().find(|k| k.def.code == def.code) {
            Some(existing) if existing.def.dimension != def.dimension => errors.push(row.error(
                Column::Dimension,
                format!(
                    "kind '{}' is stored with dimension {}; a kind's dimension cannot change",
                    def.code, existing.def.dimension
                ),
            )),
            Some(existing) if existing.def == def => {}
            Some(existing) => {
                store.update_kind(existing.id, &def)?;
                summary.kinds_updated += 1;
            }
            None => {
                store.insert_kind(&def, false)?;
                summary.kinds_added += 1;
            }
        }
        Ok(())
    })?;
    Ok(())
}

pub(crate) fn parse_kind(
    row: &balans_csv::Row<'_>,
    decimal: DecimalMark,
) -> Result<KindDef, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut text = |column: Column| row.text(column).map_err(|e| errors.push(e)).unwrap_or("");
    let (code, dimension, default) = (
        text(Column::Code),
        text(Column::Dimension),
        text(Column::Default),
    );
    let (label_nl, label_en) = (text(Column::LabelNl), text(Column::LabelEn));
    let code = KindCode::parse(code)
        .map_err(|e| errors.push(row.error(Column::Code, e.to_string())))
        .ok();
    let dimension = dimension
        .parse::<Dimension>()
        .map_err(|e| errors.push(row.error(Column::Dimension, e)))
        .ok();
    let default = if default.is_empty() {
        Some(None)
    } else {
        Amount::parse(default, decimal)
            .map(Some)
            .map_err(|e| errors.push(row.error(Column::Default, e.to_string())))
            .ok()
    };
    for (column, label) in [(Column::LabelNl, label_nl), (Column::LabelEn, label_en)] {
        if label.len() > NAME_MAX_BYTES {
            errors.push(row.error(column, format!("longer than {NAME_MAX_BYTES} bytes")));
        }
    }
    match (code, dimension, default) {
        (Some(code), Some(dimension), Some(default)) if errors.is_empty() => Ok(KindDef {
            label_nl: if label_nl.is_empty() {
                code.to_string()
            } else {
                label_nl.to_string()
            },
            label_en: if label_en.is_empty() {
                code.to_string()
            } else {
                label_en.to_string()
            },
            code,
            dimension,
            default,
        }),
        _ => Err(errors),
    }
}
