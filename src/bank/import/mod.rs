//! CSV import of volunteers and of past entries (ARCHITECTURE.md §6). Every row is validated before
//! anything is written; a file with any bad row writes nothing. Rows are then applied in
//! timestamp order, in chunked transactions, each row tagged with (source, row id) so that a
//! re-run — after a crash or by mistake — adds nothing twice.

use std::collections::HashMap;

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone};

use super::{Bank, BankError};
use crate::domain::Timestamp;

mod entries;
mod problem;
mod text;
mod volunteers;

pub use problem::{RowProblem, TextColumn};
use text::{CsvRows, open_text};

/// Rows per transaction. sled transactions slow down sharply past a few thousand writes (one
/// epoch guard pins all garbage until commit), while a small one costs about what a batch does.
pub(super) const CHUNK: usize = 256;
/// How many bad rows are listed; the rest are counted.
const MAX_LISTED: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub reason: RowProblem,
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
pub(super) struct BadRows {
    listed: Vec<RowError>,
    total: usize,
}

impl BadRows {
    pub(super) fn add(&mut self, line: u64, reason: RowProblem) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED {
            self.listed.push(RowError { line, reason });
        }
    }

    pub(super) fn into_result(mut self) -> Result<(), ImportError> {
        if self.total == 0 {
            return Ok(());
        }
        self.listed.sort_by_key(|r| r.line);
        Err(ImportError::BadRows { listed: self.listed, total: self.total })
    }
}

/// Column positions found by header name. Headers may be English or the Chinese a program
/// office would type.
pub(super) struct Columns {
    index: HashMap<&'static str, usize>,
}

impl Columns {
    pub(super) fn find(
        headers: &csv::StringRecord,
        wanted: &[(&'static str, &[&str])],
        required: &[&'static str],
    ) -> Result<Columns, RowProblem> {
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
            return Err(RowProblem::MissingColumns(missing.join(", ")));
        }
        Ok(Columns { index })
    }

    pub(super) fn get<'r>(&self, record: &'r csv::StringRecord, name: &str) -> &'r str {
        self.index.get(name).and_then(|&i| record.get(i)).unwrap_or("").trim()
    }
}

pub(super) const VOLUNTEER_COLUMNS: &[(&str, &[&str])] = &[
    ("card_no", &["card", "卡号", "志愿者卡号"]),
    ("name", &["姓名", "名字"]),
    ("phone", &["电话", "手机", "手机号", "联系电话"]),
    ("community", &["社区", "所属社区"]),
    ("registered_at", &["登记日期", "注册日期", "registered_on"]),
    ("id_number", &["身份证号", "身份证"]),
];

pub(super) const ENTRY_COLUMNS: &[(&str, &[&str])] = &[
    ("id", &["编号", "序号", "流水号"]),
    ("timestamp", &["时间", "日期", "date", "time"]),
    ("card_no", &["card", "卡号", "志愿者卡号"]),
    ("kind", &["类型", "type"]),
    ("minutes", &["分钟", "时长(分钟)", "时长（分钟）"]),
    ("memo", &["备注", "活动/奖品", "项目"]),
];

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

pub(super) use super::local_day;

pub(super) fn validate_source(source: &str) -> Result<(), BankError> {
    if source.is_empty() || source.len() > 64 || source.contains('\0') {
        return Err(crate::domain::DomainError::BadText(source.chars().take(20).collect()).into());
    }
    Ok(())
}

/// Rows of one source already in the journal, found by one scan of the journal (only when the
/// source was imported before). Kept as sorted (hash of row id, seq) pairs: 16 bytes a row.
pub(super) struct PreviousImports {
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
    pub(super) fn load(bank: &Bank, source: &str) -> Result<PreviousImports, BankError> {
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
    pub(super) fn find(&self, bank: &Bank, row_id: &str) -> Result<Option<u64>, BankError> {
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
