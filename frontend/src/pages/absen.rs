//! `/absen`: the employees' kiosk page (no login, mobile-first). Mirrored camera preview (CSS only: frames
//! are sent as the camera sees them), GPS status with the distance to the nearest office, a server challenge
//! shown as prompts while a burst of JPEG frames is captured (each frame but the last also sent ahead to
//! `/api/kiosk/frame` as it is taken, so the server analyses it during the capture), then one multipart
//! request to `/api/kiosk/attend` (or `/api/kiosk/leave` for the employee's own leave request) and a large
//! result screen that resets itself.

use leptos::prelude::*;
use web_sys::{Blob, FormData};

use crate::api::{self, ApiError};
use crate::fmt::{self, Ymd};
use crate::media::{self, Fix, GpsState};
use crate::pages::izin::JENIS;
use crate::types::{AttendResult, Challenge, KioskConfig, Leave};

/// Frames captured while the person looks straight at the camera, before the first prompt.
const LEAD_FRAMES: usize = 2;
const LEAD_INTERVAL_MS: f64 = 200.0;
/// A blink closes the eyes for only ~100–300 ms: sample it densely (12 frames, 1.2 s).
const BLINK_FRAMES: usize = 12;
const BLINK_INTERVAL_MS: f64 = 100.0;
/// A head turn is slower (6 frames, 1.3 s).
const TURN_FRAMES: usize = 6;
const TURN_INTERVAL_MS: f64 = 220.0;
/// The server takes 8–20 frames per attempt.
const MAX_FRAMES: usize = 20;
const MIN_FRAMES: usize = 8;
const FRAME_WIDTH: u32 = 640;
const RESET_OK_S: u32 = 6;
const RESET_FAIL_S: u32 = 10;
/// A fix older than this is refreshed before sending.
const FIX_MAX_AGE_MS: f64 = 15_000.0;

#[derive(Clone, Debug, PartialEq)]
enum Phase {
    Idle,
    LeaveForm,
    /// Asking the server for a challenge / getting ready.
    Preparing(u32),
    Capturing,
    Sending,
    Done(Outcome),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Attend,
    Leave,
}

#[derive(Clone, Debug, PartialEq)]
struct Outcome {
    ok: bool,
    title: String,
    nama: String,
    big: String,
    status: String,
    status_tone: &'static str,
    message: String,
    hint: String,
}

/// The prompt for a challenge step: (headline, helper text, pictogram).
fn step_prompt(step: &str) -> (String, &'static str, &'static str) {
    match step {
        "BLINK" => ("Kedipkan mata".into(), "Pejamkan kedua mata sebentar, lalu buka lagi", "◡ ◡"),
        "TURN_LEFT" => ("Tolehkan kepala ke kiri".into(), "Pelan-pelan ke kiri Anda, lalu kembali ke depan", "←"),
        "TURN_RIGHT" => ("Tolehkan kepala ke kanan".into(), "Pelan-pelan ke kanan Anda, lalu kembali ke depan", "→"),
        "LOOK_UP" | "NOD_UP" => ("Angkat dagu".into(), "Lihat sedikit ke atas, lalu kembali ke depan", "↑"),
        "LOOK_DOWN" | "NOD" | "NOD_DOWN" => {
            ("Anggukkan kepala".into(), "Tundukkan sedikit, lalu kembali ke depan", "↓")
        }
        "SMILE" => ("Tersenyum".into(), "Tersenyum lebar, lalu kembali biasa", "☺"),
        "OPEN_MOUTH" => ("Buka mulut".into(), "Buka mulut sebentar, lalu tutup lagi", "○"),
        other => (other.replace('_', " ").to_lowercase(), "Ikuti petunjuk ini", "•"),
    }
}

/// What to do after a refusal, by error code.
fn hint_for(code: &str) -> &'static str {
    match code {
        "NO_FACE" => "Pastikan wajah terlihat jelas di dalam bingkai dan cahaya cukup, lalu coba lagi.",
        "MULTIPLE_FACES" => "Pastikan hanya Anda yang terlihat di kamera.",
        "LIVENESS_FAILED" => "Ikuti petunjuk di layar sampai selesai (kedip / menoleh sesuai arahan), lalu coba lagi.",
        "OUTSIDE_GEOFENCE" => "Anda berada di luar area kantor. Absen hanya bisa dilakukan di lokasi kantor.",
        "GPS_INACCURATE" => {
            "Sinyal GPS lemah. Nyalakan lokasi akurasi tinggi atau pindah ke dekat jendela, lalu coba lagi."
        }
        "GPS_MISSING" => "Izinkan akses lokasi untuk halaman ini dan nyalakan GPS, lalu coba lagi.",
        "UNKNOWN_FACE" => "Wajah tidak dikenali. Jika wajah Anda belum didaftarkan, hubungi pemilik/admin.",
        "LOW_CONFIDENCE" => "Wajah kurang jelas. Lepas masker atau kacamata gelap, hadap kamera, lalu coba lagi.",
        "CHALLENGE_EXPIRED" => "Waktu habis. Coba lagi dan ikuti petunjuk tanpa jeda.",
        "CHALLENGE_REUSED" | "CHALLENGE_INVALID" => "Silakan ulangi dari awal.",
        "EMPLOYEE_INACTIVE" => "Akun Anda tidak aktif. Hubungi pemilik/admin.",
        "NO_SHIFT" => "Anda belum memiliki jadwal shift. Hubungi pemilik/admin.",
        "NO_FACE_DATA" | "FACE_NOT_REGISTERED" => "Wajah Anda belum didaftarkan. Hubungi pemilik/admin.",
        "LEAVE_OVERLAP" => "Sudah ada pengajuan pada tanggal tersebut.",
        "RATE_LIMITED" => "Terlalu banyak percobaan. Tunggu sebentar lalu coba lagi.",
        "NETWORK" => "Periksa koneksi internet, lalu coba lagi.",
        "VALIDATION" => "Periksa kembali isian Anda.",
        _ => "Silakan coba lagi. Jika terus gagal, hubungi pemilik/admin.",
    }
}

fn refusal(e: &ApiError) -> Outcome {
    Outcome {
        ok: false,
        title: "Absen gagal".into(),
        nama: String::new(),
        big: "✗".into(),
        status: String::new(),
        status_tone: "bad",
        message: e.message.clone(),
        hint: hint_for(&e.code).into(),
    }
}

fn attend_outcome(r: AttendResult) -> Outcome {
    let title = match r.action.as_str() {
        "CHECK_IN" => "Absen masuk berhasil",
        "CHECK_OUT" => "Absen pulang berhasil",
        _ => "Sudah tercatat",
    };
    let (status, tone) = match r.status.as_str() {
        "HADIR" => ("Tepat waktu".to_owned(), "ok"),
        "TERLAMBAT" => (
            match r.late_minutes {
                Some(m) if m > 0 => format!("Terlambat {}", fmt::minutes(m as u64)),
                _ => "Terlambat".to_owned(),
            },
            "warn",
        ),
        "" => (String::new(), "ok"),
        s => (fmt::status_label(s).to_owned(), "ok"),
    };
    Outcome {
        ok: true,
        title: title.into(),
        nama: r.nama,
        big: if r.time.is_empty() { fmt::now_hm() } else { fmt::hm(Some(&r.time)) },
        status,
        status_tone: tone,
        message: r.message,
        hint: String::new(),
    }
}

fn leave_outcome(l: Leave) -> Outcome {
    Outcome {
        ok: true,
        title: "Pengajuan terkirim".into(),
        nama: l.nama,
        big: "✓".into(),
        status: format!("{} · {}", l.jenis, fmt::date_range(&l.tanggal_mulai, &l.tanggal_selesai)),
        status_tone: "info",
        message: "Menunggu persetujuan pemilik.".into(),
        hint: String::new(),
    }
}

/// Sends one captured frame to `/api/kiosk/frame` without waiting: the server analyses it while the
/// person goes on blinking and turning, so the final request (which still carries every frame) is
/// answered sooner. A failure here changes nothing: that frame is analysed with the burst.
fn send_ahead(token: &str, frame: &Blob) {
    let form = FormData::new().unwrap();
    let _ = form.append_with_str("challenge", token);
    let _ = form.append_with_blob_and_filename("frame", frame, "frame.jpg");
    leptos::task::spawn_local(async move {
        let _ = api::post_form::<serde_json::Value>("/api/kiosk/frame", form).await;
    });
}

/// When to take each frame of the burst: (challenge step index, or `None` for the lead-in; milliseconds after
/// the burst starts). Blink steps are sampled densely, turns sparsely; the total stays within 8–20 frames
/// (turn steps shrink first, down to 3 frames, then blink steps, down to 6, then the lead-in, then 2 and 5).
fn burst_plan(steps: &[String]) -> Vec<(Option<usize>, f64)> {
    let mut parts: Vec<(Option<usize>, usize, f64)> = vec![(None, LEAD_FRAMES, LEAD_INTERVAL_MS)];
    for (i, s) in steps.iter().enumerate() {
        if s == "BLINK" {
            parts.push((Some(i), BLINK_FRAMES, BLINK_INTERVAL_MS));
        } else {
            parts.push((Some(i), TURN_FRAMES, TURN_INTERVAL_MS));
        }
    }
    loop {
        let total: usize = parts.iter().map(|p| p.1).sum();
        if total <= MAX_FRAMES {
            break;
        }
        let largest = |min: usize, blink: bool| {
            parts
                .iter()
                .enumerate()
                .filter(|(_, p)| p.0.is_some() && (p.2 == BLINK_INTERVAL_MS) == blink && p.1 > min)
                .max_by_key(|(_, p)| p.1)
                .map(|(i, _)| i)
        };
        let lead = (parts[0].1 > 1).then_some(0);
        let pick = largest(3, false)
            .or_else(|| largest(6, true))
            .or(lead)
            .or_else(|| largest(2, false))
            .or_else(|| largest(5, true));
        match pick {
            Some(i) => parts[i].1 -= 1,
            None => break,
        }
    }
    let total: usize = parts.iter().map(|p| p.1).sum();
    if total < MIN_FRAMES {
        if let Some(last) = parts.last_mut() {
            last.1 += MIN_FRAMES - total;
        }
    }
    let mut out = Vec::with_capacity(MAX_FRAMES);
    let mut t = 0.0;
    for (step, n, dt) in parts {
        for _ in 0..n {
            out.push((step, t));
            t += dt;
        }
    }
    out.truncate(MAX_FRAMES);
    out
}

/// Nearest office site and the distance to it.
fn nearest(cfg: &KioskConfig, fix: &Fix) -> Option<(String, f64, f64)> {
    cfg.sites
        .iter()
        .map(|s| (s.name.clone(), fmt::haversine_m(fix.latitude, fix.longitude, s.latitude, s.longitude), s.radius_m))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

#[component]
pub fn Absen() -> impl IntoView {
    let config = api::Remote::<KioskConfig>::fixed("/api/kiosk/config");
    let phase = RwSignal::new(Phase::Idle);
    let mode = RwSignal::new(Mode::Attend);
    let prompt = RwSignal::new((String::new(), "", ""));
    let progress = RwSignal::new(0.0f64);
    let step_label = RwSignal::new(String::new());
    let reset_in = RwSignal::new(0u32);
    let clock = RwSignal::new(fmt::now_hm());

    // Dark full-page background while the kiosk is shown.
    if let Some(b) = document().body() {
        let _ = b.class_list().add_1("kiosk-body");
    }
    on_cleanup(|| {
        if let Some(b) = document().body() {
            let _ = b.class_list().remove_1("kiosk-body");
        }
    });

    // Camera
    let video = NodeRef::<leptos::html::Video>::new();
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let stream = StoredValue::new_local(None::<web_sys::MediaStream>);
    let cam_ready = RwSignal::new(false);
    let cam_error = RwSignal::new(None::<String>);
    let start_cam = move || {
        let Some(v) = video.get_untracked() else { return };
        cam_error.set(None);
        leptos::task::spawn_local(async move {
            match media::start_camera(&v).await {
                Ok(s) => {
                    stream.set_value(Some(s));
                    cam_ready.set(true);
                }
                Err(e) => cam_error.set(Some(media::camera_error_message(&e))),
            }
        });
    };
    Effect::new(move |_| {
        if video.get().is_some() {
            start_cam();
        }
    });

    // GPS
    let gps = RwSignal::new(GpsState::Waiting);
    let watch = StoredValue::new_local(Some(media::watch_position(move |s| {
        // Keep the last good fix when a later update is an error (e.g. a timeout while standing still).
        if matches!(s, GpsState::Error(_)) && matches!(gps.get_untracked(), GpsState::Fix(_)) {
            return;
        }
        gps.set(s);
    })));

    // Clock + auto-reset countdown, once a second.
    if let Ok(h) = set_interval_with_handle(
        move || {
            clock.set(fmt::now_hm());
            let n = reset_in.get_untracked();
            if n > 0 {
                reset_in.set(n - 1);
                if n == 1 && matches!(phase.get_untracked(), Phase::Done(_)) {
                    phase.set(Phase::Idle);
                }
            }
        },
        std::time::Duration::from_secs(1),
    ) {
        on_cleanup(move || h.clear());
    }
    on_cleanup(move || {
        if let Some(s) = stream.try_get_value().flatten() {
            media::stop_stream(&s);
        }
        watch.set_value(None);
    });

    // Leave form
    let jenis = RwSignal::new("Izin".to_owned());
    let today = Ymd::today().iso();
    let mulai = RwSignal::new(today.clone());
    let selesai = RwSignal::new(today);
    let alasan = RwSignal::new(String::new());
    let bukti_input = NodeRef::<leptos::html::Input>::new();
    let bukti = StoredValue::new_local(None::<web_sys::File>);
    let leave_error = RwSignal::new(None::<String>);

    let geofence_on = move || config.get().and_then(|r| r.ok()).is_some_and(|c| c.geofence_enabled);
    let fix = move || match gps.get() {
        GpsState::Fix(f) => Some(f),
        _ => None,
    };
    let blocked_reason = move || -> Option<String> {
        if let Some(e) = cam_error.get() {
            return Some(e);
        }
        if !cam_ready.get() {
            return Some("Menyalakan kamera…".into());
        }
        if geofence_on() && fix().is_none() {
            return Some(match gps.get() {
                GpsState::Error(m) => m,
                _ => "Menunggu lokasi GPS…".into(),
            });
        }
        None
    };

    let finish = move |o: Outcome| {
        reset_in.set(if o.ok { RESET_OK_S } else { RESET_FAIL_S });
        phase.set(Phase::Done(o));
    };

    // The whole verification: challenge -> prompts + burst -> one multipart request.
    let verify = move |m: Mode| {
        if !matches!(phase.get_untracked(), Phase::Idle | Phase::LeaveForm) {
            return;
        }
        mode.set(m);
        phase.set(Phase::Preparing(0));
        progress.set(0.0);
        leptos::task::spawn_local(async move {
            let fail = move |e: ApiError| {
                let mut o = refusal(&e);
                if m == Mode::Leave {
                    o.title = "Pengajuan gagal".into();
                }
                finish(o);
            };
            // Ask for a fresh fix in parallel if the one we hold is old.
            let stale = match gps.get_untracked() {
                GpsState::Fix(f) => media::now_ms() - f.timestamp > FIX_MAX_AGE_MS,
                _ => true,
            };
            if stale {
                media::refresh_position(move |s| {
                    if let GpsState::Fix(_) = s {
                        gps.set(s)
                    }
                });
            }
            let challenge = match api::post_empty::<Challenge>("/api/kiosk/challenge").await {
                Ok(c) => c,
                Err(e) => return fail(e),
            };
            // Short "get ready" so the person settles in front of the camera.
            for n in (1..=2).rev() {
                phase.set(Phase::Preparing(n));
                media::sleep(800).await;
            }
            phase.set(Phase::Capturing);
            let (Some(v), Some(c)) = (video.get_untracked(), canvas.get_untracked()) else {
                return finish(refusal(&ApiError {
                    status: 0,
                    code: "CAMERA".into(),
                    message: "Kamera tidak tersedia.".into(),
                    details: serde_json::Value::Null,
                }));
            };
            let steps = challenge.steps.clone();
            let plan = burst_plan(&steps);
            let total = plan.len();
            let mut frames: Vec<Blob> = Vec::with_capacity(total);
            let t0 = media::now_ms();
            let mut shown: Option<Option<usize>> = None;
            for (k, (s, offset)) in plan.iter().enumerate() {
                if shown != Some(*s) {
                    shown = Some(*s);
                    match s {
                        None => {
                            prompt.set(("Lihat ke kamera".into(), "Tahan posisi wajah di dalam bingkai", "◎"));
                            step_label.set(String::new());
                        }
                        Some(i) => {
                            prompt.set(step_prompt(&steps[*i]));
                            step_label.set(format!("Langkah {} dari {}", i + 1, steps.len()));
                        }
                    }
                }
                let due = t0 + offset;
                let wait = due - media::now_ms();
                if wait > 1.0 {
                    media::sleep(wait as i32).await;
                }
                match media::capture_jpeg(&v, &c, FRAME_WIDTH, 0.85).await {
                    Ok(b) => {
                        // The last frame goes with the burst right away: nothing to gain ahead.
                        if k + 1 < total {
                            send_ahead(&challenge.token, &b);
                        }
                        frames.push(b)
                    }
                    Err(_) => {
                        return finish(refusal(&ApiError {
                            status: 0,
                            code: "CAMERA".into(),
                            message: "Gagal mengambil gambar dari kamera.".into(),
                            details: serde_json::Value::Null,
                        }))
                    }
                }
                progress.set((k + 1) as f64 / total as f64);
            }
            phase.set(Phase::Sending);

            let form = FormData::new().unwrap();
            let _ = form.append_with_str("challenge", &challenge.token);
            // Give a fresh fix a moment to arrive when the held one was old.
            if stale {
                for _ in 0..20 {
                    if matches!(gps.get_untracked(), GpsState::Fix(f) if media::now_ms() - f.timestamp <= FIX_MAX_AGE_MS)
                    {
                        break;
                    }
                    media::sleep(150).await;
                }
            }
            if let GpsState::Fix(f) = gps.get_untracked() {
                let _ = form.append_with_str("latitude", &f.latitude.to_string());
                let _ = form.append_with_str("longitude", &f.longitude.to_string());
                let _ = form.append_with_str("accuracy", &f.accuracy.to_string());
            }
            for (i, b) in frames.iter().enumerate() {
                let _ = form.append_with_blob_and_filename("frame", b, &format!("frame-{:02}.jpg", i + 1));
            }
            match m {
                Mode::Attend => match api::post_form::<AttendResult>("/api/kiosk/attend", form).await {
                    Ok(r) => finish(attend_outcome(r)),
                    Err(e) => fail(e),
                },
                Mode::Leave => {
                    let _ = form.append_with_str("jenis", &jenis.get_untracked());
                    let _ = form.append_with_str("alasan", alasan.get_untracked().trim());
                    let _ = form.append_with_str("tanggal_mulai", &mulai.get_untracked());
                    let _ = form.append_with_str("tanggal_selesai", &selesai.get_untracked());
                    if let Some(f) = bukti.get_value() {
                        let _ = form.append_with_blob_and_filename("bukti", &f, &f.name());
                    }
                    match api::post_form::<Leave>("/api/kiosk/leave", form).await {
                        Ok(l) => {
                            alasan.set(String::new());
                            bukti.set_value(None);
                            finish(leave_outcome(l))
                        }
                        Err(e) => fail(e),
                    }
                }
            }
        });
    };

    let submit_leave = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (a, b) = (mulai.get_untracked(), selesai.get_untracked());
        let msg = if a.is_empty() || b.is_empty() || b < a {
            Some("Tanggal selesai tidak boleh sebelum tanggal mulai.")
        } else if alasan.get_untracked().trim().is_empty() {
            Some("Isi alasan pengajuan.")
        } else {
            None
        };
        if let Some(m) = msg {
            leave_error.set(Some(m.into()));
            return;
        }
        let file = crate::ui::first_file(&bukti_input);
        if file.as_ref().is_some_and(|f| f.size() > 5.0 * 1024.0 * 1024.0) {
            leave_error.set(Some("Ukuran foto bukti maksimal 5 MB.".into()));
            return;
        }
        bukti.set_value(file);
        leave_error.set(None);
        verify(Mode::Leave);
    };

    let done_now = move |_| {
        reset_in.set(0);
        phase.set(Phase::Idle);
    };

    view! {
        <main class="kiosk">
            <header class="kiosk-head">
                <div>
                    <div class="kiosk-company">
                        {move || {
                            config
                                .get()
                                .and_then(|r| r.ok())
                                .map(|c| c.company_name)
                                .filter(|n| !n.is_empty())
                                .unwrap_or_else(|| "Absensi Wajah".into())
                        }}
                    </div>
                    <div class="kiosk-date">{move || { clock.track(); Ymd::today().long() }}</div>
                </div>
                <div class="kiosk-clock" aria-label="Jam sekarang">{move || clock.get()}</div>
            </header>

            <div class="kiosk-cam" class:compact=move || phase.get() == Phase::LeaveForm class:busy=move || matches!(phase.get(), Phase::Capturing | Phase::Sending | Phase::Preparing(_))>
                <video node_ref=video class="mirror" autoplay playsinline muted aria-label="Pratinjau kamera depan"></video>
                <div class="oval" aria-hidden="true"></div>
                {move || match phase.get() {
                    Phase::Preparing(n) => view! {
                        <div class="cam-overlay">
                            <div class="prompt-big">{if n == 0 { "Menyiapkan…".to_owned() } else { "Bersiap…".to_owned() }}</div>
                            <div class="prompt-sub">"Posisikan wajah di dalam bingkai"</div>
                            {(n > 0).then(|| view! { <div class="count-big" aria-hidden="true">{n}</div> })}
                        </div>
                    }.into_any(),
                    Phase::Capturing => view! {
                        <div class="cam-overlay bottom">
                            <div class="step-label">{move || step_label.get()}</div>
                            <div class="prompt-big">
                                <span class="picto" aria-hidden="true">{move || prompt.get().2}</span>
                                {move || prompt.get().0}
                            </div>
                            <div class="prompt-sub">{move || prompt.get().1}</div>
                            <div class="progress" role="progressbar" aria-label="Perekaman" aria-valuemin="0" aria-valuemax="100"
                                aria-valuenow=move || ((progress.get() * 100.0).round() as i64).to_string()>
                                <span style=move || format!("width:{:.0}%", progress.get() * 100.0)></span>
                            </div>
                        </div>
                    }.into_any(),
                    Phase::Sending => view! {
                        <div class="cam-overlay">
                            <span class="spinner big" aria-hidden="true"></span>
                            <div class="prompt-big">"Memverifikasi wajah…"</div>
                        </div>
                    }.into_any(),
                    _ => ().into_any(),
                }}
                {move || cam_error.get().map(|m| view! {
                    <div class="cam-overlay">
                        <div class="prompt-sub">{m}</div>
                        <button class="btn" on:click=move |_| start_cam()>"Coba nyalakan kamera lagi"</button>
                    </div>
                })}
            </div>
            <canvas node_ref=canvas class="hidden"></canvas>

            // Live announcements for screen readers.
            <div class="sr-only" aria-live="assertive">
                {move || match phase.get() {
                    Phase::Capturing => prompt.get().0,
                    Phase::Sending => "Memverifikasi wajah".into(),
                    _ => String::new(),
                }}
            </div>

            <GpsLine gps=gps config=config/>

            {move || match phase.get() {
                Phase::Idle => view! {
                    <div class="kiosk-actions">
                        {move || blocked_reason().map(|r| view! { <p class="kiosk-note" role="status">{r}</p> })}
                        <button class="btn primary huge" disabled=move || blocked_reason().is_some() on:click=move |_| verify(Mode::Attend)>
                            "Absen Sekarang"
                        </button>
                        <button class="btn ghost block" on:click=move |_| { leave_error.set(None); phase.set(Phase::LeaveForm) }>
                            "Ajukan Izin / Sakit / Cuti"
                        </button>
                        <p class="muted small center">
                            "Foto wajah hanya dipakai untuk verifikasi dan tidak disimpan."
                        </p>
                    </div>
                }.into_any(),
                Phase::LeaveForm => view! {
                    <form class="kiosk-leave card" on:submit=submit_leave novalidate>
                        <h2>"Pengajuan izin"</h2>
                        <p class="muted small">"Isi pengajuan, lalu verifikasi wajah Anda untuk mengirim."</p>
                        {move || leave_error.get().map(|m| view! { <div class="alert bad" role="alert">{m}</div> })}
                        <fieldset class="field">
                            <legend>"Jenis"</legend>
                            <div class="seg">
                                {JENIS.iter().map(|j| view! {
                                    <label class="seg-item">
                                        <input type="radio" name="k-jenis" value=*j
                                            prop:checked=move || jenis.get() == *j
                                            on:change=move |_| jenis.set((*j).to_owned())/>
                                        <span>{*j}</span>
                                    </label>
                                }).collect_view()}
                            </div>
                        </fieldset>
                        <div class="row">
                            <label class="field grow"><span>"Mulai"</span><input type="date" bind:value=mulai/></label>
                            <label class="field grow"><span>"Selesai"</span><input type="date" bind:value=selesai/></label>
                        </div>
                        <label class="field">
                            <span>"Alasan"</span>
                            <textarea rows="3" maxlength="1000" bind:value=alasan></textarea>
                        </label>
                        <label class="field">
                            <span>"Foto bukti (opsional, mis. surat dokter)"</span>
                            <input type="file" accept="image/*" capture="environment" node_ref=bukti_input/>
                        </label>
                        <div class="form-actions">
                            <button type="button" class="btn" on:click=move |_| phase.set(Phase::Idle)>"Batal"</button>
                            <button type="submit" class="btn primary" disabled=move || blocked_reason().is_some()>
                                "Verifikasi wajah & kirim"
                            </button>
                        </div>
                    </form>
                }.into_any(),
                Phase::Done(o) => {
                    let cls = if o.ok { "result ok" } else { "result bad" };
                    view! {
                        <div class=cls role="alertdialog" aria-modal="true" aria-labelledby="res-title" aria-describedby="res-msg">
                            <div class="result-inner">
                                <div class="result-title" id="res-title">{o.title.clone()}</div>
                                {(!o.nama.is_empty()).then(|| view! { <div class="result-name">{o.nama.clone()}</div> })}
                                <div class="result-big" aria-hidden=(!o.ok).to_string()>{o.big.clone()}</div>
                                {(!o.status.is_empty()).then(|| view! {
                                    <div class=format!("result-status {}", o.status_tone)>{o.status.clone()}</div>
                                })}
                                <p class="result-msg" id="res-msg">{o.message.clone()}</p>
                                {(!o.hint.is_empty()).then(|| view! { <p class="result-hint">{o.hint.clone()}</p> })}
                                <button class="btn huge light" on:click=done_now autofocus>
                                    {move || format!("Selesai ({})", reset_in.get())}
                                </button>
                            </div>
                        </div>
                    }.into_any()
                }
                _ => view! { <div class="kiosk-actions"><p class="kiosk-note">{move || if mode.get() == Mode::Leave { "Memverifikasi untuk pengajuan izin…" } else { "Jangan bergerak terlalu cepat, ikuti petunjuk." }}</p></div> }.into_any(),
            }}
        </main>
    }
}

#[component]
fn GpsLine(gps: RwSignal<GpsState>, config: api::Remote<KioskConfig>) -> impl IntoView {
    move || {
        let cfg = config.get().and_then(|r| r.ok());
        let geofence = cfg.as_ref().is_some_and(|c| c.geofence_enabled);
        let (tone, text) = match gps.get() {
            GpsState::Waiting => ("warn", "Mencari lokasi GPS…".to_owned()),
            GpsState::Error(m) => (if geofence { "bad" } else { "muted" }, m),
            GpsState::Fix(f) => {
                let acc = format!("Lokasi ±{}", fmt::distance(f.accuracy));
                let max_acc = cfg.as_ref().map(|c| c.gps_max_accuracy_m).unwrap_or(0.0);
                let acc_bad = max_acc > 0.0 && f.accuracy > max_acc;
                match cfg.as_ref().filter(|c| c.geofence_enabled).and_then(|c| nearest(c, &f)) {
                    Some((name, d, radius)) => {
                        let inside = d <= radius;
                        let tone = if acc_bad || !inside { "bad" } else { "ok" };
                        let mut t = format!("{acc} · {} dari {name}", fmt::distance(d));
                        if !inside {
                            t.push_str(&format!(" (di luar radius {})", fmt::distance(radius)));
                        }
                        if acc_bad {
                            t.push_str(" · akurasi rendah");
                        }
                        (tone, t)
                    }
                    None => (if acc_bad { "warn" } else { "ok" }, acc),
                }
            }
        };
        let text = if !geofence && cfg.is_some() { format!("{text} · geofence nonaktif") } else { text };
        view! {
            <p class=format!("gps-line {tone}") role="status">
                <span class="gps-dot" aria-hidden="true"></span>
                {text}
            </p>
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(steps: &[&str]) -> Vec<(Option<usize>, f64)> {
        burst_plan(&steps.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn burst_stays_within_the_servers_frame_range() {
        for steps in [
            &[][..],
            &["BLINK"][..],
            &["TURN_LEFT"][..],
            &["BLINK", "TURN_LEFT"][..],
            &["TURN_LEFT", "BLINK", "TURN_RIGHT"][..],
            &["BLINK", "BLINK", "TURN_LEFT", "TURN_RIGHT", "LOOK_UP"][..],
        ] {
            let p = plan(steps);
            assert!((MIN_FRAMES..=MAX_FRAMES).contains(&p.len()), "{steps:?}: {}", p.len());
            assert!(p.windows(2).all(|w| w[1].1 > w[0].1), "times increase");
            for i in 0..steps.len() {
                assert!(p.iter().any(|f| f.0 == Some(i)), "{steps:?}: step {i} has frames");
            }
        }
    }

    #[test]
    fn blink_is_sampled_densely() {
        let p = plan(&["BLINK", "TURN_LEFT"]);
        let blink: Vec<f64> = p.iter().filter(|f| f.0 == Some(0)).map(|f| f.1).collect();
        assert_eq!(blink.len(), BLINK_FRAMES);
        assert!(blink.windows(2).all(|w| w[1] - w[0] <= 100.0));
        assert_eq!(p.len(), 20);
    }
}
