//! Transport and browser-facing hardening: built-in TLS (HSTS, Secure cookie), the Content-Security-Policy
//! of the built SPA, and the cross-origin guard (CORS_ORIGINS).
use reqwest::{Certificate, Client};
use serde_json::json;

use crate::helpers::*;

/// A self-signed certificate for `localhost` / 127.0.0.1, written as PEM files into `dir`.
fn write_cert(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    let pem = cert.cert.pem();
    std::fs::write(&c, &pem).unwrap();
    std::fs::write(&k, cert.key_pair.serialize_pem()).unwrap();
    (c, k, pem)
}

fn temp_dir(tag: &str) -> TempDir {
    let d = std::env::temp_dir().join(format!("absensi-{tag}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&d).unwrap();
    TempDir(d)
}

#[tokio::test]
async fn built_in_tls_serves_https_with_hsts_and_a_secure_cookie() {
    let dir = temp_dir("tls");
    let (cert, key, pem) = write_cert(&dir.0);
    let app = spawn_app_with(|env| {
        env.insert("TLS_CERT".into(), cert.display().to_string());
        env.insert("TLS_KEY".into(), key.display().to_string());
    })
    .await;
    app.create_owner().await;
    let client = Client::builder()
        .add_root_certificate(Certificate::from_pem(pem.as_bytes()).unwrap())
        .https_only(true)
        .build()
        .unwrap();
    let base = format!("https://localhost:{}", app.port);
    let resp = client.get(format!("{base}/api/health")).send().await.expect("https request");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["strict-transport-security"], "max-age=31536000");
    let resp = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"email": OWNER_EMAIL, "password": OWNER_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    for flag in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing in {cookie}");
    }
    // Plain HTTP on the TLS port is not served.
    let plain = reqwest::get(format!("http://127.0.0.1:{}/api/health", app.port)).await;
    assert!(plain.map(|r| !r.status().is_success()).unwrap_or(true), "plain http must not work on the TLS port");
}

#[tokio::test]
async fn plain_http_has_no_hsts_and_a_tls_proxy_gets_a_secure_cookie() {
    let app = spawn_app().await;
    app.create_owner().await;
    let resp = app.get("/api/health").await;
    assert!(resp.headers().get("strict-transport-security").is_none());
    for (h, v) in
        [("x-content-type-options", "nosniff"), ("x-frame-options", "DENY"), ("referrer-policy", "no-referrer")]
    {
        assert_eq!(resp.headers()[h], v);
    }
    // A TLS-terminating reverse proxy says so with X-Forwarded-Proto: the cookie is then Secure.
    let resp = app
        .client
        .post(app.url("/api/auth/login"))
        .header("X-Forwarded-Proto", "https")
        .json(&json!({"email": OWNER_EMAIL, "password": OWNER_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["set-cookie"].to_str().unwrap().contains("Secure"));
}

#[tokio::test]
async fn the_csp_allows_exactly_the_spa_boot_script() {
    let dist = temp_dir("dist");
    let script = "\nimport init from '/app.js';\nawait init({ module_or_path: '/app_bg.wasm' });\n";
    std::fs::write(
        dist.0.join("index.html"),
        format!("<!doctype html><html><head><script type=\"module\">{script}</script></head><body></body></html>"),
    )
    .unwrap();
    let app = spawn_app_with(|env| {
        env.insert("STATIC_DIR".into(), dist.0.display().to_string());
    })
    .await;
    for path in ["/", "/absen", "/api/health"] {
        let resp = app.get(path).await;
        assert_eq!(resp.status(), 200, "{path}");
        let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_string();
        let hash = &backend::security::inline_script_hashes(&format!("<script type=\"module\">{script}</script>"))[0];
        assert!(csp.contains(&format!("script-src 'self' 'wasm-unsafe-eval' '{hash}'")), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "{csp}");
        assert!(!csp.contains("'unsafe-eval'"), "{csp}");
    }
}

#[tokio::test]
async fn cross_origin_writes_are_refused_and_listed_origins_get_cors() {
    let app = spawn_app_with(|env| {
        env.insert("CORS_ORIGINS".into(), "https://hr.contoh.co.id".into());
    })
    .await;
    app.create_owner().await;
    let login = json!({"email": OWNER_EMAIL, "password": OWNER_PASSWORD});
    let post = |origin: &str| app.client.post(app.url("/api/auth/login")).header("Origin", origin).json(&login).send();

    // Another site's page posting to the API (a CSRF attempt): refused before the handler.
    let body = assert_error(post("https://evil.example").await.unwrap(), 403, "ORIGIN_FORBIDDEN").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("CORS"));
    // Its preflight gets no permission either.
    let pre = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/employees"))
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), 403);
    assert!(pre.headers().get("access-control-allow-origin").is_none());
    // Reading from another origin is served without CORS headers (the browser keeps the answer from the page).
    let get = app.client.get(app.url("/api/health")).header("Origin", "https://evil.example").send().await.unwrap();
    assert_eq!(get.status(), 200);
    assert!(get.headers().get("access-control-allow-origin").is_none());

    // The page's own origin (browsers send Origin on same-origin POSTs too) works.
    assert_eq!(post(&app.address).await.unwrap().status(), 200);

    // A listed integration origin: preflight 204 with the permission, and the answer carries it.
    let pre = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/employees"))
        .header("Origin", "https://hr.contoh.co.id")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "authorization, content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), 204);
    assert_eq!(pre.headers()["access-control-allow-origin"], "https://hr.contoh.co.id");
    assert!(pre.headers()["access-control-allow-headers"].to_str().unwrap().contains("authorization"));
    let resp = post("https://hr.contoh.co.id").await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["access-control-allow-origin"], "https://hr.contoh.co.id");
    assert_eq!(resp.headers()["vary"], "Origin");
}
