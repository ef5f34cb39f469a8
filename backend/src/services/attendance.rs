//! Attendance rows: applies the pure rules of `domain::attendance` to the database (kiosk scans, failed
//! attempts, the daily close) with the unique key `unique_daily_attendance` (employee_id, tanggal) as the
//! arbiter of races: an insert that loses re-reads the row and applies the rule again; an update is
//! conditional on the row still being what the rule saw (optimistic), else it re-reads and retries.
use std::collections::HashSet;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set, SqlErr,
};
use serde::Serialize;

use crate::config::Config;
use crate::domain::attendance::{
    close_decision, decide_scan, rejection_creates_row, CloseCandidate, CloseSkip, DayRow, DayStatus, ScanDecision,
    ShiftTimes,
};
use crate::domain::time::{local, utc_now_naive};
use crate::entities::{attendance, employee, shift_setting, Attendance, AttendanceStatus, Employee, ShiftSetting};
use crate::error::{AppError, AppResult};

pub fn to_day_status(s: AttendanceStatus) -> DayStatus {
    match s {
        AttendanceStatus::Hadir => DayStatus::Hadir,
        AttendanceStatus::Terlambat => DayStatus::Terlambat,
        AttendanceStatus::Izin => DayStatus::Izin,
        AttendanceStatus::Alpa => DayStatus::Alpa,
        AttendanceStatus::Ditolak => DayStatus::Ditolak,
    }
}

pub fn to_entity_status(s: DayStatus) -> AttendanceStatus {
    match s {
        DayStatus::Hadir => AttendanceStatus::Hadir,
        DayStatus::Terlambat => AttendanceStatus::Terlambat,
        DayStatus::Izin => AttendanceStatus::Izin,
        DayStatus::Alpa => AttendanceStatus::Alpa,
        DayStatus::Ditolak => AttendanceStatus::Ditolak,
    }
}

pub fn day_row(m: &attendance::Model) -> DayRow {
    DayRow { status: to_day_status(m.status), check_in: m.check_in, check_out: m.check_out }
}

pub fn shift_times(s: &shift_setting::Model) -> ShiftTimes {
    ShiftTimes::new(s.jam_masuk, s.jam_pulang, s.toleransi_menit)
}

fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// The employee's row for `tanggal`, if any.
pub async fn find_day(
    db: &impl ConnectionTrait,
    employee_id: i32,
    tanggal: NaiveDate,
) -> Result<Option<attendance::Model>, DbErr> {
    Attendance::find()
        .filter(attendance::Column::EmployeeId.eq(employee_id))
        .filter(attendance::Column::Tanggal.eq(tanggal))
        .one(db)
        .await
}

/// A valid kiosk scan (recognised, live, inside the geofence) of one employee.
#[derive(Debug, Clone)]
pub struct Scan {
    pub employee_id: i32,
    pub shift: ShiftTimes,
    /// Local date and time of the scan (server clock, nearest site's time zone).
    pub at: NaiveDateTime,
    pub latitude: Option<f32>,
    pub longitude: Option<f32>,
    pub similarity: Option<f32>,
    pub liveness_ok: bool,
}

#[derive(Debug, Clone)]
pub struct ScanOutcome {
    pub tanggal: NaiveDate,
    pub decision: ScanDecision,
    /// The row as it is after the scan.
    pub row: attendance::Model,
}

/// Attempts before giving up when other writers keep changing the same row (never seen in practice:
/// each retry means another scan of the same employee won a race in the meantime).
const MAX_ATTEMPTS: usize = 8;

fn busy() -> AppError {
    AppError::conflict("SCAN_IN_PROGRESS", "Absensi Anda sedang diproses bersamaan. Silakan coba lagi sebentar.")
}

/// Applies a valid scan to the employee's day and returns what happened. Concurrent scans of one employee
/// leave one row: the loser of an insert race re-reads and applies the rule to the winner's row.
pub async fn record_scan(
    db: &DatabaseConnection,
    scan: &Scan,
    checkout_min_gap_minutes: i64,
) -> AppResult<ScanOutcome> {
    let tanggal = scan.shift.attendance_date(scan.at);
    for _ in 0..MAX_ATTEMPTS {
        let existing = find_day(db, scan.employee_id, tanggal).await?;
        let decision = decide_scan(
            &scan.shift,
            tanggal,
            scan.at,
            existing.as_ref().map(day_row).as_ref(),
            checkout_min_gap_minutes,
        );
        match (decision, existing) {
            (ScanDecision::CheckIn { status, time, .. }, None) => {
                let am = attendance::ActiveModel {
                    employee_id: Set(scan.employee_id),
                    tanggal: Set(tanggal),
                    check_in: Set(Some(time)),
                    check_out: Set(None),
                    status: Set(to_entity_status(status)),
                    latitude: Set(scan.latitude),
                    longitude: Set(scan.longitude),
                    liveness_ok: Set(Some(scan.liveness_ok)),
                    similarity: Set(scan.similarity),
                    dibuat: Set(Some(utc_now_naive())),
                    ..Default::default()
                };
                match am.insert(db).await {
                    Ok(row) => return Ok(ScanOutcome { tanggal, decision, row }),
                    Err(e) if is_unique_violation(&e) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            (ScanDecision::CheckIn { status, time, .. }, Some(row)) => {
                // Replaces DITOLAK / ALPA / a row without check-in, if nobody changed it meanwhile.
                let res = Attendance::update_many()
                    .col_expr(attendance::Column::Status, Expr::value(to_entity_status(status)))
                    .col_expr(attendance::Column::CheckIn, Expr::value(Some(time)))
                    .col_expr(attendance::Column::CheckOut, Expr::value(Option::<NaiveTime>::None))
                    .col_expr(attendance::Column::Latitude, Expr::value(scan.latitude))
                    .col_expr(attendance::Column::Longitude, Expr::value(scan.longitude))
                    .col_expr(attendance::Column::LivenessOk, Expr::value(Some(scan.liveness_ok)))
                    .col_expr(attendance::Column::Similarity, Expr::value(scan.similarity))
                    .filter(attendance::Column::Id.eq(row.id))
                    .filter(attendance::Column::Status.eq(row.status))
                    .filter(match row.check_in {
                        None => attendance::Column::CheckIn.is_null(),
                        Some(ci) => attendance::Column::CheckIn.eq(ci),
                    })
                    .exec(db)
                    .await?;
                if res.rows_affected == 0 {
                    continue;
                }
                let row = Attendance::find_by_id(row.id).one(db).await?.ok_or_else(busy)?;
                return Ok(ScanOutcome { tanggal, decision, row });
            }
            (ScanDecision::CheckOut { time, previous, .. }, Some(row)) => {
                let res = Attendance::update_many()
                    .col_expr(attendance::Column::CheckOut, Expr::value(Some(time)))
                    .filter(attendance::Column::Id.eq(row.id))
                    .filter(attendance::Column::Status.eq(row.status))
                    .filter(match previous {
                        None => attendance::Column::CheckOut.is_null(),
                        Some(p) => attendance::Column::CheckOut.eq(p),
                    })
                    .exec(db)
                    .await?;
                if res.rows_affected == 0 {
                    continue;
                }
                let row = Attendance::find_by_id(row.id).one(db).await?.ok_or_else(busy)?;
                return Ok(ScanOutcome { tanggal, decision, row });
            }
            (ScanDecision::CheckOut { .. }, None) => unreachable!("a check-out needs a row"),
            (_, Some(row)) => return Ok(ScanOutcome { tanggal, decision, row }),
            (_, None) => unreachable!("only check-in is decided without a row"),
        }
    }
    Err(busy())
}

/// A failed attempt of a recognised employee (outside the geofence, liveness failed, grey-zone match).
#[derive(Debug, Clone)]
pub struct Rejection {
    pub employee_id: i32,
    pub tanggal: NaiveDate,
    pub latitude: Option<f32>,
    pub longitude: Option<f32>,
    pub liveness_ok: bool,
    pub similarity: Option<f32>,
}

/// Writes a `DITOLAK` row when the day has none (the owner's review list); returns it, or `None` when the
/// day already had a row (which is kept as it is).
pub async fn record_rejection(db: &DatabaseConnection, r: &Rejection) -> AppResult<Option<attendance::Model>> {
    let existing = find_day(db, r.employee_id, r.tanggal).await?;
    if !rejection_creates_row(existing.as_ref().map(day_row).as_ref()) {
        return Ok(None);
    }
    let am = attendance::ActiveModel {
        employee_id: Set(r.employee_id),
        tanggal: Set(r.tanggal),
        check_in: Set(None),
        check_out: Set(None),
        status: Set(AttendanceStatus::Ditolak),
        latitude: Set(r.latitude),
        longitude: Set(r.longitude),
        liveness_ok: Set(Some(r.liveness_ok)),
        similarity: Set(r.similarity),
        dibuat: Set(Some(utc_now_naive())),
        ..Default::default()
    };
    match am.insert(db).await {
        Ok(m) => Ok(Some(m)),
        Err(e) if is_unique_violation(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What the daily close did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CloseReport {
    pub date: NaiveDate,
    pub work_day: bool,
    /// `ALPA` rows written now.
    pub marked: usize,
    /// Employees who already had a row that day (any status).
    pub had_row: usize,
    /// Employees left out: inactive, without a shift, or created after the date.
    pub not_applicable: usize,
}

/// Marks `ALPA` for active employees with a shift and no row on `date` (a work day, not after `today`,
/// not before the employee was created). Idempotent: a second run (or another instance) finds the rows,
/// and the unique key turns a racing insert into "already had a row".
pub async fn close_day(
    db: &DatabaseConnection,
    config: &Config,
    date: NaiveDate,
    today: NaiveDate,
) -> AppResult<CloseReport> {
    if date > today {
        return Err(AppError::validation("date", format!("Tanggal {date} belum lewat; hari ini {today}.")));
    }
    let mut report = CloseReport { date, work_day: config.work_days.is_work_day(date), ..Default::default() };
    if !report.work_day {
        return Ok(report);
    }
    let employees: Vec<employee::Model> = Employee::find().all(db).await?;
    let shifts: HashSet<i32> = ShiftSetting::find().all(db).await?.into_iter().map(|s| s.id).collect();
    let with_row: HashSet<i32> = Attendance::find()
        .filter(attendance::Column::Tanggal.eq(date))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.employee_id)
        .collect();
    for e in employees {
        let candidate = CloseCandidate {
            active: e.is_active(),
            has_shift: e.shift_id.is_some_and(|s| shifts.contains(&s)),
            created_on: e.dibuat.map(|d| local(d.and_utc(), config.timezone).date()),
            has_row: with_row.contains(&e.id),
        };
        match close_decision(date, today, &config.work_days, &candidate) {
            Ok(()) => {
                let am = attendance::ActiveModel {
                    employee_id: Set(e.id),
                    tanggal: Set(date),
                    check_in: Set(None),
                    check_out: Set(None),
                    status: Set(AttendanceStatus::Alpa),
                    latitude: Set(None),
                    longitude: Set(None),
                    liveness_ok: Set(Some(false)),
                    similarity: Set(None),
                    dibuat: Set(Some(utc_now_naive())),
                    ..Default::default()
                };
                match am.insert(db).await {
                    Ok(_) => report.marked += 1,
                    Err(err) if is_unique_violation(&err) => report.had_row += 1,
                    Err(err) => return Err(err.into()),
                }
            }
            Err(CloseSkip::HasRow) => report.had_row += 1,
            Err(_) => report.not_applicable += 1,
        }
    }
    tracing::info!(
        %date, marked = report.marked, had_row = report.had_row, not_applicable = report.not_applicable,
        "daily close"
    );
    Ok(report)
}

/// The next local moment at `close_time` strictly after `now` (today's if still ahead, else tomorrow's).
pub fn next_close(now: NaiveDateTime, close_time: NaiveTime) -> NaiveDateTime {
    let today = now.date().and_time(close_time);
    if now < today {
        today
    } else {
        today + chrono::Duration::days(1)
    }
}

/// The date to close when the server starts at local `now`: today once the close time has passed (the
/// server may have been down at that moment), else yesterday. Both are idempotent.
pub fn catch_up_date(now: NaiveDateTime, close_time: NaiveTime) -> NaiveDate {
    if now.time() >= close_time {
        now.date()
    } else {
        now.date() - chrono::Duration::days(1)
    }
}

/// Runs the daily close in the background at `DAILY_CLOSE_TIME` (local, `APP_TIMEZONE`) every day, for
/// that day; once at start for the last day whose close time has passed (catch-up after downtime).
pub fn spawn_daily_close(db: DatabaseConnection, config: Arc<Config>) {
    tokio::spawn(async move {
        let tz = config.timezone;
        let close_time = config.daily_close_time;
        let now = local(Utc::now(), tz);
        let date = catch_up_date(now, close_time);
        if let Err(e) = close_day(&db, &config, date, now.date()).await {
            tracing::warn!(error = %e, %date, "daily close catch-up failed");
        }
        loop {
            let now_utc = Utc::now();
            let next_local = next_close(local(now_utc, tz), close_time);
            // Indonesia has no DST; elsewhere a skipped local time runs an hour later.
            let next_utc = tz
                .from_local_datetime(&next_local)
                .earliest()
                .or_else(|| tz.from_local_datetime(&(next_local + chrono::Duration::hours(1))).earliest())
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(now_utc + chrono::Duration::hours(1));
            let wait = (next_utc - now_utc).to_std().unwrap_or(std::time::Duration::from_secs(1));
            tokio::time::sleep(wait).await;
            let date = next_local.date();
            if let Err(e) = close_day(&db, &config, date, date).await {
                tracing::error!(error = %e, %date, "daily close failed");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn schedule_of_the_close() {
        let close = NaiveTime::from_hms_opt(23, 55, 0).unwrap();
        assert_eq!(next_close(dt("2026-11-24 10:00"), close), dt("2026-11-24 23:55"));
        assert_eq!(next_close(dt("2026-11-24 23:55"), close), dt("2026-11-25 23:55"));
        assert_eq!(next_close(dt("2026-11-24 23:59"), close), dt("2026-11-25 23:55"));
        assert_eq!(catch_up_date(dt("2026-11-24 10:00"), close), NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        assert_eq!(catch_up_date(dt("2026-11-24 23:56"), close), NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
    }

    #[test]
    fn status_conversions_round_trip() {
        for s in AttendanceStatus::ALL {
            assert_eq!(to_entity_status(to_day_status(s)), s);
        }
    }
}
