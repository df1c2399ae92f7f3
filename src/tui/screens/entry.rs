//! The entry part shared by "record hours" and "event batch": activity picker (type to filter
//! by hanzi or pinyin), service date (default today, never in the future), duration, note.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::bank::Bank;
use crate::domain::{ActivityId, Day, MAX_NOTE_CHARS, Minutes, parse_text};
use crate::i18n::{Text, fill};
use crate::search::spellings;
use crate::tui::contract::{Memory, Vx};
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::widgets::{Field, Form, TextInput, pad, put};

/// Activities listed under the picker at once.
const LIST_ROWS: u16 = 5;
/// Rows the whole form takes.
pub const HEIGHT: u16 = 1 + LIST_ROWS + 3;

struct Item {
    id: ActivityId,
    name: String,
    /// Lower-case name, full pinyin and initials: what a filter may match.
    keys: Vec<String>,
}

/// A valid entry, ready for the bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryValues {
    pub activity: ActivityId,
    pub activity_name: String,
    pub day: Day,
    pub minutes: Minutes,
    pub note: String,
}

pub enum EntryKey {
    Nothing,
    Submit(EntryValues),
    Cancel,
}

pub struct EntryForm {
    filter: TextInput,
    items: Vec<Item>,
    /// Indexes into `items` that match the filter.
    shown: Vec<usize>,
    selected: usize,
    fields: Form,
    /// 0 is the picker, 1.. the fields.
    focus: usize,
    picker_error: Option<String>,
}

const DATE: usize = 0;
const DURATION: usize = 1;
const NOTE: usize = 2;

impl EntryForm {
    /// Starts on the duration when the last activity is remembered: the usual case is then
    /// "type hours, Enter, Enter".
    pub fn new(bank: &Bank, memory: &Memory, t: &Text) -> Result<EntryForm, crate::bank::BankError> {
        let items: Vec<Item> = bank
            .offered_activities()?
            .into_iter()
            .map(|(id, a)| {
                let name = a.name.to_string();
                let mut keys = vec![name.to_lowercase()];
                for (full, initials) in spellings(&name) {
                    keys.push(full);
                    keys.push(initials);
                }
                Item { id, name, keys }
            })
            .collect();
        let fields = Form::new(vec![
            Field::new(t.service_date, 10).value(&bank.today().to_string()),
            Field::new(t.duration, 16).hint(t.duration_hint),
            Field::new(t.note, MAX_NOTE_CHARS).hint(t.optional),
        ]);
        let mut form = EntryForm {
            filter: TextInput::new(32),
            shown: (0..items.len()).collect(),
            items,
            selected: 0,
            fields,
            focus: 0,
            picker_error: None,
        };
        if let Some(last) = memory.last_activity
            && let Some(at) = form.items.iter().position(|i| i.id == last)
        {
            form.selected = at;
            form.focus = 1 + DURATION;
            form.fields.focus = DURATION;
        }
        Ok(form)
    }

    fn refilter(&mut self) {
        let f = self.filter.value().trim().to_lowercase();
        self.shown = (0..self.items.len())
            .filter(|&i| f.is_empty() || self.items[i].keys.iter().any(|k| k.contains(&f)))
            .collect();
        self.selected = 0;
        self.picker_error = None;
    }

    fn chosen(&self) -> Option<&Item> {
        self.shown.get(self.selected).map(|&i| &self.items[i])
    }

    fn set_focus(&mut self, focus: usize) {
        if self.focus == 0 && !focus.is_multiple_of(4) {
            self.settle_filter();
        }
        self.focus = focus % 4;
        if self.focus > 0 {
            self.fields.focus = self.focus - 1;
        }
    }

    /// Leaving the picker with an activity chosen drops the filter that found it: coming back
    /// shows the whole list with the choice marked, not a stale search.
    fn settle_filter(&mut self) {
        let Some(&chosen) = self.shown.get(self.selected) else { return };
        if self.filter.value().is_empty() {
            return;
        }
        self.filter.clear();
        self.shown = (0..self.items.len()).collect();
        self.selected = chosen;
    }

    /// Checks every part; marks errors (an empty duration is only focused, not scolded).
    fn validate(&mut self, t: &Text, today: Day) -> Result<EntryValues, usize> {
        let chosen = self.chosen().map(|i| (i.id, i.name.clone()));
        self.picker_error = chosen.is_none().then(|| t.no_activity.to_string());
        let day = match Day::parse(self.fields.value(DATE)) {
            Ok(d) if d > today => Err(fill(t.err_future_date, &[&d])),
            Ok(d) => Ok(d),
            Err(e) => Err(t.domain_error(&e)),
        };
        let duration_text = self.fields.value(DURATION).trim().to_string();
        let minutes = Minutes::parse(&duration_text).map_err(|e| t.domain_error(&e));
        let note = parse_text(self.fields.value(NOTE), MAX_NOTE_CHARS).map_err(|e| t.domain_error(&e));
        self.fields.set_error(DATE, day.as_ref().err().cloned());
        self.fields.set_error(
            DURATION,
            if duration_text.is_empty() { None } else { minutes.as_ref().err().cloned() },
        );
        self.fields.set_error(NOTE, note.as_ref().err().cloned());
        match (chosen, day, minutes, note) {
            (Some((activity, activity_name)), Ok(day), Ok(minutes), Ok(note)) => {
                Ok(EntryValues { activity, activity_name, day, minutes, note })
            }
            (None, ..) => Err(0),
            (_, Err(_), ..) => Err(1 + DATE),
            (_, _, Err(_), _) => Err(1 + DURATION),
            _ => Err(1 + NOTE),
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, t: &Text, today: Day) -> EntryKey {
        match keymap::action(Scope::Form, key) {
            // Esc first empties a typed filter; only an empty picker leaves the form.
            Some(Action::Back) if self.focus == 0 && !self.filter.value().is_empty() => {
                self.filter.clear();
                self.refilter();
            }
            Some(Action::Back) => return EntryKey::Cancel,
            Some(Action::NextField) => self.set_focus(self.focus + 1),
            Some(Action::PrevField) => self.set_focus(self.focus + 3),
            Some(Action::Up) if self.focus == 0 => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) if self.focus == 0 => {
                self.selected = (self.selected + 1).min(self.shown.len().saturating_sub(1));
            }
            Some(Action::Up) => self.set_focus(self.focus + 3),
            Some(Action::Down) => self.set_focus(self.focus + 1),
            Some(Action::Submit) => match self.validate(t, today) {
                Ok(values) => {
                    self.settle_filter();
                    return EntryKey::Submit(values);
                }
                Err(first_bad) => self.set_focus(first_bad),
            },
            _ if self.focus == 0 => {
                if self.filter.handle(key) {
                    self.refilter();
                }
            }
            _ => {
                self.fields.edit(key);
            }
        }
        EntryKey::Nothing
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx, active: bool) {
        let t = vx.t;
        let theme = vx.theme;
        let label_cols = [t.activity, t.service_date, t.duration, t.note]
            .iter()
            .map(|l| crate::tui::widgets::width(l))
            .max()
            .unwrap_or(0)
            + 2;
        let picking = active && self.focus == 0;
        put(
            buf,
            area,
            area.x,
            area.y,
            &pad(t.activity, label_cols),
            if picking { theme.accent } else { theme.text },
        );
        let x = area.x + label_cols as u16;
        let input = Rect { x, y: area.y, width: 28.min(area.right().saturating_sub(x)), height: 1 };
        if picking {
            self.filter.render(input, buf, theme.row(true), true, false);
            let msg = self.picker_error.as_deref().unwrap_or(t.activity_filter_hint);
            put(
                buf,
                area,
                x + 29,
                area.y,
                msg,
                if self.picker_error.is_some() { theme.danger } else { theme.muted },
            );
        } else {
            let name = self.chosen().map_or("", |i| i.name.as_str());
            put(buf, area, x, area.y, name, theme.balance);
        }
        let top = self.selected.saturating_sub(usize::from(LIST_ROWS) - 1);
        for (row, &i) in self.shown.iter().enumerate().skip(top).take(usize::from(LIST_ROWS)) {
            let y = area.y + 1 + (row - top) as u16;
            let style = if row == self.selected {
                if picking { theme.selection } else { theme.accent }
            } else {
                theme.muted
            };
            put(buf, area, x, y, &pad(&self.items[i].name, 28), style);
        }
        let fields = Rect { y: area.y + 1 + LIST_ROWS, height: 3, ..area };
        self.fields.render(fields, buf, theme, vx.t, active && self.focus > 0);
    }
}
