//! sled storage: opening and locking a store, the tree schema, the commit path and reads.
//! Nothing above this module sees a sled type.

pub mod backup;
pub mod codec;
mod journal_copy;
pub mod keys;
mod local;
pub use local::LastBackup;
mod read;
pub mod records;
mod restore;
mod tx;

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use codec::CodecError;
pub use tx::{
    CommitContext, CommitError, Committed, Head, OpRecord, Pending, TxFail, TxView, encode_event, link_hash,
};

/// Version of the tree layout. Bumped when a tree's key or value meaning changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Tree names are a contract (DESIGN §3): a store written by one version is read by the next.
/// Each tree is named once, with its position in the commit transaction's tree list.
pub mod tree {
    /// A tree: where it sits in `ALL` (and so in a transaction's view), and its on-disk name.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct TreeId {
        pub index: usize,
        pub name: &'static str,
    }

    const fn id(index: usize, name: &'static str) -> TreeId {
        TreeId { index, name }
    }

    pub const META: TreeId = id(0, "meta");
    pub const JOURNAL: TreeId = id(1, "journal");
    pub const VOLUNTEERS: TreeId = id(2, "volunteers");
    pub const CARD_INDEX: TreeId = id(3, "card_index");
    /// Volunteer id → totals and the seqs of their entries (see `records::AccountRecord`).
    pub const ACCOUNTS: TreeId = id(4, "accounts");
    pub const ACTIVITIES: TreeId = id(5, "activities");
    pub const REWARDS: TreeId = id(6, "rewards");
    pub const STOCK: TreeId = id(7, "stock");
    pub const STAFF: TreeId = id(8, "staff");
    /// Catalog names (activities, rewards) → id; names are unique per kind.
    pub const NAMES: TreeId = id(9, "names");
    /// Reversed entry seq → seq of the reversal; makes "at most once" a key lookup.
    pub const REVERSED: TreeId = id(10, "reversed");
    /// Client operation ids → the events they committed; makes retries safe.
    pub const OPS: TreeId = id(11, "ops");
    /// Shifts at the kiosk: `S` ++ check-in seq → the shift; `O` ++ volunteer id → the seq of
    /// their open shift (at most one).
    pub const SHIFTS: TreeId = id(12, "shifts");
    /// What the crediting rules need to look up in a commit: `D` ++ volunteer id ++ day →
    /// minutes credited that service day (only while a day cap is set); `H` ++ seq → a deposit
    /// held for approval.
    pub const LIMITS: TreeId = id(13, "limits");

    /// Every tree, in the order the commit transaction opens them.
    pub const ALL: [TreeId; 14] = [
        META, JOURNAL, VOLUNTEERS, CARD_INDEX, ACCOUNTS, ACTIVITIES, REWARDS, STOCK, STAFF, NAMES, REVERSED,
        OPS, SHIFTS, LIMITS,
    ];

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn each_tree_sits_at_its_index_and_the_on_disk_names_are_unchanged() {
            for (i, t) in ALL.iter().enumerate() {
                assert_eq!(t.index, i, "{}", t.name);
            }
            let names: Vec<&str> = ALL.iter().map(|t| t.name).collect();
            assert_eq!(
                names,
                [
                    "meta",
                    "journal",
                    "volunteers",
                    "card_index",
                    "accounts",
                    "activities",
                    "rewards",
                    "stock",
                    "staff",
                    "names",
                    "reversed",
                    "ops",
                    "shifts",
                    "limits"
                ]
            );
        }
    }
}

/// Keys of the `meta` tree.
pub mod meta {
    pub const SCHEMA: &[u8] = b"schema";
    pub const COUNTER_ID: &[u8] = b"counter_id";
    pub const COUNTER_NAME: &[u8] = b"counter_name";
    /// `tx::Head`: next seq and last hash.
    pub const HEAD: &[u8] = b"head";
    pub const SETTINGS: &[u8] = b"settings";
    /// `domain::Rules`: rounding, caps, approval, expiry, multipliers.
    pub const RULES: &[u8] = b"rules";
    /// Import sources seen so far: an import of a new source need not look for its rows.
    pub const IMPORT_SOURCES: &[u8] = b"import_sources";
    /// `login/<staff id>`: failed PINs and lock (`domain::LoginAttempts`).
    pub const LOGIN_PREFIX: &[u8] = b"login/";
    /// `login-card/<card>`: failed self-service PINs of a card.
    pub const CARD_LOGIN_PREFIX: &[u8] = b"login-card/";
    /// `local::LastBackup`: when the last good backup was written.
    pub const LAST_BACKUP: &[u8] = b"last_backup";
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {} is in use by another hourbank process{}", dir.display(), pid.map(|p| format!(" (pid {p})")).unwrap_or_default())]
    InUse { dir: PathBuf, pid: Option<u32> },
    #[error("no hourbank store at {} (create one with `hourbank init`)", .0.display())]
    NotInitialized(PathBuf),
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
    /// Held for the life of the store: the OS lock that makes us the only owner.
    _lock: File,
    /// Serialises writers in this process so sled never has to retry our transactions, and
    /// remembers a failed flush: after one, nothing more may be written.
    write_gate: Mutex<Option<String>>,
    /// Files and folders that were readable by others when the store was opened (now fixed).
    loosened: Vec<PathBuf>,
    /// The journal again as one flat file, for fast backups. Appended under `write_gate`.
    journal_copy: Mutex<journal_copy::JournalCopy>,
}

impl Store {
    /// What `open` found readable by other users and tightened (0700 folders, 0600 files).
    pub fn loosened_permissions(&self) -> &[PathBuf] {
        &self.loosened
    }

    pub fn open(dir: &Path, mode: OpenMode) -> Result<Store, StoreError> {
        let sled_dir = dir.join("sled");
        if mode == OpenMode::Existing && !sled_dir.join("db").exists() {
            return Err(StoreError::NotInitialized(dir.to_path_buf()));
        }
        let existed = dir.exists();
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let dir_was =
            if existed { fs::metadata(dir).map(|m| m.permissions().mode()).unwrap_or(0) } else { 0o700 };
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io_err(dir))?;
        let lock = take_lock(dir)?;

        let config = sled::Config::new()
            .path(&sled_dir)
            .cache_capacity(CACHE_BYTES)
            .mode(sled::Mode::LowSpace)
            .use_compression(false)
            .print_profile_on_drop(false)
            .temporary(false)
            .create_new(false)
            // We flush explicitly after every operation; a background flusher would only blur
            // what "saved" means.
            .flush_every_ms(None);
        let db = open_sled(&config, dir)?;
        let trees = tree::ALL.iter().map(|t| db.open_tree(t.name)).collect::<Result<Vec<_>, _>>()?;
        let mut store = Store {
            dir: dir.to_path_buf(),
            db,
            trees,
            _lock: lock,
            write_gate: Mutex::new(None),
            loosened: Vec::new(),
            journal_copy: Mutex::new(journal_copy::JournalCopy::disabled(dir)),
        };
        store.check_schema()?;
        let last_seq = store.head()?.next_seq.saturating_sub(1);
        *store.journal_copy.get_mut().unwrap_or_else(|p| p.into_inner()) =
            journal_copy::JournalCopy::open(dir, store.tree(tree::JOURNAL), last_seq);
        store.loosened = restrict_files(dir, dir_was);
        Ok(store)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn tree(&self, t: tree::TreeId) -> &sled::Tree {
        &self.trees[t.index]
    }

    fn check_schema(&self) -> Result<(), StoreError> {
        match self.tree(tree::META).get(meta::SCHEMA)? {
            None => Ok(()),
            Some(bytes) => {
                let found: u32 = codec::decode(tree::META.name, meta::SCHEMA, &bytes)?;
                if found > SCHEMA_VERSION {
                    return Err(StoreError::Schema {
                        dir: self.dir.clone(),
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
                Ok(())
            }
        }
    }

    /// True once `init` has committed the first event.
    pub fn is_initialized(&self) -> Result<bool, StoreError> {
        Ok(self.tree(tree::META).contains_key(meta::COUNTER_ID)?)
    }

    /// Flushes everything to disk. Until this returns, nothing written is acknowledged.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// Bytes sled reports for its files.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.db.size_on_disk()?)
    }
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

/// Takes an exclusive OS lock on `<dir>/lock` and writes our pid into it, so a second process
/// can be told who owns the store. The lock dies with the process, even on SIGKILL.
fn take_lock(dir: &Path) -> Result<File, StoreError> {
    let path = dir.join("lock");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io_err(&path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            return Err(StoreError::InUse { dir: dir.to_path_buf(), pid: text.trim().parse().ok() });
        }
        Err(fs::TryLockError::Error(e)) => return Err(StoreError::Io { path, source: e }),
    }
    file.set_len(0).map_err(io_err(&path))?;
    file.seek(SeekFrom::Start(0)).map_err(io_err(&path))?;
    write!(file, "{}", std::process::id()).map_err(io_err(&path))?;
    Ok(file)
}

/// Makes the store's files readable by their owner only, and returns those that were not
/// (someone loosened them: worth a warning, since the store holds personal data). Best effort:
/// the directory itself is already 0700, which is what keeps other users out.
fn restrict_files(dir: &Path, dir_was: u32) -> Vec<PathBuf> {
    let mut loosened = Vec::new();
    if dir_was & 0o077 != 0 {
        loosened.push(dir.to_path_buf());
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
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
            if descend {
                stack.push(path);
            }
        }
    }
    loosened
}
