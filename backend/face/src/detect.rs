//! BlazeFace short-range post-processing: anchors, box/keypoint decoding, weighted merge of overlaps.
//! Pure functions; the model itself runs in [`crate::engine`].

use serde::{Deserialize, Serialize};

use crate::geometry::Point;

/// BlazeFace input side.
pub const INPUT_SIZE: usize = 128;
/// Number of anchors of the short-range model.
pub const NUM_ANCHORS: usize = 896;
/// Values per anchor in the regressor output: box (4) + 6 keypoints x 2.
pub const REG_STRIDE: usize = 16;

/// A face box in image coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

impl BBox {
    pub fn width(&self) -> f32 {
        (self.x1 - self.x0).max(0.0)
    }
    pub fn height(&self) -> f32 {
        (self.y1 - self.y0).max(0.0)
    }
    pub fn area(&self) -> f32 {
        self.width() * self.height()
    }
    pub fn center(&self) -> Point {
        Point::new((self.x0 + self.x1) * 0.5, (self.y0 + self.y1) * 0.5)
    }
    pub fn iou(&self, o: &BBox) -> f32 {
        let ix = (self.x1.min(o.x1) - self.x0.max(o.x0)).max(0.0);
        let iy = (self.y1.min(o.y1) - self.y0.max(o.y0)).max(0.0);
        let inter = ix * iy;
        let union = self.area() + o.area() - inter;
        if union <= 0.0 {
            0.0
        } else {
            inter / union
        }
    }
}

/// One detected face. Keypoints: subject's right eye, left eye, nose tip, mouth centre, right ear
/// tragion, left ear tragion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    pub score: f32,
    pub bbox: BBox,
    pub keypoints: [Point; 6],
}

impl Detection {
    /// Applies a point map to the box (as its axis-aligned hull) and keypoints.
    pub fn map(&self, f: impl Fn(Point) -> Point) -> Detection {
        let a = f(Point::new(self.bbox.x0, self.bbox.y0));
        let b = f(Point::new(self.bbox.x1, self.bbox.y1));
        let mut kp = self.keypoints;
        for k in kp.iter_mut() {
            *k = f(*k);
        }
        Detection {
            score: self.score,
            bbox: BBox { x0: a.x.min(b.x), y0: a.y.min(b.y), x1: a.x.max(b.x), y1: a.y.max(b.y) },
            keypoints: kp,
        }
    }
}

/// Anchor centres in normalised input coordinates: a 16x16 grid (stride 8) with 2 anchors per cell,
/// then an 8x8 grid (stride 16) with 6 per cell, row-major, anchors of one cell consecutive.
pub fn anchors() -> Vec<Point> {
    let mut out = Vec::with_capacity(NUM_ANCHORS);
    for (grid, per_cell) in [(16usize, 2usize), (8, 6)] {
        for y in 0..grid {
            for x in 0..grid {
                let c = Point::new((x as f32 + 0.5) / grid as f32, (y as f32 + 0.5) / grid as f32);
                for _ in 0..per_cell {
                    out.push(c);
                }
            }
        }
    }
    out
}

pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x.clamp(-100.0, 100.0)).exp())
}

/// Decodes raw outputs (`regressors` 896x16, `logits` 896) into detections above `min_score`,
/// in normalised input coordinates (0..1 over the 128x128 input).
pub fn decode(regressors: &[f32], logits: &[f32], anchors: &[Point], min_score: f32) -> Vec<Detection> {
    let n = anchors.len().min(logits.len()).min(regressors.len() / REG_STRIDE);
    let s = INPUT_SIZE as f32;
    let mut out = Vec::new();
    for i in 0..n {
        let score = sigmoid(logits[i]);
        if score < min_score {
            continue;
        }
        let r = &regressors[i * REG_STRIDE..(i + 1) * REG_STRIDE];
        let a = anchors[i];
        let cx = r[0] / s + a.x;
        let cy = r[1] / s + a.y;
        let w = r[2] / s;
        let h = r[3] / s;
        if !(w > 0.0 && h > 0.0 && cx.is_finite() && cy.is_finite()) {
            continue;
        }
        let mut kp = [Point::default(); 6];
        for (k, p) in kp.iter_mut().enumerate() {
            *p = Point::new(r[4 + 2 * k] / s + a.x, r[5 + 2 * k] / s + a.y);
        }
        out.push(Detection {
            score,
            bbox: BBox { x0: cx - w / 2.0, y0: cy - h / 2.0, x1: cx + w / 2.0, y1: cy + h / 2.0 },
            keypoints: kp,
        });
    }
    out
}

/// MediaPipe's weighted non-maximum suppression: take the best remaining detection, average it with
/// every remaining detection overlapping it by more than `iou_threshold` (weights = scores; the score
/// stays the best one's), remove them all, repeat. Returns detections sorted by score, best first.
pub fn weighted_merge(mut dets: Vec<Detection>, iou_threshold: f32) -> Vec<Detection> {
    dets.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while !dets.is_empty() {
        let top = dets[0].clone();
        let (group, rest): (Vec<Detection>, Vec<Detection>) =
            dets.into_iter().partition(|d| d.bbox.iou(&top.bbox) > iou_threshold);
        // The top itself is in `group` (its IoU with itself is 1; decoded boxes have a positive area).
        dets = rest;
        let total: f32 = group.iter().map(|d| d.score).sum();
        let mut merged = Detection {
            score: top.score,
            bbox: BBox { x0: 0.0, y0: 0.0, x1: 0.0, y1: 0.0 },
            keypoints: [Point::default(); 6],
        };
        for d in &group {
            let w = d.score / total;
            merged.bbox.x0 += w * d.bbox.x0;
            merged.bbox.y0 += w * d.bbox.y0;
            merged.bbox.x1 += w * d.bbox.x1;
            merged.bbox.y1 += w * d.bbox.y1;
            for k in 0..6 {
                merged.keypoints[k].x += w * d.keypoints[k].x;
                merged.keypoints[k].y += w * d.keypoints[k].y;
            }
        }
        out.push(merged);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_layout() {
        let a = anchors();
        assert_eq!(a.len(), NUM_ANCHORS);
        // First grid: 16x16 cells, 2 anchors each, centres at (x+0.5)/16.
        assert_eq!(a[0], Point::new(0.5 / 16.0, 0.5 / 16.0));
        assert_eq!(a[1], a[0]);
        assert_eq!(a[2], Point::new(1.5 / 16.0, 0.5 / 16.0));
        assert_eq!(a[32], Point::new(0.5 / 16.0, 1.5 / 16.0));
        assert_eq!(a[511], Point::new(15.5 / 16.0, 15.5 / 16.0));
        // Second grid starts at 512: 8x8 cells, 6 anchors each.
        assert_eq!(a[512], Point::new(0.5 / 8.0, 0.5 / 8.0));
        assert_eq!(a[517], a[512]);
        assert_eq!(a[518], Point::new(1.5 / 8.0, 0.5 / 8.0));
        assert_eq!(a[895], Point::new(7.5 / 8.0, 7.5 / 8.0));
    }

    #[test]
    fn decodes_box_and_keypoints_relative_to_anchor() {
        let anchors = anchors();
        let mut reg = vec![0f32; NUM_ANCHORS * REG_STRIDE];
        let mut logits = vec![-10f32; NUM_ANCHORS];
        let i = 600; // in the second grid
        logits[i] = 2.0;
        let r = &mut reg[i * REG_STRIDE..(i + 1) * REG_STRIDE];
        r[0] = 6.4; // +0.05 in x
        r[1] = -12.8; // -0.1 in y
        r[2] = 32.0; // width 0.25
        r[3] = 64.0; // height 0.5
        for k in 0..6 {
            r[4 + 2 * k] = k as f32 * 1.28;
            r[5 + 2 * k] = -(k as f32) * 1.28;
        }
        let dets = decode(&reg, &logits, &anchors, 0.5);
        assert_eq!(dets.len(), 1);
        let d = &dets[0];
        let a = anchors[i];
        assert!((d.score - sigmoid(2.0)).abs() < 1e-6);
        let c = d.bbox.center();
        assert!((c.x - (a.x + 0.05)).abs() < 1e-6 && (c.y - (a.y - 0.1)).abs() < 1e-6);
        assert!((d.bbox.width() - 0.25).abs() < 1e-6 && (d.bbox.height() - 0.5).abs() < 1e-6);
        assert!((d.keypoints[3].x - (a.x + 0.03)).abs() < 1e-6 && (d.keypoints[3].y - (a.y - 0.03)).abs() < 1e-6);
        // Below threshold: nothing.
        assert!(decode(&reg, &logits, &anchors, 0.9).is_empty());
    }

    #[test]
    fn sigmoid_is_clipped() {
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-7);
        assert!(sigmoid(1e9).is_finite() && sigmoid(-1e9) >= 0.0);
    }

    fn det(score: f32, x0: f32, y0: f32, x1: f32, y1: f32) -> Detection {
        Detection { score, bbox: BBox { x0, y0, x1, y1 }, keypoints: [Point::new(x0, y0); 6] }
    }

    #[test]
    fn merge_averages_overlaps_by_score_and_keeps_separate_faces() {
        let dets = vec![
            det(0.6, 0.12, 0.1, 0.32, 0.3), // overlaps the first face
            det(0.9, 0.1, 0.1, 0.3, 0.3),
            det(0.8, 0.6, 0.6, 0.8, 0.8), // another face
        ];
        let merged = weighted_merge(dets, 0.3);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].score, 0.9);
        let expected_x0 = (0.9 * 0.1 + 0.6 * 0.12) / 1.5;
        assert!((merged[0].bbox.x0 - expected_x0).abs() < 1e-6);
        assert!((merged[0].keypoints[0].x - expected_x0).abs() < 1e-6);
        assert_eq!(merged[1].bbox, BBox { x0: 0.6, y0: 0.6, x1: 0.8, y1: 0.8 });
    }

    #[test]
    fn iou_values() {
        let a = BBox { x0: 0.0, y0: 0.0, x1: 2.0, y1: 2.0 };
        let b = BBox { x0: 1.0, y0: 0.0, x1: 3.0, y1: 2.0 };
        assert!((a.iou(&b) - 1.0 / 3.0).abs() < 1e-6);
        assert_eq!(a.iou(&BBox { x0: 5.0, y0: 5.0, x1: 6.0, y1: 6.0 }), 0.0);
    }
}
