//! `hourbank city …`: the city server the counters share (PostgreSQL or CockroachDB).

use clap::Subcommand;

use super::{CliResult, Failure, exit};
use crate::city::{CityError, Server};

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
