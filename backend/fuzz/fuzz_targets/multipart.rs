//! `backend::api::multipart::read` (every multipart endpoint: kiosk bursts, face registration, photo and
//! proof uploads, employee import), fed exactly as in the server: the handler's extractor is built with
//! `FromRequest::from_request` from an `HttpRequest` carrying the fuzzed `Content-Type` and a streaming
//! payload carrying the fuzzed body. It must never panic and never hang (libFuzzer's `-timeout` catches a
//! parser that stays pending), whatever the body, the boundary or the way the body is split into network
//! chunks; errors are fine, as long as they are a 4xx `AppError`.
//!
//! The extractor type is inferred from `read`'s first parameter, so the target works whether `read` takes
//! an `actix_multipart::Multipart` or the crate's own extractor around the raw payload.
//!
//! Input layout (so the seeds in build.rs are readable):
//! - byte 0, bits 0-4: chunk size of the payload stream (0 = the whole body in one chunk, n = n bytes);
//! - byte 0, bit 5: the stream answers `Pending` once before every chunk (a slow client);
//! - byte 0, bit 6: the Content-Type header value is taken from the input up to the first `\n`
//!   (otherwise `multipart/form-data; boundary=fuzzboundary`);
//! - byte 0, bit 7: tiny limits (to reach every limit branch) instead of kiosk-like ones;
//! - the rest: the body.
#![no_main]

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header::{HeaderValue, CONTENT_TYPE};
use actix_web::test::TestRequest;
use actix_web::{FromRequest, HttpRequest};
use backend::api::multipart::{read, Form, Limits};
use backend::error::AppResult;
use bytes::Bytes;
use futures_util::Stream;
use libfuzzer_sys::fuzz_target;

const DEFAULT_CT: &str = "multipart/form-data; boundary=fuzzboundary";

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().build().expect("runtime"))
}

/// The body as network chunks, optionally not ready once before each chunk.
struct Chunks {
    chunks: std::vec::IntoIter<Bytes>,
    pending_first: bool,
    was_pending: bool,
}

impl Stream for Chunks {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.pending_first && !self.was_pending && self.chunks.len() > 0 {
            self.was_pending = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.was_pending = false;
        Poll::Ready(self.chunks.next().map(Ok))
    }
}

/// Builds `read`'s extractor from the request like actix-web does, then reads the form.
async fn extract_and_read<B, F, Fut>(req: HttpRequest, mut payload: Payload, read: F, limits: Limits) -> Option<AppResult<Form>>
where
    B: FromRequest,
    F: FnOnce(B, Limits) -> Fut,
    Fut: Future<Output = AppResult<Form>>,
{
    let body = B::from_request(&req, &mut payload).await.ok()?;
    Some(read(body, limits).await)
}

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, rest)) = data.split_first() else { return };
    let chunk = match (ctl & 0x1f) as usize {
        0 => usize::MAX,
        n => n,
    };
    let mut req = TestRequest::post().uri("/api/kiosk/attend");
    let body: &[u8] = if ctl & 0x40 != 0 {
        let nl = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        // An invalid header value simply means "no Content-Type", which the reader must refuse cleanly.
        if let Ok(v) = HeaderValue::from_bytes(&rest[..nl]) {
            req = req.insert_header((CONTENT_TYPE, v));
        }
        rest.get(nl + 1..).unwrap_or(&[])
    } else {
        req = req.insert_header((CONTENT_TYPE, DEFAULT_CT));
        rest
    };
    let limits = if ctl & 0x80 != 0 {
        Limits { max_file_bytes: 64, max_files: 2, max_total_bytes: 200, max_text_bytes: 16 }
    } else {
        // Like the kiosk burst: several frames, generous text.
        Limits::new(256 * 1024, 8)
    };
    let chunks: Vec<Bytes> = body.chunks(chunk.min(body.len().max(1))).map(Bytes::copy_from_slice).collect();
    let stream = Chunks { chunks: chunks.into_iter(), pending_first: ctl & 0x20 != 0, was_pending: false };
    let (req, _) = req.to_http_parts();
    let payload = Payload::from(Box::pin(stream) as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>);
    let Some(result) = runtime().block_on(extract_and_read(req, payload, read, limits)) else { return };
    match result {
        Ok(mut form) => {
            // What the handlers do next.
            let _ = form.text("challenge");
            let frames = form.take_files("frame");
            assert!(frames.len() + form.files.len() <= limits.max_files);
            for f in frames.iter().chain(form.files.iter()) {
                assert!(f.bytes.len() <= limits.max_file_bytes);
            }
            for (_, v) in &form.texts {
                assert!(v.len() <= limits.max_text_bytes);
            }
        }
        Err(e) => assert!(e.status.is_client_error(), "multipart error must be a 4xx, got {} {}", e.status, e.code),
    }
});
