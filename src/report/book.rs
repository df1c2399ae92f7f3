//! The journal read as a book: each entry on its booking day (the local day it was recorded,
//! or for imported rows the day the row says it happened), with a reversal's original at hand.
//! Reports book a reversal on its own day as a negative line, as a paper ledger would: a
//! closed day's report never changes afterwards.

use super::ExportError;
use crate::bank::Bank;
use crate::domain::{Day, Event, EventKind, Origin, Timestamp};

pub struct Booked<'a> {
    pub event: &'a Event,
    pub day: Day,
    /// For a `Reversed` entry, the entry it reverses.
    pub original: Option<&'a Event>,
}

impl Booked<'_> {
    /// What the entry books, and which way: its own kind, or — a reversal being its target,
    /// negated — the original's kind with sign -1. The one place reports read a reversal.
    pub fn booked(&self) -> (&EventKind, i64) {
        match (self.event.kind(), self.original) {
            (EventKind::Reversed { .. }, Some(original)) => (original.kind(), -1),
            (kind, _) => (kind, 1),
        }
    }
}

pub use crate::bank::local_day;

/// The day an entry is booked on.
pub fn booking_day(event: &Event) -> Day {
    match &event.body.origin {
        Origin::Import(r) => local_day(r.occurred),
        _ => local_day(event.body.at),
    }
}

/// Local days of timestamps, remembering the last UTC hour seen: time zone offsets change on
/// the hour at most, and the journal is in time order, so nearly every entry is a hit. Asking
/// the system time zone for each of a million entries took longer than decoding them.
#[derive(Default)]
struct LocalDays {
    hour: Option<(i64, Day)>,
}

impl LocalDays {
    fn day(&mut self, at: Timestamp) -> Day {
        let hour = at.micros().div_euclid(3_600_000_000);
        match self.hour {
            Some((h, day)) if h == hour => day,
            _ => {
                let day = local_day(at);
                self.hour = Some((hour, day));
                day
            }
        }
    }

    fn booking_day(&mut self, event: &Event) -> Day {
        match &event.body.origin {
            Origin::Import(r) => self.day(r.occurred),
            _ => self.day(event.body.at),
        }
    }
}

/// Folds every journal entry, in journal order, into a state made by `init`. Reads the flat
/// journal copy when it proves equal to sled, else sled itself — starting again from a fresh
/// state if the copy was refused part-way, so a report never mixes the two.
pub fn fold<S>(
    bank: &Bank,
    init: impl Fn() -> S,
    mut f: impl FnMut(&mut S, Booked<'_>),
) -> Result<S, ExportError> {
    let mut state = init();
    let mut failed: Option<ExportError> = None;
    let mut days = LocalDays::default();
    let mut step = |state: &mut S, event: Event| {
        if failed.is_some() {
            return;
        }
        let original = match event.kind() {
            EventKind::Reversed { target, .. } => match bank.event(*target) {
                Ok(o) => Some(o),
                Err(e) => {
                    failed = Some(e.into());
                    return;
                }
            },
            _ => None,
        };
        f(state, Booked { event: &event, day: days.booking_day(&event), original: original.as_ref() });
    };
    let from_copy = bank.journal_from_copy(|event| step(&mut state, event))?;
    if !from_copy {
        state = init();
        for item in bank.journal() {
            step(&mut state, item?);
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(state),
    }
}
