//! The ledger operations other than import, by capability: recording and
//! reversing, balances and the report, the check, export, the catalog, the
//! directory, and listing gestures. Each is written once, generic over the
//! [`Store`](crate::Store), and runs in one transaction (a write) or one read.

mod balances;
mod catalog;
mod changes;
mod check;
mod credits;
mod directory;
mod export;
mod gestures;
mod levels;
mod lookup;
mod names;
mod promises;
mod record;
mod report;
mod sweep;
mod view;

pub use balances::*;
pub use catalog::*;
pub use changes::{Change, Story, Window};
pub use check::*;
pub use credits::*;
pub use directory::*;
pub use export::*;
pub use gestures::*;
pub use levels::*;
pub use lookup::*;
pub use names::{folded, free_key, named_keys, party_key_named};
pub use promises::*;
pub use record::*;
pub use report::*;
pub use sweep::{Swept, sweep, sweep_by};
pub use view::*;
