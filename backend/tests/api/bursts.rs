//! Kiosk bursts built from real photos of `../shared/data/faces` (never copied into the repository).
//!
//! Blink: the Yale Face Database has, per subject, a `normal` (eyes open) and a `sleepy` (eyes closed)
//! photo of the same session and pose, so `open, open, closed, open` is a real blink of one person.
//! Head turns: the data has no turned photo of the same session, so a turn is **synthesised** by a smooth
//! horizontal warp of the open photo that moves the nose sideways between the cheeks (a 2-D stand-in for
//! a yaw rotation). Measured with this engine on Yale subjects 01, 06, 10 (frac 0.5 of the half face width):
//! yaw +0.42..+0.50 for a turn to the subject's own left and -0.33..-0.44 for the right (the engine counts
//! a turn from |yaw| 0.30), identity similarity to the unwarped photo 0.95-0.97.
//! Frames are encoded as JPEG like the kiosk page sends them (unmirrored).
use std::path::Path;
use std::sync::OnceLock;

use face_engine::{AnalyzeOptions, DecodeLimits, FaceEngine};
use image::{Rgb, RgbImage};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{workspace_root, TestApp};

pub use crate::helpers::faces_dir;

pub fn engine() -> &'static FaceEngine {
    static E: OnceLock<FaceEngine> = OnceLock::new();
    E.get_or_init(|| FaceEngine::load(&workspace_root().join("face-models")).expect("face models"))
}

pub fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img.clone()).write_to(&mut buf, image::ImageFormat::Jpeg).expect("jpeg encoding");
    buf.into_inner()
}

/// Smooth horizontal warp: pixels near the nose move by `shift` px, the face's edges and the background
/// stay. Positive = nose toward the image's right = the subject's own left in an unmirrored frame.
pub fn warp_turn(img: &RgbImage, nose_x: f32, half_w: f32, shift: f32) -> RgbImage {
    let (w, h) = img.dimensions();
    let mut out = RgbImage::new(w, h);
    let span = 1.3 * half_w;
    for y in 0..h {
        for x in 0..w {
            let t = (x as f32 - nose_x) / span;
            let bump = if t.abs() < 1.0 { (std::f32::consts::FRAC_PI_2 * t).cos().powi(2) } else { 0.0 };
            let xs = (x as f32 - shift * bump).clamp(0.0, (w - 1) as f32);
            let x0 = xs.floor() as u32;
            let x1 = (x0 + 1).min(w - 1);
            let f = xs - x0 as f32;
            let (a, b) = (img.get_pixel(x0, y), img.get_pixel(x1, y));
            let mut p = [0u8; 3];
            for c in 0..3 {
                p[c] = (a[c] as f32 * (1.0 - f) + b[c] as f32 * f).round() as u8;
            }
            out.put_pixel(x, y, Rgb(p));
        }
    }
    out
}

/// One person of the test data with an open-eyes and a closed-eyes photo of the same session.
#[derive(Clone)]
pub struct Subject {
    pub open: RgbImage,
    pub closed: RgbImage,
    nose_x: f32,
    half_w: f32,
    /// Warp strength of this subject's synthesised turns to the left and right (default [`TURN_FRACTION`]).
    turn: (f32, f32),
}

/// Warp strength of a synthesised turn, as a fraction of the half face width.
pub const TURN_FRACTION: f32 = 0.5;

impl Subject {
    /// Yale subject `n` (1..=15) from `liveness/images`.
    pub fn yale(dir: &Path, n: u32) -> Subject {
        let base = dir.join(format!("liveness/images/yale_subject{n:02}"));
        let open = image::open(base.join(format!("subject{n:02}_normal.png"))).expect("open photo").to_rgb8();
        let closed = image::open(base.join(format!("subject{n:02}_sleepy.png"))).expect("closed photo").to_rgb8();
        let a = engine()
            .analyze_bytes(
                &jpeg(&open),
                &DecodeLimits::default(),
                &AnalyzeOptions { embedding: false, ..Default::default() },
            )
            .expect("analyse");
        let f = a.face.expect("a face in the open photo");
        Subject {
            nose_x: f.landmarks[1].x,
            half_w: f.bbox.width() / 2.0,
            open,
            closed,
            turn: (TURN_FRACTION, TURN_FRACTION),
        }
    }

    /// A head turn: `left` = the subject's own left.
    pub fn turned(&self, left: bool, fraction: f32) -> RgbImage {
        let s = fraction * self.half_w;
        warp_turn(&self.open, self.nose_x, self.half_w, if left { s } else { -s })
    }

    /// Frames for the registration endpoint: frontal plus two small turns.
    pub fn registration(&self) -> Vec<Vec<u8>> {
        vec![jpeg(&self.open), jpeg(&self.turned(true, 0.12)), jpeg(&self.turned(false, 0.12))]
    }

    /// A genuine 12-frame burst performing `steps` (`BLINK`, `TURN_LEFT`, `TURN_RIGHT`) in order: two
    /// frontal lead-in frames, four frames per step (the action twice, then back to frontal twice), padded
    /// with frontal frames.
    pub fn burst(&self, steps: &[&str]) -> Vec<Vec<u8>> {
        self.burst_n(steps, 12)
    }

    pub fn burst_n(&self, steps: &[&str], n: usize) -> Vec<Vec<u8>> {
        let open = jpeg(&self.open);
        let mut frames = vec![open.clone(), open.clone()];
        for s in steps {
            let action = match *s {
                "BLINK" => jpeg(&self.closed),
                "TURN_LEFT" => jpeg(&self.turned(true, self.turn.0)),
                "TURN_RIGHT" => jpeg(&self.turned(false, self.turn.1)),
                other => panic!("unknown step {other}"),
            };
            frames.extend([action.clone(), action, open.clone(), open.clone()]);
        }
        while frames.len() < n {
            frames.push(open.clone());
        }
        frames
    }

    /// The same subject with, per direction, the warp strength (0.3-0.7 of the half face width) whose
    /// synthesised turn the engine reads as the clearest turn, or `None` when one direction never reaches
    /// |yaw| >= `min_yaw`. The 2-D warp is a stand-in for a rotation: how far it moves the nose between the
    /// cheeks differs from face to face (and a subject's "frontal" photo is seldom exactly frontal).
    pub fn with_clear_turns(mut self, min_yaw: f32) -> Option<Subject> {
        let yaw = |img: &RgbImage| {
            let opts = AnalyzeOptions { embedding: false, eyes: false, ..Default::default() };
            engine().analyze_bytes(&jpeg(img), &DecodeLimits::default(), &opts).ok()?.face.map(|f| f.yaw)
        };
        let best = |left: bool| {
            (3..=7)
                .map(|k| k as f32 / 10.0)
                .filter_map(|f| yaw(&self.turned(left, f)).map(|y| (f, if left { y } else { -y })))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .filter(|(_, y)| *y >= min_yaw)
                .map(|(f, _)| f)
        };
        self.turn = (best(true)?, best(false)?);
        Some(self)
    }

    /// The same still photo repeated (a printed photo held up).
    pub fn still(&self, n: usize) -> Vec<Vec<u8>> {
        vec![jpeg(&self.open); n]
    }
}

/// The frames with their bytes made unique (a JPEG comment segment with the frame's index after the
/// start-of-image marker; the pixels are unchanged), as consecutive camera frames always differ: frames
/// sent ahead are found by their digest, so repeated bytes would be analysed only once.
pub fn distinct(frames: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    frames
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            assert!(f.starts_with(&[0xFF, 0xD8]), "a JPEG");
            let text = format!("frame {i}");
            let mut out = Vec::with_capacity(f.len() + text.len() + 4);
            out.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xFE]);
            out.extend_from_slice(&((text.len() + 2) as u16).to_be_bytes());
            out.extend_from_slice(text.as_bytes());
            out.extend_from_slice(&f[2..]);
            out
        })
        .collect()
}

/// Yale subjects used as employees / strangers in the tests (turn synthesis measured on them).
pub const BUDI: u32 = 6;
pub const SITI: u32 = 1;
pub const STRANGER: u32 = 10;

/// Inside the default site (Kantor Pusat -6.2000,106.8166, 50 m): ~11 m away, 10 m accuracy.
pub const INSIDE: (f64, f64, f64) = (-6.2001, 106.8166, 10.0);
/// ~1.1 km from the site.
pub const OUTSIDE: (f64, f64, f64) = (-6.2100, 106.8166, 10.0);

pub async fn challenge(app: &TestApp) -> (String, Vec<String>) {
    let r = app.client.post(app.url("/api/kiosk/challenge")).send().await.unwrap();
    assert_eq!(r.status(), 200, "challenge");
    let v: Value = r.json().await.unwrap();
    let steps = v["steps"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
    (v["token"].as_str().unwrap().to_string(), steps)
}

pub fn form(token: &str, fix: Option<(f64, f64, f64)>, frames: Vec<Vec<u8>>) -> Form {
    let mut form = Form::new().text("challenge", token.to_string());
    if let Some((lat, lon, acc)) = fix {
        form =
            form.text("latitude", lat.to_string()).text("longitude", lon.to_string()).text("accuracy", acc.to_string());
    }
    for (i, f) in frames.into_iter().enumerate() {
        form = form
            .part("frame", Part::bytes(f).file_name(format!("frame-{:02}.jpg", i + 1)).mime_str("image/jpeg").unwrap());
    }
    form
}

pub async fn attend(
    app: &TestApp,
    token: &str,
    fix: Option<(f64, f64, f64)>,
    frames: Vec<Vec<u8>>,
) -> reqwest::Response {
    app.client.post(app.url("/api/kiosk/attend")).multipart(form(token, fix, frames)).send().await.unwrap()
}

/// Registers `subject`'s face for `employee_id` through the owner API (the client must be logged in).
pub async fn register(app: &TestApp, employee_id: &Value, subject: &Subject) {
    let mut form = Form::new().text("consent", "true");
    for (i, f) in subject.registration().into_iter().enumerate() {
        form = form.part("frame", Part::bytes(f).file_name(format!("reg-{i}.jpg")));
    }
    let r =
        app.client.post(app.url(&format!("/api/employees/{employee_id}/face"))).multipart(form).send().await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 201, "face registration: {body}");
}
