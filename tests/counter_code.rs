//! A counter's registered code: given at `init` or set once later, journalled, never changed,
//! and checked like every other entry.

use crate::common;

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
    let shown = hourbank_ok(&s, &["code", "show"], "");
    let key = public_key(&shown, "JH-LL-01");
    let (code, _, err) = hourbank(&s, &["code", "set", "JH-LL-02"], "");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("already JH-LL-01") && err.contains("set once"), "{err}");
    assert_eq!(hourbank_ok(&s, &["code", "show"], ""), shown, "unchanged, and the same key");
    assert_eq!(public_key(&shown, "JH-LL-01"), key);
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
    public_key(&hourbank_ok(&s, &["code", "show"], ""), "PJ-BS-03");
    let bank = hourbank::bank::Bank::open(&s).unwrap();
    let last = bank.event(bank.last_seq().unwrap()).unwrap();
    assert_eq!(last.kind().name(), "counter_code_set", "journalled");
    assert!(matches!(last.body.actor, hourbank::domain::Actor::Cli(_)), "by whom");
    drop(bank);
    assert!(hourbank_ok(&s, &["check"], "").contains("all invariants hold"));
    let (code, _, _) = hourbank(&s, &["code", "set", "PJ-BS-04"], "");
    assert_eq!(code, 1, "set once");
}

/// `code show`'s line: the code, then the public key the city's admin enrolls.
fn public_key(shown: &str, code: &str) -> ed25519_dalek::VerifyingKey {
    let (c, key) = shown.trim().split_once(' ').expect("code and key");
    assert_eq!(c, code, "{shown}");
    hourbank::bank::parse_public(key).unwrap_or_else(|| panic!("a public key: {shown}"))
}

/// The counter's signing key lives beside the store, out of every backup, 0400; a copy others
/// can read is refused at open, saying what to do.
#[test]
fn the_signing_key_is_made_with_the_code_kept_0400_and_refused_when_others_can_read_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("store");
    drop(init_in(&s));
    let key_file = hourbank::bank::counter_key_path(&s);
    assert!(!key_file.exists(), "no code, no key");
    hourbank_ok(&s, &["code", "set", "JH-LL-01"], "");
    assert!(!key_file.starts_with(&s), "outside the store, so outside every backup");
    assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o400);
    let shown = hourbank_ok(&s, &["code", "show"], "");
    let public = public_key(&shown, "JH-LL-01");
    let key = hourbank::bank::Bank::open(&s).unwrap().counter_key().unwrap().unwrap();
    assert_eq!(key.verifying_key(), public);
    drop(key);
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, _, err) = hourbank(&s, &["code", "show"], "");
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("readable by other users") && err.contains("chmod 400"), "{err}");
}
