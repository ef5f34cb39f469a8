//! Active liveness: a pure verdict over the per-frame observations of one kiosk burst and the
//! challenge's steps (BLINK, TURN_LEFT, TURN_RIGHT).
//!
//! Requirements checked, in this order: enough frames; exactly one face in (almost) every frame; the
//! same identity throughout (every embedded frame close to the burst's medoid: the kiosk embeds, with
//! [`frames_to_embed`], every frame that shows a step or builds the probe); then each asked step,
//! in the asked order: a blink is a relative drop of eye openness against the same burst's open-eye
//! frames, and against an earlier open-eyed frame in the same head pose, followed by a recovery; a turn
//! is a yaw beyond a threshold in the asked direction, after a frontal frame. A static photo (no blink,
//! no yaw change) and a photo swapped mid-burst fail.
//!
//! Limits measured on real photos (`backend/tests/api/liveness_eval.rs`): a flat print turned 45-65°
//! about its vertical axis in front of the camera reads as a head turn (|yaw| 0.30-0.66), and the
//! mesh's 2-D geometry of such a print (nose parallax, face width) overlaps that of real turns, so a
//! turn alone does not prove a live face; the kiosk therefore always asks for a blink
//! (`backend/src/domain/challenge.rs`). The same tilt inflates the eye aspect ratio by up to 1.7x, which
//! is why a blink must be seen against an open frame in the same pose (see [`LivenessConfig`]).

use serde::{Deserialize, Serialize};

use crate::embedding::Embedding;
use crate::engine::FrameAnalysis;
use crate::landmarks::FaceShape;

/// One challenge step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Step {
    Blink,
    /// Turn to the subject's own left.
    TurnLeft,
    /// Turn to the subject's own right.
    TurnRight,
}

impl std::str::FromStr for Step {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "BLINK" => Ok(Step::Blink),
            "TURN_LEFT" => Ok(Step::TurnLeft),
            "TURN_RIGHT" => Ok(Step::TurnRight),
            other => Err(format!("unknown liveness step {other:?}")),
        }
    }
}

/// What liveness needs from one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameSignals {
    pub faces_found: usize,
    /// Yaw ratio of the chosen face (see [`crate::FaceObservation::yaw`]).
    pub yaw: Option<f32>,
    /// Mean iris-refined eye openness of the chosen face.
    pub eye_openness: Option<f32>,
    /// Proportions of the chosen face ([`crate::landmarks::face_shape`]): what a foreshortened
    /// (tilted) photo changes and a blink does not.
    pub face_shape: Option<FaceShape>,
    pub embedding: Option<Embedding>,
}

impl FrameSignals {
    pub fn from_analysis(a: &FrameAnalysis) -> FrameSignals {
        let f = a.face.as_ref();
        FrameSignals {
            faces_found: a.faces_found,
            yaw: f.map(|f| f.yaw),
            eye_openness: f.and_then(|f| f.eyes.map(|e| e.mean)),
            face_shape: f.and_then(|f| crate::landmarks::face_shape(&f.landmarks)),
            embedding: f.and_then(|f| f.embedding.clone()),
        }
    }
}

/// Thresholds of the liveness verdict.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LivenessConfig {
    pub min_frames: usize,
    /// Frames allowed without exactly one face (a glitch, motion blur).
    pub max_bad_frames: usize,
    /// Every frame's embedding must be at least this similar to the burst's medoid frame.
    pub min_identity_similarity: f32,
    /// Blink: openness at or below `(1 - blink_drop) x` the burst's open-eye level...
    pub blink_drop: f32,
    /// ...with frames at or above `(1 - blink_recover_tolerance) x` that level before and after it.
    pub blink_recover_tolerance: f32,
    /// The closed frame must also be at least `blink_pose_drop` below an earlier open frame in the
    /// same head pose: yaw within `blink_max_yaw_change`, face width over height and nose height
    /// ([`FaceShape`]) within `blink_max_width_change` and `blink_max_nose_change` (relative). A blink
    /// moves the eyelids, not the head. Measured on the Yale photos: a flat print turned or nodded
    /// 25-55° in front of the camera reads with 0.65-1.7x the eye aspect ratio of the untilted print,
    /// so against its tilted frames the untilted photo looks "shut"; between two frames of one print
    /// within these pose tolerances the largest drop is 28% (ratio 0.72), short of 30%. Yale
    /// open/closed pairs (two photos of one session) drop by 42-82% and differ by at most 0.08 in yaw,
    /// 3.3% in width and 4.9% in nose height. The kiosk samples the blink every 100 ms, so the open
    /// frame just before the closure is in the same pose.
    pub blink_pose_drop: f32,
    pub blink_max_yaw_change: f32,
    pub blink_max_width_change: f32,
    pub blink_max_nose_change: f32,
    /// Turn: |yaw| at least this in the asked direction (labelled turns: left > +0.39, right < -0.52).
    pub turn_yaw: f32,
    /// A frame counts as frontal when |yaw| is at most this (labelled frontal: -0.17..+0.22).
    pub frontal_yaw: f32,
    /// Set when the frames are mirrored (a selfie preview's pixels rather than the camera's).
    pub mirrored: bool,
}

impl Default for LivenessConfig {
    fn default() -> Self {
        LivenessConfig {
            min_frames: 4,
            max_bad_frames: 1,
            min_identity_similarity: crate::VERIFY_THRESHOLD,
            blink_drop: 0.25,
            blink_recover_tolerance: 0.15,
            blink_pose_drop: 0.30,
            blink_max_yaw_change: 0.10,
            blink_max_width_change: 0.06,
            blink_max_nose_change: 0.10,
            turn_yaw: 0.30,
            frontal_yaw: 0.22,
            mirrored: false,
        }
    }
}

/// Why liveness failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LivenessFailure {
    NoSteps,
    TooFewFrames {
        frames: usize,
        min: usize,
    },
    NoFace {
        frames: usize,
    },
    MultipleFaces {
        frames: usize,
    },
    IdentityChanged {
        frame: usize,
        similarity: f32,
    },
    /// The step was not seen at all.
    StepMissing {
        step: Step,
    },
    /// The step was seen, but not after the previous one.
    WrongOrder {
        step: Step,
    },
}

impl LivenessFailure {
    pub fn message_id(&self) -> String {
        match self {
            LivenessFailure::NoSteps => "Tantangan tidak berisi langkah.".into(),
            LivenessFailure::TooFewFrames { .. } => "Rekaman terlalu pendek: ulangi.".into(),
            LivenessFailure::NoFace { .. } => "Wajah tidak terlihat di sebagian rekaman.".into(),
            LivenessFailure::MultipleFaces { .. } => "Lebih dari satu wajah terlihat.".into(),
            LivenessFailure::IdentityChanged { .. } => "Wajah berganti selama rekaman.".into(),
            LivenessFailure::StepMissing { step } | LivenessFailure::WrongOrder { step } => match step {
                Step::Blink => "Kedipan mata tidak terdeteksi: ikuti petunjuk.".into(),
                Step::TurnLeft => "Gerakan menoleh ke kiri tidak terdeteksi.".into(),
                Step::TurnRight => "Gerakan menoleh ke kanan tidak terdeteksi.".into(),
            },
        }
    }
}

/// Outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LivenessVerdict {
    pub passed: bool,
    pub failure: Option<LivenessFailure>,
    /// For each step, the frame index where it was completed (only when passed).
    pub step_frames: Vec<usize>,
    /// Index of the medoid frame (the most typical face of the burst), the natural frame to match.
    pub reference_frame: Option<usize>,
}

fn fail(f: LivenessFailure) -> LivenessVerdict {
    LivenessVerdict { passed: false, failure: Some(f), step_frames: vec![], reference_frame: None }
}

/// Index of the frame whose embedding has the highest mean similarity to all others.
pub fn medoid(embs: &[(usize, &Embedding)]) -> Option<usize> {
    let mut best: Option<(f32, usize)> = None;
    for (i, (fi, a)) in embs.iter().enumerate() {
        let s: f32 = embs.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, (_, b))| a.similarity(b)).sum();
        if best.is_none_or(|(bs, _)| s > bs) {
            best = Some((s, *fi));
        }
    }
    best.map(|(_, i)| i)
}

/// Whether two frames show the head in the same pose (yaw and face shape), for the blink.
fn same_pose(a: &FrameSignals, b: &FrameSignals, cfg: &LivenessConfig) -> bool {
    let yaw_ok = match (a.yaw, b.yaw) {
        (Some(x), Some(y)) => (x - y).abs() <= cfg.blink_max_yaw_change,
        _ => true,
    };
    let rel = |x: f32, y: f32, tol: f32| y > 0.0 && (x / y - 1.0).abs() <= tol;
    let shape_ok = match (a.face_shape, b.face_shape) {
        (Some(x), Some(y)) => {
            rel(x.width_to_height, y.width_to_height, cfg.blink_max_width_change)
                && rel(x.nose_height, y.nose_height, cfg.blink_max_nose_change)
        }
        _ => true,
    };
    yaw_ok && shape_ok
}

/// Where a step was completed: the index after the event, and the frames that showed it (for a blink the
/// open, the closed and the reopened frame; for a turn the last frontal and the turned frame).
struct Found {
    next: usize,
    evidence: Vec<usize>,
}

/// Finds where `step` is completed at or after frame `from`.
fn find_step(
    step: Step,
    frames: &[FrameSignals],
    from: usize,
    cfg: &LivenessConfig,
    open_level: Option<f32>,
) -> Option<Found> {
    match step {
        Step::Blink => {
            let level = open_level?;
            let closed = level * (1.0 - cfg.blink_drop);
            let open = level * (1.0 - cfg.blink_recover_tolerance);
            let eo = |i: usize| frames[i].eye_openness;
            // A closed frame (from `from` on) preceded by an open frame in the same head pose whose eyes
            // are `blink_pose_drop` wider, then an open frame again: the first such closed frame
            // completes the blink at its recovery. Comparing within one pose keeps foreshortening out: a
            // photo tilted back and forth makes its untilted frames look "shut" against the tilted ones.
            for c in from..frames.len() {
                let Some(vc) = eo(c).filter(|&v| v <= closed) else { continue };
                let opened_before = (from..c).rev().find(|&o| {
                    eo(o).is_some_and(|vo| vo >= open && vc <= vo * (1.0 - cfg.blink_pose_drop))
                        && same_pose(&frames[o], &frames[c], cfg)
                });
                let Some(o) = opened_before else { continue };
                if let Some(r) = (c + 1..frames.len()).find(|&r| eo(r).is_some_and(|v| v >= open)) {
                    return Some(Found { next: r + 1, evidence: vec![o, c, r] });
                }
            }
            None
        }
        Step::TurnLeft | Step::TurnRight => {
            let mut sign = if step == Step::TurnLeft { 1.0 } else { -1.0 };
            if cfg.mirrored {
                sign = -sign;
            }
            let mut last_frontal = None;
            for (i, f) in frames.iter().enumerate().skip(from) {
                let Some(y) = f.yaw else { continue };
                if y.abs() <= cfg.frontal_yaw {
                    last_frontal = Some(i);
                } else if let Some(fr) = last_frontal.filter(|_| sign * y >= cfg.turn_yaw) {
                    return Some(Found { next: i + 1, evidence: vec![fr, i] });
                }
            }
            None
        }
    }
}

/// The burst's open-eye level: the 75th percentile of eye openness over near-frontal frames (turned
/// heads distort the aspect ratio), or over all frames when too few are frontal.
fn open_eye_level(good: &[FrameSignals], cfg: &LivenessConfig) -> Option<f32> {
    let collect = |frontal_only: bool| -> Vec<f32> {
        good.iter()
            .filter(|f| !frontal_only || f.yaw.is_some_and(|y| y.abs() <= cfg.turn_yaw))
            .filter_map(|f| f.eye_openness)
            .collect()
    };
    let mut eo = collect(true);
    if eo.len() < 3 {
        eo = collect(false);
    }
    eo.sort_by(|a, b| a.total_cmp(b));
    (!eo.is_empty()).then(|| eo[((eo.len() as f32 * 0.75) as usize).min(eo.len() - 1)])
}

/// Checks the frame count and the faces per frame; on success, the indices of the frames with exactly
/// one face (the only ones that take part from there on).
fn usable_frames(frames: &[FrameSignals], steps: &[Step], cfg: &LivenessConfig) -> Result<Vec<usize>, LivenessFailure> {
    if steps.is_empty() {
        return Err(LivenessFailure::NoSteps);
    }
    if frames.len() < cfg.min_frames {
        return Err(LivenessFailure::TooFewFrames { frames: frames.len(), min: cfg.min_frames });
    }
    let no_face = frames.iter().filter(|f| f.faces_found == 0).count();
    let multi = frames.iter().filter(|f| f.faces_found > 1).count();
    if no_face + multi > cfg.max_bad_frames {
        return Err(if multi > 0 {
            LivenessFailure::MultipleFaces { frames: multi }
        } else {
            LivenessFailure::NoFace { frames: no_face }
        });
    }
    Ok(frames.iter().enumerate().filter(|(_, f)| f.faces_found == 1).map(|(i, _)| i).collect())
}

/// Each step in order from the start of `good` (open-eye level from [`open_eye_level`]): the frames that
/// showed them, or the failure.
fn find_steps(
    good: &[FrameSignals],
    steps: &[Step],
    cfg: &LivenessConfig,
    open_level: Option<f32>,
) -> Result<Vec<Found>, LivenessFailure> {
    let mut cursor = 0;
    let mut found = Vec::with_capacity(steps.len());
    for &step in steps {
        match find_step(step, good, cursor, cfg, open_level) {
            Some(f) => {
                cursor = f.next;
                found.push(f);
            }
            None => {
                let anywhere = find_step(step, good, 0, cfg, open_level).is_some();
                return Err(if anywhere {
                    LivenessFailure::WrongOrder { step }
                } else {
                    LivenessFailure::StepMissing { step }
                });
            }
        }
    }
    Ok(found)
}

/// The frames whose embeddings [`verify`] needs, decided from the frames' other signals (so that the
/// embedding network, a third of a frame's cost, runs only there):
/// - none when the burst fails before identity matters (too few frames, no face or several faces);
/// - every frame with one face when a step is not found (the refusal then reports what `verify` over
///   the whole burst reports, an identity change included);
/// - otherwise the frames that show the steps (open, closed and reopened frame of the blink, frontal and
///   turned frame of a turn) plus frontal open-eyed frames up to `probe_frames` of them, for the
///   probe of the 1:N search.
///
/// The identity check of [`verify`] then covers every frame the verdict rests on: a face that shows
/// nothing asked for (a lead-in frame, a frame between two steps) cannot make a burst pass.
pub fn frames_to_embed(
    frames: &[FrameSignals],
    steps: &[Step],
    cfg: &LivenessConfig,
    probe_frames: usize,
) -> Vec<usize> {
    let Ok(index_of) = usable_frames(frames, steps, cfg) else { return Vec::new() };
    let good: Vec<FrameSignals> = index_of.iter().map(|&i| frames[i].clone()).collect();
    let open_level = open_eye_level(&good, cfg);
    let Ok(found) = find_steps(&good, steps, cfg, open_level) else { return index_of };
    let mut chosen: Vec<usize> = found.iter().flat_map(|f| f.evidence.iter().copied()).collect();
    let probe_like = |f: &FrameSignals| {
        f.yaw.is_some_and(|y| y.abs() <= cfg.frontal_yaw)
            && match (f.eye_openness, open_level) {
                (Some(v), Some(l)) => v >= l * (1.0 - cfg.blink_recover_tolerance),
                _ => true,
            }
    };
    let mut candidates: Vec<usize> = (0..good.len()).filter(|&i| probe_like(&good[i])).collect();
    candidates.sort_by(|&a, &b| good[a].yaw.unwrap_or(0.0).abs().total_cmp(&good[b].yaw.unwrap_or(0.0).abs()));
    for c in candidates {
        if chosen.iter().filter(|&&i| probe_like(&good[i])).count() >= probe_frames {
            break;
        }
        if !chosen.contains(&c) {
            chosen.push(c);
        }
    }
    let mut out: Vec<usize> = chosen.into_iter().map(|i| index_of[i]).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The liveness verdict for a burst of frames (in capture order) and the asked steps (in order). The
/// identity check covers the frames that carry an embedding (all of them, or those chosen by
/// [`frames_to_embed`]).
pub fn verify(frames: &[FrameSignals], steps: &[Step], cfg: &LivenessConfig) -> LivenessVerdict {
    let index_of = match usable_frames(frames, steps, cfg) {
        Ok(i) => i,
        Err(f) => return fail(f),
    };
    let good: Vec<FrameSignals> = index_of.iter().map(|&i| frames[i].clone()).collect();

    let embs: Vec<(usize, &Embedding)> =
        good.iter().enumerate().filter_map(|(i, f)| f.embedding.as_ref().map(|e| (i, e))).collect();
    let reference = medoid(&embs);
    if let Some(r) = reference {
        let re = good[r].embedding.as_ref().expect("medoid has an embedding");
        for (i, e) in &embs {
            let s = e.similarity(re);
            if s < cfg.min_identity_similarity {
                return fail(LivenessFailure::IdentityChanged { frame: index_of[*i], similarity: s });
            }
        }
    }
    match find_steps(&good, steps, cfg, open_eye_level(&good, cfg)) {
        Ok(found) => LivenessVerdict {
            passed: true,
            failure: None,
            step_frames: found.iter().map(|f| index_of[f.next - 1]).collect(),
            reference_frame: reference.map(|r| index_of[r]),
        },
        Err(f) => fail(f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedding::tests::pseudo_random;

    fn frame(yaw: f32, eyes: f32, seed: u64) -> FrameSignals {
        FrameSignals {
            faces_found: 1,
            yaw: Some(yaw),
            eye_openness: Some(eyes),
            face_shape: Some(SHAPE),
            embedding: Some(pseudo_random(seed)),
        }
    }

    /// Frames of one person: embeddings are small perturbations of one vector.
    fn person(yaw_eyes: &[(f32, f32)]) -> Vec<FrameSignals> {
        let base = pseudo_random(1);
        yaw_eyes
            .iter()
            .enumerate()
            .map(|(i, &(y, e))| {
                let noise = pseudo_random(100 + i as u64);
                let v: Vec<f32> = base.as_slice().iter().zip(noise.as_slice()).map(|(a, b)| a + 0.2 * b).collect();
                FrameSignals {
                    faces_found: 1,
                    yaw: Some(y),
                    eye_openness: Some(e),
                    face_shape: Some(SHAPE),
                    embedding: Embedding::from_raw(&v),
                }
            })
            .collect()
    }

    const OPEN: f32 = 0.28;
    const SHUT: f32 = 0.14;
    /// Proportions of a frontal face.
    const SHAPE: FaceShape = FaceShape { width_to_height: 0.85, nose_height: 0.55 };

    fn scaled(width: f32, nose: f32) -> Option<FaceShape> {
        Some(FaceShape { width_to_height: SHAPE.width_to_height * width, nose_height: SHAPE.nose_height * nose })
    }

    #[test]
    fn blink_then_turn_left_passes() {
        let f = person(&[(0.0, OPEN), (0.02, OPEN), (0.0, SHUT), (0.01, OPEN), (0.2, OPEN), (0.45, 0.3), (0.1, OPEN)]);
        let v = verify(&f, &[Step::Blink, Step::TurnLeft], &LivenessConfig::default());
        assert!(v.passed, "{v:?}");
        assert_eq!(v.step_frames, vec![3, 5]);
        assert!(v.reference_frame.is_some());
    }

    #[test]
    fn static_photo_fails() {
        let f = person(&[(0.05, OPEN); 10]);
        let v = verify(&f, &[Step::Blink, Step::TurnRight], &LivenessConfig::default());
        assert_eq!(v.failure, Some(LivenessFailure::StepMissing { step: Step::Blink }));
    }

    #[test]
    fn turn_in_the_wrong_direction_fails_and_mirroring_flips_it() {
        let f = person(&[(0.0, OPEN), (0.0, SHUT), (0.0, OPEN), (-0.1, OPEN), (-0.6, OPEN), (0.0, OPEN)]);
        let cfg = LivenessConfig::default();
        let v = verify(&f, &[Step::Blink, Step::TurnLeft], &cfg);
        assert_eq!(v.failure, Some(LivenessFailure::StepMissing { step: Step::TurnLeft }));
        assert!(verify(&f, &[Step::Blink, Step::TurnRight], &cfg).passed);
        let mirrored = LivenessConfig { mirrored: true, ..cfg };
        assert!(verify(&f, &[Step::Blink, Step::TurnLeft], &mirrored).passed);
    }

    #[test]
    fn steps_in_the_wrong_order_fail() {
        // Turn first, then blink; asked: blink then turn.
        let f = person(&[(0.0, OPEN), (0.5, OPEN), (0.0, OPEN), (0.0, SHUT), (0.0, OPEN), (0.0, OPEN)]);
        let v = verify(&f, &[Step::Blink, Step::TurnLeft], &LivenessConfig::default());
        assert_eq!(v.failure, Some(LivenessFailure::WrongOrder { step: Step::TurnLeft }));
        assert!(verify(&f, &[Step::TurnLeft, Step::Blink], &LivenessConfig::default()).passed);
    }

    #[test]
    fn a_blink_needs_recovery_and_a_relative_drop() {
        // Eyes close and stay closed (a photo swapped for one with shut eyes): no recovery.
        let f = person(&[(0.0, OPEN), (0.0, OPEN), (0.0, SHUT), (0.0, SHUT)]);
        assert!(!verify(&f, &[Step::Blink], &LivenessConfig::default()).passed);
        // Small jitter of openness is not a blink.
        let f = person(&[(0.0, 0.28), (0.0, 0.26), (0.0, 0.24), (0.0, 0.27), (0.0, 0.28)]);
        assert!(!verify(&f, &[Step::Blink], &LivenessConfig::default()).passed);
        // Narrow eyes blinking (relative to their own open level) still count.
        let f = person(&[(0.0, 0.20), (0.0, 0.21), (0.0, 0.12), (0.0, 0.20), (0.0, 0.21)]);
        assert!(verify(&f, &[Step::Blink], &LivenessConfig::default()).passed);
    }

    #[test]
    fn a_print_tilted_back_and_forth_is_not_a_blink() {
        // A flat photo turned ~55° about its vertical axis: the mesh reads the eyes 1.45x "wider open"
        // and the face 20% narrower, with little yaw. Against those frames the untilted photo looks shut.
        let (frontal, tilted) = (0.25, 0.25 * 1.45);
        let cfg = LivenessConfig::default();
        let series = [
            (0.0, tilted),
            (0.05, tilted),
            (0.0, frontal),
            (0.05, tilted),
            (0.0, tilted),
            (0.0, frontal),
            (0.05, tilted),
        ];
        let print = |width: f32, nose: f32| {
            let mut f = person(&series);
            for s in f.iter_mut().filter(|s| s.eye_openness == Some(tilted)) {
                s.face_shape = scaled(width, nose);
            }
            f
        };
        let blink = Some(LivenessFailure::StepMissing { step: Step::Blink });
        assert_eq!(verify(&print(0.80, 1.0), &[Step::Blink], &cfg).failure, blink);
        // Nodded about its horizontal axis instead: wider, nose lower (a print deflates the eye aspect
        // ratio that way, so its nodded frames are the "shut" ones).
        let mut nod = person(&[(0.0, OPEN), (0.0, OPEN), (0.0, OPEN * 0.65), (0.0, OPEN), (0.0, OPEN)]);
        nod[2].face_shape = scaled(1.25, 1.02);
        assert_eq!(verify(&nod, &[Step::Blink], &cfg).failure, blink);
        nod[2].face_shape = scaled(1.02, 1.15);
        assert_eq!(verify(&nod, &[Step::Blink], &cfg).failure, blink);
        // The same eye openness with the head in one pose is a real blink (a 31% drop).
        assert!(verify(&print(1.0, 1.0), &[Step::Blink], &cfg).passed);
        // ...but not when the head turned between the open and the closed frame.
        let mut turned = print(1.0, 1.0);
        for s in turned.iter_mut().filter(|s| s.eye_openness == Some(tilted)) {
            s.yaw = Some(0.2);
        }
        assert_eq!(verify(&turned, &[Step::Blink], &cfg).failure, blink);
        // Small pose changes within the tolerances (a head is never perfectly still) still count.
        let mut g = person(&[(0.0, OPEN), (0.03, OPEN), (0.09, SHUT), (0.05, OPEN), (0.0, OPEN)]);
        g[2].face_shape = scaled(1.04, 0.93);
        assert!(verify(&g, &[Step::Blink], &cfg).passed);
        // Without shape signals (none measured) the yaw check alone applies.
        let mut h = person(&[(0.0, OPEN), (0.0, OPEN), (0.0, SHUT), (0.0, OPEN)]);
        h.iter_mut().for_each(|s| s.face_shape = None);
        assert!(verify(&h, &[Step::Blink], &cfg).passed);
    }

    #[test]
    fn face_count_and_identity_are_checked() {
        let mut f = person(&[(0.0, OPEN), (0.0, SHUT), (0.0, OPEN), (0.5, OPEN), (0.0, OPEN)]);
        f[2].faces_found = 2;
        f[3].faces_found = 2;
        assert_eq!(
            verify(&f, &[Step::Blink], &LivenessConfig::default()).failure,
            Some(LivenessFailure::MultipleFaces { frames: 2 })
        );
        let mut f = person(&[(0.0, OPEN), (0.0, SHUT), (0.0, OPEN), (0.0, OPEN), (0.0, OPEN)]);
        f[4] = frame(0.0, OPEN, 999); // somebody else
        assert!(matches!(
            verify(&f, &[Step::Blink], &LivenessConfig::default()).failure,
            Some(LivenessFailure::IdentityChanged { frame: 4, .. })
        ));
        let f = person(&[(0.0, OPEN), (0.0, SHUT)]);
        assert!(matches!(
            verify(&f, &[Step::Blink], &LivenessConfig::default()).failure,
            Some(LivenessFailure::TooFewFrames { .. })
        ));
        assert_eq!(verify(&f, &[], &LivenessConfig::default()).failure, Some(LivenessFailure::NoSteps));
    }

    /// Only the chosen frames keep their embeddings (the kiosk's second pass).
    fn embedded_only(frames: &[FrameSignals], keep: &[usize]) -> Vec<FrameSignals> {
        frames
            .iter()
            .enumerate()
            .map(|(i, f)| FrameSignals {
                embedding: if keep.contains(&i) { f.embedding.clone() } else { None },
                ..f.clone()
            })
            .collect()
    }

    fn without_embeddings(frames: &[FrameSignals]) -> Vec<FrameSignals> {
        embedded_only(frames, &[])
    }

    #[test]
    fn frames_to_embed_are_the_steps_evidence_and_the_probe() {
        let cfg = LivenessConfig::default();
        let steps = [Step::Blink, Step::TurnLeft];
        // 0-1 lead-in, 2 shut, 3 reopened, 4 frontal, 5 turned, 6-9 frontal padding.
        let f = person(&[
            (0.0, OPEN),
            (0.01, OPEN),
            (0.0, SHUT),
            (0.02, OPEN),
            (0.05, OPEN),
            (0.45, OPEN),
            (0.1, OPEN),
            (0.08, OPEN),
            (0.12, OPEN),
            (0.15, OPEN),
        ]);
        let keep = frames_to_embed(&without_embeddings(&f), &steps, &cfg, 4);
        // Blink: the open frame just before the closure (1), the closed (2), the reopened (3); turn: the
        // last frontal frame (4) and the turned one (5); the most frontal open frames fill the probe to 4.
        assert_eq!(keep, vec![0, 1, 2, 3, 4, 5]);
        let v = verify(&embedded_only(&f, &keep), &steps, &cfg);
        assert!(v.passed, "{v:?}");
        assert_eq!(v.step_frames, verify(&f, &steps, &cfg).step_frames);
        // Somebody else in a frame that shows nothing asked for does not decide anything...
        let mut g = f.clone();
        g[8] = frame(0.12, OPEN, 999);
        assert!(!verify(&g, &steps, &cfg).passed, "every embedded frame is checked");
        assert!(
            verify(&embedded_only(&g, &frames_to_embed(&without_embeddings(&g), &steps, &cfg, 4)), &steps, &cfg).passed
        );
        // ...but in a frame that shows a step, the identity check refuses the burst.
        for k in [1, 2, 3, 4, 5] {
            let mut g = f.clone();
            let (y, e) = (g[k].yaw.unwrap(), g[k].eye_openness.unwrap());
            g[k] = frame(y, e, 999);
            let keep = frames_to_embed(&without_embeddings(&g), &steps, &cfg, 4);
            assert!(keep.contains(&k), "frame {k} in {keep:?}");
            assert!(
                matches!(
                    verify(&embedded_only(&g, &keep), &steps, &cfg).failure,
                    Some(LivenessFailure::IdentityChanged { .. })
                ),
                "frame {k}"
            );
        }
    }

    #[test]
    fn frames_to_embed_on_a_failing_burst() {
        let cfg = LivenessConfig::default();
        // A step not found: every frame with one face, so the refusal is what the whole burst shows.
        let mut f = person(&[(0.05, OPEN); 8]);
        f[3].faces_found = 0;
        f[3].embedding = None;
        let keep = frames_to_embed(&without_embeddings(&f), &[Step::Blink], &cfg, 4);
        assert_eq!(keep, vec![0, 1, 2, 4, 5, 6, 7]);
        f[6] = frame(0.05, OPEN, 999);
        assert!(matches!(
            verify(&embedded_only(&f, &keep), &[Step::Blink], &cfg).failure,
            Some(LivenessFailure::IdentityChanged { frame: 6, .. })
        ));
        // Refused before identity matters (several faces, too few frames, no steps): nothing to embed.
        let mut f = person(&[(0.0, OPEN), (0.0, SHUT), (0.0, OPEN), (0.0, OPEN), (0.0, OPEN)]);
        f[1].faces_found = 2;
        f[2].faces_found = 2;
        assert!(frames_to_embed(&f, &[Step::Blink], &cfg, 4).is_empty());
        assert!(frames_to_embed(&f[..2], &[Step::Blink], &cfg, 4).is_empty());
        assert!(frames_to_embed(&f, &[], &cfg, 4).is_empty());
    }

    #[test]
    fn steps_parse() {
        assert_eq!("BLINK".parse::<Step>().unwrap(), Step::Blink);
        assert_eq!("turn_left".parse::<Step>().unwrap(), Step::TurnLeft);
        assert!("JUMP".parse::<Step>().is_err());
        assert_eq!(serde_json::to_string(&Step::TurnRight).unwrap(), "\"TURN_RIGHT\"");
    }
}
