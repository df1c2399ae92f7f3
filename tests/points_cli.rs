//! The civic points (文明积分) through the real binary (issue 27): a coupon credited twice is
//! refused the second time saying when; at another counter, saying where it is taken; a
//! forged check code is refused; a credit the standard flags waits for two different people;
//! residents hold points, never hours. Both languages.

use std::path::{Path, PathBuf};

use crate::common::hourbank;
use tempfile::TempDir;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The real binary in `lang` (`--lang`), whatever the machine's locale.
fn hb(store: &Path, lang: &str, args: &[&str], stdin: &str) -> Out {
    let (code, stdout, stderr) = hourbank(store, &[&["--lang", lang], args].concat(), stdin);
    Out { code, stdout, stderr }
}

const STANDARD: &str = r#"
effective = "2026-01-01"
review_over = 50
[[item]]
code = "HJ-01"
category = "环境卫生"
name = "垃圾分类投放正确"
points = 2
day_cap = 6
[[item]]
code = "LL-01"
category = "邻里互助"
name = "帮扶独居老人"
points = 10
review = true
"#;

/// A counter with code `code`, the standard published, resident R0001 and volunteer V0001.
struct Counter {
    _dir: TempDir,
    store: PathBuf,
}

impl Counter {
    fn new(code: &str) -> Counter {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let c = Counter { _dir: dir, store };
        c.ok(
            &["init", "--counter", "潮连兑换站", "--admin", "A01", "--admin-name", "管理员", "--code", code],
            "1234\n",
        );
        let file = c.store.with_file_name("standard.toml");
        std::fs::write(&file, STANDARD).unwrap();
        c.ok(&["standard", "publish", file.to_str().unwrap()], "");
        c.ok(
            &["resident", "add", "R0001", "--name", "陈阿婆", "--community", "潮连", "--phone-tail", "1234"],
            "",
        );
        c.ok(&["volunteer", "add", "--card", "V0001", "--name", "李明", "--phone", "13800138000"], "");
        c
    }
    fn run(&self, lang: &str, args: &[&str], stdin: &str) -> Out {
        hb(&self.store, lang, args, stdin)
    }
    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let o = self.run("en", args, stdin);
        assert_eq!(o.code, 0, "{args:?} failed: {}", o.stderr);
        o.stdout
    }
    fn refused(&self, lang: &str, args: &[&str]) -> String {
        let o = self.run(lang, args, "");
        assert_eq!(o.code, 1, "{args:?} should be refused: {} / {}", o.stdout, o.stderr);
        o.stderr
    }
    /// Issues a batch and returns its numbers (from the batch's CSV sheet).
    fn issue(&self, count: &str) -> Vec<String> {
        let sheet = self.store.with_file_name("sheet.csv");
        self.ok(
            &[
                "coupon",
                "issue",
                "--item",
                "HJ-01",
                "--count",
                count,
                "--expires",
                "2099-12-31",
                "--holder",
                "张督导 潮连市场",
                "--sheet",
                sheet.to_str().unwrap(),
            ],
            "",
        );
        let text = std::fs::read_to_string(&sheet).unwrap();
        text.lines().skip(1).map(|l| l.split(',').next().unwrap().to_string()).collect()
    }
    fn points(&self, card: &str) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["points", "balance", card, "--json"], "")).unwrap()
    }
    fn check(&self) {
        let out = self.ok(&["check"], "");
        assert!(out.contains("all invariants hold"), "{out}");
    }
}

#[test]
fn a_coupon_is_credited_once_and_the_second_use_says_when_in_both_languages() {
    let c = Counter::new("JH-A-01");
    let numbers = c.issue("3");
    assert_eq!(numbers.len(), 3);
    assert!(numbers[0].starts_with("JH-A-01.1.1."), "{numbers:?}");
    let out = c.ok(&["points", "coupon", "R0001", "--number", &numbers[0]], "");
    assert!(out.contains("+2 pts"), "{out}");
    assert_eq!(c.points("R0001")["balance"], 2);
    let first_seq: u64 = out.split(['#', ':']).nth(1).unwrap().parse().unwrap();

    // Again, for the same person or another: refused, naming when and which entry.
    let en = c.refused("en", &["points", "coupon", "V0001", "--number", &numbers[0]]);
    let day = chrono::Local::now().format("%Y-%m-%d").to_string();
    assert!(
        en.contains("already credited on") && en.contains(&day) && en.contains(&format!("entry {first_seq}")),
        "{en}"
    );
    let zh = c.refused("zh", &["points", "coupon", "R0001", "--number", &numbers[0].to_lowercase()]);
    assert!(zh.contains("已于") && zh.contains(&day) && zh.contains(&format!("第 {first_seq} 笔")), "{zh}");
    assert_eq!(c.points("R0001")["balance"], 2, "nothing credited by the refused tries");
    assert_eq!(c.points("V0001")["balance"], 0);

    // A voided coupon is refused with the reason; the others still credit.
    c.ok(&["coupon", "void", "1", "3", "--reason", "督导员遗失"], "");
    let voided = c.refused("zh", &["points", "coupon", "R0001", "--number", &numbers[2]]);
    assert!(voided.contains("已作废") && voided.contains("督导员遗失"), "{voided}");
    c.ok(&["points", "coupon", "V0001", "--number", &numbers[1]], "");
    let list = c.ok(&["coupon", "list", "--json"], "");
    let batches: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(batches[0]["used"], 2);
    assert_eq!(batches[0]["voided"], 1);
    assert_eq!(batches[0]["outstanding"], 0);
    c.check();
}

#[test]
fn a_forged_or_altered_coupon_number_is_refused_and_another_counters_names_where() {
    let a = Counter::new("JH-A-01");
    let b = Counter::new("JH-B-02");
    let numbers = a.issue("2");
    let real = &numbers[0];

    // One letter of the check code changed, and the serial changed under a valid check code.
    let mut forged = real.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'X' { 'Y' } else { 'X' });
    for lang in ["en", "zh"] {
        let e = a.refused(lang, &["points", "coupon", "R0001", "--number", &forged]);
        assert!(e.contains("check code") || e.contains("校验码"), "{e}");
    }
    let check = real.rsplit('.').next().unwrap();
    let moved = format!("JH-A-01.1.2.{check}");
    let e = a.refused("en", &["points", "coupon", "R0001", "--number", &moved]);
    assert!(e.contains("check code"), "{e}");
    // A coupon of a batch never issued, with a made-up check code.
    let e = a.refused("en", &["points", "coupon", "R0001", "--number", "JH-A-01.9.1.ABCDE"]);
    assert!(e.contains("check code"), "{e}");
    assert_eq!(a.points("R0001")["balance"], 0);

    // At counter B the real coupon is refused, naming the counter that takes it.
    let en = b.refused("en", &["points", "coupon", "R0001", "--number", real]);
    assert!(en.contains("only at counter JH-A-01"), "{en}");
    let zh = b.refused("zh", &["points", "coupon", "R0001", "--number", real]);
    assert!(zh.contains("只能在 JH-A-01 柜台使用"), "{zh}");
    assert_eq!(b.points("R0001")["balance"], 0);
    // Counter A still takes it.
    a.ok(&["points", "coupon", "R0001", "--number", real], "");
    assert_eq!(a.points("R0001")["balance"], 2);
    a.check();
    b.check();
}

#[test]
fn a_flagged_credit_waits_for_a_verifier_and_then_another_person_to_approve() {
    let c = Counter::new("JH-A-01");
    c.ok(&["staff", "add", "--id", "SG1", "--name", "社工小林", "--role", "verifier"], "2468\n");
    c.ok(&["staff", "add", "--id", "DZ1", "--name", "党支部老陈", "--role", "approver"], "1357\n");
    c.ok(&["staff", "add", "--id", "S01", "--name", "柜员", "--role", "staff"], "9753\n");
    let out = c.ok(&["points", "credit", "R0001", "--item", "LL-01"], "");
    assert!(out.contains("wait for review"), "{out}");
    let seq = out.split(['#', ':']).nth(1).unwrap().to_string();
    assert_eq!(c.points("R0001")["balance"], 0);
    assert_eq!(c.points("R0001")["waiting"], 10);
    let list = c.ok(&["review", "list"], "");
    assert!(list.contains(&format!("#{seq}  to verify")), "{list}");

    // Not an approver's step yet; counter staff cannot verify; a wrong PIN decides nothing.
    let early = c.run("en", &["review", "approve", &seq, "--staff", "DZ1"], "1357\n");
    assert_eq!(early.code, 1, "{}", early.stderr);
    assert!(early.stderr.contains("not a points credit waiting for this review step"), "{}", early.stderr);
    let staff = c.run("zh", &["review", "verify", &seq, "--staff", "S01"], "9753\n");
    assert!(staff.code == 1 && staff.stderr.contains("只有核实人"), "{}", staff.stderr);
    let wrong = c.run("en", &["review", "verify", &seq, "--staff", "SG1"], "0000\n");
    assert_eq!(wrong.code, 1, "{}", wrong.stderr);

    c.ok(&["review", "verify", &seq, "--staff", "SG1"], "2468\n");
    assert_eq!(c.points("R0001")["balance"], 0, "verified is not yet credited");
    let list = c.ok(&["review", "list"], "");
    assert!(list.contains(&format!("#{seq}  to approve")), "{list}");
    // The verifier cannot approve too, even holding an admin's rights.
    c.ok(&["staff", "add", "--id", "A02", "--name", "站长", "--admin"], "8642\n");
    let out = c.ok(&["points", "credit", "R0001", "--item", "LL-01"], "");
    let other = out.split(['#', ':']).nth(1).unwrap().to_string();
    c.ok(&["review", "verify", &other, "--staff", "A02"], "8642\n");
    let waiting: serde_json::Value = serde_json::from_str(&c.ok(&["review", "list", "--json"], "")).unwrap();
    let stages: Vec<(String, bool)> = waiting
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["seq"].to_string(), w["verified"].as_bool().unwrap()))
        .collect();
    assert_eq!(stages, [(seq.clone(), true), (other.clone(), true)]);
    let same = c.run("zh", &["review", "approve", &other, "--staff", "A02"], "8642\n");
    assert!(same.code == 1 && same.stderr.contains("须由另一人审定"), "{}", same.stderr);

    c.ok(&["review", "approve", &seq, "--staff", "DZ1"], "1357\n");
    assert_eq!(c.points("R0001")["balance"], 10);
    // The other is rejected by the approver, with a reason: nothing credited.
    let no_reason = c.run("en", &["review", "reject", &other, "--staff", "DZ1", "--reason", " "], "1357\n");
    assert_eq!(no_reason.code, 2, "{}", no_reason.stderr);
    c.ok(&["review", "reject", &other, "--staff", "DZ1", "--reason", "重复申报"], "1357\n");
    let after = c.points("R0001");
    assert_eq!((after["balance"].as_u64(), after["waiting"].as_u64()), (Some(10), Some(0)));
    assert_eq!(c.ok(&["review", "list", "--json"], "").trim(), "[]");
    let exported = c.ok(&["export", "points"], "");
    assert!(!exported.contains(&format!("\n{seq},")), "a waiting credit is no row: {exported}");
    assert!(exported.contains(",R0001,approved,LL-01,10,,DZ1"), "{exported}");
    // The journal names who decided each step.
    let history = c.ok(&["history", "R0001"], "");
    for who in ["SG1", "A02", "DZ1"] {
        assert!(history.contains(who), "{who} in {history}");
    }
    c.check();
}

#[test]
fn a_resident_holds_points_never_hours_and_one_record_serves_both_once_registered() {
    let c = Counter::new("JH-A-01");
    c.ok(&["activity", "add", "垃圾分类督导", "--category", "环保"], "");
    let e = c.refused("zh", &["deposit", "--card", "R0001", "--activity", "垃圾分类督导", "--hours", "2"]);
    assert!(e.contains("居民积分卡"), "{e}");
    // The volunteer earns both, on one record and one card.
    c.ok(&["deposit", "--card", "V0001", "--activity", "垃圾分类督导", "--hours", "2"], "");
    c.ok(&["points", "credit", "V0001", "--item", "HJ-01", "--times", "3"], "");
    let over = c.refused("en", &["points", "credit", "V0001", "--item", "HJ-01"]);
    assert!(over.contains("daily cap of 6"), "{over}");
    assert_eq!(c.points("V0001")["balance"], 6);
    let hours: serde_json::Value = serde_json::from_str(&c.ok(&["balance", "V0001", "--json"], "")).unwrap();
    assert_eq!(hours["balance_minutes"], 120, "{hours}");
    c.check();
}

#[test]
fn the_daily_close_has_the_days_points_apart_from_the_hours_and_the_coupons_outstanding() {
    let c = Counter::new("JH-A-01");
    c.ok(&["activity", "add", "垃圾分类督导", "--category", "环保"], "");
    c.ok(&["deposit", "--card", "V0001", "--activity", "垃圾分类督导", "--hours", "2"], "");
    let numbers = c.issue("5");
    c.ok(&["points", "coupon", "R0001", "--number", &numbers[0]], "");
    c.ok(&["points", "coupon", "R0001", "--number", &numbers[1]], "");
    c.ok(&["coupon", "void", "1", "5", "--reason", "遗失"], "");
    let credit = c.ok(&["points", "credit", "R0001", "--item", "HJ-01", "--times", "3"], "");
    let seq = credit.split(['#', ':']).nth(1).unwrap().to_string();
    c.ok(&["reverse", "--seq", &seq, "--reason", "录错"], "");
    c.ok(&["reward", "add", "--name", "食盐", "--cost", "1h"], "");
    c.ok(&["points", "price", "食盐", "3"], "");
    c.ok(&["points", "redeem", "R0001", "--reward", "食盐"], "");
    let close = c.ok(&["report", "daily"], "");
    let line = |what: &str| {
        close.lines().find(|l| l.starts_with(what)).unwrap_or_else(|| panic!("{what}: {close}")).to_string()
    };
    assert_eq!(line("按项目记入"), "按项目记入,1,6");
    assert_eq!(line("积分券兑入"), "积分券兑入,2,4");
    assert_eq!(line("兑换商品"), "兑换商品,1,3");
    assert_eq!(line("冲正"), "冲正,1,6");
    assert_eq!(line("未兑积分券（负债）"), "未兑积分券（负债）,2,4", "five issued, two credited, one voided");
    // The hours' sheets count the deposit and no points entry: the reversal of points is not
    // among the hours' reversals.
    let staff = close.lines().find(|l| l.starts_with("cli:")).unwrap();
    assert!(staff.ends_with(",1,2,0,0,0,0,0,0"), "{staff}");

    // The monthly report books them too: per item (coupons with it), net of the reversal.
    let monthly = c.ok(&["report", "monthly"], "");
    assert!(monthly.contains("\nHJ-01,2,4\n") && monthly.contains("\n兑换商品,1,-3\n"), "{monthly}");

    // `export points`: a row per entry that moved points; each card's rows add up to its balance.
    let csv = c.ok(&["export", "points"], "");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("seq,timestamp,card_no,kind,item,points,coupon,actor"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let kinds: Vec<&str> = rows.iter().map(|r| r[3]).collect();
    assert_eq!(kinds, ["coupon", "coupon", "credit", "reverse_credit", "redeem"], "{csv}");
    let sum: i64 = rows.iter().filter(|r| r[2] == "R0001").map(|r| r[5].parse::<i64>().unwrap()).sum();
    assert_eq!(serde_json::json!(sum), c.points("R0001")["balance"], "{csv}");
    assert_eq!(rows[0][6], "1.1", "the coupon's batch and serial");
}
