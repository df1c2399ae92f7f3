//! A batch of coupons (积分券) as a sheet to print and cut: three coupons to a row, each a boxed
//! cell holding what a resident and the counter read — the value, the item, the number with its
//! check code, the last day — and, as CSV, one coupon a line for a label printer.

use std::io::Write;
use std::path::Path;

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use crate::bank::IssuedBatch;
use crate::i18n::Lang;

const ACROSS: u16 = 3;

/// Writes the sheet as XLSX at `path`.
pub fn coupon_sheet_xlsx(
    batch: &IssuedBatch,
    item_name: &str,
    lang: Lang,
    path: &Path,
) -> Result<(), XlsxError> {
    let (title, worth, unit, item, last_day) = words(lang);
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(format!("{}{}", if lang == Lang::Zh { "第" } else { "batch " }, batch.batch))?;
    let boxed = Format::new()
        .set_border(FormatBorder::Dashed)
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    for col in 0..ACROSS {
        sheet.set_column_width(col, 36)?;
    }
    let b = &batch.record;
    for (i, number) in batch.numbers.iter().enumerate() {
        let row = u32::try_from(i / usize::from(ACROSS)).unwrap_or(u32::MAX);
        let col = u16::try_from(i % usize::from(ACROSS)).unwrap_or(0);
        sheet.set_row_height(row, 96)?;
        let text = format!(
            "{title}\n{worth} {} {unit}\n{item} {} {item_name}\n{number}\n{last_day} {}",
            b.value.get(),
            b.item,
            b.expires
        );
        sheet.write_string_with_format(row, col, text, &boxed)?;
    }
    book.save(path)
}

/// Writes the sheet as CSV: `number,batch,serial,value,item,expires`.
pub fn coupon_sheet_csv(batch: &IssuedBatch, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "number,batch,serial,value,item,expires")?;
    for n in &batch.numbers {
        writeln!(
            out,
            "{n},{},{},{},{},{}",
            n.coupon.batch,
            n.coupon.serial,
            batch.record.value.get(),
            batch.record.item,
            batch.record.expires
        )?;
    }
    Ok(())
}

fn words(lang: Lang) -> (&'static str, &'static str, &'static str, &'static str, &'static str) {
    match lang {
        Lang::Zh => ("文明积分券", "面值", "分", "项目", "有效期至"),
        Lang::En => ("Civic points coupon", "Worth", "points", "Item", "Valid until"),
    }
}
