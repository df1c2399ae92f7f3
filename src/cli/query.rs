//! `hourbank balance|history|check`.

use std::path::PathBuf;

use chrono::Local;
use clap::Args;
use serde_json::json;

use super::{CliResult, Failure, exit, open_bank, output};
use crate::domain::format_hours;

#[derive(Debug, Args)]
pub struct CardArgs {
    #[command(flatten)]
    card: super::CardArg,
    /// Print the answer as JSON (minutes)
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
}

pub fn balance(store: Option<PathBuf>, a: CardArgs) -> CliResult {
    let bank = open_bank(store)?;
    let card = a.card.parse()?;
    let city = bank.city_balance(&card)?;
    // A volunteer registered at another counter only has a city balance here.
    let v = match bank.find_card(&card) {
        Ok(v) => v,
        Err(e) => match bank.city_listing(&card)? {
            Some(elsewhere) => crate::bank::VolunteerView {
                id: 0,
                volunteer: elsewhere.record,
                account: crate::domain::Account::default(),
            },
            None => return Err(e.into()),
        },
    };
    if a.json {
        output::json(&json!({
            "card_no": v.volunteer.card.as_str(),
            "name": v.volunteer.name.as_str(),
            // The volunteer's balance is the city's, as of the last sync (this counter's own
            // where there is no city); what this counter holds of it is `here_minutes`.
            "balance_minutes": city.total(),
            "here_minutes": v.account.balance(),
            // Earned at every counter (what stars and certificates count); the parts after it
            // are this counter's entries.
            "earned_minutes": city.earned,
            "here_earned_minutes": v.account.earned,
            "redeemed_minutes": v.account.redeemed,
            "received_minutes": v.account.received,
            "given_minutes": v.account.given,
            "adjusted_in_minutes": v.account.adjusted_in,
            "adjusted_out_minutes": v.account.adjusted_out,
            "to_city_minutes": v.account.to_city,
            "from_city_minutes": v.account.from_city,
            "city_balance_minutes": city.total(),
            "spendable_here_offline_minutes": city.spendable(false),
            "city_pool_minutes": city.pooled,
            "city_as_of": city.as_of.map(|t| t.to_string()),
        }));
    } else {
        // The figures add up: earned, then every other total that is not zero — the city's in a
        // city (hours moved to and from the card's pool are neither in nor out), with this
        // counter's part after.
        let in_city = city.is_a_citys();
        let mut sum = format!("earned {}h", format_hours(city.earned));
        if in_city {
            if city.received > 0 {
                sum.push_str(&format!(" + received {}h", format_hours(city.received)));
            }
            if city.debits() > 0 {
                sum.push_str(&format!(" - spent {}h", format_hours(city.debits())));
            }
            say!(
                "{} {}: balance {}h = {sum}; here {}h",
                v.volunteer.card,
                v.volunteer.name,
                format_hours(city.total()),
                format_hours(v.account.balance())
            );
        } else {
            for (part, minutes) in v.account.parts() {
                if minutes > 0 && part != crate::domain::AccountPart::Earned {
                    let sign = if part.adds() { " + " } else { " - " };
                    sum.push_str(&format!("{sign}{} {}h", part.name(), format_hours(minutes)));
                }
            }
            say!(
                "{} {}: balance {}h = {sum}",
                v.volunteer.card,
                v.volunteer.name,
                format_hours(city.total())
            );
        }
        if let Some(as_of) = city.as_of {
            let at: Vec<String> =
                city.elsewhere.iter().map(|(code, m)| format!("{code} {}h", format_hours(*m))).collect();
            say!(
                "city balance {}h (here {}h{}{}), as of {}",
                format_hours(city.total()),
                format_hours(city.here),
                if at.is_empty() { "" } else { ", " },
                at.join(", "),
                as_of.datetime().with_timezone(&Local).format("%Y-%m-%d %H:%M:%S")
            );
        }
    }
    Ok(())
}

pub fn history(store: Option<PathBuf>, a: CardArgs) -> CliResult {
    let bank = open_bank(store)?;
    let v = bank.find_card(&a.card.parse()?)?;
    let lines = bank.history(v.id)?;
    if a.json {
        let items: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| {
                json!({
                    "seq": l.seq,
                    "timestamp": l.event.body.at.to_string(),
                    "kind": l.event.kind().name(),
                    "served_on": l.served_on().map(|d| d.to_string()),
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
                    l.served_on().map(|d| d.to_string()).unwrap_or_default(),
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
    use crate::bank::{BankError, CheckReport, Problem};
    let report = match super::open_bank_as(store)? {
        Ok(bank) => bank.check()?,
        // A store whose sled lost saved entries is not opened for writing, but check still
        // answers: that is its first problem.
        Err(BankError::Store(e @ crate::bank::StoreError::LostEntries { sled_last, .. })) => CheckReport {
            ok: false,
            events: sled_last,
            problems: vec![Problem { invariant: 4, detail: e.to_string() }],
        },
        Err(e) => return Err(e.into()),
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
