//! Error types: [`FaceError`] for everything that can go wrong with one frame (the backend maps each
//! variant to a 4xx with a stable code), [`ModelError`] for loading the models at start-up.

use thiserror::Error;

/// Why a frame could not be analysed. Every variant except [`FaceError::Inference`] is the client's
/// fault (a 4xx); [`FaceError::code`] gives a stable machine-readable code for the JSON error body.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum FaceError {
    /// Zero bytes were sent.
    #[error("the image is empty")]
    EmptyImage,
    /// More bytes than [`crate::DecodeLimits::max_bytes`].
    #[error("the image is too large: {bytes} bytes, at most {max} allowed")]
    TooManyBytes { bytes: usize, max: usize },
    /// The content is not a JPEG or PNG (sniffed from the bytes, not from a name or a MIME type).
    #[error("the data is not a JPEG or PNG image")]
    NotAnImage,
    /// The header announces more pixels (or a wider/taller image) than allowed: refused before decoding,
    /// which is what stops decompression bombs.
    #[error("the image is too large: {width}x{height} pixels (at most {max_pixels} pixels, {max_side} per side)")]
    TooManyPixels { width: u32, height: u32, max_pixels: u64, max_side: u32 },
    /// The decoder would need more memory than allowed.
    #[error("the image needs too much memory to decode")]
    DecoderMemoryLimit,
    /// Looks like a JPEG/PNG but cannot be decoded (truncated, corrupt, unsupported variant).
    #[error("the image is corrupt or cannot be decoded: {0}")]
    CorruptImage(String),
    /// The image is so small that no face could be analysed in it.
    #[error("the image is too small: {width}x{height} pixels")]
    ImageTooSmall { width: u32, height: u32 },
    /// No face was found.
    #[error("no face found in the image")]
    NoFace,
    /// More than one face where exactly one is required (registration, kiosk).
    #[error("{count} faces found in the image, exactly one is required")]
    MultipleFaces { count: usize },
    /// Running a model failed (an internal error, a 500).
    #[error("face model inference failed: {0}")]
    Inference(String),
}

impl FaceError {
    /// Stable upper-case code for API error bodies (`NO_FACE`, `IMAGE_TOO_LARGE`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            FaceError::EmptyImage => "EMPTY_IMAGE",
            FaceError::TooManyBytes { .. } => "IMAGE_TOO_LARGE",
            FaceError::NotAnImage => "NOT_AN_IMAGE",
            FaceError::TooManyPixels { .. } => "IMAGE_TOO_LARGE",
            FaceError::DecoderMemoryLimit => "IMAGE_TOO_LARGE",
            FaceError::CorruptImage(_) => "CORRUPT_IMAGE",
            FaceError::ImageTooSmall { .. } => "IMAGE_TOO_SMALL",
            FaceError::NoFace => "NO_FACE",
            FaceError::MultipleFaces { .. } => "MULTIPLE_FACES",
            FaceError::Inference(_) => "FACE_ENGINE_ERROR",
        }
    }

    /// True for errors caused by the request (map to a 4xx); false for internal failures (5xx).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, FaceError::Inference(_))
    }
}

/// Why the models could not be loaded at start-up. The messages name the file concerned.
#[derive(Debug, Error)]
pub enum ModelError {
    #[error("face models directory {0} does not exist or is not a directory")]
    MissingDir(String),
    #[error("checksum file {0} is missing or unreadable: {1}")]
    MissingChecksums(String, String),
    #[error("checksum file {file} has no entry for model {model}")]
    NotInChecksums { file: String, model: String },
    #[error("model file {0} is missing")]
    MissingModel(String),
    #[error("model file {file} is corrupt: sha256 is {actual}, SHA256SUMS says {expected}")]
    ChecksumMismatch { file: String, expected: String, actual: String },
    #[error("model file {file} cannot be loaded: {reason}")]
    Load { file: String, reason: String },
    #[error("model file {file} has unexpected outputs: {reason}")]
    Shape { file: String, reason: String },
}
