//! `hourbank backup`, `hourbank backup verify`, `hourbank restore`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use super::{CliResult, Failure, exit, open_bank, output, store_dir};
use crate::bank::BackupError;
use crate::bank::StoreError;
use crate::bank::{Provenance, recover as recover_store, restore as restore_store, verify_backup};
use crate::domain::Timestamp;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub verify: Option<BackupSub>,
    /// A new file, or a directory (the file gets a timestamped name)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Encrypt to this admin public key (age1…; repeat for several admins)
    #[arg(long)]
    recipient: Vec<String>,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum BackupSub {
    /// Check a backup: checksum, every event, a replay through the ledger rules
    Verify {
        /// The file to read
        file: PathBuf,
        /// The admin's age identity file, for an encrypted backup
        #[arg(long)]
        identity: Option<PathBuf>,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
        /// Pass a backup this bank did not make (another bank's, or one from before backups
        /// were tagged) if every other check holds
        #[arg(long)]
        accept_foreign: bool,
    },
    /// Make an admin key pair for encrypted backups: the secret goes to --out (mode 0600,
    /// keep it off the counter machine), the public key (age1…) is printed
    Keygen {
        /// Write the key to this file (private, 0600)
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file (.hbk)
    #[arg(required_unless_present = "from_city", conflicts_with = "from_city")]
    file: Option<PathBuf>,
    /// Rebuild a lost counter from the city service at this URL instead: its own events, as
    /// far as its key's signatures vouch for them. Its key, kept with the city's admins, must
    /// be back at <store>.counter-key first
    #[arg(long, value_name = "URL", requires = "code")]
    from_city: Option<String>,
    /// With --from-city: the counter's code (e.g. JH-A-01)
    #[arg(long)]
    code: Option<String>,
    /// Replace an existing store (it is kept beside as <store>.before-restore-<time>)
    #[arg(long)]
    force: bool,
    /// The admin's age identity file, for an encrypted backup
    #[arg(long)]
    identity: Option<PathBuf>,
    /// Restore a backup this bank did not make (another bank's, or an untagged one): its
    /// entries are still checked one by one
    #[arg(long)]
    accept_foreign: bool,
}

#[derive(Debug, Args)]
pub struct RecoverArgs {
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

fn identity(file: Option<&std::path::Path>) -> Result<Option<age::x25519::Identity>, Failure> {
    let Some(file) = file else { return Ok(None) };
    let file = output::resolve(file);
    let text =
        std::fs::read_to_string(&file).map_err(|e| Failure::bad_input(format!("{}: {e}", file.display())))?;
    let key = text.lines().map(str::trim).find(|l| l.starts_with("AGE-SECRET-KEY-"));
    key.and_then(|k| k.parse().ok()).map(Some).ok_or_else(|| {
        Failure::bad_input(format!("{}: no age secret key (AGE-SECRET-KEY-…) in it", file.display()))
    })
}

fn keygen(out: PathBuf) -> CliResult {
    use age::secrecy::ExposeSecret;
    let out = output::resolve(&out);
    let key = age::x25519::Identity::generate();
    let public = key.to_public().to_string();
    let text = format!("# hourbank backup key, public key: {public}\n{}\n", key.to_string().expose_secret());
    let mut file = crate::bank::create_private(&out)
        .map_err(|e| Failure::bad_input(format!("{}: {e}", out.display())))?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| Failure::bad_input(e.to_string()))?;
    say!("{public}");
    Ok(())
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
    match a.verify {
        Some(BackupSub::Verify { file, identity: key, json, accept_foreign }) => {
            return verify(store, file, key, json, accept_foreign);
        }
        Some(BackupSub::Keygen { out }) => return keygen(out),
        None => {}
    }
    let out = a.out.ok_or_else(|| Failure::bad_input("where to? give --out FILE or --out DIR"))?;
    let recipients = a
        .recipient
        .iter()
        .map(|r| {
            r.trim()
                .parse::<age::x25519::Recipient>()
                .map_err(|e| Failure::bad_input(format!("recipient {r:?}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let bank = open_bank(store)?;
    let s = bank.backup_for(&output::resolve(&out), &recipients)?;
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

fn verify(
    store: Option<PathBuf>,
    file: PathBuf,
    key: Option<PathBuf>,
    json: bool,
    accept_foreign: bool,
) -> CliResult {
    let key = identity(key.as_deref())?;
    // The bank the backup should come from: the store's PIN key file, when it is here.
    let store = store_dir(store)?;
    let bank_key = crate::bank::backup_key(&store);
    let report = verify_backup(&output::resolve(&file), key.as_ref(), bank_key.as_ref())?;
    let provenance = match report.authentic {
        Some(true) => "made by this bank".to_string(),
        Some(false) => format!(
            "NOT made by this bank (its tag does not match {}): another bank's, an older hourbank's, or edited",
            crate::bank::pepper_path(&store).display()
        ),
        None => format!(
            "cannot tell whether this bank made it: no PIN key file at {}",
            crate::bank::pepper_path(&store).display()
        ),
    };
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
        say!("{provenance}");
    }
    if !report.ok {
        // With --json the report printed is the answer: no second JSON.
        let message = if json { String::new() } else { format!("{} does not verify", file.display()) };
        return Err(Failure { code: exit::REFUSED, message });
    }
    if report.authentic != Some(true) && !accept_foreign {
        // With --json, "authentic" in the report says it.
        let message = if json {
            String::new()
        } else {
            format!("{}: {provenance}; pass --accept-foreign to accept it", file.display())
        };
        return Err(Failure { code: exit::REFUSED, message });
    }
    Ok(())
}

pub fn restore(store: Option<PathBuf>, a: RestoreArgs) -> CliResult {
    let target = store_dir(store)?;
    let now = Timestamp::from_datetime(chrono::Utc::now());
    if let Some(url) = &a.from_city {
        return restore_from_city(url, a.code.as_deref().unwrap_or_default(), &target, a.force, now);
    }
    let Some(file) = &a.file else {
        return Err(Failure {
            code: exit::BAD_INPUT,
            message: "name a backup file, or --from-city URL --code CODE".into(),
        });
    };
    let key = identity(a.identity.as_deref())?;
    let provenance = if a.accept_foreign { Provenance::AcceptForeign } else { Provenance::ThisBank };
    let r = restore_store(file, &target, a.force, now, key.as_ref(), provenance)?;
    if a.accept_foreign {
        say!("accepted as asked: a backup this bank may not have made");
    }
    say!("restored {} events into {}", r.last_seq, r.target.display());
    if let Some(previous) = r.previous {
        say!("the store that was there is kept at {}", previous.display());
    }
    Ok(())
}

/// `restore --from-city`: the counter's own events from the city service.
fn restore_from_city(
    url: &str,
    code: &str,
    target: &std::path::Path,
    force: bool,
    now: Timestamp,
) -> CliResult {
    let code = crate::domain::CounterCode::parse(code)
        .map_err(|e| Failure { code: exit::BAD_INPUT, message: format!("--code: {e}") })?;
    let r = crate::city::restore_from_city(url, &code, target, force, now).map_err(|e| {
        let code = match &e {
            crate::city::RestoreFromCityError::Service(c) if c.transient() => exit::STORE_UNAVAILABLE,
            _ => exit::REFUSED,
        };
        Failure { code, message: output::printable(&e.to_string()).into_owned() }
    })?;
    say!("rebuilt counter {code} from the city: {} events into {}", r.last_seq, r.target.display());
    if let Some(previous) = r.previous {
        say!("the store that was there is kept at {}", previous.display());
    }
    if !crate::bank::pepper_path(target).exists() {
        say!(
            "no PIN key file at {}: put the one kept with the admins there, or staff cannot log in",
            crate::bank::pepper_path(target).display()
        );
    }
    say!("spending from this counter's shares waits for its first sync with the city");
    Ok(())
}

/// Rebuilds a damaged store from its own journal copy (and what sled still holds after it).
pub fn recover(store: Option<PathBuf>, a: RecoverArgs) -> CliResult {
    let target = store_dir(store)?;
    let now = Timestamp::from_datetime(chrono::Utc::now());
    let r = recover_store(&target, now)?;
    if a.json {
        output::json(&json!(r));
        return Ok(());
    }
    if let Some(problem) = &r.sled_problem {
        say!("sled could not be read: {}", output::printable(problem));
    }
    say!(
        "recovered {} events into {} ({} from journal.copy, {} more from sled); check passes",
        r.last_seq,
        r.target.display(),
        r.from_copy,
        r.from_sled
    );
    say!("the damaged store is kept at {}", r.damaged.display());
    Ok(())
}
