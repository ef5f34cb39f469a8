//! Leave requests: creation with proof, approval/cancellation effects on attendance rows, overlap refusal,
//! bad input (4xx and nothing changed), list filters, and concurrent creation.
use std::io::Cursor;

use crate::helpers::*;
use backend::entities::{attendance, Attendance, AttendanceStatus, LeaveRequest};
use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use reqwest::multipart::{Form, Part};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::Value;

pub fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Jakarta).date_naive()
}

/// The Monday of the week after next (always in the future, always within the allowed window).
pub fn next_monday() -> NaiveDate {
    let t = today();
    t + Duration::days(14 - t.weekday().num_days_from_monday() as i64)
}

/// The Monday of the week before last (a past week, for retroactive leave).
pub fn past_monday() -> NaiveDate {
    let t = today();
    t - Duration::days(14 + t.weekday().num_days_from_monday() as i64)
}

pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img).write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

pub async fn post_leave(
    app: &TestApp,
    employee_id: &Value,
    jenis: &str,
    alasan: &str,
    from: NaiveDate,
    to: NaiveDate,
    bukti: Option<Vec<u8>>,
) -> reqwest::Response {
    let mut form = Form::new()
        .text("employee_id", employee_id.to_string())
        .text("jenis", jenis.to_string())
        .text("alasan", alasan.to_string())
        .text("tanggal_mulai", from.to_string())
        .text("tanggal_selesai", to.to_string());
    if let Some(b) = bukti {
        form = form.part("bukti", Part::bytes(b).file_name("surat-dokter.png"));
    }
    app.client.post(app.url("/api/leaves")).multipart(form).send().await.unwrap()
}

pub async fn insert_att(
    db: &DatabaseConnection,
    employee_id: i32,
    tanggal: NaiveDate,
    status: AttendanceStatus,
    check_in: Option<&str>,
    check_out: Option<&str>,
) -> attendance::Model {
    let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").unwrap();
    attendance::ActiveModel {
        employee_id: Set(employee_id),
        tanggal: Set(tanggal),
        check_in: Set(check_in.map(t)),
        check_out: Set(check_out.map(t)),
        status: Set(status),
        latitude: Set(Some(-6.2)),
        longitude: Set(Some(106.8)),
        liveness_ok: Set(Some(status != AttendanceStatus::Ditolak)),
        similarity: Set(Some(0.91)),
        dibuat: Set(Some(chrono::Utc::now().naive_utc())),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
}

async fn rows_of(db: &DatabaseConnection, employee_id: i64) -> Vec<attendance::Model> {
    Attendance::find()
        .filter(attendance::Column::EmployeeId.eq(employee_id as i32))
        .order_by_asc(attendance::Column::Tanggal)
        .all(db)
        .await
        .unwrap()
}

fn upload_files(app: &TestApp) -> usize {
    std::fs::read_dir(std::path::Path::new(&app.config.upload_dir).join("leaves")).map(|d| d.count()).unwrap_or(0)
}

#[tokio::test]
async fn approve_makes_izin_rows_keeps_check_ins_and_cancel_removes_them() {
    let app = spawn_app().await;
    app.login().await;
    let s = app.create_shift("Pagi", "08:00", "17:00", 5).await;
    let e = app.create_employee("EMP-001", "Budi Santoso", s["id"].as_i64()).await;
    let eid = e["id"].as_i64().unwrap() as i32;
    let mon = past_monday();
    let day = |n: i64| mon + Duration::days(n);
    // Mon: a real check-in; Tue: ALPA from the daily close; Wed: a failed scan; Thu, Fri: nothing.
    insert_att(&app.db, eid, day(0), AttendanceStatus::Hadir, Some("07:58"), Some("17:02")).await;
    insert_att(&app.db, eid, day(1), AttendanceStatus::Alpa, None, None).await;
    insert_att(&app.db, eid, day(2), AttendanceStatus::Ditolak, None, None).await;
    // The day before the leave: must not be touched by anything below.
    let before = insert_att(&app.db, eid, day(-3), AttendanceStatus::Alpa, None, None).await;

    let r =
        post_leave(&app, &e["id"], "Sakit", "demam, surat dokter terlampir", day(0), day(6), Some(png(800, 600))).await;
    assert_eq!(r.status(), 201);
    let leave: Value = r.json().await.unwrap();
    assert_eq!(leave["jenis"], "Sakit");
    assert_eq!(leave["alasan"], "Sakit: demam, surat dokter terlampir");
    assert_eq!(leave["keterangan"], "demam, surat dokter terlampir");
    assert_eq!(leave["status"], "PENDING");
    assert_eq!(leave["hari"], 5, "Mon-Fri of a Mon..Sun leave");
    assert_eq!((leave["kode"].as_str(), leave["nama"].as_str()), (Some("EMP-001"), Some("Budi Santoso")));
    let id = leave["id"].as_i64().unwrap();
    assert_eq!(leave["bukti_url"], format!("/api/leaves/{id}/bukti"));
    assert_eq!(upload_files(&app), 1);
    let img = app.get(&format!("/api/leaves/{id}/bukti")).await;
    assert_eq!(img.status(), 200);
    assert_eq!(img.headers()["content-type"], "image/jpeg");
    let bytes = img.bytes().await.unwrap();
    assert_eq!(image::guess_format(&bytes).unwrap(), image::ImageFormat::Jpeg, "re-encoded as JPEG");
    // The proof is owner-only.
    let anon = reqwest::get(app.url(&format!("/api/leaves/{id}/bukti"))).await.unwrap();
    assert_eq!(anon.status(), 401);

    let r = app.post_json(&format!("/api/leaves/{id}/approve"), &Value::Null).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "DISETUJUI");
    let rows = rows_of(&app.db, eid as i64).await;
    let got: Vec<(NaiveDate, AttendanceStatus, Option<NaiveTime>)> =
        rows.iter().map(|r| (r.tanggal, r.status, r.check_in)).collect();
    let t = |s| Some(NaiveTime::parse_from_str(s, "%H:%M").unwrap());
    assert_eq!(
        got,
        vec![
            (day(-3), AttendanceStatus::Alpa, None),
            (day(0), AttendanceStatus::Hadir, t("07:58")),
            (day(1), AttendanceStatus::Izin, None),
            (day(2), AttendanceStatus::Izin, None),
            (day(3), AttendanceStatus::Izin, None),
            (day(4), AttendanceStatus::Izin, None),
        ],
        "Mon kept, Tue ALPA and Wed DITOLAK replaced, Thu/Fri inserted, weekend untouched"
    );
    let wed = rows.iter().find(|r| r.tanggal == day(2)).unwrap();
    assert!(wed.latitude.is_none() && wed.similarity.is_none(), "a replaced row is a clean IZIN row");

    // Approving again is a no-op; rejecting an approved leave is refused.
    let r = app.post_json(&format!("/api/leaves/{id}/approve"), &Value::Null).await;
    assert_eq!(r.status(), 200);
    assert_eq!(rows_of(&app.db, eid as i64).await.len(), 6);
    let r = app.post_json(&format!("/api/leaves/{id}/reject"), &Value::Null).await;
    assert_error(r, 409, "LEAVE_INVALID_STATE").await;

    let r = app.post_json(&format!("/api/leaves/{id}/cancel"), &Value::Null).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "DITOLAK", "cancelled reads as DITOLAK");
    let rows = rows_of(&app.db, eid as i64).await;
    let got: Vec<(NaiveDate, AttendanceStatus)> = rows.iter().map(|r| (r.tanggal, r.status)).collect();
    assert_eq!(got, vec![(day(-3), AttendanceStatus::Alpa), (day(0), AttendanceStatus::Hadir)]);
    assert_eq!(rows[0], before, "the row outside the leave is untouched");
    // A cancelled leave cannot be approved again; cancelling again is a no-op.
    assert_error(app.post_json(&format!("/api/leaves/{id}/approve"), &Value::Null).await, 409, "LEAVE_INVALID_STATE")
        .await;
    assert_eq!(app.post_json(&format!("/api/leaves/{id}/cancel"), &Value::Null).await.status(), 200);
    assert_error(app.post_json("/api/leaves/99999/approve", &Value::Null).await, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn pending_leave_can_be_rejected_or_cancelled_without_touching_attendance() {
    let app = spawn_app().await;
    app.login().await;
    let e = app.create_employee("EMP-002", "Siti", None).await;
    let mon = next_monday();
    let a: Value = post_leave(&app, &e["id"], "Cuti", "liburan keluarga", mon, mon + Duration::days(2), None)
        .await
        .json()
        .await
        .unwrap();
    assert!(a["bukti_url"].is_null());
    let r = app.post_json(&format!("/api/leaves/{}/reject", a["id"]), &Value::Null).await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "DITOLAK");
    // A rejected leave does not block a new one on the same days.
    let b: Value = post_leave(&app, &e["id"], "izin", "urusan keluarga", mon, mon, None).await.json().await.unwrap();
    assert_eq!(b["jenis"], "Izin");
    let r = app.post_json(&format!("/api/leaves/{}/cancel", b["id"]), &Value::Null).await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "DITOLAK");
    assert_eq!(Attendance::find().count(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn overlap_is_refused_and_bad_input_changes_nothing() {
    let app = spawn_app().await;
    app.login().await;
    let e = app.create_employee("EMP-003", "Agus", None).await;
    let other = app.create_employee("EMP-004", "Dewi", None).await;
    let mon = next_monday();
    let r = post_leave(&app, &e["id"], "Cuti", "mudik", mon, mon + Duration::days(2), None).await;
    assert_eq!(r.status(), 201);
    let first: Value = r.json().await.unwrap();

    // Overlapping a pending leave (and, after approval, an approved one).
    let r = post_leave(
        &app,
        &e["id"],
        "Izin",
        "acara",
        mon + Duration::days(2),
        mon + Duration::days(4),
        Some(png(50, 50)),
    )
    .await;
    let body = assert_error(r, 409, "LEAVE_OVERLAP").await;
    assert_eq!(body["error"]["leave"]["id"], first["id"]);
    app.post_json(&format!("/api/leaves/{}/approve", first["id"]), &Value::Null).await;
    let r = post_leave(&app, &e["id"], "Sakit", "flu", mon + Duration::days(1), mon + Duration::days(1), None).await;
    assert_error(r, 409, "LEAVE_OVERLAP").await;
    // Another employee on the same days is fine.
    assert_eq!(post_leave(&app, &other["id"], "Sakit", "flu", mon, mon, None).await.status(), 201);

    let leaves_before = LeaveRequest::find().count(&app.db).await.unwrap();
    let rows_before = Attendance::find().count(&app.db).await.unwrap();
    let far = today() + Duration::days(400);
    let w = mon + Duration::days(14);
    let inactive = app.create_employee("EMP-005", "Nonaktif", None).await;
    app.delete(&format!("/api/employees/{}", inactive["id"])).await;
    let cases: Vec<(Value, &str, String, NaiveDate, NaiveDate, Option<Vec<u8>>, u16, &str)> = vec![
        (e["id"].clone(), "Libur", "x".into(), w, w, None, 422, "VALIDATION"),
        (e["id"].clone(), "Izin", "   ".into(), w, w, None, 422, "VALIDATION"),
        (e["id"].clone(), "Izin", "x".repeat(250), w, w, None, 422, "VALIDATION"),
        (e["id"].clone(), "Izin", "x".into(), w + Duration::days(1), w, None, 422, "VALIDATION"),
        (e["id"].clone(), "Cuti", "x".into(), w, w + Duration::days(30), None, 422, "VALIDATION"),
        (e["id"].clone(), "Cuti", "x".into(), far, far, None, 422, "VALIDATION"),
        (Value::from(99999), "Izin", "x".into(), w, w, None, 404, "NOT_FOUND"),
        (inactive["id"].clone(), "Izin", "x".into(), w, w, None, 422, "EMPLOYEE_INACTIVE"),
        (e["id"].clone(), "Izin", "x".into(), w, w, Some(b"bukan gambar".to_vec()), 422, "INVALID_IMAGE"),
        (e["id"].clone(), "Izin", "x".into(), w, w, Some(b"GIF89a\x01\x00\x01\x00".to_vec()), 415, "UNSUPPORTED_MEDIA"),
    ];
    for (emp, jenis, alasan, from, to, bukti, status, code) in cases {
        let r = post_leave(&app, &emp, jenis, &alasan, from, to, bukti).await;
        assert_error(r, status, code).await;
    }
    // Unparseable fields and a missing body.
    let form = Form::new().text("employee_id", "abc").text("jenis", "Izin").text("alasan", "x");
    let r = app.client.post(app.url("/api/leaves")).multipart(form).send().await.unwrap();
    assert_error(r, 422, "VALIDATION").await;
    let form = Form::new()
        .text("employee_id", e["id"].to_string())
        .text("jenis", "Izin")
        .text("alasan", "x")
        .text("tanggal_mulai", "2026-02-30")
        .text("tanggal_selesai", "2026-03-01");
    let r = app.client.post(app.url("/api/leaves")).multipart(form).send().await.unwrap();
    assert_error(r, 422, "VALIDATION").await;
    let r = app.client.post(app.url("/api/leaves")).json(&serde_json::json!({"employee_id": 1})).send().await.unwrap();
    assert_error(r, 415, "UNSUPPORTED_MEDIA").await;

    assert_eq!(LeaveRequest::find().count(&app.db).await.unwrap(), leaves_before, "no leave created");
    assert_eq!(Attendance::find().count(&app.db).await.unwrap(), rows_before, "no attendance changed");
    assert_eq!(upload_files(&app), 0, "no proof file left behind");
}

#[tokio::test]
async fn concurrent_overlapping_requests_create_exactly_one_leave() {
    let app = spawn_app().await;
    app.login().await;
    let e = app.create_employee("EMP-006", "Rina", None).await;
    let mon = next_monday();
    let mut tasks = Vec::new();
    for i in 0..6 {
        let (client, url, id) = (app.client.clone(), app.url("/api/leaves"), e["id"].to_string());
        tasks.push(tokio::spawn(async move {
            let form = Form::new()
                .text("employee_id", id)
                .text("jenis", "Izin")
                .text("alasan", format!("percobaan {i}"))
                .text("tanggal_mulai", (mon + Duration::days(i % 2)).to_string())
                .text("tanggal_selesai", (mon + Duration::days(2)).to_string());
            client.post(url).multipart(form).send().await.unwrap().status().as_u16()
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    codes.sort();
    assert_eq!(codes, vec![201, 409, 409, 409, 409, 409]);
    assert_eq!(LeaveRequest::find().count(&app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn list_filters_and_pages() {
    let app = spawn_app().await;
    app.login().await;
    let a = app.create_employee("EMP-010", "Andi", None).await;
    let b = app.create_employee("EMP-011", "Bunga", None).await;
    let mon = next_monday();
    for w in 0..3 {
        let d = mon + Duration::days(7 * w);
        assert_eq!(post_leave(&app, &a["id"], "Cuti", "cuti", d, d + Duration::days(1), None).await.status(), 201);
        assert_eq!(post_leave(&app, &b["id"], "Izin", "izin", d, d, None).await.status(), 201);
    }
    let list: Value = app.get("/api/leaves").await.json().await.unwrap();
    assert_eq!(list["total"], 6);
    let first_id = list["items"][0]["id"].as_i64().unwrap();
    assert!(list["items"].as_array().unwrap().iter().all(|l| l["id"].as_i64().unwrap() <= first_id), "newest first");
    app.post_json(&format!("/api/leaves/{first_id}/approve"), &Value::Null).await;

    let q = |s: String| {
        let app = &app;
        async move { app.get(&s).await.json::<Value>().await.unwrap() }
    };
    assert_eq!(q(format!("/api/leaves?employee_id={}", a["id"])).await["total"], 3);
    assert_eq!(q("/api/leaves?status=DISETUJUI".into()).await["total"], 1);
    assert_eq!(q("/api/leaves?status=pending".into()).await["total"], 5);
    // from/to select leaves overlapping the window: only the first week.
    let p = q(format!("/api/leaves?from={}&to={}", mon + Duration::days(1), mon + Duration::days(3))).await;
    assert_eq!(p["total"], 1, "{p}");
    assert_eq!(p["items"][0]["employee_id"], a["id"]);
    let p = q("/api/leaves?page=2&per_page=4".into()).await;
    assert_eq!((p["items"].as_array().unwrap().len(), p["page"].as_u64()), (2, Some(2)));
    let one: Value = q(format!("/api/leaves/{first_id}")).await;
    assert_eq!(one["status"], "DISETUJUI");
    assert_error(app.get("/api/leaves?status=CANCELLED").await, 422, "VALIDATION").await;
    assert_error(app.get("/api/leaves?from=2026-13-01").await, 422, "VALIDATION").await;
    assert_error(app.get("/api/leaves?from=2026-05-02&to=2026-05-01").await, 422, "VALIDATION").await;
    assert_error(app.get("/api/leaves/424242").await, 404, "NOT_FOUND").await;
    assert_error(app.get("/api/leaves/424242/bukti").await, 404, "NOT_FOUND").await;
    assert_error(app.get(&format!("/api/leaves/{first_id}/bukti")).await, 404, "NOT_FOUND").await;
}

/// Approve and cancel racing on the same leave: whatever wins, the leave's status and its IZIN rows agree
/// (DISETUJUI with rows, or DITOLAK without), never a half-applied state.
#[tokio::test]
async fn racing_approve_and_cancel_leave_status_and_rows_consistent() {
    let app = spawn_app().await;
    app.login().await;
    let e = app.create_employee("EMP-020", "Balapan", None).await;
    let eid = e["id"].as_i64().unwrap();
    let mut outcomes = std::collections::HashSet::new();
    for week in 0..4 {
        let mon = next_monday() + Duration::days(7 * week);
        let l: Value =
            post_leave(&app, &e["id"], "Cuti", "cuti", mon, mon + Duration::days(4), None).await.json().await.unwrap();
        let id = l["id"].as_i64().unwrap();
        let (a, c) = (app.url(&format!("/api/leaves/{id}/approve")), app.url(&format!("/api/leaves/{id}/cancel")));
        let (c1, c2) = (app.client.clone(), app.client.clone());
        let (ra, rc) = tokio::join!(c1.post(a).send(), c2.post(c).send());
        let (sa, sc) = (ra.unwrap().status().as_u16(), rc.unwrap().status().as_u16());
        assert!([200, 409].contains(&sa) && [200, 409].contains(&sc), "approve {sa}, cancel {sc}");
        let status = LeaveRequest::find_by_id(id as i32).one(&app.db).await.unwrap().unwrap().status.unwrap();
        let izin = Attendance::find()
            .filter(attendance::Column::EmployeeId.eq(eid as i32))
            .filter(attendance::Column::Tanggal.between(mon, mon + Duration::days(4)))
            .count(&app.db)
            .await
            .unwrap();
        match status {
            backend::entities::LeaveStatus::Disetujui => assert_eq!(izin, 5, "approved => 5 IZIN rows"),
            backend::entities::LeaveStatus::Ditolak => assert_eq!(izin, 0, "cancelled => no IZIN rows"),
            other => panic!("unexpected {other:?}"),
        }
        outcomes.insert((sa, sc, status.as_str()));
        // Leave the week clean for the next round.
        app.post_json(&format!("/api/leaves/{id}/cancel"), &Value::Null).await;
    }
    assert!(!outcomes.is_empty());
}
