//! Ten counters, ten thousand random entries each (deposits, redemptions of local hours,
//! transfers, reversals — valid and refused), synced through the real binary in random order
//! against the real PostgreSQL. After a final round every counter gives every card the same
//! city balance, which is what SQL adds up from the report rows and what an independent model
//! of the ledger says; `check` passes at every counter and `city check` on the server.
//!
//! `HOURBANK_CITY_SEED` replays a run; `HOURBANK_CITY_EVENTS` sets the entries per counter.

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::city;
use crate::common;
use crate::pg;

use city::*;
use common::*;
use hourbank::bank::{Bank, BankError, Mode, Op, Redemption, Reversal, Transfer};
use hourbank::domain::{Minutes, Rule};

const COUNTERS: usize = 10;
const OWN_CARDS: usize = 10;
const ROUNDS: usize = 5;

/// One counter's entry that moved hours, as the model saw it.
struct Entry {
    seq: u64,
    effects: Vec<(String, i64)>,
    reversed: bool,
}

#[derive(Default)]
struct Model {
    /// (counter, card) → minutes held there.
    local: HashMap<(usize, String), i64>,
    entries: Vec<Vec<Entry>>,
}

impl Model {
    fn held(&self, c: usize, card: &str) -> i64 {
        self.local.get(&(c, card.to_string())).copied().unwrap_or(0)
    }
    fn city(&self, card: &str) -> i64 {
        (0..COUNTERS).map(|c| self.held(c, card)).sum()
    }
    fn book(&mut self, c: usize, seq: u64, effects: Vec<(String, i64)>) {
        for (card, d) in &effects {
            *self.local.entry((c, card.clone())).or_default() += d;
        }
        self.entries[c].push(Entry { seq, effects, reversed: false });
    }
}

fn code(c: usize) -> String {
    format!("JH-M-{c:02}")
}

fn own_card(c: usize, i: usize) -> String {
    format!("K{c:02}V{i:03}")
}

/// Says whether the bank agreed with the model: Ok when the model says valid, a rule when not.
fn agree<T>(valid: bool, got: Result<T, BankError>, what: &str) -> Option<T> {
    match (valid, got) {
        (true, Ok(v)) => Some(v),
        (false, Err(BankError::Rule(_))) => None,
        (_, Err(BankError::Store(e))) => panic!("{what}: the store failed: {e}"),
        (true, Err(e)) => panic!("{what}: the model says valid, the bank refused: {e}"),
        (false, Ok(_)) => panic!("{what}: the model says refused, the bank committed it"),
    }
}

fn step(bank: &Bank, c: usize, model: &mut Model, rng: &mut StdRng, all_cards: &[String]) {
    let who = admin();
    let local: Vec<&String> = all_cards.iter().filter(|k| bank.find_card(&card(k)).is_ok()).collect();
    match rng.random_range(0..100) {
        0..50 => {
            // A card registered here, or at a counter this one has pulled (registered here on
            // the way, as the counter does).
            let k = &all_cards[rng.random_range(0..all_cards.len())];
            let known = bank.find_card(&card(k)).is_ok() || bank.city_listing(&card(k)).unwrap().is_some();
            let m = 30 * rng.random_range(1..=8);
            let sorting = bank.find_activity("垃圾分类督导").unwrap().0;
            if let Some(done) = agree(
                known,
                bank.execute(&who, &Op::Deposit(deposit(k, sorting, m)), Mode::commit(None)),
                "deposit",
            ) {
                model.book(c, done.events.last().unwrap().seq(), vec![(k.clone(), i64::from(m))]);
            }
        }
        50..65 => {
            let k = local[rng.random_range(0..local.len())];
            let rice = bank.find_reward("大米").unwrap().id;
            let r = Redemption { card: card(k), reward: rice, qty: 1 };
            if let Some(done) = agree(
                model.held(c, k) >= 60,
                bank.execute(&who, &Op::Redeem(r.clone()), Mode::commit(None)),
                "redeem",
            ) {
                model.book(c, done.first_seq(), vec![(k.clone(), -60)]);
            }
        }
        65..85 => {
            let (a, b) = (local[rng.random_range(0..local.len())], local[rng.random_range(0..local.len())]);
            if a == b {
                return;
            }
            let t = Transfer { from: card(a), to: card(b), minutes: Minutes::new(30), note: String::new() };
            if let Some(done) = agree(
                model.held(c, a) >= 30,
                bank.execute(&who, &Op::Transfer(t.clone()), Mode::commit(None)),
                "transfer",
            ) {
                model.book(c, done.first_seq(), vec![(a.clone(), -30), (b.clone(), 30)]);
            }
        }
        _ => {
            let open: Vec<usize> =
                (0..model.entries[c].len()).filter(|i| !model.entries[c][*i].reversed).collect();
            if open.is_empty() {
                return;
            }
            let i = open[rng.random_range(0..open.len())];
            let e = &model.entries[c][i];
            let valid = e.effects.iter().all(|(k, d)| model.held(c, k) - d >= 0);
            let got = bank.execute(
                &who,
                &Op::Reverse(Reversal { target: e.seq, reason: "录错".to_string() }),
                Mode::commit(None),
            );
            if matches!(&got, Err(BankError::Rule(Rule::InsufficientBalance { .. }))) && valid {
                panic!("reversal of #{} refused though the model holds enough", e.seq);
            }
            if agree(valid, got, "reversal").is_some() {
                let negated: Vec<(String, i64)> = e.effects.iter().map(|(k, d)| (k.clone(), -d)).collect();
                model.entries[c][i].reversed = true;
                for (k, d) in negated {
                    *model.local.entry((c, k)).or_default() += d;
                }
            }
        }
    }
}

#[test]
fn ten_counters_of_random_entries_agree_on_every_city_balance_with_sql_and_the_model() {
    let Some(db) = pg::database("city_many") else { return };
    city_init(&db.url);
    let seed: u64 =
        std::env::var("HOURBANK_CITY_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random);
    let per_counter: usize =
        std::env::var("HOURBANK_CITY_EVENTS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    eprintln!("HOURBANK_CITY_SEED={seed} HOURBANK_CITY_EVENTS={per_counter}");
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let all_cards: Vec<String> =
        (0..COUNTERS).flat_map(|c| (0..OWN_CARDS).map(move |i| own_card(c, i))).collect();
    let mut model = Model { entries: (0..COUNTERS).map(|_| Vec::new()).collect(), ..Model::default() };
    let stores: Vec<std::path::PathBuf> = (0..COUNTERS)
        .map(|c| {
            let path = bare_counter(dir.path(), &code(c));
            let bank = Bank::open(&path).unwrap();
            reward(&bank, "大米", 1, None);
            for i in 0..OWN_CARDS {
                register(&bank, &own_card(c, i), "志愿者");
            }
            path
        })
        .collect();
    for round in 0..ROUNDS {
        for (c, store) in stores.iter().enumerate() {
            let bank = Bank::open(store).unwrap();
            for _ in 0..per_counter / ROUNDS {
                step(&bank, c, &mut model, &mut rng, &all_cards);
            }
        }
        let mut order: Vec<usize> = (0..COUNTERS).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.random_range(0..=i));
        }
        // Some counters stay offline for a round.
        for c in order.into_iter().filter(|_| round == ROUNDS - 1 || rng.random_bool(0.7)) {
            let (code, _, err) = sync(&stores[c], &db.url);
            assert_eq!(code, 0, "round {round}, counter {c}: {err}");
        }
    }
    // The final round: everyone pushes, then everyone pulls what the others pushed.
    for store in stores.iter().chain(stores.iter()) {
        let (code, _, err) = sync(store, &db.url);
        assert_eq!(code, 0, "{err}");
    }
    let mut sql = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let in_sql: HashMap<String, i64> = sql
        .query("SELECT card, sum(minutes)::BIGINT FROM hb_entries GROUP BY card", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let banks: Vec<Bank> = stores.iter().map(|s| Bank::open(s).unwrap()).collect();
    for k in &all_cards {
        let expected = model.city(k);
        assert_eq!(in_sql.get(k).copied().unwrap_or(0), expected, "card {k}: SQL vs the model");
        for (c, bank) in banks.iter().enumerate() {
            let city = bank.city_balance(&card(k)).unwrap();
            assert_eq!(city.total() as i64, expected, "card {k} at counter {c}: city balance vs the model");
            assert_eq!(city.here as i64, model.held(c, k), "card {k} at counter {c}: held here");
        }
    }
    drop(banks);
    for store in &stores {
        hourbank_ok(store, &["check"], "");
    }
    let out = hourbank_ok(&stores[0], &["city", "check", "--url", &db.url, "--json"], "");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["ok"], true, "{out}");
    assert_eq!(report["counters"], COUNTERS);
    // One card through the command line, at two counters.
    let k = &all_cards[3];
    for store in [&stores[0], &stores[9]] {
        let out = hourbank_ok(store, &["balance", k, "--json"], "");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["city_balance_minutes"].as_i64(), Some(model.city(k)));
    }
}
