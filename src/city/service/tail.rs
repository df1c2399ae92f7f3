//! The directory's recent changes, kept by each instance: what a counter's round asks for.
//!
//! Every counter asks every second for the cards changed past its position; with a city
//! pushing all the time, each of those asks ran the directory's statement (parsed, planned,
//! aggregated), a thousand times a second for the same few changes. Instead an instance reads
//! the changes past the end of what it holds once per `FRESH` (one statement, one snapshot;
//! positions are in commit order, so the snapshot holds every change up to its position) and
//! answers rounds from memory: the cards whose last change is past the counter's position,
//! as of the tail's end — exactly what the statement would have answered at that position. A
//! position before the tail's start (a counter long away), or past its end (one served by
//! another instance a moment ago), is asked of the database as before.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde_json::value::RawValue;

use crate::city::wire::{Cards, Head};
use crate::city::{CityError, Server};

/// How long a read of the tail answers rounds: a change reaches a counter's round at most
/// this much after it committed (a change this instance stores, at once).
pub const FRESH: Duration = Duration::from_millis(100);
/// Changed cards the tail holds at most; older ones are dropped (their rounds go to the
/// database).
const ROWS: usize = 50_000;

#[derive(Default)]
pub struct Tail {
    /// The tail holds every change after `start`, up to `end` (the city's position as read).
    start: u64,
    end: u64,
    /// Each card's latest row, by its last change, as the JSON an answer carries (written
    /// once here, not once per counter that asks: that was most of the service's work).
    rows: BTreeMap<(u64, String), Box<RawValue>>,
    at: HashMap<String, u64>,
    read_at: Option<Instant>,
}

impl Tail {
    /// The next round reads the database again (this instance stored a push).
    pub fn moved(&mut self) {
        self.read_at = None;
    }

    /// Reads the changes past the tail's end if the tail is older than `FRESH`.
    pub fn refresh(&mut self, server: &mut Server) -> Result<(), CityError> {
        if self.read_at.is_some_and(|at| at.elapsed() < FRESH) {
            return Ok(());
        }
        let read_at = Instant::now();
        if self.read_at.is_none() && self.end == 0 {
            // The first read: the tail starts at the city's position, empty.
            let position = server.position()?;
            (self.start, self.end) = (position, position);
            self.read_at = Some(read_at);
            return Ok(());
        }
        let changed = server.cards_after(self.end, Some(ROWS))?;
        if changed.position < self.end || changed.rejoin {
            // The database was put back, or a change too big to hold: start again from here.
            *self = Tail::default();
            let position = server.position()?;
            (self.start, self.end, self.read_at) = (position, position, Some(read_at));
            return Ok(());
        }
        for row in changed.cards {
            if let Some(old) = self.at.insert(row.card.clone(), row.pos) {
                self.rows.remove(&(old, row.card.clone()));
            }
            let json = serde_json::value::to_raw_value(&row)
                .map_err(|e| CityError::Failed { what: "a card's row", message: e.to_string() })?;
            self.rows.insert((row.pos, row.card.clone()), json);
        }
        self.end = changed.position;
        while self.rows.len() > ROWS {
            let Some(((pos, card), _)) = self.rows.pop_first() else { break };
            self.at.remove(&card);
            self.start = self.start.max(pos);
        }
        self.read_at = Some(read_at);
        Ok(())
    }

    /// The cards changed after `after`, as of the tail's end, as the JSON of a `wire::Cards`
    /// with `head`, if the tail covers `after`; more than `limit` are answered `rejoin`.
    pub fn after(&self, after: u64, limit: usize, head: Option<&Head>) -> Option<Vec<u8>> {
        if after < self.start || after > self.end || self.read_at.is_none() {
            return None;
        }
        let mut cards: Vec<&RawValue> =
            self.rows.range((after + 1, String::new())..).map(|(_, json)| &**json).take(limit + 1).collect();
        let rejoin = cards.len() > limit;
        if rejoin {
            cards.clear();
        }
        let answer =
            Cards { position: self.end, cards, head: head.cloned(), next: None, total: None, rejoin };
        serde_json::to_vec(&answer).ok()
    }
}
