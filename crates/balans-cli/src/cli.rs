//! The command line: every command, its flags and an example.

use std::path::PathBuf;

use balans_core::{DecimalMark, Dimension, Level};
use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "balans",
    version,
    about = "The balance of give and take between an organization and its customers",
    long_about = "Balans records what an organization and its customers give each other — products \
and payments, but also attention, help, thanks, apologies, and the takes: being brushed off, a \
broken promise — and shows which relationships are in balance.",
    after_help = "Examples:\n  balans demo\n  balans import parties.csv memberships.csv gestures.csv\n  balans balance hotel-wadden bosman\n  balans report"
)]
pub struct Cli {
    /// The store: a file path for the embedded store, or a PostgreSQL URL
    /// (postgres://user@host/database).
    #[arg(
        long,
        global = true,
        env = "BALANS_DB",
        default_value = "balans.db",
        value_name = "PATH|URL"
    )]
    pub db: String,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Import parties, memberships, gestures (and kinds) from CSV files, all or nothing.
    #[command(after_help = "The type of each file is read from its header row:\n  \
parties:     key,kind,name[,email,phone,note]\n  \
memberships: person,organization,role,from[,until]\n  \
gestures:    [id,]at,giver,receiver,kind[,amount,note,item,giver_org,receiver_org,reverses]\n  \
kinds:       code,dimension[,default,label_nl,label_en]\n\
handovers:   left,left_organization,other,other_organization,successor,share,state,offered[,decided,note,\n             credit_given,credit_received,money_given,money_received] (as export writes them)\n\
A semicolon-separated file uses a decimal comma, a comma-separated file a decimal point.\n\
UTF-8 (with or without BOM) and Windows-1252 (Excel's plain CSV) are read.\n\
All files of one command are imported together, or none of them is.\n\n\
Examples:\n  balans import parties.csv gestures.csv\n  balans import --dry-run export/*.csv\n  balans import --decimal comma kassa.csv")]
    Import(ImportArgs),

    /// Show the balance of a pair, or every counterpart of one party.
    #[command(
        after_help = "Examples:\n  balans balance hotel-wadden bosman\n  balans balance henk --level person\n  balans balance hotel-wadden bosman --json"
    )]
    Balance(BalanceArgs),

    /// An organization's credits: historical, live and dormant, the key persons,
    /// and the person pairs behind each relationship (see docs/credits.md).
    #[command(
        after_help = "A person pair's credits are live while both are still members of their organizations,\n\
dormant once one has left; historical = live + dormant.\n\n\
Without a counterpart, the relationships with the largest historical credit volume come first,\n\
the first 10 unless --limit or --all says otherwise.\n\n\
Examples:\n  balans credits bosman\n  balans credits bosman --all\n  balans credits bosman --totals\n  balans credits bosman hotel-wadden\n  balans credits bosman hotel-wadden --as-of 2025-02-01 --json"
    )]
    Credits(CreditsArgs),

    /// Handovers of dormant credits to a successor: offer, accept, decline,
    /// withdraw, list.
    #[command(
        subcommand,
        after_help = "Examples:\n  balans handover offer henk gerrit --to sander --share 50\n  balans handover accept 1 --note 'by phone'\n  balans handover list --json"
    )]
    Handover(HandoverCommand),

    /// Promises: pending gestures with a due moment; kept, moved, released or
    /// broken, and broken by themselves when they fall due (see docs/promises.md).
    #[command(
        subcommand,
        after_help = "Examples:\n  balans promise add bosman hotel-wadden attention --due 2025-03-14T17:00 --note 'call back'\n  balans promise keep call-hotel\n  balans promise list --overdue\n  balans promise list --due-within 7d --party bosman --json"
    )]
    Promise(PromiseCommand),

    /// Resolve what has fallen due: promises not kept by their due moment
    /// become broken promises. Every command that writes sweeps first, and
    /// `balans serve` every minute; this is for a cron job where no server runs.
    /// A promise whose break cannot be recorded (its party counts for several
    /// organizations at its due moment) stays pending and is named; the sweep
    /// then exits with 1.
    #[command(
        after_help = "Examples:\n  balans sweep\n  */5 * * * * balans --db /srv/balans.db sweep"
    )]
    Sweep {
        #[arg(long)]
        json: bool,
    },

    /// Credits gone dormant when someone left: list the open alerts, dismiss one.
    #[command(
        subcommand,
        after_help = "Examples:\n  balans alert list\n  balans alert list --json\n  balans alert dismiss 3\n  balans config set dormant_alert_points 10"
    )]
    Alert(AlertCommand),

    /// The relationships most out of balance, in both directions.
    #[command(
        after_help = "Examples:\n  balans report\n  balans report --window 12m\n  balans report --window all --dimension money --min-volume 100 --json\n  balans report --us bosman --level person"
    )]
    Report(ReportArgs),

    /// Record one gesture.
    #[command(
        after_help = "Examples:\n  balans give henk gerrit help\n  balans give hotel-wadden bosman pay 1250.00 --at 2026-11-02 --note 'invoice 2026-118'\n  balans give sanne dr-bakker thanks 5 --note 'a drawing'"
    )]
    Give(GiveArgs),

    /// Record the reversal of a gesture (gestures are never changed or deleted).
    #[command(
        after_help = "Example:\n  balans reverse g-3f2a9c01d4e5b6a7c8d9e0f1 --note 'entered twice'"
    )]
    Reverse(ReverseArgs),

    /// The catalog of gesture kinds: list, add, change defaults and labels.
    #[command(
        subcommand,
        after_help = "Examples:\n  balans kind list\n  balans kind set stamp --default 0.75"
    )]
    Kind(KindCommand),

    /// Recompute every balance from the gestures; exit 1 naming each pair that differs.
    #[command(after_help = "Example:\n  balans check")]
    Check,

    /// Write kinds.csv, parties.csv, memberships.csv and gestures.csv into a directory.
    #[command(
        after_help = "Example:\n  balans export --dir backup-2026-11\n  balans --db new.db import backup-2026-11/*.csv"
    )]
    Export(ExportArgs),

    /// Fill the store with a demo organization and print the report.
    #[command(after_help = "Example:\n  balans --db demo.db demo")]
    Demo(DemoArgs),

    /// Serve the web app and the JSON API (described at /api/openapi.json).
    #[command(
        after_help = "Examples:\n  balans serve --demo\n  balans serve --demo --lang en\n  balans serve\n  balans --db shop.db serve --addr 0.0.0.0:8080\n  curl -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:7878/api/v1/report"
    )]
    Serve(ServeArgs),

    /// Users of the web app and the API: add, list, change a role.
    #[command(
        subcommand,
        after_help = "Examples:\n  balans user add femke@bosman.nl --role staff\n  balans user list"
    )]
    User(UserCommand),

    /// API tokens for tools and scripts: create (shown once), list, revoke.
    #[command(
        subcommand,
        after_help = "Examples:\n  TOKEN=$(balans token create --user femke@bosman.nl --name till)\n  balans token revoke 3"
    )]
    Token(TokenCommand),

    /// Read or change the store's settings: timezone, us (our own organization's
    /// key), key_person_percent, dormant_alert_points.
    #[command(
        subcommand,
        after_help = "Examples:\n  balans config set us bosman\n  balans config set timezone Europe/Amsterdam\n  balans config get"
    )]
    Config(ConfigCommand),
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// CSV files; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The decimal mark, overriding what the delimiter implies.
    #[arg(long, value_enum)]
    pub decimal: Option<DecimalArg>,
    /// The character encoding; by default UTF-8 when the file starts as UTF-8, and
    /// Windows-1252 (what Excel's plain CSV is on Windows) otherwise.
    #[arg(long, value_enum)]
    pub encoding: Option<EncodingArg>,
    /// Validate everything and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum DecimalArg {
    Point,
    Comma,
}

impl From<DecimalArg> for DecimalMark {
    fn from(arg: DecimalArg) -> DecimalMark {
        match arg {
            DecimalArg::Point => DecimalMark::Point,
            DecimalArg::Comma => DecimalMark::Comma,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum EncodingArg {
    #[value(name = "utf-8")]
    Utf8,
    #[value(name = "windows-1252")]
    Windows1252,
}

impl From<EncodingArg> for balans_csv::Encoding {
    fn from(arg: EncodingArg) -> balans_csv::Encoding {
        match arg {
            EncodingArg::Utf8 => balans_csv::Encoding::Utf8,
            EncodingArg::Windows1252 => balans_csv::Encoding::Windows1252,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum LevelArg {
    Person,
    Organization,
}

impl From<LevelArg> for Level {
    fn from(arg: LevelArg) -> Level {
        match arg {
            LevelArg::Person => Level::Person,
            LevelArg::Organization => Level::Organization,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum DimensionArg {
    Money,
    Credit,
}

impl From<DimensionArg> for Dimension {
    fn from(arg: DimensionArg) -> Dimension {
        match arg {
            DimensionArg::Money => Dimension::Money,
            DimensionArg::Credit => Dimension::Credit,
        }
    }
}

#[derive(Args, Debug)]
pub struct BalanceArgs {
    /// The party seen from.
    pub a: String,
    /// The counterpart; without it, every counterpart of A.
    pub b: Option<String>,
    /// Person level (as the gestures name the parties) or organization level (rolled
    /// up through memberships). Default: organization between organizations.
    #[arg(long, value_enum)]
    pub level: Option<LevelArg>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CreditsArgs {
    /// The organization (or a party standing for itself) seen from.
    pub organization: String,
    /// One counterpart; without it, every relationship of the organization.
    pub counterpart: Option<String>,
    /// The moment to look at: YYYY-MM-DD[THH:MM], D-M-YYYY, today/vandaag,
    /// yesterday/gisteren (default: now). Gestures after it are left out.
    #[arg(long, value_name = "MOMENT")]
    pub as_of: Option<String>,
    /// Only the organization's totals over all its relationships: historical,
    /// live, dormant and handed over, without each relationship.
    #[arg(long, conflicts_with = "counterpart")]
    pub totals: bool,
    /// Without a counterpart: the most relationships to show, largest credit
    /// volume first.
    #[arg(long, default_value_t = 10, value_name = "N", conflicts_with_all = ["counterpart", "all", "totals"])]
    pub limit: usize,
    /// Without a counterpart: every relationship of the organization.
    #[arg(long, conflicts_with_all = ["counterpart", "totals"])]
    pub all: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[arg(long, value_enum, default_value = "organization")]
    pub level: LevelArg,
    #[arg(long, value_enum, default_value = "credit")]
    pub dimension: DimensionArg,
    /// Leave out pairs with less volume, both ways together.
    #[arg(long, default_value = "5", value_name = "AMOUNT")]
    pub min_volume: String,
    /// Leave out pairs at least this even (0 to 1).
    #[arg(long, default_value = "0.6", value_name = "EVENNESS")]
    pub evenness_below: String,
    /// The most pairs in each list.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Our own organization's key (default: the store's `us` setting).
    #[arg(long)]
    pub us: Option<String>,
    /// How far back to look: 30d, 90d, 12m, all, or a number of days (60d).
    /// Over a window, the report also names what changed against the window
    /// before it.
    #[arg(long, default_value = "90d", value_name = "WINDOW")]
    pub window: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct GiveArgs {
    pub giver: String,
    pub receiver: String,
    /// A kind from the catalog (`balans kind list`).
    pub kind: String,
    /// The amount; the kind's default when absent. `12.50`, `12,50`, `€ 1.250,50`,
    /// `10,-`; one mark before exactly three digits (`1.250`) is refused as
    /// ambiguous. A payment is never negative.
    #[arg(allow_hyphen_values = true)]
    pub amount: Option<String>,
    /// When: YYYY-MM-DD, YYYY-MM-DDTHH:MM, D-M-YYYY, or yesterday/gisteren [HH:MM]
    /// (default: now).
    #[arg(long)]
    pub at: Option<String>,
    #[arg(long)]
    pub note: Option<String>,
    /// The item the gesture concerns.
    #[arg(long)]
    pub item: Option<String>,
    /// The gesture's id; retrying with the same id records nothing twice.
    #[arg(long)]
    pub id: Option<String>,
    /// The organization the giver gave for, where the giver has several.
    #[arg(long)]
    pub giver_org: Option<String>,
    /// The organization the receiver received for, where the receiver has several.
    #[arg(long)]
    pub receiver_org: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ReverseArgs {
    /// The id of the gesture to reverse.
    pub id: String,
    /// When the reversal is recorded (default: now).
    #[arg(long)]
    pub at: Option<String>,
    #[arg(long)]
    pub note: Option<String>,
    /// The reversal's own id, for a safe retry.
    #[arg(long = "reversal-id")]
    pub reversal_id: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum PromiseCommand {
    /// Make a promise: PROMISER promises PROMISEE a gesture of KIND (its
    /// default amount unless AMOUNT), due at --due; prints the promise's id.
    #[command(
        after_help = "Examples:\n  balans promise add bosman hotel-wadden attention --due 2025-03-14T17:00 --note 'call back'\n  balans promise add hotel-wadden bosman pay 1250.00 --due 2025-03-31 --id inv-2025-118"
    )]
    Add {
        promiser: String,
        promisee: String,
        kind: String,
        amount: Option<String>,
        /// When it falls due: YYYY-MM-DD[THH:MM], D-M-YYYY, today/vandaag, ...
        #[arg(long, value_name = "MOMENT")]
        due: String,
        #[arg(long)]
        note: Option<String>,
        /// The promise's id (made by Balans when absent); the same id and
        /// content again adds nothing.
        #[arg(long)]
        id: Option<String>,
        /// When it was made (default: now).
        #[arg(long, value_name = "MOMENT")]
        made: Option<String>,
        /// The organization the promiser promised for, when they have several.
        #[arg(long, value_name = "ORG")]
        promiser_org: Option<String>,
        /// The organization the promisee was promised for, when they have several.
        #[arg(long, value_name = "ORG")]
        promisee_org: Option<String>,
    },
    /// Keep a promise now: records the promised gesture, for AMOUNT (at most
    /// the promised one) when it is kept in part.
    #[command(
        after_help = "Examples:\n  balans promise keep call-hotel\n  balans promise keep inv-2025-118 400.00"
    )]
    Keep { id: String, amount: Option<String> },
    /// Break a promise now, by hand: records a broken promise.
    #[command(after_help = "Example:\n  balans promise break call-hotel --note 'forgot'")]
    Break {
        id: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Agree a new due moment before the old one passes: renegotiated.
    #[command(after_help = "Example:\n  balans promise move sofa-delivery --due 2025-03-21")]
    Move {
        id: String,
        #[arg(long, value_name = "MOMENT")]
        due: String,
    },
    /// Release a promise both sides agree no longer applies: no take.
    #[command(after_help = "Example:\n  balans promise release visit --reason 'the shop closed'")]
    Release {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// One promise with every due moment it had.
    #[command(after_help = "Example:\n  balans promise show sofa-delivery --json")]
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Promises, the soonest due first.
    #[command(
        after_help = "Examples:\n  balans promise list\n  balans promise list --open --party hotel-wadden\n  balans promise list --overdue --limit 20\n  balans promise list --due-within 7d --json"
    )]
    List {
        /// Only open or renegotiated promises.
        #[arg(long)]
        open: bool,
        /// Only pending promises whose due moment has passed.
        #[arg(long, conflicts_with = "due_within")]
        overdue: bool,
        /// Only pending promises due within this long: 12h, 7d, 2w.
        #[arg(long, value_name = "DURATION")]
        due_within: Option<String>,
        /// Only those made by or to this party.
        #[arg(long)]
        party: Option<String>,
        /// Only the N due soonest; every one when absent.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        limit: Option<u32>,
        #[arg(long)]
        json: bool,
    },
    /// The kept rate: how PARTY keeps its promises (to WITH, or to anyone) and
    /// how promises to PARTY are kept, kept / (kept + broken), a promise kept
    /// in part counting by its share.
    #[command(
        after_help = "Examples:\n  balans promise rate bosman\n  balans promise rate bosman hotel-wadden --since 2025-01-01 --until 2025-07-01\n  balans promise rate femke --json"
    )]
    Rate {
        party: String,
        /// The other side: the rates of the pair.
        with: Option<String>,
        /// Only promises kept or broken at or after this moment.
        #[arg(long, value_name = "MOMENT")]
        since: Option<String>,
        /// Only promises kept or broken before this moment.
        #[arg(long, value_name = "MOMENT")]
        until: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum HandoverCommand {
    /// Offer a share of the credits of a dormant pair to a successor, who takes
    /// the place of the one of A and B who left; prints the handover's id.
    #[command(after_help = "Example:\n  balans handover offer henk gerrit --to sander --share 50")]
    Offer {
        /// One person of the dormant pair.
        a: String,
        /// The other.
        b: String,
        /// The successor: a member of the organization the one who left belonged to.
        #[arg(long = "to", value_name = "SUCCESSOR")]
        successor: String,
        /// The percentage handed over, 0 to 100.
        #[arg(long, default_value_t = 100)]
        share: u8,
    },
    /// Record the successor's acceptance: from then on the share counts as live.
    #[command(
        after_help = "Example:\n  balans handover accept 1 --at 2025-04-02 --note 'by phone'"
    )]
    Accept {
        id: i64,
        /// When the successor accepted (default: now).
        #[arg(long, value_name = "MOMENT")]
        at: Option<String>,
        /// How the acceptance was given.
        #[arg(long)]
        note: Option<String>,
    },
    /// Record that the successor declined.
    #[command(after_help = "Example:\n  balans handover decline 2 --note 'starts fresh'")]
    Decline {
        id: i64,
        #[arg(long)]
        note: Option<String>,
    },
    /// Withdraw an offer not yet accepted.
    #[command(after_help = "Example:\n  balans handover withdraw 3")]
    Withdraw { id: i64 },
    /// Every handover, with its state.
    #[command(after_help = "Examples:\n  balans handover list\n  balans handover list --json")]
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum AlertCommand {
    /// The open alerts, the latest departure first.
    #[command(after_help = "Examples:\n  balans alert list\n  balans alert list --json")]
    List {
        #[arg(long)]
        json: bool,
    },
    /// Dismiss an alert: it is not shown again.
    #[command(after_help = "Example:\n  balans alert dismiss 3")]
    Dismiss { id: i64 },
}

#[derive(Subcommand, Debug)]
pub enum KindCommand {
    /// List the catalog.
    #[command(after_help = "Examples:\n  balans kind list\n  balans kind list --json")]
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add a kind.
    #[command(
        after_help = "Example:\n  balans kind add coffee --dimension credit --default 1 --nl 'kopje koffie' --en 'cup of coffee'"
    )]
    Add {
        code: String,
        #[arg(long, value_enum)]
        dimension: DimensionArg,
        /// The default value (`0.5`, `0,5`); none: every gesture must give an amount.
        #[arg(long, allow_hyphen_values = true)]
        default: Option<String>,
        #[arg(long)]
        nl: Option<String>,
        #[arg(long)]
        en: Option<String>,
    },
    /// Change a kind's default or labels; gestures already recorded keep their amounts.
    #[command(
        after_help = "Examples:\n  balans kind set stamp --default 0.75\n  balans kind set gift --nl attentie"
    )]
    Set {
        code: String,
        #[arg(long, allow_hyphen_values = true, conflicts_with = "no_default")]
        default: Option<String>,
        /// Remove the default: every gesture must then give an amount.
        #[arg(long)]
        no_default: bool,
        #[arg(long)]
        nl: Option<String>,
        #[arg(long)]
        en: Option<String>,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum RoleArg {
    Admin,
    Staff,
    Viewer,
}

impl From<RoleArg> for balans_core::UserRole {
    fn from(arg: RoleArg) -> balans_core::UserRole {
        match arg {
            RoleArg::Admin => balans_core::UserRole::Admin,
            RoleArg::Staff => balans_core::UserRole::Staff,
            RoleArg::Viewer => balans_core::UserRole::Viewer,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user. The password is asked for on a terminal and read from standard
    /// input otherwise; an empty one makes a user who holds API tokens but cannot log in.
    #[command(
        after_help = "Examples:\n  balans user add femke@bosman.nl --role staff\n  echo \"$PASSWORD\" | balans user add root@bosman.nl --role admin\n  balans user add till@bosman.nl --role staff < /dev/null"
    )]
    Add {
        email: String,
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// List the users.
    #[command(after_help = "Example:\n  balans user list --json")]
    List {
        #[arg(long)]
        json: bool,
    },
    /// Change a user's role.
    #[command(after_help = "Example:\n  balans user role femke@bosman.nl admin")]
    Role {
        email: String,
        #[arg(value_enum)]
        role: RoleArg,
    },
    /// Give a user a new password, asked for as `add` asks; their sessions end. An
    /// empty one leaves them API tokens only.
    #[command(
        after_help = "Examples:\n  balans user passwd femke@bosman.nl\n  echo \"$PASSWORD\" | balans user passwd femke@bosman.nl"
    )]
    Passwd { email: String },
    /// Remove a user with their tokens and sessions; the last admin stays.
    #[command(after_help = "Example:\n  balans user remove femke@bosman.nl")]
    Remove { email: String },
    /// Link a user to the person they are: a handover to that person is then
    /// theirs alone to accept or decline.
    #[command(after_help = "Example:\n  balans user link joris@bosman.nl joris")]
    Link {
        email: String,
        /// The person party's key.
        party: String,
    },
    /// Undo a user's link to a person.
    #[command(after_help = "Example:\n  balans user unlink joris@bosman.nl")]
    Unlink { email: String },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token and print it alone on standard output; it is not shown again.
    #[command(
        after_help = "Example:\n  TOKEN=$(balans token create --user femke@bosman.nl --name webshop)"
    )]
    Create {
        #[arg(long, value_name = "EMAIL")]
        user: String,
        #[arg(long)]
        name: String,
    },
    /// List the tokens (never their secrets).
    #[command(after_help = "Example:\n  balans token list")]
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: it stops working at once.
    #[command(after_help = "Example:\n  balans token revoke 3")]
    Revoke { id: i64 },
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The address to listen on; port 0 picks a free one.
    #[arg(long, env = "BALANS_ADDR", default_value = "127.0.0.1:7878")]
    pub addr: String,
    /// The largest request body accepted, in bytes.
    #[arg(long, env = "BALANS_BODY_LIMIT", default_value_t = balans_server::BODY_LIMIT_DEFAULT_BYTES)]
    pub body_limit: usize,
    /// The most one upload of CSV files in the web app may hold, its files
    /// together, in bytes (streamed to disk, never held in memory whole).
    #[arg(long, env = "BALANS_UPLOAD_LIMIT", default_value_t = balans_server::UPLOAD_LIMIT_DEFAULT_BYTES)]
    pub upload_limit: usize,
    /// Fill an empty store with the demo organization and add a demo login (an
    /// admin), so that the web app shows a living ledger at once.
    #[arg(long)]
    pub demo: bool,
    /// The language of the demo's notes: nl (a Dutch firm writes Dutch) or en.
    #[arg(long, value_enum, default_value = "nl", requires = "demo")]
    pub lang: LangArg,
    /// Connections kept for reading.
    #[arg(long, default_value_t = 8)]
    pub readers: usize,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// The language of the demo's notes: nl (a Dutch firm writes Dutch) or en.
    #[arg(long, value_enum, default_value = "nl")]
    pub lang: LangArg,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum LangArg {
    Nl,
    En,
}

impl From<LangArg> for balans_store::demo::NotesIn {
    fn from(arg: LangArg) -> balans_store::demo::NotesIn {
        match arg {
            LangArg::Nl => balans_store::demo::NotesIn::Dutch,
            LangArg::En => balans_store::demo::NotesIn::English,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print one setting, or all.
    #[command(after_help = "Examples:\n  balans config get\n  balans config get timezone")]
    Get { name: Option<String> },
    /// Change a setting: timezone (an IANA name), us (an organization's key),
    /// key_person_percent (0 to 100; 50 unless set) or dormant_alert_points
    /// (points of credit gone dormant before an alert names it; 10 unless set).
    #[command(
        after_help = "Examples:\n  balans config set us bosman\n  balans config set timezone Europe/Brussels\n  balans config set key_person_percent 60\n  balans config set dormant_alert_points 10"
    )]
    Set { name: String, value: String },
}
