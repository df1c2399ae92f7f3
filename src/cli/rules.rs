//! `hourbank rules …`, `hourbank approvals …` and `hourbank expire`: the crediting rules, the
//! deposits waiting for an admin, and expiry of unspent hours.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{CliResult, Failure, open_bank, output};
use crate::bank::cli_actor;
use crate::domain::{Day, Minutes, Rounding, Rules, Settings, format_hours};

#[derive(Debug, Subcommand)]
pub enum RulesCmd {
    /// Print the rules in force
    Show,
    /// Change some rules; the others stay. A limit given as `off` is removed.
    Set(Box<RulesSetArgs>),
}

#[derive(Debug, Args)]
pub struct RulesSetArgs {
    /// Rounding of deposits, always down: none, 30m or 15m
    #[arg(long)]
    rounding: Option<String>,
    /// Most hours one volunteer may be credited per service day, e.g. 8h, or off
    #[arg(long)]
    day_cap: Option<String>,
    /// Deposits over this wait for an admin's approval, e.g. 6h, or off
    #[arg(long)]
    approval_over: Option<String>,
    /// Most a balance may hold, e.g. 1500h, or off
    #[arg(long)]
    storage_cap: Option<String>,
    /// Unspent hours expire after this many months, or off
    #[arg(long)]
    expiry_months: Option<String>,
    /// Hour multiplier of an activity category in percent, e.g. 助老=150; `助老=100` removes it.
    /// Repeat for more categories.
    #[arg(long = "multiplier", value_name = "CATEGORY=PERCENT")]
    multipliers: Vec<String>,
    /// Largest single entry, e.g. 24h
    #[arg(long)]
    entry_cap: Option<String>,
    /// Largest single transfer between volunteers, e.g. 10h
    #[arg(long)]
    transfer_limit: Option<String>,
    /// Retry-safe operation id: the same id and request applies once
    #[arg(long)]
    op_id: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ApprovalsCmd {
    /// Deposits waiting for an admin
    List,
    /// Credit a held deposit
    Approve {
        /// Seq of the journal entry
        seq: u64,
        /// Why (required; kept in the journal)
        #[arg(long)]
        reason: String,
    },
    /// Refuse a held deposit (nothing is credited)
    Reject {
        /// Seq of the journal entry
        seq: u64,
        /// Why (required; kept in the journal)
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct ExpireArgs {
    /// List what would expire and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Expire as of this day instead of today (e.g. the end of last month)
    #[arg(long)]
    as_of: Option<String>,
}

fn limit(text: &str) -> Result<Option<Minutes>, Failure> {
    match text.trim() {
        "off" | "none" | "关" => Ok(None),
        t => Ok(Some(Minutes::parse(t)?)),
    }
}

fn show_limit(m: Option<Minutes>) -> String {
    m.map_or_else(|| "off".to_string(), |m| m.to_string())
}

pub fn print_rules(rules: &Rules, settings: &Settings) {
    say!("rounding {}", rules.rounding.as_str());
    say!("day_cap {}", show_limit(rules.day_cap));
    say!("approval_over {}", show_limit(rules.approval_over));
    say!("storage_cap {}", show_limit(rules.storage_cap));
    say!("expiry_months {}", rules.expiry_months.map_or_else(|| "off".to_string(), |m| m.to_string()));
    for (category, percent) in &rules.multipliers {
        say!("multiplier {category}={percent}");
    }
    say!("entry_cap {}", settings.entry_cap);
    say!("transfer_limit {}", settings.transfer_limit);
}

pub fn rules(store: Option<PathBuf>, cmd: RulesCmd) -> CliResult {
    let bank = open_bank(store)?;
    let mut rules = bank.rules()?;
    match cmd {
        RulesCmd::Show => {
            print_rules(&rules, &bank.settings()?);
        }
        RulesCmd::Set(a) => {
            let before = rules.clone();
            let current = bank.settings()?;
            let minutes = |t: &Option<String>, d: Minutes| {
                t.as_deref().map(Minutes::parse).transpose().map(|m| m.unwrap_or(d))
            };
            let settings = Settings {
                entry_cap: minutes(&a.entry_cap, current.entry_cap)?,
                transfer_limit: minutes(&a.transfer_limit, current.transfer_limit)?,
            };
            if let Some(r) = &a.rounding {
                rules.rounding = Rounding::parse(r)?;
            }
            if let Some(t) = &a.day_cap {
                rules.day_cap = limit(t)?;
            }
            if let Some(t) = &a.approval_over {
                rules.approval_over = limit(t)?;
            }
            if let Some(t) = &a.storage_cap {
                rules.storage_cap = limit(t)?;
            }
            if let Some(t) = &a.expiry_months {
                rules.expiry_months = match t.trim() {
                    "off" | "none" => None,
                    n => Some(n.parse().map_err(|_| {
                        Failure::bad_input(format!("--expiry-months {n:?}: give a number of months or off"))
                    })?),
                };
            }
            for m in &a.multipliers {
                let (category, percent) = m
                    .split_once('=')
                    .and_then(|(c, p)| {
                        // A multiplier is a category's: none for activities with no category.
                        let category = Some(c.trim().to_string()).filter(|c| !c.is_empty())?;
                        Some((category, p.trim().trim_end_matches('%').parse::<u16>().ok()?))
                    })
                    .ok_or_else(|| {
                        Failure::bad_input(format!("--multiplier {m:?}: use CATEGORY=PERCENT, e.g. 助老=150"))
                    })?;
                rules.multipliers.retain(|(c, _)| *c != category);
                if percent != 100 {
                    rules.multipliers.push((category, percent));
                }
            }
            if rules == before && settings == current && a.op_id.is_none() {
                return Err(Failure::bad_input("nothing to change: give the rules to set (see --help)"));
            }
            // One commit for all of it; an unchanged part is not journalled again.
            let c = bank.change_rules_and_settings(
                &cli_actor(),
                a.op_id.as_deref(),
                (rules != before).then_some(&rules),
                (settings != current).then_some(settings),
            )?;
            say!("saved #{}: rules changed", c.events.last().map_or(0, |e| e.seq()));
            print_rules(&rules, &settings);
        }
    }
    Ok(())
}

pub fn approvals(store: Option<PathBuf>, cmd: ApprovalsCmd) -> CliResult {
    let bank = open_bank(store)?;
    match cmd {
        ApprovalsCmd::List => {
            let mut rows = Vec::new();
            for h in bank.held_deposits()? {
                let card =
                    bank.volunteer_record(h.volunteer)?.map(|v| v.card.to_string()).unwrap_or_default();
                rows.push(vec![
                    format!("#{}", h.seq),
                    h.served_on.to_string(),
                    card,
                    bank.activity_name(h.activity)?,
                    format_hours(u64::from(h.minutes.get())),
                    h.recorded_by.to_string(),
                ]);
            }
            output::table(&["entry", "served on", "card", "activity", "hours", "recorded by"], &rows);
        }
        ApprovalsCmd::Approve { seq, reason } => {
            let c = bank.decide_deposit(&cli_actor(), seq, true, &reason)?;
            let last = c.events.last().map_or(0, |e| e.seq());
            say!("saved #{last}: deposit #{seq} approved");
        }
        ApprovalsCmd::Reject { seq, reason } => {
            let c = bank.decide_deposit(&cli_actor(), seq, false, &reason)?;
            say!("saved #{}: deposit #{seq} rejected", c.events[0].seq());
        }
    }
    Ok(())
}

pub fn expire(store: Option<PathBuf>, a: ExpireArgs) -> CliResult {
    let bank = open_bank(store)?;
    let today = match &a.as_of {
        Some(d) => Day::parse(d)?,
        None => bank.today(),
    };
    let plan = if a.dry_run {
        bank.expiry_plan(today)?
    } else {
        bank.rules()?.expiry_months.map(|_| bank.expire(&cli_actor(), today)).transpose()?
    };
    let Some(plan) = plan else {
        return Err(Failure::refused("expiry is off; set it with: hourbank rules set --expiry-months N"));
    };
    let mut rows = Vec::new();
    for e in &plan.expiries {
        let v = bank.volunteer_record(e.volunteer)?;
        let (card, name) = v.map(|v| (v.card.to_string(), v.name.to_string())).unwrap_or_default();
        rows.push(vec![card, name, format_hours(u64::from(e.minutes.get()))]);
    }
    output::table(&["card", "name", "hours"], &rows);
    let verb = if a.dry_run { "would expire" } else { "expired" };
    say!(
        "{verb}: {} h from {} volunteers (credited before {})",
        format_hours(plan.total()),
        plan.expiries.len(),
        plan.cutoff
    );
    Ok(())
}
