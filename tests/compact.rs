//! Giving disk space back: sled never shrinks its files, so dropping a store's copy of other
//! counters' journals asks the next open to copy the store into a fresh sled and swap the two
//! (`store::compact`). The store opens whole from every point a crash could leave the swap at.

use crate::common;

use common::*;
use hourbank::bank::{Bank, Mode, Op};
use hourbank::domain::CounterCode;

fn size(path: &std::path::Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(path).unwrap().flatten() {
        let meta = entry.metadata().unwrap();
        total += if meta.is_dir() { size(&entry.path()) } else { meta.len() };
    }
    total
}

/// Counter B holding a copy of counter A's journal (as counters pulled before the directory),
/// and its own volunteer with hours.
fn b_with_a_copy(dir: &std::path::Path) -> (std::path::PathBuf, u64) {
    let a = init_in(&dir.join("a"));
    a.set_counter_code(&admin(), None, &CounterCode::parse("JH-A-01").unwrap()).unwrap();
    let sorting = activity(&a, "垃圾分类督导");
    for i in 0..200 {
        register(&a, &format!("JH{:06}", 1000 + i), "志愿者");
        for _ in 0..10 {
            a.execute(
                &admin(),
                &Op::Deposit(deposit(&format!("JH{:06}", 1000 + i), sorting, 30)),
                Mode::commit(None),
            )
            .unwrap();
        }
    }
    let rows: Vec<(u64, Vec<u8>)> = a.stored_events_from(1).map(Result::unwrap).collect();
    let b_store = dir.join("b");
    let b = init_in(&b_store);
    register(&b, "JH000001", "陈华佩");
    let b_sorting = activity(&b, "垃圾分类督导");
    b.execute(&admin(), &Op::Deposit(deposit("JH000001", b_sorting, 90)), Mode::commit(None)).unwrap();
    b.apply_remote("JH-A-01", &rows).unwrap();
    // The directory taken (position 1): what lets a sync drop the copy.
    b.apply_city_directory(1, &[]).unwrap();
    (b_store, rows.len() as u64)
}

fn card_minutes(bank: &Bank) -> u64 {
    bank.find_card(&card("JH000001")).unwrap().account.balance()
}

/// Measured on sled's files: what a compaction gives back (the journal copy and the room it
/// keeps ahead are not sled's).
#[test]
fn dropping_the_copy_gives_its_space_back_at_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let (b_store, copied) = b_with_a_copy(dir.path());
    let b = Bank::open(&b_store).unwrap();
    let held = size(&b_store.join("sled"));
    let last = b.last_seq().unwrap();
    assert_eq!(b.drop_city_copy(&admin()).unwrap(), Some((1, copied)));
    drop(b);
    assert!(
        size(&b_store.join("sled")) >= held * 9 / 10,
        "sled alone gives nothing back: {} of {held}",
        size(&b_store.join("sled"))
    );

    let b = Bank::open(&b_store).unwrap();
    let compacted = size(&b_store.join("sled"));
    assert!(compacted < held / 2, "{compacted} bytes after, {held} before");
    assert!(b.check().unwrap().problems.is_empty(), "{:?}", b.check().unwrap().problems);
    assert_eq!(b.last_seq().unwrap(), last + 1, "every entry and the drop's own");
    assert_eq!(card_minutes(&b), 90);
    assert_eq!(b.city_position().unwrap().0, 1, "the directory's position came along");
    assert!(b.permission_warning().is_none(), "the copy is its owner's only: {:?}", b.permission_warning());
    drop(b);
    // Asked once: the next open is an ordinary one.
    let b = Bank::open(&b_store).unwrap();
    assert_eq!(card_minutes(&b), 90);
    let sorting = b.find_activity("垃圾分类督导").unwrap().0;
    b.execute(&admin(), &Op::Deposit(deposit("JH000001", sorting, 30)), Mode::commit(None)).unwrap();
}

/// Makes, on disk, a state an interrupted compaction can leave.
type Interrupted = fn(&std::path::Path);

/// Every state an interrupted compaction can leave, made on disk, opens as the same store.
#[test]
fn a_compaction_cut_short_anywhere_opens_the_whole_store() {
    let dir = tempfile::tempdir().unwrap();
    let (b_store, _) = b_with_a_copy(dir.path());
    let last = Bank::open(&b_store).unwrap().last_seq().unwrap();
    let sled = b_store.join("sled");
    let states: [(&str, Interrupted); 4] = [
        ("the copy half made", |s| {
            std::fs::create_dir_all(s.join("sled.compact")).unwrap();
            std::fs::write(s.join("sled.compact/db"), b"half").unwrap();
            std::fs::write(s.join("compact-requested"), b"").unwrap();
        }),
        ("the copy complete, not swapped", |s| {
            copy_dir(&s.join("sled"), &s.join("sled.compact"));
            std::fs::write(s.join("sled.compact.done"), b"").unwrap();
        }),
        ("the old one moved aside, the copy not in place", |s| {
            copy_dir(&s.join("sled"), &s.join("sled.compact"));
            std::fs::write(s.join("sled.compact.done"), b"").unwrap();
            std::fs::rename(s.join("sled"), s.join("sled.old")).unwrap();
        }),
        ("swapped, the old one not removed", |s| {
            copy_dir(&s.join("sled"), &s.join("sled.old"));
            std::fs::write(s.join("sled.compact.done"), b"").unwrap();
        }),
    ];
    for (what, make) in states {
        make(&b_store);
        let b = Bank::open(&b_store).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(b.last_seq().unwrap(), last, "{what}");
        assert_eq!(card_minutes(&b), 90, "{what}");
        assert!(b.check().unwrap().problems.is_empty(), "{what}");
        drop(b);
        for leftover in ["sled.compact", "sled.compact.done", "sled.old", "compact-requested"] {
            assert!(!b_store.join(leftover).exists(), "{what}: {leftover} left");
        }
        assert!(sled.join("db").exists(), "{what}");
    }
}

/// An open that compacts, right after the store was closed while sled's threads still hold its
/// lock (what an upgrade's reopen meets, and what one CI run met in the test above), waits for
/// the lock as every open does, instead of failing.
#[test]
fn a_compacting_open_waits_for_sleds_lock() {
    let dir = tempfile::tempdir().unwrap();
    let (b_store, _) = b_with_a_copy(dir.path());
    {
        let b = Bank::open(&b_store).unwrap();
        assert!(b.drop_city_copy(&admin()).unwrap().is_some());
    }
    let sled_dir = b_store.join("sled");
    let held = (0..500)
        .find_map(|_| {
            let db = sled::Config::new().path(&sled_dir).open().ok();
            if db.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            db
        })
        .expect("sled's lock taken");
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        drop(held);
    });
    let b = Bank::open(&b_store).expect("the open waits for sled's lock");
    release.join().unwrap();
    assert!(!b_store.join("compact-requested").exists(), "and compacts");
    assert_eq!(card_minutes(&b), 90);
}
