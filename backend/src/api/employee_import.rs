//! Employees to and from Excel (owner): `POST /api/employees/import` (upsert by kode, all-or-nothing,
//! with a dry run) and `GET /api/employees/export` (the same columns, so an export is also the template).
//!
//! Registered before `employees::configure` so that `/employees/export` is not taken for `/employees/{id}`.
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{get, post, web, HttpResponse};
use chrono::Utc;
use sea_orm::{EntityTrait, QueryOrder};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa_actix_web::service_config::ServiceConfig;

use super::multipart;
use crate::auth::Owner;
use crate::domain::time::local;
use crate::entities::{employee, Employee, ShiftSetting};
use crate::error::{AppError, AppResult};
use crate::export;
use crate::services::employee_import::{self, ImportReport};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(import).service(export_xlsx);
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `true` (default): only check and report; `false`: apply (only if no row has an error).
    pub dry_run: Option<bool>,
}

/// Multipart body of the import.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ImportUpload {
    /// `.xlsx` with a header row `kode`, `nama`, `email`, `shift` (shift by name) on the first sheet.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// Import employees from Excel, upserting by `kode`. The dry run (default) reports per-row errors and
/// what would be created/updated; `dry_run=false` applies everything in one transaction, or nothing
/// (422 `IMPORT_INVALID` with `error.errors`) when any row is invalid.
#[utoipa::path(tag = "employees", security(("bearer" = []), ("cookie" = [])), params(ImportQuery),
    request_body(content = ImportUpload, content_type = "multipart/form-data"), responses(
    (status = 200, body = ImportReport), (status = 401, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody, description = "DUPLICATE_KODE (a concurrent change)"),
    (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody, description = "Not an .xlsx"),
    (status = 422, body = crate::error::ErrorBody, description = "INVALID_XLSX, IMPORT_TOO_MANY_ROWS, IMPORT_INVALID")
))]
#[post("/employees/import")]
pub async fn import(
    state: web::Data<AppState>,
    _owner: Owner,
    query: web::Query<ImportQuery>,
    payload: multipart::MultipartBody,
) -> AppResult<web::Json<ImportReport>> {
    let dry_run = query.dry_run.unwrap_or(true);
    let mut form = multipart::read(payload, multipart::Limits::new(state.config.max_upload_bytes, 1)).await?;
    let file = form
        .take_files("file")
        .pop()
        .filter(|f| !f.bytes.is_empty())
        .ok_or_else(|| AppError::validation("file", "Berkas .xlsx (field `file`) wajib dikirim"))?;
    let max_rows = state.config.import_max_rows;
    let (rows, errors) =
        web::block(move || employee_import::read_sheet(&file.bytes, max_rows)).await.map_err(AppError::internal)??;
    Ok(web::Json(employee_import::import(&state.db, rows, errors, dry_run).await?))
}

/// All employees as `.xlsx` (kode, nama, email, shift), by name: the import template, filled.
#[utoipa::path(tag = "employees", security(("bearer" = []), ("cookie" = [])), responses(
    (status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        body = super::reports::BinaryFile),
    (status = 401, body = crate::error::ErrorBody)
))]
#[get("/employees/export")]
pub async fn export_xlsx(state: web::Data<AppState>, _owner: Owner) -> AppResult<HttpResponse> {
    let shifts: HashMap<i32, String> =
        ShiftSetting::find().all(&state.db).await?.into_iter().map(|s| (s.id, s.nama)).collect();
    let lines: Vec<export::xlsx::EmployeeLine> = Employee::find()
        .order_by_asc(employee::Column::Nama)
        .order_by_asc(employee::Column::Id)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|e| {
            let shift = e.shift_id.and_then(|id| shifts.get(&id).cloned());
            (e.kode, e.nama, e.email, shift)
        })
        .collect();
    let company = state.config.company_name.clone();
    let bytes = web::block(move || export::xlsx::employees(&company, &lines))
        .await
        .map_err(AppError::internal)?
        .map_err(|e| AppError::internal(format!("xlsx: {e}")))?;
    let name = format!("data-karyawan-{}.xlsx", local(Utc::now(), state.config.timezone).date());
    Ok(HttpResponse::Ok()
        .content_type(export::xlsx::MIME)
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(name)],
        })
        .insert_header(("Cache-Control", "private, no-store"))
        .body(bytes))
}
