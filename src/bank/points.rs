//! The civic points' operations (ARCHITECTURE.md §9): residents, the standard, credits by item,
//! the two-step review, prices in points and redemptions (coupons: `coupons.rs`). Each
//! commits through `Bank::run` like every operation, so the ledger's points rules
//! (`domain::points_ledger`) run in the commit and the entry is flushed before it returns.

use serde::Serialize;

use super::plan::{PlanResult, card_owner, read, rule};
use super::{Bank, BankError, Need, require};
use crate::domain::points::{
    PointsKey, PointsPrice, PointsRecord, ReviewStage, item_code, standard_in_force, tag,
};
use crate::domain::points_ledger as ledger;
use crate::domain::{
    Actor, CardNo, Day, Event, EventKind, Name, Points, PointsAccount, PointsRule, RewardId, Rule, Standard,
    Verdict, Volunteer, VolunteerId,
};

/// A resident's registration: lighter than a volunteer's (no phone or ID number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResidentForm {
    pub card: CardNo,
    pub name: Name,
    pub community: String,
    /// The phone's last 4 digits, to find them by.
    pub phone_tail: Option<String>,
}

/// One person's points as a screen or `points balance` shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PointsView {
    pub card: String,
    pub name: String,
    pub resident: bool,
    pub balance: u64,
    pub credited: u64,
    pub spent: u64,
    /// Points of credits still waiting for review (not in the balance).
    pub waiting: u64,
    /// The person's points across the city, at a counter that has taken the city's directory
    /// (`balance` is then this counter's share of them).
    pub city: Option<super::CityPoints>,
}

impl PointsView {
    /// Whether a page shows the person's points: a resident always; anyone else once they have
    /// had points here or anywhere in the city.
    pub fn worth_showing(&self) -> bool {
        self.resident || self.credited > 0 || self.waiting > 0 || self.city.is_some_and(|c| c.total() > 0)
    }
}

/// A credit for an item of the standard, as staff give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointsCredit {
    pub card: CardNo,
    /// The item's code.
    pub item: String,
    /// How many occurrences (the credit is the item's points times this).
    pub times: u32,
    /// When it was earned; today when `None`.
    pub earned_on: Option<Day>,
    pub note: String,
}

/// A credit waiting for a review step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitingCredit {
    pub seq: u64,
    pub card: String,
    pub name: String,
    pub item: String,
    pub points: u32,
    pub earned_on: String,
    /// `true` once verified: it waits for an approver; `false`: for a verifier.
    pub verified: bool,
    pub note: String,
}

/// The version of the standard in force on `day`, as the commit's transaction reads it: its
/// number and what it says, or the refusal that none is.
pub(super) fn in_force(view: &crate::store::TxView<'_>, day: Day) -> PlanResult<(u64, Standard)> {
    let versions = read(ledger::versions(view))?;
    let seq = standard_in_force(&versions, day)
        .ok_or_else(|| points_rule(PointsRule::NoStandard(day.to_string())))?;
    let st = read(ledger::standard(view, seq))?.ok_or_else(|| rule(Rule::UnknownEntry(seq)))?;
    Ok((seq, st))
}

pub(super) fn points_rule(r: PointsRule) -> crate::domain::ledger::ApplyError<crate::store::TxFail> {
    rule(Rule::Points(r))
}

impl Bank {
    /// The key of this counter's coupon check codes.
    pub(super) fn coupon_key(&self) -> [u8; 32] {
        self.pepper.coupon_key()
    }

    pub(super) fn points_record(&self, key: &PointsKey) -> Result<Option<PointsRecord>, BankError> {
        Ok(self.store.points_record(key)?)
    }

    pub fn register_resident(
        &self,
        who: &Actor,
        op: Option<&str>,
        form: &ResidentForm,
    ) -> Result<Event, BankError> {
        let record = Volunteer {
            card: form.card.clone(),
            name: form.name.clone(),
            phone: None,
            community: crate::domain::parse_text(&form.community, crate::domain::MAX_NAME_CHARS)?,
            registered_on: self.today(),
            id_number: None,
            active: true,
            pin_hash: None,
        };
        let c = self.run(who, op, "register_resident", form, |view| {
            require(view, who, Need::Staff, "register residents")?;
            Ok(vec![
                EventKind::ResidentRegistered { record: record.clone(), phone_tail: form.phone_tail.clone() }
                    .into(),
            ])
        })?;
        super::ops::first(c)
    }

    /// Publishes a version of the standard; returns its number (the entry's seq).
    pub fn publish_standard(&self, who: &Actor, standard: &Standard) -> Result<u64, BankError> {
        standard.validate()?;
        let c = self.run(who, None, "publish_standard", &(), |view| {
            require(view, who, Need::Admin, "publish the points standard")?;
            Ok(vec![EventKind::StandardPublished(standard.clone()).into()])
        })?;
        Ok(super::ops::first(c)?.seq())
    }

    /// The version of the standard in force on `day`: its number and what it says.
    pub fn standard_on(&self, day: Day) -> Result<Option<(u64, Standard)>, BankError> {
        let versions = match self.points_record(&PointsKey::Versions)? {
            Some(PointsRecord::Versions(v)) => v,
            _ => Vec::new(),
        };
        let Some(seq) = standard_in_force(&versions, day) else { return Ok(None) };
        match self.points_record(&PointsKey::Standard(seq))? {
            Some(PointsRecord::Standard(st)) => Ok(Some((seq, st))),
            _ => Ok(None),
        }
    }

    /// Credits `times` occurrences of a standard item to the card, earned on `earned_on` (today
    /// when `None`). A credit the standard flags waits for review; the entry says so.
    pub fn credit_points(
        &self,
        who: &Actor,
        op: Option<&str>,
        credit: &PointsCredit,
    ) -> Result<Event, BankError> {
        let PointsCredit { card, item, times, earned_on, note } = credit;
        let times = *times;
        let item = item_code(item)?;
        let today = self.today();
        let earned_on = earned_on.unwrap_or(today);
        if earned_on > today {
            return Err(Rule::FutureDate(earned_on.to_string()).into());
        }
        let note = crate::domain::parse_text(note, crate::domain::MAX_NOTE_CHARS)?;
        let request = (card, &item, times, earned_on, &note);
        let c = self.run(who, op, "credit_points", &request, |view| {
            require(view, who, Need::Staff, "credit points")?;
            let (person, _) = card_owner(view, card, true)?;
            let (standard, st) = in_force(view, earned_on)?;
            let found = st.item(&item).ok_or_else(|| points_rule(PointsRule::UnknownItem(item.clone())))?;
            let points = found.points.checked_mul(times.max(1)).ok_or_else(|| rule(Rule::Overflow))?;
            if times == 0 {
                return Err(rule(Rule::Invalid(crate::domain::DomainError::Quantity)));
            }
            let review = st.needs_review(found, points);
            Ok(vec![
                EventKind::PointsCredited {
                    person,
                    standard,
                    item: found.code.clone(),
                    points,
                    earned_on,
                    coupon: None,
                    review,
                    note: note.clone(),
                }
                .into(),
            ])
        })?;
        super::ops::first(c)
    }

    /// A review step on credit `credit`: a verifier verifies (or rejects), then an approver —
    /// another person — approves or rejects. A rejection needs a reason.
    pub fn review_points(
        &self,
        who: &Actor,
        credit: u64,
        verdict: Verdict,
        reason: &str,
    ) -> Result<Event, BankError> {
        let reason = match verdict {
            Verdict::Rejected => crate::domain::parse_reason(reason)?,
            _ => crate::domain::parse_text(reason, crate::domain::MAX_NOTE_CHARS)?,
        };
        let c = self.run(who, None, "review_points", &(), |view| {
            let stage = read(ledger::review_stage(view, credit))?;
            let need = match (verdict, stage) {
                (Verdict::Verified, _) | (Verdict::Rejected, Some(ReviewStage::Waiting)) => Need::Verifier,
                _ => Need::Approver,
            };
            require(view, who, need, "review points")?;
            Ok(vec![EventKind::PointsReviewed { credit, verdict, reason: reason.clone() }.into()])
        })?;
        super::ops::first(c)
    }

    /// Credits waiting for a review step, oldest first.
    pub fn points_waiting(&self) -> Result<Vec<WaitingCredit>, BankError> {
        let mut out = Vec::new();
        for (seq, verified, credit) in self.waiting_credits()? {
            let EventKind::PointsCredited { person, item, points, earned_on, note, .. } = credit else {
                continue;
            };
            let v = self.store.volunteer(person)?;
            out.push(WaitingCredit {
                seq,
                card: v.as_ref().map(|v| v.card.to_string()).unwrap_or_default(),
                name: v.map(|v| v.name.to_string()).unwrap_or_default(),
                item,
                points: points.get(),
                earned_on: earned_on.to_string(),
                verified,
                note,
            });
        }
        Ok(out)
    }

    /// The credits waiting for a step — (seq, verified, the credit's entry) — read from the
    /// review records alone.
    fn waiting_credits(&self) -> Result<Vec<(u64, bool, EventKind)>, BankError> {
        let mut out = Vec::new();
        for item in self.store.points_records_tagged(tag::REVIEW) {
            let (key, record) = item?;
            let verified = match record {
                PointsRecord::Review(ReviewStage::Waiting) => false,
                PointsRecord::Review(ReviewStage::Verified { .. }) => true,
                _ => continue,
            };
            let Some(seq) = PointsKey::id_in(&key) else { continue };
            out.push((seq, verified, self.event(seq)?.body.kind));
        }
        Ok(out)
    }

    /// Prices a reward in points (or, with `None`, stops), and says whether it stays offered for hours.
    pub fn price_in_points(
        &self,
        who: &Actor,
        reward: RewardId,
        points: Option<Points>,
        hours: bool,
    ) -> Result<Event, BankError> {
        let price = PointsPrice { points, hours };
        let c = self.run(who, None, "price_in_points", &(), |view| {
            require(view, who, Need::Admin, "price rewards")?;
            Ok(vec![EventKind::RewardPointsPriced { reward, price }.into()])
        })?;
        super::ops::first(c)
    }

    pub fn points_price(&self, reward: RewardId) -> Result<PointsPrice, BankError> {
        Ok(match self.points_record(&PointsKey::Price(reward))? {
            Some(PointsRecord::Price(p)) => p,
            _ => PointsPrice { points: None, hours: true },
        })
    }

    /// Spends the card's points on `qty` of a reward priced in points.
    pub fn redeem_points(
        &self,
        who: &Actor,
        op: Option<&str>,
        card: &CardNo,
        reward: RewardId,
        qty: u32,
    ) -> Result<Event, BankError> {
        let c = self.redeem_points_funded(who, op, card, reward, qty, None)?;
        c.events.into_iter().last().ok_or_else(|| Rule::UnknownEntry(0).into())
    }

    /// [`Bank::redeem_points`] spending, with this counter's share, the points the card's city
    /// pool granted (`grant`, journalled first in the same commit).
    pub fn redeem_points_funded(
        &self,
        who: &Actor,
        op: Option<&str>,
        card: &CardNo,
        reward: RewardId,
        qty: u32,
        grant: Option<&super::PointsGrant>,
    ) -> Result<super::Committed, BankError> {
        if !(1..=1000).contains(&qty) {
            return Err(crate::domain::DomainError::Quantity.into());
        }
        let c = self.run(who, op, "redeem_points", &(card, reward, qty), |view| {
            require(view, who, Need::Staff, "redeem rewards")?;
            let mut events = super::points_city::points_funding(view, grant)?;
            let (person, _) = card_owner(view, card, true)?;
            let r = read(crate::domain::LedgerStore::reward(view, reward))?
                .ok_or_else(|| rule(Rule::UnknownReward(reward.to_string())))?;
            let each = read(ledger::price(view, reward))?
                .points
                .ok_or_else(|| points_rule(PointsRule::NotForPoints(r.name.to_string())))?;
            let points = each.checked_mul(qty).ok_or_else(|| rule(Rule::Overflow))?;
            events.push(EventKind::PointsRedeemed { person, reward, qty, points }.into());
            Ok(events)
        })?;
        Ok(c)
    }

    /// The card's points: balance, totals, what waits for review.
    pub fn points_of(&self, card: &CardNo) -> Result<PointsView, BankError> {
        let id = self.store.volunteer_id_by_card(card)?.ok_or_else(|| Rule::UnknownCard(card.to_string()))?;
        let v = self.store.volunteer(id)?.ok_or(Rule::UnknownVolunteer(id))?;
        let account = self.points_account(id)?;
        // Every page and kiosk that opens asks: only the review records are read, and no
        // other person's record.
        let waiting = self
            .waiting_credits()?
            .iter()
            .filter_map(|(_, _, credit)| match credit {
                EventKind::PointsCredited { person, points, .. } if *person == id => {
                    Some(u64::from(points.get()))
                }
                _ => None,
            })
            .sum();
        Ok(PointsView {
            card: v.card.to_string(),
            name: v.name.to_string(),
            resident: self.points_record(&PointsKey::Resident(id))?.is_some(),
            balance: account.balance(),
            credited: account.credited,
            spent: account.spent,
            waiting,
            city: self.city_points(card)?,
        })
    }

    pub fn points_account(&self, id: VolunteerId) -> Result<PointsAccount, BankError> {
        Ok(match self.points_record(&PointsKey::Account(id))? {
            Some(PointsRecord::Account(a)) => a,
            _ => PointsAccount::default(),
        })
    }

    /// Residents' phone tails by their id, for the search index.
    pub(super) fn resident_phone_tails(
        &self,
    ) -> Result<std::collections::HashMap<VolunteerId, String>, BankError> {
        let mut out = std::collections::HashMap::new();
        for item in self.store.points_records_tagged(tag::RESIDENT) {
            let (key, record) = item?;
            if let PointsRecord::Resident { phone_tail: Some(tail) } = record
                && let Some(id) = PointsKey::id_in(&key)
            {
                out.insert(id, tail);
            }
        }
        Ok(out)
    }
}
