//! The report rows a push derives from each event (`hb_entries`, and the civic points' moves,
//! `hb_points_moves`): from this counter's own trees, or — at the city service — from another
//! counter's chain as applied here. Apart from `city.rs` (what this counter knows of the rest
//! of the city), which it does not need.

use std::collections::HashMap;

use super::points_city::PointsRows;
use super::{Bank, BankError};
use crate::domain::{Day, EventKind, Movement, Rule, Volunteer, movements};
use crate::store::{StoreError, decode_stored};

/// One line of the city server's `hb_entries`: what SQL reports read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRow {
    pub seq: u64,
    pub line: u32,
    pub volunteer: u64,
    pub card: String,
    pub minutes: i64,
    pub kind: &'static str,
    /// What the line does to the volunteer's hours (none for a registration's line of 0); a
    /// reversal's line is its target's movement, the minutes negated.
    pub movement: Option<Movement>,
    /// For a reversal, the kind of the entry it reverses.
    pub reverses: Option<&'static str>,
    pub activity: Option<String>,
    pub community: String,
    /// The booking day, as the local reports book the entry.
    pub day: Day,
    pub served_on: Option<Day>,
    pub registered_on: Option<Day>,
    /// For a city grant's entry, the grant's id on the server.
    pub grant: Option<String>,
    /// For a deposit (or its reversal) the rules shaped, the minutes served behind it (signed
    /// as `minutes`); `None` when served and credited are the same.
    pub served: Option<i64>,
}

impl EntryRow {
    /// Whether the line is `movement` itself (a reversal's line is not: it undoes one).
    pub fn is(&self, movement: Movement) -> bool {
        self.movement == Some(movement) && self.reverses.is_none()
    }

    /// Whether the line moves the card's city pool (hours handed to it, or granted from it).
    pub fn moves_city_pool(&self) -> bool {
        self.is(Movement::CityRelease) || self.is(Movement::CityGrant)
    }
}

/// Names already looked up while deriving rows: a push derives a million, about a few hundred
/// activities and volunteers that come again and again.
#[derive(Default)]
pub struct RowNames {
    activities: HashMap<u64, String>,
    volunteers: HashMap<u64, (String, String)>,
}

/// Where deriving report rows looks things up: this counter's own trees, or another counter's
/// scope in the `city_*` trees (the city service derives every counter's rows).
pub(super) trait RowSource {
    fn event(&self, seq: u64) -> Result<crate::domain::Event, BankError>;
    fn activity_name(&self, id: u64) -> Result<String, BankError>;
    fn volunteer(&self, id: u64) -> Result<Option<Volunteer>, BankError>;
}

impl RowSource for Bank {
    fn event(&self, seq: u64) -> Result<crate::domain::Event, BankError> {
        Bank::event(self, seq)
    }
    fn activity_name(&self, id: u64) -> Result<String, BankError> {
        Bank::activity_name(self, id)
    }
    fn volunteer(&self, id: u64) -> Result<Option<Volunteer>, BankError> {
        Ok(self.store.volunteer(id)?)
    }
}

/// Another counter's chain as applied here.
struct Scope<'a> {
    bank: &'a Bank,
    code: &'a str,
}

impl RowSource for Scope<'_> {
    fn event(&self, seq: u64) -> Result<crate::domain::Event, BankError> {
        Ok(self.bank.store.city_event(self.code, seq)?.ok_or(Rule::UnknownEntry(seq))?)
    }
    fn activity_name(&self, id: u64) -> Result<String, BankError> {
        Ok(self
            .bank
            .store
            .city_activity(self.code, id)?
            .map(|a| a.name.to_string())
            .unwrap_or_else(|| format!("#{id}")))
    }
    fn volunteer(&self, id: u64) -> Result<Option<Volunteer>, BankError> {
        Ok(self.bank.store.city_volunteer(self.code, id)?)
    }
}

impl Bank {
    /// The derived rows of the event stored as `value` at `seq` (the volunteer's card and
    /// community as they are now).
    pub fn entry_rows(
        &self,
        seq: u64,
        value: &[u8],
        names: &mut RowNames,
        points: &mut PointsRows,
    ) -> Result<Vec<EntryRow>, BankError> {
        derive_rows(self, seq, value, names, points)
    }

    /// [`Bank::entry_rows`] and the directory rows of a batch of counter `code`'s chain (`rows`:
    /// seq and stored bytes, in seq order), applied here already (the city service derives the
    /// rows of what it verified): each event decoded once, and the
    /// events the rows read beside it (a deposit's note, a reversal's target) taken from the
    /// batch when they are in it rather than read back from the store.
    pub fn city_batch_rows(
        &self,
        code: &str,
        rows: &[(u64, Vec<u8>)],
        names: &mut RowNames,
        points: &mut PointsRows,
    ) -> Result<(Vec<EntryRow>, Vec<super::DirectoryRow>), BankError> {
        let events = rows
            .iter()
            .map(|(seq, value)| decode_stored(*seq, value).map_err(StoreError::Corrupt))
            .collect::<Result<Vec<_>, _>>()?;
        let source = InBatch { store: &Scope { bank: self, code }, events: &events };
        let mut entries = Vec::with_capacity(events.len());
        let mut directory = Vec::new();
        for event in &events {
            entries.extend(event_rows(&source, event, names, points)?);
            directory.extend(super::directory::directory_row_of(event));
        }
        Ok((entries, directory))
    }
}

/// A batch's events, decoded, in front of the store they were applied to.
struct InBatch<'a> {
    store: &'a dyn RowSource,
    events: &'a [crate::domain::Event],
}

impl RowSource for InBatch<'_> {
    fn event(&self, seq: u64) -> Result<crate::domain::Event, BankError> {
        let first = self.events.first().map_or(0, |e| e.seq());
        match seq.checked_sub(first).and_then(|i| self.events.get(i as usize)) {
            Some(event) if event.seq() == seq => Ok(event.clone()),
            _ => self.store.event(seq),
        }
    }
    fn activity_name(&self, id: u64) -> Result<String, BankError> {
        self.store.activity_name(id)
    }
    fn volunteer(&self, id: u64) -> Result<Option<Volunteer>, BankError> {
        self.store.volunteer(id)
    }
}

fn derive_rows(
    source: &dyn RowSource,
    seq: u64,
    value: &[u8],
    names: &mut RowNames,
    points: &mut PointsRows,
) -> Result<Vec<EntryRow>, BankError> {
    event_rows(source, &decode_stored(seq, value).map_err(StoreError::Corrupt)?, names, points)
}

fn event_rows(
    source: &dyn RowSource,
    event: &crate::domain::Event,
    names: &mut RowNames,
    points: &mut PointsRows,
) -> Result<Vec<EntryRow>, BankError> {
    let seq = event.seq();
    let (source_event, sign) = match event.kind() {
        EventKind::Reversed { target, .. } => (source.event(*target)?, -1),
        _ => (event.clone(), 1),
    };
    // The points' changes to shares and moves to pools: rows of their own, never hours rows.
    let target = (sign < 0).then_some(&source_event);
    let card = &mut |id| card_of(source, names, id);
    if super::points_city::points_rows(event, target, card, &|s| source.event(s), points)? {
        return Ok(Vec::new());
    }
    // A registration is a line of 0 (reports count newcomers); every other line is a movement.
    let lines: Vec<(u64, i64, Option<Movement>)> = match source_event.kind() {
        EventKind::VolunteerRegistered(_) => vec![(seq, 0, None)],
        kind => {
            movements(kind).into_iter().map(|m| (m.volunteer, m.signed_minutes(), Some(m.movement))).collect()
        }
    };
    let reverses = (sign < 0).then(|| source_event.kind().name());
    let (activity, served_on) = match source_event.kind() {
        EventKind::Deposited { activity, served_on, .. } => (Some(*activity), Some(*served_on)),
        _ => (None, None),
    };
    let served = match source_event.kind() {
        EventKind::Deposited { minutes, .. } => served_behind(source, source_event.seq(), *minutes)?
            .filter(|s| *s != u64::from(minutes.get()))
            .map(|s| sign * s as i64),
        _ => None,
    };
    let registered_on = match event.kind() {
        EventKind::VolunteerRegistered(v) => Some(v.registered_on),
        _ => None,
    };
    let grant = match event.kind() {
        EventKind::RightsGranted { grant, .. } => Some(grant.clone()),
        _ => None,
    };
    let day = match &event.body.origin {
        crate::domain::Origin::Import(r) => super::local_day(r.occurred),
        _ => super::local_day(event.body.at),
    };
    let activity = match activity {
        Some(id) => Some(match names.activities.get(&id) {
            Some(name) => name.clone(),
            None => names.activities.entry(id).or_insert(source.activity_name(id)?).clone(),
        }),
        None => None,
    };
    let mut rows = Vec::with_capacity(lines.len());
    for (line, (volunteer, minutes, movement)) in lines.into_iter().enumerate() {
        let (card, community) = card_of(source, names, volunteer)?;
        rows.push(EntryRow {
            seq,
            line: line as u32,
            volunteer,
            card,
            minutes: sign * minutes,
            kind: event.kind().name(),
            movement,
            reverses,
            activity: activity.clone(),
            community,
            day,
            served_on,
            registered_on,
            grant: grant.clone(),
            served,
        });
    }
    Ok(rows)
}

/// A person's card and community, looked up once a push.
fn card_of(source: &dyn RowSource, names: &mut RowNames, id: u64) -> Result<(String, String), BankError> {
    Ok(match names.volunteers.get(&id) {
        Some(known) => known.clone(),
        None => {
            let v = source.volunteer(id)?.ok_or(Rule::UnknownVolunteer(id))?;
            let known = (v.card.to_string(), v.community);
            names.volunteers.insert(id, known.clone());
            known
        }
    })
}

/// The minutes served behind the deposit at `seq` (the one reading of it: certificates and
/// report rows): as the note after it says when the rules shaped it (after the held deposit,
/// for one approved later), as its check-out says for a shift. `None` when nothing says (the
/// same as credited), or the note is not there to read (a push whose batch ended between the
/// deposit and its note: it counts as credited).
pub(super) fn served_behind(
    source: &dyn RowSource,
    seq: u64,
    credited: crate::domain::Minutes,
) -> Result<Option<u64>, BankError> {
    let event = |s: u64| match source.event(s) {
        Ok(e) => Ok(Some(e)),
        Err(BankError::Rule(Rule::UnknownEntry(_))) => Ok(None),
        Err(e) => Err(e),
    };
    let before = if seq > 1 { event(seq - 1)? } else { None };
    let noted = match before.as_ref().map(|e| e.kind()) {
        Some(EventKind::DepositDecided { held, approved: true, .. }) => held + 1,
        Some(EventKind::CheckedOut { worked, credited: c, .. }) if *c == credited => {
            return Ok(Some(u64::from(worked.get())));
        }
        _ => seq + 1,
    };
    Ok(match event(noted)?.as_ref().map(|e| e.kind()) {
        Some(EventKind::ServiceShaped { served, .. }) => Some(u64::from(served.get())),
        _ => None,
    })
}
