use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health);
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` or `degraded`.
    pub status: &'static str,
    /// `ok` or `unavailable`.
    pub database: &'static str,
}

/// Liveness of the service and its database.
#[utoipa::path(tag = "system", responses(
    (status = 200, description = "Service and database are up", body = Health),
    (status = 503, description = "Database unreachable", body = Health)
))]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    match crate::db::ping(&state.db).await {
        Ok(()) => HttpResponse::Ok().json(Health { status: "ok", database: "ok" }),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unavailable");
            HttpResponse::ServiceUnavailable().json(Health { status: "degraded", database: "unavailable" })
        }
    }
}
