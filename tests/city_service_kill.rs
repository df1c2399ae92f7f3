//! The real `hourbank city serve` killed with SIGKILL while a counter pushes through it: the
//! database holds whole signed batches only, the counter's sync ends with the network's failure
//! within seconds, and a service started again completes the push with every event once.

use std::time::Duration;

use crate::city;
use crate::common;
use crate::pg;

use city::*;
use hourbank::bank::Bank;

/// A free loopback port (bound, read, released: the service binds it a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn serve(db: &str, port: u16) -> std::process::Child {
    serve_with_temp(db, port, &std::env::temp_dir())
}

/// The service with `temp` as its temporary folder, where it makes its cache.
fn serve_with_temp(db: &str, port: u16, temp: &std::path::Path) -> std::process::Child {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_hourbank"))
        .args(["city", "serve", "--listen", &format!("127.0.0.1:{port}"), "--db", db])
        .env("TMPDIR", temp)
        .args(["--city-key", &common::city_key_text()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "the service listens");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

#[test]
fn the_service_killed_mid_push_leaves_whole_signed_batches_and_a_restarted_one_completes() {
    let Some(db) = pg::database("svc_kill") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = big_counter(dir.path(), "JH-KILL");
    let total = Bank::open(&a).unwrap().last_seq().unwrap() as i64;
    through_service(&a, &db.url); // enrolled
    let head = || -> (i64, i64, i64) {
        let (head, rows) = server_head(&db.url, "JH-KILL");
        let mut c = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
        let signed: i64 = c
            .query_one("SELECT coalesce(max(seq), 0) FROM hb_signatures WHERE counter = 'JH-KILL'", &[])
            .unwrap()
            .get(0);
        (head, rows, signed)
    };
    let port = free_port();
    let mut service = serve(&db.url, port);
    let url = format!("http://127.0.0.1:{port}");
    let counter = std::process::Command::new(env!("CARGO_BIN_EXE_hourbank"))
        .arg("--store")
        .arg(&a)
        .args(["sync", "--url", &url])
        .env("HOURBANK_CONFIG", keep_shares_config())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    while head().0 == 0 {
        std::thread::sleep(Duration::from_millis(2));
    }
    service.kill().unwrap();
    service.wait().unwrap();
    let out = counter.wait_with_output().unwrap();
    let (at_kill, rows, signed) = head();
    if at_kill < total {
        assert_ne!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(rows, at_kill, "the rows are exactly the batches the head counts");
    assert_eq!(signed, at_kill, "the last stored batch is signed");
    // Started again (on another port), the next sync completes with every event once.
    let port = free_port();
    let mut service = serve(&db.url, port);
    let (code, _, err) = sync(&a, &format!("http://127.0.0.1:{port}"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(head(), (total, total, total), "every event once, signed to the end");
    service.kill().unwrap();
    service.wait().unwrap();
    city_check(&a, &db.url);
}

/// A service killed cannot remove the cache folder it made; the next service to start removes
/// it, and leaves alone the folder of one still running. (Before, every killed service left its
/// folder in the temporary folder for good: 55 after one run of the tests.)
#[test]
fn a_killed_services_cache_is_removed_by_the_next_service_to_start() {
    let Some(db) = pg::database("svc_cache") else { return };
    city_init(&db.url);
    let temp = tempfile::tempdir().unwrap();
    let caches = || -> Vec<std::path::PathBuf> {
        let mut found: Vec<_> = std::fs::read_dir(temp.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("hourbank-city-cache-"))
            .map(|e| e.path())
            .collect();
        found.sort();
        found
    };
    let first = Killed(serve_with_temp(&db.url, free_port(), temp.path()));
    let killed = caches();
    assert_eq!(killed.len(), 1, "a cache folder per service: {killed:?}");
    drop(first);
    assert_eq!(caches(), killed, "SIGKILL leaves it");

    let _second = Killed(serve_with_temp(&db.url, free_port(), temp.path()));
    let running = caches();
    assert_eq!(running.len(), 1, "{running:?}");
    assert_ne!(running, killed, "the killed service's folder is gone, the new one's made");
    let _third = Killed(serve_with_temp(&db.url, free_port(), temp.path()));
    let both = caches();
    assert_eq!(both.len(), 2, "a running service's folder stays: {both:?}");
    assert!(both.contains(&running[0]));
}

/// A service SIGKILLed when dropped, so a failed assertion does not leave it running.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
