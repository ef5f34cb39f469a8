//! absensi wajah — the single-page app: the owner's dashboard (login, dashboard, karyawan, register, izin,
//! shift, laporan) and the employees' kiosk page `/absen`. Talks JSON to the backend's `/api`.

mod api;
mod charts;
mod fmt;
mod media;
mod pages;
mod picker;
mod types;
mod ui;

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::path;

fn main() {
    console_error_panic_hook::set_once();
    if let Some(boot) = document().get_element_by_id("boot") {
        boot.remove();
    }
    mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    ui::init_toasts();
    view! {
        <Router>
            <Routes fallback=pages::NotFound>
                <Route path=path!("/") view=|| view! { <Redirect path="/dashboard"/> }/>
                <Route path=path!("/login") view=pages::login::Login/>
                <Route path=path!("/absen") view=pages::absen::Absen/>
                <ParentRoute path=path!("") view=pages::shell::Shell>
                    <Route path=path!("/dashboard") view=pages::dashboard::Dashboard/>
                    <Route path=path!("/karyawan") view=pages::karyawan::Karyawan/>
                    <Route path=path!("/register") view=pages::register::Register/>
                    <Route path=path!("/izin") view=pages::izin::Izin/>
                    <Route path=path!("/shift") view=pages::shift::ShiftPage/>
                    <Route path=path!("/laporan") view=pages::laporan::Laporan/>
                    <Route path=path!("/akun") view=pages::akun::Akun/>
                </ParentRoute>
            </Routes>
            <ui::Toasts/>
        </Router>
    }
}
