//! Measurements, not tests (`#[ignore]`: they assert nothing about speed and print their figures):
//!
//! `cargo test -p backend --test api kiosk_bench -- --ignored --nocapture --test-threads 1`
//!
//! - `attend_latency`: full `POST /api/kiosk/attend` requests with 12 frames against the in-process server
//!   (multipart upload over loopback, challenge check, geofence, 12 analyses, liveness, 1:N, DB), median
//!   and p95 of the client-side wall time over `KIOSK_BENCH_N` requests (default 40).
//! - `probe_choice`: which probe matches better, the centroid of the burst's frontal open-eyed frames or
//!   the burst's reference (medoid) frame, on Yale subjects enrolled from *other* photos (dev set).
use std::time::Instant;

use backend::services::kiosk::{liveness_config, probe, ProbeKind};
use face_engine::liveness::FrameSignals;
use face_engine::{centroid, decide, AnalyzeOptions, DecodeLimits, Gallery, MatchDecision, MatchPolicy};

use crate::bursts::*;
use crate::helpers::*;

/// CPU time (user + system) of this process so far, in ms (Linux `/proc/self/stat`, 100 ticks/s); the
/// server runs in-process, so the difference over the loop is the server's CPU per request plus the
/// client's small share. Independent of other load on the machine, unlike wall time.
fn process_cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks * 10.0)
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::test]
#[ignore = "benchmark: run explicitly with --ignored --nocapture"]
async fn attend_latency() {
    let Some(dir) = faces_dir() else { return };
    let n: usize = std::env::var("KIOSK_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(40);
    let steps_env = std::env::var("KIOSK_BENCH_STEPS").unwrap_or_else(|_| "BLINK,TURN_LEFT".into());
    let steps: Vec<&str> = steps_env.split(',').collect();
    let app = spawn_app_with(|env| {
        env.insert("KIOSK_RATE_PER_MINUTE".into(), "100000".into());
        env.insert("LIVENESS_FIXED_CHALLENGE".into(), steps_env.clone());
    })
    .await;
    app.login().await;
    let shift = app.create_shift("Pagi", "08:00", "17:00", 5).await;
    let subjects = [BUDI, SITI];
    let mut faces = Vec::new();
    for (i, s) in subjects.iter().enumerate() {
        let e = app.create_employee(&format!("B{i}"), &format!("Bench {i}"), shift["id"].as_i64()).await;
        let f = Subject::yale(&dir, *s);
        register(&app, &e["id"], &f).await;
        faces.push(f);
    }
    let bursts: Vec<Vec<Vec<u8>>> = faces.iter().map(|f| f.burst(&steps)).collect();
    let bytes: usize = bursts[0].iter().map(Vec::len).sum();
    // Warm-up (first use of the models' buffers, DB connections).
    let (t, _) = challenge(&app).await;
    assert_eq!(attend(&app, &t, Some(INSIDE), bursts[0].clone()).await.status(), 200);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let cpu0 = process_cpu_ms();
    let mut ms = Vec::with_capacity(n);
    let mut actions = std::collections::BTreeMap::<String, usize>::new();
    for i in 0..n {
        let (token, _) = challenge(&app).await;
        let frames = bursts[i % bursts.len()].clone();
        let t0 = Instant::now();
        let r = attend(&app, &token, Some(INSIDE), frames).await;
        let status = r.status();
        let v: serde_json::Value = r.json().await.unwrap();
        ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(status, 200, "{v}");
        *actions.entry(v["action"].as_str().unwrap().to_string()).or_default() += 1;
    }
    let cpu_per_request = match (cpu0, process_cpu_ms()) {
        (Some(a), Some(b)) => (b - a) / n as f64,
        _ => f64::NAN,
    };
    ms.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{{\"bench\":\"kiosk_attend\",\"requests\":{n},\"frames_per_request\":12,\"steps\":\"{steps_env}\",\"request_kib\":{},\"db\":\"{}\",\"face_workers\":{},\"cpus\":{},\"loadavg_before\":\"{}\",\"cpu_ms_per_request\":{:.1},\"median_ms\":{:.1},\"p95_ms\":{:.1},\"min_ms\":{:.1},\"max_ms\":{:.1},\"actions\":{:?}}}",
        bytes / 1024,
        test_db_kind(),
        app.config.face_workers,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        cpu_per_request,
        percentile(&ms, 0.5),
        percentile(&ms, 0.95),
        ms[0],
        ms[ms.len() - 1],
        actions
    );
}

#[test]
#[ignore = "measurement: run explicitly with --ignored --nocapture"]
fn probe_choice() {
    let Some(dir) = faces_dir() else { return };
    let engine = engine();
    let limits = DecodeLimits::default();
    let opts = AnalyzeOptions::default();
    // Yale subjects that have other photos in dev/ (enrolment) besides normal/sleepy (the burst).
    let rows = std::fs::read_to_string(dir.join("dev/identities.csv")).unwrap();
    let mut enrol: std::collections::BTreeMap<u32, Vec<String>> = Default::default();
    for line in rows.lines().skip(1) {
        let (path, ident) = line.split_once(',').unwrap();
        if let Some(n) = ident.strip_prefix("yale_subject").and_then(|s| s.parse::<u32>().ok()) {
            if !path.contains("normal") && !path.contains("sleepy") {
                enrol.entry(n).or_default().push(path.to_string());
            }
        }
    }
    let mut gallery_entries = Vec::new();
    for (n, paths) in &enrol {
        let embs: Vec<face_engine::Embedding> = paths
            .iter()
            .take(3)
            .filter_map(|p| {
                let bytes = std::fs::read(dir.join("dev").join(p)).unwrap();
                engine.analyze_bytes(&bytes, &limits, &opts).ok()?.face?.embedding
            })
            .collect();
        gallery_entries.push((*n as i64, centroid(embs.iter()).unwrap()));
    }
    let gallery = Gallery::from_entries(gallery_entries);
    let policy = MatchPolicy::KIOSK;
    println!("policy {policy:?}; gallery: {} Yale subjects enrolled from 3 dev photos each", gallery.len());
    let mut stats = std::collections::BTreeMap::<&str, (Vec<f32>, Vec<f32>, usize, usize)>::new();
    for n in enrol.keys() {
        let s = Subject::yale(&dir, *n);
        for steps in [&["BLINK", "TURN_LEFT"][..], &["TURN_RIGHT", "BLINK"][..]] {
            let frames = s.burst(steps);
            let signals: Vec<FrameSignals> = frames
                .iter()
                .map(|f| FrameSignals::from_analysis(&engine.analyze_bytes(f, &limits, &opts).unwrap()))
                .collect();
            let cfg = liveness_config(frames.len());
            for (name, kind) in [("centroid", ProbeKind::Centroid), ("reference", ProbeKind::Reference)] {
                let p = probe(&signals, &cfg, kind).unwrap();
                let r = gallery.search(&p).unwrap();
                let own = gallery
                    .get(*n as i64)
                    .map(|v| v.iter().zip(p.as_slice()).map(|(a, b)| a * b).sum::<f32>())
                    .unwrap();
                let best_other = gallery.search_filtered(&p, |id| id != *n as i64).unwrap().best.similarity;
                let entry = stats.entry(name).or_default();
                entry.0.push(own);
                entry.1.push(own - best_other);
                match decide(&r, &policy) {
                    MatchDecision::Accept { id, .. } if id == *n as i64 => entry.2 += 1,
                    MatchDecision::Accept { .. } => panic!("false accept"),
                    _ => entry.3 += 1,
                }
                println!("yale {n:02} {steps:?} {name:9}: own {own:.4}, margin over next {:.4}", own - best_other);
            }
        }
    }
    for (name, (own, margin, acc, not)) in stats {
        let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
        let min = |v: &[f32]| v.iter().cloned().fold(f32::INFINITY, f32::min);
        println!(
            "{{\"probe\":\"{name}\",\"bursts\":{},\"own_similarity_mean\":{:.4},\"own_similarity_min\":{:.4},\"margin_mean\":{:.4},\"margin_min\":{:.4},\"accepted\":{acc},\"not_accepted\":{not}}}",
            own.len(),
            mean(&own),
            min(&own),
            mean(&margin),
            min(&margin)
        );
    }
}

/// The same question on `dev/` with real variation between "frames": every identity with at least five
/// photos; every 5th such identity (file order) is an unknown person; the others are enrolled from the
/// centroid of their first three photos and probed with a pseudo-burst of their remaining photos (different
/// photos of one person vary more than the frames of one burst, so this exaggerates the spread the
/// centroid has to average). Unknown people are probed with all their photos.
#[test]
#[ignore = "measurement: run explicitly with --ignored --nocapture"]
fn probe_choice_open_set() {
    let Some(dir) = faces_dir() else { return };
    let engine = engine();
    let limits = DecodeLimits::default();
    let opts = AnalyzeOptions::default();
    let rows = std::fs::read_to_string(dir.join("dev/identities.csv")).unwrap();
    let mut order: Vec<String> = Vec::new();
    let mut by_id: std::collections::HashMap<String, Vec<String>> = Default::default();
    for line in rows.lines().skip(1) {
        let (path, ident) = line.split_once(',').unwrap();
        if !by_id.contains_key(ident) {
            order.push(ident.to_string());
        }
        by_id.entry(ident.to_string()).or_default().push(path.to_string());
    }
    let plain = AnalyzeOptions { flip_average: false, ..AnalyzeOptions::default() };
    let signals_with = |paths: &[String], opts: &AnalyzeOptions| -> Vec<FrameSignals> {
        paths
            .iter()
            .filter_map(|p| engine.analyze_bytes(&std::fs::read(dir.join("dev").join(p)).unwrap(), &limits, opts).ok())
            .map(|a| FrameSignals::from_analysis(&a))
            .collect()
    };
    let signals_of = |paths: &[String]| signals_with(paths, &opts);
    let eligible: Vec<&String> = order.iter().filter(|i| by_id[*i].len() >= 5).collect();
    let mut gallery_entries = Vec::new();
    // (id, probe frames with the mirror-averaged descriptor, the same frames with the plain one)
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for (k, ident) in eligible.iter().enumerate() {
        let paths = &by_id[*ident];
        if k % 5 == 4 {
            unknown.push((signals_of(paths), signals_with(paths, &plain)));
            continue;
        }
        let enrol: Vec<face_engine::Embedding> =
            signals_of(&paths[..3]).into_iter().filter(|s| s.faces_found == 1).filter_map(|s| s.embedding).collect();
        let Some(c) = centroid(enrol.iter()) else { continue };
        gallery_entries.push((k as i64, c));
        known.push((k as i64, signals_of(&paths[3..]), signals_with(&paths[3..], &plain)));
    }
    let gallery = Gallery::from_entries(gallery_entries);
    let policy = MatchPolicy::KIOSK;
    let cfg = liveness_config(12);
    // The gallery is always enrolled mirror-averaged (as registration does); "_plain" probes use the plain
    // descriptor (one ResNet run per frame instead of two).
    for (name, kind, plain_probe) in [
        ("centroid", ProbeKind::Centroid, false),
        ("reference", ProbeKind::Reference, false),
        ("centroid_plain", ProbeKind::Centroid, true),
        ("reference_plain", ProbeKind::Reference, true),
    ] {
        let (mut right, mut wrong, mut refused, mut fa) = (0, 0, 0, 0);
        let (mut own, mut margins, mut stranger) = (Vec::new(), Vec::new(), Vec::new());
        for (id, sig_f, sig_p) in &known {
            let Some(p) = probe(if plain_probe { sig_p } else { sig_f }, &cfg, kind) else {
                refused += 1;
                continue;
            };
            let r = gallery.search(&p).unwrap();
            let own_sim: f32 = gallery.get(*id).unwrap().iter().zip(p.as_slice()).map(|(a, b)| a * b).sum();
            let next = gallery.search_filtered(&p, |g| g != *id).unwrap().best.similarity;
            own.push(own_sim);
            margins.push(own_sim - next);
            match decide(&r, &policy) {
                MatchDecision::Accept { id: got, .. } if got == *id => right += 1,
                MatchDecision::Accept { .. } => wrong += 1,
                _ => refused += 1,
            }
        }
        for (sig_f, sig_p) in &unknown {
            let Some(p) = probe(if plain_probe { sig_p } else { sig_f }, &cfg, kind) else { continue };
            let r = gallery.search(&p).unwrap();
            stranger.push(r.best.similarity);
            if let MatchDecision::Accept { .. } = decide(&r, &policy) {
                fa += 1;
            }
        }
        let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len().max(1) as f32;
        let min = |v: &[f32]| v.iter().cloned().fold(f32::INFINITY, f32::min);
        let max = |v: &[f32]| v.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        println!(
            "{{\"probe\":\"{name}\",\"gallery\":{},\"known_bursts\":{},\"accepted_right\":{right},\"accepted_wrong\":{wrong},\"not_accepted\":{refused},\"own_sim_mean\":{:.4},\"own_sim_min\":{:.4},\"margin_mean\":{:.4},\"margin_min\":{:.4},\"unknown_bursts\":{},\"unknown_accepted\":{fa},\"unknown_best_sim_mean\":{:.4},\"unknown_best_sim_max\":{:.4}}}",
            gallery.len(),
            known.len(),
            mean(&own),
            min(&own),
            mean(&margins),
            min(&margins),
            unknown.len(),
            mean(&stranger),
            max(&stranger)
        );
    }
}
