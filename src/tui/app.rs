//! The counter's state, messages, `update` and `view` (the Elm shape). `update` is the only
//! place state changes; bank calls run here (they are fast and flushed before they return).
//! Slow work (the search index, printing, anything that may wait on the city service) is
//! handed out as an [`Effect`] and its result comes back as a [`Msg`]. `view` only reads.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Local, Utc};
use crossterm::event::{KeyEvent, KeyEventKind};

use super::config::Config;
use super::i18n::{Lang, Text, fill};
use super::keymap::{self, Action, Scope};
use super::screens::{self, Screen};
use super::theme::Theme;
use super::widgets::{self, put};
use crate::bank::{Bank, Clock, staff_actor};
use crate::control::ControlEvent;
use crate::domain::{Actor, Staff, Timestamp};
use crate::search::SearchIndex;

mod public;
mod router;
pub(crate) mod sync;
mod view;
pub use super::contract::{Cx, Memory, Route, Session, Status, Step, Vx};
pub use crate::city::Reach;
pub use sync::SyncView;

pub enum Msg {
    Key(KeyEvent),
    /// Once a second or so: the clock and the idle lock.
    Tick,
    /// Boxed: the index is large and every key passes through the same channel.
    IndexReady(Result<Box<SearchIndex>, String>),
    Printed(Result<(), String>),
    /// A control-socket request started or finished (a scripted backup, say).
    Control(ControlEvent),
    /// The control socket could not be opened.
    ControlUnavailable(String),
    /// The terminal's size, at start and on every resize.
    Resize(u16, u16),
    /// A round of the background sync ended.
    Synced(crate::city::SyncStatus),
    /// The city service's answer about a card (`Effect::AskCity`).
    CityRecord(crate::domain::CardNo, Result<crate::city::wire::VolunteerDetails, String>),
    /// The points a card's city pool holds (`Effect::AskPointsPool`).
    PointsPool(crate::domain::CardNo, Result<u64, String>),
    /// The certificate the city service issued (`Effect::AskCertificate`), or why not, in words.
    CityCertificate(Result<crate::city::wire::CityCertificate, String>),
    /// The city service's cards in conflict (`Effect::AskConflicts`), or why not, in words.
    Conflicts(Result<Vec<crate::city::wire::Conflict>, String>),
    /// Commit number `ticket` (`Effect::CityCommit`) is done, or refused in words.
    CityCommitted(u64, Result<crate::bank::Committed, String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Quit,
    /// Build the search index from the bank off the UI thread; answer with `Msg::IndexReady`.
    BuildIndex,
    /// Pipe `text` to `command` (a shell command line); answer with `Msg::Printed`.
    Print {
        command: String,
        text: String,
    },
    /// Ask the city service for its record of `card`, for staff `staff` (the service records
    /// who asked); answer with `Msg::CityRecord`.
    /// Ask the city service at `url` for `card`'s points pool; answer with `Msg::PointsPool`.
    AskPointsPool {
        url: String,
        card: crate::domain::CardNo,
    },
    AskCity {
        url: String,
        card: crate::domain::CardNo,
        staff: crate::domain::StaffId,
    },
    /// Ask the city service at `url` to issue `card`'s certificate for `from..=to`; answer with
    /// `Msg::CityCertificate`.
    AskCertificate {
        url: String,
        card: crate::domain::CardNo,
        from: crate::domain::Day,
        to: crate::domain::Day,
    },
    /// Ask the city service at `url` for its cards in conflict; answer with `Msg::Conflicts`.
    AskConflicts {
        url: String,
    },
    /// Commit `work` by `actor` with the city service at `url` (it may wait on the network);
    /// answer with `Msg::CityCommitted(ticket, …)`.
    CityCommit {
        ticket: u64,
        url: String,
        actor: Actor,
        work: crate::bank::Op,
    },
    /// Redeem for points by `actor` with the city service at `url`; answer with
    /// `Msg::CityCommitted(ticket, …)`.
    CityRedeemPoints {
        ticket: u64,
        url: String,
        actor: Actor,
        redemption: crate::bank::Redemption,
    },
}

pub struct Options {
    pub lang: Lang,
    pub theme: Theme,
    pub config: Config,
    /// The staff id and PIN of a demo store, shown on the lock screen.
    pub demo_login: Option<(String, String)>,
    /// A message for the status line at start (e.g. a broken theme file).
    pub notice: Option<String>,
    /// The settings file the admin screen writes; `None` when there is none (then the counter's
    /// settings cannot be changed from the screen).
    pub config_path: Option<PathBuf>,
}

pub(super) fn counter_name_of(bank: &Bank) -> String {
    bank.counter_name().unwrap_or_else(|_| bank.counter().to_string())
}

/// When the last good backup was written; unknown (shown as none) if it cannot be read.
fn last_backup_at(bank: &Bank) -> Option<Timestamp> {
    bank.last_backup().ok().flatten().map(|l| l.at)
}

/// A staff member's context for a screen: the bank, the session and the app's shared state,
/// borrowed field by field so the screen itself can be borrowed beside it.
macro_rules! staff_cx {
    ($app:ident, $bank:expr, $session:expr) => {
        Cx {
            bank: $bank,
            session: $session,
            t: $app.lang.text(),
            index: &mut $app.index,
            memory: &mut $app.memory,
            status: &mut $app.status,
            config: &$app.config,
            city: sync::city_of(&$app.sync),
        }
    };
}

// After the macro: the steps use it.
mod steps;

pub struct App {
    /// Below 80×24 the counter shows only a note, and takes no keys.
    too_small: bool,
    bank: Option<Arc<Bank>>,
    store_dir: PathBuf,
    clock: Clock,
    pub lang: Lang,
    theme: Theme,
    config: Config,
    config_path: Option<PathBuf>,
    demo_login: Option<(String, String)>,
    session: Option<Session>,
    /// The screen in front, and the ones it was opened over (the navigation stack: `Esc` on
    /// a form returns to the page below it).
    screen: Screen,
    below: Vec<Screen>,
    help: bool,
    status: Status,
    last_key: DateTime<Utc>,
    index: Option<SearchIndex>,
    memory: Memory,
    /// Each staff member's memory while they are logged out (a lock, the idle lock, another
    /// login): their activity is there again at their next login, so the usual case stays four
    /// keys. Only ids of the catalog — nothing about volunteers — and only in this process.
    memories: std::collections::HashMap<crate::domain::StaffId, Memory>,
    quitting: bool,
    /// Control-socket backups running now.
    backups_running: u32,
    last_backup: Option<Timestamp>,
    /// The background sync's last word, once it runs.
    sync: Option<SyncView>,
    /// The counter's name for the header, read when the bank opens and after a rename (never
    /// while drawing).
    counter_name: String,
    /// The last `Effect::CityCommit`'s number, and the one the screen waits for (none once
    /// it was left: the status line then says how it went).
    tickets: u64,
    waiting: Option<u64>,
}

impl App {
    /// A counter over `bank`, or the first-run setup when there is none yet.
    pub fn new(bank: Option<Bank>, store_dir: PathBuf, clock: Clock, options: Options) -> App {
        let screen =
            if bank.is_some() { Screen::Lock(Default::default()) } else { Screen::Setup(Default::default()) };
        let now = clock();
        let last_backup = bank.as_ref().and_then(last_backup_at);
        let counter_name = bank.as_ref().map(counter_name_of).unwrap_or_default();
        App {
            too_small: false,
            bank: bank.map(Arc::new),
            store_dir,
            clock,
            lang: options.lang,
            theme: options.theme,
            config: options.config,
            config_path: options.config_path,
            demo_login: options.demo_login,
            session: None,
            screen,
            below: Vec::new(),
            help: false,
            status: options.notice.map_or(Status::Ready, Status::Error),
            last_key: now,
            index: None,
            memory: Memory::default(),
            memories: Default::default(),
            quitting: false,
            backups_running: 0,
            sync: None,
            last_backup,
            counter_name,
            tickets: 0,
            waiting: None,
        }
    }

    /// The same app over a bank shared with other threads (the control socket's workers).
    pub fn with_bank(mut self, bank: Arc<Bank>) -> App {
        self.last_backup = last_backup_at(&bank);
        self.counter_name = counter_name_of(&bank);
        self.bank = Some(bank);
        self.show(Screen::Lock(Default::default()));
        self
    }

    /// Effects to run at start: the search index, when there is a bank to index.
    pub fn start(&self) -> Vec<Effect> {
        if self.bank.is_some() { vec![Effect::BuildIndex] } else { Vec::new() }
    }

    pub fn bank(&self) -> Option<Arc<Bank>> {
        self.bank.clone()
    }

    pub fn sync_config(&self) -> &super::config::SyncConfig {
        &self.config.sync
    }

    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    /// Puts `screen` in front with nothing below it (the lock screen, a login, a session's
    /// first screen: nothing to go back to).
    fn show(&mut self, screen: Screen) {
        self.below.clear();
        self.screen = screen;
    }

    pub fn status(&self) -> &Status {
        &self.status
    }

    pub fn logged_in(&self) -> Option<&Staff> {
        self.session.as_ref().map(|s| &s.staff)
    }

    pub fn help_open(&self) -> bool {
        self.help
    }

    pub fn quitting(&self) -> bool {
        self.quitting
    }

    fn text(&self) -> &'static Text {
        self.lang.text()
    }

    /// Who is at the screen now, for what the footer and help offer.
    fn who(&self) -> keymap::Who {
        match &self.session {
            // The first-run setup may be left with Ctrl+Q (nobody is in front of a kiosk yet).
            _ if matches!(self.screen, Screen::Setup(_)) => keymap::Who::Setup,
            _ if self.screen.is_public() => keymap::Who::Public,
            None => keymap::Who::Public,
            Some(s) if s.staff.role == crate::domain::Role::Admin => keymap::Who::Admin,
            Some(_) => keymap::Who::Staff,
        }
    }

    /// Back to the lock screen: logs out and drops every form and every staff message (the
    /// lock screen and the kiosk are in front of the public).
    fn lock(&mut self) {
        let memory = std::mem::take(&mut self.memory);
        if let Some(session) = self.session.take() {
            self.memories.insert(session.staff.id, memory);
        }
        self.help = false;
        self.show(Screen::Lock(Default::default()));
        self.status = Status::Ready;
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Tick => {
                let idle = (self.clock)().signed_duration_since(self.last_key).num_seconds();
                let limit = match self.screen {
                    Screen::Kiosk(_) | Screen::KioskLogin(_) => self.config.kiosk_idle_seconds,
                    _ => self.config.idle_seconds,
                };
                let idle_limit = i64::try_from(limit).unwrap_or(i64::MAX);
                let away_from_lock = !matches!(self.screen, Screen::Lock(_) | Screen::Setup(_));
                if idle >= idle_limit && (away_from_lock || self.session.is_some() || self.help) {
                    self.lock();
                    self.status = Status::Info(self.text().status_locked.into());
                }
                Vec::new()
            }
            Msg::IndexReady(Ok(index)) => {
                self.index = Some(*index);
                self.refresh_search();
                Vec::new()
            }
            Msg::IndexReady(Err(e)) => {
                self.status = Status::Error(e);
                Vec::new()
            }
            Msg::Synced(status) => self.on_synced(status),
            Msg::CityCommitted(ticket, result) => self.city_committed(ticket, result),
            Msg::CityRecord(card, answer) => {
                if let Screen::Volunteer(page) = &mut self.screen {
                    page.city_answered(&card, answer);
                }
                Vec::new()
            }
            Msg::PointsPool(card, answer) => {
                match &mut self.screen {
                    Screen::Exchange(screen) => screen.pool_answered(&card, answer),
                    Screen::Volunteer(page) => page.points_pool_answered(&card, answer),
                    _ => {}
                }
                Vec::new()
            }
            Msg::CityCertificate(answer) => {
                if let Screen::Certificate(page) = &mut self.screen {
                    page.city_answered(answer, self.lang.text());
                }
                Vec::new()
            }
            Msg::Conflicts(answer) => {
                if let (Screen::Conflicts(screen), Some(bank)) = (&mut self.screen, &self.bank) {
                    screen.listed(bank, answer);
                }
                Vec::new()
            }
            Msg::Printed(result) => {
                let t = self.text();
                self.status = match result {
                    Ok(()) => Status::Info(t.printed.into()),
                    Err(e) => Status::Error(format!("{}{e}", t.print_failed)),
                };
                Vec::new()
            }
            Msg::Control(ControlEvent::Started { command }) => {
                if command == "backup" {
                    self.backups_running += 1;
                }
                Vec::new()
            }
            Msg::Control(ControlEvent::Finished { command, code }) => {
                if command == "backup" {
                    self.backups_running = self.backups_running.saturating_sub(1);
                    if code == 0 {
                        self.last_backup = self.bank.as_deref().and_then(last_backup_at);
                    } else {
                        self.status = Status::Error(self.text().backup_failed.into());
                    }
                }
                // A volunteer registered or edited from the command line is found by name at
                // once: the index is rebuilt off the UI thread (card scans work meanwhile).
                if command == "volunteer" && code == 0 {
                    return vec![Effect::BuildIndex];
                }
                Vec::new()
            }
            Msg::ControlUnavailable(e) => {
                self.status = Status::Error(format!("{}{e}", self.text().control_unavailable));
                Vec::new()
            }
            Msg::Resize(width, height) => {
                self.too_small = width < 80 || height < 24;
                Vec::new()
            }
            Msg::Key(key) => {
                // Key release and repeat events (Windows, kitty protocol) are not presses; and
                // while the window is too small only the "make it bigger" note is shown, so a
                // key would go into a form nobody can see.
                if key.kind != KeyEventKind::Press || self.too_small {
                    return Vec::new();
                }
                self.last_key = (self.clock)();
                self.on_key(key)
            }
        }
    }

    /// The find screen re-runs its query once the index arrives.
    fn refresh_search(&mut self) {
        if let (Screen::Find(find), Some(bank), Some(index)) = (&mut self.screen, &self.bank, &mut self.index)
        {
            find.refresh(bank, index);
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let scope = if self.help { Scope::Help } else { self.screen.scope() };
        match keymap::action(scope, key) {
            // The kiosk is left in front of the public: only staff (or the first-run setup)
            // may close the program and drop to the shell.
            Some(Action::Quit) if self.session.is_none() && !matches!(self.screen, Screen::Setup(_)) => {
                self.status = Status::Info(self.text().quit_needs_login.into());
                return Vec::new();
            }
            Some(Action::Quit) => {
                self.quitting = true;
                return vec![Effect::Quit];
            }
            Some(Action::Help) => {
                self.help = !self.help;
                return Vec::new();
            }
            Some(Action::Lock) => {
                if !matches!(self.screen, Screen::Setup(_)) {
                    self.lock();
                }
                return Vec::new();
            }
            Some(Action::Back) if self.help => {
                self.help = false;
                return Vec::new();
            }
            _ if self.help => return Vec::new(),
            _ => {}
        }
        if self.screen.is_public() {
            return self.on_public_key(key);
        }
        self.on_staff_key(key)
    }

    /// Right after the first-run setup there is nothing to record hours for or to redeem:
    /// the admin lands on the activities tab, told what comes next (Esc leads to the counter).
    fn open_first_day(&mut self) {
        let (Some(bank), Some(session)) = (self.bank.clone(), self.session.as_ref()) else { return };
        let mut cx = staff_cx!(self, &bank, session);
        if let Some(admin) = screens::admin::Admin::open_on(&mut cx, screens::admin::Tab::Activities) {
            self.show(Screen::Admin(admin));
            self.status = Status::Info(self.lang.text().setup_next.into());
        }
    }

    /// Opens the find screen (or the scanned card's page) for a freshly logged-in staff member.
    fn begin_session(&mut self, staff: Staff, card: Option<String>) {
        let actor = staff_actor(&staff.id);
        let staff_id = staff.id.clone();
        self.memory = self.memories.remove(&staff_id).unwrap_or_default();
        self.session = Some(Session { staff, actor });
        self.status = Status::Ready;
        self.show(Screen::Find(Default::default()));
        let (Some(bank), Some(card)) = (self.bank.clone(), card) else { return };
        let who = staff_actor(&staff_id);
        match screens::volunteer::VolunteerPage::open_card(&bank, &who, &card) {
            Ok(page) => {
                self.below.push(std::mem::replace(&mut self.screen, Screen::Volunteer(page)));
            }
            Err(e) => self.status = Status::Error(self.text().bank_error(&e)),
        }
    }

    fn on_staff_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let (Some(bank), Some(session)) = (self.bank.clone(), self.session.as_ref()) else {
            self.lock();
            return Vec::new();
        };
        let said = self.status.clone();
        let mut cx = staff_cx!(self, &bank, session);
        let step = self.screen.on_key(key, &mut cx);
        if !self.screen.is_asking() {
            self.waiting = None;
        }
        // A message belongs to the screen it was said on: moving on to another screen (not
        // back, where a form returns saying it saved) leaves it behind, unless this very key
        // said something new.
        if matches!(step, Step::Push(_) | Step::Replace(_) | Step::Home) && self.status == said {
            self.status = Status::Ready;
        }
        self.take_step(step, &bank)
    }
}
