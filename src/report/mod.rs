//! Aggregations and exports: the three CSV exports scripts rely on (DESIGN §6), and a
//! volunteer's statement.

mod export;
mod statement;

pub use export::{ExportError, export_balances, export_entries, export_volunteers};
pub use statement::export_statement;
