//! A volunteer's statement (存折): every entry that moved their hours, oldest first, with the
//! running balance after it — what a paper passbook shows.

use std::io::Write;

use super::export::ExportError;
use super::sheet::{Cell, Sheet, col, hours_col};
use crate::bank::Bank;
use crate::domain::CardNo;
use crate::domain::privacy::{mask_card, mask_name};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    pub seq: u64,
    pub day: String,
    pub kind: &'static str,
    /// What the passbook calls it.
    pub word: &'static str,
    pub memo: String,
    pub delta: i64,
    pub balance: i64,
    /// A deposit's service date (held or credited).
    pub served_on: Option<String>,
    /// A transfer's other volunteer, by card: masked where the holder's own card is.
    pub counterpart: Option<String>,
}

impl StatementLine {
    /// What the line says: its memo, a transfer's other card masked unless `full`.
    pub fn memo(&self, full: bool) -> String {
        match &self.counterpart {
            Some(card) if !full => self.memo.replace(card.as_str(), &mask_card(card)),
            _ => self.memo.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub card: String,
    pub name: String,
    pub lines: Vec<StatementLine>,
}

impl Statement {
    /// The balance after the last line (equal to the account's: the tests hold the two together).
    pub fn balance(&self) -> i64 {
        self.lines.last().map_or(0, |l| l.balance)
    }
}

/// The passbook's lines: this counter's entries that moved the volunteer's hours (not the
/// sync's moves to and from the card's city pool: the hours stay theirs). In a city, a last
/// line brings in what the card holds at every other counter and in its pool, so that the
/// passbook closes on the city balance as every screen shows it (its memo: the city-wide
/// service hours and when the city's figures are from).
pub fn statement(bank: &Bank, card: &CardNo) -> Result<Statement, ExportError> {
    let view = bank.find_card(card)?;
    let mut balance: i64 = 0;
    let mut lines = Vec::new();
    for line in bank.history(view.id)? {
        if line.delta == 0 || !line.is_the_volunteers() {
            continue;
        }
        balance += line.delta;
        let counterpart = match line.event.kind() {
            crate::domain::EventKind::Transferred { from, to, .. } => {
                let other = if *from == view.id { *to } else { *from };
                bank.volunteer(other).ok().map(|v| v.volunteer.card.to_string())
            }
            _ => None,
        };
        lines.push(StatementLine {
            seq: line.seq,
            day: line.day(),
            kind: line.event.kind().name(),
            word: passbook_word(line.event.kind(), line.delta),
            memo: line.memo.clone(),
            delta: line.delta,
            balance,
            served_on: line.served_on().map(|d| d.to_string()),
            counterpart,
        });
    }
    if let Some(city) = bank.city_balance_if_any(card)? {
        let elsewhere = city.total() as i64 - balance;
        let zh = crate::i18n::Lang::Zh.text();
        let as_of = city.as_of.map_or_else(String::new, |at| {
            at.datetime().with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string()
        });
        lines.push(StatementLine {
            seq: 0,
            day: as_of.get(..10).unwrap_or_default().to_string(),
            kind: ELSEWHERE,
            word: zh.passbook_elsewhere,
            memo: crate::i18n::fill(
                zh.passbook_elsewhere_memo,
                &[&crate::domain::format_hours(city.earned), &as_of],
            ),
            delta: elsewhere,
            balance: balance + elsewhere,
            served_on: None,
            counterpart: None,
        });
    }
    Ok(Statement { card: view.volunteer.card.to_string(), name: view.volunteer.name.to_string(), lines })
}

/// The `kind` of the passbook's last line in a city: the card's hours at other counters and in
/// its city pool (its `seq` is empty in the CSV).
pub const ELSEWHERE: &str = "city_elsewhere";

/// `seq,date,kind,memo,change_minutes,balance_minutes,served_on` (date: the day recorded;
/// served_on: a deposit's service date when it differs, else empty — last, so the first six
/// columns are unchanged); returns the rows written and the final balance.
pub fn export_statement(bank: &Bank, card: &CardNo, out: impl Write) -> Result<(usize, i64), ExportError> {
    let s = statement(bank, card)?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["seq", "date", "kind", "memo", "change_minutes", "balance_minutes", "served_on"])?;
    for l in &s.lines {
        w.write_record([
            if l.kind == ELSEWHERE { String::new() } else { l.seq.to_string() },
            l.day.clone(),
            l.kind.to_string(),
            super::sheet::inert(&l.memo).into_owned(),
            l.delta.to_string(),
            l.balance.to_string(),
            l.served_on.clone().unwrap_or_default(),
        ])?;
    }
    w.flush()?;
    Ok((s.lines.len(), s.balance()))
}

/// How an entry reads in a passbook (a Chinese document): its movement's word for this
/// volunteer — a transfer's side by the sign of `delta` — or 冲正 for a reversal.
fn passbook_word(kind: &crate::domain::EventKind, delta: i64) -> &'static str {
    let zh = crate::i18n::Lang::Zh.text();
    if let crate::domain::EventKind::Reversed { .. } = kind {
        return zh.kind_reversal;
    }
    let moved = crate::domain::movements(kind);
    let side = moved.iter().find(|m| m.movement.adds() == (delta > 0)).or(moved.first());
    // Every entry that changes a balance moves hours: `kind_other` is for none of them.
    side.map_or(zh.kind_other, |m| zh.movement(m.movement))
}

impl Statement {
    /// The passbook as one sheet: credits and debits in their own columns (hours), the
    /// balance after each line; the totals row sums credits and debits.
    pub fn sheets(&self, full: bool) -> Vec<Sheet> {
        let (card, name) = if full {
            (self.card.clone(), self.name.clone())
        } else {
            (mask_card(&self.card), mask_name(&self.name))
        };
        let rows = self
            .lines
            .iter()
            .map(|l| {
                vec![
                    Cell::text(&l.day),
                    Cell::text(if l.kind == ELSEWHERE { String::new() } else { format!("#{}", l.seq) }),
                    Cell::text(l.word),
                    Cell::text(l.memo(full)),
                    Cell::hours(l.delta.max(0) as u64),
                    Cell::hours(l.delta.min(0).unsigned_abs()),
                    Cell::hours(l.balance.max(0) as u64),
                    Cell::text(l.served_on.as_deref().unwrap_or("")),
                ]
            })
            .collect();
        let mut sheet = Sheet::new(
            format!("存折 {card} {name}"),
            &[
                col("日期", 12.0),
                col("流水号", 10.0),
                col("类型", 8.0),
                col("摘要", 30.0),
                hours_col("收入小时", 10.0),
                hours_col("支出小时", 10.0),
                hours_col("余额小时", 10.0),
                col("服务日期", 12.0),
            ],
            rows,
            true,
        );
        // The balance column is not a sum: its total is the closing balance.
        sheet.closing_balance = Some((6, self.balance().max(0) as u64));
        vec![sheet]
    }
}
