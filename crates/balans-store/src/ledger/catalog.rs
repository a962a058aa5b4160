//! The catalog and settings: kinds added and changed, settings checked and set,
//! moments read in the store's time zone.

use balans_core::{Amount, Dimension, KindCode, KindDef, Moment, PartyKind};

use super::levels::rebuild_organization_level;
use super::lookup::find_party;
use crate::snapshot::Snapshot;
use crate::store::{Store, in_transaction, setting};
use crate::{LedgerError, field};

/// The catalog, in id order.
pub fn kinds<S: Store + ?Sized>(store: &mut S) -> Result<Vec<balans_core::Kind>, LedgerError> {
    Ok(store.kinds()?)
}

/// Adds a kind to the catalog.
pub fn add_kind<S: Store + ?Sized>(store: &mut S, def: KindDef) -> Result<(), LedgerError> {
    refuse_a_negative_payment(&def)?;
    in_transaction(store, |store| {
        if store.kinds()?.iter().any(|k| k.def.code == def.code) {
            return Err(LedgerError::clash(
                format!(
                    "kind '{}' exists already: change it in the catalog (the Catalog page, or 'balans kind set')",
                    def.code
                ),
                balans_core::said::Code::KindTaken,
                &[("code", def.code.as_str())],
            ));
        }
        store.insert_kind(&def, false)?;
        Ok(())
    })
}

/// Changes a kind's default and labels. Stored gestures keep their amounts.
pub fn set_kind<S: Store + ?Sized>(
    store: &mut S,
    code: &KindCode,
    default: Option<Option<Amount>>,
    label_nl: Option<String>,
    label_en: Option<String>,
) -> Result<balans_core::Kind, LedgerError> {
    in_transaction(store, |store| {
        let mut kind = store
            .kinds()?
            .into_iter()
            .find(|k| &k.def.code == code)
            .ok_or_else(|| {
                LedgerError::not_found(
                    format!("no kind '{code}': see the kinds in the catalog (the Catalog page, or 'balans kind list')"),
                    field::Code::UnknownKind,
                    &[("name", code.as_str())],
                )
            })?;
        if let Some(default) = default {
            kind.def.default = default;
        }
        if let Some(label) = label_nl {
            kind.def.label_nl = label;
        }
        if let Some(label) = label_en {
            kind.def.label_en = label;
        }
        refuse_a_negative_payment(&kind.def)?;
        store.update_kind(kind.id, &kind.def)?;
        Ok(kind)
    })
}

/// A money kind's default is never negative, as no payment is.
fn refuse_a_negative_payment(def: &KindDef) -> Result<(), LedgerError> {
    match def.default {
        Some(default) if def.dimension == Dimension::Money && default.minor() < 0 => {
            Err(LedgerError::Invalid(vec![field::Error::new(
                "default",
                format!(
                    "{default}: a payment is never negative, so neither is the default of a money kind"
                ),
            )]))
        }
        _ => Ok(()),
    }
}

/// The settings a user may change.
pub const SETTINGS: [&str; 4] = [
    setting::TIME_ZONE,
    setting::US,
    setting::KEY_PERSON,
    setting::DORMANT_ALERT,
];

/// Sets a store setting after checking its value.
pub fn set_setting<S: Store + ?Sized>(
    store: &mut S,
    name: &str,
    value: &str,
) -> Result<(), LedgerError> {
    match name {
        setting::TIME_ZONE => {
            balans_core::Zone::named(value).map_err(|e| {
                LedgerError::Invalid(vec![
                    field::Error::new("timezone", e.to_string())
                        .said(field::Code::ZoneUnknown, &[("name", value.trim())]),
                ])
            })?;
        }
        setting::US => {
            let us = find_party(store, value)?;
            if us.fields.kind != PartyKind::Organization {
                return Err(LedgerError::Invalid(vec![
                    field::Error::new("us", format!("'{value}' is a person, not an organization"))
                        .said(field::Code::NotAnOrganization, &[("name", value)]),
                ]));
            }
        }
        setting::KEY_PERSON => {
            if !value.trim().parse::<u8>().is_ok_and(|p| p <= 100) {
                return Err(LedgerError::Invalid(vec![
                    field::Error::new(
                        "value",
                        format!("the key-person threshold is a whole percentage from 0 to 100, not '{value}'"),
                    )
                    .said(field::Code::SettingPercent, &[("value", value)]),
                ]));
            }
        }
        setting::DORMANT_ALERT => {
            if !balans_core::Amount::parse_typed(value.trim()).is_ok_and(|a| a.minor() >= 0) {
                return Err(LedgerError::Invalid(vec![
                    field::Error::new(
                        "value",
                        format!("the alert threshold is an amount of zero or more, such as 10 or 12.50, not '{value}'"),
                    )
                    .said(field::Code::SettingAmount, &[("value", value)]),
                ]));
            }
        }
        other => {
            return Err(LedgerError::not_found_said(format!(
                "no setting '{other}': the settings are {}",
                SETTINGS.join(", ")
            )));
        }
    }
    let value = value.trim();
    in_transaction(store, |store| {
        store.set_setting(name, value)?;
        if name == setting::TIME_ZONE {
            // Months are counted in the store's zone.
            let snapshot = Snapshot::load(store)?;
            rebuild_organization_level(store, &snapshot)?;
        }
        Ok(())
    })
}

/// Resolves a moment typed on the command line in the store's zone.
pub fn parse_moment<S: Store + ?Sized>(store: &mut S, text: &str) -> Result<Moment, LedgerError> {
    let zone = crate::store::zone_of(store)?;
    zone.parse(text)
        .map_err(|e| LedgerError::Invalid(vec![field::Error::new("at", e.to_string())]))
}
