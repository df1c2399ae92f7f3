//! The trees as the ledger rules see them inside a commit (`domain::ledger::LedgerStore`): each
//! read and write of `apply` is a key of one tree, through the transaction's cache.

use super::*;
use crate::domain::points::{PointsKey, PointsRecord};
use crate::store::journal_index::damaged_record;
use crate::store::keys::points_key;
use crate::store::tree::JOURNAL;

impl LedgerStore for TxView<'_> {
    type Error = TxFail;

    fn volunteer(&self, id: u64) -> Result<Option<Volunteer>, TxFail> {
        self.get(VOLUNTEERS, &u64_key(id))
    }
    fn has_volunteer(&self, id: u64) -> Result<bool, TxFail> {
        // Registration creates the account record, so an account means a volunteer.
        Ok(self.with_account(id, |_, _| ())?.is_some())
    }
    fn has_staff(&self, id: &StaffId) -> Result<bool, TxFail> {
        self.contains(STAFF, id.as_str().as_bytes())
    }
    fn volunteer_by_card(&self, card: &CardNo) -> Result<Option<u64>, TxFail> {
        self.get(CARD_INDEX, card.as_str().as_bytes())
    }
    fn put_volunteer(
        &mut self,
        id: u64,
        record: &Volunteer,
        old_card: Option<&CardNo>,
    ) -> Result<(), TxFail> {
        if let Some(old) = old_card
            && old != &record.card
        {
            self.remove(CARD_INDEX, old.as_str().as_bytes())?;
        }
        self.put(CARD_INDEX, record.card.as_str().as_bytes(), &id)?;
        self.put(VOLUNTEERS, &u64_key(id), record)
    }
    fn account(&self, id: u64) -> Result<Account, TxFail> {
        Ok(self.with_account(id, |r, _| r.totals)?.unwrap_or_default())
    }
    fn put_account(&mut self, id: u64, account: &Account) -> Result<(), TxFail> {
        let done = self.with_account(id, |r, dirty| {
            r.totals = *account;
            *dirty = true;
        })?;
        if done.is_none() {
            let mut record = AccountRecord::default();
            record.totals = *account;
            self.accounts.borrow_mut().insert(id, (record, true));
        }
        Ok(())
    }
    fn add_history(&mut self, volunteer: u64, seq: u64) -> Result<(), TxFail> {
        let done = self.with_account(volunteer, |r, dirty| {
            r.push(seq);
            *dirty = true;
        })?;
        if done.is_none() {
            let mut record = AccountRecord::default();
            record.push(seq);
            self.accounts.borrow_mut().insert(volunteer, (record, true));
        }
        Ok(())
    }
    fn name_id(&self, kind: NameKind, name: &str) -> Result<Option<u64>, TxFail> {
        self.get(NAMES, &name_key(kind, name))
    }
    fn put_name(&mut self, kind: NameKind, name: &str, id: u64) -> Result<(), TxFail> {
        self.put(NAMES, &name_key(kind, name), &id)
    }
    fn activity(&self, id: u64) -> Result<Option<Activity>, TxFail> {
        if let Some(hit) = self.activities.borrow().get(&id) {
            return Ok(hit.clone());
        }
        let found: Option<Activity> = self.get(ACTIVITIES, &u64_key(id))?;
        self.activities.borrow_mut().insert(id, found.clone());
        Ok(found)
    }
    fn put_activity(&mut self, id: u64, activity: &Activity) -> Result<(), TxFail> {
        self.activities.borrow_mut().insert(id, Some(activity.clone()));
        self.put(ACTIVITIES, &u64_key(id), activity)
    }
    fn reward(&self, id: u64) -> Result<Option<Reward>, TxFail> {
        self.get(REWARDS, &u64_key(id))
    }
    fn put_reward(&mut self, id: u64, reward: &Reward) -> Result<(), TxFail> {
        self.put(REWARDS, &u64_key(id), reward)
    }
    fn stock(&self, id: u64) -> Result<u32, TxFail> {
        Ok(self.get(STOCK, &u64_key(id))?.unwrap_or(0))
    }
    fn put_stock(&mut self, id: u64, stock: u32) -> Result<(), TxFail> {
        self.put(STOCK, &u64_key(id), &stock)
    }
    fn staff(&self, id: &StaffId) -> Result<Option<Staff>, TxFail> {
        self.get(STAFF, id.as_str().as_bytes())
    }
    fn put_staff(&mut self, staff: &Staff) -> Result<(), TxFail> {
        self.put(STAFF, staff.id.as_str().as_bytes(), staff)
    }
    fn settings(&self) -> Result<Settings, TxFail> {
        Ok(self.get(META, meta::SETTINGS)?.unwrap_or_default())
    }
    fn put_settings(&mut self, settings: &Settings) -> Result<(), TxFail> {
        self.put(META, meta::SETTINGS, settings)
    }
    fn counter_name(&self) -> Result<Option<String>, TxFail> {
        self.get(META, meta::COUNTER_NAME)
    }
    fn put_counter_name(&mut self, name: &str) -> Result<(), TxFail> {
        self.put(META, meta::COUNTER_NAME, &name.to_string())
    }
    fn counter_code(&self) -> Result<Option<String>, TxFail> {
        self.get(META, meta::COUNTER_CODE)
    }
    fn put_counter_code(&mut self, code: &str) -> Result<(), TxFail> {
        self.put(META, meta::COUNTER_CODE, &code.to_string())
    }
    fn entry(&self, seq: u64) -> Result<Option<Event>, TxFail> {
        if let Some(event) = self.own_event(seq) {
            return Ok(Some(event));
        }
        if !self.is_own() {
            // Another counter's journal, pulled into the `city_*` trees.
            return self.get(JOURNAL, &u64_key(seq));
        }
        match &self.journal {
            Some(journal) if journal.holds(seq) => {
                journal.event(seq).map(Some).ok_or_else(|| TxFail::Codec(damaged_record(seq)))
            }
            _ => Ok(None),
        }
    }
    fn reversed_by(&self, target: u64) -> Result<Option<u64>, TxFail> {
        self.get(REVERSED, &u64_key(target))
    }
    fn mark_reversed(&mut self, target: u64, by: u64) -> Result<(), TxFail> {
        self.put(REVERSED, &u64_key(target), &by)
    }
    fn shift(&self, seq: u64) -> Result<Option<Shift>, TxFail> {
        self.get(SHIFTS, &tagged_key(SHIFT, seq))
    }
    fn put_shift(&mut self, seq: u64, shift: &Shift) -> Result<(), TxFail> {
        self.put(SHIFTS, &tagged_key(SHIFT, seq), shift)
    }
    fn open_shift(&self, volunteer: u64) -> Result<Option<u64>, TxFail> {
        self.get(SHIFTS, &tagged_key(OPEN_SHIFT, volunteer))
    }
    fn set_open_shift(&mut self, volunteer: u64, shift: Option<u64>) -> Result<(), TxFail> {
        let key = tagged_key(OPEN_SHIFT, volunteer);
        match shift {
            Some(seq) => self.put(SHIFTS, &key, &seq),
            None => self.remove(SHIFTS, &key),
        }
    }
    fn rules(&self) -> Result<Rules, TxFail> {
        Ok(self.get(META, meta::RULES)?.unwrap_or_default())
    }
    fn put_rules(&mut self, rules: &Rules) -> Result<(), TxFail> {
        self.put(META, meta::RULES, rules)
    }
    fn day_total(&self, volunteer: u64, day: Day) -> Result<u32, TxFail> {
        Ok(self.get(LIMITS, &day_total_key(volunteer, day))?.unwrap_or(0))
    }
    fn put_day_total(&mut self, volunteer: u64, day: Day, minutes: u32) -> Result<(), TxFail> {
        self.put(LIMITS, &day_total_key(volunteer, day), &minutes)
    }
    fn counted(&self, seq: u64) -> Result<Option<u32>, TxFail> {
        self.get(LIMITS, &tagged_key(COUNTED, seq))
    }
    fn set_counted(&mut self, seq: u64, minutes: Option<u32>) -> Result<(), TxFail> {
        let key = tagged_key(COUNTED, seq);
        match minutes {
            Some(m) => self.put(LIMITS, &key, &m),
            None => self.remove(LIMITS, &key),
        }
    }
    fn pool(&self) -> Result<DonationPool, TxFail> {
        Ok(self.get(META, meta::POOL)?.unwrap_or_default())
    }
    fn put_pool(&mut self, pool: &DonationPool) -> Result<(), TxFail> {
        self.put(META, meta::POOL, pool)
    }
    fn grant_entry(&self, grant: &str) -> Result<Option<u64>, TxFail> {
        self.get(LIMITS, &grant_key(grant))
    }
    fn put_grant_entry(&mut self, grant: &str, seq: u64) -> Result<(), TxFail> {
        self.put(LIMITS, &grant_key(grant), &seq)
    }
    fn is_held(&self, seq: u64) -> Result<bool, TxFail> {
        let key = tagged_key(HELD, seq);
        self.contains(LIMITS, &key)
    }
    fn set_held(&mut self, seq: u64, held: bool) -> Result<(), TxFail> {
        self.set_flag(&tagged_key(HELD, seq), held)
    }
    fn remove_name(&mut self, kind: NameKind, name: &str) -> Result<(), TxFail> {
        self.remove(NAMES, &name_key(kind, name))
    }
    fn activity_retired(&self, id: u64) -> Result<bool, TxFail> {
        self.contains(LIMITS, &tagged_key(RETIRED_ACTIVITY, id))
    }
    fn set_activity_retired(&mut self, id: u64, retired: bool) -> Result<(), TxFail> {
        self.set_flag(&tagged_key(RETIRED_ACTIVITY, id), retired)
    }
    fn points(&self, key: &PointsKey) -> Result<Option<PointsRecord>, TxFail> {
        self.get(LIMITS, &points_key(key))
    }
    fn put_points(&mut self, key: &PointsKey, record: Option<&PointsRecord>) -> Result<(), TxFail> {
        match record {
            Some(r) => self.put(LIMITS, &points_key(key), r),
            None => self.remove(LIMITS, &points_key(key)),
        }
    }
}
