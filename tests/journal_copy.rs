//! The journal copy (`<store>/journal.copy`): the store's journal (schema 2: sled holds none),
//! the log a commit is acknowledged by, replayed into sled on open when sled is behind it, and
//! what backups stream from. A copy with bytes past its last whole record has them cut and kept
//! aside; one that does not reach sled's head, or is damaged in the middle, is refused — never
//! trusted, and never "repaired" by guessing.

use crate::common;

use std::path::{Path, PathBuf};

use common::*;
use hourbank::bank::{Bank, Mode, Op};

const COPY: &str = "journal.copy";

fn reopen(dir: &Path) -> Bank {
    Bank::open(dir).expect("open").with_clock(fixed_clock())
}

/// A store with a few dozen events, closed, and the copy as it stands.
fn store_with_events() -> (tempfile::TempDir, PathBuf, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    {
        let bank = init_in(&store);
        let sorting = activity(&bank, "垃圾分类督导");
        for i in 0..20 {
            register(&bank, &format!("JH{i:06}"), "陈华佩");
            bank.execute(
                &admin(),
                &Op::Deposit(deposit(&format!("JH{i:06}"), sorting, 30 + i)),
                Mode::commit(None),
            )
            .unwrap();
        }
    }
    let copy = journal_file(&store);
    (dir, store, copy)
}

/// Two more commits on an open store: an activity, and a deposit of 45 minutes to JH000003.
fn commit_two_more(bank: &Bank) {
    let campaign = activity(bank, "入户宣传");
    bank.execute(&admin(), &Op::Deposit(deposit("JH000003", campaign, 45)), Mode::commit(None)).unwrap();
}

/// The byte offsets where each record of a copy starts.
fn record_starts(copy: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut at = 0;
    while at < copy.len() {
        starts.push(at);
        at += 4 + u32::from_le_bytes(copy[at..at + 4].try_into().unwrap()) as usize;
    }
    assert_eq!(at, copy.len(), "the copy is whole records");
    starts
}

fn backup_bytes(bank: &Bank, path: &Path) -> Vec<u8> {
    bank.backup(path).expect("backup");
    std::fs::read(path).unwrap()
}

#[test]
fn a_backup_is_the_copy_s_records_and_a_missing_copy_is_refused() {
    let (dir, store, copy) = store_with_events();
    let bank = reopen(&store);
    assert_eq!(record_starts(&copy).len() as u64, bank.store().head().unwrap().next_seq - 1);
    let backup = backup_bytes(&bank, &dir.path().join("a.hbk"));
    // The records of a backup are the copy's bytes, exactly.
    assert!(backup.windows(copy.len()).any(|w| w == copy.as_slice()));
    // With the copy gone from under the open store there is no journal to back up.
    std::fs::rename(store.join(COPY), dir.path().join("kept")).unwrap();
    let refused = bank.backup(&dir.path().join("b.hbk")).expect_err("no journal, no backup");
    assert!(!dir.path().join("b.hbk").exists(), "{refused}");
    drop(bank);
    // Nor is the store opened without it: sled has no second journal.
    let refused = Bank::open(&store).err().expect("refused");
    assert!(refused.to_string().contains("journal.copy holds it only to #0"), "{refused}");
    std::fs::rename(dir.path().join("kept"), store.join(COPY)).unwrap();
    let bank = reopen(&store);
    assert!(backup_bytes(&bank, &dir.path().join("c.hbk")) == backup);
}

#[test]
fn the_copy_follows_every_commit() {
    let (dir, store, copy) = store_with_events();
    let bank = reopen(&store);
    commit_two_more(&bank);
    let grown = journal_file(&store);
    assert!(grown.len() > copy.len() && grown.starts_with(&copy));
    assert_eq!(record_starts(&grown).len() as u64, bank.store().head().unwrap().next_seq - 1);
    let backup = backup_bytes(&bank, &dir.path().join("a.hbk"));
    assert!(backup.windows(grown.len()).any(|w| w == grown.as_slice()));
    // Zeros are written ahead of the records, so that the next appends overwrite blocks the
    // file has; an open takes them for room, not for a torn append.
    assert!(std::fs::metadata(store.join(COPY)).unwrap().len() > grown.len() as u64, "no room ahead");
    drop(bank);
    let bank = reopen(&store);
    assert!(!store.join("journal.copy.cut").exists(), "the room was cut as a torn append");
    assert_eq!(bank.store().replayed_at_open(), 0);
    activity(&bank, "敬老助老");
    let more = journal_file(&store);
    assert!(more.len() > grown.len() && more.starts_with(&grown));
}

/// The store's files as they are while the counter runs, right after a commit: sled has not
/// been flushed since (it is, at checkpoints), so what it holds on disk is behind; the copy
/// holds the commit, and an open of those files replays it. A torn append after it (a commit
/// whose sync never returned, so never acknowledged) is cut and kept aside.
#[test]
fn a_commit_is_saved_by_the_copy_before_sled_is_flushed() {
    let (dir, store, _) = store_with_events();
    let bank = reopen(&store);
    commit_two_more(&bank);
    let want = (bank.find_card(&card("JH000003")).unwrap().account, bank.store().head().unwrap());
    let on_disk = dir.path().join("on-disk");
    copy_dir(&store, &on_disk);
    drop(bank);
    let mut copy = journal_file(&on_disk);
    let whole = copy.len();
    let torn = copy[record_starts(&copy)[5]..][..30].to_vec();
    copy.extend_from_slice(&torn);
    std::fs::write(on_disk.join(COPY), &copy).unwrap();

    let bank = reopen(&on_disk);
    let replayed = bank.store().replayed_at_open();
    assert!(replayed >= 1, "sled had the deposit on disk already");
    assert_eq!((bank.find_card(&card("JH000003")).unwrap().account, bank.store().head().unwrap()), want);
    assert!(bank.check().unwrap().ok);
    assert_eq!(std::fs::read(on_disk.join(COPY)).unwrap().len(), whole, "the torn append is cut");
    assert!(std::fs::read(on_disk.join("journal.copy.cut")).unwrap() == copy[whole..], "and kept aside");
    drop(bank);
    // Replayed into sled and checkpointed: the next open has nothing to replay.
    assert_eq!(reopen(&on_disk).store().replayed_at_open(), 0);
}

#[test]
fn a_copy_that_does_not_reach_sleds_head_is_refused_untouched() {
    let (_dir, store, copy) = store_with_events();
    let starts = record_starts(&copy);
    let last = starts.len() as u64;
    let behind = copy[..starts[starts.len() - 3]].to_vec();
    let torn = copy[..starts[starts.len() - 1] + 7].to_vec();
    for (what, bytes, reaches) in
        [("behind", behind, last - 3), ("torn", torn, last - 1), ("empty", vec![], 0)]
    {
        std::fs::write(store.join(COPY), &bytes).unwrap();
        let refused = Bank::open(&store).err().unwrap_or_else(|| panic!("{what}: opened"));
        let said = refused.to_string();
        assert!(
            said.contains(&format!("up to #{last}")) && said.contains(&format!("only to #{reaches}")),
            "{what}: {said}"
        );
        assert!(std::fs::read(store.join(COPY)).unwrap() == bytes, "{what}: the copy was changed");
    }
    std::fs::write(store.join(COPY), &copy).unwrap();
    assert!(reopen(&store).check().unwrap().ok);
}

#[test]
fn bytes_past_the_last_whole_record_are_cut_and_kept() {
    let (_dir, store, copy) = store_with_events();
    let starts = record_starts(&copy);
    let mut foreign = copy.clone();
    foreign.extend_from_slice(&[0x42; 100]);
    // A record of this journal again: it does not continue the chain.
    let mut again = copy.clone();
    again.extend_from_slice(&copy[starts[1]..starts[2]]);
    for (what, bytes) in [("foreign tail", foreign), ("a record that does not chain", again)] {
        std::fs::write(store.join(COPY), &bytes).unwrap();
        let bank = reopen(&store);
        assert_eq!(bank.store().replayed_at_open(), 0, "{what}");
        assert!(std::fs::read(store.join(COPY)).unwrap() == copy, "{what}: not cut");
        assert!(std::fs::read(store.join("journal.copy.cut")).unwrap() == bytes[copy.len()..], "{what}");
        assert!(bank.check().unwrap().ok, "{what}");
    }
}

#[test]
fn a_copy_damaged_in_the_middle_is_refused_by_the_backup_and_found_by_check() {
    let (dir, store, copy) = store_with_events();
    let reference = backup_bytes(&reopen(&store), &dir.path().join("reference.hbk"));
    let starts = record_starts(&copy);
    let records = starts.len() - 2;
    // A byte of a length prefix or of a value (the version byte included) in every 7th record.
    let flips = starts[..records]
        .iter()
        .enumerate()
        .step_by(7)
        .flat_map(|(n, &start)| [(n, start + n % 4), (n, start + 4 + n % 20)]);
    for (n, at) in flips {
        let mut damaged = copy.clone();
        damaged[at] ^= 0x01;
        std::fs::write(store.join(COPY), &damaged).unwrap();
        // The open proves the copy's end, not every byte before it: the store opens...
        let bank = reopen(&store);
        let path = dir.path().join(format!("{at}.hbk"));
        // ...but no backup is taken of a journal whose chain breaks,
        let refused = bank.backup(&path).expect_err("a backup of a damaged journal");
        assert!(refused.to_string().contains("journal.copy does not verify"), "record {n}: {refused}");
        assert!(!path.exists(), "record {n}");
        // and check finds it.
        let report = bank.check().unwrap();
        assert!(!report.ok && report.problems.iter().any(|p| p.invariant == 4), "record {n}: {report:?}");
        assert!(std::fs::read(store.join(COPY)).unwrap() == damaged, "record {n}: the copy was changed");
        drop(bank);
    }
    std::fs::write(store.join(COPY), &copy).unwrap();
    assert!(backup_bytes(&reopen(&store), &dir.path().join("again.hbk")) == reference);
}

/// `journal.idx` as the test reads it: the offset of each record, by seq.
fn index_of(store: &Path) -> Vec<usize> {
    let bytes = std::fs::read(store.join("journal.idx")).expect("the index exists");
    bytes.chunks(8).map(|c| u64::from_le_bytes(c.try_into().unwrap()) as usize).collect()
}

/// The journal, decoded, by seq.
fn journal_events(bank: &Bank) -> Vec<hourbank::domain::Event> {
    bank.store().journal_from(1).map(|e| e.unwrap()).collect()
}

#[test]
fn events_are_read_by_seq_from_the_copy_through_its_index() {
    let (_dir, store, copy) = store_with_events();
    let bank = reopen(&store);
    // The first open by this version wrote the index: one entry per record, at its start.
    assert_eq!(index_of(&store), record_starts(&copy));
    let journal = journal_events(&bank);
    assert_eq!(journal.len(), record_starts(&copy).len());
    for (i, want) in journal.iter().enumerate() {
        assert_eq!(bank.store().event(i as u64 + 1).unwrap().as_ref(), Some(want), "#{}", i + 1);
    }
    // And so do reads of the journal in order, from any seq.
    assert!(journal_events(&bank) == journal, "read in order");
    let from_8: Vec<_> = bank.store().journal_from(8).map(|e| e.unwrap()).collect();
    assert!(from_8 == journal[7..], "read in order from #8");
    // Every commit adds its entries.
    commit_two_more(&bank);
    let grown = journal_file(&store);
    assert_eq!(index_of(&store), record_starts(&grown));
}

/// An index that points anywhere but at the record asked for — zeroed, shifted by one, past
/// the copy — and a record damaged in the copy are never believed: the reads they touch are
/// errors (there is no second journal to read instead), every other read is right. A damaged
/// index found on open is made again.
#[test]
fn a_wrong_index_or_a_damaged_record_is_never_believed() {
    let (_dir, store, copy) = store_with_events();
    let starts = record_starts(&copy);
    let bank = reopen(&store);
    let journal = journal_events(&bank);
    let idx = std::fs::OpenOptions::new().write(true).open(store.join("journal.idx")).unwrap();
    use std::os::unix::fs::FileExt;
    let k = 9usize; // seq 10
    let put = |seq: usize, offset: usize| {
        idx.write_all_at(&(offset as u64).to_le_bytes(), (seq as u64 - 1) * 8).unwrap()
    };
    // Seqs k..=k+2 (0-based k-1..=k+1) may be touched by what is changed around seq 10.
    let touched = k - 1..=k + 1;
    let read_ok = |what: &str| {
        let mut refused = 0;
        for (i, want) in journal.iter().enumerate() {
            match bank.store().event(i as u64 + 1) {
                Ok(got) => assert_eq!(got.as_ref(), Some(want), "{what}: #{}", i + 1),
                Err(_) if touched.contains(&i) => refused += 1,
                Err(e) => panic!("{what}: #{} refused: {e}", i + 1),
            }
        }
        assert!(refused > 0, "{what}: nothing was refused");
        for from in [1, k - 1, k, k + 1, k + 2] {
            let mut read = Vec::new();
            for item in bank.store().journal_from(from as u64 + 1) {
                match item {
                    Ok(event) => read.push(event),
                    Err(_) => break,
                }
            }
            assert!(journal[from..].starts_with(&read), "{what}: in order from #{}", from + 1);
            let stopped_at = from + read.len();
            assert!(
                stopped_at == journal.len() || touched.contains(&stopped_at),
                "{what}: stopped at #{}",
                stopped_at + 1
            );
        }
    };
    put(k + 1, 0);
    read_ok("zeroed entry");
    // Seqs 10 and 11 pointed at records 11 and 12: a pair that chains, but the wrong seq.
    put(k, starts[k + 1]);
    put(k + 1, starts[k + 2]);
    read_ok("shifted entries");
    put(k + 1, copy.len() + 100);
    read_ok("past the copy");
    put(k, starts[k - 1]);
    put(k + 1, starts[k]);
    // A byte of record 10's value flipped in the copy.
    let file = std::fs::OpenOptions::new().write(true).open(store.join(COPY)).unwrap();
    file.write_all_at(&[copy[starts[k] + 20] ^ 0x10], (starts[k] + 20) as u64).unwrap();
    read_ok("damaged record");
    file.write_all_at(&[copy[starts[k] + 20]], (starts[k] + 20) as u64).unwrap();
    drop(bank);
    // Closed with its last entry wrong: made again on open.
    let last = starts.len();
    let idx = std::fs::OpenOptions::new().write(true).open(store.join("journal.idx")).unwrap();
    idx.write_all_at(&0u64.to_le_bytes(), (last as u64 - 1) * 8).unwrap();
    drop(reopen(&store));
    assert_eq!(index_of(&store), starts);
    // And gone altogether.
    std::fs::remove_file(store.join("journal.idx")).unwrap();
    drop(reopen(&store));
    assert_eq!(index_of(&store), starts);
}

/// The rules read an earlier event inside a commit (a reversal's target) through the copy too.
#[test]
fn a_reversal_reads_its_target_from_the_copy() {
    let (_dir, store, _) = store_with_events();
    let bank = reopen(&store);
    let target = bank.store().head().unwrap().next_seq - 1;
    let before = bank.find_card(&card("JH000019")).unwrap().account.balance();
    let reversal = hourbank::bank::Reversal { target, reason: "录错".to_string() };
    bank.execute(&admin(), &Op::Reverse(reversal), Mode::commit(None))
        .expect("the target is read from the copy");
    assert_eq!(bank.find_card(&card("JH000019")).unwrap().account.balance(), before - (30 + 19));
}
