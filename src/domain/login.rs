//! Staff login throttling: after five wrong PINs in a row a staff id is locked for five
//! minutes. Pure rules; the store keeps the record so the lock survives a restart.

use serde::{Deserialize, Serialize};

use super::{DomainError, Timestamp};

fn digits(pin: &str, lengths: std::ops::RangeInclusive<usize>) -> bool {
    lengths.contains(&pin.len()) && pin.chars().all(|c| c.is_ascii_digit())
}

/// A staff PIN: 4–12 digits.
pub fn check_staff_pin(pin: &str) -> Result<(), DomainError> {
    if digits(pin, 4..=12) { Ok(()) } else { Err(DomainError::Pin) }
}

/// A volunteer's self-service PIN: 4–6 digits, short enough for the kiosk's keypad.
pub fn check_volunteer_pin(pin: &str) -> Result<(), DomainError> {
    if digits(pin, 4..=6) { Ok(()) } else { Err(DomainError::VolunteerPin) }
}

/// Wrong PINs in a row that lock a staff id.
pub const MAX_FAILURES: u8 = 5;
/// How long a lock lasts, in seconds.
pub const LOCK_SECONDS: i64 = 15 * 60;

/// Failed attempts since the last success, and the end of the current lock if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LoginAttempts {
    pub failures: u8,
    pub locked_until: Option<Timestamp>,
}

impl LoginAttempts {
    /// The end of the lock, if the id is locked at `now`.
    pub fn locked_at(&self, now: Timestamp) -> Option<Timestamp> {
        self.locked_until.filter(|until| now < *until)
    }

    /// The record after one more wrong PIN at `now`. The fifth locks the id and starts a new
    /// count, so the first wrong PIN after the lock ends does not lock it again at once.
    pub fn failed(self, now: Timestamp) -> LoginAttempts {
        let failures = self.failures.saturating_add(1);
        if failures >= MAX_FAILURES {
            LoginAttempts { failures: 0, locked_until: Some(now.plus_seconds(LOCK_SECONDS)) }
        } else {
            LoginAttempts { failures, locked_until: self.locked_until }
        }
    }

    /// Wrong PINs still allowed before the lock.
    pub fn remaining(&self) -> u8 {
        MAX_FAILURES.saturating_sub(self.failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fifth_wrong_pin_locks_for_five_minutes_then_the_count_starts_again() {
        let t0 = Timestamp::from_micros(1_000_000);
        let mut a = LoginAttempts::default();
        for n in 1..MAX_FAILURES {
            a = a.failed(t0);
            assert_eq!(a.failures, n);
            assert_eq!(a.locked_at(t0), None);
        }
        assert_eq!(a.remaining(), 1);
        a = a.failed(t0);
        let until = a.locked_at(t0).expect("locked");
        assert_eq!(until, t0.plus_seconds(LOCK_SECONDS));
        assert!(a.locked_at(t0.plus_seconds(LOCK_SECONDS - 1)).is_some());
        assert_eq!(a.locked_at(t0.plus_seconds(LOCK_SECONDS)), None);
        assert_eq!(a.remaining(), MAX_FAILURES);
    }
}
