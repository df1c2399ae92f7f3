//! Spending at the counter with the city in view (ARCHITECTURE.md §8): the confirm step's dry run says
//! whether the hours are here or must come from the card's city pool, and the commit asks the
//! pool for them. Not a screen of its own: the redeem, transfer, donation and reversal screens
//! go through it.

use crate::bank::{BankError, Committed, shortfall};
use crate::city::{CityLink, Spend, SpendError};
use crate::domain::CardNo;
use crate::tui::app::{City, Cx};

/// The dry run's answer with the city in view: `Ok(0)` when this counter's share covers it,
/// `Ok(m)` when `m` minutes would come from the card's city pool (which, as last pulled, holds
/// them), or the refusal in words (where the hours are, and what would help).
pub fn preview(cx: &Cx, card: &CardNo, dry: Result<Committed, BankError>) -> Result<u64, String> {
    let e = match dry {
        Ok(_) => return Ok(0),
        Err(e) => e,
    };
    let Some((share, needed)) = shortfall(&e).filter(|_| cx.city != City::None) else {
        // Not short, or a counter that does not sync: the ledger's own words.
        return Err(cx.t.bank_error(&e));
    };
    let known = cx.bank.city_balance(card).map_err(|e| cx.t.bank_error(&e))?;
    let card = card.to_string();
    let refusal = match cx.city {
        City::None => SpendError::NoCity { card, share, needed },
        City::Offline => {
            SpendError::Offline { card, share, city: known.total(), needed, cause: String::new() }
        }
        City::Online if needed - share <= known.pooled => return Ok(needed - share),
        City::Online => SpendError::Short { card, share, pool: known.pooled, needed },
    };
    Err(cx.t.spend_error(&refusal))
}

/// Commits `what`, asking the card's city pool for what this counter's share lacks when the
/// city server was reachable at the last sync; a refusal in words.
pub fn commit(cx: &Cx, what: &Spend) -> Result<Committed, String> {
    let url = cx.config.sync.background_url();
    let link = match (cx.city, url.as_deref()) {
        (City::Online, Some(url)) => CityLink::Url(url),
        (City::Offline, Some(_)) => CityLink::Unreachable,
        _ => CityLink::None,
    };
    crate::city::spend(cx.bank, link, &cx.session.actor, None, what).map_err(|e| cx.t.spend_error(&e))
}

/// Records a deposit; online, the card's service day counts at every counter (the day cap is
/// the card's, city-wide), offline this counter's own day.
pub fn deposit(cx: &Cx, d: &crate::bank::Deposit) -> Result<Committed, BankError> {
    let url = cx.config.sync.background_url();
    let city = match (cx.city, url.as_deref()) {
        (City::Online, Some(url)) => Some(url),
        _ => None,
    };
    crate::city::deposit(cx.bank, city, &cx.session.actor, None, d)
}

/// The minutes and grant of the city pool an operation spent, for its receipt.
pub fn from_city(done: &Committed) -> Option<(u64, String)> {
    done.events.iter().find_map(|e| match e.kind() {
        crate::domain::EventKind::RightsGranted { minutes, grant, .. } => {
            Some((u64::from(minutes.get()), grant.clone()))
        }
        _ => None,
    })
}
