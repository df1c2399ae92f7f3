//! A second copy of the journal in one flat, append-only file (`<store>/journal.copy`), so that
//! a backup streams the journal at file speed instead of walking sled's pages one by one (which
//! made a backup 2.6–8× slower than copying the whole store directory).
//!
//! sled stays the truth and the copy is only ever trusted after it is proven equal to it:
//! - it is appended to after a commit is flushed, never before, so it can lag sled but never lead;
//! - it is not fsynced by itself: on open its tail is matched against sled's journal, a copy that
//!   lags is caught up from sled, and one whose tail matches nothing is rebuilt from sled;
//! - a backup taken from it re-computes the whole hash chain and requires the chain to end at the
//!   hash sled holds for the same seq, which, with blake3, proves every byte equal to sled's
//!   journal; on any mismatch the backup reads sled instead.
//!
//! Layout: one record per event, `u32` little-endian length then the journal value exactly as
//! stored, which is also how a backup file lays out its records.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::codec::DECODE_LIMIT;
use super::keys::u64_key;
use super::stored::{StoredEvent, stored_hash};

pub(super) const FILE_NAME: &str = "journal.copy";

/// How far behind sled the copy may be found on open and still be caught up rather than
/// rebuilt: more than any one commit appends (an import commits in batches far smaller).
const MAX_LAG: u64 = 100_000;

/// The copy as this process sees it. `file` is `None` once an append failed: from then on
/// backups read sled, and the next open repairs the copy.
pub(super) struct JournalCopy {
    path: PathBuf,
    file: Option<File>,
    len: u64,
    last_seq: u64,
}

/// The copy's extent at one moment: records `1..=last_seq` in bytes `0..len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct CopyExtent {
    pub len: u64,
    pub last_seq: u64,
}

/// Why the copy could not serve a backup; the backup then reads sled.
#[derive(Debug)]
pub(super) enum CopyRefused {
    /// The bytes are not sled's journal (torn, damaged, or changed under us).
    Mismatch,
    /// Reading or writing the copy failed.
    Io,
    /// The copy goes on past sled's journal, up to this seq, with an unbroken chain.
    Ahead(u64),
}

impl From<std::io::Error> for CopyRefused {
    fn from(_: std::io::Error) -> Self {
        CopyRefused::Io
    }
}

impl JournalCopy {
    /// Opens the copy beside the store and makes it hold exactly sled's journal `1..=last_seq`:
    /// as found, caught up, or rebuilt; a copy that cannot be made is disabled. The one refusal:
    /// a copy that is sled's journal and then more chain-valid events (`Err` with the copy's
    /// last seq) means sled lost acknowledged entries, and the copy is their only record: it is
    /// left untouched and the store must not be written.
    pub(super) fn open(dir: &Path, journal: &sled::Tree, last_seq: u64) -> Result<JournalCopy, u64> {
        let mut copy = JournalCopy::disabled(dir);
        match copy.reconcile(journal, last_seq) {
            Ok(()) => {}
            Err(CopyRefused::Ahead(copy_last)) => return Err(copy_last),
            // A backup still works without the copy, only slower: not worth refusing to open.
            Err(_) => copy.file = None,
        }
        Ok(copy)
    }

    /// A copy that is not used (until `open`).
    pub(super) fn disabled(dir: &Path) -> JournalCopy {
        JournalCopy { path: dir.join(FILE_NAME), file: None, len: 0, last_seq: 0 }
    }

    fn reconcile(&mut self, journal: &sled::Tree, last_seq: u64) -> Result<(), CopyRefused> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&self.path)?;
        let file_len = file.metadata()?.len();
        let matched = matching_tail(&file, file_len, journal, last_seq)?;
        let (from, len) = match matched {
            Some(found) => (found, file_len),
            None => {
                if let Some(copy_last) = ahead_of(&file, journal, last_seq)? {
                    return Err(CopyRefused::Ahead(copy_last));
                }
                file.set_len(0)?;
                (0, 0)
            }
        };
        self.file = Some(file);
        self.len = len;
        self.last_seq = from;
        if from < last_seq {
            let mut records = Vec::with_capacity(1 << 20);
            for item in journal.range(u64_key(from + 1)..=u64_key(last_seq)) {
                let (_, value) = item.map_err(|_| CopyRefused::Io)?;
                push_record(&mut records, &value);
                if records.len() >= 1 << 20 {
                    self.append_records(&records, 0)?;
                    records.clear();
                }
                self.last_seq += 1;
            }
            self.append_records(&records, 0)?;
            if self.last_seq != last_seq {
                // Sled's journal has a gap.
                return Err(CopyRefused::Mismatch);
            }
        }
        Ok(())
    }

    /// Appends records that `push_record` laid out, for `events` more events.
    fn append_records(&mut self, records: &[u8], events: u64) -> Result<(), CopyRefused> {
        // The copy is disabled.
        let file = self.file.as_ref().ok_or(CopyRefused::Mismatch)?;
        file.write_all_at(records, self.len)?;
        self.len += records.len() as u64;
        self.last_seq += events;
        Ok(())
    }

    /// Appends the records of events just flushed to sled, which must follow `last_seq`. A
    /// failure only disables the copy: the events are safe in sled.
    pub(super) fn append(&mut self, first_seq: u64, records: &[u8], events: u64) {
        if self.file.is_none() || events == 0 {
            return;
        }
        if first_seq != self.last_seq + 1 || self.append_records(records, events).is_err() {
            self.file = None;
        }
    }

    pub(super) fn extent(&self) -> Option<CopyExtent> {
        self.file.as_ref().map(|_| CopyExtent { len: self.len, last_seq: self.last_seq })
    }

    /// Empties and disables a copy found not to be sled's journal; the next open rebuilds it.
    pub(super) fn discard(&mut self) {
        if let Some(file) = self.file.take() {
            let _ = file.set_len(0);
        }
    }
}

/// Lays out one record: length, then the stored value.
pub(super) fn push_record(out: &mut Vec<u8>, value: &[u8]) {
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    out.extend_from_slice(value);
}

/// The seq of the event the copy's last record is, if the copy ends exactly with one of sled's
/// last `MAX_LAG` events preceded by the two events before it (one matching record could be a
/// stray copy of an event; three in order at the end of the file are the journal's tail);
/// `Some(0)` for an empty copy. `None`: rebuild.
fn matching_tail(
    file: &File,
    file_len: u64,
    journal: &sled::Tree,
    last_seq: u64,
) -> Result<Option<u64>, CopyRefused> {
    const IN_ORDER: u64 = 3;
    if file_len == 0 {
        return Ok(Some(0));
    }
    let lowest = last_seq.saturating_sub(MAX_LAG).max(1);
    let mut expected = Vec::new();
    let mut on_disk = Vec::new();
    for seq in (lowest..=last_seq).rev() {
        // Records `seq - IN_ORDER + 1 ..= seq` (fewer at the journal's start, where the file
        // must then be exactly them).
        let first = seq.saturating_sub(IN_ORDER - 1).max(1);
        expected.clear();
        for s in first..=seq {
            let Some(v) = journal.get(u64_key(s)).map_err(|_| CopyRefused::Io)? else { return Ok(None) };
            push_record(&mut expected, &v);
        }
        let Some(start) = file_len.checked_sub(expected.len() as u64) else { continue };
        if first == 1 && start != 0 {
            continue;
        }
        on_disk.resize(expected.len(), 0);
        file.read_exact_at(&mut on_disk, start)?;
        if on_disk == expected {
            return Ok(Some(seq));
        }
    }
    Ok(None)
}

/// If the copy starts with sled's journal `1..=last_seq` (its chain reaching the hash sled
/// holds for `last_seq`) and goes on with more records whose chain is unbroken, the seq of the
/// last of them. A torn or damaged tail after them does not count, and neither does a copy
/// whose chain differs from sled's at `last_seq`.
fn ahead_of(file: &File, journal: &sled::Tree, last_seq: u64) -> Result<Option<u64>, CopyRefused> {
    let sled_hash = match journal.get(u64_key(last_seq)).map_err(|_| CopyRefused::Io)? {
        Some(v) => match stored_hash(&v) {
            Some(hash) => Some(hash),
            None => return Ok(None),
        },
        None if last_seq == 0 => None,
        None => return Ok(None),
    };
    let chain = verified_prefix(file, |seq, value| seq != last_seq || sled_hash == stored_hash(value))?;
    Ok((chain.records > last_seq).then_some(chain.records))
}

/// Walks the records of `file` from the start while each is whole and continues the hash
/// chain, and `accept(seq, stored value)` agrees; returns the chain up to the last such record.
pub(super) fn verified_prefix(
    file: &File,
    mut accept: impl FnMut(u64, &[u8]) -> bool,
) -> Result<Chain, CopyRefused> {
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut chain = Chain { prev: [0; 32], records: 0 };
    let mut value = Vec::new();
    loop {
        let mut word = [0u8; 4];
        if reader.read_exact(&mut word).is_err() {
            break;
        }
        let len = u32::from_le_bytes(word) as usize;
        if !(33..=DECODE_LIMIT + 33).contains(&len) {
            break;
        }
        value.resize(len, 0);
        if reader.read_exact(&mut value).is_err() {
            break;
        }
        let Some(stored) = StoredEvent::split(&value).filter(|s| s.follows(&chain.prev)) else { break };
        let hash = stored.hash();
        if !accept(chain.records + 1, &value) {
            break;
        }
        chain.prev = hash;
        chain.records += 1;
    }
    Ok(chain)
}

/// Streams records `1..=extent.last_seq` from the copy into `out` in chunks of about 1 MiB of
/// whole records, while a second thread re-computes the hash chain of every record and checks
/// that it ends at `last_hash` (sled's hash of the last event). On an error the caller must
/// discard whatever `out` received.
pub(super) fn stream_verified(
    path: &Path,
    extent: CopyExtent,
    last_hash: &[u8; 32],
    out: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> Result<(), CopyRefused> {
    let file = File::open(path)?;
    if file.metadata()?.len() < extent.len {
        // The copy is shorter than recorded.
        return Err(CopyRefused::Mismatch);
    }
    std::thread::scope(|scope| {
        let (to_verify, chunks) = std::sync::mpsc::sync_channel::<Vec<u8>>(2);
        let (recycle, recycled) = std::sync::mpsc::channel::<Vec<u8>>();
        let verifier = scope.spawn(move || {
            let mut chain = Chain { prev: [0; 32], records: 0 };
            for chunk in chunks {
                chain.verify(&chunk)?;
                let _ = recycle.send(chunk);
            }
            Ok::<_, CopyRefused>(chain)
        });
        let fed = feed(file, extent.len, out, &to_verify, &recycled);
        drop(to_verify);
        // The verifier failed.
        let chain = verifier.join().unwrap_or(Err(CopyRefused::Mismatch))?;
        fed?;
        if chain.records != extent.last_seq || &chain.prev != last_hash {
            // The copy does not end at sled's head.
            return Err(CopyRefused::Mismatch);
        }
        Ok(())
    })
}

/// Reads `len` bytes of `file` in blocks, cuts them at record boundaries, hands each chunk of
/// whole records to `out` and then to the verifier. Stops early if the verifier has stopped.
fn feed(
    mut file: File,
    len: u64,
    mut out: impl FnMut(&[u8]) -> std::io::Result<()>,
    to_verify: &std::sync::mpsc::SyncSender<Vec<u8>>,
    recycled: &std::sync::mpsc::Receiver<Vec<u8>>,
) -> Result<(), CopyRefused> {
    const BLOCK: usize = 1 << 20;
    let mut remaining = len;
    let mut carry: Vec<u8> = Vec::new();
    while remaining > 0 {
        let mut chunk = recycled.try_recv().unwrap_or_else(|_| Vec::with_capacity(BLOCK + carry.len()));
        chunk.clear();
        chunk.extend_from_slice(&carry);
        let start = chunk.len();
        let n = usize::try_from(remaining.min(BLOCK as u64)).unwrap_or(BLOCK);
        chunk.resize(start + n, 0);
        file.read_exact(&mut chunk[start..])?;
        remaining -= n as u64;
        let whole = whole_records(&chunk)?;
        if remaining == 0 && whole != chunk.len() {
            // The copy ends inside a record.
            return Err(CopyRefused::Mismatch);
        }
        carry.clear();
        carry.extend_from_slice(&chunk[whole..]);
        chunk.truncate(whole);
        if chunk.is_empty() {
            continue; // one record longer than a block: read on
        }
        out(&chunk)?;
        if to_verify.send(chunk).is_err() {
            break; // the verifier found a mismatch and will say which
        }
    }
    Ok(())
}

/// The length of the longest prefix of `bytes` made of whole records.
fn whole_records(bytes: &[u8]) -> Result<usize, CopyRefused> {
    let mut at = 0;
    while let Some(len) = bytes.get(at..at + 4) {
        let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
        if !(33..=DECODE_LIMIT + 33).contains(&len) {
            // A record length is out of range.
            return Err(CopyRefused::Mismatch);
        }
        if at + 4 + len > bytes.len() {
            break;
        }
        at += 4 + len;
    }
    Ok(at)
}

/// The hash chain so far: the hash of the last record verified, and how many there were.
pub(super) struct Chain {
    pub prev: [u8; 32],
    pub records: u64,
}

impl Chain {
    /// Checks every record of a chunk of whole records: each stored hash must be the link of
    /// the previous hash and the record's body (as `stored::encode_event` made it).
    fn verify(&mut self, chunk: &[u8]) -> Result<(), CopyRefused> {
        for value in record_values(chunk) {
            // The hash chain breaks (or the record is not in the current layout).
            let Some(stored) = StoredEvent::split(value).filter(|s| s.follows(&self.prev)) else {
                return Err(CopyRefused::Mismatch);
            };
            self.prev = stored.hash();
            self.records += 1;
        }
        Ok(())
    }
}

/// The values of a chunk of whole records (as `whole_records` cut it), in order.
pub(super) fn record_values(chunk: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let len = u32::from_le_bytes(chunk.get(at..at + 4)?.try_into().ok()?) as usize;
        let value = chunk.get(at + 4..at + 4 + len)?;
        at += 4 + len;
        Some(value)
    })
}
