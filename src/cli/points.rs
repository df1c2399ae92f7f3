//! `hourbank resident`, `hourbank standard` and `hourbank points`: the civic points (文明积分)
//! beside the hours — residents registered lightly, the quantification standard published as a
//! TOML file, credits by item or by coupon, the balance, prices in points and redemptions.

use std::path::PathBuf;

use clap::Subcommand;
use serde::Deserialize;
use serde_json::json;

use super::{CardArg, CliResult, Failure, open_bank};
use crate::bank::{PointsCredit, ResidentForm, cli_actor};
use crate::domain::{
    CardNo, Day, Name, Points, Standard, StandardItem, points::item_code, points::phone_tail,
};

#[derive(Debug, Subcommand)]
pub enum ResidentCmd {
    /// Register a resident for civic points only: card or points-card number, name, community
    Add {
        /// The card or points-card number
        card: String,
        /// The resident's name
        #[arg(long)]
        name: String,
        /// Their community (社区)
        #[arg(long, default_value = "")]
        community: String,
        /// The phone's last 4 digits, to find them by
        #[arg(long, default_value = "")]
        phone_tail: String,
        /// Retry-safe operation id: the same id and request applies once
        #[arg(long)]
        op_id: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum StandardCmd {
    /// Publish a version of the points standard from a TOML file (admin); see README
    Publish {
        /// The TOML file: effective, review_over, [[item]] code, category, name, points, day_cap, month_cap, review
        file: PathBuf,
    },
    /// The standard in force on a day (today by default)
    Show {
        /// The day (today by default)
        #[arg(long)]
        date: Option<String>,
        /// Print it as JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PointsCmd {
    /// Credit points for an item of the standard (a whole number of times)
    Credit {
        #[command(flatten)]
        card: CardArg,
        /// The item's code, e.g. HJ-01
        #[arg(long)]
        item: String,
        /// How many times it was earned (the credit is the item's points times this)
        #[arg(long, default_value_t = 1)]
        times: u32,
        /// The day it was earned (today by default)
        #[arg(long)]
        date: Option<String>,
        /// A few words kept with the entry
        #[arg(long, default_value = "")]
        note: String,
        /// Retry-safe operation id: the same id and request applies once
        #[arg(long)]
        op_id: Option<String>,
    },
    /// Credit a coupon (积分券) the card's holder hands in
    Coupon {
        #[command(flatten)]
        card: CardArg,
        /// The coupon's number as printed, e.g. JH-A-01.3.42.K7Q2X
        #[arg(long)]
        number: String,
        /// Retry-safe operation id: the same id and request applies once
        #[arg(long)]
        op_id: Option<String>,
    },
    /// The card's points
    Balance {
        #[command(flatten)]
        card: CardArg,
        /// Print it as JSON
        #[arg(long)]
        json: bool,
    },
    /// Spend points on a reward priced in points
    Redeem {
        #[command(flatten)]
        card: CardArg,
        /// Reward name or id
        #[arg(long)]
        reward: String,
        /// How many
        #[arg(long, default_value_t = 1)]
        qty: u32,
        /// Retry-safe operation id: the same id and request applies once
        #[arg(long)]
        op_id: Option<String>,
    },
    /// Price a reward in points (admin): POINTS, or `none` to stop; --points-only stops hours
    Price {
        /// Reward name or id
        reward: String,
        /// Its price in points, or `none`
        points: String,
        /// Offer it for points only (no longer for hours)
        #[arg(long)]
        points_only: bool,
    },
    /// Where this counter's points are spendable (admin): `city` (any counter, through the
    /// city pools; the default) or `local` (this community only: none go to the pools)
    Scheme {
        /// `city` or `local`
        #[arg(value_enum)]
        reach: SchemeReach,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemeReach {
    City,
    Local,
}

pub fn resident(store: Option<PathBuf>, cmd: ResidentCmd) -> CliResult {
    let bank = open_bank(store)?;
    let ResidentCmd::Add { card, name, community, phone_tail: tail, op_id } = cmd;
    let form = ResidentForm {
        card: CardNo::parse(&card)?,
        name: Name::parse(&name)?,
        community,
        phone_tail: phone_tail(&tail)?,
    };
    let e = bank.register_resident(&cli_actor(), op_id.as_deref(), &form)?;
    say!("saved #{}: resident {} {} (points only)", e.seq(), form.card, form.name);
    Ok(())
}

/// The standard as its TOML file says it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StandardFile {
    effective: String,
    review_over: Option<u32>,
    #[serde(rename = "item")]
    items: Vec<ItemFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemFile {
    code: String,
    category: String,
    name: String,
    points: u32,
    day_cap: Option<u32>,
    month_cap: Option<u32>,
    #[serde(default)]
    review: bool,
}

fn points_value(n: u32) -> Result<Points, Failure> {
    Ok(Points::parse(&n.to_string())?)
}

fn read_standard(path: &std::path::Path) -> Result<Standard, Failure> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Failure::bad_input(format!("{}: {e}", path.display())))?;
    let file: StandardFile =
        toml::from_str(&text).map_err(|e| Failure::bad_input(format!("{}: {e}", path.display())))?;
    let items = file
        .items
        .into_iter()
        .map(|i| {
            Ok(StandardItem {
                code: item_code(&i.code)?,
                category: i.category.trim().to_string(),
                name: Name::parse(&i.name)?,
                points: points_value(i.points)?,
                day_cap: i.day_cap.map(points_value).transpose()?,
                month_cap: i.month_cap.map(points_value).transpose()?,
                review: i.review,
            })
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    Ok(Standard {
        effective: Day::parse(&file.effective)?,
        review_over: file.review_over.map(points_value).transpose()?,
        items,
    })
}

pub fn standard(store: Option<PathBuf>, cmd: StandardCmd) -> CliResult {
    let bank = open_bank(store)?;
    match cmd {
        StandardCmd::Publish { file } => {
            let st = read_standard(&file)?;
            let seq = bank.publish_standard(&cli_actor(), &st)?;
            say!(
                "saved #{seq}: points standard #{seq}, in force from {}, {} items",
                st.effective,
                st.items.len()
            );
        }
        StandardCmd::Show { date, json } => {
            let day = date.as_deref().map(Day::parse).transpose()?.unwrap_or_else(|| bank.today());
            let Some((seq, st)) = bank.standard_on(day)? else {
                let rule = crate::domain::PointsRule::NoStandard(day.to_string());
                return Err(crate::bank::BankError::from(crate::domain::Rule::Points(rule)).into());
            };
            if json {
                let items: Vec<_> = st
                    .items
                    .iter()
                    .map(|i| {
                        json!({"code": i.code, "category": i.category, "name": i.name.as_str(),
                            "points": i.points.get(), "day_cap": i.day_cap.map(Points::get),
                            "month_cap": i.month_cap.map(Points::get), "review": i.review})
                    })
                    .collect();
                say!(
                    "{}",
                    json!({"standard": seq, "effective": st.effective.to_string(),
                    "review_over": st.review_over.map(Points::get), "items": items})
                );
                return Ok(());
            }
            say!("#{seq} {} {}", "in force from", st.effective);
            for i in &st.items {
                let caps = [(i.day_cap, "day"), (i.month_cap, "month")]
                    .iter()
                    .filter_map(|(cap, per)| cap.map(|c| format!("{per}≤{}", c.get())))
                    .collect::<Vec<_>>()
                    .join(" ");
                let review = if !i.review { "" } else { " review" };
                say!("{:<8} {:>5} {}  {} · {}{review}", i.code, i.points.get(), caps, i.category, i.name);
            }
        }
    }
    Ok(())
}

pub fn points(store: Option<PathBuf>, cmd: PointsCmd) -> CliResult {
    let bank = open_bank(store)?;
    let who = cli_actor();
    match cmd {
        PointsCmd::Credit { card, item, times, date, note, op_id } => {
            let card = card.parse()?;
            let date = date.as_deref().map(Day::parse).transpose()?;
            let credit = PointsCredit { card: card.clone(), item, times, earned_on: date, note };
            let e = bank.credit_points(&who, op_id.as_deref(), &credit)?;
            let crate::domain::EventKind::PointsCredited { points, review, item, .. } = &e.body.kind else {
                return Ok(());
            };
            let balance = bank.points_of(&card)?.balance;
            let waits = if *review { " wait for review (verify, then approve)" } else { "" };
            let sign = if *review { "" } else { "+" };
            say!(
                "saved #{}: {card} {sign}{} pts ({item}){waits}, points balance {balance}",
                e.seq(),
                points.get()
            );
        }
        PointsCmd::Coupon { card, number, op_id } => {
            let card = card.parse()?;
            let e = bank.take_coupon(&who, op_id.as_deref(), &card, &number)?;
            let crate::domain::EventKind::PointsCredited { points, .. } = &e.body.kind else { return Ok(()) };
            let balance = bank.points_of(&card)?.balance;
            say!(
                "saved #{}: coupon {} credited to {card} +{} pts, points balance {balance}",
                e.seq(),
                number.trim(),
                points.get()
            );
        }
        PointsCmd::Balance { card, json } => {
            let v = bank.points_of(&card.parse()?)?;
            if json {
                say!("{}", serde_json::to_string(&v).map_err(|e| Failure::bad_input(e.to_string()))?);
            } else {
                let who = if v.resident { "resident" } else { "volunteer" };
                say!(
                    "{} {} ({who}) points balance {} (credited {}, spent {}, waiting for review {})",
                    v.card,
                    v.name,
                    v.balance,
                    v.credited,
                    v.spent,
                    v.waiting
                );
                if let Some(c) = v.city {
                    say!(
                        "  across the city {} (here {}, at other counters {}, in the city pool {})",
                        c.total(),
                        c.here,
                        c.elsewhere,
                        c.pooled
                    );
                }
            }
        }
        PointsCmd::Redeem { card, reward, qty, op_id } => {
            let card = card.parse()?;
            let r = bank.find_reward(&reward)?;
            let c = super::city::redeem_points(&bank, op_id.as_deref(), &card, r.id, qty)?;
            let Some(e) = c.events.last() else { return Ok(()) };
            let crate::domain::EventKind::PointsRedeemed { points, .. } = &e.body.kind else { return Ok(()) };
            let balance = bank.points_of(&card)?.balance;
            say!(
                "saved #{}: {card} redeemed {} × {qty}, -{} pts, points balance {balance}",
                e.seq(),
                r.reward.name,
                points.get()
            );
        }
        PointsCmd::Price { reward, points, points_only } => {
            let r = bank.find_reward(&reward)?;
            let price = match points.trim() {
                "none" | "无" => None,
                text => Some(Points::parse(text)?),
            };
            let e = bank.price_in_points(&who, r.id, price, !points_only)?;
            let shown = price.map_or_else(|| "-".to_string(), |p| p.get().to_string());
            say!(
                "saved #{}: {} priced {shown} pts{}",
                e.seq(),
                r.reward.name,
                if points_only { " (points only)" } else { "" }
            );
        }
        PointsCmd::Scheme { reach } => {
            let c = bank.keep_points_local(&who, reach == SchemeReach::Local)?;
            say!(
                "saved #{}: {}",
                c.first_seq(),
                match reach {
                    SchemeReach::Local => "this counter's points stay in its own community",
                    SchemeReach::City => "this counter's points are spendable at any counter of the city",
                }
            );
        }
    }
    Ok(())
}
