//! hourbank: the ledger of a volunteer service hour bank (志愿服务银行 / 时间银行).
//!
//! Layers, each depending only on the ones before it: [`domain`] (pure rules) ← [`store`]
//! (sled) ← [`bank`] (use cases) ← [`cli`]. The journal is the truth; everything else in the
//! store is a projection that `check` can rebuild and compare.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod bank;
pub mod city;
pub mod cli;
pub mod control;
pub mod domain;
pub mod i18n;
pub mod report;
pub mod sample;
pub mod search;
pub mod store;
pub mod tui;
