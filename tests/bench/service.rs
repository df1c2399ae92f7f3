//! The city service measured against the real PostgreSQL, each figure beside a baseline from
//! the same run: `cargo bench --bench service -- [--entries N] [--url ADMIN_URL]` (default
//! 200,000 generated entries; the admin URL defaults to the local socket).
//!
//! - first push of a store through the service (signed batches, verified at the door: chain,
//!   the backup checks, `ledger::apply` in the verifier, rows derived by the service) vs
//!   PostgreSQL's binary `COPY` of the same rows into the same tables (target ≥ 0.5×);
//! - an online redemption whose hours come from the card's pool through the service vs a local
//!   redemption, one service round trip (`/v1/health`) and one durable one-row `UPDATE`
//!   (target ≤ local + 1 round trip + 1 durable commit).

use std::time::{Duration, Instant};

#[path = "common.rs"]
mod common;

use common::*;
use hourbank::bank::{Mode, NewReward, Op, Redemption, VolunteerForm};
use hourbank::city::{CityClient, CityLink, Server};
use hourbank::domain::{CardNo, Minutes, Name, Phone, RewardKind};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let mut entries = 200_000u64;
    let mut admin = LOCAL_ADMIN.to_string();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--entries" => entries = args.next().and_then(|n| n.parse().ok()).unwrap_or(entries),
            "--url" => admin = args.next().unwrap_or(admin),
            _ => {}
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let volunteers = (entries / 10).max(100);
    hourbank::sample::write_dataset(
        std::fs::File::create(data.join("v.csv")).unwrap(),
        std::fs::File::create(data.join("e.csv")).unwrap(),
        volunteers as usize,
        entries as usize,
        1,
    )
    .unwrap();
    let a = coded_bank(&dir.path().join("a"), "BENCH-A");
    a.import_volunteers(&who(), &data.join("v.csv"), "v").unwrap();
    a.import_entries(&who(), &data.join("e.csv"), "e", &mut |_, _| {}).unwrap();
    let events = a.last_seq().unwrap();

    // First push through the service vs COPY of the same rows.
    let db = fresh_db(&admin, "hb_bench_service");
    enroll(&db, &a);
    let (running, url) = start_service(&db);
    let client = CityClient::new(&url, &a).unwrap();
    let t = Instant::now();
    let pushed = client.push(&a).unwrap();
    let push = t.elapsed();
    assert_eq!(pushed.to, events);
    let copy = copy_baseline(&mut Server::connect(&db).unwrap(), &admin, "hb_bench_service_copy", events);
    println!(
        "| first push through the service, {events} events (signed, verified at the door, rows derived there) | {:.1?} = {:.0} events/s | binary COPY of the same rows into the same tables: {:.1?} = {:.0}/s | **{:.2}× COPY** (target ≥ 0.5×) |",
        push,
        events as f64 / push.as_secs_f64(),
        copy,
        events as f64 / copy.as_secs_f64(),
        copy.as_secs_f64() / push.as_secs_f64()
    );

    // A redemption funded from the pool through the service vs a local one.
    const N: usize = 300;
    let b = coded_bank(&dir.path().join("b"), "BENCH-B");
    enroll(&db, &b);
    let rice = b
        .add_reward(
            &who(),
            None,
            &NewReward {
                name: Name::parse("大米").unwrap(),
                kind: RewardKind::Gift,
                cost: Minutes::new(1),
                stock: Some(100_000),
                course_date: None,
                merchant: String::new(),
            },
        )
        .unwrap()
        .seq();
    let card = CardNo::parse("JH900001").unwrap();
    let local_card = CardNo::parse("JH900002").unwrap();
    let sorting = b.add_activity(&who(), None, &Name::parse("垃圾分类督导").unwrap(), "环保").unwrap().seq();
    for c in [&card, &local_card] {
        let form = VolunteerForm {
            card: c.clone(),
            name: Name::parse("志愿者").unwrap(),
            phone: Phone::parse_optional("13800138000").unwrap(),
            community: "白沙街道".into(),
            registered_on: None,
            id_number: None,
        };
        b.register_volunteer(&who(), None, &form).unwrap();
    }
    for c in [&card, &local_card] {
        let d = hourbank::bank::Deposit {
            card: c.clone(),
            activity: sorting,
            minutes: Minutes::new(1000),
            served_on: None,
            note: String::new(),
        };
        b.execute(&who(), &Op::Deposit(d.clone()), Mode::commit(None)).unwrap();
    }
    // `card`'s hours go to the pool; `local_card`'s stay (a float above them).
    b.release_to_city(&who(), Minutes::new(0), None).unwrap();
    let d = hourbank::bank::Deposit {
        card: local_card.clone(),
        activity: sorting,
        minutes: Minutes::new(1000),
        served_on: None,
        note: String::new(),
    };
    b.execute(&who(), &Op::Deposit(d.clone()), Mode::commit(None)).unwrap();
    CityClient::new(&url, &b).unwrap().push(&b).unwrap();
    let redeem = |card: &CardNo| Op::Redeem(Redemption { card: card.clone(), reward: rice, qty: 1 });
    let client = CityClient::new(&url, &b).unwrap();
    let timed = |card: &CardNo, online: bool| -> Vec<Duration> {
        let mut out: Vec<Duration> = (0..N)
            .map(|_| {
                let link = if online { CityLink::Client(&client) } else { CityLink::None };
                let t = Instant::now();
                hourbank::city::execute(&b, link, &who(), None, &redeem(card)).unwrap();
                t.elapsed()
            })
            .collect();
        out.sort();
        out
    };
    let local = timed(&local_card, false);
    let granted = timed(&card, true);
    let mut request: Vec<Duration> = (0..N)
        .map(|i| {
            let t = Instant::now();
            client.grant(&format!("BENCH-B:alone{i}"), &card, 1).unwrap();
            t.elapsed()
        })
        .collect();
    request.sort();
    let agent = ureq::Agent::new_with_defaults();
    let mut trip: Vec<Duration> = (0..N)
        .map(|_| {
            let t = Instant::now();
            agent.get(format!("{url}/v1/health")).call().unwrap();
            t.elapsed()
        })
        .collect();
    trip.sort();
    let mut pg = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    pg.batch_execute("CREATE TABLE IF NOT EXISTS bench_one (id INT PRIMARY KEY, n BIGINT); INSERT INTO bench_one VALUES (1, 0) ON CONFLICT DO NOTHING").unwrap();
    let mut commit: Vec<Duration> = (0..N)
        .map(|_| {
            let t = Instant::now();
            pg.execute("UPDATE bench_one SET n = n + 1 WHERE id = 1", &[]).unwrap();
            t.elapsed()
        })
        .collect();
    commit.sort();
    let (g50, l50, t50, c50) = (
        percentile(&granted, 0.5),
        percentile(&local, 0.5),
        percentile(&trip, 0.5),
        percentile(&commit, 0.5),
    );
    println!(
        "| an online redemption funded through the service ({N}) | p50 {:.2} ms, p99 {:.2} ms | local redemption p50 {:.2} ms; service round trip p50 {:.2} ms; durable one-row UPDATE p50 {:.2} ms | local + {:.2} ms = **{:.2}× (round trip + commit)** (target ≤ 1×) |",
        ms(g50),
        ms(percentile(&granted, 0.99)),
        ms(l50),
        ms(t50),
        ms(c50),
        ms(g50) - ms(l50),
        (ms(g50) - ms(l50)) / (ms(t50) + ms(c50))
    );
    println!(
        "| the grant request alone (signed, checked, one statement) | p50 {:.2} ms, p99 {:.2} ms | — | — |",
        ms(percentile(&request, 0.5)),
        ms(percentile(&request, 0.99))
    );
    running.stop().unwrap();
}
