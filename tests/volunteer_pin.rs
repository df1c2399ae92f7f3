//! Volunteers' self-service PINs: set by staff, checked like staff PINs, never stored in the
//! clear, an unknown card refused exactly like a wrong PIN, five wrong PINs lock the card
//! across restarts.

use crate::common;

use std::os::unix::fs::PermissionsExt;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::*;
use hourbank::bank::{Bank, LoginError};

const PIN: &str = "493817";

fn movable_clock() -> (Arc<Mutex<DateTime<Utc>>>, hourbank::bank::Clock) {
    let at = Arc::new(Mutex::new(Utc.with_ymd_and_hms(2026, 11, 29, 2, 0, 0).unwrap()));
    let read = at.clone();
    (at, Arc::new(move || *read.lock().unwrap()))
}

fn all_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in walk(dir) {
        out.extend(std::fs::read(entry).unwrap_or_default());
    }
    out
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { files.extend(walk(&p)) } else { files.push(p) }
    }
    files
}

#[test]
fn a_volunteer_logs_in_with_the_pin_staff_set_and_wrong_pins_lock_the_card_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let (at, clock) = movable_clock();
    let bank = init_in(dir.path()).with_clock(clock.clone());
    register(&bank, "JH000001", "陈华佩");
    register(&bank, "JH000002", "李建国");
    assert!(matches!(bank.volunteer_login("JH000001", PIN), Err(LoginError::NoPin)));
    bank.set_volunteer_pin(&admin(), None, &card("JH000001"), Some(PIN)).unwrap();
    let hash = bank.find_card(&card("JH000001")).unwrap().volunteer.pin_hash.unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1,keyid="), "{hash}");
    assert_eq!(bank.volunteer_login("jh000001", PIN).unwrap().volunteer.name.as_str(), "陈华佩");
    // An unknown card and a wrong PIN read the same.
    let unknown = bank.volunteer_login("JH999999", PIN).unwrap_err();
    let wrong = bank.volunteer_login("JH000001", "000000").unwrap_err();
    assert_eq!(unknown.to_string(), wrong.to_string());
    for left in (1..4).rev() {
        assert!(
            matches!(bank.volunteer_login("JH000001", "111111"), Err(LoginError::Wrong { remaining: Some(n) }) if n == left)
        );
    }
    assert!(matches!(bank.volunteer_login("JH000001", "111111"), Err(LoginError::Locked { .. })));
    assert!(
        matches!(bank.volunteer_login("JH000001", PIN), Err(LoginError::Locked { .. })),
        "the right PIN waits too"
    );
    drop(bank);
    let bank = Bank::open(dir.path()).unwrap().with_clock(clock);
    assert!(
        matches!(bank.volunteer_login("JH000001", PIN), Err(LoginError::Locked { .. })),
        "across a restart"
    );
    *at.lock().unwrap() += Duration::minutes(14);
    assert!(
        matches!(bank.volunteer_login("JH000001", PIN), Err(LoginError::Locked { .. })),
        "fifteen minutes, not fewer"
    );
    *at.lock().unwrap() += Duration::minutes(1);
    assert!(bank.volunteer_login("JH000001", PIN).is_ok());
    // Another card's lock is its own.
    bank.set_volunteer_pin(&admin(), None, &card("JH000002"), Some("2468")).unwrap();
    assert!(bank.volunteer_login("JH000002", "2468").is_ok());
    // Cleared: no login any more.
    bank.set_volunteer_pin(&admin(), None, &card("JH000002"), None).unwrap();
    assert!(matches!(bank.volunteer_login("JH000002", "2468"), Err(LoginError::NoPin)));
    assert!(bank.set_volunteer_pin(&admin(), None, &card("JH000002"), Some("12")).is_err(), "4–6 digits");
    assert!(bank.set_volunteer_pin(&admin(), None, &card("JH000002"), Some("1234567")).is_err());
    assert_checks(&bank);
}

#[test]
fn no_pin_is_stored_or_backed_up_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let bank = init_in(&store);
    register(&bank, "JH000001", "陈华佩");
    bank.set_volunteer_pin(&admin(), None, &card("JH000001"), Some(PIN)).unwrap();
    let backup = dir.path().join("b.hbk");
    bank.backup(&backup).unwrap();
    drop(bank);
    let needle = PIN.as_bytes();
    let stored = all_bytes(&store);
    assert!(!stored.windows(needle.len()).any(|w| w == needle), "the PIN is in the store");
    let backed_up = std::fs::read(&backup).unwrap();
    assert!(!backed_up.windows(needle.len()).any(|w| w == needle), "the PIN is in the backup");
    // The pepper lives beside the store, 0400, and is in neither the store nor the backup.
    let key_file = dir.path().join("store.pepper");
    let key = std::fs::read(&key_file).expect("the PIN key file beside the store");
    assert_eq!(key.len(), 32);
    assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o400);
    for (what, bytes) in [("store", &stored), ("backup", &backed_up)] {
        assert!(!bytes.windows(16).any(|w| w == &key[..16]), "the PIN key is in the {what}");
    }
    // The staff PIN of the fixture (1234) is hashed too: its PHC string is there, not "1234" as a value.
    assert!(stored.windows(10).any(|w| w == b"$argon2id$"));
}

#[test]
fn staff_set_the_pin_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let bank = init_in(&store);
    register(&bank, "JH000001", "陈华佩");
    drop(bank);
    hourbank_ok(&store, &["volunteer", "pin", "JH000001"], "4938\n");
    let (code, _, err) = hourbank(&store, &["volunteer", "pin", "JH000001"], "12\n");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("4–6 digits"), "{err}");
    let bank = Bank::open(&store).unwrap();
    assert!(bank.volunteer_login("JH000001", "4938").is_ok());
}

#[test]
fn an_admin_unlocks_a_card_or_a_staff_id_and_the_journal_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let bank = init_in(&store);
    register(&bank, "JH000001", "陈华佩");
    bank.add_staff(
        &admin(),
        None,
        hourbank::bank::NewStaff {
            id: hourbank::domain::StaffId::parse("S01").unwrap(),
            name: hourbank::domain::Name::parse("李敏").unwrap(),
            role: hourbank::domain::Role::Staff,
            pin: "5678".into(),
        },
    )
    .unwrap();
    bank.set_volunteer_pin(&admin(), None, &card("JH000001"), Some(PIN)).unwrap();
    for _ in 0..5 {
        let _ = bank.volunteer_login("JH000001", "000000");
        let _ = bank.login("S01", "0000");
    }
    assert!(matches!(bank.volunteer_login("JH000001", PIN), Err(LoginError::Locked { .. })));
    assert!(matches!(bank.login("S01", "5678"), Err(LoginError::Locked { .. })));
    // Staff cannot unlock; an admin can.
    let staff = hourbank::bank::staff_actor(&hourbank::domain::StaffId::parse("S01").unwrap());
    let subject = hourbank::domain::LoginSubject::Card(card("JH000001"));
    assert!(bank.unlock(&staff, &subject).is_err());
    drop(bank);
    assert!(hourbank_ok(&store, &["volunteer", "unlock", "JH000001"], "").contains("unlocked"));
    assert!(hourbank_ok(&store, &["staff", "unlock", "S01"], "").contains("unlocked"));
    let bank = Bank::open(&store).unwrap().with_clock(fixed_clock());
    assert!(bank.volunteer_login("JH000001", PIN).is_ok());
    assert!(bank.login("S01", "5678").is_ok());
    let unlocks = bank
        .store()
        .journal_from(1)
        .filter(|e| matches!(e.as_ref().map(|e| e.kind().name()), Ok("login_unlocked")))
        .count();
    assert_eq!(unlocks, 2);
    assert_checks(&bank);
}

#[test]
fn an_admin_resets_a_staff_pin_and_the_old_one_stops_working() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    drop(init_in(&store));
    hourbank_ok(&store, &["staff", "add", "--id", "S01", "--name", "李敏"], "5678\n");
    let out = hourbank_ok(&store, &["staff", "pin", "S01"], "9753\n");
    assert!(out.contains("new PIN for staff S01"), "{out}");
    let bank = Bank::open(&store).unwrap();
    assert!(matches!(bank.login("S01", "5678"), Err(LoginError::Wrong { .. })));
    assert_eq!(bank.login("S01", "9753").unwrap().id.as_str(), "S01");
    drop(bank);
    let (code, _, err) = hourbank(&store, &["staff", "pin", "S99"], "9753\n");
    assert_eq!(code, 1, "{err}");
    // After the key file is lost, the reset is the way back in.
    std::fs::remove_file(dir.path().join("store.pepper")).unwrap();
    let bank = Bank::open(&store).unwrap();
    assert!(bank.permission_warning().unwrap().to_string().contains("no PIN key file"));
    assert!(bank.login("S01", "9753").is_err(), "the old key's hash no longer matches");
    drop(bank);
    hourbank_ok(&store, &["staff", "pin", "S01"], "2468\n");
    assert!(Bank::open(&store).unwrap().login("S01", "2468").is_ok());
    assert_checks(&Bank::open(&store).unwrap());
}

/// What a passer-by sees of an id or a card is the same whether it exists or not: the same
/// words, the same count of tries left, and the same lock after five.
#[test]
fn known_and_unknown_ids_and_cards_answer_and_lock_alike() {
    let (_dir, bank) = new_bank();
    register(&bank, "JH000001", "陈华佩"); // no PIN
    register(&bank, "JH000002", "李小梅");
    let with_pin = card("JH000002");
    bank.set_volunteer_pin(&admin(), None, &with_pin, Some("2468")).unwrap();
    for left in (1..=4u8).rev() {
        for staff in ["A01", "Z99"] {
            let got = bank.login(staff, "999999");
            assert!(
                matches!(got, Err(LoginError::Wrong { remaining: Some(n) }) if n == left),
                "staff {staff}: {got:?}"
            );
        }
    }
    for staff in ["A01", "Z99"] {
        assert!(matches!(bank.login(staff, "999999"), Err(LoginError::Locked { .. })), "staff {staff}");
    }
    // Kiosk: a card with no PIN, an unknown card, and a wrong PIN all lock after five.
    for card in ["JH000001", "JH999999", "JH000002"] {
        for _ in 0..4 {
            assert!(!matches!(bank.volunteer_login(card, "111111"), Err(LoginError::Locked { .. }) | Ok(_)));
        }
        assert!(
            matches!(bank.volunteer_login(card, "111111"), Err(LoginError::Locked { .. })),
            "card {card} does not lock like the others"
        );
    }
}
