//! JSON shapes of the API (see the team's API contract). Every field the UI does not strictly need has a
//! default, so a backend that adds or omits an optional field does not break the page.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub role: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct LoginResponse {
    pub user: User,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct Shift {
    pub id: i64,
    pub nama: String,
    pub jam_masuk: String,
    pub jam_pulang: String,
    pub toleransi_menit: i64,
    pub aktif: bool,
    pub employee_count: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ShiftInput {
    pub nama: String,
    pub jam_masuk: String,
    pub jam_pulang: String,
    pub toleransi_menit: i64,
    pub aktif: bool,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Employee {
    pub id: i64,
    pub kode: String,
    pub nama: String,
    pub email: Option<String>,
    pub shift_id: Option<i64>,
    pub shift_nama: Option<String>,
    pub aktif: bool,
    pub foto_url: Option<String>,
    pub face_registered: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct EmployeeInput {
    pub kode: String,
    pub nama: String,
    pub email: Option<String>,
    pub shift_id: Option<i64>,
    pub aktif: bool,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct FaceStatus {
    pub registered: bool,
    /// False when the stored encoding was made by another model (register again).
    pub usable: Option<bool>,
    pub model: Option<String>,
    pub dibuat: Option<String>,
    /// Who confirmed the employee's consent to biometric processing, and when.
    pub consent_by: Option<String>,
    pub consent_at: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct FrameReport {
    pub index: usize,
    pub ok: bool,
    pub reasons: Vec<String>,
    pub similarity_to_centroid: Option<f64>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct FaceRegistered {
    pub employee_id: i64,
    pub registered: bool,
    pub model: Option<String>,
    pub frames: Vec<FrameReport>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct EmployeeRef {
    pub id: i64,
    pub kode: String,
    pub nama: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct ImportReport {
    pub dry_run: bool,
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub errors: Vec<ImportError>,
    pub preview: Vec<PlannedRow>,
}

/// What one valid import row does (or would do): `create`, `update` or `unchanged`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct PlannedRow {
    pub row: u64,
    pub kode: String,
    pub nama: String,
    pub action: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct ImportError {
    pub row: u64,
    pub message: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct AttendanceRow {
    pub id: i64,
    pub employee_id: i64,
    pub kode: String,
    pub nama: String,
    pub tanggal: String,
    pub check_in: Option<String>,
    pub check_out: Option<String>,
    pub status: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub liveness_ok: Option<bool>,
    pub similarity: Option<f64>,
    pub dibuat: Option<String>,
    /// Report rows only: minutes after the shift's start (TERLAMBAT) and before its end.
    pub late_minutes: u64,
    pub early_leave_minutes: u64,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Leave {
    pub id: i64,
    pub employee_id: i64,
    pub kode: String,
    pub nama: String,
    pub jenis: String,
    pub alasan: String,
    pub keterangan: String,
    pub tanggal_mulai: String,
    pub tanggal_selesai: String,
    pub hari: Option<i64>,
    pub bukti_url: Option<String>,
    pub status: String,
    pub dibuat: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct StatusCounts {
    #[serde(rename = "HADIR")]
    pub hadir: u64,
    #[serde(rename = "TERLAMBAT")]
    pub terlambat: u64,
    #[serde(rename = "IZIN")]
    pub izin: u64,
    #[serde(rename = "ALPA")]
    pub alpa: u64,
    #[serde(rename = "DITOLAK")]
    pub ditolak: u64,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Summary {
    pub date: String,
    /// Whether `date` is a work day; on other days nobody is expected to check in.
    pub work_day: Option<bool>,
    pub active_employees: u64,
    pub registered_faces: u64,
    pub counts: StatusCounts,
    pub not_checked_in: u64,
    pub pending_leaves: u64,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct TrendDay {
    pub date: String,
    #[serde(flatten)]
    pub counts: StatusCounts,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Trend {
    pub days: Vec<TrendDay>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct LateItem {
    pub employee_id: i64,
    pub kode: String,
    pub nama: String,
    pub late_days: u64,
    pub late_minutes: u64,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct LateRanking {
    pub from: String,
    pub to: String,
    pub items: Vec<LateItem>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Items<T> {
    pub items: Vec<T>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct RecentEvent {
    pub id: i64,
    pub employee_id: i64,
    pub nama: String,
    pub tanggal: String,
    pub check_in: Option<String>,
    pub check_out: Option<String>,
    pub status: String,
    pub dibuat: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct ReportSummary {
    pub employee_id: i64,
    pub kode: String,
    pub nama: String,
    pub hadir: u64,
    pub terlambat: u64,
    pub late_minutes: u64,
    pub early_leave_minutes: u64,
    pub izin: u64,
    pub alpa: u64,
    pub ditolak: u64,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Report {
    pub from: String,
    pub to: String,
    /// One page of rows (`page`, `per_page`) of `total_rows`; the summary covers the whole period.
    pub rows: Vec<AttendanceRow>,
    pub summary: Vec<ReportSummary>,
    pub total_rows: u64,
    pub page: u64,
    pub per_page: u64,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Site {
    pub name: String,
    pub latitude: f64,
    pub longitude: f64,
    pub radius_m: f64,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct KioskConfig {
    pub company_name: String,
    pub geofence_enabled: bool,
    pub gps_max_accuracy_m: f64,
    pub sites: Vec<Site>,
    pub timezone: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Challenge {
    pub token: String,
    pub steps: Vec<String>,
    pub expires_at: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct AttendResult {
    pub employee_id: i64,
    pub nama: String,
    pub similarity: Option<f64>,
    pub liveness_ok: bool,
    pub action: String,
    pub status: String,
    pub time: String,
    pub message: String,
    /// Minutes late, when the backend sends it (not in its OpenAPI yet: then `message` says it).
    pub late_minutes: Option<i64>,
}
