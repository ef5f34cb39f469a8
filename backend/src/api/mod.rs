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

/// Documents, on every operation that uses them, the answers of the shared extractor error handlers
/// (`startup::json_config`, `query_config`, `path_config`) and of [`multipart::read`], so the OpenAPI
/// document lists every status the server can send (schemathesis' `status_code_conformance`): a JSON body
/// can be refused with 400, 413, 415 or 422, a multipart body with 400, 413 or 415, an unparsable query
/// parameter with 422 and an unparsable path parameter with 404. Statuses a handler documents itself are
/// kept as they are.
pub fn document_extractor_errors(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};

    let error = |description: &str| -> RefOr<utoipa::openapi::Response> {
        ResponseBuilder::new()
            .description(description)
            .content("application/json", Content::new(Some(Ref::from_schema_name("ErrorBody"))))
            .build()
            .into()
    };
    for item in doc.paths.paths.values_mut() {
        let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for op in ops.into_iter().flatten() {
            let body_types: Vec<String> = match &op.request_body {
                Some(RefOr::T(body)) => body.content.keys().cloned().collect(),
                _ => Vec::new(),
            };
            let has_param = |place: ParameterIn| {
                op.parameters.iter().flatten().any(|p| matches!(p, RefOr::T(p) if p.parameter_in == place))
            };
            let (query, path) = (has_param(ParameterIn::Query), has_param(ParameterIn::Path));
            let mut add: Vec<(&str, &str)> = Vec::new();
            if body_types.iter().any(|t| t == "application/json") {
                add.extend([
                    ("400", "BAD_REQUEST: the body could not be read"),
                    ("413", "PAYLOAD_TOO_LARGE: JSON body over 64 KiB"),
                    ("415", "UNSUPPORTED_MEDIA: Content-Type is not application/json"),
                    ("422", "VALIDATION: the JSON body does not match the schema"),
                ]);
            }
            if body_types.iter().any(|t| t == "multipart/form-data") {
                add.extend([
                    ("400", "BAD_MULTIPART: malformed or incomplete multipart body"),
                    ("413", "PAYLOAD_TOO_LARGE: a file, a field or the whole body is over its limit"),
                    ("415", "UNSUPPORTED_MEDIA: Content-Type is not multipart/form-data"),
                ]);
            }
            if query {
                add.push(("422", "VALIDATION: a query parameter could not be parsed"));
            }
            if path {
                add.push(("404", "NOT_FOUND: no such item (or an id that is not a number)"));
            }
            for (status, description) in add {
                op.responses.responses.entry(status.to_string()).or_insert_with(|| error(description));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    /// Every operation documents the refusals of the extractors it uses (schemathesis flagged 415 on JSON
    /// bodies, 400 on multipart bodies and 422 on query parameters as undocumented).
    #[test]
    fn openapi_documents_extractor_refusals() {
        let doc: Value = serde_json::to_value(crate::startup::openapi()).unwrap();
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let responses = op["responses"].as_object().unwrap();
                let has = |s: &str| responses.contains_key(s);
                let content = &op["requestBody"]["content"];
                if content.get("application/json").is_some() {
                    assert!(has("400") && has("413") && has("415") && has("422"), "{method} {path}: {responses:?}");
                    checked += 1;
                }
                if content.get("multipart/form-data").is_some() {
                    assert!(has("400") && has("413") && has("415"), "{method} {path}: {responses:?}");
                    checked += 1;
                }
                let params = op["parameters"].as_array().cloned().unwrap_or_default();
                if params.iter().any(|p| p["in"] == "query") {
                    assert!(has("422"), "{method} {path}: query parameters without 422");
                }
                if params.iter().any(|p| p["in"] == "path") {
                    assert!(has("404"), "{method} {path}: path parameters without 404");
                }
            }
        }
        assert!(checked >= 10, "only {checked} operations with a body");
        let delete = &doc["paths"]["/api/employees/{id}"]["delete"]["responses"];
        assert_eq!(delete["422"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody");
    }
}
