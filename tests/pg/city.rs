//! Counters and syncs for the city tests: real stores, the real binary, the real server.

#![allow(dead_code)]

use crate::common::*;
use hourbank::bank::{Mode, Op};

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
        bank.execute(&admin(), &Op::Deposit(deposit("JH000001", sorting, 30 + i)), Mode::commit(None))
            .unwrap();
    }
    path
}

/// Counter `code` with 500 volunteers and 80 batch deposits: about 40,500 events.
pub fn big_counter(dir: &std::path::Path, code: &str) -> std::path::PathBuf {
    let path = bare_counter(dir, code);
    let bank = hourbank::bank::Bank::open(&path).unwrap();
    for i in 0..500 {
        register(&bank, &format!("JH{i:06}"), "志愿者");
    }
    drop(bank);
    more_deposits(&path, 80);
    path
}

/// `rounds` more batch deposits of 30 minutes to each of [`big_counter`]'s 500 volunteers:
/// 500 events a round.
pub fn more_deposits(store: &std::path::Path, rounds: u32) {
    let bank = hourbank::bank::Bank::open(store).unwrap();
    let batch = hourbank::bank::BatchDeposit {
        cards: (0..500).map(|i| card(&format!("JH{i:06}"))).collect(),
        activity: bank.find_activity("垃圾分类督导").unwrap().0,
        minutes: hourbank::domain::Minutes::new(30),
        served_on: None,
        note: String::new(),
    };
    for _ in 0..rounds {
        bank.execute(&admin(), &Op::DepositBatch(batch.clone()), Mode::commit(None)).unwrap();
    }
}

/// A store with code `code` and the activity 垃圾分类督导, nobody registered.
pub fn bare_counter(dir: &std::path::Path, code: &str) -> std::path::PathBuf {
    let path = dir.join(code);
    let bank = init_in(&path);
    bank.set_counter_code(&admin(), None, &hourbank::domain::CounterCode::parse(code).unwrap()).unwrap();
    activity(&bank, "垃圾分类督导");
    path
}

/// `hourbank sync` keeping every share at its counter (a float larger than any balance): the
/// journals flow as they did before the escrow, so the transport's tests count exactly the
/// entries they made. The escrow's tests use [`sync_releasing`].
pub fn sync(store: &std::path::Path, url: &str) -> (i32, String, String) {
    run_sync(store, url, Some(keep_shares_config()))
}

/// [`sync`] given the database's URL itself, as counters were configured before the service
/// (now refused, saying what to do instead).
pub fn sync_direct(store: &std::path::Path, url: &str) -> (i32, String, String) {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_hourbank"));
    c.arg("--store").arg(store).args(["sync", "--url", url]).env("LC_ALL", "C");
    c.env("HOURBANK_CONFIG", keep_shares_config());
    let out = c.stdin(std::process::Stdio::null()).output().expect("hourbank runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `hourbank city check` at `store` against the database at `url` passes: the whole city
/// re-verified from nothing.
pub fn city_check(store: &std::path::Path, url: &str) {
    let (code, out, err) = crate::common::hourbank(store, &["city", "check", "--url", url], "");
    assert_eq!(code, 0, "city check: {out}{err}");
}

/// Counter `code` on the database at `url`: its head (0 before its first push) and how many of
/// its events the database holds.
pub fn server_head(url: &str, code: &str) -> (i64, i64) {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let head: i64 = c
        .query_opt("SELECT head_seq FROM hb_counters WHERE code = $1", &[&code])
        .unwrap()
        .map_or(0, |r| r.get(0));
    let rows: i64 = c
        .query_one("SELECT count(*) FROM hb_events WHERE counter = $1 AND seq > 0", &[&code])
        .unwrap()
        .get(0);
    (head, rows)
}

/// `hourbank sync` through `through` (a service's URL) at `store`, as a child the test may cut
/// off or kill: shares kept at the counter, messages in English, standard error piped.
pub fn spawn_sync(store: &std::path::Path, through: &str) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_hourbank"))
        .arg("--store")
        .arg(store)
        .args(["sync", "--url", through])
        .env("HOURBANK_CONFIG", keep_shares_config())
        .env("LC_ALL", "C")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("hourbank runs")
}

/// A settings file whose float keeps every share at its counter (for `$HOURBANK_CONFIG`).
pub fn keep_shares_config() -> &'static std::path::Path {
    static KEEP: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    KEEP.get_or_init(|| {
        let path = std::env::temp_dir().join(format!("hb-keep-shares-{}.toml", std::process::id()));
        std::fs::write(&path, "[sync]\nfloat_minutes = 4294967295\n").unwrap();
        path
    })
}

/// `hourbank sync` as a counter does by default: every share above the float (0) goes to the
/// cards' city pools.
pub fn sync_releasing(store: &std::path::Path, url: &str) -> (i32, String, String) {
    run_sync(store, url, None)
}

fn run_sync(store: &std::path::Path, url: &str, config: Option<&std::path::Path>) -> (i32, String, String) {
    let url = &through_service(store, url);
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_hourbank"));
    c.arg("--store").arg(store).args(["sync", "--url", url]).env("LC_ALL", "C");
    match config {
        Some(path) => c.env("HOURBANK_CONFIG", path),
        None => c.env("HOURBANK_CONFIG", std::env::temp_dir().join("hb-no-such-config.toml")),
    };
    let out = c.stdin(std::process::Stdio::null()).output().expect("hourbank runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The city service of the database at `db` (started in this process the first time, on a
/// free loopback port, and kept while the tests run), as counters reach the city now. A URL
/// that names a service already, or `HOURBANK_TEST_DIRECT_SQL` set, is left as it is.
pub fn service_url(db: &str) -> String {
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    static SERVICES: Mutex<BTreeMap<String, (String, hourbank::city::service::Running)>> =
        Mutex::new(BTreeMap::new());
    if hourbank::city::is_service_url(db) {
        return db.to_string();
    }
    let mut services = SERVICES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((url, _)) = services.get(db) {
        return url.clone();
    }
    let running = hourbank::city::service::start(hourbank::city::service::ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        db: db.to_string(),
        city_key: city_signing_key().verifying_key(),
        tls: None,
        cache: None,
    })
    .expect("the city service starts");
    let url = format!("http://{}", running.addr);
    services.insert(db.to_string(), (url.clone(), running));
    url
}

/// Enrolls the counter at `store` (its code and key as `hourbank code show` prints them) in the
/// city at `db` and returns the service's URL; `db` itself when it is a service already or the
/// test asks for the database path (`HOURBANK_TEST_DIRECT_SQL`).
pub fn through_service(store: &std::path::Path, db: &str) -> String {
    if hourbank::city::is_service_url(db) || std::env::var_os("HOURBANK_TEST_DIRECT_SQL").is_some() {
        return db.to_string();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hourbank"))
        .arg("--store")
        .arg(store)
        .args(["code", "show"])
        .output()
        .expect("hourbank runs");
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    if let Some((code, key)) = shown.trim().split_once(' ')
        && let (Ok(code), Some(key)) =
            (hourbank::domain::CounterCode::parse(code), hourbank::bank::parse_public(key))
        && let Ok(mut admin) = hourbank::city::Server::connect(db)
    {
        // Another key under an enrolled code (a second store under the same code) stays
        // unenrolled: the service refuses it, as it must.
        let _ = admin.enroll(&code, &key, &city_signing_key());
    }
    service_url(db)
}

/// `hourbank` with the city in `$HOURBANK_CITY_URL`, as a counter configured for one: the
/// database's service (enrolling the counter), or `url` itself when it names a service.
pub fn with_city(store: &std::path::Path, url: &str, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hourbank"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env("LC_ALL", "C")
        .env("HOURBANK_CITY_URL", through_service(store, url))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
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

/// The server's last event of `code`: seq, hash and the event.
pub fn last_event(sql: &mut postgres::Client, code: &str) -> (i64, [u8; 32], hourbank::domain::Event) {
    let row = sql
        .query_one(
            "SELECT seq, hash, stored FROM hb_events WHERE counter = $1 ORDER BY seq DESC LIMIT 1",
            &[&code],
        )
        .unwrap();
    let seq: i64 = row.get(0);
    let hash: Vec<u8> = row.get(1);
    let stored: Vec<u8> = row.get(2);
    (seq, hash.try_into().unwrap(), hourbank::store::decode_stored(seq as u64, &stored).unwrap())
}

/// Appends `kind` to `code`'s chain on the server as the next event, linked as a real one would
/// be (blake3 is a checksum anyone can compute), and moves the counter's head.
pub fn append_forged_signed(
    sql: &mut postgres::Client,
    code: &str,
    kind: hourbank::domain::EventKind,
    key: &hourbank::bank::CounterKey,
) -> i64 {
    let seq = append_forged(sql, code, kind);
    let hash: Vec<u8> = sql
        .query_one("SELECT hash FROM hb_events WHERE counter = $1 AND seq = $2", &[&code, &seq])
        .unwrap()
        .get(0);
    let signature =
        key.sign(&hourbank::city::wire::head_message(code, seq as u64, &hash.try_into().unwrap()));
    sql.execute(
        "INSERT INTO hb_signatures (counter, seq, signature) VALUES ($1, $2, $3)",
        &[&code, &seq, &signature.to_vec()],
    )
    .unwrap();
    seq
}

/// Appends `kind` to `code`'s chain on the server as the next event, linked as a real one would
/// be, and moves the counter's head; unsigned (see [`append_forged_signed`]).
pub fn append_forged(sql: &mut postgres::Client, code: &str, kind: hourbank::domain::EventKind) -> i64 {
    let (seq, prev, mut event) = last_event(sql, code);
    event.body.seq = seq as u64 + 1;
    event.body.origin = hourbank::domain::Origin::Direct;
    event.body.kind = kind;
    let (hash, stored) = hourbank::store::encode_event(&prev, &event.body).unwrap();
    sql.execute(
        "INSERT INTO hb_events (counter, seq, prev_hash, hash, stored) VALUES ($1, $2, $3, $4, $5)",
        &[&code, &(seq + 1), &prev.to_vec(), &hash.to_vec(), &stored],
    )
    .unwrap();
    sql.execute("UPDATE hb_counters SET head_seq = $2 WHERE code = $1", &[&code, &(seq + 1)]).unwrap();
    past_the_lists_freshness();
    seq + 1
}

/// Waits until a row written past the service shows in its counters list: each instance answers
/// from a copy at most 250 ms old (`service::state`).
pub fn past_the_lists_freshness() {
    std::thread::sleep(std::time::Duration::from_millis(300));
}

/// `url` (key-value or URL form) logging in as `user` instead.
pub fn as_user(url: &str, user: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let host = rest.split_once('@').map_or(rest, |(_, h)| h);
        format!("{scheme}://{user}@{host}")
    } else {
        let kept: Vec<&str> = url.split_whitespace().filter(|kv| !kv.starts_with("user=")).collect();
        format!("{} user={user}", kept.join(" "))
    }
}

/// The city service on a free loopback port, in this process.
pub fn start(db: &str) -> hourbank::city::service::Running {
    hourbank::city::service::start(hourbank::city::service::ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        db: db.to_string(),
        city_key: city_signing_key().verifying_key(),
        tls: None,
        cache: None,
    })
    .expect("the service starts")
}

pub fn url(running: &hourbank::city::service::Running) -> String {
    format!("http://{}", running.addr)
}

/// Enrolls the counter with its own key, as the city's admin does.
pub fn enroll(db: &str, bank: &hourbank::bank::Bank) {
    let code = bank.counter_code().unwrap().unwrap();
    let key = bank.counter_key().unwrap().unwrap().verifying_key();
    hourbank::city::Server::connect(db).unwrap().enroll(&code, &key, &city_signing_key()).unwrap();
}

/// Signed requests made by hand, for requests a real counter would never make and answers a
/// test reads as they come (status, headers, body).
pub struct Raw<'a> {
    pub base: String,
    pub key: &'a hourbank::bank::CounterKey,
    pub code: &'a str,
}

/// An answer as it came.
pub struct RawAnswer {
    pub status: u16,
    pub etag: Option<String>,
    pub body: String,
}

impl Raw<'_> {
    pub fn post(&self, path: &str, body: &[u8]) -> (u16, String) {
        let a = self.request("POST", path, body, &[]);
        (a.status, a.body)
    }

    /// A signed request with `extra` headers besides the signature's.
    pub fn request(&self, method: &str, path: &str, body: &[u8], extra: &[(&str, &str)]) -> RawAnswer {
        self.request_with_nonce(method, path, body, extra, &format!("{:032x}", rand::random::<u128>()))
    }

    /// [`Raw::request`] with the nonce given (to send one twice).
    pub fn request_with_nonce(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        extra: &[(&str, &str)],
        nonce: &str,
    ) -> RawAnswer {
        use hourbank::city::wire;
        let time = chrono::Utc::now().timestamp_millis();
        let nonce = nonce.to_string();
        let signature = self.key.sign(&wire::request_message(method, path, time, &nonce, body));
        let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
        let headers = [
            (wire::HEADER_COUNTER, self.code.to_string()),
            (wire::HEADER_TIME, time.to_string()),
            (wire::HEADER_NONCE, nonce),
            (wire::HEADER_SIGNATURE, data_encoding::BASE64.encode(&signature)),
        ];
        let target = format!("{}{path}", self.base);
        let answer = if method == "GET" {
            let mut r = agent.get(&target);
            for (k, v) in headers.iter().map(|(k, v)| (*k, v.as_str())).chain(extra.iter().copied()) {
                r = r.header(k, v);
            }
            r.call()
        } else {
            let mut r = agent.post(&target);
            for (k, v) in headers.iter().map(|(k, v)| (*k, v.as_str())).chain(extra.iter().copied()) {
                r = r.header(k, v);
            }
            r.send(body)
        };
        let mut answer = answer.unwrap();
        let etag = answer.headers().get("etag").and_then(|v| v.to_str().ok()).map(str::to_string);
        RawAnswer {
            status: answer.status().as_u16(),
            etag,
            body: answer.body_mut().read_to_string().unwrap(),
        }
    }
}

/// A deposit event as a forger writes one: `minutes` for `volunteer` at `activity`, served on
/// a fixed day.
pub fn a_deposit(volunteer: u64, activity: u64, minutes: u32) -> hourbank::domain::EventKind {
    hourbank::domain::EventKind::Deposited {
        volunteer,
        activity,
        minutes: hourbank::domain::Minutes::new(minutes),
        served_on: hourbank::domain::Day::parse("2026-11-28").unwrap(),
        note: String::new(),
    }
}

/// A city on its own database, its service, and counters A and B enrolled in it (their store
/// paths too, for tests that run the binary on them or open them again). The database, the
/// service and the stores' folder last as long as they are bound: bind them all.
pub struct TwoCounters {
    pub db: crate::pg::TestDb,
    pub service: hourbank::city::service::Running,
    pub base: String,
    pub dir: tempfile::TempDir,
    pub a: hourbank::bank::Bank,
    pub b: hourbank::bank::Bank,
    pub a_store: std::path::PathBuf,
    pub b_store: std::path::PathBuf,
}

/// [`TwoCounters`] on a fresh database named for `test` (none: no server, as `pg::database`).
pub fn two_counters(test: &str) -> Option<TwoCounters> {
    let db = crate::pg::database(test)?;
    city_init(&db.url);
    let service = start(&db.url);
    let base = url(&service);
    let dir = tempfile::tempdir().unwrap();
    let (a_store, b_store) = (bare_counter(dir.path(), "JH-A-01"), bare_counter(dir.path(), "JH-B-01"));
    let a = hourbank::bank::Bank::open(&a_store).unwrap();
    let b = hourbank::bank::Bank::open(&b_store).unwrap();
    enroll(&db.url, &a);
    enroll(&db.url, &b);
    Some(TwoCounters { db, service, base, dir, a, b, a_store, b_store })
}
