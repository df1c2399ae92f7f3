//! Spending anywhere without overdrawing (ARCHITECTURE.md §8): the server's side of the escrow. A
//! counter's share goes to the card's pool at each sync (the release entry is journalled
//! first, and reaches the pool in the transaction that pushes it: see `push`); a counter
//! short of hours takes a grant from the pool in one server transaction that only succeeds
//! if the pool stays at zero or above, then journals it with the operation that spends it.
//! A grant the counter never journalled (it stopped in between) is journalled at its next
//! sync, once.

use super::wire::Unit;
use super::{CityError, Server};
use crate::bank::{Bank, CityGrant, Healing, PointsGrant};
use crate::domain::{CardNo, Minutes, Points};

/// Why the pool gave nothing.
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    #[error(transparent)]
    City(#[from] CityError),
    /// The pool holds less than asked (nothing was taken).
    #[error("the city pool of card {card} holds {pool} minutes, less than the {asked} asked")]
    Short { card: String, pool: u64, asked: u64 },
    /// The card is registered as different people at two counters (`hb_cards.conflict`): until
    /// an admin settles it, a counter takes back from its pool only what it handed over itself,
    /// so no one's hours reach the other person (nothing was taken).
    #[error(
        "card {card} is registered as different people at two counters: until an admin settles it, this counter may take back from its city pool only the {own} minutes it handed over itself, not the {asked} asked"
    )]
    InConflict { card: String, own: u64, asked: u64 },
    /// The id names a grant made for another counter or card.
    #[error("city grant {0} was made for another counter or card")]
    Mismatch(String),
    /// The city service refused or could not be reached.
    #[error(transparent)]
    Service(super::ClientError),
    /// The request's nonce was seen before, or the counter's key is revoked (nothing taken).
    #[error("the grant's request was refused: {0:?}")]
    Nonce(super::Nonce),
}

fn sql(what: &'static str) -> impl Fn(postgres::Error) -> CityError {
    move |e| CityError::of(what, e)
}

/// What counter `$2` handed to card `$3`'s pool itself, net of the grants it journalled and of
/// those it took and has not journalled yet: all a counter may take back from the pool of a
/// card in conflict. In hours: a grant of points (journalled in `hb_points_moves`, never in
/// `hb_entries`) is none of them.
macro_rules! own_in_pool {
    () => {
        "(coalesce((SELECT released FROM hb_shares WHERE card = $3 AND counter = $2), 0)
          - coalesce((SELECT sum(g.minutes) FROM hb_grants g WHERE g.card = $3 AND g.counter = $2 AND g.unit = 'minutes'
                        AND NOT EXISTS (SELECT 1 FROM hb_entries e WHERE e.grant_id = g.id)), 0))"
    };
}

/// A grant's one statement (see `Server::grant`), of the pool's `$column` (hours or points),
/// the grant row of `$unit`, taken only where `$card_may_give` holds (a card in conflict).
macro_rules! grant_statement {
    (pool: $column:literal, unit: $unit:literal, card_may_give: $($card_may_give:tt)+) => {
        concat!(
            "WITH fresh AS (
                 INSERT INTO hb_nonces (counter, nonce)
                 SELECT counter, $5 FROM hb_keys
                 WHERE counter = $2 AND revoked_at IS NULL AND $5::TEXT IS NOT NULL
                 ON CONFLICT (counter, nonce) DO NOTHING RETURNING 1
             ), taken AS (
                 UPDATE hb_pool SET ", $column, " = ", $column, " - $4
                 WHERE card = $3 AND ", $column, " >= $4
                   AND ($5::TEXT IS NULL OR EXISTS (SELECT 1 FROM fresh))
                   AND NOT EXISTS (SELECT 1 FROM hb_grants WHERE id = $1)
                   AND ", $($card_may_give)+, "
                 RETURNING card
             ), granted AS (
                 INSERT INTO hb_grants (id, counter, card, minutes, asked, unit)
                 SELECT $1, $2, card, $4, $6::BYTEA, '", $unit, "' FROM taken
                 RETURNING minutes
             )
             SELECT (SELECT count(*) FROM granted), (SELECT count(*) FROM fresh)"
        )
    };
}

/// A grant of hours: from a card in conflict, only as much as the counter handed over itself.
const GRANT: &str = grant_statement!(
    pool: "minutes",
    unit: "minutes",
    card_may_give: "(NOT EXISTS (SELECT 1 FROM hb_cards WHERE card = $3 AND conflict IS NOT NULL) OR $4 <= ",
        own_in_pool!(),
        ")"
);

/// A grant of points: never from a card in conflict (no counter hands points over for a card
/// two counters disagree on, so none takes them back either, until an admin settles it).
const GRANT_POINTS: &str = grant_statement!(
    pool: "points",
    unit: "points",
    card_may_give: "NOT EXISTS (SELECT 1 FROM hb_cards WHERE card = $3 AND conflict IS NOT NULL)"
);

impl Server {
    /// Takes `minutes` of `card`'s pool for counter `code` as grant `id`, in one transaction:
    /// the grant is inserted and the pool decremented only if it stays ≥ 0. The same id again
    /// (a retry, or after a crash) finds the first grant and takes nothing more: the minutes
    /// granted are the first grant's.
    pub fn grant(&mut self, code: &str, id: &str, card: &CardNo, minutes: u64) -> Result<u64, GrantError> {
        self.grant_with_nonce(Unit::Minutes, code, id, card, minutes, None, None)
    }

    /// [`Server::grant`] of `points` from the card's points pool.
    pub fn grant_points(
        &mut self,
        code: &str,
        id: &str,
        card: &CardNo,
        points: u64,
    ) -> Result<u64, GrantError> {
        self.grant_with_nonce(Unit::Points, code, id, card, points, None, None)
    }

    /// [`Server::grant`] for a signed request with `nonce`: in the same statement (so one
    /// round trip and one commit for the whole request) the nonce is recorded if new and the
    /// counter's key not revoked, and nothing is taken otherwise. `asked` is the counter's
    /// signature over the request (`wire::grant_message`), kept with the grant.
    #[allow(clippy::too_many_arguments)]
    pub fn grant_with_nonce(
        &mut self,
        unit: Unit,
        code: &str,
        id: &str,
        card: &CardNo,
        minutes: u64,
        nonce: Option<&str>,
        asked: Option<&[u8]>,
    ) -> Result<u64, GrantError> {
        let asked_minutes = minutes as i64;
        // One statement, so one round trip on the way that matters (the pool holds enough):
        // the pool is decremented only if it holds the minutes, the id is new and the nonce
        // (when there is one) fresh, and the grant inserted only for a decremented pool. A
        // same-id grant racing this one fails the insert's key (23505), which undoes the whole
        // statement; the retry then finds it.
        let statement = self
            .prepared(match unit {
                Unit::Minutes => GRANT,
                Unit::Points => GRANT_POINTS,
            })
            .map_err(sql("the grant"))?;
        let row = self
            .client()
            .query_one(&statement, &[&id, &code, &card.as_str(), &asked_minutes, &nonce, &asked])
            .map_err(sql("the grant"))?;
        let (granted, fresh): (i64, i64) = (row.get(0), row.get(1));
        if granted == 1 {
            return Ok(minutes);
        }
        if nonce.is_some() && fresh == 0 {
            let revoked = self
                .client()
                .query_opt("SELECT revoked_at IS NOT NULL FROM hb_keys WHERE counter = $1", &[&code])
                .map_err(sql("the counter's key"))?
                .is_none_or(|r| r.get(0));
            return Err(GrantError::Nonce(super::Nonce::of(revoked, false)));
        }
        // Nothing taken: the grant was made before (a retry), or the pool is short.
        let before = self
            .client()
            .query_opt("SELECT counter, card, minutes, unit FROM hb_grants WHERE id = $1", &[&id])
            .map_err(sql("the grant"))?;
        if let Some(row) = before {
            let (counter, owner, granted): (String, String, i64) = (row.get(0), row.get(1), row.get(2));
            if counter != code || owner != card.as_str() || row.get::<_, String>(3) != unit.as_str() {
                return Err(GrantError::Mismatch(id.to_string()));
            }
            return Ok(granted as u64);
        }
        let conflict = self
            .client()
            .query_opt(
                concat!(
                    "SELECT ",
                    own_in_pool!(),
                    "::BIGINT FROM hb_cards WHERE card = $3 AND conflict IS NOT NULL AND $1::TEXT IS NOT NULL"
                ),
                &[&id, &code, &card.as_str()],
            )
            .map_err(sql("the card's conflict"))?;
        // A card in conflict gives back no points at all (see `GRANT_POINTS`).
        let own = conflict.map(|row| match unit {
            Unit::Minutes => u64::try_from(row.get::<_, i64>(0)).unwrap_or(0),
            Unit::Points => 0,
        });
        if let Some(own) = own.filter(|own| *own < minutes) {
            return Err(GrantError::InConflict { card: card.to_string(), own, asked: minutes });
        }
        let pool = match unit {
            Unit::Minutes => self.pool(card)?,
            Unit::Points => self.points_pool(card)?,
        };
        Err(GrantError::Short { card: card.to_string(), pool, asked: minutes })
    }

    /// What `card`'s city pool holds now.
    pub fn pool(&mut self, card: &CardNo) -> Result<u64, CityError> {
        let row = self
            .client()
            .query_opt("SELECT minutes FROM hb_pool WHERE card = $1", &[&card.as_str()])
            .map_err(sql("the card's city pool"))?;
        Ok(row.map_or(0, |r| r.get::<_, i64>(0) as u64))
    }

    /// What `card`'s city pool holds in points now.
    pub fn points_pool(&mut self, card: &CardNo) -> Result<u64, CityError> {
        let row = self
            .client()
            .query_opt("SELECT points FROM hb_pool WHERE card = $1", &[&card.as_str()])
            .map_err(sql("the card's city pool"))?;
        Ok(row.map_or(0, |r| r.get::<_, i64>(0) as u64))
    }

    /// Grants made to counter `code` that no pushed entry journals yet, as the server holds
    /// them: whoever can write the database can write these rows, so they are checked here
    /// (and journalled only if this counter asked for them, see [`Bank::journal_grant`]).
    pub fn unjournalled_grants(&mut self, code: &str) -> Result<Vec<ServerGrant>, CityError> {
        let rows = self
            .client()
            .query(
                "SELECT g.id, g.card, g.minutes, g.asked, g.unit FROM hb_grants g WHERE g.counter = $1
                 AND NOT EXISTS (SELECT 1 FROM hb_entries e WHERE e.grant_id = g.id)
                 AND NOT EXISTS (SELECT 1 FROM hb_points_moves p WHERE p.grant_id = g.id)
                 ORDER BY g.granted_at, g.id",
                &[&code],
            )
            .map_err(sql("the counter's grants"))?;
        Ok(rows
            .iter()
            .map(|r| ServerGrant {
                id: r.get(0),
                card: r.get(1),
                minutes: r.get(2),
                asked: r.get(3),
                unit: if r.get::<_, String>(4) == Unit::Points.as_str() {
                    Unit::Points
                } else {
                    Unit::Minutes
                },
            })
            .collect())
    }

    /// Before a push: journals every grant the server made to this counter that this store
    /// asked for and never journalled (healing a stop between a grant and its commit), then
    /// hands every share above `float` to the pools (on a new connection every share is looked
    /// at; then only those entries since moved). A grant row this counter never asked for, or
    /// that no counter could have been made, is reported and skipped: it never stops a sync.
    pub fn settle(&mut self, bank: &Bank, code: &str, float: Minutes) -> Result<Settled, super::SyncError> {
        let who = crate::domain::Actor::Sync;
        let rows = self.unjournalled_grants(code).map_err(super::SyncError::Connect)?;
        let settled = heal(bank, rows).map_err(super::PushError::Bank)?;
        let (_, through) =
            bank.release_to_city(&who, float, self.released_through).map_err(super::PushError::Bank)?;
        bank.release_points_to_city(&who, self.released_through).map_err(super::PushError::Bank)?;
        self.released_through = Some(through);
        Ok(settled)
    }
}

/// Journals each of `rows` (grants the city holds for this counter and no entry journals)
/// that this counter asked for; reports the others, never crediting them.
pub(super) fn heal(bank: &Bank, rows: Vec<ServerGrant>) -> Result<Settled, crate::bank::BankError> {
    let who = crate::domain::Actor::Sync;
    let mut settled = Settled::default();
    if rows.is_empty() {
        return Ok(settled);
    }
    let (code, key) = (bank.counter_code()?, bank.counter_key()?);
    for row in rows {
        let Some(grant) = row.usable() else {
            settled.refused.push(row.refusal("it is not a grant any counter could have asked for"));
            continue;
        };
        // This counter's own signature over the request, which the service kept: a grant it
        // asked for even where its record of asking is gone (restored from an older backup).
        let signed = match (&code, &key, row.asked.as_deref()) {
            (Some(code), Some(key), Some(asked)) => {
                let message = super::wire::unit_grant_message(
                    row.unit,
                    code.as_str(),
                    &row.id,
                    &row.card,
                    grant.amount(),
                );
                super::wire::verify(&key.verifying_key(), &message, asked)
            }
            _ => false,
        };
        let healing = match &grant {
            Usable::Minutes(grant) => bank.journal_grant(&who, grant, signed),
            Usable::Points(grant) => bank.journal_points_grant(&who, grant, signed),
        };
        match healing {
            Ok(Healing::Journalled(_)) => settled.healed += 1,
            Ok(Healing::Already) => {}
            Ok(Healing::NotAsked) => settled.refused.push(row.refusal("this counter never asked for it")),
            // Asked for, but its card is not held here (a restore lost the adoption): said, and
            // journalled at the first sync after the card is opened here again.
            Err(crate::bank::BankError::Rule(crate::domain::Rule::UnknownCard(card))) => {
                settled.refused.push(row.refusal(&format!(
                    "card {card} is not registered here: open it once, and the next sync journals the grant"
                )))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(settled)
}

/// A grant row as the server holds it, before anything trusts it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServerGrant {
    pub id: String,
    pub card: String,
    pub minutes: i64,
    /// The asking counter's signature over the request, when the service kept one.
    #[serde(default, with = "super::wire::b64_opt")]
    pub asked: Option<Vec<u8>>,
    /// What it grants (`minutes` then holds points); absent from a service of before points.
    #[serde(default)]
    pub unit: Unit,
}

/// A server's grant row as this counter may journal it.
enum Usable {
    Minutes(CityGrant),
    Points(PointsGrant),
}

impl Usable {
    fn amount(&self) -> u64 {
        match self {
            Usable::Minutes(g) => g.minutes.get().into(),
            Usable::Points(g) => g.points.get().into(),
        }
    }
}

impl ServerGrant {
    /// The grant, if its card is a card and its amount fits an entry (out of range is refused,
    /// never truncated).
    fn usable(&self) -> Option<Usable> {
        let card = CardNo::parse(&self.card).ok()?;
        let amount = u32::try_from(self.minutes).ok().filter(|m| *m > 0)?;
        let id = self.id.clone();
        Some(match self.unit {
            Unit::Minutes => Usable::Minutes(CityGrant { id, card, minutes: Minutes::new(amount) }),
            Unit::Points => Usable::Points(PointsGrant { id, card, points: Points::new(amount) }),
        })
    }

    fn refusal(&self, why: &str) -> String {
        use crate::domain::printable;
        format!(
            "city grant {} of {} {} from card {} was not credited: {why}",
            printable(&self.id),
            self.minutes,
            self.unit.as_str(),
            printable(&self.card)
        )
    }
}

/// What settling before a push did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Settled {
    /// Grants this counter asked for and journals now.
    pub healed: usize,
    /// Grant rows reported and not credited, each with why.
    pub refused: Vec<String>,
}

/// A grant id no other operation of this counter uses: `code:op-id` for an operation with an
/// id (so a retry finds its grant), else `code:` and the time in nanoseconds. When the id is
/// journalled already (the grant was healed, then handed back at a sync) the next free
/// `…/2`, `…/3`.
pub fn grant_id(bank: &Bank, code: &str, op: Option<&str>) -> Result<String, crate::bank::BankError> {
    let base = match op {
        Some(op) => format!("{code}:{op}"),
        None => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            format!("{code}:t{nanos:x}")
        }
    };
    let mut id = base.clone();
    let mut n = 1;
    while bank.grant_entry(&id)?.is_some() {
        n += 1;
        id = format!("{base}/{n}");
    }
    Ok(id)
}
