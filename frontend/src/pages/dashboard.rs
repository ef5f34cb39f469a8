//! `/dashboard`: today's numbers, a 30-day trend, status breakdown, late ranking, pending leaves and the
//! latest scans (refreshed on their own).

use leptos::prelude::*;

use crate::api;
use crate::charts;
use crate::fmt::{self, Ymd};
use crate::pages::izin;
use crate::types::{Items, LateRanking, Leave, Page, RecentEvent, Summary, Trend};
use crate::ui::{Badge, Loading};

const REFRESH_MS: u64 = 15_000;

#[component]
pub fn Dashboard() -> impl IntoView {
    let today = Ymd::today();
    let summary = api::Remote::<Summary>::fixed("/api/dashboard/summary");
    let trend = api::Remote::<Trend>::fixed("/api/dashboard/trend?days=30");
    let late_url = api::with_query(
        "/api/dashboard/late-ranking",
        &[("from", today.first_of_month().iso()), ("to", today.iso()), ("limit", "10".into())],
    );
    let late = api::Remote::<LateRanking>::new(move || Some(late_url.clone()));
    let pending = api::Remote::<Page<Leave>>::fixed("/api/leaves?status=PENDING&per_page=5");
    let recent = api::Remote::<Items<RecentEvent>>::fixed("/api/dashboard/recent?limit=15");
    let last_refresh = RwSignal::new(fmt::now_hm());

    if let Ok(h) = set_interval_with_handle(
        move || {
            // Skip the refresh while the tab is hidden.
            if document().visibility_state() == web_sys::VisibilityState::Visible {
                recent.refetch();
                summary.refetch();
                last_refresh.set(fmt::now_hm());
            }
        },
        std::time::Duration::from_millis(REFRESH_MS),
    ) {
        on_cleanup(move || h.clear());
    }

    let decide = move |id: i64, action: &'static str| {
        izin::decide(id, action, move || {
            pending.refetch();
            summary.refetch();
        });
    };

    view! {
        <div class="page-head">
            <div>
                <h1>"Dashboard"</h1>
                <p class="muted">
                    {move || {
                        summary
                            .get()
                            .and_then(|r| r.ok())
                            .map(|s| fmt::date_long(&s.date))
                            .unwrap_or_else(|| today.long())
                    }}
                </p>
            </div>
            <p class="muted small" aria-live="off">
                "Diperbarui otomatis · terakhir " {move || last_refresh.get()}
            </p>
        </div>

        {move || match summary.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(e)) => view! { <div class="alert bad" role="alert">{e.message}</div> }.into_any(),
            Some(Ok(s)) => view! { <SummaryCards s=s/> }.into_any(),
        }}

        <div class="grid two">
            <section class="card span2" aria-labelledby="trend-h">
                <h2 id="trend-h">"Tren kehadiran 30 hari"</h2>
                {move || match trend.get() {
                    None => view! { <Loading/> }.into_any(),
                    Some(Err(e)) => view! { <div class="alert bad">{e.message}</div> }.into_any(),
                    Some(Ok(t)) if t.days.is_empty() => {
                        view! { <p class="empty">"Belum ada data kehadiran."</p> }.into_any()
                    }
                    Some(Ok(t)) => view! { <div class="chart-wrap" inner_html=charts::trend_svg(&t.days)></div> }.into_any(),
                }}
                <Legend/>
            </section>

            <section class="card" aria-labelledby="status-h">
                <h2 id="status-h">"Status hari ini"</h2>
                {move || {
                    summary
                        .get()
                        .and_then(|r| r.ok())
                        .map(|s| {
                            let vals = charts::values(&s.counts);
                            let total: u64 = vals.iter().sum();
                            view! {
                                <div class="donut-row">
                                    <div class="donut-wrap" inner_html=charts::donut_svg(&s.counts)></div>
                                    <ul class="breakdown">
                                        {charts::SERIES
                                            .iter()
                                            .zip(vals)
                                            .map(|((label, color), v)| {
                                                let pct = if total > 0 { v * 100 / total } else { 0 };
                                                view! {
                                                    <li>
                                                        <span class="dot" style=format!("background:{color}")></span>
                                                        <span class="grow">{*label}</span>
                                                        <strong>{v}</strong>
                                                        <span class="muted small">{format!("{pct}%")}</span>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                </div>
                            }
                        })
                }}
            </section>

            <section class="card" aria-labelledby="late-h">
                <h2 id="late-h">"Paling sering terlambat"</h2>
                {move || {
                    late.get()
                        .and_then(|r| r.ok())
                        .filter(|l| !l.from.is_empty())
                        .map(|l| view! { <p class="muted small sub-h">{fmt::date_range(&l.from, &l.to)}</p> })
                }}
                {move || match late.get() {
                    None => view! { <Loading/> }.into_any(),
                    Some(Err(e)) => view! { <div class="alert bad">{e.message}</div> }.into_any(),
                    Some(Ok(l)) if l.items.is_empty() => {
                        view! { <p class="empty">"Tidak ada keterlambatan pada periode ini."</p> }.into_any()
                    }
                    Some(Ok(l)) => {
                        let max = l.items.iter().map(|i| i.late_minutes).max().unwrap_or(1).max(1);
                        view! {
                            <ol class="ranking">
                                {l
                                    .items
                                    .into_iter()
                                    .map(|i| {
                                        let w = i.late_minutes * 100 / max;
                                        view! {
                                            <li>
                                                <div class="rank-line">
                                                    <span class="grow">{i.nama} <span class="muted small">" · " {i.kode}</span></span>
                                                    <span class="small">
                                                        {format!("{} hari · {}", i.late_days, fmt::minutes(i.late_minutes))}
                                                    </span>
                                                </div>
                                                <div class="bar"><span style=format!("width:{w}%")></span></div>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ol>
                        }
                            .into_any()
                    }
                }}
            </section>

            <section class="card" aria-labelledby="pending-h">
                <h2 id="pending-h">
                    "Izin menunggu persetujuan"
                </h2>
                {move || match pending.get() {
                    None => view! { <Loading/> }.into_any(),
                    Some(Err(e)) => view! { <div class="alert bad">{e.message}</div> }.into_any(),
                    Some(Ok(p)) if p.items.is_empty() => {
                        view! { <p class="empty">"Tidak ada pengajuan yang menunggu."</p> }.into_any()
                    }
                    Some(Ok(p)) => {
                        let more = p.total.saturating_sub(p.items.len() as u64);
                        view! {
                            <ul class="list">
                                {p
                                    .items
                                    .into_iter()
                                    .map(|l| {
                                        let id = l.id;
                                        view! {
                                            <li class="list-item">
                                                <div class="grow">
                                                    <strong>{l.nama}</strong>
                                                    <div class="muted small">
                                                        {format!(
                                                            "{} · {}",
                                                            l.jenis,
                                                            fmt::date_range(&l.tanggal_mulai, &l.tanggal_selesai),
                                                        )}
                                                    </div>
                                                    <div class="small clamp">{l.keterangan}</div>
                                                </div>
                                                <div class="actions">
                                                    <button class="btn small ok" on:click=move |_| decide(id, "approve")>
                                                        "Setujui"
                                                    </button>
                                                    <button class="btn small danger" on:click=move |_| decide(id, "reject")>
                                                        "Tolak"
                                                    </button>
                                                </div>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                            <a class="small" href="/izin">
                                {if more > 0 { format!("Lihat semua ({} lainnya) →", more) } else { "Kelola izin →".to_owned() }}
                            </a>
                        }
                            .into_any()
                    }
                }}
            </section>

            <section class="card" aria-labelledby="recent-h">
                <h2 id="recent-h">"Aktivitas terbaru"</h2>
                {move || match recent.get() {
                    None => view! { <Loading/> }.into_any(),
                    Some(Err(e)) => view! { <div class="alert bad">{e.message}</div> }.into_any(),
                    Some(Ok(r)) if r.items.is_empty() => {
                        view! { <p class="empty">"Belum ada absensi hari ini."</p> }.into_any()
                    }
                    Some(Ok(r)) => {
                        view! {
                            <ul class="list" aria-live="polite">
                                {r
                                    .items
                                    .into_iter()
                                    .map(|ev| {
                                        let when = match (&ev.check_in, &ev.check_out) {
                                            (_, Some(out)) => format!("Pulang {}", fmt::hm(Some(out))),
                                            (Some(inn), None) => format!("Masuk {}", fmt::hm(Some(inn))),
                                            _ => String::new(),
                                        };
                                        view! {
                                            <li class="list-item">
                                                <div class="grow">
                                                    <strong>{ev.nama}</strong>
                                                    <div class="muted small">
                                                        {if when.is_empty() { fmt::date_medium(&ev.tanggal) } else { format!("{} · {}", fmt::date_medium(&ev.tanggal), when) }}
                                                    </div>
                                                </div>
                                                <Badge status=ev.status/>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    }
                }}
            </section>
        </div>
    }
}

#[component]
fn SummaryCards(s: Summary) -> impl IntoView {
    let c = &s.counts;
    let present = c.hadir + c.terlambat;
    // On a non-work day nobody is expected: "belum absen" is not a problem then.
    let work_day = s.work_day.unwrap_or(true);
    let absent = if work_day {
        ("Belum absen", fmt::num(s.not_checked_in), format!("{} alpa", fmt::num(c.alpa)), "bad")
    } else {
        ("Hari libur", "–".to_owned(), "tidak ada jadwal kerja".to_owned(), "muted")
    };
    let cards: Vec<(&str, String, String, &str)> = vec![
        (
            "Karyawan aktif",
            fmt::num(s.active_employees),
            format!("{} wajah terdaftar", fmt::num(s.registered_faces)),
            "",
        ),
        ("Hadir", fmt::num(present), format!("{} tepat waktu", fmt::num(c.hadir)), "ok"),
        ("Terlambat", fmt::num(c.terlambat), "hari ini".into(), "warn"),
        absent,
        ("Izin / cuti", fmt::num(c.izin), format!("{} menunggu persetujuan", fmt::num(s.pending_leaves)), "info"),
        ("Ditolak", fmt::num(c.ditolak), "perlu ditinjau".into(), "muted"),
    ];
    view! {
        <div class="stats">
            {cards
                .into_iter()
                .map(|(label, value, sub, tone)| {
                    view! {
                        <div class=format!("stat {tone}")>
                            <div class="stat-label">{label}</div>
                            <div class="stat-value">{value}</div>
                            <div class="stat-sub">{sub}</div>
                        </div>
                    }
                })
                .collect_view()}
        </div>
    }
}

#[component]
fn Legend() -> impl IntoView {
    view! {
        <ul class="legend" aria-hidden="true">
            {charts::SERIES
                .iter()
                .map(|(label, color)| {
                    view! {
                        <li>
                            <span class="dot" style=format!("background:{color}")></span>
                            {*label}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
