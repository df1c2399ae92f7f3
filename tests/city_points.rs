//! Civic points through the city's escrow (ARCHITECTURE.md §9), through the real service and
//! the real binary: points credited at one counter are spent at another from the card's city
//! pool, never more than the pool holds; a scheme kept to its community hands nothing over;
//! and a counter cannot credit itself from a pool by writing a grant the city never made.

use crate::city::*;
use crate::common::*;
use crate::pg;
use hourbank::bank::{Bank, PointsCredit, PointsGrant, ResidentForm};
use hourbank::domain::{CardNo, Name, Points};

/// `hourbank` at `store` with the city service at `city` (as a counter configured with it).
fn at_counter(store: &std::path::Path, city: &str, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hourbank"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env("LC_ALL", "C")
        .env("HOURBANK_CITY_URL", city)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("hourbank runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A resident R0001 at `store` with `points` credited (item HJ-01, 2 points each).
fn resident_with_points(store: &std::path::Path, points: u32) {
    let bank = Bank::open(store).unwrap();
    bank.publish_standard(&admin(), &points_standard(&[("HJ-01", 2, false)])).unwrap();
    let form = ResidentForm {
        card: card("R0001"),
        name: Name::parse("陈阿婆").unwrap(),
        community: "江华社区".into(),
        phone_tail: Some("1234".into()),
    };
    bank.register_resident(&admin(), None, &form).unwrap();
    let credit = PointsCredit {
        card: card("R0001"),
        item: "HJ-01".into(),
        times: points / 2,
        earned_on: None,
        note: String::new(),
    };
    bank.credit_points(&admin(), None, &credit).unwrap();
}

/// A reward 大米 at `store`, for `points` points only.
fn rice(store: &std::path::Path, points: u32) {
    hourbank_ok(store, &["reward", "add", "--name", "大米", "--cost", "1h"], "");
    hourbank_ok(store, &["points", "price", "大米", &points.to_string(), "--points-only"], "");
}

fn balance(store: &std::path::Path) -> u64 {
    let shown: serde_json::Value =
        serde_json::from_str(&hourbank_ok(store, &["points", "balance", "R0001", "--json"], "")).unwrap();
    shown["balance"].as_u64().unwrap()
}

fn points_pool(db: &str) -> u64 {
    let mut server = hourbank::city::Server::connect(db).unwrap();
    server.points_pool(&CardNo::parse("R0001").unwrap()).unwrap()
}

#[test]
fn points_credited_at_one_counter_are_spent_at_another_from_the_city_pool_and_never_twice() {
    let Some(db) = pg::database("city_points_pool") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = bare_counter(dir.path(), "JH-A-51");
    let b = bare_counter(dir.path(), "JH-B-52");
    resident_with_points(&a, 200);
    // A keeps the float and hands the rest to the card's city pool.
    let (code, out, err) = sync(&a, &db.url);
    assert_eq!(code, 0, "{out}{err}");
    let float = u64::from(hourbank::bank::POINTS_FLOAT);
    assert_eq!(balance(&a), float);
    assert_eq!(points_pool(&db.url), 200 - float);
    let city = through_service(&b, &db.url);
    let (code, out, err) = sync(&b, &db.url);
    assert_eq!(code, 0, "{out}{err}");
    rice(&b, 80);
    // At B, which never saw the resident: found in the city's directory, the points granted
    // from the pool in the redemption's commit.
    let (code, out, err) = at_counter(&b, &city, &["points", "redeem", "R0001", "--reward", "大米"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(points_pool(&db.url), 200 - float - 80);
    assert_eq!(balance(&b), 0, "the grant is spent by the redemption it funded");
    let granted = hourbank_ok(&b, &["export", "points"], "");
    assert!(granted.lines().any(|l| l.contains(",city_grant,") && l.contains(",80,")), "{granted}");
    // The pool holds 20 now: a second bag at B is refused, saying where the points are.
    let (code, out, err) = at_counter(&b, &city, &["points", "redeem", "R0001", "--reward", "大米"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("0 points here and 20 in the city pool: 80 are needed"), "{err}");
    assert_eq!(points_pool(&db.url), 20, "a refused grant takes nothing");
    // A spends from its own share, offline of the pool.
    rice(&a, 80);
    let (code, out, err) = hourbank(&a, &["points", "redeem", "R0001", "--reward", "大米"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(balance(&a), float - 80);
    for store in [&a, &b] {
        let (code, out, err) = sync(store, &db.url);
        assert_eq!(code, 0, "{out}{err}");
    }
    // Everything pushed passed the door; the city's pools equal what the journals say.
    city_check(&a, &db.url);
    assert_eq!(balance(&a) + balance(&b) + points_pool(&db.url), 200 - 160);
    // Every counter shows the person's points across the city, as the directory carries them:
    // its own share, the other counter's, and the pool (A takes B's last push first).
    let (code, out, err) = sync(&a, &db.url);
    assert_eq!(code, 0, "{out}{err}");
    let across = |store: &std::path::Path| -> serde_json::Value {
        let shown: serde_json::Value =
            serde_json::from_str(&hourbank_ok(store, &["points", "balance", "R0001", "--json"], "")).unwrap();
        shown["city"].clone()
    };
    let pool = points_pool(&db.url);
    for (here, other) in [(&a, &b), (&b, &a)] {
        let city = across(here);
        assert_eq!(city["here"].as_u64(), Some(balance(here)), "{city}");
        assert_eq!(city["elsewhere"].as_u64(), Some(balance(other)), "{city}");
        assert_eq!(city["pooled"].as_u64(), Some(pool), "{city}");
    }
    let shown = hourbank_ok(&b, &["points", "balance", "R0001"], "");
    assert!(
        shown.contains("across the city 40 (here 0, at other counters 20, in the city pool 20)"),
        "{shown}"
    );
    // A city whose directory was published before it carried points: `city init` derives them
    // from the events, as the pushes derive them, and the check holds them to the replay.
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let points = |sql: &mut postgres::Client| -> Vec<(String, String, Option<i64>, Option<i64>)> {
        sql.query("SELECT card, counter, points, points_released FROM hb_shares ORDER BY card, counter", &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect()
    };
    let published = points(&mut sql);
    assert!(
        published.iter().any(|p| p.1 == "JH-A-51" && p.2 == Some(20) && p.3 == Some(100)),
        "{published:?}"
    );
    sql.batch_execute(
        "UPDATE hb_shares SET points = NULL, points_released = NULL; UPDATE hb_cards SET points_pool = NULL",
    )
    .unwrap();
    city_init(&db.url);
    assert_eq!(points(&mut sql), published);
    city_check(&a, &db.url);
    // A share's points written into the database itself are found by the check.
    sql.execute("UPDATE hb_shares SET points = points + 7 WHERE card = 'R0001' AND counter = 'JH-B-52'", &[])
        .unwrap();
    let (code, out, err) = hourbank(&a, &["city", "check", "--url", &db.url], "");
    assert_ne!(code, 0, "{out}{err}");
    assert!(
        format!("{out}{err}")
            .contains("card R0001: counter JH-B-52's points share in the directory is 7, its journal's is 0"),
        "{out}{err}"
    );
    sql.execute("UPDATE hb_shares SET points = points - 7 WHERE card = 'R0001' AND counter = 'JH-B-52'", &[])
        .unwrap();
    // Whoever writes the database itself cannot add points to a pool unseen: the check sums
    // the releases and grants and names the card.
    sql.execute("UPDATE hb_pool SET points = points + 500 WHERE card = 'R0001'", &[]).unwrap();
    let (code, out, err) = hourbank(&a, &["city", "check", "--url", &db.url], "");
    assert_ne!(code, 0, "{out}{err}");
    assert!(format!("{out}{err}").contains("card R0001: its city pool holds 520 points"), "{out}{err}");
}

#[test]
fn a_scheme_kept_to_its_community_hands_no_points_to_the_city() {
    let Some(db) = pg::database("city_points_local") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = bare_counter(dir.path(), "JH-A-53");
    hourbank_ok(&a, &["points", "scheme", "local"], "");
    resident_with_points(&a, 300);
    let (code, out, err) = sync(&a, &db.url);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(balance(&a), 300, "nothing left the counter");
    assert_eq!(points_pool(&db.url), 0);
    // And the rule holds at the ledger, not only in the sync: a release is refused.
    let bank = Bank::open(&a).unwrap();
    let grant = PointsGrant { id: "JH-A-53:x".into(), card: card("R0001"), points: Points::new(5) };
    let e = bank.journal_points_grant(&admin(), &grant, true).unwrap_err();
    assert!(e.to_string().contains("keeps its points scheme to its own community"), "{e}");
    drop(bank);
    hourbank_ok(&a, &["points", "scheme", "city"], "");
    let (code, out, err) = sync(&a, &db.url);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(points_pool(&db.url), 300 - u64::from(hourbank::bank::POINTS_FLOAT));
}

/// The attack: a counter writes itself a grant of points the city never made (its own store,
/// its own key, a well-formed entry) and pushes it. The door refuses the batch.
#[test]
fn a_grant_of_points_the_city_never_made_does_not_pass_the_door() {
    let Some(db) = pg::database("city_points_forged") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = bare_counter(dir.path(), "JH-A-54");
    resident_with_points(&a, 2);
    let (code, out, err) = sync(&a, &db.url);
    assert_eq!(code, 0, "{out}{err}");
    let bank = Bank::open(&a).unwrap();
    let grant = PointsGrant { id: "JH-A-54:forged".into(), card: card("R0001"), points: Points::new(5000) };
    bank.journal_points_grant(&admin(), &grant, true).unwrap();
    drop(bank);
    let (code, out, err) = sync(&a, &db.url);
    assert_ne!(code, 0, "{out}{err}");
    assert!(format!("{out}{err}").contains("JH-A-54:forged"), "{out}{err}");
    assert_eq!(points_pool(&db.url), 0);
    city_check(&a, &db.url);
}

/// An attack tried: a counter asks the city, properly signed, for a grant of 60 points from a
/// card's points pool, then journals that grant as 60 *minutes* (an hours grant citing the
/// points grant's id). The push's check matched id, counter, card and amount, not the unit:
/// the service stored it, and 60 hours-minutes were minted from points nobody took from any
/// hours pool. Refused at the door now, nothing of the batch stored.
#[test]
fn a_points_grant_journalled_as_hours_does_not_pass_the_door() {
    let Some(db) = pg::database("city_points_as_hours") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = bare_counter(dir.path(), "JH-A-55");
    let b = bare_counter(dir.path(), "JH-B-56");
    {
        let bank = Bank::open(&a).unwrap();
        bank.publish_standard(&admin(), &points_standard(&[("HJ-01", 2, false)])).unwrap();
        register(&bank, "JH000001", "陈华佩");
        let credit = PointsCredit {
            card: card("JH000001"),
            item: "HJ-01".into(),
            times: 100,
            earned_on: None,
            note: String::new(),
        };
        bank.credit_points(&admin(), None, &credit).unwrap();
    }
    // The card's hours pool holds 2 h too (A's share handed over), and its points pool 100.
    hourbank_ok(&a, &["deposit", "--card", "JH000001", "--activity", "垃圾分类督导", "--hours", "2"], "");
    let (code, out, err) = sync_releasing(&a, &db.url);
    assert_eq!(code, 0, "{out}{err}");
    let city = through_service(&b, &db.url);
    let (code, out, err) = sync(&b, &db.url);
    assert_eq!(code, 0, "{out}{err}");
    let bank = Bank::open(&b).unwrap();
    bank.adopt_from_city(&admin(), &[card("JH000001")]).unwrap();
    let client = hourbank::city::CityClient::new(&city, &bank).unwrap();
    let id = "JH-B-56:points-as-hours";
    let granted = client.grant_of(hourbank::city::wire::Unit::Points, id, &card("JH000001"), 60).unwrap();
    assert_eq!(granted, 60);
    let minted = hourbank::bank::CityGrant {
        id: id.into(),
        card: card("JH000001"),
        minutes: hourbank::domain::Minutes::new(60),
    };
    assert!(matches!(
        bank.journal_grant(&admin(), &minted, true).unwrap(),
        hourbank::bank::Healing::Journalled(_)
    ));
    drop((client, bank));
    let (code, out, err) = sync(&b, &db.url);
    assert_ne!(code, 0, "the minted hours were pushed: {out}{err}");
    assert!(format!("{out}{err}").contains(id), "{out}{err}");
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let entries: i64 =
        sql.query_one("SELECT count(*) FROM hb_entries WHERE kind = 'city_grant'", &[]).unwrap().get(0);
    assert_eq!(entries, 0, "nothing of the batch was stored");
    let pool: i64 = sql.query_one("SELECT pool FROM hb_cards WHERE card = 'JH000001'", &[]).unwrap().get(0);
    assert_eq!(pool, 120, "the card's hours in the directory are what A handed over");
    city_check(&a, &db.url);
}

/// The exchange day at another community's station, as staff work it: the real binary at
/// 80×24 with the real service, the resident's points card scanned (found in the city's
/// directory), a bag of rice in Enter, Enter — the points come from the card's city pool off
/// the screen's thread, and the pool gives exactly what was short.
#[test]
fn the_exchange_screen_of_another_community_takes_the_points_from_the_city_pool() {
    use crate::pty::Pty;
    use std::time::Duration;
    const WAIT: Duration = Duration::from_secs(30);
    let Some(db) = pg::database("city_points_pty") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = bare_counter(dir.path(), "JH-A-55");
    resident_with_points(&a, 200);
    assert_eq!(sync(&a, &db.url).0, 0);
    let b = bare_counter(dir.path(), "JH-B-55");
    rice(&b, 80);
    std::fs::write(dir.path().join("no-config.toml"), "[sync]\nevery_seconds = 1\n").unwrap();
    let city = through_service(&b, &db.url);
    let mut s = Pty::spawn_with(
        &["--store", b.to_str().unwrap(), "--lang", "en"],
        dir.path(),
        &[("HOURBANK_CITY_URL", city.as_str())],
    );
    s.wait_for("F2 to log in", WAIT);
    s.wait_for("synced ", WAIT);
    s.log_in("A01", "1234", WAIT);
    s.type_keys("\x1b[20~");
    s.wait_for("Scan points card:", WAIT);
    s.type_keys("R0001\r");
    // This counter holds none of her points; the city's pool holds what A handed over.
    s.wait_for("points balance 0, 100 more in the city pool", WAIT);
    s.type_keys("\r");
    s.wait_for("Enter confirms", WAIT);
    s.type_keys("\r");
    s.wait_for("for 80 pts, 0 left", WAIT);
    s.wait_for("points balance 0, 20 more in the city pool", WAIT);
    // Her page shows her points across the city — A's float, the pool after the grant, none
    // here (the grant was spent) — and what the city pool holds.
    s.type_keys("\x1b");
    s.type_keys("\x1b");
    s.wait_for("Type to search", WAIT);
    s.type_keys("R0001\r");
    s.wait_for("Civic points  120 pts (0 here)", WAIT);
    s.wait_for("Points pool   20 pts", WAIT);
    s.type_keys("\x11");
    assert!(s.wait_exit(Duration::from_secs(10)).success());
    assert_eq!(points_pool(&db.url), 200 - u64::from(hourbank::bank::POINTS_FLOAT) - 80);
    let rows = hourbank_ok(&b, &["export", "points"], "");
    assert!(rows.lines().any(|l| l.contains(",city_grant,") && l.contains(",80,")), "{rows}");
}
