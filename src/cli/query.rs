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
            "conflict": city.conflict.as_ref().map(|c| c.counters()),
        }));
    } else {
        // The figures add up: earned, then every other total that is not zero — the city's in a
        // city (hours moved to and from the card's pool are neither in nor out), with this
        // counter's part after.
        // In the person's language (English: the words as they always were).
        use crate::domain::AccountPart;
        let t = super::lang::words();
        let h = |m: u64| match t {
            None => format!("{}h", format_hours(m)),
            Some(t) => format!("{} {}", format_hours(m), t.hours_unit),
        };
        let word = |part: AccountPart| match t {
            None => part.name(),
            Some(t) => t.account_part(part),
        };
        let in_city = city.is_a_citys();
        let mut sum = format!("{} {}", word(AccountPart::Earned), h(city.earned));
        if in_city {
            if city.received > 0 {
                sum.push_str(&format!(" + {} {}", word(AccountPart::Received), h(city.received)));
            }
            if city.debits() > 0 {
                let spent = t.map_or("spent", |t| t.balance_spent);
                sum.push_str(&format!(" - {spent} {}", h(city.debits())));
            }
        } else {
            for (part, minutes) in v.account.parts() {
                if minutes > 0 && part != AccountPart::Earned {
                    let sign = if part.adds() { " + " } else { " - " };
                    sum.push_str(&format!("{sign}{} {}", word(part), h(minutes)));
                }
            }
        }
        let (card, name, total) = (&v.volunteer.card, &v.volunteer.name, h(city.total()));
        let here = h(v.account.balance());
        let line = match (t, in_city) {
            (None, true) => format!("{card} {name}: balance {total} = {sum}; here {here}"),
            (None, false) => format!("{card} {name}: balance {total} = {sum}"),
            (Some(t), true) => crate::i18n::fill(t.balance_line_city, &[card, name, &total, &sum, &here]),
            (Some(t), false) => crate::i18n::fill(t.balance_line, &[card, name, &total, &sum]),
        };
        say!("{line}");
        if let Some(c) = &city.conflict {
            let counters = c.counters();
            match t {
                None => say!(
                    "card registered as different people at {counters}: these are the hours of this counter's person; nothing is spent from it until an admin settles it"
                ),
                Some(t) => say!("{}", crate::i18n::fill(t.balance_conflict, &[card, &counters])),
            }
        }
        if let Some(as_of) = city.as_of {
            let at: Vec<String> =
                city.elsewhere.iter().map(|(code, m)| format!("{code} {}", h(*m))).collect();
            let at = if at.is_empty() { String::new() } else { format!(", {}", at.join(", ")) };
            let when = as_of.datetime().with_timezone(&Local).format("%Y-%m-%d %H:%M:%S").to_string();
            let (total, here) = (h(city.total()), h(city.here));
            match t {
                None => say!("city balance {total} (here {here}{at}), as of {when}"),
                Some(t) => say!("{}", crate::i18n::fill(t.balance_city_as_of, &[&total, &here, &at, &when])),
            }
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
        Err(BankError::Store(
            e @ (crate::bank::StoreError::LostEntries { sled_last, .. }
            | crate::bank::StoreError::JournalBehind { sled_last, .. }),
        )) => CheckReport {
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
