//! HTTP hardening shared by every response: security headers (a Content-Security-Policy that allows exactly
//! the SPA's own inline boot script, HSTS under TLS), a strict CORS / cross-origin guard, and the client IP
//! as seen through trusted reverse proxies.
//!
//! CORS policy: same-origin requests always work; other origins only when listed in `CORS_ORIGINS` (for
//! integrations). A browser request from any other origin gets no `Access-Control-Allow-*` headers (the
//! browser refuses to let the page read the answer) and, when it would change something (POST, PUT, PATCH,
//! DELETE), a 403 `ORIGIN_FORBIDDEN` before any handler runs: a second line of defence against cross-site
//! request forgery behind the `SameSite=Strict` session cookie.
use std::net::IpAddr;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// Content-Security-Policy for the app. `index_html` is the built SPA's `index.html` (Trunk puts a small
/// inline `<script type="module">` in it that loads the wasm): its exact hash is allowed, nothing else inline.
/// `'wasm-unsafe-eval'` lets the page compile its own WebAssembly (it does not allow `eval`).
pub fn content_security_policy(index_html: Option<&str>) -> String {
    let hashes: String =
        index_html.map(inline_script_hashes).unwrap_or_default().iter().map(|h| format!(" '{h}'")).collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' blob: data:; media-src 'self' blob: mediastream:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// `sha256-<base64>` of the text of every inline `<script>` (one without `src`) in `html`.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else { break };
        let tag = &after[..tag_end];
        let body_start = tag_end + 1;
        let Some(close) = after[body_start..].find("</script>") else { break };
        if !tag.contains(" src=") {
            let body = &after[body_start..body_start + close];
            let digest = Sha256::digest(body.as_bytes());
            out.push(format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(digest)));
        }
        rest = &after[body_start + close + "</script>".len()..];
    }
    out
}

/// Headers on every response. HSTS only when the server itself speaks TLS (a plain-http answer must not
/// carry it, and `http://localhost` keeps working for development).
pub fn security_headers(csp: &str, tls: bool) -> DefaultHeaders {
    let h = DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Content-Security-Policy", csp.to_owned()));
    if tls {
        h.add(("Strict-Transport-Security", "max-age=31536000"))
    } else {
        h
    }
}

/// What the cross-origin guard does with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsDecision {
    /// No `Origin`, or the page's own origin: nothing to add.
    SameOrigin,
    /// A listed origin: answer with `Access-Control-Allow-Origin: <origin>`.
    Allow,
    /// A listed origin's preflight (`OPTIONS` + `Access-Control-Request-Method`): answer 204 here.
    Preflight,
    /// An unlisted origin reading (GET/HEAD): serve it without CORS headers (the browser hides the answer).
    ServeWithoutCors,
    /// An unlisted origin's preflight or state-changing request: 403 before any handler runs.
    Refuse,
}

/// The pure decision: `origin` from the request, `own_origin` = `scheme://host` the request was sent to.
pub fn cors_decision(
    origin: Option<&str>,
    own_origin: &str,
    allowed: &[String],
    method: &Method,
    is_preflight: bool,
) -> CorsDecision {
    let Some(origin) = origin else { return CorsDecision::SameOrigin };
    if origin.eq_ignore_ascii_case(own_origin) {
        return CorsDecision::SameOrigin;
    }
    let listed = allowed.iter().any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(origin));
    match (listed, is_preflight) {
        (true, true) => CorsDecision::Preflight,
        (true, false) => CorsDecision::Allow,
        (false, true) => CorsDecision::Refuse,
        (false, false) if matches!(*method, Method::GET | Method::HEAD) => CorsDecision::ServeWithoutCors,
        (false, false) => CorsDecision::Refuse,
    }
}

/// Middleware applying [`cors_decision`] with `CORS_ORIGINS` from the app state.
pub async fn cors_guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let allowed: Vec<String> = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .map(|s| s.config.cors_origins.clone())
        .unwrap_or_default();
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let own = {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    let is_preflight =
        req.method() == Method::OPTIONS && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    match cors_decision(origin.as_deref(), &own, &allowed, req.method(), is_preflight) {
        CorsDecision::SameOrigin | CorsDecision::ServeWithoutCors => Ok(next.call(req).await?.map_into_boxed_body()),
        CorsDecision::Refuse => {
            // Behind a reverse proxy, a refused same-site page means the proxy does not pass the original
            // `Host` and `X-Forwarded-Proto` (see backend/OPERATIONS.md).
            tracing::warn!(
                origin = origin.as_deref().unwrap_or(""),
                own_origin = %own,
                path = req.path(),
                "cross-origin request refused"
            );
            let err = AppError::forbidden(
                "ORIGIN_FORBIDDEN",
                "Permintaan dari situs lain tidak diizinkan (CORS). Tambahkan asalnya ke CORS_ORIGINS bila memang perlu.",
            );
            Ok(req.into_response(actix_web::ResponseError::error_response(&err)))
        }
        CorsDecision::Preflight => {
            let origin = origin.unwrap_or_default();
            let resp = HttpResponse::build(StatusCode::NO_CONTENT)
                .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, PUT, PATCH, DELETE"))
                .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, "authorization, content-type"))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
                .insert_header((header::VARY, "Origin"))
                .finish();
            Ok(req.into_response(resp))
        }
        CorsDecision::Allow => {
            let mut resp = next.call(req).await?.map_into_boxed_body();
            if let Some(o) = origin.and_then(|o| HeaderValue::from_str(&o).ok()) {
                resp.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
                resp.headers_mut().insert(header::VARY, HeaderValue::from_static("Origin"));
            }
            Ok(resp)
        }
    }
}

/// The client's IP for rate limits: the socket peer, or, when the peer is a trusted reverse proxy
/// (`TRUSTED_PROXIES`), the last address in `X-Forwarded-For` that is not itself a trusted proxy.
/// A header from anybody else is ignored (it is trivially forged).
pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    resolve_client_ip(peer, forwarded, trusted).map(|ip| ip.to_string()).unwrap_or_default()
}

pub fn resolve_client_ip(peer: Option<IpAddr>, forwarded: Option<&str>, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let hops: Vec<IpAddr> = forwarded.unwrap_or("").split(',').filter_map(|s| s.trim().parse().ok()).collect();
    Some(hops.into_iter().rev().find(|ip| !trusted.contains(ip)).unwrap_or(peer))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = "<html><head><script type=\"module\">\nimport init from '/a.js';\nawait init();\n</script>\
        <script src=\"/x.js\"></script><link rel=\"modulepreload\" href=\"/a.js\"></head></html>";

    #[test]
    fn csp_allows_exactly_the_inline_boot_script() {
        let hashes = inline_script_hashes(INDEX);
        assert_eq!(hashes.len(), 1, "the script with src= is not hashed");
        let body = "\nimport init from '/a.js';\nawait init();\n";
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body.as_bytes()));
        assert_eq!(hashes[0], format!("sha256-{expected}"));
        let csp = content_security_policy(Some(INDEX));
        assert!(csp.contains(&format!("script-src 'self' 'wasm-unsafe-eval' '{}';", hashes[0])), "{csp}");
        assert!(!csp.contains(" 'unsafe-eval'") && !csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
        // No SPA built: no inline script is allowed at all.
        assert!(content_security_policy(None).contains("script-src 'self' 'wasm-unsafe-eval';"));
    }

    #[test]
    fn cors_decisions() {
        let own = "http://10.0.0.5:8080";
        let listed = vec!["https://hr.contoh.co.id".to_string()];
        let d = |origin: Option<&str>, m: Method, pre: bool| cors_decision(origin, own, &listed, &m, pre);
        assert_eq!(d(None, Method::POST, false), CorsDecision::SameOrigin);
        assert_eq!(d(Some("http://10.0.0.5:8080"), Method::DELETE, false), CorsDecision::SameOrigin);
        assert_eq!(d(Some("https://hr.contoh.co.id"), Method::POST, false), CorsDecision::Allow);
        assert_eq!(d(Some("https://hr.contoh.co.id"), Method::OPTIONS, true), CorsDecision::Preflight);
        assert_eq!(d(Some("https://evil.example"), Method::GET, false), CorsDecision::ServeWithoutCors);
        assert_eq!(d(Some("https://evil.example"), Method::POST, false), CorsDecision::Refuse);
        assert_eq!(d(Some("https://evil.example"), Method::OPTIONS, true), CorsDecision::Refuse);
        assert_eq!(d(Some("null"), Method::PATCH, false), CorsDecision::Refuse);
        // Same host, other port or scheme: another origin.
        assert_eq!(d(Some("http://10.0.0.5:9090"), Method::POST, false), CorsDecision::Refuse);
        assert_eq!(d(Some("https://10.0.0.5:8080"), Method::PUT, false), CorsDecision::Refuse);
    }

    #[test]
    fn forwarded_for_is_trusted_only_from_listed_proxies() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let phone: IpAddr = "192.168.1.23".parse().unwrap();
        let trusted = [proxy];
        // Direct client: its header is ignored.
        assert_eq!(resolve_client_ip(Some(phone), Some("1.2.3.4"), &trusted), Some(phone));
        // Through the proxy: the last hop before it.
        assert_eq!(resolve_client_ip(Some(proxy), Some("1.2.3.4, 192.168.1.23"), &trusted), Some(phone));
        // Through the proxy without a header: the proxy itself.
        assert_eq!(resolve_client_ip(Some(proxy), None, &trusted), Some(proxy));
        assert_eq!(resolve_client_ip(Some(proxy), Some("garbage"), &trusted), Some(proxy));
        // No proxies configured: always the peer.
        assert_eq!(resolve_client_ip(Some(phone), Some("1.2.3.4"), &[]), Some(phone));
    }
}
