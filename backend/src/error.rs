//! The one error type of the API: a status code, a stable machine `code`, an Indonesian `message`, and
//! optional extra fields, rendered as `{"error": {"code", "message", ...}}`.
//!
//! Database errors are logged with their detail and shown to the client only as a generic message.
use std::borrow::Cow;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use sea_orm::{DbErr, SqlErr};
use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub struct AppError {
    pub status: StatusCode,
    pub code: Cow<'static, str>,
    pub message: String,
    /// Extra members of the `error` object (e.g. `fields`, `frames`, `employee`).
    pub extra: Map<String, Value>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(status: StatusCode, code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        AppError { status, code: code.into(), message: message.into(), extra: Map::new() }
    }

    /// Adds an extra member to the `error` object.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    pub fn bad_request(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 422 with a per-field explanation.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut fields = Map::new();
        fields.insert(field.to_string(), Value::String(message.clone()));
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION", message).with("fields", Value::Object(fields))
    }

    pub fn unprocessable(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", format!("{what} tidak ditemukan"))
    }

    pub fn conflict(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
    }

    pub fn unauthorized_code(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn forbidden(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn rate_limited(message: impl Into<String>) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", message)
    }

    pub fn payload_too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", message)
    }

    pub fn unsupported_media(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA", message)
    }

    pub fn unavailable(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
    }

    /// A 500 whose cause is logged, never shown.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "Terjadi kesalahan pada server. Silakan coba lagi.")
    }

    /// Maps a unique-key violation to the given conflict, everything else through `From<DbErr>`.
    pub fn from_db_unique(e: DbErr, code: &'static str, message: impl Into<String>) -> Self {
        if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
            Self::conflict(code, message)
        } else {
            e.into()
        }
    }
}

/// True when the error means the database cannot be reached (as opposed to a bad query).
pub fn is_connection_error(e: &DbErr) -> bool {
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        other => {
            let s = other.to_string().to_ascii_lowercase();
            s.contains("connection refused")
                || s.contains("broken pipe")
                || s.contains("connection reset")
                || s.contains("pool timed out")
                || s.contains("server has gone away")
                || s.contains("lost connection")
                || s.contains("io error")
        }
    }
}

impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        if is_connection_error(&e) {
            tracing::error!(error = %e, "database unavailable");
            return AppError::unavailable(
                "DB_UNAVAILABLE",
                "Database sedang tidak dapat dihubungi. Silakan coba beberapa saat lagi.",
            );
        }
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(detail)) => {
                tracing::warn!(key = violated_key(&detail), "unique constraint violation");
                AppError::conflict("CONFLICT", "Data yang sama sudah ada.")
            }
            Some(SqlErr::ForeignKeyConstraintViolation(detail)) => {
                tracing::warn!(%detail, "foreign key violation");
                AppError::conflict("CONFLICT", "Data masih dipakai oleh data lain.")
            }
            _ => AppError::internal(format!("database: {e}")),
        }
    }
}

/// The key a unique-key violation names, without the duplicated value: MariaDB says "Duplicate entry
/// 'budi@contoh.co.id' for key 'email'", and that value is often personal data, which stays out of the logs.
/// SQLite's "UNIQUE constraint failed: employee.email" holds no value and is kept as it is.
fn violated_key(detail: &str) -> &str {
    if let Some(i) = detail.rfind(" for key ") {
        return detail[i + " for key ".len()..].trim().trim_matches(|c| c == '\'' || c == '`');
    }
    if detail.contains("Duplicate entry") {
        return "(key not named)";
    }
    detail
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = Map::new();
        body.insert("code".into(), Value::String(self.code.to_string()));
        body.insert("message".into(), Value::String(self.message.clone()));
        for (k, v) in &self.extra {
            body.insert(k.clone(), v.clone());
        }
        HttpResponse::build(self.status).json(serde_json::json!({ "error": Value::Object(body) }))
    }
}

/// JSON body of errors, for the OpenAPI document.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `VALIDATION`, `NOT_FOUND`, `DUPLICATE_KODE`.
    pub code: String,
    /// Human-readable message in Indonesian.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    #[test]
    fn renders_code_message_and_extras() {
        let e = AppError::validation("nama", "Nama wajib diisi").with("hint", "x");
        let resp = e.error_response();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let bytes = resp.into_body().try_into_bytes().unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["error"]["code"], "VALIDATION");
        assert_eq!(v["error"]["message"], "Nama wajib diisi");
        assert_eq!(v["error"]["fields"]["nama"], "Nama wajib diisi");
        assert_eq!(v["error"]["hint"], "x");
    }

    #[test]
    fn a_duplicate_key_is_logged_without_its_value() {
        assert_eq!(violated_key("Duplicate entry 'budi@contoh.co.id' for key 'email'"), "email");
        assert_eq!(
            violated_key("Duplicate entry '7-2026-12-01' for key 'unique_daily_attendance'"),
            "unique_daily_attendance"
        );
        assert_eq!(violated_key("Duplicate entry 'x' for key"), "(key not named)");
        assert_eq!(
            violated_key("UNIQUE constraint failed: employee.email"),
            "UNIQUE constraint failed: employee.email"
        );
    }

    #[test]
    fn db_errors_do_not_leak() {
        let e: AppError = DbErr::Custom("SELECT secret FROM users".into()).into();
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.message.contains("secret"));
        let e: AppError = DbErr::Conn(sea_orm::RuntimeErr::Internal("refused".into())).into();
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.code, "DB_UNAVAILABLE");
    }
}
