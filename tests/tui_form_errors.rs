//! Every error a counter form can show, at 80×24 in both languages: the message must be on
//! the screen whole (wrapped if need be, never cut), and the screen is kept as a reviewed
//! snapshot (tests/snapshots/tui_form_errors__*).
//!
//! One test function on purpose: it pins the time zone to UTC before anything reads it.

use crate::counter;

use counter::Counter;
use crossterm::event::KeyCode;
use hourbank::domain::{DomainError, MAX_NAME_CHARS, Minutes};
use hourbank::i18n::{Lang, Text, fill};

type Setup = fn(&mut Counter);
type Expected = fn(&Text) -> String;

fn record(c: &mut Counter) -> &mut Counter {
    c.login("S01", "5678").typed("JH000001").enter().typed("d").enter()
}

const CASES: &[(&str, Setup, Expected)] = &[
    // Staff reversing another person's entry are told the rule (their own, the same day), not
    // that only admins may.
    (
        "reverse_not_own_entry",
        |c| {
            c.login("S01", "5678").typed("JH000001").enter();
            c.typed("z").typed("recorded twice").enter();
        },
        |t| fill(t.err_not_own_entry, &[&13]),
    ),
    // Issue 25 (9): reversing a deposit whose hours were spent says so, and what to do — it
    // said "余额不足：现有 4.5h，需要 12h".
    (
        "reverse_spent_deposit",
        |c| {
            let gift = hourbank::bank::Transfer {
                from: hourbank::domain::CardNo::parse("JH000001").unwrap(),
                to: hourbank::domain::CardNo::parse("JH000002").unwrap(),
                minutes: Minutes::from_hours(10),
                note: String::new(),
            };
            let admin = hourbank::domain::Actor::Cli("test".into());
            c.bank()
                .execute(&admin, &hourbank::bank::Op::Transfer(gift), hourbank::bank::Mode::commit(None))
                .unwrap();
            c.login("A01", "1234").typed("JH000001").enter();
            // Newest first: the gift, then #13 (2.5 h), then #12 (12 h).
            c.key(KeyCode::Down).key(KeyCode::Down).typed("z").typed("recorded twice").enter();
        },
        |t| fill(t.err_reversal_spent, &[&12, &"12", &"4.5"]),
    ),
    (
        "record_bad_duration",
        |c| {
            record(c).typed("两个钟").enter();
        },
        |t| t.domain_error(&DomainError::Duration("两个钟".into())),
    ),
    (
        "record_zero",
        |c| {
            record(c).typed("0").enter();
        },
        |t| t.domain_error(&DomainError::ZeroMinutes),
    ),
    (
        "record_over_entry_cap",
        |c| {
            record(c).typed("30").enter();
        },
        |t| {
            t.domain_error(&DomainError::OverCap {
                minutes: Minutes::from_hours(30),
                cap: Minutes::from_hours(24),
            })
        },
    ),
    (
        "record_future_date",
        |c| {
            record(c).key(KeyCode::BackTab);
            for _ in 0..10 {
                c.key(KeyCode::Backspace);
            }
            c.typed("2027-01-01").key(KeyCode::Tab).typed("1").enter();
        },
        |t| fill(t.err_future_date, &[&"2027-01-01"]),
    ),
    (
        "transfer_to_self",
        |c| {
            c.login("S01", "5678").typed("JH000001").enter().typed("t").typed("JH000001");
            c.key(KeyCode::Tab).typed("1").enter();
        },
        |t| t.err_self_transfer.to_string(),
    ),
    (
        "transfer_over_limit",
        |c| {
            c.login("S01", "5678").typed("JH000001").enter().typed("t").typed("JH000002");
            c.key(KeyCode::Tab).typed("11").enter();
        },
        |t| fill(t.err_over_transfer_limit, &[&"10"]),
    ),
    (
        "transfer_past_balance",
        |c| {
            c.login("S01", "5678").typed("JH000002").enter().typed("t").typed("JH000001");
            c.key(KeyCode::Tab).typed("2").enter();
        },
        |t| fill(t.err_insufficient_balance, &[&"1.5", &"2"]),
    ),
    (
        "register_card_taken",
        |c| {
            c.login("S01", "5678")
                .key(KeyCode::F(2))
                .typed("JH000001")
                .key(KeyCode::Tab)
                .typed("王五")
                .enter();
        },
        |t| fill(t.card_taken, &[&"陈华佩"]),
    ),
    (
        "register_bad_phone",
        |c| {
            c.login("S01", "5678").key(KeyCode::F(2)).typed("JH000009").key(KeyCode::Tab).typed("王五");
            c.key(KeyCode::Tab).typed("12345").enter();
        },
        |t| t.domain_error(&DomainError::Phone("12345".into())),
    ),
    (
        "register_name_full",
        |c| {
            c.login("S01", "5678").key(KeyCode::F(2)).typed("JH000009").key(KeyCode::Tab);
            c.typed(&"欧".repeat(MAX_NAME_CHARS + 1));
        },
        |t| fill(t.field_full, &[&MAX_NAME_CHARS]),
    ),
    (
        "donate_past_balance",
        |c| {
            c.login("S01", "5678").typed("JH000002").enter().typed("g").typed("5").enter();
        },
        |t| fill(t.err_insufficient_balance, &[&"1.5", &"5"]),
    ),
    (
        "grant_past_pool",
        |c| {
            c.login("A01", "1234").typed("JH000003").enter().typed("G").typed("5");
            c.key(KeyCode::Tab).typed("独居老人").enter();
        },
        |t| fill(t.err_insufficient_pool, &[&"0", &"5"]),
    ),
    (
        "admin_bad_cost",
        |c| {
            c.login("A01", "1234").key(KeyCode::F(8)).typed("n").typed("花生油");
            c.key(KeyCode::Tab).key(KeyCode::Tab).typed("lots").enter();
        },
        |t| t.domain_error(&DomainError::Duration("lots".into())),
    ),
    (
        "admin_course_in_the_past",
        |c| {
            c.login("A01", "1234").key(KeyCode::F(8)).typed("n").typed("急救培训");
            c.key(KeyCode::Tab).key(KeyCode::Left).key(KeyCode::Tab).typed("4").key(KeyCode::Tab).typed("20");
            c.key(KeyCode::Tab).typed("2026-11-01").enter();
        },
        |t| fill(t.err_past_course_date, &[&"2026-11-01"]),
    ),
];

/// The screen with every space and line break taken out: a message wrapped over two lines
/// still reads as one.
fn squeezed(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn every_form_error_is_shown_whole_at_80x24_in_both_languages() {
    // SAFETY: the only test in this binary, so no other thread reads the environment now.
    unsafe { std::env::set_var("TZ", "UTC") };
    for lang in [Lang::Zh, Lang::En] {
        let code = if lang == Lang::Zh { "zh" } else { "en" };
        for (name, setup, expected) in CASES {
            let mut c = Counter::seeded(lang);
            setup(&mut c);
            let screen = c.render(80, 24);
            let message = expected(lang.text());
            assert!(
                squeezed(&screen).contains(&squeezed(&message)),
                "{name} ({code}) does not show {message:?} whole:\n{screen}"
            );
            insta::assert_snapshot!(format!("{name}_{code}_80x24"), screen);
        }
    }
}
