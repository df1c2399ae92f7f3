//! The service's one state: where the database is, a few open connections to it, and the cache
//! of chains it verified. Database work runs on tokio's blocking threads (the postgres client is
//! synchronous), one connection each.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::ServeError;
use super::refusal::ApiError;
use crate::bank::Bank;
use crate::city::Server;

/// Database connections: at most this many, opened as needed and kept. A request beyond them
/// waits for one (measured: opening a connection per request under load cost up to a second,
/// waiting for a kept one a few milliseconds).
const CONNECTIONS: usize = 16;
/// Pushes that may hold connections at once (see `State::pushes`).
const PUSHES: usize = 4;

/// How long one instance answers `/v1/counters` from the list it last read: every counter
/// polls it, so one read serves them all; a push through this instance moves that counter's
/// head in it at once, a push through another instance shows this much later.
const COUNTERS_FRESH: std::time::Duration = std::time::Duration::from_millis(250);

/// The counters list as last read, serialized, and its entity tag.
#[derive(Clone)]
pub struct CountersAnswer {
    pub etag: String,
    pub body: axum::body::Bytes,
    read_at: std::time::Instant,
    entries: Arc<Vec<crate::city::wire::CounterEntry>>,
}

impl CountersAnswer {
    fn new(
        city_key: &ed25519_dalek::VerifyingKey,
        entries: Vec<crate::city::wire::CounterEntry>,
        read_at: std::time::Instant,
    ) -> Result<CountersAnswer, ApiError> {
        let listed =
            crate::city::wire::Counters { city_key: crate::bank::public_text(city_key), counters: entries };
        let body = serde_json::to_vec(&listed)
            .map_err(|e| ApiError::unavailable(format!("the counters list: {e}")))?;
        let etag = format!("\"{}\"", &blake3::hash(&body).to_hex()[..32]);
        Ok(CountersAnswer { etag, body: body.into(), read_at, entries: Arc::new(listed.counters) })
    }
}

impl CountersAnswer {
    /// Counter `code`'s head as listed (an enrolled counter's is at least its genesis, seq 0);
    /// none for one the list does not hold yet (its round then asks for its head itself).
    pub fn head_of(&self, code: &str) -> Option<crate::city::wire::Head> {
        let entry = self.entries.iter().find(|e| e.code == code && !e.head_hash.is_empty())?;
        Some(crate::city::wire::Head { seq: entry.head, hash: entry.head_hash.clone() })
    }
}

pub struct State {
    db: String,
    /// The city's public key: counters' enrollments count only where it signed them.
    pub city_key: ed25519_dalek::VerifyingKey,
    connections: Mutex<Vec<Server>>,
    /// One permit per connection: taken before a request's database work starts.
    permits: tokio::sync::Semaphore,
    /// Pushes under way at once. They are verified one at a time and commit one after another
    /// (the city's position row), so more would only wait — holding connections every
    /// counter's round needs: under a hundred pushes a second, rounds waited seconds for one.
    pub pushes: tokio::sync::Semaphore,
    counters: Mutex<Option<CountersAnswer>>,
    /// The directory's recent changes, from which counters' rounds are answered.
    tail: super::tail::Tail,
    /// Records the requests' nonces, in batches.
    pub nonces: super::nonces::NonceBook,
    /// Held while one request reads the list again: the others wait for its answer instead of
    /// all reading at once when it goes stale.
    counters_read: tokio::sync::Mutex<()>,
    /// Every counter's chain as this instance verified it: the ledger state a pushed batch is
    /// checked against. Derived from the database, rebuilt from it when out of step.
    verifier: Mutex<Verifier>,
    /// Counters' keys whose enrollment the city's key signed, as read once: a code's key never
    /// changes (another key under an enrolled code is refused at enrollment), so a request's
    /// signature is checked without the database; its revocation is read with its nonce.
    keys: Mutex<std::collections::HashMap<String, crate::city::EnrolledKey>>,
    /// A lock per counter: one push of a counter at a time.
    pushing: Mutex<std::collections::HashMap<String, Arc<Mutex<()>>>>,
    cache: PathBuf,
    /// Removes a cache directory made for this instance when the service stops.
    _temp: Option<super::cache_dir::CacheDir>,
}

pub struct Verifier {
    pub bank: Bank,
    dir: PathBuf,
    generation: u64,
}

impl State {
    pub fn new(
        db: &str,
        city_key: ed25519_dalek::VerifyingKey,
        cache: Option<PathBuf>,
    ) -> Result<State, ServeError> {
        // Refused before listening: a service that cannot reach its database serves nothing.
        let first =
            Server::connect(db).map_err(|e| ServeError::Database(e.to_string()))?.vouched_by(city_key);
        let (cache, temp) = match cache {
            Some(dir) => (dir, None),
            None => {
                let temp = super::cache_dir::CacheDir::make()
                    .map_err(|e| ServeError::Database(format!("a cache directory: {e}")))?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let verifier = Verifier::open(&cache, 0)?;
        Ok(State {
            db: db.to_string(),
            city_key,
            connections: Mutex::new(vec![first]),
            permits: tokio::sync::Semaphore::new(CONNECTIONS),
            pushes: tokio::sync::Semaphore::new(PUSHES),
            counters: Mutex::new(None),
            tail: Default::default(),
            nonces: super::nonces::NonceBook::start(db, city_key)?,
            counters_read: tokio::sync::Mutex::new(()),
            verifier: Mutex::new(verifier),
            keys: Mutex::new(Default::default()),
            pushing: Mutex::new(Default::default()),
            cache,
            _temp: temp,
        })
    }

    /// Runs `work` with a database connection on a blocking thread, once one of the
    /// connections is free. A connection found closed after its work failed is not kept.
    pub async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&State, &mut Server) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let state = self.clone();
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ApiError::unavailable("the service is stopping".into()))?;
        tokio::task::spawn_blocking(move || state.with_connection(work))
            .await
            .map_err(|e| ApiError::unavailable(format!("a worker: {e}")))?
    }

    /// [`State::blocking`] on this worker thread, which hands its other tasks to another while
    /// `work` waits: for the one short statement a redemption at the till waits on (a grant),
    /// the hop to a blocking thread and back was measured at about 60 µs of its 600.
    pub async fn in_place<T>(
        self: &Arc<Self>,
        work: impl FnOnce(&State, &mut Server) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ApiError::unavailable("the service is stopping".into()))?;
        tokio::task::block_in_place(|| self.with_connection(work))
    }

    fn with_connection<T>(
        &self,
        work: impl FnOnce(&State, &mut Server) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let taken = self.connections.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut server = match taken {
            Some(s) => s,
            None => Server::connect(&self.db)
                .map_err(|e| ApiError::unavailable(e.to_string()))?
                .vouched_by(self.city_key),
        };
        let result = work(self, &mut server);
        // Kept unless it is closed: a refusal (a pool too short for a grant, a batch that
        // breaks a rule) leaves the connection as good as it was, and dropping it made every
        // refusal start a database backend for the next request.
        if result.is_ok() || !server.client().is_closed() {
            let mut kept = self.connections.lock().unwrap_or_else(|p| p.into_inner());
            if kept.len() < CONNECTIONS {
                kept.push(server);
            }
        }
        result
    }

    /// The counters list, from this instance's copy while it is fresh or being read again, else
    /// read again.
    pub async fn counters(self: &Arc<Self>) -> Result<CountersAnswer, ApiError> {
        let fresh = || {
            self.counters
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
                .filter(|answer| answer.read_at.elapsed() < COUNTERS_FRESH)
                .cloned()
        };
        if let Some(answer) = fresh() {
            return Ok(answer);
        }
        // Another request is reading it: the copy held answers meanwhile (measured: every
        // round waiting for each quarter second's read was most of the rounds' slow tail).
        if self.counters_read.try_lock().is_err()
            && let Some(held) = self.counters.lock().unwrap_or_else(|p| p.into_inner()).clone()
        {
            return Ok(held);
        }
        let _reading = self.counters_read.lock().await;
        // Another request may have read it while this one waited.
        if let Some(answer) = fresh() {
            return Ok(answer);
        }
        let read_at = std::time::Instant::now();
        let entries = self.blocking(|_, server| Ok(server.counter_entries()?)).await?;
        let answer = CountersAnswer::new(&self.city_key, entries, read_at)?;
        *self.counters.lock().unwrap_or_else(|p| p.into_inner()) = Some(answer.clone());
        Ok(answer)
    }

    /// [`State::recent_cards`] from what the tail holds, if it needs no read of the database
    /// (fresh, or being read by another round): most rounds, answered with no connection.
    pub fn held_cards(
        &self,
        after: u64,
        limit: usize,
        head: Option<&crate::city::wire::Head>,
    ) -> Option<Vec<u8>> {
        if self.tail.wants_read() {
            return None;
        }
        self.tail.after(after, limit, head)
    }

    /// The cards changed after `after`, at most `limit` of them (else `rejoin`), from this
    /// instance's tail of the directory (read again with `server` when older than
    /// `tail::FRESH`), as the answer's JSON with `head`; `None` when the tail does not cover
    /// `after`.
    pub fn recent_cards(
        &self,
        server: &mut Server,
        after: u64,
        limit: usize,
        head: Option<&crate::city::wire::Head>,
    ) -> Result<Option<Vec<u8>>, ApiError> {
        self.tail.refresh(server)?;
        Ok(self.tail.after(after, limit, head))
    }

    /// A push of `code` up to `head` was stored here: its head moves in the copy at once (not
    /// read again: under fifty pushes a second the list would be read fifty times a second,
    /// and every counter's poll would wait for one of those reads).
    pub fn counter_moved(&self, code: &str, head: &crate::city::wire::Head) {
        // The push moved the city's position too: the next round reads the changes.
        self.tail.moved();
        let mut kept = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        let Some(answer) = kept.as_ref() else { return };
        let mut entries = (*answer.entries).clone();
        match entries.iter_mut().find(|e| e.code == code) {
            Some(entry) if entry.head < head.seq => {
                entry.head = head.seq;
                entry.head_hash = head.hash.clone();
            }
            Some(_) => return,
            // A counter the copy does not know yet: read the list again.
            None => {
                *kept = None;
                return;
            }
        }
        *kept = CountersAnswer::new(&self.city_key, entries, answer.read_at).ok();
    }

    /// Counter `code`'s enrolled key, from the cache or (on a blocking thread) the database:
    /// refused when it is not enrolled or the city's key did not sign its enrollment.
    pub async fn vouched_key(self: &Arc<Self>, code: &str) -> Result<crate::city::EnrolledKey, ApiError> {
        if let Some(key) = self.keys.lock().unwrap_or_else(|p| p.into_inner()).get(code) {
            return Ok(key.clone());
        }
        let code = code.to_string();
        self.blocking(move |state, server| state.vouched_key_with(server, &code)).await
    }

    /// [`State::vouched_key`] on this thread, with `server`.
    pub fn vouched_key_with(
        &self,
        server: &mut Server,
        code: &str,
    ) -> Result<crate::city::EnrolledKey, ApiError> {
        if let Some(key) = self.keys.lock().unwrap_or_else(|p| p.into_inner()).get(code) {
            return Ok(key.clone());
        }
        let Some(key) = server.enrolled_key(code)? else {
            return Err(ApiError::unauthenticated(format!(
                "counter {} is not enrolled in this city",
                crate::domain::printable(code)
            )));
        };
        if !key.vouched_by(code, &self.city_key) {
            return Err(ApiError::unauthenticated(format!(
                "counter {code}'s enrollment is not signed by this city's key: have the city's admin enroll it again (`hourbank city enroll`)"
            )));
        }
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).insert(code.to_string(), key.clone());
        Ok(key)
    }

    /// Counter `code`'s push lock.
    pub fn counter_lock(&self, code: &str) -> Arc<Mutex<()>> {
        self.pushing.lock().unwrap_or_else(|p| p.into_inner()).entry(code.to_string()).or_default().clone()
    }

    /// The verifier, locked: one batch verified at a time in this instance.
    pub fn verifier(&self) -> std::sync::MutexGuard<'_, Verifier> {
        self.verifier.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Throws the verifier's cache away and starts an empty one: it is out of step with the
    /// database (a batch it verified was not stored, or the database changed under it), and
    /// everything it holds can be verified again from the database.
    pub fn rebuild(&self, verifier: &mut Verifier) -> Result<(), ApiError> {
        let next = Verifier::open(&self.cache, verifier.generation + 1)
            .map_err(|e| ApiError::unavailable(e.to_string()))?;
        let old = std::mem::replace(verifier, next);
        let (dir, key) = (old.dir.clone(), old.bank.pin_key_path().to_path_buf());
        drop(old);
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_file(&key);
        Ok(())
    }
}

impl Verifier {
    fn open(cache: &std::path::Path, generation: u64) -> Result<Verifier, ServeError> {
        let dir = cache.join(format!("verified-{}-{generation}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let bank =
            Bank::scratch(&dir).map_err(|e| ServeError::Database(format!("the verifier's cache: {e}")))?;
        Ok(Verifier { bank, dir, generation })
    }
}
