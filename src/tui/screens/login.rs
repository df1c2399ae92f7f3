//! Staff login: id and masked PIN. Wrong PINs are counted by the bank (five lock the id for
//! fifteen minutes, across restarts); the screen only says what happened.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::bank::Bank;
use crate::domain::{Staff, StaffId};
use crate::i18n::{Text, fill};
use crate::tui::contract::Vx;
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::widgets::{Field, Form, popup, put};

pub struct Login {
    form: Form,
    /// A card scanned at the lock screen, opened after login.
    pending_card: Option<String>,
    error: Option<String>,
}

pub enum Outcome {
    Stay,
    Cancel,
    LoggedIn(Staff, Option<String>),
}

const ID: usize = 0;
const PIN: usize = 1;

impl Login {
    pub fn new(pending_card: Option<String>) -> Login {
        // Labels are filled in at render time from the language; the form keeps placeholders.
        let form = Form::new(vec![Field::new("", 32), Field::new("", 12).masked()]);
        Login { form, pending_card, error: None }
    }

    pub fn on_key(&mut self, key: KeyEvent, bank: &Bank, t: &Text) -> Outcome {
        match keymap::action(Scope::Login, key) {
            Some(Action::Back) => return Outcome::Cancel,
            Some(Action::NextField | Action::PrevField) => self.form.next(),
            Some(Action::Submit) if self.form.focus == ID => {
                if StaffId::parse(self.form.value(ID)).is_ok() {
                    self.form.focus = PIN;
                }
            }
            Some(Action::Submit) => {
                let result = bank.login(self.form.value(ID), self.form.value(PIN));
                self.form.fields[PIN].input.wipe();
                self.form.focus = PIN;
                match result {
                    Ok(staff) => return Outcome::LoggedIn(staff, self.pending_card.take()),
                    Err(e) => {
                        let local = |at: crate::domain::Timestamp| {
                            at.datetime().with_timezone(&chrono::Local).format("%H:%M").to_string()
                        };
                        self.error = Some(t.login_error(&e, local));
                    }
                }
            }
            _ => {
                if self.form.edit(key) {
                    self.error = None;
                }
            }
        }
        Outcome::Stay
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let t = vx.t;
        let theme = vx.theme;
        let mut form = self.form.clone();
        form.fields[ID].label = t.login_id;
        form.fields[PIN].label = t.login_pin;
        let inner = popup(buf, crate::tui::widgets::centered(area, 60, 9), t.login_title, theme);
        let mut y = inner.y + 1;
        // The screen faces the public until someone logs in: the card is masked, as every
        // public screen masks it.
        if let Some(card) = &self.pending_card {
            let card = crate::domain::privacy::mask_card(card);
            put(buf, inner, inner.x + 1, y, &fill(t.login_then_open, &[&card]), theme.accent);
        }
        y += 1;
        form.render(
            Rect { x: inner.x + 1, y, width: inner.width.saturating_sub(2), height: 2 },
            buf,
            theme,
            vx.t,
            true,
        );
        if let Some(e) = &self.error {
            put(buf, inner, inner.x + 1, y + 3, e, theme.danger);
        }
    }
}

impl Drop for Login {
    /// A lock, a login or a cancel drops the screen: the PIN's bytes go with it.
    fn drop(&mut self) {
        self.form.fields[PIN].input.wipe();
    }
}
