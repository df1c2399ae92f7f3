//! The ledger rules of the civic points (ARCHITECTURE.md §9), called by [`super::ledger::apply`]
//! for the points' kinds of entry: the same function in the commit, in `check`'s replay, in
//! restores and at the city service's door. Points live in records of their own
//! ([`PointsKey`]), so no rule of the hours reads or writes them, and none of these reads or
//! writes an hours account.

use super::entities::{RewardId, VolunteerId};
use super::event::{Event, EventKind};
use super::ledger_store::LedgerStore;
use super::points::{
    CouponBatch, CouponRef, MAX_BATCH_COUPONS, PointsAccount, PointsKey, PointsPrice, PointsRecord,
    ReviewStage, Standard, Verdict, VoidedRange, month_of, standard_in_force,
};
use super::refusal::PointsRule;
use super::refusal::{ApplyError, Rule};
use super::types::Day;
use super::{Points, Volunteer};

type Applied<E> = Result<(), ApplyError<E>>;

fn store<T, E>(r: Result<T, E>) -> Result<T, ApplyError<E>> {
    r.map_err(ApplyError::Store)
}

fn refuse<T, E>(rule: PointsRule) -> Result<T, ApplyError<E>> {
    Err(ApplyError::Rule(Rule::Points(rule)))
}

/// The person's points account (empty when they never had any).
pub fn account<S: LedgerStore>(s: &S, id: VolunteerId) -> Result<PointsAccount, S::Error> {
    Ok(match s.points(&PointsKey::Account(id))? {
        Some(PointsRecord::Account(a)) => a,
        _ => PointsAccount::default(),
    })
}

/// Whether the person was registered as a resident (points only) and not made a volunteer since.
pub fn is_resident<S: LedgerStore>(s: &S, id: VolunteerId) -> Result<bool, S::Error> {
    Ok(s.points(&PointsKey::Resident(id))?.is_some())
}

/// Every version of the standard ever published: (seq, effective day).
pub fn versions<S: LedgerStore>(s: &S) -> Result<Vec<(u64, Day)>, S::Error> {
    Ok(match s.points(&PointsKey::Versions)? {
        Some(PointsRecord::Versions(v)) => v,
        _ => Vec::new(),
    })
}

pub fn standard<S: LedgerStore>(s: &S, seq: u64) -> Result<Option<Standard>, S::Error> {
    Ok(match s.points(&PointsKey::Standard(seq))? {
        Some(PointsRecord::Standard(st)) => Some(st),
        _ => None,
    })
}

pub fn batch<S: LedgerStore>(s: &S, number: u32) -> Result<Option<CouponBatch>, S::Error> {
    Ok(match s.points(&PointsKey::Batch(number))? {
        Some(PointsRecord::Batch(b)) => Some(b),
        _ => None,
    })
}

pub fn last_batch<S: LedgerStore>(s: &S) -> Result<u32, S::Error> {
    Ok(match s.points(&PointsKey::LastBatch)? {
        Some(PointsRecord::Number(n)) => u32::try_from(n).unwrap_or(u32::MAX),
        _ => 0,
    })
}

/// The entry that credited a coupon, if one did.
pub fn coupon_use<S: LedgerStore>(s: &S, c: CouponRef) -> Result<Option<u64>, S::Error> {
    Ok(match s.points(&PointsKey::CouponUse(c.batch, c.serial))? {
        Some(PointsRecord::Number(seq)) => Some(seq),
        _ => None,
    })
}

pub fn review_stage<S: LedgerStore>(s: &S, credit: u64) -> Result<Option<ReviewStage>, S::Error> {
    Ok(match s.points(&PointsKey::Review(credit))? {
        Some(PointsRecord::Review(stage)) => Some(stage),
        _ => None,
    })
}

pub fn price<S: LedgerStore>(s: &S, reward: RewardId) -> Result<PointsPrice, S::Error> {
    Ok(match s.points(&PointsKey::Price(reward))? {
        Some(PointsRecord::Price(p)) => p,
        _ => PointsPrice { points: None, hours: true },
    })
}

fn total<S: LedgerStore>(s: &S, key: &PointsKey) -> Result<u32, S::Error> {
    Ok(match s.points(key)? {
        Some(PointsRecord::Total(n)) => n,
        _ => 0,
    })
}

/// A resident: one record, like a volunteer's, holding no phone or ID number (only the phone's
/// last digits, kept beside it). The same card index, so one card is one person for both units.
pub fn register_resident<S: LedgerStore>(
    s: &mut S,
    seq: u64,
    record: &Volunteer,
    phone_tail: &Option<String>,
) -> Applied<S::Error> {
    if store(s.volunteer_by_card(&record.card))?.is_some() {
        return Err(Rule::CardTaken(record.card.to_string()).into());
    }
    store(s.put_volunteer(seq, record, None))?;
    store(s.put_points(
        &PointsKey::Resident(seq),
        Some(&PointsRecord::Resident { phone_tail: phone_tail.clone() }),
    ))?;
    store(s.add_history(seq, seq))
}

/// A resident's record edited with a phone number becomes a volunteer's: hours may follow.
pub fn edited<S: LedgerStore>(s: &mut S, id: VolunteerId, record: &Volunteer) -> Applied<S::Error> {
    if record.phone.is_some() && store(is_resident(s, id))? {
        store(s.put_points(&PointsKey::Resident(id), None))?;
    }
    Ok(())
}

/// Hours are for volunteers: a resident holds points only until registered in full.
pub fn refuse_hours_for_resident<S: LedgerStore>(s: &S, id: VolunteerId) -> Applied<S::Error> {
    if store(is_resident(s, id))? {
        let card = store(s.volunteer(id))?.map(|v| v.card.to_string()).unwrap_or_else(|| id.to_string());
        return refuse(PointsRule::ResidentHoldsNoHours(card));
    }
    Ok(())
}

pub fn publish_standard<S: LedgerStore>(s: &mut S, seq: u64, standard: &Standard) -> Applied<S::Error> {
    standard.validate().map_err(Rule::Invalid)?;
    let mut all = store(versions(s))?;
    all.push((seq, standard.effective));
    store(s.put_points(&PointsKey::Versions, Some(&PointsRecord::Versions(all))))?;
    store(s.put_points(&PointsKey::Standard(seq), Some(&PointsRecord::Standard(standard.clone()))))
}

/// What a credit entry says.
pub struct Credit<'a> {
    pub person: VolunteerId,
    pub standard: u64,
    pub item: &'a str,
    pub points: Points,
    pub earned_on: Day,
    pub coupon: Option<CouponRef>,
    pub review: bool,
}

pub fn credit<S: LedgerStore>(s: &mut S, event: &Event, c: &Credit<'_>) -> Applied<S::Error> {
    let seq = event.body.seq;
    if !store(s.has_volunteer(c.person))? {
        return Err(Rule::UnknownVolunteer(c.person).into());
    }
    let in_force = store(versions(s))?;
    let Some(current) = standard_in_force(&in_force, c.earned_on) else {
        return refuse(PointsRule::NoStandard(c.earned_on.to_string()));
    };
    if current != c.standard {
        return refuse(PointsRule::NotInForce { cited: c.standard, in_force: current });
    }
    match c.coupon {
        Some(coupon) => take_coupon(s, event, c, coupon)?,
        None => {
            let st = store(standard(s, c.standard))?.ok_or(Rule::UnknownEntry(c.standard))?;
            let item =
                st.item(c.item).ok_or_else(|| Rule::Points(PointsRule::UnknownItem(c.item.to_string())))?;
            if c.points.get() == 0 || !c.points.get().is_multiple_of(item.points.get()) {
                return refuse(PointsRule::NotAMultiple { item: item.code.clone(), each: item.points });
            }
            if c.review != st.needs_review(item, c.points) {
                return refuse(PointsRule::ReviewFlag { item: item.code.clone(), review: !c.review });
            }
            let day = PointsKey::DayTotal(c.person, item.code.clone(), c.earned_on.ordinal());
            let month = PointsKey::MonthTotal(c.person, item.code.clone(), month_of(c.earned_on));
            let day_total = counted(s, &day, c.points, item.day_cap, &item.code, false)?;
            let month_total = counted(s, &month, c.points, item.month_cap, &item.code, true)?;
            store(s.put_points(&day, Some(&PointsRecord::Total(day_total))))?;
            store(s.put_points(&month, Some(&PointsRecord::Total(month_total))))?;
        }
    }
    if c.review {
        store(s.put_points(&PointsKey::Review(seq), Some(&PointsRecord::Review(ReviewStage::Waiting))))?;
        store(s.add_history(c.person, seq))
    } else {
        change(s, c.person, seq, |a| add(&mut a.credited, c.points))
    }
}

/// The period's total with `points` added, or the refusal naming the cap.
fn counted<S: LedgerStore>(
    s: &S,
    key: &PointsKey,
    points: Points,
    cap: Option<Points>,
    item: &str,
    month: bool,
) -> Result<u32, ApplyError<S::Error>> {
    let already = store(total(s, key))?;
    let after = already.checked_add(points.get()).ok_or(Rule::Overflow)?;
    match cap {
        Some(cap) if after > cap.get() => {
            refuse(PointsRule::OverCap { item: item.to_string(), month, already: Points::new(already), cap })
        }
        _ => Ok(after),
    }
}

fn uncount<S: LedgerStore>(
    s: &mut S,
    person: VolunteerId,
    item: &str,
    day: Day,
    points: Points,
) -> Applied<S::Error> {
    for key in [
        PointsKey::DayTotal(person, item.to_string(), day.ordinal()),
        PointsKey::MonthTotal(person, item.to_string(), month_of(day)),
    ] {
        let left = store(total(s, &key))?.saturating_sub(points.get());
        store(s.put_points(&key, (left > 0).then_some(&PointsRecord::Total(left))))?;
    }
    Ok(())
}

fn take_coupon<S: LedgerStore>(
    s: &mut S,
    event: &Event,
    c: &Credit<'_>,
    coupon: CouponRef,
) -> Applied<S::Error> {
    let b = store(batch(s, coupon.batch))?.ok_or(Rule::Points(PointsRule::UnknownBatch(coupon.batch)))?;
    let name = || format!("{}.{}.{}", b.counter, coupon.batch, coupon.serial);
    if coupon.serial == 0 || coupon.serial > b.count {
        return refuse(PointsRule::NotInBatch { coupon: name(), count: b.count });
    }
    if let Some(v) = b.voided(coupon.serial) {
        return refuse(PointsRule::CouponVoided { coupon: name(), reason: v.reason.clone(), seq: v.seq });
    }
    if let Some(first) = store(coupon_use(s, coupon))? {
        let at = store(s.entry(first))?.map(|e| e.body.at).unwrap_or(event.body.at);
        return refuse(PointsRule::CouponUsed { coupon: name(), seq: first, at });
    }
    if c.earned_on > b.expires {
        return refuse(PointsRule::CouponExpired { coupon: name(), expires: b.expires.to_string() });
    }
    if c.points != b.value || !c.item.eq_ignore_ascii_case(&b.item) || c.review {
        return refuse(PointsRule::NotTheBatchs { coupon: name(), value: b.value, item: b.item.clone() });
    }
    let seq = event.body.seq;
    store(s.put_points(&PointsKey::CouponUse(coupon.batch, coupon.serial), Some(&PointsRecord::Number(seq))))
}

pub fn review<S: LedgerStore>(
    s: &mut S,
    event: &Event,
    credit_seq: u64,
    verdict: Verdict,
) -> Applied<S::Error> {
    let stage = store(review_stage(s, credit_seq))?;
    let Some(EventKind::PointsCredited { person, item, points, earned_on, coupon, .. }) =
        store(s.entry(credit_seq))?.map(|e| e.body.kind)
    else {
        return refuse(PointsRule::NotWaiting(credit_seq));
    };
    let next = match (stage, verdict) {
        (Some(ReviewStage::Waiting), Verdict::Verified) => {
            ReviewStage::Verified { by: event.body.actor.to_string() }
        }
        (Some(ReviewStage::Verified { by }), Verdict::Approved) => {
            if by == event.body.actor.to_string() {
                return refuse(PointsRule::SameReviewer(credit_seq));
            }
            ReviewStage::Approved
        }
        (Some(ReviewStage::Waiting | ReviewStage::Verified { .. }), Verdict::Rejected) => {
            ReviewStage::Rejected
        }
        _ => return refuse(PointsRule::NotWaiting(credit_seq)),
    };
    let seq = event.body.seq;
    match next {
        ReviewStage::Approved => change(s, person, seq, |a| add(&mut a.credited, points))?,
        ReviewStage::Rejected => {
            if coupon.is_none() {
                uncount(s, person, &item, earned_on, points)?;
            }
            store(s.add_history(person, seq))?;
        }
        _ => store(s.add_history(person, seq))?,
    }
    store(s.put_points(&PointsKey::Review(credit_seq), Some(&PointsRecord::Review(next))))
}

pub struct Issue<'a> {
    pub batch: u32,
    pub item: &'a str,
    pub value: Points,
    pub count: u32,
    pub expires: Day,
    pub holder: &'a str,
}

pub fn issue<S: LedgerStore>(s: &mut S, event: &Event, i: &Issue<'_>) -> Applied<S::Error> {
    let last = store(last_batch(s))?;
    if i.batch != last.saturating_add(1) {
        return refuse(PointsRule::BatchNumber { given: i.batch, next: last.saturating_add(1) });
    }
    if i.count == 0
        || i.count > MAX_BATCH_COUPONS
        || i.value.get() == 0
        || i.value.get() > super::points::MAX_POINTS
    {
        return refuse(PointsRule::BatchSize);
    }
    super::points::item_code(i.item).map_err(Rule::Invalid)?;
    // A coupon's number names the counter that takes it by its code, which never changes.
    let Some(counter) = store(s.counter_code())? else { return refuse(PointsRule::NoCounterCode) };
    let b = CouponBatch {
        counter,
        item: i.item.to_string(),
        value: i.value,
        count: i.count,
        expires: i.expires,
        holder: i.holder.to_string(),
        issued: event.body.at,
        voided: Vec::new(),
    };
    store(s.put_points(&PointsKey::LastBatch, Some(&PointsRecord::Number(u64::from(i.batch)))))?;
    store(s.put_points(&PointsKey::Batch(i.batch), Some(&PointsRecord::Batch(b))))
}

pub fn void<S: LedgerStore>(
    s: &mut S,
    event: &Event,
    number: u32,
    first: u32,
    last: u32,
    reason: &str,
) -> Applied<S::Error> {
    let seq = event.body.seq;
    let mut b = store(batch(s, number))?.ok_or(Rule::Points(PointsRule::UnknownBatch(number)))?;
    if first == 0 || first > last || last > b.count {
        return refuse(PointsRule::NotInBatch {
            coupon: format!("{}.{number}.{first}-{last}", b.counter),
            count: b.count,
        });
    }
    for serial in first..=last {
        let c = CouponRef { batch: number, serial };
        if let Some(used) = store(coupon_use(s, c))? {
            let at = store(s.entry(used))?.map(|e| e.body.at).unwrap_or(event.body.at);
            return refuse(PointsRule::CouponUsed {
                coupon: format!("{}.{number}.{serial}", b.counter),
                seq: used,
                at,
            });
        }
        if let Some(v) = b.voided(serial) {
            return refuse(PointsRule::CouponVoided {
                coupon: format!("{}.{number}.{serial}", b.counter),
                reason: v.reason.clone(),
                seq: v.seq,
            });
        }
    }
    b.voided.push(VoidedRange { first, last, reason: reason.to_string(), seq });
    store(s.put_points(&PointsKey::Batch(number), Some(&PointsRecord::Batch(b))))
}

pub fn set_price<S: LedgerStore>(s: &mut S, reward: RewardId, price: &PointsPrice) -> Applied<S::Error> {
    store(s.reward(reward))?.ok_or_else(|| Rule::UnknownReward(reward.to_string()))?;
    if price.points.is_none() && !price.hours {
        return refuse(PointsRule::NoPrice);
    }
    store(s.put_points(&PointsKey::Price(reward), Some(&PointsRecord::Price(*price))))
}

/// A redemption for hours of a reward offered for points only is refused.
pub fn refuse_hours_price<S: LedgerStore>(s: &S, reward: RewardId, name: &str) -> Applied<S::Error> {
    if !store(price(s, reward))?.hours {
        return refuse(PointsRule::NotForHours(name.to_string()));
    }
    Ok(())
}

pub fn redeem<S: LedgerStore>(
    s: &mut S,
    seq: u64,
    person: VolunteerId,
    reward: RewardId,
    qty: u32,
    points: Points,
) -> Applied<S::Error> {
    if !store(s.has_volunteer(person))? {
        return Err(Rule::UnknownVolunteer(person).into());
    }
    let r = store(s.reward(reward))?.ok_or_else(|| Rule::UnknownReward(reward.to_string()))?;
    if !r.active {
        return Err(Rule::RewardRetired(r.name.to_string()).into());
    }
    let Some(each) = store(price(s, reward))?.points else {
        return refuse(PointsRule::NotForPoints(r.name.to_string()));
    };
    let expected = each.checked_mul(qty).ok_or(Rule::Overflow)?;
    if qty == 0 || points != expected {
        return refuse(PointsRule::WrongPrice { reward: r.name.to_string(), expected });
    }
    if r.limited {
        let stock = store(s.stock(reward))?;
        let left = stock.checked_sub(qty).ok_or_else(|| Rule::InsufficientStock {
            reward: r.name.to_string(),
            stock,
            needed: qty,
        })?;
        store(s.put_stock(reward, left))?;
    }
    change(s, person, seq, |a| add(&mut a.spent, points))
}

/// Reverses a points entry (`target`, already known reversible and not reversed).
pub fn reverse<S: LedgerStore>(s: &mut S, seq: u64, target: u64, kind: &EventKind) -> Applied<S::Error> {
    match kind {
        EventKind::PointsCredited { person, item, points, earned_on, coupon, review, .. } => {
            if *review {
                match store(review_stage(s, target))? {
                    Some(ReviewStage::Approved) => {}
                    Some(ReviewStage::Rejected) => return Err(Rule::NotReversible(target).into()),
                    _ => return refuse(PointsRule::WaitsForReview(target)),
                }
            }
            let taken = change(s, *person, seq, |a| sub(&mut a.credited, *points));
            if let Err(ApplyError::Rule(Rule::Points(PointsRule::InsufficientPoints { balance, needed }))) =
                taken
            {
                return refuse(PointsRule::ReversalSpent { target, balance, needed });
            }
            taken?;
            match coupon {
                // The coupon may be credited again, to the right person.
                Some(c) => store(s.put_points(&PointsKey::CouponUse(c.batch, c.serial), None)),
                None => uncount(s, *person, item, *earned_on, *points),
            }
        }
        EventKind::PointsRedeemed { person, reward, qty, points } => {
            let r = store(s.reward(*reward))?.ok_or_else(|| Rule::UnknownReward(reward.to_string()))?;
            if r.limited {
                let stock = store(s.stock(*reward))?.checked_add(*qty).ok_or(Rule::Overflow)?;
                store(s.put_stock(*reward, stock))?;
            }
            change(s, *person, seq, |a| sub(&mut a.spent, *points))
        }
        _ => Err(Rule::NotReversible(target).into()),
    }
}

/// Whether an admin keeps this counter's scheme to its own community.
pub fn kept_local<S: LedgerStore>(s: &S) -> Result<bool, S::Error> {
    Ok(matches!(s.points(&PointsKey::KeptLocal)?, Some(PointsRecord::Number(1))))
}

pub fn keep_local<S: LedgerStore>(s: &mut S, local: bool) -> Applied<S::Error> {
    store(s.put_points(&PointsKey::KeptLocal, Some(&PointsRecord::Number(u64::from(local)))))
}

/// Points handed to the cards' city pools: they leave this counter's share, which never goes
/// below zero, so a counter never hands over points it does not hold. A scheme kept local
/// hands over nothing.
pub fn release<S: LedgerStore>(s: &mut S, seq: u64, lines: &[(VolunteerId, Points)]) -> Applied<S::Error> {
    if store(kept_local(s))? {
        return refuse(PointsRule::KeptLocal);
    }
    for (person, points) in lines {
        store(s.volunteer(*person))?.ok_or(Rule::UnknownVolunteer(*person))?;
        change(s, *person, seq, |a| add(&mut a.spent, *points))?;
    }
    Ok(())
}

/// Points the city pool granted: journalled once, city-wide by the grant's id (the city
/// service checks the grant is this counter's, for that card and those points).
pub fn granted<S: LedgerStore>(
    s: &mut S,
    seq: u64,
    person: VolunteerId,
    points: Points,
    grant: &str,
) -> Applied<S::Error> {
    if store(kept_local(s))? {
        return refuse(PointsRule::KeptLocal);
    }
    store(s.volunteer(person))?.ok_or(Rule::UnknownVolunteer(person))?;
    let key = PointsKey::Grant(grant.to_string());
    if let Some(PointsRecord::Number(by)) = store(s.points(&key))? {
        return Err(Rule::GrantJournalled { grant: grant.to_string(), seq: by }.into());
    }
    store(s.put_points(&key, Some(&PointsRecord::Number(seq))))?;
    change(s, person, seq, |a| add(&mut a.credited, points))
}

fn add(total: &mut u64, p: Points) -> Option<()> {
    *total = total.checked_add(u64::from(p.get()))?;
    Some(())
}

fn sub(total: &mut u64, p: Points) -> Option<()> {
    *total = total.checked_sub(u64::from(p.get()))?;
    Some(())
}

/// Changes one points account, refusing a balance below zero; the entry joins the person's history.
fn change<S: LedgerStore>(
    s: &mut S,
    id: VolunteerId,
    seq: u64,
    edit: impl FnOnce(&mut PointsAccount) -> Option<()>,
) -> Applied<S::Error> {
    let before = store(account(s, id))?;
    let mut after = before;
    if edit(&mut after).is_none() {
        return Err(Rule::Overflow.into());
    }
    if after.checked_balance().is_none() {
        let needed = (after.spent - before.spent).max(before.credited.saturating_sub(after.credited));
        return refuse(PointsRule::InsufficientPoints { balance: before.balance(), needed });
    }
    store(s.put_points(&PointsKey::Account(id), Some(&PointsRecord::Account(after))))?;
    store(s.add_history(id, seq))
}
