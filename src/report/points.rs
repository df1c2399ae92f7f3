//! `export points`: every entry that moved a person's civic points, one row each, with the
//! points signed (a credit, an approval or a grant from the city pool adds; a redemption or a
//! hand-over to the city pool takes; a reversal undoes) — the
//! points' own ledger beside `export entries`, which holds the hours. A credit still waiting
//! for review moves nothing and is not a row until it is approved.

use std::io::Write;

use super::ExportError;
use super::export::local_time;
use super::sheet::inert;
use crate::bank::Bank;
use crate::domain::{Event, EventKind, Verdict};

/// One row: what moved, for whom, by how much.
struct PointsRow {
    person: u64,
    kind: &'static str,
    item: String,
    points: i64,
    coupon: String,
}

/// The row of a points credit (`kind` to be named by the caller), whatever its review.
fn credit_row(event: &Event, kind: &'static str) -> Option<PointsRow> {
    let EventKind::PointsCredited { person, item, points, coupon, .. } = event.kind() else { return None };
    Some(PointsRow {
        person: *person,
        kind,
        item: item.clone(),
        points: i64::from(points.get()),
        coupon: coupon.map(|c| format!("{}.{}", c.batch, c.serial)).unwrap_or_default(),
    })
}

/// The row an entry makes, if it moves points; `target` reads a reviewed or reversed entry.
fn row_of(event: &Event, target: &dyn Fn(u64) -> Option<Event>) -> Option<PointsRow> {
    match event.kind() {
        EventKind::PointsCredited { coupon, review: false, .. } => {
            credit_row(event, if coupon.is_some() { "coupon" } else { "credit" })
        }
        // A credit that waited is credited by its approval.
        EventKind::PointsReviewed { credit, verdict: Verdict::Approved, .. } => {
            credit_row(&target(*credit)?, "approved")
        }
        EventKind::PointsRedeemed { person, points, .. } => Some(PointsRow {
            person: *person,
            kind: "redeem",
            item: String::new(),
            points: -i64::from(points.get()),
            coupon: String::new(),
        }),
        EventKind::Reversed { target: t, .. } => {
            let original = target(*t)?;
            let mut row = match original.kind() {
                EventKind::PointsCredited { .. } => credit_row(&original, "reverse_credit")?,
                EventKind::PointsRedeemed { .. } => {
                    PointsRow { kind: "reverse_redeem", ..row_of(&original, target)? }
                }
                _ => return None,
            };
            row.points = -row.points;
            Some(row)
        }
        EventKind::PointsGranted { person, points, grant } => Some(PointsRow {
            person: *person,
            kind: "city_grant",
            item: grant.clone(),
            points: i64::from(points.get()),
            coupon: String::new(),
        }),
        _ => None,
    }
}

/// The rows an entry makes: a release to the city pool names many people, every other entry
/// one at most.
fn rows_of(event: &Event, target: &dyn Fn(u64) -> Option<Event>) -> Vec<PointsRow> {
    match event.kind() {
        EventKind::PointsReleased { lines } => lines
            .iter()
            .map(|(person, points)| PointsRow {
                person: *person,
                kind: "city_release",
                item: String::new(),
                points: -i64::from(points.get()),
                coupon: String::new(),
            })
            .collect(),
        _ => row_of(event, target).into_iter().collect(),
    }
}

/// `seq,timestamp,card_no,kind,item,points,coupon,actor`; returns the rows written.
pub fn export_points(bank: &Bank, out: impl Write) -> Result<usize, ExportError> {
    let names = super::Names::load(bank)?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["seq", "timestamp", "card_no", "kind", "item", "points", "coupon", "actor"])?;
    let target = |seq: u64| bank.event(seq).ok();
    let mut n = 0;
    for event in bank.journal() {
        let event = event?;
        for row in rows_of(&event, &target) {
            w.write_record([
                event.seq().to_string(),
                local_time(event.body.at),
                names.card(row.person),
                row.kind.to_string(),
                row.item,
                row.points.to_string(),
                row.coupon,
                inert(&event.body.actor.to_string()).into_owned(),
            ])?;
            n += 1;
        }
    }
    w.flush()?;
    Ok(n)
}
