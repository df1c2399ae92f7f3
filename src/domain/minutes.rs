//! Durations as integer minutes, and the duration syntax people type at the counter.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::DomainError;

/// A positive-or-zero amount of service time in whole minutes. Never a float: hours are money here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Minutes(u32);

impl Minutes {
    pub const ZERO: Minutes = Minutes(0);

    pub const fn new(minutes: u32) -> Self {
        Minutes(minutes)
    }

    pub const fn from_hours(hours: u32) -> Self {
        Minutes(hours * 60)
    }

    pub const fn get(self) -> u32 {
        self.0
    }

    pub fn checked_mul(self, factor: u32) -> Option<Minutes> {
        self.0.checked_mul(factor).map(Minutes)
    }

    /// Parses what staff type: `2.5` (hours), `2h30m`, `150m`, `2小时30分`, `90分钟`, `3h`.
    /// Fractions of hours must come out to whole minutes (`2.51` is refused, not rounded).
    pub fn parse(text: &str) -> Result<Minutes, DomainError> {
        parse_duration(text).ok_or_else(|| DomainError::Duration(text.trim().to_string()))
    }

    /// An amount for one journal entry: more than zero and at most `cap`.
    pub fn entry(self, cap: Minutes) -> Result<Minutes, DomainError> {
        if self.0 == 0 {
            return Err(DomainError::ZeroMinutes);
        }
        if self > cap {
            return Err(DomainError::OverCap { minutes: self, cap });
        }
        Ok(self)
    }
}

/// Formats as hours with up to two decimals, the way the paper ledgers write it: `12.5h`, `0.25h`.
impl fmt::Display for Minutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}h", format_hours(u64::from(self.0)))
    }
}

/// `750` → `12.5`; exact for every multiple of 0.6 minutes, otherwise `h:mm`-free decimal with 2 places.
pub fn format_hours(minutes: u64) -> String {
    let hours = minutes / 60;
    let rest = minutes % 60;
    if rest == 0 {
        return hours.to_string();
    }
    // Hundredths of an hour, rounded half up; shown without trailing zeros.
    let hundredths = (rest * 100 + 30) / 60;
    if hundredths == 100 {
        return (hours + 1).to_string();
    }
    let s = format!("{hours}.{hundredths:02}");
    s.trim_end_matches('0').to_string()
}

fn parse_duration(text: &str) -> Option<Minutes> {
    let t: String = text.trim().to_lowercase().chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() {
        return None;
    }
    // Plain number: hours, possibly fractional.
    if t.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return parse_decimal_hours(&t);
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    let mut chars = t.chars().peekable();
    let mut saw_unit = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        if number.is_empty() {
            return None;
        }
        let unit_minutes: u64 = match c {
            'h' => {
                if chars.peek() == Some(&'r') {
                    chars.next();
                    if chars.peek() == Some(&'s') {
                        chars.next();
                    }
                }
                60
            }
            'm' => {
                if chars.peek() == Some(&'i') {
                    chars.next();
                    if chars.next() != Some('n') {
                        return None;
                    }
                    if chars.peek() == Some(&'s') {
                        chars.next();
                    }
                }
                1
            }
            '小' => {
                if chars.next() != Some('时') {
                    return None;
                }
                60
            }
            '时' => 60,
            '分' => {
                if chars.peek() == Some(&'钟') {
                    chars.next();
                }
                1
            }
            _ => return None,
        };
        let amount = if unit_minutes == 60 {
            u64::from(parse_decimal_hours(&number)?.get())
        } else {
            if number.contains('.') {
                return None;
            }
            number.parse::<u64>().ok()?
        };
        total = total.checked_add(amount)?;
        number.clear();
        saw_unit = true;
    }
    if !number.is_empty() || !saw_unit {
        // A trailing bare number after units (`2h30`) means minutes, as people write it.
        if saw_unit && !number.contains('.') {
            total = total.checked_add(number.parse::<u64>().ok()?)?;
        } else {
            return None;
        }
    }
    u32::try_from(total).ok().map(Minutes)
}

/// `2.5` → 150 minutes. Only fractions that are whole minutes are accepted.
fn parse_decimal_hours(t: &str) -> Option<Minutes> {
    let (int_part, frac_part) = match t.split_once('.') {
        Some((i, f)) => (i, f),
        None => (t, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if frac_part.contains('.') || frac_part.len() > 4 {
        return None;
    }
    let hours: u64 = if int_part.is_empty() { 0 } else { int_part.parse().ok()? };
    let mut minutes = hours.checked_mul(60)?;
    if !frac_part.is_empty() {
        let scale = 10u64.pow(u32::try_from(frac_part.len()).ok()?);
        let frac: u64 = frac_part.parse().ok()?;
        let numerator = frac * 60;
        if !numerator.is_multiple_of(scale) {
            return None;
        }
        minutes = minutes.checked_add(numerator / scale)?;
    }
    u32::try_from(minutes).ok().map(Minutes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Option<u32> {
        Minutes::parse(text).ok().map(Minutes::get)
    }

    #[test]
    fn parses_every_documented_form() {
        assert_eq!(m("2.5"), Some(150));
        assert_eq!(m("2h30m"), Some(150));
        assert_eq!(m("150m"), Some(150));
        assert_eq!(m("2小时30分"), Some(150));
        assert_eq!(m("2小时30分钟"), Some(150));
        assert_eq!(m("90分钟"), Some(90));
        assert_eq!(m("3"), Some(180));
        assert_eq!(m(" 1.25 "), Some(75));
        assert_eq!(m("2h 30m"), Some(150));
        assert_eq!(m("2H30"), Some(150));
        assert_eq!(m("45min"), Some(45));
        assert_eq!(m("1.5h"), Some(90));
        assert_eq!(m("0.5"), Some(30));
    }

    #[test]
    fn refuses_what_is_not_a_whole_number_of_minutes_or_not_a_duration() {
        for bad in ["", "abc", "2.51", "-1", "1.5m", "h", "2x", "2..5", "99999999999", "小时", "1h2h3x"] {
            assert_eq!(m(bad), None, "{bad:?} should be refused");
        }
    }

    #[test]
    fn entry_amounts_must_be_positive_and_under_the_cap() {
        let cap = Minutes::from_hours(24);
        assert!(Minutes::new(0).entry(cap).is_err());
        assert!(Minutes::new(1441).entry(cap).is_err());
        assert_eq!(Minutes::new(1440).entry(cap), Ok(Minutes::new(1440)));
    }

    #[test]
    fn formats_hours_like_the_paper_ledger() {
        assert_eq!(format_hours(750), "12.5");
        assert_eq!(format_hours(60), "1");
        assert_eq!(format_hours(15), "0.25");
        assert_eq!(format_hours(1), "0.02");
        assert_eq!(format_hours(0), "0");
        assert_eq!(Minutes::new(90).to_string(), "1.5h");
    }
}
