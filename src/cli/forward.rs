//! The command line's side of the control socket: a client that forwards read commands to the
//! process holding the store, and the handler that process runs them with — the same command
//! code, with output, paths and bank redirected — so a user types the same command either way.

use std::sync::Arc;

use super::{Cli, Command, Failure, exit, output};
use crate::bank::Bank;
use crate::control::{self, ForwardError, Handler};

/// Commands that may run while another process holds the store.
pub fn forwardable(command: &Command) -> bool {
    match command {
        // Verifying a file and making a key need no store.
        Command::Backup(a) => a.verify.is_none(),
        Command::Expire(a) => a.dry_run,
        // Setting up the catalog and registering volunteers while the counter is open is the
        // usual first day; they commit through the counter's own bank. Commands that read a
        // PIN from standard input stay out (the owner's input is the counter's keyboard).
        Command::Volunteer(v) => !matches!(v, super::volunteer::VolunteerCmd::Pin { .. }),
        Command::Activity(_) | Command::Reward(_) | Command::Code(_) | Command::Sync(_) => true,
        Command::City(super::city::CityCmd::Conflicts { .. } | super::city::CityCmd::Volunteer { .. }) => {
            true
        }
        Command::Balance(_)
        | Command::History(_)
        | Command::Check(_)
        | Command::Export(_)
        | Command::Certificate(_)
        | Command::Report(_)
        | Command::Pool(super::pool::PoolCmd::Show { .. })
        | Command::Ping => true,
        _ => false,
    }
}

/// Sends this process's arguments to the process serving `dir`. `None` when nothing is
/// serving it (the caller then opens the store itself).
pub fn try_forward(dir: &std::path::Path) -> Option<Result<(), Failure>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // The serving process answers in this person's language, not its own.
    if !args.iter().any(|a| a == "--lang" || a.starts_with("--lang=")) {
        let lang = match super::lang::current() {
            crate::i18n::Lang::Zh => "zh",
            crate::i18n::Lang::En => "en",
        };
        args.extend(["--lang".to_string(), lang.to_string()]);
    }
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    match control::forward(dir, &args, &mut stdout.lock(), &mut stderr.lock()) {
        Ok(0) => Some(Ok(())),
        // The serving process already printed why.
        Ok(code) => Some(Err(Failure { code, message: String::new() })),
        Err(ForwardError::NotServing(_)) => None,
        Err(e) => Some(Err(Failure { code: exit::STORE_UNAVAILABLE, message: e.to_string() })),
    }
}

/// How the owning process answers control-socket requests.
pub fn handler(bank: Arc<Bank>) -> Handler {
    Arc::new(move |request, out, err| {
        let target = output::Forwarded { out, err, cwd: request.cwd.clone(), bank: bank.clone() };
        output::forwarded(target, || {
            let args = std::iter::once("hourbank".to_string()).chain(request.args.iter().cloned());
            let result = match <Cli as clap::Parser>::try_parse_from(args) {
                Err(e) => Err(Failure::bad_input(e.to_string().trim_end().to_string())),
                Ok(Cli { command: Some(command), counter, .. }) if forwardable(&command) => {
                    super::lang::set(super::lang::resolve(counter.lang.as_deref()));
                    super::dispatch(None, command)
                }
                Ok(_) => Err(Failure {
                    code: exit::STORE_UNAVAILABLE,
                    message: format!(
                        "the store is open in hourbank process {} (the counter); meanwhile only reads, backups, the catalog and volunteers' details can be changed from here",
                        std::process::id()
                    ),
                }),
            };
            match result {
                Ok(()) => exit::OK,
                Err(f) => {
                    if !f.message.is_empty() {
                        super::report_failure(&f, super::wants_json(&request.args));
                    }
                    f.code
                }
            }
        })
    })
}
