//! Many counters, measured against the real PostgreSQL, each figure beside a baseline from the
//! same run: `cargo bench --bench city -- [--entries N] [--url ADMIN_URL]` (default 1,000,000
//! generated entries over 100k volunteers; the admin URL defaults to the local socket).
//!
//! - first push of the store vs PostgreSQL's binary `COPY` of the same rows (events and report
//!   rows) into the same tables, constraints and indexes on (target ≥ 0.5×);
//! - pull and apply of every event at a second counter vs hourbank's own `import entries` of
//!   the same CSV;
//! - `city report monthly` from SQL vs the local `report monthly` on the same events;
//! - a deposit at counter A seen in counter B's city balance with both background syncs on
//!   (every second, the default): latency p50 and max (target ≤ 2 s);
//! - find-screen keystrokes while the counter's background sync pushes the whole store (in
//!   process, through `update`, as the counter bench does): p99 (target < 16 ms).

use hourbank::bank::{Mode, Op};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "common.rs"]
mod common;

use common::*;
use hourbank::city::{Background, Period, Server};
use hourbank::domain::{Minutes, Name};

/// Bytes of every file under `path`.
fn dir_size(path: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}

/// The median of five runs of `f`.
fn median(f: impl Fn() -> Duration) -> Duration {
    let mut runs: Vec<Duration> = (0..5).map(|_| f()).collect();
    runs.sort();
    runs[2]
}

fn per_s(n: u64, t: Duration) -> f64 {
    n as f64 / t.as_secs_f64()
}

fn main() {
    let mut entries = 1_000_000u64;
    let mut admin = LOCAL_ADMIN.to_string();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--entries" => entries = args.next().and_then(|n| n.parse().ok()).unwrap_or(entries),
            "--url" => admin = args.next().unwrap_or(admin),
            _ => {}
        }
    }
    let volunteers = (entries / 10).max(100);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    hourbank::sample::write_dataset(
        std::fs::File::create(data.join("v.csv")).unwrap(),
        std::fs::File::create(data.join("e.csv")).unwrap(),
        volunteers as usize,
        entries as usize,
        1,
    )
    .unwrap();
    let a_store = dir.path().join("a");
    let a = coded_bank(&a_store, "BENCH-A");
    a.import_volunteers(&who(), &data.join("v.csv"), "v").unwrap();
    let t = Instant::now();
    a.import_entries(&who(), &data.join("e.csv"), "e", &mut |_, _| {}).unwrap();
    let import = t.elapsed();
    let events = a.last_seq().unwrap();
    println!("| store | {events} events ({volunteers} volunteers, {entries} imported entries) | — | — |");

    // First push vs COPY of the same rows into the same tables.
    let url = fresh_db(&admin, "hb_bench_push");
    let mut server = Server::connect(&url).unwrap();
    let t = Instant::now();
    let pushed = server.push(&a).unwrap();
    let push = t.elapsed();
    assert_eq!(pushed.to, events);
    let copy = copy_baseline(&mut server, &admin, "hb_bench_copy", events);
    println!(
        "| first push, {events} events (+ their report rows) | {:.1?} = {:.0} events/s | binary COPY of the same rows into the same tables: {:.1?} = {:.0}/s | **{:.2}× COPY** (target ≥ 0.5×) |",
        push,
        per_s(events, push),
        copy,
        per_s(events, copy),
        copy.as_secs_f64() / push.as_secs_f64()
    );

    // Pull and apply at a second counter vs hourbank's own import.
    let b = coded_bank(&dir.path().join("b"), "BENCH-B");
    let t = Instant::now();
    let pulled = server.pull(&b, "BENCH-B").unwrap();
    let pull = t.elapsed();
    assert!(pulled.stopped.is_empty());
    println!(
        "| pull + verify + apply, {} events | {:.1?} = {:.0} events/s | hourbank's own `import entries` of the same CSV: {:.1?} = {:.0} entries/s | {:.2}× import |",
        pulled.events(),
        pull,
        per_s(pulled.events(), pull),
        import,
        per_s(entries, import),
        import.as_secs_f64() / pull.as_secs_f64() * pulled.events() as f64 / entries as f64
    );

    // Joining with the city's directory (need to know): one range read through the service,
    // taken in one batch, against the event pull above; the store's growth beside it; then one
    // balance of a volunteer registered elsewhere, the whole process, against a local one.
    let b_grown = dir_size(&dir.path().join("b"));
    let (service, service_url) = start_service(&url);
    let c_store = dir.path().join("c");
    let c = coded_bank(&c_store, "BENCH-C");
    enroll(&url, &c);
    let empty = dir_size(&c_store);
    let client = hourbank::city::CityClient::new(&service_url, &c).unwrap();
    // The peak of this process's memory from here (writing 5 resets the high-water mark).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = vm_kb("VmRSS");
    let t = Instant::now();
    let answer = client.cards(0).unwrap();
    let fetched = t.elapsed();
    let mut pages = 0;
    let (cards, _) = client.take_cards(&c, 0, answer, &mut |_| pages += 1).unwrap();
    let join = t.elapsed();
    let peak = vm_kb("VmHWM").saturating_sub(before);
    drop(client);
    drop(c);
    let c_grown = dir_size(&c_store).saturating_sub(empty);
    println!(
        "| join: the city's directory, {cards} cards ({pages} pages, the first {fetched:.1?}; memory +{} MB at most) | {join:.1?}, store +{} MB | the event pull above: {pull:.1?}, store {} MB | **{:.1}× faster, {:.0}× smaller** (target ≤ 10 s, ≤ 50 MB) |",
        peak / 1024,
        c_grown / 1_000_000,
        b_grown / 1_000_000,
        pull.as_secs_f64() / join.as_secs_f64(),
        b_grown as f64 / c_grown.max(1) as f64
    );
    // The same join by the real binary, a process of its own: its peak memory (`/usr/bin/time`
    // reports the child's maximum resident set) is the counter's, not the bench's.
    let d_store = dir.path().join("d");
    let d = coded_bank(&d_store, "BENCH-D");
    enroll(&url, &d);
    drop(d);
    let t = Instant::now();
    let timed = std::process::Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(env!("CARGO_BIN_EXE_hourbank"))
        .arg("--store")
        .arg(&d_store)
        .args(["sync", "--url", &service_url])
        .output();
    let process_join = t.elapsed();
    match timed {
        Ok(out) if out.status.success() => {
            let err = String::from_utf8_lossy(&out.stderr);
            let peak_kb: u64 = err.lines().last().and_then(|l| l.trim().parse().ok()).unwrap_or(0);
            println!(
                "| join by the real binary (`hourbank sync`, a new counter, whole process) | {process_join:.1?}, peak memory {} MB | — | — | — |",
                peak_kb / 1024
            );
        }
        Ok(out) => eprintln!("hourbank sync failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => eprintln!("/usr/bin/time: {e}"),
    }
    // The upgrade: B, which pulled every event the way counters did before the directory,
    // takes the directory and drops its copy of A's journal (journalled); its files' size
    // before, right after, and once sled has been closed and opened again.
    enroll(&url, &b);
    let b_client = hourbank::city::CityClient::new(&service_url, &b).unwrap();
    let first = b_client.cards(0).unwrap();
    b_client.take_cards(&b, 0, first, &mut |_| {}).unwrap();
    let held = dir_size(&dir.path().join("b"));
    let t = Instant::now();
    let dropped = b.drop_city_copy(&who()).unwrap();
    let drop_time = t.elapsed();
    let after_drop = dir_size(&dir.path().join("b"));
    drop(b_client);
    drop(b);
    drop(hourbank::bank::Bank::open(&dir.path().join("b")).unwrap());
    let reopened = dir_size(&dir.path().join("b"));
    println!(
        "| upgrade: drop the copy of other counters' journals ({dropped:?} counters, events) | {drop_time:.1?}; files {} MB → {} MB right after → {} MB closed and opened again | — | — | — |",
        held / 1_000_000,
        after_drop / 1_000_000,
        reopened / 1_000_000
    );
    let card = a.volunteers().next().unwrap().unwrap().volunteer.card;
    let whole = |store: &std::path::Path| {
        let t = Instant::now();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hourbank"))
            .arg("--store")
            .arg(store)
            .args(["balance", card.as_str()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        t.elapsed()
    };
    drop(a);
    let (remote, local) = (median(|| whole(&c_store)), median(|| whole(&a_store)));
    println!(
        "| `balance` of a volunteer registered elsewhere, whole process | {remote:.0?} | the same at the counter that registered them: {local:.0?} | {:.2}× local (target ≤ 1×) |",
        remote.as_secs_f64() / local.as_secs_f64()
    );
    let a = hourbank::bank::Bank::open(&a_store).unwrap();
    drop(service);

    // City report vs local report, the month with the most entries (the data's last month).
    let last_day = a.journal().last().unwrap().map(|e| hourbank::report::booking_day(&e)).unwrap();
    let month = hourbank::report::Month::of(last_day);
    let t = Instant::now();
    let local = hourbank::report::monthly(&a, month).unwrap();
    let local_t = t.elapsed();
    let first = chrono::NaiveDate::from_ymd_opt(month.year, month.month, 1).unwrap();
    let until = first.checked_add_months(chrono::Months::new(1)).unwrap();
    let t = Instant::now();
    let city = server.figures(Period { from: first, until }, 20).unwrap();
    let months: Vec<chrono::NaiveDate> =
        month.last(24).iter().map(|m| chrono::NaiveDate::from_ymd_opt(m.year, m.month, 1).unwrap()).collect();
    server.deposits_by_month(&months, until).unwrap();
    let city_t = t.elapsed();
    let city_deposited: i64 = city.by_community.iter().map(|f| f.deposited).sum();
    assert_eq!(city_deposited, local.total().deposited, "the city report adds up to the local one");
    println!(
        "| city report monthly ({month}) from SQL | {city_t:.0?} | local report monthly on the same events: {local_t:.0?} | {:.2}× local |",
        city_t.as_secs_f64() / local_t.as_secs_f64()
    );
    drop(server);

    // Steady state: a deposit at A in B's city balance, both syncing in the background.
    let url = fresh_db(&admin, "hb_bench_steady");
    let small_a = Arc::new(coded_bank(&dir.path().join("sa"), "STEADY-A"));
    let small_b = Arc::new(coded_bank(&dir.path().join("sb"), "STEADY-B"));
    let form = hourbank::bank::VolunteerForm {
        card: hourbank::domain::CardNo::parse("JH000001").unwrap(),
        name: Name::parse("陈华佩").unwrap(),
        phone: None,
        community: String::new(),
        registered_on: None,
        id_number: None,
    };
    small_a.register_volunteer(&who(), None, &form).unwrap();
    let activity =
        small_a.add_activity(&who(), None, &Name::parse("垃圾分类督导").unwrap(), "环保").unwrap().seq();
    let every = Duration::from_secs(1);
    // Counters sync through the city service: one in this process, both enrolled.
    let (_service, city) = start_service(&url);
    for bank in [&small_a, &small_b] {
        enroll(&url, bank);
    }
    let _sa = Background::spawn(city.clone(), small_a.clone(), every, Minutes::ZERO, |_| true);
    let _sb = Background::spawn(city.clone(), small_b.clone(), every, Minutes::ZERO, |_| true);
    let card = hourbank::domain::CardNo::parse("JH000001").unwrap();
    let mut seen = Vec::new();
    for i in 0..20u64 {
        std::thread::sleep(Duration::from_millis(137 * (i % 7)));
        let before = small_b.city_balance(&card).unwrap().total();
        let d = hourbank::bank::Deposit {
            card: card.clone(),
            activity,
            minutes: hourbank::domain::Minutes::new(30),
            served_on: None,
            note: String::new(),
        };
        small_a.execute(&who(), &Op::Deposit(d.clone()), Mode::commit(None)).unwrap();
        let t = Instant::now();
        while small_b.city_balance(&card).unwrap().total() < before + 30 {
            assert!(t.elapsed() < Duration::from_secs(30), "never arrived");
            std::thread::sleep(Duration::from_millis(5));
        }
        seen.push(t.elapsed());
    }
    seen.sort();
    println!(
        "| a deposit at A in B's city balance, both syncing every {every:?} in the background | p50 {:.2?}, max {:.2?} (20 deposits) | the sync interval: {every:?} | target ≤ 2 s |",
        seen[seen.len() / 2],
        seen[seen.len() - 1]
    );
}

/// A `/proc/self/status` figure in kB (`VmRSS`, `VmHWM`), 0 where there is none.
fn vm_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field).and_then(|r| r.trim_start_matches(':').split_whitespace().next()))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
