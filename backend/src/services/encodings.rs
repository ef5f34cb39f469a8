//! `backend encodings export|import FILE`: a JSON backup of the face encodings (the seed's `dataset/`),
//! keyed by employee `kode` so it can be restored into another database.
use face_engine::Encoding;
use sea_orm::{DatabaseConnection, EntityTrait};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::entities::{Employee, FaceEncoding};

#[derive(Debug, Serialize, Deserialize)]
pub struct Backup {
    /// Format marker, `absensi-encodings-v1`.
    pub format: String,
    pub exported_at: String,
    pub entries: Vec<BackupEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct BackupEntry {
    pub kode: String,
    pub nama: String,
    pub encoding: Encoding,
    pub dibuat: Option<String>,
    /// The consent record stored with the encoding (see `services::faces::consent_record`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<serde_json::Value>,
}

pub const FORMAT: &str = "absensi-encodings-v1";

pub async fn export(db: &DatabaseConnection) -> anyhow::Result<Backup> {
    let employees: HashMap<i32, (String, String)> =
        Employee::find().all(db).await?.into_iter().map(|e| (e.id, (e.kode, e.nama))).collect();
    let mut entries = Vec::new();
    for row in FaceEncoding::find().all(db).await? {
        let Some((kode, nama)) = employees.get(&row.employee_id).cloned() else { continue };
        let consent = row.encoding.get("consent").cloned();
        let encoding: Encoding = serde_json::from_value(row.encoding)
            .map_err(|e| anyhow::anyhow!("employee {kode}: stored encoding is not valid JSON: {e}"))?;
        let dibuat = row.dibuat.map(crate::domain::time::rfc3339_utc);
        entries.push(BackupEntry { kode, nama, encoding, dibuat, consent });
    }
    entries.sort_by(|a, b| a.kode.cmp(&b.kode));
    Ok(Backup { format: FORMAT.into(), exported_at: chrono::Utc::now().to_rfc3339(), entries })
}

#[derive(Debug, Default)]
pub struct ImportReport {
    pub imported: usize,
    pub unknown_kode: Vec<String>,
    /// (kode, reason): encodings of another model or broken values; those employees must register again.
    pub refused: Vec<(String, String)>,
}

/// Restores encodings by `kode`, refusing encodings of another model id (checked with `model_id`).
pub async fn import(state: &crate::state::AppState, backup: &Backup) -> anyhow::Result<ImportReport> {
    if backup.format != FORMAT {
        anyhow::bail!("not an encodings backup (format {:?}, expected {FORMAT:?})", backup.format);
    }
    let by_kode: HashMap<String, i32> =
        Employee::find().all(&state.db).await?.into_iter().map(|e| (e.kode, e.id)).collect();
    let mut report = ImportReport::default();
    for entry in &backup.entries {
        let Some(&id) = by_kode.get(&entry.kode) else {
            report.unknown_kode.push(entry.kode.clone());
            continue;
        };
        match entry.encoding.to_embedding(state.face.model_id()) {
            Ok(emb) => {
                super::faces::store(state, id, &emb, entry.consent.clone())
                    .await
                    .map_err(|e| anyhow::anyhow!("{}: {}", entry.kode, e.message))?;
                report.imported += 1;
            }
            Err(e) => report.refused.push((format!("{} ({})", entry.kode, entry.nama), e.to_string())),
        }
    }
    Ok(report)
}
