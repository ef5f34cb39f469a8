//! `/karyawan`: employee list with search and pagination; create, edit, deactivate; profile photo; face status.

use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::types::{Employee, EmployeeInput, Page, Shift};
use crate::ui::{first_file, none_if_empty, toast_err, toast_ok, ErrorBox, Loading, Modal, Pager};

const PER_PAGE: u64 = 20;

#[derive(Clone, PartialEq)]
enum Dialog {
    None,
    Form(Option<Employee>),
    Photo(Employee),
}

#[component]
pub fn Karyawan() -> impl IntoView {
    let q_input = RwSignal::new(String::new());
    let q = RwSignal::new(String::new());
    let aktif = RwSignal::new("true".to_owned());
    let shift_filter = RwSignal::new(String::new());
    let page = RwSignal::new(1u64);
    let reload = RwSignal::new(0u32);
    let photo_ver = RwSignal::new(0u32);
    let dialog = RwSignal::new(Dialog::None);

    // Debounce the search box.
    Effect::new(move |_| {
        let v = q_input.get();
        set_timeout(
            move || {
                if q_input.get_untracked() == v && q.get_untracked() != v {
                    q.set(v);
                    page.set(1);
                }
            },
            std::time::Duration::from_millis(300),
        );
    });

    let shifts = api::Remote::<Vec<Shift>>::fixed("/api/shifts");
    let list = api::Remote::<Page<Employee>>::new(move || {
        reload.track();
        Some(api::with_query(
            "/api/employees",
            &[
                ("q", q.get()),
                ("aktif", aktif.get()),
                ("shift_id", shift_filter.get()),
                ("page", page.get().to_string()),
                ("per_page", PER_PAGE.to_string()),
            ],
        ))
    });
    let total = Signal::derive(move || list.get().and_then(|r| r.ok()).map(|p| p.total).unwrap_or(0));
    let refresh = move || reload.update(|n| *n += 1);

    let toggle_active = move |e: Employee| {
        leptos::task::spawn_local(async move {
            let r = if e.aktif {
                let msg = format!(
                    "Nonaktifkan {}? Karyawan nonaktif tidak dapat absen. Data absensinya tetap disimpan.",
                    e.nama
                );
                if !window().confirm_with_message(&msg).unwrap_or(false) {
                    return;
                }
                api::delete::<serde_json::Value>(&format!("/api/employees/{}", e.id)).await.map(|_| ())
            } else {
                let body = EmployeeInput {
                    kode: e.kode.clone(),
                    nama: e.nama.clone(),
                    email: e.email.clone(),
                    shift_id: e.shift_id,
                    aktif: true,
                };
                api::put_json::<_, Employee>(&format!("/api/employees/{}", e.id), &body).await.map(|_| ())
            };
            match r {
                Ok(()) => {
                    toast_ok(if e.aktif { "Karyawan dinonaktifkan." } else { "Karyawan diaktifkan kembali." });
                    refresh();
                }
                Err(err) => toast_err(&err),
            }
        });
    };

    view! {
        <div class="page-head">
            <div>
                <h1>"Karyawan"</h1>
                <p class="muted">"Data karyawan, shift, foto profil dan status wajah"</p>
            </div>
            <div class="row wrap">
                <button class="btn" on:click=move |_| crate::pages::laporan::download_employees()>
                    "⬇ Unduh data karyawan"
                </button>
                <button class="btn primary" on:click=move |_| dialog.set(Dialog::Form(None))>
                    "+ Tambah karyawan"
                </button>
            </div>
        </div>

        <div class="card">
            <div class="filters">
                <label class="field grow">
                    <span>"Cari"</span>
                    <input type="search" placeholder="Kode, nama atau e-mail" bind:value=q_input/>
                </label>
                <label class="field">
                    <span>"Status"</span>
                    <select
                        prop:value=move || aktif.get()
                        on:change=move |ev| {
                            aktif.set(event_target_value(&ev));
                            page.set(1);
                        }
                    >
                        <option value="true">"Aktif"</option>
                        <option value="false">"Nonaktif"</option>
                        <option value="">"Semua"</option>
                    </select>
                </label>
                <label class="field">
                    <span>"Shift"</span>
                    <select
                        prop:value=move || shift_filter.get()
                        on:change=move |ev| {
                            shift_filter.set(event_target_value(&ev));
                            page.set(1);
                        }
                    >
                        <option value="">"Semua shift"</option>
                        {move || {
                            shifts
                                .get()
                                .and_then(|r| r.ok())
                                .unwrap_or_default()
                                .into_iter()
                                .map(|s| view! { <option value=s.id.to_string()>{s.nama}</option> })
                                .collect_view()
                        }}
                    </select>
                </label>
            </div>

            {move || match list.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <div class="alert bad" role="alert">{e.message}</div> }.into_any(),
                Some(Ok(p)) if p.items.is_empty() => {
                    view! { <p class="empty">"Belum ada karyawan yang cocok."</p> }.into_any()
                }
                Some(Ok(p)) => {
                    view! {
                        <div class="table-wrap">
                            <table class="table cards">
                                <thead>
                                    <tr>
                                        <th scope="col"><span class="sr-only">"Foto"</span></th>
                                        <th scope="col">"Kode"</th>
                                        <th scope="col">"Nama"</th>
                                        <th scope="col">"Shift"</th>
                                        <th scope="col">"Status"</th>
                                        <th scope="col">"Wajah"</th>
                                        <th scope="col"><span class="sr-only">"Aksi"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {p
                                        .items
                                        .into_iter()
                                        .map(|e| {
                                            let e_edit = e.clone();
                                            let e_photo = e.clone();
                                            let e_toggle = e.clone();
                                            let id = e.id;
                                            view! {
                                                <tr class:inactive=!e.aktif>
                                                    <td class="avatar-cell">
                                                        <Avatar nama=e.nama.clone() url=e.foto_url.clone() ver=photo_ver/>
                                                    </td>
                                                    <td class="mono" data-label="Kode">{e.kode.clone()}</td>
                                                    <td data-label="Nama">
                                                        <strong>{e.nama.clone()}</strong>
                                                        <div class="muted small">{e.email.clone().unwrap_or_default()}</div>
                                                    </td>
                                                    <td data-label="Shift">{e.shift_nama.clone().unwrap_or_else(|| "–".into())}</td>
                                                    <td data-label="Status">
                                                        {if e.aktif {
                                                            view! { <span class="badge ok">"Aktif"</span> }
                                                        } else {
                                                            view! { <span class="badge">"Nonaktif"</span> }
                                                        }}
                                                    </td>
                                                    <td data-label="Wajah">
                                                        <a href=format!("/register?employee={id}") class="nowrap">
                                                            {if e.face_registered {
                                                                view! { <span class="badge ok">"✓ Terdaftar"</span> }
                                                            } else {
                                                                view! { <span class="badge warn">"Belum"</span> }
                                                            }}
                                                        </a>
                                                    </td>
                                                    <td class="actions">
                                                        <button
                                                            class="btn small"
                                                            on:click=move |_| dialog.set(Dialog::Form(Some(e_edit.clone())))
                                                        >
                                                            "Ubah"
                                                        </button>
                                                        <button
                                                            class="btn small"
                                                            on:click=move |_| dialog.set(Dialog::Photo(e_photo.clone()))
                                                        >
                                                            "Foto"
                                                        </button>
                                                        <button
                                                            class=if e.aktif { "btn small danger" } else { "btn small" }
                                                            on:click=move |_| toggle_active(e_toggle.clone())
                                                        >
                                                            {if e.aktif { "Nonaktifkan" } else { "Aktifkan" }}
                                                        </button>
                                                    </td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                        .into_any()
                }
            }}
            <Pager page=page total=total per_page=PER_PAGE/>
        </div>

        {move || match dialog.get() {
            Dialog::None => ().into_any(),
            Dialog::Form(e) => {
                view! {
                    <EmployeeForm
                        employee=e
                        shifts=shifts
                        on_close=Callback::new(move |saved: bool| {
                            dialog.set(Dialog::None);
                            if saved {
                                refresh();
                            }
                        })
                    />
                }
                    .into_any()
            }
            Dialog::Photo(e) => {
                view! {
                    <PhotoDialog
                        employee=e
                        on_close=Callback::new(move |changed: bool| {
                            dialog.set(Dialog::None);
                            if changed {
                                photo_ver.update(|v| *v += 1);
                                refresh();
                            }
                        })
                    />
                }
                    .into_any()
            }
        }}
    }
}

/// Round profile picture, or the initials when there is none.
#[component]
pub fn Avatar(nama: String, url: Option<String>, ver: RwSignal<u32>) -> impl IntoView {
    let initials: String =
        nama.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect::<String>().to_uppercase();
    match url {
        Some(u) => view! {
            <img class="avatar" src=move || format!("{u}?v={}", ver.get()) alt="" loading="lazy" width="36" height="36"/>
        }
        .into_any(),
        None => view! { <span class="avatar initials" aria-hidden="true">{initials}</span> }.into_any(),
    }
}

#[component]
fn EmployeeForm(
    employee: Option<Employee>,
    shifts: api::Remote<Vec<Shift>>,
    on_close: Callback<bool>,
) -> impl IntoView {
    let editing = employee.as_ref().map(|e| e.id);
    let e = employee.unwrap_or(Employee { aktif: true, ..Default::default() });
    let kode = RwSignal::new(e.kode.clone());
    let nama = RwSignal::new(e.nama.clone());
    let email = RwSignal::new(e.email.clone().unwrap_or_default());
    let shift_id = RwSignal::new(e.shift_id.map(|s| s.to_string()).unwrap_or_default());
    let aktif = RwSignal::new(e.aktif);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);

    let field_err = move |name: &'static str| move || error.get().and_then(|e| e.field(name));

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = EmployeeInput {
            kode: kode.get_untracked().trim().to_owned(),
            nama: nama.get_untracked().trim().to_owned(),
            email: none_if_empty(email.get_untracked()),
            shift_id: shift_id.get_untracked().parse().ok(),
            aktif: aktif.get_untracked(),
        };
        if body.kode.is_empty() || body.nama.is_empty() {
            error.set(Some(ApiError {
                status: 0,
                code: "VALIDATION".into(),
                message: "Kode dan nama wajib diisi.".into(),
                details: serde_json::Value::Null,
            }));
            return;
        }
        crate::ui::run(busy, error, async move {
            match editing {
                Some(id) => api::put_json::<_, Employee>(&format!("/api/employees/{id}"), &body).await?,
                None => api::post_json::<_, Employee>("/api/employees", &body).await?,
            };
            toast_ok(if editing.is_some() { "Data karyawan disimpan." } else { "Karyawan ditambahkan." });
            on_close.run(true);
            Ok(())
        });
    };

    view! {
        <Modal
            title=if editing.is_some() { "Ubah karyawan" } else { "Tambah karyawan" }
            on_close=Callback::new(move |_| on_close.run(false))
        >
            <form on:submit=submit class="form" novalidate>
                <ErrorBox error=error/>
                <label class="field">
                    <span>"Kode karyawan *"</span>
                    <input type="text" required maxlength="50" bind:value=kode autocomplete="off"/>
                    <small class="field-err">{field_err("kode")}</small>
                </label>
                <label class="field">
                    <span>"Nama lengkap *"</span>
                    <input type="text" required maxlength="191" bind:value=nama autocomplete="off"/>
                    <small class="field-err">{field_err("nama")}</small>
                </label>
                <label class="field">
                    <span>"E-mail"</span>
                    <input type="email" maxlength="191" bind:value=email autocomplete="off"/>
                    <small class="field-err">{field_err("email")}</small>
                </label>
                <label class="field">
                    <span>"Shift"</span>
                    <select prop:value=move || shift_id.get() on:change=move |ev| shift_id.set(event_target_value(&ev))>
                        <option value="">"— Tanpa shift —"</option>
                        {move || {
                            let current = shift_id.get_untracked();
                            shifts
                                .get()
                                .and_then(|r| r.ok())
                                .unwrap_or_default()
                                .into_iter()
                                .map(|s| {
                                    let v = s.id.to_string();
                                    let sel = v == current;
                                    view! {
                                        <option value=v selected=sel>
                                            {format!("{} ({}–{})", s.nama, s.jam_masuk, s.jam_pulang)}
                                        </option>
                                    }
                                })
                                .collect_view()
                        }}
                    </select>
                    <small class="field-err">{field_err("shift_id")}</small>
                </label>
                <label class="check">
                    <input type="checkbox" bind:checked=aktif/>
                    <span>"Aktif (boleh absen)"</span>
                </label>
                <div class="form-actions">
                    <button type="button" class="btn" on:click=move |_| on_close.run(false)>"Batal"</button>
                    <button type="submit" class="btn primary" disabled=move || busy.get()>
                        {move || if busy.get() { "Menyimpan…" } else { "Simpan" }}
                    </button>
                </div>
            </form>
        </Modal>
    }
}

#[component]
fn PhotoDialog(employee: Employee, on_close: Callback<bool>) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let preview = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let changed = RwSignal::new(false);
    let has_photo = RwSignal::new(employee.foto_url.is_some());
    let id = employee.id;

    let on_pick = move |_| {
        if let Some(old) = preview.get_untracked() {
            crate::media::revoke_url(&old);
        }
        preview.set(first_file(&input).map(|f| crate::media::object_url(&f)));
    };
    on_cleanup(move || {
        if let Some(old) = preview.get_untracked() {
            crate::media::revoke_url(&old);
        }
    });

    let upload = move |_| {
        let Some(file) = first_file(&input) else {
            error.set(Some(ApiError {
                status: 0,
                code: "VALIDATION".into(),
                message: "Pilih foto terlebih dahulu.".into(),
                details: serde_json::Value::Null,
            }));
            return;
        };
        if file.size() > 5.0 * 1024.0 * 1024.0 {
            error.set(Some(ApiError {
                status: 0,
                code: "PAYLOAD_TOO_LARGE".into(),
                message: "Ukuran foto maksimal 5 MB.".into(),
                details: serde_json::Value::Null,
            }));
            return;
        }
        crate::ui::run(busy, error, async move {
            let form = web_sys::FormData::new().unwrap();
            let _ = form.append_with_blob_and_filename("photo", &file, &file.name());
            api::post_form::<Employee>(&format!("/api/employees/{id}/photo"), form).await?;
            toast_ok("Foto profil disimpan.");
            changed.set(true);
            on_close.run(true);
            Ok(())
        });
    };

    let remove = move |_| {
        if !window().confirm_with_message("Hapus foto profil?").unwrap_or(false) {
            return;
        }
        crate::ui::run(busy, error, async move {
            api::delete::<()>(&format!("/api/employees/{id}/photo")).await?;
            toast_ok("Foto profil dihapus.");
            has_photo.set(false);
            changed.set(true);
            Ok(())
        });
    };

    view! {
        <Modal
            title=format!("Foto profil — {}", employee.nama)
            on_close=Callback::new(move |_| on_close.run(changed.get_untracked()))
        >
            <ErrorBox error=error/>
            <div class="photo-row">
                {move || match (preview.get(), has_photo.get()) {
                    (Some(u), _) => view! { <img class="photo-big" src=u alt="Pratinjau foto baru"/> }.into_any(),
                    (None, true) => {
                        view! {
                            <img class="photo-big" src=format!("/api/employees/{id}/photo?t={}", crate::media::now_ms()) alt="Foto profil saat ini"/>
                        }
                            .into_any()
                    }
                    (None, false) => view! { <div class="photo-big empty-photo">"Belum ada foto"</div> }.into_any(),
                }}
                <div class="grow">
                    <label class="field">
                        <span>"Pilih foto (JPEG/PNG/WebP, maks. 5 MB)"</span>
                        <input type="file" accept="image/jpeg,image/png,image/webp" node_ref=input on:change=on_pick/>
                    </label>
                    <p class="muted small">
                        "Foto profil hanya untuk tampilan. Pengenalan wajah memakai registrasi wajah terpisah."
                    </p>
                </div>
            </div>
            <div class="form-actions">
                <Show when=move || has_photo.get()>
                    <button class="btn danger" on:click=remove disabled=move || busy.get()>"Hapus foto"</button>
                </Show>
                <button class="btn primary" on:click=upload disabled=move || busy.get()>
                    {move || if busy.get() { "Mengunggah…" } else { "Unggah" }}
                </button>
            </div>
        </Modal>
    }
}
