//! Owner authentication: argon2id passwords, HS256 JWTs (cookie or Bearer), the `Owner` extractor and the
//! login brute-force limiter.
pub mod extractor;
pub mod jwt;
pub mod limiter;
pub mod password;

pub use extractor::Owner;

/// Name of the HttpOnly session cookie set by login.
pub const COOKIE_NAME: &str = "absensi_token";
