//! File exports: Excel (`xlsx`, rust_xlsxwriter) and PDF (`pdf`, genpdf). Pure writers over rows the
//! services read; they run on a blocking thread, never on the async executor.
use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;

pub mod pdf;
pub mod xlsx;

/// What a report file says about itself.
#[derive(Debug, Clone)]
pub struct ReportMeta {
    pub company: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Local time of generation (in `timezone`).
    pub generated: NaiveDateTime,
    /// `APP_TIMEZONE`: `dibuat` (UTC in the database) is shown in this zone.
    pub timezone: Tz,
    /// Human-readable filter, e.g. `karyawan EMP-001, status ALPA`.
    pub filter_note: Option<String>,
}

impl ReportMeta {
    /// `laporan-absensi-<from>-<to>.<ext>`
    pub fn file_name(&self, ext: &str) -> String {
        format!("laporan-absensi-{}-{}.{ext}", self.from, self.to)
    }
}
