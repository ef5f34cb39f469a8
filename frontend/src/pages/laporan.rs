//! `/laporan`: attendance report for a period (filters, rows, per-employee summary), downloads as .xlsx and
//! .pdf, manual correction of a row, and employee import from .xlsx (dry run first, then apply).

use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::fmt::{self, Ymd};
use crate::picker::EmployeePicker;
use crate::types::{AttendanceRow, Employee, ImportError, ImportReport, Report};
use crate::ui::{first_file, toast_err, toast_ok, Badge, ErrorBox, Loading, Modal, Pager};

/// Report rows per page (the server pages them: `page`, `per_page`, `total_rows`).
const ROWS_PER_PAGE: u64 = 50;
const STATUSES: [&str; 5] = ["HADIR", "TERLAMBAT", "IZIN", "ALPA", "DITOLAK"];

#[derive(Clone, PartialEq)]
struct Filter {
    from: String,
    to: String,
    employee: String,
    status: String,
}

impl Filter {
    fn url(&self, format: &str) -> String {
        api::with_query(
            "/api/reports/attendance",
            &[
                ("from", self.from.clone()),
                ("to", self.to.clone()),
                ("employee_id", self.employee.clone()),
                ("status", self.status.clone()),
                ("format", format.to_owned()),
            ],
        )
    }
}

#[component]
pub fn Laporan() -> impl IntoView {
    let today = Ymd::today();
    let from = RwSignal::new(today.first_of_month().iso());
    let to = RwSignal::new(today.iso());
    let employee = RwSignal::new(None::<Employee>);
    let status = RwSignal::new(String::new());
    let applied = RwSignal::new(Filter {
        from: from.get_untracked(),
        to: to.get_untracked(),
        employee: String::new(),
        status: String::new(),
    });
    let reload = RwSignal::new(0u32);
    let row_page = RwSignal::new(1u64);
    let editing = RwSignal::new(None::<AttendanceRow>);
    let downloading = RwSignal::new(false);
    // A PDF over the server's row limit (422 REPORT_TOO_LARGE): offer the .xlsx instead.
    let too_large = RwSignal::new(None::<String>);

    let report = api::Remote::<Report>::new(move || {
        reload.track();
        Some(format!("{}&page={}&per_page={ROWS_PER_PAGE}", applied.get().url("json"), row_page.get()))
    });
    let row_total = Signal::derive(move || report.get().and_then(|r| r.ok()).map(|r| r.total_rows).unwrap_or(0));

    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        row_page.set(1);
        applied.set(Filter {
            from: from.get_untracked(),
            to: to.get_untracked(),
            employee: employee.with_untracked(|e| e.as_ref().map(|e| e.id.to_string()).unwrap_or_default()),
            status: status.get_untracked(),
        });
        too_large.set(None);
        reload.update(|n| *n += 1);
    };
    let preset = move |which: &'static str| {
        let t = Ymd::today();
        let (a, b) = match which {
            "today" => (t, t),
            "week" => (t.add_days(-6), t),
            "month" => (t.first_of_month(), t),
            _ => {
                let end = t.first_of_month().add_days(-1);
                (end.first_of_month(), end)
            }
        };
        from.set(a.iso());
        to.set(b.iso());
    };
    let range_ok = move || {
        let (a, b) = (from.get(), to.get());
        !a.is_empty() && !b.is_empty() && a <= b
    };

    let download = move |format: &'static str| {
        let f = applied.get_untracked();
        let name = format!("laporan-absensi_{}_{}.{}", f.from, f.to, format);
        downloading.set(true);
        too_large.set(None);
        leptos::task::spawn_local(async move {
            match api::download(&f.url(format), &name).await {
                Ok(n) => toast_ok(format!("Mengunduh {n}")),
                Err(e) if e.code == "REPORT_TOO_LARGE" => too_large.set(Some(e.message)),
                Err(e) => toast_err(&e),
            }
            downloading.set(false);
        });
    };

    view! {
        <div class="page-head">
            <div>
                <h1>"Laporan"</h1>
                <p class="muted">"Rekap absensi per periode dan per karyawan"</p>
            </div>
            <div class="row wrap">
                <button class="btn" on:click=move |_| download("xlsx") disabled=move || downloading.get()>"⬇ Excel (.xlsx)"</button>
                <button class="btn" on:click=move |_| download("pdf") disabled=move || downloading.get()>"⬇ PDF"</button>
            </div>
        </div>

        <form class="card filters" on:submit=apply>
            <label class="field">
                <span>"Dari"</span>
                <input type="date" bind:value=from required/>
            </label>
            <label class="field">
                <span>"Sampai"</span>
                <input type="date" bind:value=to required/>
            </label>
            <EmployeePicker value=employee label="Karyawan" placeholder="Semua karyawan"/>
            <label class="field">
                <span>"Status"</span>
                <select prop:value=move || status.get() on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="">"Semua status"</option>
                    {STATUSES.iter().map(|s| view! { <option value=*s>{fmt::status_label(s)}</option> }).collect_view()}
                </select>
            </label>
            <div class="field end">
                <button type="submit" class="btn primary" disabled=move || !range_ok()>"Tampilkan"</button>
            </div>
            <div class="presets" role="group" aria-label="Periode cepat">
                <button type="button" class="btn small" on:click=move |_| preset("today")>"Hari ini"</button>
                <button type="button" class="btn small" on:click=move |_| preset("week")>"7 hari terakhir"</button>
                <button type="button" class="btn small" on:click=move |_| preset("month")>"Bulan ini"</button>
                <button type="button" class="btn small" on:click=move |_| preset("last")>"Bulan lalu"</button>
            </div>
        </form>

        {move || {
            too_large
                .get()
                .map(|m| {
                    view! {
                        <div class="alert warn row wrap" role="alert">
                            <span class="grow">{m}</span>
                            <button class="btn small" on:click=move |_| download("xlsx")>"⬇ Unduh Excel (.xlsx)"</button>
                        </div>
                    }
                })
        }}

        {move || {
            let f = applied.get();
            view! {
                <p class="muted">
                    {format!("Periode {} – {}", fmt::date_long(&f.from), fmt::date_long(&f.to))}
                </p>
            }
        }}

        {move || match report.get() {
            None => view! { <div class="card"><Loading/></div> }.into_any(),
            Some(Err(e)) => view! { <div class="alert bad" role="alert">{e.message}</div> }.into_any(),
            Some(Ok(r)) => {
                let summary = r.summary;
                let rows = r.rows;
                view! {
                    <section class="card" aria-labelledby="sum-h">
                        <h2 id="sum-h">"Ringkasan per karyawan"</h2>
                        {if summary.is_empty() {
                            view! { <p class="empty">"Tidak ada data pada periode ini."</p> }.into_any()
                        } else {
                            view! {
                                <div class="table-wrap">
                                    <table class="table num-table cards">
                                        <thead>
                                            <tr>
                                                <th scope="col">"Karyawan"</th>
                                                <th scope="col">"Hadir"</th>
                                                <th scope="col">"Terlambat"</th>
                                                <th scope="col">"Total terlambat"</th>
                                                <th scope="col">"Pulang cepat"</th>
                                                <th scope="col">"Izin"</th>
                                                <th scope="col">"Alpa"</th>
                                                <th scope="col">"Ditolak"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {summary
                                                .into_iter()
                                                .map(|s| view! {
                                                    <tr>
                                                        <td data-label="Karyawan"><strong>{s.nama}</strong><div class="muted small mono">{s.kode}</div></td>
                                                        <td data-label="Hadir">{s.hadir}</td>
                                                        <td data-label="Terlambat">{s.terlambat}</td>
                                                        <td data-label="Total terlambat">{fmt::minutes(s.late_minutes)}</td>
                                                        <td data-label="Pulang cepat">{fmt::minutes(s.early_leave_minutes)}</td>
                                                        <td data-label="Izin">{s.izin}</td>
                                                        <td data-label="Alpa">{s.alpa}</td>
                                                        <td data-label="Ditolak">{s.ditolak}</td>
                                                    </tr>
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }
                                .into_any()
                        }}
                    </section>
                    <section class="card" aria-labelledby="rows-h">
                        <h2 id="rows-h">"Detail absensi"</h2>
                        <RowsTable rows=rows editing=editing/>
                        <Pager page=row_page total=row_total per_page=ROWS_PER_PAGE/>
                    </section>
                }
                    .into_any()
            }
        }}

        <ImportCard/>

        {move || {
            editing
                .get()
                .map(|row| {
                    view! {
                        <CorrectionForm
                            row=row
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
fn RowsTable(rows: Vec<AttendanceRow>, editing: RwSignal<Option<AttendanceRow>>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"Tidak ada catatan absensi."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table cards">
                <thead>
                    <tr>
                        <th scope="col">"Tanggal"</th>
                        <th scope="col">"Karyawan"</th>
                        <th scope="col">"Masuk"</th>
                        <th scope="col">"Pulang"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Kemiripan"</th>
                        <th scope="col">"Liveness"</th>
                        <th scope="col"><span class="sr-only">"Aksi"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                                .into_iter()
                                .map(|r| {
                                    let r_edit = r.clone();
                                    let late = (r.late_minutes > 0).then(|| format!("+{} terlambat", fmt::minutes(r.late_minutes)));
                                    let early = (r.early_leave_minutes > 0)
                                        .then(|| format!("pulang {} lebih awal", fmt::minutes(r.early_leave_minutes)));
                                    view! {
                                        <tr>
                                            <td class="nowrap" data-label="Tanggal">{fmt::date_medium(&r.tanggal)}</td>
                                            <td data-label="Karyawan"><strong>{r.nama}</strong><div class="muted small mono">{r.kode}</div></td>
                                            <td class="mono" data-label="Masuk">{fmt::hm(r.check_in.as_deref())}</td>
                                            <td class="mono" data-label="Pulang">{fmt::hm(r.check_out.as_deref())}</td>
                                            <td data-label="Status">
                                                <div>
                                                    <Badge status=r.status/>
                                                    {late.map(|t| view! { <div class="small warn-text">{t}</div> })}
                                                    {early.map(|t| view! { <div class="small muted">{t}</div> })}
                                                </div>
                                            </td>
                                            <td data-label="Kemiripan">{r.similarity.map(|s| format!("{:.0}%", s * 100.0)).unwrap_or_else(|| "–".into())}</td>
                                            <td data-label="Liveness">{match r.liveness_ok { Some(true) => "✓", Some(false) => "✗", None => "–" }}</td>
                                            <td class="actions">
                                                <button class="btn small" on:click=move |_| editing.set(Some(r_edit.clone()))>"Koreksi"</button>
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

#[derive(serde::Serialize)]
struct Correction {
    status: String,
    check_in: Option<String>,
    check_out: Option<String>,
}

/// Manual correction of one attendance row (the non-biometric fallback; the server logs it).
#[component]
fn CorrectionForm(row: AttendanceRow, on_close: Callback<bool>) -> impl IntoView {
    let status = RwSignal::new(row.status.clone());
    let check_in = RwSignal::new(row.check_in.as_deref().map(|t| fmt::hm(Some(t))).unwrap_or_default());
    let check_out = RwSignal::new(row.check_out.as_deref().map(|t| fmt::hm(Some(t))).unwrap_or_default());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let id = row.id;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = Correction {
            status: status.get_untracked(),
            check_in: crate::ui::none_if_empty(check_in.get_untracked()),
            check_out: crate::ui::none_if_empty(check_out.get_untracked()),
        };
        crate::ui::run(busy, error, async move {
            api::patch_json::<_, AttendanceRow>(&format!("/api/attendance/{id}"), &body).await?;
            toast_ok("Absensi dikoreksi.");
            on_close.run(true);
            Ok(())
        });
    };
    view! {
        <Modal title=format!("Koreksi absensi — {}", row.nama) on_close=Callback::new(move |_| on_close.run(false))>
            <form class="form" on:submit=submit>
                <p class="muted">{fmt::date_long(&row.tanggal)}</p>
                <ErrorBox error=error/>
                <label class="field">
                    <span>"Status"</span>
                    <select prop:value=move || status.get() on:change=move |ev| status.set(event_target_value(&ev))>
                        {STATUSES
                            .iter()
                            .map(|s| view! { <option value=*s selected=*s == row.status>{fmt::status_label(s)}</option> })
                            .collect_view()}
                    </select>
                </label>
                <div class="row">
                    <label class="field grow">
                        <span>"Jam masuk"</span>
                        <input type="time" bind:value=check_in/>
                    </label>
                    <label class="field grow">
                        <span>"Jam pulang"</span>
                        <input type="time" bind:value=check_out/>
                    </label>
                </div>
                <p class="muted small">"Koreksi manual dicatat oleh server."</p>
                <div class="form-actions">
                    <button type="button" class="btn" on:click=move |_| on_close.run(false)>"Batal"</button>
                    <button type="submit" class="btn primary" disabled=move || busy.get()>"Simpan"</button>
                </div>
            </form>
        </Modal>
    }
}

/// Employee import from .xlsx: first a dry run that reports what each row would do, then apply. Applying a
/// file with errors is refused as a whole (422 `IMPORT_INVALID` with the rows' errors).
#[component]
fn ImportCard() -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let result = RwSignal::new(None::<ImportReport>);
    let refused = RwSignal::new(None::<(u64, Vec<ImportError>)>);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);

    let send = move |dry_run: bool| {
        let Some(file) = first_file(&input) else {
            error.set(Some(ApiError {
                status: 0,
                code: "VALIDATION".into(),
                message: "Pilih berkas .xlsx terlebih dahulu.".into(),
                details: serde_json::Value::Null,
            }));
            return;
        };
        refused.set(None);
        crate::ui::run(busy, error, async move {
            let form = web_sys::FormData::new().unwrap();
            let _ = form.append_with_blob_and_filename("file", &file, &file.name());
            match api::post_form::<ImportReport>(&format!("/api/employees/import?dry_run={dry_run}"), form).await {
                Ok(r) => {
                    if !dry_run {
                        toast_ok(format!(
                            "Impor selesai: {} dibuat, {} diperbarui, {} tetap.",
                            r.created, r.updated, r.unchanged
                        ));
                    }
                    result.set(Some(r));
                    Ok(())
                }
                Err(e) => {
                    result.set(None);
                    if e.code == "IMPORT_INVALID" {
                        let rows = e.details.get("rows").and_then(|v| v.as_u64()).unwrap_or(0);
                        let errors = e
                            .details
                            .get("errors")
                            .and_then(|v| serde_json::from_value::<Vec<ImportError>>(v.clone()).ok())
                            .unwrap_or_default();
                        refused.set(Some((rows, errors)));
                    }
                    Err(e)
                }
            }
        });
    };

    view! {
        <section class="card" aria-labelledby="imp-h">
            <h2 id="imp-h">"Impor karyawan dari Excel"</h2>
            <p class="muted small">
                "Berkas .xlsx dengan baris judul: kode, nama, email, shift (nama shift). Karyawan dengan kode yang sudah ada "
                "diperbarui. Periksa dulu (uji coba), lalu terapkan."
            </p>
            <p>
                <button type="button" class="btn small" on:click=move |_| download_employees()>
                    "⬇ Unduh data karyawan"
                </button>
                <span class="muted small">" — berkas ini bisa diubah lalu diimpor kembali."</span>
            </p>
            <ErrorBox error=error/>
            {move || refused.get().map(|(rows, errors)| view! {
                <p class="small">{format!("{rows} baris dibaca; tidak ada yang diubah.")}</p>
                <ErrorTable errors=errors/>
            })}
            <div class="row wrap">
                <input
                    type="file"
                    accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                    node_ref=input
                    aria-label="Berkas Excel karyawan"
                    on:change=move |_| {
                        result.set(None);
                        refused.set(None);
                        error.set(None);
                    }
                />
                <button class="btn" on:click=move |_| send(true) disabled=move || busy.get()>"Periksa (uji coba)"</button>
                <button
                    class="btn primary"
                    on:click=move |_| send(false)
                    disabled=move || {
                        busy.get() || !result.get().is_some_and(|r| r.dry_run && r.errors.is_empty())
                    }
                    title="Aktif setelah uji coba tanpa kesalahan"
                >
                    "Terapkan impor"
                </button>
            </div>
            {move || {
                result
                    .get()
                    .map(|r| {
                        let (lead, c, u) = if r.dry_run {
                            ("Uji coba", "akan dibuat", "akan diperbarui")
                        } else {
                            ("Diterapkan", "dibuat", "diperbarui")
                        };
                        let head = format!(
                            "{lead}: {} baris — {c} {}, {u} {}, tetap {}, {} kesalahan.",
                            r.rows,
                            r.created,
                            r.updated,
                            r.unchanged,
                            r.errors.len()
                        );
                        let cls = if r.errors.is_empty() { "alert ok" } else { "alert warn" };
                        let note = (r.dry_run && !r.errors.is_empty())
                            .then_some("Perbaiki baris yang bermasalah lalu periksa lagi: impor hanya diterapkan bila semua baris benar.");
                        view! {
                            <div class=cls role="status">{head}</div>
                            {note.map(|n| view! { <p class="small">{n}</p> })}
                            {(!r.errors.is_empty()).then(|| view! { <ErrorTable errors=r.errors/> })}
                            {(!r.preview.is_empty()).then(|| view! {
                                <details class="preview" open=r.dry_run>
                                    <summary>{format!("Rincian per baris ({})", r.preview.len())}</summary>
                                    <div class="table-wrap scroll-box">
                                        <table class="table">
                                            <thead>
                                                <tr>
                                                    <th scope="col">"Baris"</th>
                                                    <th scope="col">"Kode"</th>
                                                    <th scope="col">"Nama"</th>
                                                    <th scope="col">"Tindakan"</th>
                                                </tr>
                                            </thead>
                                            <tbody>
                                                {r.preview
                                                    .into_iter()
                                                    .map(|p| {
                                                        let (label, cls) = match p.action.as_str() {
                                                            "create" => ("Baru", "badge ok"),
                                                            "update" => ("Diperbarui", "badge info"),
                                                            _ => ("Tetap", "badge"),
                                                        };
                                                        view! {
                                                            <tr>
                                                                <td>{p.row}</td>
                                                                <td class="mono">{p.kode}</td>
                                                                <td>{p.nama}</td>
                                                                <td><span class=cls>{label}</span></td>
                                                            </tr>
                                                        }
                                                    })
                                                    .collect_view()}
                                            </tbody>
                                        </table>
                                    </div>
                                </details>
                            })}
                        }
                    })
            }}
        </section>
    }
}

/// `GET /api/employees/export`: every employee as an .xlsx that imports back unchanged.
pub fn download_employees() {
    leptos::task::spawn_local(async move {
        match api::download("/api/employees/export", "karyawan.xlsx").await {
            Ok(n) => toast_ok(format!("Mengunduh {n}")),
            Err(e) => toast_err(&e),
        }
    });
}

#[component]
fn ErrorTable(errors: Vec<ImportError>) -> impl IntoView {
    view! {
        <div class="table-wrap scroll-box">
            <table class="table">
                <thead>
                    <tr>
                        <th scope="col">"Baris"</th>
                        <th scope="col">"Masalah"</th>
                    </tr>
                </thead>
                <tbody>
                    {errors.into_iter().map(|e| view! { <tr><td>{e.row}</td><td>{e.message}</td></tr> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
