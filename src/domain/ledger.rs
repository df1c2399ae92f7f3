//! The ledger's invariants as one function, [`apply`], over an abstract store. The bank runs it
//! inside the sled transaction that commits an event; `check` runs it again over an in-memory
//! store while replaying the journal. One implementation, so the two can never disagree.

use super::Minutes;
use super::entities::{Account, DonationPool, Reward, RewardId, Volunteer, VolunteerId};
use super::event::LoginSubject;
use super::event::{Actor, Event, EventKind};
use super::points_ledger as points;
use super::rules::Rules;
use super::shift::{Shift, ShiftState};
use super::types::Day;

pub use super::ledger_store::{LedgerStore, NameKind};
pub use super::refusal::{ApplyError, Rule};

type Applied<E> = Result<(), ApplyError<E>>;

fn store<T, E>(r: Result<T, E>) -> Result<T, ApplyError<E>> {
    r.map_err(ApplyError::Store)
}

/// Applies one event to the projections, or refuses it if it would break an invariant
/// (ARCHITECTURE.md §4): no negative balance or stock, one reversal per entry and none of a reversal,
/// unique card numbers and catalog names, and every reference pointing at something that exists.
pub fn apply<S: LedgerStore>(s: &mut S, event: &Event) -> Applied<S::Error> {
    let seq = event.body.seq;
    if let Actor::Staff(id) = &event.body.actor
        && !store(s.has_staff(id))?
    {
        return Err(Rule::UnknownStaff(id.to_string()).into());
    }
    match &event.body.kind {
        EventKind::CounterInitialized { name } => {
            if store(s.counter_name())?.is_some() {
                return Err(Rule::AlreadyInitialized.into());
            }
            store(s.put_counter_name(name.as_str()))
        }
        EventKind::SettingsChanged(settings) => store(s.put_settings(settings)),
        EventKind::StaffAdded(staff) => {
            if store(s.staff(&staff.id))?.is_some() {
                return Err(Rule::StaffExists(staff.id.to_string()).into());
            }
            store(s.put_staff(staff))
        }
        EventKind::StaffDisabled { id } => {
            let mut staff = store(s.staff(id))?.ok_or_else(|| Rule::UnknownStaff(id.to_string()))?;
            staff.disabled = true;
            store(s.put_staff(&staff))
        }
        EventKind::VolunteerRegistered(v) => {
            if store(s.volunteer_by_card(&v.card))?.is_some() {
                return Err(Rule::CardTaken(v.card.to_string()).into());
            }
            store(s.put_volunteer(seq, v, None))?;
            store(s.add_history(seq, seq))
        }
        EventKind::VolunteerEdited { id, record } => {
            let old = volunteer(s, *id)?;
            if old.card != record.card && store(s.volunteer_by_card(&record.card))?.is_some() {
                return Err(Rule::CardTaken(record.card.to_string()).into());
            }
            store(s.put_volunteer(*id, record, Some(&old.card)))?;
            points::edited(s, *id, record)?;
            store(s.add_history(*id, seq))
        }
        EventKind::ActivityAdded(a) => {
            claim_name(s, NameKind::Activity, a.name.as_str(), seq)?;
            store(s.put_activity(seq, a))
        }
        EventKind::ActivityChanged { activity, name, retired } => {
            let mut a =
                store(s.activity(*activity))?.ok_or_else(|| Rule::UnknownActivity(activity.to_string()))?;
            if a.name != *name {
                claim_name(s, NameKind::Activity, name.as_str(), *activity)?;
                store(s.remove_name(NameKind::Activity, a.name.as_str()))?;
                a.name = name.clone();
                store(s.put_activity(*activity, &a))?;
            }
            // Retiring is a catalog fact, not a ledger rule: a deposit held or a shift begun
            // before it is still credited (the bank refuses only new records for it).
            store(s.set_activity_retired(*activity, *retired))
        }
        EventKind::RewardAdded { reward, stock } => {
            claim_name(s, NameKind::Reward, reward.name.as_str(), seq)?;
            store(s.put_reward(seq, reward))?;
            store(s.put_stock(seq, if reward.limited { *stock } else { 0 }))
        }
        EventKind::RewardRestocked { reward, qty } => {
            reward_of(s, *reward)?;
            let stock = store(s.stock(*reward))?.checked_add(*qty).ok_or(Rule::Overflow)?;
            store(s.put_stock(*reward, stock))
        }
        EventKind::RewardRetired { reward } => {
            let mut r = reward_of(s, *reward)?;
            r.active = false;
            store(s.put_reward(*reward, &r))
        }
        EventKind::Deposited { volunteer: v, activity, minutes, served_on, .. } => {
            exists(s, *v)?;
            points::refuse_hours_for_resident(s, *v)?;
            if store(s.activity(*activity))?.is_none() {
                return Err(Rule::UnknownActivity(activity.to_string()).into());
            }
            let rules = store(s.rules())?;
            let day_total = within_day_cap(s, &rules, *v, *served_on, *minutes)?;
            within_storage_cap(s, &rules, *v, *minutes)?;
            count(s, seq, *v, *served_on, *minutes, day_total)?;
            change(s, *v, seq, |a| add(&mut a.earned, minutes_u64(*minutes)))
        }
        EventKind::DepositHeld { volunteer: v, activity, minutes, served_on, .. } => {
            exists(s, *v)?;
            points::refuse_hours_for_resident(s, *v)?;
            if store(s.activity(*activity))?.is_none() {
                return Err(Rule::UnknownActivity(activity.to_string()).into());
            }
            // The caps are checked now too, so staff hear of a deposit that cannot be approved
            // while the volunteer is still at the counter; they are checked again on approval.
            // Held hours count toward the day cap from the moment they are held (they keep
            // their place in the day), so a held deposit can always be approved as it stands.
            let rules = store(s.rules())?;
            let day_total = within_day_cap(s, &rules, *v, *served_on, *minutes)?;
            within_storage_cap(s, &rules, *v, *minutes)?;
            count(s, seq, *v, *served_on, *minutes, day_total)?;
            store(s.set_held(seq, true))?;
            store(s.add_history(*v, seq))
        }
        EventKind::DepositDecided { held, .. } => {
            if !store(s.is_held(*held))? {
                return Err(Rule::NotHeld(*held).into());
            }
            let Some(EventKind::DepositHeld { volunteer: v, served_on, .. }) =
                store(s.entry(*held))?.map(|e| e.body.kind)
            else {
                return Err(Rule::NotHeld(*held).into());
            };
            // Its place in the day is given up; an approval's deposit, in the same commit,
            // takes it again.
            uncount(s, *held, v, served_on)?;
            store(s.set_held(*held, false))?;
            store(s.add_history(v, seq))
        }
        EventKind::Expired { volunteer: v, minutes, .. } => {
            exists(s, *v)?;
            change(s, *v, seq, |a| add(&mut a.adjusted_out, minutes_u64(*minutes)))
        }
        EventKind::RulesChanged(rules) => {
            rules.validate().map_err(Rule::Invalid)?;
            store(s.put_rules(rules))
        }
        EventKind::RewardRepriced { reward, cost } => {
            let mut r = reward_of(s, *reward)?;
            if cost.get() == 0 {
                return Err(Rule::Invalid(super::DomainError::ZeroMinutes).into());
            }
            r.cost = *cost;
            store(s.put_reward(*reward, &r))
        }
        EventKind::Redeemed { volunteer: v, reward, qty, minutes } => {
            exists(s, *v)?;
            let r = reward_of(s, *reward)?;
            points::refuse_hours_price(s, *reward, r.name.as_str())?;
            if r.limited {
                let stock = store(s.stock(*reward))?;
                let left = stock.checked_sub(*qty).ok_or_else(|| Rule::InsufficientStock {
                    reward: r.name.to_string(),
                    stock,
                    needed: *qty,
                })?;
                store(s.put_stock(*reward, left))?;
            }
            change(s, *v, seq, |a| add(&mut a.redeemed, minutes_u64(*minutes)))
        }
        EventKind::Transferred { from, to, minutes, .. } => {
            if from == to {
                return Err(Rule::SelfTransfer.into());
            }
            exists(s, *from)?;
            exists(s, *to)?;
            within_storage_cap(s, &store(s.rules())?, *to, *minutes)?;
            let m = minutes_u64(*minutes);
            change(s, *from, seq, |a| add(&mut a.given, m))?;
            change(s, *to, seq, |a| add(&mut a.received, m))
        }
        EventKind::Adjusted { volunteer: v, credit, minutes, .. } => {
            exists(s, *v)?;
            let m = minutes_u64(*minutes);
            if *credit {
                change(s, *v, seq, |a| add(&mut a.adjusted_in, m))
            } else {
                change(s, *v, seq, |a| add(&mut a.adjusted_out, m))
            }
        }
        EventKind::Donated { volunteer: v, minutes, .. } => {
            exists(s, *v)?;
            let m = minutes_u64(*minutes);
            change(s, *v, seq, |a| add(&mut a.given, m))?;
            change_pool(s, |p| add(&mut p.donated, m))
        }
        EventKind::PoolGranted { volunteer: v, minutes, .. } => {
            exists(s, *v)?;
            within_storage_cap(s, &store(s.rules())?, *v, *minutes)?;
            let m = minutes_u64(*minutes);
            change_pool(s, |p| add(&mut p.granted, m))?;
            change(s, *v, seq, |a| add(&mut a.received, m))
        }
        // Moves between this counter's share and the card's city pool: the share obeys the
        // same never-negative rule as every balance, so a counter never hands over, or spends,
        // hours it does not hold.
        EventKind::RightsReleased { lines } => {
            for (v, minutes) in lines {
                exists(s, *v)?;
                change(s, *v, seq, |a| add(&mut a.to_city, minutes_u64(*minutes)))?;
            }
            Ok(())
        }
        EventKind::RightsGranted { volunteer: v, minutes, grant } => {
            exists(s, *v)?;
            if let Some(by) = store(s.grant_entry(grant))? {
                return Err(Rule::GrantJournalled { grant: grant.clone(), seq: by }.into());
            }
            store(s.put_grant_entry(grant, seq))?;
            change(s, *v, seq, |a| add(&mut a.from_city, minutes_u64(*minutes)))
        }
        EventKind::Reversed { target, .. } => reverse(s, seq, *target),
        EventKind::Revealed { volunteer: id, .. } => volunteer(s, *id).map(|_| ()),
        EventKind::PersonalDataExported { .. }
        | EventKind::CounterConfigured { .. }
        | EventKind::CityCopyDropped { .. }
        | EventKind::ServiceShaped { .. } => Ok(()),
        EventKind::CounterRenamed { name } => store(s.put_counter_name(name.as_str())),
        // Set once: a city names this counter's events by it, so it never changes.
        EventKind::CounterCodeSet { code } => match store(s.counter_code())? {
            Some(existing) => Err(Rule::CounterCodeSet(existing).into()),
            None => store(s.put_counter_code(code.as_str())),
        },
        EventKind::StaffPinReset { id, pin_hash } => {
            let mut staff = store(s.staff(id))?.ok_or_else(|| Rule::UnknownStaff(id.to_string()))?;
            staff.pin_hash = pin_hash.clone();
            store(s.put_staff(&staff))
        }
        EventKind::LoginUnlocked { subject: LoginSubject::Staff(id) } => {
            store(s.staff(id))?.map(|_| ()).ok_or_else(|| Rule::UnknownStaff(id.to_string()).into())
        }
        EventKind::LoginUnlocked { subject: LoginSubject::Card(card) } => store(s.volunteer_by_card(card))?
            .map(|_| ())
            .ok_or_else(|| Rule::UnknownCard(card.to_string()).into()),
        EventKind::CheckedIn { volunteer: v, activity } => {
            let record = volunteer(s, *v)?;
            points::refuse_hours_for_resident(s, *v)?;
            if !record.active {
                return Err(Rule::VolunteerInactive(record.card.to_string()).into());
            }
            if store(s.activity(*activity))?.is_none() {
                return Err(Rule::UnknownActivity(activity.to_string()).into());
            }
            if let Some(open) = store(s.open_shift(*v))? {
                return Err(Rule::ShiftOpen(open).into());
            }
            let shift =
                Shift { volunteer: *v, activity: *activity, started: event.body.at, state: ShiftState::Open };
            store(s.put_shift(seq, &shift))?;
            store(s.set_open_shift(*v, Some(seq)))?;
            store(s.add_history(*v, seq))
        }
        EventKind::CheckedOut { shift: at, worked, review, .. } => {
            let mut shift = store(s.shift(*at))?.ok_or(Rule::NoOpenShift)?;
            if shift.state != ShiftState::Open || store(s.open_shift(shift.volunteer))? != Some(*at) {
                return Err(Rule::NoOpenShift.into());
            }
            shift.state = match review {
                Some(_) => ShiftState::InReview { worked: *worked },
                None => ShiftState::Closed,
            };
            store(s.put_shift(*at, &shift))?;
            store(s.set_open_shift(shift.volunteer, None))?;
            store(s.add_history(shift.volunteer, seq))
        }
        EventKind::ShiftReviewed { shift: at, .. } => {
            let mut shift = store(s.shift(*at))?.ok_or(Rule::NotInReview(*at))?;
            if !matches!(shift.state, ShiftState::InReview { .. }) {
                return Err(Rule::NotInReview(*at).into());
            }
            shift.state = ShiftState::Closed;
            store(s.put_shift(*at, &shift))?;
            store(s.add_history(shift.volunteer, seq))
        }
        EventKind::ResidentRegistered { record, phone_tail } => {
            points::register_resident(s, seq, record, phone_tail)
        }
        EventKind::StandardPublished(standard) => points::publish_standard(s, seq, standard),
        EventKind::PointsCredited {
            person, standard, item, points: p, earned_on, coupon, review, ..
        } => {
            let credit = points::Credit {
                person: *person,
                standard: *standard,
                item,
                points: *p,
                earned_on: *earned_on,
                coupon: *coupon,
                review: *review,
            };
            points::credit(s, event, &credit)
        }
        EventKind::PointsReviewed { credit, verdict, .. } => points::review(s, event, *credit, *verdict),
        EventKind::CouponsIssued { batch, item, value, count, expires, holder } => {
            let issue = points::Issue {
                batch: *batch,
                item,
                value: *value,
                count: *count,
                expires: *expires,
                holder,
            };
            points::issue(s, event, &issue)
        }
        EventKind::CouponsVoided { batch, first, last, reason } => {
            points::void(s, event, *batch, *first, *last, reason)
        }
        EventKind::RewardPointsPriced { reward, price } => points::set_price(s, *reward, price),
        EventKind::PointsRedeemed { person, reward, qty, points: p } => {
            points::redeem(s, seq, *person, *reward, *qty, *p)
        }
        // A shift is evaluated once it has ended (the score is about the work done).
        EventKind::ShiftEvaluated { shift: at, score, .. } => {
            let shift = store(s.shift(*at))?.ok_or(Rule::NotAShift(*at))?;
            if shift.state == ShiftState::Open || *score > 100 {
                return Err(Rule::NotAShift(*at).into());
            }
            store(s.add_history(shift.volunteer, seq))
        }
        EventKind::PointsReleased { lines } => points::release(s, seq, lines),
        EventKind::PointsGranted { person, points: p, grant } => points::granted(s, seq, *person, *p, grant),
        EventKind::PointsSchemeKept { local } => points::keep_local(s, *local),
    }
}

fn reverse<S: LedgerStore>(s: &mut S, seq: u64, target: u64) -> Applied<S::Error> {
    let original = store(s.entry(target))?.ok_or(Rule::UnknownEntry(target))?;
    if !original.body.kind.is_reversible() {
        return Err(Rule::NotReversible(target).into());
    }
    if let Some(by) = store(s.reversed_by(target))? {
        return Err(Rule::AlreadyReversed { target, by }.into());
    }
    store(s.mark_reversed(target, seq))?;
    // A credit's reversal takes its hours back: when they are spent already, the refusal says
    // that (not a bare "balance too low"), and what to do instead.
    let taken_back = |r: Applied<S::Error>| match r {
        Err(ApplyError::Rule(Rule::InsufficientBalance { balance, needed })) => {
            Err(Rule::ReversalSpent { target, balance, needed }.into())
        }
        other => other,
    };
    match original.body.kind {
        EventKind::Deposited { volunteer: v, minutes, served_on, .. } => {
            // Only what this deposit added to the day's total comes off it: a deposit made
            // before the cap was set was never counted.
            uncount(s, target, v, served_on)?;
            taken_back(change(s, v, seq, |a| sub(&mut a.earned, minutes_u64(minutes))))
        }
        EventKind::Expired { volunteer: v, minutes, .. } => {
            change(s, v, seq, |a| sub(&mut a.adjusted_out, minutes_u64(minutes)))
        }
        EventKind::Redeemed { volunteer: v, reward, qty, minutes } => {
            let r = reward_of(s, reward)?;
            if r.limited {
                let stock = store(s.stock(reward))?.checked_add(qty).ok_or(Rule::Overflow)?;
                store(s.put_stock(reward, stock))?;
            }
            change(s, v, seq, |a| sub(&mut a.redeemed, minutes_u64(minutes)))
        }
        EventKind::Transferred { from, to, minutes, .. } => {
            let m = minutes_u64(minutes);
            taken_back(change(s, to, seq, |a| sub(&mut a.received, m)))?;
            change(s, from, seq, |a| sub(&mut a.given, m))
        }
        EventKind::Adjusted { volunteer: v, credit, minutes, .. } => {
            let m = minutes_u64(minutes);
            if credit {
                taken_back(change(s, v, seq, |a| sub(&mut a.adjusted_in, m)))
            } else {
                change(s, v, seq, |a| sub(&mut a.adjusted_out, m))
            }
        }
        EventKind::Donated { volunteer: v, minutes, .. } => {
            // Hours already granted on from the pool cannot come back: the pool would go below zero.
            let m = minutes_u64(minutes);
            change_pool(s, |p| sub(&mut p.donated, m))?;
            change(s, v, seq, |a| sub(&mut a.given, m))
        }
        EventKind::PoolGranted { volunteer: v, minutes, .. } => {
            let m = minutes_u64(minutes);
            taken_back(change(s, v, seq, |a| sub(&mut a.received, m)))?;
            change_pool(s, |p| sub(&mut p.granted, m))
        }
        kind @ (EventKind::PointsCredited { .. } | EventKind::PointsRedeemed { .. }) => {
            points::reverse(s, seq, target, &kind)
        }
        _ => Err(Rule::NotReversible(target).into()),
    }
}

/// Changes the donation pool and refuses the change if its balance would go below zero.
fn change_pool<S: LedgerStore>(
    s: &mut S,
    edit: impl FnOnce(&mut DonationPool) -> Option<()>,
) -> Applied<S::Error> {
    let before = store(s.pool())?;
    let mut after = before;
    if edit(&mut after).is_none() {
        return Err(Rule::Overflow.into());
    }
    if after.checked_balance().is_none() {
        let needed =
            after.granted.saturating_sub(before.granted).max(before.donated.saturating_sub(after.donated));
        return Err(Rule::InsufficientPool {
            pool: clamp_minutes(before.balance()),
            needed: clamp_minutes(needed),
        }
        .into());
    }
    store(s.put_pool(&after))
}

fn add(total: &mut u64, m: u64) -> Option<()> {
    *total = total.checked_add(m)?;
    Some(())
}

fn sub(total: &mut u64, m: u64) -> Option<()> {
    *total = total.checked_sub(m)?;
    Some(())
}

fn minutes_u64(m: Minutes) -> u64 {
    u64::from(m.get())
}

/// Changes one account and refuses the change if the balance would go below zero. The closure
/// returns `None` on arithmetic overflow or underflow of a total.
fn change<S: LedgerStore>(
    s: &mut S,
    id: VolunteerId,
    seq: u64,
    edit: impl FnOnce(&mut Account) -> Option<()>,
) -> Applied<S::Error> {
    let before = store(s.account(id))?;
    let mut after = before;
    if edit(&mut after).is_none() {
        return Err(Rule::Overflow.into());
    }
    if after.checked_balance().is_none() {
        let needed = after.debits() - before.debits();
        let needed = if needed == 0 { before.credits() - after.credits() } else { needed };
        return Err(Rule::InsufficientBalance {
            balance: clamp_minutes(before.balance()),
            needed: clamp_minutes(needed),
        }
        .into());
    }
    store(s.put_account(id, &after))?;
    store(s.add_history(id, seq))
}

/// Adds entry `seq`'s minutes to its day's total when a day cap is set (`day_total` from
/// [`within_day_cap`]), remembering what it added.
fn count<S: LedgerStore>(
    s: &mut S,
    seq: u64,
    v: VolunteerId,
    day: Day,
    minutes: Minutes,
    day_total: Option<u32>,
) -> Result<(), ApplyError<S::Error>> {
    if let Some(total) = day_total {
        store(s.put_day_total(v, day, total))?;
        store(s.set_counted(seq, Some(minutes.get())))?;
    }
    Ok(())
}

/// Takes off its day's total what entry `seq` added to it, if anything.
fn uncount<S: LedgerStore>(
    s: &mut S,
    seq: u64,
    v: VolunteerId,
    day: Day,
) -> Result<(), ApplyError<S::Error>> {
    if let Some(added) = store(s.counted(seq))? {
        let total = store(s.day_total(v, day))?.saturating_sub(added);
        store(s.put_day_total(v, day, total))?;
        store(s.set_counted(seq, None))?;
    }
    Ok(())
}

/// Refuses a deposit that would pass the day cap; returns the day's new total when a cap is set
/// (the total is kept only then, so a bank without one pays no extra write per deposit).
fn within_day_cap<S: LedgerStore>(
    s: &S,
    rules: &Rules,
    v: VolunteerId,
    day: Day,
    minutes: Minutes,
) -> Result<Option<u32>, ApplyError<S::Error>> {
    let Some(cap) = rules.day_cap else { return Ok(None) };
    let already = store(s.day_total(v, day))?;
    let total = already.checked_add(minutes.get()).ok_or(Rule::Overflow)?;
    if total > cap.get() {
        return Err(
            Rule::OverDayCap { day: day.to_string(), already: Minutes::new(already), minutes, cap }.into()
        );
    }
    Ok(Some(total))
}

/// Refuses a credit that would take a balance past the storage cap. Reversals and admin
/// adjustments are not credits in this sense: they restore or correct, so they are not capped.
fn within_storage_cap<S: LedgerStore>(
    s: &S,
    rules: &Rules,
    v: VolunteerId,
    minutes: Minutes,
) -> Applied<S::Error> {
    let Some(cap) = rules.storage_cap else { return Ok(()) };
    let balance = store(s.account(v))?.balance();
    if balance.saturating_add(minutes_u64(minutes)) > minutes_u64(cap) {
        return Err(Rule::OverStorageCap { balance: clamp_minutes(balance), cap }.into());
    }
    Ok(())
}

pub fn clamp_minutes(m: u64) -> Minutes {
    Minutes::new(u32::try_from(m).unwrap_or(u32::MAX))
}

fn volunteer<S: LedgerStore>(s: &S, id: VolunteerId) -> Result<Volunteer, ApplyError<S::Error>> {
    store(s.volunteer(id))?.ok_or_else(|| Rule::UnknownVolunteer(id).into())
}

fn exists<S: LedgerStore>(s: &S, id: VolunteerId) -> Applied<S::Error> {
    if store(s.has_volunteer(id))? { Ok(()) } else { Err(Rule::UnknownVolunteer(id).into()) }
}

fn reward_of<S: LedgerStore>(s: &S, id: RewardId) -> Result<Reward, ApplyError<S::Error>> {
    store(s.reward(id))?.ok_or_else(|| Rule::UnknownReward(id.to_string()).into())
}

fn claim_name<S: LedgerStore>(s: &mut S, kind: NameKind, name: &str, id: u64) -> Applied<S::Error> {
    if store(s.name_id(kind, name))?.is_some() {
        let kind = match kind {
            NameKind::Activity => "activity",
            NameKind::Reward => "reward",
        };
        return Err(Rule::DuplicateName { kind, name: name.to_string() }.into());
    }
    store(s.put_name(kind, name, id))
}
