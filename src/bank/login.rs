//! Staff login: PIN check with Argon2id and a persistent lock after repeated wrong PINs.

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

impl Bank {
    fn pin_matches(&self, hash: &str, pin: &str) -> bool {
        self.pepper.verify(hash, pin)
    }

    /// Spends the time of one PIN check, for a refusal that must look like a wrong PIN.
    fn decoy_check(&self, pin: &str) {
        let decoy = self.decoy.get_or_init(|| self.pepper.hash("0000").unwrap_or_default());
        let _ = self.pin_matches(decoy, pin);
    }
}

impl Bank {
    /// The lockout around one PIN check, the same for staff ids and cards: refused while
    /// locked; a wrong PIN counted (and flushed) before this returns, the fifth in a row locking
    /// for fifteen minutes, across restarts; a right one clears the count. `check` may refuse
    /// outright (a card without a PIN), which counts as nothing.
    fn guarded(
        &self,
        subject: &LoginSubject,
        check: impl FnOnce() -> Result<bool, LoginError>,
    ) -> Result<(), LoginError> {
        let now = self.now();
        let attempts = self.store.login_attempts(subject)?;
        if let Some(until) = attempts.locked_at(now) {
            return Err(LoginError::Locked { until });
        }
        if !check()? {
            let after = attempts.failed(now);
            self.store.set_login_attempts(subject, &after)?;
            return Err(match after.locked_at(now) {
                Some(until) => LoginError::Locked { until },
                None => LoginError::Wrong { remaining: Some(after.remaining()) },
            });
        }
        if attempts != Default::default() {
            self.store.set_login_attempts(subject, &Default::default())?;
        }
        Ok(())
    }

    /// Checks a staff id and PIN; an unknown id is refused like a wrong PIN, after as long.
    pub fn login(&self, id: &str, pin: &str) -> Result<Staff, LoginError> {
        let staff = match StaffId::parse(id) {
            Ok(id) => self.store.staff(&id)?,
            Err(_) => None,
        };
        let Some(staff) = staff else {
            self.decoy_check(pin);
            return Err(LoginError::Wrong { remaining: None });
        };
        self.guarded(&LoginSubject::Staff(staff.id.clone()), || Ok(self.pin_matches(&staff.pin_hash, pin)))?;
        if staff.disabled {
            return Err(LoginError::Disabled(staff.id.to_string()));
        }
        Ok(staff)
    }

    /// Lifts a lock left by wrong PINs (admin only; journalled), then clears the count.
    pub fn unlock(&self, who: &crate::domain::Actor, subject: &LoginSubject) -> Result<u64, BankError> {
        let c = self.run(who, None, "unlock", subject, |view| {
            super::require(view, who, super::Need::Admin, "unlock a login")?;
            Ok(vec![crate::domain::EventKind::LoginUnlocked { subject: subject.clone() }.into()])
        })?;
        self.store.set_login_attempts(subject, &Default::default())?;
        Ok(c.first_seq())
    }

    /// A volunteer's self-service login: card and PIN. An unknown card is refused exactly like
    /// a wrong PIN (same error, same time); wrong PINs lock the card as they lock a staff id.
    pub fn volunteer_login(&self, card: &str, pin: &str) -> Result<VolunteerView, LoginError> {
        let Some(view) = CardNo::parse(card).ok().and_then(|c| self.find_card(&c).ok()) else {
            self.decoy_check(pin);
            return Err(LoginError::Wrong { remaining: None });
        };
        let v = &view.volunteer;
        self.guarded(&LoginSubject::Card(v.card.clone()), || {
            let Some(hash) = v.pin_hash.as_deref() else {
                // As slow as a wrong PIN: the kiosk shows one message for both, and the delay
                // must not tell which cards exist either.
                self.decoy_check(pin);
                return Err(LoginError::NoPin);
            };
            Ok(v.active && self.pin_matches(hash, pin))
        })?;
        Ok(view)
    }
}
