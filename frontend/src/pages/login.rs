//! `/login`: the owner signs in with e-mail and password (the server sets an HttpOnly cookie).

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use serde::Serialize;

use crate::api::{self, ApiError};
use crate::types::LoginResponse;

#[derive(Serialize)]
struct Credentials {
    email: String,
    password: String,
}

#[component]
pub fn Login() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let show_pw = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let query = use_query_map();
    let navigate = use_navigate();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let creds = Credentials { email: email.get_untracked().trim().to_owned(), password: password.get_untracked() };
        if creds.email.is_empty() || creds.password.is_empty() {
            error.set(Some(ApiError {
                status: 0,
                code: "VALIDATION".into(),
                message: "Isi e-mail dan kata sandi.".into(),
                details: serde_json::Value::Null,
            }));
            return;
        }
        // Only same-site paths are allowed as the return target.
        let next = query
            .get_untracked()
            .get("next")
            .filter(|n| n.starts_with('/') && !n.starts_with("//") && n != "/login")
            .unwrap_or_else(|| "/dashboard".to_owned());
        let navigate = navigate.clone();
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match api::post_json::<_, LoginResponse>("/api/auth/login", &creds).await {
                Ok(_) => navigate(&next, NavigateOptions { replace: true, ..Default::default() }),
                Err(e) => {
                    error.set(Some(e));
                    busy.set(false);
                }
            }
        });
    };

    view! {
        <main class="login-page">
            <form class="card login-card" on:submit=submit novalidate>
                <div class="login-brand">
                    <img src="/favicon.svg" alt="" width="56" height="56"/>
                    <h1>"Absensi Wajah"</h1>
                    <p class="muted">"Masuk sebagai pemilik untuk mengelola absensi"</p>
                </div>
                {move || {
                    error
                        .get()
                        .map(|e| {
                            view! {
                                <div class="alert bad" role="alert">
                                    {e.message}
                                </div>
                            }
                        })
                }}
                <label class="field">
                    <span>"E-mail"</span>
                    <input
                        type="email"
                        name="email"
                        autocomplete="username"
                        inputmode="email"
                        required
                        bind:value=email
                    />
                </label>
                <div class="field">
                    <label for="login-pw">"Kata sandi"</label>
                    <span class="pw-wrap">
                        <input
                            id="login-pw"
                            type=move || if show_pw.get() { "text" } else { "password" }
                            name="password"
                            autocomplete="current-password"
                            required
                            bind:value=password
                        />
                        <button
                            type="button"
                            class="btn ghost small"
                            aria-pressed=move || show_pw.get().to_string()
                            aria-controls="login-pw"
                            on:click=move |_| show_pw.update(|s| *s = !*s)
                        >
                            {move || if show_pw.get() { "Sembunyikan" } else { "Tampilkan" }}
                        </button>
                    </span>
                </div>
                <button type="submit" class="btn primary block" disabled=move || busy.get()>
                    {move || if busy.get() { "Memproses…" } else { "Masuk" }}
                </button>
                <p class="muted center small">
                    "Karyawan? "
                    <a href="/absen">"Buka halaman absen"</a>
                </p>
            </form>
        </main>
    }
}
