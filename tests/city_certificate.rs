//! Certificates in a city (issue 25, item 4), against a real PostgreSQL, the real service and
//! the real binary: issued at a counter in a city, a certificate states every counter's service
//! for the card (what every counter calls its earned hours), and its code is verified at any
//! other counter through the service — which computes it again from the rows it was issued
//! from, so an altered code or an altered row is refused. Offline a counter issues its own,
//! and says it counts its own hours.

use crate::city;
use crate::common;
use crate::pg;

use city::*;
use common::*;
use hourbank::domain::format_hours;

/// The verification code printed on a certificate page.
fn code_of(page: &str) -> String {
    let mut lines = page.lines().skip_while(|l| !l.starts_with("验证码"));
    lines.nth(1).unwrap_or_else(|| panic!("{page}")).trim().to_string()
}

#[test]
fn a_certificate_issued_in_a_city_states_every_counters_hours_and_verifies_at_any_counter() {
    let Some(db) = pg::database("city_certificate") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-41", 2); // 陈华佩: 30 + 31 minutes at A
    let b = bare_counter(dir.path(), "JH-B-41");
    assert_eq!(sync(&a, &db.url).0, 0);
    assert_eq!(sync(&b, &db.url).0, 0);
    hourbank_ok(&b, &["deposit", "--card", "JH000001", "--activity", "垃圾分类督导", "--hours", "1"], "");
    for s in [&b, &a] {
        assert_eq!(sync(s, &db.url).0, 0);
    }
    let service_a = through_service(&a, &db.url);
    let service_b = through_service(&b, &db.url);

    // Issued at B: the city's 121 minutes, A's and B's parts, not B's 60 alone.
    let (code, page, err) = with_city(&b, &service_b, &["certificate", "issue", "JH000001"]);
    assert_eq!(code, 0, "{err}");
    let city_total = format_hours(121);
    assert!(page.contains(&format!("共计 {city_total} 小时")), "{page}");
    assert!(page.contains("JH-A-41") && page.contains("JH-B-41"), "each counter's part: {page}");
    assert!(page.contains("the city (at JH-B-41)"), "{page}");
    // What every counter calls the volunteer's earned hours, city-wide.
    let shown: serde_json::Value =
        serde_json::from_str(&hourbank_ok(&a, &["balance", "JH000001", "--json"], "")).unwrap();
    assert_eq!(shown["earned_minutes"], 121, "{shown}");
    let certificate = code_of(&page);
    assert!(certificate.contains("-C"), "{certificate}");

    // Verified at A (it was refused there: "this store has no journal entry …"), typed as a
    // person types it, and by the service itself.
    let typed = certificate.to_lowercase().replace('-', " - ");
    let (code, out, err) = with_city(&a, &service_a, &["certificate", "verify", &typed]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("valid: 陈华佩 JH000001 served {city_total} h")), "{out}");
    let mut server = hourbank::city::Server::connect(&db.url).unwrap();
    assert_eq!(server.verify_certificate(&certificate).unwrap().total, 121);

    // A code altered by one character is refused; so is the certificate once a row it was
    // computed from is altered on the server.
    let mut forged = certificate.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let (code, _, err) = with_city(&a, &service_a, &["certificate", "verify", &forged]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("NOT valid: the city issued no certificate with this code"), "{err}");
    let mut admin = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    admin
        .execute(
            "UPDATE hb_entries SET minutes = minutes + 600 WHERE counter = 'JH-B-41' AND kind = 'deposit'",
            &[],
        )
        .unwrap();
    let (code, _, err) = with_city(&a, &service_a, &["certificate", "verify", &certificate]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no longer give what the certificate states"), "{err}");

    // Offline, a counter's own certificate, saying whose hours it counts.
    let (code, page, err) = with_city(&b, "http://127.0.0.1:9", &["certificate", "issue", "JH000001"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("counts the hours recorded at this counter only"), "{err}");
    assert!(page.contains(&format!("共计 {} 小时", format_hours(60))), "{page}");
    let own = code_of(&page);
    let (code, out, err) = hourbank(&b, &["certificate", "verify", &own], "");
    assert_eq!(code, 0, "a counter's own certificate verifies against its journal, offline: {out}{err}");
}

/// Issue 25 (10) in a city: the city's certificate stated the credited hours only. A deposit
/// the rules shaped (a 200% multiplier at B) is served 1 h, credited 2 h; the service's report
/// rows keep the served minutes beside the credited, and the certificate states both.
#[test]
fn a_city_certificate_states_served_and_credited() {
    let Some(db) = pg::database("city_certificate_served") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-42", 2); // 陈华佩: 30 + 31 minutes at A
    let b = bare_counter(dir.path(), "JH-B-42");
    assert_eq!(sync(&a, &db.url).0, 0);
    assert_eq!(sync(&b, &db.url).0, 0);
    {
        let bank = hourbank::bank::Bank::open(&b).unwrap();
        bank.add_activity(&admin(), None, &hourbank::domain::Name::parse("助老").unwrap(), "助老").unwrap();
        let rules =
            hourbank::domain::Rules { multipliers: vec![("助老".into(), 200)], ..Default::default() };
        bank.change_rules(&admin(), None, &rules).unwrap();
    }
    hourbank_ok(&b, &["deposit", "--card", "JH000001", "--activity", "助老", "--hours", "1"], "");
    for s in [&b, &a] {
        assert_eq!(sync(s, &db.url).0, 0);
    }
    let service_a = through_service(&a, &db.url);
    let (code, page, err) = with_city(&a, &service_a, &["certificate", "issue", "JH000001"]);
    assert_eq!(code, 0, "{err}");
    let (served, credited) = (format_hours(61 + 60), format_hours(61 + 120));
    assert!(page.contains(&format!("参加志愿服务 {served} 小时，计入 {credited} 小时")), "{page}");
    let mut server = hourbank::city::Server::connect(&db.url).unwrap();
    let stated = server.verify_certificate(&code_of(&page)).unwrap();
    assert_eq!((stated.served, stated.total), (Some(121), 181));
    let (code, out, err) = with_city(&a, &service_a, &["certificate", "verify", &code_of(&page)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("served {served} h (credited {credited} h) from")), "{out}");
}

/// Issue 25 (low), in a city: `activity_changed` (a rename, a retirement) passes the service's
/// door — the ledger rules run there too — and `city check` after; the counter refuses new
/// hours for the retired activity.
#[test]
fn an_activity_renamed_and_retired_at_a_counter_passes_the_door() {
    let Some(db) = pg::database("city_activity_changed") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-43", 1);
    assert_eq!(sync(&a, &db.url).0, 0);
    hourbank_ok(&a, &["activity", "rename", "垃圾分类督导", "垃圾分类"], "");
    hourbank_ok(&a, &["activity", "retire", "垃圾分类"], "");
    let listed = hourbank_ok(&a, &["activity", "list"], "");
    assert!(listed.contains("垃圾分类") && listed.contains("retired"), "{listed}");
    let (code, out, err) = sync(&a, &db.url);
    assert_eq!(code, 0, "{out}{err}");
    city_check(&a, &db.url);
    let deposit = ["deposit", "--card", "JH000001", "--activity", "垃圾分类", "--hours", "1"];
    let (code, _, err) = hourbank(&a, &deposit, "");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("retired"), "{err}");
}

/// Issue 27: a counter's civic points — a resident, the standard, a coupon batch, credits, a
/// review by two people, a redemption for points, a reversal — pass the city service's door
/// (every entry signed, replayed by the same rules) and `city check`; the points add nothing
/// to any city figure of hours.
#[test]
fn a_counters_civic_points_pass_the_door_and_leave_the_hours_alone() {
    let Some(db) = pg::database("city_points") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-44", 1);
    assert_eq!(sync(&a, &db.url).0, 0);
    let before = hourbank_ok(&a, &["balance", "JH000001", "--json"], "");
    let file = dir.path().join("standard.toml");
    std::fs::write(
        &file,
        "effective = \"2026-01-01\"\n[[item]]\ncode = \"HJ-01\"\ncategory = \"环境卫生\"\nname = \"分类投放\"\npoints = 2\n\
         [[item]]\ncode = \"LL-01\"\ncategory = \"邻里互助\"\nname = \"帮扶\"\npoints = 10\nreview = true\n",
    )
    .unwrap();
    hourbank_ok(&a, &["standard", "publish", file.to_str().unwrap()], "");
    hourbank_ok(&a, &["resident", "add", "R0001", "--name", "陈阿婆", "--phone-tail", "1234"], "");
    let sheet = dir.path().join("sheet.csv");
    let issue = [
        "coupon",
        "issue",
        "--item",
        "HJ-01",
        "--count",
        "3",
        "--expires",
        "2099-01-01",
        "--holder",
        "张督导",
    ];
    hourbank_ok(&a, &[&issue[..], &["--sheet", sheet.to_str().unwrap()]].concat(), "");
    let number = std::fs::read_to_string(&sheet)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_string();
    hourbank_ok(&a, &["points", "coupon", "R0001", "--number", &number], "");
    hourbank_ok(&a, &["points", "credit", "JH000001", "--item", "HJ-01", "--times", "3"], "");
    let held = hourbank_ok(&a, &["points", "credit", "R0001", "--item", "LL-01"], "");
    let seq = held.split(['#', ':']).nth(1).unwrap().to_string();
    hourbank_ok(&a, &["staff", "add", "--id", "SG1", "--name", "社工", "--role", "verifier"], "2468\n");
    hourbank_ok(&a, &["staff", "add", "--id", "DZ1", "--name", "党支部", "--role", "approver"], "1357\n");
    hourbank_ok(&a, &["review", "verify", &seq, "--staff", "SG1"], "2468\n");
    hourbank_ok(&a, &["review", "approve", &seq, "--staff", "DZ1"], "1357\n");
    hourbank_ok(&a, &["reward", "add", "--name", "洗衣液", "--cost", "1h"], "");
    hourbank_ok(&a, &["points", "price", "洗衣液", "4", "--points-only"], "");
    let spent = hourbank_ok(&a, &["points", "redeem", "R0001", "--reward", "洗衣液", "--qty", "2"], "");
    let redeem_seq = spent.split(['#', ':']).nth(1).unwrap().to_string();
    hourbank_ok(&a, &["reverse", "--seq", &redeem_seq, "--reason", "录错"], "");
    let (code, out, err) = sync(&a, &db.url);
    assert_eq!(code, 0, "{out}{err}");
    city_check(&a, &db.url);
    let points: serde_json::Value =
        serde_json::from_str(&hourbank_ok(&a, &["points", "balance", "R0001", "--json"], "")).unwrap();
    assert_eq!(points["balance"], 12, "{points}");
    assert_eq!(hourbank_ok(&a, &["balance", "JH000001", "--json"], ""), before, "no hour moved");
}
