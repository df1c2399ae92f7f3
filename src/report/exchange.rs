//! The exchange day's settlement for the supermarket (兑换日结算): for one day, each good
//! handed out for points — quantity and points, net of what was reversed that day — with the
//! stock left now, and the coupons credited. Read from the journal, so it equals the entries.

use std::collections::BTreeMap;

use super::ExportError;
use super::book;
use crate::bank::Bank;
use crate::domain::{Day, EventKind, RewardId};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SettlementRow {
    pub reward: RewardId,
    pub name: String,
    pub qty: i64,
    pub points: i64,
    /// Stock left now (`None`: unlimited).
    pub stock_left: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Settlement {
    pub day: String,
    pub rows: Vec<SettlementRow>,
    pub coupons: i64,
    pub coupon_points: i64,
}

impl Settlement {
    pub fn points(&self) -> i64 {
        self.rows.iter().map(|r| r.points).sum()
    }
}

/// The settlement of `day` at this counter.
pub fn settlement(bank: &Bank, day: Day) -> Result<Settlement, ExportError> {
    type Takings = (BTreeMap<RewardId, (i64, i64)>, i64, i64);
    // The journal as a book: a reversal booked on its own day, its original at hand.
    let (goods, coupons, coupon_points) =
        book::fold(bank, Takings::default, |(goods, coupons, points), b| {
            if b.day != day {
                return;
            }
            match b.booked() {
                (EventKind::PointsRedeemed { reward, qty, points: p, .. }, sign) => {
                    let e = goods.entry(*reward).or_default();
                    e.0 += sign * i64::from(*qty);
                    e.1 += sign * i64::from(p.get());
                }
                (EventKind::PointsCredited { coupon: Some(_), points: p, .. }, sign) => {
                    *coupons += sign;
                    *points += sign * i64::from(p.get());
                }
                _ => {}
            }
        })?;
    let mut rows = Vec::new();
    for (reward, (qty, points)) in goods {
        let view = bank.reward(reward)?;
        rows.push(SettlementRow {
            reward,
            name: view.reward.name.to_string(),
            qty,
            points,
            stock_left: view.reward.limited.then_some(view.stock),
        });
    }
    Ok(Settlement { day: day.to_string(), rows, coupons, coupon_points })
}
