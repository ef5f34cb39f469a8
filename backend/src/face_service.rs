//! The backend's side of the face engine: one shared [`FaceEngine`] (models loaded once per process),
//! the in-memory gallery (the seed's `face_cache`) kept in step with `face_encodings`, the matching
//! policy from configuration, and bounded, off-executor inference.
//!
//! Frames are analysed in memory and dropped: they are never written to disk, the database or logs.
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use face_engine::liveness::FrameSignals;
use face_engine::{
    AlignedChip, AnalyzeOptions, ChipPlacement, DecodeLimits, Embedding, Encoding, EncodingError, FaceEngine, FaceError,
    FrameAnalysis, Gallery, MatchPolicy,
};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};
use tokio::sync::Semaphore;

use crate::config::Config;
use crate::entities::FaceEncoding;
use crate::error::AppError;

pub struct FaceService {
    pub engine: Arc<FaceEngine>,
    gallery: RwLock<Gallery>,
    /// Employees whose stored encoding cannot be used (another model id or a broken value): they must
    /// register again.
    stale: RwLock<Vec<(i32, String)>>,
    pub policy: MatchPolicy,
    pub decode_limits: DecodeLimits,
    permits: Semaphore,
    /// Kiosk bursts analysed at once (`FACE_WORKERS`): further bursts wait their turn whole, first come
    /// first served, instead of every waiting burst's frames sharing the cores and all finishing late.
    bursts: Semaphore,
}

/// A frame's first pass as the kiosk keeps it between a frame sent ahead and its burst: no pixels.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub signals: FrameSignals,
    /// `None` when no face was found.
    pub placement: Option<ChipPlacement>,
}

/// Where the chip to embed comes from: kept by the first pass ([`AnalyzeOptions::keep_chip`]), or cut
/// again from the frame's bytes at its placement (frames analysed ahead keep no pixels).
pub enum ChipSource {
    Kept(AlignedChip),
    Cut(Arc<[u8]>, ChipPlacement),
}

/// One engine per process and models directory (tests start many apps; production starts one).
fn shared_engine(dir: &Path) -> Result<Arc<FaceEngine>, face_engine::ModelError> {
    static ENGINES: OnceLock<Mutex<HashMap<PathBuf, Arc<FaceEngine>>>> = OnceLock::new();
    let map = ENGINES.get_or_init(|| Mutex::new(HashMap::new()));
    let key = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if let Some(e) = map.lock().unwrap().get(&key) {
        return Ok(e.clone());
    }
    let engine = Arc::new(FaceEngine::load(dir)?);
    map.lock().unwrap().insert(key, engine.clone());
    Ok(engine)
}

impl FaceService {
    /// Loads (or reuses) the models from `FACE_MODELS_DIR`, verifying their checksums.
    pub fn load(config: &Config) -> anyhow::Result<FaceService> {
        let engine = shared_engine(&config.face_models_dir)
            .map_err(|e| anyhow::anyhow!("face models in {}: {e}", config.face_models_dir.display()))?;
        let policy = policy_from(config)?;
        let decode_limits = DecodeLimits { max_bytes: config.max_upload_bytes, ..DecodeLimits::default() };
        Ok(FaceService {
            engine,
            gallery: RwLock::new(Gallery::new()),
            stale: RwLock::new(Vec::new()),
            policy,
            decode_limits,
            permits: Semaphore::new(config.face_workers),
            bursts: Semaphore::new(config.face_workers),
        })
    }

    pub fn model_id(&self) -> &str {
        self.engine.model_id()
    }

    /// Runs `job` on the engine on a blocking thread, with at most `FACE_WORKERS` jobs running at once.
    async fn on_worker<T: Send + 'static>(
        &self,
        job: impl FnOnce(&FaceEngine) -> Result<T, FaceError> + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        let engine = self.engine.clone();
        let result = tokio::task::spawn_blocking(move || job(&engine)).await.map_err(AppError::internal)?;
        result.map_err(face_error)
    }

    /// Analyses one frame on a face worker (see [`FaceService::on_worker`]).
    pub async fn analyze<B: AsRef<[u8]> + Send + 'static>(
        &self,
        bytes: B,
        opts: AnalyzeOptions,
    ) -> Result<FrameAnalysis, AppError> {
        let limits = self.decode_limits.clone();
        self.on_worker(move |engine| engine.analyze_bytes(bytes.as_ref(), &limits, &opts)).await
    }

    /// A kiosk frame's first pass without its pixels (`opts` without the embedding): its liveness
    /// signals and where its chip lies (see `services::frame_cache`).
    pub async fn prepare(&self, bytes: Arc<[u8]>, opts: AnalyzeOptions) -> Result<Prepared, AppError> {
        let opts = AnalyzeOptions { embedding: false, keep_chip: false, ..opts };
        let a = self.analyze(bytes, opts).await?;
        Ok(Prepared { signals: FrameSignals::from_analysis(&a), placement: a.face.map(|f| f.placement) })
    }

    /// Analyses several frames concurrently (bounded by the shared permits); results in input order.
    /// Per-frame errors are returned, not raised, so callers can tolerate a few bad frames.
    pub async fn analyze_all(
        &self,
        frames: Vec<Vec<u8>>,
        opts: AnalyzeOptions,
    ) -> Vec<Result<FrameAnalysis, AppError>> {
        let futures = frames.into_iter().map(|f| self.analyze(f, opts.clone()));
        futures_util::future::join_all(futures).await
    }

    /// A turn for one kiosk burst's analysis (both passes); hold it while analysing. Bursts are admitted in
    /// arrival order, at most `FACE_WORKERS` at once, so under a queue the first burst is answered first
    /// (same throughput, lower waiting time than interleaving every burst's frames).
    pub async fn burst_turn(&self) -> Result<tokio::sync::SemaphorePermit<'_>, AppError> {
        self.bursts.acquire().await.map_err(AppError::internal)
    }

    /// Embeds the chips of a first pass concurrently, bounded by the same permits; results keep the
    /// caller's keys, in input order.
    pub async fn embed_all<K>(&self, chips: Vec<(K, ChipSource)>) -> Vec<(K, Result<Embedding, AppError>)> {
        let futures = chips.into_iter().map(|(k, source)| async move {
            let limits = self.decode_limits.clone();
            let job = move |engine: &FaceEngine| match source {
                ChipSource::Kept(chip) => engine.embed_aligned(&chip),
                ChipSource::Cut(bytes, placement) => {
                    engine.embed_aligned(&placement.cut(&face_engine::decode_image(&bytes, &limits)?))
                }
            };
            (k, self.on_worker(job).await)
        });
        futures_util::future::join_all(futures).await
    }

    /// Reads all encodings from the database into the gallery (at start and periodically, so several
    /// instances agree). Encodings of another model are left out and listed in [`FaceService::stale`].
    pub async fn reload(&self, db: &DatabaseConnection) -> Result<usize, DbErr> {
        let rows = FaceEncoding::find().all(db).await?;
        let mut entries = Vec::with_capacity(rows.len());
        let mut stale = Vec::new();
        for r in rows {
            match parse_stored(&r.encoding, self.model_id()) {
                Ok(e) => entries.push((r.employee_id as i64, e)),
                Err(err) => stale.push((r.employee_id, err.to_string())),
            }
        }
        if !stale.is_empty() {
            tracing::warn!(
                count = stale.len(),
                "face encodings unusable by this model; those employees must register again"
            );
        }
        let n = entries.len();
        self.gallery.write().unwrap().replace_all(entries);
        *self.stale.write().unwrap() = stale;
        Ok(n)
    }

    /// Reloads the gallery every `every` until the process ends.
    pub fn spawn_refresh(self: &Arc<Self>, db: DatabaseConnection, every: Duration) {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = me.reload(&db).await {
                    tracing::warn!(error = %e, "gallery refresh failed; keeping the previous gallery");
                }
            }
        });
    }

    pub fn upsert(&self, employee_id: i32, emb: &Embedding) {
        self.gallery.write().unwrap().upsert(employee_id as i64, emb);
        self.stale.write().unwrap().retain(|(id, _)| *id != employee_id);
    }

    pub fn remove(&self, employee_id: i32) {
        self.gallery.write().unwrap().remove(employee_id as i64);
        self.stale.write().unwrap().retain(|(id, _)| *id != employee_id);
    }

    /// Read access to the gallery (searches are fast; do not hold the guard across an await).
    pub fn gallery(&self) -> std::sync::RwLockReadGuard<'_, Gallery> {
        self.gallery.read().unwrap()
    }

    pub fn stale(&self) -> Vec<(i32, String)> {
        self.stale.read().unwrap().clone()
    }

    /// The stored JSON for an embedding: `{"model": "<id>", "vector": [128 floats]}`.
    pub fn to_json(&self, emb: &Embedding) -> serde_json::Value {
        serde_json::to_value(emb.to_encoding(self.model_id())).expect("encoding serialises")
    }
}

/// The matching operating point: the engine's calibrated `MatchPolicy::KIOSK`, overridden by
/// `FACE_ACCEPT` / `FACE_GREY` / `FACE_MARGIN`.
pub fn policy_from(config: &Config) -> anyhow::Result<MatchPolicy> {
    let mut policy = MatchPolicy::KIOSK;
    if let Some(a) = config.face_accept {
        policy.accept = a;
    }
    if let Some(g) = config.face_grey {
        policy.grey = g;
    }
    if let Some(m) = config.face_margin {
        policy.margin = m;
    }
    if !(policy.grey <= policy.accept) || !(-1.0..=1.0).contains(&policy.accept) || policy.margin < 0.0 {
        anyhow::bail!(
            "invalid matching policy: FACE_GREY {} <= FACE_ACCEPT {} in -1..1, FACE_MARGIN {} >= 0",
            policy.grey,
            policy.accept,
            policy.margin
        );
    }
    Ok(policy)
}

/// Parses a stored `face_encodings.encoding` value.
pub fn parse_stored(value: &serde_json::Value, model_id: &str) -> Result<Embedding, EncodingError> {
    let enc: Encoding = serde_json::from_value(value.clone()).map_err(|e| EncodingError::Json(e.to_string()))?;
    enc.to_embedding(model_id)
}

/// Maps a face-engine error to the API error (Indonesian message, stable code).
pub fn face_error(e: FaceError) -> AppError {
    use actix_web::http::StatusCode as S;
    let (status, msg) = match &e {
        FaceError::EmptyImage => (S::UNPROCESSABLE_ENTITY, "Gambar kosong.".to_string()),
        FaceError::TooManyBytes { max, .. } => {
            (S::PAYLOAD_TOO_LARGE, format!("Gambar terlalu besar (maksimal {} KB).", max / 1024))
        }
        FaceError::TooManyPixels { width, height, .. } => {
            (S::PAYLOAD_TOO_LARGE, format!("Resolusi gambar terlalu besar ({width}x{height})."))
        }
        FaceError::DecoderMemoryLimit => (S::PAYLOAD_TOO_LARGE, "Gambar terlalu besar untuk diproses.".to_string()),
        FaceError::NotAnImage => (S::UNPROCESSABLE_ENTITY, "Berkas bukan gambar JPEG atau PNG.".to_string()),
        FaceError::CorruptImage(_) => (S::UNPROCESSABLE_ENTITY, "Gambar rusak atau tidak dapat dibaca.".to_string()),
        FaceError::ImageTooSmall { .. } => (S::UNPROCESSABLE_ENTITY, "Gambar terlalu kecil.".to_string()),
        FaceError::NoFace => (
            S::UNPROCESSABLE_ENTITY,
            "Wajah tidak terdeteksi. Pastikan wajah terlihat jelas dan cukup terang.".to_string(),
        ),
        FaceError::MultipleFaces { count } => {
            (S::UNPROCESSABLE_ENTITY, format!("Terdeteksi {count} wajah. Pastikan hanya satu orang di depan kamera."))
        }
        FaceError::Inference(detail) => return AppError::internal(format!("face inference: {detail}")),
    };
    AppError::new(status, e.code(), msg)
}
