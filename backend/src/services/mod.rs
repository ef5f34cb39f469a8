//! Database-facing operations shared by the HTTP handlers and the CLI.
pub mod attendance;
pub mod dashboard;
pub mod demo;
pub mod employee_import;
pub mod encodings;
pub mod faces;
pub mod frame_cache;
pub mod kiosk;
pub mod leaves;
pub mod reports;
pub mod sqlexpr;
pub mod users;
