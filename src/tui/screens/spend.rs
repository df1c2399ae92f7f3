//! Spending at the counter with the city in view (ARCHITECTURE.md §8): the confirm step's dry run says
//! whether the hours are here or must come from the card's city pool, and the commit asks the
//! pool for them — off the UI thread (`Effect::CityCommit`): a server that does not answer
//! never holds a key. Not a screen of its own: the redeem, transfer, donation, reversal and
//! record screens go through it.

use crate::bank::{Bank, BankError, Committed, shortfall};
use crate::city::{CityLink, Spend, SpendError};
use crate::domain::{Actor, CardNo};
use crate::i18n::Text;
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

/// What may ask the city service as it is committed: an operation that takes hours from a
/// card (short here, the card's city pool is asked for the rest), or a deposit (online, the
/// card's service day at every counter is asked for the day cap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CityWork {
    Spend(Spend),
    Deposit(crate::bank::Deposit),
}

/// How a commit went: done here (nothing to ask the network), or to be handed to the city off
/// the UI thread — the screen shows it is asking, returns `Step::CityCommit` of the work, and
/// gets the result in its `finish` (or, left meanwhile, the status line says it).
pub enum Commit {
    Done(Result<Committed, String>),
    Asking(CityWork),
}

/// Commits `work`: with the city service reachable at the last sync it may be asked (a grant,
/// the day elsewhere) and a connection may take seconds, so that is left to an effect;
/// otherwise (offline, no city) it is done here, from this counter's share and day alone.
pub fn commit(cx: &Cx, work: CityWork) -> Commit {
    let url = cx.config.sync.background_url();
    let link = match (cx.city, url.as_deref()) {
        (City::Online, Some(_)) => return Commit::Asking(work),
        (City::Offline, Some(_)) => CityLink::Unreachable,
        _ => CityLink::None,
    };
    Commit::Done(run(cx.bank, link, &cx.session.actor, cx.t, &work))
}

/// Commits `work` with the city at `link`: what `commit` does here, and the effect's thread
/// does online. A refusal in words.
pub fn run(
    bank: &Bank,
    link: CityLink<'_>,
    actor: &Actor,
    t: &Text,
    work: &CityWork,
) -> Result<Committed, String> {
    match work {
        CityWork::Spend(what) => {
            crate::city::spend(bank, link, actor, None, what).map_err(|e| t.spend_error(&e))
        }
        CityWork::Deposit(d) => {
            // Only a reachable service is asked for the card's day elsewhere.
            let url = match link {
                CityLink::Url(url) => Some(url),
                _ => None,
            };
            crate::city::deposit(bank, url, actor, None, d).map_err(|e| t.bank_error(&e))
        }
    }
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
