//! Check-in and check-out with an injected clock: rounding, the daily cap, long and overnight
//! shifts sent to review, staff approving (with an edited duration) and rejecting — every step
//! a journal entry that `check` replays.

use crate::common;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Local, TimeZone, Timelike, Utc};
use common::*;
use hourbank::bank::{Bank, BankError};
use hourbank::domain::{Actor, EventKind, Minutes, ReviewReason, Rule, ShiftOutcome, ShiftRules, StaffId};

/// A bank whose clock the test moves, with one volunteer and one activity.
fn shift_bank() -> (tempfile::TempDir, Bank, Arc<Mutex<DateTime<Utc>>>, u64, u64) {
    let dir = tempfile::tempdir().unwrap();
    // 09:00 local time on a fixed day, so shifts stay within one local day unless a test
    // crosses midnight on purpose.
    let start = Local.with_ymd_and_hms(2026, 11, 29, 9, 0, 0).unwrap().with_timezone(&Utc);
    let at = Arc::new(Mutex::new(start));
    let read = at.clone();
    let bank = init_in(dir.path()).with_clock(Arc::new(move || *read.lock().unwrap()));
    let activity = activity(&bank, "垃圾分类督导");
    let volunteer = register(&bank, "JH000001", "陈华佩");
    (dir, bank, at, volunteer, activity)
}

fn advance(at: &Mutex<DateTime<Utc>>, minutes: i64) {
    *at.lock().unwrap() += Duration::minutes(minutes);
}

fn balance(bank: &Bank) -> u64 {
    bank.find_card(&card("JH000001")).unwrap().account.balance()
}

fn assert_checks(bank: &Bank) {
    let report = bank.check().unwrap();
    assert!(report.ok, "{:?}", report.problems);
}

#[test]
fn a_shift_is_rounded_down_deposited_and_capped_per_day() {
    let (_d, bank, at, v, a) = shift_bank();
    let rules = ShiftRules::default();
    bank.check_in(v, a).unwrap();
    assert!(matches!(bank.check_in(v, a), Err(BankError::Rule(Rule::ShiftOpen(_)))), "one open shift");
    advance(&at, 191); // 3 h 11 min
    let out = bank.check_out(v, &rules).unwrap();
    assert_eq!(out.outcome, ShiftOutcome::Credit { worked: Minutes::new(191), credited: Minutes::new(180) });
    assert_eq!(balance(&bank), 180);
    let kinds: Vec<_> = out.committed.events.iter().map(|e| e.kind().name()).collect();
    assert_eq!(kinds, ["check_out", "deposit"], "one commit: the check-out and its deposit");
    assert!(matches!(bank.check_out(v, &rules), Err(BankError::Rule(Rule::NoOpenShift))), "not twice");
    // The same day: 6 h more, but the day's cap is 8 h.
    bank.check_in(v, a).unwrap();
    advance(&at, 6 * 60);
    let out = bank.check_out(v, &rules).unwrap();
    assert_eq!(out.outcome, ShiftOutcome::Credit { worked: Minutes::new(360), credited: Minutes::new(300) });
    assert_eq!(balance(&bank), 480);
    // Under half an hour is checked out but credits nothing.
    bank.check_in(v, a).unwrap();
    advance(&at, 20);
    let out = bank.check_out(v, &rules).unwrap();
    assert_eq!(out.outcome, ShiftOutcome::Credit { worked: Minutes::new(20), credited: Minutes::ZERO });
    assert_eq!(out.committed.events.len(), 1, "no zero deposit");
    assert_eq!(balance(&bank), 480);
    assert_checks(&bank);
}

#[test]
fn a_long_shift_waits_for_review_and_staff_approve_an_edited_duration() {
    let (_d, bank, at, v, a) = shift_bank();
    let check_in = bank.check_in(v, a).unwrap().first_seq();
    advance(&at, 9 * 60 + 10);
    let out = bank.check_out(v, &ShiftRules::default()).unwrap();
    assert_eq!(out.outcome, ShiftOutcome::Review { worked: Minutes::new(550), why: ReviewReason::TooLong });
    assert_eq!(balance(&bank), 0, "nothing deposited before review");
    let waiting = bank.shifts_in_review().unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!((waiting[0].seq, waiting[0].worked), (check_in, Minutes::new(550)));
    // Checked out: a new shift may start while the old one waits.
    bank.check_in(v, a).unwrap();
    let staff = Actor::Staff(StaffId::parse("A01").unwrap());
    assert!(bank.review_shift(&staff, check_in, Some(Minutes::from_hours(8)), "  ").is_err(), "a reason");
    let approved = bank.review_shift(&staff, check_in, Some(Minutes::from_hours(8)), "午休一小时").unwrap();
    assert_eq!(balance(&bank), 480);
    let EventKind::Deposited { served_on, note, .. } = approved.events[1].kind() else { panic!() };
    assert_eq!(note, &format!("签到 #{check_in}"));
    assert_eq!(
        *served_on,
        hourbank::domain::Day::from_date(Local.with_ymd_and_hms(2026, 11, 29, 9, 0, 0).unwrap().date_naive())
    );
    assert!(bank.shifts_in_review().unwrap().is_empty());
    assert!(
        matches!(
            bank.review_shift(&staff, check_in, None, "again"),
            Err(BankError::Rule(Rule::NotInReview(_)))
        ),
        "reviewed once"
    );
    assert!(
        bank.review_shift(&Actor::SelfService, check_in, None, "me").is_err(),
        "a volunteer cannot review"
    );
    assert_checks(&bank);
}

#[test]
fn a_shift_past_midnight_waits_for_review_and_may_be_rejected() {
    let (_d, bank, at, v, a) = shift_bank();
    // From 09:00 to 23:30 local, check in, then out at 00:30 the next day: one hour.
    let now = *at.lock().unwrap();
    let local = now.with_timezone(&Local);
    let to_late = (23 - i64::from(local.hour())) * 60 + 30;
    advance(&at, to_late);
    let check_in = bank.check_in(v, a).unwrap().first_seq();
    advance(&at, 60);
    let out = bank.check_out(v, &ShiftRules::default()).unwrap();
    assert_eq!(
        out.outcome,
        ShiftOutcome::Review { worked: Minutes::new(60), why: ReviewReason::PastMidnight }
    );
    let staff = Actor::Staff(StaffId::parse("A01").unwrap());
    let rejected = bank.review_shift(&staff, check_in, None, "忘记签退").unwrap();
    assert_eq!(rejected.events.len(), 1, "a rejection deposits nothing");
    assert!(matches!(rejected.events[0].kind(), EventKind::ShiftReviewed { approved: None, .. }));
    assert_eq!(balance(&bank), 0);
    assert!(bank.shifts_in_review().unwrap().is_empty());
    assert_checks(&bank);
    // Every step is in the volunteer's history.
    let kinds: Vec<_> = bank
        .history(v)
        .unwrap()
        .iter()
        .map(|l| l.event.kind().name())
        .filter(|k| k.contains("shift") || k.starts_with("check"))
        .collect();
    assert_eq!(kinds, ["check_in", "check_out", "shift_reviewed"]);
}

#[test]
fn shifts_survive_a_reopen_and_check_notices_a_tampered_shift() {
    let (dir, bank, at, v, a) = shift_bank();
    let check_in = bank.check_in(v, a).unwrap().first_seq();
    let clock = {
        let at = at.clone();
        Arc::new(move || *at.lock().unwrap()) as hourbank::bank::Clock
    };
    drop(bank);
    let bank = Bank::open(dir.path()).unwrap().with_clock(clock);
    assert_eq!(bank.open_shift(v).unwrap().map(|(seq, _)| seq), Some(check_in));
    advance(&at, 60);
    bank.check_out(v, &ShiftRules::default()).unwrap();
    assert_eq!(balance(&bank), 60);
    assert_checks(&bank);
    // An open-shift pointer the journal does not explain is found by check.
    let mut key = vec![b'O'];
    key.extend_from_slice(&v.to_be_bytes());
    bank.store()
        .tamper_tree(
            hourbank::store::tree::SHIFTS,
            &key,
            Some(hourbank::store::codec::encode(&check_in).unwrap()),
        )
        .unwrap();
    let report = bank.check().unwrap();
    assert!(!report.ok && report.problems.iter().any(|p| p.invariant == 5 && p.detail.contains("shifts")));
}
