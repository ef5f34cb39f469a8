//! `/akun`: the signed-in owner's account: e-mail and a change-password form (`POST /api/auth/change-password`;
//! the server keeps this session and ends every other one).

use leptos::prelude::*;
use serde::Serialize;

use crate::api::{self, ApiError};
use crate::types::User;
use crate::ui::{toast_ok, ErrorBox};

const MIN_LEN: usize = 8;

#[derive(Serialize)]
struct ChangePassword {
    current_password: String,
    new_password: String,
}

fn local_err(field: &str, msg: &str) -> ApiError {
    ApiError {
        status: 0,
        code: "VALIDATION".into(),
        message: msg.into(),
        details: serde_json::json!({ "fields": { field: msg } }),
    }
}

#[component]
pub fn Akun() -> impl IntoView {
    let me = api::Remote::<User>::fixed("/api/auth/me");
    let current = RwSignal::new(String::new());
    let new_pw = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let show = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let field_err = move |name: &'static str| move || error.get().and_then(|e| e.field(name));

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (c, n, a) = (current.get_untracked(), new_pw.get_untracked(), again.get_untracked());
        let problem = if c.is_empty() {
            Some(local_err("current_password", "Isi kata sandi saat ini."))
        } else if n.chars().count() < MIN_LEN {
            Some(local_err("new_password", "Kata sandi baru minimal 8 karakter."))
        } else if n == c {
            Some(local_err("new_password", "Kata sandi baru harus berbeda dari yang lama."))
        } else if n != a {
            Some(local_err("again", "Ulangi kata sandi baru dengan sama persis."))
        } else {
            None
        };
        if problem.is_some() {
            error.set(problem);
            return;
        }
        let body = ChangePassword { current_password: c, new_password: n };
        crate::ui::run(busy, error, async move {
            api::post_json::<_, ()>("/api/auth/change-password", &body).await?;
            current.set(String::new());
            new_pw.set(String::new());
            again.set(String::new());
            toast_ok("Kata sandi diganti. Sesi di perangkat lain sudah keluar.");
            Ok(())
        });
    };
    let kind = move || if show.get() { "text" } else { "password" };

    view! {
        <div class="page-head">
            <div>
                <h1>"Akun"</h1>
                <p class="muted">
                    {move || me.get().and_then(|r| r.ok()).map(|u| format!("Masuk sebagai {}", u.email)).unwrap_or_default()}
                </p>
            </div>
        </div>
        <section class="card narrow-left" aria-labelledby="pw-h">
            <h2 id="pw-h">"Ganti kata sandi"</h2>
            <form class="form" on:submit=submit novalidate>
                // Field problems show under their field; anything else here.
                <ErrorBox error=Signal::derive(move || error.get().filter(|e| e.details.get("fields").is_none()))/>
                <label class="field">
                    <span>"Kata sandi saat ini"</span>
                    <input type=kind autocomplete="current-password" bind:value=current/>
                    <small class="field-err">{field_err("current_password")}</small>
                </label>
                <label class="field">
                    <span>"Kata sandi baru"</span>
                    <input type=kind autocomplete="new-password" minlength="8" bind:value=new_pw/>
                    <small class="field-err">{field_err("new_password")}</small>
                    <small class="muted">"Minimal 8 karakter."</small>
                </label>
                <label class="field">
                    <span>"Ulangi kata sandi baru"</span>
                    <input type=kind autocomplete="new-password" bind:value=again/>
                    <small class="field-err">{field_err("again")}</small>
                </label>
                <label class="check">
                    <input type="checkbox" bind:checked=show/>
                    <span>"Tampilkan kata sandi"</span>
                </label>
                <p class="muted small">"Setelah diganti, sesi di perangkat lain otomatis keluar; sesi ini tetap masuk."</p>
                <div class="form-actions">
                    <button type="submit" class="btn primary" disabled=move || busy.get()>
                        {move || if busy.get() { "Menyimpan…" } else { "Simpan kata sandi" }}
                    </button>
                </div>
            </form>
        </section>
    }
}
