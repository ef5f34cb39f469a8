//! Database-facing operations shared by the HTTP handlers and the CLI.
pub mod encodings;
pub mod faces;
pub mod users;
