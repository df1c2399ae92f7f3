//! The city: where counters meet (ARCHITECTURE.md §8). Each counter stays a whole bank on its own
//! store; this module talks to the city's PostgreSQL (or CockroachDB: the SQL keeps to what
//! both run) and to the bank, and to nothing below it.
//!
//! So far: setting the server up (`hourbank city init`: the schema in `schema.sql`, the roles
//! a counter and a city report use), pushing a counter's journal and pulling everyone else's
//! (`hourbank sync`).

mod certificate;
mod check;
mod client;
mod details;
mod directory;
mod escrow;
mod keys;
mod points_pool;
mod pull;
mod push;
mod report;
mod restore;
mod server;
pub mod service;
mod spend;
mod spend_points;
mod sync;
mod upgrade;
pub mod wire;

pub use certificate::{CityCertificateError, as_certificate, is_city_certificate};
pub use check::CityCheck;
pub use client::{CityClient, ClientError, JoinProgress, is_service_url};
pub use details::DetailsQuery;
pub use escrow::{GrantError, ServerGrant, Settled, grant_id};
pub use keys::{Enrolled, EnrolledKey, Nonce};
pub use pull::{PullError, Pulled};
pub use push::{BATCH, PushError, Pushed};
pub use report::{CityFigures, GroupMinutes, Period};
pub use restore::{RestoreFromCityError, restore_from_city};
pub use server::{CityError, Server};
pub use spend::{CityLink, Reach, SpendError, execute, preview};
pub use spend_points::redeem_points;
pub use sync::{
    Background, ServiceSync, SyncError, SyncStatus, Synced, sync_url, sync_url_telling, with_retries,
};

/// The server's schema: every statement idempotent.
pub const SCHEMA: &str = include_str!("schema.sql");

/// The tables [`SCHEMA`] creates, in its order: what `city init` says it made.
pub fn tables() -> Vec<&'static str> {
    SCHEMA
        .lines()
        .filter_map(|l| l.trim().strip_prefix("CREATE TABLE IF NOT EXISTS "))
        .filter_map(|rest| rest.split_whitespace().next())
        .collect()
}

/// The role counters' database logins had before the service: it keeps no rights (`city init`
/// revokes them), so a login left on an old counter reads and writes nothing.
pub const COUNTER_ROLE: &str = "hourbank_counter";
/// The role the city service's login is granted: adds events, grants and their derived rows,
/// moves heads and pools; never updates or deletes an event, a grant or a key.
pub const SERVICE_ROLE: &str = "hourbank_service";
/// The role city reports connect as: reads only.
pub const READER_ROLE: &str = "hourbank_reader";
