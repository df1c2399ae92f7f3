//! The operations that move hours, as data: one [`Op`] for each, and one door,
//! [`Bank::execute`], that either commits it or says what committing it would do now
//! ([`Mode::Preview`], the counter's confirm step). The city's spend planner (`city::execute`)
//! takes the same `Op`, so a redemption is described once whether it is previewed, committed
//! here, or funded from the card's city pool.
//!
//! Each operation builds its events inside the commit's transaction, after the policy checks
//! that are not ledger invariants (roles, caps, active flags, dates, limits).

use serde::Serialize;

use super::plan::{CityGrant, PlanResult, capped, card_owner, funding, read, rule};
use super::rules::{plan_deposit, within_city_day};
use super::settle::{CardMove, plan_card_move};
use super::{Bank, BankError, Need, require};
use crate::domain::{
    ActivityId, Actor, CardNo, Day, DomainError, EventKind, LedgerStore, Minutes, RewardId, Role, Rule,
    VolunteerId,
};
use crate::store::{Committed, Pending, TxView};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deposit {
    pub card: CardNo,
    pub activity: ActivityId,
    pub minutes: Minutes,
    /// `None` means today.
    pub served_on: Option<Day>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchDeposit {
    pub cards: Vec<CardNo>,
    pub activity: ActivityId,
    pub minutes: Minutes,
    pub served_on: Option<Day>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redemption {
    pub card: CardNo,
    pub reward: RewardId,
    pub qty: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transfer {
    pub from: CardNo,
    pub to: CardNo,
    pub minutes: Minutes,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Donation {
    pub card: CardNo,
    pub minutes: Minutes,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolGrant {
    pub card: CardNo,
    pub minutes: Minutes,
    pub reason: String,
}

/// Undoing one entry (`target`, its journal seq) with the reason: mistakes are reversed, never
/// edited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reversal {
    pub target: u64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Adjustment {
    pub card: CardNo,
    pub credit: bool,
    pub minutes: Minutes,
    pub reason: String,
}

/// An operation that moves hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Hours served, credited to one volunteer.
    Deposit(Deposit),
    /// One activity, many volunteers, all or nothing: one transaction, one flush.
    DepositBatch(BatchDeposit),
    Redeem(Redemption),
    /// Hours given to another volunteer (family, a neighbour), up to the admin-set limit.
    Transfer(Transfer),
    /// Hours given to the donation pool: at the counter, at the kiosk, or from the command line.
    Donate(Donation),
    /// An admin grants pool hours to a person in need, with the reason.
    GrantFromPool(PoolGrant),
    /// Admins may reverse any entry; staff only their own, the same day.
    Reverse(Reversal),
    /// An admin's correction with a reason, for what a reversal cannot express.
    Adjust(Adjustment),
    /// An admin settles a card in conflict by moving this counter's person to a new card with
    /// every hour recorded for them here (see `bank::settle`).
    MoveToNewCard(CardMove),
}

/// How [`Bank::execute`] runs an operation.
#[derive(Debug, Clone, Copy, Default)]
pub enum Mode<'a> {
    /// What it would do now — every rule applied, nothing written: the confirm step's dry run.
    #[default]
    Preview,
    /// Saved (one transaction, then flush) before it returns.
    Commit(Commit<'a>),
}

/// A commit's particulars beyond the operation itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Commit<'a> {
    /// The caller's operation id: the same id with the same request commits once (a retried
    /// command after a crash returns the first commit), with another request it is refused.
    pub op_id: Option<&'a str>,
    /// Hours the card's city pool granted for this operation (see `city::execute`): the
    /// grant's entry is committed first, in the same transaction.
    pub grant: Option<&'a CityGrant>,
    /// For a deposit, the minutes the card's service day already holds at other counters (the
    /// city's figure, asked online): the day cap is the card's, city-wide.
    pub day_elsewhere: u32,
}

impl<'a> Mode<'a> {
    /// A plain commit under `op_id`.
    pub fn commit(op_id: Option<&'a str>) -> Self {
        Mode::Commit(Commit { op_id, ..Commit::default() })
    }
}

impl Op {
    /// Its name in the idempotency digest (an op id is bound to the operation and the request).
    fn name(&self) -> &'static str {
        match self {
            Op::Deposit(_) => "deposit",
            Op::DepositBatch(_) => "deposit_batch",
            Op::Redeem(_) => "redeem",
            Op::Transfer(_) => "transfer",
            Op::Donate(_) => "donate",
            Op::GrantFromPool(_) => "grant",
            Op::Reverse(_) => "reverse",
            Op::Adjust(_) => "adjust",
            Op::MoveToNewCard(_) => "move_to_new_card",
        }
    }

    /// The cards it names: an operation on a card only other counters know registers it here
    /// first (`Bank::adopt_from_city`).
    pub fn cards(&self) -> Vec<CardNo> {
        match self {
            Op::Deposit(d) => vec![d.card.clone()],
            Op::DepositBatch(b) => b.cards.clone(),
            Op::Redeem(r) => vec![r.card.clone()],
            Op::Transfer(t) => vec![t.from.clone(), t.to.clone()],
            Op::Donate(d) => vec![d.card.clone()],
            Op::GrantFromPool(g) => vec![g.card.clone()],
            Op::Adjust(a) => vec![a.card.clone()],
            Op::Reverse(_) | Op::MoveToNewCard(_) => Vec::new(),
        }
    }

    /// The card whose person spends, gives or transfers hours by it: what a card in conflict
    /// refuses (a reversal corrects a mistake; a move to a new card is the settling itself).
    pub fn spends_from_a_person(&self) -> Option<&CardNo> {
        match self {
            Op::Redeem(Redemption { card, .. })
            | Op::Transfer(Transfer { from: card, .. })
            | Op::Donate(Donation { card, .. }) => Some(card),
            _ => None,
        }
    }

    /// Whether it takes hours from a card (short here, the card's city pool is asked for the
    /// rest): a redemption, a transfer, a donation, a reversal (of a credit).
    pub fn spends(&self) -> bool {
        matches!(
            self,
            Op::Redeem(_) | Op::Transfer(_) | Op::Donate(_) | Op::Reverse(_) | Op::MoveToNewCard(_)
        )
    }
}

impl Bank {
    /// Runs `op`: commits it (`Mode::Commit`), or says what committing it would do now
    /// (`Mode::Preview`: credited, held for an admin, or refused by a rule, nothing written).
    pub fn execute(&self, who: &Actor, op: &Op, mode: Mode<'_>) -> Result<Committed, BankError> {
        let (commit, preview) = match mode {
            Mode::Preview => (Commit::default(), true),
            Mode::Commit(c) => (c, false),
        };
        // The usual case in a city: the volunteer registered at another counter serves here.
        let adopt = |cards: &[CardNo]| if preview { Ok(()) } else { self.adopt_from_city(who, cards) };
        let today = self.today();
        let grant = commit.grant;
        if let Some(card) = op.spends_from_a_person() {
            self.refuse_in_conflict(card)?;
        }
        match op {
            Op::Deposit(d) => {
                let served_on = d.served_on.unwrap_or(today);
                let note = crate::domain::parse_text(&d.note, crate::domain::MAX_NOTE_CHARS)?;
                adopt(std::slice::from_ref(&d.card))?;
                let plan = |view: &TxView<'_>| {
                    let role = require(view, who, Need::Staff, "record hours")?;
                    let volunteer = depositor(view, &d.card, served_on, today)?;
                    let planned =
                        plan_deposit(view, role, volunteer, d.activity, d.minutes, served_on, &note)?;
                    within_city_day(view, &planned[0], volunteer, served_on, commit.day_elsewhere)?;
                    Ok(planned)
                };
                self.run_or_preview(who, commit.op_id, op.name(), d, plan, preview)
            }
            Op::DepositBatch(b) => {
                let served_on = b.served_on.unwrap_or(today);
                let note = crate::domain::parse_text(&b.note, crate::domain::MAX_NOTE_CHARS)?;
                batch_is_whole(&b.cards)?;
                adopt(&b.cards)?;
                let plan = |view: &TxView<'_>| {
                    let role = require(view, who, Need::Staff, "record hours")?;
                    b.cards
                        .iter()
                        .map(|card| {
                            let volunteer = depositor(view, card, served_on, today)?;
                            plan_deposit(view, role, volunteer, b.activity, b.minutes, served_on, &note)
                        })
                        .collect::<PlanResult<Vec<Vec<Pending>>>>()
                        .map(|planned| planned.into_iter().flatten().collect())
                };
                self.run_or_preview(who, commit.op_id, op.name(), b, plan, preview)
            }
            Op::Redeem(r) => {
                if !(1..=1000).contains(&r.qty) {
                    return Err(DomainError::Quantity.into());
                }
                let plan = |view: &TxView<'_>| {
                    require(view, who, Need::Staff, "redeem rewards")?;
                    let mut events = funding(view, grant)?;
                    let (volunteer, _) = card_owner(view, &r.card, true)?;
                    let reward = read(view.reward(r.reward))?
                        .ok_or_else(|| rule(Rule::UnknownReward(r.reward.to_string())))?;
                    if !reward.active {
                        return Err(rule(Rule::RewardRetired(reward.name.to_string())));
                    }
                    let minutes = reward.cost.checked_mul(r.qty).ok_or_else(|| rule(Rule::Overflow))?;
                    events.push(Pending::from(EventKind::Redeemed {
                        volunteer,
                        reward: r.reward,
                        qty: r.qty,
                        minutes,
                    }));
                    Ok(events)
                };
                self.run_or_preview(who, commit.op_id, op.name(), r, plan, preview)
            }
            Op::Transfer(t) => {
                let note = crate::domain::parse_text(&t.note, crate::domain::MAX_NOTE_CHARS)?;
                let plan = |view: &TxView<'_>| {
                    require(view, who, Need::Staff, "transfer hours")?;
                    let mut events = funding(view, grant)?;
                    let (from, _) = card_owner(view, &t.from, true)?;
                    let (to, _) = card_owner(view, &t.to, true)?;
                    let minutes = capped(view, t.minutes)?;
                    let limit = read(view.settings())?.transfer_limit;
                    if minutes > limit {
                        return Err(rule(Rule::OverTransferLimit { minutes, limit }));
                    }
                    events.push(Pending::from(EventKind::Transferred {
                        from,
                        to,
                        minutes,
                        note: note.clone(),
                    }));
                    Ok(events)
                };
                self.run_or_preview(who, commit.op_id, op.name(), t, plan, preview)
            }
            Op::Donate(d) => {
                let note = crate::domain::parse_text(&d.note, crate::domain::MAX_NOTE_CHARS)?;
                let plan = |view: &TxView<'_>| {
                    // A volunteer at the kiosk gives their own hours; the kiosk knows whose card it is.
                    if *who != Actor::SelfService {
                        require(view, who, Need::Staff, "record a donation")?;
                    }
                    let mut events = funding(view, grant)?;
                    let (volunteer, _) = card_owner(view, &d.card, false)?;
                    let minutes = capped(view, d.minutes)?;
                    events.push(Pending::from(EventKind::Donated { volunteer, minutes, note: note.clone() }));
                    Ok(events)
                };
                self.run_or_preview(who, commit.op_id, op.name(), d, plan, preview)
            }
            Op::GrantFromPool(g) => {
                let reason = crate::domain::parse_reason(&g.reason)?;
                let plan = |view: &TxView<'_>| {
                    require(view, who, Need::Admin, "grant hours from the donation pool")?;
                    let (volunteer, _) = card_owner(view, &g.card, true)?;
                    let minutes = capped(view, g.minutes)?;
                    let pool = read(view.pool())?;
                    if pool.balance() < u64::from(minutes.get()) {
                        return Err(rule(Rule::InsufficientPool {
                            pool: crate::domain::ledger::clamp_minutes(pool.balance()),
                            needed: minutes,
                        }));
                    }
                    Ok(vec![Pending::from(EventKind::PoolGranted {
                        volunteer,
                        minutes,
                        reason: reason.clone(),
                    })])
                };
                self.run_or_preview(who, commit.op_id, op.name(), g, plan, preview)
            }
            Op::Reverse(Reversal { target, reason }) => {
                let (target, reason) = (*target, crate::domain::parse_reason(reason)?);
                let plan = |view: &TxView<'_>| reverse(view, who, grant, target, &reason, today);
                // The digest's request is (target, reason) as it always was: op ids recorded by
                // earlier versions still match.
                self.run_or_preview(who, commit.op_id, op.name(), &(target, &reason), plan, preview)
            }
            Op::Adjust(a) => {
                let reason = crate::domain::parse_reason(&a.reason)?;
                let plan = |view: &TxView<'_>| {
                    require(view, who, Need::Admin, "adjust balances")?;
                    let (volunteer, _) = card_owner(view, &a.card, false)?;
                    let minutes = capped(view, a.minutes)?;
                    Ok(vec![Pending::from(EventKind::Adjusted {
                        volunteer,
                        credit: a.credit,
                        minutes,
                        reason: reason.clone(),
                    })])
                };
                self.run_or_preview(who, commit.op_id, op.name(), a, plan, preview)
            }
            Op::MoveToNewCard(m) => {
                if !preview {
                    self.register_moved_card(who, m)?;
                }
                let plan = |view: &TxView<'_>| plan_card_move(view, who, grant, m);
                self.run_or_preview(who, commit.op_id, op.name(), m, plan, preview)
            }
        }
    }
}

/// The owner of `card`, who may be credited hours served on `served_on` (see
/// [`super::rules::depositable`]).
fn depositor(view: &TxView<'_>, card: &CardNo, served_on: Day, today: Day) -> PlanResult<VolunteerId> {
    let (id, v) = card_owner(view, card, false)?;
    super::rules::depositable(&v, served_on, today).map_err(rule)?;
    Ok(id)
}

/// A batch names at least one card, and each once.
fn batch_is_whole(cards: &[CardNo]) -> Result<(), BankError> {
    if cards.is_empty() {
        return Err(DomainError::Quantity.into());
    }
    let mut seen = std::collections::HashSet::new();
    match cards.iter().find(|c| !seen.insert(*c)) {
        Some(dup) => Err(Rule::DuplicateInBatch(dup.to_string()).into()),
        None => Ok(()),
    }
}

fn reverse(
    view: &TxView<'_>,
    who: &Actor,
    grant: Option<&CityGrant>,
    target: u64,
    reason: &str,
    today: Day,
) -> PlanResult<Vec<Pending>> {
    let role = require(view, who, Need::Staff, "reverse entries")?;
    let mut events = funding(view, grant)?;
    if role != Role::Admin {
        let original = read(view.entry(target))?.ok_or_else(|| rule(Rule::UnknownEntry(target)))?;
        if &original.body.actor != who || super::local_day(original.body.at) != today {
            return Err(rule(Rule::NotOwnEntry(target)));
        }
    }
    events.push(Pending::from(EventKind::Reversed { target, reason: reason.to_string() }));
    Ok(events)
}
