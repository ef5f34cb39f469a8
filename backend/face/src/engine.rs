//! The face engine: loads the four ONNX models once (checksums verified) and analyses frames.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use image::RgbImage;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;

use crate::align::{chip_to_image, AlignPoints, CHIP_SIZE};
use crate::decode::{decode_image, DecodeLimits};
use crate::detect::{self, BBox, Detection};
use crate::embedding::Embedding;
use crate::error::{FaceError, ModelError};
use crate::geometry::{warp_rgb, Affine, Point};
use crate::landmarks::{self, Landmark, IRIS_SIZE, MESH_POINTS, MESH_SIZE};

/// File names inside the models directory.
pub const DETECTOR_FILE: &str = "blazeface_short_range.onnx";
pub const MESH_FILE: &str = "face_landmark.onnx";
pub const IRIS_FILE: &str = "iris_landmark.onnx";
pub const EMBEDDER_FILE: &str = "dlib_face_recognition_resnet_v1.onnx";
pub const CHECKSUM_FILE: &str = "SHA256SUMS";
pub const MODEL_FILES: [&str; 4] = [DETECTOR_FILE, MESH_FILE, IRIS_FILE, EMBEDDER_FILE];

/// The models whose convolutions run on AMX where the CPU has it ([`crate::tract_ops::amx_convs`]):
/// measured faster there with `profile_models` (ResNet 10.4 → 5.3 ms per run, BlazeFace 2.9 → 2.65 ms).
/// FaceMesh gained nothing; in the iris model two thin layers on small maps got slower.
pub fn uses_amx(model_file: &str) -> bool {
    model_file == DETECTOR_FILE || model_file == EMBEDDER_FILE
}

type Plan = Arc<TypedRunnableModel>;

/// How many of the largest detections FaceMesh confirms per frame.
const MAX_CONFIRMED: usize = 3;

/// Options for [`FaceEngine::analyze`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyzeOptions {
    /// Compute the 128-D embedding of the chosen face (skip it on liveness-only frames).
    pub embedding: bool,
    /// Refine the eye contours with the iris model and measure eye openness.
    pub eyes: bool,
    /// Minimum BlazeFace score for a face to count.
    pub min_detection_score: f32,
    /// Minimum FaceMesh face-presence probability for a detection to count as a face.
    pub min_mesh_presence: f32,
    /// Which landmarks drive the alignment for the embedding.
    pub align: AlignMode,
    /// Run FaceMesh a second time on the crop derived from its first landmarks (+1 FaceMesh run).
    pub refine_mesh: bool,
    /// Average the embeddings of the chip and of its mirror image (+1 ResNet run). On by default: it is
    /// part of the model id [`DEFAULT_MODEL_ID`]; vectors made without it belong to no stored encoding
    /// (experiments only).
    pub flip_average: bool,
    /// Skip the iris model (`eyes`) on faces turned further than this |yaw| (measured on the mesh before
    /// refinement): the kiosk only reads a blink on a near-frontal face. `None`: every face.
    #[serde(default)]
    pub eyes_max_yaw: Option<f32>,
    /// Keep the aligned chip in [`FaceObservation::chip`] so that the embedding can be computed later
    /// with [`FaceEngine::embed_aligned`], only for the frames that need one (the kiosk).
    #[serde(default)]
    pub keep_chip: bool,
}

/// Serializable mirror of [`AlignPoints`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlignMode {
    Five,
    Dlib68,
    /// dlib's 68-point mean face, eyes and nose only (no mouth).
    Dlib68EyesNose,
}

impl From<AlignMode> for AlignPoints {
    fn from(m: AlignMode) -> Self {
        match m {
            AlignMode::Five => AlignPoints::Five,
            AlignMode::Dlib68 => AlignPoints::Dlib68,
            AlignMode::Dlib68EyesNose => AlignPoints::Dlib68EyesNose,
        }
    }
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            embedding: true,
            eyes: true,
            min_detection_score: 0.5,
            min_mesh_presence: 0.5,
            align: AlignMode::Dlib68,
            refine_mesh: false,
            flip_average: true,
            eyes_max_yaw: None,
            keep_chip: false,
        }
    }
}

/// Milliseconds spent per stage for one frame.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct StageTimings {
    pub decode_ms: f64,
    pub detect_ms: f64,
    /// FaceMesh and (if asked) the iris model.
    pub landmarks_ms: f64,
    /// Alignment, the ResNet and normalisation.
    pub embed_ms: f64,
    pub total_ms: f64,
}

/// Eye aspect ratios after iris refinement (open eyes ~0.25-0.35, closed < 0.18).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EyeOpenness {
    /// The subject's own right eye (image left in an unmirrored frame).
    pub right: f32,
    pub left: f32,
    pub mean: f32,
}

/// Everything measured on the chosen face of a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceObservation {
    pub bbox: BBox,
    pub detection_score: f32,
    /// FaceMesh's face-presence probability (low for non-faces that fooled the detector).
    pub mesh_score: f32,
    /// Face size in pixels: the larger side of the detection box.
    pub face_size_px: f32,
    /// Distance between the eye centres in pixels.
    pub eye_distance_px: f32,
    /// Variance of the Laplacian of the grey aligned 150x150 chip (higher = sharper; independent of
    /// the face's size in the frame).
    pub sharpness: f32,
    /// Yaw ratio, -1..1: 0 frontal, positive = the subject turned to their own left (in an unmirrored
    /// frame). Labelled data: frontal -0.17..+0.22, left > +0.39, right < -0.52.
    pub yaw: f32,
    /// Pitch in degrees from the mesh depth, positive = head tilted down.
    pub pitch: f32,
    /// Roll in degrees (eye line against the horizontal).
    pub roll: f32,
    /// Iris-refined eye openness; `None` when [`AnalyzeOptions::eyes`] was off.
    pub eyes: Option<EyeOpenness>,
    /// L2-normalised embedding; `None` when [`AnalyzeOptions::embedding`] was off.
    pub embedding: Option<Embedding>,
    /// The aligned chip, when [`AnalyzeOptions::keep_chip`] was on (in memory only, like the frame).
    pub chip: Option<AlignedChip>,
    /// The 468 FaceMesh points (iris-refined eye contours when eyes were measured), image pixels.
    pub landmarks: Vec<Landmark>,
    /// Where the aligned chip lies in the frame: the chip can be cut again from the same frame later
    /// ([`ChipPlacement::cut`]) without keeping its pixels.
    pub placement: ChipPlacement,
}

/// Where a face's aligned chip lies in its frame (the chip -> image similarity the alignment fitted)
/// and whether its embedding averages the mirror image: a few numbers, no pixels. Cutting the chip
/// from the same frame gives exactly the chip [`AnalyzeOptions::keep_chip`] keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChipPlacement {
    map: Affine,
    flip_average: bool,
}

impl ChipPlacement {
    /// The aligned chip, cut from the frame this placement was measured on.
    pub fn cut(&self, img: &RgbImage) -> AlignedChip {
        AlignedChip { pixels: warp_rgb(img, &self.map, CHIP_SIZE, CHIP_SIZE), flip_average: self.flip_average }
    }

    /// The identity placement (for observations built by hand in tests).
    #[cfg(test)]
    pub(crate) fn identity() -> ChipPlacement {
        ChipPlacement { map: Affine([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]), flip_average: false }
    }
}

/// The 150x150 RGB face chip aligned for the embedding network (HWC, 0..255), and whether its
/// embedding averages the mirror image ([`AnalyzeOptions::flip_average`] of the analysis that made it):
/// what [`FaceEngine::embed_aligned`] turns into an embedding. Derived from a frame, so it is never stored.
#[derive(Clone, PartialEq)]
pub struct AlignedChip {
    pixels: Vec<f32>,
    flip_average: bool,
}

impl std::fmt::Debug for AlignedChip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AlignedChip({}x{})", CHIP_SIZE, CHIP_SIZE)
    }
}

/// Result of [`FaceEngine::analyze`].
#[derive(Debug, Clone, PartialEq)]
pub struct FrameAnalysis {
    pub width: u32,
    pub height: u32,
    /// Number of faces detected (registration and the kiosk refuse 0 and more than 1).
    pub faces_found: usize,
    /// All detections in image coordinates, best score first.
    pub detections: Vec<Detection>,
    /// Whether the faces were only found on the retry with a black border.
    pub found_on_padded_retry: bool,
    /// The largest face, analysed; `None` when no face was found.
    pub face: Option<FaceObservation>,
    pub timings: StageTimings,
}

impl FrameAnalysis {
    /// The face when exactly one was found; [`FaceError::NoFace`] or [`FaceError::MultipleFaces`]
    /// otherwise (what registration and the kiosk require).
    pub fn single_face(&self) -> Result<&FaceObservation, FaceError> {
        match (self.faces_found, &self.face) {
            (1, Some(f)) => Ok(f),
            (0, _) | (_, None) => Err(FaceError::NoFace),
            (n, _) => Err(FaceError::MultipleFaces { count: n }),
        }
    }
}

/// The loaded models. `Send + Sync`: share one `Arc<FaceEngine>`; concurrent calls are safe.
pub struct FaceEngine {
    detector: Model,
    mesh: Model,
    iris: Model,
    embedder: Model,
    anchors: Vec<Point>,
    model_id: String,
    models_dir: PathBuf,
}

impl std::fmt::Debug for FaceEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceEngine").field("model_id", &self.model_id).field("models_dir", &self.models_dir).finish()
    }
}

/// The embedding model id stored in every encoding: dlib's ResNet v1 with its own float32 weights (read
/// from dlib's `.dat`, see face-models/README.md), each vector the normalised mean of the chip's and its
/// mirror image's descriptors (`flip`). Vectors of the uint8-quantised face-api.js port, of the plain
/// (unflipped) descriptor, stored under `dlib_resnet_v1_f32` by earlier versions, or of any other network are
/// not interchangeable with these and carry another id: those employees must register again.
pub const DEFAULT_MODEL_ID: &str = "dlib_resnet_v1_f32_flip";

/// Parses a `sha256sum` file: `<hex>  <name>` or `<hex> *<name>` per line.
pub fn parse_checksums(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(2, char::is_whitespace);
        let (Some(hash), Some(name)) = (parts.next(), parts.next()) else { continue };
        let name = name.trim_start().trim_start_matches('*');
        let name = name.rsplit('/').next().unwrap_or(name);
        out.insert(name.to_string(), hash.to_ascii_lowercase());
    }
    out
}

fn sha256_file(path: &Path) -> Result<String, std::io::Error> {
    let bytes = std::fs::read(path)?;
    let digest = Sha256::digest(&bytes);
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// Checks every model file against `SHA256SUMS` in `dir`.
pub fn verify_models(dir: &Path) -> Result<(), ModelError> {
    if !dir.is_dir() {
        return Err(ModelError::MissingDir(dir.display().to_string()));
    }
    let sums_path = dir.join(CHECKSUM_FILE);
    let text = std::fs::read_to_string(&sums_path)
        .map_err(|e| ModelError::MissingChecksums(sums_path.display().to_string(), e.to_string()))?;
    let sums = parse_checksums(&text);
    for name in MODEL_FILES {
        let path = dir.join(name);
        if !path.is_file() {
            return Err(ModelError::MissingModel(path.display().to_string()));
        }
        let expected = sums.get(name).ok_or_else(|| ModelError::NotInChecksums {
            file: sums_path.display().to_string(),
            model: name.to_string(),
        })?;
        let actual = sha256_file(&path)
            .map_err(|e| ModelError::Load { file: path.display().to_string(), reason: e.to_string() })?;
        if &actual != expected {
            return Err(ModelError::ChecksumMismatch {
                file: path.display().to_string(),
                expected: expected.clone(),
                actual,
            });
        }
    }
    Ok(())
}

/// True when `dir` holds every model file and the checksum file (used by tests to skip).
pub fn models_present(dir: &Path) -> bool {
    dir.join(CHECKSUM_FILE).is_file() && MODEL_FILES.iter().all(|f| dir.join(f).is_file())
}

/// The iris model's output with the 71 eye-contour points; its other output (the 5 iris points) is not
/// used, so its branch of the graph is pruned at load.
const IRIS_CONTOUR_OUTPUT: &str = "output_eyes_contours_and_brows";

/// An optimised model of a square RGB input, and the layout it takes that input in.
struct Model {
    plan: Plan,
    /// NCHW (planes), else NHWC (interleaved pixels).
    planar: bool,
}

impl Model {
    /// Runs the model on an `n x n` image given as interleaved (HWC) values, what the warps produce
    /// (copied once into the input tensor, as planes when the model takes them).
    fn run(&self, n: usize, hwc: &[f32]) -> Result<TVec<TValue>, FaceError> {
        let input = if self.planar {
            tract_ndarray::Array4::from_shape_vec((1, 3, n, n), hwc_to_chw(hwc)).map(Tensor::from)
        } else {
            tract_ndarray::Array4::from_shape_vec((1, n, n, 3), hwc.to_vec()).map(Tensor::from)
        };
        let input = input.map_err(|e| FaceError::Inference(e.to_string()))?;
        self.plan.run(tvec!(input.into())).map_err(|e| FaceError::Inference(format!("{e:#}")))
    }
}

/// Interleaved RGB values to three planes.
fn hwc_to_chw(hwc: &[f32]) -> Vec<f32> {
    let pixels = hwc.len() / 3;
    let mut out = vec![0f32; pixels * 3];
    let (r, gb) = out.split_at_mut(pixels);
    let (g, b) = gb.split_at_mut(pixels);
    for (((p, r), g), b) in hwc.chunks_exact(3).zip(r).zip(g).zip(b) {
        (*r, *g, *b) = (p[0], p[1], p[2]);
    }
    out
}

/// Loads and optimises one model.
fn load_plan(path: &Path, hw: usize, only_output: Option<&str>) -> Result<Model, ModelError> {
    let err = |e: TractError| ModelError::Load { file: path.display().to_string(), reason: format!("{e:#}") };
    let mut model = crate::tract_ops::onnx().model_for_path(path).map_err(err)?;
    if let Some(name) = only_output {
        model.select_outputs_by_name([name]).map_err(err)?;
    }
    // NHWC unless the declared input shape has 3 channels in position 1.
    let nchw = {
        let fact = model.input_fact(0).map_err(err)?;
        let dims: Vec<Option<i64>> = fact.shape.dims().map(|d| d.concretize().and_then(|t| t.to_i64().ok())).collect();
        dims.len() == 4 && dims[1] == Some(3) && dims[3] != Some(3)
    };
    let shape: [usize; 4] = if nchw { [1, 3, hw, hw] } else { [1, hw, hw, 3] };
    let (optimized, transposed) = model
        .with_input_fact(0, f32::fact(shape).into())
        .and_then(|m| {
            let amx = path.file_name().and_then(|f| f.to_str()).is_some_and(uses_amx);
            crate::tract_ops::optimize(m, amx)
        })
        .and_then(crate::tract_ops::planar_input)
        .map_err(err)?;
    let plan = optimized.into_runnable().map_err(err)?;
    Ok(Model { plan, planar: nchw || transposed })
}

/// Finds the output with exactly `len` elements.
fn output_with_len(outputs: &TVec<TValue>, len: usize) -> Result<&[f32], FaceError> {
    for o in outputs.iter() {
        if o.len() == len {
            return o
                .try_as_plain_ram()
                .and_then(|v| v.as_slice::<f32>())
                .map_err(|e| FaceError::Inference(e.to_string()));
        }
    }
    Err(FaceError::Inference(format!("no model output with {len} values")))
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

impl FaceEngine {
    /// Verifies the checksums of the four models in `models_dir` against its `SHA256SUMS`, then loads
    /// and optimises them. Errors name the missing or corrupt file.
    pub fn load(models_dir: &Path) -> Result<FaceEngine, ModelError> {
        verify_models(models_dir)?;
        let detector = load_plan(&models_dir.join(DETECTOR_FILE), detect::INPUT_SIZE, None)?;
        let mesh = load_plan(&models_dir.join(MESH_FILE), MESH_SIZE, None)?;
        let iris = load_plan(&models_dir.join(IRIS_FILE), IRIS_SIZE, Some(IRIS_CONTOUR_OUTPUT))?;
        let embedder = load_plan(&models_dir.join(EMBEDDER_FILE), CHIP_SIZE, None)?;
        let engine = FaceEngine {
            detector,
            mesh,
            iris,
            embedder,
            anchors: detect::anchors(),
            model_id: DEFAULT_MODEL_ID.to_string(),
            models_dir: models_dir.to_path_buf(),
        };
        engine.self_check()?;
        tracing::info!(dir = %models_dir.display(), model_id = %engine.model_id, "face models loaded");
        Ok(engine)
    }

    /// Runs each model once on a blank input to check its outputs have the expected sizes.
    fn self_check(&self) -> Result<(), ModelError> {
        let shape_err = |file: &str, e: FaceError| ModelError::Shape { file: file.to_string(), reason: e.to_string() };
        let n = detect::INPUT_SIZE;
        let out = self.detector.run(n, &vec![0.0; n * n * 3]).map_err(|e| shape_err(DETECTOR_FILE, e))?;
        output_with_len(&out, detect::NUM_ANCHORS * detect::REG_STRIDE).map_err(|e| shape_err(DETECTOR_FILE, e))?;
        output_with_len(&out, detect::NUM_ANCHORS).map_err(|e| shape_err(DETECTOR_FILE, e))?;
        let out =
            self.mesh.run(MESH_SIZE, &vec![0.0; MESH_SIZE * MESH_SIZE * 3]).map_err(|e| shape_err(MESH_FILE, e))?;
        output_with_len(&out, MESH_POINTS * 3).map_err(|e| shape_err(MESH_FILE, e))?;
        let out =
            self.iris.run(IRIS_SIZE, &vec![0.0; IRIS_SIZE * IRIS_SIZE * 3]).map_err(|e| shape_err(IRIS_FILE, e))?;
        output_with_len(&out, 71 * 3).map_err(|e| shape_err(IRIS_FILE, e))?;
        let emb = self.embed_chip(&vec![128.0; CHIP_SIZE * CHIP_SIZE * 3]).map_err(|e| shape_err(EMBEDDER_FILE, e))?;
        if emb.len() != crate::embedding::EMBEDDING_DIM {
            return Err(ModelError::Shape {
                file: EMBEDDER_FILE.into(),
                reason: format!("{} values, expected 128", emb.len()),
            });
        }
        Ok(())
    }

    /// The embedding model id written into every encoding.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// Decodes `bytes` (see [`decode_image`]) and analyses the frame; the decode time is included in
    /// the timings.
    pub fn analyze_bytes(
        &self,
        bytes: &[u8],
        limits: &DecodeLimits,
        opts: &AnalyzeOptions,
    ) -> Result<FrameAnalysis, FaceError> {
        let t0 = Instant::now();
        let img = decode_image(bytes, limits)?;
        let decode_ms = ms(t0);
        let mut a = self.analyze(&img, opts)?;
        a.timings.decode_ms = decode_ms;
        a.timings.total_ms += decode_ms;
        Ok(a)
    }

    /// Detects faces and analyses the largest one. Finding no face is not an error here:
    /// `faces_found == 0` and `face == None` (the caller decides; [`FaceError::NoFace`] is for callers
    /// that want it as an error).
    pub fn analyze(&self, img: &RgbImage, opts: &AnalyzeOptions) -> Result<FrameAnalysis, FaceError> {
        let t_start = Instant::now();
        let (w, h) = img.dimensions();
        let mut timings = StageTimings::default();

        // Detection, then FaceMesh on the largest detections to confirm them (its face-presence score
        // rejects cats and texture that fooled the detector). Only when nothing is confirmed, the frame
        // is tried again with a 25% black border (helps faces that fill or overflow the frame).
        let mut padded = false;
        let (mut dets, mut chosen) = self.detect_confirmed(img, 0.0, opts, &mut timings)?;
        if chosen.is_none() {
            let (d, c) = self.detect_confirmed(img, 0.25, opts, &mut timings)?;
            if c.is_some() {
                padded = true;
                dets = d;
                chosen = c;
            }
        }
        let face = match chosen {
            None => None,
            Some((i, lm, presence)) => Some(self.observe(img, &dets[i], lm, presence, opts, &mut timings)?),
        };
        timings.total_ms = ms(t_start);
        Ok(FrameAnalysis {
            width: w,
            height: h,
            faces_found: dets.len(),
            detections: dets,
            found_on_padded_retry: padded,
            face,
            timings,
        })
    }

    /// Detections confirmed by FaceMesh (best score first) and the largest one with its landmarks.
    #[allow(clippy::type_complexity)]
    fn detect_confirmed(
        &self,
        img: &RgbImage,
        border: f32,
        opts: &AnalyzeOptions,
        timings: &mut StageTimings,
    ) -> Result<(Vec<Detection>, Option<(usize, Vec<Landmark>, f32)>), FaceError> {
        let t = Instant::now();
        let dets = self.detect(img, border, opts.min_detection_score)?;
        timings.detect_ms += ms(t);
        let t = Instant::now();
        let mut order: Vec<usize> = (0..dets.len()).collect();
        order.sort_by(|&a, &b| dets[b].bbox.area().total_cmp(&dets[a].bbox.area()));
        let mut confirmed = Vec::new();
        let mut chosen: Option<(usize, Vec<Landmark>, f32)> = None;
        for (rank, &i) in order.iter().enumerate() {
            if rank >= MAX_CONFIRMED {
                // Beyond a few faces the exact count does not matter: count the rest unconfirmed.
                confirmed.push(i);
                continue;
            }
            let (mut lm, mut presence) = self.mesh_landmarks(img, &landmarks::mesh_crop(&dets[i]))?;
            if presence >= opts.min_mesh_presence {
                if chosen.is_none() {
                    if opts.refine_mesh {
                        // Second pass on the crop derived from the first landmarks (MediaPipe's tracking
                        // ROI): a tighter, better-centred crop gives more exact points.
                        let (lm2, p2) = self.mesh_landmarks(img, &landmarks::mesh_crop_from_landmarks(&lm))?;
                        if p2 >= opts.min_mesh_presence {
                            lm = lm2;
                            presence = p2;
                        }
                    }
                    chosen = Some((confirmed.len(), lm, presence));
                }
                confirmed.push(i);
            }
        }
        timings.landmarks_ms += ms(t);
        // Keep the chosen face's index valid after re-ordering by score.
        let chosen_det = chosen.as_ref().map(|(k, _, _)| confirmed[*k]);
        confirmed.sort();
        let dets: Vec<Detection> = confirmed.iter().map(|&i| dets[i].clone()).collect();
        let chosen = chosen.map(|(_, lm, p)| {
            (confirmed.iter().position(|&i| Some(i) == chosen_det).expect("chosen is confirmed"), lm, p)
        });
        Ok((dets, chosen))
    }

    /// BlazeFace on the letterboxed frame, optionally with a black border of `border` x each side
    /// around it first. Returns merged detections in image coordinates, best first.
    pub fn detect(&self, img: &RgbImage, border: f32, min_score: f32) -> Result<Vec<Detection>, FaceError> {
        let n = detect::INPUT_SIZE;
        let (w, h) = (img.width() as f64, img.height() as f64);
        let (bx, by) = (w * border as f64, h * border as f64);
        let (pw, ph) = (w + 2.0 * bx, h + 2.0 * by);
        let scale = n as f64 / pw.max(ph);
        let pad_x = (n as f64 - pw * scale) / 2.0;
        let pad_y = (n as f64 - ph * scale) / 2.0;
        // input -> image: (p - pad) / scale - border
        let in_to_img = Affine([1.0 / scale, 0.0, -pad_x / scale - bx, 0.0, 1.0 / scale, -pad_y / scale - by]);
        let mut data = warp_rgb(img, &in_to_img, n, n);
        for v in data.iter_mut() {
            *v = *v / 127.5 - 1.0;
        }
        let out = self.detector.run(n, &data)?;
        let reg = output_with_len(&out, detect::NUM_ANCHORS * detect::REG_STRIDE)?;
        let logits = output_with_len(&out, detect::NUM_ANCHORS)?;
        let raw = detect::decode(reg, logits, &self.anchors, min_score);
        let merged = detect::weighted_merge(raw, 0.3);
        let nf = n as f32;
        Ok(merged.into_iter().map(|d| d.map(|p| in_to_img.apply(Point::new(p.x * nf, p.y * nf)))).collect())
    }

    /// FaceMesh on the crop `crop_to_img`; returns the 468 points in image coordinates and the
    /// face-presence probability.
    fn mesh_landmarks(&self, img: &RgbImage, crop_to_img: &Affine) -> Result<(Vec<Landmark>, f32), FaceError> {
        let mut data = warp_rgb(img, crop_to_img, MESH_SIZE, MESH_SIZE);
        for v in data.iter_mut() {
            *v /= 255.0;
        }
        let out = self.mesh.run(MESH_SIZE, &data)?;
        let pts = output_with_len(&out, MESH_POINTS * 3)?;
        let presence = output_with_len(&out, 1).map(|v| detect::sigmoid(v[0])).unwrap_or(1.0);
        let zscale = crop_to_img.scale() as f32;
        let lm = pts
            .chunks_exact(3)
            .map(|c| {
                let p = crop_to_img.apply(Point::new(c[0], c[1]));
                Landmark { x: p.x, y: p.y, z: c[2] * zscale }
            })
            .collect();
        Ok((lm, presence))
    }

    /// Iris model on one eye; returns the 16 eye-contour points in image coordinates.
    fn eye_contour(&self, img: &RgbImage, lm: &[Landmark], left_eye: bool) -> Result<Vec<Point>, FaceError> {
        let crop = landmarks::iris_crop(lm, left_eye);
        let mut data = warp_rgb(img, &crop, IRIS_SIZE, IRIS_SIZE);
        for v in data.iter_mut() {
            *v /= 255.0;
        }
        let out = self.iris.run(IRIS_SIZE, &data)?;
        let contour = output_with_len(&out, 71 * 3)?;
        Ok(contour.chunks_exact(3).take(16).map(|c| crop.apply(Point::new(c[0], c[1]))).collect())
    }

    /// Runs the ResNet on an aligned chip (HWC RGB 0..255). The graph normalises its input itself
    /// (`(x - mean) / 256`, see face-models/README.md), so raw pixels go in. Returns the raw 128 values.
    fn embed_chip(&self, chip: &[f32]) -> Result<Vec<f32>, FaceError> {
        let out = self.embedder.run(CHIP_SIZE, chip)?;
        Ok(output_with_len(&out, crate::embedding::EMBEDDING_DIM)?.to_vec())
    }

    fn observe(
        &self,
        img: &RgbImage,
        det: &Detection,
        mut lm: Vec<Landmark>,
        mesh_score: f32,
        opts: &AnalyzeOptions,
        timings: &mut StageTimings,
    ) -> Result<FaceObservation, FaceError> {
        let t = Instant::now();
        let aligned_landmarks = lm.clone();
        let near_frontal = opts.eyes_max_yaw.is_none_or(|m| landmarks::yaw_ratio(&lm).abs() <= m);
        let eyes = if opts.eyes && near_frontal {
            let right = self.eye_contour(img, &lm, false)?;
            let left = self.eye_contour(img, &lm, true)?;
            landmarks::refine_eye(&mut lm, &right, false);
            landmarks::refine_eye(&mut lm, &left, true);
            let (r, l) = landmarks::eye_openness(&lm);
            Some(EyeOpenness { right: r, left: l, mean: (r + l) / 2.0 })
        } else {
            None
        };
        timings.landmarks_ms += ms(t);

        let t = Instant::now();
        let chip_map = chip_to_image(&aligned_landmarks, opts.align.into()).ok_or(FaceError::NoFace)?;
        let placement = ChipPlacement { map: chip_map, flip_average: opts.flip_average };
        let AlignedChip { pixels: chip, .. } = placement.cut(img);
        let sharpness = laplacian_variance(&chip, CHIP_SIZE);
        let embedding = if opts.embedding { Some(self.embed_chip_normalised(&chip, opts.flip_average)?) } else { None };
        let chip = opts.keep_chip.then_some(AlignedChip { pixels: chip, flip_average: opts.flip_average });
        timings.embed_ms = ms(t);

        let eye_c = |idx: &[usize]| {
            let n = idx.len() as f32;
            let (x, y) =
                idx.iter().fold((0.0, 0.0), |(x, y), &i| (x + aligned_landmarks[i].x, y + aligned_landmarks[i].y));
            Point::new(x / n, y / n)
        };
        let eye_distance_px = eye_c(&[33, 133]).dist(eye_c(&[362, 263]));
        Ok(FaceObservation {
            bbox: det.bbox,
            detection_score: det.score,
            mesh_score,
            face_size_px: det.bbox.width().max(det.bbox.height()),
            eye_distance_px,
            sharpness,
            yaw: landmarks::yaw_ratio(&lm),
            pitch: landmarks::pitch_degrees(&lm),
            roll: landmarks::roll_degrees(&lm),
            eyes,
            embedding,
            chip,
            landmarks: lm,
            placement,
        })
    }

    /// The embedding of a chip kept by [`AnalyzeOptions::keep_chip`]: the same as
    /// [`AnalyzeOptions::embedding`] would have given in the same call.
    pub fn embed_aligned(&self, chip: &AlignedChip) -> Result<Embedding, FaceError> {
        self.embed_chip_normalised(&chip.pixels, chip.flip_average)
    }

    /// The ResNet on an aligned chip (and on its mirror image with `flip_average`), L2-normalised.
    fn embed_chip_normalised(&self, chip: &[f32], flip_average: bool) -> Result<Embedding, FaceError> {
        let mut raw = self.embed_chip(chip)?;
        if flip_average {
            let n = CHIP_SIZE;
            let mut flipped = vec![0f32; chip.len()];
            for y in 0..n {
                for x in 0..n {
                    let (o, i) = ((y * n + x) * 3, (y * n + (n - 1 - x)) * 3);
                    flipped[o..o + 3].copy_from_slice(&chip[i..i + 3]);
                }
            }
            let raw_f = self.embed_chip(&flipped)?;
            let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            let (na, nb) = (norm(&raw), norm(&raw_f));
            for (a, b) in raw.iter_mut().zip(&raw_f) {
                *a = *a / na + *b / nb;
            }
        }
        Embedding::from_raw(&raw).ok_or_else(|| FaceError::Inference("embedding is zero or not finite".into()))
    }
}

/// Variance of the 4-neighbour Laplacian of the grey image, over the central 60% of a square HWC
/// RGB chip (the chip's corners may be black border).
pub fn laplacian_variance(chip: &[f32], side: usize) -> f32 {
    let grey = |x: usize, y: usize| {
        let i = (y * side + x) * 3;
        0.299 * chip[i] + 0.587 * chip[i + 1] + 0.114 * chip[i + 2]
    };
    let lo = side / 5;
    let hi = side - side / 5;
    let (mut sum, mut sum2, mut n) = (0f64, 0f64, 0f64);
    for y in lo..hi {
        for x in lo..hi {
            let l = (grey(x - 1, y) + grey(x + 1, y) + grey(x, y - 1) + grey(x, y + 1) - 4.0 * grey(x, y)) as f64;
            sum += l;
            sum2 += l * l;
            n += 1.0;
        }
    }
    if n == 0.0 {
        return 0.0;
    }
    let mean = sum / n;
    (sum2 / n - mean * mean).max(0.0) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<FaceEngine>();
    }

    #[test]
    fn parses_sha256sum_files() {
        let text = "abc123  blazeface_short_range.onnx\nDEF456 *face_landmark.onnx\n# comment\n\n789  sub/dir/iris_landmark.onnx\n";
        let m = parse_checksums(text);
        assert_eq!(m["blazeface_short_range.onnx"], "abc123");
        assert_eq!(m["face_landmark.onnx"], "def456");
        assert_eq!(m["iris_landmark.onnx"], "789");
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn load_names_the_missing_or_corrupt_file() {
        let dir = std::env::temp_dir().join(format!("face-engine-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(matches!(FaceEngine::load(&dir), Err(ModelError::MissingDir(_))));
        std::fs::create_dir_all(&dir).unwrap();
        let err = FaceEngine::load(&dir).unwrap_err();
        assert!(matches!(err, ModelError::MissingChecksums(..)), "{err}");
        // Fake model files with one wrong checksum.
        let mut sums = String::new();
        for name in MODEL_FILES {
            std::fs::write(dir.join(name), name.as_bytes()).unwrap();
            let hash = if name == IRIS_FILE { "00".repeat(32) } else { sha256_file(&dir.join(name)).unwrap() };
            sums.push_str(&format!("{hash}  {name}\n"));
        }
        std::fs::write(dir.join(CHECKSUM_FILE), &sums).unwrap();
        let err = FaceEngine::load(&dir).unwrap_err();
        assert!(matches!(err, ModelError::ChecksumMismatch { .. }), "{err}");
        assert!(err.to_string().contains(IRIS_FILE), "{err}");
        // A missing file.
        std::fs::remove_file(dir.join(MESH_FILE)).unwrap();
        let err = FaceEngine::load(&dir).unwrap_err();
        assert!(err.to_string().contains(MESH_FILE), "{err}");
        // Checksums fine but the bytes are not ONNX: a load error naming the file.
        std::fs::write(dir.join(MESH_FILE), MESH_FILE.as_bytes()).unwrap();
        let fixed = sums.replace(&"00".repeat(32), &sha256_file(&dir.join(IRIS_FILE)).unwrap());
        std::fs::write(dir.join(CHECKSUM_FILE), fixed).unwrap();
        let err = FaceEngine::load(&dir).unwrap_err();
        assert!(matches!(err, ModelError::Load { .. }), "{err}");
        assert!(err.to_string().contains(".onnx"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn laplacian_variance_is_zero_on_flat_and_high_on_texture() {
        let flat = vec![100f32; 150 * 150 * 3];
        assert_eq!(laplacian_variance(&flat, 150), 0.0);
        let checker: Vec<f32> =
            (0..150 * 150 * 3).map(|i| if ((i / 3) % 150 + (i / 3) / 150) % 2 == 0 { 200.0 } else { 50.0 }).collect();
        assert!(laplacian_variance(&checker, 150) > 1000.0);
    }
}
