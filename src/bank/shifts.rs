//! Check-in and check-out at the kiosk, and the staff's review of shifts that were too long or
//! ran past midnight. A shift that is credited gets an ordinary `Deposited` entry in the same
//! commit as its check-out (or approval), so balances, history, exports and reversals treat
//! shift hours like any other deposit.

use super::rules::shape_deposit;
use super::{Bank, BankError, Need, local_day, require};
use crate::domain::ledger::ApplyError;
use crate::domain::{
    ActivityId, Actor, Day, EventKind, LedgerStore, Minutes, Rule, Shift, ShiftOutcome, ShiftRules,
    ShiftState, VolunteerId,
};
use crate::store::{Committed, Pending};

/// What checking out did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOut {
    pub outcome: ShiftOutcome,
    pub committed: Committed,
}

/// A shift waiting for staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftInReview {
    pub seq: u64,
    pub shift: Shift,
    pub worked: Minutes,
}

/// An ended shift, for the community's daily evaluation (督导员日常管理考核).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedShift {
    /// The check-in's seq: what an evaluation names.
    pub seq: u64,
    pub shift: Shift,
    /// The latest score given, if any (a later evaluation replaces it in the assessment).
    pub score: Option<u8>,
}

impl Bank {
    /// Shifts that started in the last `days` days and have ended (checked out, approved or
    /// rejected), newest first, each with its latest score: what waits for the day's evaluation.
    pub fn shifts_to_evaluate(&self, days: i64) -> Result<Vec<EndedShift>, BankError> {
        let since = self.now().datetime() - chrono::Duration::days(days);
        let mut out = Vec::new();
        for item in self.store.shifts() {
            let (seq, shift) = item?;
            if shift.state == ShiftState::Closed && shift.started.datetime() >= since {
                out.push(EndedShift { seq, shift, score: None });
            }
        }
        // Scores come after their shifts' check-ins: the journal from the first of them.
        if let Some(first) = out.iter().map(|s| s.seq).min() {
            for event in self.store.journal_from(first) {
                if let EventKind::ShiftEvaluated { shift, score, .. } = event?.kind()
                    && let Some(ended) = out.iter_mut().find(|s| s.seq == *shift)
                {
                    ended.score = Some(*score);
                }
            }
        }
        out.sort_by_key(|s| std::cmp::Reverse(s.seq));
        Ok(out)
    }

    /// The volunteer's open shift (its check-in seq and record), if they are checked in.
    pub fn open_shift(&self, volunteer: VolunteerId) -> Result<Option<(u64, Shift)>, BankError> {
        let Some(seq) = self.store.open_shift(volunteer)? else { return Ok(None) };
        Ok(self.store.shift(seq)?.map(|s| (seq, s)))
    }

    /// A volunteer starts a shift at the kiosk.
    pub fn check_in(&self, volunteer: VolunteerId, activity: ActivityId) -> Result<Committed, BankError> {
        self.run(&Actor::SelfService, None, "check_in", &(volunteer, activity), |view| {
            super::rules::refuse_retired(view, activity)?;
            Ok(vec![Pending::from(EventKind::CheckedIn { volunteer, activity })])
        })
    }

    /// A volunteer ends their open shift: credited by `rules` (rounded, capped per day) and the
    /// bank's rules (multiplier, rounding, day and storage caps), or sent to review when it was
    /// too long, crossed midnight, or is over the approval threshold.
    pub fn check_out(&self, volunteer: VolunteerId, rules: &ShiftRules) -> Result<CheckOut, BankError> {
        let (seq, shift) = self.open_shift(volunteer)?.ok_or(Rule::NoOpenShift)?;
        let now = self.now();
        let worked_minutes =
            now.datetime().signed_duration_since(shift.started.datetime()).num_minutes().max(0);
        let worked = Minutes::new(u32::try_from(worked_minutes).map_err(|_| Rule::Overflow)?);
        let today = local_day(now);
        let bank_rules = self.rules()?;
        let mut shift_rules = *rules;
        if let Some(limit) = bank_rules.approval_over {
            shift_rules.review_over = shift_rules.review_over.min(limit);
        }
        let outcome = shift_rules.close(
            worked,
            local_day(shift.started),
            today,
            self.credited_today(volunteer, today)?,
        );
        let outcome = match outcome {
            ShiftOutcome::Credit { worked, credited } => {
                let category = self.store.activity(shift.activity)?.map(|a| a.category).unwrap_or_default();
                let credited = bank_rules.credit(credited, &category).unwrap_or(Minutes::ZERO);
                ShiftOutcome::Credit {
                    worked,
                    credited: self.room_for(volunteer, today, &bank_rules, credited)?,
                }
            }
            review => review,
        };
        let (credited, review) = match outcome {
            ShiftOutcome::Credit { credited, .. } => (credited, None),
            ShiftOutcome::Review { why, .. } => (Minutes::ZERO, Some(why)),
        };
        let committed = self.run(&Actor::SelfService, None, "check_out", &(volunteer, seq), |view| {
            // Checked again inside the transaction: a second kiosk press must not close twice.
            if view.open_shift(volunteer).map_err(ApplyError::Store)? != Some(seq) {
                return Err(ApplyError::Rule(Rule::NoOpenShift));
            }
            let mut events =
                vec![Pending::from(EventKind::CheckedOut { shift: seq, worked, credited, review })];
            if credited.get() > 0 {
                events.push(Pending::from(EventKind::Deposited {
                    volunteer,
                    activity: shift.activity,
                    minutes: credited,
                    served_on: local_day(shift.started),
                    note: format!("签到 #{seq}"),
                }));
            }
            Ok(events)
        })?;
        Ok(CheckOut { outcome, committed })
    }

    /// `credited` cut to what the day cap and the storage cap still allow, so a check-out is
    /// credited what fits rather than refused while the volunteer stands at the kiosk.
    fn room_for(
        &self,
        volunteer: VolunteerId,
        day: Day,
        rules: &crate::domain::Rules,
        credited: Minutes,
    ) -> Result<Minutes, BankError> {
        let mut room = credited.get();
        if let Some(cap) = rules.day_cap {
            room = room.min(cap.get().saturating_sub(self.store.day_total(volunteer, day)?));
        }
        if let Some(cap) = rules.storage_cap {
            let balance = self.store.account(volunteer)?.balance();
            let left = u64::from(cap.get()).saturating_sub(balance);
            // Room beyond what u32 holds leaves the credit as it is.
            room = u32::try_from(left).map_or(room, |left| room.min(left));
        }
        Ok(Minutes::new(room))
    }

    /// Minutes already credited for shifts checked out today (the daily cap counts these).
    fn credited_today(&self, volunteer: VolunteerId, today: Day) -> Result<Minutes, BankError> {
        let mut total = 0u32;
        for seq in self.store.history(volunteer)?.into_iter().rev() {
            let event = self.event(seq)?;
            if local_day(event.body.at) != today {
                break;
            }
            if let EventKind::CheckedOut { credited, .. } = event.kind() {
                total = total.saturating_add(credited.get());
            }
        }
        Ok(Minutes::new(total))
    }

    /// Shifts waiting for staff, oldest first.
    pub fn shifts_in_review(&self) -> Result<Vec<ShiftInReview>, BankError> {
        let mut out = Vec::new();
        for item in self.store.shifts() {
            let (seq, shift) = item?;
            if let ShiftState::InReview { worked } = shift.state {
                out.push(ShiftInReview { seq, shift, worked });
            }
        }
        Ok(out)
    }

    /// Staff approve a shift in review for `minutes` (deposited, dated the day it started), or
    /// with `None` reject it; a reason is required either way.
    pub fn review_shift(
        &self,
        who: &Actor,
        shift_seq: u64,
        approved: Option<Minutes>,
        reason: &str,
    ) -> Result<Committed, BankError> {
        let reason = crate::domain::parse_text(reason, crate::domain::MAX_NOTE_CHARS)?;
        if reason.trim().is_empty() {
            return Err(crate::domain::DomainError::ReasonRequired.into());
        }
        self.run(who, None, "review_shift", &(shift_seq, approved, &reason), |view| {
            require(view, who, Need::Staff, "review shifts")?;
            let shift =
                view.shift(shift_seq).map_err(ApplyError::Store)?.ok_or(Rule::NotInReview(shift_seq))?;
            let mut events = vec![Pending::from(EventKind::ShiftReviewed {
                shift: shift_seq,
                approved,
                reason: reason.clone(),
            })];
            if let Some(minutes) = approved {
                let minutes = shape_deposit(view, shift.activity, minutes)?;
                events.push(Pending::from(EventKind::Deposited {
                    volunteer: shift.volunteer,
                    activity: shift.activity,
                    minutes,
                    served_on: local_day(shift.started),
                    note: format!("签到 #{shift_seq}"),
                }));
            }
            Ok(events)
        })
    }

    /// The community's evaluation of an ended shift: a score out of 100 and a note (staff).
    pub fn evaluate_shift(
        &self,
        who: &Actor,
        shift_seq: u64,
        score: u8,
        note: &str,
    ) -> Result<u64, BankError> {
        let note = crate::domain::parse_text(note, crate::domain::MAX_NOTE_CHARS)?;
        let c = self.run(who, None, "evaluate_shift", &(shift_seq, score, &note), |view| {
            require(view, who, Need::Staff, "evaluate shifts")?;
            Ok(vec![Pending::from(EventKind::ShiftEvaluated { shift: shift_seq, score, note: note.clone() })])
        })?;
        Ok(c.first_seq())
    }
}
