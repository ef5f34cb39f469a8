//! FaceMesh and iris geometry: crop regions, the refinement of the eye contours, and the liveness
//! signals computed from the 468 points (eye aspect ratio, yaw, pitch). Pure functions.

use serde::{Deserialize, Serialize};

use crate::detect::Detection;
use crate::geometry::{Affine, Point};

/// FaceMesh input side.
pub const MESH_SIZE: usize = 192;
/// Iris model input side.
pub const IRIS_SIZE: usize = 64;
/// Number of FaceMesh points.
pub const MESH_POINTS: usize = 468;

/// The 16 FaceMesh points of the subject's right eye contour, in the order of the iris model's first
/// 16 contour outputs (lower lid from the outer corner 33 to the inner corner 133, then the upper lid).
pub const RIGHT_EYE_CONTOUR: [usize; 16] =
    [33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173];
/// Same for the subject's left eye (outer corner 263 to inner corner 362).
pub const LEFT_EYE_CONTOUR: [usize; 16] =
    [263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398];

/// Eye aspect ratio points `[p1..p6]`: corners p1/p4, upper lid p2/p3, lower lid p6/p5.
pub const RIGHT_EYE_EAR: [usize; 6] = [33, 160, 158, 133, 153, 144];
pub const LEFT_EYE_EAR: [usize; 6] = [362, 385, 387, 263, 373, 380];

/// A 3-D landmark: x, y in image pixels; z in image pixels too (relative depth, smaller = closer).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Landmark {
    pub x: f32,
    pub y: f32,
    pub z: f32,
}

impl Landmark {
    pub fn xy(&self) -> Point {
        Point::new(self.x, self.y)
    }
}

/// Maps model-crop coordinates (0..side) to image coordinates for a square crop of `size` image
/// pixels centred on `center`, whose x axis follows the unit vector `axis` (and y its perpendicular,
/// pointing "down"), sampled at `side` pixels. `mirror` flips the crop horizontally.
pub fn crop_to_image(center: Point, axis: Point, size: f32, side: usize, mirror: bool) -> Affine {
    let k = size as f64 / side as f64;
    let (ux, uy) = (axis.x as f64, axis.y as f64);
    let sx = if mirror { -1.0 } else { 1.0 };
    // p = c + ux_axis * sx * (u - side/2) * k + perp * (v - side/2) * k, perp = (-uy, ux)
    let h = side as f64 / 2.0;
    let a = sx * ux * k;
    let b = -uy * k;
    let d = sx * uy * k;
    let e = ux * k;
    Affine([a, b, center.x as f64 - a * h - b * h, d, e, center.y as f64 - d * h - e * h])
}

fn unit(a: Point, b: Point) -> Point {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let n = (dx * dx + dy * dy).sqrt();
    if n > 1e-6 {
        Point::new(dx / n, dy / n)
    } else {
        Point::new(1.0, 0.0)
    }
}

/// FaceMesh crop for a detection (image coordinates): centred on the box, side 1.5 x max(w, h),
/// rotated so that the eyes (keypoints 0 and 1) are level. Returns crop -> image.
pub fn mesh_crop(det: &Detection) -> Affine {
    let c = det.bbox.center();
    let side = 1.5 * det.bbox.width().max(det.bbox.height());
    let axis = unit(det.keypoints[0], det.keypoints[1]);
    crop_to_image(c, axis, side, MESH_SIZE, false)
}

/// A refined crop from a first set of mesh points: centred on the mesh's bounding box along the eye
/// axis, side 1.5 x its larger extent (MediaPipe's landmarks-to-ROI step).
pub fn mesh_crop_from_landmarks(lm: &[Landmark]) -> Affine {
    let axis = unit(lm[33].xy(), lm[263].xy());
    let perp = Point::new(-axis.y, axis.x);
    let (mut u0, mut u1, mut v0, mut v1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for p in lm {
        let u = p.x * axis.x + p.y * axis.y;
        let v = p.x * perp.x + p.y * perp.y;
        u0 = u0.min(u);
        u1 = u1.max(u);
        v0 = v0.min(v);
        v1 = v1.max(v);
    }
    let (cu, cv) = ((u0 + u1) / 2.0, (v0 + v1) / 2.0);
    let c = Point::new(cu * axis.x + cv * perp.x, cu * axis.y + cv * perp.y);
    let side = 1.5 * (u1 - u0).max(v1 - v0);
    crop_to_image(c, axis, side, MESH_SIZE, false)
}

/// Iris-model crop for one eye: centred between the two corners, side 2.3 x the corner distance,
/// rotated level; the subject's left eye is mirrored (the model was trained on right eyes as they
/// appear in the image's left half). Returns crop -> image (mirror included, so outputs map back
/// through the same transform).
pub fn iris_crop(lm: &[Landmark], left_eye: bool) -> Affine {
    let (a, b) = if left_eye { (lm[362].xy(), lm[263].xy()) } else { (lm[33].xy(), lm[133].xy()) };
    let c = a.mid(b);
    let side = 2.3 * a.dist(b);
    crop_to_image(c, unit(a, b), side, IRIS_SIZE, left_eye)
}

/// Writes the first 16 iris-model contour points (already mapped to image coordinates) over the
/// mesh's eye contour, as MediaPipe's landmark refinement does.
pub fn refine_eye(lm: &mut [Landmark], contour: &[Point], left_eye: bool) {
    let idx = if left_eye { &LEFT_EYE_CONTOUR } else { &RIGHT_EYE_CONTOUR };
    for (&i, p) in idx.iter().zip(contour) {
        lm[i].x = p.x;
        lm[i].y = p.y;
    }
}

/// Eye aspect ratio `(|p2-p6| + |p3-p5|) / (2 |p1-p4|)` for six points.
pub fn eye_aspect_ratio(p: [Point; 6]) -> f32 {
    let w = p[0].dist(p[3]);
    if w < 1e-6 {
        return 0.0;
    }
    (p[1].dist(p[5]) + p[2].dist(p[4])) / (2.0 * w)
}

/// EAR of the subject's right and left eye.
pub fn eye_openness(lm: &[Landmark]) -> (f32, f32) {
    let pick = |idx: &[usize; 6]| {
        let mut p = [Point::default(); 6];
        for (o, &i) in p.iter_mut().zip(idx) {
            *o = lm[i].xy();
        }
        eye_aspect_ratio(p)
    };
    (pick(&RIGHT_EYE_EAR), pick(&LEFT_EYE_EAR))
}

/// Yaw ratio `(a - b) / (a + b)` with `a = (p1 - p234)·u`, `b = (p454 - p1)·u`, `u` the unit vector
/// from point 33 to 263: 0 frontal, positive = the subject turned to their own left (nose toward the
/// image's right in an unmirrored frame), -1..1.
pub fn yaw_ratio(lm: &[Landmark]) -> f32 {
    let u = unit(lm[33].xy(), lm[263].xy());
    let proj = |p: Point| p.x * u.x + p.y * u.y;
    let a = proj(lm[1].xy()) - proj(lm[234].xy());
    let b = proj(lm[454].xy()) - proj(lm[1].xy());
    if (a + b).abs() < 1e-6 {
        return 0.0;
    }
    ((a - b) / (a + b)).clamp(-1.0, 1.0)
}

/// Proportions of a face that a blink leaves alone and a tilted photo changes (no eye points in them):
/// measured along the eye line `u` (33 -> 263, as in [`yaw_ratio`]) and across it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FaceShape {
    /// Width `(p454 - p234)·u` over the height forehead (10) to chin (152) across `u`: a photo turned
    /// about its vertical axis is foreshortened horizontally and reads narrower, one turned about its
    /// horizontal axis reads wider.
    pub width_to_height: f32,
    /// Forehead (10) to nose tip (1) over forehead to chin, across `u`: under perspective, a photo
    /// nodding forward or back changes it (the nearer half is magnified), in opposite directions.
    pub nose_height: f32,
}

/// The [`FaceShape`] of a mesh; invariant to scale, shift and roll. `None` without the mesh's points
/// or for a degenerate face.
pub fn face_shape(lm: &[Landmark]) -> Option<FaceShape> {
    if lm.len() < MESH_POINTS {
        return None;
    }
    let u = unit(lm[33].xy(), lm[263].xy());
    let along = |a: usize, b: usize| (lm[b].x - lm[a].x) * u.x + (lm[b].y - lm[a].y) * u.y;
    let across = |a: usize, b: usize| ((lm[b].y - lm[a].y) * u.x - (lm[b].x - lm[a].x) * u.y).abs();
    let height = across(10, 152);
    let shape = FaceShape { width_to_height: along(234, 454) / height, nose_height: across(10, 1) / height };
    (height > 1e-6 && shape.width_to_height.is_finite() && shape.nose_height.is_finite()).then_some(shape)
}

/// Pitch in degrees from the mesh's depth: the angle of the forehead (10) -> chin (152) line out of
/// the image plane. Positive = head tilted down (chin away from the camera), negative = up.
pub fn pitch_degrees(lm: &[Landmark]) -> f32 {
    let (top, chin) = (lm[10], lm[152]);
    let len = top.xy().dist(chin.xy());
    if len < 1e-6 {
        return 0.0;
    }
    (chin.z - top.z).atan2(len).to_degrees()
}

/// Roll in degrees: angle of the eye line (33 -> 263) against the image's horizontal.
pub fn roll_degrees(lm: &[Landmark]) -> f32 {
    let u = unit(lm[33].xy(), lm[263].xy());
    u.y.atan2(u.x).to_degrees()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::BBox;

    #[test]
    fn ear_of_known_shapes() {
        // Corners 10 apart, lids 3 above/below: EAR = (6 + 6) / 20 = 0.6.
        let p = [
            Point::new(0.0, 0.0),
            Point::new(3.0, -3.0),
            Point::new(7.0, -3.0),
            Point::new(10.0, 0.0),
            Point::new(7.0, 3.0),
            Point::new(3.0, 3.0),
        ];
        assert!((eye_aspect_ratio(p) - 0.6).abs() < 1e-6);
        // Closed lids: 0.
        let closed =
            [p[0], Point::new(3.0, 0.0), Point::new(7.0, 0.0), p[3], Point::new(7.0, 0.0), Point::new(3.0, 0.0)];
        assert_eq!(eye_aspect_ratio(closed), 0.0);
        // Invariant to rotation and scale.
        let t = Affine::similarity(2.5, 0.7, 4.0, -1.0);
        let q = p.map(|x| t.apply(x));
        assert!((eye_aspect_ratio(q) - 0.6).abs() < 1e-5);
    }

    fn face(nose_x: f32) -> Vec<Landmark> {
        let mut lm = vec![Landmark::default(); MESH_POINTS];
        lm[33] = Landmark { x: 30.0, y: 40.0, z: 0.0 };
        lm[263] = Landmark { x: 70.0, y: 40.0, z: 0.0 };
        lm[234] = Landmark { x: 10.0, y: 50.0, z: 0.0 };
        lm[454] = Landmark { x: 90.0, y: 50.0, z: 0.0 };
        lm[1] = Landmark { x: nose_x, y: 60.0, z: -10.0 };
        lm[10] = Landmark { x: 50.0, y: 0.0, z: 0.0 };
        lm[152] = Landmark { x: 50.0, y: 100.0, z: 0.0 };
        lm
    }

    #[test]
    fn yaw_sign_and_magnitude() {
        assert!(yaw_ratio(&face(50.0)).abs() < 1e-6);
        // Nose toward the image's right = subject's own left = positive.
        let y = yaw_ratio(&face(70.0));
        assert!((y - 0.5).abs() < 1e-6, "{y}");
        assert!(yaw_ratio(&face(25.0)) < -0.5);
        // A mirrored frame flips the sign.
        let mut m = face(70.0);
        for p in m.iter_mut() {
            p.x = 100.0 - p.x;
        }
        // After mirroring, 33/263 and 234/454 swap sides; the formula follows the points, not the sides.
        m.swap(33, 263);
        m.swap(234, 454);
        assert!((yaw_ratio(&m) + 0.5).abs() < 1e-6);
    }

    #[test]
    fn face_shape_ignores_scale_and_roll_and_sees_foreshortening() {
        let lm = face(50.0);
        let s = face_shape(&lm).unwrap();
        assert!((s.width_to_height - 0.8).abs() < 1e-6, "{s:?}"); // 80 wide along the eye line, 100 high
        assert!((s.nose_height - 0.6).abs() < 1e-6, "{s:?}"); // nose tip 60 below the forehead
        let t = Affine::similarity(1.7, 0.6, 30.0, -12.0);
        let moved: Vec<Landmark> = lm
            .iter()
            .map(|p| {
                let q = t.apply(p.xy());
                Landmark { x: q.x, y: q.y, z: p.z }
            })
            .collect();
        let m = face_shape(&moved).unwrap();
        assert!((m.width_to_height - s.width_to_height).abs() < 1e-5 && (m.nose_height - s.nose_height).abs() < 1e-5);
        // A print turned 40 degrees about its vertical axis: every width shrinks by cos(40°).
        let c = 40f32.to_radians().cos();
        let turned: Vec<Landmark> = lm.iter().map(|p| Landmark { x: 50.0 + (p.x - 50.0) * c, ..*p }).collect();
        assert!((face_shape(&turned).unwrap().width_to_height / s.width_to_height - c).abs() < 1e-5);
        // Nodding with perspective: the lower half (farther) shrinks more than the upper half.
        let nodded: Vec<Landmark> = lm.iter().map(|p| Landmark { y: p.y / (1.0 + p.y / 400.0), ..*p }).collect();
        let n = face_shape(&nodded).unwrap();
        assert!(n.nose_height > s.nose_height * 1.05 && n.width_to_height > s.width_to_height, "{n:?}");
        assert_eq!(face_shape(&lm[..100]), None);
    }

    #[test]
    fn pitch_and_roll() {
        let mut lm = face(50.0);
        assert!(pitch_degrees(&lm).abs() < 1e-6);
        lm[152].z = 100.0; // chin 45 degrees away from the camera
        assert!((pitch_degrees(&lm) - 45.0).abs() < 1e-4);
        assert!(roll_degrees(&lm).abs() < 1e-6);
        lm[263].y = 80.0;
        assert!((roll_degrees(&lm) - 45.0).abs() < 1e-4);
    }

    #[test]
    fn mesh_crop_is_centred_rotated_and_sized() {
        let det = Detection {
            score: 0.9,
            bbox: BBox { x0: 100.0, y0: 200.0, x1: 200.0, y1: 280.0 },
            keypoints: [
                Point::new(120.0, 220.0),
                Point::new(180.0, 280.0),
                Point::default(),
                Point::default(),
                Point::default(),
                Point::default(),
            ],
        };
        let m = mesh_crop(&det);
        let c = m.apply(Point::new(96.0, 96.0));
        assert!((c.x - 150.0).abs() < 1e-4 && (c.y - 240.0).abs() < 1e-4);
        assert!((m.scale() - 150.0 / 192.0).abs() < 1e-6);
        // The crop's x axis follows the eye line (45 degrees here).
        assert!((m.angle().to_degrees() - 45.0).abs() < 1e-6);
        assert!(m.det() > 0.0);
    }

    #[test]
    fn iris_crop_mirrors_the_left_eye() {
        let mut lm = vec![Landmark::default(); MESH_POINTS];
        lm[33] = Landmark { x: 10.0, y: 50.0, z: 0.0 };
        lm[133] = Landmark { x: 30.0, y: 50.0, z: 0.0 };
        lm[362] = Landmark { x: 50.0, y: 50.0, z: 0.0 };
        lm[263] = Landmark { x: 70.0, y: 50.0, z: 0.0 };
        let r = iris_crop(&lm, false);
        let l = iris_crop(&lm, true);
        assert!(r.det() > 0.0 && l.det() < 0.0);
        // Centre of each crop is between its eye's corners; side is 2.3 x 20 px.
        let c = l.apply(Point::new(32.0, 32.0));
        assert!((c.x - 60.0).abs() < 1e-4 && (c.y - 50.0).abs() < 1e-4);
        assert!((r.scale() - 46.0 / 64.0).abs() < 1e-9);
        // In the mirrored crop, the outer corner (263, image right) appears on the crop's left,
        // where the right eye's outer corner (33) appears in its own crop.
        let inv_l = l.inverse().unwrap();
        let inv_r = r.inverse().unwrap();
        assert!((inv_l.apply(lm[263].xy()).x - inv_r.apply(lm[33].xy()).x).abs() < 1e-4);
    }
}
