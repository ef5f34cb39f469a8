//! `face_engine::decode_image` with the default limits (the kiosk and face-registration path) must never
//! panic, abort or exhaust memory, whatever the bytes: every refusal is a `FaceError`. A decoded frame is
//! then letterboxed to the detector input exactly like `FaceEngine::detect` does (without the model), so
//! odd dimensions (1-pixel-wide strips, huge aspect ratios) also reach the resampling code.
#![no_main]

use face_engine::detect::INPUT_SIZE;
use face_engine::geometry::{warp_rgb, Affine};
use face_engine::{decode_image, DecodeLimits};
use libfuzzer_sys::fuzz_target;

// libfuzzer-sys' hook aborts on every panic, even one the code under test catches on purpose (the image
// decoders are guarded with `catch_unwind` because zune-jpeg panics on some files): report only panics that
// escape. libfuzzer-sys still aborts on those (its own `catch_unwind` around the target), after this hook
// has printed where they came from.
fuzz_target!(init: std::panic::set_hook(Box::new(|info| eprintln!("panic: {info}"))), |data: &[u8]| {
    let limits = DecodeLimits::default();
    let Ok(img) = decode_image(data, &limits) else { return };
    let (w, h) = img.dimensions();
    assert!(w > 0 && h > 0 && w <= limits.max_side && h <= limits.max_side);
    assert!(u64::from(w) * u64::from(h) <= limits.max_pixels);
    assert_eq!(img.as_raw().len(), w as usize * h as usize * 3);
    // Letterbox to the BlazeFace input (as `FaceEngine::detect` with no border).
    let n = INPUT_SIZE;
    let (wf, hf) = (w as f64, h as f64);
    let scale = n as f64 / wf.max(hf);
    let pad_x = (n as f64 - wf * scale) / 2.0;
    let pad_y = (n as f64 - hf * scale) / 2.0;
    let in_to_img = Affine([1.0 / scale, 0.0, -pad_x / scale, 0.0, 1.0 / scale, -pad_y / scale]);
    let data = warp_rgb(&img, &in_to_img, n, n);
    assert_eq!(data.len(), n * n * 3);
    assert!(data.iter().all(|v| v.is_finite() && (-0.01..=255.01).contains(v)));
});
