//! Employees CRUD, search and pagination, and the profile photo. Delete deactivates by default; a hard
//! delete is allowed only for an employee without attendance rows.
use std::collections::{HashMap, HashSet};

use actix_web::{delete, get, post, put, web, HttpResponse};
use sea_orm::sea_query::LikeExpr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{multipart, validate, Page, PageQuery};
use crate::auth::Owner;
use crate::domain::time::{rfc3339_utc, utc_now_naive};
use crate::entities::{
    attendance, employee, face_encoding, leave_request, Attendance, Employee, FaceEncoding, LeaveRequest, ShiftSetting,
};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::uploads::{self, UploadKind};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get_one)
        .service(update)
        .service(remove)
        .service(upload_photo)
        .service(get_photo)
        .service(delete_photo);
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EmployeeOut {
    pub id: i32,
    pub kode: String,
    pub nama: String,
    pub email: Option<String>,
    pub shift_id: Option<i32>,
    pub shift_nama: Option<String>,
    pub aktif: bool,
    /// `/api/employees/{id}/photo` when a profile photo exists (owner-only).
    pub foto_url: Option<String>,
    pub face_registered: bool,
    pub dibuat: Option<String>,
}

impl EmployeeOut {
    pub fn new(m: &employee::Model, shift_nama: Option<String>, face_registered: bool) -> Self {
        EmployeeOut {
            id: m.id,
            kode: m.kode.clone(),
            nama: m.nama.clone(),
            email: m.email.clone(),
            shift_id: m.shift_id,
            shift_nama,
            aktif: m.is_active(),
            foto_url: m.foto_profil.as_ref().map(|_| format!("/api/employees/{}/photo", m.id)),
            face_registered,
            dibuat: m.dibuat.map(rfc3339_utc),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct EmployeeIn {
    #[schema(example = "EMP-001")]
    pub kode: String,
    #[schema(example = "Budi Santoso")]
    pub nama: String,
    pub email: Option<String>,
    pub shift_id: Option<i32>,
    /// Default true.
    pub aktif: Option<bool>,
}

pub struct ValidEmployee {
    pub kode: String,
    pub nama: String,
    pub email: Option<String>,
    pub shift_id: Option<i32>,
}

pub fn validate_kode(kode: &str) -> AppResult<String> {
    let kode = validate::required_text("kode", "Kode karyawan", kode, 64)?;
    let ok = kode.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && kode.chars().all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c));
    if !ok {
        return Err(AppError::validation(
            "kode",
            "Kode hanya boleh berisi huruf, angka, titik, garis bawah, tanda hubung, atau garis miring",
        ));
    }
    Ok(kode)
}

/// Validates the fields and that the shift exists.
pub async fn validate_in(
    db: &DatabaseConnection,
    kode: &str,
    nama: &str,
    email: Option<&str>,
    shift_id: Option<i32>,
) -> AppResult<ValidEmployee> {
    let kode = validate_kode(kode)?;
    let nama = validate::required_text("nama", "Nama", nama, 191)?;
    let email = validate::optional_email("email", email)?;
    if let Some(sid) = shift_id {
        if ShiftSetting::find_by_id(sid).one(db).await?.is_none() {
            return Err(AppError::validation("shift_id", "Shift tidak ditemukan"));
        }
    }
    Ok(ValidEmployee { kode, nama, email, shift_id })
}

fn duplicate_kode(kode: &str) -> AppError {
    AppError::conflict("DUPLICATE_KODE", format!("Kode karyawan \"{kode}\" sudah dipakai")).with("field", "kode")
}

/// A `LIKE` pattern matching `text` literally (`\\`, `%` and `_` escaped), `%`-wrapped when `contains`.
/// The escape character is declared (`ESCAPE '\\'`): SQLite has none by default, so without it the
/// escapes themselves would be matched and a search for `budi_s` or `50%` would find nothing.
pub fn like_literal(text: &str, contains: bool) -> LikeExpr {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    LikeExpr::new(if contains { format!("%{escaped}%") } else { escaped }).escape('\\')
}

/// Case-insensitive check first (consistent on SQLite and MySQL); the unique key still decides races.
pub async fn kode_taken(db: &DatabaseConnection, kode: &str, except: Option<i32>) -> AppResult<bool> {
    let found = Employee::find().filter(employee::Column::Kode.like(like_literal(kode, false))).all(db).await?;
    Ok(found.iter().any(|e| e.kode.eq_ignore_ascii_case(kode) && Some(e.id) != except))
}

pub async fn find(db: &DatabaseConnection, id: i32) -> AppResult<employee::Model> {
    Employee::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("Karyawan"))
}

/// Output rows with shift names and face status, in two queries for the whole page.
pub async fn to_out(db: &DatabaseConnection, models: &[employee::Model]) -> AppResult<Vec<EmployeeOut>> {
    let shift_ids: HashSet<i32> = models.iter().filter_map(|m| m.shift_id).collect();
    let shifts: HashMap<i32, String> = if shift_ids.is_empty() {
        HashMap::new()
    } else {
        ShiftSetting::find()
            .filter(crate::entities::shift_setting::Column::Id.is_in(shift_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s.nama))
            .collect()
    };
    let ids: Vec<i32> = models.iter().map(|m| m.id).collect();
    let faces: HashSet<i32> = if ids.is_empty() {
        HashSet::new()
    } else {
        FaceEncoding::find()
            .filter(face_encoding::Column::EmployeeId.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|f| f.employee_id)
            .collect()
    };
    Ok(models
        .iter()
        .map(|m| EmployeeOut::new(m, m.shift_id.and_then(|s| shifts.get(&s).cloned()), faces.contains(&m.id)))
        .collect())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmployeeQuery {
    /// Searches kode, nama and email.
    pub q: Option<String>,
    pub aktif: Option<bool>,
    pub shift_id: Option<i32>,
}

/// Employees, searchable and paginated, ordered by name.
#[utoipa::path(tag = "employees", security(("bearer" = []), ("cookie" = [])), params(EmployeeQuery, PageQuery), responses(
    (status = 200, body = Page<EmployeeOut>), (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)
))]
#[get("/employees")]
pub async fn list(
    state: web::Data<AppState>,
    _owner: Owner,
    query: web::Query<EmployeeQuery>,
    page: web::Query<PageQuery>,
) -> AppResult<web::Json<Page<EmployeeOut>>> {
    let (page, per_page) = page.resolve();
    let mut select = Employee::find();
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        if q.chars().count() > 100 {
            return Err(AppError::validation("q", "Kata kunci terlalu panjang"));
        }
        select = select.filter(
            Condition::any()
                .add(employee::Column::Kode.like(like_literal(q, true)))
                .add(employee::Column::Nama.like(like_literal(q, true)))
                .add(employee::Column::Email.like(like_literal(q, true))),
        );
    }
    if let Some(aktif) = query.aktif {
        select = if aktif {
            select.filter(Condition::any().add(employee::Column::Aktif.eq(true)).add(employee::Column::Aktif.is_null()))
        } else {
            select.filter(employee::Column::Aktif.eq(false))
        };
    }
    if let Some(sid) = query.shift_id {
        select = select.filter(employee::Column::ShiftId.eq(sid));
    }
    let paginator =
        select.order_by_asc(employee::Column::Nama).order_by_asc(employee::Column::Id).paginate(&state.db, per_page);
    let total = paginator.num_items().await?;
    let models = paginator.fetch_page(page - 1).await?;
    let items = to_out(&state.db, &models).await?;
    Ok(web::Json(Page { items, total, page, per_page }))
}

/// Create an employee.
#[utoipa::path(tag = "employees", security(("bearer" = []), ("cookie" = [])), request_body = EmployeeIn, responses(
    (status = 201, body = EmployeeOut), (status = 401, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody, description = "DUPLICATE_KODE"), (status = 422, body = crate::error::ErrorBody)
))]
#[post("/employees")]
pub async fn create(state: web::Data<AppState>, _owner: Owner, body: web::Json<EmployeeIn>) -> AppResult<HttpResponse> {
    let v = validate_in(&state.db, &body.kode, &body.nama, body.email.as_deref(), body.shift_id).await?;
    if kode_taken(&state.db, &v.kode, None).await? {
        return Err(duplicate_kode(&v.kode));
    }
    let am = employee::ActiveModel {
        kode: Set(v.kode.clone()),
        nama: Set(v.nama),
        email: Set(v.email),
        shift_id: Set(v.shift_id),
        aktif: Set(Some(body.aktif.unwrap_or(true))),
        foto_profil: Set(None),
        dibuat: Set(Some(utc_now_naive())),
        ..Default::default()
    };
    let kode = v.kode;
    let m = am.insert(&state.db).await.map_err(|e| {
        AppError::from_db_unique(e, "DUPLICATE_KODE", format!("Kode karyawan \"{kode}\" sudah dipakai"))
    })?;
    let out = to_out(&state.db, std::slice::from_ref(&m)).await?.remove(0);
    Ok(HttpResponse::Created().json(out))
}

/// One employee.
#[utoipa::path(tag = "employees", security(("bearer" = []), ("cookie" = [])), params(("id" = i32, Path)), responses(
    (status = 200, body = EmployeeOut), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)
))]
#[get("/employees/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    _owner: Owner,
    id: web::Path<i32>,
) -> AppResult<web::Json<EmployeeOut>> {
    let m = find(&state.db, *id).await?;
    Ok(web::Json(to_out(&state.db, std::slice::from_ref(&m)).await?.remove(0)))
}

/// Replace an employee's fields (the photo and face data are separate endpoints).
#[utoipa::path(tag = "employees", security(("bearer" = []), ("cookie" = [])), params(("id" = i32, Path)), request_body = EmployeeIn, responses(
    (status = 200, body = EmployeeOut), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)
))]
#[put("/employees/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    _owner: Owner,
    id: web::Path<i32>,
    body: web::Json<EmployeeIn>,
) -> AppResult<web::Json<EmployeeOut>> {
    let existing = find(&state.db, *id).await?;
    let v = validate_in(&state.db, &body.kode, &body.nama, body.email.as_deref(), body.shift_id).await?;
    if kode_taken(&state.db, &v.kode, Some(existing.id)).await? {
        return Err(duplicate_kode(&v.kode));
    }
    let aktif = body.aktif.unwrap_or_else(|| existing.is_active());
    let mut am: employee::ActiveModel = existing.into();
    am.kode = Set(v.kode.clone());
    am.nama = Set(v.nama);
    am.email = Set(v.email);
    am.shift_id = Set(v.shift_id);
    am.aktif = Set(Some(aktif));
    let kode = v.kode;
    let m = am.update(&state.db).await.map_err(|e| {
        AppError::from_db_unique(e, "DUPLICATE_KODE", format!("Kode karyawan \"{kode}\" sudah dipakai"))
    })?;
    Ok(web::Json(to_out(&state.db, std::slice::from_ref(&m)).await?.remove(0)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// `true` deletes the employee for good (only without attendance rows); default deactivates.
    pub hard: Option<bool>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DeleteOut {
    pub deleted: bool,
    pub deactivated: bool,
}

/// Deactivate an employee (default) or delete one that has no attendance (`?hard=true`).
#[utoipa::path(tag = "employees", security(("bearer" = []), ("cookie" = [])), params(("id" = i32, Path), DeleteQuery), responses(
    (status = 200, body = DeleteOut), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody, description = "HAS_ATTENDANCE")
))]
#[delete("/employees/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    _owner: Owner,
    id: web::Path<i32>,
    query: web::Query<DeleteQuery>,
) -> AppResult<web::Json<DeleteOut>> {
    let m = find(&state.db, *id).await?;
    if !query.hard.unwrap_or(false) {
        let mut am: employee::ActiveModel = m.into();
        am.aktif = Set(Some(false));
        am.update(&state.db).await?;
        return Ok(web::Json(DeleteOut { deleted: false, deactivated: true }));
    }
    let n = Attendance::find().filter(attendance::Column::EmployeeId.eq(m.id)).count(&state.db).await?;
    if n > 0 {
        return Err(AppError::conflict(
            "HAS_ATTENDANCE",
            format!("Karyawan ini punya {n} catatan absensi; nonaktifkan saja agar riwayatnya tetap ada."),
        ));
    }
    let txn = state.db.begin().await?;
    let leaves = LeaveRequest::find().filter(leave_request::Column::EmployeeId.eq(m.id)).all(&txn).await?;
    FaceEncoding::delete_many().filter(face_encoding::Column::EmployeeId.eq(m.id)).exec(&txn).await?;
    LeaveRequest::delete_many().filter(leave_request::Column::EmployeeId.eq(m.id)).exec(&txn).await?;
    Employee::delete_by_id(m.id).exec(&txn).await.map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => {
            AppError::conflict("HAS_ATTENDANCE", "Karyawan ini sudah punya catatan absensi; nonaktifkan saja.")
        }
        _ => e.into(),
    })?;
    txn.commit().await?;
    state.face.remove(m.id);
    for f in m.foto_profil.iter().chain(leaves.iter().filter_map(|l| l.bukti_foto.as_ref())) {
        uploads::remove_image(&state.config.upload_dir, f).await;
    }
    Ok(web::Json(DeleteOut { deleted: true, deactivated: false }))
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PhotoUpload {
    /// JPEG, PNG or WebP, at most 5 MB; re-encoded and resized by the server.
    #[schema(value_type = String, format = Binary)]
    pub photo: Vec<u8>,
}

/// Upload or replace the profile photo (multipart field `photo`).
#[utoipa::path(tag = "employees", security(("bearer" = []), ("cookie" = [])), params(("id" = i32, Path)),
    request_body(content = PhotoUpload, content_type = "multipart/form-data"), responses(
    (status = 200, body = EmployeeOut), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
    (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)
))]
#[post("/employees/{id}/photo")]
pub async fn upload_photo(
    state: web::Data<AppState>,
    _owner: Owner,
    id: web::Path<i32>,
    payload: multipart::MultipartBody,
) -> AppResult<web::Json<EmployeeOut>> {
    let m = find(&state.db, *id).await?;
    let max = state.config.max_upload_bytes;
    let mut form = multipart::read(payload, multipart::Limits::new(max, 1)).await?;
    let file = form
        .take_files("photo")
        .pop()
        .ok_or_else(|| AppError::validation("photo", "Berkas foto (field `photo`) wajib dikirim"))?;
    let stored = uploads::store_image(&state.config.upload_dir, UploadKind::Profile, file.bytes, max).await?;
    let old = m.foto_profil.clone();
    let mut am: employee::ActiveModel = m.into();
    am.foto_profil = Set(Some(stored.clone()));
    let m = match am.update(&state.db).await {
        Ok(m) => m,
        Err(e) => {
            uploads::remove_image(&state.config.upload_dir, &stored).await;
            return Err(e.into());
        }
    };
    if let Some(old) = old {
        uploads::remove_image(&state.config.upload_dir, &old).await;
    }
    Ok(web::Json(to_out(&state.db, std::slice::from_ref(&m)).await?.remove(0)))
}

/// The profile photo (JPEG), owner only.
#[utoipa::path(tag = "employees", security(("bearer" = []), ("cookie" = [])), params(("id" = i32, Path)), responses(
    (status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)
))]
#[get("/employees/{id}/photo")]
pub async fn get_photo(state: web::Data<AppState>, _owner: Owner, id: web::Path<i32>) -> AppResult<HttpResponse> {
    let m = find(&state.db, *id).await?;
    let stored = m.foto_profil.ok_or_else(|| AppError::not_found("Foto profil"))?;
    let bytes = uploads::read_image(&state.config.upload_dir, &stored).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/jpeg")
        .insert_header(("Cache-Control", "private, no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}

/// Remove the profile photo.
#[utoipa::path(tag = "employees", security(("bearer" = []), ("cookie" = [])), params(("id" = i32, Path)), responses(
    (status = 204), (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)
))]
#[delete("/employees/{id}/photo")]
pub async fn delete_photo(state: web::Data<AppState>, _owner: Owner, id: web::Path<i32>) -> AppResult<HttpResponse> {
    let m = find(&state.db, *id).await?;
    let Some(stored) = m.foto_profil.clone() else { return Ok(HttpResponse::NoContent().finish()) };
    let mut am: employee::ActiveModel = m.into();
    am.foto_profil = Set(None);
    am.update(&state.db).await?;
    uploads::remove_image(&state.config.upload_dir, &stored).await;
    Ok(HttpResponse::NoContent().finish())
}
