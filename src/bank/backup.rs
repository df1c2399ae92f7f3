//! Backup, verify and restore (DESIGN §1, §3). A backup is the journal up to a seq; verifying
//! one replays it in memory through the same rules; restoring replays it into a fresh store
//! beside the target, runs `check`, and only then swaps it in.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use chrono::Local;
use serde::Serialize;

use super::check::{Problem, Replay, check_store, invariant_of};
use super::{Bank, BankError};
use crate::domain::ledger::{ApplyError, apply};
use crate::domain::{Event, Timestamp};
use crate::store::backup::{
    BackupError, BackupFile, BackupHeader, Decrypted, decrypt, is_encrypted, sync_dir,
};
use crate::store::{CommitError, LastBackup, OpenMode, Store, StoreError, codec, link_hash, tree};

#[derive(Debug, Clone, Serialize)]
pub struct BackupSummary {
    pub path: PathBuf,
    pub bytes: u64,
    pub last_seq: u64,
    pub events: u64,
    pub volunteers: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub last_seq: u64,
    pub counter_id: String,
    pub created_at: String,
    pub events: u64,
    pub volunteers: u64,
    pub activities: u64,
    pub rewards: u64,
    pub staff: u64,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    pub target: PathBuf,
    pub last_seq: u64,
    /// Where the store that was there before now is.
    pub previous: Option<PathBuf>,
}

/// File names stay portable whatever the counter id contains.
fn safe(text: &str) -> String {
    text.chars().map(|c| if c.is_alphanumeric() || c == '-' { c } else { '_' }).collect()
}

fn refused(detail: impl Into<String>) -> BackupError {
    BackupError::Refused(detail.into())
}

impl Bank {
    /// Backs the store up to `dest`: a file name, or a directory (a timestamped name is made).
    pub fn backup(&self, dest: &Path) -> Result<BackupSummary, BackupError> {
        self.backup_for(dest, &[])
    }

    /// As [`Bank::backup`], encrypted to the admins' public keys when `recipients` has any
    /// (the name then ends in `.hbk.age`).
    pub fn backup_for(
        &self,
        dest: &Path,
        recipients: &[age::x25519::Recipient],
    ) -> Result<BackupSummary, BackupError> {
        let now = self.now();
        let ext = if recipients.is_empty() { "hbk" } else { "hbk.age" };
        let path = if dest.is_dir() {
            let stamp = now.datetime().with_timezone(&Local).format("%Y%m%d-%H%M%S");
            let seq = self.store.head()?.next_seq.saturating_sub(1);
            let base = format!("hourbank-{}-{stamp}-{seq}", safe(&self.counter));
            // Two backups in one second with nothing written between get -2, -3, …
            let mut path = dest.join(format!("{base}.{ext}"));
            let mut n = 1;
            while path.exists() {
                n += 1;
                path = dest.join(format!("{base}-{n}.{ext}"));
            }
            path
        } else {
            dest.to_path_buf()
        };
        let header = self.store.write_backup_for(&path, now, recipients)?;
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let last = LastBackup { at: now, last_seq: header.last_seq, path: path.display().to_string() };
        self.store.set_last_backup(&last)?;
        Ok(BackupSummary {
            path,
            bytes,
            last_seq: header.last_seq,
            events: header.counts.events,
            volunteers: header.counts.volunteers,
        })
    }

    pub fn last_backup(&self) -> Result<Option<LastBackup>, BankError> {
        Ok(self.store.last_backup()?)
    }
}

fn decode(value: &[u8], seq: u64) -> Result<Event, String> {
    let key = seq.to_be_bytes();
    codec::decode(tree::JOURNAL.name, &key, value).map_err(|e| e.to_string())
}

/// Checks one record against the chain: its seq, its hash over exactly its stored bytes.
fn chained(value: &[u8], seq: u64, prev: &[u8; 32]) -> Result<Event, String> {
    let event = decode(value, seq)?;
    if event.body.seq != seq {
        return Err(format!("record {seq} says it is seq {}", event.body.seq));
    }
    if value.len() < 33 || link_hash(prev, &value[1..value.len() - 32]) != event.hash {
        return Err(format!("hash chain broken at seq {seq}"));
    }
    Ok(event)
}

/// An encrypted backup is decrypted (with the admin's identity) into a private temporary
/// file, which lives as long as the returned guard.
fn readable(
    path: &Path,
    identity: Option<&age::x25519::Identity>,
) -> Result<(PathBuf, Option<Decrypted>), BackupError> {
    if !is_encrypted(path)? {
        return Ok((path.to_path_buf(), None));
    }
    let identity = identity.ok_or_else(|| {
        refused(format!("{} is encrypted; give the admin key with --identity FILE", path.display()))
    })?;
    let plain = decrypt(path, identity)?;
    Ok((plain.path.clone(), Some(plain)))
}

/// Checksum, every event decoded and chained, a replay in memory through the ledger rules,
/// and the header's last hash and counts compared with what the replay rebuilt.
pub fn verify_backup(
    path: &Path,
    identity: Option<&age::x25519::Identity>,
) -> Result<VerifyReport, BackupError> {
    let (plain, _guard) = readable(path, identity)?;
    let file = BackupFile::open(&plain)?;
    let h = &file.header;
    let offsets: RefCell<Vec<u64>> = RefCell::new(Vec::with_capacity(h.last_seq.min(1 << 24) as usize));
    let lookup = |seq: u64| -> Result<Option<Event>, StoreError> {
        let Some(&offset) = offsets.borrow().get(seq.wrapping_sub(1) as usize) else { return Ok(None) };
        let value = file.record_at(offset).map_err(|_| StoreError::Internal("cannot reread the backup"))?;
        Ok(decode(&value, seq).ok())
    };
    let mut replay = Replay::new(&lookup);
    let mut problems = Vec::new();
    let mut prev = [0u8; 32];
    for record in file.records()? {
        let record = record?;
        let event = match chained(&record.value, record.seq, &prev) {
            Ok(e) => e,
            Err(detail) => {
                problems.push(Problem { invariant: 4, detail });
                break;
            }
        };
        offsets.borrow_mut().push(record.offset);
        prev = event.hash;
        match apply(&mut replay, &event) {
            Ok(()) => {}
            Err(ApplyError::Rule(rule)) => {
                problems.push(Problem {
                    invariant: invariant_of(&rule),
                    detail: format!("seq {}: {rule}", record.seq),
                });
            }
            Err(ApplyError::Store(e)) => return Err(e.into()),
        }
    }
    let (volunteers, activities, rewards, staff) = replay.counts();
    if problems.is_empty() {
        if prev != h.last_hash {
            problems.push(Problem {
                invariant: 4,
                detail: "the last event is not the one the header names".into(),
            });
        }
        let c = &h.counts;
        if (c.volunteers, c.activities, c.rewards, c.staff) != (volunteers, activities, rewards, staff) {
            problems
                .push(Problem { invariant: 5, detail: "the header's counts differ from the replay".into() });
        }
    }
    Ok(VerifyReport {
        ok: problems.is_empty(),
        last_seq: h.last_seq,
        counter_id: h.counter_id.clone(),
        created_at: h.created_at.to_string(),
        events: h.counts.events,
        volunteers,
        activities,
        rewards,
        staff,
        problems,
    })
}

/// Events restored per transaction: large enough to be fast, small enough to stay in memory.
const RESTORE_BATCH: usize = 2048;

/// Replays `file` into the fresh store at `dir`, then runs `check` on it.
fn rebuild(file: &BackupFile, dir: &Path) -> Result<(), BackupError> {
    let h: &BackupHeader = &file.header;
    let store = Store::open(dir, OpenMode::CreateIfMissing)?;
    let mut prev = [0u8; 32];
    let mut batch: Vec<(Vec<u8>, Event)> = Vec::with_capacity(RESTORE_BATCH);
    let flush = |batch: &mut Vec<(Vec<u8>, Event)>| -> Result<(), BackupError> {
        store.restore_events(&h.counter_id, batch).map_err(|e| match e {
            CommitError::Rule(rule) => refused(format!("the backup breaks a ledger rule: {rule}")),
            CommitError::Store(s) => s.into(),
        })?;
        batch.clear();
        Ok(())
    };
    for record in file.records()? {
        let record = record?;
        let event = chained(&record.value, record.seq, &prev).map_err(refused)?;
        prev = event.hash;
        batch.push((record.value, event));
        if batch.len() == RESTORE_BATCH {
            flush(&mut batch)?;
        }
    }
    flush(&mut batch)?;
    let report = check_store(&store).map_err(|e| refused(e.to_string()))?;
    if !report.ok {
        let first = report.problems.first().map(|p| p.detail.clone()).unwrap_or_default();
        return Err(refused(format!("the restored store fails check: {first}")));
    }
    Ok(())
}

/// Restores `backup` into `target`. Refuses a store that is open elsewhere, and an existing
/// store unless `force`; keeps what was there as `<target>.before-restore-<time>`.
pub fn restore(
    backup: &Path,
    target: &Path,
    force: bool,
    now: Timestamp,
    identity: Option<&age::x25519::Identity>,
) -> Result<RestoreReport, BackupError> {
    let (plain, _guard) = readable(backup, identity)?;
    let file = BackupFile::open(&plain)?;
    let occupied =
        target.exists() && std::fs::read_dir(target).map(|mut d| d.next().is_some()).unwrap_or(true);
    if occupied {
        // Opening takes the store's lock: a running counter makes this fail with "in use".
        match Store::open(target, OpenMode::Existing) {
            Ok(store) => drop(store),
            Err(StoreError::NotInitialized(_)) => {}
            Err(e) => return Err(e.into()),
        }
        if !force {
            return Err(refused(format!(
                "{} is not empty; restore replaces it only with --force (the old one is kept beside it)",
                target.display()
            )));
        }
    }
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|source| BackupError::Io { path: parent.to_path_buf(), source })?;
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "store".into());
    let fresh = parent.join(format!(".{name}.restoring-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&fresh);
    if let Err(e) = rebuild(&file, &fresh) {
        let _ = std::fs::remove_dir_all(&fresh);
        return Err(e);
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BackupError::Io { path, source }
    };
    let previous = if target.exists() {
        let stamp = now.datetime().with_timezone(&Local).format("%Y%m%d-%H%M%S");
        let aside = parent.join(format!("{name}.before-restore-{stamp}"));
        std::fs::rename(target, &aside).map_err(io(target))?;
        Some(aside)
    } else {
        None
    };
    std::fs::rename(&fresh, target).map_err(io(target))?;
    sync_dir(parent).map_err(io(parent))?;
    Ok(RestoreReport { target: target.to_path_buf(), last_seq: file.header.last_seq, previous })
}
