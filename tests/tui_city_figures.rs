//! Issue 25: every figure the volunteer page and the kiosk show is the city's — the balance,
//! the earned hours, what came in and what went out, which add up — as of the last sync, read
//! again when a sync round ends; the sync's own moves to and from the card's city pool are not
//! the volunteer's entries; held deposits show. Rendered into the real buffer in both languages.

use crate::common;
use crate::counter::Counter;
use crate::tui_city::{counter_a_pulled_into, open_her_page, pull_from as pull};

use hourbank::bank::{Bank, Mode, Op};
use hourbank::city::SyncStatus;
use hourbank::domain::{Actor, Minutes};
use hourbank::tui::app::Msg;
use hourbank::tui::i18n::Lang;

/// The seeded counter (B: 陈华佩 holds 14.5 h here) and counter A, which earned her 20 h and
/// handed them to the city pool; B has pulled A's journal.
fn two_counters(lang: Lang) -> (Counter, Bank, tempfile::TempDir) {
    let c = Counter::seeded(lang);
    let (a, dir) = counter_a_pulled_into(&c);
    (c, a, dir)
}

fn synced(c: &mut Counter) {
    c.app.update(Msg::Synced(SyncStatus::Done { pushed: 0, pulled: 1, stopped: Vec::new() }));
}

/// The row of the page's figures that starts with `label` (after the digits' columns).
fn figure(screen: &str, label: &str) -> String {
    screen
        .lines()
        .find_map(|l| l.find(label).map(|i| l[i + label.len()..].trim().to_string()))
        .unwrap_or_else(|| panic!("no {label} in\n{screen}"))
}

#[test]
fn the_page_shows_city_figures_that_add_up_and_the_whole_as_of_line() {
    for (lang, earned, credits, debits, line, as_of) in [
        (
            Lang::Zh,
            "累计获得",
            "收入",
            "支出",
            "全市余额 34.5 小时 · 此处可用 34.5 小时 · 截至 ",
            "登记日期 ",
        ),
        (
            Lang::En,
            "Earned",
            "In ",
            "Out ",
            "City balance 34.5 h · spendable here 34.5 h · as of ",
            "Registered ",
        ),
    ] {
        let (mut c, _a, _dir) = two_counters(lang);
        synced(&mut c);
        open_her_page(&mut c);
        for (w, h) in [(80, 24), (120, 40)] {
            let screen = c.render(w, h);
            // The city's service hours (14.5 here + 20 at A), not this counter's 14.5.
            assert!(figure(&screen, earned).starts_with("34.5"), "{lang:?} {w}: {screen}");
            assert!(figure(&screen, credits).starts_with("34.5"), "{lang:?} {w}: {screen}");
            assert!(figure(&screen, debits).starts_with('0'), "{lang:?} {w}: {screen}");
            // The "as of" is whole (it was cut by the registration day: `截至登记日期`).
            let city = screen.lines().find(|l| l.contains(line)).unwrap_or_else(|| panic!("{screen}"));
            let at = &city[city.find(line).unwrap() + line.len()..];
            assert!(at.trim().len() == "11-29 02:00".len(), "{lang:?} {w}: {city:?}");
            assert!(screen.lines().nth(1).unwrap().contains(as_of), "{lang:?} {w}: {screen}");
        }
    }
}

/// The sync hands this counter's hours to the card's city pool: on the page nothing changes —
/// no `交城市池 -14.5` line, in and out still add up to the big number.
#[test]
fn the_syncs_pool_moves_are_not_the_volunteers_entries() {
    let (mut c, _a, _dir) = two_counters(Lang::Zh);
    c.bank().release_to_city(&Actor::Sync, Minutes::ZERO, None).unwrap();
    synced(&mut c);
    open_her_page(&mut c);
    let screen = c.render(80, 24);
    assert!(!screen.contains("交城市池") && !screen.contains("-14.5"), "{screen}");
    assert!(screen.contains("流水 (2)"), "her two deposits: {screen}");
    assert!(figure(&screen, "收入").starts_with("34.5"), "{screen}");
    assert!(figure(&screen, "支出").starts_with('0'), "{screen}");
    assert!(screen.contains("此处可用 34.5 小时"), "{screen}");
    // The journal says who moved them: the sync, not a person.
    let history = c
        .bank()
        .history(c.bank().find_card(&hourbank::domain::CardNo::parse("JH000001").unwrap()).unwrap().id)
        .unwrap();
    let moved = history.iter().find(|l| l.event.kind().name() == "city_release").expect("released");
    assert_eq!(moved.event.body.actor, Actor::Sync);
    assert_eq!(moved.event.body.actor.to_string(), "sync");
}

/// An open page takes the city's new figures when a sync round ends: A recorded 1 h more.
#[test]
fn an_open_page_and_the_kiosk_take_the_citys_figures_after_a_sync_round() {
    let (mut c, a, _dir) = two_counters(Lang::En);
    synced(&mut c);
    open_her_page(&mut c);
    assert!(c.render(80, 24).contains("City balance 34.5 h"), "{}", c.render(80, 24));
    let next = a.last_seq().unwrap() + 1;
    let sorting = a.find_activity("垃圾分类督导").unwrap().0;
    a.execute(&common::admin(), &Op::Deposit(common::deposit("JH000001", sorting, 60)), Mode::commit(None))
        .unwrap();
    pull(&c, &a, next);
    assert!(c.render(80, 24).contains("City balance 34.5 h"), "not before the round ends");
    synced(&mut c);
    let screen = c.render(80, 24);
    assert!(screen.contains("City balance 35.5 h"), "{screen}");
    assert!(figure(&screen, "Earned").starts_with("35.5"), "{screen}");

    // The kiosk, the same: its large digits follow the round.
    let card = hourbank::domain::CardNo::parse("JH000001").unwrap();
    c.bank().set_volunteer_pin(&common::admin(), None, &card, Some("2468")).unwrap();
    c.key(crossterm::event::KeyCode::Esc).ctrl('l');
    c.typed("JH000001").enter().typed("2468").enter();
    assert_eq!(c.screen(), "kiosk");
    assert!(figure(&c.render(80, 24), "Earned").starts_with("35.5"), "{}", c.render(80, 24));
    let next = a.last_seq().unwrap() + 1;
    a.execute(&common::admin(), &Op::Deposit(common::deposit("JH000001", sorting, 60)), Mode::commit(None))
        .unwrap();
    pull(&c, &a, next);
    synced(&mut c);
    assert!(figure(&c.render(80, 24), "Earned").starts_with("36.5"), "{}", c.render(80, 24));
}

/// A deposit held for an admin's approval shows on the page and at the kiosk, marked and in
/// brackets (not in the balance yet); its rejection shows too.
#[test]
fn held_and_rejected_deposits_show_on_the_page_and_at_the_kiosk() {
    for (lang, held, rejected) in [(Lang::Zh, "待审批", "未批准"), (Lang::En, "held", "rejected")] {
        let mut c = Counter::seeded(lang);
        let rules =
            hourbank::domain::Rules { approval_over: Some(Minutes::from_hours(4)), ..Default::default() };
        c.bank().change_rules(&common::admin(), None, &rules).unwrap();
        let card = hourbank::domain::CardNo::parse("JH000001").unwrap();
        c.bank().set_volunteer_pin(&common::admin(), None, &card, Some("2468")).unwrap();
        c.login("S01", "5678").typed("JH000001").enter().typed("d").enter().typed("6").enter().enter();
        let screen = c.render(80, 24);
        let row = screen.lines().find(|l| l.contains(held)).unwrap_or_else(|| panic!("{lang:?}: {screen}"));
        assert!(row.contains("(+6)"), "{lang:?}: {row}");
        // At the kiosk.
        c.key(crossterm::event::KeyCode::Esc).ctrl('l');
        c.typed("JH000001").enter().typed("2468").enter();
        assert_eq!(c.screen(), "kiosk", "{}", c.render(80, 24));
        let screen = c.render(80, 24);
        assert!(screen.lines().any(|l| l.contains(held) && l.contains("(+6)")), "{lang:?}: {screen}");
        // Rejected by an admin: the decision shows beside it.
        let seq = c.bank().held_deposits().unwrap()[0].seq;
        c.bank().decide_deposit(&common::admin(), seq, false, "no sign-in sheet").unwrap();
        c.key(crossterm::event::KeyCode::Esc);
        c.typed("JH000001").enter().typed("2468").enter();
        assert!(c.render(80, 24).contains(rejected), "{lang:?}: {}", c.render(80, 24));
    }
}

/// Civic points are the city's too (issue 27): the kiosk and the page show a person's points
/// across the city — this counter's share, every other counter's and the card's points pool, as
/// the directory carries them — and what of them this counter holds. At 80×24, both languages.
#[test]
fn the_kiosk_and_the_page_show_the_citys_points_and_what_is_here() {
    use hourbank::bank::{DirectoryCard, DirectoryShare};
    use hourbank::domain::{CardNo, CounterCode, Day, Name};
    for (lang, label, shown) in
        [(Lang::Zh, "文明积分", "180 分 (本柜台 30)"), (Lang::En, "Civic points", "180 pts (30 here)")]
    {
        let mut c = Counter::seeded(lang);
        let bank = c.bank();
        bank.set_counter_code(&common::admin(), None, &CounterCode::parse("JH-B-01").unwrap()).unwrap();
        bank.publish_standard(&common::admin(), &common::points_standard(&[("HJ-01", 2, false)])).unwrap();
        let card = CardNo::parse("JH000001").unwrap();
        let credit = hourbank::bank::PointsCredit {
            card: card.clone(),
            item: "HJ-01".into(),
            times: 15,
            earned_on: None,
            note: String::new(),
        };
        bank.credit_points(&common::admin(), None, &credit).unwrap();
        // A keeps 100 of her points and handed 50 to the card's pool; this counter's 30 are
        // read from its own journal, never from the directory's copy of its share (0 there).
        let share = |counter: &str, points: u64, points_released: i64| DirectoryShare {
            counter: counter.into(),
            minutes: 0,
            released: 0,
            earned: 0,
            received: 0,
            points,
            points_released,
        };
        let listed = DirectoryCard {
            home: "JH-A-01".into(),
            name: Name::parse("陈华佩").unwrap(),
            community: "白沙社区".into(),
            phone_tail: "8000".into(),
            registered_on: Day::parse("2026-01-05").unwrap(),
            pool: 0,
            shares: vec![share("JH-A-01", 100, 50), share("JH-B-01", 0, 0)],
            points_pool: 50,
            pos: 2,
            conflict: None,
            other: None,
        };
        bank.apply_city_directory(2, &[(card.clone(), listed)]).unwrap();
        bank.mark_city_pulled().unwrap();
        let city = bank.points_of(&card).unwrap().city.unwrap();
        assert_eq!((city.here, city.elsewhere, city.pooled, city.total()), (30, 100, 50, 180));
        bank.set_volunteer_pin(&common::admin(), None, &card, Some("2468")).unwrap();
        drop(bank);
        open_her_page(&mut c);
        let screen = c.render(80, 24);
        assert_eq!(figure(&screen, label), shown, "{lang:?}: {screen}");
        c.key(crossterm::event::KeyCode::Esc).ctrl('l');
        c.typed("JH000001").enter().typed("2468").enter();
        assert_eq!(c.screen(), "kiosk", "{}", c.render(80, 24));
        let screen = c.render(80, 24);
        assert_eq!(figure(&screen, label), shown, "{lang:?}: {screen}");
    }
}
