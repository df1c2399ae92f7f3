//! Every request but the health check is signed by a counter's enrolled key: the signature
//! covers method, path, time, a nonce and the body's hash (`wire::request_message`). Signed
//! requests rather than mutual TLS: the proof travels with the request, so a TLS-terminating
//! proxy in front of the service changes nothing, the key is the same one that signs the
//! counter's events, and no certificate authority has to be run for counters. A request outside
//! the time window, or whose nonce was seen, is refused (the nonces live in the database, so
//! every instance knows them).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State as Extract};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::refusal::ApiError;
use super::{MAX_BODY, State};
use crate::city::wire::{self, HEADER_COUNTER, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIME, TIME_WINDOW_MS};

/// The counter a request was signed by (in the request's extensions after `authenticate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter(pub String);

/// A grant request's nonce, not checked yet: the grant's own statement records it (one round
/// trip and one commit for the whole request), and takes nothing if it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unchecked(pub String);

/// The request whose nonce its handler checks, in the same trip to the database as its own
/// work: a grant (its statement records the nonce). Every other's is recorded by the
/// instance's `NonceBook`, with the other requests waiting.
const GRANT_PATH: &str = "/v1/grant";

fn header<'a>(request: &'a axum::http::request::Parts, name: &str) -> Result<&'a str, ApiError> {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::unauthenticated(format!("the request has no {name} header")))
}

pub async fn authenticate(Extract(state): Extract<Arc<State>>, request: Request, next: Next) -> Response {
    match verified(&state, request).await {
        Ok(request) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

async fn verified(state: &Arc<State>, request: Request) -> Result<Request, ApiError> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| ApiError::bad_request(format!("the request is larger than {MAX_BODY} bytes")))?;
    let code = header(&parts, HEADER_COUNTER)?.to_string();
    let time: i64 = header(&parts, HEADER_TIME)?
        .parse()
        .map_err(|_| ApiError::unauthenticated(format!("{HEADER_TIME} is not a time")))?;
    let nonce = header(&parts, HEADER_NONCE)?.to_string();
    if nonce.len() < 16 || nonce.len() > 64 || !nonce.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::unauthenticated(format!("{HEADER_NONCE} must be 16 to 64 letters or digits")));
    }
    let signature = data_encoding::BASE64
        .decode(header(&parts, HEADER_SIGNATURE)?.as_bytes())
        .map_err(|_| ApiError::unauthenticated(format!("{HEADER_SIGNATURE} is not base64")))?;
    let now = chrono::Utc::now().timestamp_millis();
    if (now - time).abs() > TIME_WINDOW_MS {
        return Err(ApiError::replayed(format!(
            "the request's time is {} s from the service's clock (at most {} s): check the counter's clock",
            (now - time) / 1000,
            TIME_WINDOW_MS / 1000
        )));
    }
    let path = parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_string(), |p| p.to_string());
    let message = wire::request_message(parts.method.as_str(), &path, time, &nonce, &bytes);
    // The key from the service's cache (read once per counter), the signature checked here;
    // the database is asked only for the nonce and the revocation.
    let key = state.vouched_key(&code).await?;
    if !wire::verify(&key.key, &message, &signature) {
        return Err(ApiError::unauthenticated(format!(
            "the request's signature is not counter {}'s enrolled key's",
            crate::domain::printable(&code)
        )));
    }
    let deferred = parts.method == axum::http::Method::POST && parts.uri.path() == GRANT_PATH;
    if !deferred {
        state.nonces.check(&code, &nonce).await?;
    }
    let unchecked = Unchecked(nonce);
    let mut request = Request::from_parts(parts, Body::from(bytes));
    request.extensions_mut().insert(Counter(code));
    request.extensions_mut().insert(unchecked);
    Ok(request)
}
