//! Explicit uploads (profile photos, leave proofs): content sniffed (never the file name), decoded with
//! limits, orientation applied, resized, re-encoded as JPEG (which drops any metadata) and stored under a
//! random name in `UPLOAD_DIR/<kind>/`. Files are only served through authenticated endpoints.
//!
//! Camera frames for face registration and the kiosk never come here: they live only in memory.
use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{imageops::FilterType, DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadKind {
    Profile,
    LeaveProof,
}

impl UploadKind {
    pub fn dir(self) -> &'static str {
        match self {
            UploadKind::Profile => "profiles",
            UploadKind::LeaveProof => "leaves",
        }
    }

    /// Longest side after resizing.
    fn max_side(self) -> u32 {
        match self {
            UploadKind::Profile => 512,
            UploadKind::LeaveProof => 1600,
        }
    }
}

/// Images larger than this many pixels are refused before decoding (decompression bombs).
pub const MAX_PIXELS: u64 = 40_000_000;

/// Decodes an uploaded image safely: sniffed format (JPEG, PNG, WebP), pixel and allocation limits,
/// EXIF orientation applied.
pub fn decode_upload(bytes: &[u8], max_bytes: usize) -> AppResult<DynamicImage> {
    if bytes.is_empty() {
        return Err(AppError::unprocessable("INVALID_IMAGE", "Berkas gambar kosong."));
    }
    if bytes.len() > max_bytes {
        return Err(AppError::payload_too_large(format!(
            "Gambar terlalu besar (maksimal {} MB).",
            max_bytes / (1024 * 1024)
        )));
    }
    let format = image::guess_format(bytes).map_err(|_| not_an_image())?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) {
        return Err(AppError::unsupported_media("Format gambar tidak didukung. Gunakan JPEG, PNG, atau WebP."));
    }
    // The JPEG decoder (zune-jpeg 0.5.15) panics on some malformed files instead of returning an error
    // (found by the fuzz targets in backend/fuzz; see face_engine::decode). That is a broken upload (422),
    // not a 500 from a panicked blocking task.
    std::panic::catch_unwind(|| decode_sniffed(bytes, format)).unwrap_or_else(|_| Err(not_an_image()))
}

/// [`decode_upload`] after the format is known.
fn decode_sniffed(bytes: &[u8], format: ImageFormat) -> AppResult<DynamicImage> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(512 * 1024 * 1024);
    limits.max_image_width = Some(20_000);
    limits.max_image_height = Some(20_000);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(not_an_image());
    }
    if (w as u64) * (h as u64) > MAX_PIXELS {
        return Err(AppError::payload_too_large(format!(
            "Resolusi gambar terlalu besar ({w}x{h}); maksimal {} megapiksel.",
            MAX_PIXELS / 1_000_000
        )));
    }
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok(img)
}

fn not_an_image() -> AppError {
    AppError::unprocessable("INVALID_IMAGE", "Berkas bukan gambar yang valid atau rusak.")
}

/// A decoder refusing the image for the limits above (a header announcing more than 20,000 pixels a side,
/// or more memory than allowed: a decompression bomb) is a 413, like the pixel count check; anything else
/// is not a usable image.
fn decode_error(e: image::ImageError) -> AppError {
    match e {
        image::ImageError::Limits(_) => AppError::payload_too_large(format!(
            "Resolusi gambar terlalu besar; maksimal 20000 piksel per sisi dan {} megapiksel.",
            MAX_PIXELS / 1_000_000
        )),
        _ => not_an_image(),
    }
}

/// Decode, resize and re-encode as JPEG (quality 85).
pub fn normalise_image(bytes: &[u8], kind: UploadKind, max_bytes: usize) -> AppResult<Vec<u8>> {
    let img = decode_upload(bytes, max_bytes)?;
    let max = kind.max_side();
    let img = if img.width() > max || img.height() > max { img.resize(max, max, FilterType::Triangle) } else { img };
    let rgb = img.to_rgb8();
    let mut out = Vec::new();
    let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
    enc.encode_image(&rgb).map_err(AppError::internal)?;
    Ok(out)
}

/// A stored name is `<kind dir>/<uuid v4>.jpg`; anything else (e.g. `../`) is refused.
pub fn is_valid_stored_name(name: &str) -> bool {
    let Some((dir, file)) = name.split_once('/') else { return false };
    if dir != "profiles" && dir != "leaves" {
        return false;
    }
    let Some(stem) = file.strip_suffix(".jpg") else { return false };
    stem.len() == 36 && stem.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

fn path_of(upload_dir: &Path, stored: &str) -> AppResult<PathBuf> {
    if !is_valid_stored_name(stored) {
        return Err(AppError::not_found("Berkas"));
    }
    Ok(upload_dir.join(stored))
}

/// Processes and stores an upload; returns the stored name for the database column.
pub async fn store_image(upload_dir: &Path, kind: UploadKind, bytes: Vec<u8>, max_bytes: usize) -> AppResult<String> {
    let jpeg =
        actix_web::web::block(move || normalise_image(&bytes, kind, max_bytes)).await.map_err(AppError::internal)??;
    let name = format!("{}/{}.jpg", kind.dir(), uuid::Uuid::new_v4());
    let path = upload_dir.join(&name);
    let dir = path.parent().expect("has a parent").to_path_buf();
    let tmp = dir.join(format!(".{}.tmp", uuid::Uuid::new_v4()));
    let write = async {
        tokio::fs::create_dir_all(&dir).await?;
        tokio::fs::write(&tmp, &jpeg).await?;
        tokio::fs::rename(&tmp, &path).await
    };
    if let Err(e) = write.await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(storage_error(e));
    }
    Ok(name)
}

/// Disk full gets its own clear message; other IO errors are internal.
pub fn storage_error(e: std::io::Error) -> AppError {
    if e.raw_os_error() == Some(28) || e.kind() == std::io::ErrorKind::StorageFull {
        tracing::error!(error = %e, "upload storage full");
        AppError::new(
            actix_web::http::StatusCode::INSUFFICIENT_STORAGE,
            "STORAGE_FULL",
            "Penyimpanan server penuh; berkas tidak disimpan. Hubungi admin.",
        )
    } else {
        AppError::internal(format!("upload storage: {e}"))
    }
}

pub async fn read_image(upload_dir: &Path, stored: &str) -> AppResult<Vec<u8>> {
    let path = path_of(upload_dir, stored)?;
    match tokio::fs::read(&path).await {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(AppError::not_found("Berkas")),
        Err(e) => Err(AppError::internal(format!("read upload: {e}"))),
    }
}

pub async fn remove_image(upload_dir: &Path, stored: &str) {
    if let Ok(path) = path_of(upload_dir, stored) {
        if let Err(e) = tokio::fs::remove_file(&path).await {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(error = %e, file = %stored, "could not remove upload");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([10, 200, 30]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img).write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    #[test]
    fn reencodes_and_resizes_to_jpeg() {
        let out = normalise_image(&png(2000, 1000), UploadKind::Profile, 5 << 20).unwrap();
        assert_eq!(image::guess_format(&out).unwrap(), ImageFormat::Jpeg);
        let img = image::load_from_memory(&out).unwrap();
        assert_eq!((img.width(), img.height()), (512, 256));
    }

    #[test]
    fn refuses_non_images_and_bombs() {
        assert_eq!(
            normalise_image(b"GIF89a....", UploadKind::Profile, 5 << 20).unwrap_err().status.as_u16(),
            415,
            "a GIF is an image of an unsupported type"
        );
        assert_eq!(normalise_image(b"hello world", UploadKind::Profile, 5 << 20).unwrap_err().code, "INVALID_IMAGE");
        let mut truncated = png(64, 64);
        truncated.truncate(60);
        assert_eq!(normalise_image(&truncated, UploadKind::Profile, 5 << 20).unwrap_err().code, "INVALID_IMAGE");
        // A PNG header claiming 30000 x 30000 pixels: refused from the header, before any allocation.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&30000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&30000u32.to_be_bytes());
        let e = normalise_image(&bomb, UploadKind::Profile, 5 << 20).unwrap_err();
        assert!(e.status.is_client_error(), "{e}");
        let e = normalise_image(&png(10, 10), UploadKind::Profile, 10).unwrap_err();
        assert_eq!(e.code, "PAYLOAD_TOO_LARGE");
    }

    /// A baseline JPEG (third component 2x3-sampled, a scan holding only the first component) on which
    /// zune-jpeg 0.5.15 panics; found by fuzzing. A 422 INVALID_IMAGE, not a panic.
    #[test]
    fn refuses_jpeg_that_panics_the_decoder() {
        let img = image::RgbImage::from_fn(16, 20, |x, y| image::Rgb([(x * 3 % 256) as u8, (y * 5 % 256) as u8, 90]));
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90).encode_image(&img).unwrap();
        let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        bytes[sof + 17] = 0x23;
        let sos = bytes.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
        bytes.truncate(sos);
        bytes.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0xF2, 0xFF, 0xD9]);
        let e = normalise_image(&bytes, UploadKind::LeaveProof, 5 << 20).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code.as_ref()), (422, "INVALID_IMAGE"));
    }

    #[test]
    fn stored_names_cannot_escape() {
        assert!(is_valid_stored_name("profiles/0b7e8d3c-5d7a-4c39-9a57-2a1f0d9e6b11.jpg"));
        for bad in [
            "../etc/passwd",
            "profiles/../../x.jpg",
            "profiles/0b7e8d3c-5d7a-4c39-9a57-2a1f0d9e6b11.png",
            "other/0b7e8d3c-5d7a-4c39-9a57-2a1f0d9e6b11.jpg",
            "/profiles/0b7e8d3c-5d7a-4c39-9a57-2a1f0d9e6b11.jpg",
        ] {
            assert!(!is_valid_stored_name(bad), "{bad}");
        }
    }
}
