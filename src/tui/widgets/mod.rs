//! Small drawing helpers shared by the screens. Widths are display widths (a hanzi is two
//! columns); strings are cut at grapheme boundaries, never bytes.

pub mod chart;
pub mod clock;
pub mod form;
pub mod input;
pub mod table;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

pub use form::{Field, Form, FormKey};
pub use input::{TextInput, is_non_digit};
pub use table::{ListColumn, shorten, table};

use super::theme::Theme;

pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` cut to at most `max` columns (whole graphemes only).
pub fn truncate(s: &str, max: usize) -> &str {
    let mut used = 0;
    for (at, g) in s.grapheme_indices(true) {
        let w = width(g);
        if used + w > max {
            return &s[..at];
        }
        used += w;
    }
    s
}

/// `s` cut or padded with spaces to exactly `cols` columns.
pub fn pad(s: &str, cols: usize) -> String {
    let cut = truncate(s, cols);
    let mut out = String::from(cut);
    out.extend(std::iter::repeat_n(' ', cols - width(cut)));
    out
}

/// `s` right-aligned in exactly `cols` columns.
pub fn pad_left(s: &str, cols: usize) -> String {
    let cut = truncate(s, cols);
    let mut out: String = std::iter::repeat_n(' ', cols - width(cut)).collect();
    out.push_str(cut);
    out
}

/// Writes `s` at (x, y), clipped to the area's right edge. Returns the columns written.
pub fn put(buf: &mut Buffer, area: Rect, x: u16, y: u16, s: &str, style: Style) -> u16 {
    if y >= area.bottom() || x >= area.right() {
        return 0;
    }
    let room = usize::from(area.right() - x);
    let cut = truncate(s, room);
    buf.set_stringn(x, y, cut, room, style);
    width(cut) as u16
}

/// A title row in the theme's border role, full width: panels are separated by these rather
/// than by box-drawing lines, whose width is ambiguous in CJK terminals.
pub fn title_bar(buf: &mut Buffer, area: Rect, title: &str, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let style = theme.bar();
    buf.set_style(Rect { height: 1, ..area }, style);
    put(buf, area, area.x + 1, area.y, title, style);
}

/// A rectangle of `w`×`h` centred in `area` (clamped to it).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

/// A popup: cleared, filled with the text style, with a title bar. Its rows are cleared from
/// edge to edge (only its own rows, so the header and footer stay), so the page's text never runs into the popup's title or
/// lines (at 80 columns "超过需审批" beside the title "规则" read "超过规则"), and a wide
/// character just outside cannot spill into it.
pub fn popup(buf: &mut Buffer, area: Rect, title: &str, theme: &Theme) -> Rect {
    let margin = Rect { x: buf.area().x, width: buf.area().width, ..area }.intersection(*buf.area());
    ratatui::widgets::Widget::render(ratatui::widgets::Clear, margin, buf);
    buf.set_style(margin, theme.text);
    title_bar(buf, area, title, theme);
    Rect {
        x: area.x + 1,
        y: area.y + 1,
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(1),
    }
}

/// The area under a screen's title bar, inside its one-column margins: where its list goes.
pub fn under_title(area: Rect) -> Rect {
    Rect {
        x: area.x + 1,
        y: area.y + 1,
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(1),
    }
}

/// Lines of `text` wrapped to `cols` columns: between words, and within a run with no spaces
/// (hanzi) wherever the width runs out.
pub fn wrap(text: &str, cols: usize) -> Vec<String> {
    // textwrap breaks at spaces and, inside a long run such as hanzi, at the width, by display
    // width (its Unicode line-breaking feature would pull in ICU for little gain here).
    textwrap::wrap(text, cols.max(1)).into_iter().map(|line| line.into_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_count_hanzi_as_two_and_never_split_a_character() {
        assert_eq!(width("陈华佩"), 6);
        assert_eq!(truncate("陈华佩", 5), "陈华");
        assert_eq!(pad("陈华佩", 5), "陈华 ");
        assert_eq!(pad_left("12.5", 6), "  12.5");
        assert_eq!(wrap("垃圾分类督导ab", 5), ["垃圾", "分类", "督导a", "b"]);
        // English breaks between words, not inside one.
        assert_eq!(
            wrap("No PIN yet? The staff can set one.", 16),
            ["No PIN yet? The", "staff can set", "one."]
        );
        // A combining mark stays with its letter.
        assert_eq!(truncate("e\u{301}x", 1), "e\u{301}");
    }
}
