//! Configuration from the environment (and `.env`, loaded by `main`). Every key is documented in `.env.example`.
//!
//! Everything the locked schema cannot hold (office sites, time zone, work days, thresholds, company name)
//! lives here.
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::{NaiveTime, Weekday};
use chrono_tz::Tz;

use crate::domain::geofence::OfficeSite;
use crate::domain::workdays::WorkDays;

/// The JWT secret shipped in `.env.example`; refused in production.
pub const DEFAULT_JWT_SECRET: &str = "change-me-to-a-long-random-secret";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Test,
    Production,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub app_env: AppEnv,
    pub database_url: String,
    /// Longest wait for a pooled database connection before a request gets 503 `DB_UNAVAILABLE`.
    pub db_acquire_timeout: std::time::Duration,
    pub bind_addr: SocketAddr,
    pub jwt_secret: String,
    pub jwt_ttl_hours: i64,
    pub owner_email: Option<String>,
    pub owner_password: Option<String>,
    pub company_name: String,
    pub timezone: Tz,
    pub office_sites: Vec<OfficeSite>,
    pub geofence_enabled: bool,
    pub gps_max_accuracy_m: f64,
    pub work_days: WorkDays,
    pub face_models_dir: PathBuf,
    pub upload_dir: PathBuf,
    pub static_dir: PathBuf,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Test-only scripted liveness sequence (refused unless `APP_ENV=test`).
    pub liveness_fixed_challenge: Option<String>,
    /// Face matching operating point (similarity, higher = more alike). `None` = the engine's calibrated default.
    pub face_accept: Option<f32>,
    pub face_grey: Option<f32>,
    pub face_margin: Option<f32>,
    /// How many face inferences run at once (each uses one core).
    pub face_workers: usize,
    /// Reload the gallery from the database this often so several instances stay in step.
    pub gallery_refresh_secs: u64,
    /// Minimum minutes between check-in and a scan that counts as check-out.
    pub checkout_min_gap_minutes: i64,
    /// Local time of the automatic daily close (ALPA marking) for the previous day... see `domain::attendance`.
    pub daily_close_time: NaiveTime,
    pub daily_close_enabled: bool,
    /// Maximum span of one leave request, in calendar days.
    pub max_leave_days: i64,
    /// Lifetime of a kiosk challenge.
    pub challenge_ttl_secs: i64,
    /// Longest report period (and late-ranking period), in calendar days.
    pub report_max_days: i64,
    /// A PDF report is refused (422, use xlsx) above this many rows: PDF layout is built in memory.
    pub report_pdf_max_rows: u64,
    /// Largest employee import (data rows of the .xlsx).
    pub import_max_rows: usize,
    /// Max upload size (photos, leave proofs, import files) in bytes.
    pub max_upload_bytes: usize,
    /// Login attempts allowed per IP+email inside `login_window_secs` before 429.
    pub login_max_failures: u32,
    pub login_window_secs: u64,
    /// Requests per minute per client IP on the kiosk endpoints.
    pub kiosk_rate_per_minute: u32,
    /// Extra allowed origins for CORS (comma separated); same-origin always works.
    pub cors_origins: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed (for per-client rate limits).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub log_format_json: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration error: {key}: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

fn err(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError { key: key.to_string(), message: message.into() }
}

/// A source of settings: the process environment, or a map in tests.
pub trait Source {
    fn get(&self, key: &str) -> Option<String>;
}

pub struct Env;

impl Source for Env {
    fn get(&self, key: &str) -> Option<String> {
        std::env::var(key).ok().filter(|v| !v.trim().is_empty())
    }
}

impl Source for HashMap<String, String> {
    fn get(&self, key: &str) -> Option<String> {
        HashMap::get(self, key).cloned().filter(|v| !v.trim().is_empty())
    }
}

fn parse<T: std::str::FromStr>(src: &dyn Source, key: &str, default: T) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match src.get(key) {
        None => Ok(default),
        Some(v) => v.trim().parse::<T>().map_err(|e| err(key, format!("cannot parse {v:?}: {e}"))),
    }
}

fn parse_bool(src: &dyn Source, key: &str, default: bool) -> Result<bool, ConfigError> {
    match src.get(key).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(true),
        Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(false),
        Some(v) => Err(err(key, format!("expected true or false, got {v:?}"))),
    }
}

fn parse_opt<T: std::str::FromStr>(src: &dyn Source, key: &str) -> Result<Option<T>, ConfigError>
where
    T::Err: std::fmt::Display,
{
    src.get(key).map(|v| v.trim().parse::<T>().map_err(|e| err(key, format!("cannot parse {v:?}: {e}")))).transpose()
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_source(&Env)
    }

    pub fn from_source(src: &dyn Source) -> Result<Config, ConfigError> {
        let app_env = match src.get("APP_ENV").map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("development") | Some("dev") => AppEnv::Development,
            Some("test") => AppEnv::Test,
            Some("production") | Some("prod") => AppEnv::Production,
            Some(other) => {
                return Err(err("APP_ENV", format!("expected development, test or production, got {other:?}")))
            }
        };
        let jwt_secret = src.get("JWT_SECRET").unwrap_or_else(|| DEFAULT_JWT_SECRET.to_string());
        if app_env == AppEnv::Production && (jwt_secret == DEFAULT_JWT_SECRET || jwt_secret.len() < 32) {
            return Err(err(
                "JWT_SECRET",
                "production needs a random secret of at least 32 characters (e.g. `openssl rand -hex 32`)",
            ));
        }
        let timezone: Tz = parse(src, "APP_TIMEZONE", chrono_tz::Asia::Jakarta)?;
        let office_sites = match src.get("OFFICE_SITES") {
            Some(v) => OfficeSite::parse_list(&v).map_err(|m| err("OFFICE_SITES", m))?,
            None => OfficeSite::parse_list("Kantor Pusat:-6.2000,106.8166,50").expect("default site parses"),
        };
        let work_days = match src.get("WORK_DAYS") {
            Some(v) => WorkDays::parse(&v).map_err(|m| err("WORK_DAYS", m))?,
            None => WorkDays::from_days(&[Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri]),
        };
        let liveness_fixed_challenge = src.get("LIVENESS_FIXED_CHALLENGE");
        if liveness_fixed_challenge.is_some() && app_env != AppEnv::Test {
            return Err(err(
                "LIVENESS_FIXED_CHALLENGE",
                "only allowed with APP_ENV=test (it makes liveness predictable)",
            ));
        }
        if let Some(v) = &liveness_fixed_challenge {
            crate::domain::challenge::parse_steps(v).map_err(|m| err("LIVENESS_FIXED_CHALLENGE", m))?;
        }
        let tls_cert: Option<PathBuf> = src.get("TLS_CERT").map(PathBuf::from);
        let tls_key: Option<PathBuf> = src.get("TLS_KEY").map(PathBuf::from);
        if tls_cert.is_some() != tls_key.is_some() {
            return Err(err("TLS_CERT", "set both TLS_CERT and TLS_KEY, or neither"));
        }
        let daily_close_time = match src.get("DAILY_CLOSE_TIME") {
            None => NaiveTime::from_hms_opt(23, 55, 0).unwrap(),
            Some(v) => NaiveTime::parse_from_str(v.trim(), "%H:%M")
                .map_err(|_| err("DAILY_CLOSE_TIME", format!("expected HH:MM, got {v:?}")))?,
        };
        let face_workers =
            parse(src, "FACE_WORKERS", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2))?;
        if face_workers == 0 {
            return Err(err("FACE_WORKERS", "must be at least 1"));
        }
        let acquire_secs: f64 =
            parse(src, "DB_ACQUIRE_TIMEOUT_SECS", crate::db::DEFAULT_ACQUIRE_TIMEOUT.as_secs_f64())?;
        if !(0.1..=120.0).contains(&acquire_secs) {
            return Err(err("DB_ACQUIRE_TIMEOUT_SECS", "must be between 0.1 and 120 seconds"));
        }
        let cfg = Config {
            app_env,
            database_url: src.get("DATABASE_URL").unwrap_or_else(|| "sqlite://data/absensi.db?mode=rwc".to_string()),
            db_acquire_timeout: std::time::Duration::from_secs_f64(acquire_secs),
            bind_addr: parse(src, "BIND_ADDR", "127.0.0.1:8080".parse().unwrap())?,
            jwt_secret,
            jwt_ttl_hours: parse(src, "JWT_TTL_HOURS", 12)?,
            owner_email: src.get("OWNER_EMAIL"),
            owner_password: src.get("OWNER_PASSWORD"),
            company_name: src.get("COMPANY_NAME").unwrap_or_else(|| "Perusahaan Anda".to_string()),
            timezone,
            office_sites,
            geofence_enabled: parse_bool(src, "GEOFENCE_ENABLED", true)?,
            gps_max_accuracy_m: parse(src, "GPS_MAX_ACCURACY_M", 50.0)?,
            work_days,
            face_models_dir: src
                .get("FACE_MODELS_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("face-models")),
            upload_dir: src.get("UPLOAD_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("data/uploads")),
            static_dir: src.get("STATIC_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("dist")),
            tls_cert,
            tls_key,
            liveness_fixed_challenge,
            face_accept: parse_opt(src, "FACE_ACCEPT")?,
            face_grey: parse_opt(src, "FACE_GREY")?,
            face_margin: parse_opt(src, "FACE_MARGIN")?,
            face_workers,
            gallery_refresh_secs: parse(src, "GALLERY_REFRESH_SECS", 60)?,
            checkout_min_gap_minutes: parse(src, "CHECKOUT_MIN_GAP_MINUTES", 60)?,
            daily_close_time,
            daily_close_enabled: parse_bool(src, "DAILY_CLOSE_ENABLED", true)?,
            max_leave_days: parse(src, "MAX_LEAVE_DAYS", 30)?,
            challenge_ttl_secs: parse(src, "CHALLENGE_TTL_SECS", 20)?,
            report_max_days: parse(src, "REPORT_MAX_DAYS", 366)?,
            report_pdf_max_rows: parse(src, "REPORT_PDF_MAX_ROWS", 3000)?,
            import_max_rows: parse(src, "IMPORT_MAX_ROWS", 2000)?,
            max_upload_bytes: parse(src, "MAX_UPLOAD_BYTES", 5 * 1024 * 1024)?,
            login_max_failures: parse(src, "LOGIN_MAX_FAILURES", 5)?,
            login_window_secs: parse(src, "LOGIN_WINDOW_SECS", 900)?,
            kiosk_rate_per_minute: parse(src, "KIOSK_RATE_PER_MINUTE", 30)?,
            cors_origins: src
                .get("CORS_ORIGINS")
                .map(|v| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default(),
            trusted_proxies: match src.get("TRUSTED_PROXIES") {
                None => Vec::new(),
                Some(v) => v
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse().map_err(|_| err("TRUSTED_PROXIES", format!("not an IP address: {s:?}"))))
                    .collect::<Result<_, _>>()?,
            },
            log_format_json: src.get("LOG_FORMAT").map(|v| v.eq_ignore_ascii_case("json")).unwrap_or(false),
        };
        if !(0.0..=10_000.0).contains(&cfg.gps_max_accuracy_m) {
            return Err(err("GPS_MAX_ACCURACY_M", "must be between 0 and 10000 metres"));
        }
        if !(1..=3660).contains(&cfg.report_max_days) {
            return Err(err("REPORT_MAX_DAYS", "must be between 1 and 3660"));
        }
        if cfg.max_leave_days < 1 {
            return Err(err("MAX_LEAVE_DAYS", "must be at least 1"));
        }
        if cfg.jwt_ttl_hours <= 0 {
            return Err(err("JWT_TTL_HOURS", "must be positive"));
        }
        Ok(cfg)
    }

    pub fn tls_enabled(&self) -> bool {
        self.tls_cert.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// Every key this module reads is documented in `.env.example` (as `KEY=` at the start of a line).
    #[test]
    fn every_setting_is_documented_in_env_example() {
        let code = include_str!("config.rs");
        let example = include_str!("../../.env.example");
        let mut keys = std::collections::BTreeSet::new();
        for pat in ["src.get(\"", "src, \""] {
            for part in code.split(pat).skip(1) {
                let key: String = part.chars().take_while(|c| c.is_ascii_uppercase() || *c == '_').collect();
                if key.len() > 2 && part[key.len()..].starts_with('"') {
                    keys.insert(key);
                }
            }
        }
        assert!(keys.len() > 30, "found only {keys:?}");
        let missing: Vec<&String> = keys
            .iter()
            .filter(|k| !example.lines().any(|l| l.trim_start_matches('#').trim_start().starts_with(&format!("{k}="))))
            .collect();
        assert!(missing.is_empty(), "not in .env.example: {missing:?}");
    }

    #[test]
    fn defaults_run_without_any_setting() {
        let cfg = Config::from_source(&src(&[])).unwrap();
        assert_eq!(cfg.database_url, "sqlite://data/absensi.db?mode=rwc");
        assert_eq!(cfg.bind_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(cfg.timezone, chrono_tz::Asia::Jakarta);
        assert_eq!(cfg.office_sites.len(), 1);
        assert_eq!(cfg.office_sites[0].radius_m, 50.0);
        assert!(cfg.geofence_enabled);
    }

    #[test]
    fn production_refuses_default_or_missing_secret() {
        let e = Config::from_source(&src(&[("APP_ENV", "production")])).unwrap_err();
        assert_eq!(e.key, "JWT_SECRET");
        let e =
            Config::from_source(&src(&[("APP_ENV", "production"), ("JWT_SECRET", DEFAULT_JWT_SECRET)])).unwrap_err();
        assert_eq!(e.key, "JWT_SECRET");
        let e = Config::from_source(&src(&[("APP_ENV", "production"), ("JWT_SECRET", "short")])).unwrap_err();
        assert_eq!(e.key, "JWT_SECRET");
        let ok = Config::from_source(&src(&[("APP_ENV", "production"), ("JWT_SECRET", &"x".repeat(40))]));
        assert!(ok.is_ok());
    }

    #[test]
    fn fixed_challenge_only_in_test_env() {
        let e = Config::from_source(&src(&[("LIVENESS_FIXED_CHALLENGE", "BLINK,TURN_LEFT")])).unwrap_err();
        assert_eq!(e.key, "LIVENESS_FIXED_CHALLENGE");
        let cfg =
            Config::from_source(&src(&[("APP_ENV", "test"), ("LIVENESS_FIXED_CHALLENGE", "BLINK,TURN_LEFT")])).unwrap();
        assert_eq!(cfg.liveness_fixed_challenge.as_deref(), Some("BLINK,TURN_LEFT"));
        let e =
            Config::from_source(&src(&[("APP_ENV", "test"), ("LIVENESS_FIXED_CHALLENGE", "BLINK,JUMP")])).unwrap_err();
        assert_eq!(e.key, "LIVENESS_FIXED_CHALLENGE");
    }

    #[test]
    fn bad_values_name_their_key() {
        for (k, v) in [
            ("BIND_ADDR", "nope"),
            ("APP_TIMEZONE", "Mars/Olympus"),
            ("GEOFENCE_ENABLED", "maybe"),
            ("OFFICE_SITES", "Kantor:abc,1,2"),
            ("WORK_DAYS", "Funday"),
            ("DAILY_CLOSE_TIME", "25:00"),
            ("GPS_MAX_ACCURACY_M", "-3"),
            ("REPORT_MAX_DAYS", "0"),
            ("MAX_LEAVE_DAYS", "0"),
            ("REPORT_PDF_MAX_ROWS", "-1"),
            ("IMPORT_MAX_ROWS", "many"),
        ] {
            let e = Config::from_source(&src(&[(k, v)])).unwrap_err();
            assert_eq!(e.key, k, "{k}={v} should be refused");
        }
    }

    #[test]
    fn tls_needs_both_paths() {
        assert!(Config::from_source(&src(&[("TLS_CERT", "a.pem")])).is_err());
        assert!(Config::from_source(&src(&[("TLS_CERT", "a.pem"), ("TLS_KEY", "k.pem")])).unwrap().tls_enabled());
    }
}
