//! UU PDP (Law 27/2022 on personal data protection) and DESIGN.md §5: camera frames are biometric data that
//! live only in memory during a request. This test drives every flow that receives camera frames (face
//! registration with real frames, a genuine kiosk burst, a failed kiosk burst, a kiosk leave request) and,
//! for contrast, the two explicit uploads that *are* stored (profile photo, leave proof), then searches
//! everything the server could have written for the frames: the upload directory (and every other file
//! the server wrote), every text/JSON column of the six tables, and the server's own log output.
//!
//! The logs are those of the real binary: the test runs `backend serve` as a child process (the binary
//! cargo builds for integration tests) with `LOG_FORMAT=json` and a `debug` filter, and captures its
//! stdout and stderr byte for byte. An in-process subscriber would be unreliable here: the tracing
//! subscriber is process-global, the other API tests of this binary log into the same process in
//! parallel, and actix runs handlers on its own worker threads, so a thread-local subscriber would miss
//! them. The child process is isolated, runs `telemetry::init` exactly as production does, and its output
//! is complete once it has shut down (SIGTERM, graceful stop).
//!
//! Needs the real face photos of `../shared/data/faces`; skipped with a message when absent.
use std::collections::{BTreeSet, HashSet};
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::multipart::{Form, Part};
use reqwest::Client;
use serde_json::{json, Value};

use crate::bursts::{self, faces_dir, Subject, BUDI, INSIDE, SITI};
use crate::helpers::*;

const WRONG_PASSWORD: &str = "tebakan-salah-Privasi-91";
const LOG_FILTER: &str = "debug,tract=warn,tract_core=warn,tract_onnx=warn,tract_hir=warn,tract_linalg=warn,\
tract_nnef=warn,tract_data=warn";

/// The real server binary, running in its own temp directory; killed (if still running) and the directory
/// removed on drop.
struct Server {
    child: Child,
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
    base: String,
    dir: PathBuf,
    database_url: String,
    upload_dir: PathBuf,
    jwt_secret: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn capture(mut pipe: impl Read + Send + 'static, buf: Arc<Mutex<Vec<u8>>>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut chunk) {
            if n == 0 {
                break;
            }
            buf.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    })
}

impl Server {
    fn start() -> Server {
        let dir = std::env::temp_dir().join(format!("absensi-privacy-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let database_url = match test_db_kind().as_str() {
            "mysql" => format!("{}/{}", mysql_server_url(), fresh_mysql_db_name()),
            _ => format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
        };
        let upload_dir = dir.join("uploads");
        let jwt_secret = format!("privacy-secret-{}", uuid::Uuid::new_v4().simple());
        let mut child = Command::new(env!("CARGO_BIN_EXE_backend"))
            .arg("serve")
            .current_dir(&dir)
            .env_clear()
            .env("APP_ENV", "test")
            .env("DATABASE_URL", &database_url)
            .env("BIND_ADDR", "127.0.0.1:0")
            .env("JWT_SECRET", &jwt_secret)
            .env("UPLOAD_DIR", &upload_dir)
            .env("STATIC_DIR", dir.join("dist"))
            .env("FACE_MODELS_DIR", workspace_root().join("face-models"))
            .env("DAILY_CLOSE_ENABLED", "false")
            .env("OWNER_EMAIL", OWNER_EMAIL)
            .env("OWNER_PASSWORD", OWNER_PASSWORD)
            .env("LIVENESS_FIXED_CHALLENGE", "BLINK,TURN_LEFT")
            .env("KIOSK_RATE_PER_MINUTE", "1000")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", LOG_FILTER)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the backend binary");
        let (out, err) = (Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(Vec::new())));
        let readers = vec![
            capture(child.stdout.take().unwrap(), out.clone()),
            capture(child.stderr.take().unwrap(), err.clone()),
        ];
        let mut server =
            Server { child, out, err, readers, base: String::new(), dir, database_url, upload_dir, jwt_secret };
        // The port is in the "listening on http://127.0.0.1:PORT" event.
        let started = Instant::now();
        loop {
            let text = String::from_utf8_lossy(&server.out.lock().unwrap()).into_owned();
            if let Some(i) = text.find("listening on http://127.0.0.1:") {
                let rest = &text[i + "listening on http://127.0.0.1:".len()..];
                let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
                server.base = format!("http://127.0.0.1:{port}");
                break;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "the server exited ({status}): {text}\n{}",
                    String::from_utf8_lossy(&server.err.lock().unwrap())
                );
            }
            assert!(started.elapsed() < Duration::from_secs(180), "the server did not start: {text}");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn url(&self, p: &str) -> String {
        format!("{}{}", self.base, p)
    }

    /// Graceful stop (SIGTERM, as a service manager does); returns everything the process wrote.
    fn stop(&mut self) -> (Vec<u8>, Vec<u8>) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let started = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(30) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        for r in self.readers.drain(..) {
            r.join().unwrap();
        }
        (self.out.lock().unwrap().clone(), self.err.lock().unwrap().clone())
    }
}

// ---- What to look for ----

/// Standard base64 (with padding), as an image would be embedded in JSON or a log line.
fn base64(data: &[u8]) -> String {
    use ::base64::Engine;
    ::base64::engine::general_purpose::STANDARD.encode(data)
}

const WINDOW: usize = 32;

/// Up to 8 offsets of high-entropy windows inside a JPEG's entropy-coded data (after the SOS header):
/// headers (quantisation and Huffman tables) are shared by every JPEG of the same encoder, and flat image
/// areas encode to the same repetitive bytes in any image, so neither identifies a frame.
fn sample_offsets(f: &[u8]) -> Vec<usize> {
    let start = f
        .windows(2)
        .position(|m| m == [0xFF, 0xDA])
        .map(|i| i + 2 + u16::from_be_bytes([f[i + 2], f[i + 3]]) as usize)
        .unwrap_or(0);
    let end = f.len().saturating_sub(2 + WINDOW);
    let mut out = Vec::new();
    let mut at = start;
    let step = ((end.saturating_sub(start)) / 64).max(1);
    while at < end && out.len() < 8 {
        let distinct: HashSet<u8> = f[at..at + WINDOW].iter().copied().collect();
        if distinct.len() >= 24 {
            out.push(at);
            at += (end - start) / 8;
        } else {
            at += step;
        }
    }
    out
}

/// Fingerprints of the camera frames that were sent: 32-byte windows from the entropy-coded part of
/// every distinct frame (no two images share those), plus their base64 (each alignment) and hex forms.
struct Frames {
    frames: Vec<Vec<u8>>,
    windows: HashSet<Vec<u8>>,
    texts: Vec<String>,
}

impl Frames {
    fn new(all: &[Vec<u8>]) -> Frames {
        let mut seen = HashSet::new();
        let frames: Vec<Vec<u8>> = all.iter().filter(|f| seen.insert((*f).clone())).cloned().collect();
        let mut windows = HashSet::new();
        let mut texts = Vec::new();
        for f in &frames {
            for at in sample_offsets(f) {
                windows.insert(f[at..at + WINDOW].to_vec());
                for shift in 0..3 {
                    let b = base64(&f[at + shift..at + shift + 24]);
                    texts.push(b[4..28].to_string());
                }
                texts.push(hex::encode(&f[at..at + 16]));
            }
        }
        Frames { frames, windows, texts }
    }

    /// True when `hay` contains one of the frames' windows.
    fn found_in(&self, hay: &[u8]) -> bool {
        hay.len() >= WINDOW && hay.windows(WINDOW).any(|w| self.windows.contains(w))
    }

    /// The text form (base64 or hex) of a frame that `text` contains, if any.
    fn text_in<'a>(&'a self, text: &str) -> Option<&'a str> {
        self.texts.iter().find(|t| text.contains(t.as_str())).map(String::as_str)
    }
}

/// Image data in text form: magic numbers, their base64 prefixes, data URLs.
const IMAGE_MARKERS: [&str; 8] =
    ["/9j/", "iVBORw0KGgo", "data:image", "JFIF", "Exif\0", "\u{FFFD}", "\\ufffd", "PNG\r\n"];

/// The longest run of base64/base64url characters (an embedded blob or token is a long one).
fn longest_base64_run(s: &str) -> usize {
    let mut best = 0;
    let mut run = 0;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || "+/=_-".contains(c) {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// A scalar, a short string, or (down to `depth` levels) an object of such.
fn small_metadata(v: &Value, depth: u32) -> bool {
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => true,
        Value::String(s) => s.len() <= 191,
        Value::Object(m) => {
            depth > 0 && m.len() <= 16 && m.iter().all(|(k, v)| k.len() <= 32 && small_metadata(v, depth - 1))
        }
        Value::Array(_) => false,
    }
}

fn multipart_frames(field: &str, frames: &[Vec<u8>]) -> Form {
    let mut form = Form::new();
    for (i, f) in frames.iter().enumerate() {
        form = form.part(field.to_string(), Part::bytes(f.clone()).file_name(format!("frame-{i:02}.jpg")));
    }
    form
}

async fn challenge(client: &Client, s: &Server, tokens: &mut Vec<String>) -> String {
    let r = client.post(s.url("/api/kiosk/challenge")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["steps"], json!(["BLINK", "TURN_LEFT"]), "the fixed test challenge");
    let t = v["token"].as_str().unwrap().to_string();
    tokens.push(t.clone());
    t
}

async fn status_of(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn no_camera_frame_is_stored_on_disk_in_the_database_or_in_the_logs() {
    let Some(dir) = faces_dir() else { return };
    let started = Instant::now();
    let mut server = Server::start();
    let s = &server;
    let client = Client::builder().cookie_store(true).timeout(Duration::from_secs(120)).build().unwrap();
    let mut sent_frames: Vec<Vec<u8>> = Vec::new();
    let mut secrets: Vec<String> = vec![OWNER_PASSWORD.into(), WRONG_PASSWORD.into(), s.jwt_secret.clone()];
    let mut tokens = Vec::new();

    // Owner session (a failed attempt first: no password may reach the logs, right or wrong).
    let r = client.post(s.url("/api/auth/login")).json(&json!({"email": OWNER_EMAIL, "password": WRONG_PASSWORD}));
    assert_error(r.send().await.unwrap(), 401, "INVALID_CREDENTIALS").await;
    let r = client.post(s.url("/api/auth/login")).json(&json!({"email": OWNER_EMAIL, "password": OWNER_PASSWORD}));
    let login: Value = r.send().await.unwrap().json().await.unwrap();
    let session = login["token"].as_str().expect("a session token").to_string();
    secrets.push(session.clone());
    let shift = client
        .post(s.url("/api/shifts"))
        .json(&json!({"nama": "Pagi", "jam_masuk": "08:00", "jam_pulang": "17:00", "toleransi_menit": 5}))
        .send()
        .await
        .unwrap();
    let shift_id = shift.json::<Value>().await.unwrap()["id"].as_i64();
    let mut ids = Vec::new();
    for (kode, nama) in [("K001", "Budi"), ("K002", "Siti")] {
        let r = client
            .post(s.url("/api/employees"))
            .json(&json!({"kode": kode, "nama": nama, "shift_id": shift_id}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        ids.push(r.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    let (budi_id, siti_id) = (ids[0], ids[1]);
    let budi = Subject::yale(&dir, BUDI);
    let siti = Subject::yale(&dir, SITI);

    // 1. Face registration: refused without the owner's consent confirmation (nothing analysed, nothing
    //    stored), then real frames for both employees.
    let frames = budi.registration();
    sent_frames.extend(frames.iter().cloned());
    let r = client
        .post(s.url(&format!("/api/employees/{budi_id}/face")))
        .multipart(multipart_frames("frame", &frames))
        .send()
        .await
        .unwrap();
    let body = assert_error(r, 422, "CONSENT_REQUIRED").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("persetujuan"), "{body}");
    let st: Value =
        client.get(s.url(&format!("/api/employees/{budi_id}/face"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(st["registered"], false, "nothing registered without consent");
    // A refused registration (too few usable frames: eyes closed, no face) keeps nothing either.
    let blank = bursts::jpeg(&image::RgbImage::from_pixel(320, 240, image::Rgb([90, 90, 90])));
    let frames = vec![bursts::jpeg(&budi.closed), blank.clone(), blank];
    sent_frames.extend(frames.iter().cloned());
    let form = multipart_frames("frame", &frames).text("consent", "true");
    let r = client.post(s.url(&format!("/api/employees/{budi_id}/face"))).multipart(form).send().await.unwrap();
    let body = assert_error(r, 422, "FACE_QUALITY").await;
    assert_eq!(body["error"]["frames"].as_array().map(Vec::len), Some(3), "{body}");
    for (id, who) in [(budi_id, &budi), (siti_id, &siti)] {
        let frames = who.registration();
        assert!(frames.len() >= 3);
        sent_frames.extend(frames.iter().cloned());
        let form = multipart_frames("frame", &frames).text("consent", "true");
        let r = client.post(s.url(&format!("/api/employees/{id}/face"))).multipart(form).send().await.unwrap();
        let (status, body) = status_of(r).await;
        assert_eq!(status, 201, "registration: {body}");
    }

    // 2. A genuine kiosk burst (check-in) with its frames sent ahead as the kiosk page does, and a failed
    //    one (a still photo: liveness fails, DITOLAK row).
    let token = challenge(&client, s, &mut tokens).await;
    let burst = bursts::distinct(budi.burst(&["BLINK", "TURN_LEFT"]));
    sent_frames.extend(burst.iter().cloned());
    for f in &burst {
        let part = reqwest::multipart::Part::bytes(f.clone()).file_name("frame.jpg");
        let form = reqwest::multipart::Form::new().text("challenge", token.clone()).part("frame", part);
        let r = client.post(s.url("/api/kiosk/frame")).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 200, "frame sent ahead");
    }
    let r = client.post(s.url("/api/kiosk/attend")).multipart(bursts::form(&token, Some(INSIDE), burst)).send().await;
    let (status, body) = status_of(r.unwrap()).await;
    assert_eq!((status, body["action"].as_str()), (200, Some("CHECK_IN")), "{body}");
    let token = challenge(&client, s, &mut tokens).await;
    let still = siti.still(12);
    sent_frames.extend(still.iter().cloned());
    let r = client.post(s.url("/api/kiosk/attend")).multipart(bursts::form(&token, Some(INSIDE), still)).send().await;
    assert_error(r.unwrap(), 422, "LIVENESS_FAILED").await;

    // 3. The employee's own leave request at the kiosk (frames verify who asks; nothing of them is kept).
    let token = challenge(&client, s, &mut tokens).await;
    let burst = siti.burst(&["BLINK", "TURN_LEFT"]);
    sent_frames.extend(burst.iter().cloned());
    let today = crate::leaves::today();
    let form = bursts::form(&token, None, burst)
        .text("jenis", "Sakit")
        .text("alasan", "demam")
        .text("tanggal_mulai", today.to_string())
        .text("tanggal_selesai", today.to_string());
    let (status, kiosk_leave) =
        status_of(client.post(s.url("/api/kiosk/leave")).multipart(form).send().await.unwrap()).await;
    assert_eq!(status, 201, "kiosk leave: {kiosk_leave}");
    assert!(kiosk_leave["bukti_url"].is_null());

    // 4. For contrast, the explicit uploads, which are stored (re-encoded, under random names).
    let profile = std::fs::read(dir.join("liveness/images/yale_subject06/subject06_normal.png")).unwrap();
    let form = Form::new().part("photo", Part::bytes(profile.clone()).file_name("budi.png"));
    let r = client.post(s.url(&format!("/api/employees/{budi_id}/photo"))).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 200, "profile photo");
    let proof = {
        let img = image::RgbImage::from_fn(900, 600, |x, y| image::Rgb([250, (x % 200) as u8 + 40, (y % 180) as u8]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    };
    let monday = crate::leaves::next_monday();
    let form = Form::new()
        .text("employee_id", budi_id.to_string())
        .text("jenis", "Sakit")
        .text("alasan", "surat dokter terlampir")
        .text("tanggal_mulai", monday.to_string())
        .text("tanggal_selesai", monday.to_string())
        .part("bukti", Part::bytes(proof.clone()).file_name("surat.png"));
    let (status, owner_leave) =
        status_of(client.post(s.url("/api/leaves")).multipart(form).send().await.unwrap()).await;
    assert_eq!(status, 201, "owner leave: {owner_leave}");
    assert!(owner_leave["bukti_url"].is_string());

    // Stop the server: its log output is complete.
    drop(client);
    let (stdout, stderr) = server.stop();
    let s = &server;
    let frames = Frames::new(&sent_frames);
    assert!(frames.frames.len() >= 10, "distinct camera frames sent: {}", frames.frames.len());
    assert!(frames.windows.len() >= 4 * 10, "sampled windows of the real frames: {}", frames.windows.len());
    secrets.extend(tokens.iter().cloned());

    // ---- (b) The database: only 128-D encodings, no image data anywhere. ----
    let db = sea_orm::Database::connect(&s.database_url).await.expect("connect to the server's database");
    let snap = db_snapshot(&db).await;
    assert_eq!(snap.face_encodings.len(), 2, "one encoding per registered employee");
    assert_eq!(snap.attendances.len(), 2, "Budi's check-in and Siti's DITOLAK row");
    assert_eq!(snap.leave_requests.len(), 2);
    let mut texts: Vec<(String, String)> = Vec::new();
    for u in &snap.users {
        texts.push(("users.email".into(), u.email.clone()));
        texts.push(("users.password_hash".into(), u.password_hash.clone()));
    }
    for x in &snap.shift_settings {
        texts.push(("shift_settings.nama".into(), x.nama.clone()));
    }
    for e in &snap.employees {
        texts.push(("employees.kode".into(), e.kode.clone()));
        texts.push(("employees.nama".into(), e.nama.clone()));
        texts.extend(e.email.clone().map(|v| ("employees.email".into(), v)));
        texts.extend(e.foto_profil.clone().map(|v| ("employees.foto_profil".into(), v)));
    }
    for l in &snap.leave_requests {
        texts.push(("leave_requests.alasan".into(), l.alasan.clone()));
        texts.extend(l.bukti_foto.clone().map(|v| ("leave_requests.bukti_foto".into(), v)));
    }
    for (col, v) in &texts {
        assert!(v.chars().count() <= 255, "{col} holds {} characters", v.chars().count());
        assert!(longest_base64_run(v) < 100, "{col} holds a base64-like blob: {v}");
        assert!(!v.chars().any(char::is_control), "{col} holds control characters");
    }
    for f in &snap.face_encodings {
        let json = f.encoding.to_string();
        texts.push(("face_encodings.encoding".into(), json.clone()));
        let obj = f.encoding.as_object().expect("the encoding is a JSON object");
        let model = obj["model"].as_str().expect("model id");
        assert!(!model.is_empty() && model.len() <= 64, "{model}");
        let vector: Vec<f64> =
            obj["vector"].as_array().expect("vector").iter().map(|x| x.as_f64().expect("a number")).collect();
        assert_eq!(vector.len(), 128, "128-D");
        assert!(vector.iter().all(|x| x.is_finite() && x.abs() <= 1.0));
        let norm = vector.iter().map(|x| x * x).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-3, "L2-normalised centroid, norm {norm}");
        // Other members (e.g. the consent record) are small metadata: scalars, short strings, small objects.
        for (k, v) in obj.iter().filter(|(k, _)| *k != "vector") {
            assert!(k.len() <= 32 && small_metadata(v, 2), "unexpected member {k} = {v}");
        }
        // 128 floats need at most ~25 characters each.
        assert!(json.len() <= 128 * 25 + 256, "encoding JSON of {} bytes", json.len());
        assert!(longest_base64_run(&json) < 64, "no blob in the encoding");
    }
    for (col, v) in &texts {
        for m in IMAGE_MARKERS {
            assert!(!v.contains(m), "{col} holds {m:?}");
        }
        assert_eq!(frames.text_in(v), None, "{col} holds a camera frame in text form");
        assert!(!frames.found_in(v.as_bytes()), "{col} holds camera frame bytes");
    }
    let kiosk_row = snap.leave_requests.iter().find(|l| kiosk_leave["id"] == l.id).unwrap();
    assert_eq!(kiosk_row.bukti_foto, None, "a kiosk leave keeps no picture");

    // ---- (a) Files: only the explicit uploads the database names, none of them a camera frame. ----
    let referenced = snap.referenced_uploads();
    assert_eq!(referenced.len(), 2, "the profile photo and the owner's leave proof");
    let uploads = files_under(&s.upload_dir);
    assert_eq!(uploads.keys().cloned().collect::<BTreeSet<_>>(), referenced, "every stored file is referenced");
    for (name, bytes) in &uploads {
        assert!(backend::uploads::is_valid_stored_name(&name.to_string_lossy()), "{}", name.display());
        assert_eq!(image::guess_format(bytes).ok(), Some(image::ImageFormat::Jpeg), "re-encoded: {}", name.display());
        assert!(bytes != &profile && bytes != &proof, "stored re-encoded, not as sent");
        assert!(!frames.frames.iter().any(|f| f == bytes), "{} is a camera frame", name.display());
        assert!(!frames.found_in(bytes), "{} contains camera frame bytes", name.display());
    }
    // Nothing else was written by the server: in its working directory only the database and uploads.
    let everything = files_under(&s.dir);
    for (path, bytes) in &everything {
        let p = path.to_string_lossy();
        assert!(
            p.starts_with("uploads/")
                || p == "test.db"
                || p == "test.db-wal"
                || p == "test.db-shm"
                || p == "test.db-journal",
            "unexpected file written by the server: {p}"
        );
        assert!(!frames.found_in(bytes), "{p} contains camera frame bytes");
    }

    // ---- (c) The logs: text, no image data, no frame contents, no secrets. ----
    assert!(stderr.is_empty() || std::str::from_utf8(&stderr).is_ok(), "stderr is text");
    let out = String::from_utf8(stdout).expect("the log output is UTF-8 text (no raw bytes)");
    let err = String::from_utf8(stderr).unwrap_or_default();
    let all = format!("{out}{err}");
    // `PRIVACY_LOG_DUMP=FILE` keeps a copy of the captured logs for a human to read.
    if let Ok(path) = std::env::var("PRIVACY_LOG_DUMP") {
        std::fs::write(path, &all).unwrap();
    }
    assert!(!all.chars().any(|c| c.is_control() && !"\n\r\t".contains(c)), "control characters in the logs");
    let mut events = 0;
    let mut longest = 0;
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("log line is not JSON ({e}): {line}"));
        assert!(v.is_object());
        events += 1;
        longest = longest.max(line.len());
    }
    for m in IMAGE_MARKERS {
        assert!(!all.contains(m), "the logs contain {m:?}");
    }
    assert!(!all.contains("eyJ"), "the logs contain a JWT or base64 JSON");
    assert!(!all.contains("$argon2"), "the logs contain a password hash");
    for secret in &secrets {
        assert!(!all.contains(secret.as_str()), "the logs contain a secret or token ({} chars)", secret.len());
    }
    assert_eq!(frames.text_in(&all), None, "the logs contain a camera frame in text form");
    assert!(!frames.found_in(all.as_bytes()), "the logs contain camera frame bytes");
    let run = longest_base64_run(&all);
    assert!(run < 100, "a base64-like run of {run} characters in the logs");
    assert!(longest < 8192, "a log line of {longest} bytes");
    // The capture is real: the flows above are in it.
    for expected in [
        "listening on",
        "face registered with the owner's confirmation",
        "kiosk burst analysed",
        "kiosk scan",
        "DITOLAK recorded",
        "leave requested at the kiosk",
        "/api/kiosk/attend",
        "/api/employees/",
        "stopped",
    ] {
        assert!(all.contains(expected), "the captured logs lack {expected:?}");
    }
    eprintln!(
        "privacy: {} distinct frames sent; {} log events ({} bytes, longest line {longest}); {} uploads; {:.1} s",
        frames.frames.len(),
        events,
        all.len(),
        uploads.len(),
        started.elapsed().as_secs_f32()
    );
}

/// The scanners above must be able to see what they look for (a check that cannot fail proves nothing).
#[test]
fn the_scanners_detect_frames_in_every_form() {
    // Noise: a frame's entropy-coded data is what the scanners sample.
    let mut seed = 0x2545_F491u32;
    let img = image::RgbImage::from_fn(96, 64, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        image::Rgb([seed as u8, (seed >> 8) as u8, (seed >> 16) as u8])
    });
    let frame = bursts::jpeg(&img);
    let f = Frames::new(std::slice::from_ref(&frame));
    assert!(f.windows.len() >= 4, "sampled windows: {}", f.windows.len());
    // Another image of the same encoder shares its headers, which must not count as the frame.
    let other = bursts::jpeg(&image::RgbImage::from_pixel(96, 64, image::Rgb([10, 20, 30])));
    assert!(!f.found_in(&other), "JPEG headers are not a frame's contents");
    let mut file = b"some header ".to_vec();
    file.extend_from_slice(&frame);
    assert!(f.found_in(&file), "raw bytes");
    assert!(f.text_in(&format!("{{\"frame\":\"{}\"}}", base64(&frame))).is_some(), "base64");
    assert!(f.text_in(&format!("x{}", base64(&frame[1..]))).is_some(), "base64, shifted");
    assert!(f.text_in(&hex::encode(&frame)).is_some(), "hex");
    assert!(!f.found_in(b"nothing to see here, nothing at all, really nothing"));
    assert!(base64(&frame).starts_with("/9j/"), "JPEG magic in base64 is what IMAGE_MARKERS looks for");
    assert!(longest_base64_run(&base64(&frame)) > 100);
    assert_eq!(longest_base64_run("a.b-c_d e"), 5);
}
