//! `hourbank volunteer add|list|show|edit`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use crate::domain::privacy::mask_phone;

use super::{CliResult, open_bank, output};
use crate::bank::{VolunteerForm, VolunteerView, cli_actor};
use crate::domain::{CardNo, Day, IdNumber, Name, Phone, format_hours};

#[derive(Debug, Subcommand)]
pub enum VolunteerCmd {
    /// Register a volunteer
    Add(AddArgs),
    /// List every volunteer with their balance
    List {
        /// Print the list as JSON (phones masked unless --full)
        #[arg(long)]
        json: bool,
        /// Phones in full (recorded in the journal first, as personal_data_exported)
        #[arg(long)]
        full: bool,
    },
    /// One volunteer's details and totals
    Show {
        /// The volunteer's card number
        card: String,
        /// Print the volunteer as JSON (phone masked unless --full)
        #[arg(long)]
        json: bool,
        /// Phone and ID number in full (recorded in the journal first)
        #[arg(long)]
        full: bool,
    },
    /// Change a volunteer's details (only the fields given)
    Edit(EditArgs),
    /// Lift a lock left by wrong self-service PINs (journalled)
    Unlock {
        /// The volunteer's card number
        card: String,
    },
    /// Set a volunteer's self-service PIN (4–6 digits, read like `init` reads one), or clear it
    Pin {
        /// The volunteer's card number
        card: String,
        /// Remove the PIN: the card can no longer log in at the kiosk
        #[arg(long)]
        clear: bool,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The volunteer's card number
    #[arg(long)]
    card: String,
    /// Name as people see it (at most 64 characters)
    #[arg(long)]
    name: String,
    /// Phone: an 11-digit mobile, a landline such as 0750-3201234, or +country code
    #[arg(long, default_value = "")]
    phone: String,
    /// Community or street office (社区/街道)
    #[arg(long, default_value = "")]
    community: String,
    /// Registration date [default: today]
    #[arg(long)]
    registered: Option<String>,
    /// Resident ID number (18 characters, or the old 15 digits); masked unless an admin asks
    #[arg(long, default_value = "")]
    id_number: String,
    /// Retry-safe operation id: the same id and request applies once
    #[arg(long)]
    op_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The volunteer's card number
    card: String,
    /// Give the volunteer this card number instead (a lost or replaced card)
    #[arg(long)]
    new_card: Option<String>,
    /// Name as people see it (at most 64 characters)
    #[arg(long)]
    name: Option<String>,
    /// Phone: an 11-digit mobile, a landline such as 0750-3201234, or +country code
    #[arg(long)]
    phone: Option<String>,
    /// Community or street office (社区/街道)
    #[arg(long)]
    community: Option<String>,
    /// Resident ID number (18 characters, or the old 15 digits); masked unless an admin asks
    #[arg(long)]
    id_number: Option<String>,
    /// Mark the volunteer inactive (no new entries)
    #[arg(long, conflicts_with = "activate")]
    deactivate: bool,
    /// Make an inactive volunteer active again
    #[arg(long)]
    activate: bool,
    /// Retry-safe operation id: the same id and request applies once
    #[arg(long)]
    op_id: Option<String>,
}

/// The phone as shown: masked (`138****5678`) unless `full`.
fn phone(v: &VolunteerView, full: bool) -> Option<String> {
    v.volunteer.phone.as_ref().map(|p| if full { p.as_str().to_string() } else { mask_phone(p.as_str()) })
}

/// The volunteer's hours: the city's as of the last sync (this counter's own outside a city).
fn hours(
    city: &crate::bank::CityBalances<'_>,
    v: &VolunteerView,
) -> Result<crate::bank::CityBalance, crate::bank::BankError> {
    city.of(&v.volunteer.card, &v.account)
}

fn view_json(v: &VolunteerView, hours: &crate::bank::CityBalance, full: bool) -> serde_json::Value {
    json!({
        "card_no": v.volunteer.card.as_str(),
        "name": v.volunteer.name.as_str(),
        "phone": phone(v, full),
        "community": v.volunteer.community,
        "registered_at": v.volunteer.registered_on.to_string(),
        "active": v.volunteer.active,
        "balance_minutes": hours.total(),
        "here_minutes": v.account.balance(),
        "earned_minutes": hours.earned,
        "here_earned_minutes": v.account.earned,
        "redeemed_minutes": v.account.redeemed,
    })
}

pub fn run(store: Option<PathBuf>, cmd: VolunteerCmd) -> CliResult {
    // Read the PIN before opening the store, so nobody waits on a held lock while typing.
    let pin = match &cmd {
        VolunteerCmd::Pin { clear: false, .. } => Some(super::prompt::read_pin("volunteer")?),
        _ => None,
    };
    let bank = open_bank(store)?;
    match cmd {
        VolunteerCmd::Unlock { card } => {
            let card = CardNo::parse(&card)?;
            let seq = bank.unlock(&cli_actor(), &crate::domain::LoginSubject::Card(card.clone()))?;
            say!("saved #{seq}: card {card} unlocked");
        }
        VolunteerCmd::Pin { card, clear } => {
            let card = CardNo::parse(&card)?;
            let e = bank.set_volunteer_pin(&cli_actor(), None, &card, pin.as_deref().filter(|_| !clear))?;
            say!("saved #{}: {} PIN for {card}", e.seq(), if clear { "cleared the" } else { "set the" });
        }
        VolunteerCmd::Add(a) => {
            let form = VolunteerForm {
                card: CardNo::parse(&a.card)?,
                name: Name::parse(&a.name)?,
                phone: Phone::parse_optional(&a.phone)?,
                community: a.community,
                registered_on: a.registered.as_deref().map(Day::parse).transpose()?,
                id_number: IdNumber::parse_optional(&a.id_number)?,
            };
            let e = bank.register_volunteer(&cli_actor(), a.op_id.as_deref(), &form)?;
            say!("saved #{}: registered {} {}", e.seq(), form.card, form.name);
        }
        VolunteerCmd::List { json, full } => {
            if full {
                bank.note_full_export(&cli_actor(), "volunteer list")?;
            }
            let all: Vec<VolunteerView> = bank.volunteers().collect::<Result<_, _>>()?;
            let city = bank.city_balances_reader()?;
            let balances: Vec<_> = all.iter().map(|v| hours(&city, v)).collect::<Result<_, _>>()?;
            if json {
                let items = all.iter().zip(&balances).map(|(v, h)| view_json(v, h, full)).collect();
                output::json(&serde_json::Value::Array(items));
            } else {
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .zip(&balances)
                    .map(|(v, h)| {
                        vec![
                            v.volunteer.card.to_string(),
                            v.volunteer.name.to_string(),
                            v.volunteer.community.clone(),
                            format_hours(h.total()),
                        ]
                    })
                    .collect();
                output::table(&["card", "name", "community", "balance h"], &rows);
            }
        }
        VolunteerCmd::Show { card, json, full } => {
            let v = bank.find_card(&CardNo::parse(&card)?)?;
            if full {
                bank.note_full_export(&cli_actor(), &format!("volunteer {}", v.volunteer.card))?;
            }
            let hours = hours(&bank.city_balances_reader()?, &v)?;
            if json {
                output::json(&view_json(&v, &hours, full));
            } else {
                let phone = phone(&v, full).unwrap_or_else(|| "-".into());
                say!(
                    "{} {}  ({})",
                    v.volunteer.card,
                    v.volunteer.name,
                    if v.volunteer.active { "active" } else { "inactive" }
                );
                say!(
                    "phone {phone}  community {}  registered {}",
                    v.volunteer.community,
                    v.volunteer.registered_on
                );
                say!(
                    "balance {}h (here {}h)  earned {}h  redeemed here {}h",
                    format_hours(hours.total()),
                    format_hours(v.account.balance()),
                    format_hours(hours.earned),
                    format_hours(v.account.redeemed)
                );
            }
        }
        VolunteerCmd::Edit(a) => {
            let v = bank.find_card(&CardNo::parse(&a.card)?)?;
            let old = v.volunteer;
            let form = VolunteerForm {
                card: match &a.new_card {
                    Some(c) => CardNo::parse(c)?,
                    None => old.card.clone(),
                },
                name: match &a.name {
                    Some(n) => Name::parse(n)?,
                    None => old.name.clone(),
                },
                phone: match &a.phone {
                    Some(p) => Phone::parse_optional(p)?,
                    None => old.phone.clone(),
                },
                community: a.community.clone().unwrap_or(old.community.clone()),
                registered_on: Some(old.registered_on),
                id_number: match &a.id_number {
                    Some(i) => IdNumber::parse_optional(i)?,
                    None => old.id_number.clone(),
                },
            };
            let active = if a.deactivate { false } else { a.activate || old.active };
            let e = bank.edit_volunteer(&cli_actor(), a.op_id.as_deref(), v.id, &form, active)?;
            say!("saved #{}: {} {}", e.seq(), form.card, form.name);
        }
    }
    Ok(())
}
