//! Face registration (owner): `POST/GET/DELETE /api/employees/{id}/face`. Frames are analysed in memory
//! and dropped; only the 128-D centroid is stored.
use actix_web::{delete, get, post, web, HttpResponse};
use face_engine::AnalyzeOptions;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

use super::{employees, multipart};
use crate::auth::Owner;
use crate::domain::time::rfc3339_utc;
use crate::entities::{face_encoding, Employee, FaceEncoding};
use crate::error::{AppError, AppResult};
use crate::services::faces::{self, FrameReport, MAX_FRAMES, MIN_FRAMES};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(register).service(status).service(remove);
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FaceStatus {
    pub employee_id: i32,
    pub registered: bool,
    /// Embedding model id of the stored encoding.
    pub model: Option<String>,
    /// When it was registered (UTC).
    pub dibuat: Option<String>,
    /// False when the stored encoding was made by another model: the employee must register again.
    pub usable: bool,
    /// Who confirmed the employee's consent to biometric processing, and when (UTC).
    pub consent_by: Option<String>,
    pub consent_at: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RegistrationOut {
    pub employee_id: i32,
    pub registered: bool,
    pub model: String,
    pub dibuat: Option<String>,
    pub frames: Vec<FrameReport>,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct RegistrationUpload {
    /// 3-10 JPEG/PNG camera frames or photos (frontal plus small head turns), repeated field `frame`.
    #[schema(value_type = Vec<String>, format = Binary)]
    pub frame: Vec<Vec<u8>>,
    /// `true`: the owner confirms the employee consented to biometric processing (UU PDP). Required.
    pub consent: String,
}

/// Register (or replace) an employee's face from several frames. 409 `DUPLICATE_FACE` when the face already
/// belongs to another employee; 422 `FACE_QUALITY` with a per-frame report when too few frames are usable.
#[utoipa::path(tag = "faces", security(("bearer" = []), ("cookie" = [])), params(("id" = i32, Path)),
    request_body(content = RegistrationUpload, content_type = "multipart/form-data"), responses(
    (status = 201, body = RegistrationOut), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody, description = "DUPLICATE_FACE"), (status = 413, body = crate::error::ErrorBody),
    (status = 415, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody, description = "FACE_QUALITY, CONSENT_REQUIRED, VALIDATION")
))]
#[post("/employees/{id}/face")]
pub async fn register(
    state: web::Data<AppState>,
    owner: Owner,
    id: web::Path<i32>,
    payload: multipart::MultipartBody,
) -> AppResult<HttpResponse> {
    let employee = employees::find(&state.db, *id).await?;
    let mut form = multipart::read(payload, multipart::Limits::new(state.config.max_upload_bytes, MAX_FRAMES)).await?;
    if !matches!(form.text("consent").map(str::to_ascii_lowercase).as_deref(), Some("true" | "1" | "on" | "ya")) {
        return Err(AppError::unprocessable(
            "CONSENT_REQUIRED",
            "Centang persetujuan: karyawan telah menyetujui pemrosesan data biometrik wajahnya.",
        ));
    }
    let frames: Vec<Vec<u8>> = form.take_files("frame").into_iter().map(|f| f.bytes).collect();
    if frames.len() < MIN_FRAMES {
        return Err(AppError::validation(
            "frame",
            format!("Kirim {MIN_FRAMES}–{MAX_FRAMES} foto wajah (field `frame`); diterima {}.", frames.len()),
        ));
    }
    let results = state.face.analyze_all(frames, AnalyzeOptions::default()).await;
    if let Some(Err(e)) = results.iter().find(|r| matches!(r, Err(e) if e.status.is_server_error())) {
        return Err(e.clone());
    }
    let enrolment = match faces::enrol(&results) {
        Ok(e) => e,
        Err((e, frames)) => return Err(e.with("frames", serde_json::to_value(frames).map_err(AppError::internal)?)),
    };
    let result = state.face.gallery().search_filtered(&enrolment.template, |other| other != employee.id as i64);
    if let Some((other_id, sim)) = faces::duplicate_of(result, &state.face.policy) {
        let other = Employee::find_by_id(other_id).one(&state.db).await?;
        let (kode, nama) = other.map(|o| (o.kode, o.nama)).unwrap_or_default();
        tracing::warn!(employee_id = employee.id, other_id, similarity = sim, "duplicate face refused");
        return Err(AppError::conflict(
            "DUPLICATE_FACE",
            format!("Wajah ini sudah terdaftar atas nama {nama} ({kode}). Satu orang tidak boleh punya dua akun."),
        )
        .with("employee", json!({"id": other_id, "kode": kode, "nama": nama}))
        .with("similarity", sim));
    }
    let consent = faces::consent_record(owner.id, &owner.email, chrono::Utc::now());
    let saved = faces::store(&state, employee.id, &enrolment.template, Some(consent)).await?;
    let good = enrolment.frames.iter().filter(|f| f.ok).count();
    tracing::info!(
        employee_id = employee.id,
        owner_id = owner.id,
        owner = %owner.email,
        frames_used = good,
        consent = true,
        "face registered with the owner's confirmation of the employee's consent"
    );
    Ok(HttpResponse::Created().json(RegistrationOut {
        employee_id: employee.id,
        registered: true,
        model: state.face.model_id().to_string(),
        dibuat: saved.dibuat.map(rfc3339_utc),
        frames: enrolment.frames,
    }))
}

/// Whether the employee has a registered face, when, and with which model.
#[utoipa::path(tag = "faces", security(("bearer" = []), ("cookie" = [])), params(("id" = i32, Path)), responses(
    (status = 200, body = FaceStatus), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)
))]
#[get("/employees/{id}/face")]
pub async fn status(state: web::Data<AppState>, _owner: Owner, id: web::Path<i32>) -> AppResult<web::Json<FaceStatus>> {
    let employee = employees::find(&state.db, *id).await?;
    let row = FaceEncoding::find().filter(face_encoding::Column::EmployeeId.eq(employee.id)).one(&state.db).await?;
    let out = match row {
        None => FaceStatus {
            employee_id: employee.id,
            registered: false,
            model: None,
            dibuat: None,
            usable: false,
            consent_by: None,
            consent_at: None,
        },
        Some(r) => {
            let text = |v: Option<&serde_json::Value>| v.and_then(|m| m.as_str()).map(str::to_string);
            let consent = r.encoding.get("consent");
            FaceStatus {
                employee_id: employee.id,
                registered: true,
                model: text(r.encoding.get("model")),
                dibuat: r.dibuat.map(rfc3339_utc),
                usable: crate::face_service::parse_stored(&r.encoding, state.face.model_id()).is_ok(),
                consent_by: text(consent.and_then(|c| c.get("confirmed_by"))),
                consent_at: text(consent.and_then(|c| c.get("at"))),
            }
        }
    };
    Ok(web::Json(out))
}

/// Erase the employee's face data (a privacy right); they can no longer check in by face.
#[utoipa::path(tag = "faces", security(("bearer" = []), ("cookie" = [])), params(("id" = i32, Path)), responses(
    (status = 204), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)
))]
#[delete("/employees/{id}/face")]
pub async fn remove(state: web::Data<AppState>, owner: Owner, id: web::Path<i32>) -> AppResult<HttpResponse> {
    let employee = employees::find(&state.db, *id).await?;
    let deleted = faces::delete(&state, employee.id).await?;
    tracing::info!(employee_id = employee.id, owner_id = owner.id, deleted, "face data erased");
    Ok(HttpResponse::NoContent().finish())
}
