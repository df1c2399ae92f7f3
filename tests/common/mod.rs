//! Helpers shared by the integration tests: a bank on a temporary store with a fixed clock.
#![allow(dead_code)]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use hourbank::bank::{Bank, Deposit, Mode, NewReward, NewStaff, Op, VolunteerForm};
use hourbank::domain::{Actor, CardNo, Minutes, Name, Phone, RewardKind, Role, StaffId};
use tempfile::TempDir;

/// The tests' city key (fixed: every test city's enrollments are signed by it; a test that
/// attacks enrollment signs with another).
pub fn city_signing_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[0x5c; 32])
}

/// Its public half as `hourbank city keygen` prints it (`--city-key`, `$HOURBANK_CITY_KEY`).
pub fn city_key_text() -> String {
    hourbank::bank::public_text(&city_signing_key().verifying_key())
}

/// The tests' city key as a key file (0400), as `city enroll --city-signing-key` reads it.
pub fn city_signing_key_file() -> &'static std::path::Path {
    static FILE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let dir = FILE.get_or_init(|| {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o400)
            .open(dir.path().join("city.key"))
            .unwrap();
        f.write_all(&city_signing_key().to_bytes()).unwrap();
        dir
    });
    // Leaked with the process: a OnceLock's value is never dropped.
    Box::leak(dir.path().join("city.key").into_boxed_path())
}

/// A fixture kept in `tests/fixtures` (a `.tar.gz` of stores made by an older version),
/// unpacked into a directory of its own.
pub fn unpacked_fixture(file: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(file);
    let status =
        std::process::Command::new("tar").arg("-xzf").arg(&fixture).arg("-C").arg(dir.path()).status();
    assert!(status.unwrap().success(), "the fixture {file} unpacks");
    dir
}

pub fn admin() -> Actor {
    Actor::Cli("test".into())
}

/// A fresh store with admin `A01` (PIN 1234) and a clock fixed at 2026-11-29 02:00 UTC.
pub fn new_bank() -> (TempDir, Bank) {
    let dir = tempfile::tempdir().expect("tempdir");
    let bank = init_in(dir.path());
    (dir, bank)
}

/// A store in a new temporary folder with 陈华佩 (JH000001), 李明 (JH000002) and the activity
/// 入户宣传, closed, for tests that go on through the binary.
pub fn store_with_two_volunteers() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let bank = init_in(&path);
    register(&bank, "JH000001", "陈华佩");
    register(&bank, "JH000002", "李明");
    activity(&bank, "入户宣传");
    (dir, path)
}

pub fn init_in(path: &std::path::Path) -> Bank {
    let staff = NewStaff {
        id: StaffId::parse("A01").unwrap(),
        name: Name::parse("管理员").unwrap(),
        role: Role::Admin,
        pin: "1234".into(),
    };
    Bank::init(path, &Name::parse("JM-01").unwrap(), staff, &admin()).expect("init").with_clock(fixed_clock())
}

pub fn fixed_clock() -> hourbank::bank::Clock {
    Arc::new(|| Utc.with_ymd_and_hms(2026, 11, 29, 2, 0, 0).unwrap())
}

pub fn card(s: &str) -> CardNo {
    CardNo::parse(s).unwrap()
}

pub fn register(bank: &Bank, c: &str, name: &str) -> u64 {
    let form = VolunteerForm {
        card: card(c),
        name: Name::parse(name).unwrap(),
        phone: Phone::parse_optional("13800138000").unwrap(),
        community: "白沙街道".into(),
        registered_on: None,
        id_number: None,
    };
    bank.register_volunteer(&admin(), None, &form).expect("register").seq()
}

/// The form of volunteer `name` with card `c`, a full phone and an ID number (for tests of who
/// may see them), in 白沙街道.
pub fn person(c: &str, name: &str, phone: &str, id_number: &str) -> VolunteerForm {
    VolunteerForm {
        card: card(c),
        name: Name::parse(name).unwrap(),
        phone: Phone::parse_optional(phone).unwrap(),
        community: "白沙街道".into(),
        registered_on: None,
        id_number: hourbank::domain::IdNumber::parse_optional(id_number).unwrap(),
    }
}

/// Registers `form` at `bank` and records `minutes` of 垃圾分类督导 for them.
pub fn register_with_hours(bank: &Bank, form: &VolunteerForm, minutes: u32) {
    bank.register_volunteer(&admin(), None, form).expect("register");
    let sorting = bank.find_activity("垃圾分类督导").unwrap().0;
    bank.execute(&admin(), &Op::Deposit(deposit(form.card.as_str(), sorting, minutes)), Mode::commit(None))
        .expect("deposit");
}

pub fn activity(bank: &Bank, name: &str) -> u64 {
    bank.add_activity(&admin(), None, &Name::parse(name).unwrap(), "环保").expect("activity").seq()
}

pub fn reward(bank: &Bank, name: &str, hours: u32, stock: Option<u32>) -> u64 {
    let r = NewReward {
        name: Name::parse(name).unwrap(),
        kind: RewardKind::Gift,
        cost: Minutes::from_hours(hours),
        stock,
        course_date: None,
        merchant: String::new(),
    };
    bank.add_reward(&admin(), None, &r).expect("reward").seq()
}

pub fn deposit(c: &str, activity: u64, minutes: u32) -> Deposit {
    Deposit { card: card(c), activity, minutes: Minutes::new(minutes), served_on: None, note: String::new() }
}

pub fn balance(bank: &Bank, c: &str) -> u64 {
    bank.find_card(&card(c)).expect("card").account.balance()
}

/// Asserts `check` passes and returns the event count.
pub fn assert_checks(bank: &Bank) -> u64 {
    let report = bank.check().expect("check runs");
    assert!(report.ok, "check failed: {:?}", report.problems);
    report.events
}

/// Runs the real `hourbank` binary on `store` with `stdin`: exit code, stdout, stderr.
pub fn hourbank(store: &std::path::Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_hourbank"))
        .arg("--store")
        .arg(store)
        .args(args)
        // English messages whatever the machine's locale (the language tests set their own).
        .env("LC_ALL", "C")
        // The tests' city key, for `city check` (other commands do not read it).
        .env("HOURBANK_CITY_KEY", city_key_text())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hourbank");
    // The program may exit before reading its input (a refused argument): ignore a broken pipe.
    let _ = child.stdin.take().expect("stdin").write_all(stdin.as_bytes());
    let out = child.wait_with_output().expect("hourbank runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// As [`hourbank`], asserting it succeeded; returns what it printed.
pub fn hourbank_ok(store: &std::path::Path, args: &[&str], stdin: &str) -> String {
    let (code, out, err) = hourbank(store, args, stdin);
    assert_eq!(code, 0, "hourbank {args:?}: {err}");
    out
}

/// Puts the PIN key file of the store at `from` beside the store at `to`, as an admin does
/// before restoring a backup on another machine (a backup is authenticated by it).
pub fn copy_key(from: &std::path::Path, to: &std::path::Path) {
    let key = hourbank::bank::pepper_path(to);
    let _ = std::fs::remove_file(&key);
    std::fs::copy(hourbank::bank::pepper_path(from), key).expect("copy the PIN key file");
    // A counter in a city has its signing key beside the store too (kept with the admins).
    let signing = hourbank::bank::counter_key_path(from);
    if signing.exists() {
        let to = hourbank::bank::counter_key_path(to);
        let _ = std::fs::remove_file(&to);
        std::fs::copy(signing, to).expect("copy the counter's signing key");
    }
}

/// Copies a store directory (a closed store) file by file; a control socket is left out.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else if entry.file_name() != "control.sock" {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The name the test harness knows test `test` of module `module` (`module_path!()`) by, to run
/// just that one in a child process with `--exact`: the module's path without the crate's name
/// (the test files are modules of a suite binary).
pub fn test_name(module: &str, test: &str) -> String {
    match module.split_once("::") {
        Some((_, path)) => format!("{path}::{test}"),
        None => test.to_string(),
    }
}

/// A points standard in force from 2026-01-01: items (code, points, waits for review), in 环境卫生,
/// no caps.
pub fn points_standard(items: &[(&str, u32, bool)]) -> hourbank::domain::Standard {
    use hourbank::domain::{Day, Points, Standard, StandardItem};
    Standard {
        effective: Day::parse("2026-01-01").unwrap(),
        review_over: None,
        items: items
            .iter()
            .map(|(code, points, review)| StandardItem {
                code: code.to_string(),
                category: "环境卫生".into(),
                name: Name::parse(code).unwrap(),
                points: Points::new(*points),
                day_cap: None,
                month_cap: None,
                review: *review,
            })
            .collect(),
    }
}

/// The records of a store's `journal.copy`, without the room of zeros the store writes ahead of
/// them (asserted to be zeros).
pub fn journal_file(store: &std::path::Path) -> Vec<u8> {
    let mut bytes = std::fs::read(store.join("journal.copy")).expect("the journal copy exists");
    let mut at = 0;
    while let Some(word) = bytes.get(at..at + 4) {
        let len = u32::from_le_bytes(word.try_into().unwrap()) as usize;
        if len == 0 || at + 4 + len > bytes.len() {
            break;
        }
        at += 4 + len;
    }
    assert!(bytes[at..].iter().all(|b| *b == 0), "journal.copy: bytes past its records at {at}");
    bytes.truncate(at);
    bytes
}
