//! Registration quality gates: a pure verdict over one [`FaceObservation`] with configurable limits.

use serde::{Deserialize, Serialize};

use crate::engine::FaceObservation;

/// Limits for [`assess_quality`]. Defaults are for the main (frontal) registration frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QualityLimits {
    /// Minimum face size (larger side of the detection box) in pixels.
    pub min_face_px: f32,
    /// Minimum detection score.
    pub min_detection_score: f32,
    /// Minimum FaceMesh face-presence probability.
    pub min_mesh_score: f32,
    /// Minimum variance of the Laplacian of the aligned chip.
    pub min_sharpness: f32,
    /// Largest |yaw ratio| (0 = frontal; labelled frontal faces lie within -0.17..+0.22).
    pub max_abs_yaw: f32,
    /// Largest |pitch| in degrees.
    pub max_abs_pitch: f32,
    /// Largest |roll| in degrees.
    pub max_abs_roll: f32,
    /// Minimum mean eye openness (iris-refined EAR); checked only when eyes were measured.
    pub min_eye_openness: f32,
}

impl Default for QualityLimits {
    fn default() -> Self {
        QualityLimits {
            min_face_px: 80.0,
            min_detection_score: 0.7,
            min_mesh_score: 0.5,
            min_sharpness: 15.0,
            max_abs_yaw: 0.3,
            max_abs_pitch: 25.0,
            max_abs_roll: 25.0,
            min_eye_openness: 0.19,
        }
    }
}

impl QualityLimits {
    /// Looser limits for the extra registration frames (small head turns allowed).
    pub fn extra_frame() -> Self {
        QualityLimits { max_abs_yaw: 0.6, ..QualityLimits::default() }
    }
}

/// One reason a frame is not good enough.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QualityIssue {
    TooSmall { face_px: f32, min: f32 },
    LowConfidence { score: f32, min: f32 },
    Blurry { sharpness: f32, min: f32 },
    NotFrontal { yaw: f32, pitch: f32, roll: f32 },
    EyesClosed { openness: f32, min: f32 },
    NoEmbedding,
}

impl QualityIssue {
    /// Human-readable (Indonesian, the users' language) hint for the registration screen.
    pub fn message_id(&self) -> &'static str {
        match self {
            QualityIssue::TooSmall { .. } => "Wajah terlalu kecil: mendekatlah ke kamera.",
            QualityIssue::LowConfidence { .. } => "Wajah kurang jelas terdeteksi.",
            QualityIssue::Blurry { .. } => "Gambar buram: tahan kamera tetap diam dan pastikan cahaya cukup.",
            QualityIssue::NotFrontal { .. } => "Hadapkan wajah lurus ke kamera.",
            QualityIssue::EyesClosed { .. } => "Mata tertutup: buka mata.",
            QualityIssue::NoEmbedding => "Wajah tidak dapat diproses.",
        }
    }
}

/// Verdict: `ok` when `issues` is empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityVerdict {
    pub ok: bool,
    pub issues: Vec<QualityIssue>,
}

/// Checks one observation against `limits` (pure; every failed gate is listed).
pub fn assess_quality(obs: &FaceObservation, limits: &QualityLimits) -> QualityVerdict {
    let mut issues = Vec::new();
    if obs.face_size_px < limits.min_face_px {
        issues.push(QualityIssue::TooSmall { face_px: obs.face_size_px, min: limits.min_face_px });
    }
    let conf = obs.detection_score.min(obs.mesh_score);
    if obs.detection_score < limits.min_detection_score || obs.mesh_score < limits.min_mesh_score {
        issues.push(QualityIssue::LowConfidence { score: conf, min: limits.min_detection_score });
    }
    if obs.sharpness < limits.min_sharpness {
        issues.push(QualityIssue::Blurry { sharpness: obs.sharpness, min: limits.min_sharpness });
    }
    if obs.yaw.abs() > limits.max_abs_yaw
        || obs.pitch.abs() > limits.max_abs_pitch
        || obs.roll.abs() > limits.max_abs_roll
    {
        issues.push(QualityIssue::NotFrontal { yaw: obs.yaw, pitch: obs.pitch, roll: obs.roll });
    }
    if let Some(eyes) = obs.eyes {
        if eyes.mean < limits.min_eye_openness {
            issues.push(QualityIssue::EyesClosed { openness: eyes.mean, min: limits.min_eye_openness });
        }
    }
    if obs.embedding.is_none() {
        issues.push(QualityIssue::NoEmbedding);
    }
    QualityVerdict { ok: issues.is_empty(), issues }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::BBox;
    use crate::embedding::tests::pseudo_random;
    use crate::engine::EyeOpenness;

    fn good() -> FaceObservation {
        FaceObservation {
            bbox: BBox { x0: 0.0, y0: 0.0, x1: 200.0, y1: 200.0 },
            detection_score: 0.95,
            mesh_score: 0.99,
            face_size_px: 200.0,
            eye_distance_px: 70.0,
            sharpness: 120.0,
            yaw: 0.05,
            pitch: 3.0,
            roll: 1.0,
            eyes: Some(EyeOpenness { right: 0.3, left: 0.28, mean: 0.29 }),
            embedding: Some(pseudo_random(1)),
            chip: None,
            landmarks: vec![],
            placement: crate::engine::ChipPlacement::identity(),
        }
    }

    #[test]
    fn a_good_frame_passes() {
        let v = assess_quality(&good(), &QualityLimits::default());
        assert!(v.ok, "{v:?}");
    }

    #[test]
    fn each_gate_reports_its_reason() {
        let l = QualityLimits::default();
        let mut o = good();
        o.face_size_px = 50.0;
        assert_eq!(assess_quality(&o, &l).issues, vec![QualityIssue::TooSmall { face_px: 50.0, min: 80.0 }]);
        let mut o = good();
        o.sharpness = 3.0;
        assert!(matches!(assess_quality(&o, &l).issues[..], [QualityIssue::Blurry { .. }]));
        let mut o = good();
        o.yaw = -0.5;
        assert!(matches!(assess_quality(&o, &l).issues[..], [QualityIssue::NotFrontal { .. }]));
        // A turned head is fine on an extra frame.
        assert!(assess_quality(&o, &QualityLimits::extra_frame()).ok);
        let mut o = good();
        o.eyes = Some(EyeOpenness { right: 0.1, left: 0.12, mean: 0.11 });
        assert!(matches!(assess_quality(&o, &l).issues[..], [QualityIssue::EyesClosed { .. }]));
        let mut o = good();
        o.mesh_score = 0.2;
        assert!(matches!(assess_quality(&o, &l).issues[..], [QualityIssue::LowConfidence { .. }]));
        // Several failures are all listed.
        let mut o = good();
        o.face_size_px = 10.0;
        o.sharpness = 0.0;
        o.embedding = None;
        let v = assess_quality(&o, &l);
        assert!(!v.ok);
        assert_eq!(v.issues.len(), 3);
        let json = serde_json::to_value(v.issues[0]).unwrap();
        assert_eq!(json["code"], "TOO_SMALL");
    }
}
