//! A counter joining the city takes its directory a page at a time where nothing reads it, then
//! what changed while it read, and only then shows it: against the real service and
//! PostgreSQL, with pages small enough to have many.

use crate::city;
use crate::common;

use std::collections::BTreeMap;

use city::*;
use common::*;
use hourbank::bank::{Bank, Mode, Op};
use hourbank::city::wire::Cards;
use hourbank::city::{CityClient, JoinProgress, ServiceSync};
use hourbank::domain::Minutes;

const KEEP: Minutes = Minutes::new(u32::MAX);

/// The directory as a counter holds it: card → (name, hours everywhere, position).
fn held(bank: &Bank) -> BTreeMap<String, (String, u64, u64)> {
    bank.city_directory()
        .map(|c| {
            let (card, d) = c.unwrap();
            let minutes = d.pool + d.shares.iter().map(|s| s.minutes).sum::<u64>();
            (card, (d.name.to_string(), minutes, d.pos))
        })
        .collect()
}

/// The directory as the service has it now, all of it in one answer (no limit).
fn served(raw: &Raw) -> (u64, BTreeMap<String, (String, u64, u64)>) {
    let answer = raw.request("GET", "/v1/cards?after=0", b"", &[]);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let cards: Cards = serde_json::from_str(&answer.body).unwrap();
    let rows = cards.cards.iter().map(|c| (c.card.clone(), (c.name.clone(), c.balance(), c.pos))).collect();
    (cards.position, rows)
}

/// A city of 30 cards at A. B joins 4 cards a page; between its pages A records hours for the
/// first card (a page B already read) and registers a card that sorts before every other (a
/// place B's pages have passed). While B reads, its directory shows nothing of the join; once
/// done it is the service's directory exactly, as of one position — the changes made while it
/// read included, which pages alone would miss.
#[test]
fn a_join_in_pages_while_another_counter_pushes_shows_the_city_as_of_one_position() {
    // Every part bound: what is not would end (the service, the database) with this statement.
    let Some(TwoCounters { db: _db, service: _service, dir: _dir, base, a, b, .. }) =
        two_counters("join_pages")
    else {
        return;
    };
    let sorting = a.find_activity("垃圾分类督导").unwrap().0;
    for i in 0..30 {
        let c = format!("JH{:06}", 100 + i);
        register(&a, &c, "志愿者");
        a.execute(&admin(), &Op::Deposit(deposit(&c, sorting, 30)), Mode::commit(None)).unwrap();
    }
    let pusher = CityClient::new(&base, &a).unwrap();
    pusher.push(&a).unwrap();

    let mut pages = Vec::new();
    let seen_meanwhile = std::sync::Mutex::new(Vec::new());
    {
        let (a, b, pusher, seen) = (&a, &b, &pusher, &seen_meanwhile);
        let progress = move |p: JoinProgress| {
            pages.push(p);
            seen.lock().unwrap().push((b.city_position().unwrap().0, held(b).len()));
            if pages.len() == 2 {
                a.execute(&admin(), &Op::Deposit(deposit("JH000100", sorting, 45)), Mode::commit(None))
                    .unwrap();
                register(a, "JH000001", "后来者");
                pusher.push(a).unwrap();
            }
        };
        // Scoped: the closure borrows; a ServiceSync wants 'static, so drive the client.
        let client = CityClient::new(&base, b).unwrap().with_page(4);
        let first = client.cards(0).unwrap();
        assert_eq!(first.total, Some(30), "a first page says how many cards the city has");
        assert_eq!(first.cards.len(), 4);
        let mut progress = progress;
        let (taken, _) = client.take_cards(b, 0, first, &mut progress).unwrap();
        assert_eq!(taken, 30, "the pages: the 30 cards there were when the join began");
    }
    let seen = seen_meanwhile.into_inner().unwrap();
    assert_eq!(seen.len(), 8, "30 cards in pages of 4: {seen:?}");
    assert!(seen.iter().all(|&(pos, cards)| pos == 0 && cards == 0), "B showed part of its join: {seen:?}");

    let key = b.counter_key().unwrap().unwrap();
    let raw = Raw { base: base.clone(), key: &key, code: "JH-B-01" };
    let (position, city) = served(&raw);
    assert_eq!(b.city_position().unwrap().0, position, "B is as of the service's position");
    assert_eq!(held(&b), city, "B's directory is the service's");
    assert_eq!(city.len(), 31);
    assert_eq!(held(&b)["JH000100"].1, 75, "the hours recorded while B read its pages");
    assert_eq!(held(&b)["JH000001"].0, "后来者", "the card registered behind B's pages");
}

/// A counter whose directory is far behind (more cards changed than one answer holds) takes it
/// again in pages; meanwhile its screens keep the directory it had, whole, and after it holds
/// the new one. The service never sends more than a page.
#[test]
fn a_counter_far_behind_joins_again_and_shows_its_old_directory_until_done() {
    let Some(TwoCounters { db: _db, service: _service, dir: _dir, base, a, b, .. }) =
        two_counters("join_again")
    else {
        return;
    };
    let sorting = a.find_activity("垃圾分类督导").unwrap().0;
    for i in 0..6 {
        register(&a, &format!("JH{:06}", 200 + i), "志愿者");
    }
    let pusher = CityClient::new(&base, &a).unwrap();
    pusher.push(&a).unwrap();
    ServiceSync::new(&base, &b).unwrap().with_page(5).sync(&b, KEEP).unwrap();
    let before = held(&b);
    assert_eq!(before.len(), 6);
    let old_position = b.city_position().unwrap().0;
    // 12 cards change (6 get hours, 6 are new): more than B's page of 5.
    for i in 0..6 {
        a.execute(
            &admin(),
            &Op::Deposit(deposit(&format!("JH{:06}", 200 + i), sorting, 60)),
            Mode::commit(None),
        )
        .unwrap();
        register(&a, &format!("JH{:06}", 300 + i), "新人");
    }
    pusher.push(&a).unwrap();

    let key = b.counter_key().unwrap().unwrap();
    let raw = Raw { base: base.clone(), key: &key, code: "JH-B-01" };
    let answer = raw.request("GET", &format!("/v1/cards?after={old_position}&limit=5"), b"", &[]);
    let answer: Cards = serde_json::from_str(&answer.body).unwrap();
    assert!(answer.rejoin && answer.cards.is_empty(), "12 changes, a limit of 5: {answer:?}");

    let meanwhile = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let b = std::sync::Arc::new(b);
    let (seen, reader) = (meanwhile.clone(), b.clone());
    let mut sync = ServiceSync::new(&base, &b).unwrap().with_page(5).on_join_progress(move |p| {
        seen.lock().unwrap().push((p, reader.city_position().unwrap().0, held(&reader)));
    });
    let synced = sync.sync(&b, KEEP).unwrap();
    let meanwhile = meanwhile.lock().unwrap();
    assert_eq!(meanwhile.len(), 3, "12 cards in pages of 5");
    for (p, position, cards) in meanwhile.iter() {
        assert_eq!((*position, cards), (old_position, &before), "B's directory during the join, at {p:?}");
    }
    assert_eq!(meanwhile.last().unwrap().0, JoinProgress { taken: 12, total: Some(12) });
    let (position, city) = served(&raw);
    assert_eq!((b.city_position().unwrap().0, held(&b)), (position, city));
    assert_eq!(synced.directory.cards, 12);
    assert_eq!(held(&b)["JH000203"].1, 60);
}

/// A join cut short (the process stopped between pages) leaves the directory the counter had;
/// the pages it took are dropped when the store is opened again, and the next sync joins
/// whole.
#[test]
fn a_join_cut_short_leaves_the_old_directory_and_the_next_sync_joins_whole() {
    let Some(TwoCounters { db: _db, service: _service, dir: _dir, base, a, b, b_store, .. }) =
        two_counters("join_cut")
    else {
        return;
    };
    for i in 0..9 {
        register(&a, &format!("JH{:06}", 400 + i), "志愿者");
    }
    CityClient::new(&base, &a).unwrap().push(&a).unwrap();
    ServiceSync::new(&base, &b).unwrap().sync(&b, KEEP).unwrap();
    let before = (b.city_position().unwrap().0, held(&b));
    assert_eq!(before.1.len(), 9);

    // A join's first pages, staged, and then the process is gone before its end.
    b.begin_city_join().unwrap();
    let client = CityClient::new(&base, &b).unwrap().with_page(2);
    let page = client.cards(0).unwrap();
    let staged: Vec<_> = page
        .cards
        .iter()
        .map(|row| {
            let (card, _) = before.1.iter().find(|(c, _)| **c == row.card).unwrap();
            (common::card(card), b.city_card(&common::card(card)).unwrap().unwrap())
        })
        .collect();
    b.stage_city_join(&staged).unwrap();
    assert_eq!((b.city_position().unwrap().0, held(&b)), before, "a page staged shows nothing");
    drop(client);
    drop(b);

    let b = Bank::open(&b_store).unwrap();
    assert_eq!((b.city_position().unwrap().0, held(&b)), before, "reopened: the directory it had");
    // Made the directory as it stands, the tree the cut join wrote into is empty: opening the
    // store dropped its pages.
    b.finish_city_join(before.0, &[]).unwrap();
    assert!(held(&b).is_empty(), "the pages of the join cut short survived: {:?}", held(&b));
    // And a whole join from here is the city's.
    let client = CityClient::new(&base, &b).unwrap();
    let first = client.cards(0).unwrap();
    client.take_cards(&b, 0, first, &mut |_| {}).unwrap();
    let key = b.counter_key().unwrap().unwrap();
    let (position, city) = served(&Raw { base: base.clone(), key: &key, code: "JH-B-01" });
    assert_eq!((b.city_position().unwrap().0, held(&b)), (position, city));
}
