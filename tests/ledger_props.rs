//! Property test: random sequences of every operation — invalid ones and store reopens
//! included — against a plain in-memory model. After every step the bank and the model agree
//! on what was accepted, on every balance and on stock, and `check` finds every invariant holds.
//! The crediting rules are part of it: rule changes are operations, and the model rounds,
//! caps per day and per balance, holds deposits for approval and expires hours (FIFO) by its
//! own plain arithmetic. 256 cases × 100 operations by default; more with PROPTEST_CASES.

use crate::common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::OnceLock;

use common::*;
use hourbank::bank::{
    Adjustment, Bank, BatchDeposit, Deposit, Donation, Mode, Op as BankOp, PoolGrant, Redemption, Reversal,
    Transfer, VolunteerForm,
};
use hourbank::domain::{Actor, Day, Minutes, Name, Rounding, Rules, StaffId};
use proptest::prelude::*;

const CARDS: [&str; 5] = ["P0", "P1", "P2", "P3", "P4"];
const CAP: u32 = 24 * 60;
const TRANSFER_LIMIT: u32 = 10 * 60;

/// How long ago a deposit's service day was, in days (expiry needs old hours).
const AGES: [i64; 3] = [0, 40, 400];

/// The rules a `SetRules` op picks from: each field independently on or off.
#[derive(Debug, Clone, Copy)]
struct RuleChoice {
    rounding: u8,
    day_cap: bool,
    approval: bool,
    storage_cap: bool,
    expiry: u8,
}

impl RuleChoice {
    fn rules(self) -> Rules {
        Rules {
            rounding: [Rounding::None, Rounding::HalfHour, Rounding::QuarterHour]
                [usize::from(self.rounding % 3)],
            day_cap: self.day_cap.then(|| Minutes::from_hours(6)),
            approval_over: self.approval.then(|| Minutes::from_hours(4)),
            storage_cap: self.storage_cap.then(|| Minutes::from_hours(30)),
            expiry_months: [None, Some(1), Some(12)][usize::from(self.expiry % 3)],
            multipliers: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Register(usize),
    /// Card, minutes, index into `AGES`, recorded by a (non-admin) staff member.
    Deposit(usize, u32, usize, bool),
    Batch(Vec<usize>, u32),
    Redeem(usize, usize, u32),
    Transfer(usize, usize, u32),
    Reverse(usize),
    Adjust(usize, bool, u32),
    Restock(usize, u32),
    Reopen,
    SetRules(RuleChoice),
    /// Approve or reject the k-th held deposit (or, for large k, an entry that is not held).
    Decide(usize, bool),
    Expire,
    /// A volunteer gives minutes to the donation pool.
    Donate(usize, u32),
    /// An admin (or, with the flag, a non-admin staff member: refused) grants pool minutes.
    Grant(usize, u32, bool),
}

fn minutes() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0u32), 1..=300u32, 500..=700u32, Just(CAP), Just(CAP + 1)]
}

fn op() -> impl Strategy<Value = Op> {
    let card = 0..CARDS.len() + 1; // the last index is a card nobody has
    prop_oneof![
        3 => (0..CARDS.len()).prop_map(Op::Register),
        6 => (card.clone(), minutes(), 0..AGES.len(), any::<bool>()).prop_map(|(c, m, a, s)| Op::Deposit(c, m, a, s)),
        2 => (prop::collection::vec(card.clone(), 0..4), minutes()).prop_map(|(c, m)| Op::Batch(c, m)),
        4 => (card.clone(), 0..2usize, prop_oneof![Just(0u32), 1..=3u32, Just(1001)]).prop_map(|(c, r, q)| Op::Redeem(c, r, q)),
        3 => (card.clone(), card.clone(), minutes()).prop_map(|(a, b, m)| Op::Transfer(a, b, m)),
        3 => (0..24usize).prop_map(Op::Reverse),
        2 => (card.clone(), any::<bool>(), minutes()).prop_map(|(c, k, m)| Op::Adjust(c, k, m)),
        1 => (0..2usize, 0..3u32).prop_map(|(r, q)| Op::Restock(r, q)),
        1 => Just(Op::Reopen),
        1 => (0..3u8, any::<bool>(), any::<bool>(), any::<bool>(), 0..3u8).prop_map(|(rounding, day_cap, approval, storage_cap, expiry)| {
            Op::SetRules(RuleChoice { rounding, day_cap, approval, storage_cap, expiry })
        }),
        2 => (0..4usize, any::<bool>()).prop_map(|(k, a)| Op::Decide(k, a)),
        1 => Just(Op::Expire),
        2 => (card.clone(), minutes()).prop_map(|(c, m)| Op::Donate(c, m)),
        2 => (card.clone(), minutes(), any::<bool>()).prop_map(|(c, m, s)| Op::Grant(c, m, s)),
    ]
}

#[derive(Debug, Clone)]
enum Entry {
    Other,
    /// `counted`: a day cap was set when it was recorded, so it is in its day's total.
    Deposit {
        v: usize,
        m: u64,
        day: i64,
        counted: bool,
    },
    Held {
        v: usize,
        m: u64,
        day: i64,
        counted: bool,
    },
    Expire {
        v: usize,
        m: u64,
    },
    Redeem {
        v: usize,
        reward: usize,
        qty: u32,
        m: u64,
    },
    Transfer {
        from: usize,
        to: usize,
        m: u64,
    },
    Adjust {
        v: usize,
        credit: bool,
        m: u64,
    },
    Donate {
        v: usize,
        m: u64,
    },
    Grant {
        v: usize,
        m: u64,
    },
}

/// What the bank should do, written as plainly as possible.
#[derive(Default)]
struct Model {
    registered: HashSet<usize>,
    balance: HashMap<usize, u64>,
    /// Limited reward 0's stock; reward 1 is unlimited.
    stock: u32,
    entries: HashMap<u64, Entry>,
    reversed: HashSet<u64>,
    next_seq: u64,
    /// Registration order: the bank expires volunteers in id (= registration) order.
    order: Vec<usize>,
    rules: Rules,
    /// Minutes credited per (card, day), kept only while a day cap is set.
    day_totals: HashMap<(usize, i64), u64>,
    held: Vec<u64>,
    /// The donation pool's balance.
    pool: u64,
}

const REWARD_COST: [u64; 2] = [60, 30];

/// The fixed clock's day (2026-11-29) as days since 1970.
const TODAY: i64 = 20_786;

impl Model {
    fn known(&self, c: usize) -> bool {
        self.registered.contains(&c)
    }
    fn bal(&self, c: usize) -> u64 {
        self.balance.get(&c).copied().unwrap_or(0)
    }
    fn valid_minutes(m: u32) -> bool {
        m > 0 && m <= CAP
    }
    /// A deposit's credited minutes under the rules: rounded down, refused at 0 or over the cap.
    fn credited(&self, m: u32) -> Option<u64> {
        let unit = match self.rules.rounding {
            Rounding::None => 1,
            Rounding::HalfHour => 30,
            Rounding::QuarterHour => 15,
        };
        let c = m / unit * unit;
        Self::valid_minutes(c).then_some(u64::from(c))
    }
    fn cap(m: Option<Minutes>) -> Option<u64> {
        m.map(|m| u64::from(m.get()))
    }
    /// Whether a credit of `m` to `v` on `day` fits the day cap and the storage cap.
    fn fits(&self, v: usize, m: u64, day: Option<i64>) -> bool {
        let day_ok = match (day, Self::cap(self.rules.day_cap)) {
            (Some(d), Some(cap)) => self.day_totals.get(&(v, d)).copied().unwrap_or(0) + m <= cap,
            _ => true,
        };
        day_ok && Self::cap(self.rules.storage_cap).is_none_or(|cap| self.bal(v) + m <= cap)
    }
    fn credit_deposit(&mut self, v: usize, m: u64, day: i64) {
        let counted = self.count(v, m, day);
        *self.balance.entry(v).or_default() += m;
        self.record(Entry::Deposit { v, m, day, counted });
    }
    /// Adds `m` to the day's total while a day cap is set; says whether it did.
    fn count(&mut self, v: usize, m: u64, day: i64) -> bool {
        let counted = self.rules.day_cap.is_some();
        if counted {
            *self.day_totals.entry((v, day)).or_default() += m;
        }
        counted
    }
    fn uncount(&mut self, v: usize, m: u64, day: i64, counted: bool) {
        if counted {
            let t = self.day_totals.entry((v, day)).or_default();
            *t = t.saturating_sub(m);
        }
    }
    /// FIFO expiry of one volunteer: credits before `cutoff` not used up by debits.
    fn expiring(&self, v: usize, cutoff: i64, today: i64) -> u64 {
        let mut old = 0u64;
        let mut debits = 0u64;
        for (seq, e) in &self.entries {
            if self.reversed.contains(seq) {
                continue;
            }
            match *e {
                Entry::Deposit { v: w, m, day, .. } if w == v && day < cutoff => old += m,
                Entry::Transfer { to, m, .. } if to == v && today < cutoff => old += m,
                Entry::Adjust { v: w, credit: true, m } if w == v && today < cutoff => old += m,
                Entry::Grant { v: w, m } if w == v && today < cutoff => old += m,
                Entry::Donate { v: w, m } if w == v => debits += m,
                Entry::Redeem { v: w, m, .. } | Entry::Expire { v: w, m } if w == v => debits += m,
                Entry::Transfer { from, m, .. } if from == v => debits += m,
                Entry::Adjust { v: w, credit: false, m } if w == v => debits += m,
                _ => {}
            }
        }
        old.saturating_sub(debits)
    }
    /// A deposit the rules shaped is followed by a note of what was served (nothing moves).
    fn note_served(&mut self, served: u64, credited: u64) {
        if served != credited {
            self.record(Entry::Other);
        }
    }

    fn record(&mut self, e: Entry) {
        self.entries.insert(self.next_seq, e);
        self.next_seq += 1;
    }

    /// Applies `op` and says whether it should have succeeded.
    fn apply(&mut self, op: &Op) -> bool {
        match op {
            Op::Register(c) => {
                if self.known(*c) {
                    return false;
                }
                self.registered.insert(*c);
                self.order.push(*c);
                self.record(Entry::Other);
                true
            }
            Op::Deposit(c, m, age, by_staff) => {
                let day = TODAY - AGES[*age];
                let served = u64::from(*m);
                let Some(m) = self.credited(*m) else { return false };
                if !self.known(*c) || !self.fits(*c, m, Some(day)) {
                    return false;
                }
                let over = Self::cap(self.rules.approval_over).is_some_and(|limit| m > limit);
                if *by_staff && over {
                    self.held.push(self.next_seq);
                    // Held hours keep their place in the day's total.
                    let counted = self.count(*c, m, day);
                    self.record(Entry::Held { v: *c, m, day, counted });
                    self.note_served(served, m);
                } else {
                    self.credit_deposit(*c, m, day);
                    self.note_served(served, m);
                }
                true
            }
            Op::Batch(cards, m) => {
                let unique: HashSet<_> = cards.iter().collect();
                let served = u64::from(*m);
                let Some(m) = self.credited(*m) else { return false };
                if cards.is_empty()
                    || unique.len() != cards.len()
                    || !cards.iter().all(|c| self.known(*c) && self.fits(*c, m, Some(TODAY)))
                {
                    return false;
                }
                for c in cards {
                    self.credit_deposit(*c, m, TODAY);
                    self.note_served(served, m);
                }
                true
            }
            Op::Redeem(c, r, qty) => {
                let cost = REWARD_COST[*r] * u64::from(*qty);
                if !(1..=1000).contains(qty)
                    || !self.known(*c)
                    || self.bal(*c) < cost
                    || (*r == 0 && self.stock < *qty)
                {
                    return false;
                }
                if *r == 0 {
                    self.stock -= qty;
                }
                *self.balance.entry(*c).or_default() -= cost;
                self.record(Entry::Redeem { v: *c, reward: *r, qty: *qty, m: cost });
                true
            }
            Op::Transfer(a, b, m) => {
                let m64 = u64::from(*m);
                if !self.known(*a)
                    || !self.known(*b)
                    || !Self::valid_minutes(*m)
                    || *m > TRANSFER_LIMIT
                    || a == b
                    || self.bal(*a) < m64
                    || !self.fits(*b, m64, None)
                {
                    return false;
                }
                *self.balance.entry(*a).or_default() -= m64;
                *self.balance.entry(*b).or_default() += m64;
                self.record(Entry::Transfer { from: *a, to: *b, m: m64 });
                true
            }
            Op::Adjust(c, credit, m) => {
                let m64 = u64::from(*m);
                if !self.known(*c) || !Self::valid_minutes(*m) || (!credit && self.bal(*c) < m64) {
                    return false;
                }
                let b = self.balance.entry(*c).or_default();
                if *credit {
                    *b += m64
                } else {
                    *b -= m64
                }
                self.record(Entry::Adjust { v: *c, credit: *credit, m: m64 });
                true
            }
            Op::Donate(c, m) => {
                let m64 = u64::from(*m);
                if !self.known(*c) || !Self::valid_minutes(*m) || self.bal(*c) < m64 {
                    return false;
                }
                *self.balance.entry(*c).or_default() -= m64;
                self.pool += m64;
                self.record(Entry::Donate { v: *c, m: m64 });
                true
            }
            Op::Grant(c, m, by_staff) => {
                let m64 = u64::from(*m);
                if *by_staff
                    || !self.known(*c)
                    || !Self::valid_minutes(*m)
                    || self.pool < m64
                    || !self.fits(*c, m64, None)
                {
                    return false;
                }
                self.pool -= m64;
                *self.balance.entry(*c).or_default() += m64;
                self.record(Entry::Grant { v: *c, m: m64 });
                true
            }
            Op::Restock(r, qty) => {
                if *r != 0 || *qty == 0 {
                    return false;
                }
                self.stock += qty;
                self.record(Entry::Other);
                true
            }
            Op::Reverse(k) => {
                let target = self.reverse_target(*k);
                let Some(entry) = self.entries.get(&target).cloned() else { return false };
                if self.reversed.contains(&target) {
                    return false;
                }
                let ok = match entry {
                    Entry::Other | Entry::Held { .. } => false,
                    Entry::Deposit { v, m, day, counted } => {
                        self.bal(v) >= m && {
                            *self.balance.entry(v).or_default() -= m;
                            // Only what it added comes off (nothing, if no cap was set then).
                            self.uncount(v, m, day, counted);
                            true
                        }
                    }
                    Entry::Expire { v, m } => {
                        *self.balance.entry(v).or_default() += m;
                        true
                    }
                    Entry::Redeem { v, reward, qty, m } => {
                        if reward == 0 {
                            self.stock += qty;
                        }
                        *self.balance.entry(v).or_default() += m;
                        true
                    }
                    Entry::Transfer { from, to, m } => {
                        self.bal(to) >= m && {
                            *self.balance.entry(to).or_default() -= m;
                            *self.balance.entry(from).or_default() += m;
                            true
                        }
                    }
                    Entry::Donate { v, m } => {
                        self.pool >= m && {
                            self.pool -= m;
                            *self.balance.entry(v).or_default() += m;
                            true
                        }
                    }
                    Entry::Grant { v, m } => {
                        self.bal(v) >= m && {
                            *self.balance.entry(v).or_default() -= m;
                            self.pool += m;
                            true
                        }
                    }
                    Entry::Adjust { v, credit, m } => {
                        if credit {
                            self.bal(v) >= m && {
                                *self.balance.entry(v).or_default() -= m;
                                true
                            }
                        } else {
                            *self.balance.entry(v).or_default() += m;
                            true
                        }
                    }
                };
                if ok {
                    self.reversed.insert(target);
                    self.record(Entry::Other);
                }
                ok
            }
            Op::Reopen => true,
            Op::SetRules(choice) => {
                self.rules = choice.rules();
                self.record(Entry::Other);
                true
            }
            Op::Decide(k, approve) => {
                let Some(&target) = self.held.get(*k) else { return false };
                let Some(Entry::Held { v, m, day, counted }) = self.entries.get(&target).cloned() else {
                    return false;
                };
                // The held hours give up their place; an approval takes it again (all or nothing).
                let before = self.day_totals.clone();
                self.uncount(v, m, day, counted);
                if *approve && !self.fits(v, m, Some(day)) {
                    self.day_totals = before;
                    return false;
                }
                self.held.remove(*k);
                self.record(Entry::Other);
                if *approve {
                    self.credit_deposit(v, m, day);
                }
                true
            }
            Op::Expire => {
                let Some(months) = self.rules.expiry_months else { return false };
                let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
                let cutoff =
                    Day::from_date(today.checked_sub_months(chrono::Months::new(u32::from(months))).unwrap())
                        .ordinal() as i64;
                for v in self.order.clone() {
                    let m = self.expiring(v, cutoff, TODAY);
                    if m > 0 {
                        *self.balance.entry(v).or_default() -= m;
                        self.record(Entry::Expire { v, m });
                    }
                }
                true
            }
        }
    }

    /// Small `k` picks recent seqs (so real entries get reversed); large `k` a seq that never existed.
    fn reverse_target(&self, k: usize) -> u64 {
        if k >= 22 { 999_999 } else { self.next_seq.saturating_sub(1 + k as u64) }
    }
}

/// A store with the catalog in place, initialised once; each case starts from a copy, so the
/// Argon2 hashing of the admin PIN runs once per test process, not once per case.
fn template() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let bank = init_in(dir.path());
        activity(&bank, "入户宣传");
        reward(&bank, "洗衣液", 1, Some(2));
        let r = hourbank::bank::NewReward {
            name: Name::parse("毛巾").unwrap(),
            kind: hourbank::domain::RewardKind::Gift,
            cost: Minutes::new(30),
            stock: None,
            course_date: None,
            merchant: String::new(),
        };
        bank.add_reward(&admin(), None, &r).unwrap();
        let staff = hourbank::bank::NewStaff {
            id: StaffId::parse("S02").unwrap(),
            name: Name::parse("职员").unwrap(),
            role: hourbank::domain::Role::Staff,
            pin: "2468".into(),
        };
        bank.add_staff(&admin(), None, staff).unwrap();
        dir
    })
    .path()
}

fn run(bank: &Bank, op: &Op, ids: (u64, [u64; 2]), seqs: &mut Vec<u64>, model: &Model) -> Option<Vec<u64>> {
    let c = |i: usize| card(CARDS.get(i).copied().unwrap_or("NOBODY"));
    let (activity, rewards) = ids;
    let result = match op {
        Op::Register(i) => {
            let form = VolunteerForm {
                card: c(*i),
                name: Name::parse("某").unwrap(),
                phone: None,
                community: String::new(),
                registered_on: None,
                id_number: None,
            };
            bank.register_volunteer(&admin(), None, &form).map(|e| vec![e.seq()])
        }
        Op::Deposit(i, m, age, by_staff) => bank
            .execute(
                &if *by_staff { Actor::Staff(StaffId::parse("S02").unwrap()) } else { admin() },
                &BankOp::Deposit(Deposit {
                    card: c(*i),
                    activity,
                    minutes: Minutes::new(*m),
                    served_on: Some(Day::from_date(
                        chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
                            - chrono::Days::new(AGES[*age] as u64),
                    )),
                    note: String::new(),
                }),
                Mode::commit(None),
            )
            .map(|x| x.events.iter().map(|e| e.seq()).collect()),
        Op::Batch(cards, m) => bank
            .execute(
                &admin(),
                &BankOp::DepositBatch(BatchDeposit {
                    cards: cards.iter().map(|i| c(*i)).collect(),
                    activity,
                    minutes: Minutes::new(*m),
                    served_on: None,
                    note: String::new(),
                }),
                Mode::commit(None),
            )
            .map(|x| x.events.iter().map(|e| e.seq()).collect()),
        Op::Redeem(i, r, q) => bank
            .execute(
                &admin(),
                &BankOp::Redeem(Redemption { card: c(*i), reward: rewards[*r], qty: *q }),
                Mode::commit(None),
            )
            .map(|x| x.events.iter().map(|e| e.seq()).collect()),
        Op::Transfer(a, b, m) => bank
            .execute(
                &admin(),
                &BankOp::Transfer(Transfer {
                    from: c(*a),
                    to: c(*b),
                    minutes: Minutes::new(*m),
                    note: String::new(),
                }),
                Mode::commit(None),
            )
            .map(|x| x.events.iter().map(|e| e.seq()).collect()),
        Op::Adjust(i, credit, m) => bank
            .execute(
                &admin(),
                &BankOp::Adjust(Adjustment {
                    card: c(*i),
                    credit: *credit,
                    minutes: Minutes::new(*m),
                    reason: "r".into(),
                }),
                Mode::commit(None),
            )
            .map(|x| x.events.iter().map(|e| e.seq()).collect()),
        Op::Restock(r, q) => bank.restock(&admin(), None, rewards[*r], *q).map(|e| vec![e.seq()]),
        Op::Reverse(k) => bank
            .execute(
                &admin(),
                &BankOp::Reverse(Reversal { target: model.reverse_target(*k), reason: "r".to_string() }),
                Mode::commit(None),
            )
            .map(|x| x.events.iter().map(|e| e.seq()).collect()),
        Op::Reopen => Ok(vec![]),
        Op::SetRules(choice) => {
            bank.change_rules(&admin(), None, &choice.rules()).map(|x| vec![x.first_seq()])
        }
        Op::Decide(k, approve) => {
            let target = model.held.get(*k).copied().unwrap_or(999_999);
            bank.decide_deposit(&admin(), target, *approve, "r")
                .map(|x| x.events.iter().map(|e| e.seq()).collect())
        }
        Op::Donate(i, m) => bank
            .execute(
                &admin(),
                &BankOp::Donate(Donation { card: c(*i), minutes: Minutes::new(*m), note: String::new() }),
                Mode::commit(None),
            )
            .map(|x| x.events.iter().map(|e| e.seq()).collect()),
        Op::Grant(i, m, by_staff) => bank
            .execute(
                &if *by_staff { Actor::Staff(StaffId::parse("S02").unwrap()) } else { admin() },
                &BankOp::GrantFromPool(PoolGrant {
                    card: c(*i),
                    minutes: Minutes::new(*m),
                    reason: "独居老人".into(),
                }),
                Mode::commit(None),
            )
            .map(|x| x.events.iter().map(|e| e.seq()).collect()),
        Op::Expire => {
            let before = bank.store().next_seq().unwrap();
            bank.expire(&admin(), bank.today()).map(|_| (before..bank.store().next_seq().unwrap()).collect())
        }
    };
    match result {
        Ok(s) => {
            seqs.extend(&s);
            Some(s)
        }
        Err(hourbank::bank::BankError::Rule(_)) => None,
        Err(other) => panic!("{op:?} failed with a store error: {other}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_bank_agrees_with_the_model(ops in prop::collection::vec(op(), 100)) {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(template(), dir.path());
        let mut bank = Bank::open(dir.path()).unwrap().with_clock(fixed_clock());
        let activity = bank.find_activity("入户宣传").unwrap().0;
        let rewards = [bank.find_reward("洗衣液").unwrap().id, bank.find_reward("毛巾").unwrap().id];
        let mut model = Model { stock: 2, next_seq: bank.store().next_seq().unwrap(), ..Model::default() };
        let mut seqs = Vec::new();
        for (step, op) in ops.iter().enumerate() {
            if matches!(op, Op::Reopen) {
                drop(bank);
                bank = Bank::open(dir.path()).unwrap().with_clock(fixed_clock());
            }
            let before = model.next_seq;
            let got = run(&bank, op, (activity, rewards), &mut seqs, &model);
            let expected = model.apply(op);
            prop_assert_eq!(got.is_some(), expected, "step {} {:?}", step, op);
            if let Some(s) = got {
                prop_assert_eq!(s, (before..model.next_seq).collect::<Vec<_>>(), "seqs of step {}", step);
            }
            for (i, name) in CARDS.iter().enumerate() {
                if model.known(i) {
                    prop_assert_eq!(balance(&bank, name), model.bal(i), "balance of {} after step {} {:?}", name, step, op);
                }
            }
            prop_assert_eq!(bank.find_reward("洗衣液").unwrap().stock, model.stock);
            prop_assert_eq!(bank.pool().unwrap().balance(), model.pool, "pool after step {} {:?}", step, op);
            let report = bank.check().unwrap();
            prop_assert!(report.ok, "step {} {:?}: {:?}", step, op, report.problems);
        }
    }
}
