//! Validated value types: an invalid card number, name or phone cannot be constructed.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::DomainError;

/// Longest text we accept in a name-like field, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Longest free text (note, reason), in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// A volunteer card number as printed on the card and typed by a barcode scanner:
/// ASCII letters, digits and `-`, 1–32 characters, stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CardNo(String);

impl CardNo {
    pub fn parse(text: &str) -> Result<CardNo, DomainError> {
        let t = text.trim();
        let ok = !t.is_empty() && t.len() <= 32 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !ok {
            return Err(DomainError::CardNo(t.chars().take(40).collect()));
        }
        Ok(CardNo(t.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CardNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A counter's registered code, unique and stable across a city (`JH-LL-01`): ASCII letters,
/// digits and `-`, 2–16 characters, starting with a letter or digit, stored upper-case. With
/// a journal seq it names an event city-wide.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CounterCode(String);

impl CounterCode {
    pub fn parse(text: &str) -> Result<CounterCode, DomainError> {
        let t = text.trim();
        let ok = (2..=16).contains(&t.len())
            && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && t.starts_with(|c: char| c.is_ascii_alphanumeric());
        if !ok {
            return Err(DomainError::CounterCode(t.chars().take(40).collect()));
        }
        Ok(CounterCode(t.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CounterCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's or thing's name: trimmed, non-empty, no control characters, at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Name(String);

impl Name {
    pub fn parse(text: &str) -> Result<Name, DomainError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(DomainError::EmptyName);
        }
        let found = t.chars().count();
        if found > MAX_NAME_CHARS {
            return Err(DomainError::TooLong { max: MAX_NAME_CHARS, found });
        }
        if t.chars().any(is_hidden_or_control) {
            return Err(DomainError::BadText(
                printable(&t.chars().take(20).collect::<String>()).into_owned(),
            ));
        }
        Ok(Name(t.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Characters that have no place in a name or a note: C0 and C1 controls, and the invisible
/// or direction-changing format characters (zero-width spaces and joiners, the bidi embeddings,
/// overrides and isolates, the byte-order mark) with which a name can be made to look like
/// another on screen.
pub fn is_hidden_or_control(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// `text` safe to print on a terminal: every character [`is_hidden_or_control`] refuses
/// (an escape sequence's ESC included) is shown as `\u{…}` instead of acting. For whatever
/// was read from a file (a backup's counter id, an imported name) before it is printed.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| is_hidden_or_control(c) && c != '\n' && c != '\t') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hidden_or_control(c) && c != '\n' && c != '\t' {
            out.push_str(&format!("\\u{{{:04x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Optional free text (community, category, merchant, note): trimmed, may be empty, no control characters.
pub fn parse_text(text: &str, max_chars: usize) -> Result<String, DomainError> {
    let t = text.trim();
    let found = t.chars().count();
    if found > max_chars {
        return Err(DomainError::TooLong { max: max_chars, found });
    }
    if t.chars().any(is_hidden_or_control) {
        return Err(DomainError::BadText(printable(&t.chars().take(20).collect::<String>()).into_owned()));
    }
    Ok(t.to_string())
}

/// Free text that must say something: a reversal or adjustment reason.
pub fn parse_reason(text: &str) -> Result<String, DomainError> {
    let t = parse_text(text, MAX_NOTE_CHARS)?;
    if t.is_empty() {
        return Err(DomainError::ReasonRequired);
    }
    Ok(t)
}

/// A phone number, kept as digits only (spaces, `-` and a leading `+` removed).
///
/// New numbers must look like a real one: a mainland mobile (11 digits, `1[3-9]…`), a landline
/// with its area code (`0` and 10–12 digits), a local landline (7–8 digits) or, after `+`, an
/// international number (8–15 digits). Numbers stored before this rule (5–15 digits) stay
/// readable: the journal check accepts them through [`Phone::parse_stored`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Phone(String);

impl Phone {
    /// Empty input means "no phone on file".
    pub fn parse_optional(text: &str) -> Result<Option<Phone>, DomainError> {
        let international = text.trim().starts_with('+');
        let phone = Phone::parse_stored(text)?;
        let Some(digits) = phone.as_ref().map(Phone::as_str) else { return Ok(None) };
        let (len, first) = (digits.len(), digits.as_bytes()[0]);
        let plausible = match first {
            _ if international => (8..=15).contains(&len),
            b'1' => len == 11 && (b'3'..=b'9').contains(&digits.as_bytes()[1]),
            b'0' => (10..=12).contains(&len),
            _ => (7..=8).contains(&len),
        };
        if !plausible {
            return Err(DomainError::Phone(text.trim().chars().take(20).collect()));
        }
        Ok(phone)
    }

    /// The looser rule numbers were stored under: 5–15 digits.
    pub fn parse_stored(text: &str) -> Result<Option<Phone>, DomainError> {
        let digits: String =
            text.trim().trim_start_matches('+').chars().filter(|c| *c != ' ' && *c != '-').collect();
        if digits.is_empty() {
            return Ok(None);
        }
        if !(5..=15).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(DomainError::Phone(text.trim().chars().take(20).collect()));
        }
        Ok(Some(Phone(digits)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last four digits (fewer for a shorter number): all of a phone the city's directory
    /// holds of a volunteer, for the phone-tail search at every counter.
    pub fn tail(&self) -> &str {
        &self.0[self.0.len().saturating_sub(4)..]
    }
}

/// A mainland resident ID number: 18 characters (17 digits + digit or X) or the old 15 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IdNumber(String);

impl IdNumber {
    pub fn parse_optional(text: &str) -> Result<Option<IdNumber>, DomainError> {
        let t = text.trim().to_ascii_uppercase();
        if t.is_empty() {
            return Ok(None);
        }
        let ok = match t.len() {
            15 => t.chars().all(|c| c.is_ascii_digit()),
            18 => {
                t[..17].chars().all(|c| c.is_ascii_digit())
                    && t[17..].chars().all(|c| c.is_ascii_digit() || c == 'X')
            }
            _ => false,
        };
        if !ok {
            return Err(DomainError::IdNumber);
        }
        Ok(Some(IdNumber(t)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A calendar day, stored as days since 1970-01-01 so it encodes small and sorts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Day(i32);

impl Day {
    const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid constant date");

    pub fn from_date(date: NaiveDate) -> Day {
        // Dates we accept are within ±5.8 million years of 1970, so the cast cannot truncate.
        Day(date.signed_duration_since(Day::EPOCH).num_days() as i32)
    }

    /// Days since 1970-01-01 (negative before).
    pub fn ordinal(self) -> i32 {
        self.0
    }

    pub fn date(self) -> NaiveDate {
        Day::EPOCH + chrono::Duration::days(i64::from(self.0))
    }

    /// `2026-11-29` or `2026/11/29`.
    pub fn parse(text: &str) -> Result<Day, DomainError> {
        let t = text.trim();
        NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(t, "%Y/%m/%d"))
            .map(Day::from_date)
            .map_err(|_| DomainError::Date(t.chars().take(20).collect()))
    }

    pub const fn days(self) -> i32 {
        self.0
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.date().format("%Y-%m-%d"))
    }
}

/// A moment in UTC, microseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn from_datetime(at: DateTime<Utc>) -> Timestamp {
        Timestamp(at.timestamp_micros())
    }

    pub const fn from_micros(micros: i64) -> Timestamp {
        Timestamp(micros)
    }

    pub fn datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.0).unwrap_or_default()
    }

    pub const fn micros(self) -> i64 {
        self.0
    }

    pub const fn plus_seconds(self, seconds: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(seconds.saturating_mul(1_000_000)))
    }

    /// The UTC calendar day of this moment.
    pub fn day(self) -> Day {
        Day::from_date(self.datetime().date_naive())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.datetime().format("%Y-%m-%dT%H:%M:%SZ"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_normalised_and_validated() {
        assert_eq!(CardNo::parse(" jh000123 ").map(|c| c.0), Ok("JH000123".to_string()));
        assert!(CardNo::parse("").is_err());
        assert!(CardNo::parse("JH 0001").is_err());
        assert!(CardNo::parse("陈").is_err());
        assert!(CardNo::parse(&"9".repeat(33)).is_err());
    }

    #[test]
    fn names_must_be_non_empty_printable_and_short() {
        assert_eq!(Name::parse(" 陈华佩 ").map(|n| n.0), Ok("陈华佩".to_string()));
        assert_eq!(Name::parse("  "), Err(DomainError::EmptyName));
        assert!(Name::parse("a\u{7}b").is_err());
        assert!(Name::parse(&"名".repeat(65)).is_err());
    }

    #[test]
    fn phones_are_digits() {
        assert_eq!(
            Phone::parse_optional("138-0013-8000").map(|p| p.map(|p| p.0)),
            Ok(Some("13800138000".into()))
        );
        assert_eq!(Phone::parse_optional(""), Ok(None));
        assert!(Phone::parse_optional("13800x").is_err());
        assert!(Phone::parse_optional("123").is_err());
        for bad in ["12345", "12345678901", "1380013800", "0750123", "99999999999"] {
            assert!(Phone::parse_optional(bad).is_err(), "{bad} accepted");
        }
        for good in ["0750-3201234", "3201234", "+852 9123 4567", "19912345678"] {
            assert!(Phone::parse_optional(good).is_ok(), "{good} refused");
        }
        // What was stored under the old rule still reads back.
        assert!(Phone::parse_stored("12345").is_ok());
    }

    #[test]
    fn id_numbers_have_the_resident_id_shape() {
        assert!(IdNumber::parse_optional("44070319900101123x").is_ok());
        assert!(IdNumber::parse_optional("440703900101123").is_ok());
        assert!(IdNumber::parse_optional("4407031990010112").is_err());
        assert_eq!(IdNumber::parse_optional(" "), Ok(None));
    }

    #[test]
    fn days_round_trip_and_parse_both_separators() {
        let d = Day::parse("2026-11-29").unwrap();
        assert_eq!(d.to_string(), "2026-11-29");
        assert_eq!(Day::parse("2026/11/29"), Ok(d));
        assert_eq!(Day::from_date(d.date()), d);
        assert!(Day::parse("2026-13-01").is_err());
    }
}
