//! The counter's side of the city service: HTTPS (plain HTTP only to a loopback address) with
//! every request signed by the counter's key (`wire::request_message`). Blocking, with
//! timeouts: the sync runs on its own thread, never the UI's.

use std::time::Duration;

use super::pull::apply_rows;
use super::push::BATCH;
use super::wire::{self, CounterEntry, Events, Head, PushRequest, Refusal};
use super::{PullError, Pulled, PushError, Pushed};
use crate::bank::{Bank, CounterKey, RemoteError, StoredEvent};

/// A whole request may take this long; a dead network is an error within it, never a hang.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest answer read: a pull batch with room to spare (it is refused before read whole).
const MAX_ANSWER: u64 = 80 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the city service URL is not understood: {0}")]
    Url(String),
    /// A database's URL where the service's belongs (see `sync::database_url_refused`).
    #[error("{0}")]
    DatabaseUrl(String),
    #[error("cannot reach the city service: {0}")]
    Connect(String),
    /// The service answered no.
    #[error("the city service refused: {}", .0.message)]
    Refused(Refusal),
    #[error(
        "this counter has no signing key yet: set its code with `hourbank code set CODE`, then have it enrolled"
    )]
    NoKey,
    #[error(transparent)]
    Bank(#[from] crate::bank::BankError),
}

impl ClientError {
    /// Whether trying again later may succeed.
    pub fn transient(&self) -> bool {
        match self {
            ClientError::Connect(_) => true,
            ClientError::Refused(r) => r.code == wire::refusal::UNAVAILABLE,
            _ => false,
        }
    }
}

/// Whether `url` names the city service (rather than a database).
pub fn is_service_url(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

pub struct CityClient {
    base: String,
    agent: ureq::Agent,
    code: String,
    key: CounterKey,
}

impl CityClient {
    /// A client for the service at `url` (`https://city.example:7443`; `http://` only to a
    /// loopback address), signing as `bank`'s counter. `$HOURBANK_CITY_CA` (a PEM file) is
    /// the city's own CA, trusted instead of the public roots.
    pub fn new(url: &str, bank: &Bank) -> Result<CityClient, ClientError> {
        let base = url.trim_end_matches('/').to_string();
        let host = base
            .split_once("://")
            .map(|(_, rest)| rest.split(['/', '?']).next().unwrap_or_default())
            .ok_or_else(|| ClientError::Url(url.into()))?;
        if base.starts_with("http://") && !is_loopback(host) {
            return Err(ClientError::Url(format!(
                "{url}: plain http is only for a service on this machine; use https://"
            )));
        }
        if !is_service_url(&base) {
            return Err(ClientError::Url(url.into()));
        }
        let code = bank.counter_code()?.ok_or(ClientError::NoKey)?.to_string();
        let key = bank.counter_key()?.ok_or(ClientError::NoKey)?;
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(ca) = std::env::var_os("HOURBANK_CITY_CA") {
            let pem = std::fs::read(&ca)
                .map_err(|e| ClientError::Url(format!("HOURBANK_CITY_CA {}: {e}", ca.to_string_lossy())))?;
            let cert = ureq::tls::Certificate::from_pem(&pem)
                .map_err(|e| ClientError::Url(format!("HOURBANK_CITY_CA {}: {e}", ca.to_string_lossy())))?;
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&[cert]));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .http_status_as_error(false)
            .tls_config(tls.build())
            .build()
            .into();
        Ok(CityClient { base, agent, code, key })
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    /// One signed request; the answer's body when it is 2xx, else the service's refusal.
    fn call(&self, method: &str, path: &str, body: &[u8]) -> Result<Vec<u8>, ClientError> {
        let time = chrono::Utc::now().timestamp_millis();
        let mut nonce = [0u8; 16];
        argon2::password_hash::rand_core::RngCore::fill_bytes(
            &mut argon2::password_hash::rand_core::OsRng,
            &mut nonce,
        );
        let nonce = data_encoding::HEXLOWER.encode(&nonce);
        let signature = self.key.sign(&wire::request_message(method, path, time, &nonce, body));
        let url = format!("{}{path}", self.base);
        let signature = data_encoding::BASE64.encode(&signature);
        let headers = [
            (wire::HEADER_COUNTER, self.code.clone()),
            (wire::HEADER_TIME, time.to_string()),
            (wire::HEADER_NONCE, nonce),
            (wire::HEADER_SIGNATURE, signature),
        ];
        let answer = if method == "GET" {
            signed(self.agent.get(&url), &headers).call()
        } else {
            signed(self.agent.post(&url), &headers).header("content-type", "application/json").send(body)
        };
        let mut answer = answer.map_err(|e| ClientError::Connect(e.to_string()))?;
        let status = answer.status();
        let bytes = answer
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_vec()
            .map_err(|e| ClientError::Connect(format!("reading the answer: {e}")))?;
        if status.is_success() {
            return Ok(bytes);
        }
        let refusal = serde_json::from_slice::<Refusal>(&bytes).unwrap_or_else(|_| Refusal {
            code: wire::refusal::UNAVAILABLE.into(),
            message: format!("HTTP {status}"),
            head: None,
            pool: None,
        });
        Err(ClientError::Refused(refusal))
    }

    fn answer<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ClientError> {
        serde_json::from_slice(bytes)
            .map_err(|e| ClientError::Connect(format!("an answer not understood: {e}")))
    }

    /// This counter's head on the service.
    pub fn head(&self) -> Result<Head, ClientError> {
        Self::answer(&self.call("GET", "/v1/head", b"")?)
    }

    /// Pushes every event of `bank` the service lacks, a signed batch at a time. Before
    /// anything, the service's last event of this counter must be this store's own (else this
    /// store is not the one that wrote it: nothing is pushed).
    pub fn push(&self, bank: &Bank) -> Result<Pushed, PushError> {
        let head = self.head().map_err(PushError::Service)?;
        let mut prev: [u8; 32] = if head.seq == 0 {
            [0; 32]
        } else {
            let (seq, value) = bank
                .stored_events_from(head.seq)
                .next()
                .transpose()?
                .ok_or(PushError::Fork { code: self.code.clone(), seq: head.seq })?;
            let local = StoredEvent::split(&value).ok_or(PushError::Damaged(seq))?.hash();
            if seq != head.seq || local.as_slice() != head.hash.as_slice() {
                return Err(PushError::Fork { code: self.code.clone(), seq: head.seq });
            }
            local
        };
        let mut to = head.seq;
        let mut batch: Vec<Vec<u8>> = Vec::with_capacity(BATCH);
        let mut events = bank.stored_events_from(head.seq + 1).peekable();
        while let Some(item) = events.next() {
            let (seq, value) = item?;
            let stored =
                StoredEvent::split(&value).filter(|s| s.follows(&prev)).ok_or(PushError::Damaged(seq))?;
            prev = stored.hash();
            batch.push(value);
            if batch.len() == BATCH || events.peek().is_none() {
                let last = to + batch.len() as u64;
                let signature = self.key.sign(&wire::head_message(&self.code, last, &prev)).to_vec();
                let request = PushRequest { from: to, events: std::mem::take(&mut batch), signature };
                let body = serde_json::to_vec(&request)
                    .map_err(|e| PushError::Service(ClientError::Url(e.to_string())))?;
                let done: Head =
                    Self::answer(&self.call("POST", "/v1/push", &body).map_err(PushError::Service)?)
                        .map_err(PushError::Service)?;
                to = done.seq;
            }
        }
        Ok(Pushed { code: self.code.clone(), from: head.seq, to })
    }
}

impl CityClient {
    /// Takes `minutes` of `card`'s city pool as grant `id` (see `Server::grant`).
    pub fn grant(
        &self,
        id: &str,
        card: &crate::domain::CardNo,
        minutes: u64,
    ) -> Result<u64, super::GrantError> {
        use super::GrantError;
        let request = wire::GrantRequest { id: id.into(), card: card.to_string(), minutes };
        let body =
            serde_json::to_vec(&request).map_err(|e| GrantError::Service(ClientError::Url(e.to_string())))?;
        match self.call("POST", "/v1/grant", &body).and_then(|b| Self::answer::<wire::Granted>(&b)) {
            Ok(g) => Ok(g.minutes),
            Err(ClientError::Refused(r)) if r.code == wire::refusal::SHORT => {
                Err(GrantError::Short { card: card.to_string(), pool: r.pool.unwrap_or(0), asked: minutes })
            }
            Err(e) => Err(GrantError::Service(e)),
        }
    }

    /// A store restored from a backup older than what it had pushed: fetches its own later
    /// events back from the service — only as far as its own signatures cover them — and
    /// appends them, so it holds its whole chain before it spends anything. Returns how many
    /// it appended. A store that wrote on after the restore is no prefix of its chain on the
    /// service: refused as a fork, nothing appended.
    pub fn catch_up_own(&self, bank: &Bank) -> Result<u64, PushError> {
        let mut appended = 0;
        loop {
            let head = self.head().map_err(PushError::Service)?;
            let local = bank.last_seq()?;
            if head.seq <= local {
                return Ok(appended);
            }
            let counters: Vec<CounterEntry> =
                Self::answer(&self.call("GET", "/v1/counters", b"").map_err(PushError::Service)?)
                    .map_err(PushError::Service)?;
            let floor = counters.iter().find(|c| c.code == self.code).map_or(0, |c| c.enrolled_head);
            let path = format!("/v1/events?counter={}&after={local}", self.code);
            let events: Events = Self::answer(&self.call("GET", &path, b"").map_err(PushError::Service)?)
                .map_err(PushError::Service)?;
            let stored: Vec<&[u8]> = events.rows.iter().map(|r| r.stored.as_slice()).collect();
            let signed: Vec<(u64, &[u8])> =
                events.signatures.iter().map(|s| (s.seq, s.signature.as_slice())).collect();
            let covered =
                wire::covered(&self.code, &self.key.verifying_key(), floor, local + 1, &stored, &signed);
            let rows: Vec<(u64, Vec<u8>)> = events
                .rows
                .into_iter()
                .enumerate()
                .take_while(|(i, r)| r.seq == local + 1 + *i as u64 && r.seq <= covered)
                .map(|(_, r)| (r.seq, r.stored))
                .collect();
            if rows.is_empty() {
                return Err(PushError::Fork { code: self.code.clone(), seq: local + 1 });
            }
            let n = rows.len() as u64;
            bank.append_own_from_city(&rows)
                .map_err(|_| PushError::Fork { code: self.code.clone(), seq: local + 1 })?;
            appended += n;
        }
    }

    /// Minutes `card`'s service day `day` holds at every other counter, as the city knows.
    pub fn day_elsewhere(
        &self,
        card: &crate::domain::CardNo,
        day: crate::domain::Day,
    ) -> Result<u32, ClientError> {
        let path = format!("/v1/day?card={}&day={}", card.as_str(), day.date().format("%Y-%m-%d"));
        let answer: wire::Granted = Self::answer(&self.call("GET", &path, b"")?)?;
        Ok(u32::try_from(answer.minutes).unwrap_or(u32::MAX))
    }

    /// Grants the service holds for this counter that no pushed entry journals yet.
    pub fn unjournalled_grants(&self) -> Result<Vec<super::ServerGrant>, ClientError> {
        Self::answer(&self.call("GET", "/v1/grants", b"")?)
    }

    /// Pulls every other counter's new events through the service. Each counter's rows are
    /// applied only as far as a signature of that counter's enrolled key covers them (its
    /// signature over a head covers every event before it by the chain), or as far as it was
    /// enrolled (events pushed before signatures); a row past that, never signed, is someone
    /// else's writing: that counter stops there, the others go on.
    pub fn pull(&self, bank: &Bank) -> Result<Pulled, PullError> {
        let service = |e| PullError::Service(e);
        let counters: Vec<CounterEntry> =
            Self::answer(&self.call("GET", "/v1/counters", b"").map_err(service)?).map_err(service)?;
        let mut pulled = Pulled::default();
        for entry in counters.iter().filter(|c| c.code != self.code) {
            let (next, _) = bank.city_head(&entry.code)?;
            match self.pull_counter(bank, entry) {
                Ok(to) if to + 1 > next => pulled.counters.push((entry.code.clone(), next - 1, to)),
                Ok(_) => {}
                Err(RemoteError::Store(e)) => return Err(PullError::Bank(e.into())),
                Err(e) => pulled.stopped.push(e),
            }
        }
        if pulled.stopped.is_empty() {
            bank.mark_city_pulled()?;
        }
        Ok(pulled)
    }

    /// One counter to its head on the service; the last seq applied.
    fn pull_counter(&self, bank: &Bank, entry: &CounterEntry) -> Result<u64, RemoteError> {
        let code = entry.code.as_str();
        let key = entry.key.as_deref().and_then(crate::bank::parse_public);
        let store = |e: crate::bank::BankError| match e {
            crate::bank::BankError::Store(s) => RemoteError::Store(s),
            crate::bank::BankError::Rule(_) => {
                RemoteError::Store(crate::bank::StoreError::Internal("a pulled counter's head"))
            }
        };
        loop {
            let (next, _) = bank.city_head(code).map_err(store)?;
            if next > entry.head {
                return Ok(next - 1);
            }
            let path = format!("/v1/events?counter={code}&after={}", next - 1);
            let events: Events = match self.call("GET", &path, b"").and_then(|b| Self::answer(&b)) {
                Ok(e) => e,
                // The service is away: what was applied stays; the next sync goes on.
                Err(_) => return Ok(next - 1),
            };
            let unlinked = |seq| RemoteError::Unlinked { code: code.to_string(), seq };
            for (i, row) in events.rows.iter().enumerate() {
                if row.seq != next + i as u64 {
                    return Err(unlinked(next + i as u64));
                }
            }
            // How far the counter's own signatures vouch for these rows.
            let covered = match &key {
                Some(key) => {
                    let stored: Vec<&[u8]> = events.rows.iter().map(|r| r.stored.as_slice()).collect();
                    let signed: Vec<(u64, &[u8])> =
                        events.signatures.iter().map(|s| (s.seq, s.signature.as_slice())).collect();
                    wire::covered(code, key, entry.enrolled_head, next, &stored, &signed)
                }
                None => 0,
            };
            let rows: Vec<(u64, Vec<u8>)> =
                events.rows.into_iter().filter(|r| r.seq <= covered).map(|r| (r.seq, r.stored)).collect();
            if rows.is_empty() {
                return Err(match events.oversized {
                    Some((seq, bytes)) if seq == next => RemoteError::Unwritable {
                        code: code.to_string(),
                        seq,
                        why: format!("{bytes} bytes, more than any event a counter can store"),
                    },
                    _ => RemoteError::Unsigned { code: code.to_string(), seq: next },
                });
            }
            apply_rows(bank, code, rows)?;
        }
    }
}

/// `request` with the signed request's headers.
fn signed<B>(mut request: ureq::RequestBuilder<B>, headers: &[(&str, String)]) -> ureq::RequestBuilder<B> {
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request
}

fn is_loopback(host: &str) -> bool {
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h).trim_start_matches('[').trim_end_matches(']');
    name == "localhost" || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
