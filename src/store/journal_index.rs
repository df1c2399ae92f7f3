//! `journal.idx`, beside `journal.copy`: where each record of the copy starts, eight bytes
//! (little-endian) a seq, so that an event is read by its seq with three positioned reads
//! instead of through sled's `journal` tree (ARCHITECTURE.md §10, step 2).
//!
//! The index is derived from the copy and never trusted on its own:
//! - it is written with every append and not synced; on open its last entry must point at the
//!   copy's last record, else it is rebuilt by walking the copy;
//! - a read checks the record lies inside the copy's extent and continues the hash chain from
//!   the record before it (which, with blake3, binds it to the journal), and the caller checks
//!   the decoded event carries the seq asked for. A record that fails any of these is damaged.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;
use std::sync::Arc;

use super::keys::u64_key;
use super::stored::{StoredEvent, is_value_len, stored_hash};
use super::{codec, tree};
use crate::domain::Event;

pub(super) const INDEX_NAME: &str = "journal.idx";

/// The index as the copy's writer keeps it.
pub(super) struct JournalIndex {
    file: File,
    /// The files as readers use them (their own descriptors).
    files: Arc<ReaderFiles>,
}

/// The copy and its index, opened for positioned reads.
pub(super) struct ReaderFiles {
    copy: File,
    index: File,
}

/// How much of the copy an index covers: records `1..=last_seq`, in bytes `0..len`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Covered {
    pub len: u64,
    pub last_seq: u64,
}

/// A reader of the copy as it stood at one moment: records `1..=extent.last_seq`.
#[derive(Clone)]
pub(super) struct JournalReader {
    files: Arc<ReaderFiles>,
    extent: Covered,
}

impl JournalIndex {
    /// Opens the index beside `copy_path` for the copy `copy` holding records
    /// `1..=extent.last_seq` in its first `extent.len` bytes: as found when its entry for the
    /// last record points at it, else rebuilt by walking the copy.
    pub(super) fn open(copy_path: &Path, copy: &File, extent: Covered) -> std::io::Result<JournalIndex> {
        let path = copy_path.with_file_name(INDEX_NAME);
        let file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).mode(0o600).open(path)?;
        let wanted = extent.last_seq * 8;
        let holds = file.metadata()?.len() >= wanted
            && (extent.last_seq == 0
                || entry(&file, extent.last_seq)
                    .and_then(|at| record_len(copy, at).map(|len| at + 4 + len))
                    .is_some_and(|end| end == extent.len));
        if holds {
            file.set_len(wanted)?;
        } else {
            rebuild(&file, copy, extent)?;
        }
        let files = Arc::new(ReaderFiles { copy: copy.try_clone()?, index: file.try_clone()? });
        Ok(JournalIndex { file, files })
    }

    /// Records where the records laid out in `records` (as `push_record` lays them out) start:
    /// the first is event `first_seq`, written at `first_offset` of the copy.
    pub(super) fn append(&self, first_seq: u64, first_offset: u64, records: &[u8]) -> std::io::Result<()> {
        let mut entries = Vec::with_capacity(records.len() / 16);
        let mut at = 0usize;
        while let Some(word) = records.get(at..at + 4) {
            entries.extend_from_slice(&(first_offset + at as u64).to_le_bytes());
            at += 4 + u32::from_le_bytes([word[0], word[1], word[2], word[3]]) as usize;
        }
        self.file.write_all_at(&entries, (first_seq - 1) * 8)
    }

    /// A reader of records `1..=extent.last_seq`.
    pub(super) fn reader(&self, extent: Covered) -> JournalReader {
        JournalReader { files: Arc::clone(&self.files), extent }
    }
}

impl JournalReader {
    /// The stored value of event `seq`, if the copy holds it whole and in its chain. Three
    /// positioned reads: the two entries, the record before it with this one's length (they
    /// lie side by side), this one's value.
    pub(super) fn value(&self, seq: u64) -> Option<Vec<u8>> {
        if seq == 0 || seq > self.extent.last_seq {
            return None;
        }
        if seq == 1 {
            let value = self.record(1)?;
            StoredEvent::split(&value).filter(|s| s.follows(&[0; 32]))?;
            return Some(value);
        }
        let mut entries = [0u8; 16];
        self.files.index.read_exact_at(&mut entries, (seq - 2) * 8).ok()?;
        let (before, at) = entries.split_at(8);
        let before = u64::from_le_bytes(before.try_into().ok()?);
        let at = u64::from_le_bytes(at.try_into().ok()?);
        let gap = at.checked_sub(before).filter(|g| g.checked_sub(4).is_some_and(is_value_len))?;
        let mut pair = vec![0u8; usize::try_from(gap + 4).ok()?];
        self.files.copy.read_exact_at(&mut pair, before).ok()?;
        let (prev, len) = pair.split_at(usize::try_from(gap).ok()?);
        if u64::from(u32::from_le_bytes(prev[..4].try_into().ok()?)) + 4 != gap {
            return None;
        }
        let prev_hash = stored_hash(&prev[4..])?;
        let len = u64::from(u32::from_le_bytes(len.try_into().ok()?));
        if !is_value_len(len) || at + 4 + len > self.extent.len {
            return None;
        }
        let mut value = vec![0u8; usize::try_from(len).ok()?];
        self.files.copy.read_exact_at(&mut value, at + 4).ok()?;
        StoredEvent::split(&value).filter(|s| s.follows(&prev_hash))?;
        Some(value)
    }

    /// The last event this reader covers.
    pub(super) fn last_seq(&self) -> u64 {
        self.extent.last_seq
    }

    /// Whether event `seq` is within what this reader covers.
    pub(super) fn holds(&self, seq: u64) -> bool {
        (1..=self.extent.last_seq).contains(&seq)
    }

    /// The records `1..=last_seq` as they lie in the copy, numbered by position, with no check
    /// but their framing: for `check` and certificates, which verify the chain themselves and
    /// say where it breaks.
    pub(super) fn raw(&self) -> std::io::Result<RawRecords> {
        let mut reader = BufReader::with_capacity(1 << 20, self.files.copy.try_clone()?);
        std::io::Seek::seek(&mut reader, std::io::SeekFrom::Start(0))?;
        Ok(RawRecords { reader, at: 0, seq: 0, extent: self.extent })
    }

    /// Event `seq`, if the copy holds it whole, in its chain and as that seq (a pair of
    /// entries shifted together chains as well: the seq inside the event settles it).
    pub(super) fn event(&self, seq: u64) -> Option<Event> {
        let value = self.value(seq)?;
        codec::decode::<Event>(tree::JOURNAL.name, &u64_key(seq), &value).ok().filter(|e| e.seq() == seq)
    }

    /// The stored values of events `from..` as far as the copy holds them whole and in one
    /// chain with the record before `from`, in order. The caller checks the first is `from`.
    pub(super) fn values_from(&self, from: u64) -> Option<Records> {
        let from = from.max(1);
        if from > self.extent.last_seq {
            return None;
        }
        let at = entry(&self.files.index, from)?;
        let prev = if from == 1 { [0; 32] } else { stored_hash(&self.record(from - 1)?)? };
        let end = self.extent.len;
        Records::new(self.files.copy.try_clone().ok()?, Chain { prev, records: from - 1, end: at }, end).ok()
    }

    fn record(&self, seq: u64) -> Option<Vec<u8>> {
        let at = entry(&self.files.index, seq)?;
        let len = record_len(&self.files.copy, at)?;
        if at + 4 + len > self.extent.len {
            return None;
        }
        let mut value = vec![0u8; usize::try_from(len).ok()?];
        self.files.copy.read_exact_at(&mut value, at + 4).ok()?;
        Some(value)
    }
}

/// Whether record `seq` of the copy at `copy_path` ends at byte `end`, stores `hash` and
/// continues the chain from the record before it, as the index beside the copy finds them: how
/// an open proves `COPY_END` without walking the copy.
pub(super) fn ends_at(copy_path: &Path, copy: &File, seq: u64, end: u64, hash: &[u8; 32]) -> bool {
    let (Ok(index), Ok(copy)) = (File::open(copy_path.with_file_name(INDEX_NAME)), copy.try_clone()) else {
        return false;
    };
    let reader = JournalReader {
        files: Arc::new(ReaderFiles { copy, index }),
        extent: Covered { len: end, last_seq: seq },
    };
    let starts = entry(&reader.files.index, seq);
    reader
        .value(seq)
        .is_some_and(|v| stored_hash(&v) == Some(*hash) && starts == Some(end - 4 - v.len() as u64))
}

/// `JournalReader::raw`: records in order, numbered by their position in the copy.
pub(super) struct RawRecords {
    reader: BufReader<File>,
    at: u64,
    seq: u64,
    extent: Covered,
}

/// A record of the copy that is not whole, or does not end where the copy's extent does.
#[derive(Debug)]
pub(super) struct Torn {
    pub seq: u64,
    pub at: u64,
}

impl Iterator for RawRecords {
    type Item = Result<(u64, Vec<u8>), Torn>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.extent.len && self.seq >= self.extent.last_seq {
            return None;
        }
        let torn = Torn { seq: self.seq + 1, at: self.at };
        // One error ends the walk.
        let stop = |this: &mut RawRecords| {
            this.at = this.extent.len;
            this.seq = this.extent.last_seq;
        };
        let mut word = [0u8; 4];
        if self.seq >= self.extent.last_seq
            || self.extent.len - self.at < 4
            || self.reader.read_exact(&mut word).is_err()
        {
            stop(self);
            return Some(Err(torn));
        }
        let len = u64::from(u32::from_le_bytes(word));
        let mut value = vec![0u8; usize::try_from(len).unwrap_or(0)];
        if !is_value_len(len)
            || self.at + 4 + len > self.extent.len
            || self.reader.read_exact(&mut value).is_err()
        {
            stop(self);
            return Some(Err(torn));
        }
        self.at += 4 + len;
        self.seq += 1;
        Some(Ok((self.seq, value)))
    }
}

/// What a read of record `seq` says when the copy holds it (it is within the extent) but it is
/// not whole, not in its chain or not that seq.
pub(super) fn damaged_record(seq: u64) -> codec::CodecError {
    codec::CodecError {
        tree: FILE_LABEL,
        key: format!("#{seq}"),
        detail: "the record is damaged: not whole, not in the hash chain, or another seq's".into(),
    }
}

/// How errors name the copy.
const FILE_LABEL: &str = "journal.copy";

/// The offset the index gives for `seq`.
fn entry(index: &File, seq: u64) -> Option<u64> {
    let mut word = [0u8; 8];
    index.read_exact_at(&mut word, (seq - 1) * 8).ok()?;
    Some(u64::from_le_bytes(word))
}

/// The length of the record at `at` of the copy, if it is one a record can have.
fn record_len(copy: &File, at: u64) -> Option<u64> {
    let mut word = [0u8; 4];
    copy.read_exact_at(&mut word, at).ok()?;
    let len = u64::from(u32::from_le_bytes(word));
    is_value_len(len).then_some(len)
}

/// Writes the index of the copy's records `1..=extent.last_seq` afresh, walking the copy.
fn rebuild(index: &File, copy: &File, extent: Covered) -> std::io::Result<()> {
    let mut reader = BufReader::with_capacity(1 << 20, copy.try_clone()?);
    std::io::Seek::seek(&mut reader, std::io::SeekFrom::Start(0))?;
    let mut out = BufWriter::with_capacity(1 << 16, index.try_clone()?);
    std::io::Seek::seek(&mut out, std::io::SeekFrom::Start(0))?;
    let mut at = 0u64;
    let mut skip = Vec::new();
    for _ in 0..extent.last_seq {
        let mut word = [0u8; 4];
        reader.read_exact(&mut word)?;
        out.write_all(&at.to_le_bytes())?;
        let len = u64::from(u32::from_le_bytes(word));
        skip.resize(usize::try_from(len).map_err(std::io::Error::other)?, 0);
        reader.read_exact(&mut skip)?;
        at += 4 + len;
    }
    if at != extent.len {
        return Err(std::io::Error::other("the copy's records do not end at its extent"));
    }
    out.flush()?;
    drop(out);
    index.set_len(extent.last_seq * 8)
}

/// The hash chain so far: the hash of the last record verified, how many there were, and the
/// byte offset where they end.
#[derive(Debug, Clone, Copy)]
pub(super) struct Chain {
    pub prev: [u8; 32],
    pub records: u64,
    pub end: u64,
}

impl Chain {
    /// Before the first record.
    pub const START: Chain = Chain { prev: [0; 32], records: 0, end: 0 };
}

/// The copy's records after a point of its chain, read in order up to a byte offset, each
/// checked to be whole and to continue the chain; the walk ends at the first that is not.
/// Every walk of the copy from a point goes through it (the open, `recover`, reads in order).
pub(super) struct Records {
    reader: BufReader<File>,
    chain: Chain,
    until: u64,
}

impl Records {
    pub(super) fn new(file: File, from: Chain, until: u64) -> std::io::Result<Records> {
        let mut reader = BufReader::with_capacity(1 << 20, file);
        std::io::Seek::seek(&mut reader, std::io::SeekFrom::Start(from.end))?;
        Ok(Records { reader, chain: from, until })
    }

    /// The chain up to the last record read.
    pub(super) fn walked(&self) -> Chain {
        self.chain
    }

    /// Reads the next record into `value` (its buffer reused) and returns its seq.
    pub(super) fn next_into(&mut self, value: &mut Vec<u8>) -> Option<u64> {
        let remaining = self.until.checked_sub(self.chain.end)?;
        let mut word = [0u8; 4];
        if remaining < 4 || self.reader.read_exact(&mut word).is_err() {
            self.until = self.chain.end;
            return None;
        }
        let len = u64::from(u32::from_le_bytes(word));
        if !is_value_len(len) || 4 + len > remaining {
            self.until = self.chain.end;
            return None;
        }
        value.resize(usize::try_from(len).ok()?, 0);
        let hash = match self.reader.read_exact(value) {
            Ok(()) => StoredEvent::split(value).filter(|s| s.follows(&self.chain.prev)).map(|s| s.hash()),
            Err(_) => None,
        };
        let Some(hash) = hash else {
            self.until = self.chain.end;
            return None;
        };
        self.chain = Chain { prev: hash, records: self.chain.records + 1, end: self.chain.end + 4 + len };
        Some(self.chain.records)
    }
}

impl Iterator for Records {
    type Item = (u64, Vec<u8>);

    fn next(&mut self) -> Option<(u64, Vec<u8>)> {
        let mut value = Vec::new();
        self.next_into(&mut value).map(|seq| (seq, value))
    }
}

/// The values of a chunk of whole records (as `journal_stream` cuts them), in order.
pub(super) fn record_values(chunk: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let len = u32::from_le_bytes(chunk.get(at..at + 4)?.try_into().ok()?) as usize;
        let value = chunk.get(at + 4..at + 4 + len)?;
        at += 4 + len;
        Some(value)
    })
}
