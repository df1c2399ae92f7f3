//! Exchange-day settlement (兑换结算) with partner merchants: for a date range, each merchant's
//! items redeemed — quantities and hours, net of reversals booked in the range — and the stock
//! left now, which is what the merchant and the office reconcile.

use std::collections::BTreeMap;

use super::ExportError;
use super::book::{self, Booked};
use super::sheet::{Cell, Sheet, col, count_col, hours_col};
use crate::bank::Bank;
use crate::domain::{Day, EventKind, RewardId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementLine {
    pub merchant: String,
    pub reward: RewardId,
    pub item: String,
    pub kind: &'static str,
    /// Units redeemed, net of reversed redemptions.
    pub quantity: i64,
    pub minutes: i64,
    /// `None` for unlimited items.
    pub stock_left: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub from: Day,
    pub to: Day,
    pub lines: Vec<SettlementLine>,
}

/// Settlement for every merchant (or just `merchant`) over `from..=to`, by booking day.
pub fn settlement(
    bank: &Bank,
    from: Day,
    to: Day,
    merchant: Option<&str>,
) -> Result<Settlement, ExportError> {
    let rewards: BTreeMap<RewardId, crate::bank::RewardView> =
        bank.rewards()?.into_iter().map(|r| (r.id, r)).collect();
    let sums = book::fold(bank, BTreeMap::<RewardId, (i64, i64)>::new, |sums, b: Booked<'_>| {
        if b.day < from || b.day > to {
            return;
        }
        let (kind, sign) = b.booked();
        if let EventKind::Redeemed { reward, qty, minutes, .. } = kind {
            let s = sums.entry(*reward).or_default();
            s.0 += sign * i64::from(*qty);
            s.1 += sign * i64::from(minutes.get());
        }
    })?;
    let mut lines: Vec<SettlementLine> = sums
        .into_iter()
        .filter_map(|(id, (quantity, minutes))| {
            let r = rewards.get(&id)?;
            if merchant.is_some_and(|m| m != r.reward.merchant) {
                return None;
            }
            Some(SettlementLine {
                merchant: r.reward.merchant.clone(),
                reward: id,
                item: r.reward.name.to_string(),
                kind: r.reward.kind.as_str(),
                quantity,
                minutes,
                stock_left: r.reward.limited.then_some(r.stock),
            })
        })
        .collect();
    lines.sort_by(|a, b| a.merchant.cmp(&b.merchant).then(a.item.cmp(&b.item)));
    Ok(Settlement { from, to, lines })
}

impl Settlement {
    pub fn sheets(&self) -> Vec<Sheet> {
        let kind = |k: &str| match k {
            "voucher" => "代金券",
            "course" => "课程",
            _ => "礼品",
        };
        let rows = self
            .lines
            .iter()
            .map(|l| {
                vec![
                    Cell::text(if l.merchant.is_empty() { "(本站)" } else { &l.merchant }),
                    Cell::text(&l.item),
                    Cell::text(kind(l.kind)),
                    Cell::Count(l.quantity.max(0) as u64),
                    Cell::Hours(l.minutes),
                    Cell::text(l.stock_left.map_or_else(|| "不限".to_string(), |s| s.to_string())),
                ]
            })
            .collect();
        vec![Sheet::new(
            format!("结算 {} 至 {}", self.from, self.to),
            &[
                col("合作商户", 20.0),
                col("兑换物品", 24.0),
                col("类别", 8.0),
                count_col("数量", 8.0),
                hours_col("小时", 10.0),
                col("库存余量", 10.0),
            ],
            rows,
            true,
        )]
    }
}
