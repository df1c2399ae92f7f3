//! What an idle counter's sync costs the city service as the city grows: the round's one
//! request — the city's directory past the counter's position, nothing new since — with 10 and
//! with 1,000 enrolled counters, beside a service round trip (`/v1/health`) from the same run;
//! and the statement alone, inside the database (the server's work per pull).
//! `cargo bench --bench idle -- [--rounds N] [--volunteers N] [--url ADMIN_URL]`

use std::time::{Duration, Instant};

#[path = "common.rs"]
mod common;

use common::*;
use hourbank::bank::CounterKey;
use hourbank::city::{CityClient, Server};
use hourbank::domain::CounterCode;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// p50 and p99 of `rounds` runs of `f`.
fn measure(rounds: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

fn main() {
    let (mut rounds, mut volunteers, mut admin) = (500usize, 10_000usize, LOCAL_ADMIN.to_string());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rounds" => rounds = args.next().and_then(|n| n.parse().ok()).unwrap_or(rounds),
            "--volunteers" => volunteers = args.next().and_then(|n| n.parse().ok()).unwrap_or(volunteers),
            "--url" => admin = args.next().unwrap_or(admin),
            _ => {}
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(&admin, "hb_bench_idle");
    // A city with a directory worth the name: one counter's volunteers, each with hours.
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    hourbank::sample::write_dataset(
        std::fs::File::create(data.join("v.csv")).unwrap(),
        std::fs::File::create(data.join("e.csv")).unwrap(),
        volunteers,
        volunteers,
        1,
    )
    .unwrap();
    let home = coded_bank(&dir.path().join("home"), "IDLE-HOME");
    home.import_volunteers(&who(), &data.join("v.csv"), "v").unwrap();
    home.import_entries(&who(), &data.join("e.csv"), "e", &mut |_, _| {}).unwrap();
    Server::connect(&db).unwrap().push(&home).unwrap();
    let (service, url) = start_service(&db);

    let mut enrolled = 0usize;
    let mut admin_db = Server::connect(&db).unwrap();
    let mut enroll_to = |n: usize| {
        while enrolled < n {
            let key = CounterKey::load_or_create(&dir.path().join(format!("k{enrolled}"))).unwrap();
            let code = CounterCode::parse(&format!("IDLE-{enrolled:04}")).unwrap();
            admin_db.enroll(&code, &key.verifying_key(), &city_signing_key()).unwrap();
            enrolled += 1;
        }
    };
    enroll_to(10);
    let key = CounterKey::load_or_create(&dir.path().join("k0")).unwrap();
    let client = CityClient::with_key(&url, "IDLE-0000".into(), key).unwrap();
    let whole = client.cards(0).unwrap();
    let position = whole.position;
    println!("| city: {} cards in the directory, position {position} | — | — | — |", whole.cards.len());
    let health = format!("{url}/v1/health");
    let mut reader = Server::connect(&db).unwrap();
    for n in [10, 1000] {
        enroll_to(n);
        // Let the service's copy of the counters list catch up; warm up.
        std::thread::sleep(Duration::from_millis(300));
        for _ in 0..20 {
            client.cards(position).unwrap();
        }
        let (idle50, idle99) = measure(rounds, || {
            let answer = client.cards(position).unwrap();
            assert!(answer.cards.is_empty() && answer.position == position);
        });
        let (trip50, _) = measure(rounds, || {
            ureq::get(&health).call().unwrap();
        });
        let (sql50, sql99) = measure(rounds, || {
            reader.cards_after(position, Some(5000)).unwrap();
        });
        println!(
            "| idle round, {n} enrolled counters | p50 {idle50:.2?}, p99 {idle99:.2?} | a round trip to the service (`/v1/health`): p50 {trip50:.2?} | {:.2}× a round trip |",
            idle50.as_secs_f64() / trip50.as_secs_f64()
        );
        println!("| — of it the statement, in the database | p50 {sql50:.2?}, p99 {sql99:.2?} | — | — |");
    }
    drop(client);
    drop(service);
    drop_db(&admin, "hb_bench_idle");
}
