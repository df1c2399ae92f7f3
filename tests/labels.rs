//! Every kind of entry that moves hours has its own word wherever entries are listed — the
//! ledger (台账), the passbook (存折), the CSV export and the counter's history — from one
//! vocabulary (`domain::Movement`): none reads 其他 ("other"), in either language. Reported:
//! expiries and both city kinds read 其他 in the ledger and the passbook, and an expiry on
//! the volunteer's page.

use crate::common;

use common::*;
use hourbank::bank::{Bank, Mode, Op, Reversal};
use hourbank::domain::Minutes;

/// A store with every movement a counter records: deposits (one old enough to expire), a
/// redemption, a transfer, a donation, a grant from the love pool, an adjustment, an expiry,
/// a reversal, and hours handed to the city.
fn every_kind() -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, s) = store_with_two_volunteers();
    let ok = |args: &[&str]| hourbank_ok(&s, args, "");
    ok(&["deposit", "--card", "JH000002", "--activity", "入户宣传", "--hours", "3", "--date", "2024-03-01"]);
    ok(&["deposit", "--card", "JH000001", "--activity", "入户宣传", "--hours", "9"]);
    ok(&["deposit", "--card", "JH000002", "--activity", "入户宣传", "--hours", "2"]);
    ok(&["reward", "add", "--name", "毛巾", "--cost", "1h"]);
    ok(&["redeem", "--card", "JH000001", "--reward", "毛巾"]);
    ok(&["transfer", "--from", "JH000001", "--to", "JH000002", "--hours", "1"]);
    ok(&["donate", "JH000001", "--hours", "1"]);
    ok(&["pool", "grant", "JH000002", "--hours", "1", "--reason", "困难帮扶"]);
    ok(&["rules", "set", "--expiry-months", "12"]);
    let expired = ok(&["expire"]);
    assert!(expired.contains("expired: 3 h from 1 volunteers"), "{expired}");
    let bank = Bank::open(&s).unwrap();
    // The expiry was a mistake.
    bank.execute(
        &admin(),
        &Op::Reverse(Reversal { target: bank.last_seq().unwrap(), reason: "误操作".to_string() }),
        Mode::commit(None),
    )
    .unwrap();
    bank.release_to_city(&admin(), Minutes::ZERO, None).unwrap();
    (dir, s)
}

#[test]
fn every_kind_of_entry_has_its_own_word_in_the_ledger_and_the_passbook() {
    let (_d, s) = every_kind();
    let ledger = hourbank_ok(&s, &["report", "ledger", "--format", "csv"], "");
    let kinds: Vec<&str> = ledger.lines().skip(1).filter_map(|l| l.split(',').nth(3)).collect();
    assert!(kinds.len() >= 10, "{ledger}");
    assert!(!kinds.iter().any(|k| k.contains("其他")), "the ledger:\n{ledger}");
    for word in ["过期", "交城市池", "冲正"] {
        assert!(kinds.iter().any(|k| k.contains(word)), "{word} in the ledger:\n{ledger}");
    }
    for card in ["JH000001", "JH000002"] {
        let passbook = hourbank_ok(&s, &["report", "statement", "--card", card, "--format", "csv"], "");
        assert!(!passbook.contains("其他"), "{card}'s passbook:\n{passbook}");
    }
}

/// Issue 25 (5, 16): the passbook is what the volunteer did — the hours handed to the card's
/// city pool are the ledger's (they stay the volunteer's), so its last balance is the balance
/// `balance` gives, not this counter's 0; every deposit names its service day; the other card
/// of a transfer is masked as the holder's own is.
#[test]
fn the_passbook_is_the_volunteers_doing_and_closes_on_their_balance() {
    let (_d, s) = every_kind();
    let passbook = hourbank_ok(&s, &["report", "statement", "--card", "JH000001", "--format", "csv"], "");
    assert!(!passbook.contains("交城市池"), "{passbook}");
    let balance: serde_json::Value =
        serde_json::from_str(&hourbank_ok(&s, &["balance", "JH000001", "--json"], "")).unwrap();
    assert_eq!(balance["here_minutes"], 0, "this counter handed everything to the city");
    let shown = balance["balance_minutes"].as_u64().unwrap();
    assert!(shown > 0);
    let last = passbook.lines().last().unwrap();
    assert!(last.contains(&hourbank::domain::format_hours(shown)), "closes on {shown} minutes: {last}");
    let deposit = passbook.lines().find(|l| l.contains("入户宣传")).unwrap_or_else(|| panic!("{passbook}"));
    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
    assert!(deposit.trim_end().ends_with(&today), "the service day: {deposit}");
    assert!(!passbook.contains("JH000002") && passbook.contains("JH****02"), "{passbook}");
}
