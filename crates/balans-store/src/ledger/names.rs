//! What a person types for a party or a kind: a key or a code as stored, or a
//! name or a label in either language, matched without regard to case or
//! accents, where it names exactly one. What names several, or none but is close
//! to some, is refused with the candidates ("did you mean …").

use std::sync::Arc;

use balans_core::{Kind, Party, PartyKey, Quoted};
use rustc_hash::FxHashSet;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::field::Code;
use crate::snapshot::GestureText;
use crate::store::{Catalog, Store, StoreResult};
use crate::{LedgerError, field};

/// The most candidates a message names.
const CANDIDATES_MAX: usize = 5;

/// Text as it is compared: lower case, accents dropped (`Café` is `cafe`),
/// spaces around it trimmed.
pub fn folded(text: &str) -> String {
    text.trim()
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `name` is close enough to what was typed (`wanted`, both folded) to be
/// offered in its place: one holds the other, or they or one of the name's words
/// begin with the same four letters or more (`bedankt`, `bedankje`).
fn close(wanted: &str, name: &str) -> bool {
    let same_start =
        |a: &str, b: &str| a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count() >= 4;
    name.contains(wanted)
        || (name.chars().count() >= 3 && wanted.contains(name))
        || same_start(wanted, name)
        || name
            .split(|c: char| !c.is_alphanumeric())
            .any(|word| same_start(wanted, word))
}

/// Turns typed parties and kinds into keys and codes, reading every party only
/// when a text is not a key.
pub(crate) struct Names {
    /// The stored keys among the texts this was made for.
    keys: FxHashSet<String>,
    catalog: Arc<Catalog>,
    parties: Option<Vec<Party>>,
    kinds: Option<Vec<Kind>>,
}

impl Names {
    /// For texts that name these parties: the keys among them are looked up in
    /// one trip.
    pub(crate) fn for_texts<S: Store + ?Sized>(
        store: &mut S,
        typed: &[&str],
    ) -> StoreResult<Names> {
        let mut keys: Vec<&str> = typed
            .iter()
            .map(|t| t.trim())
            .filter(|t| PartyKey::check(t).is_ok())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        Ok(Names {
            keys: store
                .parties_by_keys(&keys)?
                .into_iter()
                .map(|p| p.fields.key.to_string())
                .collect(),
            catalog: store.catalog()?,
            parties: None,
            kinds: None,
        })
    }

    /// The key of the party `typed` names: itself when it is a stored key, else
    /// the one party whose name or key it is (ignoring case and accents). Text
    /// that names no party and is close to none is passed on as it is, for the
    /// usual "unknown party" answer.
    pub(crate) fn party<S: Store + ?Sized>(
        &mut self,
        store: &mut S,
        column: &'static str,
        typed: &str,
    ) -> StoreResult<Result<String, field::Error>> {
        let typed = typed.trim();
        if typed.is_empty() {
            return Ok(Ok(String::new()));
        }
        if self.keys.contains(typed) {
            return Ok(Ok(typed.to_string()));
        }
        if self.parties.is_none() {
            self.parties = Some(store.parties()?);
        }
        let parties = self.parties.as_deref().unwrap_or_default();
        let wanted = folded(typed);
        let described = |p: &&Party| format!("{} ({})", p.fields.key, p.fields.name);
        let exact: Vec<&Party> = parties
            .iter()
            .filter(|p| folded(&p.fields.name) == wanted || folded(p.fields.key.as_str()) == wanted)
            .collect();
        Ok(match exact.as_slice() {
            [one] => Ok(one.fields.key.to_string()),
            [] => {
                let close: Vec<String> = parties
                    .iter()
                    .filter(|p| {
                        close(&wanted, &folded(&p.fields.name))
                            || close(&wanted, &folded(p.fields.key.as_str()))
                    })
                    .take(CANDIDATES_MAX)
                    .map(|p| described(&p))
                    .collect();
                if close.is_empty() {
                    Ok(typed.to_string())
                } else {
                    Err(field::Error::new(
                        column,
                        format!(
                            "no party '{}': did you mean {}?",
                            Quoted(typed),
                            close.join(", ")
                        ),
                    )
                    .said(
                        Code::PartyDidYouMean,
                        &[
                            ("name", &Quoted(typed).to_string()),
                            ("candidates", &close.join(", ")),
                        ],
                    ))
                }
            }
            several => {
                let candidates = several
                    .iter()
                    .take(CANDIDATES_MAX)
                    .map(described)
                    .collect::<Vec<_>>()
                    .join(", ");
                let name = Quoted(typed).to_string();
                Err(field::Error::new(
                    column,
                    format!(
                        "'{name}' names {} parties: {candidates}; give the key",
                        several.len()
                    ),
                )
                .said(
                    Code::PartyAmbiguous,
                    &[
                        ("name", &name),
                        ("count", &several.len().to_string()),
                        ("candidates", &candidates),
                    ],
                ))
            }
        })
    }

    /// The code of the kind `typed` names: its code, or its Dutch or English
    /// label (ignoring case and accents) where that names one kind. Text that
    /// names none and is close to none is passed on as it is.
    pub(crate) fn kind<S: Store + ?Sized>(
        &mut self,
        store: &mut S,
        typed: &str,
    ) -> StoreResult<Result<String, field::Error>> {
        let typed = typed.trim();
        if typed.is_empty() || self.catalog.kind_by_code(typed).is_some() {
            return Ok(Ok(typed.to_string()));
        }
        if self.kinds.is_none() {
            self.kinds = Some(store.kinds()?);
        }
        let kinds = self.kinds.as_deref().unwrap_or_default();
        let wanted = folded(typed);
        let names = |k: &Kind| {
            [
                folded(k.def.code.as_str()),
                folded(&k.def.label_nl),
                folded(&k.def.label_en),
            ]
        };
        let exact: Vec<&Kind> = kinds
            .iter()
            .filter(|k| names(k).contains(&wanted))
            .collect();
        let described =
            |k: &&Kind| format!("{} ({} / {})", k.def.code, k.def.label_nl, k.def.label_en);
        Ok(match exact.as_slice() {
            [one] => Ok(one.def.code.to_string()),
            [] => {
                let close: Vec<String> = kinds
                    .iter()
                    .filter(|k| names(k).iter().any(|name| close(&wanted, name)))
                    .take(CANDIDATES_MAX)
                    .map(|k| described(&k))
                    .collect();
                if close.is_empty() {
                    Ok(typed.to_string())
                } else {
                    Err(field::Error::new(
                        "kind",
                        format!(
                            "no kind '{}': did you mean {}?",
                            Quoted(typed),
                            close.join(", ")
                        ),
                    )
                    .said(
                        Code::KindDidYouMean,
                        &[
                            ("name", &Quoted(typed).to_string()),
                            ("candidates", &close.join(", ")),
                        ],
                    ))
                }
            }
            several => {
                let candidates = several.iter().map(described).collect::<Vec<_>>().join(", ");
                let name = Quoted(typed).to_string();
                Err(field::Error::new(
                    "kind",
                    format!(
                        "'{name}' names {} kinds: {candidates}; give the code",
                        several.len()
                    ),
                )
                .said(
                    Code::KindAmbiguous,
                    &[
                        ("name", &name),
                        ("count", &several.len().to_string()),
                        ("candidates", &candidates),
                    ],
                ))
            }
        })
    }
}

/// The giver's and the receiver's keys and the kind's code that a gesture's text
/// names, as [`give`](super::give) reads them, or why it names none.
pub fn named_keys<S: Store + ?Sized>(
    store: &mut S,
    text: &GestureText<'_>,
) -> Result<(String, String, String), LedgerError> {
    let mut names = Names::for_texts(store, &[text.giver, text.receiver])?;
    let keyed = Keyed::of(&mut names, store, text)??;
    Ok((keyed.giver, keyed.receiver, keyed.kind))
}

/// A gesture's parties and kind as keys and a code, for its text.
pub(crate) struct Keyed {
    giver: String,
    receiver: String,
    kind: String,
    giver_org: String,
    receiver_org: String,
}

impl Keyed {
    /// The keys and code `text` names, or every field that names none or several.
    pub(crate) fn of<S: Store + ?Sized>(
        names: &mut Names,
        store: &mut S,
        text: &GestureText<'_>,
    ) -> StoreResult<Result<Keyed, Vec<field::Error>>> {
        let mut errors = Vec::new();
        let mut keep = |result: Result<String, field::Error>| {
            result.unwrap_or_else(|e| {
                errors.push(e);
                String::new()
            })
        };
        let keyed = Keyed {
            giver: keep(names.party(store, "giver", text.giver)?),
            receiver: keep(names.party(store, "receiver", text.receiver)?),
            kind: keep(names.kind(store, text.kind)?),
            giver_org: keep(names.party(store, "giver_org", text.giver_org)?),
            receiver_org: keep(names.party(store, "receiver_org", text.receiver_org)?),
        };
        Ok(if errors.is_empty() {
            Ok(keyed)
        } else {
            Err(errors)
        })
    }

    /// `text` with these keys and code in place of what was typed.
    pub(crate) fn text<'a>(&'a self, text: &GestureText<'a>) -> GestureText<'a> {
        GestureText {
            giver: &self.giver,
            receiver: &self.receiver,
            kind: &self.kind,
            giver_org: &self.giver_org,
            receiver_org: &self.receiver_org,
            ..*text
        }
    }

    /// The giver's and the receiver's keys.
    pub(crate) fn pair(&self) -> (&str, &str) {
        (&self.giver, &self.receiver)
    }
}

/// The key of the party `typed` names (its key, or its name ignoring case and
/// accents where one party has it), as the gesture form reads a party; the
/// candidates when it is ambiguous or close to some; `NotFound` otherwise.
pub fn party_key_named<S: Store + ?Sized>(
    store: &mut S,
    column: &'static str,
    typed: &str,
) -> Result<String, LedgerError> {
    let mut names = Names::for_texts(store, &[typed])?;
    let key = names
        .party(store, column, typed)?
        .map_err(|e| LedgerError::Invalid(vec![e]))?;
    if store.parties_by_keys(&[key.as_str()])?.is_empty() {
        let name = Quoted(typed.trim()).to_string();
        return Err(LedgerError::Invalid(vec![
            field::Error::new(column, format!("no party '{name}'"))
                .said(Code::UnknownParty, &[("name", &name)]),
        ]));
    }
    Ok(key)
}

/// A key for a new party named `name`: the name in lower case without accents,
/// words joined by `-` (`Café de Zon` → `cafe-de-zon`), with `-2`, `-3`, …
/// added when a party has it already.
pub fn free_key<S: Store + ?Sized>(store: &mut S, name: &str) -> Result<String, LedgerError> {
    let folded = folded(name);
    let mut base = String::with_capacity(folded.len());
    for word in folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !base.is_empty() {
            base.push('-');
        }
        base.push_str(word);
    }
    // Keys stay short enough to type; a long name's key is its start.
    let mut base: String = base.chars().take(40).collect();
    while base.ends_with('-') {
        base.pop();
    }
    if base.is_empty() {
        base.push_str("party");
    }
    let mut candidate = base.clone();
    let mut n = 2;
    while !store.parties_by_keys(&[candidate.as_str()])?.is_empty() {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    Ok(candidate)
}

#[cfg(test)]
mod tests {
    use super::{close, folded};

    #[test]
    fn close_names_are_offered() {
        assert!(close("bedankt", "bedankje"));
        assert!(close("boer", "de boer, eva"));
        assert!(close("hendrik jansen", "hendrik"));
        assert!(!close("hans", "henk"));
        assert!(!close("xyz", "henk bosman"));
    }

    #[test]
    fn names_are_compared_without_case_or_accents() {
        assert_eq!(folded("  Café de Zon "), "cafe de zon");
        assert_eq!(folded("TINEKE Hoekstra"), "tineke hoekstra");
        assert_eq!(folded("Ĳsselmeer Zeeën"), folded("ĳsselmeer zeeen"));
    }
}
