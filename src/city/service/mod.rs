//! `hourbank city serve`: the city service between the counters and PostgreSQL (ARCHITECTURE.md §8).
//! Counters speak HTTPS to it and hold an ed25519 key, never a database login; the service
//! holds the one login that writes. It authenticates every request by the counter's enrolled
//! key (`auth`), runs the ledger rules on every pushed batch before storing any of it (`push`),
//! and writes everything derived itself.
//!
//! Stateless between requests: its only state is the database. Each instance keeps a cache of
//! the chains it verified (a scratch store, rebuilt from the database whenever it is behind or
//! out of step), so two instances on one database serve the same city at once.

mod auth;
mod cache_dir;
mod handlers;
mod nonces;
mod push;
mod refusal;
mod state;
mod tail;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};

pub use state::State;

/// The largest request body the service reads: a push of 1,000 events with room to spare.
pub const MAX_BODY: usize = 64 * 1024 * 1024;
/// How long one request may take before the service gives up on it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("plain HTTP is only for a loopback address ({0} is not one): give --tls-cert and --tls-key")]
    PlainOffLoopback(SocketAddr),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("the database: {0}")]
    Database(String),
    #[error("the service stopped: {0}")]
    Stopped(String),
}

/// How to run the service.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    /// The database's connection string: the service's own login.
    pub db: String,
    /// The city's public key (`hourbank city keygen` prints it): the service takes a counter's
    /// key only where this key signed its enrollment.
    pub city_key: ed25519_dalek::VerifyingKey,
    /// PEM certificate chain and private key; none: plain HTTP (loopback only).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Where the verified chains are cached (a fresh temporary directory when none).
    pub cache: Option<PathBuf>,
}

/// The routes, with the limits and the authentication as layers around them.
fn router(state: Arc<State>) -> Router {
    let signed = Router::new()
        .route("/v1/head", get(handlers::head))
        .route("/v1/push", post(push::push))
        .route("/v1/counters", get(handlers::counters))
        .route("/v1/events", get(handlers::events).post(handlers::events_wanted))
        .route("/v1/cards", get(handlers::cards))
        .route("/v1/volunteer", get(handlers::volunteer))
        .route("/v1/conflicts", get(handlers::conflicts))
        .route("/v1/certificates", get(handlers::verify_certificate).post(handlers::issue_certificate))
        .route("/v1/grant", post(handlers::grant))
        .route("/v1/grants", get(handlers::grants))
        .route("/v1/day", get(handlers::day))
        .route("/v1/points/pool", get(handlers::points_pool))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::authenticate));
    Router::new()
        .route("/v1/health", get(handlers::health))
        .merge(signed)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(state)
}

/// A running service: its address, and a handle to stop it.
pub struct Running {
    pub addr: SocketAddr,
    handle: axum_server::Handle,
    thread: Option<std::thread::JoinHandle<Result<(), ServeError>>>,
}

impl Running {
    /// Stops accepting, lets requests in flight finish (a few seconds at most), and waits.
    pub fn stop(mut self) -> Result<(), ServeError> {
        self.handle.graceful_shutdown(Some(Duration::from_secs(5)));
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(ServeError::Stopped("its thread panicked".into())),
            None => Ok(()),
        }
    }

    /// Waits until the service stops (a signal, or [`Running::stop`] elsewhere).
    pub fn wait(mut self) -> Result<(), ServeError> {
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(ServeError::Stopped("its thread panicked".into())),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.handle.shutdown();
        }
    }
}

/// The TLS configuration from PEM files, with ring as the provider.
fn tls_config(cert: &std::path::Path, key: &std::path::Path) -> Result<rustls::ServerConfig, ServeError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let tls = |what: &str, e: &dyn std::fmt::Display| ServeError::Tls(format!("{what}: {e}"));
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| tls(&cert.display().to_string(), &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| tls(&cert.display().to_string(), &e))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| tls(&key.display().to_string(), &e))?;
    // ring rather than aws-lc-rs: no C toolchain (cmake) to build, and the same provider the
    // counters' client uses. rustls marks it deprecated for lacking post-quantum key exchange.
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| tls("protocol versions", &e))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| tls("certificate and key", &e))
}

/// Starts the service on its own thread (a tokio runtime of its own); returns once it listens.
/// Everything that can be refused (plain HTTP off loopback, TLS files, the database) is
/// refused before it listens.
pub fn start(options: ServeOptions) -> Result<Running, ServeError> {
    if options.tls.is_none() && !options.listen.ip().is_loopback() {
        return Err(ServeError::PlainOffLoopback(options.listen));
    }
    let tls = match &options.tls {
        Some((cert, key)) => Some(tls_config(cert, key)?),
        None => None,
    };
    let state = Arc::new(State::new(&options.db, options.city_key, options.cache.clone())?);
    let listener = std::net::TcpListener::bind(options.listen)
        .map_err(|source| ServeError::Listen { addr: options.listen, source })?;
    listener.set_nonblocking(true).map_err(|source| ServeError::Listen { addr: options.listen, source })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Listen { addr: options.listen, source })?;
    let handle = axum_server::Handle::new();
    let serving = handle.clone();
    let app = router(state.clone());
    let thread = std::thread::Builder::new()
        .name("city-service".into())
        .spawn(move || -> Result<(), ServeError> {
            // The state (and its database connections, whose client runs a runtime of its
            // own) is dropped after this runtime, never inside it: declared first, dropped
            // last. (Dropped before, the runtime's shutdown let the last of it go with a
            // connection still open — a panic.)
            let _state = state;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .thread_name("city-service")
                .enable_all()
                .build()
                .map_err(|e| ServeError::Stopped(e.to_string()))?;
            runtime.block_on(async move {
                let make = app.into_make_service();
                // TCP_NODELAY: an answer is sent as soon as it is written, never held back for
                // the acknowledgement of the last one (Nagle's algorithm, which costs a
                // request/answer protocol a wait per exchange).
                let nodelay = axum_server::accept::NoDelayAcceptor::new();
                let served = match tls {
                    Some(config) => {
                        let config = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(config));
                        let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(config).acceptor(nodelay);
                        axum_server::from_tcp(listener).acceptor(acceptor).handle(serving).serve(make).await
                    }
                    None => {
                        axum_server::from_tcp(listener).acceptor(nodelay).handle(serving).serve(make).await
                    }
                };
                served.map_err(|e| ServeError::Stopped(e.to_string()))
            })
        })
        .map_err(|e| ServeError::Stopped(e.to_string()))?;
    Ok(Running { addr, handle, thread: Some(thread) })
}

/// Stops `running` on SIGINT or SIGTERM (what `systemctl stop` sends), gracefully.
pub fn stop_on_signal(running: &Running) {
    let handle = running.handle.clone();
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        runtime.block_on(async {
            let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return,
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        });
        log(format_args!("stopping: finishing the requests in flight"));
        handle.graceful_shutdown(Some(Duration::from_secs(10)));
    });
}

/// One line to standard error: what the service logs (no personal data, no event bytes).
pub fn log(args: std::fmt::Arguments<'_>) {
    eprintln!("{} {args}", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"));
}
