//! `/shift`: work shifts (CRUD). A shift still used by employees cannot be deleted: deactivate it instead.

use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::types::{Shift, ShiftInput};
use crate::ui::{toast_err, toast_ok, ErrorBox, Loading, Modal};

#[component]
pub fn ShiftPage() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let editing = RwSignal::new(None::<Option<Shift>>);
    let list = api::Remote::<Vec<Shift>>::new(move || {
        reload.track();
        Some("/api/shifts".to_owned())
    });

    let remove = move |s: Shift| {
        if !window().confirm_with_message(&format!("Hapus shift {}?", s.nama)).unwrap_or(false) {
            return;
        }
        leptos::task::spawn_local(async move {
            match api::delete::<()>(&format!("/api/shifts/{}", s.id)).await {
                Ok(()) => {
                    toast_ok("Shift dihapus.");
                    reload.update(|n| *n += 1);
                }
                Err(e) if e.code == "SHIFT_IN_USE" => {
                    let msg = format!(
                        "{}\n\nNonaktifkan shift ini saja? Karyawan yang memakainya tetap tercatat.",
                        e.message
                    );
                    if window().confirm_with_message(&msg).unwrap_or(false) {
                        let body = ShiftInput {
                            nama: s.nama.clone(),
                            jam_masuk: s.jam_masuk.clone(),
                            jam_pulang: s.jam_pulang.clone(),
                            toleransi_menit: s.toleransi_menit,
                            aktif: false,
                        };
                        match api::put_json::<_, Shift>(&format!("/api/shifts/{}", s.id), &body).await {
                            Ok(_) => {
                                toast_ok("Shift dinonaktifkan.");
                                reload.update(|n| *n += 1);
                            }
                            Err(e) => toast_err(&e),
                        }
                    }
                }
                Err(e) => toast_err(&e),
            }
        });
    };

    view! {
        <div class="page-head">
            <div>
                <h1>"Shift"</h1>
                <p class="muted">"Jam kerja dan toleransi keterlambatan"</p>
            </div>
            <button class="btn primary" on:click=move |_| editing.set(Some(None))>"+ Tambah shift"</button>
        </div>
        <div class="card">
            {move || match list.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <div class="alert bad" role="alert">{e.message}</div> }.into_any(),
                Some(Ok(v)) if v.is_empty() => {
                    view! { <p class="empty">"Belum ada shift. Tambahkan shift pertama, misalnya “Reguler 08:00–17:00”."</p> }
                        .into_any()
                }
                Some(Ok(v)) => {
                    view! {
                        <div class="table-wrap">
                            <table class="table cards">
                                <thead>
                                    <tr>
                                        <th scope="col">"Nama"</th>
                                        <th scope="col">"Jam masuk"</th>
                                        <th scope="col">"Jam pulang"</th>
                                        <th scope="col">"Toleransi"</th>
                                        <th scope="col">"Karyawan"</th>
                                        <th scope="col">"Status"</th>
                                        <th scope="col"><span class="sr-only">"Aksi"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {v
                                        .into_iter()
                                        .map(|s| {
                                            let night = s.jam_pulang < s.jam_masuk;
                                            let s_edit = s.clone();
                                            let s_del = s.clone();
                                            view! {
                                                <tr class:inactive=!s.aktif>
                                                    <td data-label="Nama">
                                                        <strong>{s.nama.clone()}</strong>
                                                        {night.then(|| view! { <span class="badge info">"Malam"</span> })}
                                                    </td>
                                                    <td class="mono" data-label="Jam masuk">{s.jam_masuk.clone()}</td>
                                                    <td class="mono" data-label="Jam pulang">{s.jam_pulang.clone()}</td>
                                                    <td data-label="Toleransi">{format!("{} menit", s.toleransi_menit)}</td>
                                                    <td data-label="Karyawan">{s.employee_count}</td>
                                                    <td data-label="Status">
                                                        {if s.aktif {
                                                            view! { <span class="badge ok">"Aktif"</span> }
                                                        } else {
                                                            view! { <span class="badge">"Nonaktif"</span> }
                                                        }}
                                                    </td>
                                                    <td class="actions">
                                                        <button class="btn small" on:click=move |_| editing.set(Some(Some(s_edit.clone())))>"Ubah"</button>
                                                        <button class="btn small danger" on:click=move |_| remove(s_del.clone())>"Hapus"</button>
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
        </div>
        {move || {
            editing
                .get()
                .map(|s| {
                    view! {
                        <ShiftForm
                            shift=s
                            on_close=Callback::new(move |saved: bool| {
                                editing.set(None);
                                if saved {
                                    reload.update(|n| *n += 1);
                                }
                            })
                        />
                    }
                })
        }}
    }
}

#[component]
fn ShiftForm(shift: Option<Shift>, on_close: Callback<bool>) -> impl IntoView {
    let id = shift.as_ref().map(|s| s.id);
    let s = shift.unwrap_or(Shift {
        jam_masuk: "08:00".into(),
        jam_pulang: "17:00".into(),
        toleransi_menit: 5,
        aktif: true,
        ..Default::default()
    });
    let nama = RwSignal::new(s.nama);
    let masuk = RwSignal::new(s.jam_masuk);
    let pulang = RwSignal::new(s.jam_pulang);
    let toleransi = RwSignal::new(s.toleransi_menit.to_string());
    let aktif = RwSignal::new(s.aktif);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let night = move || !masuk.get().is_empty() && pulang.get() < masuk.get();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let tol: i64 = toleransi.get_untracked().trim().parse().unwrap_or(-1);
        let body = ShiftInput {
            nama: nama.get_untracked().trim().to_owned(),
            jam_masuk: masuk.get_untracked(),
            jam_pulang: pulang.get_untracked(),
            toleransi_menit: tol,
            aktif: aktif.get_untracked(),
        };
        let bad = if body.nama.is_empty() {
            Some("Nama shift wajib diisi.")
        } else if body.jam_masuk.is_empty() || body.jam_pulang.is_empty() {
            Some("Isi jam masuk dan jam pulang.")
        } else if !(0..=240).contains(&tol) {
            Some("Toleransi harus 0–240 menit.")
        } else {
            None
        };
        if let Some(m) = bad {
            error.set(Some(ApiError {
                status: 0,
                code: "VALIDATION".into(),
                message: m.into(),
                details: serde_json::Value::Null,
            }));
            return;
        }
        crate::ui::run(busy, error, async move {
            match id {
                Some(id) => api::put_json::<_, Shift>(&format!("/api/shifts/{id}"), &body).await?,
                None => api::post_json::<_, Shift>("/api/shifts", &body).await?,
            };
            toast_ok("Shift disimpan.");
            on_close.run(true);
            Ok(())
        });
    };

    view! {
        <Modal title=if id.is_some() { "Ubah shift" } else { "Tambah shift" } on_close=Callback::new(move |_| on_close.run(false))>
            <form class="form" on:submit=submit novalidate>
                <ErrorBox error=error/>
                <label class="field">
                    <span>"Nama shift *"</span>
                    <input type="text" maxlength="191" bind:value=nama placeholder="mis. Reguler"/>
                </label>
                <div class="row">
                    <label class="field grow">
                        <span>"Jam masuk *"</span>
                        <input type="time" bind:value=masuk/>
                    </label>
                    <label class="field grow">
                        <span>"Jam pulang *"</span>
                        <input type="time" bind:value=pulang/>
                    </label>
                </div>
                <Show when=night>
                    <p class="alert info small">"Shift malam: jam pulang jatuh di hari berikutnya. Absensi dicatat pada tanggal shift dimulai."</p>
                </Show>
                <label class="field">
                    <span>"Toleransi terlambat (menit)"</span>
                    <input type="number" min="0" max="240" inputmode="numeric" bind:value=toleransi/>
                </label>
                <label class="check">
                    <input type="checkbox" bind:checked=aktif/>
                    <span>"Aktif"</span>
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
