//! 128-D face embeddings, their similarity, centroids and the stored encoding JSON.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Dimension of the embedding.
pub const EMBEDDING_DIM: usize = 128;

/// An L2-normalised 128-D face embedding.
///
/// **Similarity** ([`similarity`]) is the cosine similarity, i.e. the dot product of the two unit
/// vectors: 1.0 for identical faces, higher = more alike, about 0 for unrelated vectors.
/// For unit vectors it is tied to the Euclidean distance by `d² = 2 - 2·sim`, so `sim = 1 - d²/2`.
/// dlib's own operating point (distance 0.6 between its *unnormalised* descriptors) has no exact
/// equivalent because dlib's vectors are not unit length; this crate's calibrated thresholds
/// ([`crate::VERIFY_THRESHOLD`], [`crate::MatchPolicy::KIOSK`]) are measured on normalised vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding(Box<[f32; EMBEDDING_DIM]>);

impl Embedding {
    /// Normalises `v` to unit length. `None` when it has the wrong length, a non-finite value or a zero norm.
    pub fn from_raw(v: &[f32]) -> Option<Embedding> {
        if v.len() != EMBEDDING_DIM || v.iter().any(|x| !x.is_finite()) {
            return None;
        }
        let norm = v.iter().map(|x| (*x as f64) * (*x as f64)).sum::<f64>().sqrt();
        if !(norm > 1e-12) {
            return None;
        }
        let mut a = Box::new([0f32; EMBEDDING_DIM]);
        for (o, x) in a.iter_mut().zip(v) {
            *o = (*x as f64 / norm) as f32;
        }
        Some(Embedding(a))
    }

    pub fn as_slice(&self) -> &[f32] {
        &self.0[..]
    }

    /// Cosine similarity with `other` (see the type docs).
    pub fn similarity(&self, other: &Embedding) -> f32 {
        similarity(self, other)
    }

    /// Euclidean distance between the unit vectors, `sqrt(2 - 2·sim)`.
    pub fn distance(&self, other: &Embedding) -> f32 {
        (2.0 - 2.0 * self.similarity(other)).max(0.0).sqrt()
    }

    /// The encoding stored in the database for this embedding.
    pub fn to_encoding(&self, model: &str) -> Encoding {
        Encoding { model: model.to_string(), vector: self.0.to_vec() }
    }
}

/// Cosine similarity of two embeddings: higher = more alike, 1.0 = identical.
pub fn similarity(a: &Embedding, b: &Embedding) -> f32 {
    dot(a.as_slice(), b.as_slice())
}

#[inline]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight independent accumulators so the compiler vectorises the loop.
    let mut acc = [0f32; 8];
    for (ca, cb) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for i in 0..8 {
            acc[i] += ca[i] * cb[i];
        }
    }
    acc.iter().sum()
}

/// Re-normalised mean of several embeddings (the enrolment template, or a probe averaged over the
/// good frames of a burst). `None` when the list is empty or the vectors cancel out.
pub fn centroid<'a>(embs: impl IntoIterator<Item = &'a Embedding>) -> Option<Embedding> {
    let mut sum = [0f64; EMBEDDING_DIM];
    let mut n = 0usize;
    for e in embs {
        for (s, x) in sum.iter_mut().zip(e.as_slice()) {
            *s += *x as f64;
        }
        n += 1;
    }
    if n == 0 {
        return None;
    }
    let v: Vec<f32> = sum.iter().map(|s| *s as f32).collect();
    Embedding::from_raw(&v)
}

/// The JSON stored per employee: `{"model": "<model id>", "vector": [128 floats]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Encoding {
    pub model: String,
    pub vector: Vec<f32>,
}

/// Why a stored encoding cannot be used.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum EncodingError {
    #[error("encoding is not valid JSON of the form {{\"model\", \"vector\"}}: {0}")]
    Json(String),
    /// Made by another embedding model: the employee must register again.
    #[error("encoding was made by model {found:?}, this server uses {expected:?}: the face must be registered again")]
    ForeignModel { found: String, expected: String },
    #[error("encoding has {0} values, expected {EMBEDDING_DIM}")]
    WrongLength(usize),
    #[error("encoding contains a non-finite value")]
    NonFinite,
    #[error("encoding is a zero vector")]
    Zero,
}

impl Encoding {
    /// Parses stored JSON and checks it belongs to `expected_model`, has 128 finite values and a
    /// non-zero norm. The returned embedding is re-normalised.
    pub fn parse(json: &str, expected_model: &str) -> Result<Embedding, EncodingError> {
        let enc: Encoding = serde_json::from_str(json).map_err(|e| EncodingError::Json(e.to_string()))?;
        enc.to_embedding(expected_model)
    }

    /// Same checks as [`Encoding::parse`] on an already deserialised value.
    pub fn to_embedding(&self, expected_model: &str) -> Result<Embedding, EncodingError> {
        if self.model != expected_model {
            return Err(EncodingError::ForeignModel {
                found: self.model.clone(),
                expected: expected_model.to_string(),
            });
        }
        if self.vector.len() != EMBEDDING_DIM {
            return Err(EncodingError::WrongLength(self.vector.len()));
        }
        if self.vector.iter().any(|x| !x.is_finite()) {
            return Err(EncodingError::NonFinite);
        }
        Embedding::from_raw(&self.vector).ok_or(EncodingError::Zero)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an encoding always serialises")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Deterministic pseudo-random unit vector (xorshift), for tests and synthetic benchmarks.
    pub fn pseudo_random(seed: u64) -> Embedding {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let v: Vec<f32> = (0..EMBEDDING_DIM)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5) as f32
            })
            .collect();
        Embedding::from_raw(&v).unwrap()
    }

    #[test]
    fn normalises_and_measures_similarity() {
        let mut v = vec![0f32; EMBEDDING_DIM];
        v[0] = 3.0;
        v[1] = 4.0;
        let e = Embedding::from_raw(&v).unwrap();
        assert!((e.as_slice()[0] - 0.6).abs() < 1e-6 && (e.as_slice()[1] - 0.8).abs() < 1e-6);
        assert!((similarity(&e, &e) - 1.0).abs() < 1e-6);
        let mut w = vec![0f32; EMBEDDING_DIM];
        w[2] = 1.0;
        let f = Embedding::from_raw(&w).unwrap();
        assert!(similarity(&e, &f).abs() < 1e-6);
        assert!((e.distance(&f) - 2f32.sqrt()).abs() < 1e-6);
        let a = pseudo_random(1);
        let b = pseudo_random(2);
        let d = a.distance(&b);
        assert!((d * d - (2.0 - 2.0 * a.similarity(&b))).abs() < 1e-5);
    }

    #[test]
    fn rejects_bad_raw_vectors() {
        assert!(Embedding::from_raw(&[1.0; 127]).is_none());
        assert!(Embedding::from_raw(&[0.0; 128]).is_none());
        let mut v = vec![1.0f32; 128];
        v[5] = f32::NAN;
        assert!(Embedding::from_raw(&v).is_none());
    }

    #[test]
    fn centroid_is_renormalised_mean() {
        let a = pseudo_random(10);
        let b = pseudo_random(11);
        let c = centroid([&a, &b]).unwrap();
        let norm: f32 = c.as_slice().iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        // The centroid of two vectors is equally similar to both.
        assert!((c.similarity(&a) - c.similarity(&b)).abs() < 1e-5);
        assert!(c.similarity(&a) > a.similarity(&b));
        assert!(centroid(std::iter::empty()).is_none());
        assert_eq!(centroid([&a]).unwrap(), a);
    }

    #[test]
    fn encoding_roundtrip_and_validation() {
        let e = pseudo_random(3);
        let json = e.to_encoding("m1").to_json();
        assert!(json.starts_with("{\"model\":\"m1\",\"vector\":["));
        let back = Encoding::parse(&json, "m1").unwrap();
        assert!((back.similarity(&e) - 1.0).abs() < 1e-6);
        assert_eq!(
            Encoding::parse(&json, "m2"),
            Err(EncodingError::ForeignModel { found: "m1".into(), expected: "m2".into() })
        );
        let short = serde_json::json!({"model": "m1", "vector": vec![0.1f32; 100]}).to_string();
        assert_eq!(Encoding::parse(&short, "m1"), Err(EncodingError::WrongLength(100)));
        let zero = serde_json::json!({"model": "m1", "vector": vec![0.0f32; 128]}).to_string();
        assert_eq!(Encoding::parse(&zero, "m1"), Err(EncodingError::Zero));
        // JSON cannot carry NaN; a non-finite value can only come from a constructed value.
        let mut bad = e.to_encoding("m1");
        bad.vector[7] = f32::INFINITY;
        assert_eq!(bad.to_embedding("m1"), Err(EncodingError::NonFinite));
        assert!(matches!(Encoding::parse("{\"model\":1}", "m1"), Err(EncodingError::Json(_))));
        assert!(matches!(Encoding::parse("[1,2,3]", "m1"), Err(EncodingError::Json(_))));
    }
}
