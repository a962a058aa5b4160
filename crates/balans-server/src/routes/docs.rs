//! Schemas for the OpenAPI document of values the library crates serialize
//! themselves (balances, reports, tokens), written out here so that those crates
//! need not know of HTTP. The API's tests check responses against them.

#![allow(dead_code)]

use utoipa::ToSchema;

/// One dimension of a pair's balance, seen from `a`. Amounts are exact decimal strings.
#[derive(ToSchema)]
pub struct BalanceDoc {
    /// What `a` gave `b`: `"12.50"`.
    pub a_to_b: String,
    /// What `b` gave `a`.
    pub b_to_a: String,
    /// `a_to_b − b_to_a`: positive when `b` is in `a`'s debt.
    pub net: String,
    /// `1 − |net| / (|a_to_b| + |b_to_a|)`, four decimals; null without volume.
    pub evenness: Option<f64>,
    pub count: i64,
    /// RFC 3339, UTC.
    pub first: Option<String>,
    pub last: Option<String>,
}

/// The balance of a pair in both dimensions: the same shape as `balans balance A B --json`.
#[derive(ToSchema)]
pub struct PairDoc {
    /// The key of the party seen from.
    pub a: String,
    pub b: String,
    /// `person` or `organization`.
    pub level: String,
    /// True at organization level between a person and an organization: the
    /// balance is the person's part of the organization's relationships, every
    /// gesture between the person and the organization or its people at the time.
    pub part: bool,
    pub money: BalanceDoc,
    pub credit: BalanceDoc,
}

#[derive(ToSchema)]
pub struct PartyRefDoc {
    pub key: String,
    pub name: String,
    /// `organization` or `person`.
    pub kind: String,
}

/// Every counterpart of a party, largest credit imbalance first.
#[derive(ToSchema)]
pub struct CounterpartsDoc {
    pub party: PartyRefDoc,
    pub level: String,
    pub counterparts: Vec<PairDoc>,
}

/// The relationships most out of balance.
#[derive(ToSchema)]
pub struct ReportDoc {
    pub level: String,
    pub dimension: String,
    pub min_volume: String,
    pub evenness_below: f64,
    /// Our own organization, when known.
    pub us: Option<PartyRefDoc>,
    /// Counterparts who give us more than they get (a: them, b: us).
    pub they_give_more: Vec<PairDoc>,
    /// Counterparts we give more than we get from (a: us, b: them).
    pub we_give_more: Vec<PairDoc>,
    /// Without an organization of our own: each pair, the side that gives more as `a`.
    pub pairs: Vec<PairDoc>,
    /// How far back the balances look: `90d`, `12m`, `all`, ….
    pub window: String,
    /// The window's start and end, RFC 3339; null for all time.
    pub from: Option<String>,
    pub until: Option<String>,
    /// Our relationships that changed in the window: the `limit` largest,
    /// largest change first.
    pub changes: Vec<ChangeDoc>,
    /// How many of our relationships changed, those not listed included.
    pub changes_total: usize,
}

/// A relationship of ours that changed in the report's window.
#[derive(ToSchema)]
pub struct ChangeDoc {
    /// Their key.
    pub them: String,
    /// Our side's key: our organization, or at person level one of its people.
    pub us: String,
    /// `went_quiet`: they gave us nothing in the window, after `gestures_before`
    /// gestures between us over `months_before` months. `turned`: one side's
    /// takes outweighed its gifts in the window (`by_them` says whose), after it
    /// gave `sum_before` before.
    pub story: String,
    pub gestures_before: Option<i64>,
    pub months_before: Option<i64>,
    pub by_them: Option<bool>,
    pub takes: Option<i64>,
    /// The takes' kinds.
    pub kinds: Option<Vec<String>>,
    pub sum_now: Option<String>,
    pub sum_before: Option<String>,
    /// The pair's balance in the window, seen from them.
    pub window: BalanceDoc,
    /// The same in the window before.
    pub before: BalanceDoc,
}

/// An API token, never its secret.
#[derive(ToSchema)]
pub struct TokenDoc {
    pub id: i64,
    pub user: String,
    pub name: String,
    pub created: String,
    pub revoked: Option<String>,
}

/// A user; never a password or its hash.
#[derive(ToSchema)]
pub struct UserDoc {
    pub id: i64,
    pub email: String,
    /// `admin`, `staff` or `viewer`.
    pub role: String,
    pub language: Option<String>,
}

#[derive(ToSchema)]
pub struct PartyPageDoc {
    pub parties: Vec<PartyRefDoc>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

#[derive(ToSchema)]
pub struct MembershipDoc {
    pub person: String,
    pub organization: String,
    /// `employee` or `contact`.
    pub role: String,
    pub from: String,
    pub until: Option<String>,
}

/// A gesture: party keys, the kind's code, the amount as an exact decimal string.
#[derive(ToSchema)]
pub struct GestureDoc {
    pub id: String,
    pub at: String,
    pub giver: String,
    pub receiver: String,
    pub kind: String,
    pub amount: String,
    pub note: Option<String>,
    pub item: Option<String>,
    pub giver_org: Option<String>,
    pub receiver_org: Option<String>,
    /// The id of the gesture this one reverses.
    pub reverses: Option<String>,
}

#[derive(ToSchema)]
pub struct GesturePageDoc {
    pub gestures: Vec<GestureDoc>,
    pub next_cursor: Option<String>,
}

/// What an import did.
#[derive(ToSchema)]
pub struct ImportSummaryDoc {
    pub files: u64,
    pub rows: u64,
    pub kinds_added: u64,
    pub kinds_updated: u64,
    pub parties_added: u64,
    pub parties_updated: u64,
    pub memberships_added: u64,
    pub memberships_updated: u64,
    pub gestures_added: u64,
    pub gestures_already_present: u64,
    pub dry_run: bool,
    pub seconds: f64,
}

/// Given and received in one dimension, seen from `a`, as exact decimal strings.
#[derive(ToSchema)]
pub struct FlowsDoc {
    pub a_to_b: String,
    pub b_to_a: String,
    /// `a_to_b − b_to_a`.
    pub net: String,
}

#[derive(ToSchema)]
pub struct BothDoc {
    pub money: FlowsDoc,
    pub credit: FlowsDoc,
}

/// A person whose share of the live credit volume is above the key-person
/// threshold.
#[derive(ToSchema)]
pub struct KeyPersonDoc {
    pub party: String,
    /// `a` or `b`: the side they are on.
    pub side: String,
    /// A decimal fraction with four places: `"0.8387"`.
    pub share: String,
}

/// One person pair behind a relationship.
#[derive(ToSchema)]
pub struct PersonPairDoc {
    pub a: String,
    pub b: String,
    /// `live` or `dormant`.
    pub state: String,
    pub money: FlowsDoc,
    pub credit: FlowsDoc,
    /// Handovers that count into this pair.
    pub handed_in: BothDoc,
}

/// A relationship's credits (docs/credits.md): historical = live + dormant.
#[derive(ToSchema)]
pub struct CreditsDoc {
    pub a: String,
    pub b: String,
    /// RFC 3339.
    pub as_of: String,
    pub historical: BothDoc,
    pub live: BothDoc,
    pub dormant: BothDoc,
    pub handed_over: BothDoc,
    pub key_persons: Vec<KeyPersonDoc>,
    pub pairs: Vec<PersonPairDoc>,
}

/// A handover of a dormant pair's credits to a successor.
#[derive(ToSchema)]
pub struct HandoverDoc {
    pub id: i64,
    /// The person who left, and the organization they left.
    pub left: String,
    pub left_unit: String,
    /// The other person of the dormant pair, and their organization.
    pub other: String,
    pub other_unit: String,
    pub successor: String,
    pub share: u8,
    /// `offered`, `accepted`, `declined` or `withdrawn`.
    pub state: String,
    pub offered_at: String,
    pub decided_at: Option<String>,
    pub note: Option<String>,
    /// What an accepted handover moved, seen from `left`.
    pub moved: BothDoc,
}

/// Credits gone dormant when someone left.
#[derive(ToSchema)]
pub struct AlertDoc {
    pub id: i64,
    /// The person who left, and the organization they left.
    pub left: String,
    pub left_unit: String,
    /// The organization on the other side.
    pub other_unit: String,
    /// Who on the other side built the most of it with the one who left.
    pub other: String,
    /// How many more people on the other side did.
    pub others: u32,
    /// RFC 3339: when the membership ended.
    pub left_at: String,
    /// The credit volume gone dormant, in points: `"42.00"`.
    pub volume: String,
}

/// A setting and its value.
#[derive(ToSchema)]
pub struct SettingDoc {
    pub name: String,
    /// Null when not set (the default holds).
    pub value: Option<String>,
}

/// A user and the person party they are linked to.
#[derive(ToSchema)]
pub struct UserLinkDoc {
    pub email: String,
    /// The party's key; null when not linked.
    pub party: Option<String>,
}

/// An organization's credits over all its relationships, seen from it.
#[derive(ToSchema)]
pub struct OrganizationCreditsDoc {
    pub organization: String,
    /// RFC 3339.
    pub as_of: String,
    pub historical: BothDoc,
    pub live: BothDoc,
    pub dormant: BothDoc,
    pub handed_over: BothDoc,
}

/// A promise (`docs/promises.md`): the same shape as `balans promise list --json`.
#[derive(ToSchema)]
pub struct PromiseDoc {
    pub id: String,
    pub promiser: String,
    pub promisee: String,
    /// The kind of gesture promised.
    pub kind: String,
    /// The amount promised: `"3.00"`.
    pub amount: String,
    /// RFC 3339, UTC.
    pub made: String,
    /// The due moment agreed last.
    pub due: String,
    /// `open`, `renegotiated`, `kept`, `broken` or `released`.
    pub state: String,
    /// The id of the gesture that kept or broke it.
    pub gesture: Option<String>,
    /// What keeping it gave.
    pub kept: Option<String>,
    pub kept_in_part: bool,
    pub resolved_at: Option<String>,
    pub note: Option<String>,
    /// Why it was released, or the note of a break by hand.
    pub reason: Option<String>,
    pub promiser_org: Option<String>,
    pub promisee_org: Option<String>,
    /// Every due moment it had, the first being the original.
    pub dues: Vec<DueDoc>,
}

/// A due moment a promise had, and when it was agreed.
#[derive(ToSchema)]
pub struct DueDoc {
    pub due: String,
    pub agreed: String,
}

/// How a side keeps its promises.
#[derive(ToSchema)]
pub struct KeptRateDoc {
    /// kept / (kept + broken), 0 to 1; null when none was kept or broken.
    pub rate: Option<f64>,
    /// The promises kept or broken it counts.
    pub resolved: u64,
}

/// The kept rates of a party, or of a pair.
#[derive(ToSchema)]
pub struct KeptRatesDoc {
    /// The party's key.
    pub party: String,
    /// The other side's key, for a pair.
    pub with: Option<String>,
    /// The period's start, in the store's time zone; null: from the first.
    pub since: Option<String>,
    /// The period's end (not in it); null: up to now.
    pub until: Option<String>,
    /// How the party keeps its promises (to `with`, or to anyone).
    pub by_party: KeptRateDoc,
    /// How promises to the party are kept (by `with`, or by anyone).
    pub to_party: KeptRateDoc,
}

/// What a sweep did.
#[derive(ToSchema)]
pub struct SweptDoc {
    /// The ids of the promises broken because they fell due.
    pub broken: Vec<String>,
    /// Promises that fell due and stay pending because their broken promise
    /// cannot be recorded (a party counts for no single organization at the
    /// due moment), each with why.
    pub stranded: Vec<StrandedDoc>,
}

/// A promise that fell due and could not be broken.
#[derive(ToSchema)]
pub struct StrandedDoc {
    /// The promise's id.
    pub promise: String,
    /// Why its broken promise cannot be recorded, and what to do.
    pub problem: String,
}
