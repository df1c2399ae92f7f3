//! The command line speaks to people in their language (`--lang`, else the locale) and to
//! scripts in one: refusals and warnings change, JSON keys, exit codes and tables do not.

use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use common::*;

/// Runs the binary with `locale` as `LC_ALL`.
fn run(store: &Path, locale: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hourbank"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env("LC_ALL", locale)
        .stdin(Stdio::null())
        .output()
        .expect("hourbank runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn store() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let bank = init_in(&path);
    register(&bank, "JH000001", "陈华佩");
    activity(&bank, "入户宣传");
    (dir, path)
}

#[test]
fn refusals_follow_the_flag_then_the_locale_and_json_keys_stay() {
    let (_d, s) = store();
    let (code, _, err) = run(&s, "zh_CN.UTF-8", &["balance", "JH999999"]);
    assert_eq!(code, 1);
    assert!(err.contains("卡号 JH999999 不存在"), "the locale says zh: {err}");
    let (code, _, err) = run(&s, "zh_CN.UTF-8", &["--lang", "en", "balance", "JH999999"]);
    assert_eq!(code, 1);
    assert!(err.contains("JH999999") && !err.contains("卡号"), "the flag wins: {err}");
    // After the subcommand too (a global flag).
    let (_, _, err) = run(&s, "C", &["balance", "JH999999", "--lang", "zh"]);
    assert!(err.contains("卡号 JH999999 不存在"), "{err}");
    // A bad duration, in zh; the exit code is the same in both languages.
    let (code, _, err) = run(
        &s,
        "C",
        &["--lang", "zh", "deposit", "--card", "JH000001", "--activity", "入户宣传", "--hours", "lots"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(!err.contains("not understood"), "{err}");
    // Scripts read the same JSON whatever the language: the keys stay, the message is the person's.
    let (_, out, _) = run(&s, "zh_CN.UTF-8", &["balance", "JH999999", "--json"]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect(&out);
    assert_eq!(v["error"]["code"], 1);
    assert!(v["error"]["message"].as_str().unwrap().contains("不存在"), "{v}");
    // What scripts parse on success is unchanged.
    let (_, out, _) = run(&s, "zh_CN.UTF-8", &["balance", "JH000001", "--json"]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect(&out);
    assert!(v.get("balance_minutes").is_some() || v.get("balance").is_some(), "{v}");
}

/// The store's own warnings (files others could read) are said in the person's language too.
#[test]
fn a_permission_warning_is_said_in_chinese_under_a_chinese_locale() {
    use std::os::unix::fs::PermissionsExt;
    let (_d, s) = store();
    std::fs::set_permissions(s.join("sled").join("conf"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, _, err) = run(&s, "zh_CN.UTF-8", &["check"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("hourbank: 警告: 存储中有 1 个文件曾可被其他用户读取"), "{err}");
}

/// A command forwarded to the process holding the store answers in the language of the
/// person who typed it, not of the counter serving it.
#[test]
fn a_forwarded_command_answers_in_the_clients_language() {
    let (_d, s) = store();
    let bank = Arc::new(hourbank::bank::Bank::open(&s).unwrap());
    let _server =
        hourbank::control::ControlSocket::start(&s, hourbank::cli::forward::handler(bank), Arc::new(|_| {}))
            .unwrap();
    let (code, _, err) = run(&s, "zh_CN.UTF-8", &["balance", "JH999999"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("卡号 JH999999 不存在"), "{err}");
    let (code, _, err) = run(&s, "C", &["balance", "JH999999"]);
    assert_eq!(code, 1, "{err}");
    assert!(!err.contains("卡号"), "{err}");
}

/// Issue 25 (low): `certificate verify` spoke English under `--lang zh`, valid or not.
#[test]
fn certificate_verify_answers_in_the_persons_language() {
    let (_d, s) = store();
    run(&s, "C", &["deposit", "--card", "JH000001", "--activity", "入户宣传", "--hours", "2"]);
    let (code, page, err) = run(&s, "C", &["certificate", "issue", "JH000001"]);
    assert_eq!(code, 0, "{err}");
    let certificate =
        page.lines().skip_while(|l| !l.starts_with("验证码")).nth(1).unwrap().trim().to_string();
    let (code, out, err) = run(&s, "C", &["--lang", "zh", "certificate", "verify", &certificate]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("有效：陈华佩 JH000001 于 ") && out.contains("服务 2 小时"), "{out}");
    let mut forged = certificate.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let (code, _, err) = run(&s, "zh_CN.UTF-8", &["certificate", "verify", &forged]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("无效：验证码不符") && !err.contains("NOT valid"), "{err}");
    // English stays what scripts match.
    let (_, out, _) = run(&s, "C", &["certificate", "verify", &certificate]);
    assert!(out.starts_with("valid: 陈华佩 JH000001 served 2 h"), "{out}");
    // And `balance`'s line for people (it was English under --lang zh).
    let (_, out, _) = run(&s, "C", &["--lang", "zh", "balance", "JH000001"]);
    assert_eq!(out.trim(), "JH000001 陈华佩：余额 2 小时 = 获得 2 小时", "{out}");
    let (_, out, _) = run(&s, "C", &["balance", "JH000001"]);
    assert_eq!(out.trim(), "JH000001 陈华佩: balance 2h = earned 2h", "{out}");
}

/// Issue 25 (low): a city service that cannot be reached was said in English under --lang zh.
#[test]
fn an_unreachable_city_is_said_in_the_persons_language() {
    let (_d, s) = store();
    let (code, _, err) = run(&s, "C", &["code", "set", "JH-A-01"]);
    assert_eq!(code, 0, "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_hourbank"))
        .arg("--store")
        .arg(&s)
        .args(["--lang", "zh", "certificate", "verify", "JH000001-20260101-20261205-C1-ABCDEFGH"])
        .env("LC_ALL", "C")
        .env("HOURBANK_CITY_URL", "http://127.0.0.1:9")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("无法连接城市服务"), "{err}");
}

/// Issue 25 (low): the close matches after an unknown activity were said in English under zh.
#[test]
fn close_matches_are_said_in_the_persons_language() {
    let (_d, s) = store();
    let (code, _, err) = run(
        &s,
        "C",
        &["--lang", "zh", "deposit", "--card", "JH000001", "--activity", "rhxc", "--hours", "1"],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("；相近的服务项目：入户宣传") && !err.contains("close matches"), "{err}");
}

/// An import speaks the person's language: its summary, and a refusal line by line with each
/// reason (they were English under `--lang zh` and a Chinese locale). English stays as it was.
#[test]
fn an_import_and_its_bad_rows_are_said_in_the_persons_language() {
    let (d, s) = store();
    let file = d.path().join("entries.csv");
    let header = "id,timestamp,card_no,kind,minutes,memo\n";
    std::fs::write(
        &file,
        format!(
            "{header}1,2025-03-01 09:00,JH000001,deposit,60,入户宣传\n2,2025-03-01,JH000001,deposit,六十,入户宣传\n3,2025-03-01,JH000404,deposit,60,入户宣传\n"
        ),
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let (code, _, err) = run(&s, "zh_CN.UTF-8", &["import", "entries", path]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("2 行有误，一行也没有导入"), "{err}");
    assert!(err.contains("第 3 行：分钟 \"六十\" 须为大于 0 的整数"), "{err}");
    assert!(err.contains("第 4 行：没有卡号为 JH000404 的志愿者"), "{err}");
    let (code, _, err) = run(&s, "C", &["import", "entries", path]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("2 bad row(s); nothing was imported"), "{err}");
    assert!(err.contains("line 3: minutes \"六十\" must be a whole number greater than 0"), "{err}");

    std::fs::write(&file, format!("{header}1,2025-03-01 09:00,JH000001,deposit,60,入户宣传\n")).unwrap();
    let (code, out, err) = run(&s, "C", &["--lang", "zh", "import", "entries", path]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "已导入 1 行（共 1 行，0 行此前已导入）；新建活动 0 个、奖品 0 个");
    let (_, out, _) = run(&s, "C", &["import", "entries", path]);
    assert_eq!(out.trim(), "imported 0 of 1 rows (1 already present); created 0 activities and 0 rewards");
}
