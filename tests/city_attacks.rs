//! Attacks on the city as they were tried (issue 22), each against the real PostgreSQL with the
//! database login used directly, as an attacker holding it would: what the readers of events
//! (`city check`, the service) receive is checked like a backup, counters — which take the
//! city's directory, never other counters' events (issue 23) — see nothing of a forgery, a
//! grant row nobody asked for is never credited, and one bad row never stops every later sync.

use crate::city;
use crate::common;
use crate::pg;

use city::*;
use common::*;
use hourbank::bank::{Bank, Mode, Op};
use hourbank::domain::EventKind;

/// A's volunteer registered again under a new card, with `name` (bytes no form accepts).
fn registration(sql: &mut postgres::Client, code: &str, card: &str, name: &str) -> EventKind {
    let rows =
        sql.query("SELECT seq, stored FROM hb_events WHERE counter = $1 AND seq > 0", &[&code]).unwrap();
    for row in rows {
        let event =
            hourbank::store::decode_stored(row.get::<_, i64>(0) as u64, &row.get::<_, Vec<u8>>(1)).unwrap();
        if let EventKind::VolunteerRegistered(mut v) = event.body.kind {
            v.card = hourbank::domain::CardNo::parse(card).unwrap();
            v.name = serde_json::from_value(serde_json::json!(name)).unwrap();
            return EventKind::VolunteerRegistered(v);
        }
    }
    panic!("no registration of {code} on the server");
}

#[test]
fn forged_events_with_an_escape_in_a_name_or_huge_minutes_reach_no_counter_and_city_check_refuses_them() {
    let Some(db) = pg::database("atk_pull") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-01", 2);
    assert_eq!(sync(&a, &db.url).0, 0);
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let volunteer = Bank::open(&a).unwrap().find_card(&card("JH000001")).unwrap().id;
    let activity = Bank::open(&a).unwrap().find_activity("垃圾分类督导").unwrap().0;
    let key = Bank::open(&a).unwrap().counter_key().unwrap().unwrap();
    let deposit = |minutes: u32| a_deposit(volunteer, activity, minutes);
    let cases: [(&str, EventKind); 3] = [
        ("escape sequence in a name", registration(&mut sql, "JH-A-01", "JH666666", "\u{1b}[41m陈华佩")),
        ("65,535-minute deposit", deposit(65_535)),
        ("4,294,967,295-minute deposit", deposit(u32::MAX)),
    ];
    for (i, (what, kind)) in cases.into_iter().enumerate() {
        let b = bare_counter(dir.path(), &format!("JH-B-0{}", i + 1));
        // Signed with A's own key: a rogue counter (or its stolen key) writing with the
        // database login, past the door. The readers' own checks still refuse it.
        let forged = append_forged_signed(&mut sql, "JH-A-01", kind, &key);
        // B takes the city's directory, which only what passed the door changes: the forgery
        // reaches it nowhere (not the new card, not the minutes, not the escape).
        let (code, out, err) = sync(&b, &db.url);
        assert_eq!(code, 0, "{what}: {out} {err}");
        assert!(
            !err.contains('\u{1b}') && !out.contains('\u{1b}'),
            "{what}: raw escape reached the terminal"
        );
        let bank = Bank::open(&b).unwrap();
        assert_eq!(bank.city_head("JH-A-01").unwrap().0, 1, "{what}: none of A's events at B");
        assert_eq!(bank.city_card(&card("JH666666")).unwrap(), None, "{what}: no forged card");
        assert_eq!(bank.city_balance(&card("JH000001")).unwrap().total(), 61, "{what}: nothing minted");
        assert_checks(&bank);
        // `city check`, which reads every event, refuses it as the counters once did.
        drop(bank);
        let (code, out, err) = hourbank(&b, &["city", "check", "--url", &db.url], "");
        assert_eq!(code, 1, "{what}: {out}{err}");
        assert!(
            out.contains(&format!("JH-A-01 #{forged} is not one a counter could have written")),
            "{what}: {out}"
        );
        assert!(
            !out.contains('\u{1b}') && !err.contains('\u{1b}'),
            "{what}: raw escape in the check's report"
        );
        let bank = Bank::open(&b).unwrap();
        // B's own backups still verify and restore: nothing of the forgery is in its store.
        let file = dir.path().join("b.hbk");
        bank.backup(&file).unwrap();
        drop(bank);
        let out = hourbank_ok(&b, &["backup", "verify", file.to_str().unwrap()], "");
        assert!(out.contains("made by this bank"), "{what}: {out}");
        // Undo the forgery for the next case (the attacker's own row, removed by the admin).
        sql.execute("DELETE FROM hb_signatures WHERE counter = 'JH-A-01' AND seq = $1", &[&forged]).unwrap();
        sql.execute("DELETE FROM hb_events WHERE counter = 'JH-A-01' AND seq = $1", &[&forged]).unwrap();
        sql.execute("UPDATE hb_counters SET head_seq = $1 WHERE code = 'JH-A-01'", &[&(forged - 1)]).unwrap();
        std::fs::remove_file(&file).unwrap();
    }
}

/// With the database login, rows in `hb_grants` in B's name: hours for a card that earned
/// 3 h, a card B does not know, and minutes past any entry. B asked for none of them: each is
/// reported and none is credited, and B's syncs go on (push and pull) however often it syncs.
#[test]
fn grant_rows_nobody_asked_for_are_reported_never_credited_and_never_stop_a_sync() {
    let Some(db) = pg::database("atk_grant") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-01", 3); // 93 minutes
    let b = bare_counter(dir.path(), "JH-B-01");
    assert_eq!(sync_releasing(&a, &db.url).0, 0);
    assert_eq!(sync_releasing(&b, &db.url).0, 0);
    Bank::open(&b).unwrap().adopt_from_city(&admin(), &[card("JH000001")]).unwrap();
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    sql.batch_execute(
        "INSERT INTO hb_grants (id, counter, card, minutes) VALUES
           ('JH-B-01:minted', 'JH-B-01', 'JH000001', 6000),
           ('JH-B-01:ghost', 'JH-B-01', 'JH999999', 60),
           ('JH-B-01:huge', 'JH-B-01', 'JH000001', 5000000000)",
    )
    .unwrap();
    for round in 0..2 {
        let (code, out, err) = sync_releasing(&b, &db.url);
        assert_eq!(code, 1, "round {round}: reported: {out} {err}");
        for id in ["JH-B-01:minted", "JH-B-01:ghost", "JH-B-01:huge"] {
            assert!(
                err.contains(&format!("city grant {id} of")) && err.contains("not credited"),
                "{id}: {err}"
            );
        }
        assert!(out.contains("pushed") && out.contains("took"), "round {round}: the sync went on: {out}");
        let bank = Bank::open(&b).unwrap();
        assert_eq!(bank.share(&card("JH000001")).unwrap(), 0, "round {round}: nothing credited");
        assert_eq!(bank.city_balance(&card("JH000001")).unwrap().total(), 93);
        assert_checks(&bank);
    }
    // A deposit at A still reaches B: the bad rows stopped nothing.
    {
        let bank = Bank::open(&a).unwrap();
        let sorting = bank.find_activity("垃圾分类督导").unwrap().0;
        bank.execute(&admin(), &Op::Deposit(deposit("JH000001", sorting, 60)), Mode::commit(None)).unwrap();
    }
    assert_eq!(sync_releasing(&a, &db.url).0, 0);
    assert_eq!(sync_releasing(&b, &db.url).0, 1);
    assert_eq!(Bank::open(&b).unwrap().city_balance(&card("JH000001")).unwrap().total(), 153);
    // B cannot spend the minted hours: the city holds 153 minutes of the card, no more.
    reward(&Bank::open(&b).unwrap(), "大米", 10, Some(10));
    let (code, _, err) = hourbank(&b, &["redeem", "--card", "JH000001", "--reward", "大米"], "");
    assert_ne!(code, 0, "{err}");
}

/// A report row written with the database login, its community and activity an escape
/// sequence: the city report prints them through the printable filter, never raw.
#[test]
fn a_report_row_with_an_escape_sequence_reaches_no_terminal_raw() {
    let Some(db) = pg::database("atk_report") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-01", 1);
    assert_eq!(sync(&a, &db.url).0, 0);
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    sql.batch_execute(
        "INSERT INTO hb_entries (counter, seq, line, volunteer, card, minutes, kind, activity, community, day)
         SELECT counter, seq, 99, 1, 'JH000001', 60, 'deposit', E'\\x1b]0;owned\\x07sorting', E'\\x1b[2J白沙', DATE '2026-11-28'
         FROM hb_events WHERE counter = 'JH-A-01' AND seq = 1",
    )
    .unwrap();
    let (code, out, err) =
        hourbank(&a, &["city", "report", "daily", "--date", "2026-11-28", "--url", &db.url], "");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("白沙"), "the row is reported: {out}");
    assert!(
        !out.contains('\u{1b}') && !out.contains('\u{7}'),
        "no raw control reached the terminal: {out:?}"
    );
}

/// The reporting role reads report rows, never the events' bytes with every volunteer's name,
/// phone and ID number — also on a server set up before, once `city init` runs again.
#[test]
fn the_reporting_login_reads_report_rows_and_no_personal_data() {
    let Some(db) = pg::database("atk_reader") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-01", 1);
    assert_eq!(sync(&a, &db.url).0, 0);
    let mut admin = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    // A server as the earlier `city init` left it: the reader could read hb_events.
    admin.batch_execute("GRANT SELECT ON hb_events TO hourbank_reader").unwrap();
    city_init(&db.url);
    let role = format!("hb_atk_reader_{}", std::process::id());
    admin.batch_execute(&format!("CREATE ROLE {role} LOGIN IN ROLE hourbank_reader")).unwrap();
    let reader_url = as_user(&db.url, &role);
    let outcome = std::panic::catch_unwind(|| {
        let mut reader = postgres::Client::connect(&reader_url, postgres::NoTls).unwrap();
        let err = reader.query("SELECT stored FROM hb_events", &[]).unwrap_err();
        assert_eq!(err.code(), Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE), "{err}");
        let rows: i64 = reader.query_one("SELECT count(*) FROM hb_entries", &[]).unwrap().get(0);
        assert!(rows > 0);
        let (code, out, err) = hourbank(&a, &["city", "report", "daily", "--url", &reader_url], "");
        assert_eq!(code, 0, "the city report runs as the reader: {out}{err}");
    });
    admin.batch_execute(&format!("DROP ROLE {role}")).unwrap();
    outcome.unwrap();
}

/// A row larger than any event a counter can store, appended with the database login (a 300 MB
/// one cost a counter 915 MB): counters never read events now; `city check` is never sent its
/// bytes and stops that counter at the row, naming its size.
#[test]
fn a_row_larger_than_any_event_is_refused_before_it_is_read() {
    let Some(db) = pg::database("atk_huge") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-01", 2);
    let b = bare_counter(dir.path(), "JH-B-01");
    assert_eq!(sync(&a, &db.url).0, 0);
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let (seq, prev, _) = last_event(&mut sql, "JH-A-01");
    // Linked as a real row would be, the hash over its (huge) body.
    let mut stored = vec![1u8; hourbank::bank::MAX_EVENT_BYTES + 2];
    let hash = hourbank::store::link_hash(&prev, &stored[1..stored.len() - 32]);
    let n = stored.len();
    stored[n - 32..].copy_from_slice(&hash);
    sql.execute(
        "INSERT INTO hb_events (counter, seq, prev_hash, hash, stored) VALUES ('JH-A-01', $1, $2, $3, $4)",
        &[&(seq + 1), &prev.to_vec(), &hash.to_vec(), &stored],
    )
    .unwrap();
    past_the_lists_freshness();
    let (code, _, err) = sync(&b, &db.url);
    assert_eq!(code, 0, "B reads no events: {err}");
    let bank = Bank::open(&b).unwrap();
    assert_eq!(bank.city_balance(&card("JH000001")).unwrap().total(), 61);
    assert_checks(&bank);
    drop(bank);
    // `city check` reads every event: it stops at the row, naming its size, bytes unread.
    let (code, out, _) = hourbank(&b, &["city", "check", "--url", &db.url], "");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("JH-A-01 #{} is not one a counter could have written", seq + 1))
            && out.contains("more than any event"),
        "{out}"
    );
}

/// A valid-looking deposit appended to an enrolled counter's chain with the database login (a
/// checksum chain anyone can extend): no signature of the counter covers it, so `city check`
/// refuses it, and no counter's directory counts it.
#[test]
fn an_event_appended_to_an_enrolled_counters_chain_is_refused_by_every_reader() {
    let Some(db) = pg::database("atk_append") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-01", 2); // 61 minutes
    let b = bare_counter(dir.path(), "JH-B-01");
    let key = Bank::open(&a).unwrap().counter_key().unwrap().unwrap().public();
    let signing = city_signing_key_file().to_str().unwrap().to_string();
    hourbank_ok(
        &a,
        &["city", "enroll", "JH-A-01", &key, "--db", &db.url, "--city-signing-key", &signing],
        "",
    );
    assert_eq!(sync(&a, &db.url).0, 0);
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let volunteer = Bank::open(&a).unwrap().find_card(&card("JH000001")).unwrap().id;
    let activity = Bank::open(&a).unwrap().find_activity("垃圾分类督导").unwrap().0;
    let forged = append_forged(&mut sql, "JH-A-01", a_deposit(volunteer, activity, 600));
    let (code, _, err) = sync(&b, &db.url);
    assert_eq!(code, 0, "B reads no events: {err}");
    assert_eq!(Bank::open(&b).unwrap().city_balance(&card("JH000001")).unwrap().total(), 61);
    let (code, out, _) = hourbank(&b, &["city", "check", "--url", &db.url], "");
    assert_eq!(code, 1, "city check notices: {out}");
    assert!(out.contains(&format!("JH-A-01 #{forged} carries no valid signature")), "{out}");
}

/// Counter A with 61 minutes for 陈华佩, synced: its store, her id there and the activity.
fn a_synced(dir: &std::path::Path, db: &str) -> (std::path::PathBuf, u64, u64) {
    let a = counter(dir, "JH-A-01", 2); // 30 + 31 minutes
    assert_eq!(sync(&a, db).0, 0);
    let bank = Bank::open(&a).unwrap();
    let found =
        (bank.find_card(&card("JH000001")).unwrap().id, bank.find_activity("垃圾分类督导").unwrap().0);
    (a, found.0, found.1)
}

/// Whoever holds the database login swaps an enrolled counter's key for one they hold and signs
/// a deposit in its name, or moves its enrollment head past rows they append unsigned (which
/// would pass as pushed before signatures). Counters read no events: their directories count
/// nothing of it, and `city check` finds the enrollment the city's key did not sign.
#[test]
fn a_counters_key_or_enrollment_swapped_in_the_database_reaches_no_counter_and_city_check_finds_it() {
    let Some(db) = pg::database("atk_keyswap") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let (a, volunteer, activity) = a_synced(dir.path(), &db.url);
    let deposit = a_deposit(volunteer, activity, 600);
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();

    // The key swapped: the attacker's key (another store's) in A's row, a deposit signed by it.
    let b = bare_counter(dir.path(), "JH-B-01");
    assert_eq!(sync(&b, &db.url).0, 0, "B pulls A once: A's key is pinned at B");
    let thief = bare_counter(dir.path(), "JH-T-01");
    let thief_key = Bank::open(&thief).unwrap().counter_key().unwrap().unwrap();
    let public = thief_key.verifying_key().to_bytes().to_vec();
    sql.execute("UPDATE hb_keys SET public_key = $1 WHERE counter = 'JH-A-01'", &[&public]).unwrap();
    let forged = append_forged_signed(&mut sql, "JH-A-01", deposit.clone(), &thief_key);
    let (code, _, err) = sync(&b, &db.url);
    assert_eq!(code, 0, "B reads no events: {err}");
    let bank = Bank::open(&b).unwrap();
    assert_eq!(bank.city_balance(&card("JH000001")).unwrap().total(), 61, "nothing of the forgery");
    assert_eq!(bank.city_head("JH-A-01").unwrap().0, 1, "none of A's events at B");
    drop(bank);
    let (code, out, _) = hourbank(&b, &["city", "check", "--url", &db.url], "");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("JH-A-01 with an enrollment its city key did not sign"), "{out}");

    // The enrollment head moved past an unsigned row: refused the same way at a counter that
    // saw the real one (the key put back as it was).
    let c = bare_counter(dir.path(), "JH-C-01");
    let real = Bank::open(&a).unwrap().counter_key().unwrap().unwrap().verifying_key().to_bytes().to_vec();
    sql.execute("DELETE FROM hb_signatures WHERE counter = 'JH-A-01' AND seq = $1", &[&forged]).unwrap();
    sql.execute("DELETE FROM hb_events WHERE counter = 'JH-A-01' AND seq = $1", &[&forged]).unwrap();
    sql.execute("UPDATE hb_counters SET head_seq = $1 WHERE code = 'JH-A-01'", &[&(forged - 1)]).unwrap();
    sql.execute("UPDATE hb_keys SET public_key = $1 WHERE counter = 'JH-A-01'", &[&real]).unwrap();
    past_the_lists_freshness();
    assert_eq!(sync(&c, &db.url).0, 0, "C pulls A once, as it really is");
    let unsigned = append_forged(&mut sql, "JH-A-01", deposit);
    sql.execute("UPDATE hb_keys SET enrolled_head = $1 WHERE counter = 'JH-A-01'", &[&unsigned]).unwrap();
    past_the_lists_freshness();
    let (code, _, err) = sync(&c, &db.url);
    assert_eq!(code, 0, "C reads no events: {err}");
    assert_eq!(Bank::open(&c).unwrap().city_balance(&card("JH000001")).unwrap().total(), 61);
    let (code, out, _) = hourbank(&c, &["city", "check", "--url", &db.url], "");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("JH-A-01 with an enrollment its city key did not sign"), "{out}");
}

/// Whoever holds the database login, and not the city's key, enrolls a key of theirs: they
/// swap an enrolled counter's key (or add a counter of their own) and sign deposits with it,
/// or move an enrollment head past rows they append unsigned. The service and `city check`
/// refuse it, and no counter's directory counts it: only the city's key signs an enrollment,
/// and it is not in the database.
#[test]
fn a_key_or_enrollment_written_into_the_database_is_refused_by_the_service_and_city_check() {
    let Some(db) = pg::database("atk_unvouched") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let (a, volunteer, activity) = a_synced(dir.path(), &db.url);
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();

    // A's key swapped for the thief's, and a deposit the thief signed in A's name.
    let thief = bare_counter(dir.path(), "JH-T-01");
    let thief_key = Bank::open(&thief).unwrap().counter_key().unwrap().unwrap();
    let public = thief_key.verifying_key().to_bytes().to_vec();
    sql.execute("UPDATE hb_keys SET public_key = $1 WHERE counter = 'JH-A-01'", &[&public]).unwrap();
    let forged = append_forged_signed(&mut sql, "JH-A-01", a_deposit(volunteer, activity, 600), &thief_key);

    // The service does not take the thief's key as A's (it holds A's key as it read it once,
    // vouched for; read now, the swapped one would not be).
    let service = service_url(&db.url);
    let raw = Raw { base: service.clone(), key: &thief_key, code: "JH-A-01" };
    let answer = raw.request("GET", "/v1/head", b"", &[]);
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert!(answer.body.contains("\"unauthenticated\""), "{}", answer.body);

    // A counter joining now reads no events: nothing of the thief's reaches it.
    let d = bare_counter(dir.path(), "JH-D-01");
    let (code, _, err) = sync(&d, &db.url);
    assert_eq!(code, 0, "{err}");
    let bank = Bank::open(&d).unwrap();
    // The city's directory has A's hours as the service verified them at the door (61 minutes,
    // pushed and signed by A); the thief's 600 are nowhere, and none of A's events is applied.
    assert_eq!(bank.city_balance(&card("JH000001")).unwrap().total(), 61, "A's real hours only");
    assert!(bank.city_head("JH-A-01").unwrap().0 as i64 <= forged);
    drop(bank);
    let (code, out, _) = hourbank(&d, &["city", "check", "--url", &db.url], "");
    assert_eq!(code, 1, "city check notices: {out}");
    assert!(out.contains("JH-A-01 with an enrollment its city key did not sign"), "{out}");

    // The real key back, the forged row gone, and the enrollment head moved past an unsigned
    // row instead: a fresh counter refuses that too.
    let real = Bank::open(&a).unwrap().counter_key().unwrap().unwrap().verifying_key().to_bytes().to_vec();
    sql.execute("DELETE FROM hb_signatures WHERE counter = 'JH-A-01' AND seq = $1", &[&forged]).unwrap();
    sql.execute("DELETE FROM hb_events WHERE counter = 'JH-A-01' AND seq = $1", &[&forged]).unwrap();
    sql.execute("UPDATE hb_counters SET head_seq = $1 WHERE code = 'JH-A-01'", &[&(forged - 1)]).unwrap();
    sql.execute("UPDATE hb_keys SET public_key = $1 WHERE counter = 'JH-A-01'", &[&real]).unwrap();
    let unsigned = append_forged(&mut sql, "JH-A-01", a_deposit(volunteer, activity, 600));
    sql.execute("UPDATE hb_keys SET enrolled_head = $1 WHERE counter = 'JH-A-01'", &[&unsigned]).unwrap();
    past_the_lists_freshness();
    let e = bare_counter(dir.path(), "JH-E-01");
    let (code, _, err) = sync(&e, &db.url);
    assert_eq!(code, 0, "{err}");
    // Again the directory's 61 minutes A really pushed, not the unsigned 600.
    assert_eq!(Bank::open(&e).unwrap().city_balance(&card("JH000001")).unwrap().total(), 61);
    let (code, out, _) = hourbank(&e, &["city", "check", "--url", &db.url], "");
    assert_eq!(code, 1, "city check notices: {out}");
    assert!(out.contains("JH-A-01 with an enrollment its city key did not sign"), "{out}");

    // A counter of the thief's own, its key and enrollment written straight into the
    // database, signed by a city key of the thief's making: nobody takes it.
    sql.execute("UPDATE hb_keys SET enrolled_head = $1 WHERE counter = 'JH-A-01'", &[&(unsigned - 1)])
        .unwrap();
    let fake_city = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let code_t = hourbank::domain::CounterCode::parse("JH-T-01").unwrap();
    let mut admin = hourbank::city::Server::connect(&db.url).unwrap();
    admin.enroll(&code_t, &thief_key.verifying_key(), &fake_city).unwrap();
    let raw = Raw { base: service, key: &thief_key, code: "JH-T-01" };
    let answer = raw.request("GET", "/v1/head", b"", &[]);
    assert_eq!(answer.status, 401, "a key the city's key did not enroll: {}", answer.body);
    assert!(answer.body.contains("not signed by this city's key"), "{}", answer.body);
    // A service started now (nothing cached) does not take the swapped key as A's either.
    sql.execute("UPDATE hb_keys SET public_key = $1 WHERE counter = 'JH-A-01'", &[&public]).unwrap();
    let fresh = start(&db.url);
    let raw = Raw { base: url(&fresh), key: &thief_key, code: "JH-A-01" };
    let answer = raw.request("GET", "/v1/head", b"", &[]);
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert!(answer.body.contains("not signed by this city's key"), "{}", answer.body);
}
