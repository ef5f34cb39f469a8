//! Pointwise (1 x 1, stride 1, unpadded, ungrouped) convolution on NCHW f32: the layer after every
//! depthwise convolution of the three MediaPipe models. tract 0.23 runs it as a matrix product that
//! first packs the activations (`profile_models` on an AVX-512 Xeon: packing 0.57 of FaceMesh's 3.9 ms,
//! the products 1.56 ms, at 16-34 GFLOP/s for the whole model). Here the product reads the planes as
//! they are: for 48 pixels (three AVX-512 registers) and 8 output channels, 24 sums stay in registers
//! while the input channels are walked, each weight broadcast once per 48 pixels. Only with AVX-512
//! ([`enabled`]); elsewhere the engine keeps tract's.
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

/// A 1 x 1 convolution with constant weights: `cout` outputs of `cin` inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Pointwise {
    cin: usize,
    cout: usize,
    /// Per block of [`CO`] output channels, `cin x CO` weights (input-channel major; zero past `cout`).
    packed: Vec<f32>,
    /// One bias per output channel, zero past `cout` up to whole blocks.
    bias: Vec<f32>,
}

impl Pointwise {
    /// `weights` is `cout x cin` (OIHW of a 1 x 1 kernel); `None` when the lengths do not match.
    pub fn new(weights: &[f32], bias: &[f32], cout: usize, cin: usize) -> Option<Self> {
        if cin == 0 || cout == 0 || weights.len() != cout * cin || bias.len() != cout {
            return None;
        }
        let blocks = cout.div_ceil(CO);
        let mut packed = vec![0f32; blocks * cin * CO];
        for co in 0..cout {
            for ci in 0..cin {
                packed[(co / CO) * cin * CO + ci * CO + co % CO] = weights[co * cin + ci];
            }
        }
        let mut padded = bias.to_vec();
        padded.resize(blocks * CO, 0.0);
        Some(Pointwise { cin, cout, packed, bias: padded })
    }

    pub fn output_channels(&self) -> usize {
        self.cout
    }

    /// Runs on `x`: `n` images of `cin x hw` values. Panics when `x` has another length.
    pub fn run(&self, x: &[f32], n: usize, hw: usize) -> Vec<f32> {
        assert_eq!(x.len(), n * self.cin * hw, "input length");
        let mut out = vec![0f32; n * self.cout * hw];
        if hw == 0 {
            return out;
        }
        for (xi, oi) in x.chunks_exact(self.cin * hw).zip(out.chunks_exact_mut(self.cout * hw)) {
            #[cfg(target_arch = "x86_64")]
            if avx512() {
                // SAFETY: the feature was just detected; the lengths are those checked above.
                unsafe { simd::image_avx512(self, xi, oi, hw) };
                continue;
            }
            self.image_scalar(xi, oi, hw);
        }
        out
    }

    /// The definition, in the same order of additions as the SIMD routine.
    fn image_scalar(&self, x: &[f32], out: &mut [f32], hw: usize) {
        for co in 0..self.cout {
            let w = &self.packed[(co / CO) * self.cin * CO..];
            for p in 0..hw {
                let mut s = self.bias[co];
                for ci in 0..self.cin {
                    s += x[ci * hw + p] * w[ci * CO + co % CO];
                }
                out[co * hw + p] = s;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::*;

    use super::{Pointwise, CO, LANES};

    /// One image (`cin x hw` in, `cout x hw` out): tiles of 48 pixels, the last one narrower and masked.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn image_avx512(pw: &Pointwise, x: &[f32], out: &mut [f32], hw: usize) {
        assert!(x.len() == pw.cin * hw && out.len() == pw.cout * hw && pw.packed.len() >= pw.cout.div_ceil(CO) * pw.cin * CO);
        let mut p0 = 0;
        while p0 < hw {
            let rem = hw - p0;
            let mask = if rem >= 3 * LANES || rem % LANES == 0 { 0xFFFF } else { ((1u32 << (rem % LANES)) - 1) as u16 };
            match rem.div_ceil(LANES) {
                1 => tile::<1>(pw, x, out, hw, p0, mask),
                2 => tile::<2>(pw, x, out, hw, p0, mask),
                _ => tile::<3>(pw, x, out, hw, p0, mask),
            }
            p0 += 3 * LANES;
        }
    }

    /// `NB` registers of pixels from `p0` (the last one loaded and stored under `last`) for every block of
    /// output channels. Every pointer formed stays inside `x` / `out`: a tile starts at a pixel `< hw`
    /// and its last register holds at least one pixel `< hw` (the rest masked off).
    #[target_feature(enable = "avx512f")]
    unsafe fn tile<const NB: usize>(pw: &Pointwise, x: &[f32], out: &mut [f32], hw: usize, p0: usize, last: u16) {
        let (xp, op) = (x.as_ptr(), out.as_mut_ptr());
        for blk in 0..pw.cout.div_ceil(CO) {
            let w = pw.packed.as_ptr().add(blk * pw.cin * CO);
            let mut acc = [[_mm512_setzero_ps(); NB]; CO];
            for (j, row) in acc.iter_mut().enumerate() {
                let b = _mm512_set1_ps(*pw.bias.get_unchecked(blk * CO + j));
                for a in row.iter_mut() {
                    *a = b;
                }
            }
            for ci in 0..pw.cin {
                let xr = xp.add(ci * hw + p0);
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
                let orow = op.add((blk * CO + j) * hw + p0);
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

    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2654435761).wrapping_add(12345);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
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
        pw.image_scalar(&x, &mut scalar, hw);
        let got = pw.run(&x, 1, hw);
        for (g, s) in got.iter().zip(&scalar) {
            assert!((g - s).abs() <= 1e-5 * (1.0 + s.abs()), "{g} vs {s}");
        }
    }

    #[test]
    fn rejects_weights_of_the_wrong_length() {
        assert!(Pointwise::new(&[1.0; 5], &[0.0; 2], 2, 3).is_none());
        assert!(Pointwise::new(&[1.0; 6], &[0.0; 3], 2, 3).is_none());
        assert!(Pointwise::new(&[], &[], 0, 3).is_none());
        assert_eq!(Pointwise::new(&[1.0; 6], &[0.0; 2], 2, 3).unwrap().output_channels(), 2);
    }
}
