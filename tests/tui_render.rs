//! Every screen rendered on ratatui's `TestBackend` at 80×24 and 120×40, in Chinese and
//! English, compared with reviewed `insta` snapshots (tests/snapshots/). The text dump counts
//! a hanzi once and shows reversed blanks (large digits, the cursor) as `#`.
//!
//! One test function on purpose: it pins the time zone to UTC before anything reads it, and
//! no other test in this binary may run beside that.

use crate::counter;
use hourbank::bank::{Mode, Op};

use counter::Counter;
use crossterm::event::KeyCode;
use hourbank::tui::i18n::Lang;

type Setup = fn(&mut Counter);

/// 陈华佩's self-service PIN.
fn set_pin(c: &mut Counter) {
    let card = hourbank::domain::CardNo::parse("JH000001").unwrap();
    c.bank()
        .set_volunteer_pin(&hourbank::domain::Actor::Cli("test".into()), None, &card, Some("2468"))
        .unwrap();
}

/// A year and a half of deposits, booked a month apart, for the charts: the clock goes back,
/// each month gets a different amount, and the clock comes forward again.
fn history(c: &mut Counter) {
    let bank = c.bank();
    let activity = bank.find_activity("入户宣传").unwrap().0;
    for months_ago in 1..=18i64 {
        c.clock.advance(-months_ago * 30 * 86_400);
        for (card, minutes) in [("JH000003", 30 * (1 + months_ago % 7)), ("JH000002", 60 * (months_ago % 4))]
        {
            if minutes == 0 {
                continue;
            }
            let d = hourbank::bank::Deposit {
                card: hourbank::domain::CardNo::parse(card).unwrap(),
                activity,
                minutes: hourbank::domain::Minutes::new(minutes as u32),
                served_on: None,
                note: String::new(),
            };
            bank.execute(
                &hourbank::domain::Actor::Cli("test".into()),
                &Op::Deposit(d.clone()),
                Mode::commit(None),
            )
            .unwrap();
        }
        c.clock.advance(months_ago * 30 * 86_400);
    }
}

/// The seeded volunteers' phone numbers: no screen shows one in full.
const PHONES: [&str; 3] = ["13800001234", "13900005678", "13700009999"];

/// Each screen, reached by keys from the lock screen of the seeded bank.
const SCREENS: &[(&str, Setup)] = &[
    ("lock", |_| {}),
    ("kiosk_login_wrong", |c| {
        set_pin(c);
        c.typed("JH000001").enter().typed("1111").enter();
    }),
    ("kiosk", |c| {
        set_pin(c);
        c.typed("JH000001").enter().typed("2468").enter();
    }),
    ("kiosk_checked_in", |c| {
        set_pin(c);
        c.typed("JH000001").enter().typed("2468").enter().typed("i").enter();
    }),
    ("review_approve", |c| {
        set_pin(c);
        c.typed("JH000001").enter().typed("2468").enter().typed("i").enter();
        c.clock.advance(9 * 3600);
        c.typed("o").enter().key(KeyCode::Esc);
        c.login("S01", "5678").key(KeyCode::F(6)).typed("a");
    }),
    ("login_wrong_pin", |c| {
        c.login("S01", "0000");
    }),
    ("find_results", |c| {
        c.login("S01", "5678").typed("JH00");
    }),
    ("find_pinyin", |c| {
        c.login("S01", "5678").typed("oyn");
    }),
    ("volunteer", |c| {
        c.login("S01", "5678").typed("JH000001").enter();
    }),
    ("volunteer_reverse_popup", |c| {
        c.login("A01", "1234").typed("JH000001").enter().typed("z").typed("录错了");
    }),
    ("record_confirm", |c| {
        c.login("S01", "5678")
            .typed("JH000001")
            .enter()
            .typed("d")
            .typed("rhxc")
            .enter()
            .typed("2小时30分")
            .enter();
    }),
    ("record_bad_duration", |c| {
        c.login("S01", "5678").typed("JH000001").enter().typed("d").enter().typed("两个钟").enter();
    }),
    ("batch_scanning", |c| {
        c.login("S01", "5678").key(KeyCode::F(5)).enter().typed("3").enter();
        c.typed("JH000001").enter().typed("JH000002").enter().typed("JH000404").enter();
    }),
    ("redeem", |c| {
        c.login("S01", "5678").typed("JH000001").enter().typed("r");
    }),
    ("redeem_unaffordable", |c| {
        c.login("S01", "5678").typed("JH000002").enter().typed("r").enter();
    }),
    ("receipt", |c| {
        c.login("S01", "5678").typed("JH000001").enter().typed("r").enter().enter();
    }),
    ("register_inline_errors", |c| {
        c.login("S01", "5678")
            .key(KeyCode::F(2))
            .typed("JH000002")
            .key(KeyCode::Tab)
            .key(KeyCode::Tab)
            .typed("12x")
            .key(KeyCode::Tab);
    }),
    ("transfer_confirm", |c| {
        c.login("S01", "5678")
            .typed("JH000001")
            .enter()
            .typed("t")
            .typed("JH000002")
            .key(KeyCode::Tab)
            .typed("1")
            .enter();
    }),
    ("volunteer_set_pin", |c| {
        c.login("S01", "5678").typed("JH000003").enter().typed("p").typed("1357").enter().typed("1");
    }),
    ("volunteer_with_id_number", |c| {
        c.login("S01", "5678").typed("JH000002").enter();
    }),
    ("reports_daily", |c| {
        c.login("A01", "1234").key(KeyCode::F(7));
    }),
    ("reports_monthly", |c| {
        history(c);
        c.login("A01", "1234").key(KeyCode::F(7)).key(KeyCode::Tab);
    }),
    ("reports_settlement", |c| {
        c.login("A01", "1234").key(KeyCode::F(7)).key(KeyCode::Tab).key(KeyCode::Tab);
    }),
    ("volunteer_sparkline", |c| {
        history(c);
        c.login("S01", "5678").typed("JH000003").enter();
    }),
    ("admin_rewards", |c| {
        c.login("A01", "1234").key(KeyCode::F(8));
    }),
    ("admin_staff", |c| {
        c.login("A01", "1234").key(KeyCode::F(8)).key(KeyCode::Tab).key(KeyCode::Tab);
    }),
    ("admin_rules_form", |c| {
        c.login("A01", "1234").key(KeyCode::F(8));
        for _ in 0..3 {
            c.key(KeyCode::Tab);
        }
        c.typed("e");
    }),
    ("certificate", |c| {
        c.login("S01", "5678").typed("JH000001").enter().typed("c");
    }),
    ("help_over_volunteer", |c| {
        c.login("S01", "5678").typed("JH000002").enter().key(KeyCode::F(1));
    }),
];

/// A certificate's code hashes the journal, which holds Argon2 PIN hashes with random salts:
/// its last 8 characters differ on every run, so the snapshot shows them as `XXXXXXXX`.
fn without_codes(screen: &str) -> String {
    let marker = "-20261129-20261129-";
    let mut out = String::new();
    let mut rest = screen;
    while let Some(at) = rest.find(marker) {
        let after = &rest[at + marker.len()..];
        let seq_len =
            after.find('-').filter(|n| after[..*n].chars().all(|c| c.is_ascii_digit())).unwrap_or(0);
        let code_start = at + marker.len() + seq_len + 1;
        let code_len =
            rest[code_start.min(rest.len())..].chars().take_while(char::is_ascii_alphanumeric).count();
        if seq_len == 0 || code_len != 8 {
            out.push_str(&rest[..at + marker.len()]);
            rest = &rest[at + marker.len()..];
            continue;
        }
        out.push_str(&rest[..code_start]);
        out.push_str("XXXXXXXX");
        rest = &rest[code_start + code_len..];
    }
    out.push_str(rest);
    out
}

#[test]
fn every_screen_in_both_languages_at_both_sizes() {
    // SAFETY: the only test in this binary, so no other thread reads the environment now.
    unsafe { std::env::set_var("TZ", "UTC") };
    for lang in [Lang::Zh, Lang::En] {
        let code = if lang == Lang::Zh { "zh" } else { "en" };
        for (name, setup) in SCREENS {
            let mut c = Counter::seeded(lang);
            setup(&mut c);
            for (w, h) in [(80, 24), (120, 40)] {
                let screen = c.render(w, h);
                for phone in PHONES {
                    assert!(!screen.contains(phone), "{name} shows the phone number {phone} in full");
                }
                assert!(!screen.contains(&counter::ID_NUMBER[..10]), "{name} shows the ID number");
                if name.starts_with("kiosk") {
                    assert!(!screen.contains("陈华佩"), "{name} shows the volunteer's full name");
                }
                insta::assert_snapshot!(format!("{name}_{code}_{w}x{h}"), without_codes(&screen));
            }
        }
        let c = Counter::fresh(lang);
        insta::assert_snapshot!(format!("setup_{code}_80x24"), c.render(80, 24));
        let c = Counter::seeded(lang);
        insta::assert_snapshot!(format!("too_small_{code}_79x24"), c.render(79, 24));
    }
}

/// A note longer than the history's "what" column is shortened whole at 80×24 in both
/// languages: the words shown are the note's own, whole, then `…` — never half a word.
#[test]
fn a_long_note_in_the_history_is_shortened_at_a_word_end() {
    let note = "typed the wrong hours for the morning garbage sorting shift at the east market";
    for lang in [Lang::Zh, Lang::En] {
        let mut c = Counter::seeded(lang);
        let bank = c.bank();
        let d = hourbank::bank::Deposit {
            card: hourbank::domain::CardNo::parse("JH000001").unwrap(),
            activity: bank.find_activity("入户宣传").unwrap().0,
            minutes: hourbank::domain::Minutes::new(30),
            served_on: None,
            note: note.into(),
        };
        bank.execute(&hourbank::domain::Actor::Cli("test".into()), &Op::Deposit(d), Mode::commit(None))
            .unwrap();
        c.login("S01", "5678").typed("JH000001").enter();
        let screen = c.render(80, 24);
        let row = screen.lines().find(|l| l.contains("typed the")).unwrap_or_else(|| panic!("{screen}"));
        let shown = &row[row.find("typed the").unwrap()..row.find('…').unwrap_or_else(|| panic!("{row}"))];
        let words: Vec<&str> = shown.split_whitespace().collect();
        assert!(note.starts_with(&words.join(" ")), "{lang:?}: {row}");
        assert!(
            note.split_whitespace().nth(words.len() - 1) == words.last().copied(),
            "{lang:?}: the last word shown is whole: {row}"
        );
        assert!(words.len() >= 2, "{lang:?}: {row}");
    }
}
