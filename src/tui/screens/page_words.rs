//! What the volunteer page (and the screens opened from it) says about a volunteer's hours:
//! the city balance line, each entry's word and signed hours, the in/out totals, titles.
//! Drawn from `i18n`; no state.

use crate::bank::{Bank, CityBalance, HistoryLine, VolunteerView};
use crate::domain::{Account, EventKind, format_hours};
use crate::i18n::{Text, fill};

/// The balance a person sees: the volunteer's city balance as of the last sync (this counter's
/// own outside a city, or when the city's figure cannot be read).
pub fn balance(bank: &Bank, v: &VolunteerView) -> u64 {
    let city = bank.city_balances_reader().and_then(|city| city.of(&v.volunteer.card, &v.account));
    city.map_or(v.account.balance(), |c| c.total())
}

/// The city balance, what of it can be spent here now (all of it online but what other
/// counters hold; this counter's share offline), and how fresh it is: under the large digits.
pub fn city_line(t: &Text, city: &CityBalance, link: crate::city::Reach) -> String {
    // A card of two people: the figures are this counter's person's alone, and that is what
    // the line says instead of where the rest of a city balance is.
    if let Some(c) = &city.conflict {
        return fill(t.city_conflict_line, &[&c.counters()]);
    }
    let hours = format_hours(city.total());
    match city.as_of {
        Some(at) => {
            let at = at.datetime().with_timezone(&chrono::Local).format("%m-%d %H:%M").to_string();
            match link {
                crate::city::Reach::Online => {
                    fill(t.city_spendable_online, &[&hours, &format_hours(city.spendable(true)), &at])
                }
                crate::city::Reach::Offline => {
                    fill(t.city_spendable_offline, &[&hours, &format_hours(city.spendable(false)), &at])
                }
                crate::city::Reach::None => fill(t.city_balance_as_of, &[&hours, &at]),
            }
        }
        None => fill(t.city_balance_incomplete, &[&hours]),
    }
}

/// The city line's colour: a warning for a card in conflict.
pub fn city_line_style(theme: &crate::tui::theme::Theme, city: &CityBalance) -> ratatui::style::Style {
    if city.conflict.is_some() { theme.warning } else { theme.accent }
}

pub fn kind_label(t: &Text, kind: &EventKind) -> &'static str {
    match kind {
        EventKind::Reversed { .. } => return t.kind_reversal,
        EventKind::DepositHeld { .. } => return t.kind_held,
        EventKind::DepositDecided { approved: true, .. } => return t.kind_approved,
        EventKind::DepositDecided { approved: false, .. } => return t.kind_rejected,
        _ => {}
    }
    crate::domain::movements(kind).first().map_or(t.kind_other, |m| screen_word(t, m.movement))
}

/// A history's kind column: as wide as its widest word on screen ("from city pool" was cut to
/// "From cit"), never narrower than the usual words, and at most 14 cells.
pub fn kind_cols<'a>(t: &Text, kinds: impl Iterator<Item = &'a EventKind>) -> u16 {
    let widest = kinds.map(|k| crate::tui::widgets::width(kind_label(t, k))).max().unwrap_or(0);
    widest.clamp(8, 14) as u16
}

/// A movement's word on a screen's history: a transfer's and an adjustment's side is in the
/// hours column's sign, so the word stays short enough for the column.
pub fn screen_word(t: &Text, movement: crate::domain::Movement) -> &'static str {
    use crate::domain::Movement as M;
    match movement {
        M::TransferIn | M::TransferOut => t.kind_transfer,
        M::AdjustCredit | M::AdjustDebit => t.kind_adjust,
        other => t.movement(other),
    }
}

/// The figures a person sees of a volunteer's hours: the city's as of the last sync when this
/// counter takes part in a city (`city`), else this counter's own (then the same numbers).
pub fn hours_shown(a: &Account, city: Option<&CityBalance>) -> CityBalance {
    city.cloned().unwrap_or_else(|| CityBalance::of_account(a))
}

/// What a balance is made of, as two rows that add up to it: everything that came in, and
/// everything that went out, each with its parts when there is more than one. City-wide
/// (`hours`); hours moved between a counter and the card's city pool are the volunteer's own
/// and neither. The parts of what went out are this counter's (`a`): they are shown only when
/// no other counter holds any of the card.
pub fn in_and_out(t: &Text, a: &Account, hours: &CityBalance) -> [(&'static str, String); 2] {
    let with_parts = |total: u64, parts: &[(&str, u64)]| {
        let named: Vec<String> =
            parts.iter().filter(|(_, m)| *m > 0).map(|(n, m)| format!("{n} {}", format_hours(*m))).collect();
        let mut text = format!("{} {}", format_hours(total), t.hours_unit);
        if named.len() > 1 {
            text.push_str(&format!(" ({})", named.join(", ")));
        }
        text
    };
    let credits =
        with_parts(hours.credits(), &[(t.part_earned, hours.earned), (t.part_other_in, hours.received)]);
    let debits = if hours.elsewhere.is_empty() {
        let parts =
            [(t.part_redeemed, a.redeemed), (t.part_given, a.given), (t.part_adjusted_out, a.adjusted_out)];
        with_parts(hours.debits(), &parts)
    } else {
        with_parts(hours.debits(), &[])
    };
    [(t.credits, credits), (t.debits, debits)]
}

/// A history line's memo, with the service date in front when it is not the day the line was
/// recorded (month and day; the year too when it differs).
pub fn memo_with_service_date(t: &Text, line: &HistoryLine, memo: &str) -> String {
    match line.served_apart() {
        Some(day) => {
            let shown = if chrono::Datelike::year(&day.date())
                == chrono::Datelike::year(&line.recorded_on().date())
            {
                day.to_string()[5..].to_string()
            } else {
                day.to_string()
            };
            format!("{} {memo}", fill(t.served_on_note, &[&shown]))
        }
        None => memo.to_string(),
    }
}

/// The title of a screen about one volunteer: what it is, who, and their balance.
/// A form's title: what it does, for whom, and their balance (the city's: see [`balance`]).
pub fn title(t: &Text, what: &str, v: &VolunteerView, balance: u64) -> String {
    let balance = format_hours(balance);
    format!("{what}: {}  {}  {} {balance} {}", v.volunteer.name, v.volunteer.card, t.balance, t.hours_unit)
}

/// A history line's hours: signed (`+2.5`, `-10`), or a held deposit's in brackets (`(+2)`):
/// not in the balance until approved.
pub fn line_hours(line: &HistoryLine) -> String {
    match line.held_minutes() {
        Some(m) => format!("({})", signed_hours(m as i64)),
        None if line.delta == 0 => String::new(),
        None => signed_hours(line.delta),
    }
}

/// Signed hours, e.g. `+2.5` or `-10`.
pub fn signed_hours(delta: i64) -> String {
    let sign = if delta < 0 { "-" } else { "+" };
    format!("{sign}{}", format_hours(delta.unsigned_abs()))
}

/// Minutes of service in each of the 12 months up to `today`'s, oldest first: deposits by the
/// month served, leaving out those later reversed.
pub(super) fn service_by_month(lines: &[HistoryLine], today: crate::domain::Day) -> Vec<u64> {
    use crate::report::Month;
    let months = Month::of(today).last(12);
    let mut minutes = vec![0u64; months.len()];
    for line in lines.iter().filter(|l| l.reversed_by.is_none()) {
        if let EventKind::Deposited { minutes: m, served_on, .. } = line.event.kind()
            && let Some(i) = months.iter().position(|month| *month == Month::of(*served_on))
        {
            minutes[i] += u64::from(m.get());
        }
    }
    minutes
}

/// The detail rows beside the digits (page and kiosk), each value within `room` cells: a value too wide (a total with its
/// parts, `11.5 h (rewards 10, gifts 1.5)`) keeps its total on its row and its parts go on rows
/// of their own under it, wrapped. The third field marks the stars row.
pub fn detail_rows(details: &[(&str, String)], room: usize) -> Vec<(String, String, bool)> {
    let mut rows = Vec::new();
    for (i, (label, value)) in details.iter().enumerate() {
        let stars = i == 3;
        match value.split_once(" (") {
            Some((total, parts)) if crate::tui::widgets::width(value) > room => {
                rows.push((label.to_string(), total.to_string(), stars));
                // Whole parts to a row ("rewards 10,"), never a part cut in two.
                let mut line = String::from("(");
                for part in parts.split_inclusive(", ") {
                    let part = part.trim_end();
                    if line.len() > 1
                        && crate::tui::widgets::width(&line) + 1 + crate::tui::widgets::width(part) > room
                    {
                        rows.push((String::new(), std::mem::take(&mut line), stars));
                    } else if line.len() > 1 {
                        line.push(' ');
                    }
                    line.push_str(part);
                }
                rows.push((String::new(), line, stars));
            }
            _ => rows.push((label.to_string(), value.clone(), stars)),
        }
    }
    rows
}

/// A person's civic points as their page shows them: `120 分 (居民, 本柜台 100, 待审核 10)` —
/// across the city once this counter has taken the city's directory (with what of them it
/// holds here), else this counter's own.
pub fn points_words(t: &Text, p: &crate::bank::PointsView) -> String {
    let w = t.points;
    let mut notes = Vec::new();
    if p.resident {
        notes.push(w.resident.to_string());
    }
    let shown = p.city.map_or(p.balance, |c| c.total());
    if shown != p.balance {
        notes.push(crate::i18n::fill(w.here_note, &[&p.balance]));
    }
    if p.waiting > 0 {
        notes.push(crate::i18n::fill(w.waiting_note, &[&p.waiting]));
    }
    let notes = if notes.is_empty() { String::new() } else { format!(" ({})", notes.join(", ")) };
    format!("{shown} {}{notes}", w.unit)
}
