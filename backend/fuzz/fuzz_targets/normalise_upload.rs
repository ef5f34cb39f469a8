//! `backend::uploads::normalise_image` (profile photos and leave proofs: JPEG, PNG or WebP sniffed from the
//! bytes, decoded with limits, orientation applied, resized, re-encoded as JPEG) must never panic, abort or
//! exhaust memory: bad bytes are an `AppError` with a 4xx status, never a 5xx.
#![no_main]

use backend::uploads::{normalise_image, UploadKind};
use libfuzzer_sys::fuzz_target;

// libfuzzer-sys' hook aborts on every panic, even one the code under test catches on purpose (the image
// decoders are guarded with `catch_unwind` because zune-jpeg panics on some files): report only panics that
// escape. libfuzzer-sys still aborts on those (its own `catch_unwind` around the target), after this hook
// has printed where they came from.
fuzz_target!(init: std::panic::set_hook(Box::new(|info| eprintln!("panic: {info}"))), |data: &[u8]| {
    // The server's default MAX_UPLOAD_BYTES.
    match normalise_image(data, UploadKind::Profile, 5 * 1024 * 1024) {
        Ok(jpeg) => {
            assert_eq!(image_format(&jpeg), Some("jpeg"), "always re-encoded as JPEG");
        }
        Err(e) => assert!(e.status.is_client_error(), "bad upload must be a 4xx, got {} {}", e.status, e.code),
    }
});

fn image_format(b: &[u8]) -> Option<&'static str> {
    b.starts_with(&[0xFF, 0xD8, 0xFF]).then_some("jpeg")
}
