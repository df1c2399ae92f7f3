//! Reading a damaged store's journal back for `hourbank recover`: the flat copy
//! (`journal.copy`, the store's journal) as far as its hash chain is unbroken; then, for a store
//! of the shape before (schema 1, which held the journal in sled too), whatever sled's
//! `journal` tree still holds past it, if sled opens at all and its events continue the same
//! chain. A commit is acknowledged once the copy holds it, so the copy holds every
//! acknowledged entry even when sled cannot open. What the copy lost (damaged in the middle,
//! cut) is not in the store at all: the last backup has it.

use std::fs::File;
use std::path::Path;

use super::keys::u64_key;
use super::stored::{StoredEvent, stored_hash};
use super::{StoreError, StoreLock, codec, guard_sled, journal_copy, sled_config, tree};
use crate::domain::Event;

/// The journal as recovered: every stored event in seq order from 1, chain-verified.
pub struct RecoveredJournal {
    pub records: Vec<Vec<u8>>,
    /// The counter id the journal was written under (from its first event).
    pub counter_id: String,
    /// How many came from the copy, and how many more from sled.
    pub from_copy: u64,
    pub from_sled: u64,
    /// Why sled could not be read, when it could not.
    pub sled_problem: Option<String>,
}

/// Reads the journal of the store at `dir`, whose lock the caller holds.
pub fn read_journal(dir: &Path, _lock: &StoreLock) -> Result<RecoveredJournal, StoreError> {
    let copy_path = dir.join(journal_copy::FILE_NAME);
    let mut records: Vec<Vec<u8>> = Vec::new();
    let mut prev = [0u8; 32];
    if let Ok(file) = File::open(&copy_path) {
        let chain = journal_copy::chain_from(&file, journal_copy::Chain::START, |_, value| {
            records.push(value.to_vec());
            true
        })
        .map_err(|_| StoreError::Io {
            path: copy_path.clone(),
            source: std::io::Error::other("unreadable"),
        })?;
        prev = chain.prev;
    }
    let from_copy = records.len() as u64;
    let mut sled_problem = None;
    let mut from_sled = 0;
    let sled_dir = dir.join("sled");
    if sled_dir.join("db").exists() {
        let read = guard_sled(dir, || {
            let db = sled_config(&sled_dir).open()?;
            let journal = db.open_tree(tree::JOURNAL.name)?;
            let mut more = Vec::new();
            let mut link = prev;
            // sled must hold the copy's last event as it is, or its later ones are another chain.
            if from_copy > 0 {
                match journal.get(u64_key(from_copy))? {
                    Some(v) if stored_hash(&v) == Some(prev) => {}
                    _ => return Ok(more),
                }
            }
            for item in journal.range(u64_key(from_copy + 1)..) {
                let (_, value) = item?;
                let Some(stored) = StoredEvent::split(&value).filter(|s| s.follows(&link)) else { break };
                link = stored.hash();
                more.push(value.to_vec());
            }
            Ok(more)
        });
        match read {
            Ok(more) => {
                from_sled = more.len() as u64;
                records.extend(more);
            }
            Err(e) => sled_problem = Some(e.to_string()),
        }
    } else {
        sled_problem = Some(format!("{} is missing", sled_dir.join("db").display()));
    }
    let first = records.first().ok_or_else(|| StoreError::Damaged {
        dir: dir.to_path_buf(),
        detail: "neither journal.copy nor sled holds a readable journal".into(),
    })?;
    let event: Event = codec::decode(tree::JOURNAL.name, &u64_key(1), first)?;
    Ok(RecoveredJournal { records, counter_id: event.body.counter, from_copy, from_sled, sled_problem })
}
