//! A volunteer registered elsewhere, beyond the directory: every counter's registration of the
//! card (phone and ID number masked) and its entries at every counter, read on demand when
//! staff open them — online only, and recorded at the service (`hb_access`: counter, staff,
//! card, when). A counter keeps none of it.

use super::wire::{Conflict, HistoryRow, Registration, VolunteerDetails};
use super::{CityClient, CityError, ClientError, Server};
use crate::domain::privacy::{mask_id_number, mask_phone};
use crate::domain::{CardNo, StaffId};

fn sql(what: &'static str) -> impl Fn(postgres::Error) -> CityError {
    move |e| CityError::of(what, e)
}

impl Server {
    /// Card `card`'s registrations and history across the city, for staff `staff` of counter
    /// `counter`: the access is recorded in the same transaction as the read.
    pub fn volunteer_details(
        &mut self,
        counter: &str,
        staff: &StaffId,
        card: &CardNo,
    ) -> Result<VolunteerDetails, CityError> {
        let mut tx = self.client().transaction().map_err(sql("a transaction"))?;
        tx.execute(
            "INSERT INTO hb_access (counter, staff, card, what) VALUES ($1, $2, $3, 'details and history')",
            &[&counter, &staff.as_str(), &card.as_str()],
        )
        .map_err(sql("the access record"))?;
        let registered = tx
            .query(
                "SELECT e.counter, e.seq, v.stored FROM hb_entries e
                 JOIN hb_events v ON v.counter = e.counter AND v.seq = e.seq
                 WHERE e.card = $1 AND e.kind = 'volunteer_registered' ORDER BY e.counter, e.seq",
                &[&card.as_str()],
            )
            .map_err(sql("the card's registrations"))?;
        let registrations =
            registrations_of(&registered).into_iter().map(|(code, v)| masked(code, &v)).collect();
        let history = tx
            .query(
                "SELECT counter, seq, day::TEXT, kind, reverses, minutes, activity FROM hb_entries
                 WHERE card = $1 AND kind <> 'volunteer_registered' ORDER BY day, counter, seq, line",
                &[&card.as_str()],
            )
            .map_err(sql("the card's history"))?
            .iter()
            .map(|r| HistoryRow {
                counter: r.get(0),
                seq: r.get::<_, i64>(1) as u64,
                day: r.get(2),
                kind: r.get(3),
                reverses: r.get(4),
                minutes: r.get(5),
                activity: r.get(6),
            })
            .collect();
        tx.commit().map_err(sql("the access record"))?;
        Ok(VolunteerDetails { card: card.to_string(), registrations, history })
    }
}

impl Server {
    /// Every card in conflict (see `hb_cards.conflict`) with each counter's registration of it,
    /// masked, and what differs between them; counter `asking`'s own version first.
    pub fn conflicts(&mut self, asking: &str) -> Result<Vec<Conflict>, CityError> {
        let rows = self
            .client()
            .query(
                "SELECT c.card, e.counter, e.seq, v.stored FROM hb_cards c
                 JOIN hb_entries e ON e.card = c.card AND e.kind = 'volunteer_registered'
                 JOIN hb_events v ON v.counter = e.counter AND v.seq = e.seq
                 WHERE c.conflict IS NOT NULL ORDER BY c.card, e.counter <> $1, e.counter, e.seq",
                &[&asking],
            )
            .map_err(sql("the cards in conflict"))?;
        let mut out: Vec<Conflict> = Vec::new();
        let mut start = 0;
        while start < rows.len() {
            let card: String = rows[start].get(0);
            let end = rows[start..]
                .iter()
                .position(|r| r.get::<_, String>(0) != card)
                .map_or(rows.len(), |n| start + n);
            // What differs is judged on the whole values, which only the service has, by the
            // counters' own rule (`RegistrationConflict::differs`).
            let versions = crate::bank::RegistrationConflict {
                card: CardNo::parse(&card)
                    .map_err(|e| CityError::Failed { what: "a card in conflict", message: e.to_string() })?,
                versions: registrations_of(&rows[start..end]),
            };
            out.push(Conflict {
                card,
                differs: versions.differs().into_iter().map(str::to_string).collect(),
                versions: versions.versions.into_iter().map(|(code, v)| masked(code, &v)).collect(),
            });
            start = end;
        }
        Ok(out)
    }
}

/// The registrations in `rows` (counter, seq, stored bytes at the columns' end), decoded.
/// Every stored event was verified at the door; one that does not decode is `city check`'s to
/// report, and is left out here.
fn registrations_of(rows: &[postgres::Row]) -> Vec<(String, crate::domain::Volunteer)> {
    let n = rows.first().map_or(0, |r| r.len());
    rows.iter()
        .filter_map(|row| {
            let (code, seq, stored): (String, i64, Vec<u8>) =
                (row.get(n - 3), row.get(n - 2), row.get(n - 1));
            crate::bank::registered_volunteer(seq as u64, &stored).ok().flatten().map(|v| (code, v))
        })
        .collect()
}

fn masked(counter: String, v: &crate::domain::Volunteer) -> Registration {
    Registration {
        counter,
        name: v.name.to_string(),
        phone: v.phone.as_ref().map(|p| mask_phone(p.as_str())).unwrap_or_default(),
        id_number: v.id_number.as_ref().map(|i| mask_id_number(i.as_str())).unwrap_or_default(),
        community: v.community.clone(),
        registered_on: v.registered_on.to_string(),
    }
}

impl CityClient {
    /// Every card of the city registered as different people, as the service has them.
    pub fn conflicts(&self) -> Result<Vec<Conflict>, ClientError> {
        Self::answer(&self.call("GET", "/v1/conflicts", b"")?)
    }

    /// What the city holds of `card` beyond the directory, asked for by staff `staff` (recorded
    /// at the service). Online only: offline, the error says so.
    pub fn volunteer_details(&self, card: &CardNo, staff: &StaffId) -> Result<VolunteerDetails, ClientError> {
        let path = format!("/v1/volunteer?card={}&staff={}", card.as_str(), staff.as_str());
        Self::answer(&self.call("GET", &path, b"")?)
    }
}

/// `GET /v1/volunteer`'s query.
#[derive(Debug, serde::Deserialize)]
pub struct DetailsQuery {
    pub card: String,
    pub staff: String,
}

impl DetailsQuery {
    /// The card and staff id, checked as a counter's own input is.
    pub fn parse(&self) -> Result<(CardNo, StaffId), String> {
        let card = CardNo::parse(&self.card).map_err(|e| e.to_string())?;
        let staff = StaffId::parse(&self.staff).map_err(|e| e.to_string())?;
        Ok((card, staff))
    }
}

impl Conflict {
    /// The person counter `theirs` registered the card as, for this counter to settle its side
    /// with (see [`crate::bank::CardConflict::other_side`]): their name and community, with this
    /// counter's phone or ID number to be cleared where the versions disagree. `None`: that
    /// counter's version is not listed.
    pub fn other_person(&self, theirs: &str) -> Option<crate::bank::OtherPerson> {
        let theirs = self.versions.iter().find(|v| v.counter == theirs)?;
        Some(crate::bank::OtherPerson {
            name: crate::domain::Name::parse(&theirs.name).ok()?,
            community: theirs.community.clone(),
            clear_phone: self.differs.iter().any(|d| d == "phone"),
            clear_id_number: self.differs.iter().any(|d| d == "id_number"),
        })
    }
}
