//! A one-line text input: grapheme-aware cursor, backspace and delete, and a view that keeps
//! the cursor visible in a narrow box.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use unicode_segmentation::UnicodeSegmentation;

use super::width;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    value: String,
    /// Byte offset, always on a grapheme boundary.
    cursor: usize,
    /// Most characters accepted; more are ignored rather than cut later.
    max_chars: usize,
}

/// A typed character that is not a digit: PIN fields take nothing else.
pub fn is_non_digit(key: &KeyEvent) -> bool {
    matches!(key.code, KeyCode::Char(c) if !c.is_ascii_digit())
}

impl TextInput {
    pub fn new(max_chars: usize) -> TextInput {
        TextInput { value: String::new(), cursor: 0, max_chars }
    }

    pub fn with(value: &str, max_chars: usize) -> TextInput {
        let mut input = TextInput::new(max_chars);
        input.set(value);
        input
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    pub fn set(&mut self, value: &str) {
        self.value = value.chars().take(self.max_chars).collect();
        self.cursor = self.value.len();
    }

    pub fn clear(&mut self) {
        self.value.clear();
        self.cursor = 0;
    }

    /// Clears and overwrites the bytes that held the value (a PIN must not linger in memory
    /// after a lock or a failed attempt).
    pub fn wipe(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.value);
        self.cursor = 0;
    }

    /// No more characters fit (the next one typed would be refused).
    pub fn is_full(&self) -> bool {
        self.value.chars().count() >= self.max_chars
    }

    pub fn max_chars(&self) -> usize {
        self.max_chars
    }

    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    fn prev_boundary(&self) -> usize {
        self.value[..self.cursor].grapheme_indices(true).next_back().map_or(0, |(i, _)| i)
    }

    fn next_boundary(&self) -> usize {
        self.value[self.cursor..].graphemes(true).next().map_or(self.cursor, |g| self.cursor + g.len())
    }

    /// Edits for a key; `false` when the key is not an editing key (the caller may use it).
    pub fn handle(&mut self, key: KeyEvent) -> bool {
        if key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
            return false;
        }
        match key.code {
            KeyCode::Char(c) if !c.is_control() => {
                if self.value.chars().count() < self.max_chars {
                    self.value.insert(self.cursor, c);
                    self.cursor += c.len_utf8();
                }
            }
            KeyCode::Backspace => {
                let start = self.prev_boundary();
                self.value.replace_range(start..self.cursor, "");
                self.cursor = start;
            }
            KeyCode::Delete => {
                let end = self.next_boundary();
                self.value.replace_range(self.cursor..end, "");
            }
            KeyCode::Left => self.cursor = self.prev_boundary(),
            KeyCode::Right => self.cursor = self.next_boundary(),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.value.len(),
            _ => return false,
        }
        true
    }

    /// Draws the value in one row of `area`; masked shows one `*` per character. The cursor is
    /// a reversed cell, so it shows in snapshots and needs no terminal cursor.
    pub fn render(&self, area: Rect, buf: &mut Buffer, style: Style, focused: bool, masked: bool) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        buf.set_style(Rect { height: 1, ..area }, style);
        let shown: String;
        let (text, cursor) = if masked {
            shown = "*".repeat(self.value[..self.cursor].chars().count());
            let tail = "*".repeat(self.value[self.cursor..].chars().count());
            (format!("{shown}{tail}"), shown.len())
        } else {
            (self.value.clone(), self.cursor)
        };
        // Keep the cursor visible: drop graphemes from the left until it fits.
        let room = usize::from(area.width).saturating_sub(1);
        let mut start = 0;
        while width(&text[start..cursor]) > room {
            start += text[start..].graphemes(true).next().map_or(1, str::len);
        }
        let visible = super::truncate(&text[start..], usize::from(area.width));
        buf.set_stringn(area.x, area.y, visible, usize::from(area.width), style);
        if focused {
            let x = area.x + width(&text[start..cursor]) as u16;
            if x < area.right() {
                let cell = &mut buf[(x, area.y)];
                cell.set_style(style.add_modifier(Modifier::REVERSED));
                if cursor == text.len() {
                    cell.set_symbol(" ");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(input: &mut TextInput, code: KeyCode) {
        input.handle(KeyEvent::new(code, KeyModifiers::NONE));
    }

    #[test]
    fn editing_moves_by_whole_characters() {
        let mut i = TextInput::new(10);
        for c in "陈华e\u{301}".chars() {
            press(&mut i, KeyCode::Char(c));
        }
        press(&mut i, KeyCode::Backspace);
        assert_eq!(i.value(), "陈华");
        press(&mut i, KeyCode::Left);
        press(&mut i, KeyCode::Char('x'));
        assert_eq!(i.value(), "陈x华");
        press(&mut i, KeyCode::Home);
        press(&mut i, KeyCode::Delete);
        assert_eq!(i.value(), "x华");
        assert!(!i.handle(KeyEvent::new(KeyCode::Char('l'), KeyModifiers::CONTROL)));
    }

    #[test]
    fn input_stops_at_its_limit() {
        let mut i = TextInput::new(3);
        for c in "12345".chars() {
            press(&mut i, KeyCode::Char(c));
        }
        assert_eq!(i.value(), "123");
    }

    #[test]
    fn a_long_value_scrolls_so_the_cursor_stays_visible() {
        let i = TextInput::with("垃圾分类督导活动", 20);
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 1));
        i.render(Rect::new(0, 0, 6, 1), &mut buf, Style::default(), true, false);
        let row: String = (0..6).map(|x| buf[(x, 0)].symbol().to_string()).collect();
        // Each hanzi takes two cells (the second left blank); then the cursor cell.
        assert_eq!(row, "活 动   ");
        assert!(buf[(4, 0)].modifier.contains(Modifier::REVERSED));
    }
}
