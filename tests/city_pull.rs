//! `hourbank sync`'s pull half against a real PostgreSQL: the city's directory arrives (never
//! another counter's events), and the city view (identity by card, city balances, conflicting
//! registrations) is true at every counter; a row altered on the server reaches no counter and
//! `city check` names it.

use crate::city;
use crate::common;
use crate::pg;

use city::*;
use common::*;
use hourbank::bank::Bank;

fn balance_json(store: &std::path::Path, card: &str) -> serde_json::Value {
    let out = hourbank_ok(store, &["balance", card, "--json"], "");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn a_volunteer_registered_at_a_is_found_and_served_at_b_and_the_city_balances_agree() {
    let Some(db) = pg::database("city_two") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-01", 3); // 陈华佩, 30 + 31 + 32 minutes
    let b = bare_counter(dir.path(), "JH-B-01");
    // Before any sync B knows nobody.
    let (code, _, err) = hourbank(&b, &["balance", "JH000001"], "");
    assert_eq!(code, 1, "{err}");

    assert_eq!(sync(&a, &db.url).0, 0);
    let (code, out, err) = sync(&b, &db.url);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("took 1 card(s) of the city's directory"), "{out}");
    // Need to know: B holds none of A's events.
    assert_eq!(Bank::open(&b).unwrap().city_head("JH-A-01").unwrap().0, 1, "nothing of A's chain at B");

    // B finds A's volunteer by pinyin, initials and card, and sees the city balance.
    {
        let bank = Bank::open(&b).unwrap();
        let mut index = bank.search_index().unwrap();
        for q in ["chenhuapei", "chp", "JH000001", "陈华"] {
            let hits = index.search(q, 5);
            assert_eq!(hits.len(), 1, "{q}");
            assert_eq!(hits[0].id, hourbank::search::ELSEWHERE, "{q}: registered elsewhere");
            assert_eq!(index.card_of(&hits[0]), "JH000001");
        }
    }
    let at_b = balance_json(&b, "JH000001");
    assert_eq!(at_b["here_minutes"], 0, "nothing was recorded at B");
    assert_eq!(at_b["balance_minutes"], 93, "the balance is the city's");
    assert_eq!(at_b["city_balance_minutes"], 93);
    assert!(at_b["city_as_of"].is_string(), "{at_b}");

    // B records hours for A's volunteer: registered at B from A's details first.
    hourbank_ok(&b, &["deposit", "--card", "JH000001", "--activity", "垃圾分类督导", "--hours", "1"], "");
    let at_b = balance_json(&b, "JH000001");
    assert_eq!((at_b["here_minutes"].as_u64(), at_b["balance_minutes"].as_u64()), (Some(60), Some(153)));
    // The export's balance is the city's too, this counter's part beside it.
    let balances = hourbank_ok(&b, &["export", "balances"], "");
    let row = balances.lines().find(|l| l.starts_with("JH000001,")).unwrap_or_else(|| panic!("{balances}"));
    assert!(
        row.ends_with(",153,0,153,60,0,0"),
        "earned 153 city-wide, redeemed 0 here, city 153, here 60, nothing else in or out: {row}"
    );
    let shown: serde_json::Value =
        serde_json::from_str(&hourbank_ok(&b, &["volunteer", "show", "JH000001", "--json"], "")).unwrap();
    assert_eq!((shown["balance_minutes"].as_u64(), shown["here_minutes"].as_u64()), (Some(153), Some(60)));
    assert_eq!(hourbank_ok(&b, &["city", "conflicts"], "").trim(), "no conflicting registrations");
    assert_checks(&Bank::open(&b).unwrap());

    // A sees B's hour after both sync; both answer the same city balance, and so does SQL.
    assert_eq!(sync(&b, &db.url).0, 0);
    assert_eq!(sync(&a, &db.url).0, 0);
    let at_a = balance_json(&a, "JH000001");
    assert_eq!((at_a["here_minutes"].as_u64(), at_a["balance_minutes"].as_u64()), (Some(93), Some(153)));
    let at_b = balance_json(&b, "JH000001");
    assert_eq!(at_b["city_balance_minutes"], at_a["city_balance_minutes"]);
    assert_checks(&Bank::open(&a).unwrap());
    // The server's report rows say the same, by counter.
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let by_counter: Vec<(String, i64)> = sql
        .query(
            "SELECT counter, sum(minutes)::BIGINT FROM hb_entries WHERE card = 'JH000001' GROUP BY counter ORDER BY counter",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(by_counter, [("JH-A-01".to_string(), 93), ("JH-B-01".to_string(), 60)]);
    let kinds: Vec<String> = sql
        .query("SELECT kind FROM hb_entries WHERE counter = 'JH-B-01' ORDER BY seq, line", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(kinds, ["volunteer_registered", "deposit"], "B's adoption is a registration line of 0");
}

#[test]
fn the_same_card_registered_differently_is_listed_for_admins_and_not_merged() {
    let Some(db) = pg::database("city_conflict") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-02", 1);
    let b = bare_counter(dir.path(), "JH-B-02");
    {
        let bank = Bank::open(&b).unwrap();
        register(&bank, "JH000001", "陈华");
    }
    assert_eq!(sync(&a, &db.url).0, 0);
    assert_eq!(sync(&b, &db.url).0, 0);
    let service = service_url(&db.url);
    let out = hourbank_ok(&b, &["city", "conflicts", "--json", "--url", &service], "");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{out}");
    assert_eq!(list[0]["card_no"], "JH000001");
    assert_eq!(list[0]["differs"], serde_json::json!(["name"]));
    let names: Vec<&str> =
        list[0]["versions"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["陈华", "陈华佩"], "B's own version first, then A's");
    // B's own record is untouched by A's.
    let at_b = balance_json(&b, "JH000001");
    assert_eq!(at_b["name"], "陈华");
    // A third counter that knows neither refuses to pick one.
    let c = bare_counter(dir.path(), "JH-C-02");
    assert_eq!(sync(&c, &db.url).0, 0);
    let (code, _, err) =
        hourbank(&c, &["deposit", "--card", "JH000001", "--activity", "垃圾分类督导", "--hours", "1"], "");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("JH-A-02, JH-B-02"), "{err}");
}

/// Someone with the database's admin login alters a pushed event's bytes: no counter reads
/// events any more, so none takes it — the directory keeps what the counter pushed and the
/// service verified at the door — and `city check` names the row until it is mended.
#[test]
fn a_row_altered_on_the_server_reaches_no_counter_and_city_check_names_it() {
    let Some(db) = pg::database("city_tamper") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-03", 4);
    let b = bare_counter(dir.path(), "JH-B-03");
    assert_eq!(sync(&a, &db.url).0, 0);
    let last = Bank::open(&a).unwrap().last_seq().unwrap() as i64;
    // Someone with the server's admin login changes the minutes of the last deposit's bytes.
    let mut admin = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    admin
        .execute(
            "UPDATE hb_events SET stored = overlay(stored placing '\\x00'::bytea from 12 for 1) WHERE counter = 'JH-A-03' AND seq = $1",
            &[&last],
        )
        .unwrap();
    let (code, out, err) = sync(&b, &db.url);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(balance_json(&b, "JH000001")["city_balance_minutes"], 30 + 31 + 32 + 33, "as A pushed it");
    assert_eq!(Bank::open(&b).unwrap().city_head("JH-A-03").unwrap().0, 1, "no event of A's at B");
    let (code, out, _) = hourbank(&b, &["city", "check", "--url", &db.url], "");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("JH-A-03 #{last} does not continue")), "{out}");
    // Mended, the check passes.
    let stored = Bank::open(&a).unwrap().stored_events_from(last as u64).next().unwrap().unwrap().1;
    admin
        .execute("UPDATE hb_events SET stored = $2 WHERE counter = 'JH-A-03' AND seq = $1", &[&last, &stored])
        .unwrap();
    city_check(&b, &db.url);
}

#[test]
fn a_store_restored_from_an_old_backup_and_written_again_is_refused_and_the_server_keeps_its_rows() {
    let Some(db) = pg::database("city_restored") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-04", 2);
    let backups = dir.path().join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    hourbank_ok(&a, &["backup", "--out", backups.to_str().unwrap()], "");
    let file = std::fs::read_dir(&backups).unwrap().next().unwrap().unwrap().path();
    // After the backup: one more deposit, synced.
    hourbank_ok(&a, &["deposit", "--card", "JH000001", "--activity", "垃圾分类督导", "--hours", "1"], "");
    assert_eq!(sync(&a, &db.url).0, 0);
    let head = Bank::open(&a).unwrap().last_seq().unwrap();
    let before = rows(&db.url, "JH-A-04");
    // The counter's disk dies; the old backup is restored and the counter writes on.
    let restored = dir.path().join("restored");
    copy_key(&a, &restored);
    hourbank_ok(&restored, &["restore", file.to_str().unwrap()], "");
    hourbank_ok(
        &restored,
        &["deposit", "--card", "JH000001", "--activity", "垃圾分类督导", "--hours", "2"],
        "",
    );
    let (code, _, err) = sync(&restored, &db.url);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&format!("JH-A-04 #{head} is not this store's")), "{err}");
    assert_eq!(rows(&db.url, "JH-A-04"), before, "the server is unchanged by the fork");
}

#[test]
fn city_balance_exports_agree_at_every_counter_and_with_sql() {
    let Some(db) = pg::database("city_exports") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-05", 3);
    let b = counter(dir.path(), "JH-B-05", 2); // the same card, same details, registered at both
    for s in [&a, &b, &a] {
        assert_eq!(sync(s, &db.url).0, 0);
    }
    let city_columns = |store: &std::path::Path| -> Vec<(String, String)> {
        hourbank_ok(store, &["export", "city-balances"], "")
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f[0].to_string(), f[2].to_string())
            })
            .collect()
    };
    let at_a = city_columns(&a);
    assert_eq!(at_a, [("JH000001".to_string(), (30 + 31 + 32 + 30 + 31).to_string())]);
    assert_eq!(city_columns(&b), at_a);
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let in_sql: Vec<(String, String)> = sql
        .query("SELECT card, sum(minutes)::BIGINT FROM hb_entries GROUP BY card ORDER BY card", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1).to_string()))
        .collect();
    assert_eq!(in_sql, at_a);
    assert_eq!(hourbank_ok(&a, &["city", "conflicts"], "").trim(), "no conflicting registrations");
}
