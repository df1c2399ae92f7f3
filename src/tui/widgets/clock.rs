//! Large digits for the lock screen's clock and the volunteer's balance: digits drawn as blocks of reversed spaces, so no
//! ambiguous-width glyph (like a full block) can break the layout.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};

/// 3×5 dot patterns, one row per string; '#' is lit.
const DIGITS: [[&str; 5]; 10] = [
    ["###", "# #", "# #", "# #", "###"],
    ["  #", "  #", "  #", "  #", "  #"],
    ["###", "  #", "###", "#  ", "###"],
    ["###", "  #", "###", "  #", "###"],
    ["# #", "# #", "###", "  #", "  #"],
    ["###", "#  ", "###", "  #", "###"],
    ["###", "#  ", "###", "# #", "###"],
    ["###", "  #", "  #", "  #", "  #"],
    ["###", "# #", "###", "# #", "###"],
    ["###", "# #", "###", "  #", "###"],
];
const COLON: [&str; 5] = [" ", "#", " ", "#", " "];
const POINT: [&str; 5] = [" ", " ", " ", " ", "#"];

/// Columns the clock needs for `text` (digits and ':').
pub fn clock_width(text: &str) -> u16 {
    text.chars().map(|c| if matches!(c, ':' | '.') { 4 } else { 8 }).sum::<u16>().saturating_sub(2)
}

pub const CLOCK_HEIGHT: u16 = 5;

/// Draws `text` (e.g. "09:41") with its top-left at `area`'s; each dot is two cells wide.
pub fn render(text: &str, area: Rect, buf: &mut Buffer, style: Style) {
    let lit = style.add_modifier(Modifier::REVERSED);
    let mut x = area.x;
    for c in text.chars() {
        let pattern: &[&str; 5] = match c {
            ':' => &COLON,
            '.' => &POINT,
            d => match d.to_digit(10) {
                Some(n) => &DIGITS[n as usize],
                None => continue,
            },
        };
        for (row, line) in pattern.iter().enumerate() {
            let y = area.y + row as u16;
            for (col, dot) in line.chars().enumerate() {
                let cx = x + 2 * col as u16;
                if dot == '#' && y < area.bottom() && cx + 1 < area.right() {
                    buf.set_string(cx, y, "  ", lit);
                }
            }
        }
        x += if matches!(c, ':' | '.') { 4 } else { 8 };
    }
}
