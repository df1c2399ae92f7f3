//! Every signed request's nonce is recorded in the database (so every instance refuses a
//! replay), and a city's counters make about a thousand requests a second, almost all of them
//! rounds that need nothing else from the database. Each was a trip on a connection of its
//! own, and rounds queued for connections behind pushes (measured: p99 up to 80 ms). Instead
//! one thread of each instance records the nonces that are waiting, together, in one statement
//! on a connection of its own, and answers each request.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::ServeError;
use super::refusal::ApiError;
use crate::city::{Nonce, Server};

/// At most this many nonces in one statement.
const BATCH: usize = 1_000;
/// How often nonces older than any still accepted are forgotten.
const SWEEP_EVERY: Duration = Duration::from_secs(10);

struct Ask {
    pair: (String, String),
    answer: tokio::sync::oneshot::Sender<Result<Option<Nonce>, String>>,
}

/// The instance's nonce recorder; its thread ends when this is dropped.
pub struct NonceBook {
    asks: mpsc::Sender<Ask>,
}

impl NonceBook {
    pub fn start(db: &str, city_key: ed25519_dalek::VerifyingKey) -> Result<NonceBook, ServeError> {
        let (asks, waiting) = mpsc::channel();
        let db = db.to_string();
        std::thread::Builder::new()
            .name("city-service-nonces".into())
            .spawn(move || record(&db, city_key, &waiting))
            .map_err(|e| ServeError::Database(format!("the nonces' thread: {e}")))?;
        Ok(NonceBook { asks })
    }

    /// Records counter `who`'s request nonce: refused if it was seen, or the key is revoked or
    /// not enrolled.
    pub async fn check(&self, who: &str, nonce: &str) -> Result<(), ApiError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let stopping = || ApiError::unavailable("the service is stopping".into());
        self.asks.send(Ask { pair: (who.to_string(), nonce.to_string()), answer }).map_err(|_| stopping())?;
        match answered.await.map_err(|_| stopping())?.map_err(ApiError::unavailable)? {
            Some(Nonce::Fresh) => Ok(()),
            Some(Nonce::Seen) => {
                Err(ApiError::replayed("this request was made before (its nonce was seen)".into()))
            }
            Some(Nonce::Revoked) => Err(ApiError::revoked(format!("counter {who}'s key was revoked"))),
            None => Err(ApiError::unauthenticated(format!("counter {who} is not enrolled in this city"))),
        }
    }
}

/// The thread: waits for a nonce, takes every other one waiting, records them all.
fn record(db: &str, city_key: ed25519_dalek::VerifyingKey, waiting: &mpsc::Receiver<Ask>) {
    let mut server: Option<Server> = None;
    let mut swept = Instant::now();
    while let Ok(first) = waiting.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH
            && let Ok(ask) = waiting.try_recv()
        {
            batch.push(ask);
        }
        let pairs: Vec<(&str, &str)> =
            batch.iter().map(|ask| (ask.pair.0.as_str(), ask.pair.1.as_str())).collect();
        let answers =
            connected(&mut server, db, city_key).and_then(|s| s.nonces(&pairs).map_err(|e| e.to_string()));
        match answers {
            Ok(answers) => {
                for (ask, answer) in batch.into_iter().zip(answers) {
                    // A request that gave up (timed out) no longer waits: nothing to tell it.
                    let _ = ask.answer.send(Ok(answer));
                }
            }
            Err(message) => {
                // The connection may be broken: a new one for the next batch.
                server = None;
                for ask in batch {
                    let _ = ask.answer.send(Err(message.clone()));
                }
            }
        }
        if swept.elapsed() >= SWEEP_EVERY
            && let Some(s) = server.as_mut()
        {
            swept = Instant::now();
            if s.sweep_nonces(crate::city::wire::TIME_WINDOW_MS * 2).is_err() {
                server = None;
            }
        }
    }
}

fn connected<'a>(
    server: &'a mut Option<Server>,
    db: &str,
    city_key: ed25519_dalek::VerifyingKey,
) -> Result<&'a mut Server, String> {
    if server.is_none() {
        let mut fresh = Server::connect(db).map_err(|e| e.to_string())?.vouched_by(city_key);
        fresh
            .client()
            .batch_execute("SET synchronous_commit = off")
            .map_err(|e| format!("the nonces' connection: {e}"))?;
        *server = Some(fresh);
    }
    server.as_mut().ok_or_else(|| "no connection".to_string())
}
