//! Pulling every other counter's new events from the city server. Each counter's chain is
//! verified from the last hash this counter verified (its cursor), and each batch is applied
//! by the bank with the cursor moved in the same sled transaction: a killed pull leaves whole
//! batches, and the next goes on from the cursor. A counter whose rows do not continue its
//! chain (a row altered on the server, or a counter written again from an old backup) stops
//! there, named with its seq; the others go on.

use super::push::BATCH;
use super::{CityError, Server};
use crate::bank::{Bank, BankError, RemoteError};

/// The largest stored event a pull accepts (no counter can have written a larger one).
pub(super) const EVENT_BYTES: i64 = crate::bank::MAX_EVENT_BYTES as i64;
/// A pull batch ends once it holds this many bytes of events (it always holds at least one).
pub(super) const BATCH_BYTES: i64 = 32 * 1024 * 1024;

/// What a pull did, counter by counter.
#[derive(Debug, Default)]
pub struct Pulled {
    /// Each other counter with new events: code, last seq before and after.
    pub counters: Vec<(String, u64, u64)>,
    /// The counters that stopped, with why (nothing of theirs applied past the seq named).
    pub stopped: Vec<RemoteError>,
}

impl Pulled {
    pub fn events(&self) -> u64 {
        self.counters.iter().map(|(_, from, to)| to - from).sum()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error(transparent)]
    City(#[from] CityError),
    /// The city service refused or could not be reached.
    #[error(transparent)]
    Service(super::ClientError),
    #[error(transparent)]
    Bank(#[from] BankError),
}

fn sql(what: &'static str) -> impl Fn(postgres::Error) -> CityError {
    move |e| CityError::of(what, e)
}

impl Server {
    /// Pulls every other counter's events this bank has not applied yet. `own` is this
    /// counter's code (its own events are never pulled back).
    pub fn pull(&mut self, bank: &Bank, own: &str) -> Result<Pulled, PullError> {
        let codes: Vec<String> = self
            .client()
            .query("SELECT code FROM hb_counters WHERE code <> $1 ORDER BY code", &[&own])
            .map_err(sql("the counters"))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut pulled = Pulled::default();
        for code in codes {
            let (next, _) = bank.city_head(&code)?;
            match self.pull_counter(bank, &code) {
                Ok(to) if to + 1 > next => pulled.counters.push((code, next - 1, to)),
                Ok(_) => {}
                Err(Stop::Remote(e)) => pulled.stopped.push(e),
                Err(Stop::Pull(e)) => return Err(e),
            }
        }
        if pulled.stopped.is_empty() {
            bank.mark_city_pulled()?;
        }
        Ok(pulled)
    }

    /// Applies to `bank` every row of counter `code` the server holds past what `bank` verified
    /// (the city service's verifier catching up). Returns the last seq applied, or why the
    /// server's rows do not verify.
    pub(super) fn catch_up(&mut self, bank: &Bank, code: &str) -> Result<u64, String> {
        match self.pull_counter(bank, code) {
            Ok(seq) => Ok(seq),
            Err(Stop::Remote(e)) => Err(e.to_string()),
            Err(Stop::Pull(e)) => Err(e.to_string()),
        }
    }

    /// One counter, batch by batch, to the server's head. Returns the last seq applied.
    fn pull_counter(&mut self, bank: &Bank, code: &str) -> Result<u64, Stop> {
        let unlinked = |seq: u64| Stop::Remote(RemoteError::Unlinked { code: code.to_string(), seq });
        // An enrolled counter's rows past its enrollment are applied only as far as its own
        // signatures cover them (a row appended by whoever holds the database is not); a counter
        // never enrolled is verified by its chain alone, as before the service — unless this
        // connection knows the city's key: then a counter's rows count only when that key signed
        // its enrollment (whoever holds the database cannot enroll, swap a key or move a head).
        let key = self.enrolled_key(code).map_err(PullError::from)?;
        let vouched = match (&self.city_key, &key) {
            (Some(city), Some(key)) => key.vouched_by(code, city),
            (Some(_), None) => false,
            (None, _) => true,
        };
        loop {
            let (next, mut prev) = bank.city_head(code).map_err(PullError::from)?;
            // The row at the cursor comes too: it must still be the one verified.
            // Sizes are limited before any bytes come: a row larger than any event a counter
            // can store is never sent (its bytes stay on the server, its length comes), and a
            // batch ends once it holds `BATCH_BYTES`, so a pull's memory is bounded whatever
            // the rows hold.
            let rows = self
                .client()
                .query(
                    "SELECT seq, prev_hash, hash, CASE WHEN n <= $4 THEN stored END, n FROM (
                         SELECT seq, prev_hash, hash, stored, length(stored)::BIGINT AS n,
                                (sum(length(stored)::BIGINT) OVER (ORDER BY seq))::BIGINT AS running
                         FROM hb_events WHERE counter = $1 AND seq >= $2 ORDER BY seq LIMIT $3) AS t
                     WHERE running - n < $5 ORDER BY seq",
                    &[&code, &((next - 1) as i64), &(BATCH as i64 + 1), &EVENT_BYTES, &BATCH_BYTES],
                )
                .map_err(|e| PullError::from(CityError::of("a batch of events", e)))?;
            let mut batch = Vec::with_capacity(rows.len());
            let mut oversized = None;
            for (i, row) in rows.iter().enumerate() {
                let seq = row.get::<_, i64>(0) as u64;
                let prev_hash: Vec<u8> = row.get(1);
                let hash: Vec<u8> = row.get(2);
                if i == 0 {
                    if seq != next - 1 || hash.as_slice() != prev.as_slice() {
                        return Err(unlinked(next - 1));
                    }
                    continue;
                }
                let Some(stored) = row.get::<_, Option<Vec<u8>>>(3) else {
                    oversized = Some((seq, row.get::<_, i64>(4)));
                    break;
                };
                // The columns must agree with the stored bytes (whose link the bank checks from
                // the verified head): a row is all of one event or refused.
                let own_hash = crate::bank::StoredEvent::split(&stored).map(|s| s.hash());
                if seq != next - 1 + i as u64
                    || prev_hash.as_slice() != prev.as_slice()
                    || own_hash.map(|h| h.to_vec()) != Some(hash)
                {
                    return Err(unlinked(next - 1 + i as u64));
                }
                prev = own_hash.unwrap_or_default();
                batch.push((seq, stored));
            }
            if let Some((seq, bytes)) = oversized {
                // The good rows before it are applied; the counter stops at it.
                if !batch.is_empty() {
                    bank.apply_remote(code, &batch).map_err(store_or_remote)?;
                }
                return Err(Stop::Remote(RemoteError::Unwritable {
                    code: code.to_string(),
                    seq,
                    why: format!("{bytes} bytes, more than any event a counter can store ({EVENT_BYTES})"),
                }));
            }
            if rows.is_empty() {
                return Err(unlinked(next - 1));
            }
            if batch.is_empty() {
                return Ok(next - 1);
            }
            if !vouched {
                return Err(Stop::Remote(RemoteError::Unvouched { code: code.to_string() }));
            }
            if let Some(key) = &key {
                let last = batch.last().map_or(next, |(s, _)| *s);
                let signatures: Vec<(u64, Vec<u8>)> = self
                    .client()
                    .query(
                        "SELECT seq, signature FROM hb_signatures WHERE counter = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq",
                        &[&code, &(next as i64), &(last as i64)],
                    )
                    .map_err(|e| PullError::from(CityError::of("the batch's signatures", e)))?
                    .iter()
                    .map(|r| (r.get::<_, i64>(0) as u64, r.get(1)))
                    .collect();
                let stored: Vec<&[u8]> = batch.iter().map(|(_, v)| v.as_slice()).collect();
                let signed: Vec<(u64, &[u8])> = signatures.iter().map(|(s, v)| (*s, v.as_slice())).collect();
                let covered = super::wire::covered(code, &key.key, key.enrolled_head, next, &stored, &signed);
                batch.retain(|(s, _)| *s <= covered);
                if batch.is_empty() {
                    return Err(Stop::Remote(RemoteError::Unsigned { code: code.to_string(), seq: next }));
                }
            }
            apply_rows(bank, code, batch).map_err(store_or_remote)?;
        }
    }
}

/// Applies pulled rows of `code`; when one is refused, the good rows before it are applied
/// (they are still that counter's good chain, so "nothing applied past #seq-1" is true) and the
/// refusal returned.
pub(super) fn apply_rows(bank: &Bank, code: &str, batch: Vec<(u64, Vec<u8>)>) -> Result<(), RemoteError> {
    let Err(e) = bank.apply_remote(code, &batch) else { return Ok(()) };
    if let Some(bad) = refused_seq(&e) {
        let good: Vec<(u64, Vec<u8>)> = batch.into_iter().filter(|(s, _)| *s < bad).collect();
        if !good.is_empty() {
            bank.apply_remote(code, &good)?;
        }
    }
    Err(e)
}

/// The seq of the row a counter's batch was refused at, if the refusal names one.
fn refused_seq(e: &RemoteError) -> Option<u64> {
    match e {
        RemoteError::Unlinked { seq, .. }
        | RemoteError::Refused { seq, .. }
        | RemoteError::Unwritable { seq, .. }
        | RemoteError::Unsigned { seq, .. } => Some(*seq),
        RemoteError::KeyChanged { .. } | RemoteError::Unvouched { .. } | RemoteError::Store(_) => None,
    }
}

pub(super) fn store_or_remote(e: RemoteError) -> Stop {
    match e {
        RemoteError::Store(s) => Stop::Pull(PullError::Bank(s.into())),
        other => Stop::Remote(other),
    }
}

impl Server {
    /// The service's side of a pull: counter `code`'s events after `after` (at most a batch,
    /// within the byte budget; a row past the size limit is named, never read), and the
    /// signatures over heads among them.
    pub(super) fn events_after(&mut self, code: &str, after: u64) -> Result<super::wire::Events, CityError> {
        let rows = self
            .client()
            .query(
                "SELECT seq, CASE WHEN n <= $4 THEN stored END, n FROM (
                     SELECT seq, stored, length(stored)::BIGINT AS n,
                            (sum(length(stored)::BIGINT) OVER (ORDER BY seq))::BIGINT AS running
                     FROM hb_events WHERE counter = $1 AND seq > $2 ORDER BY seq LIMIT $3) AS t
                 WHERE running - n < $5 ORDER BY seq",
                &[&code, &(after as i64), &(BATCH as i64), &EVENT_BYTES, &BATCH_BYTES],
            )
            .map_err(|e| CityError::of("a batch of events", e))?;
        let mut events = super::wire::Events {
            rows: Vec::with_capacity(rows.len()),
            signatures: Vec::new(),
            oversized: None,
        };
        for row in &rows {
            let seq = row.get::<_, i64>(0) as u64;
            match row.get::<_, Option<Vec<u8>>>(1) {
                Some(stored) => events.rows.push(super::wire::EventRow { seq, stored }),
                None => {
                    events.oversized = Some((seq, row.get::<_, i64>(2) as u64));
                    break;
                }
            }
        }
        if let Some(last) = events.rows.last().map(|r| r.seq) {
            events.signatures = self
                .client()
                .query(
                    "SELECT seq, signature FROM hb_signatures WHERE counter = $1 AND seq > $2 AND seq <= $3 ORDER BY seq",
                    &[&code, &(after as i64), &(last as i64)],
                )
                .map_err(|e| CityError::of("the batch's signatures", e))?
                .iter()
                .map(|r| super::wire::HeadSignature { seq: r.get::<_, i64>(0) as u64, signature: r.get(1) })
                .collect();
        }
        Ok(events)
    }

    /// The service's side of a pull of several counters (`POST /v1/events`): each want's next
    /// events as [`Server::events_after`] answers one counter, in the wants' order, two
    /// statements however many counters. Whole counters only, while the bytes before one stay
    /// under `BATCH_BYTES` (the first always): the rest are asked again. (A counter cut anywhere
    /// but where its batches were signed would show rows no signature covers yet.) A counter
    /// with nothing after its want is left out.
    pub(super) fn events_wanted(
        &mut self,
        wants: &[super::wire::Want],
    ) -> Result<Vec<super::wire::CounterEvents>, CityError> {
        let codes: Vec<&str> = wants.iter().map(|w| w.counter.as_str()).collect();
        let afters: Vec<i64> = wants.iter().map(|w| i64::try_from(w.after).unwrap_or(i64::MAX)).collect();
        let rows = self
            .client()
            .query(
                "SELECT counter, seq, CASE WHEN n <= $4 THEN stored END, n FROM (
                     SELECT w.counter, w.ord, e.seq, e.stored, e.n,
                            (sum(e.n) OVER (ORDER BY w.ord, e.seq))::BIGINT - e.running AS before
                     FROM unnest($1::TEXT[], $2::BIGINT[]) WITH ORDINALITY AS w(counter, after, ord)
                     CROSS JOIN LATERAL (
                         SELECT seq, stored, n, running FROM (
                             SELECT seq, stored, length(stored)::BIGINT AS n,
                                    (sum(length(stored)::BIGINT) OVER (ORDER BY seq))::BIGINT AS running
                             FROM hb_events WHERE counter = w.counter AND seq > w.after
                             ORDER BY seq LIMIT $3) AS own
                         WHERE running - n < $5) AS e) AS t
                 WHERE before < $5 ORDER BY ord, seq",
                &[&codes, &afters, &(BATCH as i64), &EVENT_BYTES, &BATCH_BYTES],
            )
            .map_err(|e| CityError::of("the wanted events", e))?;
        let mut answered: Vec<super::wire::CounterEvents> = Vec::new();
        for row in &rows {
            let counter: String = row.get(0);
            if answered.last().is_none_or(|a| a.counter != counter) {
                let events =
                    super::wire::Events { rows: Vec::new(), signatures: Vec::new(), oversized: None };
                answered.push(super::wire::CounterEvents { counter, events });
            }
            let Some(events) = answered.last_mut().map(|a| &mut a.events) else { continue };
            if events.oversized.is_some() {
                continue;
            }
            let seq = row.get::<_, i64>(1) as u64;
            match row.get::<_, Option<Vec<u8>>>(2) {
                Some(stored) => events.rows.push(super::wire::EventRow { seq, stored }),
                None => events.oversized = Some((seq, row.get::<_, i64>(3) as u64)),
            }
        }
        let lasts: Vec<i64> =
            answered.iter().map(|a| a.events.rows.last().map_or(0, |r| r.seq as i64)).collect();
        let firsts: Vec<i64> =
            answered.iter().map(|a| a.events.rows.first().map_or(0, |r| r.seq as i64 - 1)).collect();
        let codes: Vec<&str> = answered.iter().map(|a| a.counter.as_str()).collect();
        let signatures = self
            .client()
            .query(
                "SELECT w.counter, s.seq, s.signature
                 FROM unnest($1::TEXT[], $2::BIGINT[], $3::BIGINT[]) AS w(counter, after, last)
                 JOIN hb_signatures s ON s.counter = w.counter AND s.seq > w.after AND s.seq <= w.last
                 ORDER BY w.counter, s.seq",
                &[&codes, &firsts, &lasts],
            )
            .map_err(|e| CityError::of("the wanted events' signatures", e))?;
        for row in &signatures {
            let counter: String = row.get(0);
            if let Some(a) = answered.iter_mut().find(|a| a.counter == counter) {
                let signature =
                    super::wire::HeadSignature { seq: row.get::<_, i64>(1) as u64, signature: row.get(2) };
                a.events.signatures.push(signature);
            }
        }
        Ok(answered)
    }

    /// Every counter with its key and head, for the service's `/v1/counters`.
    pub(super) fn counter_entries(&mut self) -> Result<Vec<super::wire::CounterEntry>, CityError> {
        let rows = self
            .client()
            .query(
                "SELECT c.code, k.public_key, coalesce(k.enrolled_head, 0), k.revoked_at IS NOT NULL,
                        coalesce(h.seq, 0), h.hash, k.enrollment
                 FROM hb_counters c LEFT JOIN hb_keys k ON k.counter = c.code
                 LEFT JOIN LATERAL (SELECT seq, hash FROM hb_events e WHERE e.counter = c.code
                                    ORDER BY seq DESC LIMIT 1) AS h ON true
                 ORDER BY c.code",
                &[],
            )
            .map_err(|e| CityError::of("the counters", e))?;
        Ok(rows
            .iter()
            .map(|r| {
                let key: Option<Vec<u8>> = r.get(1);
                super::wire::CounterEntry {
                    code: r.get(0),
                    key: key
                        .and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok())
                        .and_then(|k| ed25519_dalek::VerifyingKey::from_bytes(&k).ok())
                        .map(|k| crate::bank::public_text(&k)),
                    enrolled_head: r.get::<_, i64>(2) as u64,
                    enrollment: r.get(6),
                    revoked: r.get::<_, Option<bool>>(3).unwrap_or(false),
                    // The events' own last row, not `head_seq`: whatever a row's origin, a
                    // puller sees it and judges it.
                    head: r.get::<_, i64>(4) as u64,
                    head_hash: r.get::<_, Option<Vec<u8>>>(5).unwrap_or_default(),
                }
            })
            .collect())
    }
}

/// Why one counter's pull ended early: its rows (that counter stops, others go on), or the
/// server or the store (the whole pull stops).
pub(super) enum Stop {
    Remote(RemoteError),
    Pull(PullError),
}

impl From<PullError> for Stop {
    fn from(e: PullError) -> Self {
        Stop::Pull(e)
    }
}
