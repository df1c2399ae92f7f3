//! What a counter's sync costs the city service, round after round (real service, real
//! PostgreSQL): an idle round is one request (the city's directory past the counter's position,
//! nothing new), and so is a round after other counters moved; the counters list still answers
//! 304 while nothing changed, and the events of several counters come in one request (what the
//! service's own verifier and `city check` read).

use crate::city;
use crate::common;
use crate::pg;

use city::*;
use common::*;
use hourbank::bank::{Bank, Mode, Op};
use hourbank::city::wire::{self, CounterEntry, Counters};
use hourbank::city::{CityClient, ServiceSync};
use hourbank::domain::Minutes;

/// Requests the service authenticated for counter `code`: each leaves its nonce.
fn requests(db: &str, code: &str) -> i64 {
    let mut c = postgres::Client::connect(db, postgres::NoTls).unwrap();
    c.query_one("SELECT count(*) FROM hb_nonces WHERE counter = $1", &[&code]).unwrap().get(0)
}

#[test]
fn an_unchanged_counters_list_is_answered_304_and_a_push_changes_it() {
    let Some(db) = pg::database("svc_etag") else { return };
    city_init(&db.url);
    let service = start(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (counter(dir.path(), "JH-A-01", 2), bare_counter(dir.path(), "JH-B-01"));
    let (a, b) = (Bank::open(&a).unwrap(), Bank::open(&b).unwrap());
    enroll(&db.url, &a);
    enroll(&db.url, &b);
    let key = b.counter_key().unwrap().unwrap();
    let raw = Raw { base: url(&service), key: &key, code: "JH-B-01" };

    let first = raw.request("GET", "/v1/counters", b"", &[]);
    assert_eq!(first.status, 200, "{}", first.body);
    let tag = first.etag.clone().expect("the list carries an entity tag");
    let listed: Vec<CounterEntry> = serde_json::from_str::<Counters>(&first.body).unwrap().counters;
    let head_of = |list: &[CounterEntry]| list.iter().find(|c| c.code == "JH-A-01").map(|c| c.head);
    assert_eq!(head_of(&listed), Some(0), "A has pushed nothing yet");

    let again = raw.request("GET", "/v1/counters", b"", &[("if-none-match", &tag)]);
    assert_eq!((again.status, again.body.as_str()), (304, ""), "unchanged: no list sent");
    assert_eq!(again.etag.as_deref(), Some(tag.as_str()));
    // Another tag (an older list) is answered with the list.
    let other = raw.request("GET", "/v1/counters", b"", &[("if-none-match", "\"0\"")]);
    assert_eq!(other.status, 200);

    let pushed = CityClient::new(&url(&service), &a).unwrap().push(&a).unwrap();
    assert_eq!(pushed.to, a.last_seq().unwrap());
    let after = raw.request("GET", "/v1/counters", b"", &[("if-none-match", &tag)]);
    assert_eq!(after.status, 200, "A's push changed the list at once");
    assert_ne!(after.etag.as_deref(), Some(tag.as_str()));
    let listed: Vec<CounterEntry> = serde_json::from_str::<Counters>(&after.body).unwrap().counters;
    assert_eq!(head_of(&listed), Some(pushed.to));
    let a_entry = listed.iter().find(|c| c.code == "JH-A-01").unwrap();
    let (_, last) = a.stored_events_from(pushed.to).next().unwrap().unwrap();
    let hash = hourbank::bank::StoredEvent::split(&last).unwrap().hash();
    assert_eq!(a_entry.head_hash, hash.to_vec(), "the head's link hash, for a push to start from");
}

#[test]
fn an_idle_round_is_one_request_and_a_round_after_others_moved_is_too() {
    let Some(db) = pg::database("svc_rounds") else { return };
    city_init(&db.url);
    let service = start(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let stores: Vec<_> = ["JH-A-01", "JH-B-01", "JH-C-01"]
        .iter()
        .enumerate()
        .map(|(i, code)| counter(dir.path(), code, i as u32 + 1))
        .collect();
    let banks: Vec<Bank> = stores.iter().map(|s| Bank::open(s).unwrap()).collect();
    let idle = bare_counter(dir.path(), "JH-D-01");
    let idle = Bank::open(&idle).unwrap();
    for bank in banks.iter().chain([&idle]) {
        enroll(&db.url, bank);
    }
    let keep = Minutes::new(u32::MAX);
    let mut syncs: Vec<ServiceSync> =
        banks.iter().map(|b| ServiceSync::new(&url(&service), b).unwrap()).collect();
    for (sync, bank) in syncs.iter_mut().zip(&banks) {
        sync.sync(bank, keep).unwrap();
    }

    let mut round = ServiceSync::new(&url(&service), &idle).unwrap();
    let before = requests(&db.url, "JH-D-01");
    let first = round.sync(&idle, keep).unwrap();
    let asked = requests(&db.url, "JH-D-01") - before;
    // The city's directory past D's position (with D's own head), the grants (asked on a
    // session's first round) and the push of D's own events; nobody's events are pulled.
    assert_eq!(asked, 3, "first round");
    assert_eq!(first.directory.cards, 1, "{:?}", first.directory);
    for code in ["JH-A-01", "JH-B-01", "JH-C-01"] {
        assert_eq!(idle.city_head(code).unwrap().0, 1, "none of {code}'s events at D");
    }
    // A round with nothing new anywhere is the directory past D's position alone: one range
    // read that finds nothing.
    std::thread::sleep(std::time::Duration::from_millis(300));
    round.sync(&idle, keep).unwrap();
    let before = requests(&db.url, "JH-D-01");
    let quiet = round.sync(&idle, keep).unwrap();
    assert_eq!(requests(&db.url, "JH-D-01") - before, 1, "an idle round is one request");
    assert_eq!((quiet.pushed.to - quiet.pushed.from, quiet.directory.cards), (0, 0));

    // Two counters record and push; the next idle round pulls both in one request.
    for (sync, bank) in syncs.iter_mut().zip(&banks).skip(1) {
        let sorting = bank.find_activity("垃圾分类督导").unwrap().0;
        bank.execute(&admin(), &Op::Deposit(deposit("JH000001", sorting, 45)), Mode::commit(None)).unwrap();
        sync.sync(bank, keep).unwrap();
    }
    let before = requests(&db.url, "JH-D-01");
    let moved = round.sync(&idle, keep).unwrap();
    assert_eq!(requests(&db.url, "JH-D-01") - before, 1, "the directory's changes, in one request");
    assert_eq!(moved.directory.cards, 1, "the card both deposits changed");
    let balance = idle.city_balance(&card("JH000001")).unwrap();
    let everywhere: u64 = banks.iter().map(|b| b.city_balance(&card("JH000001")).unwrap().here).sum();
    assert_eq!(balance.total() as u64, everywhere, "D sees every counter's hours");
    let listed = idle.city_card(&card("JH000001")).unwrap().expect("D's copy of the directory has the card");
    let shares: Vec<&str> = listed.shares.iter().map(|s| s.counter.as_str()).collect();
    assert_eq!(shares, ["JH-A-01", "JH-B-01", "JH-C-01"]);
    assert_eq!((listed.name.as_str(), listed.phone_tail.as_str()), ("陈华佩", "8000"));
}

#[test]
fn the_service_answers_wanted_events_in_order_whole_counters_with_their_signatures() {
    let Some(db) = pg::database("svc_wanted") else { return };
    city_init(&db.url);
    let service = start(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let (a, c) = (counter(dir.path(), "JH-A-01", 3), counter(dir.path(), "JH-C-01", 1));
    let (a, c) = (Bank::open(&a).unwrap(), Bank::open(&c).unwrap());
    for bank in [&a, &c] {
        enroll(&db.url, bank);
        CityClient::new(&url(&service), bank).unwrap().push(bank).unwrap();
    }
    let key = c.counter_key().unwrap().unwrap();
    let raw = Raw { base: url(&service), key: &key, code: "JH-C-01" };
    let wants = wire::EventsWanted {
        wants: vec![
            wire::Want { counter: "JH-C-01".into(), after: 1 },
            wire::Want { counter: "JH-NONE".into(), after: 0 },
            wire::Want { counter: "JH-A-01".into(), after: 2 },
            wire::Want { counter: "JH-A-01".into(), after: a.last_seq().unwrap() },
        ],
    };
    let (status, body) = raw.post("/v1/events", &serde_json::to_vec(&wants).unwrap());
    assert_eq!(status, 200, "{body}");
    let answered: Vec<wire::CounterEvents> = serde_json::from_str(&body).unwrap();
    let codes: Vec<&str> = answered.iter().map(|a| a.counter.as_str()).collect();
    assert_eq!(codes, ["JH-C-01", "JH-A-01"], "in order; nothing for an unknown counter or one at its head");
    for (answer, bank, after) in [(&answered[0], &c, 1), (&answered[1], &a, 2)] {
        let seqs: Vec<u64> = answer.events.rows.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, (after + 1..=bank.last_seq().unwrap()).collect::<Vec<_>>(), "{}", answer.counter);
        let last = *seqs.last().unwrap();
        assert!(answer.events.signatures.iter().any(|s| s.seq == last), "the batch's signature comes along");
        let stored: Vec<&[u8]> = answer.events.rows.iter().map(|r| r.stored.as_slice()).collect();
        let signed: Vec<(u64, &[u8])> =
            answer.events.signatures.iter().map(|s| (s.seq, s.signature.as_slice())).collect();
        let key = bank.counter_key().unwrap().unwrap().verifying_key();
        assert_eq!(wire::covered(&answer.counter, &key, 0, after + 1, &stored, &signed), last);
    }
    let too_many = wire::EventsWanted {
        wants: (0..5000).map(|i| wire::Want { counter: format!("X{i}"), after: 0 }).collect(),
    };
    let (status, body) = raw.post("/v1/events", &serde_json::to_vec(&too_many).unwrap());
    assert_eq!(status, 400, "{body}");
}
