//! Alignment for the embedding network: a least-squares similarity transform from FaceMesh points
//! onto dlib's face template, giving the 150x150 chip dlib's ResNet was trained on.

use crate::geometry::{fit_similarity, Affine};
use crate::landmarks::Landmark;

/// Side of the aligned chip.
pub const CHIP_SIZE: usize = 150;
/// dlib's chip padding (`get_face_chip_details(shape, 150, 0.25)`).
pub const CHIP_PADDING: f64 = 0.25;

/// dlib's 5-point template (its `shape_predictor_5_face_landmarks` points: subject-left eye outer,
/// inner, subject-right eye outer, inner, nose base), in template units (0..1 before padding).
pub const DLIB_5_TEMPLATE: [(f64, f64); 5] = [
    (0.8595674595992, 0.2134981538014),
    (0.6460604764104, 0.2289674387677),
    (0.1205750620789, 0.2137274526848),
    (0.3340850613712, 0.2290642403242),
    (0.4901123135679, 0.6277975316475),
];
/// FaceMesh points matching [`DLIB_5_TEMPLATE`].
pub const MESH_5: [usize; 5] = [263, 362, 33, 133, 2];

/// dlib's mean face (points 17..67 of the 68-point scheme, template units), as used by
/// `get_face_chip_details` for 68-point shapes.
const DLIB_MEAN_X: [f64; 51] = [
    0.000213256,
    0.0752622,
    0.18113,
    0.29077,
    0.393397,
    0.586856,
    0.689483,
    0.799124,
    0.904991,
    0.98004,
    0.490127,
    0.490127,
    0.490127,
    0.490127,
    0.36688,
    0.426036,
    0.490127,
    0.554217,
    0.613373,
    0.121737,
    0.187122,
    0.265825,
    0.334606,
    0.260918,
    0.182743,
    0.645647,
    0.714428,
    0.793132,
    0.858516,
    0.79751,
    0.719335,
    0.254149,
    0.340985,
    0.428858,
    0.490127,
    0.551395,
    0.639268,
    0.726104,
    0.642159,
    0.556721,
    0.490127,
    0.423532,
    0.338094,
    0.290379,
    0.428096,
    0.490127,
    0.552157,
    0.689874,
    0.553364,
    0.490127,
    0.42689,
];
const DLIB_MEAN_Y: [f64; 51] = [
    0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454, 0.203352,
    0.307009, 0.409805, 0.515625, 0.587326, 0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852,
    0.231733, 0.245099, 0.244077, 0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099, 0.780233, 0.745405,
    0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805, 0.902192, 0.909281, 0.902192, 0.864805, 0.784792,
    0.778746, 0.785343, 0.778746, 0.784792, 0.824182, 0.831803, 0.824182,
];

/// FaceMesh points standing for the dlib 68-point landmarks that dlib's own chip alignment uses
/// (nose 27-35, eyes 36-47, upper outer lip 48-54, inner lip 60-64; brows, jaw and lower lip are
/// ignored by dlib). Several mesh points are averaged where one dlib point lies between them.
pub const MESH_FOR_DLIB68: [(usize, &[usize]); 33] = [
    (27, &[168, 6]),
    (28, &[197, 195]),
    (29, &[5]),
    (30, &[4]),
    (31, &[75]),
    (32, &[97]),
    (33, &[2]),
    (34, &[326]),
    (35, &[305]),
    (36, &[33]),
    (37, &[160]),
    (38, &[158]),
    (39, &[133]),
    (40, &[153]),
    (41, &[144]),
    (42, &[362]),
    (43, &[385]),
    (44, &[387]),
    (45, &[263]),
    (46, &[373]),
    (47, &[380]),
    (48, &[61]),
    (49, &[39]),
    (50, &[37]),
    (51, &[0]),
    (52, &[267]),
    (53, &[269]),
    (54, &[291]),
    (60, &[78]),
    (61, &[82]),
    (62, &[13]),
    (63, &[312]),
    (64, &[308]),
];

/// Which landmark correspondences drive the alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlignPoints {
    /// dlib's 5-point template from FaceMesh [263, 362, 33, 133, 2].
    Five,
    /// dlib's 68-point mean face (the 33 points dlib's own alignment uses), from FaceMesh.
    Dlib68,
    /// The same without the mouth (dlib points 27-47: nose and eyes).
    Dlib68EyesNose,
}

fn template_to_chip(t: (f64, f64)) -> (f64, f64) {
    let s = CHIP_SIZE as f64 / (1.0 + 2.0 * CHIP_PADDING);
    ((CHIP_PADDING + t.0) * s, (CHIP_PADDING + t.1) * s)
}

/// Template points in chip pixels (dlib's pixel-centre convention) and the matching landmark
/// positions (image, converted to the same convention).
pub fn correspondences(lm: &[Landmark], points: AlignPoints) -> (Vec<(f64, f64)>, Vec<(f64, f64)>) {
    let px = |idx: &[usize]| {
        let n = idx.len() as f64;
        let (sx, sy) = idx.iter().fold((0.0, 0.0), |(x, y), &i| (x + lm[i].x as f64, y + lm[i].y as f64));
        // Edge convention (centre of pixel i at i + 0.5) -> dlib's (centre at i).
        (sx / n - 0.5, sy / n - 0.5)
    };
    match points {
        AlignPoints::Five => {
            (DLIB_5_TEMPLATE.iter().map(|&t| template_to_chip(t)).collect(), MESH_5.iter().map(|&i| px(&[i])).collect())
        }
        AlignPoints::Dlib68 | AlignPoints::Dlib68EyesNose => {
            let keep = |d: usize| points == AlignPoints::Dlib68 || d <= 47;
            let used: Vec<&(usize, &[usize])> = MESH_FOR_DLIB68.iter().filter(|(d, _)| keep(*d)).collect();
            (
                used.iter().map(|(d, _)| template_to_chip((DLIB_MEAN_X[d - 17], DLIB_MEAN_Y[d - 17]))).collect(),
                used.iter().map(|(_, m)| px(m)).collect(),
            )
        }
    }
}

/// Chip -> image transform (edge convention on both sides, ready for [`crate::geometry::warp_rgb`]):
/// the least-squares similarity from the template to the landmarks, as dlib's `get_face_chip_details`.
pub fn chip_to_image(lm: &[Landmark], points: AlignPoints) -> Option<Affine> {
    let (src, dst) = correspondences(lm, points);
    let t = fit_similarity(&src, &dst)?;
    // edge(p) = t(p - 0.5) + 0.5
    Some(Affine::translation(0.5, 0.5).then_after(&t).then_after(&Affine::translation(-0.5, -0.5)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landmarks::MESH_POINTS;

    /// Landmarks placed exactly on the template under a known transform are mapped back onto the chip.
    #[test]
    fn perfect_landmarks_recover_the_transform() {
        let truth = Affine::similarity(2.0, 0.3, 40.0, 25.0); // chip(dlib conv) -> image(dlib conv)
        for points in [AlignPoints::Five, AlignPoints::Dlib68, AlignPoints::Dlib68EyesNose] {
            let mut lm = vec![Landmark::default(); MESH_POINTS];
            let place = |lm: &mut Vec<Landmark>, idx: &[usize], t: (f64, f64)| {
                let (x, y) = truth.apply_f64(template_to_chip(t).0, template_to_chip(t).1);
                for &i in idx {
                    lm[i] = Landmark { x: (x + 0.5) as f32, y: (y + 0.5) as f32, z: 0.0 };
                }
            };
            match points {
                AlignPoints::Five => {
                    for (k, &i) in MESH_5.iter().enumerate() {
                        place(&mut lm, &[i], DLIB_5_TEMPLATE[k]);
                    }
                }
                AlignPoints::Dlib68 | AlignPoints::Dlib68EyesNose => {
                    for (d, m) in MESH_FOR_DLIB68 {
                        place(&mut lm, m, (DLIB_MEAN_X[d - 17], DLIB_MEAN_Y[d - 17]));
                    }
                }
            }
            let m = chip_to_image(&lm, points).unwrap();
            assert!((m.scale() - 2.0).abs() < 1e-4, "{points:?}: {m:?}");
            assert!((m.angle() - 0.3).abs() < 1e-4);
            // Chip pixel centre (75.5, 75.5) edge conv = (75, 75) dlib conv.
            let (x, y) = m.apply_f64(75.5, 75.5);
            let (ex, ey) = truth.apply_f64(75.0, 75.0);
            assert!((x - 0.5 - ex).abs() < 1e-3 && (y - 0.5 - ey).abs() < 1e-3);
        }
    }

    #[test]
    fn the_two_templates_agree_on_eyes_and_nose() {
        // dlib's 5-point template and its 68-point mean face put eye corners and nose base within
        // 0.01 template units of each other: the two alignments are compatible.
        let pairs = [(0, 45), (1, 42), (2, 36), (3, 39), (4, 33)];
        for (f, d) in pairs {
            let (x5, y5) = DLIB_5_TEMPLATE[f];
            assert!((x5 - DLIB_MEAN_X[d - 17]).abs() < 0.02 && (y5 - DLIB_MEAN_Y[d - 17]).abs() < 0.02, "{f} {d}");
        }
    }
}
