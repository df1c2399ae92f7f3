//! Drives the counter's `App` as the terminal loop does, with a clock the test moves, and
//! renders it on ratatui's `TestBackend`.
#![allow(dead_code)]

use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use hourbank::bank::{Bank, Clock, Mode, NewReward, NewStaff, Op, VolunteerForm};
use hourbank::domain::{Actor, CardNo, IdNumber, Minutes, Name, Phone, RewardKind, Role, StaffId};
use hourbank::tui::app::{App, Effect, Msg, Options};
use hourbank::tui::config::Config;
use hourbank::tui::i18n::Lang;
use hourbank::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tempfile::TempDir;

/// A clock the test can move forward.
#[derive(Clone)]
pub struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn new() -> TestClock {
        TestClock(Arc::new(Mutex::new(Utc.with_ymd_and_hms(2026, 11, 29, 2, 0, 0).unwrap())))
    }

    pub fn clock(&self) -> Clock {
        let at = self.0.clone();
        Arc::new(move || *at.lock().unwrap())
    }

    pub fn advance(&self, seconds: i64) {
        let mut at = self.0.lock().unwrap();
        *at += Duration::seconds(seconds);
    }
}

pub struct Counter {
    pub app: App,
    pub clock: TestClock,
    pub printed: Vec<(String, String)>,
    /// What the app asked the city service (`Effect::AskCity`, and `Effect::CityCommit` while
    /// `hold_commits`), unanswered.
    pub asked: Vec<Effect>,
    /// Commits that ask the city are left unanswered (in `asked`) instead of run at once: the
    /// screen's "asking" state, as while a server does not answer.
    pub hold_commits: bool,
    _dir: Option<TempDir>,
}

fn cli() -> Actor {
    Actor::Cli("test".into())
}

/// 欧阳娜娜's ID number (a made-up one with a valid shape): no screen may show it in full.
pub const ID_NUMBER: &str = "44070319900101123X";

/// A small bank: admin A01 (PIN 1234), staff S01 (PIN 5678), three volunteers, two
/// activities, three rewards, and some history for 陈华佩.
pub fn seed(dir: &Path, clock: Clock) -> Bank {
    let admin = NewStaff {
        id: StaffId::parse("A01").unwrap(),
        name: Name::parse("管理员").unwrap(),
        role: Role::Admin,
        pin: "1234".into(),
    };
    let bank = Bank::init(dir, &Name::parse("蓬江区白沙街道服务台").unwrap(), admin, &cli())
        .unwrap()
        .with_clock(clock);
    let who = cli();
    bank.add_staff(
        &who,
        None,
        NewStaff {
            id: StaffId::parse("S01").unwrap(),
            name: Name::parse("李敏").unwrap(),
            role: Role::Staff,
            pin: "5678".into(),
        },
    )
    .unwrap();
    for (card, name, phone, community, id_number) in [
        ("JH000001", "陈华佩", "13800001234", "白沙社区", None),
        ("JH000002", "欧阳娜娜", "13900005678", "潮连社区", Some(ID_NUMBER)),
        ("JH000003", "李建国", "13700009999", "白沙社区", None),
    ] {
        let form = VolunteerForm {
            card: CardNo::parse(card).unwrap(),
            name: Name::parse(name).unwrap(),
            phone: Some(Phone::parse_optional(phone).unwrap().unwrap()),
            community: community.into(),
            registered_on: None,
            id_number: id_number.and_then(|n| IdNumber::parse_optional(n).unwrap()),
        };
        bank.register_volunteer(&who, None, &form).unwrap();
    }
    let sorting = bank.add_activity(&who, None, &Name::parse("垃圾分类督导").unwrap(), "环保").unwrap().seq();
    bank.add_activity(&who, None, &Name::parse("入户宣传").unwrap(), "宣传").unwrap();
    for (name, kind, hours, stock) in [
        ("大米5kg", RewardKind::Gift, 10, Some(20)),
        ("洗衣液", RewardKind::Gift, 5, Some(0)),
        ("超市代金券50元", RewardKind::Voucher, 30, None),
    ] {
        let r = NewReward {
            name: Name::parse(name).unwrap(),
            kind,
            cost: Minutes::from_hours(hours),
            stock,
            course_date: None,
            merchant: String::new(),
        };
        bank.add_reward(&who, None, &r).unwrap();
    }
    let deposit = |card: &str, minutes: u32| hourbank::bank::Deposit {
        card: CardNo::parse(card).unwrap(),
        activity: sorting,
        minutes: Minutes::new(minutes),
        served_on: None,
        note: String::new(),
    };
    bank.execute(&who, &Op::Deposit(deposit("JH000001", 12 * 60)), Mode::commit(None)).unwrap();
    bank.execute(&who, &Op::Deposit(deposit("JH000001", 150)), Mode::commit(None)).unwrap();
    bank.execute(&who, &Op::Deposit(deposit("JH000002", 90)), Mode::commit(None)).unwrap();
    bank
}

pub fn options(lang: Lang) -> Options {
    Options {
        lang,
        theme: Theme::load("default", None).0,
        config: Config::default(),
        demo_login: None,
        notice: None,
        config_path: None,
    }
}

impl Counter {
    /// The seeded bank, at the lock screen, with the search index built.
    pub fn seeded(lang: Lang) -> Counter {
        Counter::seeded_with(lang, |_| {})
    }

    /// As `seeded`, with changed options (a print command, a theme).
    pub fn seeded_with(lang: Lang, change: impl FnOnce(&mut Options)) -> Counter {
        let dir = tempfile::tempdir().unwrap();
        let clock = TestClock::new();
        let bank = seed(dir.path(), clock.clock());
        let mut opts = options(lang);
        change(&mut opts);
        let app = App::new(Some(bank), dir.path().to_path_buf(), clock.clock(), opts);
        Counter::started(app, clock, dir)
    }

    /// A counter over a store directory that does not exist yet: the first-run setup.
    pub fn fresh(lang: Lang) -> Counter {
        let dir = tempfile::tempdir().unwrap();
        let clock = TestClock::new();
        let app = App::new(None, dir.path().join("store"), clock.clock(), options(lang));
        Counter::over(app, clock, dir)
    }

    /// Closes the app and opens a new one over the same store, as a restart would.
    pub fn restart(self) -> Counter {
        let Counter { app, clock, _dir, .. } = self;
        let lang = app.lang;
        drop(app);
        let dir = _dir.expect("a store directory");
        let bank = Bank::open(dir.path()).unwrap().with_clock(clock.clock());
        let app = App::new(Some(bank), dir.path().to_path_buf(), clock.clock(), options(lang));
        Counter::started(app, clock, dir)
    }

    fn over(app: App, clock: TestClock, dir: TempDir) -> Counter {
        Counter { app, clock, printed: Vec::new(), asked: Vec::new(), hold_commits: false, _dir: Some(dir) }
    }

    /// [`Counter::over`], started as the terminal loop starts it.
    fn started(app: App, clock: TestClock, dir: TempDir) -> Counter {
        let mut c = Counter::over(app, clock, dir);
        let start = c.app.start();
        c.run(start);
        c
    }

    pub fn bank(&self) -> Arc<Bank> {
        self.app.bank().expect("a bank")
    }

    /// Carries out effects the way the terminal loop does, but at once.
    fn run(&mut self, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::BuildIndex => {
                    let index = self.bank().search_index().map(Box::new).map_err(|e| e.to_string());
                    let more = self.app.update(Msg::IndexReady(index));
                    self.run(more);
                }
                Effect::Print { command, text } => self.printed.push((command, text)),
                // Answered by the test (`Msg::CityRecord`), as the service would.
                asked @ (Effect::AskCity { .. }
                | Effect::AskConflicts { .. }
                | Effect::AskCertificate { .. }
                | Effect::AskPointsPool { .. }) => self.asked.push(asked),
                held @ Effect::CityCommit { .. } if self.hold_commits => self.asked.push(held),
                Effect::CityCommit { ticket, url, actor, work } => {
                    let link = hourbank::city::CityLink::Url(&url);
                    let t = self.app.lang.text();
                    let result = hourbank::tui::screens::confirm::run(&self.bank(), link, &actor, t, &work);
                    let more = self.app.update(Msg::CityCommitted(ticket, result));
                    self.run(more);
                }
                held @ Effect::CityRedeemPoints { .. } if self.hold_commits => self.asked.push(held),
                Effect::CityRedeemPoints { ticket, url, actor, redemption } => {
                    let link = hourbank::city::CityLink::Url(&url);
                    let t = self.app.lang.text();
                    let result =
                        hourbank::tui::screens::exchange::redeem(&self.bank(), link, &actor, t, &redemption);
                    let more = self.app.update(Msg::CityCommitted(ticket, result));
                    self.run(more);
                }
                Effect::Quit => {}
            }
        }
    }

    pub fn key(&mut self, code: KeyCode) -> &mut Self {
        let effects = self.app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        self.run(effects);
        self
    }

    pub fn ctrl(&mut self, c: char) -> &mut Self {
        let effects = self.app.update(Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)));
        self.run(effects);
        self
    }

    pub fn typed(&mut self, text: &str) -> &mut Self {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
        self
    }

    pub fn enter(&mut self) -> &mut Self {
        self.key(KeyCode::Enter)
    }

    pub fn tick(&mut self) -> &mut Self {
        let effects = self.app.update(Msg::Tick);
        self.run(effects);
        self
    }

    pub fn screen(&self) -> &'static str {
        self.app.screen().name()
    }

    /// Logs in from the lock screen.
    pub fn login(&mut self, id: &str, pin: &str) -> &mut Self {
        self.enter().typed(id).enter().typed(pin).enter()
    }

    /// The whole screen as text, one line per row.
    pub fn render(&self, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|f| self.app.view(f)).unwrap();
        screen_text(terminal.backend().buffer())
    }

    pub fn shows(&self, text: &str) -> bool {
        self.render(120, 40).contains(text)
    }
}

/// The buffer as plain text: one line per row, a wide character once (its hidden second cell
/// skipped), and reversed blank cells (the large digits, the input cursor) as `#`, so the
/// balance and the clock can be read in snapshots.
pub fn screen_text(buf: &ratatui::buffer::Buffer) -> String {
    use ratatui::style::Modifier;
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        let mut skip = 0;
        for x in area.left()..area.right() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let cell = &buf[(x, y)];
            let symbol = cell.symbol();
            if symbol == " " && cell.modifier.contains(Modifier::REVERSED) {
                line.push('#');
            } else {
                line.push_str(symbol);
            }
            skip = unicode_width::UnicodeWidthStr::width(symbol).saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
