//! The counter's own state, kept in the `meta` tree: login attempts (`login/<staff id>`,
//! `login-card/<card>`) and the last good backup. They are not ledger facts — no hours move — so they are not journal
//! entries, but they are flushed like one so a lock or a backup time survives a restart.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{Store, StoreError, codec, meta, tree};
use crate::domain::{LoginAttempts, LoginSubject, Timestamp};

/// The last backup that was written and synced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastBackup {
    pub at: Timestamp,
    pub last_seq: u64,
    pub path: String,
}

/// A city grant this counter is about to ask for (recorded, flushed, before the request goes
/// out): a grant the server holds for this counter is journalled at a sync only if it matches
/// one, so a row nobody asked for — written by whoever holds the database — is never credited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantIntent {
    pub card: String,
    /// Minutes, or points for a grant of points (a grant's id is one operation's, of one unit).
    pub amount: u64,
}

fn intent_key(id: &str) -> Vec<u8> {
    [meta::GRANT_INTENT_PREFIX, id.as_bytes()].concat()
}

/// Staff ids and cards have their own prefixes: a card number can look like a staff id.
fn attempts_key(subject: &LoginSubject) -> Vec<u8> {
    let (prefix, name) = match subject {
        LoginSubject::Staff(id) => (meta::LOGIN_PREFIX, id.as_str()),
        LoginSubject::Card(card) => (meta::CARD_LOGIN_PREFIX, card.as_str()),
    };
    let mut k = prefix.to_vec();
    k.extend_from_slice(name.as_bytes());
    k
}

impl Store {
    /// Wrong PINs in a row of a staff id or a card, and its lock if any.
    pub fn login_attempts(&self, subject: &LoginSubject) -> Result<LoginAttempts, StoreError> {
        Ok(self.get_local(&attempts_key(subject))?.unwrap_or_default())
    }

    /// Saves and flushes the record.
    pub fn set_login_attempts(
        &self,
        subject: &LoginSubject,
        attempts: &LoginAttempts,
    ) -> Result<(), StoreError> {
        self.put_local(&attempts_key(subject), attempts)
    }

    pub fn last_backup(&self) -> Result<Option<LastBackup>, StoreError> {
        self.get_local(meta::LAST_BACKUP)
    }

    pub fn set_last_backup(&self, last: &LastBackup) -> Result<(), StoreError> {
        self.put_local(meta::LAST_BACKUP, last)
    }

    /// When this store was rebuilt from a journal that may be behind what the city holds of it
    /// (a restore, a recovery), if it has not caught up with the city since.
    pub fn city_catch_up(&self) -> Result<Option<Timestamp>, StoreError> {
        self.get_local(meta::CITY_CATCH_UP)
    }

    /// Sets (`Some`) or clears the mark (flushed).
    pub fn set_city_catch_up(&self, since: Option<Timestamp>) -> Result<(), StoreError> {
        match since {
            Some(at) => self.put_local(meta::CITY_CATCH_UP, &at),
            None => {
                let _gate = self.write_gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                self.tree(tree::META).remove(meta::CITY_CATCH_UP)?;
                self.flush()
            }
        }
    }

    /// Records that this counter is about to ask for city grant `id`: flushed before it returns
    /// when `flush` (else durable with the next flush — the commit that journals the grant).
    pub fn record_grant_intent(&self, id: &str, intent: &GrantIntent, flush: bool) -> Result<(), StoreError> {
        self.write_local(&intent_key(id), intent, flush)
    }

    /// The grant this counter asked for under `id`, if it did.
    pub fn grant_intent(&self, id: &str) -> Result<Option<GrantIntent>, StoreError> {
        self.get_local(&intent_key(id))
    }

    /// Runs `f` while no write can commit: for `check` on a store the counter is writing to
    /// (asked through the control socket), so the journal and the projections it compares
    /// describe the same moment. Saves at the counter wait until `f` returns.
    pub fn quiesced<T>(&self, f: impl FnOnce() -> T) -> T {
        let _gate = self.write_gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f()
    }

    fn get_local<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, StoreError> {
        match self.tree(tree::META).get(key)? {
            None => Ok(None),
            Some(bytes) => Ok(Some(codec::decode(tree::META.name, key, &bytes)?)),
        }
    }

    /// Writes one value to `meta` and flushes. Refused, like every write, after a failed flush.
    pub(super) fn put_local<T: Serialize>(&self, key: &[u8], value: &T) -> Result<(), StoreError> {
        self.write_local(key, value, true)
    }

    /// Writes a local record, then flushes when `flush`, the write gate held throughout; refused
    /// once a write failed (the gate is poisoned).
    fn write_local<T: Serialize>(&self, key: &[u8], value: &T, flush: bool) -> Result<(), StoreError> {
        let gate = self.write_gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(reason) = gate.as_ref() {
            return Err(StoreError::Poisoned(reason.clone()));
        }
        self.tree(tree::META).insert(key, codec::encode(value)?)?;
        if flush { self.flush() } else { Ok(()) }
    }
}
