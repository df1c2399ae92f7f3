//! What `city init` derives once for a city an older version set up, in `init`'s transaction:
//! the directory itself (a city from before it), the shares' earned and received hours, and the
//! directory's civic points. Each is derived from what the city holds — events and report rows —
//! as the pushes derive it now, and a city that has it changes nothing.

use std::collections::BTreeMap;

use super::CityError;
use super::directory::{EARNED_OF_ROWS, Fields, POOL_KINDS, RECEIVED_OF_ROWS};
use crate::bank::DirectoryRow;

fn sql(what: &'static str) -> impl Fn(postgres::Error) -> CityError {
    move |e| CityError::of(what, e)
}

/// A city set up before the directory existed: its cards and shares derived once from what it
/// holds, all at position 1 — shares and pools from the report rows, directory fields from the
/// registration and edit events (a card's home is the counter that registered it on the
/// earliest day, then by code). Runs in `city init`'s transaction, holding the position's row
/// so that no push publishes meanwhile; a city whose position moved already is left alone.
/// Returns the number of cards published.
pub(super) fn backfill(tx: &mut postgres::Transaction<'_>) -> Result<usize, CityError> {
    let pos: i64 = tx
        .query_one("SELECT pos FROM hb_position FOR UPDATE", &[])
        .map_err(sql("the city's position"))?
        .get(0);
    let any: bool =
        tx.query_one("SELECT EXISTS (SELECT 1 FROM hb_entries)", &[]).map_err(sql("the report rows"))?.get(0);
    if pos != 0 || !any {
        return Ok(0);
    }
    // Per card, each registering counter's first day and latest fields.
    let mut registrations: BTreeMap<String, BTreeMap<String, (crate::domain::Day, DirectoryRow)>> =
        BTreeMap::new();
    {
        use postgres::fallible_iterator::FallibleIterator;
        let mut rows = tx
            .query_raw(
                "SELECT counter, seq, stored FROM hb_events WHERE seq > 0 ORDER BY counter, seq",
                std::iter::empty::<i64>(),
            )
            .map_err(sql("the events"))?;
        while let Some(row) = rows.next().map_err(sql("the events"))? {
            let (counter, seq, stored): (String, i64, Vec<u8>) = (row.get(0), row.get(1), row.get(2));
            // An event that does not decode is `city check`'s to report; it names no card here.
            let Ok(Some(d)) = crate::bank::directory_row(seq as u64, &stored) else { continue };
            let by_counter = registrations.entry(d.card.clone()).or_default();
            match by_counter.get_mut(&counter) {
                Some((_, latest)) => *latest = d,
                None => {
                    by_counter.insert(counter, (d.registered_on, d));
                }
            }
        }
    }
    let mut cards: Vec<(String, String, DirectoryRow, Option<String>)> =
        Vec::with_capacity(registrations.len());
    // Every counter's latest version of each card, for its share (see `registrations`).
    let versions: Vec<(String, String, DirectoryRow)> = registrations
        .iter()
        .flat_map(|(card, by_counter)| {
            by_counter.iter().map(move |(counter, (_, d))| (card.clone(), counter.clone(), d.clone()))
        })
        .collect();
    for (card, by_counter) in registrations {
        let home = by_counter.iter().min_by(|a, b| (a.1.0, a.0).cmp(&(b.1.0, b.0))).map(|(c, _)| c.clone());
        let Some(home) = home else { continue };
        let d = by_counter[&home].1.clone();
        let conflict = by_counter
            .iter()
            .find(|(c, (_, other))| **c != home && d.contradicts(other))
            .map(|(c, _)| c.clone());
        cards.push((card, home, d, conflict));
    }
    let keys: Vec<&str> = cards.iter().map(|c| c.0.as_str()).collect();
    let homes: Vec<&str> = cards.iter().map(|c| c.1.as_str()).collect();
    let f = Fields::of(cards.iter().map(|c| Some(&c.2)));
    let conflicts: Vec<Option<&str>> = cards.iter().map(|c| c.3.as_deref()).collect();
    tx.execute(
        "INSERT INTO hb_cards (card, home, name, community, phone_tail, registered_on, person, phone_digest,
                              id_digest, conflict, pool, pos)
         SELECT u.c, u.h, u.n, u.o, u.t, u.r, u.p, u.ph, u.i, u.x, coalesce(p.pool, 0), 1
         FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::DATE[], $8::BYTEA[], $9::TEXT[],
                     $10::BYTEA[], $11::BYTEA[]) AS u (c, h, n, o, t, r, p, x, ph, i)
         LEFT JOIN (SELECT card, -sum(minutes)::BIGINT AS pool FROM hb_entries
                    WHERE kind = ANY($7) GROUP BY card) p ON p.card = u.c",
        &[
            &keys,
            &homes,
            &f.names,
            &f.communities,
            &f.tails,
            &f.days,
            &POOL_KINDS.to_vec(),
            &f.persons,
            &conflicts,
            &f.phones,
            &f.ids,
        ],
    )
    .map_err(sql("the cards"))?;
    tx.execute(
        &format!(
            "INSERT INTO hb_shares (card, counter, minutes, released, earned, received, pos)
             SELECT card, counter, sum(minutes)::BIGINT,
                    coalesce(-sum(minutes) FILTER (WHERE kind = ANY($1)), 0)::BIGINT,
                    {EARNED_OF_ROWS}, {RECEIVED_OF_ROWS}, 1
             FROM hb_entries GROUP BY card, counter"
        ),
        &[&POOL_KINDS.to_vec()],
    )
    .map_err(sql("the cards' shares"))?;
    let f = Fields::of(versions.iter().map(|v| Some(&v.2)));
    let (keys, counters): (Vec<&str>, Vec<&str>) =
        versions.iter().map(|v| (v.0.as_str(), v.1.as_str())).unzip();
    tx.execute(
        "UPDATE hb_shares s SET person = u.p, phone_digest = u.ph, id_digest = u.i, name = u.n, phone_tail = u.t
         FROM unnest($1::TEXT[], $2::TEXT[], $3::BYTEA[], $4::BYTEA[], $5::BYTEA[], $6::TEXT[], $7::TEXT[])
              AS u (c, k, p, ph, i, n, t)
         WHERE s.card = u.c AND s.counter = u.k",
        &[&keys, &counters, &f.persons, &f.phones, &f.ids, &f.names, &f.tails],
    )
    .map_err(sql("the cards' registrations"))?;
    tx.execute("UPDATE hb_position SET pos = 1", &[]).map_err(sql("the city's position"))?;
    Ok(cards.len())
}

/// Shares written before they carried their earned and received hours (the columns are null
/// there): both derived once from the report rows. Runs in `city init`'s transaction, after
/// [`backfill`] took the position's lock; a city filled before changes nothing.
pub(super) fn fill_earned(tx: &mut postgres::Transaction<'_>) -> Result<u64, CityError> {
    let filled = tx
        .execute(
            &format!(
                "UPDATE hb_shares s SET earned = e.earned, received = e.received
                 FROM (SELECT card, counter, {EARNED_OF_ROWS} AS earned, {RECEIVED_OF_ROWS} AS received
                       FROM hb_entries WHERE card IN (SELECT card FROM hb_shares WHERE earned IS NULL)
                       GROUP BY card, counter) e
                 WHERE s.earned IS NULL AND s.card = e.card AND s.counter = e.counter"
            ),
            &[],
        )
        .map_err(sql("the cards' shares"))?;
    tx.execute("UPDATE hb_shares SET earned = 0, received = 0 WHERE earned IS NULL", &[])
        .map_err(sql("the cards' shares"))?;
    Ok(filled)
}

/// Shares and cards published before the directory carried points (their points are null): each
/// counter's points share of each card, and what it handed the card's points pool, derived once
/// from its events as its pushes derive them now; each card's points pool, the sum of what its
/// shares handed over. The filled rows are stamped with a new position, so every counter takes
/// them at its next pull — unless `just_derived`: the directory was derived in this same
/// transaction from nothing, and nobody has pulled any of it. Runs in `city init`'s
/// transaction; a city with nothing null changes nothing. Returns the number of shares filled.
pub(super) fn fill_points(tx: &mut postgres::Transaction<'_>, just_derived: bool) -> Result<u64, CityError> {
    use postgres::fallible_iterator::FallibleIterator;
    let missing: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM hb_shares WHERE points IS NULL OR points_released IS NULL)
                 OR EXISTS (SELECT 1 FROM hb_cards WHERE points_pool IS NULL)",
            &[],
        )
        .map_err(sql("the cards' points"))?
        .get(0);
    if !missing {
        return Ok(0);
    }
    let mut derived: Vec<(String, String, i64, i64)> = Vec::new();
    {
        let mut rows = tx
            .query_raw(
                "SELECT counter, seq, stored FROM hb_events WHERE seq > 0 ORDER BY counter, seq",
                std::iter::empty::<i64>(),
            )
            .map_err(sql("the events"))?;
        let mut chain: Option<(String, crate::bank::ChainPoints)> = None;
        let mut finish = |chain: Option<(String, crate::bank::ChainPoints)>| {
            if let Some((counter, points)) = chain {
                for (card, (share, released)) in points.by_card() {
                    derived.push((card, counter.clone(), share, released));
                }
            }
        };
        while let Some(row) = rows.next().map_err(sql("the events"))? {
            let (counter, seq, stored): (String, i64, Vec<u8>) = (row.get(0), row.get(1), row.get(2));
            if chain.as_ref().is_none_or(|(c, _)| *c != counter) {
                finish(chain.replace((counter.clone(), Default::default())));
            }
            if let Some((_, points)) = chain.as_mut() {
                // An event that does not decode, or breaks the chain's points, is `city check`'s
                // to report; it adds nothing here.
                let _ = points.add(seq as u64, &stored);
            }
        }
        finish(chain);
    }
    let stamp = match just_derived {
        true => "SELECT pos FROM hb_position",
        false => "UPDATE hb_position SET pos = pos + 1 RETURNING pos",
    };
    let pos: i64 = tx.query_one(stamp, &[]).map_err(sql("the city's position"))?.get(0);
    let cards: Vec<&str> = derived.iter().map(|d| d.0.as_str()).collect();
    let counters: Vec<&str> = derived.iter().map(|d| d.1.as_str()).collect();
    let points: Vec<i64> = derived.iter().map(|d| d.2.max(0)).collect();
    let released: Vec<i64> = derived.iter().map(|d| d.3).collect();
    let filled = tx
        .execute(
            "INSERT INTO hb_shares (card, counter, minutes, released, earned, received, points, points_released, pos)
             SELECT c, k, 0, 0, 0, 0, q, r, $5
             FROM unnest($1::TEXT[], $2::TEXT[], $3::BIGINT[], $4::BIGINT[]) AS t (c, k, q, r)
             WHERE EXISTS (SELECT 1 FROM hb_cards h WHERE h.card = t.c)
             ON CONFLICT (card, counter) DO UPDATE
                 SET points = excluded.points, points_released = excluded.points_released, pos = excluded.pos
                 WHERE hb_shares.points IS NULL OR hb_shares.points_released IS NULL",
            &[&cards, &counters, &points, &released, &pos],
        )
        .map_err(sql("the cards' shares"))?;
    tx.execute(
        "UPDATE hb_shares SET points = coalesce(points, 0), points_released = coalesce(points_released, 0), pos = $1
         WHERE points IS NULL OR points_released IS NULL",
        &[&pos],
    )
    .map_err(sql("the cards' shares"))?;
    tx.execute(
        "UPDATE hb_cards h SET points_pool = coalesce((SELECT sum(points_released) FROM hb_shares s
                                                      WHERE s.card = h.card), 0), pos = $1
         WHERE points_pool IS NULL",
        &[&pos],
    )
    .map_err(sql("the cards"))?;
    Ok(filled)
}
