//! Development tool: where each model spends its time, per tract operator (numbers only).
//! `cargo run --release -p face-engine --example profile_models -- [RUNS] [model-name-part]`
//!
//! Loads each ONNX file of `face-models/` the way the engine does (batch 1, optimised plan), feeds it a
//! fixed pseudo-random input and times every node of the plan over RUNS runs (default 50). For
//! convolutions and matrix products it also prints the multiply-adds, so the achieved GFLOP/s can be
//! compared with what the CPU can do. `FACE_AMX=0` keeps every model on tract's kernels; `STOCK=1` loads
//! with tract-onnx's own translation instead of the engine's; `OP=<operator>` lists only that operator's
//! nodes, `TOP=<n>` that many (default 12).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use tract_onnx::prelude::*;
use tract_onnx::tract_core::plan::{eval, SimpleState};

fn main() -> TractResult<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::var_os("FACE_MODELS_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("../../face-models"));
    let runs: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(50);
    let only = std::env::args().nth(2);
    for (file, shape) in [
        ("blazeface_short_range.onnx", [1, 128, 128, 3]),
        ("face_landmark.onnx", [1, 192, 192, 3]),
        ("iris_landmark.onnx", [1, 64, 64, 3]),
        ("dlib_face_recognition_resnet_v1.onnx", [1, 150, 150, 3]),
    ] {
        if only.as_deref().is_some_and(|o| !file.contains(o)) {
            continue;
        }
        profile(&dir.join(file), &shape, runs)?;
    }
    Ok(())
}

fn profile(path: &std::path::Path, shape: &[usize], runs: usize) -> TractResult<()> {
    // STOCK=1: tract-onnx's own operator translations, without the engine's (face_engine::tract_ops)
    let load = |front: tract_onnx::Onnx| front.model_for_path(path)?.with_input_fact(0, f32::fact(shape).into());
    // multiply-adds counted on tract-onnx's own translation (the same convolutions either way)
    let macs = multiply_adds(&load(tract_onnx::onnx())?.into_typed()?.into_decluttered()?);
    let (optimized, planar) = if std::env::var_os("STOCK").is_some() {
        (load(tract_onnx::onnx())?.into_optimized()?, false)
    } else {
        // as the engine loads it (AMX convolutions, where the CPU has them, for the models it picks)
        let amx = path.file_name().and_then(|f| f.to_str()).is_some_and(face_engine::engine::uses_amx);
        face_engine::tract_ops::planar_input(face_engine::tract_ops::optimize(
            load(face_engine::tract_ops::onnx())?,
            amx,
        )?)?
    };
    let plan = optimized.into_runnable()?;
    let nchw = [shape[0], shape[3], shape[1], shape[2]];
    let shape = if planar { &nchw[..] } else { shape };
    let n: usize = shape.iter().product();
    let data: Vec<f32> = (0..n).map(|i| ((i * 7919) % 251) as f32 / 251.0).collect();
    let input: TValue = Tensor::from_shape(shape, &data)?.into();
    let mut per_node: BTreeMap<usize, (String, String, f64)> = BTreeMap::new();
    let mut totals = Vec::with_capacity(runs);
    for run in 0..runs + 3 {
        let mut state = SimpleState::new(&plan)?;
        let t0 = Instant::now();
        let mut timed: Vec<(usize, String, String, f64)> = Vec::new();
        state.run_plan_with_eval(tvec!(input.clone()), |ctx, op_state, node, inputs| {
            let t = Instant::now();
            let out = eval(ctx, op_state, node, inputs);
            timed.push((node.id, node.name.clone(), node.op().name().to_string(), t.elapsed().as_secs_f64()));
            out
        })?;
        let total = t0.elapsed().as_secs_f64();
        if run < 3 {
            continue; // warm-up
        }
        totals.push(total);
        for (id, name, op, dt) in timed {
            per_node.entry(id).or_insert((name, op, 0.0)).2 += dt;
        }
    }
    totals.sort_by(|a, b| a.total_cmp(b));
    let median_ms = totals[totals.len() / 2] * 1e3;
    let gmacs: f64 = macs.values().sum::<f64>() / 1e9;
    println!(
        "\n{}: median {median_ms:.2} ms per run, {:.3} G multiply-adds => {:.1} GFLOP/s",
        path.file_name().unwrap().to_string_lossy(),
        gmacs,
        2.0 * gmacs / (median_ms / 1e3)
    );
    let mut by_op: BTreeMap<String, f64> = BTreeMap::new();
    for (_, op, dt) in per_node.values() {
        *by_op.entry(op.clone()).or_default() += dt / runs as f64 * 1e3;
    }
    let mut ops: Vec<_> = by_op.into_iter().collect();
    ops.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (op, ms) in &ops {
        println!("  {op:<28} {ms:7.3} ms");
    }
    let mut nodes: Vec<_> = per_node.iter().collect();
    nodes.sort_by(|a, b| b.1 .2.total_cmp(&a.1 .2));
    // TOP=n: how many (default 12)
    let top = std::env::var("TOP").ok().and_then(|v| v.parse().ok()).unwrap_or(12);
    println!("  slowest nodes:");
    for (id, (name, op, dt)) in nodes.iter().filter(|n| std::env::var("OP").map_or(true, |o| n.1 .1 == o)).take(top) {
        let ms = dt / runs as f64 * 1e3;
        println!("    #{id:<4} {op:<22} {ms:7.3} ms  {name}");
    }
    Ok(())
}

/// Multiply-adds of each convolution / einsum node of the decluttered model, from its output shape and
/// the size of its weight input (weights = out_channels x in_channels/group x kernel).
fn multiply_adds(model: &TypedModel) -> BTreeMap<usize, f64> {
    let mut out = BTreeMap::new();
    for node in &model.nodes {
        let name = node.op().name();
        if !(name.contains("Conv") || name.contains("EinSum") || name.contains("MatMul") || name.contains("Gemm")) {
            continue;
        }
        let Some(of) = node.outputs.first().map(|o| &o.fact) else { continue };
        let Some(out_elems) = of.shape.as_concrete().map(|s| s.iter().product::<usize>()) else { continue };
        // the largest constant input is taken as the weights: MACs = out_elems * (weights / out_channels)
        let mut weights = 0usize;
        for i in &node.inputs {
            let f = &model.outlet_fact(*i).unwrap();
            if let Some(k) = &f.konst {
                weights = weights.max(k.len());
            }
        }
        if weights == 0 {
            continue;
        }
        // output channels: every model's convolutions are NCHW in tract (the MediaPipe graphs transpose
        // their NHWC input once); a matrix product's are its last axis
        let s = of.shape.as_concrete().unwrap();
        let ch = if s.len() == 4 { s[1] } else { *s.last().unwrap() };
        out.insert(node.id, out_elems as f64 * (weights / ch.max(1)) as f64);
    }
    out
}
