//! Leave requests (izin, sakit, cuti): creation (by the owner, or by the employee at the kiosk after face
//! and liveness verification), approval, rejection and cancellation, and their effect on attendance rows.
//! The rules are in `domain::leave`; this module does the database work, each change in one transaction.
//!
//! - Approve: `IZIN` rows for the work days covered (`WORK_DAYS`). Days with a real check-in
//!   (`HADIR`/`TERLAMBAT`) and existing `IZIN` rows are kept; `ALPA` and `DITOLAK` rows become `IZIN` (a
//!   retroactive sick note must turn the day's ALPA into IZIN). Inserts ignore rows that appear meanwhile
//!   (`unique_daily_attendance`), so a concurrent check-in wins and approval never fails because of it.
//! - Cancel: a pending or approved leave becomes `DITOLAK` (the locked enum has no CANCELLED); for an
//!   approved one, the `IZIN` rows without check-in inside its range are deleted. Past days that had been
//!   `ALPA` are therefore empty again: `close-day --date` marks them `ALPA` once more if needed.
//! - Reject: only from PENDING.
//!
//! Concurrency: creation serialises per employee (a no-op `UPDATE` of the employee row takes the row lock on
//! MariaDB and the write lock on SQLite before the overlap check); status changes are compare-and-set
//! updates (`... WHERE status = <the status we read>`), so two owners clicking at once cannot both win.
use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::prelude::Expr;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::Serialize;

use crate::domain::leave::{self, AlasanError, DayPlan, Effect, LeaveAction, LeaveKind, RangeError};
use crate::domain::time::{local, rfc3339_utc, utc_now_naive};
use crate::domain::workdays::WorkDays;
use crate::entities::{
    attendance, employee, leave_request, Attendance, AttendanceStatus, Employee, LeaveRequest, LeaveStatus,
};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::uploads::{self, UploadKind};

/// A leave request to create. `keterangan` is the reason without the type prefix; the stored `alasan` is
/// `"<Jenis>: <keterangan>"` (at most 255 characters in total).
#[derive(Debug, Clone)]
pub struct NewLeave {
    pub employee_id: i32,
    /// `Sakit`, `Izin` or `Cuti` (case-insensitive).
    pub jenis: String,
    pub keterangan: String,
    pub tanggal_mulai: NaiveDate,
    pub tanggal_selesai: NaiveDate,
    /// Proof photo (JPEG/PNG/WebP); sniffed, re-encoded and stored under `UPLOAD_DIR/leaves`.
    pub bukti: Option<Vec<u8>>,
}

/// A leave request as the API shows it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct LeaveOut {
    pub id: i32,
    pub employee_id: i32,
    pub kode: String,
    pub nama: String,
    /// `Sakit`, `Izin` or `Cuti` (the prefix of `alasan`; `Izin` for rows stored without a known prefix).
    #[schema(example = "Cuti")]
    pub jenis: String,
    /// Full stored text, with the prefix.
    #[schema(example = "Cuti: liburan keluarga")]
    pub alasan: String,
    /// The text after the prefix.
    #[schema(example = "liburan keluarga")]
    pub keterangan: String,
    pub tanggal_mulai: NaiveDate,
    pub tanggal_selesai: NaiveDate,
    /// Work days (`WORK_DAYS`) covered by the leave.
    pub hari: u32,
    /// `/api/leaves/{id}/bukti` when a proof photo exists (owner only).
    pub bukti_url: Option<String>,
    /// `PENDING`, `DISETUJUI` or `DITOLAK` (a cancelled leave is `DITOLAK`).
    #[schema(example = "PENDING")]
    pub status: String,
    pub dibuat: Option<String>,
}

/// Builds the API view of a leave. `emp` is its employee (kode and nama are empty if it is missing).
pub fn leave_out(m: &leave_request::Model, emp: Option<&employee::Model>, work_days: &WorkDays) -> LeaveOut {
    let (kind, keterangan) = leave::split_alasan(&m.alasan);
    LeaveOut {
        id: m.id,
        employee_id: m.employee_id,
        kode: emp.map(|e| e.kode.clone()).unwrap_or_default(),
        nama: emp.map(|e| e.nama.clone()).unwrap_or_default(),
        jenis: kind.unwrap_or(LeaveKind::Izin).as_str().to_string(),
        alasan: m.alasan.clone(),
        keterangan: keterangan.to_string(),
        tanggal_mulai: m.tanggal_mulai,
        tanggal_selesai: m.tanggal_selesai,
        hari: work_days.days_between(m.tanggal_mulai, m.tanggal_selesai).len() as u32,
        bukti_url: m.bukti_foto.as_ref().map(|_| format!("/api/leaves/{}/bukti", m.id)),
        status: m.status.unwrap_or(LeaveStatus::Pending).as_str().to_string(),
        dibuat: m.dibuat.map(rfc3339_utc),
    }
}

/// API views of several leaves, with their employees loaded in one query.
pub async fn to_out(
    db: &impl ConnectionTrait,
    work_days: &WorkDays,
    models: &[leave_request::Model],
) -> AppResult<Vec<LeaveOut>> {
    let ids: Vec<i32> = models.iter().map(|m| m.employee_id).collect();
    let emps: HashMap<i32, employee::Model> = if ids.is_empty() {
        HashMap::new()
    } else {
        Employee::find().filter(employee::Column::Id.is_in(ids)).all(db).await?.into_iter().map(|e| (e.id, e)).collect()
    };
    Ok(models.iter().map(|m| leave_out(m, emps.get(&m.employee_id), work_days)).collect())
}

/// One leave's API view.
pub async fn out_one(state: &AppState, m: &leave_request::Model) -> AppResult<LeaveOut> {
    Ok(to_out(&state.db, &state.config.work_days, std::slice::from_ref(m)).await?.remove(0))
}

pub async fn find(db: &impl ConnectionTrait, id: i32) -> AppResult<leave_request::Model> {
    LeaveRequest::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("Pengajuan izin"))
}

/// Today in `APP_TIMEZONE`.
pub fn today(state: &AppState) -> NaiveDate {
    local(Utc::now(), state.config.timezone).date()
}

fn range_error(e: RangeError) -> AppError {
    match e {
        RangeError::EndBeforeStart => {
            AppError::validation("tanggal_selesai", "Tanggal selesai tidak boleh sebelum tanggal mulai")
        }
        RangeError::TooLong { max_days } => {
            AppError::validation("tanggal_selesai", format!("Lama izin maksimal {max_days} hari kalender"))
        }
        RangeError::OutOfWindow { window_days } => {
            AppError::validation("tanggal_mulai", format!("Tanggal izin harus dalam {window_days} hari dari hari ini"))
        }
    }
}

fn alasan_error(e: AlasanError) -> AppError {
    match e {
        AlasanError::Empty => AppError::validation("alasan", "Alasan wajib diisi"),
        AlasanError::ControlChars => AppError::validation("alasan", "Alasan berisi karakter yang tidak diizinkan"),
        AlasanError::TooLong { max_keterangan } => {
            AppError::validation("alasan", format!("Alasan maksimal {max_keterangan} karakter"))
        }
    }
}

/// Condition "the leave blocks an overlapping request": pending (or NULL) or approved.
fn blocking_status() -> Condition {
    Condition::any()
        .add(leave_request::Column::Status.is_null())
        .add(leave_request::Column::Status.is_in([LeaveStatus::Pending, LeaveStatus::Disetujui]))
}

async fn find_overlap(
    db: &impl ConnectionTrait,
    employee_id: i32,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<Option<leave_request::Model>, DbErr> {
    LeaveRequest::find()
        .filter(leave_request::Column::EmployeeId.eq(employee_id))
        .filter(blocking_status())
        .filter(leave_request::Column::TanggalMulai.lte(end))
        .filter(leave_request::Column::TanggalSelesai.gte(start))
        .order_by_asc(leave_request::Column::TanggalMulai)
        .one(db)
        .await
}

fn overlap_error(other: &leave_request::Model) -> AppError {
    let status = other.status.unwrap_or(LeaveStatus::Pending);
    let what = if status == LeaveStatus::Disetujui { "yang sudah disetujui" } else { "yang masih menunggu" };
    AppError::conflict(
        "LEAVE_OVERLAP",
        format!(
            "Tanggal bertabrakan dengan pengajuan izin lain {what} ({} s.d. {}).",
            other.tanggal_mulai, other.tanggal_selesai
        ),
    )
    .with(
        "leave",
        serde_json::json!({
            "id": other.id,
            "tanggal_mulai": other.tanggal_mulai,
            "tanggal_selesai": other.tanggal_selesai,
            "status": status.as_str(),
        }),
    )
}

/// Takes the per-employee write lock inside `txn` (see the module docs).
async fn lock_employee(txn: &impl ConnectionTrait, employee_id: i32) -> Result<(), DbErr> {
    Employee::update_many()
        .col_expr(employee::Column::Aktif, Expr::col(employee::Column::Aktif))
        .filter(employee::Column::Id.eq(employee_id))
        .exec(txn)
        .await
        .map(|_| ())
}

/// Validates and stores a leave request (status PENDING). Used by `POST /api/leaves` (owner) and by the
/// kiosk's `POST /api/kiosk/leave` after it has verified the employee's face and liveness.
///
/// Errors: 422 `VALIDATION` (jenis, alasan, dates; `error.fields` names the field), 404 `NOT_FOUND` (no
/// such employee), 422 `EMPLOYEE_INACTIVE`, 409 `LEAVE_OVERLAP` (with `error.leave`), and the upload errors
/// of the proof photo (413/415/422 `INVALID_IMAGE`). Nothing is stored when any check fails.
pub async fn create_leave(state: &AppState, new: NewLeave) -> AppResult<leave_request::Model> {
    let kind = LeaveKind::parse(&new.jenis)
        .ok_or_else(|| AppError::validation("jenis", "Jenis harus salah satu dari: Sakit, Izin, Cuti"))?;
    let alasan = leave::compose_alasan(kind, &new.keterangan).map_err(alasan_error)?;
    leave::check_range(new.tanggal_mulai, new.tanggal_selesai, today(state), state.config.max_leave_days)
        .map_err(range_error)?;
    let emp =
        Employee::find_by_id(new.employee_id).one(&state.db).await?.ok_or_else(|| AppError::not_found("Karyawan"))?;
    if !emp.is_active() {
        return Err(AppError::unprocessable(
            "EMPLOYEE_INACTIVE",
            format!("Karyawan {} nonaktif; izin tidak dapat diajukan.", emp.nama),
        ));
    }
    // Early answer before the photo is processed; repeated under the lock below.
    if let Some(other) = find_overlap(&state.db, emp.id, new.tanggal_mulai, new.tanggal_selesai).await? {
        return Err(overlap_error(&other));
    }
    let upload_dir = &state.config.upload_dir;
    let stored = match new.bukti {
        Some(bytes) => {
            Some(uploads::store_image(upload_dir, UploadKind::LeaveProof, bytes, state.config.max_upload_bytes).await?)
        }
        None => None,
    };
    let result = insert_locked(&state.db, emp.id, alasan, new.tanggal_mulai, new.tanggal_selesai, stored.clone()).await;
    if result.is_err() {
        if let Some(s) = &stored {
            uploads::remove_image(upload_dir, s).await;
        }
    }
    let m = result?;
    tracing::info!(leave_id = m.id, employee_id = m.employee_id, "leave request created");
    Ok(m)
}

async fn insert_locked(
    db: &DatabaseConnection,
    employee_id: i32,
    alasan: String,
    start: NaiveDate,
    end: NaiveDate,
    bukti_foto: Option<String>,
) -> AppResult<leave_request::Model> {
    let txn = db.begin().await?;
    lock_employee(&txn, employee_id).await?;
    if let Some(other) = find_overlap(&txn, employee_id, start, end).await? {
        return Err(overlap_error(&other));
    }
    let am = leave_request::ActiveModel {
        id: NotSet,
        employee_id: Set(employee_id),
        alasan: Set(alasan),
        tanggal_mulai: Set(start),
        tanggal_selesai: Set(end),
        bukti_foto: Set(bukti_foto),
        status: Set(Some(LeaveStatus::Pending)),
        dibuat: Set(Some(utc_now_naive())),
    };
    let res = LeaveRequest::insert(am).exec(&txn).await?;
    let m = find(&txn, res.last_insert_id).await?;
    txn.commit().await?;
    Ok(m)
}

/// What a status change did to attendance rows (logged, and returned for callers that want it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// `IZIN` rows inserted on days without a row.
    pub created: u64,
    /// `ALPA`/`DITOLAK` rows turned into `IZIN`.
    pub replaced: u64,
    /// Days left as they were (a real check-in, or already `IZIN`).
    pub kept: u64,
    /// `IZIN` rows removed by a cancellation.
    pub removed: u64,
}

fn transition_error(e: leave::TransitionError) -> AppError {
    let msg = match (e.from, e.action) {
        (LeaveStatus::Disetujui, LeaveAction::Reject) => {
            "Pengajuan ini sudah disetujui; gunakan Batalkan untuk membatalkannya."
        }
        (LeaveStatus::Ditolak, LeaveAction::Approve) => {
            "Pengajuan ini sudah ditolak atau dibatalkan; buat pengajuan baru bila perlu."
        }
        _ => "Status pengajuan tidak dapat diubah seperti itu.",
    };
    AppError::conflict("LEAVE_INVALID_STATE", msg).with("status", e.from.as_str())
}

/// Approves, rejects or cancels a leave (see the module docs); returns the leave as it is afterwards.
pub async fn apply_action(
    state: &AppState,
    id: i32,
    action: LeaveAction,
) -> AppResult<(leave_request::Model, Applied)> {
    let current = find(&state.db, id).await?;
    let from = current.status.unwrap_or(LeaveStatus::Pending);
    let t = leave::transition(from, action).map_err(transition_error)?;
    if t.noop {
        return Ok((current, Applied::default()));
    }
    let txn = state.db.begin().await?;
    // Compare-and-set first: it takes the write lock and fails if someone changed the status meanwhile.
    let cas = if from == LeaveStatus::Pending {
        Condition::any()
            .add(leave_request::Column::Status.is_null())
            .add(leave_request::Column::Status.eq(LeaveStatus::Pending))
    } else {
        Condition::all().add(leave_request::Column::Status.eq(from))
    };
    let res = LeaveRequest::update_many()
        .col_expr(leave_request::Column::Status, Expr::value(t.to.as_str()))
        .filter(leave_request::Column::Id.eq(id))
        .filter(cas)
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        txn.rollback().await?;
        return Err(AppError::conflict(
            "LEAVE_CHANGED",
            "Status pengajuan baru saja diubah oleh orang lain. Muat ulang halaman lalu coba lagi.",
        ));
    }
    let applied = match t.effect {
        Effect::None => Applied::default(),
        Effect::CreateIzinRows => create_izin_rows(&txn, &state.config.work_days, &current).await?,
        Effect::RemoveIzinRows => remove_izin_rows(&txn, &current).await?,
    };
    let m = find(&txn, id).await?;
    txn.commit().await?;
    tracing::info!(leave_id = id, ?action, to = t.to.as_str(), ?applied, "leave status changed");
    Ok((m, applied))
}

async fn create_izin_rows(
    txn: &impl ConnectionTrait,
    work_days: &WorkDays,
    leave: &leave_request::Model,
) -> AppResult<Applied> {
    let days = work_days.days_between(leave.tanggal_mulai, leave.tanggal_selesai);
    let existing: HashMap<NaiveDate, attendance::Model> = Attendance::find()
        .filter(attendance::Column::EmployeeId.eq(leave.employee_id))
        .filter(attendance::Column::Tanggal.between(leave.tanggal_mulai, leave.tanggal_selesai))
        .all(txn)
        .await?
        .into_iter()
        .map(|a| (a.tanggal, a))
        .collect();
    let mut applied = Applied::default();
    let mut inserts = Vec::new();
    let mut replace_ids = Vec::new();
    let now = utc_now_naive();
    for day in days {
        let row = existing.get(&day);
        match leave::plan_day(row.map(|r| r.status)) {
            DayPlan::Insert => inserts.push(attendance::ActiveModel {
                id: NotSet,
                employee_id: Set(leave.employee_id),
                tanggal: Set(day),
                check_in: Set(None),
                check_out: Set(None),
                status: Set(AttendanceStatus::Izin),
                latitude: Set(None),
                longitude: Set(None),
                liveness_ok: Set(Some(false)),
                similarity: Set(None),
                dibuat: Set(Some(now)),
            }),
            DayPlan::Replace => replace_ids.push(row.expect("replace has a row").id),
            DayPlan::Keep => applied.kept += 1,
        }
    }
    if !inserts.is_empty() {
        let n = inserts.len() as u64;
        // A row that appeared since the read above (a check-in) wins: the insert skips that day.
        let res = Attendance::insert_many(inserts)
            .on_conflict(
                OnConflict::columns([attendance::Column::EmployeeId, attendance::Column::Tanggal])
                    .do_nothing_on([attendance::Column::Id])
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await;
        match res {
            Ok(_) | Err(DbErr::RecordNotInserted) => applied.created = n,
            Err(e) => return Err(e.into()),
        }
    }
    if !replace_ids.is_empty() {
        let res = Attendance::update_many()
            .col_expr(attendance::Column::Status, Expr::value(AttendanceStatus::Izin.as_str()))
            .col_expr(attendance::Column::CheckIn, Expr::value(Option::<chrono::NaiveTime>::None))
            .col_expr(attendance::Column::CheckOut, Expr::value(Option::<chrono::NaiveTime>::None))
            .col_expr(attendance::Column::Latitude, Expr::value(Option::<f32>::None))
            .col_expr(attendance::Column::Longitude, Expr::value(Option::<f32>::None))
            .col_expr(attendance::Column::Similarity, Expr::value(Option::<f32>::None))
            .col_expr(attendance::Column::LivenessOk, Expr::value(false))
            .col_expr(attendance::Column::Dibuat, Expr::value(now))
            .filter(attendance::Column::Id.is_in(replace_ids))
            // Only if still ALPA/DITOLAK: a valid scan that replaced a DITOLAK row meanwhile stays.
            .filter(attendance::Column::Status.is_in([AttendanceStatus::Alpa, AttendanceStatus::Ditolak]))
            .exec(txn)
            .await?;
        applied.replaced = res.rows_affected;
    }
    Ok(applied)
}

async fn remove_izin_rows(txn: &impl ConnectionTrait, leave: &leave_request::Model) -> AppResult<Applied> {
    let res = Attendance::delete_many()
        .filter(attendance::Column::EmployeeId.eq(leave.employee_id))
        .filter(attendance::Column::Tanggal.between(leave.tanggal_mulai, leave.tanggal_selesai))
        .filter(attendance::Column::Status.eq(AttendanceStatus::Izin))
        .filter(attendance::Column::CheckIn.is_null())
        .exec(txn)
        .await?;
    Ok(Applied { removed: res.rows_affected, ..Default::default() })
}

/// Filters of the leave list.
#[derive(Debug, Clone, Default)]
pub struct LeaveFilter {
    pub status: Option<LeaveStatus>,
    pub employee_id: Option<i32>,
    /// Leaves overlapping `[from, to]` (either bound optional).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// A page of leaves, newest request first, and the total.
pub async fn list(
    db: &DatabaseConnection,
    f: &LeaveFilter,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<leave_request::Model>, u64)> {
    let mut q = LeaveRequest::find();
    match f.status {
        Some(LeaveStatus::Pending) => {
            q = q.filter(
                Condition::any()
                    .add(leave_request::Column::Status.is_null())
                    .add(leave_request::Column::Status.eq(LeaveStatus::Pending)),
            )
        }
        Some(s) => q = q.filter(leave_request::Column::Status.eq(s)),
        None => {}
    }
    if let Some(e) = f.employee_id {
        q = q.filter(leave_request::Column::EmployeeId.eq(e));
    }
    if let Some(from) = f.from {
        q = q.filter(leave_request::Column::TanggalSelesai.gte(from));
    }
    if let Some(to) = f.to {
        q = q.filter(leave_request::Column::TanggalMulai.lte(to));
    }
    let paginator = q.order_by_desc(leave_request::Column::Id).paginate(db, per_page);
    let total = paginator.num_items().await?;
    let items = paginator.fetch_page(page.saturating_sub(1)).await?;
    Ok((items, total))
}

/// Number of leaves waiting for a decision (for the dashboard).
pub async fn pending_count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    LeaveRequest::find()
        .filter(
            Condition::any()
                .add(leave_request::Column::Status.is_null())
                .add(leave_request::Column::Status.eq(LeaveStatus::Pending)),
        )
        .count(db)
        .await
}
