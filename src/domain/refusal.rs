//! Why the ledger refuses an operation: the business rules, named, and the error `apply`
//! returns (a broken rule, or the store underneath failing).

use super::Minutes;
use super::entities::VolunteerId;

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
