//! Attendance rules against the real database (SQLite, and MariaDB with TEST_DB=mysql): scans with chosen
//! times through `services::attendance`, the daily close (service and CLI), and the owner's list, manual
//! entry and correction endpoints.
use backend::domain::attendance::{DayStatus, ScanDecision, ShiftTimes};
use backend::domain::time::{local, parse_date, parse_hhmm};
use backend::domain::workdays::WorkDays;
use backend::entities::{attendance, employee, Attendance, AttendanceStatus, Employee};
use backend::services::attendance::{close_day, record_rejection, record_scan, Rejection, Scan, ScanOutcome};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{json, Value};

use crate::helpers::*;

const GAP: i64 = 60;

fn day_shift() -> ShiftTimes {
    ShiftTimes::new(parse_hhmm("08:00").unwrap(), parse_hhmm("17:00").unwrap(), Some(5))
}
fn night_shift() -> ShiftTimes {
    ShiftTimes::new(parse_hhmm("22:00").unwrap(), parse_hhmm("06:00").unwrap(), Some(10))
}
fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M"))
        .unwrap()
}
fn d(s: &str) -> NaiveDate {
    parse_date(s).unwrap()
}
fn id(v: &Value) -> i32 {
    v["id"].as_i64().unwrap() as i32
}

fn scan(employee_id: i32, shift: ShiftTimes, when: &str) -> Scan {
    Scan {
        employee_id,
        shift,
        at: at(when),
        latitude: Some(-6.2001),
        longitude: Some(106.8166),
        similarity: Some(0.97),
        liveness_ok: true,
    }
}

async fn rec(app: &TestApp, s: Scan) -> ScanOutcome {
    record_scan(&app.db, &s, GAP).await.expect("scan recorded")
}

async fn all_rows(app: &TestApp) -> Vec<attendance::Model> {
    Attendance::find().order_by_asc(attendance::Column::Id).all(&app.db).await.unwrap()
}

/// App with a day shift (08:00–17:00, 5 min) and a night shift (22:00–06:00, 10 min) and `n` employees on
/// the day shift.
async fn setup(n: usize) -> (TestApp, Value, Value, Vec<Value>) {
    let app = spawn_app_with(|env| {
        env.insert("WORK_DAYS".into(), "Mon-Sun".into());
    })
    .await;
    app.login().await;
    let pagi = app.create_shift("Pagi", "08:00", "17:00", 5).await;
    let malam = app.create_shift("Malam", "22:00", "06:00", 10).await;
    let mut emps = Vec::new();
    for i in 0..n {
        emps.push(app.create_employee(&format!("E{i:02}"), &format!("Karyawan {i}"), pagi["id"].as_i64()).await);
    }
    (app, pagi, malam, emps)
}

#[tokio::test]
async fn first_scan_status_on_time_at_tolerance_and_one_minute_late() {
    let (app, _, _, e) = setup(4).await;
    let cases = [
        ("2026-11-24 07:58:12", AttendanceStatus::Hadir, 0),
        ("2026-11-24 08:05:00", AttendanceStatus::Hadir, 0), // exactly at the tolerance
        ("2026-11-24 08:06:00", AttendanceStatus::Terlambat, 6), // tolerance + 1 minute
        ("2026-11-24 08:12:40", AttendanceStatus::Terlambat, 12),
    ];
    for (emp, (when, status, late)) in e.iter().zip(cases) {
        let out = rec(&app, scan(id(emp), day_shift(), when)).await;
        match out.decision {
            ScanDecision::CheckIn { late_minutes, replaces: None, .. } => assert_eq!(late_minutes, late, "{when}"),
            other => panic!("{when}: {other:?}"),
        }
        assert_eq!(out.row.status, status, "{when}");
        assert_eq!(out.row.tanggal, d("2026-11-24"));
        assert_eq!(out.row.check_in, Some(at(when).time()), "stored to the second");
        assert_eq!(out.row.liveness_ok, Some(true));
        assert_eq!(out.row.similarity, Some(0.97));
    }
    assert_eq!(all_rows(&app).await.len(), 4);
}

#[tokio::test]
async fn check_out_needs_the_gap_and_the_latest_scan_wins() {
    let (app, _, _, e) = setup(1).await;
    let emp = id(&e[0]);
    let first = rec(&app, scan(emp, day_shift(), "2026-11-24 07:58:10")).await;
    // Inside the gap: nothing changes.
    let inside = rec(&app, scan(emp, day_shift(), "2026-11-24 08:30:00")).await;
    assert!(matches!(inside.decision, ScanDecision::TooSoon { .. }), "{:?}", inside.decision);
    assert_eq!(inside.row, first.row);
    let just_before = rec(&app, scan(emp, day_shift(), "2026-11-24 08:58:09")).await;
    assert!(matches!(just_before.decision, ScanDecision::TooSoon { .. }));
    // At the gap and later: check-out, the latest wins; an earlier one changes nothing.
    let out1 = rec(&app, scan(emp, day_shift(), "2026-11-24 08:58:10")).await;
    assert!(matches!(out1.decision, ScanDecision::CheckOut { previous: None, .. }));
    let out2 = rec(&app, scan(emp, day_shift(), "2026-11-24 17:05:00")).await;
    assert!(matches!(out2.decision, ScanDecision::CheckOut { previous: Some(_), .. }));
    let earlier = rec(&app, scan(emp, day_shift(), "2026-11-24 17:00:00")).await;
    assert!(matches!(earlier.decision, ScanDecision::AlreadyCheckedOut { .. }));
    let rows = all_rows(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, AttendanceStatus::Hadir);
    assert_eq!(rows[0].check_in, Some(at("2026-11-24 07:58:10").time()));
    assert_eq!(rows[0].check_out, Some(at("2026-11-24 17:05:00").time()));
}

#[tokio::test]
async fn night_shift_scans_belong_to_the_start_date() {
    let (app, _, malam, _) = setup(0).await;
    let a = app.create_employee("N1", "Malam Satu", malam["id"].as_i64()).await;
    let b = app.create_employee("N2", "Malam Dua", malam["id"].as_i64()).await;
    let (a, b) = (id(&a), id(&b));
    let ci = rec(&app, scan(a, night_shift(), "2026-11-24 21:58:00")).await;
    assert_eq!((ci.tanggal, ci.row.status), (d("2026-11-24"), AttendanceStatus::Hadir));
    // 02:00 the next day: yesterday's row, inside the gap? No: 4 h after check-in, so a check-out.
    let mid = rec(&app, scan(a, night_shift(), "2026-11-25 02:00:00")).await;
    assert_eq!(mid.tanggal, d("2026-11-24"));
    assert!(matches!(mid.decision, ScanDecision::CheckOut { .. }), "{:?}", mid.decision);
    let out = rec(&app, scan(a, night_shift(), "2026-11-25 06:05:00")).await;
    assert_eq!(out.row.id, ci.row.id);
    assert_eq!(out.row.check_out, Some(parse_hhmm("06:05").unwrap()));
    // B arrives at 02:00 on the 25th: a late check-in on the 24th's row (240 minutes).
    let late = rec(&app, scan(b, night_shift(), "2026-11-25 02:00:00")).await;
    assert_eq!(late.tanggal, d("2026-11-24"));
    assert!(matches!(late.decision, ScanDecision::CheckIn { status: DayStatus::Terlambat, late_minutes: 240, .. }));
    // From the cut-off (14:00) on, a scan is the next shift's: A's 21:50 on the 25th is a new check-in.
    let next = rec(&app, scan(a, night_shift(), "2026-11-25 21:50:00")).await;
    assert_eq!(next.tanggal, d("2026-11-25"));
    assert!(matches!(next.decision, ScanDecision::CheckIn { .. }));
    assert_eq!(all_rows(&app).await.len(), 3);
}

fn rejection(employee_id: i32, tanggal: &str, liveness_ok: bool) -> Rejection {
    Rejection {
        employee_id,
        tanggal: d(tanggal),
        latitude: Some(-6.21),
        longitude: Some(106.8166),
        liveness_ok,
        similarity: Some(0.93),
    }
}

#[tokio::test]
async fn a_failed_attempt_is_recorded_once_and_a_valid_scan_replaces_it() {
    let (app, _, _, e) = setup(1).await;
    let emp = id(&e[0]);
    let r = record_rejection(&app.db, &rejection(emp, "2026-11-24", false)).await.unwrap().expect("DITOLAK row");
    assert_eq!(r.status, AttendanceStatus::Ditolak);
    assert_eq!((r.liveness_ok, r.similarity, r.check_in), (Some(false), Some(0.93), None));
    assert!(r.latitude.is_some() && r.longitude.is_some() && r.dibuat.is_some());
    assert!(record_rejection(&app.db, &rejection(emp, "2026-11-24", true)).await.unwrap().is_none(), "kept");
    let ok = rec(&app, scan(emp, day_shift(), "2026-11-24 08:20:00")).await;
    assert!(matches!(ok.decision, ScanDecision::CheckIn { replaces: Some(DayStatus::Ditolak), .. }));
    assert_eq!(ok.row.id, r.id);
    assert_eq!(ok.row.status, AttendanceStatus::Terlambat);
    assert_eq!((ok.row.liveness_ok, ok.row.similarity), (Some(true), Some(0.97)));
    assert!((ok.row.latitude.unwrap() - -6.2001).abs() < 1e-4);
    // After a real check-in a failed attempt changes nothing.
    assert!(record_rejection(&app.db, &rejection(emp, "2026-11-24", false)).await.unwrap().is_none());
    assert_eq!(all_rows(&app).await, vec![ok.row]);
}

async fn insert_row(app: &TestApp, employee_id: i32, tanggal: &str, status: AttendanceStatus) -> attendance::Model {
    attendance::ActiveModel {
        employee_id: Set(employee_id),
        tanggal: Set(d(tanggal)),
        status: Set(status),
        liveness_ok: Set(Some(false)),
        dibuat: Set(Some(Utc::now().naive_utc())),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn an_izin_day_is_kept_and_an_alpa_day_becomes_a_check_in() {
    let (app, _, _, e) = setup(2).await;
    let izin = insert_row(&app, id(&e[0]), "2026-11-24", AttendanceStatus::Izin).await;
    let out = rec(&app, scan(id(&e[0]), day_shift(), "2026-11-24 07:55:00")).await;
    assert_eq!(out.decision, ScanDecision::OnLeave);
    assert_eq!(out.row, izin);
    assert!(record_rejection(&app.db, &rejection(id(&e[0]), "2026-11-24", false)).await.unwrap().is_none());
    let alpa = insert_row(&app, id(&e[1]), "2026-11-24", AttendanceStatus::Alpa).await;
    let out = rec(&app, scan(id(&e[1]), day_shift(), "2026-11-24 23:00:00")).await;
    assert_eq!(out.row.id, alpa.id);
    assert_eq!(out.row.status, AttendanceStatus::Terlambat);
    assert_eq!(all_rows(&app).await.len(), 2);
}

#[tokio::test]
async fn many_simultaneous_scans_of_one_employee_leave_one_row() {
    let (app, _, _, e) = setup(2).await;
    let emp = id(&e[0]);
    const N: usize = 24;
    // Same moment: one check-in, the rest inside the gap.
    let futures = (0..N).map(|_| {
        let s = scan(emp, day_shift(), "2026-11-24 07:59:00");
        let db = app.db.clone();
        async move { record_scan(&db, &s, GAP).await }
    });
    let results = futures_util::future::join_all(futures).await;
    let mut check_ins = 0;
    for r in &results {
        match r {
            Ok(o) if matches!(o.decision, ScanDecision::CheckIn { .. }) => check_ins += 1,
            Ok(o) => assert!(matches!(o.decision, ScanDecision::TooSoon { .. }), "{:?}", o.decision),
            Err(e) => panic!("no error expected: {e}"),
        }
    }
    assert_eq!(check_ins, 1);
    // A failed attempt racing valid scans of another employee: still one row, a real check-in wins.
    let other = id(&e[1]);
    let futures = (0..N).map(|i| {
        let db = app.db.clone();
        async move {
            if i % 2 == 0 {
                record_rejection(&db, &rejection(other, "2026-11-24", false)).await.map(|_| ())
            } else {
                record_scan(&db, &scan(other, day_shift(), "2026-11-24 08:01:00"), GAP).await.map(|_| ())
            }
        }
    });
    for r in futures_util::future::join_all(futures).await {
        r.expect("no error");
    }
    let rows = all_rows(&app).await;
    assert_eq!(rows.len(), 2);
    let other_row = rows.iter().find(|r| r.employee_id == other).unwrap();
    assert_eq!(other_row.status, AttendanceStatus::Hadir, "a DITOLAK never survives a valid scan");
}

async fn set_dibuat(app: &TestApp, emp: i32, dibuat: NaiveDateTime) {
    let m = Employee::find_by_id(emp).one(&app.db).await.unwrap().unwrap();
    let mut am: employee::ActiveModel = m.into();
    am.dibuat = Set(Some(dibuat));
    am.update(&app.db).await.unwrap();
}

#[tokio::test]
async fn daily_close_marks_alpa_only_where_it_should_and_is_idempotent() {
    let (app, _, _, e) = setup(6).await;
    let date = d("2026-11-24");
    let today = d("2026-11-25");
    for emp in &e {
        set_dibuat(&app, id(emp), at("2026-11-01 01:00:00")).await;
    }
    // e0: nothing -> ALPA. e1: checked in. e2: approved leave. e3: a failed attempt (stays for review).
    // e4: inactive. e5: created after that day (local date 2026-11-25 07:00 WIB).
    rec(&app, scan(id(&e[1]), day_shift(), "2026-11-24 08:00:00")).await;
    insert_row(&app, id(&e[2]), "2026-11-24", AttendanceStatus::Izin).await;
    record_rejection(&app.db, &rejection(id(&e[3]), "2026-11-24", false)).await.unwrap();
    assert_eq!(app.delete(&format!("/api/employees/{}", e[4]["id"])).await.status(), 200);
    set_dibuat(&app, id(&e[5]), at("2026-11-25 00:00:00")).await;
    // Without a shift: never ALPA.
    let free = app.create_employee("F1", "Tanpa Shift", None).await;
    set_dibuat(&app, id(&free), at("2026-11-01 01:00:00")).await;

    let report = close_day(&app.db, &app.config, date, today).await.unwrap();
    assert!(report.work_day);
    assert_eq!((report.marked, report.had_row, report.not_applicable), (1, 3, 3), "{report:?}");
    let alpa: Vec<attendance::Model> =
        Attendance::find().filter(attendance::Column::Status.eq(AttendanceStatus::Alpa)).all(&app.db).await.unwrap();
    assert_eq!(alpa.len(), 1);
    assert_eq!((alpa[0].employee_id, alpa[0].tanggal, alpa[0].check_in), (id(&e[0]), date, None));
    let statuses: Vec<AttendanceStatus> = all_rows(&app).await.iter().map(|r| r.status).collect();
    assert!(statuses.contains(&AttendanceStatus::Izin) && statuses.contains(&AttendanceStatus::Ditolak));

    // Again (or on another instance): nothing new.
    let before = all_rows(&app).await;
    let again = close_day(&app.db, &app.config, date, today).await.unwrap();
    assert_eq!((again.marked, again.had_row), (0, 4));
    assert_eq!(all_rows(&app).await, before);

    // Before anyone existed, on a non-work day, or in the future: nothing.
    assert_eq!(close_day(&app.db, &app.config, d("2026-10-30"), today).await.unwrap().marked, 0);
    let mut weekdays_only = app.config.clone();
    weekdays_only.work_days = WorkDays::parse("Mon-Fri").unwrap();
    let sunday = close_day(&app.db, &weekdays_only, d("2026-11-22"), today).await.unwrap();
    assert!(!sunday.work_day);
    assert_eq!(sunday.marked, 0);
    let future = close_day(&app.db, &app.config, d("2026-11-26"), today).await.unwrap_err();
    assert_eq!(future.code, "VALIDATION");
    assert_eq!(all_rows(&app).await, before);

    // Concurrent closes (two instances at 23:55): still one row per employee and day.
    let d2 = d("2026-11-23");
    let (r1, r2) = tokio::join!(close_day(&app.db, &app.config, d2, today), close_day(&app.db, &app.config, d2, today));
    let (r1, r2) = (r1.unwrap(), r2.unwrap());
    assert_eq!(r1.marked + r2.marked, 4, "e0..e3 (e4 inactive, e5 created later): {r1:?} {r2:?}");
}

#[tokio::test]
async fn close_day_cli_closes_the_given_date() {
    let (app, _, _, e) = setup(2).await;
    let today = local(Utc::now(), app.config.timezone).date();
    rec(&app, scan(id(&e[1]), day_shift(), &format!("{today} 08:00:00"))).await;
    let run_logging = |args: &[&str], log: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_backend"))
            .args(args)
            .env("DATABASE_URL", &app.config.database_url)
            .env("WORK_DAYS", "Mon-Sun")
            .env("APP_ENV", "test")
            .env("DAILY_CLOSE_ENABLED", "false")
            .env("RUST_LOG", log)
            .output()
            .expect("run backend close-day")
    };
    let run = |args: &[&str]| run_logging(args, "warn");
    let out = run(&["close-day", "--date", &today.to_string()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("1 marked ALPA"), "{stdout}");
    // Default date: today; a second run marks nothing.
    let out = run(&["close-day"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("0 marked ALPA") && stdout.contains(&today.to_string()), "{stdout}");
    // A command's stdout is its result only: the logs (here at info) go to stderr.
    let out = run_logging(&["close-day"], "info");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(stdout.lines().count() == 1 && stdout.contains("0 marked ALPA"), "stdout: {stdout}");
    assert!(stderr.contains("INFO"), "stderr: {stderr}");
    let out = run(&["close-day", "--date", "2026-13-01"]);
    assert!(!out.status.success());
    let rows = all_rows(&app).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows.iter().filter(|r| r.status == AttendanceStatus::Alpa).count(), 1);
}

// ---- Owner endpoints ----

#[tokio::test]
async fn owner_lists_rows_with_filters_newest_first() {
    let (app, _, _, e) = setup(2).await;
    rec(&app, scan(id(&e[0]), day_shift(), "2026-11-20 07:50:00")).await;
    rec(&app, scan(id(&e[0]), day_shift(), "2026-11-23 08:30:00")).await;
    rec(&app, scan(id(&e[1]), day_shift(), "2026-11-23 07:40:00")).await;
    record_rejection(&app.db, &rejection(id(&e[1]), "2026-11-24", false)).await.unwrap();

    let v: Value = app.get("/api/attendance").await.json().await.unwrap();
    assert_eq!(v["total"], 4);
    let dates: Vec<&str> = v["items"].as_array().unwrap().iter().map(|r| r["tanggal"].as_str().unwrap()).collect();
    assert_eq!(dates, ["2026-11-24", "2026-11-23", "2026-11-23", "2026-11-20"]);
    let first = &v["items"][0];
    assert_eq!((first["kode"].as_str(), first["nama"].as_str()), (Some("E01"), Some("Karyawan 1")));
    assert_eq!((first["status"].as_str(), first["liveness_ok"].as_bool()), (Some("DITOLAK"), Some(false)));
    let late = &v["items"].as_array().unwrap().iter().find(|r| r["status"] == "TERLAMBAT").unwrap();
    assert_eq!(late["check_in"], "08:30");
    assert!(late["dibuat"].as_str().unwrap().ends_with('Z'));

    let v: Value = app.get("/api/attendance?from=2026-11-21&to=2026-11-23").await.json().await.unwrap();
    assert_eq!(v["total"], 2);
    let q = format!("/api/attendance?employee_id={}&status=TERLAMBAT", e[0]["id"]);
    let v: Value = app.get(&q).await.json().await.unwrap();
    assert_eq!(v["total"], 1);
    let v: Value = app.get("/api/attendance?page=2&per_page=3").await.json().await.unwrap();
    assert_eq!((v["items"].as_array().unwrap().len(), v["page"].as_u64(), v["total"].as_u64()), (1, Some(2), Some(4)));
    let v: Value = app.get("/api/attendance?page=18446744073709551615").await.json().await.unwrap();
    assert_eq!((v["items"].as_array().map(Vec::len), v["total"].as_u64()), (Some(0), Some(4)));
    assert_error(app.get("/api/attendance?status=HILANG").await, 422, "VALIDATION").await;
    assert_error(app.get("/api/attendance?from=2026-11-24&to=2026-11-01").await, 422, "VALIDATION").await;
    assert_error(app.get("/api/attendance?from=kemarin").await, 422, "VALIDATION").await;
}

#[tokio::test]
async fn owner_enters_a_row_by_hand_with_validation() {
    let (app, _, malam, e) = setup(2).await;
    let today = local(Utc::now(), app.config.timezone).date();
    let yesterday = (today - chrono::Duration::days(1)).to_string();
    let body = json!({"employee_id": e[0]["id"], "tanggal": yesterday, "status": "HADIR", "check_in": "08:02", "check_out": "17:00"});
    let r = app.post_json("/api/attendance", &body).await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["status"].as_str(), v["check_in"].as_str(), v["check_out"].as_str()),
        (Some("HADIR"), Some("08:02"), Some("17:00"))
    );
    assert_eq!((v["liveness_ok"].as_bool(), v["kode"].as_str()), (Some(false), Some("E00")));
    assert!(v["similarity"].is_null() && v["latitude"].is_null());

    let body = assert_error(app.post_json("/api/attendance", &body).await, 409, "DUPLICATE_ATTENDANCE").await;
    assert_eq!(body["error"]["attendance_id"], v["id"]);
    for (bad, field) in [
        (json!({"employee_id": e[1]["id"], "tanggal": yesterday, "status": "IZIN", "check_in": "08:00"}), "check_in"),
        (json!({"employee_id": e[1]["id"], "tanggal": yesterday, "status": "HADIR"}), "check_in"),
        (
            json!({"employee_id": e[1]["id"], "tanggal": yesterday, "status": "HADIR", "check_in": "17:00", "check_out": "08:00"}),
            "check_out",
        ),
        (json!({"employee_id": e[1]["id"], "tanggal": yesterday, "status": "HADIR", "check_in": "25:00"}), "check_in"),
        (json!({"employee_id": e[1]["id"], "tanggal": yesterday, "status": "LIBUR"}), "status"),
        (
            json!({"employee_id": e[1]["id"], "tanggal": (today + chrono::Duration::days(1)).to_string(), "status": "ALPA"}),
            "tanggal",
        ),
        (json!({"employee_id": 9999, "tanggal": yesterday, "status": "ALPA"}), "employee_id"),
    ] {
        let body = assert_error(app.post_json("/api/attendance", &bad).await, 422, "VALIDATION").await;
        assert!(body["error"]["fields"][field].is_string(), "{bad} -> {body}");
    }
    assert_eq!(all_rows(&app).await.len(), 1, "bad input stored nothing");
    // A night-shift employee's check-out after midnight is consistent.
    let n = app.create_employee("N1", "Malam", malam["id"].as_i64()).await;
    let r = app
        .post_json(
            "/api/attendance",
            &json!({"employee_id": n["id"], "tanggal": yesterday, "status": "TERLAMBAT", "check_in": "22:30", "check_out": "06:00"}),
        )
        .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn owner_corrects_a_row_and_bad_corrections_change_nothing() {
    let (app, _, _, e) = setup(1).await;
    let emp = id(&e[0]);
    let r = record_rejection(&app.db, &rejection(emp, "2026-11-24", false)).await.unwrap().unwrap();
    let path = format!("/api/attendance/{}", r.id);

    // DITOLAK -> HADIR needs a check-in time.
    let body = assert_error(app.patch_json(&path, &json!({"status": "HADIR"})).await, 422, "VALIDATION").await;
    assert!(body["error"]["fields"]["check_in"].is_string());
    assert_error(app.patch_json(&path, &json!({})).await, 422, "VALIDATION").await;
    assert_error(app.patch_json(&path, &json!({"status": "HADIR", "check_in": "9:99"})).await, 422, "VALIDATION").await;
    assert_eq!(all_rows(&app).await, vec![r.clone()], "unchanged");

    let v: Value = app.patch_json(&path, &json!({"status": "HADIR", "check_in": "08:00"})).await.json().await.unwrap();
    assert_eq!(
        (v["status"].as_str(), v["check_in"].as_str(), v["check_out"].as_str()),
        (Some("HADIR"), Some("08:00"), None)
    );
    let v: Value = app.patch_json(&path, &json!({"check_out": "17:10:30"})).await.json().await.unwrap();
    assert_eq!(v["check_out"], "17:10");
    let row = Attendance::find_by_id(r.id).one(&app.db).await.unwrap().unwrap();
    assert_eq!(row.check_out, Some(parse_hhmm("17:10:30").unwrap()));
    assert_eq!(row.similarity, r.similarity, "biometric fields are kept");
    assert_error(app.patch_json(&path, &json!({"check_out": "07:00"})).await, 422, "VALIDATION").await;
    assert_error(app.patch_json(&path, &json!({"check_in": null})).await, 422, "VALIDATION").await;
    // To ALPA: the times go with it; giving times with ALPA is refused.
    assert_error(app.patch_json(&path, &json!({"status": "ALPA", "check_in": "08:00"})).await, 422, "VALIDATION").await;
    let v: Value = app.patch_json(&path, &json!({"status": "ALPA"})).await.json().await.unwrap();
    assert_eq!((v["status"].as_str(), v["check_in"].as_str(), v["check_out"].as_str()), (Some("ALPA"), None, None));
    assert_error(app.patch_json("/api/attendance/99999", &json!({"status": "ALPA"})).await, 404, "NOT_FOUND").await;
    let rows = all_rows(&app).await;
    assert_eq!((rows.len(), rows[0].status), (1, AttendanceStatus::Alpa));
}
