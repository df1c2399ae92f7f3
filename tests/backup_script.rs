//! `scripts/backup.sh`, the admins' one command: a verified backup, rotation by day and
//! week, a second copy, one summary line, and old backups left alone when a backup fails.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{Duration, Local};

fn script(args: &[&str]) -> (i32, String, String) {
    let out = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/backup.sh"))
        .args(args)
        .env("HOURBANK", env!("CARGO_BIN_EXE_hourbank"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// An old backup's name for `days_ago` (its content does not matter to rotation).
fn old_backup(dir: &Path, days_ago: i64, time: &str) -> String {
    let day = (Local::now() - Duration::days(days_ago)).format("%Y%m%d");
    let name = format!("hourbank-JM-01-{day}-{time}-7.hbk");
    std::fs::write(dir.join(&name), b"old").unwrap();
    name
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    common::init_in(&store);
    let dest = dir.path().join("backups");
    std::fs::create_dir(&dest).unwrap();
    (dir, store, dest)
}

#[test]
fn keeps_the_newest_of_each_recent_day_and_removes_the_rest() {
    let (_dir, store, dest) = setup();
    let yesterday_late = old_backup(&dest, 1, "230000");
    let yesterday_early = old_backup(&dest, 1, "010000");
    let older = old_backup(&dest, 5, "120000");
    // Plaintext an older hourbank's killed `backup verify --identity` left behind.
    std::fs::write(dest.join(".hourbank-JM-01-x.hbk.age.decrypted-4242"), b"plain").unwrap();
    let (code, out, err) = script(&[
        "--store",
        store.to_str().unwrap(),
        "--dest",
        dest.to_str().unwrap(),
        "--keep-daily",
        "2",
        "--keep-weekly",
        "0",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 1, "one summary line: {out}");
    assert!(out.starts_with("hourbank backup ok: ") && out.contains("2 kept, 2 removed"), "{out}");
    let left = names(&dest);
    assert!(left.contains(&yesterday_late));
    assert!(!left.contains(&yesterday_early) && !left.contains(&older), "{left:?}");
    let new: Vec<_> = left.iter().filter(|n| **n != yesterday_late).collect();
    assert_eq!(new.len(), 1);
    let verify = Command::new(env!("CARGO_BIN_EXE_hourbank"))
        .arg("--store")
        .arg(&store)
        .args(["backup", "verify"])
        .arg(dest.join(new[0]))
        .output()
        .unwrap();
    assert!(verify.status.success(), "the new backup verifies");
}

#[test]
fn weekly_backups_outlive_the_daily_window_and_a_copy_is_made() {
    let (dir, store, dest) = setup();
    // Seven days apart: always different ISO weeks.
    let two_weeks = old_backup(&dest, 14, "120000");
    let three_weeks = old_backup(&dest, 21, "120000");
    let four_weeks = old_backup(&dest, 28, "120000");
    let usb = dir.path().join("usb");
    let (code, out, err) = script(&[
        "--store",
        store.to_str().unwrap(),
        "--dest",
        dest.to_str().unwrap(),
        "--keep-daily",
        "1",
        "--keep-weekly",
        "3",
        "--copy-to",
        usb.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let left = names(&dest);
    // This week (the new one), and the two most recent earlier weeks.
    assert!(left.contains(&two_weeks) && left.contains(&three_weeks), "{left:?}");
    assert!(!left.contains(&four_weeks), "{left:?}");
    assert!(out.contains(&format!("copied to {}", usb.display())), "{out}");
    assert_eq!(names(&usb).len(), 1);
}

#[test]
fn a_failed_backup_deletes_nothing_and_says_why() {
    let (dir, _store, dest) = setup();
    let kept = old_backup(&dest, 30, "120000");
    let missing = dir.path().join("no-store");
    let (code, out, err) = script(&[
        "--store",
        missing.to_str().unwrap(),
        "--dest",
        dest.to_str().unwrap(),
        "--keep-daily",
        "1",
        "--keep-weekly",
        "0",
    ]);
    assert_ne!(code, 0);
    assert!(out.is_empty(), "{out}");
    assert!(err.starts_with("hourbank backup FAILED: ") && err.contains("no hourbank store"), "{err}");
    assert_eq!(names(&dest), vec![kept], "old backups are never deleted when the new one failed");
    let (code, _, err) = script(&["--dest", dest.to_str().unwrap(), "--keep-daily", "zero"]);
    assert_eq!(code, 2, "{err}");
}
