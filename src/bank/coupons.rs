//! Coupons (积分券) at the counter that issues them (ARCHITECTURE.md §9): a batch issued with
//! its printed numbers, a coupon credited once after its check code is verified with this
//! counter's key, ranges voided, and what is still outstanding — the scheme's liability.

use super::plan::{card_owner, read};
use super::points::{in_force, points_rule};
use super::{Bank, BankError, Need, require};
use crate::domain::points::{CouponBatch, PointsKey, PointsRecord, item_code, tag};
use crate::domain::points_ledger as ledger;
use crate::domain::{
    Actor, CardNo, CouponNumber, CouponRef, Day, Event, EventKind, Points, PointsRule, Rule,
};

/// A coupon batch as issued, with every coupon's printed number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedBatch {
    pub batch: u32,
    pub record: CouponBatch,
    pub numbers: Vec<CouponNumber>,
}

impl Bank {
    /// Credits a coupon handed in by the card's holder. A number whose check code this counter's
    /// key does not give is refused before anything is read; a coupon of another counter is
    /// refused naming where it is taken.
    pub fn take_coupon(
        &self,
        who: &Actor,
        op: Option<&str>,
        card: &CardNo,
        number: &str,
    ) -> Result<Event, BankError> {
        let number = CouponNumber::parse(number)?;
        let here = self.counter_code()?;
        if here.as_ref().is_none_or(|code| !number.counter.eq_ignore_ascii_case(code.as_str())) {
            // Its check code is not this counter's to verify: the counter named takes it.
            return Err(Rule::Points(PointsRule::CouponElsewhere {
                coupon: number.to_string(),
                counter: number.counter.clone(),
            })
            .into());
        }
        if !number.verifies(&self.coupon_key()) {
            return Err(Rule::Points(PointsRule::CouponForged(number.to_string())).into());
        }
        let today = self.today();
        let coupon = number.coupon;
        let c = self.run(who, op, "take_coupon", &(card, number.to_string()), |view| {
            require(view, who, Need::Staff, "credit points")?;
            let (person, _) = card_owner(view, card, true)?;
            let b = read(ledger::batch(view, coupon.batch))?
                .ok_or_else(|| points_rule(PointsRule::UnknownBatch(coupon.batch)))?;
            let (standard, _) = in_force(view, today)?;
            Ok(vec![
                EventKind::PointsCredited {
                    person,
                    standard,
                    item: b.item.clone(),
                    points: b.value,
                    earned_on: today,
                    coupon: Some(coupon),
                    review: false,
                    note: String::new(),
                }
                .into(),
            ])
        })?;
        super::ops::first(c)
    }

    /// Issues the next batch of `count` coupons worth `value` each (the item's points when
    /// `None`), for the item of the standard in force today.
    pub fn issue_coupons(
        &self,
        who: &Actor,
        item: &str,
        value: Option<Points>,
        count: u32,
        expires: Day,
        holder: &str,
    ) -> Result<IssuedBatch, BankError> {
        let item = item_code(item)?;
        let holder = crate::domain::parse_text(holder, crate::domain::MAX_NAME_CHARS)?;
        let today = self.today();
        if expires < today {
            return Err(Rule::PastCourseDate(expires.to_string()).into());
        }
        let c = self.run(who, None, "issue_coupons", &(), |view| {
            require(view, who, Need::Admin, "issue coupons")?;
            let (_, st) = in_force(view, today)?;
            let found = st.item(&item).ok_or_else(|| points_rule(PointsRule::UnknownItem(item.clone())))?;
            let batch = read(ledger::last_batch(view))?.saturating_add(1);
            Ok(vec![
                EventKind::CouponsIssued {
                    batch,
                    item: found.code.clone(),
                    value: value.unwrap_or(found.points),
                    count,
                    expires,
                    holder: holder.clone(),
                }
                .into(),
            ])
        })?;
        let EventKind::CouponsIssued { batch, .. } = super::ops::first(c)?.body.kind else {
            return Err(Rule::UnknownEntry(0).into());
        };
        self.coupon_batch(batch)?.ok_or_else(|| Rule::Points(PointsRule::UnknownBatch(batch)).into())
    }

    /// A batch as issued here, with its coupons' numbers (for the printed sheet).
    pub fn coupon_batch(&self, batch: u32) -> Result<Option<IssuedBatch>, BankError> {
        let Some(PointsRecord::Batch(record)) = self.points_record(&PointsKey::Batch(batch))? else {
            return Ok(None);
        };
        let key = self.coupon_key();
        let numbers = (1..=record.count)
            .map(|serial| CouponNumber::new(&key, &record.counter, CouponRef { batch, serial }))
            .collect();
        Ok(Some(IssuedBatch { batch, record, numbers }))
    }

    /// Every batch issued here with how many of its coupons were credited: (batch, record, used).
    pub fn coupon_batches(&self) -> Result<Vec<(u32, CouponBatch, u32)>, BankError> {
        let mut batches = Vec::new();
        for item in self.store.points_records_tagged(tag::BATCH) {
            let (key, record) = item?;
            if let (PointsRecord::Batch(b), Some(n)) = (record, PointsKey::id_in(&key)) {
                batches.push((u32::try_from(n).unwrap_or(0), b));
            }
        }
        let mut used: std::collections::HashMap<u32, u32> = Default::default();
        for item in self.store.points_records_tagged(tag::COUPON_USE) {
            let (key, _) = item?;
            if let Some(packed) = PointsKey::id_in(&key) {
                *used.entry(u32::try_from(packed >> 32).unwrap_or(0)).or_default() += 1;
            }
        }
        Ok(batches.into_iter().map(|(n, b)| (n, b, used.get(&n).copied().unwrap_or(0))).collect())
    }

    pub fn void_coupons(
        &self,
        who: &Actor,
        batch: u32,
        first: u32,
        last: u32,
        reason: &str,
    ) -> Result<Event, BankError> {
        let reason = crate::domain::parse_reason(reason)?;
        let c = self.run(who, None, "void_coupons", &(), |view| {
            require(view, who, Need::Admin, "void coupons")?;
            Ok(vec![EventKind::CouponsVoided { batch, first, last, reason: reason.clone() }.into()])
        })?;
        super::ops::first(c)
    }

    /// Coupons issued here and still outstanding — neither credited, voided nor expired — and
    /// their points: the scheme's liability.
    pub fn outstanding_coupons(&self) -> Result<(u64, u64), BankError> {
        let today = self.today();
        let mut out = (0u64, 0u64);
        for (_, b, used) in self.coupon_batches()? {
            let open = u64::from(b.outstanding(used, today));
            out.0 += open;
            out.1 += open * u64::from(b.value.get());
        }
        Ok(out)
    }
}
