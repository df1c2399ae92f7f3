//! A counter's registered code: given at `init` or set once later, journalled, never changed,
//! and checked like every other entry.

mod common;

use common::*;

#[test]
fn a_code_given_at_init_is_the_counters_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("store");
    let out = hourbank_ok(
        &s,
        &["init", "--counter", "白沙服务台", "--admin", "A01", "--admin-name", "王芳", "--code", "jh-ll-01"],
        "1234\n",
    );
    assert!(out.contains("(JH-LL-01)"), "{out}");
    assert_eq!(hourbank_ok(&s, &["code", "show"], "").trim(), "JH-LL-01");
    let (code, _, err) = hourbank(&s, &["code", "set", "JH-LL-02"], "");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("already JH-LL-01") && err.contains("set once"), "{err}");
    assert_eq!(hourbank_ok(&s, &["code", "show"], "").trim(), "JH-LL-01", "unchanged");
    assert!(hourbank_ok(&s, &["check"], "").contains("all invariants hold"));
}

#[test]
fn a_store_made_before_codes_gets_one_set_once_by_an_admin() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("store");
    drop(init_in(&s));
    assert_eq!(hourbank_ok(&s, &["code", "show"], "").trim(), "", "none yet");
    let (code, _, err) = hourbank(&s, &["code", "set", "JH LL"], "");
    assert_eq!(code, 2, "a bad code is bad input: {err}");
    assert!(err.contains("counter code"), "{err}");
    let out = hourbank_ok(&s, &["code", "set", "PJ-BS-03"], "");
    assert!(out.starts_with("saved #") && out.contains("PJ-BS-03"), "{out}");
    assert_eq!(hourbank_ok(&s, &["code", "show"], "").trim(), "PJ-BS-03");
    let bank = hourbank::bank::Bank::open(&s).unwrap();
    let last = bank.event(bank.last_seq().unwrap()).unwrap();
    assert_eq!(last.kind().name(), "counter_code_set", "journalled");
    assert!(matches!(last.body.actor, hourbank::domain::Actor::Cli(_)), "by whom");
    drop(bank);
    assert!(hourbank_ok(&s, &["check"], "").contains("all invariants hold"));
    let (code, _, _) = hourbank(&s, &["code", "set", "PJ-BS-04"], "");
    assert_eq!(code, 1, "set once");
}
