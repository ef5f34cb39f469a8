//! Camera, frame capture, geolocation and timers, straight on `web_sys`.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, HtmlCanvasElement, HtmlVideoElement, MediaStream, MediaStreamConstraints};

/// Waits `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let _ = web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(p).await;
}

/// Milliseconds since the epoch (browser clock).
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Why the camera could not start, in words for the person holding the phone.
pub fn camera_error_message(e: &JsValue) -> String {
    let name = js_sys::Reflect::get(e, &JsValue::from_str("name")).ok().and_then(|v| v.as_string()).unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" | "SecurityError" => {
            "Izin kamera ditolak. Izinkan akses kamera untuk situs ini di pengaturan browser, lalu muat ulang halaman."
        }
        "NotFoundError" | "OverconstrainedError" => "Kamera tidak ditemukan di perangkat ini.",
        "NotReadableError" | "AbortError" => {
            "Kamera sedang dipakai aplikasi lain. Tutup aplikasi tersebut lalu coba lagi."
        }
        "NO_MEDIA" => {
            "Browser tidak mendukung kamera di halaman ini. Gunakan HTTPS (atau localhost) dan browser terbaru."
        }
        _ => "Kamera tidak dapat dinyalakan. Coba muat ulang halaman.",
    }
    .to_owned()
}

/// Starts the front camera (`facingMode: user`, ~640x480) and plays it in `video`.
pub async fn start_camera(video: &HtmlVideoElement) -> Result<MediaStream, JsValue> {
    let nav = web_sys::window().unwrap().navigator();
    // navigator.mediaDevices is undefined outside a secure context.
    let has_media = js_sys::Reflect::get(&nav, &JsValue::from_str("mediaDevices"))
        .map(|v| !v.is_undefined() && !v.is_null())
        .unwrap_or(false);
    if !has_media {
        let err = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&err, &"name".into(), &"NO_MEDIA".into());
        return Err(err.into());
    }
    let devices = nav.media_devices()?;
    let video_c = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&video_c, &"facingMode".into(), &"user".into());
    let ideal = |v: f64| {
        let o = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&o, &"ideal".into(), &JsValue::from_f64(v));
        o
    };
    let _ = js_sys::Reflect::set(&video_c, &"width".into(), &ideal(640.0));
    let _ = js_sys::Reflect::set(&video_c, &"height".into(), &ideal(480.0));
    let constraints = MediaStreamConstraints::new();
    constraints.set_audio_bool(false);
    constraints.set_video(&video_c);
    let stream: MediaStream =
        JsFuture::from(devices.get_user_media_with_constraints(&constraints)?).await?.unchecked_into();
    video.set_muted(true);
    video.set_src_object(Some(&stream));
    if let Ok(p) = video.play() {
        let _ = JsFuture::from(p).await;
    }
    // Wait (bounded) until the first frame has dimensions.
    for _ in 0..50 {
        if video.video_width() > 0 {
            break;
        }
        sleep(100).await;
    }
    Ok(stream)
}

pub fn stop_stream(stream: &MediaStream) {
    for t in stream.get_tracks().iter() {
        let t: web_sys::MediaStreamTrack = t.unchecked_into();
        t.stop();
    }
}

/// Draws the current video frame, scaled to `max_width` px wide, into `canvas` and encodes it as JPEG.
/// The frame is NOT mirrored (the preview is mirrored with CSS only).
pub async fn capture_jpeg(
    video: &HtmlVideoElement,
    canvas: &HtmlCanvasElement,
    max_width: u32,
    quality: f64,
) -> Result<Blob, JsValue> {
    let (vw, vh) = (video.video_width(), video.video_height());
    if vw == 0 || vh == 0 {
        return Err(JsValue::from_str("video not ready"));
    }
    let w = vw.min(max_width);
    let h = ((vh as f64) * (w as f64) / (vw as f64)).round() as u32;
    canvas.set_width(w);
    canvas.set_height(h);
    let ctx: web_sys::CanvasRenderingContext2d =
        canvas.get_context("2d")?.ok_or_else(|| JsValue::from_str("no 2d context"))?.unchecked_into();
    ctx.draw_image_with_html_video_element_and_dw_and_dh(video, 0.0, 0.0, w as f64, h as f64)?;
    canvas_to_jpeg(canvas, quality).await
}

pub async fn canvas_to_jpeg(canvas: &HtmlCanvasElement, quality: f64) -> Result<Blob, JsValue> {
    let slot: Rc<RefCell<Option<Closure<dyn FnMut(JsValue)>>>> = Rc::new(RefCell::new(None));
    let slot2 = slot.clone();
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let reject2 = reject.clone();
        let cb = Closure::<dyn FnMut(JsValue)>::new(move |blob: JsValue| {
            if blob.is_null() {
                let _ = reject2.call1(&JsValue::NULL, &JsValue::from_str("toBlob failed"));
            } else {
                let _ = resolve.call1(&JsValue::NULL, &blob);
            }
        });
        let r = canvas.to_blob_with_type_and_encoder_options(
            cb.as_ref().unchecked_ref(),
            "image/jpeg",
            &JsValue::from_f64(quality),
        );
        if r.is_err() {
            let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("toBlob failed"));
        }
        *slot2.borrow_mut() = Some(cb);
    });
    let out = JsFuture::from(promise).await;
    drop(slot); // keep the closure alive until the callback ran
    Ok(out?.unchecked_into())
}

/// One GPS fix.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fix {
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy: f64,
    /// When the browser took the fix (ms since epoch).
    pub timestamp: f64,
}

/// The state of the location watch.
#[derive(Clone, Debug, PartialEq)]
pub enum GpsState {
    Waiting,
    Fix(Fix),
    Error(String),
}

/// A running `navigator.geolocation.watchPosition`; cleared on drop.
pub struct GeoWatch {
    id: Option<i32>,
    _ok: Closure<dyn FnMut(web_sys::Position)>,
    _err: Closure<dyn FnMut(web_sys::PositionError)>,
}

impl Drop for GeoWatch {
    fn drop(&mut self) {
        if let (Some(id), Ok(geo)) = (self.id, web_sys::window().unwrap().navigator().geolocation()) {
            geo.clear_watch(id);
        }
    }
}

/// Watches the position with high accuracy; `on_update` gets every fix or error.
pub fn watch_position(on_update: impl Fn(GpsState) + 'static) -> GeoWatch {
    let on_update = Rc::new(on_update);
    let u1 = on_update.clone();
    let ok = Closure::<dyn FnMut(web_sys::Position)>::new(move |p: web_sys::Position| {
        let c = p.coords();
        u1(GpsState::Fix(Fix {
            latitude: c.latitude(),
            longitude: c.longitude(),
            accuracy: c.accuracy(),
            timestamp: p.timestamp(),
        }));
    });
    let u2 = on_update.clone();
    let err = Closure::<dyn FnMut(web_sys::PositionError)>::new(move |e: web_sys::PositionError| {
        let msg = match e.code() {
            1 => "Izin lokasi ditolak. Izinkan akses lokasi untuk situs ini di pengaturan browser.",
            2 => "Lokasi tidak tersedia. Nyalakan GPS lalu coba lagi.",
            3 => "Menunggu sinyal GPS terlalu lama. Pindah ke tempat terbuka.",
            _ => "Lokasi tidak dapat dibaca.",
        };
        u2(GpsState::Error(msg.to_owned()));
    });
    let nav = web_sys::window().unwrap().navigator();
    let has_geo = js_sys::Reflect::get(&nav, &JsValue::from_str("geolocation"))
        .map(|v| !v.is_undefined() && !v.is_null())
        .unwrap_or(false);
    let id = if has_geo {
        nav.geolocation().ok().and_then(|geo| {
            let opts = web_sys::PositionOptions::new();
            opts.set_enable_high_accuracy(true);
            opts.set_maximum_age(0);
            opts.set_timeout(20_000);
            geo.watch_position_with_error_callback_and_options(
                ok.as_ref().unchecked_ref(),
                Some(err.as_ref().unchecked_ref()),
                &opts,
            )
            .ok()
        })
    } else {
        None
    };
    if id.is_none() {
        on_update(GpsState::Error("Browser ini tidak mendukung lokasi (GPS).".to_owned()));
    }
    GeoWatch { id, _ok: ok, _err: err }
}

/// One fresh `getCurrentPosition` (maximumAge 0); errors are ignored (the watch reports them).
pub fn refresh_position(on_update: impl Fn(GpsState) + 'static) {
    let nav = web_sys::window().unwrap().navigator();
    let Ok(geo) = nav.geolocation() else { return };
    let ok = Closure::once_into_js(move |p: web_sys::Position| {
        let c = p.coords();
        on_update(GpsState::Fix(Fix {
            latitude: c.latitude(),
            longitude: c.longitude(),
            accuracy: c.accuracy(),
            timestamp: p.timestamp(),
        }));
    });
    let opts = web_sys::PositionOptions::new();
    opts.set_enable_high_accuracy(true);
    opts.set_maximum_age(0);
    opts.set_timeout(10_000);
    let _ = geo.get_current_position_with_error_callback_and_options(ok.unchecked_ref(), None, &opts);
}

/// Object URL for showing a captured blob in an `<img>`.
pub fn object_url(blob: &Blob) -> String {
    web_sys::Url::create_object_url_with_blob(blob).unwrap_or_default()
}

pub fn revoke_url(url: &str) {
    let _ = web_sys::Url::revoke_object_url(url);
}
