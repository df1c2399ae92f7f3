//! `hourbank certificate issue|verify`: the service certificate (志愿服务证明) as a printable text
//! page, and the check of its code against any copy of the store.

use std::path::PathBuf;

use clap::Subcommand;

use super::{CliResult, Failure, open_bank, output};
use crate::bank::{Certificate, CertificateError};
use crate::domain::{CardNo, Day, format_hours};
use crate::tui::widgets::{pad, pad_left};

#[derive(Debug, Subcommand)]
pub enum CertificateCmd {
    /// A volunteer's certificate for a date range (service dates), as a text page
    Issue {
        card: String,
        /// First service day (default: the day the volunteer registered)
        #[arg(long)]
        from: Option<String>,
        /// Last service day (default: today)
        #[arg(long)]
        to: Option<String>,
        /// Write the page to this file instead of stdout
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check a certificate's code against this store; prints what it certifies
    Verify { code: String },
}

pub fn run(store: Option<PathBuf>, cmd: CertificateCmd) -> CliResult {
    let bank = open_bank(store)?;
    match cmd {
        CertificateCmd::Issue { card, from, to, out } => {
            let card = CardNo::parse(&card)?;
            let from = match from {
                Some(d) => Day::parse(&d)?,
                None => bank.find_card(&card)?.volunteer.registered_on,
            };
            let to = match to {
                Some(d) => Day::parse(&d)?,
                None => bank.today(),
            };
            let certificate = bank.certificate(&card, from, to)?;
            let page = page(&certificate);
            match out.as_deref().map(output::resolve) {
                None => output::with_stdout(|o| o.write_all(page.as_bytes()))
                    .map_err(|e| Failure::bad_input(e.to_string()))?,
                Some(path) => {
                    std::fs::write(&path, page)
                        .map_err(|e| Failure::bad_input(format!("{}: {e}", path.display())))?;
                    output::note(format_args!(
                        "certificate {} written to {}",
                        certificate.code,
                        path.display()
                    ));
                }
            }
            Ok(())
        }
        CertificateCmd::Verify { code } => match bank.verify_certificate(&code) {
            Ok(c) => {
                say!(
                    "valid: {} {} served {} h from {} to {} (as of entry #{}, counter {})",
                    c.name,
                    c.card,
                    format_hours(c.total),
                    c.from,
                    c.to,
                    c.as_of,
                    c.counter
                );
                Ok(())
            }
            Err(CertificateError::Bank(e)) => Err(e.into()),
            Err(e) => Err(Failure::refused(format!("NOT valid: {e}"))),
        },
    }
}

/// The printable page: bilingual headings, hours by activity, the code at the bottom.
fn page(c: &Certificate) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let rule = "=".repeat(56);
    let _ = writeln!(s, "{rule}");
    let _ = writeln!(s, "{}", centered("志愿服务证明", 56));
    let _ = writeln!(s, "{}", centered("Volunteer Service Certificate", 56));
    let _ = writeln!(s, "{rule}");
    let _ = writeln!(s, "兹证明 / This certifies that  {}（{}）", c.name, c.card);
    let _ = writeln!(s, "于 {} 至 {} 期间参加志愿服务，共计 {} 小时。", c.from, c.to, format_hours(c.total));
    let _ = writeln!(s, "served {} hours from {} to {}.", format_hours(c.total), c.from, c.to);
    let _ = writeln!(s);
    let _ = writeln!(s, "{} {}", pad("服务项目 / Activity", 44), pad_left("小时 / h", 10));
    for (name, minutes) in &c.by_activity {
        let _ = writeln!(s, "{} {}", pad(name, 44), pad_left(&format_hours(*minutes), 10));
    }
    let _ = writeln!(s, "{} {}", pad("合计 / Total", 44), pad_left(&format_hours(c.total), 10));
    let _ = writeln!(s);
    let issued = c.as_of_time.datetime().with_timezone(&chrono::Local).format("%Y-%m-%d");
    let _ = writeln!(s, "出具单位 / Issued by: {}", c.counter);
    let _ = writeln!(s, "出具日期 / Date: {issued}    编号 / Serial: {}", c.as_of);
    let _ = writeln!(s, "验证码 / Verification code:");
    let _ = writeln!(s, "  {}", c.code);
    let _ = writeln!(s, "验证 / Verify: hourbank certificate verify {}", c.code);
    let _ = writeln!(s, "{rule}");
    s
}

fn centered(text: &str, cols: usize) -> String {
    let w = crate::tui::widgets::width(text);
    format!("{}{text}", " ".repeat(cols.saturating_sub(w) / 2))
}
