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

    /// Makes the decoy PIN hash now, on a background thread, so the first unknown id or card
    /// costs one PIN check like every other (built on demand it cost two: 0.1–0.15 s). The
    /// counter calls this at start; a one-shot command never needs it.
    pub fn warm_login(&self) {
        let (decoy, pepper) = (self.decoy.clone(), self.pepper.clone());
        std::thread::spawn(move || {
            decoy.get_or_init(|| pepper.hash("0000").unwrap_or_default());
        });
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
        let refusal = match check() {
            Ok(true) => None,
            Ok(false) => Some(None),
            // A card without a PIN counts like a wrong PIN, so it locks like any other card.
            Err(LoginError::NoPin) => Some(Some(LoginError::NoPin)),
            Err(e) => return Err(e),
        };
        if let Some(why) = refusal {
            let after = attempts.failed(now);
            self.store.set_login_attempts(subject, &after)?;
            return Err(match (after.locked_at(now), why) {
                (Some(until), _) => LoginError::Locked { until },
                (None, Some(why)) => why,
                (None, None) => LoginError::Wrong { remaining: Some(after.remaining()) },
            });
        }
        if attempts != Default::default() {
            self.store.set_login_attempts(subject, &Default::default())?;
        }
        Ok(())
    }

    /// Checks a staff id and PIN. An unknown id is refused like a wrong PIN, after as long, and
    /// its wrong tries are counted and lock it the same way: neither the words ("4 tries
    /// left"), the time nor a lock tells which ids exist.
    pub fn login(&self, id: &str, pin: &str) -> Result<Staff, LoginError> {
        let Ok(id) = StaffId::parse(id) else {
            // Not an id at all, so it cannot exist: nothing to hide, nothing to count.
            self.decoy_check(pin);
            return Err(LoginError::Wrong { remaining: None });
        };
        let staff = self.store.staff(&id)?;
        self.guarded(&LoginSubject::Staff(id), || {
            Ok(match &staff {
                Some(s) => self.pin_matches(&s.pin_hash, pin),
                None => {
                    self.decoy_check(pin);
                    false
                }
            })
        })?;
        let Some(staff) = staff else { return Err(LoginError::Wrong { remaining: None }) };
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

    /// Until when staff member `id` is locked out by wrong PINs (`None`: not locked now): the
    /// admin's staff list says so, and `u` unlocks.
    pub fn staff_locked_until(&self, id: &StaffId) -> Result<Option<Timestamp>, BankError> {
        let attempts = self.store.login_attempts(&LoginSubject::Staff(id.clone()))?;
        Ok(attempts.locked_at(self.now()))
    }

    /// A volunteer's self-service login: card and PIN. An unknown card, a card without a PIN,
    /// an inactive card and a wrong PIN cost the same one PIN check and count the same: five in
    /// a row lock the card typed, whether or not it exists, so a lock tells a guesser nothing.
    pub fn volunteer_login(&self, card: &str, pin: &str) -> Result<VolunteerView, LoginError> {
        let Ok(card) = CardNo::parse(card) else {
            self.decoy_check(pin);
            return Err(LoginError::Wrong { remaining: None });
        };
        let view = self.find_card(&card).ok();
        self.guarded(&LoginSubject::Card(card), || {
            let Some(view) = &view else {
                self.decoy_check(pin);
                return Ok(false);
            };
            let Some(hash) = view.volunteer.pin_hash.as_deref() else {
                self.decoy_check(pin);
                return Err(LoginError::NoPin);
            };
            // The PIN is checked first, so an inactive card costs the same time.
            let matches = self.pin_matches(hash, pin);
            Ok(matches && view.volunteer.active)
        })?;
        view.ok_or(LoginError::Wrong { remaining: None })
    }
}
