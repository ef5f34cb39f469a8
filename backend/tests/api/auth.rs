use crate::helpers::*;
use serde_json::{json, Value};

#[tokio::test]
async fn login_sets_a_strict_httponly_cookie_and_returns_a_bearer_token() {
    let app = spawn_app().await;
    app.create_owner().await;
    let resp = app.post_json("/api/auth/login", &json!({"email": OWNER_EMAIL, "password": OWNER_PASSWORD})).await;
    assert_eq!(resp.status(), 200);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("absensi_token="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(!cookie.contains("Secure"), "no Secure flag without TLS: {cookie}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["user"]["email"], OWNER_EMAIL);
    assert_eq!(body["user"]["role"], "OWNER");
    let token = body["token"].as_str().unwrap();
    // Cookie session (the client's jar) and a bearer-only client both work.
    assert_eq!(app.get("/api/auth/me").await.status(), 200);
    let resp = reqwest::Client::new().get(app.url("/api/auth/me")).bearer_auth(token).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let me: Value = resp.json().await.unwrap();
    assert_eq!(me["email"], OWNER_EMAIL);
}

#[tokio::test]
async fn email_is_case_insensitive_and_wrong_credentials_are_401() {
    let app = spawn_app().await;
    app.create_owner().await;
    let ok =
        app.post_json("/api/auth/login", &json!({"email": "  OWNER@Contoh.co.id ", "password": OWNER_PASSWORD})).await;
    assert_eq!(ok.status(), 200);
    let bad = app.post_json("/api/auth/login", &json!({"email": OWNER_EMAIL, "password": "salah-sekali"})).await;
    assert_error(bad, 401, "INVALID_CREDENTIALS").await;
    let unknown =
        app.post_json("/api/auth/login", &json!({"email": "siapa@contoh.co.id", "password": OWNER_PASSWORD})).await;
    assert_error(unknown, 401, "INVALID_CREDENTIALS").await;
    let empty = app.post_json("/api/auth/login", &json!({"email": "", "password": ""})).await;
    assert_error(empty, 422, "VALIDATION").await;
    let malformed = app
        .client
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_error(malformed, 422, "VALIDATION").await;
}

#[tokio::test]
async fn repeated_failures_are_rate_limited_even_with_the_right_password() {
    let app = spawn_app_with(|env| {
        env.insert("LOGIN_MAX_FAILURES".into(), "3".into());
    })
    .await;
    app.create_owner().await;
    for _ in 0..3 {
        let r = app.post_json("/api/auth/login", &json!({"email": OWNER_EMAIL, "password": "tebakan-salah"})).await;
        assert_eq!(r.status(), 401);
    }
    let r = app.post_json("/api/auth/login", &json!({"email": OWNER_EMAIL, "password": OWNER_PASSWORD})).await;
    let body = assert_error(r, 429, "RATE_LIMITED").await;
    assert!(body["error"]["retry_after_secs"].as_u64().unwrap() > 0);
    // Another email from the same IP is not locked.
    backend::services::users::create_owner(&app.db, "kedua@contoh.co.id", OWNER_PASSWORD).await.unwrap();
    let r = app.post_json("/api/auth/login", &json!({"email": "kedua@contoh.co.id", "password": OWNER_PASSWORD})).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn logout_clears_the_cookie() {
    let app = spawn_app().await;
    app.login().await;
    assert_eq!(app.get("/api/auth/me").await.status(), 200);
    let r = app.client.post(app.url("/api/auth/logout")).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_error(app.get("/api/auth/me").await, 401, "UNAUTHORIZED").await;
}

#[tokio::test]
async fn change_password_ends_older_sessions() {
    let app = spawn_app().await;
    let old_token = app.login().await;
    let wrong = app
        .post_json("/api/auth/change-password", &json!({"current_password": "bukan", "new_password": "baru-12345"}))
        .await;
    assert_error(wrong, 422, "VALIDATION").await;
    let short = app
        .post_json("/api/auth/change-password", &json!({"current_password": OWNER_PASSWORD, "new_password": "pendek"}))
        .await;
    assert_error(short, 422, "VALIDATION").await;
    let ok = app
        .post_json(
            "/api/auth/change-password",
            &json!({"current_password": OWNER_PASSWORD, "new_password": "baru-12345678"}),
        )
        .await;
    assert_eq!(ok.status(), 204);
    // The client got a fresh cookie; the old bearer token is dead.
    assert_eq!(app.get("/api/auth/me").await.status(), 200);
    let r = reqwest::Client::new().get(app.url("/api/auth/me")).bearer_auth(&old_token).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = app.post_json("/api/auth/login", &json!({"email": OWNER_EMAIL, "password": "baru-12345678"})).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn owner_is_bootstrapped_from_env_only_when_no_user_exists() {
    let app = spawn_app_with(|env| {
        env.insert("OWNER_EMAIL".into(), "boss@contoh.co.id".into());
        env.insert("OWNER_PASSWORD".into(), "password-boss-1".into());
    })
    .await;
    let r =
        app.post_json("/api/auth/login", &json!({"email": "boss@contoh.co.id", "password": "password-boss-1"})).await;
    assert_eq!(r.status(), 200);
    // A second bootstrap with other credentials does nothing: users exist.
    let created =
        backend::services::users::bootstrap_owner(&app.db, Some("lain@contoh.co.id"), Some("password-lain-1"))
            .await
            .unwrap();
    assert!(!created);
}
