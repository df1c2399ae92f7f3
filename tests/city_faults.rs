//! Syncs that break halfway against the real PostgreSQL: the connection cut after so many
//! bytes (by a TCP relay the test controls), the server going away mid-sync (the relay closes
//! every connection and refuses new ones, as a stopping server looks to its counters), and a
//! sync killed with SIGKILL. Each leaves whole batches only on the server, and the city's
//! directory whole or not at all in the store; the next sync completes with every event once.

use std::time::{Duration, Instant};

use crate::city;
use crate::common;
use crate::pg;
use crate::relay;

use city::*;
use common::*;
use hourbank::bank::Bank;
use hourbank::city::BATCH;

#[test]
fn a_connection_cut_midway_leaves_whole_batches_both_ways_and_the_next_sync_completes() {
    let Some(db) = pg::database("city_cut") else { return };
    city_init(&db.url);
    if !db.url.contains("host=") {
        panic!("the relay needs a key-value connection string, got {}", db.url);
    }
    let dir = tempfile::tempdir().unwrap();
    let a = big_counter(dir.path(), "JH-CUT-A");
    let total = Bank::open(&a).unwrap().last_seq().unwrap() as i64;

    // A push cut midway — once its first request's batches are stored (a request of up to
    // `PUSH_BATCHES` batches is one transaction): an error within seconds, whole batches on
    // the server.
    let relay = relay::Relay::start(&db.url);
    let through = through_service(&a, &relay.url);
    let child = spawn_sync(&a, &through);
    assert!(total > (hourbank::city::wire::PUSH_BATCHES * BATCH) as i64, "more than one request to push");
    let started = Instant::now();
    while server_head(&db.url, "JH-CUT-A").0 == 0 && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
    }
    relay.cut_now();
    let cut = Instant::now();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "a cut connection is the network's failure: {err}");
    assert!(cut.elapsed() < Duration::from_secs(20), "an error within seconds, not a hang");
    let (head, rows) = server_head(&db.url, "JH-CUT-A");
    assert!(head > 0 && head < total, "cut midway: head {head} of {total}");
    assert_eq!((rows, head % BATCH as i64), (head, 0), "whole batches only");
    let (code, _, err) = sync(&a, &db.url);
    assert_eq!(code, 0, "{err}");
    assert_eq!(server_head(&db.url, "JH-CUT-A"), (total, total), "every event once");

    // A pull through a relay that goes away mid-pull, as a stopping server would.
    let b = bare_counter(dir.path(), "JH-CUT-B");
    let relay = relay::Relay::start(&db.url);
    let through = through_service(&b, &relay.url);
    let child = spawn_sync(&b, &through);
    std::thread::sleep(Duration::from_millis(300));
    relay.cut_now();
    let out = child.wait_with_output().unwrap();
    let bank = Bank::open(&b).unwrap();
    let cards = bank.city_directory().count();
    assert!(
        out.status.code() == Some(3) || cards == 500,
        "the cut sync fails as the network's failure: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(cards == 0 || cards == 500, "the directory whole or not at all: {cards} cards");
    drop(bank);
    let (code, _, err) = sync(&b, &db.url);
    assert_eq!(code, 0, "{err}");
    let bank = Bank::open(&b).unwrap();
    assert_eq!(bank.city_directory().count(), 500);
    assert_eq!(bank.city_balance(&card("JH000007")).unwrap().total(), 80 * 30);
    assert_eq!(bank.city_head("JH-CUT-A").unwrap().0, 1, "none of A's events at B");
}

/// A joining counter's sync killed with SIGKILL at several moments: each time its copy of the
/// city's directory is whole (every card, as of one position) or not there at all — it is
/// written as one sled batch with its position — and the next sync completes.
#[test]
fn a_sync_killed_at_any_moment_takes_the_directory_whole_or_not_at_all() {
    let Some(db) = pg::database("city_kill_pull") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = big_counter(dir.path(), "JH-KP-A");
    assert_eq!(sync(&a, &db.url).0, 0);
    let mut outcomes = std::collections::BTreeSet::new();
    for (attempt, delay_ms) in [400u64, 200, 800, 100, 1600, 50].into_iter().enumerate() {
        let b = bare_counter(dir.path(), &format!("JH-KP-B{attempt}"));
        let through = through_service(&b, &db.url);
        let mut child = spawn_sync(&b, &through);
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap();
        child.wait().unwrap();
        let bank = Bank::open(&b).unwrap();
        let (position, _) = bank.city_position().unwrap();
        let cards = bank.city_directory().count();
        assert!((position, cards) == (0, 0) || (position > 0 && cards == 500), "{position}, {cards} cards");
        outcomes.insert(cards);
        drop(bank);
        let (code, _, err) = sync(&b, &db.url);
        assert_eq!(code, 0, "{err}");
        let bank = Bank::open(&b).unwrap();
        assert_eq!(bank.city_directory().count(), 500, "the next sync completes");
        assert_eq!(bank.city_balance(&card("JH000042")).unwrap().total(), 80 * 30);
    }
    eprintln!("directories left by the kills: {outcomes:?}");
}
