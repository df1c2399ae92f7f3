//! A volunteer changes their own self-service PIN at the kiosk (`p`): the current PIN, then the
//! new one twice, all masked. The current PIN is checked as a login checks it — a wrong one
//! counts toward the card's lock — so a person who finds the kiosk left open cannot change it.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::bank::{Bank, LoginError, PinChangeError};
use crate::domain::CardNo;
use crate::i18n::Text;
use crate::tui::contract::Vx;
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::widgets::{Field, Form, centered, popup, put, wrap};

pub struct KioskPin {
    form: Form,
    error: Option<String>,
}

pub enum PinOutcome {
    Stay,
    /// Left with Esc: nothing changed.
    Cancel,
    /// Changed and saved: the entry's number.
    Changed(u64),
}

impl Default for KioskPin {
    fn default() -> KioskPin {
        let field = || Field::new("", 6).masked();
        KioskPin { form: Form::new(vec![field(), field(), field()]), error: None }
    }
}

impl Drop for KioskPin {
    fn drop(&mut self) {
        self.form.wipe();
    }
}

impl KioskPin {
    pub fn on_key(&mut self, key: KeyEvent, bank: &Bank, card: &CardNo, t: &Text) -> PinOutcome {
        match keymap::action(Scope::Form, key) {
            Some(Action::Back) => return PinOutcome::Cancel,
            Some(Action::NextField) => self.form.next(),
            Some(Action::PrevField) => self.form.prev(),
            Some(Action::Submit) if self.form.focus < 2 => self.form.next(),
            Some(Action::Submit) => {
                if self.form.value(1) != self.form.value(2) {
                    self.error = Some(t.pin_mismatch.into());
                    return PinOutcome::Stay;
                }
                let result = bank.change_own_pin(card, self.form.value(0), self.form.value(1));
                self.form.wipe();
                self.form.focus = 0;
                match result {
                    Ok(event) => return PinOutcome::Changed(event.seq()),
                    Err(PinChangeError::Login(e @ (LoginError::Locked { .. } | LoginError::Store(_)))) => {
                        self.error = Some(super::kiosk_login::kiosk_error(t, &e));
                    }
                    Err(PinChangeError::Login(_)) => self.error = Some(t.kiosk_pin_current_wrong.into()),
                    Err(PinChangeError::Bank(e)) => self.error = Some(t.bank_error(&e)),
                }
            }
            _ => {
                // Digits only, as at the kiosk's login.
                if crate::tui::widgets::is_non_digit(&key) {
                    return PinOutcome::Stay;
                }
                if self.form.edit(key) {
                    self.error = None;
                }
            }
        }
        PinOutcome::Stay
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let t = vx.t;
        let theme = vx.theme;
        let inner = popup(buf, centered(area, 64, 10), t.kiosk_pin_title, theme);
        let mut form = self.form.clone();
        form.fields[0].label = t.kiosk_pin_current;
        form.fields[1].label = t.pin_new;
        form.fields[2].label = t.pin_again;
        let fields = Rect { x: inner.x + 1, y: inner.y + 1, width: inner.width.saturating_sub(2), height: 3 };
        form.render(fields, buf, theme, t, true);
        let (text, style) = match &self.error {
            Some(e) => (e.as_str(), theme.danger),
            None => (t.pin_hint, theme.muted),
        };
        for (i, line) in wrap(text, usize::from(inner.width.saturating_sub(2))).iter().take(3).enumerate() {
            put(buf, inner, inner.x + 1, inner.y + 5 + i as u16, line, style);
        }
    }
}
