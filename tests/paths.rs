//! Store paths and what `init` may touch: `--store .`, a store inside a folder of other files,
//! a failed init, and a store path that is a file.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::{hourbank, hourbank_ok};

fn init_args() -> [&'static str; 7] {
    ["init", "--counter", "JM-01", "--admin", "A01", "--admin-name", "管理员"]
}

#[test]
fn store_dot_uses_the_same_pin_key_as_the_full_path() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    hourbank_ok(&store, &init_args(), "2468\n");
    let key = tmp.path().join("store.pepper");
    let key_before = std::fs::read(&key).unwrap();
    for dot in [".", "./", "../store/.", "../store/sled/.."] {
        let out = Command::new(env!("CARGO_BIN_EXE_hourbank"))
            .current_dir(&store)
            .args(["--store", dot, "staff", "list"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{dot}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!String::from_utf8_lossy(&out.stderr).contains("PIN key"), "{dot}: a new key was made");
    }
    assert_eq!(std::fs::read(&key).unwrap(), key_before);
    let peppers: Vec<_> = std::fs::read_dir(&store)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".pepper"))
        .collect();
    assert!(peppers.is_empty(), "a key file inside the store: {peppers:?}");
}

#[test]
fn init_refuses_a_folder_of_other_files_and_touches_none_of_them() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let note = home.join("notes.txt");
    std::fs::write(&note, "mine").unwrap();
    std::fs::set_permissions(&note, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (code, _, err) = hourbank(&home, &init_args(), "2468\n");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not an hourbank store"), "{err}");
    assert_eq!(std::fs::metadata(&note).unwrap().permissions().mode() & 0o777, 0o644);
    assert_eq!(std::fs::metadata(&home).unwrap().permissions().mode() & 0o777, 0o755);
    assert!(!tmp.path().join("home.pepper").exists());
    assert!(!home.join("sled").exists());
}

#[test]
fn opening_a_store_tightens_only_the_files_hourbank_made() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    hourbank_ok(&store, &init_args(), "2468\n");
    let stray = store.join("README-admin.txt");
    std::fs::write(&stray, "kept as it is").unwrap();
    std::fs::set_permissions(&stray, std::fs::Permissions::from_mode(0o644)).unwrap();
    hourbank_ok(&store, &["staff", "list"], "");
    assert_eq!(std::fs::metadata(&stray).unwrap().permissions().mode() & 0o777, 0o644);
    assert_eq!(std::fs::metadata(store.join("journal.copy")).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn a_failed_init_leaves_no_folder_and_no_key_file() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let (code, _, err) = hourbank(&store, &init_args(), "12\n");
    assert_eq!(code, 2, "{err}");
    assert!(!store.exists(), "the store folder was left behind");
    assert!(!tmp.path().join("store.pepper").exists(), "the key file was left behind");
}

#[test]
fn a_store_path_that_is_a_file_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("store");
    std::fs::write(&file, "not a store").unwrap();
    for args in [&["balance", "JH000001"][..], &["staff", "list"][..], &["check"][..]] {
        let (code, _, err) = hourbank(&file, args, "");
        assert_eq!(code, 3, "{args:?}: {err}");
        assert!(err.contains("is a file, not a directory"), "{args:?}: {err}");
    }
}

/// A store made just now raises no alarm about its own files (sled makes them with the umask;
/// the counter's --demo once opened on a red warning about them).
#[test]
fn a_fresh_store_warns_about_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let bank = common::init_in(&tmp.path().join("store"));
    assert_eq!(bank.permission_warning(), None);
    drop(bank);
    // Loosened by hand afterwards, it is reported.
    let db = tmp.path().join("store").join("sled").join("db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let bank = hourbank::bank::Bank::open(&tmp.path().join("store")).unwrap();
    assert!(bank.permission_warning().is_some_and(|w| w.to_string().contains("readable by other users")));
}
