//! `hourbank donate` and `hourbank pool show|grant`: the donation pool (爱心池). A volunteer
//! gives hours to the pool; an admin grants pool hours to a person in need, with the reason.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use super::entries::{Amount, replayed};
use super::{CardArg, CliResult, open_bank, output};
use crate::bank::{Donation, Mode, Op, PoolGrant, cli_actor};
use crate::domain::format_hours;

#[derive(Debug, Args)]
pub struct DonateArgs {
    #[command(flatten)]
    card: CardArg,
    #[command(flatten)]
    amount: Amount,
    /// A few words from the donor, kept with the entry
    #[arg(long, default_value = "")]
    note: String,
    /// Retry-safe operation id: the same id and request applies once
    #[arg(long)]
    op_id: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PoolCmd {
    /// The pool's balance, what was donated and granted, and every entry
    Show {
        /// Print the pool as JSON (minutes)
        #[arg(long)]
        json: bool,
    },
    /// Grant pool hours to a person in need (admin), with the reason
    Grant {
        #[command(flatten)]
        card: CardArg,
        #[command(flatten)]
        amount: Amount,
        /// Why this person receives hours from the pool (required)
        #[arg(long)]
        reason: String,
        /// Retry-safe operation id: the same id and request applies once
        #[arg(long)]
        op_id: Option<String>,
    },
}

pub fn donate(store: Option<PathBuf>, a: DonateArgs) -> CliResult {
    let bank = open_bank(store)?;
    let d = Donation { card: a.card.parse()?, minutes: a.amount.get()?, note: a.note };
    let c = super::city::execute(&bank, a.op_id.as_deref(), &Op::Donate(d.clone()))?;
    say!(
        "saved #{}: {} {} → pool, pool balance {}h{}{}",
        c.events.last().map_or(0, |e| e.seq()),
        d.minutes,
        d.card,
        format_hours(bank.pool()?.balance()),
        super::entries::from_city(&c),
        replayed(c.replayed)
    );
    Ok(())
}

pub fn run(store: Option<PathBuf>, cmd: PoolCmd) -> CliResult {
    let bank = open_bank(store)?;
    match cmd {
        PoolCmd::Show { json } => {
            let view = bank.pool_view()?;
            let p = view.pool;
            if json {
                let lines: Vec<_> = view
                    .lines
                    .iter()
                    .map(|l| {
                        json!({
                            "seq": l.seq,
                            "timestamp": l.at.to_string(),
                            "card_no": l.card,
                            "change_minutes": l.delta,
                            "memo": l.memo,
                            "by": l.actor,
                        })
                    })
                    .collect();
                output::json(&json!({
                    "balance_minutes": p.balance(),
                    "donated_minutes": p.donated,
                    "granted_minutes": p.granted,
                    "entries": lines,
                }));
            } else {
                say!(
                    "pool balance {}h = donated {}h - granted {}h",
                    format_hours(p.balance()),
                    format_hours(p.donated),
                    format_hours(p.granted)
                );
                let rows: Vec<Vec<String>> = view
                    .lines
                    .iter()
                    .map(|l| {
                        let sign = if l.delta < 0 { "-" } else { "+" };
                        vec![
                            l.seq.to_string(),
                            l.at.to_string(),
                            l.card.clone(),
                            format!("{sign}{}", format_hours(l.delta.unsigned_abs())),
                            output::printable(&l.memo).into_owned(),
                            l.actor.clone(),
                        ]
                    })
                    .collect();
                output::table(&["seq", "recorded", "card", "hours", "memo", "by"], &rows);
            }
            Ok(())
        }
        PoolCmd::Grant { card, amount, reason, op_id } => {
            let g = PoolGrant { card: card.parse()?, minutes: amount.get()?, reason };
            let c =
                bank.execute(&cli_actor(), &Op::GrantFromPool(g.clone()), Mode::commit(op_id.as_deref()))?;
            say!(
                "saved #{}: pool → {} {}, pool balance {}h{}",
                c.first_seq(),
                g.card,
                g.minutes,
                format_hours(bank.pool()?.balance()),
                replayed(c.replayed)
            );
            Ok(())
        }
    }
}
