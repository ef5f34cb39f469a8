//! The in-memory 1:N gallery (one L2-normalised encoding per employee in one contiguous f32 matrix)
//! and the kiosk's match decision.
//!
//! The backend wraps a [`Gallery`] in a `RwLock` and keeps it in step with the `face_encodings` table;
//! this module is only the data structure and the pure decision.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::embedding::{dot, Embedding, EMBEDDING_DIM};

/// Employee identifier as stored in the database.
pub type EmployeeId = i64;

/// One candidate of a search.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub id: EmployeeId,
    /// Cosine similarity (see [`Embedding`]).
    pub similarity: f32,
}

/// Best and second-best employees for a probe.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SearchResult {
    pub best: Candidate,
    /// `None` when the gallery holds a single employee.
    pub second: Option<Candidate>,
}

/// All enrolled encodings, one row per employee, rows stored contiguously.
///
/// Besides the exact f32 matrix the gallery keeps a compact int8 copy (each row quantised with its own
/// scale, see [`QuantRow`]) that a search scans first: the int8 scan reads a quarter of the bytes, and
/// the 1:N scan is bound by memory bandwidth. Every row's int8 score comes with a rigorous error bound,
/// so the scan only keeps the rows that could still be best or second best, and those few are re-scored
/// exactly in f32. The result is therefore the exact f32 brute force's (same ids, same similarities,
/// ties resolved the same way), only faster.
#[derive(Debug, Clone, Default)]
pub struct Gallery {
    ids: Vec<EmployeeId>,
    matrix: Vec<f32>,
    /// int8 copy of `matrix`, row-major like it.
    q8: Vec<i8>,
    /// Per-row scale and error terms of `q8`.
    quant: Vec<QuantRow>,
    index: HashMap<EmployeeId, usize>,
}

/// How one row (or a probe) is approximated in int8: `x ≈ scale · q` with `q` in -127..=127.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct QuantRow {
    /// `max |x_i| / 127` (0 for a zero vector).
    scale: f32,
    /// Upper bound of `|x - scale·q|₂` (the quantisation error).
    err: f32,
    /// Upper bound of `|scale·q|₂` (the norm of the approximation).
    approx_norm: f32,
}

/// Rounds `v` up by a relative and an absolute margin (so f64 -> f32 rounding never makes a bound smaller).
fn round_up(v: f64) -> f32 {
    (v * (1.0 + 1e-6) + 1e-9) as f32
}

/// Quantises `x` into `out` (same length) with one scale for the whole vector.
fn quantise(x: &[f32], out: &mut [i8]) -> QuantRow {
    let max = x.iter().fold(0f32, |m, v| m.max(v.abs()));
    if max == 0.0 {
        out.iter_mut().for_each(|o| *o = 0);
        return QuantRow { scale: 0.0, err: 0.0, approx_norm: 0.0 };
    }
    let scale = max / 127.0;
    let (mut err2, mut norm2) = (0f64, 0f64);
    for (o, &v) in out.iter_mut().zip(x) {
        let q = (v / scale).round().clamp(-127.0, 127.0);
        *o = q as i8;
        let a = scale as f64 * q as f64;
        err2 += (v as f64 - a) * (v as f64 - a);
        norm2 += a * a;
    }
    QuantRow { scale, err: round_up(err2.sqrt()), approx_norm: round_up(norm2.sqrt()) }
}

/// Absolute slack added to every bound: covers the rounding of the f32 dot product that the exact
/// re-scoring (and the reference brute force) computes, and of the int8 score's conversion to f32.
/// Both are below 1e-5 for 128 products of magnitude at most 1.
const BOUND_SLACK: f32 = 1e-4;

/// Exact integer dot product of two int8 vectors of length [`EMBEDDING_DIM`].
#[inline(always)]
fn dot_i8_portable(a: &[i8], b: &[i8]) -> i32 {
    let mut acc = [0i32; 16];
    for (ca, cb) in a.chunks_exact(16).zip(b.chunks_exact(16)) {
        for i in 0..16 {
            acc[i] += ca[i] as i32 * cb[i] as i32;
        }
    }
    acc.iter().sum()
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use crate::embedding::EMBEDDING_DIM;

    /// The probe's 128 int8 values as four 256-bit registers.
    #[derive(Clone, Copy)]
    pub struct Probe([__m256i; 4]);

    /// # Safety
    /// The CPU must support AVX2; `q` must have [`EMBEDDING_DIM`] values.
    #[target_feature(enable = "avx2")]
    pub unsafe fn load(q: &[i8]) -> Probe {
        assert_eq!(q.len(), EMBEDDING_DIM);
        let p = q.as_ptr() as *const __m256i;
        Probe([
            _mm256_loadu_si256(p),
            _mm256_loadu_si256(p.add(1)),
            _mm256_loadu_si256(p.add(2)),
            _mm256_loadu_si256(p.add(3)),
        ])
    }

    /// Exact dot product of a row with the probe (|values| <= 127, so the 16-bit pair sums of
    /// `maddubs` cannot saturate: 2·127·127 < 32767).
    ///
    /// # Safety
    /// The CPU must support AVX2; `row` must have [`EMBEDDING_DIM`] values.
    #[target_feature(enable = "avx2")]
    #[inline]
    pub unsafe fn dot(row: &[i8], probe: &Probe) -> i32 {
        debug_assert_eq!(row.len(), EMBEDDING_DIM);
        let p = row.as_ptr() as *const __m256i;
        let ones = _mm256_set1_epi16(1);
        let mut acc = _mm256_setzero_si256();
        for k in 0..4 {
            let a = _mm256_loadu_si256(p.add(k));
            let b = probe.0[k];
            // maddubs multiplies unsigned by signed bytes: move a's sign onto b.
            let prod = _mm256_maddubs_epi16(_mm256_abs_epi8(a), _mm256_sign_epi8(b, a));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(prod, ones));
        }
        let s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b01_00_11_10));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b10_11_00_01));
        _mm_cvtsi128_si32(s)
    }
}

/// Whether the AVX2 int8 kernel can run here (checked once).
fn use_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static AVX2: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *AVX2.get_or_init(|| std::is_x86_feature_detected!("avx2"))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Top-2 tracker with the brute force's tie rule: on equal scores the earlier row stays ahead.
#[derive(Clone, Copy)]
struct Top2 {
    best: (f32, usize),
    second: (f32, usize),
}

impl Top2 {
    const EMPTY: Top2 = Top2 { best: (f32::NEG_INFINITY, usize::MAX), second: (f32::NEG_INFINITY, usize::MAX) };

    #[inline]
    fn push(&mut self, s: f32, r: usize) {
        if s > self.second.0 || self.second.1 == usize::MAX {
            if s > self.best.0 || self.best.1 == usize::MAX {
                self.second = self.best;
                self.best = (s, r);
            } else {
                self.second = (s, r);
            }
        }
    }
}

impl Gallery {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a gallery from `(id, embedding)` pairs; a repeated id keeps the last embedding.
    pub fn from_entries(entries: impl IntoIterator<Item = (EmployeeId, Embedding)>) -> Self {
        let mut g = Gallery::new();
        g.replace_all(entries);
        g
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn contains(&self, id: EmployeeId) -> bool {
        self.index.contains_key(&id)
    }

    pub fn ids(&self) -> &[EmployeeId] {
        &self.ids
    }

    /// The stored (unit) vector of `id`.
    pub fn get(&self, id: EmployeeId) -> Option<&[f32]> {
        self.index.get(&id).map(|&r| &self.matrix[r * EMBEDDING_DIM..(r + 1) * EMBEDDING_DIM])
    }

    /// Inserts or replaces the encoding of `id`.
    pub fn upsert(&mut self, id: EmployeeId, emb: &Embedding) {
        let r = match self.index.get(&id) {
            Some(&r) => {
                self.matrix[r * EMBEDDING_DIM..(r + 1) * EMBEDDING_DIM].copy_from_slice(emb.as_slice());
                r
            }
            None => {
                let r = self.ids.len();
                self.index.insert(id, r);
                self.ids.push(id);
                self.matrix.extend_from_slice(emb.as_slice());
                self.q8.resize(self.q8.len() + EMBEDDING_DIM, 0);
                self.quant.push(QuantRow::default());
                r
            }
        };
        self.quant[r] = quantise(emb.as_slice(), &mut self.q8[r * EMBEDDING_DIM..(r + 1) * EMBEDDING_DIM]);
    }

    /// Removes `id`; returns whether it was present. O(1): the last row moves into the hole.
    pub fn remove(&mut self, id: EmployeeId) -> bool {
        let Some(r) = self.index.remove(&id) else { return false };
        let last = self.ids.len() - 1;
        if r != last {
            let moved = self.ids[last];
            self.matrix.copy_within(last * EMBEDDING_DIM..(last + 1) * EMBEDDING_DIM, r * EMBEDDING_DIM);
            self.q8.copy_within(last * EMBEDDING_DIM..(last + 1) * EMBEDDING_DIM, r * EMBEDDING_DIM);
            self.quant[r] = self.quant[last];
            self.ids[r] = moved;
            self.index.insert(moved, r);
        }
        self.ids.pop();
        self.quant.pop();
        self.matrix.truncate(last * EMBEDDING_DIM);
        self.q8.truncate(last * EMBEDDING_DIM);
        true
    }

    /// Replaces the whole content (e.g. after a periodic refresh from the database).
    pub fn replace_all(&mut self, entries: impl IntoIterator<Item = (EmployeeId, Embedding)>) {
        self.ids.clear();
        self.matrix.clear();
        self.q8.clear();
        self.quant.clear();
        self.index.clear();
        for (id, e) in entries {
            self.upsert(id, &e);
        }
        self.matrix.shrink_to_fit();
        self.q8.shrink_to_fit();
        self.quant.shrink_to_fit();
    }

    /// Best and second-best employee for `probe`, by cosine similarity. `None` when empty.
    pub fn search(&self, probe: &Embedding) -> Option<SearchResult> {
        self.search_filtered(probe, |_| true)
    }

    /// Like [`Gallery::search`] but only over employees for which `keep(id)` is true (e.g. the
    /// registration duplicate check skips the employee being registered).
    ///
    /// One thread: an int8 scan with error bounds picks the rows that can still be best or second best,
    /// which are then re-scored exactly (see [`Gallery`]). 100k encodings are 13 MB of int8 instead of
    /// 51 MB of f32. The similarities returned are the exact f32 ones.
    pub fn search_filtered(&self, probe: &Embedding, keep: impl Fn(EmployeeId) -> bool + Sync) -> Option<SearchResult> {
        let q = probe.as_slice();
        let mut qq = [0i8; EMBEDDING_DIM];
        let qm = quantise(q, &mut qq);
        let q_norm = round_up(q.iter().map(|v| (*v as f64) * (*v as f64)).sum::<f64>().sqrt());
        let candidates = if use_avx2() {
            #[cfg(target_arch = "x86_64")]
            {
                // SAFETY: AVX2 is present (checked at run time) and every slice has EMBEDDING_DIM values.
                unsafe { self.candidates_avx2(&qq, &qm, q_norm, &keep) }
            }
            #[cfg(not(target_arch = "x86_64"))]
            unreachable!()
        } else {
            self.candidates(&qq, &qm, q_norm, &keep, dot_i8_portable)
        };
        // Exact re-scoring of the candidates, in row order (the brute force's tie rule).
        let mut top = Top2::EMPTY;
        for r in candidates {
            top.push(dot(q, &self.matrix[r * EMBEDDING_DIM..(r + 1) * EMBEDDING_DIM]), r);
        }
        if top.best.1 == usize::MAX {
            return None;
        }
        let cand = |(s, r): (f32, usize)| Candidate { id: self.ids[r], similarity: s };
        Some(SearchResult { best: cand(top.best), second: (top.second.1 != usize::MAX).then(|| cand(top.second)) })
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn candidates_avx2(
        &self,
        qq: &[i8],
        qm: &QuantRow,
        q_norm: f32,
        keep: &impl Fn(EmployeeId) -> bool,
    ) -> Vec<usize> {
        let p = avx2::load(qq);
        self.candidates(qq, qm, q_norm, keep, |row, _| unsafe { avx2::dot(row, &p) })
    }

    /// Rows that may hold the best or second-best exact score among the kept rows, in row order.
    ///
    /// For row `x` and probe `q` with int8 approximations `x ≈ sx·a` (error `ex`) and `q ≈ sq·b` (error
    /// `eq`): `|x·q - sx·sq·(a·b)| ≤ |ex|·|q| + |sx·a|·|eq|` (Cauchy-Schwarz on both error terms). The
    /// second-largest lower bound is at most the exact second-best score, so a row whose upper bound is
    /// below it can be neither best nor second best.
    #[inline(always)]
    fn candidates(
        &self,
        qq: &[i8],
        qm: &QuantRow,
        q_norm: f32,
        keep: &impl Fn(EmployeeId) -> bool,
        dot8: impl Fn(&[i8], &[i8]) -> i32,
    ) -> Vec<usize> {
        let mut out: Vec<(usize, f32)> = Vec::new();
        // Two largest lower bounds so far (kept rows only).
        let (mut lb1, mut lb2) = (f32::NEG_INFINITY, f32::NEG_INFINITY);
        for (r, (row, m)) in self.q8.chunks_exact(EMBEDDING_DIM).zip(&self.quant).enumerate() {
            let approx = dot8(row, qq) as f32 * (m.scale * qm.scale);
            let bound = m.err * q_norm + m.approx_norm * qm.err + BOUND_SLACK;
            let upper = approx + bound;
            if upper < lb2 || !keep(self.ids[r]) {
                continue;
            }
            out.push((r, upper));
            let lower = approx - bound;
            if lower > lb1 {
                lb2 = lb1;
                lb1 = lower;
            } else if lower > lb2 {
                lb2 = lower;
            }
        }
        out.into_iter().filter(|&(_, upper)| upper >= lb2).map(|(r, _)| r).collect()
    }

    /// How many rows the int8 pre-selection leaves for exact re-scoring for `probe` (benchmark figure).
    pub fn rescored_rows(&self, probe: &Embedding) -> usize {
        let mut qq = [0i8; EMBEDDING_DIM];
        let qm = quantise(probe.as_slice(), &mut qq);
        let q_norm = round_up(probe.as_slice().iter().map(|v| (*v as f64) * (*v as f64)).sum::<f64>().sqrt());
        self.candidates(&qq, &qm, q_norm, &|_| true, dot_i8_portable).len()
    }

    /// The reference: exact f32 brute force over every kept row (tests and benchmarks compare against it).
    pub fn search_brute_force(&self, probe: &Embedding, keep: impl Fn(EmployeeId) -> bool) -> Option<SearchResult> {
        let q = probe.as_slice();
        let mut top = Top2::EMPTY;
        for (r, row) in self.matrix.chunks_exact(EMBEDDING_DIM).enumerate() {
            let s = dot(q, row);
            if (s > top.second.0 || top.second.1 == usize::MAX) && keep(self.ids[r]) {
                top.push(s, r);
            }
        }
        if top.best.1 == usize::MAX {
            return None;
        }
        let cand = |(s, r): (f32, usize)| Candidate { id: self.ids[r], similarity: s };
        Some(SearchResult { best: cand(top.best), second: (top.second.1 != usize::MAX).then(|| cand(top.second)) })
    }
}

/// The kiosk's operating point, in cosine similarity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MatchPolicy {
    /// Accept when the best similarity is at least this...
    pub accept: f32,
    /// ...and beats the second-best employee by at least `margin`.
    pub margin: f32,
    /// Between `grey` and an accept: a low-confidence match that goes to the owner's review list.
    pub grey: f32,
}

impl MatchPolicy {
    /// The kiosk's operating point, calibrated on `data/faces/dev` (gallery = centroid of 3 images,
    /// every 5th identity unknown; see backend/face/README.md for the sweep):
    /// `accept` 0.95 keeps unknown people accepted at <= ~1% on both halves of the identities
    /// (0.945 already exceeds 2% on the whole set); a small `margin` of 0.005 refuses near-ties
    /// between two employees for ~1% of acceptance; `grey` is [`crate::VERIFY_THRESHOLD`]: probably the
    /// same person, but not confidently enough to check in without the owner's review.
    pub const KIOSK: MatchPolicy = MatchPolicy { accept: 0.95, margin: 0.005, grey: crate::VERIFY_THRESHOLD };
}

impl Default for MatchPolicy {
    fn default() -> Self {
        MatchPolicy::KIOSK
    }
}

/// Outcome of [`decide`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum MatchDecision {
    /// Recognised with confidence.
    Accept { id: EmployeeId, similarity: f32 },
    /// Probably this employee but not confidently (below `accept`, or too close to the second-best):
    /// record for review, do not check in.
    Grey { id: EmployeeId, similarity: f32 },
    /// Nobody enrolled is close enough.
    Unknown,
}

/// Applies `policy` to a search result (pure).
pub fn decide(result: &SearchResult, policy: &MatchPolicy) -> MatchDecision {
    let best = result.best;
    let margin_ok = result.second.is_none_or(|s| best.similarity - s.similarity >= policy.margin);
    if best.similarity >= policy.accept && margin_ok {
        MatchDecision::Accept { id: best.id, similarity: best.similarity }
    } else if best.similarity >= policy.grey {
        MatchDecision::Grey { id: best.id, similarity: best.similarity }
    } else {
        MatchDecision::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedding::tests::pseudo_random;

    fn brute_force(entries: &[(EmployeeId, Embedding)], q: &Embedding) -> Vec<(f32, EmployeeId)> {
        let mut v: Vec<(f32, EmployeeId)> = entries.iter().map(|(id, e)| (e.similarity(q), *id)).collect();
        v.sort_by(|a, b| b.0.total_cmp(&a.0));
        v
    }

    #[test]
    fn search_returns_best_and_second_best_like_brute_force() {
        let entries: Vec<(EmployeeId, Embedding)> = (0..200).map(|i| (1000 + i, pseudo_random(i as u64))).collect();
        let g = Gallery::from_entries(entries.clone());
        assert_eq!(g.len(), 200);
        for probe_seed in 500..520 {
            let q = pseudo_random(probe_seed);
            let r = g.search(&q).unwrap();
            let bf = brute_force(&entries, &q);
            assert_eq!(r.best.id, bf[0].1);
            assert!((r.best.similarity - bf[0].0).abs() < 1e-5);
            assert_eq!(r.second.unwrap().id, bf[1].1);
            assert!((r.second.unwrap().similarity - bf[1].0).abs() < 1e-5);
        }
        // A probe equal to an enrolled vector finds it with similarity 1.
        let r = g.search(&entries[42].1).unwrap();
        assert_eq!(r.best.id, 1042);
        assert!((r.best.similarity - 1.0).abs() < 1e-5);
    }

    /// xorshift for the randomised tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> f32 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            ((self.0 >> 11) as f64 / (1u64 << 53) as f64 - 0.5) as f32
        }
        fn below(&mut self, n: usize) -> usize {
            ((self.next() + 0.5) * n as f32) as usize % n
        }
        /// A unit vector near `base` (`spread` = size of the perturbation): face-like galleries, where
        /// everybody scores high and close together, are the hard case for the int8 pre-selection.
        fn near(&mut self, base: &[f32], spread: f32) -> Embedding {
            let v: Vec<f32> = base.iter().map(|b| b + spread * self.next()).collect();
            Embedding::from_raw(&v).unwrap()
        }
    }

    fn assert_same(g: &Gallery, q: &Embedding, keep: impl Fn(EmployeeId) -> bool + Copy + Sync, what: &str) {
        let fast = g.search_filtered(q, keep);
        let exact = g.search_brute_force(q, keep);
        // Same ids and bit-identical similarities (ties resolved the same way: the earlier row first).
        assert_eq!(fast, exact, "{what}");
    }

    #[test]
    fn int8_search_equals_the_f32_brute_force_on_random_galleries() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut probes_checked = 0;
        for trial in 0..60u64 {
            let n = [1, 2, 3, 10, 100, 1000, 5000][trial as usize % 7];
            // Alternate uniform random vectors with tight clusters around one face (similarities 0.8-0.99).
            let spread = [2.0f32, 0.3, 0.1, 0.03][(trial / 7) as usize % 4];
            let base: Vec<f32> = (0..EMBEDDING_DIM).map(|_| rng.next()).collect();
            let mut entries: Vec<(EmployeeId, Embedding)> =
                (0..n).map(|i| (i as EmployeeId * 3 + 1, rng.near(&base, spread))).collect();
            // Exact duplicates (ties) in some galleries.
            if n >= 10 && trial % 2 == 0 {
                for _ in 0..5 {
                    let src = rng.below(n);
                    let dst = rng.below(n);
                    entries[dst].1 = entries[src].1.clone();
                }
            }
            let g = Gallery::from_entries(entries.clone());
            for k in 0..20 {
                let q = match k % 4 {
                    // A probe equal to an enrolled vector (and maybe its duplicates).
                    0 => entries[rng.below(n)].1.clone(),
                    // A probe near an enrolled vector.
                    1 => {
                        let i = rng.below(n);
                        rng.near(entries[i].1.as_slice(), 0.02)
                    }
                    2 => rng.near(&base, spread),
                    _ => rng.near(&base, 2.0),
                };
                assert_same(&g, &q, |_| true, &format!("trial {trial} n {n} probe {k}"));
                // Filtered: skip one enrolled id, or two thirds of the gallery.
                let skip = entries[rng.below(n)].0;
                assert_same(&g, &q, |id| id != skip, &format!("trial {trial} filtered"));
                assert_same(&g, &q, |id| id % 3 == 1 && (id / 3) % 3 == 0, &format!("trial {trial} sparse"));
                assert_same(&g, &q, |_| false, "nothing kept");
                probes_checked += 1;
            }
        }
        assert_eq!(probes_checked, 60 * 20);
    }

    #[test]
    fn int8_search_survives_updates_and_removals() {
        let mut rng = Rng(42);
        let base: Vec<f32> = (0..EMBEDDING_DIM).map(|_| rng.next()).collect();
        let mut g = Gallery::from_entries((0..3000).map(|i| (i, rng.near(&base, 0.1))));
        for step in 0..300 {
            let id = rng.below(3500) as EmployeeId;
            if step % 3 == 0 {
                g.remove(id);
            } else {
                g.upsert(id, &rng.near(&base, 0.1));
            }
            if step % 10 == 0 {
                let q = rng.near(&base, 0.1);
                assert_same(&g, &q, |_| true, &format!("step {step}"));
            }
        }
        // The int8 copy follows the f32 rows: every stored vector finds itself with its exact score.
        for &id in g.ids().iter().take(50) {
            let e = Embedding::from_raw(g.get(id).unwrap()).unwrap();
            let r = g.search(&e).unwrap();
            assert!((r.best.similarity - 1.0).abs() < 1e-5);
            assert_same(&g, &e, |_| true, "self");
        }
    }

    #[test]
    fn quantisation_bounds_hold() {
        let mut rng = Rng(7);
        for _ in 0..200 {
            let a: Vec<f32> = (0..EMBEDDING_DIM).map(|_| rng.next()).collect();
            let b: Vec<f32> = (0..EMBEDDING_DIM).map(|_| rng.next()).collect();
            let (a, b) = (Embedding::from_raw(&a).unwrap(), Embedding::from_raw(&b).unwrap());
            let (mut qa, mut qb) = ([0i8; EMBEDDING_DIM], [0i8; EMBEDDING_DIM]);
            let (ma, mb) = (quantise(a.as_slice(), &mut qa), quantise(b.as_slice(), &mut qb));
            let approx = dot_i8_portable(&qa, &qb) as f32 * ma.scale * mb.scale;
            let bound = ma.err * 1.0 + ma.approx_norm * mb.err;
            let exact = a.similarity(&b);
            assert!((approx - exact).abs() <= bound, "{approx} {exact} {bound}");
            // The bound is useful: a few hundredths at most.
            assert!(bound < 0.05, "{bound}");
            #[cfg(target_arch = "x86_64")]
            if use_avx2() {
                let v = unsafe { avx2::dot(&qa, &avx2::load(&qb)) };
                assert_eq!(v, dot_i8_portable(&qa, &qb));
            }
        }
        // Extremes: all +-127 saturate nothing.
        let big = [127i8; EMBEDDING_DIM];
        let neg = [-127i8; EMBEDDING_DIM];
        assert_eq!(dot_i8_portable(&big, &neg), -127 * 127 * 128);
        #[cfg(target_arch = "x86_64")]
        if use_avx2() {
            assert_eq!(unsafe { avx2::dot(&big, &avx2::load(&neg)) }, -127 * 127 * 128);
            assert_eq!(unsafe { avx2::dot(&neg, &avx2::load(&neg)) }, 127 * 127 * 128);
        }
    }

    #[test]
    fn upsert_remove_replace() {
        let mut g = Gallery::new();
        assert!(g.search(&pseudo_random(1)).is_none());
        g.upsert(1, &pseudo_random(1));
        let r = g.search(&pseudo_random(1)).unwrap();
        assert_eq!(r.best.id, 1);
        assert!(r.second.is_none());
        g.upsert(2, &pseudo_random(2));
        g.upsert(3, &pseudo_random(3));
        // Replace 1's vector with 4's: a probe of 4 now finds employee 1.
        g.upsert(1, &pseudo_random(4));
        assert_eq!(g.len(), 3);
        assert_eq!(g.search(&pseudo_random(4)).unwrap().best.id, 1);
        // Remove a middle row: the moved row keeps its identity.
        assert!(g.remove(2));
        assert!(!g.remove(2));
        assert_eq!(g.len(), 2);
        assert_eq!(g.search(&pseudo_random(3)).unwrap().best.id, 3);
        assert_eq!(g.get(3).unwrap(), pseudo_random(3).as_slice());
        assert!(g.get(2).is_none());
        g.replace_all(vec![(7, pseudo_random(7))]);
        assert_eq!(g.ids(), &[7]);
        assert!(!g.contains(1));
        // Filtered search skips an employee.
        let g = Gallery::from_entries((0..10).map(|i| (i, pseudo_random(i as u64))));
        let r = g.search_filtered(&pseudo_random(5), |id| id != 5).unwrap();
        assert_ne!(r.best.id, 5);
        assert!(r.best.similarity < 0.99);
    }

    #[test]
    fn decision_uses_threshold_margin_and_grey_zone() {
        let p = MatchPolicy { accept: 0.9, margin: 0.05, grey: 0.8 };
        let res = |b: f32, s: Option<f32>| SearchResult {
            best: Candidate { id: 1, similarity: b },
            second: s.map(|s| Candidate { id: 2, similarity: s }),
        };
        assert_eq!(decide(&res(0.95, Some(0.7)), &p), MatchDecision::Accept { id: 1, similarity: 0.95 });
        assert_eq!(decide(&res(0.95, None), &p), MatchDecision::Accept { id: 1, similarity: 0.95 });
        // Too close to the second-best: not accepted, reviewed instead.
        assert_eq!(decide(&res(0.95, Some(0.93)), &p), MatchDecision::Grey { id: 1, similarity: 0.95 });
        assert_eq!(decide(&res(0.85, Some(0.2)), &p), MatchDecision::Grey { id: 1, similarity: 0.85 });
        assert_eq!(decide(&res(0.75, Some(0.2)), &p), MatchDecision::Unknown);
    }
}
