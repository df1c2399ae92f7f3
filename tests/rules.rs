//! The crediting rules through the real binary and the bank: rounding, caps, approval of held
//! deposits, expiry (`--dry-run` first), and the same rules on an import.

use crate::common;

use common::*;
use hourbank::bank::{Bank, Mode, Op};
use hourbank::domain::{Actor, EventKind, Minutes, Name, Role, StaffId};

fn ok(store: &std::path::Path, args: &[&str]) -> String {
    hourbank_ok(store, args, "")
}

/// Staff member S01 (not an admin).
fn add_staff_member(bank: &Bank) {
    let staff = hourbank::bank::NewStaff {
        id: StaffId::parse("S01").unwrap(),
        name: Name::parse("李敏").unwrap(),
        role: Role::Staff,
        pin: "5678".into(),
    };
    bank.add_staff(&admin(), None, staff).unwrap();
}

fn balance_of(store: &std::path::Path, card: &str) -> u64 {
    let b = Bank::open(store).unwrap();
    balance(&b, card)
}

#[test]
fn defaults_change_nothing_and_rounding_and_caps_apply_from_the_command_line() {
    let (_d, s) = store_with_two_volunteers();
    let shown = ok(&s, &["rules", "show"]);
    assert!(
        shown.contains("rounding none")
            && shown.contains("day_cap off")
            && shown.contains("expiry_months off")
    );
    assert!(
        shown.contains("entry_cap 24h") && shown.contains("transfer_limit 10h"),
        "every rule in one place: {shown}"
    );
    ok(&s, &["deposit", "--card", "JH000001", "--activity", "入户宣传", "--minutes", "50"]);
    assert_eq!(balance_of(&s, "JH000001"), 50, "no rule: 50 minutes are 50 minutes");

    ok(&s, &["rules", "set", "--rounding", "30m", "--day-cap", "3h", "--storage-cap", "5h"]);
    let out = ok(&s, &["deposit", "--card", "JH000001", "--activity", "入户宣传", "--minutes", "50"]);
    assert!(out.contains("+30m") || out.contains("+0.5"), "{out}");
    assert_eq!(balance_of(&s, "JH000001"), 80, "rounded down to 30");
    let (code, _, err) =
        hourbank(&s, &["deposit", "--card", "JH000001", "--activity", "入户宣传", "--minutes", "20"], "");
    assert_eq!(code, 2, "rounds to nothing: {err}");
    assert!(err.contains("rounds down to nothing"), "{err}");
    // The day cap counts what was credited today since the cap was set (30 minutes).
    let (code, _, err) =
        hourbank(&s, &["deposit", "--card", "JH000001", "--activity", "入户宣传", "--hours", "3"], "");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("daily cap"), "{err}");
    ok(&s, &["deposit", "--card", "JH000001", "--activity", "入户宣传", "--hours", "2.5"]);
    assert_eq!(balance_of(&s, "JH000001"), 230);
    // The storage cap of 5 h: a gift that would pass it is refused, naming the cap.
    ok(
        &s,
        &["deposit", "--card", "JH000002", "--activity", "入户宣传", "--hours", "3", "--date", "2026-11-01"],
    );
    ok(&s, &["rules", "set", "--day-cap", "off"]);
    ok(
        &s,
        &["deposit", "--card", "JH000002", "--activity", "入户宣传", "--hours", "2", "--date", "2026-11-02"],
    );
    let (code, _, err) =
        hourbank(&s, &["transfer", "--from", "JH000002", "--to", "JH000001", "--hours", "1.5"], "");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("storage cap of 5h") && err.contains("donated"), "{err}");
    assert_eq!(balance_of(&s, "JH000001"), 230);
    let b = Bank::open(&s).unwrap();
    assert_checks(&b);
}

/// `rules set` changes the caps kept in the settings too, in one commit with the rest; an
/// empty `set` says so instead of journalling nothing.
#[test]
fn one_rules_command_sets_every_rule_in_one_commit() {
    let (_d, s) = store_with_two_volunteers();
    let before = Bank::open(&s).unwrap().store().next_seq().unwrap();
    let out = ok(&s, &["rules", "set", "--entry-cap", "4h", "--transfer-limit", "2h", "--day-cap", "6h"]);
    assert!(
        out.contains("entry_cap 4h") && out.contains("transfer_limit 2h") && out.contains("day_cap 6h"),
        "{out}"
    );
    let bank = Bank::open(&s).unwrap();
    assert_eq!(bank.store().next_seq().unwrap(), before + 2, "one settings and one rules event");
    let kinds: Vec<_> = (before..before + 2).map(|seq| bank.event(seq).unwrap().kind().name()).collect();
    assert_eq!(kinds, ["settings_changed", "rules_changed"]);
    let (a, b) = (bank.event(before).unwrap(), bank.event(before + 1).unwrap());
    assert_eq!(a.body.at, b.body.at, "one commit");
    drop(bank);
    let (code, _, err) =
        hourbank(&s, &["deposit", "--card", "JH000001", "--activity", "入户宣传", "--hours", "5"], "");
    assert_eq!(code, 1, "a refusal by the new entry cap: {err}");
    assert!(err.contains("per-entry cap of 4h"), "{err}");
    let (code, _, err) = hourbank(&s, &["rules", "set"], "");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nothing to change"), "{err}");
    // The old spelling still works for scripts.
    assert!(ok(&s, &["settings", "show"]).contains("entry_cap 4h"));
}

#[test]
fn a_deposit_over_the_threshold_by_staff_waits_and_an_admin_decides_on_the_command_line() {
    let (_d, s) = store_with_two_volunteers();
    {
        let bank = Bank::open(&s).unwrap().with_clock(fixed_clock());
        add_staff_member(&bank);
        let rules =
            hourbank::domain::Rules { approval_over: Some(Minutes::from_hours(4)), ..Default::default() };
        bank.change_rules(&admin(), None, &rules).unwrap();
        let a = bank.find_activity("入户宣传").unwrap().0;
        let by_staff = Actor::Staff(StaffId::parse("S01").unwrap());
        let small =
            bank.execute(&by_staff, &Op::Deposit(deposit("JH000001", a, 120)), Mode::commit(None)).unwrap();
        assert!(matches!(small.events[0].kind(), EventKind::Deposited { .. }));
        for card in ["JH000001", "JH000002"] {
            let c = bank.execute(&by_staff, &Op::Deposit(deposit(card, a, 300)), Mode::commit(None)).unwrap();
            assert!(matches!(c.events[0].kind(), EventKind::DepositHeld { .. }));
        }
        // An admin's own deposit is its approval.
        let c =
            bank.execute(&admin(), &Op::Deposit(deposit("JH000002", a, 300)), Mode::commit(None)).unwrap();
        assert!(matches!(c.events[0].kind(), EventKind::Deposited { .. }));
    }
    assert_eq!(balance_of(&s, "JH000001"), 120);
    let list = ok(&s, &["approvals", "list"]);
    assert_eq!(list.lines().filter(|l| l.contains("#")).count(), 2, "{list}");
    let seqs: Vec<String> = list
        .lines()
        .filter_map(|l| {
            l.split_whitespace().next().filter(|w| w.starts_with('#')).map(|w| w[1..].to_string())
        })
        .collect();
    let (code, _, err) = hourbank(&s, &["approvals", "approve", &seqs[0], "--reason", ""], "");
    assert_eq!(code, 2, "a reason is required: {err}");
    ok(&s, &["approvals", "approve", &seqs[0], "--reason", "签到表已核对"]);
    ok(&s, &["approvals", "reject", &seqs[1], "--reason", "重复登记"]);
    assert_eq!(balance_of(&s, "JH000001"), 420);
    assert_eq!(balance_of(&s, "JH000002"), 300);
    let (code, _, err) = hourbank(&s, &["approvals", "approve", &seqs[0], "--reason", "again"], "");
    assert_eq!(code, 1, "decided once only: {err}");
    assert!(ok(&s, &["approvals", "list"]).lines().all(|l| !l.starts_with('#')));
    let daily = ok(&s, &["report", "daily"]);
    assert!(daily.contains("# 待审批"), "{daily}");
    assert_checks(&Bank::open(&s).unwrap());
}

#[test]
fn expiry_lists_first_then_expires_the_oldest_unspent_hours_once() {
    let (_d, s) = store_with_two_volunteers();
    let dep = |card: &str, hours: &str, date: &str| {
        ok(&s, &["deposit", "--card", card, "--activity", "入户宣传", "--hours", hours, "--date", date]);
    };
    dep("JH000001", "3", "2024-03-01");
    dep("JH000001", "2", "2024-09-01");
    dep("JH000001", "4", "2026-10-01");
    dep("JH000002", "1", "2024-03-01");
    ok(&s, &["reward", "add", "--name", "毛巾", "--cost", "1h"]);
    // One hour spent: it used the oldest hours, so 3 + 2 - 1 = 4 are left from before the cutoff.
    ok(&s, &["redeem", "--card", "JH000001", "--reward", "毛巾"]);
    let (code, _, err) = hourbank(&s, &["expire", "--dry-run"], "");
    assert_eq!(code, 1, "expiry is off by default: {err}");

    ok(&s, &["rules", "set", "--expiry-months", "12"]);
    let before = ok(&s, &["export", "entries"]);
    let listed = ok(&s, &["expire", "--dry-run"]);
    assert!(listed.contains("JH000001") && listed.contains("JH000002"), "{listed}");
    assert!(listed.contains("would expire: 5 h from 2 volunteers"), "{listed}");
    assert_eq!(ok(&s, &["export", "entries"]), before, "--dry-run changes nothing");

    let done = ok(&s, &["expire"]);
    assert!(done.contains("expired: 5 h from 2 volunteers"), "{done}");
    assert_eq!(balance_of(&s, "JH000001"), 4 * 60, "the recent 4 hours stay");
    assert_eq!(balance_of(&s, "JH000002"), 0);
    let again = ok(&s, &["expire"]);
    assert!(again.contains("expired: 0 h from 0 volunteers"), "{again}");
    // An expiry is an entry like any other: reversible, shown in the history and the ledger.
    let entries = ok(&s, &["export", "entries"]);
    let line = entries.lines().find(|l| l.contains(",JH000002,expire,")).expect("an expire row");
    let seq = line.split(',').next().unwrap();
    ok(&s, &["reverse", "--seq", seq, "--reason", "误操作"]);
    assert_eq!(balance_of(&s, "JH000002"), 60);
    assert_checks(&Bank::open(&s).unwrap());
}

#[test]
fn an_import_keeps_the_rounding_and_the_caps_with_line_numbers() {
    let (d, s) = store_with_two_volunteers();
    ok(&s, &["rules", "set", "--rounding", "15m", "--storage-cap", "10h"]);
    let file = d.path().join("entries.csv");
    std::fs::write(
        &file,
        "id,timestamp,card_no,kind,minutes,memo\n\
         R1,2026-01-05 09:00:00,JH000001,deposit,90,入户宣传\n\
         R2,2026-01-06 09:00:00,JH000001,deposit,50,入户宣传\n\
         R3,2026-01-07 09:00:00,JH000002,deposit,600,入户宣传\n\
         R4,2026-01-08 09:00:00,JH000002,deposit,15,入户宣传\n",
    )
    .unwrap();
    let before = ok(&s, &["export", "entries"]);
    let (code, _, err) = hourbank(&s, &["import", "entries", file.to_str().unwrap()], "");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("line 3") && err.contains("15-minute rounding"), "{err}");
    assert!(err.contains("line 5") && err.contains("storage cap"), "{err}");
    assert_eq!(ok(&s, &["export", "entries"]), before, "refused whole");
}

/// The review's walk-around: a deposit made before the day cap existed, reversed after it was
/// set, must not free room on the capped day (only what was counted comes off).
#[test]
fn reversing_a_deposit_made_before_the_day_cap_frees_no_room_under_it() {
    let (_d, s) = store_with_two_volunteers();
    let dep = |hours: &str| {
        hourbank(&s, &["deposit", "--card", "JH000001", "--activity", "入户宣传", "--hours", hours], "")
    };
    let (code, out, _) = dep("8");
    assert_eq!(code, 0);
    let before_cap: String =
        out.split("saved #").nth(1).unwrap().chars().take_while(char::is_ascii_digit).collect();
    ok(&s, &["rules", "set", "--day-cap", "8h"]);
    assert_eq!(dep("8").0, 0, "the cap counts from when it is set");
    ok(&s, &["reverse", "--seq", &before_cap, "--reason", "录错了"]);
    let (code, _, err) = dep("8");
    assert_eq!(code, 1, "16 h on a capped day: {err}");
    assert!(err.contains("cap"), "{err}");
    assert_eq!(balance_of(&s, "JH000001"), 8 * 60);
    ok(&s, &["check"]);
}

/// Held hours keep their place under the day cap, so the admin's approval can always credit
/// them as they stand; a later deposit that would crowd them out is refused instead.
#[test]
fn a_held_deposit_keeps_its_place_under_the_day_cap_and_can_be_approved() {
    let (_d, s) = store_with_two_volunteers();
    let held = {
        let bank = Bank::open(&s).unwrap().with_clock(fixed_clock());
        add_staff_member(&bank);
        let rules = hourbank::domain::Rules {
            approval_over: Some(Minutes::from_hours(5)),
            day_cap: Some(Minutes::from_hours(8)),
            ..Default::default()
        };
        bank.change_rules(&admin(), None, &rules).unwrap();
        let a = bank.find_activity("入户宣传").unwrap().0;
        let by_staff = Actor::Staff(StaffId::parse("S01").unwrap());
        let held = bank
            .execute(&by_staff, &Op::Deposit(deposit("JH000001", a, 6 * 60)), Mode::commit(None))
            .unwrap();
        assert!(matches!(held.events[0].kind(), EventKind::DepositHeld { .. }));
        let crowding =
            bank.execute(&by_staff, &Op::Deposit(deposit("JH000001", a, 5 * 60)), Mode::commit(None));
        assert!(crowding.is_err(), "5 h more would leave the held 6 h no room: {crowding:?}");
        bank.execute(&by_staff, &Op::Deposit(deposit("JH000001", a, 2 * 60)), Mode::commit(None)).unwrap();
        held.first_seq().to_string()
    };
    ok(&s, &["approvals", "approve", &held, "--reason", "签到表已核对"]);
    assert_eq!(balance_of(&s, "JH000001"), 8 * 60);
    ok(&s, &["check"]);
}

/// An import applies the live deposit's rules (one definition of them): no service day in the
/// future, no hours for a deactivated volunteer; and a volunteer row imported before is a
/// no-op only when it says what it said then.
#[test]
fn an_import_refuses_what_the_counter_refuses_and_changed_rows_seen_before() {
    let (d, s) = store_with_two_volunteers();
    ok(&s, &["volunteer", "add", "--card", "JH000003", "--name", "王芳"]);
    ok(&s, &["volunteer", "edit", "JH000003", "--deactivate"]);
    let entries = d.path().join("e.csv");
    std::fs::write(
        &entries,
        "id,timestamp,card_no,kind,minutes,memo\n\
         1,2099-01-01 09:00,JH000001,deposit,60,入户宣传\n\
         2,2025-06-01 09:00,JH000003,deposit,60,入户宣传\n\
         3,2025-06-01 09:00,JH000001,deposit,60,入户宣传\n",
    )
    .unwrap();
    let (code, _, err) = hourbank(&s, &["import", "entries", entries.to_str().unwrap()], "");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("line 2") && err.contains("future"), "{err}");
    assert!(err.contains("line 3") && err.contains("JH000003"), "{err}");
    assert!(!err.contains("line 4"), "{err}");
    assert_eq!(balance_of(&s, "JH000001"), 0, "a file with bad rows writes nothing");

    let people = d.path().join("v.csv");
    std::fs::write(&people, "card_no,name,phone,community\nJH000010,赵磊,13800138000,白沙街道\n").unwrap();
    ok(&s, &["import", "volunteers", people.to_str().unwrap()]);
    assert!(ok(&s, &["import", "volunteers", people.to_str().unwrap()]).contains("1 already present"));
    std::fs::write(&people, "card_no,name,phone,community\nJH000010,赵磊,13900139000,白沙街道\n").unwrap();
    let (code, _, err) = hourbank(&s, &["import", "volunteers", people.to_str().unwrap()], "");
    assert_eq!(code, 2, "a changed row is a bad row: {err}");
    assert!(err.contains("different details"), "{err}");
}
