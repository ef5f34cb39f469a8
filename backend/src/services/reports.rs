//! Attendance reports: rows of a period (filtered by employee and status) and the per-employee summary.
//!
//! - The summary is one aggregate query (GROUP BY employee) with late and early-leave minutes computed in SQL.
//! - JSON rows are paged (`LIMIT/OFFSET`, ordered by employee name, employee, date).
//! - Exports stream rows in batches of employees ([`stream_rows`]): each batch reads
//!   `unique_daily_attendance` (`employee_id`, `tanggal`) ranges, so memory stays bounded by the batch size
//!   whatever the period, and the order is the same as the JSON's.
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, FromQueryResult, Value};
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::export::{self, ReportMeta};

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
        self.status_enum().map_or(0, |s| report::late_minutes(s, self.check_in, self.jam_masuk.zip(self.jam_pulang)))
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
    let join = sqlexpr::attendance_join(be);
    let sql = format!(
        "SELECT a.employee_id AS employee_id, e.kode AS kode, e.nama AS nama, {} AS hadir, {} AS terlambat, \
           {} AS late_minutes, {} AS early_leave_minutes, {} AS izin, {} AS alpa, {} AS ditolak \
         FROM attendances a {join} employees e ON e.id = a.employee_id \
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

/// Writes the .xlsx report: rows are streamed into a constant-memory workbook on a blocking thread
/// (batches through a channel of two, so the database never runs far ahead of the writer), into an unnamed
/// temporary file that disappears when closed. Returns the file (positioned at its end) and the row count.
pub async fn export_xlsx(
    db: &DatabaseConnection,
    filter: &ReportFilter,
    meta: &ReportMeta,
) -> AppResult<(std::fs::File, u64)> {
    let summary = summary(db, filter).await?;
    let file =
        actix_web::web::block(tempfile::tempfile).await.map_err(AppError::internal)?.map_err(AppError::internal)?;
    let out = file.try_clone().map_err(AppError::internal)?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<ReportRow>>(2);
    let meta2 = meta.clone();
    let writer = actix_web::web::block(move || {
        let batches = std::iter::from_fn(|| rx.blocking_recv());
        export::xlsx::write_attendance_report(&meta2, batches, &summary, &out)
    });
    let streamed = stream_rows(db, filter, |batch| {
        let tx = tx.clone();
        async move { tx.send(batch).await.is_ok() }
    })
    .await;
    drop(tx);
    let written = writer.await.map_err(AppError::internal)?.map_err(|e| AppError::internal(format!("xlsx: {e}")))?;
    let streamed = streamed?;
    if streamed != written {
        return Err(AppError::internal(format!("xlsx: {streamed} rows read but {written} written")));
    }
    Ok((file, written))
}

/// PDF layout is held in memory (~2 MB per page in genpdf/printpdf): one PDF is rendered at a time, the
/// next request waits for its turn, so concurrent downloads cannot multiply the peak.
static PDF_SLOT: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| tokio::sync::Semaphore::new(1));

/// Renders the PDF report, refusing (422 `REPORT_TOO_LARGE`) more than `max_rows` table lines (detail rows
/// plus summary rows): genpdf lays out the whole document in memory. Returns the bytes and the page count.
pub async fn export_pdf(
    db: &DatabaseConnection,
    max_rows: u64,
    filter: &ReportFilter,
    meta: &ReportMeta,
) -> AppResult<(Vec<u8>, usize)> {
    let too_large = |detail: u64, summary: u64| {
        AppError::unprocessable(
            "REPORT_TOO_LARGE",
            format!(
                "Laporan ini berisi {} baris ({detail} baris absensi + {summary} baris ringkasan); PDF dibatasi \
                 {max_rows} baris. Unduh format Excel (.xlsx) atau persempit periode, karyawan, atau status.",
                detail + summary
            ),
        )
        .with("rows", detail + summary)
        .with("max_rows", max_rows)
    };
    let n = count_rows(db, filter).await?;
    if n > max_rows {
        return Err(too_large(n, 0));
    }
    let summary = summary(db, filter).await?;
    if n + summary.len() as u64 > max_rows {
        return Err(too_large(n, summary.len() as u64));
    }
    let _slot = PDF_SLOT.acquire().await.map_err(AppError::internal)?;
    let mut rows: Vec<ReportRow> = Vec::with_capacity(n as usize);
    let mut over = false;
    stream_rows(db, filter, |batch| {
        rows.extend(batch);
        over = (rows.len() + summary.len()) as u64 > max_rows;
        let go_on = !over;
        async move { go_on }
    })
    .await?;
    if over {
        return Err(too_large(rows.len() as u64, summary.len() as u64));
    }
    let meta = meta.clone();
    actix_web::web::block(move || export::pdf::render_attendance_report(&meta, &rows, &summary))
        .await
        .map_err(AppError::internal)?
        .map_err(|e| AppError::internal(format!("pdf: {e}")))
}
