//! Shared application state, handed to handlers as `web::Data<AppState>`.
use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::auth::limiter::{FailureLimiter, RateLimiter};
use crate::config::Config;
use crate::face_service::{FaceService, Prepared};
use crate::services::frame_cache::{FrameCache, MAX_PENDING_BURSTS};
use crate::services::kiosk::{ChallengeStore, MAX_FRAMES};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub login_limiter: Arc<FailureLimiter>,
    pub kiosk_limiter: Arc<RateLimiter>,
    /// Kiosk frames (`POST /api/kiosk/frame`): a burst's worth per challenge the kiosk budget allows.
    pub frame_limiter: Arc<RateLimiter>,
    pub face: Arc<FaceService>,
    /// Kiosk liveness challenges and the nonces already used (in memory, per instance).
    pub challenges: Arc<ChallengeStore>,
    /// First passes of frames sent ahead of their burst (in memory, per instance, no pixels).
    pub prepared: Arc<FrameCache<Prepared>>,
}

impl AppState {
    pub fn new(db: DatabaseConnection, config: Config, face: Arc<FaceService>) -> Self {
        let login_limiter =
            Arc::new(FailureLimiter::new(config.login_max_failures, Duration::from_secs(config.login_window_secs)));
        let kiosk_limiter = Arc::new(RateLimiter::new(config.kiosk_rate_per_minute, Duration::from_secs(60)));
        let frame_limiter = Arc::new(RateLimiter::new(
            config.kiosk_rate_per_minute.saturating_mul(MAX_FRAMES as u32),
            Duration::from_secs(60),
        ));
        let challenges = Arc::new(ChallengeStore::new(&config));
        let prepared = Arc::new(FrameCache::new(MAX_PENDING_BURSTS, MAX_FRAMES));
        AppState {
            db,
            config: Arc::new(config),
            login_limiter,
            kiosk_limiter,
            frame_limiter,
            face,
            challenges,
            prepared,
        }
    }
}
