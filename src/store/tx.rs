//! The commit path: one sled transaction over every tree, in which the ledger rules run
//! (`domain::ledger::apply`) and the events are chained and appended; then a flush.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::Ordering;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{
    ConflictableTransactionError, TransactionError, TransactionalTree, UnabortableTransactionError,
};

use super::codec::{self, CodecError};
use super::journal_copy::{self, CopyEnd, CopyExtent, LogFailed};
use super::journal_index::JournalReader;
use super::keys::{
    COUNTED, HELD, OPEN_SHIFT, RETIRED_ACTIVITY, SHIFT, day_total_key, grant_key, name_key, tagged_key,
    u64_key,
};
use super::records::AccountRecord;
use super::stored::encode_event;
use super::{CHECKPOINT_EVENTS, SCHEMA_VERSION, Store, StoreError, meta};
use crate::domain::ledger::{ApplyError, LedgerStore, NameKind, Rule, apply};
use crate::domain::{
    Account, Activity, Actor, CardNo, Day, DonationPool, Event, EventBody, EventKind, ImportRef, OpTag,
    Origin, Reward, Rules, Settings, Shift, Staff, StaffId, Timestamp, Volunteer,
};

use super::tree::{
    ACCOUNTS, ACTIVITIES, CARD_INDEX, LIMITS, META, NAMES, OPS, REVERSED, REWARDS, SHIFTS, STAFF, STOCK,
    TreeId, VOLUNTEERS,
};

mod ledger_view;

/// What an operation id committed, so a retry can be answered without applying anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpRecord {
    pub digest: [u8; 16],
    pub first_seq: u64,
    pub events: u32,
}

/// The end of the journal: the seq the next event gets and the hash it chains to. One record,
/// so a commit reads and writes it once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub next_seq: u64,
    pub last_hash: [u8; 32],
}

impl Default for Head {
    fn default() -> Self {
        Head { next_seq: 1, last_hash: [0; 32] }
    }
}

/// An event the bank wants to append; seq, time, hash and actor are filled in by `commit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub kind: EventKind,
    pub import: Option<ImportRef>,
}

impl From<EventKind> for Pending {
    fn from(kind: EventKind) -> Self {
        Pending { kind, import: None }
    }
}

/// The result of a commit: the events, and whether they were committed earlier under the same
/// operation id (in which case nothing was applied now).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub events: Vec<Event>,
    pub replayed: bool,
}

impl Committed {
    /// Seq of the first event committed (0 if none were).
    pub fn first_seq(&self) -> u64 {
        self.events.first().map_or(0, Event::seq)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error(transparent)]
    Rule(#[from] Rule),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A failure inside the transaction that is not a business rule.
#[derive(Debug)]
pub enum TxFail {
    Sled(UnabortableTransactionError),
    Codec(CodecError),
}

/// Why a transaction closure gave up.
#[derive(Debug)]
pub(super) enum Abort {
    Rule(Rule),
    Codec(CodecError),
    /// A preview ran to the end: what it would have committed, rolled back.
    Preview(Box<Committed>),
    /// An event replayed from elsewhere (a backup, another counter) that cannot stand where it
    /// would go: its seq, and the rule it breaks, or `None` when it does not continue the chain
    /// (another seq, or a link hash that is not over the previous hash and its own bytes).
    Refused {
        seq: u64,
        rule: Option<Rule>,
    },
    /// An event from elsewhere that no counter could have written (a control character in a
    /// name, a deposit over the cap, a malformed operation tag): its seq and what is wrong.
    Unwritable {
        seq: u64,
        why: String,
    },
    /// The journal copy could not take the events (`JournalCopy::log`).
    Log(LogFailed),
}

pub(super) type TxResult<T> = Result<T, ConflictableTransactionError<Abort>>;

pub(super) fn lift<T>(r: Result<T, ApplyError<TxFail>>) -> TxResult<T> {
    match r {
        Ok(v) => Ok(v),
        Err(ApplyError::Rule(rule)) => Err(ConflictableTransactionError::Abort(Abort::Rule(rule))),
        Err(ApplyError::Store(TxFail::Codec(c))) => Err(ConflictableTransactionError::Abort(Abort::Codec(c))),
        Err(ApplyError::Store(TxFail::Sled(e))) => Err(e.into()),
    }
}

/// The trees as seen from inside a transaction. Accounts and activities are read once and
/// kept: a commit of many entries touches the same few records again and again, and every sled
/// operation costs microseconds. Changed accounts are written back once, at the end.
pub struct TxView<'a> {
    pub(super) trees: &'a [TransactionalTree],
    /// Prepended to every key: empty for this counter's own trees; `code ‖ 0` for another
    /// counter's projection kept in the `city_*` trees (see `store::city`).
    scope: &'a [u8],
    accounts: RefCell<HashMap<u64, (AccountRecord, bool)>>,
    activities: RefCell<HashMap<u64, Option<Activity>>>,
    /// This counter's journal as `journal.copy` held it when the transaction began: events are
    /// read from it by seq (ARCHITECTURE.md §10, step 2).
    journal: Option<JournalReader>,
    /// The events this transaction appended to this counter's journal, in seq order: the copy
    /// takes them only when the transaction ends.
    own: RefCell<Vec<Event>>,
}

impl<'a> TxView<'a> {
    pub(super) fn new(trees: &'a [TransactionalTree]) -> TxView<'a> {
        TxView::scoped(trees, &[])
    }

    /// A view whose keys all start with `scope`: the same rules over another counter's
    /// projection, laid out exactly like this counter's own.
    pub(super) fn scoped(trees: &'a [TransactionalTree], scope: &'a [u8]) -> TxView<'a> {
        TxView {
            trees,
            scope,
            accounts: RefCell::new(HashMap::new()),
            activities: RefCell::new(HashMap::new()),
            journal: None,
            own: RefCell::new(Vec::new()),
        }
    }

    /// The view reading this counter's journal through `reader` (its own scope only).
    pub(super) fn with_journal(mut self, reader: Option<JournalReader>) -> TxView<'a> {
        if self.scope.is_empty() {
            self.journal = reader;
        }
        self
    }

    /// Whether this view is this counter's own trees (not another counter's projection).
    pub(super) fn is_own(&self) -> bool {
        self.scope.is_empty()
    }

    /// Keeps an event this transaction appended to this counter's journal, for the rules that
    /// read it back before the transaction ends (a reversal of an entry restored with it).
    pub(super) fn remember(&self, event: Event) {
        self.own.borrow_mut().push(event);
    }

    /// The events this transaction appended, handed back when it ends.
    fn take_own(&self) -> Vec<Event> {
        std::mem::take(&mut self.own.borrow_mut())
    }

    /// An event this transaction appended, by seq.
    pub(super) fn own_event(&self, seq: u64) -> Option<Event> {
        let own = self.own.borrow();
        let first = own.first()?.seq();
        own.get(usize::try_from(seq.checked_sub(first)?).ok()?).cloned()
    }

    /// `key` inside this view's scope.
    pub(super) fn key<'k>(&self, key: &'k [u8]) -> Cow<'k, [u8]> {
        if self.scope.is_empty() { Cow::Borrowed(key) } else { Cow::Owned([self.scope, key].concat()) }
    }

    fn remove(&self, t: TreeId, key: &[u8]) -> Result<(), TxFail> {
        self.trees[t.index].remove(&*self.key(key)).map(drop).map_err(TxFail::Sled)
    }

    fn contains(&self, t: TreeId, key: &[u8]) -> Result<bool, TxFail> {
        Ok(self.trees[t.index].get(&*self.key(key)).map_err(TxFail::Sled)?.is_some())
    }

    /// A `limits` key whose presence is the fact (held, retired).
    fn set_flag(&self, key: &[u8], on: bool) -> Result<(), TxFail> {
        if on {
            self.trees[LIMITS.index].insert(&*self.key(key), &[][..]).map(drop).map_err(TxFail::Sled)
        } else {
            self.remove(LIMITS, key)
        }
    }

    /// Runs `f` on a volunteer's account record, loading it into the cache first.
    /// Returns `None` when the volunteer has no record (is not registered).
    fn with_account<T>(
        &self,
        id: u64,
        f: impl FnOnce(&mut AccountRecord, &mut bool) -> T,
    ) -> Result<Option<T>, TxFail> {
        let mut cache = self.accounts.borrow_mut();
        if let std::collections::hash_map::Entry::Vacant(e) = cache.entry(id) {
            let found = self.trees[ACCOUNTS.index].get(&*self.key(&u64_key(id))).map_err(TxFail::Sled)?;
            match found.map(|bytes| AccountRecord::decode(ACCOUNTS.name, &u64_key(id), &bytes)) {
                Some(record) => {
                    e.insert((record.map_err(TxFail::Codec)?, false));
                }
                None => return Ok(None),
            }
        }
        Ok(cache.get_mut(&id).map(|(record, dirty)| f(record, dirty)))
    }

    /// Writes every changed account. Called once, after all events of the commit applied.
    pub(super) fn write_back(&self) -> Result<(), TxFail> {
        for (id, (record, dirty)) in self.accounts.borrow().iter() {
            if *dirty {
                let bytes = record.encode().map_err(TxFail::Codec)?;
                self.trees[ACCOUNTS.index].insert(&*self.key(&u64_key(*id)), bytes).map_err(TxFail::Sled)?;
            }
        }
        Ok(())
    }

    pub(super) fn get<T: DeserializeOwned>(&self, t: TreeId, key: &[u8]) -> Result<Option<T>, TxFail> {
        match self.trees[t.index].get(&*self.key(key)).map_err(TxFail::Sled)? {
            None => Ok(None),
            Some(bytes) => codec::decode(t.name, key, &bytes).map(Some).map_err(TxFail::Codec),
        }
    }

    pub(super) fn put<T: Serialize>(&self, t: TreeId, key: &[u8], value: &T) -> Result<(), TxFail> {
        let bytes = codec::encode(value).map_err(TxFail::Codec)?;
        self.trees[t.index].insert(&*self.key(key), bytes).map(drop).map_err(TxFail::Sled)
    }

    /// Looks up a volunteer id by card, for plans that start from a card number.
    /// The seqs of a volunteer's entries, oldest first, as of this transaction.
    pub fn history(&self, id: u64) -> Result<Vec<u64>, TxFail> {
        Ok(self.with_account(id, |record, _| record.seqs().collect())?.unwrap_or_default())
    }

    pub fn card(&self, card: &CardNo) -> Result<Option<u64>, ApplyError<TxFail>> {
        self.volunteer_by_card(card).map_err(ApplyError::Store)
    }
}

/// Who, when and where: the parts of an event the bank supplies for a whole commit.
#[derive(Debug, Clone)]
pub struct CommitContext {
    pub at: Timestamp,
    pub counter: String,
    pub actor: Actor,
}

impl Store {
    /// Commits the events that `plan` returns, atomically, after each passed `apply`; then
    /// flushes. `plan` may run more than once (sled retries on conflict), so it must not have
    /// side effects. With an operation id, a repeat of the same request returns the first
    /// result and applies nothing; a different request under the same id is refused.
    pub fn commit<F>(
        &self,
        ctx: &CommitContext,
        op: Option<(&str, [u8; 16])>,
        plan: F,
    ) -> Result<Committed, CommitError>
    where
        F: Fn(&TxView<'_>) -> Result<Vec<Pending>, ApplyError<TxFail>>,
    {
        self.commit_or_preview(ctx, op, plan, false)
    }

    /// Runs `plan` and every rule exactly as [`Store::commit`] would, in the same kind of
    /// transaction, and then rolls it back: the events it would commit (their seqs and the
    /// crediting rules' verdict — rounded, capped, held — included), or the rule that refuses
    /// it. Nothing is written. A confirm step shows this, so it says what the commit will do.
    pub fn preview<F>(&self, ctx: &CommitContext, plan: F) -> Result<Committed, CommitError>
    where
        F: Fn(&TxView<'_>) -> Result<Vec<Pending>, ApplyError<TxFail>>,
    {
        self.commit_or_preview(ctx, None, plan, true)
    }

    fn commit_or_preview<F>(
        &self,
        ctx: &CommitContext,
        op: Option<(&str, [u8; 16])>,
        plan: F,
        preview: bool,
    ) -> Result<Committed, CommitError>
    where
        F: Fn(&TxView<'_>) -> Result<Vec<Pending>, ApplyError<TxFail>>,
    {
        let mut gate = self.write_gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(reason) = gate.as_ref() {
            return Err(StoreError::Poisoned(reason.clone()).into());
        }
        // Appends happen under the gate, so the copy's end cannot move before this commit's.
        let (copy_before, reader) = {
            let copy = self.journal_copy.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            (copy.extent(), copy.reader())
        };
        let Some(copy_before) = copy_before else {
            return Err(StoreError::Internal("the store has no journal copy to log to").into());
        };
        let result = self.trees.as_slice().transaction(|trees| {
            let mut view = TxView::new(trees).with_journal(reader.clone());
            if let Some((id, digest)) = op
                && let Some(done) = lift(view.get::<OpRecord>(OPS, id.as_bytes()).map_err(ApplyError::Store))?
            {
                if done.digest != digest {
                    return Err(ConflictableTransactionError::Abort(Abort::Rule(Rule::OpIdReused(
                        id.to_string(),
                    ))));
                }
                // A tag read from a file could claim more events than the journal holds: the
                // journal's head bounds the walk.
                let head: Head =
                    lift(view.get(META, meta::HEAD).map_err(ApplyError::Store))?.unwrap_or_default();
                let end = (done.first_seq + u64::from(done.events)).min(head.next_seq);
                let mut events = Vec::with_capacity(end.saturating_sub(done.first_seq).min(1024) as usize);
                for seq in done.first_seq..end {
                    let e = lift(view.entry(seq).map_err(ApplyError::Store))?;
                    events.extend(e);
                }
                return Ok(Committed { events, replayed: true });
            }
            let pending = lift(plan(&view))?;
            let head: Head = lift(view.get(META, meta::HEAD).map_err(ApplyError::Store))?.unwrap_or_default();
            let first_seq = head.next_seq;
            let mut prev = head.last_hash;
            if first_seq == 1 {
                lift(view.put(META, meta::SCHEMA, &SCHEMA_VERSION).map_err(ApplyError::Store))?;
                lift(view.put(META, meta::COUNTER_ID, &ctx.counter).map_err(ApplyError::Store))?;
            }
            let count = u32::try_from(pending.len()).unwrap_or(u32::MAX);
            let mut sources: Vec<String> = Vec::new();
            let mut sources_changed = false;
            if pending.iter().any(|p| p.import.is_some()) {
                sources = lift(view.get(META, meta::IMPORT_SOURCES).map_err(ApplyError::Store))?
                    .unwrap_or_default();
            }
            view.own.borrow_mut().reserve(pending.len());
            let mut records = Vec::new();
            for (i, p) in pending.iter().enumerate() {
                let seq = first_seq + i as u64;
                let origin = match (&p.import, i, op) {
                    (Some(r), _, _) => Origin::Import(r.clone()),
                    (None, 0, Some((id, digest))) => {
                        Origin::Op(OpTag { id: id.to_string(), digest, events: count })
                    }
                    _ => Origin::Direct,
                };
                let body = EventBody {
                    seq,
                    at: ctx.at,
                    counter: ctx.counter.clone(),
                    actor: ctx.actor.clone(),
                    origin,
                    kind: p.kind.clone(),
                };
                let (hash, stored) = encode_event(&prev, &body)
                    .map_err(|c| ConflictableTransactionError::Abort(Abort::Codec(c)))?;
                let event = Event { body, hash };
                lift(apply(&mut view, &event))?;
                if let Some(r) = &p.import
                    && !sources.contains(&r.source)
                {
                    sources.push(r.source.clone());
                    sources_changed = true;
                }
                journal_copy::push_record(&mut records, &stored);
                prev = hash;
                view.remember(event);
            }
            if preview {
                let would = Committed { events: view.take_own(), replayed: false };
                return Err(ConflictableTransactionError::Abort(Abort::Preview(Box::new(would))));
            }
            lift(view.write_back().map_err(ApplyError::Store))?;
            if sources_changed {
                lift(view.put(META, meta::IMPORT_SOURCES, &sources).map_err(ApplyError::Store))?;
            }
            if let Some((id, digest)) = op {
                let record = OpRecord { digest, first_seq, events: count };
                lift(view.put(OPS, id.as_bytes(), &record).map_err(ApplyError::Store))?;
            }
            let head = Head { next_seq: first_seq + pending.len() as u64, last_hash: prev };
            lift(view.put(META, meta::HEAD, &head).map_err(ApplyError::Store))?;
            if !pending.is_empty() {
                let end = CopyEnd { seq: head.next_seq - 1, offset: copy_before.len + records.len() as u64 };
                lift(view.put(META, meta::COPY_END, &end).map_err(ApplyError::Store))?;
                // The acknowledgement, last, so that nothing after it can refuse the commit:
                // sled 0.34 runs the closure under its global write lock, so once; were it run
                // again, `log` writes the same bytes at the same place.
                self.log_in_transaction(copy_before, first_seq, &records, pending.len() as u64)?;
            }
            Ok(Committed { events: view.take_own(), replayed: false })
        });
        let committed = match result {
            Ok(c) => c,
            Err(TransactionError::Abort(Abort::Preview(would))) => return Ok(*would),
            Err(e) => return Err(self.refused(&mut gate, e, copy_before)),
        };
        if !committed.replayed && !committed.events.is_empty() {
            self.after_logged(&mut gate, committed.events.len() as u64);
        }
        Ok(committed)
    }

    /// Logs a transaction's events to the copy from inside the transaction, so that a commit
    /// the copy cannot take aborts (`Abort::Log`) and sled never holds what the log lacks.
    pub(super) fn log_in_transaction(
        &self,
        at: CopyExtent,
        first_seq: u64,
        records: &[u8],
        events: u64,
    ) -> TxResult<()> {
        let mut copy = self.journal_copy.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        copy.log(at, first_seq, records, events)
            .map_err(|f| ConflictableTransactionError::Abort(Abort::Log(f)))
    }

    /// After a transaction that logged `events` committed: sled is checkpointed every
    /// `CHECKPOINT_EVENTS`. A failed checkpoint stops writes until a restart replays the
    /// copy, but the commit stands: the copy holds it.
    pub(super) fn after_logged(&self, gate: &mut Option<String>, events: u64) {
        let unflushed = self.checkpoint.unflushed.fetch_add(events, Ordering::AcqRel) + events;
        if unflushed >= CHECKPOINT_EVENTS
            && let Err(e) = self.flush()
        {
            *gate = Some(e.to_string());
            self.checkpoint.stopped.store(true, Ordering::Release);
        }
    }

    /// The error a failed transaction that may have logged from `at` on returns. A log whose
    /// outcome is unknown, or a storage error of sled's, closes the store to writes: sled's
    /// state, or the disk's, is not known. What the copy holds past `at` of a transaction sled
    /// did not commit is cut, so a restart does not replay a commit that was refused.
    pub(super) fn refused(
        &self,
        gate: &mut Option<String>,
        e: TransactionError<Abort>,
        at: CopyExtent,
    ) -> CommitError {
        let copy_path = || self.dir.join(journal_copy::FILE_NAME);
        match e {
            TransactionError::Abort(Abort::Rule(rule) | Abort::Refused { rule: Some(rule), .. }) => {
                rule.into()
            }
            TransactionError::Abort(Abort::Refused { seq, rule: None } | Abort::Unwritable { seq, .. }) => {
                Rule::UnknownEntry(seq).into()
            }
            TransactionError::Abort(Abort::Codec(c)) => StoreError::Corrupt(c).into(),
            TransactionError::Abort(Abort::Preview(_)) => {
                StoreError::Internal("a preview was not asked for").into()
            }
            TransactionError::Abort(Abort::Log(LogFailed::Refused(why))) => {
                StoreError::Io { path: copy_path(), source: std::io::Error::other(why) }.into()
            }
            TransactionError::Abort(Abort::Log(LogFailed::Unknown(why))) => {
                *gate = Some(why.clone());
                self.checkpoint.stopped.store(true, Ordering::Release);
                StoreError::Io { path: copy_path(), source: std::io::Error::other(why) }.into()
            }
            TransactionError::Storage(e) => {
                *gate = Some(e.to_string());
                self.checkpoint.stopped.store(true, Ordering::Release);
                let _ =
                    self.journal_copy.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).cut_back(at);
                StoreError::Sled(e).into()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_event_layout() {
        let body = EventBody {
            seq: 77,
            at: Timestamp::from_micros(123),
            counter: "JM".into(),
            actor: Actor::SelfService,
            origin: Origin::Direct,
            kind: EventKind::Reversed { target: 5, reason: "因为".into() },
        };
        let (hash, stored) = encode_event(&[9; 32], &body).unwrap();
        let mut bare = Vec::new();
        codec::encode_bare(&body, &mut bare).unwrap();
        assert_eq!(hash, *blake3::hash(&[&[9u8; 32][..], &bare].concat()).as_bytes());
        assert_eq!(stored, codec::encode(&Event { body, hash }).unwrap());
    }
}
