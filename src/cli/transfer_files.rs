//! `hourbank import …` and `hourbank export …`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{CliResult, Failure, open_bank, output};
use crate::bank::cli_actor;
use crate::report;

#[derive(Debug, Subcommand)]
pub enum ImportCmd {
    /// card_no,name,phone,community[,registered_at][,id_number]
    Volunteers {
        /// The file to read
        file: PathBuf,
        /// Name of the source system; row ids are unique per source
        #[arg(long, default_value = "csv")]
        source: String,
    },
    /// id,timestamp,card_no,kind,minutes,memo (kind: deposit or redeem)
    Entries {
        /// The file to read
        file: PathBuf,
        /// Name of the source system, so re-importing the same file adds nothing
        #[arg(long, default_value = "csv")]
        source: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportWhat {
    Entries,
    Volunteers,
    Balances,
    /// Every card's city balance as this counter knows it (card, here, city, as of)
    CityBalances,
    /// One volunteer's passbook (存折): entries with the running balance; needs --card
    Statement,
    /// Every entry that moved civic points (文明积分), the points signed
    Points,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to export
    what: ExportWhat,
    /// Write to this file instead of stdout
    #[arg(long)]
    out: Option<PathBuf>,
    /// Volunteers: phones and ID numbers in full instead of masked (recorded in the journal)
    #[arg(long)]
    full: bool,
    /// Statement: whose
    #[arg(long)]
    card: Option<String>,
}

pub fn import(store: Option<PathBuf>, cmd: ImportCmd) -> CliResult {
    let dir = super::store_dir(store)?;
    let bank = std::sync::Arc::new(crate::bank::Bank::open(&dir)?);
    // A long import owns the store; backups and reads reach it through the control socket.
    let _serving = crate::control::ControlSocket::start(
        &dir,
        super::forward::handler(bank.clone()),
        std::sync::Arc::new(|_| {}),
    );
    let who = cli_actor();
    let words = super::lang::current().text().import;
    let summary = match cmd {
        ImportCmd::Volunteers { file, source } => bank.import_volunteers(&who, &file, &source)?,
        ImportCmd::Entries { file, source } => {
            let bar = ProgressBar::with_draw_target(
                Some(0),
                if std::io::stderr().is_terminal() {
                    ProgressDrawTarget::stderr()
                } else {
                    ProgressDrawTarget::hidden()
                },
            );
            if let Ok(style) = ProgressStyle::with_template(words.bar) {
                bar.set_style(style);
            }
            let result = bank.import_entries(&who, &file, &source, &mut |done, total| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            });
            bar.finish_and_clear();
            result?
        }
    };
    say!(
        "{}",
        crate::i18n::fill(
            words.done,
            &[
                &summary.imported,
                &summary.rows,
                &summary.already_present,
                &summary.created_activities,
                &summary.created_rewards
            ]
        )
    );
    Ok(())
}

/// True when the export failed only because the reader went away (`export … | head`).
fn broken_pipe(e: &report::ExportError) -> bool {
    output::is_broken_pipe(e)
}

pub fn export(store: Option<PathBuf>, a: ExportArgs) -> CliResult {
    let bank = open_bank(store)?;
    if a.full {
        if !matches!(a.what, ExportWhat::Volunteers) {
            return Err(Failure::bad_input("--full applies to `export volunteers` only"));
        }
        // Journalled (and flushed) before a single full value is written out.
        let seq = bank.note_full_export(&cli_actor(), "volunteers")?;
        output::note(format_args!("full personal data: recorded as entry #{seq}"));
    }
    let card = match (a.what, a.card.as_deref()) {
        (ExportWhat::Statement, Some(card)) => Some(crate::domain::CardNo::parse(card)?),
        (ExportWhat::Statement, None) => {
            return Err(Failure::bad_input("export statement needs --card CARD"));
        }
        (_, Some(_)) => return Err(Failure::bad_input("--card applies to `export statement` only")),
        (_, None) => None,
    };
    let write = |out: &mut dyn Write| -> Result<usize, Failure> {
        let result = match a.what {
            ExportWhat::Entries => report::export_entries(&bank, out),
            ExportWhat::Volunteers => report::export_volunteers(&bank, out, a.full),
            ExportWhat::Balances => report::export_balances(&bank, out),
            ExportWhat::CityBalances => report::export_city_balances(&bank, out),
            ExportWhat::Points => report::export_points(&bank, out),
            ExportWhat::Statement => match &card {
                Some(card) => report::export_statement(&bank, card, out).map(|(rows, _)| rows),
                None => Ok(0),
            },
        };
        match result {
            Ok(n) => Ok(n),
            Err(e) if broken_pipe(&e) && output::quiet_on_broken_pipe() => std::process::exit(0),
            Err(e) if broken_pipe(&e) => Err(Failure::bad_input("the reader went away")),
            Err(e) => Err(e.into()),
        }
    };
    match a.out.as_deref().map(output::resolve) {
        None => {
            let flushed = output::with_stdout(|out| write(out).map(|_| out.flush()))?;
            if let Err(e) = flushed {
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    return Ok(());
                }
                return Err(Failure::bad_input(e.to_string()));
            }
        }
        Some(path) => {
            let n = output::write_buffered(&path, write)?;
            output::note(format_args!("wrote {n} rows to {}", path.display()));
        }
    }
    Ok(())
}
