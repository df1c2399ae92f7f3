//! Ledger benchmarks, each beside a baseline measured in the same run on the same disk:
//! `cargo bench --bench ledger -- [--volunteers N] [--entries N] [--dir DIR]`
//! (or `scripts/bench.sh`, which also measures peak memory and the SQLite comparison).
//! Prints a Markdown table. Timings are wall-clock medians of this run: compare ratios, not
//! absolute numbers, across machines.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use hourbank::bank::{Bank, BatchDeposit, Deposit, Mode, NewStaff, Op};
use hourbank::domain::{
    Actor, CardNo, Event, EventBody, EventKind, ImportRef, Minutes, Name, Origin, Role, StaffId, Timestamp,
};
use hourbank::store::codec;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sled::Transactional;

struct Args {
    volunteers: usize,
    entries: usize,
    dir: PathBuf,
}

fn args() -> Args {
    let mut a =
        Args { volunteers: 100_000, entries: 1_000_000, dir: std::env::temp_dir().join("hourbank-bench") };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--volunteers" => a.volunteers = it.next().and_then(|v| v.parse().ok()).unwrap_or(a.volunteers),
            "--entries" => a.entries = it.next().and_then(|v| v.parse().ok()).unwrap_or(a.entries),
            "--dir" => a.dir = it.next().map(PathBuf::from).unwrap_or(a.dir),
            _ => {} // cargo passes --bench
        }
    }
    a
}

fn du(path: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(path) {
        for e in entries.flatten() {
            let m = e.metadata().unwrap();
            total += if m.is_dir() { du(&e.path()) } else { m.len() };
        }
    }
    total
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn raw_db(path: &Path) -> sled::Db {
    let _ = std::fs::remove_dir_all(path);
    sled::Config::new().path(path).cache_capacity(32 * 1024 * 1024).flush_every_ms(None).open().unwrap()
}

struct Row(String, String, String, String);

fn main() {
    let a = args();
    let _ = std::fs::remove_dir_all(&a.dir);
    std::fs::create_dir_all(&a.dir).unwrap();
    let data = a.dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    eprintln!("generating {} volunteers and {} entries…", a.volunteers, a.entries);
    let stats = hourbank::sample::write_dataset(
        std::fs::File::create(data.join("volunteers.csv")).unwrap(),
        std::fs::File::create(data.join("entries.csv")).unwrap(),
        a.volunteers,
        a.entries,
        2026,
    )
    .unwrap();
    let mut rows: Vec<Row> = Vec::new();

    // --- Import: ours vs a raw sled bulk insert of the same records -------------------------
    // The baseline writes exactly the journal values our import writes (same codec), in
    // batches of the same size, flushed per batch — without rules, projections or transactions.
    eprintln!("baseline: raw sled bulk insert…");
    let raw = raw_db(&a.dir.join("raw-insert"));
    let journal = raw.open_tree("journal").unwrap();
    let text = std::fs::read_to_string(data.join("entries.csv")).unwrap();
    let t = Instant::now();
    let mut batch = sled::Batch::default();
    let mut prev = [0u8; 32];
    for (i, line) in text.lines().skip(1).enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let seq = i as u64 + 1;
        let kind = if f[3] == "deposit" {
            EventKind::Deposited {
                volunteer: 1,
                activity: 2,
                minutes: Minutes::new(f[4].parse().unwrap()),
                served_on: hourbank::domain::Day::parse("2025-01-01").unwrap(),
                note: String::new(),
            }
        } else {
            EventKind::Redeemed {
                volunteer: 1,
                reward: 3,
                qty: 1,
                minutes: Minutes::new(f[4].parse().unwrap()),
            }
        };
        let body = EventBody {
            seq,
            at: Timestamp::from_micros(0),
            counter: "BENCH".into(),
            actor: Actor::Cli("bench".into()),
            origin: Origin::Import(ImportRef {
                source: "csv".into(),
                row_id: f[0].into(),
                occurred: Timestamp::from_micros(0),
            }),
            kind,
        };
        let (hash, stored) = hourbank::store::encode_event(&prev, &body).unwrap();
        prev = hash;
        batch.insert(&seq.to_be_bytes(), stored);
        if seq.is_multiple_of(256) {
            journal.apply_batch(std::mem::take(&mut batch)).unwrap();
            raw.flush().unwrap();
        }
    }
    journal.apply_batch(batch).unwrap();
    raw.flush().unwrap();
    let raw_insert = t.elapsed();
    let raw_size = du(&a.dir.join("raw-insert"));
    drop(journal);
    drop(raw);
    drop(text);

    eprintln!("hourbank import…");
    let store = a.dir.join("store");
    let who = Actor::Cli("bench".into());
    let admin = NewStaff {
        id: StaffId::parse("A01").unwrap(),
        name: Name::parse("管理员").unwrap(),
        role: Role::Admin,
        pin: "1234".into(),
    };
    let bank = Bank::init(&store, &Name::parse("BENCH").unwrap(), admin, &who).unwrap();
    let t = Instant::now();
    bank.import_volunteers(&who, &data.join("volunteers.csv"), "csv").unwrap();
    let vol_import = t.elapsed();
    let t = Instant::now();
    bank.import_entries(&who, &data.join("entries.csv"), "csv", &mut |_, _| {}).unwrap();
    let import = t.elapsed();
    let n = a.entries as f64;
    rows.push(Row(
        format!("import {} entries", a.entries),
        format!("{:.0} entries/s ({:.1} s)", n / import.as_secs_f64(), import.as_secs_f64()),
        format!("raw sled batch insert: {:.0} records/s", n / raw_insert.as_secs_f64()),
        format!("{:.2}× (target ≥ 0.5×)", raw_insert.as_secs_f64() / import.as_secs_f64()),
    ));
    rows.push(Row(
        format!("import {} volunteers", a.volunteers),
        format!("{:.0} rows/s", a.volunteers as f64 / vol_import.as_secs_f64()),
        "—".into(),
        "—".into(),
    ));

    // --- Durable deposit latency vs a raw two-tree transaction + flush --------------------------
    eprintln!("deposit latency…");
    let bank = bank.with_clock(Arc::new(|| Utc.with_ymd_and_hms(2026, 11, 29, 2, 0, 0).unwrap()));
    let activity = bank.find_activity("垃圾分类督导").unwrap().0;
    let mut rng = StdRng::seed_from_u64(1);
    let card = |rng: &mut StdRng| {
        CardNo::parse(&hourbank::sample::card(rng.random_range(1..=a.volunteers))).unwrap()
    };
    let mut ours = Vec::new();
    for _ in 0..2000 {
        let d = Deposit {
            card: card(&mut rng),
            activity,
            minutes: Minutes::new(60),
            served_on: None,
            note: String::new(),
        };
        let t = Instant::now();
        bank.execute(&who, &Op::Deposit(d.clone()), Mode::commit(None)).unwrap();
        ours.push(t.elapsed());
    }
    ours.sort();
    let raw = raw_db(&a.dir.join("raw-deposit"));
    let (j, b) = (raw.open_tree("journal").unwrap(), raw.open_tree("balances").unwrap());
    let value = vec![7u8; 110];
    let mut base = Vec::new();
    for seq in 0..2000u64 {
        let who = rng.random_range(0..a.volunteers as u64).to_be_bytes();
        let t = Instant::now();
        (&j, &b)
            .transaction(|(j, b)| {
                j.insert(&seq.to_be_bytes(), value.as_slice())?;
                let old = b
                    .get(who)?
                    .map(|v| u64::from_be_bytes(v.as_ref().try_into().unwrap_or([0; 8])))
                    .unwrap_or(0);
                b.insert(&who, &(old + 60).to_be_bytes())?;
                Ok::<_, sled::transaction::ConflictableTransactionError<()>>(())
            })
            .unwrap();
        raw.flush().unwrap();
        base.push(t.elapsed());
    }
    base.sort();
    let (om, op, bm, bp) =
        (percentile(&ours, 0.5), percentile(&ours, 0.99), percentile(&base, 0.5), percentile(&base, 0.99));
    rows.push(Row(
        "durable deposit latency".into(),
        format!("median {om:.0?}, p99 {op:.0?}"),
        format!("raw 2-tree txn + flush: median {bm:.0?}, p99 {bp:.0?}"),
        format!("{:.2}× median (target ≤ 1.3×)", om.as_secs_f64() / bm.as_secs_f64()),
    ));
    drop((j, b, raw));

    // --- A 50-card batch vs 50 single deposits -------------------------------------------------
    let cards: Vec<CardNo> = (1..=50).map(|i| CardNo::parse(&hourbank::sample::card(i)).unwrap()).collect();
    let t = Instant::now();
    for _ in 0..5 {
        for c in &cards {
            bank.execute(
                &who,
                &Op::Deposit(Deposit {
                    card: c.clone(),
                    activity,
                    minutes: Minutes::new(60),
                    served_on: None,
                    note: String::new(),
                }),
                Mode::commit(None),
            )
            .unwrap();
        }
    }
    let singles = t.elapsed() / 5;
    let t = Instant::now();
    for _ in 0..5 {
        let batch = BatchDeposit {
            cards: cards.clone(),
            activity,
            minutes: Minutes::new(60),
            served_on: None,
            note: String::new(),
        };
        bank.execute(&who, &Op::DepositBatch(batch.clone()), Mode::commit(None)).unwrap();
    }
    let batched = t.elapsed() / 5;
    rows.push(Row(
        "50-card deposit_batch".into(),
        format!("{batched:.1?} per batch"),
        format!("50 single deposits: {singles:.1?}"),
        format!("{:.1}× throughput (target ≥ 20×)", singles.as_secs_f64() / batched.as_secs_f64()),
    ));

    // --- Export balances (reads projections only) ----------------------------------------------
    let t = Instant::now();
    let mut sink = std::io::sink();
    hourbank::report::export_balances(&bank, &mut sink).unwrap();
    let export = t.elapsed();
    rows.push(Row(
        format!("export balances, {} volunteers", a.volunteers),
        format!("{export:.2?}"),
        "—".into(),
        "target ≤ 0.3 s".into(),
    ));

    // --- check vs a raw scan-and-decode of the same journal ------------------------------------
    let events = bank.store().next_seq().unwrap() - 1;
    drop(bank);
    eprintln!("check…");
    // The baseline: the journal's file read and every record decoded, nothing else (the
    // journal is `journal.copy` alone since schema 2).
    let t = Instant::now();
    let mut decoded = 0u64;
    {
        use std::io::Read;
        let mut file = std::io::BufReader::with_capacity(
            1 << 20,
            std::fs::File::open(store.join("journal.copy")).unwrap(),
        );
        let mut word = [0u8; 4];
        let mut value = Vec::new();
        // Up to the room of zeros the store keeps written ahead.
        while file.read_exact(&mut word).is_ok() && word != [0; 4] {
            value.resize(u32::from_le_bytes(word) as usize, 0);
            file.read_exact(&mut value).unwrap();
            let e: Event = codec::decode("journal", &decoded.to_be_bytes(), &value).unwrap();
            decoded += u64::from(e.body.seq > 0);
        }
    }
    let scan = t.elapsed();
    let bank = Bank::open(&store).unwrap();
    let t = Instant::now();
    let report = bank.check().unwrap();
    let check = t.elapsed();
    assert!(report.ok && decoded == events);
    rows.push(Row(
        format!("check, {events} events"),
        format!("{:.2} s", check.as_secs_f64()),
        format!("raw scan + decode: {:.2} s", scan.as_secs_f64()),
        format!("{:.2}× (target ≤ 2.5×)", check.as_secs_f64() / scan.as_secs_f64()),
    ));
    let size = du(&store);
    rows.push(Row(
        "store size on disk".into(),
        format!("{:.0} MB", size as f64 / 1e6),
        format!("raw sled journal alone: {:.0} MB", raw_size as f64 / 1e6),
        format!("{:.2}× the raw journal", size as f64 / raw_size as f64),
    ));

    println!(
        "\n{} volunteers, {} deposits, {} redemptions; {} cores\n",
        stats.volunteers,
        stats.deposits,
        stats.redemptions,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    println!("| measure | hourbank | baseline (same run) | ratio |");
    println!("|---|---|---|---|");
    for Row(a, b, c, d) in rows {
        println!("| {a} | {b} | {c} | {d} |");
    }
}
