//! What every operation's plan is made of, shared by the operations (`ops`, `pool`, `admin`)
//! and the city's shares (`shares`): reads inside the commit's transaction, the refusals, the
//! card's owner, the entry cap, and the grant entry that funds an operation spending hours the
//! card's city pool granted. Its own module so that no two of those import each other.

use serde::Serialize;

use crate::domain::ledger::ApplyError;
use crate::domain::{CardNo, EventKind, LedgerStore, Minutes, Rule, Volunteer, VolunteerId};
use crate::store::{Pending, TxFail, TxView};

pub(super) type PlanResult<T> = Result<T, ApplyError<TxFail>>;

pub(super) fn rule(r: Rule) -> ApplyError<TxFail> {
    ApplyError::Rule(r)
}

pub(super) fn read<T>(r: Result<T, TxFail>) -> PlanResult<T> {
    r.map_err(ApplyError::Store)
}

/// The volunteer a card belongs to; refuses unknown cards and, with `active`, inactive ones.
pub(super) fn card_owner(
    view: &TxView<'_>,
    card: &CardNo,
    active: bool,
) -> PlanResult<(VolunteerId, Volunteer)> {
    let id = view.card(card)?.ok_or_else(|| rule(Rule::UnknownCard(card.to_string())))?;
    let v = read(view.volunteer(id))?.ok_or_else(|| rule(Rule::UnknownVolunteer(id)))?;
    if active && !v.active {
        return Err(rule(Rule::VolunteerInactive(card.to_string())));
    }
    Ok((id, v))
}

pub(super) fn capped(view: &TxView<'_>, minutes: Minutes) -> PlanResult<Minutes> {
    let cap = read(view.settings())?.entry_cap;
    minutes.entry(cap).map_err(|e| rule(Rule::Invalid(e)))
}

/// Hours the card's city pool granted to this counter (the city server's grant `id`), to be
/// journalled in the commit of the operation that spends them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CityGrant {
    pub id: String,
    pub card: CardNo,
    pub minutes: Minutes,
}

/// The `RightsGranted` entry that puts `grant` into the plan's commit, first (the operation
/// after it spends the hours); nothing when it is journalled already (a sync healed it after
/// a crash, and the share holds it).
pub(super) fn funding(view: &TxView<'_>, grant: Option<&CityGrant>) -> PlanResult<Vec<Pending>> {
    let Some(g) = grant else { return Ok(Vec::new()) };
    if read(view.grant_entry(&g.id))?.is_some() {
        return Ok(Vec::new());
    }
    let (volunteer, _) = card_owner(view, &g.card, false)?;
    Ok(vec![Pending::from(EventKind::RightsGranted { volunteer, minutes: g.minutes, grant: g.id.clone() })])
}
