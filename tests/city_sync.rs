//! `hourbank sync` against a real PostgreSQL: a counter's journal reaches the server byte for
//! byte, a second push adds only what is new, and a store that is not the one that wrote the
//! server's rows under its code is refused with nothing pushed.

use crate::city;
use crate::common;
use crate::pg;

use common::*;
use hourbank::bank::{Bank, StoredEvent};

use city::*;

#[test]
fn a_push_stores_the_journal_byte_for_byte_and_a_second_adds_only_the_new() {
    let Some(db) = pg::database("city_push") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let s = counter(dir.path(), "JH-LL-01", 5);
    let (code, out, err) = sync(&s, &db.url);
    assert_eq!(code, 0, "{err}");
    let bank = Bank::open(&s).unwrap();
    let last = bank.last_seq().unwrap();
    assert!(out.contains(&format!("pushed {last} events of JH-LL-01")), "{out}");
    let server = rows(&db.url, "JH-LL-01");
    assert_eq!(server.len() as u64, last);
    // Byte for byte, and every chain link re-checks from the server's rows alone.
    let local: Vec<(u64, Vec<u8>)> = bank.stored_events_from(1).map(Result::unwrap).collect();
    let mut prev = [0u8; 32];
    for ((seq, prev_hash, hash, stored), (lseq, lvalue)) in server.iter().zip(&local) {
        assert_eq!((*seq as u64, stored), (*lseq, lvalue), "seq {seq} differs");
        let s = StoredEvent::split(stored).unwrap();
        assert!(s.follows(&prev) && prev_hash.as_slice() == prev && hash.as_slice() == s.hash(), "seq {seq}");
        prev = s.hash();
    }
    drop(bank);
    // Twice: nothing more; one more deposit: exactly one more.
    let (_, out, _) = sync(&s, &db.url);
    assert!(out.contains("pushed 0 events"), "{out}");
    hourbank_ok(&s, &["deposit", "--card", "JH000001", "--activity", "垃圾分类督导", "--hours", "1"], "");
    let (_, out, _) = sync(&s, &db.url);
    assert!(
        out.contains(&format!("pushed 1 events of JH-LL-01 (server head #{last} → #{})", last + 1)),
        "{out}"
    );
    assert_eq!(rows(&db.url, "JH-LL-01").len() as u64, last + 1);
}

#[test]
fn another_store_under_the_same_code_is_refused_naming_counter_and_seq() {
    let Some(db) = pg::database("city_fork") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let first = counter(dir.path(), "JH-LL-02", 3);
    assert_eq!(sync(&first, &db.url).0, 0);
    let before = rows(&db.url, "JH-LL-02");
    let other_dir = tempfile::tempdir().unwrap();
    let second = counter(other_dir.path(), "JH-LL-02", 4);
    let (code, _, err) = sync(&second, &db.url);
    assert_eq!(code, 1, "{err}");
    // The second store's key is not the one enrolled under the code: refused at the door.
    assert!(err.contains("not enrolled") || err.contains("not counter JH-LL-02's enrolled key"), "{err}");
    assert_eq!(rows(&db.url, "JH-LL-02"), before, "the server is unchanged by the fork");
    // A counter configured with the database's URL is told what to do instead.
    let (code, _, err) = sync_direct(&first, &db.url);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("counters reach the city through its service") && err.contains("city enroll"),
        "{err}"
    );
    assert!(
        !err.contains("dbname=") && !err.contains("user="),
        "the URL (maybe with a password) is not echoed: {err}"
    );
    // The service may also come from the settings file's [sync] url.
    let city = through_service(&first, &db.url);
    let config = dir.path().join("config.toml");
    std::fs::write(&config, format!("[sync]\nurl = \"{city}\"\nfloat_minutes = 4294967295\n")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hourbank"))
        .arg("--store")
        .arg(&first)
        .arg("sync")
        .env("HOURBANK_CONFIG", &config)
        .env_remove("HOURBANK_CITY_URL")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("pushed 0 events of JH-LL-02"));
    let empty = dir.path().join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hourbank"))
        .arg("--store")
        .arg(&first)
        .arg("sync")
        .env("HOURBANK_CONFIG", &empty)
        .env_remove("HOURBANK_CITY_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[sync]"), "says where a URL can come from");
    // And a store without a code is told how to get one.
    let plain = dir.path().join("plain");
    drop(init_in(&plain));
    let (code, _, err) = sync(&plain, &db.url);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("hourbank code set"), "{err}");
}

/// A push killed with SIGKILL leaves whole batches on the server and nothing half-written;
/// the next push goes on from the server's head and ends with every event once.
#[test]
fn a_push_killed_midway_leaves_whole_batches_and_the_next_completes() {
    let Some(db) = pg::database("city_kill_push") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let path = big_counter(dir.path(), "JH-KILL");
    // Three requests' worth (a request carries up to `PUSH_BATCHES` batches): killed once the
    // first is stored, the counter leaves the last unsent even if the second was on its way
    // (the service stores what it was sent).
    more_deposits(&path, 80);
    let total = Bank::open(&path).unwrap().last_seq().unwrap();
    let request = (hourbank::city::wire::PUSH_BATCHES * hourbank::city::BATCH) as u64;
    assert!(total > 2 * request, "{total} events: more than two requests");

    let through = through_service(&path, &db.url);
    let mut child = spawn_sync(&path, &through);
    // Polled on one kept connection: a new connection for each poll would see the head move late.
    let mut c = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let mut head = || -> i64 {
        c.query_opt("SELECT head_seq FROM hb_counters WHERE code = 'JH-KILL'", &[])
            .unwrap()
            .map_or(0, |r| r.get(0))
    };
    // Kill it once the first request is in.
    while head() == 0 && child.try_wait().unwrap().is_none() {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // A batch the counter sent just before it died may still be committed by the service
    // (it does not know the counter is gone): wait until the head stays put.
    let mut at_kill = head();
    loop {
        std::thread::sleep(std::time::Duration::from_millis(300));
        let now = head();
        if now == at_kill {
            break;
        }
        at_kill = now;
    }
    let rows_at_kill = server_head(&db.url, "JH-KILL").1;
    assert!(at_kill > 0 && (at_kill as u64) < total, "killed midway: head {at_kill} of {total}");
    assert_eq!(rows_at_kill, at_kill, "the rows are exactly the batches the head counts");
    assert_eq!(at_kill % hourbank::city::BATCH as i64, 0, "whole batches only");

    let (code, out, err) = sync(&path, &db.url);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("server head #{at_kill} → #{total}")), "{out}");
    let server = rows(&db.url, "JH-KILL");
    assert_eq!(server.len() as u64, total, "every event once");
    let mut prev = [0u8; 32];
    for (seq, _, _, stored) in &server {
        let s = StoredEvent::split(stored).unwrap();
        assert!(s.follows(&prev), "chain at {seq}");
        prev = s.hash();
    }
}
