//! Keys of the screens anyone at the counter can reach without a staff session: the first-run
//! setup, the lock screen, both logins and a volunteer's kiosk page. Kept apart from the staff
//! screens so what the public can do is in one place: nothing here opens a staff screen except
//! a successful staff login.

use std::sync::Arc;

use crossterm::event::KeyEvent;

use super::{App, Effect, Status};
use crate::tui::screens::{self, Screen};

impl App {
    pub(super) fn on_public_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let t = self.text();
        match &mut self.screen {
            Screen::Setup(setup) => match setup.on_key(key, &self.store_dir, t, &self.clock) {
                Some(Ok((bank, staff))) => {
                    self.counter_name = super::counter_name_of(&bank);
                    self.bank = Some(Arc::new(bank));
                    self.begin_session(staff, None);
                    self.open_first_day();
                    return vec![Effect::BuildIndex];
                }
                Some(Err(message)) => self.status = Status::Error(message),
                None => {}
            },
            Screen::Lock(lock) => match lock.on_key(key) {
                screens::lock::LockOutcome::Stay => {}
                screens::lock::LockOutcome::SelfService(card) => {
                    self.show(Screen::KioskLogin(screens::kiosk_login::KioskLogin::new(card)));
                }
                screens::lock::LockOutcome::StaffLogin(card) => {
                    self.show(Screen::Login(screens::login::Login::new(card)));
                }
            },
            Screen::KioskLogin(login) => {
                let Some(bank) = self.bank.clone() else { return Vec::new() };
                match login.on_key(key, &bank, t) {
                    screens::kiosk_login::Outcome::Stay => {}
                    screens::kiosk_login::Outcome::Cancel => self.lock(),
                    screens::kiosk_login::Outcome::StaffLogin(card) => {
                        self.show(Screen::Login(screens::login::Login::new(Some(card))));
                    }
                    screens::kiosk_login::Outcome::LoggedIn(view) => {
                        match screens::kiosk::Kiosk::open(&bank, *view) {
                            Ok(page) => self.show(Screen::Kiosk(page)),
                            Err(e) => {
                                self.lock();
                                self.status = Status::Error(t.bank_error(&e));
                            }
                        }
                    }
                }
            }
            Screen::Kiosk(page) => match self.bank.clone() {
                None => self.lock(),
                Some(bank) => {
                    let url = self.config.sync.background_url();
                    let city = screens::kiosk::KioskCity {
                        reach: super::sync::city_of(&self.sync),
                        url: url.as_deref(),
                    };
                    let outcome = page.on_key(key, &bank, t, &self.config.shift_rules(), city);
                    if !page.is_asking() {
                        self.waiting = None;
                    }
                    match outcome {
                        screens::kiosk::Outcome::Stay => {}
                        screens::kiosk::Outcome::Leave => self.lock(),
                        screens::kiosk::Outcome::CityCommit(work) => {
                            // The volunteer acts on their own card; the city is asked off the
                            // UI thread, as for staff (`Step::CityCommit`).
                            let Some(url) = url else { return Vec::new() };
                            self.tickets += 1;
                            let ticket = self.tickets;
                            self.waiting = Some(ticket);
                            let actor = crate::domain::Actor::SelfService;
                            return vec![Effect::CityCommit { ticket, url, actor, work }];
                        }
                    }
                }
            },
            Screen::Login(login) => {
                let Some(bank) = self.bank.clone() else { return Vec::new() };
                match login.on_key(key, &bank, t) {
                    screens::login::Outcome::Stay => {}
                    screens::login::Outcome::Cancel => self.lock(),
                    screens::login::Outcome::LoggedIn(staff, card) => self.begin_session(staff, card),
                }
            }
            _ => {}
        }
        Vec::new()
    }
}
