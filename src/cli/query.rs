//! `hourbank balance|history|check`.

use std::path::PathBuf;

use chrono::Local;
use clap::Args;
use serde_json::json;

use super::{CliResult, Failure, exit, open_bank, output};
use crate::domain::{CardNo, format_hours};

#[derive(Debug, Args)]
pub struct CardArgs {
    card: String,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[arg(long)]
    json: bool,
}

pub fn balance(store: Option<PathBuf>, a: CardArgs) -> CliResult {
    let bank = open_bank(store)?;
    let v = bank.find_card(&CardNo::parse(&a.card)?)?;
    if a.json {
        output::json(&json!({
            "card_no": v.volunteer.card.as_str(),
            "name": v.volunteer.name.as_str(),
            "balance_minutes": v.account.balance(),
            "earned_minutes": v.account.earned,
            "redeemed_minutes": v.account.redeemed,
            "received_minutes": v.account.received,
            "given_minutes": v.account.given,
        }));
    } else {
        say!(
            "{} {}: balance {}h (earned {}h, redeemed {}h)",
            v.volunteer.card,
            v.volunteer.name,
            format_hours(v.account.balance()),
            format_hours(v.account.earned),
            format_hours(v.account.redeemed)
        );
    }
    Ok(())
}

pub fn history(store: Option<PathBuf>, a: CardArgs) -> CliResult {
    let bank = open_bank(store)?;
    let v = bank.find_card(&CardNo::parse(&a.card)?)?;
    let lines = bank.history(v.id)?;
    if a.json {
        let items: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| {
                json!({
                    "seq": l.seq,
                    "timestamp": l.event.body.at.to_string(),
                    "kind": l.event.kind().name(),
                    "served_on": served_on(l).map(|d| d.to_string()),
                    "delta_minutes": l.delta,
                    "memo": l.memo,
                    "actor": l.event.body.actor.to_string(),
                    "reversed_by": l.reversed_by,
                })
            })
            .collect();
        output::json(&json!({"card_no": v.volunteer.card.as_str(), "entries": items}));
    } else {
        let rows: Vec<Vec<String>> = lines
            .iter()
            .map(|l| {
                let sign = if l.delta < 0 {
                    "-"
                } else if l.delta > 0 {
                    "+"
                } else {
                    ""
                };
                vec![
                    format!("#{}", l.seq),
                    l.event.body.at.datetime().with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string(),
                    served_on(l).map(|d| d.to_string()).unwrap_or_default(),
                    l.event.kind().name().to_string(),
                    format!("{sign}{}", format_hours(l.delta.unsigned_abs())),
                    l.memo.clone(),
                    l.event.body.actor.to_string(),
                    l.reversed_by.map(|s| format!("reversed by #{s}")).unwrap_or_default(),
                ]
            })
            .collect();
        say!("{} {}  balance {}h", v.volunteer.card, v.volunteer.name, format_hours(v.account.balance()));
        output::table(&["seq", "recorded", "served", "kind", "hours", "memo", "by", ""], &rows);
    }
    Ok(())
}

pub fn check(store: Option<PathBuf>, a: CheckArgs) -> CliResult {
    let report = match open_bank(store.clone()) {
        Ok(bank) => bank.check()?,
        // A store whose sled lost saved entries is not opened for writing, but check still
        // answers: that is its first problem.
        Err(_) if let Some(report) = lost_entries(store)? => report,
        Err(e) => return Err(e),
    };
    if a.json {
        output::json(&serde_json::to_value(&report).map_err(|e| Failure::bad_input(e.to_string()))?);
    } else {
        for p in &report.problems {
            say!("invariant {}: {}", p.invariant, p.detail);
        }
        say!(
            "{} events, {}",
            report.events,
            if report.ok { "all invariants hold" } else { "PROBLEMS FOUND" }
        );
    }
    if report.ok {
        Ok(())
    } else {
        Err(Failure {
            code: exit::REFUSED,
            // With --json the report printed is the answer (`"ok":false`): no second JSON.
            message: match report.problems.len() {
                _ if a.json => String::new(),
                1 => "check found 1 problem".to_string(),
                n => format!("check found {n} problems"),
            },
        })
    }
}

/// The check report of a store whose journal copy is ahead of sled, if that is why it did not
/// open.
fn lost_entries(store: Option<PathBuf>) -> Result<Option<crate::bank::CheckReport>, Failure> {
    let dir = super::store_dir(store)?;
    match crate::bank::Bank::open(&dir) {
        Err(crate::bank::BankError::Store(e @ crate::store::StoreError::LostEntries { sled_last, .. })) => {
            Ok(Some(crate::bank::CheckReport {
                ok: false,
                events: sled_last,
                problems: vec![crate::bank::Problem { invariant: 4, detail: e.to_string() }],
            }))
        }
        _ => Ok(None),
    }
}

/// The service day of a deposit line (it may be days before the entry was recorded).
fn served_on(l: &crate::bank::HistoryLine) -> Option<crate::domain::Day> {
    match l.event.kind() {
        crate::domain::EventKind::Deposited { served_on, .. } => Some(*served_on),
        _ => None,
    }
}
