//! The city service under a city's load, on this machine: `cargo bench --bench load -- [--idle
//! N] [--busy N] [--seconds S] [--url ADMIN_URL] [--whole-idle]` (default 1,000 idle counters,
//! 100 busy, 20 s). An idle counter's round is, on the wire, one signed `GET /v1/cards` past
//! its position (the busy ones' changes come in it): by default the idle counters make exactly
//! that request, so that 1,000 of them fit beside the service on two cores; `--whole-idle` runs
//! the whole background sync of a store for each instead (its local work too).
//! One service (in this process, loopback HTTP) and PostgreSQL; every counter runs the sync
//! its background thread runs (`ServiceSync`) once a second: an idle one has nothing new of its
//! own (it pulls the busy ones' deposits), a busy one records a deposit first. Reports
//! the idle rounds' latency — whole, and the part spent waiting for the service (target p99
//! ≤ 50 ms) — errors (target 0), and the CPU time the service (its threads), PostgreSQL (its
//! processes) and the simulated counters used. Bounded in time; loopback only. Every counter's
//! first round (its session's start) is made before the measured seconds.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "common.rs"]
mod common;

use common::*;
use hourbank::bank::{Bank, Deposit, Mode, Op, VolunteerForm};
use hourbank::city::ServiceSync;
use hourbank::domain::{CardNo, Minutes, Name, Phone};

fn counter(dir: &std::path::Path, code: &str, db: &str) -> Bank {
    let bank = coded_bank(&dir.join(code), code);
    enroll(db, &bank);
    bank
}

/// CPU seconds (user + system, and of its children waited for) of process `pid`, from /proc.
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime, stime, cutime, cstime: a backend that ended counts in the postmaster's children.
    let ticks: f64 = (11..=14).filter_map(|i| fields.get(i).and_then(|v| v.parse::<f64>().ok())).sum();
    ticks / 100.0
}

/// CPU seconds of this process's threads: the service's (its runtime's threads, named so) and
/// the rest (the simulated counters), so each is reported on its own.
fn own_cpu() -> (f64, f64) {
    let (mut service, mut counters) = (0.0, 0.0);
    for entry in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let path = entry.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        let Ok(stat) = std::fs::read_to_string(path.join("stat")) else { continue };
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: f64 = (11..=12).filter_map(|i| fields.get(i).and_then(|v| v.parse::<f64>().ok())).sum();
        if comm.starts_with("city-service") {
            service += ticks / 100.0;
        } else {
            counters += ticks / 100.0;
        }
    }
    (service, counters)
}

/// CPU seconds of every PostgreSQL process on this machine.
fn postgres_cpu() -> f64 {
    let mut total = 0.0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim().starts_with("postgres") {
            total += cpu_seconds(pid);
        }
    }
    total
}

fn main() {
    let (mut idle, mut busy, mut seconds) = (1000usize, 100usize, 20u64);
    let mut whole_idle = false;
    let mut admin = LOCAL_ADMIN.to_string();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut next = || args.next().unwrap_or_default();
        match a.as_str() {
            "--idle" => idle = next().parse().unwrap_or(idle),
            "--busy" => busy = next().parse().unwrap_or(busy),
            "--seconds" => seconds = next().parse().unwrap_or(seconds),
            "--url" => admin = next(),
            "--whole-idle" => whole_idle = true,
            _ => {}
        }
    }
    let name = "hb_bench_load";
    let db = fresh_db(&admin, name);
    let (running, url) = start_service(&db);
    // The counters' stores on tmpfs where there is one: in a city each counter flushes to its own
    // disk, here hundreds would queue on one and the numbers would measure this disk, not the
    // service. The service's database stays on the real disk.
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() }.unwrap();
    let t = Instant::now();
    let banks: Vec<Arc<Bank>> =
        (0..idle + busy).map(|i| Arc::new(counter(dir.path(), &format!("L{i:04}"), &db))).collect();
    for (i, bank) in banks.iter().enumerate().skip(idle) {
        let form = VolunteerForm {
            card: CardNo::parse(&format!("JH{i:06}")).unwrap(),
            name: Name::parse("志愿者").unwrap(),
            phone: Phone::parse_optional("13800138000").unwrap(),
            community: "白沙街道".into(),
            registered_on: None,
            id_number: None,
        };
        bank.register_volunteer(&who(), None, &form).unwrap();
        bank.add_activity(&who(), None, &Name::parse("垃圾分类督导").unwrap(), "环保").unwrap();
    }
    // Everyone synced twice (the second round pulls what counters after it pushed in the
    // first), so the measured rounds are the steady state.
    for _ in 0..2 {
        for bank in &banks {
            hourbank::city::sync_url(&url, bank, 1, Minutes::new(u32::MAX)).unwrap();
        }
    }
    eprintln!("{} counters ready in {:.1?}", banks.len(), t.elapsed());

    let stop = Arc::new(AtomicBool::new(false));
    // Per idle round: the whole round, and the part of it spent waiting for the service.
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let waits = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(AtomicU64::new(0));
    let deposits = Arc::new(AtomicU64::new(0));
    let warm = Arc::new(std::sync::Barrier::new(banks.len() + 1));
    let threads: Vec<_> = banks
        .iter()
        .enumerate()
        .map(|(i, bank)| {
            let (bank, url, stop) = (bank.clone(), url.clone(), stop.clone());
            let (latencies, errors, deposits) = (latencies.clone(), errors.clone(), deposits.clone());
            let waits = waits.clone();
            let is_busy = i >= idle;
            let warm = warm.clone();
            std::thread::Builder::new()
                .name(format!("counter-{i}"))
                .spawn(move || {
                    // The counter's own background sync, round after round (one client, its list kept).
                    let mut sync = ServiceSync::new(&url, &bank).unwrap();
                    let float = Minutes::new(u32::MAX);
                    // A session's first round (at the counter's start: the whole list, the
                    // grants) is not the steady state measured.
                    sync.sync(&bank, float).unwrap();
                    let wire = hourbank::city::CityClient::new(&url, &bank).unwrap();
                    let mut position = bank.city_position().unwrap().0;
                    warm.wait();
                    // Spread the counters over the second.
                    std::thread::sleep(Duration::from_millis((i as u64 * 997) % 1000));
                    while !stop.load(Ordering::Relaxed) {
                        let round = Instant::now();
                        if is_busy {
                            let d = Deposit {
                                card: CardNo::parse(&format!("JH{i:06}")).unwrap(),
                                activity: bank.find_activity("垃圾分类督导").unwrap().0,
                                minutes: Minutes::new(30),
                                served_on: None,
                                note: String::new(),
                            };
                            if bank.execute(&who(), &Op::Deposit(d.clone()), Mode::commit(None)).is_ok() {
                                deposits.fetch_add(1, Ordering::Relaxed);
                            }
                            if sync.sync(&bank, float).is_err() {
                                errors.fetch_add(1, Ordering::Relaxed);
                            }
                        } else if !whole_idle {
                            // The round on the wire: the directory past the position.
                            let t = Instant::now();
                            match wire.cards(position) {
                                Ok(answer) if !answer.rejoin => {
                                    position = answer.position;
                                    latencies.lock().unwrap().push(t.elapsed());
                                    waits.lock().unwrap().push(t.elapsed());
                                }
                                _ => {
                                    errors.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                        } else {
                            let (t, waited) = (Instant::now(), sync.waited());
                            if sync.sync(&bank, float).is_ok() {
                                latencies.lock().unwrap().push(t.elapsed());
                                waits.lock().unwrap().push(sync.waited() - waited);
                            } else {
                                errors.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        std::thread::sleep(Duration::from_secs(1).saturating_sub(round.elapsed()));
                    }
                })
                .unwrap()
        })
        .collect();
    warm.wait();
    let (cpu_service, cpu_counters) = own_cpu();
    let cpu_pg = postgres_cpu();
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    // Read while every thread still runs: an ended thread leaves /proc/self/task, its time
    // with it.
    let wall = started.elapsed().as_secs_f64();
    let (service_now, counters_now) = own_cpu();
    let (cpu_service, cpu_counters) = (service_now - cpu_service, counters_now - cpu_counters);
    let cpu_pg = postgres_cpu() - cpu_pg;
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let mut l = latencies.lock().unwrap().clone();
    l.sort();
    let pct = |p: f64| l.get(((l.len().max(1) - 1) as f64 * p) as usize).copied().unwrap_or_default();
    let mut w = waits.lock().unwrap().clone();
    w.sort();
    let wpct = |p: f64| w.get(((w.len().max(1) - 1) as f64 * p) as usize).copied().unwrap_or_default();
    println!(
        "| {idle} idle counters syncing every second, {busy} pushing a deposit every second, {seconds} s | idle round p50 {:.1?}, p99 {:.1?}, max {:.1?}, of it waiting for the service p50 {:.1?}, p99 {:.1?}; {} idle syncs, {} deposits pushed, {} errors | CPU over {wall:.0} s, in cores: service {:.2}, PostgreSQL {:.2}, the simulated counters {:.2} (of {} here) | target p99 ≤ 50 ms, 0 errors |",
        pct(0.5),
        pct(0.99),
        l.last().copied().unwrap_or_default(),
        wpct(0.5),
        wpct(0.99),
        l.len(),
        deposits.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
        cpu_service / wall,
        cpu_pg / wall,
        cpu_counters / wall,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );
    running.stop().unwrap();
    drop_db(&admin, name);
}
