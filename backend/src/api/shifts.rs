//! Shift settings CRUD. `nama` is unique (409 `DUPLICATE_NAMA`); a shift used by employees cannot be
//! deleted (409 `SHIFT_IN_USE`: move the employees or set `aktif=false` instead).
use std::collections::HashMap;

use actix_web::{delete, get, post, put, web, HttpResponse};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

use super::validate;
use crate::auth::Owner;
use crate::domain::time::{format_hhmm, rfc3339_utc, utc_now_naive};
use crate::entities::{employee, shift_setting, Employee, ShiftSetting};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list).service(create).service(get_one).service(update).service(remove);
}

pub const DEFAULT_TOLERANCE_MIN: i32 = 5;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ShiftOut {
    pub id: i32,
    pub nama: String,
    /// `HH:MM`
    #[schema(example = "08:00")]
    pub jam_masuk: String,
    /// `HH:MM` (earlier than `jam_masuk` for a night shift)
    #[schema(example = "17:00")]
    pub jam_pulang: String,
    pub toleransi_menit: i32,
    pub aktif: bool,
    pub dibuat: Option<String>,
    /// Employees assigned to this shift.
    pub employee_count: u64,
}

impl ShiftOut {
    fn new(m: &shift_setting::Model, employee_count: u64) -> Self {
        ShiftOut {
            id: m.id,
            nama: m.nama.clone(),
            jam_masuk: format_hhmm(m.jam_masuk),
            jam_pulang: format_hhmm(m.jam_pulang),
            toleransi_menit: m.toleransi_menit.unwrap_or(DEFAULT_TOLERANCE_MIN),
            aktif: m.aktif.unwrap_or(true),
            dibuat: m.dibuat.map(rfc3339_utc),
            employee_count,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ShiftIn {
    #[schema(example = "Pagi")]
    pub nama: String,
    #[schema(example = "08:00")]
    pub jam_masuk: String,
    #[schema(example = "17:00")]
    pub jam_pulang: String,
    /// Minutes of tolerance before a check-in is late, 0..=240 (default 5).
    pub toleransi_menit: Option<i32>,
    /// Default true.
    pub aktif: Option<bool>,
}

struct ValidShift {
    nama: String,
    jam_masuk: chrono::NaiveTime,
    jam_pulang: chrono::NaiveTime,
    toleransi: i32,
    aktif: bool,
}

fn validate_in(body: &ShiftIn) -> AppResult<ValidShift> {
    let nama = validate::required_text("nama", "Nama shift", &body.nama, 64)?;
    let jam_masuk = validate::time_hhmm("jam_masuk", "Jam masuk", &body.jam_masuk)?;
    let jam_pulang = validate::time_hhmm("jam_pulang", "Jam pulang", &body.jam_pulang)?;
    if jam_masuk == jam_pulang {
        return Err(AppError::validation("jam_pulang", "Jam pulang tidak boleh sama dengan jam masuk"));
    }
    let toleransi = body.toleransi_menit.unwrap_or(DEFAULT_TOLERANCE_MIN);
    if !(0..=240).contains(&toleransi) {
        return Err(AppError::validation("toleransi_menit", "Toleransi harus antara 0 dan 240 menit"));
    }
    Ok(ValidShift { nama, jam_masuk, jam_pulang, toleransi, aktif: body.aktif.unwrap_or(true) })
}

fn duplicate_nama(nama: &str) -> AppError {
    AppError::conflict("DUPLICATE_NAMA", format!("Shift dengan nama \"{nama}\" sudah ada")).with("field", "nama")
}

/// Case-insensitive uniqueness (MySQL's collation is; SQLite's is not), before the unique key decides.
async fn nama_taken(db: &DatabaseConnection, nama: &str, except: Option<i32>) -> AppResult<bool> {
    let lower = nama.to_lowercase();
    let all = ShiftSetting::find().all(db).await?;
    Ok(all.iter().any(|s| s.nama.to_lowercase() == lower && Some(s.id) != except))
}

#[derive(FromQueryResult)]
struct ShiftCount {
    shift_id: Option<i32>,
    n: i64,
}

async fn employee_counts(db: &DatabaseConnection) -> AppResult<HashMap<i32, u64>> {
    let rows = Employee::find()
        .select_only()
        .column(employee::Column::ShiftId)
        .column_as(employee::Column::Id.count(), "n")
        .filter(employee::Column::ShiftId.is_not_null())
        .group_by(employee::Column::ShiftId)
        .into_model::<ShiftCount>()
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|r| r.shift_id.map(|id| (id, r.n as u64))).collect())
}

pub async fn find(db: &DatabaseConnection, id: i32) -> AppResult<shift_setting::Model> {
    ShiftSetting::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("Shift"))
}

/// All shifts, by name.
#[utoipa::path(tag = "shifts", security(("bearer" = []), ("cookie" = [])), responses(
    (status = 200, body = [ShiftOut]), (status = 401, body = crate::error::ErrorBody)
))]
#[get("/shifts")]
pub async fn list(state: web::Data<AppState>, _owner: Owner) -> AppResult<web::Json<Vec<ShiftOut>>> {
    let shifts = ShiftSetting::find().order_by_asc(shift_setting::Column::Nama).all(&state.db).await?;
    let counts = employee_counts(&state.db).await?;
    Ok(web::Json(shifts.iter().map(|s| ShiftOut::new(s, counts.get(&s.id).copied().unwrap_or(0))).collect()))
}

/// Create a shift.
#[utoipa::path(tag = "shifts", security(("bearer" = []), ("cookie" = [])), request_body = ShiftIn, responses(
    (status = 201, body = ShiftOut), (status = 401, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody, description = "DUPLICATE_NAMA"),
    (status = 422, body = crate::error::ErrorBody)
))]
#[post("/shifts")]
pub async fn create(state: web::Data<AppState>, _owner: Owner, body: web::Json<ShiftIn>) -> AppResult<HttpResponse> {
    let v = validate_in(&body)?;
    if nama_taken(&state.db, &v.nama, None).await? {
        return Err(duplicate_nama(&v.nama));
    }
    let am = shift_setting::ActiveModel {
        nama: Set(v.nama.clone()),
        jam_masuk: Set(v.jam_masuk),
        jam_pulang: Set(v.jam_pulang),
        toleransi_menit: Set(Some(v.toleransi)),
        aktif: Set(Some(v.aktif)),
        dibuat: Set(Some(utc_now_naive())),
        ..Default::default()
    };
    let m = am
        .insert(&state.db)
        .await
        .map_err(|e| AppError::from_db_unique(e, "DUPLICATE_NAMA", "Nama shift sudah ada"))?;
    Ok(HttpResponse::Created().json(ShiftOut::new(&m, 0)))
}

/// One shift.
#[utoipa::path(tag = "shifts", security(("bearer" = []), ("cookie" = [])), params(("id" = i32, Path)), responses(
    (status = 200, body = ShiftOut), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)
))]
#[get("/shifts/{id}")]
pub async fn get_one(state: web::Data<AppState>, _owner: Owner, id: web::Path<i32>) -> AppResult<web::Json<ShiftOut>> {
    let m = find(&state.db, *id).await?;
    let n = Employee::find().filter(employee::Column::ShiftId.eq(m.id)).count(&state.db).await?;
    Ok(web::Json(ShiftOut::new(&m, n)))
}

/// Replace a shift's settings.
#[utoipa::path(tag = "shifts", security(("bearer" = []), ("cookie" = [])), params(("id" = i32, Path)), request_body = ShiftIn, responses(
    (status = 200, body = ShiftOut), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)
))]
#[put("/shifts/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    _owner: Owner,
    id: web::Path<i32>,
    body: web::Json<ShiftIn>,
) -> AppResult<web::Json<ShiftOut>> {
    let existing = find(&state.db, *id).await?;
    let v = validate_in(&body)?;
    if nama_taken(&state.db, &v.nama, Some(existing.id)).await? {
        return Err(duplicate_nama(&v.nama));
    }
    let mut am: shift_setting::ActiveModel = existing.into();
    am.nama = Set(v.nama);
    am.jam_masuk = Set(v.jam_masuk);
    am.jam_pulang = Set(v.jam_pulang);
    am.toleransi_menit = Set(Some(v.toleransi));
    am.aktif = Set(Some(v.aktif));
    let m = am
        .update(&state.db)
        .await
        .map_err(|e| AppError::from_db_unique(e, "DUPLICATE_NAMA", "Nama shift sudah ada"))?;
    let n = Employee::find().filter(employee::Column::ShiftId.eq(m.id)).count(&state.db).await?;
    Ok(web::Json(ShiftOut::new(&m, n)))
}

/// Delete an unused shift (409 `SHIFT_IN_USE` while employees are assigned to it).
#[utoipa::path(tag = "shifts", security(("bearer" = []), ("cookie" = [])), params(("id" = i32, Path)), responses(
    (status = 204), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody, description = "SHIFT_IN_USE")
))]
#[delete("/shifts/{id}")]
pub async fn remove(state: web::Data<AppState>, _owner: Owner, id: web::Path<i32>) -> AppResult<HttpResponse> {
    let m = find(&state.db, *id).await?;
    let n = Employee::find().filter(employee::Column::ShiftId.eq(m.id)).count(&state.db).await?;
    if n > 0 {
        return Err(AppError::conflict(
            "SHIFT_IN_USE",
            format!(
                "Shift \"{}\" masih dipakai oleh {n} karyawan. Pindahkan karyawan atau nonaktifkan shift ini.",
                m.nama
            ),
        )
        .with("employee_count", n));
    }
    // The foreign key refuses the delete if an employee was assigned meanwhile (mapped to 409).
    ShiftSetting::delete_by_id(m.id).exec(&state.db).await.map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => {
            AppError::conflict("SHIFT_IN_USE", "Shift masih dipakai oleh karyawan.")
        }
        _ => e.into(),
    })?;
    Ok(HttpResponse::NoContent().finish())
}
