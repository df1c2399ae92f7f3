//! Faults of the disk and of sled, with real files and real processes: a full disk (a small
//! tmpfs this test mounts when it runs as root, as CI does), sled behind the copy,
//! bytes flipped all over sled's files, a restore racing a writer, and kills that used to leave
//! plaintext or half-built stores behind. No case may end in a panic (exit 101).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{copy_dir, hourbank, hourbank_ok};

fn init_store(store: &Path) {
    hourbank_ok(store, &["init", "--counter", "JM-01", "--admin", "A01", "--admin-name", "管理员"], "2468\n");
    hourbank_ok(store, &["activity", "add", "垃圾分类督导"], "");
    hourbank_ok(store, &["reward", "add", "--name", "洗衣液", "--cost", "1h", "--stock", "500"], "");
}

fn add_volunteer(store: &Path, i: usize) {
    let card = format!("JH{i:06}");
    hourbank_ok(
        store,
        &["volunteer", "add", "--card", &card, "--name", "陈华佩", "--phone", "13800138000"],
        "",
    );
}

/// Deposits and returns the seq the CLI acknowledged, or the failure (code, stderr).
fn deposit(store: &Path, i: usize, minutes: u32) -> Result<u64, (i32, String)> {
    let card = format!("JH{i:06}");
    let minutes = minutes.to_string();
    let (code, out, err) = hourbank(
        store,
        &["deposit", "--card", &card, "--minutes", &minutes, "--activity", "垃圾分类督导"],
        "",
    );
    if code == 0 {
        Ok(saved_seq(&out).unwrap_or_else(|| panic!("no seq in {out:?}")))
    } else {
        Err((code, err))
    }
}

fn saved_seq(out: &str) -> Option<u64> {
    let at = out.find("saved #")? + "saved #".len();
    out[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
}

/// `export entries`, the acknowledged entries as scripts see them.
fn entries(store: &Path) -> Result<String, (i32, String)> {
    let (code, out, err) = hourbank(store, &["export", "entries"], "");
    if code == 0 { Ok(out) } else { Err((code, err)) }
}

fn populated(store: &Path, volunteers: usize, deposits: usize) {
    init_store(store);
    for i in 0..volunteers {
        add_volunteer(store, i);
    }
    for n in 0..deposits {
        deposit(store, n % volunteers, 30 + n as u32).unwrap();
    }
}

fn check_ok(store: &Path) {
    let (code, out, err) = hourbank(store, &["check", "--json"], "");
    assert_eq!(code, 0, "check: {out} {err}");
    assert!(out.contains("\"ok\":true"), "{out}");
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// A tmpfs of `megabytes`, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, megabytes: u32) -> Tmpfs {
        std::fs::create_dir_all(at).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m,mode=0700"), "tmpfs"])
            .arg(at)
            .status()
            .expect("mount runs");
        assert!(status.success(), "mount tmpfs at {}", at.display());
        Tmpfs(at.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the filesystem of `dir` with one file until the disk is full.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let block = vec![0x5a; 64 * 1024];
    while file.write_all(&block).is_ok() {}
    // The last few bytes a short write left room for.
    while file.write_all(&block[..512]).is_ok() {}
    while file.write_all(&block[..1]).is_ok() {}
    let _ = file.sync_all();
    path
}

#[test]
fn a_full_disk_refuses_writes_loses_nothing_and_the_store_opens_again_when_space_is_back() {
    if !is_root() {
        assert!(std::env::var_os("CI").is_none(), "CI runs as root and must run this test");
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let disk = Tmpfs::mount(&tmp.path().join("disk"), 24);
    let store = disk.0.join("store");
    populated(&store, 5, 20);
    let mut acknowledged: Vec<u64> = Vec::new();
    let rounds = 6;
    for round in 0..rounds {
        let filler = fill(&disk.0);
        // Reads and writes while the disk is full: refused (or answered), never a panic and
        // never "saved" for something that was not.
        for n in 0..4 {
            let (code, _, err) = hourbank(&store, &["balance", "JH000001"], "");
            assert_ne!(code, 101, "round {round}: balance panicked: {err}");
            match deposit(&store, n % 5, 60) {
                Ok(seq) => acknowledged.push(seq),
                Err((code, err)) => {
                    assert_eq!(code, 3, "round {round}: a refused write is 'store unavailable': {err}");
                    assert!(!err.is_empty() && !err.contains("panicked"), "{err}");
                }
            }
        }
        std::fs::remove_file(filler).unwrap();
        // Space is back: the store opens, check passes, and everything acknowledged is there.
        check_ok(&store);
        let export = entries(&store).expect("export after the disk was freed");
        for seq in &acknowledged {
            assert!(export.lines().any(|l| l.starts_with(&format!("{seq},"))), "round {round}: #{seq} lost");
        }
        acknowledged.push(deposit(&store, round % 5, 30).expect("a write once space is back"));
    }
    let leftovers: Vec<_> = std::fs::read_dir(store.join("sled"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".generating"))
        .collect();
    assert!(leftovers.is_empty(), "unfinished snapshots left: {leftovers:?}");
}

/// sled behind the copy is what a kill leaves (sled is flushed only at checkpoints) and what a
/// damaged log sled recovers from leaves: the copy acknowledged every entry, and the open
/// replays those past sled's head through the ledger rules.
#[test]
fn sled_behind_the_copy_is_caught_up_from_it_on_open() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    populated(&store, 4, 10);
    // sled as it was at #18 (a damaged log makes sled recover to such an earlier point).
    let old_sled = tmp.path().join("old-sled");
    copy_dir(&store.join("sled"), &old_sled);
    for n in 0..12 {
        deposit(&store, n % 4, 45).unwrap();
    }
    let before = entries(&store).unwrap();
    let copy_before = std::fs::read(store.join("journal.copy")).unwrap();
    std::fs::remove_dir_all(store.join("sled")).unwrap();
    copy_dir(&old_sled, &store.join("sled"));

    // The first open replays #19..#30; every entry is there, check passes, the copy is as it was.
    assert!(entries(&store).unwrap() == before, "the entries past sled's head were not replayed");
    assert!(std::fs::read(store.join("journal.copy")).unwrap() == copy_before, "the copy was changed");
    check_ok(&store);
    assert_eq!(deposit(&store, 2, 30).unwrap(), 31);
}

/// When what the copy holds past sled's head does not pass the rules on what sled holds (sled's
/// projections are not its journal's), nothing is written: the store refuses to open with both
/// last seqs named, `check` says so, and `recover` rebuilds it from the copy.
#[test]
fn a_copy_that_does_not_replay_onto_sled_is_refused_and_recovered() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    populated(&store, 4, 10);
    // sled as it was at #18, with JH000001's account emptied (a page sled got wrong).
    let old = tmp.path().join("old");
    copy_dir(&store, &old);
    {
        let bank = hourbank::bank::Bank::open(&old).unwrap();
        let id = bank.store().volunteer_id_by_card(&common::card("JH000001")).unwrap().unwrap();
        let empty = hourbank::store::records::AccountRecord::default().encode().unwrap();
        bank.store().tamper_tree(hourbank::store::tree::ACCOUNTS, &id.to_be_bytes(), Some(empty)).unwrap();
    }
    // JH000001 redeems hours it has (#19), then 11 deposits.
    hourbank_ok(&store, &["redeem", "--card", "JH000001", "--reward", "洗衣液"], "");
    for n in 0..11 {
        deposit(&store, n % 4, 45).unwrap();
    }
    let before = entries(&store).unwrap();
    let copy_before = std::fs::read(store.join("journal.copy")).unwrap();
    std::fs::remove_dir_all(store.join("sled")).unwrap();
    copy_dir(&old.join("sled"), &store.join("sled"));

    // Writes and reads are refused with both last seqs named; the copy is never shortened.
    let (code, _, err) = hourbank(&store, &["balance", "JH000001"], "");
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("#18") && err.contains("#30") && err.contains("hourbank recover"), "{err}");
    let refused = deposit(&store, 1, 30).unwrap_err();
    assert_eq!(refused.0, 3, "{}", refused.1);
    assert!(std::fs::read(store.join("journal.copy")).unwrap() == copy_before, "the copy was changed");
    // check says what is wrong.
    let (code, out, _) = hourbank(&store, &["check", "--json"], "");
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["problems"][0]["invariant"], 4);
    assert!(report["problems"][0]["detail"].as_str().unwrap().contains("#30"));

    // recover rebuilds every entry from the copy and keeps the damaged store aside.
    let out = hourbank_ok(&store, &["recover"], "");
    assert!(out.contains("recovered 30 events"), "{out}");
    assert!(entries(&store).unwrap() == before, "recover did not bring back every entry");
    check_ok(&store);
    let aside: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("store.damaged-"))
        .collect();
    assert_eq!(aside.len(), 1, "the damaged store is kept");
    assert_eq!(deposit(&store, 2, 30).unwrap(), 31);
    // The PIN key stayed beside the store: the admin's PIN still works for a staff command.
    assert!(store.with_file_name("store.pepper").exists());
}

#[test]
fn recover_works_when_sled_cannot_open_at_all() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    populated(&store, 3, 8);
    let before = entries(&store).unwrap();
    // sled's log overwritten with garbage from its first byte.
    let db = store.join("sled").join("db");
    let len = std::fs::metadata(&db).unwrap().len() as usize;
    std::fs::write(&db, vec![0xa5; len]).unwrap();
    let (code, _, err) = hourbank(&store, &["balance", "JH000001"], "");
    assert_eq!(code, 3, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    hourbank_ok(&store, &["recover"], "");
    assert!(entries(&store).unwrap() == before);
    check_ok(&store);
}

/// Flips one byte at `offset` of `file` (relative to the store) in a copy of `store`.
fn damaged_copy(store: &Path, to: &Path, file: &str, offset: u64) {
    let _ = std::fs::remove_dir_all(to);
    copy_dir(store, to);
    let path = to.join(file);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = offset as usize % bytes.len();
    bytes[at] ^= 0x5a;
    std::fs::write(&path, bytes).unwrap();
}

/// The outcome of one damaged copy.
#[derive(Debug, Default)]
struct Tally {
    tried: usize,
    opened_whole: usize,
    refused_and_recovered: usize,
    /// Of those refused: where sled panicked (caught and reported as a damaged store).
    sled_panics_caught: usize,
}

/// Flips bytes at `per_file` offsets of each of sled's files of a populated store (copies of
/// it), and asserts for every one: no exit 101, and either every acknowledged entry is there
/// or the store refuses to open and `recover` brings every one back. `HOURBANK_FLIPS` sets
/// `per_file` for a long run.
#[test]
fn flipped_bytes_in_sleds_files_never_panic_and_never_lose_a_saved_entry() {
    let per_file: u64 = std::env::var("HOURBANK_FLIPS").ok().and_then(|v| v.parse().ok()).unwrap_or(12);
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    populated(&store, 6, 40);
    // And enough more to spread sled's log over several segments.
    let cards: Vec<String> = (0..6).map(|i| format!("JH{i:06}")).collect();
    let mut batch = vec!["deposit"];
    for c in &cards {
        batch.extend(["--card", c.as_str()]);
    }
    batch.extend(["--minutes", "30", "--activity", "垃圾分类督导"]);
    for _ in 0..60 {
        hourbank_ok(&store, &batch, "");
    }
    let before = entries(&store).unwrap();
    let mut files: Vec<(String, u64)> = Vec::new();
    for entry in std::fs::read_dir(store.join("sled")).unwrap().flatten() {
        if entry.file_type().unwrap().is_file() {
            let len = entry.metadata().unwrap().len();
            files.push((format!("sled/{}", entry.file_name().to_string_lossy()), len));
        }
    }
    files.sort();
    let mut tally = Tally::default();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    for (file, len) in &files {
        if *len == 0 {
            continue;
        }
        for k in 0..per_file {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            // Spread over the file, with a bias to its last 64 KiB (the tail of the log).
            let offset = if k % 2 == 0 { rng % len } else { len.saturating_sub(1 + rng % 65_536.min(*len)) };
            let copy = tmp.path().join("damaged");
            damaged_copy(&store, &copy, file, offset);
            tally.tried += 1;
            let what = format!("{file} at {offset}");
            match entries(&copy) {
                Ok(export) if export == before => {
                    tally.opened_whole += 1;
                    continue;
                }
                Ok(_) => panic!("{what}: the store opened with entries changed or missing"),
                Err((code, err)) => {
                    assert_ne!(code, 101, "{what}: panicked: {err}");
                    assert_eq!(code, 3, "{what}: {err}");
                    assert!(err.contains("hourbank recover"), "{what}: the message says what to do: {err}");
                    tally.sled_panics_caught += usize::from(err.contains("sled stopped"));
                }
            }
            let (code, out, err) = hourbank(&copy, &["recover"], "");
            assert_eq!(code, 0, "{what}: recover failed: {out} {err}");
            assert!(entries(&copy).unwrap() == before, "{what}: recover lost entries");
            tally.refused_and_recovered += 1;
        }
    }
    eprintln!("{tally:?} over {} files", files.len());
    assert_eq!(tally.tried, tally.opened_whole + tally.refused_and_recovered);
}

#[test]
fn no_write_is_acknowledged_into_a_store_that_a_restore_is_replacing() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    populated(&store, 10, 10);
    for _ in 0..4 {
        // A bigger journal, so the restore takes a while.
        let cards: Vec<String> = (0..10).map(|i| format!("JH{i:06}")).collect();
        let mut args = vec!["deposit"];
        for c in &cards {
            args.extend(["--card", c.as_str()]);
        }
        args.extend(["--minutes", "30", "--activity", "垃圾分类督导"]);
        for _ in 0..40 {
            hourbank_ok(&store, &args, "");
        }
    }
    let backup = tmp.path().join("b.hbk");
    hourbank_ok(&store, &["backup", "--out", backup.to_str().unwrap()], "");
    let mut restore = Command::new(env!("CARGO_BIN_EXE_hourbank"))
        .arg("--store")
        .arg(&store)
        .args(["restore", backup.to_str().unwrap(), "--force"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The restore builds the new store beside the old one, under a name with its pid: from the
    // moment that appears until the restore ends, every write must be refused.
    let staging = tmp.path().join(format!(".store.restoring-{}", restore.id()));
    let started = Instant::now();
    while !staging.exists() && restore.try_wait().unwrap().is_none() {
        assert!(started.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_micros(200));
    }
    let mut saved = Vec::new();
    let mut refused = 0;
    loop {
        let done = restore.try_wait().unwrap().is_some();
        match deposit(&store, 3, 30) {
            Ok(seq) => saved.push(seq),
            Err((code, err)) => {
                assert_eq!(code, 3, "{err}");
                refused += 1;
            }
        }
        if done {
            break;
        }
    }
    let out = restore.wait_with_output().unwrap();
    assert!(out.status.success(), "restore failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(refused > 0, "no deposit ran while the restore did");
    // Every acknowledged deposit is in the store that is there now.
    let export = entries(&store).unwrap();
    for seq in saved {
        let line = export
            .lines()
            .find(|l| l.starts_with(&format!("{seq},")))
            .unwrap_or_else(|| panic!("#{seq} lost"));
        assert!(line.contains("JH000003"), "#{seq} is another entry: {line}");
    }
    check_ok(&store);
}

fn entries_of(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn killed_verify_and_restore_leave_no_plaintext_and_no_half_store_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    populated(&store, 10, 200);
    let key = tmp.path().join("admin.key");
    let public = hourbank_ok(&store, &["backup", "keygen", "--out", key.to_str().unwrap()], "");
    let backups = tmp.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let backup = backups.join("b.hbk.age");
    hourbank_ok(&store, &["backup", "--out", backup.to_str().unwrap(), "--recipient", public.trim()], "");
    let target = tmp.path().join("restored");
    common::copy_key(&store, &target);
    for round in 0..12u64 {
        let verify = round % 2 == 0;
        let mut args: Vec<&str> = if verify {
            vec!["backup", "verify", backup.to_str().unwrap()]
        } else {
            vec!["restore", backup.to_str().unwrap(), "--force"]
        };
        args.extend(["--identity", key.to_str().unwrap()]);
        let mut child = Command::new(env!("CARGO_BIN_EXE_hourbank"))
            .arg("--store")
            .arg(&target)
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut seen_plaintext = false;
        let until = Instant::now() + Duration::from_millis(20 + 40 * round);
        while Instant::now() < until && child.try_wait().unwrap().is_none() {
            seen_plaintext |= entries_of(&backups).len() != 1;
            std::thread::sleep(Duration::from_millis(2));
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(!seen_plaintext, "round {round}: a decrypted file appeared beside the backup");
        assert_eq!(entries_of(&backups), ["b.hbk.age"], "round {round}");
    }
    // A killed restore's half-built store is removed by the next command on that store.
    let (code, _, _) = hourbank(&target, &["check"], "");
    assert_ne!(code, 101);
    let leftovers: Vec<String> = entries_of(tmp.path())
        .into_iter()
        .filter(|n| n.contains(".restoring-") || n.contains(".empty-"))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}
