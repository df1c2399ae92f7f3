//! Files with personal data and what a spreadsheet makes of them: exports are private (0600)
//! and never written through a planted link; text that a spreadsheet would run as a formula
//! is neutralised; names that would spoof others on screen are refused.

use crate::common;

use std::os::unix::fs::PermissionsExt;

use common::{hourbank, hourbank_ok};

fn store() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    hourbank_ok(
        &store,
        &["init", "--counter", "JM-01", "--admin", "A01", "--admin-name", "管理员"],
        "2468\n",
    );
    (tmp, store)
}

#[test]
fn full_exports_are_private_and_a_planted_link_is_not_followed() {
    let (tmp, store) = store();
    hourbank_ok(
        &store,
        &["volunteer", "add", "--card", "JH000001", "--name", "陈华佩", "--phone", "13800138000"],
        "",
    );
    let victim = tmp.path().join("victim.txt");
    std::fs::write(&victim, "someone else's file").unwrap();
    let out = tmp.path().join("people.csv");
    // The names the old writer used for its temporary file.
    std::os::unix::fs::symlink(&victim, tmp.path().join("people.partial")).unwrap();
    std::os::unix::fs::symlink(&victim, tmp.path().join("people.csv.partial")).unwrap();
    hourbank_ok(&store, &["export", "volunteers", "--full", "--out", out.to_str().unwrap()], "");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "someone else's file");
    assert!(std::fs::read_to_string(&out).unwrap().contains("13800138000"));
    assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    for (args, name) in [
        (vec!["report", "ledger", "--full"], "ledger.xlsx"),
        (vec!["report", "ledger", "--full"], "ledger.csv"),
        (vec!["certificate", "issue", "JH000001"], "certificate.txt"),
    ] {
        let path = tmp.path().join(name);
        let mut args = args.clone();
        args.extend(["--out", path.to_str().unwrap()]);
        hourbank_ok(&store, &args, "");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600, "{name}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name().to_string_lossy().contains(".partial")
                && e.file_name() != "people.partial"
                && e.file_name() != "people.csv.partial"
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn text_that_a_spreadsheet_would_run_is_neutralised_in_csv() {
    let (tmp, store) = store();
    let formula = "=cmd|' /C calc'!A0";
    hourbank_ok(&store, &["activity", "add", formula], "");
    hourbank_ok(
        &store,
        &["volunteer", "add", "--card", "JH000001", "--name", "+SUM(1,1)", "--community", "@SUM(A1)"],
        "",
    );
    hourbank_ok(&store, &["deposit", "--card", "JH000001", "--hours", "2", "--activity", formula], "");
    let entries = hourbank_ok(&store, &["export", "entries"], "");
    assert!(entries.contains("'=cmd|"), "{entries}");
    assert!(!entries.contains(",=cmd"), "{entries}");
    let volunteers = hourbank_ok(&store, &["export", "volunteers"], "");
    assert!(volunteers.contains("'+SUM(1,1)") && volunteers.contains("'@SUM(A1)"), "{volunteers}");
    let balances = hourbank_ok(&store, &["export", "balances"], "");
    assert!(
        balances.contains("'+SUM(1,1)") && balances.contains(",120,"),
        "numbers stay numbers: {balances}"
    );
    let out = tmp.path().join("m.csv");
    hourbank_ok(&store, &["report", "ledger", "--out", out.to_str().unwrap()], "");
    let ledger = std::fs::read_to_string(&out).unwrap();
    assert!(!ledger.contains(",=cmd") && !ledger.lines().any(|l| l.starts_with('=')), "{ledger}");
}

#[test]
fn names_with_invisible_or_direction_changing_characters_are_refused() {
    let (_tmp, store) = store();
    for name in ["abc\u{202e}fed", "陈\u{200b}华佩", "x\u{2066}y", "\u{feff}陈华佩", "a\u{1b}[41mb"] {
        let (code, _, err) =
            hourbank(&store, &["volunteer", "add", "--card", "JH000009", "--name", name], "");
        assert_eq!(code, 2, "{name:?} accepted: {err}");
        assert!(!err.contains('\u{202e}') && !err.contains('\u{1b}'), "the refusal prints the character raw");
    }
}
