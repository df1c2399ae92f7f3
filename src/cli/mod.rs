//! The command line (ARCHITECTURE.md §6). Each subcommand lives in its own file; this one parses,
//! finds the store and maps every failure to the documented exit code.

// First: its `say!` is used by every module after it.
#[macro_use]
mod output;

mod backup;
mod catalog;
mod certificate;
pub mod city;
mod city_admin;
mod city_people;
mod counter;
mod coupon;
mod entries;
pub mod forward;
mod init;
pub mod lang;
mod points;
mod pool;
mod prompt;
mod query;
mod report;
mod rules;
mod settings;
mod transfer_files;
mod volunteer;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::bank::StoreError;
use crate::bank::{BankError, ImportError};
use crate::domain::{DomainError, Rule};
use crate::report::ExportError;

/// Exit codes scripts rely on.
pub mod exit {
    pub const OK: u8 = 0;
    pub const REFUSED: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    pub const STORE_UNAVAILABLE: u8 = 3;
}

#[derive(Debug, Parser)]
#[command(name = "hourbank", version, about = "志愿服务时间银行 · volunteer service hour bank")]
pub struct Cli {
    /// Store directory [default: $HOURBANK_STORE, else the platform data dir]
    #[arg(long, global = true, env = "HOURBANK_STORE")]
    pub store: Option<PathBuf>,
    #[command(flatten)]
    pub counter: counter::CounterArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a store with its counter and first admin (PIN read from stdin)
    Init(init::InitArgs),
    /// Build a sample store and print its balances
    Demo(init::DemoArgs),
    /// This counter's registered code in the city: show, or set once
    #[command(subcommand)]
    Code(init::CodeCmd),
    /// The city: set up its database, run its service, enroll and revoke counters, check, report
    #[command(subcommand)]
    City(city::CityCmd),
    /// Sync with the city: push this counter's entries, take the city's directory, settle the pool
    Sync(city::SyncArgs),
    /// Register, list, show and edit volunteers
    #[command(subcommand)]
    Volunteer(volunteer::VolunteerCmd),
    /// Service certificates (志愿服务证明): issue one, or verify a code
    #[command(subcommand)]
    Certificate(certificate::CertificateCmd),
    /// Add and list activities
    #[command(subcommand)]
    Activity(catalog::ActivityCmd),
    /// Add, list, restock and retire rewards
    #[command(subcommand)]
    Reward(catalog::RewardCmd),
    /// Add, list and disable staff
    #[command(subcommand)]
    Staff(catalog::StaffCmd),
    /// The entry cap and transfer limit alone; kept for old scripts (`rules` has them all)
    #[command(subcommand, hide = true)]
    Settings(catalog::SettingsCmd),
    /// Show or change the rules: entry cap, transfer limit, rounding, day cap, approval, storage cap, expiry, multipliers
    #[command(subcommand)]
    Rules(rules::RulesCmd),
    /// Deposits waiting for an admin's approval: list, approve, reject
    #[command(subcommand)]
    Approvals(rules::ApprovalsCmd),
    /// Expire unspent hours older than the rules allow (--dry-run lists them)
    Expire(rules::ExpireArgs),
    /// Record service hours for one volunteer, or for many at once (repeat --card)
    Deposit(entries::DepositArgs),
    /// Redeem a reward
    Redeem(entries::RedeemArgs),
    /// Gift hours from one volunteer to another
    Transfer(entries::TransferArgs),
    /// Reverse a journal entry
    Reverse(entries::ReverseArgs),
    /// Correct a balance with a reason (admin)
    Adjust(entries::AdjustArgs),
    /// Donate a volunteer's hours to the bank's donation pool (爱心池)
    Donate(pool::DonateArgs),
    /// The donation pool: show it, or grant its hours to a person in need (admin)
    #[command(subcommand)]
    Pool(pool::PoolCmd),
    /// Residents registered for civic points (文明积分) only
    #[command(subcommand)]
    Resident(points::ResidentCmd),
    /// The points standard (积分量化标准): publish a version from TOML, show the one in force
    #[command(subcommand)]
    Standard(points::StandardCmd),
    /// Civic points: credit by item or coupon, balance, redeem, price rewards in points
    #[command(subcommand)]
    Points(points::PointsCmd),
    /// Points coupons (积分券): issue a batch with its sheet, list, void
    #[command(subcommand)]
    Coupon(coupon::CouponCmd),
    /// Supervisors' shifts at duty posts: the community's daily evaluation
    #[command(subcommand)]
    Shift(coupon::ShiftCmd),
    /// The exchange day (兑换日): the day's settlement for the supermarket
    #[command(subcommand)]
    Exchange(coupon::ExchangeCmd),
    /// Points credits waiting for review: list, verify, approve, reject
    #[command(subcommand)]
    Review(coupon::ReviewCmd),
    /// A volunteer's balance
    Balance(query::CardArgs),
    /// A volunteer's entries
    History(query::CardArgs),
    /// Verify the journal's hash chain and every projection
    Check(query::CheckArgs),
    /// Import volunteers or past entries from CSV
    #[command(subcommand)]
    Import(transfer_files::ImportCmd),
    /// Export entries, volunteers or balances as CSV
    Export(transfer_files::ExportArgs),
    /// Reports as CSV or XLSX: daily close, monthly, merchant settlement, statement, ledger
    Report(report::ReportArgs),
    /// Back the store up to a file (works while the counter is open), or verify a backup
    Backup(backup::BackupArgs),
    /// Replace a store with a verified backup (not while the store is open)
    Restore(backup::RestoreArgs),
    /// Rebuild a damaged store from its journal copy, keeping the damaged one aside
    Recover(backup::RecoverArgs),
    /// Whether a running hourbank serves this store (exit 0 if so)
    Ping,
}

/// A volunteer's card, given either way: `CARD` or `--card CARD`.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct CardArg {
    /// The volunteer's card number
    #[arg(value_name = "CARD")]
    card: Option<String>,
    /// The volunteer's card number (the same as giving it first)
    #[arg(long = "card", value_name = "CARD")]
    card_option: Option<String>,
}

impl CardArg {
    pub fn parse(&self) -> Result<crate::domain::CardNo, Failure> {
        let text = self.card.as_deref().or(self.card_option.as_deref()).unwrap_or_default();
        Ok(crate::domain::CardNo::parse(text)?)
    }
}

/// A failure with the exit code it maps to.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn bad_input(message: impl Into<String>) -> Failure {
        Failure { code: exit::BAD_INPUT, message: message.into() }
    }

    /// The request was understood and is refused (exit 1), like a broken rule.
    pub fn refused(message: impl Into<String>) -> Failure {
        Failure { code: exit::REFUSED, message: message.into() }
    }
}

fn store_code(_: &StoreError) -> u8 {
    exit::STORE_UNAVAILABLE
}

fn rule_code(rule: &Rule) -> u8 {
    match rule {
        Rule::Invalid(DomainError::OverCap { .. }) => exit::REFUSED,
        Rule::Invalid(_) => exit::BAD_INPUT,
        _ => exit::REFUSED,
    }
}

impl From<BankError> for Failure {
    fn from(e: BankError) -> Self {
        let code = match &e {
            BankError::Rule(r) => rule_code(r),
            BankError::Store(s) => store_code(s),
        };
        // The points' refusals are worded by their table in English too: theirs say when and
        // where (a coupon's first use in local time), which the English `Display` cannot.
        let words = lang::words()
            .or_else(|| matches!(&e, BankError::Rule(Rule::Points(_))).then(|| crate::i18n::Lang::En.text()));
        Failure { code, message: words.map_or_else(|| e.to_string(), |t| t.bank_error(&e)) }
    }
}

impl From<DomainError> for Failure {
    fn from(e: DomainError) -> Self {
        Failure::bad_input(lang::words().map_or_else(|| e.to_string(), |t| t.domain_error(&e)))
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        let message = lang::words().map_or_else(|| e.to_string(), |t| t.store_error(&e));
        Failure { code: store_code(&e), message }
    }
}

impl From<ImportError> for Failure {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Bank(b) => b.into(),
            other => Failure::bad_input(
                lang::words().map_or_else(|| other.to_string(), |t| t.import_error(&other)),
            ),
        }
    }
}

impl From<crate::report::ledger::LedgerError> for Failure {
    fn from(e: crate::report::ledger::LedgerError) -> Self {
        match e {
            crate::report::ledger::LedgerError::Export(e) => e.into(),
            other => Failure::bad_input(other.to_string()),
        }
    }
}

impl From<ExportError> for Failure {
    fn from(e: ExportError) -> Self {
        if output::is_broken_pipe(&e) {
            return output::reader_gone();
        }
        match e {
            ExportError::Bank(b) => b.into(),
            other => Failure { code: exit::BAD_INPUT, message: other.to_string() },
        }
    }
}

pub type CliResult = Result<(), Failure>;

/// The store directory: `--store`, `$HOURBANK_STORE`, or `<data dir>/hourbank/store`.
/// The path is made absolute and free of `.`, `..` and symlinks first: the PIN key file's name
/// and the staging folders of a restore are derived from the last component, and `--store .`
/// once put the key at `./store.pepper` inside the store.
pub fn store_dir(cli_store: Option<PathBuf>) -> Result<PathBuf, Failure> {
    let dir = match cli_store {
        Some(dir) => dir,
        None => dirs::data_dir()
            .map(|d| d.join("hourbank").join("store"))
            .ok_or_else(|| Failure::bad_input("cannot find a data directory; pass --store DIR"))?,
    };
    let dir = canonical(&output::resolve(&dir)).map_err(|e| Failure {
        code: exit::STORE_UNAVAILABLE,
        message: format!("store {}: {e}", dir.display()),
    })?;
    if dir.exists() && !dir.is_dir() {
        return Err(Failure {
            code: exit::STORE_UNAVAILABLE,
            message: format!("store {} is a file, not a directory: give --store a directory", dir.display()),
        });
    }
    Ok(dir)
}

/// `path` absolute, resolved as far as it exists (symlinks, `.`, `..`), the rest appended.
fn canonical(path: &std::path::Path) -> std::io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut existing = absolute.clone();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    loop {
        if let Ok(found) = std::fs::canonicalize(&existing) {
            let mut out = found;
            for part in rest.iter().rev() {
                match part.to_str() {
                    Some(".") => {}
                    Some("..") => {
                        out.pop();
                    }
                    _ => out.push(part),
                }
            }
            return Ok(out);
        }
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_owned());
                existing = parent.to_path_buf();
            }
            _ => return Ok(absolute),
        }
    }
}

/// The bank a command works on: its own, or — when it runs for a control-socket client — the
/// owning process's.
pub enum BankHandle {
    Own(Box<crate::bank::Bank>),
    Shared(std::sync::Arc<crate::bank::Bank>),
}

impl std::ops::Deref for BankHandle {
    type Target = crate::bank::Bank;
    fn deref(&self) -> &crate::bank::Bank {
        match self {
            BankHandle::Own(b) => b,
            BankHandle::Shared(b) => b,
        }
    }
}

pub fn open_bank(store: Option<PathBuf>) -> Result<BankHandle, Failure> {
    Ok(open_bank_as(store)??)
}

/// Like [`open_bank`], but hands back the bank's own refusal for a caller that answers some of
/// them itself (`check` reports lost entries instead of failing).
pub fn open_bank_as(store: Option<PathBuf>) -> Result<Result<BankHandle, crate::bank::BankError>, Failure> {
    if let Some(bank) = output::forwarded_bank() {
        return Ok(Ok(BankHandle::Shared(bank)));
    }
    let dir = store_dir(store)?;
    Ok(crate::bank::Bank::open(&dir).map(|bank| {
        if let Some(warning) = bank.permission_warning() {
            let (prefix, text) = match lang::words() {
                Some(t) => (t.warn_prefix, t.permission_warning(&warning)),
                None => ("warning", warning.to_string()),
            };
            eprintln!("hourbank: {prefix}: {}", output::printable(&text));
        }
        BankHandle::Own(Box::new(bank))
    }))
}

/// Parses arguments, runs the command, prints any failure, and returns the exit code.
/// Shows the progress of an upgrade in place, should an open find a store of the shape before:
/// a bar on a terminal, and one line when it is done.
fn show_upgrades() {
    let bar = indicatif::ProgressBar::with_draw_target(
        None,
        match std::io::stderr().is_terminal() {
            true => indicatif::ProgressDrawTarget::stderr(),
            false => indicatif::ProgressDrawTarget::hidden(),
        },
    );
    crate::bank::on_upgrade(move |p: crate::bank::UpgradeProgress| {
        // Read when the store opens, after the arguments chose the language.
        let text = lang::current().text();
        if p.done == 0
            && let Ok(style) = indicatif::ProgressStyle::with_template(text.upgrade_bar)
        {
            bar.set_style(style);
        }
        bar.set_length(p.total);
        bar.set_position(p.done);
        if p.dropped {
            bar.finish_and_clear();
            let done = text.upgrade_done.replacen("{}", &p.total.to_string(), 1);
            eprintln!("hourbank: {}", output::printable(&done));
        }
    });
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::BAD_INPUT } else { exit::OK });
        }
    };
    show_upgrades();
    match run(cli) {
        Ok(()) => ExitCode::from(exit::OK),
        Err(f) => {
            // An empty message: the process serving the store already said why.
            if !f.message.is_empty() {
                report_failure(&f, wants_json(std::env::args()));
            }
            ExitCode::from(f.code)
        }
    }
}

/// Whether the command asked for JSON: then its failure is JSON too, on standard output,
/// where the script reads (`{"error":{"code":1,"message":"…"}}`), besides the plain line on
/// standard error.
pub fn wants_json(args: impl IntoIterator<Item = impl AsRef<str>>) -> bool {
    args.into_iter().any(|a| a.as_ref() == "--json")
}

/// Says why a command failed, to the command's standard error (and output, for `--json`).
pub fn report_failure(f: &Failure, json: bool) {
    if json {
        output::json(&serde_json::json!({ "error": { "code": f.code, "message": f.message } }));
    }
    output::note(format_args!("hourbank: {}", f.message));
}

fn run(cli: Cli) -> CliResult {
    lang::set(lang::resolve(cli.counter.lang.as_deref()));
    let store = cli.store;
    let Some(command) = cli.command else {
        return counter::run(store, cli.counter);
    };
    // Read commands reach a store another process holds through its control socket.
    if forward::forwardable(&command)
        && let Some(result) = forward::try_forward(&store_dir(store.clone())?)
    {
        return result;
    }
    dispatch(store, command)
}

/// Runs one subcommand (here, or for a control-socket client of this process).
fn dispatch(store: Option<PathBuf>, command: Command) -> CliResult {
    match command {
        Command::Init(a) => init::init(store, a),
        Command::Demo(a) => init::demo(store, a),
        Command::Code(c) => init::code(store, c),
        Command::City(c) => city::run(store, c),
        Command::Sync(a) => city::sync(store, a),
        Command::Volunteer(c) => volunteer::run(store, c),
        Command::Certificate(c) => certificate::run(store, c),
        Command::Activity(c) => catalog::activity(store, c),
        Command::Reward(c) => catalog::reward(store, c),
        Command::Staff(c) => catalog::staff(store, c),
        Command::Settings(c) => catalog::settings(store, c),
        Command::Rules(c) => rules::rules(store, c),
        Command::Approvals(c) => rules::approvals(store, c),
        Command::Expire(a) => rules::expire(store, a),
        Command::Deposit(a) => entries::deposit(store, a),
        Command::Redeem(a) => entries::redeem(store, a),
        Command::Transfer(a) => entries::transfer(store, a),
        Command::Reverse(a) => entries::reverse(store, a),
        Command::Adjust(a) => entries::adjust(store, a),
        Command::Donate(a) => pool::donate(store, a),
        Command::Pool(c) => pool::run(store, c),
        Command::Resident(c) => points::resident(store, c),
        Command::Standard(c) => points::standard(store, c),
        Command::Points(c) => points::points(store, c),
        Command::Coupon(c) => coupon::coupon(store, c),
        Command::Review(c) => coupon::review(store, c),
        Command::Exchange(c) => coupon::exchange(store, c),
        Command::Shift(c) => coupon::shift(store, c),
        Command::Balance(a) => query::balance(store, a),
        Command::History(a) => query::history(store, a),
        Command::Check(a) => query::check(store, a),
        Command::Import(c) => transfer_files::import(store, c),
        Command::Export(a) => transfer_files::export(store, a),
        Command::Report(a) => report::run(store, a),
        Command::Backup(a) => backup::backup(store, a),
        Command::Restore(a) => backup::restore(store, a),
        Command::Recover(a) => backup::recover(store, a),
        Command::Ping => ping(store),
    }
}

/// Reached only when no process serves the store (otherwise the request was forwarded).
fn ping(store: Option<PathBuf>) -> CliResult {
    if let Some(pong) = output::forwarded_bank().map(|_| std::process::id()) {
        say!("pong {pong}");
        return Ok(());
    }
    let dir = store_dir(store)?;
    Err(Failure { code: exit::REFUSED, message: format!("no hourbank process is serving {}", dir.display()) })
}
