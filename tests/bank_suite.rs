//! The counter's own tests — ledger rules and their properties, the store, backups, faults,
//! crashes, the command line and reports — in one test binary.
//!
//! Why one binary per suite, not one per file: each integration-test file is a crate of its
//! own that links the whole library (about 95 MB of release binary with line tables); with 45
//! of them, compiling and linking was most of CI's 20 minutes. The files stay as they were, as
//! modules here; their helpers (`common`, `pg`, …) are declared once at the root.

mod common;

mod assessment;
mod backup;
mod backup_script;
mod bank_ops;
mod certificate;
mod check;
mod cli;
mod cli_import;
mod cli_lang;
mod compact;
mod counter_code;
mod crash;
mod decode_fuzz;
mod escrow_props;
mod faults;
mod golden;
mod journal_copy;
mod labels;
mod layers;
mod ledger_props;
mod paths;
mod points_cli;
mod points_props;
mod pool;
mod privacy;
mod reports;
mod rules;
mod shifts;
mod store_fixture;
mod volunteer_pin;
