//! HTTP handlers, one module per area. Handlers are thin: parse, call the rules/queries, answer JSON.
//! Every handler is registered through `utoipa_actix_web`, so the OpenAPI document lists exactly the
//! routes the server serves.
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::service_config::ServiceConfig;

pub mod attendance;
pub mod auth;
pub mod dashboard;
pub mod employee_import;
pub mod employees;
pub mod faces;
pub mod health;
pub mod kiosk;
pub mod leaves;
pub mod multipart;
pub mod reports;
pub mod shifts;
pub mod validate;

/// Registers every `/api` route (the caller wraps them in the `/api` scope).
pub fn configure(cfg: &mut ServiceConfig) {
    health::configure(cfg);
    auth::configure(cfg);
    shifts::configure(cfg);
    // Before `employees`: `/employees/export` must not be taken for `/employees/{id}`.
    employee_import::configure(cfg);
    employees::configure(cfg);
    faces::configure(cfg);
    kiosk::configure(cfg);
    attendance::configure(cfg);
    leaves::configure(cfg);
    dashboard::configure(cfg);
    reports::configure(cfg);
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "absensi wajah API",
        description = "Face-recognition attendance: owner API (JWT cookie or Bearer) and the no-login kiosk API.",
        license(name = "MIT")
    ),
    modifiers(&SecuritySchemes),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail))
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::COOKIE_NAME))),
        );
    }
}

/// `page` (1-based) and `per_page` (1..=200) query parameters.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1 (default 1).
    pub page: Option<u64>,
    /// Items per page, 1..=200 (default 20).
    pub per_page: Option<u64>,
}

impl PageQuery {
    pub fn resolve(&self) -> (u64, u64) {
        // Capped so `page * per_page` (the SQL offset) cannot overflow: no list is that long.
        let page = self.page.unwrap_or(1).clamp(1, 1_000_000_000);
        let per_page = self.per_page.unwrap_or(20).clamp(1, 200);
        (page, per_page)
    }
}

/// A page of items.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T: utoipa::ToSchema> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}
