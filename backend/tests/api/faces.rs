//! Face registration on real photos (../shared/data/faces; skipped with a message when absent).

use crate::helpers::*;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

pub use crate::helpers::faces_dir;

/// Reads dev images by their path under dev/images.
pub fn dev_images(dir: &std::path::Path, names: &[&str]) -> Vec<Vec<u8>> {
    names.iter().map(|n| std::fs::read(dir.join("dev/images").join(n)).unwrap()).collect()
}

pub async fn register(app: &TestApp, employee_id: &Value, frames: Vec<Vec<u8>>, consent: bool) -> reqwest::Response {
    let mut form = Form::new();
    for (i, f) in frames.into_iter().enumerate() {
        form = form.part("frame", Part::bytes(f).file_name(format!("frame{i}.jpg")));
    }
    if consent {
        form = form.text("consent", "true");
    }
    app.client.post(app.url(&format!("/api/employees/{employee_id}/face"))).multipart(form).send().await.unwrap()
}

#[tokio::test]
async fn registers_a_face_refuses_the_same_face_for_another_employee_and_erases_it() {
    let Some(dir) = faces_dir() else { return };
    let app = spawn_app().await;
    app.login().await;
    let a = app.create_employee("A1", "Dewi", None).await;
    let b = app.create_employee("B1", "Ray", None).await;
    let ricardo = dev_images(
        &dir,
        &["deepface_p01/img1.jpg", "deepface_p01/img2.jpg", "deepface_p01/img5.jpg", "deepface_p01/img6.jpg"],
    );

    let r = register(&app, &a["id"], ricardo[..3].to_vec(), true).await;
    assert_eq!(r.status(), 201);
    let out: Value = r.json().await.unwrap();
    assert_eq!(out["registered"], true);
    assert_eq!(out["frames"].as_array().unwrap().len(), 3);
    assert!(out["frames"].as_array().unwrap().iter().all(|f| f["ok"] == true), "{out}");
    let status: Value = app.get(&format!("/api/employees/{}/face", a["id"])).await.json().await.unwrap();
    assert_eq!(status["registered"], true);
    assert_eq!(status["usable"], true);
    assert_eq!(status["model"], out["model"]);
    // The owner's confirmation of the employee's consent is recorded with the encoding (UU PDP).
    assert_eq!(status["consent_by"], OWNER_EMAIL);
    assert!(status["consent_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{status}");
    let emp: Value = app.get(&format!("/api/employees/{}", a["id"])).await.json().await.unwrap();
    assert_eq!(emp["face_registered"], true);

    // The same person for another employee (a different photo too): buddy-punching fraud, refused by name.
    let body = assert_error(register(&app, &b["id"], ricardo[1..4].to_vec(), true).await, 409, "DUPLICATE_FACE").await;
    assert_eq!(body["error"]["employee"]["kode"], "A1");
    assert!(body["error"]["message"].as_str().unwrap().contains("Dewi"));
    let status: Value = app.get(&format!("/api/employees/{}/face", b["id"])).await.json().await.unwrap();
    assert_eq!(status["registered"], false, "nothing stored for B");

    // Re-registering A replaces its encoding (still one row).
    assert_eq!(register(&app, &a["id"], ricardo[1..4].to_vec(), true).await.status(), 201);

    // Erasing A's face frees it: now it can be registered for B.
    assert_eq!(app.delete(&format!("/api/employees/{}/face", a["id"])).await.status(), 204);
    let status: Value = app.get(&format!("/api/employees/{}/face", a["id"])).await.json().await.unwrap();
    assert_eq!(status["registered"], false);
    assert_eq!(register(&app, &b["id"], ricardo[..3].to_vec(), true).await.status(), 201);
}

#[tokio::test]
async fn bad_registrations_explain_each_frame_and_store_nothing() {
    let Some(dir) = faces_dir() else { return };
    let app = spawn_app().await;
    app.login().await;
    let e = app.create_employee("E1", "Ray", None).await;
    let ray = dev_images(
        &dir,
        &[
            "lfw_Ray_Romano/Ray_Romano_0001.jpg",
            "lfw_Ray_Romano/Ray_Romano_0002.jpg",
            "lfw_Ray_Romano/Ray_Romano_0004.jpg",
        ],
    );
    let serena = dev_images(
        &dir,
        &["lfw_Serena_Williams/Serena_Williams_0032.jpg", "lfw_Serena_Williams/Serena_Williams_0051.jpg"],
    );
    let cat = std::fs::read(dir.join("negatives/nonface/skimage_chelsea.png")).unwrap();
    let group = std::fs::read(dir.join("negatives/multi_face/fr_two_people.jpg")).unwrap();

    let body = assert_error(register(&app, &e["id"], ray.clone(), false).await, 422, "CONSENT_REQUIRED").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("persetujuan"));
    assert_error(register(&app, &e["id"], ray[..2].to_vec(), true).await, 422, "VALIDATION").await;

    // Two good frames of Ray, a cat, two people, and garbage bytes: not enough usable frames.
    let frames = vec![ray[0].clone(), ray[1].clone(), cat, group, b"not an image".to_vec()];
    let body = assert_error(register(&app, &e["id"], frames, true).await, 422, "FACE_QUALITY").await;
    let reports = body["error"]["frames"].as_array().unwrap();
    assert_eq!(reports.len(), 5);
    assert_eq!((reports[0]["ok"].as_bool(), reports[1]["ok"].as_bool()), (Some(true), Some(true)));
    for r in &reports[2..] {
        assert_eq!(r["ok"], false);
        assert!(!r["reasons"].as_array().unwrap().is_empty(), "{r}");
    }
    assert!(reports[3]["reasons"][0].as_str().unwrap().contains("wajah"), "{}", reports[3]);

    // Two people mixed 3 + 2: the minority frames are rejected as a different face.
    let mixed = vec![ray[0].clone(), serena[0].clone(), ray[1].clone(), serena[1].clone(), ray[2].clone()];
    let r = register(&app, &e["id"], mixed, true).await;
    assert_eq!(r.status(), 201);
    let out: Value = r.json().await.unwrap();
    let ok: Vec<bool> = out["frames"].as_array().unwrap().iter().map(|f| f["ok"].as_bool().unwrap()).collect();
    assert_eq!(ok, vec![true, false, true, false, true]);
}

#[tokio::test]
async fn encodings_backup_round_trip_and_foreign_models_are_refused() {
    let Some(dir) = faces_dir() else { return };
    let app = spawn_app().await;
    app.login().await;
    let a = app.create_employee("A1", "Dewi", None).await;
    let imgs = dev_images(&dir, &["deepface_p01/img1.jpg", "deepface_p01/img2.jpg", "deepface_p01/img5.jpg"]);
    assert_eq!(register(&app, &a["id"], imgs, true).await.status(), 201);
    let backup = backend::services::encodings::export(&app.db).await.unwrap();
    assert_eq!(backup.entries.len(), 1);
    assert_eq!(backup.entries[0].kode, "A1");
    assert_eq!(backup.entries[0].encoding.vector.len(), 128);
    assert_eq!(backup.entries[0].consent.as_ref().unwrap()["confirmed_by"], OWNER_EMAIL);

    assert_eq!(app.delete(&format!("/api/employees/{}/face", a["id"])).await.status(), 204);
    let state = backend::startup::build_state(app.config.clone()).await.unwrap();
    let report = backend::services::encodings::import(&state, &backup).await.unwrap();
    assert_eq!(report.imported, 1);
    let status: Value = app.get(&format!("/api/employees/{}/face", a["id"])).await.json().await.unwrap();
    assert_eq!((status["registered"].as_bool(), status["usable"].as_bool()), (Some(true), Some(true)));
    assert_eq!(status["consent_by"], OWNER_EMAIL, "the consent record survives backup and restore");

    // An encoding from another model id is refused, naming who must register again; unknown kode skipped.
    let mut foreign = backup;
    foreign.entries[0].encoding.model = "facenet_128".into();
    foreign.entries.push(backend::services::encodings::BackupEntry {
        kode: "NOPE".into(),
        nama: "x".into(),
        encoding: foreign.entries[0].encoding.clone(),
        dibuat: None,
        consent: None,
    });
    let report = backend::services::encodings::import(&state, &foreign).await.unwrap();
    assert_eq!(report.imported, 0);
    assert_eq!(report.unknown_kode, vec!["NOPE".to_string()]);
    assert_eq!(report.refused.len(), 1);
    assert!(
        report.refused[0].0.contains("Dewi") && report.refused[0].1.contains("facenet_128"),
        "{:?}",
        report.refused
    );
}
