//! Thin fetch wrapper over `web_sys` (no extra HTTP crate): same-origin requests with the auth cookie,
//! JSON bodies, multipart uploads and file downloads, and the API's error shape
//! `{"error": {"code", "message", ...}}` turned into [`ApiError`].

use std::cell::RefCell;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{FormData, Request, RequestCredentials, RequestInit, Response};

/// An error from the API (or from the network), ready to show to a person.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// HTTP status; 0 when the request never got an answer.
    pub status: u16,
    pub code: String,
    pub message: String,
    /// The whole `error` object, for endpoint-specific extras (`fields`, `frames`, `employee`).
    pub details: serde_json::Value,
}

impl ApiError {
    fn network(e: JsValue) -> Self {
        let _ = e;
        ApiError {
            status: 0,
            code: "NETWORK".into(),
            message: "Tidak dapat terhubung ke server. Periksa koneksi internet lalu coba lagi.".into(),
            details: serde_json::Value::Null,
        }
    }

    fn decode() -> Self {
        ApiError {
            status: 0,
            code: "BAD_RESPONSE".into(),
            message: "Jawaban server tidak dapat dibaca.".into(),
            details: serde_json::Value::Null,
        }
    }

    /// Per-field validation messages (`error.fields`), if any.
    pub fn field(&self, name: &str) -> Option<String> {
        self.details.get("fields")?.get(name)?.as_str().map(str::to_owned)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

thread_local! {
    static ON_UNAUTHORIZED: RefCell<Option<Rc<dyn Fn()>>> = const { RefCell::new(None) };
}

/// Registers what happens when an owner call answers 401 (the owner layout sends the person to `/login`).
pub fn set_unauthorized_handler(f: Option<Rc<dyn Fn()>>) {
    ON_UNAUTHORIZED.with(|h| *h.borrow_mut() = f);
}

fn unauthorized() {
    let handler = ON_UNAUTHORIZED.with(|h| h.borrow().clone());
    if let Some(h) = handler {
        h();
    }
}

enum Body {
    None,
    Json(String),
    Form(FormData),
}

async fn send(method: &str, url: &str, body: Body) -> ApiResult<Response> {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::SameOrigin);
    let headers = web_sys::Headers::new().map_err(ApiError::network)?;
    let _ = headers.set("Accept", "application/json");
    match body {
        Body::None => {}
        Body::Json(s) => {
            let _ = headers.set("Content-Type", "application/json");
            init.set_body(&JsValue::from_str(&s));
        }
        // The browser sets the multipart boundary itself.
        Body::Form(f) => init.set_body(&f),
    }
    init.set_headers(&headers);
    let req = Request::new_with_str_and_init(url, &init).map_err(ApiError::network)?;
    let resp: Response = JsFuture::from(web_sys::window().unwrap().fetch_with_request(&req))
        .await
        .map_err(ApiError::network)?
        .unchecked_into();
    if resp.ok() {
        return Ok(resp);
    }
    let status = resp.status();
    let text = read_text(&resp).await.unwrap_or_default();
    let err = parse_error(status, &text);
    // Login answers 401 for wrong credentials: that is not "session expired".
    if status == 401 && !url.starts_with("/api/auth/login") && !url.starts_with("/api/kiosk") {
        unauthorized();
    }
    Err(err)
}

fn parse_error(status: u16, text: &str) -> ApiError {
    let details = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("error").cloned())
        .unwrap_or(serde_json::Value::Null);
    let code =
        details.get("code").and_then(|c| c.as_str()).map(str::to_owned).unwrap_or_else(|| format!("HTTP_{status}"));
    let message = details
        .get("message")
        .and_then(|c| c.as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| default_message(status).to_owned());
    ApiError { status, code, message, details }
}

fn default_message(status: u16) -> &'static str {
    match status {
        401 => "Sesi berakhir. Silakan masuk lagi.",
        403 => "Anda tidak memiliki akses.",
        404 => "Data tidak ditemukan.",
        409 => "Data bentrok dengan data lain.",
        413 => "Berkas terlalu besar.",
        415 => "Jenis berkas tidak didukung.",
        422 => "Data tidak valid.",
        429 => "Terlalu banyak percobaan. Tunggu sebentar lalu coba lagi.",
        503 => "Server sedang tidak tersedia. Coba lagi nanti.",
        s if s >= 500 => "Terjadi kesalahan di server. Coba lagi nanti.",
        _ => "Permintaan gagal.",
    }
}

async fn read_text(resp: &Response) -> ApiResult<String> {
    let p = resp.text().map_err(|_| ApiError::decode())?;
    let v = JsFuture::from(p).await.map_err(|_| ApiError::decode())?;
    Ok(v.as_string().unwrap_or_default())
}

async fn decode<T: DeserializeOwned>(resp: Response) -> ApiResult<T> {
    let text = read_text(&resp).await?;
    // 204 No Content decodes as JSON null (fine for `()`).
    let text = if text.trim().is_empty() { "null" } else { &text };
    serde_json::from_str(text).map_err(|_| ApiError::decode())
}

pub async fn post_json<B: Serialize, T: DeserializeOwned>(url: &str, body: &B) -> ApiResult<T> {
    let s = serde_json::to_string(body).map_err(|_| ApiError::decode())?;
    decode(send("POST", url, Body::Json(s)).await?).await
}

pub async fn put_json<B: Serialize, T: DeserializeOwned>(url: &str, body: &B) -> ApiResult<T> {
    let s = serde_json::to_string(body).map_err(|_| ApiError::decode())?;
    decode(send("PUT", url, Body::Json(s)).await?).await
}

pub async fn patch_json<B: Serialize, T: DeserializeOwned>(url: &str, body: &B) -> ApiResult<T> {
    let s = serde_json::to_string(body).map_err(|_| ApiError::decode())?;
    decode(send("PATCH", url, Body::Json(s)).await?).await
}

/// GET one JSON document.
pub async fn get_json<T: DeserializeOwned>(url: &str) -> ApiResult<T> {
    let t = get_text(url.to_owned()).await?;
    serde_json::from_str(&t).map_err(|_| ApiError::decode())
}

/// POST with no body (approve/reject/cancel, logout).
pub async fn post_empty<T: DeserializeOwned>(url: &str) -> ApiResult<T> {
    decode(send("POST", url, Body::None).await?).await
}

pub async fn delete<T: DeserializeOwned>(url: &str) -> ApiResult<T> {
    decode(send("DELETE", url, Body::None).await?).await
}

pub async fn post_form<T: DeserializeOwned>(url: &str, form: FormData) -> ApiResult<T> {
    decode(send("POST", url, Body::Form(form)).await?).await
}

/// Downloads a file answer and hands it to the browser as a download; returns the file name used.
pub async fn download(url: &str, fallback_name: &str) -> ApiResult<String> {
    let resp = send("GET", url, Body::None).await?;
    let name = resp
        .headers()
        .get("Content-Disposition")
        .ok()
        .flatten()
        .and_then(|cd| filename_from_disposition(&cd))
        .unwrap_or_else(|| fallback_name.to_owned());
    let blob: web_sys::Blob = JsFuture::from(resp.blob().map_err(|_| ApiError::decode())?)
        .await
        .map_err(|_| ApiError::decode())?
        .unchecked_into();
    save_blob(&blob, &name);
    Ok(name)
}

/// Offers a blob to the user as a download named `name`.
pub fn save_blob(blob: &web_sys::Blob, name: &str) {
    let Ok(obj_url) = web_sys::Url::create_object_url_with_blob(blob) else { return };
    let doc = web_sys::window().unwrap().document().unwrap();
    if let Ok(a) = doc.create_element("a") {
        let a: web_sys::HtmlAnchorElement = a.unchecked_into();
        a.set_href(&obj_url);
        a.set_download(name);
        let _ = doc.body().unwrap().append_child(&a);
        a.click();
        a.remove();
    }
    // Revoke a little later: some browsers read the URL asynchronously after click().
    leptos::prelude::set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&obj_url);
        },
        std::time::Duration::from_secs(30),
    );
}

fn filename_from_disposition(cd: &str) -> Option<String> {
    // filename*=UTF-8''name.xlsx wins over filename="name.xlsx"
    for part in cd.split(';').map(str::trim) {
        if let Some(v) = part.strip_prefix("filename*=") {
            let v = v.rsplit("''").next().unwrap_or(v);
            let decoded = js_sys::decode_uri_component(v).ok()?.as_string()?;
            if !decoded.is_empty() {
                return Some(decoded);
            }
        }
    }
    for part in cd.split(';').map(str::trim) {
        if let Some(v) = part.strip_prefix("filename=") {
            let v = v.trim_matches('"');
            if !v.is_empty() {
                return Some(v.to_owned());
            }
        }
    }
    None
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    js_sys::encode_uri_component(s).as_string().unwrap_or_default()
}

/// Builds `path?k=v&...`, skipping empty values.
pub fn with_query(path: &str, params: &[(&str, String)]) -> String {
    let mut out = path.to_owned();
    let mut first = true;
    for (k, v) in params {
        if v.is_empty() {
            continue;
        }
        out.push(if first { '?' } else { '&' });
        first = false;
        out.push_str(k);
        out.push('=');
        out.push_str(&enc(v));
    }
    out
}

/// GET returning the body text (one non-generic future shared by every loader).
async fn get_text(url: String) -> ApiResult<String> {
    let resp = send("GET", &url, Body::None).await?;
    read_text(&resp).await
}

/// Data loaded from a GET endpoint: reloads when the signals read by its URL function change, or on
/// `refetch()`. `get()` is `None` while the first answer is pending. Answers to superseded requests are
/// dropped. (Lighter than `LocalResource` in the .wasm: one fetch future for all types.)
pub struct Remote<T: Send + Sync + 'static> {
    data: leptos::prelude::RwSignal<Option<ApiResult<T>>>,
    version: leptos::prelude::RwSignal<u32>,
}

impl<T: Send + Sync + 'static> Clone for Remote<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Send + Sync + 'static> Copy for Remote<T> {}

impl<T: DeserializeOwned + Clone + Send + Sync + 'static> Remote<T> {
    /// `url` returns `None` when there is nothing to load (then `get()` is `None`).
    pub fn new(url: impl Fn() -> Option<String> + 'static) -> Self {
        use leptos::prelude::*;
        let data = RwSignal::new(None::<ApiResult<T>>);
        let version = RwSignal::new(0u32);
        let seq = StoredValue::new(0u64);
        Effect::new(move |_| {
            version.track();
            let Some(u) = url() else {
                data.set(None);
                return;
            };
            let my = seq.get_value() + 1;
            seq.set_value(my);
            leptos::task::spawn_local(async move {
                let r = get_text(u).await;
                if seq.try_get_value() == Some(my) {
                    let v = r.and_then(|t| {
                        let t = if t.trim().is_empty() { "null" } else { t.as_str() };
                        serde_json::from_str::<T>(t).map_err(|_| ApiError::decode())
                    });
                    data.try_set(Some(v));
                }
            });
        });
        Remote { data, version }
    }

    /// A fixed URL.
    pub fn fixed(url: &'static str) -> Self {
        Self::new(move || Some(url.to_owned()))
    }

    pub fn get(&self) -> Option<ApiResult<T>> {
        use leptos::prelude::Get;
        self.data.get()
    }

    pub fn get_untracked(&self) -> Option<ApiResult<T>> {
        use leptos::prelude::GetUntracked;
        self.data.get_untracked()
    }

    pub fn refetch(&self) {
        use leptos::prelude::Update;
        self.version.update(|v| *v += 1);
    }
}
