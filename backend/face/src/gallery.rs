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
#[derive(Debug, Clone, Default)]
pub struct Gallery {
    ids: Vec<EmployeeId>,
    matrix: Vec<f32>,
    index: HashMap<EmployeeId, usize>,
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
        match self.index.get(&id) {
            Some(&r) => self.matrix[r * EMBEDDING_DIM..(r + 1) * EMBEDDING_DIM].copy_from_slice(emb.as_slice()),
            None => {
                self.index.insert(id, self.ids.len());
                self.ids.push(id);
                self.matrix.extend_from_slice(emb.as_slice());
            }
        }
    }

    /// Removes `id`; returns whether it was present. O(1): the last row moves into the hole.
    pub fn remove(&mut self, id: EmployeeId) -> bool {
        let Some(r) = self.index.remove(&id) else { return false };
        let last = self.ids.len() - 1;
        if r != last {
            let moved = self.ids[last];
            self.matrix.copy_within(last * EMBEDDING_DIM..(last + 1) * EMBEDDING_DIM, r * EMBEDDING_DIM);
            self.ids[r] = moved;
            self.index.insert(moved, r);
        }
        self.ids.pop();
        self.matrix.truncate(last * EMBEDDING_DIM);
        true
    }

    /// Replaces the whole content (e.g. after a periodic refresh from the database).
    pub fn replace_all(&mut self, entries: impl IntoIterator<Item = (EmployeeId, Embedding)>) {
        self.ids.clear();
        self.matrix.clear();
        self.index.clear();
        for (id, e) in entries {
            self.upsert(id, &e);
        }
        self.matrix.shrink_to_fit();
    }

    /// Best and second-best employee for `probe`, by cosine similarity. `None` when empty.
    pub fn search(&self, probe: &Embedding) -> Option<SearchResult> {
        self.search_filtered(probe, |_| true)
    }

    /// Like [`Gallery::search`] but only over employees for which `keep(id)` is true (e.g. the
    /// registration duplicate check skips the employee being registered).
    ///
    /// Large galleries (>= [`PARALLEL_MIN_ROWS`] rows) are scanned by up to two threads: the scan is
    /// bound by memory bandwidth (100k encodings are 51 MB), which one core alone cannot saturate.
    pub fn search_filtered(&self, probe: &Embedding, keep: impl Fn(EmployeeId) -> bool + Sync) -> Option<SearchResult> {
        let q = probe.as_slice();
        let rows = self.ids.len();
        let threads = if rows >= PARALLEL_MIN_ROWS {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(2)
        } else {
            1
        };
        let top2 = if threads > 1 {
            let split = rows / 2;
            let keep = &keep;
            let (a, b) = std::thread::scope(|s| {
                let h = s.spawn(move || self.scan(q, split, rows, keep));
                let a = self.scan(q, 0, split, keep);
                (a, h.join().expect("gallery scan thread"))
            });
            merge_top2(a, b)
        } else {
            self.scan(q, 0, rows, &keep)
        };
        let (best, second) = top2;
        if best.1 == usize::MAX {
            return None;
        }
        let cand = |(s, r): (f32, usize)| Candidate { id: self.ids[r], similarity: s };
        Some(SearchResult { best: cand(best), second: (second.1 != usize::MAX).then(|| cand(second)) })
    }

    /// Best and second-best `(similarity, row)` over rows `from..to`.
    fn scan(&self, q: &[f32], from: usize, to: usize, keep: &(impl Fn(EmployeeId) -> bool + Sync)) -> Top2 {
        let mut best = (f32::NEG_INFINITY, usize::MAX);
        let mut second = (f32::NEG_INFINITY, usize::MAX);
        let block = &self.matrix[from * EMBEDDING_DIM..to * EMBEDDING_DIM];
        for (k, row) in block.chunks_exact(EMBEDDING_DIM).enumerate() {
            let s = dot(q, row);
            let r = from + k;
            if s > second.0 && keep(self.ids[r]) {
                if s > best.0 {
                    second = best;
                    best = (s, r);
                } else {
                    second = (s, r);
                }
            }
        }
        (best, second)
    }
}

/// Galleries at least this large are searched with two threads.
pub const PARALLEL_MIN_ROWS: usize = 16_384;

type Top2 = ((f32, usize), (f32, usize));

fn merge_top2(a: Top2, b: Top2) -> Top2 {
    let mut all = [a.0, a.1, b.0, b.1];
    all.sort_by(|x, y| y.0.total_cmp(&x.0));
    (all[0], all[1])
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

    #[test]
    fn parallel_search_of_a_large_gallery_matches_brute_force() {
        let n = PARALLEL_MIN_ROWS + 1000;
        let entries: Vec<(EmployeeId, Embedding)> = (0..n).map(|i| (i as EmployeeId, pseudo_random(i as u64 + 7))).collect();
        let g = Gallery::from_entries(entries.iter().cloned());
        for seed in [1u64, 2, 3] {
            let q = pseudo_random(1_000_000 + seed);
            let r = g.search(&q).unwrap();
            let bf = brute_force(&entries, &q);
            assert_eq!((r.best.id, r.second.unwrap().id), (bf[0].1, bf[1].1));
        }
        // The best can sit in either half.
        let r = g.search(&entries[10].1).unwrap();
        assert_eq!(r.best.id, 10);
        let r = g.search(&entries[n - 10].1).unwrap();
        assert_eq!(r.best.id, (n - 10) as EmployeeId);
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
