//! The exchange day's settlement for the supermarket (兑换日结算): for one day, each good
//! handed out for points — quantity and points, net of what was reversed that day — with the
//! stock left now, and the coupons credited. Read from the journal, so it equals the entries.

use std::collections::BTreeMap;

use crate::bank::{Bank, BankError, local_day};
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
pub fn settlement(bank: &Bank, day: Day) -> Result<Settlement, BankError> {
    let mut goods: BTreeMap<RewardId, (i64, i64)> = BTreeMap::new();
    let (mut coupons, mut coupon_points) = (0i64, 0i64);
    let mut count = |kind: &EventKind, sign: i64| match kind {
        EventKind::PointsRedeemed { reward, qty, points, .. } => {
            let e = goods.entry(*reward).or_default();
            e.0 += sign * i64::from(*qty);
            e.1 += sign * i64::from(points.get());
        }
        EventKind::PointsCredited { coupon: Some(_), points, .. } => {
            coupons += sign;
            coupon_points += sign * i64::from(points.get());
        }
        _ => {}
    };
    for event in bank.journal() {
        let event = event?;
        if local_day(event.body.at) != day {
            continue;
        }
        match &event.body.kind {
            EventKind::Reversed { target, .. } => count(&bank.event(*target)?.body.kind, -1),
            kind => count(kind, 1),
        }
    }
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
