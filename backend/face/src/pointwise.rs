//! Pointwise (1 x 1, stride 1, unpadded, ungrouped) convolution on NCHW f32: the layer after every
//! depthwise convolution of the three MediaPipe models. tract 0.23 runs it as a matrix product that
//! first packs the activations (`profile_models` on an AVX-512 Xeon: packing 0.57 of FaceMesh's 3.9 ms,
//! the products 1.56 ms, at 16-34 GFLOP/s for the whole model). Here the product reads the planes as
//! they are: for 48 pixels (three AVX-512 registers) and 8 output channels, 24 sums stay in registers
//! while the input channels are walked, each weight broadcast once per 48 pixels. The same product runs
//! the models' first layers ([`SmallConv`]: 3 input channels, a row per channel x tap over phase planes,
//! instead of tract's `im2col`). Only with AVX-512 ([`enabled`]); elsewhere the engine keeps tract's.
//!
//! Each output is the bias plus the products added in input-channel order: the results differ from
//! tract's only by float rounding (tests compare with an f64 sum, and the models' outputs with tract's).

/// Output channels per block (8 x 3 registers of sums).
const CO: usize = 8;
/// Floats per AVX-512 register.
const LANES: usize = 16;

/// Whether the engine uses this instead of tract's product: on CPUs with AVX-512 unless
/// `FACE_POINTWISE=0` (to compare the two; read once).
pub fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| {
        let off = std::env::var("FACE_POINTWISE").is_ok_and(|v| v.trim() == "0");
        !off && avx512()
    })
}

fn avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Constant weights of a product `out[co][p] = bias[co] + sum_k w[co][k] * row_k[p]`, packed for the
/// SIMD routine.
#[derive(Debug, Clone, PartialEq)]
struct Weights {
    /// Length of the sums (input channels, or input channels x kernel taps).
    k: usize,
    cout: usize,
    /// Per block of [`CO`] output channels, `k x CO` weights (`k`-major; zero past `cout`).
    packed: Vec<f32>,
    /// One bias per output channel, zero past `cout` up to whole blocks.
    bias: Vec<f32>,
}

impl Weights {
    /// `weights` is `cout x k`; `None` when the lengths do not match.
    fn new(weights: &[f32], bias: &[f32], cout: usize, k: usize) -> Option<Self> {
        if k == 0 || cout == 0 || weights.len() != cout * k || bias.len() != cout {
            return None;
        }
        let blocks = cout.div_ceil(CO);
        let mut packed = vec![0f32; blocks * k * CO];
        for co in 0..cout {
            for i in 0..k {
                packed[(co / CO) * k * CO + i * CO + co % CO] = weights[co * k + i];
            }
        }
        let mut padded = bias.to_vec();
        padded.resize(blocks * CO, 0.0);
        Some(Weights { k, cout, packed, bias: padded })
    }

    /// `out[co * n + p] = bias[co] + sum_k w[co][k] * x[rows[k] + p]` for `p < n`.
    fn product(&self, rows: &[usize], x: &[f32], out: &mut [f32], n: usize) {
        assert!(rows.len() == self.k && out.len() >= self.cout * n, "product shape");
        assert!(rows.iter().all(|r| r + n <= x.len()), "rows inside the input");
        #[cfg(target_arch = "x86_64")]
        if avx512() {
            // SAFETY: the feature was just detected; `image_avx512` checks the bounds it relies on.
            unsafe { simd::image_avx512(self, rows, x, out, n) };
            return;
        }
        self.product_scalar(rows, x, out, n);
    }

    /// The definition, in the same order of additions as the SIMD routine.
    fn product_scalar(&self, rows: &[usize], x: &[f32], out: &mut [f32], n: usize) {
        for co in 0..self.cout {
            let w = &self.packed[(co / CO) * self.k * CO..];
            for p in 0..n {
                let mut s = self.bias[co];
                for (i, r) in rows.iter().enumerate() {
                    s += x[r + p] * w[i * CO + co % CO];
                }
                out[co * n + p] = s;
            }
        }
    }
}

/// A 1 x 1 convolution with constant weights: `cout` outputs of `cin` inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Pointwise {
    w: Weights,
}

impl Pointwise {
    /// `weights` is `cout x cin` (OIHW of a 1 x 1 kernel); `None` when the lengths do not match.
    pub fn new(weights: &[f32], bias: &[f32], cout: usize, cin: usize) -> Option<Self> {
        Weights::new(weights, bias, cout, cin).map(|w| Pointwise { w })
    }

    pub fn output_channels(&self) -> usize {
        self.w.cout
    }

    /// Runs on `x`: `n` images of `cin x hw` values. Panics when `x` has another length.
    pub fn run(&self, x: &[f32], n: usize, hw: usize) -> Vec<f32> {
        let (cin, cout) = (self.w.k, self.w.cout);
        assert_eq!(x.len(), n * cin * hw, "input length");
        let mut out = vec![0f32; n * cout * hw];
        if hw == 0 {
            return out;
        }
        let rows: Vec<usize> = (0..cin).map(|c| c * hw).collect();
        for (xi, oi) in x.chunks_exact(cin * hw).zip(out.chunks_exact_mut(cout * hw)) {
            self.w.product(&rows, xi, oi, hw);
        }
        out
    }
}

/// A convolution on few input channels (the models' first layers, on the RGB planes): `cout` filters of
/// `cin x k x k`, stride 1 or 2, zero padding `[top, left, bottom, right]`. The input is copied once into
/// zero-bordered planes, split for stride 2 into their four even/odd phases (as in
/// [`crate::depthwise`]), so that each of the `cin x k x k` taps reads one run of consecutive values of
/// a full-width output grid: the same product as [`Pointwise`], with a row per tap (no `im2col` copy).
#[derive(Debug, Clone, PartialEq)]
pub struct SmallConv {
    w: Weights,
    cin: usize,
    k: usize,
    stride: usize,
    pads: [usize; 4],
}

impl SmallConv {
    /// At most this many input channels (the layers on an image's three planes).
    pub const MAX_INPUT_CHANNELS: usize = 4;

    /// `weights` is OIHW; `None` for shapes this does not cover.
    pub fn new(weights: &[f32], bias: &[f32], cout: usize, cin: usize, k: usize, stride: usize, pads: [usize; 4]) -> Option<Self> {
        let ok = (1..=Self::MAX_INPUT_CHANNELS).contains(&cin) && k > 0 && (stride == 1 || stride == 2);
        ok.then_some(())?;
        Weights::new(weights, bias, cout, cin * k * k).map(|w| SmallConv { w, cin, k, stride, pads })
    }

    pub fn output_channels(&self) -> usize {
        self.w.cout
    }

    /// Output height and width for an input of `h x w`; `None` when the padded input is smaller than
    /// the kernel.
    pub fn output_size(&self, h: usize, w: usize) -> Option<(usize, usize)> {
        crate::depthwise::output_size(self.k, self.stride, self.pads, h, w)
    }

    /// Runs on `x`: `n` images of `cin x h x w`. Panics when `x` has another length or the input is
    /// smaller than the kernel (the op checks both when the model is built).
    pub fn run(&self, x: &[f32], n: usize, h: usize, w: usize) -> Vec<f32> {
        let (oh, ow) = self.output_size(h, w).expect("input at least as large as the kernel");
        let (cin, cout, k, s) = (self.cin, self.w.cout, self.k, self.stride);
        assert_eq!(x.len(), n * cin * h * w, "input length");
        let layout = crate::depthwise::Phases::new(h, w, s, self.pads);
        let (qw, plane) = (layout.qw, layout.plane_len());
        // every tap's row: the channel's phases, then the tap's start in them
        let rows: Vec<usize> =
            (0..cin * k * k).map(|i| (i / (k * k)) * plane + layout.tap(i % (k * k) / k, i % k)).collect();
        let grid = oh * qw;
        let mut phases = vec![0f32; cin * plane + qw + k];
        let mut full = vec![0f32; cout * grid];
        let mut out = vec![0f32; n * cout * oh * ow];
        for (xi, oi) in x.chunks_exact(cin * h * w).zip(out.chunks_exact_mut(cout * oh * ow)) {
            for (c, src) in xi.chunks_exact(h * w).enumerate() {
                layout.fill(src, w, &mut phases[c * plane..(c + 1) * plane]);
            }
            self.w.product(&rows, &phases, &mut full, grid);
            for (orow, frow) in oi.chunks_exact_mut(ow).zip(full.chunks_exact(qw)) {
                orow.copy_from_slice(&frow[..ow]);
            }
        }
        out
    }
}

#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::*;

    use super::{Weights, CO, LANES};

    /// One image: `out[co * n + p] = bias[co] + sum_k w[k][co] * x[rows[k] + p]` for `p < n` (for a
    /// 1 x 1 convolution `rows[k] = k * n`), in tiles of 48 pixels, the last one narrower and masked.
    /// `x` must hold every `rows[k] + n`.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn image_avx512(pw: &Weights, rows: &[usize], x: &[f32], out: &mut [f32], n: usize) {
        let reach = rows.iter().max().map_or(0, |r| r + n);
        assert!(rows.len() == pw.k && reach <= x.len() && out.len() >= pw.cout * n);
        assert!(pw.packed.len() >= pw.cout.div_ceil(CO) * pw.k * CO && pw.bias.len() >= pw.cout.div_ceil(CO) * CO);
        let mut p0 = 0;
        while p0 < n {
            let rem = n - p0;
            let mask = if rem >= 3 * LANES || rem.is_multiple_of(LANES) { 0xFFFF } else { ((1u32 << (rem % LANES)) - 1) as u16 };
            match rem.div_ceil(LANES) {
                1 => tile::<1>(pw, rows, x, out, n, p0, mask),
                2 => tile::<2>(pw, rows, x, out, n, p0, mask),
                _ => tile::<3>(pw, rows, x, out, n, p0, mask),
            }
            p0 += 3 * LANES;
        }
    }

    /// `NB` registers of pixels from `p0` (the last one loaded and stored under `last`) for every block of
    /// output channels. Every pointer formed stays inside `x` / `out`: a tile starts at a pixel `< n`
    /// and its last register holds at least one pixel `< n` (the rest masked off).
    #[target_feature(enable = "avx512f")]
    unsafe fn tile<const NB: usize>(
        pw: &Weights,
        rows: &[usize],
        x: &[f32],
        out: &mut [f32],
        n: usize,
        p0: usize,
        last: u16,
    ) {
        let (xp, op) = (x.as_ptr(), out.as_mut_ptr());
        for blk in 0..pw.cout.div_ceil(CO) {
            let w = pw.packed.as_ptr().add(blk * pw.k * CO);
            let mut acc = [[_mm512_setzero_ps(); NB]; CO];
            for (j, row) in acc.iter_mut().enumerate() {
                let b = _mm512_set1_ps(*pw.bias.get_unchecked(blk * CO + j));
                for a in row.iter_mut() {
                    *a = b;
                }
            }
            for (ci, &r) in rows.iter().enumerate() {
                let xr = xp.add(r + p0);
                let mut xv = [_mm512_setzero_ps(); NB];
                for (k, v) in xv.iter_mut().enumerate() {
                    *v = if k + 1 == NB {
                        _mm512_maskz_loadu_ps(last, xr.add(k * LANES))
                    } else {
                        _mm512_loadu_ps(xr.add(k * LANES))
                    };
                }
                let wr = w.add(ci * CO);
                for (j, row) in acc.iter_mut().enumerate() {
                    let wv = _mm512_set1_ps(*wr.add(j));
                    for (a, v) in row.iter_mut().zip(xv.iter()) {
                        *a = _mm512_fmadd_ps(*v, wv, *a);
                    }
                }
            }
            let valid = (pw.cout - blk * CO).min(CO);
            for (j, row) in acc.iter().enumerate().take(valid) {
                let orow = op.add((blk * CO + j) * n + p0);
                for (k, a) in row.iter().enumerate() {
                    if k + 1 == NB {
                        _mm512_mask_storeu_ps(orow.add(k * LANES), last, *a);
                    } else {
                        _mm512_storeu_ps(orow.add(k * LANES), *a);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amx::tests::reference as conv_reference;
    use crate::depthwise::tests::pseudo_random as values;

    fn reference(w: &[f32], b: &[f32], x: &[f32], cout: usize, cin: usize, hw: usize) -> Vec<f64> {
        let mut out = vec![0f64; cout * hw];
        for co in 0..cout {
            for p in 0..hw {
                out[co * hw + p] =
                    b[co] as f64 + (0..cin).map(|ci| w[co * cin + ci] as f64 * x[ci * hw + p] as f64).sum::<f64>();
            }
        }
        out
    }

    #[test]
    fn equals_the_definition_on_every_tail_of_pixels_and_channels() {
        // pixel counts around the 16 / 48 boundaries, channel counts off the block of 8, two images
        for &(cout, cin) in &[(1, 1), (8, 3), (13, 7), (16, 16), (24, 32), (48, 128), (128, 64)] {
            for &hw in &[1, 4, 15, 16, 17, 31, 33, 47, 48, 49, 64, 95, 96, 100, 9 * 9, 576] {
                let (w, b) = (values(cout * cin, 1), values(cout, 2));
                let x = values(2 * cin * hw, 3);
                let pw = Pointwise::new(&w, &b, cout, cin).unwrap();
                let got = pw.run(&x, 2, hw);
                assert_eq!(got.len(), 2 * cout * hw);
                for img in 0..2 {
                    let want = reference(&w, &b, &x[img * cin * hw..(img + 1) * cin * hw], cout, cin, hw);
                    for (i, (g, r)) in got[img * cout * hw..(img + 1) * cout * hw].iter().zip(&want).enumerate() {
                        let tol = 1e-5 * (cin as f64).sqrt().max(1.0) * (1.0 + r.abs());
                        assert!((*g as f64 - r).abs() <= tol, "cout {cout} cin {cin} hw {hw} img {img} at {i}: {g} vs {r}");
                    }
                }
            }
        }
    }

    #[test]
    fn simd_and_scalar_agree() {
        let (cout, cin, hw) = (20, 24, 70);
        let pw = Pointwise::new(&values(cout * cin, 4), &values(cout, 5), cout, cin).unwrap();
        let x = values(cin * hw, 6);
        let mut scalar = vec![0f32; cout * hw];
        let rows: Vec<usize> = (0..cin).map(|c| c * hw).collect();
        pw.w.product_scalar(&rows, &x, &mut scalar, hw);
        let got = pw.run(&x, 1, hw);
        for (g, s) in got.iter().zip(&scalar) {
            assert!((g - s).abs() <= 1e-5 * (1.0 + s.abs()), "{g} vs {s}");
        }
    }

    #[test]
    fn small_conv_equals_the_definition() {
        // first layers of the models (3x3 s2 asymmetric padding, 5x5 s2, 3x3 s1 "same"), odd sizes, batch 2
        for &(cout, cin, k, s, pads, h, w) in &[
            (16, 3, 3, 2, [0, 0, 1, 1], 192, 192),
            (24, 3, 5, 2, [1, 1, 2, 2], 33, 30),
            (13, 3, 3, 1, [1, 1, 1, 1], 17, 9),
            (8, 1, 3, 2, [1, 1, 1, 1], 7, 8),
            (32, 4, 7, 2, [3, 3, 3, 3], 21, 21),
        ] {
            let (wt, b) = (values(cout * cin * k * k, 7), values(cout, 8));
            let x = values(2 * cin * h * w, 9);
            let conv = SmallConv::new(&wt, &b, cout, cin, k, s, pads).unwrap();
            let got = conv.run(&x, 2, h, w);
            for img in 0..2 {
                let want = conv_reference(&x[img * cin * h * w..(img + 1) * cin * h * w], &wt, &b, cin, cout, k, s, pads, h, w);
                let [t, l, bo, r] = pads;
                let (oh, ow) = ((h + t + bo - k) / s + 1, (w + l + r - k) / s + 1);
                assert_eq!(conv.output_size(h, w), Some((oh, ow)));
                let g = &got[img * cout * oh * ow..(img + 1) * cout * oh * ow];
                for (i, (g, r)) in g.iter().zip(&want).enumerate() {
                    assert!((*g as f64 - r).abs() <= 1e-4 * (1.0 + r.abs()), "k {k} s {s} img {img} at {i}: {g} vs {r}");
                }
            }
        }
        assert!(SmallConv::new(&[0.0; 5 * 9 * 2], &[0.0; 2], 2, 5, 3, 1, [1; 4]).is_none(), "5 input channels");
        assert!(SmallConv::new(&[0.0; 27], &[0.0], 1, 3, 3, 3, [0; 4]).is_none(), "stride 3");
    }

    #[test]
    fn rejects_weights_of_the_wrong_length() {
        assert!(Pointwise::new(&[1.0; 5], &[0.0; 2], 2, 3).is_none());
        assert!(Pointwise::new(&[1.0; 6], &[0.0; 3], 2, 3).is_none());
        assert!(Pointwise::new(&[], &[], 0, 3).is_none());
        assert_eq!(Pointwise::new(&[1.0; 6], &[0.0; 2], 2, 3).unwrap().output_channels(), 2);
    }
}
