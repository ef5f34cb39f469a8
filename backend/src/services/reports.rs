//! Attendance reports: rows of a period (filtered by employee and status) and the per-employee summary.
//!
//! - The summary is one aggregate query (GROUP BY employee) with late and early-leave minutes computed in SQL.
//! - JSON rows are paged (`LIMIT/OFFSET`, ordered by employee name, employee, date).
//! - Exports stream rows in batches of employees ([`stream_rows`]): each batch reads
//!   `unique_daily_attendance` (`employee_id`, `tanggal`) ranges, so memory stays bounded by the batch size
//!   whatever the period, and the order is the same as the JSON's.
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};
use serde::Serialize;

use super::sqlexpr::{self, stmt};
use crate::domain::report;
use crate::domain::time::{format_hhmm, rfc3339_utc};
use crate::entities::AttendanceStatus;

/// What a report covers.
#[derive(Debug, Clone)]
pub struct ReportFilter {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub employee_id: Option<i32>,
    pub status: Option<AttendanceStatus>,
}

impl ReportFilter {
    /// ` AND ...` conditions on `a` and their values (after the two dates).
    fn conditions(&self) -> (String, Vec<Value>) {
        let mut sql = String::from("a.tanggal BETWEEN ? AND ?");
        let mut values: Vec<Value> = vec![self.from.into(), self.to.into()];
        if let Some(e) = self.employee_id {
            sql.push_str(" AND a.employee_id = ?");
            values.push(e.into());
        }
        if let Some(s) = self.status {
            sql.push_str(" AND a.status = ?");
            values.push(s.as_str().into());
        }
        (sql, values)
    }
}

/// One attendance row of a report, with its employee and the employee's (current) shift.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ReportRow {
    pub id: i32,
    pub employee_id: i32,
    pub kode: String,
    pub nama: String,
    pub shift_nama: Option<String>,
    pub jam_masuk: Option<NaiveTime>,
    pub jam_pulang: Option<NaiveTime>,
    pub tanggal: NaiveDate,
    pub check_in: Option<NaiveTime>,
    pub check_out: Option<NaiveTime>,
    pub status: String,
    pub latitude: Option<f32>,
    pub longitude: Option<f32>,
    pub liveness_ok: Option<bool>,
    pub similarity: Option<f32>,
    pub dibuat: Option<NaiveDateTime>,
}

impl ReportRow {
    pub fn status_enum(&self) -> Option<AttendanceStatus> {
        AttendanceStatus::parse(&self.status)
    }

    pub fn late_minutes(&self) -> i64 {
        self.status_enum().map_or(0, |s| report::late_minutes(s, self.check_in, self.jam_masuk))
    }

    pub fn early_leave_minutes(&self) -> i64 {
        let shift = self.jam_masuk.zip(self.jam_pulang);
        self.status_enum().map_or(0, |s| report::early_leave_minutes(s, self.check_out, shift))
    }
}

/// A report row as JSON: the attendance row shape of the API plus the computed minutes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportRowOut {
    pub id: i32,
    pub employee_id: i32,
    pub kode: String,
    pub nama: String,
    pub tanggal: NaiveDate,
    /// `HH:MM`
    pub check_in: Option<String>,
    /// `HH:MM`
    pub check_out: Option<String>,
    pub status: String,
    pub latitude: Option<f32>,
    pub longitude: Option<f32>,
    pub liveness_ok: Option<bool>,
    pub similarity: Option<f32>,
    pub dibuat: Option<String>,
    pub late_minutes: i64,
    pub early_leave_minutes: i64,
}

impl From<&ReportRow> for ReportRowOut {
    fn from(r: &ReportRow) -> Self {
        ReportRowOut {
            id: r.id,
            employee_id: r.employee_id,
            kode: r.kode.clone(),
            nama: r.nama.clone(),
            tanggal: r.tanggal,
            check_in: r.check_in.map(format_hhmm),
            check_out: r.check_out.map(format_hhmm),
            status: r.status.clone(),
            latitude: r.latitude,
            longitude: r.longitude,
            liveness_ok: r.liveness_ok,
            similarity: r.similarity,
            dibuat: r.dibuat.map(rfc3339_utc),
            late_minutes: r.late_minutes(),
            early_leave_minutes: r.early_leave_minutes(),
        }
    }
}

/// Per-employee totals of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromQueryResult, utoipa::ToSchema)]
pub struct SummaryItem {
    pub employee_id: i32,
    pub kode: String,
    pub nama: String,
    pub hadir: i64,
    pub terlambat: i64,
    pub late_minutes: i64,
    pub early_leave_minutes: i64,
    pub izin: i64,
    pub alpa: i64,
    pub ditolak: i64,
}

const ROW_SELECT: &str = "SELECT a.id AS id, a.employee_id AS employee_id, e.kode AS kode, e.nama AS nama, \
    s.nama AS shift_nama, s.jam_masuk AS jam_masuk, s.jam_pulang AS jam_pulang, a.tanggal AS tanggal, \
    a.check_in AS check_in, a.check_out AS check_out, a.status AS status, a.latitude AS latitude, \
    a.longitude AS longitude, a.liveness_ok AS liveness_ok, a.similarity AS similarity, a.dibuat AS dibuat \
    FROM attendances a JOIN employees e ON e.id = a.employee_id LEFT JOIN shift_settings s ON s.id = e.shift_id";

/// Employees with at least one row, by name (the summary), in one aggregate query.
pub async fn summary(db: &impl ConnectionTrait, f: &ReportFilter) -> Result<Vec<SummaryItem>, DbErr> {
    let be = db.get_database_backend();
    let count = |status: &str| sqlexpr::int(be, &format!("SUM(CASE WHEN a.status = '{status}' THEN 1 ELSE 0 END)"));
    let (cond, values) = f.conditions();
    let sql = format!(
        "SELECT a.employee_id AS employee_id, e.kode AS kode, e.nama AS nama, {} AS hadir, {} AS terlambat, \
           {} AS late_minutes, {} AS early_leave_minutes, {} AS izin, {} AS alpa, {} AS ditolak \
         FROM attendances a JOIN employees e ON e.id = a.employee_id \
           LEFT JOIN shift_settings s ON s.id = e.shift_id \
         WHERE {cond} GROUP BY a.employee_id, e.kode, e.nama ORDER BY e.nama, a.employee_id",
        count("HADIR"),
        count("TERLAMBAT"),
        sqlexpr::int(be, &format!("COALESCE(SUM({}), 0)", sqlexpr::late_minutes(be))),
        sqlexpr::int(be, &format!("COALESCE(SUM({}), 0)", sqlexpr::early_leave_minutes(be))),
        count("IZIN"),
        count("ALPA"),
        count("DITOLAK"),
    );
    SummaryItem::find_by_statement(stmt(be, sql, values)).all(db).await
}

#[derive(FromQueryResult)]
struct N {
    n: i64,
}

/// Number of rows the filter selects.
pub async fn count_rows(db: &impl ConnectionTrait, f: &ReportFilter) -> Result<u64, DbErr> {
    let (cond, values) = f.conditions();
    let sql = format!("SELECT COUNT(*) AS n FROM attendances a WHERE {cond}");
    let n = N::find_by_statement(stmt(db.get_database_backend(), sql, values)).one(db).await?;
    Ok(n.map_or(0, |n| n.n as u64))
}

/// One page of rows, ordered by employee name, employee id, date.
pub async fn rows_page(
    db: &impl ConnectionTrait,
    f: &ReportFilter,
    limit: u64,
    offset: u64,
) -> Result<Vec<ReportRow>, DbErr> {
    let (cond, mut values) = f.conditions();
    values.push((limit as i64).into());
    values.push((offset as i64).into());
    let sql = format!("{ROW_SELECT} WHERE {cond} ORDER BY e.nama, a.employee_id, a.tanggal LIMIT ? OFFSET ?");
    ReportRow::find_by_statement(stmt(db.get_database_backend(), sql, values)).all(db).await
}

/// Employees per batch when streaming rows: at most this many × the period's days rows are in memory.
pub const STREAM_EMPLOYEES_PER_BATCH: usize = 40;

#[derive(FromQueryResult)]
struct EmpId {
    id: i32,
}

/// Streams every row of the filter, in the JSON order, as batches handed to `sink` (awaited one at a time:
/// a bounded channel to a writer thread gives back-pressure). Returns the number of rows.
pub async fn stream_rows<F, Fut>(db: &impl ConnectionTrait, f: &ReportFilter, mut sink: F) -> Result<u64, DbErr>
where
    F: FnMut(Vec<ReportRow>) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let be = db.get_database_backend();
    // Employees that have rows in the period, by name: small (one row per employee).
    let (cond, values) = f.conditions();
    let sql = format!(
        "SELECT e.id AS id FROM employees e WHERE EXISTS (SELECT 1 FROM attendances a WHERE a.employee_id = e.id \
         AND {cond}) ORDER BY e.nama, e.id"
    );
    let ids: Vec<i32> =
        EmpId::find_by_statement(stmt(be, sql, values)).all(db).await?.into_iter().map(|r| r.id).collect();
    let mut total = 0u64;
    for chunk in ids.chunks(STREAM_EMPLOYEES_PER_BATCH) {
        let (cond, mut values) = f.conditions();
        let marks = vec!["?"; chunk.len()].join(", ");
        values.extend(chunk.iter().map(|id| Value::from(*id)));
        let sql = format!("{ROW_SELECT} WHERE {cond} AND a.employee_id IN ({marks}) ORDER BY a.employee_id, a.tanggal");
        let mut rows = ReportRow::find_by_statement(stmt(be, sql, values)).all(db).await?;
        // Back into name order (the query is in id order).
        let pos = |id: i32| chunk.iter().position(|x| *x == id).unwrap_or(usize::MAX);
        rows.sort_by_key(|r| (pos(r.employee_id), r.tanggal));
        total += rows.len() as u64;
        if !sink(rows).await {
            break;
        }
    }
    Ok(total)
}
