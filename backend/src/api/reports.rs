//! Attendance report (owner): JSON (rows paged, summary complete), or a download as `.xlsx` (streamed,
//! any size up to `REPORT_MAX_DAYS`) or `.pdf` (at most `REPORT_PDF_MAX_ROWS` rows).
use actix_files::NamedFile;
use actix_web::http::header::{ContentDisposition, ContentEncoding, DispositionParam, DispositionType};
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

use super::validate;
use crate::auth::Owner;
use crate::domain::report::{self as rules, PeriodError};
use crate::domain::time::local;
use crate::entities::{AttendanceStatus, Employee};
use crate::error::{AppError, AppResult};
use crate::export::{self, ReportMeta};
use crate::services::reports::{self, ReportFilter, ReportRowOut, SummaryItem};
use crate::state::AppState;
use sea_orm::EntityTrait;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(attendance);
}

/// A downloaded file (binary), for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct BinaryFile(Vec<u8>);

/// `from <= to` and at most `REPORT_MAX_DAYS` days (422 naming the field otherwise).
pub fn check_period(state: &AppState, from: NaiveDate, to: NaiveDate) -> AppResult<()> {
    rules::check_period(from, to, state.config.report_max_days).map_err(|e| match e {
        PeriodError::ToBeforeFrom => AppError::validation("to", "Tanggal akhir tidak boleh sebelum tanggal awal"),
        PeriodError::TooLong { max_days } => {
            AppError::validation("to", format!("Periode laporan maksimal {max_days} hari"))
        }
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First day, `YYYY-MM-DD` (required).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (required; at most `REPORT_MAX_DAYS` days after `from`, default 366).
    pub to: Option<String>,
    pub employee_id: Option<i32>,
    /// `HADIR`, `TERLAMBAT`, `IZIN`, `ALPA` or `DITOLAK`.
    pub status: Option<String>,
    /// `json` (default), `xlsx` or `pdf`.
    pub format: Option<String>,
    /// JSON only: page of `rows`, from 1 (default 1).
    pub page: Option<u64>,
    /// JSON only: rows per page, 1..=5000 (default 1000). `summary` always covers the whole period.
    pub per_page: Option<u64>,
}

/// The JSON report.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReportOut {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Attendance rows ordered by employee name then date (one page of them, see `total_rows`).
    pub rows: Vec<ReportRowOut>,
    /// Per employee with at least one row in the period (and filters), by name.
    pub summary: Vec<SummaryItem>,
    pub total_rows: u64,
    pub page: u64,
    pub per_page: u64,
}

enum Format {
    Json,
    Xlsx,
    Pdf,
}

/// Attendance report for a period, optionally for one employee and/or one status. `format=xlsx` and
/// `format=pdf` answer a download (`Content-Disposition: attachment;
/// filename="laporan-absensi-<from>-<to>.<ext>"`); the xlsx has a detail sheet "Absensi" (real dates and
/// times, frozen header, autofilter) and a "Ringkasan" sheet.
#[utoipa::path(tag = "reports", security(("bearer" = []), ("cookie" = [])), params(ReportQuery), responses(
    (status = 200, description = "JSON report, or the xlsx/pdf file", content(
        (ReportOut = "application/json"),
        (BinaryFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (BinaryFile = "application/pdf"))),
    (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody, description = "No such employee"),
    (status = 422, body = crate::error::ErrorBody, description = "VALIDATION, or REPORT_TOO_LARGE for a PDF over the row limit")
))]
#[get("/reports/attendance")]
pub async fn attendance(
    state: web::Data<AppState>,
    _owner: Owner,
    req: HttpRequest,
    query: web::Query<ReportQuery>,
) -> AppResult<HttpResponse> {
    let from = validate::date("from", "Tanggal awal", query.from.as_deref().unwrap_or(""))?;
    let to = validate::date("to", "Tanggal akhir", query.to.as_deref().unwrap_or(""))?;
    check_period(&state, from, to)?;
    let status = match query.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(AttendanceStatus::parse(s).ok_or_else(|| {
            AppError::validation("status", "Status harus HADIR, TERLAMBAT, IZIN, ALPA, atau DITOLAK")
        })?),
    };
    let format = match query.format.as_deref().map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("json") => Format::Json,
        Some("xlsx") => Format::Xlsx,
        Some("pdf") => Format::Pdf,
        Some(_) => return Err(AppError::validation("format", "Format harus json, xlsx, atau pdf")),
    };
    let mut notes = Vec::new();
    if let Some(id) = query.employee_id {
        let e = Employee::find_by_id(id).one(&state.db).await?.ok_or_else(|| AppError::not_found("Karyawan"))?;
        notes.push(format!("karyawan {} ({})", e.nama, e.kode));
    }
    if let Some(s) = status {
        notes.push(format!("status {}", s.as_str()));
    }
    let filter = ReportFilter { from, to, employee_id: query.employee_id, status };
    let meta = ReportMeta {
        company: state.config.company_name.clone(),
        from,
        to,
        generated: local(Utc::now(), state.config.timezone),
        timezone: state.config.timezone,
        filter_note: (!notes.is_empty()).then(|| notes.join(", ")),
    };
    match format {
        Format::Json => json_report(&state, &query, filter).await,
        Format::Xlsx => xlsx_report(&state, &req, filter, meta).await,
        Format::Pdf => pdf_report(&state, filter, meta).await,
    }
}

async fn json_report(state: &AppState, query: &ReportQuery, filter: ReportFilter) -> AppResult<HttpResponse> {
    let page = query.page.unwrap_or(1).clamp(1, 1_000_000_000);
    let per_page = query.per_page.unwrap_or(1000);
    if !(1..=5000).contains(&per_page) {
        return Err(AppError::validation("per_page", "per_page harus antara 1 dan 5000"));
    }
    let total_rows = reports::count_rows(&state.db, &filter).await?;
    let rows = reports::rows_page(&state.db, &filter, per_page, (page - 1).saturating_mul(per_page)).await?;
    let summary = reports::summary(&state.db, &filter).await?;
    Ok(HttpResponse::Ok().json(ReportOut {
        from: filter.from,
        to: filter.to,
        rows: rows.iter().map(ReportRowOut::from).collect(),
        summary,
        total_rows,
        page,
        per_page,
    }))
}

fn attachment(name: String) -> ContentDisposition {
    ContentDisposition { disposition: DispositionType::Attachment, parameters: vec![DispositionParam::Filename(name)] }
}

async fn xlsx_report(
    state: &AppState,
    req: &HttpRequest,
    filter: ReportFilter,
    meta: ReportMeta,
) -> AppResult<HttpResponse> {
    let started = std::time::Instant::now();
    let (mut file, rows) = reports::export_xlsx(&state.db, &filter, &meta).await?;
    use std::io::Seek;
    file.rewind().map_err(AppError::internal)?;
    let name = meta.file_name("xlsx");
    tracing::info!(rows, ms = started.elapsed().as_millis() as u64, file = %name, "xlsx report written");
    let named = NamedFile::from_file(file, &name)
        .map_err(AppError::internal)?
        .set_content_type(export::xlsx::MIME.parse().expect("valid mime"))
        .set_content_disposition(attachment(name))
        .use_etag(false)
        .use_last_modified(false);
    let mut resp = named.into_response(req);
    // Already zip-compressed: do not gzip it again.
    resp.headers_mut().insert(actix_web::http::header::CONTENT_ENCODING, ContentEncoding::Identity.to_header_value());
    resp.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("private, no-store"),
    );
    Ok(resp)
}

async fn pdf_report(state: &AppState, filter: ReportFilter, meta: ReportMeta) -> AppResult<HttpResponse> {
    let started = std::time::Instant::now();
    let (bytes, pages) = reports::export_pdf(&state.db, state.config.report_pdf_max_rows, &filter, &meta).await?;
    let name = meta.file_name("pdf");
    tracing::info!(pages, bytes = bytes.len(), ms = started.elapsed().as_millis() as u64, file = %name, "pdf report written");
    Ok(HttpResponse::Ok()
        .content_type(export::pdf::MIME)
        .insert_header(attachment(name))
        .insert_header(("Cache-Control", "private, no-store"))
        .body(bytes))
}
