//! Rebuilding a store from journal events (a backup): each event passes the same `apply` as
//! when it was first committed, so every projection is rebuilt exactly; the event itself is
//! stored byte for byte, so the hash chain continues unchanged.

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::tx::Abort;

use super::codec;
use super::journal_copy::CopyEnd;
use super::keys::u64_key;
use super::stored::StoredEvent;
use super::tree::{JOURNAL, META, OPS};
use super::tx::{Head, OpRecord, TxResult, TxView, lift};
use super::{CommitError, SCHEMA_VERSION, Store, StoreError, meta};
use crate::domain::ledger::{ApplyError, apply};
use crate::domain::validate::StoredEventCheck;
use crate::domain::{Event, Origin};

/// How many events a replay on open applies in one transaction.
const REPLAY_CHUNK: usize = 4096;

impl Store {
    /// Appends `events` (stored bytes and decoded event, in seq order, continuing this store's
    /// journal) in one transaction, which logs them to the journal copy before it commits;
    /// then flushes. For restoring into a fresh store, or a counter's own events fetched back
    /// from the city: the caller has checked the chain; a rule an event breaks here means the
    /// events are bad.
    pub fn restore_events(&self, counter_id: &str, events: &[(Vec<u8>, Event)]) -> Result<(), CommitError> {
        let mut gate = self.write_gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(reason) = gate.as_ref() {
            return Err(StoreError::Poisoned(reason.clone()).into());
        }
        let mut records = Vec::new();
        for (stored, _) in events {
            super::journal_copy::push_record(&mut records, stored);
        }
        let extent = self.journal_copy.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extent();
        let Some(extent) = extent else {
            return Err(StoreError::Internal("the store has no journal copy to log to").into());
        };
        let Some((_, last)) = events.last() else { return Ok(()) };
        let copy_end = CopyEnd { seq: last.seq(), offset: extent.len + records.len() as u64 };
        let log = Log { at: extent, records: &records };
        if let Err(e) = self.apply_journal(counter_id, events, copy_end, Some(log)) {
            return Err(self.refused(&mut gate, e, extent));
        }
        self.flush()?;
        Ok(())
    }

    /// Replays into sled the events `journal.copy` holds past sled's head (`values`, stored
    /// bytes in seq order, found by `JournalCopy::open`): commits acknowledged by the copy whose
    /// projections sled had not checkpointed when the process stopped. Each passes the same
    /// rules as when it was committed; then sled is flushed.
    pub(super) fn replay_ahead(&self, counter_id: &str, values: &[Vec<u8>]) -> Result<(), CommitError> {
        let mut gate = self.write_gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let extent = self.journal_copy.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extent();
        let Some(extent) = extent else {
            return Err(StoreError::Internal("replay without a journal copy").into());
        };
        let mut offset = extent.len - values.iter().map(|v| 4 + v.len() as u64).sum::<u64>();
        let mut seq = extent.last_seq - values.len() as u64;
        for chunk in values.chunks(REPLAY_CHUNK) {
            let mut events = Vec::with_capacity(chunk.len());
            for value in chunk {
                seq += 1;
                offset += 4 + value.len() as u64;
                let event: Event =
                    codec::decode(JOURNAL.name, &u64_key(seq), value).map_err(StoreError::Corrupt)?;
                events.push((value.clone(), event));
            }
            if let Err(e) = self.apply_journal(counter_id, &events, CopyEnd { seq, offset }, None) {
                return Err(self.refused(&mut gate, e, extent));
            }
        }
        self.flush()?;
        Ok(())
    }

    /// Applies `events` in one transaction (see `append_events`), recording `copy_end`, and
    /// logging them to the copy first when they are not in it yet (`log`).
    fn apply_journal(
        &self,
        counter_id: &str,
        events: &[(Vec<u8>, Event)],
        copy_end: CopyEnd,
        log: Option<Log<'_>>,
    ) -> Result<(), TransactionError<Abort>> {
        let reader = self.journal_copy.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).reader();
        self.trees.as_slice().transaction(|trees| {
            let mut view = TxView::new(trees).with_journal(reader.clone());
            let head: Head = lift(view.get(META, meta::HEAD).map_err(ApplyError::Store))?.unwrap_or_default();
            if head.next_seq == 1 {
                lift(view.put(META, meta::SCHEMA, &SCHEMA_VERSION).map_err(ApplyError::Store))?;
                lift(view.put(META, meta::COUNTER_ID, &counter_id.to_string()).map_err(ApplyError::Store))?;
            }
            append_events(&mut view, head, events, None)?;
            lift(view.put(META, meta::COPY_END, &copy_end).map_err(ApplyError::Store))?;
            if let Some(log) = &log {
                self.log_in_transaction(log.at, head.next_seq, log.records, events.len() as u64)?;
            }
            Ok(())
        })
    }
}

/// Events a transaction logs to the copy: their records, written at `at`.
struct Log<'a> {
    at: super::journal_copy::CopyExtent,
    records: &'a [u8],
}

/// Appends `events` after `head` inside a transaction, in the view's scope: each must carry the
/// next seq and link from the previous hash over its own bytes, and pass `apply`; each is
/// stored byte for byte, with its operation id and import source remembered as when it was
/// first committed. With `check`, each must also be an event a counter could have written
/// (another counter's, pulled: a backup's are checked before the restore begins). Returns the
/// new head, also written to the scope's `meta`.
pub(super) fn append_events(
    view: &mut TxView<'_>,
    mut head: Head,
    events: &[(Vec<u8>, Event)],
    mut check: Option<&mut StoredEventCheck>,
) -> TxResult<Head> {
    let mut sources: Option<Vec<String>> = None;
    for (stored, event) in events {
        let seq = event.seq();
        let linked = StoredEvent::split(stored).is_some_and(|s| s.follows(&head.last_hash));
        if seq != head.next_seq || !linked {
            return Err(ConflictableTransactionError::Abort(Abort::Refused { seq, rule: None }));
        }
        if let Some(check) = check.as_deref_mut() {
            check
                .check(event)
                .map_err(|why| ConflictableTransactionError::Abort(Abort::Unwritable { seq, why }))?;
        }
        match apply(view, event) {
            Ok(()) => {}
            Err(ApplyError::Rule(rule)) => {
                return Err(ConflictableTransactionError::Abort(Abort::Refused { seq, rule: Some(rule) }));
            }
            Err(e) => lift(Err(e))?,
        }
        match &event.body.origin {
            Origin::Direct => {}
            Origin::Op(tag) => {
                let record = OpRecord { digest: tag.digest, first_seq: seq, events: tag.events };
                lift(view.put(OPS, tag.id.as_bytes(), &record).map_err(ApplyError::Store))?;
            }
            Origin::Import(r) => {
                let list = match sources.as_mut() {
                    Some(list) => list,
                    None => sources.insert(
                        lift(view.get(META, meta::IMPORT_SOURCES).map_err(ApplyError::Store))?
                            .unwrap_or_default(),
                    ),
                };
                if !list.contains(&r.source) {
                    list.push(r.source.clone());
                }
            }
        }
        if view.is_own() {
            // This counter's journal is the copy: the caller logs the events to it.
            view.remember(event.clone());
        } else {
            view.trees[JOURNAL.index].insert(&*view.key(&u64_key(seq)), stored.as_slice())?;
        }
        head = Head { next_seq: seq + 1, last_hash: event.hash };
    }
    lift(view.write_back().map_err(ApplyError::Store))?;
    if let Some(list) = &sources {
        lift(view.put(META, meta::IMPORT_SOURCES, list).map_err(ApplyError::Store))?;
    }
    lift(view.put(META, meta::HEAD, &head).map_err(ApplyError::Store))?;
    Ok(head)
}
