//! The write operations. Each builds its events inside `Bank::run`'s transaction, after the
//! policy checks that are not ledger invariants (roles, caps, active flags, dates).

use serde::Serialize;

use super::plan::{card_owner, read, rule};
use super::{Bank, BankError, Need, require};
use crate::domain::{
    Activity, ActivityId, Actor, CardNo, Day, DomainError, Event, EventKind, IdNumber, LedgerStore, Minutes,
    Name, PersonalField, Phone, Reward, RewardId, RewardKind, Role, Rule, Staff, StaffId, Volunteer,
    VolunteerId,
};
use crate::store::Committed;

/// Why a volunteer's own PIN change was refused: the current PIN, or the new one (or the store).
#[derive(Debug, thiserror::Error)]
pub enum PinChangeError {
    #[error(transparent)]
    Login(#[from] super::LoginError),
    #[error(transparent)]
    Bank(#[from] BankError),
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

pub(super) fn first(c: Committed) -> Result<Event, BankError> {
    c.events.into_iter().next().ok_or_else(|| Rule::UnknownEntry(0).into())
}

impl Bank {
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

    /// A volunteer changes their own self-service PIN at the kiosk: the current PIN is checked
    /// as a login checks it (a wrong one counts toward the card's lock), then the new one is
    /// set, journalled as self-service. PINs are this counter's (see README: why not city-wide).
    pub fn change_own_pin(&self, card: &CardNo, current: &str, new: &str) -> Result<Event, PinChangeError> {
        self.volunteer_login(card.as_str(), current)?;
        let hash = self.hash_volunteer_pin(new)?;
        let who = Actor::SelfService;
        let c = self.run(&who, None, "change_own_pin", &(card, true), |view| {
            let (id, old) = card_owner(view, card, false)?;
            let record = Volunteer { pin_hash: Some(hash.clone()), ..old };
            Ok(vec![EventKind::VolunteerEdited { id, record }.into()])
        })?;
        Ok(first(c)?)
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

    /// Renames an activity (the name typed wrong) and/or retires it or brings it back (admin
    /// only; journalled). Entries recorded for it keep its id and show the current name.
    pub fn change_activity(
        &self,
        who: &Actor,
        op: Option<&str>,
        activity: ActivityId,
        name: &Name,
        retired: bool,
    ) -> Result<Event, BankError> {
        let c = self.run(who, op, "change_activity", &(activity, name, retired), |view| {
            require(view, who, Need::Admin, "change activities")?;
            Ok(vec![EventKind::ActivityChanged { activity, name: name.clone(), retired }.into()])
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
}
