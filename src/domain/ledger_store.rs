//! What the ledger's rules need of a store ([`LedgerStore`]): reads return `Ok(None)` for
//! absent records. Its own file so that the rules of each unit (`ledger`, `points_ledger`) name
//! it without naming each other.

use super::entities::{
    Account, Activity, DonationPool, Reward, RewardId, Settings, Staff, StaffId, Volunteer, VolunteerId,
};
use super::event::Event;
use super::points::{PointsKey, PointsRecord};
use super::rules::Rules;
use super::shift::Shift;
use super::types::{CardNo, Day};

/// Which kind of named catalog entry a name belongs to (names are unique per kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NameKind {
    Activity = 1,
    Reward = 2,
}

/// What `apply` needs of a store. Reads return `Ok(None)` for absent records.
pub trait LedgerStore {
    type Error;

    fn volunteer(&self, id: VolunteerId) -> Result<Option<Volunteer>, Self::Error>;
    /// Existence only; stores override it to avoid decoding or cloning the record.
    fn has_volunteer(&self, id: VolunteerId) -> Result<bool, Self::Error> {
        Ok(self.volunteer(id)?.is_some())
    }
    fn volunteer_by_card(&self, card: &CardNo) -> Result<Option<VolunteerId>, Self::Error>;
    /// Writes the record and points the card index at it (removing `old_card` if it changed).
    fn put_volunteer(
        &mut self,
        id: VolunteerId,
        record: &Volunteer,
        old_card: Option<&CardNo>,
    ) -> Result<(), Self::Error>;
    fn account(&self, id: VolunteerId) -> Result<Account, Self::Error>;
    fn put_account(&mut self, id: VolunteerId, account: &Account) -> Result<(), Self::Error>;
    fn add_history(&mut self, volunteer: VolunteerId, seq: u64) -> Result<(), Self::Error>;

    fn name_id(&self, kind: NameKind, name: &str) -> Result<Option<u64>, Self::Error>;
    fn put_name(&mut self, kind: NameKind, name: &str, id: u64) -> Result<(), Self::Error>;
    /// Frees a name (an activity renamed: its old name may be used again).
    fn remove_name(&mut self, kind: NameKind, name: &str) -> Result<(), Self::Error>;
    fn activity_retired(&self, id: u64) -> Result<bool, Self::Error>;
    fn set_activity_retired(&mut self, id: u64, retired: bool) -> Result<(), Self::Error>;
    fn activity(&self, id: u64) -> Result<Option<Activity>, Self::Error>;
    fn put_activity(&mut self, id: u64, activity: &Activity) -> Result<(), Self::Error>;
    fn reward(&self, id: RewardId) -> Result<Option<Reward>, Self::Error>;
    fn put_reward(&mut self, id: RewardId, reward: &Reward) -> Result<(), Self::Error>;
    fn stock(&self, id: RewardId) -> Result<u32, Self::Error>;
    fn put_stock(&mut self, id: RewardId, stock: u32) -> Result<(), Self::Error>;

    fn staff(&self, id: &StaffId) -> Result<Option<Staff>, Self::Error>;
    fn has_staff(&self, id: &StaffId) -> Result<bool, Self::Error> {
        Ok(self.staff(id)?.is_some())
    }
    fn put_staff(&mut self, staff: &Staff) -> Result<(), Self::Error>;
    fn settings(&self) -> Result<Settings, Self::Error>;
    fn put_settings(&mut self, settings: &Settings) -> Result<(), Self::Error>;
    fn counter_name(&self) -> Result<Option<String>, Self::Error>;
    fn put_counter_name(&mut self, name: &str) -> Result<(), Self::Error>;
    fn counter_code(&self) -> Result<Option<String>, Self::Error>;
    fn put_counter_code(&mut self, code: &str) -> Result<(), Self::Error>;

    /// A committed event, for reversals.
    fn entry(&self, seq: u64) -> Result<Option<Event>, Self::Error>;
    fn reversed_by(&self, target: u64) -> Result<Option<u64>, Self::Error>;
    fn mark_reversed(&mut self, target: u64, by: u64) -> Result<(), Self::Error>;

    /// A shift by the seq of its check-in.
    fn shift(&self, seq: u64) -> Result<Option<Shift>, Self::Error>;
    fn put_shift(&mut self, seq: u64, shift: &Shift) -> Result<(), Self::Error>;
    /// The volunteer's open shift (the seq of its check-in), if any: at most one.
    fn open_shift(&self, volunteer: VolunteerId) -> Result<Option<u64>, Self::Error>;
    fn set_open_shift(&mut self, volunteer: VolunteerId, shift: Option<u64>) -> Result<(), Self::Error>;

    fn rules(&self) -> Result<Rules, Self::Error>;
    fn put_rules(&mut self, rules: &Rules) -> Result<(), Self::Error>;
    /// Minutes credited to a volunteer for one service day (kept only while a day cap is set).
    fn day_total(&self, volunteer: VolunteerId, day: Day) -> Result<u32, Self::Error>;
    fn put_day_total(&mut self, volunteer: VolunteerId, day: Day, minutes: u32) -> Result<(), Self::Error>;
    /// The minutes entry `seq` (a deposit, or a held deposit) added to its day's total, if it
    /// was counted (a day cap was set when it was recorded).
    fn counted(&self, seq: u64) -> Result<Option<u32>, Self::Error>;
    fn set_counted(&mut self, seq: u64, minutes: Option<u32>) -> Result<(), Self::Error>;
    /// Whether the deposit held by entry `seq` still waits for a decision.
    fn is_held(&self, seq: u64) -> Result<bool, Self::Error>;
    fn set_held(&mut self, seq: u64, held: bool) -> Result<(), Self::Error>;
    /// The donation pool's totals.
    fn pool(&self) -> Result<DonationPool, Self::Error>;
    fn put_pool(&mut self, pool: &DonationPool) -> Result<(), Self::Error>;
    /// The entry that journalled city grant `grant`, if one did.
    fn grant_entry(&self, grant: &str) -> Result<Option<u64>, Self::Error>;
    fn put_grant_entry(&mut self, grant: &str, seq: u64) -> Result<(), Self::Error>;
    /// A record of the civic points (`domain::points::PointsKey`), `None` when absent.
    fn points(&self, key: &PointsKey) -> Result<Option<PointsRecord>, Self::Error>;
    /// Writes a record of the civic points, or with `None` removes it.
    fn put_points(&mut self, key: &PointsKey, record: Option<&PointsRecord>) -> Result<(), Self::Error>;
}
