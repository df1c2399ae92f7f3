//! The open counter syncs in the background: the real binary in an 80×24 pseudo-terminal at
//! counter B, a real PostgreSQL, and counter A's volunteer found at B by pinyin initials
//! once B's background sync has pulled, with the city balance on the page; `h` there asks the
//! city service for her record (off the screen's thread) and the service records who asked.

use std::time::Duration;

use crate::city;
use crate::common;
use crate::pg;
use crate::pty;

use city::*;
use common::*;
use pty::Pty;

const WAIT: Duration = Duration::from_secs(30);

/// Once the counter has synced: the admin logs in and finds 陈华佩 by her initials.
fn synced_then_find_her(s: &mut Pty) {
    s.wait_for("F2 to log in", WAIT);
    s.wait_for("synced ", WAIT);
    s.log_in("A01", "1234", WAIT);
    s.type_keys("chp");
    s.wait_for("陈华佩", WAIT);
}

#[test]
fn the_open_counter_pulls_in_the_background_and_finds_a_volunteer_registered_elsewhere() {
    let Some(db) = pg::database("city_pty") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-09", 2); // 陈华佩: 30 + 31 minutes
    assert_eq!(sync(&a, &db.url).0, 0);
    let b = bare_counter(dir.path(), "JH-B-09");
    std::fs::write(dir.path().join("no-config.toml"), "[sync]\nevery_seconds = 1\n").unwrap();
    // B reaches the city through its service, as counters do.
    let city = through_service(&b, &db.url);
    let mut s = Pty::spawn_with(
        &["--store", b.to_str().unwrap(), "--lang", "en"],
        dir.path(),
        &[("HOURBANK_CITY_URL", city.as_str())],
    );
    synced_then_find_her(&mut s);
    s.wait_for("1.02", WAIT); // 61 minutes, the city balance, on the find row
    s.type_keys("\r");
    s.wait_for("City balance 1.02 h", WAIT);
    // Her city record: A's registration and her two deposits there, asked online. (Opening
    // her page registered her here too; B's background sync may have pushed that already, so
    // the record lists one registration or two.)
    s.type_keys("h");
    s.wait_for("2 entries at every counter", WAIT);
    s.wait_for("JH-A-09    陈华佩     138****8000", WAIT);
    s.type_keys("\x1b");
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let asked: i64 = sql
        .query_one(
            "SELECT count(*) FROM hb_access WHERE counter = 'JH-B-09' AND staff = 'A01' AND card = 'JH000001'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(asked, 1, "the service recorded the look-up");
    // Quit; the command line agrees.
    s.type_keys("\x11");
    assert!(s.wait_exit(Duration::from_secs(10)).success());
    let out = hourbank_ok(&b, &["balance", "JH000001", "--json"], "");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["city_balance_minutes"], 61);
    // Opening the page registered A's volunteer here (journalled), for recording hours.
    let (code, _, err) =
        hourbank(&b, &["deposit", "--card", "JH000001", "--activity", "垃圾分类督导", "--hours", "1"], "");
    assert_eq!(code, 0, "{err}");
}

/// A redemption that needs the city pool asks the service off the screen's thread: the real
/// binary at 80×24 redeems once through the real service (the grant comes, the receipt shows),
/// then — the service now taking requests and never answering — the same redemption shows that
/// it is asking, and Esc leaves at once: the counter takes keys while the grant waits.
#[test]
fn a_redemption_waiting_on_a_city_that_never_answers_never_holds_a_key() {
    let Some(db) = pg::database("city_pty_hang") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-10", 5); // 陈华佩: 160 minutes, all handed to the pool
    assert_eq!(sync_releasing(&a, &db.url).0, 0);
    let b = bare_counter(dir.path(), "JH-B-10");
    {
        let bank = hourbank::bank::Bank::open(&b).unwrap();
        reward(&bank, "大米", 1, None);
    }
    std::fs::write(dir.path().join("no-config.toml"), "[sync]\nevery_seconds = 1\n").unwrap();
    let city = through_service(&b, &db.url);
    let relay = crate::relay::Relay::http(&city);
    let mut s = Pty::spawn_with(
        &["--store", b.to_str().unwrap(), "--lang", "en"],
        dir.path(),
        &[("HOURBANK_CITY_URL", relay.url.as_str())],
    );
    synced_then_find_her(&mut s);
    s.type_keys("\r");
    s.wait_for("City balance 2.67 h", WAIT);
    // Online, the service answers: the whole hour comes from the pool.
    s.type_keys("r");
    s.wait_for("大米", WAIT);
    s.type_keys("\r");
    s.wait_for("1 h of it will come from the city pool", WAIT);
    s.type_keys("\r");
    s.wait_for("Receipt", WAIT);
    s.type_keys("\x1b");
    s.wait_for("City balance", WAIT);
    // Now the service takes every request and answers none.
    relay.hang();
    s.type_keys("r");
    s.wait_for("大米", WAIT);
    s.type_keys("\r");
    s.wait_for("will come from the city pool", WAIT);
    s.type_keys("\r");
    s.wait_for("Asking the city service… Esc leaves", WAIT);
    // Esc leaves at once, and the page takes keys (back to the find screen).
    s.type_keys("\x1b");
    s.wait_for("City balance", Duration::from_secs(5));
    s.type_keys("\x1b");
    s.wait_for("Type to search", Duration::from_secs(5));
    s.type_keys("\x11");
    assert!(s.wait_exit(Duration::from_secs(10)).success());
}
