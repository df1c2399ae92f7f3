//! `hourbank report …`: daily close, monthly report, merchant settlement, a volunteer's
//! statement and the full ledger, as CSV (stdout or a file) or XLSX (a file).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{CliResult, Failure, open_bank, output};
use crate::bank::cli_actor;
use crate::domain::{CardNo, Day};
use crate::report::{self, Month, sheet::Sheet};

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    what: ReportCmd,
    /// Write to this file (the format follows its extension unless --format says otherwise)
    #[arg(long, global = true)]
    out: Option<PathBuf>,
    /// File format (default: from the --out extension, else CSV)
    #[arg(long, global = true, value_enum)]
    format: Option<Format>,
    /// Cards and names in full instead of masked (admin; recorded in the journal)
    #[arg(long, global = true)]
    full: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    Xlsx,
}

#[derive(Debug, Subcommand)]
enum ReportCmd {
    /// Daily close (日结): deposits, redemptions, reversals by staff and activity; held deposits
    Daily {
        /// The day [default: today]
        #[arg(long)]
        date: Option<String>,
    },
    /// Monthly report: by community and activity, new and active volunteers, top 20, 24 months
    Monthly {
        /// The month, e.g. 2026-11 [default: this month]
        #[arg(long)]
        month: Option<String>,
    },
    /// Exchange-day settlement per partner merchant: items, quantities, hours, stock left
    Settlement {
        /// First day of the period (YYYY-MM-DD)
        #[arg(long)]
        from: String,
        /// Last day of the period (YYYY-MM-DD)
        #[arg(long)]
        to: String,
        /// Only this merchant
        #[arg(long)]
        merchant: Option<String>,
    },
    /// The supervisors' monthly assessment (督导员月度考核): shifts, hours, scores, coupons, with a chart
    Assessment {
        /// The month, e.g. 2026-11 (this month by default)
        #[arg(long)]
        month: Option<String>,
    },
    /// A volunteer's passbook (存折) with the running balance
    Statement {
        /// The volunteer's card number
        #[arg(long)]
        card: String,
    },
    /// The full ledger (台账): every entry that moved hours
    Ledger,
}

fn day(text: &Option<String>, today: Day) -> Result<Day, Failure> {
    Ok(text.as_deref().map(Day::parse).transpose()?.unwrap_or(today))
}

/// Where a report goes and as what: `--out`'s extension decides unless `--format` does.
pub(super) fn destination(
    out: Option<&Path>,
    format: Option<Format>,
) -> Result<(Option<PathBuf>, Format), Failure> {
    let out = out.map(output::resolve);
    let format = match (format, out.as_deref().and_then(Path::extension)) {
        (Some(f), _) => f,
        (None, Some(ext)) if ext.eq_ignore_ascii_case("xlsx") => Format::Xlsx,
        _ => Format::Csv,
    };
    if format == Format::Xlsx && out.is_none() {
        return Err(Failure::bad_input("an XLSX report needs --out FILE.xlsx"));
    }
    Ok((out, format))
}

pub fn run(store: Option<PathBuf>, a: ReportArgs) -> CliResult {
    let bank = open_bank(store)?;
    let (out, format) = destination(a.out.as_deref(), a.format)?;
    if a.full {
        // Journalled (and flushed) before a single full value is written out.
        let seq = bank.note_full_export(&cli_actor(), "report")?;
        output::note(format_args!("full personal data: recorded as entry #{seq}"));
    }
    let today = bank.today();
    let sheets: Vec<Sheet> = match &a.what {
        ReportCmd::Daily { date } => report::daily_close(&bank, day(date, today)?)?.sheets(a.full),
        ReportCmd::Monthly { month } => {
            let month = match month {
                Some(m) => Month::parse(m)
                    .ok_or_else(|| Failure::bad_input(format!("month {m:?} must look like 2026-11")))?,
                None => Month::of(today),
            };
            report::monthly(&bank, month)?.sheets(a.full)
        }
        ReportCmd::Assessment { month } => {
            let month = match month {
                Some(m) => Month::parse(m)
                    .ok_or_else(|| Failure::bad_input(format!("month {m:?} must look like 2026-11")))?,
                None => Month::of(today),
            };
            report::assessment::assessment(&bank, month)?.sheets(a.full)
        }
        ReportCmd::Settlement { from, to, merchant } => {
            let (from, to) = (Day::parse(from)?, Day::parse(to)?);
            if from > to {
                return Err(Failure::bad_input("--from is after --to"));
            }
            report::settlement(&bank, from, to, merchant.as_deref())?.sheets()
        }
        ReportCmd::Statement { card } => report::statement(&bank, &CardNo::parse(card)?)?.sheets(a.full),
        ReportCmd::Ledger => return ledger(&bank, out.as_deref(), format, a.full),
    };
    write_sheets(&sheets, out, format)
}

/// Writes `sheets` as XLSX or CSV to `out`, or as CSV to standard output.
pub(super) fn write_sheets(sheets: &[Sheet], out: Option<PathBuf>, format: Format) -> CliResult {
    match (format, out) {
        (Format::Xlsx, Some(path)) => {
            output::via_partial(&path, |file| {
                report::sheet::write_xlsx(sheets, file)
                    .map_err(|e| Failure::bad_input(format!("{}: {e}", path.display())))
            })?;
            wrote(&path);
        }
        (_, Some(path)) => {
            output::write_buffered(&path, |w| {
                report::sheet::write_csv(sheets, w).map_err(|e| Failure::bad_input(e.to_string()))
            })?;
            wrote(&path);
        }
        (_, None) => {
            output::with_stdout(|out| report::sheet::write_csv(sheets, out)).map_err(|e| {
                if output::is_broken_pipe(&e) {
                    output::reader_gone()
                } else {
                    Failure::bad_input(e.to_string())
                }
            })?;
        }
    }
    Ok(())
}

fn wrote(path: &Path) {
    output::note(format_args!("wrote {}", path.display()));
}

fn ledger(bank: &crate::bank::Bank, out: Option<&Path>, format: Format, full: bool) -> CliResult {
    if format == Format::Csv {
        let write = |w: &mut dyn Write| report::ledger::export_ledger_csv(bank, w, full);
        return match out {
            None => output::with_stdout(|w| write(w).map(drop)).map_err(Failure::from),
            Some(path) => {
                let rows = output::write_buffered(path, |w| write(w).map_err(Failure::from))?;
                wrote(path);
                output::note(format_args!("{rows} rows"));
                Ok(())
            }
        };
    }
    let Some(path) = out else { return Err(Failure::bad_input("--out FILE.xlsx is required")) };
    let total = bank.last_seq()?;
    let bar = ProgressBar::with_draw_target(
        Some(total),
        // Not when run for a client of the counter's socket: this process's terminal is then
        // the counter's screen.
        if std::io::stderr().is_terminal() && output::forwarded_bank().is_none() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {percent}% of {len} entries, {elapsed} (eta {eta})")
    {
        bar.set_style(style);
    }
    let rows = output::via_partial(path, |file| {
        report::export_ledger_xlsx(bank, file, full, |done| bar.set_position(done))
            .map_err(|e| Failure::bad_input(e.to_string()))
    })?;
    bar.finish_and_clear();
    wrote(path);
    output::note(format_args!("{rows} rows"));
    Ok(())
}
