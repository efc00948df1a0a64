//! The end-to-end tests, in one test binary: each module is one area (its file says what it
//! covers). One binary, not one per file: every test binary links all four services (~85 MB
//! each with line tables), and thirty-odd of them filled CI's disk and spent minutes linking.
//! `cargo test -p secal-e2e --test e2e e2e_payments_life::` runs one area.
//!
//! Three keep binaries of their own, for what they do to their process: `e2e_faults` (stops
//! and kills the process's PostgreSQL server, then runs it with full durability),
//! `e2e_hostile` (installs a panic hook that counts every panic in the process) and
//! `e2e_overload` (opens 2,000 connections at once).

mod common;
#[path = "e2e_data_exchange/fixture.rs"]
mod fixture;
#[path = "e2e_intake_form.rs"]
mod form;

mod e2e_auth_edges;
mod e2e_calculation_arrears;
mod e2e_calculation_income;
mod e2e_calculation_reference;
mod e2e_calculation_series;
mod e2e_casework;
mod e2e_casework_payments;
mod e2e_claim_account;
mod e2e_claim_account_crash;
mod e2e_claim_account_lives;
mod e2e_claim_account_reads;
mod e2e_data_exchange;
mod e2e_data_exchange_log;
mod e2e_foreign_client;
mod e2e_foundation;
mod e2e_intake;
mod e2e_intake_lifecycle;
mod e2e_intake_registry;
mod e2e_intake_validation;
mod e2e_json_http;
mod e2e_mtls;
mod e2e_payments;
mod e2e_payments_advances;
mod e2e_payments_crash;
mod e2e_payments_life;
mod e2e_payments_payouts;
mod e2e_payments_plans;
mod e2e_payments_statements;
mod e2e_tour;
mod e2e_trace;
mod layout;
mod openapi;
