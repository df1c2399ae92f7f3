//! The donation pool (爱心池) from the command line: donate, grant with a reason, show, reverse,
//! and the pool in the monthly report and the passbook. The pool never goes below zero.

use crate::common;

use common::*;

struct Fixture {
    dir: tempfile::TempDir,
}

struct Out {
    code: i32,
    stderr: String,
}

impl Fixture {
    fn ok(&self, args: &[&str]) -> String {
        hourbank_ok(self.dir.path(), args, "")
    }
    fn run(&self, args: &[&str]) -> Out {
        let (code, _, stderr) = hourbank(self.dir.path(), args, "");
        Out { code, stderr }
    }
}

fn bank_with_two() -> Fixture {
    let f = Fixture { dir: tempfile::tempdir().unwrap() };
    drop(init_in(f.dir.path()));
    f.ok(&["activity", "add", "垃圾分类督导"]);
    f.ok(&["volunteer", "add", "--card", "JH1", "--name", "陈华佩"]);
    f.ok(&["volunteer", "add", "--card", "JH2", "--name", "李婆婆"]);
    f.ok(&["deposit", "--card", "JH1", "--hours", "5", "--activity", "垃圾分类督导"]);
    f
}

#[test]
fn hours_go_into_the_pool_and_out_to_a_person_in_need() {
    let f = bank_with_two();
    // The card may be given first or with --card.
    let out = f.ok(&["donate", "JH1", "--hours", "2", "--note", "献爱心"]);
    assert!(out.contains("pool balance 2h"), "{out}");
    let refused = f.run(&["pool", "grant", "--card", "JH2", "--hours", "3", "--reason", "独居老人"]);
    assert_eq!(refused.code, 1, "more than the pool holds: {}", refused.stderr);
    assert!(refused.stderr.contains("the donation pool holds 2h"), "{}", refused.stderr);
    let no_reason = f.run(&["pool", "grant", "--card", "JH2", "--hours", "1", "--reason", " "]);
    assert_ne!(no_reason.code, 0, "a grant needs its reason");
    let out = f.ok(&["pool", "grant", "JH2", "--hours", "1.5", "--reason", "独居老人"]);
    assert!(out.contains("pool balance 0.5h"), "{out}");
    let json: serde_json::Value = serde_json::from_str(&f.ok(&["pool", "show", "--json"])).unwrap();
    assert_eq!(json["balance_minutes"], 30);
    assert_eq!(json["donated_minutes"], 120);
    assert_eq!(json["granted_minutes"], 90);
    assert_eq!(json["entries"].as_array().unwrap().len(), 2);
    // The balance explains itself, and its figures add up.
    let jh1 = f.ok(&["balance", "JH1"]);
    assert!(jh1.contains("balance 3h = earned 5h - given 2h"), "{jh1}");
    let jh2 = f.ok(&["balance", "--card", "JH2"]);
    assert!(jh2.contains("balance 1.5h = earned 0h + received 1.5h"), "{jh2}");
    // A donation already granted on cannot be taken back: the pool would go below zero.
    let donation = json["entries"][0]["seq"].as_u64().unwrap().to_string();
    let refused = f.run(&["reverse", "--seq", &donation, "--reason", "mistake"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    let grant = json["entries"][1]["seq"].as_u64().unwrap().to_string();
    f.ok(&["reverse", "--seq", &grant, "--reason", "mistake"]);
    f.ok(&["reverse", "--seq", &donation, "--reason", "mistake"]);
    let json: serde_json::Value = serde_json::from_str(&f.ok(&["pool", "show", "--json"])).unwrap();
    assert_eq!(json["balance_minutes"], 0);
    assert!(f.ok(&["balance", "JH1"]).contains("balance 5h"));
    assert!(f.ok(&["check"]).contains("all invariants hold"));
}

#[test]
fn the_pool_is_in_the_monthly_report_and_the_passbook() {
    let f = bank_with_two();
    f.ok(&["donate", "--card", "JH1", "--hours", "2"]);
    f.ok(&["pool", "grant", "--card", "JH2", "--hours", "0.5", "--reason", "独居老人"]);
    let month = chrono::Local::now().format("%Y-%m").to_string();
    let report = f.ok(&["report", "monthly", "--month", &month, "--format", "csv"]);
    assert!(report.contains("爱心池捐入小时,2"), "{report}");
    assert!(report.contains("爱心池发放小时,0.5"), "{report}");
    assert!(report.contains("爱心池月末余额,1.5"), "{report}");
    let passbook = f.ok(&["report", "statement", "--card", "JH2", "--format", "csv"]);
    assert!(passbook.contains("爱心池发放"), "{passbook}");
    let entries = f.ok(&["export", "entries"]);
    assert!(entries.contains(",donation,") && entries.contains(",pool_grant,"), "{entries}");
}
