//! The city's directory and balances (`hb_cards`, `hb_shares`) and its city-wide position,
//! against the real service and PostgreSQL: a pull is one range read past a position, and no
//! change that commits late is skipped or read twice.

use crate::city;
use crate::common;
use crate::pg;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use city::*;
use common::*;
use hourbank::bank::{Bank, Mode, Op};
use hourbank::city::CityClient;
use hourbank::city::wire::{CardRow, Cards};

const PUSHERS: usize = 4;
const ROUNDS: u32 = 25;

/// Counters push at once — each push registers a fresh card and records hours for it, so each
/// card changes exactly once — while another counter pulls past its position again and again.
/// Every card must reach the puller exactly once, with what was recorded, and nothing at or
/// before a position it already holds may come again: a position taken before the commit (a
/// sequence, a clock) would let a push that commits late fall behind the puller and be lost.
#[test]
fn concurrent_pushes_reach_a_puller_once_each_and_none_is_skipped() {
    let Some(db) = pg::database("cards_order") else { return };
    city_init(&db.url);
    let service = start(&db.url);
    let base = url(&service);
    let dir = tempfile::tempdir().unwrap();
    let codes: Vec<String> = (0..PUSHERS).map(|i| format!("JH-P-{i:02}")).collect();
    let stores: Vec<_> = codes.iter().map(|c| bare_counter(dir.path(), c)).collect();
    let puller = Bank::open(&bare_counter(dir.path(), "JH-Q-01")).unwrap();
    for store in &stores {
        enroll(&db.url, &Bank::open(store).unwrap());
    }
    enroll(&db.url, &puller);

    let done = AtomicBool::new(false);
    let (seen, last) = std::thread::scope(|s| {
        let pushers: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(i, store)| {
                let base = base.clone();
                s.spawn(move || {
                    let bank = Bank::open(store).unwrap();
                    let client = CityClient::new(&base, &bank).unwrap();
                    let sorting = bank.find_activity("垃圾分类督导").unwrap().0;
                    for r in 0..ROUNDS {
                        let c = format!("C{i}R{r:03}");
                        register(&bank, &c, "志愿者");
                        bank.execute(
                            &admin(),
                            &Op::Deposit(deposit(&c, sorting, 30 + r)),
                            Mode::commit(None),
                        )
                        .unwrap();
                        client.push(&bank).unwrap();
                    }
                })
            })
            .collect();
        let puller = s.spawn(|| {
            let client = CityClient::new(&base, &puller).unwrap();
            let mut seen: BTreeMap<String, (u32, CardRow)> = BTreeMap::new();
            let mut after = 0;
            loop {
                // Read `done` before the pull: the pull after the last push is the last.
                let finished = done.load(Ordering::SeqCst);
                let Cards { position, cards, .. } = client.cards(after).unwrap();
                assert!(position >= after, "the position went back: {after} -> {position}");
                for card in cards {
                    assert!(
                        card.pos > after && card.pos <= position,
                        "card {} at position {} came in a pull after {after} as of {position}",
                        card.card,
                        card.pos
                    );
                    let entry = seen.entry(card.card.clone()).or_insert((0, card.clone()));
                    entry.0 += 1;
                    entry.1 = card;
                }
                after = position;
                if finished {
                    return (seen, after);
                }
            }
        });
        for p in pushers {
            p.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
        puller.join().unwrap()
    });

    let whole = CityClient::new(&base, &puller).unwrap().cards(0).unwrap();
    assert_eq!(whole.position, last, "nothing moved after the last pull");
    assert_eq!(whole.cards.len(), PUSHERS * ROUNDS as usize);
    for card in &whole.cards {
        let (times, pulled) =
            seen.get(&card.card).unwrap_or_else(|| panic!("card {} never reached the puller", card.card));
        assert_eq!(*times, 1, "card {} changed once and was read {times} times", card.card);
        assert_eq!(pulled, card, "card {}: what was pulled is what the city holds", card.card);
        // The model: card C{i}R{r} was registered at pusher i with 30 + r minutes.
        let (i, r) = card.card[1..].split_once('R').unwrap();
        let (i, r): (usize, u64) = (i.parse().unwrap(), r.parse().unwrap());
        assert_eq!(card.home, codes[i]);
        assert_eq!(card.balance(), 30 + r);
        assert_eq!(card.shares.len(), 1);
        assert_eq!((card.shares[0].counter.as_str(), card.shares[0].minutes), (codes[i].as_str(), 30 + r));
        assert_eq!((card.name.as_str(), card.phone_tail.as_str()), ("志愿者", "8000"));
    }
    city_check(&stores[0], &db.url);
}

/// The directory holds what every counter needs and no more: the phone's last four digits, no
/// full phone and no ID number; a counter's later edit of its own volunteer changes it, another
/// counter's registration of the same card (an adoption) does not; and every share and pool is
/// what the journals say, as `city check` confirms — and refuses when a row is altered.
#[test]
fn the_directory_holds_need_to_know_fields_and_check_holds_it_to_the_journals() {
    let Some(TwoCounters { db, service: _service, dir: _dir, base, a, b, a_store, .. }) =
        two_counters("cards_fields")
    else {
        return;
    };
    let form = |name: &str, phone: &str| person("JH000001", name, phone, "440703199001011234");
    a.register_volunteer(&admin(), None, &form("陈华佩", "13800138000")).unwrap();
    let sorting = a.find_activity("垃圾分类督导").unwrap().0;
    a.execute(&admin(), &Op::Deposit(deposit("JH000001", sorting, 90)), Mode::commit(None)).unwrap();
    let (ca, cb) = (CityClient::new(&base, &a).unwrap(), CityClient::new(&base, &b).unwrap());
    ca.push(&a).unwrap();
    // B registers the same card under another name and phone; A edits its own record.
    b.register_volunteer(&admin(), None, &form("陈华", "13900139111")).unwrap();
    let b_sorting = b.find_activity("垃圾分类督导").unwrap().0;
    b.execute(&admin(), &Op::Deposit(deposit("JH000001", b_sorting, 30)), Mode::commit(None)).unwrap();
    cb.push(&b).unwrap();
    let volunteer = a.find_card(&card("JH000001")).unwrap().id;
    a.edit_volunteer(&admin(), None, volunteer, &form("陈华佩", "13700137222"), true).unwrap();
    ca.push(&a).unwrap();

    let cards = cb.cards(0).unwrap();
    let [row] = cards.cards.as_slice() else { panic!("one card: {:?}", cards.cards) };
    assert_eq!(
        (row.home.as_str(), row.name.as_str(), row.phone_tail.as_str()),
        ("JH-A-01", "陈华佩", "7222")
    );
    assert_eq!(row.balance(), 120);
    let body = serde_json::to_string(&cards).unwrap();
    for secret in ["13700137222", "13800138000", "13900139111", "440703199001011234"] {
        assert!(!body.contains(secret), "the directory carries {secret}: {body}");
    }
    // Nothing changed since: an empty answer at the same position.
    let again = cb.cards(cards.position).unwrap();
    assert_eq!((again.position, again.cards.len()), (cards.position, 0));

    let store = a_store;
    city_check(&store, &db.url);
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    sql.execute("UPDATE hb_shares SET minutes = minutes + 600 WHERE counter = 'JH-B-01'", &[]).unwrap();
    sql.execute("UPDATE hb_cards SET name = '王五'", &[]).unwrap();
    let (code, out, _) = hourbank(&store, &["city", "check", "--url", &db.url], "");
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("counter JH-B-01's share in the directory is 630 minutes, its report rows add up to 30"),
        "{out}"
    );
    assert!(out.contains("card JH000001: the directory's name"), "{out}");
}

/// A city set up before the directory: `city init` derives its cards and shares once from what
/// it holds, equal to what the pushes would have published, and leaves them alone after.
#[test]
fn city_init_derives_the_directory_of_a_city_that_had_none() {
    let Some(db) = pg::database("cards_backfill") else { return };
    city_init(&db.url);
    let service = start(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let stores: Vec<_> = ["JH-A-01", "JH-B-01"]
        .iter()
        .enumerate()
        .map(|(i, c)| counter(dir.path(), c, i as u32 + 2))
        .collect();
    let banks: Vec<Bank> = stores.iter().map(|s| Bank::open(s).unwrap()).collect();
    for bank in &banks {
        enroll(&db.url, bank);
        CityClient::new(&url(&service), bank).unwrap().push(bank).unwrap();
    }
    let client = CityClient::new(&url(&service), &banks[0]).unwrap();
    let published = client.cards(0).unwrap().cards;
    assert_eq!(published.len(), 1, "both counters registered JH000001");
    // The city as the version before the directory left it.
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    sql.batch_execute("DELETE FROM hb_shares; DELETE FROM hb_cards; UPDATE hb_position SET pos = 0").unwrap();
    assert!(client.cards(0).unwrap().cards.is_empty());

    city_init(&db.url);
    let derived = client.cards(0).unwrap();
    assert_eq!(derived.position, 1);
    let strip = |rows: &[CardRow]| rows.iter().map(|r| CardRow { pos: 0, ..r.clone() }).collect::<Vec<_>>();
    assert_eq!(strip(&derived.cards), strip(&published));
    assert_eq!(derived.cards[0].home, "JH-A-01", "the earliest registration, then the code");
    city_init(&db.url);
    assert_eq!(client.cards(0).unwrap(), derived, "a second init changes nothing");
    city_check(&stores[0], &db.url);
}

/// Offline, a counter finds any volunteer of the city from its copy of the directory — by card,
/// name, pinyin, initials and phone tail — and records hours for them: the deposit registers
/// them here with the directory's fields only (no phone, no ID number), and their city balance
/// adds up.
#[test]
fn offline_the_directory_finds_city_volunteers_and_hours_are_recorded_for_them() {
    let Some(db) = pg::database("cards_offline") else { return };
    city_init(&db.url);
    let service = start(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (counter(dir.path(), "JH-A-01", 1), bare_counter(dir.path(), "JH-B-01"));
    let (a, b) = (Bank::open(&a).unwrap(), Bank::open(&b).unwrap());
    enroll(&db.url, &a);
    enroll(&db.url, &b);
    let keep = hourbank::domain::Minutes::new(u32::MAX);
    hourbank::city::ServiceSync::new(&url(&service), &a).unwrap().sync(&a, keep).unwrap();
    hourbank::city::ServiceSync::new(&url(&service), &b).unwrap().sync(&b, keep).unwrap();
    drop(service);

    let mut index = b.search_index().unwrap();
    for query in ["JH000001", "陈华佩", "chenhuapei", "chp", "8000"] {
        let hits = index.search(query, 10);
        assert!(
            hits.iter().any(|h| h.id == hourbank::search::ELSEWHERE && index.card_of(h) == "JH000001"),
            "{query} finds the volunteer registered at A"
        );
    }
    let sorting = b.find_activity("垃圾分类督导").unwrap().0;
    b.execute(&admin(), &Op::Deposit(deposit("JH000001", sorting, 60)), Mode::commit(None)).unwrap();
    let here = b.find_card(&card("JH000001")).unwrap();
    assert_eq!(here.volunteer.name.as_str(), "陈华佩");
    assert_eq!((here.volunteer.phone, here.volunteer.id_number), (None, None), "the directory's fields only");
    let city = b.city_balance(&card("JH000001")).unwrap();
    assert_eq!((city.here, city.total()), (60, 30 + 60), "A's 30 minutes and B's 60");
}

/// Every file of a store that joined the city (sled's files, the journal copy, the key files)
/// holds no full phone and no ID number of a volunteer registered elsewhere — and does hold
/// what the directory gives (the name), so the scan sees the store's bytes as they are.
#[test]
fn a_joined_store_holds_no_full_phone_or_id_number_of_volunteers_registered_elsewhere() {
    let Some(db) = pg::database("cards_scan") else { return };
    city_init(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (bare_counter(dir.path(), "JH-A-01"), bare_counter(dir.path(), "JH-B-01"));
    let form = person("JH000001", "陈华佩", "13812345678", "44070319900101123X");
    register_with_hours(&Bank::open(&a).unwrap(), &form, 60);
    assert_eq!(sync(&a, &db.url).0, 0);
    assert_eq!(sync(&b, &db.url).0, 0);
    // B serves the volunteer too: the deposit registers them at B from the directory.
    hourbank_ok(&b, &["deposit", "--card", "JH000001", "--activity", "垃圾分类督导", "--hours", "1"], "");
    assert_eq!(sync(&b, &db.url).0, 0);
    let mut files = Vec::new();
    let mut dirs = vec![dir.path().join("JH-B-01")];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() { dirs.push(path) } else { files.push(path) }
        }
    }
    for sibling in std::fs::read_dir(dir.path()).unwrap().flatten() {
        let name = sibling.file_name().to_string_lossy().into_owned();
        if name.starts_with("JH-B-01.") {
            files.push(sibling.path());
        }
    }
    let mut all = Vec::new();
    for file in &files {
        all.extend(std::fs::read(file).unwrap());
    }
    let holds = |needle: &str| all.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(holds("陈华佩"), "the scan reads the store's bytes ({} files)", files.len());
    for secret in ["13812345678", "44070319900101123X"] {
        assert!(!holds(secret), "{secret} is in B's store");
    }
}

/// `city init`'s derivation marks the same conflicts the pushes do: a card another counter
/// registered with the same name and community but another phone is in conflict either way.
#[test]
fn city_init_marks_a_card_registered_with_another_phone_as_in_conflict() {
    let Some(db) = pg::database("cards_backfill_conflict") else { return };
    city_init(&db.url);
    let service = start(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (bare_counter(dir.path(), "JH-A-01"), bare_counter(dir.path(), "JH-B-01"));
    let (a, b) = (Bank::open(&a).unwrap(), Bank::open(&b).unwrap());
    register_with_hours(&a, &person("JH000001", "陈华佩", "13800138000", ""), 30);
    register_with_hours(&b, &person("JH000001", "陈华佩", "13900139111", ""), 30);
    for bank in [&a, &b] {
        enroll(&db.url, bank);
        CityClient::new(&url(&service), bank).unwrap().push(bank).unwrap();
    }
    let client = CityClient::new(&url(&service), &a).unwrap();
    let conflict = |cards: Cards| cards.cards.into_iter().map(|c| c.conflict).collect::<Vec<_>>();
    assert_eq!(conflict(client.cards(0).unwrap()), [Some("JH-B-01".to_string())], "marked at the push");
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    sql.batch_execute("DELETE FROM hb_shares; DELETE FROM hb_cards; UPDATE hb_position SET pos = 0").unwrap();
    city_init(&db.url);
    assert_eq!(conflict(client.cards(0).unwrap()), [Some("JH-B-01".to_string())], "and by city init");
}
