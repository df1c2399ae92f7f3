//! The city's directory and balances on the server (`hb_cards`, `hb_shares`, `hb_position`):
//! what a counter holds of the city instead of other counters' events (need to know). Each push
//! transaction that changes a card publishes it here as its last step, stamped with the next
//! city-wide position (see `schema.sql` for why that never lets a late commit be skipped); a
//! pull is one range read of the cards past the counter's position.

use std::collections::BTreeMap;

use super::wire::{CardRow, Cards, Share};
use super::{CityError, Server};
use crate::bank::{DirectoryRow, EntryRow, PointsRows};

fn sql(what: &'static str) -> impl Fn(postgres::Error) -> CityError {
    move |e| CityError::of(what, e)
}

/// The journal's names (`hb_entries.kind`) of the entries whose lines move hours between a
/// counter's share and the card's pool — a release hands them over (its line is negative, the
/// pool gains), a journalled grant takes them back — for the audit's statements; a push asks
/// each line itself (`EntryRow::moves_city_pool`). The test below keeps the two in step.
pub(super) const POOL_KINDS: [&str; 2] = ["city_release", "city_grant"];

/// A share's service hours, from its counter's report rows for the card (the SQL twin of
/// [`CardChange::add`]): deposits, net of the reversed ones.
pub(super) const EARNED_OF_ROWS: &str =
    "coalesce(sum(minutes) FILTER (WHERE kind = 'deposit' OR reverses = 'deposit'), 0)::BIGINT";

/// A share's other credits, from the same rows: gifts, grants from the donation pool and
/// corrections in, net of the reversed ones (a reversal's line undoes a credit when negative);
/// never the city pool's own moves.
pub(super) const RECEIVED_OF_ROWS: &str = "coalesce(sum(minutes) FILTER (
        WHERE kind NOT IN ('deposit', 'city_release', 'city_grant') AND reverses IS DISTINCT FROM 'deposit'
          AND ((reverses IS NULL AND minutes > 0) OR (reverses IS NOT NULL AND minutes < 0))), 0)::BIGINT";

/// One card's change in a push: the share delta of the pushing counter, the pool delta, and the
/// directory fields when the batch registers or edits the card.
#[derive(Default)]
struct CardChange<'a> {
    share: i64,
    pool: i64,
    /// What the card earned and received at the pushing counter (see [`EARNED_OF_ROWS`]).
    earned: i64,
    received: i64,
    /// The change to the pushing counter's points share, and to the card's points pool (what
    /// the counter handed it, less the grants it journalled).
    points: i64,
    points_pool: i64,
    directory: Option<&'a DirectoryRow>,
}

impl CardChange<'_> {
    /// Adds one report row: to the share, and to the pool, the earned or the received hours
    /// as its movement says.
    fn add(&mut self, e: &EntryRow) {
        use crate::domain::Movement;
        self.share += e.minutes;
        match e.movement {
            _ if e.moves_city_pool() => self.pool -= e.minutes,
            Some(Movement::Deposit) => self.earned += e.minutes,
            Some(Movement::CityRelease | Movement::CityGrant) | None => {}
            Some(m) if m.adds() => self.received += e.minutes,
            Some(_) => {}
        }
    }
}

/// Some cards' changes to this counter's shares as array parameters of one statement, a card at
/// each index.
#[derive(Default)]
struct Deltas<'a> {
    cards: Vec<&'a str>,
    minutes: Vec<i64>,
    released: Vec<i64>,
    earned: Vec<i64>,
    received: Vec<i64>,
    points: Vec<i64>,
    points_released: Vec<i64>,
}

impl<'a> Deltas<'a> {
    fn of(changes: &[&(&'a str, &CardChange<'_>)]) -> Deltas<'a> {
        let mut d = Deltas::default();
        for (card, c) in changes {
            d.cards.push(card);
            d.minutes.push(c.share);
            d.released.push(c.pool);
            d.earned.push(c.earned);
            d.received.push(c.received);
            d.points.push(c.points);
            d.points_released.push(c.points_pool);
        }
        d
    }

    /// `$1` the counter's code, then the card and its deltas (`$2` … `$8`).
    fn params<'p>(&'p self, code: &'p &str) -> [&'p (dyn postgres::types::ToSql + Sync); 8] {
        [
            code,
            &self.cards,
            &self.minutes,
            &self.released,
            &self.earned,
            &self.received,
            &self.points,
            &self.points_released,
        ]
    }
}

/// Directory fields of some cards as array parameters of one statement, a card at each index
/// (`None`: this batch has no fields for that card, and the statement keeps the row's).
#[derive(Default)]
pub(super) struct Fields<'a> {
    pub(super) names: Vec<Option<&'a str>>,
    pub(super) communities: Vec<Option<&'a str>>,
    pub(super) tails: Vec<Option<&'a str>>,
    pub(super) days: Vec<Option<chrono::NaiveDate>>,
    pub(super) persons: Vec<Option<&'a [u8]>>,
    pub(super) phones: Vec<Option<&'a [u8]>>,
    pub(super) ids: Vec<Option<&'a [u8]>>,
}

impl<'a> Fields<'a> {
    pub(super) fn of(rows: impl Iterator<Item = Option<&'a DirectoryRow>>) -> Fields<'a> {
        let mut f = Fields::default();
        for d in rows {
            f.names.push(d.map(|d| d.name.as_str()));
            f.communities.push(d.map(|d| d.community.as_str()));
            f.tails.push(d.map(|d| d.phone_tail.as_str()));
            f.days.push(d.map(|d| d.registered_on.date()));
            f.persons.push(d.map(|d| &d.person[..]));
            f.phones.push(d.and_then(|d| d.phone_digest.as_ref()).map(|p| &p[..]));
            f.ids.push(d.and_then(|d| d.id_digest.as_ref()).map(|p| &p[..]));
        }
        f
    }
}

/// Publishes what a batch of counter `code` changed (its report rows `entries`, its points
/// rows `points` and directory rows `directory`) in the push's transaction `tx`: the rows of cards registered here first,
/// then this counter's shares stamped with the next city-wide position (which takes the
/// position's lock, held to the commit), then the cards whose own fields or pool changed. A
/// batch that changes no card takes no position.
pub(super) fn publish(
    code: &str,
    entries: &[EntryRow],
    directory: &[DirectoryRow],
    points: &PointsRows,
    tx: &mut postgres::Transaction<'_>,
) -> Result<(), CityError> {
    let mut cards: BTreeMap<&str, CardChange<'_>> = BTreeMap::new();
    for e in entries {
        cards.entry(e.card.as_str()).or_default().add(e);
    }
    for (card, change) in &points.shares {
        cards.entry(card.as_str()).or_default().points += change;
    }
    for m in &points.moves {
        cards.entry(m.card.as_str()).or_default().points_pool += m.to_pool();
    }
    for d in directory {
        // The batch's last version of a card's fields wins (rows come in seq order).
        cards.entry(d.card.as_str()).or_default().directory = Some(d);
    }
    if cards.is_empty() {
        return Ok(());
    }
    let touched: Vec<(&str, &CardChange<'_>)> = cards
        .iter()
        .filter(|(_, c)| {
            c.share != 0
                || c.pool != 0
                || c.earned != 0
                || c.received != 0
                || c.points != 0
                || c.points_pool != 0
                || c.directory.is_some()
        })
        .map(|(k, c)| (*k, c))
        .collect();
    // The shares that grow (or stay) and those that shrink, in either unit, each sent alone: a
    // statement given every touched card and left to filter joined them all against the shares
    // (measured: the update of the shrinking ones took 9 ms a batch at 22,000 cards).
    let (growing, shrinking): (Vec<_>, Vec<_>) =
        touched.iter().partition(|(_, c)| c.share >= 0 && c.points >= 0);
    let (growing, shrinking) = (Deltas::of(&growing), Deltas::of(&shrinking));
    // Every card the batch touches has a share of this counter's: stamping the shares with the
    // next position marks the cards changed. Shares that grow (or stay): one upsert, which takes
    // the position (its row's lock is held to the commit). A share that shrinks is updated in
    // place: its row is there (a counter spends only what it holds), and an upsert would check
    // the negative delta against `minutes >= 0` before finding the row. Only this counter writes
    // its shares, one push at a time.
    //
    // A card first registered here needs its row before the shares name it: inserted first, at
    // position 0 until stamped below (nobody sees it before this transaction commits). A card
    // another push is registering at the same time waits for that push here, before this one
    // holds the position; cards are inserted in card order, so two such pushes cannot wait
    // for each other.
    let registered: Vec<&str> =
        cards.iter().filter(|(_, c)| c.directory.is_some()).map(|(k, _)| *k).collect();
    if !registered.is_empty() {
        let f = Fields::of(cards.values().filter_map(|c| c.directory).map(Some));
        tx.execute(
            "INSERT INTO hb_cards (card, home, name, community, phone_tail, registered_on, person, phone_digest,
                                  id_digest, pool, points_pool, pos)
             SELECT c, $1, n, o, t, r, p, ph, i, 0, 0, 0
             FROM unnest($2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::DATE[], $7::BYTEA[], $8::BYTEA[], $9::BYTEA[])
                  AS u (c, n, o, t, r, p, ph, i)
             ON CONFLICT (card) DO NOTHING",
            &[&code, &registered, &f.names, &f.communities, &f.tails, &f.days, &f.persons, &f.phones, &f.ids],
        )
        .map_err(sql("the cards registered"))?;
    }
    tx.execute(
        "WITH p AS (UPDATE hb_position SET pos = pos + 1 RETURNING pos)
         INSERT INTO hb_shares (card, counter, minutes, released, earned, received, points, points_released, pos)
         SELECT c, $1, m, r, e, v, q, qr, (SELECT pos FROM p)
         FROM unnest($2::TEXT[], $3::BIGINT[], $4::BIGINT[], $5::BIGINT[], $6::BIGINT[], $7::BIGINT[], $8::BIGINT[])
              AS t (c, m, r, e, v, q, qr)
         ON CONFLICT (card, counter) DO UPDATE
             SET minutes = hb_shares.minutes + excluded.minutes,
                 released = hb_shares.released + excluded.released,
                 earned = hb_shares.earned + excluded.earned,
                 received = hb_shares.received + excluded.received,
                 points = hb_shares.points + excluded.points,
                 points_released = hb_shares.points_released + excluded.points_released, pos = excluded.pos",
        &growing.params(&code),
    )
    .map_err(sql("the cards' shares"))?;
    if !shrinking.cards.is_empty() {
        tx.execute(
            "UPDATE hb_shares s SET minutes = s.minutes + t.m, released = s.released + t.r,
                                    earned = s.earned + t.e, received = s.received + t.v,
                                    points = s.points + t.q, points_released = s.points_released + t.qr,
                                    pos = (SELECT pos FROM hb_position)
             FROM unnest($2::TEXT[], $3::BIGINT[], $4::BIGINT[], $5::BIGINT[], $6::BIGINT[], $7::BIGINT[], $8::BIGINT[])
                  AS t (c, m, r, e, v, q, qr)
             WHERE s.card = t.c AND s.counter = $1",
            &shrinking.params(&code),
        )
        .map_err(sql("the cards' shares"))?;
    }
    // Then the cards whose own fields change — directory fields (only by the card's home
    // counter; another counter registering the card as someone else marks it in conflict, the
    // first such counter staying named) or a pool, of hours or points — at the position just
    // taken. Each has its row (a counter registers a card before its entries name it): one
    // missing refuses the push.
    let owned: Vec<(&str, &CardChange<'_>)> = cards
        .iter()
        .filter(|(_, c)| c.directory.is_some() || c.pool != 0 || c.points_pool != 0)
        .map(|(k, c)| (*k, c))
        .collect();
    if owned.is_empty() {
        return Ok(());
    }
    let keys: Vec<&str> = owned.iter().map(|(k, _)| *k).collect();
    let pools: Vec<i64> = owned.iter().map(|(_, c)| c.pool).collect();
    let points_pools: Vec<i64> = owned.iter().map(|(_, c)| c.points_pool).collect();
    let f = Fields::of(owned.iter().map(|(_, c)| c.directory));
    let changed = tx
        .execute(
            "UPDATE hb_cards h SET
                 name = CASE WHEN h.home = $1 AND u.n IS NOT NULL THEN u.n ELSE h.name END,
                 community = CASE WHEN h.home = $1 AND u.n IS NOT NULL THEN u.o ELSE h.community END,
                 phone_tail = CASE WHEN h.home = $1 AND u.n IS NOT NULL THEN u.t ELSE h.phone_tail END,
                 person = CASE WHEN h.home = $1 AND u.n IS NOT NULL THEN u.p ELSE h.person END,
                 phone_digest = CASE WHEN h.home = $1 AND u.n IS NOT NULL THEN u.ph ELSE h.phone_digest END,
                 id_digest = CASE WHEN h.home = $1 AND u.n IS NOT NULL THEN u.i ELSE h.id_digest END,
                 conflict = CASE WHEN h.home <> $1 AND u.p IS NOT NULL
                                      AND (u.p IS DISTINCT FROM h.person OR u.ph <> h.phone_digest OR u.i <> h.id_digest)
                                 THEN coalesce(h.conflict, $1) ELSE h.conflict END,
                 pool = h.pool + u.d,
                 points_pool = h.points_pool + u.q,
                 pos = (SELECT pos FROM hb_position)
             FROM unnest($2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::BIGINT[], $7::BYTEA[],
                         $8::BYTEA[], $9::BYTEA[], $10::BIGINT[]) AS u (c, n, o, t, d, p, ph, i, q)
             WHERE h.card = u.c",
            &[&code, &keys, &f.names, &f.communities, &f.tails, &pools, &f.persons, &f.phones, &f.ids, &points_pools],
        )
        .map_err(sql("the cards"))?;
    if changed != keys.len() as u64 {
        return Err(CityError::Refused {
            what: "the cards",
            code: "23503".into(),
            message: format!(
                "a batch of {code} names a card the city has no registration of ({} cards, {changed} known)",
                keys.len()
            ),
        });
    }
    registrations(code, &cards, tx)
}

/// The batch's registrations and edits of cards: each is this counter's version of its card
/// (on its share), and every such card's conflict is taken again from every counter's version
/// — so the push of a corrected registration settles the conflict it ended, at every counter
/// that pulls the card next (its row was stamped above). A card with a share whose version
/// predates the versions being kept keeps the conflict it had: nothing to compare with.
fn registrations(
    code: &str,
    cards: &BTreeMap<&str, CardChange<'_>>,
    tx: &mut postgres::Transaction<'_>,
) -> Result<(), CityError> {
    let edited: Vec<(&str, &DirectoryRow)> =
        cards.iter().filter_map(|(k, c)| c.directory.map(|d| (*k, d))).collect();
    if edited.is_empty() {
        return Ok(());
    }
    let keys: Vec<&str> = edited.iter().map(|(k, _)| *k).collect();
    let f = Fields::of(edited.iter().map(|(_, d)| Some(*d)));
    tx.execute(
        "UPDATE hb_shares s SET person = u.p, phone_digest = u.ph, id_digest = u.i, name = u.n, phone_tail = u.t
         FROM unnest($2::TEXT[], $3::BYTEA[], $4::BYTEA[], $5::BYTEA[], $6::TEXT[], $7::TEXT[])
              AS u (c, p, ph, i, n, t)
         WHERE s.card = u.c AND s.counter = $1",
        &[&code, &keys, &f.persons, &f.phones, &f.ids, &f.names, &f.tails],
    )
    .map_err(sql("the cards' registrations"))?;
    tx.execute(
        &format!(
            "UPDATE hb_cards h SET conflict = {CONFLICT_OF_SHARES}
             WHERE h.card = ANY($1) AND NOT EXISTS (
                 SELECT 1 FROM hb_shares s WHERE s.card = h.card AND s.counter <> h.home AND s.person IS NULL)"
        ),
        &[&keys],
    )
    .map_err(sql("the cards' conflicts"))?;
    Ok(())
}

/// A card's conflict (`hb_cards h`) from every counter's version of it: the first counter, by
/// code, whose registration contradicts the home's — another name or community, or a phone or
/// ID number both have and that differ (the SQL twin of `DirectoryRow::contradicts`).
const CONFLICT_OF_SHARES: &str = "(SELECT min(s.counter) FROM hb_shares s
      WHERE s.card = h.card AND s.counter <> h.home AND s.person IS NOT NULL
        AND (s.person <> h.person OR s.phone_digest <> h.phone_digest OR s.id_digest <> h.id_digest))";

/// A card's directory fields and its shares, one row per card of `cards` (a subquery with a
/// `card` column), ordered by `ORDER BY`: what every answer of `GET /v1/cards` is made of.
/// Columns: position, card, home, name, community, phone tail, registration day, pool, last
/// change, counters, minutes, released, conflict, earned, received, the conflicting
/// counter's name and phone tail, the points pool, and the shares' points and points released.
fn cards_statement(cards: &str, order: &str, limit: &str) -> String {
    format!(
        "SELECT p.pos, c.card, c.home, c.name, c.community, c.phone_tail, c.registered_on::TEXT,
                c.pool, c.changed, c.counters, c.minutes, c.released, c.conflict, c.earned, c.received,
                c.other_name, c.other_tail, coalesce(c.points_pool, 0), c.share_points, c.points_released
         FROM hb_position p LEFT JOIN LATERAL (
             SELECT h.*, s.counters, s.minutes, s.released, s.earned, s.received, s.share_points, s.points_released,
                    greatest(h.pos, s.pos) AS changed, o.name AS other_name, o.phone_tail AS other_tail
             FROM ({cards}) AS moved
             JOIN hb_cards h ON h.card = moved.card
             LEFT JOIN LATERAL (SELECT array_agg(counter ORDER BY counter) AS counters,
                                       array_agg(minutes ORDER BY counter) AS minutes,
                                       array_agg(released ORDER BY counter) AS released,
                                       array_agg(earned ORDER BY counter) AS earned,
                                       array_agg(received ORDER BY counter) AS received,
                                       array_agg(coalesce(points, 0) ORDER BY counter) AS share_points,
                                       array_agg(coalesce(points_released, 0) ORDER BY counter)
                                           AS points_released,
                                       -- (FILTER keeps the planner from answering
                                       -- max by walking the position index per card)
                                       max(pos) FILTER (WHERE pos >= 0) AS pos
                                FROM hb_shares WHERE card = h.card) s ON true
             LEFT JOIN hb_shares o ON o.card = h.card AND o.counter = h.conflict
             ORDER BY {order} {limit}) c ON true"
    )
}

/// The largest page a counter may ask for.
pub const MAX_PAGE: usize = 10_000;

impl Server {
    /// The city-wide position: the last change every card and share is as of.
    pub fn position(&mut self) -> Result<u64, CityError> {
        let row = self
            .client()
            .query_one("SELECT pos FROM hb_position", &[])
            .map_err(sql("the city's position"))?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    /// The cards changed after position `after`, and the position they are as of: one
    /// statement (one snapshot), range reads of the shares' and cards' positions, whatever the
    /// number of counters. With a `limit`, more changed cards than that are answered
    /// `rejoin` instead (the counter takes the directory again, a page at a time).
    pub fn cards_after(&mut self, after: u64, limit: Option<usize>) -> Result<Cards, CityError> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let moved =
            "SELECT card FROM hb_shares WHERE pos > $1 UNION SELECT card FROM hb_cards WHERE pos > $1";
        let cap = limit.map(|l| l.clamp(1, MAX_PAGE));
        let statement = match cap {
            Some(l) => cards_statement(moved, "changed, h.card", &format!("LIMIT {}", l + 1)),
            None => cards_statement(moved, "changed, h.card", ""),
        };
        let rows = self.client().query(&statement, &[&after]).map_err(sql("the cards"))?;
        let mut cards = cards_answer(&rows);
        if cap.is_some_and(|l| cards.cards.len() > l) {
            cards.cards.clear();
            cards.rejoin = true;
        }
        Ok(cards)
    }

    /// A page of the whole directory: up to `limit` cards after card `from` ("": the first
    /// page, which also says how many cards the city has), in card order, as of the position
    /// answered. Each page is its own snapshot: a counter joins with every page, then the cards
    /// changed after the first page's position (see `CityClient::take_cards`).
    pub fn cards_page(&mut self, from: &str, limit: usize) -> Result<Cards, CityError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let page = format!("SELECT card FROM hb_cards WHERE card > $1 ORDER BY card LIMIT {}", limit + 1);
        let statement = cards_statement(&page, "h.card", "");
        let rows = self.client().query(&statement, &[&from]).map_err(sql("the cards"))?;
        let mut cards = cards_answer(&rows);
        if cards.cards.len() > limit {
            cards.cards.truncate(limit);
            cards.next = cards.cards.last().map(|c| c.card.clone());
        }
        if from.is_empty() {
            let total: i64 = self
                .client()
                .query_one("SELECT count(*) FROM hb_cards", &[])
                .map_err(sql("the cards"))?
                .get(0);
            cards.total = Some(total as u64);
        }
        Ok(cards)
    }
}

/// The rows of [`cards_statement`] as an answer.
fn cards_answer(rows: &[postgres::Row]) -> Cards {
    let position = rows.first().map_or(0, |r| r.get::<_, i64>(0) as u64);
    let cards = rows
        .iter()
        .filter_map(|r| {
            let card: Option<String> = r.get(1);
            let counters: Vec<String> = r.get::<_, Option<Vec<String>>>(9).unwrap_or_default();
            let shares: Vec<i64> = r.get::<_, Option<Vec<i64>>>(10).unwrap_or_default();
            let released: Vec<i64> = r.get::<_, Option<Vec<i64>>>(11).unwrap_or_default();
            let earned: Vec<i64> = r.get::<_, Option<Vec<i64>>>(13).unwrap_or_default();
            let received: Vec<i64> = r.get::<_, Option<Vec<i64>>>(14).unwrap_or_default();
            let points: Vec<i64> = r.get::<_, Option<Vec<i64>>>(18).unwrap_or_default();
            let points_released: Vec<i64> = r.get::<_, Option<Vec<i64>>>(19).unwrap_or_default();
            let minutes = |m: i64| u64::try_from(m).unwrap_or(0);
            Some(CardRow {
                card: card?,
                home: r.get(2),
                name: r.get(3),
                community: r.get(4),
                phone_tail: r.get(5),
                registered_on: r.get(6),
                pool: r.get::<_, i64>(7) as u64,
                points_pool: u64::try_from(r.get::<_, i64>(17)).unwrap_or(0),
                shares: counters
                    .into_iter()
                    .zip(shares.into_iter().zip(released))
                    .zip(earned.into_iter().zip(received))
                    .zip(points.into_iter().zip(points_released))
                    .map(|(((counter, (m, released)), (e, v)), (q, qr))| Share {
                        counter,
                        minutes: minutes(m),
                        released,
                        earned: minutes(e),
                        received: minutes(v),
                        points: minutes(q),
                        points_released: qr,
                    })
                    .collect(),
                pos: r.get::<_, i64>(8) as u64,
                conflict: r.get(12),
                conflict_name: r.get(15),
                conflict_phone_tail: r.get(16),
            })
        })
        .collect();
    Cards { position, cards, head: None, next: None, total: None, rejoin: false }
}

#[cfg(test)]
mod tests {
    use crate::domain::Movement;

    #[test]
    fn the_pool_kinds_are_the_city_pools_movements() {
        let named: Vec<Movement> =
            super::POOL_KINDS.iter().filter_map(|k| Movement::of_event_name(k)).collect();
        assert_eq!(named, [Movement::CityRelease, Movement::CityGrant]);
    }
}
