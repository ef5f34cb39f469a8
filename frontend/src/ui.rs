//! Small shared widgets: toasts, modal dialog, pagination, badges, form helpers.

use std::cell::Cell;

use leptos::prelude::*;

use crate::api::ApiError;
use crate::fmt;

#[derive(Clone, Debug, PartialEq)]
pub struct Toast {
    id: u32,
    ok: bool,
    text: String,
}

thread_local! {
    static TOASTS: Cell<Option<RwSignal<Vec<Toast>>>> = const { Cell::new(None) };
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
}

pub fn init_toasts() {
    TOASTS.with(|t| t.set(Some(RwSignal::new(Vec::new()))));
}

fn push_toast(ok: bool, text: String) {
    let Some(sig) = TOASTS.with(|t| t.get()) else { return };
    let id = NEXT_ID.with(|n| {
        let v = n.get();
        n.set(v + 1);
        v
    });
    sig.update(|v| {
        v.push(Toast { id, ok, text });
        // At most three on screen: the oldest goes first.
        while v.len() > 3 {
            v.remove(0);
        }
    });
    set_timeout(
        move || sig.update(|v| v.retain(|t| t.id != id)),
        std::time::Duration::from_millis(if ok { 4000 } else { 7000 }),
    );
}

/// A short success note at the bottom of the screen.
pub fn toast_ok(text: impl Into<String>) {
    push_toast(true, text.into());
}

/// A short error note at the bottom of the screen.
pub fn toast_err(e: &ApiError) {
    push_toast(false, e.message.clone());
}

#[component]
pub fn Toasts() -> impl IntoView {
    let sig = TOASTS.with(|t| t.get()).expect("init_toasts");
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || sig.get() key=|t| t.id let:t>
                <div class=if t.ok { "toast ok" } else { "toast bad" }>
                    <span>{t.text.clone()}</span>
                    <button
                        class="toast-x"
                        aria-label="Tutup pesan"
                        on:click=move |_| sig.update(|v| v.retain(|x| x.id != t.id))
                    >
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}

/// A modal dialog. Closes on Escape, on the × button and on a click on the backdrop.
#[component]
pub fn Modal(
    #[prop(into)] title: String,
    on_close: Callback<()>,
    #[prop(optional)] wide: bool,
    children: Children,
) -> impl IntoView {
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            on_close.run(());
        }
    });
    on_cleanup(move || handle.remove());
    let dialog = NodeRef::<leptos::html::Div>::new();
    // Move focus into the dialog so keyboard and screen-reader users land in it.
    Effect::new(move |_| {
        if let Some(d) = dialog.get() {
            let first = d.query_selector("input:not([type=hidden]),select,textarea,button.primary").ok().flatten();
            if let Some(el) = first {
                use wasm_bindgen::JsCast;
                let _ = el.unchecked_into::<web_sys::HtmlElement>().focus();
            }
        }
    });
    view! {
        <div class="backdrop" on:click=move |_| on_close.run(())></div>
        <div
            class=if wide { "modal wide" } else { "modal" }
            role="dialog"
            aria-modal="true"
            aria-labelledby="modal-title"
            node_ref=dialog
        >
            <div class="modal-head">
                <h2 id="modal-title">{title}</h2>
                <button class="icon-btn" aria-label="Tutup" on:click=move |_| on_close.run(())>
                    "×"
                </button>
            </div>
            <div class="modal-body">{children()}</div>
        </div>
    }
}

/// Previous/next pagination with "Halaman P dari N".
#[component]
pub fn Pager(page: RwSignal<u64>, #[prop(into)] total: Signal<u64>, per_page: u64) -> impl IntoView {
    let pages = move || total.get().div_ceil(per_page).max(1);
    view! {
        <nav class="pager" aria-label="Halaman">
            <button
                class="btn"
                disabled=move || { page.get() <= 1 }
                on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1))
            >
                "‹ Sebelumnya"
            </button>
            <span>
                {move || {
                    format!("Halaman {} dari {} · {} data", page.get(), pages(), fmt::num(total.get()))
                }}
            </span>
            <button
                class="btn"
                disabled=move || { page.get() >= pages() }
                on:click=move |_| page.update(|p| *p += 1)
            >
                "Berikutnya ›"
            </button>
        </nav>
    }
}

/// Attendance/leave status pill.
#[component]
pub fn Badge(#[prop(into)] status: String) -> impl IntoView {
    view! { <span class=fmt::status_class(&status)>{fmt::status_label(&status)}</span> }
}

/// An inline error box (for forms and failed loads).
#[component]
pub fn ErrorBox(#[prop(into)] error: Signal<Option<ApiError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! {
                <div class="alert bad" role="alert">
                    {e.message}
                </div>
            }
        })
    }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! {
        <div class="loading" role="status">
            <span class="spinner" aria-hidden="true"></span>
            "Memuat…"
        </div>
    }
}

/// Lets a page run an async job with a busy flag and error capture.
pub fn run<F>(busy: RwSignal<bool>, err: RwSignal<Option<ApiError>>, fut: F)
where
    F: std::future::Future<Output = Result<(), ApiError>> + 'static,
{
    busy.set(true);
    err.set(None);
    leptos::task::spawn_local(async move {
        let r = fut.await;
        busy.set(false);
        if let Err(e) = r {
            err.set(Some(e));
        }
    });
}

/// A `<select>` option list of shifts (plus "tanpa shift").
pub fn none_if_empty(s: String) -> Option<String> {
    let t = s.trim();
    if t.is_empty() {
        None
    } else {
        Some(t.to_owned())
    }
}

/// The current value of a file `<input>` (first file).
pub fn first_file(input: &NodeRef<leptos::html::Input>) -> Option<web_sys::File> {
    input.get().and_then(|i| i.files()).and_then(|f| f.get(0))
}
