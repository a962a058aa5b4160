//! The `balans` binary on real files in temporary directories. One test binary for
//! the whole command line: each test binary links everything, so add tests here.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use predicates::prelude::*;

struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new() -> Dir {
        Dir {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn write_bytes(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.path(name), bytes).unwrap();
    }

    fn db(&self) -> PathBuf {
        self.path("balans.db")
    }

    /// `balans --db DIR/balans.db ARGS…`, run in the directory.
    fn balans(&self, args: &[&str]) -> Command {
        let mut command = self.command();
        command.arg("--db").arg(self.db()).args(args);
        command
    }

    /// `balans` run in the directory, its store not named yet (nor taken from
    /// the environment).
    fn command(&self) -> Command {
        let mut command = Command::cargo_bin("balans").unwrap();
        command.current_dir(self.dir.path()).env_remove("BALANS_DB");
        command
    }

    fn stdout(&self, args: &[&str]) -> String {
        let output = self
            .balans(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(output).unwrap()
    }

    /// Everything in the store, table by table, to show that a failed command changed nothing.
    fn dump(&self) -> String {
        let connection = rusqlite::Connection::open(self.db()).unwrap();
        let mut out = String::new();
        for table in [
            "settings",
            "kinds",
            "parties",
            "memberships",
            "gestures",
            "balances",
        ] {
            let mut statement = connection
                .prepare(&format!("SELECT * FROM {table}"))
                .unwrap();
            let columns = statement.column_count();
            let mut rows = statement.query([]).unwrap();
            let mut lines = Vec::new();
            while let Some(row) = rows.next().unwrap() {
                let values: Vec<String> = (0..columns)
                    .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                    .collect();
                lines.push(format!("{table}: {}\n", values.join(", ")));
            }
            lines.sort();
            out.extend(lines);
        }
        out
    }

    /// The balances by party key, so stores with other party ids compare equal.
    fn balances_by_key(&self, db: &Path) -> Vec<String> {
        let connection = rusqlite::Connection::open(db).unwrap();
        let mut statement = connection
            .prepare(
                "SELECT b.level, a.key, c.key, b.dimension, b.low_to_high, b.high_to_low, b.count, b.first_ms, b.last_ms \
                 FROM balances b JOIN parties a ON a.id = b.low JOIN parties c ON c.id = b.high",
            )
            .unwrap();
        let mut rows: Vec<String> = statement
            .query_map([], |r| {
                let (level, a, b, dim): (i64, String, String, i64) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                let (lh, hl, count, first, last): (i64, i64, i64, i64, i64) =
                    (r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?);
                // Orient by key, not by id.
                Ok(if a < b {
                    format!("{level} {a} {b} {dim} {lh} {hl} {count} {first} {last}")
                } else {
                    format!("{level} {b} {a} {dim} {hl} {lh} {count} {first} {last}")
                })
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        rows
    }
}

const PARTIES: &str = "key,kind,name,email\n\
    bosman,organization,Bosman Wonen,info@bosman.example\n\
    henk,person,Henk Bosman,\n\
    hotel,organization,Hotel De Wadden,\n\
    gerrit,person,Gerrit Visser,\n\
    eva,person,\"de Boer, Eva\",\n";
const MEMBERSHIPS: &str = "person,organization,role,from,until\n\
    henk,bosman,employee,2000-01-01,\n\
    gerrit,hotel,contact,2009-01-01,2025-07-01\n";
const GESTURES: &str = "id,at,giver,receiver,kind,amount,note,item\n\
    g1,2024-03-01,henk,gerrit,attention,,coffee at the hotel,\n\
    g2,2024-03-02T10:30:00,gerrit,henk,thanks,,,\n\
    g3,2024-03-03,bosman,hotel,deliver,1250.50,rooms,\n\
    g4,2024-04-03,hotel,bosman,pay,1250.50,,\n\
    g5,2024-05-01,henk,gerrit,help,,\"fixed a door, on Sunday\",\n\
    g6,2024-05-02,bosman,eva,deliver,89.95,,kussen-017\n";

/// The same gestures as Dutch Excel saves them: semicolons, decimal commas, a BOM, CRLF.
const GESTURES_DUTCH: &str = "\u{feff}id;at;giver;receiver;kind;amount;note;item\r\n\
    g1;1-3-2024;henk;gerrit;attention;;coffee at the hotel;\r\n\
    g2;02-03-2024 10:30;gerrit;henk;thanks;;;\r\n\
    g3;2024-03-03;bosman;hotel;deliver;1.250,50;rooms;\r\n\
    g4;2024-04-03;hotel;bosman;pay;1250,50;;\r\n\
    g5;2024-05-01;henk;gerrit;help;;fixed a door, on Sunday;\r\n\
    g6;2024-05-02;bosman;eva;deliver;89,95;;kussen-017\r\n";

fn loaded() -> Dir {
    let dir = Dir::new();
    dir.write("parties.csv", PARTIES);
    dir.write("memberships.csv", MEMBERSHIPS);
    dir.write("gestures.csv", GESTURES);
    dir.balans(&["import", "gestures.csv", "memberships.csv", "parties.csv"])
        .assert()
        .success()
        .stdout(predicate::str::contains("imported 13 rows from 3 files"))
        .stdout(predicate::str::contains("5 parties added"))
        .stdout(predicate::str::contains(
            "6 gestures added, 0 already present",
        ));
    dir
}

#[test]
fn the_happy_path_import_balance_report_check() {
    let dir = loaded();
    let json: serde_json::Value =
        serde_json::from_str(&dir.stdout(&["balance", "hotel", "bosman", "--json"])).unwrap();
    assert_eq!(json["a"], "hotel");
    assert_eq!(json["b"], "bosman");
    assert_eq!(json["money"]["a_to_b"], "1250.50");
    assert_eq!(json["money"]["b_to_a"], "1250.50");
    assert_eq!(json["money"]["net"], "0.00");
    assert_eq!(json["money"]["evenness"], 1.0);
    assert_eq!(json["money"]["count"], 2);
    assert_eq!(json["money"]["first"], "2024-03-02T23:00:00Z");
    // Organization level: Gerrit's gestures count for the hotel, Henk's for Bosman.
    assert_eq!(json["credit"]["a_to_b"], "1.00");
    assert_eq!(json["credit"]["b_to_a"], "4.00");
    assert_eq!(json["credit"]["net"], "-3.00");
    assert_eq!(json["credit"]["evenness"], 0.4);
    for key in [
        "a_to_b", "b_to_a", "net", "evenness", "count", "first", "last",
    ] {
        assert!(json["credit"].get(key).is_some(), "credit.{key} missing");
    }

    let person = dir.stdout(&["balance", "henk", "gerrit"]);
    assert!(
        person.contains("henk (Henk Bosman) and gerrit (Gerrit Visser), person level"),
        "{person}"
    );
    assert!(
        person.contains("credit: henk gave 3.00 more than it received; gerrit is in henk's debt."),
        "{person}"
    );

    let list = dir.stdout(&["balance", "bosman"]);
    let hotel = list.find("hotel (Hotel De Wadden)").unwrap();
    let eva = list.find("eva (de Boer, Eva)").unwrap();
    assert!(hotel < eva, "largest credit imbalance first:\n{list}");

    dir.balans(&["config", "set", "us", "bosman"])
        .assert()
        .success();
    // The file's gestures are years old: the report looks at all time.
    let report = dir.stdout(&["report", "--min-volume", "1", "--window", "all"]);
    assert!(
        report.contains("bosman (Bosman Wonen) gives more than it gets"),
        "{report}"
    );
    let bowing = report.split("gives more than it gets").nth(1).unwrap();
    assert!(bowing.contains("hotel (Hotel De Wadden)"), "{report}");
    let json: serde_json::Value = serde_json::from_str(&dir.stdout(&[
        "report",
        "--json",
        "--min-volume",
        "1",
        "--window",
        "all",
    ]))
    .unwrap();
    assert_eq!(json["we_give_more"][0]["b"], "hotel");
    assert_eq!(json["window"], "all");
    // A window that is no window is refused, naming the choices.
    dir.balans(&["report", "--window", "5y"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("use 30d, 90d, 12m, all"));
    assert_eq!(json["they_give_more"].as_array().unwrap().len(), 0);

    dir.balans(&["check"])
        .assert()
        .success()
        .stdout(predicate::str::contains("checked 6 gestures and"))
        .stdout(predicate::str::contains(
            "every balance equals the sum of its gestures",
        ));
}

#[test]
fn bad_input_is_named_and_changes_nothing() {
    let dir = loaded();
    let before = dir.dump();
    let header = "id,at,giver,receiver,kind,amount\n";
    let cases = [
        (
            "unknown-party.csv",
            format!("{header}b1,2024-06-01,henk,nobody,thanks,\n"),
            "unknown-party.csv:2: column 'receiver': unknown party 'nobody'",
        ),
        (
            "unknown-kind.csv",
            format!("{header}b1,2024-06-01,henk,gerrit,hug,\n"),
            "unknown-kind.csv:2: column 'kind': unknown kind 'hug'",
        ),
        (
            "too-much.csv",
            format!("{header}b1,2024-06-01,hotel,bosman,pay,20000000000\n"),
            "too-much.csv:2: column 'amount': '20000000000' is out of range",
        ),
        (
            "bad-date.csv",
            format!("{header}b1,31-02-2024,henk,gerrit,thanks,\n"),
            "bad-date.csv:2: column 'at': '31-02-2024' is not a real date",
        ),
        (
            "garbled-date.csv",
            format!("{header}b1,yesterday,henk,gerrit,thanks,\n"),
            "garbled-date.csv:2: column 'at': 'yesterday' is not a date",
        ),
        (
            "self.csv",
            format!("{header}b1,2024-06-01,henk,henk,thanks,\n"),
            "self.csv:2: column 'receiver': a party cannot give to itself",
        ),
        (
            "unknown-column.csv",
            "id,at,giver,receiver,kind,colour\n".to_string(),
            "unknown-column.csv:1: unknown column 'colour' in a gestures file",
        ),
        (
            "missing-column.csv",
            "id,at,giver,kind\n".to_string(),
            "missing-column.csv:1: missing required column 'receiver'",
        ),
        (
            "conflict.csv",
            format!("{header}g1,2024-03-01,henk,gerrit,help,\n"),
            "conflict.csv:2: column 'id': id 'g1' is already used for a different gesture",
        ),
        (
            "comma-in-point.csv",
            format!("{header}b1,2024-06-01,hotel,bosman,pay,\"12,50\"\n"),
            "'12,50' uses a decimal comma where a decimal point is expected",
        ),
        (
            "bad-party.csv",
            "key,kind,name\nx,robot,X\n".to_string(),
            "bad-party.csv:2: column 'kind': unknown party kind 'robot'",
        ),
        (
            "bad-membership.csv",
            "person,organization,role,from,until\nhenk,hotel,employee,2024-01-01,2023-01-01\n"
                .to_string(),
            "bad-membership.csv:2: column 'until': ends before it starts",
        ),
        (
            "ragged.csv",
            format!("{header}b1,2024-06-01,henk\n"),
            "ragged.csv:2: has 3 fields where the header has 6",
        ),
    ];
    for (name, text, expected) in cases {
        dir.write(name, &text);
        dir.balans(&["import", name])
            .assert()
            .failure()
            .stderr(predicate::str::contains(expected))
            .stderr(predicate::str::contains("nothing was imported"));
        assert_eq!(dir.dump(), before, "{name} changed the store");
    }
    // A good file imported with a bad one: neither is written.
    dir.write(
        "good.csv",
        &format!("{header}n1,2024-06-01,henk,gerrit,thanks,\n"),
    );
    dir.balans(&["import", "good.csv", "self.csv"])
        .assert()
        .failure();
    assert_eq!(dir.dump(), before);
    // Many errors: the first hundred are listed, the rest counted.
    let many: String = (0..130)
        .map(|i| format!("m{i},2024-06-01,henk,nobody,thanks,\n"))
        .collect();
    dir.write("many.csv", &format!("{header}{many}"));
    let assert = dir.balans(&["import", "many.csv"]).assert().failure();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert_eq!(stderr.matches("unknown party 'nobody'").count(), 100);
    assert!(
        stderr.contains("… and 30 more errors") && stderr.contains("130 errors found"),
        "{stderr}"
    );
    assert_eq!(dir.dump(), before);
    // A dry run of a good file writes nothing either.
    dir.balans(&["import", "--dry-run", "good.csv"])
        .assert()
        .success()
        .stdout(predicate::str::contains("dry run, nothing written"));
    assert_eq!(dir.dump(), before);
}

#[test]
fn importing_twice_adds_nothing_the_second_time() {
    let dir = loaded();
    let before = dir.dump();
    dir.balans(&["import", "parties.csv", "memberships.csv", "gestures.csv"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "0 gestures added, 6 already present",
        ));
    assert_eq!(dir.dump(), before);
    // Without ids, the ids derive from the rows: the same file twice still adds nothing.
    dir.write(
        "no-ids.csv",
        "at,giver,receiver,kind\n2024-06-01,henk,gerrit,smile\n2024-06-01,henk,gerrit,smile\n",
    );
    dir.balans(&["import", "no-ids.csv"])
        .assert()
        .success()
        .stdout(predicate::str::contains("2 gestures added"));
    dir.balans(&["import", "no-ids.csv"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "0 gestures added, 2 already present",
        ));
}

#[test]
fn dutch_excel_files_give_the_same_balances() {
    let english = loaded();
    let dutch = Dir::new();
    dutch.write("parties.csv", &PARTIES.replace(',', ";"));
    dutch.write(
        "memberships.csv",
        &format!(
            "\u{feff}{}",
            MEMBERSHIPS.replace(',', ";").replace('\n', "\r\n")
        ),
    );
    dutch.write("gestures.csv", GESTURES_DUTCH);
    dutch
        .balans(&["import", "parties.csv", "memberships.csv", "gestures.csv"])
        .assert()
        .success();
    assert_eq!(
        english.balances_by_key(&english.db()),
        dutch.balances_by_key(&dutch.db())
    );
    // Excel's plain CSV on Windows is Windows-1252: read as such, or as asked.
    dutch.write_bytes(
        "ansi.csv",
        b"key;kind;name\ncafe;organization;Caf\xe9 de Zon\n",
    );
    dutch.balans(&["import", "ansi.csv"]).assert().success();
    let name: String = rusqlite::Connection::open(dutch.db())
        .unwrap()
        .query_row("SELECT name FROM parties WHERE key = 'cafe'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(name, "Café de Zon");
    dutch.write_bytes("late.csv", b"key;kind;name\nbar;organization;Bar \xe9\n");
    dutch
        .balans(&["import", "--encoding", "utf-8", "late.csv"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("late.csv:2: column 'name': is not UTF-8 text: import the file with --encoding windows-1252"));
    // --decimal overrides what the delimiter implies.
    dutch.write(
        "point.csv",
        "id;at;giver;receiver;kind;amount\np1;2024-06-01;hotel;bosman;pay;10.25\n",
    );
    dutch
        .balans(&["import", "point.csv"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("decimal point"));
    dutch
        .balans(&["import", "--decimal", "point", "point.csv"])
        .assert()
        .success();
}

/// On the command line nothing says which mark is decimal: one mark followed by
/// exactly three digits is refused, naming both readings, a payment is never
/// negative, and currency marks and `,-` are let through.
#[test]
fn an_amount_on_the_command_line_is_never_read_as_another_amount() {
    let dir = loaded();
    let before = dir.dump();
    dir.balans(&["give", "hotel", "bosman", "pay", "1.250"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "'1.250' could be read two ways: write 1250 or 1.25",
        ));
    dir.balans(&["give", "hotel", "bosman", "pay", "1,250"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "'1,250' could be read two ways: write 1250 or 1,25",
        ));
    dir.balans(&["give", "hotel", "bosman", "pay", "--", "-5"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "-5.00: a payment is never negative; a refund is a payment the other way",
        ));
    assert_eq!(dir.dump(), before);
    dir.balans(&["give", "hotel", "bosman", "pay", "€ 1.250,-", "--id", "p1"])
        .assert()
        .success();
    dir.balans(&["give", "hotel", "bosman", "pay", "1.250,50", "--id", "p2"])
        .assert()
        .success();
    dir.balans(&[
        "give",
        "hotel",
        "bosman",
        "pay",
        "EUR 1,250.50",
        "--id",
        "p3",
    ])
    .assert()
    .success();
    // The loaded store's 1250.50, then 1250.00, 1250.50 and 1250.50.
    let json: serde_json::Value =
        serde_json::from_str(&dir.stdout(&["balance", "hotel", "bosman", "--json"])).unwrap();
    assert_eq!(json["money"]["a_to_b"], "5001.50");
    assert_eq!(json["money"]["count"], 5);
}

/// On the command line a party may be named and a kind given by its Dutch
/// label; a name close to several parties lists them.
#[test]
fn a_gesture_on_the_command_line_names_its_parties_and_kind_as_a_person_would() {
    let dir = loaded();
    dir.balans(&[
        "give",
        "Henk Bosman",
        "gerrit visser",
        "bedankje",
        "--id",
        "n1",
        "--at",
        "2024-06-01",
    ])
    .assert()
    .success()
    .stdout(predicate::str::contains("recorded n1"));
    let before = dir.dump();
    dir.balans(&["give", "bosman", "hotel", "bedankt"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "kind: no kind 'bedankt': did you mean thanks (bedankje / thanks)?",
        ));
    dir.balans(&["give", "Bosman", "hotel", "thanks"])
        .assert()
        .success();
    dir.balans(&["give", "Boer", "hotel", "thanks"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "giver: no party 'Boer': did you mean eva (de Boer, Eva)?",
        ));
    assert_ne!(dir.dump(), before, "the gesture given by key was recorded");
}

/// A message quotes at most 200 characters of what it was given, with control
/// characters escaped: a megabyte-long header line or the escape codes of a
/// binary file are not printed back to the terminal.
#[test]
fn messages_quote_input_briefly_and_safely() {
    let dir = loaded();
    let mut long = "x".repeat(1_000_000);
    long.push_str("\n1\n");
    dir.write("long.csv", &long);
    let output = dir.balans(&["import", "long.csv"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(
        stderr.contains("cannot tell the file type from its header"),
        "{stderr}"
    );
    assert!(stderr.len() < 1_000, "{} bytes of message", stderr.len());
    dir.write_bytes(
        "binary.csv",
        b"key,kind,name\n\x1b[2J\x1b]0;owned\x07,person,\x1b[31mred\n",
    );
    let output = dir.balans(&["import", "binary.csv"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
        "{stderr:?}"
    );
    assert!(
        stderr.contains("\\u{1b}"),
        "the escape is shown, escaped: {stderr}"
    );
    let output = dir
        .balans(&["give", "henk", "gerrit", "pay", "12\u{1b}[31m"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(
        !output.status.success() && !stderr.contains('\u{1b}'),
        "{stderr:?}"
    );
}

#[test]
fn export_then_import_into_an_empty_store_gives_identical_balances() {
    let dir = loaded();
    dir.balans(&[
        "give",
        "gerrit",
        "henk",
        "gift",
        "--at",
        "2024-12-20",
        "--note",
        "wine",
    ])
    .assert()
    .success();
    dir.balans(&[
        "reverse",
        "g5",
        "--at",
        "2024-05-03",
        "--note",
        "was not help",
    ])
    .assert()
    .success();
    dir.balans(&[
        "kind",
        "add",
        "coffee",
        "--dimension",
        "credit",
        "--default",
        "0.5",
        "--nl",
        "koffie",
    ])
    .assert()
    .success();
    dir.balans(&["give", "eva", "henk", "coffee", "--at", "2024-06-01T09:00"])
        .assert()
        .success();
    dir.balans(&["export", "--dir", "out"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "25 kinds, 5 parties, 2 memberships, 9 gestures and 0 handovers",
        ));
    let copy = dir.path("copy.db");
    let mut import = Command::cargo_bin("balans").unwrap();
    import
        .current_dir(dir.dir.path())
        .args([
            "--db",
            copy.to_str().unwrap(),
            "import",
            "out/gestures.csv",
            "out/parties.csv",
            "out/memberships.csv",
            "out/kinds.csv",
        ])
        .assert()
        .success();
    assert_eq!(dir.balances_by_key(&dir.db()), dir.balances_by_key(&copy));
    let exported = std::fs::read_to_string(dir.path("out/gestures.csv")).unwrap();
    assert!(exported.starts_with(
        "id,at,giver,receiver,kind,amount,note,item,giver_org,receiver_org,reverses\n"
    ));
    assert!(
        exported.contains("g2,2024-03-02T10:30:00+01:00,gerrit,henk,thanks,1.00,,,,,\n"),
        "{exported}"
    );
    assert!(
        exported.contains(",g5\n"),
        "the reversal names its gesture: {exported}"
    );
}

#[test]
fn give_and_reverse_on_the_command_line() {
    let dir = loaded();
    dir.balans(&[
        "give",
        "henk",
        "gerrit",
        "thanks",
        "--id",
        "t1",
        "--at",
        "2024-06-01",
    ])
    .assert()
    .success()
    .stdout(predicate::str::contains("recorded t1"))
    .stdout(predicate::str::contains(
        "credit: henk gave 4.00 more than it received",
    ));
    dir.balans(&[
        "give",
        "henk",
        "gerrit",
        "thanks",
        "--id",
        "t1",
        "--at",
        "2024-06-01",
    ])
    .assert()
    .success()
    .stdout(predicate::str::contains(
        "already recorded: t1 (nothing changed)",
    ));
    dir.balans(&[
        "give",
        "hotel",
        "bosman",
        "pay",
        "12,50",
        "--at",
        "2024-06-01",
    ])
    .assert()
    .success();
    let before = dir.dump();
    dir.balans(&[
        "give",
        "henk",
        "gerrit",
        "thanks",
        "--id",
        "t1",
        "--at",
        "2024-06-02",
    ])
    .assert()
    .failure()
    .stderr(predicate::str::contains(
        "id 't1' is already used for a different gesture",
    ));
    dir.balans(&["give", "henk", "gerrit", "pay"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("needs an amount"));
    dir.balans(&["give", "henk", "gerrit", "thanks", "--at", "soon"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("at: 'soon' is not a date"));
    assert_eq!(dir.dump(), before);
    dir.balans(&["reverse", "t1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("credit: henk gave 3.00 more"));
    dir.balans(&["reverse", "t1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("already reversed"));
    dir.balans(&["check"]).assert().success();
}

#[test]
fn the_kind_catalog_can_be_changed_for_new_gestures() {
    let dir = loaded();
    let list = dir.stdout(&["kind", "list"]);
    assert!(
        list.contains("broken_promise")
            && list.contains("gebroken belofte")
            && list.contains("-3.00"),
        "{list}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&dir.stdout(&["kind", "list", "--json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 24);
    dir.balans(&[
        "kind",
        "set",
        "stamp",
        "--default",
        "0.75",
        "--nl",
        "stempeltje",
    ])
    .assert()
    .success();
    dir.balans(&["give", "bosman", "eva", "stamp", "--at", "2024-06-01"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0.75"));
    dir.balans(&["kind", "add", "stamp", "--dimension", "credit"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("exists already"));
    dir.balans(&["kind", "set", "nope", "--default", "1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no kind 'nope'"));
    dir.balans(&["kind", "add", "Bad Kind", "--dimension", "credit"])
        .assert()
        .failure();
}

#[test]
fn every_command_explains_itself_with_an_example() {
    let dir = Dir::new();
    for command in [
        "import", "balance", "report", "give", "reverse", "check", "export", "demo", "credits",
        "promise", "sweep",
    ] {
        dir.balans(&[command, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Example"));
    }
    dir.balans(&["--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("balans demo"));
    for sub in ["add", "keep", "break", "move", "release", "show", "list"] {
        dir.balans(&["promise", sub, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Example"));
    }
    dir.balans(&["kind", "add", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Example"));
    dir.balans(&["check"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no store at"));
    assert!(!dir.db().exists(), "reading does not create a store");
    Command::cargo_bin("balans")
        .unwrap()
        .env_remove("BALANS_DB")
        .args(["--db", "mysql://x/y", "check"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown store scheme 'mysql://'"));
    Command::cargo_bin("balans")
        .unwrap()
        .env("BALANS_DB", dir.path("from-env.db"))
        .args(["kind", "list"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("from-env.db"));
}

#[test]
fn the_demo_tells_its_stories_and_loads_once() {
    let dir = Dir::new();
    dir.balans(&["demo"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "They give more than they get from bosman (Bosman Wonen)",
        ))
        .stdout(predicate::str::contains("tineke (Tineke Hoekstra)"))
        .stdout(predicate::str::contains("vdberg (Van den Berg Vastgoed)"));
    let before = dir.dump();
    dir.balans(&["demo"])
        .assert()
        .success()
        .stderr(predicate::str::contains("0 gestures added"));
    assert_eq!(dir.dump(), before);
    dir.balans(&["check"]).assert().success();
    // The succession: Sander, who took over the hotel, has given nothing to us but a brush-off.
    let sander = dir.stdout(&[
        "balance",
        "sander",
        "bosman",
        "--level",
        "organization",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&sander).unwrap();
    // Sander's part of Bosman's relationships: his brush-off, and Bosman's people's
    // gestures to him.
    assert_eq!(json["part"], true);
    assert_eq!(json["credit"]["a_to_b"], "-2.00");
    // Without a level named, a person and an organization are seen the same way.
    let default = dir.stdout(&["balance", "sander", "bosman", "--json"]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&default).unwrap(),
        json
    );
}

#[test]
fn check_names_every_pair_that_differs_from_its_gestures() {
    let dir = loaded();
    let connection = rusqlite::Connection::open(dir.db()).unwrap();
    // Tamper with two stored balances, beneath the ledger.
    connection
        .execute_batch(
            "UPDATE balances SET low_to_high = low_to_high + 1 \
               WHERE level = 0 AND dimension = 1 AND low = (SELECT MIN(id) FROM parties WHERE key IN ('henk', 'gerrit')); \
             DELETE FROM balances WHERE level = 1 AND dimension = 0 \
               AND (low, high) IN (SELECT MIN(id), MAX(id) FROM parties WHERE key IN ('bosman', 'eva'));",
        )
        .unwrap();
    drop(connection);
    let assert = dir.balans(&["check"]).assert().failure();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("differs: henk and gerrit, person level, credit"),
        "{stdout}"
    );
    assert!(
        stdout.contains("differs: bosman and eva, organization level, money: stored nothing"),
        "{stdout}"
    );
    assert!(stdout.contains("2 of"), "{stdout}");
}

#[test]
fn check_names_a_partys_sum_that_differs_from_its_gestures() {
    let dir = loaded();
    let connection = rusqlite::Connection::open(dir.db()).unwrap();
    connection
        .execute_batch(
            "UPDATE party_totals SET received = received + 100 \
               WHERE level = 0 AND dimension = 1 AND party = (SELECT id FROM parties WHERE key = 'henk');",
        )
        .unwrap();
    drop(connection);
    let assert = dir.balans(&["check"]).assert().failure();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("differs: henk and every counterpart, person level, credit"),
        "{stdout}"
    );
    assert!(stdout.contains("1 of"), "{stdout}");
}

/// A password is reset and a user removed on the command line; the last admin
/// stays.
#[test]
fn a_user_gets_a_new_password_and_is_removed() {
    let dir = loaded();
    dir.balans(&["user", "add", "baas@bosman.nl", "--role", "admin"])
        .write_stdin("a long enough password\n")
        .assert()
        .success();
    dir.balans(&["user", "add", "femke@bosman.nl", "--role", "staff"])
        .write_stdin("another long password\n")
        .assert()
        .success();
    dir.balans(&["user", "passwd", "femke@bosman.nl"])
        .write_stdin("short\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains("password: at least 10 characters"));
    dir.balans(&["user", "passwd", "femke@bosman.nl"])
        .write_stdin("a brand new password\n")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "femke@bosman.nl has a new password; their sessions have ended",
        ));
    dir.balans(&["user", "remove", "baas@bosman.nl"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("is the last admin"));
    dir.balans(&["user", "remove", "femke@bosman.nl"])
        .assert()
        .success()
        .stdout(predicate::str::contains("removed femke@bosman.nl"));
    let list = dir.stdout(&["user", "list"]);
    assert!(
        list.contains("baas@bosman.nl") && !list.contains("femke"),
        "{list}"
    );
    dir.balans(&["user", "remove", "femke@bosman.nl"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no user femke@bosman.nl"));
}

#[test]
fn users_and_tokens_are_managed_offline() {
    let dir = loaded();
    dir.balans(&["user", "add", "Root@Bosman.nl", "--role", "admin"])
        .write_stdin("a long enough password\n")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "added root@bosman.nl as admin (can log in)",
        ));
    dir.balans(&["user", "add", "till@bosman.nl", "--role", "staff"])
        .write_stdin("")
        .assert()
        .success()
        .stdout(predicate::str::contains("has no password: API tokens only"));
    dir.balans(&["user", "add", "x@bosman.nl", "--role", "viewer"])
        .write_stdin("short\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains("password: at least 10 characters"));
    dir.balans(&["user", "add", "till@bosman.nl", "--role", "viewer"])
        .write_stdin("")
        .assert()
        .failure()
        .stderr(predicate::str::contains("exists already"));
    let output = dir
        .balans(&[
            "token",
            "create",
            "--user",
            "till@bosman.nl",
            "--name",
            "kassa",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let token = String::from_utf8(output.stdout).unwrap();
    assert!(
        token.starts_with("bal_") && token.trim_end().len() == 68 && token.lines().count() == 1,
        "the token alone: {token:?}"
    );
    let stored = std::fs::read(dir.db()).unwrap();
    let secret = token.trim_end().as_bytes();
    assert!(
        !stored.windows(secret.len()).any(|w| w == secret),
        "the secret is not kept"
    );
    let list = dir.stdout(&["token", "list"]);
    assert!(
        list.contains("kassa") && list.contains("till@bosman.nl") && list.contains("active"),
        "{list}"
    );
    assert!(!list.contains(token.trim_end()));
    dir.balans(&["token", "revoke", "1"]).assert().success();
    assert!(dir.stdout(&["token", "list"]).contains("revoked"));
    dir.balans(&["token", "revoke", "1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no active token #1"));
    dir.balans(&[
        "token",
        "create",
        "--user",
        "nobody@bosman.nl",
        "--name",
        "x",
    ])
    .assert()
    .failure()
    .stderr(predicate::str::contains("no user nobody@bosman.nl"));
    dir.balans(&["user", "role", "till@bosman.nl", "viewer"])
        .assert()
        .success()
        .stdout(predicate::str::contains("till@bosman.nl is now viewer"));
    let users: serde_json::Value =
        serde_json::from_str(&dir.stdout(&["user", "list", "--json"])).unwrap();
    assert_eq!(users[1]["role"], "viewer");
    assert!(
        users[0].get("password_hash").is_none(),
        "no hash leaves the store"
    );
}

#[test]
fn check_names_gestures_that_count_for_no_single_organization() {
    let dir = loaded();
    // A second membership written beneath the ledger makes Henk's gestures ambiguous.
    rusqlite::Connection::open(dir.db())
        .unwrap()
        .execute_batch(
            "INSERT INTO memberships (person, organization, role, from_ms, until_ms) \
             SELECT p.id, o.id, 'employee', 0, NULL FROM parties p, parties o WHERE p.key = 'henk' AND o.key = 'hotel'",
        )
        .unwrap();
    dir.balans(&["check"])
        .assert()
        .failure()
        .stdout(predicate::str::contains(
            "counts for no single organization: gesture 'g1'",
        ));
}

#[test]
fn a_newer_store_is_refused_untouched() {
    let dir = loaded();
    rusqlite::Connection::open(dir.db())
        .unwrap()
        .execute_batch("PRAGMA user_version = 42")
        .unwrap();
    let before = std::fs::read(dir.db()).unwrap();
    dir.balans(&["check"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "written by a newer Balans (schema version 42",
        ));
    dir.balans(&["import", "gestures.csv"]).assert().failure();
    assert_eq!(std::fs::read(dir.db()).unwrap(), before);
}

/// People for a file of many pairs: `PEOPLE` persons `q0` … of no organization.
const PEOPLE: usize = 800;

fn people_file() -> String {
    let mut text = String::from("key,kind,name\n");
    for q in 0..PEOPLE {
        text.push_str(&format!("q{q},person,Person {q}\n"));
    }
    text
}

/// `rows` thanks with ids `{prefix}{i}`: between two people back and forth
/// (`many` false), or between random pairs of [`PEOPLE`], nearly a pair per
/// gesture, out of time order.
fn gestures_to_kill(prefix: &str, rows: i64, many: bool) -> String {
    let mut text = String::from("id,at,giver,receiver,kind\n");
    let mut rng = fastrand::Rng::with_seed(3);
    let mut next = |n: u64| rng.u64(..n);
    for i in 0..rows {
        let (giver, receiver) = match (many, i % 2 == 0) {
            (false, true) => ("henk".to_string(), "gerrit".to_string()),
            (false, false) => ("gerrit".to_string(), "henk".to_string()),
            (true, _) => {
                let giver = next(PEOPLE as u64);
                let receiver = (giver + 1 + next(PEOPLE as u64 - 1)) % PEOPLE as u64;
                (format!("q{giver}"), format!("q{receiver}"))
            }
        };
        let minute = if many { next(60) } else { (i % 60) as u64 };
        text.push_str(&format!(
            "{prefix}{i:07},2024-06-01T10:{minute:02}:00,{giver},{receiver},thanks\n"
        ));
    }
    text
}

/// A process killed while it imports leaves the store with all of the file or none,
/// for a file of few pairs and one of many. The kill comes the moment the import
/// starts writing to the WAL: while the transaction spills or commits, the most
/// fragile time.
#[test]
fn a_killed_import_leaves_all_or_nothing() {
    let dir = loaded();
    dir.write("people.csv", &people_file());
    dir.balans(&["import", "people.csv"]).assert().success();
    let rows: i64 = 300_000;
    let binary = assert_cmd::cargo::cargo_bin("balans");
    let wal = dir.path("balans.db-wal");
    // Imports killed while writing, of few pairs and of many.
    let mut killed_mid_write = [0, 0];
    for attempt in 0..8 {
        let many = attempt % 2 == 1;
        let text = gestures_to_kill(&format!("k{attempt}-"), rows, many);
        let name = format!("big{attempt}.csv");
        dir.write(&name, &text);
        let wal_before = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        let mut child = std::process::Command::new(&binary)
            .current_dir(dir.dir.path())
            .args(["--db", dir.db().to_str().unwrap(), "import", &name])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let mut killed = false;
        while child.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(60) {
            let wal_bytes = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
            if wal_bytes > wal_before {
                child.kill().unwrap();
                killed = true;
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        child.wait().unwrap();
        let connection = rusqlite::Connection::open(dir.db()).unwrap();
        let prefix = format!("k{attempt}-%");
        let stored: i64 = connection
            .query_row(
                "SELECT COUNT(*) FROM gestures WHERE id LIKE ?1",
                [&prefix],
                |r| r.get(0),
            )
            .unwrap();
        drop(connection);
        assert!(
            stored == 0 || stored == rows,
            "attempt {attempt}: the store holds {stored} of {rows} rows"
        );
        dir.balans(&["check"]).assert().success();
        if killed && stored == 0 {
            killed_mid_write[usize::from(many)] += 1;
            if killed_mid_write.iter().all(|&n| n > 0) {
                break;
            }
        }
    }
    assert!(
        killed_mid_write.iter().all(|&n| n > 0),
        "imports killed while writing, of few pairs and of many: {killed_mid_write:?}"
    );
}

/// `balans serve` stopped by SIGTERM while clients write: every write it
/// acknowledged is in the store afterwards, and the balances still add up.
#[test]
fn a_stopped_server_keeps_every_acknowledged_write() {
    let dir = loaded();
    let token = staff_token(&dir, dir.db().to_str().unwrap());
    let (mut server, url) = start_server(&dir, dir.db().to_str().unwrap(), "serve.log");
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let (url, token, acknowledged) = (url.clone(), token.clone(), std::sync::Arc::clone(&acknowledged));
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::new();
                for n in 0..10_000 {
                    let id = format!("w{writer}-{n}");
                    let body = serde_json::json!({"id": id, "at": "2024-06-01", "giver": "henk", "receiver": "gerrit", "kind": "smile"});
                    match client.post(format!("{url}/api/v1/gestures")).bearer_auth(&token).json(&body).send() {
                        Ok(response) if response.status().is_success() => acknowledged.lock().unwrap().push(id),
                        _ => break,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(700));
    let pid = server.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let exit = server.wait().unwrap();
    assert!(
        exit.success(),
        "the server ends cleanly on SIGTERM: {exit:?}"
    );
    for writer in writers {
        writer.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 50,
        "only {} writes before the stop",
        acknowledged.len()
    );
    let connection = rusqlite::Connection::open(dir.db()).unwrap();
    let mut statement = connection
        .prepare("SELECT 1 FROM gestures WHERE id = ?1")
        .unwrap();
    for id in &acknowledged {
        assert!(
            statement.exists([id]).unwrap(),
            "acknowledged write {id} is missing"
        );
    }
    drop(statement);
    drop(connection);
    dir.balans(&["check"]).assert().success();
    // The request log has a line per request, and never the token.
    let log = std::fs::read_to_string(dir.path("serve.log")).unwrap();
    assert!(
        log.contains("/api/v1/gestures") && log.contains("status=201"),
        "{}",
        &log[..log.len().min(2_000)]
    );
    assert!(!log.contains(&token), "a token reached the log");
}

/// A new store has no users: the server's first words are a one-time setup token,
/// and the token makes the first admin.
#[test]
fn a_new_server_prints_a_setup_token_that_makes_the_first_admin() {
    let dir = Dir::new();
    let (mut server, said) = serve_until(
        &dir,
        dir.db().to_str().unwrap(),
        &[],
        "serve.log",
        "balans user add",
    );
    let url = address_in(&said);
    let token = said
        .split(['"', ' '])
        .find(|w| w.starts_with("bal_"))
        .expect("a setup token")
        .to_string();
    let client = reqwest::blocking::Client::new();
    let body = serde_json::json!({"setup_token": token, "email": "root@bosman.nl", "password": "a long enough password"});
    let response = client
        .post(format!("{url}/api/v1/setup"))
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(response.status(), 201);
    let again = client
        .post(format!("{url}/api/v1/setup"))
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(again.status(), 409, "the setup token works once");
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(dir.stdout(&["user", "list"]).contains("root@bosman.nl"));
}

// ---- PostgreSQL: run when BALANS_TEST_POSTGRES_URL names a server ----

/// A database of its own on the test server, or `None` (said loudly) without one.
fn postgres_database() -> Option<balans_tests::TestDatabase> {
    use balans_tests::Backend;
    balans_tests::Postgres::available().then(balans_tests::Postgres::database)
}

fn postgres(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap()
}

/// The balances of a PostgreSQL store by party key, as `balances_by_key` gives them
/// for SQLite.
fn postgres_balances_by_key(url: &str) -> Vec<String> {
    let mut rows: Vec<String> = postgres(url)
        .query(
            "SELECT b.level, a.key, c.key, b.dimension, b.low_to_high, b.high_to_low, b.count, b.first_ms, b.last_ms \
             FROM balances b JOIN parties a ON a.id = b.low JOIN parties c ON c.id = b.high",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| {
            let (level, a, b, dim): (i64, String, String, i64) = (r.get(0), r.get(1), r.get(2), r.get(3));
            let (lh, hl, count, first, last): (i64, i64, i64, i64, i64) =
                (r.get(4), r.get(5), r.get(6), r.get(7), r.get(8));
            if a < b {
                format!("{level} {a} {b} {dim} {lh} {hl} {count} {first} {last}")
            } else {
                format!("{level} {b} {a} {dim} {hl} {lh} {count} {first} {last}")
            }
        })
        .collect();
    rows.sort();
    rows
}

/// Adds the staff user till@bosman.nl to the store `db` and returns a new API
/// token of theirs.
fn staff_token(dir: &Dir, db: &str) -> String {
    balans_on(
        dir,
        db,
        &["user", "add", "till@bosman.nl", "--role", "staff"],
    )
    .write_stdin("")
    .assert()
    .success();
    let created = balans_on(
        dir,
        db,
        &[
            "token",
            "create",
            "--user",
            "till@bosman.nl",
            "--name",
            "till",
        ],
    )
    .assert()
    .success();
    String::from_utf8(created.get_output().stdout.clone())
        .unwrap()
        .trim()
        .to_string()
}

/// `balans --db URL ARGS…` in the directory.
fn balans_on(dir: &Dir, url: &str, args: &[&str]) -> Command {
    let mut command = dir.command();
    command.args(["--db", url]).args(args);
    command
}

#[test]
fn postgres_runs_every_command_and_takes_a_sqlite_export_and_back() {
    let Some(database) = postgres_database() else {
        return;
    };
    let url = database.url.as_str();
    let dir = Dir::new();
    dir.balans(&["demo"]).assert().success();
    dir.balans(&["export", "--dir", "out"]).assert().success();
    // SQLite to PostgreSQL: the same balances.
    balans_on(
        &dir,
        url,
        &[
            "import",
            "out/kinds.csv",
            "out/parties.csv",
            "out/memberships.csv",
            "out/gestures.csv",
        ],
    )
    .assert()
    .success();
    assert_eq!(
        postgres_balances_by_key(url),
        dir.balances_by_key(&dir.db())
    );
    balans_on(&dir, url, &["check"]).assert().success();
    let balance = balans_on(&dir, url, &["balance", "hotel-wadden", "bosman"])
        .assert()
        .success();
    let sqlite_balance = dir.stdout(&["balance", "hotel-wadden", "bosman"]);
    assert_eq!(
        String::from_utf8(balance.get_output().stdout.clone()).unwrap(),
        sqlite_balance
    );
    // The settings do not travel with an export: our own organization is set again.
    balans_on(&dir, url, &["config", "set", "us", "bosman"])
        .assert()
        .success();
    let report = balans_on(&dir, url, &["report"]).assert().success();
    let report = String::from_utf8(report.get_output().stdout.clone()).unwrap();
    assert!(report.contains("They give more"), "{report}");
    assert_eq!(report, dir.stdout(&["report"]));
    // Importing the same files again adds nothing.
    balans_on(
        &dir,
        url,
        &[
            "import",
            "out/parties.csv",
            "out/memberships.csv",
            "out/gestures.csv",
        ],
    )
    .assert()
    .success()
    .stdout(predicate::str::contains("0 gestures added"));
    // And back: PostgreSQL to a new SQLite file.
    balans_on(&dir, url, &["export", "--dir", "back"])
        .assert()
        .success();
    let again = dir.path("again.db");
    Command::cargo_bin("balans")
        .unwrap()
        .current_dir(dir.dir.path())
        .args([
            "--db",
            again.to_str().unwrap(),
            "import",
            "back/kinds.csv",
            "back/parties.csv",
            "back/memberships.csv",
            "back/gestures.csv",
        ])
        .assert()
        .success();
    assert_eq!(dir.balances_by_key(&again), dir.balances_by_key(&dir.db()));

    // A database written by a newer Balans is refused and left as it was.
    postgres(url)
        .execute("UPDATE schema_version SET version = 999", &[])
        .unwrap();
    balans_on(&dir, url, &["check"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("newer Balans"));
    let version: i64 = postgres(url)
        .query_one("SELECT version FROM schema_version", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, 999);
}

/// A database of an older schema is upgraded by the first command that opens
/// it, which says so on standard error before it starts; a new database, or one
/// already upgraded, is opened without a word.
#[test]
fn postgres_says_when_it_upgrades_an_older_database() {
    let Some(database) = postgres_database() else {
        return;
    };
    let url = database.url.as_str();
    let dir = Dir::new();
    let mut client = postgres(url);
    client
        .batch_execute(
            "CREATE TABLE schema_version (version BIGINT NOT NULL); INSERT INTO schema_version VALUES (4)",
        )
        .unwrap();
    for step in &balans_postgres::schema::STEPS[..4] {
        client.batch_execute(step).unwrap();
    }
    balans_on(&dir, url, &["check"])
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "upgrading the store from schema version 4 to {}",
            balans_postgres::SCHEMA_VERSION
        )));
    balans_on(&dir, url, &["check"])
        .assert()
        .success()
        .stderr(predicate::str::contains("upgrading").not());

    let Some(fresh) = postgres_database() else {
        return;
    };
    balans_on(&dir, &fresh.url, &["check"])
        .assert()
        .success()
        .stderr(predicate::str::contains("upgrading").not());
}

/// `demo` on PostgreSQL, with the URL from `BALANS_DB` rather than `--db`: the
/// same stories and balances as on SQLite, loaded once.
#[test]
fn postgres_takes_the_demo_with_its_url_from_balans_db() {
    let Some(database) = postgres_database() else {
        return;
    };
    let url = database.url.as_str();
    let dir = Dir::new();
    let on_postgres = |args: &[&str]| {
        let mut command = dir.command();
        command.env("BALANS_DB", url).args(args);
        command
    };
    on_postgres(&["demo"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "They give more than they get from bosman (Bosman Wonen)",
        ));
    on_postgres(&["demo"])
        .assert()
        .success()
        .stderr(predicate::str::contains("0 gestures added"));
    on_postgres(&["check"]).assert().success();
    dir.balans(&["demo"]).assert().success();
    for pair in [["hotel-wadden", "bosman"], ["bosman", "vdberg"]] {
        let args = ["balance", pair[0], pair[1]];
        let on_postgres = on_postgres(&args).assert().success();
        assert_eq!(
            String::from_utf8(on_postgres.get_output().stdout.clone()).unwrap(),
            dir.stdout(&args),
            "the demo's balance of {pair:?} on PostgreSQL and on SQLite"
        );
    }
    let gestures: i64 = postgres(url)
        .query_one("SELECT COUNT(*) FROM gestures", &[])
        .unwrap()
        .get(0);
    // 660 of its stories, and 4 that kept or broke its promises.
    assert_eq!(gestures, 664, "the demo's gestures, loaded once");
}

#[test]
fn postgres_connection_errors_name_the_host_and_never_the_password() {
    let dir = Dir::new();
    balans_on(
        &dir,
        "postgres://balans:hunter2secret@127.0.0.1:1/balans",
        &["check"],
    )
    .assert()
    .failure()
    .stderr(predicate::str::contains(
        "cannot connect to PostgreSQL at 127.0.0.1:1",
    ))
    .stderr(predicate::str::contains("hunter2secret").not());
    balans_on(&dir, "mysql://127.0.0.1/balans", &["check"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown store scheme 'mysql://'"));
    // A server that is there and refuses the credentials: a user it does not know.
    let Some(database) = postgres_database() else {
        return;
    };
    let address = database.url.trim_start_matches("postgres://");
    let address = address.split_once('@').map_or(address, |(_, rest)| rest);
    let host = address.split_once('/').map_or(address, |(host, _)| host);
    let refused = balans_on(
        &dir,
        &format!("postgres://no-such-user:hunter2secret@{address}"),
        &["check"],
    )
    .assert()
    .failure()
    .stderr(predicate::str::contains(format!(
        "cannot connect to PostgreSQL at {host}"
    )))
    .stderr(predicate::str::contains("no-such-user"))
    .stderr(predicate::str::contains("hunter2secret").not());
    let stderr = String::from_utf8(refused.get_output().stderr.clone()).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
}

/// Starts `balans --db DB serve --addr 127.0.0.1:0 EXTRA…` with its log in `log`,
/// and returns it with what it printed up to the line holding `until`. The rest of
/// its output is read on a thread, so that it never blocks on a full pipe.
fn serve_until(
    dir: &Dir,
    db: &str,
    extra: &[&str],
    log: &str,
    until: &str,
) -> (std::process::Child, String) {
    let mut server = std::process::Command::new(assert_cmd::cargo::cargo_bin("balans"))
        .current_dir(dir.dir.path())
        .args(["--db", db, "serve", "--addr", "127.0.0.1:0"])
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(dir.path(log)).unwrap())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(server.stdout.take().unwrap());
    let mut printed = String::new();
    while !printed.contains(until) {
        let mut line = String::new();
        if std::io::BufRead::read_line(&mut out, &mut line).unwrap() == 0 {
            panic!("the server stopped before saying {until:?}: {printed}");
        }
        printed.push_str(&line);
    }
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    (server, printed)
}

/// The first address in a server's words.
fn address_in(printed: &str) -> String {
    printed
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {printed:?}"))
        .trim_end_matches('/')
        .to_string()
}

/// Starts `balans serve` on a store and returns it with its address.
fn start_server(dir: &Dir, db: &str, log: &str) -> (std::process::Child, String) {
    let (server, printed) = serve_until(dir, db, &[], log, "http://");
    (server, address_in(&printed))
}

#[test]
fn two_servers_on_one_postgres_database_keep_the_balances_exact() {
    let Some(database) = postgres_database() else {
        return;
    };
    let url = database.url.as_str();
    let dir = Dir::new();
    dir.write("parties.csv", PARTIES);
    dir.write("memberships.csv", MEMBERSHIPS);
    balans_on(&dir, url, &["import", "parties.csv", "memberships.csv"])
        .assert()
        .success();
    let token = staff_token(&dir, url);
    let (mut first, first_url) = start_server(&dir, url, "one.log");
    let (mut second, second_url) = start_server(&dir, url, "two.log");
    let per_client = 40;
    let clients: Vec<_> = (0..32)
        .map(|client| {
            let servers = [first_url.clone(), second_url.clone()];
            let token = token.clone();
            std::thread::spawn(move || {
                let http = reqwest::blocking::Client::new();
                for n in 0..per_client {
                    let (giver, receiver) = if (client + n) % 2 == 0 { ("henk", "gerrit") } else { ("gerrit", "henk") };
                    let body = serde_json::json!({"id": format!("c{client}-{n}"), "at": "2024-06-01", "giver": giver, "receiver": receiver, "kind": "help"});
                    // Each gesture goes to one server, and its retry to the other.
                    for server in [&servers[(client + n) % 2], &servers[(client + n + 1) % 2]] {
                        let response = http
                            .post(format!("{server}/api/v1/gestures"))
                            .bearer_auth(&token)
                            .json(&body)
                            .send()
                            .unwrap();
                        assert!(response.status().is_success(), "{}", response.text().unwrap());
                    }
                }
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
    for server in [&mut first, &mut second] {
        std::process::Command::new("kill")
            .args(["-TERM", &server.id().to_string()])
            .status()
            .unwrap();
        assert!(server.wait().unwrap().success());
    }
    balans_on(&dir, url, &["check"]).assert().success();
    let mut client = postgres(url);
    let gestures: i64 = client
        .query_one("SELECT COUNT(*) FROM gestures", &[])
        .unwrap()
        .get(0);
    assert_eq!(
        gestures,
        32 * per_client as i64,
        "each gesture once, retries included"
    );
    let count: i64 = client
        .query_one("SELECT SUM(count)::int8 FROM balances WHERE level = 0", &[])
        .unwrap()
        .get(0);
    assert_eq!(count, 32 * per_client as i64);
    let pair = balans_on(&dir, url, &["balance", "henk", "gerrit", "--json"])
        .assert()
        .success();
    let pair: serde_json::Value = serde_json::from_slice(&pair.get_output().stdout).unwrap();
    assert_eq!(pair["credit"]["a_to_b"], "1920.00", "{pair}");
    assert_eq!(pair["credit"]["b_to_a"], "1920.00", "{pair}");
}

/// Two servers on one PostgreSQL database, each asked to sweep at the same
/// moment, over 300 promises that fell due: each is broken once, by one
/// gesture, and the balance counts it once.
#[test]
fn two_servers_sweeping_at_once_break_each_promise_once() {
    let Some(database) = postgres_database() else {
        return;
    };
    let url = database.url.as_str();
    let dir = Dir::new();
    dir.write("parties.csv", PARTIES);
    // Due in a few seconds: after the setup's writes (each sweeps first) and
    // the servers' start.
    let due = balans_core::Moment::from_millis(balans_core::Moment::now().millis() + 6_000);
    let mut promises = String::from("id,promiser,promisee,kind,made,due,state\n");
    for n in 0..300 {
        promises.push_str(&format!(
            "p{n},henk,gerrit,attention,2025-01-01,{due},open\n"
        ));
    }
    dir.write("promises.csv", &promises);
    balans_on(&dir, url, &["import", "parties.csv", "promises.csv"])
        .assert()
        .success();
    let token = staff_token(&dir, url);
    let (mut first, first_url) = start_server(&dir, url, "one.log");
    let (mut second, second_url) = start_server(&dir, url, "two.log");
    let wait = due.millis() + 200 - balans_core::Moment::now().millis();
    assert!(wait > 0, "the setup took longer than the promises waited");
    std::thread::sleep(std::time::Duration::from_millis(wait as u64));
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let sweeps: Vec<_> = [first_url, second_url]
        .into_iter()
        .map(|server| {
            let token = token.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let http = reqwest::blocking::Client::new();
                barrier.wait();
                let response = http
                    .post(format!("{server}/api/v1/sweep"))
                    .bearer_auth(&token)
                    .send()
                    .unwrap();
                assert!(
                    response.status().is_success(),
                    "{}",
                    response.text().unwrap()
                );
                let swept: serde_json::Value = response.json().unwrap();
                swept["broken"].as_array().unwrap().len()
            })
        })
        .collect();
    // Each writer sweeps before its group, this request's too: what each
    // answers is what its own sweep found left, none of it twice.
    let answered: usize = sweeps.into_iter().map(|s| s.join().unwrap()).sum();
    assert!(answered <= 300, "{answered}");
    for server in [&mut first, &mut second] {
        std::process::Command::new("kill")
            .args(["-TERM", &server.id().to_string()])
            .status()
            .unwrap();
        assert!(server.wait().unwrap().success());
    }
    balans_on(&dir, url, &["check"]).assert().success();
    let mut client = postgres(url);
    let broken: i64 = client
        .query_one(
            "SELECT COUNT(*) FROM gestures WHERE id LIKE '%.broken'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(broken, 300, "each promise broken once");
    let states: i64 = client
        .query_one("SELECT COUNT(*) FROM promises WHERE state = 'broken'", &[])
        .unwrap()
        .get(0);
    assert_eq!(states, 300);
    let pair = balans_on(&dir, url, &["balance", "henk", "gerrit", "--json"])
        .assert()
        .success();
    let pair: serde_json::Value = serde_json::from_slice(&pair.get_output().stdout).unwrap();
    assert_eq!(pair["credit"]["a_to_b"], "-900.00", "{pair}");
    assert_eq!(pair["credit"]["count"], 300, "{pair}");
}

#[test]
fn a_killed_postgres_import_leaves_all_or_nothing() {
    let Some(database) = postgres_database() else {
        return;
    };
    let url = database.url.as_str();
    let dir = Dir::new();
    dir.write("parties.csv", PARTIES);
    dir.write("memberships.csv", MEMBERSHIPS);
    balans_on(&dir, url, &["import", "parties.csv", "memberships.csv"])
        .assert()
        .success();
    dir.write("people.csv", &people_file());
    balans_on(&dir, url, &["import", "people.csv"])
        .assert()
        .success();
    let rows: i64 = 300_000;
    // A file of few pairs into the empty table (loaded in bulk), then one of many.
    for (prefix, many) in [("k-", false), ("m-", true)] {
        killed_postgres_import(
            &dir,
            url,
            &gestures_to_kill(prefix, rows, many),
            prefix,
            rows,
        );
    }
}

/// Imports `text` into `url`, kills the import the moment it writes gestures,
/// and checks that the database holds all of them (ids `{prefix}…`) or none.
fn killed_postgres_import(dir: &Dir, url: &str, text: &str, prefix: &str, rows: i64) {
    dir.write("big.csv", text);
    let mut watcher = postgres(url);
    let database_name = url.rsplit('/').next().unwrap().to_string();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("balans"))
        .current_dir(dir.dir.path())
        .args(["--db", url, "import", "big.csv"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it the moment it is writing gestures.
    let started = Instant::now();
    let mut killed = false;
    while child.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(60) {
        let writing: i64 = watcher
            .query_one(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'balans' \
                 AND state = 'active' AND (query LIKE 'COPY gestures%' OR query LIKE 'INSERT INTO gestures%')",
                &[&database_name],
            )
            .unwrap()
            .get(0);
        if writing > 0 {
            child.kill().unwrap();
            killed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    child.wait().unwrap();
    assert!(killed, "the import was never seen writing");
    // The server ends the dead connection's transaction; wait for it to go.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let open: i64 = watcher
            .query_one(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'balans'",
                &[&database_name],
            )
            .unwrap()
            .get(0);
        if open == 0 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let stored: i64 = watcher
        .query_one(
            "SELECT COUNT(*) FROM gestures WHERE id LIKE $1",
            &[&format!("{prefix}%")],
        )
        .unwrap()
        .get(0);
    assert!(
        stored == 0 || stored == rows,
        "the database holds {stored} of {rows} rows"
    );
    // Killed while loading the empty table without its indexes: they are back.
    let indexes: i64 = watcher
        .query_one(
            "SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'gestures'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(
        indexes, 6,
        "the keys, the ids, the reversals, the times, the givers and the receivers"
    );
    balans_on(dir, url, &["check"]).assert().success();
    // The same file, imported whole, is all there.
    balans_on(dir, url, &["import", "big.csv"])
        .assert()
        .success();
    let stored: i64 = watcher
        .query_one(
            "SELECT COUNT(*) FROM gestures WHERE id LIKE $1",
            &[&format!("{prefix}%")],
        )
        .unwrap()
        .get(0);
    assert_eq!(stored, rows);
}

/// The README's run command: `serve --demo` fills an empty store, prints the address
/// and a login, and the login opens a dashboard with the demo's relationships.
#[test]
fn serve_demo_prints_a_login_that_opens_the_dashboard() {
    let dir = Dir::new();
    let (mut server, printed) = serve_until(
        &dir,
        dir.db().to_str().unwrap(),
        &["--demo"],
        "serve.log",
        "with password",
    );
    assert!(
        printed.contains("loaded the demo organization: 660 gestures"),
        "{printed}"
    );
    let login_line = printed.lines().find(|l| l.contains("log in as")).unwrap();
    let words: Vec<&str> = login_line.split_whitespace().collect();
    let url = words
        .iter()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .trim_end_matches('/');
    let email = words[words.iter().position(|w| *w == "as").unwrap() + 1];
    let password = words.last().unwrap();
    let client = reqwest::blocking::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let page = client
        .post(format!("{url}/login"))
        .form(&[("email", email), ("password", password), ("next", "/")])
        .send()
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().unwrap();
    assert!(
        page.contains("They give more than they get") && page.contains("Tineke"),
        "{}",
        &page[..page.len().min(2_000)]
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

/// Story 1 in credits: before Gerrit retires, Henk and Gerrit carry the Hotel
/// De Wadden relationship; after, what they built is dormant. The JSON has the
/// documented shape; a moment that cannot be read is named.
#[test]
fn credits_show_what_went_dormant_when_gerrit_retired() {
    let dir = Dir::new();
    dir.balans(&["demo"]).assert().success();
    let before: serde_json::Value = serde_json::from_str(&dir.stdout(&[
        "credits",
        "bosman",
        "hotel-wadden",
        "--as-of",
        "2025-05-01",
        "--json",
    ]))
    .unwrap();
    assert_eq!(before["a"], "bosman");
    assert_eq!(before["b"], "hotel-wadden");
    assert_eq!(before["dormant"]["credit"]["a_to_b"], "0.00");
    assert_eq!(before["live"], before["historical"]);
    let keys: Vec<(&str, &str)> = before["key_persons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["party"].as_str().unwrap(), k["side"].as_str().unwrap()))
        .collect();
    assert_eq!(keys, [("henk", "a"), ("gerrit", "b")]);
    for figure in ["historical", "live", "dormant", "handed_over"] {
        for dimension in ["money", "credit"] {
            for field in ["a_to_b", "b_to_a", "net"] {
                assert!(
                    before[figure][dimension][field].is_string(),
                    "{figure}.{dimension}.{field}: {}",
                    before[figure][dimension][field]
                );
            }
        }
    }

    let now: serde_json::Value =
        serde_json::from_str(&dir.stdout(&["credits", "bosman", "hotel-wadden", "--json"]))
            .unwrap();
    let henk_gerrit = now["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["a"] == "henk" && p["b"] == "gerrit")
        .expect("the pair Henk built with Gerrit");
    assert_eq!(henk_gerrit["state"], "dormant");
    assert_eq!(
        now["dormant"]["credit"]["a_to_b"],
        henk_gerrit["credit"]["a_to_b"]
    );
    // Historical = live + dormant, in minor units.
    let minor =
        |v: &serde_json::Value| -> i64 { v.as_str().unwrap().replace('.', "").parse().unwrap() };
    for dimension in ["money", "credit"] {
        for field in ["a_to_b", "b_to_a"] {
            assert_eq!(
                minor(&now["historical"][dimension][field]),
                minor(&now["live"][dimension][field]) + minor(&now["dormant"][dimension][field]),
                "{dimension}.{field}"
            );
        }
    }

    // Elsewhere in the demo, Ruud left: Joris accepted what he built with Ans,
    // Femke declined to take over Wim.
    let handovers: serde_json::Value =
        serde_json::from_str(&dir.stdout(&["handover", "list", "--json"])).unwrap();
    let decided: Vec<(&str, &str, &str)> = handovers
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["other"].as_str().unwrap(),
                h["successor"].as_str().unwrap(),
                h["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        decided,
        [("ans", "joris", "accepted"), ("wim", "femke", "declined")]
    );
    let ans: serde_json::Value =
        serde_json::from_str(&dir.stdout(&["credits", "bosman", "ans", "--json"])).unwrap();
    // Ruud was on our side: what he gave Ans is what our side gave.
    assert_eq!(
        ans["handed_over"]["credit"],
        handovers[0]["moved"]["credit"]
    );
    assert_ne!(ans["handed_over"]["credit"]["a_to_b"], "0.00");
    let text = dir.stdout(&["credits", "bosman", "hotel-wadden"]);
    assert!(text.contains("henk and gerrit: dormant"), "{text}");
    dir.balans(&["credits", "bosman", "--as-of", "someday"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--as-of"));
}

/// The demo's departures are named in alerts: Gerrit's credits with Henk, not
/// Ruud's with Ans (taken over by Joris) nor his 5 points with Wim (not more
/// than the 10 an alert needs). One is dismissed; the thresholds are settings,
/// checked when set.
#[test]
fn alerts_name_the_credits_gone_dormant_until_dismissed() {
    let dir = Dir::new();
    dir.balans(&["demo"]).assert().success();
    let alerts: serde_json::Value =
        serde_json::from_str(&dir.stdout(&["alert", "list", "--json"])).unwrap();
    let named: Vec<(&str, &str)> = alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["left"].as_str().unwrap(), a["other"].as_str().unwrap()))
        .collect();
    assert!(named.contains(&("gerrit", "henk")), "{alerts}");
    assert!(!named.contains(&("ruud", "wim")), "{alerts}");
    assert!(!named.contains(&("ruud", "ans")), "{alerts}");
    let text = dir.stdout(&["alert", "list"]);
    assert!(
        text.contains("Gerrit Visser left Hotel De Wadden on")
            && text
                .contains("credits that Henk Bosman of Bosman Wonen built with them went dormant"),
        "{text}"
    );
    let gerrit = alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["left"] == "gerrit")
        .unwrap();
    // Story 1: the moment Gerrit left, every credit with the hotel is dormant
    // and Sander, his son, has nothing with us yet.
    let left_at = gerrit["left_at"].as_str().unwrap();
    let then: serde_json::Value = serde_json::from_str(&dir.stdout(&[
        "credits",
        "bosman",
        "hotel-wadden",
        "--as-of",
        left_at,
        "--json",
    ]))
    .unwrap();
    assert_eq!(then["live"]["credit"]["a_to_b"], "0.00", "{then}");
    assert_eq!(then["live"]["credit"]["b_to_a"], "0.00", "{then}");
    assert_eq!(then["dormant"]["credit"], then["historical"]["credit"]);
    assert!(
        !then["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["b"] == "sander"),
        "{then}"
    );
    let id = gerrit["id"].to_string();
    dir.balans(&["alert", "dismiss", &id]).assert().success();
    assert!(!dir.stdout(&["alert", "list"]).contains("Gerrit Visser"));
    dir.balans(&["alert", "dismiss", &id])
        .assert()
        .failure()
        .stderr(predicate::str::contains(format!("no open alert #{id}")));

    dir.balans(&["config", "set", "dormant_alert_points", "ten"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("not 'ten'"));
    dir.balans(&["config", "set", "key_person_percent", "60"])
        .assert()
        .success();
    let settings = dir.stdout(&["config", "get"]);
    assert!(
        settings.contains("key_person_percent = 60")
            && settings.contains("dormant_alert_points = 10 (default)"),
        "{settings}"
    );
}

/// `balans credits ORG --totals`: the organization's figures over all its
/// relationships, the sum of what `balans credits ORG` lists, in both
/// dimensions and directions.
#[test]
fn credits_totals_are_the_sum_of_the_relationships() {
    let dir = Dir::new();
    dir.balans(&["demo"]).assert().success();
    let totals: serde_json::Value =
        serde_json::from_str(&dir.stdout(&["credits", "bosman", "--totals", "--json"])).unwrap();
    let all: serde_json::Value =
        serde_json::from_str(&dir.stdout(&["credits", "bosman", "--all", "--json"])).unwrap();
    let minor =
        |v: &serde_json::Value| -> i64 { v.as_str().unwrap().replace('.', "").parse().unwrap() };
    for figure in ["historical", "live", "dormant", "handed_over"] {
        for dimension in ["money", "credit"] {
            for field in ["a_to_b", "b_to_a"] {
                let summed: i64 = all
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| minor(&v[figure][dimension][field]))
                    .sum();
                assert_eq!(
                    minor(&totals[figure][dimension][field]),
                    summed,
                    "{figure}.{dimension}.{field}"
                );
            }
        }
    }
    assert_ne!(totals["dormant"]["credit"]["a_to_b"], "0.00");
    let text = dir.stdout(&["credits", "bosman", "--totals"]);
    assert!(text.contains("with all its relationships"), "{text}");
    dir.balans(&["credits", "bosman", "hotel-wadden", "--totals"])
        .assert()
        .failure();
}

/// Without a counterpart, `balans credits` lists the ten relationships with
/// the largest credit volume, the first ten of `--all`, and says how many more
/// there are; `--limit` chooses how many.
#[test]
fn credits_list_the_largest_relationships_first() {
    let dir = Dir::new();
    dir.balans(&["demo"]).assert().success();
    let json = |args: &[&str]| -> Vec<serde_json::Value> {
        let value: serde_json::Value = serde_json::from_str(&dir.stdout(args)).unwrap();
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                let mut v = v.clone();
                v.as_object_mut().unwrap().remove("as_of");
                v
            })
            .collect()
    };
    let all = json(&["credits", "bosman", "--all", "--json"]);
    assert!(all.len() > 10, "{}", all.len());
    assert_eq!(json(&["credits", "bosman", "--json"]), all[..10]);
    assert_eq!(
        json(&["credits", "bosman", "--limit", "3", "--json"]),
        all[..3]
    );
    let text = dir.stdout(&["credits", "bosman", "--limit", "3"]);
    assert_eq!(text.matches(", as of ").count(), 3, "{text}");
    assert!(
        text.ends_with(&format!(
            "{} more relationships, with less credit: --limit N or --all shows them.\n",
            all.len() - 3
        )),
        "{text}"
    );
    let every = dir.stdout(&["credits", "bosman", "--all"]);
    assert_eq!(every.matches(", as of ").count(), all.len());
    assert!(!every.contains("more relationships"), "{every}");
    dir.balans(&["credits", "bosman", "hotel-wadden", "--limit", "3"])
        .assert()
        .failure();
}

/// `balans promise`: add prints the id alone; keep, move, release and break
/// change a pending promise once; list --json has the documented fields; a
/// promise that fell due is broken by the next command that writes, or by
/// `balans sweep`; wrong input is refused and writes nothing.
/// A store holding a promise whose break cannot be recorded (its promiser
/// counts for two organizations at its due moment, written past Balans):
/// writes go on and say so, `balans sweep` names it and fails, `balans check`
/// names it, and releasing it mends the store.
#[test]
fn a_stranded_promise_is_named_and_does_not_stop_writes() {
    let dir = Dir::new();
    dir.write("parties.csv", PARTIES);
    dir.write("memberships.csv", MEMBERSHIPS);
    dir.balans(&["import", "parties.csv", "memberships.csv"])
        .assert()
        .success();
    dir.balans(&[
        "promise",
        "add",
        "henk",
        "eva",
        "help",
        "--due",
        "2025-03-14",
        "--made",
        "2025-03-01",
        "--id",
        "stranded",
    ])
    .assert()
    .success();
    let connection = rusqlite::Connection::open(dir.db()).unwrap();
    connection
        .execute(
            "INSERT INTO memberships (person, organization, role, from_ms) \
             SELECT p.id, o.id, 'contact', 0 FROM parties p, parties o \
             WHERE p.key = 'henk' AND o.key = 'hotel'",
            [],
        )
        .unwrap();
    drop(connection);
    let problem = "promise stranded falls due at 2025-03-14";
    dir.balans(&["give", "eva", "gerrit", "thanks", "--at", "2025-03-20"])
        .assert()
        .success()
        .stderr(predicate::str::contains(problem))
        .stderr(predicate::str::contains(
            "henk is a member of several organizations",
        ));
    dir.balans(&["sweep"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(problem))
        .stderr(predicate::str::contains(
            "balans promise release stranded --reason",
        ));
    let swept = dir.balans(&["sweep", "--json"]).assert().code(1);
    let swept: serde_json::Value = serde_json::from_slice(&swept.get_output().stdout).unwrap();
    assert_eq!(swept["broken"], serde_json::json!([]), "{swept}");
    assert_eq!(swept["stranded"][0]["promise"], "stranded", "{swept}");
    dir.balans(&["check"])
        .assert()
        .failure()
        .stdout(predicate::str::contains(problem));
    assert!(
        dir.stdout(&["promise", "show", "stranded"])
            .contains(", open")
    );
    dir.balans(&[
        "promise",
        "release",
        "stranded",
        "--reason",
        "henk moved on",
    ])
    .assert()
    .success();
    assert_eq!(dir.stdout(&["sweep"]), "Nothing has fallen due.\n");
    dir.balans(&["check"]).assert().success();
}

#[test]
fn promises_from_the_command_line() {
    let dir = Dir::new();
    dir.balans(&["demo"]).assert().success();
    // The demo's promises tell their story: kept on time, moved and kept
    // late, kept in part, the bank's call back broken by itself, one open.
    let shown = |id: &str| dir.stdout(&["promise", "show", id]);
    assert!(shown("demo-curtains-call").contains(", kept "));
    let sofa = shown("demo-sofa-delivery");
    assert!(
        sofa.contains(", kept ") && sofa.contains("was due"),
        "{sofa}"
    );
    assert!(shown("demo-zon-invoice").contains("kept in part (800.00)"));
    let bank = shown("demo-bank-call");
    assert!(
        bank.contains("broken") && bank.contains("demo-bank-call.broken"),
        "{bank}"
    );
    assert!(shown("demo-wadden-measure").contains(", open"));
    // Bosman kept both of its promises (the sofa, Femke's call back); of the
    // two made to it, the bank's was broken and Café de Zon's invoice kept
    // for 800.00 of 1,200.00: (0 + 2/3) / 2.
    assert_eq!(
        dir.stdout(&["promise", "rate", "bosman"]),
        "Promises bosman made: 100% kept, of 2 kept or broken\n\
         Promises made to bosman: 33% kept, of 2 kept or broken\n"
    );
    assert_eq!(
        dir.stdout(&[
            "promise",
            "rate",
            "bosman",
            "dorpsbank",
            "--since",
            "2099-01-01"
        ]),
        "Promises bosman made to dorpsbank: none kept or broken since 2099-01-01\n\
         Promises dorpsbank made to bosman: none kept or broken since 2099-01-01\n"
    );
    let rates: serde_json::Value =
        serde_json::from_str(&dir.stdout(&["promise", "rate", "henk", "dorpsbank", "--json"]))
            .unwrap();
    assert_eq!(rates["to_party"]["rate"], 0.0, "{rates}");
    assert_eq!(rates["to_party"]["resolved"], 1, "{rates}");
    assert_eq!(rates["with"], "dorpsbank", "{rates}");
    assert_eq!(
        dir.stdout(&[
            "promise",
            "rate",
            "bosman",
            "--since",
            "2000-01-01",
            "--until",
            "2000-02-01",
        ]),
        "Promises bosman made: none kept or broken since 2000-01-01 until 2000-02-01\n\
         Promises made to bosman: none kept or broken since 2000-01-01 until 2000-02-01\n"
    );
    dir.balans(&[
        "promise",
        "rate",
        "bosman",
        "--since",
        "2001-01-01",
        "--until",
        "2000-01-01",
    ])
    .assert()
    .failure()
    .stderr(predicate::str::contains("until: the period ends"));
    dir.balans(&["promise", "rate", "bosman", "bosman"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "bosman keeps no promises to itself",
        ));
    dir.balans(&["promise", "rate", "bosman", "--since", "someday"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("since: 'someday' is not a date"));
    let id = dir.stdout(&[
        "promise",
        "add",
        "bosman",
        "hotel-wadden",
        "attention",
        "--due",
        "2099-03-14T17:00",
        "--note",
        "call back",
    ]);
    let id = id.trim();
    assert!(id.starts_with("pr-") && !id.contains(' '), "{id}");
    let again = dir.stdout(&[
        "promise",
        "add",
        "hotel-wadden",
        "bosman",
        "pay",
        "1250.00",
        "--due",
        "2099-03-31",
        "--id",
        "inv-118",
    ]);
    assert_eq!(again, "inv-118\n");
    let list: serde_json::Value =
        serde_json::from_str(&dir.stdout(&["promise", "list", "--open", "--json"])).unwrap();
    let first = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap();
    for field in [
        "id", "promiser", "promisee", "kind", "amount", "made", "due", "state", "gesture",
    ] {
        assert!(first.get(field).is_some(), "{field}: {first}");
    }
    assert_eq!(
        (
            first["id"].as_str(),
            first["promiser"].as_str(),
            first["state"].as_str()
        ),
        (Some(id), Some("bosman"), Some("open"))
    );
    assert_eq!(first["gesture"], serde_json::Value::Null);
    // `--limit N`: the N due soonest, the same as the head of the whole list.
    let all = list.as_array().unwrap();
    assert!(all.len() >= 2, "{list}");
    let limited: serde_json::Value =
        serde_json::from_str(&dir.stdout(&["promise", "list", "--open", "--limit", "1", "--json"]))
            .unwrap();
    assert_eq!(limited.as_array().unwrap()[..], all[..1]);
    dir.balans(&["promise", "list", "--limit", "0"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--limit"));

    let kept = dir.stdout(&["promise", "keep", "inv-118", "400.00"]);
    assert!(kept.contains("kept in part (400.00)"), "{kept}");
    assert!(kept.contains("inv-118.kept"), "{kept}");
    dir.balans(&["promise", "keep", "inv-118"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("was kept"));
    let moved = dir.stdout(&["promise", "move", id, "--due", "2099-04-01"]);
    assert!(
        moved.contains("renegotiated") && moved.contains("was due"),
        "{moved}"
    );

    // Wrong input: each refused, nothing written.
    let before = dir.stdout(&["promise", "list", "--json"]);
    for args in [
        &[
            "promise",
            "add",
            "bosman",
            "bosman",
            "attention",
            "--due",
            "2099-01-01",
        ][..],
        &[
            "promise",
            "add",
            "bosman",
            "hotel-wadden",
            "nonsense",
            "--due",
            "2099-01-01",
        ],
        &[
            "promise",
            "add",
            "bosman",
            "hotel-wadden",
            "attention",
            "--due",
            "someday",
        ],
        &["promise", "keep", id, "5"],
        &["promise", "release", id, "--reason", " "],
        &["promise", "list", "--due-within", "soon"],
    ] {
        dir.balans(args).assert().failure();
    }
    assert_eq!(dir.stdout(&["promise", "list", "--json"]), before);

    // Made long ago and due since: the next sweep (or write) breaks it, once.
    dir.balans(&[
        "promise",
        "add",
        "bosman",
        "hotel-wadden",
        "help",
        "--due",
        "2025-03-14",
        "--made",
        "2025-03-01",
        "--id",
        "old",
    ])
    .assert()
    .success();
    assert_eq!(
        dir.stdout(&["sweep"]),
        "1 promise(s) fell due unkept and were recorded as broken:\n  old\n"
    );
    assert_eq!(dir.stdout(&["sweep"]), "Nothing has fallen due.\n");
    let old = dir.stdout(&["promise", "show", "old"]);
    assert!(
        old.contains("broken") && old.contains("old.broken"),
        "{old}"
    );
    let overdue = dir.stdout(&["promise", "list", "--overdue"]);
    assert_eq!(overdue, "No promises.\n");
    dir.balans(&[
        "promise",
        "add",
        "bosman",
        "hotel-wadden",
        "help",
        "--due",
        "2025-03-15",
        "--made",
        "2025-03-01",
        "--id",
        "old2",
    ])
    .assert()
    .success();
    dir.balans(&["give", "bosman", "hotel-wadden", "thanks"])
        .assert()
        .success()
        .stderr(predicate::str::contains("recorded as broken: old2"));
    assert!(dir.stdout(&["promise", "show", "old2"]).contains("broken"));
    dir.balans(&["check"]).assert().success();
}

/// A reader that stops reading (`balans report --json | head -1`) ends the
/// command quietly, with the status a shell gives a command ended by SIGPIPE:
/// no panic and no error, whether the command prints as it goes or at once.
#[test]
fn a_reader_that_stops_reading_ends_a_command_quietly() {
    let dir = Dir::new();
    dir.balans(&["demo"]).assert().success();
    for args in [
        &["report", "--json"][..],
        &["credits", "bosman", "--json"],
        &["alert", "list"],
    ] {
        // The reading end is closed before the command starts: every write fails.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("balans"))
            .arg("--db")
            .arg(dir.db())
            .args(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(141), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}
