//! Staff login: PIN check with Argon2id and a persistent lock after repeated wrong PINs.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordVerifier};

use std::sync::OnceLock;

use super::{Bank, BankError, VolunteerView};
use crate::domain::{CardNo, LoginSubject, Staff, StaffId, Timestamp};
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
    /// The volunteer has no self-service PIN yet (staff set one at the counter).
    #[error("no PIN has been set for this card yet")]
    NoPin,
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

/// A hash nobody's PIN matches, checked for unknown ids and cards so that they take as long to
/// refuse as a wrong PIN: the delay does not tell which ids exist.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| super::hash_pin("0000").unwrap_or_default())
}

/// Spends the time of one PIN check, for a refusal that must look like a wrong PIN.
fn decoy_check(pin: &str) {
    let _ = pin_matches(decoy_hash(), pin);
}

impl Bank {
    /// Checks a staff id and PIN. A wrong PIN is counted (and flushed) before this returns;
    /// the fifth in a row locks the id for five minutes, across restarts.
    pub fn login(&self, id: &str, pin: &str) -> Result<Staff, LoginError> {
        let Ok(id) = StaffId::parse(id) else {
            decoy_check(pin);
            return Err(LoginError::Wrong { remaining: None });
        };
        let now = self.now();
        let Some(staff) = self.store.staff(&id)? else {
            decoy_check(pin);
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

    /// Lifts a lock left by wrong PINs (admin only; journalled), then clears the count.
    pub fn unlock(&self, who: &crate::domain::Actor, subject: &LoginSubject) -> Result<u64, BankError> {
        let c = self.run(who, None, "unlock", subject, |view| {
            super::require(view, who, super::Need::Admin, "unlock a login")?;
            Ok(vec![crate::domain::EventKind::LoginUnlocked { subject: subject.clone() }.into()])
        })?;
        match subject {
            LoginSubject::Staff(id) => self.store.set_login_attempts(id, &Default::default())?,
            LoginSubject::Card(card) => self.store.set_card_attempts(card, &Default::default())?,
        }
        Ok(c.first_seq())
    }

    /// A volunteer's self-service login: card and PIN. An unknown card is refused exactly like
    /// a wrong PIN (same error, same time); five wrong PINs lock the card as they lock a staff
    /// id, across restarts.
    pub fn volunteer_login(&self, card: &str, pin: &str) -> Result<VolunteerView, LoginError> {
        let Some(view) = CardNo::parse(card).ok().and_then(|c| self.find_card(&c).ok()) else {
            decoy_check(pin);
            return Err(LoginError::Wrong { remaining: None });
        };
        let card = view.volunteer.card.clone();
        let now = self.now();
        let attempts = self.store.card_attempts(&card)?;
        if let Some(until) = attempts.locked_at(now) {
            return Err(LoginError::Locked { until });
        }
        let Some(hash) = view.volunteer.pin_hash.as_deref() else {
            return Err(LoginError::NoPin);
        };
        if !view.volunteer.active || !pin_matches(hash, pin) {
            let after = attempts.failed(now);
            self.store.set_card_attempts(&card, &after)?;
            return Err(match after.locked_at(now) {
                Some(until) => LoginError::Locked { until },
                None => LoginError::Wrong { remaining: Some(after.remaining()) },
            });
        }
        if attempts != Default::default() {
            self.store.set_card_attempts(&card, &Default::default())?;
        }
        Ok(view)
    }
}
