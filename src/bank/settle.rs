//! Settling a card two counters registered as different people (ARCHITECTURE.md §8). Until it
//! is settled nothing is spent from the card anywhere and each counter's hours stay with the
//! person registered there (see `CityBalance::conflict`, `city::escrow`). An admin at one of the
//! two counters settles it for their side, journalled like everything else:
//! - **take the other registration**: this counter's record of the card becomes the other
//!   counter's person (name and community; a phone or ID number that contradicts it is cleared),
//!   when this counter had it wrong;
//! - **move this counter's person to a new card** ([`CardMove`]), with every hour recorded for
//!   them here — what this counter holds and what it handed to the card's city pool — and the
//!   old card's record here becomes the other person's.
//!
//! Either way this counter's version of the card then agrees with the other's, and the city
//! service clears the conflict at the push that carries it.

use serde::Serialize;

use super::plan::{CityGrant, PlanResult, card_owner, funding, read, rule};
use super::{Bank, BankError, Need, require};
use crate::domain::{Actor, CardNo, Event, EventKind, LedgerStore, Minutes, Name, Rule, Volunteer};
use crate::store::{Pending, TxView};

/// The other counter's person, as this counter's record of the card is to become: what
/// settling leaves on the card here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OtherPerson {
    pub name: Name,
    pub community: String,
    /// The details the two registrations disagree on (`phone`, `id_number`): cleared here, as
    /// this counter's are the wrong person's.
    pub clear_phone: bool,
    pub clear_id_number: bool,
}

impl OtherPerson {
    /// `record` as the other person: their name and community, and no phone or ID number that
    /// contradicts theirs. The PIN goes too (it was this counter's person's).
    fn on(&self, record: &Volunteer) -> Volunteer {
        Volunteer {
            name: self.name.clone(),
            community: self.community.clone(),
            phone: if self.clear_phone { None } else { record.phone.clone() },
            id_number: if self.clear_id_number { None } else { record.id_number.clone() },
            ..record.clone()
        }
    }
}

/// This counter's person moves from `card` to `new_card` with the hours recorded for them
/// here; `card`'s record here becomes `other`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardMove {
    pub card: CardNo,
    pub new_card: CardNo,
    pub other: OtherPerson,
}

impl Bank {
    /// Every hour recorded for `card`'s person at this counter: what it holds, and what it
    /// handed to the card's city pool (net of what it took back). What a [`CardMove`] moves.
    pub fn hours_recorded_here(&self, card: &CardNo) -> Result<u64, BankError> {
        let Some(id) = self.store.volunteer_id_by_card(card)? else { return Ok(0) };
        Ok(u64::try_from(self.store.account(id)?.entries_balance()).unwrap_or(0))
    }

    /// Settles `card`'s conflict by making this counter's record of it the other counter's
    /// person (see the module). Admins only; only a card in conflict.
    pub fn take_other_registration(
        &self,
        who: &Actor,
        card: &CardNo,
        other: &OtherPerson,
    ) -> Result<Event, BankError> {
        self.must_be_in_conflict(card)?;
        let c = self.run(who, None, "take_other_registration", &(card, other), |view| {
            require(view, who, Need::Admin, "settle a registration conflict")?;
            let (id, ours) = card_owner(view, card, false)?;
            Ok(vec![
                EventKind::VolunteerEdited { id, record: Volunteer { pin_hash: None, ..other.on(&ours) } }
                    .into(),
            ])
        })?;
        c.events.into_iter().next().ok_or(BankError::Rule(Rule::UnknownCard(card.to_string())))
    }

    fn must_be_in_conflict(&self, card: &CardNo) -> Result<(), BankError> {
        match self.card_conflict(card)? {
            Some(_) => Ok(()),
            None => Err(Rule::NotInConflict(card.to_string()).into()),
        }
    }

    /// The first step of a [`CardMove`], in its own commit: `new_card` registered here with this
    /// counter's person's details (PIN included: the same person at the same counter). Done
    /// already (a retry after the move's commit failed): nothing. A card someone else holds, here
    /// or at any counter of the city: refused.
    pub(super) fn register_moved_card(&self, who: &Actor, m: &CardMove) -> Result<(), BankError> {
        self.must_be_in_conflict(&m.card)?;
        if self.city_listing(&m.new_card)?.is_some() {
            return Err(Rule::CardTaken(m.new_card.to_string()).into());
        }
        let ours = self.find_card(&m.card)?.volunteer;
        if let Ok(there) = self.find_card(&m.new_card) {
            let same = there.volunteer.name == ours.name && there.volunteer.community == ours.community;
            return if same { Ok(()) } else { Err(Rule::CardTaken(m.new_card.to_string()).into()) };
        }
        let record = Volunteer { card: m.new_card.clone(), ..ours };
        self.run(who, None, "register_moved_card", &m, |view| {
            require(view, who, Need::Admin, "settle a registration conflict")?;
            Ok(vec![EventKind::VolunteerRegistered(record.clone()).into()])
        })?;
        Ok(())
    }
}

/// The [`CardMove`]'s commit: the pool's grant (this counter's own hours coming back from the
/// card's city pool), the transfer of everything to the new card, and the old card's record
/// here become the other person's.
pub(super) fn plan_card_move(
    view: &TxView<'_>,
    who: &Actor,
    grant: Option<&CityGrant>,
    m: &CardMove,
) -> PlanResult<Vec<Pending>> {
    require(view, who, Need::Admin, "settle a registration conflict")?;
    let mut events = funding(view, grant)?;
    let (from, ours) = card_owner(view, &m.card, false)?;
    // In a preview the new card is not registered yet (that is the first commit's): the
    // transfer is what the commit adds.
    if let Some(to) = view.card(&m.new_card)? {
        let granted = grant.map_or(0, |g| u64::from(g.minutes.get()));
        let minutes = read(view.account(from))?.balance().saturating_add(granted);
        if minutes > 0 {
            let minutes = Minutes::new(u32::try_from(minutes).map_err(|_| rule(Rule::Overflow))?);
            events.push(Pending::from(EventKind::Transferred { from, to, minutes, note: String::new() }));
        }
    }
    let record = Volunteer { pin_hash: None, ..m.other.on(&ours) };
    events.push(Pending::from(EventKind::VolunteerEdited { id: from, record }));
    Ok(events)
}
