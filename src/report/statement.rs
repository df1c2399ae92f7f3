//! A volunteer's statement (存折): every entry that moved their hours, oldest first, with the
//! running balance after it — what a paper passbook shows.

use std::io::Write;

use super::export::ExportError;
use crate::bank::Bank;
use crate::domain::CardNo;

/// `seq,date,kind,memo,change_minutes,balance_minutes`; returns the rows written and the final
/// balance (which equals the account's: the test holds the two together).
pub fn export_statement(bank: &Bank, card: &CardNo, out: impl Write) -> Result<(usize, i64), ExportError> {
    let view = bank.find_card(card)?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["seq", "date", "kind", "memo", "change_minutes", "balance_minutes"])?;
    let mut balance: i64 = 0;
    let mut rows = 0;
    for line in bank.history(view.id)? {
        if line.delta == 0 {
            continue;
        }
        balance += line.delta;
        w.write_record([
            line.seq.to_string(),
            line.day(),
            line.event.kind().name().to_string(),
            line.memo.clone(),
            line.delta.to_string(),
            balance.to_string(),
        ])?;
        rows += 1;
    }
    w.flush()?;
    Ok((rows, balance))
}
