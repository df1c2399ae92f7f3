//! The home screen while nobody is logged in: a large clock, the counter's name, and a card
//! buffer. A scan (characters + Enter, as a barcode reader types) starts that volunteer's
//! self-service login; Enter alone or F2 is the staff login (F2 after a scan opens that
//! volunteer once staff are in).

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::domain::CardNo;
use crate::i18n::fill;
use crate::tui::contract::Vx;
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::widgets::{TextInput, clock, put, width};

#[derive(Debug)]
pub struct Lock {
    card: TextInput,
}

impl Default for Lock {
    fn default() -> Self {
        Lock { card: TextInput::new(32) }
    }
}

/// What the lock screen asks for.
pub enum LockOutcome {
    Stay,
    /// A volunteer's self-service login for this card.
    SelfService(String),
    /// Staff login; with a card, that volunteer's page opens after it.
    StaffLogin(Option<String>),
}

impl Lock {
    pub fn on_key(&mut self, key: KeyEvent) -> LockOutcome {
        let typed = || CardNo::parse(self.card.value().trim()).ok().map(|c| c.to_string());
        match keymap::action(Scope::Lock, key) {
            Some(Action::SelfService) => {
                let card = typed();
                let empty = self.card.is_empty();
                self.card.clear();
                match card {
                    Some(card) => LockOutcome::SelfService(card),
                    None if empty => LockOutcome::StaffLogin(None),
                    None => LockOutcome::Stay,
                }
            }
            Some(Action::Login) => {
                let card = typed();
                self.card.clear();
                LockOutcome::StaffLogin(card)
            }
            Some(Action::Back) => {
                self.card.clear();
                LockOutcome::Stay
            }
            _ => {
                self.card.handle(key);
                LockOutcome::Stay
            }
        }
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let theme = vx.theme;
        let time = vx.now.format("%H:%M").to_string();
        let cw = clock::clock_width(&time);
        let top = area.y + area.height.saturating_sub(clock::CLOCK_HEIGHT + 8) / 2;
        let clock_area = Rect {
            x: area.x + area.width.saturating_sub(cw) / 2,
            y: top,
            width: cw,
            height: clock::CLOCK_HEIGHT,
        };
        clock::render(&time, clock_area, buf, theme.accent);
        let date = vx.now.format("%Y-%m-%d").to_string();
        let lines = [
            (date, theme.muted),
            (vx.counter.to_string(), theme.balance),
            (String::new(), theme.text),
            (vx.t.lock_hint.to_string(), theme.text),
            (vx.t.lock_scan_hint.to_string(), theme.muted),
        ];
        let mut y = top + clock::CLOCK_HEIGHT + 1;
        for (line, style) in lines {
            let x = area.x + area.width.saturating_sub(width(&line) as u16) / 2;
            put(buf, area, x, y, &line, style);
            y += 1;
        }
        if !self.card.is_empty() {
            let shown = format!("> {}", self.card.value());
            let x = area.x + area.width.saturating_sub(width(&shown) as u16) / 2;
            put(buf, area, x, y, &shown, theme.accent);
        }
        y += 1;
        if let Some((id, pin)) = vx.demo_login {
            let hint = fill(vx.t.demo_hint, &[id, pin]);
            let x = area.x + area.width.saturating_sub(width(&hint) as u16) / 2;
            put(buf, area, x, y, &hint, theme.warning);
        }
    }
}
