//! The monthly report: hours by community and by activity, new and active volunteers, the top
//! 20, and hours per month for the last 24 months (the bar chart). One pass over the journal.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};

use super::book::{self, Booked};
use super::sheet::{Cell, Sheet, col, count_col, hours_col};
use super::{ExportError, Names};
use crate::bank::Bank;
use crate::domain::privacy::{mask_card, mask_name};
use crate::domain::{Day, EventKind};

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn of(day: Day) -> Month {
        let d = day.date();
        Month { year: d.year(), month: d.month() }
    }

    /// `2026-11` or `2026/11`.
    pub fn parse(text: &str) -> Option<Month> {
        let (y, m) = text.trim().split_once(['-', '/'])?;
        let month = Month { year: y.parse().ok()?, month: m.parse().ok()? };
        NaiveDate::from_ymd_opt(month.year, month.month, 1).map(|_| month)
    }

    pub fn prev(self) -> Month {
        if self.month == 1 {
            Month { year: self.year - 1, month: 12 }
        } else {
            Month { month: self.month - 1, ..self }
        }
    }

    /// This month and the `n - 1` before it, oldest first.
    pub fn last(self, n: usize) -> Vec<Month> {
        let mut out = vec![self];
        while out.len() < n {
            let before = out[out.len() - 1].prev();
            out.push(before);
        }
        out.reverse();
        out
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Hours booked in the month for one group: deposits net of deposit reversals booked in the
/// month, and redemptions net of redemption reversals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BookedMinutes {
    pub deposited: i64,
    pub redeemed: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopVolunteer {
    pub card: String,
    pub name: String,
    pub community: String,
    pub minutes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthlyReport {
    pub month: Month,
    pub by_community: BTreeMap<String, BookedMinutes>,
    pub by_activity: BTreeMap<String, BookedMinutes>,
    /// Volunteers registered in the month.
    pub new_volunteers: u64,
    /// Volunteers with at least one deposit booked in the month (and not reversed the same month).
    pub active_volunteers: u64,
    /// The 20 volunteers with the most hours deposited in the month, most first.
    pub top: Vec<TopVolunteer>,
    /// Net hours deposited per month, the 24 months ending with this one (the bar chart).
    pub history: Vec<(Month, i64)>,
    /// The donation pool in the month: donations and grants booked in it, net of reversals,
    /// and its balance at the month's end.
    pub pool: PoolMonth,
    /// The civic points booked in the month, at this counter (`None` in the city's report,
    /// which the city's rows of hours make).
    pub points: Option<PointsMonth>,
}

/// The civic points booked in a month: per item of the standard (count and points credited,
/// coupons included, net of reversals) and what was spent on goods.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PointsMonth {
    pub by_item: BTreeMap<String, (i64, i64)>,
    pub spent: (i64, i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolMonth {
    pub donated: i64,
    pub granted: i64,
    pub balance_at_end: i64,
}

impl MonthlyReport {
    pub fn total(&self) -> BookedMinutes {
        self.by_community.values().fold(BookedMinutes::default(), |t, f| BookedMinutes {
            deposited: t.deposited + f.deposited,
            redeemed: t.redeemed + f.redeemed,
        })
    }
}

pub const TOP: usize = 20;
pub const HISTORY_MONTHS: usize = 24;

/// What one pass over the journal adds up; communities by index, so the pass clones no names.
#[derive(Default)]
struct Tally {
    history: BTreeMap<Month, i64>,
    by_community: HashMap<usize, BookedMinutes>,
    by_activity: HashMap<u64, BookedMinutes>,
    per_volunteer: HashMap<u64, i64>,
    new_volunteers: u64,
    pool: PoolMonth,
    points: PointsMonth,
}

pub fn monthly(bank: &Bank, month: Month) -> Result<MonthlyReport, ExportError> {
    let names = Names::load(bank)?;
    // Volunteer id → (name, community index); the community names once each.
    let mut communities: Vec<String> = Vec::new();
    let mut community_index: HashMap<String, usize> = HashMap::new();
    let mut volunteers: HashMap<u64, (String, usize)> = HashMap::new();
    for item in bank.volunteer_records() {
        let (id, v) = item?;
        let next = communities.len();
        let c = *community_index.entry(v.community.clone()).or_insert(next);
        if c == next {
            communities.push(v.community.clone());
        }
        volunteers.insert(id, (v.name.to_string(), c));
    }
    // A volunteer not (or no longer) in the store counts under the unnamed community.
    let unnamed = communities.len();
    communities.push(String::new());
    let community = |id: u64| volunteers.get(&id).map_or(unnamed, |v| v.1);
    let months = month.last(HISTORY_MONTHS);
    let first = months[0];
    let init = || Tally { history: months.iter().map(|m| (*m, 0)).collect(), ..Tally::default() };
    let tally = book::fold(bank, init, |t, b: Booked<'_>| {
        // A new volunteer counts in the month they registered (the day on their record, which
        // an import or a late entry may date before the day it was recorded).
        if let EventKind::VolunteerRegistered(v) = b.event.kind()
            && Month::of(v.registered_on) == month
        {
            t.new_volunteers += 1;
        }
        let m = Month::of(b.day);
        // Signed: a reversal books the original's minutes negatively.
        let (kind, sign) = b.booked();
        if m <= month
            && let Some((delta, ..)) = crate::bank::pool_change(kind)
        {
            t.pool.balance_at_end += sign * delta;
            if m == month {
                match kind {
                    EventKind::Donated { .. } => t.pool.donated += sign * delta,
                    _ => t.pool.granted -= sign * delta,
                }
            }
        }
        if m < first || m > month {
            return;
        }
        if m == month {
            points_booked(bank, &mut t.points, b.event.kind(), kind, sign);
        }
        match kind {
            EventKind::Deposited { volunteer, activity, minutes, .. } => {
                let minutes = sign * i64::from(minutes.get());
                *t.history.entry(m).or_default() += minutes;
                if m == month {
                    t.by_community.entry(community(*volunteer)).or_default().deposited += minutes;
                    t.by_activity.entry(*activity).or_default().deposited += minutes;
                    *t.per_volunteer.entry(*volunteer).or_default() += minutes;
                }
            }
            EventKind::Redeemed { volunteer, minutes, .. } if m == month => {
                let minutes = sign * i64::from(minutes.get());
                t.by_community.entry(community(*volunteer)).or_default().redeemed += minutes;
            }
            _ => {}
        }
    })?;
    let Tally { history, by_community, by_activity, per_volunteer, new_volunteers, pool, points } = tally;
    let merged = |into: &mut BTreeMap<String, BookedMinutes>, name: String, f: BookedMinutes| {
        let e = into.entry(name).or_default();
        e.deposited += f.deposited;
        e.redeemed += f.redeemed;
    };
    let mut by_community_named = BTreeMap::new();
    for (c, f) in by_community {
        merged(&mut by_community_named, communities[c].clone(), f);
    }
    let mut by_activity_named = BTreeMap::new();
    for (a, f) in by_activity {
        merged(&mut by_activity_named, names.activity(a), f);
    }
    let (by_community, by_activity) = (by_community_named, by_activity_named);
    let active_volunteers = per_volunteer.values().filter(|m| **m > 0).count() as u64;
    let mut ranked: Vec<(u64, i64)> = per_volunteer.into_iter().filter(|(_, m)| *m > 0).collect();
    // Most hours first; equal hours by volunteer id (who registered first), so the list is stable.
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let top = ranked
        .into_iter()
        .take(TOP)
        .map(|(id, minutes)| {
            let (name, c) = volunteers.get(&id).cloned().unwrap_or((String::new(), unnamed));
            TopVolunteer { card: names.card(id), name, community: communities[c].clone(), minutes }
        })
        .collect();
    let history = history.into_iter().collect();
    Ok(MonthlyReport {
        month,
        by_community,
        by_activity,
        new_volunteers,
        active_volunteers,
        top,
        history,
        pool,
        points: Some(points),
    })
}

/// Books a points entry (or its reversal, `sign` −1) in the month's points. A credit that waited
/// for review counts when it was approved.
fn points_booked(bank: &Bank, p: &mut PointsMonth, event: &EventKind, kind: &EventKind, sign: i64) {
    let mut credit = |kind: &EventKind| {
        if let EventKind::PointsCredited { item, points, .. } = kind {
            let e = p.by_item.entry(item.clone()).or_default();
            e.0 += sign;
            e.1 += sign * i64::from(points.get());
        }
    };
    match (event, kind) {
        (EventKind::PointsReviewed { credit: seq, verdict: crate::domain::Verdict::Approved, .. }, _) => {
            if let Ok(original) = bank.event(*seq) {
                credit(original.kind());
            }
        }
        (_, EventKind::PointsCredited { review, .. }) if !*review || sign < 0 => credit(kind),
        (_, EventKind::PointsRedeemed { points, .. }) => {
            p.spent.0 += sign;
            p.spent.1 += sign * i64::from(points.get());
        }
        _ => {}
    }
}

/// Net hours: negative when reversals booked this month outweigh what was booked (a
/// redemption of last month returned this month, say) — shown as such, not hidden as 0.
fn hours(m: i64) -> Cell {
    Cell::Hours(m)
}

impl MonthlyReport {
    pub fn sheets(&self, full: bool) -> Vec<Sheet> {
        let flows = |map: &BTreeMap<String, BookedMinutes>| {
            map.iter()
                .map(|(k, f)| {
                    vec![
                        Cell::text(if k.is_empty() { "(未填)" } else { k }),
                        hours(f.deposited),
                        hours(f.redeemed),
                    ]
                })
                .collect::<Vec<_>>()
        };
        let top = self
            .top
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let (card, name) = if full {
                    (t.card.clone(), t.name.clone())
                } else {
                    (mask_card(&t.card), mask_name(&t.name))
                };
                vec![
                    Cell::Count(i as u64 + 1),
                    Cell::text(card),
                    Cell::text(name),
                    Cell::text(&t.community),
                    hours(t.minutes),
                ]
            })
            .collect();
        let m = self.month;
        vec![
            Sheet::new(
                format!("{m} 概况"),
                &[col("项目", 16.0), col("数值", 12.0)],
                vec![
                    vec![Cell::text("存入小时"), hours(self.total().deposited)],
                    vec![Cell::text("兑换小时"), hours(self.total().redeemed)],
                    vec![Cell::text("新增志愿者"), Cell::Count(self.new_volunteers)],
                    vec![Cell::text("活跃志愿者"), Cell::Count(self.active_volunteers)],
                    vec![Cell::text("爱心池捐入小时"), hours(self.pool.donated)],
                    vec![Cell::text("爱心池发放小时"), hours(self.pool.granted)],
                    vec![Cell::text("爱心池月末余额"), hours(self.pool.balance_at_end)],
                ],
                false,
            ),
            Sheet::new(
                format!("{m} 按社区"),
                &[col("社区", 20.0), hours_col("存入小时", 12.0), hours_col("兑换小时", 12.0)],
                flows(&self.by_community),
                true,
            ),
            Sheet::new(
                format!("{m} 按项目"),
                &[col("服务项目", 24.0), hours_col("存入小时", 12.0)],
                self.by_activity.iter().map(|(k, f)| vec![Cell::text(k), hours(f.deposited)]).collect(),
                true,
            ),
            Sheet::new(
                format!("{m} 前{TOP}名"),
                &[
                    col("名次", 6.0),
                    col("卡号", 12.0),
                    col("姓名", 10.0),
                    col("社区", 20.0),
                    hours_col("存入小时", 12.0),
                ],
                top,
                false,
            ),
            Sheet::new(
                "近24个月",
                &[col("月份", 10.0), hours_col("存入小时", 12.0)],
                self.history.iter().map(|(m, h)| vec![Cell::text(m.to_string()), hours(*h)]).collect(),
                true,
            ),
        ]
        .into_iter()
        .chain(self.points.as_ref().map(|p| {
            let signed = Cell::Signed;
            let mut rows: Vec<Vec<Cell>> = p
                .by_item
                .iter()
                .map(|(item, (count, points))| vec![Cell::text(item), signed(*count), signed(*points)])
                .collect();
            rows.push(vec![Cell::text("兑换商品"), signed(p.spent.0), signed(-p.spent.1)]);
            Sheet::new(
                format!("{m} 文明积分"),
                &[col("积分项目", 16.0), count_col("笔数", 8.0), count_col("积分", 10.0)],
                rows,
                false,
            )
        }))
        .collect()
    }
}
