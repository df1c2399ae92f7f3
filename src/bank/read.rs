//! The journal and the records as the layers above read them in bulk (exports, reports, the
//! passbook): the store's scans, with the bank's error. They are the reason nothing above
//! `bank` needs the store itself.

use super::{Bank, BankError};
use crate::domain::{Account, Event, Volunteer};

impl Bank {
    /// The seq of the newest journal entry (0 for an empty journal).
    pub fn last_seq(&self) -> Result<u64, BankError> {
        Ok(self.store.next_seq()?.saturating_sub(1))
    }

    /// The whole journal, oldest first.
    pub fn journal(&self) -> impl Iterator<Item = Result<Event, BankError>> + '_ {
        self.store.journal_from(1).map(|e| e.map_err(BankError::from))
    }

    /// The journal read from its append-only copy when that copy is whole (faster than the
    /// tree); `false` when the caller must read [`Bank::journal`] instead.
    pub fn journal_from_copy(&self, f: impl FnMut(Event)) -> Result<bool, BankError> {
        Ok(self.store.journal_from_copy(f)?)
    }

    /// Every volunteer's record by id, in id order (no account read per volunteer).
    pub fn volunteer_records(&self) -> impl Iterator<Item = Result<(u64, Volunteer), BankError>> + '_ {
        self.store.volunteers().map(|r| r.map_err(BankError::from))
    }

    /// One volunteer's record, if the id exists.
    pub fn volunteer_record(&self, id: u64) -> Result<Option<Volunteer>, BankError> {
        Ok(self.store.volunteer(id)?)
    }

    /// Every account by volunteer id, in id order: walked beside [`Bank::volunteer_records`].
    pub fn account_totals(&self) -> impl Iterator<Item = Result<(u64, Account), BankError>> + '_ {
        self.store.account_totals().map(|r| r.map_err(BankError::from))
    }

    /// The journal's stored values from seq `from` on, byte for byte (what the city server
    /// keeps, and re-checks with [`StoredEvent`](crate::bank::StoredEvent)).
    pub fn stored_events_from(
        &self,
        from: u64,
    ) -> impl Iterator<Item = Result<(u64, Vec<u8>), BankError>> + '_ {
        self.store.journal_values_from(from).map(|r| r.map_err(BankError::from))
    }

    /// Card number → volunteer id, for every card.
    pub fn card_index(&self) -> impl Iterator<Item = Result<(String, u64), BankError>> + '_ {
        self.store.card_index().map(|r| r.map_err(BankError::from))
    }
}
