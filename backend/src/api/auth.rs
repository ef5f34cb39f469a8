//! Owner login, logout, the current user and password change.
use std::time::Instant;

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{jwt, password, Owner, COOKIE_NAME};
use crate::domain::time::rfc3339_utc;
use crate::entities::{user, User};
use crate::error::{AppError, AppResult};
use crate::services::users::{self, OwnerError};
use crate::state::AppState;
use sea_orm::EntityTrait;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(login).service(logout).service(me).service(change_password);
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    #[schema(example = "owner@perusahaan.co.id")]
    pub email: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserOut {
    pub id: i32,
    pub email: String,
    /// Always `OWNER` (the only role).
    pub role: String,
    pub created_at: Option<String>,
}

impl From<&user::Model> for UserOut {
    fn from(u: &user::Model) -> Self {
        UserOut { id: u.id, email: u.email.clone(), role: "OWNER".into(), created_at: u.created_at.map(rfc3339_utc) }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// JWT for `Authorization: Bearer` (the same token is also set as an HttpOnly cookie).
    pub token: String,
    pub user: UserOut,
}

/// The session cookie: HttpOnly, SameSite=Strict, and `Secure` whenever the page was reached over HTTPS
/// (built-in TLS, or a TLS-terminating proxy that says so with `X-Forwarded-Proto: https`).
fn session_cookie<'a>(state: &AppState, req: &HttpRequest, token: String, max_age_secs: i64) -> Cookie<'a> {
    let https = state.config.tls_enabled() || req.connection_info().scheme() == "https";
    Cookie::build(COOKIE_NAME, token)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(https)
        .path("/")
        .max_age(CookieDuration::seconds(max_age_secs))
        .finish()
}

/// Log in as the owner. Repeated failures from one IP for one email get 429 for a while.
#[utoipa::path(tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = LoginResponse, description = "Logged in; also sets the `absensi_token` cookie"),
    (status = 401, body = crate::error::ErrorBody, description = "INVALID_CREDENTIALS"),
    (status = 422, body = crate::error::ErrorBody),
    (status = 429, body = crate::error::ErrorBody, description = "Too many failed attempts")
))]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> AppResult<HttpResponse> {
    let email = users::normalise_email(&body.email);
    if email.is_empty() || body.password.is_empty() {
        return Err(AppError::validation("email", "Email dan kata sandi wajib diisi"));
    }
    if email.len() > 191 || body.password.len() > 1024 {
        return Err(AppError::unauthorized_code("INVALID_CREDENTIALS", "Email atau kata sandi salah."));
    }
    let ip = crate::security::client_ip(&req, &state.config.trusted_proxies);
    let key = format!("{ip}|{email}");
    if let Some(wait) = state.login_limiter.locked_for(&key, Instant::now()) {
        return Err(AppError::rate_limited(format!(
            "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {} menit.",
            wait.div_ceil(60)
        ))
        .with("retry_after_secs", wait));
    }
    let user = users::find_by_email(&state.db, &email).await?;
    let plain = body.password.clone();
    let hash = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| password::dummy_hash().to_string());
    let ok = web::block(move || password::verify(&plain, &hash)).await.map_err(AppError::internal)?;
    let user = match (ok, user) {
        (true, Some(u)) => u,
        _ => {
            state.login_limiter.record_failure(&key, Instant::now());
            tracing::warn!(%ip, "failed owner login");
            return Err(AppError::unauthorized_code("INVALID_CREDENTIALS", "Email atau kata sandi salah."));
        }
    };
    state.login_limiter.reset(&key);
    let ttl = state.config.jwt_ttl_hours * 3600;
    let token = jwt::issue(
        &state.config.jwt_secret,
        user.id,
        &user.email,
        &user.password_hash,
        chrono::Utc::now().timestamp(),
        ttl,
    );
    tracing::info!(user_id = user.id, "owner logged in");
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(&state, &req, token.clone(), ttl))
        .json(LoginResponse { token, user: UserOut::from(&user) }))
}

/// Log out: clears the session cookie.
#[utoipa::path(tag = "auth", responses((status = 204, description = "Cookie cleared")))]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let mut c = session_cookie(&state, &req, String::new(), 0);
    c.make_removal();
    HttpResponse::NoContent().cookie(c).finish()
}

/// The logged-in owner.
#[utoipa::path(tag = "auth", security(("bearer" = []), ("cookie" = [])), responses(
    (status = 200, body = UserOut),
    (status = 401, body = crate::error::ErrorBody)
))]
#[get("/auth/me")]
pub async fn me(state: web::Data<AppState>, owner: Owner) -> AppResult<web::Json<UserOut>> {
    let user = User::find_by_id(owner.id).one(&state.db).await?.ok_or_else(|| AppError::not_found("Pengguna"))?;
    Ok(web::Json(UserOut::from(&user)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    /// At least 8 characters.
    pub new_password: String,
}

/// Change the owner's password; every other session ends (tokens carry a password fingerprint).
#[utoipa::path(tag = "auth", security(("bearer" = []), ("cookie" = [])), request_body = ChangePasswordRequest, responses(
    (status = 204, description = "Changed; a fresh session cookie is set"),
    (status = 401, body = crate::error::ErrorBody),
    (status = 422, body = crate::error::ErrorBody)
))]
#[post("/auth/change-password")]
pub async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    owner: Owner,
    body: web::Json<ChangePasswordRequest>,
) -> AppResult<HttpResponse> {
    let user = User::find_by_id(owner.id).one(&state.db).await?.ok_or_else(|| AppError::not_found("Pengguna"))?;
    let (plain, hash) = (body.current_password.clone(), user.password_hash.clone());
    let ok = web::block(move || password::verify(&plain, &hash)).await.map_err(AppError::internal)?;
    if !ok {
        return Err(AppError::validation("current_password", "Kata sandi saat ini salah"));
    }
    if body.new_password == body.current_password {
        return Err(AppError::validation("new_password", "Kata sandi baru harus berbeda"));
    }
    let new_plain = body.new_password.clone();
    let user = match users::set_password(&state.db, user, &new_plain).await {
        Ok(u) => u,
        Err(OwnerError::WeakPassword(m)) => return Err(AppError::validation("new_password", m)),
        Err(OwnerError::Db(e)) => return Err(e.into()),
        Err(e) => return Err(AppError::internal(e)),
    };
    let ttl = state.config.jwt_ttl_hours * 3600;
    let token = jwt::issue(
        &state.config.jwt_secret,
        user.id,
        &user.email,
        &user.password_hash,
        chrono::Utc::now().timestamp(),
        ttl,
    );
    tracing::info!(user_id = user.id, "owner changed password");
    Ok(HttpResponse::NoContent().cookie(session_cookie(&state, &req, token, ttl)).finish())
}
