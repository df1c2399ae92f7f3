//! Why a row of an import file is refused: a value, not a sentence, so that the command line
//! says it in the person's language (`i18n::Text::row_problem`); `Display` is the English.

use crate::domain::{Day, DomainError, Minutes, Rule};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    #[error("the file is neither UTF-8 nor GBK/GB18030 text")]
    Encoding,
    #[error("not readable as CSV: {0}")]
    Csv(String),
    #[error("missing column(s) {0} — the first line must be a header row naming the columns")]
    MissingColumns(String),
    #[error("id must be 1–64 printable characters")]
    BadId,
    #[error("timestamp {0:?} is not a date or time")]
    BadTimestamp(String),
    #[error("registered_at {0:?} is not a date")]
    BadRegistered(String),
    #[error("kind {0:?} must be deposit or redeem")]
    BadKind(String),
    #[error("minutes {0:?} must be a whole number greater than 0")]
    BadMinutes(String),
    /// A value the domain's own validation refuses (a card number's form, an entry cap).
    #[error("{0}")]
    Invalid(DomainError),
    /// The same, for a column named before the reason.
    #[error("{column}: {error}")]
    Column { column: TextColumn, error: DomainError },
    /// A rule the live deposit has too (a future date, an inactive volunteer).
    #[error("{0}")]
    Refused(Rule),
    /// The store could not be read while the row was checked.
    #[error("{0}")]
    Store(String),
    #[error("no volunteer with card {0}")]
    UnknownCard(String),
    #[error("too many names")]
    TooManyNames,
    #[error("the file is too large")]
    TooLarge,
    #[error("id {id:?} already appears on line {first}")]
    DuplicateId { id: String, first: u32 },
    #[error("id {id:?} was imported before with different content (entry {seq})")]
    EntryChanged { id: String, seq: u64 },
    #[error("{minutes} is not a whole number of the {unit}-minute rounding unit")]
    OffRounding { minutes: Minutes, unit: u32 },
    #[error("the balance would pass the storage cap of {cap}")]
    OverStorageCap { cap: Minutes },
    #[error("{day}: {credited} already credited; {minutes} more passes the daily cap of {cap}")]
    OverDayCap { day: Day, credited: Minutes, minutes: Minutes, cap: Minutes },
    #[error("redeeming {minutes} would overdraw the balance of {balance}")]
    Overdraw { minutes: Minutes, balance: Minutes },
    #[error("{0} is out of stock")]
    OutOfStock(String),
    #[error("card {card} already appears on line {first}")]
    DuplicateCard { card: String, first: u64 },
    #[error("card {card} was imported before with different details (entry {seq})")]
    VolunteerChanged { card: String, seq: u64 },
    #[error("card {0} is already registered with different details (use `volunteer edit`)")]
    RegisteredDifferently(String),
}

/// The free-text columns whose refusals name them (the others' values say what they are).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextColumn {
    Memo,
    Name,
    Community,
}

impl std::fmt::Display for TextColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TextColumn::Memo => "memo",
            TextColumn::Name => "name",
            TextColumn::Community => "community",
        })
    }
}
