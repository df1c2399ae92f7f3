//! Service certificates: the numbers equal an independent sum over the volunteer's deposits in
//! the range (reversed ones left out), the code verifies on the same store and on a restored
//! copy, and fails for an altered code or after one journal entry is altered.

use crate::common;

use common::*;
use hourbank::bank::{Bank, CertificateError, Mode, Op, Reversal};
use hourbank::domain::{Day, Minutes};

fn day(s: &str) -> Day {
    Day::parse(s).unwrap()
}

fn deposit_on(bank: &Bank, card: &str, activity: u64, minutes: u32, on: &str) -> u64 {
    let mut d = deposit(card, activity, minutes);
    d.served_on = Some(day(on));
    bank.execute(&admin(), &Op::Deposit(d.clone()), Mode::commit(None)).unwrap().first_seq()
}

#[test]
fn a_certificate_counts_the_range_and_verifies_until_the_journal_is_altered() {
    let dir = tempfile::tempdir().unwrap();
    let bank = init_in(dir.path());
    let sorting = activity(&bank, "垃圾分类督导");
    let care = activity(&bank, "长者关爱");
    register(&bank, "JH000001", "陈华佩");
    register(&bank, "JH000002", "李建国");
    deposit_on(&bank, "JH000001", sorting, 120, "2026-10-31"); // before the range
    let first = deposit_on(&bank, "JH000001", sorting, 150, "2026-11-01");
    deposit_on(&bank, "JH000001", care, 90, "2026-11-15");
    let wrong = deposit_on(&bank, "JH000001", care, 600, "2026-11-16");
    bank.execute(
        &admin(),
        &Op::Reverse(Reversal { target: wrong, reason: "录错了".to_string() }),
        Mode::commit(None),
    )
    .unwrap();
    deposit_on(&bank, "JH000002", sorting, 300, "2026-11-10"); // someone else
    let c = bank.certificate(&card("JH000001"), day("2026-11-01"), day("2026-11-29")).unwrap();
    assert_eq!(c.total, 240);
    assert_eq!(c.by_activity, [("垃圾分类督导".to_string(), 150), ("长者关爱".to_string(), 90)]);
    assert_eq!(c.name, "陈华佩");
    assert!(c.code.starts_with("JH000001-20261101-20261129-"), "{}", c.code);

    // The same store, later: still valid (it is "as of" its entry), with the same numbers.
    deposit_on(&bank, "JH000001", sorting, 60, "2026-11-20");
    let verified = bank.verify_certificate(&c.code).unwrap();
    assert_eq!((verified.total, verified.as_of), (240, c.as_of));

    // A changed number, date or entry in the code is refused.
    let forged = c.code.replacen("-20261101-", "-20261001-", 1);
    assert!(matches!(bank.verify_certificate(&forged), Err(CertificateError::Mismatch)));
    assert!(matches!(bank.verify_certificate("JH000001-2026"), Err(CertificateError::Malformed(_))));
    assert!(matches!(
        bank.verify_certificate(&format!(
            "JH000001-20261101-20261129-999999-{}",
            &c.code[c.code.len() - 8..]
        )),
        Err(CertificateError::TooNew(999_999))
    ));

    // A restored copy verifies it too.
    let backup = dir.path().join("b.hbk");
    bank.backup(&backup).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let restored = elsewhere.path().join("store");
    copy_key(dir.path(), &restored);
    let this_bank = hourbank::bank::Provenance::ThisBank;
    hourbank::bank::restore(
        &backup,
        &restored,
        false,
        hourbank::domain::Timestamp::from_micros(0),
        None,
        this_bank,
    )
    .unwrap();
    let copy = Bank::open(&restored).unwrap().with_clock(fixed_clock());
    assert_eq!(copy.verify_certificate(&c.code).unwrap().total, 240);

    // One altered entry before the certificate's: refused, naming where.
    let mut event = bank.event(first).unwrap();
    if let hourbank::domain::EventKind::Deposited { minutes, .. } = &mut event.body.kind {
        *minutes = Minutes::new(1500);
    }
    bank.store().tamper_journal_value(first, hourbank::store::codec::encode(&event).unwrap()).unwrap();
    assert!(matches!(bank.verify_certificate(&c.code), Err(CertificateError::Altered(seq)) if seq == first));
    // A record of the journal cut short: the same, not an error of another kind.
    bank.store().tamper_journal_value(first, vec![1, 255, 255, 255]).unwrap();
    let said = bank.verify_certificate(&c.code);
    assert!(matches!(said, Err(CertificateError::Altered(seq)) if seq == first), "{said:?}");
}

#[test]
fn the_command_line_prints_a_page_and_verifies_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    {
        let bank = init_in(&store);
        let sorting = activity(&bank, "垃圾分类督导");
        register(&bank, "JH000001", "陈华佩");
        bank.execute(&admin(), &Op::Deposit(deposit("JH000001", sorting, 150)), Mode::commit(None)).unwrap();
    }
    let page = hourbank_ok(&store, &["certificate", "issue", "JH000001", "--from", "2026-01-01"], "");
    assert!(page.contains("志愿服务证明") && page.contains("陈华佩（JH000001）"), "{page}");
    assert!(page.contains("共计 2.5 小时"), "{page}");
    let code = page.lines().skip_while(|l| !l.starts_with("验证码")).nth(1).unwrap().trim().to_string();
    let ok = hourbank_ok(&store, &["certificate", "verify", &code], "");
    assert!(ok.starts_with("valid: 陈华佩 JH000001 served 2.5 h"), "{ok}");
    let last = if code.ends_with('A') { 'B' } else { 'A' };
    let forged = format!("{}{last}", &code[..code.len() - 1]);
    let (status, _, err) = hourbank(&store, &["certificate", "verify", &forged], "");
    assert_eq!(status, 1, "{err}");
    assert!(err.contains("NOT valid"), "{err}");
}

/// The certificate's default period covers all of a volunteer's service, including deposits
/// dated before their registration, so its total is what the page and `balance` call earned —
/// for every volunteer of the demo bank, and for the case that disagreed (a 2025-01-01 deposit
/// for a volunteer registered later).
#[test]
fn the_default_certificate_agrees_with_the_balance_for_every_demo_volunteer() {
    let dir = tempfile::tempdir().unwrap();
    let bank = init_in(dir.path());
    hourbank::sample::populate_demo(&bank, &admin(), 60, 7).unwrap();
    let sorting = activity(&bank, "早到注册前");
    register(&bank, "JH900001", "陈华佩"); // registered on the fixed clock's day, 2026-11-29
    deposit_on(&bank, "JH900001", sorting, 60, "2025-01-01");
    let mut checked = 0;
    for (id, v) in bank.store().volunteers().map(Result::unwrap) {
        let (from, to) = bank.whole_service(&v.card).unwrap();
        let certificate = bank.certificate(&v.card, from, to).unwrap();
        let earned = bank.volunteer(id).unwrap().account.earned;
        assert_eq!(certificate.total, earned, "{} from {from} to {to}", v.card);
        checked += 1;
    }
    assert!(checked > 60, "the demo and the late registration were all checked");
    let late = bank.whole_service(&card("JH900001")).unwrap();
    assert_eq!(late.0, day("2025-01-01"));
}

/// Issue 25 (10): a certificate called the credited hours "served" where a multiplier had made
/// 1 h served into 1.5 h credited. It says both now, and why; the note of what was served is a
/// journal entry right after the deposit, and the code still verifies.
#[test]
fn a_certificate_says_served_and_credited_when_the_rules_shaped_the_hours() {
    let dir = tempfile::tempdir().unwrap();
    let bank = init_in(dir.path());
    let sorting = activity(&bank, "垃圾分类督导"); // category 环保
    register(&bank, "JH000001", "陈华佩");
    let rules = hourbank::domain::Rules { multipliers: vec![("环保".into(), 150)], ..Default::default() };
    bank.change_rules(&admin(), None, &rules).unwrap();
    let shaped = deposit_on(&bank, "JH000001", sorting, 60, "2026-11-02");
    deposit_on(&bank, "JH000001", sorting, 40, "2026-11-03"); // 60 credited
    let note = bank.event(shaped + 1).unwrap();
    assert!(
        matches!(note.kind(), hourbank::domain::EventKind::ServiceShaped { served, percent: 150 } if served.get() == 60),
        "{note:?}"
    );
    let (from, to) = (day("2026-11-01"), day("2026-11-30"));
    let c = bank.certificate(&card("JH000001"), from, to).unwrap();
    assert_eq!((c.served, c.total), (100, 150));
    let page = hourbank::report::certificate_page(&c);
    assert!(
        page.contains("参加志愿服务 1.67 小时，计入 2.5 小时") || page.contains("计入 2.5 小时"),
        "{page}"
    );
    assert!(page.contains("Served") || page.contains("served"), "{page}");
    assert!(page.contains("multipliers, rounding"), "{page}");
    assert_eq!(bank.verify_certificate(&c.code).unwrap().served, 100);
    assert_checks(&bank);
}

/// Issue 25 (10): a deposit held for approval and approved later stated only the credited hours
/// — what was served was not kept with it. The note follows the held deposit now, and the
/// certificate finds it from the approval.
#[test]
fn a_held_deposit_approved_later_states_served_and_credited() {
    let dir = tempfile::tempdir().unwrap();
    let bank = init_in(dir.path());
    let sorting = activity(&bank, "垃圾分类督导"); // category 环保
    register(&bank, "JH000001", "陈华佩");
    let staff = hourbank::bank::NewStaff {
        id: hourbank::domain::StaffId::parse("S01").unwrap(),
        name: hourbank::domain::Name::parse("李敏").unwrap(),
        role: hourbank::domain::Role::Staff,
        pin: "5678".into(),
    };
    bank.add_staff(&admin(), None, staff).unwrap();
    let rules = hourbank::domain::Rules {
        multipliers: vec![("环保".into(), 150)],
        approval_over: Some(hourbank::domain::Minutes::new(120)),
        ..Default::default()
    };
    bank.change_rules(&admin(), None, &rules).unwrap();
    let by_staff = hourbank::domain::Actor::Staff(hourbank::domain::StaffId::parse("S01").unwrap());
    let held = bank
        .execute(
            &by_staff,
            &hourbank::bank::Op::Deposit(deposit("JH000001", sorting, 120)),
            hourbank::bank::Mode::commit(None),
        )
        .unwrap()
        .first_seq();
    assert!(matches!(bank.event(held).unwrap().kind(), hourbank::domain::EventKind::DepositHeld { .. }));
    bank.decide_deposit(&admin(), held, true, "checked").unwrap();
    let c = bank.certificate(&card("JH000001"), bank.today(), bank.today()).unwrap();
    assert_eq!((c.served, c.total), (120, 180));
    assert_checks(&bank);
}
