//! Aggregations and exports. For now: the three CSV exports scripts rely on (DESIGN §6).

mod export;

pub use export::{ExportError, export_balances, export_entries, export_volunteers};
