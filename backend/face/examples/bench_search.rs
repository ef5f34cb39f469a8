//! `cargo run --release -p face-engine --example bench_search`
//! Only the 1:N search part of `bench-face` (no models, no images needed): search_ms for 1k/10k/100k
//! uniform encodings, then the 100k detail (int8 pre-selection vs the f32 brute force, uniform and
//! face-like galleries).

fn main() {
    let v = serde_json::json!({
        "search_ms": {
            "1k": face_engine::eval::bench_search(1_000, 200),
            "10k": face_engine::eval::bench_search(10_000, 100),
            "100k": face_engine::eval::bench_search(100_000, 50),
        },
        "search_100k_detail": face_engine::eval::bench_search_detail(100_000, 50),
    });
    println!("{v}");
}
