//! Employee picker: a search-as-you-type combobox over `/api/employees?q=` (any number of employees; only a
//! few matches are loaded at a time). Keyboard: ↓/↑ move, Enter picks, Escape closes.

use std::cell::Cell;

use leptos::prelude::*;

use crate::api;
use crate::types::{Employee, Page};

/// Matches shown at once; the rest are reached by typing more.
const SHOWN: u64 = 8;
const DEBOUNCE_MS: u64 = 250;

thread_local! {
    static NEXT: Cell<u32> = const { Cell::new(1) };
}

fn label_of(e: &Employee) -> String {
    format!("{} — {}", e.kode, e.nama)
}

#[component]
pub fn EmployeePicker(
    /// The chosen employee (`None`: nobody / all).
    value: RwSignal<Option<Employee>>,
    #[prop(into)] label: String,
    /// Placeholder while nobody is chosen, e.g. "Semua karyawan".
    #[prop(into)]
    placeholder: String,
    /// Only active employees.
    #[prop(optional)]
    active_only: bool,
    /// Marks employees whose face is registered (✓).
    #[prop(optional)]
    face_mark: bool,
) -> impl IntoView {
    let n = NEXT.with(|c| {
        let v = c.get();
        c.set(v + 1);
        v
    });
    let input_id = format!("picker-{n}");
    let list_id = format!("picker-{n}-list");
    let text = RwSignal::new(value.get_untracked().map(|e| label_of(&e)).unwrap_or_default());
    let query = RwSignal::new(String::new());
    let open = RwSignal::new(false);
    let active = RwSignal::new(0usize);

    // A choice made elsewhere (e.g. `?employee=` on /register) shows in the box.
    Effect::new(move |_| {
        if let Some(e) = value.get() {
            if !open.get_untracked() {
                text.set(label_of(&e));
            }
        }
    });

    let results = api::Remote::<Page<Employee>>::new(move || {
        open.get().then(|| {
            api::with_query(
                "/api/employees",
                &[
                    ("q", query.get().trim().to_owned()),
                    ("aktif", if active_only { "true".into() } else { String::new() }),
                    ("per_page", SHOWN.to_string()),
                ],
            )
        })
    });
    let items = move || results.get().and_then(|r| r.ok()).map(|p| p.items).unwrap_or_default();

    let choose = move |e: Option<Employee>| {
        text.set(e.as_ref().map(label_of).unwrap_or_default());
        value.set(e);
        open.set(false);
    };
    let on_input = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        text.set(v.clone());
        open.set(true);
        active.set(0);
        if value.get_untracked().is_some() {
            value.set(None);
        }
        set_timeout(
            move || {
                if text.get_untracked() == v {
                    query.set(v);
                }
            },
            std::time::Duration::from_millis(DEBOUNCE_MS),
        );
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let n = results.get_untracked().and_then(|r| r.ok()).map(|p| p.items.len()).unwrap_or(0);
        match ev.key().as_str() {
            "ArrowDown" => {
                ev.prevent_default();
                if !open.get_untracked() {
                    open.set(true);
                } else if n > 0 {
                    active.update(|a| *a = (*a + 1) % n);
                }
            }
            "ArrowUp" if n > 0 => {
                ev.prevent_default();
                active.update(|a| *a = (*a + n - 1) % n);
            }
            "Enter" if open.get_untracked() => {
                ev.prevent_default();
                let list = results.get_untracked().and_then(|r| r.ok()).map(|p| p.items).unwrap_or_default();
                if let Some(e) = list.get(active.get_untracked()).cloned() {
                    choose(Some(e));
                }
            }
            "Escape" if open.get_untracked() => {
                ev.stop_propagation();
                open.set(false);
            }
            _ => {}
        }
    };
    // Leaving the box without choosing keeps the previous state visible: the chosen name, or empty.
    let on_blur = move |_| {
        open.set(false);
        text.set(value.get_untracked().map(|e| label_of(&e)).unwrap_or_default());
    };

    let list_id2 = list_id.clone();
    let list_id3 = list_id.clone();
    view! {
        <div class="field picker">
            <label for=input_id.clone()>{label}</label>
            <div class="picker-box">
                <input
                    id=input_id
                    type="text"
                    role="combobox"
                    autocomplete="off"
                    aria-autocomplete="list"
                    aria-controls=list_id.clone()
                    aria-expanded=move || open.get().to_string()
                    aria-activedescendant=move || {
                        (open.get() && !items().is_empty()).then(|| format!("{}-{}", list_id2, active.get()))
                    }
                    placeholder=placeholder
                    prop:value=move || text.get()
                    on:input=on_input
                    on:focus=move |_| {
                        query.set(if value.get_untracked().is_some() { String::new() } else { text.get_untracked() });
                        open.set(true);
                    }
                    on:click=move |_| open.set(true)
                    on:keydown=on_key
                    on:blur=on_blur
                />
                <Show when=move || value.with(|v| v.is_some())>
                    <button type="button" class="picker-clear" aria-label="Hapus pilihan" on:click=move |_| choose(None)>
                        "×"
                    </button>
                </Show>
                {move || open.get().then(|| {
                    let (ul_id, list_id3) = (list_id3.clone(), list_id3.clone());
                    view! {
                    <ul class="picker-list" role="listbox" id=ul_id>
                        {move || match results.get() {
                            None => view! { <li class="picker-note">"Memuat…"</li> }.into_any(),
                            Some(Err(e)) => view! { <li class="picker-note">{e.message}</li> }.into_any(),
                            Some(Ok(p)) if p.items.is_empty() => {
                                view! { <li class="picker-note">"Tidak ada karyawan yang cocok."</li> }.into_any()
                            }
                            Some(Ok(p)) => {
                                let more = p.total.saturating_sub(p.items.len() as u64);
                                let list_id = list_id3.clone();
                                view! {
                                    {p
                                        .items
                                        .into_iter()
                                        .enumerate()
                                        .map(|(i, e)| {
                                            let mark = if face_mark && e.face_registered { " ✓" } else { "" };
                                            let text = format!("{}{}", label_of(&e), mark);
                                            let off = if e.aktif { "" } else { " (nonaktif)" };
                                            view! {
                                                <li
                                                    role="option"
                                                    id=format!("{list_id}-{i}")
                                                    class:active=move || active.get() == i
                                                    aria-selected=move || (active.get() == i).to_string()
                                                    on:mousedown=move |ev| {
                                                        // Keep the focus in the box (no blur before the choice).
                                                        ev.prevent_default();
                                                        choose(Some(e.clone()));
                                                    }
                                                >
                                                    {text}
                                                    <span class="muted small">{off}</span>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                    {(more > 0)
                                        .then(|| {
                                            view! {
                                                <li class="picker-note">
                                                    {format!("{more} lainnya — ketik nama atau kode untuk mempersempit")}
                                                </li>
                                            }
                                        })}
                                }
                                    .into_any()
                            }
                        }}
                    </ul>
                    }
                })}
            </div>
        </div>
    }
}
