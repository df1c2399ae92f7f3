//! A volunteer's service certificate (志愿服务证明, `c` on the volunteer page): from the day they
//! registered (or first served, if earlier) to today, hours by activity, the issuing counter, serial number and the
//! verification code. In a city it is the city's — every counter's service, verifiable at any
//! counter — asked of the service off the UI thread; offline, this counter's own, saying so.
//! `p` sends the page to the receipt command; Up/Down scroll a long one.

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
    /// In a city: the card and days to ask the service for, until it answers.
    asking: Option<(crate::domain::CardNo, crate::domain::Day, crate::domain::Day)>,
    /// The service could not issue it: why, over this counter's own certificate.
    offline: Option<String>,
}

impl CertificatePage {
    pub fn open(cx: &mut Cx, volunteer: VolunteerId) -> Option<CertificatePage> {
        let issued = cx.bank.volunteer(volunteer).and_then(|v| {
            let (from, to) = cx.bank.whole_service(&v.volunteer.card)?;
            cx.bank.certificate(&v.volunteer.card, from, to)
        });
        let city = cx.config.sync.city_url().is_some();
        match issued {
            Ok(c) => {
                let lines = crate::report::certificate_page(&c).lines().map(str::to_string).collect();
                let asking = city.then(|| (c.card.clone(), c.from, c.to));
                Some(CertificatePage { lines, code: c.code, top: 0, asking, offline: None })
            }
            Err(e) => {
                *cx.status = Status::Error(cx.t.bank_error(&e));
                None
            }
        }
    }

    /// What to ask the city service for, while it has not answered.
    pub fn city_request(&self) -> Option<&(crate::domain::CardNo, crate::domain::Day, crate::domain::Day)> {
        self.asking.as_ref()
    }

    /// The service's answer (`Effect::AskCertificate`): its certificate replaces this counter's
    /// own; without one, this counter's stays, saying it counts this counter's hours only.
    pub fn city_answered(
        &mut self,
        answer: Result<crate::city::wire::CityCertificate, String>,
        t: &crate::i18n::Text,
    ) {
        self.asking = None;
        match answer.map(|c| crate::city::as_certificate(&c)) {
            Ok(Some(c)) => {
                self.lines = crate::report::certificate_page(&c).lines().map(str::to_string).collect();
                self.code = c.code;
            }
            Ok(None) => self.offline = Some(t.certificate_city_unreadable.to_string()),
            Err(why) => self.offline = Some(crate::i18n::fill(t.certificate_city_offline, &[&why])),
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        match keymap::action(Scope::Receipt, key) {
            // Nothing to print before the city's certificate is in.
            Some(Action::Print) if self.asking.is_some() => Step::Stay,
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
        let said = match (&self.asking, &self.offline) {
            (Some(_), _) => Some((vx.t.certificate_city_asking, vx.theme.muted)),
            (None, Some(why)) => Some((why.as_str(), vx.theme.warning)),
            (None, None) => None,
        };
        let mut top = area.y + 1;
        if let Some((line, style)) = said {
            put(buf, area, area.x + 1, top, line, style);
            top += 1;
        }
        if self.asking.is_some() {
            return;
        }
        let x = area.x + area.width.saturating_sub(58) / 2;
        let room = usize::from(area.bottom().saturating_sub(top));
        for (i, line) in self.lines.iter().skip(self.top).take(room).enumerate() {
            put(buf, area, x, top + i as u16, line, vx.theme.text);
        }
    }
}
