//! Golden bytes: the stored encoding of every type. If one of these fails, the on-disk format
//! changed — bump `VALUE_VERSION` or `SCHEMA_VERSION` and keep a reader for the old one.

use hourbank::domain::*;
use hourbank::store::OpRecord;
use hourbank::store::codec::encode;
use hourbank::store::records::AccountRecord;

fn hex<T: serde::Serialize>(v: &T) -> String {
    encode(v).unwrap().iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn volunteer() -> Volunteer {
    Volunteer {
        card: CardNo::parse("JH000123").unwrap(),
        name: Name::parse("陈华佩").unwrap(),
        phone: Phone::parse_optional("13800138000").unwrap(),
        community: "白沙".into(),
        registered_on: Day::parse("2026-11-29").unwrap(),
        id_number: None,
        active: true,
        pin_hash: None,
    }
}

fn reward() -> Reward {
    Reward {
        name: Name::parse("大米").unwrap(),
        kind: RewardKind::Course,
        cost: Minutes::new(600),
        limited: true,
        course_date: Some(Day::parse("2026-12-01").unwrap()),
        merchant: "M".into(),
        active: true,
    }
}

fn staff() -> Staff {
    Staff {
        id: StaffId::parse("A01").unwrap(),
        name: Name::parse("王").unwrap(),
        role: Role::Admin,
        pin_hash: "$h".into(),
        disabled: false,
    }
}

fn event(kind: EventKind) -> Event {
    Event {
        body: EventBody {
            seq: 300,
            at: Timestamp::from_micros(1_800_000_000_000_000),
            counter: "JM".into(),
            actor: Actor::Staff(StaffId::parse("A01").unwrap()),
            origin: Origin::Direct,
            kind,
        },
        hash: [7; 32],
    }
}

#[test]
fn records() {
    assert_eq!(
        hex(&volunteer()),
        "01084a4830303031323309e99988e58d8ee4bda9010b313338303031333830303006e799bde6b299fb64a2000100"
    );
    assert_eq!(
        hex(&Activity { name: Name::parse("清洁").unwrap(), category: "环保".into() }),
        "0106e6b885e6b48106e78eafe4bf9d"
    );
    assert_eq!(hex(&reward()), "0106e5a4a7e7b1b302fb58020101fb68a2014d01");
    assert_eq!(hex(&staff()), "010341303103e78e8b0102246800");
    assert_eq!(hex(&Settings::default()), "01fba005fb5802");
    let mut account = AccountRecord::default();
    account.totals.earned = 900;
    account.totals.redeemed = 150;
    account.push(5);
    account.push(70_000);
    // Written in layout 2 (two more totals: to and from the city); layout 1, as stores made
    // before the city's escrow hold it, still reads as the same record.
    assert_eq!(hex_of(&account.encode().unwrap()), "02fb840396000000000000fc701101000205fc6b110100");
    let layout_1 = unhex("01fb84039600000000fc701101000205fc6b110100");
    assert_eq!(AccountRecord::decode("accounts", b"k", &layout_1).unwrap(), account);
    assert_eq!(
        hex(&OpRecord { digest: [1; 16], first_seq: 9, events: 2 }),
        "01010101010101010101010101010101010902"
    );
    assert_eq!(
        hex(&hourbank::store::Head { next_seq: 300, last_hash: [2; 32] }),
        "01fb2c01".to_string() + &"02".repeat(32)
    );
    let shift = Shift {
        volunteer: 5,
        activity: 6,
        started: Timestamp::from_micros(1_800_000_000_000_000),
        state: ShiftState::InReview { worked: Minutes::new(550) },
    };
    assert_eq!(hex(&shift), "010506fd000031512eca0c0001fb2602");
    assert_eq!(hex(&42u64), "012a");
    assert_eq!(hex(&[9u8; 32]), "01".to_string() + &"09".repeat(32));
}

#[test]
fn events() {
    let cases: Vec<(EventKind, &str)> = vec![
        (
            EventKind::Deposited {
                volunteer: 5,
                activity: 6,
                minutes: Minutes::new(150),
                served_on: Day::parse("2026-11-29").unwrap(),
                note: "n".into(),
            },
            "0a050696fb64a2016e",
        ),
        (
            EventKind::Redeemed { volunteer: 5, reward: 7, qty: 2, minutes: Minutes::new(1200) },
            "0b050702fbb004",
        ),
        (
            EventKind::Transferred { from: 5, to: 6, minutes: Minutes::new(60), note: String::new() },
            "0c05063c00",
        ),
        (
            EventKind::Adjusted {
                volunteer: 5,
                credit: false,
                minutes: Minutes::new(30),
                reason: "r".into(),
            },
            "0d05001e0172",
        ),
        (EventKind::Reversed { target: 9, reason: "r".into() }, "0e090172"),
        (EventKind::Revealed { volunteer: 5, field: hourbank::domain::PersonalField::IdNumber }, "0f0501"),
        (
            EventKind::LoginUnlocked {
                subject: hourbank::domain::LoginSubject::Staff(StaffId::parse("S1").unwrap()),
            },
            "1000025331",
        ),
        (EventKind::CheckedIn { volunteer: 5, activity: 6 }, "110506"),
        (EventKind::PersonalDataExported { what: "v".into() }, "140176"),
        (
            EventKind::StaffPinReset { id: StaffId::parse("S1").unwrap(), pin_hash: "$h".into() },
            "15025331022468",
        ),
        (
            EventKind::CheckedOut {
                shift: 9,
                worked: Minutes::new(550),
                credited: Minutes::ZERO,
                review: Some(ReviewReason::TooLong),
            },
            "1209fb2602000100",
        ),
        (
            EventKind::ShiftReviewed { shift: 9, approved: Some(Minutes::new(480)), reason: "r".into() },
            "130901fbe0010172",
        ),
        (
            EventKind::RulesChanged(hourbank::domain::Rules {
                rounding: hourbank::domain::Rounding::HalfHour,
                day_cap: Some(Minutes::new(480)),
                approval_over: None,
                storage_cap: Some(Minutes::new(90_000)),
                expiry_months: Some(24),
                multipliers: vec![("a".into(), 150)],
            }),
            "160101fbe0010001fc905f0100011801016196",
        ),
        (
            EventKind::DepositHeld {
                volunteer: 5,
                activity: 6,
                minutes: Minutes::new(300),
                served_on: Day::parse("2026-11-29").unwrap(),
                note: String::new(),
            },
            "170506fb2c01fb64a200",
        ),
        (EventKind::DepositDecided { held: 9, approved: true, reason: "r".into() }, "1809010172"),
        (
            EventKind::Expired {
                volunteer: 5,
                minutes: Minutes::new(60),
                cutoff: Day::parse("2025-11-29").unwrap(),
            },
            "19053cfb8a9f",
        ),
        (EventKind::RewardRepriced { reward: 7, cost: Minutes::new(90) }, "1a075a"),
        (
            EventKind::CounterConfigured { changes: vec![("lang".into(), "en".into())] },
            "1b01046c616e6702656e",
        ),
        (EventKind::CounterRenamed { name: Name::parse("b").unwrap() }, "1c0162"),
        (EventKind::Donated { volunteer: 5, minutes: Minutes::new(120), note: "n".into() }, "1d0578016e"),
        (
            EventKind::PoolGranted { volunteer: 5, minutes: Minutes::new(90), reason: "r".into() },
            "1e055a0172",
        ),
        (
            EventKind::CounterCodeSet { code: hourbank::domain::CounterCode::parse("jh-01").unwrap() },
            "1f054a482d3031",
        ),
        (EventKind::RightsReleased { lines: vec![(5, Minutes::new(90))] }, "2001055a"),
        (
            EventKind::RightsGranted { volunteer: 5, minutes: Minutes::new(600), grant: "JH-B:t1".into() },
            "2105fb5802074a482d423a7431",
        ),
        (EventKind::CityCopyDropped { counters: 1, events: 11 }, "22010b"),
        (EventKind::RewardRestocked { reward: 7, qty: 3 }, "080703"),
        (EventKind::RewardRetired { reward: 7 }, "0907"),
        (EventKind::StaffDisabled { id: StaffId::parse("S1").unwrap() }, "03025331"),
        (
            EventKind::ActivityAdded(Activity { name: Name::parse("a").unwrap(), category: String::new() }),
            "06016100",
        ),
    ];
    let prefix = "01fb2c01fd000031512eca0c00024a4d000341303100";
    let suffix = "07".repeat(32);
    let mut wrong = Vec::new();
    for (kind, body) in cases {
        let name = kind.name();
        let got = hex(&event(kind));
        if got != format!("{prefix}{body}{suffix}") {
            wrong.push(format!("{name}: {got}"));
        }
    }
    assert!(wrong.is_empty(), "stored bytes changed:\n{}", wrong.join("\n"));
}
