//! `check` finds tampering with the journal and drift in any projection, naming the invariant.

use crate::common;

use common::*;
use hourbank::bank::{Mode, Op, Redemption};
use hourbank::store::codec;
use hourbank::store::records::AccountRecord;
use hourbank::store::tree;

fn sample() -> (tempfile::TempDir, hourbank::bank::Bank, u64) {
    let (d, bank) = new_bank();
    let vol = register(&bank, "C1", "李明");
    register(&bank, "C2", "王芳");
    let a = activity(&bank, "入户宣传");
    let soap = reward(&bank, "洗衣液", 1, Some(5));
    bank.execute(&admin(), &Op::Deposit(deposit("C1", a, 180)), Mode::commit(None)).unwrap();
    bank.execute(
        &admin(),
        &Op::Redeem(Redemption { card: card("C1"), reward: soap, qty: 1 }),
        Mode::commit(None),
    )
    .unwrap();
    bank.execute(&admin(), &Op::Deposit(deposit("C2", a, 60)), Mode::commit(None)).unwrap();
    assert_checks(&bank);
    (d, bank, vol)
}

fn problems(bank: &hourbank::bank::Bank) -> Vec<(u8, String)> {
    let r = bank.check().unwrap();
    assert!(!r.ok);
    r.problems.into_iter().map(|p| (p.invariant, p.detail)).collect()
}

#[test]
fn one_edited_byte_in_the_journal_is_found_and_located() {
    let (_d, bank, _) = sample();
    let (seq, value) = bank.store().journal_raw().nth(6).unwrap().unwrap();
    let mut bytes = value.clone();
    // Change the counter name inside the event: still decodable, so only the hash can tell.
    let at = bytes.windows(5).position(|w| w == b"JM-01").expect("counter in event");
    bytes[at + 4] = b'2';
    bank.store().tamper_journal_value(seq, bytes).unwrap();
    let found = problems(&bank);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, 4);
    assert!(found[0].1.contains(&format!("hash chain broken at seq {seq}")), "{found:?}");
}

#[test]
fn an_undecodable_journal_value_is_named_not_a_panic() {
    let (_d, bank, _) = sample();
    bank.store().tamper_journal_value(5, vec![1, 255, 255, 255]).unwrap();
    let found = problems(&bank);
    assert!(found.iter().any(|(i, d)| *i == 4 && d.contains("seq 5")), "{found:?}");
}

#[test]
fn a_missing_event_breaks_contiguity() {
    let (_d, bank, _) = sample();
    bank.store().tamper_journal(4, None).unwrap();
    let found = problems(&bank);
    assert!(found.iter().any(|(i, d)| *i == 4 && d.contains("jumps from seq 3 to seq 5")), "{found:?}");
}

#[test]
fn a_drifted_balance_is_invariant_1() {
    let (_d, bank, vol) = sample();
    let mut record: AccountRecord = bank.store().account_record(vol).unwrap().unwrap();
    record.totals.earned += 60;
    bank.store().tamper_tree(tree::ACCOUNTS, &vol.to_be_bytes(), Some(record.encode().unwrap())).unwrap();
    let found = problems(&bank);
    assert_eq!(found, vec![(1, format!("volunteer {vol}: stored balance 180 ≠ journal 120"))]);
}

#[test]
fn drifted_stock_is_invariant_2_and_a_lost_card_is_invariant_5() {
    let (_d, bank, _) = sample();
    let soap = bank.find_reward("洗衣液").unwrap().id;
    bank.store().tamper_tree(tree::STOCK, &soap.to_be_bytes(), Some(codec::encode(&9u32).unwrap())).unwrap();
    bank.store().tamper_tree(tree::CARD_INDEX, b"C2", None).unwrap();
    let found = problems(&bank);
    assert!(found.iter().any(|(i, _)| *i == 2), "{found:?}");
    assert!(found.iter().any(|(i, d)| *i == 5 && d.contains("card index")), "{found:?}");
}

#[test]
fn a_corrupt_projection_value_is_an_error_naming_tree_and_key() {
    let (_d, bank, vol) = sample();
    bank.store().tamper_tree(tree::ACCOUNTS, &vol.to_be_bytes(), Some(vec![1, 0xff])).unwrap();
    let err = bank.check().unwrap_err().to_string();
    assert!(err.contains("accounts/") && err.contains(&vol.to_string()), "{err}");
    let err = bank.find_card(&card("C1")).unwrap_err().to_string();
    assert!(err.contains("accounts/"), "{err}");
}
