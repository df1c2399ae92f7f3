//! CSV import of volunteers and of past entries (DESIGN §6). Every row is validated before
//! anything is written; a file with any bad row writes nothing. Rows are then applied in
//! timestamp order, in chunked transactions, each row tagged with (source, row id) so that a
//! re-run — after a crash or by mistake — adds nothing twice.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone};

use super::{Bank, BankError};
use crate::domain::{
    Activity, Actor, CardNo, Day, EventKind, IdNumber, ImportRef, Minutes, Name, NameKind, Phone, Reward,
    RewardKind, Timestamp, Volunteer,
};
use crate::store::Pending;

/// Rows per transaction: large enough that the flush cost is shared, small enough that one
/// transaction's write set stays a few megabytes.
/// Rows per transaction. sled transactions slow down sharply past a few thousand writes (one
/// epoch guard pins all garbage until commit), while a small one costs about what a batch does.
const CHUNK: usize = 256;
/// How many bad rows are listed; the rest are counted.
const MAX_LISTED: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}", describe_bad_rows(.listed, *.total))]
    BadRows { listed: Vec<RowError>, total: usize },
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(transparent)]
    Bank(#[from] BankError),
}

fn describe_bad_rows(listed: &[RowError], total: usize) -> String {
    let mut s = format!("{total} bad row(s); nothing was imported");
    for r in listed {
        s.push_str(&format!("\n  line {}: {}", r.line, r.reason));
    }
    if total > listed.len() {
        s.push_str(&format!("\n  … and {} more", total - listed.len()));
    }
    s
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub rows: usize,
    pub imported: usize,
    /// Rows that were already in the store (same content).
    pub already_present: usize,
    pub created_activities: usize,
    pub created_rewards: usize,
}

/// Collects bad rows: all are counted, the first `MAX_LISTED` are kept.
#[derive(Default)]
struct BadRows {
    listed: Vec<RowError>,
    total: usize,
}

impl BadRows {
    fn add(&mut self, line: u64, reason: impl Into<String>) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED {
            self.listed.push(RowError { line, reason: reason.into() });
        }
    }

    fn into_result(mut self) -> Result<(), ImportError> {
        if self.total == 0 {
            return Ok(());
        }
        self.listed.sort_by_key(|r| r.line);
        Err(ImportError::BadRows { listed: self.listed, total: self.total })
    }
}

/// Reads a file as text: UTF-8 (a BOM is dropped) or, failing that, GB18030 — a superset of
/// the GBK that Chinese spreadsheet programs write.
fn read_text(path: &Path) -> Result<String, ImportError> {
    let bytes =
        std::fs::read(path).map_err(|source| ImportError::Io { path: path.display().to_string(), source })?;
    let mut bytes = bytes;
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    let bytes = match String::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(e) => e.into_bytes(),
    };
    match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(&bytes) {
        Some(text) => Ok(text.into_owned()),
        None => {
            let mut bad = BadRows::default();
            bad.add(1, "the file is neither UTF-8 nor GBK/GB18030 text");
            bad.into_result().map(|_| String::new())
        }
    }
}

/// Column positions found by header name. Headers may be English or the Chinese a program
/// office would type.
struct Columns {
    index: HashMap<&'static str, usize>,
}

impl Columns {
    fn find(
        headers: &csv::StringRecord,
        wanted: &[(&'static str, &[&str])],
        required: &[&'static str],
    ) -> Result<Columns, String> {
        let mut index = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            let h = h.trim().trim_start_matches('\u{feff}').to_lowercase();
            for (name, aliases) in wanted {
                if (h == *name || aliases.contains(&h.as_str())) && !index.contains_key(name) {
                    index.insert(*name, i);
                }
            }
        }
        let missing: Vec<&str> = required.iter().copied().filter(|c| !index.contains_key(c)).collect();
        if !missing.is_empty() {
            return Err(format!(
                "missing column(s) {} — the first line must be a header row naming the columns",
                missing.join(", ")
            ));
        }
        Ok(Columns { index })
    }

    fn get<'r>(&self, record: &'r csv::StringRecord, name: &str) -> &'r str {
        self.index.get(name).and_then(|&i| record.get(i)).unwrap_or("").trim()
    }
}

const VOLUNTEER_COLUMNS: &[(&str, &[&str])] = &[
    ("card_no", &["card", "卡号", "志愿者卡号"]),
    ("name", &["姓名", "名字"]),
    ("phone", &["电话", "手机", "手机号", "联系电话"]),
    ("community", &["社区", "所属社区"]),
    ("registered_at", &["登记日期", "注册日期", "registered_on"]),
    ("id_number", &["身份证号", "身份证"]),
];

const ENTRY_COLUMNS: &[(&str, &[&str])] = &[
    ("id", &["编号", "序号", "流水号"]),
    ("timestamp", &["时间", "日期", "date", "time"]),
    ("card_no", &["card", "卡号", "志愿者卡号"]),
    ("kind", &["类型", "type"]),
    ("minutes", &["分钟", "时长(分钟)", "时长（分钟）"]),
    ("memo", &["备注", "活动/奖品", "项目"]),
];

/// Line numbers from byte offsets. (csv's own line count is off on CRLF files.) Offsets only
/// move forward, so counting is linear in the file size.
struct Lines<'t> {
    text: &'t [u8],
    offset: usize,
    line: u64,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Lines<'t> {
        Lines { text: text.as_bytes(), offset: 0, line: 1 }
    }

    fn at(&mut self, pos: Option<&csv::Position>) -> u64 {
        let Some(pos) = pos else { return 0 };
        let mut target = usize::try_from(pos.byte()).unwrap_or(usize::MAX).min(self.text.len());
        // On CRLF files csv reports a record as starting at the previous line's `\n`; a record
        // never starts with a line break, so step over any.
        while matches!(self.text.get(target), Some(b'\r' | b'\n')) {
            target += 1;
        }
        if target >= self.offset {
            self.line += self.text[self.offset..target].iter().filter(|&&b| b == b'\n').count() as u64;
            self.offset = target;
        }
        self.line
    }
}

fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(text.as_bytes())
}

/// `2025-03-01T09:30:00+08:00`, `2025-03-01 09:30[:00]`, `2025/03/01 09:30`, or a bare date
/// (midnight). Times without an offset are the counter's local time.
pub fn parse_timestamp(text: &str) -> Option<Timestamp> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(Timestamp::from_datetime(dt.to_utc()));
    }
    let naive =
        ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
            .or_else(|| {
                ["%Y-%m-%d", "%Y/%m/%d"]
                    .iter()
                    .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
            })?;
    Local.from_local_datetime(&naive).earliest().map(|dt| Timestamp::from_datetime(dt.to_utc()))
}

fn local_day(at: Timestamp) -> Day {
    Day::from_date(at.datetime().with_timezone(&Local).date_naive())
}

fn validate_source(source: &str) -> Result<(), BankError> {
    if source.is_empty() || source.len() > 64 || source.contains('\0') {
        return Err(crate::domain::DomainError::BadText(source.chars().take(20).collect()).into());
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    Deposit,
    Redeem,
}

/// One validated entry row, kept small: a million of them must fit comfortably in memory.
struct EntryRow {
    line: u32,
    id: (u32, u16),
    kind: EntryKind,
    memo: u32,
    volunteer: u64,
    at: Timestamp,
    minutes: Minutes,
}

impl Bank {
    /// Imports volunteers: `card_no,name,phone,community[,registered_at][,id_number]`.
    pub fn import_volunteers(
        &self,
        who: &Actor,
        path: &Path,
        source: &str,
    ) -> Result<ImportSummary, ImportError> {
        validate_source(source)?;
        let text = read_text(path)?;
        let previous = PreviousImports::load(self, source)?;
        let mut reader = csv_reader(&text);
        let mut lines = Lines::new(&text);
        let mut bad = BadRows::default();
        let headers = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                bad.add(1, format!("not readable as CSV: {e}"));
                return bad.into_result().map(|_| ImportSummary::default());
            }
        };
        let columns =
            match Columns::find(&headers, VOLUNTEER_COLUMNS, &["card_no", "name", "phone", "community"]) {
                Ok(c) => c,
                Err(reason) => {
                    bad.add(1, reason);
                    return bad.into_result().map(|_| ImportSummary::default());
                }
            };
        let today = self.today();
        let mut summary = ImportSummary::default();
        let mut new: Vec<(u64, Volunteer)> = Vec::new();
        let mut cards_in_file: HashMap<CardNo, u64> = HashMap::new();
        for record in reader.records() {
            summary.rows += 1;
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = lines.at(e.position());
                    bad.add(line, format!("not readable as CSV: {e}"));
                    continue;
                }
            };
            let line = lines.at(record.position());
            let parsed = (|| -> Result<Volunteer, String> {
                let card = CardNo::parse(columns.get(&record, "card_no")).map_err(|e| e.to_string())?;
                let name = Name::parse(columns.get(&record, "name")).map_err(|e| format!("name: {e}"))?;
                let phone =
                    Phone::parse_optional(columns.get(&record, "phone")).map_err(|e| e.to_string())?;
                let community = crate::domain::parse_text(
                    columns.get(&record, "community"),
                    crate::domain::MAX_NAME_CHARS,
                )
                .map_err(|e| format!("community: {e}"))?;
                let registered = columns.get(&record, "registered_at");
                let registered_on = if registered.is_empty() {
                    today
                } else {
                    parse_timestamp(registered)
                        .map(local_day)
                        .ok_or_else(|| format!("registered_at {registered:?} is not a date"))?
                };
                let id_number =
                    IdNumber::parse_optional(columns.get(&record, "id_number")).map_err(|e| e.to_string())?;
                Ok(Volunteer {
                    card,
                    name,
                    phone,
                    community,
                    registered_on,
                    id_number,
                    active: true,
                    pin_hash: None,
                })
            })();
            let v = match parsed {
                Ok(v) => v,
                Err(reason) => {
                    bad.add(line, reason);
                    continue;
                }
            };
            if let Some(first) = cards_in_file.insert(v.card.clone(), line) {
                bad.add(line, format!("card {} already appears on line {first}", v.card));
                continue;
            }
            if previous.find(self, &format!("volunteer:{}", v.card))?.is_some() {
                summary.already_present += 1;
                continue;
            }
            match self.store.volunteer_id_by_card(&v.card).map_err(BankError::from)? {
                None => new.push((line, v)),
                Some(id) => {
                    let existing = self.volunteer(id)?.volunteer;
                    let same = existing.name == v.name
                        && existing.phone == v.phone
                        && existing.community == v.community
                        && existing.id_number == v.id_number
                        && (registered_given(&columns, &record).is_none()
                            || existing.registered_on == v.registered_on);
                    if same {
                        summary.already_present += 1;
                    } else {
                        bad.add(
                            line,
                            format!(
                                "card {} is already registered with different details (use `volunteer edit`)",
                                v.card
                            ),
                        );
                    }
                }
            }
        }
        bad.into_result()?;
        for chunk in new.chunks(CHUNK) {
            let pending: Vec<Pending> = chunk
                .iter()
                .map(|(_, v)| Pending {
                    kind: EventKind::VolunteerRegistered(v.clone()),
                    import: Some(ImportRef {
                        source: source.to_string(),
                        row_id: format!("volunteer:{}", v.card),
                        occurred: Timestamp::from_datetime(
                            v.registered_on.date().and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
                        ),
                    }),
                })
                .collect();
            self.store.commit(&self.context(who), None, |_| Ok(pending.clone())).map_err(BankError::from)?;
            summary.imported += chunk.len();
        }
        Ok(summary)
    }

    /// Imports past entries: `id,timestamp,card_no,kind,minutes,memo`. `progress` is called
    /// with (rows applied, rows to apply) after each chunk.
    pub fn import_entries(
        &self,
        who: &Actor,
        path: &Path,
        source: &str,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ImportSummary, ImportError> {
        validate_source(source)?;
        let text = read_text(path)?;
        let previous = PreviousImports::load(self, source)?;
        let mut bad = BadRows::default();
        let mut summary = ImportSummary::default();
        let mut reader = csv_reader(&text);
        let mut lines = Lines::new(&text);
        let headers = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                bad.add(1, format!("not readable as CSV: {e}"));
                return bad.into_result().map(|_| summary);
            }
        };
        let columns = match Columns::find(
            &headers,
            ENTRY_COLUMNS,
            &["id", "timestamp", "card_no", "kind", "minutes", "memo"],
        ) {
            Ok(c) => c,
            Err(reason) => {
                bad.add(1, reason);
                return bad.into_result().map(|_| summary);
            }
        };
        let cap = self.store.settings().map_err(BankError::from)?.entry_cap;

        // Pass 1: parse and validate each row on its own.
        let mut ids = String::new();
        let mut memos: Vec<String> = Vec::new();
        let mut memo_index: HashMap<String, u32> = HashMap::new();
        let mut cards: HashMap<String, Option<u64>> = HashMap::new();
        let mut rows: Vec<EntryRow> = Vec::new();
        for record in reader.records() {
            summary.rows += 1;
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = lines.at(e.position());
                    bad.add(line, format!("not readable as CSV: {e}"));
                    continue;
                }
            };
            let line = lines.at(record.position());
            let parsed = (|| -> Result<EntryRow, String> {
                let id = columns.get(&record, "id");
                if id.is_empty() || id.len() > 64 || id.chars().any(char::is_control) {
                    return Err("id must be 1–64 printable characters".into());
                }
                let ts = columns.get(&record, "timestamp");
                let at =
                    parse_timestamp(ts).ok_or_else(|| format!("timestamp {ts:?} is not a date or time"))?;
                let card_text = columns.get(&record, "card_no");
                let card = CardNo::parse(card_text).map_err(|e| e.to_string())?;
                let volunteer = match cards.get(card.as_str()) {
                    Some(v) => *v,
                    None => {
                        let v = self.store.volunteer_id_by_card(&card).map_err(|e| e.to_string())?;
                        cards.insert(card.as_str().to_string(), v);
                        v
                    }
                }
                .ok_or_else(|| format!("no volunteer with card {card}"))?;
                let kind = match columns.get(&record, "kind").to_lowercase().as_str() {
                    "deposit" | "存入" | "存储" | "服务" => EntryKind::Deposit,
                    "redeem" | "兑换" | "支取" => EntryKind::Redeem,
                    other => return Err(format!("kind {other:?} must be deposit or redeem")),
                };
                let minutes_text = columns.get(&record, "minutes");
                let minutes: u32 = minutes_text
                    .parse()
                    .map_err(|_| format!("minutes {minutes_text:?} must be a whole number greater than 0"))?;
                let minutes = Minutes::new(minutes)
                    .entry(if kind == EntryKind::Deposit { cap } else { Minutes::new(u32::MAX) })
                    .map_err(|e| e.to_string())?;
                let memo = Name::parse(columns.get(&record, "memo")).map_err(|e| format!("memo: {e}"))?;
                let key = format!("{}{}", if kind == EntryKind::Deposit { 'a' } else { 'r' }, memo);
                let next = u32::try_from(memos.len()).map_err(|_| "too many names".to_string())?;
                let memo = *memo_index.entry(key).or_insert_with(|| {
                    memos.push(memo.to_string());
                    next
                });
                let offset = u32::try_from(ids.len()).map_err(|_| "the file is too large".to_string())?;
                ids.push_str(id);
                Ok(EntryRow {
                    line: line as u32,
                    id: (offset, id.len() as u16),
                    kind,
                    memo,
                    volunteer,
                    at,
                    minutes,
                })
            })();
            match parsed {
                Ok(row) => rows.push(row),
                Err(reason) => bad.add(line, reason),
            }
        }
        drop(text);
        drop(cards);
        let id_of = |row: &EntryRow| &ids[row.id.0 as usize..row.id.0 as usize + row.id.1 as usize];

        // Pass 2: ids unique within the file.
        let mut by_id: Vec<u32> = (0..rows.len() as u32).collect();
        by_id.sort_unstable_by(|&a, &b| id_of(&rows[a as usize]).cmp(id_of(&rows[b as usize])));
        for pair in by_id.windows(2) {
            let (a, b) = (&rows[pair[0] as usize], &rows[pair[1] as usize]);
            if id_of(a) == id_of(b) {
                let (first, second) = if a.line < b.line { (a, b) } else { (b, a) };
                bad.add(
                    u64::from(second.line),
                    format!("id {:?} already appears on line {}", id_of(second), first.line),
                );
            }
        }
        drop(by_id);

        // Pass 3: rows already imported are skipped if identical, refused if not.
        let mut keep = vec![true; rows.len()];
        for (i, row) in rows.iter().enumerate() {
            if let Some(seq) = previous.find(self, id_of(row))? {
                keep[i] = false;
                if self.imported_row_matches(seq, row, &memos)? {
                    summary.already_present += 1;
                } else {
                    bad.add(
                        u64::from(row.line),
                        format!(
                            "id {:?} was imported before with different content (entry {seq})",
                            id_of(row)
                        ),
                    );
                }
            }
        }

        // Pass 4: in timestamp order, no redemption may overdraw or exceed stock.
        let mut order: Vec<u32> = (0..rows.len() as u32).filter(|&i| keep[i as usize]).collect();
        order.sort_by_key(|&i| (rows[i as usize].at, rows[i as usize].line));
        drop(keep);
        let mut balances: HashMap<u64, u64> = HashMap::new();
        let mut stocks: HashMap<u64, Option<u32>> = HashMap::new();
        for &i in &order {
            let row = &rows[i as usize];
            let balance = match balances.get_mut(&row.volunteer) {
                Some(b) => b,
                None => {
                    let b = self.store.account(row.volunteer).map_err(BankError::from)?.balance();
                    balances.entry(row.volunteer).or_insert(b)
                }
            };
            let m = u64::from(row.minutes.get());
            match row.kind {
                EntryKind::Deposit => *balance += m,
                EntryKind::Redeem => {
                    if *balance < m {
                        bad.add(
                            u64::from(row.line),
                            format!(
                                "redeeming {} would overdraw the balance of {}",
                                row.minutes,
                                Minutes::new(*balance as u32)
                            ),
                        );
                        continue;
                    }
                    *balance -= m;
                    if let Some(id) = self
                        .store
                        .name_id(NameKind::Reward, &memos[row.memo as usize])
                        .map_err(BankError::from)?
                    {
                        let stock = match stocks.get_mut(&id) {
                            Some(s) => s,
                            None => {
                                let limited = self
                                    .store
                                    .reward(id)
                                    .map_err(BankError::from)?
                                    .is_some_and(|r| r.limited);
                                let s = if limited {
                                    Some(self.store.stock(id).map_err(BankError::from)?)
                                } else {
                                    None
                                };
                                stocks.entry(id).or_insert(s)
                            }
                        };
                        if let Some(left) = stock {
                            if *left == 0 {
                                bad.add(
                                    u64::from(row.line),
                                    format!("{} is out of stock", memos[row.memo as usize]),
                                );
                                continue;
                            }
                            *left -= 1;
                        }
                    }
                }
            }
        }
        drop(balances);
        bad.into_result()?;

        // Apply: first the catalog entries the file names but the store lacks, then the rows.
        let catalog = self.create_missing_catalog(who, &rows, &order, &memos, &mut summary)?;
        let total = order.len();
        progress(0, total);
        for chunk in order.chunks(CHUNK) {
            let pending: Vec<Pending> = chunk
                .iter()
                .map(|&i| {
                    let row = &rows[i as usize];
                    let target = catalog[row.memo as usize];
                    let kind = match row.kind {
                        EntryKind::Deposit => EventKind::Deposited {
                            volunteer: row.volunteer,
                            activity: target,
                            minutes: row.minutes,
                            served_on: local_day(row.at),
                            note: String::new(),
                        },
                        EntryKind::Redeem => EventKind::Redeemed {
                            volunteer: row.volunteer,
                            reward: target,
                            qty: 1,
                            minutes: row.minutes,
                        },
                    };
                    Pending {
                        kind,
                        import: Some(ImportRef {
                            source: source.to_string(),
                            row_id: id_of(row).to_string(),
                            occurred: row.at,
                        }),
                    }
                })
                .collect();
            self.store.commit(&self.context(who), None, |_| Ok(pending.clone())).map_err(BankError::from)?;
            summary.imported += chunk.len();
            progress(summary.imported, total);
        }
        Ok(summary)
    }

    /// Creates, in one transaction, the activities and rewards that rows name but the store
    /// lacks. Rewards created this way are historical: retired, unlimited, priced at the first
    /// redemption's minutes. Returns the catalog id for each memo index.
    fn create_missing_catalog(
        &self,
        who: &Actor,
        rows: &[EntryRow],
        order: &[u32],
        memos: &[String],
        summary: &mut ImportSummary,
    ) -> Result<Vec<u64>, ImportError> {
        let mut first_use: Vec<Option<&EntryRow>> = vec![None; memos.len()];
        for &i in order {
            let row = &rows[i as usize];
            first_use[row.memo as usize].get_or_insert(row);
        }
        let mut ids = vec![0u64; memos.len()];
        let mut pending = Vec::new();
        let mut missing = Vec::new();
        for (m, row) in first_use.iter().enumerate() {
            let Some(row) = row else { continue };
            let (kind, name_kind) = match row.kind {
                EntryKind::Deposit => ("activity", NameKind::Activity),
                EntryKind::Redeem => ("reward", NameKind::Reward),
            };
            if let Some(id) = self.store.name_id(name_kind, &memos[m]).map_err(BankError::from)? {
                ids[m] = id;
                continue;
            }
            let name = Name::parse(&memos[m]).map_err(BankError::from)?;
            let event = if kind == "activity" {
                summary.created_activities += 1;
                EventKind::ActivityAdded(Activity { name, category: String::new() })
            } else {
                summary.created_rewards += 1;
                EventKind::RewardAdded {
                    reward: Reward {
                        name,
                        kind: RewardKind::Gift,
                        cost: row.minutes,
                        limited: false,
                        course_date: None,
                        merchant: String::new(),
                        active: false,
                    },
                    stock: 0,
                }
            };
            pending.push(Pending::from(event));
            missing.push(m);
        }
        if !pending.is_empty() {
            let committed = self
                .store
                .commit(&self.context(who), None, |_| Ok(pending.clone()))
                .map_err(BankError::from)?;
            for (m, event) in missing.into_iter().zip(committed.events) {
                ids[m] = event.seq();
            }
        }
        Ok(ids)
    }

    fn imported_row_matches(&self, seq: u64, row: &EntryRow, memos: &[String]) -> Result<bool, BankError> {
        let event = self.event(seq)?;
        let occurred = match &event.body.origin {
            crate::domain::Origin::Import(r) => r.occurred,
            _ => return Ok(false),
        };
        let memo = &memos[row.memo as usize];
        Ok(occurred == row.at
            && match event.kind() {
                EventKind::Deposited { volunteer, activity, minutes, .. } => {
                    row.kind == EntryKind::Deposit
                        && *volunteer == row.volunteer
                        && *minutes == row.minutes
                        && self.store.name_id(NameKind::Activity, memo)? == Some(*activity)
                }
                EventKind::Redeemed { volunteer, reward, minutes, .. } => {
                    row.kind == EntryKind::Redeem
                        && *volunteer == row.volunteer
                        && *minutes == row.minutes
                        && self.store.name_id(NameKind::Reward, memo)? == Some(*reward)
                }
                _ => false,
            })
    }
}

/// Rows of one source already in the journal, found by one scan of the journal (only when the
/// source was imported before). Kept as sorted (hash of row id, seq) pairs: 16 bytes a row.
struct PreviousImports {
    source: String,
    rows: Vec<(u64, u64)>,
}

fn row_hash(row_id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    row_id.hash(&mut h);
    h.finish()
}

impl PreviousImports {
    fn load(bank: &Bank, source: &str) -> Result<PreviousImports, BankError> {
        let mut rows = Vec::new();
        if bank.store.import_sources()?.iter().any(|s| s == source) {
            for event in bank.store.journal_from(1) {
                let event = event?;
                if let crate::domain::Origin::Import(r) = &event.body.origin
                    && r.source == source
                {
                    rows.push((row_hash(&r.row_id), event.seq()));
                }
            }
            rows.sort_unstable();
        }
        Ok(PreviousImports { source: source.to_string(), rows })
    }

    /// The seq under which this source's `row_id` was imported, if it was.
    fn find(&self, bank: &Bank, row_id: &str) -> Result<Option<u64>, BankError> {
        let h = row_hash(row_id);
        let start = self.rows.partition_point(|(x, _)| *x < h);
        for &(_, seq) in self.rows[start..].iter().take_while(|(x, _)| *x == h) {
            // Hashes can collide: confirm against the event itself.
            if let crate::domain::Origin::Import(r) = &bank.event(seq)?.body.origin
                && r.source == self.source
                && r.row_id == row_id
            {
                return Ok(Some(seq));
            }
        }
        Ok(None)
    }
}

fn registered_given(columns: &Columns, record: &csv::StringRecord) -> Option<()> {
    (!columns.get(record, "registered_at").is_empty()).then_some(())
}
