//! Issue 25 (3) at the counter's screens: a card the city's directory says is registered as
//! different people is marked on the find row, the volunteer page and the kiosk, its figures
//! are this counter's person's alone, and a redemption from it is refused — in both languages,
//! at 80×24. (The city's side, and settling, are `city_conflict.rs`.)

use crate::common;
use crate::counter::Counter;

use hourbank::bank::{DirectoryCard, DirectoryShare};
use hourbank::domain::{CardNo, CounterCode, Day, Name};
use hourbank::i18n::Lang;
use hourbank::tui::app::Msg;

/// The seeded counter as JH-B-01, having pulled a directory in which JH000001 (陈华佩, 14.5 h
/// here) was registered first at JH-A-01 as someone else, who earned 20 h there.
fn counter_with_a_card_of_two_people(lang: Lang) -> Counter {
    counter_with_a_card_of_two_people_in(lang, None)
}

/// [`counter_with_a_card_of_two_people`] syncing with the city service at `url`.
fn counter_with_a_card_of_two_people_in(lang: Lang, url: Option<&str>) -> Counter {
    let c = Counter::seeded_with(lang, |o| o.config.sync.url = url.map(Into::into));
    let bank = c.bank();
    bank.set_counter_code(&common::admin(), None, &CounterCode::parse("JH-B-01").unwrap()).unwrap();
    let share = |counter: &str, minutes: u64| DirectoryShare {
        counter: counter.into(),
        minutes,
        released: 0,
        earned: minutes,
        received: 0,
        points: 0,
        points_released: 0,
    };
    let listed = DirectoryCard {
        home: "JH-A-01".into(),
        name: Name::parse("陈小燕").unwrap(),
        community: "白沙社区".into(),
        phone_tail: "1234".into(),
        registered_on: Day::parse("2026-01-05").unwrap(),
        pool: 0,
        shares: vec![share("JH-A-01", 1200), share("JH-B-01", 870)],
        points_pool: 0,
        pos: 2,
        conflict: Some("JH-B-01".into()),
        other: Some(hourbank::bank::OtherVersion {
            name: Name::parse("陈华佩").unwrap(),
            phone_tail: "1234".into(),
        }),
    };
    bank.apply_city_directory(2, &[(CardNo::parse("JH000001").unwrap(), listed)]).unwrap();
    bank.mark_city_pulled().unwrap();
    c
}

#[test]
fn a_card_of_two_people_is_marked_everywhere_shows_its_own_persons_hours_and_spends_nothing() {
    for (lang, mark, line, refused) in [
        (Lang::Zh, "冲突 14.5", "登记冲突（JH-A-01, JH-B-01）", "登记为不同的人"),
        (
            Lang::En,
            "2 people 14.5",
            "Two people on this card (JH-A-01, JH-B-01)",
            "registered as different people",
        ),
    ] {
        let mut c = counter_with_a_card_of_two_people(lang);
        c.login("S01", "5678");
        c.typed("chp");
        let screen = c.render(80, 24);
        assert!(
            screen.contains(mark),
            "{lang:?}: the find row is marked, with this counter's hours\n{screen}"
        );
        assert!(!screen.contains("34.5"), "{lang:?}: never the two people's hours together\n{screen}");
        assert!(screen.contains("陈华佩 / 陈小燕"), "{lang:?}: both people are named\n{screen}");
        c.enter();
        assert_eq!(c.screen(), "volunteer");
        let page = c.render(80, 24);
        assert!(page.contains(line), "{lang:?}: the page says so\n{page}");
        assert!(!page.contains("34.5"), "{lang:?}\n{page}");
        // A redemption is refused at its confirm step, before anything is saved.
        let before = c.bank().last_seq().unwrap();
        c.typed("r").enter();
        let shown = c.render(80, 24);
        assert!(shown.contains(refused), "{lang:?}: refused\n{shown}");
        c.enter();
        assert_eq!(c.bank().last_seq().unwrap(), before, "{lang:?}: nothing saved");
    }
}

#[test]
fn the_kiosk_marks_a_card_of_two_people() {
    for (lang, line) in
        [(Lang::Zh, "登记冲突（JH-A-01, JH-B-01）"), (Lang::En, "Two people on this card (JH-A-01, JH-B-01)")]
    {
        let mut c = counter_with_a_card_of_two_people(lang);
        let card = CardNo::parse("JH000001").unwrap();
        c.bank().set_volunteer_pin(&common::admin(), None, &card, Some("2468")).unwrap();
        c.typed("JH000001").enter().typed("2468").enter();
        assert_eq!(c.screen(), "kiosk");
        let screen = c.render(80, 24);
        assert!(screen.contains(line), "{lang:?}\n{screen}");
        assert!(!screen.contains("34.5"), "{lang:?}: this counter's person's hours alone\n{screen}");
    }
}

/// The seeded counter as JH-B-01 in a city, with the card of two people pulled (see above).
fn admin_at_a_city_counter_with_a_conflict(lang: Lang) -> Counter {
    let mut c = counter_with_a_card_of_two_people_in(lang, Some("http://127.0.0.1:9"));
    c.login("A01", "1234");
    c.key(crossterm::event::KeyCode::F(8));
    assert_eq!(c.screen(), "admin");
    c
}

/// The service's word on JH000001: B's version first (the asking counter's), then A's.
fn the_services_list() -> Vec<hourbank::city::wire::Conflict> {
    let version = |counter: &str, name: &str, phone: &str| hourbank::city::wire::Registration {
        counter: counter.into(),
        name: name.into(),
        phone: phone.into(),
        id_number: String::new(),
        community: "白沙社区".into(),
        registered_on: "2026-01-05".into(),
    };
    vec![hourbank::city::wire::Conflict {
        card: "JH000001".into(),
        differs: vec!["name".into(), "phone".into()],
        versions: vec![
            version("JH-B-01", "陈华佩", "138****1234"),
            version("JH-A-01", "陈小燕", "139****1234"),
        ],
    }]
}

#[test]
fn an_admin_lists_the_citys_conflicts_and_takes_the_other_registration_at_the_second_enter() {
    for (lang, listed, take, saved) in [
        (
            Lang::Zh,
            "陈小燕 JH-A-01",
            "本柜台的 JH000001 改为 陈小燕（JH-A-01 的登记）\n 不一致的手机号/证件号在此清空",
            "下次同步后全市解除冲突",
        ),
        (
            Lang::En,
            "陈小燕 JH-A-01",
            "Card JH000001 here becomes 陈小燕 as JH-A-01 registered them\n The phone/ID number that differ are cleared here",
            "the city clears the conflict at the next sync",
        ),
    ] {
        let mut c = admin_at_a_city_counter_with_a_conflict(lang);
        c.asked.clear();
        c.typed("k");
        assert_eq!(c.screen(), "conflicts");
        assert!(
            matches!(c.asked.as_slice(), [hourbank::tui::app::Effect::AskConflicts { .. }]),
            "{lang:?}: the list is asked of the service off the UI thread: {:?}",
            c.asked
        );
        c.app.update(Msg::Conflicts(Ok(the_services_list())));
        let screen = c.render(80, 24);
        assert!(screen.contains(listed), "{lang:?}\n{screen}");
        // `o`: what it will do, then Enter checks, Enter saves.
        let before = c.bank().last_seq().unwrap();
        c.typed("o");
        let screen = c.render(80, 24);
        assert!(screen.contains(take), "{lang:?}\n{screen}");
        c.enter();
        assert_eq!(c.bank().last_seq().unwrap(), before, "{lang:?}: the first Enter saves nothing");
        c.enter();
        assert_eq!(c.bank().last_seq().unwrap(), before + 1, "{lang:?}: saved at the second");
        let v = c.bank().find_card(&CardNo::parse("JH000001").unwrap()).unwrap().volunteer;
        assert_eq!((v.name.as_str(), v.phone.is_none(), v.pin_hash.is_none()), ("陈小燕", true, true));
        assert!(c.render(80, 24).contains(saved), "{lang:?}\n{}", c.render(80, 24));
    }
}

#[test]
fn an_admin_moves_this_counters_person_to_a_new_card_through_the_city() {
    let mut c = admin_at_a_city_counter_with_a_conflict(Lang::Zh);
    c.hold_commits = true;
    c.typed("k");
    c.app.update(Msg::Conflicts(Ok(the_services_list())));
    c.typed("n").typed("JH000009").enter();
    let screen = c.render(80, 24);
    assert!(
        screen.contains("陈华佩 换新卡 JH000009，带走在此记录的 14.5 小时；JH000001 归 陈小燕"),
        "{screen}"
    );
    c.asked.clear();
    let before = c.bank().last_seq().unwrap();
    c.enter();
    let [hourbank::tui::app::Effect::CityCommit { work, .. }] = c.asked.as_slice() else {
        panic!("the move is asked of the city: {:?}", c.asked);
    };
    let hourbank::bank::Op::MoveToNewCard(m) = work else { panic!("{work:?}") };
    assert_eq!(
        (m.card.as_str(), m.new_card.as_str(), m.other.name.as_str()),
        ("JH000001", "JH000009", "陈小燕")
    );
    assert_eq!(c.bank().last_seq().unwrap(), before, "nothing saved before the city answers");
}

#[test]
fn the_conflicts_screen_says_when_the_counter_is_not_in_a_city() {
    let mut c = counter_with_a_card_of_two_people(Lang::En);
    c.login("A01", "1234");
    c.key(crossterm::event::KeyCode::F(8)).typed("k");
    assert_eq!(c.screen(), "conflicts");
    assert!(c.render(80, 24).contains("This counter is not in a city"), "{}", c.render(80, 24));
}

/// Issue 25 (4) at the counter: in a city the certificate page asks the service for the city's
/// certificate (every counter's service, verifiable at any counter) and shows it; when the
/// service cannot issue it, this counter's own, saying it counts this counter's hours only.
#[test]
fn the_certificate_page_in_a_city_is_the_citys_and_offline_says_it_is_this_counters() {
    let city = |total: u64| hourbank::city::wire::CityCertificate {
        code: "JH000001-20260101-20261205-C7-ABCDEFGH".into(),
        serial: 7,
        card: "JH000001".into(),
        name: "陈华佩".into(),
        from: "2026-01-01".into(),
        to: "2026-12-05".into(),
        by_activity: vec![("垃圾分类督导".into(), total)],
        by_counter: vec![("JH-A-01".into(), total - 870), ("JH-B-01".into(), 870)],
        total,
        issued_by: "JH-B-01".into(),
        issued_at: "2026-12-05T02:00:00Z".into(),
        served: None,
    };
    for (answer, shows, hides) in [
        (
            Ok(city(2070)),
            vec!["共计 34.5 小时", "JH-A-01", "C7-ABCDEFGH", "the city (at JH-B-01)"],
            "只计本柜台",
        ),
        (
            Err("城市服务无法连接".to_string()),
            vec!["未能向城市服务开具（城市服务无法连接）：此证明只计本柜台记录", "共计 14.5 小时"],
            "JH-A-01",
        ),
    ] {
        let mut c = counter_with_a_card_of_two_people_in(Lang::Zh, Some("http://127.0.0.1:9"));
        c.login("S01", "5678");
        c.typed("JH000001").enter();
        c.asked.clear();
        c.typed("c");
        assert_eq!(c.screen(), "certificate");
        assert!(
            matches!(c.asked.as_slice(), [hourbank::tui::app::Effect::AskCertificate { .. }]),
            "asked off the UI thread: {:?}",
            c.asked
        );
        assert!(c.render(80, 24).contains("正在向城市服务开具全市证明"), "{}", c.render(80, 24));
        c.app.update(Msg::CityCertificate(answer));
        let screen = c.render(80, 40);
        for s in shows {
            assert!(screen.contains(s), "{s}\n{screen}");
        }
        assert!(!screen.contains(hides), "{screen}");
    }
}
