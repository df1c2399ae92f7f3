//! What the city's directory holds of a volunteer: what the find screen, the kiosk and a
//! deposit need at any counter — card, name, community, the phone's last four digits and the
//! registration date — and nothing more (no full phone, no ID number, no PIN hash: PIPL's
//! minimum necessary). The city derives a row from each registration or edit it is pushed.

use super::BankError;
use crate::domain::{Day, EventKind};
use crate::store::{StoreError, decode_stored};

/// A volunteer's directory fields, from the event at `seq` that registered or edited them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryRow {
    pub seq: u64,
    pub card: String,
    pub name: String,
    pub community: String,
    /// The phone's last four digits, or empty when no phone is on file.
    pub phone_tail: String,
    pub registered_on: Day,
}

/// The directory row of the event stored as `value` at `seq`, if it registers or edits a
/// volunteer.
pub fn directory_row(seq: u64, value: &[u8]) -> Result<Option<DirectoryRow>, BankError> {
    let event = decode_stored(seq, value).map_err(StoreError::Corrupt)?;
    let volunteer = match event.kind() {
        EventKind::VolunteerRegistered(v) => v,
        EventKind::VolunteerEdited { record, .. } => record,
        _ => return Ok(None),
    };
    Ok(Some(DirectoryRow {
        seq,
        card: volunteer.card.to_string(),
        name: volunteer.name.to_string(),
        community: volunteer.community.clone(),
        phone_tail: volunteer.phone.as_ref().map(|p| p.tail().to_string()).unwrap_or_default(),
        registered_on: volunteer.registered_on,
    }))
}
