//! Pure types and rules of the hour bank. No IO lives here: storage plugs in through
//! [`ledger::LedgerStore`], so the same rules run in a sled transaction and in a replay.

pub mod entities;
pub mod event;
pub mod ledger;
pub mod ledger_store;
pub mod login;
pub mod minutes;
pub mod movement;
pub mod points;
pub mod points_ledger;
pub mod privacy;
pub mod refusal;
pub mod rules;
pub mod shift;
pub mod types;
pub mod validate;

pub use entities::*;
pub use event::*;
pub use ledger::{ApplyError, LedgerStore, NameKind, Rule};
pub use login::{LoginAttempts, check_staff_pin, check_volunteer_pin};
pub use minutes::{Minutes, format_hours};
pub use movement::{Moved, Movement, movements};
pub use points::{CouponNumber, CouponRef, Points, PointsAccount, Standard, StandardItem, Verdict};
pub use refusal::PointsRule;
pub use rules::{Flow, Lot, Rounding, Rules, expiring, expiring_flows, flow, money_lines};
pub use shift::{ReviewReason, Shift, ShiftOutcome, ShiftRules, ShiftState};
pub use types::*;

/// A value that cannot be built because it breaks a validation rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("card number {0:?} must be 1–32 letters, digits or '-'")]
    CardNo(String),
    #[error("staff id {0:?} must be 1–32 letters, digits, '-' or '_'")]
    StaffId(String),
    #[error("counter code {0:?} must be 2–16 letters, digits or '-', starting with a letter or digit")]
    CounterCode(String),
    #[error("name must not be empty")]
    EmptyName,
    #[error("text {0:?}… contains control or invisible characters")]
    BadText(String),
    /// Says the limit, so a person knows how much to shorten.
    #[error("at most {max} characters ({found} given)")]
    TooLong { max: usize, found: usize },
    #[error(
        "phone {0:?} is not a phone number: give an 11-digit mobile (13…–19…), a landline such as 0750-3201234, or +country code"
    )]
    Phone(String),
    #[error("ID number must be 18 characters (17 digits and a digit or X) or 15 digits")]
    IdNumber,
    #[error("date {0:?} must look like 2026-11-29")]
    Date(String),
    #[error("duration {0:?} is not understood; try 2.5, 2h30m, 150m or 2小时30分")]
    Duration(String),
    #[error("the duration must be more than zero")]
    ZeroMinutes,
    #[error("{minutes} is over the per-entry cap of {cap}")]
    OverCap { minutes: Minutes, cap: Minutes },
    #[error("reward kind {0:?} must be gift, voucher or course")]
    RewardKind(String),
    #[error("a reason is required")]
    ReasonRequired,
    #[error("quantity must be 1–1000")]
    Quantity,
    #[error("PIN must be 4–12 digits")]
    Pin,
    #[error("a volunteer's PIN must be 4–6 digits")]
    VolunteerPin,
    #[error("rounding {0:?} must be none, 30m or 15m")]
    Rounding(String),
    #[error("expiry must be 1–240 months")]
    ExpiryMonths,
    #[error("multiplier of category {0:?} must be 1–500 % and listed once")]
    Multiplier(String),
    #[error("{0:?} is not a number of points: give a whole number from 1 to 100000")]
    Points(String),
    #[error("points standard: {0}")]
    Standard(String),
    #[error("{0:?} is not a coupon number (it looks like JH-A-01.3.42.K7Q2X)")]
    CouponNumber(String),
    #[error("{0:?}: give the phone's last 4 digits")]
    PhoneTail(String),
    #[error("{minutes} rounds down to nothing (the rounding unit is {unit} minutes)")]
    BelowRounding { minutes: Minutes, unit: u32 },
}
