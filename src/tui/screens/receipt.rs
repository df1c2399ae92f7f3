//! The receipt after a redemption: number (= the entry's seq), the volunteer masked, item,
//! hours, balance after, staff and time. `p` sends it to the configured print command.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::volunteer::VolunteerPage;
use crate::bank::VolunteerView;
use crate::domain::privacy::{mask_card, mask_name};
use crate::domain::{Timestamp, format_hours};
use crate::i18n::{Text, fill};
use crate::tui::app::{Cx, Step, Vx};
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::widgets::{centered, pad, popup, put};

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

    pub fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        match keymap::action(Scope::Receipt, key) {
            Some(Action::Print) => {
                let mut text = self.lines(cx.t).join("\n");
                text.push('\n');
                Step::Print(text)
            }
            Some(Action::Back) => VolunteerPage::back_to(cx, self.volunteer.id),
            _ => Step::Stay,
        }
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let lines = self.lines(vx.t);
        let inner = popup(buf, centered(area, 56, lines.len() as u16 + 3), vx.t.receipt_title, vx.theme);
        for (i, line) in lines.iter().enumerate() {
            let style = if i == 3 { vx.theme.balance } else { vx.theme.text };
            put(buf, inner, inner.x + 2, inner.y + 1 + i as u16, line, style);
        }
    }
}
