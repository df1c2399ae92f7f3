//! The command line's imports: volunteers and past entries from CSV files, as a program office
//! brings them — GBK or UTF-8 with a BOM, CRLF, long files and pipes — refused whole, with line
//! numbers, when any row is bad; run again, they add nothing twice.

use crate::cli::{fixture, hb_in};

#[test]
fn import_volunteers_and_entries_idempotently() {
    let f = fixture();
    let v = f.file("v.csv", "card_no,name,phone,community,registered_at\nJH1,黄玲慧,18963810553,白沙街道,2024-04-19\nJH2,陈国燕,,紫茶社区,\nJH000123,陈华佩,13800138000,白沙街道,\n".as_bytes());
    let out = f.ok(&["import", "volunteers", &v]);
    assert!(out.contains("imported 2 of 3 rows (1 already present)"), "{out}");
    assert!(f.ok(&["import", "volunteers", &v]).contains("imported 0 of 3 rows (3 already present)"));

    let e = f.file(
        "e.csv",
        "id,timestamp,card_no,kind,minutes,memo,extra\n\
         1,2025-03-01 09:30,JH1,deposit,120,入户宣传,x\n\
         2,2025-03-02T10:00:00+08:00,JH1,redeem,60,旧奖品,\n\
         3,2025-02-01,JH2,deposit,90,垃圾分类督导,\n"
            .as_bytes(),
    );
    let out = f.ok(&["import", "entries", &e]);
    assert!(
        out.contains("imported 3 of 3 rows") && out.contains("created 1 activities and 1 rewards"),
        "{out}"
    );
    let again = f.ok(&["import", "entries", &e]);
    assert!(again.contains("imported 0 of 3 rows (3 already present)"), "{again}");
    let b: serde_json::Value = serde_json::from_str(&f.ok(&["balance", "JH1", "--json"])).unwrap();
    assert_eq!((b["earned_minutes"].as_u64(), b["redeemed_minutes"].as_u64()), (Some(120), Some(60)));
    // A historical reward is created retired: it cannot be redeemed at the counter.
    assert!(f.ok(&["reward", "list"]).contains("旧奖品"));
    assert_eq!(f.code(&["redeem", "--card", "JH1", "--reward", "旧奖品"]).0, 1);
    // The same id with different content is a bad row, not a silent skip.
    let changed = f.file(
        "e2.csv",
        "id,timestamp,card_no,kind,minutes,memo\n1,2025-03-01 09:30,JH1,deposit,999,入户宣传\n".as_bytes(),
    );
    let (code, err) = f.code(&["import", "entries", &changed]);
    assert_eq!(code, 2);
    assert!(err.contains("line 2") && err.contains("different content"), "{err}");
    // A different source has its own ids.
    let other = f.file(
        "e3.csv",
        "id,timestamp,card_no,kind,minutes,memo\n1,2025-04-01,JH2,deposit,30,入户宣传\n".as_bytes(),
    );
    assert!(f.ok(&["import", "entries", &other, "--source", "paper-2025"]).contains("imported 1 of 1"));
    assert!(f.ok(&["check"]).contains("all invariants hold"));
}

#[test]
fn gbk_bom_and_crlf_files_import_with_correct_names_and_line_numbers() {
    let f = fixture();
    let text = "卡号,姓名,电话,社区\r\nJH10,黄玲慧,18963810553,白沙街道\r\nJH11,陈国燕,,紫茶社区\r\n";
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    let p = f.file("gbk.csv", &gbk);
    f.ok(&["import", "volunteers", &p]);
    assert!(f.ok(&["volunteer", "show", "JH11"]).contains("陈国燕"));

    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice("card_no,name,phone,community\r\nJH12,司徒锦,,北街社区\r\n".as_bytes());
    let p = f.file("bom.csv", &bom);
    f.ok(&["import", "volunteers", &p]);
    assert!(f.ok(&["volunteer", "show", "JH12"]).contains("司徒锦"));

    let bad = "id,timestamp,card_no,kind,minutes,memo\r\n1,2025-03-01,JH10,deposit,60,入户宣传\r\n2,2025-03-01,JH10,deposit,六十,入户宣传\r\n";
    let (gbk_bad, _, _) = encoding_rs::GBK.encode(bad);
    let p = f.file("gbk-bad.csv", &gbk_bad);
    let (code, err) = f.code(&["import", "entries", &p]);
    assert_eq!(code, 2);
    assert!(err.contains("line 3") && err.contains("六十"), "{err}");
}

/// A file is read as it is parsed (issue 26: the text is not held): a bad row far past the
/// reader's first buffers is still named by its line, in a CRLF file with a quoted line break
/// before it; a pipe, which cannot be read twice, imports the same way.
#[test]
fn long_files_and_pipes_import_with_their_line_numbers() {
    let f = fixture();
    // A column the import does not read may hold anything, a line break too.
    let mut text = String::from("id,timestamp,card_no,kind,minutes,memo,remark\r\n");
    text.push_str("q,2025-03-01 08:00,JH000123,deposit,60,入户宣传,\"两\r\n行\"\r\n");
    for i in 0..3000 {
        text.push_str(&format!("r{i},2025-03-01 09:00,JH000124,deposit,15,垃圾分类督导,\r\n"));
    }
    let bad_row = "bad,2025-03-01 10:00,JH000124,deposit,十五,垃圾分类督导,\r\n";
    let p = f.file("long.csv", format!("{text}{bad_row}").as_bytes());
    let (code, err) = f.code(&["import", "entries", &p]);
    assert_eq!(code, 2, "{err}");
    // Header, a row of two lines, 3000 rows: the bad row is line 3004.
    assert!(err.contains("line 3004") && err.contains("十五") && err.contains("1 bad row"), "{err}");
    assert!(f.ok(&["balance", "JH000124"]).contains("balance 0h"), "nothing was imported");

    let o = hb_in(&f.store(), &["import", "entries", "/dev/stdin"], &text);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(f.ok(&["balance", "JH000124"]).contains("balance 750h"), "3000 × 15 minutes");
    let o = hb_in(&f.store(), &["import", "entries", "/dev/stdin"], &format!("{text}{bad_row}"));
    assert!(o.code == 2 && o.stderr.contains("line 3004"), "{}", o.stderr);
}

#[test]
fn every_kind_of_bad_csv_is_refused_whole_with_line_numbers() {
    let f = fixture();
    f.ok(&["deposit", "--card", "JH000123", "--hours", "1", "--activity", "垃圾分类督导"]);
    let before = f.snapshot();
    let header = "id,timestamp,card_no,kind,minutes,memo\n";
    let ok_row = "1,2025-03-01 09:00,JH000123,deposit,60,入户宣传\n";
    let mut long_line = String::from(header);
    long_line.push_str(ok_row);
    long_line.push_str(&format!("2,2025-03-01,JH000123,deposit,60,{}\n", "长".repeat(10 * 1024 * 1024 / 3)));
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "missing column",
            "id,timestamp,card_no,kind,memo\n1,2025-03-01,JH000123,deposit,入户宣传\n".into(),
            "missing column(s) minutes",
        ),
        ("no header", ok_row.to_string(), "header row"),
        ("empty file", String::new(), "line 1"),
        ("bad number", format!("{header}{ok_row}2,2025-03-01,JH000123,deposit,1.5h,入户宣传\n"), "line 3"),
        (
            "negative minutes",
            format!("{header}{ok_row}2,2025-03-01,JH000123,deposit,-60,入户宣传\n"),
            "line 3",
        ),
        ("zero minutes", format!("{header}2,2025-03-01,JH000123,deposit,0,入户宣传\n{ok_row}"), "line 2"),
        (
            "unknown card",
            format!("{header}{ok_row}2,2025-03-01,NOPE,deposit,60,入户宣传\n"),
            "no volunteer with card NOPE",
        ),
        ("bad kind", format!("{header}{ok_row}2,2025-03-01,JH000123,gift,60,入户宣传\n"), "line 3"),
        ("bad timestamp", format!("{header}{ok_row}2,someday,JH000123,deposit,60,入户宣传\n"), "line 3"),
        ("overdraw", format!("{header}{ok_row}2,2025-03-02,JH000123,redeem,600,大米5kg\n"), "overdraw"),
        (
            "duplicate ids",
            format!("{header}{ok_row}1,2025-03-02,JH000123,deposit,30,入户宣传\n"),
            "already appears on line 2",
        ),
        ("not text", String::from_utf8_lossy(&[0xff, 0xfe, 0x00, 0x81, 0x30]).into_owned() + "\u{0}", "line"),
        ("a 10 MB line", long_line, "line 3"),
    ];
    for (what, content, expect) in cases {
        let p = f.file("bad.csv", content.as_bytes());
        let (code, err) = f.code(&["import", "entries", &p]);
        assert_eq!(code, 2, "{what}: {err}");
        assert!(err.contains(expect), "{what}: {err}");
        assert!(err.contains("nothing was imported"), "{what}: {err}");
    }
    let p = f.file("raw.csv", &[0xff, 0xfe, 0xfd, b'\n', 0x80]);
    assert_eq!(f.code(&["import", "volunteers", &p]).0, 2);
    let p = f.file(
        "v.csv",
        "card_no,name,phone,community\nJH000123,陈华佩改,13800138000,白沙街道\nJH5,,,\n".as_bytes(),
    );
    let (code, err) = f.code(&["import", "volunteers", &p]);
    assert_eq!(code, 2);
    assert!(err.contains("line 2") && err.contains("different details") && err.contains("line 3"), "{err}");
    assert_eq!(f.code(&["import", "entries", "/nonexistent.csv"]).0, 2);
    assert_eq!(f.snapshot(), before, "refused imports change nothing");
}
