//! Other counters' journals, as pulled from the city server, and their projections: kept in
//! the `city_*` trees exactly as a counter keeps its own (`tree::CITY` mirrors `tree::ALL`),
//! every key prefixed with the counter's code and a zero byte. Their events pass the same
//! `ledger::apply` as ours, in the same transaction that stores them and moves that counter's
//! head (its cursor), so the city view is never ahead of, or behind, what was verified.

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::TransactionError;

use super::codec;
use super::keys::{read_u64, u64_key};
use super::records::AccountRecord;
use super::restore::append_events;
use super::tree::{ACCOUNTS, ACTIVITIES, CARD_INDEX, CITY_COUNTERS, JOURNAL, META, TreeId, VOLUNTEERS};
use super::tx::{Abort, Head, TxView, lift};
use super::{Store, StoreError, meta};
use crate::domain::ledger::ApplyError;
use crate::domain::validate::StoredEventCheck;
use crate::domain::{Account, CardNo, Event, Rule, Timestamp, Volunteer};

/// `city_counters` key of the time of the last pull that reached every counter's head.
/// Counter codes are upper case, so it is never one.
const AS_OF: &[u8] = b"as_of";

/// What this counter holds of another: how far it has verified its chain, and when it last
/// asked the server for more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CityCounter {
    pub code: String,
    pub head: Head,
    pub pulled_at: Timestamp,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct PulledAt(Timestamp);

/// A volunteer's account at another counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CityAccount {
    pub code: String,
    pub volunteer: u64,
    pub account: Account,
}

/// A volunteer as another counter registered them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CityVolunteer {
    pub code: String,
    pub id: u64,
    pub record: Volunteer,
}

/// Why pulled events were not applied. Nothing of the batch was.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// A row that does not continue the chain this counter verified so far: another seq, a
    /// link hash not over the previous hash and its bytes, or bytes that are not an event.
    #[error("the city server's event {code} #{seq} does not continue {code}'s chain (altered, or not what {code} wrote); nothing from {code} was applied past #{}", seq.saturating_sub(1))]
    Unlinked { code: String, seq: u64 },
    /// A well-linked event the ledger rules refuse: the other counter's store is not sound.
    #[error("the city server's event {code} #{seq} breaks a ledger rule ({rule}); nothing from {code} was applied past #{}", seq.saturating_sub(1))]
    Refused { code: String, seq: u64, rule: Rule },
    /// An event no valid signature of its counter covers: written by someone without the
    /// counter's key (or the counter is not enrolled).
    #[error("the city's event {code} #{seq} carries no valid signature of counter {code} (written by someone without its key, or {code} is not enrolled); nothing from {code} was applied past #{}", seq.saturating_sub(1))]
    Unsigned { code: String, seq: u64 },
    /// A well-linked event no counter could have written (the checks a backup's events pass).
    #[error("the city server's event {code} #{seq} is not one a counter could have written ({why}); nothing from {code} was applied past #{}", seq.saturating_sub(1))]
    Unwritable { code: String, seq: u64, why: String },
    /// The city shows another key (or enrollment head) for a counter than this counter first
    /// saw: a code's key never changes, so the city's copy was altered.
    #[error(
        "the city shows counter {code} with another key or enrollment than this counter first saw ({detail}): a code's key never changes, so whoever holds the city's database changed it; nothing more from {code} is applied — tell the city's admin"
    )]
    KeyChanged { code: String, detail: String },
    /// A counter whose enrollment the city's key did not sign: its key is nobody's word.
    #[error(
        "the city shows counter {code} with an enrollment its city key did not sign (enrolled before the city had a key, or written into the database by someone without the key): nothing from {code} is applied until the city's admin enrolls it again (`hourbank city enroll`)"
    )]
    Unvouched { code: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RemoteError {
    /// The counter whose rows were refused (none for a failure of this store).
    pub fn counter(&self) -> Option<&str> {
        match self {
            RemoteError::Unlinked { code, .. }
            | RemoteError::Refused { code, .. }
            | RemoteError::Unwritable { code, .. }
            | RemoteError::Unsigned { code, .. }
            | RemoteError::KeyChanged { code, .. }
            | RemoteError::Unvouched { code } => Some(code),
            RemoteError::Store(_) => None,
        }
    }
}

/// Another counter's key as this counter first saw it in the city.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PinnedKey {
    /// `ed25519:…`
    pub key: String,
    /// Its events up to this seq were pushed before it was enrolled.
    pub floor: u64,
}

/// The key prefix of `code`'s records.
fn scope(code: &str) -> Vec<u8> {
    let mut s = Vec::with_capacity(code.len() + 1);
    s.extend_from_slice(code.as_bytes());
    s.push(0);
    s
}

impl Store {
    fn city_tree(&self, t: TreeId) -> &sled::Tree {
        &self.city_trees[t.index]
    }

    fn city_get<T: serde::de::DeserializeOwned>(
        &self,
        t: TreeId,
        code: &str,
        key: &[u8],
    ) -> Result<Option<T>, StoreError> {
        let full = [scope(code).as_slice(), key].concat();
        match self.city_tree(t).get(&full)? {
            None => Ok(None),
            Some(bytes) => Ok(Some(codec::decode(t.name, &full, &bytes)?)),
        }
    }

    /// Whether this store holds any of other counters' journals (what counters pulled before
    /// the city's directory). Cheap: it looks at one key.
    pub fn holds_city_copy(&self) -> Result<bool, StoreError> {
        Ok(!self.city_tree(JOURNAL).is_empty())
    }

    /// How much of other counters' journals this store holds: counters and events.
    pub fn city_copy_size(&self) -> Result<(u32, u64), StoreError> {
        let counters = self.city_counters()?.len() as u32;
        Ok((counters, self.city_tree(JOURNAL).len() as u64))
    }

    /// Empties every `city_*` tree and flushes: the copy of other counters' journals goes,
    /// pinned keys and cursors with it (nothing reads them once the directory is there).
    /// Empties the `city_*` trees and asks the next open to give their space back (sled
    /// never shrinks its files; see `compact`).
    pub fn clear_city_copy(&self) -> Result<(), StoreError> {
        for tree in &self.city_trees {
            tree.clear()?;
        }
        self.flush()?;
        let asked = self.dir.join(super::compact::REQUESTED);
        std::fs::File::create(&asked).and_then(|f| f.sync_all()).map_err(super::io_err(&asked))
    }

    /// How far `code`'s chain is verified here (the default head when nothing was pulled).
    pub fn city_head(&self, code: &str) -> Result<Head, StoreError> {
        Ok(self.city_get(META, code, meta::HEAD)?.unwrap_or_default())
    }

    /// Counter `code`'s key as first seen here.
    pub fn pinned_key(&self, code: &str) -> Result<Option<PinnedKey>, StoreError> {
        self.city_get(META, code, meta::PINNED_KEY)
    }

    /// Pins counter `code`'s key, durably, the first time it is seen.
    pub fn pin_key(&self, code: &str, pinned: &PinnedKey) -> Result<(), StoreError> {
        let _gate = self.write_gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let full = [scope(code).as_slice(), meta::PINNED_KEY].concat();
        self.city_tree(META).insert(full, codec::encode(pinned)?)?;
        self.flush()
    }

    /// Event `seq` of `code`'s chain, as applied here.
    pub fn city_event(&self, code: &str, seq: u64) -> Result<Option<Event>, StoreError> {
        self.city_get(JOURNAL, code, &u64_key(seq))
    }

    /// Volunteer `id` as counter `code` registered them.
    pub fn city_volunteer(&self, code: &str, id: u64) -> Result<Option<Volunteer>, StoreError> {
        self.city_get(VOLUNTEERS, code, &u64_key(id))
    }

    /// Activity `id` of counter `code`.
    pub fn city_activity(&self, code: &str, id: u64) -> Result<Option<crate::domain::Activity>, StoreError> {
        self.city_get(ACTIVITIES, code, &u64_key(id))
    }

    /// Every other counter this store has pulled from, by code.
    pub fn city_counters(&self) -> Result<Vec<CityCounter>, StoreError> {
        let mut out = Vec::new();
        for item in self.city_tree(CITY_COUNTERS).iter() {
            let (k, v) = item?;
            if &*k == AS_OF {
                continue;
            }
            let code = String::from_utf8(k.to_vec()).map_err(|_| StoreError::Internal("a counter code"))?;
            let PulledAt(pulled_at) = codec::decode(CITY_COUNTERS.name, &k, &v)?;
            let head = self.city_head(&code)?;
            out.push(CityCounter { code, head, pulled_at });
        }
        Ok(out)
    }

    /// When a pull last reached every counter's head on the server, if ever.
    pub fn city_as_of(&self) -> Result<Option<Timestamp>, StoreError> {
        match self.city_tree(CITY_COUNTERS).get(AS_OF)? {
            None => Ok(None),
            Some(v) => Ok(Some(codec::decode::<PulledAt>(CITY_COUNTERS.name, AS_OF, &v)?.0)),
        }
    }

    pub fn set_city_as_of(&self, at: Timestamp) -> Result<(), StoreError> {
        let _gate = self.write_gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Not flushed: an idle pull changes nothing else, and a mark lost to a crash only shows
        // an older "as of" until the next pull (the next operation's flush keeps it anyway).
        self.city_tree(CITY_COUNTERS).insert(AS_OF, codec::encode(&PulledAt(at))?)?;
        Ok(())
    }

    /// Applies `rows` (seq and stored bytes, in order) of counter `code` after its verified
    /// head, in one transaction with the head and the pull time, then flushes. Every row must
    /// continue the chain and pass the ledger rules; otherwise nothing is applied.
    pub fn apply_remote(
        &self,
        code: &str,
        rows: &[(u64, Vec<u8>)],
        at: Timestamp,
    ) -> Result<Head, RemoteError> {
        self.apply_remote_durably(code, rows, at, true)
    }

    /// [`Store::apply_remote`], flushed only when `durable`: a cache that is rebuilt from its
    /// source whenever it is out of step (the city service's verifier) need not wait for the
    /// disk.
    pub fn apply_remote_durably(
        &self,
        code: &str,
        rows: &[(u64, Vec<u8>)],
        at: Timestamp,
        durable: bool,
    ) -> Result<Head, RemoteError> {
        let unlinked = |seq| RemoteError::Unlinked { code: code.to_string(), seq };
        let mut events = Vec::with_capacity(rows.len());
        for (seq, stored) in rows {
            let event: Event = super::decode_stored(*seq, stored).map_err(|_| unlinked(*seq))?;
            if event.seq() != *seq {
                return Err(unlinked(*seq));
            }
            events.push((stored.clone(), event));
        }
        let scope = scope(code);
        let gate = self.write_gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(reason) = gate.as_ref() {
            return Err(StoreError::Poisoned(reason.clone()).into());
        }
        let result = self.city_trees.as_slice().transaction(|trees| {
            let mut view = TxView::scoped(trees, &scope);
            let head: Head = lift(view.get(META, meta::HEAD).map_err(ApplyError::Store))?.unwrap_or_default();
            // What a backup's events must pass, pulled events pass too, the check's state
            // carried from batch to batch beside the head.
            let mut check: StoredEventCheck =
                lift(view.get(META, meta::EVENT_CHECK).map_err(ApplyError::Store))?.unwrap_or_default();
            let head = append_events(&mut view, head, &events, Some(&mut check))?;
            lift(view.put(META, meta::EVENT_CHECK, &check).map_err(ApplyError::Store))?;
            let pulled = codec::encode(&PulledAt(at))
                .map_err(|c| sled::transaction::ConflictableTransactionError::Abort(Abort::Codec(c)))?;
            trees[CITY_COUNTERS.index].insert(code.as_bytes(), pulled)?;
            Ok(head)
        });
        let head = match result {
            Ok(head) => head,
            Err(TransactionError::Abort(Abort::Refused { seq, rule: None })) => return Err(unlinked(seq)),
            Err(TransactionError::Abort(Abort::Refused { seq, rule: Some(rule) })) => {
                return Err(RemoteError::Refused { code: code.to_string(), seq, rule });
            }
            Err(TransactionError::Abort(Abort::Rule(rule))) => {
                let seq = events.first().map_or(0, |(_, e)| e.seq());
                return Err(RemoteError::Refused { code: code.to_string(), seq, rule });
            }
            Err(TransactionError::Abort(Abort::Unwritable { seq, why })) => {
                return Err(RemoteError::Unwritable { code: code.to_string(), seq, why });
            }
            Err(TransactionError::Abort(Abort::Codec(c))) => return Err(StoreError::Corrupt(c).into()),
            Err(TransactionError::Abort(Abort::Preview(_) | Abort::Log(_))) => {
                return Err(StoreError::Internal(
                    "a pull neither previews nor logs to this counter's journal",
                )
                .into());
            }
            Err(TransactionError::Storage(e)) => return Err(StoreError::Sled(e).into()),
        };
        if durable {
            self.flush()?;
        }
        drop(gate);
        Ok(head)
    }

    /// `card`'s account at every other counter that knows the card.
    pub fn city_accounts(&self, card: &CardNo) -> Result<Vec<CityAccount>, StoreError> {
        let mut out = Vec::new();
        for code in self.city_codes()? {
            let Some(volunteer) = self.city_get::<u64>(CARD_INDEX, &code, card.as_str().as_bytes())? else {
                continue;
            };
            let key = [scope(&code).as_slice(), &u64_key(volunteer)].concat();
            let account = match self.city_tree(ACCOUNTS).get(&key)? {
                Some(bytes) => AccountRecord::decode_totals(ACCOUNTS.name, &key, &bytes)?,
                None => Default::default(),
            };
            out.push(CityAccount { code, volunteer, account });
        }
        Ok(out)
    }

    /// `card` as every other counter that registered it has it now.
    pub fn city_registrations(&self, card: &CardNo) -> Result<Vec<CityVolunteer>, StoreError> {
        let mut out = Vec::new();
        for code in self.city_codes()? {
            let Some(id) = self.city_get::<u64>(CARD_INDEX, &code, card.as_str().as_bytes())? else {
                continue;
            };
            if let Some(record) = self.city_get(VOLUNTEERS, &code, &u64_key(id))? {
                out.push(CityVolunteer { code, id, record });
            }
        }
        Ok(out)
    }

    /// The phone tail counter `code` keeps beside its resident `id` (points only), if `id` is one.
    pub fn city_resident_tail(&self, code: &str, id: u64) -> Result<Option<String>, StoreError> {
        use crate::domain::points::{PointsKey, PointsRecord};
        let key = super::keys::points_key(&PointsKey::Resident(id));
        Ok(match self.city_get::<PointsRecord>(super::tree::LIMITS, code, &key)? {
            Some(PointsRecord::Resident { phone_tail }) => Some(phone_tail.unwrap_or_default()),
            _ => None,
        })
    }

    /// The codes of every counter pulled from, in order.
    fn city_codes(&self) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for item in self.city_tree(CITY_COUNTERS).iter().keys() {
            let k = item?;
            if &*k != AS_OF {
                out.push(String::from_utf8_lossy(&k).into_owned());
            }
        }
        Ok(out)
    }

    /// Every volunteer every other counter registered, by counter code and then id.
    pub fn city_volunteers(&self) -> impl Iterator<Item = Result<CityVolunteer, StoreError>> + '_ {
        self.city_tree(VOLUNTEERS).iter().map(|item| {
            let (k, v) = item?;
            let (code, id) = split_scoped(&k).ok_or(StoreError::Internal("a city volunteer key"))?;
            let record = codec::decode(VOLUNTEERS.name, &k, &v)?;
            Ok(CityVolunteer { code, id, record })
        })
    }

    /// Every account at every other counter, with the totals only.
    pub fn city_account_totals(&self) -> impl Iterator<Item = Result<CityAccount, StoreError>> + '_ {
        self.city_tree(ACCOUNTS).iter().map(|item| {
            let (k, v) = item?;
            let (code, volunteer) = split_scoped(&k).ok_or(StoreError::Internal("a city account key"))?;
            let account = AccountRecord::decode_totals(ACCOUNTS.name, &k, &v)?;
            Ok(CityAccount { code, volunteer, account })
        })
    }
}

impl Store {
    /// Every person's points account at every other counter: (code, person, account), by code.
    pub fn city_points_accounts(
        &self,
    ) -> Result<Vec<(String, u64, crate::domain::PointsAccount)>, StoreError> {
        use crate::domain::points::{PointsRecord, tag};
        let tree = super::tree::LIMITS;
        let mut out = Vec::new();
        for code in self.city_codes()? {
            let prefix = [scope(&code).as_slice(), &[super::keys::POINTS, tag::ACCOUNT]].concat();
            for item in self.city_tree(tree).scan_prefix(&prefix) {
                let (k, v) = item?;
                let id = read_u64(&k[prefix.len()..]).ok_or(StoreError::Internal("a city points key"))?;
                if let PointsRecord::Account(a) = codec::decode(tree.name, &k, &v)? {
                    out.push((code.clone(), id, a));
                }
            }
        }
        Ok(out)
    }
}

/// `code ‖ 0 ‖ big-endian id` → (code, id).
fn split_scoped(key: &[u8]) -> Option<(String, u64)> {
    let zero = key.iter().position(|b| *b == 0)?;
    let code = String::from_utf8(key[..zero].to_vec()).ok()?;
    Some((code, read_u64(&key[zero + 1..])?))
}
