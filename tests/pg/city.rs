//! Counters and syncs for the city tests: real stores, the real binary, the real server.

#![allow(dead_code)]

use crate::common::*;

pub fn city_init(url: &str) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hourbank"))
        .args(["city", "init", "--url", url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A store with code `code`, one volunteer and `deposits` deposits.
pub fn counter(dir: &std::path::Path, code: &str, deposits: u32) -> std::path::PathBuf {
    let path = bare_counter(dir, code);
    let bank = hourbank::bank::Bank::open(&path).unwrap();
    register(&bank, "JH000001", "陈华佩");
    let sorting = bank.find_activity("垃圾分类督导").unwrap().0;
    for i in 0..deposits {
        bank.deposit(&admin(), None, &deposit("JH000001", sorting, 30 + i)).unwrap();
    }
    path
}

/// A store with code `code` and the activity 垃圾分类督导, nobody registered.
pub fn bare_counter(dir: &std::path::Path, code: &str) -> std::path::PathBuf {
    let path = dir.join(code);
    let bank = init_in(&path);
    bank.set_counter_code(&admin(), None, &hourbank::domain::CounterCode::parse(code).unwrap()).unwrap();
    activity(&bank, "垃圾分类督导");
    path
}

pub fn sync(store: &std::path::Path, url: &str) -> (i32, String, String) {
    hourbank(store, &["sync", "--url", url], "")
}

/// A server row: seq, previous hash, hash, stored bytes.
pub type Row = (i64, Vec<u8>, Vec<u8>, Vec<u8>);

/// The server's rows for `code` after the genesis.
pub fn rows(url: &str, code: &str) -> Vec<Row> {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.query(
        "SELECT seq, prev_hash, hash, stored FROM hb_events WHERE counter = $1 AND seq > 0 ORDER BY seq",
        &[&code],
    )
    .unwrap()
    .into_iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
    .collect()
}
