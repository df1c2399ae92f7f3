//! The real `hourbank` binary: every subcommand, every exit code, and bad CSV files (each
//! refused with exit 2 and line numbers, leaving the store unchanged).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

pub(crate) struct Out {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

pub(crate) fn hb_in(store: &Path, args: &[&str], stdin: &str) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hourbank"))
        .arg("--store")
        .arg(store)
        .args(args)
        // English messages whatever the machine's locale (the language tests set their own).
        .env("LC_ALL", "C")
        .env("USER", "tester")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The program may exit before reading its input (a refused argument): ignore a broken pipe.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub(crate) struct Fixture {
    dir: TempDir,
}

impl Fixture {
    pub(crate) fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }
    pub(crate) fn run(&self, args: &[&str]) -> Out {
        hb_in(&self.store(), args, "")
    }
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert_eq!(o.code, 0, "{args:?} failed: {}", o.stderr);
        o.stdout
    }
    pub(crate) fn code(&self, args: &[&str]) -> (i32, String) {
        let o = self.run(args);
        (o.code, o.stderr)
    }
    pub(crate) fn file(&self, name: &str, bytes: &[u8]) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p.display().to_string()
    }
    /// Events and the entries export: what must not change when a command is refused.
    pub(crate) fn snapshot(&self) -> (String, String) {
        (self.ok(&["check", "--json"]), self.ok(&["export", "entries"]))
    }
}

/// A store with an admin, two volunteers, an activity and two rewards.
pub(crate) fn fixture() -> Fixture {
    let f = Fixture { dir: tempfile::tempdir().unwrap() };
    let o = hb_in(
        &f.store(),
        &["init", "--counter", "JM-01", "--admin", "A01", "--admin-name", "管理员"],
        "2468\n",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    f.ok(&[
        "volunteer",
        "add",
        "--card",
        "JH000123",
        "--name",
        "陈华佩",
        "--phone",
        "13800138000",
        "--community",
        "白沙街道",
    ]);
    f.ok(&["volunteer", "add", "--card", "JH000124", "--name", "李明", "--community", "潮连街道"]);
    f.ok(&["activity", "add", "垃圾分类督导", "--category", "环保"]);
    f.ok(&["reward", "add", "--name", "大米5kg", "--cost", "2.5", "--stock", "3"]);
    f.ok(&[
        "reward",
        "add",
        "--name",
        "超市代金券50元",
        "--kind",
        "voucher",
        "--cost",
        "8h",
        "--merchant",
        "益华超市",
    ]);
    f
}

#[test]
fn help_version_and_usage_errors() {
    let f = Fixture { dir: tempfile::tempdir().unwrap() };
    let help = f.run(&["--help"]);
    assert_eq!(help.code, 0);
    // What city and sync do, not "set it up" and "Push…" (issue 25, low).
    assert!(
        help.stdout.contains("Sync with the city") && help.stdout.contains("run its service"),
        "{}",
        help.stdout
    );
    assert_eq!(f.run(&["--version"]).code, 0);
    assert_eq!(f.run(&["frobnicate"]).code, 2);
    assert_eq!(f.run(&["deposit", "--card", "X"]).code, 2);
    assert_eq!(
        f.run(&["deposit", "--card", "X", "--minutes", "5", "--hours", "1", "--activity", "a"]).code,
        2
    );
}

#[test]
fn a_missing_store_is_exit_3() {
    let f = Fixture { dir: tempfile::tempdir().unwrap() };
    let (code, err) = f.code(&["balance", "JH000123"]);
    assert_eq!(code, 3);
    assert!(err.contains("no hourbank store"), "{err}");
}

#[test]
fn a_store_in_use_is_exit_3_naming_the_owner() {
    let f = fixture();
    let bank = hourbank::bank::Bank::open(&f.store()).unwrap();
    let (code, err) = f.code(&["balance", "JH000123"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("is in use by another hourbank process"), "{err}");
    assert!(err.contains(&format!("pid {}", std::process::id())), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    drop(bank);
    f.ok(&["balance", "JH000123"]);
}

#[test]
fn the_counter_reports_problems_plainly_before_taking_the_terminal() {
    let f = fixture();
    // Held by another process: exit 3, named, before any terminal is needed.
    let bank = hourbank::bank::Bank::open(&f.store()).unwrap();
    let (code, err) = f.code(&[]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("is in use by another hourbank process"), "{err}");
    drop(bank);
    // A broken config file: exit 2 naming the file and the problem.
    let config = f.file("config.toml", b"idle_seconds = \"soon\"\n");
    let out = Command::new(env!("CARGO_BIN_EXE_hourbank"))
        .args(["--store", f.store().to_str().unwrap()])
        .env("HOURBANK_CONFIG", &config)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("config.toml") && err.contains("idle_seconds"), "{err}");
    // No terminal (a pipe): exit 2 with a pointer to the subcommands; nothing is drawn.
    let o = f.run(&[]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("needs a terminal"), "{}", o.stderr);
    assert!(o.stdout.is_empty(), "no escape codes on a pipe: {:?}", o.stdout);
    // An unknown language is refused by the argument parser.
    assert_eq!(f.code(&["--lang", "fr"]).0, 2);
}

#[test]
fn loosened_permissions_are_reported_and_tightened() {
    use std::os::unix::fs::PermissionsExt;
    let f = fixture();
    let lock = f.store().join("lock");
    std::fs::set_permissions(&lock, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(f.store(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let o = f.run(&["balance", "JH000123"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr.contains("warning: 2 file(s) of the store were readable by other users"),
        "{}",
        o.stderr
    );
    assert_eq!(std::fs::metadata(&lock).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(f.store()).unwrap().permissions().mode() & 0o777, 0o700);
    let again = f.run(&["balance", "JH000123"]);
    assert!(!again.stderr.contains("warning"), "said once, then fixed: {}", again.stderr);
}

#[test]
fn init_twice_and_bad_init_input() {
    let f = fixture();
    let o = hb_in(&f.store(), &["init", "--counter", "x", "--admin", "B", "--admin-name", "b"], "2468\n");
    assert_eq!(o.code, 1, "{}", o.stderr);
    let g = Fixture { dir: tempfile::tempdir().unwrap() };
    let o =
        hb_in(&g.store(), &["init", "--counter", "x", "--admin", "bad id", "--admin-name", "b"], "2468\n");
    assert_eq!(o.code, 2);
    let o = hb_in(&g.store(), &["init", "--counter", "x", "--admin", "B", "--admin-name", "b"], "12\n");
    assert_eq!(o.code, 2, "a two-digit PIN is refused: {}", o.stderr);
}

#[test]
fn the_whole_counter_day_from_the_command_line() {
    let f = fixture();
    let out = f.ok(&[
        "deposit",
        "--card",
        "JH000123",
        "--hours",
        "2小时30分",
        "--activity",
        "垃圾分类督导",
        "--note",
        "周末",
    ]);
    assert!(out.starts_with("saved #"), "{out}");
    f.ok(&[
        "deposit",
        "--card",
        "jh000123",
        "--minutes",
        "750",
        "--activity",
        "垃圾分类督导",
        "--date",
        "2026-01-05",
    ]);
    let batch = f.ok(&[
        "deposit",
        "--card",
        "JH000123",
        "--card",
        "JH000124",
        "--hours",
        "1",
        "--activity",
        "垃圾分类督导",
    ]);
    assert!(batch.contains("for 2 volunteers"), "{batch}");
    f.ok(&["redeem", "--card", "JH000123", "--reward", "大米5kg"]);

    let json: serde_json::Value = serde_json::from_str(&f.ok(&["balance", "JH000123", "--json"])).unwrap();
    assert_eq!(json["card_no"], "JH000123");
    assert_eq!(json["name"], "陈华佩");
    assert_eq!(json["earned_minutes"], 150 + 750 + 60);
    assert_eq!(json["redeemed_minutes"], 150);
    assert_eq!(json["balance_minutes"], 810);

    let redeem_seq: u64 = {
        let h: serde_json::Value = serde_json::from_str(&f.ok(&["history", "JH000123", "--json"])).unwrap();
        let entries = h["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 5);
        assert_eq!(entries[4]["kind"], "redeem");
        assert_eq!(entries[4]["delta_minutes"], -150);
        entries[4]["seq"].as_u64().unwrap()
    };
    let seq = redeem_seq.to_string();
    f.ok(&["reverse", "--seq", &seq, "--reason", "顾客退回"]);
    assert_eq!(f.code(&["reverse", "--seq", &seq, "--reason", "again"]).0, 1);
    f.ok(&["transfer", "--from", "JH000123", "--to", "JH000124", "--hours", "1.5", "--note", "家人"]);
    f.ok(&["adjust", "--card", "JH000124", "--credit", "--minutes", "30", "--reason", "补录"]);
    let b: serde_json::Value = serde_json::from_str(&f.ok(&["balance", "JH000124", "--json"])).unwrap();
    assert_eq!(b["balance_minutes"], 60 + 90 + 30);

    let text = f.ok(&["history", "JH000123"]);
    assert!(text.contains("垃圾分类督导 (周末)") && text.contains("reversed by"), "{text}");
    assert!(f.ok(&["volunteer", "list"]).contains("陈华佩"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&f.ok(&["volunteer", "list", "--json"]))
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(f.ok(&["volunteer", "show", "JH000124"]).contains("李明"));
    f.ok(&["volunteer", "edit", "JH000124", "--phone", "13900139000", "--new-card", "JH000999"]);
    // Masked unless --full, and --full is journalled before anything is printed.
    let masked = f.ok(&["volunteer", "show", "JH000999", "--json"]);
    assert!(masked.contains("139****9000") && !masked.contains("13900139000"), "{masked}");
    assert!(!f.ok(&["volunteer", "list", "--json"]).contains("13900139000"));
    assert!(!f.ok(&["volunteer", "show", "JH000999"]).contains("13900139000"));
    let events = || {
        serde_json::from_str::<serde_json::Value>(&f.ok(&["check", "--json"])).unwrap()["events"]
            .as_u64()
            .unwrap()
    };
    let before = events();
    assert!(f.ok(&["volunteer", "show", "JH000999", "--json", "--full"]).contains("13900139000"));
    assert!(f.ok(&["volunteer", "list", "--json", "--full"]).contains("13900139000"));
    assert_eq!(events(), before + 2, "each full view is a journal entry");
    let bank = hourbank::bank::Bank::open(&f.store()).unwrap();
    assert_eq!(bank.event(before + 1).unwrap().kind().name(), "personal_data_exported");
    drop(bank);
    assert!(f.ok(&["activity", "list"]).contains("垃圾分类督导"));
    f.ok(&["reward", "restock", "大米5kg", "--qty", "2"]);
    let rewards: serde_json::Value = serde_json::from_str(&f.ok(&["reward", "list", "--json"])).unwrap();
    assert_eq!(rewards[0]["stock"], 5);
    f.ok(&["reward", "retire", "超市代金券50元"]);
    assert!(f.ok(&["reward", "list"]).contains("retired"));
    let o = hb_in(&f.store(), &["staff", "add", "--id", "S01", "--name", "小王"], "1357\n");
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(f.ok(&["staff", "list"]).contains("小王"));
    f.ok(&["staff", "disable", "S01"]);
    f.ok(&["settings", "set", "--transfer-limit", "1h"]);
    assert!(f.ok(&["settings", "show"]).contains("transfer_limit 1h"));
    assert_eq!(f.code(&["transfer", "--from", "JH000123", "--to", "JH000999", "--hours", "2"]).0, 1);

    let check: serde_json::Value = serde_json::from_str(&f.ok(&["check", "--json"])).unwrap();
    assert_eq!(check["ok"], true);
    assert_eq!(check["problems"].as_array().unwrap().len(), 0);
    assert!(check["events"].as_u64().unwrap() > 15);

    let balances = f.ok(&["export", "balances"]);
    let mut lines = balances.lines();
    assert_eq!(
        lines.next(),
        Some(
            "card_no,name,community,earned_minutes,redeemed_minutes,balance_minutes,here_minutes,received_minutes,spent_minutes"
        )
    );
    // 960 earned, 90 given away: the row adds up (earned + received - spent = balance).
    assert_eq!(lines.next(), Some("JH000123,陈华佩,白沙街道,960,0,870,870,0,90"));
    let entries = f.ok(&["export", "entries"]);
    assert!(
        entries.starts_with("seq,timestamp,card_no,kind,minutes,memo,actor,counter,served_on\n"),
        "{entries}"
    );
    assert!(entries.contains(",JH000123,reverse_redeem,150,"), "{entries}");
    // The OS user by uid, not $USER (which the test sets to "tester").
    let user =
        String::from_utf8(std::process::Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
    assert!(entries.contains(&format!(",cli:{},JM-01", user.trim())), "{entries}");
    assert!(!entries.contains("cli:tester"), "{entries}");
    // Volunteers: phones and ID numbers masked unless an admin asks for them in full, which
    // the journal records before anything is written.
    let out = f.dir.path().join("v.csv");
    f.ok(&["export", "volunteers", "--out", out.to_str().unwrap()]);
    let masked = std::fs::read_to_string(&out).unwrap();
    assert!(masked.contains("JH000999,李明,139****9000"), "{masked}");
    assert!(!masked.contains("13900139000"), "{masked}");
    let before = f.ok(&["check", "--json"]);
    let full = f.ok(&["export", "volunteers", "--full"]);
    assert!(full.contains("JH000999,李明,13900139000"), "{full}");
    let after = f.ok(&["check", "--json"]);
    let events =
        |json: &str| serde_json::from_str::<serde_json::Value>(json).unwrap()["events"].as_u64().unwrap();
    assert_eq!(events(&after), events(&before) + 1, "the full export is a journal entry");
    let bank = hourbank::bank::Bank::open(&f.store()).unwrap();
    let last = bank.event(events(&after)).unwrap();
    assert!(
        matches!(last.kind(), hourbank::domain::EventKind::PersonalDataExported { what } if what == "volunteers")
    );
    drop(bank);
    let (code, err) = f.code(&["export", "balances", "--full"]);
    assert_eq!(code, 2, "{err}");

    // The passbook: every change in order, the running balance ending at the balance above
    // (870), each step the sum of the changes so far.
    let statement = f.ok(&["export", "statement", "--card", "JH000123"]);
    let mut rows = csv::Reader::from_reader(statement.as_bytes());
    let mut running = 0i64;
    let mut last = None;
    for row in rows.records() {
        let row = row.unwrap();
        running += row[4].parse::<i64>().unwrap();
        assert_eq!(row[5].parse::<i64>().unwrap(), running, "{statement}");
        last = Some(running);
    }
    assert_eq!(last, Some(870), "{statement}");
    assert!(
        statement.starts_with("seq,date,kind,memo,change_minutes,balance_minutes,served_on\n"),
        "{statement}"
    );
    assert!(statement.contains(",750,900,2026-01-05\n"), "a late deposit names its service day: {statement}");
    assert!(statement.contains(",reversal,"), "a reversal is a line of its own: {statement}");
    assert_eq!(f.code(&["export", "statement"]).0, 2);
    assert_eq!(f.code(&["export", "balances", "--card", "JH000123"]).0, 2);
}

#[test]
fn refusals_and_bad_input_have_their_exit_codes_and_change_nothing() {
    let f = fixture();
    f.ok(&["deposit", "--card", "JH000123", "--hours", "1", "--activity", "垃圾分类督导"]);
    let before = f.snapshot();
    let cases: &[(&[&str], i32)] = &[
        (&["deposit", "--card", "NOPE", "--hours", "1", "--activity", "垃圾分类督导"], 1),
        (&["deposit", "--card", "JH000123", "--hours", "abc", "--activity", "垃圾分类督导"], 2),
        (&["deposit", "--card", "JH000123", "--minutes", "0", "--activity", "垃圾分类督导"], 2),
        (&["deposit", "--card", "JH000123", "--hours", "25", "--activity", "垃圾分类督导"], 1),
        (&["deposit", "--card", "JH000123", "--hours", "1", "--activity", "nothing"], 1),
        (
            &[
                "deposit",
                "--card",
                "JH000123",
                "--hours",
                "1",
                "--activity",
                "垃圾分类督导",
                "--date",
                "2999-01-01",
            ],
            1,
        ),
        (
            &[
                "deposit",
                "--card",
                "JH000123",
                "--hours",
                "1",
                "--activity",
                "垃圾分类督导",
                "--date",
                "yesterday",
            ],
            2,
        ),
        (
            &[
                "deposit",
                "--card",
                "JH000123",
                "--card",
                "NOPE",
                "--hours",
                "1",
                "--activity",
                "垃圾分类督导",
            ],
            1,
        ),
        (&["redeem", "--card", "JH000123", "--reward", "超市代金券50元"], 1),
        (&["redeem", "--card", "JH000123", "--reward", "大米5kg", "--qty", "0"], 2),
        (&["transfer", "--from", "JH000123", "--to", "JH000123", "--hours", "1"], 1),
        (&["reverse", "--seq", "99999", "--reason", "x"], 1),
        (&["reverse", "--seq", "3", "--reason", "registration"], 1),
        (&["adjust", "--card", "JH000124", "--minutes", "30", "--reason", "x"], 1),
        (&["volunteer", "add", "--card", "JH000123", "--name", "重复"], 1),
        (&["volunteer", "add", "--card", "JH 1", "--name", "x"], 2),
        (&["volunteer", "add", "--card", "JH2", "--name", "x", "--phone", "12ab"], 2),
        (&["reward", "add", "--name", "大米5kg", "--cost", "1"], 1),
        (&["balance", "NOPE"], 1),
    ];
    for (args, code) in cases {
        let o = f.run(args);
        assert_eq!(o.code, *code, "{args:?}: {}", o.stderr);
        assert!(o.stderr.starts_with("hourbank: "), "{args:?}: {}", o.stderr);
    }
    assert_eq!(f.snapshot(), before);
}

#[test]
fn operation_ids_make_cli_retries_safe() {
    let f = fixture();
    let args = [
        "deposit",
        "--card",
        "JH000123",
        "--hours",
        "1",
        "--activity",
        "垃圾分类督导",
        "--op-id",
        "scan-0001",
    ];
    let first = f.ok(&args);
    let second = f.ok(&args);
    assert!(second.contains("already saved earlier"), "{second}");
    assert_eq!(first.split(':').next(), second.split(':').next(), "same seq");
    let (code, err) = f.code(&[
        "deposit",
        "--card",
        "JH000123",
        "--hours",
        "2",
        "--activity",
        "垃圾分类督导",
        "--op-id",
        "scan-0001",
    ]);
    assert_eq!(code, 1, "{err}");
    let b: serde_json::Value = serde_json::from_str(&f.ok(&["balance", "JH000123", "--json"])).unwrap();
    assert_eq!(b["balance_minutes"], 60);
}

#[test]
fn a_reader_that_goes_away_is_not_a_crash() {
    let f = fixture();
    let mut csv = String::from("id,timestamp,card_no,kind,minutes,memo\n");
    for i in 0..3000 {
        csv.push_str(&format!("{i},2025-03-01 09:00,JH000123,deposit,60,入户宣传\n"));
    }
    let p = f.file("many.csv", csv.as_bytes());
    f.ok(&["import", "entries", &p]);
    for args in [
        &["history", "JH000123"][..],
        &["export", "entries"][..],
        &["volunteer", "list"][..],
        &["report", "ledger"][..],
        &["report", "statement", "--card", "JH000123"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hourbank"))
            .arg("--store")
            .arg(f.store())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut first)
            .unwrap();
        // The reader is dropped here: the rest of the output meets a closed pipe.
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!first.is_empty(), "{args:?}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
}

/// With `--json`, a failure is JSON too (scripts parse standard output); a zero duration and
/// an activity typed in pinyin initials get words a person can act on.
#[test]
fn failures_speak_json_when_asked_and_say_what_would_help() {
    let f = fixture();
    let o = f.run(&["balance", "JH999999", "--json"]);
    assert_eq!(o.code, 1);
    let v: serde_json::Value = serde_json::from_str(o.stdout.trim()).expect("stdout is JSON");
    assert_eq!(v["error"]["code"], 1);
    assert!(v["error"]["message"].as_str().unwrap().contains("JH999999"), "{v}");
    let o = f.run(&["deposit", "--card", "JH000123", "--hours", "0", "--activity", "垃圾分类督导"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("duration must be more than zero") && !o.stderr.contains("minutes must"),
        "{}",
        o.stderr
    );
    let long = "陈".repeat(70);
    let o = f.run(&["volunteer", "add", "--card", "JH000777", "--name", &long]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("at most 64 characters (70 given)"), "the limit is said: {}", o.stderr);
    let o = f.run(&["deposit", "--card", "JH000123", "--hours", "2", "--activity", "ljfl"]);
    assert_ne!(o.code, 0);
    assert!(o.stderr.contains("close matches: 垃圾分类督导"), "{}", o.stderr);
}

/// `hourbank demo` is the counter's sample bank (300 volunteers, the same seed), cleans up
/// after itself unless asked to keep it, and a fresh store raises no alarm about its files.
#[test]
fn the_demo_is_the_counters_sample_bank_and_cleans_up() {
    let tmp = tempfile::tempdir().unwrap();
    let out =
        Command::new(env!("CARGO_BIN_EXE_hourbank")).arg("demo").env("TMPDIR", tmp.path()).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("JH000300") && !text.contains("JH000301"), "300 volunteers");
    assert!(text.contains("removed"), "{text}");
    assert!(std::fs::read_dir(tmp.path()).unwrap().next().is_none(), "nothing left in the temp dir");
    let kept = Command::new(env!("CARGO_BIN_EXE_hourbank"))
        .args(["demo", "--keep", "--volunteers", "5"])
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert!(kept.status.success());
    let store = std::fs::read_dir(tmp.path()).unwrap().flatten().find(|e| e.path().is_dir()).unwrap().path();
    let o = hb_in(&store, &["balance", "JH000001"], "");
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!o.stderr.contains("warning"), "a fresh store warns about nothing: {}", o.stderr);
    assert!(String::from_utf8_lossy(&kept.stderr).is_empty(), "{}", String::from_utf8_lossy(&kept.stderr));
}

/// Every command and every option says what it does in `--help`.
#[test]
fn every_command_and_option_has_help_text() {
    use clap::CommandFactory;
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("{path} --{id}"));
            }
        }
        for sub in cmd.get_subcommands() {
            let here = format!("{path} {}", sub.get_name());
            if sub.get_about().is_none() && sub.get_long_about().is_none() {
                missing.push(here.clone());
            }
            walk(sub, &here, missing);
        }
    }
    let mut missing = Vec::new();
    walk(&hourbank::cli::Cli::command(), "hourbank", &mut missing);
    assert!(missing.is_empty(), "no help text for:\n{}", missing.join("\n"));
}
