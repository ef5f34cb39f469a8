//! One module per route.

pub mod absen;
pub mod akun;
pub mod dashboard;
pub mod izin;
pub mod karyawan;
pub mod laporan;
pub mod login;
pub mod register;
pub mod shell;
pub mod shift;

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <main class="center-page">
            <div class="card narrow">
                <h1>"Halaman tidak ditemukan"</h1>
                <p>"Alamat yang Anda buka tidak ada."</p>
                <p class="row">
                    <a class="btn primary" href="/dashboard">"Ke Dashboard"</a>
                    <a class="btn" href="/absen">"Ke halaman Absen"</a>
                </p>
            </div>
        </main>
    }
}
