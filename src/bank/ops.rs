//! The write operations. Each builds its events inside `Bank::run`'s transaction, after the
//! policy checks that are not ledger invariants (roles, caps, active flags, dates).

use serde::Serialize;

use super::plan::{CityGrant, PlanResult, capped, card_owner, funding, read, rule};
use super::rules::{plan_deposit, within_city_day};
use super::{Bank, BankError, Need, require};
use crate::domain::{
    Activity, ActivityId, Actor, CardNo, Day, DomainError, Event, EventKind, IdNumber, LedgerStore, Minutes,
    Name, PersonalField, Phone, Reward, RewardId, RewardKind, Role, Rule, Staff, StaffId, Volunteer,
    VolunteerId,
};
use crate::store::{Committed, Pending, TxView};

/// The owner of `card`, who may be credited hours served on `served_on` (see
/// [`super::rules::depositable`]).
fn depositor(view: &TxView<'_>, card: &CardNo, served_on: Day, today: Day) -> PlanResult<VolunteerId> {
    let (id, v) = card_owner(view, card, false)?;
    super::rules::depositable(&v, served_on, today).map_err(rule)?;
    Ok(id)
}

impl Bank {
    /// Hashes a volunteer's self-service PIN: 4–6 digits, Argon2id with the pepper.
    pub(super) fn hash_volunteer_pin(&self, pin: &str) -> Result<String, BankError> {
        crate::domain::check_volunteer_pin(pin)?;
        self.pepper.hash(pin).ok_or_else(|| DomainError::Pin.into())
    }

    /// Hashes a staff PIN (4–12 digits), the same way.
    pub(super) fn hash_pin(&self, pin: &str) -> Result<String, BankError> {
        crate::domain::check_staff_pin(pin)?;
        self.pepper.hash(pin).ok_or_else(|| DomainError::Pin.into())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolunteerForm {
    pub card: CardNo,
    pub name: Name,
    pub phone: Option<Phone>,
    pub community: String,
    /// `None` means today.
    pub registered_on: Option<Day>,
    pub id_number: Option<IdNumber>,
}

#[derive(Debug, Clone)]
pub struct NewStaff {
    pub id: StaffId,
    pub name: Name,
    pub role: Role,
    pub pin: String,
}

impl NewStaff {
    pub(super) fn into_staff(self, bank: &Bank) -> Result<Staff, BankError> {
        Ok(Staff {
            pin_hash: bank.hash_pin(&self.pin)?,
            id: self.id,
            name: self.name,
            role: self.role,
            disabled: false,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewReward {
    pub name: Name,
    pub kind: RewardKind,
    pub cost: Minutes,
    /// `None` for an unlimited item.
    pub stock: Option<u32>,
    pub course_date: Option<Day>,
    pub merchant: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deposit {
    pub card: CardNo,
    pub activity: ActivityId,
    pub minutes: Minutes,
    /// `None` means today.
    pub served_on: Option<Day>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchDeposit {
    pub cards: Vec<CardNo>,
    pub activity: ActivityId,
    pub minutes: Minutes,
    pub served_on: Option<Day>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redemption {
    pub card: CardNo,
    pub reward: RewardId,
    pub qty: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transfer {
    pub from: CardNo,
    pub to: CardNo,
    pub minutes: Minutes,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Adjustment {
    pub card: CardNo,
    pub credit: bool,
    pub minutes: Minutes,
    pub reason: String,
}

pub(super) fn first(c: Committed) -> Result<Event, BankError> {
    c.events.into_iter().next().ok_or_else(|| Rule::UnknownEntry(0).into())
}

impl Bank {
    /// The day a deposit was served: the one given, or today. Checked (not in the future)
    /// with the volunteer, inside the commit, by `depositor`.
    fn service_day(&self, served_on: Option<Day>) -> Result<Day, BankError> {
        Ok(served_on.unwrap_or(self.today()))
    }

    pub fn register_volunteer(
        &self,
        who: &Actor,
        op: Option<&str>,
        form: &VolunteerForm,
    ) -> Result<Event, BankError> {
        let record = Volunteer {
            card: form.card.clone(),
            name: form.name.clone(),
            phone: form.phone.clone(),
            community: crate::domain::parse_text(&form.community, crate::domain::MAX_NAME_CHARS)?,
            registered_on: form.registered_on.unwrap_or_else(|| self.today()),
            id_number: form.id_number.clone(),
            active: true,
            pin_hash: None,
        };
        let c = self.run(who, op, "register_volunteer", form, |view| {
            require(view, who, Need::Staff, "register volunteers")?;
            Ok(vec![EventKind::VolunteerRegistered(record.clone()).into()])
        })?;
        first(c)
    }

    /// Replaces a volunteer's details (card, name, phone, community, ID number, active flag).
    /// Sets (or, with `None`, clears) a volunteer's self-service PIN. Staff do this at the
    /// counter; the journal gets the new record with the PIN's hash, never the PIN.
    pub fn set_volunteer_pin(
        &self,
        who: &Actor,
        op: Option<&str>,
        card: &CardNo,
        pin: Option<&str>,
    ) -> Result<Event, BankError> {
        // Hashing is slow on purpose: done before the transaction, not inside it.
        let hash = pin.map(|p| self.hash_volunteer_pin(p)).transpose()?;
        let c = self.run(who, op, "set_volunteer_pin", &(card, &hash.is_some()), |view| {
            require(view, who, Need::Staff, "set volunteer PINs")?;
            let (id, old) = card_owner(view, card, false)?;
            let record = Volunteer { pin_hash: hash.clone(), ..old };
            Ok(vec![EventKind::VolunteerEdited { id, record }.into()])
        })?;
        first(c)
    }

    /// Shows an admin a volunteer's full personal data, one value per field asked for, and
    /// journals that they looked: one event per field, all in one commit.
    pub fn reveal(
        &self,
        who: &Actor,
        id: VolunteerId,
        fields: &[PersonalField],
    ) -> Result<(u64, Vec<String>), BankError> {
        let c = self.run(who, None, "reveal", &(id, fields), |view| {
            require(view, who, Need::Admin, "see full personal data")?;
            Ok(fields.iter().map(|&field| EventKind::Revealed { volunteer: id, field }.into()).collect())
        })?;
        let v = self.volunteer(id)?.volunteer;
        let values = fields
            .iter()
            .map(|field| match field {
                PersonalField::Phone => v.phone.as_ref().map(|p| p.as_str().to_string()),
                PersonalField::IdNumber => v.id_number.as_ref().map(|n| n.as_str().to_string()),
            })
            .map(Option::unwrap_or_default)
            .collect();
        Ok((c.first_seq(), values))
    }

    /// Records, before it happens, that an admin exports `what` with phones and ID numbers in
    /// full: a reveal of many at once, in the journal like every other.
    pub fn note_full_export(&self, who: &Actor, what: &str) -> Result<u64, BankError> {
        let c = self.run(who, None, "full_export", &what, |view| {
            require(view, who, Need::Admin, "export full personal data")?;
            Ok(vec![EventKind::PersonalDataExported { what: what.to_string() }.into()])
        })?;
        Ok(c.first_seq())
    }

    pub fn edit_volunteer(
        &self,
        who: &Actor,
        op: Option<&str>,
        id: VolunteerId,
        form: &VolunteerForm,
        active: bool,
    ) -> Result<Event, BankError> {
        let community = crate::domain::parse_text(&form.community, crate::domain::MAX_NAME_CHARS)?;
        let c = self.run(who, op, "edit_volunteer", &(id, form, active), |view| {
            require(view, who, Need::Staff, "edit volunteers")?;
            let old = read(view.volunteer(id))?.ok_or_else(|| rule(Rule::UnknownVolunteer(id)))?;
            let record = Volunteer {
                card: form.card.clone(),
                name: form.name.clone(),
                phone: form.phone.clone(),
                community: community.clone(),
                registered_on: form.registered_on.unwrap_or(old.registered_on),
                id_number: form.id_number.clone(),
                active,
                pin_hash: old.pin_hash,
            };
            Ok(vec![EventKind::VolunteerEdited { id, record }.into()])
        })?;
        first(c)
    }

    pub fn add_activity(
        &self,
        who: &Actor,
        op: Option<&str>,
        name: &Name,
        category: &str,
    ) -> Result<Event, BankError> {
        let activity = Activity {
            name: name.clone(),
            category: crate::domain::parse_text(category, crate::domain::MAX_NAME_CHARS)?,
        };
        let c = self.run(who, op, "add_activity", &activity, |view| {
            require(view, who, Need::Admin, "add activities")?;
            Ok(vec![EventKind::ActivityAdded(activity.clone()).into()])
        })?;
        first(c)
    }

    pub fn add_reward(&self, who: &Actor, op: Option<&str>, new: &NewReward) -> Result<Event, BankError> {
        if new.cost == Minutes::ZERO {
            return Err(DomainError::ZeroMinutes.into());
        }
        // A seat on a day already gone could be redeemed but never used.
        if let Some(day) = new.course_date.filter(|d| *d < self.today()) {
            return Err(Rule::PastCourseDate(day.to_string()).into());
        }
        let reward = Reward {
            name: new.name.clone(),
            kind: new.kind,
            cost: new.cost,
            limited: new.stock.is_some(),
            course_date: new.course_date,
            merchant: crate::domain::parse_text(&new.merchant, crate::domain::MAX_NAME_CHARS)?,
            active: true,
        };
        let c = self.run(who, op, "add_reward", new, |view| {
            require(view, who, Need::Admin, "change the catalog")?;
            Ok(vec![EventKind::RewardAdded { reward: reward.clone(), stock: new.stock.unwrap_or(0) }.into()])
        })?;
        first(c)
    }

    pub fn restock(
        &self,
        who: &Actor,
        op: Option<&str>,
        reward: RewardId,
        qty: u32,
    ) -> Result<Event, BankError> {
        if qty == 0 {
            return Err(DomainError::Quantity.into());
        }
        let c = self.run(who, op, "restock", &(reward, qty), |view| {
            require(view, who, Need::Admin, "change the catalog")?;
            let r =
                read(view.reward(reward))?.ok_or_else(|| rule(Rule::UnknownReward(reward.to_string())))?;
            if !r.limited {
                return Err(rule(Rule::Invalid(DomainError::BadText(format!(
                    "{} has no stock count",
                    r.name
                )))));
            }
            Ok(vec![EventKind::RewardRestocked { reward, qty }.into()])
        })?;
        first(c)
    }

    pub fn retire_reward(&self, who: &Actor, op: Option<&str>, reward: RewardId) -> Result<Event, BankError> {
        let c = self.run(who, op, "retire_reward", &reward, |view| {
            require(view, who, Need::Admin, "change the catalog")?;
            Ok(vec![EventKind::RewardRetired { reward }.into()])
        })?;
        first(c)
    }

    pub fn deposit(&self, who: &Actor, op: Option<&str>, d: &Deposit) -> Result<Committed, BankError> {
        self.deposit_or_preview(who, op, d, 0, false)
    }

    /// [`Bank::deposit`] for a card whose service day already holds `elsewhere` minutes at
    /// other counters (the city's figure, asked online): the day cap is the card's, city-wide.
    pub fn deposit_in_city(
        &self,
        who: &Actor,
        op: Option<&str>,
        d: &Deposit,
        elsewhere: u32,
    ) -> Result<Committed, BankError> {
        self.deposit_or_preview(who, op, d, elsewhere, false)
    }

    /// What [`Bank::deposit`] would do now — credited (rounded, multiplied), held for an
    /// admin, or refused by a rule — with nothing written: the confirm step's dry run.
    pub fn preview_deposit(&self, who: &Actor, d: &Deposit) -> Result<Committed, BankError> {
        self.deposit_or_preview(who, None, d, 0, true)
    }

    fn deposit_or_preview(
        &self,
        who: &Actor,
        op: Option<&str>,
        d: &Deposit,
        elsewhere: u32,
        preview: bool,
    ) -> Result<Committed, BankError> {
        let (served_on, today) = (self.service_day(d.served_on)?, self.today());
        let note = crate::domain::parse_text(&d.note, crate::domain::MAX_NOTE_CHARS)?;
        if !preview {
            self.adopt_from_city(who, std::slice::from_ref(&d.card))?;
        }
        let plan = |view: &TxView<'_>| {
            let role = require(view, who, Need::Staff, "record hours")?;
            let volunteer = depositor(view, &d.card, served_on, today)?;
            let pending = plan_deposit(view, role, volunteer, d.activity, d.minutes, served_on, &note)?;
            within_city_day(view, &pending, volunteer, served_on, elsewhere)?;
            Ok(vec![pending])
        };
        self.run_or_preview(who, op, "deposit", d, plan, preview)
    }

    /// One activity, many volunteers, all or nothing: one transaction, one flush.
    pub fn deposit_batch(
        &self,
        who: &Actor,
        op: Option<&str>,
        b: &BatchDeposit,
    ) -> Result<Committed, BankError> {
        self.deposit_batch_or_preview(who, op, b, false)
    }

    /// What [`Bank::deposit_batch`] would do now — each deposit credited, held or the whole
    /// batch refused — with nothing written: the batch's confirm step.
    pub fn preview_deposit_batch(&self, who: &Actor, b: &BatchDeposit) -> Result<Committed, BankError> {
        self.deposit_batch_or_preview(who, None, b, true)
    }

    fn deposit_batch_or_preview(
        &self,
        who: &Actor,
        op: Option<&str>,
        b: &BatchDeposit,
        preview: bool,
    ) -> Result<Committed, BankError> {
        let (served_on, today) = (self.service_day(b.served_on)?, self.today());
        let note = crate::domain::parse_text(&b.note, crate::domain::MAX_NOTE_CHARS)?;
        if b.cards.is_empty() {
            return Err(DomainError::Quantity.into());
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = b.cards.iter().find(|c| !seen.insert(*c)) {
            return Err(Rule::DuplicateInBatch(dup.to_string()).into());
        }
        if !preview {
            self.adopt_from_city(who, &b.cards)?;
        }
        let plan = |view: &TxView<'_>| {
            let role = require(view, who, Need::Staff, "record hours")?;
            b.cards
                .iter()
                .map(|card| {
                    let volunteer = depositor(view, card, served_on, today)?;
                    plan_deposit(view, role, volunteer, b.activity, b.minutes, served_on, &note)
                })
                .collect()
        };
        self.run_or_preview(who, op, "deposit_batch", b, plan, preview)
    }

    pub fn redeem(&self, who: &Actor, op: Option<&str>, r: &Redemption) -> Result<Committed, BankError> {
        self.redeem_or_preview(who, op, r, None, false)
    }

    /// [`Bank::redeem`] spending hours the city pool granted for it (see `CityGrant`): the
    /// grant's entry and the redemption in one commit.
    pub fn redeem_funded(
        &self,
        who: &Actor,
        op: Option<&str>,
        r: &Redemption,
        grant: Option<&CityGrant>,
    ) -> Result<Committed, BankError> {
        self.redeem_or_preview(who, op, r, grant, false)
    }

    /// What [`Bank::redeem`] would do now, nothing written: the redeem confirm's dry run.
    pub fn preview_redeem(&self, who: &Actor, r: &Redemption) -> Result<Committed, BankError> {
        self.redeem_or_preview(who, None, r, None, true)
    }

    fn redeem_or_preview(
        &self,
        who: &Actor,
        op: Option<&str>,
        r: &Redemption,
        grant: Option<&CityGrant>,
        preview: bool,
    ) -> Result<Committed, BankError> {
        if !(1..=1000).contains(&r.qty) {
            return Err(DomainError::Quantity.into());
        }
        let plan = |view: &TxView<'_>| {
            require(view, who, Need::Staff, "redeem rewards")?;
            let mut events = funding(view, grant)?;
            let (volunteer, _) = card_owner(view, &r.card, true)?;
            let reward = read(view.reward(r.reward))?
                .ok_or_else(|| rule(Rule::UnknownReward(r.reward.to_string())))?;
            if !reward.active {
                return Err(rule(Rule::RewardRetired(reward.name.to_string())));
            }
            let minutes = reward.cost.checked_mul(r.qty).ok_or_else(|| rule(Rule::Overflow))?;
            events.push(Pending::from(EventKind::Redeemed {
                volunteer,
                reward: r.reward,
                qty: r.qty,
                minutes,
            }));
            Ok(events)
        };
        self.run_or_preview(who, op, "redeem", r, plan, preview)
    }

    /// Gifts hours to another volunteer (family, a neighbour), up to the admin-set limit.
    pub fn transfer(&self, who: &Actor, op: Option<&str>, t: &Transfer) -> Result<Committed, BankError> {
        self.transfer_or_preview(who, op, t, None, false)
    }

    /// [`Bank::transfer`] spending hours the city pool granted to the giver for it.
    pub fn transfer_funded(
        &self,
        who: &Actor,
        op: Option<&str>,
        t: &Transfer,
        grant: Option<&CityGrant>,
    ) -> Result<Committed, BankError> {
        self.transfer_or_preview(who, op, t, grant, false)
    }

    /// What [`Bank::transfer`] would do now, nothing written: the confirm step's dry run
    /// (a transfer to oneself, over the limit or past the balance is refused there).
    pub fn preview_transfer(&self, who: &Actor, t: &Transfer) -> Result<Committed, BankError> {
        self.transfer_or_preview(who, None, t, None, true)
    }

    fn transfer_or_preview(
        &self,
        who: &Actor,
        op: Option<&str>,
        t: &Transfer,
        grant: Option<&CityGrant>,
        preview: bool,
    ) -> Result<Committed, BankError> {
        let note = crate::domain::parse_text(&t.note, crate::domain::MAX_NOTE_CHARS)?;
        let plan = |view: &TxView<'_>| {
            require(view, who, Need::Staff, "transfer hours")?;
            let mut events = funding(view, grant)?;
            let (from, _) = card_owner(view, &t.from, true)?;
            let (to, _) = card_owner(view, &t.to, true)?;
            let minutes = capped(view, t.minutes)?;
            let limit = read(view.settings())?.transfer_limit;
            if minutes > limit {
                return Err(rule(Rule::OverTransferLimit { minutes, limit }));
            }
            events.push(Pending::from(EventKind::Transferred { from, to, minutes, note: note.clone() }));
            Ok(events)
        };
        self.run_or_preview(who, op, "transfer", t, plan, preview)
    }

    /// Reverses one entry. Admins may reverse any entry; staff only their own, the same day.
    pub fn reverse(
        &self,
        who: &Actor,
        op: Option<&str>,
        target: u64,
        reason: &str,
    ) -> Result<Committed, BankError> {
        self.reverse_funded(who, op, target, reason, None)
    }

    /// [`Bank::reverse`] taking back hours the city pool granted for it (the entry's hours
    /// went to the pool at a sync: see [`Bank::reversal_debtor`]).
    pub fn reverse_funded(
        &self,
        who: &Actor,
        op: Option<&str>,
        target: u64,
        reason: &str,
        grant: Option<&CityGrant>,
    ) -> Result<Committed, BankError> {
        let reason = crate::domain::parse_reason(reason)?;
        let today = self.today();
        self.run(who, op, "reverse", &(target, &reason), |view| {
            let role = require(view, who, Need::Staff, "reverse entries")?;
            let mut events = funding(view, grant)?;
            if role != Role::Admin {
                let original = read(view.entry(target))?.ok_or_else(|| rule(Rule::UnknownEntry(target)))?;
                if &original.body.actor != who || super::local_day(original.body.at) != today {
                    return Err(rule(Rule::AdminOnly("reverse another person's or an earlier day's entry")));
                }
            }
            events.push(Pending::from(EventKind::Reversed { target, reason: reason.clone() }));
            Ok(events)
        })
    }

    /// An admin's correction with a reason, for what a reversal cannot express.
    pub fn adjust(&self, who: &Actor, op: Option<&str>, a: &Adjustment) -> Result<Committed, BankError> {
        let reason = crate::domain::parse_reason(&a.reason)?;
        self.run(who, op, "adjust", a, |view| {
            require(view, who, Need::Admin, "adjust balances")?;
            let (volunteer, _) = card_owner(view, &a.card, false)?;
            let minutes = capped(view, a.minutes)?;
            Ok(vec![Pending::from(EventKind::Adjusted {
                volunteer,
                credit: a.credit,
                minutes,
                reason: reason.clone(),
            })])
        })
    }
}
