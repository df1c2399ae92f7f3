//! `hourbank activity|reward|staff|settings …`: the catalog, staff and rules.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use super::prompt::read_pin;
use super::{CliResult, Failure, open_bank, output};
use crate::bank::{NewReward, NewStaff, cli_actor};
use crate::domain::{Day, Minutes, Name, RewardKind, Role, Settings, StaffId, format_hours};

#[derive(Debug, Subcommand)]
pub enum ActivityCmd {
    /// Add an activity hours can be recorded for
    Add {
        /// The activity's name
        name: String,
        /// Category, for multipliers and reports (e.g. 环保, 助老)
        #[arg(long, default_value = "")]
        category: String,
        /// Retry-safe operation id: the same id and request applies once
        #[arg(long)]
        op_id: Option<String>,
    },
    /// Rename one (a name typed wrong); entries recorded for it show the new name
    Rename {
        /// Activity name or id
        activity: String,
        /// The new name
        name: String,
    },
    /// Retire one: no new hours are recorded for it (its entries stay); --restore brings it back
    Retire {
        /// Activity name or id
        activity: String,
        /// Bring a retired activity back
        #[arg(long)]
        restore: bool,
    },
    /// List them
    List,
}

#[derive(Debug, Subcommand)]
pub enum RewardCmd {
    /// Add a gift, voucher or course to the catalog
    Add(RewardAddArgs),
    /// List the rewards with their price and stock
    List {
        /// Print the answer as JSON
        #[arg(long)]
        json: bool,
    },
    /// Add stock (or course seats)
    Restock {
        /// Reward name or id
        reward: String,
        /// How many units
        #[arg(long)]
        qty: u32,
        /// Retry-safe operation id: the same id and request applies once
        #[arg(long)]
        op_id: Option<String>,
    },
    /// Take a reward out of the catalog (its history stays)
    Retire {
        /// Reward name or id
        reward: String,
        /// Retry-safe operation id: the same id and request applies once
        #[arg(long)]
        op_id: Option<String>,
    },
    /// Change the price of one unit (redemptions already made keep theirs)
    Price {
        /// Reward name or id
        reward: String,
        /// New cost, e.g. 3h or 90m
        #[arg(long)]
        cost: String,
        /// Retry-safe operation id: the same id and request applies once
        #[arg(long)]
        op_id: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct RewardAddArgs {
    /// Name as people see it (at most 64 characters)
    #[arg(long)]
    name: String,
    /// gift, voucher or course
    #[arg(long, default_value = "gift")]
    kind: String,
    /// Price of one unit, as a duration (10, 2h30m, 150m, 2小时30分)
    #[arg(long)]
    cost: String,
    /// Units or seats in stock; omit for an unlimited item
    #[arg(long)]
    stock: Option<u32>,
    /// For a course: the date it takes place
    #[arg(long)]
    course_date: Option<String>,
    /// For a voucher: the partner who honours it (the settlement report groups by it)
    #[arg(long, default_value = "")]
    merchant: String,
    /// Retry-safe operation id: the same id and request applies once
    #[arg(long)]
    op_id: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum StaffCmd {
    /// Add a staff member (PIN read from stdin)
    Add {
        /// Staff id (letters and digits, e.g. S01)
        #[arg(long)]
        id: String,
        /// Name as people see it (at most 64 characters)
        #[arg(long)]
        name: String,
        /// Give this staff member admin rights (catalog, staff, rules, reports)
        #[arg(long, conflicts_with = "role")]
        admin: bool,
        /// staff, admin, verifier (verifies civic points: 社工) or approver (approves them: 社区党组织)
        #[arg(long)]
        role: Option<String>,
        /// Retry-safe operation id: the same id and request applies once
        #[arg(long)]
        op_id: Option<String>,
    },
    /// List them
    List,
    /// Disable a staff member (their entries stay; they can no longer log in)
    Disable {
        /// Staff id (e.g. S01)
        id: String,
        /// Retry-safe operation id: the same id and request applies once
        #[arg(long)]
        op_id: Option<String>,
    },
    /// Lift a lock left by wrong PINs (journalled)
    Unlock {
        /// Staff id (e.g. S01)
        id: String,
    },
    /// Set a new PIN for a staff member (read like `init` reads one; journalled)
    Pin {
        /// Staff id (e.g. S01)
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SettingsCmd {
    /// Show the current values (also in `rules show`)
    Show,
    /// Change them (only the options given; also `rules set --entry-cap/--transfer-limit`)
    Set {
        /// Largest single entry (default 24h)
        #[arg(long)]
        entry_cap: Option<String>,
        /// Largest single transfer between volunteers (default 10h)
        #[arg(long)]
        transfer_limit: Option<String>,
        /// Retry-safe operation id: the same id and request applies once
        #[arg(long)]
        op_id: Option<String>,
    },
}

pub fn activity(store: Option<PathBuf>, cmd: ActivityCmd) -> CliResult {
    let bank = open_bank(store)?;
    match cmd {
        ActivityCmd::Add { name, category, op_id } => {
            let e = bank.add_activity(&cli_actor(), op_id.as_deref(), &Name::parse(&name)?, &category)?;
            say!("saved #{}: activity {name} (id {})", e.seq(), e.seq());
        }
        ActivityCmd::Rename { activity, name } => {
            let (id, _) = bank.find_activity(&activity)?;
            let retired = bank.retired_activities()?.contains(&id);
            let e = bank.change_activity(&cli_actor(), None, id, &Name::parse(&name)?, retired)?;
            say!("saved #{}: activity {id} is now {name}", e.seq());
        }
        ActivityCmd::Retire { activity, restore } => {
            let (id, a) = bank.find_activity(&activity)?;
            let e = bank.change_activity(&cli_actor(), None, id, &a.name, !restore)?;
            let what = if restore { "back in the catalog" } else { "retired" };
            say!("saved #{}: activity {} is {what}", e.seq(), a.name);
        }
        ActivityCmd::List => {
            let retired = bank.retired_activities()?;
            let rows: Vec<Vec<String>> = bank
                .activities()?
                .into_iter()
                .map(|(id, a)| {
                    let state = if retired.contains(&id) { "retired" } else { "" };
                    vec![id.to_string(), a.name.to_string(), a.category, state.to_string()]
                })
                .collect();
            output::table(&["id", "name", "category", "state"], &rows);
        }
    }
    Ok(())
}

pub fn reward(store: Option<PathBuf>, cmd: RewardCmd) -> CliResult {
    let bank = open_bank(store)?;
    let who = cli_actor();
    match cmd {
        RewardCmd::Add(a) => {
            let new = NewReward {
                name: Name::parse(&a.name)?,
                kind: RewardKind::parse(&a.kind)?,
                cost: Minutes::parse(&a.cost)?,
                stock: a.stock,
                course_date: a.course_date.as_deref().map(Day::parse).transpose()?,
                merchant: a.merchant,
            };
            let e = bank.add_reward(&who, a.op_id.as_deref(), &new)?;
            say!("saved #{}: reward {} (id {}) costs {}", e.seq(), new.name, e.seq(), new.cost);
        }
        RewardCmd::List { json } => {
            let all = bank.rewards()?;
            if json {
                let items: Vec<serde_json::Value> = all
                    .iter()
                    .map(|r| {
                        json!({"id": r.id, "name": r.reward.name.as_str(), "kind": r.reward.kind.as_str(),
                               "cost_minutes": r.reward.cost.get(), "stock": r.reward.limited.then_some(r.stock),
                               "active": r.reward.active, "merchant": r.reward.merchant})
                    })
                    .collect();
                output::json(&serde_json::Value::Array(items));
            } else {
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .map(|r| {
                        vec![
                            r.id.to_string(),
                            r.reward.name.to_string(),
                            r.reward.kind.as_str().into(),
                            format_hours(u64::from(r.reward.cost.get())),
                            if r.reward.limited { r.stock.to_string() } else { "∞".into() },
                            if r.reward.active { "active".into() } else { "retired".into() },
                        ]
                    })
                    .collect();
                output::table(&["id", "name", "kind", "cost h", "stock", "status"], &rows);
            }
        }
        RewardCmd::Restock { reward, qty, op_id } => {
            let r = bank.find_reward(&reward)?;
            let e = bank.restock(&who, op_id.as_deref(), r.id, qty)?;
            say!("saved #{}: {} stock {} → {}", e.seq(), r.reward.name, r.stock, r.stock.saturating_add(qty));
        }
        RewardCmd::Retire { reward, op_id } => {
            let r = bank.find_reward(&reward)?;
            let e = bank.retire_reward(&who, op_id.as_deref(), r.id)?;
            say!("saved #{}: {} retired", e.seq(), r.reward.name);
        }
        RewardCmd::Price { reward, cost, op_id } => {
            let r = bank.find_reward(&reward)?;
            let cost = Minutes::parse(&cost)?;
            let e = bank.reprice_reward(&who, op_id.as_deref(), r.id, cost)?;
            say!("saved #{}: {} costs {} (was {})", e.seq(), r.reward.name, cost, r.reward.cost);
        }
    }
    Ok(())
}

pub fn staff(store: Option<PathBuf>, cmd: StaffCmd) -> CliResult {
    let bank = open_bank(store)?;
    match cmd {
        StaffCmd::Add { id, name, admin, role, op_id } => {
            let staff_id = StaffId::parse(&id)?;
            let name = Name::parse(&name)?;
            let role = match (admin, role.as_deref().map(str::trim)) {
                (true, _) | (_, Some("admin")) => Role::Admin,
                (_, None | Some("staff")) => Role::Staff,
                (_, Some("verifier")) => Role::Verifier,
                (_, Some("approver")) => Role::Approver,
                (_, Some(other)) => {
                    return Err(super::Failure::bad_input(format!(
                        "role {other:?} must be staff, admin, verifier or approver"
                    )));
                }
            };
            let pin = read_pin("staff")?;
            let e =
                bank.add_staff(&cli_actor(), op_id.as_deref(), NewStaff { id: staff_id, name, role, pin })?;
            say!("saved #{}: staff {id}", e.seq());
        }
        StaffCmd::List => {
            let rows: Vec<Vec<String>> = bank
                .staff_members()?
                .into_iter()
                .map(|s| {
                    vec![
                        s.id.to_string(),
                        s.name.to_string(),
                        format!("{:?}", s.role).to_lowercase(),
                        if s.disabled { "disabled".into() } else { "active".into() },
                    ]
                })
                .collect();
            output::table(&["id", "name", "role", "status"], &rows);
        }
        StaffCmd::Disable { id, op_id } => {
            let e = bank.disable_staff(&cli_actor(), op_id.as_deref(), &StaffId::parse(&id)?)?;
            say!("saved #{}: staff {id} disabled", e.seq());
        }
        StaffCmd::Pin { id } => {
            let staff_id = StaffId::parse(&id)?;
            let pin = read_pin("staff")?;
            let e = bank.reset_staff_pin(&cli_actor(), &staff_id, &pin)?;
            say!("saved #{}: new PIN for staff {id}", e.seq());
        }
        StaffCmd::Unlock { id } => {
            let subject = crate::domain::LoginSubject::Staff(StaffId::parse(&id)?);
            let seq = bank.unlock(&cli_actor(), &subject)?;
            say!("saved #{seq}: staff {id} unlocked");
        }
    }
    Ok(())
}

pub fn settings(store: Option<PathBuf>, cmd: SettingsCmd) -> CliResult {
    let bank = open_bank(store)?;
    let current = bank.settings()?;
    match cmd {
        SettingsCmd::Show => {
            say!("entry_cap {}\ntransfer_limit {}", current.entry_cap, current.transfer_limit);
        }
        SettingsCmd::Set { entry_cap, transfer_limit, op_id } => {
            if entry_cap.is_none() && transfer_limit.is_none() {
                return Err(Failure::bad_input(
                    "nothing to change: give --entry-cap and/or --transfer-limit",
                ));
            }
            let parse = |t: Option<String>, d: Minutes| {
                t.map(|t| Minutes::parse(&t)).transpose().map(|m| m.unwrap_or(d))
            };
            let new = Settings {
                entry_cap: parse(entry_cap, current.entry_cap)?,
                transfer_limit: parse(transfer_limit, current.transfer_limit)?,
            };
            let e = bank.change_settings(&cli_actor(), op_id.as_deref(), new)?;
            say!("saved #{}: entry_cap {} transfer_limit {}", e.seq(), new.entry_cap, new.transfer_limit);
        }
    }
    Ok(())
}
