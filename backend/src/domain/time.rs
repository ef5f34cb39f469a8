//! Time handling: `HH:MM` parsing/formatting and "now" in the configured zone. The server clock decides.
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;

/// Parses `HH:MM` or `HH:MM:SS` (24 h). `SS = 60` is refused: chrono reads it as a leap second, a time no
/// wall clock shows and no database `TIME` holds (MariaDB silently stored `08:00:60` as `00:00:00`).
pub fn parse_hhmm(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    NaiveTime::parse_from_str(s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
        .ok()
        .filter(|t| t.nanosecond() < 1_000_000_000)
}

pub fn format_hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// UTC now without offset, for `dibuat` / `created_at` columns (stored as UTC).
pub fn utc_now_naive() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// Local date and time in `tz` for a UTC instant.
pub fn local(now: DateTime<Utc>, tz: Tz) -> NaiveDateTime {
    now.with_timezone(&tz).naive_local()
}

/// Formats a stored UTC timestamp as RFC 3339 (`2026-11-24T01:02:03Z`).
pub fn rfc3339_utc(t: NaiveDateTime) -> String {
    t.and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hhmm_round_trip_and_rejects() {
        assert_eq!(format_hhmm(parse_hhmm("08:00").unwrap()), "08:00");
        assert_eq!(format_hhmm(parse_hhmm("17:30:59").unwrap()), "17:30");
        for bad in ["8", "24:00", "12:60", "ab:cd", "", "08:00 pm", "08:00:60"] {
            assert!(parse_hhmm(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn local_time_in_jakarta_is_utc_plus_7() {
        let utc = DateTime::parse_from_rfc3339("2026-11-24T23:30:00Z").unwrap().with_timezone(&Utc);
        let l = local(utc, chrono_tz::Asia::Jakarta);
        assert_eq!(l.to_string(), "2026-11-25 06:30:00");
        assert_eq!(rfc3339_utc(utc.naive_utc()), "2026-11-24T23:30:00Z");
    }
}
