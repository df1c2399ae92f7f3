//! The backup file (`.hbk`): the journal up to one sequence number, which is consistent while
//! the counter keeps writing because journal entries are never changed once written.
//!
//! Layout (all integers little-endian):
//! ```text
//! "HOURBANK-BACKUP\n"          16 bytes, magic
//! format version               u32 (FORMAT_VERSION)
//! header length H              u32
//! header                       H bytes, codec-encoded BackupHeader
//! last_seq records             each: u32 length, then the journal value exactly as stored
//! blake3 of all bytes above    32 bytes
//! keyed blake3 of the same     32 bytes, format 2 only: the bank's tag (key from the PIN key
//!                              file, which no backup holds), so a backup this bank did not
//!                              make is told apart even with its chain and checksum recomputed
//! ```
//! The file is written under a temporary name in the target directory, fsynced, renamed and
//! the directory fsynced, so a crash never leaves a partial file under the final name.
//!
//! With an admin's public key (age, X25519) the whole file is age-encrypted (`.hbk.age`): a
//! stolen counter machine cannot read its own backups. Reading one needs the admin's identity;
//! it is decrypted into a private temporary file beside it, read, and removed.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{SCHEMA_VERSION, StoreError, codec};

/// What a backup's header says its records are: the journal's stored values, the same in store
/// schemas 1 and 2 (a backup made by either restores in either).
pub(crate) const BACKUP_SCHEMA: u32 = 1;
use crate::domain::Timestamp;

mod write;

pub const MAGIC: &[u8; 16] = b"HOURBANK-BACKUP\n";
pub const FORMAT_VERSION: u32 = 2;
/// Format 1 had no tag.
const UNTAGGED_FORMAT: u32 = 1;
/// A header is a few hundred bytes; anything larger is not one of ours.
const MAX_HEADER: u32 = 64 * 1024;

/// Numbers an admin can compare against the live store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BackupCounts {
    pub events: u64,
    pub volunteers: u64,
    pub activities: u64,
    pub rewards: u64,
    pub staff: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupHeader {
    pub schema: u32,
    pub app_version: String,
    pub counter_id: String,
    pub counter_name: String,
    pub created_at: Timestamp,
    pub last_seq: u64,
    /// Hash of event `last_seq`: the end of the chain the backup must reproduce.
    pub last_hash: [u8; 32],
    pub counts: BackupCounts,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{}: not an hourbank backup", .0.display())]
    NotABackup(PathBuf),
    #[error("{}: backup format {found} is newer than this hourbank reads ({FORMAT_VERSION})", path.display())]
    NewerFormat { path: PathBuf, found: u32 },
    #[error("{}: checksum does not match: the file is damaged or incomplete", .0.display())]
    Checksum(PathBuf),
    #[error("{}: {detail}", path.display())]
    Corrupt { path: PathBuf, detail: String },
    #[error("{} already exists; backups are never overwritten", .0.display())]
    Exists(PathBuf),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Refused(String),
    #[error("{}: {detail}", path.display())]
    Encryption { path: PathBuf, detail: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io { path: path.to_path_buf(), source }
}

/// The age header every encrypted file starts with.
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1";

/// Whether `path` is an age-encrypted file.
pub fn is_encrypted(path: &Path) -> Result<bool, BackupError> {
    let mut start = [0u8; 21];
    let mut file = File::open(path).map_err(io(path))?;
    let n = file.read(&mut start).map_err(io(path))?;
    Ok(&start[..n] == AGE_MAGIC)
}

/// Decrypts `path` with `identity` into a temporary file that has no name (`O_TMPFILE`, or
/// created and unlinked at once where the filesystem lacks it), in the backup's folder or the
/// system's temporary folder: the plaintext lives only as long as the returned handle, and a
/// killed process leaves nothing behind to find.
pub fn decrypt(path: &Path, identity: &age::x25519::Identity) -> Result<File, BackupError> {
    let fail = |detail: String| BackupError::Encryption { path: path.to_path_buf(), detail };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let input = BufReader::new(File::open(path).map_err(io(path))?);
    let decryptor = age::Decryptor::new_buffered(input).map_err(|e| fail(e.to_string()))?;
    let mut reader = decryptor
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .map_err(|e| fail(format!("{e} (is this the admin key the backup was made for?)")))?;
    let plain = tempfile::tempfile_in(dir).or_else(|_| tempfile::tempfile()).map_err(io(dir))?;
    let mut out = BufWriter::new(plain);
    std::io::copy(&mut reader, &mut out).map_err(|e| fail(e.to_string()))?;
    out.flush().map_err(io(path))?;
    out.into_inner().map_err(|e| fail(e.to_string()))
}

/// Creates `path` for writing with mode 0600, refusing to replace an existing file.
pub fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Makes a rename in `dir` durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// A backup file opened for reading: checksum verified, header decoded. Records are read by
/// [`BackupFile::records`]. Reads are positional, so record lookups during a pass over the
/// records do not move it.
pub struct BackupFile {
    /// For messages: the file as the admin named it.
    path: PathBuf,
    file: std::sync::Arc<File>,
    pub header: BackupHeader,
    /// Offset of the first record.
    records_at: u64,
    /// Offset of the checksum (end of the records).
    records_end: u64,
    /// Whether the bank's tag matches the key it was opened with: `None` without a key,
    /// `Some(false)` for a wrong tag or an untagged (format 1) file.
    pub authentic: Option<bool>,
}

impl BackupFile {
    pub fn open(path: &Path, key: Option<&[u8; 32]>) -> Result<BackupFile, BackupError> {
        BackupFile::from_file(path, File::open(path).map_err(io(path))?, key)
    }

    /// Reads a backup from an open file (a decrypted one has no name); `path` names it in
    /// messages.
    pub fn from_file(path: &Path, mut file: File, key: Option<&[u8; 32]>) -> Result<BackupFile, BackupError> {
        let corrupt = |detail: &str| BackupError::Corrupt { path: path.to_path_buf(), detail: detail.into() };
        file.seek(SeekFrom::Start(0)).map_err(io(path))?;
        let len = file.metadata().map_err(io(path))?.len();
        let mut magic = [0u8; 16];
        if len < 16 + 8 + 32 || file.read_exact(&mut magic).is_err() || &magic != MAGIC {
            return Err(BackupError::NotABackup(path.to_path_buf()));
        }
        let mut word = [0u8; 4];
        file.read_exact(&mut word).map_err(io(path))?;
        let format = u32::from_le_bytes(word);
        if format > FORMAT_VERSION {
            return Err(BackupError::NewerFormat { path: path.to_path_buf(), found: format });
        }
        let tag_len = if format == UNTAGGED_FORMAT { 0 } else { 32 };
        if len < 16 + 8 + 32 + tag_len {
            return Err(BackupError::NotABackup(path.to_path_buf()));
        }
        // The checksum first: nothing else is trusted before it matches.
        let body_len = len - 32 - tag_len;
        file.seek(SeekFrom::Start(0)).map_err(io(path))?;
        let mut hasher = blake3::Hasher::new();
        let mut tagger = key.map(blake3::Hasher::new_keyed);
        let mut block = vec![0u8; 1 << 20];
        let mut left = body_len;
        while left > 0 {
            let n = usize::try_from(left.min(block.len() as u64)).unwrap_or(block.len());
            file.read_exact(&mut block[..n]).map_err(io(path))?;
            hasher.update(&block[..n]);
            if let Some(t) = tagger.as_mut() {
                t.update(&block[..n]);
            }
            left -= n as u64;
        }
        let mut stored = [0u8; 32];
        file.read_exact(&mut stored).map_err(io(path))?;
        if hasher.finalize().as_bytes() != &stored {
            return Err(BackupError::Checksum(path.to_path_buf()));
        }
        let authentic = tagger.map(|t| {
            let mut tag = [0u8; 32];
            tag_len > 0 && file.read_exact(&mut tag).is_ok() && blake3::Hash::from(tag) == t.finalize()
        });
        file.seek(SeekFrom::Start(20)).map_err(io(path))?;
        file.read_exact(&mut word).map_err(io(path))?;
        let header_len = u32::from_le_bytes(word);
        if header_len > MAX_HEADER || u64::from(header_len) + 24 > body_len {
            return Err(corrupt("header length out of range"));
        }
        let mut head = vec![0u8; header_len as usize];
        file.read_exact(&mut head).map_err(io(path))?;
        let header: BackupHeader =
            codec::decode("backup header", b"", &head).map_err(|e| corrupt(&e.to_string()))?;
        if header.schema > SCHEMA_VERSION {
            return Err(corrupt(&format!(
                "store schema {} is newer than this hourbank reads",
                header.schema
            )));
        }
        Ok(BackupFile {
            path: path.to_path_buf(),
            file: std::sync::Arc::new(file),
            header,
            records_at: 24 + u64::from(header_len),
            records_end: body_len,
            authentic,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every record in order as (seq, stored journal value), exactly `header.last_seq` of them.
    pub fn records(&self) -> Result<Records, BackupError> {
        let at = Positional { file: self.file.clone(), at: self.records_at };
        Ok(Records {
            path: self.path.clone(),
            reader: BufReader::with_capacity(1 << 20, at),
            at: self.records_at,
            end: self.records_end,
            next_seq: 1,
            last_seq: self.header.last_seq,
        })
    }

    /// Reads the record of one seq, given its offset (from an earlier pass over `records`).
    pub fn record_at(&self, offset: u64) -> Result<Vec<u8>, BackupError> {
        use std::os::unix::fs::FileExt;
        let mut word = [0u8; 4];
        self.file.read_exact_at(&mut word, offset).map_err(io(&self.path))?;
        let mut value = vec![0u8; (u32::from_le_bytes(word) as usize).min(codec::DECODE_LIMIT + 64)];
        self.file.read_exact_at(&mut value, offset + 4).map_err(io(&self.path))?;
        Ok(value)
    }
}

/// A reader over a shared file at its own position.
struct Positional {
    file: std::sync::Arc<File>,
    at: u64,
}

impl Read for Positional {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let n = self.file.read_at(buf, self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// One record: its seq, the offset where it starts in the file, and the stored value.
pub struct Record {
    pub seq: u64,
    pub offset: u64,
    pub value: Vec<u8>,
}

pub struct Records {
    path: PathBuf,
    reader: BufReader<Positional>,
    at: u64,
    end: u64,
    next_seq: u64,
    last_seq: u64,
}

impl Records {
    fn corrupt(&self, detail: String) -> BackupError {
        BackupError::Corrupt { path: self.path.clone(), detail }
    }
}

impl Iterator for Records {
    type Item = Result<Record, BackupError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next_seq > self.last_seq {
            if self.at != self.end {
                self.next_seq = u64::MAX;
                return Some(Err(self.corrupt("bytes after the last record".into())));
            }
            return None;
        }
        let seq = self.next_seq;
        let mut word = [0u8; 4];
        let len = u64::from(match self.reader.read_exact(&mut word) {
            Ok(()) => u32::from_le_bytes(word),
            Err(_) => 0,
        });
        // A length that runs past the records (or over the codec limit) cannot be real.
        if len == 0 || len > codec::DECODE_LIMIT as u64 + 64 || self.at + 4 + len > self.end {
            self.next_seq = u64::MAX;
            return Some(Err(self.corrupt(format!("record {seq} has an impossible length"))));
        }
        let mut value = vec![0u8; len as usize];
        if let Err(e) = self.reader.read_exact(&mut value) {
            self.next_seq = u64::MAX;
            return Some(Err(BackupError::Io { path: self.path.clone(), source: e }));
        }
        let offset = self.at;
        self.at += 4 + len;
        self.next_seq += 1;
        Some(Ok(Record { seq, offset, value }))
    }
}
