//! How the ledger shows a pair and a party: balances as exact decimal strings,
//! seen from one side.

use balans_core::{
    Balance, Dimension, Evenness, Level, Moment, PairKey, Party, PartyId, PartyKey, PartyKind,
    Totals,
};
use serde::Serialize;

/// The balance of a pair in both dimensions, as seen from `a`.
#[derive(Debug, Clone, Serialize)]
pub struct PairView {
    #[serde(serialize_with = "key_of")]
    pub a: PartyRef,
    #[serde(serialize_with = "key_of")]
    pub b: PartyRef,
    pub level: Level,
    /// At organization level between a person and an organization: the
    /// balance is the person's part of the organization's relationships
    /// ([`crate::ledger::person_part`]), not a stored pair.
    pub part: bool,
    pub money: BalanceView,
    pub credit: BalanceView,
}

impl PairView {
    pub fn of(&self, dimension: Dimension) -> &BalanceView {
        match dimension {
            Dimension::Money => &self.money,
            Dimension::Credit => &self.credit,
        }
    }
}

/// A party as a view names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartyRef {
    pub key: PartyKey,
    pub name: String,
    pub kind: PartyKind,
    #[serde(skip)]
    pub id: PartyId,
}

impl From<&Party> for PartyRef {
    fn from(party: &Party) -> PartyRef {
        PartyRef {
            key: party.fields.key.clone(),
            name: party.fields.name.clone(),
            kind: party.fields.kind,
            id: party.id,
        }
    }
}

/// One dimension of a pair's balance, ready to show: amounts as exact decimal strings.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BalanceView {
    pub a_to_b: balans_core::Sum,
    pub b_to_a: balans_core::Sum,
    pub net: NetSum,
    pub evenness: Option<Evenness>,
    pub count: i64,
    #[serde(serialize_with = "moment_opt")]
    pub first: Option<Moment>,
    #[serde(serialize_with = "moment_opt")]
    pub last: Option<Moment>,
}

/// A net, which may exceed one sum's range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct NetSum(pub i128);

impl std::fmt::Display for NetSum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        balans_core::amount::fmt_minor(self.0, f)
    }
}

impl Serialize for NetSum {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

pub(crate) fn key_of<S: serde::Serializer>(
    party: &PartyRef,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(party.key.as_str())
}

pub(crate) fn moment_opt<S: serde::Serializer>(
    moment: &Option<Moment>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match moment {
        Some(m) => serializer.collect_str(m),
        None => serializer.serialize_none(),
    }
}

impl From<Balance> for BalanceView {
    fn from(b: Balance) -> BalanceView {
        BalanceView {
            a_to_b: balans_core::Sum(b.a_to_b),
            b_to_a: balans_core::Sum(b.b_to_a),
            net: NetSum(b.net()),
            evenness: b.evenness(),
            count: b.count,
            first: b.first,
            last: b.last,
        }
    }
}

pub(crate) fn view(level: Level, a: &Party, b: &Party, rows: &[(PairKey, Totals)]) -> PairView {
    let mut view = PairView {
        level,
        part: false,
        a: a.into(),
        b: b.into(),
        money: Balance::EMPTY.into(),
        credit: Balance::EMPTY.into(),
    };
    for (key, totals) in rows {
        let balance = Balance::seen_from(a.id, key, totals).into();
        match key.dimension {
            Dimension::Money => view.money = balance,
            Dimension::Credit => view.credit = balance,
        }
    }
    view
}

/// The level a question about `a` (and `b`) is answered at when none is asked for:
/// organization level whenever either side is an organization, person level
/// between two people and for a person alone.
pub fn default_level(a: &Party, b: Option<&Party>) -> Level {
    let org = |p: &Party| p.fields.kind == PartyKind::Organization;
    if org(a) || b.is_some_and(org) {
        Level::Organization
    } else {
        Level::Person
    }
}
