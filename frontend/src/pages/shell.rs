//! The owner's frame: top bar, navigation, session check. Every owner page renders inside it.

use std::rc::Rc;

use leptos::prelude::*;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;

use crate::api;
use crate::types::User;
use crate::ui::Loading;

/// Sends the browser to `/login?next=<here>` (used on any 401 from an owner call).
fn install_unauthorized_handler() {
    let navigate = use_navigate();
    let location = use_location();
    api::set_unauthorized_handler(Some(Rc::new(move || {
        let here = location.pathname.get_untracked();
        if here == "/login" || here == "/absen" {
            return;
        }
        let url = format!("/login?next={}", api::enc(&here));
        navigate(&url, NavigateOptions { replace: true, ..Default::default() });
    })));
}

#[component]
pub fn Shell() -> impl IntoView {
    install_unauthorized_handler();
    let me = api::Remote::<User>::fixed("/api/auth/me");
    let menu_open = RwSignal::new(false);
    let location = use_location();
    // Close the mobile menu after navigating.
    Effect::new(move |_| {
        location.pathname.track();
        menu_open.set(false);
    });
    let navigate = use_navigate();
    let logout = move |_| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let _ = api::post_empty::<()>("/api/auth/logout").await;
            navigate("/login", NavigateOptions { replace: true, ..Default::default() });
        });
    };

    let email = move || me.get().and_then(|r| r.ok()).map(|u| u.email).unwrap_or_default();

    view! {
        <a class="skip" href="#main">"Lewati ke konten"</a>
        <div class="app">
            <header class="topbar">
                <button
                    class="icon-btn menu-btn"
                    aria-label="Menu"
                    aria-controls="sidenav"
                    aria-expanded=move || menu_open.get().to_string()
                    on:click=move |_| menu_open.update(|o| *o = !*o)
                >
                    "☰"
                </button>
                <a class="brand" href="/dashboard">
                    <img src="/favicon.svg" alt="" width="28" height="28"/>
                    <span>"Absensi Wajah"</span>
                </a>
                <div class="spacer"></div>
                <span class="who" title="Pemilik yang masuk">{email}</span>
                <A href="/akun" attr:class="btn ghost" attr:title="Akun dan ganti kata sandi">"Akun"</A>
                <button class="btn ghost" on:click=logout>"Keluar"</button>
            </header>
            <nav id="sidenav" class="sidenav" class:open=move || menu_open.get() aria-label="Menu utama">
                <A href="/dashboard">
                    <span class="ico" aria-hidden="true">"▦"</span>
                    "Dashboard"
                </A>
                <A href="/karyawan">
                    <span class="ico" aria-hidden="true">"☺"</span>
                    "Karyawan"
                </A>
                <A href="/register">
                    <span class="ico" aria-hidden="true">"◉"</span>
                    "Registrasi Wajah"
                </A>
                <A href="/izin">
                    <span class="ico" aria-hidden="true">"✉"</span>
                    "Izin & Cuti"
                </A>
                <A href="/shift">
                    <span class="ico" aria-hidden="true">"◷"</span>
                    "Shift"
                </A>
                <A href="/laporan">
                    <span class="ico" aria-hidden="true">"▤"</span>
                    "Laporan"
                </A>
                <hr/>
                <a href="/absen" target="_blank" rel="noopener">
                    <span class="ico" aria-hidden="true">"↗"</span>
                    "Halaman Absen"
                </a>
            </nav>
            <main id="main" class="content" tabindex="-1">
                {move || match me.get() {
                    None => view! { <Loading/> }.into_any(),
                    Some(Ok(_)) => view! { <Outlet/> }.into_any(),
                    Some(Err(e)) if e.status == 401 => view! { <Loading/> }.into_any(),
                    Some(Err(e)) => {
                        view! {
                            <div class="card">
                                <div class="alert bad" role="alert">{e.message}</div>
                                <button class="btn primary" on:click=move |_| me.refetch()>
                                    "Coba lagi"
                                </button>
                            </div>
                        }
                            .into_any()
                    }
                }}
            </main>
        </div>
    }
}
