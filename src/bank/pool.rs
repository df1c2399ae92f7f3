//! The donation pool (爱心池 / 公益时间池): volunteers give hours to the bank, admins grant them
//! to people in need — a resident who cannot volunteer — with the reason. The pool is a ledger
//! of its own inside the journal: `Donated` and `PoolGranted` entries, reversible like the
//! others, and a balance that never goes below zero (checked in `domain::ledger::apply`).

use super::{Bank, BankError};
use crate::domain::{DonationPool, EventKind, Timestamp, VolunteerId};

/// One entry that moved pool hours: `delta` is the change to the pool (a donation adds, a grant
/// takes; a reversal undoes either).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolLine {
    pub seq: u64,
    pub at: Timestamp,
    pub card: String,
    pub delta: i64,
    /// The donor's note, the grant's reason, or `#seq reason` of a reversal.
    pub memo: String,
    pub actor: String,
}

/// The pool's totals and its entries, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolView {
    pub pool: DonationPool,
    pub lines: Vec<PoolLine>,
}

impl Bank {
    /// The pool's totals, as stored (one read).
    pub fn pool(&self) -> Result<DonationPool, BankError> {
        Ok(self.store.pool()?)
    }

    /// The pool's totals and every entry that moved them (one journal pass).
    pub fn pool_view(&self) -> Result<PoolView, BankError> {
        let mut lines = Vec::new();
        for item in self.store.journal_from(1) {
            let event = item?;
            let (delta, volunteer, memo) = match event.kind() {
                EventKind::Reversed { target, reason } => match pool_change(self.event(*target)?.kind()) {
                    Some((delta, volunteer, _)) => (-delta, volunteer, format!("#{target} {reason}")),
                    None => continue,
                },
                kind => match pool_change(kind) {
                    Some(change) => change,
                    None => continue,
                },
            };
            lines.push(PoolLine {
                seq: event.seq(),
                at: event.body.at,
                card: self.card_of(volunteer)?,
                delta,
                memo,
                actor: event.body.actor.to_string(),
            });
        }
        Ok(PoolView { pool: self.pool()?, lines })
    }
}

/// What an entry does to the pool: its change, the volunteer on the other side, and its memo.
pub fn pool_change(kind: &EventKind) -> Option<(i64, VolunteerId, String)> {
    match kind {
        EventKind::Donated { volunteer, minutes, note } => {
            Some((i64::from(minutes.get()), *volunteer, note.clone()))
        }
        EventKind::PoolGranted { volunteer, minutes, reason } => {
            Some((-i64::from(minutes.get()), *volunteer, reason.clone()))
        }
        _ => None,
    }
}
