//! A redemption's receipt as text: number (= the entry's seq), the volunteer masked, item,
//! hours, balance after, staff and time — what the receipt screen shows and what is printed.

use crate::bank::VolunteerView;
use crate::domain::privacy::{mask_card, mask_name};
use crate::domain::{Timestamp, format_hours};
use crate::i18n::{Text, fill};
use crate::tui::widgets::pad;

#[derive(Debug, Clone)]
pub struct Receipt {
    pub seq: u64,
    pub volunteer: VolunteerView,
    pub item: String,
    pub qty: u32,
    pub minutes: u64,
    pub balance_after: u64,
    pub staff: String,
    pub at: Option<Timestamp>,
    pub counter: String,
    /// Minutes of it the card's city pool granted, and the grant's id (the journal's, never
    /// printed): where the hours came from when they were not all at this counter.
    pub from_city: Option<(u64, String)>,
}

impl Receipt {
    /// The receipt as lines of text: what is shown and what is printed.
    pub fn lines(&self, t: &Text) -> Vec<String> {
        let v = &self.volunteer.volunteer;
        let time = self
            .at
            .map(|at| at.datetime().with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S").to_string());
        let rows = [
            (t.receipt_no, format!("#{}", self.seq)),
            (t.receipt_volunteer, format!("{} {}", mask_name(v.name.as_str()), mask_card(v.card.as_str()))),
            (t.receipt_item, format!("{} x{}", self.item, self.qty)),
            (t.receipt_hours, format!("{} {}", format_hours(self.minutes), t.hours_unit)),
            (t.receipt_balance_after, format!("{} {}", format_hours(self.balance_after), t.hours_unit)),
            (t.receipt_staff, self.staff.clone()),
            (t.receipt_time, time.unwrap_or_default()),
        ];
        let mut lines = vec![self.counter.clone(), t.receipt_title.to_string(), String::new()];
        let label_cols =
            rows.iter().map(|(label, _)| crate::tui::widgets::width(label)).max().unwrap_or(0) + 2;
        lines.extend(rows.iter().map(|(label, value)| format!("{}{value}", pad(label, label_cols))));
        if let Some((minutes, _)) = &self.from_city {
            lines.push(fill(t.receipt_from_city, &[&format_hours(*minutes)]));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CardNo, Day, Name, Volunteer};

    /// Issue 25 (low): a receipt says how much came from the city pool, never the grant's id
    /// (the journal's business, meaningless to the volunteer).
    #[test]
    fn a_city_receipt_says_the_pools_part_without_the_grant_id() {
        let volunteer = Volunteer {
            card: CardNo::parse("JH000001").unwrap(),
            name: Name::parse("陈华佩").unwrap(),
            phone: None,
            community: "白沙社区".into(),
            registered_on: Day::parse("2026-01-01").unwrap(),
            id_number: None,
            active: true,
            pin_hash: None,
        };
        let receipt = Receipt {
            seq: 42,
            volunteer: VolunteerView { id: 1, volunteer, account: Default::default() },
            item: "大米5kg".into(),
            qty: 1,
            minutes: 600,
            balance_after: 270,
            staff: "李敏 (S01)".into(),
            at: None,
            counter: "白沙服务台".into(),
            from_city: Some((90, "JH-B-01:t18ee0c2a".into())),
        };
        let text = receipt.lines(crate::i18n::Lang::Zh.text()).join("\n");
        assert!(text.contains("其中 1.5 小时来自城市池"), "{text}");
        assert!(!text.contains("t18ee0c2a") && !text.contains("JH-B-01"), "{text}");
    }
}
