//! `hourbank city …`: the city server the counters share (PostgreSQL or CockroachDB).

use clap::Subcommand;

use super::{CliResult, Failure, exit};
use crate::city::{CityError, PushError, Server};

/// `hourbank sync`: push this counter's new events to the city server.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// The city server [default: $HOURBANK_CITY_URL, else `[sync] url` in the settings file]
    #[arg(long, env = "HOURBANK_CITY_URL")]
    url: Option<String>,
}

/// `--url` or `$HOURBANK_CITY_URL`, else the settings file's `[sync] url`.
fn city_url(given: Option<String>) -> Result<String, Failure> {
    if let Some(url) = given {
        return Ok(url);
    }
    let config = match crate::tui::config::Config::default_path() {
        Some(path) => {
            crate::tui::config::Config::load(&path).map_err(|e| Failure::bad_input(e.to_string()))?
        }
        None => crate::tui::config::Config::default(),
    };
    config.sync.url.ok_or_else(|| {
        Failure::bad_input(
            "no city server: give --url, set HOURBANK_CITY_URL, or put url under [sync] in the settings file",
        )
    })
}

impl From<PushError> for Failure {
    fn from(e: PushError) -> Self {
        match e {
            PushError::City(c) => c.into(),
            PushError::Bank(b) => b.into(),
            PushError::NoCode | PushError::Fork { .. } => {
                Failure { code: exit::REFUSED, message: e.to_string() }
            }
            PushError::Damaged(_) => Failure { code: exit::STORE_UNAVAILABLE, message: e.to_string() },
        }
    }
}

pub fn sync(store: Option<std::path::PathBuf>, a: SyncArgs) -> CliResult {
    let bank = super::open_bank(store)?;
    let mut server = Server::connect(&city_url(a.url)?)?;
    let pushed = server.push(&bank)?;
    say!(
        "pushed {} events of {} (server head #{} → #{})",
        pushed.to - pushed.from,
        pushed.code,
        pushed.from,
        pushed.to
    );
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum CityCmd {
    /// Create the city server's tables and roles (idempotent: twice changes nothing)
    Init {
        /// The server, e.g. postgresql://admin@city-db/hourbank [default: $HOURBANK_CITY_URL]
        #[arg(long, env = "HOURBANK_CITY_URL")]
        url: String,
    },
}

impl From<CityError> for Failure {
    fn from(e: CityError) -> Self {
        let code = match e {
            CityError::Url(_) => exit::BAD_INPUT,
            CityError::Refused { .. } => exit::REFUSED,
            CityError::Connect(_) | CityError::Failed { .. } => exit::STORE_UNAVAILABLE,
        };
        Failure { code, message: e.to_string() }
    }
}

pub fn run(cmd: CityCmd) -> CliResult {
    match cmd {
        CityCmd::Init { url } => {
            let mut server = Server::connect(&url)?;
            server.init()?;
            say!(
                "city server ready: tables hb_counters, hb_events, hb_entries; roles {} and {}",
                crate::city::COUNTER_ROLE,
                crate::city::READER_ROLE
            );
        }
    }
    Ok(())
}
