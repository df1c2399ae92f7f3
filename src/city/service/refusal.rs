//! The service's one error type: a refusal with its HTTP status, mapped to a response in one
//! place (and logged there).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::city::wire::{Head, Refusal, refusal};
use crate::city::{CityError, PushError};

/// A refusal with its HTTP status.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    refusal: Refusal,
}

impl ApiError {
    fn new(status: StatusCode, code: &str, message: String) -> ApiError {
        ApiError { status, refusal: Refusal { code: code.into(), message, head: None, pool: None } }
    }
    pub fn unauthenticated(message: String) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, refusal::UNAUTHENTICATED, message)
    }
    pub fn revoked(message: String) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, refusal::REVOKED, message)
    }
    pub fn replayed(message: String) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, refusal::REPLAYED, message)
    }
    pub fn bad_request(message: String) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, refusal::BAD_REQUEST, message)
    }
    pub fn refused(message: String) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, refusal::REFUSED, message)
    }
    pub fn unavailable(message: String) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, refusal::UNAVAILABLE, message)
    }
    /// The card's city pool holds less than a grant asked: how much it holds goes with it.
    pub(super) fn short(pool: u64, message: String) -> ApiError {
        let mut e = ApiError::new(StatusCode::CONFLICT, refusal::SHORT, message);
        e.refusal.pool = Some(pool);
        e
    }
    /// The card is in conflict: what the asking counter may take back goes with it.
    pub(super) fn in_conflict(own: u64, message: String) -> ApiError {
        let mut e = ApiError::new(StatusCode::CONFLICT, refusal::IN_CONFLICT, message);
        e.refusal.pool = Some(own);
        e
    }
    pub(super) fn stale(head: u64, hash: Vec<u8>, message: String) -> ApiError {
        let mut e = ApiError::new(StatusCode::CONFLICT, refusal::STALE, message);
        e.refusal.head = Some(Head { seq: head, hash });
        e
    }
}

impl From<CityError> for ApiError {
    fn from(e: CityError) -> Self {
        ApiError::unavailable(e.to_string())
    }
}

impl From<crate::bank::BankError> for ApiError {
    fn from(e: crate::bank::BankError) -> Self {
        ApiError::unavailable(format!("the verifier: {e}"))
    }
}

impl From<PushError> for ApiError {
    fn from(e: PushError) -> Self {
        match e {
            PushError::City(c) => c.into(),
            other @ PushError::UnknownGrant { .. } => ApiError::refused(other.to_string()),
            other => ApiError::unavailable(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        super::log(format_args!(
            "refused {} {}: {}",
            self.status.as_u16(),
            self.refusal.code,
            self.refusal.message
        ));
        (self.status, Json(self.refusal)).into_response()
    }
}
