//! Login attempt records, kept in the `meta` tree under `login/<staff id>`. They are counter
//! security state, not ledger facts: no hours move, so they are not journal entries, but they
//! are flushed like one so a lock survives a restart.

use super::{Store, StoreError, codec, meta, tree};
use crate::domain::{LoginAttempts, StaffId};

fn key(id: &StaffId) -> Vec<u8> {
    let mut k = meta::LOGIN_PREFIX.to_vec();
    k.extend_from_slice(id.as_str().as_bytes());
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

    /// Saves and flushes the record. Refused, like every write, after a failed flush.
    pub fn set_login_attempts(&self, id: &StaffId, attempts: &LoginAttempts) -> Result<(), StoreError> {
        let gate = self.write_gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(reason) = gate.as_ref() {
            return Err(StoreError::Poisoned(reason.clone()));
        }
        let bytes = codec::encode(attempts)?;
        self.tree(tree::META).insert(key(id), bytes)?;
        self.flush()
    }
}
