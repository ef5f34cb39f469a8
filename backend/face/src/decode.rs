//! Safe image decoding: JPEG/PNG sniffed from the bytes, size and pixel limits checked against the
//! header before any pixel is decoded (decompression bombs), EXIF orientation applied.
//!
//! Frames are only ever held in memory: nothing here writes or logs pixels.

use std::io::Cursor;

use image::{ImageDecoder, ImageError, ImageFormat, ImageReader, RgbImage};

use crate::error::FaceError;

/// Limits applied by [`decode_image`]. The defaults fit a kiosk frame and a phone photo upload.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeLimits {
    /// Largest accepted encoded size in bytes.
    pub max_bytes: usize,
    /// Largest accepted width or height in pixels (as announced by the header).
    pub max_side: u32,
    /// Largest accepted width x height (as announced by the header).
    pub max_pixels: u64,
    /// Largest memory the decoder may allocate.
    pub max_alloc: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_bytes: 15 * 1024 * 1024,
            max_side: 8192,
            // 24 MP: a 6000x4000 phone photo; a decoded RGB image of that size is 72 MB.
            max_pixels: 24_000_000,
            max_alloc: 256 * 1024 * 1024,
        }
    }
}

/// Smallest side we try to analyse at all.
const MIN_SIDE: u32 = 16;

/// Decodes a JPEG or PNG (sniffed from the content) into 8-bit RGB with the EXIF orientation applied.
///
/// Errors, each distinct so the API can answer with a precise 4xx: [`FaceError::EmptyImage`],
/// [`FaceError::TooManyBytes`], [`FaceError::NotAnImage`], [`FaceError::TooManyPixels`] (checked from the
/// header, before decoding), [`FaceError::DecoderMemoryLimit`], [`FaceError::CorruptImage`],
/// [`FaceError::ImageTooSmall`].
pub fn decode_image(bytes: &[u8], limits: &DecodeLimits) -> Result<RgbImage, FaceError> {
    if bytes.is_empty() {
        return Err(FaceError::EmptyImage);
    }
    if bytes.len() > limits.max_bytes {
        return Err(FaceError::TooManyBytes { bytes: bytes.len(), max: limits.max_bytes });
    }
    let format = match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png)) => f,
        _ => return Err(FaceError::NotAnImage),
    };
    // The decoders are fed untrusted bytes and one of them panics on some malformed files instead of
    // returning an error (zune-jpeg 0.5.15, found by the `decode_image` fuzz target: see the test
    // `refuses_jpeg_that_panics_the_decoder`). Such a panic is a corrupt image, never a failed request:
    // the decoder state it leaves behind is dropped here, nothing shared is touched.
    std::panic::catch_unwind(|| decode_sniffed(bytes, format, limits))
        .unwrap_or_else(|_| Err(FaceError::CorruptImage("the decoder failed on malformed data".into())))
}

/// [`decode_image`] after the format is known.
fn decode_sniffed(bytes: &[u8], format: ImageFormat, limits: &DecodeLimits) -> Result<RgbImage, FaceError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut lim = image::Limits::default();
    lim.max_image_width = Some(limits.max_side);
    lim.max_image_height = Some(limits.max_side);
    lim.max_alloc = Some(limits.max_alloc);
    reader.limits(lim);
    let too_many = |w: u32, h: u32| FaceError::TooManyPixels {
        width: w,
        height: h,
        max_pixels: limits.max_pixels,
        max_side: limits.max_side,
    };
    // Reading the header only: dimensions are known before any pixel is decoded.
    let mut decoder = match reader.into_decoder() {
        Ok(d) => d,
        Err(ImageError::Limits(_)) => {
            // The header was parsed but exceeds the side limit; report the announced size when we can.
            let (w, h) = header_dimensions(bytes, format).unwrap_or((0, 0));
            return Err(too_many(w, h));
        }
        Err(e) => return Err(map_decode_error(e)),
    };
    let (w, h) = decoder.dimensions();
    if w > limits.max_side || h > limits.max_side || (w as u64) * (h as u64) > limits.max_pixels {
        return Err(too_many(w, h));
    }
    if w < MIN_SIDE || h < MIN_SIDE {
        return Err(FaceError::ImageTooSmall { width: w, height: h });
    }
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = image::DynamicImage::from_decoder(decoder).map_err(map_decode_error)?;
    img.apply_orientation(orientation);
    Ok(match img {
        image::DynamicImage::ImageRgb8(rgb) => rgb,
        other => other.to_rgb8(),
    })
}

fn map_decode_error(e: ImageError) -> FaceError {
    match e {
        ImageError::Limits(_) => FaceError::DecoderMemoryLimit,
        ImageError::Unsupported(u) => FaceError::CorruptImage(format!("unsupported variant: {u}")),
        other => FaceError::CorruptImage(other.to_string()),
    }
}

/// Reads the announced dimensions without limits, only to word an error message.
fn header_dimensions(bytes: &[u8], format: ImageFormat) -> Option<(u32, u32)> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.no_limits();
    reader.into_decoder().ok().map(|d| d.dimensions())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgb};

    fn png_bytes(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 7]));
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
            .unwrap();
        out
    }

    fn jpeg_bytes(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x * 3 % 256) as u8, (y * 5 % 256) as u8, 90]));
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img).unwrap();
        out
    }

    #[test]
    fn decodes_png_and_jpeg() {
        let img = decode_image(&png_bytes(40, 30), &DecodeLimits::default()).unwrap();
        assert_eq!(img.dimensions(), (40, 30));
        assert_eq!(img.get_pixel(5, 9).0, [5, 9, 7]);
        let img = decode_image(&jpeg_bytes(64, 48), &DecodeLimits::default()).unwrap();
        assert_eq!(img.dimensions(), (64, 48));
    }

    #[test]
    fn refuses_empty_and_non_images() {
        assert_eq!(decode_image(&[], &DecodeLimits::default()), Err(FaceError::EmptyImage));
        let text = b"%PDF-1.4 this is not an image at all, just some text bytes";
        assert_eq!(decode_image(text, &DecodeLimits::default()), Err(FaceError::NotAnImage));
        // A GIF header: an image, but not one we accept.
        assert_eq!(
            decode_image(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", &DecodeLimits::default()),
            Err(FaceError::NotAnImage)
        );
    }

    #[test]
    fn refuses_too_many_bytes() {
        let bytes = png_bytes(64, 64);
        let limits = DecodeLimits { max_bytes: bytes.len() - 1, ..DecodeLimits::default() };
        assert!(matches!(decode_image(&bytes, &limits), Err(FaceError::TooManyBytes { .. })));
    }

    #[test]
    fn refuses_too_many_pixels_from_header() {
        let bytes = png_bytes(300, 200);
        let limits = DecodeLimits { max_pixels: 300 * 200 - 1, ..DecodeLimits::default() };
        assert_eq!(
            decode_image(&bytes, &limits),
            Err(FaceError::TooManyPixels { width: 300, height: 200, max_pixels: 59_999, max_side: 8192 })
        );
        let limits = DecodeLimits { max_side: 250, ..DecodeLimits::default() };
        assert!(matches!(decode_image(&bytes, &limits), Err(FaceError::TooManyPixels { width: 300, height: 200, .. })));
    }

    /// A PNG whose header announces 60000x60000 pixels (10.8 GB of RGB) in a few hundred bytes: it must be
    /// refused from the header without allocating.
    #[test]
    fn refuses_decompression_bomb() {
        let mut bytes = png_bytes(16, 16);
        // IHDR starts at byte 8 (length) + 4 (type); width and height follow at offsets 16 and 20.
        bytes[16..20].copy_from_slice(&60_000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&60_000u32.to_be_bytes());
        // Fix the IHDR CRC so the header itself is valid.
        let crc = crc32fast::hash(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        let err = decode_image(&bytes, &DecodeLimits::default()).unwrap_err();
        assert!(matches!(err, FaceError::TooManyPixels { .. }), "{err:?}");
        assert_eq!(err.code(), "IMAGE_TOO_LARGE");
    }

    #[test]
    fn refuses_corrupt_data() {
        let bytes = jpeg_bytes(64, 64);
        // Keep the JPEG signature, replace the rest with garbage.
        let mut bad = bytes[..4].to_vec();
        bad.extend(std::iter::repeat_n(0x55u8, 200));
        assert!(matches!(decode_image(&bad, &DecodeLimits::default()), Err(FaceError::CorruptImage(_))));
        let png = png_bytes(64, 64);
        let truncated = &png[..png.len() / 2];
        assert!(matches!(decode_image(truncated, &DecodeLimits::default()), Err(FaceError::CorruptImage(_))));
    }

    #[test]
    fn refuses_tiny_images() {
        assert!(matches!(
            decode_image(&png_bytes(8, 8), &DecodeLimits::default()),
            Err(FaceError::ImageTooSmall { .. })
        ));
    }

    /// A JPEG with an EXIF orientation of 6 (rotate 90 degrees clockwise) comes out rotated.
    #[test]
    fn applies_exif_orientation() {
        let w = 64;
        let h = 32;
        // Left half black, right half white.
        let img = RgbImage::from_fn(w, h, |x, _| if x < w / 2 { Rgb([0, 0, 0]) } else { Rgb([255, 255, 255]) });
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95).encode_image(&img).unwrap();
        // Insert an APP1 EXIF segment right after SOI with orientation = 6.
        let exif: Vec<u8> = {
            let mut tiff = vec![b'M', b'M', 0, 42, 0, 0, 0, 8];
            tiff.extend_from_slice(&1u16.to_be_bytes()); // one IFD entry
            tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
            tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
            tiff.extend_from_slice(&1u32.to_be_bytes()); // count
            tiff.extend_from_slice(&6u16.to_be_bytes());
            tiff.extend_from_slice(&[0, 0]);
            tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
            let mut seg = b"Exif\0\0".to_vec();
            seg.extend(tiff);
            seg
        };
        let mut with_exif = vec![0xFF, 0xD8, 0xFF, 0xE1];
        with_exif.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
        with_exif.extend(exif);
        with_exif.extend_from_slice(&jpeg[2..]);
        let out = decode_image(&with_exif, &DecodeLimits::default()).unwrap();
        assert_eq!(out.dimensions(), (h, w), "rotated by 90 degrees");
        // Rotating 90 degrees clockwise puts the former left (black) half on top.
        assert!(out.get_pixel(h / 2, 4).0[0] < 60);
        assert!(out.get_pixel(h / 2, w - 5).0[0] > 200);
    }

    /// A small baseline JPEG whose third component claims 2x3 sampling (the others 1x1) and whose only scan
    /// holds the first component alone. zune-jpeg 0.5.15 (the image crate's JPEG decoder) panics on it: the
    /// IDCT of the non-interleaved scan writes past the component's row buffer and unwraps `None`. Found by
    /// the `decode_image` fuzz target (backend/fuzz); it must come back as a corrupt image, not a panic.
    #[test]
    fn refuses_jpeg_that_panics_the_decoder() {
        let mut bytes = jpeg_bytes(16, 20);
        let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).expect("baseline SOF0");
        // FF C0, length (2), precision, height (2), width (2), component count, then id/sampling/table each.
        assert_eq!(bytes[sof + 9], 3, "three components");
        bytes[sof + 17] = 0x23;
        let sos = bytes.windows(2).position(|w| w == [0xFF, 0xDA]).expect("SOS");
        bytes.truncate(sos);
        // One scan with component 1 only (DC table 0, AC table 0, full spectral range), one byte of data.
        bytes.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0xF2, 0xFF, 0xD9]);
        let err = decode_image(&bytes, &DecodeLimits::default()).unwrap_err();
        assert!(matches!(err, FaceError::CorruptImage(_)), "{err:?}");
        assert!(err.is_client_error());
    }
}
