//! The Balans domain: parties, memberships, gesture kinds, gestures and balances.
//!
//! Everything here is pure computation: no files, no SQL, no network, no async, so
//! it cannot fail for reasons outside its inputs. Types are parsed once at the edge
//! (`PartyKey::parse`, `Amount::parse`, `Zone::parse`) and trusted afterwards.
//!
//! ```
//! use balans_core::{Amount, DecimalMark, Balance};
//!
//! let price = Amount::parse("1.234,50", DecimalMark::Comma).unwrap();
//! assert_eq!(price.minor(), 123_450);
//! assert_eq!(price.to_string(), "1234.50");
//!
//! let balance = Balance { a_to_b: 900, b_to_a: 300, count: 4, first: None, last: None };
//! assert_eq!(balance.net(), 600);
//! assert_eq!(balance.evenness().unwrap().to_string(), "0.5000");
//! ```

pub mod account;
pub mod amount;
pub mod balance;
pub mod credits;
pub mod gesture;
pub mod kind;
pub mod party;
pub mod promises;
pub mod quoted;
pub mod rollup;
pub mod said;
pub mod time;

pub use account::{Email, EmailError, TokenInfo, User, UserId, UserRole};
pub use amount::{AMOUNT_MINOR_MAX, Amount, AmountError, DecimalMark, Sum};
pub use balance::{
    Balance, BalanceMap, Evenness, Level, MonthKey, Overflow, PairKey, PartySumKey, Totals,
    contributions, party_sums,
};
pub use credits::{
    Accepted, Both, Credits, DormantAlert, Flows, Handover, HandoverState, PairCredits, PersonPair,
    PersonShare, Side, State,
};
pub use gesture::{ContentHash, Gesture, GestureId, GestureIdError, StoredGesture};
pub use kind::{Dimension, Kind, KindCode, KindDef, KindId, builtin_catalog};
pub use party::{KeyError, Membership, Party, PartyFields, PartyId, PartyKey, PartyKind, Role};
pub use promises::{
    Due, PROMISE_ID_MAX_BYTES, Promise, PromiseId, PromiseState, kept_rate, kept_share,
};
pub use quoted::{QUOTED_CHARS_MAX, Quoted};
pub use rollup::{MembershipIndex, RollupError};
pub use time::{DEFAULT_TIME_ZONE, Moment, TimeError, Zone};
