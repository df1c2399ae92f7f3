//! Backup, verify and restore (ARCHITECTURE.md §1, §3). A backup is the journal up to a seq; verifying
//! one replays it in memory through the same rules; restoring replays it into a fresh store
//! beside the target, runs `check`, and only then swaps it in.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use chrono::Local;
use serde::Serialize;

use super::check::{Problem, Replay, invariant_of};
use super::{Bank, BankError};
use crate::domain::Event;
use crate::domain::ledger::{ApplyError, apply};
use crate::domain::validate::StoredEventCheck;
use crate::store::backup::{BackupError, BackupFile, decrypt, is_encrypted};
use crate::store::{LastBackup, StoreError, StoredEvent, codec, tree};

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
    /// Whether this bank made the backup (its tag matches the key given): `None` without a key.
    pub authentic: Option<bool>,
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

/// File names stay portable whatever the counter id contains.
/// What a backup's file name calls the counter: its city code (`JH-A-01`) when it has one, else
/// its name in pinyin (`pengjiangqubaishajiedaofuwutai`) — ASCII either way: a Chinese name in a
/// file name was mangled by USB sticks' file systems, `zip` and older Windows.
fn file_label(code: Option<&str>, name: &str) -> String {
    let spelled = match code {
        Some(code) => code.to_string(),
        None => crate::search::spellings(name).into_iter().next().map(|(full, _)| full).unwrap_or_default(),
    };
    let ascii: String = spelled
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .take(40)
        .collect();
    if ascii.trim_matches('_').is_empty() { "counter".into() } else { ascii }
}

pub(super) fn refused(detail: impl Into<String>) -> BackupError {
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
            let code = self.store.counter_code()?.map(|c| c.to_string());
            let base = format!("hourbank-{}-{stamp}-{seq}", file_label(code.as_deref(), &self.counter));
            // Two backups in one second with nothing written between get -2, -3, …
            super::first_free(|n| {
                let more = n.map(|n| format!("-{n}")).unwrap_or_default();
                dest.join(format!("{base}{more}.{ext}"))
            })
        } else {
            dest.to_path_buf()
        };
        let key = self.pepper.backup_key();
        let header = self.store.write_backup_for(&path, now, recipients, Some(&key))?;
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

/// The problem number for a value no live operation could have written (see `domain::validate`).
pub const LIVE_VALUES: u8 = 7;

fn decode(value: &[u8], seq: u64) -> Result<Event, String> {
    let key = seq.to_be_bytes();
    codec::decode(tree::JOURNAL.name, &key, value).map_err(|e| e.to_string())
}

/// Checks one record against the chain: its seq, its hash over exactly its stored bytes.
pub(super) fn chained(value: &[u8], seq: u64, prev: &[u8; 32]) -> Result<Event, String> {
    let event = decode(value, seq)?;
    if event.body.seq != seq {
        return Err(format!("record {seq} says it is seq {}", event.body.seq));
    }
    if !StoredEvent::split(value).is_some_and(|s| s.follows(prev) && s.hash() == event.hash) {
        return Err(format!("hash chain broken at seq {seq}"));
    }
    Ok(event)
}

/// Opens a backup for reading; an encrypted one is decrypted (with the admin's identity) into
/// a nameless temporary file that lives as long as the returned value.
pub(super) fn readable(
    path: &Path,
    identity: Option<&age::x25519::Identity>,
    key: Option<&[u8; 32]>,
) -> Result<BackupFile, BackupError> {
    if !is_encrypted(path)? {
        return BackupFile::open(path, key);
    }
    let identity = identity.ok_or_else(|| {
        refused(format!("{} is encrypted; give the admin key with --identity FILE", path.display()))
    })?;
    BackupFile::from_file(path, decrypt(path, identity)?, key)
}

/// Checksum, every event decoded and chained, a replay in memory through the ledger rules,
/// and the header's last hash and counts compared with what the replay rebuilt.
/// `key`: the backup key of the bank the backup should come from (from its PIN key file), so
/// the report says whether this bank made it.
pub fn verify_backup(
    path: &Path,
    identity: Option<&age::x25519::Identity>,
    key: Option<&[u8; 32]>,
) -> Result<VerifyReport, BackupError> {
    let file = readable(path, identity, key)?;
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
    let mut live = StoredEventCheck::default();
    for record in file.records()? {
        let record = record?;
        let event = match chained(&record.value, record.seq, &prev) {
            Ok(e) => e,
            Err(detail) => {
                problems.push(Problem { invariant: 4, detail });
                break;
            }
        };
        if let Err(detail) = live.check(&event) {
            problems.push(Problem { invariant: LIVE_VALUES, detail });
            break;
        }
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
    if problems.is_empty()
        && let Err(detail) = live.finish()
    {
        problems.push(Problem { invariant: LIVE_VALUES, detail });
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
        authentic: file.authentic,
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

#[cfg(test)]
mod tests {
    /// Issue 25 (low): backup file names are ASCII — the code, else the name in pinyin.
    #[test]
    fn a_backups_file_name_calls_the_counter_by_its_code_or_its_name_in_pinyin() {
        assert_eq!(super::file_label(Some("JH-A-01"), "蓬江区白沙街道服务台"), "JH-A-01");
        assert_eq!(super::file_label(None, "白沙服务台"), "baishafuwutai");
        assert_eq!(super::file_label(None, "Counter 2"), "counter2");
        assert_eq!(super::file_label(None, "？？"), "counter");
    }
}
