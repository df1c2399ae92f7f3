//! The supervisors' monthly assessment (issue 27): shifts at a duty post checked in and out at
//! the kiosk over a month, some evaluated (one twice: the latest counts), one long shift
//! approved by staff, coupons of a batch handed to one supervisor brought back by residents
//! (one reversed), and work outside the month. The report's figures equal the sums this test
//! keeps of what it did; through the binary it is written as CSV and as XLSX with a chart.

use crate::common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::*;
use hourbank::bank::{Bank, ResidentForm};
use hourbank::domain::{CounterCode, Day, Name, ShiftOutcome, ShiftRules};
use hourbank::report::Month;
use hourbank::report::assessment::assessment;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Expected {
    shifts: u64,
    minutes: u64,
    scores: BTreeMap<u64, u64>,
    coupons: i64,
}

fn moving_bank(dir: &std::path::Path) -> (Bank, Arc<Mutex<DateTime<Utc>>>) {
    let now = Arc::new(Mutex::new(Utc.with_ymd_and_hms(2026, 11, 2, 1, 0, 0).unwrap()));
    let at = now.clone();
    let bank = init_in(dir).with_clock(Arc::new(move || *at.lock().unwrap()));
    (bank, now)
}

#[test]
fn the_monthly_assessment_equals_an_independent_sum_and_is_written_with_its_chart() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let (bank, now) = moving_bank(&store);
    let set = |y, m, d, h, min| *now.lock().unwrap() = Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap();
    bank.set_counter_code(&admin(), None, &CounterCode::parse("JH-A-01").unwrap()).unwrap();
    let s1 = register(&bank, "DD0001", "张督导");
    let s2 = register(&bank, "DD0002", "王督导");
    let post = activity(&bank, "潮连市场分类点·生态环保岗");
    let standard = points_standard(&[("HJ-01", 2, false)]);
    bank.publish_standard(&admin(), &standard).unwrap();
    for resident in ["R0001", "R0002"] {
        let form = ResidentForm {
            card: card(resident),
            name: Name::parse("居民").unwrap(),
            community: "潮连".into(),
            phone_tail: None,
        };
        bank.register_resident(&admin(), None, &form).unwrap();
    }
    let batch =
        bank.issue_coupons(&admin(), "HJ-01", None, 10, Day::parse("2027-06-30").unwrap(), "DD0001").unwrap();
    let rules = ShiftRules::default();
    let mut expected: BTreeMap<&str, Expected> = BTreeMap::new();

    // Five mornings for 张督导, three for 王督导: 2h35m at the post (credited 2.5 h, rounded).
    for (who, card, days) in [(s1, "DD0001", 1..=5u32), (s2, "DD0002", 10..=12)] {
        for day in days {
            set(2026, 11, day, 1, 0);
            let seq = bank.check_in(who, post).unwrap().first_seq();
            *now.lock().unwrap() += Duration::minutes(155);
            let out = bank.check_out(who, &rules).unwrap();
            let ShiftOutcome::Credit { credited, .. } = out.outcome else { panic!("{:?}", out.outcome) };
            let e = expected.entry(card).or_default();
            e.shifts += 1;
            e.minutes += u64::from(credited.get());
            // The community scores every other shift; 张督导's first twice (the second counts).
            if day % 2 == 1 {
                let score = 60 + u64::from(day) * 3;
                if day == 1 {
                    bank.evaluate_shift(&admin(), seq, 40, "迟到").unwrap();
                }
                bank.evaluate_shift(&admin(), seq, score as u8, "按时到岗").unwrap();
                e.scores.insert(seq, score);
            }
        }
    }
    // A ten-hour shift waits for review; staff approve 6 hours of it.
    set(2026, 11, 20, 0, 30);
    let long = bank.check_in(s2, post).unwrap().first_seq();
    *now.lock().unwrap() += Duration::hours(10);
    assert!(matches!(bank.check_out(s2, &rules).unwrap().outcome, ShiftOutcome::Review { .. }));
    bank.review_shift(&admin(), long, Some(hourbank::domain::Minutes::from_hours(6)), "核实").unwrap();
    let e = expected.entry("DD0002").or_default();
    e.shifts += 1;
    e.minutes += 360;
    // An ended shift cannot be scored over 100; an open one cannot be scored.
    assert!(bank.evaluate_shift(&admin(), long, 101, "").is_err());
    set(2026, 11, 21, 1, 0);
    let open = bank.check_in(s1, post).unwrap().first_seq();
    assert!(bank.evaluate_shift(&admin(), open, 90, "").is_err());
    *now.lock().unwrap() += Duration::minutes(60);
    let out = bank.check_out(s1, &rules).unwrap();
    let ShiftOutcome::Credit { credited, .. } = out.outcome else { panic!() };
    let e = expected.entry("DD0001").or_default();
    e.shifts += 1;
    e.minutes += u64::from(credited.get());

    // Residents bring back three of 张督导's coupons in November; one credit is reversed.
    let mut credits = Vec::new();
    for (i, resident) in ["R0001", "R0002", "R0001"].into_iter().enumerate() {
        let e = bank.take_coupon(&admin(), None, &card(resident), &batch.numbers[i].to_string()).unwrap();
        credits.push(e.seq());
    }
    let reversal = hourbank::bank::Reversal { target: credits[2], reason: "错人".into() };
    bank.execute(&admin(), &hourbank::bank::Op::Reverse(reversal), hourbank::bank::Mode::commit(None))
        .unwrap();
    expected.entry("DD0001").or_default().coupons += 2;

    // December: a shift and a coupon that November's assessment does not count.
    set(2026, 12, 1, 1, 0);
    bank.check_in(s1, post).unwrap();
    *now.lock().unwrap() += Duration::minutes(90);
    bank.check_out(s1, &rules).unwrap();
    bank.take_coupon(&admin(), None, &card("R0002"), &batch.numbers[5].to_string()).unwrap();

    let report = assessment(&bank, Month::parse("2026-11").unwrap()).unwrap();
    let got: BTreeMap<&str, (u64, u64, u64, u64, i64)> = report
        .rows
        .iter()
        .map(|r| (r.card.as_str(), (r.shifts, r.minutes, r.evaluated, r.score_sum, r.coupons)))
        .collect();
    let want: BTreeMap<&str, (u64, u64, u64, u64, i64)> = expected
        .iter()
        .map(|(card, e)| {
            (*card, (e.shifts, e.minutes, e.scores.len() as u64, e.scores.values().sum(), e.coupons))
        })
        .collect();
    assert_eq!(got, want);
    let mean = report.rows.iter().find(|r| r.card == "DD0001").unwrap().mean_score();
    assert_eq!(mean, "69.0", "(63 + 69 + 75) / 3");
    assert_checks(&bank);
    drop(bank);

    // Through the binary: CSV with the same figures, XLSX with a chart beside the table.
    let csv = hourbank_ok(&store, &["report", "assessment", "--month", "2026-11", "--full"], "");
    assert!(csv.contains("张督导") && csv.contains("DD0001"), "{csv}");
    let row = csv.lines().find(|l| l.contains("DD0001")).unwrap();
    let hours = hourbank::domain::format_hours(want["DD0001"].1);
    assert!(row.contains(&format!(",{},{hours},3,69.0,2", want["DD0001"].0)), "{row}");
    let masked = hourbank_ok(&store, &["report", "assessment", "--month", "2026-11"], "");
    assert!(!masked.contains("张督导") && !masked.contains("DD0001"), "{masked}");
    let xlsx = dir.path().join("assessment.xlsx");
    hourbank_ok(&store, &["report", "assessment", "--month", "2026-11", "--out", xlsx.to_str().unwrap()], "");
    let bytes = std::fs::read(&xlsx).unwrap();
    let has = |name: &str| bytes.windows(name.len()).any(|w| w == name.as_bytes());
    assert!(has("xl/charts/chart1.xml") && has("xl/worksheets/sheet1.xml"), "a workbook with a chart");
}
