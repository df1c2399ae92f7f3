//! `POST /v1/push`: the rules at the door. A push is signed batches continuing the server's
//! head; each is verified — on the counter's own state, in the service's verifier: the chain,
//! the checks a backup's events pass, the same `ledger::apply` the counters run — before any of
//! it is stored, with everything derived from it.
//!
//! The verifier and the database work at once, one batch apart: while the database stores a
//! batch's events and rows, the verifier checks the next one (measured at 220,000 events: the
//! two took about as long, one after the other). All the batches of a push are stored in one
//! transaction, each in a savepoint, and the directory published once for them all; a batch
//! refused — by the verifier or while it is stored — is undone alone, and the push stops there,
//! keeping the batches before it. Nothing unverified is ever committed.

use std::sync::Arc;
use std::sync::mpsc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, State as Extract};

use super::State;
use super::auth::Counter;
use super::refusal::ApiError;
use crate::bank::{Bank, DirectoryRow, EntryRow, PointsRows, RemoteError, RowNames, StoredEvent};
use crate::city::push::{BATCH, Link, PushError, Storing, server_head};
use crate::city::wire::{self, Head, PUSH_BATCHES, PushRequest, SignedBatch};
use crate::city::{CityError, EnrolledKey, Server};

/// How many verified batches may wait for the database: enough that neither side waits on a
/// batch that takes a little longer, few enough that a push holds little memory.
const VERIFIED_AHEAD: usize = 2;

/// `POST /v1/push`: batches of the calling counter's events, verified at the door.
pub async fn push(
    Extract(state): Extract<Arc<State>>,
    Extension(Counter(code)): Extension<Counter>,
    body: Bytes,
) -> Result<Json<Head>, ApiError> {
    let request: PushRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("not a push request: {e}")))?;
    drop(body);
    let _pushing =
        state.pushes.acquire().await.map_err(|_| ApiError::unavailable("the service is stopping".into()))?;
    let head = state.blocking(move |state, server| verify_and_store(state, server, &code, request)).await?;
    Ok(Json(head))
}

/// One signed batch of a push, as the service reads it.
struct Batch {
    /// Seq and stored bytes of each event.
    rows: Vec<(u64, Vec<u8>)>,
    /// Each event's link hash.
    hashes: Vec<[u8; 32]>,
    /// The hash of the event the batch continues.
    prev: Vec<u8>,
    signature: Vec<u8>,
}

impl Batch {
    fn last(&self) -> u64 {
        self.rows.last().map_or(0, |r| r.0)
    }

    fn head(&self) -> Head {
        Head { seq: self.last(), hash: self.hashes.last().map_or_else(Vec::new, |h| h.to_vec()) }
    }

    /// The batch's events as `hb_events` rows, each linked to the one before.
    fn links(&self) -> Vec<Link<'_>> {
        let mut prev: &[u8] = &self.prev;
        let mut out = Vec::with_capacity(self.rows.len());
        for ((seq, value), hash) in self.rows.iter().zip(&self.hashes) {
            out.push((*seq as i64, prev, hash.as_slice(), value.as_slice()));
            prev = hash.as_slice();
        }
        out
    }
}

/// What one batch's transaction stores beside its events: the rows derived from it, verified.
struct Derived {
    entries: Vec<EntryRow>,
    directory: Vec<DirectoryRow>,
    points: PointsRows,
}

/// The words that end a refusal of batch `index` of a push.
fn nothing_stored(index: usize) -> &'static str {
    if index == 0 {
        "nothing was stored"
    } else {
        "nothing from it on was stored (the batches before it were)"
    }
}

/// One push of a counter at a time (its own lock). Pushes of different counters are verified
/// one batch after another (the verifier's lock, held only while a batch is verified: in
/// memory, short) and stored at once, each in its own database transaction.
fn verify_and_store(
    state: &State,
    server: &mut Server,
    code: &str,
    request: PushRequest,
) -> Result<Head, ApiError> {
    let from = request.from;
    let signed = request.into_batches();
    if signed.len() > PUSH_BATCHES || signed.iter().any(|b| b.events.is_empty() || b.events.len() > BATCH) {
        return Err(ApiError::bad_request(format!(
            "a push holds 1 to {PUSH_BATCHES} batches of 1 to {BATCH} events"
        )));
    }
    let counter = state.counter_lock(code);
    let _one_push = counter.lock().unwrap_or_else(|p| p.into_inner());
    let (head, head_hash) = server_head(server, code)?;
    if from != head {
        return Err(ApiError::stale(
            head,
            head_hash,
            format!("the city holds {code}'s chain up to #{head}; the push started after #{from}"),
        ));
    }
    let key = state.vouched_key_with(server, code)?;
    let (batches, unsigned) = read_batches(code, &key, head, head_hash.clone(), signed);
    let Some(first) = batches.first() else {
        return Err(unsigned.unwrap_or_else(|| ApiError::bad_request("a push holds a batch".into())));
    };
    let mut verifier = state.verifier();
    if !in_step(&verifier.bank, server, code, head, &first.prev)? {
        // The cache is out of step with the database (a batch verified and then not stored):
        // start again from the database.
        state.rebuild(&mut verifier)?;
        if !in_step(&verifier.bank, server, code, head, &first.prev)? {
            return Err(ApiError::unavailable(format!(
                "the service could not verify {code}'s chain as stored"
            )));
        }
    }
    let (verified, stored) = std::thread::scope(|scope| {
        let (derived_tx, derived_rx) = mpsc::sync_channel::<Derived>(VERIFIED_AHEAD);
        let batches = &batches;
        let storing = scope.spawn(move || store(server, code, batches, derived_rx));
        let verified = verify(state, verifier, code, batches, derived_tx);
        let stored = storing.join().unwrap_or_else(|_| {
            Err(CityError::Failed { what: "a push", message: "the storing thread panicked".into() }.into())
        });
        (verified, stored)
    });
    let (applied, refused) = verified;
    let (kept, not_kept) = match stored {
        Ok((kept, why)) => (kept, why),
        Err(e) => (0, Some(e)),
    };
    if applied > kept {
        // Verified here and not stored there: this cache is ahead of the database.
        state.rebuild(&mut state.verifier())?;
    }
    if kept > 0 {
        state.counter_moved(code, &batches[kept - 1].head());
    }
    if kept == batches.len() {
        return match unsigned {
            Some(refusal) => Err(refusal),
            None => Ok(batches[kept - 1].head()),
        };
    }
    // The first batch not stored, and why: the database's reason for a batch it was given,
    // the verifier's for one it refused. With neither (the verifier's cache was started again
    // by another push between two batches), the push stopped early: the counter goes on from
    // the head it is answered.
    match (not_kept, refused) {
        (Some(e), _) => Err(e.into()),
        (None, Some(refusal)) => Err(refusal),
        (None, None) if kept > 0 => Ok(batches[kept - 1].head()),
        (None, None) => Err(ApiError::unavailable("the batch was not stored: push again".into())),
    }
}

/// The push's batches, each with its seqs from `head` on and its link hashes, as far as each
/// is signed by `key` at its last event; the refusal of the first that is not, if any.
fn read_batches(
    code: &str,
    key: &EnrolledKey,
    head: u64,
    head_hash: Vec<u8>,
    signed: Vec<SignedBatch>,
) -> (Vec<Batch>, Option<ApiError>) {
    let mut batches: Vec<Batch> = Vec::with_capacity(signed.len());
    let (mut seq, mut prev) = (head, head_hash);
    for (index, batch) in signed.into_iter().enumerate() {
        let rows: Vec<(u64, Vec<u8>)> = (seq + 1..).zip(batch.events).collect();
        let last = seq + rows.len() as u64;
        let hashes: Vec<[u8; 32]> =
            rows.iter().map(|(_, v)| StoredEvent::split(v).map(|s| s.hash()).unwrap_or_default()).collect();
        let Some(last_hash) = rows.last().and_then(|(_, v)| StoredEvent::split(v)).map(|s| s.hash()) else {
            let why = format!("event {code} #{last} is not a stored event; {}", nothing_stored(index));
            return (batches, Some(ApiError::refused(why)));
        };
        if !wire::verify(&key.key, &wire::head_message(code, last, &last_hash), &batch.signature) {
            return (
                batches,
                Some(ApiError::refused(format!(
                    "the batch up to {code} #{last} is not signed by counter {code}'s enrolled key; {}",
                    nothing_stored(index)
                ))),
            );
        }
        let next_prev = last_hash.to_vec();
        batches.push(Batch { rows, hashes, prev, signature: batch.signature });
        (seq, prev) = (last, next_prev);
    }
    (batches, None)
}

/// The verifier's side: each batch verified and its rows derived, in order, sent to the
/// storing side; the verifier's lock taken for one batch at a time (`first`: held since the
/// push found the verifier in step). Returns how many batches the verifier applied, and the
/// refusal of the batch it stopped at, if any.
fn verify(
    state: &State,
    first: std::sync::MutexGuard<'_, super::state::Verifier>,
    code: &str,
    batches: &[Batch],
    derived: mpsc::SyncSender<Derived>,
) -> (usize, Option<ApiError>) {
    let mut held = Some(first);
    for (index, batch) in batches.iter().enumerate() {
        let verifier = match held.take() {
            Some(v) => v,
            None => {
                let v = state.verifier();
                // Another push rebuilt the cache since the batch before: it no longer holds
                // that batch (stored or not yet). Stop here; the counter's next push goes on.
                match v.bank.city_head(code) {
                    Ok((next, hash))
                        if next == batch.rows[0].0 && hash.as_slice() == batch.prev.as_slice() =>
                    {
                        v
                    }
                    _ => return (index, None),
                }
            }
        };
        let refused = match verifier.bank.verify_remote(code, &batch.rows) {
            Ok(_) => None,
            Err(RemoteError::Store(e)) => Some(ApiError::unavailable(format!("the verifier: {e}"))),
            Err(refused) => {
                Some(ApiError::refused(format!("{}; {}", pushed_words(&refused), nothing_stored(index))))
            }
        };
        if let Some(refusal) = refused {
            return (index, Some(refusal));
        }
        let rows = derive(&verifier.bank, code, &batch.rows);
        drop(verifier);
        match rows {
            Ok(rows) => {
                if derived.send(rows).is_err() {
                    // The storing side stopped (its reason is the push's answer).
                    return (index + 1, None);
                }
            }
            Err(e) => return (index + 1, Some(e)),
        }
    }
    (batches.len(), None)
}

/// The database's side: each batch's events inserted while it is verified, its derived rows
/// once they come; a batch the verifier refused (nothing comes) or the database refuses is
/// undone and the push stops there. Returns how many batches were committed, and why the push
/// stopped before the end, if it did; an error when nothing could be committed.
fn store(
    server: &mut Server,
    code: &str,
    batches: &[Batch],
    derived: mpsc::Receiver<Derived>,
) -> Result<(usize, Option<PushError>), PushError> {
    let mut storing = Storing::begin(server, code)?;
    let mut kept = 0;
    let mut stopped = None;
    for batch in batches {
        if let Err(e) = storing.events(&batch.links()) {
            stopped = Some(e);
            break;
        }
        let Ok(d) = derived.recv() else {
            storing.undo()?;
            break;
        };
        if let Err(e) = storing.rows(batch.last() as i64, d.entries, d.directory, d.points, &batch.signature)
        {
            stopped = Some(e);
            break;
        }
        kept += 1;
    }
    drop(derived);
    storing.commit()?;
    Ok((kept, stopped))
}

/// The verifier holds `code`'s chain exactly to the database's head (catching up first).
fn in_step(
    bank: &Bank,
    server: &mut Server,
    code: &str,
    head: u64,
    head_hash: &[u8],
) -> Result<bool, ApiError> {
    let (next, _) = bank.city_head(code)?;
    if next - 1 < head {
        server
            .catch_up(bank, code)
            .map_err(|e| ApiError::unavailable(format!("the database's rows of {code}: {e}")))?;
    }
    let (next, hash) = bank.city_head(code)?;
    Ok(next - 1 == head && hash.as_slice() == head_hash)
}

/// A refusal of a pushed event as its pusher reads it (the words the pull uses say "the city
/// server's event", which here is the counter's own).
fn pushed_words(e: &RemoteError) -> String {
    match e {
        RemoteError::Unlinked { code, seq } => {
            format!("event {code} #{seq} does not continue {code}'s chain")
        }
        RemoteError::Refused { code, seq, rule } => {
            format!("event {code} #{seq} breaks a ledger rule ({rule})")
        }
        RemoteError::Unwritable { code, seq, why } => {
            format!("event {code} #{seq} is not one a counter could have written ({why})")
        }
        RemoteError::Unsigned { code, seq } => format!("event {code} #{seq} is not signed by {code}"),
        other @ (RemoteError::KeyChanged { .. } | RemoteError::Unvouched { .. } | RemoteError::Store(_)) => {
            other.to_string()
        }
    }
}

fn derive(bank: &Bank, code: &str, rows: &[(u64, Vec<u8>)]) -> Result<Derived, ApiError> {
    let mut points = PointsRows::default();
    let (entries, directory) = bank.city_batch_rows(code, rows, &mut RowNames::default(), &mut points)?;
    Ok(Derived { entries, directory, points })
}
