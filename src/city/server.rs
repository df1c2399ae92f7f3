//! One connection to the city server, with timeouts: a dead network is an error within
//! seconds, never a hang.

use std::time::Duration;

use super::{COUNTER_ROLE, READER_ROLE, SCHEMA, SERVICE_ROLE};

/// How long to wait for the server to answer a connection, and a statement to finish.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum CityError {
    #[error("the city server URL is not understood: {0}")]
    Url(String),
    #[error("cannot reach the city server: {0}")]
    Connect(String),
    /// A statement the server refused, with its SQLSTATE (e.g. 40001, to retry).
    #[error("the city server refused {what}: {message} (SQLSTATE {code})")]
    Refused { what: &'static str, code: String, message: String },
    #[error("the city server failed during {what}: {message}")]
    Failed { what: &'static str, message: String },
}

impl CityError {
    pub(super) fn of(what: &'static str, e: postgres::Error) -> CityError {
        match e.as_db_error() {
            Some(db) => CityError::Refused {
                what,
                code: db.code().code().to_string(),
                message: db.message().to_string(),
            },
            None => CityError::Failed { what, message: e.to_string() },
        }
    }

    /// Whether trying again later may succeed: the network or the server went away, the
    /// server is starting or stopping, or it gave up on a transaction to keep others
    /// serialisable (40001, 40P01), which is retried whole.
    pub fn transient(&self) -> bool {
        match self {
            CityError::Url(_) => false,
            CityError::Connect(_) | CityError::Failed { .. } => true,
            CityError::Refused { code, .. } => {
                code.starts_with("40") || code.starts_with("08") || code.starts_with("57") || code == "53300"
            }
        }
    }

    /// The SQLSTATE of a refusal, if the server gave one.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            CityError::Refused { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// An error with what caused it ("error performing TLS handshake: … certificate verify
/// failed"): the top line alone rarely says what to fix.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        cause = c.source();
    }
    text
}

/// The TLS connector `sslmode=require` uses: the system's roots, plus `ca`.
fn tls(ca: Option<&std::path::Path>) -> Result<postgres_native_tls::MakeTlsConnector, CityError> {
    let mut builder = native_tls::TlsConnector::builder();
    if let Some(path) = ca {
        let pem = std::fs::read(path)
            .map_err(|e| CityError::Url(format!("HOURBANK_CITY_CA {}: {e}", path.display())))?;
        let cert = native_tls::Certificate::from_pem(&pem)
            .map_err(|e| CityError::Url(format!("HOURBANK_CITY_CA {}: {e}", path.display())))?;
        builder.add_root_certificate(cert);
    }
    let connector = builder.build().map_err(|e| CityError::Connect(format!("TLS: {e}")))?;
    Ok(postgres_native_tls::MakeTlsConnector::new(connector))
}

pub struct Server {
    client: postgres::Client,
    /// The last local seq whose volunteers' shares were handed to the city (see `settle`).
    pub(super) released_through: Option<u64>,
    /// The statements run many times a second (a grant, a batch of nonces), each prepared once
    /// a connection (see `prepared`), by their text.
    prepared: std::collections::HashMap<&'static str, postgres::Statement>,
    /// The city's public key: a counter's key counts only where it vouches for its enrollment
    /// (the service and `city check` set it; none only for the admin's own commands).
    pub(super) city_key: Option<ed25519_dalek::VerifyingKey>,
}

impl Server {
    /// Connects to `url` (`postgresql://user@host:port/db?sslmode=…` or `host=… user=…`).
    /// With `sslmode=require` the connection is TLS, and the server's certificate must be
    /// trusted (the system's roots, or `$HOURBANK_CITY_CA`, a PEM file, for a city's own CA)
    /// and name the host: a counter sends volunteers' records, so "encrypted to anyone" is not
    /// enough. Otherwise the connection is plain (a server on the same machine or network).
    pub fn connect(url: &str) -> Result<Server, CityError> {
        let ca = std::env::var_os("HOURBANK_CITY_CA").map(std::path::PathBuf::from);
        Server::connect_with(url, ca.as_deref())
    }

    /// [`Server::connect`] trusting the PEM certificate `ca` (besides the system's roots) for
    /// `sslmode=require`.
    pub fn connect_with(url: &str, ca: Option<&std::path::Path>) -> Result<Server, CityError> {
        let mut config: postgres::Config =
            url.parse().map_err(|e: postgres::Error| CityError::Url(e.to_string()))?;
        config.connect_timeout(CONNECT_TIMEOUT);
        config.application_name("hourbank");
        let connected = match config.get_ssl_mode() {
            postgres::config::SslMode::Require => config.connect(tls(ca)?),
            _ => {
                config.ssl_mode(postgres::config::SslMode::Disable);
                config.connect(postgres::NoTls)
            }
        };
        let mut client = connected.map_err(|e| CityError::Connect(with_causes(&e)))?;
        client
            .batch_execute(&format!("SET statement_timeout = {}", STATEMENT_TIMEOUT.as_millis()))
            .map_err(|e| CityError::of("the statement timeout", e))?;
        // Every statement here is short and indexed: PostgreSQL's JIT, which starts when its
        // estimate (before statistics exist) is large, spent 15-150 ms compiling an idle pull that
        // runs in 0.2 ms. CockroachDB has no such setting, so a refusal is fine.
        let _ = client.batch_execute("SET jit = off");
        Ok(Server { client, released_through: None, prepared: Default::default(), city_key: None })
    }

    /// `sql` as prepared on this connection: once, the first time it is asked for (a statement
    /// given as text is prepared again at each run — a second round trip).
    pub(super) fn prepared(&mut self, sql: &'static str) -> Result<postgres::Statement, postgres::Error> {
        if let Some(statement) = self.prepared.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.prepared.insert(sql, statement.clone());
        Ok(statement)
    }

    /// This connection taking counters' keys only as the city's key `city` vouches for them.
    pub fn vouched_by(mut self, city: ed25519_dalek::VerifyingKey) -> Server {
        self.city_key = Some(city);
        self
    }

    /// Creates what is missing of the schema and the two roles, and grants them: run twice,
    /// the second run changes nothing.
    pub fn init(&mut self) -> Result<(), CityError> {
        let mut tx = self.client.transaction().map_err(|e| CityError::of("a transaction", e))?;
        tx.batch_execute(SCHEMA).map_err(|e| CityError::of("the schema", e))?;
        for role in [COUNTER_ROLE, READER_ROLE, SERVICE_ROLE] {
            let exists = tx
                .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&role])
                .map_err(|e| CityError::of("the roles", e))?
                .is_some();
            if !exists {
                // Roles are the cluster's, not this database's: another counter setting up its
                // database on the same server may create the role between the look and here.
                // Its duplicate (23505 from pg_authid, or 42710) means the role is there, as
                // wanted; the savepoint keeps the rest of this transaction.
                let mut savepoint = tx.transaction().map_err(|e| CityError::of("the roles", e))?;
                match savepoint.batch_execute(&format!("CREATE ROLE {role} NOLOGIN")) {
                    Ok(()) => savepoint.commit().map_err(|e| CityError::of("the roles", e))?,
                    Err(e) => {
                        let e = CityError::of("the roles", e);
                        if !matches!(e.sqlstate(), Some("23505" | "42710")) {
                            return Err(e);
                        }
                        savepoint.rollback().map_err(|e| CityError::of("the roles", e))?;
                    }
                }
            }
        }
        // Counters reach the city through the service now: the role their database logins had
        // keeps nothing (revoked on a server set up before). The service adds, never edits or
        // deletes. Reports read the report rows, never the events' bytes, which hold every
        // volunteer's name, phone and ID number.
        let grants = format!(
            "REVOKE ALL ON hb_counters, hb_events, hb_entries, hb_pool, hb_grants, hb_points_moves, hb_keys, hb_signatures, hb_nonces, hb_cards, hb_shares, hb_position, hb_access, hb_certificates FROM {COUNTER_ROLE};
             GRANT SELECT, INSERT ON hb_events, hb_entries, hb_grants, hb_points_moves, hb_signatures TO {SERVICE_ROLE};
             GRANT SELECT, UPDATE ON hb_counters, hb_pool TO {SERVICE_ROLE};
             GRANT INSERT ON hb_pool TO {SERVICE_ROLE};
             GRANT SELECT, INSERT, DELETE ON hb_nonces TO {SERVICE_ROLE};
             GRANT SELECT, INSERT, UPDATE ON hb_cards, hb_shares TO {SERVICE_ROLE};
             GRANT SELECT, UPDATE ON hb_position TO {SERVICE_ROLE};
             GRANT SELECT, INSERT ON hb_access, hb_certificates TO {SERVICE_ROLE};
             GRANT SELECT ON hb_keys TO {SERVICE_ROLE};
             REVOKE UPDATE, DELETE, TRUNCATE ON hb_events, hb_entries, hb_grants, hb_points_moves, hb_signatures, hb_keys FROM {SERVICE_ROLE};
             REVOKE INSERT, DELETE, TRUNCATE ON hb_counters, hb_keys FROM {SERVICE_ROLE};
             REVOKE ALL ON hb_events, hb_signatures, hb_keys, hb_nonces, hb_cards, hb_access, hb_certificates FROM {READER_ROLE};
             GRANT SELECT ON hb_counters, hb_entries, hb_pool, hb_grants, hb_points_moves, hb_shares, hb_position TO {READER_ROLE};"
        );
        tx.batch_execute(&grants).map_err(|e| CityError::of("the grants", e))?;
        let derived = super::upgrade::backfill(&mut tx)?;
        super::upgrade::fill_earned(&mut tx)?;
        super::upgrade::fill_points(&mut tx, derived > 0)?;
        tx.commit().map_err(|e| CityError::of("the schema", e))
    }

    /// The connection itself, for the sync and the reports built on it (and tests).
    pub fn client(&mut self) -> &mut postgres::Client {
        &mut self.client
    }
}
