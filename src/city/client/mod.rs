//! The counter's side of the city service: HTTPS (plain HTTP only to a loopback address) with
//! every request signed by the counter's key (`wire::request_message`). Blocking, with
//! timeouts: the sync runs on its own thread, never the UI's.

mod directory;

use std::time::Duration;

use super::push::BATCH;
use super::wire::{self, Counters, Events, Head, PushRequest, Refusal};
use super::{PushError, Pushed};
use crate::bank::{Bank, CounterKey, StoredEvent};

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
    /// The counters list last received and its entity tag: asked again with the tag, an
    /// unchanged list costs the service a 304 and no bytes.
    known: std::sync::Mutex<Option<(String, Counters)>>,
    /// Nanoseconds spent waiting for the service's answers, all requests together.
    waited: std::sync::atomic::AtomicU64,
    /// Cards per answer asked for.
    page: usize,
}

/// How far a join is: the cards taken so far, of how many the city said it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinProgress {
    pub taken: u64,
    pub total: Option<u64>,
}

/// Cards per answer a counter asks for: about a megabyte.
const PAGE: usize = 5_000;

/// A 2xx or 304 answer.
struct Answer {
    unchanged: bool,
    etag: Option<String>,
    bytes: Vec<u8>,
}

impl CityClient {
    /// A client for the service at `url` (`https://city.example:7443`; `http://` only to a
    /// loopback address), signing as `bank`'s counter. `$HOURBANK_CITY_CA` (a PEM file) is
    /// the city's own CA, trusted instead of the public roots.
    pub fn new(url: &str, bank: &Bank) -> Result<CityClient, ClientError> {
        let code = bank.counter_code()?.ok_or(ClientError::NoKey)?.to_string();
        let key = bank.counter_key()?.ok_or(ClientError::NoKey)?;
        CityClient::with_key(url, code, key)
    }

    /// A client signing as counter `code` with `key`, with no store (a lost counter rebuilt
    /// from the city, `restore --from-city`).
    pub fn with_key(url: &str, code: String, key: CounterKey) -> Result<CityClient, ClientError> {
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
        Ok(CityClient {
            base,
            agent,
            code,
            key,
            known: std::sync::Mutex::new(None),
            waited: Default::default(),
            page: PAGE,
        })
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    /// One signed request; the answer's body when it is 2xx, else the service's refusal.
    pub(super) fn call(&self, method: &str, path: &str, body: &[u8]) -> Result<Vec<u8>, ClientError> {
        Ok(self.exchange(method, path, body, None)?.bytes)
    }

    /// One signed request, sending `if_none_match` when given: a 2xx or 304 answer, else the
    /// service's refusal.
    fn exchange(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        if_none_match: Option<&str>,
    ) -> Result<Answer, ClientError> {
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
        let mut headers = vec![
            (wire::HEADER_COUNTER, self.code.clone()),
            (wire::HEADER_TIME, time.to_string()),
            (wire::HEADER_NONCE, nonce),
            (wire::HEADER_SIGNATURE, signature),
        ];
        if let Some(tag) = if_none_match {
            headers.push(("if-none-match", tag.to_string()));
        }
        let asked = std::time::Instant::now();
        let answer = if method == "GET" {
            signed(self.agent.get(&url), &headers).call()
        } else {
            signed(self.agent.post(&url), &headers).header("content-type", "application/json").send(body)
        };
        let read = answer.map_err(|e| ClientError::Connect(e.to_string())).and_then(|mut answer| {
            let etag = answer.headers().get("etag").and_then(|v| v.to_str().ok()).map(str::to_string);
            let bytes = answer
                .body_mut()
                .with_config()
                .limit(MAX_ANSWER)
                .read_to_vec()
                .map_err(|e| ClientError::Connect(format!("reading the answer: {e}")))?;
            Ok((answer.status(), etag, bytes))
        });
        let nanos = u64::try_from(asked.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.waited.fetch_add(nanos, std::sync::atomic::Ordering::Relaxed);
        let (status, etag, bytes) = read?;
        if status.is_success() || status == ureq::http::StatusCode::NOT_MODIFIED {
            return Ok(Answer { unchanged: status == ureq::http::StatusCode::NOT_MODIFIED, etag, bytes });
        }
        let refusal = serde_json::from_slice::<Refusal>(&bytes).unwrap_or_else(|_| Refusal {
            code: wire::refusal::UNAVAILABLE.into(),
            message: format!("HTTP {status}"),
            head: None,
            pool: None,
        });
        Err(ClientError::Refused(refusal))
    }

    pub(super) fn answer<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ClientError> {
        serde_json::from_slice(bytes)
            .map_err(|e| ClientError::Connect(format!("an answer not understood: {e}")))
    }

    /// This counter's head on the service.
    pub fn head(&self) -> Result<Head, ClientError> {
        Self::answer(&self.call("GET", "/v1/head", b"")?)
    }

    /// The city's key and every counter of the city with its key and head (this one's too), as
    /// the service last read them (a push through another instance of the service may show a
    /// moment later).
    pub fn counters(&self) -> Result<Counters, ClientError> {
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        let tag = known.as_ref().map(|(tag, _)| tag.as_str());
        let answer = self.exchange("GET", "/v1/counters", b"", tag)?;
        if answer.unchanged
            && let Some((_, list)) = known.as_ref()
        {
            return Ok(list.clone());
        }
        let list: Counters = Self::answer(&answer.bytes)?;
        *known = answer.etag.map(|tag| (tag, list.clone()));
        Ok(list)
    }

    /// Pushes every event of `bank` the service lacks, a signed batch at a time. Before
    /// anything, the service's last event of this counter must be this store's own (else this
    /// store is not the one that wrote it: nothing is pushed).
    pub fn push(&self, bank: &Bank) -> Result<Pushed, PushError> {
        let head = self.head().map_err(PushError::Service)?;
        self.push_from(bank, head)
    }

    /// [`CityClient::push`] from `head`, the service's head of this counter as last seen (from
    /// the counters list, so an idle sync asks nothing more). A head that moved on since — a
    /// push through another instance — is answered with the real one, and the push starts
    /// again from there.
    pub fn push_from(&self, bank: &Bank, mut head: Head) -> Result<Pushed, PushError> {
        for _ in 0..3 {
            match self.push_after(bank, &head) {
                Err(PushError::Service(ClientError::Refused(Refusal { code, head: Some(real), .. })))
                    if code == wire::refusal::STALE && real != head =>
                {
                    head = real;
                }
                done => return done,
            }
        }
        self.push_after(bank, &head)
    }

    fn push_after(&self, bank: &Bank, head: &Head) -> Result<Pushed, PushError> {
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
        loop {
            // Up to `PUSH_BATCHES` batches a request, each signed at its last event; `ends`:
            // where each batch ends, and its last event's hash.
            let mut batches: Vec<wire::SignedBatch> = Vec::new();
            let mut ends: Vec<(u64, [u8; 32])> = Vec::new();
            let mut batch: Vec<Vec<u8>> = Vec::with_capacity(BATCH);
            let mut last = to;
            let mut seal = |batch: &mut Vec<Vec<u8>>, last: u64, prev: [u8; 32]| {
                let signature = self.key.sign(&wire::head_message(&self.code, last, &prev)).to_vec();
                batches.push(wire::SignedBatch { events: std::mem::take(batch), signature });
                ends.push((last, prev));
            };
            for item in bank.stored_events_from(to + 1).take(wire::PUSH_BATCHES * BATCH) {
                let (seq, value) = item?;
                let stored =
                    StoredEvent::split(&value).filter(|s| s.follows(&prev)).ok_or(PushError::Damaged(seq))?;
                prev = stored.hash();
                last = seq;
                batch.push(value);
                if batch.len() == BATCH {
                    seal(&mut batch, last, prev);
                }
            }
            if !batch.is_empty() {
                seal(&mut batch, last, prev);
            }
            if batches.is_empty() {
                return Ok(Pushed { code: self.code.clone(), from: head.seq, to });
            }
            let body = serde_json::to_vec(&PushRequest::of(to, batches))
                .map_err(|e| PushError::Service(ClientError::Url(e.to_string())))?;
            let done: Head = Self::answer(&self.call("POST", "/v1/push", &body).map_err(PushError::Service)?)
                .map_err(PushError::Service)?;
            // The service stores whole batches, in order: it answers the end of one of them (an
            // older service stores only the first). Anything else is not this store's chain.
            let (end, hash) = ends
                .iter()
                .find(|(end, _)| *end == done.seq)
                .copied()
                .ok_or(PushError::Fork { code: self.code.clone(), seq: done.seq })?;
            if hash.as_slice() != done.hash.as_slice() {
                return Err(PushError::Fork { code: self.code.clone(), seq: done.seq });
            }
            to = end;
            prev = hash;
        }
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
        self.grant_of(wire::Unit::Minutes, id, card, minutes)
    }

    /// [`CityClient::grant`] of `amount` in `unit` (hours' minutes, or civic points).
    pub fn grant_of(
        &self,
        unit: wire::Unit,
        id: &str,
        card: &crate::domain::CardNo,
        amount: u64,
    ) -> Result<u64, super::GrantError> {
        use super::GrantError;
        let minutes = amount;
        let message = wire::unit_grant_message(unit, &self.code, id, card.as_str(), amount);
        let asked = Some(self.key.sign(&message).to_vec());
        let request = wire::GrantRequest { id: id.into(), card: card.to_string(), minutes, unit, asked };
        let body =
            serde_json::to_vec(&request).map_err(|e| GrantError::Service(ClientError::Url(e.to_string())))?;
        match self.call("POST", "/v1/grant", &body).and_then(|b| Self::answer::<wire::Granted>(&b)) {
            Ok(g) => Ok(g.minutes),
            Err(ClientError::Refused(r)) if r.code == wire::refusal::SHORT => {
                Err(GrantError::Short { card: card.to_string(), pool: r.pool.unwrap_or(0), asked: minutes })
            }
            Err(ClientError::Refused(r)) if r.code == wire::refusal::IN_CONFLICT => {
                Err(GrantError::InConflict {
                    card: card.to_string(),
                    own: r.pool.unwrap_or(0),
                    asked: minutes,
                })
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
            let rows = self.own_rows_after(local).map_err(PushError::Service)?;
            if rows.is_empty() {
                return Err(PushError::Fork { code: self.code.clone(), seq: local + 1 });
            }
            let n = rows.len() as u64;
            bank.append_own_from_city(&rows)
                .map_err(|_| PushError::Fork { code: self.code.clone(), seq: local + 1 })?;
            appended += n;
        }
    }

    /// This counter's own events after `after` as the service holds them, as far as its own
    /// key's signatures (or its enrollment) vouch for them; none when nothing past `after` is.
    pub fn own_rows_after(&self, after: u64) -> Result<Vec<(u64, Vec<u8>)>, ClientError> {
        let counters = self.counters()?.counters;
        let floor = counters.iter().find(|c| c.code == self.code).map_or(0, |c| c.enrolled_head);
        let path = format!("/v1/events?counter={}&after={after}", self.code);
        let events: Events = Self::answer(&self.call("GET", &path, b"")?)?;
        let stored: Vec<&[u8]> = events.rows.iter().map(|r| r.stored.as_slice()).collect();
        let signed: Vec<(u64, &[u8])> =
            events.signatures.iter().map(|s| (s.seq, s.signature.as_slice())).collect();
        let covered =
            wire::covered(&self.code, &self.key.verifying_key(), floor, after + 1, &stored, &signed);
        Ok(events
            .rows
            .into_iter()
            .enumerate()
            .take_while(|(i, r)| r.seq == after + 1 + *i as u64 && r.seq <= covered)
            .map(|(_, r)| (r.seq, r.stored))
            .collect())
    }

    /// How long this client has waited for the service's answers, all requests together (the
    /// rest of a sync is this counter's own work).
    pub fn waited(&self) -> Duration {
        Duration::from_nanos(self.waited.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// This client's public key as the city writes it (`ed25519:…`).
    pub fn public_key(&self) -> String {
        self.key.public()
    }

    /// Minutes `card`'s service day `day` holds at every other counter, as the city knows.
    pub fn day_elsewhere(
        &self,
        card: &crate::domain::CardNo,
        day: crate::domain::Day,
    ) -> Result<u32, ClientError> {
        let path = format!("/v1/day?card={}&day={}", card.as_str(), day.date().format("%Y-%m-%d"));
        let answer: wire::Granted = Self::answer(&self.call("GET", &path, b"")?)?;
        // More minutes than a day holds is not an answer: refused, never clamped.
        u32::try_from(answer.minutes).ok().filter(|m| *m <= 24 * 60).ok_or_else(|| {
            ClientError::Connect(format!("an answer not understood: {} minutes in a day", answer.minutes))
        })
    }

    /// Points `card`'s city pool holds now: what a counter short of points may be granted.
    pub fn points_pool(&self, card: &crate::domain::CardNo) -> Result<u64, ClientError> {
        let path = format!("/v1/points/pool?card={}", card.as_str());
        let answer: wire::PointsPool = Self::answer(&self.call("GET", &path, b"")?)?;
        Ok(answer.points)
    }

    /// Grants the service holds for this counter that no pushed entry journals yet.
    pub fn unjournalled_grants(&self) -> Result<Vec<super::ServerGrant>, ClientError> {
        Self::answer(&self.call("GET", "/v1/grants", b"")?)
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
