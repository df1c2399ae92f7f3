//! Spending hours at any counter (ARCHITECTURE.md §8): an operation that takes hours from a card —
//! a redemption, a transfer, a donation, the reversal of a credit — is tried on this
//! counter's share first; short, it asks the card's city pool for the rest (one grant) and
//! commits the grant's entry with the operation. Offline, only the share can be spent, and the
//! refusal says so.

use super::escrow::{GrantError, grant_id};
use super::{CityError, Server};
use crate::bank::{Asking, Bank, BankError, CityGrant, Commit, Committed, Mode, Op, shortfall};
use crate::domain::{Actor, CardNo, Minutes};

/// The city server as a caller last saw it: what an operation short of hours here can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// This counter does not sync.
    None,
    /// The last round reached the server (or none has ended yet): ask it for grants.
    Online,
    /// The last round could not reach it: only this counter's share can be spent.
    Offline,
}

#[derive(Debug, thiserror::Error)]
pub enum SpendError {
    /// Refused for a reason that is not about where the hours are (or this counter's own).
    #[error(transparent)]
    Bank(#[from] BankError),
    /// Short here, and the card's city pool cannot make up the rest.
    #[error(
        "card {card} has {share} minutes here and {pool} in the city pool: {needed} are needed; the rest of its city balance is held at other counters, which hand it to the pool when they sync"
    )]
    Short { card: String, share: u64, pool: u64, needed: u64 },
    /// Short here, and the city server cannot be reached: only this counter's share can be
    /// spent now.
    #[error(
        "card {card} has {share} minutes spendable at this counter offline ({city} in the city as last known); {needed} are needed — connect to the city server to use the rest ({cause})"
    )]
    Offline { card: String, share: u64, city: u64, needed: u64, cause: String },
    #[error(transparent)]
    Grant(GrantError),
    /// This store was restored (or recovered) and has not fetched its own later events from
    /// the city yet: what it holds as its shares may have gone to the pools and been spent
    /// elsewhere since its backup.
    #[error(
        "this counter's store was restored and has not caught up with the city since: sync first (its shares may have been spent elsewhere after the backup was made)"
    )]
    Behind,
    /// Short of points here, and the card's city pool cannot make up the rest.
    #[error(
        "card {card} has {share} points here and {pool} in the city pool: {needed} are needed; the rest is held at other counters, which hand it to the pool when they sync"
    )]
    PointsShort { card: String, share: u64, pool: u64, needed: u64 },
    /// Short of points here, and the city server cannot be reached.
    #[error(
        "card {card} has {share} points spendable at this counter offline; {needed} are needed — connect to the city server to use the rest ({cause})"
    )]
    PointsOffline { card: String, share: u64, needed: u64, cause: String },
    /// Short here and this counter has no city server (or no code).
    #[error(
        "card {card} has {share} minutes at this counter, {needed} are needed; this counter does not sync with a city server"
    )]
    NoCity { card: String, share: u64, needed: u64 },
}

/// The card whose hours `op` takes, when it takes any.
fn debtor(bank: &Bank, op: &Op) -> Result<Option<CardNo>, BankError> {
    Ok(match op {
        Op::Redeem(r) => Some(r.card.clone()),
        Op::Transfer(t) => Some(t.from.clone()),
        Op::Donate(d) => Some(d.card.clone()),
        Op::Reverse(r) => bank.reversal_debtor(r.target)?,
        Op::MoveToNewCard(m) => Some(m.card.clone()),
        _ => None,
    })
}

/// The minutes `op` takes from its debtor, when that is plain from the request (a reward's
/// price times the quantity, a transfer's or donation's minutes): a share known to be short
/// goes to the pool at once instead of after a refused try.
fn minutes(bank: &Bank, op: &Op) -> Option<u64> {
    match op {
        Op::Redeem(r) => {
            let reward = bank.reward(r.reward).ok()?;
            Some(u64::from(reward.reward.cost.get()) * u64::from(r.qty))
        }
        Op::Transfer(t) => Some(u64::from(t.minutes.get())),
        Op::Donate(d) => Some(u64::from(d.minutes.get())),
        // Everything recorded here for the card's person: what this counter holds, and back
        // from the pool what it handed over.
        Op::MoveToNewCard(m) => bank.hours_recorded_here(&m.card).ok(),
        _ => None,
    }
}

/// What `op` would do now with the city as last seen (`reach`), nothing written, nothing
/// asked: `Ok(0)` when this counter's share covers it, `Ok(m)` when `m` minutes would come from
/// the card's city pool (which, as last pulled, holds them), or the refusal — the same decision
/// [`execute`] takes with the pool's real answer. The counter's confirm step.
pub fn preview(bank: &Bank, reach: Reach, who: &Actor, op: &Op) -> Result<u64, SpendError> {
    let e = match bank.execute(who, op, Mode::Preview) {
        Ok(_) => return Ok(0),
        Err(e) => e,
    };
    let short = shortfall(&e).filter(|_| reach != Reach::None);
    let (Some((share, needed)), Some(card)) = (short, debtor(bank, op)?) else {
        // Not short, or a counter that does not sync: the ledger's own words, as the commit.
        return Err(e.into());
    };
    let known = bank.city_balance(&card)?;
    match reach {
        Reach::None => Err(e.into()),
        Reach::Offline => Err(SpendError::Offline {
            card: card.to_string(),
            share,
            city: known.total(),
            needed,
            cause: String::new(),
        }),
        Reach::Online if needed - share <= known.pooled => Ok(needed - share),
        Reach::Online => Err(SpendError::Short { card: card.to_string(), share, pool: known.pooled, needed }),
    }
}

/// Where the city server is for a spend: a connection already open, a URL to connect to, or
/// none (this counter does not sync).
pub enum CityLink<'a> {
    Open(&'a mut Server),
    /// A client of the city service already made (its key read, its connection kept).
    Client(&'a super::CityClient),
    Url(&'a str),
    /// The counter's background sync could not reach the server just now: not tried again
    /// (a connect that times out would hold the person at the counter for seconds).
    Unreachable,
    None,
}

/// Commits `op` with the city at `city`: a deposit counts the card's service day at every
/// counter (online, for the day cap); an operation that takes hours from a card takes a grant
/// from the card's city pool when this counter's share is short; the rest commit here.
pub fn execute(
    bank: &Bank,
    city: CityLink<'_>,
    who: &Actor,
    op_id: Option<&str>,
    op: &Op,
) -> Result<Committed, SpendError> {
    if let Op::Deposit(d) = op {
        let url = match city {
            CityLink::Url(url) => Some(url),
            _ => None,
        };
        return Ok(deposit(bank, url, who, op_id, d)?);
    }
    if !op.spends() {
        return Ok(bank.execute(who, op, Mode::commit(op_id))?);
    }
    if bank.city_catch_up()?.is_some() {
        return Err(SpendError::Behind);
    }
    // Refused before any grant is asked for: a grant for an operation the ledger then refuses
    // would sit at this counter unspent.
    if let Some(card) = op.spends_from_a_person() {
        bank.refuse_in_conflict(card)?;
    }
    let commit = |grant: Option<&CityGrant>| {
        bank.execute(who, op, Mode::Commit(Commit { op_id, grant, day_elsewhere: 0 }))
    };
    if matches!(city, CityLink::None) {
        // A counter that does not sync spends what it holds, and says so as it always has.
        return Ok(commit(None)?);
    }
    // The usual case in a city: the volunteer registered at another counter spends here.
    bank.adopt_from_city(who, &op.cards())?;
    let debtor = debtor(bank, op)?;
    let known_short = match (&debtor, minutes(bank, op)) {
        (Some(card), Some(needed)) if op_id.is_none() => {
            let share = bank.share(card)?;
            (share < needed).then_some((share, needed))
        }
        _ => None,
    };
    let (card, share, needed) = match (known_short, debtor) {
        (Some((share, needed)), Some(card)) => (card, share, needed),
        (_, debtor) => {
            let e = match commit(None) {
                Ok(done) => return Ok(done),
                Err(e) => e,
            };
            match (shortfall(&e), debtor) {
                (Some((share, needed)), Some(card)) => (card, share, needed),
                _ => return Err(e.into()),
            }
        }
    };
    let Some(code) = bank.counter_code()? else {
        return Err(SpendError::NoCity { card: card.to_string(), share, needed });
    };
    let mut source = match city {
        CityLink::Open(server) => GrantSource::Database(server),
        CityLink::Client(client) => GrantSource::Client(client),
        CityLink::Url(url) if super::is_service_url(url) => match super::CityClient::new(url, bank) {
            Ok(client) => GrantSource::Service(Box::new(client)),
            Err(cause) => return Err(offline(bank, &card, share, needed, &cause)?),
        },
        CityLink::Url(_) => {
            let cause = super::sync::database_url_refused();
            return Err(SpendError::Grant(GrantError::Service(super::ClientError::DatabaseUrl(cause))));
        }
        CityLink::Unreachable => {
            let cause = CityError::Connect("the last sync could not reach it".into());
            return Err(offline(bank, &card, share, needed, &cause)?);
        }
        CityLink::None => return Err(SpendError::NoCity { card: card.to_string(), share, needed }),
    };
    let id = grant_id(bank, code.as_str(), op_id)?;
    let asked = needed - share;
    // Recorded before asking: should this process stop after the server says yes, the next
    // sync journals this grant — and only grants recorded so, or signed by this counter.
    let asking = match source {
        GrantSource::Database(_) => Asking::Unsigned,
        GrantSource::Service(_) | GrantSource::Client(_) => Asking::Signed,
    };
    bank.record_grant_intent(&id, &card, asked, asking)?;
    let minutes = match source.grant(code.as_str(), &id, &card, asked) {
        Ok(m) => m,
        Err(GrantError::Short { pool, .. }) => {
            return Err(SpendError::Short { card: card.to_string(), share, pool, needed });
        }
        Err(GrantError::City(cause)) => return Err(offline(bank, &card, share, needed, &cause)?),
        Err(GrantError::Service(cause)) if cause.transient() => {
            return Err(offline(bank, &card, share, needed, &cause)?);
        }
        Err(e) => return Err(SpendError::Grant(e)),
    };
    let Ok(minutes) = u32::try_from(minutes) else {
        return Err(SpendError::Grant(GrantError::Mismatch(id)));
    };
    let grant = CityGrant { id, card, minutes: Minutes::new(minutes) };
    Ok(commit(Some(&grant))?)
}

/// Records a deposit counting the card's service day at every counter when the city service
/// at `city` answers (the day cap is the card's, city-wide); offline, or with no service, this
/// counter's own day as before.
fn deposit(
    bank: &Bank,
    city: Option<&str>,
    who: &Actor,
    op_id: Option<&str>,
    d: &crate::bank::Deposit,
) -> Result<Committed, BankError> {
    let elsewhere = match city.filter(|u| super::is_service_url(u)) {
        Some(url) if bank.rules()?.day_cap.is_some() => {
            let day = d.served_on.unwrap_or_else(|| bank.today());
            super::CityClient::new(url, bank)
                .ok()
                .and_then(|c| c.day_elsewhere(&d.card, day).ok())
                .unwrap_or(0)
        }
        _ => 0,
    };
    let op = Op::Deposit(d.clone());
    bank.execute(who, &op, Mode::Commit(Commit { op_id, grant: None, day_elsewhere: elsewhere }))
}

/// Where a grant comes from: the service, or (for tools and benches that hold the database
/// connection themselves) the database.
enum GrantSource<'a> {
    Database(&'a mut Server),
    Service(Box<super::CityClient>),
    Client(&'a super::CityClient),
}

impl GrantSource<'_> {
    fn grant(&mut self, code: &str, id: &str, card: &CardNo, minutes: u64) -> Result<u64, GrantError> {
        match self {
            GrantSource::Database(server) => server.grant(code, id, card, minutes),
            GrantSource::Service(client) => client.grant(id, card, minutes),
            GrantSource::Client(client) => client.grant(id, card, minutes),
        }
    }
}

fn offline(
    bank: &Bank,
    card: &CardNo,
    share: u64,
    needed: u64,
    cause: &dyn std::fmt::Display,
) -> Result<SpendError, BankError> {
    let city = bank.city_balance(card)?.total();
    Ok(SpendError::Offline { card: card.to_string(), share, city, needed, cause: cause.to_string() })
}
