//! The receipt after a redemption (`tui::receipt`), in a popup. `p` sends it to the
//! configured print command; Esc returns to the volunteer's page.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::tui::contract::{Cx, Step, Vx};
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::receipt::Receipt;
use crate::tui::widgets::{centered, popup, put};

pub struct ReceiptPage {
    pub receipt: Receipt,
}

impl ReceiptPage {
    pub fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        match keymap::action(Scope::Receipt, key) {
            Some(Action::Print) => {
                let mut text = self.receipt.lines(cx.t).join("\n");
                text.push('\n');
                Step::Print(text)
            }
            Some(Action::Back) => Step::Back,
            _ => Step::Stay,
        }
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let lines = self.receipt.lines(vx.t);
        let inner = popup(buf, centered(area, 56, lines.len() as u16 + 3), vx.t.receipt_title, vx.theme);
        for (i, line) in lines.iter().enumerate() {
            let style = if i == 3 { vx.theme.balance } else { vx.theme.text };
            put(buf, inner, inner.x + 2, inner.y + 1 + i as u16, line, style);
        }
    }
}
