//! What a live operation could have written: the checks a journal read from a file (a backup,
//! a journal copy) must pass event by event, besides the money rules of `ledger::apply`. A
//! backup with a recomputed chain and checksum is bytes anyone can write; these checks refuse
//! the values no counter, command or import would ever have saved — control characters in a
//! name, a deposit over the entry cap, an operation tag claiming events that are not there.

use super::entities::Settings;
use super::event::{Actor, Event, EventKind, Origin};
use super::types::{CardNo, IdNumber, MAX_NAME_CHARS, MAX_NOTE_CHARS, Name, Phone, is_hidden_or_control};
use super::{Minutes, StaffId};

/// The longest text any event holds (a note, a reason, a receipt command, a PIN hash).
const MAX_TEXT_CHARS: usize = 2 * MAX_NOTE_CHARS;
/// An operation id as clients send them.
const MAX_OP_ID_CHARS: usize = 128;

/// Checks events in journal order; [`StoredEventCheck::finish`] after the last one. Its state
/// is a value (serde), so a chain checked in pieces — another counter's events, pulled batch by
/// batch — keeps it between them beside that chain's head.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredEventCheck {
    settings: Settings,
    /// The operation whose later events are still to come: how many, and their time and actor.
    open_op: Option<(u32, i64, Actor)>,
    /// Whether the previous event brings deposits with it (a check-out, a shift review, an
    /// approval), which follow the shift rules or were capped when they were held.
    after_bringer: bool,
}

impl StoredEventCheck {
    pub fn check(&mut self, event: &Event) -> Result<(), String> {
        let seq = event.seq();
        let at = |what: String| format!("seq {seq}: {what}");
        let body = &event.body;
        // Every text anywhere in the event (names, notes, the counter id, the actor).
        let value = serde_json::to_value(event).map_err(|e| at(e.to_string()))?;
        walk_strings(&value, &mut |s| {
            if s.chars().any(is_hidden_or_control) {
                return Err(at(format!(
                    "text {:?} holds control or invisible characters",
                    super::printable(s)
                )));
            }
            if s.chars().count() > MAX_TEXT_CHARS {
                return Err(at("a text is longer than any the bank writes".into()));
            }
            Ok(())
        })?;
        match (&body.origin, self.open_op.take()) {
            (Origin::Op(_), Some(_)) => return Err(at("an operation starts inside another".into())),
            (Origin::Op(tag), None) => {
                if tag.events == 0 || tag.id.is_empty() || tag.id.chars().count() > MAX_OP_ID_CHARS {
                    return Err(at(format!("operation tag {:?} is malformed", super::printable(&tag.id))));
                }
                if tag.events > 1 {
                    self.open_op = Some((tag.events - 1, body.at.micros(), body.actor.clone()));
                }
            }
            (_, Some((left, micros, actor))) => {
                if body.at.micros() != micros || body.actor != actor {
                    return Err(at("an operation tag claims events that are not its own".into()));
                }
                if left > 1 {
                    self.open_op = Some((left - 1, micros, actor));
                }
            }
            (_, None) => {}
        }
        self.kind(event).map_err(at)?;
        self.after_bringer = matches!(body.kind.name(), "check_out" | "shift_reviewed" | "deposit_decided");
        Ok(())
    }

    /// The journal ended: an operation tag may not claim events past it.
    pub fn finish(&self) -> Result<(), String> {
        match &self.open_op {
            Some((left, ..)) => {
                Err(format!("the last operation tag claims {left} more events than the journal has"))
            }
            None => Ok(()),
        }
    }

    fn kind(&mut self, event: &Event) -> Result<(), String> {
        let name =
            |n: &Name| same(n.as_str(), Name::parse(n.as_str()).map(|p| p.as_str().to_string()), "name");
        match &event.body.kind {
            EventKind::CounterInitialized { name: n } | EventKind::CounterRenamed { name: n } => name(n),
            EventKind::CounterCodeSet { code } => same(
                code.as_str(),
                super::CounterCode::parse(code.as_str()).map(|c| c.as_str().to_string()),
                "counter code",
            ),
            EventKind::SettingsChanged(s) => {
                s.entry_cap.entry(Minutes::new(u32::MAX)).map_err(|e| e.to_string())?;
                s.transfer_limit.entry(Minutes::new(u32::MAX)).map_err(|e| e.to_string())?;
                self.settings = *s;
                Ok(())
            }
            EventKind::StaffAdded(staff) => {
                name(&staff.name)?;
                same(
                    staff.id.as_str(),
                    StaffId::parse(staff.id.as_str()).map(|i| i.as_str().to_string()),
                    "staff id",
                )
            }
            EventKind::ResidentRegistered { record, phone_tail } => {
                if record.phone.is_some() || record.id_number.is_some() || record.pin_hash.is_some() {
                    return Err("a resident's record holds no phone, ID number or PIN".into());
                }
                let tail = phone_tail.as_deref().unwrap_or_default();
                same(tail, super::points::phone_tail(tail).map(Option::unwrap_or_default), "phone tail")?;
                name(&record.name)?;
                same(
                    record.card.as_str(),
                    CardNo::parse(record.card.as_str()).map(|c| c.as_str().to_string()),
                    "card",
                )?;
                short(&record.community, MAX_NAME_CHARS * 2)
            }
            EventKind::StandardPublished(standard) => standard.validate().map_err(|e| e.to_string()),
            EventKind::PointsCredited { points, note, item, .. } => {
                if points.get() == 0 || points.get() > super::points::MAX_POINTS {
                    return Err(format!("a credit of {points} is out of range"));
                }
                same(item, super::points::item_code(item), "item code")?;
                short(note, MAX_NOTE_CHARS)
            }
            EventKind::PointsReviewed { reason, .. } | EventKind::CouponsVoided { reason, .. } => {
                short(reason, MAX_NOTE_CHARS)
            }
            EventKind::CouponsIssued { item, holder, .. } => {
                same(item, super::points::item_code(item), "item code")?;
                short(holder, MAX_NAME_CHARS)
            }
            EventKind::ShiftEvaluated { score, note, .. } => {
                if *score > 100 {
                    return Err(format!("a score of {score} is over 100"));
                }
                short(note, MAX_NOTE_CHARS)
            }
            EventKind::PointsReleased { lines }
                if lines.is_empty() || lines.iter().any(|(_, p)| p.get() == 0) =>
            {
                Err("a release of points names each person with some points".into())
            }
            EventKind::PointsGranted { points, grant, .. }
                if points.get() == 0 || grant.is_empty() || grant.len() > 200 =>
            {
                Err("a grant of points is of some points, with the city's id for it".into())
            }
            EventKind::PointsRedeemed { qty, .. } if !(1..=1000).contains(qty) => {
                Err(format!("quantity {qty} is out of range"))
            }
            EventKind::VolunteerRegistered(v) | EventKind::VolunteerEdited { record: v, .. } => {
                name(&v.name)?;
                same(
                    v.card.as_str(),
                    CardNo::parse(v.card.as_str()).map(|c| c.as_str().to_string()),
                    "card",
                )?;
                if let Some(p) = &v.phone {
                    same(p.as_str(), optional(Phone::parse_stored(p.as_str()), Phone::as_str), "phone")?;
                }
                if let Some(i) = &v.id_number {
                    same(
                        i.as_str(),
                        optional(IdNumber::parse_optional(i.as_str()), IdNumber::as_str),
                        "ID number",
                    )?;
                }
                short(&v.community, MAX_NAME_CHARS * 2)
            }
            EventKind::ActivityAdded(a) => name(&a.name),
            EventKind::ActivityChanged { name: n, .. } => name(n),
            EventKind::RewardAdded { reward, .. } => name(&reward.name),
            EventKind::Deposited { minutes, note, .. } | EventKind::DepositHeld { minutes, note, .. } => {
                short(note, MAX_NOTE_CHARS)?;
                // Deposits that a check-out, a shift review or an approval bring with them
                // follow the shift rules or were capped when they were held.
                let brought = self.after_bringer;
                if minutes.get() == 0 || (!brought && *minutes > self.settings.entry_cap) {
                    return Err(format!(
                        "a deposit of {minutes} is over the entry cap of {}",
                        self.settings.entry_cap
                    ));
                }
                Ok(())
            }
            EventKind::Redeemed { qty, .. } if !(1..=1000).contains(qty) => {
                Err(format!("quantity {qty} is out of range"))
            }
            EventKind::Transferred { minutes, .. }
            | EventKind::Adjusted { minutes, .. }
            | EventKind::Donated { minutes, .. }
            | EventKind::PoolGranted { minutes, .. }
                if minutes.get() == 0 =>
            {
                Err("an entry of no minutes".into())
            }
            EventKind::Donated { note, .. } => short(note, MAX_NOTE_CHARS),
            EventKind::PoolGranted { reason, .. } => short(reason, MAX_NOTE_CHARS),
            _ => Ok(()),
        }
    }
}

fn same(stored: &str, parsed: Result<String, super::DomainError>, what: &str) -> Result<(), String> {
    match parsed {
        Ok(p) if p == stored => Ok(()),
        _ => Err(format!("{what} {:?} could not have been entered", super::printable(stored))),
    }
}

/// An optional field's parse as the text it would store ("" for none), for [`same`].
fn optional<T>(
    parsed: Result<Option<T>, super::DomainError>,
    text: fn(&T) -> &str,
) -> Result<String, super::DomainError> {
    parsed.map(|t| t.as_ref().map(text).unwrap_or_default().to_string())
}

fn short(text: &str, max: usize) -> Result<(), String> {
    if text.chars().count() > max { Err("a text is longer than the bank allows".into()) } else { Ok(()) }
}

fn walk_strings(
    value: &serde_json::Value,
    f: &mut impl FnMut(&str) -> Result<(), String>,
) -> Result<(), String> {
    match value {
        serde_json::Value::String(s) => f(s),
        serde_json::Value::Array(items) => items.iter().try_for_each(|v| walk_strings(v, f)),
        serde_json::Value::Object(map) => map.iter().try_for_each(|(k, v)| {
            f(k)?;
            walk_strings(v, f)
        }),
        _ => Ok(()),
    }
}
