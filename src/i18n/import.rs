//! The words of `import volunteers` and `import entries`, both languages side by side: its
//! progress, its summary and every reason a row is refused (`bank::RowProblem`), so a program
//! office that brings a spreadsheet reads the answer in its own language.

use crate::bank::{ImportError, RowProblem, TextColumn};
use crate::domain::format_hours;

use super::{Text, fill};

pub struct ImportText {
    /// indicatif's template: `{bar}`, `{pos}`, `{len}`, `{eta}`.
    pub bar: &'static str,
    pub done: &'static str,
    pub bad_rows: &'static str,
    pub bad_line: &'static str,
    pub more: &'static str,
    pub encoding: &'static str,
    pub csv: &'static str,
    pub missing_columns: &'static str,
    pub bad_id: &'static str,
    pub bad_timestamp: &'static str,
    pub bad_registered: &'static str,
    pub bad_kind: &'static str,
    pub bad_minutes: &'static str,
    /// A free-text column's name, then why its value is refused.
    pub column_reason: &'static str,
    pub column_memo: &'static str,
    pub column_name: &'static str,
    pub column_community: &'static str,
    pub unknown_card: &'static str,
    pub too_many_names: &'static str,
    pub too_large: &'static str,
    pub duplicate_id: &'static str,
    pub entry_changed: &'static str,
    pub off_rounding: &'static str,
    pub over_storage_cap: &'static str,
    pub over_day_cap: &'static str,
    pub overdraw: &'static str,
    pub out_of_stock: &'static str,
    pub duplicate_card: &'static str,
    pub volunteer_changed: &'static str,
    pub registered_differently: &'static str,
}

pub static ZH: ImportText = ImportText {
    bar: "{bar:24} 已导入 {pos}/{len} 行，还需 {eta}",
    done: "已导入 {} 行（共 {} 行，{} 行此前已导入）；新建活动 {} 个、奖品 {} 个",
    bad_rows: "{} 行有误，一行也没有导入",
    bad_line: "第 {} 行：{}",
    more: "……另有 {} 行",
    encoding: "文件既不是 UTF-8 也不是 GBK/GB18030 文本",
    csv: "无法按 CSV 读取：{}",
    missing_columns: "缺少列 {}——第一行须是写明各列名称的表头",
    bad_id: "编号须为 1–64 个可打印字符",
    bad_timestamp: "时间 {} 不是日期或时间",
    bad_registered: "登记日期 {} 不是日期",
    bad_kind: "类型 {} 须为 deposit（存入）或 redeem（兑换）",
    bad_minutes: "分钟 {} 须为大于 0 的整数",
    column_reason: "{}：{}",
    column_memo: "备注",
    column_name: "姓名",
    column_community: "社区",
    unknown_card: "没有卡号为 {} 的志愿者",
    too_many_names: "活动和奖品名称过多",
    too_large: "文件过大",
    duplicate_id: "编号 {} 已在第 {} 行出现",
    entry_changed: "编号 {} 此前已导入（第 {} 条记录），内容不同",
    off_rounding: "{} 小时不是 {} 分钟取整单位的整数倍",
    over_storage_cap: "余额将超过存储上限 {} 小时",
    over_day_cap: "{}：当天已记 {} 小时，再记 {} 小时将超过每日上限 {} 小时",
    overdraw: "兑换 {} 小时将透支余额 {} 小时",
    out_of_stock: "{} 已无库存",
    duplicate_card: "卡号 {} 已在第 {} 行出现",
    volunteer_changed: "卡号 {} 此前已导入（第 {} 条记录），资料不同",
    registered_differently: "卡号 {} 已登记，资料不同（请用 `volunteer edit` 修改）",
};

pub static EN: ImportText = ImportText {
    bar: "{bar:30} {pos}/{len} rows imported, {eta} left",
    done: "imported {} of {} rows ({} already present); created {} activities and {} rewards",
    bad_rows: "{} bad row(s); nothing was imported",
    bad_line: "line {}: {}",
    more: "… and {} more",
    encoding: "the file is neither UTF-8 nor GBK/GB18030 text",
    csv: "not readable as CSV: {}",
    missing_columns: "missing column(s) {} — the first line must be a header row naming the columns",
    bad_id: "id must be 1–64 printable characters",
    bad_timestamp: "timestamp {} is not a date or time",
    bad_registered: "registered_at {} is not a date",
    bad_kind: "kind {} must be deposit or redeem",
    bad_minutes: "minutes {} must be a whole number greater than 0",
    column_reason: "{}: {}",
    column_memo: "memo",
    column_name: "name",
    column_community: "community",
    unknown_card: "no volunteer with card {}",
    too_many_names: "too many names",
    too_large: "the file is too large",
    duplicate_id: "id {} already appears on line {}",
    entry_changed: "id {} was imported before with different content (entry {})",
    off_rounding: "{}h is not a whole number of the {}-minute rounding unit",
    over_storage_cap: "the balance would pass the storage cap of {}h",
    over_day_cap: "{}: {}h already credited; {}h more passes the daily cap of {}h",
    overdraw: "redeeming {}h would overdraw the balance of {}h",
    out_of_stock: "{} is out of stock",
    duplicate_card: "card {} already appears on line {}",
    volunteer_changed: "card {} was imported before with different details (entry {})",
    registered_differently: "card {} is already registered with different details (use `volunteer edit`)",
};

impl Text {
    /// An import refused, in this language: its bad rows by line, or the bank's error.
    pub fn import_error(&self, e: &ImportError) -> String {
        let t = self.import;
        match e {
            ImportError::BadRows { listed, total } => {
                let mut out = fill(t.bad_rows, &[total]);
                for row in listed {
                    out.push_str("\n  ");
                    out.push_str(&fill(t.bad_line, &[&row.line, &self.row_problem(&row.reason)]));
                }
                if *total > listed.len() {
                    out.push_str("\n  ");
                    out.push_str(&fill(t.more, &[&(total - listed.len())]));
                }
                out
            }
            ImportError::Bank(b) => self.bank_error(b),
            ImportError::Io { .. } => e.to_string(),
        }
    }

    /// Why one row is refused. Values the file gave are quoted as it gave them.
    pub fn row_problem(&self, p: &RowProblem) -> String {
        let t = self.import;
        let h = |m: &crate::domain::Minutes| format_hours(u64::from(m.get()));
        let quoted = |s: &String| format!("{s:?}");
        match p {
            RowProblem::Encoding => t.encoding.into(),
            RowProblem::Csv(why) => fill(t.csv, &[why]),
            RowProblem::MissingColumns(c) => fill(t.missing_columns, &[c]),
            RowProblem::BadId => t.bad_id.into(),
            RowProblem::BadTimestamp(s) => fill(t.bad_timestamp, &[&quoted(s)]),
            RowProblem::BadRegistered(s) => fill(t.bad_registered, &[&quoted(s)]),
            RowProblem::BadKind(s) => fill(t.bad_kind, &[&quoted(s)]),
            RowProblem::BadMinutes(s) => fill(t.bad_minutes, &[&quoted(s)]),
            RowProblem::Invalid(e) => self.domain_error(e),
            RowProblem::Column { column, error } => {
                let name = match column {
                    TextColumn::Memo => t.column_memo,
                    TextColumn::Name => t.column_name,
                    TextColumn::Community => t.column_community,
                };
                fill(t.column_reason, &[&name, &self.domain_error(error)])
            }
            RowProblem::Refused(r) => self.rule(r),
            RowProblem::Store(why) => why.clone(),
            RowProblem::UnknownCard(c) => fill(t.unknown_card, &[c]),
            RowProblem::TooManyNames => t.too_many_names.into(),
            RowProblem::TooLarge => t.too_large.into(),
            RowProblem::DuplicateId { id, first } => fill(t.duplicate_id, &[&quoted(id), first]),
            RowProblem::EntryChanged { id, seq } => fill(t.entry_changed, &[&quoted(id), seq]),
            RowProblem::OffRounding { minutes, unit } => fill(t.off_rounding, &[&h(minutes), unit]),
            RowProblem::OverStorageCap { cap } => fill(t.over_storage_cap, &[&h(cap)]),
            RowProblem::OverDayCap { day, credited, minutes, cap } => {
                fill(t.over_day_cap, &[day, &h(credited), &h(minutes), &h(cap)])
            }
            RowProblem::Overdraw { minutes, balance } => fill(t.overdraw, &[&h(minutes), &h(balance)]),
            RowProblem::OutOfStock(name) => fill(t.out_of_stock, &[name]),
            RowProblem::DuplicateCard { card, first } => fill(t.duplicate_card, &[card, first]),
            RowProblem::VolunteerChanged { card, seq } => fill(t.volunteer_changed, &[card, seq]),
            RowProblem::RegisteredDifferently(card) => fill(t.registered_differently, &[card]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::RowError;
    use crate::domain::Minutes;

    /// Every reason has its words in Chinese (no English left in them), and the English table
    /// says what the reasons' own `Display` says, so a person reading either gets the same facts.
    #[test]
    fn every_row_problem_is_worded_in_both_languages_alike() {
        let problems = [
            RowProblem::BadTimestamp("someday".into()),
            RowProblem::BadKind("gift".into()),
            RowProblem::BadMinutes("六十".into()),
            RowProblem::UnknownCard("JH9".into()),
            RowProblem::DuplicateId { id: "7".into(), first: 2 },
            RowProblem::EntryChanged { id: "7".into(), seq: 40 },
            RowProblem::OffRounding { minutes: Minutes::new(20), unit: 15 },
            RowProblem::OverStorageCap { cap: Minutes::new(6000) },
            RowProblem::Overdraw { minutes: Minutes::new(90), balance: Minutes::new(30) },
            RowProblem::OutOfStock("大米5kg".into()),
            RowProblem::DuplicateCard { card: "JH1".into(), first: 3 },
            RowProblem::VolunteerChanged { card: "JH1".into(), seq: 5 },
            RowProblem::RegisteredDifferently("JH1".into()),
            RowProblem::Encoding,
            RowProblem::BadId,
            RowProblem::TooLarge,
        ];
        let (zh, en) = (super::super::Lang::Zh.text(), super::super::Lang::En.text());
        for p in &problems {
            let said = zh.row_problem(p);
            assert!(!said.contains(" must ") && !said.contains(" is ") && !said.contains("line"), "{said}");
            assert_eq!(en.row_problem(p), p.to_string(), "{p:?}");
        }
        let memo =
            RowProblem::Column { column: TextColumn::Memo, error: crate::domain::DomainError::EmptyName };
        assert!(zh.row_problem(&memo).starts_with("备注："), "{}", zh.row_problem(&memo));
        assert!(en.row_problem(&memo).starts_with("memo: ") && memo.to_string().starts_with("memo: "));
        let refused = ImportError::BadRows {
            listed: vec![RowError { line: 3, reason: RowProblem::BadMinutes("六十".into()) }],
            total: 60,
        };
        assert_eq!(
            zh.import_error(&refused),
            "60 行有误，一行也没有导入\n  第 3 行：分钟 \"六十\" 须为大于 0 的整数\n  ……另有 59 行"
        );
        assert_eq!(en.import_error(&refused), refused.to_string());
    }
}
