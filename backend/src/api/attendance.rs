//! Attendance rows for the owner: list with filters, manual entry (the non-biometric fallback) and manual
//! correction. Every manual change is logged with tracing (target `audit`): who (owner id and email) and
//! what (old -> new); the locked schema has no table for it.
use std::collections::HashMap;

use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{NaiveDate, NaiveTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{validate, Page, PageQuery};
use crate::auth::Owner;
use crate::domain::attendance::{validate_manual, ShiftTimes};
use crate::domain::time::{format_hhmm, local, rfc3339_utc, utc_now_naive};
use crate::entities::{attendance, employee, Attendance, AttendanceStatus, Employee, ShiftSetting};
use crate::error::{AppError, AppResult};
use crate::services::attendance::{shift_times, to_day_status};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list).service(create).service(correct);
}

/// One attendance row as the owner sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttendanceOut {
    pub id: i32,
    pub employee_id: i32,
    pub kode: String,
    pub nama: String,
    #[schema(value_type = String, format = Date, example = "2026-11-24")]
    pub tanggal: NaiveDate,
    /// Local time `HH:MM`.
    #[schema(example = "07:58")]
    pub check_in: Option<String>,
    #[schema(example = "17:05")]
    pub check_out: Option<String>,
    /// `HADIR`, `TERLAMBAT`, `IZIN`, `ALPA` or `DITOLAK`.
    #[schema(example = "HADIR")]
    pub status: String,
    pub latitude: Option<f32>,
    pub longitude: Option<f32>,
    pub liveness_ok: bool,
    pub similarity: Option<f32>,
    /// RFC 3339 UTC.
    pub dibuat: Option<String>,
}

fn out(m: &attendance::Model, emp: Option<&employee::Model>) -> AttendanceOut {
    AttendanceOut {
        id: m.id,
        employee_id: m.employee_id,
        kode: emp.map(|e| e.kode.clone()).unwrap_or_default(),
        nama: emp.map(|e| e.nama.clone()).unwrap_or_default(),
        tanggal: m.tanggal,
        check_in: m.check_in.map(format_hhmm),
        check_out: m.check_out.map(format_hhmm),
        status: m.status.as_str().to_string(),
        latitude: m.latitude,
        longitude: m.longitude,
        liveness_ok: m.liveness_ok.unwrap_or(false),
        similarity: m.similarity,
        dibuat: m.dibuat.map(rfc3339_utc),
    }
}

async fn to_out(db: &DatabaseConnection, rows: &[attendance::Model]) -> AppResult<Vec<AttendanceOut>> {
    let ids: Vec<i32> = rows.iter().map(|r| r.employee_id).collect();
    let emps: HashMap<i32, employee::Model> = if ids.is_empty() {
        HashMap::new()
    } else {
        Employee::find().filter(employee::Column::Id.is_in(ids)).all(db).await?.into_iter().map(|e| (e.id, e)).collect()
    };
    Ok(rows.iter().map(|r| out(r, emps.get(&r.employee_id))).collect())
}

fn parse_status(field: &str, s: &str) -> AppResult<AttendanceStatus> {
    AttendanceStatus::parse(s).ok_or_else(|| {
        AppError::validation(field, "Status harus salah satu dari HADIR, TERLAMBAT, IZIN, ALPA, DITOLAK")
    })
}

fn opt_date(field: &str, label: &str, v: Option<&str>) -> AppResult<Option<NaiveDate>> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => validate::date(field, label, s).map(Some),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttendanceQuery {
    /// First date (`YYYY-MM-DD`, inclusive).
    pub from: Option<String>,
    /// Last date (`YYYY-MM-DD`, inclusive).
    pub to: Option<String>,
    pub employee_id: Option<i32>,
    /// `HADIR`, `TERLAMBAT`, `IZIN`, `ALPA` or `DITOLAK`.
    pub status: Option<String>,
}

/// Attendance rows, newest first (by date, then most recently created), with the employee's kode and nama.
#[utoipa::path(tag = "attendance", security(("bearer" = []), ("cookie" = [])), params(AttendanceQuery, PageQuery), responses(
    (status = 200, body = Page<AttendanceOut>), (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)
))]
#[get("/attendance")]
pub async fn list(
    state: web::Data<AppState>,
    _owner: Owner,
    query: web::Query<AttendanceQuery>,
    page: web::Query<PageQuery>,
) -> AppResult<web::Json<Page<AttendanceOut>>> {
    let (page, per_page) = page.resolve();
    let from = opt_date("from", "Tanggal awal", query.from.as_deref())?;
    let to = opt_date("to", "Tanggal akhir", query.to.as_deref())?;
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(AppError::validation("to", "Tanggal akhir tidak boleh sebelum tanggal awal"));
        }
    }
    let mut select = Attendance::find();
    if let Some(f) = from {
        select = select.filter(attendance::Column::Tanggal.gte(f));
    }
    if let Some(t) = to {
        select = select.filter(attendance::Column::Tanggal.lte(t));
    }
    if let Some(e) = query.employee_id {
        select = select.filter(attendance::Column::EmployeeId.eq(e));
    }
    if let Some(s) = query.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        select = select.filter(attendance::Column::Status.eq(parse_status("status", s)?));
    }
    let paginator = select
        .order_by_desc(attendance::Column::Tanggal)
        .order_by_desc(attendance::Column::Id)
        .paginate(&state.db, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(page - 1).await?;
    let items = to_out(&state.db, &rows).await?;
    Ok(web::Json(Page { items, total, page, per_page }))
}

fn opt_time(field: &str, label: &str, v: Option<&str>) -> AppResult<Option<NaiveTime>> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => validate::time_hhmm(field, label, s).map(Some),
    }
}

async fn employee_shift(db: &DatabaseConnection, e: &employee::Model) -> AppResult<Option<ShiftTimes>> {
    Ok(match e.shift_id {
        Some(sid) => ShiftSetting::find_by_id(sid).one(db).await?.as_ref().map(shift_times),
        None => None,
    })
}

fn check_consistency(
    status: AttendanceStatus,
    check_in: Option<NaiveTime>,
    check_out: Option<NaiveTime>,
    shift: Option<&ShiftTimes>,
) -> AppResult<()> {
    validate_manual(to_day_status(status), check_in, check_out, shift)
        .map_err(|e| AppError::validation(e.field(), e.message()))
}

fn describe(status: AttendanceStatus, ci: Option<NaiveTime>, co: Option<NaiveTime>) -> String {
    let t = |x: Option<NaiveTime>| x.map(|t| t.format("%H:%M:%S").to_string()).unwrap_or_else(|| "-".into());
    format!("{} in={} out={}", status.as_str(), t(ci), t(co))
}

/// Body of `POST /api/attendance`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ManualIn {
    pub employee_id: i32,
    #[schema(example = "2026-11-24")]
    pub tanggal: String,
    #[schema(example = "HADIR")]
    pub status: String,
    /// `HH:MM` (local); required for HADIR and TERLAMBAT, not allowed for IZIN and ALPA.
    #[schema(example = "08:02")]
    pub check_in: Option<String>,
    #[schema(example = "17:00")]
    pub check_out: Option<String>,
}

/// Manual entry by the owner (the non-biometric fallback, e.g. a broken camera). The status is the owner's
/// (not recomputed from the time); `liveness_ok` is false and `similarity` empty. One row per employee and
/// day: an existing row is corrected with PATCH instead (409 `DUPLICATE_ATTENDANCE`).
#[utoipa::path(tag = "attendance", security(("bearer" = []), ("cookie" = [])), request_body = ManualIn, responses(
    (status = 201, body = AttendanceOut), (status = 401, body = crate::error::ErrorBody),
    (status = 409, body = crate::error::ErrorBody, description = "DUPLICATE_ATTENDANCE (error.attendance_id names the row)"),
    (status = 422, body = crate::error::ErrorBody)
))]
#[post("/attendance")]
pub async fn create(state: web::Data<AppState>, owner: Owner, body: web::Json<ManualIn>) -> AppResult<HttpResponse> {
    let emp = Employee::find_by_id(body.employee_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::validation("employee_id", "Karyawan tidak ditemukan"))?;
    let tanggal = validate::date("tanggal", "Tanggal", &body.tanggal)?;
    let today = local(Utc::now(), state.config.timezone).date();
    if tanggal > today {
        return Err(AppError::validation("tanggal", "Tanggal tidak boleh setelah hari ini"));
    }
    let status = parse_status("status", &body.status)?;
    let check_in = opt_time("check_in", "Jam check-in", body.check_in.as_deref())?;
    let check_out = opt_time("check_out", "Jam check-out", body.check_out.as_deref())?;
    let shift = employee_shift(&state.db, &emp).await?;
    check_consistency(status, check_in, check_out, shift.as_ref())?;
    let duplicate = |id: Option<i32>| {
        let e = AppError::conflict(
            "DUPLICATE_ATTENDANCE",
            format!("{} sudah punya catatan absensi pada {tanggal}; koreksi catatan itu.", emp.nama),
        );
        match id {
            Some(id) => e.with("attendance_id", id),
            None => e,
        }
    };
    if let Some(existing) = crate::services::attendance::find_day(&state.db, emp.id, tanggal).await? {
        return Err(duplicate(Some(existing.id)));
    }
    let am = attendance::ActiveModel {
        employee_id: Set(emp.id),
        tanggal: Set(tanggal),
        check_in: Set(check_in),
        check_out: Set(check_out),
        status: Set(status),
        latitude: Set(None),
        longitude: Set(None),
        liveness_ok: Set(Some(false)),
        similarity: Set(None),
        dibuat: Set(Some(utc_now_naive())),
        ..Default::default()
    };
    let m = match am.insert(&state.db).await {
        Ok(m) => m,
        Err(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => {
            return Err(duplicate(None))
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(
        target: "audit",
        owner_id = owner.id, owner_email = %owner.email, attendance_id = m.id, employee_id = emp.id,
        tanggal = %tanggal, old = "-", new = %describe(status, check_in, check_out),
        "attendance entered manually"
    );
    Ok(HttpResponse::Created().json(out(&m, Some(&emp))))
}

/// `null` in JSON is `Some(None)` (clear the value); an absent key is `None` (keep it).
fn double_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Body of `PATCH /api/attendance/{id}`: only the given keys change; `null` clears a time.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct CorrectionIn {
    #[schema(example = "HADIR")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable, example = "08:00")]
    pub check_in: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable, example = "17:00")]
    pub check_out: Option<Option<String>>,
}

/// Manual correction of a row (status, check-in, check-out), validated for consistency and logged (who,
/// old -> new). Changing the status to IZIN or ALPA clears the times unless they are given (then 422).
#[utoipa::path(tag = "attendance", security(("bearer" = []), ("cookie" = [])), params(("id" = i32, Path)),
    request_body = CorrectionIn, responses(
    (status = 200, body = AttendanceOut), (status = 401, body = crate::error::ErrorBody),
    (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)
))]
#[patch("/attendance/{id}")]
pub async fn correct(
    state: web::Data<AppState>,
    owner: Owner,
    id: web::Path<i32>,
    body: web::Json<CorrectionIn>,
) -> AppResult<web::Json<AttendanceOut>> {
    let row =
        Attendance::find_by_id(*id).one(&state.db).await?.ok_or_else(|| AppError::not_found("Catatan absensi"))?;
    if body.status.is_none() && body.check_in.is_none() && body.check_out.is_none() {
        return Err(AppError::validation("status", "Tidak ada perubahan: kirim status, check_in, atau check_out"));
    }
    let status = match body.status.as_deref() {
        Some(s) => parse_status("status", s)?,
        None => row.status,
    };
    let clears_times = matches!(status, AttendanceStatus::Izin | AttendanceStatus::Alpa) && status != row.status;
    let pick = |given: &Option<Option<String>>,
                old: Option<NaiveTime>,
                field: &str,
                label: &str|
     -> AppResult<Option<NaiveTime>> {
        match given {
            Some(v) => opt_time(field, label, v.as_deref()),
            None if clears_times => Ok(None),
            None => Ok(old),
        }
    };
    let check_in = pick(&body.check_in, row.check_in, "check_in", "Jam check-in")?;
    let check_out = pick(&body.check_out, row.check_out, "check_out", "Jam check-out")?;
    let emp = Employee::find_by_id(row.employee_id).one(&state.db).await?;
    let shift = match &emp {
        Some(e) => employee_shift(&state.db, e).await?,
        None => None,
    };
    check_consistency(status, check_in, check_out, shift.as_ref())?;
    let old = describe(row.status, row.check_in, row.check_out);
    let new = describe(status, check_in, check_out);
    let (employee_id, tanggal) = (row.employee_id, row.tanggal);
    let mut am: attendance::ActiveModel = row.into();
    am.status = Set(status);
    am.check_in = Set(check_in);
    am.check_out = Set(check_out);
    let m = am.update(&state.db).await?;
    tracing::info!(
        target: "audit",
        owner_id = owner.id, owner_email = %owner.email, attendance_id = m.id, employee_id, tanggal = %tanggal,
        old = %old, new = %new,
        "attendance corrected manually"
    );
    Ok(web::Json(out(&m, emp.as_ref())))
}
