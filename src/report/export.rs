//! CSV exports. Balances and volunteers read projections only (fast at 100k volunteers);
//! entries read the journal.

use super::sheet::inert;
use std::collections::HashMap;
use std::io::Write;

use chrono::Local;

use crate::bank::StoreError;
use crate::bank::{Bank, BankError};
use crate::domain::movements;
use crate::domain::{Event, EventKind, Origin, Timestamp};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Bank(#[from] BankError),
    #[error("writing the export: {0}")]
    Write(#[from] csv::Error),
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
}

impl From<StoreError> for ExportError {
    fn from(e: StoreError) -> Self {
        ExportError::Bank(e.into())
    }
}

pub(super) fn local_time(at: Timestamp) -> String {
    at.datetime().with_timezone(&Local).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// `card_no,name,community,earned_minutes,redeemed_minutes,balance_minutes,here_minutes`:
/// the balance is the volunteer's city balance as of the last sync (this counter's own where
/// it is in no city), `here_minutes` what this counter holds of it.
pub fn export_balances(bank: &Bank, out: impl Write) -> Result<usize, ExportError> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "card_no",
        "name",
        "community",
        "earned_minutes",
        "redeemed_minutes",
        "balance_minutes",
        "here_minutes",
        "received_minutes",
        "spent_minutes",
    ])?;
    // Outside a city the city balance is this counter's: no read per card.
    let in_city = bank.counter_code()?.is_some() || bank.city_position()?.0 > 0;
    let city = in_city.then(|| bank.city_balances_reader()).transpose()?;
    // Both trees are keyed by volunteer id: scan them side by side on two threads, then walk
    // them together instead of looking an account up per volunteer.
    let store = bank;
    let (volunteers, accounts) = std::thread::scope(|scope| {
        let accounts = scope.spawn(|| store.account_totals().collect::<Result<Vec<_>, _>>());
        let volunteers = store.volunteer_records().collect::<Result<Vec<_>, _>>();
        (volunteers, accounts.join())
    });
    let volunteers = volunteers?;
    let accounts = accounts.unwrap_or_else(|_| Err(StoreError::Internal("export thread failed").into()))?;
    let mut accounts = accounts.into_iter().peekable();
    let mut digits = itoa::Buffer::new();
    let mut n = 0;
    for (id, v) in volunteers {
        while accounts.next_if(|(aid, _)| *aid < id).is_some() {}
        let account = accounts.next_if(|(aid, _)| *aid == id).map(|(_, a)| a).unwrap_or_default();
        // Fields one by one, numbers through itoa: no allocation per row (100k rows).
        w.write_field(v.card.as_str())?;
        w.write_field(inert(v.name.as_str()).as_bytes())?;
        w.write_field(inert(&v.community).as_bytes())?;
        let hours = match &city {
            Some(city) => city.of(&v.card, &account)?,
            None => crate::bank::CityBalance::of_account(&account),
        };
        // earned + received - spent = balance, city-wide; redeemed is this counter's.
        let row = [
            hours.earned,
            account.redeemed,
            hours.total(),
            account.balance(),
            hours.received,
            hours.debits(),
        ];
        for number in row {
            w.write_field(digits.format(number))?;
        }
        w.write_record(None::<&[u8]>)?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}

/// `card_no,here_minutes,city_balance_minutes,city_as_of`: every card this counter knows
/// (registered here or pulled from another counter), by card, with the balance held here and
/// the city's, as of the last whole pull. Two counters after the same pulls write the same
/// city columns; SQL's `sum(minutes) … GROUP BY card` over the report rows says the same.
pub fn export_city_balances(bank: &Bank, out: impl Write) -> Result<usize, ExportError> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["card_no", "here_minutes", "city_balance_minutes", "city_as_of"])?;
    // Every card this counter knows — its own volunteers', the city's directory's, and (before
    // the directory was pulled) those in other counters' journals pulled here — with this
    // counter's share and the card's city balance, as `balance` and the screens show them.
    let mut known: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for item in bank.volunteer_records() {
        known.insert(item?.1.card.to_string());
    }
    for item in bank.city_directory() {
        known.insert(item?.0);
    }
    for (_, _, card, _) in bank.city_balances()? {
        known.insert(card.to_string());
    }
    let mut cards: Vec<(String, (u64, u64))> = Vec::with_capacity(known.len());
    for card in known {
        let Ok(number) = crate::domain::CardNo::parse(&card) else { continue };
        let city = bank.city_balance(&number)?;
        cards.push((card, (city.here, city.total())));
    }
    let as_of = bank.city_as_of()?.map(|t| t.to_string()).unwrap_or_default();
    let mut digits = itoa::Buffer::new();
    for (card, (here, city)) in &cards {
        w.write_field(card)?;
        w.write_field(digits.format(*here))?;
        w.write_field(digits.format(*city))?;
        w.write_field(&as_of)?;
        w.write_record(None::<&[u8]>)?;
    }
    w.flush()?;
    Ok(cards.len())
}

/// `card_no,name,phone,community,registered_at,id_number,active`. Phones and ID numbers are
/// masked (`138****5678`, `****1234`) unless `full` (the caller journals a full export first).
pub fn export_volunteers(bank: &Bank, out: impl Write, full: bool) -> Result<usize, ExportError> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["card_no", "name", "phone", "community", "registered_at", "id_number", "active"])?;
    let mut n = 0;
    for item in bank.volunteer_records() {
        let (_, v) = item?;
        let shown = |value: Option<&str>, mask: fn(&str) -> String| match value {
            Some(value) if full => value.to_string(),
            Some(value) => mask(value),
            None => String::new(),
        };
        w.write_record([
            v.card.as_str(),
            &inert(v.name.as_str()),
            &shown(v.phone.as_ref().map(|p| p.as_str()), crate::domain::privacy::mask_phone),
            &inert(&v.community),
            &v.registered_on.to_string(),
            &shown(v.id_number.as_ref().map(|i| i.as_str()), crate::domain::privacy::mask_id_number),
            if v.active { "true" } else { "false" },
        ])?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}

/// One row of the entries export: minutes are positive, `kind` says the direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ExportRow {
    pub seq: u64,
    pub timestamp: Timestamp,
    pub card_no: String,
    pub kind: String,
    pub minutes: u32,
    pub memo: String,
    pub actor: String,
    pub counter: String,
    /// The day the service was done, for deposits (and their reversals): it may be days
    /// before the entry was recorded.
    pub served_on: Option<crate::domain::Day>,
}

/// Names of things by id, built once per export.
pub(super) struct Names {
    cards: HashMap<u64, String>,
    activities: HashMap<u64, String>,
    rewards: HashMap<u64, String>,
}

impl Names {
    pub(super) fn load(bank: &Bank) -> Result<Names, ExportError> {
        let mut cards = HashMap::new();
        for item in bank.card_index() {
            let (card, id) = item?;
            cards.insert(id, card);
        }
        let activities = bank.activities()?.into_iter().map(|(id, a)| (id, a.name.to_string())).collect();
        let rewards = bank.rewards()?.into_iter().map(|r| (r.id, r.reward.name.to_string())).collect();
        Ok(Names { cards, activities, rewards })
    }

    pub(super) fn card(&self, id: u64) -> String {
        self.cards.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
    }

    pub(super) fn activity(&self, id: u64) -> String {
        self.activities.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
    }
}

/// Rows for one event: none for catalog and staff facts, two for a transfer (one per side).
fn rows_for(event: &Event, names: &Names, original: Option<&Event>) -> Vec<(String, String, u32, String)> {
    match event.kind() {
        // A reversal's rows are its target's, named `reverse_…`, the reason as the memo.
        EventKind::Reversed { target, reason } => original
            .map(|o| {
                rows_for(o, names, None)
                    .into_iter()
                    .map(|(card, kind, minutes, _)| {
                        (card, format!("reverse_{kind}"), minutes, format!("#{target} {reason}"))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        kind => {
            // What the row's memo says: the activity, the reward, the note or the reason.
            let memo = match kind {
                EventKind::Deposited { activity, .. } => {
                    names.activities.get(activity).cloned().unwrap_or_default()
                }
                EventKind::Redeemed { reward, .. } => names.rewards.get(reward).cloned().unwrap_or_default(),
                EventKind::Transferred { note, .. } | EventKind::Donated { note, .. } => note.clone(),
                EventKind::Adjusted { reason, .. } | EventKind::PoolGranted { reason, .. } => reason.clone(),
                EventKind::Expired { cutoff, .. } => format!("< {cutoff}"),
                EventKind::RightsGranted { grant, .. } => grant.clone(),
                _ => String::new(),
            };
            movements(kind)
                .into_iter()
                .map(|m| {
                    (names.card(m.volunteer), m.movement.export_name().into(), m.minutes.get(), memo.clone())
                })
                .collect()
        }
    }
}

/// Calls `f` for every entry that moved hours, in journal order.
pub(super) fn for_each_entry(
    bank: &Bank,
    mut f: impl FnMut(ExportRow) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let names = Names::load(bank)?;
    for item in bank.journal() {
        let event = item?;
        let original = match event.kind() {
            EventKind::Reversed { target, .. } => Some(bank.event(*target)?),
            _ => None,
        };
        let timestamp = match &event.body.origin {
            Origin::Import(r) => r.occurred,
            _ => event.body.at,
        };
        let served_on = match original.as_ref().map_or(event.kind(), |o| o.kind()) {
            EventKind::Deposited { served_on, .. } => Some(*served_on),
            _ => None,
        };
        for (card_no, kind, minutes, memo) in rows_for(&event, &names, original.as_ref()) {
            f(ExportRow {
                served_on,
                seq: event.seq(),
                timestamp,
                card_no,
                kind,
                minutes,
                memo,
                actor: event.body.actor.to_string(),
                counter: event.body.counter.clone(),
            })?;
        }
    }
    Ok(())
}

/// `seq,timestamp,card_no,kind,minutes,memo,actor,counter,served_on` (`served_on`, the service
/// date of a deposit or of the deposit a reversal undoes, is new and last, so scripts that read
/// the first eight columns are unchanged).
pub fn export_entries(bank: &Bank, out: impl Write) -> Result<usize, ExportError> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "seq",
        "timestamp",
        "card_no",
        "kind",
        "minutes",
        "memo",
        "actor",
        "counter",
        "served_on",
    ])?;
    let mut n = 0;
    for_each_entry(bank, |r| {
        w.write_record([
            r.seq.to_string(),
            local_time(r.timestamp),
            r.card_no,
            r.kind,
            r.minutes.to_string(),
            inert(&r.memo).into_owned(),
            inert(&r.actor).into_owned(),
            inert(&r.counter).into_owned(),
            r.served_on.map(|d| d.to_string()).unwrap_or_default(),
        ])?;
        n += 1;
        Ok(())
    })?;
    w.flush()?;
    Ok(n)
}
