//! The ledger operations other than import: record and reverse one gesture, read
//! balances, the out-of-balance report, the consistency check, export, the catalog.

use std::io::Write;
use std::path::{Path, PathBuf};

use balans_core::{
    Amount, Balance, BalanceMap, Dimension, Evenness, GestureId, KindCode, KindDef, Level, Moment,
    PairKey, Party, PartyFields, PartyId, PartyKey, PartyKind, Totals,
};
use balans_csv::{FileKind, Writer};
use serde::Serialize;

use crate::import::{Recorded, flush, record_all};
use crate::snapshot::{GestureText, PartyText, Snapshot};
use crate::store::{Store, StoreError, in_transaction, setting};
use crate::{LedgerError, field};

/// Recomputes every organization-level balance from the gestures and the current
/// memberships; fails, naming the gesture, when a gesture can no longer be
/// attributed (a person now in several organizations with none named).
pub fn rebuild_organization_level<S: Store + ?Sized>(
    store: &mut S,
    snapshot: &Snapshot,
) -> Result<(), LedgerError> {
    let mut balances = BalanceMap::new();
    let mut problem = None;
    store.for_each_gesture(&mut |stored| {
        let g = &stored.gesture;
        match snapshot.units(g, stored.attributed_at) {
            Ok((giver, receiver)) => {
                if giver != receiver {
                    let (key, forward) =
                        PairKey::directed(Level::Organization, giver, receiver, g.dimension);
                    balances
                        .add(key, Totals::of(forward, g.amount, g.at))
                        .map_err(|e| StoreError::Overflow(e.to_string()))?;
                    if g.dimension == Dimension::Credit {
                        let month = snapshot.zone.month_of(g.at);
                        balances
                            .add_month(giver, receiver, month, g.amount, g.at)
                            .map_err(|e| StoreError::Overflow(e.to_string()))?;
                    }
                }
            }
            Err(e) if problem.is_none() => {
                problem = Some(format!(
                    "gesture '{}' ({}) would no longer count for one organization: {}",
                    g.id,
                    snapshot.describe(g),
                    e
                ))
            }
            Err(_) => {}
        }
        Ok(())
    })?;
    if let Some(problem) = problem {
        return Err(LedgerError::Conflict(problem));
    }
    store.replace_level(Level::Organization, &balances.sorted())?;
    store.replace_months(&balances.drain_months())?;
    Ok(())
}

/// The setting that says the monthly credit is complete: a store that held
/// gestures before months were kept has them computed once, on first open.
const MONTHS_BUILT: &str = "months_built";

/// Computes the monthly credit of a store that holds gestures from before it was
/// kept; does nothing otherwise.
pub fn ensure_months<S: Store + ?Sized>(store: &mut S) -> Result<(), LedgerError> {
    if store.setting(MONTHS_BUILT)?.as_deref() == Some("1") {
        return Ok(());
    }
    in_transaction(store, |store| {
        let snapshot = Snapshot::load(store)?;
        rebuild_organization_level(store, &snapshot)?;
        store.set_setting(MONTHS_BUILT, "1")?;
        Ok(())
    })
}

/// What recording one gesture did.
#[derive(Debug, Clone, Serialize)]
pub struct Given {
    pub id: GestureId,
    /// False when the same gesture was stored already (a retry).
    pub added: bool,
    /// The pair's person-level balance afterwards.
    pub balance: PairView,
}

/// Records one gesture, or recognizes a retry of one already stored.
pub fn give<S: Store + ?Sized>(
    store: &mut S,
    text: &GestureText<'_>,
) -> Result<Given, LedgerError> {
    let keys = [text.giver, text.receiver, text.giver_org, text.receiver_org];
    let (id, added) = in_transaction(store, |store| {
        let snapshot = Snapshot::for_keys(store, &keys)?;
        let resolved = snapshot.resolve_gesture(text, balans_core::DecimalMark::Point)?;
        let id = resolved.gesture.id.clone();
        let mut pending = BalanceMap::new();
        let outcome = record_all(store, &snapshot, vec![resolved], &mut pending)?.pop();
        let added = match outcome {
            Some(Recorded::Added) => true,
            Some(Recorded::AlreadyPresent) => false,
            Some(Recorded::Refused(e)) => return Err(LedgerError::Invalid(vec![e])),
            None => unreachable!("one gesture in, one outcome out"),
        };
        flush(store, &mut pending)?;
        Ok::<_, LedgerError>((id, added))
    })?;
    let balance = pair_balance(store, text.giver, text.receiver, Some(Level::Person))?;
    Ok(Given { id, added, balance })
}

/// What recording a batch of gestures did.
#[derive(Debug, Clone, Serialize)]
pub struct BatchGiven {
    pub added: u64,
    /// Gestures whose id was stored already with the same content (retries).
    pub already_present: u64,
    /// The ids, in the order given (generated where none was).
    pub ids: Vec<GestureId>,
}

/// The most gestures one batch may hold.
pub const BATCH_GESTURES_MAX: usize = 10_000;

/// Records gestures all together or none of them: any wrong one refuses the whole
/// batch, and each error names its gesture by position (`line` is the 1-based
/// position in the batch, `file` is `gestures`).
pub fn give_batch<S: Store + ?Sized>(
    store: &mut S,
    texts: &[GestureText<'_>],
) -> Result<BatchGiven, LedgerError> {
    if texts.len() > BATCH_GESTURES_MAX {
        return Err(LedgerError::Invalid(vec![field::Error::new(
            "gestures",
            format!(
                "{} gestures; a batch holds at most {BATCH_GESTURES_MAX}",
                texts.len()
            ),
        )]));
    }
    let row_error = |index: usize, e: field::Error| crate::RowError {
        file: "gestures".to_string(),
        line: index as u64 + 1,
        column: Some(e.column),
        message: e.message,
    };
    in_transaction(store, |store| {
        // The parties the batch names, each once: cheaper than every party in a
        // large store, and the same answers.
        let mut keys: Vec<&str> = texts
            .iter()
            .flat_map(|t| [t.giver, t.receiver, t.giver_org, t.receiver_org])
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let snapshot = Snapshot::for_keys(store, &keys)?;
        let mut errors = Vec::new();
        let mut resolved = Vec::with_capacity(texts.len());
        for (index, text) in texts.iter().enumerate() {
            match snapshot.resolve_gesture(text, balans_core::DecimalMark::Point) {
                Ok(r) => resolved.push(r),
                Err(list) => errors.extend(list.into_iter().map(|e| row_error(index, e))),
            }
        }
        let mut outcome = BatchGiven {
            added: 0,
            already_present: 0,
            ids: Vec::new(),
        };
        if errors.is_empty() {
            outcome.ids = resolved.iter().map(|r| r.gesture.id.clone()).collect();
            let mut pending = BalanceMap::new();
            for (index, recorded) in record_all(store, &snapshot, resolved, &mut pending)?
                .into_iter()
                .enumerate()
            {
                match recorded {
                    Recorded::Added => outcome.added += 1,
                    Recorded::AlreadyPresent => outcome.already_present += 1,
                    Recorded::Refused(e) => errors.push(row_error(index, e)),
                }
            }
            flush(store, &mut pending)?;
        }
        if !errors.is_empty() {
            let total = errors.len();
            errors.truncate(crate::ERRORS_SHOWN_MAX);
            return Err(LedgerError::Rejected(crate::Rejection { errors, total }));
        }
        Ok(outcome)
    })
}

/// Records the reversal of a stored gesture: the same parties and kind, the
/// opposite amount, at `at` (now when absent).
pub fn reverse<S: Store + ?Sized>(
    store: &mut S,
    id: &str,
    at: Option<&str>,
    note: Option<&str>,
    reversal_id: Option<&str>,
) -> Result<Given, LedgerError> {
    let original_id = GestureId::parse(id)
        .map_err(|e| LedgerError::Invalid(vec![field::Error::new("id", e.to_string())]))?
        .ok_or_else(|| LedgerError::Invalid(vec![field::Error::new("id", "empty id")]))?;
    let original = store
        .gesture(&original_id)?
        .ok_or_else(|| LedgerError::NotFound(format!("no gesture with id '{original_id}'")))?;
    let g = &original.gesture;
    let key = |store: &mut S, id: PartyId| -> Result<String, LedgerError> {
        Ok(store
            .party_by_id(id)?
            .ok_or_else(|| StoreError::Corrupt(format!("party #{} is missing", id.0)))?
            .fields
            .key
            .to_string())
    };
    let giver = key(store, g.giver)?;
    let receiver = key(store, g.receiver)?;
    let giver_org = g
        .giver_org
        .map(|id| key(store, id))
        .transpose()?
        .unwrap_or_default();
    let receiver_org = g
        .receiver_org
        .map(|id| key(store, id))
        .transpose()?
        .unwrap_or_default();
    let kind = store
        .kinds()?
        .into_iter()
        .find(|k| k.id == g.kind)
        .ok_or_else(|| StoreError::Corrupt(format!("kind #{} is missing", g.kind.0)))?;
    let now = Moment::now().display_in(&crate::catalog::zone_of(store)?);
    let amount = g.amount.negated().to_string();
    let fresh_id;
    let id = match reversal_id {
        Some(id) => id,
        None => {
            fresh_id = GestureId::fresh();
            fresh_id.as_str()
        }
    };
    let text = GestureText {
        id,
        at: at.unwrap_or(&now),
        giver: &giver,
        receiver: &receiver,
        kind: kind.def.code.as_str(),
        amount: &amount,
        note: note.unwrap_or(""),
        item: g.item.as_deref().unwrap_or(""),
        giver_org: &giver_org,
        receiver_org: &receiver_org,
        reverses: original_id.as_str(),
    };
    give(store, &text)
}

/// The balance of a pair in both dimensions, as seen from `a`.
#[derive(Debug, Clone, Serialize)]
pub struct PairView {
    #[serde(serialize_with = "key_of")]
    pub a: PartyRef,
    #[serde(serialize_with = "key_of")]
    pub b: PartyRef,
    pub level: Level,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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

fn key_of<S: serde::Serializer>(party: &PartyRef, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(party.key.as_str())
}

fn moment_opt<S: serde::Serializer>(
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

/// Adds a party; its key must be new.
pub fn add_party<S: Store + ?Sized>(
    store: &mut S,
    text: &PartyText<'_>,
) -> Result<Party, LedgerError> {
    let fields = text.resolve()?;
    in_transaction(store, |store| {
        if store.party_by_key(&fields.key)?.is_some() {
            return Err(LedgerError::Conflict(format!(
                "a party with key '{}' exists already",
                fields.key
            )));
        }
        let id = store.insert_party(&fields)?;
        Ok(Party {
            id,
            fields: fields.clone(),
        })
    })
}

/// Changes a party's name and contact fields; its key and kind stay.
pub fn update_party<S: Store + ?Sized>(
    store: &mut S,
    key: &str,
    change: impl FnOnce(&PartyFields) -> PartyFields,
) -> Result<Party, LedgerError> {
    in_transaction(store, |store| {
        let existing = find_party(store, key)?;
        let changed = change(&existing.fields);
        // Checked as a whole, as a new party would be.
        let fields = PartyText {
            key: existing.fields.key.as_str(),
            kind: existing.fields.kind.as_str(),
            name: &changed.name,
            email: changed.email.as_deref().unwrap_or(""),
            phone: changed.phone.as_deref().unwrap_or(""),
            note: changed.note.as_deref().unwrap_or(""),
        }
        .resolve()?;
        store.update_party(existing.id, &fields)?;
        Ok(Party {
            id: existing.id,
            fields,
        })
    })
}

/// The party with this key.
pub fn find_party<S: Store + ?Sized>(store: &mut S, key: &str) -> Result<Party, LedgerError> {
    let key = PartyKey::parse(key).map_err(|e| LedgerError::NotFound(format!("party key: {e}")))?;
    store
        .party_by_key(&key)?
        .ok_or_else(|| LedgerError::NotFound(format!("no party with key '{key}'")))
}

/// The parties with keys `a` and `b`, read in one trip to the store.
fn find_two<S: Store + ?Sized>(
    store: &mut S,
    a: &str,
    b: &str,
) -> Result<(Party, Party), LedgerError> {
    let parse = |key: &str| {
        PartyKey::parse(key).map_err(|e| LedgerError::NotFound(format!("party key: {e}")))
    };
    let (key_a, key_b) = (parse(a)?, parse(b)?);
    let found = store.parties_by_keys(&[key_a.as_str(), key_b.as_str()])?;
    let take = |key: &PartyKey| {
        found
            .iter()
            .find(|p| &p.fields.key == key)
            .cloned()
            .ok_or_else(|| LedgerError::NotFound(format!("no party with key '{key}'")))
    };
    Ok((take(&key_a)?, take(&key_b)?))
}

/// The level a question about `a` (and `b`) is answered at when none is asked for:
/// organization level between organizations, person level otherwise.
pub fn default_level(a: &Party, b: Option<&Party>) -> Level {
    let org = |p: &Party| p.fields.kind == PartyKind::Organization;
    if org(a) && b.is_none_or(org) {
        Level::Organization
    } else {
        Level::Person
    }
}

fn view(level: Level, a: &Party, b: &Party, rows: &[(PairKey, Totals)]) -> PairView {
    let mut view = PairView {
        level,
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

/// The balance of the pair `a`, `b`.
pub fn pair_balance<S: Store + ?Sized>(
    store: &mut S,
    a: &str,
    b: &str,
    level: Option<Level>,
) -> Result<PairView, LedgerError> {
    let (a, b) = find_two(store, a, b)?;
    if a.id == b.id {
        return Err(LedgerError::Invalid(vec![field::Error::new(
            "b",
            "a balance needs two different parties",
        )]));
    }
    let level = level.unwrap_or_else(|| default_level(&a, Some(&b)));
    let rows = store.pair(level, a.id, b.id)?;
    Ok(view(level, &a, &b, &rows))
}

/// Every counterpart of `a`, largest credit imbalance first (then money).
pub fn counterparts<S: Store + ?Sized>(
    store: &mut S,
    a: &str,
    level: Option<Level>,
) -> Result<Counterparts, LedgerError> {
    top_counterparts(store, a, level, usize::MAX)
}

/// The `n` counterparts of `a` with the largest credit imbalance (then money),
/// in that order; `total` says how many there are in all.
pub fn top_counterparts<S: Store + ?Sized>(
    store: &mut S,
    a: &str,
    level: Option<Level>,
    n: usize,
) -> Result<Counterparts, LedgerError> {
    let a = find_party(store, a)?;
    let level = level.unwrap_or_else(|| default_level(&a, None));
    let rows = store.balances_of(level, a.id)?;
    let mut by_counterpart: std::collections::BTreeMap<PartyId, Vec<(PairKey, Totals)>> =
        Default::default();
    for (key, totals) in rows {
        let other = if key.low == a.id { key.high } else { key.low };
        by_counterpart.entry(other).or_default().push((key, totals));
    }
    let total = by_counterpart.len();
    let mut by_counterpart: Vec<(PartyId, Vec<(PairKey, Totals)>)> =
        by_counterpart.into_iter().collect();
    if n < total {
        // Only the largest are named: the others need no lookup.
        let size = |rows: &[(PairKey, Totals)], dimension: Dimension| {
            rows.iter()
                .filter(|(key, _)| key.dimension == dimension)
                .map(|(key, totals)| Balance::seen_from(a.id, key, totals).net().abs())
                .sum::<i128>()
        };
        by_counterpart.sort_by_cached_key(|(other, rows)| {
            (
                std::cmp::Reverse((size(rows, Dimension::Credit), size(rows, Dimension::Money))),
                *other,
            )
        });
        by_counterpart.truncate(n);
    }
    let mut views = Vec::with_capacity(by_counterpart.len());
    for (other, rows) in by_counterpart {
        let b = store
            .party_by_id(other)?
            .ok_or_else(|| StoreError::Corrupt(format!("party #{} is missing", other.0)))?;
        views.push(view(level, &a, &b, &rows));
    }
    views.sort_by(|x, y| {
        (y.credit.net.0.abs(), y.money.net.0.abs(), &x.b.key).cmp(&(
            x.credit.net.0.abs(),
            x.money.net.0.abs(),
            &y.b.key,
        ))
    });
    Ok(Counterparts {
        party: (&a).into(),
        level,
        counterparts: views,
        total,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Counterparts {
    pub party: PartyRef,
    pub level: Level,
    pub counterparts: Vec<PairView>,
    /// How many counterparts there are, shown or not.
    #[serde(skip)]
    pub total: usize,
}

/// What the out-of-balance report looks at.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub level: Level,
    pub dimension: Dimension,
    /// Pairs with less volume (both ways, in minor units) are left out.
    pub min_volume: Amount,
    /// Pairs at least this even are left out.
    pub evenness_below: Evenness,
    /// The most pairs per list.
    pub limit: usize,
    /// The key of our own organization; the store's setting when absent.
    pub us: Option<String>,
}

impl Default for ReportOptions {
    fn default() -> ReportOptions {
        ReportOptions {
            level: Level::Organization,
            dimension: Dimension::Credit,
            min_volume: Amount::from_minor(500).expect("in range"),
            evenness_below: Evenness(6_000),
            limit: 10,
            us: None,
        }
    }
}

/// The relationships most out of balance, in both directions.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub level: Level,
    pub dimension: Dimension,
    pub min_volume: Amount,
    pub evenness_below: Evenness,
    /// Our own organization, when known: the lists take its side.
    pub us: Option<PartyRef>,
    /// Counterparts who give us more than they get from us (a: them, b: us):
    /// they may feel unseen and leave.
    pub they_give_more: Vec<PairView>,
    /// Counterparts we give more than we get from (a: us, b: them): bowing too deep.
    pub we_give_more: Vec<PairView>,
    /// Without an organization of our own: every pair, the side that gives more as `a`.
    pub pairs: Vec<PairView>,
}

pub fn report<S: Store + ?Sized>(
    store: &mut S,
    options: &ReportOptions,
) -> Result<Report, LedgerError> {
    let us_key = match &options.us {
        Some(us) => Some(us.clone()),
        None => store.setting(setting::US)?,
    };
    let us = us_key
        .as_deref()
        .map(|key| find_party(store, key))
        .transpose()?;
    // At person level our side is our organization and everyone who works for it now.
    let mut ours = rustc_hash::FxHashSet::default();
    if let Some(us) = &us {
        ours.insert(us.id);
        if options.level == Level::Person {
            let now = Moment::now();
            for m in store.memberships()? {
                if m.organization == us.id && m.holds_at(now) {
                    ours.insert(m.person);
                }
            }
        }
    }
    let mut candidates = Vec::new();
    store.for_each_balance(&mut |key, totals| {
        if key.level != options.level || key.dimension != options.dimension {
            return Ok(());
        }
        let balance = Balance::seen_from(key.low, &key, &totals);
        let uneven = balance
            .evenness()
            .is_some_and(|e| e < options.evenness_below);
        if uneven && balance.volume() >= i128::from(options.min_volume.minor()) {
            candidates.push((key, balance.net()));
        }
        Ok(())
    })?;
    candidates.sort_by(|x, y| y.1.abs().cmp(&x.1.abs()).then(x.0.cmp(&y.0)));
    let mut they = Vec::new();
    let mut we = Vec::new();
    let mut pairs = Vec::new();
    for (key, net) in candidates {
        let (giver_more, other) = if net > 0 {
            (key.low, key.high)
        } else {
            (key.high, key.low)
        };
        let list = if us.is_some() {
            match (ours.contains(&giver_more), ours.contains(&other)) {
                (false, true) => &mut they,
                (true, false) => &mut we,
                _ => continue,
            }
        } else {
            &mut pairs
        };
        if list.len() >= options.limit {
            continue;
        }
        let a = store
            .party_by_id(giver_more)?
            .ok_or_else(|| StoreError::Corrupt("missing party".into()))?;
        let b = store
            .party_by_id(other)?
            .ok_or_else(|| StoreError::Corrupt("missing party".into()))?;
        let rows = store.pair(options.level, a.id, b.id)?;
        list.push(view(options.level, &a, &b, &rows));
    }
    Ok(Report {
        level: options.level,
        dimension: options.dimension,
        min_volume: options.min_volume,
        evenness_below: options.evenness_below,
        us: us.as_ref().map(PartyRef::from),
        they_give_more: they,
        we_give_more: we,
        pairs,
    })
}

/// A stored balance that differs from the sum of its gestures.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    pub level: Level,
    pub dimension: Dimension,
    pub a: String,
    pub b: String,
    pub stored: String,
    pub computed: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub gestures: u64,
    pub pairs: u64,
    pub differences: Vec<Difference>,
    /// Gestures the memberships no longer attribute to one organization each.
    pub unattributable: Vec<String>,
}

impl CheckReport {
    /// Whether every balance equals the sum of its gestures, and every gesture counts somewhere.
    pub fn is_consistent(&self) -> bool {
        self.differences.is_empty() && self.unattributable.is_empty()
    }
}

/// Recomputes every balance from the gestures and compares it with the stored one.
pub fn check<S: Store + ?Sized>(store: &mut S) -> Result<CheckReport, LedgerError> {
    crate::store::in_read(store, check_now)
}

fn check_now<S: Store + ?Sized>(store: &mut S) -> Result<CheckReport, LedgerError> {
    let snapshot = Snapshot::load(store)?;
    let mut computed = BalanceMap::new();
    let mut gestures = 0u64;
    let mut unattributable = Vec::new();
    store.for_each_gesture(&mut |stored| {
        gestures += 1;
        let g = &stored.gesture;
        let units = match snapshot.units(g, stored.attributed_at) {
            Ok(units) => units,
            Err(e) => {
                unattributable.push(format!("gesture '{}': {e}", g.id));
                (g.giver, g.giver)
            }
        };
        crate::import::count_gesture(
            &mut computed,
            &crate::import::Counted::of(g, units),
            &snapshot.zone,
        )?;
        Ok(())
    })?;
    let mut differences = Vec::new();
    let mut pairs = 0u64;
    let describe = |t: Option<&Totals>| match t {
        Some(t) => format!(
            "{} / {} in {} gestures",
            balans_core::Sum(t.low_to_high),
            balans_core::Sum(t.high_to_low),
            t.count
        ),
        None => "nothing".to_string(),
    };
    store.for_each_balance(&mut |key, stored| {
        pairs += 1;
        let expected = computed.remove(&key);
        if expected.as_ref() != Some(&stored) {
            differences.push(Difference {
                level: key.level,
                dimension: key.dimension,
                a: snapshot.key(key.low),
                b: snapshot.key(key.high),
                stored: describe(Some(&stored)),
                computed: describe(expected.as_ref()),
            });
        }
        Ok(())
    })?;
    let describe_month = |month: i32| {
        format!(
            "credit in {:04}-{:02}",
            month.div_euclid(12),
            month.rem_euclid(12) + 1
        )
    };
    for (key, stored) in store.all_months()? {
        pairs += 1;
        let expected = computed.remove_month(&key);
        if expected.as_ref() != Some(&stored) {
            differences.push(Difference {
                level: Level::Organization,
                dimension: Dimension::Credit,
                a: snapshot.key(key.0),
                b: describe_month(key.1),
                stored: describe(Some(&stored)),
                computed: describe(expected.as_ref()),
            });
        }
    }
    for (key, expected) in computed.drain_months() {
        differences.push(Difference {
            level: Level::Organization,
            dimension: Dimension::Credit,
            a: snapshot.key(key.0),
            b: describe_month(key.1),
            stored: describe(None),
            computed: describe(Some(&expected)),
        });
    }
    for (key, expected) in computed.sorted() {
        differences.push(Difference {
            level: key.level,
            dimension: key.dimension,
            a: snapshot.key(key.low),
            b: snapshot.key(key.high),
            stored: describe(None),
            computed: describe(Some(&expected)),
        });
    }
    Ok(CheckReport {
        gestures,
        pairs,
        differences,
        unattributable,
    })
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ExportSummary {
    pub kinds: u64,
    pub parties: u64,
    pub memberships: u64,
    pub gestures: u64,
    pub files: Vec<PathBuf>,
}

/// Writes `kinds.csv`, `parties.csv`, `memberships.csv` and `gestures.csv` into
/// `dir`. Each file is written beside its final name and renamed into place, so an
/// interrupted export never leaves a half-written file under a final name.
pub fn export<S: Store + ?Sized>(store: &mut S, dir: &Path) -> Result<ExportSummary, LedgerError> {
    crate::store::in_read(store, |store| export_now(store, dir))
}

fn export_now<S: Store + ?Sized>(store: &mut S, dir: &Path) -> Result<ExportSummary, LedgerError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| LedgerError::Io(format!("cannot create {}: {e}", dir.display())))?;
    let snapshot = Snapshot::load(store)?;
    let zone = snapshot.zone.clone();
    let mut summary = ExportSummary::default();
    let kinds = store.kinds()?;
    summary.kinds = write_file(dir, "kinds.csv", FileKind::Kinds, &mut summary.files, |w| {
        for kind in &kinds {
            let default = kind.def.default.map(|a| a.to_string()).unwrap_or_default();
            w.row([
                kind.def.code.as_str(),
                kind.def.dimension.as_str(),
                &default,
                &kind.def.label_nl,
                &kind.def.label_en,
            ])?;
        }
        Ok::<_, LedgerError>(kinds.len() as u64)
    })?;
    let parties = store.parties()?;
    summary.parties = write_file(
        dir,
        "parties.csv",
        FileKind::Parties,
        &mut summary.files,
        |w| {
            for p in &parties {
                let f = &p.fields;
                let opt = |v: &Option<String>| v.clone().unwrap_or_default();
                w.row([
                    f.key.as_str(),
                    f.kind.as_str(),
                    &f.name,
                    &opt(&f.email),
                    &opt(&f.phone),
                    &opt(&f.note),
                ])?;
            }
            Ok::<_, LedgerError>(parties.len() as u64)
        },
    )?;
    let memberships = store.memberships()?;
    summary.memberships = write_file(
        dir,
        "memberships.csv",
        FileKind::Memberships,
        &mut summary.files,
        |w| {
            for m in &memberships {
                let until = m.until.map(|u| u.display_in(&zone)).unwrap_or_default();
                w.row([
                    snapshot.key(m.person).as_str(),
                    snapshot.key(m.organization).as_str(),
                    m.role.as_str(),
                    &m.from.display_in(&zone),
                    &until,
                ])?;
            }
            Ok::<_, LedgerError>(memberships.len() as u64)
        },
    )?;
    let kind_codes: rustc_hash::FxHashMap<_, _> = kinds
        .iter()
        .map(|k| (k.id, k.def.code.to_string()))
        .collect();
    summary.gestures = write_file(
        dir,
        "gestures.csv",
        FileKind::Gestures,
        &mut summary.files,
        |w| {
            let mut gestures = 0u64;
            store.for_each_gesture(&mut |stored| {
                let g = &stored.gesture;
                let org = |id: Option<PartyId>| id.map(|id| snapshot.key(id)).unwrap_or_default();
                w.row([
                    g.id.as_str(),
                    &g.at.display_in(&zone),
                    &snapshot.key(g.giver),
                    &snapshot.key(g.receiver),
                    kind_codes.get(&g.kind).map_or("", String::as_str),
                    &g.amount.to_string(),
                    g.note.as_deref().unwrap_or(""),
                    g.item.as_deref().unwrap_or(""),
                    &org(g.giver_org),
                    &org(g.receiver_org),
                    g.reverses.as_ref().map_or("", GestureId::as_str),
                ])
                .map_err(|e| StoreError::backend("writing gestures.csv", e))?;
                gestures += 1;
                Ok(())
            })?;
            Ok::<_, LedgerError>(gestures)
        },
    )?;
    Ok(summary)
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> LedgerError {
    LedgerError::Io(format!("cannot write {}: {e}", path.display()))
}

type FileWriter = Writer<std::io::BufWriter<std::fs::File>>;

/// Writes one file through a temporary name, synced before it is renamed into place.
fn write_file<E: Into<LedgerError>>(
    dir: &Path,
    name: &str,
    kind: FileKind,
    files: &mut Vec<PathBuf>,
    rows: impl FnOnce(&mut FileWriter) -> Result<u64, E>,
) -> Result<u64, LedgerError> {
    let path = dir.join(name);
    let temporary = dir.join(format!(".{name}.partial"));
    let file = std::fs::File::create(&temporary).map_err(|e| io_error(&temporary, e))?;
    let mut writer =
        Writer::new(std::io::BufWriter::new(file), kind).map_err(|e| io_error(&temporary, e))?;
    let count = match rows(&mut writer) {
        Ok(count) => count,
        Err(e) => {
            let _ = std::fs::remove_file(&temporary);
            return Err(e.into());
        }
    };
    let mut sink = writer.finish().map_err(|e| io_error(&temporary, e))?;
    sink.flush().map_err(|e| io_error(&temporary, e))?;
    let file = sink
        .into_inner()
        .map_err(|e| io_error(&temporary, e.into_error()))?;
    file.sync_all().map_err(|e| io_error(&temporary, e))?;
    std::fs::rename(&temporary, &path).map_err(|e| io_error(&path, e))?;
    files.push(path);
    Ok(count)
}

/// The catalog, in id order.
pub fn kinds<S: Store + ?Sized>(store: &mut S) -> Result<Vec<balans_core::Kind>, LedgerError> {
    Ok(store.kinds()?)
}

/// Adds a kind to the catalog.
pub fn add_kind<S: Store + ?Sized>(store: &mut S, def: KindDef) -> Result<(), LedgerError> {
    in_transaction(store, |store| {
        if store.kinds()?.iter().any(|k| k.def.code == def.code) {
            return Err(LedgerError::Conflict(format!(
                "kind '{}' exists already: change it with 'balans kind set'",
                def.code
            )));
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
                LedgerError::NotFound(format!("no kind '{code}': see 'balans kind list'"))
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
        store.update_kind(kind.id, &kind.def)?;
        Ok(kind)
    })
}

/// Sets a store setting after checking its value.
pub fn set_setting<S: Store + ?Sized>(
    store: &mut S,
    name: &str,
    value: &str,
) -> Result<(), LedgerError> {
    match name {
        setting::TIME_ZONE => {
            balans_core::Zone::named(value).map_err(|e| {
                LedgerError::Invalid(vec![field::Error::new("timezone", e.to_string())])
            })?;
        }
        setting::US => {
            let us = find_party(store, value)?;
            if us.fields.kind != PartyKind::Organization {
                return Err(LedgerError::Invalid(vec![field::Error::new(
                    "us",
                    format!("'{value}' is a person, not an organization"),
                )]));
            }
        }
        other => {
            return Err(LedgerError::NotFound(format!(
                "no setting '{other}': the settings are {} and {}",
                setting::TIME_ZONE,
                setting::US
            )));
        }
    }
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
    let zone = crate::catalog::zone_of(store)?;
    zone.parse(text)
        .map_err(|e| LedgerError::Invalid(vec![field::Error::new("at", e.to_string())]))
}

/// Adds a membership, or changes the role and end of the one with the same person,
/// organization and start (ending a membership is setting its `until`). Stored
/// gestures follow: the organization level is recomputed in the same transaction,
/// and a change that would leave a gesture attributable to no single organization
/// is refused. Returns the membership and whether it is new.
pub fn set_membership<S: Store + ?Sized>(
    store: &mut S,
    text: &crate::snapshot::MembershipText<'_>,
) -> Result<(MembershipView, bool), LedgerError> {
    in_transaction(store, |store| {
        let mut snapshot = Snapshot::load(store)?;
        let membership = snapshot.resolve_membership(text)?;
        let existing = snapshot.memberships().same_period(&membership).cloned();
        let created = existing.is_none();
        if existing.as_ref() != Some(&membership) {
            store.upsert_membership(&membership)?;
            snapshot.insert_membership(membership.clone());
            if store.gesture_count()? > 0 {
                rebuild_organization_level(store, &snapshot)?;
            }
        }
        let view = MembershipView::of(&membership, |id| snapshot.key(id), &snapshot.zone);
        Ok((view, created))
    })
}

/// A membership as a view names it.
#[derive(Debug, Clone, Serialize)]
pub struct MembershipView {
    pub person: String,
    pub organization: String,
    pub role: balans_core::Role,
    /// In the store's time zone.
    pub from: String,
    pub until: Option<String>,
}

impl MembershipView {
    fn of(
        m: &balans_core::Membership,
        key: impl Fn(PartyId) -> String,
        zone: &balans_core::Zone,
    ) -> MembershipView {
        MembershipView {
            person: key(m.person),
            organization: key(m.organization),
            role: m.role,
            from: m.from.display_in(zone),
            until: m.until.map(|u| u.display_in(zone)),
        }
    }
}

/// The memberships of a person, or the members of an organization.
pub fn memberships<S: Store + ?Sized>(
    store: &mut S,
    key: &str,
) -> Result<Vec<MembershipView>, LedgerError> {
    let party = find_party(store, key)?;
    let list = match party.fields.kind {
        PartyKind::Person => store.memberships_of(party.id)?,
        PartyKind::Organization => store.members_of(party.id)?,
    };
    let zone = crate::catalog::zone_of(store)?;
    let mut keys: rustc_hash::FxHashMap<PartyId, String> = Default::default();
    for id in list.iter().flat_map(|m| [m.person, m.organization]) {
        if let std::collections::hash_map::Entry::Vacant(slot) = keys.entry(id) {
            slot.insert(
                store
                    .party_by_id(id)?
                    .map_or_else(|| format!("#{}", id.0), |p| p.fields.key.to_string()),
            );
        }
    }
    Ok(list
        .iter()
        .map(|m| MembershipView::of(m, |id| keys[&id].clone(), &zone))
        .collect())
}

/// A page of parties, in key order.
#[derive(Debug, Clone, Serialize)]
pub struct PartyPage {
    pub parties: Vec<PartyRef>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// The most items one page holds.
pub const PAGE_LIMIT_MAX: usize = 1_000;

fn page_limit(limit: Option<usize>) -> Result<usize, LedgerError> {
    match limit {
        None => Ok(100),
        Some(n) if (1..=PAGE_LIMIT_MAX).contains(&n) => Ok(n),
        Some(n) => Err(LedgerError::Invalid(vec![field::Error::new(
            "limit",
            format!("{n}: use 1 to {PAGE_LIMIT_MAX}"),
        )])),
    }
}

/// Parties whose key or name contains `search`, a page at a time.
pub fn list_parties<S: Store + ?Sized>(
    store: &mut S,
    search: Option<&str>,
    cursor: Option<&str>,
    limit: Option<usize>,
) -> Result<PartyPage, LedgerError> {
    let limit = page_limit(limit)?;
    let search = search.map(str::trim).filter(|s| !s.is_empty());
    let mut found = store.find_parties(search, cursor, limit + 1)?;
    let more = found.len() > limit;
    found.truncate(limit);
    let next_cursor = more
        .then(|| found.last().map(|p| p.fields.key.to_string()))
        .flatten();
    Ok(PartyPage {
        parties: found.iter().map(PartyRef::from).collect(),
        next_cursor,
    })
}

/// A gesture as a view names it: party keys, kind code, amount as an exact string.
#[derive(Debug, Clone, Serialize)]
pub struct GestureView {
    pub id: GestureId,
    /// In the store's time zone, with its offset.
    pub at: String,
    pub giver: String,
    pub receiver: String,
    pub kind: String,
    pub amount: Amount,
    pub note: Option<String>,
    pub item: Option<String>,
    pub giver_org: Option<String>,
    pub receiver_org: Option<String>,
    pub reverses: Option<GestureId>,
}

/// A page of gestures, in the order they were stored.
#[derive(Debug, Clone, Serialize)]
pub struct GesturePage {
    pub gestures: Vec<GestureView>,
    pub next_cursor: Option<String>,
}

/// What to list: every field narrows it; text as a request gives it.
#[derive(Debug, Clone, Default)]
pub struct GestureQuery<'a> {
    pub party: Option<&'a str>,
    pub counterpart: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub item: Option<&'a str>,
    pub from: Option<&'a str>,
    pub until: Option<&'a str>,
    pub cursor: Option<&'a str>,
    pub limit: Option<usize>,
    /// Latest stored first.
    pub newest_first: bool,
    /// For an organization `party`: the gestures that count for it at
    /// organization level, its people's included, as its balances count them.
    pub attributed: bool,
}

/// Gestures matching the query, a page at a time.
pub fn list_gestures<S: Store + ?Sized>(
    store: &mut S,
    query: &GestureQuery<'_>,
) -> Result<GesturePage, LedgerError> {
    let limit = page_limit(query.limit)?;
    let invalid = |column: &'static str, message: String| {
        LedgerError::Invalid(vec![field::Error::new(column, message)])
    };
    let zone = crate::catalog::zone_of(store)?;
    let party_id = |store: &mut S, key: Option<&str>| -> Result<Option<PartyId>, LedgerError> {
        key.map(|k| find_party(store, k).map(|p| p.id)).transpose()
    };
    let party = party_id(store, query.party)?;
    let counterpart = party_id(store, query.counterpart)?;
    let kinds = store.kinds()?;
    let kind = match query.kind {
        None => None,
        Some(code) => Some(
            kinds
                .iter()
                .find(|k| k.def.code.as_str() == code.trim().to_ascii_lowercase())
                .map(|k| k.id)
                .ok_or_else(|| invalid("kind", format!("unknown kind '{code}'")))?,
        ),
    };
    let moment = |column: &'static str, text: Option<&str>| {
        text.map(|t| zone.parse(t).map_err(|e| invalid(column, e.to_string())))
            .transpose()
    };
    let after_seq = match query.cursor {
        None => None,
        Some(cursor) => Some(cursor.parse::<i64>().map_err(|_| {
            invalid(
                "cursor",
                format!("'{cursor}' is not a cursor this server gave"),
            )
        })?),
    };
    let mut filter = crate::store::GestureFilter {
        party,
        counterpart,
        any_of: None,
        kind,
        item: query.item.map(str::to_string),
        from: moment("from", query.from)?,
        until: moment("until", query.until)?,
        after_seq,
        newest_first: query.newest_first,
        limit: limit + 1,
    };
    let organization = match (query.attributed, party) {
        (true, Some(id)) => store
            .party_by_id(id)?
            .filter(|p| p.fields.kind == PartyKind::Organization),
        _ => None,
    };
    let mut found = match organization {
        None => store.find_gestures(&filter)?,
        Some(organization) => attributed_gestures(store, organization.id, None, &mut filter)?,
    };
    let more = found.len() > limit;
    found.truncate(limit);
    let next_cursor = more
        .then(|| found.last().map(|g| g.seq.to_string()))
        .flatten();
    let gestures = gesture_views(store, &kinds, &zone, found)?;
    Ok(GesturePage {
        gestures,
        next_cursor,
    })
}

/// Stored gestures as views: party keys, kind codes, times in the store's zone.
pub(crate) fn gesture_views<S: Store + ?Sized>(
    store: &mut S,
    kinds: &[balans_core::Kind],
    zone: &balans_core::Zone,
    found: Vec<balans_core::StoredGesture>,
) -> Result<Vec<GestureView>, LedgerError> {
    let mut keys: rustc_hash::FxHashMap<PartyId, String> = Default::default();
    let mut key_of = |store: &mut S, id: PartyId| -> Result<String, LedgerError> {
        if let Some(key) = keys.get(&id) {
            return Ok(key.clone());
        }
        let key = store
            .party_by_id(id)?
            .map(|p| p.fields.key.to_string())
            .unwrap_or_else(|| format!("#{}", id.0));
        keys.insert(id, key.clone());
        Ok(key)
    };
    let mut gestures = Vec::with_capacity(found.len());
    for stored in found {
        let g = stored.gesture;
        gestures.push(GestureView {
            at: g.at.display_in(zone),
            giver: key_of(store, g.giver)?,
            receiver: key_of(store, g.receiver)?,
            kind: kinds
                .iter()
                .find(|k| k.id == g.kind)
                .map(|k| k.def.code.to_string())
                .unwrap_or_default(),
            amount: g.amount,
            note: g.note,
            item: g.item,
            giver_org: g.giver_org.map(|id| key_of(store, id)).transpose()?,
            receiver_org: g.receiver_org.map(|id| key_of(store, id)).transpose()?,
            reverses: g.reverses,
            id: g.id,
        });
    }
    Ok(gestures)
}

/// One stored gesture as a view, with the id of its reversal when it has one.
pub fn gesture_view<S: Store + ?Sized>(
    store: &mut S,
    id: &str,
) -> Result<Option<(GestureView, Option<GestureId>)>, LedgerError> {
    let Ok(Some(id)) = GestureId::parse(id) else {
        return Ok(None);
    };
    let Some(stored) = store.gesture(&id)? else {
        return Ok(None);
    };
    let reversal = store.reversal_of(&id)?;
    let kinds = store.kinds()?;
    let zone = crate::catalog::zone_of(store)?;
    let view = gesture_views(store, &kinds, &zone, vec![stored])?.pop();
    Ok(view.map(|v| (v, reversal)))
}

/// The gestures that count for `organization` at organization level (and, with
/// `other`, for the pair of it and `other`), in the filter's order, at most
/// `filter.limit`. The gestures of the people of the smaller side (who were ever
/// its members) are read, and kept when the roll-up gives them to the party.
pub(crate) fn attributed_gestures<S: Store + ?Sized>(
    store: &mut S,
    organization: PartyId,
    other: Option<PartyId>,
    filter: &mut crate::store::GestureFilter,
) -> Result<Vec<balans_core::StoredGesture>, LedgerError> {
    let people_of = |store: &mut S, party: PartyId| -> Result<Vec<PartyId>, LedgerError> {
        let mut people: Vec<PartyId> = store.members_of(party)?.iter().map(|m| m.person).collect();
        people.push(party);
        people.sort_unstable();
        people.dedup();
        Ok(people)
    };
    let ours = people_of(store, organization)?;
    let theirs = match other {
        Some(other) => people_of(store, other)?,
        None => Vec::new(),
    };
    let mut everyone: Vec<PartyId> = ours.iter().chain(&theirs).copied().collect();
    everyone.sort_unstable();
    everyone.dedup();
    let index = balans_core::MembershipIndex::new(store.memberships_of_many(&everyone)?);
    let any_of = if other.is_some() && theirs.len() < ours.len() {
        theirs
    } else {
        ours
    };
    let wanted = filter.limit;
    filter.party = None;
    filter.any_of = Some(any_of);
    // Read in pages: most of a busy organization's gestures are its own.
    filter.limit = 1_000;
    let mut kept = Vec::new();
    loop {
        let page = store.find_gestures(filter)?;
        let full = page.len() == filter.limit;
        for stored in page {
            filter.after_seq = Some(stored.seq);
            let g = &stored.gesture;
            let unit = |party, named| index.unit(party, stored.attributed_at, named).ok();
            let (giver, receiver) = (unit(g.giver, g.giver_org), unit(g.receiver, g.receiver_org));
            let counts = match other {
                None => {
                    giver != receiver
                        && (giver == Some(organization) || receiver == Some(organization))
                }
                Some(other) => {
                    (giver, receiver) == (Some(organization), Some(other))
                        || (giver, receiver) == (Some(other), Some(organization))
                }
            };
            if counts {
                kept.push(stored);
                if kept.len() == wanted {
                    return Ok(kept);
                }
            }
        }
        if !full {
            return Ok(kept);
        }
    }
}
