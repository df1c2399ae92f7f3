//! The help overlay: every binding of the current screen and the global ones, drawn from the
//! keymap table itself.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::tui::contract::Vx;
use crate::tui::keymap::{self, Scope};
use crate::tui::widgets::{centered, pad, popup, put};

pub fn render(scope: Scope, who: keymap::Who, area: Rect, buf: &mut Buffer, vx: &Vx) {
    let rows: Vec<(String, &str)> = keymap::bindings_for(scope, false, who)
        .into_iter()
        .map(|b| (keymap::key_label(b), keymap::action_label(vx.t, b.action)))
        .collect();
    // One column while the bindings fit the height; two side by side when they do not (the
    // volunteer page at 80×24), so no key is ever cut off.
    let fits = usize::from(area.height.saturating_sub(4));
    let columns: u16 = if rows.len() > fits { 2 } else { 1 };
    let per_column = rows.len().div_ceil(usize::from(columns));
    let width = if columns == 2 { area.width.saturating_sub(2).min(78) } else { 48 };
    let height = (per_column as u16 + 4).min(area.height);
    let inner = popup(buf, centered(area, width, height), vx.t.help_title, vx.theme);
    let column_width = inner.width.saturating_sub(2) / columns;
    for (i, (key, label)) in rows.iter().enumerate() {
        let (col, row) = ((i / per_column.max(1)) as u16, (i % per_column.max(1)) as u16);
        let y = inner.y + 1 + row;
        if y >= inner.bottom().saturating_sub(1) {
            continue;
        }
        let cell =
            Rect { x: inner.x + 1 + col * column_width, y, width: column_width.saturating_sub(1), height: 1 };
        let x = cell.x + put(buf, cell, cell.x, y, &pad(key, 12), vx.theme.accent);
        put(buf, cell, x, y, label, vx.theme.text);
    }
    put(buf, inner, inner.x + 1, inner.bottom().saturating_sub(1), vx.t.help_close, vx.theme.muted);
}
