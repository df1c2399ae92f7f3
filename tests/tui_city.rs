//! The counter's screens with the city in view (ARCHITECTURE.md §8), rendered into the real buffer at
//! 80×24 in both languages: after a pull, the volunteer page shows the city balance in the
//! large digits and, under them, what can be spent here now — all of it but what other
//! counters hold while the city server answers, this counter's share alone while it does not.
//! No server is needed: another counter's journal is applied as a pull applies it.

use crate::common;
use crate::counter;

use counter::Counter;
use hourbank::bank::{Bank, Mode, Op};
use hourbank::city::SyncStatus;
use hourbank::domain::{CounterCode, Minutes};
use hourbank::tui::app::Msg;
use hourbank::tui::i18n::Lang;

/// The seeded counter (陈华佩 holds 14.5 h here), with another counter's journal pulled: it
/// earned her 20 h and handed them to the city pool.
pub(crate) fn counter_in_a_city(lang: Lang) -> Counter {
    counter_in_a_city_at(lang, None)
}

/// The same, its settings naming the city service at `url`.
fn counter_in_a_city_at(lang: Lang, url: Option<&str>) -> Counter {
    let c = Counter::seeded_with(lang, |o| o.config.sync.url = url.map(Into::into));
    counter_a_pulled_into(&c);
    c
}

/// Counter A (JH-A-01), which earned 陈华佩 20 h and handed them to the city pool, its journal
/// pulled into `c` as a pull applies it. A stays open for tests that go on recording there.
pub(crate) fn counter_a_pulled_into(c: &Counter) -> (Bank, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let a = common::init_in(&dir.path().join("a"));
    a.set_counter_code(&common::admin(), None, &CounterCode::parse("JH-A-01").unwrap()).unwrap();
    common::register(&a, "JH000001", "陈华佩");
    let sorting = common::activity(&a, "垃圾分类督导");
    a.execute(&common::admin(), &Op::Deposit(common::deposit("JH000001", sorting, 1200)), Mode::commit(None))
        .unwrap();
    a.release_to_city(&hourbank::domain::Actor::Sync, Minutes::ZERO, None).unwrap();
    pull_from(c, &a, 1);
    (a, dir)
}

/// `c` takes A's events from `from` on, as a pull applies them.
pub(crate) fn pull_from(c: &Counter, a: &Bank, from: u64) {
    let rows: Vec<(u64, Vec<u8>)> = a.stored_events_from(from).map(Result::unwrap).collect();
    let b: std::sync::Arc<Bank> = c.bank();
    b.apply_remote("JH-A-01", &rows).unwrap();
    b.mark_city_pulled().unwrap();
}

pub(crate) fn open_her_page(c: &mut Counter) {
    c.login("S01", "5678");
    c.typed("chp").enter();
    assert_eq!(c.screen(), "volunteer");
}

#[test]
fn the_volunteer_page_says_what_can_be_spent_here_online_and_offline_in_both_languages() {
    for (lang, online, offline) in [
        (
            Lang::Zh,
            "全市余额 34.5 小时 · 此处可用 34.5 小时",
            "全市余额 34.5 小时 · 本柜台离线可用 14.5 小时",
        ),
        (
            Lang::En,
            "City balance 34.5 h · spendable here 34.5 h",
            "City balance 34.5 h · offline here 14.5 h",
        ),
    ] {
        let mut c = counter_in_a_city(lang);
        c.app.update(Msg::Synced(SyncStatus::Done { pushed: 0, pulled: 0, stopped: Vec::new() }));
        open_her_page(&mut c);
        let screen = c.render(80, 24);
        assert!(screen.contains(online), "{screen}");

        c.app.update(Msg::Synced(SyncStatus::Failed {
            message: "cannot reach the city server".into(),
            retry_in: std::time::Duration::from_secs(2),
        }));
        let screen = c.render(80, 24);
        assert!(screen.contains(offline), "{lang:?} offline: {screen}");
    }
}

/// Offline, a redemption past this counter's share is refused on the confirm step with the
/// reason and what would help, nothing saved; online the same one is offered, saying how much
/// would come from the city pool.
#[test]
fn a_redemption_past_the_share_is_refused_offline_and_offered_online_from_the_pool() {
    let mut c = counter_in_a_city(Lang::Zh);
    c.app.update(Msg::Synced(SyncStatus::Failed {
        message: "cannot reach the city server".into(),
        retry_in: std::time::Duration::from_secs(2),
    }));
    open_her_page(&mut c);
    let before = c.bank().last_seq().unwrap();
    c.typed("r");
    assert_eq!(c.screen(), "redeem");
    // The voucher (30 h) is within her city balance (34.5): offline it waits for the city, it
    // is not "差 15.5 小时".
    let list = c.render(80, 24);
    let voucher = list.lines().find(|l| l.contains("超市代金券50元")).unwrap_or_else(|| panic!("{list}"));
    assert!(voucher.contains("联网后可兑") && !voucher.contains("差"), "{voucher}");
    c.key(crossterm::event::KeyCode::Down).enter(); // 超市代金券50元, 30 h: more than 14.5 here
    let screen = c.render(80, 24);
    assert!(
        screen.contains("城市余额 34.5 小时，本柜台离线可用 14.5 小时，需 30 小时，请联网后再兑"),
        "{screen}"
    );
    assert_eq!(c.bank().last_seq().unwrap(), before, "nothing saved");

    c.app.update(Msg::Synced(SyncStatus::Done { pushed: 0, pulled: 0, stopped: Vec::new() }));
    c.key(crossterm::event::KeyCode::Esc);
    open_again(&mut c);
    c.typed("r");
    // Online she can afford it: it sorts among the affordable, after the rice.
    c.key(crossterm::event::KeyCode::Down).enter();
    let screen = c.render(80, 24);
    assert!(screen.contains("其中 15.5 小时将从城市池调入"), "{screen}");
}

fn open_again(c: &mut Counter) {
    if c.screen() != "volunteer" {
        c.key(crossterm::event::KeyCode::Esc);
    }
    assert_eq!(c.screen(), "volunteer", "{}", c.render(80, 24));
}

/// While the background sync takes the city's directory the header says how far it is, in
/// both languages at 80×24; the round's end replaces it with the time of the sync.
#[test]
fn the_header_shows_a_join_under_way_then_the_sync() {
    for (lang, joining, done) in
        [(Lang::Zh, "加入城市 45%", "同步 "), (Lang::En, "joining city 45%", "synced ")]
    {
        let mut c = Counter::seeded(lang);
        c.app.sync_started();
        c.login("S01", "5678");
        let progress = hourbank::city::JoinProgress { taken: 45_000, total: Some(100_000) };
        c.app.update(Msg::Synced(SyncStatus::Joining(progress)));
        let screen = c.render(80, 24);
        let header = screen.lines().next().unwrap_or_default();
        assert!(header.contains(joining), "{lang:?}: {header}");
        c.app.update(Msg::Synced(SyncStatus::Done { pushed: 0, pulled: 100_000, stopped: Vec::new() }));
        let screen = c.render(80, 24);
        let header = screen.lines().next().unwrap_or_default();
        assert!(!header.contains(joining) && header.contains(done), "{lang:?}: {header}");
    }
}

fn her_record() -> hourbank::city::wire::VolunteerDetails {
    use hourbank::city::wire::{HistoryRow, Registration, VolunteerDetails};
    let registration = |counter: &str| Registration {
        counter: counter.into(),
        name: "陈华佩".into(),
        phone: "138****8000".into(),
        id_number: String::new(),
        community: "白沙街道".into(),
        registered_on: "2026-11-02".into(),
    };
    let row = |counter: &str, seq, kind: &str, minutes, reverses: Option<&str>| HistoryRow {
        counter: counter.into(),
        seq,
        day: "2026-11-20".into(),
        kind: kind.into(),
        reverses: reverses.map(Into::into),
        minutes,
        activity: Some("垃圾分类督导".into()),
    };
    VolunteerDetails {
        card: "JH000001".into(),
        registrations: vec![registration("JH-A-01"), registration("JH-B-01")],
        history: vec![
            row("JH-A-01", 4, "deposit", 1200, None),
            row("JH-B-01", 9, "redeem", -300, None),
            row("JH-B-01", 11, "reversal", 300, Some("redeem")),
        ],
    }
}

/// `h` on a volunteer's page asks the city service for the card's record — off the UI thread,
/// as an effect — and shows its answer: every counter's registration, masked, and the entries
/// at every counter, in both languages at 80×24. Offline nothing is asked and the page says
/// what is not available; Esc closes it.
#[test]
fn the_city_record_is_asked_online_and_said_unavailable_offline() {
    for (lang, asking, registered, kinds, offline) in [
        (
            Lang::Zh,
            "正在向城市服务查询",
            "在 2 个柜台登记",
            ["存入", "兑换", "冲正·兑换"],
            "离线：其他柜台的登记和记录",
        ),
        (
            Lang::En,
            "Asking the city service",
            "Registered at 2 counter(s)",
            ["deposit", "redeem", "reversal·redeem"],
            "Offline: registrations and history at other counters",
        ),
    ] {
        let mut c = counter_in_a_city_at(lang, Some("http://127.0.0.1:9"));
        c.app.sync_started();
        c.app.update(Msg::Synced(SyncStatus::Done { pushed: 0, pulled: 0, stopped: Vec::new() }));
        open_her_page(&mut c);
        c.typed("h");
        let [hourbank::tui::app::Effect::AskCity { card, staff, .. }] = c.asked.as_slice() else {
            panic!("{lang:?}: asked {:?}", c.asked)
        };
        assert_eq!((card.as_str(), staff.as_str()), ("JH000001", "S01"));
        let card = card.clone();
        assert!(c.render(80, 24).contains(asking), "{lang:?}: {}", c.render(80, 24));
        c.app.update(Msg::CityRecord(card, Ok(her_record())));
        let screen = c.render(80, 24);
        assert!(screen.contains(registered) && screen.contains("138****8000"), "{lang:?}: {screen}");
        assert!(screen.contains("JH-B-01") && kinds.iter().all(|k| screen.contains(k)), "{lang:?}: {screen}");
        assert!(screen.contains("-5") && screen.contains("+20"), "{lang:?}: {screen}");
        c.key(crossterm::event::KeyCode::Esc);
        assert_eq!(c.screen(), "volunteer");
        assert!(!c.render(80, 24).contains(registered), "Esc closed it");

        c.app.update(Msg::Synced(SyncStatus::Failed {
            message: "cannot reach the city server".into(),
            retry_in: std::time::Duration::from_secs(2),
        }));
        c.asked.clear();
        c.typed("h");
        assert!(c.asked.is_empty(), "offline: nothing asked");
        let screen = c.render(80, 24);
        assert!(screen.contains(offline), "{lang:?}: {screen}");
    }
}

/// Online, a redemption from the city pool is handed to an effect (the service may take
/// seconds, or never answer): the screen says it is asking, in both languages at 80×24, takes
/// no key but Esc meanwhile, and is given the answer while it waits; left, the status line
/// says how it ended instead.
#[test]
fn a_redemption_from_the_pool_asks_off_the_screen_and_esc_leaves() {
    for (lang, asking) in [
        (Lang::Zh, "正在询问城市服务…按 Esc 可离开，结果显示在状态栏"),
        (Lang::En, "Asking the city service… Esc leaves; the status line says how it ends"),
    ] {
        let mut c = counter_in_a_city_at(lang, Some("http://127.0.0.1:9"));
        c.hold_commits = true;
        c.app.update(Msg::Synced(SyncStatus::Done { pushed: 0, pulled: 0, stopped: Vec::new() }));
        open_her_page(&mut c);
        let before = c.bank().last_seq().unwrap();
        c.typed("r");
        c.key(crossterm::event::KeyCode::Down).enter().enter(); // the voucher, 30 h: 15.5 from the pool
        let screen = c.render(80, 24);
        assert!(screen.contains(asking), "{lang:?}: {screen}");
        let [hourbank::tui::app::Effect::CityCommit { ticket, work, .. }] = c.asked.as_slice() else {
            panic!("one commit asked of the city: {:?}", c.asked);
        };
        let ticket = *ticket;
        assert!(matches!(work, hourbank::bank::Op::Redeem(r) if r.qty == 1));
        assert_eq!(c.bank().last_seq().unwrap(), before, "nothing saved before the city answers");
        // Keys wait; the answer comes to the screen that waits for it.
        c.key(crossterm::event::KeyCode::Up).enter();
        assert_eq!(c.screen(), "redeem");
        assert!(c.render(80, 24).contains(asking));
        c.app.update(Msg::CityCommitted(ticket, Err("the pool said no".into())));
        let screen = c.render(80, 24);
        assert!(screen.contains("the pool said no") && !screen.contains(asking), "{screen}");
        // Again, and Esc leaves at once; the late answer goes to the status line.
        c.asked.clear();
        c.enter().enter();
        assert!(c.render(80, 24).contains(asking));
        let [hourbank::tui::app::Effect::CityCommit { ticket, .. }] = c.asked.as_slice() else { panic!() };
        let ticket = *ticket;
        c.key(crossterm::event::KeyCode::Esc);
        assert_eq!(c.screen(), "volunteer");
        c.app.update(Msg::CityCommitted(ticket, Err("the city is slow today".into())));
        let screen = c.render(80, 24);
        assert_eq!(c.screen(), "volunteer");
        assert!(screen.contains("the city is slow today"), "{screen}");
    }
}

/// Issue 25: the forms that move a volunteer's hours show the same balance as the page — the
/// city's (34.5 h: 14.5 here, 20 in the city pool) — not this counter's share.
#[test]
fn every_form_shows_the_city_balance_the_page_shows() {
    for (lang, shown) in [(Lang::Zh, "余额 34.5 小时"), (Lang::En, "Balance 34.5 h")] {
        let mut c = counter_in_a_city(lang);
        c.app.update(Msg::Synced(SyncStatus::Done { pushed: 0, pulled: 0, stopped: Vec::new() }));
        open_her_page(&mut c);
        for form in ["d", "r", "t", "g"] {
            c.typed(form);
            assert_ne!(c.screen(), "volunteer", "{form} opens a form");
            let screen = c.render(80, 24);
            assert!(screen.contains(shown), "{lang:?} {form}: {screen}");
            c.key(crossterm::event::KeyCode::Esc);
            assert_eq!(c.screen(), "volunteer");
        }
    }
}

/// Issue 25: at the kiosk, online, a volunteer donates hours the city holds for them the way
/// staff can at the counter — one rule for both: offered with where the hours come from, then
/// asked of the city off the UI thread. It was refused ("余额不足") past this counter's share.
#[test]
fn a_kiosk_donation_online_takes_city_hours_as_the_counter_does() {
    let mut c = counter_in_a_city_at(Lang::Zh, Some("http://127.0.0.1:9"));
    c.hold_commits = true;
    let card = hourbank::domain::CardNo::parse("JH000001").unwrap();
    c.bank()
        .set_volunteer_pin(&hourbank::domain::Actor::Cli("test".into()), None, &card, Some("2468"))
        .unwrap();
    c.app.update(Msg::Synced(SyncStatus::Done { pushed: 0, pulled: 0, stopped: Vec::new() }));
    c.typed("JH000001").enter().typed("2468").enter();
    assert_eq!(c.screen(), "kiosk");
    let before = c.bank().last_seq().unwrap();
    // 20 h: 14.5 here, the rest from the card's city pool (20 h there).
    c.typed("g").typed("20").enter();
    let screen = c.render(80, 24);
    assert!(screen.contains("捐入爱心池 20 小时") && !screen.contains("余额不足"), "{screen}");
    c.enter();
    let [hourbank::tui::app::Effect::CityCommit { work, actor, .. }] = c.asked.as_slice() else {
        panic!("one commit asked of the city: {:?}\n{}", c.asked, c.render(80, 24));
    };
    assert!(matches!(work, hourbank::bank::Op::Donate(d) if d.minutes.get() == 1200), "{work:?}");
    assert_eq!(*actor, hourbank::domain::Actor::SelfService);
    assert_eq!(c.bank().last_seq().unwrap(), before, "nothing saved before the city answers");
    assert!(c.render(80, 24).contains("正在询问城市服务"), "{}", c.render(80, 24));
}

/// Issue 25 (6): when the sync fails the header says since when the city's figures are (the
/// last good sync), and the status line says why — once, not over a staff member's message.
#[test]
fn a_failed_sync_says_the_last_good_one_and_why() {
    for (lang, header, why) in [
        (Lang::Zh, "同步失败 · 上次 02:00", "城市同步失败：cannot reach the city server"),
        (Lang::En, "sync failed · last 02:00", "City sync failed: cannot reach the city server"),
    ] {
        let mut c = counter_in_a_city(lang);
        c.app.update(Msg::Synced(SyncStatus::Done { pushed: 0, pulled: 0, stopped: Vec::new() }));
        open_her_page(&mut c);
        let failed = || SyncStatus::Failed {
            message: "cannot reach the city server".into(),
            retry_in: std::time::Duration::from_secs(2),
        };
        c.app.update(Msg::Synced(failed()));
        let screen = c.render(80, 24);
        assert!(screen.contains(header), "{lang:?}: {screen}");
        assert!(screen.contains(why), "{lang:?}: {screen}");
        // A staff message (the reveal's saved entry) is not overwritten by a later failure.
        c.typed("v");
        assert!(!c.render(80, 24).contains(why), "{lang:?}: the reveal said its own");
        c.app.update(Msg::Synced(SyncStatus::Failed {
            message: "the service is restarting".into(),
            retry_in: std::time::Duration::from_secs(2),
        }));
        assert!(!c.render(80, 24).contains("the service is restarting"), "{lang:?}");
    }
}
