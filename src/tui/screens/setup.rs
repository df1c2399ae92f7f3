//! First-run setup: the store does not exist yet. Name the counter, its city code if it has
//! one (optional: it can be set later, once), and its first admin (PIN twice); the bank
//! creates the store and the admin is logged in.

use std::path::Path;

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::bank::{Bank, Clock, NewStaff, cli_actor};
use crate::domain::{CounterCode, Name, Role, Staff, StaffId, check_staff_pin};
use crate::i18n::Text;
use crate::tui::contract::Vx;
use crate::tui::keymap::{self, Scope};
use crate::tui::widgets::{Field, Form, FormKey, popup, put, wrap};

const COUNTER: usize = 0;
const CODE: usize = 1;
const ADMIN_ID: usize = 2;
const ADMIN_NAME: usize = 3;
const PIN: usize = 4;
const PIN_AGAIN: usize = 5;

pub struct Setup {
    form: Form,
}

impl Default for Setup {
    fn default() -> Self {
        let form = Form::new(vec![
            Field::new("", 64),
            Field::new("", 16),
            Field::new("", 32),
            Field::new("", 64),
            Field::new("", 12).masked(),
            Field::new("", 12).masked(),
        ]);
        Setup { form }
    }
}

impl Setup {
    /// `Some` when the store was created (or creating it failed).
    pub fn on_key(
        &mut self,
        key: KeyEvent,
        dir: &Path,
        t: &Text,
        clock: &Clock,
    ) -> Option<Result<(Bank, Staff), String>> {
        // There is nothing to go back to before the first staff member exists: Esc does nothing.
        match self.form.on_key(keymap::action(Scope::Setup, key), key) {
            // Enter moves on only from a field that is right: an empty counter name is said at
            // once, not after the whole form.
            FormKey::Submit if self.form.focus + 1 < self.form.fields.len() => {
                let focus = self.form.focus;
                let error = self.field_error(focus, t);
                let ok = error.is_none();
                self.form.set_error(focus, error);
                if ok {
                    self.form.next();
                }
            }
            FormKey::Submit => return self.submit(dir, t, clock),
            FormKey::Back | FormKey::Handled => {}
        }
        None
    }

    /// What is wrong with one of the fields that stand alone (the PIN check needs both).
    fn field_error(&self, field: usize, t: &Text) -> Option<String> {
        let value = self.form.value(field);
        match field {
            COUNTER | ADMIN_NAME => Name::parse(value).err().map(|e| t.domain_error(&e)),
            ADMIN_ID => StaffId::parse(value).err().map(|e| t.domain_error(&e)),
            CODE => code(value).err().map(|e| t.domain_error(&e)),
            PIN => check_staff_pin(value).is_err().then(|| t.err_pin.to_string()),
            _ => None,
        }
    }

    fn submit(&mut self, dir: &Path, t: &Text, clock: &Clock) -> Option<Result<(Bank, Staff), String>> {
        let counter = Name::parse(self.form.value(COUNTER));
        let code = code(self.form.value(CODE));
        let id = StaffId::parse(self.form.value(ADMIN_ID));
        let name = Name::parse(self.form.value(ADMIN_NAME));
        let pin = self.form.value(PIN).to_string();
        let pin_ok = check_staff_pin(&pin).is_ok();
        self.form.set_error(COUNTER, counter.as_ref().err().map(|e| t.domain_error(e)));
        self.form.set_error(CODE, code.as_ref().err().map(|e| t.domain_error(e)));
        self.form.set_error(ADMIN_ID, id.as_ref().err().map(|e| t.domain_error(e)));
        self.form.set_error(ADMIN_NAME, name.as_ref().err().map(|e| t.domain_error(e)));
        self.form.set_error(PIN, (!pin_ok).then(|| t.err_pin.to_string()));
        let same = pin == self.form.value(PIN_AGAIN);
        self.form.set_error(PIN_AGAIN, (pin_ok && !same).then(|| t.setup_pins_differ.to_string()));
        let (Ok(counter), Ok(code), Ok(id), Ok(name), true, true) = (counter, code, id, name, pin_ok, same)
        else {
            self.form.focus_first_error();
            return None;
        };
        let admin = NewStaff { id: id.clone(), name, role: Role::Admin, pin: pin.clone() };
        // The store is created by whoever runs the program, as with `hourbank init`.
        let created = Bank::init_coded(dir, &counter, code.as_ref(), admin, &cli_actor())
            .map_err(|e| t.bank_error(&e))
            .and_then(|bank| {
                let bank = bank.with_clock(clock.clone());
                let staff = bank.login(id.as_str(), &pin).map_err(|e| e.to_string())?;
                Ok((bank, staff))
            });
        Some(created)
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let t = vx.t;
        let mut form = self.form.clone();
        for (i, label) in [
            t.setup_counter,
            t.setup_code,
            t.setup_admin_id,
            t.setup_admin_name,
            t.setup_pin,
            t.setup_pin_again,
        ]
        .into_iter()
        .enumerate()
        {
            form.fields[i].label = label;
        }
        let inner = popup(buf, crate::tui::widgets::centered(area, 78, 15), t.setup_title, vx.theme);
        let mut y = inner.y + 1;
        for line in wrap(t.setup_intro, usize::from(inner.width.saturating_sub(2))) {
            put(buf, inner, inner.x + 1, y, &line, vx.theme.muted);
            y += 1;
        }
        y += 1;
        form.render(
            Rect { x: inner.x + 1, y, width: inner.width.saturating_sub(2), height: 6 },
            buf,
            vx.theme,
            vx.t,
            true,
        );
    }
}

/// The city code typed, if any: blank is none (it can be set later, once, from Admin).
fn code(text: &str) -> Result<Option<CounterCode>, crate::domain::DomainError> {
    let text = text.trim();
    if text.is_empty() { Ok(None) } else { CounterCode::parse(text).map(Some) }
}
