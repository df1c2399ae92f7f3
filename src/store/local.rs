//! The counter's own state, kept in the `meta` tree: login attempts (`login/<staff id>`) and
//! the last good backup. They are not ledger facts — no hours move — so they are not journal
//! entries, but they are flushed like one so a lock or a backup time survives a restart.

use serde::{Deserialize, Serialize};

use super::{Store, StoreError, codec, meta, tree};
use crate::domain::{CardNo, LoginAttempts, StaffId, Timestamp};

/// The last backup that was written and synced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastBackup {
    pub at: Timestamp,
    pub last_seq: u64,
    pub path: String,
}

fn key(id: &StaffId) -> Vec<u8> {
    let mut k = meta::LOGIN_PREFIX.to_vec();
    k.extend_from_slice(id.as_str().as_bytes());
    k
}

fn card_key(card: &CardNo) -> Vec<u8> {
    let mut k = meta::CARD_LOGIN_PREFIX.to_vec();
    k.extend_from_slice(card.as_str().as_bytes());
    k
}

impl Store {
    pub fn login_attempts(&self, id: &StaffId) -> Result<LoginAttempts, StoreError> {
        let k = key(id);
        match self.tree(tree::META).get(&k)? {
            None => Ok(LoginAttempts::default()),
            Some(bytes) => Ok(codec::decode(tree::META.name, &k, &bytes)?),
        }
    }

    /// Saves and flushes the record.
    pub fn set_login_attempts(&self, id: &StaffId, attempts: &LoginAttempts) -> Result<(), StoreError> {
        self.put_local(&key(id), attempts)
    }

    /// Failed self-service PINs of one card (`login-card/<card>`, apart from staff ids).
    pub fn card_attempts(&self, card: &CardNo) -> Result<LoginAttempts, StoreError> {
        let k = card_key(card);
        match self.tree(tree::META).get(&k)? {
            None => Ok(LoginAttempts::default()),
            Some(bytes) => Ok(codec::decode(tree::META.name, &k, &bytes)?),
        }
    }

    pub fn set_card_attempts(&self, card: &CardNo, attempts: &LoginAttempts) -> Result<(), StoreError> {
        self.put_local(&card_key(card), attempts)
    }

    pub fn last_backup(&self) -> Result<Option<LastBackup>, StoreError> {
        match self.tree(tree::META).get(meta::LAST_BACKUP)? {
            None => Ok(None),
            Some(bytes) => Ok(Some(codec::decode(tree::META.name, meta::LAST_BACKUP, &bytes)?)),
        }
    }

    pub fn set_last_backup(&self, last: &LastBackup) -> Result<(), StoreError> {
        self.put_local(meta::LAST_BACKUP, last)
    }

    /// Runs `f` while no write can commit: for `check` on a store the counter is writing to
    /// (asked through the control socket), so the journal and the projections it compares
    /// describe the same moment. Saves at the counter wait until `f` returns.
    pub fn quiesced<T>(&self, f: impl FnOnce() -> T) -> T {
        let _gate = self.write_gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f()
    }

    /// Writes one value to `meta` and flushes. Refused, like every write, after a failed flush.
    fn put_local<T: Serialize>(&self, key: &[u8], value: &T) -> Result<(), StoreError> {
        let gate = self.write_gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(reason) = gate.as_ref() {
            return Err(StoreError::Poisoned(reason.clone()));
        }
        self.tree(tree::META).insert(key, codec::encode(value)?)?;
        self.flush()
    }
}
