//! Charts drawn with whole cells: bars are runs of coloured blanks, and the sparkline is
//! braille dots. Both are one column wide in every terminal — the block glyphs ratatui's own
//! charts use (U+2581–2588) are East Asian "ambiguous" width and misalign in a CJK terminal.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::{pad, pad_left, put, width};

/// Vertical bars, one per value, `bar` cells wide with one blank between, the labels on the
/// last row. Values scale to the tallest; a value above 0 always shows at least one cell.
pub fn columns(buf: &mut Buffer, area: Rect, bars: &[(String, u64)], bar: u16, style: Style, label: Style) {
    if area.height < 2 || bars.is_empty() {
        return;
    }
    let rows = u64::from(area.height - 1);
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    for (i, (text, value)) in bars.iter().enumerate() {
        let x = area.x + i as u16 * (bar + 1);
        if x + bar > area.right() {
            break;
        }
        let filled = if *value == 0 { 0 } else { (value * rows).div_ceil(max).max(1) };
        for r in 0..filled as u16 {
            let y = area.y + area.height - 2 - r;
            for dx in 0..bar {
                buf[(x + dx, y)].set_symbol(" ").set_style(style);
            }
        }
        put(buf, area, x, area.y + area.height - 1, text, label);
    }
}

/// Horizontal bars: a label, a bar scaled to the largest value, then the value's text.
pub fn rows(buf: &mut Buffer, area: Rect, bars: &[(String, u64, String)], style: Style, text: Style) {
    let label_cols = bars.iter().map(|b| width(&b.0)).max().unwrap_or(0).min(16);
    let value_cols = bars.iter().map(|b| width(&b.2)).max().unwrap_or(0);
    let room = usize::from(area.width).saturating_sub(label_cols + value_cols + 2);
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    for (i, (name, value, shown)) in bars.iter().enumerate().take(usize::from(area.height)) {
        let y = area.y + i as u16;
        put(buf, area, area.x, y, &pad(name, label_cols), text);
        let cells = if *value == 0 { 0 } else { ((*value as usize * room).div_ceil(max as usize)).max(1) };
        let bx = area.x + label_cols as u16 + 1;
        for dx in 0..cells as u16 {
            buf[(bx + dx, y)].set_symbol(" ").set_style(style);
        }
        put(buf, area, bx + room as u16 + 1, y, &pad_left(shown, value_cols), text);
    }
}

/// A one-row sparkline in braille: two values per cell, 0–4 dots high each, scaled to the
/// largest value (a value above 0 shows at least one dot).
pub fn sparkline(values: &[u64]) -> String {
    // Dots from the bottom up: left column 7, 3, 2, 1; right column 8, 6, 5, 4.
    const LEFT: [u32; 4] = [0x40, 0x04, 0x02, 0x01];
    const RIGHT: [u32; 4] = [0x80, 0x20, 0x10, 0x08];
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    let height = |v: u64| if v == 0 { 0 } else { (v * 4).div_ceil(max).clamp(1, 4) as usize };
    values
        .chunks(2)
        .map(|pair| {
            let mut bits = 0u32;
            for (column, v) in [LEFT, RIGHT].iter().zip(pair) {
                bits |= column.iter().take(height(*v)).sum::<u32>();
            }
            char::from_u32(0x2800 + bits).unwrap_or(' ')
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_the_largest_and_keeps_small_values_visible() {
        assert_eq!(sparkline(&[0, 0]), "\u{2800}");
        // 4 dots left (full column), 1 dot right.
        assert_eq!(sparkline(&[100, 1]), char::from_u32(0x2800 + 0x47 + 0x80).unwrap().to_string());
        assert_eq!(sparkline(&[1, 2, 3]).chars().count(), 2);
        for c in sparkline(&[5, 0, 9, 12, 3]).chars() {
            assert_eq!(unicode_width::UnicodeWidthChar::width(c), Some(1));
        }
    }
}
