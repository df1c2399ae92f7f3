//! Crash test: a child process (this test binary, in child mode) commits deposits, batches,
//! redemptions and transfers, printing each operation id only once the bank acknowledged it
//! (committed and synced to the journal copy; sled is flushed only at checkpoints, so a kill
//! leaves it behind and the open replays the rest from the copy). The parent kills it with SIGKILL at seeded random moments, reopens
//! the store, runs `check`, and asserts that every acknowledged operation is there exactly once
//! and that re-submitting the last unacknowledged one applies it at most once.
//! 25 rounds here; `scripts/crash-loop.sh N` (HOURBANK_CRASH_ROUNDS) for long runs.

use crate::common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use hourbank::bank::{Bank, BankError, BatchDeposit, Deposit, Mode, Op, Redemption, Transfer};
use hourbank::domain::{CardNo, Minutes, Origin};
use hourbank::store::Committed;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const VOLUNTEERS: usize = 20;

fn card_of(i: usize) -> CardNo {
    card(&format!("K{i:03}"))
}

/// The request numbered `n`, the same in child and parent.
fn submit(bank: &Bank, n: u64, op_id: &str) -> Result<Committed, BankError> {
    let mut rng = StdRng::seed_from_u64(n);
    let activity = bank.find_activity("入户宣传")?.0;
    let v = card_of(rng.random_range(0..VOLUNTEERS));
    match rng.random_range(0..10) {
        0..=4 => bank.execute(
            &admin(),
            &Op::Deposit(Deposit {
                card: v,
                activity,
                minutes: Minutes::new(rng.random_range(30..240)),
                served_on: None,
                note: String::new(),
            }),
            Mode::commit(Some(op_id)),
        ),
        5 | 6 => {
            let mut cards: Vec<CardNo> = (0..VOLUNTEERS).map(card_of).collect();
            cards.truncate(rng.random_range(2..VOLUNTEERS));
            bank.execute(
                &admin(),
                &Op::DepositBatch(BatchDeposit {
                    cards,
                    activity,
                    minutes: Minutes::new(60),
                    served_on: None,
                    note: String::new(),
                }),
                Mode::commit(Some(op_id)),
            )
        }
        7 | 8 => {
            let reward = bank.find_reward("洗衣液")?.id;
            bank.execute(
                &admin(),
                &Op::Redeem(Redemption { card: v, reward, qty: 1 }),
                Mode::commit(Some(op_id)),
            )
        }
        _ => {
            let to = card_of(rng.random_range(0..VOLUNTEERS));
            bank.execute(
                &admin(),
                &Op::Transfer(Transfer { from: v, to, minutes: Minutes::new(30), note: String::new() }),
                Mode::commit(Some(op_id)),
            )
        }
    }
}

/// Child mode: runs only when the parent starts it with HOURBANK_CRASH_CHILD set.
#[test]
#[ignore = "child process of crash_rounds"]
fn crash_child() {
    let Ok(dir) = std::env::var("HOURBANK_CRASH_CHILD") else { return };
    let start: u64 = std::env::var("HOURBANK_CRASH_START").unwrap().parse().unwrap();
    let bank = Bank::open(std::path::Path::new(&dir)).unwrap().with_clock(fixed_clock());
    let out = std::io::stdout();
    for n in start.. {
        let op_id = format!("op-{n}");
        writeln!(out.lock(), "TRY {n}").unwrap();
        match submit(&bank, n, &op_id) {
            Ok(_) => writeln!(out.lock(), "ACK {n}").unwrap(),
            Err(BankError::Rule(_)) => writeln!(out.lock(), "REFUSED {n}").unwrap(),
            Err(e) => panic!("store error: {e}"),
        }
    }
}

/// How many journal events carry each operation id.
fn op_counts(bank: &Bank) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for e in bank.store().journal_from(1) {
        if let Origin::Op(tag) = e.unwrap().body.origin {
            *counts.entry(tag.id).or_default() += 1;
        }
    }
    counts
}

#[test]
fn crash_rounds() {
    let rounds: u64 = std::env::var("HOURBANK_CRASH_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(25);
    let (dir, bank) = new_bank();
    activity(&bank, "入户宣传");
    reward(&bank, "洗衣液", 2, Some(1_000_000));
    for i in 0..VOLUNTEERS {
        register(&bank, card_of(i).as_str(), "某某");
    }
    drop(bank);
    let mut rng = StdRng::seed_from_u64(2026);
    let exe = std::env::current_exe().unwrap();
    let mut acknowledged = 0usize;
    let mut replayed = 0u64;
    for round in 0..rounds {
        let start = round * 1_000_000;
        let mut child = Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                &common::test_name(module_path!(), "crash_child"),
                "--nocapture",
                "--test-threads=1",
            ])
            .env("HOURBANK_CRASH_CHILD", dir.path())
            .env("HOURBANK_CRASH_START", start.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout).lines().map_while(Result::ok).collect::<Vec<_>>()
        });
        std::thread::sleep(Duration::from_millis(rng.random_range(20..400)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let lines = reader.join().unwrap();

        let acked: Vec<u64> =
            lines.iter().filter_map(|l| l.strip_prefix("ACK ")).map(|n| n.parse().unwrap()).collect();
        let last_try: Option<u64> =
            lines.iter().filter_map(|l| l.strip_prefix("TRY ")).map(|n| n.parse().unwrap()).next_back();
        acknowledged += acked.len();

        let bank = Bank::open(dir.path()).unwrap().with_clock(fixed_clock());
        replayed += bank.store().replayed_at_open();
        let report = bank.check().unwrap();
        assert!(report.ok, "round {round}: {:?}", report.problems);
        // The journal copy (the log a commit is acknowledged by; sled is flushed only at
        // checkpoints) and sled met on open: it is the journal, byte for byte.
        let mut journal = Vec::new();
        for item in bank.store().journal_raw() {
            let (_, value) = item.unwrap();
            journal.extend_from_slice(&(value.len() as u32).to_le_bytes());
            journal.extend_from_slice(&value);
        }
        let copy = journal_file(dir.path());
        assert!(copy == journal, "round {round}: the journal copy is not the journal");
        // And its index points at each record.
        let mut starts = Vec::new();
        let mut at = 0;
        while at < copy.len() {
            starts.extend_from_slice(&(at as u64).to_le_bytes());
            at += 4 + u32::from_le_bytes(copy[at..at + 4].try_into().unwrap()) as usize;
        }
        assert!(
            std::fs::read(dir.path().join("journal.idx")).unwrap() == starts,
            "round {round}: journal.idx does not point at the copy's records"
        );
        let counts = op_counts(&bank);
        for n in &acked {
            assert_eq!(
                counts.get(&format!("op-{n}")),
                Some(&1),
                "round {round}: acknowledged op-{n} must be present once"
            );
        }
        // The operation in flight when the child died: applied before the kill or not, a
        // retry must leave it applied at most once.
        if let Some(n) = last_try.filter(|n| !acked.contains(n)) {
            let id = format!("op-{n}");
            let before = counts.get(&id).copied().unwrap_or(0);
            assert!(before <= 1);
            match submit(&bank, n, &id) {
                Ok(c) => assert_eq!(c.replayed, before == 1, "round {round}: retry of {id}"),
                Err(BankError::Rule(_)) => assert_eq!(before, 0),
                Err(e) => panic!("{e}"),
            }
            assert!(
                op_counts(&bank).get(&id).copied().unwrap_or(0) <= 1,
                "round {round}: {id} applied twice"
            );
            assert!(bank.check().unwrap().ok);
        }
    }
    assert!(acknowledged > 0, "the child never got an operation acknowledged: the test proved nothing");
    // sled is checkpointed every few thousand events: the kills left it behind the copy, and
    // the opens replayed what the copy had acknowledged.
    assert!(replayed > 0, "no open replayed anything from the copy: the kills never found sled behind");
    eprintln!(
        "{rounds} crash rounds, {acknowledged} acknowledged operations all present once, {replayed} events replayed on open"
    );
}
