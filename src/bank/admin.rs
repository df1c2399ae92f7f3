//! The counter's own setup as admins change it: its settings file noted, its name and code,
//! prices, staff, and the two caps. (Split from `ops.rs`, which keeps the volunteers, the
//! catalog and the money.)

use super::ops::first;
use super::plan::{read, rule};
use super::{Bank, BankError, Need, NewStaff, require};
use crate::domain::{
    Actor, CounterCode, Event, EventKind, LedgerStore, Minutes, Name, RewardId, Rule, Settings, StaffId,
};

impl Bank {
    /// Records that an admin changed the counter's settings file: `changes` are (key, new value).
    pub fn note_counter_config(&self, who: &Actor, changes: &[(String, String)]) -> Result<u64, BankError> {
        for (key, value) in changes {
            crate::domain::parse_text(key, 64)?;
            crate::domain::parse_text(value, 400)?;
        }
        let c = self.run(who, None, "counter_configured", &changes, |view| {
            require(view, who, Need::Admin, "change the counter's settings")?;
            Ok(vec![EventKind::CounterConfigured { changes: changes.to_vec() }.into()])
        })?;
        Ok(c.first_seq())
    }

    /// The counter's name as people see it (admin only). Its id on every entry is unchanged.
    pub fn rename_counter(&self, who: &Actor, name: &Name) -> Result<u64, BankError> {
        let c = self.run(who, None, "rename_counter", name, |view| {
            require(view, who, Need::Admin, "rename the counter")?;
            Ok(vec![EventKind::CounterRenamed { name: name.clone() }.into()])
        })?;
        Ok(c.first_seq())
    }

    /// Sets this counter's registered code, once (admin only; journalled), and makes the
    /// counter's signing key if it has none (see [`super::CounterKey`]).
    pub fn set_counter_code(
        &self,
        who: &Actor,
        op: Option<&str>,
        code: &CounterCode,
    ) -> Result<u64, BankError> {
        let c = self.run(who, op, "set_counter_code", code, |view| {
            require(view, who, Need::Admin, "set the counter code")?;
            Ok(vec![EventKind::CounterCodeSet { code: code.clone() }.into()])
        })?;
        super::CounterKey::load_or_create(self.store.dir())?;
        Ok(c.first_seq())
    }

    /// This counter's signing key: `None` before it has a code. Refused when others can read
    /// the key file.
    pub fn counter_key(&self) -> Result<Option<super::CounterKey>, BankError> {
        Ok(super::CounterKey::load(self.store.dir())?)
    }

    /// This counter's registered code, if one was set.
    pub fn counter_code(&self) -> Result<Option<CounterCode>, BankError> {
        Ok(self.store.counter_code()?.map(|c| CounterCode::parse(&c)).transpose()?)
    }

    /// The counter's name as people see it: as set up, or as an admin renamed it.
    pub fn counter_name(&self) -> Result<String, BankError> {
        Ok(self.store.counter_name()?.unwrap_or_else(|| self.counter.clone()))
    }

    /// A new price for one unit of a reward (admin only). Redemptions already made keep theirs.
    pub fn reprice_reward(
        &self,
        who: &Actor,
        op: Option<&str>,
        reward: RewardId,
        cost: Minutes,
    ) -> Result<Event, BankError> {
        let cost = cost.entry(Minutes::new(u32::MAX))?;
        let c = self.run(who, op, "reprice_reward", &(reward, cost), |view| {
            require(view, who, Need::Admin, "change the catalog")?;
            Ok(vec![EventKind::RewardRepriced { reward, cost }.into()])
        })?;
        first(c)
    }

    pub fn add_staff(&self, who: &Actor, op: Option<&str>, new: NewStaff) -> Result<Event, BankError> {
        // The PIN stays out of the operation digest: a 16-byte hash of a 4-digit PIN is no secret.
        let request = (new.id.clone(), new.name.clone(), new.role);
        let staff = new.into_staff(self)?;
        let c = self.run(who, op, "add_staff", &request, |view| {
            require(view, who, Need::Admin, "add staff")?;
            Ok(vec![EventKind::StaffAdded(staff.clone()).into()])
        })?;
        first(c)
    }

    /// Sets a new PIN for a staff member (admin only; the journal keeps the hash and who did it).
    /// The way back in after a forgotten PIN, or after the PIN key file was lost.
    pub fn reset_staff_pin(&self, who: &Actor, id: &StaffId, pin: &str) -> Result<Event, BankError> {
        let pin_hash = self.hash_pin(pin)?;
        let c = self.run(who, None, "reset_staff_pin", id, |view| {
            require(view, who, Need::Admin, "reset staff PINs")?;
            if read(view.staff(id))?.is_none() {
                return Err(rule(Rule::UnknownStaff(id.to_string())));
            }
            Ok(vec![EventKind::StaffPinReset { id: id.clone(), pin_hash: pin_hash.clone() }.into()])
        })?;
        first(c)
    }

    pub fn disable_staff(&self, who: &Actor, op: Option<&str>, id: &StaffId) -> Result<Event, BankError> {
        let c = self.run(who, op, "disable_staff", id, |view| {
            require(view, who, Need::Admin, "disable staff")?;
            Ok(vec![EventKind::StaffDisabled { id: id.clone() }.into()])
        })?;
        first(c)
    }

    pub fn change_settings(
        &self,
        who: &Actor,
        op: Option<&str>,
        settings: Settings,
    ) -> Result<Event, BankError> {
        settings.entry_cap.entry(Minutes::new(u32::MAX))?;
        settings.transfer_limit.entry(Minutes::new(u32::MAX))?;
        let c = self.run(who, op, "change_settings", &settings, |view| {
            require(view, who, Need::Admin, "change settings")?;
            Ok(vec![EventKind::SettingsChanged(settings).into()])
        })?;
        first(c)
    }
}
