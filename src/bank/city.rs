//! What this counter knows of the rest of the city: other counters' journals as pulled from
//! the city server (applied by the same ledger rules, in the store's `city_*` trees), the
//! city balance of a card, volunteers registered elsewhere, and registrations that disagree.
//! The city module moves the bytes; this is the door it comes through.

use std::collections::{BTreeMap, HashMap};

use super::{Bank, BankError, Need, VolunteerView, require};
use crate::domain::{Actor, CardNo, EventKind, Rule, Timestamp, Volunteer};

pub use crate::store::{
    CityCounter, CityVolunteer, DirectoryCard, DirectoryShare, OtherVersion, RemoteError,
};

/// The largest stored event this bank accepts from anywhere: its store refuses to write a
/// larger value, so no counter can have written one.
pub const MAX_EVENT_BYTES: usize = crate::store::codec::DECODE_LIMIT;

/// A volunteer registered at another counter, as this counter may know them (see
/// [`Bank::city_listing`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CityListing {
    /// The counter that registered the card (first).
    pub home: String,
    /// What a counter may keep: no phone, no ID number, no PIN.
    pub record: Volunteer,
    /// The phone's last four digits (empty: none on file).
    pub phone_tail: String,
    /// Another counter that registered the card as someone else.
    pub conflict: Option<String>,
    /// The name that counter registered it with, when known.
    pub other_name: Option<String>,
}

/// A card two counters registered as different people, as the city's directory marks it: the
/// card's home (first to register it) and the first other counter whose registration
/// contradicts the home's. Nothing is spent from it at any counter until an admin settles it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardConflict {
    pub home: String,
    pub other: String,
}

impl CardConflict {
    pub fn of(listed: &DirectoryCard) -> Option<CardConflict> {
        listed.conflict.as_ref().map(|other| CardConflict { home: listed.home.clone(), other: other.clone() })
    }

    /// The counter on the other side from counter `own`: the home for the counter in conflict,
    /// the counter in conflict for everyone else.
    pub fn other_side(&self, own: &str) -> &str {
        if own == self.other { &self.home } else { &self.other }
    }

    /// Both counters, as a refusal names them: `JH-A-01, JH-B-01`.
    pub fn counters(&self) -> String {
        format!("{}, {}", self.home, self.other)
    }
}

/// One card registered with different details by two or more counters: every version, by
/// counter code (this counter's own under its code, or `""` if it has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationConflict {
    pub card: CardNo,
    pub versions: Vec<(String, Volunteer)>,
}

impl RegistrationConflict {
    /// The details that are not the same in every version: `name`, `phone`, `id_number`,
    /// `community`.
    pub fn differs(&self) -> Vec<&'static str> {
        let Some((_, first)) = self.versions.first() else { return Vec::new() };
        let mut out = Vec::new();
        let rest = || self.versions.iter().map(|(_, v)| v);
        if rest().any(|v| v.name != first.name) {
            out.push("name");
        }
        // A phone or ID number counts where two versions both have one (see `same_person`).
        let clash = |field: fn(&Volunteer) -> Option<&str>| {
            let on_file: Vec<&str> = rest().filter_map(field).collect();
            on_file.iter().any(|x| *x != on_file[0])
        };
        if clash(|v| v.phone.as_ref().map(|p| p.as_str())) {
            out.push("phone");
        }
        if clash(|v| v.id_number.as_ref().map(|i| i.as_str())) {
            out.push("id_number");
        }
        if rest().any(|v| v.community != first.community) {
            out.push("community");
        }
        out
    }
}

/// The details that make a registration a person's: name and community, and a phone or ID
/// number both have (an adoption from the city's directory copies neither: not on file is not
/// a difference). A PIN (hashed with each counter's own key) and the active flag are each
/// counter's business.
fn same_person(a: &Volunteer, b: &Volunteer) -> bool {
    fn agree<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> bool {
        a.is_none() || b.is_none() || a == b
    }
    a.name == b.name
        && a.community == b.community
        && agree(&a.phone, &b.phone)
        && agree(&a.id_number, &b.id_number)
}

impl Bank {
    /// Counter `code`'s key as first seen here, if seen.
    pub fn pinned_key(&self, code: &str) -> Result<Option<crate::store::PinnedKey>, BankError> {
        Ok(self.store.pinned_key(code)?)
    }

    /// Pins counter `code`'s key the first time it is seen (see `city::pull`).
    pub fn pin_key(&self, code: &str, pinned: &crate::store::PinnedKey) -> Result<(), BankError> {
        Ok(self.store.pin_key(code, pinned)?)
    }

    /// How far `code`'s chain is verified here: the seq the next pulled event must carry and
    /// the hash it must link from.
    pub fn city_head(&self, code: &str) -> Result<(u64, [u8; 32]), BankError> {
        let head = self.store.city_head(code)?;
        Ok((head.next_seq, head.last_hash))
    }

    /// Applies pulled events of counter `code` (seq and stored bytes, in order, continuing its
    /// verified head) in one transaction with the new head; all or nothing.
    pub fn apply_remote(&self, code: &str, rows: &[(u64, Vec<u8>)]) -> Result<u64, RemoteError> {
        Ok(self.store.apply_remote(code, rows, self.now())?.next_seq.saturating_sub(1))
    }

    /// [`Bank::apply_remote`] into a store that is a cache, rebuilt from its source when out of
    /// step (the city service's verifier): not flushed.
    pub fn verify_remote(&self, code: &str, rows: &[(u64, Vec<u8>)]) -> Result<u64, RemoteError> {
        Ok(self.store.apply_remote_durably(code, rows, self.now(), false)?.next_seq.saturating_sub(1))
    }

    /// Every other counter pulled from, with how far and when.
    pub fn city_counters(&self) -> Result<Vec<CityCounter>, BankError> {
        Ok(self.store.city_counters()?)
    }

    /// Says that a pull has just reached every counter's head.
    pub fn mark_city_pulled(&self) -> Result<(), BankError> {
        Ok(self.store.set_city_as_of(self.now())?)
    }

    pub fn city_as_of(&self) -> Result<Option<Timestamp>, BankError> {
        Ok(self.store.city_as_of()?)
    }

    /// The city-wide position this counter's copy of the directory is as of (0: never pulled)
    /// and when it was pulled.
    pub fn city_position(&self) -> Result<(u64, Option<Timestamp>), BankError> {
        Ok(self.store.directory_position()?)
    }

    /// Takes the cards of the city's directory changed since its position, and the position
    /// they are as of, all at once.
    pub fn apply_city_directory(
        &self,
        position: u64,
        cards: &[(CardNo, DirectoryCard)],
    ) -> Result<(), BankError> {
        Ok(self.store.apply_directory(position, cards, self.now())?)
    }

    /// Starts taking the whole directory (a join, or again after the city's database was put
    /// back): pages go where nothing reads them until [`Bank::finish_city_join`].
    pub fn begin_city_join(&self) -> Result<(), BankError> {
        Ok(self.store.begin_directory_join()?)
    }

    /// A page of a join.
    pub fn stage_city_join(&self, cards: &[(CardNo, DirectoryCard)]) -> Result<(), BankError> {
        Ok(self.store.stage_directory(cards)?)
    }

    /// Ends a join with `last`, the cards changed while its pages were read, as of `position`:
    /// from here on the directory is the joined one, every card at once.
    pub fn finish_city_join(&self, position: u64, last: &[(CardNo, DirectoryCard)]) -> Result<(), BankError> {
        Ok(self.store.finish_directory_join(position, last, self.now())?)
    }

    /// Drops this store's copy of other counters' journals — what counters pulled before the
    /// city's directory — once it has the directory: journalled first (a `city_copy_dropped`
    /// entry says how many counters and events), then the trees emptied. Interrupted between
    /// the two, the next call journals what is left and drops it. `None`: nothing to drop.
    pub fn drop_city_copy(&self, who: &Actor) -> Result<Option<(u32, u64)>, BankError> {
        if !self.store.holds_city_copy()? || self.store.directory_position()?.0 == 0 {
            return Ok(None);
        }
        let (counters, events) = self.store.city_copy_size()?;
        self.run(who, None, "drop_city_copy", &(counters, events), |view| {
            require(view, who, Need::Staff, "drop the copy of other counters' journals")?;
            Ok(vec![EventKind::CityCopyDropped { counters, events }.into()])
        })?;
        self.store.clear_city_copy()?;
        Ok(Some((counters, events)))
    }

    /// Every card of the city's directory as last pulled, in card order.
    pub fn city_directory(&self) -> impl Iterator<Item = Result<(String, DirectoryCard), BankError>> + '_ {
        self.store.directory_cards().map(|item| item.map_err(BankError::from))
    }

    /// Whether `card` is registered as different people, as the city's directory said at the
    /// last pull.
    pub fn card_conflict(&self, card: &CardNo) -> Result<Option<CardConflict>, BankError> {
        Ok(self.store.directory_card(card)?.as_ref().and_then(CardConflict::of))
    }

    /// Refuses to take hours from `card` while it is in conflict: whose hours they are is for
    /// an admin to settle first (deposits go on, kept for the person they were recorded for).
    pub fn refuse_in_conflict(&self, card: &CardNo) -> Result<(), BankError> {
        match self.card_conflict(card)? {
            Some(c) => Err(Rule::CardInConflict { card: card.to_string(), counters: c.counters() }.into()),
            None => Ok(()),
        }
    }

    /// `card` as the city's directory had it at the last pull.
    pub fn city_card(&self, card: &CardNo) -> Result<Option<DirectoryCard>, BankError> {
        Ok(self.store.directory_card(card)?)
    }

    /// A volunteer registered at another counter, as this counter may know them: from the
    /// city's directory (card, name, community, registration day — no phone, no ID number), or,
    /// before this counter pulled the directory, the first other counter's registration.
    /// `None`: no counter of the city registered the card.
    pub fn city_listing(&self, card: &CardNo) -> Result<Option<CityListing>, BankError> {
        if let Some(d) = self.store.directory_card(card)? {
            let record = Volunteer {
                card: card.clone(),
                name: d.name,
                phone: None,
                community: d.community,
                registered_on: d.registered_on,
                id_number: None,
                active: true,
                pin_hash: None,
            };
            return Ok(Some(CityListing {
                home: d.home,
                record,
                phone_tail: d.phone_tail,
                conflict: d.conflict,
                other_name: d.other.map(|o| o.name.to_string()),
            }));
        }
        let versions = self.store.city_registrations(card)?;
        let Some(first) = versions.first() else { return Ok(None) };
        let other = versions.iter().find(|v| !same_person(&v.record, &first.record));
        let phone_tail = first.record.phone.as_ref().map(|p| p.tail().to_string()).unwrap_or_default();
        Ok(Some(CityListing {
            home: first.code.clone(),
            record: Volunteer { pin_hash: None, ..first.record.clone() },
            phone_tail,
            conflict: other.map(|v| v.code.clone()),
            other_name: other.map(|v| v.record.name.to_string()),
        }))
    }

    /// The phone tail the city's directory lists for `v` as its counter registered it: its
    /// phone's, or the tail kept beside a resident's record.
    pub fn city_phone_tail(&self, v: &CityVolunteer) -> Result<String, BankError> {
        Ok(match &v.record.phone {
            Some(p) => p.tail().to_string(),
            None => self.store.city_resident_tail(&v.code, v.id)?.unwrap_or_default(),
        })
    }

    /// `card` as the other counters registered it, in counter order.
    pub fn city_registrations(&self, card: &CardNo) -> Result<Vec<CityVolunteer>, BankError> {
        Ok(self.store.city_registrations(card)?)
    }

    /// Every volunteer registered at another counter and not here, once per card (the first
    /// counter's version): whom a search at this counter finds besides its own.
    pub fn city_only_volunteers(&self) -> Result<Vec<CityVolunteer>, BankError> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for v in self.store.city_volunteers() {
            let v = v?;
            if seen.insert(v.record.card.clone())
                && self.store.volunteer_id_by_card(&v.record.card)?.is_none()
            {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// The volunteer with `card` here; if only another counter registered them, they are
    /// registered here first with that counter's details (journalled, so this counter can
    /// record hours for them). The PIN stays behind: it was hashed with the other counter's
    /// key. Two counters with different details: refused, for an admin to settle.
    pub fn find_or_adopt(&self, who: &Actor, card: &CardNo) -> Result<VolunteerView, BankError> {
        if self.store.volunteer_id_by_card(card)?.is_some() {
            return self.find_card(card);
        }
        let Some(listed) = self.city_listing(card)? else {
            return Err(Rule::UnknownCard(card.to_string()).into());
        };
        if let Some(other) = &listed.conflict {
            return Err(Rule::RegistrationConflict {
                card: card.to_string(),
                counters: format!("{}, {other}", listed.home),
            }
            .into());
        }
        let record = listed.record;
        let adopted = self.run(who, None, "adopt_volunteer", &card.as_str(), |view| {
            require(view, who, Need::Staff, "register volunteers")?;
            Ok(vec![EventKind::VolunteerRegistered(record.clone()).into()])
        });
        match adopted {
            Ok(_) => {}
            // Adopted a moment ago by another operation of this counter: that is what we want.
            Err(BankError::Rule(Rule::CardTaken(_))) if self.store.volunteer_id_by_card(card)?.is_some() => {}
            Err(e) => return Err(e),
        }
        self.find_card(card)
    }

    /// Registers here every card of `cards` that only other counters know (see
    /// [`Bank::find_or_adopt`]): recording hours for a volunteer registered elsewhere is the
    /// usual case, so a deposit does this first.
    pub fn adopt_from_city(&self, who: &Actor, cards: &[CardNo]) -> Result<(), BankError> {
        for card in cards {
            if self.store.volunteer_id_by_card(card)?.is_none() && self.city_listing(card)?.is_some() {
                self.find_or_adopt(who, card)?;
            }
        }
        Ok(())
    }

    /// Every other counter's accounts with the card each belongs to: `(code, volunteer id,
    /// card, totals)`, by code and id.
    pub fn city_balances(&self) -> Result<Vec<(String, u64, CardNo, crate::domain::Account)>, BankError> {
        let mut cards: HashMap<(String, u64), CardNo> = HashMap::new();
        for v in self.store.city_volunteers() {
            let v = v?;
            cards.insert((v.code, v.id), v.record.card);
        }
        let mut out = Vec::new();
        for a in self.store.city_account_totals() {
            let a = a?;
            if let Some(card) = cards.remove(&(a.code.clone(), a.volunteer)) {
                out.push((a.code, a.volunteer, card, a.account));
            }
        }
        Ok(out)
    }

    /// Every points share at every other counter, as replayed here: (code, card, points).
    pub fn city_points_balances(&self) -> Result<Vec<(String, CardNo, u64)>, BankError> {
        let mut cards: HashMap<(String, u64), CardNo> = HashMap::new();
        for v in self.store.city_volunteers() {
            let v = v?;
            cards.insert((v.code, v.id), v.record.card);
        }
        let mut out = Vec::new();
        for (code, id, account) in self.store.city_points_accounts()? {
            if let Some(card) = cards.get(&(code.clone(), id)) {
                out.push((code, card.clone(), account.balance()));
            }
        }
        Ok(out)
    }

    /// Every card that two counters (this one included) registered with different details.
    pub fn registration_conflicts(&self) -> Result<Vec<RegistrationConflict>, BankError> {
        let own = self.store.counter_code()?.unwrap_or_default();
        let mut by_card: BTreeMap<String, Vec<(String, Volunteer)>> = BTreeMap::new();
        for v in self.store.city_volunteers() {
            let v = v?;
            by_card.entry(v.record.card.to_string()).or_default().push((v.code, v.record));
        }
        let mut out = Vec::new();
        for (card, mut versions) in by_card {
            let card = CardNo::parse(&card)?;
            if let Some(id) = self.store.volunteer_id_by_card(&card)?
                && let Some(mine) = self.store.volunteer(id)?
            {
                versions.insert(0, (own.clone(), mine));
            }
            let first = &versions[0].1;
            if versions.iter().any(|(_, v)| !same_person(v, first)) {
                out.push(RegistrationConflict { card, versions });
            }
        }
        Ok(out)
    }
}
