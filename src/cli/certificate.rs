//! `hourbank certificate issue|verify`: the service certificate (志愿服务证明) as a printable text
//! page, and the check of its code against any copy of the store.

use std::path::PathBuf;

use clap::Subcommand;

use super::{CliResult, Failure, open_bank, output};
use crate::bank::CertificateError;
use crate::domain::{Day, format_hours};

#[derive(Debug, Subcommand)]
pub enum CertificateCmd {
    /// A volunteer's certificate for a date range (service dates), as a text page
    Issue {
        #[command(flatten)]
        card: super::CardArg,
        /// First service day (default: the volunteer's first service or registration, whichever is earlier)
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
    Verify {
        /// The code printed on the certificate
        code: String,
    },
}

pub fn run(store: Option<PathBuf>, cmd: CertificateCmd) -> CliResult {
    let bank = open_bank(store)?;
    match cmd {
        CertificateCmd::Issue { card, from, to, out } => {
            let card = card.parse()?;
            let (first, last) = bank.whole_service(&card)?;
            let from = from.as_deref().map(Day::parse).transpose()?.unwrap_or(first);
            let to = to.as_deref().map(Day::parse).transpose()?.unwrap_or(last);
            let certificate = bank.certificate(&card, from, to)?;
            let page = crate::report::certificate_page(&certificate);
            match out.as_deref().map(output::resolve) {
                None => output::with_stdout(|o| o.write_all(page.as_bytes()))
                    .map_err(|e| Failure::bad_input(e.to_string()))?,
                Some(path) => {
                    crate::report::write_private(&path, |file| {
                        std::io::Write::write_all(file, page.as_bytes())
                    })
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
