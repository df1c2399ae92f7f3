//! People across the city, beyond the directory a counter holds: `hourbank city volunteer CARD
//! --staff ID` (every counter's registration of a card, masked, and its entries at every
//! counter — asked of the city service on demand; the service records who asked) and `hourbank
//! city conflicts` (cards registered as different people).

use super::{CliResult, Failure, exit};
use crate::domain::privacy::{mask_id_number, mask_phone};
use crate::domain::{CardNo, StaffId};

pub(super) fn show(
    store: Option<std::path::PathBuf>,
    card: &str,
    staff: &str,
    url: String,
    json: bool,
) -> CliResult {
    let card = CardNo::parse(card)?;
    let staff = StaffId::parse(staff)?;
    let bank = super::open_bank(store)?;
    // The staff id is this counter's: the service records it beside the counter's code.
    if !bank.staff_members()?.iter().any(|s| s.id == staff) {
        return Err(Failure {
            code: exit::BAD_INPUT,
            message: format!("no staff member {staff} at this counter"),
        });
    }
    let client = crate::city::CityClient::new(&url, &bank)?;
    let details = client.volunteer_details(&card, &staff).map_err(|e| match e {
        crate::city::ClientError::Connect(_) => Failure {
            code: exit::STORE_UNAVAILABLE,
            message: format!(
                "{e}\na volunteer's details and history at other counters are read from the city service, online only; this counter holds the city's directory (name, community, phone tail, balance)"
            ),
        },
        other => other.into(),
    })?;
    if json {
        super::output::json(&serde_json::to_value(&details).unwrap_or_default());
        return Ok(());
    }
    say!("{}: registered at {} counter(s)", details.card, details.registrations.len());
    for r in &details.registrations {
        say!(
            "  {}  {} | {} | {} | {} | {}",
            r.counter,
            r.name,
            r.phone,
            r.id_number,
            r.community,
            r.registered_on
        );
    }
    say!("{} entries at every counter:", details.history.len());
    for h in &details.history {
        let kind = match &h.reverses {
            Some(of) => format!("{} of {of}", h.kind),
            None => h.kind.clone(),
        };
        say!(
            "  {}  {} #{}  {:<14} {:>+8}  {}",
            h.day,
            h.counter,
            h.seq,
            kind,
            h.minutes,
            h.activity.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

/// One card registered as different people, however it was learned: each version as
/// `(counter, name, phone, id number, community, registered on)`, phone and ID masked.
struct Conflict {
    card: String,
    differs: Vec<String>,
    versions: Vec<[String; 6]>,
}

/// Every card registered differently at two counters, each version with what differs
/// (personal data masked as on every list: the admin compares, then corrects the registration
/// at the counter that has it wrong). Asked of the city service when one is set; else, or when
/// it cannot be reached, as this counter last pulled the other counters' registrations.
pub(super) fn conflicts(store: Option<std::path::PathBuf>, url: Option<String>, json: bool) -> CliResult {
    let bank = super::open_bank(store)?;
    let url = match url {
        Some(url) => Some(url),
        None => super::settings::city_url_if_any()?,
    };
    let online = match url {
        Some(url) => match crate::city::CityClient::new(&url, &bank).and_then(|c| c.conflicts()) {
            Ok(list) => Some(list),
            Err(crate::city::ClientError::Connect(e)) => {
                eprintln!("the city service cannot be reached ({e}): listed as this counter last synced");
                None
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let list: Vec<Conflict> = match online {
        Some(list) => list
            .into_iter()
            .map(|c| Conflict {
                card: c.card,
                differs: c.differs,
                versions: c
                    .versions
                    .into_iter()
                    .map(|r| [r.counter, r.name, r.phone, r.id_number, r.community, r.registered_on])
                    .collect(),
            })
            .collect(),
        None => bank
            .registration_conflicts()?
            .into_iter()
            .map(|c| Conflict {
                card: c.card.to_string(),
                differs: c.differs().into_iter().map(str::to_string).collect(),
                versions: c
                    .versions
                    .into_iter()
                    .map(|(code, v)| {
                        [
                            code,
                            v.name.to_string(),
                            v.phone.as_ref().map(|p| mask_phone(p.as_str())).unwrap_or_default(),
                            v.id_number.as_ref().map(|n| mask_id_number(n.as_str())).unwrap_or_default(),
                            v.community,
                            v.registered_on.to_string(),
                        ]
                    })
                    .collect(),
            })
            .collect(),
    };
    if json {
        let none_if_empty = |s: &str| if s.is_empty() { serde_json::Value::Null } else { s.into() };
        let items: Vec<serde_json::Value> = list
            .iter()
            .map(|c| {
                let versions: Vec<serde_json::Value> = c
                    .versions
                    .iter()
                    .map(|[counter, name, phone, id, community, day]| {
                        serde_json::json!({
                            "counter": counter,
                            "name": name,
                            "phone": none_if_empty(phone),
                            "id_number": none_if_empty(id),
                            "community": community,
                            "registered_on": day,
                        })
                    })
                    .collect();
                serde_json::json!({ "card_no": c.card, "differs": c.differs, "versions": versions })
            })
            .collect();
        super::output::json(&serde_json::Value::Array(items));
        return Ok(());
    }
    // In the person's language; English as it always was.
    let t = super::lang::words();
    if list.is_empty() {
        say!("{}", t.map_or("no conflicting registrations", |t| t.conflicts_none));
    }
    for c in &list {
        match t {
            None => say!("{}: {} differ", c.card, c.differs.join(", ")),
            Some(t) => {
                let words: Vec<&str> = c.differs.iter().map(|d| t.registration_field(d)).collect();
                say!("{}", crate::i18n::fill(t.conflicts_differ, &[&c.card, &words.join("、")]));
            }
        }
        for [counter, name, phone, id, community, day] in &c.versions {
            let here = t.map_or("(here)", |t| t.conflicts_col_here);
            let counter = if counter.is_empty() { here } else { counter.as_str() };
            say!("  {counter:<16} {name} | {phone} | {id} | {community} | {day}");
        }
    }
    Ok(())
}

/// `city settle CARD`: this counter's side of a card in conflict, settled by an admin — its
/// person moved to `new_card` with their hours, or (without) its record made the other
/// counter's person. The other counter's version is read from the city service.
pub(super) fn settle(
    store: Option<std::path::PathBuf>,
    card: &str,
    new_card: Option<CardNo>,
    url: String,
) -> CliResult {
    let card = CardNo::parse(card)?;
    let bank = super::open_bank(store)?;
    let own = bank.counter_code()?.map(|c| c.to_string()).unwrap_or_default();
    let Some(conflict) = bank.card_conflict(&card)? else {
        return Err(crate::bank::BankError::Rule(crate::domain::Rule::NotInConflict(card.to_string())).into());
    };
    let theirs = conflict.other_side(&own).to_string();
    let client = crate::city::CityClient::new(&url, &bank)?;
    let other = client
        .conflicts()?
        .into_iter()
        .find(|c| c.card == card.as_str())
        .and_then(|c| c.other_person(&theirs))
        .ok_or_else(|| Failure {
            code: exit::REFUSED,
            message: format!(
                "the city service lists no registration of card {card} by {theirs} in conflict: sync, then try again"
            ),
        })?;
    match new_card {
        Some(new_card) => {
            let op = crate::bank::Op::MoveToNewCard(crate::bank::CardMove {
                card: card.clone(),
                new_card: new_card.clone(),
                other: other.clone(),
            });
            let link = crate::city::CityLink::Url(&url);
            let done = crate::city::execute(&bank, link, &crate::bank::cli_actor(), None, &op)?;
            let moved: u64 = done
                .events
                .iter()
                .filter_map(|e| match e.kind() {
                    crate::domain::EventKind::Transferred { minutes, .. } => Some(u64::from(minutes.get())),
                    _ => None,
                })
                .sum();
            say!(
                "settled: this counter's person moved to card {new_card} with {}h (entry #{}); card {card} here is now {} of {theirs}",
                crate::domain::format_hours(moved),
                done.first_seq(),
                other.name
            );
        }
        None => {
            let e = bank.take_other_registration(&crate::bank::cli_actor(), &card, &other)?;
            say!(
                "settled: card {card} here is now {} as {theirs} registered them (entry #{})",
                other.name,
                e.seq()
            );
        }
    }
    say!("the city clears the conflict at this counter's next sync");
    Ok(())
}
