//! The rules an admin sets on how hours are credited: rounding, caps, approval, storage cap,
//! expiry and per-category multipliers. Pure functions of numbers and dates; `ledger::apply`
//! enforces the caps inside every commit and the bank shapes each deposit with [`Rules::credit`].
//! [`Rules::default`] changes nothing, so a bank that never sets rules behaves as before.

use chrono::Months;
use serde::{Deserialize, Serialize};

use super::{DomainError, Minutes, types::Day};

/// How a deposit's minutes are rounded: always down, like a shift's worked time, so a rule
/// can never credit time nobody served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Rounding {
    #[default]
    None,
    HalfHour,
    QuarterHour,
}

impl Rounding {
    pub fn unit(self) -> u32 {
        match self {
            Rounding::None => 1,
            Rounding::HalfHour => 30,
            Rounding::QuarterHour => 15,
        }
    }

    pub fn round(self, m: Minutes) -> Minutes {
        let unit = self.unit();
        Minutes::new(m.get() / unit * unit)
    }

    pub fn parse(text: &str) -> Result<Rounding, DomainError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" | "无" | "0" => Ok(Rounding::None),
            "0.5h" | "30m" | "30" | "half-hour" | "半小时" => Ok(Rounding::HalfHour),
            "15m" | "15" | "quarter-hour" | "一刻钟" => Ok(Rounding::QuarterHour),
            other => Err(DomainError::Rounding(other.chars().take(20).collect())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Rounding::None => "none",
            Rounding::HalfHour => "30m",
            Rounding::QuarterHour => "15m",
        }
    }
}

/// Highest multiplier an admin may set, in percent (5×): a typo of 1500 for 150 is refused.
pub const MAX_MULTIPLIER_PERCENT: u16 = 500;
/// Longest expiry period, in months.
pub const MAX_EXPIRY_MONTHS: u16 = 240;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Rules {
    pub rounding: Rounding,
    /// Most minutes one volunteer may be credited for one service day, all deposits together.
    pub day_cap: Option<Minutes>,
    /// Deposits of more than this wait for an admin's approval (unless an admin records them).
    pub approval_over: Option<Minutes>,
    /// Most a balance may hold; a credit that would pass it is refused, and a volunteer at the
    /// cap can still donate (transfer) or redeem.
    pub storage_cap: Option<Minutes>,
    /// Credited hours not spent within this many months expire, oldest first.
    pub expiry_months: Option<u16>,
    /// Hour multipliers by activity category, in percent (150 = 1.5×); unlisted categories 100.
    pub multipliers: Vec<(String, u16)>,
}

impl Rules {
    /// Refuses rules that cannot be meant: zero caps, multipliers of 0 or over 5×, expiry past
    /// twenty years, a category listed twice.
    pub fn validate(&self) -> Result<(), DomainError> {
        let zero = |m: Option<Minutes>| m.is_some_and(|m| m.get() == 0);
        if zero(self.day_cap) || zero(self.approval_over) || zero(self.storage_cap) {
            return Err(DomainError::ZeroMinutes);
        }
        if self.expiry_months.is_some_and(|m| m == 0 || m > MAX_EXPIRY_MONTHS) {
            return Err(DomainError::ExpiryMonths);
        }
        let mut seen = std::collections::HashSet::new();
        for (category, percent) in &self.multipliers {
            if !(1..=MAX_MULTIPLIER_PERCENT).contains(percent) || !seen.insert(category.as_str()) {
                return Err(DomainError::Multiplier(category.chars().take(20).collect()));
            }
        }
        Ok(())
    }

    /// The multiplier of a category, in percent. An activity with no category has none (100):
    /// a multiplier an older version let be set for the empty category is not applied.
    pub fn multiplier(&self, category: &str) -> u16 {
        if category.trim().is_empty() {
            return 100;
        }
        self.multipliers.iter().find(|(c, _)| c == category).map_or(100, |(_, p)| *p)
    }

    /// The minutes a deposit of `served` minutes in `category` credits: multiplied, then rounded
    /// down. Refused when nothing is left after rounding, so a deposit never silently becomes 0.
    pub fn credit(&self, served: Minutes, category: &str) -> Result<Minutes, DomainError> {
        if served.get() == 0 {
            return Err(DomainError::ZeroMinutes);
        }
        let scaled = u64::from(served.get()) * u64::from(self.multiplier(category)) / 100;
        let scaled = Minutes::new(u32::try_from(scaled).map_err(|_| DomainError::ZeroMinutes)?);
        let credited = self.rounding.round(scaled);
        if credited.get() == 0 {
            return Err(DomainError::BelowRounding { minutes: served, unit: self.rounding.unit() });
        }
        Ok(credited)
    }

    /// Whether a deposit of `minutes` waits for an admin.
    pub fn needs_approval(&self, minutes: Minutes) -> bool {
        self.approval_over.is_some_and(|limit| minutes > limit)
    }

    /// Hours credited before this day expire if unspent, when expiry is on.
    pub fn expiry_cutoff(&self, today: Day) -> Option<Day> {
        let months = self.expiry_months?;
        let date = today.date().checked_sub_months(Months::new(u32::from(months)))?;
        Some(Day::from_date(date))
    }
}

/// A credit to a balance and the day it counts from for expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lot {
    pub day: Day,
    pub minutes: u64,
}

/// Minutes that expire on a balance whose credits are `lots` (net of reversals) and whose
/// debits, earlier expiries included, total `debits`. Debits use the oldest hours first (FIFO),
/// so what expires is whatever of the credits before `cutoff` the debits have not used up.
/// Running it again after the expiry is recorded (as a debit) gives 0.
pub fn expiring(lots: &[Lot], debits: u64, cutoff: Day) -> u64 {
    let old: u64 = lots.iter().filter(|l| l.day < cutoff).map(|l| l.minutes).sum();
    old.saturating_sub(debits)
}

/// How an entry moves one volunteer's balance, for expiry: a credit and the day its hours
/// count from (the day served for deposits, the day recorded otherwise), or a debit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Credit(Lot),
    Debit(u64),
}

/// The flow of `kind` for `volunteer`, recorded on `recorded_on`; `None` for entries that do
/// not move hours (and for reversals: the caller leaves out reversed entries instead).
pub fn flow(volunteer: u64, kind: &super::EventKind, recorded_on: Day) -> Option<Flow> {
    // A transfer's sender comes first in its movements: asked for the sender, the debit.
    let moved = super::movements(kind).into_iter().find(|m| m.volunteer == volunteer)?;
    let minutes = u64::from(moved.minutes.get());
    if !moved.movement.adds() {
        return Some(Flow::Debit(minutes));
    }
    // Hours served are dated the day of the service; every other credit (a transfer, a
    // grant from either pool, an adjustment) the day it was recorded, like a gift.
    let day = match kind {
        super::EventKind::Deposited { served_on, .. } => *served_on,
        _ => recorded_on,
    };
    Some(Flow::Credit(Lot { day, minutes }))
}

/// The volunteers entry `seq` of `kind` moves hours for, each with the signed minutes (a
/// registration is a line of 0, so reports can count newcomers). A reversal is left to the
/// caller: its lines are its target's, negated.
pub fn money_lines(seq: u64, kind: &super::EventKind) -> Vec<(u64, i64)> {
    if let super::EventKind::VolunteerRegistered(_) = kind {
        return vec![(seq, 0)];
    }
    super::movements(kind).into_iter().map(|m| (m.volunteer, m.signed_minutes())).collect()
}

/// [`expiring`] over a volunteer's flows.
pub fn expiring_flows(flows: impl IntoIterator<Item = Flow>, cutoff: Day) -> u64 {
    let mut lots = Vec::new();
    let mut debits = 0u64;
    for f in flows {
        match f {
            Flow::Credit(lot) => lots.push(lot),
            Flow::Debit(m) => debits = debits.saturating_add(m),
        }
    }
    expiring(&lots, debits, cutoff)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        Day::parse(s).expect("test date")
    }

    #[test]
    fn defaults_change_nothing() {
        let r = Rules::default();
        assert_eq!(r.validate(), Ok(()));
        for m in [1, 7, 29, 151, 1440] {
            assert_eq!(r.credit(Minutes::new(m), "any"), Ok(Minutes::new(m)));
            assert!(!r.needs_approval(Minutes::new(m)));
        }
        assert_eq!(r.expiry_cutoff(day("2026-11-29")), None);
    }

    #[test]
    fn rounding_is_down_and_never_to_zero() {
        let r = Rules { rounding: Rounding::HalfHour, ..Rules::default() };
        assert_eq!(r.credit(Minutes::new(89), ""), Ok(Minutes::new(60)));
        assert_eq!(r.credit(Minutes::new(90), ""), Ok(Minutes::new(90)));
        assert!(r.credit(Minutes::new(29), "").is_err());
        let q = Rules { rounding: Rounding::QuarterHour, ..Rules::default() };
        assert_eq!(q.credit(Minutes::new(44), ""), Ok(Minutes::new(30)));
    }

    #[test]
    fn multipliers_apply_before_rounding_and_only_to_their_category() {
        let r = Rules {
            rounding: Rounding::QuarterHour,
            multipliers: vec![("助老".into(), 150)],
            ..Rules::default()
        };
        assert_eq!(r.credit(Minutes::new(60), "助老"), Ok(Minutes::new(90)));
        assert_eq!(r.credit(Minutes::new(50), "助老"), Ok(Minutes::new(75)));
        assert_eq!(r.credit(Minutes::new(50), "环保"), Ok(Minutes::new(45)));
        let twice = Rules { multipliers: vec![("a".into(), 150), ("a".into(), 200)], ..Rules::default() };
        assert!(twice.validate().is_err());
        assert!(Rules { multipliers: vec![("a".into(), 0)], ..Rules::default() }.validate().is_err());
    }

    /// Issue 25 (10): a multiplier an older version let be set for the empty category (from an
    /// activity with none) applied to every uncategorised activity; it applies to none.
    #[test]
    fn a_multiplier_of_no_category_applies_to_no_activity() {
        let r = Rules { multipliers: vec![("".into(), 200), ("助老".into(), 150)], ..Rules::default() };
        assert_eq!(r.credit(Minutes::new(60), ""), Ok(Minutes::new(60)));
        assert_eq!(r.credit(Minutes::new(60), "  "), Ok(Minutes::new(60)));
        assert_eq!(r.credit(Minutes::new(60), "助老"), Ok(Minutes::new(90)));
    }

    #[test]
    fn expiry_takes_what_fifo_debits_left_of_old_lots() {
        let lots = [
            Lot { day: day("2024-01-10"), minutes: 120 },
            Lot { day: day("2024-06-01"), minutes: 60 },
            Lot { day: day("2026-01-01"), minutes: 300 },
        ];
        let r = Rules { expiry_months: Some(24), ..Rules::default() };
        let cutoff = r.expiry_cutoff(day("2026-11-29")).expect("expiry on");
        assert_eq!(cutoff, day("2024-11-29"));
        assert_eq!(expiring(&lots, 0, cutoff), 180);
        assert_eq!(expiring(&lots, 100, cutoff), 80);
        assert_eq!(expiring(&lots, 180, cutoff), 0);
        assert_eq!(expiring(&lots, 80 + 100, cutoff), 0, "a second run after expiring 80 finds nothing");
    }
}
