//! A volunteer registered elsewhere, beyond the directory: read on demand from the real service,
//! masked, recorded there; offline the counter says what it cannot show.

use crate::city;
use crate::common;
use crate::pg;

use city::*;
use common::*;
use hourbank::bank::{Bank, Mode, Op};

/// Staff at B ask for the details of a volunteer A registered: every counter's registration
/// (phone and ID number masked, never whole) and every entry at every counter come, and the
/// service records that B's staff member A01 asked for that card. With the service gone, the
/// command says the details are online only, and nothing is recorded.
#[test]
fn details_of_a_volunteer_registered_elsewhere_are_read_online_masked_and_recorded() {
    let Some(db) = pg::database("details") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (bare_counter(dir.path(), "JH-A-01"), bare_counter(dir.path(), "JH-B-01"));
    {
        let bank = Bank::open(&a).unwrap();
        register_with_hours(&bank, &person("JH000001", "陈华佩", "13800138000", "440703199001011234"), 90);
        let sorting = bank.find_activity("垃圾分类督导").unwrap().0;
        bank.execute(&admin(), &Op::Deposit(deposit("JH000001", sorting, 30)), Mode::commit(None)).unwrap();
    }
    assert_eq!(sync(&a, &db.url).0, 0);
    let service = service_url(&db.url);
    assert_eq!(sync(&b, &db.url).0, 0);

    let (code, out, err) =
        hourbank(&b, &["city", "volunteer", "JH000001", "--staff", "A01", "--url", &service, "--json"], "");
    assert_eq!(code, 0, "{err}");
    let details: hourbank::city::wire::VolunteerDetails = serde_json::from_str(&out).unwrap();
    let [registration] = details.registrations.as_slice() else { panic!("{out}") };
    assert_eq!((registration.counter.as_str(), registration.name.as_str()), ("JH-A-01", "陈华佩"));
    assert_eq!(registration.phone, "138****8000");
    for whole in ["13800138000", "440703199001011234"] {
        assert!(!out.contains(whole), "{whole} left the service: {out}");
    }
    let minutes: Vec<(String, i64)> =
        details.history.iter().map(|h| (h.counter.clone(), h.minutes)).collect();
    assert_eq!(minutes, [("JH-A-01".to_string(), 90), ("JH-A-01".to_string(), 30)]);
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let recorded: Vec<(String, String, String)> = sql
        .query("SELECT counter, staff, card FROM hb_access", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(recorded, [("JH-B-01".into(), "A01".into(), "JH000001".into())]);

    // A staff id this counter does not have is refused before anything is asked.
    let (code, _, err) =
        hourbank(&b, &["city", "volunteer", "JH000001", "--staff", "Z99", "--url", &service], "");
    assert_eq!(code, 2, "{err}");
    // Offline: a service nobody answers at.
    let gone = "http://127.0.0.1:9";
    let (code, _, err) =
        hourbank(&b, &["city", "volunteer", "JH000001", "--staff", "A01", "--url", gone], "");
    assert_ne!(code, 0);
    assert!(err.contains("online only"), "{err}");
    let count: i64 = sql.query_one("SELECT count(*) FROM hb_access", &[]).unwrap().get(0);
    assert_eq!(count, 1, "nothing more recorded");
}

/// `city conflicts` asks the service: a counter that never pulled anybody's registrations still
/// lists a card two counters registered as different people, each version masked, its own
/// version (when it has one) first.
#[test]
fn conflicts_are_listed_from_the_service_to_a_counter_that_pulled_nothing() {
    let Some(db) = pg::database("details_conflicts") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-02", 1);
    let b = bare_counter(dir.path(), "JH-B-02");
    register(&Bank::open(&b).unwrap(), "JH000001", "陈华");
    assert_eq!(sync(&a, &db.url).0, 0);
    assert_eq!(sync(&b, &db.url).0, 0);
    let c = bare_counter(dir.path(), "JH-C-02");
    let service = through_service(&c, &db.url);
    let list = |store: &std::path::Path, url: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_hourbank"));
        cmd.arg("--store").arg(store).args(["city", "conflicts", "--json"]);
        cmd.env("HOURBANK_CONFIG", dir.path().join("no-config.toml"));
        match url {
            Some(url) => cmd.env("HOURBANK_CITY_URL", url),
            None => cmd.env_remove("HOURBANK_CITY_URL"),
        };
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    assert_eq!(list(&c, None), serde_json::json!([]), "C holds nobody's registrations");
    let online = list(&c, Some(&service));
    assert_eq!(online[0]["card_no"], "JH000001", "{online}");
    assert_eq!(online[0]["differs"], serde_json::json!(["name"]));
    let versions: Vec<(&str, &str, &str)> = online[0]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["counter"].as_str().unwrap(), v["name"].as_str().unwrap(), v["phone"].as_str().unwrap()))
        .collect();
    assert_eq!(versions, [("JH-A-02", "陈华佩", "138****8000"), ("JH-B-02", "陈华", "138****8000")]);
    let at_b = list(&b, Some(&service));
    assert_eq!(at_b[0]["versions"][0]["counter"], "JH-B-02", "B's own version first");
}
