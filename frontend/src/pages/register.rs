//! `/register`: face registration for one employee. Guided capture of several frames (frontal plus small
//! turns) from the camera, or uploaded photos; the server answers with a per-frame report, a duplicate-face
//! warning naming the other employee, or success. Also deletes face data (a privacy right).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use web_sys::Blob;

use crate::api::{self, ApiError};
use crate::fmt;
use crate::media;
use crate::picker::EmployeePicker;
use crate::types::{Employee, EmployeeRef, FaceRegistered, FaceStatus, FrameReport};
use crate::ui::{toast_err, toast_ok, ErrorBox, Loading};

/// (short label, instruction) for each guided frame.
const GUIDE: [(&str, &str); 5] = [
    ("Depan", "Lihat lurus ke kamera"),
    ("Kiri", "Tolehkan kepala sedikit ke kiri"),
    ("Kanan", "Tolehkan kepala sedikit ke kanan"),
    ("Atas", "Angkat dagu sedikit"),
    ("Depan", "Lihat lurus lagi, wajah santai"),
];
const MAX_FRAMES: usize = 10;

#[derive(Clone)]
struct Shot {
    blob: Blob,
    url: String,
}

/// Indonesian text for a per-frame quality reason code (unknown codes are shown as the server sent them).
fn reason_text(r: &str) -> String {
    match r {
        "NO_FACE" => "Wajah tidak terdeteksi".into(),
        "MULTIPLE_FACES" => "Lebih dari satu wajah".into(),
        "FACE_TOO_SMALL" => "Wajah terlalu kecil, dekatkan kamera".into(),
        "BLURRY" | "TOO_BLURRY" => "Gambar buram".into(),
        "NOT_FRONTAL" => "Wajah tidak menghadap kamera".into(),
        "TOO_DARK" => "Terlalu gelap".into(),
        "TOO_BRIGHT" => "Terlalu terang".into(),
        "INCONSISTENT" | "MISMATCH" => "Tidak cocok dengan foto lain".into(),
        "DECODE" | "INVALID_IMAGE" => "Berkas gambar rusak".into(),
        // A code we do not know yet: make it readable; a sentence from the server stays as it is.
        other if other.chars().all(|c| c.is_ascii_uppercase() || c == '_') => other.replace('_', " ").to_lowercase(),
        other => other.to_owned(),
    }
}

#[component]
pub fn Register() -> impl IntoView {
    let query = use_query_map();
    let picked = RwSignal::new(None::<Employee>);
    let selected = Memo::new(move |_| picked.with(|e| e.as_ref().map(|e| e.id)));
    // `/register?employee=ID` (from the employee list) starts with that employee chosen.
    if let Some(id) = query.get_untracked().get("employee").and_then(|v| v.parse::<i64>().ok()) {
        leptos::task::spawn_local(async move {
            match api::get_json::<Employee>(&format!("/api/employees/{id}")).await {
                Ok(e) => picked.set(Some(e)),
                Err(e) => toast_err(&e),
            }
        });
    }
    let status_reload = RwSignal::new(0u32);
    let face = api::Remote::<FaceStatus>::new(move || {
        status_reload.track();
        selected.get().map(|id| format!("/api/employees/{id}/face"))
    });

    let video = NodeRef::<leptos::html::Video>::new();
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let stream = StoredValue::new_local(None::<web_sys::MediaStream>);
    let cam_error = RwSignal::new(None::<String>);
    let cam_ready = RwSignal::new(false);

    let shots = RwSignal::new_local(Vec::<Shot>::new());
    let countdown = RwSignal::new(0u32);
    let capturing = RwSignal::new(false);
    let report = RwSignal::new(Vec::<FrameReport>::new());
    let duplicate = RwSignal::new(None::<EmployeeRef>);
    let consent = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let files = NodeRef::<leptos::html::Input>::new();

    // Camera on while the page is open.
    Effect::new(move |_| {
        let Some(v) = video.get() else { return };
        leptos::task::spawn_local(async move {
            match media::start_camera(&v).await {
                Ok(s) => {
                    stream.set_value(Some(s));
                    cam_ready.set(true);
                }
                Err(e) => cam_error.set(Some(media::camera_error_message(&e))),
            }
        });
    });
    on_cleanup(move || {
        capturing.set(false);
        if let Some(s) = stream.try_get_value().flatten() {
            media::stop_stream(&s);
        }
        if let Some(v) = shots.try_get_untracked() {
            for s in v {
                media::revoke_url(&s.url);
            }
        }
    });

    let clear_results = move || {
        report.set(Vec::new());
        duplicate.set(None);
        error.set(None);
    };
    let reset_shots = move || {
        shots.update(|v| {
            for s in v.drain(..) {
                media::revoke_url(&s.url);
            }
        });
        clear_results();
    };
    // A new employee starts a new capture.
    Effect::new(move |prev: Option<Option<i64>>| {
        let cur = selected.get();
        if prev.is_some() && prev != Some(cur) {
            reset_shots();
            consent.set(false);
        }
        cur
    });

    // Guided capture: a 3-second countdown per remaining guide step.
    let start_capture = move |_| {
        if capturing.get_untracked() {
            return;
        }
        clear_results();
        capturing.set(true);
        leptos::task::spawn_local(async move {
            while capturing.get_untracked() && shots.with_untracked(|s| s.len()) < GUIDE.len() {
                for n in (1..=3).rev() {
                    countdown.set(n);
                    media::sleep(1000).await;
                    if !capturing.get_untracked() {
                        countdown.set(0);
                        return;
                    }
                }
                countdown.set(0);
                let (Some(v), Some(c)) = (video.get_untracked(), canvas.get_untracked()) else { break };
                match media::capture_jpeg(&v, &c, 640, 0.92).await {
                    Ok(blob) => {
                        let url = media::object_url(&blob);
                        shots.update(|s| s.push(Shot { blob, url }));
                    }
                    Err(_) => {
                        cam_error.set(Some("Gagal mengambil gambar dari kamera.".into()));
                        break;
                    }
                }
                media::sleep(400).await;
            }
            capturing.set(false);
        });
    };

    let remove_shot = move |i: usize| {
        clear_results();
        shots.update(|v| {
            if i < v.len() {
                let s = v.remove(i);
                media::revoke_url(&s.url);
            }
        });
    };

    let on_files = move |_| {
        let Some(list) = files.get_untracked().and_then(|i| i.files()) else { return };
        clear_results();
        shots.update(|v| {
            for k in 0..list.length() {
                if v.len() >= MAX_FRAMES {
                    break;
                }
                if let Some(f) = list.get(k) {
                    let blob: Blob = f.into();
                    let url = media::object_url(&blob);
                    v.push(Shot { blob, url });
                }
            }
        });
        if let Some(i) = files.get_untracked() {
            i.set_value("");
        }
    };

    let submit = move |_| {
        let Some(id) = selected.get_untracked() else { return };
        let frames: Vec<Blob> = shots.with_untracked(|v| v.iter().map(|s| s.blob.clone()).collect());
        if frames.len() < 3 {
            error.set(Some(ApiError {
                status: 0,
                code: "VALIDATION".into(),
                message: "Ambil minimal 3 foto wajah.".into(),
                details: serde_json::Value::Null,
            }));
            return;
        }
        if !consent.get_untracked() {
            error.set(Some(ApiError {
                status: 0,
                code: "VALIDATION".into(),
                message: "Centang persetujuan karyawan terlebih dahulu.".into(),
                details: serde_json::Value::Null,
            }));
            return;
        }
        report.set(Vec::new());
        duplicate.set(None);
        crate::ui::run(busy, error, async move {
            let form = web_sys::FormData::new().unwrap();
            for (i, b) in frames.iter().enumerate() {
                let _ = form.append_with_blob_and_filename("frame", b, &format!("frame-{:02}.jpg", i + 1));
            }
            let _ = form.append_with_str("consent", "true");
            match api::post_form::<FaceRegistered>(&format!("/api/employees/{id}/face"), form).await {
                Ok(r) => {
                    report.set(r.frames);
                    toast_ok("Wajah berhasil didaftarkan.");
                    status_reload.update(|n| *n += 1);
                    Ok(())
                }
                Err(e) => {
                    if let Some(frames) = e.details.get("frames") {
                        if let Ok(f) = serde_json::from_value::<Vec<FrameReport>>(frames.clone()) {
                            report.set(f);
                        }
                    }
                    if let Some(emp) = e.details.get("employee") {
                        if let Ok(emp) = serde_json::from_value::<EmployeeRef>(emp.clone()) {
                            duplicate.set(Some(emp));
                        }
                    }
                    Err(e)
                }
            }
        });
    };

    let delete_face = move |_| {
        let Some(id) = selected.get_untracked() else { return };
        if !window()
            .confirm_with_message(
                "Hapus data wajah karyawan ini? Karyawan tidak bisa absen dengan wajah sampai didaftarkan ulang.",
            )
            .unwrap_or(false)
        {
            return;
        }
        leptos::task::spawn_local(async move {
            match api::delete::<()>(&format!("/api/employees/{id}/face")).await {
                Ok(()) => {
                    toast_ok("Data wajah dihapus.");
                    status_reload.update(|n| *n += 1);
                }
                Err(e) => toast_err(&e),
            }
        });
    };

    let step_text = move || {
        let n = shots.with(|s| s.len());
        if n >= GUIDE.len() {
            "Semua foto panduan sudah diambil. Periksa hasilnya lalu kirim.".to_owned()
        } else {
            format!("Langkah {} dari {}: {}", n + 1, GUIDE.len(), GUIDE[n].1)
        }
    };

    view! {
        <div class="page-head">
            <div>
                <h1>"Registrasi Wajah"</h1>
                <p class="muted">"Daftarkan wajah karyawan agar bisa absen di halaman Absen"</p>
            </div>
        </div>

        <div class="card">
            <EmployeePicker value=picked label="Karyawan" placeholder="Ketik nama atau kode karyawan…" active_only=true face_mark=true/>
            {move || match face.get() {
                Some(Ok(st)) => {
                    if st.registered && st.usable == Some(false) {
                        view! {
                            <div class="alert warn">
                                "Data wajah tersimpan dibuat dengan model lama dan tidak bisa dipakai. Daftarkan ulang wajah karyawan ini."
                            </div>
                        }
                            .into_any()
                    } else if st.registered {
                        view! {
                            <div class="alert ok row">
                                <span class="grow">
                                    "Wajah sudah terdaftar"
                                    {st.dibuat.map(|d| format!(" sejak {}", fmt::ts_medium(&d)))}
                                    ". Mendaftar lagi akan menggantikan data lama."
                                    {st.consent_by.map(|by| view! {
                                        <span class="muted small consent-note">
                                            {format!(
                                                "Persetujuan karyawan dikonfirmasi oleh {by}{}.",
                                                st.consent_at.map(|t| format!(" pada {}", fmt::ts_medium(&t))).unwrap_or_default()
                                            )}
                                        </span>
                                    })}
                                </span>
                                <button class="btn small danger" on:click=delete_face>"Hapus data wajah"</button>
                            </div>
                        }
                            .into_any()
                    } else {
                        view! { <div class="alert info">"Wajah karyawan ini belum terdaftar."</div> }.into_any()
                    }
                }
                Some(Err(e)) => view! { <div class="alert bad">{e.message}</div> }.into_any(),
                None if selected.get().is_none() => ().into_any(),
                None => view! { <Loading/> }.into_any(),
            }}
        </div>

        <div class="grid two reg-grid">
            <section class="card" aria-labelledby="cam-h">
                <h2 id="cam-h">"Kamera"</h2>
                <div class="cam-box">
                    <video node_ref=video class="mirror" autoplay playsinline muted aria-label="Pratinjau kamera"></video>
                    <Show when=move || { countdown.get() > 0 }>
                        <div class="countdown" aria-hidden="true">{move || countdown.get()}</div>
                    </Show>
                    <div class="face-guide" aria-hidden="true"></div>
                </div>
                <canvas node_ref=canvas class="hidden"></canvas>
                {move || cam_error.get().map(|m| view! { <div class="alert bad" role="alert">{m}</div> })}
                <p class="guide-step" aria-live="polite">{step_text}</p>
                <div class="row wrap">
                    <button
                        class="btn primary"
                        on:click=start_capture
                        disabled=move || {
                            !cam_ready.get() || capturing.get() || selected.get().is_none()
                                || shots.with(|s| s.len()) >= GUIDE.len()
                        }
                    >
                        {move || if capturing.get() { "Mengambil foto…" } else { "Mulai ambil foto" }}
                    </button>
                    <Show when=move || capturing.get()>
                        <button class="btn" on:click=move |_| capturing.set(false)>"Berhenti"</button>
                    </Show>
                    <label class="btn file-btn">
                        "Unggah foto…"
                        <input
                            type="file"
                            accept="image/jpeg,image/png"
                            multiple
                            node_ref=files
                            on:change=on_files
                            class="sr-only"
                            disabled=move || selected.get().is_none()
                        />
                    </label>
                </div>
                <p class="muted small">
                    "Tips: wajah terang dan jelas, tanpa masker atau kacamata hitam, satu orang saja di depan kamera."
                </p>
            </section>

            <section class="card" aria-labelledby="shots-h">
                <h2 id="shots-h">{move || format!("Foto ({})", shots.with(|s| s.len()))}</h2>
                {move || {
                    duplicate
                        .get()
                        .map(|d| {
                            view! {
                                <div class="alert bad" role="alert">
                                    <strong>"Wajah ini sudah terdaftar sebagai karyawan lain: "</strong>
                                    {format!("{} ({})", d.nama, d.kode)}
                                    ". Satu orang hanya boleh punya satu akun. Periksa kembali karyawan yang dipilih."
                                </div>
                            }
                        })
                }}
                <ErrorBox error=error/>
                <Show
                    when=move || shots.with(|s| !s.is_empty())
                    fallback=|| view! { <p class="empty">"Belum ada foto. Pilih karyawan lalu tekan “Mulai ambil foto”."</p> }
                >
                    <ul class="shots">
                        {move || {
                            let rep = report.get();
                            shots
                                .with(|v| v.iter().map(|s| s.url.clone()).collect::<Vec<_>>())
                                .into_iter()
                                .enumerate()
                                .map(|(i, url)| {
                                    let label = GUIDE.get(i).map(|g| g.0).unwrap_or("Tambahan");
                                    let r = rep.iter().find(|r| r.index == i).cloned();
                                    let cls = match &r {
                                        Some(r) if r.ok => "shot ok",
                                        Some(_) => "shot bad",
                                        None => "shot",
                                    };
                                    view! {
                                        <li class=cls>
                                            <img src=url alt=format!("Foto {} ({})", i + 1, label)/>
                                            <div class="shot-meta">
                                                <span>{format!("{}. {}", i + 1, label)}</span>
                                                <button class="icon-btn small" aria-label=format!("Hapus foto {}", i + 1) on:click=move |_| remove_shot(i)>
                                                    "×"
                                                </button>
                                            </div>
                                            {r.map(|r| {
                                                if r.ok {
                                                    view! { <div class="shot-verdict ok">"✓ Bagus"</div> }.into_any()
                                                } else {
                                                    let reasons = r.reasons.iter().map(|x| reason_text(x)).collect::<Vec<_>>().join(", ");
                                                    view! { <div class="shot-verdict bad">{format!("✗ {reasons}")}</div> }.into_any()
                                                }
                                            })}
                                        </li>
                                    }
                                })
                                .collect_view()
                        }}
                    </ul>
                </Show>
                <label class="check consent">
                    <input type="checkbox" bind:checked=consent/>
                    <span>
                        "Karyawan telah menyetujui pengolahan data wajahnya untuk absensi. "
                        "Foto tidak disimpan; hanya kode wajah (128 angka) yang disimpan dan dapat dihapus kapan saja."
                    </span>
                </label>
                <div class="row wrap">
                    <button class="btn" on:click=move |_| reset_shots() disabled=move || busy.get() || capturing.get()>
                        "Ulangi semua"
                    </button>
                    <button
                        class="btn primary"
                        on:click=submit
                        disabled=move || {
                            busy.get() || capturing.get() || selected.get().is_none()
                                || shots.with(|s| s.len()) < 3 || !consent.get()
                        }
                    >
                        {move || if busy.get() { "Memproses wajah…" } else { "Daftarkan wajah" }}
                    </button>
                </div>
            </section>
        </div>
    }
}
