//! The home screen while nobody is logged in: a large clock, the counter's name, and a card
//! buffer so a scan (characters + Enter, as a barcode reader types) goes straight to login
//! and then to that volunteer.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::domain::CardNo;
use crate::tui::app::Vx;
use crate::tui::i18n::fill;
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

impl Lock {
    /// `Some(card)` when Enter asks for the login (`card` is what was scanned, if anything).
    pub fn on_key(&mut self, key: KeyEvent) -> Option<Option<String>> {
        match key.code {
            KeyCode::Enter => {
                let typed = self.card.value().trim().to_string();
                self.card.clear();
                Some(CardNo::parse(&typed).ok().map(|c| c.to_string()))
            }
            KeyCode::Esc => {
                self.card.clear();
                None
            }
            _ => {
                self.card.handle(key);
                None
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
