//! A counter store made by the version before the store's reshaping (issue 26), kept as
//! `tests/fixtures/before-reshape.tar.gz` (made by `scripts/make-store-fixture.sh` with that
//! version's binary): every kind of entry a counter writes, and beside it what that version
//! printed of it. Whatever shape the store takes, today's code must open that store, read it
//! exactly as the version that wrote it did, pass `check`, and write on.

use crate::common::unpacked_fixture;

fn printed_before(dir: &std::path::Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

#[test]
fn a_store_made_before_the_reshaping_reads_as_it_did_passes_check_and_writes_on() {
    let dir = unpacked_fixture("before-reshape.tar.gz");
    let store = dir.path().join("store");
    // As the fixture was made: English, and times in UTC (exports print the local time).
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hourbank"))
            .arg("--store")
            .arg(&store)
            .args(args)
            .env("LC_ALL", "C")
            .env("TZ", "UTC")
            .env("HOURBANK_CONFIG", dir.path().join("none.toml"))
            .output()
            .expect("hourbank runs");
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{args:?}: {stdout}{stderr}");
        (stdout.into_owned(), stderr.into_owned())
    };
    let run_stderr = |args: &[&str]| run(args).1;
    let run = |args: &[&str]| run(args).0;
    // The first open upgrades it in place (schema 2: the journal is journal.copy alone), and
    // says so; the next says nothing.
    let copy_before = std::fs::read(store.join("journal.copy")).unwrap();
    let upgraded = run_stderr(&["check"]);
    assert!(upgraded.contains("upgraded in place") && upgraded.contains("entries verified"), "{upgraded}");
    assert!(
        std::fs::read(store.join("journal.copy")).unwrap() == copy_before,
        "the journal is the same bytes"
    );
    assert!(!store.join("compact-requested").exists(), "compacted at that open");
    assert!(!run_stderr(&["check"]).contains("upgraded"));
    for (export, file) in [("balances", "balances.csv"), ("points", "points.csv"), ("entries", "entries.csv")]
    {
        assert_eq!(run(&["export", export]), printed_before(dir.path(), file), "export {export}");
    }
    let history: serde_json::Value = serde_json::from_str(&run(&["history", "JH000001", "--json"])).unwrap();
    let before: serde_json::Value =
        serde_json::from_str(&printed_before(dir.path(), "history.json")).unwrap();
    assert_eq!(history, before, "a volunteer's history");

    // Written on by today's code: the new entry is there, every old one as it was.
    let balance = |out: &str| -> i64 {
        let v: serde_json::Value = serde_json::from_str(out).unwrap();
        v["balance_minutes"].as_i64().unwrap_or_else(|| panic!("no balance_minutes in {v}"))
    };
    let was = balance(&run(&["balance", "JH000002", "--json"]));
    run(&["deposit", "--card", "JH000002", "--activity", "敬老助老", "--hours", "1"]);
    assert_eq!(balance(&run(&["balance", "JH000002", "--json"])), was + 60);
    run(&["check"]);
    let entries = run(&["export", "entries"]);
    assert!(std::fs::read(store.join("journal.copy")).unwrap().starts_with(&copy_before), "written on");
    let old = printed_before(dir.path(), "entries.csv");
    assert!(entries.starts_with(&old) && entries.lines().count() == old.lines().count() + 1, "{entries}");
}

/// An upgrade stopped after it wrote the new schema (a kill, a power cut) has left sled's
/// `journal` tree behind: any later open finishes it — the tree dropped, sled compacted — and
/// the store reads as before.
#[test]
fn an_upgrade_stopped_after_the_schema_is_finished_by_the_next_open() {
    let dir = unpacked_fixture("before-reshape.tar.gz");
    let store = dir.path().join("store");
    let balance =
        |bank: &hourbank::bank::Bank| bank.find_card(&crate::common::card("JH000002")).unwrap().account;
    let (was, journal) = {
        let bank = hourbank::bank::Bank::open(&store).unwrap();
        let journal: Vec<_> = bank.store().journal_from(1).map(|e| e.unwrap()).collect();
        (balance(&bank), journal)
    };
    // sled's threads may hold its lock for a moment after the bank closed.
    let open_sled = || {
        for _ in 0..500 {
            if let Ok(db) = sled::Config::new().path(store.join("sled")).open() {
                return db;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("sled stayed locked");
    };
    {
        // What the stopped upgrade left: the schema is today's, the old tree is still there.
        let db = open_sled();
        let tree = db.open_tree("journal").unwrap();
        let first = std::fs::read(store.join("journal.copy")).unwrap();
        let len = u32::from_le_bytes(first[..4].try_into().unwrap()) as usize;
        tree.insert(1u64.to_be_bytes(), &first[4..4 + len]).unwrap();
        db.flush().unwrap();
    }
    let bank = hourbank::bank::Bank::open(&store).unwrap();
    assert_eq!(balance(&bank), was);
    assert!(bank.store().journal_from(1).map(|e| e.unwrap()).collect::<Vec<_>>() == journal);
    assert!(bank.check().unwrap().ok);
    drop(bank);
    assert!(!store.join("compact-requested").exists(), "compacted at that open");
    let db = open_sled();
    assert!(db.open_tree("journal").unwrap().is_empty(), "the tree is gone");
}
