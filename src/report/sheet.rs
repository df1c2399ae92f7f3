//! A report as tables, and the two ways it leaves the program: CSV (one block per table) and
//! XLSX (one worksheet per table: Chinese headers, set widths, hours as numbers with a
//! two-decimal format, a totals row, the header row frozen). Hours are kept as integer
//! minutes until the last moment, when a cell is written.

use std::io::Write;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::domain::format_hours;

/// One cell. Hours are minutes here; they become hours only in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    /// Signed: a net figure goes negative when a reversal is booked after its entry's period.
    Hours(i64),
    Count(u64),
    /// A count or amount that may go negative (a reversal booked after its entry's period).
    Signed(i64),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn hours(minutes: u64) -> Cell {
        Cell::Hours(i64::try_from(minutes).unwrap_or(i64::MAX))
    }

    /// What the CSV holds: hours as a decimal like `12.5` (two places at most).
    pub fn csv(&self) -> String {
        match self {
            Cell::Text(s) => inert(s).into_owned(),
            Cell::Hours(m) if *m < 0 => format!("-{}", format_hours(m.unsigned_abs())),
            Cell::Hours(m) => format_hours(m.unsigned_abs()),
            Cell::Count(n) => n.to_string(),
            Cell::Signed(n) => n.to_string(),
        }
    }
}

/// What a column holds; hour and count columns are summed in the totals row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Hours,
    Count,
}

/// A column: its header (shown as is), its width in Excel characters (a hanzi counts 2) and
/// what it holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    pub header: &'static str,
    pub width: f64,
    pub kind: Kind,
}

/// A text column.
pub const fn col(header: &'static str, width: f64) -> Column {
    Column { header, width, kind: Kind::Text }
}

/// An hours column (summed in the totals row).
pub const fn hours_col(header: &'static str, width: f64) -> Column {
    Column { header, width, kind: Kind::Hours }
}

/// A count column (summed in the totals row).
pub const fn count_col(header: &'static str, width: f64) -> Column {
    Column { header, width, kind: Kind::Count }
}

/// One table of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// Worksheet name (Excel allows 31 characters and no `[]:*?/\`).
    pub name: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// Whether to add a 合计 row summing the hour and count columns.
    pub totals: bool,
    /// A column whose totals cell holds this closing value instead of a sum (a balance).
    pub closing_balance: Option<(usize, u64)>,
    /// A column chart of one column against the first, beside the table (XLSX only).
    pub chart: Option<SheetChart>,
}

/// A column chart: the values of column `values` for each row, labelled by the first column.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetChart {
    pub title: String,
    pub values: u16,
}

impl Sheet {
    pub fn new(name: impl Into<String>, columns: &[Column], rows: Vec<Vec<Cell>>, totals: bool) -> Sheet {
        Sheet {
            name: sheet_name(&name.into()),
            columns: columns.to_vec(),
            rows,
            totals,
            closing_balance: None,
            chart: None,
        }
    }

    /// The totals row: sums of the hour and count columns, 合计 in the first column.
    pub fn totals_row(&self) -> Option<Vec<Cell>> {
        if !self.totals {
            return None;
        }
        let mut out: Vec<Cell> = Vec::with_capacity(self.columns.len());
        for (c, column) in self.columns.iter().enumerate() {
            let sum = || -> i64 {
                self.rows
                    .iter()
                    .filter_map(|r| match r.get(c) {
                        Some(Cell::Hours(n)) => Some(*n),
                        Some(Cell::Count(n)) => i64::try_from(*n).ok(),
                        Some(Cell::Signed(n)) => Some(*n),
                        _ => None,
                    })
                    .sum()
            };
            out.push(match column.kind {
                Kind::Hours => Cell::Hours(sum()),
                Kind::Count => Cell::Count(sum().max(0) as u64),
                Kind::Text => Cell::text(""),
            });
        }
        if let Some((c, value)) = self.closing_balance
            && let Some(cell) = out.get_mut(c)
        {
            *cell = Cell::hours(value);
        }
        if let Some(first) = out.first_mut() {
            *first = Cell::text("合计");
        }
        Some(out)
    }
}

/// Writes the sheets as CSV: for each, a `# name` line, the header, the rows, the totals row,
/// then a blank line.
pub fn write_csv(sheets: &[Sheet], mut out: impl Write) -> Result<(), csv::Error> {
    for (i, sheet) in sheets.iter().enumerate() {
        if i > 0 {
            out.write_all(b"\n")?;
        }
        let mut w = csv::WriterBuilder::new().flexible(true).from_writer(&mut out);
        w.write_record([format!("# {}", sheet.name)])?;
        w.write_record(sheet.columns.iter().map(|c| c.header))?;
        for row in sheet.rows.iter().chain(sheet.totals_row().as_ref()) {
            w.write_record(row.iter().map(Cell::csv))?;
        }
        w.flush()?;
    }
    Ok(())
}

/// The formats every workbook uses.
pub struct Formats {
    pub header: Format,
    pub hours: Format,
    pub total_text: Format,
    pub total_hours: Format,
    pub total_count: Format,
}

impl Formats {
    pub fn new() -> Formats {
        let header = Format::new()
            .set_bold()
            .set_background_color("#DDEBF7")
            .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin);
        Formats {
            header,
            hours: Format::new().set_num_format("0.00"),
            total_text: Format::new().set_bold().set_border_top(rust_xlsxwriter::FormatBorder::Thin),
            total_hours: Format::new()
                .set_bold()
                .set_num_format("0.00")
                .set_border_top(rust_xlsxwriter::FormatBorder::Thin),
            total_count: Format::new().set_bold().set_border_top(rust_xlsxwriter::FormatBorder::Thin),
        }
    }
}

impl Default for Formats {
    fn default() -> Self {
        Formats::new()
    }
}

/// Minutes as the number of hours an XLSX cell holds. The only float in the program, and only
/// in a file for people: Excel has no integer type, and 0.25 h steps are exact in binary.
pub fn hours_value(minutes: i64) -> f64 {
    minutes as f64 / 60.0
}

/// Header row, widths and the frozen pane of a worksheet.
pub fn start_sheet(ws: &mut Worksheet, name: &str, columns: &[Column], f: &Formats) -> Result<(), XlsxError> {
    ws.set_name(sheet_name(name))?;
    for (c, column) in columns.iter().enumerate() {
        let c = c as u16;
        ws.set_column_width(c, column.width)?;
        ws.write_string_with_format(0, c, column.header, &f.header)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

pub fn write_row(
    ws: &mut Worksheet,
    row: u32,
    cells: &[Cell],
    f: &Formats,
    total: bool,
) -> Result<(), XlsxError> {
    for (c, cell) in cells.iter().enumerate() {
        let c = c as u16;
        match (cell, total) {
            (Cell::Text(s), false) => ws.write_string(row, c, s).map(drop)?,
            (Cell::Text(s), true) => ws.write_string_with_format(row, c, s, &f.total_text).map(drop)?,
            (Cell::Hours(m), false) => {
                ws.write_number_with_format(row, c, hours_value(*m), &f.hours).map(drop)?
            }
            (Cell::Hours(m), true) => {
                ws.write_number_with_format(row, c, hours_value(*m), &f.total_hours).map(drop)?
            }
            (Cell::Count(n), false) => ws.write_number(row, c, *n as f64).map(drop)?,
            (Cell::Count(n), true) => {
                ws.write_number_with_format(row, c, *n as f64, &f.total_count).map(drop)?
            }
            (Cell::Signed(n), false) => ws.write_number(row, c, *n as f64).map(drop)?,
            (Cell::Signed(n), true) => {
                ws.write_number_with_format(row, c, *n as f64, &f.total_count).map(drop)?
            }
        }
    }
    Ok(())
}

/// Writes the sheets as one workbook, one worksheet each, to `out` (an open file: see
/// `report::write_private`).
pub fn write_xlsx(sheets: &[Sheet], out: &mut std::fs::File) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    let f = Formats::new();
    for sheet in sheets {
        let ws = wb.add_worksheet();
        start_sheet(ws, &sheet.name, &sheet.columns, &f)?;
        let mut r = 1u32;
        for row in &sheet.rows {
            write_row(ws, r, row, &f, false)?;
            r += 1;
        }
        if let Some(total) = sheet.totals_row() {
            write_row(ws, r, &total, &f, true)?;
        }
        if let Some(c) = sheet.chart.as_ref().filter(|_| !sheet.rows.is_empty()) {
            let last = u32::try_from(sheet.rows.len()).unwrap_or(u32::MAX);
            let mut chart = rust_xlsxwriter::Chart::new_column();
            chart.title().set_name(&c.title);
            chart
                .add_series()
                .set_categories((ws.name().as_str(), 1, 0, last, 0))
                .set_values((ws.name().as_str(), 1, c.values, last, c.values))
                .set_name(sheet.columns.get(usize::from(c.values)).map_or("", |col| col.header));
            let beside = u16::try_from(sheet.columns.len() + 1).unwrap_or(u16::MAX);
            ws.insert_chart(1, beside, &chart)?;
        }
    }
    wb.save_to_writer(out)
}

/// A worksheet name Excel accepts, 31 characters at most: a masked card's `*` becomes the
/// full-width `＊` (allowed, and reads the same), other forbidden characters `_`. Applied when
/// a sheet is made, so the CSV block and the worksheet carry the same name.
fn sheet_name(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '*' => '＊',
            '[' | ']' | ':' | '?' | '/' | '\\' => '_',
            c => c,
        })
        .take(31)
        .collect()
}

/// A text cell a spreadsheet will show as text. A cell that starts with `=`, `+`, `-`, `@`, a
/// tab or a carriage return is read as a formula by Excel and LibreOffice (`=cmd|' /C calc'!A0`
/// runs a program), so such text gets a leading apostrophe, OWASP's rule for CSV injection.
/// Only text goes through this: numbers (minutes, counts, signed hours) stay numbers.
pub fn inert(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod inert_tests {
    use super::inert;

    #[test]
    fn formula_like_text_is_neutralised_and_other_text_is_kept() {
        for bad in ["=cmd|' /C calc'!A0", "+SUM(1,1)", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(inert(bad), format!("'{bad}"));
        }
        for good in ["陈华佩", "JH000123", "a=b", "", "2.5"] {
            assert_eq!(inert(good), good);
        }
    }
}
