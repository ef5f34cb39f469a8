//! Liveness measured on sequences built from the real photos of `../shared/data/faces` (never copied into
//! the repository), through exactly the kiosk's decision path: every frame JPEG-encoded (unmirrored) as the
//! kiosk page sends it, `FaceEngine::analyze_bytes` with the kiosk's `analyze_options(steps)`,
//! `FrameSignals::from_analysis`, the embeddings of the frames the kiosk's `frames_to_embed` chooses (its
//! second pass), `liveness::verify` with `liveness_config(n)`.
//!
//! Genuine sequences (accepted): real Yale blinks (normal/sleepy of one session), Yale blinks plus the
//! synthesised turns of `bursts.rs` in every step order, and real head turns of the four LFW people of
//! `liveness/liveness.csv` (different press photos of one person: the printed reasons say why some fail).
//! Attacks (refused): the same still repeated; a waved print (the still shifted, scaled, rotated in plane
//! and tilted in perspective about its vertical axis, frame to frame); the spoof captures of
//! `negatives/spoof`; frames of two different people; steps in the wrong order or the wrong direction; and,
//! through the real server, a replayed challenge and an expired one.
//!
//! Two measured limits are reported in their own rows, not asserted: a tilted flat print passes a
//! challenge made only of turns (so the server never issues one: `domain::challenge::random_steps`), and
//! two people whose photos the recognition model itself scores as the same person (similarity at or above
//! the identity threshold) cannot be told apart by the identity check either.
//!
//! Every distinct frame is analysed once per option set (cached) and reused by all sequences; building and
//! analysis run on all cores. `cargo test -p backend --test api liveness_eval -- --nocapture` prints the
//! table.
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use backend::domain::challenge::{self, ChallengeKey};
use backend::entities::Attendance;
use backend::services::kiosk::{analyze_options, frames_to_embed, liveness_config};
use face_engine::liveness::{self, FrameSignals, LivenessFailure, Step};
use face_engine::{decode_image, AnalyzeOptions, DecodeLimits, FaceError};
use image::RgbImage;
use rand::SeedableRng;
use sea_orm::EntityTrait;

use crate::bursts::*;
use crate::helpers::*;

/// Frames per sequence: the kiosk's typical burst.
const N: usize = 12;

const BL: Step = Step::Blink;
const TL: Step = Step::TurnLeft;
const TR: Step = Step::TurnRight;

/// Every challenge `liveness::verify` can check: the single steps and all two-step sequences.
fn all_challenges() -> Vec<Vec<Step>> {
    let mut v = vec![vec![BL], vec![TL], vec![TR]];
    for a in [BL, TL, TR] {
        for b in [BL, TL, TR] {
            if a != b {
                v.push(vec![a, b]);
            }
        }
    }
    v
}

/// The challenges the server issues (sampled from the server's own generator).
fn issued_challenges() -> Vec<Vec<Step>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let mut out: Vec<Vec<Step>> = Vec::new();
    for _ in 0..500 {
        let c = challenge::random_steps(&mut rng, challenge::STEPS_PER_CHALLENGE);
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

fn step_name(s: Step) -> &'static str {
    match s {
        Step::Blink => "BLINK",
        Step::TurnLeft => "TURN_LEFT",
        Step::TurnRight => "TURN_RIGHT",
    }
}

fn names(steps: &[Step]) -> Vec<&'static str> {
    steps.iter().map(|&s| step_name(s)).collect()
}

fn show(steps: &[Step]) -> String {
    names(steps).join(",")
}

// ---- Frames, analysed once ----

/// The distinct JPEG frames of all sequences.
#[derive(Default)]
struct Frames {
    bytes: Vec<Vec<u8>>,
    index: HashMap<Vec<u8>, usize>,
}

impl Frames {
    fn add(&mut self, jpeg: &[u8]) -> usize {
        if let Some(&i) = self.index.get(jpeg) {
            return i;
        }
        self.bytes.push(jpeg.to_vec());
        self.index.insert(jpeg.to_vec(), self.bytes.len() - 1);
        self.bytes.len() - 1
    }

    fn add_all(&mut self, frames: &[Vec<u8>]) -> Vec<usize> {
        frames.iter().map(|f| self.add(f)).collect()
    }
}

/// What the server gets from one frame: its signals, or the analysis error that refuses the request.
type Signal = Result<FrameSignals, String>;
type Signals = HashMap<(usize, String), Signal>;

/// The kiosk's first-pass options, with the embedding computed at once (the cache then serves the
/// kiosk's second pass too: the embedding of a kept chip is the one the same call would have given).
fn eval_options(steps: &[Step]) -> AnalyzeOptions {
    AnalyzeOptions { embedding: true, keep_chip: false, ..analyze_options(steps) }
}

fn opts_key(steps: &[Step]) -> String {
    format!("{:?}", eval_options(steps))
}

fn workers() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(1, 4)
}

/// Runs `f` over `items` on all cores; results in input order.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..workers() {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(k) else { break };
                let r = f(item);
                out.lock().unwrap()[k] = Some(r);
            });
        }
    });
    out.into_inner().unwrap().into_iter().map(|r| r.expect("every item done")).collect()
}

/// Analyses every (frame, options) pair once, as the server does (`FaceService::analyze`: its decode
/// limits differ from the defaults only in the byte cap, far above these frames).
fn analyse(frames: &Frames, jobs: &[(usize, AnalyzeOptions)]) -> (Signals, f64) {
    let limits = DecodeLimits::default();
    let results = par_map(jobs, |(i, opts)| {
        let a = engine().analyze_bytes(&frames.bytes[*i], &limits, opts);
        let ms = a.as_ref().map_or(0.0, |a| a.timings.total_ms);
        (a.map(|a| FrameSignals::from_analysis(&a)).map_err(|e: FaceError| e.code().to_string()), ms)
    });
    let mean_ms = results.iter().map(|r| r.1).sum::<f64>() / results.len().max(1) as f64;
    (jobs.iter().zip(results).map(|((i, opts), r)| ((*i, format!("{opts:?}")), r.0)).collect(), mean_ms)
}

// ---- Sequences ----

struct Case {
    group: String,
    /// Genuine (must be accepted) or an attack (must be refused).
    genuine: bool,
    label: String,
    steps: Vec<Step>,
    frames: Vec<usize>,
    /// Frames of two people: (A open, A closed, B open, B closed), to tell look-alikes apart.
    pair: Option<[usize; 4]>,
}

fn push(cases: &mut Vec<Case>, group: &str, genuine: bool, label: String, steps: Vec<Step>, frames: Vec<usize>) {
    assert_eq!(frames.len(), N, "{label}");
    cases.push(Case { group: group.to_string(), genuine, label, steps, frames, pair: None });
}

struct Outcome {
    passed: bool,
    /// The refusal's reason (`LivenessFailure` code, with its step) or the analysis error.
    reason: Option<String>,
    /// Frames the kiosk's second pass embeds.
    embedded: usize,
}

fn reason(f: &LivenessFailure) -> String {
    let v = serde_json::to_value(f).unwrap_or_default();
    let code = v["code"].as_str().unwrap_or("?").to_string();
    match v["step"].as_str() {
        Some(step) => format!("{code}({step})"),
        None => code,
    }
}

/// The kiosk's decision on one sequence (services/kiosk.rs `verify_burst`, steps 5 and 6).
fn decide(case: &Case, signals: &Signals) -> Outcome {
    let key = opts_key(&case.steps);
    let mut frames = Vec::with_capacity(case.frames.len());
    for &i in &case.frames {
        match &signals[&(i, key.clone())] {
            Ok(s) => frames.push(s.clone()),
            Err(code) => return Outcome { passed: false, reason: Some(format!("ANALYSIS:{code}")), embedded: 0 },
        }
    }
    // The kiosk's second pass: embeddings only where it computes them, chosen without them.
    let without: Vec<FrameSignals> = frames.iter().map(|f| FrameSignals { embedding: None, ..f.clone() }).collect();
    let embedded = frames_to_embed(&without, &case.steps);
    for (i, f) in frames.iter_mut().enumerate() {
        if !embedded.contains(&i) {
            f.embedding = None;
        }
    }
    let verdict = liveness::verify(&frames, &case.steps, &liveness_config(frames.len()));
    if let Ok(pat) = std::env::var("LIVENESS_EVAL_TRACE") {
        if case.label.contains(&pat) || case.group.contains(&pat) {
            trace(case, &frames, &verdict.failure);
        }
    }
    Outcome { passed: verdict.passed, reason: verdict.failure.as_ref().map(reason), embedded: embedded.len() }
}

/// `LIVENESS_EVAL_TRACE=text`: the signals of every sequence whose group or label contains `text`.
fn trace(case: &Case, frames: &[FrameSignals], failure: &Option<LivenessFailure>) {
    let embs: Vec<(usize, &face_engine::Embedding)> =
        frames.iter().enumerate().filter_map(|(i, f)| f.embedding.as_ref().map(|e| (i, e))).collect();
    let medoid = liveness::medoid(&embs).and_then(|m| frames[m].embedding.as_ref());
    let row: Vec<String> = frames
        .iter()
        .map(|f| {
            let sim = match (medoid, &f.embedding) {
                (Some(m), Some(e)) => e.similarity(m),
                _ => f32::NAN,
            };
            let (yaw, eyes) = (f.yaw.unwrap_or(f32::NAN), f.eye_openness.unwrap_or(f32::NAN));
            let (width, nose) = f.face_shape.map_or((f32::NAN, f32::NAN), |s| (s.width_to_height, s.nose_height));
            format!("{}:{yaw:+.2}/{eyes:.3}/{width:.3}/{nose:.3}/{sim:.3}", f.faces_found)
        })
        .collect();
    println!(
        "TRACE {} | {} | [{}] -> {failure:?}\n  faces:yaw/eyes/width/nose/sim {}",
        case.group,
        case.label,
        show(&case.steps),
        row.join(" ")
    );
}

fn pad(mut frames: Vec<usize>, fill: usize) -> Vec<usize> {
    while frames.len() < N {
        frames.push(fill);
    }
    frames.truncate(N);
    frames
}

/// A burst in the layout of `Subject::burst`: two frontal frames, per step the action twice then frontal
/// twice, padded with frontal frames.
fn layout(frontal: usize, actions: &[usize]) -> Vec<usize> {
    let mut f = vec![frontal, frontal];
    for &a in actions {
        f.extend([a, a, frontal, frontal]);
    }
    pad(f, frontal)
}

// ---- A print waved in front of the camera ----

type Mat = [f64; 9];

fn mul(a: &Mat, b: &Mat) -> Mat {
    let mut m = [0.0; 9];
    for r in 0..3 {
        for c in 0..3 {
            m[r * 3 + c] = a[r * 3] * b[c] + a[r * 3 + 1] * b[3 + c] + a[r * 3 + 2] * b[6 + c];
        }
    }
    m
}

fn inverse(m: &Mat) -> Mat {
    let [a, b, c, d, e, f, g, h, i] = *m;
    let det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
    assert!(det.abs() > 1e-12, "singular homography");
    let adj = [
        e * i - f * h,
        c * h - b * i,
        b * f - c * e,
        f * g - d * i,
        a * i - c * g,
        c * d - a * f,
        d * h - e * g,
        b * g - a * h,
        a * e - b * d,
    ];
    adj.map(|v| v / det)
}

/// Pose of a flat print in one frame, relative to the untouched photo.
#[derive(Clone, Copy, Debug)]
struct PrintPose {
    /// Shift of the centre, as a fraction of the image width / height.
    dx: f64,
    dy: f64,
    scale: f64,
    /// In-plane rotation, degrees.
    roll_deg: f64,
    /// Rotation of the print about its vertical axis, degrees (a print "turned" left or right).
    tilt_deg: f64,
    /// Rotation of the print about its horizontal axis, degrees (a print "nodding").
    pitch_deg: f64,
}

impl PrintPose {
    const STILL: PrintPose = PrintPose { dx: 0.0, dy: 0.0, scale: 1.0, roll_deg: 0.0, tilt_deg: 0.0, pitch_deg: 0.0 };

    /// Homography from the photo's pixels to the frame's. The tilt is a true perspective projection:
    /// the print plane rotated by `tilt` about the vertical line through (`cx`, `cy`) (and by `pitch`
    /// about the horizontal one), seen by a pinhole camera whose focal length (= distance to the print,
    /// so an untilted print keeps its size) is `focal` pixels; then the hand's shift, scale and roll.
    fn homography(&self, w: f64, h: f64, cx: f64, cy: f64, focal: f64) -> Mat {
        let (t, p, r) = (self.tilt_deg.to_radians(), self.pitch_deg.to_radians(), self.roll_deg.to_radians());
        let to_centre = [1.0, 0.0, -cx, 0.0, 1.0, -cy, 0.0, 0.0, 1.0];
        let tilt = [t.cos(), 0.0, 0.0, 0.0, p.cos(), 0.0, t.sin() / focal, p.sin() / focal, 1.0];
        let (s, c) = (r.sin() * self.scale, r.cos() * self.scale);
        let sim = [c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0];
        let back = [1.0, 0.0, cx + self.dx * w, 0.0, 1.0, cy + self.dy * h, 0.0, 0.0, 1.0];
        mul(&back, &mul(&sim, &mul(&tilt, &to_centre)))
    }
}

/// The photo as the camera sees the print in `pose`: every frame pixel mapped back through the inverse
/// homography and sampled bilinearly; outside the print, a grey wall.
fn warp_print(img: &RgbImage, pose: &PrintPose, cx: f64, cy: f64, focal: f64) -> RgbImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let inv = inverse(&pose.homography(w as f64, h as f64, cx, cy, focal));
    let src = img.as_raw();
    let mut out = vec![118u8; w * h * 3];
    let (xmax, ymax) = ((w - 1) as f64, (h - 1) as f64);
    for y in 0..h {
        let yf = y as f64;
        for x in 0..w {
            let xf = x as f64;
            let z = inv[6] * xf + inv[7] * yf + inv[8];
            if z <= 1e-9 {
                continue;
            }
            let sx = (inv[0] * xf + inv[1] * yf + inv[2]) / z;
            let sy = (inv[3] * xf + inv[4] * yf + inv[5]) / z;
            if !(0.0..=xmax).contains(&sx) || !(0.0..=ymax).contains(&sy) {
                continue;
            }
            let (x0, y0) = (sx as usize, sy as usize);
            let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
            let (fx, fy) = (sx - x0 as f64, sy - y0 as f64);
            let (i00, i10, i01, i11) = ((y0 * w + x0) * 3, (y0 * w + x1) * 3, (y1 * w + x0) * 3, (y1 * w + x1) * 3);
            let o = (y * w + x) * 3;
            for ch in 0..3 {
                let top = src[i00 + ch] as f64 * (1.0 - fx) + src[i10 + ch] as f64 * fx;
                let bottom = src[i01 + ch] as f64 * (1.0 - fx) + src[i11 + ch] as f64 * fx;
                out[o + ch] = (top * (1.0 - fy) + bottom * fy + 0.5) as u8;
            }
        }
    }
    RgbImage::from_raw(w as u32, h as u32, out).expect("buffer size")
}

/// Deterministic pseudo-random numbers in [-1, 1] (xorshift), so the sequences are the same every run.
struct Jitter(u64);

impl Jitter {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }

    /// A hand-held wave: shift up to 6% of the frame, scale 0.85-1.15, roll up to ±15°.
    fn wave(&mut self, tilt_deg: f64) -> PrintPose {
        PrintPose {
            dx: 0.06 * self.next(),
            dy: 0.06 * self.next(),
            scale: 1.0 + 0.15 * self.next(),
            roll_deg: 15.0 * self.next(),
            tilt_deg,
            pitch_deg: 0.0,
        }
    }
}

/// A named sequence of JPEG frames.
type Sequence = (&'static str, Vec<Vec<u8>>);

/// The tilt of the print, frame by frame: frontal, turned one way up to 55°, back, the other way.
const TILTS: [f64; N] = [0.0, 0.0, 25.0, 40.0, 55.0, 40.0, 5.0, 0.0, -25.0, -40.0, -55.0, -15.0];

/// The waved-print sequences of one still, as (kind, frames). `face` = centre and width of the face in
/// pixels; the width sets the perspective: a camera whose focal length is 2 face widths (a print held
/// close to a tablet: strong perspective, the attacker's best case for a fake turn) or 4. Turning the
/// print (about either axis) foreshortens the eyes: the way to fake a blink with one photo.
fn waved_prints(img: &RgbImage, face: (f64, f64, f64), seed: u64) -> Vec<Sequence> {
    let (cx, cy, face_w) = face;
    let mut j = Jitter(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let wave: Vec<Vec<u8>> = (0..N).map(|_| jpeg(&warp_print(img, &j.wave(0.0), cx, cy, 2.0 * face_w))).collect();
    let tilt_near: Vec<Vec<u8>> = TILTS
        .iter()
        .enumerate()
        .map(|(k, &t)| {
            let mut p = if k == 0 { PrintPose::STILL } else { j.wave(t) };
            p.roll_deg *= 0.5;
            jpeg(&warp_print(img, &p, cx, cy, 2.0 * face_w))
        })
        .collect();
    let tilt_far: Vec<Vec<u8>> = TILTS
        .iter()
        .map(|&t| jpeg(&warp_print(img, &PrintPose { tilt_deg: t, ..PrintPose::STILL }, cx, cy, 4.0 * face_w)))
        .collect();
    let nod: Vec<Vec<u8>> = TILTS
        .iter()
        .map(|&t| jpeg(&warp_print(img, &PrintPose { pitch_deg: t, ..PrintPose::STILL }, cx, cy, 2.0 * face_w)))
        .collect();
    vec![("wave", wave), ("tilt near", tilt_near), ("tilt far", tilt_far), ("nod", nod)]
}

/// Face centre and width in `img` (tilt axis and perspective strength), or the image's own.
fn face_geometry(img: &RgbImage) -> (f64, f64, f64) {
    let opts = AnalyzeOptions { embedding: false, eyes: false, ..Default::default() };
    let (w, h) = img.dimensions();
    match engine().analyze_bytes(&jpeg(img), &DecodeLimits::default(), &opts).ok().and_then(|a| a.face) {
        Some(f) => {
            let b = f.bbox;
            (((b.x0 + b.x1) / 2.0) as f64, ((b.y0 + b.y1) / 2.0) as f64, b.width() as f64)
        }
        None => (w as f64 / 2.0, h as f64 / 2.0, w as f64 / 2.0),
    }
}

// ---- Per-subject material, built in parallel ----

/// Everything built from one Yale subject: bursts keyed by the steps they perform.
struct YaleMaterial {
    n: u32,
    open: Vec<u8>,
    closed: Vec<u8>,
    still: Vec<Vec<u8>>,
    /// Real blink (`Subject::burst(["BLINK"])`).
    blink: Vec<Vec<u8>>,
    /// With the clearest synthesised turns (`Subject::with_clear_turns`), every challenge; `None` when a
    /// direction never reads as a clear turn.
    turns: Option<HashMap<String, Vec<Vec<u8>>>>,
    /// BLINK then TURN_LEFT, with the clear turns when there are (else the default warp).
    blink_left: Vec<Vec<u8>>,
    waved: Vec<Sequence>,
}

fn yale_material(dir: &std::path::Path, n: u32) -> YaleMaterial {
    let s = Subject::yale(dir, n);
    let t = s.clone().with_clear_turns(0.33);
    let turns = t.as_ref().map(|t| {
        all_challenges()
            .into_iter()
            .filter(|c| c != &[BL])
            .map(|c| (show(&c), t.burst(&names(&c))))
            .collect::<HashMap<_, _>>()
    });
    let blink_left = match &turns {
        Some(m) => m[&show(&[BL, TL])].clone(),
        None => s.burst(&["BLINK", "TURN_LEFT"]),
    };
    let waved = waved_prints(&s.open, face_geometry(&s.open), n as u64);
    YaleMaterial {
        n,
        open: jpeg(&s.open),
        closed: jpeg(&s.closed),
        still: s.still(N),
        blink: s.burst(&["BLINK"]),
        turns,
        blink_left,
        waved,
    }
}

// ---- The LFW people with real head turns ----

#[derive(Default)]
struct LfwPerson {
    frontal: Vec<usize>,
    closed: Vec<usize>,
    left: Vec<usize>,
    right: Vec<usize>,
}

fn lfw_people(dir: &std::path::Path, frames: &mut Frames) -> BTreeMap<String, LfwPerson> {
    let csv = std::fs::read_to_string(dir.join("liveness/liveness.csv")).expect("liveness.csv");
    let mut people: BTreeMap<String, LfwPerson> = BTreeMap::new();
    for line in csv.lines().skip(1) {
        let cols: Vec<&str> = line.splitn(5, ',').collect();
        let [path, identity, eyes, yaw, ..] = cols[..] else { continue };
        if !identity.starts_with("lfw_") {
            continue;
        }
        let bytes = std::fs::read(dir.join("liveness").join(path)).expect("liveness photo");
        let img = decode_image(&bytes, &DecodeLimits::default()).expect("decodable photo");
        let f = frames.add(&jpeg(&img));
        let p = people.entry(identity.trim_start_matches("lfw_").to_string()).or_default();
        match (eyes, yaw) {
            ("open", "frontal") => p.frontal.push(f),
            ("closed", _) => p.closed.push(f),
            (_, "left") => p.left.push(f),
            (_, "right") => p.right.push(f),
            _ => {}
        }
    }
    people
}

// ---- The report ----

#[derive(Default)]
struct Group {
    genuine: bool,
    /// Counted in the assertions (a measured limit is reported only).
    asserted: bool,
    ok: usize,
    total: usize,
    reasons: BTreeMap<String, usize>,
    /// Sequences with the unexpected outcome (accepted attacks, refused genuine sequences).
    wrong: Vec<String>,
}

#[derive(Default)]
struct Table {
    order: Vec<String>,
    groups: HashMap<String, Group>,
}

impl Table {
    fn record(
        &mut self,
        group: &str,
        genuine: bool,
        asserted: bool,
        label: &str,
        passed: bool,
        reason: Option<String>,
    ) {
        if !self.groups.contains_key(group) {
            self.order.push(group.to_string());
        }
        let g =
            self.groups.entry(group.to_string()).or_insert_with(|| Group { genuine, asserted, ..Default::default() });
        g.total += 1;
        if passed == genuine {
            g.ok += 1;
        } else {
            g.wrong.push(format!("{label}: {}", reason.clone().unwrap_or_else(|| "ACCEPTED".into())));
        }
        if let Some(r) = reason {
            *g.reasons.entry(r).or_default() += 1;
        }
    }

    fn print(&self) {
        println!(
            "\nliveness evaluation: {N}-frame sequences from ../shared/data/faces through the kiosk's decision path"
        );
        println!("{:<66} {:>7} {:>11}  refusal reasons", "group", "expect", "as expected");
        for name in &self.order {
            let g = &self.groups[name];
            let what = match (g.genuine, g.asserted) {
                (true, _) => "accept",
                (false, true) => "refuse",
                (false, false) => "(limit)",
            };
            let reasons: Vec<String> = g.reasons.iter().map(|(r, n)| format!("{r} {n}")).collect();
            println!("{:<66} {:>7} {:>5}/{:<5}  {}", name, what, g.ok, g.total, reasons.join(", "));
        }
        for name in &self.order {
            let g = &self.groups[name];
            let tag = if g.genuine { "refused genuine" } else { "accepted attack" };
            for w in g.wrong.iter().take(12) {
                println!("  {tag} | {name} | {w}");
            }
            if g.wrong.len() > 12 {
                println!("  {tag} | {name} | ... {} more", g.wrong.len() - 12);
            }
        }
    }

    fn get(&self, group: &str) -> &Group {
        &self.groups[group]
    }
}

// ---- The test ----

const G_BLINK: &str = "genuine: Yale real blink";
const G_SYNTH: &str = "genuine: Yale blink + synthesised turns, every order";
const G_LFW: &str = "genuine: LFW real turns (different press photos)";
const A_TILT_TURNS: &str = "limit: tilted print vs a turns-only challenge (never issued)";
const A_LOOKALIKE: &str = "limit: two people the model scores as one (sim >= VERIFY_THRESHOLD)";

#[tokio::test]
async fn liveness_refuses_every_attack_and_accepts_genuine_sequences() {
    let Some(dir) = faces_dir() else {
        println!("liveness_eval skipped: ../shared/data/faces not found (real face photos are needed)");
        return;
    };
    let t0 = Instant::now();
    let issued = issued_challenges();
    let yale: Vec<YaleMaterial> = par_map(&(1..=15).collect::<Vec<u32>>(), |&n| yale_material(&dir, n));
    let spoofs: Vec<(&str, Vec<Sequence>)> =
        par_map(&["silentface_F1_print.jpg", "silentface_F2_screen.jpg"], |&file| {
            let bytes = std::fs::read(dir.join("negatives/spoof").join(file)).expect("spoof capture");
            let img = decode_image(&bytes, &DecodeLimits::default()).expect("decodable spoof capture");
            let mut seqs = vec![("repeated", vec![jpeg(&img); N])];
            seqs.extend(waved_prints(&img, face_geometry(&img), file.len() as u64 + 77));
            (file, seqs)
        });
    let with_turns = yale.iter().filter(|m| m.turns.is_some()).count();

    let mut frames = Frames::default();
    let mut cases: Vec<Case> = Vec::new();

    // (1) Genuine: the real blink of each subject.
    for m in &yale {
        let f = frames.add_all(&m.blink);
        push(&mut cases, G_BLINK, true, format!("yale{:02}", m.n), vec![BL], f);
    }
    // (2) Genuine: blink and synthesised turns, every challenge `verify` checks.
    for m in &yale {
        let Some(turns) = &m.turns else { continue };
        for steps in all_challenges().into_iter().filter(|c| c != &[BL]) {
            let f = frames.add_all(&turns[&show(&steps)]);
            push(&mut cases, G_SYNTH, true, format!("yale{:02} [{}]", m.n, show(&steps)), steps, f);
        }
    }
    // (3) Genuine: real head turns of the LFW people (different press photos of one person).
    let lfw = lfw_people(&dir, &mut frames);
    for (name, p) in &lfw {
        let fr = p.frontal[0];
        for (k, &l) in p.left.iter().enumerate() {
            push(&mut cases, G_LFW, true, format!("{name} left#{k} [TURN_LEFT]"), vec![TL], layout(fr, &[l]));
        }
        for (k, &r) in p.right.iter().enumerate() {
            push(&mut cases, G_LFW, true, format!("{name} right#{k} [TURN_RIGHT]"), vec![TR], layout(fr, &[r]));
        }
        for (k, &c) in p.closed.iter().enumerate() {
            push(&mut cases, G_LFW, true, format!("{name} closed#{k} [BLINK]"), vec![BL], layout(fr, &[c]));
            for (turn, photos) in [(TL, &p.left), (TR, &p.right)] {
                for (m, &x) in photos.iter().enumerate() {
                    let tag = format!("{name} closed#{k} {}#{m}", step_name(turn));
                    push(
                        &mut cases,
                        G_LFW,
                        true,
                        format!("{tag} [BLINK,{}]", step_name(turn)),
                        vec![BL, turn],
                        layout(fr, &[c, x]),
                    );
                    push(
                        &mut cases,
                        G_LFW,
                        true,
                        format!("{tag} [{},BLINK]", step_name(turn)),
                        vec![turn, BL],
                        layout(fr, &[x, c]),
                    );
                }
            }
        }
        for (k, &l) in p.left.iter().enumerate() {
            for (m, &r) in p.right.iter().enumerate() {
                let tag = format!("{name} left#{k} right#{m}");
                push(
                    &mut cases,
                    G_LFW,
                    true,
                    format!("{tag} [TURN_LEFT,TURN_RIGHT]"),
                    vec![TL, TR],
                    layout(fr, &[l, r]),
                );
                push(
                    &mut cases,
                    G_LFW,
                    true,
                    format!("{tag} [TURN_RIGHT,TURN_LEFT]"),
                    vec![TR, TL],
                    layout(fr, &[r, l]),
                );
            }
        }
    }

    // Attack: the same still repeated, every challenge.
    for m in &yale {
        let f = frames.add_all(&m.still);
        for steps in all_challenges() {
            push(
                &mut cases,
                "attack: still repeated (Yale)",
                false,
                format!("yale{:02} [{}]", m.n, show(&steps)),
                steps,
                f.clone(),
            );
        }
    }
    // Attack: a waved print (shift/scale/roll; tilted near and far), every challenge; and the spoof captures.
    // (kind, group, every challenge or only those with a blink). The tilt near covers every challenge
    // (its turns-only ones are the reported limit); the others test the blink, which every issued
    // challenge contains (a print that is only waved cannot turn: yaw ignores shift, scale and roll).
    let print_groups = [
        ("wave", "attack: print waved: shift 6%, scale ±15%, roll ±15° (blink ch.)", false),
        ("tilt near", "attack: print waved and tilted ±55° (focal 2 face widths)", true),
        ("tilt far", "attack: print tilted ±55° (focal 4 face widths, blink ch.)", false),
        ("nod", "attack: print nodding ±55° (focal 2 face widths, blink ch.)", false),
    ];
    let prints = yale
        .iter()
        .map(|m| (format!("yale{:02}", m.n), &m.waved, false))
        .chain(spoofs.iter().map(|(f, s)| (f.to_string(), s, true)));
    for (who, seqs, spoof) in prints {
        for (kind, seq) in seqs.iter() {
            let f = frames.add_all(seq);
            let &(_, group, every) = print_groups.iter().find(|(k, ..)| k == kind).unwrap_or(&(kind, "", true));
            let group = if spoof { "attack: spoof captures (print, screen): repeated and waved" } else { group };
            for steps in all_challenges().into_iter().filter(|c| spoof || every || c.contains(&BL)) {
                let tilted = kind.starts_with("tilt") || *kind == "nod";
                let turns_only = !steps.contains(&BL);
                let g = if tilted && turns_only { A_TILT_TURNS } else { group };
                push(&mut cases, g, false, format!("{who} {kind} [{}]", show(&steps)), steps, f.clone());
            }
        }
    }
    // Attack: frames of two different people (every ordered pair of Yale subjects).
    for a in &yale {
        for b in &yale {
            if a.n == b.n {
                continue;
            }
            let (ao, ac, bo, bc) =
                (frames.add(&a.open), frames.add(&a.closed), frames.add(&b.open), frames.add(&b.closed));
            let pair = Some([ao, ac, bo, bc]);
            let fa = frames.add_all(&a.blink_left);
            let fb = frames.add_all(&b.blink_left);
            let then: Vec<usize> = fa[..6].iter().chain(&fb[6..]).copied().collect();
            push(
                &mut cases,
                "attack: two people: A blinks, then B turns",
                false,
                format!("yale{:02}->yale{:02}", a.n, b.n),
                vec![BL, TL],
                then,
            );
            let inter: Vec<usize> = (0..N).map(|k| if k % 2 == 0 { fa[k] } else { fb[k] }).collect();
            push(
                &mut cases,
                "attack: two people: frames interleaved",
                false,
                format!("yale{:02}/yale{:02}", a.n, b.n),
                vec![BL, TL],
                inter,
            );
            // B in front of the camera, A's closed eyes for the blink.
            let mut blink = frames.add_all(&b.blink);
            blink[2] = ac;
            blink[3] = ac;
            push(
                &mut cases,
                "attack: two people: A's closed eyes in B's burst",
                false,
                format!("yale{:02} in yale{:02}", a.n, b.n),
                vec![BL],
                blink,
            );
            for c in cases.iter_mut().rev().take(3) {
                c.pair = pair;
            }
        }
    }
    // Attack: steps in the wrong order (every two-step challenge), and a turn to the other side.
    for m in &yale {
        let Some(turns) = &m.turns else { continue };
        for steps in all_challenges().into_iter().filter(|c| c.len() == 2) {
            let performed: Vec<Step> = steps.iter().rev().copied().collect();
            let f = frames.add_all(&turns[&show(&performed)]);
            push(
                &mut cases,
                "attack: steps in the wrong order",
                false,
                format!("yale{:02} asked [{}]", m.n, show(&steps)),
                steps,
                f,
            );
        }
        for (asked, done) in [(TL, TR), (TR, TL)] {
            for (a, d) in
                [(vec![asked], vec![done]), (vec![BL, asked], vec![BL, done]), (vec![asked, BL], vec![done, BL])]
            {
                let f = frames.add_all(&turns[&show(&d)]);
                push(
                    &mut cases,
                    "attack: turn to the other side",
                    false,
                    format!("yale{:02} asked [{}]", m.n, show(&a)),
                    a,
                    f,
                );
            }
        }
    }
    let built = t0.elapsed();

    // Analyse every distinct (frame, options) pair once.
    let mut jobs: Vec<(usize, AnalyzeOptions)> = Vec::new();
    let mut seen = HashSet::new();
    for c in &cases {
        let opts = eval_options(&c.steps);
        for &f in &c.frames {
            if seen.insert((f, format!("{opts:?}"))) {
                jobs.push((f, opts.clone()));
            }
        }
    }
    let t1 = Instant::now();
    let (signals, mean_ms) = analyse(&frames, &jobs);
    let analysed = t1.elapsed();

    // Two people the recognition model itself scores as one person (at the identity check's threshold)
    // are beyond what the identity check can see: reported in their own row.
    let identity_threshold = liveness_config(N).min_identity_similarity;
    let blink_key = opts_key(&[BL]);
    let emb = |f: usize| signals[&(f, blink_key.clone())].as_ref().ok().and_then(|s| s.embedding.clone());
    let mut lookalikes = BTreeMap::new();
    for c in cases.iter_mut() {
        let Some([ao, ac, bo, bc]) = c.pair else { continue };
        let sim = [(ao, bo), (ao, bc), (ac, bo), (ac, bc)]
            .iter()
            .filter_map(|&(x, y)| Some(emb(x)?.similarity(&emb(y)?)))
            .fold(f32::MIN, f32::max);
        if sim >= identity_threshold {
            c.group = A_LOOKALIKE.to_string();
            lookalikes.insert(c.label.clone(), sim);
        }
    }

    let mut table = Table::default();
    // Frames embedded per sequence (the kiosk's second pass), genuine accepted / refused attacks.
    let mut embedded: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for c in &cases {
        let o = decide(c, &signals);
        let kind = match (c.genuine, o.passed) {
            (true, true) => "accepted genuine",
            (false, false) => "refused attacks",
            _ => "other",
        };
        embedded.entry(kind).or_default().push(o.embedded);
        let asserted = c.genuine || (c.group != A_TILT_TURNS && c.group != A_LOOKALIKE);
        table.record(&c.group, c.genuine, asserted, &c.label, o.passed, o.reason);
    }

    // Attack: a replayed challenge and an expired one, through the real server.
    let t2 = Instant::now();
    server_replay(&dir, &mut table).await;
    let served = t2.elapsed();

    table.print();
    let pairs: Vec<String> = lookalikes.iter().map(|(l, s)| format!("{l} {s:.3}")).collect();
    println!("look-alike pairs (max photo similarity >= {identity_threshold}): {}", pairs.join(", "));
    let mut issued_list: Vec<String> = issued.iter().map(|c| show(c)).collect();
    issued_list.sort();
    println!("challenges the server issues: {}", issued_list.join(" | "));
    let spread: Vec<String> = embedded
        .iter()
        .map(|(k, v)| {
            let mean = v.iter().sum::<usize>() as f64 / v.len().max(1) as f64;
            let (lo, hi) = (v.iter().min().unwrap_or(&0), v.iter().max().unwrap_or(&0));
            format!("{k} {mean:.1} ({lo}-{hi}, {} sequences)", v.len())
        })
        .collect();
    println!("frames embedded of {N} (the kiosk's second pass): {}", spread.join("; "));
    println!(
        "{} sequences, {} distinct frames, {} analyses ({mean_ms:.0} ms each, {} threads); Yale subjects with clear \
         synthesised turns: {with_turns}/15; time: build {:.1} s, analysis {:.1} s, server {:.1} s, total {:.1} s",
        cases.len(),
        frames.bytes.len(),
        jobs.len(),
        workers(),
        built.as_secs_f32(),
        analysed.as_secs_f32(),
        served.as_secs_f32(),
        t0.elapsed().as_secs_f32()
    );

    // The server never issues a challenge without a blink (a lone turn can be faked with a tilted print).
    assert!(issued.iter().all(|c| c.contains(&BL) && c.len() == 2), "{issued:?}");
    // Every attack refused (the two reported limits aside).
    for name in &table.order {
        let g = table.get(name);
        if !g.genuine && g.asserted {
            assert_eq!(g.ok, g.total, "{name}: attacks accepted: {:?}", g.wrong);
        }
    }
    // Genuine Yale sequences (one session: a real blink; synthesised turns) all accepted.
    for name in [G_BLINK, G_SYNTH] {
        let g = table.get(name);
        assert_eq!(g.ok, g.total, "{name}: genuine refused: {:?}", g.wrong);
    }
    assert_eq!(table.get(G_BLINK).total, 15);
    assert!(with_turns >= MIN_CLEAR_TURNS, "synthesised turns usable for {with_turns}/15 subjects");
    // The LFW turns are different press photos of one person (not frames of one video): a floor
    // measured on them (see the printed reasons), not a product requirement.
    let g = table.get(G_LFW);
    assert!(
        g.ok * 100 >= LFW_FLOOR_PERCENT * g.total,
        "LFW real turns: {}/{} accepted, floor {LFW_FLOOR_PERCENT}%",
        g.ok,
        g.total
    );
}

/// Yale subjects whose synthesised turns read as clear turns (|yaw| >= 0.33 both ways), measured.
const MIN_CLEAR_TURNS: usize = 6;
/// Accepted share of the LFW press-photo sequences: 45/70 (64%) when this test was written. The 25
/// refused are every sequence with the closed-eye photos of Schroeder (2) and Bush (1), taken in
/// another head pose than the open one (yaw +0.19/-0.15/+0.21 against +0.02/+0.03): a blink cannot be
/// told from foreshortening across poses.
const LFW_FLOOR_PERCENT: usize = 60;

/// A genuine burst accepted by the server, then the same request replayed; and a challenge signed with
/// the server's key but expired.
async fn server_replay(dir: &std::path::Path, table: &mut Table) {
    const GROUP: &str = "attack: replayed challenge (server)";
    let app = spawn_app_with(|env| {
        env.insert("KIOSK_RATE_PER_MINUTE".into(), "1000".into());
        env.insert("LIVENESS_FIXED_CHALLENGE".into(), "BLINK,TURN_LEFT".into());
    })
    .await;
    app.login().await;
    let shift = app.create_shift("Pagi", "08:00", "17:00", 5).await;
    let budi = app.create_employee("K001", "Budi", shift["id"].as_i64()).await;
    let face = Subject::yale(dir, BUDI);
    register(&app, &budi["id"], &face).await;
    let burst = face.burst(&["BLINK", "TURN_LEFT"]);

    let (token, steps) = challenge(&app).await;
    assert_eq!(steps, ["BLINK", "TURN_LEFT"]);
    let r = attend(&app, &token, Some(INSIDE), burst.clone()).await;
    let status = r.status();
    assert_eq!(status, 200, "the genuine burst: {}", r.text().await.unwrap_or_default());
    let rows = Attendance::find().all(&app.db).await.unwrap();
    assert_eq!(rows.len(), 1);

    // The same multipart (token and frames) again, and the token with other frames.
    for k in 0..4 {
        let frames = if k < 3 { burst.clone() } else { face.still(N) };
        let r = attend(&app, &token, Some(INSIDE), frames).await;
        let status = r.status().as_u16();
        let body: serde_json::Value = r.json().await.unwrap_or_default();
        let code = body["error"]["code"].as_str().unwrap_or("").to_string();
        let refused = status == 409 && code == "CHALLENGE_REUSED";
        let label = if k < 3 { format!("replay #{}", k + 1) } else { "token with other frames".into() };
        table.record(GROUP, false, true, &label, !refused, Some(format!("{status} {code}")));
    }
    assert_eq!(Attendance::find().all(&app.db).await.unwrap(), rows, "the replays changed nothing");

    // A challenge signed with the server's own key, issued 2 minutes ago (expired 100 s ago).
    let key = ChallengeKey::derive(&app.config.jwt_secret);
    let now = chrono::Utc::now().timestamp();
    let (old, _) = challenge::issue(&key, vec![BL, TL], "0123456789abcdef0123456789abcdef".into(), now - 120, 20);
    let r = attend(&app, &old, Some(INSIDE), burst).await;
    let status = r.status().as_u16();
    let body: serde_json::Value = r.json().await.unwrap_or_default();
    let code = body["error"]["code"].as_str().unwrap_or("").to_string();
    let refused = status == 422 && code == "CHALLENGE_EXPIRED";
    table.record(
        "attack: expired challenge (server)",
        false,
        true,
        "signed, expired 100 s ago",
        !refused,
        Some(format!("{status} {code}")),
    );
    assert_eq!(Attendance::find().all(&app.db).await.unwrap(), rows, "the expired challenge changed nothing");
}
