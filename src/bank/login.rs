//! Staff login: PIN check with Argon2id and a persistent lock after repeated wrong PINs.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordVerifier};

use super::{Bank, BankError};
use crate::domain::{Staff, StaffId, Timestamp};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// One message for an unknown id and a wrong PIN, so the screen does not reveal which ids
    /// exist. `remaining` is `None` for an unknown id.
    #[error("wrong staff id or PIN")]
    Wrong { remaining: Option<u8> },
    #[error("staff id locked until {until}")]
    Locked { until: Timestamp },
    #[error("staff member {0} is disabled")]
    Disabled(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<BankError> for LoginError {
    fn from(e: BankError) -> Self {
        match e {
            BankError::Store(s) => LoginError::Store(s),
            BankError::Rule(_) => LoginError::Wrong { remaining: None },
        }
    }
}

fn pin_matches(hash: &str, pin: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|parsed| Argon2::default().verify_password(pin.as_bytes(), &parsed).is_ok())
}

impl Bank {
    /// Checks a staff id and PIN. A wrong PIN is counted (and flushed) before this returns;
    /// the fifth in a row locks the id for five minutes, across restarts.
    pub fn login(&self, id: &str, pin: &str) -> Result<Staff, LoginError> {
        let Ok(id) = StaffId::parse(id) else {
            return Err(LoginError::Wrong { remaining: None });
        };
        let now = self.now();
        let Some(staff) = self.store.staff(&id)? else {
            return Err(LoginError::Wrong { remaining: None });
        };
        let attempts = self.store.login_attempts(&id)?;
        if let Some(until) = attempts.locked_at(now) {
            return Err(LoginError::Locked { until });
        }
        if !pin_matches(&staff.pin_hash, pin) {
            let after = attempts.failed(now);
            self.store.set_login_attempts(&id, &after)?;
            return Err(match after.locked_at(now) {
                Some(until) => LoginError::Locked { until },
                None => LoginError::Wrong { remaining: Some(after.remaining()) },
            });
        }
        if staff.disabled {
            return Err(LoginError::Disabled(id.to_string()));
        }
        if attempts != Default::default() {
            self.store.set_login_attempts(&id, &Default::default())?;
        }
        Ok(staff)
    }
}
