//! The journal as one flat, append-only file (`<store>/journal.copy`): the store's log and,
//! since schema 2, its only copy of this counter's journal (ARCHITECTURE.md §10).
//!
//! A commit is acknowledged once its records are written here and `fdatasync`ed — one write
//! and one sync, as SQLite's WAL makes — which happens inside its sled transaction, before sled
//! commits it: a commit the copy cannot take is not committed at all. sled holds the
//! projections behind it: each commit's transaction carries `meta::COPY_END`, the seq and copy
//! offset it reflects, and sled is flushed only at checkpoints (every `CHECKPOINT_EVENTS`
//! events, and when the store closes). So after a kill sled may be behind the copy, never
//! ahead of it, and on open:
//! - the copy is found to hold sled's head (`COPY_END` says where, proven through the index
//!   and the chain; else the chain is walked from the start);
//! - the whole records after that point, chained from sled's last hash, are returned to be
//!   replayed into sled through the same rules (`Store::open`); a torn record at the end was
//!   never acknowledged (its sync never returned) and is cut, its bytes kept beside the copy;
//! - a copy that does not hold sled's head (damaged, replaced, put back) is refused: sled has no
//!   second journal to take it from, and `recover` or a backup must.
//!
//! A store of the shape before (schema 1) also holds the journal in sled: there a copy behind
//! sled is caught up from it, and one that is not this journal rebuilt from it, before the
//! store is upgraded (`store::upgrade`).
//!
//! A backup taken from the copy re-computes the whole hash chain and requires it to end at the
//! hash sled holds for the same seq.
//!
//! Layout: one record per event, `u32` little-endian length then the journal value exactly as
//! stored, which is also how a backup file lays out its records; then, up to the file's end,
//! zeros: room written ahead by `log` (a record never starts with a zero length).

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub(super) use super::journal_index::Chain;
use super::journal_index::{Covered, JournalIndex, JournalReader, Records, record_values};
use super::keys::u64_key;
use super::stored::stored_hash;

pub(super) const FILE_NAME: &str = "journal.copy";

/// Where the bytes cut from the copy's end on open are kept (a torn append; the last cut only).
pub(super) const CUT_NAME: &str = "journal.copy.cut";

/// The room `log` writes ahead of the copy's end, in zeros, at a time.
/// 64 KiB: about 500 commits of one entry; the commit that writes it pays one sync that
/// records a new size, as every commit did before.
const ROOM: u64 = 1 << 16;

/// How far behind sled the copy may be found on open and still be caught up rather than
/// rebuilt: more than any one commit appends (an import commits in batches far smaller).
const MAX_LAG: u64 = 100_000;

/// What a commit's transaction records in `meta::COPY_END`: the copy holds records
/// `1..=seq` in its first `offset` bytes once the commit's append is done. Only a hint, always
/// checked: the copy's record ending at `offset` must be sled's event `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyEnd {
    pub seq: u64,
    pub offset: u64,
}

/// The copy as this process sees it. `file` is `None` once an append failed: from then on
/// backups read sled, commits are made durable by flushing sled, and the next open repairs
/// the copy.
pub(super) struct JournalCopy {
    path: PathBuf,
    file: Option<File>,
    len: u64,
    last_seq: u64,
    /// The file's length: `len` and, past it, zeros written ahead for the next appends.
    allocated: u64,
    /// Where each record starts (`journal.idx`); `None` when it could not be kept, and then
    /// events are read from sled.
    index: Option<JournalIndex>,
}

/// The copy's extent at one moment: records `1..=last_seq` in bytes `0..len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct CopyExtent {
    pub len: u64,
    pub last_seq: u64,
}

impl From<CopyExtent> for Covered {
    fn from(e: CopyExtent) -> Covered {
        Covered { len: e.len, last_seq: e.last_seq }
    }
}

/// Why the copy could not serve a backup; the backup then reads sled.
#[derive(Debug)]
pub(super) enum CopyRefused {
    /// The bytes are not sled's journal (torn, damaged, or changed under us).
    Mismatch,
    /// Reading or writing the copy failed.
    Io,
}

/// Why the copy could not be opened as the store's journal.
#[derive(Debug)]
pub(super) enum OpenRefused {
    Io(std::io::Error),
    /// The copy holds the journal only up to `copy_last` (or is not this journal: 0 or the
    /// last record it shares with it), where sled's projections reflect `sled_last`.
    Behind {
        copy_last: u64,
        sled_last: u64,
    },
}

impl From<std::io::Error> for OpenRefused {
    fn from(e: std::io::Error) -> Self {
        OpenRefused::Io(e)
    }
}

impl From<CopyRefused> for OpenRefused {
    fn from(e: CopyRefused) -> Self {
        OpenRefused::Io(std::io::Error::other(match e {
            CopyRefused::Mismatch => "the journal copy does not match",
            CopyRefused::Io => "the journal copy could not be read",
        }))
    }
}

/// Why a commit's records could not be logged.
#[derive(Debug)]
pub(super) enum LogFailed {
    /// The write failed and the copy was cut back to where it was: nothing of it remains.
    Refused(String),
    /// The sync (or the cut after a failed write) failed: what the disk holds is unknown.
    Unknown(String),
}

impl From<std::io::Error> for CopyRefused {
    fn from(_: std::io::Error) -> Self {
        CopyRefused::Io
    }
}

/// sled's end as found on open: its last seq and hash, and what its last commit said of the copy.
#[derive(Debug, Clone, Copy)]
pub(super) struct SledEnd {
    pub last_seq: u64,
    pub last_hash: [u8; 32],
    pub copy_end: Option<CopyEnd>,
}

impl JournalCopy {
    /// Opens the copy beside the store and makes it hold sled's journal `1..=last_seq` and
    /// whatever acknowledged records follow it. Returns the stored values of the records after
    /// sled's head, in order, which the caller must replay into sled.
    ///
    /// `sled_journal` is sled's own `journal` tree on a store of the shape before (schema 1):
    /// then a copy behind sled is caught up from it, and one that is not this journal rebuilt
    /// from it. On today's shape the copy is the only journal, and a copy that does not hold
    /// sled's head is refused.
    pub(super) fn open(
        dir: &Path,
        sled_journal: Option<&sled::Tree>,
        sled: SledEnd,
    ) -> Result<(JournalCopy, Vec<Vec<u8>>), OpenRefused> {
        let mut copy = JournalCopy::disabled(dir);
        let ahead = copy.reconcile(sled_journal, sled)?;
        let (Some(file), Some(extent)) = (&copy.file, copy.extent()) else {
            return Err(OpenRefused::Io(std::io::Error::other("the journal copy did not open")));
        };
        copy.index = Some(JournalIndex::open(&copy.path, file, extent.into()).map_err(OpenRefused::Io)?);
        Ok((copy, ahead))
    }

    /// A copy that is not used (until `open`).
    pub(super) fn disabled(dir: &Path) -> JournalCopy {
        JournalCopy { path: dir.join(FILE_NAME), file: None, len: 0, last_seq: 0, allocated: 0, index: None }
    }

    fn reconcile(
        &mut self,
        sled_journal: Option<&sled::Tree>,
        sled: SledEnd,
    ) -> Result<Vec<Vec<u8>>, OpenRefused> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&self.path)
            .map_err(OpenRefused::Io)?;
        let file_len = file.metadata().map_err(OpenRefused::Io)?.len();
        let found = match sled_journal {
            Some(journal) => locate_in_sled(&file, file_len, journal, sled)?,
            None => self.locate(&file, file_len, sled)?,
        };
        let from = match found {
            Found::At(at) => {
                // The copy is sled's journal up to sled's head; the whole records that follow
                // it, continuing its chain, are replayed.
                let mut ahead = Vec::new();
                let start = Chain { prev: sled.last_hash, records: sled.last_seq, end: at };
                let chain = chain_from(&file, start, |_, value| {
                    ahead.push(value.to_vec());
                    true
                })?;
                self.allocated = file_len;
                if chain.end < file_len && self.cut(&file, chain.end, file_len)? {
                    self.allocated = chain.end;
                }
                self.file = Some(file);
                self.len = chain.end;
                self.last_seq = chain.records;
                return Ok(ahead);
            }
            Found::Behind(seq) => seq,
            Found::Foreign => {
                // Not this journal: rebuilt from sled, whose files are synced first so that the
                // copy is never the only record of what it held.
                sync_sled_files(&self.path)?;
                file.set_len(0)?;
                0
            }
        };
        let Some(journal) = sled_journal else {
            // Only the shape before has a second journal to catch up from.
            return Err(OpenRefused::Behind { copy_last: from, sled_last: sled.last_seq });
        };
        self.file = Some(file);
        self.len = if from == 0 { 0 } else { file_len };
        self.allocated = self.len;
        self.last_seq = from;
        if from < sled.last_seq {
            let mut records = Vec::with_capacity(1 << 20);
            for item in journal.range(u64_key(from + 1)..=u64_key(sled.last_seq)) {
                let (_, value) = item.map_err(|e| OpenRefused::Io(std::io::Error::other(e)))?;
                push_record(&mut records, &value);
                if records.len() >= 1 << 20 {
                    self.append_records(&records, 0)?;
                    records.clear();
                }
                self.last_seq += 1;
            }
            self.append_records(&records, 0)?;
            if self.last_seq != sled.last_seq {
                return Err(OpenRefused::Io(std::io::Error::other("sled's journal has a gap")));
            }
            self.sync()?;
        }
        Ok(Vec::new())
    }

    /// Where the copy meets sled's head on today's shape, where the copy is the only journal:
    /// where `COPY_END` says, when the copy's index proves the record ending there is event
    /// `last_seq` in its chain with sled's last hash; else by walking the chain from the start.
    fn locate(&self, file: &File, file_len: u64, sled: SledEnd) -> Result<Found, OpenRefused> {
        if sled.last_seq == 0 {
            return Ok(Found::At(0));
        }
        if let Some(hint) = sled.copy_end.filter(|h| h.seq == sled.last_seq && h.offset <= file_len)
            && super::journal_index::ends_at(&self.path, file, sled.last_seq, hint.offset, &sled.last_hash)
        {
            return Ok(Found::At(hint.offset));
        }
        let chain = chain_from(file, Chain::START, |seq, value| {
            seq < sled.last_seq || (seq == sled.last_seq && stored_hash(value) == Some(sled.last_hash))
        })?;
        Ok(if chain.records == sled.last_seq { Found::At(chain.end) } else { Found::Behind(chain.records) })
    }

    /// Cuts the copy at `at`, keeping the bytes cut in `CUT_NAME` beside it, unless every byte
    /// past `at` is zero: that is the room `log` wrote ahead (no record starts with a zero
    /// length), kept as it is. Returns whether it cut.
    fn cut(&self, file: &File, at: u64, file_len: u64) -> std::io::Result<bool> {
        let mut cut = vec![0u8; usize::try_from(file_len - at).map_err(std::io::Error::other)?];
        file.read_exact_at(&mut cut, at)?;
        if cut.iter().all(|b| *b == 0) {
            return Ok(false);
        }
        let aside = self.path.with_file_name(CUT_NAME);
        let mut out = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&aside)?;
        std::io::Write::write_all(&mut out, &cut)?;
        out.sync_all()?;
        file.set_len(at)?;
        file.sync_data()?;
        Ok(true)
    }

    /// Appends records that `push_record` laid out, for `events` more events, and where they
    /// start to the index (when it is open): both or neither is an error.
    fn append_records(&mut self, records: &[u8], events: u64) -> std::io::Result<()> {
        let file = self.file.as_ref().ok_or_else(|| std::io::Error::other("the journal copy is not open"))?;
        file.write_all_at(records, self.len)?;
        let (first_seq, offset) = (self.last_seq + 1, self.len);
        if events > 0
            && let Some(index) = &self.index
        {
            index.append(first_seq, offset, records)?;
        }
        self.len += records.len() as u64;
        self.last_seq += events;
        Ok(())
    }

    fn sync(&self) -> std::io::Result<()> {
        self.file.as_ref().ok_or_else(|| std::io::Error::other("the journal copy is not open"))?.sync_data()
    }

    /// Logs the records of events `first_seq..` (as `push_record` lays them out) at `at`, the
    /// copy's extent when the caller's transaction began, and syncs them: once this returns
    /// `Ok` they are durable, which is what acknowledges a commit. Written at `at` whatever the
    /// copy holds past it, so a transaction that runs again writes the same bytes in the same
    /// place. On a failed write the copy is cut back to `at`.
    pub(super) fn log(
        &mut self,
        at: CopyExtent,
        first_seq: u64,
        records: &[u8],
        events: u64,
    ) -> Result<(), LogFailed> {
        let Some(file) = self.file.as_ref() else {
            return Err(LogFailed::Refused("the journal copy is not open".into()));
        };
        if first_seq != at.last_seq + 1 {
            return Err(LogFailed::Refused(format!(
                "event #{first_seq} does not follow the journal copy's #{}",
                at.last_seq
            )));
        }
        (self.len, self.last_seq) = (at.len, at.last_seq);
        let end = at.len + records.len() as u64;
        if end > self.allocated {
            // Room written ahead (zeros), so that the appends until it is used overwrite blocks
            // the file already has: their `fdatasync` then has no size or extent to record,
            // as SQLite's WAL once it wraps. A failure here only means no room ahead.
            let room = end.div_ceil(ROOM) * ROOM + ROOM;
            let zeros = vec![0u8; usize::try_from(room - end).unwrap_or(0)];
            self.allocated = match file.write_all_at(&zeros, end) {
                Ok(()) => room,
                Err(_) => end,
            };
        }
        if let Err(e) = self.append_records(records, events) {
            // A torn record left behind would be cut at the next open anyway; cut it now.
            return match self.cut_back(at) {
                Ok(()) => Err(LogFailed::Refused(e.to_string())),
                Err(cut) => Err(LogFailed::Unknown(format!("{e}; then {cut}"))),
            };
        }
        if let Err(e) = self.sync() {
            // Linux may have dropped the pages it failed to write: nothing more is written. The
            // records are cut if the disk lets us, so a restart does not replay a commit that
            // was refused; if it does not, they may come back (the error said so).
            let _ = self.cut_back(at);
            return Err(LogFailed::Unknown(e.to_string()));
        }
        Ok(())
    }

    /// Cuts the copy back to `at` and syncs it: what a transaction logged and then could not
    /// keep (its write or sync failed, or sled failed to commit) was never acknowledged, and
    /// must not be replayed at the next open. The copy counts itself at `at` whatever the disk
    /// says; the caller has refused the commit.
    pub(super) fn cut_back(&mut self, at: CopyExtent) -> std::io::Result<()> {
        (self.len, self.last_seq, self.allocated) = (at.len, at.last_seq, at.len);
        let file = self.file.as_ref().ok_or_else(|| std::io::Error::other("the journal copy is not open"))?;
        file.set_len(at.len)?;
        file.sync_data()
    }

    pub(super) fn extent(&self) -> Option<CopyExtent> {
        self.file.as_ref().map(|_| CopyExtent { len: self.len, last_seq: self.last_seq })
    }

    /// Replaces record `seq` with `value`, or removes it (tests of tampering only); the index
    /// made again.
    pub(super) fn replace(&mut self, seq: u64, value: Option<&[u8]>) -> std::io::Result<()> {
        let Some(file) = &self.file else { return Ok(()) };
        let mut bytes = vec![0u8; usize::try_from(self.len).map_err(std::io::Error::other)?];
        file.read_exact_at(&mut bytes, 0)?;
        let mut out = Vec::with_capacity(bytes.len() + value.map_or(0, <[u8]>::len));
        let mut records = 0;
        for (at, record) in record_values(&bytes).enumerate() {
            match (at as u64 + 1 == seq, value) {
                (false, _) => push_record(&mut out, record),
                (true, Some(value)) => push_record(&mut out, value),
                (true, None) => continue,
            }
            records += 1;
        }
        file.write_all_at(&out, 0)?;
        file.set_len(out.len() as u64)?;
        (self.len, self.last_seq, self.allocated) = (out.len() as u64, records, out.len() as u64);
        self.index =
            Some(JournalIndex::open(&self.path, file, Covered { len: self.len, last_seq: records })?);
        Ok(())
    }

    /// A reader of the events the copy holds now, by seq (through `journal.idx`).
    pub(super) fn reader(&self) -> Option<JournalReader> {
        Some(self.index.as_ref()?.reader(self.extent()?.into()))
    }
}

/// Syncs sled's files beside the copy at `copy_path` (`<store>/sled/…`): what sled recovered on
/// open may sit in the OS's cache only, written before a kill.
fn sync_sled_files(copy_path: &Path) -> std::io::Result<()> {
    let sled_dir = copy_path.with_file_name("sled");
    for entry in std::fs::read_dir(&sled_dir)?.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            File::open(entry.path())?.sync_all()?;
        }
    }
    File::open(&sled_dir)?.sync_all()
}

/// Lays out one record: length, then the stored value.
pub(super) fn push_record(out: &mut Vec<u8>, value: &[u8]) {
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    out.extend_from_slice(value);
}

/// Where the copy stands against sled's journal `1..=last_seq`.
enum Found {
    /// The copy holds exactly sled's journal in its first bytes up to this offset, and may go
    /// on from there.
    At(u64),
    /// The copy is sled's journal up to this seq (0: empty) and ends there.
    Behind(u64),
    /// The copy is not this journal.
    Foreign,
}

/// Finds where the copy meets sled's head on the shape before, where sled holds the journal
/// too: where `COPY_END` says, when the record ending there is sled's last event; else by the
/// copy's tail (a copy that ends at or before sled's head); else, for a copy that goes on past
/// it, by walking its chain from the start.
fn locate_in_sled(
    file: &File,
    file_len: u64,
    journal: &sled::Tree,
    sled: SledEnd,
) -> Result<Found, CopyRefused> {
    if sled.last_seq == 0 {
        return Ok(Found::At(0));
    }
    if let Some(hint) = sled.copy_end.filter(|h| h.seq == sled.last_seq && h.offset <= file_len) {
        let last =
            journal.get(u64_key(sled.last_seq)).map_err(|_| CopyRefused::Io)?.ok_or(CopyRefused::Mismatch)?;
        let mut expected = Vec::with_capacity(last.len() + 4);
        push_record(&mut expected, &last);
        if let Some(start) = hint.offset.checked_sub(expected.len() as u64) {
            let mut on_disk = vec![0u8; expected.len()];
            file.read_exact_at(&mut on_disk, start)?;
            if on_disk == expected {
                return Ok(Found::At(hint.offset));
            }
        }
    }
    // An older store's copy (no `COPY_END`), or the hint did not hold.
    if let Some(seq) = matching_tail(file, file_len, journal, sled.last_seq)? {
        return Ok(if seq == sled.last_seq { Found::At(file_len) } else { Found::Behind(seq) });
    }
    let chain = chain_from(file, Chain::START, |seq, value| {
        seq < sled.last_seq || (seq == sled.last_seq && stored_hash(value) == Some(sled.last_hash))
    })?;
    Ok(if chain.records == sled.last_seq { Found::At(chain.end) } else { Found::Foreign })
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

/// Walks the records of `file` from `start` (its end, seq and hash) while each is whole and
/// continues the hash chain, and `accept(seq, stored value)` agrees; returns the chain up to
/// the last such record.
pub(super) fn chain_from(
    file: &File,
    start: Chain,
    mut accept: impl FnMut(u64, &[u8]) -> bool,
) -> Result<Chain, CopyRefused> {
    let mut records = Records::new(file.try_clone()?, start, file.metadata()?.len())?;
    let mut chain = start;
    let mut value = Vec::new();
    while let Some(seq) = records.next_into(&mut value) {
        if !accept(seq, &value) {
            break;
        }
        chain = records.walked();
    }
    Ok(chain)
}
