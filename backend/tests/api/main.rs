//! API tests, one binary (fast to link). Run on SQLite by default and on MariaDB with `TEST_DB=mysql`.
mod helpers;

mod attendance;
mod auth;
mod bursts;
mod employees;
mod faces;
mod health;
mod kiosk;
mod openapi;
mod schema_parity;
mod shifts;
