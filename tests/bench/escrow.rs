//! Spending anywhere (ARCHITECTURE.md §8, escrow), measured against the real PostgreSQL with baselines
//! from the same run: `cargo bench --bench escrow -- [--url ADMIN_URL] [--n N]`.
//!
//! - an online redemption that needs a grant from the card's city pool: latency p50/p99 beside
//!   a local redemption (the share covers it) and one PostgreSQL round trip on the same
//!   connection (target: ≤ local + 3 round trips);
//! - grants per second on one card from 5 counters at once (each its own connection and
//!   thread), beside the same 5 on 5 different cards (no contention).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "common.rs"]
mod common;

use common::*;
use hourbank::bank::{Bank, Deposit, Mode, NewReward, Op, Redemption};
use hourbank::city::{CityLink, Server};
use hourbank::domain::{CardNo, Minutes, Name, RewardKind};

fn new_bank(store: &Path, code: &str) -> Bank {
    let bank = coded_bank(store, code);
    bank.add_activity(&who(), None, &Name::parse("服务").unwrap(), "").unwrap();
    bank.add_reward(
        &who(),
        None,
        &NewReward {
            name: Name::parse("大米").unwrap(),
            kind: RewardKind::Gift,
            cost: Minutes::new(10),
            stock: None,
            course_date: None,
            merchant: String::new(),
        },
    )
    .unwrap();
    bank
}

fn register_and_deposit(bank: &Bank, card: &str, minutes: u32) {
    let form = hourbank::bank::VolunteerForm {
        card: CardNo::parse(card).unwrap(),
        name: Name::parse("陈华佩").unwrap(),
        phone: None,
        community: "江门".into(),
        registered_on: None,
        id_number: None,
    };
    bank.register_volunteer(&who(), None, &form).unwrap();
    let activity = bank.find_activity("服务").unwrap().0;
    // One entry holds a day at most (the entry cap): as many as it takes.
    let d = Deposit {
        card: form.card,
        activity,
        minutes: Minutes::new(1440),
        served_on: None,
        note: String::new(),
    };
    for _ in 0..minutes / 1440 {
        bank.execute(&who(), &Op::Deposit(d.clone()), Mode::commit(None)).unwrap();
    }
}

fn quantiles(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[(v.len() * 99 / 100).min(v.len() - 1)])
}

/// One sync straight to the database (the escrow's protocol alone, no service in between).
fn sync(bank: &Bank, url: &str) {
    hourbank::city::Server::connect(url).unwrap().sync(bank, Minutes::ZERO).unwrap();
}

fn redeem(card: &str, bank: &Bank) -> Op {
    Op::Redeem(Redemption {
        card: CardNo::parse(card).unwrap(),
        reward: bank.find_reward("大米").unwrap().id,
        qty: 1,
    })
}

fn main() {
    let mut admin = LOCAL_ADMIN.to_string();
    let mut n = 500usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--url" => admin = args.next().unwrap_or(admin),
            "--n" => n = args.next().and_then(|x| x.parse().ok()).unwrap_or(n),
            _ => {}
        }
    }
    let url = fresh_db(&admin, "hb_bench_escrow");
    let dir = tempfile::tempdir().unwrap();
    // A earns the pooled card's hours (and five more cards') and hands them to the city.
    let a = new_bank(&dir.path().join("a"), "BENCH-EA");
    for i in 0..6 {
        register_and_deposit(&a, &format!("JH90000{i}"), 300 * 1440);
    }
    sync(&a, &url);
    let b = new_bank(&dir.path().join("b"), "BENCH-EB");
    sync(&b, &url);
    // B's own volunteer keeps their hours here (B does not sync again): local redemptions.
    register_and_deposit(&b, "JH800000", 20 * 1440);
    b.adopt_from_city(&who(), &[CardNo::parse("JH900000").unwrap()]).unwrap();

    let mut server = Server::connect(&url).unwrap();
    let (mut local, mut granted, mut rtt) = (Vec::new(), Vec::new(), Vec::new());
    let (own, pooled) = (redeem("JH800000", &b), redeem("JH900000", &b));
    // One round trip: a prepared statement is bound and executed in one exchange (a query
    // from text would be two, parse then execute).
    let one = server.client().prepare("SELECT 1").unwrap();
    for _ in 0..n {
        let t = Instant::now();
        server.client().query_one(&one, &[]).unwrap();
        rtt.push(t.elapsed());
        let t = Instant::now();
        let done = hourbank::city::execute(&b, CityLink::Open(&mut server), &who(), None, &own).unwrap();
        local.push(t.elapsed());
        assert_eq!(done.events.len(), 1);
        let t = Instant::now();
        let done = hourbank::city::execute(&b, CityLink::Open(&mut server), &who(), None, &pooled).unwrap();
        granted.push(t.elapsed());
        assert_eq!(done.events.len(), 2, "a grant and the redemption");
    }
    // What a grant is made of on the server: the grant statement alone, and the floor for any
    // durable change, one row updated and committed (its WAL flushed) in one round trip.
    server.client().batch_execute("CREATE TABLE IF NOT EXISTS bench_one (id INT PRIMARY KEY, n BIGINT); INSERT INTO bench_one VALUES (1, 0) ON CONFLICT DO NOTHING").unwrap();
    let bump = server.client().prepare("UPDATE bench_one SET n = n + 1 WHERE id = 1").unwrap();
    let (mut alone, mut durable) = (Vec::new(), Vec::new());
    let card5 = CardNo::parse("JH900005").unwrap();
    for i in 0..n {
        let t = Instant::now();
        server.client().execute(&bump, &[]).unwrap();
        durable.push(t.elapsed());
        let t = Instant::now();
        server.grant("BENCH-EB", &format!("BENCH-EB:alone-{i}"), &card5, 10).unwrap();
        alone.push(t.elapsed());
    }
    let (d50, d99) = quantiles(durable);
    let (a50, a99) = quantiles(alone);
    let (l50, l99) = quantiles(local);
    let (g50, g99) = quantiles(granted);
    let (r50, r99) = quantiles(rtt);
    let extra = (g50.as_secs_f64() - l50.as_secs_f64()) / r50.as_secs_f64();
    println!("online redemption with a grant ({n} each, same connection):");
    println!("  one PostgreSQL round trip   p50 {:>8.3} ms  p99 {:>8.3} ms", ms(r50), ms(r99));
    println!("  local redemption (share)    p50 {:>8.3} ms  p99 {:>8.3} ms", ms(l50), ms(l99));
    println!("  redemption with a grant     p50 {:>8.3} ms  p99 {:>8.3} ms", ms(g50), ms(g99));
    println!("  a durable 1-row update      p50 {:>8.3} ms  p99 {:>8.3} ms", ms(d50), ms(d99));
    println!("  the grant statement alone   p50 {:>8.3} ms  p99 {:>8.3} ms", ms(a50), ms(a99));
    println!(
        "  grant cost over local: {extra:.1} round trips at p50 (target ≤ 3); {:.2}× a durable update",
        (g50.as_secs_f64() - l50.as_secs_f64()) / d50.as_secs_f64()
    );

    // Five counters at once, each its own connection: one card, then five.
    let counters: Vec<Arc<Bank>> = (1..=5)
        .map(|i| {
            let bank = new_bank(&dir.path().join(format!("c{i}")), &format!("BENCH-EC{i}"));
            sync(&bank, &url);
            let cards: Vec<CardNo> = (0..6).map(|c| CardNo::parse(&format!("JH90000{c}")).unwrap()).collect();
            bank.adopt_from_city(&who(), &cards).unwrap();
            Arc::new(bank)
        })
        .collect();
    let run = |one_card: bool| -> f64 {
        let window = Duration::from_secs(5);
        let threads: Vec<_> = counters
            .iter()
            .enumerate()
            .map(|(i, bank)| {
                let (bank, url) = (bank.clone(), url.clone());
                let card = if one_card { "JH900001".to_string() } else { format!("JH90000{}", i + 1) };
                std::thread::spawn(move || {
                    let mut server = Server::connect(&url).unwrap();
                    let what = redeem(&card, &bank);
                    let (start, mut done) = (Instant::now(), 0u64);
                    while start.elapsed() < window {
                        hourbank::city::execute(&bank, CityLink::Open(&mut server), &who(), None, &what)
                            .unwrap();
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        let total: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
        total as f64 / window.as_secs_f64()
    };
    let contended = run(true);
    let apart = run(false);
    println!("grants from 5 counters at once (5 s each):");
    println!("  one card (contended)  {contended:>8.0} grants/s");
    println!("  five cards (apart)    {apart:>8.0} grants/s   ratio {:.2}", contended / apart);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
