//! The civic points' side of a push (ARCHITECTURE.md §9), in the batch's transaction: the
//! batch's `points_release` lines added to their cards' points pools, and each `points_grant`
//! entry checked against the grant the city made (this counter's, that card's, those points)
//! and recorded as journalled — once, city-wide, by the unique index on its grant id.

use super::CityError;
use crate::bank::PointsMoveRow;

/// A `points_grant` entry of the batch that journals no grant the city made: its seq and the
/// grant's id (nothing of the batch is stored).
pub(super) type UnknownGrant = (u64, String);

fn sql(what: &'static str) -> impl Fn(postgres::Error) -> CityError {
    move |e| CityError::of(what, e)
}

pub(super) fn apply(
    code: &str,
    rows: &[PointsMoveRow],
    tx: &mut postgres::Transaction<'_>,
) -> Result<Option<UnknownGrant>, CityError> {
    if rows.is_empty() {
        return Ok(None);
    }
    if let Some(unknown) = unknown_grant(code, rows, tx)? {
        return Ok(Some(unknown));
    }
    let seqs: Vec<i64> = rows.iter().map(|r| r.seq as i64).collect();
    let lines: Vec<i32> = rows.iter().map(|r| r.line as i32).collect();
    let kinds: Vec<&str> = rows.iter().map(|r| r.kind).collect();
    let cards: Vec<&str> = rows.iter().map(|r| r.card.as_str()).collect();
    let points: Vec<i64> = rows.iter().map(|r| r.points).collect();
    let grants: Vec<Option<&str>> = rows.iter().map(|r| r.grant.as_deref()).collect();
    tx.execute(
        "INSERT INTO hb_points_moves (counter, seq, line, kind, card, points, grant_id)
         SELECT $1, s, l, k, c, p, g FROM unnest($2::BIGINT[], $3::INTEGER[], $4::TEXT[], $5::TEXT[], $6::BIGINT[], $7::TEXT[])
              AS t (s, l, k, c, p, g)",
        &[&code, &seqs, &lines, &kinds, &cards, &points, &grants],
    )
    .map_err(sql("a batch's points moves"))?;
    let mut by_card: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for r in rows.iter().filter(|r| r.grant.is_none()) {
        *by_card.entry(r.card.as_str()).or_default() += r.points;
    }
    if !by_card.is_empty() {
        let (cards, points): (Vec<&str>, Vec<i64>) = by_card.into_iter().unzip();
        tx.execute(
            "INSERT INTO hb_pool (card, minutes, points) SELECT c, 0, p FROM unnest($1::TEXT[], $2::BIGINT[]) AS t (c, p)
             ON CONFLICT (card) DO UPDATE SET points = hb_pool.points + excluded.points",
            &[&cards, &points],
        )
        .map_err(sql("the cards' points pools"))?;
    }
    Ok(None)
}

/// The first `points_grant` of the batch that is not a grant of points the city made to this counter,
/// for that card and those points, if one is not: a counter cannot credit itself from a pool by
/// writing an entry. (Journalled twice is refused by `hb_points_moves_grant`, and by the ledger first.)
fn unknown_grant(
    code: &str,
    rows: &[PointsMoveRow],
    tx: &mut postgres::Transaction<'_>,
) -> Result<Option<UnknownGrant>, CityError> {
    let grants: Vec<&PointsMoveRow> = rows.iter().filter(|r| r.grant.is_some()).collect();
    if grants.is_empty() {
        return Ok(None);
    }
    let seqs: Vec<i64> = grants.iter().map(|r| r.seq as i64).collect();
    let ids: Vec<&str> = grants.iter().map(|r| r.grant.as_deref().unwrap_or_default()).collect();
    let cards: Vec<&str> = grants.iter().map(|r| r.card.as_str()).collect();
    let points: Vec<i64> = grants.iter().map(|r| r.points).collect();
    let unknown = tx
        .query_opt(
            "SELECT t.s, t.g FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::BIGINT[]) AS t (s, g, c, p)
             WHERE NOT EXISTS (SELECT 1 FROM hb_grants h
                               WHERE h.id = t.g AND h.counter = $5 AND h.card = t.c AND h.minutes = t.p
                                 AND h.unit = 'points')
             ORDER BY t.s LIMIT 1",
            &[&seqs, &ids, &cards, &points, &code],
        )
        .map_err(sql("the batch's points grants"))?;
    Ok(unknown.map(|row| (row.get::<_, i64>(0) as u64, row.get(1))))
}
