//! 2-D geometry: points, affine maps, the least-squares similarity transform (Umeyama, no reflection)
//! and bilinear warping with an area pre-filter.
//!
//! Coordinate convention used everywhere in this crate: continuous image coordinates where pixel
//! `(i, j)` covers `[i, i+1] x [j, j+1]`, so its centre is `(i + 0.5, j + 0.5)`. This is what the
//! MediaPipe models output (normalised coordinates times the input size).

use image::RgbImage;
use serde::{Deserialize, Serialize};

/// A point in image coordinates (see the module docs for the convention).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

impl Point {
    pub const fn new(x: f32, y: f32) -> Self {
        Point { x, y }
    }
    pub fn dist(self, o: Point) -> f32 {
        ((self.x - o.x).powi(2) + (self.y - o.y).powi(2)).sqrt()
    }
    pub fn mid(self, o: Point) -> Point {
        Point::new((self.x + o.x) * 0.5, (self.y + o.y) * 0.5)
    }
}

/// An affine map `x' = a*x + b*y + c`, `y' = d*x + e*y + f`, stored as `[a, b, c, d, e, f]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine(pub [f64; 6]);

impl Affine {
    pub const IDENTITY: Affine = Affine([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);

    pub fn translation(tx: f64, ty: f64) -> Affine {
        Affine([1.0, 0.0, tx, 0.0, 1.0, ty])
    }

    pub fn scaling(sx: f64, sy: f64) -> Affine {
        Affine([sx, 0.0, 0.0, 0.0, sy, 0.0])
    }

    /// Rotation by `angle` radians (counter-clockwise in a y-up frame) and uniform scale, then translation.
    pub fn similarity(scale: f64, angle: f64, tx: f64, ty: f64) -> Affine {
        let (s, c) = angle.sin_cos();
        Affine([scale * c, -scale * s, tx, scale * s, scale * c, ty])
    }

    pub fn apply(&self, p: Point) -> Point {
        let (x, y) = self.apply_f64(p.x as f64, p.y as f64);
        Point::new(x as f32, y as f32)
    }

    pub fn apply_f64(&self, x: f64, y: f64) -> (f64, f64) {
        let m = &self.0;
        (m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5])
    }

    /// `self ∘ other`: first `other`, then `self`.
    pub fn then_after(&self, other: &Affine) -> Affine {
        let a = &self.0;
        let b = &other.0;
        Affine([
            a[0] * b[0] + a[1] * b[3],
            a[0] * b[1] + a[1] * b[4],
            a[0] * b[2] + a[1] * b[5] + a[2],
            a[3] * b[0] + a[4] * b[3],
            a[3] * b[1] + a[4] * b[4],
            a[3] * b[2] + a[4] * b[5] + a[5],
        ])
    }

    pub fn det(&self) -> f64 {
        self.0[0] * self.0[4] - self.0[1] * self.0[3]
    }

    /// Geometric mean of the two axis scales (`sqrt(|det|)`).
    pub fn scale(&self) -> f64 {
        self.det().abs().sqrt()
    }

    pub fn inverse(&self) -> Option<Affine> {
        let det = self.det();
        if !det.is_finite() || det.abs() < 1e-12 {
            return None;
        }
        let m = &self.0;
        let ia = m[4] / det;
        let ib = -m[1] / det;
        let id = -m[3] / det;
        let ie = m[0] / det;
        Some(Affine([ia, ib, -(ia * m[2] + ib * m[5]), id, ie, -(id * m[2] + ie * m[5])]))
    }

    /// Rotation angle of the map (radians), for a similarity.
    pub fn angle(&self) -> f64 {
        self.0[3].atan2(self.0[0])
    }
}

/// Least-squares similarity transform (rotation, uniform scale, translation; never a reflection)
/// mapping `src[i]` onto `dst[i]` (Umeyama 1991 in 2-D, which has the closed form of a complex
/// linear regression `dst = z * src + t`). Needs at least two distinct source points.
pub fn fit_similarity(src: &[(f64, f64)], dst: &[(f64, f64)]) -> Option<Affine> {
    let w = vec![1.0; src.len()];
    fit_similarity_weighted(src, dst, &w)
}

/// Weighted version of [`fit_similarity`] (weights must be >= 0).
pub fn fit_similarity_weighted(src: &[(f64, f64)], dst: &[(f64, f64)], w: &[f64]) -> Option<Affine> {
    if src.len() != dst.len() || src.len() != w.len() || src.len() < 2 {
        return None;
    }
    let sw: f64 = w.iter().sum();
    if sw <= 0.0 {
        return None;
    }
    let (mut msx, mut msy, mut mdx, mut mdy) = (0.0, 0.0, 0.0, 0.0);
    for ((s, d), &wi) in src.iter().zip(dst).zip(w) {
        msx += wi * s.0;
        msy += wi * s.1;
        mdx += wi * d.0;
        mdy += wi * d.1;
    }
    msx /= sw;
    msy /= sw;
    mdx /= sw;
    mdy /= sw;
    let (mut var, mut re, mut im) = (0.0, 0.0, 0.0);
    for ((s, d), &wi) in src.iter().zip(dst).zip(w) {
        let (sx, sy) = (s.0 - msx, s.1 - msy);
        let (dx, dy) = (d.0 - mdx, d.1 - mdy);
        var += wi * (sx * sx + sy * sy);
        // conj(s) * d
        re += wi * (sx * dx + sy * dy);
        im += wi * (sx * dy - sy * dx);
    }
    if var < 1e-12 {
        return None;
    }
    let a = re / var; // s*cos
    let b = im / var; // s*sin
    let tx = mdx - (a * msx - b * msy);
    let ty = mdy - (b * msx + a * msy);
    Some(Affine([a, -b, tx, b, a, ty]))
}

/// Warps `src` into an `out_w x out_h` RGB f32 buffer (HWC, values 0..255): output pixel centre `p`
/// samples `src` bilinearly at `out_to_src(p)`; outside the image is black. When the map shrinks the
/// image by more than 2x, the needed region is first reduced with an integer box (area) filter so the
/// bilinear step does not alias.
pub fn warp_rgb(src: &RgbImage, out_to_src: &Affine, out_w: usize, out_h: usize) -> Vec<f32> {
    let mut out = vec![0f32; out_w * out_h * 3];
    let scale = out_to_src.scale();
    let factor = scale.floor() as u32;
    if factor >= 2 {
        // Source footprint of the output (with a margin of one reduced pixel).
        let corners = [(0.0, 0.0), (out_w as f64, 0.0), (0.0, out_h as f64), (out_w as f64, out_h as f64)];
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for (x, y) in corners {
            let (sx, sy) = out_to_src.apply_f64(x, y);
            x0 = x0.min(sx);
            y0 = y0.min(sy);
            x1 = x1.max(sx);
            y1 = y1.max(sy);
        }
        let f = factor as f64;
        let (w, h) = (src.width() as f64, src.height() as f64);
        // Align the region to multiples of the factor so reduced pixels tile the source exactly.
        let rx0 = ((x0 - f).max(0.0) / f).floor() * f;
        let ry0 = ((y0 - f).max(0.0) / f).floor() * f;
        let rx1 = (x1 + f).min(w);
        let ry1 = (y1 + f).min(h);
        if rx1 <= rx0 || ry1 <= ry0 {
            return out; // entirely outside: black
        }
        let (small, sw, sh) = box_reduce(src, rx0 as u32, ry0 as u32, rx1 as u32, ry1 as u32, factor);
        // source coordinate -> reduced coordinate: (s - origin) / f
        let to_small = Affine([1.0 / f, 0.0, -rx0 / f, 0.0, 1.0 / f, -ry0 / f]);
        let m = to_small.then_after(out_to_src);
        sample_bilinear(&small, sw, sh, &m, &mut out, out_w, out_h);
    } else {
        // Sampled straight from the 8-bit pixels (converting the whole frame first cost more than the warp).
        sample_bilinear(src.as_raw(), src.width() as usize, src.height() as usize, out_to_src, &mut out, out_w, out_h);
    }
    out
}

/// Averages `factor x factor` blocks of the region `[x0, x1) x [y0, y1)` (x0, y0 multiples of factor);
/// a partial block at the right/bottom edge averages the pixels it has.
fn box_reduce(src: &RgbImage, x0: u32, y0: u32, x1: u32, y1: u32, factor: u32) -> (Vec<f32>, usize, usize) {
    let sw = (x1 - x0).div_ceil(factor) as usize;
    let sh = (y1 - y0).div_ceil(factor) as usize;
    let mut acc = vec![0u32; sw * sh * 3];
    let raw = src.as_raw();
    let stride = src.width() as usize * 3;
    let (x0, x1, f) = (x0 as usize, x1 as usize, factor as usize);
    // Row by row, block by block: no division per pixel (it cost more than the sums).
    for y in y0..y1 {
        let sy = ((y - y0) / factor) as usize;
        let row = &raw[y as usize * stride + x0 * 3..y as usize * stride + x1 * 3];
        let out = &mut acc[sy * sw * 3..(sy + 1) * sw * 3];
        for (block, o) in row.chunks(f * 3).zip(out.chunks_exact_mut(3)) {
            let (mut r, mut g, mut b) = (0u32, 0u32, 0u32);
            for p in block.chunks_exact(3) {
                r += p[0] as u32;
                g += p[1] as u32;
                b += p[2] as u32;
            }
            o[0] += r;
            o[1] += g;
            o[2] += b;
        }
    }
    // A block's pixel count: factor x factor, less at the right and bottom edges.
    let mut out = vec![0f32; sw * sh * 3];
    for sy in 0..sh {
        let rows = (y1 as usize - y0 as usize - sy * f).min(f);
        for sx in 0..sw {
            let cols = (x1 - x0 - sx * f).min(f);
            let inv = 1.0 / (rows * cols) as f32;
            let i = (sy * sw + sx) * 3;
            for c in 0..3 {
                out[i + c] = acc[i + c] as f32 * inv;
            }
        }
    }
    (out, sw, sh)
}

/// Bilinear sampling of an HWC RGB buffer (8-bit or f32); points outside are black (zero), and a sample
/// whose neighbours are partly outside blends with black, like OpenCV's BORDER_CONSTANT.
fn sample_bilinear<T: Copy + Into<f32>>(
    src: &[T],
    sw: usize,
    sh: usize,
    out_to_src: &Affine,
    out: &mut [f32],
    ow: usize,
    oh: usize,
) {
    let m = out_to_src.0;
    let (swi, shi) = (sw as i64, sh as i64);
    for oy in 0..oh {
        // Continuous source coordinate of the output pixel centre, shifted to pixel-centre indexing;
        // stepped along the row.
        let cy = oy as f64 + 0.5;
        let mut sx = m[0] * 0.5 + m[1] * cy + m[2] - 0.5;
        let mut sy = m[3] * 0.5 + m[4] * cy + m[5] - 0.5;
        for ox in 0..ow {
            let (px, py) = (sx, sy);
            sx += m[0];
            sy += m[3];
            if !(px > -1.0 && py > -1.0 && px < sw as f64 && py < sh as f64) {
                continue;
            }
            // floor() of a value > -1 without the libm call: truncate after shifting by one.
            let x0 = (px + 1.0) as i64 - 1;
            let y0 = (py + 1.0) as i64 - 1;
            let fx = (px - x0 as f64) as f32;
            let fy = (py - y0 as f64) as f32;
            let o = (oy * ow + ox) * 3;
            if x0 >= 0 && y0 >= 0 && x0 + 1 < swi && y0 + 1 < shi {
                // All four neighbours inside (nearly every pixel): no per-neighbour checks.
                let i = (y0 as usize * sw + x0 as usize) * 3;
                let j = i + sw * 3;
                for c in 0..3 {
                    let top = src[i + c].into() * (1.0 - fx) + src[i + 3 + c].into() * fx;
                    let bottom = src[j + c].into() * (1.0 - fx) + src[j + 3 + c].into() * fx;
                    out[o + c] = top * (1.0 - fy) + bottom * fy;
                }
                continue;
            }
            let weights =
                [(0, 0, (1.0 - fx) * (1.0 - fy)), (1, 0, fx * (1.0 - fy)), (0, 1, (1.0 - fx) * fy), (1, 1, fx * fy)];
            for (dx, dy, wgt) in weights {
                let (x, y) = (x0 + dx, y0 + dy);
                if x < 0 || y < 0 || x >= swi || y >= shi || wgt == 0.0 {
                    continue;
                }
                let i = (y as usize * sw + x as usize) * 3;
                out[o] += wgt * src[i].into();
                out[o + 1] += wgt * src[i + 1].into();
                out[o + 2] += wgt * src[i + 2].into();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn close(a: f64, b: f64, eps: f64) -> bool {
        (a - b).abs() < eps
    }

    #[test]
    fn recovers_a_known_similarity() {
        let truth = Affine::similarity(1.7, 0.4, 12.0, -30.0);
        let src: Vec<(f64, f64)> = vec![(0.0, 0.0), (10.0, 3.0), (-4.0, 8.0), (7.0, -6.0), (2.5, 2.5)];
        let dst: Vec<(f64, f64)> = src.iter().map(|&(x, y)| truth.apply_f64(x, y)).collect();
        let fit = fit_similarity(&src, &dst).unwrap();
        for i in 0..6 {
            assert!(close(fit.0[i], truth.0[i], 1e-9), "{fit:?} vs {truth:?}");
        }
        assert!(close(fit.scale(), 1.7, 1e-9));
        assert!(close(fit.angle(), 0.4, 1e-9));
    }

    #[test]
    fn fit_is_least_squares_with_noise_and_never_reflects() {
        let truth = Affine::similarity(0.5, -1.0, 3.0, 4.0);
        let src: Vec<(f64, f64)> =
            (0..20).map(|i| ((i as f64 * 1.3).sin() * 10.0, (i as f64 * 0.7).cos() * 10.0)).collect();
        let dst: Vec<(f64, f64)> = src
            .iter()
            .enumerate()
            .map(|(i, &(x, y))| {
                let (a, b) = truth.apply_f64(x, y);
                (a + ((i * 7) % 5) as f64 * 0.01 - 0.02, b - ((i * 3) % 5) as f64 * 0.01 + 0.02)
            })
            .collect();
        let fit = fit_similarity(&src, &dst).unwrap();
        assert!(close(fit.scale(), 0.5, 0.01));
        assert!(close(fit.angle(), -1.0, 0.01));
        // Mirrored points: the best similarity cannot reproduce them but must keep det > 0.
        let mirrored: Vec<(f64, f64)> = src.iter().map(|&(x, y)| (-x, y)).collect();
        let fit = fit_similarity(&src, &mirrored).unwrap();
        assert!(fit.det() >= 0.0);
    }

    #[test]
    fn degenerate_inputs_give_none() {
        assert!(fit_similarity(&[(1.0, 1.0)], &[(2.0, 2.0)]).is_none());
        assert!(fit_similarity(&[(1.0, 1.0), (1.0, 1.0)], &[(2.0, 2.0), (3.0, 3.0)]).is_none());
        assert!(Affine([0.0; 6]).inverse().is_none());
    }

    #[test]
    fn inverse_and_composition() {
        let a = Affine([1.5, 0.3, 7.0, -0.2, 0.9, -3.0]);
        let inv = a.inverse().unwrap();
        let id = inv.then_after(&a);
        for (x, y) in [(0.0, 0.0), (3.0, -9.0), (100.0, 42.0)] {
            let (u, v) = id.apply_f64(x, y);
            assert!(close(u, x, 1e-9) && close(v, y, 1e-9));
        }
        let b = Affine::translation(5.0, 1.0);
        let (u, v) = b.then_after(&a).apply_f64(2.0, 3.0);
        let (p, q) = a.apply_f64(2.0, 3.0);
        assert!(close(u, p + 5.0, 1e-12) && close(v, q + 1.0, 1e-12));
    }

    #[test]
    fn identity_warp_reproduces_pixels_and_borders_are_black() {
        let img = RgbImage::from_fn(20, 10, |x, y| Rgb([x as u8 * 10, y as u8 * 20, 77]));
        let out = warp_rgb(&img, &Affine::IDENTITY, 20, 10);
        for y in 0..10 {
            for x in 0..20 {
                let o = (y * 20 + x) * 3;
                assert_eq!(out[o], x as f32 * 10.0);
                assert_eq!(out[o + 1], y as f32 * 20.0);
                assert_eq!(out[o + 2], 77.0);
            }
        }
        // Shifted far away: all black.
        let out = warp_rgb(&img, &Affine::translation(1000.0, 0.0), 20, 10);
        assert!(out.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn downscaling_averages_instead_of_aliasing() {
        // A 1-pixel checkerboard shrunk 8x must come out as flat mid-grey, not as black or white.
        let img =
            RgbImage::from_fn(256, 256, |x, y| if (x + y) % 2 == 0 { Rgb([255, 255, 255]) } else { Rgb([0, 0, 0]) });
        let out = warp_rgb(&img, &Affine::scaling(8.0, 8.0), 32, 32);
        for y in 2..30 {
            for x in 2..30 {
                let v = out[(y * 32 + x) * 3];
                assert!((v - 127.5).abs() < 1.0, "pixel {x},{y} = {v}");
            }
        }
    }

    #[test]
    fn box_reduce_averages_partial_edge_blocks_over_the_pixels_they_have() {
        // 5x3 reduced by 2: blocks of 2x2, 1x2 (right edge), 2x1 (bottom), 1x1 (corner).
        let img = RgbImage::from_fn(5, 3, |x, y| {
            let v = (10 * x + 100 * y) as u8;
            Rgb([v, v / 2, 255 - v])
        });
        let (small, sw, sh) = box_reduce(&img, 0, 0, 5, 3, 2);
        assert_eq!((sw, sh), (3, 2));
        let px = |x: u32, y: u32| img.get_pixel(x, y).0.map(|c| c as f32);
        let mean = |pts: &[(u32, u32)]| {
            let mut m = [0f32; 3];
            for &(x, y) in pts {
                for (c, v) in m.iter_mut().zip(px(x, y)) {
                    *c += v / pts.len() as f32;
                }
            }
            m
        };
        let expect = [
            mean(&[(0, 0), (1, 0), (0, 1), (1, 1)]),
            mean(&[(2, 0), (3, 0), (2, 1), (3, 1)]),
            mean(&[(4, 0), (4, 1)]),
            mean(&[(0, 2), (1, 2)]),
            mean(&[(2, 2), (3, 2)]),
            mean(&[(4, 2)]),
        ];
        for (i, e) in expect.iter().enumerate() {
            for c in 0..3 {
                assert!(
                    (small[i * 3 + c] - e[c]).abs() < 1e-3,
                    "block {i} channel {c}: {} vs {}",
                    small[i * 3 + c],
                    e[c]
                );
            }
        }
    }

    #[test]
    fn rotation_warp_moves_a_bright_dot_where_expected() {
        let mut img = RgbImage::new(64, 64);
        img.put_pixel(40, 20, Rgb([255, 255, 255]));
        // out -> src: rotate 90 degrees about the image centre (32, 32).
        let rot = Affine::translation(32.0, 32.0)
            .then_after(&Affine::similarity(1.0, std::f64::consts::FRAC_PI_2, 0.0, 0.0))
            .then_after(&Affine::translation(-32.0, -32.0));
        let out = warp_rgb(&img, &rot, 64, 64);
        let mut best = (0, 0, 0.0f32);
        for y in 0..64 {
            for x in 0..64 {
                let v = out[(y * 64 + x) * 3];
                if v > best.2 {
                    best = (x, y, v);
                }
            }
        }
        // The dot's centre (40.5, 20.5) must be the image of the brightest output centre.
        let p = rot.apply(Point::new(best.0 as f32 + 0.5, best.1 as f32 + 0.5));
        assert!((p.x - 40.5).abs() < 0.01 && (p.y - 20.5).abs() < 0.01, "{best:?} -> {p:?}");
    }
}
