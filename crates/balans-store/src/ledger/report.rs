//! The out-of-balance report: the relationships furthest from even, from our
//! side.

use balans_core::{Amount, Balance, Dimension, Evenness, Level, Moment, PairKey, PartyId, Totals};
use serde::Serialize;

use super::changes::{Change, PairWindow, Span, Window, changes, pair_window};
use super::lookup::find_party;
use super::view::{PairView, PartyRef, view};
use crate::LedgerError;
use crate::store::{Store, StoreError, setting};

/// What the out-of-balance report looks at.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub level: Level,
    pub dimension: Dimension,
    /// Pairs with less volume (both ways, in minor units) are left out.
    pub min_volume: Amount,
    /// Pairs at least this even are left out.
    pub evenness_below: Evenness,
    /// The most pairs per list, and the most changes.
    pub limit: usize,
    /// The key of our own organization; the store's setting when absent.
    pub us: Option<String>,
    /// How far back the balances look: the last so many days (and the same
    /// length before, for what changed), or all time.
    pub window: Window,
    /// The end of the window; now when absent.
    pub until: Option<Moment>,
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
            window: Window::Days(90),
            until: None,
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
    /// How far back the balances look.
    pub window: Window,
    /// The window's start and end (RFC 3339, UTC); absent for all time.
    #[serde(serialize_with = "super::view::moment_opt")]
    pub from: Option<Moment>,
    #[serde(serialize_with = "super::view::moment_opt")]
    pub until: Option<Moment>,
    /// Our relationships that changed in the window, in plain numbers (see
    /// [`super::changes`]): the `limit` largest, largest first. Empty for all
    /// time.
    pub changes: Vec<Change>,
    /// How many of our relationships changed, those not listed included.
    pub changes_total: usize,
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
    let mut keep = |key: PairKey, totals: &Totals| {
        let balance = Balance::seen_from(key.low, &key, totals);
        let uneven = balance
            .evenness()
            .is_some_and(|e| e < options.evenness_below);
        if uneven && balance.volume() >= i128::from(options.min_volume.minor()) {
            candidates.push((key, balance.net()));
        }
    };
    let until = options.until.unwrap_or_else(Moment::now);
    let windows = match options.window {
        // With an organization of our own, only our pairs can be listed: they
        // are read by party, not by a pass over every pair.
        Window::All if us.is_some() => {
            let mut mine: Vec<PartyId> = ours.iter().copied().collect();
            mine.sort_unstable();
            for party in mine {
                for (key, totals) in store.balances_of(options.level, party)? {
                    let other = if key.low == party { key.high } else { key.low };
                    // A pair of two of ours is read from both sides and listed by neither.
                    if key.dimension == options.dimension && !ours.contains(&other) {
                        keep(key, &totals);
                    }
                }
            }
            None
        }
        Window::All => {
            store.for_each_balance(&mut |key, totals| {
                if key.level == options.level && key.dimension == options.dimension {
                    keep(key, &totals);
                }
                Ok(())
            })?;
            None
        }
        Window::Days(days) => {
            let span = Span::ending(until, days);
            let only = us.is_some().then_some(&ours);
            let pairs = pair_window(
                store,
                options.level,
                options.dimension,
                (span.from, span.until),
                only,
            )?;
            for (&(low, high), window) in &pairs {
                if let Some(totals) = PairWindow::totals(&window.flows) {
                    let key = PairKey {
                        level: options.level,
                        low,
                        high,
                        dimension: options.dimension,
                    };
                    keep(key, &totals);
                }
            }
            Some((span, pairs))
        }
    };
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
        let rows = match &windows {
            None => store.pair(options.level, a.id, b.id)?,
            Some((_, pairs)) => pairs
                .get(&(key.low, key.high))
                .and_then(|w| PairWindow::totals(&w.flows))
                .map(|totals| vec![(key, totals)])
                .unwrap_or_default(),
        };
        list.push(view(options.level, &a, &b, &rows));
    }
    let (changes, changes_total) = match (&windows, &us) {
        (Some((span, pairs)), Some(us)) => changes(
            store,
            options.level,
            options.dimension,
            *span,
            pairs,
            us,
            &ours,
            options.limit,
        )?,
        _ => (Vec::new(), 0),
    };
    Ok(Report {
        level: options.level,
        dimension: options.dimension,
        min_volume: options.min_volume,
        evenness_below: options.evenness_below,
        us: us.as_ref().map(PartyRef::from),
        they_give_more: they,
        we_give_more: we,
        pairs,
        window: options.window,
        from: windows.as_ref().map(|(span, _)| span.from),
        until: windows.as_ref().map(|(span, _)| span.until),
        changes,
        changes_total,
    })
}
