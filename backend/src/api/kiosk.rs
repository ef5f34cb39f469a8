//! The kiosk (no login): configuration for `/absen`, liveness challenges, attendance scans and the
//! employee's own leave request. The verification of a burst is `services::kiosk::verify_burst`; the
//! attendance rules are `domain::attendance`, applied by `services::attendance`.
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;

use super::{multipart, validate};
use crate::auth::limiter::RateLimiter;
use crate::domain::attendance::{scan_message, ScanDecision};
use crate::domain::leave::LeaveKind;
use crate::domain::time::{format_hhmm, rfc3339_utc};
use crate::error::{AppError, AppResult};
use crate::services::attendance::{record_rejection, record_scan, shift_times, Scan};
use crate::services::kiosk::{prepare_frame, verify_burst, BurstInput, Purpose, Refusal, MAX_FRAMES, MAX_FRAME_BYTES};
use crate::services::leaves::{self, LeaveOut, NewLeave};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_config).service(issue_challenge).service(frame).service(attend).service(leave);
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SiteOut {
    #[schema(example = "Kantor Pusat")]
    pub name: String,
    pub latitude: f64,
    pub longitude: f64,
    pub radius_m: f64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct KioskConfigOut {
    pub company_name: String,
    pub geofence_enabled: bool,
    /// Fixes less accurate than this (metres) are refused with `GPS_INACCURATE`.
    pub gps_max_accuracy_m: f64,
    pub sites: Vec<SiteOut>,
    #[schema(example = "Asia/Jakarta")]
    pub timezone: String,
}

/// What `/absen` needs before a scan: company name, geofence switch and sites (to show GPS status and
/// distance), accuracy bound, time zone.
#[utoipa::path(tag = "kiosk", responses((status = 200, body = KioskConfigOut)))]
#[get("/kiosk/config")]
pub async fn get_config(state: web::Data<AppState>) -> web::Json<KioskConfigOut> {
    let c = &state.config;
    web::Json(KioskConfigOut {
        company_name: c.company_name.clone(),
        geofence_enabled: c.geofence_enabled,
        gps_max_accuracy_m: c.gps_max_accuracy_m,
        sites: c
            .office_sites
            .iter()
            .map(|s| SiteOut {
                name: s.name.clone(),
                latitude: s.latitude,
                longitude: s.longitude,
                radius_m: s.radius_m,
            })
            .collect(),
        timezone: c.timezone.name().to_string(),
    })
}

/// Per-IP request budget of the kiosk endpoints: `KIOSK_RATE_PER_MINUTE` each (`state.kiosk_limiter`);
/// frames sent ahead, that many bursts' worth (`state.frame_limiter`).
fn rate_limit(req: &HttpRequest, state: &AppState, limiter: &RateLimiter, what: &str) -> AppResult<()> {
    let ip = crate::security::client_ip(req, &state.config.trusted_proxies);
    if limiter.allow(&format!("{what}|{ip}"), std::time::Instant::now()) {
        Ok(())
    } else {
        Err(AppError::rate_limited("Terlalu banyak percobaan dari perangkat ini. Tunggu sebentar lalu coba lagi."))
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ChallengeOut {
    /// Signed, single-use token to send back as the `challenge` field.
    pub token: String,
    /// Steps to perform in this order: `BLINK`, `TURN_LEFT` (the subject's own left), `TURN_RIGHT`.
    #[schema(example = json!(["BLINK", "TURN_LEFT"]))]
    pub steps: Vec<String>,
    /// RFC 3339 UTC.
    pub expires_at: String,
}

/// A fresh liveness challenge: a random sequence of two different steps, valid for `CHALLENGE_TTL_SECS`.
#[utoipa::path(tag = "kiosk", responses(
    (status = 200, body = ChallengeOut), (status = 429, body = crate::error::ErrorBody, description = "RATE_LIMITED")
))]
#[post("/kiosk/challenge")]
pub async fn issue_challenge(req: HttpRequest, state: web::Data<AppState>) -> AppResult<web::Json<ChallengeOut>> {
    rate_limit(&req, &state, &state.kiosk_limiter, "kiosk-challenge")?;
    let (token, c) = state.challenges.issue(Utc::now().timestamp());
    let steps = c
        .steps
        .iter()
        .map(|s| serde_json::to_value(s).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default())
        .collect();
    let expires_at = chrono::DateTime::from_timestamp(c.exp, 0).map(|t| rfc3339_utc(t.naive_utc())).unwrap_or_default();
    Ok(web::Json(ChallengeOut { token, steps, expires_at }))
}

/// Multipart body of `POST /api/kiosk/attend`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct AttendForm {
    /// The token of `POST /api/kiosk/challenge`.
    pub challenge: String,
    /// GPS fix of the device (required when the geofence is on).
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Reported accuracy in metres.
    pub accuracy: Option<f64>,
    /// 8–20 JPEG frames in capture order, not mirrored (repeat the field).
    #[schema(value_type = Vec<String>, format = Binary)]
    pub frame: Vec<Vec<u8>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AttendOut {
    pub employee_id: i32,
    pub nama: String,
    /// Cosine similarity of the probe to the employee's encoding.
    pub similarity: f32,
    pub liveness_ok: bool,
    /// `CHECK_IN`, `CHECK_OUT` or `NONE` (inside the check-out gap, on approved leave, already later).
    #[schema(example = "CHECK_IN")]
    pub action: String,
    /// The day's status after the scan: `HADIR`, `TERLAMBAT` or `IZIN`.
    #[schema(example = "HADIR")]
    pub status: String,
    /// Local time of the scan, `HH:MM`.
    #[schema(example = "07:58")]
    pub time: String,
    #[schema(example = "Selamat pagi, Budi. Check-in 07:58, tepat waktu.")]
    pub message: String,
}

fn burst_limits(extra_file_bytes: usize) -> multipart::Limits {
    multipart::Limits {
        max_file_bytes: MAX_FRAME_BYTES.max(extra_file_bytes),
        // One more than allowed so the count is answered with a clear 422, not a 413.
        max_files: MAX_FRAMES + 1 + usize::from(extra_file_bytes > 0),
        max_total_bytes: (MAX_FRAMES + 1) * MAX_FRAME_BYTES + extra_file_bytes + 64 * 1024,
        max_text_bytes: 4096,
    }
}

/// Multipart body of `POST /api/kiosk/frame`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct FrameForm {
    /// The token of `POST /api/kiosk/challenge` (valid, not used yet).
    pub challenge: String,
    /// One JPEG frame of the burst, as it will also be sent to `attend`.
    #[schema(value_type = String, format = Binary)]
    pub frame: Vec<u8>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FrameOut {
    /// Faces found in the frame (a burst needs exactly one in nearly every frame).
    pub faces_found: usize,
}

/// One frame of a burst, sent the moment it is captured: its analysis runs while the person is still
/// blinking and turning, and `attend` (which still carries every frame) finds it done. Optional: a
/// frame never sent here is analysed by `attend`, with the same verdict. The result is kept in memory for
/// this challenge and these exact bytes only, without pixels.
#[utoipa::path(tag = "kiosk", request_body(content = FrameForm, content_type = "multipart/form-data"), responses(
    (status = 200, body = FrameOut),
    (status = 400, body = crate::error::ErrorBody, description = "CHALLENGE_INVALID, BAD_MULTIPART"),
    (status = 409, body = crate::error::ErrorBody, description = "CHALLENGE_REUSED"),
    (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody, description = "CHALLENGE_EXPIRED, VALIDATION, NOT_AN_IMAGE, CORRUPT_IMAGE"),
    (status = 429, body = crate::error::ErrorBody, description = "RATE_LIMITED")
))]
#[post("/kiosk/frame")]
pub async fn frame(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: multipart::MultipartBody,
) -> AppResult<web::Json<FrameOut>> {
    let now = Utc::now();
    rate_limit(&req, &state, &state.frame_limiter, "kiosk-frame")?;
    let limits = multipart::Limits {
        max_file_bytes: MAX_FRAME_BYTES,
        max_files: 2,
        max_total_bytes: MAX_FRAME_BYTES + 16 * 1024,
        max_text_bytes: 4096,
    };
    let mut form = multipart::read(payload, limits).await?;
    let token = form.text("challenge").map(str::to_string);
    let mut files = form.take_files("frame");
    if files.len() != 1 {
        return Err(AppError::validation("frame", format!("Kirim tepat satu frame (diterima {}).", files.len())));
    }
    let p = prepare_frame(&state, token.as_deref(), files.remove(0).bytes, now).await?;
    Ok(web::Json(FrameOut { faces_found: p.signals.faces_found }))
}

fn burst_input(form: &mut multipart::Form) -> BurstInput {
    let text = |k: &str| form.text(k).map(str::to_string);
    let (challenge, latitude, longitude, accuracy) =
        (text("challenge"), text("latitude"), text("longitude"), text("accuracy"));
    let frames = form.take_files("frame").into_iter().map(|f| f.bytes).collect();
    BurstInput { challenge, latitude, longitude, accuracy, frames }
}

fn round4(x: f32) -> f32 {
    (x * 10_000.0).round() / 10_000.0
}

/// One attendance scan: verifies the challenge, GPS fix, frames, liveness and face, then records check-in
/// or check-out by the rules of DESIGN.md §4. A recognised employee refused for the geofence, liveness or a
/// low-confidence match gets a `DITOLAK` row when the day has none.
#[utoipa::path(tag = "kiosk", request_body(content = AttendForm, content_type = "multipart/form-data"), responses(
    (status = 200, body = AttendOut, headers(
        ("X-Prepared-Frames" = usize, description = "Frames of the burst whose analysis was found sent ahead (`POST /api/kiosk/frame`)")
    )),
    (status = 400, body = crate::error::ErrorBody, description = "CHALLENGE_INVALID, BAD_MULTIPART"),
    (status = 403, body = crate::error::ErrorBody, description = "OUTSIDE_GEOFENCE, UNKNOWN_FACE, LOW_CONFIDENCE, EMPLOYEE_INACTIVE, NO_SHIFT"),
    (status = 409, body = crate::error::ErrorBody, description = "CHALLENGE_REUSED, SCAN_IN_PROGRESS"),
    (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody, description = "CHALLENGE_EXPIRED, GPS_MISSING, GPS_INACCURATE, NO_FACE, MULTIPLE_FACES, LIVENESS_FAILED, VALIDATION, NOT_AN_IMAGE, CORRUPT_IMAGE"),
    (status = 429, body = crate::error::ErrorBody, description = "RATE_LIMITED")
))]
#[post("/kiosk/attend")]
pub async fn attend(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: multipart::MultipartBody,
) -> AppResult<HttpResponse> {
    let now = Utc::now();
    rate_limit(&req, &state, &state.kiosk_limiter, "kiosk-attend")?;
    let mut form = multipart::read(payload, burst_limits(0)).await?;
    let input = burst_input(&mut form);
    drop(form);
    let v = match verify_burst(&state, input, Purpose::Attend, now).await {
        Ok(v) => v,
        Err(Refusal { error, rejection }) => {
            if let Some(r) = rejection {
                match record_rejection(&state.db, &r).await {
                    Ok(Some(row)) => {
                        tracing::info!(attendance_id = row.id, employee_id = r.employee_id, code = %error.code, "DITOLAK recorded")
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "could not record the failed attempt"),
                }
            }
            return Err(error);
        }
    };
    let shift = v.shift.as_ref().expect("verify_burst requires a shift for attendance");
    let scan = Scan {
        employee_id: v.employee.id,
        shift: shift_times(shift),
        at: v.at,
        latitude: v.fix.map(|f| f.latitude as f32),
        longitude: v.fix.map(|f| f.longitude as f32),
        similarity: Some(round4(v.similarity)),
        liveness_ok: true,
    };
    let outcome = record_scan(&state.db, &scan, state.config.checkout_min_gap_minutes).await?;
    let action = match outcome.decision {
        ScanDecision::CheckIn { .. } => "CHECK_IN",
        ScanDecision::CheckOut { .. } => "CHECK_OUT",
        _ => "NONE",
    };
    tracing::info!(
        employee_id = v.employee.id, tanggal = %outcome.tanggal, action, status = outcome.row.status.as_str(),
        "kiosk scan"
    );
    // How many of the burst's frames had been sent ahead (for the load test and operators).
    Ok(HttpResponse::Ok().insert_header(("X-Prepared-Frames", v.prepared.to_string())).json(AttendOut {
        employee_id: v.employee.id,
        nama: v.employee.nama.clone(),
        similarity: round4(v.similarity),
        liveness_ok: true,
        action: action.to_string(),
        status: outcome.row.status.as_str().to_string(),
        time: format_hhmm(v.at.time()),
        message: scan_message(&v.employee.nama, v.at, &outcome.decision),
    }))
}

/// Multipart body of `POST /api/kiosk/leave`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct KioskLeaveForm {
    pub challenge: String,
    /// GPS fields are accepted but not required: a leave request is not bound to the office.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accuracy: Option<f64>,
    /// 8–20 JPEG frames in capture order, not mirrored (repeat the field).
    #[schema(value_type = Vec<String>, format = Binary)]
    pub frame: Vec<Vec<u8>>,
    /// `Sakit`, `Izin` or `Cuti`.
    #[schema(example = "Sakit")]
    pub jenis: String,
    /// The reason, without the type prefix.
    pub alasan: String,
    #[schema(value_type = String, format = Date, example = "2026-11-24")]
    pub tanggal_mulai: String,
    #[schema(value_type = String, format = Date, example = "2026-11-25")]
    pub tanggal_selesai: String,
    /// Optional proof photo (JPEG, PNG or WebP).
    #[schema(value_type = Option<String>, format = Binary)]
    pub bukti: Option<Vec<u8>>,
}

/// The employee's own leave request, after the same face and liveness verification as a scan (no
/// geofence: a sick employee asks from home). Creates a `PENDING` leave for the owner to approve.
#[utoipa::path(tag = "kiosk", request_body(content = KioskLeaveForm, content_type = "multipart/form-data"), responses(
    (status = 201, body = LeaveOut),
    (status = 400, body = crate::error::ErrorBody, description = "CHALLENGE_INVALID"),
    (status = 403, body = crate::error::ErrorBody, description = "UNKNOWN_FACE, LOW_CONFIDENCE, EMPLOYEE_INACTIVE"),
    (status = 409, body = crate::error::ErrorBody, description = "CHALLENGE_REUSED, LEAVE_OVERLAP"),
    (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody, description = "CHALLENGE_EXPIRED, NO_FACE, MULTIPLE_FACES, LIVENESS_FAILED, VALIDATION"),
    (status = 429, body = crate::error::ErrorBody, description = "RATE_LIMITED")
))]
#[post("/kiosk/leave")]
pub async fn leave(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: multipart::MultipartBody,
) -> AppResult<HttpResponse> {
    let now = Utc::now();
    rate_limit(&req, &state, &state.kiosk_limiter, "kiosk-leave")?;
    let mut form = multipart::read(payload, burst_limits(state.config.max_upload_bytes)).await?;
    // The leave fields first (cheap): a typo must not cost a face verification.
    let jenis = form.text("jenis").unwrap_or("").to_string();
    if LeaveKind::parse(&jenis).is_none() {
        return Err(AppError::validation("jenis", "Jenis harus salah satu dari: Sakit, Izin, Cuti"));
    }
    let keterangan = form.text("alasan").unwrap_or("").to_string();
    if keterangan.trim().is_empty() {
        return Err(AppError::validation("alasan", "Alasan wajib diisi"));
    }
    let start = validate::date("tanggal_mulai", "Tanggal mulai", form.text("tanggal_mulai").unwrap_or(""))?;
    let end = validate::date("tanggal_selesai", "Tanggal selesai", form.text("tanggal_selesai").unwrap_or(""))?;
    if end < start {
        return Err(AppError::validation("tanggal_selesai", "Tanggal selesai tidak boleh sebelum tanggal mulai"));
    }
    let bukti = form.take_files("bukti").pop().map(|f| f.bytes).filter(|b| !b.is_empty());
    let input = burst_input(&mut form);
    drop(form);
    let v = verify_burst(&state, input, Purpose::Leave, now).await.map_err(|r| r.error)?;
    let new =
        NewLeave { employee_id: v.employee.id, jenis, keterangan, tanggal_mulai: start, tanggal_selesai: end, bukti };
    let m = leaves::create_leave(&state, new).await?;
    tracing::info!(leave_id = m.id, employee_id = m.employee_id, "leave requested at the kiosk");
    Ok(HttpResponse::Created().json(leaves::out_one(&state, &m).await?))
}
