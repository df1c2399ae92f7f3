//! The journal's one enum of facts. Events are immutable; a mistake is corrected by a new
//! `Reversed` or `Adjusted` event, never by editing an old one.

use serde::{Deserialize, Serialize};

use super::Minutes;
use super::entities::{
    Activity, ActivityId, Reward, RewardId, Settings, Staff, StaffId, Volunteer, VolunteerId,
};
use super::points::{CouponRef, Points, PointsPrice, Standard, Verdict};
use super::rules::Rules;
use super::types::{Day, Name, Timestamp};

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Actor {
    /// A logged-in staff member at the counter.
    Staff(StaffId),
    /// The command line, with the operating-system user name.
    Cli(String),
    /// A volunteer at the kiosk.
    SelfService,
    /// The counter's sync with the city (`hourbank sync`, or the counter's background sync):
    /// hours handed to and taken back from the card's city pool, and the dropping of an old
    /// copy of other counters' journals — nobody's doing, and never anything else.
    Sync,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Staff(id) => write!(f, "{id}"),
            Actor::Cli(user) => write!(f, "cli:{user}"),
            Actor::SelfService => f.write_str("self-service"),
            Actor::Sync => f.write_str("sync"),
        }
    }
}

/// An operation id sent by a client, so that a retried request applies at most once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OpTag {
    pub id: String,
    /// First 16 bytes of blake3 over the encoded request: a retry must send the same request.
    pub digest: [u8; 16],
    /// How many events the operation committed (this one and the ones right after it).
    pub events: u32,
}

/// A row of an imported file, so that re-importing the same file adds nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImportRef {
    pub source: String,
    pub row_id: String,
    /// When the row says it happened (the journal's `at` is when it was imported).
    pub occurred: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Origin {
    Direct,
    /// First event of an operation that carried an operation id.
    Op(OpTag),
    Import(ImportRef),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    CounterInitialized {
        name: Name,
    },
    SettingsChanged(Settings),
    StaffAdded(Staff),
    StaffDisabled {
        id: StaffId,
    },
    VolunteerRegistered(Volunteer),
    VolunteerEdited {
        id: VolunteerId,
        record: Volunteer,
    },
    ActivityAdded(Activity),
    RewardAdded {
        reward: Reward,
        stock: u32,
    },
    RewardRestocked {
        reward: RewardId,
        qty: u32,
    },
    RewardRetired {
        reward: RewardId,
    },
    Deposited {
        volunteer: VolunteerId,
        activity: ActivityId,
        minutes: Minutes,
        served_on: Day,
        note: String,
    },
    Redeemed {
        volunteer: VolunteerId,
        reward: RewardId,
        qty: u32,
        minutes: Minutes,
    },
    Transferred {
        from: VolunteerId,
        to: VolunteerId,
        minutes: Minutes,
        note: String,
    },
    Adjusted {
        volunteer: VolunteerId,
        credit: bool,
        minutes: Minutes,
        reason: String,
    },
    Reversed {
        target: u64,
        reason: String,
    },
    /// An admin looked at a volunteer's full phone or ID number on purpose. Nothing changes;
    /// the journal keeps who saw what, and when.
    Revealed {
        volunteer: VolunteerId,
        field: PersonalField,
    },
    /// An admin lifted a lock left by wrong PINs before it ran out.
    LoginUnlocked {
        subject: LoginSubject,
    },
    /// A volunteer started a shift at the kiosk; the shift is known by this event's seq.
    CheckedIn {
        volunteer: VolunteerId,
        activity: ActivityId,
    },
    /// The shift ended. `credited` is deposited by a `Deposited` entry in the same commit;
    /// with `review` nothing is deposited until staff decide.
    CheckedOut {
        shift: u64,
        worked: Minutes,
        credited: Minutes,
        review: Option<super::ReviewReason>,
    },
    /// Staff decided a shift in review: approved for `minutes` (deposited by a `Deposited`
    /// entry in the same commit) or, with `None`, rejected.
    ShiftReviewed {
        shift: u64,
        approved: Option<Minutes>,
        reason: String,
    },
    /// An admin exported personal data (phones, ID numbers) unmasked, e.g. the volunteer list.
    PersonalDataExported {
        what: String,
    },
    /// An admin set a new PIN for a staff member (the Argon2 hash, never the PIN).
    StaffPinReset {
        id: StaffId,
        pin_hash: String,
    },
    /// An admin changed the crediting rules (rounding, caps, approval, expiry, multipliers).
    RulesChanged(Rules),
    /// A deposit over the approval threshold. It credits nothing until an admin decides.
    DepositHeld {
        volunteer: VolunteerId,
        activity: ActivityId,
        minutes: Minutes,
        served_on: Day,
        note: String,
    },
    /// An admin decided a held deposit: when approved, a `Deposited` entry for it follows in
    /// the same commit; when not, nothing is credited.
    DepositDecided {
        held: u64,
        approved: bool,
        reason: String,
    },
    /// Hours credited before `cutoff` and not spent expired (oldest first). Reversible.
    Expired {
        volunteer: VolunteerId,
        minutes: Minutes,
        cutoff: Day,
    },
    /// An admin changed the price of one unit of a reward.
    RewardRepriced {
        reward: RewardId,
        cost: Minutes,
    },
    /// An admin changed this counter's settings file (idle times, receipt command, language,
    /// theme, report directory): each key with its new value, so the journal says who set what.
    CounterConfigured {
        changes: Vec<(String, String)>,
    },
    /// An admin renamed the counter as people see it (header, reports). The counter's id,
    /// stamped on every entry, stays what it was at setup.
    CounterRenamed {
        name: Name,
    },
    /// A volunteer gave hours to the bank's donation pool (爱心池). They count in the donor's
    /// `given` total. Reversible while the pool still holds them.
    Donated {
        volunteer: VolunteerId,
        minutes: Minutes,
        note: String,
    },
    /// An admin granted pool hours to a person in need (a resident who cannot volunteer), with
    /// the reason. They count in the recipient's `received` total.
    PoolGranted {
        volunteer: VolunteerId,
        minutes: Minutes,
        reason: String,
    },
    /// The counter's registered code, set once (at setup, or by an admin for a store made
    /// before codes existed): with a seq it names this counter's events city-wide.
    CounterCodeSet {
        code: super::types::CounterCode,
    },
    /// At a sync, this counter handed hours of its shares to the cards' city pools (ARCHITECTURE.md §8):
    /// each line leaves the volunteer's account here and joins the card's pool on the city
    /// server, in the same server transaction as this event's push. Hours in the pool can be
    /// spent at any counter that is online.
    RightsReleased {
        lines: Vec<(VolunteerId, Minutes)>,
    },
    /// The card's city pool granted these hours to this counter, for the operation committed
    /// with it — or alone, when a sync finds a grant this counter never journalled (it stopped
    /// between the grant and its commit). `grant` is the server's id for it: one grant, one
    /// entry, ever.
    RightsGranted {
        volunteer: VolunteerId,
        minutes: Minutes,
        grant: String,
    },
    /// This counter dropped its copy of other counters' journals — what counters pulled before
    /// the city's directory (issue 23): `counters` counters, `events` events in all. Need to
    /// know: the directory replaces it. Nothing of the ledger changes.
    CityCopyDropped {
        counters: u32,
        events: u64,
    },
    /// The service behind the deposit just before it, in the same commit, when the crediting
    /// rules credited other than was served: the minutes served, and the multiplier (percent)
    /// of the activity's category then (100: none; the rest of the difference is rounding or
    /// the per-entry cap). Nothing of the ledger changes: certificates say served and credited.
    ServiceShaped {
        served: Minutes,
        percent: u16,
    },
    /// An admin renamed an activity (a name typed wrong) or retired it (no new hours are
    /// recorded for it; what was recorded keeps its id and shows the current name), or
    /// brought a retired one back. (Last of the kinds: a journal's earlier kinds decode as
    /// they always did.)
    ActivityChanged {
        activity: ActivityId,
        name: Name,
        retired: bool,
    },
    /// A resident registered for civic points only (ARCHITECTURE.md §9): one record like a
    /// volunteer's, without phone or ID number; the phone's last digits help find them.
    ResidentRegistered {
        record: Volunteer,
        phone_tail: Option<String>,
    },
    /// An admin published a version of the points standard (积分量化标准); it is known by this
    /// entry's seq and in force from its effective day.
    StandardPublished(Standard),
    /// Points credited for an item of the standard in force on `earned_on` (version
    /// `standard`), or for a coupon of a batch. With `review` nothing is credited until a
    /// verifier and an approver have decided (`PointsReviewed`).
    PointsCredited {
        person: VolunteerId,
        standard: u64,
        item: String,
        points: Points,
        earned_on: Day,
        coupon: Option<CouponRef>,
        review: bool,
        note: String,
    },
    /// A review step on a credit waiting for it: verified, approved (the points are credited
    /// now) or rejected.
    PointsReviewed {
        credit: u64,
        verdict: Verdict,
        reason: String,
    },
    /// An admin issued a batch of numbered coupons (积分券), taken only at this counter.
    CouponsIssued {
        batch: u32,
        item: String,
        value: Points,
        count: u32,
        expires: Day,
        holder: String,
    },
    /// Coupons of a batch that are lost or spoilt: refused from now on, with the reason.
    CouponsVoided {
        batch: u32,
        first: u32,
        last: u32,
        reason: String,
    },
    /// An admin priced a reward in points (or stopped), and said whether it is still offered for hours.
    RewardPointsPriced {
        reward: RewardId,
        price: PointsPrice,
    },
    /// Points spent on a reward priced in points.
    PointsRedeemed {
        person: VolunteerId,
        reward: RewardId,
        qty: u32,
        points: Points,
    },
    /// The community's daily evaluation of a supervisor's shift at their duty post
    /// (督导员日常管理考核): a score out of 100 and a note, by the staff member journalled. A
    /// later evaluation of the same shift replaces it in the assessment; both stay here.
    ShiftEvaluated {
        shift: u64,
        score: u8,
        note: String,
    },
    /// A sync handed each person's points above the float to their card's city pool, as
    /// `RightsReleased` does the hours (ARCHITECTURE.md §9): the points leave this counter's
    /// share, and any counter may be granted them back from the pool.
    PointsReleased {
        lines: Vec<(VolunteerId, Points)>,
    },
    /// Points the card's city pool granted this counter (the city's grant `grant`), journalled
    /// with the redemption that spends them.
    PointsGranted {
        person: VolunteerId,
        points: Points,
        grant: String,
    },
    /// An admin kept this counter's points scheme to its own community (`local`: its points
    /// never go to the city pool, and none come from it) or opened it to the city again.
    PointsSchemeKept {
        local: bool,
    },
}

/// What wrong PINs lock: a staff id or a volunteer's card.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LoginSubject {
    Staff(StaffId),
    Card(super::types::CardNo),
}

/// Personal data shown masked unless an admin reveals it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PersonalField {
    Phone,
    IdNumber,
}

impl EventKind {
    /// Short machine name, used in exports and history.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::CounterInitialized { .. } => "counter_initialized",
            EventKind::SettingsChanged(_) => "settings_changed",
            EventKind::StaffAdded(_) => "staff_added",
            EventKind::StaffDisabled { .. } => "staff_disabled",
            EventKind::VolunteerRegistered(_) => "volunteer_registered",
            EventKind::VolunteerEdited { .. } => "volunteer_edited",
            EventKind::ActivityAdded(_) => "activity_added",
            EventKind::RewardAdded { .. } => "reward_added",
            EventKind::RewardRestocked { .. } => "reward_restocked",
            EventKind::RewardRetired { .. } => "reward_retired",
            EventKind::Deposited { .. } => "deposit",
            EventKind::Redeemed { .. } => "redeem",
            EventKind::Transferred { .. } => "transfer",
            EventKind::Adjusted { .. } => "adjust",
            EventKind::Reversed { .. } => "reversal",
            EventKind::Revealed { .. } => "revealed",
            EventKind::LoginUnlocked { .. } => "login_unlocked",
            EventKind::CheckedIn { .. } => "check_in",
            EventKind::CheckedOut { .. } => "check_out",
            EventKind::ShiftReviewed { .. } => "shift_reviewed",
            EventKind::PersonalDataExported { .. } => "personal_data_exported",
            EventKind::StaffPinReset { .. } => "staff_pin_reset",
            EventKind::RulesChanged(_) => "rules_changed",
            EventKind::DepositHeld { .. } => "deposit_held",
            EventKind::DepositDecided { .. } => "deposit_decided",
            EventKind::Expired { .. } => "expiry",
            EventKind::RewardRepriced { .. } => "reward_repriced",
            EventKind::CounterConfigured { .. } => "counter_configured",
            EventKind::CounterRenamed { .. } => "counter_renamed",
            EventKind::Donated { .. } => "donation",
            EventKind::PoolGranted { .. } => "pool_grant",
            EventKind::CounterCodeSet { .. } => "counter_code_set",
            EventKind::RightsReleased { .. } => "city_release",
            EventKind::RightsGranted { .. } => "city_grant",
            EventKind::CityCopyDropped { .. } => "city_copy_dropped",
            EventKind::ServiceShaped { .. } => "service_shaped",
            EventKind::ActivityChanged { .. } => "activity_changed",
            EventKind::ResidentRegistered { .. } => "resident_registered",
            EventKind::StandardPublished(_) => "standard_published",
            EventKind::PointsCredited { .. } => "points_credit",
            EventKind::PointsReviewed { .. } => "points_reviewed",
            EventKind::CouponsIssued { .. } => "coupons_issued",
            EventKind::CouponsVoided { .. } => "coupons_voided",
            EventKind::RewardPointsPriced { .. } => "reward_points_priced",
            EventKind::PointsRedeemed { .. } => "points_redeem",
            EventKind::ShiftEvaluated { .. } => "shift_evaluated",
            EventKind::PointsReleased { .. } => "points_release",
            EventKind::PointsGranted { .. } => "points_grant",
            EventKind::PointsSchemeKept { .. } => "points_scheme_kept",
        }
    }

    /// Entries that move hours or points can be reversed (an expiry too, when it was a mistake); facts about people and the catalog cannot.
    pub fn is_reversible(&self) -> bool {
        matches!(
            self,
            EventKind::Deposited { .. }
                | EventKind::Redeemed { .. }
                | EventKind::Transferred { .. }
                | EventKind::Adjusted { .. }
                | EventKind::Expired { .. }
                | EventKind::Donated { .. }
                | EventKind::PoolGranted { .. }
                | EventKind::PointsCredited { .. }
                | EventKind::PointsRedeemed { .. }
        )
    }
}

/// The part of an event covered by its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventBody {
    pub seq: u64,
    pub at: Timestamp,
    pub counter: String,
    pub actor: Actor,
    pub origin: Origin,
    pub kind: EventKind,
}

/// A journal entry: the body plus `hash = blake3(prev_hash ‖ encoded body)`. The previous hash
/// is not stored (it is the previous event's `hash`), which saves 32 bytes an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub body: EventBody,
    pub hash: [u8; 32],
}

impl Event {
    pub fn seq(&self) -> u64 {
        self.body.seq
    }

    pub fn kind(&self) -> &EventKind {
        &self.body.kind
    }
}
