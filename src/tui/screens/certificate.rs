//! A volunteer's service certificate (志愿服务证明, `c` on the volunteer page): from the day they
//! registered (or first served, if earlier) to today, hours by activity, the issuing counter, serial number and the
//! verification code. `p` sends the page to the receipt command; Up/Down scroll a long one.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::domain::VolunteerId;
use crate::tui::contract::{Cx, Status, Step, Vx};
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::widgets::{put, title_bar};

pub struct CertificatePage {
    lines: Vec<String>,
    code: String,
    top: usize,
}

impl CertificatePage {
    pub fn open(cx: &mut Cx, volunteer: VolunteerId) -> Option<CertificatePage> {
        let issued = cx.bank.volunteer(volunteer).and_then(|v| {
            let (from, to) = cx.bank.whole_service(&v.volunteer.card)?;
            cx.bank.certificate(&v.volunteer.card, from, to)
        });
        match issued {
            Ok(c) => {
                let lines = crate::report::certificate_page(&c).lines().map(str::to_string).collect();
                Some(CertificatePage { lines, code: c.code, top: 0 })
            }
            Err(e) => {
                *cx.status = Status::Error(cx.t.bank_error(&e));
                None
            }
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        match keymap::action(Scope::Receipt, key) {
            Some(Action::Print) => {
                *cx.status = Status::Info(self.code.clone());
                let mut text = self.lines.join("\n");
                text.push('\n');
                Step::Print(text)
            }
            Some(Action::Up) => {
                self.top = self.top.saturating_sub(1);
                Step::Stay
            }
            Some(Action::Down) => {
                self.top = (self.top + 1).min(self.lines.len().saturating_sub(1));
                Step::Stay
            }
            Some(Action::Back) => Step::Back,
            _ => Step::Stay,
        }
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        title_bar(buf, area, vx.t.certificate_title, vx.theme);
        let x = area.x + area.width.saturating_sub(58) / 2;
        for (i, line) in
            self.lines.iter().skip(self.top).take(usize::from(area.height.saturating_sub(1))).enumerate()
        {
            put(buf, area, x, area.y + 1 + i as u16, line, vx.theme.text);
        }
    }
}
