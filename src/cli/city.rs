//! `hourbank city …`: the city server the counters share (PostgreSQL or CockroachDB).

use clap::Subcommand;

use super::{CliResult, Failure, exit};
use crate::city::{CityError, PullError, PushError, Server, SyncError};
use crate::domain::privacy::{mask_id_number, mask_phone};

/// `hourbank sync`: push this counter's new events to the city server, then pull every other
/// counter's.
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

impl From<PullError> for Failure {
    fn from(e: PullError) -> Self {
        match e {
            PullError::City(c) => c.into(),
            PullError::Bank(b) => b.into(),
        }
    }
}

impl From<SyncError> for Failure {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Connect(c) => c.into(),
            SyncError::Push(p) => p.into(),
            SyncError::Pull(p) => p.into(),
        }
    }
}

/// Tries a sync this many times while what fails may pass (about 3.5 s of waiting in all).
const SYNC_TRIES: u32 = 3;

pub fn sync(store: Option<std::path::PathBuf>, a: SyncArgs) -> CliResult {
    let bank = super::open_bank(store)?;
    let crate::city::Synced { pushed, pulled } = crate::city::sync_url(&city_url(a.url)?, &bank, SYNC_TRIES)?;
    say!(
        "pushed {} events of {} (server head #{} → #{})",
        pushed.to - pushed.from,
        pushed.code,
        pushed.from,
        pushed.to
    );
    let from: Vec<String> =
        pulled.counters.iter().map(|(code, from, to)| format!("{code} #{} → #{to}", from)).collect();
    say!(
        "pulled {} events of {} other counter(s){}",
        pulled.events(),
        pulled.counters.len(),
        if from.is_empty() { String::new() } else { format!(" ({})", from.join(", ")) }
    );
    if !pulled.stopped.is_empty() {
        let why: Vec<String> = pulled.stopped.iter().map(ToString::to_string).collect();
        return Err(Failure { code: exit::REFUSED, message: why.join("\n") });
    }
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
    /// Cards that two counters registered with different details (as of the last sync)
    Conflicts {
        /// Print the list as JSON
        #[arg(long)]
        json: bool,
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

pub fn run(store: Option<std::path::PathBuf>, cmd: CityCmd) -> CliResult {
    match cmd {
        CityCmd::Conflicts { json } => conflicts(store, json)?,
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

/// Every card registered differently at two counters, each version with what differs
/// (personal data masked as on every list: the admin compares, then corrects the registration
/// at the counter that has it wrong).
fn conflicts(store: Option<std::path::PathBuf>, json: bool) -> CliResult {
    let bank = super::open_bank(store)?;
    let list = bank.registration_conflicts()?;
    if json {
        let items: Vec<serde_json::Value> = list
            .iter()
            .map(|c| {
                let versions: Vec<serde_json::Value> = c
                    .versions
                    .iter()
                    .map(|(code, v)| {
                        serde_json::json!({
                            "counter": code,
                            "name": v.name.as_str(),
                            "phone": v.phone.as_ref().map(|p| mask_phone(p.as_str())),
                            "id_number": v.id_number.as_ref().map(|n| mask_id_number(n.as_str())),
                            "community": v.community,
                            "registered_on": v.registered_on.to_string(),
                        })
                    })
                    .collect();
                serde_json::json!({ "card_no": c.card.as_str(), "differs": c.differs(), "versions": versions })
            })
            .collect();
        super::output::json(&serde_json::Value::Array(items));
        return Ok(());
    }
    if list.is_empty() {
        say!("no conflicting registrations");
    }
    for c in &list {
        say!("{}: {} differ", c.card, c.differs().join(", "));
        for (code, v) in &c.versions {
            say!(
                "  {:<16} {} | {} | {} | {} | {}",
                if code.is_empty() { "(here)" } else { code.as_str() },
                v.name,
                v.phone.as_ref().map(|p| mask_phone(p.as_str())).unwrap_or_default(),
                v.id_number.as_ref().map(|n| mask_id_number(n.as_str())).unwrap_or_default(),
                v.community,
                v.registered_on
            );
        }
    }
    Ok(())
}
