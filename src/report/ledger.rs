//! The full ledger (台账) as one workbook: every entry that moved hours, in journal order,
//! streamed to worksheets in constant memory (rust_xlsxwriter writes each row to a temporary
//! file as it goes), a new worksheet every million rows (Excel's limit is 1,048,576), and a
//! summary sheet with totals by kind. Cards are masked unless the admin asked for full data.

use std::collections::BTreeMap;

use rust_xlsxwriter::{Workbook, XlsxError};

use super::export::{ExportError, for_each_entry, local_time};
use super::sheet::{Cell, Column, Formats, col, count_col, hours_col, start_sheet, write_row};
use crate::bank::Bank;
use crate::domain::privacy::mask_card;

/// Rows per worksheet: a round number under Excel's 1,048,576.
pub const ROWS_PER_SHEET: u32 = 1_000_000;

const COLUMNS: [Column; 8] = [
    col("流水号", 10.0),
    col("时间", 26.0),
    col("卡号", 12.0),
    col("类型", 12.0),
    hours_col("小时", 8.0),
    col("摘要", 30.0),
    col("经办", 14.0),
    col("柜台", 12.0),
];

/// How the ledger (a Chinese document) names a row's kind: its movement's word, `冲正-` and
/// that word for a reversal's row.
fn kind_label(kind: &str) -> String {
    let zh = crate::i18n::Lang::Zh.text();
    match crate::domain::Movement::from_export_name(kind) {
        Some((movement, false)) => zh.movement(movement).into(),
        Some((movement, true)) => format!("{}-{}", zh.kind_reversal, zh.movement(movement)),
        // Rows come from `export::rows_for`, which names movements only.
        None => kind.into(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error("writing the workbook: {0}")]
    Xlsx(#[from] XlsxError),
}

/// The ledger as CSV: the workbook's columns and words (Chinese headers, hours as decimals,
/// cards masked unless `full`), one row per entry. `export entries` stays the scripts' format.
pub fn export_ledger_csv(bank: &Bank, out: impl std::io::Write, full: bool) -> Result<u64, ExportError> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COLUMNS.iter().map(|c| c.header))?;
    let mut rows = 0u64;
    for_each_entry(bank, |r| {
        let card = if full { r.card_no.clone() } else { mask_card(&r.card_no) };
        let cells = [
            Cell::Count(r.seq),
            Cell::Text(local_time(r.timestamp)),
            Cell::Text(card),
            Cell::Text(kind_label(&r.kind)),
            Cell::hours(u64::from(r.minutes)),
            Cell::Text(r.memo),
            Cell::Text(r.actor),
            Cell::Text(r.counter),
        ];
        w.write_record(cells.iter().map(Cell::csv))?;
        rows += 1;
        Ok(())
    })?;
    w.flush()?;
    Ok(rows)
}

/// Writes the ledger to `out` (an open file: see `report::write_private`); `progress(seq)` is called every 10,000 rows with the journal
/// position reached (out of `next_seq - 1` events). Returns the number of entry rows.
pub fn export_ledger_xlsx(
    bank: &Bank,
    out: &mut std::fs::File,
    full: bool,
    mut progress: impl FnMut(u64),
) -> Result<u64, LedgerError> {
    let mut wb = Workbook::new();
    let f = Formats::new();
    let mut totals: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut rows: u64 = 0;
    let mut sheet_no = 0u32;
    let mut row_in_sheet = ROWS_PER_SHEET; // forces the first sheet
    let mut failure: Option<XlsxError> = None;
    // The worksheet is reborrowed per row: `for_each_entry`'s callback cannot hold it.
    let mut ws_index = 0usize;
    for_each_entry(bank, |r| {
        if failure.is_some() {
            return Ok(());
        }
        let r_seq = r.seq;
        let result = (|| -> Result<(), XlsxError> {
            if row_in_sheet >= ROWS_PER_SHEET {
                sheet_no += 1;
                let ws = wb.add_worksheet_with_constant_memory()?;
                start_sheet(ws, &format!("台账{sheet_no}"), &COLUMNS, &f)?;
                ws_index = sheet_no as usize - 1;
                row_in_sheet = 0;
            }
            let ws = wb.worksheet_from_index(ws_index)?;
            row_in_sheet += 1;
            let kind = kind_label(&r.kind);
            let t = totals.entry(kind.clone()).or_default();
            t.0 += 1;
            t.1 += u64::from(r.minutes);
            let card = if full { r.card_no.clone() } else { mask_card(&r.card_no) };
            let cells = [
                Cell::Count(r.seq),
                Cell::Text(local_time(r.timestamp)),
                Cell::Text(card),
                Cell::Text(kind),
                Cell::hours(u64::from(r.minutes)),
                Cell::Text(r.memo),
                Cell::Text(r.actor),
                Cell::Text(r.counter),
            ];
            write_row(ws, row_in_sheet, &cells, &f, false)
        })();
        if let Err(e) = result {
            failure = Some(e);
        }
        rows += 1;
        if rows.is_multiple_of(10_000) {
            progress(r_seq);
        }
        Ok(())
    })?;
    if let Some(e) = failure {
        return Err(e.into());
    }
    if sheet_no == 0 {
        let ws = wb.add_worksheet();
        start_sheet(ws, "台账1", &COLUMNS, &f)?;
    }
    let summary = wb.add_worksheet();
    let summary_columns = [col("类型", 16.0), count_col("笔数", 12.0), hours_col("小时", 14.0)];
    start_sheet(summary, "汇总", &summary_columns, &f)?;
    let mut r = 1u32;
    for (kind, (count, minutes)) in &totals {
        write_row(summary, r, &[Cell::text(kind), Cell::Count(*count), Cell::hours(*minutes)], &f, false)?;
        r += 1;
    }
    let count: u64 = totals.values().map(|t| t.0).sum();
    write_row(summary, r, &[Cell::text("合计"), Cell::Count(count), Cell::text("")], &f, true)?;
    wb.save_to_writer(out)?;
    Ok(rows)
}
