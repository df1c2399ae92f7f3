//! What sled alone costs on a store's own data, the floor under issue 26's numbers:
//! `cargo bench --bench sled_floor -- --store DIR` (`scripts/bench.sh` runs it on the store it
//! imported). Prints one Markdown table:
//! - the live bytes of every tree against sled's files for them, as the store holds them and as
//!   a fresh sled given the same keys in batches writes them (no history, no garbage);
//! - a whole process that opens sled on the store's files (a copy), reads one account and
//!   closes, beside the same on the fresh copy and on an empty sled: `hourbank balance` cannot
//!   take less. (Timed in a new process each time: opens repeated in one process reuse memory
//!   the allocator already has, and measured 2–3× faster than a command's start.)
//!
//! It copies what it reads (the store is never opened for writing) into a temporary folder.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

enum Mode {
    Measure(PathBuf),
    /// A child: open sled at the path, read one key of `accounts`, close.
    OpenOnce(PathBuf, Vec<u8>),
}

fn mode() -> Mode {
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--store" => return Mode::Measure(it.next().map(PathBuf::from).expect("--store DIR")),
            "--open-once" => {
                let dir = it.next().map(PathBuf::from).expect("--open-once DIR KEY");
                let key = it.next().map(|k| k.into_bytes()).expect("--open-once DIR KEY");
                return Mode::OpenOnce(dir, key);
            }
            _ => {} // cargo passes --bench
        }
    }
    panic!("usage: cargo bench --bench sled_floor -- --store DIR");
}

fn bytes_on_disk(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let m = e.metadata().unwrap();
            if m.is_dir() { bytes_on_disk(&e.path()) } else { m.len() }
        })
        .sum()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// A new process that opens sled at `dir`, reads `key` of `accounts` and closes: its wall time.
fn open_once(dir: &Path, key: &[u8]) -> Duration {
    let me = std::env::current_exe().unwrap();
    let t = Instant::now();
    let status = std::process::Command::new(me).arg("--open-once").arg(dir).arg(hex(key)).status().unwrap();
    assert!(status.success());
    t.elapsed()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &[u8]) -> Vec<u8> {
    text.chunks(2).map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap()).collect()
}

fn main() {
    let store = match mode() {
        Mode::Measure(store) => store,
        Mode::OpenOnce(dir, key) => {
            let db = sled::Config::new()
                .path(dir)
                .cache_capacity(32 * 1024 * 1024)
                .flush_every_ms(None)
                .open()
                .unwrap();
            let _ = db.open_tree(b"accounts").unwrap().get(unhex(&key)).unwrap();
            return;
        }
    };
    let work = tempfile::tempdir().unwrap();
    let held = work.path().join("held");
    copy_dir(&store.join("sled"), &held);

    let db = sled::Config::new().path(&held).open().unwrap();
    let fresh_dir = work.path().join("fresh");
    let fresh = sled::Config::new().path(&fresh_dir).flush_every_ms(None).open().unwrap();
    let (mut keys, mut live) = (0u64, 0u64);
    let mut first_account = None;
    for name in db.tree_names() {
        let (from, to) = (db.open_tree(&name).unwrap(), fresh.open_tree(&name).unwrap());
        let mut batch = sled::Batch::default();
        for (n, item) in from.iter().enumerate() {
            let (k, v) = item.unwrap();
            keys += 1;
            live += (k.len() + v.len()) as u64;
            if &*name == b"accounts" && first_account.is_none() {
                first_account = Some(k.to_vec());
            }
            batch.insert(k, v);
            if n % 4096 == 4095 {
                to.apply_batch(std::mem::take(&mut batch)).unwrap();
            }
        }
        to.apply_batch(batch).unwrap();
    }
    fresh.flush().unwrap();
    drop((db, fresh));
    let key = first_account.unwrap_or_default();

    let empty = work.path().join("empty");
    drop(sled::Config::new().path(&empty).open().unwrap());
    let runs = |dir: &Path| median((0..7).map(|_| open_once(dir, &key)).collect());
    let (held_open, fresh_open, empty_open) = (runs(&held), runs(&fresh_dir), runs(&empty));

    let mb = |b: u64| b as f64 / 1e6;
    println!("| sled alone, on this store's data ({keys} keys) | measured |");
    println!("|---|---|");
    println!("| live bytes (keys + values, every tree) | {:.1} MB |", mb(live));
    println!("| sled's files as the store holds them | {:.1} MB |", mb(bytes_on_disk(&store.join("sled"))));
    println!(
        "| sled's files, the same keys written fresh in batches and flushed | {:.1} MB ({:.1}× the live bytes) |",
        mb(bytes_on_disk(&fresh_dir)),
        bytes_on_disk(&fresh_dir) as f64 / live.max(1) as f64
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "| a process that opens sled on the store's files, reads one account, closes (median of 7) | {:.1} ms |",
        ms(held_open)
    );
    println!(
        "| the same on the fresh copy / on an empty sled | {:.1} ms / {:.1} ms |",
        ms(fresh_open),
        ms(empty_open)
    );
}
