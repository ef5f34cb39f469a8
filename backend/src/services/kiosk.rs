//! The kiosk's verification of one burst, shared by `POST /api/kiosk/attend` and `POST /api/kiosk/leave`:
//! challenge -> form fields and frames -> geofence -> frame analysis -> liveness -> 1:N match.
//!
//! Checks run cheapest first. The challenge is checked (signature, expiry, not yet used) before anything
//! else, but it is only *consumed* once the request is complete and plausible (fields, frame count and
//! size, a usable GPS fix), right before the expensive analysis: a malformed request or one refused for
//! GPS accuracy does not burn the challenge, while any request that reaches the face engine does, so a
//! burst can be analysed at most once per challenge.
//!
//! Single use needs memory of used nonces. They are kept in memory per instance ([`ChallengeStore`]),
//! pruned after expiry (so the set holds at most the challenges of the last `CHALLENGE_TTL_SECS`). With
//! several instances behind a load balancer, a replay to *another* instance within the (short) lifetime
//! is not detected; its effect is bounded: the replay must carry the same frames (the steps are fixed by
//! the signed token), it expires within ~20 s, and the unique key `(employee_id, tanggal)` still prevents
//! a second row (a replay can at most turn a check-in into a check-out after the gap, which the gap and
//! the expiry make impossible in practice). Sticky sessions remove even that.
//!
//! Frames never leave memory: they are not written to disk, the database or logs.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use face_engine::liveness::{self, FrameSignals, LivenessConfig, LivenessFailure, Step};
use face_engine::{centroid, decide, AnalyzeOptions, Embedding, MatchDecision};
use sea_orm::EntityTrait;

use crate::config::Config;
use crate::domain::attendance::eligibility;
use crate::domain::challenge::{self, Challenge, ChallengeError, ChallengeKey};
use crate::domain::geofence::{self, Fix, GeofenceVerdict, OfficeSite};
use crate::domain::time::local;
use crate::entities::{employee, shift_setting, Employee, ShiftSetting};
use crate::error::{AppError, AppResult};
use crate::face_service::{ChipSource, Prepared};
use crate::services::attendance::{shift_times, Rejection};
use crate::services::frame_cache::{self, Full, Slot};
use crate::state::AppState;

/// Frames per burst (DESIGN.md §5: 8–20 JPEG frames in capture order, not mirrored).
pub const MIN_FRAMES: usize = 8;
pub const MAX_FRAMES: usize = 20;
/// Largest accepted frame (a 640 px JPEG from the kiosk page is ~50 KB).
pub const MAX_FRAME_BYTES: usize = 1024 * 1024;

// ---- Challenges ----

/// Issues and checks signed challenges and remembers used nonces (per instance, see the module docs).
pub struct ChallengeStore {
    key: ChallengeKey,
    ttl_secs: i64,
    fixed: Option<Vec<Step>>,
    used: Mutex<HashMap<String, i64>>,
}

pub fn challenge_error(e: ChallengeError) -> AppError {
    match e {
        ChallengeError::Invalid => AppError::bad_request(
            "CHALLENGE_INVALID",
            "Tantangan tidak valid. Mulai ulang absensi dari halaman /absen.",
        ),
        ChallengeError::Expired => {
            AppError::unprocessable("CHALLENGE_EXPIRED", "Waktu tantangan sudah habis. Silakan ulangi absensi.")
        }
    }
}

fn challenge_reused() -> AppError {
    AppError::conflict("CHALLENGE_REUSED", "Tantangan ini sudah dipakai. Silakan ulangi absensi dari awal.")
}

impl ChallengeStore {
    pub fn new(config: &Config) -> ChallengeStore {
        // Validated by `Config` (only with APP_ENV=test, steps parse).
        let fixed = config.liveness_fixed_challenge.as_deref().and_then(|s| challenge::parse_steps(s).ok());
        ChallengeStore {
            key: ChallengeKey::derive(&config.jwt_secret),
            ttl_secs: config.challenge_ttl_secs.max(1),
            fixed,
            used: Mutex::new(HashMap::new()),
        }
    }

    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    /// A new challenge valid from `now` (unix seconds): random steps, or the fixed test sequence.
    pub fn issue(&self, now: i64) -> (String, Challenge) {
        let mut rng = rand::thread_rng();
        let steps = match &self.fixed {
            Some(s) => s.clone(),
            None => challenge::random_steps(&mut rng, challenge::STEPS_PER_CHALLENGE),
        };
        challenge::issue(&self.key, steps, challenge::new_nonce(&mut rng), now, self.ttl_secs)
    }

    /// Signature, expiry, and not used yet (without consuming it).
    pub fn check(&self, token: &str, now: i64) -> AppResult<Challenge> {
        let c = challenge::verify(&self.key, token, now).map_err(challenge_error)?;
        if self.used.lock().unwrap().contains_key(&c.jti) {
            return Err(challenge_reused());
        }
        Ok(c)
    }

    /// [`ChallengeStore::check`] of a form's `challenge` field (trimmed; missing or empty is
    /// `CHALLENGE_INVALID`).
    pub fn check_field(&self, field: Option<&str>, now: i64) -> AppResult<Challenge> {
        let token = field.map(str::trim).unwrap_or("");
        if token.is_empty() {
            return Err(AppError::bad_request("CHALLENGE_INVALID", "Tantangan (field `challenge`) wajib dikirim."));
        }
        self.check(token, now)
    }

    /// Marks the challenge used; `CHALLENGE_REUSED` if another request did first (atomic).
    pub fn consume(&self, c: &Challenge, now: i64) -> AppResult<()> {
        let mut used = self.used.lock().unwrap();
        if used.len() >= 256 {
            used.retain(|_, exp| *exp > now);
        }
        if used.contains_key(&c.jti) {
            return Err(challenge_reused());
        }
        used.insert(c.jti.clone(), c.exp);
        Ok(())
    }

    /// Nonces currently remembered (for tests and metrics).
    pub fn remembered(&self) -> usize {
        self.used.lock().unwrap().len()
    }
}

// ---- The verification ----

/// The raw kiosk fields (multipart), in the order they arrived.
#[derive(Default)]
pub struct BurstInput {
    pub challenge: Option<String>,
    pub latitude: Option<String>,
    pub longitude: Option<String>,
    pub accuracy: Option<String>,
    pub frames: Vec<Vec<u8>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Check-in / check-out: geofence applies, failed attempts of recognised employees become DITOLAK.
    Attend,
    /// The employee's own leave request: face and liveness only. No geofence (a sick employee asks from
    /// home) and no DITOLAK row (it is not an attendance attempt).
    Leave,
}

/// A recognised, live employee.
#[derive(Debug, Clone)]
pub struct Verified {
    pub employee: employee::Model,
    pub shift: Option<shift_setting::Model>,
    pub similarity: f32,
    pub fix: Option<Fix>,
    pub site: Option<OfficeSite>,
    /// Time zone of the nearest site (or `APP_TIMEZONE`) and the local time of the request.
    pub tz: Tz,
    pub at: NaiveDateTime,
    /// Frames of the burst whose first pass was sent ahead (`POST /api/kiosk/frame`).
    pub prepared: usize,
}

/// A refusal, with the failed attempt to record when a recognised employee was refused.
#[derive(Debug)]
pub struct Refusal {
    pub error: AppError,
    pub rejection: Option<Rejection>,
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Self {
        Refusal { error, rejection: None }
    }
}

fn parse_coord(field: &str, label: &str, v: &str) -> AppResult<f64> {
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| AppError::validation(field, format!("{label} harus berupa angka")))
}

fn gps_missing() -> AppError {
    AppError::unprocessable(
        "GPS_MISSING",
        "Lokasi GPS tidak tersedia. Izinkan akses lokasi dan aktifkan GPS, lalu coba lagi.",
    )
}

/// The GPS fix of the form: all three fields or none; numbers in range.
pub fn parse_fix(lat: Option<&str>, lon: Option<&str>, acc: Option<&str>) -> AppResult<Option<Fix>> {
    fn nonempty(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|s| !s.is_empty())
    }
    let (lat, lon, acc) = (nonempty(lat), nonempty(lon), nonempty(acc));
    if lat.is_none() && lon.is_none() {
        return Ok(None);
    }
    let (Some(lat), Some(lon)) = (lat, lon) else { return Err(gps_missing()) };
    let fix = Fix {
        latitude: parse_coord("latitude", "Latitude", lat)?,
        longitude: parse_coord("longitude", "Longitude", lon)?,
        accuracy_m: match acc {
            Some(a) => parse_coord("accuracy", "Akurasi", a)?,
            None => return Err(gps_missing()),
        },
    };
    if !(-90.0..=90.0).contains(&fix.latitude) {
        return Err(AppError::validation("latitude", "Latitude harus antara -90 dan 90"));
    }
    if !(-180.0..=180.0).contains(&fix.longitude) {
        return Err(AppError::validation("longitude", "Longitude harus antara -180 dan 180"));
    }
    if fix.accuracy_m < 0.0 {
        return Err(AppError::validation("accuracy", "Akurasi tidak boleh negatif"));
    }
    Ok(Some(fix))
}

/// Frame count, size and type (sniffed from the bytes: JPEG, or PNG).
pub fn check_frames(frames: &[Vec<u8>], max_frame_bytes: usize) -> AppResult<()> {
    if frames.len() < MIN_FRAMES || frames.len() > MAX_FRAMES {
        return Err(AppError::validation(
            "frame",
            format!("Kirim {MIN_FRAMES}–{MAX_FRAMES} frame kamera (diterima {}).", frames.len()),
        ));
    }
    for (i, f) in frames.iter().enumerate() {
        check_frame(i + 1, f, max_frame_bytes)?;
    }
    Ok(())
}

/// Size and type of frame number `n` (1-based, for the message).
pub fn check_frame(n: usize, f: &[u8], max_frame_bytes: usize) -> AppResult<()> {
    if f.is_empty() {
        return Err(AppError::validation("frame", format!("Frame {n} kosong.")));
    }
    if f.len() > max_frame_bytes {
        return Err(AppError::payload_too_large(format!(
            "Frame {n} terlalu besar (maksimal {} KB).",
            max_frame_bytes / 1024
        )));
    }
    let jpeg = f.starts_with(&[0xFF, 0xD8, 0xFF]);
    let png = f.starts_with(b"\x89PNG\r\n\x1a\n");
    if !jpeg && !png {
        return Err(AppError::unsupported_media(format!("Frame {n} bukan gambar JPEG.")));
    }
    Ok(())
}

/// The largest frame accepted (also bounded by `MAX_UPLOAD_BYTES`).
fn max_frame_bytes(cfg: &Config) -> usize {
    MAX_FRAME_BYTES.min(cfg.max_upload_bytes.max(64 * 1024))
}

/// Liveness thresholds for a burst of `n` frames: the engine's defaults, tolerating about one bad frame
/// (no face / motion blur) in six.
pub fn liveness_config(n: usize) -> LivenessConfig {
    LivenessConfig { max_bad_frames: (n / 6).max(1), mirrored: false, ..LivenessConfig::default() }
}

/// How the kiosk analyses the frames of a burst for the challenge `steps` (the first pass: everything
/// but the embedding, whose aligned chip is kept for [`frames_to_embed`]). Eye openness (two iris-model
/// runs per frame, about a third of a frame's cost) only matters for a blink, and only on a face turned
/// less than a turn: liveness reads the blink and the open-eye level on near-frontal frames.
///
/// The kiosk's embeddings are the plain descriptor (one ResNet run per embedded frame), not the
/// mirror-averaged one registration stores (two runs): measured on `../shared/data/faces`, the identity
/// check and every liveness attack of `liveness_eval` come out the same, the centroid probe against
/// mirror-averaged enrolments accepts the same 56/56 pseudo-bursts of `kiosk_bench::probe_choice_open_set`
/// with no unknown person accepted, at own-similarity 0.9770 mean / 0.9518 min instead of 0.9795 / 0.9582
/// (accept 0.95): a little of the margin for a sixth of a burst's CPU (server CPU of the 300-scan load
/// test 81.6 → 67.2 s).
pub fn analyze_options(steps: &[Step]) -> AnalyzeOptions {
    AnalyzeOptions {
        embedding: false,
        keep_chip: true,
        eyes: steps.contains(&Step::Blink),
        eyes_max_yaw: Some(LivenessConfig::default().turn_yaw),
        flip_average: false,
        ..AnalyzeOptions::default()
    }
}

/// Frontal open-eyed frames embedded for the probe of the 1:N search (counting those that also show a
/// step).
pub const PROBE_FRAMES: usize = 4;

/// The frames of a burst whose embedding is computed (second pass): see
/// [`liveness::frames_to_embed`]; `signals` without embeddings.
pub fn frames_to_embed(signals: &[FrameSignals], steps: &[Step]) -> Vec<usize> {
    liveness::frames_to_embed(signals, steps, &liveness_config(signals.len()), PROBE_FRAMES)
}

/// How the probe for the 1:N search is built from a burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    /// Re-normalised mean of the embeddings of the good frontal, open-eyed frames.
    Centroid,
    /// The embedding of the burst's medoid frame (liveness' reference frame).
    Reference,
}

/// The probe embedding of a burst. `Centroid` falls back to the reference frame when fewer than two
/// frames are frontal with open eyes.
pub fn probe(signals: &[FrameSignals], cfg: &LivenessConfig, kind: ProbeKind) -> Option<Embedding> {
    let with_emb: Vec<(usize, &Embedding)> = signals
        .iter()
        .enumerate()
        .filter(|(_, s)| s.faces_found == 1)
        .filter_map(|(i, s)| s.embedding.as_ref().map(|e| (i, e)))
        .collect();
    let reference = || liveness::medoid(&with_emb).and_then(|i| signals[i].embedding.clone());
    if kind == ProbeKind::Reference {
        return reference();
    }
    let frontal: Vec<&FrameSignals> = signals
        .iter()
        .filter(|s| s.faces_found == 1 && s.embedding.is_some())
        .filter(|s| s.yaw.is_some_and(|y| y.abs() <= cfg.frontal_yaw))
        .collect();
    let mut eo: Vec<f32> = frontal.iter().filter_map(|s| s.eye_openness).collect();
    eo.sort_by(|a, b| a.total_cmp(b));
    let open_level = (!eo.is_empty()).then(|| eo[((eo.len() as f32 * 0.75) as usize).min(eo.len() - 1)]);
    let open: Vec<&Embedding> = frontal
        .iter()
        .filter(|s| match (s.eye_openness, open_level) {
            (Some(v), Some(l)) => v >= l * (1.0 - cfg.blink_recover_tolerance),
            _ => true,
        })
        .filter_map(|s| s.embedding.as_ref())
        .collect();
    if open.len() >= 2 {
        centroid(open.iter().copied())
    } else {
        reference()
    }
}

/// The probe the kiosk uses (see the measurement in the final report of issue 4 / `kiosk` bench).
pub const PROBE: ProbeKind = ProbeKind::Centroid;

fn liveness_error(f: &LivenessFailure) -> AppError {
    match f {
        LivenessFailure::NoFace { .. } => AppError::unprocessable(
            "NO_FACE",
            "Wajah tidak terdeteksi di sebagian rekaman. Pastikan wajah terlihat jelas, cukup terang, dan di dalam bingkai.",
        ),
        LivenessFailure::MultipleFaces { .. } => AppError::unprocessable(
            "MULTIPLE_FACES",
            "Terdeteksi lebih dari satu wajah. Pastikan hanya Anda yang terlihat di kamera.",
        ),
        other => AppError::unprocessable("LIVENESS_FAILED", format!("{} Silakan ulangi.", other.message_id()))
            .with("reason", serde_json::to_value(other).unwrap_or_default()),
    }
}

fn unknown_face() -> AppError {
    AppError::forbidden(
        "UNKNOWN_FACE",
        "Wajah tidak dikenali. Jika wajah Anda belum didaftarkan, minta admin mendaftarkannya terlebih dahulu.",
    )
}

fn low_confidence() -> AppError {
    AppError::forbidden(
        "LOW_CONFIDENCE",
        "Wajah kurang yakin dikenali. Hadapkan wajah ke kamera dengan cahaya yang cukup, lalu coba lagi.",
    )
}

/// Verifies one kiosk burst; `now` is the server clock at the request's arrival.
pub async fn verify_burst(
    state: &AppState,
    input: BurstInput,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<Verified, Refusal> {
    let cfg = &state.config;
    // 1. Challenge: valid, not expired, not used (not consumed yet).
    let challenge = state.challenges.check_field(input.challenge.as_deref(), now.timestamp())?;

    // 2. Form fields and frames.
    let fix = parse_fix(input.latitude.as_deref(), input.longitude.as_deref(), input.accuracy.as_deref())?;
    check_frames(&input.frames, max_frame_bytes(cfg))?;

    // 3. Geofence (attendance only). Inaccurate or missing fixes stop here; "outside" is remembered: the
    //    face is still analysed so a recognised employee gets a DITOLAK row.
    let geofence_on = purpose == Purpose::Attend && cfg.geofence_enabled;
    let mut outside: Option<AppError> = None;
    let nearest = fix.and_then(|f| geofence::nearest(&cfg.office_sites, f.latitude, f.longitude));
    if geofence_on {
        let Some(f) = fix else { return Err(gps_missing().into()) };
        match geofence::check(&cfg.office_sites, f, cfg.gps_max_accuracy_m) {
            GeofenceVerdict::Inside { .. } => {}
            GeofenceVerdict::Outside { site, distance_m } => {
                outside = Some(
                    AppError::forbidden(
                        "OUTSIDE_GEOFENCE",
                        format!(
                            "Anda berada di luar area kantor: {:.0} m dari {} (batas {:.0} m).",
                            distance_m, site.name, site.radius_m
                        ),
                    )
                    .with("distance_m", (distance_m * 10.0).round() / 10.0)
                    .with("site", site.name.clone()),
                );
            }
            GeofenceVerdict::Inaccurate { accuracy_m, max_m } => {
                return Err(AppError::unprocessable(
                    "GPS_INACCURATE",
                    format!(
                        "Akurasi GPS terlalu rendah (±{accuracy_m:.0} m, batas {max_m:.0} m). Tunggu sinyal GPS \
                         lebih baik atau pindah ke dekat jendela, lalu coba lagi."
                    ),
                )
                .into())
            }
            GeofenceVerdict::Invalid => {
                return Err(AppError::validation("latitude", "Koordinat GPS tidak valid").into());
            }
        }
    }
    let site = nearest.map(|(s, _)| s.clone());
    let tz = site.as_ref().and_then(|s| s.timezone).unwrap_or(cfg.timezone);
    let at = local(now, tz);

    // 4. From here on the burst is analysed: the challenge is spent.
    state.challenges.consume(&challenge, now.timestamp())?;

    // 5. Frames -> signals (decode errors refuse the request; no face in a frame is a liveness matter),
    //    in two passes: everything but the embeddings (already done, or under way, for the frames the
    //    kiosk sent ahead: `frame_cache`), then the embeddings of the frames liveness and the probe rest
    //    on. The aligned chips live only until then.
    let n = input.frames.len();
    let frames: Vec<Arc<[u8]>> = input.frames.into_iter().map(Arc::from).collect();
    let ahead = state.prepared.take(&challenge.jti);
    let opts = analyze_options(&challenge.steps);
    let turn = state.face.burst_turn().await?;
    // (no digest to compute when nothing was sent ahead: another instance, or a client that does not)
    let sent_ahead = |f: &[u8]| if ahead.is_empty() { None } else { ahead.get(&frame_cache::digest(f)) };
    let passes = frames.iter().map(|f| first_pass(state, f, sent_ahead(f), &opts));
    let passes = futures_util::future::join_all(passes).await;
    let mut signals = Vec::with_capacity(n);
    let mut chips = Vec::with_capacity(n);
    let mut prepared = 0;
    for (i, r) in passes.into_iter().enumerate() {
        match r {
            Ok(p) => {
                prepared += usize::from(p.ahead);
                chips.push(p.chip);
                signals.push(p.signals);
            }
            Err(e) if e.status.is_server_error() => return Err(e.into()),
            Err(e) => {
                let msg = format!("Frame {}: {}", i + 1, e.message);
                return Err(AppError { message: msg, ..e }.into());
            }
        }
    }
    let wanted: Vec<(usize, ChipSource)> = frames_to_embed(&signals, &challenge.steps)
        .into_iter()
        .filter_map(|i| chips[i].take().map(|c| (i, c)))
        .collect();
    drop(chips);
    let embedded = wanted.len();
    for (i, e) in state.face.embed_all(wanted).await {
        signals[i].embedding = Some(e?);
    }
    drop(turn);

    // 6. Liveness on the frames themselves.
    let lcfg = liveness_config(n);
    let verdict = liveness::verify(&signals, &challenge.steps, &lcfg);
    let liveness_failure = verdict.failure.clone();
    if let Some(f) = &liveness_failure {
        // Without one consistent face there is nobody to attribute the attempt to.
        if !matches!(f, LivenessFailure::StepMissing { .. } | LivenessFailure::WrongOrder { .. }) {
            tracing::info!(failure = ?f, "kiosk burst refused before matching");
            return Err(liveness_error(f).into());
        }
    }

    // 7. 1:N match over every enrolled employee (inactive ones included: an inactive person is still a
    //    known identity, which gives EMPLOYEE_INACTIVE instead of UNKNOWN_FACE and keeps a former employee
    //    from being accepted as a look-alike colleague).
    let probe_emb = probe(&signals, &lcfg, PROBE);
    let decision = probe_emb
        .as_ref()
        .and_then(|p| state.face.gallery().search(p))
        .map(|r| decide(&r, &state.face.policy))
        .unwrap_or(MatchDecision::Unknown);
    let (emp_id, similarity, confident) = match decision {
        MatchDecision::Accept { id, similarity } => (Some(id), Some(similarity), true),
        MatchDecision::Grey { id, similarity } => (Some(id), Some(similarity), false),
        MatchDecision::Unknown => (None, None, false),
    };
    let employee = match emp_id {
        Some(id) => Employee::find_by_id(id as i32).one(&state.db).await.map_err(AppError::from)?,
        None => None,
    };
    let shift = match employee.as_ref().and_then(|e| e.shift_id) {
        Some(sid) => ShiftSetting::find_by_id(sid).one(&state.db).await.map_err(AppError::from)?,
        None => None,
    };
    tracing::info!(
        employee_id = employee.as_ref().map(|e| e.id),
        similarity,
        confident,
        liveness = liveness_failure.is_none(),
        outside = outside.is_some(),
        frames = n,
        prepared,
        embedded,
        "kiosk burst analysed"
    );

    // A failed attempt of a recognised, active employee with a shift: DITOLAK for the owner's review.
    let rejection = |liveness_ok: bool| -> Option<Rejection> {
        if purpose != Purpose::Attend {
            return None;
        }
        let e = employee.as_ref().filter(|e| e.is_active())?;
        let s = shift.as_ref()?;
        Some(Rejection {
            employee_id: e.id,
            tanggal: shift_times(s).attendance_date(at),
            latitude: fix.map(|f| f.latitude as f32),
            longitude: fix.map(|f| f.longitude as f32),
            liveness_ok,
            similarity,
        })
    };
    let liveness_ok = liveness_failure.is_none();
    if let Some(error) = outside {
        return Err(Refusal { error, rejection: rejection(liveness_ok) });
    }
    if let Some(f) = &liveness_failure {
        return Err(Refusal { error: liveness_error(f), rejection: rejection(false) });
    }
    if employee.is_none() {
        return Err(unknown_face().into());
    }
    if !confident {
        return Err(Refusal { error: low_confidence(), rejection: rejection(true) });
    }
    let employee = employee.expect("checked above");
    let needs_shift = purpose == Purpose::Attend;
    if let Err(reason) = eligibility(employee.is_active(), true, !needs_shift || shift.is_some()) {
        return Err(AppError::forbidden(reason.code(), reason.message(&employee.nama)).into());
    }
    Ok(Verified { employee, shift, similarity: similarity.unwrap_or(0.0), fix, site, tz, at, prepared })
}

/// One frame's first pass in a burst, and whether it was sent ahead.
struct FirstPass {
    signals: FrameSignals,
    chip: Option<ChipSource>,
    ahead: bool,
}

/// The first pass of one frame: the result of the same frame sent ahead when there is one (waiting for
/// it when it is still being analysed, or analysing it here when its request went away), otherwise the
/// analysis now, keeping the chip.
async fn first_pass(
    state: &AppState,
    frame: &Arc<[u8]>,
    ahead: Option<&Slot<Prepared>>,
    opts: &AnalyzeOptions,
) -> AppResult<FirstPass> {
    if let Some(slot) = ahead {
        match slot.get_or_init(|| state.face.prepare(frame.clone(), opts.clone())).await {
            Ok(p) => {
                let chip = p.placement.map(|pl| ChipSource::Cut(frame.clone(), pl));
                return Ok(FirstPass { signals: p.signals.clone(), chip, ahead: true });
            }
            Err(e) if !e.status.is_server_error() => return Err(e.clone()),
            // An internal error is not taken for the frame's answer: analysed again below.
            Err(_) => {}
        }
    }
    let mut a = state.face.analyze(frame.clone(), opts.clone()).await?;
    let chip = a.face.as_mut().and_then(|f| f.chip.take()).map(ChipSource::Kept);
    Ok(FirstPass { signals: FrameSignals::from_analysis(&a), chip, ahead: false })
}

/// A frame of the burst for challenge `token`, sent while the burst is being captured
/// (`POST /api/kiosk/frame`): checked like a burst's frames and analysed once; the result waits in
/// [`AppState::prepared`] for the burst's `attend` (see `frame_cache`). The challenge must be valid
/// and unused; it is not consumed.
pub async fn prepare_frame(
    state: &AppState,
    token: Option<&str>,
    frame: Vec<u8>,
    now: DateTime<Utc>,
) -> AppResult<Prepared> {
    let challenge = state.challenges.check_field(token, now.timestamp())?;
    check_frame(1, &frame, max_frame_bytes(&state.config))?;
    let slot = state
        .prepared
        .slot(&challenge.jti, challenge.exp, frame_cache::digest(&frame), now.timestamp())
        .map_err(|full| match full {
            Full::Burst => AppError::validation(
                "frame",
                format!("Paling banyak {MAX_FRAMES} frame berbeda untuk satu tantangan."),
            ),
            Full::Cache => AppError::rate_limited("Server sedang sibuk. Frame ini akan dianalisis saat absensi dikirim."),
        })?;
    let (face, opts, bytes) = (state.face.clone(), analyze_options(&challenge.steps), Arc::from(frame));
    slot.get_or_init(|| async move { face.prepare(bytes, opts).await }).await.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_pass_keeps_chips_reads_eyes_only_for_a_blink_and_embeds_plain() {
        let blink = analyze_options(&[Step::TurnLeft, Step::Blink]);
        assert!(!blink.embedding && blink.keep_chip && blink.eyes && !blink.flip_average);
        assert_eq!(blink.eyes_max_yaw, Some(LivenessConfig::default().turn_yaw));
        let turns = analyze_options(&[Step::TurnLeft, Step::TurnRight]);
        assert!(!turns.eyes && turns.keep_chip && !turns.flip_average);
        // registration (the stored encodings) keeps the mirror-averaged descriptor
        assert!(AnalyzeOptions::default().flip_average);
    }
}
