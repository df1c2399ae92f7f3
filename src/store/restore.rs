//! Rebuilding a store from journal events (a backup): each event passes the same `apply` as
//! when it was first committed, so every projection is rebuilt exactly; the event itself is
//! stored byte for byte, so the hash chain continues unchanged.

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::keys::u64_key;
use super::stored::StoredEvent;
use super::tree::{JOURNAL, META, OPS};
use super::tx::{Abort, Head, OpRecord, TxResult, TxView, lift};
use super::{CommitError, SCHEMA_VERSION, Store, StoreError, meta};
use crate::domain::ledger::{ApplyError, apply};
use crate::domain::validate::StoredEventCheck;
use crate::domain::{Event, Origin, Rule};

impl Store {
    /// Appends `events` (stored bytes and decoded event, in seq order, continuing this store's
    /// journal) in one transaction, then flushes. For restoring into a fresh store only: the
    /// caller has checked the chain; a rule an event breaks here means the backup is bad.
    pub fn restore_events(&self, counter_id: &str, events: &[(Vec<u8>, Event)]) -> Result<(), CommitError> {
        let _gate = self.write_gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let result = self.trees.as_slice().transaction(|trees| {
            let mut view = TxView::new(trees);
            let head: Head = lift(view.get(META, meta::HEAD).map_err(ApplyError::Store))?.unwrap_or_default();
            if head.next_seq == 1 {
                lift(view.put(META, meta::SCHEMA, &SCHEMA_VERSION).map_err(ApplyError::Store))?;
                lift(view.put(META, meta::COUNTER_ID, &counter_id.to_string()).map_err(ApplyError::Store))?;
            }
            append_events(&mut view, head, events, None).map(drop)
        });
        match result {
            Ok(()) => {}
            Err(TransactionError::Abort(Abort::Rule(rule) | Abort::Refused { rule: Some(rule), .. })) => {
                return Err(rule.into());
            }
            Err(TransactionError::Abort(Abort::Refused { seq, rule: None })) => {
                return Err(Rule::UnknownEntry(seq).into());
            }
            Err(TransactionError::Abort(Abort::Codec(c))) => return Err(StoreError::Corrupt(c).into()),
            Err(TransactionError::Abort(Abort::Unwritable { seq, .. })) => {
                return Err(Rule::UnknownEntry(seq).into());
            }
            Err(TransactionError::Abort(Abort::Preview(_))) => {
                return Err(StoreError::Internal("a restore does not preview").into());
            }
            Err(TransactionError::Storage(e)) => return Err(StoreError::Sled(e).into()),
        }
        self.flush()?;
        let mut records = Vec::new();
        for (stored, _) in events {
            super::journal_copy::push_record(&mut records, stored);
        }
        let first = events.first().map_or(0, |(_, e)| e.seq());
        let mut copy = self.journal_copy.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        copy.append(first, &records, events.len() as u64);
        Ok(())
    }
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
        view.trees[JOURNAL.index].insert(&*view.key(&u64_key(seq)), stored.as_slice())?;
        head = Head { next_seq: seq + 1, last_hash: event.hash };
    }
    lift(view.write_back().map_err(ApplyError::Store))?;
    if let Some(list) = &sources {
        lift(view.put(META, meta::IMPORT_SOURCES, list).map_err(ApplyError::Store))?;
    }
    lift(view.put(META, meta::HEAD, &head).map_err(ApplyError::Store))?;
    Ok(head)
}
