//! Evaluation (`eval-face`) and benchmark (`bench-face`) behind the backend's CLI. Both return one
//! JSON object with the fields of DESIGN.md §10 (plus a few documented extras).
//!
//! Images are read, analysed in memory and dropped: only embeddings and timings are kept.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{json, Value};

use crate::decode::DecodeLimits;
use crate::embedding::{centroid, Embedding};
use crate::engine::{AnalyzeOptions, FaceEngine, StageTimings};
use crate::gallery::{decide, Gallery, MatchDecision, MatchPolicy};
use crate::VERIFY_THRESHOLD;

/// Reads a small CSV with a header; handles double-quoted fields. Returns rows as column -> value.
pub fn read_csv(path: &Path) -> Result<Vec<HashMap<String, String>>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut rows = text.lines().filter(|l| !l.trim().is_empty()).map(split_csv_line);
    let header = rows.next().ok_or_else(|| format!("{} is empty", path.display()))?;
    Ok(rows.map(|r| header.iter().cloned().zip(r).collect()).collect())
}

fn split_csv_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.trim_end_matches('\r').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Nearest-rank percentile of `v` (`q` in 0..=1); 0 for an empty slice.
pub fn percentile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let rank = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len());
    s[rank - 1]
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn round4(x: f64) -> f64 {
    (x * 10000.0).round() / 10000.0
}

fn p50_p95(v: &[f64]) -> Value {
    json!({"p50": round3(percentile(v, 0.5)), "p95": round3(percentile(v, 0.95))})
}

/// `latency_ms` object from per-image timings.
pub fn latency_json(t: &[StageTimings]) -> Value {
    let col = |f: fn(&StageTimings) -> f64| t.iter().map(f).collect::<Vec<f64>>();
    json!({
        "decode": p50_p95(&col(|t| t.decode_ms)),
        "detect": p50_p95(&col(|t| t.detect_ms)),
        "landmarks": p50_p95(&col(|t| t.landmarks_ms)),
        "embed": p50_p95(&col(|t| t.embed_ms)),
        "total": p50_p95(&col(|t| t.total_ms)),
    })
}

/// One analysed dataset image.
#[derive(Debug, Clone)]
pub struct ImageResult {
    pub path: String,
    pub identity: String,
    /// `None` when no face was found (or the image could not be read).
    pub embedding: Option<Embedding>,
    pub faces_found: usize,
    pub timings: StageTimings,
}

/// Analyses every image of `identities.csv` (in file order) with `opts`.
pub fn embed_dataset(engine: &FaceEngine, dataset: &Path, opts: &AnalyzeOptions) -> Result<Vec<ImageResult>, String> {
    let rows = read_csv(&dataset.join("identities.csv"))?;
    let limits = DecodeLimits::default();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let (Some(path), Some(identity)) = (r.get("path"), r.get("identity")) else {
            return Err("identities.csv needs the columns path,identity".into());
        };
        let bytes = std::fs::read(dataset.join(path)).map_err(|e| format!("cannot read {path}: {e}"))?;
        let (embedding, faces_found, timings) = match engine.analyze_bytes(&bytes, &limits, opts) {
            Ok(a) => (a.face.and_then(|f| f.embedding), a.faces_found, a.timings),
            Err(e) => {
                tracing::warn!(path = %path, error = %e, "image not analysed");
                (None, 0, StageTimings::default())
            }
        };
        out.push(ImageResult { path: path.clone(), identity: identity.clone(), embedding, faces_found, timings });
    }
    Ok(out)
}

/// Pair verification: `(similarity or None when a face is missing, same)` per pair of `pairs.csv`.
pub fn pair_scores(images: &[ImageResult], dataset: &Path) -> Result<Vec<(Option<f32>, bool)>, String> {
    let by_path: HashMap<&str, &ImageResult> = images.iter().map(|r| (r.path.as_str(), r)).collect();
    let rows = read_csv(&dataset.join("pairs.csv"))?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let (Some(a), Some(b), Some(same)) = (r.get("path_a"), r.get("path_b"), r.get("same")) else {
            return Err("pairs.csv needs the columns path_a,path_b,same".into());
        };
        let emb = |p: &str| by_path.get(p).and_then(|r| r.embedding.as_ref());
        let sim = match (emb(a), emb(b)) {
            (Some(x), Some(y)) => Some(x.similarity(y)),
            _ => None,
        };
        out.push((sim, same.trim() == "1"));
    }
    Ok(out)
}

/// Accuracy at `threshold`; a pair with a missing face is an error.
pub fn accuracy_at(scores: &[(Option<f32>, bool)], threshold: f32) -> f64 {
    if scores.is_empty() {
        return 0.0;
    }
    let ok = scores.iter().filter(|(s, same)| matches!(s, Some(s) if (*s >= threshold) == *same)).count();
    ok as f64 / scores.len() as f64
}

/// Threshold with the best accuracy (midpoint between neighbouring scores) and that accuracy.
pub fn best_threshold(scores: &[(Option<f32>, bool)]) -> (f32, f64) {
    let mut cands: Vec<f32> = scores.iter().filter_map(|(s, _)| *s).collect();
    cands.sort_by(|a, b| a.total_cmp(b));
    let mut best = (VERIFY_THRESHOLD, accuracy_at(scores, VERIFY_THRESHOLD));
    for w in cands.windows(2) {
        let t = (w[0] + w[1]) / 2.0;
        let acc = accuracy_at(scores, t);
        if acc > best.1 {
            best = (t, acc);
        }
    }
    best
}

/// TAR at FAR <= `far` over all image pairs: the lowest threshold keeping the impostor accept rate at
/// or below `far`, and the fraction of genuine pairs accepted there (a missed face is a reject).
/// Returns (tar, threshold).
pub fn tar_at_far(images: &[ImageResult], far: f64) -> (f64, f32) {
    let mut impostor = Vec::new();
    let mut genuine = Vec::new();
    let mut genuine_total = 0usize;
    for i in 0..images.len() {
        for j in i + 1..images.len() {
            let same = images[i].identity == images[j].identity;
            if same {
                genuine_total += 1;
            }
            if let (Some(a), Some(b)) = (&images[i].embedding, &images[j].embedding) {
                let s = a.similarity(b);
                if same {
                    genuine.push(s);
                } else {
                    impostor.push(s);
                }
            }
        }
    }
    if impostor.is_empty() || genuine_total == 0 {
        return (0.0, 1.0);
    }
    impostor.sort_by(|a, b| b.total_cmp(a));
    let allowed = (far * impostor.len() as f64).floor() as usize;
    // Accept s > threshold where threshold = the (allowed+1)-th highest impostor score.
    let thr = impostor[allowed.min(impostor.len() - 1)];
    let tar = genuine.iter().filter(|&&s| s > thr).count() as f64 / genuine_total as f64;
    (tar, thr)
}

/// Identities in order of first appearance.
fn identity_order(images: &[ImageResult]) -> Vec<String> {
    let mut seen = Vec::<String>::new();
    for r in images {
        if !seen.contains(&r.identity) {
            seen.push(r.identity.clone());
        }
    }
    seen
}

/// Rank-1 identification: gallery = the first image (with a face) of each identity, probes = the
/// rest; nearest neighbour, no threshold; a probe without a face is a miss.
pub fn rank1(images: &[ImageResult]) -> (f64, usize) {
    let mut gallery = Gallery::new();
    let ids = identity_order(images);
    let id_of: HashMap<&str, i64> = ids.iter().enumerate().map(|(i, s)| (s.as_str(), i as i64)).collect();
    let mut gallery_path: HashMap<i64, &str> = HashMap::new();
    for r in images {
        let id = id_of[r.identity.as_str()];
        if let (false, Some(e)) = (gallery.contains(id), &r.embedding) {
            gallery.upsert(id, e);
            gallery_path.insert(id, &r.path);
        }
    }
    let mut probes = 0usize;
    let mut hits = 0usize;
    for r in images {
        let id = id_of[r.identity.as_str()];
        if gallery_path.get(&id) == Some(&r.path.as_str()) {
            continue;
        }
        probes += 1;
        if let Some(e) = &r.embedding {
            if gallery.search(e).is_some_and(|s| s.best.id == id) {
                hits += 1;
            }
        }
    }
    (if probes == 0 { 0.0 } else { hits as f64 / probes as f64 }, probes)
}

/// Result of the open-set (kiosk) evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenSet {
    pub known_probes: usize,
    /// Known probes matched to the right person and accepted.
    pub accepted_correct: usize,
    /// Known probes accepted as somebody else.
    pub accepted_wrong: usize,
    /// Known probes sent to the grey zone.
    pub grey: usize,
    pub unknown_probes: usize,
    /// Unknown probes accepted as someone.
    pub false_accepts: usize,
    pub gallery_size: usize,
}

/// Which identities are held out as unknown: every 5th in file order (the 5th, 10th, ...).
pub fn is_held_out(identity_index: usize) -> bool {
    identity_index % 5 == 4
}

/// Splits images into (gallery entries, known probes, unknown probes) per DESIGN.md §10: the gallery
/// is the re-normalised centroid of each known identity's first `enrol` images that have a face;
/// known probes are that identity's other images; unknown probes all images of held-out identities.
pub fn open_set_split(
    images: &[ImageResult],
    enrol: usize,
) -> (Vec<(i64, Embedding)>, Vec<(i64, Option<Embedding>)>, Vec<Option<Embedding>>) {
    let ids = identity_order(images);
    let mut gallery = Vec::new();
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for (k, name) in ids.iter().enumerate() {
        let imgs: Vec<&ImageResult> = images.iter().filter(|r| &r.identity == name).collect();
        if is_held_out(k) {
            unknown.extend(imgs.iter().map(|r| r.embedding.clone()));
            continue;
        }
        let mut enrolled = Vec::new();
        let mut enrolled_paths = Vec::new();
        for r in &imgs {
            if enrolled.len() < enrol {
                if let Some(e) = &r.embedding {
                    enrolled.push(e.clone());
                    enrolled_paths.push(r.path.as_str());
                }
            }
        }
        if let Some(c) = centroid(enrolled.iter()) {
            gallery.push((k as i64, c));
        }
        for r in &imgs {
            if !enrolled_paths.contains(&r.path.as_str()) {
                known.push((k as i64, r.embedding.clone()));
            }
        }
    }
    (gallery, known, unknown)
}

/// Runs the kiosk decision over the split (a probe without a face is never accepted).
pub fn open_set(
    gallery: &[(i64, Embedding)],
    known: &[(i64, Option<Embedding>)],
    unknown: &[Option<Embedding>],
    policy: &MatchPolicy,
) -> OpenSet {
    let g = Gallery::from_entries(gallery.iter().cloned());
    let mut r = OpenSet {
        known_probes: known.len(),
        accepted_correct: 0,
        accepted_wrong: 0,
        grey: 0,
        unknown_probes: unknown.len(),
        false_accepts: 0,
        gallery_size: g.len(),
    };
    for (id, e) in known {
        let Some(e) = e else { continue };
        match g.search(e).map(|s| decide(&s, policy)) {
            Some(MatchDecision::Accept { id: got, .. }) if got == *id => r.accepted_correct += 1,
            Some(MatchDecision::Accept { .. }) => r.accepted_wrong += 1,
            Some(MatchDecision::Grey { .. }) => r.grey += 1,
            _ => {}
        }
    }
    for e in unknown.iter().flatten() {
        if let Some(MatchDecision::Accept { .. }) = g.search(e).map(|s| decide(&s, policy)) {
            r.false_accepts += 1;
        }
    }
    r
}

fn frac(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

/// Computes every metric of the `eval-face` JSON from analysed images.
pub fn eval_json(images: &[ImageResult], dataset: &Path, policy: &MatchPolicy) -> Result<Value, String> {
    let scores = pair_scores(images, dataset)?;
    let (best_t, best_acc) = best_threshold(&scores);
    let (tar, tar_thr) = tar_at_far(images, 1e-3);
    let (r1, r1_probes) = rank1(images);
    let (gallery, known, unknown) = open_set_split(images, 3);
    let os = open_set(&gallery, &known, &unknown, policy);
    let timings: Vec<StageTimings> = images.iter().map(|r| r.timings).collect();
    let detected = images.iter().filter(|r| r.embedding.is_some()).count();
    let missed: Vec<&str> = images.iter().filter(|r| r.embedding.is_none()).map(|r| r.path.as_str()).collect();
    Ok(json!({
        "images": images.len(),
        "faces_detected": detected,
        "pairs": scores.len(),
        "threshold": VERIFY_THRESHOLD,
        "verification_accuracy": round4(accuracy_at(&scores, VERIFY_THRESHOLD)),
        "best_threshold": round3(best_t as f64),
        "best_accuracy": round4(best_acc),
        "tar_at_far_1e-3": round4(tar),
        "rank1": round4(r1),
        "rank1_accepted": round4(frac(os.accepted_correct, os.known_probes)),
        "open_set_false_accepts": os.false_accepts,
        "open_set_probes": os.unknown_probes,
        "gallery": "centroid of first 3 images with a face per identity; every 5th identity (5th, 10th, ...) in file order held out as unknown",
        "latency_ms": latency_json(&timings),
        // Extras (documented in backend/face/README.md).
        "similarity": "cosine similarity of L2-normalised 128-D embeddings (higher = more alike)",
        "model": "dlib ResNet v1 (see model_id)",
        "policy": {"accept": policy.accept, "margin": policy.margin, "grey": policy.grey},
        "tar_at_far_1e-3_threshold": round3(tar_thr as f64),
        "rank1_probes": r1_probes,
        "known_probes": os.known_probes,
        "known_accepted_wrong": os.accepted_wrong,
        "known_grey": os.grey,
        "gallery_size": os.gallery_size,
        "missed_faces": missed,
    }))
}

/// `eval-face --dataset DIR`: analyses `DIR/identities.csv`, scores `DIR/pairs.csv` and the kiosk's
/// open-set operating point `policy`. Returns the JSON object printed as the command's last line.
pub fn run_eval_face(models_dir: &Path, dataset: &Path, policy: &MatchPolicy) -> Result<Value, String> {
    let engine = FaceEngine::load(models_dir).map_err(|e| e.to_string())?;
    let images = embed_dataset(&engine, dataset, &AnalyzeOptions::default())?;
    let mut v = eval_json(&images, dataset, policy)?;
    v["model_id"] = json!(engine.model_id());
    Ok(v)
}

/// Peak (`VmHWM`) or current (`VmRSS`) resident set size in MiB from /proc/self/status.
pub fn rss_mib(field: &str) -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn list_images(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_dir() {
            list_images(&p, out)?;
        } else if let Some(ext) = p.extension().and_then(|e| e.to_str()) {
            if matches!(ext.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png") {
                out.push(p);
            }
        }
    }
    Ok(())
}

/// Synthetic galleries for the search benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntheticKind {
    /// Uniformly random unit vectors (unrelated people score ~0 ± 0.09).
    Uniform,
    /// Unit vectors around one common direction, so that unrelated people score 0.80 ± 0.02 like
    /// real face embeddings (dev set: 0.75-0.90); half the probes are an enrolled vector plus noise
    /// (similarity ~0.95), half are new people. The hard case for the int8 pre-selection: many rows
    /// score close to the second best.
    FaceLike,
}

/// `n` synthetic encodings and `queries` probes.
pub fn synthetic_gallery(n: usize, queries: usize, kind: SyntheticKind) -> (Gallery, Vec<Embedding>) {
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5) as f32
    };
    let mut v = [0f32; 128];
    let base: Vec<f32> = {
        v.iter_mut().for_each(|x| *x = next());
        Embedding::from_raw(&v).expect("random vector").as_slice().to_vec()
    };
    // Noise of norm ~0.5 around the unit base: similarity ~1/(1+0.25) = 0.8 between two people.
    let noise_scale = 0.5 / (128f32 / 12.0).sqrt();
    let mut person = |next: &mut dyn FnMut() -> f32| -> Embedding {
        match kind {
            SyntheticKind::Uniform => {
                v.iter_mut().for_each(|x| *x = next());
            }
            SyntheticKind::FaceLike => {
                v.iter_mut().zip(&base).for_each(|(x, b)| *x = b + noise_scale * next());
            }
        }
        Embedding::from_raw(&v).expect("random vector")
    };
    let mut g = Gallery::new();
    let mut enrolled = Vec::new();
    for i in 0..n {
        let e = person(&mut next);
        if i < queries {
            enrolled.push(e.clone());
        }
        g.upsert(i as i64, &e);
    }
    let probes = (0..queries)
        .map(|k| {
            let fresh = person(&mut next);
            if kind == SyntheticKind::FaceLike && k % 2 == 0 && k / 2 < enrolled.len() {
                // The same person again: enrolled vector + a quarter of a person's noise.
                let w: Vec<f32> =
                    enrolled[k / 2].as_slice().iter().zip(fresh.as_slice()).map(|(a, b)| a + 0.25 * (b - a)).collect();
                Embedding::from_raw(&w).expect("random vector")
            } else {
                fresh
            }
        })
        .collect();
    (g, probes)
}

/// Median and p95 time of `search` over the probes (after one warm-up call). With `evict`, 64 MiB are
/// written before each search so that the gallery is not in the CPU caches (as on a server where the
/// face models ran in between).
fn time_search(probes: &[Embedding], evict: bool, search: impl Fn(&Embedding) -> Option<f32>) -> Value {
    let mut sink = search(&probes[0]).unwrap_or(0.0);
    let mut t = Vec::with_capacity(probes.len());
    let mut junk = if evict { vec![0u8; 64 << 20] } else { Vec::new() };
    for (k, p) in probes.iter().enumerate() {
        if evict {
            junk.iter_mut().step_by(64).for_each(|b| *b = b.wrapping_add(k as u8));
            std::hint::black_box(&junk);
        }
        let t0 = Instant::now();
        let r = search(p);
        t.push(t0.elapsed().as_secs_f64() * 1000.0);
        sink += r.unwrap_or(0.0);
    }
    std::hint::black_box(sink);
    p50_p95(&t)
}

/// Median and p95 time of one 1:N search ([`Gallery::search`]) over `n` uniformly random unit encodings.
pub fn bench_search(n: usize, queries: usize) -> Value {
    let (g, probes) = synthetic_gallery(n, queries, SyntheticKind::Uniform);
    time_search(&probes, false, |p| g.search(p).map(|r| r.best.similarity))
}

/// The 100k search in detail: the int8-preselected search and the exact f32 brute force it replaces,
/// on uniform and face-like galleries, with warm and cold CPU caches, and the number of rows
/// re-scored exactly.
pub fn bench_search_detail(n: usize, queries: usize) -> Value {
    let mut out = serde_json::Map::new();
    for (name, kind) in [("uniform", SyntheticKind::Uniform), ("face_like", SyntheticKind::FaceLike)] {
        let (g, probes) = synthetic_gallery(n, queries, kind);
        let rescored: Vec<f64> = probes.iter().map(|p| g.rescored_rows(p) as f64).collect();
        out.insert(
            name.to_string(),
            json!({
                "search": time_search(&probes, false, |p| g.search(p).map(|r| r.best.similarity)),
                "search_cold_cache": time_search(&probes, true, |p| g.search(p).map(|r| r.best.similarity)),
                "f32_brute_force": time_search(&probes, false, |p| g.search_brute_force(p, |_| true).map(|r| r.best.similarity)),
                "f32_brute_force_cold_cache": time_search(&probes, true, |p| g.search_brute_force(p, |_| true).map(|r| r.best.similarity)),
                "rows_rescored": p50_p95(&rescored),
            }),
        );
    }
    Value::Object(out)
}

/// `bench-face --images DIR`: latency per stage over every JPEG/PNG under `DIR` (after one warm-up
/// image), peak RSS, and 1:N search time over 1k/10k/100k synthetic encodings.
pub fn run_bench_face(models_dir: &Path, images: &Path) -> Result<Value, String> {
    let engine = FaceEngine::load(models_dir).map_err(|e| e.to_string())?;
    let mut files = Vec::new();
    list_images(images, &mut files).map_err(|e| format!("cannot list {}: {e}", images.display()))?;
    files.sort();
    if files.is_empty() {
        return Err(format!("no JPEG/PNG images under {}", images.display()));
    }
    let limits = DecodeLimits::default();
    let opts = AnalyzeOptions::default();
    // Warm-up (first-run allocations), not measured.
    if let Ok(bytes) = std::fs::read(&files[0]) {
        let _ = engine.analyze_bytes(&bytes, &limits, &opts);
    }
    let mut timings = Vec::new();
    let mut with_face = 0usize;
    let mut errors = 0usize;
    for f in &files {
        let bytes = std::fs::read(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
        match engine.analyze_bytes(&bytes, &limits, &opts) {
            Ok(a) => {
                if a.face.as_ref().is_some_and(|f| f.embedding.is_some()) {
                    with_face += 1;
                }
                timings.push(a.timings);
            }
            Err(_) => errors += 1,
        }
    }
    // The recognition path alone (decode -> detect -> FaceMesh -> align -> embedding), without the
    // iris model: what registration and matching need on a frame that is not used for liveness.
    let recognition = AnalyzeOptions { eyes: false, ..AnalyzeOptions::default() };
    let mut rec_timings = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
        if let Ok(a) = engine.analyze_bytes(&bytes, &limits, &recognition) {
            rec_timings.push(a.timings);
        }
    }
    let peak = rss_mib("VmHWM:");
    let current = rss_mib("VmRSS:");
    let search = json!({
        "1k": bench_search(1_000, 200),
        "10k": bench_search(10_000, 100),
        "100k": bench_search(100_000, 50),
    });
    let search_detail = bench_search_detail(100_000, 50);
    Ok(json!({
        "images": files.len(),
        "faces_with_embedding": with_face,
        "errors": errors,
        "latency_ms": latency_json(&timings),
        "latency_note": "latency_ms: default analysis (detection, FaceMesh, iris eye refinement, embedding); latency_ms_recognition: the same without the iris model",
        "latency_ms_recognition": latency_json(&rec_timings),
        "rss_mib": peak.map(round3),
        "rss_source": "VmHWM (peak resident set of the process after loading the models and analysing every image, before the search benchmark)",
        "rss_current_mib": current.map(round3),
        "search_ms": search,
        "search_100k_detail": search_detail,
        "search_note": "one thread: int8 scan with error bounds, candidates re-scored exactly in f32 (results equal the f32 brute force); search_100k_detail compares it with that brute force on uniform and face-like synthetic galleries",
        "model_id": engine.model_id(),
        "threads": 1,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedding::tests::pseudo_random;

    #[test]
    fn csv_lines_with_quotes() {
        assert_eq!(split_csv_line("a,\"b, c\",\"d \"\"e\"\"\""), vec!["a", "b, c", "d \"e\""]);
        assert_eq!(split_csv_line("x,,y\r"), vec!["x", "", "y"]);
    }

    #[test]
    fn percentiles() {
        let v = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(percentile(&v, 0.5), 3.0);
        assert_eq!(percentile(&v, 0.95), 5.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    #[test]
    fn verification_metrics_count_missing_faces_as_errors() {
        let scores = vec![(Some(0.9), true), (Some(0.5), false), (None, true), (Some(0.7), false)];
        assert_eq!(accuracy_at(&scores, 0.8), 0.75);
        assert_eq!(accuracy_at(&scores, 0.6), 0.5);
        let (t, acc) = best_threshold(&scores);
        assert_eq!(acc, 0.75);
        assert!(t > 0.7 && t < 0.9);
    }

    fn img(identity: &str, n: usize, seed: u64) -> ImageResult {
        ImageResult {
            path: format!("{identity}/{n}.jpg"),
            identity: identity.into(),
            embedding: Some(pseudo_random(seed)),
            faces_found: 1,
            timings: StageTimings::default(),
        }
    }

    #[test]
    fn open_set_split_follows_the_protocol() {
        // 6 identities x 4 images; identity 4 (the 5th) is held out.
        let mut images = Vec::new();
        for k in 0..6u64 {
            for n in 0..4 {
                images.push(img(&format!("id{k}"), n, k * 100 + n as u64));
            }
        }
        images[1].embedding = None; // id0's second image has no face: enrol from 0, 2, 3
        let (gallery, known, unknown) = open_set_split(&images, 3);
        assert_eq!(gallery.len(), 5);
        assert_eq!(unknown.len(), 4);
        // id0: all 4 images used (1 missing face is not enrolled but still a probe) -> 1 probe;
        // the others: 1 probe each.
        assert_eq!(known.len(), 1 + 4);
        assert!(known.iter().any(|(id, e)| *id == 0 && e.is_none()));
        // A probe identical to an enrolled image is accepted at a low threshold; unknown random ones not at 0.99.
        let policy = MatchPolicy { accept: 0.99, margin: 0.0, grey: 0.9 };
        let r = open_set(&gallery, &known, &unknown, &policy);
        assert_eq!(r.false_accepts, 0);
        assert_eq!(r.unknown_probes, 4);
        let policy = MatchPolicy { accept: -1.0, margin: 0.0, grey: -1.0 };
        let r = open_set(&gallery, &known, &unknown, &policy);
        assert_eq!(r.false_accepts, 4);
    }

    #[test]
    fn rank1_and_tar_on_separable_data() {
        // Two images per identity, identical embeddings within an identity: perfect scores.
        let mut images = Vec::new();
        for k in 0..5u64 {
            images.push(img(&format!("p{k}"), 0, k));
            images.push(img(&format!("p{k}"), 1, k));
        }
        let (r1, probes) = rank1(&images);
        assert_eq!((r1, probes), (1.0, 5));
        let (tar, _) = tar_at_far(&images, 1e-3);
        assert_eq!(tar, 1.0);
    }

    #[test]
    fn search_benchmark_reports_percentiles() {
        let v = bench_search(1000, 10);
        assert!(v["p50"].as_f64().unwrap() >= 0.0);
        assert!(v["p95"].as_f64().unwrap() >= v["p50"].as_f64().unwrap());
    }
}
