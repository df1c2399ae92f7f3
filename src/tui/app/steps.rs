//! Carrying out what screens ask for after a key or a city commit's answer: navigation, the
//! effects that leave the UI thread (city commits and questions, printing), and new counter
//! settings written, journalled and applied.

use std::sync::Arc;

use super::{App, Effect, Screen, Status, Step, router, screens, sync};
use crate::bank::Bank;
use crate::domain::Actor;
use crate::i18n::Lang;
use crate::tui::config::Config;
use crate::tui::contract::Cx;
use crate::tui::theme::Theme;

impl App {
    /// A commit the city was asked about ended: the screen that waits for it goes on from the
    /// result; left meanwhile, the status line says what happened.
    pub(super) fn city_committed(
        &mut self,
        ticket: u64,
        result: Result<crate::bank::Committed, String>,
    ) -> Vec<Effect> {
        let waited = self.waiting == Some(ticket) && self.screen.is_asking();
        if self.waiting == Some(ticket) {
            self.waiting = None;
        }
        if let (true, Some(bank), Screen::Kiosk(kiosk)) = (waited, self.bank.clone(), &mut self.screen) {
            kiosk.finish_donation(result, &bank, self.lang.text());
            return Vec::new();
        }
        if let (true, Some(bank), Some(session)) = (waited, self.bank.clone(), self.session.as_ref()) {
            let mut cx = staff_cx!(self, &bank, session);
            let step = self.screen.city_committed(result, &mut cx);
            return self.take_step(step, &bank);
        }
        self.status = match result {
            Ok(done) => Status::Saved(done.events.last().map_or(0, |e| e.seq())),
            Err(e) => Status::Error(e),
        };
        Vec::new()
    }

    /// Carries out what a screen asked for after a key (or a city commit's result).
    pub(super) fn take_step(&mut self, step: Step, bank: &Arc<Bank>) -> Vec<Effect> {
        let Some(session) = self.session.as_ref() else { return Vec::new() };
        match step {
            Step::Stay => Vec::new(),
            Step::Push(_) | Step::Back | Step::Replace(_) | Step::Home => {
                let mut cx = staff_cx!(self, bank, session);
                router::navigate(step, &mut self.screen, &mut self.below, &mut cx);
                // Screens that open asking the city: the conflicts list, a city certificate.
                match &self.screen {
                    Screen::Conflicts(c) if c.waits_for_list() => self.take_step(Step::AskConflicts, bank),
                    Screen::Certificate(page) => match page.city_request().cloned() {
                        Some((card, from, to)) => self.take_step(Step::AskCertificate(card, from, to), bank),
                        None => Vec::new(),
                    },
                    // A person's page asks what their card's points pool holds (online).
                    Screen::Volunteer(page) if sync::city_of(&self.sync) == crate::city::Reach::Online => {
                        match page.points_pool_wanted() {
                            Some(card) => self.take_step(Step::AskPointsPool(card), bank),
                            None => Vec::new(),
                        }
                    }
                    _ => Vec::new(),
                }
            }
            Step::AskCertificate(card, from, to) => match self.config.sync.city_url() {
                Some(url) => vec![Effect::AskCertificate { url, card, from, to }],
                None => Vec::new(),
            },
            Step::AskConflicts => match self.config.sync.city_url() {
                Some(url) => vec![Effect::AskConflicts { url }],
                None => Vec::new(),
            },
            Step::CityCommit(work) => {
                self.tickets += 1;
                let ticket = self.tickets;
                self.waiting = Some(ticket);
                match self.config.sync.background_url() {
                    Some(url) => vec![Effect::CityCommit { ticket, url, actor: session.actor.clone(), work }],
                    // No city any more (the settings changed meanwhile): this counter's own.
                    None => {
                        let link = crate::city::CityLink::None;
                        let result =
                            screens::confirm::run(bank, link, &session.actor, self.lang.text(), &work);
                        self.city_committed(ticket, result)
                    }
                }
            }
            Step::CityRedeemPoints(redemption) => {
                self.tickets += 1;
                let ticket = self.tickets;
                self.waiting = Some(ticket);
                match self.config.sync.background_url() {
                    Some(url) => {
                        vec![Effect::CityRedeemPoints {
                            ticket,
                            url,
                            actor: session.actor.clone(),
                            redemption,
                        }]
                    }
                    None => {
                        let result = screens::exchange::redeem(
                            bank,
                            crate::city::CityLink::None,
                            &session.actor,
                            self.lang.text(),
                            &redemption,
                        );
                        self.city_committed(ticket, result)
                    }
                }
            }
            Step::AskPointsPool(card) => match self.config.sync.city_url() {
                Some(url) => vec![Effect::AskPointsPool { url, card }],
                None => Vec::new(),
            },
            Step::AskCity(card) => match self.config.sync.city_url() {
                Some(url) => vec![Effect::AskCity { url, card, staff: session.staff.id.clone() }],
                // The page opened the record as offline already: nothing to ask.
                None => Vec::new(),
            },
            Step::Print(text) => match &self.config.receipt_command {
                Some(command) => vec![Effect::Print { command: command.clone(), text }],
                None => {
                    self.status = Status::Info(self.lang.text().receipt_no_printer.into());
                    Vec::new()
                }
            },
            Step::Configure(config, rename) => {
                let actor = session.actor.clone();
                if let Some(name) = rename {
                    match bank.rename_counter(&actor, &name) {
                        Ok(seq) => {
                            self.counter_name = name.to_string();
                            self.status = Status::Saved(seq);
                        }
                        Err(e) => {
                            self.status = Status::Error(self.lang.text().bank_error(&e));
                            return Vec::new();
                        }
                    }
                }
                if *config != self.config {
                    self.configure(bank, &actor, *config);
                }
                Vec::new()
            }
        }
    }

    /// Writes new counter settings, journals who changed what, then applies them. The file is
    /// written first and put back if the journal entry cannot be saved, so the journal never
    /// misses a change that took effect.
    fn configure(&mut self, bank: &Bank, actor: &Actor, new: Config) {
        let t = self.lang.text();
        let changes = Config::changes(&self.config, &new);
        if changes.is_empty() {
            self.status = Status::Info(t.admin_nothing_changed.into());
            return;
        }
        let Some(path) = self.config_path.clone() else {
            self.status = Status::Error(t.admin_no_config_file.into());
            return;
        };
        let old_text = std::fs::read_to_string(&path).ok();
        if let Err(e) = new.save(&path) {
            self.status = Status::Error(format!("{}: {e}", path.display()));
            return;
        }
        match bank.note_counter_config(actor, &changes) {
            Ok(seq) => {
                if let Some(lang) = new.lang.as_deref().and_then(Lang::parse) {
                    self.lang = lang;
                }
                if let Some(name) = &new.theme {
                    let themes = crate::tui::config::config_dir().map(|d| d.join("themes"));
                    self.theme = Theme::load(name, themes.as_deref()).0;
                }
                self.config = new;
                self.status = Status::Saved(seq);
            }
            Err(e) => {
                let restored = match old_text {
                    Some(text) => std::fs::write(&path, text),
                    None => std::fs::remove_file(&path),
                };
                let _ = restored;
                self.status = Status::Error(self.lang.text().bank_error(&e));
            }
        }
    }
}
