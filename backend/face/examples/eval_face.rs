//! `cargo run --release -p face-engine --example eval_face -- [MODELS_DIR] [DATASET_DIR]`
//! Runs the same evaluation as the backend's `eval-face` and prints its JSON.

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let models = args.get(1).map(PathBuf::from).unwrap_or_else(|| root.join("../../face-models"));
    let dataset = args.get(2).map(PathBuf::from).unwrap_or_else(|| root.join("../../../shared/data/faces/dev"));
    match face_engine::eval::run_eval_face(&models, &dataset, &face_engine::MatchPolicy::KIOSK) {
        Ok(v) => println!("{v}"),
        Err(e) => {
            eprintln!("eval-face failed: {e}");
            std::process::exit(1);
        }
    }
}
