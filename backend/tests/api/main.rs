//! API tests, one binary (fast to link). Run on SQLite by default and on MariaDB with `TEST_DB=mysql`.
mod helpers;

mod auth;
mod employees;
mod faces;
mod health;
mod openapi;
mod schema_parity;
mod shifts;
