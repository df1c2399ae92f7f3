//! The supervisors' monthly assessment (督导员月度考核): per person with a duty shift in the
//! month — shifts, hours credited for them, the community's evaluations (how many, the mean
//! score) and the coupons of batches handed to them that residents brought back in the month —
//! as a table with a chart of the hours. Read from the journal alone, so its figures are the
//! entries' and anyone can add them up again.

use std::collections::{BTreeMap, HashMap};

use super::Month;
use super::sheet::{Cell, Column, Sheet, SheetChart, col, count_col, hours_col};
use super::{ExportError, book};
use crate::bank::Bank;
use crate::domain::privacy::{mask_card, mask_name};
use crate::domain::{EventKind, VolunteerId};

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AssessmentRow {
    pub card: String,
    pub name: String,
    /// Shifts begun (checked in) in the month.
    pub shifts: u64,
    /// Minutes credited for those shifts, at check-out or by a review's approval.
    pub minutes: u64,
    /// Shifts of the month with an evaluation (the latest counts), and their scores' sum.
    pub evaluated: u64,
    pub score_sum: u64,
    /// Coupons of batches held by this person (the batch's holder is their card) credited in
    /// the month, net of reversals.
    pub coupons: i64,
}

impl AssessmentRow {
    /// The mean score to one decimal (`87.5`), or `-` when no shift was evaluated.
    pub fn mean_score(&self) -> String {
        if self.evaluated == 0 {
            return "-".into();
        }
        let tenths = (self.score_sum * 10 + self.evaluated / 2) / self.evaluated;
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub month: Month,
    pub rows: Vec<AssessmentRow>,
}

/// What the journal's pass gathers (see [`assessment`]).
#[derive(Default)]
struct Pass {
    rows: BTreeMap<VolunteerId, AssessmentRow>,
    /// Shifts begun in the month: check-in seq → the supervisor.
    shifts: HashMap<u64, VolunteerId>,
    /// The latest score of each of them.
    scores: HashMap<u64, u8>,
    /// Each batch's holder, and the coupons credited in the month per holder (net).
    holders: HashMap<u32, String>,
    coupons: HashMap<String, i64>,
}

pub fn assessment(bank: &Bank, month: Month) -> Result<Assessment, ExportError> {
    // The journal as a book: a reversal of a coupon's credit is booked on its own day, its
    // original at hand.
    let pass = book::fold(bank, Pass::default, |p, b| {
        let in_month = Month::of(b.day) == month;
        match b.booked() {
            (EventKind::CheckedIn { volunteer, .. }, _) if in_month => {
                p.shifts.insert(b.event.seq(), *volunteer);
                p.rows.entry(*volunteer).or_default().shifts += 1;
            }
            (EventKind::CheckedOut { shift, credited, review: None, .. }, _) => {
                if let Some(v) = p.shifts.get(shift) {
                    p.rows.entry(*v).or_default().minutes += u64::from(credited.get());
                }
            }
            (EventKind::ShiftReviewed { shift, approved: Some(m), .. }, _) => {
                if let Some(v) = p.shifts.get(shift) {
                    p.rows.entry(*v).or_default().minutes += u64::from(m.get());
                }
            }
            (EventKind::ShiftEvaluated { shift, score, .. }, _) if p.shifts.contains_key(shift) => {
                p.scores.insert(*shift, *score);
            }
            (EventKind::CouponsIssued { batch, holder, .. }, _) => {
                p.holders.insert(*batch, holder.trim().to_string());
            }
            (EventKind::PointsCredited { coupon: Some(c), .. }, sign) if in_month => {
                if let Some(holder) = p.holders.get(&c.batch) {
                    *p.coupons.entry(holder.to_ascii_uppercase()).or_default() += sign;
                }
            }
            _ => {}
        }
    })?;
    let Pass { mut rows, shifts, scores, coupons, .. } = pass;
    for (shift, score) in scores {
        if let Some(row) = shifts.get(&shift).and_then(|v| rows.get_mut(v)) {
            row.evaluated += 1;
            row.score_sum += u64::from(score);
        }
    }
    // Holders named by card: their coupons, with or without shifts this month.
    for item in bank.card_index() {
        let (card, id) = item?;
        if let Some(n) = coupons.get(&card.to_ascii_uppercase()) {
            rows.entry(id).or_default().coupons += n;
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for (id, mut row) in rows {
        if let Some(v) = bank.volunteer_record(id)? {
            row.card = v.card.to_string();
            row.name = v.name.to_string();
        }
        out.push(row);
    }
    Ok(Assessment { month, rows: out })
}

const COLUMNS: [Column; 7] = [
    col("卡号", 12.0),
    col("姓名", 10.0),
    count_col("班次", 8.0),
    hours_col("时长(小时)", 12.0),
    count_col("已评班次", 10.0),
    col("平均分", 8.0),
    count_col("兑回积分券", 12.0),
];

impl Assessment {
    /// The table (cards and names masked unless `full`) with a chart of each supervisor's hours.
    pub fn sheets(&self, full: bool) -> Vec<Sheet> {
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let (card, name) = if full {
                    (r.card.clone(), r.name.clone())
                } else {
                    (mask_card(&r.card), mask_name(&r.name))
                };
                vec![
                    Cell::text(card),
                    Cell::text(name),
                    Cell::Count(r.shifts),
                    Cell::hours(r.minutes),
                    Cell::Count(r.evaluated),
                    Cell::text(r.mean_score()),
                    Cell::Count(u64::try_from(r.coupons).unwrap_or(0)),
                ]
            })
            .collect();
        let mut sheet = Sheet::new(format!("{} 督导员考核", self.month), &COLUMNS, rows, true);
        sheet.chart = Some(SheetChart { title: format!("{} 督导员服务时长", self.month), values: 3 });
        vec![sheet]
    }
}
