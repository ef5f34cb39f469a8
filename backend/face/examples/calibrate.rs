//! Development tool: calibrates thresholds on the shared test data.
//!
//! `cargo run --release -p face-engine --example calibrate -- dev [five|dlib68|eyesnose] [noeyes] [refine] [noflip]`
//!   verification / rank-1 / open-set sweeps (accept threshold x margin), stability across halves,
//!   a two-fold check of the verification threshold. `noflip`: the plain descriptor (no mirror average).
//! `cargo run --release -p face-engine --example calibrate -- liveness`
//!   per-image eye openness and yaw with their labels.
//!
//! Reads images from ../shared/data/faces, keeps only numbers in memory, writes nothing.

use std::path::{Path, PathBuf};

use face_engine::eval::{self, ImageResult};
use face_engine::{AlignMode, AnalyzeOptions, DecodeLimits, FaceEngine, MatchPolicy};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let models =
        std::env::var_os("FACE_MODELS_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("../../face-models"));
    let data = root.join("../../../shared/data/faces");
    let engine = FaceEngine::load(&models).unwrap_or_else(|e| panic!("{e}"));
    match args.get(1).map(String::as_str) {
        Some("liveness") => liveness(&engine, &data.join("liveness")),
        _ => {
            let align = match args.get(2).map(String::as_str) {
                Some("five") => AlignMode::Five,
                Some("eyesnose") => AlignMode::Dlib68EyesNose,
                _ => AlignMode::Dlib68,
            };
            let has = |f: &str| args.iter().any(|a| a == f);
            let opts = AnalyzeOptions {
                align,
                eyes: !has("noeyes"),
                refine_mesh: has("refine"),
                flip_average: !has("noflip"),
                ..AnalyzeOptions::default()
            };
            dev(&engine, &data.join("dev"), opts);
        }
    }
}

fn liveness(engine: &FaceEngine, dir: &Path) {
    for csv in ["liveness.csv", "liveness_wink.csv"] {
        let Ok(rows) = eval::read_csv(&dir.join(csv)) else { continue };
        println!("# {csv}: path eyes yaw_label | faces EAR_right EAR_left EAR_mean yaw pitch roll");
        for r in rows {
            let bytes = std::fs::read(dir.join(&r["path"])).unwrap();
            let a = engine
                .analyze_bytes(
                    &bytes,
                    &DecodeLimits::default(),
                    &AnalyzeOptions { embedding: false, ..Default::default() },
                )
                .unwrap();
            match a.face {
                Some(f) => {
                    let e = f.eyes.unwrap();
                    println!(
                        "{:60} {:6} {:8} | {} {:.3} {:.3} {:.3} {:+.3} {:+.1} {:+.1}",
                        r["path"],
                        r.get("eyes").map(String::as_str).unwrap_or("-"),
                        r.get("yaw").map(String::as_str).unwrap_or("-"),
                        a.faces_found,
                        e.right,
                        e.left,
                        e.mean,
                        f.yaw,
                        f.pitch,
                        f.roll
                    );
                }
                None => println!("{:60} no face", r["path"]),
            }
        }
    }
}

fn sweep(images: &[ImageResult], label: &str) -> Vec<(f32, f32, f64, f64)> {
    let (gallery, known, mut unknown) = eval::open_set_split(images, 3);
    // EXCLUDE_UNKNOWN=identity drops that identity's unknown probes (a person enrolled under another
    // name in the dataset is not an impostor).
    if let Ok(ex) = std::env::var("EXCLUDE_UNKNOWN") {
        let order = {
            let mut v: Vec<&str> = Vec::new();
            for r in images {
                if !v.contains(&r.identity.as_str()) {
                    v.push(&r.identity);
                }
            }
            v
        };
        let held: Vec<&ImageResult> =
            images.iter().filter(|r| eval::is_held_out(order.iter().position(|x| *x == r.identity).unwrap())).collect();
        unknown = held.iter().filter(|r| r.identity != ex).map(|r| r.embedding.clone()).collect();
    }
    let mut rows = Vec::new();
    for margin in [0.0f32, 0.005, 0.01, 0.015, 0.02, 0.03] {
        // The accept threshold with the highest rank1_accepted while FAR <= 2%.
        let mut best: Option<(f32, f64, f64)> = None;
        let mut t = 0.85f32;
        while t < 0.99 {
            let os = eval::open_set(&gallery, &known, &unknown, &MatchPolicy { accept: t, margin, grey: t });
            let far = os.false_accepts as f64 / os.unknown_probes.max(1) as f64;
            let acc = os.accepted_correct as f64 / os.known_probes.max(1) as f64;
            rows.push((t, margin, far, acc));
            if far <= 0.02 && best.is_none_or(|b| acc > b.2) {
                best = Some((t, far, acc));
            }
            t += 0.0025;
        }
        if let Some((t, far, acc)) = best {
            println!("{label}: margin {margin:.3}: best accept with FAR<=2%: {t:.4} -> FAR {far:.4}, rank1_accepted {acc:.4} ({} unknown probes)", unknown.len());
        }
    }
    // Fixed candidate operating points.
    for (t, margin) in [(0.94f32, 0.0f32), (0.945, 0.0), (0.945, 0.005), (0.95, 0.0), (0.95, 0.005)] {
        let os = eval::open_set(&gallery, &known, &unknown, &MatchPolicy { accept: t, margin, grey: t });
        println!(
            "{label}: fixed accept {t:.3} margin {margin:.3}: false accepts {}/{} rank1_accepted {:.4} wrong {}",
            os.false_accepts,
            os.unknown_probes,
            os.accepted_correct as f64 / os.known_probes.max(1) as f64,
            os.accepted_wrong
        );
    }
    rows
}

fn dev(engine: &FaceEngine, dir: &Path, opts: AnalyzeOptions) {
    let t0 = std::time::Instant::now();
    let images = eval::embed_dataset(engine, dir, &opts).unwrap();
    eprintln!("embedded {} images in {:.1}s ({opts:?})", images.len(), t0.elapsed().as_secs_f64());
    let scores = eval::pair_scores(&images, dir).unwrap();
    let (bt, ba) = eval::best_threshold(&scores);
    // Errors at the best threshold, by source prefix of identity.
    let rows = eval::read_csv(&dir.join("pairs.csv")).unwrap();
    for (r, (s, same)) in rows.iter().zip(&scores) {
        let wrong = match s {
            Some(s) => (*s >= bt) != *same,
            None => true,
        };
        if wrong {
            println!("error pair same={same} sim={s:?}: {} {}", r["path_a"], r["path_b"]);
        }
    }
    println!("faces: {}/{}", images.iter().filter(|r| r.embedding.is_some()).count(), images.len());
    for t in [0.78f32, 0.80, 0.82, 0.84, 0.86, 0.88, 0.90] {
        println!("verification accuracy at {t:.2}: {:.4}", eval::accuracy_at(&scores, t));
    }
    println!("best threshold {bt:.4} -> {ba:.4}");
    let errors =
        |s: &[(Option<f32>, bool)], t: f32| s.iter().filter(|(v, same)| v.is_none_or(|v| (v >= t) != *same)).count();
    let fine: Vec<String> =
        (0..=30).map(|i| 0.900 + 0.0005 * i as f32).map(|t| format!("{t:.4}:{}", errors(&scores, t))).collect();
    println!("errors by threshold: {}", fine.join(" "));
    // Two-fold check of the threshold choice: pick it on the even pairs, score it on the odd ones and back.
    let half = |parity: usize| -> Vec<(Option<f32>, bool)> {
        scores.iter().enumerate().filter(|(i, _)| i % 2 == parity).map(|(_, s)| *s).collect()
    };
    let (even, odd) = (half(0), half(1));
    let (te, _) = eval::best_threshold(&even);
    let (to, _) = eval::best_threshold(&odd);
    let cv_errors = errors(&odd, te) + errors(&even, to);
    println!(
        "two-fold: threshold {te:.4} (even pairs) -> {} errors on odd; {to:.4} (odd) -> {} on even; accuracy {:.4}",
        errors(&odd, te),
        errors(&even, to),
        1.0 - cv_errors as f64 / scores.len() as f64
    );
    let (tar, thr) = eval::tar_at_far(&images, 1e-3);
    println!("TAR@FAR1e-3 {tar:.4} at {thr:.4}");
    let (r1, n) = eval::rank1(&images);
    println!("rank1 {r1:.4} over {n} probes");
    let _ = sweep(&images, "all");
    // Extra: probes averaged over 2 images (non-overlapping pairs of one identity's probe images), a
    // stand-in for averaging several frames of a kiosk burst (more optimistic: two photos differ more
    // than two frames of one burst, so averaging helps more).
    {
        let (gallery, known, unknown) = eval::open_set_split(&images, 3);
        let mut known2 = Vec::new();
        let mut i = 0;
        while i + 1 < known.len() {
            if known[i].0 == known[i + 1].0 {
                let e = match (&known[i].1, &known[i + 1].1) {
                    (Some(a), Some(b)) => face_engine::centroid([a, b]),
                    (Some(a), None) | (None, Some(a)) => Some(a.clone()),
                    _ => None,
                };
                known2.push((known[i].0, e));
                i += 2;
            } else {
                i += 1;
            }
        }
        let _ = unknown;
        let order = {
            let mut v: Vec<&str> = Vec::new();
            for r in &images {
                if !v.contains(&r.identity.as_str()) {
                    v.push(&r.identity);
                }
            }
            v
        };
        let mut unknown2: Vec<Option<face_engine::Embedding>> = Vec::new();
        for (k, name) in order.iter().enumerate().filter(|(k, _)| eval::is_held_out(*k)) {
            let _ = k;
            let imgs: Vec<&ImageResult> = images.iter().filter(|r| r.identity == *name).collect();
            for c in imgs.chunks(2).filter(|c| c.len() == 2) {
                unknown2.push(match (&c[0].embedding, &c[1].embedding) {
                    (Some(a), Some(b)) => face_engine::centroid([a, b]),
                    _ => None,
                });
            }
        }
        for (t, m) in [(0.94f32, 0.005f32), (0.95, 0.005)] {
            let os = eval::open_set(&gallery, &known2, &unknown2, &MatchPolicy { accept: t, margin: m, grey: t });
            println!(
                "2-image probes: accept {t} margin {m}: rank1_accepted {:.4} ({} probes), false accepts {}/{}",
                os.accepted_correct as f64 / os.known_probes.max(1) as f64,
                os.known_probes,
                os.false_accepts,
                os.unknown_probes
            );
        }
    }
    // Unknown probes that come close to someone enrolled (names, for a look at label issues).
    {
        let (gallery, _, _) = eval::open_set_split(&images, 3);
        let names: Vec<String> = {
            let mut v: Vec<String> = Vec::new();
            for r in &images {
                if !v.contains(&r.identity) {
                    v.push(r.identity.clone());
                }
            }
            v
        };
        let g = face_engine::Gallery::from_entries(gallery.iter().cloned());
        for r in &images {
            let k = names.iter().position(|n| n == &r.identity).unwrap();
            if !eval::is_held_out(k) {
                continue;
            }
            if let Some(s) = r.embedding.as_ref().and_then(|e| g.search(e)) {
                if s.best.similarity >= 0.935 {
                    let second = s.second.map(|c| c.similarity).unwrap_or(0.0);
                    println!(
                        "unknown {} -> {} sim {:.4} (second {:.4})",
                        r.path, names[s.best.id as usize], s.best.similarity, second
                    );
                }
            }
        }
    }
    // Stability: identities split by parity of their index (each half keeps its own every-5th hold-out).
    let order: Vec<String> = {
        let mut v: Vec<String> = Vec::new();
        for r in &images {
            if !v.contains(&r.identity) {
                v.push(r.identity.clone());
            }
        }
        v
    };
    for half in 0..2 {
        let sub: Vec<ImageResult> = images
            .iter()
            .filter(|r| order.iter().position(|x| x == &r.identity).unwrap() % 2 == half)
            .cloned()
            .collect();
        let _ = sweep(&sub, &format!("half {half}"));
    }
    // The missed faces.
    for r in images.iter().filter(|r| r.embedding.is_none()) {
        println!("missed: {} (faces {})", r.path, r.faces_found);
    }
    let json = eval::eval_json(&images, dir, &MatchPolicy::KIOSK).unwrap();
    println!("{json}");
}
