//! One card, two people (issue 25, item 3), against a real PostgreSQL, the real service and the
//! real binary: a card registered as different people at two counters is never merged — each
//! counter's figures are the hours recorded for its own person, nothing is spent from the card
//! at any counter, the service gives no counter the other side's pooled hours — until an admin
//! settles it, journalled: by moving one person to a new card with every hour recorded for
//! them, or by taking the other counter's registration. The city clears the conflict at the
//! push that carries the settlement, and every counter sees it at its next pull.

use crate::city;
use crate::common;
use crate::pg;

use std::path::Path;

use city::*;
use common::*;
use hourbank::bank::Bank;
use hourbank::city::GrantError;

fn balance(store: &Path, card: &str) -> u64 {
    let out = hourbank_ok(store, &["balance", card, "--json"], "");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["balance_minutes"].as_u64().unwrap_or_else(|| panic!("{out}"))
}

fn conflict_at(store: &Path, card: &str) -> Option<String> {
    let bank = Bank::open(store).unwrap();
    bank.card_conflict(&hourbank::domain::CardNo::parse(card).unwrap()).unwrap().map(|c| c.counters())
}

/// A (陈华佩, 30 + 31 minutes) and B (陈华, 2 hours) hold card JH000001 as two people, both
/// synced twice so each has pulled the other's: `sync` keeps shares at their counters,
/// `releasing` hands them to the card's city pool.
fn two_people(
    db: &str,
    dir: &Path,
    a: &str,
    b: &str,
    releasing: bool,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let a = counter(dir, a, 2);
    let b = bare_counter(dir, b);
    {
        let bank = Bank::open(&b).unwrap();
        register(&bank, "JH000001", "陈华");
    }
    hourbank_ok(&b, &["deposit", "--card", "JH000001", "--activity", "垃圾分类督导", "--hours", "2"], "");
    let run = if releasing { sync_releasing } else { sync };
    for s in [&a, &b, &a] {
        let (code, out, err) = run(s, db);
        assert_eq!(code, 0, "{out}{err}");
    }
    (a, b)
}

#[test]
fn a_card_of_two_people_is_kept_apart_and_settled_by_moving_one_to_a_new_card() {
    let Some(db) = pg::database("conflict_move") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_people(&db.url, dir.path(), "JH-A-31", "JH-B-31", true);

    // Both counters know, and each shows only its own person's hours (all of them in the
    // card's city pool now): never the 181 minutes of the two together.
    assert_eq!(conflict_at(&a, "JH000001").as_deref(), Some("JH-A-31, JH-B-31"));
    assert_eq!(conflict_at(&b, "JH000001").as_deref(), Some("JH-A-31, JH-B-31"));
    assert_eq!(balance(&a, "JH000001"), 61, "陈华佩's hours at A");
    let shown: serde_json::Value =
        serde_json::from_str(&hourbank_ok(&a, &["balance", "JH000001", "--json"], "")).unwrap();
    assert_eq!(shown["conflict"], "JH-A-31, JH-B-31", "{shown}");
    let said = hourbank_ok(&a, &["balance", "JH000001"], "");
    assert!(said.contains("card registered as different people at JH-A-31, JH-B-31"), "{said}");
    assert_eq!(balance(&b, "JH000001"), 120, "陈华's hours at B");

    // A third counter that registered neither knows both people of the card: the directory
    // carries the other version's name, and its search finds the card by either (it listed
    // only the home's name).
    let c = bare_counter(dir.path(), "JH-C-31");
    let (code, out, err) = sync(&c, &db.url);
    assert_eq!(code, 0, "{out}{err}");
    {
        let bank = Bank::open(&c).unwrap();
        let listed =
            bank.city_listing(&hourbank::domain::CardNo::parse("JH000001").unwrap()).unwrap().unwrap();
        assert_eq!((listed.record.name.as_str(), listed.other_name.as_deref()), ("陈华佩", Some("陈华")));
        let mut index = bank.search_index().unwrap();
        for name in ["陈华佩", "陈华"] {
            let hits = index.search(name, 5);
            assert_eq!(hits.len(), 1, "{name}");
            assert_eq!(index.card_of(&hits[0]), "JH000001");
            assert_eq!(hits[0].score, u32::from(u16::MAX) + 1, "{name} is one of the card's names, whole");
        }
    }

    // Nothing is spent from the card, online or not.
    let (code, _, err) = with_city(&a, &db.url, &["donate", "--card", "JH000001", "--hours", "0.5"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("registered as different people at counters JH-A-31, JH-B-31"), "{err}");
    // Nor does the service give a counter the other side's pooled hours, whoever asks.
    let mut server = hourbank::city::Server::connect(&db.url).unwrap();
    let card = hourbank::domain::CardNo::parse("JH000001").unwrap();
    match server.grant("JH-A-31", "JH-A-31:forged", &card, 100) {
        Err(GrantError::InConflict { own, .. }) => assert_eq!(own, 61),
        other => panic!("a grant across the conflict: {other:?}"),
    }
    assert_eq!(server.pool(&card).unwrap(), 181, "nothing taken");
    // What A may take back is its own hours alone: points A was granted from the card's points
    // pool (before the conflict, journalled as points) are no hours it took (they counted as
    // 5 minutes taken and never journalled).
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    sql.batch_execute(
        "INSERT INTO hb_grants (id, counter, card, minutes, unit) VALUES ('JH-A-31:p1', 'JH-A-31', 'JH000001', 5, 'points');
         INSERT INTO hb_points_moves (counter, seq, line, kind, card, points, grant_id)
             VALUES ('JH-A-31', 999, 0, 'points_grant', 'JH000001', 5, 'JH-A-31:p1')",
    )
    .unwrap();
    match server.grant("JH-A-31", "JH-A-31:forged", &card, 100) {
        Err(GrantError::InConflict { own, .. }) => assert_eq!(own, 61),
        other => panic!("a grant across the conflict: {other:?}"),
    }
    sql.batch_execute("DELETE FROM hb_points_moves WHERE grant_id = 'JH-A-31:p1'; DELETE FROM hb_grants WHERE id = 'JH-A-31:p1'")
        .unwrap();

    // Listed for admins in their language (it was English under --lang zh).
    let (code, out, err) = with_city(&b, &db.url, &["--lang", "zh", "city", "conflicts"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("卡号 JH000001：姓名不一致"), "{out}");

    // B's admin settles B's side: 陈华 moves to a new card with every hour recorded for them
    // at B (its pooled 120 come back to B first), and B's record of JH000001 is 陈华佩's.
    let (code, out, err) = with_city(&b, &db.url, &["city", "settle", "JH000001", "--new-card", "JH000002"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("moved to card JH000002 with 2h"), "{out}");
    let shown: serde_json::Value =
        serde_json::from_str(&hourbank_ok(&b, &["volunteer", "show", "JH000002", "--json"], "")).unwrap();
    assert_eq!(
        (shown["name"].as_str(), shown["here_minutes"].as_u64()),
        (Some("陈华"), Some(120)),
        "{shown}"
    );
    let shown: serde_json::Value =
        serde_json::from_str(&hourbank_ok(&b, &["volunteer", "show", "JH000001", "--json"], "")).unwrap();
    assert_eq!(shown["name"], "陈华佩", "{shown}");
    assert_checks(&Bank::open(&b).unwrap());
    // Journalled: the grant back, the transfer and the edit, by the admin.
    let history = hourbank_ok(&b, &["history", "JH000001"], "");
    assert!(history.contains("-> JH000002"), "{history}");

    // The city clears the conflict at B's push; every counter sees it at its next pull.
    for s in [&b, &a] {
        let (code, out, err) = sync(s, &db.url);
        assert_eq!(code, 0, "{out}{err}");
    }
    let (code, out, err) = with_city(&a, &db.url, &["city", "conflicts"]);
    assert_eq!((code, out.trim()), (0, "no conflicting registrations"), "{err}");
    assert_eq!(conflict_at(&a, "JH000001"), None);
    assert_eq!(conflict_at(&b, "JH000001"), None);
    assert_eq!(balance(&a, "JH000001"), 61, "陈华佩's, at A");
    assert_eq!(balance(&b, "JH000001"), 61, "and at B");
    assert_eq!(balance(&a, "JH000002"), 120, "陈华's on the new card, at A too");
    // And the card is spendable again: A's own hours come back from the pool.
    let (code, out, err) = with_city(&a, &db.url, &["donate", "--card", "JH000001", "--hours", "0.5"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(balance(&a, "JH000001"), 31);
    city_check(&a, &db.url);
}

#[test]
fn a_counter_that_had_the_person_wrong_takes_the_other_registration_and_the_hours_are_one_persons() {
    let Some(db) = pg::database("conflict_take") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_people(&db.url, dir.path(), "JH-A-32", "JH-B-32", false);
    assert_eq!(balance(&b, "JH000001"), 120);
    // Not in conflict: nothing to settle.
    let (code, _, err) = with_city(&b, &db.url, &["city", "settle", "JH000009", "--take-other"]);
    assert_eq!(code, 1, "{err}");

    let (code, out, err) = with_city(&b, &db.url, &["city", "settle", "JH000001", "--take-other"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("now 陈华佩 as JH-A-32 registered them"), "{out}");
    for s in [&b, &a] {
        let (code, out, err) = sync(s, &db.url);
        assert_eq!(code, 0, "{out}{err}");
    }
    assert_eq!(conflict_at(&a, "JH000001"), None);
    // One person now: the city balance is both counters' hours, at both.
    assert_eq!(balance(&a, "JH000001"), 181);
    assert_eq!(balance(&b, "JH000001"), 181);
}
