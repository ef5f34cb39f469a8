//! Frames sent ahead of their burst (`POST /api/kiosk/frame`, what the kiosk page does while capturing):
//! `attend` reuses their analysis, gives the same verdict as without them, and reuses nothing that is not
//! the same bytes under the same challenge. Skipped with a message when ../shared/data/faces is absent.
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::bursts::*;
use crate::helpers::*;
use crate::kiosk::{kiosk_with, Kiosk};

const STEPS: [&str; 2] = ["BLINK", "TURN_LEFT"];

async fn fixed_kiosk() -> Option<Kiosk> {
    kiosk_with(|env| {
        env.insert("LIVENESS_FIXED_CHALLENGE".into(), STEPS.join(","));
    })
    .await
}

async fn send_frame(app: &TestApp, token: &str, frames: Vec<Vec<u8>>) -> reqwest::Response {
    let mut form = Form::new().text("challenge", token.to_string());
    for f in frames {
        form = form.part("frame", Part::bytes(f).file_name("frame.jpg").mime_str("image/jpeg").unwrap());
    }
    app.client.post(app.url("/api/kiosk/frame")).multipart(form).send().await.unwrap()
}

/// Sends every frame ahead, concurrently as the kiosk page does; returns `faces_found` of each.
async fn send_ahead(app: &TestApp, token: &str, burst: &[Vec<u8>]) -> Vec<i64> {
    let sends = burst.iter().map(|f| send_frame(app, token, vec![f.clone()]));
    let mut found = Vec::new();
    for r in futures_util::future::join_all(sends).await {
        assert_eq!(r.status(), 200, "frame sent ahead");
        let v: Value = r.json().await.unwrap();
        found.push(v["faces_found"].as_i64().unwrap());
    }
    found
}

/// (status, X-Prepared-Frames, body) of one attend.
async fn attend_counted(app: &TestApp, token: &str, burst: Vec<Vec<u8>>) -> (u16, Option<usize>, Value) {
    let r = attend(app, token, Some(INSIDE), burst).await;
    let prepared = r.headers().get("x-prepared-frames").and_then(|v| v.to_str().ok()?.parse().ok());
    (r.status().as_u16(), prepared, r.json().await.unwrap())
}

#[tokio::test]
async fn frames_sent_ahead_are_reused_with_the_same_verdict() {
    let Some(k) = fixed_kiosk().await else { return };
    let app = &k.app;
    let burst = distinct(k.budi_face.burst(&STEPS));

    // Without frames sent ahead: everything analysed by attend.
    let (token, _) = challenge(app).await;
    let (status, prepared, plain) = attend_counted(app, &token, burst.clone()).await;
    assert_eq!(status, 200, "{plain}");
    assert_eq!(prepared, Some(0));
    assert_eq!(plain["action"], "CHECK_IN");

    // The same frames sent ahead first: every one is found, the verdict and similarity are the same.
    let (token, _) = challenge(app).await;
    let found = send_ahead(app, &token, &burst).await;
    assert!(found.iter().all(|&n| n == 1), "one face per frame: {found:?}");
    // Sending a frame twice analyses it once and answers the same.
    assert_eq!(send_ahead(app, &token, &burst[..1]).await, found[..1]);
    let (status, prepared, ahead) = attend_counted(app, &token, burst.clone()).await;
    assert_eq!(status, 200, "{ahead}");
    assert_eq!(prepared, Some(burst.len()));
    assert_eq!(ahead["employee_id"], k.budi["id"]);
    assert_eq!(ahead["similarity"], plain["similarity"], "same chips, same embeddings");
    assert_eq!(ahead["action"], "NONE", "inside the check-out gap");

    // After attend the challenge is spent, for frames too.
    assert_error(send_frame(app, &token, vec![burst[0].clone()]).await, 409, "CHALLENGE_REUSED").await;
}

#[tokio::test]
async fn only_the_same_bytes_under_the_same_challenge_are_reused() {
    let Some(k) = fixed_kiosk().await else { return };
    let app = &k.app;
    let budi = distinct(k.budi_face.burst(&STEPS));
    let siti = distinct(k.siti_face.burst(&STEPS));

    // Siti's frames sent ahead, Budi's sent to attend: nothing reused, Budi recognised.
    let (token, _) = challenge(app).await;
    send_ahead(app, &token, &siti).await;
    let (status, prepared, v) = attend_counted(app, &token, budi.clone()).await;
    assert_eq!((status, prepared), (200, Some(0)), "{v}");
    assert_eq!(v["employee_id"], k.budi["id"]);

    // Frames sent ahead under another challenge are not used by this one.
    let (other, _) = challenge(app).await;
    send_ahead(app, &other, &siti).await;
    let (token, _) = challenge(app).await;
    let (status, prepared, v) = attend_counted(app, &token, siti.clone()).await;
    assert_eq!((status, prepared), (200, Some(0)), "{v}");
    assert_eq!(v["nama"], "Siti");

    // Half the burst sent ahead: those are reused, the rest analysed by attend.
    let (token, _) = challenge(app).await;
    send_ahead(app, &token, &budi[..budi.len() / 2]).await;
    let (status, prepared, v) = attend_counted(app, &token, budi.clone()).await;
    assert_eq!((status, prepared), (200, Some(budi.len() / 2)), "{v}");
    assert_eq!(v["employee_id"], k.budi["id"]);

    // The same pixels in other bytes are other frames (the digest binds a result to its bytes).
    let (token, _) = challenge(app).await;
    send_ahead(app, &token, &budi).await;
    let (status, prepared, v) = attend_counted(app, &token, k.budi_face.burst(&STEPS)).await;
    assert_eq!((status, prepared), (200, Some(0)), "{v}");
}

#[tokio::test]
async fn bad_frames_get_clear_errors_and_change_nothing() {
    let Some(k) = fixed_kiosk().await else { return };
    let app = &k.app;
    let burst = distinct(k.budi_face.burst(&STEPS));
    let before = db_snapshot(&app.db).await;
    let (token, _) = challenge(app).await;

    assert_error(send_frame(app, "", vec![burst[0].clone()]).await, 400, "CHALLENGE_INVALID").await;
    assert_error(send_frame(app, "forged.token", vec![burst[0].clone()]).await, 400, "CHALLENGE_INVALID").await;
    assert_error(send_frame(app, &token, vec![]).await, 422, "VALIDATION").await;
    assert_error(send_frame(app, &token, burst[..2].to_vec()).await, 422, "VALIDATION").await;
    assert_error(send_frame(app, &token, vec![b"GIF89a not a frame".to_vec()]).await, 415, "UNSUPPORTED_MEDIA").await;
    let mut broken = burst[1].clone();
    broken.truncate(200);
    assert_error(send_frame(app, &token, vec![broken.clone()]).await, 422, "CORRUPT_IMAGE").await;
    let mut big = vec![0u8; 2 * 1024 * 1024];
    big[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
    assert_error(send_frame(app, &token, vec![big]).await, 413, "PAYLOAD_TOO_LARGE").await;
    assert_error(app.post_json("/api/kiosk/frame", &serde_json::json!({})).await, 415, "UNSUPPORTED_MEDIA").await;
    // A frame without a face is answered (the kiosk could tell the person early), not refused.
    let grey = jpeg(&image::RgbImage::from_pixel(320, 240, image::Rgb([128, 128, 128])));
    let r = send_frame(app, &token, vec![grey]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["faces_found"], 0);
    // At most MAX_FRAMES (20) distinct frames per challenge: the corrupt and the grey frame count.
    let stills = distinct(k.budi_face.still(19));
    for f in &stills[..18] {
        assert_eq!(send_frame(app, &token, vec![f.clone()]).await.status(), 200);
    }
    assert_error(send_frame(app, &token, vec![stills[18].clone()]).await, 422, "VALIDATION").await;
    // A frame already held is still answered.
    assert_eq!(send_frame(app, &token, vec![stills[0].clone()]).await.status(), 200);
    assert_eq!(db_snapshot(&app.db).await, before, "nothing written");

    // None of it consumed the challenge: the burst is still accepted.
    let (status, _, v) = attend_counted(app, &token, burst).await;
    assert_eq!(status, 200, "{v}");
}

#[tokio::test]
async fn frames_have_a_budget_of_a_burst_per_allowed_request() {
    // KIOSK_RATE_PER_MINUTE=1: one challenge and one attend a minute, and 20 frames (MAX_FRAMES). The
    // budget is checked before the body is read, so any body counts.
    let app = spawn_app_with(|env| {
        env.insert("KIOSK_RATE_PER_MINUTE".into(), "1".into());
    })
    .await;
    for i in 0..20 {
        let r = send_frame(&app, "x", vec![b"not a frame".to_vec()]).await;
        assert_eq!(r.status(), 400, "frame {i}: within the budget, refused for its token");
    }
    assert_error(send_frame(&app, "x", vec![b"not a frame".to_vec()]).await, 429, "RATE_LIMITED").await;
}
