//! Builds the actix-web application: `/api` (JSON, OpenAPI-documented), then the SPA with fallback to
//! `index.html` for client routes. Tests start it in-process on a random port.
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::dev::{fn_service, Server, ServiceRequest, ServiceResponse};
use actix_web::middleware::Compress;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use sea_orm::DatabaseConnection;
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::api::{self, ApiDoc};
use crate::config::Config;
use crate::error::AppError;
use crate::state::AppState;

/// JSON bodies larger than this are refused with 413 (uploads use multipart with their own limits).
const JSON_LIMIT: usize = 64 * 1024;

pub struct Application {
    port: u16,
    server: Server,
}

/// Connects, migrates, bootstraps the first owner; everything `serve` needs before listening.
pub async fn prepare(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let db = crate::db::connect_with(&config.database_url, config.db_acquire_timeout)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to DATABASE_URL: {e}"))?;
    crate::db::migrate(&db).await.map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    if crate::services::users::bootstrap_owner(&db, config.owner_email.as_deref(), config.owner_password.as_deref())
        .await
        .map_err(|e| anyhow::anyhow!("OWNER_EMAIL/OWNER_PASSWORD bootstrap failed: {e}"))?
    {
        tracing::info!("created the first owner from OWNER_EMAIL");
    }
    Ok(db)
}

/// Periodic jobs of a serving instance (not of CLI commands): the gallery refresh and, unless
/// `DAILY_CLOSE_ENABLED=false`, the daily close at `DAILY_CLOSE_TIME`.
pub fn start_background_jobs(state: &AppState) {
    let every = std::time::Duration::from_secs(state.config.gallery_refresh_secs.max(1));
    state.face.spawn_refresh(state.db.clone(), every);
    if state.config.daily_close_enabled {
        crate::services::attendance::spawn_daily_close(state.db.clone(), state.config.clone());
    }
}

/// Everything the server shares, ready to serve: models, database and the filled gallery.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    let face = std::sync::Arc::new(crate::face_service::FaceService::load(&config)?);
    let db = prepare(&config).await?;
    let n = face.reload(&db).await.map_err(|e| anyhow::anyhow!("loading face encodings: {e}"))?;
    tracing::info!(encodings = n, model = face.model_id(), "face gallery loaded");
    Ok(AppState::new(db, config, face))
}

impl Application {
    /// Loads the face models (checksums verified), connects, migrates, fills the gallery and starts the
    /// background jobs.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let state = build_state(config).await?;
        start_background_jobs(&state);
        Self::build_with(state)
    }

    pub fn build_with(state: AppState) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(state.config.bind_addr)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", state.config.bind_addr))?;
        let port = listener.local_addr()?.port();
        let server = run(listener, state)?;
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The OpenAPI document of everything `configure_api` registers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(utoipa_actix_web::scope("/api").configure(api::configure))
        .split_for_parts();
    api::document_extractor_errors(&mut doc);
    doc
}

fn run(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let openapi_json = web::Data::new(OpenApiJson(openapi().to_json()?));
    let data = web::Data::new(state.clone());
    let static_dir = state.config.static_dir.clone();
    let index_html = std::fs::read_to_string(static_dir.join("index.html")).ok();
    let csp = crate::security::content_security_policy(index_html.as_deref());
    let tls = state.config.tls_enabled();
    let server = HttpServer::new(move || {
        let (app, _) = App::new()
            .wrap(actix_web::middleware::from_fn(crate::security::cors_guard))
            .wrap(Compress::default())
            .wrap(crate::security::security_headers(&csp, tls))
            .wrap(TracingLogger::default())
            .app_data(data.clone())
            .app_data(openapi_json.clone())
            .app_data(json_config())
            .app_data(query_config())
            .app_data(path_config())
            .into_utoipa_app()
            .service(utoipa_actix_web::scope("/api").configure(api::configure).map(|scope| {
                scope.route("/openapi.json", web::get().to(serve_openapi)).default_service(web::to(api_not_found))
            }))
            .split_for_parts();
        app.service(spa(&static_dir))
    })
    .shutdown_timeout(20);
    let server = match (&state.config.tls_cert, &state.config.tls_key) {
        (Some(cert), Some(key)) => server.listen_rustls_0_23(listener, crate::tls::load(cert, key)?)?,
        _ => server.listen(listener)?,
    };
    Ok(server.run())
}

struct OpenApiJson(String);

async fn serve_openapi(doc: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(doc.0.clone())
}

async fn api_not_found(req: HttpRequest) -> HttpResponse {
    actix_web::ResponseError::error_response(&AppError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!("Endpoint {} {} tidak ada", req.method(), req.path()),
    ))
}

fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(JSON_LIMIT).error_handler(|err, _req| {
        use actix_web::error::JsonPayloadError as E;
        let e = match &err {
            E::OverflowKnownLength { .. } | E::Overflow { .. } => {
                AppError::payload_too_large("Data JSON terlalu besar.")
            }
            E::ContentType => AppError::unsupported_media("Content-Type harus application/json."),
            E::Deserialize(d) => AppError::new(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                "VALIDATION",
                format!("Data JSON tidak valid: {d}"),
            ),
            other => AppError::bad_request("BAD_REQUEST", format!("Permintaan tidak valid: {other}")),
        };
        e.into()
    })
}

fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        AppError::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "VALIDATION",
            format!("Parameter tidak valid: {err}"),
        )
        .into()
    })
}

fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_err, _req| AppError::not_found("Data").into())
}

/// The built SPA with fallback to `index.html` (client routes such as `/absen`), or a short page explaining
/// how to build it when `STATIC_DIR` has no `index.html`.
fn spa(static_dir: &Path) -> Files {
    let index: PathBuf = static_dir.join("index.html");
    let dir = if static_dir.is_dir() { static_dir.to_path_buf() } else { std::env::temp_dir() };
    Files::new("/", dir).index_file("index.html").default_handler(fn_service(move |req: ServiceRequest| {
        let index = index.clone();
        async move {
            let (req, _) = req.into_parts();
            let resp = match NamedFile::open(&index) {
                Ok(f) => f.into_response(&req),
                Err(_) => HttpResponse::Ok().content_type("text/html; charset=utf-8").body(NOT_BUILT),
            };
            Ok(ServiceResponse::new(req, resp))
        }
    }))
}

const NOT_BUILT: &str = "<!doctype html><html lang=\"id\"><meta charset=\"utf-8\"><title>absensi wajah</title>\
<body><h1>absensi wajah</h1><p>Antarmuka web belum dibangun. Jalankan <code>make run</code> (membangun SPA lalu \
menjalankan server), atau atur <code>STATIC_DIR</code> ke folder hasil <code>trunk build</code>.</p>\
<p>API: <a href=\"/api/health\">/api/health</a>, <a href=\"/api/openapi.json\">/api/openapi.json</a></p></body></html>";
