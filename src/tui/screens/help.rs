//! The help overlay: every binding of the current screen and the global ones, drawn from the
//! keymap table itself.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::tui::app::Vx;
use crate::tui::keymap::{self, Scope};
use crate::tui::widgets::{centered, pad, popup, put};

pub fn render(scope: Scope, area: Rect, buf: &mut Buffer, vx: &Vx) {
    let rows: Vec<(String, &str)> = keymap::bindings(scope, false)
        .map(|b| (keymap::key_label(b), keymap::action_label(vx.t, b.action)))
        .collect();
    let height = (rows.len() as u16 + 4).min(area.height);
    let inner = popup(buf, centered(area, 48, height), vx.t.help_title, vx.theme);
    for (y, (key, label)) in (inner.y + 1..inner.bottom().saturating_sub(1)).zip(rows) {
        let x = inner.x + 1 + put(buf, inner, inner.x + 1, y, &pad(&key, 12), vx.theme.accent);
        put(buf, inner, x, y, label, vx.theme.text);
    }
    put(buf, inner, inner.x + 1, inner.bottom().saturating_sub(1), vx.t.help_close, vx.theme.muted);
}
