//! Refusals and failures in the counter's language: every bank, domain and store error a
//! screen can show, mapped to its template in `zh.rs` / `en.rs`.

use crate::bank::BankError;
use crate::bank::LoginError;
use crate::bank::StoreError;
use crate::domain::DomainError;
use crate::domain::Rule;

use super::{Text, fill};

impl Text {
    /// A domain validation error in this language.
    pub fn domain_error(&self, e: &DomainError) -> String {
        match e {
            DomainError::CardNo(_) => self.err_card_format.into(),
            DomainError::StaffId(_) => self.err_staff_id.into(),
            DomainError::CounterCode(c) => fill(self.err_counter_code, &[c]),
            DomainError::EmptyName => self.err_empty_name.into(),
            DomainError::BadText(_) => self.err_bad_text.into(),
            DomainError::TooLong { max, found } => fill(self.err_too_long, &[max, found]),
            DomainError::Phone(_) => self.err_phone.into(),
            DomainError::IdNumber => self.err_id_number.into(),
            DomainError::Date(_) => self.err_date.into(),
            DomainError::Duration(_) => self.err_duration.into(),
            DomainError::ZeroMinutes => self.err_zero.into(),
            DomainError::OverCap { cap, .. } => fill(self.err_over_cap, &[&hours(*cap)]),
            DomainError::RewardKind(t) => t.clone(),
            DomainError::ReasonRequired => self.err_reason.into(),
            DomainError::Quantity => self.err_quantity.into(),
            DomainError::Pin => self.err_pin.into(),
            DomainError::VolunteerPin => self.err_volunteer_pin.into(),
            DomainError::Rounding(_) => self.err_rounding.into(),
            DomainError::ExpiryMonths => self.err_expiry_months.into(),
            DomainError::Multiplier(c) => fill(self.err_multiplier, &[c]),
            DomainError::BelowRounding { minutes, unit } => {
                fill(self.err_below_rounding, &[&hours(*minutes), unit])
            }
            DomainError::Points(_)
            | DomainError::Standard(_)
            | DomainError::CouponNumber(_)
            | DomainError::PhoneTail(_) => self.points.domain_error(e).unwrap_or_else(|| e.to_string()),
        }
    }

    /// A bank error in plain words: what happened and, where it helps, what to do.
    pub fn bank_error(&self, e: &BankError) -> String {
        match e {
            BankError::Rule(r) => self.rule(r),
            BankError::Store(s) => self.store_error(s),
        }
    }

    /// A spend short of hours, in words that say where the hours are and what would help.
    pub fn spend_error(&self, e: &crate::city::SpendError) -> String {
        use crate::city::SpendError as S;
        let h = |m: &u64| crate::domain::format_hours(*m);
        match e {
            S::Bank(b) => self.bank_error(b),
            S::Short { share, pool, needed, .. } => {
                fill(self.err_city_short, &[&h(share), &h(pool), &h(needed)])
            }
            S::Offline { share, city, needed, .. } => {
                fill(self.err_city_offline, &[&h(city), &h(share), &h(needed)])
            }
            S::NoCity { share, needed, .. } => fill(self.err_city_none, &[&h(share), &h(needed)]),
            S::Grant(crate::city::GrantError::InConflict { own, asked, .. }) => {
                fill(self.err_grant_in_conflict, &[&h(own), &h(asked)])
            }
            S::Grant(g) => g.to_string(),
            S::Behind => self.err_city_behind.into(),
            S::PointsShort { share, pool, needed, .. } => {
                fill(self.points.err_points_city_short, &[share, pool, needed])
            }
            S::PointsOffline { share, needed, .. } => {
                fill(self.points.err_points_city_offline, &[share, needed])
            }
        }
    }

    pub fn store_error(&self, e: &StoreError) -> String {
        match e {
            StoreError::Poisoned(_) | StoreError::Io { .. } | StoreError::Sled(_) => {
                fill(self.err_store_write, &[e])
            }
            _ => fill(self.err_store_other, &[e]),
        }
    }

    pub(super) fn rule(&self, r: &Rule) -> String {
        match r {
            Rule::UnknownCard(c) => fill(self.err_unknown_card, &[c]),
            Rule::CardTaken(c) => fill(self.err_card_taken, &[c]),
            Rule::VolunteerInactive(c) => fill(self.err_inactive, &[c]),
            Rule::UnknownActivity(a) => fill(self.err_unknown_activity, &[a]),
            Rule::UnknownReward(a) => fill(self.err_unknown_reward, &[a]),
            Rule::RewardRetired(a) => fill(self.err_reward_retired, &[a]),
            Rule::ActivityRetired(a) => fill(self.err_activity_retired, &[a]),
            Rule::DuplicateInBatch(c) => fill(self.err_duplicate_in_batch, &[c]),
            Rule::FutureDate(d) => fill(self.err_future_date, &[d]),
            Rule::PastCourseDate(d) => fill(self.err_past_course_date, &[d]),
            Rule::CounterCodeSet(c) => fill(self.err_counter_code_set, &[c]),
            Rule::RegistrationConflict { card, counters } => {
                fill(self.err_registration_conflict, &[card, counters])
            }
            Rule::CardInConflict { card, counters } => fill(self.err_card_in_conflict, &[card, counters]),
            Rule::NotInConflict(card) => fill(self.err_not_in_conflict, &[card]),
            Rule::AdminOnly(_) => self.err_admin_only.into(),
            Rule::NotPermitted(_) => self.err_not_permitted.into(),
            Rule::InsufficientBalance { balance, needed } => {
                fill(self.err_insufficient_balance, &[&hours(*balance), &hours(*needed)])
            }
            Rule::NotOwnEntry(target) => fill(self.err_not_own_entry, &[target]),
            Rule::ReversalSpent { target, balance, needed } => {
                fill(self.err_reversal_spent, &[target, &hours(*needed), &hours(*balance)])
            }
            Rule::InsufficientStock { reward, stock: 0, .. } => fill(self.err_out_of_stock, &[reward]),
            Rule::InsufficientStock { reward, stock, .. } => {
                fill(self.err_insufficient_stock, &[reward, stock])
            }
            Rule::AlreadyReversed { target, by } => fill(self.err_already_reversed, &[target, by]),
            Rule::NotReversible(seq) => fill(self.err_not_reversible, &[seq]),
            Rule::SelfTransfer => self.err_self_transfer.into(),
            Rule::OverTransferLimit { limit, .. } => fill(self.err_over_transfer_limit, &[&hours(*limit)]),
            Rule::StaffDisabled(id) => fill(self.err_staff_disabled, &[id]),
            Rule::ShiftOpen(seq) => fill(self.err_shift_open, &[seq]),
            Rule::NoOpenShift => self.err_no_open_shift.into(),
            Rule::NotInReview(seq) => fill(self.err_not_in_review, &[seq]),
            Rule::NotHeld(seq) => fill(self.err_not_held, &[seq]),
            Rule::OverDayCap { day, already, cap, .. } => {
                let left = crate::domain::Minutes::new(cap.get().saturating_sub(already.get()));
                fill(self.err_over_day_cap, &[day, &hours(*already), &hours(*cap), &hours(left)])
            }
            Rule::OverStorageCap { cap, .. } => fill(self.err_over_storage_cap, &[&hours(*cap)]),
            Rule::InsufficientPool { pool, needed } => {
                fill(self.err_insufficient_pool, &[&hours(*pool), &hours(*needed)])
            }
            Rule::Invalid(d) => self.domain_error(d),
            Rule::NotAShift(seq) => fill(self.points.err_not_a_shift, &[seq]),
            Rule::Points(p) => self.points.rule(p, |at| {
                at.datetime().with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string()
            }),
            other => other.to_string(),
        }
    }

    pub fn login_error(
        &self,
        e: &LoginError,
        local_time: impl Fn(crate::domain::Timestamp) -> String,
    ) -> String {
        match e {
            LoginError::Wrong { remaining: Some(1) } => self.login_wrong_one.into(),
            LoginError::Wrong { remaining: Some(n) } => fill(self.login_wrong_left, &[n]),
            LoginError::Wrong { remaining: None } => self.login_wrong.into(),
            LoginError::Locked { until } => fill(self.login_locked, &[&local_time(*until)]),
            LoginError::Disabled(id) => fill(self.login_disabled, &[id]),
            LoginError::NoPin => self.login_no_pin.into(),
            LoginError::Store(s) => self.store_error(s),
        }
    }
}

/// Minutes as a message shows them, beside the unit word: `6.5`, `1.25`.
fn hours(m: crate::domain::Minutes) -> String {
    crate::domain::format_hours(u64::from(m.get()))
}
