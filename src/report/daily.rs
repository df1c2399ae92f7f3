//! Daily close (日结): what the counter booked on one day — deposits, redemptions, donations and reversals
//! by staff member and by activity, with totals — and the deposits still awaiting approval.

use std::collections::BTreeMap;

use super::ExportError;
use super::book::{self, Booked};
use super::sheet::{Cell, Sheet, col, count_col, hours_col};
use crate::bank::Bank;
use crate::domain::{Day, EventKind, privacy::mask_card};

/// Count and minutes (or, for the civic points, points) of one kind of entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub count: u64,
    pub minutes: u64,
}

impl Tally {
    fn add(&mut self, minutes: u64) {
        self.count += 1;
        self.minutes += minutes;
    }
}

/// One staff member's (or the command line's, or the kiosk's) day.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StaffDay {
    pub deposits: Tally,
    pub redemptions: Tally,
    /// Hours volunteers gave to the donation pool (a reversal of one is then never the only
    /// trace of it on the sheet).
    pub donations: Tally,
    /// Reversals booked by this person, of any kind of entry; minutes of the reversed entries.
    pub reversals: Tally,
}

/// One activity's day: deposits, and reversals of deposits for it (booked today).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActivityDay {
    pub deposits: Tally,
    pub reversed: Tally,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldLine {
    pub seq: u64,
    pub served_on: Day,
    pub card: String,
    pub activity: String,
    pub minutes: u64,
    pub recorded_by: String,
}

/// Personal data an admin saw or exported in full that day (the journal's `revealed` and
/// `personal_data_exported` entries): the privacy side of the close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLine {
    pub seq: u64,
    /// Local time, `HH:MM`.
    pub time: String,
    pub actor: String,
    /// The volunteer's card (for a reveal); empty for an export.
    pub card: String,
    /// `手机` / `证件号` for a reveal, what was exported for an export.
    pub what: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyClose {
    pub day: Day,
    pub by_staff: BTreeMap<String, StaffDay>,
    pub by_activity: BTreeMap<String, ActivityDay>,
    /// Deposits waiting for an admin now, whatever day they were recorded.
    pub held: Vec<HeldLine>,
    pub access: Vec<AccessLine>,
    /// The civic points of the day, apart from the hours (ARCHITECTURE.md §9).
    pub points: PointsDay,
}

/// The day's civic points: count and points of each kind of entry, and the coupons still
/// outstanding now (the scheme's liability).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PointsDay {
    pub by_item: Tally,
    pub coupons: Tally,
    pub spent: Tally,
    pub reversed: Tally,
    /// Coupons issued, neither credited, voided nor expired: how many, and their points.
    pub outstanding: (u64, u64),
}

impl DailyClose {
    pub fn totals(&self) -> StaffDay {
        let mut t = StaffDay::default();
        for s in self.by_staff.values() {
            for (total, part) in [
                (&mut t.deposits, s.deposits),
                (&mut t.redemptions, s.redemptions),
                (&mut t.donations, s.donations),
                (&mut t.reversals, s.reversals),
            ] {
                total.count += part.count;
                total.minutes += part.minutes;
            }
        }
        t
    }
}

/// Minutes an entry moves, for reversals (the reversed entry's minutes).
fn moved(kind: &EventKind) -> u64 {
    match kind {
        EventKind::Deposited { minutes, .. }
        | EventKind::Redeemed { minutes, .. }
        | EventKind::Transferred { minutes, .. }
        | EventKind::Adjusted { minutes, .. }
        | EventKind::Expired { minutes, .. }
        | EventKind::Donated { minutes, .. }
        | EventKind::PoolGranted { minutes, .. } => u64::from(minutes.get()),
        _ => 0,
    }
}

pub fn daily_close(bank: &Bank, day: Day) -> Result<DailyClose, ExportError> {
    type Maps = (BTreeMap<String, StaffDay>, BTreeMap<String, ActivityDay>, Vec<AccessLine>, PointsDay);
    let names = super::Names::load(bank)?;
    let (by_staff, by_activity, access, mut points) =
        book::fold(bank, Maps::default, |(by_staff, by_activity, access, points), b: Booked<'_>| {
            if b.day != day {
                return;
            }
            let actor = b.event.body.actor.to_string();
            let seen = |card: String, what: String| AccessLine {
                seq: b.event.seq(),
                time: b.event.body.at.datetime().with_timezone(&chrono::Local).format("%H:%M").to_string(),
                actor: actor.clone(),
                card,
                what,
            };
            match b.event.kind() {
                EventKind::Revealed { volunteer, field } => {
                    let what = match field {
                        crate::domain::PersonalField::Phone => "手机",
                        crate::domain::PersonalField::IdNumber => "证件号",
                    };
                    access.push(seen(names.card(*volunteer), what.to_string()));
                }
                EventKind::PersonalDataExported { what } => access.push(seen(String::new(), what.clone())),
                EventKind::PointsCredited { coupon: Some(_), points: p, .. } => {
                    points.coupons.add(p.get().into())
                }
                EventKind::PointsCredited { points: p, review: false, .. } => {
                    points.by_item.add(p.get().into())
                }
                EventKind::PointsReviewed { credit, verdict: crate::domain::Verdict::Approved, .. } => {
                    if let Ok(e) = bank.event(*credit)
                        && let EventKind::PointsCredited { points: p, .. } = e.kind()
                    {
                        points.by_item.add(p.get().into());
                    }
                }
                EventKind::PointsRedeemed { points: p, .. } => points.spent.add(p.get().into()),
                _ => {}
            }
            if let (EventKind::Reversed { .. }, Some(EventKind::PointsCredited { points: p, .. }))
            | (EventKind::Reversed { .. }, Some(EventKind::PointsRedeemed { points: p, .. })) =
                (b.event.kind(), b.original.map(|o| o.kind()))
            {
                points.reversed.add(p.get().into());
            }
            match (b.event.kind(), b.original.map(|o| o.kind())) {
                (EventKind::Deposited { activity, minutes, .. }, _) => {
                    let m = u64::from(minutes.get());
                    by_staff.entry(actor).or_default().deposits.add(m);
                    by_activity.entry(names.activity(*activity)).or_default().deposits.add(m);
                }
                (EventKind::Redeemed { minutes, .. }, _) => {
                    by_staff.entry(actor).or_default().redemptions.add(u64::from(minutes.get()));
                }
                (EventKind::Donated { minutes, .. }, _) => {
                    by_staff.entry(actor).or_default().donations.add(u64::from(minutes.get()));
                }
                // A reversal of points is on the points' sheet, not among the hours.
                (EventKind::Reversed { .. }, Some(original)) if moved(original) > 0 => {
                    by_staff.entry(actor).or_default().reversals.add(moved(original));
                    if let EventKind::Deposited { activity, minutes, .. } = original {
                        by_activity
                            .entry(names.activity(*activity))
                            .or_default()
                            .reversed
                            .add(u64::from(minutes.get()));
                    }
                }
                _ => {}
            }
        })?;
    let mut held = Vec::new();
    for h in bank.held_deposits()? {
        held.push(HeldLine {
            seq: h.seq,
            served_on: h.served_on,
            card: names.card(h.volunteer),
            activity: names.activity(h.activity),
            minutes: u64::from(h.minutes.get()),
            recorded_by: h.recorded_by.to_string(),
        });
    }
    points.outstanding = bank.outstanding_coupons()?;
    Ok(DailyClose { day, by_staff, by_activity, held, access, points })
}

impl DailyClose {
    /// The report's tables; cards are masked unless `full`.
    pub fn sheets(&self, full: bool) -> Vec<Sheet> {
        let staff_rows = self
            .by_staff
            .iter()
            .map(|(who, s)| {
                vec![
                    Cell::text(who),
                    Cell::Count(s.deposits.count),
                    Cell::hours(s.deposits.minutes),
                    Cell::Count(s.redemptions.count),
                    Cell::hours(s.redemptions.minutes),
                    Cell::Count(s.donations.count),
                    Cell::hours(s.donations.minutes),
                    Cell::Count(s.reversals.count),
                    Cell::hours(s.reversals.minutes),
                ]
            })
            .collect();
        let activity_rows = self
            .by_activity
            .iter()
            .map(|(name, a)| {
                vec![
                    Cell::text(name),
                    Cell::Count(a.deposits.count),
                    Cell::hours(a.deposits.minutes),
                    Cell::hours(a.reversed.minutes),
                    Cell::hours(a.deposits.minutes.saturating_sub(a.reversed.minutes)),
                ]
            })
            .collect();
        let held_rows = self
            .held
            .iter()
            .map(|h| {
                vec![
                    Cell::text(format!("#{}", h.seq)),
                    Cell::text(h.served_on.to_string()),
                    Cell::text(if full { h.card.clone() } else { mask_card(&h.card) }),
                    Cell::text(&h.activity),
                    Cell::hours(h.minutes),
                    Cell::text(&h.recorded_by),
                ]
            })
            .collect();
        let access_rows = self
            .access
            .iter()
            .map(|a| {
                vec![
                    Cell::text(format!("#{}", a.seq)),
                    Cell::text(&a.time),
                    Cell::text(&a.actor),
                    Cell::text(if full || a.card.is_empty() { a.card.clone() } else { mask_card(&a.card) }),
                    Cell::text(&a.what),
                ]
            })
            .collect();
        vec![
            Sheet::new(
                format!("日结 {} 按经办", self.day),
                &[
                    col("经办", 14.0),
                    count_col("存入笔数", 10.0),
                    hours_col("存入小时", 10.0),
                    count_col("兑换笔数", 10.0),
                    hours_col("兑换小时", 10.0),
                    count_col("捐赠笔数", 10.0),
                    hours_col("捐赠小时", 10.0),
                    count_col("冲正笔数", 10.0),
                    hours_col("冲正小时", 10.0),
                ],
                staff_rows,
                true,
            ),
            Sheet::new(
                format!("日结 {} 按项目", self.day),
                &[
                    col("服务项目", 24.0),
                    count_col("存入笔数", 10.0),
                    hours_col("存入小时", 10.0),
                    hours_col("冲正小时", 10.0),
                    hours_col("净存入小时", 12.0),
                ],
                activity_rows,
                true,
            ),
            Sheet::new(
                "待审批",
                &[
                    col("流水号", 10.0),
                    col("服务日期", 12.0),
                    col("卡号", 12.0),
                    col("服务项目", 24.0),
                    hours_col("小时", 8.0),
                    col("经办", 14.0),
                ],
                held_rows,
                true,
            ),
            Sheet::new(
                format!("日结 {} 文明积分", self.day),
                &[col("项目", 16.0), count_col("笔数", 10.0), count_col("积分", 10.0)],
                [
                    ("按项目记入", self.points.by_item),
                    ("积分券兑入", self.points.coupons),
                    ("兑换商品", self.points.spent),
                    ("冲正", self.points.reversed),
                    (
                        "未兑积分券（负债）",
                        Tally { count: self.points.outstanding.0, minutes: self.points.outstanding.1 },
                    ),
                ]
                .into_iter()
                .map(|(what, t)| vec![Cell::text(what), Cell::Count(t.count), Cell::Count(t.minutes)])
                .collect(),
                false,
            ),
            Sheet::new(
                "查看个人信息",
                &[
                    col("流水号", 10.0),
                    col("时间", 8.0),
                    col("经办", 14.0),
                    col("卡号", 12.0),
                    col("内容", 24.0),
                ],
                access_rows,
                false,
            ),
        ]
    }
}
