//! Property test (issue 27): points and hours never mix. Random sequences of operations on both
//! units — hours deposited, redeemed, transferred; points credited by item, by coupon, through
//! review, spent on rewards priced in one unit or both; reversals of any of them; residents
//! who may hold points only — against a plain model that keeps the two apart. After every step
//! the bank and the model agree on what was accepted, on every person's hours and points and on
//! the shared stock; at the end `check` finds every invariant holds, and the points a push
//! would publish for each card (the city directory's share) are its points here.

use crate::common;

use common::*;
use hourbank::bank::{Bank, Mode, Op as BankOp, PointsCredit, Redemption, ResidentForm, Reversal, Transfer};
use hourbank::domain::{Actor, CounterCode, Day, Minutes, Name, Points, StaffId, Verdict};
use proptest::prelude::*;

/// Three volunteers, then two residents (points only).
const CARDS: [&str; 5] = ["V0", "V1", "V2", "R3", "R4"];
const RESIDENTS: usize = 3;
/// 大米: 60 minutes or 5 points, 12 in stock; 食用油: 3 points only, unlimited.
const RICE_MINUTES: u32 = 60;
const RICE_POINTS: u32 = 5;
const RICE_STOCK: u32 = 12;
const OIL_POINTS: u32 = 3;
const COUPONS: u32 = 8;
const COUPON_POINTS: u32 = 3;

#[derive(Debug, Clone)]
enum Op {
    Deposit(usize, u32),
    RedeemHours(usize, u32),
    /// Card, reward (0 rice, 1 oil), quantity.
    RedeemPoints(usize, usize, u32),
    Transfer(usize, usize, u32),
    /// Card, times the 2-point item.
    Credit(usize, u32),
    /// A 10-point credit that waits for review.
    CreditForReview(usize),
    /// The k-th waiting credit: verify, approve (by the other reviewer), or reject.
    Review(usize, u8),
    Coupon(usize, u32),
    Reverse(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let card = 0..CARDS.len();
    prop_oneof![
        (card.clone(), prop_oneof![Just(0u32), 1..=240u32]).prop_map(|(c, m)| Op::Deposit(c, m)),
        (card.clone(), 1..=3u32).prop_map(|(c, q)| Op::RedeemHours(c, q)),
        (card.clone(), 0..2usize, 1..=3u32).prop_map(|(c, r, q)| Op::RedeemPoints(c, r, q)),
        (card.clone(), card.clone(), 1..=120u32).prop_map(|(a, b, m)| Op::Transfer(a, b, m)),
        (card.clone(), 0..=4u32).prop_map(|(c, t)| Op::Credit(c, t)),
        card.clone().prop_map(Op::CreditForReview),
        (0..4usize, 0..3u8).prop_map(|(k, s)| Op::Review(k, s)),
        (card.clone(), 1..=COUPONS + 1).prop_map(|(c, s)| Op::Coupon(c, s)),
        (0..40usize).prop_map(Op::Reverse),
    ]
}

/// What an accepted entry did, in its own unit, for a reversal to undo.
#[derive(Debug, Clone)]
enum Effect {
    Hours { to: Option<usize>, from: Option<usize>, minutes: u64, rice: u32 },
    Points { to: Option<usize>, from: Option<usize>, points: u64, rice: u32, coupon: Option<u32> },
}

#[derive(Debug, Default)]
struct Model {
    hours: [u64; CARDS.len()],
    points: [u64; CARDS.len()],
    rice: u32,
    coupons_used: Vec<u32>,
    /// Accepted entries that may be reversed: (seq, effect, reversed).
    entries: Vec<(u64, Effect, bool)>,
    /// Credits waiting: (seq, card, verified).
    waiting: Vec<(u64, usize, bool)>,
}

struct World {
    _dir: tempfile::TempDir,
    bank: Bank,
    rice: u64,
    oil: u64,
    coupons: Vec<String>,
    verifier: Actor,
    approver: Actor,
}

fn staff(bank: &Bank, id: &str, role: hourbank::domain::Role) -> Actor {
    let s = hourbank::bank::NewStaff {
        id: StaffId::parse(id).unwrap(),
        name: Name::parse(id).unwrap(),
        role,
        pin: "2468".into(),
    };
    bank.add_staff(&admin(), None, s).unwrap();
    Actor::Staff(StaffId::parse(id).unwrap())
}

fn world() -> World {
    let (dir, bank) = new_bank();
    bank.set_counter_code(&admin(), None, &CounterCode::parse("JH-P-01").unwrap()).unwrap();
    for (i, c) in CARDS.iter().enumerate() {
        if i < RESIDENTS {
            register(&bank, c, "志愿者");
        } else {
            let form = ResidentForm {
                card: card(c),
                name: Name::parse("居民").unwrap(),
                community: "潮连".into(),
                phone_tail: Some("1234".into()),
            };
            bank.register_resident(&admin(), None, &form).unwrap();
        }
    }
    activity(&bank, "垃圾分类督导");
    let rice = reward(&bank, "大米", 1, Some(RICE_STOCK));
    let oil = reward(&bank, "食用油", 1, None);
    bank.price_in_points(&admin(), rice, Some(Points::new(RICE_POINTS)), true).unwrap();
    bank.price_in_points(&admin(), oil, Some(Points::new(OIL_POINTS)), false).unwrap();
    let standard = points_standard(&[("HJ-01", 2, false), ("LL-01", 10, true)]);
    bank.publish_standard(&admin(), &standard).unwrap();
    let issued = bank
        .issue_coupons(
            &admin(),
            "HJ-01",
            Some(Points::new(COUPON_POINTS)),
            COUPONS,
            Day::parse("2027-12-31").unwrap(),
            "张督导",
        )
        .unwrap();
    let coupons = issued.numbers.iter().map(|n| n.to_string()).collect();
    let verifier = staff(&bank, "SG1", hourbank::domain::Role::Verifier);
    let approver = staff(&bank, "DZ1", hourbank::domain::Role::Approver);
    World { _dir: dir, bank, rice, oil, coupons, verifier, approver }
}

/// Runs one op on the bank and the model; both must agree on whether it was accepted.
fn step(w: &World, m: &mut Model, op: &Op) {
    let b = &w.bank;
    let c = |i: usize| card(CARDS[i]);
    let commit = Mode::commit(None);
    match op {
        Op::Deposit(i, minutes) => {
            let sorting = b.find_activity("垃圾分类督导").unwrap().0;
            let got = b.execute(&admin(), &BankOp::Deposit(deposit(CARDS[*i], sorting, *minutes)), commit);
            let ok = *i < RESIDENTS && *minutes > 0;
            assert_eq!(got.is_ok(), ok, "{op:?}: {got:?}");
            if let Ok(done) = got {
                m.hours[*i] += u64::from(*minutes);
                let seq = done.events.last().unwrap().seq();
                m.entries.push((
                    seq,
                    Effect::Hours { to: Some(*i), from: None, minutes: u64::from(*minutes), rice: 0 },
                    false,
                ));
            }
        }
        Op::RedeemHours(i, qty) => {
            let got = b.execute(
                &admin(),
                &BankOp::Redeem(Redemption { card: c(*i), reward: w.rice, qty: *qty }),
                commit,
            );
            let cost = u64::from(RICE_MINUTES * qty);
            let ok = m.hours[*i] >= cost && m.rice + qty <= RICE_STOCK;
            assert_eq!(got.is_ok(), ok, "{op:?}: {got:?}");
            if let Ok(done) = got {
                m.hours[*i] -= cost;
                m.rice += qty;
                let seq = done.events.last().unwrap().seq();
                m.entries.push((
                    seq,
                    Effect::Hours { to: None, from: Some(*i), minutes: cost, rice: *qty },
                    false,
                ));
            }
        }
        Op::RedeemPoints(i, r, qty) => {
            let (reward, each, rice) =
                if *r == 0 { (w.rice, RICE_POINTS, *qty) } else { (w.oil, OIL_POINTS, 0) };
            let got = b.redeem_points(&admin(), None, &c(*i), reward, *qty);
            let cost = u64::from(each * qty);
            let ok = m.points[*i] >= cost && m.rice + rice <= RICE_STOCK;
            assert_eq!(got.is_ok(), ok, "{op:?}: {got:?}");
            if let Ok(e) = got {
                m.points[*i] -= cost;
                m.rice += rice;
                m.entries.push((
                    e.seq(),
                    Effect::Points { to: None, from: Some(*i), points: cost, rice, coupon: None },
                    false,
                ));
            }
            // Oil is offered for points only: for hours it is refused whatever the balance.
            if *r == 1 {
                let hours = b.execute(
                    &admin(),
                    &BankOp::Redeem(Redemption { card: c(*i), reward: w.oil, qty: 1 }),
                    commit,
                );
                assert!(hours.is_err(), "oil for hours: {hours:?}");
            }
        }
        Op::Transfer(a, to, minutes) => {
            let t =
                Transfer { from: c(*a), to: c(*to), minutes: Minutes::new(*minutes), note: String::new() };
            let got = b.execute(&admin(), &BankOp::Transfer(t), commit);
            let ok = a != to && m.hours[*a] >= u64::from(*minutes);
            assert_eq!(got.is_ok(), ok, "{op:?}: {got:?}");
            if let Ok(done) = got {
                m.hours[*a] -= u64::from(*minutes);
                m.hours[*to] += u64::from(*minutes);
                let seq = done.events.last().unwrap().seq();
                m.entries.push((
                    seq,
                    Effect::Hours { to: Some(*to), from: Some(*a), minutes: u64::from(*minutes), rice: 0 },
                    false,
                ));
            }
        }
        Op::Credit(i, times) => {
            let credit = PointsCredit {
                card: c(*i),
                item: "hj-01".into(),
                times: *times,
                earned_on: None,
                note: String::new(),
            };
            let got = b.credit_points(&admin(), None, &credit);
            assert_eq!(got.is_ok(), *times > 0, "{op:?}: {got:?}");
            if let Ok(e) = got {
                let points = u64::from(2 * times);
                m.points[*i] += points;
                m.entries.push((
                    e.seq(),
                    Effect::Points { to: Some(*i), from: None, points, rice: 0, coupon: None },
                    false,
                ));
            }
        }
        Op::CreditForReview(i) => {
            let credit = PointsCredit {
                card: c(*i),
                item: "LL-01".into(),
                times: 1,
                earned_on: None,
                note: String::new(),
            };
            let e = b.credit_points(&admin(), None, &credit).expect("a credit for review is recorded");
            m.waiting.push((e.seq(), *i, false));
        }
        Op::Review(k, step) => {
            let Some(&(seq, i, verified)) = m.waiting.get(*k) else { return };
            let (who, verdict) = match step {
                0 => (&w.verifier, Verdict::Verified),
                1 => (&w.approver, Verdict::Approved),
                _ => (if verified { &w.approver } else { &w.verifier }, Verdict::Rejected),
            };
            let got = b.review_points(who, seq, verdict, "理由");
            let ok = match verdict {
                Verdict::Verified => !verified,
                Verdict::Approved => verified,
                Verdict::Rejected => true,
            };
            assert_eq!(got.is_ok(), ok, "{op:?} on {seq} (verified {verified}): {got:?}");
            if got.is_ok() {
                match verdict {
                    Verdict::Verified => m.waiting[*k].2 = true,
                    Verdict::Approved => {
                        m.waiting.remove(*k);
                        m.points[i] += 10;
                        m.entries.push((
                            seq,
                            Effect::Points { to: Some(i), from: None, points: 10, rice: 0, coupon: None },
                            false,
                        ));
                    }
                    Verdict::Rejected => {
                        m.waiting.remove(*k);
                    }
                }
            }
        }
        Op::Coupon(i, serial) => {
            let number = w
                .coupons
                .get(*serial as usize - 1)
                .cloned()
                .unwrap_or_else(|| format!("JH-P-01.1.{serial}.ABCDE"));
            let got = b.take_coupon(&admin(), None, &c(*i), &number);
            let ok = *serial <= COUPONS && !m.coupons_used.contains(serial);
            assert_eq!(got.is_ok(), ok, "{op:?}: {got:?}");
            if let Ok(e) = got {
                m.coupons_used.push(*serial);
                m.points[*i] += u64::from(COUPON_POINTS);
                let effect = Effect::Points {
                    to: Some(*i),
                    from: None,
                    points: u64::from(COUPON_POINTS),
                    rice: 0,
                    coupon: Some(*serial),
                };
                m.entries.push((e.seq(), effect, false));
            }
        }
        Op::Reverse(k) => {
            let Some((seq, effect, reversed)) = m.entries.get(*k).cloned() else { return };
            let got = b.execute(
                &admin(),
                &BankOp::Reverse(Reversal { target: seq, reason: "录错".into() }),
                commit,
            );
            let ok = !reversed
                && match &effect {
                    Effect::Hours { to: Some(t), minutes, .. } => m.hours[*t] >= *minutes,
                    Effect::Points { to: Some(t), points, .. } => m.points[*t] >= *points,
                    _ => true,
                };
            assert_eq!(got.is_ok(), ok, "{op:?} of {effect:?}: {got:?}");
            if got.is_ok() {
                m.entries[*k].2 = true;
                match effect {
                    Effect::Hours { to, from, minutes, rice } => {
                        if let Some(t) = to {
                            m.hours[t] -= minutes;
                        }
                        if let Some(f) = from {
                            m.hours[f] += minutes;
                        }
                        m.rice -= rice;
                    }
                    Effect::Points { to, from, points, rice, coupon } => {
                        if let Some(t) = to {
                            m.points[t] -= points;
                        }
                        if let Some(f) = from {
                            m.points[f] += points;
                        }
                        m.rice -= rice;
                        m.coupons_used.retain(|s| Some(*s) != coupon);
                    }
                }
            }
        }
    }
}

fn agree(w: &World, m: &Model, after: &Op) {
    for (i, c) in CARDS.iter().enumerate() {
        assert_eq!(balance(&w.bank, c), m.hours[i], "hours of {c} after {after:?}");
        let points = w.bank.points_of(&card(c)).unwrap();
        assert_eq!(points.balance, m.points[i], "points of {c} after {after:?}");
        let waiting: u64 = m.waiting.iter().filter(|x| x.1 == i).map(|_| 10).sum();
        assert_eq!(points.waiting, waiting, "points waiting for {c} after {after:?}");
    }
    let stock = w.bank.find_reward("大米").unwrap().stock;
    assert_eq!(stock, RICE_STOCK - m.rice, "rice after {after:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn points_and_hours_never_mix(ops in proptest::collection::vec(op(), 1..60)) {
        let w = world();
        let mut m = Model::default();
        for op in &ops {
            step(&w, &mut m, op);
            agree(&w, &m, op);
        }
        assert_checks(&w.bank);
        // What a push publishes of the points — the city directory's share of each card,
        // derived entry by entry as the pushes derive it — is each person's points here.
        let mut chain = hourbank::bank::ChainPoints::default();
        for item in w.bank.stored_events_from(1) {
            let (seq, value) = item.unwrap();
            chain.add(seq, &value).unwrap();
        }
        let shares = chain.by_card();
        for (i, c) in CARDS.iter().enumerate() {
            let published = shares.get(*c).map_or(0, |s| s.0);
            prop_assert_eq!(published, m.points[i] as i64, "the share of {} after {:?}", c, ops);
        }
    }
}
