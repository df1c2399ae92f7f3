//! The counter's side of the city service: HTTPS (plain HTTP only to a loopback address) with
//! every request signed by the counter's key (`wire::request_message`). Blocking, with
//! timeouts: the sync runs on its own thread, never the UI's.

use std::time::Duration;

use super::pull::apply_rows;
use super::push::BATCH;
use super::wire::{self, CounterEntry, Counters, Events, Head, PushRequest, Refusal};
use super::{PullError, Pulled, PushError, Pushed};
use crate::bank::{Bank, CounterKey, DirectoryCard, DirectoryShare, RemoteError, StoredEvent};
use crate::domain::CardNo;

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
    /// The service shows another city key than the one this counter first saw.
    #[error(
        "the city service shows the city key {shown}, where this counter first saw {pinned}: a city's key never changes, so this is another city or someone in between; nothing is pulled — tell the city's admin"
    )]
    CityKeyChanged { pinned: String, shown: String },
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
}

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

    /// Every card of the city changed after city-wide position `after` (directory fields and
    /// balances), as of the position answered.
    pub fn cards(&self, after: u64) -> Result<wire::Cards, ClientError> {
        Self::answer(&self.call("GET", &format!("/v1/cards?after={after}"), b"")?)
    }

    /// Takes `answer` — the cards changed after position `after` — into `bank`'s copy of the
    /// directory, all at once. An answer behind `after` (the city's database was put back) is
    /// asked again from position 0 and replaces the whole copy. Returns the cards taken, and
    /// how many of them a search finds differently (new, or another name or phone tail): the
    /// counter rebuilds its search index only for those.
    pub fn take_cards(
        &self,
        bank: &Bank,
        after: u64,
        answer: wire::Cards,
    ) -> Result<(usize, usize), PullError> {
        let (answer, whole) = match answer.position < after {
            true => (self.cards(0).map_err(PullError::Service)?, true),
            false => (answer, after == 0),
        };
        if answer.position == after && answer.cards.is_empty() && !whole {
            return Ok((0, 0));
        }
        let cards = answer.cards.into_iter().map(directory_card).collect::<Result<Vec<_>, _>>()?;
        let mut listed = 0;
        for (card, new) in &cards {
            let old = bank.city_card(card)?;
            if old.is_none_or(|old| old.name != new.name || old.phone_tail != new.phone_tail) {
                listed += 1;
            }
        }
        bank.apply_city_directory(answer.position, &cards, whole)?;
        Ok((cards.len(), listed))
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
        let counters = self.counters().map_err(PullError::Service)?;
        self.pull_with(bank, &counters)
    }

    /// [`CityClient::pull`] of the counters whose heads `listed` shows past this store's
    /// copy: one request for all of them (more while a request's answer could not hold all).
    pub fn pull_with(&self, bank: &Bank, listed: &Counters) -> Result<Pulled, PullError> {
        let city_key = city_key(bank, &listed.city_key).map_err(PullError::Service)?;
        let counters = listed.counters.as_slice();
        let mut pulled = Pulled::default();
        let mut started: std::collections::HashMap<&str, u64> = Default::default();
        let mut moving: Vec<&CounterEntry> = counters.iter().filter(|c| c.code != self.code).collect();
        loop {
            let mut wants = Vec::new();
            let mut still = Vec::new();
            for entry in moving {
                let (next, _) = bank.city_head(&entry.code)?;
                if next <= entry.head {
                    started.entry(entry.code.as_str()).or_insert(next - 1);
                    wants.push(wire::Want { counter: entry.code.clone(), after: next - 1 });
                    still.push(entry);
                }
            }
            if wants.is_empty() {
                break;
            }
            let body = serde_json::to_vec(&wire::EventsWanted { wants })
                .map_err(|e| PullError::Service(ClientError::Url(e.to_string())))?;
            // The service gone midway fails the pull; what was applied stays, the next sync
            // goes on from there.
            let answered: Vec<wire::CounterEvents> = self
                .call("POST", "/v1/events", &body)
                .and_then(|b| Self::answer(&b))
                .map_err(PullError::Service)?;
            let mut stopped_now = Vec::new();
            let mut taken = 0;
            for answer in answered {
                let Some(entry) = still.iter().find(|e| e.code == answer.counter) else { continue };
                taken += 1;
                match self.take_events(bank, &city_key, entry, answer.events) {
                    Ok(()) => {}
                    Err(RemoteError::Store(e)) => return Err(PullError::Bank(e.into())),
                    Err(e) => {
                        stopped_now.extend(e.counter().map(str::to_string));
                        pulled.stopped.push(e);
                    }
                }
            }
            // Each answered counter moved on or stopped; an answer with none of the counters
            // asked for (nothing more to give, or a service not keeping to its word) ends the
            // pull. Those the answer had no room for are asked again.
            if taken == 0 {
                break;
            }
            moving = still.into_iter().filter(|e| !stopped_now.contains(&e.code)).collect();
        }
        // Only counters that were asked for can have moved (in the list's order).
        for entry in counters.iter().filter(|c| started.contains_key(c.code.as_str())) {
            let (next, _) = bank.city_head(&entry.code)?;
            let from = started[entry.code.as_str()];
            if next - 1 > from {
                pulled.counters.push((entry.code.clone(), from, next - 1));
            }
        }
        if pulled.stopped.is_empty() {
            bank.mark_city_pulled()?;
        }
        Ok(pulled)
    }

    /// Applies one counter's answered events after this store's head of it, as far as its
    /// signatures (or its enrollment) cover them.
    fn take_events(
        &self,
        bank: &Bank,
        city_key: &ed25519_dalek::VerifyingKey,
        entry: &CounterEntry,
        events: Events,
    ) -> Result<(), RemoteError> {
        let code = entry.code.as_str();
        let store = |e: crate::bank::BankError| match e {
            crate::bank::BankError::Store(s) => RemoteError::Store(s),
            crate::bank::BankError::Rule(_) => {
                RemoteError::Store(crate::bank::StoreError::Internal("a pulled counter's head"))
            }
        };
        let (next, _) = bank.city_head(code).map_err(store)?;
        for (i, row) in events.rows.iter().enumerate() {
            if row.seq != next + i as u64 {
                return Err(RemoteError::Unlinked { code: code.to_string(), seq: next + i as u64 });
            }
        }
        // A code's key never changes (another key under an enrolled code is refused at
        // enrollment): the key and enrollment seen first are pinned here, and the city showing
        // others later — whoever holds its database swapped them, to sign as that counter or to
        // pass unsigned rows as pushed before enrollment — stops that counter.
        let listed = entry.key.clone().map(|key| crate::bank::PinnedKey { key, floor: entry.enrolled_head });
        let pinned = bank.pinned_key(code).map_err(store)?;
        let trusted = match (pinned, listed) {
            (Some(pinned), listed) if listed.as_ref() != Some(&pinned) => {
                let detail = match listed {
                    Some(l) if l.key != pinned.key => format!("key {} where it was {}", l.key, pinned.key),
                    Some(l) => format!("enrolled at #{} where it was #{}", l.floor, pinned.floor),
                    None => "no key where it had one".into(),
                };
                return Err(RemoteError::KeyChanged { code: code.to_string(), detail });
            }
            (Some(pinned), _) => Some(pinned),
            (None, Some(listed)) => {
                // Seen the first time: it counts only where the city's key signed its
                // enrollment (whoever holds the database alone can neither enroll a key, swap
                // one, nor move an enrollment head).
                let vouched = crate::bank::parse_public(&listed.key).is_some_and(|key| {
                    wire::vouched(city_key, code, &key, listed.floor, entry.enrollment.as_deref())
                });
                if !vouched {
                    return Err(RemoteError::Unvouched { code: code.to_string() });
                }
                bank.pin_key(code, &listed).map_err(store)?;
                Some(listed)
            }
            (None, None) => None,
        };
        // How far the counter's own signatures vouch for these rows.
        let covered = match trusted.as_ref().and_then(|t| crate::bank::parse_public(&t.key)) {
            Some(key) => {
                let stored: Vec<&[u8]> = events.rows.iter().map(|r| r.stored.as_slice()).collect();
                let signed: Vec<(u64, &[u8])> =
                    events.signatures.iter().map(|s| (s.seq, s.signature.as_slice())).collect();
                let floor = trusted.as_ref().map_or(0, |t| t.floor);
                wire::covered(code, &key, floor, next, &stored, &signed)
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
        apply_rows(bank, code, rows)
    }
}

/// The city's key the service shows, pinned the first time this counter sees one; another one
/// later is refused (see [`ClientError::CityKeyChanged`]).
fn city_key(bank: &Bank, shown: &str) -> Result<ed25519_dalek::VerifyingKey, ClientError> {
    let key = crate::bank::parse_public(shown)
        .ok_or_else(|| ClientError::Connect(format!("the city's key {shown:?} is not a key")))?;
    match bank.pinned_city_key()? {
        Some(pinned) if crate::bank::parse_public(&pinned) != Some(key) => {
            Err(ClientError::CityKeyChanged { pinned, shown: shown.to_string() })
        }
        Some(_) => Ok(key),
        None => {
            bank.pin_city_key(&crate::bank::public_text(&key))?;
            Ok(key)
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

/// A card as the service sent it, as the bank keeps it.
fn directory_card(row: wire::CardRow) -> Result<(CardNo, DirectoryCard), PullError> {
    let garbled =
        |what: &str| PullError::Service(ClientError::Connect(format!("a card not understood: {what}")));
    // What reaches a screen is checked as a counter's own input is: a name or community with
    // a control character, or anything else no counter could have registered, is refused.
    let card = CardNo::parse(&row.card).map_err(|_| garbled(&row.card))?;
    let day = chrono::NaiveDate::parse_from_str(&row.registered_on, "%Y-%m-%d")
        .map_err(|_| garbled(&row.registered_on))?;
    let name = crate::domain::Name::parse(&row.name).map_err(|_| garbled(&row.card))?;
    let community = crate::domain::parse_text(&row.community, crate::domain::MAX_NAME_CHARS)
        .map_err(|_| garbled(&row.card))?;
    let tail_ok = row.phone_tail.len() <= 4 && row.phone_tail.bytes().all(|b| b.is_ascii_digit());
    let code_ok = |c: &str| crate::domain::CounterCode::parse(c).is_ok();
    if !tail_ok || !code_ok(&row.home) || !row.shares.iter().all(|s| code_ok(&s.counter)) {
        return Err(garbled(&row.card));
    }
    let record = DirectoryCard {
        home: row.home,
        name,
        community,
        phone_tail: row.phone_tail,
        registered_on: crate::domain::Day::from_date(day),
        pool: row.pool,
        shares: row
            .shares
            .into_iter()
            .map(|s| DirectoryShare { counter: s.counter, minutes: s.minutes, released: s.released })
            .collect(),
        pos: row.pos,
        conflict: row.conflict,
    };
    Ok((card, record))
}
