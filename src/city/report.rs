//! City reports: the local reports' figures added up by SQL over every counter's report rows
//! (`hb_entries`), booked on the same days with the same signs, so a city's month is the sum
//! of its counters' months. Plain aggregates: the command line lays them out with the local
//! reports' sheet writers.

use chrono::NaiveDate;

use super::{CityError, Server};

/// Deposited and redeemed minutes (net of reversals) for one group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupMinutes {
    pub name: String,
    pub deposited: i64,
    pub redeemed: i64,
}

/// A calendar month or a day, as the half-open range of days it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    /// The first day after.
    pub until: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CityFigures {
    pub by_counter: Vec<GroupMinutes>,
    pub by_community: Vec<GroupMinutes>,
    pub by_activity: Vec<GroupMinutes>,
    /// Cards first registered (at any counter) in the period.
    pub new_volunteers: u64,
    /// Cards with net deposits in the period.
    pub active_volunteers: u64,
    /// The cards with the most hours deposited in the period: card, community, minutes.
    pub top: Vec<(String, String, i64)>,
    pub pool_donated: i64,
    pub pool_granted: i64,
    /// The pools' balance at the period's end, all counters together.
    pub pool_balance_at_end: i64,
}

/// The kind a row counts as: a reversal counts as what it reverses, with its negated minutes.
const AS_KIND: &str = "coalesce(reverses, kind)";

fn sql(what: &'static str) -> impl Fn(postgres::Error) -> CityError {
    move |e| CityError::of(what, e)
}

/// A text from the server as it may be printed: whoever can write a report row can put an
/// escape sequence in it, and city reports go to terminals like every other output.
fn shown(text: String) -> String {
    crate::domain::printable(&text).into_owned()
}

impl Server {
    /// Minutes deposited for `card` with service day `day` at every counter but `except`, net
    /// of reversals: the rest of the card's day, for the day cap.
    pub fn day_elsewhere(&mut self, card: &str, day: NaiveDate, except: &str) -> Result<i64, CityError> {
        Ok(self
            .client()
            .query_one(
                &format!(
                    "SELECT coalesce(sum(minutes), 0)::BIGINT FROM hb_entries
                     WHERE card = $1 AND served_on = $2 AND counter <> $3 AND {AS_KIND} = 'deposit'"
                ),
                &[&card, &day, &except],
            )
            .map_err(sql("the card's day"))?
            .get(0))
    }

    /// The period's figures over every counter.
    pub fn figures(&mut self, p: Period, top: i64) -> Result<CityFigures, CityError> {
        let range = "day >= $1 AND day < $2";
        let flows = |server: &mut Server, group: &str| -> Result<Vec<GroupMinutes>, CityError> {
            let q = format!(
                "SELECT {group}, coalesce(sum(CASE WHEN {AS_KIND} = 'deposit' THEN minutes END), 0)::BIGINT,
                        coalesce(-sum(CASE WHEN {AS_KIND} = 'redeem' THEN minutes END), 0)::BIGINT
                 FROM hb_entries WHERE {range} AND {AS_KIND} IN ('deposit', 'redeem') AND {group} IS NOT NULL
                 GROUP BY {group} ORDER BY {group}"
            );
            Ok(server
                .client()
                .query(q.as_str(), &[&p.from, &p.until])
                .map_err(sql("the report's totals"))?
                .iter()
                .map(|r| GroupMinutes { name: shown(r.get(0)), deposited: r.get(1), redeemed: r.get(2) })
                .collect())
        };
        let by_counter = flows(self, "counter")?;
        let by_community = flows(self, "community")?;
        let by_activity = flows(self, "activity")?;
        let c = self.client();
        let count = |c: &mut postgres::Client, q: &str| -> Result<u64, CityError> {
            let n: i64 = c.query_one(q, &[&p.from, &p.until]).map_err(sql("the report's counts"))?.get(0);
            Ok(n as u64)
        };
        // A card registered at one counter and then at others (to be served there) is one
        // newcomer, in the month on its first registration.
        let new_volunteers = count(
            c,
            "SELECT count(*) FROM (SELECT card FROM hb_entries WHERE kind = 'volunteer_registered'
                GROUP BY card HAVING min(registered_on) >= $1 AND min(registered_on) < $2) AS n",
        )?;
        let active_volunteers = count(
            c,
            &format!(
                "SELECT count(*) FROM (SELECT card FROM hb_entries WHERE {range} AND {AS_KIND} = 'deposit'
                    GROUP BY card HAVING sum(minutes) > 0) AS a"
            ),
        )?;
        let top = c
            .query(
                &format!(
                    "SELECT card, max(community), sum(minutes)::BIGINT AS m FROM hb_entries
                     WHERE {range} AND {AS_KIND} = 'deposit' GROUP BY card HAVING sum(minutes) > 0
                     ORDER BY m DESC, card LIMIT $3"
                ),
                &[&p.from, &p.until, &top],
            )
            .map_err(sql("the report's top volunteers"))?
            .iter()
            .map(|r| (shown(r.get(0)), shown(r.get(1)), r.get(2)))
            .collect();
        // A donation's line is the donor's (negative) minutes; the pool gains them. A grant's is
        // the recipient's (positive); the pool loses them.
        let pool = c
            .query_one(
                &format!(
                    "SELECT coalesce(-sum(CASE WHEN {AS_KIND} = 'donation' AND day >= $1 THEN minutes END), 0)::BIGINT,
                            coalesce(sum(CASE WHEN {AS_KIND} = 'pool_grant' AND day >= $1 THEN minutes END), 0)::BIGINT,
                            coalesce(-sum(minutes), 0)::BIGINT
                     FROM hb_entries WHERE day < $2 AND {AS_KIND} IN ('donation', 'pool_grant')"
                ),
                &[&p.from, &p.until],
            )
            .map_err(sql("the report's pool"))?;
        Ok(CityFigures {
            by_counter,
            by_community,
            by_activity,
            new_volunteers,
            active_volunteers,
            top,
            pool_donated: pool.get(0),
            pool_granted: pool.get(1),
            pool_balance_at_end: pool.get(2),
        })
    }

    /// Net minutes deposited in each of `months` (first day of each, in order; the last one's
    /// end is `until`).
    pub fn deposits_by_month(
        &mut self,
        months: &[NaiveDate],
        until: NaiveDate,
    ) -> Result<Vec<i64>, CityError> {
        let mut out = Vec::with_capacity(months.len());
        for (i, from) in months.iter().enumerate() {
            let end = months.get(i + 1).copied().unwrap_or(until);
            let m: i64 = self
                .client()
                .query_one(
                    &format!(
                        "SELECT coalesce(sum(minutes), 0)::BIGINT FROM hb_entries
                         WHERE day >= $1 AND day < $2 AND {AS_KIND} = 'deposit'"
                    ),
                    &[from, &end],
                )
                .map_err(sql("the report's months"))?
                .get(0);
            out.push(m);
        }
        Ok(out)
    }
}
