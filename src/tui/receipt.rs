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
    /// Minutes of it the card's city pool granted, and the grant's id: where the hours came
    /// from when they were not all at this counter.
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
        if let Some((minutes, grant)) = &self.from_city {
            lines.push(fill(t.receipt_from_city, &[&format_hours(*minutes), grant]));
        }
        lines
    }
}
