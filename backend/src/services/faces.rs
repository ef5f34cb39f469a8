//! Face registration: per-frame quality verdicts, agreement between frames, the enrolment centroid, the
//! duplicate-face check, and storing/deleting the encoding (kept in step with the gallery).
use face_engine::{
    assess_quality, centroid, Embedding, FrameAnalysis, MatchPolicy, QualityLimits, SearchResult, VERIFY_THRESHOLD,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;

use crate::domain::time::utc_now_naive;
use crate::entities::{face_encoding, FaceEncoding};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub const MIN_FRAMES: usize = 3;
pub const MAX_FRAMES: usize = 10;
/// Good frames needed for an enrolment.
pub const MIN_GOOD_FRAMES: usize = 3;

/// The verdict on one registration frame, as shown to the owner.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct FrameReport {
    pub index: usize,
    pub ok: bool,
    /// Indonesian reasons the frame was not used (empty when `ok`).
    pub reasons: Vec<String>,
    /// Similarity of this frame to the enrolment centroid (when it had a face).
    pub similarity_to_centroid: Option<f32>,
    /// Head yaw ratio (0 = frontal).
    pub yaw: Option<f32>,
}

#[derive(Debug)]
pub struct Enrolment {
    pub template: Embedding,
    pub frames: Vec<FrameReport>,
}

/// Pure decision over the analysed frames: which are good, do they agree, and the template.
///
/// A frame is good when it has exactly one face passing the quality gates (the extra-frame limits, which
/// allow small head turns); at least one good frame must also pass the frontal limits; good frames must
/// show the same person as the medoid good frame (cosine ≥ `VERIFY_THRESHOLD`), otherwise they are
/// dropped as "a different face". Fewer than `MIN_GOOD_FRAMES` good frames is a 422 carrying the report.
pub fn enrol(results: &[Result<FrameAnalysis, AppError>]) -> Result<Enrolment, (AppError, Vec<FrameReport>)> {
    let frontal = QualityLimits::default();
    let extra = QualityLimits::extra_frame();
    let mut reports = Vec::with_capacity(results.len());
    let mut good: Vec<(usize, Embedding, bool)> = Vec::new();
    for (index, r) in results.iter().enumerate() {
        let mut report = FrameReport { index, ok: false, reasons: vec![], similarity_to_centroid: None, yaw: None };
        match r {
            Err(e) => report.reasons.push(e.message.clone()),
            Ok(a) => match a.single_face() {
                Err(e) => report.reasons.push(crate::face_service::face_error(e).message),
                Ok(face) => {
                    report.yaw = Some(face.yaw);
                    let verdict = assess_quality(face, &extra);
                    if !verdict.ok {
                        report.reasons.extend(verdict.issues.iter().map(|i| i.message_id().to_string()));
                    } else if let Some(emb) = face.embedding.clone() {
                        let is_frontal = assess_quality(face, &frontal).ok;
                        good.push((index, emb, is_frontal));
                        report.ok = true;
                    } else {
                        report.reasons.push("Wajah tidak dapat diproses.".into());
                    }
                }
            },
        }
        reports.push(report);
    }
    // Agreement: every good frame must show the same person as the burst's medoid frame (the most typical
    // one); frames of someone else are dropped. (A centroid check alone would let a 50/50 mix of two people
    // pass, since the centroid lies between them.)
    let embs: Vec<(usize, &Embedding)> = good.iter().map(|g| (g.0, &g.1)).collect();
    if let Some(m) = face_engine::liveness::medoid(&embs) {
        let reference = good.iter().find(|g| g.0 == m).map(|g| g.1.clone()).expect("medoid is a good frame");
        good.retain(|(i, e, _)| {
            let keep = e.similarity(&reference) >= VERIFY_THRESHOLD;
            if !keep {
                reports[*i].ok = false;
                reports[*i].reasons.push("Wajah pada foto ini berbeda dengan foto lainnya.".into());
            }
            keep
        });
    }
    let template = centroid(good.iter().map(|g| &g.1));
    if let Some(t) = &template {
        for (i, e, _) in &good {
            reports[*i].similarity_to_centroid = Some(e.similarity(t));
        }
        for r in reports.iter_mut() {
            if r.similarity_to_centroid.is_none() {
                if let Some(Ok(a)) = results.get(r.index) {
                    if let Some(e) = a.face.as_ref().and_then(|f| f.embedding.as_ref()) {
                        r.similarity_to_centroid = Some(e.similarity(t));
                    }
                }
            }
        }
    }
    if good.len() < MIN_GOOD_FRAMES {
        let e = AppError::unprocessable(
            "FACE_QUALITY",
            format!(
                "Hanya {} dari {} foto yang layak; dibutuhkan minimal {MIN_GOOD_FRAMES}. Perbaiki sesuai catatan tiap foto lalu ulangi.",
                good.len(),
                results.len()
            ),
        );
        return Err((e, reports));
    }
    if !good.iter().any(|g| g.2) {
        let e = AppError::unprocessable(
            "FACE_QUALITY",
            "Dibutuhkan minimal satu foto dengan wajah menghadap lurus ke kamera.",
        );
        return Err((e, reports));
    }
    Ok(Enrolment { template: template.expect("good frames exist"), frames: reports })
}

/// The other employee this face already belongs to, if any (best match above the accept threshold).
pub fn duplicate_of(result: Option<SearchResult>, policy: &MatchPolicy) -> Option<(i32, f32)> {
    let best = result?.best;
    (best.similarity >= policy.accept).then_some((best.id as i32, best.similarity))
}

/// The record of the employee's consent to biometric processing (UU PDP), kept inside the encoding JSON
/// (the locked schema has no column for it): who confirmed it and when.
pub fn consent_record(user_id: i32, email: &str, at: chrono::DateTime<chrono::Utc>) -> serde_json::Value {
    serde_json::json!({ "confirmed_by": email, "user_id": user_id, "at": crate::domain::time::rfc3339_utc(at.naive_utc()) })
}

/// Inserts or replaces the employee's encoding (the unique key on employee_id decides races). The JSON is
/// `{"model", "vector", "consent"}`; `consent` is [`consent_record`] (kept as is through backup/restore).
pub async fn store(
    state: &AppState,
    employee_id: i32,
    template: &Embedding,
    consent: Option<serde_json::Value>,
) -> AppResult<face_encoding::Model> {
    let mut json = state.face.to_json(template);
    if let (Some(c), Some(obj)) = (consent, json.as_object_mut()) {
        obj.insert("consent".into(), c);
    }
    let now = utc_now_naive();
    let existing =
        FaceEncoding::find().filter(face_encoding::Column::EmployeeId.eq(employee_id)).one(&state.db).await?;
    let saved = match existing {
        Some(row) => {
            let mut am: face_encoding::ActiveModel = row.into();
            am.encoding = Set(json);
            am.dibuat = Set(Some(now));
            am.update(&state.db).await?
        }
        None => {
            let am = face_encoding::ActiveModel {
                employee_id: Set(employee_id),
                encoding: Set(json.clone()),
                dibuat: Set(Some(now)),
                ..Default::default()
            };
            match am.insert(&state.db).await {
                Ok(m) => m,
                Err(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => {
                    // A concurrent registration inserted first: the later one wins.
                    let row = FaceEncoding::find()
                        .filter(face_encoding::Column::EmployeeId.eq(employee_id))
                        .one(&state.db)
                        .await?
                        .ok_or_else(|| AppError::internal("face encoding vanished during registration"))?;
                    let mut am: face_encoding::ActiveModel = row.into();
                    am.encoding = Set(json);
                    am.dibuat = Set(Some(now));
                    am.update(&state.db).await?
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    state.face.upsert(employee_id, template);
    Ok(saved)
}

pub async fn delete(state: &AppState, employee_id: i32) -> AppResult<bool> {
    let res =
        FaceEncoding::delete_many().filter(face_encoding::Column::EmployeeId.eq(employee_id)).exec(&state.db).await?;
    state.face.remove(employee_id);
    Ok(res.rows_affected > 0)
}
