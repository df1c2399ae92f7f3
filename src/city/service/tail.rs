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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

use serde_json::value::RawValue;

use crate::city::wire::{Cards, Head};
use crate::city::{CityError, Server};

/// How long a read of the tail answers rounds: a change reaches a counter's round at most
/// this much after it committed (one this instance stores, at the next read, which the next
/// round that finds no read under way makes).
pub const FRESH: Duration = Duration::from_millis(100);
/// Changed cards the tail holds at most; older ones are dropped (their rounds go to the
/// database).
const ROWS: usize = 50_000;

/// What the tail holds: every change after `start`, up to `end` (the city's position as read).
#[derive(Default)]
struct Held {
    start: u64,
    end: u64,
    /// Each card's latest row, by its last change, as the JSON an answer carries (written
    /// once here, not once per counter that asks: that was most of the service's work).
    rows: BTreeMap<(u64, String), Box<RawValue>>,
    at: HashMap<String, u64>,
    read_at: Option<Instant>,
    /// The `wanted` generation the last read began at.
    read_generation: u64,
}

/// One instance's tail. Rounds never wait for its database read: one round reads while the
/// others answer from what is held (as of its end, an answer the statement gave a moment
/// ago). Measured: with the read under the one lock, every push (a hundred a second) made the
/// next read wait for a statement, each holding a connection, and rounds queued for
/// connections behind them (p99 up to 80 ms).
#[derive(Default)]
pub struct Tail {
    held: Mutex<Held>,
    /// One reader of the database at a time.
    reading: Mutex<()>,
    /// Moved by each push this instance stores: a read that began before it is stale.
    wanted: AtomicU64,
}

impl Tail {
    /// The next round reads the database again (this instance stored a push).
    pub fn moved(&self) {
        self.wanted.fetch_add(1, Ordering::SeqCst);
    }

    fn held(&self) -> MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn stale(&self) -> bool {
        let held = self.held();
        held.read_generation < self.wanted.load(Ordering::SeqCst)
            || held.read_at.is_none_or(|at| at.elapsed() >= FRESH)
    }

    /// Whether a round should read the database first: the tail is stale and nobody is reading.
    pub fn wants_read(&self) -> bool {
        self.stale() && !matches!(self.reading.try_lock(), Err(TryLockError::WouldBlock))
    }

    /// Reads the changes past the tail's end if the tail is stale, unless another round is
    /// reading them (this one then answers from what is held).
    pub fn refresh(&self, server: &mut Server) -> Result<(), CityError> {
        if !self.stale() {
            return Ok(());
        }
        let _reading = match self.reading.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return Ok(()),
        };
        // Read by the round that held `reading` a moment ago?
        if !self.stale() {
            return Ok(());
        }
        let generation = self.wanted.load(Ordering::SeqCst);
        let read_at = Instant::now();
        let (first, end) = {
            let held = self.held();
            (held.read_at.is_none() && held.end == 0, held.end)
        };
        let restart = |position: u64| Held {
            start: position,
            end: position,
            read_at: Some(read_at),
            read_generation: generation,
            ..Held::default()
        };
        if first {
            // The first read: the tail starts at the city's position, empty.
            let position = server.position()?;
            *self.held() = restart(position);
            return Ok(());
        }
        let changed = server.cards_after(end, Some(ROWS))?;
        if changed.position < end || changed.rejoin {
            // The database was put back, or a change too big to hold: start again from here.
            let position = server.position()?;
            *self.held() = restart(position);
            return Ok(());
        }
        let mut rows = Vec::with_capacity(changed.cards.len());
        for row in changed.cards {
            let json = serde_json::value::to_raw_value(&row)
                .map_err(|e| CityError::Failed { what: "a card's row", message: e.to_string() })?;
            rows.push((row.pos, row.card, json));
        }
        let mut held = self.held();
        for (pos, card, json) in rows {
            if let Some(old) = held.at.insert(card.clone(), pos) {
                held.rows.remove(&(old, card.clone()));
            }
            held.rows.insert((pos, card), json);
        }
        held.end = changed.position;
        while held.rows.len() > ROWS {
            let Some(((pos, card), _)) = held.rows.pop_first() else { break };
            held.at.remove(&card);
            held.start = held.start.max(pos);
        }
        held.read_at = Some(read_at);
        held.read_generation = generation;
        Ok(())
    }

    /// The cards changed after `after`, as of the tail's end, as the JSON of a `wire::Cards`
    /// with `head`, if the tail covers `after`; more than `limit` are answered `rejoin`.
    pub fn after(&self, after: u64, limit: usize, head: Option<&Head>) -> Option<Vec<u8>> {
        let held = self.held();
        if after < held.start || after > held.end || held.read_at.is_none() {
            return None;
        }
        let mut cards: Vec<&RawValue> =
            held.rows.range((after + 1, String::new())..).map(|(_, json)| &**json).take(limit + 1).collect();
        let rejoin = cards.len() > limit;
        if rejoin {
            cards.clear();
        }
        let answer =
            Cards { position: held.end, cards, head: head.cloned(), next: None, total: None, rejoin };
        serde_json::to_vec(&answer).ok()
    }
}
