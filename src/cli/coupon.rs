//! `hourbank coupon`, `review`, `exchange` and `shift`: coupon batches (积分券) issued, listed,
//! voided and printed as a sheet; points credits waiting for review, verified and approved by
//! two people (each gives their staff id, and their PIN on stdin, so the journal names who
//! decided); the exchange day's settlement; the community's evaluation of a supervisor's shift.

use std::path::PathBuf;

use clap::Subcommand;

use super::{CliResult, Failure, open_bank};
use crate::bank::{Bank, cli_actor};
use crate::domain::{Actor, Day, Points, Verdict};

#[derive(Debug, Subcommand)]
pub enum CouponCmd {
    /// Issue the next batch of coupons (admin), taken only at this counter
    Issue {
        /// The standard item the coupons are for, e.g. HJ-01
        #[arg(long)]
        item: String,
        /// How many coupons
        #[arg(long)]
        count: u32,
        /// Worth of each coupon (the item's points by default)
        #[arg(long)]
        value: Option<String>,
        /// The last day a coupon is taken
        #[arg(long)]
        expires: String,
        /// The supervisor or post the batch is handed to
        #[arg(long)]
        holder: String,
        /// Write the batch's sheet here: .xlsx to print and cut, .csv for a label printer
        #[arg(long)]
        sheet: Option<PathBuf>,
    },
    /// Every batch with what is used, voided and outstanding
    List {
        /// Print them as JSON
        #[arg(long)]
        json: bool,
    },
    /// Void coupons of a batch that were lost or spoilt (admin)
    Void {
        /// The batch's number
        batch: u32,
        /// One serial, or FIRST-LAST
        serials: String,
        /// Why (lost, spoilt)
        #[arg(long)]
        reason: String,
    },
    /// Write a batch's sheet again (.xlsx or .csv)
    Sheet {
        /// The batch's number
        batch: u32,
        /// Where: .xlsx to print and cut, .csv for a label printer
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ShiftCmd {
    /// The community's evaluation of an ended shift at a duty post (督导员日常考核)
    Evaluate {
        /// The shift's check-in entry number
        seq: u64,
        /// Score out of 100
        #[arg(long)]
        score: u8,
        /// What was seen (kept with the evaluation)
        #[arg(long, default_value = "")]
        note: String,
    },
}

pub fn shift(store: Option<PathBuf>, cmd: ShiftCmd) -> CliResult {
    let bank = open_bank(store)?;
    let ShiftCmd::Evaluate { seq, score, note } = cmd;
    let saved = bank.evaluate_shift(&cli_actor(), seq, score, &note)?;
    say!("saved #{saved}: shift #{seq} scored {score}");
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum ExchangeCmd {
    /// The day's settlement for the supermarket: goods, quantities, points, stock left
    Settle {
        /// The day (today by default)
        #[arg(long)]
        date: Option<String>,
        /// Print it as JSON
        #[arg(long)]
        json: bool,
    },
}

pub fn exchange(store: Option<PathBuf>, cmd: ExchangeCmd) -> CliResult {
    let bank = open_bank(store)?;
    let ExchangeCmd::Settle { date, json } = cmd;
    let day = date.as_deref().map(Day::parse).transpose()?.unwrap_or_else(|| bank.today());
    let s = crate::report::exchange::settlement(&bank, day)?;
    if json {
        say!("{}", serde_json::to_string(&s).map_err(|e| Failure::bad_input(e.to_string()))?);
        return Ok(());
    }
    let unlimited = "unlimited";
    say!("exchange settlement {}", s.day);
    for r in &s.rows {
        let left = r.stock_left.map_or_else(|| unlimited.to_string(), |n| n.to_string());
        say!("{}  {} items  {} pts  stock left {left}", r.name, r.qty, r.points);
    }
    let goods: i64 = s.rows.iter().map(|r| r.qty).sum();
    say!(
        "total {goods} items {} pts; coupons credited {} for {} pts",
        s.points(),
        s.coupons,
        s.coupon_points
    );
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum ReviewCmd {
    /// Points credits waiting for a verifier or an approver
    List {
        /// Print them as JSON
        #[arg(long)]
        json: bool,
    },
    /// Verify a credit (a verifier or an admin; PIN on stdin)
    Verify {
        /// The credit's entry number
        seq: u64,
        /// Your staff id (the PIN is read from stdin)
        #[arg(long)]
        staff: String,
        /// A few words kept with the step
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Approve a verified credit (an approver or an admin, not the verifier; PIN on stdin)
    Approve {
        /// The credit's entry number
        seq: u64,
        /// Your staff id (the PIN is read from stdin)
        #[arg(long)]
        staff: String,
        /// A few words kept with the step
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Reject a credit, with the reason (PIN on stdin)
    Reject {
        /// The credit's entry number
        seq: u64,
        /// Your staff id (the PIN is read from stdin)
        #[arg(long)]
        staff: String,
        /// Why it is rejected
        #[arg(long)]
        reason: String,
    },
}

pub fn coupon(store: Option<PathBuf>, cmd: CouponCmd) -> CliResult {
    let bank = open_bank(store)?;
    match cmd {
        CouponCmd::Issue { item, count, value, expires, holder, sheet } => {
            let value = value.as_deref().map(Points::parse).transpose()?;
            let issued =
                bank.issue_coupons(&cli_actor(), &item, value, count, Day::parse(&expires)?, &holder)?;
            let (first, last) = (issued.numbers.first(), issued.numbers.last());
            let range = first.zip(last).map(|(f, l)| format!("{f} … {l}")).unwrap_or_default();
            say!(
                "saved: coupon batch {}, {} coupons of {} pts, {range}",
                issued.batch,
                count,
                issued.record.value.get()
            );
            if let Some(path) = sheet {
                write_sheet(&bank, issued.batch, &path)?;
            }
        }
        CouponCmd::List { json } => list(&bank, json)?,
        CouponCmd::Void { batch, serials, reason } => {
            let (first, last) = match serials.split_once('-') {
                Some((a, b)) => (a.trim().parse(), b.trim().parse()),
                None => (serials.trim().parse(), serials.trim().parse()),
            };
            let (Ok(first), Ok(last)) = (first, last) else {
                return Err(Failure::bad_input(format!("{serials:?}: give a serial or FIRST-LAST")));
            };
            let e = bank.void_coupons(&cli_actor(), batch, first, last, &reason)?;
            say!("saved #{}: batch {batch} coupons {first}–{last} voided", e.seq());
        }
        CouponCmd::Sheet { batch, out } => write_sheet(&bank, batch, &out)?,
    }
    Ok(())
}

fn write_sheet(bank: &Bank, batch: u32, path: &std::path::Path) -> CliResult {
    let issued = bank.coupon_batch(batch)?.ok_or_else(|| {
        crate::bank::BankError::from(crate::domain::Rule::Points(crate::domain::PointsRule::UnknownBatch(
            batch,
        )))
    })?;
    let item_name = bank
        .standard_on(bank.today())?
        .and_then(|(_, st)| st.item(&issued.record.item).map(|i| i.name.to_string()))
        .unwrap_or_default();
    let csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let written = if csv {
        std::fs::File::create(path)
            .and_then(|mut f| {
                crate::report::coupons::coupon_sheet_csv(&issued, &mut f).and_then(|()| f.sync_all())
            })
            .map_err(|e| e.to_string())
    } else {
        crate::report::coupons::coupon_sheet_xlsx(&issued, &item_name, super::lang::current(), path)
            .map_err(|e| e.to_string())
    };
    written.map_err(|e| Failure::bad_input(format!("{}: {e}", path.display())))?;
    say!("wrote {}", path.display());
    Ok(())
}

fn list(bank: &Bank, json: bool) -> CliResult {
    let today = bank.today();
    let mut rows = Vec::new();
    for (n, b, used) in bank.coupon_batches()? {
        let (voided, outstanding) = (b.voided_count(), b.outstanding(used, today));
        rows.push((n, b, used, voided, outstanding));
    }
    if json {
        let list: Vec<_> = rows
            .iter()
            .map(|(n, b, used, voided, outstanding)| {
                serde_json::json!({"batch": n, "item": b.item, "value": b.value.get(), "count": b.count,
                    "used": used, "voided": voided, "outstanding": outstanding,
                    "outstanding_points": u64::from(*outstanding) * u64::from(b.value.get()),
                    "expires": b.expires.to_string(), "holder": b.holder, "counter": b.counter})
            })
            .collect();
        say!("{}", serde_json::Value::Array(list));
        return Ok(());
    }
    let liability: u64 = rows.iter().map(|(_, b, _, _, o)| u64::from(*o) * u64::from(b.value.get())).sum();
    for (n, b, used, voided, outstanding) in &rows {
        say!(
            "batch {n}  {} {} pts × {}  used {used}  voided {voided}  outstanding {outstanding}  until {}  {}",
            b.item,
            b.value.get(),
            b.count,
            b.expires,
            b.holder
        );
    }
    say!("outstanding coupons (liability): {liability} pts");
    Ok(())
}

/// The staff member deciding, by their id and PIN (read from stdin).
fn reviewer(bank: &Bank, staff: &str) -> Result<Actor, Failure> {
    let pin = super::prompt::read_pin(staff)?;
    match bank.login(staff, &pin) {
        Ok(s) => Ok(Actor::Staff(s.id)),
        Err(e) => Err(Failure::refused(
            super::lang::words().map_or_else(|| e.to_string(), |t| t.login_error(&e, |at| at.to_string())),
        )),
    }
}

pub fn review(store: Option<PathBuf>, cmd: ReviewCmd) -> CliResult {
    let bank = open_bank(store)?;
    let (seq, staff, verdict, reason) = match cmd {
        ReviewCmd::List { json } => {
            let waiting = bank.points_waiting()?;
            if json {
                say!("{}", serde_json::to_string(&waiting).map_err(|e| Failure::bad_input(e.to_string()))?);
            }
            for w in waiting.iter().filter(|_| !json) {
                let step = if w.verified { "to approve" } else { "to verify" };
                say!(
                    "#{}  {step}  {} {}  {} {}  {}  {}",
                    w.seq,
                    w.card,
                    w.name,
                    w.item,
                    w.points,
                    w.earned_on,
                    w.note
                );
            }
            return Ok(());
        }
        ReviewCmd::Verify { seq, staff, note } => (seq, staff, Verdict::Verified, note),
        ReviewCmd::Approve { seq, staff, note } => (seq, staff, Verdict::Approved, note),
        ReviewCmd::Reject { seq, staff, reason } => (seq, staff, Verdict::Rejected, reason),
    };
    let who = reviewer(&bank, &staff)?;
    let e = bank.review_points(&who, seq, verdict, &reason)?;
    let word = match verdict {
        Verdict::Verified => "verified; waits for an approver",
        Verdict::Approved => "approved; the points are credited",
        Verdict::Rejected => "rejected",
    };
    say!("saved #{}: #{seq} {word}", e.seq());
    Ok(())
}
