//! sled storage: opening and locking a store, the tree schema, the commit path and reads.
//! Nothing above this module sees a sled type.

pub mod backup;
mod city;
pub use city::{CityAccount, CityCounter, CityVolunteer, PinnedKey, RemoteError};
pub mod codec;
mod compact;
mod directory;
mod upgrade;
pub use directory::{DirectoryCard, DirectoryShare, OtherVersion};
mod journal_copy;
mod journal_index;
mod journal_stream;
pub mod keys;
mod local;
mod lock;
pub use local::{GrantIntent, LastBackup};
pub use lock::StoreLock;
mod read;
pub mod records;
pub mod recover;
mod restore;
mod schema;
mod stored;
mod tx;

use std::fs::{self, File};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub use codec::CodecError;
pub use stored::{HASH_LEN, StoredEvent, decode_stored, encode_event, link_hash, stored_hash};
pub use tx::{CommitContext, CommitError, Committed, Head, OpRecord, Pending, TxFail, TxView};

pub use schema::{SCHEMA_VERSION, meta, tree};
pub use upgrade::{UpgradeProgress, on_upgrade};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {} is in use by another hourbank process{}", dir.display(), pid.map(|p| format!(" (pid {p})")).unwrap_or_default())]
    InUse { dir: PathBuf, pid: Option<u32> },
    #[error("no hourbank store at {} (create one with `hourbank init`)", .0.display())]
    NotInitialized(PathBuf),
    /// The directory was moved or swapped while it was being opened: a restore or recover.
    #[error("store {} was replaced while it was being opened (a restore or recover is running); try again", .0.display())]
    Replaced(PathBuf),
    #[error("store {} was written by a newer hourbank (schema {found}, this build reads {supported})", dir.display())]
    Schema { dir: PathBuf, found: u32, supported: u32 },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("storage engine: {0}")]
    Sled(#[from] sled::Error),
    #[error("corrupt store: {0}")]
    Corrupt(#[from] CodecError),
    #[error("internal error: {0}")]
    Internal(&'static str),
    #[error("an earlier write could not be saved ({0}); restart hourbank before saving anything else")]
    Poisoned(String),
    /// sled's files cannot be read (it returned "corrupted" or panicked on a damaged page).
    #[error("store {}: the database files in {} are damaged ({detail}); `hourbank recover` rebuilds the store from its journal copy", dir.display(), dir.join("sled").display())]
    Damaged { dir: PathBuf, detail: String },
    /// `journal.copy` holds acknowledged entries past sled's head that the ledger rules refuse
    /// to replay onto what sled holds: sled's projections are not those of its own journal.
    #[error("store {}: sled's journal ends at #{sled_last} and journal.copy goes on to #{copy_last}, but the entries after #{sled_last} do not replay onto the database; it is not opened for writing — run `hourbank recover` to rebuild it from the copy", dir.display())]
    LostEntries { dir: PathBuf, sled_last: u64, copy_last: u64 },
    /// `journal.copy`, the store's journal, does not reach the entry sled's projections stand
    /// at (damaged, cut, or an older copy put back): what it lacks is nowhere in the store.
    #[error("store {}: the database reflects the journal up to #{sled_last}, but journal.copy holds it only to #{copy_last} (damaged, cut or put back); it is not opened — restore the last backup, or run `hourbank recover` to rebuild the store from the copy (entries after #{copy_last} are then lost)", dir.display())]
    JournalBehind { dir: PathBuf, sled_last: u64, copy_last: u64 },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_path_buf(), source }
}

/// Whether `open` may create a new store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    Existing,
    CreateIfMissing,
}

/// Memory sled may use for its page cache. Its default (1 GiB) is far more than a counter needs.
const CACHE_BYTES: u64 = 32 * 1024 * 1024;

pub struct Store {
    dir: PathBuf,
    db: sled::Db,
    trees: Vec<sled::Tree>,
    /// `tree::CITY`, in order.
    city_trees: Vec<sled::Tree>,
    /// The city's directory and balances as last pulled (`store::directory`).
    directory: directory::Directories,
    /// One directory write at a time (a join's pages and flip against a round's changes).
    directory_writer: Mutex<()>,
    /// Held for the life of the store: the OS lock that makes us the only owner.
    _lock: File,
    /// Serialises writers in this process so sled never has to retry our transactions, and
    /// remembers a failed flush: after one, nothing more may be written.
    write_gate: Mutex<Option<String>>,
    /// Files and folders that were readable by others when the store was opened (now fixed).
    loosened: Vec<PathBuf>,
    /// The journal as one flat file: the log a commit is acknowledged by, and what backups
    /// stream. Appended under `write_gate`.
    journal_copy: Mutex<journal_copy::JournalCopy>,
    /// When sled is flushed behind the copy.
    checkpoint: Checkpoint,
    /// How many events the open replayed from the copy into sled.
    replayed_at_open: u64,
    /// This open upgraded the store from the shape before (`upgrade`).
    upgraded: bool,
}

/// Events between two checkpoints of sled (see `Checkpoint`).
const CHECKPOINT_EVENTS: u64 = 8192;

/// sled is flushed behind the copy: every `CHECKPOINT_EVENTS` events committed, and when the
/// store closes in order (so the next open has nothing to replay). An open after a kill
/// replays at most about that many from the copy.
struct Checkpoint {
    db: sled::Db,
    /// Events committed since sled was last flushed.
    unflushed: AtomicU64,
    /// Set once a write could not be saved: what sled holds of it is unknown, so it is not
    /// flushed at close (the copy has every acknowledged commit).
    stopped: AtomicBool,
}

impl Drop for Checkpoint {
    fn drop(&mut self) {
        if *self.unflushed.get_mut() > 0 && !*self.stopped.get_mut() {
            let _ = self.db.flush();
        }
    }
}

impl Store {
    /// What `open` found readable by other users and tightened (0700 folders, 0600 files).
    pub fn loosened_permissions(&self) -> &[PathBuf] {
        &self.loosened
    }

    pub fn open(dir: &Path, mode: OpenMode) -> Result<Store, StoreError> {
        let store = Store::open_once(dir, mode)?;
        if !store.upgraded {
            return Ok(store);
        }
        // Upgraded in place (`upgrade`): opened once more, which compacts sled's files now
        // that the journal tree is gone.
        drop(store);
        Store::open_once(dir, OpenMode::Existing)
    }

    fn open_once(dir: &Path, mode: OpenMode) -> Result<Store, StoreError> {
        let sled_dir = dir.join("sled");
        if mode == OpenMode::Existing && !sled_dir.join("db").exists() && !compact::pending(dir) {
            let copy_len = fs::metadata(dir.join(journal_copy::FILE_NAME)).map(|m| m.len()).unwrap_or(0);
            if copy_len > 0 {
                return Err(StoreError::Damaged {
                    dir: dir.to_path_buf(),
                    detail: format!(
                        "{} is missing while journal.copy holds the journal",
                        sled_dir.join("db").display()
                    ),
                });
            }
            remove_leftovers_beside(dir);
            return Err(StoreError::NotInitialized(dir.to_path_buf()));
        }
        lock::pause(lock::Moment::StoreSeen, dir);
        let existed = dir.exists();
        // An existing store's directory is never made here: one that is gone since the check
        // above was moved by a restore, and a directory made in its place would stop the
        // restore's second rename (`lock` says more).
        if mode == OpenMode::CreateIfMissing {
            fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        let dir_was =
            if existed { fs::metadata(dir).map(|m| m.permissions().mode()).unwrap_or(0) } else { 0o700 };
        let lock = lock::take(dir)?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io_err(dir))?;
        remove_leftovers_beside(dir);

        guard_sled(dir, || compact::at_open(dir, sled_config))?;
        let config = sled_config(&sled_dir);
        let sled_existed = sled_dir.join("db").exists();
        remove_unfinished_snapshots(&sled_dir);
        let (db, trees, city_trees, directory) = guard_sled(dir, || {
            let db = open_sled(&config, dir)?;
            let open = |set: &[tree::TreeId]| {
                set.iter().map(|t| db.open_tree(t.name)).collect::<Result<Vec<_>, _>>()
            };
            let trees = open(&tree::ALL)?;
            let city_trees = open(&tree::CITY)?;
            let directory = directory::Directories::open(&db, &trees[tree::META.index])?;
            Ok((db, trees, city_trees, directory))
        })?;
        let mut store = Store {
            dir: dir.to_path_buf(),
            checkpoint: Checkpoint {
                db: db.clone(),
                unflushed: AtomicU64::new(0),
                stopped: AtomicBool::new(false),
            },
            db,
            trees,
            city_trees,
            directory,
            directory_writer: Mutex::new(()),
            _lock: lock,
            write_gate: Mutex::new(None),
            loosened: Vec::new(),
            journal_copy: Mutex::new(journal_copy::JournalCopy::disabled(dir)),
            replayed_at_open: 0,
            upgraded: false,
        };
        guard_sled(dir, || store.check_schema())?;
        let head = guard_sled(dir, || store.head())?;
        // Only a hint, checked against the copy: a record that does not decode is no hint.
        let copy_end = guard_sled(dir, || {
            Ok(store.get::<journal_copy::CopyEnd>(tree::META, meta::COPY_END).ok().flatten())
        })?;
        let sled_end = journal_copy::SledEnd {
            last_seq: head.next_seq.saturating_sub(1),
            last_hash: head.last_hash,
            copy_end,
        };
        // A store of the shape before (schema 1) holds the journal in sled too: the copy is
        // matched against it, and then the store is upgraded.
        let journal = store.tree(tree::JOURNAL).clone();
        let before = guard_sled(dir, || Ok(store.schema()? < SCHEMA_VERSION && !journal.is_empty()))?;
        let opened = guard_sled(dir, || {
            Ok(journal_copy::JournalCopy::open(dir, before.then_some(&journal), sled_end))
        })?;
        let (copy, ahead) = match opened {
            Ok(opened) => opened,
            Err(journal_copy::OpenRefused::Io(source)) => {
                return Err(StoreError::Io { path: dir.join(journal_copy::FILE_NAME), source });
            }
            Err(journal_copy::OpenRefused::Behind { copy_last, sled_last }) => {
                return Err(StoreError::JournalBehind { dir: dir.to_path_buf(), sled_last, copy_last });
            }
        };
        *store.journal_copy.get_mut().unwrap_or_else(|p| p.into_inner()) = copy;
        if !ahead.is_empty() {
            let counter_id = match guard_sled(dir, || store.counter_id())? {
                Some(id) => id,
                None => decode_stored(1, &ahead[0])?.body.counter,
            };
            let lost = || StoreError::LostEntries {
                dir: dir.to_path_buf(),
                sled_last: sled_end.last_seq,
                copy_last: sled_end.last_seq + ahead.len() as u64,
            };
            guard_sled(dir, || match store.replay_ahead(&counter_id, &ahead) {
                Ok(()) => Ok(()),
                Err(CommitError::Store(e @ (StoreError::Sled(_) | StoreError::Io { .. }))) => Err(e),
                Err(_) => Err(lost()),
            })?;
            store.replayed_at_open = ahead.len() as u64;
        }
        if !journal.is_empty() {
            // Also an upgrade an earlier open began and was stopped in after the schema was
            // written: the tree is dropped now.
            guard_sled(dir, || store.upgrade())?;
        }
        let loosened = restrict_files(dir, dir_was);
        // sled makes its files with the process's umask; on a store made just now that is not
        // somebody's loosening (the demo once opened on a red alarm about its own fresh files).
        store.loosened = if sled_existed { loosened } else { Vec::new() };
        Ok(store)
    }

    /// Gives up the store but keeps its lock: sled is closed, and no other process can open
    /// the store until the returned lock is dropped (a restore swaps directories under it).
    pub fn into_lock(self) -> StoreLock {
        StoreLock::from_file(self._lock)
    }

    /// How many events this open replayed from `journal.copy` into sled: commits acknowledged
    /// after sled's last checkpoint, before the process that made them stopped.
    pub fn replayed_at_open(&self) -> u64 {
        self.replayed_at_open
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn tree(&self, t: tree::TreeId) -> &sled::Tree {
        &self.trees[t.index]
    }

    fn check_schema(&self) -> Result<(), StoreError> {
        let found = self.schema()?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::Schema { dir: self.dir.clone(), found, supported: SCHEMA_VERSION });
        }
        Ok(())
    }

    /// The schema the store was written in (today's for a store with nothing in it yet).
    fn schema(&self) -> Result<u32, StoreError> {
        match self.tree(tree::META).get(meta::SCHEMA)? {
            None => Ok(SCHEMA_VERSION),
            Some(bytes) => Ok(codec::decode(tree::META.name, meta::SCHEMA, &bytes)?),
        }
    }

    /// True once `init` has committed the first event.
    pub fn is_initialized(&self) -> Result<bool, StoreError> {
        Ok(self.tree(tree::META).contains_key(meta::COUNTER_ID)?)
    }

    /// Flushes everything to disk. Until this returns, nothing written is acknowledged.
    pub fn flush(&self) -> Result<(), StoreError> {
        let events = self.checkpoint.unflushed.load(Ordering::Acquire);
        self.db.flush()?;
        self.checkpoint.unflushed.fetch_sub(events, Ordering::AcqRel);
        Ok(())
    }

    /// Bytes sled reports for its files.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.db.size_on_disk()?)
    }
}

/// Where a restore or a recovery builds the new store before swapping it in: beside `target`,
/// hidden, named by the process.
pub fn staging_dir(target: &Path, what: &str) -> PathBuf {
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "store".into());
    parent.join(format!(".{name}.{what}-{}", std::process::id()))
}

/// Removes what a killed restore or recovery left beside `dir` (a half-built store, named by
/// the process that built it): those whose process is gone. Every open of the store and every
/// restore and recovery runs this.
pub fn remove_leftovers_beside(dir: &Path) {
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let Some(name) = dir.file_name().map(|n| n.to_string_lossy().into_owned()) else { return };
    let Ok(entries) = fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let found = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = found.strip_prefix('.').and_then(|f| f.strip_prefix(name.as_str())) else {
            continue;
        };
        let pid = [".restoring-", ".recovering-", ".empty-"].iter().find_map(|what| rest.strip_prefix(what));
        let Some(pid) = pid.and_then(|p| p.parse::<u32>().ok()) else { continue };
        let gone = pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists();
        if gone && entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// How every store's sled is opened.
fn sled_config(sled_dir: &Path) -> sled::Config {
    sled::Config::new()
        .path(sled_dir)
        .cache_capacity(CACHE_BYTES)
        .mode(sled::Mode::LowSpace)
        .use_compression(false)
        .print_profile_on_drop(false)
        .temporary(false)
        .create_new(false)
        // We flush explicitly after every operation; a background flusher would only blur
        // what "saved" means.
        .flush_every_ms(None)
}

/// sled 0.34.7 writes a snapshot at every open as `snap.<lsn>.generating`, fsyncs it and only
/// then renames it to `snap.<lsn>` (`pagecache/snapshot.rs`, `write_snapshot`). On a full disk
/// the write fails and leaves the `.generating` file behind, often empty; `read_snapshot` takes
/// the last file name in sort order, which is that one, and every later open failed with "Read
/// corrupted data". A `.generating` file is never a finished snapshot (the rename is what
/// finishes it), so sled never relied on it: it is removed before sled opens.
fn remove_unfinished_snapshots(sled_dir: &Path) {
    let Ok(entries) = fs::read_dir(sled_dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Runs a sled call that may meet damaged files: sled 0.34.7 panics on some damaged pages
/// (`tried to serialize Uninitialized`) and reports others as "Read corrupted data". Both
/// become [`StoreError::Damaged`], naming the store, so no command ends in a panic.
fn guard_sled<T>(dir: &Path, f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    let damaged = |detail: String| StoreError::Damaged { dir: dir.to_path_buf(), detail };
    let result = quiet_panics(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    match result {
        Ok(Err(StoreError::Sled(sled::Error::Corruption { at, .. }))) => Err(damaged(format!(
            "sled read corrupted data{}",
            at.map(|a| format!(" at {a:?}")).unwrap_or_default()
        ))),
        Ok(Err(StoreError::Sled(sled::Error::ReportableBug(bug)))) => Err(damaged(format!("sled: {bug}"))),
        Ok(other) => other,
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "sled stopped on a damaged page".into());
            Err(damaged(format!("sled stopped: {what}")))
        }
    }
}

thread_local! {
    /// Set while this thread runs a guarded sled call: its panic is reported as a damaged
    /// store, so the panic hook's own message would only confuse.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn quiet_panics<T>(f: impl FnOnce() -> T) -> T {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = f();
    QUIET.with(|q| q.set(was));
    result
}

/// Opens sled. We already hold the store's lock file, so no other process owns it; if sled's
/// own file lock is still taken, it is a `Db` of this process whose background threads are
/// still shutting down (a close followed at once by an open). Wait for it, briefly.
fn open_sled(config: &sled::Config, dir: &Path) -> Result<sled::Db, StoreError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match config.open() {
            Ok(db) => return Ok(db),
            Err(sled::Error::Io(ref io)) if io.to_string().contains("could not acquire lock") => {
                if std::time::Instant::now() > deadline {
                    return Err(StoreError::InUse { dir: dir.to_path_buf(), pid: None });
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(other) => return Err(StoreError::Sled(other)),
        }
    }
}

/// What hourbank makes inside a store directory; nothing else there is touched (a store made
/// in a folder that had other files once chmodded all of them).
const STORE_ENTRIES: [&str; 7] = [
    "sled",
    journal_copy::FILE_NAME,
    journal_copy::CUT_NAME,
    journal_index::INDEX_NAME,
    "lock",
    "control.sock",
    compact::REQUESTED,
];

/// Makes the store's files readable by their owner only, and returns those that were not
/// (someone loosened them: worth a warning, since the store holds personal data). Best effort:
/// the directory itself is already 0700, which is what keeps other users out.
fn restrict_files(dir: &Path, dir_was: u32) -> Vec<PathBuf> {
    let mut loosened = Vec::new();
    if dir_was & 0o077 != 0 {
        loosened.push(dir.to_path_buf());
    }
    let mut stack: Vec<PathBuf> = STORE_ENTRIES.iter().map(|n| dir.join(n)).collect();
    while let Some(path) = stack.pop() {
        let Ok(meta) = fs::symlink_metadata(&path) else { continue };
        let (wanted, descend) = if meta.is_dir() {
            (0o700, true)
        } else if meta.is_file() || meta.file_type().is_socket() {
            (0o600, false)
        } else {
            continue;
        };
        // sled writes its snapshot files (snap.*) with the process umask while it runs;
        // they are tightened here like the rest, but they are not somebody's loosening.
        let sled_snapshot = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("snap."));
        if meta.permissions().mode() & 0o077 != 0 && !sled_snapshot {
            loosened.push(path.clone());
        }
        let _ = fs::set_permissions(&path, fs::Permissions::from_mode(wanted));
        if descend && let Ok(entries) = fs::read_dir(&path) {
            stack.extend(entries.flatten().map(|e| e.path()));
        }
    }
    loosened
}
