//! Secrets at the counter (issue 22): the settings file names the city server and stays 0600
//! whoever writes it (the admin screen's save wrote 0644); one others can read is tightened at
//! load, with a warning; a private file's temporary name swapped for a symlink while a workbook
//! is written never sends the workbook through it.

use crate::counter;

use std::os::unix::fs::PermissionsExt;

use counter::Counter;
use crossterm::event::KeyCode;
use hourbank::tui::app::Status;
use hourbank::tui::config::Config;
use hourbank::tui::i18n::Lang;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A settings file as an installer might leave it: world-readable, naming the city server.
fn loose_config(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(&path, "[sync]\nurl = \"https://city.example:7443\"\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    path
}

/// What `hourbank city check` (which reads the city server from the settings file) says on
/// its standard error.
fn city_check_stderr(config: &std::path::Path) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hourbank"))
        .args(["city", "check"])
        .env("HOURBANK_CONFIG", config)
        // Any city key: the check stops at the server, which does not answer.
        .env(
            "HOURBANK_CITY_KEY",
            hourbank::bank::public_text(&ed25519_dalek::SigningKey::from_bytes(&[1; 32]).verifying_key()),
        )
        .env_remove("HOURBANK_CITY_URL")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_admin_screens_settings_save_keeps_the_file_0600() {
    let dir = tempfile::tempdir().unwrap();
    let path = loose_config(dir.path());
    let file = path.clone();
    let mut c = Counter::seeded_with(Lang::En, move |o| {
        o.config = Config::load(&file).unwrap();
        o.config_path = Some(file);
    });
    assert_eq!(mode(&path), 0o600, "tightened when it was read");
    c.login("A01", "1234").key(KeyCode::F(8));
    for _ in 0..4 {
        c.key(KeyCode::Tab);
    }
    c.typed("e").key(KeyCode::Tab);
    for _ in 0..3 {
        c.key(KeyCode::Backspace);
    }
    c.typed("300").enter();
    assert!(matches!(c.app.status(), Status::Saved(_)), "{:?}", c.app.status());
    let written = Config::load(&path).unwrap();
    assert_eq!(written.idle_seconds, 300);
    assert_eq!(written.sync.url.as_deref(), Some("https://city.example:7443"), "kept");
    assert_eq!(mode(&path), 0o600, "the save wrote it private");
    assert!(written.loosened.is_none());
}

#[test]
fn a_settings_file_others_can_read_is_tightened_at_load_and_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = loose_config(dir.path());
    let config = Config::load(&path).unwrap();
    assert_eq!(config.loosened.as_deref(), Some(path.as_path()));
    assert_eq!(mode(&path), 0o600);
    // The command line says so when it reads one.
    let err = city_check_stderr(&path);
    assert!(!err.contains("readable by other users"), "already tightened: {err}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o604)).unwrap();
    let err = city_check_stderr(&path);
    assert!(err.contains("readable by other users") && err.contains("0600"), "{err}");
    assert_eq!(mode(&path), 0o600);
}

/// The attack tried: while the workbook is written, the temporary file's name is swapped for a
/// symlink to a file of someone else's. The workbook goes to the file that was opened, never
/// through the name; the swap is noticed before the rename, and the victim is untouched.
#[test]
fn a_temporary_name_swapped_for_a_symlink_mid_write_captures_nothing_and_overwrites_nothing() {
    use hourbank::report::sheet::{Cell, Sheet, col, write_xlsx};
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, b"root's file").unwrap();
    let target = dir.path().join("ledger.xlsx");
    let sheets = vec![Sheet::new("台账", &[col("姓名", 10.0)], vec![vec![Cell::text("陈华佩")]], false)];
    let result = hourbank::report::write_private(&target, |file| -> std::io::Result<()> {
        // The attacker: find the temporary file by its name and put a symlink there.
        let tmp = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().contains(".partial"))
            .expect("the temporary file is beside the target");
        std::fs::remove_file(&tmp).unwrap();
        std::os::unix::fs::symlink(&victim, &tmp).unwrap();
        write_xlsx(&sheets, file).map_err(|e| std::io::Error::other(e.to_string()))
    });
    let err = result.unwrap_err().to_string();
    assert!(err.contains("replaced by another file"), "{err}");
    assert_eq!(std::fs::read(&victim).unwrap(), b"root's file", "the victim is untouched");
    assert!(!target.exists(), "nothing was saved under the attacker's file");
    // Without an attacker the same call writes the workbook, 0600.
    hourbank::report::write_private(&target, |file| -> std::io::Result<()> {
        write_xlsx(&sheets, file).map_err(|e| std::io::Error::other(e.to_string()))
    })
    .unwrap();
    assert_eq!(mode(&target), 0o600);
    assert!(std::fs::read(&target).unwrap().starts_with(b"PK"), "a workbook");
}

/// `HOURBANK_CONFIG=/dev/null` (as scripts and tests set it) is read as no settings and never
/// chmodded: only a regular file is tightened.
#[test]
fn a_settings_path_that_is_no_regular_file_is_never_tightened() {
    let null = std::path::Path::new("/dev/null");
    let before = mode(null);
    let config = Config::load(null);
    let after = mode(null);
    if after != before {
        std::fs::set_permissions(null, std::fs::Permissions::from_mode(before)).unwrap();
    }
    assert_eq!(after, before, "/dev/null was chmodded");
    assert!(config.unwrap().loosened.is_none());
}
