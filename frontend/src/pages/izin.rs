//! `/izin`: leave and permission requests (izin, sakit, cuti): list and filter, create with a proof photo,
//! approve, reject, cancel, view the proof.

use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::fmt::{self, Ymd};
use crate::picker::EmployeePicker;
use crate::types::{Employee, Leave, Page};
use crate::ui::{first_file, toast_err, toast_ok, Badge, ErrorBox, Loading, Modal, Pager};

const PER_PAGE: u64 = 20;
pub const JENIS: [&str; 3] = ["Izin", "Sakit", "Cuti"];

#[derive(Clone, PartialEq)]
enum Dialog {
    None,
    Create,
    Proof(Leave),
}

/// Approve / reject / cancel. A 409 `LEAVE_CHANGED` or `LEAVE_INVALID_STATE` means someone else decided
/// meanwhile: the list is reloaded (`reload`) and the person is told so.
pub fn decide(id: i64, action: &'static str, reload: impl Fn() + 'static) {
    leptos::task::spawn_local(async move {
        match api::post_empty::<Leave>(&format!("/api/leaves/{id}/{action}")).await {
            Ok(_) => {
                toast_ok(match action {
                    "approve" => "Pengajuan disetujui.",
                    "reject" => "Pengajuan ditolak.",
                    _ => "Pengajuan dibatalkan.",
                });
                reload();
            }
            Err(e) if e.code == "LEAVE_CHANGED" || e.code == "LEAVE_INVALID_STATE" => {
                toast_err(&api::ApiError {
                    message: format!("{} Daftar sudah dimuat ulang.", e.message.trim_end()),
                    ..e
                });
                reload();
            }
            Err(e) => toast_err(&e),
        }
    });
}

#[component]
pub fn Izin() -> impl IntoView {
    let status = RwSignal::new("PENDING".to_owned());
    let employee = RwSignal::new(None::<Employee>);
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let page = RwSignal::new(1u64);
    let reload = RwSignal::new(0u32);
    let dialog = RwSignal::new(Dialog::None);
    // A new employee filter starts at the first page.
    Effect::new(move |prev: Option<Option<i64>>| {
        let cur = employee.with(|e| e.as_ref().map(|e| e.id));
        if prev.is_some_and(|p| p != cur) {
            page.set(1);
        }
        cur
    });

    let list = api::Remote::<Page<Leave>>::new(move || {
        reload.track();
        Some(api::with_query(
            "/api/leaves",
            &[
                ("status", status.get()),
                ("employee_id", employee.with(|e| e.as_ref().map(|e| e.id.to_string()).unwrap_or_default())),
                ("from", from.get()),
                ("to", to.get()),
                ("page", page.get().to_string()),
                ("per_page", PER_PAGE.to_string()),
            ],
        ))
    });
    let total = Signal::derive(move || list.get().and_then(|r| r.ok()).map(|p| p.total).unwrap_or(0));

    let act = move |id: i64, action: &'static str| {
        if action == "cancel"
            && !window()
                .confirm_with_message("Batalkan pengajuan ini? Catatan IZIN yang sudah dibuat akan dihapus.")
                .unwrap_or(false)
        {
            return;
        }
        decide(id, action, move || reload.update(|n| *n += 1));
    };

    let filter_select = move |sig: RwSignal<String>| {
        move |ev: leptos::ev::Event| {
            sig.set(event_target_value(&ev));
            page.set(1);
        }
    };

    view! {
        <div class="page-head">
            <div>
                <h1>"Izin & Cuti"</h1>
                <p class="muted">"Pengajuan izin, sakit dan cuti karyawan"</p>
            </div>
            <button class="btn primary" on:click=move |_| dialog.set(Dialog::Create)>"+ Buat pengajuan"</button>
        </div>

        <div class="card">
            <div class="filters">
                <label class="field">
                    <span>"Status"</span>
                    <select prop:value=move || status.get() on:change=filter_select(status)>
                        <option value="PENDING">"Menunggu"</option>
                        <option value="DISETUJUI">"Disetujui"</option>
                        <option value="DITOLAK">"Ditolak"</option>
                        <option value="">"Semua"</option>
                    </select>
                </label>
                <EmployeePicker value=employee label="Karyawan" placeholder="Semua karyawan"/>
                <label class="field">
                    <span>"Dari"</span>
                    <input type="date" prop:value=move || from.get() on:change=filter_select(from)/>
                </label>
                <label class="field">
                    <span>"Sampai"</span>
                    <input type="date" prop:value=move || to.get() on:change=filter_select(to)/>
                </label>
            </div>

            {move || match list.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <div class="alert bad" role="alert">{e.message}</div> }.into_any(),
                Some(Ok(p)) if p.items.is_empty() => {
                    view! { <p class="empty">"Tidak ada pengajuan."</p> }.into_any()
                }
                Some(Ok(p)) => {
                    view! {
                        <div class="table-wrap">
                            <table class="table cards">
                                <thead>
                                    <tr>
                                        <th scope="col">"Karyawan"</th>
                                        <th scope="col">"Jenis"</th>
                                        <th scope="col">"Tanggal"</th>
                                        <th scope="col">"Keterangan"</th>
                                        <th scope="col">"Status"</th>
                                        <th scope="col"><span class="sr-only">"Aksi"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {p
                                        .items
                                        .into_iter()
                                        .map(|l| {
                                            let id = l.id;
                                            let pending = l.status == "PENDING";
                                            let approved = l.status == "DISETUJUI";
                                            let proof = l.bukti_url.is_some().then(|| l.clone());
                                            let ket = if l.keterangan.is_empty() { l.alasan.clone() } else { l.keterangan.clone() };
                                            view! {
                                                <tr>
                                                    <td data-label="Karyawan">
                                                        <strong>{l.nama.clone()}</strong>
                                                        <div class="muted small mono">{l.kode.clone()}</div>
                                                    </td>
                                                    <td data-label="Jenis">{l.jenis.clone()}</td>
                                                    <td class="nowrap" data-label="Tanggal">
                                                        {fmt::date_range(&l.tanggal_mulai, &l.tanggal_selesai)}
                                                        <div class="muted small">{l.hari.map(|h| format!("{h} hari kerja"))}</div>
                                                    </td>
                                                    <td class="clamp-cell" data-label="Keterangan">{ket}</td>
                                                    <td data-label="Status"><Badge status=l.status.clone()/></td>
                                                    <td class="actions">
                                                        {proof.map(|l| view! {
                                                            <button class="btn small" on:click=move |_| dialog.set(Dialog::Proof(l.clone()))>"Bukti"</button>
                                                        })}
                                                        <Show when=move || pending>
                                                            <button class="btn small ok" on:click=move |_| act(id, "approve")>"Setujui"</button>
                                                            <button class="btn small danger" on:click=move |_| act(id, "reject")>"Tolak"</button>
                                                        </Show>
                                                        <Show when=move || pending || approved>
                                                            <button class="btn small" on:click=move |_| act(id, "cancel")>"Batalkan"</button>
                                                        </Show>
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
            Dialog::Create => view! {
                <LeaveForm on_close=Callback::new(move |saved: bool| {
                    dialog.set(Dialog::None);
                    if saved { reload.update(|n| *n += 1); }
                })/>
            }.into_any(),
            Dialog::Proof(l) => view! {
                <Modal title=format!("Bukti — {} ({})", l.nama, l.jenis) on_close=Callback::new(move |_| dialog.set(Dialog::None)) wide=true>
                    <p class="muted">{fmt::date_range(&l.tanggal_mulai, &l.tanggal_selesai)} " · " {l.alasan.clone()}</p>
                    <img class="proof" src=l.bukti_url.clone().unwrap_or_default() alt=format!("Bukti pengajuan {}", l.nama)/>
                </Modal>
            }.into_any(),
        }}
    }
}

#[component]
fn LeaveForm(on_close: Callback<bool>) -> impl IntoView {
    let today = Ymd::today().iso();
    let employee = RwSignal::new(None::<Employee>);
    let jenis = RwSignal::new("Izin".to_owned());
    let mulai = RwSignal::new(today.clone());
    let selesai = RwSignal::new(today);
    let alasan = RwSignal::new(String::new());
    let bukti = NodeRef::<leptos::html::Input>::new();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let local_err = |m: &str| {
            Some(ApiError {
                status: 0,
                code: "VALIDATION".into(),
                message: m.to_owned(),
                details: serde_json::Value::Null,
            })
        };
        let (emp, a, b, text) =
            (employee.get_untracked(), mulai.get_untracked(), selesai.get_untracked(), alasan.get_untracked());
        let Some(emp) = emp.map(|e| e.id.to_string()) else {
            error.set(local_err("Pilih karyawan."));
            return;
        };
        if a.is_empty() || b.is_empty() || b < a {
            error.set(local_err("Tanggal selesai tidak boleh sebelum tanggal mulai."));
            return;
        }
        if text.trim().is_empty() {
            error.set(local_err("Isi alasan pengajuan."));
            return;
        }
        let file = first_file(&bukti);
        if file.as_ref().is_some_and(|f| f.size() > 5.0 * 1024.0 * 1024.0) {
            error.set(local_err("Ukuran foto bukti maksimal 5 MB."));
            return;
        }
        let j = jenis.get_untracked();
        crate::ui::run(busy, error, async move {
            let form = web_sys::FormData::new().unwrap();
            let _ = form.append_with_str("employee_id", &emp);
            let _ = form.append_with_str("jenis", &j);
            let _ = form.append_with_str("alasan", text.trim());
            let _ = form.append_with_str("tanggal_mulai", &a);
            let _ = form.append_with_str("tanggal_selesai", &b);
            if let Some(f) = file {
                let _ = form.append_with_blob_and_filename("bukti", &f, &f.name());
            }
            api::post_form::<Leave>("/api/leaves", form).await.map_err(overlap_detail)?;
            toast_ok("Pengajuan dibuat.");
            on_close.run(true);
            Ok(())
        });
    };

    view! {
        <Modal title="Buat pengajuan izin" on_close=Callback::new(move |_| on_close.run(false))>
            <form class="form" on:submit=submit novalidate>
                <ErrorBox error=error/>
                <EmployeePicker value=employee label="Karyawan *" placeholder="Ketik nama atau kode…" active_only=true/>
                <fieldset class="field">
                    <legend>"Jenis *"</legend>
                    <div class="seg">
                        {JENIS
                            .iter()
                            .map(|j| {
                                view! {
                                    <label class="seg-item">
                                        <input
                                            type="radio"
                                            name="jenis"
                                            value=*j
                                            prop:checked=move || jenis.get() == *j
                                            on:change=move |_| jenis.set((*j).to_owned())
                                        />
                                        <span>{*j}</span>
                                    </label>
                                }
                            })
                            .collect_view()}
                    </div>
                </fieldset>
                <div class="row">
                    <label class="field grow">
                        <span>"Mulai *"</span>
                        <input type="date" bind:value=mulai/>
                    </label>
                    <label class="field grow">
                        <span>"Selesai *"</span>
                        <input type="date" bind:value=selesai/>
                    </label>
                </div>
                <label class="field">
                    <span>"Alasan *"</span>
                    <textarea rows="3" maxlength="1000" bind:value=alasan></textarea>
                </label>
                <label class="field">
                    <span>"Bukti (foto surat dokter, dsb.; opsional)"</span>
                    <input type="file" accept="image/jpeg,image/png,image/webp" node_ref=bukti/>
                </label>
                <div class="form-actions">
                    <button type="button" class="btn" on:click=move |_| on_close.run(false)>"Batal"</button>
                    <button type="submit" class="btn primary" disabled=move || busy.get()>
                        {move || if busy.get() { "Mengirim…" } else { "Simpan" }}
                    </button>
                </div>
            </form>
        </Modal>
    }
}

/// `LEAVE_OVERLAP` names the other leave (`error.leave`): say which one and its status.
pub fn overlap_detail(e: ApiError) -> ApiError {
    let Some(l) = e.details.get("leave").filter(|_| e.code == "LEAVE_OVERLAP") else { return e };
    let s = |k: &str| l.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    let status = fmt::status_label(&s("status")).to_lowercase();
    let message = format!(
        "Tanggal bertabrakan dengan pengajuan lain ({}, {status}). Ubah tanggalnya, atau batalkan pengajuan itu dulu.",
        fmt::date_range(&s("tanggal_mulai"), &s("tanggal_selesai"))
    );
    ApiError { message, ..e }
}
