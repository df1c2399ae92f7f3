//! Writing a backup: the header read at one moment under the write gate, then the journal up to
//! that moment — streamed from the flat journal copy when it proves equal to sled, read from
//! sled otherwise — into a temporary file that is fsynced and renamed.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use super::{BackupCounts, BackupError, BackupHeader, FORMAT_VERSION, MAGIC, create_private, io, sync_dir};
use crate::domain::Timestamp;
use crate::store::journal_copy::{self, CopyExtent, CopyRefused};
use crate::store::keys::read_u64;
use crate::store::{Store, StoreError, codec, tree};

/// Writes through to the file and hashes what it writes.
struct HashingWriter<W: Write> {
    inner: W,
    hasher: blake3::Hasher,
    /// The bank's tag over the same bytes, keyed.
    tagger: Option<blake3::Hasher>,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        if let Some(t) = self.tagger.as_mut() {
            t.update(&buf[..n]);
        }
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The file, with the kernel asked to start writing it out every few megabytes while the
/// backup is still being produced (by a helper thread, so we never wait on it): the final fsync
/// then waits for the last few megabytes instead of the whole file, which was a third of a backup.
struct WriteBehind {
    file: File,
    unsynced: usize,
    poke: std::sync::mpsc::SyncSender<()>,
}

impl Write for WriteBehind {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.unsynced += n;
        if self.unsynced >= 8 << 20 {
            self.unsynced = 0;
            // Full means a sync is already under way and will cover these bytes too.
            let _ = self.poke.try_send(());
        }
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Where backup bytes go: straight to the file, or through age encryption.
enum Sink {
    Plain(BufWriter<WriteBehind>),
    Age(age::stream::StreamWriter<BufWriter<WriteBehind>>),
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

impl Store {
    /// The header of a backup taken now: head and counts read under the write gate, so they
    /// describe one moment even while the counter writes. The flat copy's extent is taken at the same moment (appends happen under the gate).
    fn backup_header(&self, created_at: Timestamp) -> Result<(BackupHeader, CopyExtent), StoreError> {
        let _gate = self.write_gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let head = self.head()?;
        let extent = self.journal_copy.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extent();
        let extent = extent.filter(|e| e.last_seq == head.next_seq.saturating_sub(1));
        let extent =
            extent.ok_or(StoreError::Internal("the journal copy does not end at the journal's head"))?;
        let len = |t| self.tree(t).len() as u64;
        let volunteers = self.count_in_halves(tree::VOLUNTEERS)?;
        let header = BackupHeader {
            schema: super::BACKUP_SCHEMA,
            app_version: env!("CARGO_PKG_VERSION").to_string(),
            counter_id: self.counter_id()?.unwrap_or_default(),
            counter_name: self.counter_name()?.unwrap_or_default(),
            created_at,
            last_seq: head.next_seq.saturating_sub(1),
            last_hash: head.last_hash,
            counts: BackupCounts {
                events: head.next_seq.saturating_sub(1),
                volunteers,
                activities: len(tree::ACTIVITIES),
                rewards: len(tree::REWARDS),
                staff: len(tree::STAFF),
            },
        };
        Ok((header, extent))
    }

    /// Counts a tree keyed by `u64` ids (sled's `len` walks every entry) with two threads, one
    /// for each half of the id range: this is most of the time the write gate is held.
    fn count_in_halves(&self, t: tree::TreeId) -> Result<u64, StoreError> {
        let tree = self.tree(t);
        let (Some((first, _)), Some((last, _))) = (tree.first()?, tree.last()?) else { return Ok(0) };
        let (Some(first), Some(last)) = (read_u64(&first), read_u64(&last)) else {
            return Ok(tree.len() as u64);
        };
        let mid = crate::store::keys::u64_key(first + (last - first) / 2);
        let (low, high) = std::thread::scope(|scope| {
            let low = scope.spawn(|| tree.range(..mid).count());
            let high = tree.range(mid..).count();
            (low.join(), high)
        });
        Ok((low.map_err(|_| StoreError::Internal("counting volunteers failed"))? + high) as u64)
    }

    /// Writes a backup of the journal as of now to `path` (which must not exist), encrypted
    /// to `recipients` when there are any.
    /// Tagged with `key` (the bank's backup key) when given; untagged (format 1) otherwise.
    pub fn write_backup(
        &self,
        path: &Path,
        created_at: Timestamp,
        key: Option<&[u8; 32]>,
    ) -> Result<BackupHeader, BackupError> {
        self.write_backup_for(path, created_at, &[], key)
    }

    pub fn write_backup_for(
        &self,
        path: &Path,
        created_at: Timestamp,
        recipients: &[age::x25519::Recipient],
        key: Option<&[u8; 32]>,
    ) -> Result<BackupHeader, BackupError> {
        if path.exists() {
            return Err(BackupError::Exists(path.to_path_buf()));
        }
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let temp = dir.join(format!(".{name}.partial-{}", std::process::id()));
        let (header, extent) = self.backup_header(created_at)?;
        let result = self.write_backup_to(&temp, &header, recipients, key, extent);
        let result = result.and_then(|body| {
            // The journal copy is the store's journal: one that does not verify has no second
            // source here (the last good backup is that).
            body.map_err(|_| StoreError::Damaged {
                dir: self.dir.clone(),
                detail: "journal.copy does not verify to the journal's head; no backup was written — \
                         run `hourbank check`"
                    .into(),
            })?;
            std::fs::rename(&temp, path).map_err(io(path))?;
            sync_dir(dir).map_err(io(dir))
        });
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result.map(|()| header)
    }

    /// Writes the whole file to `temp`, the journal streamed from the copy (the inner error:
    /// the copy was refused, `temp` is garbage).
    fn write_backup_to(
        &self,
        temp: &Path,
        header: &BackupHeader,
        recipients: &[age::x25519::Recipient],
        key: Option<&[u8; 32]>,
        extent: CopyExtent,
    ) -> Result<Result<(), CopyRefused>, BackupError> {
        let file = create_private(temp).map_err(io(temp))?;
        let syncer = file.try_clone().ok();
        std::thread::scope(|scope| {
            let (poke, pokes) = std::sync::mpsc::sync_channel::<()>(1);
            if let Some(syncer) = syncer {
                scope.spawn(move || {
                    for () in pokes {
                        let _ = syncer.sync_data();
                    }
                });
            }
            let writer = WriteBehind { file, unsynced: 0, poke };
            self.write_file(temp, writer, header, recipients, key, extent)
        })
    }

    fn write_file(
        &self,
        temp: &Path,
        writer: WriteBehind,
        header: &BackupHeader,
        recipients: &[age::x25519::Recipient],
        key: Option<&[u8; 32]>,
        extent: CopyExtent,
    ) -> Result<Result<(), CopyRefused>, BackupError> {
        let buffered = BufWriter::with_capacity(1 << 20, writer);
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
        let mut out = HashingWriter {
            inner: sink,
            hasher: blake3::Hasher::new(),
            tagger: key.map(blake3::Hasher::new_keyed),
        };
        let head = codec::encode(header).map_err(StoreError::Corrupt)?;
        out.write_all(MAGIC).map_err(io(temp))?;
        let format = if key.is_some() { FORMAT_VERSION } else { 1 };
        out.write_all(&format.to_le_bytes()).map_err(io(temp))?;
        out.write_all(&(head.len() as u32).to_le_bytes()).map_err(io(temp))?;
        out.write_all(&head).map_err(io(temp))?;
        let copy_path = self.dir.join(journal_copy::FILE_NAME);
        let mut write_error = None;
        let streamed =
            crate::store::journal_stream::stream_verified(&copy_path, extent, &header.last_hash, |chunk| {
                out.write_all(chunk).inspect_err(|e| {
                    write_error = Some(std::io::Error::new(e.kind(), e.to_string()));
                })
            });
        if let Some(e) = write_error {
            return Err(BackupError::Io { path: temp.to_path_buf(), source: e });
        }
        if let Err(refused) = streamed {
            return Ok(Err(refused));
        }
        let sum = out.hasher.finalize();
        let tag = out.tagger.map(|t| t.finalize());
        let mut inner = out.inner;
        inner.write_all(sum.as_bytes()).map_err(io(temp))?;
        if let Some(tag) = tag {
            inner.write_all(tag.as_bytes()).map_err(io(temp))?;
        }
        let buffered = match inner {
            Sink::Plain(b) => b,
            Sink::Age(stream) => stream.finish().map_err(io(temp))?,
        };
        let writer = buffered
            .into_inner()
            .map_err(|e| BackupError::Io { path: temp.to_path_buf(), source: e.into_error() })?;
        writer.file.sync_all().map_err(io(temp))?;
        Ok(Ok(()))
    }
}
