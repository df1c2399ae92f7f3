//! Backups: taken while a writer keeps committing (through the control socket, as a script
//! does while the counter is open), restored, compared byte for byte; corrupted in a thousand
//! ways and refused; killed mid-write; and the files' permissions.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use common::*;
use hourbank::bank::{Bank, Mode, Op, Provenance, Redemption, Reversal, restore, verify_backup};
use hourbank::domain::Timestamp;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A store with a little of everything: volunteers, deposits, a redemption, a reversal.
fn populated(dir: &Path) {
    let bank = init_in(dir);
    let sorting = activity(&bank, "垃圾分类督导");
    let rice = reward(&bank, "大米5kg", 2, Some(10));
    for i in 0..30 {
        register(&bank, &format!("JH{i:06}"), "陈华佩");
        bank.execute(
            &admin(),
            &Op::Deposit(deposit(&format!("JH{i:06}"), sorting, 150 + i)),
            Mode::commit(None),
        )
        .unwrap();
    }
    let c = bank
        .execute(
            &admin(),
            &Op::Redeem(Redemption { card: card("JH000003"), reward: rice, qty: 1 }),
            Mode::commit(None),
        )
        .unwrap();
    bank.execute(
        &admin(),
        &Op::Reverse(Reversal { target: c.first_seq(), reason: "换错了".to_string() }),
        Mode::commit(None),
    )
    .unwrap();
    bank.execute(&admin(), &Op::Deposit(deposit("JH000004", sorting, 90)), Mode::commit(Some("op-1")))
        .unwrap();
}

/// A temporary directory holding a populated store at `<dir>/store`.
fn populated_store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    populated(&store);
    (dir, store)
}

fn the_backup(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "hbk"))
        .expect("a backup")
}

#[test]
fn round_trip_exports_are_equal_byte_for_byte() {
    let (dir, store) = populated_store();
    hourbank_ok(&store, &["backup", "--out", dir.path().to_str().unwrap()], "");
    let file = the_backup(dir.path());
    assert!(hourbank_ok(&store, &["backup", "verify", file.to_str().unwrap()], "").starts_with("ok: "));
    let restored = dir.path().join("restored");
    // Without the bank's PIN key file beside the target, nobody can tell who made the backup.
    let (code, _, err) = hourbank(&restored, &["restore", file.to_str().unwrap()], "");
    assert_eq!(code, 1);
    assert!(err.contains("cannot tell whether this bank made") && err.contains("restored.pepper"), "{err}");
    copy_key(&store, &restored);
    hourbank_ok(&restored, &["restore", file.to_str().unwrap()], "");
    assert!(hourbank_ok(&restored, &["check"], "").contains("all invariants hold"));
    for what in ["entries", "volunteers", "balances"] {
        assert_eq!(
            hourbank_ok(&store, &["export", what], ""),
            hourbank_ok(&restored, &["export", what], ""),
            "{what}"
        );
    }
    // The restored store remembers operation ids: a retry is still answered, not re-applied.
    let retry = Bank::open(&restored).unwrap();
    let sorting = retry.find_activity("垃圾分类督导").unwrap().0;
    let again = retry
        .execute(&admin(), &Op::Deposit(deposit("JH000004", sorting, 90)), Mode::commit(Some("op-1")))
        .unwrap();
    assert!(again.replayed);
}

#[test]
fn restore_refuses_an_open_store_and_an_existing_one_without_force_and_keeps_the_old_one() {
    let (dir, store) = populated_store();
    hourbank_ok(&store, &["backup", "--out", dir.path().join("a.hbk").to_str().unwrap()], "");
    let other = dir.path().join("other");
    let bank = init_in(&other);
    let (code, _, err) =
        hourbank(&other, &["restore", dir.path().join("a.hbk").to_str().unwrap(), "--force"], "");
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("in use"), "{err}");
    drop(bank);
    // Another bank's backup (its PIN key file differs) needs --accept-foreign.
    let (code, _, err) =
        hourbank(&other, &["restore", dir.path().join("a.hbk").to_str().unwrap(), "--force"], "");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not made by this bank") && err.contains("--accept-foreign"), "{err}");
    copy_key(&store, &other);
    let (code, _, err) = hourbank(&other, &["restore", dir.path().join("a.hbk").to_str().unwrap()], "");
    assert_eq!(code, 1);
    assert!(err.contains("--force"), "{err}");
    let out = hourbank_ok(&other, &["restore", dir.path().join("a.hbk").to_str().unwrap(), "--force"], "");
    assert!(out.contains("before-restore-"), "{out}");
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("other.before-restore-"))
        .collect();
    assert_eq!(kept.len(), 1);
    assert!(
        hourbank_ok(&dir.path().join(&kept[0]), &["check"], "").contains("all invariants hold"),
        "the old store is intact"
    );
    assert_eq!(
        hourbank_ok(&other, &["export", "balances"], ""),
        hourbank_ok(&store, &["export", "balances"], "")
    );
}

#[test]
fn a_thousand_damaged_backups_are_all_refused_and_the_target_is_untouched() {
    let (dir, store) = populated_store();
    let good = dir.path().join("good.hbk");
    Bank::open(&store).unwrap().backup(&good).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let target = dir.path().join("target");
    init_in(&target);
    // The target knows the source bank's key, so only damage can make a backup foreign.
    copy_key(&store, &target);
    let key = hourbank::bank::backup_key(&store);
    let before = hourbank_ok(&target, &["export", "entries"], "");
    let bad = dir.path().join("bad.hbk");
    let mut rng = StdRng::seed_from_u64(4);
    let now = Timestamp::from_micros(0);
    for round in 0..1000 {
        let mut damaged = bytes.clone();
        if round % 4 == 0 {
            damaged.truncate(rng.random_range(0..bytes.len()));
        } else {
            let at = rng.random_range(0..bytes.len());
            damaged[at] ^= 1 << rng.random_range(0..8);
        }
        std::fs::write(&bad, &damaged).unwrap();
        // A flip in the tag leaves the checksum whole: the tag no longer matches.
        let refused = match verify_backup(&bad, None, key.as_ref()) {
            Err(_) => true,
            Ok(report) => !report.ok || report.authentic != Some(true),
        };
        assert!(refused, "round {round}: verify accepted a damaged file");
        assert!(
            restore(&bad, &target, true, now, None, Provenance::ThisBank).is_err(),
            "round {round}: restore accepted a damaged file"
        );
    }
    assert_eq!(hourbank_ok(&target, &["export", "entries"], ""), before, "the target store is untouched");
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into())
        .collect();
    left.sort();
    // The stores, their PIN key files and the two backups; no leftovers beside the target.
    assert_eq!(left, ["bad.hbk", "good.hbk", "store", "store.pepper", "target", "target.pepper"]);
}

#[test]
fn damage_behind_a_recomputed_checksum_is_caught_by_the_chain_or_harmless() {
    // Someone edits a backup and fixes its checksum: the hash chain, the decoder and the
    // replay still stand between the file and the store. A flip that survives all of them
    // can only be in header fields no entry depends on (the time it was made, the version).
    let (dir, store) = populated_store();
    let good = dir.path().join("good.hbk");
    Bank::open(&store).unwrap().backup(&good).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let original = hourbank_ok(&store, &["export", "entries"], "");
    let bad = dir.path().join("bad.hbk");
    let mut rng = StdRng::seed_from_u64(5);
    let mut caught = 0;
    for round in 0..300 {
        let mut damaged = bytes[..bytes.len() - 32].to_vec();
        let at = rng.random_range(16..damaged.len());
        damaged[at] ^= 1 << rng.random_range(0..8);
        let sum = blake3::hash(&damaged);
        damaged.extend_from_slice(sum.as_bytes());
        std::fs::write(&bad, &damaged).unwrap();
        let target = dir.path().join(format!("t{round}"));
        match restore(&bad, &target, false, Timestamp::from_micros(0), None, Provenance::AcceptForeign) {
            Err(_) => {
                caught += 1;
                assert!(!target.exists(), "round {round}: a refused restore leaves nothing");
            }
            Ok(_) => {
                assert_eq!(
                    hourbank_ok(&target, &["export", "entries"], ""),
                    original,
                    "round {round}: accepted, so must be equal"
                );
                std::fs::remove_dir_all(&target).unwrap();
            }
        }
    }
    assert!(caught > 250, "only {caught} of 300 caught");
}

/// Child mode: holds the store like the counter does (control socket open) and commits
/// deposits as fast as it can, printing each acknowledged seq.
#[test]
#[ignore = "child process of a_backup_taken_while_a_writer_commits"]
fn writer_child() {
    let Ok(dir) = std::env::var("HOURBANK_WRITER_CHILD") else { return };
    let bank = Arc::new(Bank::open(Path::new(&dir)).unwrap().with_clock(fixed_clock()));
    let _server = hourbank::control::ControlSocket::start(
        Path::new(&dir),
        hourbank::cli::forward::handler(bank.clone()),
        Arc::new(|_| {}),
    )
    .unwrap();
    let sorting = bank.find_activity("垃圾分类督导").unwrap().0;
    let mut out = std::io::stdout();
    writeln!(out, "serving").unwrap();
    for i in 0.. {
        let c = bank
            .execute(
                &admin(),
                &Op::Deposit(deposit(&format!("JH{:06}", i % 30), sorting, 30)),
                Mode::commit(None),
            )
            .unwrap();
        writeln!(out, "acked {}", c.first_seq()).unwrap();
        out.flush().unwrap();
    }
}

fn spawn_writer(store: &Path) -> (Child, std::sync::mpsc::Receiver<String>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            &common::test_name(module_path!(), "writer_child"),
            "--nocapture",
            "--test-threads=1",
        ])
        .env("HOURBANK_WRITER_CHILD", store)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

#[test]
fn a_backup_taken_while_a_writer_commits_restores_to_exactly_its_prefix() {
    let (dir, store) = populated_store();
    let (mut child, lines) = spawn_writer(&store);
    let mut acked = 0u64;
    let wait_acks = |n: u64, acked: &mut u64| {
        while *acked < n {
            let line = lines.recv_timeout(std::time::Duration::from_secs(30)).expect("the writer is alive");
            if let Some(seq) = line.strip_prefix("acked ") {
                *acked = seq.parse().unwrap();
            }
        }
    };
    wait_acks(100, &mut acked);
    // The same commands a script uses, answered by the writer through its socket.
    let socket = store.join("control.sock");
    assert_eq!(std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(hourbank_ok(&store, &["ping"], "").starts_with("pong "));
    let acked_before = acked;
    let out = hourbank_ok(&store, &["backup", "--out", dir.path().to_str().unwrap(), "--json"], "");
    wait_acks(acked + 50, &mut acked);
    assert!(hourbank_ok(&store, &["balance", "JH000001"], "").contains("JH000001"));
    assert!(
        hourbank_ok(&store, &["check"], "").contains("all invariants hold"),
        "check through the socket, mid-write"
    );
    let (code, _, err) = hourbank(
        &store,
        &["deposit", "--card", "JH000001", "--activity", "垃圾分类督导", "--hours", "1"],
        "",
    );
    assert_eq!(code, 3, "a write command is refused while the store is open elsewhere");
    assert!(err.contains("in use") && err.contains(&format!("pid {}", child.id())), "{err}");
    // The catalog and the volunteers' details go through the owner, as on a first day at the
    // counter while it is open.
    assert!(
        hourbank_ok(&store, &["activity", "add", "助老陪伴", "--category", "助老"], "").contains("saved #")
    );
    hourbank_ok(&store, &["reward", "add", "--name", "花生油1L", "--cost", "4h", "--stock", "3"], "");
    hourbank_ok(&store, &["volunteer", "add", "--card", "JH777777", "--name", "区志强"], "");
    assert!(hourbank_ok(&store, &["volunteer", "show", "JH777777"], "").contains("区志强"));
    let (code, _, err) = hourbank(&store, &["volunteer", "pin", "JH777777"], "1234\n");
    assert_eq!(code, 3, "a PIN is never read by the owner: {err}");
    child.kill().unwrap();
    child.wait().unwrap();

    let summary: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let last_seq = summary["last_seq"].as_u64().unwrap();
    assert!(last_seq >= acked_before, "the backup has everything acknowledged before it began");
    let file = PathBuf::from(summary["path"].as_str().unwrap());
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let restored = dir.path().join("restored");
    copy_key(&store, &restored);
    hourbank_ok(&restored, &["restore", file.to_str().unwrap()], "");
    assert!(hourbank_ok(&restored, &["check"], "").contains("all invariants hold"));
    let original = Bank::open(&store).unwrap();
    let copy = Bank::open(&restored).unwrap();
    assert_eq!(copy.store().next_seq().unwrap(), last_seq + 1);
    let theirs: Vec<_> = original.store().journal_raw().take(last_seq as usize).map(|r| r.unwrap()).collect();
    let ours: Vec<_> = copy.store().journal_raw().map(|r| r.unwrap()).collect();
    assert_eq!(
        theirs, ours,
        "the restored journal is exactly the writer's prefix up to the backup's last seq"
    );
    assert!(original.store().next_seq().unwrap() > last_seq + 1, "the writer went on after the backup");
    let mode = std::fs::metadata(&restored).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the restored store is private");
}

/// Child mode: backs the store up again and again into a directory.
#[test]
#[ignore = "child process of a_kill_during_backup_leaves_no_partial_file"]
fn backup_child() {
    let Ok(dir) = std::env::var("HOURBANK_BACKUP_CHILD") else { return };
    let out = std::env::var("HOURBANK_BACKUP_OUT").unwrap();
    let round = std::env::var("HOURBANK_BACKUP_ROUND").unwrap();
    let bank = Bank::open(Path::new(&dir)).unwrap();
    println!("ready");
    // The file writer itself, back to back, so most kills land inside its write window.
    for i in 0.. {
        bank.store()
            .write_backup(&Path::new(&out).join(format!("r{round}-{i}.hbk")), Timestamp::from_micros(0), None)
            .unwrap();
    }
}

#[test]
fn a_kill_during_backup_leaves_no_partial_file_under_a_final_name() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    {
        let bank = init_in(&store);
        let sorting = activity(&bank, "垃圾分类督导");
        let cards: Vec<_> = (0..500).map(|i| card(&format!("JH{i:06}"))).collect();
        for c in &cards {
            register(&bank, c.as_str(), "陈华佩");
        }
        // Big enough that most of a backup's time is spent writing the file.
        for _ in 0..6 {
            let batch = hourbank::bank::BatchDeposit {
                cards: cards.clone(),
                activity: sorting,
                minutes: hourbank::domain::Minutes::new(60),
                served_on: None,
                note: "x".repeat(300),
            };
            bank.execute(&admin(), &Op::DepositBatch(batch.clone()), Mode::commit(None)).unwrap();
        }
    }
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let mut rng = StdRng::seed_from_u64(6);
    let mut partial = 0;
    let mut complete = std::collections::HashSet::new();
    for round in 0..20 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                &common::test_name(module_path!(), "backup_child"),
                "--nocapture",
                "--test-threads=1",
            ])
            .env("HOURBANK_BACKUP_CHILD", &store)
            .env("HOURBANK_BACKUP_OUT", &out)
            .env("HOURBANK_BACKUP_ROUND", round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut ready = String::new();
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        while !ready.contains("ready") {
            ready.clear();
            if reader.read_line(&mut ready).unwrap() == 0 {
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_micros(rng.random_range(500..20_000)));
        // SIGKILL: no destructor, no cleanup.
        child.kill().unwrap();
        child.wait().unwrap();
        for entry in std::fs::read_dir(&out).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".hbk") {
                let report = verify_backup(&path, None, None)
                    .unwrap_or_else(|e| panic!("{name} is under a final name but broken: {e}"));
                assert!(report.ok, "{name}");
                complete.insert(name);
            } else {
                assert!(name.starts_with('.') && name.contains(".partial-"), "unexpected file {name}");
                partial += 1;
                std::fs::remove_file(&path).unwrap();
            }
        }
        assert!(hourbank_ok(&store, &["check"], "").contains("all invariants hold"), "the store is unharmed");
    }
    eprintln!("{partial} kills landed mid-write; {} complete backups checked", complete.len());
    assert!(partial > 0, "no kill landed while a file was being written; the test proved nothing");
}

#[test]
fn an_encrypted_backup_needs_the_admin_key_and_restores_with_it() {
    let (dir, store) = populated_store();
    let key = dir.path().join("admin.key");
    let public = hourbank_ok(&store, &["backup", "keygen", "--out", key.to_str().unwrap()], "");
    let public = public.trim();
    assert!(public.starts_with("age1"), "{public}");
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let summary =
        hourbank_ok(&store, &["backup", "--out", out.to_str().unwrap(), "--recipient", public, "--json"], "");
    let v: serde_json::Value = serde_json::from_str(summary.trim()).unwrap();
    let file = PathBuf::from(v["path"].as_str().unwrap());
    assert!(file.to_string_lossy().ends_with(".hbk.age"), "{}", file.display());
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1"));
    let plain_name = "陈华佩".as_bytes();
    assert!(!bytes.windows(plain_name.len()).any(|w| w == plain_name), "no personal data in the clear");

    let (code, _, err) = hourbank(&store, &["backup", "verify", file.to_str().unwrap()], "");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--identity"), "{err}");
    let verified = hourbank_ok(
        &store,
        &["backup", "verify", file.to_str().unwrap(), "--identity", key.to_str().unwrap()],
        "",
    );
    assert!(verified.starts_with("ok: "), "{verified}");
    let other_key = dir.path().join("other.key");
    hourbank_ok(&store, &["backup", "keygen", "--out", other_key.to_str().unwrap()], "");
    let (code, _, err) = hourbank(
        &store,
        &["backup", "verify", file.to_str().unwrap(), "--identity", other_key.to_str().unwrap()],
        "",
    );
    assert_ne!(code, 0);
    assert!(err.contains("admin key"), "{err}");
    let restored = dir.path().join("restored");
    copy_key(&store, &restored);
    hourbank_ok(&restored, &["restore", file.to_str().unwrap(), "--identity", key.to_str().unwrap()], "");
    assert_eq!(
        hourbank_ok(&restored, &["export", "entries"], ""),
        hourbank_ok(&store, &["export", "entries"], "")
    );
    let left: Vec<_> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 1, "no decrypted copy is left behind: {left:?}");
}

/// A backup edited by hand: one event rewritten, then every later hash, the header's last
/// hash and the checksum recomputed, as anyone with the file (or an age public key) can do.
fn forged(good: &Path, out: &Path, edit: impl Fn(&mut hourbank::domain::Event)) {
    use hourbank::store::backup::BackupFile;
    use hourbank::store::{codec, encode_event};
    let file = BackupFile::open(good, None).unwrap();
    let mut header = file.header.clone();
    let mut prev = [0u8; 32];
    let mut records = Vec::new();
    for record in file.records().unwrap() {
        let record = record.unwrap();
        let mut event: hourbank::domain::Event = codec::decode("journal", b"", &record.value).unwrap();
        edit(&mut event);
        let (hash, stored) = encode_event(&prev, &event.body).unwrap();
        prev = hash;
        records.extend_from_slice(&(stored.len() as u32).to_le_bytes());
        records.extend_from_slice(&stored);
    }
    header.last_hash = prev;
    let head = codec::encode(&header).unwrap();
    let mut bytes = hourbank::store::backup::MAGIC.to_vec();
    bytes.extend_from_slice(&1u32.to_le_bytes()); // untagged: the forger has no key
    bytes.extend_from_slice(&(head.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&head);
    bytes.extend_from_slice(&records);
    let sum = blake3::hash(&bytes);
    bytes.extend_from_slice(sum.as_bytes());
    std::fs::write(out, bytes).unwrap();
}

#[test]
fn crafted_backups_are_refused_with_their_seq_and_foreign_ones_need_accept_foreign() {
    use hourbank::domain::{EventKind, Minutes, Origin};
    let (dir, store) = populated_store();
    let good = dir.path().join("good.hbk");
    Bank::open(&store).unwrap().backup(&good).unwrap();
    let target = dir.path().join("target");
    copy_key(&store, &target);
    let esc = |e: &mut hourbank::domain::Event| {
        if let EventKind::VolunteerRegistered(v) = &mut e.body.kind {
            v.name = serde_json::from_value(serde_json::json!("\u{1b}[41m陈华佩")).unwrap();
        }
    };
    let over_cap = |e: &mut hourbank::domain::Event| {
        if let EventKind::Deposited { minutes, .. } = &mut e.body.kind {
            *minutes = Minutes::new(65_535);
        }
    };
    let bidi = |e: &mut hourbank::domain::Event| {
        if let EventKind::ActivityAdded(a) = &mut e.body.kind {
            a.name = serde_json::from_value(serde_json::json!("abc\u{202e}fed")).unwrap();
        }
    };
    let op_tag = |e: &mut hourbank::domain::Event| {
        if e.body.seq == 10 {
            e.body.origin =
                Origin::Op(hourbank::domain::OpTag { id: "x".into(), digest: [0; 16], events: u32::MAX });
        }
    };
    type Edit<'a> = &'a dyn Fn(&mut hourbank::domain::Event);
    let cases: [(&str, Edit); 4] = [
        ("escape sequence in a name", &esc),
        ("deposit over the entry cap", &over_cap),
        ("bidi override", &bidi),
        ("op tag claiming u32::MAX events", &op_tag),
    ];
    let mut refused = 0;
    for (what, edit) in cases {
        let bad = dir.path().join("forged.hbk");
        forged(&good, &bad, edit);
        // verify names the seq, and the terminal sees no escape sequence.
        let (code, out, err) =
            hourbank(&store, &["backup", "verify", bad.to_str().unwrap(), "--accept-foreign"], "");
        assert_eq!(code, 1, "{what}: {out} {err}");
        assert!(out.contains("invariant 7: seq "), "{what}: {out}");
        assert!(
            !out.contains('\u{1b}') && !err.contains('\u{1b}') && !out.contains('\u{202e}'),
            "{what}: raw control in output"
        );
        let (code, _, err) = hourbank(&target, &["restore", bad.to_str().unwrap(), "--accept-foreign"], "");
        assert_eq!(code, 1, "{what}: {err}");
        assert!(err.contains("not a journal this bank could have written: seq "), "{what}: {err}");
        assert!(!target.join("sled").exists(), "{what}: restored anyway");
        refused += 1;
    }
    assert_eq!(refused, 4);
    // An untouched journal re-tagged by a forger (no key) is foreign: refused unless accepted.
    let foreign = dir.path().join("foreign.hbk");
    forged(&good, &foreign, |_| {});
    let (code, out, err) = hourbank(&store, &["backup", "verify", foreign.to_str().unwrap()], "");
    assert_eq!(code, 1);
    assert!(out.contains("NOT made by this bank") && err.contains("--accept-foreign"), "{out} {err}");
    let (code, _, err) = hourbank(&target, &["restore", foreign.to_str().unwrap()], "");
    assert_eq!(code, 1);
    assert!(err.contains("not made by this bank"), "{err}");
    let out = hourbank_ok(&target, &["restore", foreign.to_str().unwrap(), "--accept-foreign"], "");
    assert!(out.contains("accepted as asked"), "{out}");
    // The bank's own backup verifies as its own.
    let out = hourbank_ok(&store, &["backup", "verify", good.to_str().unwrap()], "");
    assert!(out.contains("made by this bank") && !out.contains("NOT"), "{out}");
}
