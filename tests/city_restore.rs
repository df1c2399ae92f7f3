//! `hourbank restore --from-city`: a lost counter rebuilt from the city service alone (real
//! service, real PostgreSQL, the real binary) — its own events, only as far as its own key's
//! signatures vouch for them, through every check a backup's restore runs.

use crate::city;
use crate::common;
use crate::pg;

use city::*;
use common::*;
use hourbank::bank::{Bank, Mode, Op};
use hourbank::domain::EventKind;

/// `hourbank sync` at `store` through the service at `service` (shares kept at the counter).
fn sync_via(store: &std::path::Path, service: &str) -> (i32, String, String) {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_hourbank"));
    c.arg("--store").arg(store).args(["sync", "--url", service]).env("LC_ALL", "C");
    c.env("HOURBANK_CONFIG", keep_shares_config());
    let out = c.stdin(std::process::Stdio::null()).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn restore_from(target: &std::path::Path, service: &str) -> (i32, String, String) {
    hourbank(target, &["restore", "--from-city", service, "--code", "JH-A-01"], "")
}

/// Counter A (3 deposits, 陈华佩 holding 93 minutes) enrolled and synced through the service,
/// then its machine lost: only the keys kept with the admins remain (in `kept`).
fn a_lost(dir: &std::path::Path, db: &str, service: &str) -> (std::path::PathBuf, u64) {
    let a = counter(dir, "JH-A-01", 3);
    let bank = Bank::open(&a).unwrap();
    enroll(db, &bank);
    let last = bank.last_seq().unwrap();
    drop(bank);
    let (code, out, err) = sync_via(&a, service);
    assert_eq!(code, 0, "{out}{err}");
    let kept = dir.join("kept");
    std::fs::create_dir_all(&kept).unwrap();
    copy_key(&a, &kept);
    std::fs::remove_dir_all(&a).unwrap();
    for key in [hourbank::bank::pepper_path(&a), hourbank::bank::counter_key_path(&a)] {
        std::fs::remove_file(key).unwrap();
    }
    (kept, last)
}

#[test]
fn a_lost_counter_is_rebuilt_from_the_city_and_carries_on_its_own_chain() {
    let Some(db) = pg::database("restore_city") else { return };
    city_init(&db.url);
    let service = start(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let (kept, last) = a_lost(dir.path(), &db.url, &url(&service));

    let rebuilt = dir.path().join("JH-A-01-new");
    let (code, _, err) = restore_from(&rebuilt, &url(&service));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("there is no counter key at") && err.contains("JH-A-01-new.counter-key"), "{err}");
    assert!(!rebuilt.exists(), "a refused restore leaves nothing behind");

    copy_key(&kept, &rebuilt);
    let (code, out, err) = restore_from(&rebuilt, &url(&service));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("rebuilt counter JH-A-01 from the city: {last} events")), "{out}");
    let bank = Bank::open(&rebuilt).unwrap();
    assert_eq!(bank.last_seq().unwrap(), last);
    assert_eq!(bank.counter_code().unwrap().unwrap().to_string(), "JH-A-01");
    assert_eq!(balance(&bank, "JH000001"), 93);
    assert_checks(&bank);
    assert!(bank.city_catch_up().unwrap().is_some(), "it spends nothing from its shares before a sync");
    drop(bank);

    // It syncs, and its next entry continues the same chain, signed by the same key.
    let (code, out, err) = sync_via(&rebuilt, &url(&service));
    assert_eq!(code, 0, "{out}{err}");
    let bank = Bank::open(&rebuilt).unwrap();
    assert!(bank.city_catch_up().unwrap().is_none());
    let sorting = bank.find_activity("垃圾分类督导").unwrap().0;
    bank.execute(&admin(), &Op::Deposit(deposit("JH000001", sorting, 60)), Mode::commit(None)).unwrap();
    drop(bank);
    let (code, out, err) = sync_via(&rebuilt, &url(&service));
    assert_eq!(code, 0, "{out}{err}");
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let (head, _, _) = last_event(&mut sql, "JH-A-01");
    assert_eq!(head as u64, last + 1);
    city_check(&rebuilt, &db.url);
}

#[test]
fn a_rebuild_is_refused_with_another_key_or_past_an_event_its_key_never_signed() {
    let Some(db) = pg::database("restore_city_bad") else { return };
    city_init(&db.url);
    let service = start(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let (kept, _) = a_lost(dir.path(), &db.url, &url(&service));

    // Another counter's key in its place: not A's enrolled key.
    let other = bare_counter(dir.path(), "JH-B-01");
    let target = dir.path().join("wrong");
    copy_key(&other, &target);
    let (code, _, err) = restore_from(&target, &url(&service));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("is not counter JH-A-01's enrolled key") && err.contains("nothing was restored"),
        "{err}"
    );
    assert!(!target.exists());

    // Whoever holds the database login appends a deposit to A's chain: A's key never signed
    // it, so the rebuild stops there and restores nothing.
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let (_, _, event) = last_event(&mut sql, "JH-A-01");
    let (volunteer, activity) = match event.kind() {
        EventKind::Deposited { volunteer, activity, .. } => (*volunteer, *activity),
        other => panic!("A's last event is its third deposit, not {other:?}"),
    };
    let forged = append_forged(&mut sql, "JH-A-01", a_deposit(volunteer, activity, 600));
    let target = dir.path().join("JH-A-01-new");
    copy_key(&kept, &target);
    let (code, _, err) = restore_from(&target, &url(&service));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("JH-A-01 #{forged} carries no valid signature"))
            && err.contains("nothing was restored"),
        "{err}"
    );
    assert!(!target.join("sled").exists(), "nothing restored");
}
