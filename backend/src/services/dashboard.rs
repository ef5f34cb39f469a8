//! Dashboard statistics as aggregate SQL (GROUP BY over `tanggal`, using `idx_attendance_tanggal` and
//! `unique_daily_attendance`): no per-row loading, so the numbers stay fast on years of attendance.
//! "Today" is the date in `APP_TIMEZONE`.
use std::collections::HashMap;

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use super::sqlexpr::{self, stmt, ACTIVE_EMPLOYEE};
use crate::domain::time::{format_hhmm, rfc3339_utc};
use crate::domain::workdays::WorkDays;
use crate::entities::AttendanceStatus;

/// Attendance rows per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StatusCounts {
    #[serde(rename = "HADIR")]
    pub hadir: u64,
    #[serde(rename = "TERLAMBAT")]
    pub terlambat: u64,
    #[serde(rename = "IZIN")]
    pub izin: u64,
    #[serde(rename = "ALPA")]
    pub alpa: u64,
    #[serde(rename = "DITOLAK")]
    pub ditolak: u64,
}

impl StatusCounts {
    pub fn add(&mut self, status: &str, n: u64) {
        match AttendanceStatus::parse(status) {
            Some(AttendanceStatus::Hadir) => self.hadir += n,
            Some(AttendanceStatus::Terlambat) => self.terlambat += n,
            Some(AttendanceStatus::Izin) => self.izin += n,
            Some(AttendanceStatus::Alpa) => self.alpa += n,
            Some(AttendanceStatus::Ditolak) => self.ditolak += n,
            None => {}
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub date: NaiveDate,
    /// Whether `date` is a work day (`WORK_DAYS`); on other days nobody is expected.
    pub work_day: bool,
    pub active_employees: u64,
    /// Active employees with a registered face.
    pub registered_faces: u64,
    pub counts: StatusCounts,
    /// Active employees with a shift and no attendance row for `date` yet.
    pub not_checked_in: u64,
    /// Leave requests waiting for a decision (all dates).
    pub pending_leaves: u64,
}

#[derive(FromQueryResult)]
struct StatusN {
    status: String,
    n: i64,
}

#[derive(FromQueryResult)]
struct Scalars {
    active: i64,
    faces: i64,
    not_checked_in: i64,
    pending: i64,
}

pub async fn summary(db: &impl ConnectionTrait, work_days: &WorkDays, date: NaiveDate) -> Result<Summary, DbErr> {
    let be = db.get_database_backend();
    let rows = StatusN::find_by_statement(stmt(
        be,
        "SELECT status, COUNT(*) AS n FROM attendances WHERE tanggal = ? GROUP BY status",
        vec![date.into()],
    ))
    .all(db)
    .await?;
    let mut counts = StatusCounts::default();
    for r in rows {
        counts.add(&r.status, r.n as u64);
    }
    let sql = format!(
        "SELECT \
           (SELECT COUNT(*) FROM employees e WHERE {ACTIVE_EMPLOYEE}) AS active, \
           (SELECT COUNT(*) FROM face_encodings f JOIN employees e ON e.id = f.employee_id WHERE {ACTIVE_EMPLOYEE}) AS faces, \
           (SELECT COUNT(*) FROM employees e WHERE {ACTIVE_EMPLOYEE} AND e.shift_id IS NOT NULL AND NOT EXISTS \
              (SELECT 1 FROM attendances a WHERE a.employee_id = e.id AND a.tanggal = ?)) AS not_checked_in, \
           (SELECT COUNT(*) FROM leave_requests l WHERE l.status = 'PENDING' OR l.status IS NULL) AS pending"
    );
    let s = Scalars::find_by_statement(stmt(be, sql, vec![date.into()]))
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("dashboard scalars".into()))?;
    Ok(Summary {
        date,
        work_day: work_days.is_work_day(date),
        active_employees: s.active as u64,
        registered_faces: s.faces as u64,
        counts,
        not_checked_in: s.not_checked_in as u64,
        pending_leaves: s.pending as u64,
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrendDay {
    pub date: NaiveDate,
    #[serde(flatten)]
    pub counts: StatusCounts,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Trend {
    /// One entry per calendar day, oldest first, ending today (days without rows have zeros).
    pub days: Vec<TrendDay>,
}

#[derive(FromQueryResult)]
struct DayStatusN {
    tanggal: NaiveDate,
    status: String,
    n: i64,
}

/// Per-day counts per status for the `days` days ending at `end` (inclusive).
pub async fn trend(db: &impl ConnectionTrait, end: NaiveDate, days: u32) -> Result<Trend, DbErr> {
    let start = end - Duration::days(days.max(1) as i64 - 1);
    let rows = DayStatusN::find_by_statement(stmt(
        db.get_database_backend(),
        "SELECT tanggal, status, COUNT(*) AS n FROM attendances WHERE tanggal BETWEEN ? AND ? \
         GROUP BY tanggal, status",
        vec![start.into(), end.into()],
    ))
    .all(db)
    .await?;
    let mut by_day: HashMap<NaiveDate, StatusCounts> = HashMap::new();
    for r in rows {
        by_day.entry(r.tanggal).or_default().add(&r.status, r.n as u64);
    }
    let days = start
        .iter_days()
        .take_while(|d| *d <= end)
        .map(|date| TrendDay { date, counts: by_day.get(&date).copied().unwrap_or_default() })
        .collect();
    Ok(Trend { days })
}

#[derive(Debug, Clone, Serialize, FromQueryResult, utoipa::ToSchema)]
pub struct LateRankItem {
    pub employee_id: i32,
    pub kode: String,
    pub nama: String,
    /// `TERLAMBAT` days in the period.
    pub late_days: i64,
    /// Sum of minutes between the shift's `jam_masuk` and `check_in` on those days (current shift).
    pub late_minutes: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LateRanking {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub items: Vec<LateRankItem>,
}

/// Employees by late days (then late minutes, then name), most first.
pub async fn late_ranking(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
    limit: u64,
) -> Result<LateRanking, DbErr> {
    let be = db.get_database_backend();
    let late = sqlexpr::late_minutes(be);
    let sql = format!(
        "SELECT a.employee_id AS employee_id, e.kode AS kode, e.nama AS nama, {} AS late_days, \
           {} AS late_minutes \
         FROM attendances a {} employees e ON e.id = a.employee_id \
           LEFT JOIN shift_settings s ON s.id = e.shift_id \
         WHERE a.tanggal BETWEEN ? AND ? AND a.status = 'TERLAMBAT' \
         GROUP BY a.employee_id, e.kode, e.nama \
         ORDER BY late_days DESC, late_minutes DESC, e.nama ASC, a.employee_id ASC LIMIT ?",
        sqlexpr::int(be, "COUNT(*)"),
        sqlexpr::int(be, &format!("COALESCE(SUM({late}), 0)")),
        sqlexpr::attendance_join(be),
    );
    let items = LateRankItem::find_by_statement(stmt(be, sql, vec![from.into(), to.into(), (limit as i64).into()]))
        .all(db)
        .await?;
    Ok(LateRanking { from, to, items })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecentItem {
    pub id: i32,
    pub employee_id: i32,
    pub nama: String,
    pub tanggal: NaiveDate,
    /// `HH:MM`
    pub check_in: Option<String>,
    /// `HH:MM`
    pub check_out: Option<String>,
    pub status: String,
    pub dibuat: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Recent {
    pub items: Vec<RecentItem>,
}

#[derive(FromQueryResult)]
struct RecentRow {
    id: i32,
    employee_id: i32,
    nama: String,
    tanggal: NaiveDate,
    check_in: Option<NaiveTime>,
    check_out: Option<NaiveTime>,
    status: String,
    dibuat: Option<NaiveDateTime>,
}

/// How far back "recent" looks (days, today included).
pub const RECENT_WINDOW_DAYS: i64 = 7;

/// Latest attendance events of the last [`RECENT_WINDOW_DAYS`] days up to `today`: newest day first, then
/// by the latest time on the row (check-out, else check-in; rows without times such as ALPA last).
/// Reads one day at a time (`idx_attendance_tanggal`), usually only today's rows.
pub async fn recent(db: &impl ConnectionTrait, today: NaiveDate, limit: u64) -> Result<Recent, DbErr> {
    let mut rows: Vec<RecentRow> = Vec::new();
    for back in 0..RECENT_WINDOW_DAYS {
        let want = limit.saturating_sub(rows.len() as u64);
        if want == 0 {
            break;
        }
        let day = today - Duration::days(back);
        rows.extend(
            RecentRow::find_by_statement(stmt(
                db.get_database_backend(),
                "SELECT a.id AS id, a.employee_id AS employee_id, e.nama AS nama, a.tanggal AS tanggal, \
                   a.check_in AS check_in, a.check_out AS check_out, a.status AS status, a.dibuat AS dibuat \
                 FROM attendances a JOIN employees e ON e.id = a.employee_id \
                 WHERE a.tanggal = ? \
                 ORDER BY COALESCE(a.check_out, a.check_in) DESC, a.id DESC LIMIT ?",
                vec![day.into(), (want as i64).into()],
            ))
            .all(db)
            .await?,
        );
    }
    let items = rows
        .into_iter()
        .map(|r| RecentItem {
            id: r.id,
            employee_id: r.employee_id,
            nama: r.nama,
            tanggal: r.tanggal,
            check_in: r.check_in.map(format_hhmm),
            check_out: r.check_out.map(format_hhmm),
            status: r.status,
            dibuat: r.dibuat.map(rfc3339_utc),
        })
        .collect();
    Ok(Recent { items })
}
