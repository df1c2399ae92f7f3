//! Restoring a backup and recovering a damaged store: both replay a journal into a fresh store
//! beside the target, run `check` on it, and only then swap it in — all while holding the
//! target's lock, so no writer can save into a store that is about to be replaced.

use std::path::{Path, PathBuf};

use chrono::Local;
use serde::Serialize;

use super::backup::{chained, readable, refused};
use super::check::check_store;
use crate::domain::validate::StoredEventCheck;
use crate::domain::{Event, Timestamp};
use crate::store::backup::{BackupError, BackupFile, sync_dir};
use crate::store::recover::read_journal;
use crate::store::{
    CommitError, OpenMode, Store, StoreError, StoreLock, remove_leftovers_beside, staging_dir,
};

#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    pub target: PathBuf,
    pub last_seq: u64,
    /// Where the store that was there before now is.
    pub previous: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecoverReport {
    pub target: PathBuf,
    pub last_seq: u64,
    /// Events taken from `journal.copy`, and from sled after them.
    pub from_copy: u64,
    pub from_sled: u64,
    /// Why sled itself could not be read, if it could not.
    pub sled_problem: Option<String>,
    /// Where the damaged store is kept.
    pub damaged: PathBuf,
}

/// Events restored per transaction: large enough to be fast, small enough to stay in memory.
const RESTORE_BATCH: usize = 2048;

/// Replays `records` (seq, stored value; seqs from 1 in order) into the fresh store at `dir`,
/// then runs `check` on it.
fn rebuild(
    records: impl Iterator<Item = Result<(u64, Vec<u8>), BackupError>>,
    counter_id: &str,
    dir: &Path,
) -> Result<u64, BackupError> {
    let store = Store::open(dir, OpenMode::CreateIfMissing)?;
    let mut prev = [0u8; 32];
    let mut last = 0;
    let mut live = StoredEventCheck::default();
    let mut batch: Vec<(Vec<u8>, Event)> = Vec::with_capacity(RESTORE_BATCH);
    let flush = |batch: &mut Vec<(Vec<u8>, Event)>| -> Result<(), BackupError> {
        store.restore_events(counter_id, batch).map_err(|e| match e {
            CommitError::Rule(rule) => refused(format!("the backup breaks a ledger rule: {rule}")),
            CommitError::Store(s) => s.into(),
        })?;
        batch.clear();
        Ok(())
    };
    for record in records {
        let (seq, value) = record?;
        let event = chained(&value, seq, &prev).map_err(refused)?;
        live.check(&event)
            .map_err(|e| refused(format!("not a journal this bank could have written: {e}")))?;
        prev = event.hash;
        last = seq;
        batch.push((value, event));
        if batch.len() == RESTORE_BATCH {
            flush(&mut batch)?;
        }
    }
    flush(&mut batch)?;
    live.finish().map_err(|e| refused(format!("not a journal this bank could have written: {e}")))?;
    let report = check_store(&store).map_err(|e| refused(e.to_string()))?;
    if !report.ok {
        let first = report.problems.first().map(|p| p.detail.clone()).unwrap_or_default();
        return Err(refused(format!("the restored store fails check: {first}")));
    }
    // A counter in a city may have written — and handed its shares to the pools, which other
    // counters then spent — after this journal ends: until it has fetched its own later
    // events from the city, it spends nothing from its shares (see `city::execute`).
    if store.counter_code()?.is_some() {
        store.set_city_catch_up(Some(Timestamp::from_datetime(chrono::Utc::now())))?;
    }
    Ok(last)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io { path: path.to_path_buf(), source }
}

/// What is in `target` besides our lock file: nothing, a store, or something else.
enum Occupant {
    Nothing,
    Store,
    Other,
}

fn occupant(target: &Path) -> Occupant {
    let Ok(entries) = std::fs::read_dir(target) else { return Occupant::Nothing };
    let names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "lock")
        .collect();
    if names.is_empty() {
        Occupant::Nothing
    } else if names.iter().any(|n| n == "sled" || n == "journal.copy") {
        Occupant::Store
    } else {
        Occupant::Other
    }
}

/// Builds a store from `records` beside `target` and swaps it in, with `target`'s lock held
/// throughout. What was in `target` is moved to `aside` (or, for an empty target, removed).
fn swap_in(
    target: &Path,
    lock: StoreLock,
    stage: &str,
    aside: Option<&Path>,
    build: impl FnOnce(&Path) -> Result<u64, BackupError>,
) -> Result<u64, BackupError> {
    let fresh = staging_dir(target, stage);
    let _ = std::fs::remove_dir_all(&fresh);
    let last = match build(&fresh) {
        Ok(last) => last,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&fresh);
            return Err(e);
        }
    };
    // The old directory (with our lock in it) goes first; until the fresh one takes its name,
    // an open of `target` finds no store rather than the old one.
    let old = match aside {
        Some(aside) => aside.to_path_buf(),
        None => staging_dir(target, "empty"),
    };
    std::fs::rename(target, &old).map_err(io(target))?;
    std::fs::rename(&fresh, target).map_err(io(target))?;
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    sync_dir(parent).map_err(io(parent))?;
    drop(lock);
    if aside.is_none() {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(last)
}

fn beside(target: &Path, suffix: &str, now: Timestamp) -> PathBuf {
    let stamp = now.datetime().with_timezone(&Local).format("%Y%m%d-%H%M%S");
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "store".into());
    super::first_free(|n| {
        let more = n.map(|n| format!("-{n}")).unwrap_or_default();
        target.with_file_name(format!("{name}.{suffix}-{stamp}{more}"))
    })
}

/// Whether a backup this bank did not make (another bank's, or forged) may be restored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provenance {
    /// Only a backup whose tag matches the target's PIN key file (`<target>.pepper`).
    ThisBank,
    /// Any backup that passes every other check: `--accept-foreign`.
    AcceptForeign,
}

/// Restores `backup` into `target`. Refuses a store that is open elsewhere, a directory that
/// is not a store, an existing store unless `force`, and a backup not made by this bank unless
/// `provenance` accepts foreign ones; keeps what was there as `<target>.before-restore-<time>`.
pub fn restore(
    backup: &Path,
    target: &Path,
    force: bool,
    now: Timestamp,
    identity: Option<&age::x25519::Identity>,
    provenance: Provenance,
) -> Result<RestoreReport, BackupError> {
    let key = super::pepper::backup_key(target);
    let file = readable(backup, identity, key.as_ref())?;
    let existed = target.exists();
    let result = restore_locked(&file, target, force, now, || {
        if provenance == Provenance::AcceptForeign || file.authentic == Some(true) {
            return Ok(());
        }
        Err(refused(match key {
            None => format!(
                "cannot tell whether this bank made {}: there is no PIN key file at {} (put the one kept with the admins' backup key there first, or restore with --accept-foreign)",
                backup.display(),
                super::pepper_path(target).display()
            ),
            Some(_) => format!(
                "{} was not made by this bank (its tag does not match the PIN key file {}): another bank's backup, an older hourbank's, or an edited one; restore it only with --accept-foreign",
                backup.display(),
                super::pepper_path(target).display()
            ),
        }))
    });
    if result.is_err() && !existed {
        // Only our lock file is in it: a refused restore leaves nothing behind.
        let _ = std::fs::remove_dir_all(target);
    }
    result
}

fn restore_locked(
    file: &BackupFile,
    target: &Path,
    force: bool,
    now: Timestamp,
    provenance_ok: impl FnOnce() -> Result<(), BackupError>,
) -> Result<RestoreReport, BackupError> {
    // Held until the new store is in place: a running counter makes this fail with "in use",
    // and no writer can open the store while it is being replaced.
    let lock = StoreLock::take(target)?;
    remove_leftovers_beside(target);
    let previous = previous_store(target, force, now)?;
    provenance_ok()?;
    let counter = file.header.counter_id.clone();
    let last_seq = swap_in(target, lock, "restoring", previous.as_deref(), |fresh| {
        let records = file.records()?.map(|r| r.map(|r| (r.seq, r.value)));
        rebuild(records, &counter, fresh)
    })?;
    debug_assert_eq!(last_seq, file.header.last_seq);
    Ok(RestoreReport { target: target.to_path_buf(), last_seq: file.header.last_seq, previous })
}

/// Rebuilds a lost counter's store at `target` from its own journal as the city holds it
/// (`records`: seq and stored bytes from #1, already verified as the counter's by whoever
/// fetched them). Every check a backup's restore runs runs here; `target` is replaced only
/// with `force` (the old store kept beside it).
pub fn restore_records(
    records: impl Iterator<Item = Result<(u64, Vec<u8>), BackupError>>,
    target: &Path,
    force: bool,
    now: Timestamp,
) -> Result<RestoreReport, BackupError> {
    let existed = target.exists();
    let result = restore_records_locked(records, target, force, now);
    if result.is_err() && !existed {
        let _ = std::fs::remove_dir_all(target);
    }
    result
}

fn restore_records_locked(
    records: impl Iterator<Item = Result<(u64, Vec<u8>), BackupError>>,
    target: &Path,
    force: bool,
    now: Timestamp,
) -> Result<RestoreReport, BackupError> {
    let lock = StoreLock::take(target)?;
    remove_leftovers_beside(target);
    let previous = previous_store(target, force, now)?;
    let mut records = records.peekable();
    // The store's own id is in its first event.
    let counter = match records.peek() {
        Some(Ok((seq, first))) => {
            crate::store::decode_stored(*seq, first)
                .map_err(|e| refused(format!("event #{seq} is not an event: {e}")))?
                .body
                .counter
        }
        Some(Err(_)) => {
            return Err(records.next().and_then(Result::err).unwrap_or_else(|| refused("no events")));
        }
        None => return Err(refused("there are no events to restore")),
    };
    let last_seq =
        swap_in(target, lock, "restoring", previous.as_deref(), |fresh| rebuild(records, &counter, fresh))?;
    Ok(RestoreReport { target: target.to_path_buf(), last_seq, previous })
}

/// Where the store in `target` goes aside, if there is one and `force` allows replacing it.
fn previous_store(target: &Path, force: bool, now: Timestamp) -> Result<Option<PathBuf>, BackupError> {
    match occupant(target) {
        Occupant::Nothing => Ok(None),
        Occupant::Other => Err(refused(format!(
            "{} is not empty and is not an hourbank store; restore into an empty directory or a store",
            target.display()
        ))),
        Occupant::Store if !force => Err(refused(format!(
            "{} is not empty; restore replaces it only with --force (the old one is kept beside it)",
            target.display()
        ))),
        Occupant::Store => Ok(Some(beside(target, "before-restore", now))),
    }
}

/// Rebuilds the store at `target` from its own journal: the chain-verified `journal.copy`
/// and whatever sled still holds after it. For a store sled cannot open, or one whose sled
/// lost acknowledged entries. The damaged store is kept as `<target>.damaged-<time>`.
pub fn recover(target: &Path, now: Timestamp) -> Result<RecoverReport, BackupError> {
    if !matches!(occupant(target), Occupant::Store) {
        return Err(StoreError::NotInitialized(target.to_path_buf()).into());
    }
    let lock = StoreLock::take(target)?;
    remove_leftovers_beside(target);
    let mut journal = read_journal(target, &lock)?;
    let damaged = beside(target, "damaged", now);
    let records = std::mem::take(&mut journal.records);
    let last_seq = swap_in(target, lock, "recovering", Some(&damaged), |fresh| {
        let numbered = records.into_iter().zip(1u64..).map(|(value, seq)| Ok((seq, value)));
        rebuild(numbered, &journal.counter_id, fresh)
    })?;
    Ok(RecoverReport {
        target: target.to_path_buf(),
        last_seq,
        from_copy: journal.from_copy,
        from_sled: journal.from_sled,
        sled_problem: journal.sled_problem,
        damaged,
    })
}
