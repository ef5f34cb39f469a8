//! Depthwise convolution (one k x k filter per channel, NCHW, f32), what the three MediaPipe models are
//! mostly made of. tract 0.23 has no x86 SIMD routine for it (`profile_models` here: 22-41 % of those
//! models' time for 4-16 % of their multiply-adds). This one runs every plane as a single vectorised pass:
//! the input copied into a zero-bordered plane (split into its four phases for stride 2), each tap then
//! a run of consecutive values, so that the `k x k` taps of 16 outputs are summed in one AVX-512
//! register (two AVX2 registers, or plain loops elsewhere).
//!
//! The sums are the products of the definition added tap by tap (row-major over the kernel) onto the
//! bias: the results differ from tract's only by float rounding (tests compare with an f64 sum, and the
//! models' outputs with tract's).

/// Whether the engine uses this instead of tract's depthwise convolution: yes unless `FACE_DEPTHWISE=0`
/// (to compare the two; read once).
pub fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("FACE_DEPTHWISE").map_or(true, |v| v.trim() != "0"))
}

/// Output height and width of a `k x k` convolution of stride `stride` and zero padding `pads`
/// (`[top, left, bottom, right]`) on `h x w`; `None` when the padded input is smaller than the kernel.
pub(crate) fn output_size(k: usize, stride: usize, pads: [usize; 4], h: usize, w: usize) -> Option<(usize, usize)> {
    let [t, l, b, r] = pads;
    let (ph, pw) = (h + t + b, w + l + r);
    (ph >= k && pw >= k).then(|| ((ph - k) / stride + 1, (pw - k) / stride + 1))
}

/// How a `k x k` convolution of stride 1 or 2 lays out one input plane of `h x w`: zero-bordered by
/// `pads`, split for stride 2 into its four even/odd row/column phases, so that each tap of the kernel reads
/// one run of consecutive values over a full-width output grid of `oh x qw` (the columns past the
/// output's width are computed and dropped).
pub(crate) struct Phases {
    stride: usize,
    top: usize,
    left: usize,
    /// columns of a phase (and of the output grid)
    pub qw: usize,
    /// values of one phase
    pub phase_len: usize,
}

impl Phases {
    pub fn new(h: usize, w: usize, stride: usize, pads: [usize; 4]) -> Phases {
        let [t, l, b, r] = pads;
        let (qh, qw) = ((h + t + b).div_ceil(stride), (w + l + r).div_ceil(stride));
        Phases { stride, top: t, left: l, qw, phase_len: qh * qw }
    }

    /// Values of a plane's phases together.
    pub fn plane_len(&self) -> usize {
        self.stride * self.stride * self.phase_len
    }

    /// Where tap `(ky, kx)`'s run starts in a plane's phases.
    pub fn tap(&self, ky: usize, kx: usize) -> usize {
        let s = self.stride;
        ((ky % s) * s + kx % s) * self.phase_len + (ky / s) * self.qw + kx / s
    }

    /// Copies the plane `src` (rows of `w`) into its phases `dst` (at least [`Phases::plane_len`] values
    /// whose border is zero; the border is never written).
    pub fn fill(&self, src: &[f32], w: usize, dst: &mut [f32]) {
        let (qw, phase_len) = (self.qw, self.phase_len);
        for (y, row) in src.chunks_exact(w).enumerate() {
            let py = y + self.top;
            if self.stride == 1 {
                dst[py * qw + self.left..py * qw + self.left + w].copy_from_slice(row);
            } else {
                // stride 2: padded column px goes to phase (py % 2, px % 2), position px / 2
                let base = (py % 2) * 2 * phase_len + (py / 2) * qw;
                let (even, odd) = dst[base..base + phase_len + qw].split_at_mut(phase_len);
                for (x, v) in row.iter().enumerate() {
                    let px = x + self.left;
                    if px.is_multiple_of(2) {
                        even[px / 2] = *v;
                    } else {
                        odd[px / 2] = *v;
                    }
                }
            }
        }
    }
}

/// A depthwise convolution with constant weights: `channels` filters of `k x k`, stride 1 or 2,
/// zero padding `[top, left, bottom, right]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Depthwise {
    channels: usize,
    k: usize,
    stride: usize,
    pads: [usize; 4],
    /// `channels x k x k`, row-major per channel
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl Depthwise {
    /// `None` for shapes this does not cover (stride other than 1 or 2, weights or bias of the wrong
    /// length, an empty kernel).
    pub fn new(
        weights: &[f32],
        bias: &[f32],
        channels: usize,
        k: usize,
        stride: usize,
        pads: [usize; 4],
    ) -> Option<Self> {
        let ok = k > 0 && (stride == 1 || stride == 2) && weights.len() == channels * k * k && bias.len() == channels;
        ok.then(|| Depthwise { channels, k, stride, pads, weights: weights.to_vec(), bias: bias.to_vec() })
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Output height and width for an input of `h x w`; `None` when the padded input is smaller than
    /// the kernel.
    pub fn output_size(&self, h: usize, w: usize) -> Option<(usize, usize)> {
        output_size(self.k, self.stride, self.pads, h, w)
    }

    /// Runs on `x`: `n` images of `channels x h x w`. Panics when `x` has another length or the input
    /// is smaller than the kernel (the op checks both when the model is built).
    pub fn run(&self, x: &[f32], n: usize, h: usize, w: usize) -> Vec<f32> {
        let (oh, ow) = self.output_size(h, w).expect("input at least as large as the kernel");
        assert_eq!(x.len(), n * self.channels * h * w, "input length");
        let mut out = vec![0f32; n * self.channels * oh * ow];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the feature was just detected.
                unsafe {
                    self.planes(x, &mut out, h, w, oh, ow, |l, st, t, b, n, o| simd::block_avx512(l, st, t, b, n, o))
                };
                return out;
            }
            if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                // SAFETY: the features were just detected.
                unsafe {
                    self.planes(x, &mut out, h, w, oh, ow, |l, st, t, b, n, o| simd::block_avx2(l, st, t, b, n, o))
                };
                return out;
            }
        }
        self.planes(x, &mut out, h, w, oh, ow, block_scalar);
        out
    }

    /// Every plane: copied into a zero-bordered scratch plane, split by stride 2 into its four phases
    /// (even/odd rows x even/odd columns), then the whole output computed [`LANES`] values at a time by
    /// `block` (the `k x k` taps summed in registers). Output `(y, x)` is
    /// `sum w[ky][kx] * phase(ky % s, kx % s)[(y + ky / s) * qw + x + kx / s]` for phases of `qw` columns:
    /// each tap reads one run of consecutive values, so the plane is one run of blocks (the columns past
    /// the output's width, computed too, are dropped). Small planes (8 x 8 in the iris model) are then
    /// not all loop overhead.
    #[allow(clippy::too_many_arguments)]
    fn planes(
        &self,
        x: &[f32],
        out: &mut [f32],
        h: usize,
        w: usize,
        oh: usize,
        ow: usize,
        block: impl Fn(&[f32], &[usize], &[f32], f32, usize, &mut [f32]),
    ) {
        let k = self.k;
        let layout = Phases::new(h, w, self.stride, self.pads);
        let qw = layout.qw;
        // Blocks read up to LANES - 1 values past the last tap's run: slack after the last phase.
        let mut phases = vec![0f32; layout.plane_len() + qw + k + LANES];
        let starts: Vec<usize> = (0..k * k).map(|i| layout.tap(i / k, i % k)).collect();
        let mut full = vec![0f32; oh * qw + LANES];
        for (plane, (src, dst)) in x.chunks_exact(h * w).zip(out.chunks_exact_mut(oh * ow)).enumerate() {
            let c = plane % self.channels;
            layout.fill(src, w, &mut phases);
            block(&phases, &starts, &self.weights[c * k * k..(c + 1) * k * k], self.bias[c], oh * qw, &mut full);
            for (orow, frow) in dst.chunks_exact_mut(ow).zip(full.chunks(qw)) {
                orow.copy_from_slice(&frow[..ow]);
            }
        }
    }
}

/// Values per block of an output row (one AVX-512 register).
const LANES: usize = 16;

/// One output row: `out[x] = bias + sum over taps i of weights[i] * lines[starts[i] + x]`, for `x < n`;
/// `lines` holds at least `n` rounded up to [`LANES`] values from every start.
fn block_scalar(lines: &[f32], starts: &[usize], weights: &[f32], bias: f32, n: usize, out: &mut [f32]) {
    for (x, o) in out[..n].iter_mut().enumerate() {
        *o = starts.iter().zip(weights).fold(bias, |acc, (&st, w)| acc + lines[st + x] * w);
    }
}

#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::*;

    use super::LANES;

    /// Checks once per row what the loops below then read without checks: `n` rounded up to whole
    /// blocks of [`LANES`] values from every start, and one weight per start.
    fn check(lines: &[f32], starts: &[usize], weights: &[f32], n: usize, out: &[f32]) {
        let last = starts.iter().max().copied().unwrap_or(0) + n.div_ceil(LANES) * LANES;
        assert!(last <= lines.len() && weights.len() >= starts.len() && out.len() >= n, "block bounds");
    }

    /// [`super::block_scalar`] with AVX-512: 16 outputs per register, four independent sums at a time
    /// (two left the multiply-adds waiting on each other's latency), then two, then one.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn block_avx512(lines: &[f32], starts: &[usize], weights: &[f32], bias: f32, n: usize, out: &mut [f32]) {
        check(lines, starts, weights, n, out);
        let (src, dst) = (lines.as_ptr(), out.as_mut_ptr());
        let mut x0 = 0;
        while x0 + 4 * LANES <= n {
            let mut acc = [_mm512_set1_ps(bias); 4];
            for (i, &st) in starts.iter().enumerate() {
                let w = _mm512_set1_ps(*weights.get_unchecked(i));
                let p = src.add(st + x0);
                for (j, a) in acc.iter_mut().enumerate() {
                    *a = _mm512_fmadd_ps(_mm512_loadu_ps(p.add(j * LANES)), w, *a);
                }
            }
            for (j, a) in acc.iter().enumerate() {
                _mm512_storeu_ps(dst.add(x0 + j * LANES), *a);
            }
            x0 += 4 * LANES;
        }
        while x0 + 2 * LANES <= n {
            let (mut a, mut b) = (_mm512_set1_ps(bias), _mm512_set1_ps(bias));
            for (i, &st) in starts.iter().enumerate() {
                let w = _mm512_set1_ps(*weights.get_unchecked(i));
                let p = src.add(st + x0);
                a = _mm512_fmadd_ps(_mm512_loadu_ps(p), w, a);
                b = _mm512_fmadd_ps(_mm512_loadu_ps(p.add(LANES)), w, b);
            }
            _mm512_storeu_ps(dst.add(x0), a);
            _mm512_storeu_ps(dst.add(x0 + LANES), b);
            x0 += 2 * LANES;
        }
        while x0 < n {
            let mut a = _mm512_set1_ps(bias);
            for (i, &st) in starts.iter().enumerate() {
                a = _mm512_fmadd_ps(_mm512_loadu_ps(src.add(st + x0)), _mm512_set1_ps(*weights.get_unchecked(i)), a);
            }
            let m = LANES.min(n - x0);
            _mm512_mask_storeu_ps(dst.add(x0), ((1u32 << m) - 1) as u16, a);
            x0 += LANES;
        }
    }

    /// [`super::block_scalar`] with AVX2 and FMA: 8 outputs per register, two registers per block.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn block_avx2(lines: &[f32], starts: &[usize], weights: &[f32], bias: f32, n: usize, out: &mut [f32]) {
        check(lines, starts, weights, n, out);
        let src = lines.as_ptr();
        for x0 in (0..n).step_by(LANES) {
            let (mut a, mut b) = (_mm256_set1_ps(bias), _mm256_set1_ps(bias));
            for (i, &st) in starts.iter().enumerate() {
                let w = _mm256_set1_ps(*weights.get_unchecked(i));
                let p = src.add(st + x0);
                a = _mm256_fmadd_ps(_mm256_loadu_ps(p), w, a);
                b = _mm256_fmadd_ps(_mm256_loadu_ps(p.add(8)), w, b);
            }
            let mut block = [0f32; LANES];
            _mm256_storeu_ps(block.as_mut_ptr(), a);
            _mm256_storeu_ps(block.as_mut_ptr().add(8), b);
            let m = LANES.min(n - x0);
            out[x0..x0 + m].copy_from_slice(&block[..m]);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The definition, summed in f64.
    fn reference(d: &Depthwise, x: &[f32], n: usize, h: usize, w: usize) -> Vec<f64> {
        let (oh, ow) = d.output_size(h, w).unwrap();
        let (k, s, [t, l, _, _]) = (d.k, d.stride, d.pads);
        let mut out = Vec::new();
        for plane in 0..n * d.channels {
            let c = plane % d.channels;
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut acc = d.bias[c] as f64;
                    for ky in 0..k {
                        for kx in 0..k {
                            let (iy, ix) = ((oy * s + ky) as isize - t as isize, (ox * s + kx) as isize - l as isize);
                            if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < w {
                                let v = x[plane * h * w + iy as usize * w + ix as usize] as f64;
                                acc += v * d.weights[c * k * k + ky * k + kx] as f64;
                            }
                        }
                    }
                    out.push(acc);
                }
            }
        }
        out
    }

    /// Values in -1..1 from a xorshift sequence (shared with the other routines' tests).
    pub(crate) fn pseudo_random(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2654435761).wrapping_add(1);
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
    fn equals_the_definition_for_the_models_shapes() {
        // (channels, k, stride, pads, h, w, batch): MediaPipe's 3x3 and 5x5, stride 1 "same" and
        // stride 2 with the padding after, odd sizes, a plane smaller than the kernel plus padding.
        let cases = [
            (16, 3, 1, [1, 1, 1, 1], 96, 96, 1),
            (24, 5, 1, [2, 2, 2, 2], 64, 64, 1),
            (32, 3, 2, [0, 0, 1, 1], 48, 48, 1),
            (28, 5, 2, [1, 1, 2, 2], 33, 31, 2),
            (8, 3, 1, [1, 1, 1, 1], 1, 1, 3),
            (5, 3, 2, [0, 0, 0, 0], 7, 9, 1),
            (3, 1, 1, [0, 0, 0, 0], 4, 4, 1),
        ];
        for (i, &(c, k, s, pads, h, w, n)) in cases.iter().enumerate() {
            let d =
                Depthwise::new(&pseudo_random(c * k * k, i as u32), &pseudo_random(c, 99 + i as u32), c, k, s, pads)
                    .unwrap();
            let x = pseudo_random(n * c * h * w, 7 + i as u32);
            let want = reference(&d, &x, n, h, w);
            // what `run` picks on this CPU, and each other routine this CPU can run
            let (oh, ow) = d.output_size(h, w).unwrap();
            let mut results = vec![("run", d.run(&x, n, h, w))];
            let mut scalar = vec![0f32; want.len()];
            d.planes(&x, &mut scalar, h, w, oh, ow, block_scalar);
            results.push(("scalar", scalar));
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                let mut avx2 = vec![0f32; want.len()];
                // SAFETY: the features were just detected.
                unsafe {
                    d.planes(&x, &mut avx2, h, w, oh, ow, |l, st, t, b, n, o| simd::block_avx2(l, st, t, b, n, o))
                };
                results.push(("avx2", avx2));
            }
            for (how, got) in results {
                assert_eq!(got.len(), want.len(), "case {i} {how}");
                let worst = got.iter().zip(&want).map(|(g, w)| (*g as f64 - w).abs()).fold(0.0, f64::max);
                assert!(worst < 1e-5, "case {i} {how}: max error {worst}");
            }
        }
    }

    #[test]
    fn refuses_what_it_does_not_cover() {
        assert!(Depthwise::new(&[0.0; 9], &[0.0], 1, 3, 3, [0; 4]).is_none());
        assert!(Depthwise::new(&[0.0; 8], &[0.0], 1, 3, 1, [0; 4]).is_none());
        assert!(Depthwise::new(&[0.0; 9], &[0.0, 0.0], 1, 3, 1, [0; 4]).is_none());
        let d = Depthwise::new(&[0.0; 9], &[0.0], 1, 3, 1, [0; 4]).unwrap();
        assert_eq!(d.output_size(2, 5), None);
        assert_eq!(d.output_size(3, 5), Some((1, 3)));
    }
}
