//! The kiosk API end to end with real frames (see `bursts.rs`): challenge, attend, leave. Skipped with a
//! message when ../shared/data/faces is absent.
use std::collections::HashMap;

use backend::domain::attendance::{DayStatus, ShiftTimes};
use backend::domain::time::parse_hhmm;
use backend::entities::{attendance, Attendance, AttendanceStatus, LeaveRequest};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{json, Value};

use crate::bursts::*;
use crate::helpers::*;

pub(crate) struct Kiosk {
    pub app: TestApp,
    pub budi: Value,
    pub budi_face: Subject,
    pub siti_face: Subject,
    dir: std::path::PathBuf,
    owner_token: String,
}

/// An app with a day shift 08:00–17:00 (5 min tolerance), Budi (Yale 06) and Siti (Yale 01) registered.
pub(crate) async fn kiosk_with(customise: impl FnOnce(&mut HashMap<String, String>)) -> Option<Kiosk> {
    let dir = faces_dir()?;
    let app = spawn_app_with(|env| {
        env.insert("KIOSK_RATE_PER_MINUTE".into(), "1000".into());
        customise(env);
    })
    .await;
    let owner_token = app.login().await;
    let shift = app.create_shift("Pagi", "08:00", "17:00", 5).await;
    let budi = app.create_employee("K001", "Budi", shift["id"].as_i64()).await;
    let siti = app.create_employee("K002", "Siti", shift["id"].as_i64()).await;
    let budi_face = Subject::yale(&dir, BUDI);
    let siti_face = Subject::yale(&dir, SITI);
    register(&app, &budi["id"], &budi_face).await;
    register(&app, &siti["id"], &siti_face).await;
    Some(Kiosk { app, budi, budi_face, siti_face, dir, owner_token })
}

async fn kiosk() -> Option<Kiosk> {
    kiosk_with(|_| {}).await
}

async fn rows(app: &TestApp) -> Vec<attendance::Model> {
    Attendance::find().all(&app.db).await.unwrap()
}

fn steps_of(s: &[String]) -> Vec<&str> {
    s.iter().map(String::as_str).collect()
}

/// The status the rules give a check-in at `time` (HH:MM) for the 08:00 shift with 5 minutes tolerance.
fn expected_status(tanggal: chrono::NaiveDate, time: &str) -> &'static str {
    let shift = ShiftTimes::new(parse_hhmm("08:00").unwrap(), parse_hhmm("17:00").unwrap(), Some(5));
    match shift.check_in_status(tanggal, parse_hhmm(time).unwrap()).0 {
        DayStatus::Hadir => "HADIR",
        DayStatus::Terlambat => "TERLAMBAT",
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn config_is_public_and_complete() {
    let app = spawn_app_with(|env| {
        env.insert(
            "OFFICE_SITES".into(),
            "Kantor Pusat:-6.2,106.8166,50;Cabang:-5.1477,119.4327,80,Asia/Makassar".into(),
        );
        env.insert("COMPANY_NAME".into(), "PT Contoh".into());
    })
    .await;
    let r = app.get("/api/kiosk/config").await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["company_name"], "PT Contoh");
    assert_eq!(v["geofence_enabled"], true);
    assert_eq!(v["gps_max_accuracy_m"], 50.0);
    assert_eq!(v["timezone"], "Asia/Jakarta");
    assert_eq!(v["sites"].as_array().unwrap().len(), 2);
    assert_eq!(v["sites"][1], json!({"name": "Cabang", "latitude": -5.1477, "longitude": 119.4327, "radius_m": 80.0}));
}

#[tokio::test]
async fn challenges_are_random_signed_and_rate_limited() {
    let app = spawn_app_with(|env| {
        env.insert("KIOSK_RATE_PER_MINUTE".into(), "12".into());
    })
    .await;
    let mut seen = std::collections::HashSet::new();
    let mut tokens = std::collections::HashSet::new();
    for _ in 0..12 {
        let r = app.client.post(app.url("/api/kiosk/challenge")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        let steps: Vec<String> =
            v["steps"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
        assert!(steps.len() >= 2, "{v}");
        assert!(steps.windows(2).all(|w| w[0] != w[1]), "no step twice in a row: {v}");
        assert!(steps.iter().all(|s| ["BLINK", "TURN_LEFT", "TURN_RIGHT"].contains(&s.as_str())));
        let exp = chrono::DateTime::parse_from_rfc3339(v["expires_at"].as_str().unwrap()).unwrap();
        let ttl = exp.timestamp() - chrono::Utc::now().timestamp();
        assert!((18..=20).contains(&ttl), "expires in ~20 s, got {ttl}");
        seen.insert(steps);
        tokens.insert(v["token"].as_str().unwrap().to_string());
    }
    assert_eq!(tokens.len(), 12, "every challenge has its own nonce");
    assert!(seen.len() >= 2, "sequences vary: {seen:?}");
    let r = app.client.post(app.url("/api/kiosk/challenge")).send().await.unwrap();
    assert_error(r, 429, "RATE_LIMITED").await;
}

#[tokio::test]
async fn genuine_burst_checks_in_and_a_second_scan_inside_the_gap_changes_nothing() {
    let Some(k) = kiosk().await else { return };
    let app = &k.app;
    let (token, steps) = challenge(app).await;
    let r = attend(app, &token, Some(INSIDE), k.budi_face.burst(&steps_of(&steps))).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["employee_id"], k.budi["id"]);
    assert_eq!(v["nama"], "Budi");
    assert_eq!(v["liveness_ok"], true);
    assert_eq!(v["action"], "CHECK_IN");
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["action", "employee_id", "liveness_ok", "message", "nama", "similarity", "status", "time"]);
    let sim = v["similarity"].as_f64().unwrap();
    assert!(sim >= app.config.face_accept.unwrap_or(face_engine::MatchPolicy::KIOSK.accept) as f64, "{v}");
    let all = rows(app).await;
    assert_eq!(all.len(), 1);
    let row = &all[0];
    let time = v["time"].as_str().unwrap();
    assert_eq!(v["status"], expected_status(row.tanggal, time), "{v}");
    assert_eq!(row.status.as_str(), v["status"]);
    assert_eq!(row.check_in.unwrap().format("%H:%M").to_string(), time);
    assert_eq!(row.liveness_ok, Some(true));
    assert!((row.similarity.unwrap() as f64 - sim).abs() < 1e-3);
    assert!((row.latitude.unwrap() as f64 - INSIDE.0).abs() < 1e-4);
    let msg = v["message"].as_str().unwrap();
    assert!(msg.contains("Budi") && msg.contains(&format!("Check-in {time}")), "{msg}");

    // A second scan seconds later (gap 60 min): nothing changes, the answer says when.
    let (token, steps) = challenge(app).await;
    let r = attend(app, &token, Some(INSIDE), k.budi_face.burst(&steps_of(&steps))).await;
    assert_eq!(r.status(), 200);
    let v2: Value = r.json().await.unwrap();
    assert_eq!(v2["action"], "NONE");
    assert_eq!(v2["status"], v["status"]);
    assert!(v2["message"].as_str().unwrap().contains(&format!("sudah check-in pukul {time}")), "{v2}");
    assert_eq!(rows(app).await, all, "row unchanged");
}

#[tokio::test]
async fn every_step_order_is_verified_and_a_later_scan_checks_out() {
    let Some(k) = kiosk_with(|env| {
        env.insert("CHECKOUT_MIN_GAP_MINUTES".into(), "0".into());
    })
    .await
    else {
        return;
    };
    let app = &k.app;
    // All six orders of two different steps, through the fixed test challenge of separate apps would be
    // slow; instead random challenges until every step kind has been seen, each one verified for real.
    let mut kinds = std::collections::HashSet::new();
    let mut actions = Vec::new();
    for _ in 0..6 {
        let (token, steps) = challenge(app).await;
        let r = attend(app, &token, Some(INSIDE), k.siti_face.burst(&steps_of(&steps))).await;
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "steps {steps:?}: {v}");
        assert_eq!(v["nama"], "Siti");
        actions.push(v["action"].as_str().unwrap().to_string());
        kinds.extend(steps);
        if kinds.len() == 3 && actions.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await; // a later second for the check-out
    }
    assert_eq!(actions[0], "CHECK_IN");
    assert!(actions[1..].iter().all(|a| a == "CHECK_OUT" || a == "NONE"), "{actions:?}");
    assert!(actions.iter().any(|a| a == "CHECK_OUT"), "{actions:?}");
    let all = rows(app).await;
    assert_eq!(all.len(), 1);
    assert!(all[0].check_out.is_some() && all[0].check_out > all[0].check_in, "{:?}", all[0]);
}

#[tokio::test]
async fn a_repeated_still_fails_liveness_and_is_recorded_for_review() {
    let Some(k) = kiosk_with(|env| {
        env.insert("LIVENESS_FIXED_CHALLENGE".into(), "BLINK,TURN_LEFT".into());
    })
    .await
    else {
        return;
    };
    let app = &k.app;
    let (token, _) = challenge(app).await;
    let body =
        assert_error(attend(app, &token, Some(INSIDE), k.budi_face.still(12)).await, 422, "LIVENESS_FAILED").await;
    assert_eq!(body["error"]["reason"]["code"], "STEP_MISSING", "{body}");
    let all = rows(app).await;
    assert_eq!(all.len(), 1, "a DITOLAK row for the owner's review");
    assert_eq!(all[0].employee_id as i64, k.budi["id"].as_i64().unwrap());
    assert_eq!(all[0].status, AttendanceStatus::Ditolak);
    assert_eq!(all[0].liveness_ok, Some(false));
    assert!(all[0].similarity.is_some() && all[0].latitude.is_some() && all[0].longitude.is_some());
    assert_eq!(all[0].check_in, None);
}

#[tokio::test]
async fn steps_in_the_wrong_order_fail() {
    let Some(k) = kiosk_with(|env| {
        env.insert("LIVENESS_FIXED_CHALLENGE".into(), "BLINK,TURN_LEFT".into());
    })
    .await
    else {
        return;
    };
    let app = &k.app;
    let (token, steps) = challenge(app).await;
    assert_eq!(steps, ["BLINK", "TURN_LEFT"]);
    let r = attend(app, &token, Some(INSIDE), k.budi_face.burst(&["TURN_LEFT", "BLINK"])).await;
    let body = assert_error(r, 422, "LIVENESS_FAILED").await;
    assert_eq!(body["error"]["reason"]["code"], "WRONG_ORDER", "{body}");
    // A turn to the other side is not the asked turn.
    let (token, _) = challenge(app).await;
    let body = assert_error(
        attend(app, &token, Some(INSIDE), k.budi_face.burst(&["BLINK", "TURN_RIGHT"])).await,
        422,
        "LIVENESS_FAILED",
    )
    .await;
    assert_eq!(body["error"]["reason"]["code"], "STEP_MISSING", "{body}");
    let all = rows(app).await;
    assert!(all.iter().all(|r| r.status == AttendanceStatus::Ditolak) && all.len() == 1, "{all:?}");
    // The genuine order passes and replaces the DITOLAK row.
    let (token, _) = challenge(app).await;
    let r = attend(app, &token, Some(INSIDE), k.budi_face.burst(&["BLINK", "TURN_LEFT"])).await;
    assert_eq!(r.status(), 200);
    let after = rows(app).await;
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].id, all[0].id);
    assert!(matches!(after[0].status, AttendanceStatus::Hadir | AttendanceStatus::Terlambat));
    assert_eq!(after[0].liveness_ok, Some(true));
}

#[tokio::test]
async fn two_people_in_one_burst_are_refused_without_a_row() {
    let Some(k) = kiosk_with(|env| {
        env.insert("LIVENESS_FIXED_CHALLENGE".into(), "BLINK,TURN_LEFT".into());
    })
    .await
    else {
        return;
    };
    let app = &k.app;
    // Budi holds the camera for the lead-in, Siti performs the steps.
    let budi = k.budi_face.burst(&["BLINK", "TURN_LEFT"]);
    let siti = k.siti_face.burst(&["BLINK", "TURN_LEFT"]);
    let mixed: Vec<Vec<u8>> = budi[..2].iter().chain(siti[2..].iter()).cloned().collect();
    let (token, _) = challenge(app).await;
    let body = assert_error(attend(app, &token, Some(INSIDE), mixed).await, 422, "LIVENESS_FAILED").await;
    assert_eq!(body["error"]["reason"]["code"], "IDENTITY_CHANGED", "{body}");
    // Two faces in the same frames.
    let group = std::fs::read(k.dir.join("negatives/multi_face/fr_two_people.jpg")).unwrap();
    let (token, _) = challenge(app).await;
    assert_error(attend(app, &token, Some(INSIDE), vec![group; 10]).await, 422, "MULTIPLE_FACES").await;
    // No face at all.
    let wall = jpeg(&image::open(k.dir.join("negatives/nonface/skimage_brick.png")).unwrap().to_rgb8());
    let (token, _) = challenge(app).await;
    assert_error(attend(app, &token, Some(INSIDE), vec![wall; 10]).await, 422, "NO_FACE").await;
    assert!(rows(app).await.is_empty());
}

#[tokio::test]
async fn challenges_are_single_use_expire_and_cannot_be_forged() {
    let Some(k) = kiosk_with(|env| {
        env.insert("LIVENESS_FIXED_CHALLENGE".into(), "BLINK,TURN_RIGHT".into());
    })
    .await
    else {
        return;
    };
    let app = &k.app;
    let burst = k.budi_face.burst(&["BLINK", "TURN_RIGHT"]);
    let (token, _) = challenge(app).await;
    assert_eq!(attend(app, &token, Some(INSIDE), burst.clone()).await.status(), 200);
    let before = rows(app).await;
    // Replay of the same request (token and frames).
    assert_error(attend(app, &token, Some(INSIDE), burst.clone()).await, 409, "CHALLENGE_REUSED").await;
    // Forged: another server's token, an owner session token, garbage, nothing.
    let other = spawn_app().await;
    let (foreign, _) = challenge(&other).await;
    assert_error(attend(app, &foreign, Some(INSIDE), burst.clone()).await, 400, "CHALLENGE_INVALID").await;
    assert_error(attend(app, &k.owner_token, Some(INSIDE), burst.clone()).await, 400, "CHALLENGE_INVALID").await;
    let (good, _) = challenge(app).await;
    let mut tampered = good.clone();
    tampered.insert(good.len() / 2, 'x');
    assert_error(attend(app, &tampered, Some(INSIDE), burst.clone()).await, 400, "CHALLENGE_INVALID").await;
    assert_error(attend(app, "", Some(INSIDE), burst.clone()).await, 400, "CHALLENGE_INVALID").await;
    assert_eq!(rows(app).await, before, "nothing changed");

    // Expired.
    let short = spawn_app_with(|env| {
        env.insert("CHALLENGE_TTL_SECS".into(), "1".into());
    })
    .await;
    let (token, _) = challenge(&short).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_error(attend(&short, &token, Some(INSIDE), burst).await, 422, "CHALLENGE_EXPIRED").await;
}

#[tokio::test]
async fn outside_the_geofence_is_refused_with_a_ditolak_row_that_a_valid_scan_replaces() {
    let Some(k) = kiosk_with(|env| {
        env.insert("LIVENESS_FIXED_CHALLENGE".into(), "TURN_LEFT,BLINK".into());
    })
    .await
    else {
        return;
    };
    let app = &k.app;
    let burst = k.budi_face.burst(&["TURN_LEFT", "BLINK"]);
    let (token, _) = challenge(app).await;
    let body = assert_error(attend(app, &token, Some(OUTSIDE), burst.clone()).await, 403, "OUTSIDE_GEOFENCE").await;
    assert!(body["error"]["distance_m"].as_f64().unwrap() > 1000.0, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("Kantor Pusat"));
    let all = rows(app).await;
    assert_eq!(all.len(), 1);
    let r = &all[0];
    assert_eq!(r.status, AttendanceStatus::Ditolak);
    assert_eq!(r.liveness_ok, Some(true), "liveness itself passed");
    assert!((r.latitude.unwrap() as f64 - OUTSIDE.0).abs() < 1e-4);
    assert!(r.similarity.unwrap() > 0.5);
    // A second failed attempt keeps the first row.
    let (token, _) = challenge(app).await;
    assert_error(attend(app, &token, Some(OUTSIDE), burst.clone()).await, 403, "OUTSIDE_GEOFENCE").await;
    assert_eq!(rows(app).await, all);
    // Then a valid scan: the same row becomes the check-in.
    let (token, _) = challenge(app).await;
    let v: Value = attend(app, &token, Some(INSIDE), burst).await.json().await.unwrap();
    assert_eq!(v["action"], "CHECK_IN", "{v}");
    let after = rows(app).await;
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].id, r.id);
    assert_eq!(after[0].status.as_str(), v["status"]);
    assert_eq!(after[0].status.as_str(), expected_status(after[0].tanggal, v["time"].as_str().unwrap()));
    assert!((after[0].latitude.unwrap() as f64 - INSIDE.0).abs() < 1e-4);
}

#[tokio::test]
async fn gps_missing_or_inaccurate_is_refused_without_spending_the_challenge() {
    let Some(k) = kiosk_with(|env| {
        env.insert("LIVENESS_FIXED_CHALLENGE".into(), "BLINK,TURN_LEFT".into());
    })
    .await
    else {
        return;
    };
    let app = &k.app;
    let burst = k.budi_face.burst(&["BLINK", "TURN_LEFT"]);
    let (token, _) = challenge(app).await;
    let body = assert_error(attend(app, &token, None, burst.clone()).await, 422, "GPS_MISSING").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("GPS"));
    let r = attend(app, &token, Some((INSIDE.0, INSIDE.1, 250.0)), burst.clone()).await;
    let body = assert_error(r, 422, "GPS_INACCURATE").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("250"), "{body}");
    let r = attend(app, &token, Some((95.0, INSIDE.1, 5.0)), burst.clone()).await;
    assert_error(r, 422, "VALIDATION").await;
    assert!(rows(app).await.is_empty(), "no row for unusable fixes");
    // The challenge was not spent by those refusals.
    assert_eq!(attend(app, &token, Some(INSIDE), burst).await.status(), 200);
}

#[tokio::test]
async fn geofence_can_be_turned_off_for_a_fixed_tablet() {
    let Some(k) = kiosk_with(|env| {
        env.insert("GEOFENCE_ENABLED".into(), "false".into());
        env.insert("LIVENESS_FIXED_CHALLENGE".into(), "TURN_RIGHT,TURN_LEFT".into());
    })
    .await
    else {
        return;
    };
    let (token, _) = challenge(&k.app).await;
    let r = attend(&k.app, &token, None, k.budi_face.burst(&["TURN_RIGHT", "TURN_LEFT"])).await;
    assert_eq!(r.status(), 200);
    let all = rows(&k.app).await;
    assert_eq!((all.len(), all[0].latitude), (1, None));
}

#[tokio::test]
async fn an_unknown_face_or_an_employee_without_a_registered_face_is_refused_without_a_row() {
    let Some(k) = kiosk_with(|env| {
        env.insert("LIVENESS_FIXED_CHALLENGE".into(), "BLINK,TURN_LEFT".into());
    })
    .await
    else {
        return;
    };
    // Tono is an employee (with a shift) whose face was never registered: to the kiosk he is a stranger.
    let shift_id = k.budi["shift_id"].as_i64();
    k.app.create_employee("K003", "Tono", shift_id).await;
    let stranger = Subject::yale(&k.dir, STRANGER);
    let (token, _) = challenge(&k.app).await;
    let r = attend(&k.app, &token, Some(INSIDE), stranger.burst(&["BLINK", "TURN_LEFT"])).await;
    let body = assert_error(r, 403, "UNKNOWN_FACE").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("didaftarkan"));
    assert!(rows(&k.app).await.is_empty());
}

#[tokio::test]
async fn inactive_employees_and_employees_without_a_shift_are_told_why() {
    let Some(k) = kiosk_with(|env| {
        env.insert("LIVENESS_FIXED_CHALLENGE".into(), "BLINK,TURN_LEFT".into());
    })
    .await
    else {
        return;
    };
    let app = &k.app;
    let burst = k.budi_face.burst(&["BLINK", "TURN_LEFT"]);
    assert_eq!(app.delete(&format!("/api/employees/{}", k.budi["id"])).await.status(), 200); // deactivates
    let (token, _) = challenge(app).await;
    let body = assert_error(attend(app, &token, Some(INSIDE), burst.clone()).await, 403, "EMPLOYEE_INACTIVE").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("Budi"));
    // Active again, but without a shift.
    let r = app
        .put_json(
            &format!("/api/employees/{}", k.budi["id"]),
            &json!({"kode": "K001", "nama": "Budi", "aktif": true, "shift_id": null}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let (token, _) = challenge(app).await;
    assert_error(attend(app, &token, Some(INSIDE), burst).await, 403, "NO_SHIFT").await;
    assert!(rows(app).await.is_empty());
}

#[tokio::test]
async fn an_approved_leave_day_is_not_overwritten() {
    let Some(k) = kiosk_with(|env| {
        env.insert("LIVENESS_FIXED_CHALLENGE".into(), "BLINK,TURN_LEFT".into());
    })
    .await
    else {
        return;
    };
    let app = &k.app;
    let today = backend::domain::time::local(chrono::Utc::now(), app.config.timezone).date();
    let izin = attendance::ActiveModel {
        employee_id: Set(k.budi["id"].as_i64().unwrap() as i32),
        tanggal: Set(today),
        status: Set(AttendanceStatus::Izin),
        liveness_ok: Set(Some(false)),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let (token, _) = challenge(app).await;
    let v: Value =
        attend(app, &token, Some(INSIDE), k.budi_face.burst(&["BLINK", "TURN_LEFT"])).await.json().await.unwrap();
    assert_eq!((v["action"].as_str(), v["status"].as_str()), (Some("NONE"), Some("IZIN")), "{v}");
    assert!(v["message"].as_str().unwrap().contains("izin"), "{v}");
    assert_eq!(rows(app).await, vec![izin]);
}

#[tokio::test]
async fn a_grey_zone_match_is_refused_and_recorded_for_review() {
    // An accept threshold no real pair reaches puts Budi's genuine match in the grey zone.
    let Some(k) = kiosk_with(|env| {
        env.insert("FACE_ACCEPT".into(), "0.9999".into());
        env.insert("FACE_GREY".into(), "0.5".into());
        env.insert("LIVENESS_FIXED_CHALLENGE".into(), "BLINK,TURN_LEFT".into());
    })
    .await
    else {
        return;
    };
    let (token, _) = challenge(&k.app).await;
    let r = attend(&k.app, &token, Some(INSIDE), k.budi_face.burst(&["BLINK", "TURN_LEFT"])).await;
    assert_error(r, 403, "LOW_CONFIDENCE").await;
    let all = rows(&k.app).await;
    assert_eq!(all.len(), 1);
    assert_eq!((all[0].status, all[0].liveness_ok), (AttendanceStatus::Ditolak, Some(true)));
    assert_eq!(all[0].employee_id as i64, k.budi["id"].as_i64().unwrap());
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_change_nothing() {
    let Some(k) = kiosk_with(|env| {
        env.insert("LIVENESS_FIXED_CHALLENGE".into(), "BLINK,TURN_LEFT".into());
    })
    .await
    else {
        return;
    };
    let app = &k.app;
    let burst = k.budi_face.burst(&["BLINK", "TURN_LEFT"]);
    let (token, _) = challenge(app).await;
    assert_error(attend(app, &token, Some(INSIDE), burst[..7].to_vec()).await, 422, "VALIDATION").await;
    let many: Vec<Vec<u8>> = burst.iter().cycle().take(21).cloned().collect();
    assert_error(attend(app, &token, Some(INSIDE), many).await, 422, "VALIDATION").await;
    let mut not_jpeg = burst.clone();
    not_jpeg[3] = b"GIF89a not a camera frame".to_vec();
    assert_error(attend(app, &token, Some(INSIDE), not_jpeg).await, 415, "UNSUPPORTED_MEDIA").await;
    let mut broken = burst.clone();
    broken[5].truncate(200);
    let body = assert_error(attend(app, &token, Some(INSIDE), broken).await, 422, "CORRUPT_IMAGE").await;
    assert!(body["error"]["message"].as_str().unwrap().starts_with("Frame 6"), "{body}");
    assert_error(app.post_json("/api/kiosk/attend", &serde_json::json!({})).await, 415, "UNSUPPORTED_MEDIA").await;
    let mut big = burst.clone();
    big[0] = vec![0u8; 2 * 1024 * 1024];
    big[0][..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
    assert_error(attend(app, &token, Some(INSIDE), big).await, 413, "PAYLOAD_TOO_LARGE").await;
    assert!(rows(app).await.is_empty());
    // A corrupt frame was analysed, so that challenge is spent; a fresh one works.
    let (token, _) = challenge(app).await;
    assert_eq!(attend(app, &token, Some(INSIDE), burst).await.status(), 200);
}

#[tokio::test]
async fn simultaneous_scans_of_one_employee_leave_one_row_and_no_server_error() {
    let Some(k) = kiosk_with(|env| {
        env.insert("LIVENESS_FIXED_CHALLENGE".into(), "BLINK,TURN_LEFT".into());
    })
    .await
    else {
        return;
    };
    let app = &k.app;
    const N: usize = 6;
    let burst = k.budi_face.burst_n(&["BLINK", "TURN_LEFT"], 8);
    let mut tokens = Vec::new();
    for _ in 0..N {
        tokens.push(challenge(app).await.0);
    }
    let futures = tokens.iter().map(|t| attend(app, t, Some(INSIDE), burst.clone()));
    let responses = futures_util::future::join_all(futures).await;
    let mut actions = Vec::new();
    for r in responses {
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "{v}");
        actions.push(v["action"].as_str().unwrap().to_string());
    }
    assert_eq!(actions.iter().filter(|a| *a == "CHECK_IN").count(), 1, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| *a == "NONE").count(), N - 1, "{actions:?}");
    assert_eq!(rows(app).await.len(), 1);
}

async fn leave_form(token: &str, frames: Vec<Vec<u8>>, jenis: &str, from: &str, to: &str) -> reqwest::multipart::Form {
    form(token, None, frames)
        .text("jenis", jenis.to_string())
        .text("alasan", "demam tinggi")
        .text("tanggal_mulai", from.to_string())
        .text("tanggal_selesai", to.to_string())
}

#[tokio::test]
async fn an_employee_requests_leave_after_face_verification() {
    let Some(k) = kiosk_with(|env| {
        env.insert("LIVENESS_FIXED_CHALLENGE".into(), "BLINK,TURN_LEFT".into());
    })
    .await
    else {
        return;
    };
    let app = &k.app;
    let today = backend::domain::time::local(chrono::Utc::now(), app.config.timezone).date();
    let (from, to) = (today.to_string(), (today + chrono::Duration::days(1)).to_string());
    let burst = k.budi_face.burst(&["BLINK", "TURN_LEFT"]);
    let post = |f: reqwest::multipart::Form| app.client.post(app.url("/api/kiosk/leave")).multipart(f).send();

    // A bad leave field is answered before the face is analysed: the challenge stays usable.
    let (token, _) = challenge(app).await;
    assert_error(
        post(leave_form(&token, burst.clone(), "Liburan", &from, &to).await).await.unwrap(),
        422,
        "VALIDATION",
    )
    .await;
    // A stranger cannot ask leave for anyone.
    let stranger = Subject::yale(&k.dir, STRANGER);
    let (token2, _) = challenge(app).await;
    let r =
        post(leave_form(&token2, stranger.burst(&["BLINK", "TURN_LEFT"]), "Sakit", &from, &to).await).await.unwrap();
    assert_error(r, 403, "UNKNOWN_FACE").await;
    // A still photo of Budi neither.
    let (token3, _) = challenge(app).await;
    let r = post(leave_form(&token3, k.budi_face.still(12), "Sakit", &from, &to).await).await.unwrap();
    assert_error(r, 422, "LIVENESS_FAILED").await;
    assert!(LeaveRequest::find().all(&app.db).await.unwrap().is_empty());
    assert!(rows(app).await.is_empty(), "a failed leave verification is not an attendance attempt");

    // Budi himself, from home (no GPS): a PENDING leave for Budi.
    let r = post(leave_form(&token, burst, "Sakit", &from, &to).await).await.unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["employee_id"], k.budi["id"]);
    assert_eq!((v["jenis"].as_str(), v["status"].as_str()), (Some("Sakit"), Some("PENDING")));
    assert_eq!(v["keterangan"], "demam tinggi");
    assert_eq!(LeaveRequest::find().all(&app.db).await.unwrap().len(), 1);
}

#[test]
fn turn_synthesis_is_what_the_engine_measures() {
    // Guards the fixture itself: the warped frames must read as turns in the asked direction.
    let Some(dir) = faces_dir() else { return };
    for n in [BUDI, SITI] {
        let s = Subject::yale(&dir, n);
        let yaw = |img: &image::RgbImage| {
            let a =
                engine().analyze_bytes(&jpeg(img), &face_engine::DecodeLimits::default(), &Default::default()).unwrap();
            a.face.unwrap().yaw
        };
        let (front, left, right) =
            (yaw(&s.open), yaw(&s.turned(true, TURN_FRACTION)), yaw(&s.turned(false, TURN_FRACTION)));
        eprintln!("yale {n}: yaw frontal {front:+.2}, left {left:+.2}, right {right:+.2}");
        assert!(front.abs() < 0.22 && left > 0.3 && right < -0.3, "yale {n}: {front} {left} {right}");
    }
}
