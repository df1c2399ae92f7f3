//! `hourbank deposit|redeem|transfer|reverse|adjust`: the commands that move hours. Each
//! prints `saved #SEQ …` only after the bank returned, i.e. after the flush.

use std::path::PathBuf;

use clap::Args;

use super::{CliResult, Failure, open_bank};
use crate::bank::{
    Adjustment, Bank, BatchDeposit, Deposit, Mode, Op, Redemption, Reversal, Transfer, cli_actor,
};
use crate::domain::{CardNo, Day, EventKind, Minutes, format_hours};

/// An amount given either as whole minutes or as a duration.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Amount {
    /// Whole minutes
    #[arg(long)]
    minutes: Option<u32>,
    /// Hours as 2.5, 2h30m, 150m or 2小时30分
    #[arg(long)]
    hours: Option<String>,
}

impl Amount {
    pub(super) fn get(&self) -> Result<Minutes, Failure> {
        match (&self.minutes, &self.hours) {
            (Some(m), _) => Ok(Minutes::new(*m)),
            (None, Some(h)) => Ok(Minutes::parse(h)?),
            (None, None) => Err(Failure::bad_input("give --minutes or --hours")),
        }
    }
}

#[derive(Debug, Args)]
pub struct DepositArgs {
    /// Card number; repeat for a batch (all saved together or none)
    #[arg(long, required = true)]
    card: Vec<String>,
    #[command(flatten)]
    amount: Amount,
    /// Activity name or id
    #[arg(long)]
    activity: String,
    /// Service date [default: today]
    #[arg(long)]
    date: Option<String>,
    /// A note kept with the entry (optional)
    #[arg(long, default_value = "")]
    note: String,
    /// Retry-safe operation id: the same id and request applies once
    #[arg(long)]
    op_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct RedeemArgs {
    /// The volunteer's card number
    #[arg(long)]
    card: String,
    /// Reward name or id
    #[arg(long)]
    reward: String,
    /// How many units
    #[arg(long, default_value_t = 1)]
    qty: u32,
    /// Retry-safe operation id: the same id and request applies once
    #[arg(long)]
    op_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct TransferArgs {
    /// Card number of the volunteer who gives the hours
    #[arg(long)]
    from: String,
    /// Card number of the volunteer who receives them
    #[arg(long)]
    to: String,
    #[command(flatten)]
    amount: Amount,
    /// A note kept with the entry (optional)
    #[arg(long, default_value = "")]
    note: String,
    /// Retry-safe operation id: the same id and request applies once
    #[arg(long)]
    op_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReverseArgs {
    /// Seq of the entry to reverse
    #[arg(long)]
    seq: u64,
    /// Why (required; kept in the journal)
    #[arg(long)]
    reason: String,
    /// Retry-safe operation id: the same id and request applies once
    #[arg(long)]
    op_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct AdjustArgs {
    /// The volunteer's card number
    #[arg(long)]
    card: String,
    /// Add hours (default: take hours away)
    #[arg(long)]
    credit: bool,
    #[command(flatten)]
    amount: Amount,
    /// Why (required; kept in the journal)
    #[arg(long)]
    reason: String,
    /// Retry-safe operation id: the same id and request applies once
    #[arg(long)]
    op_id: Option<String>,
}

fn balance_of(bank: &Bank, card: &CardNo) -> String {
    bank.find_card(card).map(|v| format_hours(v.account.balance())).unwrap_or_else(|_| "?".into())
}

pub(super) fn replayed(flag: bool) -> &'static str {
    if flag { " (already saved earlier under this op id)" } else { "" }
}

pub fn deposit(store: Option<PathBuf>, a: DepositArgs) -> CliResult {
    let bank = open_bank(store)?;
    let cards: Vec<CardNo> = a.card.iter().map(|c| CardNo::parse(c)).collect::<Result<_, _>>()?;
    let (activity, _) = bank.find_activity(&a.activity).map_err(|e| {
        let mut f = Failure::from(e);
        if let Ok(close) = bank.close_activities(&a.activity)
            && !close.is_empty()
        {
            f.message = match super::lang::words() {
                None => format!("{}; close matches: {}", f.message, close.join(", ")),
                Some(t) => crate::i18n::fill(t.close_matches, &[&f.message, &close.join("、")]),
            };
        }
        f
    })?;
    let minutes = a.amount.get()?;
    let served_on = a.date.as_deref().map(Day::parse).transpose()?;
    let who = cli_actor();
    if let [card] = cards.as_slice() {
        let d = Deposit { card: card.clone(), activity, minutes, served_on, note: a.note };
        let c = super::city::execute(&bank, a.op_id.as_deref(), &Op::Deposit(d))?;
        let seq = c.first_seq();
        let (credited, held) = credited_of(&c.events, minutes);
        let held = if held { " held for an admin's approval" } else { "" };
        say!(
            "saved #{seq}: +{credited} {} → {card}{held}, balance {}h{}",
            a.activity,
            balance_of(&bank, card),
            replayed(c.replayed)
        );
    } else {
        let b = BatchDeposit { cards, activity, minutes, served_on, note: a.note };
        let c = bank.execute(&who, &Op::DepositBatch(b), Mode::commit(a.op_id.as_deref()))?;
        let first = c.first_seq();
        let (credited, _) = credited_of(&c.events, minutes);
        // One deposit a volunteer; a deposit the rules shaped has a note of what was served
        // after it.
        let volunteers = c
            .events
            .iter()
            .filter(|e| matches!(e.kind(), EventKind::Deposited { .. } | EventKind::DepositHeld { .. }))
            .count();
        let total = u64::from(credited.get()) * volunteers as u64;
        say!(
            "saved #{first}–#{}: +{credited} {} for {} volunteers, {}h in all{}",
            c.events.last().map_or(first, |e| e.seq()),
            a.activity,
            volunteers,
            format_hours(total),
            replayed(c.replayed)
        );
    }
    Ok(())
}

/// The minutes a deposit credited after the rules (rounding, multiplier), and whether it was
/// held for approval; `asked` for an answer replayed from an earlier request.
fn credited_of(events: &[crate::domain::Event], asked: Minutes) -> (Minutes, bool) {
    match events.first().map(|e| e.kind()) {
        Some(EventKind::Deposited { minutes, .. }) => (*minutes, false),
        Some(EventKind::DepositHeld { minutes, .. }) => (*minutes, true),
        _ => (asked, false),
    }
}

pub fn redeem(store: Option<PathBuf>, a: RedeemArgs) -> CliResult {
    let bank = open_bank(store)?;
    let card = CardNo::parse(&a.card)?;
    let reward = bank.find_reward(&a.reward)?;
    let request = Redemption { card: card.clone(), reward: reward.id, qty: a.qty };
    let c = super::city::execute(&bank, a.op_id.as_deref(), &Op::Redeem(request))?;
    let seq = c.events.last().map_or(0, |e| e.seq());
    say!(
        "saved #{seq}: {} ×{} for {card}, balance {}h{}{}",
        reward.reward.name,
        a.qty,
        balance_of(&bank, &card),
        from_city(&c),
        replayed(c.replayed)
    );
    Ok(())
}

pub fn transfer(store: Option<PathBuf>, a: TransferArgs) -> CliResult {
    let bank = open_bank(store)?;
    let t = Transfer {
        from: CardNo::parse(&a.from)?,
        to: CardNo::parse(&a.to)?,
        minutes: a.amount.get()?,
        note: a.note,
    };
    let c = super::city::execute(&bank, a.op_id.as_deref(), &Op::Transfer(t.clone()))?;
    let seq = c.events.last().map_or(0, |e| e.seq());
    say!("saved #{seq}: {} {} → {}{}{}", t.minutes, t.from, t.to, from_city(&c), replayed(c.replayed));
    Ok(())
}

pub fn reverse(store: Option<PathBuf>, a: ReverseArgs) -> CliResult {
    let bank = open_bank(store)?;
    let what = Op::Reverse(Reversal { target: a.seq, reason: a.reason.clone() });
    let c = super::city::execute(&bank, a.op_id.as_deref(), &what)?;
    let seq = c.events.last().map_or(0, |e| e.seq());
    say!("saved #{seq}: reversed #{}{}{}", a.seq, from_city(&c), replayed(c.replayed));
    Ok(())
}

/// `, 1.5h from the city pool (grant JH-LL-01:…)` when the operation spent hours the card's
/// city pool granted for it: the receipt says where the hours came from.
pub(super) fn from_city(c: &crate::bank::Committed) -> String {
    c.events
        .iter()
        .find_map(|e| match e.kind() {
            EventKind::RightsGranted { minutes, grant, .. } => Some(format!(
                ", {}h from the city pool (grant {grant})",
                crate::domain::format_hours(u64::from(minutes.get()))
            )),
            _ => None,
        })
        .unwrap_or_default()
}

pub fn adjust(store: Option<PathBuf>, a: AdjustArgs) -> CliResult {
    let bank = open_bank(store)?;
    let card = CardNo::parse(&a.card)?;
    let adj = Adjustment { card: card.clone(), credit: a.credit, minutes: a.amount.get()?, reason: a.reason };
    let c = bank.execute(&cli_actor(), &Op::Adjust(adj.clone()), Mode::commit(a.op_id.as_deref()))?;
    let seq = c.first_seq();
    let sign = if adj.credit { '+' } else { '-' };
    say!(
        "saved #{seq}: {sign}{} {card}, balance {}h{}",
        adj.minutes,
        balance_of(&bank, &card),
        replayed(c.replayed)
    );
    Ok(())
}
