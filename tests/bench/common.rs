//! What the city benches share: a coded counter, a fresh city database, a counter enrolled, the
//! city service started in the bench's process, and the binary `COPY` baseline a push is
//! measured against.

#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use hourbank::bank::{Bank, NewStaff};
use hourbank::city::Server;
use hourbank::city::service::{self, Running, ServeOptions};
use hourbank::domain::{Actor, CounterCode, Name, Role, StaffId};

/// The local server's admin login (the benches' `--url` default).
pub const LOCAL_ADMIN: &str = "host=/var/run/postgresql user=postgres dbname=postgres";

/// The benches' city key (fixed: it signs the benches' enrollments).
pub fn city_signing_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[0x5c; 32])
}

pub fn who() -> Actor {
    Actor::Cli("bench".into())
}

/// A new store at `store` with counter code `code` (and its key), named after it.
pub fn coded_bank(store: &Path, code: &str) -> Bank {
    let admin = NewStaff {
        id: StaffId::parse("A01").unwrap(),
        name: Name::parse("admin").unwrap(),
        role: Role::Admin,
        pin: "1234".into(),
    };
    let c = CounterCode::parse(code).unwrap();
    Bank::init_coded(store, &Name::parse(code).unwrap(), Some(&c), admin, &who()).unwrap()
}

/// `admin`'s key-value connection string naming database `name` instead.
pub fn with_db(admin: &str, name: &str) -> String {
    let kept: Vec<&str> = admin.split_whitespace().filter(|kv| !kv.starts_with("dbname=")).collect();
    format!("{} dbname={name}", kept.join(" "))
}

/// Database `name`, dropped if it was there and made again with the city's schema.
pub fn fresh_db(admin: &str, name: &str) -> String {
    let mut c = postgres::Client::connect(admin, postgres::NoTls).unwrap();
    c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).unwrap();
    c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let url = with_db(admin, name);
    Server::connect(&url).unwrap().init().unwrap();
    url
}

/// Drops database `name` (the bench's own, at its end).
pub fn drop_db(admin: &str, name: &str) {
    if let Ok(mut c) = postgres::Client::connect(admin, postgres::NoTls) {
        let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}

/// Enrolls `bank`'s counter with its own key, as the city's admin does.
pub fn enroll(db: &str, bank: &Bank) {
    let code = bank.counter_code().unwrap().unwrap();
    let key = bank.counter_key().unwrap().unwrap().verifying_key();
    Server::connect(db).unwrap().enroll(&code, &key, &city_signing_key()).unwrap();
}

/// The city service on `db`, in this process on a free loopback port, and its URL.
pub fn start_service(db: &str) -> (Running, String) {
    let running = service::start(ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        db: db.to_string(),
        city_key: city_signing_key().verifying_key(),
        tls: None,
        cache: None,
    })
    .unwrap();
    let url = format!("http://{}", running.addr);
    (running, url)
}

/// How long binary `COPY` takes to write the events and report rows `server` holds (one
/// counter's, `events` of them) into the same tables of a fresh database `copy_name`.
pub fn copy_baseline(server: &mut Server, admin: &str, copy_name: &str, events: u64) -> Duration {
    let mut dump = |table: &str, cols: &str| -> Vec<u8> {
        let mut out = Vec::new();
        let mut r = server
            .client()
            .copy_out(
                format!("COPY (SELECT {cols} FROM {table} ORDER BY counter, seq) TO STDOUT (FORMAT binary)")
                    .as_str(),
            )
            .unwrap();
        std::io::Read::read_to_end(&mut r, &mut out).unwrap();
        out
    };
    let event_cols = "counter, seq, prev_hash, hash, stored";
    let entry_cols = "counter, seq, line, volunteer, card, minutes, kind, reverses, activity, community, day, served_on, registered_on";
    let (event_rows, entry_rows) = (dump("hb_events", event_cols), dump("hb_entries", entry_cols));
    let copy_db = fresh_db(admin, copy_name);
    let mut c = postgres::Client::connect(&copy_db, postgres::NoTls).unwrap();
    c.execute(
        "INSERT INTO hb_counters (code, name, head_seq) VALUES ('BENCH-A', 'BENCH-A', $1)",
        &[&(events as i64)],
    )
    .unwrap();
    let t = Instant::now();
    for (table, cols, rows) in
        [("hb_events", event_cols, &event_rows), ("hb_entries", entry_cols, &entry_rows)]
    {
        let mut w = c.copy_in(format!("COPY {table} ({cols}) FROM STDIN (FORMAT binary)").as_str()).unwrap();
        std::io::Write::write_all(&mut w, rows).unwrap();
        w.finish().unwrap();
    }
    t.elapsed()
}
