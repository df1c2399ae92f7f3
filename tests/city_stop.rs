//! The city server really stopped mid-sync (`pg_ctl stop -m fast` on a throwaway cluster of
//! this test's own, so no other test loses its server): the push ends as the network's failure
//! within seconds, the server holds whole batches only, and once it is back the next sync
//! completes with every event once.

use std::time::{Duration, Instant};

use crate::city;
use crate::pg;

use city::*;
use hourbank::bank::Bank;
use hourbank::city::BATCH;

#[test]
fn the_server_stopped_mid_push_leaves_whole_batches_and_the_next_sync_completes() {
    let Some(db) = pg::own_database("city_stop") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = big_counter(dir.path(), "JH-STOP");
    let total = Bank::open(&a).unwrap().last_seq().unwrap() as i64;
    let head = |url: &str| server_head(url, "JH-STOP");
    let through = through_service(&a, &db.url);
    let child = spawn_sync(&a, &through);
    while head(&db.url).0 == 0 {
        std::thread::sleep(Duration::from_millis(2));
    }
    let stopped_at = Instant::now();
    db.stop_server();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(stopped_at.elapsed() < Duration::from_secs(30), "an error within seconds, not a hang");
    db.start_server();
    let (at_stop, rows) = head(&db.url);
    if at_stop < total {
        assert_eq!(out.status.code(), Some(3), "the server's going away is the network's failure: {err}");
    }
    assert_eq!(rows, at_stop, "the rows are exactly the batches the head counts");
    assert!(at_stop == total || at_stop % BATCH as i64 == 0, "whole batches only: {at_stop}");
    let (code, _, err) = sync(&a, &db.url);
    assert_eq!(code, 0, "{err}");
    assert_eq!(head(&db.url), (total, total), "every event once");
}
