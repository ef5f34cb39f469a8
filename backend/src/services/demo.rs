//! Demo data and benchmarks for the owner workflows (CLI `seed-demo`, `bench-dashboard`, `export-report`).
//!
//! `seed-demo` fills an *empty* database with realistic data in bulk inserts: employees on three shifts
//! (one a night shift), a face encoding for most of them, a year of attendance on work days (HADIR,
//! TERLAMBAT, IZIN, ALPA, DITOLAK in plausible proportions, early leaves, today half done) and leave
//! requests. It refuses a database that already has employees, so it cannot pollute real data.
use std::collections::HashSet;
use std::time::Instant;

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ActiveValue::NotSet, DatabaseConnection, EntityTrait, PaginatorTrait, Set, TransactionTrait};
use serde_json::{json, Value};

use crate::config::Config;
use crate::domain::time::utc_now_naive;
use crate::entities::{
    attendance, employee, face_encoding, leave_request, shift_setting, Attendance, AttendanceStatus, Employee,
    FaceEncoding, LeaveRequest, LeaveStatus, ShiftSetting,
};

#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub employees: usize,
    pub days: i64,
    /// Last day with attendance ("today" of the demo): only part of the employees have checked in.
    pub end: NaiveDate,
    pub seed: u64,
}

const FIRST: [&str; 24] = [
    "Budi", "Siti", "Agus", "Dewi", "Rina", "Joko", "Ayu", "Bayu", "Citra", "Dodi", "Eka", "Fajar", "Gita", "Hadi",
    "Indah", "Kurnia", "Lestari", "Made", "Nur", "Putri", "Rudi", "Sri", "Taufik", "Wulan",
];
const LAST: [&str; 20] = [
    "Santoso",
    "Wijaya",
    "Saputra",
    "Lestari",
    "Hidayat",
    "Pratama",
    "Kusuma",
    "Nugroho",
    "Siregar",
    "Nasution",
    "Simanjuntak",
    "Wibowo",
    "Setiawan",
    "Rahmawati",
    "Gunawan",
    "Halim",
    "Suryadi",
    "Putra",
    "Utami",
    "Ma'ruf",
];

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn shift_at(base: NaiveTime, minutes: i64) -> NaiveTime {
    base.overflowing_add_signed(Duration::minutes(minutes)).0
}

/// Fills an empty database; returns counts of what was inserted.
pub async fn seed(db: &DatabaseConnection, config: &Config, o: &SeedOptions) -> anyhow::Result<Value> {
    let started = Instant::now();
    if Employee::find().count(db).await? > 0 {
        anyhow::bail!(
            "seed-demo only fills an empty database (this one has employees); point DATABASE_URL at a new one"
        );
    }
    let mut rng = StdRng::seed_from_u64(o.seed);
    let now = utc_now_naive();
    // Shifts (reused when they exist).
    let wanted = [("Pagi", t(8, 0), t(17, 0), 5), ("Siang", t(13, 0), t(21, 0), 5), ("Malam", t(22, 0), t(6, 0), 10)];
    let mut shifts = Vec::new();
    for (nama, masuk, pulang, tol) in wanted {
        let existing = ShiftSetting::find().all(db).await?.into_iter().find(|s| s.nama == nama);
        let s = match existing {
            Some(s) => s,
            None => {
                let am = shift_setting::ActiveModel {
                    id: NotSet,
                    nama: Set(nama.into()),
                    jam_masuk: Set(masuk),
                    jam_pulang: Set(pulang),
                    toleransi_menit: Set(Some(tol)),
                    aktif: Set(Some(true)),
                    dibuat: Set(Some(now)),
                };
                let id = ShiftSetting::insert(am).exec(db).await?.last_insert_id;
                ShiftSetting::find_by_id(id).one(db).await?.expect("just inserted")
            }
        };
        shifts.push(s);
    }
    // Employees: 70 % Pagi, 20 % Siang, 10 % Malam; every 97th without shift; every 33rd inactive.
    let mut ems = Vec::with_capacity(o.employees);
    for i in 0..o.employees {
        let shift = if i % 97 == 96 {
            None
        } else {
            Some(match i % 10 {
                0..=6 => shifts[0].id,
                7 | 8 => shifts[1].id,
                _ => shifts[2].id,
            })
        };
        let nama = format!("{} {}", FIRST[rng.gen_range(0..FIRST.len())], LAST[rng.gen_range(0..LAST.len())]);
        ems.push(employee::ActiveModel {
            id: NotSet,
            kode: Set(format!("DEMO-{:05}", i + 1)),
            email: Set(Some(format!("demo{}@contoh.co.id", i + 1))),
            nama: Set(nama),
            shift_id: Set(shift),
            aktif: Set(Some(i % 33 != 32)),
            foto_profil: Set(None),
            dibuat: Set(Some(now)),
        });
    }
    for chunk in ems.chunks(1000) {
        Employee::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    let employees = Employee::find().all(db).await?;
    // Face encodings (random unit vectors of the engine's model id) for 90 % of the employees.
    let mut encs = Vec::new();
    for e in employees.iter().filter(|e| e.id % 10 != 0) {
        let v: Vec<f32> = (0..128).map(|_| rng.gen_range(-1.0f32..1.0)).collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        let v: Vec<f32> = v.iter().map(|x| x / n).collect();
        encs.push(face_encoding::ActiveModel {
            id: NotSet,
            employee_id: Set(e.id),
            encoding: Set(json!({"model": face_engine::engine::DEFAULT_MODEL_ID, "vector": v})),
            dibuat: Set(Some(now)),
        });
    }
    for chunk in encs.chunks(500) {
        FaceEncoding::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    // Attendance.
    let start = o.end - Duration::days(o.days - 1);
    let tz = config.timezone;
    let to_utc = |d: NaiveDate, tm: NaiveTime| -> Option<NaiveDateTime> {
        tz.from_local_datetime(&d.and_time(tm)).earliest().map(|x| x.naive_utc())
    };
    let mut batch: Vec<attendance::ActiveModel> = Vec::with_capacity(2000);
    let mut rows = 0u64;
    let mut txn = db.begin().await?;
    // Day by day, as a real installation fills the table (rows of one date end up close together).
    for d in start.iter_days().take_while(|d| *d <= o.end) {
        if !config.work_days.is_work_day(d) {
            continue;
        }
        for e in &employees {
            let shift = e.shift_id.and_then(|id| shifts.iter().find(|s| s.id == id));
            if !e.is_active() && d > o.end - Duration::days(60) {
                continue;
            }
            if d == o.end && rng.gen_bool(0.3) {
                continue; // not checked in yet today
            }
            let (jm, jp, tol) = match shift {
                Some(s) => (s.jam_masuk, s.jam_pulang, s.toleransi_menit.unwrap_or(5) as i64),
                None => (t(8, 0), t(17, 0), 5),
            };
            let r: f64 = rng.gen();
            let (status, ci, co) = if r < 0.03 {
                (AttendanceStatus::Alpa, None, None)
            } else if r < 0.05 {
                (AttendanceStatus::Izin, None, None)
            } else if r < 0.06 {
                (AttendanceStatus::Ditolak, None, None)
            } else {
                let late = r < 0.16;
                let ci = if late {
                    shift_at(jm, tol + rng.gen_range(1..90))
                } else {
                    shift_at(jm, rng.gen_range(-30..=tol))
                };
                let co = if d == o.end && rng.gen_bool(0.6) {
                    None
                } else if rng.gen_bool(0.08) {
                    Some(shift_at(jp, -rng.gen_range(1..=45)))
                } else {
                    Some(shift_at(jp, rng.gen_range(0..=90)))
                };
                (if late { AttendanceStatus::Terlambat } else { AttendanceStatus::Hadir }, Some(ci), co)
            };
            let ok = status != AttendanceStatus::Ditolak;
            batch.push(attendance::ActiveModel {
                id: NotSet,
                employee_id: Set(e.id),
                tanggal: Set(d),
                check_in: Set(ci.map(|c| {
                    NaiveTime::from_hms_opt(
                        chrono::Timelike::hour(&c),
                        chrono::Timelike::minute(&c),
                        rng.gen_range(0..60),
                    )
                    .unwrap()
                })),
                check_out: Set(co),
                status: Set(status),
                latitude: Set((status != AttendanceStatus::Alpa && status != AttendanceStatus::Izin)
                    .then(|| -6.2 + rng.gen_range(-0.0003f32..0.0003))),
                longitude: Set((status != AttendanceStatus::Alpa && status != AttendanceStatus::Izin)
                    .then(|| 106.8166 + rng.gen_range(-0.0003f32..0.0003))),
                liveness_ok: Set(Some(ok && ci.is_some())),
                similarity: Set(match status {
                    AttendanceStatus::Ditolak => Some(rng.gen_range(0.45f32..0.6)),
                    _ if ci.is_some() => Some(rng.gen_range(0.8f32..0.99)),
                    _ => None,
                }),
                dibuat: Set(to_utc(d, ci.unwrap_or(t(23, 55)))),
            });
            if batch.len() == 2000 {
                rows += batch.len() as u64;
                Attendance::insert_many(std::mem::take(&mut batch)).exec_without_returning(&txn).await?;
                if rows.is_multiple_of(50_000) {
                    txn.commit().await?;
                    txn = db.begin().await?;
                    tracing::info!(rows, "seeding attendance");
                }
            }
        }
    }
    if !batch.is_empty() {
        rows += batch.len() as u64;
        Attendance::insert_many(batch).exec_without_returning(&txn).await?;
    }
    txn.commit().await?;
    // Leave requests: past ones decided, future ones pending or approved; no overlaps per employee.
    let mut used: HashSet<(i32, NaiveDate)> = HashSet::new();
    let mut leaves = Vec::new();
    let kinds = ["Sakit: demam", "Izin: urusan keluarga", "Cuti: liburan keluarga", "Cuti: pernikahan saudara"];
    for _ in 0..(o.employees * 2 / 5).max(10) {
        let e = &employees[rng.gen_range(0..employees.len())];
        let s = o.end + Duration::days(rng.gen_range(-(o.days - 1)..=60));
        let len = rng.gen_range(0..3);
        let days: Vec<NaiveDate> = (0..=len).map(|k| s + Duration::days(k)).collect();
        if days.iter().any(|d| used.contains(&(e.id, *d))) {
            continue;
        }
        used.extend(days.iter().map(|d| (e.id, *d)));
        let status = if s > o.end {
            if rng.gen_bool(0.5) {
                LeaveStatus::Pending
            } else {
                LeaveStatus::Disetujui
            }
        } else if rng.gen_bool(0.8) {
            LeaveStatus::Disetujui
        } else {
            LeaveStatus::Ditolak
        };
        leaves.push(leave_request::ActiveModel {
            id: NotSet,
            employee_id: Set(e.id),
            alasan: Set(kinds[rng.gen_range(0..kinds.len())].into()),
            tanggal_mulai: Set(s),
            tanggal_selesai: Set(s + Duration::days(len)),
            bukti_foto: Set(None),
            status: Set(Some(status)),
            dibuat: Set(Some(now)),
        });
    }
    let n_leaves = leaves.len();
    for chunk in leaves.chunks(500) {
        LeaveRequest::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    Ok(json!({
        "employees": employees.len(),
        "face_encodings": encs.len(),
        "attendance_rows": rows,
        "leave_requests": n_leaves,
        "from": start,
        "to": o.end,
        "seconds": (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
    }))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn stats(mut ms: Vec<f64>) -> Value {
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let r = |x: f64| (x * 100.0).round() / 100.0;
    json!({
        "p50": r(percentile(&ms, 50.0)),
        "p95": r(percentile(&ms, 95.0)),
        "max": r(*ms.last().unwrap_or(&0.0)),
        "n": ms.len(),
    })
}

/// Times every dashboard call (`iterations` rounds, calls interleaved, after 3 warm-up rounds) against the
/// configured database, through the same service functions the handlers use (no HTTP).
pub async fn bench_dashboard(db: &DatabaseConnection, config: &Config, iterations: usize) -> anyhow::Result<Value> {
    use super::dashboard;
    let today = crate::domain::time::local(chrono::Utc::now(), config.timezone).date();
    let employees = Employee::find().count(db).await?;
    let rows = Attendance::find().count(db).await?;
    let names =
        ["summary", "trend_30", "late_ranking_30", "recent_20", "trend_365", "late_ranking_365", "report_summary_30"];
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(iterations); names.len()];
    let month =
        super::reports::ReportFilter { from: today - Duration::days(29), to: today, employee_id: None, status: None };
    for round in 0..iterations + 3 {
        for (i, _) in names.iter().enumerate() {
            let t0 = Instant::now();
            match i {
                0 => drop(dashboard::summary(db, &config.work_days, today).await?),
                1 => drop(dashboard::trend(db, today, 30).await?),
                2 => drop(dashboard::late_ranking(db, today - Duration::days(29), today, 10).await?),
                3 => drop(dashboard::recent(db, today, 20).await?),
                4 => drop(dashboard::trend(db, today, 365).await?),
                5 => drop(dashboard::late_ranking(db, today - Duration::days(364), today, 10).await?),
                _ => drop(super::reports::summary(db, &month).await?),
            }
            if round >= 3 {
                times[i].push(t0.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    let mut calls = serde_json::Map::new();
    for (name, t) in names.iter().zip(times) {
        calls.insert(name.to_string(), stats(t));
    }
    Ok(json!({
        "database": format!("{:?}", db.get_database_backend()),
        "employees": employees,
        "attendance_rows": rows,
        "today": today,
        "iterations": iterations,
        "latency_ms": Value::Object(calls),
    }))
}

/// Peak and current resident set size of this process in MiB (Linux `/proc/self/status`).
pub fn rss_mib() -> (Option<f64>, Option<f64>) {
    let Ok(s) = std::fs::read_to_string("/proc/self/status") else { return (None, None) };
    let get = |key: &str| {
        s.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map(|kb| (kb / 1024.0 * 10.0).round() / 10.0)
    };
    (get("VmHWM:"), get("VmRSS:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let v: Vec<f64> = (1..=100).map(|x| x as f64).collect();
        assert_eq!(percentile(&v, 50.0), 51.0);
        assert_eq!(percentile(&v, 95.0), 95.0);
        assert_eq!(percentile(&[], 95.0), 0.0);
        assert_eq!(stats(vec![3.0, 1.0, 2.0])["p50"], 2.0);
    }
}
