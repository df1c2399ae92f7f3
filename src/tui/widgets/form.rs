//! A column of labelled inputs with one focused field and an inline message per field
//! (an error in the danger role, otherwise the field's hint).

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::{TextInput, pad, put, width};
use crate::i18n::{Text, fill};
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
    /// A field with a few fixed answers: `(value, label)`, the value is what `Form::value`
    /// gives, the label what is shown; Left, Right and Space move between them.
    pub choices: Vec<(&'static str, &'static str)>,
    pub chosen: usize,
    /// The last key typed was refused because the field is full (said, not silently dropped).
    pub full: bool,
}

impl Field {
    pub fn new(label: &'static str, max_chars: usize) -> Field {
        Field {
            label,
            input: TextInput::new(max_chars),
            hint: "",
            error: None,
            masked: false,
            choices: Vec::new(),
            chosen: 0,
            full: false,
        }
    }

    /// A field answered by choosing one of `choices`, starting at the one whose value is
    /// `current` (else the first).
    pub fn choice(label: &'static str, choices: Vec<(&'static str, &'static str)>, current: &str) -> Field {
        let chosen = choices.iter().position(|(v, _)| *v == current).unwrap_or(0);
        Field { choices, chosen, ..Field::new(label, 0) }
    }

    /// What the field holds: the chosen value, or the text typed.
    pub fn text(&self) -> &str {
        match self.choices.get(self.chosen) {
            Some((value, _)) => value,
            None => self.input.value(),
        }
    }

    /// Edits for a key; `false` when the key is not an editing key for this field.
    fn edit(&mut self, key: KeyEvent) -> bool {
        use crossterm::event::KeyCode;
        if !self.choices.is_empty() {
            let n = self.choices.len();
            // A letter picks the choice whose value or words start with it: `管理员？(y/n)`
            // once ignored y.
            let starts = |c: char| {
                let c = c.to_lowercase().to_string();
                self.choices.iter().position(|(value, words)| {
                    value.to_lowercase().starts_with(&c) || words.to_lowercase().starts_with(&c)
                })
            };
            self.chosen = match key.code {
                KeyCode::Right | KeyCode::Char(' ') => (self.chosen + 1) % n,
                KeyCode::Left => (self.chosen + n - 1) % n,
                KeyCode::Char(c) => match starts(c) {
                    Some(i) => i,
                    None => return false,
                },
                _ => return false,
            };
            return true;
        }
        let was_full = self.input.is_full();
        let typed = matches!(key.code, KeyCode::Char(c) if !c.is_control());
        let edited = self.input.handle(key);
        self.full = typed && was_full;
        edited
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

    /// Overwrites every field's text (PINs must not linger in memory once used or dropped).
    pub fn wipe(&mut self) {
        for field in &mut self.fields {
            field.input.wipe();
        }
    }

    pub fn value(&self, i: usize) -> &str {
        self.fields.get(i).map_or("", Field::text)
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
        let edited = f.edit(key);
        if edited && !f.full {
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
    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme, t: &Text, active: bool) {
        let label_cols = self.fields.iter().map(|f| width(f.label)).max().unwrap_or(0) + 2;
        // An error too long for the room beside its field is shown whole under the form,
        // wrapped (at 80 columns most are): a cut message is a wrong message.
        let mut overflow: Option<String> = None;
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
            match f.choices.get(f.chosen) {
                Some((_, label)) => {
                    buf.set_style(input_area, theme.row(focused));
                    put(buf, input_area, x, y, &format!("< {label} >"), theme.row(focused));
                }
                None => f.input.render(input_area, buf, theme.row(focused), focused, f.masked),
            }
            let mx = x + input_cols + 1;
            let room = usize::from(area.right().saturating_sub(mx));
            let full = (focused && f.full).then(|| fill(t.field_full, &[&f.input.max_chars()]));
            match full.as_ref().or(f.error.as_ref()) {
                Some(e) if width(e) > room => {
                    overflow = overflow.or_else(|| Some(e.clone()));
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
                None if focused && !f.choices.is_empty() && f.hint.is_empty() => {
                    put(buf, area, mx, y, t.choice_hint, theme.muted)
                }
                None if focused => put(buf, area, mx, y, f.hint, theme.muted),
                None => 0,
            };
        }
        if let Some(e) = overflow {
            let below = area.y + self.fields.len() as u16 + 1;
            let room = Rect { x: area.x, y: below, width: area.width, height: 3 }.intersection(buf.area);
            for (i, line) in super::wrap(&e, usize::from(room.width)).iter().take(3).enumerate() {
                put(buf, room, room.x, room.y + i as u16, line, theme.danger);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyModifiers};

    use super::*;
    use crate::i18n::Lang;

    fn press(form: &mut Form, code: KeyCode) {
        form.edit(KeyEvent::new(code, KeyModifiers::NONE));
    }

    fn row(form: &Form, t: &Text) -> String {
        let area = Rect::new(0, 0, 80, 3);
        let mut buf = Buffer::empty(area);
        form.render(area, &mut buf, &Theme::default_theme(), t, true);
        (0..80).map(|x| buf[(x, 0)].symbol().to_string()).collect()
    }

    #[test]
    fn a_full_field_says_its_limit_instead_of_dropping_keys_silently() {
        let t = Lang::En.text();
        let mut form = Form::new(vec![Field::new("Name", 3)]);
        for c in "abc".chars() {
            press(&mut form, KeyCode::Char(c));
        }
        assert!(!row(&form, t).contains("At most"), "not full until a key is refused");
        press(&mut form, KeyCode::Char('d'));
        assert_eq!(form.value(0), "abc");
        assert!(row(&form, t).contains("At most 3 characters here"), "{}", row(&form, t));
        press(&mut form, KeyCode::Backspace);
        assert!(!row(&form, t).contains("At most"), "gone once the person edits");
    }

    #[test]
    fn a_choice_field_gives_its_stored_value_and_shows_its_label() {
        let t = Lang::Zh.text();
        let mut form = Form::new(vec![Field::choice("类别", t.reward_kind_choices(), "gift")]);
        assert_eq!(form.value(0), "gift");
        press(&mut form, KeyCode::Right);
        assert_eq!(form.value(0), "voucher");
        let shown: String = row(&form, t).chars().filter(|c| *c != ' ').collect();
        assert!(shown.contains("<代金券>"), "{shown}");
        press(&mut form, KeyCode::Left);
        press(&mut form, KeyCode::Left);
        assert_eq!(form.value(0), "course", "wraps around");
        press(&mut form, KeyCode::Char('x'));
        assert_eq!(form.value(0), "course", "typing does not change a choice");
    }
}
