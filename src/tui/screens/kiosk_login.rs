//! A volunteer's self-service login at the kiosk: the card scanned or typed at the lock screen,
//! then a 4–6 digit PIN. An unknown card, a card without a PIN and a wrong PIN get one message
//! (which also says how to get a PIN), after the same Argon2 delay, so the kiosk never tells a
//! stranger which cards exist. Five wrong PINs lock the card for 15 minutes.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::bank::{Bank, LoginError, VolunteerView};
use crate::domain::privacy::mask_card;
use crate::i18n::{Text, fill};
use crate::tui::contract::Vx;
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::widgets::{TextInput, centered, pad, popup, put};

pub struct KioskLogin {
    card: String,
    pin: TextInput,
    error: Option<String>,
}

pub enum Outcome {
    Stay,
    Cancel,
    /// Staff asked to log in instead (F2), to open this card afterwards.
    StaffLogin(String),
    LoggedIn(Box<VolunteerView>),
}

impl KioskLogin {
    pub fn new(card: String) -> KioskLogin {
        KioskLogin { card, pin: TextInput::new(6), error: None }
    }

    pub fn on_key(&mut self, key: KeyEvent, bank: &Bank, t: &Text) -> Outcome {
        match keymap::action(Scope::KioskLogin, key) {
            Some(Action::Back) => Outcome::Cancel,
            Some(Action::Login) => Outcome::StaffLogin(std::mem::take(&mut self.card)),
            Some(Action::Submit) => {
                let result = bank.volunteer_login(&self.card, self.pin.value());
                self.pin.wipe();
                match result {
                    Ok(view) => Outcome::LoggedIn(Box::new(view)),
                    Err(e) => {
                        self.error = Some(kiosk_error(t, &e));
                        Outcome::Stay
                    }
                }
            }
            _ => {
                // Digits only: a PIN has nothing else, and letters must not reach anything.
                if crate::tui::widgets::is_non_digit(&key) {
                    return Outcome::Stay;
                }
                if self.pin.handle(key) {
                    self.error = None;
                }
                Outcome::Stay
            }
        }
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let t = vx.t;
        let theme = vx.theme;
        let inner = popup(buf, centered(area, 64, 10), t.kiosk_login_title, theme);
        let x = inner.x + 1;
        put(buf, inner, x, inner.y + 1, &pad(t.kiosk_card, 8), theme.muted);
        put(buf, inner, x + 8, inner.y + 1, &mask_card(&self.card), theme.text);
        put(buf, inner, x, inner.y + 3, &pad(t.kiosk_pin, 8), theme.accent);
        let input = Rect { x: x + 8, y: inner.y + 3, width: 12, height: 1 };
        self.pin.render(input, buf, theme.row(true), true, true);
        match &self.error {
            Some(e) => {
                for (i, line) in crate::tui::widgets::wrap(e, usize::from(inner.width.saturating_sub(2)))
                    .iter()
                    .take(3)
                    .enumerate()
                {
                    put(buf, inner, x, inner.y + 5 + i as u16, line, theme.danger);
                }
            }
            None => {
                put(buf, inner, x, inner.y + 5, t.kiosk_pin_hint, theme.muted);
            }
        }
    }
}

impl Drop for KioskLogin {
    fn drop(&mut self) {
        self.pin.wipe();
    }
}

/// What a volunteer is told: one message for every refusal but a lock.
pub(super) fn kiosk_error(t: &Text, e: &LoginError) -> String {
    match e {
        LoginError::Locked { until } => fill(
            t.kiosk_locked,
            &[&until.datetime().with_timezone(&chrono::Local).format("%H:%M").to_string()],
        ),
        LoginError::Store(s) => t.store_error(s),
        LoginError::Wrong { .. } | LoginError::NoPin | LoginError::Disabled(_) => t.kiosk_wrong.into(),
    }
}
