use crate::helpers::*;
use serde_json::{json, Value};

#[tokio::test]
async fn shift_crud_round_trip() {
    let app = spawn_app().await;
    app.login().await;
    let s = app.create_shift("Pagi", "08:00", "17:00", 10).await;
    assert_eq!(s["nama"], "Pagi");
    assert_eq!(s["jam_masuk"], "08:00");
    assert_eq!(s["jam_pulang"], "17:00");
    assert_eq!(s["toleransi_menit"], 10);
    assert_eq!(s["aktif"], true);
    let id = s["id"].as_i64().unwrap();

    let r = app.put_json(&format!("/api/shifts/{id}"), &json!({"nama": "Pagi A", "jam_masuk": "07:30:00", "jam_pulang": "16:30", "toleransi_menit": 0, "aktif": false})).await;
    assert_eq!(r.status(), 200);
    let s: Value = r.json().await.unwrap();
    assert_eq!(
        (s["nama"].as_str(), s["jam_masuk"].as_str(), s["toleransi_menit"].as_i64(), s["aktif"].as_bool()),
        (Some("Pagi A"), Some("07:30"), Some(0), Some(false))
    );

    let list: Value = app.get("/api/shifts").await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(app.delete(&format!("/api/shifts/{id}")).await.status(), 204);
    assert_error(app.get(&format!("/api/shifts/{id}")).await, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn default_tolerance_and_night_shift() {
    let app = spawn_app().await;
    app.login().await;
    let r = app.post_json("/api/shifts", &json!({"nama": "Malam", "jam_masuk": "22:00", "jam_pulang": "06:00"})).await;
    assert_eq!(r.status(), 201);
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["toleransi_menit"], 5, "the seed's default");
    assert_eq!(s["jam_pulang"], "06:00");
}

#[tokio::test]
async fn duplicate_names_conflict_case_insensitively() {
    let app = spawn_app().await;
    app.login().await;
    app.create_shift("Pagi", "08:00", "17:00", 5).await;
    let r = app.post_json("/api/shifts", &json!({"nama": "pagi", "jam_masuk": "09:00", "jam_pulang": "18:00"})).await;
    assert_error(r, 409, "DUPLICATE_NAMA").await;
    let other = app.create_shift("Siang", "12:00", "20:00", 5).await;
    let r = app
        .put_json(
            &format!("/api/shifts/{}", other["id"]),
            &json!({"nama": "PAGI", "jam_masuk": "12:00", "jam_pulang": "20:00"}),
        )
        .await;
    assert_error(r, 409, "DUPLICATE_NAMA").await;
    let list: Value = app.get("/api/shifts").await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2, "nothing changed");
}

#[tokio::test]
async fn invalid_shifts_are_422_and_change_nothing() {
    let app = spawn_app().await;
    app.login().await;
    for (body, field) in [
        (json!({"nama": "", "jam_masuk": "08:00", "jam_pulang": "17:00"}), "nama"),
        (json!({"nama": "x".repeat(65), "jam_masuk": "08:00", "jam_pulang": "17:00"}), "nama"),
        (json!({"nama": "A", "jam_masuk": "8", "jam_pulang": "17:00"}), "jam_masuk"),
        (json!({"nama": "A", "jam_masuk": "08:00", "jam_pulang": "25:00"}), "jam_pulang"),
        (json!({"nama": "A", "jam_masuk": "08:00", "jam_pulang": "08:00"}), "jam_pulang"),
        (json!({"nama": "A", "jam_masuk": "08:00", "jam_pulang": "17:00", "toleransi_menit": -1}), "toleransi_menit"),
        (json!({"nama": "A", "jam_masuk": "08:00", "jam_pulang": "17:00", "toleransi_menit": 241}), "toleransi_menit"),
    ] {
        let r = app.post_json("/api/shifts", &body).await;
        let b = assert_error(r, 422, "VALIDATION").await;
        assert!(b["error"]["fields"][field].is_string(), "{field}: {b}");
    }
    let r = app.post_json("/api/shifts", &json!({"nama": "A"})).await;
    assert_error(r, 422, "VALIDATION").await;
    let list: Value = app.get("/api/shifts").await.json().await.unwrap();
    assert!(list.as_array().unwrap().is_empty());
    assert_error(
        app.put_json("/api/shifts/999", &json!({"nama": "A", "jam_masuk": "08:00", "jam_pulang": "17:00"})).await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_error(app.get("/api/shifts/abc").await, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn a_shift_in_use_cannot_be_deleted() {
    let app = spawn_app().await;
    app.login().await;
    let s = app.create_shift("Pagi", "08:00", "17:00", 5).await;
    app.create_employee("E1", "Budi", s["id"].as_i64()).await;
    let b = assert_error(app.delete(&format!("/api/shifts/{}", s["id"])).await, 409, "SHIFT_IN_USE").await;
    assert_eq!(b["error"]["employee_count"], 1);
    let got: Value = app.get(&format!("/api/shifts/{}", s["id"])).await.json().await.unwrap();
    assert_eq!(got["employee_count"], 1);
}
