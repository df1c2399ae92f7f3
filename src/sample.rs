//! Realistic sample data, generated from a seed: the `demo` store, and the large CSV datasets
//! the benchmarks import. Nothing here is committed as data; it is all made on demand.

use std::io::Write;

use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::bank::{Bank, BankError, Deposit, Mode, NewReward, Op, Redemption, VolunteerForm};
use crate::domain::{Actor, CardNo, Day, Minutes, Name, Phone, RewardKind};

const SURNAMES: &[&str] = &[
    "陈", "李", "黄", "梁", "张", "林", "吴", "余", "关", "谭", "区", "甄", "刘", "何", "周", "邓", "冯",
    "罗", "郑", "司徒",
];
const GIVEN: &[&str] = &[
    "华", "佩", "丽", "明", "伟", "芳", "娟", "强", "秀", "英", "敏", "静", "玲", "志", "国", "建", "文",
    "杰", "婷", "丹", "霞", "燕", "红", "慧", "嘉", "欣", "锦", "荣", "淑", "桂", "兰", "珍", "添", "福",
    "永", "健",
];
pub const COMMUNITIES: &[&str] =
    &["白沙街道", "潮连街道", "堤东社区", "环市街道", "北街社区", "江华社区", "仓后社区", "紫茶社区"];
pub const ACTIVITIES: &[(&str, &str)] = &[
    ("垃圾分类督导", "环保"),
    ("入户宣传", "宣传"),
    ("长者陪伴", "助老"),
    ("社区清洁", "环保"),
    ("文明交通劝导", "治安"),
    ("便民义诊协助", "助老"),
];
/// (name, kind, cost in hours, stock, merchant)
pub const REWARDS: &[(&str, RewardKind, u32, Option<u32>, &str)] = &[
    ("大米5kg", RewardKind::Gift, 10, Some(50), ""),
    ("洗衣液", RewardKind::Gift, 5, Some(80), ""),
    ("超市代金券50元", RewardKind::Voucher, 8, Some(100), "益华超市"),
    ("电脑培训", RewardKind::Course, 20, Some(20), "蓬江区社区学院"),
];

pub fn name(rng: &mut StdRng) -> String {
    let surname = SURNAMES[rng.random_range(0..SURNAMES.len())];
    let len = if rng.random_bool(0.7) { 2 } else { 1 };
    let mut s = surname.to_string();
    for _ in 0..len {
        s.push_str(GIVEN[rng.random_range(0..GIVEN.len())]);
    }
    s
}

pub fn phone(rng: &mut StdRng) -> String {
    let prefix =
        ["138", "139", "135", "136", "137", "150", "158", "186", "189", "132"][rng.random_range(0..10)];
    format!("{prefix}{:08}", rng.random_range(0..100_000_000u32))
}

pub fn card(n: usize) -> String {
    format!("JH{n:06}")
}

/// Service lengths people actually log: mostly whole and half hours.
fn service_minutes(rng: &mut StdRng) -> u32 {
    [60, 90, 120, 120, 150, 180, 240, 30][rng.random_range(0..8)]
}

/// Counts of what `write_dataset` wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatasetStats {
    pub volunteers: usize,
    pub deposits: usize,
    pub redemptions: usize,
}

/// Writes `volunteers.csv` and `entries.csv` in the import formats. Entries are in timestamp
/// order over two years; a redemption is written only when the running balance covers it, so
/// the whole file imports cleanly.
pub fn write_dataset(
    volunteers_out: impl Write,
    entries_out: impl Write,
    volunteers: usize,
    entries: usize,
    seed: u64,
) -> std::io::Result<DatasetStats> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut v = std::io::BufWriter::new(volunteers_out);
    writeln!(v, "card_no,name,phone,community,registered_at")?;
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    for n in 1..=volunteers {
        let community = COMMUNITIES[rng.random_range(0..COMMUNITIES.len())];
        let registered = start + Duration::days(rng.random_range(0..365));
        writeln!(v, "{},{},{},{},{}", card(n), name(&mut rng), phone(&mut rng), community, registered)?;
    }
    v.flush()?;

    let mut e = std::io::BufWriter::new(entries_out);
    writeln!(e, "id,timestamp,card_no,kind,minutes,memo")?;
    let mut balances = vec![0u64; volunteers + 1];
    let mut stats = DatasetStats { volunteers, deposits: 0, redemptions: 0 };
    let span_secs: i64 = 2 * 365 * 24 * 3600;
    let base = start.and_hms_opt(8, 0, 0).unwrap_or_default();
    for i in 0..entries {
        // Evenly spread timestamps keep the file in order without sorting a million rows.
        let at = base + Duration::seconds(span_secs * i as i64 / entries.max(1) as i64);
        let who = rng.random_range(1..=volunteers.max(1));
        let reward = REWARDS[rng.random_range(0..REWARDS.len())];
        let cost = u64::from(reward.2) * 60;
        if rng.random_bool(0.12) && balances[who] >= cost {
            balances[who] -= cost;
            stats.redemptions += 1;
            writeln!(e, "E{i},{},{},redeem,{cost},{}", at.format("%Y-%m-%d %H:%M:%S"), card(who), reward.0)?;
        } else {
            let m = service_minutes(&mut rng);
            balances[who] += u64::from(m);
            stats.deposits += 1;
            let activity = ACTIVITIES[rng.random_range(0..ACTIVITIES.len())].0;
            writeln!(e, "E{i},{},{},deposit,{m},{activity}", at.format("%Y-%m-%d %H:%M:%S"), card(who))?;
        }
    }
    e.flush()?;
    Ok(stats)
}

/// Fills a freshly initialised bank with a small, lively sample: the catalog, `volunteers`
/// people, and a few months of deposits and redemptions.
pub fn populate_demo(bank: &Bank, who: &Actor, volunteers: usize, seed: u64) -> Result<(), BankError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut activity_ids = Vec::new();
    for (name, category) in ACTIVITIES {
        activity_ids.push(bank.add_activity(who, None, &Name::parse(name)?, category)?.seq());
    }
    let mut reward_ids = Vec::new();
    let today = bank.today();
    for (name, kind, hours, stock, merchant) in REWARDS {
        let course_date =
            (*kind == RewardKind::Course).then(|| Day::from_date(today.date() + Duration::days(30)));
        let reward = NewReward {
            name: Name::parse(name)?,
            kind: *kind,
            cost: Minutes::from_hours(*hours),
            stock: *stock,
            course_date,
            merchant: merchant.to_string(),
        };
        reward_ids.push(bank.add_reward(who, None, &reward)?.seq());
    }
    let mut cards = Vec::new();
    for n in 1..=volunteers {
        let form = VolunteerForm {
            card: CardNo::parse(&card(n))?,
            name: Name::parse(&name(&mut rng))?,
            phone: Phone::parse_optional(&phone(&mut rng))?,
            community: COMMUNITIES[rng.random_range(0..COMMUNITIES.len())].to_string(),
            registered_on: Some(Day::from_date(today.date() - Duration::days(rng.random_range(30..400)))),
            id_number: None,
        };
        bank.register_volunteer(who, None, &form)?;
        cards.push(form.card);
    }
    for _ in 0..volunteers * 6 {
        let card = cards[rng.random_range(0..cards.len())].clone();
        let deposit = Deposit {
            card,
            activity: activity_ids[rng.random_range(0..activity_ids.len())],
            minutes: Minutes::new(service_minutes(&mut rng)),
            served_on: Some(Day::from_date(today.date() - Duration::days(rng.random_range(0..90)))),
            note: String::new(),
        };
        bank.execute(who, &Op::Deposit(deposit), Mode::commit(None))?;
    }
    for card in cards.iter().step_by(3) {
        let r = Redemption { card: card.clone(), reward: reward_ids[1], qty: 1 };
        // Some volunteers cannot afford it yet: that is part of a realistic sample.
        match bank.execute(who, &Op::Redeem(r), Mode::commit(None)) {
            Ok(_) | Err(BankError::Rule(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
