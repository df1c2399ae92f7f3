//! What counters and the city service say to each other, in one place: the requests and
//! answers (JSON; event bytes in base64), how a request is signed, and what a counter's
//! signature over a pushed batch covers. Both sides build and check the same bytes here.

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

/// Headers of a signed request.
pub const HEADER_COUNTER: &str = "x-hourbank-counter";
pub const HEADER_TIME: &str = "x-hourbank-time";
pub const HEADER_NONCE: &str = "x-hourbank-nonce";
pub const HEADER_SIGNATURE: &str = "x-hourbank-signature";

/// How far a request's time may be from the service's clock (either way), in milliseconds.
/// Nonces are kept for twice as long, so a request is accepted once.
pub const TIME_WINDOW_MS: i64 = 5 * 60 * 1000;

/// The bytes a counter signs for a request: method, path with query, its time and nonce, and
/// the body's blake3. Nothing else of the request matters to the service.
pub fn request_message(method: &str, path: &str, time_ms: i64, nonce: &str, body: &[u8]) -> Vec<u8> {
    format!("hourbank request v1\n{method}\n{path}\n{time_ms}\n{nonce}\n{}", blake3::hash(body).to_hex())
        .into_bytes()
}

/// The bytes a counter signs for the head of a batch it pushes: its code, the batch's last seq
/// and that event's link hash. The chain covers every event before it, so one signature a
/// batch proves who wrote all of them.
pub fn head_message(code: &str, seq: u64, hash: &[u8; 32]) -> Vec<u8> {
    let mut m = Vec::with_capacity(32 + code.len() + 8 + 32);
    m.extend_from_slice(b"hourbank head v1\0");
    m.extend_from_slice(code.as_bytes());
    m.push(0);
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(hash);
    m
}

/// The bytes the city's key signs to enroll a counter: its code, its public key and its head at
/// enrollment (rows up to it were pushed before signatures). Whoever holds the city's database
/// but not the city's key can neither swap a counter's key nor move its enrollment head.
pub fn enrollment_message(code: &str, key: &VerifyingKey, enrolled_head: u64) -> Vec<u8> {
    let mut m = Vec::with_capacity(32 + code.len() + 32 + 8);
    m.extend_from_slice(b"hourbank enrollment v1\0");
    m.extend_from_slice(code.as_bytes());
    m.push(0);
    m.extend_from_slice(key.as_bytes());
    m.extend_from_slice(&enrolled_head.to_be_bytes());
    m
}

/// The bytes a counter signs when it asks for a grant: its code, the grant's id, the card and the
/// minutes. The service keeps the signature beside the grant, so a counter that lost its record
/// of asking (restored from a backup taken before) still tells a grant it asked for from a row
/// whoever holds the database wrote: only the counter's key makes this signature.
pub fn grant_message(code: &str, id: &str, card: &str, minutes: u64) -> Vec<u8> {
    unit_grant_message(Unit::Minutes, code, id, card, minutes)
}

/// [`grant_message`] of a grant in `unit`: a signature over a grant of minutes never holds for
/// one of points (its own first words), and the minutes' message is as it always was.
pub fn unit_grant_message(unit: Unit, code: &str, id: &str, card: &str, amount: u64) -> Vec<u8> {
    let mut m = Vec::with_capacity(32 + code.len() + id.len() + card.len() + 8);
    m.extend_from_slice(match unit {
        Unit::Minutes => b"hourbank grant v1\0".as_slice(),
        Unit::Points => b"hourbank points grant v1\0".as_slice(),
    });
    for part in [code, id, card] {
        m.extend_from_slice(part.as_bytes());
        m.push(0);
    }
    m.extend_from_slice(&amount.to_be_bytes());
    m
}

/// What a city pool holds and grants: service hours, or civic points (ARCHITECTURE.md §9). The
/// two never mix: a card's pool holds each apart, a grant is of one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    #[default]
    Minutes,
    Points,
}

impl Unit {
    /// The unit's name in the database (`hb_grants.unit`).
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Minutes => "minutes",
            Unit::Points => "points",
        }
    }
}

/// Whether `signature` is the city key `city`'s over counter `code`'s enrollment of `key` at
/// `enrolled_head`: what every reader asks before it takes a counter's key.
pub fn vouched(
    city: &VerifyingKey,
    code: &str,
    key: &VerifyingKey,
    enrolled_head: u64,
    signature: Option<&[u8]>,
) -> bool {
    signature.is_some_and(|s| verify(city, &enrollment_message(code, key, enrolled_head), s))
}

/// Whether `signature` is `key`'s over `message`.
pub fn verify(key: &VerifyingKey, message: &[u8], signature: &[u8]) -> bool {
    let Ok(bytes) = <[u8; 64]>::try_from(signature) else { return false };
    key.verify(message, &Signature::from_bytes(&bytes)).is_ok()
}

/// How far a counter's signatures vouch for rows of its chain (`first` is the first row's
/// seq, the rest follow in order): the largest seq whose head — that row's link hash — `key`
/// signed, or `floor` (what was pushed before the counter was enrolled). The chain covers every
/// row before a signed one.
pub fn covered(
    code: &str,
    key: &VerifyingKey,
    floor: u64,
    first: u64,
    rows: &[&[u8]],
    signatures: &[(u64, &[u8])],
) -> u64 {
    let mut covered = floor;
    for (seq, signature) in signatures {
        let row = seq.checked_sub(first).and_then(|i| rows.get(i as usize));
        let hash = row.and_then(|r| crate::bank::StoredEvent::split(r)).map(|e| e.hash());
        if let Some(hash) = hash
            && *seq > covered
            && verify(key, &head_message(code, *seq, &hash), signature)
        {
            covered = *seq;
        }
    }
    covered
}

/// Bytes as JSON carries them.
pub mod b64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&data_encoding::BASE64.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <&str>::deserialize(d)?;
        data_encoding::BASE64.decode(text.as_bytes()).map_err(serde::de::Error::custom)
    }
}

/// Optional bytes as JSON carries them.
pub mod b64_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_some(&data_encoding::BASE64.encode(b)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| data_encoding::BASE64.decode(t.as_bytes()).map_err(serde::de::Error::custom)).transpose()
    }
}

/// Base64 bytes, one per element.
pub mod b64_list {
    use serde::{Deserialize, Deserializer, Serializer, ser::SerializeSeq};

    pub fn serialize<S: Serializer>(list: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(list.len()))?;
        for bytes in list {
            seq.serialize_element(&data_encoding::BASE64.encode(bytes))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        texts
            .iter()
            .map(|t| data_encoding::BASE64.decode(t.as_bytes()).map_err(serde::de::Error::custom))
            .collect()
    }
}

/// The head of a counter's chain on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub seq: u64,
    #[serde(with = "b64")]
    pub hash: Vec<u8>,
}

/// Batches one push request may carry (each of at most `push::BATCH` events): the service
/// verifies one batch while the database stores the one before, and publishes the directory
/// once for them all, so a counter with much to push sends it in few requests. Under the 64
/// subtransactions a PostgreSQL session keeps in memory (each batch is a savepoint).
pub const PUSH_BATCHES: usize = 32;

/// `POST /v1/push`: events continuing the server's head `from`, and the counter's signature
/// over the last one's head; then, in `more`, further batches, each continuing the one before
/// and signed at its own last event. The service stores the batches in order and stops at the
/// first it refuses (those before it are stored). A service that predates `more` stores the
/// first batch only and answers its head: the counter goes on from the head it is answered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushRequest {
    pub from: u64,
    #[serde(with = "b64_list")]
    pub events: Vec<Vec<u8>>,
    #[serde(with = "b64")]
    pub signature: Vec<u8>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more: Vec<SignedBatch>,
}

/// Events continuing the batch before, and the counter's signature over the last one's head.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignedBatch {
    #[serde(with = "b64_list")]
    pub events: Vec<Vec<u8>>,
    #[serde(with = "b64")]
    pub signature: Vec<u8>,
}

impl PushRequest {
    /// A request of `batches` (at least one) continuing the head `from`.
    pub fn of(from: u64, mut batches: Vec<SignedBatch>) -> PushRequest {
        let first = if batches.is_empty() {
            SignedBatch { events: Vec::new(), signature: Vec::new() }
        } else {
            batches.remove(0)
        };
        PushRequest { from, events: first.events, signature: first.signature, more: batches }
    }

    /// Every batch, the first one first.
    pub fn into_batches(self) -> Vec<SignedBatch> {
        let mut batches = Vec::with_capacity(1 + self.more.len());
        batches.push(SignedBatch { events: self.events, signature: self.signature });
        batches.extend(self.more);
        batches
    }
}

/// Why the service said no: a word a program matches, and a sentence a person reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub code: String,
    pub message: String,
    /// The server's head, when the request did not continue it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<Head>,
    /// What the card's pool holds, when a grant was short.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<u64>,
}

/// `POST /v1/grant`: take `minutes` of `card`'s city pool for the calling counter, as grant
/// `id` (`<code>:<operation>`; the same id again takes nothing more).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRequest {
    pub id: String,
    pub card: String,
    /// The amount, in `unit` (minutes unless it says points).
    pub minutes: u64,
    #[serde(default, skip_serializing_if = "is_minutes")]
    pub unit: Unit,
    /// The counter's signature over [`grant_message`], kept with the grant.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "b64_opt")]
    pub asked: Option<Vec<u8>>,
}

fn is_minutes(unit: &Unit) -> bool {
    *unit == Unit::Minutes
}

/// `GET /v1/points/pool?card=C`: the points the card's city pool holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsPool {
    pub points: u64,
}

/// The minutes granted (a retried id: the first grant's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Granted {
    pub minutes: u64,
}

/// Refusal codes.
pub mod refusal {
    /// No key enrolled for that counter, or a signature that does not verify.
    pub const UNAUTHENTICATED: &str = "unauthenticated";
    /// The counter's key was revoked.
    pub const REVOKED: &str = "revoked";
    /// Time outside the window, or a nonce seen before.
    pub const REPLAYED: &str = "replayed";
    /// The push does not continue the server's head.
    pub const STALE: &str = "stale";
    /// The batch breaks a rule: nothing of it was stored.
    pub const REFUSED: &str = "refused";
    /// Plain bad input (unreadable JSON, a field out of range).
    pub const BAD_REQUEST: &str = "bad_request";
    /// The service could not reach its database, or failed: try again.
    pub const UNAVAILABLE: &str = "unavailable";
    /// The card's pool holds less than the grant asked (`pool` says how much).
    pub const SHORT: &str = "short";
    /// The card is in conflict and the grant asked more than this counter handed to its pool
    /// itself (`pool` says how much that is).
    pub const IN_CONFLICT: &str = "in_conflict";
}

/// `GET /v1/counters`: the city's key, and every counter of the city with its enrolled key
/// and head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// `ed25519:…`: the key that signs enrollments. A counter pins the first it sees.
    pub city_key: String,
    pub counters: Vec<CounterEntry>,
}

/// One counter of the city as `/v1/counters` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterEntry {
    pub code: String,
    /// `ed25519:…`, or none for a counter that was never enrolled.
    pub key: Option<String>,
    /// Events up to this seq were pushed before the counter was enrolled (no signatures).
    pub enrolled_head: u64,
    /// The city key's signature over the enrollment ([`enrollment_message`]).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "b64_opt")]
    pub enrollment: Option<Vec<u8>>,
    pub revoked: bool,
    pub head: u64,
    /// The link hash of the event at `head` (empty at 0).
    #[serde(default, with = "b64")]
    pub head_hash: Vec<u8>,
}

impl CounterEntry {
    /// Its head as a push starts from it.
    pub fn as_head(&self) -> Head {
        Head { seq: self.head, hash: if self.head == 0 { vec![0; 32] } else { self.head_hash.clone() } }
    }
}

/// One stored event as the service sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRow {
    pub seq: u64,
    #[serde(with = "b64")]
    pub stored: Vec<u8>,
}

/// A counter's signature over the head at `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadSignature {
    pub seq: u64,
    #[serde(with = "b64")]
    pub signature: Vec<u8>,
}

/// `GET /v1/events?counter=CODE&after=SEQ`: the next events of a counter, and the signatures
/// over heads among them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Events {
    pub rows: Vec<EventRow>,
    pub signatures: Vec<HeadSignature>,
    /// A row past the size limit, never sent: its seq and length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oversized: Option<(u64, u64)>,
}

/// `POST /v1/events`: the next events of several counters in one request (a pull is one
/// request however many counters moved).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsWanted {
    pub wants: Vec<Want>,
}

/// A counter's events after `after`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Want {
    pub counter: String,
    pub after: u64,
}

/// One counter's answer to a [`Want`]. The service answers the wants in order, as many as
/// fit one answer (at least the first): the rest are asked again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterEvents {
    pub counter: String,
    pub events: Events,
}

/// `GET /v1/cards?after=P[&limit=N][&from=CARD]`: every card changed after city-wide position
/// `after`, as of `position` (one snapshot: a counter that applies all of it holds the city as
/// of `position`). With a `limit` (what counters send), an answer never holds more than that:
/// from position 0 the directory comes a page at a time in card order (`from`: the last card
/// of the page before; `next` names where the next page starts), and a change of more cards
/// than that is answered `rejoin` (take the whole directory again, in pages). `Row`: a card
/// as counters read it, or (at the service) its JSON already written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cards<Row = CardRow> {
    pub position: u64,
    pub cards: Vec<Row>,
    /// The asking counter's own head on the service (where its next push starts), so that an
    /// idle round is this one request.
    #[serde(default)]
    pub head: Option<Head>,
    /// A page of the directory: the card the next page starts after (`None`: the last page).
    #[serde(default)]
    pub next: Option<String>,
    /// A first page: how many cards the city has (for a join's progress).
    #[serde(default)]
    pub total: Option<u64>,
    /// More cards changed than one answer may hold: take the directory again from the start.
    #[serde(default)]
    pub rejoin: bool,
}

/// A card's directory fields and balances, as of its last change `pos`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRow {
    pub card: String,
    /// The counter that registered the card first.
    pub home: String,
    pub name: String,
    pub community: String,
    /// The phone's last four digits (empty: no phone on file).
    pub phone_tail: String,
    /// `YYYY-MM-DD`.
    pub registered_on: String,
    /// The card's city pool as the journals have it, in minutes.
    pub pool: u64,
    /// Each counter's share of the card's hours, in minutes, by counter code.
    pub shares: Vec<Share>,
    /// The card's civic points pool as the journals have it (none before the service kept it).
    #[serde(default)]
    pub points_pool: u64,
    pub pos: u64,
    /// Another counter that registered the card as someone else: nobody adopts it until an
    /// admin settles it.
    #[serde(default)]
    pub conflict: Option<String>,
    /// The name and phone tail that counter registered the card with, so that every counter
    /// finds the card by either person (none before the service kept them).
    #[serde(default)]
    pub conflict_name: Option<String>,
    #[serde(default)]
    pub conflict_phone_tail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub counter: String,
    pub minutes: u64,
    /// What this counter handed to the card's pool, net of the grants it journalled.
    pub released: i64,
    /// The service this counter recorded for the card, net of reversals, in minutes.
    #[serde(default)]
    pub earned: u64,
    /// Everything else it credited (gifts, donation-pool grants, corrections), net.
    #[serde(default)]
    pub received: u64,
    /// This counter's share of the card's civic points.
    #[serde(default)]
    pub points: u64,
    /// What it handed to the card's points pool, net of the points grants it journalled.
    #[serde(default)]
    pub points_released: i64,
}

impl CardRow {
    /// The card's city balance: its pool and every counter's share.
    pub fn balance(&self) -> u64 {
        self.pool + self.shares.iter().map(|s| s.minutes).sum::<u64>()
    }
}

/// `GET /v1/volunteer?card=C&staff=S`: what the city holds of a card beyond the directory,
/// read on demand by staff at a counter (the service records who asked): every counter's
/// registration of it, phone and ID number masked, and its entries at every counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolunteerDetails {
    pub card: String,
    pub registrations: Vec<Registration>,
    pub history: Vec<HistoryRow>,
}

/// A counter's registration of a card, as registered (later edits are that counter's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub counter: String,
    pub name: String,
    /// Masked as every list shows it (`138****8000`); empty when none is on file.
    pub phone: String,
    /// Masked (`4407**********1234`); empty when none is on file.
    pub id_number: String,
    pub community: String,
    /// `YYYY-MM-DD`.
    pub registered_on: String,
}

/// One entry of the card's, at any counter: what the city's report rows hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub counter: String,
    pub seq: u64,
    /// The booking day, `YYYY-MM-DD`.
    pub day: String,
    pub kind: String,
    /// For a reversal, the kind it reverses.
    pub reverses: Option<String>,
    /// Signed minutes: what the entry did to the card's hours at that counter.
    pub minutes: i64,
    pub activity: Option<String>,
}

/// `GET /v1/conflicts`: every card two counters registered as different people, with each
/// counter's registration (masked) and what differs (`name`, `phone`, `id_number`,
/// `community`), the asking counter's own version first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub card: String,
    pub differs: Vec<String>,
    pub versions: Vec<Registration>,
}

/// `POST /v1/certificates`: a volunteer's service certificate across the city, for the days
/// `from..=to` (`YYYY-MM-DD`, service dates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateRequest {
    pub card: String,
    pub from: String,
    pub to: String,
}

/// A certificate the city service issued (or, asked by its code, verified again): the service
/// recorded at every counter for the card, by activity and by counter, as the city's report rows
/// stood at issue — each counter's rows up to the heads it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CityCertificate {
    /// `CARD-FROM-TO-C<serial>-<code>`: what is typed to verify it at any counter.
    pub code: String,
    pub serial: u64,
    pub card: String,
    /// As the card's home counter registered them.
    pub name: String,
    pub from: String,
    pub to: String,
    /// Minutes by activity, largest first.
    pub by_activity: Vec<(String, u64)>,
    /// Minutes by counter, in code order.
    pub by_counter: Vec<(String, u64)>,
    pub total: u64,
    /// The counter that asked for it.
    pub issued_by: String,
    /// RFC 3339.
    pub issued_at: String,
    /// The minutes served behind `total` (a multiplier or rounding makes them differ); absent
    /// from a service that did not state it.
    #[serde(default)]
    pub served: Option<u64>,
}
