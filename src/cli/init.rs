//! `hourbank init` and `hourbank demo`.

use std::path::PathBuf;

use clap::Args;

use super::{CliResult, output, store_dir};
use crate::bank::{Bank, NewStaff, cli_actor};
use crate::domain::{CounterCode, Name, Role, StaffId, format_hours};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// This counter's name, recorded on every entry (e.g. 蓬江区白沙街道服务台)
    #[arg(long)]
    counter: String,
    /// The first admin's login id
    #[arg(long)]
    admin: String,
    /// The first admin's name
    #[arg(long)]
    admin_name: String,
    /// This counter's registered code, unique in the city (e.g. JH-LL-01); set once, here or
    /// later with `hourbank code set`
    #[arg(long)]
    code: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum CodeCmd {
    /// Print this counter's registered code and its public key, for the city's admin to
    /// enroll (nothing when no code is set)
    Show,
    /// Set it, once (admin; journalled), making the counter's signing key beside the store
    Set {
        /// The code, e.g. JH-LL-01: 2–16 letters, digits or '-'
        code: String,
    },
}

pub fn code(store: Option<PathBuf>, cmd: CodeCmd) -> CliResult {
    let bank = super::open_bank(store)?;
    match cmd {
        CodeCmd::Show => {
            if let Some(code) = bank.counter_code()? {
                // The public key, for the city's admin to enroll (`hourbank city enroll`).
                match bank.counter_key()? {
                    Some(key) => say!("{code} {}", key.public()),
                    None => say!("{code}"),
                }
            }
        }
        CodeCmd::Set { code } => {
            let code = CounterCode::parse(&code)?;
            let seq = bank.set_counter_code(&cli_actor(), None, &code)?;
            say!("saved #{seq}: counter code {code}");
        }
    }
    Ok(())
}

pub fn init(store: Option<PathBuf>, a: InitArgs) -> CliResult {
    let dir = store_dir(store)?;
    let counter = Name::parse(&a.counter)?;
    let code = a.code.as_deref().map(CounterCode::parse).transpose()?;
    let admin = NewStaff {
        id: StaffId::parse(&a.admin)?,
        name: Name::parse(&a.admin_name)?,
        role: Role::Admin,
        pin: String::new(),
    };
    let pin = super::prompt::read_pin("admin")?;
    let bank = Bank::init_coded(&dir, &counter, code.as_ref(), NewStaff { pin, ..admin }, &cli_actor())?;
    match &code {
        Some(code) => say!("initialised {} for counter {counter} ({code})", dir.display()),
        None => say!("initialised {} for counter {counter}", dir.display()),
    }
    say!(
        "PIN key file: {} (keep a copy apart from the backups; a store restored elsewhere needs it beside it)",
        bank.pin_key_path().display()
    );
    if let Some(key) = bank.counter_key()? {
        say!(
            "counter key: {} (signs for this counter in the city; keep a copy with the admins, never with the backups); enroll it with: hourbank city enroll {} {}",
            key.path().display(),
            code.as_ref().map(|c| c.as_str()).unwrap_or_default(),
            key.public()
        );
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How many sample volunteers (the counter's --demo has 300, the default)
    #[arg(long, default_value_t = super::counter::DEMO_VOLUNTEERS)]
    volunteers: usize,
    /// Seed for the sample data
    #[arg(long, default_value_t = super::counter::DEMO_SEED)]
    seed: u64,
    /// Keep the temporary sample store (without --store it is removed when the command ends)
    #[arg(long)]
    keep: bool,
}

/// Builds a sample store (in `--store`, or a fresh temporary directory) and prints balances.
pub fn demo(store: Option<PathBuf>, a: DemoArgs) -> CliResult {
    let (dir, temporary) = match store {
        Some(d) => (d, false),
        None => (std::env::temp_dir().join(format!("hourbank-demo-{}", std::process::id())), !a.keep),
    };
    let result = demo_in(&dir, &a, !temporary);
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_file(crate::bank::pepper_path(&dir));
    }
    result
}

fn demo_in(dir: &std::path::Path, a: &DemoArgs, kept: bool) -> CliResult {
    let bank = super::counter::demo_bank(dir, a.volunteers.clamp(1, 10_000), a.seed)?;
    let mut rows = Vec::new();
    for v in bank.volunteers() {
        let v = v?;
        rows.push(vec![
            v.volunteer.card.to_string(),
            v.volunteer.name.to_string(),
            v.volunteer.community.clone(),
            format_hours(v.account.earned),
            format_hours(v.account.redeemed),
            format_hours(v.account.balance()),
        ]);
    }
    output::table(
        &["卡号 card", "姓名 name", "社区 community", "获得 earned", "兑换 redeemed", "余额 balance"],
        &rows,
    );
    let report = bank.check()?;
    say!("\n{} events, check {}.", report.events, if report.ok { "passed" } else { "FAILED" });
    if kept {
        say!("Sample store: {}\nTry: hourbank --store {} history JH000001", dir.display(), dir.display());
    } else {
        say!(
            "The sample store was removed (--keep keeps it; `hourbank --demo` opens the same bank at the counter)."
        );
    }
    Ok(())
}
