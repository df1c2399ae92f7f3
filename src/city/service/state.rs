//! The service's one state: where the database is, a few open connections to it, and the cache
//! of chains it verified. Database work runs on tokio's blocking threads (the postgres client is
//! synchronous), one connection each.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::ServeError;
use super::handlers::ApiError;
use crate::bank::Bank;
use crate::city::Server;

/// Connections kept open between requests; more are opened under load and closed after.
const KEEP_CONNECTIONS: usize = 16;

pub struct State {
    db: String,
    connections: Mutex<Vec<Server>>,
    /// Every counter's chain as this instance verified it: the ledger state a pushed batch is
    /// checked against. Derived from the database, rebuilt from it when out of step.
    verifier: Mutex<Verifier>,
    cache: PathBuf,
    /// Removes a cache directory made for this instance when the service stops.
    _temp: Option<tempfile::TempDir>,
}

pub struct Verifier {
    pub bank: Bank,
    dir: PathBuf,
    generation: u64,
}

impl State {
    pub fn new(db: &str, cache: Option<PathBuf>) -> Result<State, ServeError> {
        // Refused before listening: a service that cannot reach its database serves nothing.
        let first = Server::connect(db).map_err(|e| ServeError::Database(e.to_string()))?;
        let (cache, temp) = match cache {
            Some(dir) => (dir, None),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("hourbank-city-cache-")
                    .tempdir()
                    .map_err(|e| ServeError::Database(format!("a cache directory: {e}")))?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let verifier = Verifier::open(&cache, 0)?;
        Ok(State {
            db: db.to_string(),
            connections: Mutex::new(vec![first]),
            verifier: Mutex::new(verifier),
            cache,
            _temp: temp,
        })
    }

    /// Runs `work` with a database connection on a blocking thread. A connection whose work
    /// failed is not kept (it may be broken).
    pub async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&State, &mut Server) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let taken = state.connections.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let mut server = match taken {
                Some(s) => s,
                None => Server::connect(&state.db).map_err(|e| ApiError::unavailable(e.to_string()))?,
            };
            let result = work(&state, &mut server);
            if result.is_ok() {
                let mut kept = state.connections.lock().unwrap_or_else(|p| p.into_inner());
                if kept.len() < KEEP_CONNECTIONS {
                    kept.push(server);
                }
            }
            result
        })
        .await
        .map_err(|e| ApiError::unavailable(format!("a worker: {e}")))?
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
