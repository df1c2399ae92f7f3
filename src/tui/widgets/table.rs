//! Borderless tables for the counter's lists (find results, a volunteer's history, the
//! catalog, the review queue): ratatui's `Layout` shares the width among the columns and its
//! `Table` draws them, by display width (a hanzi is two columns). A cell wider than its column
//! is shortened whole — at a word's end where it has spaces, marked with `…` — never cut in the
//! middle of a word or a glyph.

use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table, Widget};

use super::{truncate, width};

/// One column: its header and how much of the width it takes.
#[derive(Debug, Clone, Copy)]
pub struct ListColumn<'a> {
    pub header: &'a str,
    pub width: Constraint,
    /// Numbers (hours, seqs) line up on the right.
    pub right: bool,
}

impl<'a> ListColumn<'a> {
    /// Exactly `cols` columns.
    pub fn fixed(header: &'a str, cols: u16) -> Self {
        ListColumn { header, width: Constraint::Length(cols), right: false }
    }

    /// What the fixed columns leave (shared with the other `fill` columns by `weight`).
    pub fn fill(header: &'a str, weight: u16) -> Self {
        ListColumn { header, width: Constraint::Fill(weight), right: false }
    }

    pub fn right(mut self) -> Self {
        self.right = true;
        self
    }
}

/// `text` in at most `cols` columns: whole, or shortened with `…` — at the last space when the
/// cut would fall inside a word written with spaces.
pub fn shorten(text: &str, cols: usize) -> String {
    if width(text) <= cols {
        return text.to_string();
    }
    if cols == 0 {
        return String::new();
    }
    let mut cut = truncate(text, cols - 1);
    let inside_a_word = text[cut.len()..].chars().next().is_some_and(char::is_alphanumeric)
        && cut.chars().last().is_some_and(|c| c.is_ascii_alphanumeric());
    if inside_a_word && let Some(space) = cut.rfind(' ') {
        cut = cut[..space].trim_end();
    }
    format!("{cut}…")
}

/// Draws the columns' headers in `header` (none without it), then `rows` (cells, row style),
/// one per line, as many as `area` holds. Callers pass only the rows in view.
pub fn table(
    buf: &mut Buffer,
    area: Rect,
    columns: &[ListColumn<'_>],
    header: Option<Style>,
    rows: impl IntoIterator<Item = (Vec<String>, Style)>,
) {
    let widths: Vec<u16> = Layout::horizontal(columns.iter().map(|c| c.width))
        .spacing(1)
        .split(Rect { x: 0, y: 0, width: area.width, height: 1 })
        .iter()
        .map(|r| r.width)
        .collect();
    let cell = |text: &str, i: usize| {
        let cols = usize::from(widths.get(i).copied().unwrap_or(0));
        let line = Line::from(shorten(text, cols));
        let right = columns.get(i).is_some_and(|c| c.right);
        Cell::from(if right { line.alignment(Alignment::Right) } else { line })
    };
    let room = area.height.saturating_sub(u16::from(header.is_some()));
    let body: Vec<Row> = rows
        .into_iter()
        .take(usize::from(room))
        .map(|(cells, style)| {
            Row::new(cells.iter().enumerate().map(|(i, c)| cell(c, i)).collect::<Vec<_>>()).style(style)
        })
        .collect();
    let mut drawn = Table::new(body, widths.iter().map(|w| Constraint::Length(*w))).column_spacing(1);
    if let Some(style) = header {
        drawn =
            drawn.header(Row::new(columns.iter().enumerate().map(|(i, c)| cell(c.header, i))).style(style));
    }
    drawn.render(area, buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortened_whole_never_inside_a_word_or_a_glyph() {
        assert_eq!(shorten("Garbage sorting", 20), "Garbage sorting");
        assert_eq!(shorten("Garbage sorting supervisor", 20), "Garbage sorting…");
        assert_eq!(shorten("垃圾分类督导员", 9), "垃圾分类…");
        assert_eq!(
            width(&shorten("垃圾分类督导员", 8)),
            7,
            "no half hanzi: {}",
            shorten("垃圾分类督导员", 8)
        );
        assert_eq!(shorten("Supercalifragilistic", 8), "Superca…", "one long word is cut, marked");
        assert_eq!(shorten("abc", 0), "");
    }

    #[test]
    fn columns_share_the_width_and_numbers_line_up_right() {
        let area = Rect::new(0, 0, 30, 3);
        let mut buf = Buffer::empty(area);
        let columns = [
            ListColumn::fixed("Card", 8),
            ListColumn::fill("Name", 1),
            ListColumn::fixed("Hours", 6).right(),
        ];
        let rows = [(vec!["JH000001".into(), "陈华佩".into(), "14.5".into()], Style::default())];
        table(&mut buf, area, &columns, Some(Style::default()), rows);
        let line = |y: u16| (0..30).map(|x| buf[(x, y)].symbol().to_string()).collect::<String>();
        assert_eq!(line(0), "Card     Name            Hours");
        assert!(line(1).starts_with("JH000001 陈"), "{}", line(1));
        assert!(line(1).ends_with("  14.5"), "{}", line(1));
    }
}
