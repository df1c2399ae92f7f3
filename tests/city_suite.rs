//! The city's tests — the service, its attacks and faults, escrow, pulls, restores, many
//! counters — against a real PostgreSQL (`pg`) and the real binary, in one test binary (why one
//! binary: see `bank_suite.rs`).

#[path = "pg/city.rs"]
mod city;
mod common;
#[path = "pg/hold.rs"]
mod hold;
mod pg;
mod pty;
#[path = "pg/relay.rs"]
mod relay;

mod city_attacks;
mod city_cards;
mod city_certificate;
mod city_conflict;
mod city_details;
mod city_escrow;
mod city_faults;
mod city_figures;
mod city_join;
mod city_many;
mod city_points;
mod city_pty;
mod city_pull;
mod city_restore;
mod city_server;
mod city_service;
mod city_service_drop;
mod city_service_kill;
mod city_service_rounds;
mod city_stop;
mod city_sync;
mod city_upgrade;
