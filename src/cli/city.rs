//! `hourbank city …`: the city server the counters share (PostgreSQL or CockroachDB).

use std::io::IsTerminal;

use clap::Subcommand;

use super::settings::{city_url, city_url_if_any, sync_config};
use super::{CliResult, Failure, exit};
use crate::city::{CityError, PullError, PushError, Server, SyncError};
use crate::domain::CardNo;

/// `hourbank sync`: push this counter's new events to the city server, then pull every other
/// counter's.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// The city server [default: $HOURBANK_CITY_URL, else `[sync] url` in the settings file]
    #[arg(long, env = "HOURBANK_CITY_URL")]
    url: Option<String>,
}

impl From<PushError> for Failure {
    fn from(e: PushError) -> Self {
        match e {
            PushError::City(c) => c.into(),
            PushError::Service(c) => c.into(),
            PushError::Bank(b) => b.into(),
            PushError::NoCode | PushError::Fork { .. } | PushError::UnknownGrant { .. } => {
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
            PullError::Service(c) => c.into(),
            PullError::Bank(b) => b.into(),
        }
    }
}

impl From<SyncError> for Failure {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Connect(c) => c.into(),
            SyncError::Service(c) => c.into(),
            SyncError::Push(p) => p.into(),
            SyncError::Pull(p) => p.into(),
        }
    }
}

/// Tries a sync this many times while what fails may pass (about 3.5 s of waiting in all).
const SYNC_TRIES: u32 = 3;

pub fn sync(store: Option<std::path::PathBuf>, a: SyncArgs) -> CliResult {
    let bank = super::open_bank(store)?;
    // A join (the city's whole directory, a page at a time) shows a bar on a terminal.
    let bar = indicatif::ProgressBar::with_draw_target(
        None,
        match std::io::stderr().is_terminal() {
            true => indicatif::ProgressDrawTarget::stderr(),
            false => indicatif::ProgressDrawTarget::hidden(),
        },
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(super::lang::current().text().sync_joining_bar)
    {
        bar.set_style(style);
    }
    let shown = bar.clone();
    let progress = move |p: crate::city::JoinProgress| {
        if let Some(total) = p.total {
            shown.set_length(total);
        }
        shown.set_position(p.taken);
    };
    let synced =
        crate::city::sync_url_telling(&city_url(a.url)?, &bank, SYNC_TRIES, sync_config()?.float(), progress);
    bar.finish_and_clear();
    let synced = synced?;
    let pushed = &synced.pushed;
    say!(
        "pushed {} events of {} (server head #{} → #{})",
        pushed.to - pushed.from,
        pushed.code,
        pushed.from,
        pushed.to
    );
    let taken = synced.directory;
    say!(
        "took {} card(s) of the city's directory (this counter's copy is as of city position {})",
        taken.cards,
        taken.position
    );
    if let Some((counters, events)) = taken.dropped {
        say!(
            "dropped this store's copy of {counters} other counter(s)' journals ({events} events, journalled): the city's directory replaces it"
        );
    }
    let refused = synced.refusals();
    if !refused.is_empty() {
        return Err(Failure { code: exit::REFUSED, message: refused.join("\n") });
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
    /// Re-verify the whole server: every counter's chain, replayed through the ledger rules,
    /// and the report rows against the balances (exit 1 naming the first problem)
    Check {
        /// The server [default: $HOURBANK_CITY_URL, else `[sync] url` in the settings file]
        #[arg(long, env = "HOURBANK_CITY_URL")]
        url: Option<String>,
        /// The city's public key, `ed25519:…`: counters' enrollments are checked against it
        /// [default: $HOURBANK_CITY_KEY]
        #[arg(long, env = "HOURBANK_CITY_KEY")]
        city_key: String,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// City reports from the server: the local reports' figures over every counter, by counter
    /// and by community (cards masked; names are not on the server's report rows)
    Report {
        #[command(subcommand)]
        what: CityReport,
        /// The server [default: $HOURBANK_CITY_URL, else `[sync] url` in the settings file]
        #[arg(long, env = "HOURBANK_CITY_URL", global = true)]
        url: Option<String>,
        /// Write to this file (the format follows its extension unless --format says otherwise)
        #[arg(long, global = true)]
        out: Option<std::path::PathBuf>,
        /// File format (default: from the --out extension, else CSV)
        #[arg(long, global = true, value_enum)]
        format: Option<super::report::Format>,
    },
    /// Run the city service: counters push, pull and take grants through it over HTTPS,
    /// signed by their keys; it is the only holder of the database login that writes
    Serve {
        /// The address to listen on, e.g. 0.0.0.0:7443 (plain HTTP only on a loopback address)
        #[arg(long, default_value = "127.0.0.1:7443")]
        listen: std::net::SocketAddr,
        /// The database, with the service's own login [default: $HOURBANK_CITY_DB]
        #[arg(long, env = "HOURBANK_CITY_DB")]
        db: String,
        /// The city's public key, `ed25519:…` as `city keygen` printed it: a counter's key
        /// counts only where it signed the enrollment [default: $HOURBANK_CITY_KEY]
        #[arg(long, env = "HOURBANK_CITY_KEY")]
        city_key: String,
        /// The TLS certificate chain (PEM)
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<std::path::PathBuf>,
        /// The TLS private key (PEM)
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<std::path::PathBuf>,
        /// Where to cache the chains it verified [default: a temporary directory]
        #[arg(long)]
        cache: Option<std::path::PathBuf>,
    },
    /// Enroll a counter's public key (from `hourbank code show` at that counter), with the
    /// city admin's database login
    Enroll {
        /// The counter's code, e.g. JH-LL-01
        code: String,
        /// Its public key, `ed25519:…`
        key: String,
        /// The database [default: $HOURBANK_CITY_DB]
        #[arg(long, env = "HOURBANK_CITY_DB")]
        db: String,
        /// The city's signing key file (`city keygen`), which signs the enrollment
        /// [default: $HOURBANK_CITY_SIGNING_KEY]
        #[arg(long, env = "HOURBANK_CITY_SIGNING_KEY")]
        city_signing_key: std::path::PathBuf,
    },
    /// Make the city's key: a signing key file (0400) kept by the city's admins, off the
    /// database's machine, and its public half, which the service and `city check` are given
    /// (an existing file is kept: its public half is printed)
    Keygen {
        /// Where to write the key file
        file: std::path::PathBuf,
    },
    /// Revoke a lost counter's key: the service refuses it from now on; its past events stay
    Revoke {
        /// The counter's code
        code: String,
        /// The database [default: $HOURBANK_CITY_DB]
        #[arg(long, env = "HOURBANK_CITY_DB")]
        db: String,
    },
    /// A volunteer registered elsewhere, beyond the directory: every counter's registration of
    /// the card (phone and ID number masked) and its entries at every counter — online only,
    /// and recorded at the city service under the staff id given
    Volunteer {
        /// The card number
        card: String,
        /// The staff member asking (recorded at the service with this counter's code)
        #[arg(long)]
        staff: String,
        /// The city service [default: $HOURBANK_CITY_URL, else `[sync] url` in the settings file]
        #[arg(long, env = "HOURBANK_CITY_URL")]
        url: Option<String>,
        /// Print it as JSON
        #[arg(long)]
        json: bool,
    },
    /// Cards that two counters registered as different people (asked of the city service;
    /// without one, as this counter last synced)
    Conflicts {
        /// The city service [default: $HOURBANK_CITY_URL, else `[sync] url` in the settings file]
        #[arg(long, env = "HOURBANK_CITY_URL")]
        url: Option<String>,
        /// Print the list as JSON
        #[arg(long)]
        json: bool,
    },
    /// Settle a card registered as different people, for this counter's side (admins; online:
    /// the other counter's registration is read from the city service). Either this counter's
    /// record becomes the other counter's person (--take-other), or this counter's person moves
    /// to a new card with every hour recorded for them here (--new-card). The city clears the
    /// conflict at this counter's next sync.
    #[command(group(clap::ArgGroup::new("how").required(true).args(["take_other", "new_card"])))]
    Settle {
        /// The card in conflict
        card: String,
        /// This counter had the person wrong: take the other counter's registration
        #[arg(long)]
        take_other: bool,
        /// Move this counter's person to this new card, with their hours
        #[arg(long)]
        new_card: Option<String>,
        /// The city service [default: $HOURBANK_CITY_URL, else `[sync] url` in the settings file]
        #[arg(long, env = "HOURBANK_CITY_URL")]
        url: Option<String>,
    },
}

impl From<crate::city::ClientError> for Failure {
    fn from(e: crate::city::ClientError) -> Self {
        use crate::city::ClientError;
        let code = match &e {
            ClientError::Url(_) | ClientError::DatabaseUrl(_) => exit::BAD_INPUT,
            ClientError::NoKey => exit::REFUSED,
            ClientError::Refused(r) if r.code == crate::city::wire::refusal::UNAVAILABLE => {
                exit::STORE_UNAVAILABLE
            }
            ClientError::Refused(_) => exit::REFUSED,
            ClientError::Connect(_) => exit::STORE_UNAVAILABLE,
            ClientError::Bank(_) => exit::STORE_UNAVAILABLE,
        };
        let message = match (&e, super::lang::words()) {
            (ClientError::Connect(_), Some(t)) => crate::i18n::fill(t.err_city_unreachable, &[&e]),
            (ClientError::Refused(r), Some(t)) => crate::i18n::fill(t.err_city_refused, &[&r.message]),
            _ => e.to_string(),
        };
        Failure { code, message }
    }
}

impl From<CityError> for Failure {
    fn from(e: CityError) -> Self {
        let code = match e {
            CityError::Url(_) => exit::BAD_INPUT,
            CityError::Refused { .. } => exit::REFUSED,
            CityError::Connect(_) | CityError::Failed { .. } => exit::STORE_UNAVAILABLE,
        };
        let message = match (&e, super::lang::words()) {
            (CityError::Connect(_), Some(t)) => crate::i18n::fill(t.err_city_unreachable, &[&e]),
            _ => e.to_string(),
        };
        Failure { code, message }
    }
}

pub fn run(store: Option<std::path::PathBuf>, cmd: CityCmd) -> CliResult {
    match cmd {
        CityCmd::Conflicts { url, json } => super::city_people::conflicts(store, url, json)?,
        CityCmd::Settle { card, take_other, new_card, url } => {
            let how = match new_card {
                Some(new_card) if !take_other => Some(CardNo::parse(&new_card)?),
                _ => None,
            };
            super::city_people::settle(store, &card, how, city_url(url)?)?
        }
        CityCmd::Volunteer { card, staff, url, json } => {
            super::city_people::show(store, &card, &staff, city_url(url)?, json)?
        }
        CityCmd::Check { url, city_key, json } => check(url, &city_key, json)?,
        CityCmd::Report { what, url, out, format } => city_report(store, what, url, out, format)?,
        CityCmd::Serve { listen, db, city_key, tls_cert, tls_key, cache } => {
            super::city_admin::serve(listen, db, &city_key, tls_cert.zip(tls_key), cache)?
        }
        CityCmd::Enroll { code, key, db, city_signing_key } => {
            super::city_admin::enroll(&code, &key, &db, &city_signing_key)?
        }
        CityCmd::Revoke { code, db } => super::city_admin::revoke(&code, &db)?,
        CityCmd::Keygen { file } => super::city_admin::keygen(&file)?,
        CityCmd::Init { url } => {
            let mut server = Server::connect(&url)?;
            server.init()?;
            say!(
                "city server ready: tables {}; roles {} and {}; the service's role {}",
                crate::city::tables().join(", "),
                crate::city::COUNTER_ROLE,
                crate::city::READER_ROLE,
                crate::city::SERVICE_ROLE
            );
        }
    }
    Ok(())
}

fn check(url: Option<String>, city_key: &str, json: bool) -> CliResult {
    let city_key = super::city_admin::public_key(city_key, "the city's key")?;
    let mut server = Server::connect(&city_url(url)?)?.vouched_by(city_key);
    let dir = tempfile::Builder::new()
        .prefix("hourbank-city-check-")
        .tempdir()
        .map_err(|e| Failure { code: exit::STORE_UNAVAILABLE, message: format!("a scratch store: {e}") })?;
    let scratch = crate::bank::Bank::scratch(&dir.path().join("store"))?;
    let report = server.check(&scratch)?;
    if json {
        super::output::json(&serde_json::to_value(&report).unwrap_or_default());
    } else if report.ok {
        say!(
            "city check: {} counters, {} events: every chain, ledger rule and report row agrees",
            report.counters,
            report.events
        );
    } else {
        for p in &report.problems {
            say!("{p}");
        }
    }
    match report.problems.first() {
        None => Ok(()),
        Some(first) => Err(Failure { code: exit::REFUSED, message: format!("city check failed: {first}") }),
    }
}

#[derive(Debug, Subcommand)]
pub enum CityReport {
    /// The month over every counter: the local monthly report's sheets, and one by counter
    Monthly {
        /// The month, e.g. 2026-11 [default: this month]
        #[arg(long)]
        month: Option<String>,
    },
    /// One day over every counter: deposits and redemptions by counter, community, activity
    Daily {
        /// The day [default: today]
        #[arg(long)]
        date: Option<String>,
    },
}

fn city_report(
    store: Option<std::path::PathBuf>,
    what: CityReport,
    url: Option<String>,
    out: Option<std::path::PathBuf>,
    format: Option<super::report::Format>,
) -> CliResult {
    use crate::report::sheet::{Cell, Sheet, col, hours_col};
    use crate::report::{Month, MonthlyReport, monthly};
    let (out, format) = super::report::destination(out.as_deref(), format)?;
    let mut server = Server::connect(&city_url(url)?)?;
    let today = crate::bank::local_day(crate::domain::Timestamp::from_datetime(chrono::Utc::now()));
    let first_of = |m: Month| chrono::NaiveDate::from_ymd_opt(m.year, m.month, 1).unwrap_or_default();
    let (title, period, months) = match &what {
        CityReport::Monthly { month } => {
            let month = match month {
                Some(m) => Month::parse(m)
                    .ok_or_else(|| Failure::bad_input(format!("month {m:?} must look like 2026-11")))?,
                None => Month::of(today),
            };
            let until = first_of(Month {
                year: month.year + i32::from(month.month == 12),
                month: month.month % 12 + 1,
            });
            (month.to_string(), crate::city::Period { from: first_of(month), until }, Some(month))
        }
        CityReport::Daily { date } => {
            let day = date.as_deref().map(crate::domain::Day::parse).transpose()?.unwrap_or(today);
            let from = day.date();
            (day.to_string(), crate::city::Period { from, until: from + chrono::Duration::days(1) }, None)
        }
    };
    let f = server.figures(period, monthly::TOP as i64)?;
    // The report rows carry no names (the reports' login reads no personal data): the top
    // volunteers are named from this counter's copy of the city's directory, when it can be
    // read here (blank otherwise, as before).
    let bank = super::open_bank(store).ok();
    let name_of = |card: &str| -> String {
        let Some(bank) = bank.as_ref() else { return String::new() };
        let Ok(card) = CardNo::parse(card) else { return String::new() };
        match bank.find_card(&card) {
            Ok(v) => v.volunteer.name.to_string(),
            Err(_) => bank.city_card(&card).ok().flatten().map(|d| d.name.to_string()).unwrap_or_default(),
        }
    };
    let flows = |list: &[crate::city::GroupMinutes]| {
        list.iter()
            .map(|x| monthly::BookedMinutes { deposited: x.deposited, redeemed: x.redeemed })
            .zip(list.iter().map(|x| x.name.clone()))
            .map(|(flow, name)| (name, flow))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let by_counter = Sheet::new(
        format!("{title} 按柜台"),
        &[col("柜台", 14.0), hours_col("存入小时", 12.0), hours_col("兑换小时", 12.0)],
        f.by_counter
            .iter()
            .map(|x| vec![Cell::text(&x.name), Cell::Hours(x.deposited), Cell::Hours(x.redeemed)])
            .collect(),
        true,
    );
    let mut sheets = match months {
        Some(month) => {
            let months = month.last(monthly::HISTORY_MONTHS);
            let starts: Vec<chrono::NaiveDate> = months.iter().map(|m| first_of(*m)).collect();
            let history =
                months.iter().copied().zip(server.deposits_by_month(&starts, period.until)?).collect();
            let report = MonthlyReport {
                month,
                by_community: flows(&f.by_community),
                by_activity: flows(&f.by_activity),
                new_volunteers: f.new_volunteers,
                active_volunteers: f.active_volunteers,
                top: f
                    .top
                    .iter()
                    .map(|(card, community, minutes)| monthly::TopVolunteer {
                        card: card.clone(),
                        name: name_of(card),
                        community: community.clone(),
                        minutes: *minutes,
                    })
                    .collect(),
                history,
                points: None,
                pool: monthly::PoolMonth {
                    donated: f.pool_donated,
                    granted: f.pool_granted,
                    balance_at_end: f.pool_balance_at_end,
                },
            };
            report.sheets(false)
        }
        None => {
            let rows = |list: &[crate::city::GroupMinutes]| {
                list.iter()
                    .map(|x| vec![Cell::text(&x.name), Cell::Hours(x.deposited), Cell::Hours(x.redeemed)])
                    .collect::<Vec<_>>()
            };
            let cols = |first: &'static str| {
                [col(first, 20.0), hours_col("存入小时", 12.0), hours_col("兑换小时", 12.0)]
            };
            vec![
                Sheet::new(format!("{title} 按社区"), &cols("社区"), rows(&f.by_community), true),
                Sheet::new(format!("{title} 按项目"), &cols("服务项目"), rows(&f.by_activity), true),
            ]
        }
    };
    sheets.insert(1.min(sheets.len()), by_counter);
    super::report::write_sheets(&sheets, out, format)
}

/// Commits an operation with the city in view (see `city::execute`): with a city server
/// configured (`$HOURBANK_CITY_URL`, else `[sync] url`), hours this counter lacks are asked of
/// the card's city pool, and a deposit's day cap counts the card's day at every counter.
pub(super) fn execute(
    bank: &crate::bank::Bank,
    op: Option<&str>,
    what: &crate::bank::Op,
) -> Result<crate::bank::Committed, Failure> {
    let url = city_url_if_any()?;
    let link = match url.as_deref() {
        Some(url) => crate::city::CityLink::Url(url),
        None => crate::city::CityLink::None,
    };
    crate::city::execute(bank, link, &crate::bank::cli_actor(), op, what).map_err(Failure::from)
}

/// Redeems a reward for points with the city in view (see `city::redeem_points`): points this
/// counter lacks are asked of the card's city pool.
pub(super) fn redeem_points(
    bank: &crate::bank::Bank,
    op: Option<&str>,
    card: &crate::domain::CardNo,
    reward: crate::domain::RewardId,
    qty: u32,
) -> Result<crate::bank::Committed, Failure> {
    let url = city_url_if_any()?;
    let link = match url.as_deref() {
        Some(url) => crate::city::CityLink::Url(url),
        None => crate::city::CityLink::None,
    };
    crate::city::redeem_points(bank, link, &crate::bank::cli_actor(), op, card, reward, qty)
        .map_err(Failure::from)
}

impl From<crate::city::SpendError> for Failure {
    fn from(e: crate::city::SpendError) -> Self {
        match e {
            crate::city::SpendError::Bank(b) => b.into(),
            other => {
                Failure { code: exit::REFUSED, message: super::lang::current().text().spend_error(&other) }
            }
        }
    }
}
