//! `Owner`: the extractor every owner endpoint takes. Reads the JWT from `Authorization: Bearer` or the
//! session cookie, verifies it, and checks the user still exists with the same password.
use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};
use sea_orm::EntityTrait;

use super::{jwt, COOKIE_NAME};
use crate::entities::{user, User};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct Owner {
    pub id: i32,
    pub email: String,
}

fn token_of(req: &HttpRequest) -> Option<String> {
    if let Some(h) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        let v = h.to_str().ok()?.trim();
        let (scheme, token) = v.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string());
    }
    req.cookie(COOKIE_NAME).map(|c| c.value().to_string())
}

fn session_invalid() -> AppError {
    AppError::unauthorized("Sesi tidak valid atau sudah berakhir. Silakan masuk kembali.")
}

impl FromRequest for Owner {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Owner, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = token_of(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::internal("AppState missing"))?;
            let token = token.ok_or_else(|| AppError::unauthorized("Silakan masuk terlebih dahulu."))?;
            let claims = jwt::verify(&state.config.jwt_secret, &token).ok_or_else(session_invalid)?;
            let id: i32 = claims.sub.parse().map_err(|_| session_invalid())?;
            let user: user::Model = User::find_by_id(id).one(&state.db).await?.ok_or_else(session_invalid)?;
            if jwt::password_fingerprint(&user.password_hash) != claims.pwv {
                return Err(session_invalid());
            }
            Ok(Owner { id: user.id, email: user.email })
        })
    }
}
