//! `hourbank city check`: the server re-verified from nothing. Every counter's chain is pulled
//! into a scratch store, link by link and through the ledger rules, exactly as a counter pulls
//! it; then the report rows (`hb_entries`) are added up in SQL and compared, volunteer by
//! volunteer, with the balances the replay gives, and each counter's head with its last row.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{CityError, PullError, Server};
use crate::bank::Bank;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CityCheck {
    pub ok: bool,
    pub counters: usize,
    pub events: u64,
    /// What is wrong, first problem first (each names counter and seq, or counter and card).
    pub problems: Vec<String>,
}

impl Server {
    /// Checks the whole server, replaying into `scratch` (a [`Bank::scratch`]).
    pub fn check(&mut self, scratch: &Bank) -> Result<CityCheck, PullError> {
        let pulled = self.pull(scratch, "")?;
        let mut problems: Vec<String> = pulled.stopped.iter().map(ToString::to_string).collect();
        let heads: Vec<(String, i64)> = self
            .client()
            .query("SELECT code, head_seq FROM hb_counters ORDER BY code", &[])
            .map_err(|e| CityError::of("the counters", e))?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let stopped: Vec<&str> =
            pulled.stopped.iter().filter_map(crate::bank::RemoteError::counter).collect();
        for (code, head) in &heads {
            let (next, _) = scratch.city_head(code)?;
            if !stopped.contains(&code.as_str()) && next - 1 != *head as u64 {
                problems.push(format!(
                    "counter {code}: hb_counters says head #{head}, its last event is #{}",
                    next - 1
                ));
            }
        }
        // Report rows against the replay, per counter and volunteer.
        let mut sql: BTreeMap<(String, u64), i64> = BTreeMap::new();
        for r in self
            .client()
            .query(
                "SELECT counter, volunteer, sum(minutes)::BIGINT FROM hb_entries GROUP BY counter, volunteer",
                &[],
            )
            .map_err(|e| CityError::of("the report rows", e))?
        {
            sql.insert((r.get(0), r.get::<_, i64>(1) as u64), r.get(2));
        }
        for (code, volunteer, card, account) in scratch.city_balances()? {
            let balance = account.balance();
            if stopped.contains(&code.as_str()) {
                continue;
            }
            let rows = sql.remove(&(code.clone(), volunteer)).unwrap_or(0);
            if rows != balance as i64 {
                problems.push(format!(
                    "counter {code}, card {card}: the report rows add up to {rows} minutes, the ledger to {balance}"
                ));
            }
        }
        for ((code, volunteer), minutes) in sql {
            if !stopped.contains(&code.as_str()) {
                problems.push(format!("counter {code}: report rows of {minutes} minutes for volunteer #{volunteer}, whom its journal does not have"));
            }
        }
        self.check_pools(&mut problems)?;
        self.check_cards(scratch, &stopped, &mut problems)?;
        self.check_points_cards(scratch, &stopped, &mut problems)?;
        Ok(CityCheck { ok: problems.is_empty(), counters: heads.len(), events: pulled.events(), problems })
    }
}

impl Server {
    /// The escrow's invariant per card: the pool holds what counters handed over (their
    /// `city_release` rows) less every grant made from it. With every counter's share (the
    /// report rows, checked above against the replay) that is the sum of the card's own
    /// entries, less grants not journalled yet (in transit: listed, not a problem).
    fn check_pools(&mut self, problems: &mut Vec<String>) -> Result<(), CityError> {
        let released = "SELECT card, -minutes AS released, 0 AS granted, 0 AS pool FROM hb_entries WHERE kind = 'city_release'";
        self.pool_problems(released, "minutes", problems)?;
        let orphans = self
            .client()
            .query(
                "SELECT e.counter, e.seq, e.grant_id FROM hb_entries e WHERE e.kind = 'city_grant'
                 AND NOT EXISTS (SELECT 1 FROM hb_grants g WHERE g.id = e.grant_id AND g.counter = e.counter
                                 AND g.card = e.card AND g.minutes = e.minutes AND g.unit = 'minutes') ORDER BY 1, 2",
                &[],
            )
            .map_err(|e| CityError::of("the city grants", e))?;
        for r in orphans {
            let (code, seq, grant): (String, i64, Option<String>) = (r.get(0), r.get(1), r.get(2));
            problems.push(format!(
                "counter {code} #{seq}: journals city grant {} that the server did not make",
                grant.unwrap_or_default()
            ));
        }
        self.check_points_pools(problems)
    }

    /// The same invariant for the civic points: each card's points pool holds what counters
    /// handed over (`points_release` rows) less every grant of points made from it.
    fn check_points_pools(&mut self, problems: &mut Vec<String>) -> Result<(), CityError> {
        let released = "SELECT card, points AS released, 0 AS granted, 0 AS pool FROM hb_points_moves WHERE kind = 'points_release'";
        self.pool_problems(released, "points", problems)
    }

    /// The cards whose pool of `unit` is not what `released` handed over less the grants of
    /// that unit (`unit` names both the grants' unit and the pool's column).
    fn pool_problems(
        &mut self,
        released: &str,
        unit: &str,
        problems: &mut Vec<String>,
    ) -> Result<(), CityError> {
        let query = format!(
            "SELECT card, sum(released)::BIGINT, sum(granted)::BIGINT, sum(pool)::BIGINT FROM (
                 {released}
                 UNION ALL SELECT card, 0, minutes, 0 FROM hb_grants WHERE unit = '{unit}'
                 UNION ALL SELECT card, 0, 0, {unit} FROM hb_pool) AS t
             GROUP BY card HAVING sum(released) - sum(granted) <> sum(pool) ORDER BY card"
        );
        let rows = self.client().query(&query, &[]).map_err(|e| CityError::of("the city pools", e))?;
        for r in rows {
            let (card, released, granted, pool): (String, i64, i64, i64) =
                (r.get(0), r.get(1), r.get(2), r.get(3));
            problems.push(format!(
                "card {card}: its city pool holds {pool} {unit}, but counters handed it {released} and were granted {granted}"
            ));
        }
        Ok(())
    }
}

impl Server {
    /// The directory and balances counters pull (`hb_cards`, `hb_shares`) against what they
    /// are derived from: each share is its counter's report rows for the card, each pool the
    /// card's release and grant rows, each card's fields its home counter's registration as
    /// replayed, and no card past the city's position.
    fn check_cards(
        &mut self,
        scratch: &Bank,
        stopped: &[&str],
        problems: &mut Vec<String>,
    ) -> Result<(), PullError> {
        use super::directory::{EARNED_OF_ROWS, RECEIVED_OF_ROWS};
        let shares = self
            .client()
            .query(
                &format!(
                    "SELECT coalesce(s.card, e.card), coalesce(s.counter, e.counter), s.minutes, e.minutes,
                            coalesce(s.released, 0), coalesce(e.released, 0),
                            coalesce(s.earned, 0), coalesce(e.earned, 0), coalesce(s.received, 0), coalesce(e.received, 0)
                     FROM hb_shares s FULL JOIN (
                         SELECT card, counter, sum(minutes)::BIGINT AS minutes,
                                coalesce(-sum(minutes) FILTER (WHERE kind IN ('city_release', 'city_grant')), 0)::BIGINT AS released,
                                {EARNED_OF_ROWS} AS earned, {RECEIVED_OF_ROWS} AS received
                         FROM hb_entries GROUP BY card, counter) e
                       ON e.card = s.card AND e.counter = s.counter
                     WHERE coalesce(s.minutes, 0) <> coalesce(e.minutes, 0)
                        OR coalesce(s.released, 0) <> coalesce(e.released, 0)
                        OR coalesce(s.earned, 0) <> coalesce(e.earned, 0)
                        OR coalesce(s.received, 0) <> coalesce(e.received, 0) ORDER BY 1, 2"
                ),
                &[],
            )
            .map_err(|e| CityError::of("the cards' shares", e))?;
        for r in shares {
            let (card, code, share, rows): (String, String, Option<i64>, Option<i64>) =
                (r.get(0), r.get(1), r.get(2), r.get(3));
            let (released, released_rows): (i64, i64) = (r.get(4), r.get(5));
            let (earned, earned_rows, received, received_rows): (i64, i64, i64, i64) =
                (r.get(6), r.get(7), r.get(8), r.get(9));
            if stopped.contains(&code.as_str()) {
                continue;
            }
            if share.unwrap_or(0) != rows.unwrap_or(0) {
                problems.push(format!(
                    "card {card}: counter {code}'s share in the directory is {} minutes, its report rows add up to {}",
                    share.unwrap_or(0),
                    rows.unwrap_or(0)
                ));
            } else if released != released_rows {
                problems.push(format!(
                    "card {card}: counter {code} handed {released} minutes to the pool as the directory says, {released_rows} as its release and grant rows say"
                ));
            } else if earned != earned_rows {
                problems.push(format!(
                    "card {card}: counter {code}'s earned hours in the directory are {earned} minutes, its report rows say {earned_rows}"
                ));
            } else {
                problems.push(format!(
                    "card {card}: counter {code}'s other credits in the directory are {received} minutes, its report rows say {received_rows}"
                ));
            }
        }
        let cards = self
            .client()
            .query(
                "SELECT coalesce(c.card, e.card), c.pool, coalesce(e.pool, 0), c.card IS NULL,
                        c.pos > (SELECT pos FROM hb_position)
                 FROM hb_cards c FULL JOIN (
                     SELECT card, (-sum(minutes) FILTER (WHERE kind IN ('city_release', 'city_grant')))::BIGINT AS pool
                     FROM hb_entries GROUP BY card) e ON e.card = c.card
                 WHERE c.card IS NULL OR c.pool <> coalesce(e.pool, 0) OR c.pos > (SELECT pos FROM hb_position)
                 UNION ALL
                 SELECT card, pool, pool, false, true FROM hb_cards c
                 WHERE EXISTS (SELECT 1 FROM hb_shares s WHERE s.card = c.card AND s.pos > (SELECT pos FROM hb_position))
                 ORDER BY 1",
                &[],
            )
            .map_err(|e| CityError::of("the cards", e))?;
        for r in cards {
            let (card, pool, rows, missing, ahead): (String, Option<i64>, i64, bool, Option<bool>) =
                (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
            if missing {
                problems.push(format!("card {card}: report rows name it, the directory has no row for it"));
            } else if ahead == Some(true) {
                problems.push(format!("card {card}: its position is past the city's"));
            } else {
                problems.push(format!(
                    "card {card}: the directory's pool is {} minutes, its release and grant rows say {rows}",
                    pool.unwrap_or(0)
                ));
            }
        }
        let directory = self
            .client()
            .query("SELECT card, home, name, community, phone_tail FROM hb_cards ORDER BY card", &[])
            .map_err(|e| CityError::of("the cards", e))?;
        for r in directory {
            let (card, home, name, community, tail): (String, String, String, String, String) =
                (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
            if stopped.contains(&home.as_str()) {
                continue;
            }
            let Ok(number) = crate::domain::CardNo::parse(&card) else {
                problems.push(format!("card {card}: not a card number"));
                continue;
            };
            let registered = scratch.city_registrations(&number)?.into_iter().find(|v| v.code == home);
            let listed_tail = match &registered {
                Some(v) => scratch.city_phone_tail(v)?,
                None => String::new(),
            };
            let agrees = registered.as_ref().is_some_and(|v| {
                let record = &v.record;
                record.name.as_str() == name && record.community == community && listed_tail == tail
            });
            if !agrees {
                problems.push(format!(
                    "card {card}: the directory's name, community or phone tail is not what its home counter {home} registered"
                ));
            }
        }
        Ok(())
    }
}

/// What a points move does to its card's pool, in SQL (`hb_points_moves`): the twin of
/// `PointsMoveRow::to_pool`.
const POINTS_TO_POOL: &str = "sum(CASE WHEN kind = 'points_release' THEN points ELSE -points END)::BIGINT";

impl Server {
    /// The directory's civic points against what they are derived from: each share's points
    /// are its counter's points account for the card as replayed, each share's points handed
    /// over its counter's release and grant moves, each card's points pool all of its moves.
    fn check_points_cards(
        &mut self,
        scratch: &Bank,
        stopped: &[&str],
        problems: &mut Vec<String>,
    ) -> Result<(), PullError> {
        let mut listed: BTreeMap<(String, String), i64> = BTreeMap::new();
        for r in self
            .client()
            .query(
                "SELECT counter, card, coalesce(points, 0) FROM hb_shares WHERE coalesce(points, 0) <> 0",
                &[],
            )
            .map_err(|e| CityError::of("the cards' shares", e))?
        {
            listed.insert((r.get(0), r.get(1)), r.get(2));
        }
        for (code, card, replayed) in scratch.city_points_balances()? {
            let share = listed.remove(&(code.clone(), card.to_string())).unwrap_or(0);
            if !stopped.contains(&code.as_str()) && share != replayed as i64 {
                problems.push(format!(
                    "card {card}: counter {code}'s points share in the directory is {share}, its journal's is {replayed}"
                ));
            }
        }
        for ((code, card), share) in listed {
            if !stopped.contains(&code.as_str()) {
                problems.push(format!(
                    "card {card}: counter {code}'s points share in the directory is {share}, its journal's is 0"
                ));
            }
        }
        let released = self
            .client()
            .query(
                &format!(
                    "SELECT coalesce(s.card, m.card), coalesce(s.counter, m.counter), coalesce(s.points_released, 0),
                            coalesce(m.released, 0)
                     FROM hb_shares s FULL JOIN (SELECT card, counter, {POINTS_TO_POOL} AS released
                                                 FROM hb_points_moves GROUP BY card, counter) m
                       ON m.card = s.card AND m.counter = s.counter
                     WHERE coalesce(s.points_released, 0) <> coalesce(m.released, 0) ORDER BY 1, 2"
                ),
                &[],
            )
            .map_err(|e| CityError::of("the cards' shares", e))?;
        for r in released {
            let (card, code, listed, moves): (String, String, i64, i64) =
                (r.get(0), r.get(1), r.get(2), r.get(3));
            if !stopped.contains(&code.as_str()) {
                problems.push(format!(
                    "card {card}: counter {code} handed {listed} points to the pool as the directory says, {moves} as its points moves say"
                ));
            }
        }
        let pools = self
            .client()
            .query(
                &format!(
                    "SELECT c.card, coalesce(c.points_pool, 0), coalesce(m.pool, 0)
                     FROM hb_cards c LEFT JOIN (SELECT card, {POINTS_TO_POOL} AS pool FROM hb_points_moves GROUP BY card) m
                       ON m.card = c.card
                     WHERE coalesce(c.points_pool, 0) <> coalesce(m.pool, 0) ORDER BY 1"
                ),
                &[],
            )
            .map_err(|e| CityError::of("the cards", e))?;
        for r in pools {
            let (card, listed, moves): (String, i64, i64) = (r.get(0), r.get(1), r.get(2));
            problems.push(format!(
                "card {card}: the directory's points pool is {listed}, its points moves say {moves}"
            ));
        }
        Ok(())
    }
}
