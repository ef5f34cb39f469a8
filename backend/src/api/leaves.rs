//! Leave requests (owner): list, create with an optional proof photo, approve, reject, cancel, and the
//! proof photo itself. Rules and effects on attendance: `services::leaves` and `domain::leave`.
use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use utoipa_actix_web::service_config::ServiceConfig;

use super::{multipart, validate, Page, PageQuery};
use crate::auth::Owner;
use crate::domain::leave::LeaveAction;
use crate::entities::LeaveStatus;
use crate::error::{AppError, AppResult};
use crate::services::leaves::{self, LeaveFilter, LeaveOut, NewLeave};
use crate::state::AppState;
use crate::uploads;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get_one)
        .service(approve)
        .service(reject)
        .service(cancel)
        .service(get_bukti);
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeaveQuery {
    /// `PENDING`, `DISETUJUI` or `DITOLAK`.
    pub status: Option<String>,
    pub employee_id: Option<i32>,
    /// Leaves ending on or after this date (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Leaves starting on or before this date (`YYYY-MM-DD`).
    pub to: Option<String>,
}

/// Leave requests, newest first; filters combine (a leave matches `from`/`to` when it overlaps them).
#[utoipa::path(tag = "leaves", security(("bearer" = []), ("cookie" = [])), params(LeaveQuery, PageQuery), responses(
    (status = 200, body = Page<LeaveOut>), (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)
))]
#[get("/leaves")]
pub async fn list(
    state: web::Data<AppState>,
    _owner: Owner,
    query: web::Query<LeaveQuery>,
    page: web::Query<PageQuery>,
) -> AppResult<web::Json<Page<LeaveOut>>> {
    let (page, per_page) = page.resolve();
    let status = match query.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            LeaveStatus::parse(s)
                .ok_or_else(|| AppError::validation("status", "Status harus PENDING, DISETUJUI, atau DITOLAK"))?,
        ),
    };
    let from = opt_date("from", "Tanggal awal", query.from.as_deref())?;
    let to = opt_date("to", "Tanggal akhir", query.to.as_deref())?;
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(AppError::validation("to", "Tanggal akhir tidak boleh sebelum tanggal awal"));
        }
    }
    let filter = LeaveFilter { status, employee_id: query.employee_id, from, to };
    let (models, total) = leaves::list(&state.db, &filter, page, per_page).await?;
    let items = leaves::to_out(&state.db, &state.config.work_days, &models).await?;
    Ok(web::Json(Page { items, total, page, per_page }))
}

fn opt_date(field: &str, label: &str, v: Option<&str>) -> AppResult<Option<chrono::NaiveDate>> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => validate::date(field, label, s).map(Some),
    }
}

/// Multipart body of `POST /api/leaves`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct LeaveUpload {
    pub employee_id: i32,
    /// `Sakit`, `Izin` or `Cuti`.
    #[schema(example = "Sakit")]
    pub jenis: String,
    /// The reason, without the type prefix (stored as `"<jenis>: <alasan>"`, at most 255 characters).
    #[schema(example = "demam, surat dokter terlampir")]
    pub alasan: String,
    #[schema(value_type = String, format = Date, example = "2026-11-24")]
    pub tanggal_mulai: String,
    #[schema(value_type = String, format = Date, example = "2026-11-25")]
    pub tanggal_selesai: String,
    /// Optional proof photo (JPEG, PNG or WebP, at most 5 MB); re-encoded by the server.
    #[schema(value_type = Option<String>, format = Binary)]
    pub bukti: Option<Vec<u8>>,
}

/// Create a leave request for an employee (status PENDING).
#[utoipa::path(tag = "leaves", security(("bearer" = []), ("cookie" = [])),
    request_body(content = LeaveUpload, content_type = "multipart/form-data"), responses(
    (status = 201, body = LeaveOut), (status = 401, body = crate::error::ErrorBody),
    (status = 404, body = crate::error::ErrorBody, description = "No such employee"),
    (status = 409, body = crate::error::ErrorBody, description = "LEAVE_OVERLAP"),
    (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody, description = "VALIDATION, EMPLOYEE_INACTIVE, INVALID_IMAGE")
))]
#[post("/leaves")]
pub async fn create(
    state: web::Data<AppState>,
    _owner: Owner,
    payload: multipart::MultipartBody,
) -> AppResult<HttpResponse> {
    let max = state.config.max_upload_bytes;
    let mut form = multipart::read(payload, multipart::Limits::new(max, 1)).await?;
    let employee_id = form
        .text("employee_id")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AppError::validation("employee_id", "Karyawan wajib dipilih"))?
        .parse::<i32>()
        .map_err(|_| AppError::validation("employee_id", "employee_id harus berupa angka"))?;
    let jenis = form.text("jenis").unwrap_or("").to_string();
    let keterangan = form.text("alasan").unwrap_or("").to_string();
    let start = validate::date("tanggal_mulai", "Tanggal mulai", form.text("tanggal_mulai").unwrap_or(""))?;
    let end = validate::date("tanggal_selesai", "Tanggal selesai", form.text("tanggal_selesai").unwrap_or(""))?;
    let proof = form.take_files("bukti").pop().map(|f| f.bytes).filter(|b| !b.is_empty());
    let new = NewLeave { employee_id, jenis, keterangan, tanggal_mulai: start, tanggal_selesai: end, bukti: proof };
    let m = leaves::create_leave(&state, new).await?;
    Ok(HttpResponse::Created().json(leaves::out_one(&state, &m).await?))
}

/// One leave request.
#[utoipa::path(tag = "leaves", security(("bearer" = []), ("cookie" = [])), params(("id" = i32, Path)), responses(
    (status = 200, body = LeaveOut), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)
))]
#[get("/leaves/{id}")]
pub async fn get_one(state: web::Data<AppState>, _owner: Owner, id: web::Path<i32>) -> AppResult<web::Json<LeaveOut>> {
    let m = leaves::find(&state.db, *id).await?;
    Ok(web::Json(leaves::out_one(&state, &m).await?))
}

async fn act(state: &AppState, id: i32, action: LeaveAction) -> AppResult<web::Json<LeaveOut>> {
    let (m, _) = leaves::apply_action(state, id, action).await?;
    Ok(web::Json(leaves::out_one(state, &m).await?))
}

/// Approve a pending leave: `IZIN` rows for the work days it covers (real check-ins are kept; `ALPA` and
/// `DITOLAK` days become `IZIN`). Approving an approved leave changes nothing.
#[utoipa::path(tag = "leaves", security(("bearer" = []), ("cookie" = [])), params(("id" = i32, Path)), responses(
    (status = 200, body = LeaveOut), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody, description = "LEAVE_INVALID_STATE (already rejected/cancelled), LEAVE_CHANGED")
))]
#[post("/leaves/{id}/approve")]
pub async fn approve(state: web::Data<AppState>, _owner: Owner, id: web::Path<i32>) -> AppResult<web::Json<LeaveOut>> {
    act(&state, *id, LeaveAction::Approve).await
}

/// Reject a pending leave (status `DITOLAK`). An approved leave is cancelled instead.
#[utoipa::path(tag = "leaves", security(("bearer" = []), ("cookie" = [])), params(("id" = i32, Path)), responses(
    (status = 200, body = LeaveOut), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody, description = "LEAVE_INVALID_STATE (already approved), LEAVE_CHANGED")
))]
#[post("/leaves/{id}/reject")]
pub async fn reject(state: web::Data<AppState>, _owner: Owner, id: web::Path<i32>) -> AppResult<web::Json<LeaveOut>> {
    act(&state, *id, LeaveAction::Reject).await
}

/// Cancel a pending or approved leave. The status becomes `DITOLAK` (the schema has no CANCELLED); for an
/// approved leave its `IZIN` rows without check-in are removed.
#[utoipa::path(tag = "leaves", security(("bearer" = []), ("cookie" = [])), params(("id" = i32, Path)), responses(
    (status = 200, body = LeaveOut), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody, description = "LEAVE_CHANGED")
))]
#[post("/leaves/{id}/cancel")]
pub async fn cancel(state: web::Data<AppState>, _owner: Owner, id: web::Path<i32>) -> AppResult<web::Json<LeaveOut>> {
    act(&state, *id, LeaveAction::Cancel).await
}

/// The proof photo of a leave (JPEG), owner only.
#[utoipa::path(tag = "leaves", security(("bearer" = []), ("cookie" = [])), params(("id" = i32, Path)), responses(
    (status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 401, body = crate::error::ErrorBody),
    (status = 404, body = crate::error::ErrorBody)
))]
#[get("/leaves/{id}/bukti")]
pub async fn get_bukti(state: web::Data<AppState>, _owner: Owner, id: web::Path<i32>) -> AppResult<HttpResponse> {
    let m = leaves::find(&state.db, *id).await?;
    let stored = m.bukti_foto.ok_or_else(|| AppError::not_found("Bukti"))?;
    let bytes = uploads::read_image(&state.config.upload_dir, &stored).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/jpeg")
        .insert_header(("Cache-Control", "private, no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}
