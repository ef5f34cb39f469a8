//! Reads a `multipart/form-data` body into memory with limits (files and text fields). Uploaded bytes stay
//! in memory; callers decide what (if anything) is stored.
//!
//! Handlers take [`MultipartBody`] rather than `actix_multipart::Multipart`: the parser of
//! actix-multipart 0.7 can stay pending forever on a body that ends inside a part, right after a `\r` or
//! `\r\n` (actix/actix-web#3202), which would hold the request and its connection open until the client
//! gives up. [`read`] watches the raw payload: once it has ended, the parser can never make progress
//! again, so "pending" then means an incomplete body and is answered `400 BAD_MULTIPART` at once.
use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_multipart::{Multipart, MultipartError};
use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header::HeaderMap;
use actix_web::{FromRequest, HttpRequest};
use futures_util::Stream;

use crate::error::{AppError, AppResult};

/// The raw body of a multipart request and its headers (an extractor), parsed by [`read`].
pub struct MultipartBody {
    headers: HeaderMap,
    payload: Payload,
}

impl FromRequest for MultipartBody {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<MultipartBody, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        std::future::ready(Ok(MultipartBody { headers: req.headers().clone(), payload: payload.take() }))
    }
}

/// The request payload, remembering when it has ended.
struct EofAware {
    inner: Payload,
    ended: Rc<Cell<bool>>,
}

impl Stream for EofAware {
    type Item = Result<actix_web::web::Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let r = Pin::new(&mut self.inner).poll_next(cx);
        if let Poll::Ready(None) = r {
            self.ended.set(true);
        }
        r
    }
}

/// The next item of the multipart stream or of a field; pending after the payload has ended is an
/// incomplete body (no more bytes can arrive to complete it).
async fn next_item<S, T>(stream: &mut S, ended: &Cell<bool>) -> Option<Result<T, MultipartError>>
where
    S: Stream<Item = Result<T, MultipartError>> + Unpin,
{
    std::future::poll_fn(|cx| match Pin::new(&mut *stream).poll_next(cx) {
        Poll::Pending if ended.get() => Poll::Ready(Some(Err(MultipartError::Incomplete))),
        other => other,
    })
    .await
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_file_bytes: usize,
    pub max_files: usize,
    pub max_total_bytes: usize,
    pub max_text_bytes: usize,
}

impl Limits {
    pub const fn new(max_file_bytes: usize, max_files: usize) -> Self {
        Limits {
            max_file_bytes,
            max_files,
            max_total_bytes: max_file_bytes * max_files + 64 * 1024,
            max_text_bytes: 4096,
        }
    }
}

#[derive(Debug)]
pub struct Upload {
    pub field: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct Form {
    pub texts: Vec<(String, String)>,
    pub files: Vec<Upload>,
}

impl Form {
    pub fn text(&self, name: &str) -> Option<&str> {
        self.texts.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim())
    }

    pub fn files<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Upload> + 'a {
        self.files.iter().filter(move |f| f.field == name)
    }

    pub fn take_files(&mut self, name: &str) -> Vec<Upload> {
        let (mine, rest): (Vec<Upload>, Vec<Upload>) =
            std::mem::take(&mut self.files).into_iter().partition(|f| f.field == name);
        self.files = rest;
        mine
    }
}

fn map_err(e: MultipartError) -> AppError {
    match e {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible => {
            AppError::unsupported_media("Permintaan harus berupa multipart/form-data.")
        }
        other => {
            tracing::debug!(error = %other, "malformed multipart body");
            AppError::bad_request("BAD_MULTIPART", format!("Data multipart tidak valid: {}.", what_is_wrong(&other)))
        }
    }
}

/// What is wrong with a multipart body, in the API's language (actix-multipart's own text is English).
fn what_is_wrong(e: &MultipartError) -> String {
    match e {
        MultipartError::BoundaryMissing => "header Content-Type tidak memuat boundary".into(),
        MultipartError::ContentDispositionMissing | MultipartError::ContentDispositionNameMissing => {
            "ada bagian tanpa header Content-Disposition yang bernama".into()
        }
        MultipartError::Nested => "multipart bersarang tidak didukung".into(),
        MultipartError::Incomplete => "isi permintaan terpotong (tidak lengkap)".into(),
        MultipartError::Parse(_) => "header salah satu bagian tidak dapat dibaca".into(),
        MultipartError::Payload(_) => "isi permintaan gagal dibaca".into(),
        MultipartError::DuplicateField(f) => format!("isian `{f}` dikirim lebih dari sekali"),
        MultipartError::MissingField(f) => format!("isian `{f}` tidak ada"),
        MultipartError::UnknownField(f) => format!("isian `{f}` tidak dikenal"),
        MultipartError::Field { name, .. } => format!("isian `{name}` tidak dapat dibaca"),
        _ => "format tidak sesuai multipart/form-data".into(),
    }
}

pub async fn read(body: MultipartBody, limits: Limits) -> AppResult<Form> {
    let ended = Rc::new(Cell::new(false));
    let mut payload = Multipart::new(&body.headers, EofAware { inner: body.payload, ended: ended.clone() });
    let mut form = Form::default();
    let mut total = 0usize;
    while let Some(field) = next_item(&mut payload, &ended).await {
        let mut field = field.map_err(map_err)?;
        let name = field.name().unwrap_or("").to_string();
        let filename = field.content_disposition().and_then(|cd| cd.get_filename()).map(str::to_string);
        let content_type = field.content_type().map(|m| m.essence_str().to_string());
        let is_file = filename.is_some();
        if is_file && form.files.len() >= limits.max_files {
            return Err(AppError::payload_too_large(format!("Terlalu banyak berkas (maksimal {}).", limits.max_files)));
        }
        let cap = if is_file { limits.max_file_bytes } else { limits.max_text_bytes };
        let mut buf = Vec::new();
        while let Some(chunk) = next_item(&mut field, &ended).await {
            let chunk = chunk.map_err(map_err)?;
            total += chunk.len();
            if buf.len() + chunk.len() > cap {
                return Err(if is_file {
                    AppError::payload_too_large(format!(
                        "Berkas `{name}` terlalu besar (maksimal {} KB).",
                        limits.max_file_bytes / 1024
                    ))
                } else {
                    AppError::payload_too_large(format!("Isian `{name}` terlalu panjang."))
                });
            }
            if total > limits.max_total_bytes {
                return Err(AppError::payload_too_large("Permintaan terlalu besar."));
            }
            buf.extend_from_slice(&chunk);
        }
        if is_file {
            form.files.push(Upload { field: name, filename, content_type, bytes: buf });
        } else {
            let text = String::from_utf8(buf)
                .map_err(|_| AppError::bad_request("BAD_MULTIPART", format!("Isian `{name}` bukan teks UTF-8.")))?;
            form.texts.push((name, text));
        }
    }
    Ok(form)
}
