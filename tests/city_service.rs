//! The city service (`hourbank city serve`) against the real PostgreSQL: counters hold a key,
//! every request is signed, and a pushed batch is verified at the door — its signature, its
//! chain, the checks a backup's events pass and the ledger rules over that counter's own state
//! — before any of it is stored.

use crate::city;
use crate::common;
use crate::pg;

use city::*;
use common::*;
use hourbank::bank::{Bank, Mode, Op};
use hourbank::city::service::{self, ServeOptions};
use hourbank::city::wire::{self, PushRequest};
use hourbank::city::{CityClient, ClientError, PushError};
use hourbank::domain::{EventKind, Minutes};

/// `hourbank ARGS` at `store` with the city service at `city` (none: a counter with no city and
/// no settings file): exit code and standard error.
fn at_counter(store: &std::path::Path, city: Option<&str>, args: &[&str]) -> (Option<i32>, String) {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_hourbank"));
    c.arg("--store").arg(store).args(args);
    c.env("LC_ALL", "C").env("HOURBANK_CONFIG", "/dev/null").env_remove("HOURBANK_CITY_URL");
    c.env("HOURBANK_CITY_KEY", city_key_text());
    if let Some(city) = city {
        c.env("HOURBANK_CITY_URL", city);
    }
    let out = c.output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A with 陈华佩 (JH000001) holding 10 h, B with rice at 1 h a bag; both enrolled. `rice_at_a`
/// gives A the rice too.
fn a_with_ten_hours_and_b(
    dir: &std::path::Path,
    db: &str,
    rice_at_a: bool,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let a = bare_counter(dir, "JH-A-01");
    {
        let bank = Bank::open(&a).unwrap();
        register(&bank, "JH000001", "陈华佩");
        let sorting = bank.find_activity("垃圾分类督导").unwrap().0;
        bank.execute(&admin(), &Op::Deposit(deposit("JH000001", sorting, 600)), Mode::commit(None)).unwrap();
        if rice_at_a {
            reward(&bank, "大米", 1, Some(100));
        }
        enroll(db, &bank);
    }
    let b = bare_counter(dir, "JH-B-01");
    {
        let bank = Bank::open(&b).unwrap();
        reward(&bank, "大米", 1, Some(100));
        enroll(db, &bank);
    }
    (a, b)
}

/// What `card`'s city pool holds on the database.
fn pool(db: &str, card: &str) -> i64 {
    let mut c = postgres::Client::connect(db, postgres::NoTls).unwrap();
    c.query_opt("SELECT minutes FROM hb_pool WHERE card = $1", &[&card]).unwrap().map_or(0, |r| r.get(0))
}

fn refusal(e: PushError) -> wire::Refusal {
    match e {
        PushError::Service(ClientError::Refused(r)) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn events_on_server(db: &str, code: &str) -> i64 {
    server_head(db, code).1
}

#[test]
fn a_push_through_the_service_is_stored_signed_with_its_report_rows_and_city_check_agrees() {
    let Some(db) = pg::database("svc_push") else { return };
    city_init(&db.url);
    let service = start(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = big_counter(dir.path(), "JH-A-01"); // about 40,500 events: 41 batches
    let bank = Bank::open(&a).unwrap();
    enroll(&db.url, &bank);
    let last = bank.last_seq().unwrap();
    let client = CityClient::new(&url(&service), &bank).unwrap();
    let pushed = client.push(&bank).unwrap();
    assert_eq!((pushed.from, pushed.to), (0, last));
    assert_eq!(events_on_server(&db.url, "JH-A-01"), last as i64);
    // Every batch's head is signed by A's key, and the signature is stored beside the events.
    let key = bank.counter_key().unwrap().unwrap().verifying_key();
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let signed = sql
        .query(
            "SELECT s.seq, e.hash, s.signature FROM hb_signatures s JOIN hb_events e USING (counter, seq)
             WHERE s.counter = 'JH-A-01' ORDER BY s.seq",
            &[],
        )
        .unwrap();
    assert_eq!(signed.len() as u64, last.div_ceil(1000));
    for row in &signed {
        let hash: Vec<u8> = row.get(1);
        let message = wire::head_message("JH-A-01", row.get::<_, i64>(0) as u64, &hash.try_into().unwrap());
        assert!(wire::verify(&key, &message, &row.get::<_, Vec<u8>>(2)));
    }
    assert_eq!(signed.last().unwrap().get::<_, i64>(0) as u64, last);
    // Nothing new: a second push adds nothing.
    let again = client.push(&bank).unwrap();
    assert_eq!((again.from, again.to), (last, last));
    drop(bank);
    // The report rows the service derived agree with the chains, replayed from nothing.
    city_check(&a, &db.url);
    service.stop().unwrap();
}

#[test]
fn unenrolled_revoked_and_replayed_requests_are_refused() {
    let Some(db) = pg::database("svc_auth") else { return };
    city_init(&db.url);
    let service = start(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-01", 1);
    let bank = Bank::open(&a).unwrap();
    let client = CityClient::new(&url(&service), &bank).unwrap();
    let r = refusal(client.push(&bank).unwrap_err());
    assert_eq!(r.code, wire::refusal::UNAUTHENTICATED, "{r:?}");
    assert!(r.message.contains("not enrolled"), "{r:?}");
    enroll(&db.url, &bank);
    client.push(&bank).unwrap();
    // Another key under A's code: refused, whatever it signs.
    let other = tempfile::tempdir().unwrap();
    let impostor = bare_counter(other.path(), "JH-A-01");
    let fake = Bank::open(&impostor).unwrap();
    let r = refusal(CityClient::new(&url(&service), &fake).unwrap().push(&fake).unwrap_err());
    assert_eq!(r.code, wire::refusal::UNAUTHENTICATED, "{r:?}");
    // The same signed request twice: the second is refused.
    let key = bank.counter_key().unwrap().unwrap();
    let time = chrono::Utc::now().timestamp_millis();
    let nonce = "0123456789abcdef0123456789abcdef";
    let signature = key.sign(&wire::request_message("GET", "/v1/head", time, nonce, b""));
    let call = || {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent()
            .get(format!("{}/v1/head", url(&service)))
            .header(wire::HEADER_COUNTER, "JH-A-01")
            .header(wire::HEADER_TIME, time.to_string())
            .header(wire::HEADER_NONCE, nonce)
            .header(wire::HEADER_SIGNATURE, data_encoding::BASE64.encode(&signature))
            .call()
            .unwrap()
    };
    assert_eq!(call().status(), 200);
    let mut second = call();
    assert_eq!(second.status(), 401);
    assert!(second.body_mut().read_to_string().unwrap().contains("replayed"));
    // A grant request's nonce is recorded by the grant's own statement: replayed, it is
    // refused as a replay (not answered again), and a revoked key's grant is refused.
    let raw = Raw { base: url(&service), key: &key, code: "JH-A-01" };
    let grant = |nonce: &str| {
        let body = br#"{"id":"JH-A-01:replay","card":"JH000001","minutes":1}"#;
        let answer = raw.request_with_nonce("POST", "/v1/grant", body, &[], nonce);
        (answer.status, answer.body)
    };
    let first = grant("1123456789abcdef0123456789abcdef");
    assert_eq!(first.0, 409, "the card's pool is empty: {first:?}");
    let again = grant("1123456789abcdef0123456789abcdef");
    assert_eq!(again.0, 401, "{again:?}");
    assert!(again.1.contains("replayed"), "{again:?}");
    // Revoked: refused from now on; its events stay.
    hourbank_ok(&a, &["city", "revoke", "JH-A-01", "--db", &db.url], "");
    let r = refusal(client.push(&bank).unwrap_err());
    assert_eq!(r.code, wire::refusal::REVOKED, "{r:?}");
    let revoked = grant("2123456789abcdef0123456789abcdef");
    assert_eq!(revoked.0, 403, "{revoked:?}");
    assert!(revoked.1.contains("revoked"), "{revoked:?}");
    assert_eq!(events_on_server(&db.url, "JH-A-01"), bank.last_seq().unwrap() as i64);
    service.stop().unwrap();
}

/// The service records the rounds' nonces in batches: the same signed round sent many times
/// at once (so that copies share a batch) is answered once, every other copy refused as a
/// replay.
#[test]
fn a_round_replayed_many_times_at_once_is_answered_once() {
    let Some(db) = pg::database("svc_replay_burst") else { return };
    city_init(&db.url);
    let service = start(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-01", 1);
    let bank = Bank::open(&a).unwrap();
    enroll(&db.url, &bank);
    CityClient::new(&url(&service), &bank).unwrap().push(&bank).unwrap();
    let key = bank.counter_key().unwrap().unwrap();
    let raw = Raw { base: url(&service), key: &key, code: "JH-A-01" };
    for round in 0..5 {
        let nonce = format!("{round}burst0123456789abcdef");
        let copies = 16;
        let go = std::sync::Barrier::new(copies);
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let sent: Vec<_> = (0..copies)
                .map(|_| {
                    s.spawn(|| {
                        go.wait();
                        raw.request_with_nonce("GET", "/v1/cards?after=1&limit=100", b"", &[], &nonce).status
                    })
                })
                .collect();
            sent.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 1, "round {round}: {statuses:?}");
        assert_eq!(statuses.iter().filter(|&&s| s == 401).count(), copies - 1, "round {round}: {statuses:?}");
    }
    service.stop().unwrap();
}

/// A rogue counter (its own key, its own store edited) pushes batches that break the rules:
/// each is refused whole at the door with the reason, and nothing of it is stored.
#[test]
fn a_rogue_counters_batch_is_refused_whole_at_the_door() {
    let Some(db) = pg::database("svc_rogue") else { return };
    city_init(&db.url);
    let service = start(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-01", 2); // 30 + 31 minutes
    let bank = Bank::open(&a).unwrap();
    enroll(&db.url, &bank);
    let key = bank.counter_key().unwrap().unwrap();
    let volunteer = bank.find_card(&card("JH000001")).unwrap().id;
    let activity = bank.find_activity("垃圾分类督导").unwrap().0;
    let (mut prev, mut events) = ([0u8; 32], Vec::new());
    for item in bank.stored_events_from(1) {
        let (_, value) = item.unwrap();
        prev = hourbank::bank::StoredEvent::split(&value).unwrap().hash();
        events.push(value);
    }
    let template = bank.event(bank.last_seq().unwrap()).unwrap();
    let forged = |kind: EventKind| {
        let mut body = template.body.clone();
        body.seq = events.len() as u64 + 1;
        body.origin = hourbank::domain::Origin::Direct;
        body.kind = kind;
        let (hash, stored) = hourbank::store::encode_event(&prev, &body).unwrap();
        let mut all = events.clone();
        all.push(stored);
        let signature = key.sign(&wire::head_message("JH-A-01", all.len() as u64, &hash)).to_vec();
        PushRequest { from: 0, events: all, signature, more: Vec::new() }
    };
    let cases = [
        (
            "a deposit over the entry cap",
            forged(a_deposit(volunteer, activity, 65_535)),
            "could have written",
        ),
        (
            "handing the city more hours than the counter holds",
            forged(EventKind::RightsReleased { lines: vec![(volunteer, Minutes::new(6000))] }),
            "breaks a ledger rule",
        ),
    ];
    let client = Raw { base: url(&service), key: &key, code: "JH-A-01" };
    for (what, request, why) in cases {
        let (status, text) = client.post("/v1/push", &serde_json::to_vec(&request).unwrap());
        assert_eq!(status, 422, "{what}: {text}");
        assert!(text.contains(why) && text.contains("nothing was stored"), "{what}: {text}");
        assert_eq!(events_on_server(&db.url, "JH-A-01"), 0, "{what}: nothing of the batch");
    }
    // A batch signed by another key: refused too.
    let mut request = forged(a_deposit(volunteer, activity, 60));
    request.signature[0] ^= 1;
    let (status, text) = client.post("/v1/push", &serde_json::to_vec(&request).unwrap());
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("not signed by counter JH-A-01"), "{text}");
    // The honest push goes through after all that.
    CityClient::new(&url(&service), &bank).unwrap().push(&bank).unwrap();
    assert_eq!(events_on_server(&db.url, "JH-A-01"), bank.last_seq().unwrap() as i64);
    service.stop().unwrap();
}

/// A push of several batches is verified and stored batch by batch: the first batch refused —
/// by the verifier (a rule broken) or as it is stored (a city grant the city never made) —
/// stops it there; the batches before it are stored, nothing of it or after it is, and the
/// refusal says so. The counter's own push then goes on from where the city is (as far as the
/// forged grant, where it is refused again).
#[test]
fn a_push_of_several_batches_keeps_those_before_the_one_refused() {
    let Some(db) = pg::database("svc_batches") else { return };
    city_init(&db.url);
    let service = start(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-01", 6);
    let bank = Bank::open(&a).unwrap();
    enroll(&db.url, &bank);
    let key = bank.counter_key().unwrap().unwrap();
    let volunteer = bank.find_card(&card("JH000001")).unwrap().id;
    let activity = bank.find_activity("垃圾分类督导").unwrap().0;
    let signed = |events: &[Vec<u8>], last: u64| {
        let hash = hourbank::bank::StoredEvent::split(events.last().unwrap()).unwrap().hash();
        wire::SignedBatch {
            events: events.to_vec(),
            signature: key.sign(&wire::head_message("JH-A-01", last, &hash)).to_vec(),
        }
    };
    let stored = |bank: &Bank| -> Vec<Vec<u8>> { bank.stored_events_from(1).map(|i| i.unwrap().1).collect() };
    let client = Raw { base: url(&service), key: &key, code: "JH-A-01" };

    // The verifier's refusal: three batches, the third ends with a deposit over the entry cap.
    let events = stored(&bank);
    let n = events.len() as u64;
    let template = bank.event(n).unwrap();
    let mut body = template.body.clone();
    body.seq = n + 1;
    body.origin = hourbank::domain::Origin::Direct;
    body.kind = a_deposit(volunteer, activity, 65_535);
    let prev = hourbank::bank::StoredEvent::split(events.last().unwrap()).unwrap().hash();
    let (_, forged) = hourbank::store::encode_event(&prev, &body).unwrap();
    let mut third = events[4..].to_vec();
    third.push(forged);
    let request =
        PushRequest::of(0, vec![signed(&events[..2], 2), signed(&events[2..4], 4), signed(&third, n + 1)]);
    let (status, text) = client.post("/v1/push", &serde_json::to_vec(&request).unwrap());
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("could have written") && text.contains("nothing from it on was stored"), "{text}");
    assert_eq!(events_on_server(&db.url, "JH-A-01"), 4, "the two batches before it, whole");

    // Refused as it is stored: a grant the city never made, journalled by the store itself
    // (it records the intent as if it had asked), pushed as the second of two batches.
    let grant = hourbank::bank::CityGrant {
        id: "JH-A-01:forged".into(),
        card: card("JH000001"),
        minutes: Minutes::new(60),
    };
    bank.record_grant_intent(&grant.id, &grant.card, 60, hourbank::bank::Asking::Unsigned).unwrap();
    let forged_at = match bank.journal_grant(&admin(), &grant, false).unwrap() {
        hourbank::bank::Healing::Journalled(c) => c.first_seq(),
        other => panic!("{other:?}"),
    };
    let events = stored(&bank);
    let upto = (forged_at - 1) as usize;
    let request = PushRequest::of(
        4,
        vec![signed(&events[4..upto], upto as u64), signed(&events[upto..], events.len() as u64)],
    );
    let (status, text) = client.post("/v1/push", &serde_json::to_vec(&request).unwrap());
    assert_eq!(status, 422, "{text}");
    assert!(
        text.contains(&format!("entry JH-A-01 #{forged_at} journals city grant JH-A-01:forged")),
        "{text}"
    );
    assert_eq!(events_on_server(&db.url, "JH-A-01"), upto as i64, "the batch before the grant's, whole");

    // Each time the service's copy of the chain was ahead of what was stored: the next push
    // is verified against what the database holds, and goes as far as the forged grant.
    let err = CityClient::new(&url(&service), &bank).unwrap().push(&bank).unwrap_err();
    assert!(err.to_string().contains("JH-A-01:forged"), "{err}");
    assert_eq!(events_on_server(&db.url, "JH-A-01"), upto as i64);
    drop(bank);
    city_check(&a, &db.url);
    service.stop().unwrap();
}

/// A refused request costs the service nothing it keeps: a counter asking again and again for
/// a grant the pool cannot give is refused each time on the database connections the service
/// holds. (Each refusal used to drop its connection and the next request open another — a
/// PostgreSQL backend started per refusal, which any enrolled counter could ask for forty times
/// a second.)
#[test]
fn refused_grants_keep_the_services_database_connections() {
    let Some(db) = pg::database("svc_refusals") else { return };
    city_init(&db.url);
    let service = start(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-01", 1);
    let bank = Bank::open(&a).unwrap();
    enroll(&db.url, &bank);
    let client = CityClient::new(&url(&service), &bank).unwrap();
    client.push(&bank).unwrap();
    let sessions = || -> i64 {
        // Each backend counts itself when it reports its statistics (at the latest as it exits).
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let mut c = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
        c.query_one("SELECT sessions FROM pg_stat_database WHERE datname = current_database()", &[])
            .unwrap()
            .get(0)
    };
    let refused = |i: usize| match client.grant(&format!("JH-A-01:more{i}"), &card("JH000001"), 6000) {
        Err(hourbank::city::GrantError::Short { .. }) => {}
        other => panic!("a grant the pool cannot give is refused as short: {other:?}"),
    };
    refused(0);
    let before = sessions();
    for i in 1..=40 {
        refused(i);
    }
    let after = sessions();
    // The measuring connection itself is one session.
    assert!(after - before <= 3, "{} database sessions opened for 40 refused grants", after - before - 1);
    service.stop().unwrap();
}

/// Two instances on one database serve the same city at once: each verifies what the other
/// stored, from the database.
#[test]
fn two_service_instances_on_one_database_serve_the_same_counters() {
    let Some(db) = pg::database("svc_two") else { return };
    city_init(&db.url);
    let (one, two) = (start(&db.url), start(&db.url));
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-01", 2);
    let bank = Bank::open(&a).unwrap();
    enroll(&db.url, &bank);
    CityClient::new(&url(&one), &bank).unwrap().push(&bank).unwrap();
    let sorting = bank.find_activity("垃圾分类督导").unwrap().0;
    for i in 0..3 {
        bank.execute(&admin(), &Op::Deposit(deposit("JH000001", sorting, 40 + i)), Mode::commit(None))
            .unwrap();
        let via = if i % 2 == 0 { &two } else { &one };
        let pushed = CityClient::new(&url(via), &bank).unwrap().push(&bank).unwrap();
        assert_eq!(pushed.to, bank.last_seq().unwrap(), "through instance {}", i % 2 + 1);
    }
    assert_eq!(events_on_server(&db.url, "JH-A-01"), bank.last_seq().unwrap() as i64);
    drop(bank);
    city_check(&a, &db.url);
    one.stop().unwrap();
    two.stop().unwrap();
}

#[test]
fn plain_http_is_refused_off_loopback() {
    let refused = service::start(ServeOptions {
        listen: "0.0.0.0:0".parse().unwrap(),
        db: "host=/nonexistent".into(),
        city_key: city_signing_key().verifying_key(),
        tls: None,
        cache: None,
    });
    let err = refused.err().expect("refused").to_string();
    assert!(err.contains("loopback") && err.contains("--tls-cert"), "{err}");
}

/// `hourbank sync` through the service: A's volunteer is found at B with the city balance; then
/// whoever holds the database login appends a valid-looking deposit to A's chain (blake3 is a
/// checksum anyone can extend): no signature of A's covers it, so B applies nothing of it.
#[test]
fn counters_sync_through_the_service_and_an_event_appended_without_the_key_is_never_applied() {
    let Some(db) = pg::database("svc_sync") else { return };
    city_init(&db.url);
    let service = start(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-01", 3); // 93 minutes
    let b = bare_counter(dir.path(), "JH-B-01");
    for store in [&a, &b] {
        enroll(&db.url, &Bank::open(store).unwrap());
    }
    let (code, out, err) = sync(&a, &url(&service));
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = sync(&b, &url(&service));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("took 1 card(s) of the city's directory"), "{out}");
    let balance = |store: &std::path::Path| -> serde_json::Value {
        serde_json::from_str(&hourbank_ok(store, &["balance", "JH000001", "--json"], "")).unwrap()
    };
    assert_eq!(balance(&b)["city_balance_minutes"], 93);
    // The attack: a deposit of 6,000 minutes appended to A's chain on the database.
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let volunteer = Bank::open(&a).unwrap().find_card(&card("JH000001")).unwrap().id;
    let activity = Bank::open(&a).unwrap().find_activity("垃圾分类督导").unwrap().0;
    let forged = append_forged(&mut sql, "JH-A-01", a_deposit(volunteer, activity, 600));
    // B reads the city's directory, which only pushes through the service change: the forged
    // row reaches it nowhere; `city check` names it.
    let (code, out, err) = sync(&b, &url(&service));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(balance(&b)["city_balance_minutes"], 93, "nothing minted at B");
    assert_checks(&Bank::open(&b).unwrap());
    let (code, out, _) = hourbank(&b, &["city", "check", "--url", &db.url], "");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("JH-A-01 #{forged} carries no valid signature")), "{out}");
    service.stop().unwrap();
}

/// Over TLS: the service presents its certificate, the counter trusts the city's own CA
/// (`$HOURBANK_CITY_CA`) and syncs; without that CA it refuses the service's certificate.
#[test]
fn the_service_speaks_tls_and_the_counter_trusts_only_the_citys_ca() {
    let Some(db) = pg::database("svc_tls") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let issued = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert, key) = (dir.path().join("city.pem"), dir.path().join("city.key"));
    std::fs::write(&cert, issued.cert.pem()).unwrap();
    std::fs::write(&key, issued.signing_key.serialize_pem()).unwrap();
    let service = service::start(ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        db: db.url.clone(),
        city_key: city_signing_key().verifying_key(),
        tls: Some((cert.clone(), key)),
        cache: None,
    })
    .unwrap();
    let a = counter(dir.path(), "JH-A-01", 1);
    enroll(&db.url, &Bank::open(&a).unwrap());
    let https = format!("https://localhost:{}", service.addr.port());
    let run = |ca: Option<&std::path::Path>| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_hourbank"));
        c.args(["--store", a.to_str().unwrap(), "sync", "--url", &https]);
        c.env("HOURBANK_CONFIG", keep_shares_config()).env_remove("HOURBANK_CITY_CA");
        if let Some(ca) = ca {
            c.env("HOURBANK_CITY_CA", ca);
        }
        let out = c.output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, err) = run(None);
    assert_ne!(code, Some(0), "a certificate no trusted CA signed is refused: {err}");
    assert!(err.to_lowercase().contains("certificate") || err.contains("UnknownIssuer"), "{err}");
    let (code, err) = run(Some(&cert));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(events_on_server(&db.url, "JH-A-01"), Bank::open(&a).unwrap().last_seq().unwrap() as i64);
    service.stop().unwrap();
}

/// 通存通兑 through the service: hours deposited at A are redeemed at B with a grant from the
/// card's pool, in B's name only; a counter asking in another's name is refused.
#[test]
fn a_redemption_at_b_takes_a_grant_through_the_service_in_its_own_name_only() {
    let Some(db) = pg::database("svc_grant") else { return };
    city_init(&db.url);
    let service = start(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = a_with_ten_hours_and_b(dir.path(), &db.url, false);
    let city = url(&service);
    assert_eq!(sync_releasing(&a, &city).0, 0);
    assert_eq!(sync_releasing(&b, &city).0, 0);
    let pool = |card: &str| pool(&db.url, card);
    assert_eq!(pool("JH000001"), 600, "A's sync handed its share to the pool through the service");
    let (code, err) =
        at_counter(&b, Some(&city), &["redeem", "--card", "JH000001", "--reward", "大米", "--qty", "3"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(pool("JH000001"), 420, "3 h granted to B");
    assert_eq!(sync_releasing(&b, &city).0, 0, "B's grant entry passes the door");
    assert_eq!(sync_releasing(&a, &city).0, 0);
    let balance: serde_json::Value =
        serde_json::from_str(&hourbank_ok(&a, &["balance", "JH000001", "--json"], "")).unwrap();
    assert_eq!(balance["city_balance_minutes"], 420);
    // B asks for a grant in A's name: refused, nothing taken.
    let bank = Bank::open(&b).unwrap();
    let key = bank.counter_key().unwrap().unwrap();
    let raw = Raw { base: city.clone(), key: &key, code: "JH-B-01" };
    let body = serde_json::json!({ "id": "JH-A-01:stolen", "card": "JH000001", "minutes": 60 });
    let (status, text) = raw.post("/v1/grant", body.to_string().as_bytes());
    assert_eq!(status, 400, "{text}");
    assert_eq!(pool("JH000001"), 420);
    drop(bank);
    city_check(&a, &db.url);
    service.stop().unwrap();
}

/// The double spend tried: a counter restored from a backup taken before its last sync held
/// again the hours it had handed to the pool, which another counter had spent. Now it spends
/// nothing until it has fetched its own later events back from the city, offline or online;
/// after that its share is what it really is.
#[test]
fn a_counter_restored_from_an_old_backup_spends_nothing_until_it_has_caught_up() {
    let Some(db) = pg::database("svc_restore") else { return };
    city_init(&db.url);
    let service = start(&db.url);
    let city = url(&service);
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = a_with_ten_hours_and_b(dir.path(), &db.url, true);
    let backups = dir.path().join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    hourbank_ok(&a, &["backup", "--out", backups.to_str().unwrap()], "");
    let file = std::fs::read_dir(&backups).unwrap().next().unwrap().unwrap().path();
    // A hands its 10 h to the pool; B spends all of it.
    assert_eq!(sync_releasing(&a, &city).0, 0);
    assert_eq!(sync_releasing(&b, &city).0, 0);
    let redeem = |store: &std::path::Path, url: Option<&str>| {
        at_counter(store, url, &["redeem", "--card", "JH000001", "--reward", "大米", "--qty", "10"])
    };
    let (code, err) = redeem(&b, Some(&city));
    assert_eq!(code, Some(0), "{err}");
    // A is restored from the old backup: locally it holds the 10 h again.
    hourbank_ok(&a, &["restore", file.to_str().unwrap(), "--force"], "");
    assert_eq!(Bank::open(&a).unwrap().share(&card("JH000001")).unwrap(), 600, "the backup's share");
    for url in [None, Some(city.as_str())] {
        let (code, err) = redeem(&a, url);
        assert_eq!(code, Some(1), "offline and online before a sync, refused: {err}");
        assert!(err.contains("restored") && err.contains("sync"), "{err}");
    }
    // A sync fetches A's own later events back (its release): the share is 0, the pool too.
    let (code, out, err) = sync_releasing(&a, &city);
    assert_eq!(code, 0, "{out}{err}");
    let bank = Bank::open(&a).unwrap();
    assert_eq!(bank.share(&card("JH000001")).unwrap(), 0);
    assert!(bank.city_catch_up().unwrap().is_none());
    assert_checks(&bank);
    drop(bank);
    let (code, err) = redeem(&a, Some(&city));
    assert_eq!(code, Some(1), "nothing left anywhere: {err}");
    assert!(!err.contains("restored"), "{err}");
    assert_eq!(pool(&db.url, "JH000001"), 0, "spent once, by B");
    service.stop().unwrap();
}

/// The service runs with a login granted `hourbank_service` alone: it serves the city, and that
/// login (whoever steals it from the service's machine) cannot edit or delete an event, a grant
/// or a key.
#[test]
fn the_service_login_adds_and_never_edits_or_deletes() {
    let Some(db) = pg::database("svc_role") else { return };
    city_init(&db.url);
    let role = format!("hb_svc_{}", std::process::id());
    let mut admin = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    admin.batch_execute(&format!("CREATE ROLE {role} LOGIN IN ROLE hourbank_service")).unwrap();
    let login = as_user(&db.url, &role);
    let outcome = std::panic::catch_unwind(|| {
        let service = start(&login);
        let dir = tempfile::tempdir().unwrap();
        let a = counter(dir.path(), "JH-A-01", 2);
        let b = bare_counter(dir.path(), "JH-B-01");
        for store in [&a, &b] {
            enroll(&db.url, &Bank::open(store).unwrap());
        }
        assert_eq!(sync_releasing(&a, &url(&service)).0, 0);
        assert_eq!(sync_releasing(&b, &url(&service)).0, 0);
        let mut thief = postgres::Client::connect(&login, postgres::NoTls).unwrap();
        for attack in [
            "UPDATE hb_events SET stored = stored WHERE counter = 'JH-A-01'",
            "DELETE FROM hb_events WHERE counter = 'JH-A-01' AND seq > 2",
            "UPDATE hb_grants SET minutes = 1",
            "DELETE FROM hb_signatures",
            "UPDATE hb_keys SET public_key = public_key",
            "INSERT INTO hb_keys (counter, public_key) VALUES ('JH-X-01', '\\x00')",
        ] {
            let err = thief.batch_execute(attack).unwrap_err();
            assert_eq!(
                err.code(),
                Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
                "{attack}: {err}"
            );
        }
        service.stop().unwrap();
    });
    admin.batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}")).unwrap();
    outcome.unwrap();
}

/// The day cap is the card's, city-wide, online: 6 h served on one day at A, then B may record
/// only what is left of the 8 h cap for that day. Offline (no service), B counts its own day.
#[test]
fn online_a_deposit_counts_the_cards_service_day_at_every_counter() {
    let Some(db) = pg::database("svc_daycap") else { return };
    city_init(&db.url);
    let service = start(&db.url);
    let city = url(&service);
    let dir = tempfile::tempdir().unwrap();
    let a = counter(dir.path(), "JH-A-01", 0);
    let b = bare_counter(dir.path(), "JH-B-01");
    for store in [&a, &b] {
        enroll(&db.url, &Bank::open(store).unwrap());
        hourbank_ok(store, &["rules", "set", "--day-cap", "8h"], "");
    }
    let deposit = |store: &std::path::Path, hours: &str, url: Option<&str>| {
        let args = [
            "deposit",
            "--card",
            "JH000001",
            "--activity",
            "垃圾分类督导",
            "--hours",
            hours,
            "--date",
            "2026-11-28",
        ];
        at_counter(store, url, &args)
    };
    assert_eq!(deposit(&a, "6", Some(&city)).0, Some(0));
    assert_eq!(sync(&a, &city).0, 0);
    assert_eq!(sync(&b, &city).0, 0);
    let (code, err) = deposit(&b, "3", Some(&city));
    assert_eq!(code, Some(1), "6 h at A + 3 h at B passes the 8 h cap: {err}");
    assert!(err.contains("6h already credited") && err.contains("2026-11-28"), "{err}");
    assert_eq!(deposit(&b, "2", Some(&city)).0, Some(0), "what is left of the day");
    // Offline this counter counts only its own day (README says so).
    assert_eq!(deposit(&b, "1", None).0, Some(0));
    service.stop().unwrap();
}
