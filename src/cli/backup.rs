//! `hourbank backup`, `hourbank backup verify`, `hourbank restore`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use super::{CliResult, Failure, exit, open_bank, output, store_dir};
use crate::bank::{restore as restore_store, verify_backup};
use crate::domain::Timestamp;
use crate::store::StoreError;
use crate::store::backup::BackupError;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub verify: Option<BackupSub>,
    /// A new file, or a directory (the file gets a timestamped name)
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum BackupSub {
    /// Check a backup: checksum, every event, a replay through the ledger rules
    Verify {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file (.hbk)
    file: PathBuf,
    /// Replace an existing store (it is kept beside as <store>.before-restore-<time>)
    #[arg(long)]
    force: bool,
}

impl From<BackupError> for Failure {
    fn from(e: BackupError) -> Self {
        let code = match &e {
            BackupError::Store(StoreError::Io { .. }) | BackupError::Exists(_) | BackupError::Io { .. } => {
                exit::BAD_INPUT
            }
            BackupError::Store(_) => exit::STORE_UNAVAILABLE,
            _ => exit::REFUSED,
        };
        Failure { code, message: e.to_string() }
    }
}

pub fn backup(store: Option<PathBuf>, a: BackupArgs) -> CliResult {
    if let Some(BackupSub::Verify { file, json }) = a.verify {
        return verify(file, json);
    }
    let out = a.out.ok_or_else(|| Failure::bad_input("where to? give --out FILE or --out DIR"))?;
    let bank = open_bank(store)?;
    let s = bank.backup(&output::resolve(&out))?;
    if a.json {
        output::json(&json!(s));
    } else {
        say!(
            "backup {}: {} events up to #{}, {} volunteers, {} bytes",
            s.path.display(),
            s.events,
            s.last_seq,
            s.volunteers,
            s.bytes
        );
    }
    Ok(())
}

fn verify(file: PathBuf, json: bool) -> CliResult {
    let report = verify_backup(&output::resolve(&file))?;
    if json {
        output::json(&json!(report));
    } else {
        for p in &report.problems {
            say!("invariant {}: {}", p.invariant, p.detail);
        }
        say!(
            "{}: {} events up to #{} (counter {}, made {}); {} volunteers, {} activities, {} rewards, {} staff",
            if report.ok { "ok" } else { "BAD" },
            report.events,
            report.last_seq,
            report.counter_id,
            report.created_at,
            report.volunteers,
            report.activities,
            report.rewards,
            report.staff
        );
    }
    if report.ok {
        Ok(())
    } else {
        Err(Failure { code: exit::REFUSED, message: format!("{} does not verify", file.display()) })
    }
}

pub fn restore(store: Option<PathBuf>, a: RestoreArgs) -> CliResult {
    let target = store_dir(store)?;
    let now = Timestamp::from_datetime(chrono::Utc::now());
    let r = restore_store(&a.file, &target, a.force, now)?;
    say!("restored {} events into {}", r.last_seq, r.target.display());
    if let Some(previous) = r.previous {
        say!("the store that was there is kept at {}", previous.display());
    }
    Ok(())
}
