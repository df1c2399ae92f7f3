//! The screens' tests — the counter's `App` driven message by message (`counter`), rendered
//! buffers and snapshots, the kiosk, and the real binary in a pseudo-terminal (`pty`) — in one
//! test binary (why one binary: see `bank_suite.rs`).

mod common;
mod counter;
mod pty;

mod counter_pty;
mod kiosk;
mod secrets;
mod tui_city;
mod tui_city_figures;
mod tui_conflict;
mod tui_exchange;
mod tui_flows;
mod tui_form_errors;
mod tui_render;
