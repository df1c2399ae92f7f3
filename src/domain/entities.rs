//! The things the bank keeps records of. Ids of volunteers, activities and rewards are the `seq`
//! of the journal event that created them: unique, ordered, and needing no counter of their own.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::types::{CardNo, Day, IdNumber, Name, Phone};
use super::{DomainError, Minutes};

pub type VolunteerId = u64;
pub type ActivityId = u64;
pub type RewardId = u64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volunteer {
    pub card: CardNo,
    pub name: Name,
    pub phone: Option<Phone>,
    pub community: String,
    pub registered_on: Day,
    pub id_number: Option<IdNumber>,
    pub active: bool,
    /// Argon2id PHC string of the self-service PIN, if one was set.
    pub pin_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub name: Name,
    pub category: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RewardKind {
    Gift,
    Voucher,
    Course,
}

impl RewardKind {
    pub fn parse(text: &str) -> Result<RewardKind, DomainError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "gift" | "礼品" => Ok(RewardKind::Gift),
            "voucher" | "代金券" | "券" => Ok(RewardKind::Voucher),
            "course" | "课程" | "培训" => Ok(RewardKind::Course),
            _ => Err(DomainError::RewardKind(text.trim().chars().take(20).collect())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RewardKind::Gift => "gift",
            RewardKind::Voucher => "voucher",
            RewardKind::Course => "course",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reward {
    pub name: Name,
    pub kind: RewardKind,
    /// Price of one unit.
    pub cost: Minutes,
    /// `true` when stock (or course seats) is counted; `false` for unlimited items.
    pub limited: bool,
    pub course_date: Option<Day>,
    pub merchant: String,
    pub active: bool,
}

/// A staff login id as printed on the badge: ASCII letters, digits, `-` and `_`, 1–32 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct StaffId(String);

impl StaffId {
    pub fn parse(text: &str) -> Result<StaffId, DomainError> {
        let t = text.trim();
        let ok = !t.is_empty()
            && t.len() <= 32
            && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(DomainError::StaffId(t.chars().take(40).collect()));
        }
        Ok(StaffId(t.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StaffId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Staff,
    Admin,
    /// Counter staff who also verify civic points waiting for review (社工).
    Verifier,
    /// Counter staff who also approve or reject verified civic points (社区党组织).
    Approver,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    pub id: StaffId,
    pub name: Name,
    pub role: Role,
    /// Argon2id PHC string; the PIN itself is never stored.
    pub pin_hash: String,
    pub disabled: bool,
}

/// Bank-wide rules an admin can change. Defaults are what a new counter starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Largest single deposit, transfer or adjustment.
    pub entry_cap: Minutes,
    /// Largest single transfer between volunteers.
    pub transfer_limit: Minutes,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { entry_cap: Minutes::from_hours(24), transfer_limit: Minutes::from_hours(10) }
    }
}

/// Running totals of one volunteer, all in minutes. The balance is derived, never stored apart,
/// so it cannot disagree with the totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Account {
    /// Deposits, net of reversed deposits.
    pub earned: u64,
    /// Redemptions, net of reversed redemptions.
    pub redeemed: u64,
    /// Hours gifted to this volunteer by others, and granted from the donation pool.
    pub received: u64,
    /// Hours this volunteer gifted to others, and donated to the pool.
    pub given: u64,
    pub adjusted_in: u64,
    pub adjusted_out: u64,
    /// Hours handed to the card's city pool at syncs (ARCHITECTURE.md §8): they left this counter's
    /// share and can be spent at any counter online.
    pub to_city: u64,
    /// Hours the city pool granted to this counter's share for this volunteer.
    pub from_city: u64,
}

impl Account {
    pub fn credits(&self) -> u64 {
        self.earned
            .saturating_add(self.received)
            .saturating_add(self.adjusted_in)
            .saturating_add(self.from_city)
    }

    pub fn debits(&self) -> u64 {
        self.redeemed
            .saturating_add(self.given)
            .saturating_add(self.adjusted_out)
            .saturating_add(self.to_city)
    }

    /// `None` only if the account broke the never-negative rule (which `apply` prevents).
    pub fn checked_balance(&self) -> Option<u64> {
        self.credits().checked_sub(self.debits())
    }

    pub fn balance(&self) -> u64 {
        self.checked_balance().unwrap_or(0)
    }

    /// The totals the balance is made of, credits first, each with whether it adds: every
    /// screen that explains a balance shows these, so its figures add up to it.
    pub fn parts(&self) -> [(AccountPart, u64); 8] {
        use AccountPart::*;
        [
            (Earned, self.earned),
            (Received, self.received),
            (AdjustedIn, self.adjusted_in),
            (FromCity, self.from_city),
            (Redeemed, self.redeemed),
            (Given, self.given),
            (AdjustedOut, self.adjusted_out),
            (ToCity, self.to_city),
        ]
    }

    /// The balance without the hours moved between this counter and the city pool: what the
    /// volunteer's own entries here add up to. Summed over every counter it is the city balance
    /// (the pool's hours are counted once, at the counter whose entries earned them).
    pub fn entries_balance(&self) -> i64 {
        let signed = |m: u64| i64::try_from(m).unwrap_or(i64::MAX);
        signed(self.balance()) + signed(self.to_city) - signed(self.from_city)
    }
}

/// One of an account's totals (see [`Account::parts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountPart {
    Earned,
    /// Gifts from other volunteers and grants from the donation pool.
    Received,
    AdjustedIn,
    Redeemed,
    /// Gifts to other volunteers and donations to the pool.
    Given,
    /// Corrections and expired hours.
    AdjustedOut,
    /// Granted to this counter from the card's city pool.
    FromCity,
    /// Handed to the card's city pool at a sync.
    ToCity,
}

impl AccountPart {
    pub fn adds(self) -> bool {
        matches!(
            self,
            AccountPart::Earned | AccountPart::Received | AccountPart::AdjustedIn | AccountPart::FromCity
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            AccountPart::Earned => "earned",
            AccountPart::Received => "received",
            AccountPart::AdjustedIn => "adjusted in",
            AccountPart::Redeemed => "redeemed",
            AccountPart::Given => "given",
            AccountPart::AdjustedOut => "adjusted out/expired",
            AccountPart::FromCity => "from the city pool",
            AccountPart::ToCity => "to the city pool",
        }
    }
}

/// The bank's donation pool (爱心池): hours volunteers gave to it and hours admins granted from
/// it to people in need. Like an account, its balance is derived and never below zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DonationPool {
    /// Donations, net of reversed donations.
    pub donated: u64,
    /// Grants, net of reversed grants.
    pub granted: u64,
}

impl DonationPool {
    pub fn checked_balance(&self) -> Option<u64> {
        self.donated.checked_sub(self.granted)
    }

    pub fn balance(&self) -> u64 {
        self.checked_balance().unwrap_or(0)
    }
}

/// Hours of service (earned, net of reversals) that reach each star: 100, 300, 600, 1000, 1500.
pub const STAR_HOURS: [u64; 5] = [100, 300, 600, 1000, 1500];

/// A volunteer's star level, 0–5, from the minutes they have earned by service (in a city, at
/// every counter). Redeeming does not take stars away: they honour the service, not the balance.
pub fn star_level(earned: u64) -> u8 {
    let hours = earned / 60;
    STAR_HOURS.iter().take_while(|&&h| hours >= h).count() as u8
}

#[cfg(test)]
mod star_tests {
    use super::*;

    #[test]
    fn stars_follow_earned_hours_at_each_threshold() {
        let level = |hours: u64, minus: u64| star_level(hours * 60 - minus);
        assert_eq!(level(1, 60), 0);
        assert_eq!(level(100, 1), 0);
        assert_eq!(level(100, 0), 1);
        assert_eq!(level(300, 0), 2);
        assert_eq!(level(599, 0), 2);
        assert_eq!(level(600, 0), 3);
        assert_eq!(level(1000, 0), 4);
        assert_eq!(level(1500, 0), 5);
        assert_eq!(level(99_999, 0), 5);
    }
}
