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
    /// Digests of what makes the registration a person's: name and community, and the full
    /// phone and ID number when on file. Two counters' registrations of a card are the same
    /// person when name and community match and neither phone nor ID number contradicts (an
    /// adoption copies no phone and no ID number). The city keeps them to find conflicts and
    /// never sends them (a phone is guessable from its digest).
    pub person: [u8; 32],
    pub phone_digest: Option<[u8; 32]>,
    pub id_digest: Option<[u8; 32]>,
}

impl DirectoryRow {
    /// Whether `other` registers the card as someone else: another name or community, or a
    /// phone or ID number both have and that differ.
    pub fn contradicts(&self, other: &DirectoryRow) -> bool {
        let differ =
            |a: &Option<[u8; 32]>, b: &Option<[u8; 32]>| matches!((a, b), (Some(a), Some(b)) if a != b);
        self.person != other.person
            || differ(&self.phone_digest, &other.phone_digest)
            || differ(&self.id_digest, &other.id_digest)
    }
}

/// The directory row of the event stored as `value` at `seq`, if it registers or edits a
/// volunteer.
pub fn directory_row(seq: u64, value: &[u8]) -> Result<Option<DirectoryRow>, BankError> {
    Ok(directory_row_of(&decode_stored(seq, value).map_err(StoreError::Corrupt)?))
}

/// [`directory_row`] of an event decoded already.
pub(super) fn directory_row_of(event: &crate::domain::Event) -> Option<DirectoryRow> {
    let seq = event.seq();
    // A resident (points only) is in the directory like a volunteer: their points card is
    // taken at another community's exchange station as a volunteer's card is at its counter.
    let (volunteer, resident_tail) = match event.kind() {
        EventKind::VolunteerRegistered(v) => (v, None),
        EventKind::VolunteerEdited { record, .. } => (record, None),
        EventKind::ResidentRegistered { record, phone_tail } => (record, phone_tail.clone()),
        _ => return None,
    };
    let phone_tail = volunteer.phone.as_ref().map(|p| p.tail().to_string()).or(resident_tail);
    Some(DirectoryRow {
        seq,
        card: volunteer.card.to_string(),
        name: volunteer.name.to_string(),
        community: volunteer.community.clone(),
        phone_tail: phone_tail.unwrap_or_default(),
        registered_on: volunteer.registered_on,
        person: digest("person", &[volunteer.name.as_str(), volunteer.community.as_str()]),
        phone_digest: volunteer.phone.as_ref().map(|p| digest("phone", &[p.as_str()])),
        id_digest: volunteer.id_number.as_ref().map(|i| digest("id", &[i.as_str()])),
    })
}

fn digest(what: &str, parts: &[&str]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"hourbank ");
    h.update(what.as_bytes());
    h.update(b" v1\0");
    for part in parts {
        h.update(&(part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    *h.finalize().as_bytes()
}

/// The volunteer the event stored as `value` at `seq` registers, if it is a registration: what
/// the city service reads back, on demand, of a counter's registration of a card.
pub fn registered_volunteer(seq: u64, value: &[u8]) -> Result<Option<crate::domain::Volunteer>, BankError> {
    let event = decode_stored(seq, value).map_err(StoreError::Corrupt)?;
    Ok(match event.kind() {
        EventKind::VolunteerRegistered(v) | EventKind::ResidentRegistered { record: v, .. } => {
            Some(v.clone())
        }
        _ => None,
    })
}
