//! Dashboard statistics against known rows: today's counts, not checked in, faces, pending leaves, the
//! trend, the late ranking (night shift included) and recent events; bad parameters are refused.
use crate::helpers::*;
use crate::leaves::{insert_att, next_monday, post_leave, today};
use backend::entities::{face_encoding, AttendanceStatus::*};
use chrono::{Datelike, Duration};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{json, Value};

#[tokio::test]
async fn summary_trend_late_ranking_and_recent() {
    let app = spawn_app().await;
    app.login().await;
    let pagi = app.create_shift("Pagi", "08:00", "17:00", 5).await["id"].as_i64();
    let malam = app.create_shift("Malam", "22:00", "06:00", 10).await["id"].as_i64();
    let a = app.create_employee("A-1", "Ani", pagi).await;
    let b = app.create_employee("B-1", "Bayu", pagi).await;
    let c = app.create_employee("C-1", "Citra", malam).await;
    let d = app.create_employee("D-1", "Dodi", None).await;
    let e = app.create_employee("E-1", "Eka", pagi).await;
    let _f = app.create_employee("F-1", "Fajar", pagi).await;
    app.delete(&format!("/api/employees/{}", e["id"])).await; // deactivated
    let id = |v: &Value| v["id"].as_i64().unwrap() as i32;
    let t = today();
    let y = t - Duration::days(1);
    let db = &app.db;
    insert_att(db, id(&a), t, Hadir, Some("07:55"), Some("17:05")).await;
    insert_att(db, id(&b), t, Terlambat, Some("08:20"), None).await;
    insert_att(db, id(&c), t, Terlambat, Some("00:30"), None).await; // night shift: 150 minutes late
    insert_att(db, id(&d), t, Ditolak, None, None).await;
    insert_att(db, id(&a), y, Alpa, None, None).await;
    insert_att(db, id(&b), y, Terlambat, Some("08:10"), Some("17:00")).await;
    for emp in [&a, &e] {
        face_encoding::ActiveModel {
            employee_id: Set(id(emp)),
            encoding: Set(json!({"model": "test", "vector": vec![0.0f32; 128]})),
            dibuat: Set(Some(chrono::Utc::now().naive_utc())),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
    }
    let mon = next_monday();
    let l1: Value = post_leave(&app, &a["id"], "Cuti", "cuti", mon, mon, None).await.json().await.unwrap();
    post_leave(&app, &b["id"], "Izin", "izin", mon, mon, None).await;
    app.post_json(&format!("/api/leaves/{}/approve", l1["id"]), &Value::Null).await;

    let s: Value = app.get("/api/dashboard/summary").await.json().await.unwrap();
    assert_eq!(s["date"], t.to_string());
    assert_eq!(s["work_day"], t.weekday().num_days_from_monday() < 5);
    assert_eq!(s["active_employees"], 5);
    assert_eq!(s["registered_faces"], 1, "the inactive employee's face is not counted");
    assert_eq!(s["counts"], json!({"HADIR": 1, "TERLAMBAT": 2, "IZIN": 0, "ALPA": 0, "DITOLAK": 1}));
    assert_eq!(s["not_checked_in"], 1, "only Fajar: Dodi has no shift, Eka is inactive");
    assert_eq!(s["pending_leaves"], 1);
    let s: Value = app.get(&format!("/api/dashboard/summary?date={y}")).await.json().await.unwrap();
    assert_eq!(s["counts"], json!({"HADIR": 0, "TERLAMBAT": 1, "IZIN": 0, "ALPA": 1, "DITOLAK": 0}));
    assert_eq!(s["not_checked_in"], 2, "Citra and Fajar");

    let tr: Value = app.get("/api/dashboard/trend?days=3").await.json().await.unwrap();
    let days = tr["days"].as_array().unwrap();
    assert_eq!(days.len(), 3);
    assert_eq!(
        days[0],
        json!({"date": (t - Duration::days(2)).to_string(), "HADIR": 0, "TERLAMBAT": 0, "IZIN": 0, "ALPA": 0, "DITOLAK": 0})
    );
    assert_eq!(days[1], json!({"date": y.to_string(), "HADIR": 0, "TERLAMBAT": 1, "IZIN": 0, "ALPA": 1, "DITOLAK": 0}));
    assert_eq!(days[2], json!({"date": t.to_string(), "HADIR": 1, "TERLAMBAT": 2, "IZIN": 0, "ALPA": 0, "DITOLAK": 1}));
    let tr: Value = app.get("/api/dashboard/trend").await.json().await.unwrap();
    assert_eq!(tr["days"].as_array().unwrap().len(), 30, "default 30 days");

    let lr: Value = app.get(&format!("/api/dashboard/late-ranking?from={y}&to={t}")).await.json().await.unwrap();
    let items: Vec<(String, i64, i64)> = lr["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["kode"].as_str().unwrap().to_string(),
                i["late_days"].as_i64().unwrap(),
                i["late_minutes"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(items, vec![("B-1".to_string(), 2, 30), ("C-1".to_string(), 1, 150)]);
    let lr: Value =
        app.get(&format!("/api/dashboard/late-ranking?from={t}&to={t}&limit=1")).await.json().await.unwrap();
    assert_eq!(lr["items"].as_array().unwrap().len(), 1);
    assert_eq!(lr["items"][0]["kode"], "C-1", "150 minutes beats 20 on the same number of days");
    let lr: Value = app.get("/api/dashboard/late-ranking").await.json().await.unwrap();
    assert_eq!(
        (lr["from"].as_str(), lr["to"].as_str()),
        (Some((t - Duration::days(29)).to_string().as_str()), Some(t.to_string().as_str()))
    );

    let rc: Value = app.get("/api/dashboard/recent?limit=5").await.json().await.unwrap();
    let order: Vec<(String, String)> = rc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["nama"].as_str().unwrap().to_string(), i["tanggal"].as_str().unwrap().to_string()))
        .collect();
    let (ts, ys) = (t.to_string(), y.to_string());
    assert_eq!(
        order,
        vec![
            ("Ani".into(), ts.clone()),
            ("Bayu".into(), ts.clone()),
            ("Citra".into(), ts.clone()),
            ("Dodi".into(), ts.clone()),
            ("Bayu".into(), ys.clone())
        ]
    );
    assert_eq!(rc["items"][0]["check_out"], "17:05");
    assert_eq!(rc["items"][0]["status"], "HADIR");
    assert!(rc["items"][0]["dibuat"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn bad_dashboard_parameters_are_refused() {
    let app = spawn_app().await;
    app.login().await;
    for path in [
        "/api/dashboard/summary?date=kemarin",
        "/api/dashboard/summary?date=2026-02-30",
        "/api/dashboard/trend?days=0",
        "/api/dashboard/trend?days=367",
        "/api/dashboard/trend?days=abc",
        "/api/dashboard/late-ranking?from=2026-05-02&to=2026-05-01",
        "/api/dashboard/late-ranking?from=2020-01-01&to=2026-05-01",
        "/api/dashboard/late-ranking?limit=0",
        "/api/dashboard/recent?limit=101",
    ] {
        assert_error(app.get(path).await, 422, "VALIDATION").await;
    }
    // An empty database answers zeros, not errors.
    let s: Value = app.get("/api/dashboard/summary").await.json().await.unwrap();
    assert_eq!(s["counts"], json!({"HADIR": 0, "TERLAMBAT": 0, "IZIN": 0, "ALPA": 0, "DITOLAK": 0}));
    assert_eq!((s["active_employees"].as_u64(), s["not_checked_in"].as_u64()), (Some(0), Some(0)));
    let r: Value = app.get("/api/dashboard/recent").await.json().await.unwrap();
    assert_eq!(r["items"], json!([]));
}
