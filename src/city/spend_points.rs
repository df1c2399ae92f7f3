//! Spending civic points at any counter (ARCHITECTURE.md §9), as `spend` does the hours: a
//! redemption priced in points is tried on this counter's share first; short, it asks the
//! card's city pool for the rest (one grant of points) and commits the grant's entry with the
//! redemption. Offline, only the share can be spent, and the refusal says so. A scheme an
//! admin keeps to its own community never asks the city.

use super::escrow::{GrantError, grant_id};
use super::spend::{CityLink, SpendError};
use super::wire::Unit;
use crate::bank::{Asking, Bank, Committed, PointsGrant, points_shortfall};
use crate::domain::{Actor, CardNo, Points, RewardId};

/// A redemption of `qty` of `reward` for points from `card`, with the city at `city`: the
/// redemption's entry last, after the grant that funds it when one does.
pub fn redeem_points(
    bank: &Bank,
    city: super::spend::CityLink<'_>,
    who: &Actor,
    op_id: Option<&str>,
    card: &CardNo,
    reward: RewardId,
    qty: u32,
) -> Result<Committed, SpendError> {
    let commit =
        |grant: Option<&PointsGrant>| bank.redeem_points_funded(who, op_id, card, reward, qty, grant);
    if matches!(city, CityLink::None) || bank.points_kept_local()? {
        return Ok(commit(None)?);
    }
    if bank.city_catch_up()?.is_some() {
        return Err(SpendError::Behind);
    }
    // A resident registered at another counter exchanges here: the usual case on an exchange day.
    bank.adopt_from_city(who, std::slice::from_ref(card))?;
    let e = match commit(None) {
        Ok(done) => return Ok(done),
        Err(e) => e,
    };
    let Some((share, needed)) = points_shortfall(&e) else { return Err(e.into()) };
    let offline = |cause: &dyn std::fmt::Display| SpendError::PointsOffline {
        card: card.to_string(),
        share,
        needed,
        cause: cause.to_string(),
    };
    let Some(code) = bank.counter_code()? else { return Err(e.into()) };
    let id = grant_id(bank, code.as_str(), op_id)?;
    let asked = needed - share;
    let granted = match city {
        CityLink::Open(server) => {
            bank.record_points_grant_intent(&id, card, asked, Asking::Unsigned)?;
            server.grant_points(code.as_str(), &id, card, asked)
        }
        CityLink::Client(client) => {
            bank.record_points_grant_intent(&id, card, asked, Asking::Signed)?;
            client.grant_of(Unit::Points, &id, card, asked)
        }
        CityLink::Url(url) if super::is_service_url(url) => match super::CityClient::new(url, bank) {
            Ok(client) => {
                bank.record_points_grant_intent(&id, card, asked, Asking::Signed)?;
                client.grant_of(Unit::Points, &id, card, asked)
            }
            Err(cause) => return Err(offline(&cause)),
        },
        CityLink::Url(_) => return Err(offline(&super::sync::database_url_refused())),
        CityLink::Unreachable => return Err(offline(&"the last sync could not reach it")),
        CityLink::None => return Err(e.into()),
    };
    let points = match granted {
        Ok(p) => p,
        Err(GrantError::Short { pool, .. }) => {
            return Err(SpendError::PointsShort { card: card.to_string(), share, pool, needed });
        }
        Err(GrantError::City(cause)) => return Err(offline(&cause)),
        Err(GrantError::Service(cause)) if cause.transient() => return Err(offline(&cause)),
        Err(e) => return Err(SpendError::Grant(e)),
    };
    let Ok(points) = u32::try_from(points) else {
        return Err(SpendError::Grant(GrantError::Mismatch(id)));
    };
    let grant = PointsGrant { id, card: card.clone(), points: Points::new(points) };
    Ok(commit(Some(&grant))?)
}
