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

use super::keys::read_u64;
use super::{SCHEMA_VERSION, Store, StoreError, codec, tree};
use crate::domain::Timestamp;

pub const MAGIC: &[u8; 16] = b"HOURBANK-BACKUP\n";
pub const FORMAT_VERSION: u32 = 1;
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

/// Writes through to the file and hashes what it writes.
struct HashingWriter<W: Write> {
    inner: W,
    hasher: blake3::Hasher,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Where backup bytes go: straight to the file, or through age encryption.
enum Sink {
    Plain(BufWriter<File>),
    Age(age::stream::StreamWriter<BufWriter<File>>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Age(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Age(w) => w.flush(),
        }
    }
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

/// A decrypted copy of an encrypted backup, private to this process, removed when dropped.
pub struct Decrypted {
    pub path: PathBuf,
}

impl Drop for Decrypted {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Decrypts `path` with `identity` into a private file beside it.
pub fn decrypt(path: &Path, identity: &age::x25519::Identity) -> Result<Decrypted, BackupError> {
    let fail = |detail: String| BackupError::Encryption { path: path.to_path_buf(), detail };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let plain = Decrypted { path: dir.join(format!(".{name}.decrypted-{}", std::process::id())) };
    let input = BufReader::new(File::open(path).map_err(io(path))?);
    let decryptor = age::Decryptor::new_buffered(input).map_err(|e| fail(e.to_string()))?;
    let mut reader = decryptor
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .map_err(|e| fail(format!("{e} (is this the admin key the backup was made for?)")))?;
    let _ = std::fs::remove_file(&plain.path);
    let mut out = BufWriter::new(create_private(&plain.path).map_err(io(&plain.path))?);
    std::io::copy(&mut reader, &mut out).map_err(|e| fail(e.to_string()))?;
    out.flush().map_err(io(&plain.path))?;
    Ok(plain)
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

impl Store {
    /// The header of a backup taken now: head and counts read under the write gate, so they
    /// describe one moment even while the counter writes.
    fn backup_header(&self, created_at: Timestamp) -> Result<BackupHeader, StoreError> {
        let _gate = self.write_gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let head = self.head()?;
        let len = |t| self.tree(t).len() as u64;
        Ok(BackupHeader {
            schema: SCHEMA_VERSION,
            app_version: env!("CARGO_PKG_VERSION").to_string(),
            counter_id: self.counter_id()?.unwrap_or_default(),
            counter_name: self.counter_name()?.unwrap_or_default(),
            created_at,
            last_seq: head.next_seq.saturating_sub(1),
            last_hash: head.last_hash,
            counts: BackupCounts {
                events: head.next_seq.saturating_sub(1),
                volunteers: len(tree::VOLUNTEERS),
                activities: len(tree::ACTIVITIES),
                rewards: len(tree::REWARDS),
                staff: len(tree::STAFF),
            },
        })
    }

    /// Writes a backup of the journal as of now to `path` (which must not exist), encrypted
    /// to `recipients` when there are any.
    pub fn write_backup(&self, path: &Path, created_at: Timestamp) -> Result<BackupHeader, BackupError> {
        self.write_backup_for(path, created_at, &[])
    }

    pub fn write_backup_for(
        &self,
        path: &Path,
        created_at: Timestamp,
        recipients: &[age::x25519::Recipient],
    ) -> Result<BackupHeader, BackupError> {
        if path.exists() {
            return Err(BackupError::Exists(path.to_path_buf()));
        }
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let temp = dir.join(format!(".{name}.partial-{}", std::process::id()));
        let header = self.backup_header(created_at)?;
        let result = self.write_backup_to(&temp, &header, recipients).and_then(|()| {
            std::fs::rename(&temp, path).map_err(io(path))?;
            sync_dir(dir).map_err(io(dir))
        });
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result.map(|()| header)
    }

    fn write_backup_to(
        &self,
        temp: &Path,
        header: &BackupHeader,
        recipients: &[age::x25519::Recipient],
    ) -> Result<(), BackupError> {
        let file = create_private(temp).map_err(io(temp))?;
        let buffered = BufWriter::with_capacity(1 << 20, file);
        let sink: Sink = if recipients.is_empty() {
            Sink::Plain(buffered)
        } else {
            let encryptor =
                age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
                    .map_err(|e| BackupError::Encryption {
                        path: temp.to_path_buf(),
                        detail: e.to_string(),
                    })?;
            Sink::Age(encryptor.wrap_output(buffered).map_err(io(temp))?)
        };
        let mut out = HashingWriter { inner: sink, hasher: blake3::Hasher::new() };
        let head = codec::encode(header).map_err(StoreError::Corrupt)?;
        out.write_all(MAGIC).map_err(io(temp))?;
        out.write_all(&FORMAT_VERSION.to_le_bytes()).map_err(io(temp))?;
        out.write_all(&(head.len() as u32).to_le_bytes()).map_err(io(temp))?;
        out.write_all(&head).map_err(io(temp))?;
        // sled's page reads dominate a backup, so two threads read the two halves of the
        // journal at once; the first half streams to the file as it is read, the second is
        // held in memory (half the journal at most) until its turn.
        let last = header.last_seq;
        let mid = last / 2;
        std::thread::scope(|scope| -> Result<(), BackupError> {
            let (first_tx, first_rx) = std::sync::mpsc::sync_channel(8);
            let (second_tx, second_rx) = std::sync::mpsc::channel();
            scope.spawn(move || self.read_records(1, mid, |c| first_tx.send(c).is_ok()));
            scope.spawn(move || self.read_records(mid + 1, last, |c| second_tx.send(c).is_ok()));
            for chunk in first_rx.into_iter().chain(second_rx) {
                out.write_all(&chunk?).map_err(io(temp))?;
            }
            Ok(())
        })?;
        let sum = out.hasher.finalize();
        let mut inner = out.inner;
        inner.write_all(sum.as_bytes()).map_err(io(temp))?;
        let buffered = match inner {
            Sink::Plain(b) => b,
            Sink::Age(stream) => stream.finish().map_err(io(temp))?,
        };
        let file = buffered
            .into_inner()
            .map_err(|e| BackupError::Io { path: temp.to_path_buf(), source: e.into_error() })?;
        file.sync_all().map_err(io(temp))
    }
}

impl Store {
    /// Sends journal entries `from..=to` as backup records (length, stored value) in chunks of
    /// about 1 MiB; an error ends the stream.
    fn read_records(&self, from: u64, to: u64, send: impl Fn(Result<Vec<u8>, StoreError>) -> bool) {
        const CHUNK: usize = 1 << 20;
        if from > to {
            return;
        }
        let mut chunk = Vec::with_capacity(CHUNK + 4096);
        let mut expected = from;
        for item in self.tree(tree::JOURNAL).range(super::keys::u64_key(from)..=super::keys::u64_key(to)) {
            let (key, value) = match item {
                Ok(kv) => kv,
                Err(e) => {
                    send(Err(e.into()));
                    return;
                }
            };
            if read_u64(&key) != Some(expected) {
                send(Err(StoreError::Internal("the journal has a gap; run `hourbank check`")));
                return;
            }
            chunk.extend_from_slice(&(value.len() as u32).to_le_bytes());
            chunk.extend_from_slice(&value);
            expected += 1;
            if chunk.len() >= CHUNK
                && !send(Ok(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK + 4096))))
            {
                return;
            }
        }
        if expected != to + 1 {
            send(Err(StoreError::Internal("the journal ends before its head; run `hourbank check`")));
            return;
        }
        send(Ok(chunk));
    }
}

/// A backup file opened for reading: checksum verified, header decoded. Records are read by
/// [`BackupFile::records`].
pub struct BackupFile {
    path: PathBuf,
    pub header: BackupHeader,
    /// Offset of the first record.
    records_at: u64,
    /// Offset of the checksum (end of the records).
    records_end: u64,
}

impl BackupFile {
    pub fn open(path: &Path) -> Result<BackupFile, BackupError> {
        let corrupt = |detail: &str| BackupError::Corrupt { path: path.to_path_buf(), detail: detail.into() };
        let mut file = File::open(path).map_err(io(path))?;
        let len = file.metadata().map_err(io(path))?.len();
        let mut magic = [0u8; 16];
        if len < 16 + 8 + 32 || file.read_exact(&mut magic).is_err() || &magic != MAGIC {
            return Err(BackupError::NotABackup(path.to_path_buf()));
        }
        // The checksum first: nothing else is trusted before it matches.
        file.seek(SeekFrom::Start(0)).map_err(io(path))?;
        let mut hasher = blake3::Hasher::new();
        let mut body = (&mut file).take(len - 32);
        std::io::copy(&mut body, &mut hasher).map_err(io(path))?;
        let mut stored = [0u8; 32];
        file.read_exact(&mut stored).map_err(io(path))?;
        if hasher.finalize().as_bytes() != &stored {
            return Err(BackupError::Checksum(path.to_path_buf()));
        }
        file.seek(SeekFrom::Start(16)).map_err(io(path))?;
        let mut word = [0u8; 4];
        file.read_exact(&mut word).map_err(io(path))?;
        let format = u32::from_le_bytes(word);
        if format > FORMAT_VERSION {
            return Err(BackupError::NewerFormat { path: path.to_path_buf(), found: format });
        }
        file.read_exact(&mut word).map_err(io(path))?;
        let header_len = u32::from_le_bytes(word);
        if header_len > MAX_HEADER || u64::from(header_len) + 24 + 32 > len {
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
            header,
            records_at: 24 + u64::from(header_len),
            records_end: len - 32,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every record in order as (seq, stored journal value), exactly `header.last_seq` of them.
    pub fn records(&self) -> Result<Records, BackupError> {
        let mut file = File::open(&self.path).map_err(io(&self.path))?;
        file.seek(SeekFrom::Start(self.records_at)).map_err(io(&self.path))?;
        Ok(Records {
            path: self.path.clone(),
            reader: BufReader::with_capacity(1 << 20, file),
            at: self.records_at,
            end: self.records_end,
            next_seq: 1,
            last_seq: self.header.last_seq,
        })
    }

    /// Reads the record of one seq, given its offset (from an earlier pass over `records`).
    pub fn record_at(&self, offset: u64) -> Result<Vec<u8>, BackupError> {
        let mut file = File::open(&self.path).map_err(io(&self.path))?;
        file.seek(SeekFrom::Start(offset)).map_err(io(&self.path))?;
        let mut word = [0u8; 4];
        file.read_exact(&mut word).map_err(io(&self.path))?;
        let mut value = vec![0u8; (u32::from_le_bytes(word) as usize).min(codec::DECODE_LIMIT + 64)];
        file.read_exact(&mut value).map_err(io(&self.path))?;
        Ok(value)
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
    reader: BufReader<File>,
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
