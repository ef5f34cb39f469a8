//! Small input validators shared by the handlers (return Indonesian 422 messages naming the field).
use chrono::{NaiveDate, NaiveTime};

use crate::domain::text::{has_forbidden_chars, is_forbidden_char};
use crate::domain::time::{parse_date, parse_hhmm};
use crate::error::{AppError, AppResult};

/// Trims and checks a required text field's length (in characters).
pub fn required_text(field: &str, label: &str, value: &str, max: usize) -> AppResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::validation(field, format!("{label} wajib diisi")));
    }
    if v.chars().count() > max {
        return Err(AppError::validation(field, format!("{label} maksimal {max} karakter")));
    }
    if has_forbidden_chars(v) {
        return Err(AppError::validation(field, format!("{label} berisi karakter yang tidak diizinkan")));
    }
    Ok(v.to_string())
}

pub fn optional_text(field: &str, label: &str, value: Option<&str>, max: usize) -> AppResult<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => required_text(field, label, v, max).map(Some),
    }
}

/// A pragmatic email check: one `@`, a non-empty local part, a dotted domain, no spaces, ≤ 191 chars.
pub fn is_valid_email(s: &str) -> bool {
    if s.len() > 191 || s.chars().any(|c| c.is_whitespace() || is_forbidden_char(c)) {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else { return false };
    if local.is_empty() || domain.contains('@') || local.len() > 64 {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

pub fn optional_email(field: &str, value: Option<&str>) -> AppResult<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if is_valid_email(v) => Ok(Some(v.to_string())),
        Some(_) => Err(AppError::validation(field, "Format email tidak valid")),
    }
}

pub fn time_hhmm(field: &str, label: &str, value: &str) -> AppResult<NaiveTime> {
    parse_hhmm(value).ok_or_else(|| AppError::validation(field, format!("{label} harus berformat JJ:MM (mis. 08:00)")))
}

pub fn date(field: &str, label: &str, value: &str) -> AppResult<NaiveDate> {
    parse_date(value)
        .filter(|d| (1970..=2200).contains(&chrono::Datelike::year(d)))
        .ok_or_else(|| AppError::validation(field, format!("{label} harus berformat TTTT-BB-HH (mis. 2026-11-24)")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in ["a@b.co", "budi.santoso@perusahaan.co.id", "x+y@sub-domain.example.org"] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in ["", "a", "a@b", "@b.co", "a@b..co", "a b@c.co", "a@-b.co", "a@b.co@d.co", "a@b.c_o"] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn text_rules() {
        assert_eq!(required_text("nama", "Nama", "  Budi  ", 10).unwrap(), "Budi");
        assert!(required_text("nama", "Nama", "   ", 10).is_err());
        assert!(required_text("nama", "Nama", "abcdefghijk", 10).is_err());
        assert!(required_text("nama", "Nama", "a\u{0}b", 10).is_err());
        assert_eq!(optional_text("x", "X", Some("  "), 5).unwrap(), None);
        assert!(date("d", "D", "2026-02-30").is_err());
        assert!(date("d", "D", "0001-01-01").is_err());
        assert!(date("d", "D", "2026-02-28").is_ok());
    }
}
