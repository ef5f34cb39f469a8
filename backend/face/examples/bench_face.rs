//! `cargo run --release -p face-engine --example bench_face -- [MODELS_DIR] [IMAGES_DIR]`
//! Runs the same benchmark as the backend's `bench-face` and prints its JSON.

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let models = args.get(1).map(PathBuf::from).unwrap_or_else(|| root.join("../../face-models"));
    let images = args.get(2).map(PathBuf::from).unwrap_or_else(|| root.join("../../../shared/data/faces/dev/images"));
    match face_engine::eval::run_bench_face(&models, &images) {
        Ok(v) => println!("{v}"),
        Err(e) => {
            eprintln!("bench-face failed: {e}");
            std::process::exit(1);
        }
    }
}
