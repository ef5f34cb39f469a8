//! Writes the seed corpora into `corpus/<target>/seed-*` (git-ignored) when they are missing: small valid
//! JPEG, PNG and WebP images made with the image crate (synthetic gradients, never real photos) and a few
//! valid multipart bodies in the input layout of `fuzz_targets/multipart.rs`. Existing files, including
//! what the fuzzer has grown, are left alone.
use std::io::Cursor;
use std::path::Path;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{ExtendedColorType, GrayImage, ImageEncoder, Luma, Rgb, RgbImage, Rgba, RgbaImage};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let images = image_seeds();
    for target in ["decode_image", "normalise_upload"] {
        for (name, bytes) in &images {
            if target == "decode_image" && name.ends_with(".webp") {
                continue; // decode_image only accepts JPEG and PNG
            }
            write_seed(&root.join(target), name, bytes);
        }
    }
    for (name, bytes) in multipart_seeds(&images) {
        write_seed(&root.join("multipart"), &name, &bytes);
    }
}

fn write_seed(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(format!("seed-{name}"));
    if path.exists() {
        return;
    }
    std::fs::create_dir_all(dir).expect("create corpus dir");
    std::fs::write(&path, bytes).expect("write seed");
}

fn rgb(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| Rgb([(x * 7 % 256) as u8, (y * 5 % 256) as u8, ((x + y) * 3 % 256) as u8]))
}

fn png(w: u32, h: u32, color: ExtendedColorType, raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out).write_image(raw, w, h, color).expect("png");
    out
}

fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality).encode_image(img).expect("jpeg");
    out
}

/// A JPEG with an APP1 EXIF segment carrying `orientation` (the decoder's rotate/flip path).
fn jpeg_with_exif(img: &RgbImage, orientation: u16) -> Vec<u8> {
    let plain = jpeg(img, 80);
    let mut tiff = vec![b'M', b'M', 0, 42, 0, 0, 0, 8];
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&0x0112u16.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut seg = b"Exif\0\0".to_vec();
    seg.extend(tiff);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((seg.len() + 2) as u16).to_be_bytes());
    out.extend(seg);
    out.extend_from_slice(&plain[2..]);
    out
}

/// The shape on which zune-jpeg 0.5.15 panics (third component 2x3-sampled, a scan holding only the first
/// component): kept as a seed so every run re-checks the `catch_unwind` guard of both decoders.
fn jpeg_zune_panic() -> Vec<u8> {
    let mut bytes = jpeg(&rgb(16, 20), 90);
    let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).expect("SOF0");
    bytes[sof + 17] = 0x23;
    let sos = bytes.windows(2).position(|w| w == [0xFF, 0xDA]).expect("SOS");
    bytes.truncate(sos);
    bytes.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0xF2, 0xFF, 0xD9]);
    bytes
}

fn image_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    let a = rgb(40, 30);
    seeds.push(("rgb-40x30.png".into(), png(40, 30, ExtendedColorType::Rgb8, a.as_raw())));
    let g = GrayImage::from_fn(16, 16, |x, y| Luma([(x * 16 + y) as u8]));
    seeds.push(("gray-16x16.png".into(), png(16, 16, ExtendedColorType::L8, g.as_raw())));
    let r = RgbaImage::from_fn(20, 17, |x, y| Rgba([x as u8 * 9, y as u8 * 11, 50, (x * y) as u8]));
    seeds.push(("rgba-20x17.png".into(), png(20, 17, ExtendedColorType::Rgba8, r.as_raw())));
    let wide: Vec<u8> = rgb(17, 16).as_raw().iter().flat_map(|&v| [v, v ^ 0x5a]).collect();
    seeds.push(("rgb16-17x16.png".into(), png(17, 16, ExtendedColorType::Rgb16, &wide)));
    seeds.push(("q90-64x48.jpg".into(), jpeg(&rgb(64, 48), 90)));
    seeds.push(("q30-33x17.jpg".into(), jpeg(&rgb(33, 17), 30)));
    let mut gray_jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut gray_jpeg, 75)
        .write_image(GrayImage::from_fn(24, 24, |x, y| Luma([(x ^ y) as u8 * 10])).as_raw(), 24, 24, ExtendedColorType::L8)
        .expect("gray jpeg");
    seeds.push(("gray-24x24.jpg".into(), gray_jpeg));
    seeds.push(("exif6-32x16.jpg".into(), jpeg_with_exif(&rgb(32, 16), 6)));
    seeds.push(("exif3-16x20.jpg".into(), jpeg_with_exif(&rgb(16, 20), 3)));
    seeds.push(("zune-panic-16x20.jpg".into(), jpeg_zune_panic()));
    let mut webp = Vec::new();
    WebPEncoder::new_lossless(Cursor::new(&mut webp))
        .write_image(rgb(24, 18).as_raw(), 24, 18, ExtendedColorType::Rgb8)
        .expect("webp");
    seeds.push(("lossless-24x18.webp".into(), webp));
    seeds
}

const CRLF: &str = "\r\n";

/// A multipart/form-data body: text fields and files, with `boundary`.
fn body(boundary: &str, texts: &[(&str, &str)], files: &[(&str, &str, &str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in texts {
        out.extend(format!("--{boundary}{CRLF}Content-Disposition: form-data; name=\"{name}\"{CRLF}{CRLF}").bytes());
        out.extend(value.bytes());
        out.extend(CRLF.bytes());
    }
    for (name, filename, ct, bytes) in files {
        out.extend(
            format!(
                "--{boundary}{CRLF}Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"{CRLF}Content-Type: {ct}{CRLF}{CRLF}"
            )
            .bytes(),
        );
        out.extend_from_slice(bytes);
        out.extend(CRLF.bytes());
    }
    out.extend(format!("--{boundary}--{CRLF}").bytes());
    out
}

fn with_ctl(ctl: u8, content_type: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut out = vec![ctl];
    if let Some(ct) = content_type {
        out.extend(ct.bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(body);
    out
}

fn multipart_seeds(images: &[(String, Vec<u8>)]) -> Vec<(String, Vec<u8>)> {
    let jpg = &images.iter().find(|(n, _)| n.ends_with(".jpg")).expect("a jpeg").1;
    let png = &images.iter().find(|(n, _)| n.ends_with(".png")).expect("a png").1;
    let kiosk = body(
        "fuzzboundary",
        &[("challenge", "eyJ0b2tlbiI6IngifQ.c2ln"), ("latitude", "-6.2000"), ("longitude", "106.8166"), ("accuracy", "12.5")],
        &[("frame", "f1.jpg", "image/jpeg", jpg), ("frame", "f2.jpg", "image/jpeg", jpg)],
    );
    let leave = body(
        "fuzzboundary",
        &[("employee_id", "1"), ("jenis", "SAKIT"), ("tanggal_mulai", "2026-05-04"), ("alasan", "Demam ✓")],
        &[("bukti", "surat dokter.png", "image/png", png)],
    );
    let other_boundary = body("----WebKitFormBoundary7MA4YWxkTrZu0gW", &[("nama", "Budi")], &[("photo", "p.png", "image/png", png)]);
    let tiny = body("fuzzboundary", &[("a", "b")], &[("f", "x.bin", "application/octet-stream", &[0u8; 100])]);
    vec![
        ("kiosk-whole".into(), with_ctl(0x00, None, &kiosk)),
        ("kiosk-chunk7".into(), with_ctl(0x07, None, &kiosk)),
        ("kiosk-chunk1".into(), with_ctl(0x01, None, &kiosk)),
        ("kiosk-chunk5-slow".into(), with_ctl(0x20 | 0x05, None, &kiosk)),
        ("leave-whole".into(), with_ctl(0x00, None, &leave)),
        (
            "webkit-ct".into(),
            with_ctl(0x40 | 0x0d, Some("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW"), &other_boundary),
        ),
        ("tiny-limits".into(), with_ctl(0x80, None, &tiny)),
        ("no-ct".into(), with_ctl(0x40, Some("text/plain"), b"hello")),
        ("empty-body".into(), with_ctl(0x00, None, b"--fuzzboundary--\r\n")),
        // Ends inside a part right after CRLF (the shape of actix/actix-web#3202: the parser stays pending).
        (
            "incomplete-crlf".into(),
            with_ctl(0x00, None, b"--fuzzboundary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nabc\r\n"),
        ),
    ]
}
