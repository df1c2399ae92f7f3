//! Why the ledger refuses an operation: the business rules, named, and the error `apply`
//! returns (a broken rule, or the store underneath failing).

use super::Minutes;
use super::entities::VolunteerId;
use super::points::Points;
use super::types::Timestamp;

/// Why the bank refused an operation. Every variant is a business rule, shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rule {
    #[error("no volunteer with card {0}")]
    UnknownCard(String),
    #[error("no volunteer with id {0}")]
    UnknownVolunteer(VolunteerId),
    #[error("card {0} already belongs to another volunteer")]
    CardTaken(String),
    #[error("volunteer {0} is inactive")]
    VolunteerInactive(String),
    #[error("no activity {0:?}")]
    UnknownActivity(String),
    #[error("no reward {0:?}")]
    UnknownReward(String),
    #[error("reward {0:?} is retired")]
    RewardRetired(String),
    #[error("activity {0:?} is retired")]
    ActivityRetired(String),
    #[error("{kind} {name:?} already exists")]
    DuplicateName { kind: &'static str, name: String },
    #[error("no staff member {0}")]
    UnknownStaff(String),
    #[error("staff member {0} already exists")]
    StaffExists(String),
    #[error("staff member {0} is disabled")]
    StaffDisabled(String),
    #[error("not permitted here: {0}")]
    NotPermitted(&'static str),
    #[error("card {0} appears twice in the batch")]
    DuplicateInBatch(String),
    #[error("service date {0} is in the future")]
    FutureDate(String),
    #[error("course date {0} has passed: a course is dated today or later")]
    PastCourseDate(String),
    #[error("this counter's code is already {0}; it is set once")]
    CounterCodeSet(String),
    #[error(
        "card {card} was registered with different details at counters {counters}; an admin settles it first"
    )]
    RegistrationConflict { card: String, counters: String },
    #[error(
        "card {card} is registered as different people at counters {counters}: nothing is spent or transferred from it until an admin settles it"
    )]
    CardInConflict { card: String, counters: String },
    #[error("card {0} is not registered as different people: there is nothing to settle")]
    NotInConflict(String),
    #[error("only an admin may {0}")]
    AdminOnly(&'static str),
    #[error("balance {balance} is less than the {needed} needed")]
    InsufficientBalance { balance: Minutes, needed: Minutes },
    #[error("only {stock} left of {reward:?}, {needed} needed")]
    InsufficientStock { reward: String, stock: u32, needed: u32 },
    #[error(
        "entry {target} cannot be reversed: its {needed} were already spent (balance {balance}); reverse what spent them first, or record a correction"
    )]
    ReversalSpent { target: u64, balance: Minutes, needed: Minutes },
    #[error(
        "entry {0} is not one you recorded today: staff reverse only their own entries of the day; an admin can reverse it"
    )]
    NotOwnEntry(u64),
    #[error("entry {target} was already reversed by entry {by}")]
    AlreadyReversed { target: u64, by: u64 },
    #[error("entry {0} cannot be reversed (only entries that move hours can)")]
    NotReversible(u64),
    #[error("no journal entry {0}")]
    UnknownEntry(u64),
    #[error("a volunteer cannot transfer hours to themselves")]
    SelfTransfer,
    #[error("{minutes} is over the transfer limit of {limit}")]
    OverTransferLimit { minutes: Minutes, limit: Minutes },
    #[error("the amount is too large")]
    Overflow,
    #[error("operation id {0:?} was already used for a different request")]
    OpIdReused(String),
    #[error("the store is already initialised")]
    AlreadyInitialized,
    #[error("{0} is not empty and is not an hourbank store; give init a new or empty directory")]
    NotAStoreDirectory(String),
    #[error("row {0:?} of this source was already imported")]
    AlreadyImported(String),
    #[error("a shift is already open (checked in, entry {0}); check out first")]
    ShiftOpen(u64),
    #[error("no open shift to check out of")]
    NoOpenShift,
    #[error("entry {0} is not a shift waiting for review")]
    NotInReview(u64),
    #[error("entry {0} is not the check-in of an ended shift (or the score is over 100)")]
    NotAShift(u64),
    #[error("entry {0} is not a deposit waiting for approval")]
    NotHeld(u64),
    #[error("{day}: {already} already credited; {minutes} more would pass the daily cap of {cap}")]
    OverDayCap { day: String, already: Minutes, minutes: Minutes, cap: Minutes },
    #[error(
        "the balance would pass the storage cap of {cap} (now {balance}); hours above it can only be donated"
    )]
    OverStorageCap { balance: Minutes, cap: Minutes },
    /// A city grant is journalled once: a second entry for it would credit its hours twice.
    #[error("city grant {grant} is already journalled, by entry #{seq}")]
    GrantJournalled { grant: String, seq: u64 },
    #[error("the donation pool holds {pool}, less than the {needed} needed")]
    InsufficientPool { pool: Minutes, needed: Minutes },
    #[error("{0}")]
    Invalid(#[from] super::DomainError),
    /// A rule of the civic points (`domain::points_ledger`).
    #[error("{0}")]
    Points(#[from] PointsRule),
}

/// Why the bank refused an operation on civic points.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointsRule {
    #[error("points balance {balance} is less than the {needed} needed")]
    InsufficientPoints { balance: u64, needed: u64 },
    #[error("entry {target} cannot be reversed: its {needed} points were already spent (balance {balance})")]
    ReversalSpent { target: u64, balance: u64, needed: u64 },
    #[error("no points standard is in force on {0}; an admin publishes one first")]
    NoStandard(String),
    #[error("the entry cites standard #{cited}, but #{in_force} is in force on its day")]
    NotInForce { cited: u64, in_force: u64 },
    #[error("no item {0:?} in the points standard in force")]
    UnknownItem(String),
    #[error("item {item} is worth {each} each: give a whole multiple")]
    NotAMultiple { item: String, each: Points },
    #[error("item {item}: the review flag must be {review}, as the standard says")]
    ReviewFlag { item: String, review: bool },
    #[error("item {item}: {already} already credited; this would pass the cap of {cap}")]
    OverCap { item: String, month: bool, already: Points, cap: Points },
    #[error("entry {0} is not a points credit waiting for this review step")]
    NotWaiting(u64),
    #[error("entry {0} was verified by the same person: another approves it")]
    SameReviewer(u64),
    #[error("entry {0} waits for review: reject it instead of reversing it")]
    WaitsForReview(u64),
    #[error("no coupon batch {0}")]
    UnknownBatch(u32),
    #[error("the next coupon batch is number {next}, not {given}")]
    BatchNumber { given: u32, next: u32 },
    #[error("coupons carry this counter's code: set it first (`hourbank code set`, or Admin → this counter)")]
    NoCounterCode,
    #[error("a batch holds 1–10000 coupons worth 1–100000 points each")]
    BatchSize,
    #[error("coupon {coupon} is not in its batch (it holds {count})")]
    NotInBatch { coupon: String, count: u32 },
    #[error("coupon {coupon} was already credited, by entry #{seq}")]
    CouponUsed { coupon: String, seq: u64, at: Timestamp },
    #[error("coupon {coupon} was voided (entry #{seq}): {reason}")]
    CouponVoided { coupon: String, reason: String, seq: u64 },
    #[error("coupon {coupon} expired on {expires}")]
    CouponExpired { coupon: String, expires: String },
    #[error("coupon {coupon} is worth {value} for item {item}, as its batch says")]
    NotTheBatchs { coupon: String, value: Points, item: String },
    #[error("coupon {coupon} is taken only at counter {counter}")]
    CouponElsewhere { coupon: String, counter: String },
    #[error("{0} is not a valid coupon number (its check code is wrong)")]
    CouponForged(String),
    #[error("a reward is priced in hours, in points, or both")]
    NoPrice,
    #[error("{0:?} is offered for points only")]
    NotForHours(String),
    #[error("{0:?} has no price in points")]
    NotForPoints(String),
    #[error("{reward:?} costs {expected} for this quantity")]
    WrongPrice { reward: String, expected: Points },
    #[error("only a points {} or an admin may do this review step", if *approver { "approver" } else { "verifier" })]
    NotReviewer { approver: bool },
    #[error("card {0} is a resident's (points only): register them as a volunteer to record hours")]
    ResidentHoldsNoHours(String),
    #[error(
        "this counter keeps its points scheme to its own community: its points go to no city pool and come from none"
    )]
    KeptLocal,
}

/// Either a broken rule or a failure of the underlying store.
#[derive(Debug)]
pub enum ApplyError<E> {
    Rule(Rule),
    Store(E),
}

impl<E> From<Rule> for ApplyError<E> {
    fn from(rule: Rule) -> Self {
        ApplyError::Rule(rule)
    }
}
