//! Development tool: prints what the engine sees in the given image files (numbers only).
//! `cargo run --release -p face-engine --example inspect -- IMAGE...`

use std::path::PathBuf;

use face_engine::{AnalyzeOptions, DecodeLimits, FaceEngine};

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let models =
        std::env::var_os("FACE_MODELS_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("../../face-models"));
    let engine = FaceEngine::load(&models).unwrap_or_else(|e| panic!("{e}"));
    let paths: Vec<String> = std::env::args().skip(1).collect();
    let mut embs = Vec::new();
    for p in &paths {
        let bytes = std::fs::read(p).unwrap();
        match engine.analyze_bytes(
            &bytes,
            &DecodeLimits::default(),
            &AnalyzeOptions {
                min_detection_score: 0.3,
                min_mesh_presence: std::env::var("MESH_MIN").ok().and_then(|v| v.parse().ok()).unwrap_or(0.5),
                ..Default::default()
            },
        ) {
            Err(e) => println!("{p}: error {e:?}"),
            Ok(a) => {
                println!(
                    "{p}: {}x{} faces {} padded {} {:?}",
                    a.width, a.height, a.faces_found, a.found_on_padded_retry, a.timings
                );
                for d in &a.detections {
                    println!(
                        "  det {:.3} box ({:.0},{:.0})-({:.0},{:.0}) kp0 ({:.0},{:.0}) kp1 ({:.0},{:.0})",
                        d.score,
                        d.bbox.x0,
                        d.bbox.y0,
                        d.bbox.x1,
                        d.bbox.y1,
                        d.keypoints[0].x,
                        d.keypoints[0].y,
                        d.keypoints[1].x,
                        d.keypoints[1].y
                    );
                }
                if let Some(f) = a.face {
                    let lm = &f.landmarks;
                    println!(
                        "  mesh {:.3} size {:.0} eyes {:?} yaw {:+.3} pitch {:+.1} roll {:+.1} sharp {:.1}",
                        f.mesh_score, f.face_size_px, f.eyes, f.yaw, f.pitch, f.roll, f.sharpness
                    );
                    for i in [1usize, 33, 133, 263, 362, 234, 454, 152, 10] {
                        print!(" {i}:({:.0},{:.0},{:.0})", lm[i].x, lm[i].y, lm[i].z);
                    }
                    println!();
                    embs.push((p.clone(), f.embedding));
                }
            }
        }
    }
    for i in 0..embs.len() {
        for j in i + 1..embs.len() {
            if let (Some(a), Some(b)) = (&embs[i].1, &embs[j].1) {
                println!("sim {} {} = {:.4}", embs[i].0, embs[j].0, a.similarity(b));
            }
        }
    }
}
