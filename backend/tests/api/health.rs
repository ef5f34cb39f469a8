use crate::helpers::*;
use serde_json::Value;

#[tokio::test]
async fn health_checks_the_database() {
    let app = spawn_app().await;
    let resp = app.get("/api/health").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
}

#[tokio::test]
async fn unknown_api_route_is_a_json_404_and_client_routes_get_the_spa() {
    let app = spawn_app().await;
    let body = assert_error(app.get("/api/nope").await, 404, "NOT_FOUND").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("/api/nope"));
    // No SPA built in the test's STATIC_DIR: client routes still answer with an HTML page, not an API error.
    let resp = app.get("/absen").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let app = spawn_app().await;
    let resp = app.get("/api/health").await;
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert_eq!(resp.headers()["x-frame-options"], "DENY");
}
