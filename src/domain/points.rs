//! 文明积分 — residents' civic points, the bank's second unit (ARCHITECTURE.md §9). Points are
//! whole numbers of their own type, [`Points`], so no sum of hours can take one by mistake: an
//! account of points sits beside the account of minutes, never inside it.
//!
//! A credit cites an item of the **quantification standard** (积分量化标准) in force on its day;
//! a **coupon** (积分券) is a numbered slip an admin issued in a batch, credited once, at the
//! counter that issued it; credits the standard flags **wait for review** (a verifier, then an
//! approver); points are spent on catalog items priced in points.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::DomainError;
use super::entities::{RewardId, VolunteerId};
use super::types::{Day, MAX_NAME_CHARS, Name, Timestamp, is_hidden_or_control};

/// A whole number of civic points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Points(u32);

/// The most one entry, one item or one coupon may be worth.
pub const MAX_POINTS: u32 = 100_000;

impl Points {
    pub const fn new(points: u32) -> Points {
        Points(points)
    }

    pub const fn get(self) -> u32 {
        self.0
    }

    /// `12`, `12分`, `12 积分`, `12 pts`: a whole number from 1 to 100,000.
    pub fn parse(text: &str) -> Result<Points, DomainError> {
        let t = text.trim();
        let digits = t.trim_end_matches(|c: char| !c.is_ascii_digit()).trim_end();
        let unit = t[digits.len()..].trim();
        let unit_ok = ["", "分", "积分", "pts", "pt", "points", "point"].contains(&unit);
        match digits.parse::<u32>() {
            Ok(n) if unit_ok && (1..=MAX_POINTS).contains(&n) => Ok(Points(n)),
            _ => Err(DomainError::Points(t.chars().take(20).collect())),
        }
    }

    pub fn checked_mul(self, factor: u32) -> Option<Points> {
        self.0.checked_mul(factor).filter(|&n| n <= MAX_POINTS * 1000).map(Points)
    }
}

/// `12 pts` (the English messages' form; screens word the unit from i18n).
impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} pts", self.0)
    }
}

/// One person's points, as running totals; the balance is derived and never below zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PointsAccount {
    /// What came in: credits (items of the standard, coupons, approved reviews), net of
    /// reversals, and grants from the card's city pool.
    pub credited: u64,
    /// What went out: catalog items, net of reversals, and points handed to the city pool.
    pub spent: u64,
}

impl PointsAccount {
    pub fn checked_balance(&self) -> Option<u64> {
        self.credited.checked_sub(self.spent)
    }

    pub fn balance(&self) -> u64 {
        self.checked_balance().unwrap_or(0)
    }
}

/// The quantification standard (积分量化标准) as an admin published it: what each kind of civic
/// behaviour is worth, from `effective` on. Each publication is a version, known by the seq of
/// its journal entry; the one in force on a day is the last published with `effective` on or
/// before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standard {
    pub effective: Day,
    /// A credit worth more than this waits for review whatever its item says.
    pub review_over: Option<Points>,
    pub items: Vec<StandardItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandardItem {
    /// Short code staff type and coupons cite: `HJ-01`.
    pub code: String,
    /// 环境卫生, 门前三包, 安全秩序, 志愿服务, 邻里互助 …
    pub category: String,
    pub name: Name,
    /// Worth of one occurrence; a credit is a whole multiple of it.
    pub points: Points,
    pub day_cap: Option<Points>,
    pub month_cap: Option<Points>,
    /// Credits of this item wait for a verifier and an approver.
    pub review: bool,
}

/// The most items one standard lists.
pub const MAX_STANDARD_ITEMS: usize = 500;

impl Standard {
    pub fn item(&self, code: &str) -> Option<&StandardItem> {
        self.items.iter().find(|i| i.code.eq_ignore_ascii_case(code))
    }

    /// Whether a credit of `points` for `item` waits for review.
    pub fn needs_review(&self, item: &StandardItem, points: Points) -> bool {
        item.review || self.review_over.is_some_and(|over| points > over)
    }

    /// What a published standard must be: at least one item, codes unique, every value in range.
    pub fn validate(&self) -> Result<(), DomainError> {
        let bad = |why: &str| Err(DomainError::Standard(why.to_string()));
        if self.items.is_empty() || self.items.len() > MAX_STANDARD_ITEMS {
            return bad("a standard lists 1–500 items");
        }
        for (i, item) in self.items.iter().enumerate() {
            item_code(&item.code)?;
            if self.items[..i].iter().any(|o| o.code.eq_ignore_ascii_case(&item.code)) {
                return bad(&format!("item code {} is listed twice", item.code));
            }
            let text_ok = |t: &str| {
                !t.trim().is_empty()
                    && t.chars().count() <= MAX_NAME_CHARS
                    && !t.chars().any(is_hidden_or_control)
            };
            if !text_ok(&item.category) {
                return bad(&format!("item {}: the category must be 1–64 printable characters", item.code));
            }
            let points = item.points.get();
            if points == 0 || points > MAX_POINTS {
                return bad(&format!("item {}: points must be 1–{MAX_POINTS}", item.code));
            }
            for cap in [item.day_cap, item.month_cap].into_iter().flatten() {
                if cap < item.points {
                    return bad(&format!("item {}: a cap below the item's points allows none", item.code));
                }
            }
        }
        Ok(())
    }
}

/// An item code: 1–16 ASCII letters, digits or `-`, stored upper-case.
pub fn item_code(text: &str) -> Result<String, DomainError> {
    let t = text.trim();
    let ok = !t.is_empty() && t.len() <= 16 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !ok {
        return Err(DomainError::Standard(format!(
            "item code {:?} must be 1–16 letters, digits or '-'",
            t.chars().take(20).collect::<String>()
        )));
    }
    Ok(t.to_ascii_uppercase())
}

/// The version of the standard in force on `day` among `versions` (seq, effective day), if any:
/// the latest effective on or before it, the later publication of two on one day.
pub fn standard_in_force(versions: &[(u64, Day)], day: Day) -> Option<u64> {
    versions
        .iter()
        .filter(|(_, effective)| *effective <= day)
        .max_by_key(|(seq, effective)| (*effective, *seq))
        .map(|(seq, _)| *seq)
}

/// A batch of coupons as issued. Its coupons are numbered 1..=`count` and taken only at the
/// counter that issued them (`counter`, its code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponBatch {
    pub counter: String,
    pub item: String,
    pub value: Points,
    pub count: u32,
    /// The last day a coupon of the batch is taken.
    pub expires: Day,
    /// The supervisor or post the batch was handed to.
    pub holder: String,
    pub issued: Timestamp,
    /// Ranges voided (lost, spoilt), in the order they were.
    pub voided: Vec<VoidedRange>,
}

/// The most coupons one batch holds.
pub const MAX_BATCH_COUPONS: u32 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoidedRange {
    pub first: u32,
    pub last: u32,
    pub reason: String,
    /// The entry that voided them.
    pub seq: u64,
}

impl CouponBatch {
    pub fn voided(&self, serial: u32) -> Option<&VoidedRange> {
        self.voided.iter().find(|r| (r.first..=r.last).contains(&serial))
    }

    /// How many of its coupons were voided.
    pub fn voided_count(&self) -> u32 {
        self.voided.iter().map(|r| r.last - r.first + 1).sum()
    }

    /// Coupons still to be taken on `today`, `used` of them credited: none once it expired.
    pub fn outstanding(&self, used: u32, today: Day) -> u32 {
        if self.expires < today {
            0
        } else {
            self.count.saturating_sub(used).saturating_sub(self.voided_count())
        }
    }
}

/// One coupon, as an entry cites it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CouponRef {
    pub batch: u32,
    pub serial: u32,
}

/// A coupon's number as printed: `<counter>.<batch>.<serial>.<check>`, e.g. `JH-A-01.3.42.K7Q2X`.
/// The check code is derived from the counter's coupon key ([`coupon_check`]): a number guessed
/// or altered is refused before anything is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponNumber {
    pub counter: String,
    pub coupon: CouponRef,
    pub check: String,
}

/// Letters of the check code: Crockford's base 32 (no I, L, O, U — nothing read as another).
const CHECK_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CHECK_LEN: usize = 5;

/// The check code of a coupon: 25 bits of a keyed blake3 over the counter, batch and serial, so
/// one guess in 33 million passes.
pub fn coupon_check(key: &[u8; 32], counter: &str, coupon: CouponRef) -> String {
    let message = format!("{counter}\u{0}{}\u{0}{}", coupon.batch, coupon.serial);
    let hash = blake3::keyed_hash(key, message.as_bytes());
    let mut bits = u64::from_be_bytes(hash.as_bytes()[..8].try_into().unwrap_or([0; 8]));
    let mut out = String::with_capacity(CHECK_LEN);
    for _ in 0..CHECK_LEN {
        out.push(char::from(CHECK_ALPHABET[(bits >> 59) as usize]));
        bits <<= 5;
    }
    out
}

impl CouponNumber {
    pub fn new(key: &[u8; 32], counter: &str, coupon: CouponRef) -> CouponNumber {
        CouponNumber { counter: counter.to_string(), coupon, check: coupon_check(key, counter, coupon) }
    }

    /// Reads a number as typed or scanned (case and surrounding spaces do not matter).
    pub fn parse(text: &str) -> Result<CouponNumber, DomainError> {
        let t = text.trim().to_ascii_uppercase();
        let bad = || DomainError::CouponNumber(t.chars().take(40).collect());
        let mut parts = t.rsplitn(4, '.');
        let check = parts.next().ok_or_else(bad)?.to_string();
        let serial = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let batch = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let counter = parts.next().ok_or_else(bad)?.to_string();
        let counter_ok = !counter.is_empty()
            && counter.len() <= 64
            && counter.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !counter_ok || check.len() != CHECK_LEN || batch == 0 || serial == 0 {
            return Err(bad());
        }
        Ok(CouponNumber { counter, coupon: CouponRef { batch, serial }, check })
    }

    /// Whether the check code is the one `key` gives. (A plain comparison: the only way to try
    /// a number is to hand it over a counter, where no one can time a comparison.)
    pub fn verifies(&self, key: &[u8; 32]) -> bool {
        coupon_check(key, &self.counter, self.coupon) == self.check
    }
}

impl fmt::Display for CouponNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}.{}", self.counter, self.coupon.batch, self.coupon.serial, self.check)
    }
}

/// Where a credit waiting for review stands. The verifier and the approver are two people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewStage {
    /// Waits for a verifier (社工).
    Waiting,
    /// Verified; waits for an approver (社区党组织). `by`: who verified, as the journal names
    /// actors (`Actor`'s display), so the approver can be told apart.
    Verified {
        by: String,
    },
    Approved,
    Rejected,
}

/// A review step, as journalled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Verdict {
    Verified,
    Approved,
    Rejected,
}

/// A reward's price in points, and whether it is still offered for hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsPrice {
    pub points: Option<Points>,
    pub hours: bool,
}

/// The keys of the points' records, as the ledger reads and writes them (`LedgerStore::points`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PointsKey {
    Account(VolunteerId),
    /// A person registered as a resident (points only), with their phone's last digits.
    Resident(VolunteerId),
    /// Every published version: (seq, effective day).
    Versions,
    Standard(u64),
    /// The highest batch number issued.
    LastBatch,
    Batch(u32),
    /// The entry that credited a coupon.
    CouponUse(u32, u32),
    /// Points credited for an item to a person on a day (`D`) or in a month (`M`, year × 12 + month).
    DayTotal(VolunteerId, String, i32),
    MonthTotal(VolunteerId, String, i32),
    /// A credit waiting for (or through) review, by its seq.
    Review(u64),
    Price(RewardId),
    /// The entry that journalled a grant from the city pool, by the grant's id.
    Grant(String),
    /// Whether the scheme is kept to this counter's community (absent: open to the city).
    KeptLocal,
}

/// The first byte of each kind of [`PointsKey`]: a scan of one kind reads only its records.
pub mod tag {
    pub const ACCOUNT: u8 = b'A';
    pub const RESIDENT: u8 = b'P';
    pub const VERSIONS: u8 = b'V';
    pub const STANDARD: u8 = b'S';
    pub const LAST_BATCH: u8 = b'L';
    pub const BATCH: u8 = b'B';
    pub const COUPON_USE: u8 = b'U';
    pub const DAY_TOTAL: u8 = b'D';
    pub const MONTH_TOTAL: u8 = b'M';
    pub const REVIEW: u8 = b'R';
    pub const PRICE: u8 = b'C';
    pub const GRANT: u8 = b'G';
    pub const KEPT_LOCAL: u8 = b'K';
}

impl PointsKey {
    /// Big-endian bytes that sort records of one kind together.
    pub fn bytes(&self) -> Vec<u8> {
        let tagged = |tag: u8, id: u64| [&[tag][..], &id.to_be_bytes()].concat();
        let total = |tag: u8, person: u64, item: &str, period: i32| {
            [&[tag][..], &person.to_be_bytes(), &period.to_be_bytes(), item.as_bytes()].concat()
        };
        match self {
            PointsKey::Account(id) => tagged(tag::ACCOUNT, *id),
            PointsKey::Resident(id) => tagged(tag::RESIDENT, *id),
            PointsKey::Versions => vec![tag::VERSIONS],
            PointsKey::Standard(seq) => tagged(tag::STANDARD, *seq),
            PointsKey::LastBatch => vec![tag::LAST_BATCH],
            PointsKey::Batch(b) => tagged(tag::BATCH, u64::from(*b)),
            PointsKey::CouponUse(b, s) => tagged(tag::COUPON_USE, (u64::from(*b) << 32) | u64::from(*s)),
            PointsKey::DayTotal(p, item, day) => total(tag::DAY_TOTAL, *p, item, *day),
            PointsKey::MonthTotal(p, item, month) => total(tag::MONTH_TOTAL, *p, item, *month),
            PointsKey::Review(seq) => tagged(tag::REVIEW, *seq),
            PointsKey::Price(r) => tagged(tag::PRICE, *r),
            PointsKey::Grant(id) => [&[tag::GRANT][..], id.as_bytes()].concat(),
            PointsKey::KeptLocal => vec![tag::KEPT_LOCAL],
        }
    }

    /// The number a key's bytes carry after their tag: the id or seq of an account, resident,
    /// version, batch, review or price (a coupon use's is batch << 32 | serial; a period
    /// total's, its person).
    pub fn id_in(bytes: &[u8]) -> Option<u64> {
        bytes.get(1..9).and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_be_bytes)
    }
}

/// The values of the points' records, one variant per kind of key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PointsRecord {
    Account(PointsAccount),
    Resident { phone_tail: Option<String> },
    Versions(Vec<(u64, Day)>),
    Standard(Standard),
    Number(u64),
    Batch(CouponBatch),
    Total(u32),
    Review(ReviewStage),
    Price(PointsPrice),
}

/// The month key of a day: year × 12 + month (0-based).
pub fn month_of(day: Day) -> i32 {
    use chrono::Datelike;
    let d = day.date();
    d.year() * 12 + d.month0() as i32
}

/// A phone tail as residents give it: the last 4 digits.
pub fn phone_tail(text: &str) -> Result<Option<String>, DomainError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.len() == 4 && t.chars().all(|c| c.is_ascii_digit()) {
        Ok(Some(t.to_string()))
    } else {
        Err(DomainError::PhoneTail(t.chars().take(20).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_parse_whole_numbers_with_or_without_a_unit() {
        assert_eq!(Points::parse("12").unwrap(), Points(12));
        assert_eq!(Points::parse(" 12分 ").unwrap(), Points(12));
        assert_eq!(Points::parse("5 pts").unwrap(), Points(5));
        for bad in ["0", "1.5", "-3", "12h", "", "100001", "分"] {
            assert!(Points::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_coupon_number_reads_back_and_only_its_key_verifies_it() {
        let key = [7u8; 32];
        let n = CouponNumber::new(&key, "JH-A-01", CouponRef { batch: 3, serial: 42 });
        let text = n.to_string();
        assert!(text.starts_with("JH-A-01.3.42."), "{text}");
        let back = CouponNumber::parse(&text.to_lowercase()).unwrap();
        assert_eq!(back, n);
        assert!(back.verifies(&key));
        assert!(!back.verifies(&[8u8; 32]));
        let other = CouponNumber { coupon: CouponRef { batch: 3, serial: 43 }, ..n.clone() };
        assert!(!other.verifies(&key), "the check code binds the serial");
        for bad in ["JH-A-01.3.42", "JH-A-01.0.1.ABCDE", "3.42.ABCDE", "JH.3.x.ABCDE", "JH.3.4.ABC"] {
            assert!(CouponNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_standard_in_force_is_the_latest_effective_by_the_day() {
        let d = |n| Day::from_date(chrono::NaiveDate::from_ymd_opt(2026, 12, n).unwrap());
        let versions = [(10, d(1)), (20, d(10)), (30, d(5)), (40, d(10))];
        assert_eq!(standard_in_force(&versions, d(1)), Some(10));
        assert_eq!(standard_in_force(&versions, d(7)), Some(30));
        assert_eq!(standard_in_force(&versions, d(12)), Some(40));
        assert_eq!(
            standard_in_force(
                &versions,
                Day::from_date(chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap())
            ),
            None
        );
    }
}
