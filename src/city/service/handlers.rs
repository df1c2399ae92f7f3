//! The service's requests, each a plain function over typed extractors (their refusals are
//! `refusal::ApiError`).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, State as Extract};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::State;
use super::auth::{Counter, Unchecked};
use super::refusal::ApiError;
use crate::city::Nonce;
use crate::city::directory::MAX_PAGE;
use crate::city::push::server_head;
use crate::city::wire::{self, Head};

pub async fn health() -> &'static str {
    "ok"
}

/// `GET /v1/head`: the calling counter's head on the server.
pub async fn head(
    Extract(state): Extract<Arc<State>>,
    Extension(Counter(code)): Extension<Counter>,
) -> Result<Json<Head>, ApiError> {
    let (seq, hash) = state.blocking(move |_, server| Ok(server_head(server, &code)?)).await?;
    Ok(Json(Head { seq, hash }))
}

/// `GET /v1/counters`: every counter with its key and head, with an entity tag: a counter that
/// sends the tag of the list it holds (`If-None-Match`) is answered 304 and no list while
/// nothing changed — what an idle counter's sync mostly is.
pub async fn counters(
    Extract(state): Extract<Arc<State>>,
    Extension(Counter(_)): Extension<Counter>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    use axum::http::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH};
    let answer = state.counters().await?;
    let etag = [(ETAG, answer.etag.clone())];
    if headers.get(IF_NONE_MATCH).is_some_and(|tag| tag.as_bytes() == answer.etag.as_bytes()) {
        return Ok((StatusCode::NOT_MODIFIED, etag).into_response());
    }
    Ok((etag, [(CONTENT_TYPE, "application/json")], answer.body).into_response())
}

#[derive(Debug, serde::Deserialize)]
pub struct EventsQuery {
    counter: String,
    after: u64,
}

/// `GET /v1/events?counter=CODE&after=SEQ`: the next events of a counter and their signatures.
pub async fn events(
    Extract(state): Extract<Arc<State>>,
    Extension(Counter(_)): Extension<Counter>,
    axum::extract::Query(q): axum::extract::Query<EventsQuery>,
) -> Result<Json<wire::Events>, ApiError> {
    Ok(Json(state.blocking(move |_, server| Ok(server.events_after(&q.counter, q.after)?)).await?))
}

#[derive(Debug, serde::Deserialize)]
pub struct CardsQuery {
    after: u64,
    /// What one answer may hold at most (see `wire::Cards`); none: everything.
    limit: Option<usize>,
    /// A page of the directory after this card (with `after=0` and a `limit`).
    from: Option<String>,
}

/// `GET /v1/cards?after=POSITION[&limit=N][&from=CARD]`: every card changed after a city-wide
/// position — directory fields and balances — as of the position answered (one range read,
/// however many counters); with a limit, a page of the directory from position 0.
pub async fn cards(
    Extract(state): Extract<Arc<State>>,
    Extension(Counter(code)): Extension<Counter>,
    axum::extract::Query(q): axum::extract::Query<CardsQuery>,
) -> Result<Response, ApiError> {
    // The counter's head from the counters list this instance keeps (patched by its pushes,
    // read again within a quarter second of another instance's): no statement per round.
    let listed = state.counters().await?;
    let head = listed.head_of(&code);
    let json =
        |answer: Vec<u8>| ([(axum::http::header::CONTENT_TYPE, "application/json")], answer).into_response();
    // A round (a counter past its join, asking at most a page) that the tail answers as it
    // is: no connection, no statement.
    if let Some(limit) = q.limit
        && q.after > 0
        && let Some(answer) = state.held_cards(q.after, limit.clamp(1, MAX_PAGE), head.as_ref())
    {
        return Ok(json(answer));
    }
    let answer = state
        .blocking(move |state, server| {
            // A round the tail wanted a read for: this one reads it (the rounds meanwhile answer
            // from what it holds), then answers from it when it covers the counter's
            // position. What counters that do not page ask is answered as it always was.
            if let Some(limit) = q.limit
                && q.after > 0
                && let Some(json) =
                    state.recent_cards(server, q.after, limit.clamp(1, MAX_PAGE), head.as_ref())?
            {
                return Ok(json);
            }
            let mut cards = match q.limit {
                Some(limit) if q.after == 0 => server.cards_page(q.from.as_deref().unwrap_or(""), limit)?,
                limit => server.cards_after(q.after, limit)?,
            };
            // A counter enrolled and never pushed may have no row yet: no head, it pushes from 0.
            cards.head = head;
            serde_json::to_vec(&cards).map_err(|e| ApiError::unavailable(format!("the cards: {e}")))
        })
        .await?;
    Ok(json(answer))
}

/// `GET /v1/volunteer?card=CARD&staff=ID`: a card's registrations (masked) and history at
/// every counter, read on demand by the calling counter's staff; the access is recorded.
pub async fn volunteer(
    Extract(state): Extract<Arc<State>>,
    Extension(Counter(code)): Extension<Counter>,
    axum::extract::Query(q): axum::extract::Query<crate::city::DetailsQuery>,
) -> Result<Json<wire::VolunteerDetails>, ApiError> {
    let (card, staff) = q.parse().map_err(ApiError::bad_request)?;
    let details =
        state.blocking(move |_, server| Ok(server.volunteer_details(&code, &staff, &card)?)).await?;
    Ok(Json(details))
}

/// `GET /v1/conflicts`: every card registered as different people, masked, the caller's own
/// version first.
pub async fn conflicts(
    Extract(state): Extract<Arc<State>>,
    Extension(Counter(code)): Extension<Counter>,
) -> Result<Json<Vec<wire::Conflict>>, ApiError> {
    Ok(Json(state.blocking(move |_, server| Ok(server.conflicts(&code)?)).await?))
}

/// Wants one `POST /v1/events` may name.
const MAX_WANTS: usize = 4096;

/// `POST /v1/events`: the next events of several counters, in the wants' order, as many
/// counters as fit one answer's bytes (always the first).
pub async fn events_wanted(
    Extract(state): Extract<Arc<State>>,
    Extension(Counter(_)): Extension<Counter>,
    body: Bytes,
) -> Result<Json<Vec<wire::CounterEvents>>, ApiError> {
    let wanted: wire::EventsWanted = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("not a list of wanted events: {e}")))?;
    if wanted.wants.len() > MAX_WANTS {
        return Err(ApiError::bad_request(format!("at most {MAX_WANTS} counters a request")));
    }
    let answered = state.blocking(move |_, server| Ok(server.events_wanted(&wanted.wants)?)).await?;
    Ok(Json(answered))
}

/// `POST /v1/grant`: hours of a card's city pool for the calling counter, in its own name only.
pub async fn grant(
    Extract(state): Extract<Arc<State>>,
    Extension(Counter(code)): Extension<Counter>,
    Extension(Unchecked(nonce)): Extension<Unchecked>,
    body: Bytes,
) -> Result<Json<wire::Granted>, ApiError> {
    use crate::city::GrantError;
    let request: wire::GrantRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("not a grant request: {e}")))?;
    if !request.id.starts_with(&format!("{code}:")) || request.id.len() > 200 {
        return Err(ApiError::bad_request(format!("a grant of counter {code} has an id starting {code}:")));
    }
    let card = crate::domain::CardNo::parse(&request.card)
        .map_err(|e| ApiError::bad_request(format!("card: {e}")))?;
    if request.minutes == 0 || request.minutes > u64::from(u32::MAX) {
        return Err(ApiError::bad_request("a grant is of 1 to 4,294,967,295 minutes or points".into()));
    }
    // Kept as sent: only the asking counter's own key makes it hold, and only that counter
    // ever checks it (a signature that does not hold makes a grant it will not heal).
    if request.asked.as_ref().is_some_and(|s| s.len() != 64) {
        return Err(ApiError::bad_request("a grant request's signature is 64 bytes".into()));
    }
    let minutes = state
        .in_place(move |_, server| {
            match server.grant_with_nonce(
                request.unit,
                &code,
                &request.id,
                &card,
                request.minutes,
                Some(&nonce),
                request.asked.as_deref(),
            ) {
                Ok(m) => Ok(m),
                Err(GrantError::Nonce(Nonce::Revoked)) => {
                    Err(ApiError::revoked(format!("counter {code}'s key was revoked")))
                }
                Err(GrantError::Nonce(_)) => {
                    Err(ApiError::replayed("this request was made before (its nonce was seen)".into()))
                }
                Err(GrantError::Short { card, pool, asked }) => Err(ApiError::short(
                    pool,
                    format!(
                        "the city pool of card {card} holds {pool} {}, less than the {asked} asked",
                        request.unit.as_str()
                    ),
                )),
                Err(e @ GrantError::InConflict { own, .. }) => Err(ApiError::in_conflict(own, e.to_string())),
                Err(e @ GrantError::Mismatch(_)) => Err(ApiError::refused(e.to_string())),
                Err(GrantError::City(e)) => Err(e.into()),
                Err(GrantError::Service(e)) => Err(ApiError::unavailable(e.to_string())),
            }
        })
        .await?;
    Ok(Json(wire::Granted { minutes }))
}

/// `GET /v1/grants`: grants made to the calling counter that no pushed entry journals yet.
pub async fn grants(
    Extract(state): Extract<Arc<State>>,
    Extension(Counter(code)): Extension<Counter>,
) -> Result<Json<Vec<crate::city::ServerGrant>>, ApiError> {
    Ok(Json(state.blocking(move |_, server| Ok(server.unjournalled_grants(&code)?)).await?))
}

#[derive(Debug, serde::Deserialize)]
pub struct DayQuery {
    card: String,
    day: String,
}

#[derive(Debug, serde::Deserialize)]
pub struct CardQuery {
    card: String,
}

/// `GET /v1/points/pool?card=C`: the points the card's city pool holds (what the asking
/// counter may be granted; the pool's hours every counter reads in the directory already).
pub async fn points_pool(
    Extract(state): Extract<Arc<State>>,
    Extension(Counter(_)): Extension<Counter>,
    axum::extract::Query(q): axum::extract::Query<CardQuery>,
) -> Result<Json<wire::PointsPool>, ApiError> {
    let card =
        crate::domain::CardNo::parse(&q.card).map_err(|e| ApiError::bad_request(format!("card: {e}")))?;
    let points = state.blocking(move |_, server| Ok(server.points_pool(&card)?)).await?;
    Ok(Json(wire::PointsPool { points }))
}

/// `GET /v1/day?card=C&day=D`: minutes the card's service day holds at every other counter.
pub async fn day(
    Extract(state): Extract<Arc<State>>,
    Extension(Counter(code)): Extension<Counter>,
    axum::extract::Query(q): axum::extract::Query<DayQuery>,
) -> Result<Json<wire::Granted>, ApiError> {
    let day = chrono::NaiveDate::parse_from_str(&q.day, "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request(format!("day {:?} is not a date like 2026-12-05", q.day)))?;
    let minutes = state.blocking(move |_, server| Ok(server.day_elsewhere(&q.card, day, &code)?)).await?;
    Ok(Json(wire::Granted { minutes: u64::try_from(minutes).unwrap_or(0) }))
}

/// `POST /v1/certificates`: a volunteer's service certificate across the city, issued at the
/// calling counter's request and recorded (see `city::certificate`).
pub async fn issue_certificate(
    Extract(state): Extract<Arc<State>>,
    Extension(Counter(code)): Extension<Counter>,
    body: Bytes,
) -> Result<Json<wire::CityCertificate>, ApiError> {
    let request: wire::CertificateRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("not a certificate request: {e}")))?;
    let card = crate::domain::CardNo::parse(&request.card)
        .map_err(|e| ApiError::bad_request(format!("card: {e}")))?;
    let day = |s: &str| {
        crate::domain::Day::parse(s)
            .map_err(|_| ApiError::bad_request(format!("{s:?} is not a date like 2026-12-05")))
    };
    let (from, to) = (day(&request.from)?, day(&request.to)?);
    if from > to {
        return Err(ApiError::bad_request(format!("{from} is after {to}")));
    }
    let issued = state
        .blocking(move |_, server| {
            server.issue_certificate(&code, &card, from, to).map_err(certificate_refusal)
        })
        .await?;
    Ok(Json(issued))
}

#[derive(serde::Deserialize)]
pub struct CertificateQuery {
    code: String,
}

/// `GET /v1/certificates?code=CODE`: whether the city issued that certificate, and what it
/// states, computed again from the rows it was issued from.
pub async fn verify_certificate(
    Extract(state): Extract<Arc<State>>,
    Extension(Counter(_)): Extension<Counter>,
    axum::extract::Query(q): axum::extract::Query<CertificateQuery>,
) -> Result<Json<wire::CityCertificate>, ApiError> {
    let verified = state
        .blocking(move |_, server| server.verify_certificate(&q.code).map_err(certificate_refusal))
        .await?;
    Ok(Json(verified))
}

fn certificate_refusal(e: crate::city::CityCertificateError) -> ApiError {
    match e {
        crate::city::CityCertificateError::City(e) => e.into(),
        other => ApiError::refused(other.to_string()),
    }
}
