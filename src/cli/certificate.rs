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
            let certificate = match super::settings::city_url_if_any()? {
                Some(url) => city_certificate(&bank, &url, &card, from, to)?,
                None => bank.certificate(&card, from, to)?,
            };
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
        CertificateCmd::Verify { code } if crate::city::is_city_certificate(&code) => {
            let Some(url) = super::settings::city_url_if_any()? else {
                return Err(Failure::refused(
                    "a certificate the city issued (its serial starts with C) is verified by the city service: this counter has none set ([sync] url, $HOURBANK_CITY_URL)",
                ));
            };
            let client = crate::city::CityClient::new(&url, &bank)?;
            match client.verify_certificate(&code) {
                Ok(c) => {
                    let page = crate::city::as_certificate(&c).ok_or_else(|| not_valid(format!("{c:?}")))?;
                    say!("{}", valid(&page));
                    Ok(())
                }
                Err(crate::city::ClientError::Refused(r)) => Err(not_valid(r.message)),
                Err(e) => Err(e.into()),
            }
        }
        CertificateCmd::Verify { code } => match bank.verify_certificate(&code) {
            Ok(c) => {
                say!("{}", valid(&c));
                Ok(())
            }
            Err(CertificateError::Bank(e)) => Err(e.into()),
            Err(e) => Err(not_valid(reason(&e))),
        },
    }
}

/// What a verified certificate certifies, in the command's language (English: the words
/// scripts and the tests match).
fn valid(c: &crate::bank::Certificate) -> String {
    let city = !c.by_counter.is_empty();
    // Served, and credited where the rules made it differ (it said "served" of the credited).
    let hours = format_hours(c.served);
    let credited = |template: &str| match c.served == c.total {
        true => String::new(),
        false => crate::i18n::fill(template, &[&format_hours(c.total)]),
    };
    match (super::lang::words(), city) {
        (None, city) => {
            let whose = match city {
                false => format!("(as of entry #{}, counter {})", c.as_of, c.counter),
                true => format!(
                    "at every counter of the city (certificate C{}, issued at {})",
                    c.as_of, c.counter
                ),
            };
            let credited = credited(" (credited {} h)");
            format!(
                "valid: {} {} served {hours} h{credited} from {} to {} {whose}",
                c.name, c.card, c.from, c.to
            )
        }
        (Some(t), false) => {
            crate::i18n::fill(
                t.certificate_valid,
                &[&c.name, &c.card, &c.from, &c.to, &hours, &c.as_of, &c.counter],
            ) + &credited(t.certificate_credited)
        }
        (Some(t), true) => {
            crate::i18n::fill(
                t.certificate_valid_city,
                &[&c.name, &c.card, &c.from, &c.to, &hours, &c.as_of, &c.counter],
            ) + &credited(t.certificate_credited)
        }
    }
}

/// A certificate refused, saying why.
fn not_valid(why: String) -> Failure {
    match super::lang::words() {
        None => Failure::refused(format!("NOT valid: {why}")),
        Some(t) => Failure::refused(crate::i18n::fill(t.certificate_not_valid, &[&why])),
    }
}

/// Why this counter's journal does not confirm a certificate, in the command's language.
fn reason(e: &CertificateError) -> String {
    let Some(t) = super::lang::words() else { return e.to_string() };
    match e {
        CertificateError::Malformed(code) => crate::i18n::fill(t.certificate_malformed, &[code]),
        CertificateError::TooNew(seq) => crate::i18n::fill(t.certificate_too_new, &[seq]),
        CertificateError::Altered(seq) => crate::i18n::fill(t.certificate_altered, &[seq]),
        CertificateError::Mismatch => t.certificate_mismatch.to_string(),
        CertificateError::Bank(b) => t.bank_error(b),
    }
}

/// The certificate the city issues for `card`: every counter's service. Offline it is this
/// counter's own, and says so — it certifies only what was recorded here.
fn city_certificate(
    bank: &crate::bank::Bank,
    url: &str,
    card: &crate::domain::CardNo,
    from: Day,
    to: Day,
) -> Result<crate::bank::Certificate, Failure> {
    let asked = crate::city::CityClient::new(url, bank).and_then(|c| c.issue_certificate(card, from, to));
    match asked {
        Ok(c) => crate::city::as_certificate(&c).ok_or_else(|| {
            Failure::refused(format!("the city service's certificate does not read as one: {c:?}"))
        }),
        Err(crate::city::ClientError::Connect(e)) => {
            output::note(format_args!(
                "the city service cannot be reached ({e}): this certificate counts the hours recorded at this counter only"
            ));
            Ok(bank.certificate(card, from, to)?)
        }
        Err(e) => Err(e.into()),
    }
}
