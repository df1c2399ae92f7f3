//! The escrow (ARCHITECTURE.md §8) as a property: three real counters (real stores, the real ledger
//! and the real release, grant and heal operations) against an in-memory model of the city
//! server's side (the pools, the grants, what each counter has pushed). Random deposits,
//! redemptions, syncs, partitions and crashes between a grant and its commit; after every
//! step no balance or pool is negative and the city's hours add up — every counter's share,
//! the pool, grants in transit and releases not pushed yet make exactly what was deposited
//! less what was redeemed. After everyone reconnects and syncs, nothing is in transit and the
//! counters agree.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use hourbank::bank::{Bank, CityGrant, Commit, Mode, Op as BankOp, Redemption, shortfall};
use hourbank::domain::{EventKind, Minutes};
use proptest::prelude::*;

const COUNTERS: usize = 3;
const CARDS: [&str; 2] = ["JH000001", "JH000002"];
/// Minutes a counter keeps of each share at a sync.
const FLOAT: u32 = 30;

#[derive(Debug, Clone)]
enum Op {
    Deposit { at: usize, card: usize, minutes: u32 },
    Redeem { at: usize, card: usize, qty: u32, crash: bool },
    Sync { at: usize, push_fails: bool },
    Partition { at: usize },
}

fn op() -> impl Strategy<Value = Op> {
    let at = 0..COUNTERS;
    prop_oneof![
        3 => (at.clone(), 0..CARDS.len(), 1u32..120).prop_map(|(at, card, minutes)| Op::Deposit { at, card, minutes }),
        4 => (at.clone(), 0..CARDS.len(), 1u32..8, prop::bool::weighted(0.15))
            .prop_map(|(at, card, qty, crash)| Op::Redeem { at, card, qty, crash }),
        3 => (at.clone(), prop::bool::weighted(0.15)).prop_map(|(at, push_fails)| Op::Sync { at, push_fails }),
        1 => at.prop_map(|at| Op::Partition { at }),
    ]
}

/// The city server's side: pools, grants (id → counter, card, minutes), and how far each
/// counter's journal has been pushed (a release reaches its pool when pushed).
#[derive(Default)]
struct ServerModel {
    pool: BTreeMap<usize, u64>,
    grants: BTreeMap<String, (usize, usize, u64)>,
    pushed: [u64; COUNTERS],
}

struct City {
    _dirs: Vec<tempfile::TempDir>,
    banks: Vec<Bank>,
    rice: Vec<u64>,
    server: ServerModel,
    offline: [bool; COUNTERS],
    deposited: u64,
    redeemed: u64,
    next_grant: u64,
}

impl City {
    fn new() -> City {
        let mut dirs = Vec::new();
        let mut banks = Vec::new();
        let mut rice = Vec::new();
        for _ in 0..COUNTERS {
            let dir = tempfile::tempdir().unwrap();
            let bank = init_in(&dir.path().join("store"));
            for (i, c) in CARDS.iter().enumerate() {
                register(&bank, c, ["陈华佩", "李伟"][i]);
            }
            activity(&bank, "垃圾分类督导");
            rice.push(reward(&bank, "大米", 1, None));
            // 10 minutes a unit: priced in hours, repriced to make small spends.
            bank.reprice_reward(&admin(), None, *rice.last().unwrap(), Minutes::new(10)).unwrap();
            dirs.push(dir);
            banks.push(bank);
        }
        City {
            _dirs: dirs,
            banks,
            rice,
            server: ServerModel::default(),
            offline: [false; COUNTERS],
            deposited: 0,
            redeemed: 0,
            next_grant: 0,
        }
    }

    fn card_index(&self, at: usize, volunteer: u64) -> usize {
        let card = self.banks[at].volunteer(volunteer).unwrap().volunteer.card;
        CARDS.iter().position(|c| *c == card.as_str()).unwrap()
    }

    fn step(&mut self, op: &Op) {
        match *op {
            Op::Deposit { at, card, minutes } => {
                let bank = &self.banks[at];
                let sorting = bank.find_activity("垃圾分类督导").unwrap().0;
                bank.execute(
                    &admin(),
                    &BankOp::Deposit(deposit(CARDS[card], sorting, minutes)),
                    Mode::commit(None),
                )
                .unwrap();
                self.deposited += u64::from(minutes);
            }
            Op::Redeem { at, card, qty, crash } => {
                let r = Redemption { card: common::card(CARDS[card]), reward: self.rice[at], qty };
                let minutes = u64::from(qty) * 10;
                let bank = &self.banks[at];
                let e = match bank.execute(&admin(), &BankOp::Redeem(r.clone()), Mode::commit(None)) {
                    Ok(_) => {
                        self.redeemed += minutes;
                        return;
                    }
                    Err(e) => e,
                };
                let (share, needed) = shortfall(&e).expect("only a shortfall refuses a redemption here");
                assert!(share < needed && needed == minutes);
                if self.offline[at] {
                    return; // offline: only the share, which is short
                }
                let asked = needed - share;
                self.next_grant += 1;
                let id = format!("C{at}:g{}", self.next_grant);
                bank.record_grant_intent(&id, &r.card, asked, hourbank::bank::Asking::Unsigned).unwrap();
                let pool = self.server.pool.entry(card).or_default();
                if *pool < asked {
                    return; // refused by the pool's `minutes >= asked`
                }
                *pool -= asked;
                self.server.grants.insert(id.clone(), (at, card, asked));
                if crash {
                    return; // granted on the server, never committed here: in transit
                }
                let grant = CityGrant { id, card: r.card.clone(), minutes: Minutes::new(asked as u32) };
                bank.execute(
                    &admin(),
                    &BankOp::Redeem(r.clone()),
                    Mode::Commit(Commit { op_id: None, grant: Some(&grant), day_elsewhere: 0 }),
                )
                .unwrap();
                self.redeemed += minutes;
            }
            Op::Sync { at, push_fails } => {
                if self.offline[at] {
                    return;
                }
                let bank = &self.banks[at];
                // Heal: grants the server holds for this counter that it never journalled.
                let mine: Vec<(String, usize, u64)> = self
                    .server
                    .grants
                    .iter()
                    .filter(|(_, (c, _, _))| *c == at)
                    .map(|(id, (_, card, m))| (id.clone(), *card, *m))
                    .collect();
                for (id, card, m) in mine {
                    let grant =
                        CityGrant { id, card: common::card(CARDS[card]), minutes: Minutes::new(m as u32) };
                    bank.journal_grant(&admin(), &grant, false).unwrap();
                }
                bank.release_to_city(&admin(), Minutes::new(FLOAT), None).unwrap();
                if push_fails {
                    return; // journalled here; the pools get it at the next push
                }
                let from = self.server.pushed[at];
                let last = bank.last_seq().unwrap();
                let events: Vec<_> = bank.journal().map(Result::unwrap).filter(|e| e.seq() > from).collect();
                for e in events {
                    if let EventKind::RightsReleased { lines } = e.kind() {
                        for (v, m) in lines {
                            *self.server.pool.entry(self.card_index(at, *v)).or_default() +=
                                u64::from(m.get());
                        }
                    }
                }
                self.server.pushed[at] = last;
            }
            Op::Partition { at } => self.offline[at] = !self.offline[at],
        }
    }

    /// Every counter's share, the pools, grants in transit and releases not pushed: what was
    /// deposited less what was redeemed, per the whole city (and per card, never below zero).
    fn check_invariant(&self) {
        let mut shares = 0u64;
        let mut unpushed = 0u64;
        let mut journalled = BTreeSet::new();
        for (at, bank) in self.banks.iter().enumerate() {
            for c in CARDS {
                shares += bank.find_card(&common::card(c)).unwrap().account.balance();
            }
            for e in bank.journal() {
                let e = e.unwrap();
                match e.kind() {
                    EventKind::RightsReleased { lines } if e.seq() > self.server.pushed[at] => {
                        unpushed += lines.iter().map(|(_, m)| u64::from(m.get())).sum::<u64>();
                    }
                    EventKind::RightsGranted { grant, .. } => {
                        assert!(journalled.insert(grant.clone()), "grant {grant} journalled twice");
                    }
                    _ => {}
                }
            }
        }
        let in_transit: u64 = self
            .server
            .grants
            .iter()
            .filter(|(id, _)| !journalled.contains(*id))
            .map(|(_, (_, _, m))| *m)
            .sum();
        let pool: u64 = self.server.pool.values().sum();
        assert!(self.redeemed <= self.deposited, "overdrawn: {} > {}", self.redeemed, self.deposited);
        assert_eq!(
            shares + pool + in_transit + unpushed,
            self.deposited - self.redeemed,
            "shares {shares} + pool {pool} + in transit {in_transit} + unpushed {unpushed}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn no_overdraft_whatever_the_order_of_syncs_partitions_and_crashes(ops in prop::collection::vec(op(), 1..60)) {
        let mut city = City::new();
        for op in &ops {
            city.step(op);
            city.check_invariant();
        }
        // Everyone reconnects and syncs twice: nothing stays in transit, nothing unpushed.
        city.offline = [false; COUNTERS];
        for _ in 0..2 {
            for at in 0..COUNTERS {
                city.step(&Op::Sync { at, push_fails: false });
                city.check_invariant();
            }
        }
        let journalled: usize = city
            .banks
            .iter()
            .map(|b| b.journal().filter(|e| matches!(e.as_ref().unwrap().kind(), EventKind::RightsGranted { .. })).count())
            .sum();
        prop_assert_eq!(journalled, city.server.grants.len(), "every grant journalled once");
        for bank in &city.banks {
            for c in CARDS {
                prop_assert!(bank.find_card(&common::card(c)).unwrap().account.balance() <= u64::from(FLOAT));
            }
            assert_checks(bank);
        }
    }
}
