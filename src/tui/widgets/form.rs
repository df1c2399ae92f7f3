//! A column of labelled inputs with one focused field and an inline message per field
//! (an error in the danger role, otherwise the field's hint).

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::{TextInput, pad, put, width};
use crate::tui::theme::Theme;

/// What a key did to a form: moved the focus or edited a field, or asks the screen to act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKey {
    Handled,
    Submit,
    Back,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub label: &'static str,
    pub input: TextInput,
    pub hint: &'static str,
    pub error: Option<String>,
    pub masked: bool,
}

impl Field {
    pub fn new(label: &'static str, max_chars: usize) -> Field {
        Field { label, input: TextInput::new(max_chars), hint: "", error: None, masked: false }
    }

    pub fn hint(mut self, hint: &'static str) -> Field {
        self.hint = hint;
        self
    }

    pub fn masked(mut self) -> Field {
        self.masked = true;
        self
    }

    pub fn value(mut self, value: &str) -> Field {
        self.input.set(value);
        self
    }
}

#[derive(Debug, Clone)]
pub struct Form {
    pub fields: Vec<Field>,
    pub focus: usize,
}

/// Columns for the value box; the message takes what is left.
const INPUT_COLS: u16 = 28;

impl Form {
    pub fn new(fields: Vec<Field>) -> Form {
        Form { fields, focus: 0 }
    }

    pub fn value(&self, i: usize) -> &str {
        self.fields.get(i).map_or("", |f| f.input.value())
    }

    pub fn next(&mut self) {
        self.focus = (self.focus + 1) % self.fields.len().max(1);
    }

    pub fn prev(&mut self) {
        let n = self.fields.len().max(1);
        self.focus = (self.focus + n - 1) % n;
    }

    /// Sends an editing key to the focused input; clears that field's error on an edit.
    pub fn edit(&mut self, key: KeyEvent) -> bool {
        let Some(f) = self.fields.get_mut(self.focus) else { return false };
        let edited = f.input.handle(key);
        if edited {
            f.error = None;
        }
        edited
    }

    /// The keys every form shares: Tab, Shift+Tab, Up and Down move the focus, other keys edit
    /// the focused field; Enter and Esc are left to the screen.
    pub fn on_key(&mut self, action: Option<crate::tui::keymap::Action>, key: KeyEvent) -> FormKey {
        use crate::tui::keymap::Action;
        match action {
            Some(Action::Back) => return FormKey::Back,
            Some(Action::Submit) => return FormKey::Submit,
            Some(Action::NextField | Action::Down) => self.next(),
            Some(Action::PrevField | Action::Up) => self.prev(),
            _ => {
                self.edit(key);
            }
        }
        FormKey::Handled
    }

    pub fn set_error(&mut self, i: usize, error: Option<String>) {
        if let Some(f) = self.fields.get_mut(i) {
            f.error = error;
        }
    }

    pub fn has_errors(&self) -> bool {
        self.fields.iter().any(|f| f.error.is_some())
    }

    /// Focuses the first field with an error, if any.
    pub fn focus_first_error(&mut self) {
        if let Some(i) = self.fields.iter().position(|f| f.error.is_some()) {
            self.focus = i;
        }
    }

    /// One row per field; `active` is false when another part of the screen has the focus.
    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme, active: bool) {
        let label_cols = self.fields.iter().map(|f| width(f.label)).max().unwrap_or(0) + 2;
        // An error too long for the room beside its field is shown whole under the form,
        // wrapped (at 80 columns most are): a cut message is a wrong message.
        let mut overflow: Option<&str> = None;
        for (i, f) in self.fields.iter().enumerate() {
            let y = area.y + i as u16;
            if y >= area.bottom() {
                break;
            }
            let focused = active && i == self.focus;
            let label_style = if focused { theme.accent } else { theme.text };
            put(buf, area, area.x, y, &pad(f.label, label_cols), label_style);
            let x = area.x + label_cols as u16;
            let input_cols = INPUT_COLS.min(area.right().saturating_sub(x));
            let input_area = Rect { x, y, width: input_cols, height: 1 };
            f.input.render(input_area, buf, theme.row(focused), focused, f.masked);
            let mx = x + input_cols + 1;
            let room = usize::from(area.right().saturating_sub(mx));
            match &f.error {
                Some(e) if width(e) > room => {
                    overflow = overflow.or(Some(e.as_str()));
                    put(
                        buf,
                        area,
                        mx,
                        y,
                        &format!("{}…", super::truncate(e, room.saturating_sub(1))),
                        theme.danger,
                    )
                }
                Some(e) => put(buf, area, mx, y, e, theme.danger),
                None if focused => put(buf, area, mx, y, f.hint, theme.muted),
                None => 0,
            };
        }
        if let Some(e) = overflow {
            let below = area.y + self.fields.len() as u16 + 1;
            let room = Rect { x: area.x, y: below, width: area.width, height: 3 }.intersection(buf.area);
            for (i, line) in super::wrap(e, usize::from(room.width)).iter().take(3).enumerate() {
                put(buf, room, room.x, room.y + i as u16, line, theme.danger);
            }
        }
    }
}
