//! The journal read as a book: each entry on its booking day (the local day it was recorded,
//! or for imported rows the day the row says it happened), with a reversal's original at hand.
//! Reports book a reversal on its own day as a negative line, as a paper ledger would: a
//! closed day's report never changes afterwards.

use chrono::Local;

use super::ExportError;
use crate::bank::Bank;
use crate::domain::{Day, Event, EventKind, Origin, Timestamp};

pub struct Booked<'a> {
    pub event: &'a Event,
    pub day: Day,
    /// For a `Reversed` entry, the entry it reverses.
    pub original: Option<&'a Event>,
}

pub fn local_day(at: Timestamp) -> Day {
    Day::from_date(at.datetime().with_timezone(&Local).date_naive())
}

/// The day an entry is booked on.
pub fn booking_day(event: &Event) -> Day {
    match &event.body.origin {
        Origin::Import(r) => local_day(r.occurred),
        _ => local_day(event.body.at),
    }
}

/// Calls `f` for every journal entry, in journal order.
pub fn scan(bank: &Bank, mut f: impl FnMut(Booked<'_>)) -> Result<(), ExportError> {
    for item in bank.store().journal_from(1) {
        let event = item?;
        let original = match event.kind() {
            EventKind::Reversed { target, .. } => Some(bank.event(*target)?),
            _ => None,
        };
        f(Booked { event: &event, day: booking_day(&event), original: original.as_ref() });
    }
    Ok(())
}
