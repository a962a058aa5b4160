//! `balans`: the command line and, later, the server. Glue only: parsing arguments,
//! opening the store, printing results and progress; the rules live in the library
//! crates.

mod cli;
mod output;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use balans_core::{Amount, DecimalMark, Evenness, KindCode, KindDef};
use balans_sqlite::SqliteStore;
use balans_store::accounts;
use balans_store::import::{self, Progress, Source};
use balans_store::ledger::{self, ReportOptions};
use balans_store::store::zone_of;
use balans_store::{GestureText, LedgerError, SchemaUpgrade, setting};
use clap::Parser;
use cli::{
    AlertCommand, Cli, Command, ConfigCommand, HandoverCommand, KindCommand, PromiseCommand,
    TokenCommand, UserCommand,
};
use indicatif::{ProgressBar, ProgressStyle};

// The server's writer allocates and frees many small values per gesture; mimalloc
// does that markedly faster than the system allocator. It is built without
// transparent huge pages (feature `no_thp`): an import frees batches of a few
// megabytes that mimalloc hands back to the system, and each fresh batch then
// made the kernel zero whole 2 MiB pages again, 0.2 s of system time on average
// for 1 M gestures.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    quiet_when_the_reader_leaves();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) if reader_left(&error) => ExitCode::from(CLOSED_PIPE),
        Err(error) => {
            match error.downcast_ref::<LedgerError>() {
                Some(LedgerError::Rejected(rejection)) => eprintln!("{rejection}"),
                _ => eprintln!("error: {error:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

/// The exit status of a command whose reader stopped reading (`| head`), as a
/// shell reports one ended by SIGPIPE.
const CLOSED_PIPE: u8 = 141;

/// Whether an error is the reader of standard output having gone.
fn reader_left(error: &anyhow::Error) -> bool {
    let broken = Some(std::io::ErrorKind::BrokenPipe);
    error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().map(|e| e.kind()) == broken
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == broken
    })
}

/// Ends the process quietly when printing fails because the reader of
/// standard output went away (`balans alert list | head -1`): Rust ignores
/// SIGPIPE, so `println!` panics there, and a backtrace says nothing useful.
fn quiet_when_the_reader_leaves() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(i32::from(CLOSED_PIPE));
        }
        default(info);
    }));
}

/// A store of either backend.
type AnyStore = Box<dyn balans_store::Store + Send>;

/// Where a store lives, read from `--db` (or `BALANS_DB`).
#[derive(Clone, Debug)]
enum Location {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

fn locate(db: &str) -> Result<Location> {
    if let Some((scheme, _)) = db.split_once("://") {
        return match scheme {
            "postgres" | "postgresql" => Ok(Location::Postgres(db.to_string())),
            "sqlite" | "file" => Ok(Location::Sqlite(
                db.strip_prefix("sqlite://")
                    .or_else(|| db.strip_prefix("file://"))
                    .unwrap_or(db)
                    .into(),
            )),
            other => bail!(
                "unknown store scheme '{other}://': use a file path such as ./balans.db, or postgres://user@host/database"
            ),
        };
    }
    Ok(Location::Sqlite(db.into()))
}

/// How much of an SQLite store a reading connection maps (SQLite's own limit
/// is 2 GiB).
const MAPPED_BYTES: u64 = 1 << 30;

fn open_at(location: &Location, create: bool, mapped: bool) -> Result<AnyStore> {
    // An upgrade may rewrite the gestures, which takes a while on a large store.
    let mut upgrading = |upgrade: SchemaUpgrade| {
        eprintln!(
            "upgrading the store from schema version {} to {}; on a large store this takes a while …",
            upgrade.from, upgrade.to
        );
    };
    Ok(match location {
        Location::Sqlite(path) => {
            let mut store = SqliteStore::open_telling(path, create, &mut upgrading)?;
            // What reads (the commands that read, the server's readers) reads
            // through a mapping; what may import (it may create) does not, nor
            // what reads the whole store (the check, an export), to keep its
            // memory flat: the mapped pages count as the process's own.
            if mapped && !create {
                store.map_pages(MAPPED_BYTES)?;
            }
            Box::new(store)
        }
        Location::Postgres(url) => Box::new(balans_postgres::PostgresStore::open_telling(
            url,
            &mut upgrading,
        )?),
    })
}

/// Opens the store the `--db` value names; the backend is chosen here, once.
fn open(db: &str, create: bool) -> Result<AnyStore> {
    open_mapped(db, create, true)
}

/// [`open`], for a command that reads the whole store.
fn open_whole(db: &str) -> Result<AnyStore> {
    open_mapped(db, false, false)
}

fn open_mapped(db: &str, create: bool, mapped: bool) -> Result<AnyStore> {
    let mut store = open_at(&locate(db)?, create, mapped)?;
    ledger::ensure_months(store.as_mut())?;
    Ok(store)
}

/// Whether a command writes, and so first resolves what has fallen due.
fn sweeps_first(command: &Command) -> bool {
    match command {
        Command::Promise(command) => !matches!(
            command,
            PromiseCommand::List { .. } | PromiseCommand::Show { .. } | PromiseCommand::Rate { .. }
        ),
        Command::Import(args) => !args.dry_run,
        Command::Give(_) | Command::Reverse(_) => true,
        Command::Handover(command) => !matches!(command, HandoverCommand::List { .. }),
        Command::Alert(command) => matches!(command, AlertCommand::Dismiss { .. }),
        Command::Kind(command) => !matches!(command, KindCommand::List { .. }),
        Command::User(command) => !matches!(command, UserCommand::List { .. }),
        Command::Token(command) => !matches!(command, TokenCommand::List { .. }),
        Command::Config(command) => matches!(command, ConfigCommand::Set { .. }),
        _ => false,
    }
}

/// Resolves what has fallen due in a write of its own, saying what it broke.
fn sweep_now(store: &mut (dyn balans_store::Store + Send)) -> Result<ledger::Swept> {
    let swept = ledger::sweep(store, balans_core::Moment::now())?;
    if !swept.broken.is_empty() {
        eprintln!(
            "{} promise(s) fell due unkept and were recorded as broken: {}",
            swept.broken.len(),
            swept
                .broken
                .iter()
                .map(|id| id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    say_stranded(&swept);
    Ok(swept)
}

/// Names, on standard error, the promises that fell due and stay pending
/// because their broken promise cannot be recorded.
fn say_stranded(swept: &ledger::Swept) {
    for stranded in &swept.stranded {
        eprintln!(
            "warning: {}. Release it (balans promise release {} --reason ..), or change the \
             memberships so that one organization holds then.",
            stranded.problem, stranded.promise
        );
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    // A store that does not exist yet has nothing due.
    if sweeps_first(&cli.command) && (cli.db.contains("://") || Path::new(&cli.db).exists()) {
        sweep_now(open(&cli.db, false)?.as_mut())?;
    }
    match cli.command {
        Command::Import(args) => {
            // A dry run against a store that does not exist yet validates against an
            // empty one in memory, and creates nothing.
            let dry_run_on_nothing =
                args.dry_run && !Path::new(&cli.db).exists() && !cli.db.contains("://");
            let mut store = if dry_run_on_nothing {
                open(":memory:", true)?
            } else {
                open(&cli.db, true)?
            };
            let mut sources = Vec::new();
            let mut sizes = Vec::new();
            for path in &args.files {
                if path.as_os_str() == "-" {
                    sources.push(Source::new("(standard input)", std::io::stdin()));
                    sizes.push(0);
                    continue;
                }
                let file = std::fs::File::open(path)
                    .with_context(|| format!("cannot open {}", path.display()))?;
                let size = file.metadata().map(|m| m.len()).unwrap_or(0);
                sizes.push(size);
                sources.push(Source::sized(path.display().to_string(), file, size));
            }
            let bar = progress_bar(sizes.iter().sum());
            let done = Mutex::new(vec![0u64; sizes.len()]);
            let on_progress = |p: Progress| {
                if let Ok(mut done) = done.lock() {
                    done[p.file] = p.bytes_in_file;
                    bar.set_position(done.iter().sum());
                }
            };
            let options = import::Options {
                decimal: args.decimal.map(DecimalMark::from),
                encoding: args.encoding.map(Into::into),
                dry_run: args.dry_run,
                // The command line holds the store's file: it may link users.
                user_links: true,
                ..import::Options::default()
            };
            let result = import::import(store.as_mut(), sources, options, &on_progress);
            bar.finish_and_clear();
            let summary = result?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                println!("{}", output::import_summary(&summary));
            }
        }
        Command::Balance(args) => {
            let mut store = open(&cli.db, false)?;
            let level = args.level.map(Into::into);
            match &args.b {
                Some(b) => {
                    let view = ledger::pair_balance(store.as_mut(), &args.a, b, level)?;
                    if args.json {
                        println!("{}", serde_json::to_string_pretty(&view)?);
                    } else {
                        print!("{}", output::pair(&view, &zone_of(store.as_mut())?));
                    }
                }
                None => {
                    let list = ledger::counterparts(store.as_mut(), &args.a, level)?;
                    if args.json {
                        println!("{}", serde_json::to_string_pretty(&list)?);
                    } else {
                        print!("{}", output::counterparts(&list));
                    }
                }
            }
        }
        Command::Credits(args) => {
            let mut store = open(&cli.db, false)?;
            let zone = zone_of(store.as_mut())?;
            let as_of = args
                .as_of
                .as_deref()
                .map(|text| zone.parse_typed(text, balans_core::Moment::now()))
                .transpose()
                .map_err(|e| anyhow::anyhow!("--as-of: {e}"))?;
            if args.totals {
                let totals =
                    ledger::organization_credits(store.as_mut(), &args.organization, as_of)?;
                if args.json {
                    println!("{}", serde_json::to_string_pretty(&totals)?);
                } else {
                    print!("{}", output::organization_credits(&totals, &zone));
                }
                return Ok(ExitCode::SUCCESS);
            }
            let (views, total) = match (&args.counterpart, args.all) {
                (None, false) => {
                    ledger::largest_credits(store.as_mut(), &args.organization, as_of, args.limit)?
                }
                (counterpart, _) => {
                    let views = ledger::credits(
                        store.as_mut(),
                        &args.organization,
                        counterpart.as_deref(),
                        as_of,
                    )?;
                    let total = views.len();
                    (views, total)
                }
            };
            // Written as it is made: an organization's every person pair can
            // run to many megabytes.
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            if args.json {
                match (&args.counterpart, views.first()) {
                    (Some(_), Some(view)) => serde_json::to_writer_pretty(&mut out, view)?,
                    _ => serde_json::to_writer_pretty(&mut out, &views)?,
                }
                writeln!(out)?;
            } else {
                out.write_all(output::credits(&views, total, &zone).as_bytes())?;
            }
            out.flush()?;
        }
        Command::Report(args) => {
            let mut store = open(&cli.db, false)?;
            let min_volume = Amount::parse_typed(&args.min_volume)
                .map_err(|e| anyhow::anyhow!("--min-volume: {e}"))?;
            let options = ReportOptions {
                level: args.level.into(),
                dimension: args.dimension.into(),
                min_volume,
                evenness_below: parse_evenness(&args.evenness_below)?,
                limit: args.limit,
                us: args.us,
                window: ledger::Window::parse(&args.window).with_context(|| {
                    format!(
                        "--window '{}': use 30d, 90d, 12m, all, or a number of days like 60d",
                        balans_core::Quoted(&args.window)
                    )
                })?,
                until: None,
            };
            let report = ledger::report(store.as_mut(), &options)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", output::report(&report));
            }
        }
        Command::Give(args) => {
            let mut store = open(&cli.db, false)?;
            let now = balans_core::Moment::now().display_in(&zone_of(store.as_mut())?);
            let text = GestureText {
                id: args.id.as_deref().unwrap_or(""),
                at: args.at.as_deref().unwrap_or(&now),
                giver: &args.giver,
                receiver: &args.receiver,
                kind: &args.kind,
                // Either mark may be decimal here: the ledger reads it as typed
                // (Amount::parse_typed), refusing what could be read two ways.
                amount: args.amount.as_deref().unwrap_or(""),
                note: args.note.as_deref().unwrap_or(""),
                item: args.item.as_deref().unwrap_or(""),
                giver_org: args.giver_org.as_deref().unwrap_or(""),
                receiver_org: args.receiver_org.as_deref().unwrap_or(""),
                reverses: "",
            };
            let given = ledger::give(store.as_mut(), &text)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&given)?);
            } else {
                print!(
                    "{}",
                    output::given(&given, "recorded", &zone_of(store.as_mut())?)
                );
            }
        }
        Command::Reverse(args) => {
            let mut store = open(&cli.db, false)?;
            let given = ledger::reverse(
                store.as_mut(),
                &args.id,
                args.at.as_deref(),
                args.note.as_deref(),
                args.reversal_id.as_deref(),
            )?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&given)?);
            } else {
                print!(
                    "{}",
                    output::given(&given, "reversed", &zone_of(store.as_mut())?)
                );
            }
        }
        Command::Handover(command) => handover(&cli.db, command)?,
        Command::Promise(command) => promise(&cli.db, command)?,
        Command::Sweep { json } => {
            let mut store = open(&cli.db, false)?;
            let swept = ledger::sweep(store.as_mut(), balans_core::Moment::now())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&swept)?);
            } else if swept.broken.is_empty() && swept.stranded.is_empty() {
                println!("Nothing has fallen due.");
            } else if !swept.broken.is_empty() {
                println!(
                    "{} promise(s) fell due unkept and were recorded as broken:",
                    swept.broken.len()
                );
                for id in &swept.broken {
                    println!("  {id}");
                }
            }
            say_stranded(&swept);
            if !swept.stranded.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Alert(command) => {
            let mut store = open(&cli.db, false)?;
            match command {
                AlertCommand::List { json } => {
                    let zone = zone_of(store.as_mut())?;
                    let alerts = ledger::open_alerts(store.as_mut(), balans_core::Moment::now())?;
                    if json {
                        println!("{}", serde_json::to_string_pretty(&alerts)?);
                    } else if alerts.is_empty() {
                        println!("No credits gone dormant without a successor.");
                    } else {
                        for alert in &alerts {
                            print!("{}", output::alert(alert, &zone));
                        }
                    }
                }
                AlertCommand::Dismiss { id } => {
                    ledger::dismiss_alert(store.as_mut(), id, balans_core::Moment::now())?;
                    println!("Alert #{id} dismissed.");
                }
            }
        }
        Command::Kind(command) => kind(&cli.db, command)?,
        Command::Check => {
            let mut store = open_whole(&cli.db)?;
            let report = ledger::check(store.as_mut())?;
            print!("{}", output::check(&report));
            if !report.is_consistent() {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Export(args) => {
            let mut store = open_whole(&cli.db)?;
            let summary = ledger::export(store.as_mut(), &args.dir)?;
            let mut extra = String::new();
            if summary.user_links > 0 {
                extra.push_str(&format!(", {} user links", summary.user_links));
            }
            if summary.alerts > 0 {
                extra.push_str(&format!(", {} alerts", summary.alerts));
            }
            if summary.promises > 0 {
                extra.push_str(&format!(", {} promises", summary.promises));
            }
            println!(
                "exported {} kinds, {} parties, {} memberships, {} gestures and {} handovers{extra} to {}",
                summary.kinds,
                summary.parties,
                summary.memberships,
                summary.gestures,
                summary.handovers,
                args.dir.display()
            );
        }
        Command::Demo(args) => {
            let mut store = open(&cli.db, true)?;
            let summary = balans_store::demo::load_in(store.as_mut(), args.lang.into())?;
            eprintln!("{}", output::import_summary(&summary));
            // The demo's year: long enough for its lists, with what changed in it.
            let report = ledger::report(
                store.as_mut(),
                &ReportOptions {
                    window: ledger::Window::Days(365),
                    ..ReportOptions::default()
                },
            )?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", output::report(&report));
                println!("\nTry: balans --db {} balance hotel-wadden bosman", cli.db);
            }
        }
        Command::Serve(args) => serve(&cli.db, args)?,
        Command::User(command) => user(&cli.db, command)?,
        Command::Token(command) => token(&cli.db, command)?,
        Command::Config(command) => match command {
            ConfigCommand::Get { name } => {
                let mut store = open(&cli.db, false)?;
                let names = match &name {
                    Some(name) => vec![name.as_str()],
                    None => ledger::SETTINGS.to_vec(),
                };
                for name in names {
                    let value = balans_store::CatalogStore::setting(store.as_mut(), name)?;
                    let value = match (name, value) {
                        (_, Some(value)) => value,
                        (setting::TIME_ZONE, None) => {
                            format!("{} (default)", balans_core::DEFAULT_TIME_ZONE)
                        }
                        (setting::KEY_PERSON, None) => {
                            format!("{} (default)", ledger::KEY_PERSON_PERCENT)
                        }
                        (setting::DORMANT_ALERT, None) => "10 (default)".to_string(),
                        (_, None) => "(not set)".to_string(),
                    };
                    println!("{name} = {value}");
                }
            }
            ConfigCommand::Set { name, value } => {
                let mut store = open(&cli.db, false)?;
                ledger::set_setting(store.as_mut(), &name, &value)?;
                println!("{name} = {value}");
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}

fn promise(db: &str, command: PromiseCommand) -> Result<()> {
    use balans_core::Moment;
    let mut store = open(db, false)?;
    let zone = zone_of(store.as_mut())?;
    let now = Moment::now();
    let view = match command {
        PromiseCommand::Add {
            promiser,
            promisee,
            kind,
            amount,
            due,
            note,
            id,
            made,
            promiser_org,
            promisee_org,
        } => {
            let text = ledger::PromiseText {
                id: id.as_deref().unwrap_or(""),
                promiser: &promiser,
                promisee: &promisee,
                kind: &kind,
                amount: amount.as_deref().unwrap_or(""),
                made: made.as_deref().unwrap_or(""),
                due: &due,
                note: note.as_deref().unwrap_or(""),
                promiser_org: promiser_org.as_deref().unwrap_or(""),
                promisee_org: promisee_org.as_deref().unwrap_or(""),
            };
            let made = ledger::make_promise(store.as_mut(), &text, now)?;
            println!("{}", made.promise.id);
            return Ok(());
        }
        PromiseCommand::Keep { id, amount } => {
            ledger::keep_promise(store.as_mut(), &id, amount.as_deref(), now)?
        }
        PromiseCommand::Break { id, note } => {
            ledger::break_promise(store.as_mut(), &id, note.as_deref(), now)?
        }
        PromiseCommand::Move { id, due } => ledger::move_promise(store.as_mut(), &id, &due, now)?,
        PromiseCommand::Release { id, reason } => {
            ledger::release_promise(store.as_mut(), &id, &reason, now)?
        }
        PromiseCommand::Show { id, json } => {
            let view = ledger::promise(store.as_mut(), &id)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
                return Ok(());
            }
            view
        }
        PromiseCommand::List {
            open: pending,
            overdue,
            due_within,
            party,
            limit,
            json,
        } => {
            let due_within_ms = due_within
                .as_deref()
                .map(ledger::parse_duration_ms)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--due-within: {e}"))?;
            let query = ledger::PromiseQuery {
                party: party.as_deref(),
                pending,
                overdue,
                due_within_ms,
                now: Some(now),
                limit: limit.map_or(0, |n| n as usize),
                ..ledger::PromiseQuery::default()
            };
            let views = ledger::list_promises(store.as_mut(), &query)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&views)?);
            } else if views.is_empty() {
                println!("No promises.");
            } else {
                for view in &views {
                    print!("{}", output::promise(view, &zone));
                }
            }
            return Ok(());
        }
        PromiseCommand::Rate {
            party,
            with,
            since,
            until,
            json,
        } => {
            let rates = ledger::kept_rates_in(
                store.as_mut(),
                &party,
                with.as_deref(),
                (since.as_deref(), until.as_deref()),
                now,
            )?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rates)?);
            } else {
                print!("{}", output::kept_rates(&rates));
            }
            return Ok(());
        }
    };
    print!("{}", output::promise(&view, &zone));
    Ok(())
}

fn handover(db: &str, command: HandoverCommand) -> Result<()> {
    use balans_core::{HandoverState, Moment};
    let mut store = open(db, false)?;
    let zone = zone_of(store.as_mut())?;
    let show = |view: &ledger::HandoverView| output::handover(view, &zone);
    match command {
        HandoverCommand::Offer {
            a,
            b,
            successor,
            share,
        } => {
            let view = ledger::offer_handover(
                store.as_mut(),
                &a,
                &b,
                &successor,
                Some(share),
                Moment::now(),
            )?;
            println!("{}", view.id);
        }
        HandoverCommand::Accept { id, at, note } => {
            let at = at
                .as_deref()
                .map(|text| zone.parse_typed(text, Moment::now()))
                .transpose()
                .map_err(|e| anyhow::anyhow!("--at: {e}"))?
                .unwrap_or_else(Moment::now);
            let view = ledger::accept_handover(
                store.as_mut(),
                id,
                at,
                note.as_deref(),
                ledger::Decider::CommandLine,
            )?;
            print!("{}", show(&view));
        }
        HandoverCommand::Decline { id, note } => {
            let view = ledger::end_handover(
                store.as_mut(),
                id,
                HandoverState::Declined,
                Moment::now(),
                note.as_deref(),
                ledger::Decider::CommandLine,
            )?;
            print!("{}", show(&view));
        }
        HandoverCommand::Withdraw { id } => {
            let view = ledger::end_handover(
                store.as_mut(),
                id,
                HandoverState::Withdrawn,
                Moment::now(),
                None,
                ledger::Decider::CommandLine,
            )?;
            print!("{}", show(&view));
        }
        HandoverCommand::List { json } => {
            let list = ledger::handovers(store.as_mut())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                println!("No handovers yet.");
            } else {
                for view in &list {
                    print!("{}", show(view));
                }
            }
        }
    }
    Ok(())
}

fn kind(db: &str, command: KindCommand) -> Result<()> {
    let amount =
        |text: &str| Amount::parse_typed(text).map_err(|e| anyhow::anyhow!("--default: {e}"));
    match command {
        KindCommand::List { json } => {
            let mut store = open(db, false)?;
            let kinds = ledger::kinds(store.as_mut())?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&output::kinds_json(&kinds))?
                );
            } else {
                print!("{}", output::kinds(&kinds));
            }
        }
        KindCommand::Add {
            code,
            dimension,
            default,
            nl,
            en,
        } => {
            let code = KindCode::parse(&code).map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut store = open(db, false)?;
            let def = KindDef {
                label_nl: nl.unwrap_or_else(|| code.to_string()),
                label_en: en.unwrap_or_else(|| code.to_string()),
                code,
                dimension: dimension.into(),
                default: default.as_deref().map(amount).transpose()?,
            };
            ledger::add_kind(store.as_mut(), def.clone())?;
            println!("added kind {}", def.code);
        }
        KindCommand::Set {
            code,
            default,
            no_default,
            nl,
            en,
        } => {
            let code = KindCode::parse(&code).map_err(|e| anyhow::anyhow!("{e}"))?;
            let default = match (default, no_default) {
                (Some(text), _) => Some(Some(amount(&text)?)),
                (None, true) => Some(None),
                (None, false) => None,
            };
            let mut store = open(db, false)?;
            let kind = ledger::set_kind(store.as_mut(), &code, default, nl, en)?;
            print!("{}", output::kinds(std::slice::from_ref(&kind)));
        }
    }
    Ok(())
}

fn serve(db: &str, args: cli::ServeArgs) -> Result<()> {
    // Log lines are written by a thread of their own, several at a time: a write to
    // standard error per request, on the request's thread, cost a read a tenth of
    // its time. Nothing is dropped: a full queue makes the logging thread wait. The
    // guard writes out what is queued when the server ends.
    let (log_writer, _log_guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("balans-log")
        .finish(std::io::BufWriter::new(std::io::stderr()));
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(log_writer)
        // Colours for a person at a terminal; plain lines for a log file.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let mut writer = open(db, true)?;
    let demo_login = if args.demo {
        Some(demo_login(writer.as_mut(), args.lang.into())?)
    } else {
        None
    };
    let setup = accounts::begin_setup(writer.as_mut())?;
    let location = locate(db)?;
    let opener: balans_server::Opener = std::sync::Arc::new(move || {
        open_at(&location, false, true)
            .map_err(|e| balans_store::StoreError::backend("opening a reader", e.to_string()))
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let addr = listener.local_addr()?;
        let db = balans_server::Db::start(writer, opener, args.readers);
        let config = balans_server::Config {
            body_limit_bytes: args.body_limit,
            upload_limit_bytes: args.upload_limit,
        };
        let app = balans_server::app(balans_server::AppState { db }, &config);
        println!("Balans listens on http://{addr} (API under /api/v1, described at /api/openapi.json)");
        if let Some((email, password)) = &demo_login {
            println!("Open http://{addr}/ and log in as {email} with password {password}");
        }
        if let Some(token) = setup {
            println!(
                "No users yet. Set Balans up in your browser with this one-time link:\n\n  \
                 http://{addr}/setup?token={token}\n\n\
                 or through the API:\n\n  \
                 curl -X POST http://{addr}/api/v1/setup -H 'Content-Type: application/json' \\\n    \
                 -d '{{\"setup_token\": \"{token}\", \"email\": \"you@example.nl\", \"password\": \"at least 10 characters\"}}'\n\n\
                 or offline: balans user add you@example.nl --role admin"
            );
        }
        balans_server::serve(listener, app, balans_server::shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    Ok(())
}

/// The demo login of `serve --demo`.
const DEMO_EMAIL: &str = "demo@balans.test";
const DEMO_PASSWORD: &str = "balans-demo";

/// Loads the demo organization into an empty store and makes sure the demo login
/// exists: an admin, so that every page can be seen.
fn demo_login(
    store: &mut (dyn balans_store::Store + Send),
    notes: balans_store::demo::NotesIn,
) -> Result<(&'static str, &'static str)> {
    if !balans_store::GestureStore::has_gestures(store)? {
        let summary = balans_store::demo::load_in(store, notes)?;
        println!(
            "loaded the demo organization: {} gestures",
            summary.gestures_added
        );
    }
    let email = balans_core::Email::parse(DEMO_EMAIL).map_err(|e| anyhow::anyhow!("{e}"))?;
    if balans_store::AccountStore::user_by_email(store, &email)?.is_none() {
        accounts::add_user(
            store,
            DEMO_EMAIL,
            balans_core::UserRole::Admin,
            Some(DEMO_PASSWORD),
        )?;
    }
    Ok((DEMO_EMAIL, DEMO_PASSWORD))
}

fn user(db: &str, command: UserCommand) -> Result<()> {
    match command {
        UserCommand::Add { email, role } => {
            let mut store = open(db, false)?;
            let password = read_password(&email)?;
            let user =
                accounts::add_user(store.as_mut(), &email, role.into(), password.as_deref())?;
            let login = if user.password_hash.is_some() {
                "can log in"
            } else {
                "has no password: API tokens only"
            };
            println!("added {} as {} ({login})", user.email, user.role);
        }
        UserCommand::List { json } => {
            let mut store = open(db, false)?;
            let users = balans_store::AccountStore::users(store.as_mut())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                for user in users {
                    let login = if user.password_hash.is_some() {
                        ""
                    } else {
                        "  (no password)"
                    };
                    println!("{:<40} {}{login}", user.email.as_str(), user.role);
                }
            }
        }
        UserCommand::Role { email, role } => {
            let mut store = open(db, false)?;
            let user = accounts::set_role(store.as_mut(), &email, role.into())?;
            println!("{} is now {}", user.email, user.role);
        }
        UserCommand::Passwd { email } => {
            let mut store = open(db, false)?;
            let password = read_password(&email)?;
            let user = accounts::set_password(store.as_mut(), &email, password.as_deref())?;
            if user.password_hash.is_some() {
                println!(
                    "{} has a new password; their sessions have ended",
                    user.email
                );
            } else {
                println!("{} has no password now: API tokens only", user.email);
            }
        }
        UserCommand::Remove { email } => {
            let mut store = open(db, false)?;
            let user = accounts::remove_user(store.as_mut(), &email)?;
            println!("removed {} with their tokens and sessions", user.email);
        }
        UserCommand::Link { email, party } => {
            let mut store = open(db, false)?;
            let (user, party) = accounts::link_user(store.as_mut(), &email, Some(&party))?;
            println!(
                "linked {} to {}: handovers to them are theirs to accept",
                user.email,
                party.unwrap_or_default()
            );
        }
        UserCommand::Unlink { email } => {
            let mut store = open(db, false)?;
            let (user, _) = accounts::link_user(store.as_mut(), &email, None)?;
            println!("unlinked {}", user.email);
        }
    }
    Ok(())
}

/// The new user's password: asked twice on a terminal, else one line of standard
/// input. Empty means none.
fn read_password(email: &str) -> Result<Option<String>> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!(
            "Password for {email} (empty: none, API tokens only): "
        ))?;
        if !first.is_empty() && rpassword::prompt_password("Again: ")? != first {
            bail!("the passwords differ; nothing was changed");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim_end_matches(['\n', '\r']).to_string()
    };
    Ok((!password.is_empty()).then_some(password))
}

fn token(db: &str, command: TokenCommand) -> Result<()> {
    let mut store = open(db, false)?;
    match command {
        TokenCommand::Create { user, name } => {
            let (info, secret) = accounts::create_token(store.as_mut(), &user, &name)?;
            eprintln!(
                "token #{} '{}' for {}: keep it safe, it is not shown again",
                info.id, info.name, info.user
            );
            println!("{secret}");
        }
        TokenCommand::List { json } => {
            let tokens = balans_store::AccountStore::tokens(store.as_mut())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&tokens)?);
            } else {
                for t in tokens {
                    let state = t
                        .revoked
                        .map_or_else(|| "active".to_string(), |at| format!("revoked {at}"));
                    println!(
                        "#{:<5} {:<30} {:<40} created {}  {state}",
                        t.id,
                        t.name,
                        t.user.as_str(),
                        t.created
                    );
                }
            }
        }
        TokenCommand::Revoke { id } => {
            accounts::revoke_token(store.as_mut(), id)?;
            println!("token #{id} revoked");
        }
    }
    Ok(())
}

/// Reads an evenness between 0 and 1 with up to four decimals, exactly.
fn parse_evenness(text: &str) -> Result<Evenness> {
    Evenness::parse(text).ok_or_else(|| {
        anyhow::anyhow!(
            "--evenness-below: '{text}' is not a number from 0 to 1 with at most four decimals"
        )
    })
}

fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() || total == 0 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} importing [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}
