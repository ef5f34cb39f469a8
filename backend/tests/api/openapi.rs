use crate::helpers::*;
use serde_json::Value;

/// Routes anyone may call without a token.
const PUBLIC: &[(&str, &str)] = &[("get", "/api/health"), ("post", "/api/auth/login"), ("post", "/api/auth/logout")];

fn is_public(method: &str, path: &str) -> bool {
    PUBLIC.contains(&(method, path)) || path.starts_with("/api/kiosk/")
}

pub async fn operations(app: &TestApp) -> Vec<(String, String, Value)> {
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                ops.push((method.clone(), path.clone(), op.clone()));
            }
        }
    }
    ops
}

#[tokio::test]
async fn openapi_document_lists_the_core_endpoints_and_marks_owner_routes() {
    let app = spawn_app().await;
    let ops = operations(&app).await;
    for (m, p) in [
        ("get", "/api/health"),
        ("post", "/api/auth/login"),
        ("get", "/api/auth/me"),
        ("post", "/api/auth/change-password"),
        ("get", "/api/shifts"),
        ("post", "/api/shifts"),
        ("put", "/api/shifts/{id}"),
        ("delete", "/api/shifts/{id}"),
        ("get", "/api/employees"),
        ("post", "/api/employees"),
        ("post", "/api/employees/{id}/photo"),
        ("get", "/api/employees/{id}/photo"),
        ("post", "/api/kiosk/challenge"),
        ("post", "/api/kiosk/frame"),
        ("post", "/api/kiosk/attend"),
    ] {
        assert!(ops.iter().any(|(om, op, _)| om == m && op == p), "{m} {p} missing from openapi.json");
    }
    let attend = &ops.iter().find(|(m, p, _)| m == "post" && p == "/api/kiosk/attend").unwrap().2;
    assert!(attend["responses"]["200"]["headers"]["X-Prepared-Frames"].is_object(), "{attend}");
    for (m, p, op) in &ops {
        let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
        assert_eq!(secured, !is_public(m, p), "{m} {p}: security requirement does not match its audience");
    }
}

pub fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => in_param = true,
            '}' => {
                in_param = false;
                out.push('1');
            }
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

/// Every owner route refuses a missing, a forged and an expired token with 401 (and no side effect).
#[tokio::test]
async fn every_owner_route_requires_a_valid_token() {
    let app = spawn_app().await;
    app.create_owner().await;
    let user = backend::services::users::find_by_email(&app.db, OWNER_EMAIL).await.unwrap().unwrap();
    let now = chrono::Utc::now().timestamp();
    let forged =
        backend::auth::jwt::issue("not-the-server-secret", user.id, &user.email, &user.password_hash, now, 3600);
    let expired =
        backend::auth::jwt::issue(&app.config.jwt_secret, user.id, &user.email, &user.password_hash, now - 7200, 3600);
    let plain = reqwest::Client::new();
    let ops = operations(&app).await;
    let mut checked = 0;
    for (method, path, op) in ops {
        if op["security"].as_array().is_none_or(|s| s.is_empty()) {
            continue;
        }
        let url = app.url(&concrete(&path));
        let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        for (label, token) in [("no token", None), ("forged", Some(&forged)), ("expired", Some(&expired))] {
            let mut req = plain.request(m.clone(), &url).header("content-type", "application/json").body("{}");
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let resp = req.send().await.unwrap();
            assert_error(resp, 401, "UNAUTHORIZED").await;
            // The same via the cookie the SPA uses.
            if let Some(t) = token {
                let resp =
                    plain.request(m.clone(), &url).header("cookie", format!("absensi_token={t}")).send().await.unwrap();
                assert_eq!(resp.status(), 401, "{method} {path} with {label} cookie");
            }
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} owner routes found");
}
