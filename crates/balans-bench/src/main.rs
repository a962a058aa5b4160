//! `balans-bench import`: generates gestures over parties with memberships, imports
//! them with the real `balans` binary into a new store, and measures gestures per
//! second and peak memory; then times `sqlite3 .import` of the same CSV into a
//! plain table as the floor for SQLite ingest, and the latency of balance reads.
//!
//!     cargo build --release -p balans -p balans-bench
//!     target/release/balans-bench import --gestures 1000000
//!     target/release/balans-bench import --shape all --runs 3
//!
//! `--shape all` measures every shape in turn and ends with one table: for each,
//! balans's time, the floor's on the same file and their ratio, gestures per
//! second, balans's peak memory, a second import of the same file (every gesture
//! present), whether `balans check` passed after it, and what the store and
//! the floor hold on disk after their last run: the store's indexes and sums
//! are bytes the floor's one table does not write.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use balans_core::Level;
use balans_sqlite::SqliteStore;
use balans_store::ledger;
use clap::{Parser, Subcommand};
use nix::sys::resource::{UsageWho, getrusage};

#[derive(Parser)]
#[command(about = "Balans benchmarks")]
struct Cli {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Import throughput and memory against the sqlite3 floor, and balance read latency.
    Import {
        #[arg(long, default_value_t = 1_000_000)]
        gestures: u64,
        /// The number of parties (default: 10,000 for few-pairs, 13,000 otherwise).
        #[arg(long)]
        parties: Option<u64>,
        /// The shape of the generated data.
        #[arg(long, value_enum, default_value = "few-pairs")]
        shape: Shape,
        /// Where the generated files and stores go.
        #[arg(long, default_value = "target/bench")]
        dir: PathBuf,
        /// The balans binary to measure.
        #[arg(long, default_value = "target/release/balans")]
        balans: PathBuf,
        /// Balance reads to time.
        #[arg(long, default_value_t = 20_000)]
        reads: usize,
        /// Imports (and floor runs) to take the median of.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Measure PostgreSQL instead: a server URL whose user may create
        /// databases; each run imports into a new database `balans_bench` there,
        /// and the floor is `psql -c "\copy t FROM FILE CSV HEADER"` into a plain table.
        #[arg(long, value_name = "URL")]
        postgres: Option<String>,
    },
    /// Ending a membership in a store made by `import`, in the process (its
    /// start and the store's opening left out), on a fresh copy each run: after
    /// the person's last gesture (nothing moves), a month before it and a year
    /// before it. The person is the member with the most gestures.
    ///
    ///     target/release/balans-bench membership --store target/bench/bench.db
    ///     target/release/balans-bench membership --postgres postgres://postgres@127.0.0.1:5432/test
    Membership {
        /// The SQLite store; it is copied, never changed.
        #[arg(long, required_unless_present = "postgres")]
        store: Option<PathBuf>,
        /// Measure PostgreSQL instead: a server URL whose user may create
        /// databases, holding the database `balans_bench` that `import
        /// --postgres` left; each run works on a copy of it
        /// (`CREATE DATABASE … TEMPLATE`).
        #[arg(long, value_name = "URL", conflicts_with = "store")]
        postgres: Option<String>,
        /// Runs per case to take the median of.
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Promises in a store made by `import`, in the process, on a fresh copy
    /// each run with `--promises` promises between random parties (one of
    /// them makes one in ten; ids in no order), `--due` of them due before now: the sweep when nothing is due,
    /// listing the open promises of the party with the most and of a random
    /// one, and the sweep that breaks those due.
    ///
    ///     target/release/balans-bench promises --store target/bench/bench.db
    ///     target/release/balans-bench promises --postgres postgres://postgres@127.0.0.1:5432/test
    Promises {
        /// The SQLite store; it is copied, never changed.
        #[arg(long, required_unless_present = "postgres")]
        store: Option<PathBuf>,
        /// Measure PostgreSQL instead, on copies of `balans_bench` (as
        /// `membership` does).
        #[arg(long, value_name = "URL", conflicts_with = "store")]
        postgres: Option<String>,
        #[arg(long, default_value_t = 100_000)]
        promises: usize,
        /// How many of them fell due before now.
        #[arg(long, default_value_t = 10_000)]
        due: usize,
        /// The share of the promises one party makes (a shop's own
        /// organization, say), in percent: 100 makes it the promiser of all.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u8).range(0..=100))]
        one_party_makes: u8,
        /// Fresh copies to take the median of the breaking sweep over.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// Runs a command and prints its peak resident memory in KiB as its last
    /// line: each measured process alone, whatever ran before it.
    #[command(hide = true)]
    PeakOf {
        #[arg(trailing_var_arg = true, required = true)]
        command: Vec<String>,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        BenchCommand::Import {
            gestures,
            parties,
            shape,
            dir,
            balans,
            reads,
            runs,
            postgres,
        } => {
            let shapes: &[Shape] = if shape == Shape::All {
                Shape::EVERY
            } else {
                std::slice::from_ref(&shape)
            };
            let mut measured = Vec::new();
            for &shape in shapes {
                let dir = if shapes.len() > 1 {
                    dir.join(shape.name())
                } else {
                    dir.clone()
                };
                measured.push(import(
                    gestures,
                    parties.unwrap_or(shape.default_parties()),
                    shape,
                    &dir,
                    &balans,
                    reads,
                    runs.max(1),
                    postgres.as_deref(),
                )?);
            }
            if shapes.len() > 1 {
                print_table(&measured, postgres.is_some());
            }
            let failed: Vec<&str> = measured
                .iter()
                .filter(|m| !m.checked)
                .map(|m| m.shape.name())
                .collect();
            if !failed.is_empty() {
                bail!("balans check failed after importing {}", failed.join(", "));
            }
            Ok(())
        }
        BenchCommand::Membership {
            store,
            postgres,
            runs,
        } => {
            let source = match (store, postgres) {
                (_, Some(admin)) => Source::Postgres(admin),
                (Some(store), None) => Source::Sqlite(store),
                (None, None) => bail!("name a store (--store) or a server (--postgres)"),
            };
            membership(&source, runs.max(1))
        }
        BenchCommand::Promises {
            store,
            postgres,
            promises: count,
            due,
            one_party_makes,
            runs,
        } => {
            let source = match (store, postgres) {
                (_, Some(admin)) => Source::Postgres(admin),
                (Some(store), None) => Source::Sqlite(store),
                (None, None) => bail!("name a store (--store) or a server (--postgres)"),
            };
            promises(&source, count, due.min(count), one_party_makes, runs.max(1))
        }
        BenchCommand::PeakOf { command } => peak_of(&command),
    }
}

/// Where `membership` measures: a SQLite store, or the server holding the
/// database `balans_bench`.
enum Source {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Source {
    /// A fresh copy of the store, opened.
    fn copy(&self) -> Result<Box<dyn balans_store::Store>> {
        Ok(match self {
            Source::Sqlite(store) => {
                let copy = store.with_extension("membership.db");
                remove_sqlite(&copy);
                std::fs::copy(store, &copy)?;
                Box::new(SqliteStore::open(&copy, false)?)
            }
            Source::Postgres(admin) => {
                let mut client = postgres::Client::connect(admin, postgres::NoTls)
                    .context("cannot reach the PostgreSQL server")?;
                client.batch_execute("DROP DATABASE IF EXISTS balans_membership WITH (FORCE)")?;
                client.batch_execute("CREATE DATABASE balans_membership TEMPLATE balans_bench")?;
                let url = balans_tests::with_database(admin, "balans_membership");
                Box::new(balans_postgres::PostgresStore::open(&url)?)
            }
        })
    }

    /// The store as it is, opened to read.
    fn open(&self) -> Result<Box<dyn balans_store::Store>> {
        Ok(match self {
            Source::Sqlite(store) => Box::new(SqliteStore::open(store, false)?),
            Source::Postgres(admin) => Box::new(balans_postgres::PostgresStore::open(
                &balans_tests::with_database(admin, "balans_bench"),
            )?),
        })
    }

    /// How much write-ahead log the server has written in all, in bytes:
    /// none for SQLite.
    fn wal_written(&self) -> Result<Option<u64>> {
        match self {
            Source::Sqlite(_) => Ok(None),
            Source::Postgres(admin) => {
                let written: i64 = postgres::Client::connect(admin, postgres::NoTls)?
                    .query_one(
                        "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::int8",
                        &[],
                    )?
                    .get(0);
                Ok(u64::try_from(written).ok())
            }
        }
    }

    fn clean_up(&self) -> Result<()> {
        match self {
            Source::Sqlite(store) => {
                let copy = store.with_extension("membership.db");
                remove_sqlite(&copy);
            }
            Source::Postgres(admin) => {
                postgres::Client::connect(admin, postgres::NoTls)?
                    .batch_execute("DROP DATABASE IF EXISTS balans_membership WITH (FORCE)")?;
            }
        }
        Ok(())
    }
}

/// Makes `count` promises between random parties in one write (one party
/// makes `share` percent of them), `due` of them
/// due before `now` (the rest within a year after it), made a month before
/// `now`; their ids are random, in no order.
fn make_promises(
    store: &mut dyn balans_store::Store,
    count: usize,
    due: usize,
    share: u8,
    now: balans_core::Moment,
) -> Result<()> {
    let parties: Vec<balans_core::PartyId> = store.parties()?.iter().map(|p| p.id).collect();
    let kind = store
        .catalog()?
        .kind_by_code("help")
        .map(|k| k.id)
        .context("the kind help is missing")?;
    let mut rng = fastrand::Rng::with_seed(7);
    let day = 86_400_000;
    let made = balans_core::Moment::from_millis(now.millis() - 30 * day);
    // A promise names no organization: its parties must count for one at
    // its due moment, as `make_promise` checks (else it could not break).
    let memberships = balans_store::snapshot::Snapshot::load(store)?
        .memberships()
        .clone();
    let one_unit = |party: balans_core::PartyId, at: balans_core::Moment| {
        memberships.unit(party, at, None).is_ok()
    };
    balans_store::in_transaction(store, |store| {
        for i in 0..count {
            let due_ms = if i < due {
                now.millis() - 1 - rng.i64(0..29 * day)
            } else {
                now.millis() + 1 + rng.i64(0..365 * day)
            };
            let at = balans_core::Moment::from_millis(due_ms);
            // One party (a shop's own organization, say) makes its share.
            let mut promiser = if rng.u8(0..100) < share {
                parties[0]
            } else {
                parties[rng.usize(..parties.len())]
            };
            while !one_unit(promiser, at) {
                promiser = parties[rng.usize(..parties.len())];
            }
            let mut promisee = parties[rng.usize(..parties.len())];
            while promisee == promiser || !one_unit(promisee, at) {
                promisee = parties[rng.usize(..parties.len())];
            }
            let id = format!("{:016x}-{i}", rng.u64(..));
            store.insert_promise(&balans_store::store::NewPromise {
                id: balans_core::PromiseId::parse(&id)
                    .ok()
                    .flatten()
                    .context("a promise id")?,
                promiser,
                promisee,
                promiser_org: None,
                promisee_org: None,
                kind,
                amount: balans_core::Amount::from_minor(300).context("an amount")?,
                made,
                due: balans_core::Moment::from_millis(due_ms),
                note: None,
            })?;
        }
        Ok::<_, anyhow::Error>(())
    })
}

/// The median and the 99th percentile of some times, in milliseconds.
fn median_p99(mut times: Vec<std::time::Duration>) -> (f64, f64) {
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    (
        at(0.5).as_secs_f64() * 1000.0,
        at(0.99).as_secs_f64() * 1000.0,
    )
}

/// The party that made or was made the most of `promises`, and how many.
fn busiest_of(promises: &[balans_core::Promise]) -> Result<(balans_core::PartyId, usize)> {
    let mut per_party: std::collections::HashMap<balans_core::PartyId, usize> = Default::default();
    for p in promises {
        *per_party.entry(p.promiser).or_default() += 1;
        *per_party.entry(p.promisee).or_default() += 1;
    }
    per_party
        .iter()
        .max_by_key(|(id, n)| (**n, std::cmp::Reverse(id.0)))
        .map(|(id, n)| (*id, *n))
        .context("no promises")
}

/// See `BenchCommand::Promises`.
fn promises(source: &Source, count: usize, due: usize, share: u8, runs: usize) -> Result<()> {
    let now = balans_core::Moment::now();
    let mut breaking = Vec::with_capacity(runs);
    // On PostgreSQL, the log each sweep wrote: mostly pages written whole
    // for the first time since the checkpoint that copying the store began
    // with (about 116 MB for 10,000 promises of a million-gesture store).
    let mut wal = Vec::with_capacity(runs);
    for run in 0..runs {
        let mut store = source.copy()?;
        let started = Instant::now();
        make_promises(store.as_mut(), count, due, share, now)?;
        if run == 0 {
            println!(
                "{count} promises made in {:.2} s, {due} of them due before now",
                started.elapsed().as_secs_f64()
            );
            // Before any is due: the sweep that every write runs first.
            let before = balans_core::Moment::from_millis(now.millis() - 30 * 86_400_000);
            let mut times = Vec::with_capacity(200);
            for _ in 0..200 {
                let started = Instant::now();
                let swept = ledger::sweep(store.as_mut(), before)?;
                times.push(started.elapsed());
                if !swept.broken.is_empty() {
                    bail!("a sweep before any promise was due broke some");
                }
            }
            let (median, p99) = median_p99(times);
            println!(
                "sweep with nothing due: median {:.3} ms, p99 {:.3} ms (target: under 1 ms)",
                median, p99
            );
            // The open promises of the party with the most, and of a random one.
            let all = store.promises(&balans_store::store::PromiseFilter::default())?;
            let (busiest, most) = busiest_of(&all)?;
            let some = all
                .iter()
                .map(|p| p.promisee)
                .find(|p| *p != busiest)
                .context("no other party")?;
            for (who, party) in [
                ("the party with the most", busiest),
                ("a random party", some),
            ] {
                let key = store
                    .party_by_id(party)?
                    .context("a party")?
                    .fields
                    .key
                    .to_string();
                let query = ledger::PromiseQuery {
                    party: Some(&key),
                    pending: true,
                    now: Some(now),
                    ..Default::default()
                };
                // A page as the API and the web app list them (100, the
                // soonest due first), then every one as `promise list` does.
                let mut times = Vec::with_capacity(100);
                let mut listed = 0;
                for _ in 0..100 {
                    let started = Instant::now();
                    listed = ledger::promise_page(store.as_mut(), &query, None, None)?
                        .promises
                        .len();
                    times.push(started.elapsed());
                }
                let (median, p99) = median_p99(times);
                let mut all_times = Vec::with_capacity(100);
                let mut all = 0;
                for _ in 0..100 {
                    let started = Instant::now();
                    all = ledger::list_promises(store.as_mut(), &query)?.len();
                    all_times.push(started.elapsed());
                }
                let (all_median, all_p99) = median_p99(all_times);
                // The party's page: how it keeps its promises, and the first few.
                let mut page_times = Vec::with_capacity(20);
                for _ in 0..20 {
                    let started = Instant::now();
                    ledger::pair_promises(store.as_mut(), &key, None, Default::default(), 10)?;
                    page_times.push(started.elapsed());
                }
                let (page_median, page_p99) = median_p99(page_times);
                println!(
                    "kept rates and promises of {who} for its page: median {page_median:.2} ms, p99 {page_p99:.2} ms"
                );
                println!(
                    "open promises of {who} ({key}, {all} open of {} made by or to it): \
                     first page of {listed}: median {median:.2} ms, p99 {p99:.2} ms (target: under 10 ms); \
                     all {all}: median {all_median:.2} ms, p99 {all_p99:.2} ms",
                    if party == busiest { most } else { all }
                );
            }
        }
        let wal_before = source.wal_written()?;
        let started = Instant::now();
        let swept = ledger::sweep(store.as_mut(), now)?;
        breaking.push(started.elapsed());
        if let (Some(before), Some(after)) = (wal_before, source.wal_written()?) {
            wal.push(after.saturating_sub(before));
        }
        if swept.broken.len() != due {
            bail!(
                "the sweep broke {} promises of {due} due",
                swept.broken.len()
            );
        }
        if run + 1 == runs {
            // The busiest party's page again, now that a tenth of its
            // promises are broken: its kept rate counts them.
            let all = store.promises(&balans_store::store::PromiseFilter::default())?;
            let key = store
                .party_by_id(busiest_of(&all)?.0)?
                .context("a party")?
                .fields
                .key
                .to_string();
            let mut page_times = Vec::with_capacity(20);
            let mut resolved = 0;
            for _ in 0..20 {
                let started = Instant::now();
                let page =
                    ledger::pair_promises(store.as_mut(), &key, None, Default::default(), 10)?;
                resolved = page.rates.a.resolved + page.rates.b.resolved;
                page_times.push(started.elapsed());
            }
            let (page_median, page_p99) = median_p99(page_times);
            println!(
                "after the sweep, kept rates ({resolved} kept or broken) and promises of the party with the most for its page: median {page_median:.2} ms, p99 {page_p99:.2} ms"
            );
            let started = Instant::now();
            if !ledger::check(store.as_mut())?.is_consistent() {
                bail!("balans check failed after the sweep");
            }
            println!(
                "balans check of the store with its {count} promises: {:.2} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let each: Vec<String> = breaking
        .iter()
        .enumerate()
        .map(|(i, time)| match wal.get(i) {
            Some(bytes) => format!(
                "{:.0} ms ({:.0} MB of WAL)",
                time.as_secs_f64() * 1000.0,
                *bytes as f64 / 1e6
            ),
            None => format!("{:.0} ms", time.as_secs_f64() * 1000.0),
        })
        .collect();
    println!("sweeps in turn: {}", each.join(", "));
    breaking.sort_unstable();
    println!(
        "sweep breaking {due} promises that fell due: median of {runs}: {:.0} ms (target: under 1000 ms); balans check passed",
        breaking[breaking.len() / 2].as_secs_f64() * 1000.0
    );
    source.clean_up()
}

/// See `BenchCommand::Membership`.
fn membership(source: &Source, runs: usize) -> Result<()> {
    let (person, organization, from, last, zone, keys) = {
        let mut opened = source.open()?;
        let sums = opened.party_totals(Level::Person)?;
        let memberships = opened.memberships()?;
        let busiest = memberships
            .iter()
            .filter(|m| m.until.is_none())
            .max_by_key(|m| {
                sums.iter()
                    .filter(|(p, _, _)| *p == m.person)
                    .map(|(_, _, t)| t.count)
                    .sum::<i64>()
            })
            .context("the store has no open membership")?
            .clone();
        let last = sums
            .iter()
            .filter(|(p, _, _)| *p == busiest.person)
            .map(|(_, _, t)| t.last)
            .max()
            .context("the busiest member has no gestures")?;
        let keys: std::collections::HashMap<_, _> = opened
            .parties()?
            .into_iter()
            .map(|p| (p.id, p.fields.key.as_str().to_string()))
            .collect();
        let zone = balans_store::store::zone_of(opened.as_mut())?;
        (
            busiest.person,
            busiest.organization,
            busiest.from,
            last,
            zone,
            keys,
        )
    };
    let day = 86_400_000;
    for (case, until) in [
        ("after the last gesture", last.millis() + day),
        ("a month before the last", last.millis() - 30 * day),
        ("a year before the last", last.millis() - 365 * day),
    ] {
        let until = balans_core::Moment::from_millis(until);
        let mut times = Vec::with_capacity(runs);
        let mut moved = 0;
        let mut checked = false;
        for run in 0..runs {
            let mut opened = source.copy()?;
            moved = opened
                .find_gestures(&balans_store::store::GestureFilter {
                    party: Some(person),
                    from: Some(until),
                    limit: 1 << 40,
                    ..Default::default()
                })?
                .len();
            let (from, until) = (from.display_in(&zone), until.display_in(&zone));
            let text = balans_store::snapshot::MembershipText {
                person: &keys[&person],
                organization: &keys[&organization],
                role: "employee",
                from: &from,
                until: &until,
            };
            let started = Instant::now();
            ledger::set_membership(opened.as_mut(), &text)?;
            times.push(started.elapsed());
            if run + 1 == runs {
                checked = ledger::check(opened.as_mut())?.is_consistent();
            }
        }
        times.sort_unstable();
        println!(
            "ending {}'s membership {case}: median of {runs}: {:.1} ms ({moved} of their gestures after the end); balans check {}",
            keys[&person],
            times[times.len() / 2].as_secs_f64() * 1000.0,
            if checked { "passed" } else { "FAILED" }
        );
        if !checked {
            bail!("balans check failed after ending a membership {case}");
        }
    }
    source.clean_up()
}

/// Runs `command` and prints its peak resident memory (KiB) as the last line.
fn peak_of(command: &[String]) -> Result<()> {
    let status = Command::new(&command[0])
        .args(&command[1..])
        .status()
        .with_context(|| format!("cannot run {}", command[0]))?;
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN)?;
    println!("{}", usage.max_rss());
    if !status.success() {
        bail!("{} failed: {status}", command.join(" "));
    }
    Ok(())
}

/// What one shape measured.
struct Measured {
    shape: Shape,
    gestures: u64,
    seconds: f64,
    floor_seconds: f64,
    /// The store's floor (see `store_floor`).
    store_floor_seconds: f64,
    peak_mib: f64,
    again_seconds: f64,
    checked: bool,
    /// What the store and the floor hold on disk after their last run.
    stored_mib: f64,
    floor_mib: f64,
}

/// The matrix: one row per shape.
fn print_table(measured: &[Measured], postgres: bool) {
    let (floor, target) = if postgres {
        ("psql \\copy", "at most 2.5x (2x on few-pairs)")
    } else {
        ("sqlite3 .import", "at most 1.5x")
    };
    println!(
        "\n| shape | balans (s) | {floor} (s) | ratio ({target}) | store's floor (s) | its ratio to the floor | balans / store's floor | gestures/s | peak RSS (MiB) | again, all present (s) | check | stored (MiB) | floor's (MiB) | ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for m in measured {
        println!(
            "| {} | {:.2} | {:.2} | {:.2}x | {:.2} | {:.2}x | {:.2}x | {:.0} | {:.0} | {:.2} | {} | {:.0} | {:.0} | {:.2}x |",
            m.shape.name(),
            m.seconds,
            m.floor_seconds,
            m.seconds / m.floor_seconds,
            m.store_floor_seconds,
            m.store_floor_seconds / m.floor_seconds,
            m.seconds / m.store_floor_seconds,
            m.gestures as f64 / m.seconds,
            m.peak_mib,
            m.again_seconds,
            if m.checked { "passed" } else { "FAILED" },
            m.stored_mib,
            m.floor_mib,
            m.stored_mib / m.floor_mib,
        );
    }
}

/// The shape of the generated data: who deals with whom, and how the file is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Shape {
    /// Each customer contact deals with one of three account managers: about
    /// 30,000 person pairs at 10,000 parties; times in random order.
    FewPairs,
    /// Staff, customer contacts of many organizations and private customers,
    /// with gestures between random pairs (about as many pairs as gestures);
    /// staff and contacts leave and move during the period; rows in time order,
    /// ids `g0` … as another system numbers them.
    ManyPairs,
    /// `many-pairs` with the rows in random time order.
    Unsorted,
    /// `many-pairs` with ids as another system exports them: random UUIDs and
    /// long numbers, alternately.
    ForeignIds,
    /// `many-pairs` without an id column.
    NoIds,
    /// `many-pairs` with every optional column filled: note, item, and the
    /// organization given for where a contact has two memberships at once.
    Wide,
    /// `foreign-ids` with corrections: one row in twenty (after the first
    /// thousand) reverses an earlier gesture, as a ledger exported from another
    /// system holds them, with the opposite amount or none (the reversal then
    /// takes the original's).
    Corrections,
    /// A shop: 20 staff and 200,000 private customers, each gesture between
    /// one of the staff (or the shop, for money) and a customer, times in
    /// random order, ids random UUIDs; every file as Dutch Excel saves it
    /// (`;` between fields, dates `31-12-2024 17:05`, decimal commas, a
    /// byte-order mark, lines ending in CR LF).
    Shop,
    /// Every shape above in turn, in one table.
    All,
}

impl Shape {
    const EVERY: &[Shape] = &[
        Shape::FewPairs,
        Shape::ManyPairs,
        Shape::Unsorted,
        Shape::ForeignIds,
        Shape::NoIds,
        Shape::Wide,
        Shape::Corrections,
        Shape::Shop,
    ];

    fn name(self) -> &'static str {
        match self {
            Shape::FewPairs => "few-pairs",
            Shape::ManyPairs => "many-pairs",
            Shape::Unsorted => "unsorted",
            Shape::ForeignIds => "foreign-ids",
            Shape::NoIds => "no-ids",
            Shape::Wide => "wide",
            Shape::Corrections => "corrections",
            Shape::Shop => "shop",
            Shape::All => "all",
        }
    }

    /// The number of parties when none is asked for.
    fn default_parties(self) -> u64 {
        match self {
            Shape::FewPairs => 10_000,
            Shape::Shop => 200_021,
            _ => 13_000,
        }
    }

    /// How the files are written: the field separator, a date, a date and
    /// time of day, and the decimal separator.
    fn format(self) -> Format {
        match self {
            Shape::Shop => Format {
                separator: ';',
                date: "%d-%m-%Y",
                date_time: "%d-%m-%Y %H:%M",
                decimal: ',',
                start: "\u{feff}",
                end: "\r\n",
            },
            _ => Format {
                separator: ',',
                date: "%Y-%m-%d",
                date_time: "%Y-%m-%dT%H:%M:%S",
                decimal: '.',
                start: "",
                end: "\n",
            },
        }
    }
}

/// How a shape's files are written (see [`Shape::format`]).
struct Format {
    separator: char,
    date: &'static str,
    date_time: &'static str,
    decimal: char,
    /// What each file starts with.
    start: &'static str,
    /// What each line ends with.
    end: &'static str,
}

/// The generated population: who works for us, who speaks for which customer.
///
/// Keys are the same in every shape: `org00000` is our own organization,
/// `p000000` onwards its staff, then customer contacts, then (in the shapes of
/// many pairs) private customers who belong to no organization.
struct Population {
    organizations: u64,
    employees: u64,
    /// Persons who speak for a customer organization.
    contacts: u64,
    persons: u64,
}

impl Population {
    fn new(parties: u64, shape: Shape) -> Population {
        let parties = parties.max(20);
        if shape == Shape::Shop {
            // One organization, the shop itself, and no contacts.
            return Population {
                organizations: 1,
                employees: 20.min(parties - 2),
                contacts: 0,
                persons: parties - 1,
            };
        }
        if shape == Shape::FewPairs {
            let organizations = (parties / 20).max(2);
            let persons = parties - organizations;
            return Population {
                organizations,
                employees: (parties / 100).max(1),
                contacts: persons - (parties / 100).max(1),
                persons,
            };
        }
        // At 13,000 parties: 2,000 organizations, 60 staff, 4,000 contacts and
        // 6,940 private customers.
        let organizations = (parties * 2 / 13).max(2);
        let employees = (parties * 6 / 1300).max(1);
        let contacts = (parties * 4 / 13).max(1);
        Population {
            organizations,
            employees,
            contacts,
            persons: parties - organizations,
        }
    }
    fn org(i: u64) -> String {
        format!("org{i:05}")
    }
    fn person(i: u64) -> String {
        format!("p{i:06}")
    }
    /// The customer organization a contact speaks for (before a move).
    fn customer_of(&self, p: u64) -> u64 {
        1 + p % (self.organizations - 1)
    }
    fn is_contact(&self, p: u64) -> bool {
        p >= self.employees && p < self.employees + self.contacts
    }
    /// In the wide shape, one contact in ten speaks for two organizations at once.
    fn has_two(&self, p: u64, shape: Shape) -> bool {
        shape == Shape::Wide && self.is_contact(p) && p % 10 == 3
    }
}

/// The generated files, and pairs known to have gestures, for balance reads.
struct Generated {
    parties: PathBuf,
    memberships: PathBuf,
    gestures: PathBuf,
    pairs: Vec<(String, String)>,
}

/// A moment (milliseconds since 1970, UTC) as a date and time of day.
fn civil(ms: i64) -> jiff::civil::DateTime {
    jiff::Timestamp::from_millisecond(ms)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .datetime()
}

fn generate(dir: &Path, gestures: u64, parties: u64, shape: Shape) -> Result<Generated> {
    const DAY_MS: i64 = 86_400_000;
    std::fs::create_dir_all(dir)?;
    let population = Population::new(parties, shape);
    let mut rng = fastrand::Rng::with_seed(7);
    // Six years that end today, so that every window of the reports has gestures.
    let today = jiff::Timestamp::now().as_millisecond() / DAY_MS * DAY_MS;
    let span = 6 * 365 * DAY_MS;
    let start = today - span;
    let format = shape.format();
    let date = |ms: i64| civil(ms).strftime(format.date).to_string();
    let (first_day, halfway) = (date(start - 365 * DAY_MS), date(start + span / 2));
    // A file as the shape writes it: its start, then lines of fields.
    let create = |path: &Path| -> Result<BufWriter<std::fs::File>> {
        let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
        w.write_all(format.start.as_bytes())?;
        Ok(w)
    };
    let line = |w: &mut BufWriter<std::fs::File>, fields: &[&str]| -> Result<()> {
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                write!(w, "{}", format.separator)?;
            }
            w.write_all(field.as_bytes())?;
        }
        w.write_all(format.end.as_bytes())?;
        Ok(())
    };

    let parties_path = dir.join("parties.csv");
    let mut w = create(&parties_path)?;
    line(&mut w, &["key", "kind", "name"])?;
    for i in 0..population.organizations {
        let name = format!("Organization {i}");
        line(&mut w, &[&Population::org(i), "organization", &name])?;
    }
    for i in 0..population.persons {
        line(
            &mut w,
            &[&Population::person(i), "person", &format!("Person {i}")],
        )?;
    }
    w.flush()?;
    // Staff work for org00000 (us); in the shapes of many pairs one in ten leaves
    // halfway. Contacts speak for a customer, and one in twenty (few pairs) or ten
    // moves to another customer halfway, so the roll-up depends on time.
    let memberships_path = dir.join("memberships.csv");
    let mut w = create(&memberships_path)?;
    line(&mut w, &["person", "organization", "role", "from", "until"])?;
    let moves = if shape == Shape::FewPairs { 20 } else { 10 };
    for p in 0..population.employees + population.contacts {
        let person = Population::person(p);
        if p < population.employees {
            let until = if shape != Shape::FewPairs && p % 10 == 7 {
                halfway.as_str()
            } else {
                ""
            };
            let us = Population::org(0);
            line(&mut w, &[&person, &us, "employee", &first_day, until])?;
            continue;
        }
        let customer = Population::org(population.customer_of(p));
        if p % moves == 0 {
            let next = Population::org(population.customer_of(p + 1));
            line(
                &mut w,
                &[&person, &customer, "contact", &first_day, &halfway],
            )?;
            line(&mut w, &[&person, &next, "contact", &halfway, ""])?;
        } else {
            line(&mut w, &[&person, &customer, "contact", &first_day, ""])?;
        }
        if population.has_two(p, shape) {
            let second = Population::org(population.customer_of(p + 2));
            line(&mut w, &[&person, &second, "contact", &first_day, ""])?;
        }
    }
    w.flush()?;

    let credit = [
        "attention",
        "thanks",
        "help",
        "smile",
        "recognition",
        "patience",
        "brush_off",
        "apology",
        "review",
        "pressure",
    ];
    let items = [
        "offerte",
        "levering",
        "factuur 2024-118",
        "kozijn",
        "onderhoud",
    ];
    let gestures_path = dir.join("gestures.csv");
    let mut w = create(&gestures_path)?;
    let header: &[&str] = match shape {
        Shape::NoIds => &["at", "giver", "receiver", "kind", "amount"],
        Shape::Wide => &[
            "id",
            "at",
            "giver",
            "receiver",
            "kind",
            "amount",
            "note",
            "item",
            "giver_org",
            "receiver_org",
        ],
        Shape::Corrections => &[
            "id", "at", "giver", "receiver", "kind", "amount", "reverses",
        ],
        _ => &["id", "at", "giver", "receiver", "kind", "amount"],
    };
    line(&mut w, header)?;
    let mut pairs = Vec::new();
    let customers = population.persons - population.employees;
    // Earlier gestures a correction may reverse (`corrections`): a bounded
    // pool of recent rows, each taken once.
    let mut reversible: Vec<[String; 6]> = Vec::new();
    for n in 0..gestures {
        if shape == Shape::Corrections && n >= 1_000 && n % 20 == 0 && !reversible.is_empty() {
            let [id, at, giver, receiver, kind, amount] =
                reversible.swap_remove(rng.usize(0..reversible.len()));
            let amount = match amount.is_empty() || rng.bool() {
                true => String::new(),
                false => format!("-{amount}"),
            };
            let reversal = format!("c{n}");
            line(
                &mut w,
                &[&reversal, &at, &giver, &receiver, &kind, &amount, &id],
            )?;
            continue;
        }
        // Who: a contact and one of their three account managers (few pairs), or
        // staff and any customer, or any two persons (many pairs), or staff and
        // a customer (shop).
        let (a, b) = match shape {
            Shape::FewPairs => {
                let contact = population.employees + rng.u64(0..customers);
                let manager = (contact * 7 + rng.u64(0..3)) % population.employees;
                (manager, contact)
            }
            Shape::Shop => (
                rng.u64(0..population.employees),
                population.employees + rng.u64(0..customers),
            ),
            _ if rng.bool() => (
                rng.u64(0..population.employees),
                population.employees + rng.u64(0..customers),
            ),
            _ => {
                let a = rng.u64(0..population.persons);
                let b = (a + 1 + rng.u64(0..population.persons - 1)) % population.persons;
                (a, b)
            }
        };
        let (giver, receiver) = if rng.bool() { (a, b) } else { (b, a) };
        let at_ms = match shape {
            Shape::ManyPairs
            | Shape::ForeignIds
            | Shape::NoIds
            | Shape::Wide
            | Shape::Corrections => start + (n as i64 * span) / gestures.max(1) as i64,
            Shape::FewPairs | Shape::Unsorted | Shape::Shop | Shape::All => {
                start + rng.i64(0..span)
            }
        };
        let at = civil(at_ms / 60_000 * 60_000)
            .strftime(format.date_time)
            .to_string();
        let uuid = |rng: &mut fastrand::Rng| {
            format!(
                "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
                rng.u32(..),
                rng.u16(..),
                rng.u16(..0x1000),
                0x8000 | rng.u16(..0x4000),
                rng.u64(..1 << 48)
            )
        };
        let id = match shape {
            Shape::FewPairs => format!("b{n:08}"),
            Shape::NoIds => String::new(),
            Shape::ForeignIds | Shape::Corrections if n % 2 == 0 => uuid(&mut rng),
            Shape::Shop => uuid(&mut rng),
            Shape::ForeignIds | Shape::Corrections => {
                format!("{}", 10_000_000_000_000_000 + rng.u64(..1 << 53))
            }
            _ => format!("g{n}"),
        };
        let mut orgs = (String::new(), String::new());
        let (kind, giver, receiver, amount) = if rng.u32(0..4) == 0 {
            // Money between us and a customer: the contact's organization, or a
            // private customer in person.
            let customer = if population.is_contact(b) {
                Population::org(population.customer_of(b))
            } else if b < population.employees {
                Population::org(1 + rng.u64(0..population.organizations - 1))
            } else {
                Population::person(b)
            };
            let amount = format!(
                "{}{}{:02}",
                rng.u32(10..5000),
                format.decimal,
                rng.u32(0..100)
            );
            if rng.bool() {
                ("deliver", Population::org(0), customer, amount)
            } else {
                ("pay", customer, Population::org(0), amount)
            }
        } else {
            let kind = credit[rng.usize(0..credit.len())];
            let amount = if rng.u32(0..5) == 0 {
                format!("{}{}50", rng.u32(0..5), format.decimal)
            } else {
                String::new()
            };
            if population.has_two(giver, shape) {
                orgs.0 = Population::org(population.customer_of(giver));
            }
            if population.has_two(receiver, shape) {
                orgs.1 = Population::org(population.customer_of(receiver + 2));
            }
            if pairs.len() < 100_000 && n % 7 == 0 {
                pairs.push((Population::person(giver), Population::person(receiver)));
            }
            (
                kind,
                Population::person(giver),
                Population::person(receiver),
                amount,
            )
        };
        let mut fields = vec![id.as_str(), &at, &giver, &receiver, kind, &amount];
        if shape == Shape::NoIds {
            fields.remove(0);
        }
        let note;
        if shape == Shape::Wide {
            note = format!("\"notitie {n}: {kind}, zoals afgesproken\"");
            let item = items[rng.usize(0..items.len())];
            fields.extend([note.as_str(), item, &orgs.0, &orgs.1]);
        }
        if shape == Shape::Corrections {
            fields.push("");
        }
        line(&mut w, &fields)?;
        if shape == Shape::Corrections {
            if reversible.len() == 65_536 {
                reversible.swap_remove(rng.usize(0..reversible.len()));
            }
            reversible.push([id.clone(), at, giver, receiver, kind.to_string(), amount]);
        }
    }
    w.flush()?;
    Ok(Generated {
        parties: parties_path,
        memberships: memberships_path,
        gestures: gestures_path,
        pairs,
    })
}

/// Runs a command to completion; returns its wall time and its peak resident
/// memory in KiB, measured alone (through `peak-of`).
fn timed(command: &mut Command) -> Result<(Duration, i64)> {
    let mut alone = Command::new(std::env::current_exe()?);
    alone
        .arg("peak-of")
        .arg(command.get_program())
        .args(command.get_args());
    if let Some(dir) = command.get_current_dir() {
        alone.current_dir(dir);
    }
    let started = Instant::now();
    let output = alone
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let peak = stdout
        .lines()
        .last()
        .and_then(|line| line.trim().parse().ok())
        .context("peak-of printed no peak")?;
    Ok((elapsed, peak))
}

#[allow(clippy::too_many_arguments)]
fn import(
    gestures: u64,
    parties: u64,
    shape: Shape,
    dir: &Path,
    balans: &Path,
    reads: usize,
    runs: usize,
    postgres: Option<&str>,
) -> Result<Measured> {
    if !balans.exists() {
        bail!(
            "{} is missing: run cargo build --release -p balans first",
            balans.display()
        );
    }
    eprintln!(
        "generating {gestures} gestures over {parties} parties ({}) in {} …",
        shape.name(),
        dir.display()
    );
    let Generated {
        parties: parties_path,
        memberships: memberships_path,
        gestures: gestures_path,
        pairs,
    } = generate(dir, gestures, parties, shape)?;
    let csv_bytes = std::fs::metadata(&gestures_path)?.len();
    let separator = shape.format().separator;

    // Runs alternate between balans and the floor, so that a slow spell of the
    // machine's disk falls on both; the medians are compared.
    let store = dir.join("bench.db");
    let floor_db = dir.join("floor.db");
    let mut import_times = Vec::new();
    let mut floor_times = Vec::new();
    let mut setup_time = Duration::ZERO;
    let mut peak_kib = 0;
    let postgres_url = postgres.map(|admin| balans_tests::with_database(admin, "balans_bench"));
    let target = postgres_url
        .clone()
        .unwrap_or_else(|| store.display().to_string());
    for run in 1..=runs {
        match postgres {
            Some(admin) => {
                let mut client = postgres::Client::connect(admin, postgres::NoTls)
                    .context("cannot reach the PostgreSQL server")?;
                // Two statements: CREATE DATABASE may not share a transaction.
                client.batch_execute("DROP DATABASE IF EXISTS balans_bench WITH (FORCE)")?;
                client.batch_execute("CREATE DATABASE balans_bench")?;
            }
            None => {
                remove_sqlite(&store);
            }
        }
        let mut setup = Command::new(balans);
        setup
            .arg("--db")
            .arg(&target)
            .arg("import")
            .arg(&parties_path)
            .arg(&memberships_path);
        setup_time = timed(&mut setup)?.0;

        eprintln!(
            "run {run}/{runs}: importing gestures with {} …",
            balans.display()
        );
        let mut import = Command::new(balans);
        import
            .arg("--db")
            .arg(&target)
            .arg("import")
            .arg(&gestures_path);
        let (elapsed, peak) = timed(&mut import)?;
        import_times.push(elapsed);
        peak_kib = peak;

        match &postgres_url {
            Some(url) => {
                eprintln!("run {run}/{runs}: psql \\copy floor …");
                let mut header = String::new();
                std::io::BufRead::read_line(
                    &mut std::io::BufReader::new(std::fs::File::open(&gestures_path)?),
                    &mut header,
                )?;
                let header = header
                    .trim_start_matches('\u{feff}')
                    .trim_end()
                    .split(separator)
                    .map(|column| format!("{column} text"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut client = postgres::Client::connect(url, postgres::NoTls)?;
                client.batch_execute(&format!(
                    "DROP TABLE IF EXISTS t; CREATE TABLE t ({header})"
                ))?;
                let mut floor = Command::new("psql");
                floor.arg(url).arg("-c").arg(format!(
                    "\\copy t FROM '{}' CSV HEADER DELIMITER '{separator}'",
                    gestures_path.display()
                ));
                floor_times.push(
                    timed(&mut floor)
                        .context("is the psql command installed?")?
                        .0,
                );
            }
            None => {
                eprintln!("run {run}/{runs}: sqlite3 .import floor …");
                let _ = std::fs::remove_file(&floor_db);
                let mut floor = Command::new("sqlite3");
                floor
                    .arg(&floor_db)
                    .arg(".mode csv")
                    .arg(format!(".separator {separator}"))
                    .arg(format!(".import {} t", gestures_path.display()));
                floor_times.push(
                    timed(&mut floor)
                        .context("is the sqlite3 command installed?")?
                        .0,
                );
            }
        }
    }
    let median = |times: &mut Vec<Duration>| {
        times.sort_unstable();
        times[times.len() / 2]
    };
    let import_time = median(&mut import_times);
    let floor_time = median(&mut floor_times);
    // The bytes each wrote, beside the time it took: the store holds indexes
    // and sums the floor's one table has not.
    let (stored_bytes, floor_bytes) = match &postgres_url {
        Some(url) => {
            let mut client = postgres::Client::connect(url, postgres::NoTls)?;
            let row = client.query_one(
                "SELECT SUM(pg_total_relation_size(oid)) FILTER (WHERE relname <> 't')::int8, \
                        SUM(pg_total_relation_size(oid)) FILTER (WHERE relname = 't')::int8 \
                 FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace",
                &[],
            )?;
            (row.get::<_, i64>(0) as u64, row.get::<_, i64>(1) as u64)
        }
        None => {
            let bytes = |path: &Path| -> u64 {
                ["", "-wal"]
                    .iter()
                    .filter_map(|suffix| {
                        std::fs::metadata(format!("{}{suffix}", path.display())).ok()
                    })
                    .map(|m| m.len())
                    .sum()
            };
            (bytes(&store), bytes(&floor_db))
        }
    };
    // The same file again, every gesture present: no slower than the first time.
    eprintln!("importing the same file again …");
    let mut again = Command::new(balans);
    again
        .arg("--db")
        .arg(&target)
        .arg("import")
        .arg(&gestures_path);
    let again_time = timed(&mut again)?.0;
    eprintln!("balans check …");
    let checked = Command::new(balans)
        .arg("--db")
        .arg(&target)
        .arg("check")
        .status()
        .context("cannot run balans check")?
        .success();
    // A second and stricter floor: what balans stored, copied by the database
    // itself into empty tables of the same shape, whose indexes are then built.
    let store_floor_time = median(&mut store_floor(
        postgres_url.as_deref(),
        &store,
        dir,
        runs,
    )?);

    eprintln!("timing {reads} balance reads …");
    let mut store_handle: Box<dyn balans_store::Store> = match &postgres_url {
        Some(url) => Box::new(balans_postgres::PostgresStore::open(url)?),
        None => Box::new(SqliteStore::open(&store, false)?),
    };
    let mut rng = fastrand::Rng::with_seed(11);
    let mut latencies = Vec::with_capacity(reads);
    for _ in 0..reads {
        let (a, b) = &pairs[rng.usize(0..pairs.len())];
        let started = Instant::now();
        let view = ledger::pair_balance(store_handle.as_mut(), a, b, Some(Level::Person))?;
        latencies.push(started.elapsed());
        std::hint::black_box(view);
    }
    latencies.sort_unstable();
    let quantile =
        |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    let mean = latencies.iter().sum::<Duration>() / latencies.len() as u32;

    let rate = gestures as f64 / import_time.as_secs_f64();
    let ratio = import_time.as_secs_f64() / floor_time.as_secs_f64();
    let (floor_name, target_ratio) = if postgres.is_some() {
        (
            "psql \\copy",
            if shape == Shape::FewPairs { 2.0 } else { 2.5 },
        )
    } else {
        ("sqlite3 .import", 1.5)
    };
    let result = serde_json::json!({
        "gestures": gestures,
        "parties": parties,
        "shape": shape.name(),
        "csv_mib": csv_bytes as f64 / (1024.0 * 1024.0),
        "setup_seconds": setup_time.as_secs_f64(),
        "runs": runs,
        "import_seconds": import_time.as_secs_f64(),
        "import_seconds_all": import_times.iter().map(Duration::as_secs_f64).collect::<Vec<_>>(),
        "gestures_per_second": rate.round(),
        "peak_rss_mib": peak_kib as f64 / 1024.0,
        "store": if postgres.is_some() { "postgresql" } else { "sqlite" },
        "floor": floor_name,
        "floor_seconds": floor_time.as_secs_f64(),
        "floor_seconds_all": floor_times.iter().map(Duration::as_secs_f64).collect::<Vec<_>>(),
        "ratio_to_floor": ratio,
        "store_floor_seconds": store_floor_time.as_secs_f64(),
        "again_seconds": again_time.as_secs_f64(),
        "check_passed": checked,
        "stored_mib": mib(stored_bytes),
        "floor_stored_mib": mib(floor_bytes),
        "balance_read_us": {
            "mean": mean.as_secs_f64() * 1e6,
            "p50": quantile(0.5).as_secs_f64() * 1e6,
            "p99": quantile(0.99).as_secs_f64() * 1e6,
        },
    });
    println!("{}", serde_json::to_string_pretty(&result)?);
    println!(
        "\nimport (median of {runs}): {gestures} gestures in {:.2} s = {:.0} gestures/s, peak RSS {:.0} MiB\n\
         {floor_name} floor (median of {runs}): {:.2} s; balans takes {ratio:.2}x the floor (target: at most {target_ratio}x)\n\
         balance A B: mean {:.0} µs, p99 {:.0} µs (target: under 1000 µs)",
        import_time.as_secs_f64(),
        rate,
        peak_kib as f64 / 1024.0,
        floor_time.as_secs_f64(),
        mean.as_secs_f64() * 1e6,
        quantile(0.99).as_secs_f64() * 1e6
    );
    println!(
        "the store's floor, {} of the rows balans stored into empty tables of the same shape, then their indexes built (median of {runs}): {:.2} s = {:.2}x the floor; balans takes {:.2}x this",
        if postgres.is_some() {
            "psql \\copy"
        } else {
            "sqlite3 INSERT ... SELECT"
        },
        store_floor_time.as_secs_f64(),
        store_floor_time.as_secs_f64() / floor_time.as_secs_f64(),
        import_time.as_secs_f64() / store_floor_time.as_secs_f64()
    );
    println!(
        "the same file again, all present: {:.2} s ({:.2}x the first import); balans check {}",
        again_time.as_secs_f64(),
        again_time.as_secs_f64() / import_time.as_secs_f64(),
        if checked { "passed" } else { "FAILED" }
    );
    std::fs::write(
        dir.join("import.json"),
        serde_json::to_string_pretty(&result)?,
    )?;
    Ok(Measured {
        shape,
        gestures,
        seconds: import_time.as_secs_f64(),
        floor_seconds: floor_time.as_secs_f64(),
        store_floor_seconds: store_floor_time.as_secs_f64(),
        peak_mib: peak_kib as f64 / 1024.0,
        again_seconds: again_time.as_secs_f64(),
        checked,
        stored_mib: mib(stored_bytes),
        floor_mib: mib(floor_bytes),
    })
}

/// Removes a SQLite database and its log, where they exist.
fn remove_sqlite(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The tables an import writes: every row in them is the import's work.
const IMPORTED_TABLES: [&str; 4] = ["gestures", "balances", "party_totals", "months"];

/// The store's floor: the rows the import stored in [`IMPORTED_TABLES`], copied
/// by the database's own fastest path (no parsing, no checking, no summing) into
/// new, empty tables of the same shape and settings, whose indexes are then
/// built, in one transaction. No importer that ends with the same rows and
/// indexes can be much faster: what balans takes beyond it is its own work
/// (reading the CSV, resolving parties, checking, summing); what this floor
/// takes beyond the plain floor is what the store holds that a one-table copy
/// of the file does not.
fn store_floor(
    postgres_url: Option<&str>,
    store: &Path,
    dir: &Path,
    runs: usize,
) -> Result<Vec<Duration>> {
    match postgres_url {
        Some(url) => store_floor_postgres(url, dir, runs),
        None => store_floor_sqlite(store, dir, runs),
    }
}

/// [`store_floor`] on SQLite: `sqlite3` copies the tables from the store,
/// attached, with `INSERT … SELECT` in key order, then builds the indexes with
/// the settings a balans import builds them with (a helper thread, sorted runs
/// of [`balans_sqlite::SORT_RUN_KIB`]), into a file with the store's page size
/// and journal.
fn store_floor_sqlite(store: &Path, dir: &Path, runs: usize) -> Result<Vec<Duration>> {
    let (tables, indexes, page_size, journal) = {
        let handle = SqliteStore::open(store, false)?;
        let connection = handle.connection();
        let mut tables = Vec::new();
        let mut indexes = Vec::new();
        let mut statement = connection.prepare(
            "SELECT type, name, sql FROM sqlite_schema \
             WHERE tbl_name IN (SELECT value FROM json_each(?1)) AND sql IS NOT NULL \
             ORDER BY type DESC, rowid",
        )?;
        let names = serde_json::to_string(&IMPORTED_TABLES)?;
        let mut rows = statement.query([names])?;
        while let Some(row) = rows.next()? {
            let (kind, name, sql): (String, String, String) =
                (row.get(0)?, row.get(1)?, row.get(2)?);
            match kind.as_str() {
                "table" => tables.push((name, sql)),
                _ => indexes.push(sql),
            }
        }
        let page_size: i64 = connection.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let journal: String = connection.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        (tables, indexes, page_size, journal)
    };
    anyhow::ensure!(
        tables.len() == IMPORTED_TABLES.len(),
        "the store at {} lacks some of the tables {IMPORTED_TABLES:?}",
        store.display()
    );
    let quoted = |path: &Path| path.display().to_string().replace('\'', "''");
    let mut script = format!(
        "PRAGMA page_size = {page_size};\nPRAGMA journal_mode = {journal};\n\
         PRAGMA synchronous = FULL;\nPRAGMA temp_store = FILE;\n\
         ATTACH '{}' AS src;\nBEGIN;\n",
        quoted(store)
    );
    for (_, sql) in &tables {
        script.push_str(&format!("{sql};\n"));
    }
    for (name, sql) in &tables {
        let order = if sql.contains("WITHOUT ROWID") {
            ""
        } else {
            " ORDER BY rowid"
        };
        script.push_str(&format!(
            "INSERT INTO main.{name} SELECT * FROM src.{name}{order};\n"
        ));
    }
    script.push_str(&format!(
        "PRAGMA threads = 2;\nPRAGMA cache_size = -{};\n",
        balans_sqlite::SORT_RUN_KIB
    ));
    for sql in &indexes {
        script.push_str(&format!("{sql};\n"));
    }
    script.push_str("COMMIT;\n");
    let script_path = dir.join("store-floor.sql");
    std::fs::write(&script_path, script)?;
    let floor = dir.join("store-floor.db");
    let mut times = Vec::with_capacity(runs);
    for run in 1..=runs {
        eprintln!("run {run}/{runs}: sqlite3 copy of the stored rows into the store's shape …");
        remove_sqlite(&floor);
        let mut copy = Command::new("sqlite3");
        copy.arg("-bail")
            .arg(&floor)
            .arg(format!(".read '{}'", quoted(&script_path)));
        times.push(timed(&mut copy)?.0);
    }
    remove_sqlite(&floor);
    let _ = std::fs::remove_file(&script_path);
    Ok(times)
}

/// [`store_floor`] on PostgreSQL: `psql \\copy` of each table's rows, exported
/// once in COPY's binary format, into a new table like it (with its storage
/// settings: the sums' pages are kept half empty), then its indexes built as
/// `pg_indexes` defines them.
fn store_floor_postgres(url: &str, dir: &Path, runs: usize) -> Result<Vec<Duration>> {
    let mut client = postgres::Client::connect(url, postgres::NoTls)?;
    let mut copy = Command::new("psql");
    copy.arg(url)
        .args(["--single-transaction", "-q", "-v", "ON_ERROR_STOP=1"])
        .arg("-c")
        .arg("SET maintenance_work_mem = '256MB'");
    let mut exported = Vec::new();
    for table in IMPORTED_TABLES {
        let rows = dir.join(format!("{table}.bin"));
        let status = Command::new("psql")
            .arg(url)
            .arg("-c")
            .arg(format!("\\copy {table} TO '{}' BINARY", rows.display()))
            .stdout(std::process::Stdio::null())
            .status()
            .context("is the psql command installed?")?;
        anyhow::ensure!(status.success(), "psql could not export the stored {table}");
        let options: Option<Vec<String>> = client
            .query_one(
                "SELECT reloptions FROM pg_class WHERE oid = to_regclass($1)",
                &[&table],
            )?
            .get(0);
        let with = options
            .filter(|o| !o.is_empty())
            .map(|o| format!(" WITH ({})", o.join(", ")))
            .unwrap_or_default();
        copy.arg("-c").arg(format!(
            "CREATE TABLE floor_{table} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY){with}"
        ));
        copy.arg("-c").arg(format!(
            "\\copy floor_{table} FROM '{}' BINARY",
            rows.display()
        ));
        for row in client.query(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1",
            &[&table],
        )? {
            let (name, definition): (String, String) = (row.get(0), row.get(1));
            let definition = definition
                .replacen(&format!(" {name} ON "), &format!(" floor_{name} ON "), 1)
                .replacen(
                    &format!(" ON public.{table} "),
                    &format!(" ON public.floor_{table} "),
                    1,
                );
            copy.arg("-c").arg(definition);
        }
        exported.push(rows);
    }
    let drop = IMPORTED_TABLES
        .map(|t| format!("DROP TABLE IF EXISTS floor_{t};"))
        .concat();
    let mut times = Vec::with_capacity(runs);
    for run in 1..=runs {
        eprintln!("run {run}/{runs}: psql \\copy of the stored rows into the store's shape …");
        client.batch_execute(&drop)?;
        times.push(timed(&mut copy)?.0);
    }
    client.batch_execute(&drop)?;
    for rows in exported {
        let _ = std::fs::remove_file(rows);
    }
    Ok(times)
}
