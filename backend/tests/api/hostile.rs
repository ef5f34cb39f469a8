//! A corpus of hostile input (DESIGN.md §9: "bad input gets a clear 4xx and changes nothing"), run table-driven:
//! every case is a request with the status and error code it must get, and for every case the test checks
//! that the answer is a JSON `{"error": {"code", "message"}}` and that the database (every row of the six
//! tables, see `helpers::db_snapshot`) and the upload directory are exactly as before.
//!
//! Categories: hostile images (corrupt, truncated, empty, decompression bombs, non-images) on every path
//! that takes one (face registration, kiosk attend and leave frames, profile photo, leave proof); wrong
//! content types; oversized multipart; bad dates; out-of-range numbers and ids; injection-looking strings
//! where validation refuses them; forged session tokens and kiosk challenges. Injection-looking strings
//! that are valid data are checked to round-trip verbatim, and upload file names to never pick the stored
//! path. None of this needs the real face photos (kiosk frames here never contain a face).
use std::collections::BTreeSet;
use std::io::Cursor;
use std::path::PathBuf;

use backend::domain::challenge;
use chrono::{Duration, NaiveDate};
use face_engine::liveness::Step;
use reqwest::multipart::{Form, Part};
use reqwest::{Client, RequestBuilder};
use serde_json::{json, Value};

use crate::bursts::{self, INSIDE};
use crate::helpers::*;
use crate::leaves::{insert_att, next_monday, past_monday, today};

// ---- The corpus machinery ----

type Build = Box<dyn Fn(&Ctx, &str) -> RequestBuilder>;
type Check = Box<dyn Fn(&Value) -> Result<(), String>>;

/// One hostile request: `build` gets the context and a fresh kiosk challenge token.
struct Case {
    what: String,
    status: u16,
    /// The error code; `None` for a request that is answered normally (2xx) and must change nothing.
    code: Option<&'static str>,
    build: Build,
    check: Option<Check>,
}

fn refuse(
    what: impl Into<String>,
    status: u16,
    code: &'static str,
    build: impl Fn(&Ctx, &str) -> RequestBuilder + 'static,
) -> Case {
    Case { what: what.into(), status, code: Some(code), build: Box::new(build), check: None }
}

/// A request that looks hostile but is harmless: answered 2xx (e.g. clamped paging), changes nothing.
fn harmless(what: impl Into<String>, build: impl Fn(&Ctx, &str) -> RequestBuilder + 'static) -> Case {
    Case { what: what.into(), status: 200, code: None, build: Box::new(build), check: None }
}

impl Case {
    fn check(mut self, f: impl Fn(&Value) -> Result<(), String> + 'static) -> Case {
        self.check = Some(Box::new(f));
        self
    }
}

/// The app and the fixtures the cases refer to.
struct Ctx {
    app: TestApp,
    /// A client without the owner's cookie (token cases).
    plain: Client,
    emp: i64,
    shift: i64,
    leave: i64,
    att: i64,
    /// A Monday whose week is free for a new leave of `emp` (valid leave fields).
    free: NaiveDate,
    /// A valid JPEG frame without a face.
    blank: Vec<u8>,
    /// A kiosk challenge already spent (its burst was analysed).
    spent: String,
}

impl Ctx {
    fn url(&self, p: &str) -> String {
        self.app.url(p)
    }
    fn get(&self, p: &str) -> RequestBuilder {
        self.app.client.get(self.url(p))
    }
    fn post(&self, p: &str) -> RequestBuilder {
        self.app.client.post(self.url(p))
    }
    fn put(&self, p: &str) -> RequestBuilder {
        self.app.client.put(self.url(p))
    }
    fn patch(&self, p: &str) -> RequestBuilder {
        self.app.client.patch(self.url(p))
    }
    fn method(&self, m: &str, p: &str) -> RequestBuilder {
        self.app.client.request(reqwest::Method::from_bytes(m.as_bytes()).unwrap(), self.url(p))
    }

    /// `frame` first, then blank frames up to a burst of 8 (the minimum).
    fn burst_with(&self, frame: &[u8]) -> Vec<Vec<u8>> {
        let mut frames = vec![frame.to_vec()];
        frames.resize(8, self.blank.clone());
        frames
    }

    /// A valid owner leave form for `emp` in the free week, without the proof.
    fn leave_form(&self) -> Form {
        Form::new()
            .text("employee_id", self.emp.to_string())
            .text("jenis", "Izin")
            .text("alasan", "urusan keluarga")
            .text("tanggal_mulai", self.free.to_string())
            .text("tanggal_selesai", (self.free + Duration::days(1)).to_string())
    }

    /// Valid kiosk leave fields plus a burst.
    fn kiosk_leave_form(&self, token: &str, frames: Vec<Vec<u8>>) -> Form {
        bursts::form(token, None, frames)
            .text("jenis", "Sakit")
            .text("alasan", "demam")
            .text("tanggal_mulai", self.free.to_string())
            .text("tanggal_selesai", self.free.to_string())
    }
}

async fn context() -> Ctx {
    let app = spawn_app_with(|env| {
        env.insert("KIOSK_RATE_PER_MINUTE".into(), "100000".into());
    })
    .await;
    app.login().await;
    let shift = app.create_shift("Pagi", "08:00", "17:00", 5).await["id"].as_i64().unwrap();
    let emp = app.create_employee("HX-001", "Hana", Some(shift)).await["id"].as_i64().unwrap();
    let mon = next_monday();
    let r = crate::leaves::post_leave(&app, &Value::from(emp), "Cuti", "mudik", mon, mon, None).await;
    assert_eq!(r.status(), 201, "fixture leave");
    let leave = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let att =
        insert_att(&app.db, emp as i32, past_monday(), backend::entities::AttendanceStatus::Hadir, Some("07:55"), None)
            .await
            .id as i64;
    Ctx {
        plain: Client::new(),
        emp,
        shift,
        leave,
        att,
        free: mon + Duration::days(7),
        blank: bursts::jpeg(&image::RgbImage::from_pixel(160, 120, image::Rgb([128, 128, 128]))),
        spent: String::new(),
        app,
    }
}

async fn fresh_challenge(app: &TestApp) -> String {
    let r = app.client.post(app.url("/api/kiosk/challenge")).send().await.unwrap();
    assert_eq!(r.status(), 200, "challenge");
    r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
}

/// Names at the top of the app's temp directory (the SQLite file and `uploads/`): nothing else may appear.
fn top_level(app: &TestApp) -> BTreeSet<String> {
    std::fs::read_dir(&app._tmp.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("test.db"))
        .collect()
}

/// Runs every case; collects every failure (status, code, body shape, database or files changed) and fails
/// once at the end with all of them. Each request has a 20 s timeout (a server that never answers is a
/// failure, not a hung test); `HOSTILE_TRACE=1` prints every case with its time.
async fn run(ctx: &Ctx, cases: Vec<Case>) {
    let total = cases.len();
    let mut failures = Vec::new();
    let started = std::time::Instant::now();
    for c in cases {
        let before = db_snapshot(&ctx.app.db).await;
        let files_before = files_under(&ctx.app.config.upload_dir);
        let top_before = top_level(&ctx.app);
        let token = fresh_challenge(&ctx.app).await;
        let mut problems = Vec::new();
        let t0 = std::time::Instant::now();
        let sent = (c.build)(ctx, &token).timeout(std::time::Duration::from_secs(20)).send().await;
        if std::env::var("HOSTILE_TRACE").is_ok() {
            eprintln!("[{:>5} ms] {}", t0.elapsed().as_millis(), c.what);
        }
        match sent {
            Err(e) => problems.push(format!("request failed: {e}")),
            Ok(resp) => {
                let status = resp.status().as_u16();
                let ctype = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                let text = resp.text().await.unwrap_or_default();
                let short: String = text.chars().take(300).collect();
                if status != c.status {
                    problems.push(format!("status {status}, expected {} (body: {short})", c.status));
                }
                if !ctype.starts_with("application/json") {
                    problems.push(format!("content-type {ctype:?}, expected JSON (body: {short})"));
                }
                match serde_json::from_str::<Value>(&text) {
                    Err(e) => problems.push(format!("body is not JSON ({e}): {short}")),
                    Ok(body) => {
                        match c.code {
                            Some(code) => {
                                if body["error"]["code"] != code {
                                    problems.push(format!("code {}, expected {code} ({short})", body["error"]["code"]));
                                }
                                if body["error"]["message"].as_str().is_none_or(|m| m.trim().is_empty()) {
                                    problems.push(format!("no error message: {short}"));
                                }
                            }
                            None => {
                                if body.get("error").is_some() {
                                    problems.push(format!("an error where none was expected: {short}"));
                                }
                            }
                        }
                        if let Some(check) = &c.check {
                            if let Err(e) = check(&body) {
                                problems.push(format!("{e} ({short})"));
                            }
                        }
                    }
                }
            }
        }
        let after = db_snapshot(&ctx.app.db).await;
        problems.extend(before.diff(&after).into_iter().map(|d| format!("database changed: {d}")));
        let files_after = files_under(&ctx.app.config.upload_dir);
        if files_after != files_before {
            let names: Vec<&PathBuf> = files_after.keys().collect();
            problems.push(format!("upload directory changed: now {names:?}"));
        }
        if top_level(&ctx.app) != top_before {
            problems.push(format!("files appeared next to the database: {:?}", top_level(&ctx.app)));
        }
        if !problems.is_empty() {
            failures.push(format!("- {}: {}", c.what, problems.join("; ")));
        }
    }
    eprintln!("hostile corpus: {total} cases, {} failed, {:.1} s", failures.len(), started.elapsed().as_secs_f32());
    assert!(failures.is_empty(), "{} of {total} hostile cases failed:\n{}", failures.len(), failures.join("\n"));
}

// ---- Hostile payloads ----

fn gradient(w: u32, h: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7 % 256) as u8, (y * 5 % 256) as u8, ((x + y) % 256) as u8]))
}

fn png_of(img: &image::RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img.clone()).write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

/// A well-formed 1x1 PNG whose header (with a correct CRC) claims `w` x `h` pixels: a decompression bomb
/// as far as any decoder that trusts the header is concerned.
pub fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut p = png_of(&gradient(1, 1));
    assert_eq!(&p[12..16], b"IHDR");
    p[16..20].copy_from_slice(&w.to_be_bytes());
    p[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32fast::hash(&p[12..29]);
    p[29..33].copy_from_slice(&crc.to_be_bytes());
    p
}

/// A small baseline JPEG whose frame header (SOF0) claims `w` x `h` pixels.
pub fn jpeg_claiming(w: u16, h: u16) -> Vec<u8> {
    let mut j = bursts::jpeg(&gradient(16, 16));
    let i = j.windows(2).position(|m| m == [0xFF, 0xC0]).expect("a baseline SOF0 marker");
    j[i + 5..i + 7].copy_from_slice(&h.to_be_bytes());
    j[i + 7..i + 9].copy_from_slice(&w.to_be_bytes());
    j
}

struct Payload {
    name: &'static str,
    bytes: Vec<u8>,
    /// Expected answer as a kiosk frame (sniffed: JPEG/PNG only, then decoded by the face engine).
    frame: (u16, &'static str),
    /// Expected answer as an explicit upload (profile photo, leave proof: sniffed, decoded with limits).
    upload: (u16, &'static str),
}

fn payloads() -> Vec<Payload> {
    let real_jpeg = bursts::jpeg(&gradient(320, 240));
    let real_png = png_of(&gradient(64, 64));
    let mut corrupt_jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    corrupt_jpeg.extend((0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let mut png_bad_idat = real_png.clone();
    let idat = png_bad_idat.windows(4).position(|w| w == b"IDAT").unwrap() + 4;
    for b in &mut png_bad_idat[idat..idat + 40] {
        *b ^= 0x5A;
    }
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xFF\xFF\x00\x00".to_vec();
    exe.resize(0x80, 0);
    exe.extend_from_slice(b"PE\0\0\x4c\x01This program cannot be run in DOS mode.\r\r\n$");
    exe.resize(4096, 0x90);
    let mut polyglot = vec![0xFF, 0xD8, 0xFF, 0xE0];
    polyglot.extend_from_slice(b"<html><script>fetch('/api/employees').then(r=>r.text()).then(alert)</script></html>");
    const BAD: (u16, &str) = (422, "INVALID_IMAGE");
    const CORRUPT: (u16, &str) = (422, "CORRUPT_IMAGE");
    const NOT_JPEG: (u16, &str) = (415, "UNSUPPORTED_MEDIA");
    vec![
        Payload { name: "zero bytes", bytes: vec![], frame: (422, "VALIDATION"), upload: BAD },
        Payload { name: "JPEG truncated after its headers", bytes: real_jpeg[..200].to_vec(), frame: CORRUPT, upload: BAD },
        Payload {
            name: "PNG truncated in half",
            bytes: real_png[..real_png.len() / 2].to_vec(),
            frame: CORRUPT,
            upload: BAD,
        },
        Payload { name: "JPEG magic then noise", bytes: corrupt_jpeg, frame: CORRUPT, upload: BAD },
        Payload { name: "PNG with a corrupted IDAT", bytes: png_bad_idat, frame: CORRUPT, upload: BAD },
        Payload {
            name: "PNG header claiming 50000x50000",
            bytes: png_claiming(50_000, 50_000),
            frame: (413, "IMAGE_TOO_LARGE"),
            upload: (413, "PAYLOAD_TOO_LARGE"),
        },
        Payload {
            name: "PNG header claiming 8000x8000 (64 MP)",
            bytes: png_claiming(8_000, 8_000),
            frame: (413, "IMAGE_TOO_LARGE"),
            upload: (413, "PAYLOAD_TOO_LARGE"),
        },
        Payload {
            name: "JPEG header claiming 65000x65000",
            bytes: jpeg_claiming(65_000, 65_000),
            frame: (413, "IMAGE_TOO_LARGE"),
            upload: (413, "PAYLOAD_TOO_LARGE"),
        },
        Payload { name: "JPEG magic + HTML polyglot", bytes: polyglot, frame: CORRUPT, upload: BAD },
        Payload {
            name: "a PDF",
            bytes: b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
                .to_vec(),
            frame: NOT_JPEG,
            upload: BAD,
        },
        Payload {
            name: "an HTML page",
            bytes: b"<!DOCTYPE html><html><body><img src=x onerror=alert(document.cookie)></body></html>".to_vec(),
            frame: NOT_JPEG,
            upload: BAD,
        },
        Payload {
            name: "an SVG with a script",
            bytes: br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>"#.to_vec(),
            frame: NOT_JPEG,
            upload: BAD,
        },
        Payload { name: "an EXE-like blob", bytes: exe, frame: NOT_JPEG, upload: BAD },
        Payload {
            name: "a fake WebP",
            bytes: b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00garbage-garbage-garbage!".to_vec(),
            frame: NOT_JPEG,
            upload: BAD,
        },
    ]
}

fn file_part(bytes: Vec<u8>, name: &str) -> Part {
    Part::bytes(bytes).file_name(name.to_string())
}

fn registration_form(frames: Vec<Vec<u8>>) -> Form {
    let mut form = Form::new().text("consent", "true");
    for (i, f) in frames.into_iter().enumerate() {
        form = form.part("frame", file_part(f, &format!("frame{i}.jpg")));
    }
    form
}

/// Every frame of a refused registration is reported, none usable.
fn all_frames_refused(n: usize) -> impl Fn(&Value) -> Result<(), String> {
    move |body| {
        let frames = body["error"]["frames"].as_array().ok_or("no per-frame report")?;
        if frames.len() != n
            || frames.iter().any(|f| f["ok"] != false || f["reasons"].as_array().is_none_or(|r| r.is_empty()))
        {
            return Err(format!("expected {n} refused frames with reasons"));
        }
        Ok(())
    }
}

#[tokio::test]
async fn hostile_images_are_refused_on_every_path_that_takes_one() {
    let ctx = context().await;
    let mut cases = Vec::new();
    for p in payloads() {
        let bytes = p.bytes;
        let b = bytes.clone();
        cases.push(
            refuse(format!("face registration, 3 frames: {}", p.name), 422, "FACE_QUALITY", move |c, _| {
                c.post(&format!("/api/employees/{}/face", c.emp)).multipart(registration_form(vec![b.clone(); 3]))
            })
            .check(all_frames_refused(3)),
        );
        let b = bytes.clone();
        let name = p.name;
        cases.push(
            refuse(format!("kiosk attend frame: {}", p.name), p.frame.0, p.frame.1, move |c, t| {
                c.post("/api/kiosk/attend").multipart(bursts::form(t, Some(INSIDE), c.burst_with(&b)))
            })
            .check(move |body| {
                let m = body["error"]["message"].as_str().unwrap_or("");
                if name != "zero bytes" && !m.starts_with("Frame 1") {
                    return Err("the message does not name the frame".into());
                }
                Ok(())
            }),
        );
        let b = bytes.clone();
        cases.push(refuse(format!("kiosk leave frame: {}", p.name), p.frame.0, p.frame.1, move |c, t| {
            c.post("/api/kiosk/leave").multipart(c.kiosk_leave_form(t, c.burst_with(&b)))
        }));
        let b = bytes.clone();
        cases.push(refuse(format!("profile photo: {}", p.name), p.upload.0, p.upload.1, move |c, _| {
            c.post(&format!("/api/employees/{}/photo", c.emp))
                .multipart(Form::new().part("photo", file_part(b.clone(), "foto.jpg")))
        }));
        // An empty file part is what a browser sends for "no file chosen": an optional proof that is empty
        // is simply absent (the leave would be created), so it is not a hostile case there.
        if !bytes.is_empty() {
            let b = bytes.clone();
            cases.push(refuse(format!("leave proof: {}", p.name), p.upload.0, p.upload.1, move |c, _| {
                c.post("/api/leaves").multipart(c.leave_form().part("bukti", file_part(b.clone(), "surat.jpg")))
            }));
        }
    }
    run(&ctx, cases).await;
}

// ---- Content types and sizes ----

/// A raw multipart body with boundary `b` and one text field (no closing delimiter when `close` is false).
fn raw_multipart(b: &str, close: bool) -> Vec<u8> {
    let mut s = format!("--{b}\r\nContent-Disposition: form-data; name=\"consent\"\r\n\r\ntrue\r\n");
    s.push_str(&format!("--{b}\r\nContent-Disposition: form-data; name=\"frame\"; filename=\"a.jpg\"\r\n"));
    s.push_str("Content-Type: image/jpeg\r\n\r\n\u{00FF}\u{00D8}\u{00FF}...\r\n");
    if close {
        s.push_str(&format!("--{b}--\r\n"));
    }
    s.into_bytes()
}

#[tokio::test]
async fn wrong_content_types_and_oversized_bodies_are_refused() {
    let ctx = context().await;
    let mut cases = Vec::new();

    // JSON endpoints sent something else.
    let json_endpoints: Vec<(&str, String, Value)> = vec![
        ("POST", "/api/employees".into(), json!({"kode": "HX-NEW", "nama": "Baru"})),
        ("PUT", format!("/api/employees/{}", ctx.emp), json!({"kode": "HX-001", "nama": "Diganti"})),
        ("POST", "/api/shifts".into(), json!({"nama": "Malam", "jam_masuk": "22:00", "jam_pulang": "06:00"})),
        (
            "PUT",
            format!("/api/shifts/{}", ctx.shift),
            json!({"nama": "Siang", "jam_masuk": "12:00", "jam_pulang": "20:00"}),
        ),
        (
            "POST",
            "/api/attendance".into(),
            json!({"employee_id": ctx.emp, "tanggal": today().to_string(), "status": "ALPA"}),
        ),
        ("PATCH", format!("/api/attendance/{}", ctx.att), json!({"status": "ALPA"})),
        ("POST", "/api/auth/login".into(), json!({"email": OWNER_EMAIL, "password": OWNER_PASSWORD})),
        (
            "POST",
            "/api/auth/change-password".into(),
            json!({"current_password": OWNER_PASSWORD, "new_password": "kata-sandi-baru-123"}),
        ),
    ];
    for (m, path, body) in json_endpoints {
        let fields: Vec<(String, String)> = body
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
            .collect();
        let (p, f) = (path.clone(), fields.clone());
        cases.push(refuse(format!("{m} {path} as a urlencoded form"), 415, "UNSUPPORTED_MEDIA", move |c, _| {
            c.method(m, &p).form(&f)
        }));
        let (p, f) = (path.clone(), fields.clone());
        cases.push(refuse(format!("{m} {path} as multipart"), 415, "UNSUPPORTED_MEDIA", move |c, _| {
            let mut form = Form::new();
            for (k, v) in &f {
                form = form.text(k.clone(), v.clone());
            }
            c.method(m, &p).multipart(form)
        }));
        let (p, text) = (path.clone(), body.to_string());
        cases.push(refuse(format!("{m} {path} as text/plain JSON"), 415, "UNSUPPORTED_MEDIA", move |c, _| {
            c.method(m, &p).header("content-type", "text/plain").body(text.clone())
        }));
        let (p, text) = (path.clone(), body.to_string());
        cases.push(refuse(format!("{m} {path} without a Content-Type"), 415, "UNSUPPORTED_MEDIA", move |c, _| {
            c.method(m, &p).body(text.clone())
        }));
        let p = path.clone();
        cases.push(refuse(format!("{m} {path} as XML"), 415, "UNSUPPORTED_MEDIA", move |c, _| {
            c.method(m, &p).header("content-type", "application/xml").body("<employee><kode>x</kode></employee>")
        }));
        let (p, text) = (path.clone(), body.to_string());
        cases.push(refuse(format!("{m} {path} with truncated JSON"), 422, "VALIDATION", move |c, _| {
            c.method(m, &p).header("content-type", "application/json").body(text[..text.len() / 2].to_string())
        }));
        let p = path.clone();
        cases.push(refuse(format!("{m} {path} with a JSON array"), 422, "VALIDATION", move |c, _| {
            c.method(m, &p).json(&json!([1, 2, 3]))
        }));
        let p = path.clone();
        cases.push(refuse(format!("{m} {path} with 100 KB of JSON"), 413, "PAYLOAD_TOO_LARGE", move |c, _| {
            c.method(m, &p).json(&json!({"kode": "HX-X", "nama": "x".repeat(100 * 1024)}))
        }));
    }

    // Multipart endpoints sent something else, or broken multipart.
    let multipart_endpoints: Vec<String> = vec![
        format!("/api/employees/{}/face", ctx.emp),
        format!("/api/employees/{}/photo", ctx.emp),
        "/api/leaves".into(),
        "/api/kiosk/attend".into(),
        "/api/kiosk/leave".into(),
        "/api/employees/import?dry_run=false".into(),
    ];
    for path in multipart_endpoints {
        let p = path.clone();
        cases.push(refuse(format!("POST {path} as JSON"), 415, "UNSUPPORTED_MEDIA", move |c, t| {
            c.post(&p).json(&json!({"challenge": t, "consent": "true", "frame": "/9j/4AAQSkZJRg=="}))
        }));
        let p = path.clone();
        cases.push(refuse(format!("POST {path} as a urlencoded form"), 415, "UNSUPPORTED_MEDIA", move |c, t| {
            c.post(&p).form(&[("challenge", t), ("consent", "true")])
        }));
        let p = path.clone();
        cases.push(refuse(format!("POST {path} as text/plain"), 415, "UNSUPPORTED_MEDIA", move |c, _| {
            c.post(&p).header("content-type", "text/plain").body(raw_multipart("x", true))
        }));
        let p = path.clone();
        cases.push(refuse(format!("POST {path} multipart without a boundary"), 400, "BAD_MULTIPART", move |c, _| {
            c.post(&p).header("content-type", "multipart/form-data").body(raw_multipart("x", true))
        }));
        let p = path.clone();
        cases.push(refuse(
            format!("POST {path} multipart with another boundary"),
            400,
            "BAD_MULTIPART",
            move |c, _| {
                c.post(&p)
                    .header("content-type", "multipart/form-data; boundary=AAAA")
                    .body(raw_multipart("BBBB", true))
            },
        ));
        // Bodies that end inside a part: actix-multipart 0.7 waited forever for the rest when the body
        // ended on `\r` or `\r\n` (the request hung until the client gave up); now a 400 at once.
        for (how, cut) in [("after CRLF", 0), ("after CR", 1), ("mid-part", 2)] {
            let p = path.clone();
            cases.push(
                refuse(format!("POST {path} multipart cut off {how}"), 400, "BAD_MULTIPART", move |c, _| {
                    let mut body = raw_multipart("x", false);
                    body.truncate(body.len() - cut);
                    c.post(&p).header("content-type", "multipart/form-data; boundary=x").body(body)
                })
                .check(|body| {
                    // The parser's own (English) text stays in the server's debug log.
                    let msg = body["error"]["message"].as_str().unwrap_or("");
                    if msg.contains("terpotong") && !msg.contains("stream") {
                        Ok(())
                    } else {
                        Err(format!("message not the Indonesian one: {msg}"))
                    }
                }),
            );
        }
        let p = path.clone();
        cases.push(refuse(format!("POST {path} with a non-UTF-8 text field"), 400, "BAD_MULTIPART", move |c, _| {
            c.post(&p).multipart(Form::new().part("alasan", Part::bytes(vec![0xFF, 0xFE, 0x00, 0xC3])))
        }));
    }

    // Oversized multipart: too many parts, one part too big, the whole body too big.
    let small = bursts::jpeg(&gradient(32, 32));
    let s = small.clone();
    cases.push(refuse("face registration with 11 frames (max 10)", 413, "PAYLOAD_TOO_LARGE", move |c, _| {
        c.post(&format!("/api/employees/{}/face", c.emp)).multipart(registration_form(vec![s.clone(); 11]))
    }));
    cases.push(refuse("face registration frame of 5 MB + 1", 413, "PAYLOAD_TOO_LARGE", move |c, _| {
        let mut big = bursts::jpeg(&gradient(32, 32));
        big.resize(5 * 1024 * 1024 + 1, 0);
        c.post(&format!("/api/employees/{}/face", c.emp)).multipart(registration_form(vec![big]))
    }));
    let s = small.clone();
    cases.push(refuse("kiosk attend with 22 frames (max 20)", 413, "PAYLOAD_TOO_LARGE", move |c, t| {
        c.post("/api/kiosk/attend").multipart(bursts::form(t, Some(INSIDE), vec![s.clone(); 22]))
    }));
    cases.push(refuse("kiosk attend frame of 1 MB + 1", 413, "PAYLOAD_TOO_LARGE", move |c, t| {
        let mut big = c.blank.clone();
        big.resize(1024 * 1024 + 1, 0);
        c.post("/api/kiosk/attend").multipart(bursts::form(t, Some(INSIDE), c.burst_with(&big)))
    }));
    let s = small.clone();
    cases.push(refuse("kiosk leave with 23 frames", 413, "PAYLOAD_TOO_LARGE", move |c, t| {
        c.post("/api/kiosk/leave").multipart(c.kiosk_leave_form(t, vec![s.clone(); 23]))
    }));
    cases.push(refuse("kiosk attend with a 5000-byte challenge field", 413, "PAYLOAD_TOO_LARGE", move |c, _| {
        c.post("/api/kiosk/attend").multipart(bursts::form(&"e".repeat(5000), Some(INSIDE), c.burst_with(&c.blank)))
    }));
    let s = small.clone();
    cases.push(refuse("two profile photos in one request (max 1)", 413, "PAYLOAD_TOO_LARGE", move |c, _| {
        let form =
            Form::new().part("photo", file_part(s.clone(), "a.jpg")).part("photo", file_part(s.clone(), "b.jpg"));
        c.post(&format!("/api/employees/{}/photo", c.emp)).multipart(form)
    }));
    cases.push(refuse("leave proof of 5 MB + 1", 413, "PAYLOAD_TOO_LARGE", move |c, _| {
        let mut big = png_of(&gradient(8, 8));
        big.resize(5 * 1024 * 1024 + 1, 0);
        c.post("/api/leaves").multipart(c.leave_form().part("bukti", file_part(big, "surat.png")))
    }));
    cases.push(refuse(
        "leave body over the total limit (5 MB proof + 80 KB of fields)",
        413,
        "PAYLOAD_TOO_LARGE",
        move |c, _| {
            let mut proof = png_of(&gradient(8, 8));
            proof.resize(5 * 1024 * 1024, 0);
            let mut form = c.leave_form().part("bukti", file_part(proof, "surat.png"));
            for i in 0..20 {
                form = form.text(format!("catatan{i}"), "n".repeat(4000));
            }
            c.post("/api/leaves").multipart(form)
        },
    ));
    cases.push(refuse("leave alasan of 5000 bytes", 413, "PAYLOAD_TOO_LARGE", move |c, _| {
        let form = Form::new()
            .text("employee_id", c.emp.to_string())
            .text("jenis", "Izin")
            .text("alasan", "a".repeat(5000))
            .text("tanggal_mulai", c.free.to_string())
            .text("tanggal_selesai", c.free.to_string());
        c.post("/api/leaves").multipart(form)
    }));
    run(&ctx, cases).await;
}

// ---- Dates, numbers, ids, injection-looking strings ----

const BAD_DATES: [&str; 9] = [
    "2026-02-30",
    "31-12-2026",
    "9999999-01-01",
    "2026-13-01",
    "0000-01-01",
    "2026-01-01' OR '1'='1",
    "2026-01-01T00:00:00",
    "\u{0}",
    "1e9",
];

#[tokio::test]
async fn bad_dates_numbers_ids_and_injection_strings_are_refused() {
    let ctx = context().await;
    let mut cases = Vec::new();
    const V: (u16, &str) = (422, "VALIDATION");

    // Dates: every date parameter of every endpoint.
    for d in BAD_DATES {
        let q = urlencode(d);
        for (what, path) in [
            ("report from", format!("/api/reports/attendance?from={q}&to=2026-11-30")),
            ("report to", format!("/api/reports/attendance?from=2026-11-01&to={q}")),
            ("report xlsx from", format!("/api/reports/attendance?from={q}&to=2026-11-30&format=xlsx")),
            ("dashboard date", format!("/api/dashboard/summary?date={q}")),
            ("late ranking from", format!("/api/dashboard/late-ranking?from={q}")),
            ("late ranking to", format!("/api/dashboard/late-ranking?to={q}")),
            ("attendance from", format!("/api/attendance?from={q}")),
            ("attendance to", format!("/api/attendance?to={q}")),
            ("leaves from", format!("/api/leaves?from={q}")),
            ("leaves to", format!("/api/leaves?to={q}")),
        ] {
            cases.push(refuse(format!("{what} = {d:?}"), V.0, V.1, move |c, _| c.get(&path)));
        }
        let dd = d.to_string();
        let date = dd.clone();
        cases.push(refuse(format!("leave tanggal_mulai = {d:?}"), V.0, V.1, move |c, _| {
            let form = Form::new()
                .text("employee_id", c.emp.to_string())
                .text("jenis", "Izin")
                .text("alasan", "x")
                .text("tanggal_mulai", date.clone())
                .text("tanggal_selesai", c.free.to_string());
            c.post("/api/leaves").multipart(form)
        }));
        let date = dd.clone();
        cases.push(refuse(format!("kiosk leave tanggal_selesai = {d:?}"), V.0, V.1, move |c, t| {
            let form = bursts::form(t, None, c.burst_with(&c.blank))
                .text("jenis", "Sakit")
                .text("alasan", "demam")
                .text("tanggal_mulai", c.free.to_string())
                .text("tanggal_selesai", date.clone());
            c.post("/api/kiosk/leave").multipart(form)
        }));
        let date = dd.clone();
        cases.push(refuse(format!("manual attendance tanggal = {d:?}"), V.0, V.1, move |c, _| {
            c.post("/api/attendance").json(&json!({"employee_id": c.emp, "tanggal": date, "status": "ALPA"}))
        }));
    }
    // from > to, and empty required dates.
    for (what, path) in [
        ("report from > to", "/api/reports/attendance?from=2026-05-02&to=2026-05-01"),
        ("report empty dates", "/api/reports/attendance?from=&to="),
        ("report only to", "/api/reports/attendance?to=2026-05-01"),
        ("report period of 10 years", "/api/reports/attendance?from=2016-01-01&to=2026-01-01"),
        ("late ranking from > to", "/api/dashboard/late-ranking?from=2026-05-02&to=2026-05-01"),
        ("attendance from > to", "/api/attendance?from=2026-05-02&to=2026-05-01"),
        ("leaves from > to", "/api/leaves?from=2026-05-02&to=2026-05-01"),
    ] {
        cases.push(refuse(what, V.0, V.1, move |c, _| c.get(path)));
    }
    cases.push(refuse("leave with empty dates", V.0, V.1, |c, _| {
        let form = Form::new()
            .text("employee_id", c.emp.to_string())
            .text("jenis", "Izin")
            .text("alasan", "x")
            .text("tanggal_mulai", "")
            .text("tanggal_selesai", "");
        c.post("/api/leaves").multipart(form)
    }));
    cases.push(refuse("kiosk leave from > to", V.0, V.1, |c, t| {
        let form = bursts::form(t, None, c.burst_with(&c.blank))
            .text("jenis", "Sakit")
            .text("alasan", "demam")
            .text("tanggal_mulai", (c.free + Duration::days(1)).to_string())
            .text("tanggal_selesai", c.free.to_string());
        c.post("/api/kiosk/leave").multipart(form)
    }));
    cases.push(refuse("manual attendance with an empty date", V.0, V.1, |c, _| {
        c.post("/api/attendance").json(&json!({"employee_id": c.emp, "tanggal": "", "status": "ALPA"}))
    }));
    cases.push(refuse("manual attendance in the future", V.0, V.1, |c, _| {
        c.post("/api/attendance").json(
            &json!({"employee_id": c.emp, "tanggal": (today() + Duration::days(3)).to_string(), "status": "ALPA"}),
        )
    }));

    // Paging and numeric query parameters.
    for list in ["/api/employees", "/api/leaves", "/api/attendance"] {
        for q in ["page=-1", "page=abc", "page=1.5", "page=18446744073709551616", "per_page=-5", "per_page=1e9"] {
            cases.push(refuse(format!("{list}?{q}"), V.0, V.1, move |c, _| c.get(&format!("{list}?{q}"))));
        }
        for q in ["page=0", "per_page=1000000000", "page=18446744073709551615&per_page=200", "per_page=0"] {
            cases.push(harmless(format!("{list}?{q} (clamped)"), move |c, _| c.get(&format!("{list}?{q}"))).check(
                |b| {
                    let pp = b["per_page"].as_u64().unwrap_or(0);
                    if b["items"].is_array() && (1..=200).contains(&pp) && b["page"].as_u64().is_some_and(|p| p >= 1) {
                        Ok(())
                    } else {
                        Err("page/per_page not clamped into range".into())
                    }
                },
            ));
        }
    }
    for q in ["page=-1", "per_page=1000000000", "per_page=-1", "page=abc"] {
        let path = format!("/api/reports/attendance?from=2026-11-01&to=2026-11-30&{q}");
        cases.push(refuse(format!("report {q}"), V.0, V.1, move |c, _| c.get(&path)));
    }
    for path in [
        "/api/dashboard/trend?days=-1",
        "/api/dashboard/trend?days=4294967296",
        "/api/dashboard/trend?days=1e2",
        "/api/dashboard/late-ranking?limit=-1",
        "/api/dashboard/late-ranking?limit=18446744073709551616",
        "/api/dashboard/recent?limit=0",
        "/api/dashboard/recent?limit=-1",
        "/api/attendance?employee_id=99999999999",
        "/api/attendance?employee_id=1%20OR%201=1",
        "/api/leaves?employee_id=abc",
        "/api/employees?shift_id=-1.5",
        "/api/employees?aktif=maybe",
        "/api/reports/attendance?from=2026-11-01&to=2026-11-30&employee_id=99999999999",
    ] {
        cases.push(refuse(path, V.0, V.1, move |c, _| c.get(path)));
    }
    cases.push(refuse("report for employee -1", 404, "NOT_FOUND", |c, _| {
        c.get("/api/reports/attendance?from=2026-11-01&to=2026-11-30&employee_id=-1")
    }));
    cases.push(
        harmless("attendance of employee -1 (empty)", |c, _| c.get("/api/attendance?employee_id=-1"))
            .check(|b| (b["total"] == 0).then_some(()).ok_or_else(|| "expected no rows".to_string())),
    );

    // Ids in paths: negative, zero, unknown, overflowing, non-numeric, blank.
    let ids =
        ["-1", "0", "999999", "2147483648", "99999999999999999999", "abc", "1e3", "%20", "1;DROP%20TABLE%20employees"];
    for id in ids {
        let routes: Vec<(&str, String)> = vec![
            ("GET", format!("/api/employees/{id}")),
            ("PUT", format!("/api/employees/{id}")),
            ("DELETE", format!("/api/employees/{id}")),
            ("DELETE", format!("/api/employees/{id}?hard=true")),
            ("GET", format!("/api/employees/{id}/photo")),
            ("POST", format!("/api/employees/{id}/photo")),
            ("DELETE", format!("/api/employees/{id}/photo")),
            ("GET", format!("/api/employees/{id}/face")),
            ("POST", format!("/api/employees/{id}/face")),
            ("DELETE", format!("/api/employees/{id}/face")),
            ("GET", format!("/api/shifts/{id}")),
            ("PUT", format!("/api/shifts/{id}")),
            ("DELETE", format!("/api/shifts/{id}")),
            ("GET", format!("/api/leaves/{id}")),
            ("POST", format!("/api/leaves/{id}/approve")),
            ("POST", format!("/api/leaves/{id}/reject")),
            ("POST", format!("/api/leaves/{id}/cancel")),
            ("GET", format!("/api/leaves/{id}/bukti")),
            ("PATCH", format!("/api/attendance/{id}")),
        ];
        for (m, path) in routes {
            let small = bursts::jpeg(&gradient(32, 32));
            cases.push(refuse(format!("{m} {path}"), 404, "NOT_FOUND", move |c, _| {
                let r = c.method(m, &path);
                match (m, path.rsplit('/').next().unwrap_or("")) {
                    ("PUT", _) if path.contains("/shifts/") => {
                        r.json(&json!({"nama": "X", "jam_masuk": "08:00", "jam_pulang": "17:00"}))
                    }
                    ("PUT", _) => r.json(&json!({"kode": "HX-9", "nama": "X"})),
                    ("PATCH", _) => r.json(&json!({"status": "ALPA"})),
                    ("POST", "photo") => r.multipart(Form::new().part("photo", file_part(small.clone(), "a.jpg"))),
                    ("POST", "face") => r.multipart(registration_form(vec![small.clone(); 3])),
                    _ => r,
                }
            }));
        }
    }
    // Ids in bodies.
    for (what, id, status, code) in [
        ("leave for employee -1", "-1", 404, "NOT_FOUND"),
        ("leave for employee 99999999999", "99999999999", 422, "VALIDATION"),
        ("leave for employee `1 OR 1=1`", "1 OR 1=1", 422, "VALIDATION"),
        ("leave for employee ``", "", 422, "VALIDATION"),
    ] {
        cases.push(refuse(what, status, code, move |c, _| {
            let form = Form::new()
                .text("employee_id", id)
                .text("jenis", "Izin")
                .text("alasan", "x")
                .text("tanggal_mulai", c.free.to_string())
                .text("tanggal_selesai", c.free.to_string());
            c.post("/api/leaves").multipart(form)
        }));
    }
    for (what, body) in [
        ("manual attendance for employee -1", json!({"employee_id": -1, "tanggal": "2026-01-05", "status": "ALPA"})),
        ("manual attendance, id 2^40", json!({"employee_id": 1u64 << 40, "tanggal": "2026-01-05", "status": "ALPA"})),
        ("manual attendance, id as text", json!({"employee_id": "1", "tanggal": "2026-01-05", "status": "ALPA"})),
        ("employee with shift -1", json!({"kode": "HX-2", "nama": "X", "shift_id": -1})),
        ("employee with shift 1e10", json!({"kode": "HX-2", "nama": "X", "shift_id": 1e10})),
        (
            "shift with tolerance -1",
            json!({"nama": "T", "jam_masuk": "08:00", "jam_pulang": "17:00", "toleransi_menit": -1}),
        ),
        (
            "shift with tolerance 2^31",
            json!({"nama": "T", "jam_masuk": "08:00", "jam_pulang": "17:00", "toleransi_menit": 2147483648u64}),
        ),
        ("shift at 25:00", json!({"nama": "T", "jam_masuk": "25:00", "jam_pulang": "17:00"})),
    ] {
        let path = if what.starts_with("manual") {
            "/api/attendance"
        } else if what.starts_with("employee") {
            "/api/employees"
        } else {
            "/api/shifts"
        };
        cases.push(refuse(what, V.0, V.1, move |c, _| c.post(path).json(&body)));
    }
    // Times: `:60` is a leap second to chrono, a time no clock shows (MariaDB stored it as 00:00:00).
    for t in ["07:59:60", "23:59:60", "24:00", "24:00:00", "08:00:61", "8.00", "08:00 AM", "-01:00"] {
        cases.push(refuse(format!("correction check_in {t:?}"), V.0, V.1, move |c, _| {
            c.patch(&format!("/api/attendance/{}", c.att)).json(&json!({"check_in": t}))
        }));
        cases.push(refuse(format!("shift jam_masuk {t:?}"), V.0, V.1, move |c, _| {
            c.post("/api/shifts").json(&json!({"nama": "Detik", "jam_masuk": t, "jam_pulang": "17:00"}))
        }));
        cases.push(refuse(format!("manual attendance check_in {t:?}"), V.0, V.1, move |c, _| {
            c.post("/api/attendance")
                .json(&json!({"employee_id": c.emp, "tanggal": "2026-01-06", "status": "HADIR", "check_in": t}))
        }));
    }
    // Unknown methods on known paths are JSON 404s too.
    for (m, path) in
        [("PATCH", "/api/employees"), ("DELETE", "/api/shifts"), ("PUT", "/api/leaves"), ("GET", "/api/kiosk/attend")]
    {
        cases.push(refuse(format!("{m} {path}"), 404, "NOT_FOUND", move |c, _| c.method(m, path)));
    }
    for (what, body) in [
        ("5000 nested arrays", format!("{}{}", "[".repeat(5000), "]".repeat(5000))),
        ("a lone surrogate", r#"{"kode":"HX-5","nama":"\ud800"}"#.to_string()),
        ("1e400", r#"{"kode":"HX-5","nama":"x","shift_id":1e400}"#.to_string()),
        ("aktif as text", r#"{"kode":"HX-5","nama":"x","aktif":"ya"}"#.to_string()),
    ] {
        cases.push(refuse(format!("employee JSON with {what}"), V.0, V.1, move |c, _| {
            c.post("/api/employees").header("content-type", "application/json").body(body.clone())
        }));
    }
    cases.push(refuse("repeated page parameter", V.0, V.1, |c, _| c.get("/api/employees?page=1&page=2")));
    cases.push(refuse("hard=yes", V.0, V.1, |c, _| c.method("DELETE", &format!("/api/employees/{}?hard=yes", c.emp))));
    // GPS numbers at the kiosk (checked before any frame is looked at).
    for (what, lat, lon, acc, status, code) in [
        ("latitude NaN", "NaN", "106.8166", "10", 422, "VALIDATION"),
        ("latitude inf", "inf", "106.8166", "10", 422, "VALIDATION"),
        ("latitude 1e309", "1e309", "106.8166", "10", 422, "VALIDATION"),
        ("longitude -181", "-6.2", "-181", "10", 422, "VALIDATION"),
        ("accuracy -1", "-6.2", "106.8166", "-1", 422, "VALIDATION"),
        ("latitude with SQL", "-6.2; DROP TABLE attendances", "106.8166", "10", 422, "VALIDATION"),
        ("latitude without longitude", "-6.2", "", "10", 422, "GPS_MISSING"),
        ("accuracy 1e308 m", "-6.2", "106.8166", "1e308", 422, "GPS_INACCURATE"),
    ] {
        cases.push(refuse(format!("kiosk attend {what}"), status, code, move |c, t| {
            let mut form = Form::new()
                .text("challenge", t.to_string())
                .text("latitude", lat)
                .text("longitude", lon)
                .text("accuracy", acc);
            for f in c.burst_with(&c.blank) {
                form = form.part("frame", file_part(f, "f.jpg"));
            }
            c.post("/api/kiosk/attend").multipart(form)
        }));
    }

    // Injection-looking strings where validation applies.
    for s in ["' OR 1=1 --", "\"; DROP TABLE employees; --", "<script>alert(1)</script>", "HX-1' --"] {
        cases.push(refuse(format!("employee kode {s:?}"), V.0, V.1, move |c, _| {
            c.post("/api/employees").json(&json!({"kode": s, "nama": "Nama Biasa"}))
        }));
        cases.push(refuse(format!("rename kode to {s:?}"), V.0, V.1, move |c, _| {
            c.put(&format!("/api/employees/{}", c.emp)).json(&json!({"kode": s, "nama": "Hana"}))
        }));
        for (what, base) in [
            ("attendance status", "/api/attendance?status="),
            ("leave status", "/api/leaves?status="),
            ("report status", "/api/reports/attendance?from=2026-11-01&to=2026-11-30&status="),
            ("report format", "/api/reports/attendance?from=2026-11-01&to=2026-11-30&format="),
        ] {
            let path = format!("{base}{}", urlencode(s));
            cases.push(refuse(format!("{what} {s:?}"), V.0, V.1, move |c, _| c.get(&path)));
        }
        cases.push(refuse(format!("correction status {s:?}"), V.0, V.1, move |c, _| {
            c.patch(&format!("/api/attendance/{}", c.att)).json(&json!({"status": s}))
        }));
        cases.push(refuse(format!("shift time {s:?}"), V.0, V.1, move |c, _| {
            c.post("/api/shifts").json(&json!({"nama": "Inj", "jam_masuk": s, "jam_pulang": "17:00"}))
        }));
        cases.push(refuse(format!("leave jenis {s:?}"), V.0, V.1, move |c, _| {
            let form = Form::new()
                .text("employee_id", c.emp.to_string())
                .text("jenis", s)
                .text("alasan", "x")
                .text("tanggal_mulai", c.free.to_string())
                .text("tanggal_selesai", c.free.to_string());
            c.post("/api/leaves").multipart(form)
        }));
    }
    for (i, s) in ["' OR 1=1 --", "admin'--", "\"; DROP TABLE users; --"].into_iter().enumerate() {
        cases.push(refuse(format!("login as {s:?}"), 401, "INVALID_CREDENTIALS", move |c, _| {
            c.plain.post(c.url("/api/auth/login")).json(&json!({"email": s, "password": format!("' OR '1'='1{i}")}))
        }));
    }
    cases.push(refuse("login with the owner email and an injected password", 401, "INVALID_CREDENTIALS", |c, _| {
        c.plain.post(c.url("/api/auth/login")).json(&json!({"email": OWNER_EMAIL, "password": "' OR 1=1 --"}))
    }));
    cases.push(refuse("employee search of 101 characters", V.0, V.1, |c, _| {
        c.get(&format!("/api/employees?q={}", "a".repeat(101)))
    }));
    cases.push(refuse("leave alasan with a NUL byte", V.0, V.1, |c, _| {
        let form = Form::new()
            .text("employee_id", c.emp.to_string())
            .text("jenis", "Izin")
            .text("alasan", "sakit\0; DROP TABLE leave_requests")
            .text("tanggal_mulai", c.free.to_string())
            .text("tanggal_selesai", c.free.to_string());
        c.post("/api/leaves").multipart(form)
    }));
    cases.push(refuse("employee nama with an escape sequence", V.0, V.1, |c, _| {
        c.post("/api/employees").json(&json!({"kode": "HX-3", "nama": "Budi\u{1b}[31m"}))
    }));
    cases.push(refuse("employee nama with a right-to-left override (shows reversed in reports)", V.0, V.1, |c, _| {
        c.post("/api/employees").json(&json!({"kode": "HX-4", "nama": "Budi \u{202E}onatnaS"}))
    }));
    cases.push(refuse("shift nama with a bidi isolate", V.0, V.1, |c, _| {
        c.post("/api/shifts").json(&json!({"nama": "\u{2067}Pagi", "jam_masuk": "08:00", "jam_pulang": "16:00"}))
    }));
    for s in ["' OR 1=1 --", "\"; DROP TABLE employees; --", "<script>alert(1)</script>", "%", "_", "\\"] {
        let path = format!("/api/employees?q={}", urlencode(s));
        cases.push(
            harmless(format!("employee search {s:?} (matches nothing)"), move |c, _| c.get(&path))
                .check(|b| (b["total"] == 0).then_some(()).ok_or_else(|| "the search matched something".to_string())),
        );
    }
    run(&ctx, cases).await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---- Tokens and challenges ----

/// URL-safe base64 without padding (JWT segments).
fn b64url(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

fn sign(alg: jsonwebtoken::Algorithm, key: &[u8], claims: &Value) -> String {
    jsonwebtoken::encode(&jsonwebtoken::Header::new(alg), claims, &jsonwebtoken::EncodingKey::from_secret(key)).unwrap()
}

/// `header.payload.` with `{"alg":"none"}`.
fn unsigned(claims: &Value) -> String {
    format!("{}.{}.", b64url(br#"{"alg":"none","typ":"JWT"}"#), b64url(claims.to_string().as_bytes()))
}

#[tokio::test]
async fn forged_tokens_and_challenges_are_refused() {
    let mut ctx = context().await;
    // A spent challenge first (its burst reached the face engine: 8 frames without a face).
    let spent = fresh_challenge(&ctx.app).await;
    let r = ctx
        .app
        .client
        .post(ctx.app.url("/api/kiosk/attend"))
        .multipart(bursts::form(&spent, Some(INSIDE), ctx.burst_with(&ctx.blank)))
        .send()
        .await
        .unwrap();
    assert_error(r, 422, "NO_FACE").await;
    ctx.spent = spent;
    let app = &ctx.app;
    let user = backend::services::users::find_by_email(&app.db, OWNER_EMAIL).await.unwrap().unwrap();
    let secret = app.config.jwt_secret.clone();
    let now = chrono::Utc::now().timestamp();
    let pwv = backend::auth::jwt::password_fingerprint(&user.password_hash);
    let claims = |extra: Value| {
        let mut c = json!({"sub": user.id.to_string(), "email": user.email, "iat": now, "exp": now + 3600, "pwv": pwv});
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };
    use jsonwebtoken::Algorithm::{HS256, HS384, HS512};
    let genuine = sign(HS256, secret.as_bytes(), &claims(json!({})));
    // The genuine token works (so every refusal below is about the forgery, not the setup).
    let r = ctx.plain.get(app.url("/api/auth/me")).bearer_auth(&genuine).send().await.unwrap();
    assert_eq!(r.status(), 200, "a correctly built token is accepted");
    let kiosk_token = fresh_challenge(app).await;
    let challenge_key_session = {
        // A session token signed with the kiosk challenge key (derived from the same secret).
        let key = challenge::hmac_sha256(secret.as_bytes(), b"absensi-wajah/kiosk-challenge/v1");
        sign(HS256, &key, &claims(json!({})))
    };
    let mut tampered = genuine.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let parts: Vec<&str> = genuine.split('.').collect();
    let other_user = b64url(claims(json!({"sub": "2"})).to_string().as_bytes());
    let forged_tokens: Vec<(&str, String)> = vec![
        ("alg=none", unsigned(&claims(json!({})))),
        ("alg=none with the genuine signature", format!("{}.{}.{}", b64url(br#"{"alg":"none"}"#), parts[1], parts[2])),
        ("HS512 with the right secret", sign(HS512, secret.as_bytes(), &claims(json!({})))),
        ("HS384 with the right secret", sign(HS384, secret.as_bytes(), &claims(json!({})))),
        ("wrong audience", sign(HS256, secret.as_bytes(), &claims(json!({"aud": "kiosk-challenge"})))),
        ("wrong secret", sign(HS256, b"another-secret-of-enough-length-123456", &claims(json!({})))),
        ("expired a second ago", sign(HS256, secret.as_bytes(), &claims(json!({"exp": now - 1})))),
        ("without exp", sign(HS256, secret.as_bytes(), &claims(json!({"exp": null})))),
        ("unknown user", sign(HS256, secret.as_bytes(), &claims(json!({"sub": "424242"})))),
        ("non-numeric sub", sign(HS256, secret.as_bytes(), &claims(json!({"sub": "1 OR 1=1"})))),
        ("stale password fingerprint", sign(HS256, secret.as_bytes(), &claims(json!({"pwv": "0000000000000000"})))),
        ("tampered signature", tampered),
        ("payload swapped, signature kept", format!("{}.{}.{}", parts[0], other_user, parts[2])),
        ("signature stripped", format!("{}.{}.", parts[0], parts[1])),
        ("truncated", genuine[..genuine.len() - 10].to_string()),
        ("garbage", "a.b.c".into()),
        ("a kiosk challenge token", kiosk_token),
        ("signed with the challenge key", challenge_key_session),
    ];
    let mut cases = Vec::new();
    for (what, token) in forged_tokens {
        let t = token.clone();
        cases.push(refuse(format!("GET /api/auth/me, bearer {what}"), 401, "UNAUTHORIZED", move |c, _| {
            c.plain.get(c.url("/api/auth/me")).bearer_auth(&t)
        }));
        let t = token.clone();
        cases.push(refuse(format!("POST /api/employees, bearer {what}"), 401, "UNAUTHORIZED", move |c, _| {
            c.plain.post(c.url("/api/employees")).bearer_auth(&t).json(&json!({"kode": "HX-T", "nama": "Tamu"}))
        }));
        let t = token.clone();
        cases.push(refuse(format!("DELETE /api/employees/{{id}}, cookie {what}"), 401, "UNAUTHORIZED", move |c, _| {
            c.plain
                .delete(c.url(&format!("/api/employees/{}?hard=true", c.emp)))
                .header("cookie", format!("{}={t}", backend::auth::COOKIE_NAME))
        }));
        let t = token.clone();
        cases.push(refuse(
            format!("POST /api/leaves/{{id}}/approve, bearer {what}"),
            401,
            "UNAUTHORIZED",
            move |c, _| c.plain.post(c.url(&format!("/api/leaves/{}/approve", c.leave))).bearer_auth(&t),
        ));
    }
    for (what, header) in [
        ("empty bearer", "Bearer "),
        ("Basic credentials", "Basic b3duZXJAY29udG9oLmNvLmlkOnJhaGFzaWEtc2VrYWxpLTEyMw=="),
        ("bearer without a space", "Bearereyx"),
        ("two tokens", "Bearer a.b.c d.e.f"),
    ] {
        cases.push(refuse(format!("Authorization: {what}"), 401, "UNAUTHORIZED", move |c, _| {
            c.plain.get(c.url("/api/auth/me")).header("authorization", header)
        }));
    }
    // A valid session cookie does not rescue a forged bearer header (the header decides).
    cases.push(refuse("valid cookie plus a forged bearer", 401, "UNAUTHORIZED", |c, _| {
        c.get("/api/auth/me").bearer_auth("a.b.c")
    }));

    // Kiosk challenges: replayed (`ctx.spent`), expired, tampered, forged.
    let key = challenge::ChallengeKey::derive(&secret);
    let nonce = || hex::encode(rand_bytes());
    let steps = vec![Step::Blink, Step::TurnLeft];
    let (expired, _) = challenge::issue(&key, steps.clone(), nonce(), now - 120, 20);
    let (expired_just, _) = challenge::issue(&key, steps.clone(), nonce(), now - 20, 20);
    let (no_steps, _) = challenge::issue(&key, vec![], nonce(), now, 20);
    let (short_nonce, _) = challenge::issue(&key, steps.clone(), "abc".into(), now, 20);
    let (a, _) = challenge::issue(&key, steps.clone(), nonce(), now, 20);
    let (b, _) = challenge::issue(&key, vec![Step::TurnRight, Step::Blink], nonce(), now, 20);
    let (pa, pb): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    let swapped = format!("{}.{}.{}", pa[0], pb[1], pa[2]);
    let payload_a = String::from_utf8(base64_decode_url(pa[1])).unwrap();
    let none = format!("{}.{}.", b64url(br#"{"alg":"none","typ":"JWT"}"#), b64url(payload_a.as_bytes()));
    let session_as_challenge = sign(HS256, secret.as_bytes(), &serde_json::from_str::<Value>(&payload_a).unwrap());
    let challenge_cases: Vec<(&str, Option<String>, u16, &'static str)> = vec![
        ("replayed (already analysed)", None, 409, "CHALLENGE_REUSED"),
        ("expired two minutes ago", Some(expired), 422, "CHALLENGE_EXPIRED"),
        ("expired this second", Some(expired_just), 422, "CHALLENGE_EXPIRED"),
        ("signed, without steps", Some(no_steps), 400, "CHALLENGE_INVALID"),
        ("signed, with a short nonce", Some(short_nonce), 400, "CHALLENGE_INVALID"),
        ("steps swapped under the signature", Some(swapped), 400, "CHALLENGE_INVALID"),
        ("alg=none", Some(none), 400, "CHALLENGE_INVALID"),
        ("signed with the session secret", Some(session_as_challenge), 400, "CHALLENGE_INVALID"),
        ("truncated", Some(a[..a.len() - 3].to_string()), 400, "CHALLENGE_INVALID"),
        ("3000 characters", Some(format!("{}.{}.{}", pa[0], "A".repeat(3000), pa[2])), 400, "CHALLENGE_INVALID"),
        ("missing", Some(String::new()), 400, "CHALLENGE_INVALID"),
    ];
    for (what, token, status, code) in challenge_cases {
        let t = token.clone();
        cases.push(refuse(format!("kiosk attend, challenge {what}"), status, code, move |c, _| {
            let t = t.clone().unwrap_or_else(|| c.spent.clone());
            let form = if t.is_empty() {
                let mut f =
                    Form::new().text("latitude", "-6.2001").text("longitude", "106.8166").text("accuracy", "10");
                for fr in c.burst_with(&c.blank) {
                    f = f.part("frame", file_part(fr, "f.jpg"));
                }
                f
            } else {
                bursts::form(&t, Some(INSIDE), c.burst_with(&c.blank))
            };
            c.post("/api/kiosk/attend").multipart(form)
        }));
        let t = token.clone();
        cases.push(refuse(format!("kiosk leave, challenge {what}"), status, code, move |c, _| {
            let t = t.clone().unwrap_or_else(|| c.spent.clone());
            c.post("/api/kiosk/leave").multipart(c.kiosk_leave_form(&t, c.burst_with(&c.blank)))
        }));
    }
    run(&ctx, cases).await;
}

fn rand_bytes() -> [u8; 16] {
    *uuid::Uuid::new_v4().as_bytes()
}

fn base64_decode_url(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("not base64url: {c}"),
        }
    };
    let mut out = Vec::new();
    for chunk in s.as_bytes().chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &c)| acc | val(c) << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

// ---- Valid data that looks hostile ----

const INJECTIONS: [&str; 7] = [
    "' OR 1=1 --",
    "\"; DROP TABLE employees; --",
    "<script>alert(1)</script>",
    "Robert'); DROP TABLE leave_requests;--",
    "%' OR '1'='1",
    "\\'; SELECT * FROM users; --",
    "<img src=x onerror=alert('xss')>",
];

#[tokio::test]
async fn injection_looking_names_and_reasons_are_plain_data_stored_verbatim() {
    let app = spawn_app().await;
    app.login().await;
    let mon = next_monday();
    let mut created = Vec::new();
    for (i, s) in INJECTIONS.iter().enumerate() {
        let e = app.create_employee(&format!("INJ-{i}"), s, None).await;
        assert_eq!(e["nama"], *s, "nama round-trips");
        let shift = app.create_shift(&format!("{s} #{i}"), "08:00", "17:00", 5).await;
        assert_eq!(shift["nama"], format!("{s} #{i}"));
        let r = crate::leaves::post_leave(&app, &e["id"], "Izin", s, mon, mon, None).await;
        assert_eq!(r.status(), 201, "leave with alasan {s:?}");
        let l: Value = r.json().await.unwrap();
        assert_eq!((l["keterangan"].as_str(), l["alasan"].as_str()), (Some(*s), Some(format!("Izin: {s}").as_str())));
        created.push((e["id"].as_i64().unwrap(), shift["id"].as_i64().unwrap(), l["id"].as_i64().unwrap()));
    }
    // Read back through the API and straight from the database: byte for byte what was sent.
    let snap = db_snapshot(&app.db).await;
    for (i, s) in INJECTIONS.iter().enumerate() {
        let (eid, sid, lid) = created[i];
        let got: Value = app.get(&format!("/api/employees/{eid}")).await.json().await.unwrap();
        assert_eq!(got["nama"], *s);
        assert_eq!(snap.employees.iter().find(|e| e.id as i64 == eid).unwrap().nama, *s);
        assert_eq!(snap.shift_settings.iter().find(|x| x.id as i64 == sid).unwrap().nama, format!("{s} #{i}"));
        assert_eq!(snap.leave_requests.iter().find(|x| x.id as i64 == lid).unwrap().alasan, format!("Izin: {s}"));
        // Searching for the string finds exactly the rows that contain it, literally.
        let p: Value = app.get(&format!("/api/employees?q={}", urlencode(s))).await.json().await.unwrap();
        let items = p["items"].as_array().unwrap();
        assert!(items.iter().any(|x| x["id"] == eid), "search {s:?} finds its employee: {p}");
        for x in items {
            let hay = format!("{} {} {}", x["kode"], x["nama"].as_str().unwrap(), x["email"]).to_lowercase();
            assert!(hay.contains(&s.to_lowercase()), "search {s:?} returned a non-matching row {x}");
        }
    }
    // Every table still exists and holds what it should.
    let counts = snap.counts();
    assert_eq!(counts.map(|(_, n)| n), [1, INJECTIONS.len(), INJECTIONS.len(), 0, 0, INJECTIONS.len()], "{counts:?}");
    let list: Value = app.get("/api/employees?per_page=200").await.json().await.unwrap();
    assert_eq!(list["total"], INJECTIONS.len());

    // `_` and `%` are plain characters in kode too: a kode differing only in case is a duplicate.
    app.create_employee("AB_1", "Satu", None).await;
    let before = db_snapshot(&app.db).await;
    for kode in ["ab_1", "AB_1"] {
        let r = app.post_json("/api/employees", &json!({"kode": kode, "nama": "Dua"})).await;
        assert_error(r, 409, "DUPLICATE_KODE").await;
    }
    // ... and `_` is no wildcard: a different kode of the same shape is not.
    assert!(before.diff(&db_snapshot(&app.db).await).is_empty());
    app.create_employee("ABX1", "Tiga", None).await;
    let p: Value = app.get("/api/employees?q=b_1").await.json().await.unwrap();
    assert_eq!(p["total"], 1, "only AB_1 contains `b_1`: {p}");
}

// ---- Upload file names ----

#[tokio::test]
async fn upload_file_names_never_choose_where_a_file_is_stored() {
    let ctx = context().await;
    let app = &ctx.app;
    let upload_dir = app.config.upload_dir.clone();
    let outside: Vec<PathBuf> = ["/tmp/absensi-evil.jpg", "/tmp/x.jpg", "/etc/absensi-passwd"]
        .iter()
        .map(PathBuf::from)
        .chain([app._tmp.0.join("x.jpg"), app._tmp.0.join("passwd"), upload_dir.join("x.jpg")])
        .collect();
    let existed: Vec<bool> = outside.iter().map(|p| p.exists()).collect();
    let passwd = std::fs::metadata("/etc/passwd").ok().map(|m| (m.len(), m.modified().ok()));
    let names = [
        "../../etc/passwd",
        "..\\..\\x.jpg",
        "/etc/passwd",
        "/tmp/absensi-evil.jpg",
        "C:\\Windows\\System32\\x.jpg",
        "....//....//x.jpg",
        "..%2F..%2Fx.jpg",
        "",
        ".htaccess",
        "x.jpg;.php",
        &"../".repeat(200),
        "foto profil (1).jpeg",
    ];
    let photo = png_of(&gradient(200, 150));
    // A NUL byte in a part header is malformed multipart: refused as such, with nothing stored.
    for name in ["x.jpg\0.php", "\0", "../\0/etc/passwd"] {
        let before = db_snapshot(&app.db).await;
        let files = files_under(&upload_dir);
        let form = Form::new().percent_encode_noop().part("photo", file_part(photo.clone(), name));
        let r = ctx.post(&format!("/api/employees/{}/photo", ctx.emp)).multipart(form).send().await.unwrap();
        assert_error(r, 400, "BAD_MULTIPART").await;
        let form = ctx.leave_form().percent_encode_noop().part("bukti", file_part(photo.clone(), name));
        assert_error(ctx.post("/api/leaves").multipart(form).send().await.unwrap(), 400, "BAD_MULTIPART").await;
        assert!(before.diff(&db_snapshot(&app.db).await).is_empty(), "{name:?} changed the database");
        assert_eq!(files_under(&upload_dir), files, "{name:?} stored a file");
    }
    for (i, name) in names.iter().enumerate() {
        let before = db_snapshot(&app.db).await;
        // Raw names, not percent-encoded by the client.
        let form = Form::new().percent_encode_noop().part("photo", file_part(photo.clone(), name));
        let r = ctx.post(&format!("/api/employees/{}/photo", ctx.emp)).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 200, "profile photo named {name:?}: {}", r.text().await.unwrap());
        let after = db_snapshot(&app.db).await;
        let emp = after.employees.iter().find(|e| e.id as i64 == ctx.emp).unwrap();
        let stored = emp.foto_profil.clone().expect("a stored photo");
        assert!(backend::uploads::is_valid_stored_name(&stored) && stored.starts_with("profiles/"), "{stored}");
        let prev = before.employees.iter().find(|e| e.id as i64 == ctx.emp).unwrap().foto_profil.clone();
        assert_ne!(Some(&stored), prev.as_ref(), "a new random name each time");
        let files = files_under(&upload_dir.join("profiles"));
        let file = stored.strip_prefix("profiles/").unwrap();
        assert_eq!(files.keys().collect::<Vec<_>>(), vec![&PathBuf::from(file)], "only the current photo");
        assert!(image::guess_format(&files[&PathBuf::from(file)]).is_ok_and(|f| f == image::ImageFormat::Jpeg));

        // The same name on a leave proof (a new week each time: no overlap).
        let week = ctx.free + Duration::days(7 * i as i64);
        let form = Form::new()
            .percent_encode_noop()
            .text("employee_id", ctx.emp.to_string())
            .text("jenis", "Izin")
            .text("alasan", format!("bukti {i}"))
            .text("tanggal_mulai", week.to_string())
            .text("tanggal_selesai", week.to_string())
            .part("bukti", file_part(photo.clone(), name));
        let r = ctx.post("/api/leaves").multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 201, "leave proof named {name:?}");
        let l: Value = r.json().await.unwrap();
        let snap = db_snapshot(&app.db).await;
        let row = snap.leave_requests.iter().find(|x| l["id"] == x.id).unwrap();
        let b = row.bukti_foto.clone().expect("a stored proof");
        assert!(backend::uploads::is_valid_stored_name(&b) && b.starts_with("leaves/"), "{b}");
        assert!(upload_dir.join(&b).is_file());
    }
    // Every stored file is one the database names; nothing was written anywhere else.
    let snap = db_snapshot(&app.db).await;
    let referenced = snap.referenced_uploads();
    let stored: BTreeSet<PathBuf> = files_under(&upload_dir).into_keys().collect();
    assert_eq!(stored, referenced);
    assert_eq!(stored.len(), 1 + names.len());
    assert_eq!(top_level(app), BTreeSet::from(["uploads".to_string()]), "next to the database");
    for (p, e) in outside.iter().zip(existed) {
        assert_eq!(p.exists(), e, "{} must not have been written", p.display());
    }
    assert_eq!(
        std::fs::metadata("/etc/passwd").ok().map(|m| (m.len(), m.modified().ok())),
        passwd,
        "/etc/passwd untouched"
    );
}
