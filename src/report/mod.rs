//! Aggregations and exports: the three CSV exports scripts rely on (ARCHITECTURE.md §6), the reports
//! an office closes its days and months with, and a volunteer's statement. Reports are plain
//! data first (tested against sums over the journal), then tables ([`sheet`]) for CSV and XLSX.

pub mod assessment;
mod book;
mod certificate;
pub mod coupons;
pub mod daily;
pub mod exchange;
mod export;
pub mod ledger;
pub mod monthly;
mod points;
pub mod private;
pub mod settlement;
pub mod sheet;
mod statement;

pub use book::booking_day;
pub use certificate::certificate_page;
pub use daily::{DailyClose, daily_close};
use export::Names;
pub use export::{ExportError, export_balances, export_city_balances, export_entries, export_volunteers};
pub use ledger::export_ledger_xlsx;
pub use monthly::{Month, MonthlyReport, monthly};
pub use points::export_points;
pub use private::write_private;
pub use settlement::{Settlement, settlement};
pub use statement::{Statement, export_statement, statement};
