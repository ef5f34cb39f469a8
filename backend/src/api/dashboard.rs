//! Dashboard statistics (owner): today's counts, the per-day trend, the late ranking and recent events.
//! The queries are aggregates in `services::dashboard`; "today" is the date in `APP_TIMEZONE`.
use actix_web::{get, web};
use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use utoipa_actix_web::service_config::ServiceConfig;

use super::validate;
use crate::auth::Owner;
use crate::error::{AppError, AppResult};
use crate::services::dashboard::{self, LateRanking, Recent, Summary, Trend};
use crate::services::leaves::today;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(summary).service(trend).service(late_ranking).service(recent);
}

fn opt_date(field: &str, label: &str, v: Option<&str>) -> AppResult<Option<NaiveDate>> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => validate::date(field, label, s).map(Some),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// `YYYY-MM-DD`; default today.
    pub date: Option<String>,
}

/// Counts for one day: per status, not yet checked in, active employees, registered faces, pending leaves.
#[utoipa::path(tag = "dashboard", security(("bearer" = []), ("cookie" = [])), params(SummaryQuery), responses(
    (status = 200, body = Summary), (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)
))]
#[get("/dashboard/summary")]
pub async fn summary(
    state: web::Data<AppState>,
    _owner: Owner,
    query: web::Query<SummaryQuery>,
) -> AppResult<web::Json<Summary>> {
    let date = opt_date("date", "Tanggal", query.date.as_deref())?.unwrap_or_else(|| today(&state));
    Ok(web::Json(dashboard::summary(&state.db, &state.config.work_days, date).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrendQuery {
    /// Number of days ending today, 1..=366 (default 30).
    #[param(minimum = 1, maximum = 366)]
    pub days: Option<u32>,
}

/// Per-day counts per status for the last `days` days (today included).
#[utoipa::path(tag = "dashboard", security(("bearer" = []), ("cookie" = [])), params(TrendQuery), responses(
    (status = 200, body = Trend), (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)
))]
#[get("/dashboard/trend")]
pub async fn trend(
    state: web::Data<AppState>,
    _owner: Owner,
    query: web::Query<TrendQuery>,
) -> AppResult<web::Json<Trend>> {
    let days = query.days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        return Err(AppError::validation("days", "Jumlah hari harus antara 1 dan 366"));
    }
    Ok(web::Json(dashboard::trend(&state.db, today(&state), days).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LateQuery {
    /// `YYYY-MM-DD`; default 29 days before `to`.
    pub from: Option<String>,
    /// `YYYY-MM-DD`; default today.
    pub to: Option<String>,
    /// 1..=100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// Employees ranked by late days and total late minutes (check-in vs the shift's `jam_masuk`, on days whose
/// status is `TERLAMBAT`, i.e. beyond the tolerance).
#[utoipa::path(tag = "dashboard", security(("bearer" = []), ("cookie" = [])), params(LateQuery), responses(
    (status = 200, body = LateRanking), (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)
))]
#[get("/dashboard/late-ranking")]
pub async fn late_ranking(
    state: web::Data<AppState>,
    _owner: Owner,
    query: web::Query<LateQuery>,
) -> AppResult<web::Json<LateRanking>> {
    let to = opt_date("to", "Tanggal akhir", query.to.as_deref())?.unwrap_or_else(|| today(&state));
    let from = opt_date("from", "Tanggal awal", query.from.as_deref())?.unwrap_or(to - Duration::days(29));
    super::reports::check_period(&state, from, to)?;
    let limit = query.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(AppError::validation("limit", "limit harus antara 1 dan 100"));
    }
    Ok(web::Json(dashboard::late_ranking(&state.db, from, to, limit).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecentQuery {
    /// 1..=100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// Latest attendance events of the last 7 days (newest first).
#[utoipa::path(tag = "dashboard", security(("bearer" = []), ("cookie" = [])), params(RecentQuery), responses(
    (status = 200, body = Recent), (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)
))]
#[get("/dashboard/recent")]
pub async fn recent(
    state: web::Data<AppState>,
    _owner: Owner,
    query: web::Query<RecentQuery>,
) -> AppResult<web::Json<Recent>> {
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::validation("limit", "limit harus antara 1 dan 100"));
    }
    Ok(web::Json(dashboard::recent(&state.db, today(&state), limit).await?))
}
