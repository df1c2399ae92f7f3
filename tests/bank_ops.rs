//! The bank's operations and rules, through the library API.

use crate::common;

use common::*;
use hourbank::bank::{
    Adjustment, BankError, BatchDeposit, Mode, NewReward, NewStaff, Op, Redemption, Reversal, Transfer,
};
use hourbank::domain::{Actor, Day, DomainError, Minutes, Name, RewardKind, Role, Rule, StaffId};
use hourbank::store::StoreError;

fn rule(e: BankError) -> Rule {
    match e {
        BankError::Rule(r) => r,
        other => panic!("expected a rule, got {other:?}"),
    }
}

#[test]
fn init_refuses_an_initialised_store_and_open_finds_it() {
    let (dir, bank) = new_bank();
    assert_eq!(bank.counter(), "JM-01");
    drop(bank);
    let again = hourbank::bank::Bank::init(
        dir.path(),
        &Name::parse("x").unwrap(),
        NewStaff {
            id: StaffId::parse("B").unwrap(),
            name: Name::parse("b").unwrap(),
            role: Role::Admin,
            pin: "1234".into(),
        },
        &admin(),
    );
    assert!(matches!(again, Err(BankError::Rule(Rule::AlreadyInitialized))), "{:?}", again.err());
    let reopened = hourbank::bank::Bank::open(dir.path()).unwrap();
    assert_eq!(assert_checks(&reopened), 2);
}

#[test]
fn a_second_owner_is_refused_with_a_clear_message() {
    let (dir, _bank) = new_bank();
    match hourbank::bank::Bank::open(dir.path()) {
        Err(BankError::Store(e @ StoreError::InUse { .. })) => {
            let msg = e.to_string();
            assert!(msg.contains("is in use by another hourbank process"), "{msg}");
            assert!(msg.contains(&format!("pid {}", std::process::id())), "{msg}");
        }
        Err(other) => panic!("wrong error {other:?}"),
        Ok(_) => panic!("second open must fail"),
    }
}

#[test]
fn opening_a_missing_store_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let err = hourbank::bank::Bank::open(&dir.path().join("nothing")).err().unwrap();
    assert!(matches!(err, BankError::Store(StoreError::NotInitialized(_))));
}

#[test]
fn deposits_redemptions_and_balances() {
    let (_d, bank) = new_bank();
    register(&bank, "JH000123", "陈华佩");
    let a = activity(&bank, "垃圾分类督导");
    let rice = reward(&bank, "大米5kg", 10, Some(2));
    bank.execute(&admin(), &Op::Deposit(deposit("JH000123", a, 900)), Mode::commit(None)).unwrap();
    assert_eq!(balance(&bank, "JH000123"), 900);

    let redeem = Redemption { card: card("JH000123"), reward: rice, qty: 1 };
    bank.execute(&admin(), &Op::Redeem(redeem.clone()), Mode::commit(None)).unwrap();
    let v = bank.find_card(&card("JH000123")).unwrap();
    assert_eq!((v.account.earned, v.account.redeemed, v.account.balance()), (900, 600, 300));
    assert_eq!(bank.find_reward("大米5kg").unwrap().stock, 1);

    let err = rule(bank.execute(&admin(), &Op::Redeem(redeem.clone()), Mode::commit(None)).unwrap_err());
    assert_eq!(err, Rule::InsufficientBalance { balance: Minutes::new(300), needed: Minutes::new(600) });
    assert_eq!(balance(&bank, "JH000123"), 300, "a refused redemption changes nothing");
    assert_checks(&bank);
}

#[test]
fn stock_never_goes_below_zero() {
    let (_d, bank) = new_bank();
    register(&bank, "C1", "李明");
    let a = activity(&bank, "入户宣传");
    let soap = reward(&bank, "洗衣液", 1, Some(1));
    bank.execute(&admin(), &Op::Deposit(deposit("C1", a, 600)), Mode::commit(None)).unwrap();
    bank.execute(
        &admin(),
        &Op::Redeem(Redemption { card: card("C1"), reward: soap, qty: 1 }),
        Mode::commit(None),
    )
    .unwrap();
    let err = rule(
        bank.execute(
            &admin(),
            &Op::Redeem(Redemption { card: card("C1"), reward: soap, qty: 1 }),
            Mode::commit(None),
        )
        .unwrap_err(),
    );
    assert!(matches!(err, Rule::InsufficientStock { stock: 0, needed: 1, .. }), "{err:?}");
    bank.restock(&admin(), None, soap, 3).unwrap();
    bank.execute(
        &admin(),
        &Op::Redeem(Redemption { card: card("C1"), reward: soap, qty: 3 }),
        Mode::commit(None),
    )
    .unwrap();
    assert_eq!(bank.find_reward("洗衣液").unwrap().stock, 0);
    bank.retire_reward(&admin(), None, soap).unwrap();
    let err = rule(
        bank.execute(
            &admin(),
            &Op::Redeem(Redemption { card: card("C1"), reward: soap, qty: 1 }),
            Mode::commit(None),
        )
        .unwrap_err(),
    );
    assert!(matches!(err, Rule::RewardRetired(_)));
    assert_checks(&bank);
}

#[test]
fn deposit_validation() {
    let (_d, bank) = new_bank();
    register(&bank, "C1", "李明");
    let a = activity(&bank, "入户宣传");
    let e =
        rule(bank.execute(&admin(), &Op::Deposit(deposit("NOPE", a, 60)), Mode::commit(None)).unwrap_err());
    assert_eq!(e, Rule::UnknownCard("NOPE".into()));
    let e = rule(bank.execute(&admin(), &Op::Deposit(deposit("C1", a, 0)), Mode::commit(None)).unwrap_err());
    assert_eq!(e, Rule::Invalid(DomainError::ZeroMinutes));
    let e = rule(
        bank.execute(&admin(), &Op::Deposit(deposit("C1", a, 24 * 60 + 1)), Mode::commit(None)).unwrap_err(),
    );
    assert!(matches!(e, Rule::Invalid(DomainError::OverCap { .. })));
    let e =
        rule(bank.execute(&admin(), &Op::Deposit(deposit("C1", 999, 60)), Mode::commit(None)).unwrap_err());
    assert_eq!(e, Rule::UnknownActivity("999".into()));
    let mut future = deposit("C1", a, 60);
    future.served_on = Some(Day::from_date(bank.today().date() + chrono::Duration::days(1)));
    assert!(matches!(
        rule(bank.execute(&admin(), &Op::Deposit(future.clone()), Mode::commit(None)).unwrap_err()),
        Rule::FutureDate(_)
    ));
    assert_eq!(balance(&bank, "C1"), 0);
}

#[test]
fn a_batch_is_all_or_nothing() {
    let (_d, bank) = new_bank();
    for (c, n) in [("C1", "甲"), ("C2", "乙"), ("C3", "丙")] {
        register(&bank, c, n);
    }
    let a = activity(&bank, "社区清洁");
    let next = bank.store().next_seq().unwrap();
    let bad = BatchDeposit {
        cards: vec![card("C1"), card("C2"), card("NOPE")],
        activity: a,
        minutes: Minutes::new(120),
        served_on: None,
        note: String::new(),
    };
    assert_eq!(
        rule(bank.execute(&admin(), &Op::DepositBatch(bad.clone()), Mode::commit(None)).unwrap_err()),
        Rule::UnknownCard("NOPE".into())
    );
    assert_eq!(bank.store().next_seq().unwrap(), next, "nothing of a failed batch is written");
    assert_eq!(balance(&bank, "C1"), 0);

    let dup = BatchDeposit { cards: vec![card("C1"), card("C1")], ..bad.clone() };
    assert_eq!(
        rule(bank.execute(&admin(), &Op::DepositBatch(dup.clone()), Mode::commit(None)).unwrap_err()),
        Rule::DuplicateInBatch("C1".into())
    );

    let good = BatchDeposit { cards: vec![card("C1"), card("C2"), card("C3")], ..bad };
    let done = bank.execute(&admin(), &Op::DepositBatch(good.clone()), Mode::commit(None)).unwrap();
    assert_eq!(done.events.len(), 3);
    for c in ["C1", "C2", "C3"] {
        assert_eq!(balance(&bank, c), 120);
    }
    assert_checks(&bank);
}

#[test]
fn transfers_respect_balance_limit_and_identity() {
    let (_d, bank) = new_bank();
    register(&bank, "P", "父亲");
    register(&bank, "K", "孩子");
    let a = activity(&bank, "长者陪伴");
    bank.execute(&admin(), &Op::Deposit(deposit("P", a, 900)), Mode::commit(None)).unwrap();
    let t = |m: u32, to: &str| Transfer {
        from: card("P"),
        to: card(to),
        minutes: Minutes::new(m),
        note: "家人".into(),
    };
    let e = rule(bank.execute(&admin(), &Op::Transfer(t(11 * 60, "K")), Mode::commit(None)).unwrap_err());
    assert!(matches!(e, Rule::OverTransferLimit { .. }), "{e:?}");
    assert_eq!(
        rule(bank.execute(&admin(), &Op::Transfer(t(60, "P")), Mode::commit(None)).unwrap_err()),
        Rule::SelfTransfer
    );
    bank.execute(&admin(), &Op::Transfer(t(600, "K")), Mode::commit(None)).unwrap();
    assert_eq!((balance(&bank, "P"), balance(&bank, "K")), (300, 600));
    let e = rule(bank.execute(&admin(), &Op::Transfer(t(360, "K")), Mode::commit(None)).unwrap_err());
    assert!(matches!(e, Rule::InsufficientBalance { .. }));
    assert_checks(&bank);
}

#[test]
fn reversal_happens_at_most_once_and_never_of_a_reversal() {
    let (_d, bank) = new_bank();
    let vol = register(&bank, "C1", "李明");
    let a = activity(&bank, "入户宣传");
    let soap = reward(&bank, "洗衣液", 1, Some(5));
    let dep = bank.execute(&admin(), &Op::Deposit(deposit("C1", a, 180)), Mode::commit(None)).unwrap().events
        [0]
    .seq();
    let red = bank
        .execute(
            &admin(),
            &Op::Redeem(Redemption { card: card("C1"), reward: soap, qty: 2 }),
            Mode::commit(None),
        )
        .unwrap()
        .events[0]
        .seq();
    assert_eq!(balance(&bank, "C1"), 60);

    // Reversing the deposit would leave -120: refused, saying its hours were spent.
    assert!(matches!(
        rule(
            bank.execute(
                &admin(),
                &Op::Reverse(Reversal { target: dep, reason: "录错".to_string() }),
                Mode::commit(None)
            )
            .unwrap_err()
        ),
        Rule::ReversalSpent { .. }
    ));
    let rev = bank
        .execute(
            &admin(),
            &Op::Reverse(Reversal { target: red, reason: "顾客退回".to_string() }),
            Mode::commit(None),
        )
        .unwrap()
        .events[0]
        .seq();
    assert_eq!(balance(&bank, "C1"), 180);
    assert_eq!(bank.find_reward("洗衣液").unwrap().stock, 5, "reversing a redemption restores stock");
    assert_eq!(
        rule(
            bank.execute(
                &admin(),
                &Op::Reverse(Reversal { target: red, reason: "again".to_string() }),
                Mode::commit(None)
            )
            .unwrap_err()
        ),
        Rule::AlreadyReversed { target: red, by: rev }
    );
    assert_eq!(
        rule(
            bank.execute(
                &admin(),
                &Op::Reverse(Reversal { target: rev, reason: "undo".to_string() }),
                Mode::commit(None)
            )
            .unwrap_err()
        ),
        Rule::NotReversible(rev)
    );
    assert_eq!(
        rule(
            bank.execute(
                &admin(),
                &Op::Reverse(Reversal { target: vol, reason: "no".to_string() }),
                Mode::commit(None)
            )
            .unwrap_err()
        ),
        Rule::NotReversible(vol)
    );
    assert_eq!(
        rule(
            bank.execute(
                &admin(),
                &Op::Reverse(Reversal { target: 9999, reason: "no".to_string() }),
                Mode::commit(None)
            )
            .unwrap_err()
        ),
        Rule::UnknownEntry(9999)
    );
    assert!(matches!(
        rule(
            bank.execute(
                &admin(),
                &Op::Reverse(Reversal { target: dep, reason: " ".to_string() }),
                Mode::commit(None)
            )
            .unwrap_err()
        ),
        Rule::Invalid(DomainError::ReasonRequired)
    ));
    bank.execute(
        &admin(),
        &Op::Reverse(Reversal { target: dep, reason: "录错".to_string() }),
        Mode::commit(None),
    )
    .unwrap();
    assert_eq!(balance(&bank, "C1"), 0);

    let history = bank.history(vol).unwrap();
    let deltas: Vec<i64> = history.iter().map(|l| l.delta).collect();
    assert_eq!(deltas, vec![0, 180, -120, 120, -180]);
    assert_eq!(history[2].reversed_by, Some(rev));
    assert_checks(&bank);
}

#[test]
fn roles_are_enforced_inside_the_transaction() {
    let (_d, bank) = new_bank();
    register(&bank, "C1", "李明");
    let a = activity(&bank, "入户宣传");
    let clerk = StaffId::parse("S01").unwrap();
    bank.add_staff(
        &admin(),
        None,
        NewStaff {
            id: clerk.clone(),
            name: Name::parse("小王").unwrap(),
            role: Role::Staff,
            pin: "5678".into(),
        },
    )
    .unwrap();
    let as_clerk = Actor::Staff(clerk.clone());

    let own =
        bank.execute(&as_clerk, &Op::Deposit(deposit("C1", a, 120)), Mode::commit(None)).unwrap().events[0]
            .seq();
    let admins = bank
        .execute(
            &Actor::Staff(StaffId::parse("A01").unwrap()),
            &Op::Deposit(deposit("C1", a, 60)),
            Mode::commit(None),
        )
        .unwrap()
        .events[0]
        .seq();
    assert!(matches!(
        rule(
            bank.execute(
                &as_clerk,
                &Op::Reverse(Reversal { target: admins, reason: "x".to_string() }),
                Mode::commit(None)
            )
            .unwrap_err()
        ),
        Rule::NotOwnEntry(_)
    ));
    bank.execute(
        &as_clerk,
        &Op::Reverse(Reversal { target: own, reason: "录错".to_string() }),
        Mode::commit(None),
    )
    .unwrap();

    let adj =
        Adjustment { card: card("C1"), credit: true, minutes: Minutes::new(30), reason: "补录".into() };
    assert!(matches!(
        rule(bank.execute(&as_clerk, &Op::Adjust(adj.clone()), Mode::commit(None)).unwrap_err()),
        Rule::AdminOnly(_)
    ));
    assert!(matches!(
        rule(bank.add_activity(&as_clerk, None, &Name::parse("x").unwrap(), "").unwrap_err()),
        Rule::AdminOnly(_)
    ));
    assert!(matches!(
        rule(
            bank.execute(&Actor::SelfService, &Op::Deposit(deposit("C1", a, 60)), Mode::commit(None))
                .unwrap_err()
        ),
        Rule::NotPermitted(_)
    ));
    bank.execute(&admin(), &Op::Adjust(adj.clone()), Mode::commit(None)).unwrap();
    assert_eq!(balance(&bank, "C1"), 90);

    bank.disable_staff(&admin(), None, &clerk).unwrap();
    assert_eq!(
        rule(bank.execute(&as_clerk, &Op::Deposit(deposit("C1", a, 60)), Mode::commit(None)).unwrap_err()),
        Rule::StaffDisabled("S01".into())
    );
    let ghost = Actor::Staff(StaffId::parse("NOBODY").unwrap());
    assert_eq!(
        rule(bank.execute(&ghost, &Op::Deposit(deposit("C1", a, 60)), Mode::commit(None)).unwrap_err()),
        Rule::UnknownStaff("NOBODY".into())
    );
    assert_checks(&bank);
}

#[test]
fn pins_are_stored_as_argon2id_hashes_only() {
    let (_d, bank) = new_bank();
    let staff = bank.staff_members().unwrap();
    assert_eq!(staff.len(), 1);
    assert!(staff[0].pin_hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1,keyid="), "{}", staff[0].pin_hash);
    assert!(!staff[0].pin_hash.contains("1234"));
    let bad = NewStaff {
        id: StaffId::parse("X").unwrap(),
        name: Name::parse("x").unwrap(),
        role: Role::Staff,
        pin: "12".into(),
    };
    assert_eq!(rule(bank.add_staff(&admin(), None, bad).unwrap_err()), Rule::Invalid(DomainError::Pin));
}

#[test]
fn an_operation_id_applies_once_and_binds_its_request() {
    let (_d, bank) = new_bank();
    register(&bank, "C1", "李明");
    let a = activity(&bank, "入户宣传");
    let first =
        bank.execute(&admin(), &Op::Deposit(deposit("C1", a, 60)), Mode::commit(Some("op-1"))).unwrap();
    let again =
        bank.execute(&admin(), &Op::Deposit(deposit("C1", a, 60)), Mode::commit(Some("op-1"))).unwrap();
    assert!(!first.replayed && again.replayed);
    assert_eq!(first.events, again.events);
    assert_eq!(balance(&bank, "C1"), 60);
    let e = rule(
        bank.execute(&admin(), &Op::Deposit(deposit("C1", a, 90)), Mode::commit(Some("op-1"))).unwrap_err(),
    );
    assert_eq!(e, Rule::OpIdReused("op-1".into()));
    assert_checks(&bank);
}

#[test]
fn edits_keep_cards_unique_and_history_follows_the_volunteer() {
    let (_d, bank) = new_bank();
    let id = register(&bank, "C1", "李明");
    register(&bank, "C2", "王芳");
    let mut form = hourbank::bank::VolunteerForm {
        card: card("C2"),
        name: Name::parse("李明").unwrap(),
        phone: None,
        community: "潮连街道".into(),
        registered_on: None,
        id_number: None,
    };
    assert_eq!(
        rule(bank.edit_volunteer(&admin(), None, id, &form, true).unwrap_err()),
        Rule::CardTaken("C2".into())
    );
    form.card = card("C9");
    bank.edit_volunteer(&admin(), None, id, &form, true).unwrap();
    assert!(bank.find_card(&card("C1")).is_err());
    assert_eq!(bank.find_card(&card("C9")).unwrap().id, id);
    bank.edit_volunteer(&admin(), None, id, &form, false).unwrap();
    let a = activity(&bank, "x");
    assert_eq!(
        rule(bank.execute(&admin(), &Op::Deposit(deposit("C9", a, 60)), Mode::commit(None)).unwrap_err()),
        Rule::VolunteerInactive("C9".into())
    );
    assert_eq!(bank.history(id).unwrap().len(), 3);
    assert_checks(&bank);
}

/// A course is dated today or later: a seat on a day gone could be redeemed but never used.
#[test]
fn a_course_dated_in_the_past_is_refused_and_today_is_accepted() {
    let (_d, bank) = new_bank();
    let course = |day: &str| NewReward {
        name: Name::parse("急救培训").unwrap(),
        kind: RewardKind::Course,
        cost: Minutes::from_hours(4),
        stock: Some(20),
        course_date: Some(Day::parse(day).unwrap()),
        merchant: String::new(),
    };
    let err = bank.add_reward(&admin(), None, &course("2026-11-28")).unwrap_err();
    assert!(matches!(err, BankError::Rule(Rule::PastCourseDate(ref d)) if d == "2026-11-28"), "{err}");
    assert!(err.to_string().contains("has passed"), "{err}");
    bank.add_reward(&admin(), None, &course("2026-11-29")).expect("today is fine");
    assert_eq!(bank.rewards().unwrap().len(), 1, "the refused one left nothing");
}
