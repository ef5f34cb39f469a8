//! API tests, one binary (fast to link). Run on SQLite by default and on MariaDB with `TEST_DB=mysql`.
mod helpers;

mod attendance;
mod auth;
mod bursts;
mod dashboard;
mod employees;
mod faces;
mod faults;
mod health;
mod hostile;
mod import;
mod kiosk;
mod kiosk_ahead;
mod kiosk_bench;
mod leaves;
mod liveness_eval;
mod load;
mod openapi;
mod privacy;
mod reports;
mod schema_parity;
mod security;
mod shifts;
