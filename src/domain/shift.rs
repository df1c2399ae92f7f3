//! Shift work at the kiosk: a volunteer checks in to an activity and later checks out. The
//! worked time is rounded down by the rule, capped per day and deposited — unless the shift was
//! too long or ran past midnight, when it waits for staff to approve (with an edited duration)
//! or reject it. Pure rules; the bank supplies the clock and the local days.

use serde::{Deserialize, Serialize};

use super::{ActivityId, Day, Minutes, Timestamp, VolunteerId};

/// One shift, from its check-in; kept under the check-in's seq.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    pub volunteer: VolunteerId,
    pub activity: ActivityId,
    pub started: Timestamp,
    pub state: ShiftState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShiftState {
    /// Checked in, not yet out.
    Open,
    /// Checked out, waiting for staff: `worked` is the time the clock measured.
    InReview { worked: Minutes },
    /// Deposited at check-out, or approved or rejected by staff.
    Closed,
}

/// The counter's rule for shifts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShiftRules {
    /// Worked time is rounded down to a multiple of this (30 minutes: down to 0.5 h).
    pub round_to: Minutes,
    /// Most a volunteer is credited for shifts on one day.
    pub daily_cap: Minutes,
    /// A shift longer than this goes to review instead of being deposited.
    pub review_over: Minutes,
}

impl Default for ShiftRules {
    fn default() -> Self {
        ShiftRules {
            round_to: Minutes::new(30),
            daily_cap: Minutes::from_hours(8),
            review_over: Minutes::from_hours(8),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewReason {
    TooLong,
    PastMidnight,
}

/// What checking out does with a shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShiftOutcome {
    /// Deposit `credited` (possibly zero: under the rounding step, or the day's cap reached).
    Credit {
        worked: Minutes,
        credited: Minutes,
    },
    Review {
        worked: Minutes,
        why: ReviewReason,
    },
}

impl ShiftRules {
    /// The outcome of a shift that started on local day `started_on` and ended on `ended_on`
    /// after `worked` minutes, when `credited_today` is already credited for shifts that day.
    pub fn close(
        &self,
        worked: Minutes,
        started_on: Day,
        ended_on: Day,
        credited_today: Minutes,
    ) -> ShiftOutcome {
        if started_on != ended_on {
            return ShiftOutcome::Review { worked, why: ReviewReason::PastMidnight };
        }
        if worked.get() > self.review_over.get() {
            return ShiftOutcome::Review { worked, why: ReviewReason::TooLong };
        }
        let step = self.round_to.get().max(1);
        let rounded = worked.get() / step * step;
        let room = self.daily_cap.get().saturating_sub(credited_today.get());
        ShiftOutcome::Credit { worked, credited: Minutes::new(rounded.min(room)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> Day {
        Day::from_date(chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap())
    }

    #[test]
    fn rounds_down_caps_the_day_and_sends_long_or_overnight_shifts_to_review() {
        let rules = ShiftRules::default();
        let credit = |worked: u32, today: u32| match rules.close(
            Minutes::new(worked),
            day(29),
            day(29),
            Minutes::new(today),
        ) {
            ShiftOutcome::Credit { credited, .. } => credited.get(),
            other => panic!("{other:?}"),
        };
        assert_eq!(credit(29, 0), 0, "under half an hour credits nothing");
        assert_eq!(credit(30, 0), 30);
        assert_eq!(credit(59, 0), 30);
        assert_eq!(credit(191, 0), 180, "3 h 11 min -> 3 h");
        assert_eq!(credit(480, 0), 480, "exactly the threshold is deposited");
        assert_eq!(credit(240, 300), 180, "the day's cap: 8 h - 5 h already");
        assert_eq!(credit(240, 480), 0);
        assert_eq!(
            rules.close(Minutes::new(481), day(29), day(29), Minutes::new(0)),
            ShiftOutcome::Review { worked: Minutes::new(481), why: ReviewReason::TooLong }
        );
        assert_eq!(
            rules.close(Minutes::new(60), day(28), day(29), Minutes::new(0)),
            ShiftOutcome::Review { worked: Minutes::new(60), why: ReviewReason::PastMidnight }
        );
        let hourly = ShiftRules { round_to: Minutes::new(60), ..rules };
        assert!(matches!(
            hourly.close(Minutes::new(119), day(29), day(29), Minutes::new(0)),
            ShiftOutcome::Credit { credited, .. } if credited.get() == 60
        ));
    }
}
