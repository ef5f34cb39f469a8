use std::io::Cursor;

use crate::helpers::*;
use backend::entities::{attendance, AttendanceStatus};
use reqwest::multipart::{Form, Part};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{json, Value};

#[tokio::test]
async fn employee_crud_round_trip() {
    let app = spawn_app().await;
    app.login().await;
    let s = app.create_shift("Pagi", "08:00", "17:00", 5).await;
    let e = app.create_employee("EMP-001", "Budi Santoso", s["id"].as_i64()).await;
    assert_eq!(e["kode"], "EMP-001");
    assert_eq!(e["shift_nama"], "Pagi");
    assert_eq!(e["aktif"], true);
    assert_eq!(e["face_registered"], false);
    assert!(e["foto_url"].is_null());
    let id = e["id"].as_i64().unwrap();

    let r = app
        .put_json(
            &format!("/api/employees/{id}"),
            &json!({"kode": "EMP-001", "nama": "Budi S.", "email": null, "shift_id": null}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["nama"], "Budi S.");
    assert!(e["email"].is_null() && e["shift_id"].is_null());
    assert_eq!(e["aktif"], true, "aktif kept when omitted");

    let got: Value = app.get(&format!("/api/employees/{id}")).await.json().await.unwrap();
    assert_eq!(got["nama"], "Budi S.");
    assert_error(app.get("/api/employees/9999").await, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn duplicate_kode_bad_email_and_unknown_shift_are_refused() {
    let app = spawn_app().await;
    app.login().await;
    app.create_employee("EMP-001", "Budi", None).await;
    let r = app.post_json("/api/employees", &json!({"kode": "emp-001", "nama": "Lain"})).await;
    assert_error(r, 409, "DUPLICATE_KODE").await;
    let r = app.post_json("/api/employees", &json!({"kode": "EMP-002", "nama": "Ani", "email": "bukan-email"})).await;
    let b = assert_error(r, 422, "VALIDATION").await;
    assert!(b["error"]["fields"]["email"].is_string());
    let r = app.post_json("/api/employees", &json!({"kode": "EMP-002", "nama": "Ani", "shift_id": 4242})).await;
    let b = assert_error(r, 422, "VALIDATION").await;
    assert!(b["error"]["fields"]["shift_id"].is_string());
    let r = app.post_json("/api/employees", &json!({"kode": "../etc", "nama": "Ani"})).await;
    assert_error(r, 422, "VALIDATION").await;
    let r =
        app.post_json("/api/employees", &json!({"kode": "EMP-003", "nama": "<script>alert(1)</script>\u{0007}"})).await;
    assert_error(r, 422, "VALIDATION").await;
    let list: Value = app.get("/api/employees").await.json().await.unwrap();
    assert_eq!(list["total"], 1, "nothing else was created");
}

#[tokio::test]
async fn search_filter_and_pagination() {
    let app = spawn_app().await;
    app.login().await;
    let s = app.create_shift("Pagi", "08:00", "17:00", 5).await;
    for i in 0..25 {
        let shift = if i % 2 == 0 { s["id"].as_i64() } else { None };
        app.create_employee(&format!("K{i:03}"), &format!("Karyawan {i:02}"), shift).await;
    }
    app.create_employee("X-1", "Siti Nurhaliza", None).await;
    let p: Value = app.get("/api/employees?page=2&per_page=10").await.json().await.unwrap();
    assert_eq!((p["total"].as_u64(), p["page"].as_u64(), p["per_page"].as_u64()), (Some(26), Some(2), Some(10)));
    assert_eq!(p["items"].as_array().unwrap().len(), 10);
    let p: Value = app.get("/api/employees?page=3&per_page=10").await.json().await.unwrap();
    assert_eq!(p["items"].as_array().unwrap().len(), 6);
    let p: Value = app.get("/api/employees?q=siti").await.json().await.unwrap();
    assert_eq!(p["total"], 1);
    assert_eq!(p["items"][0]["kode"], "X-1");
    let p: Value = app.get("/api/employees?q=%25").await.json().await.unwrap();
    assert_eq!(p["total"], 0, "a literal % matches nothing");
    let p: Value = app.get(&format!("/api/employees?shift_id={}", s["id"])).await.json().await.unwrap();
    assert_eq!(p["total"], 13);
    assert_error(app.get("/api/employees?page=abc").await, 422, "VALIDATION").await;
}

#[tokio::test]
async fn delete_deactivates_by_default_and_hard_delete_needs_no_attendance() {
    let app = spawn_app().await;
    app.login().await;
    let a = app.create_employee("A1", "Ani", None).await;
    let b = app.create_employee("B1", "Budi", None).await;
    let r: Value = app.delete(&format!("/api/employees/{}", a["id"])).await.json().await.unwrap();
    assert_eq!(r, json!({"deleted": false, "deactivated": true}));
    let got: Value = app.get(&format!("/api/employees/{}", a["id"])).await.json().await.unwrap();
    assert_eq!(got["aktif"], false);
    let inactive: Value = app.get("/api/employees?aktif=false").await.json().await.unwrap();
    assert_eq!(inactive["total"], 1);

    attendance::ActiveModel {
        employee_id: Set(b["id"].as_i64().unwrap() as i32),
        tanggal: Set(chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()),
        check_in: Set(chrono::NaiveTime::from_hms_opt(8, 0, 0)),
        status: Set(AttendanceStatus::Hadir),
        liveness_ok: Set(Some(true)),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    assert_error(app.delete(&format!("/api/employees/{}?hard=true", b["id"])).await, 409, "HAS_ATTENDANCE").await;
    assert_eq!(app.get(&format!("/api/employees/{}", b["id"])).await.status(), 200);

    let r: Value = app.delete(&format!("/api/employees/{}?hard=true", a["id"])).await.json().await.unwrap();
    assert_eq!(r["deleted"], true);
    assert_error(app.get(&format!("/api/employees/{}", a["id"])).await, 404, "NOT_FOUND").await;
}

fn png_bytes(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img).write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

async fn upload(app: &TestApp, id: &Value, bytes: Vec<u8>, filename: &str) -> reqwest::Response {
    let form = Form::new().part("photo", Part::bytes(bytes).file_name(filename.to_string()));
    app.client.post(app.url(&format!("/api/employees/{id}/photo"))).multipart(form).send().await.unwrap()
}

#[tokio::test]
async fn profile_photo_is_sniffed_reencoded_stored_randomly_and_served_to_the_owner_only() {
    let app = spawn_app().await;
    app.login().await;
    let e = app.create_employee("P1", "Putri", None).await;
    // A PNG named .txt is accepted (content decides); the stored file is a resized JPEG with a random name.
    let r = upload(&app, &e["id"], png_bytes(1200, 800), "foto.txt").await;
    assert_eq!(r.status(), 200);
    let out: Value = r.json().await.unwrap();
    assert_eq!(out["foto_url"], format!("/api/employees/{}/photo", e["id"]));
    let dir = app.config.upload_dir.join("profiles");
    let files: Vec<_> =
        std::fs::read_dir(&dir).unwrap().map(|f| f.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(files.len(), 1);
    assert!(files[0].ends_with(".jpg") && files[0].len() == 40 && !files[0].contains("foto"), "{files:?}");

    let r = app.get(&format!("/api/employees/{}/photo", e["id"])).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    let img = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (512, 341));
    let anon = reqwest::get(app.url(&format!("/api/employees/{}/photo", e["id"]))).await.unwrap();
    assert_eq!(anon.status(), 401);

    // Replacing removes the old file.
    assert_eq!(upload(&app, &e["id"], png_bytes(100, 100), "b.png").await.status(), 200);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    assert_eq!(app.delete(&format!("/api/employees/{}/photo", e["id"])).await.status(), 204);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

#[tokio::test]
async fn bad_photo_uploads_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    app.login().await;
    let e = app.create_employee("P1", "Putri", None).await;
    assert_error(upload(&app, &e["id"], b"not an image at all".to_vec(), "foto.jpg").await, 422, "INVALID_IMAGE").await;
    let mut big = png_bytes(10, 10);
    big.resize(5 * 1024 * 1024 + 10, 0);
    assert_error(upload(&app, &e["id"], big, "big.png").await, 413, "PAYLOAD_TOO_LARGE").await;
    let r = app
        .client
        .post(app.url(&format!("/api/employees/{}/photo", e["id"])))
        .json(&json!({"photo": "x"}))
        .send()
        .await
        .unwrap();
    assert_error(r, 415, "UNSUPPORTED_MEDIA").await;
    let form = Form::new().text("note", "no file");
    let r =
        app.client.post(app.url(&format!("/api/employees/{}/photo", e["id"]))).multipart(form).send().await.unwrap();
    assert_error(r, 422, "VALIDATION").await;
    let got: Value = app.get(&format!("/api/employees/{}", e["id"])).await.json().await.unwrap();
    assert!(got["foto_url"].is_null());
    assert!(
        !app.config.upload_dir.join("profiles").exists()
            || std::fs::read_dir(app.config.upload_dir.join("profiles")).unwrap().count() == 0
    );
}
