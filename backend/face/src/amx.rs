//! Convolutions on Intel AMX (Advanced Matrix Extensions: Sapphire Rapids and later Xeons): every
//! convolution of the ResNet and BlazeFace's first layer ([`crate::engine::uses_amx`],
//! [`crate::tract_ops::amx_convs`]) when the CPU and the kernel allow it; everywhere else, and on every
//! other CPU, tract's own kernels run.
//!
//! AMX multiplies bf16 matrices into f32 accumulators (`TDPBF16PS`: a 16x16 f32 tile += a 16x32 bf16
//! tile times a 32x16 one). bf16 keeps 8 bits of mantissa, far too few for this network's parity target, so
//! every f32 value `v` is split in two bf16 values `hi + lo` (each rounded to nearest: `|v − hi − lo| ≤
//! 2^-17·|v|`) and each product is computed as `Wh·Xh + Wh·Xl + Wl·Xh` (the dropped `Wl·Xl` is ~2^-16 of
//! it), all accumulated in f32: close to an f32 convolution's own rounding, at three AMX products per
//! f32 one, which AMX still runs several times faster than AVX-512 runs one.
//!
//! A stride-1 convolution is an implicit matrix product, with no im2col copy: the input is laid out as
//! zero-bordered planes of channel pairs (`[C/2][(H+2p)·(W+2p)]` pairs of bf16: the "VNNI" layout AMX
//! takes its second operand in), so the operand of one kernel tap for 16 output positions and 16
//! channel pairs is 16 contiguous pairs in each of 16 planes, which one tile load reads with the plane
//! size as its stride. Outputs are computed on the bordered width (the 2p border columns of each row are
//! computed and dropped) and copied out with the bias added. A stride-2 convolution is first turned into a
//! stride-1 one by a 2x2 space-to-depth rearrangement of its (padded) input; see [`Conv`].
//!
//! Linux hands out AMX state only on request (`arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)`);
//! [`available`] asks once. `FACE_AMX=0` in the environment turns this path off (for comparisons).

use std::sync::OnceLock;

/// Whether this process can run the AMX convolutions: an x86-64 CPU with AMX-TILE and AMX-BF16, a kernel
/// that granted the tile state, and `FACE_AMX` not set to `0`.
pub fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| std::env::var("FACE_AMX").map_or(true, |v| v.trim() != "0") && x86::enable())
}

/// bf16 nearest to `v` (ties to even); the values here are finite.
#[inline]
fn bf16(v: f32) -> u16 {
    let b = v.to_bits();
    (b.wrapping_add(0x7fff + ((b >> 16) & 1)) >> 16) as u16
}

/// `v ≈ hi + lo` in bf16.
#[inline]
fn split(v: f32) -> (u16, u16) {
    let hi = bf16(v);
    (hi, bf16(v - f32::from_bits((hi as u32) << 16)))
}

/// Values of one 16-row x 32-column bf16 tile.
const TILE: usize = 16 * 32;

/// A 2-D convolution (square `k x k` kernel, no groups, dilation 1) of one of the two shapes this path
/// covers, its kernel packed for AMX:
/// - stride 1 with "same" zero padding (`k` odd, `k/2` on each side);
/// - stride 2 with any zero padding, computed as a stride-1 convolution of the (padded) input's 2x2
///   space-to-depth rearrangement (4x the channels, half the height and width) with a `ceil(k/2)` kernel
///   (the ResNet's 7x7 first layer and its 3x3 down-sampling layers, the MediaPipe models' first layer;
///   the taps the rearrangement adds have zero weights).
///
/// Channels are zero-padded to multiples of 32 inside.
#[derive(Debug)]
pub struct Conv {
    /// kernel size and padding of the stride-1 convolution computed
    k: usize,
    pad: usize,
    /// input channels as given; 32-channel blocks of the computed input (after space-to-depth)
    cin: usize,
    cin_tiles: usize,
    /// output channels; 16-channel blocks computed (an even number)
    cout: usize,
    cout_tiles: usize,
    space_to_depth: bool,
    /// zero padding (top, left, bottom, right) applied in the space-to-depth rearrangement
    s2d_pad: [usize; 4],
    /// Kernel as `[cout/16][tap][cin/32]` tiles of 16 output channels x 32 input channels, hi and lo parts.
    w_hi: Vec<u16>,
    w_lo: Vec<u16>,
    bias: Vec<f32>,
}

impl Conv {
    /// `kernel` in OIHW order (`cout x cin x k x k`), `bias` one value per output channel; `stride` 1
    /// ("same" padding: `pads` all `k/2`) or 2 (any `pads`: top, left, bottom, right). `None` for a shape
    /// this path does not cover.
    pub fn new(
        kernel: &[f32],
        bias: &[f32],
        cout: usize,
        cin: usize,
        k: usize,
        stride: usize,
        pads: [usize; 4],
    ) -> Option<Conv> {
        let covered = (stride == 1 && k % 2 == 1 && pads == [k / 2; 4] || stride == 2)
            && k > 0
            && cin > 0
            && cout > 0
            && kernel.len() == cout * cin * k * k
            && bias.len() == cout;
        if !covered {
            return None;
        }
        let space_to_depth = stride == 2;
        let (kc, cc, pad) = if space_to_depth { (k.div_ceil(2), 4 * cin, 0) } else { (k, cin, k / 2) };
        // 16-channel output blocks, in pairs (the kernel computes 32 output channels at a time)
        let (taps, cin_tiles, cout_tiles) = (kc * kc, cc.div_ceil(32), cout.div_ceil(32) * 2);
        let mut w_hi = vec![0u16; cout_tiles * taps * cin_tiles * TILE];
        let mut w_lo = vec![0u16; cout_tiles * taps * cin_tiles * TILE];
        for co in 0..cout {
            for ci in 0..cin {
                for ky in 0..k {
                    for kx in 0..k {
                        let v = kernel[((co * cin + ci) * k + ky) * k + kx];
                        // the computed convolution's tap and channel for this weight
                        let (tap, c) = if space_to_depth {
                            ((ky / 2) * kc + kx / 2, ci * 4 + (ky % 2) * 2 + kx % 2)
                        } else {
                            (ky * kc + kx, ci)
                        };
                        let tile = ((co / 16) * taps + tap) * cin_tiles + c / 32;
                        let at = tile * TILE + (co % 16) * 32 + c % 32;
                        (w_hi[at], w_lo[at]) = split(v);
                    }
                }
            }
        }
        Some(Conv {
            k: kc,
            pad,
            cin,
            cin_tiles,
            cout,
            cout_tiles,
            space_to_depth,
            s2d_pad: if space_to_depth { pads } else { [0; 4] },
            w_hi,
            w_lo,
            bias: bias.to_vec(),
        })
    }

    pub fn output_channels(&self) -> usize {
        self.cout
    }

    /// Output height and width for an `h x w` input.
    pub fn output_size(&self, h: usize, w: usize) -> (usize, usize) {
        let [t, l, b, r] = self.s2d_pad;
        let (h, w) = if self.space_to_depth { ((h + t + b).div_ceil(2), (w + l + r).div_ceil(2)) } else { (h, w) };
        (h + 2 * self.pad + 1 - self.k, w + 2 * self.pad + 1 - self.k)
    }

    /// The convolution of one `cin x h x w` (CHW) input; returns `cout x oh x ow` ([`Conv::output_size`]).
    /// Call only when [`available`] said yes.
    pub fn run(&self, x: &[f32], h: usize, w: usize) -> Vec<f32> {
        assert!(available(), "amx::Conv::run without AMX");
        assert_eq!(x.len(), self.cin * h * w, "amx::Conv input size");
        let (oh, ow) = self.output_size(h, w);
        let mut out = vec![0f32; self.cout * oh * ow];
        SCRATCH.with_borrow_mut(|s| {
            let g = if self.space_to_depth {
                let (h2, w2) = space_to_depth(x, self.cin, h, w, self.s2d_pad, &mut s.rearranged);
                let g = Grid::new(self.k, self.pad, h2, w2);
                g.pairs(&s.rearranged, self.cin * 4, self.cin_tiles * 32, &mut s.x_hi, &mut s.x_lo);
                g
            } else {
                let g = Grid::new(self.k, self.pad, h, w);
                g.pairs(x, self.cin, self.cin_tiles * 32, &mut s.x_hi, &mut s.x_lo);
                g
            };
            s.acc.resize(self.cout_tiles * 16 * g.n, 0.0);
            // SAFETY: `available()` checked the CPU and the kernel's permission; every tile load reads
            // inside the buffers (Grid sizes the planes so that every tap's 32 positions past any block
            // start fit) and every store writes inside `acc`.
            unsafe { x86::conv_tiles(self, &g, &s.x_hi, &s.x_lo, &mut s.acc) };
            for (co, plane) in out.chunks_exact_mut(oh * ow).enumerate() {
                let (acc, b) = (&s.acc[co * g.n..], self.bias[co]);
                for (y, row) in plane.chunks_exact_mut(ow).enumerate() {
                    for (o, a) in row.iter_mut().zip(&acc[y * g.wp..][..ow]) {
                        *o = a + b;
                    }
                }
            }
        });
        out
    }
}

/// Buffers reused from one convolution to the next on the same thread (fresh ones of this size come from
/// the allocator as new pages every time).
#[derive(Default)]
struct Scratch {
    rearranged: Vec<f32>,
    x_hi: Vec<u32>,
    x_lo: Vec<u32>,
    acc: Vec<f32>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// CHW `c x h x w`, zero-padded by `pad` (top, left, bottom, right), to `4c x ceil(h'/2) x ceil(w'/2)`
/// (`h'`, `w'` the padded size): channel `4c + 2dy + dx` holds the padded image's pixels at `(2y + dy,
/// 2x + dx)` (zero past the edge). Returns the rearranged height and width.
fn space_to_depth(x: &[f32], c: usize, h: usize, w: usize, pad: [usize; 4], out: &mut Vec<f32>) -> (usize, usize) {
    let [top, left, bottom, right] = pad;
    let (h2, w2) = ((h + top + bottom).div_ceil(2), (w + left + right).div_ceil(2));
    out.clear();
    out.resize(4 * c * h2 * w2, 0.0);
    for ch in 0..c {
        for y in 0..h {
            let (py, row) = (y + top, &x[(ch * h + y) * w..][..w]);
            for dx in 0..2 {
                // the source columns landing in this column phase, and where the first one goes
                let first = (dx + 2 - left % 2) % 2;
                let plane = (ch * 4 + (py % 2) * 2 + dx) * h2 * w2;
                let dst = &mut out[plane + (py / 2) * w2 + (first + left) / 2..][..w.saturating_sub(first).div_ceil(2)];
                for (d, v) in dst.iter_mut().zip(row.iter().skip(first).step_by(2)) {
                    *d = *v;
                }
            }
        }
    }
    (h2, w2)
}

/// Geometry of the bordered layout for one input size.
#[derive(Debug, Clone, Copy)]
struct Grid {
    k: usize,
    pad: usize,
    h: usize,
    w: usize,
    /// bordered width
    wp: usize,
    /// computed output positions (the output rows at the bordered width), rounded up to 32
    n: usize,
    /// values per plane of channel pairs
    plane: usize,
}

impl Grid {
    fn new(k: usize, pad: usize, h: usize, w: usize) -> Grid {
        let wp = w + 2 * pad;
        let oh = h + 2 * pad + 1 - k;
        let n = (oh * wp).div_ceil(32) * 32;
        let last_tap = (k - 1) * wp + (k - 1);
        Grid { k, pad, h, w, wp, n, plane: ((h + 2 * pad) * wp).max(n + last_tap) }
    }

    /// Offset of kernel tap `t` (row-major over the k x k kernel) in the bordered planes.
    fn tap_offset(&self, t: usize) -> usize {
        (t / self.k) * self.wp + t % self.k
    }

    /// Whether tap `t` reads any input value for some output, i.e. is not all border: on maps smaller
    /// than the kernel (the ResNet's last 3x3 convolution runs on a 1x1 map) the others are skipped,
    /// with their weights (their products are all zero).
    fn tap_reads_input(&self, t: usize) -> bool {
        let covers = |d: usize, n: usize| {
            let out = n + 2 * self.pad + 1 - self.k; // outputs along this axis
            d < n + self.pad && d + out > self.pad // input rows d - pad ..= d - pad + out - 1 meet 0..n
        };
        covers(t / self.k, self.h) && covers(t % self.k, self.w)
    }

    /// The CHW input (`cin` channels) as bordered planes of channel pairs, hi and lo parts, `cin_p`
    /// channels (the rest zero).
    fn pairs(&self, x: &[f32], cin: usize, cin_p: usize, hi: &mut Vec<u32>, lo: &mut Vec<u32>) {
        for v in [&mut *hi, &mut *lo] {
            v.clear();
            v.resize(cin_p / 2 * self.plane, 0);
        }
        let w = self.w;
        let zeros = vec![0f32; w];
        // row y of channel c; channels past `cin` (the odd one of the last pair) are zero
        let row = |c: usize, y: usize| if c < cin { &x[(c * self.h + y) * w..][..w] } else { &zeros[..] };
        for c2 in 0..cin.div_ceil(2) {
            for y in 0..self.h {
                let at = c2 * self.plane + (y + self.pad) * self.wp + self.pad;
                let (e, o) = (row(2 * c2, y), row(2 * c2 + 1, y));
                // SAFETY: only reached through `Conv::run`, after `available()` (every AMX CPU has AVX-512).
                unsafe { x86::pack_row(e, o, &mut hi[at..][..w], &mut lo[at..][..w]) };
            }
        }
    }
}

/// One row of two channels as pairs, hi and lo parts (all four the same length).
#[inline(always)]
fn pack_row(even: &[f32], odd: &[f32], hi: &mut [u32], lo: &mut [u32]) {
    for (((e, o), h), l) in even.iter().zip(odd).zip(hi).zip(lo) {
        let ((eh, el), (oh, ol)) = (split(*e), split(*o));
        *h = eh as u32 | (oh as u32) << 16;
        *l = el as u32 | (ol as u32) << 16;
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Conv, Grid, TILE};
    use std::arch::asm;

    /// [`super::pack_row`] compiled for AVX-512 (the crate's baseline is SSE2: 4x fewer lanes).
    #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
    pub unsafe fn pack_row(even: &[f32], odd: &[f32], hi: &mut [u32], lo: &mut [u32]) {
        super::pack_row(even, odd, hi, lo)
    }

    /// Asks Linux for the AMX tile state (after checking CPUID for AMX-TILE and AMX-BF16) and checks it
    /// works with one tile product.
    pub fn enable() -> bool {
        let edx = std::arch::x86_64::__cpuid_count(7, 0).edx;
        let (amx_bf16, amx_tile) = (edx & (1 << 22) != 0, edx & (1 << 24) != 0);
        if !(amx_bf16 && amx_tile) {
            return false;
        }
        const ARCH_REQ_XCOMP_PERM: i64 = 0x1023;
        const XFEATURE_XTILEDATA: i64 = 18;
        const SYS_ARCH_PRCTL: i64 = 158;
        let ret: i64;
        // SAFETY: the arch_prctl system call with these arguments only changes the process's permissions.
        unsafe {
            asm!("syscall", inlateout("rax") SYS_ARCH_PRCTL => ret, in("rdi") ARCH_REQ_XCOMP_PERM,
                 in("rsi") XFEATURE_XTILEDATA, lateout("rcx") _, lateout("r11") _, options(nostack));
        }
        ret == 0 && self_test()
    }

    /// 1.0 x 2.0 summed over 32 pairs of one tile product must give 64 in every cell.
    fn self_test() -> bool {
        let ones = vec![0x3f80u16; TILE];
        let twos = vec![0x4000u16; TILE];
        let mut out = vec![0f32; 256];
        // SAFETY: called after the kernel granted the tile state; the buffers hold the 16 rows of 64
        // bytes each load or store touches.
        unsafe {
            configure();
            asm!("tilezero tmm0", options(nostack, nomem));
            asm!("tileloadd tmm4, [{p} + {s}*1]", p = in(reg) ones.as_ptr(), s = in(reg) 64usize, options(nostack, readonly));
            asm!("tileloadd tmm6, [{p} + {s}*1]", p = in(reg) twos.as_ptr(), s = in(reg) 64usize, options(nostack, readonly));
            asm!("tdpbf16ps tmm0, tmm4, tmm6", options(nostack, nomem));
            asm!("tilestored [{p} + {s}*1], tmm0", p = in(reg) out.as_mut_ptr(), s = in(reg) 64usize, options(nostack));
            asm!("tilerelease", options(nostack, nomem));
        }
        out.iter().all(|&v| v == 64.0)
    }

    /// Every one of the 8 tiles as 16 rows of 64 bytes (palette 1).
    unsafe fn configure() {
        #[repr(C, align(64))]
        struct Config([u8; 64]);
        let mut c = Config([0; 64]);
        c.0[0] = 1;
        for t in 0..8 {
            c.0[16 + 2 * t] = 64;
            c.0[48 + t] = 16;
        }
        asm!("ldtilecfg [{}]", in(reg) c.0.as_ptr(), options(nostack, readonly));
    }

    /// The four tile products of one step: accumulators 0-3 += kernel tiles 4-5 x input tiles 6-7.
    macro_rules! products {
        () => {
            "tdpbf16ps tmm0, tmm4, tmm6\ntdpbf16ps tmm1, tmm4, tmm7\ntdpbf16ps tmm2, tmm5, tmm6\ntdpbf16ps tmm3, tmm5, tmm7"
        };
    }

    /// `acc[co][q] = Σ_tap Σ_ci W[co][ci][tap] · X[ci][q + offset(tap)]` over the bordered grid, in blocks
    /// of 32 output channels x 32 positions: tiles 0-3 accumulate, 4-5 hold the kernel's two 16-channel
    /// blocks, 6-7 the input's two 16-position blocks.
    pub unsafe fn conv_tiles(conv: &Conv, g: &Grid, x_hi: &[u32], x_lo: &[u32], acc: &mut [f32]) {
        let (taps, cblocks) = (conv.k * conv.k, conv.cin_tiles);
        let a_next = taps * cblocks * TILE; // the next 16 output channels' tiles
        let (sa, sb, sc) = (64usize, g.plane * 4, g.n * 4);
        debug_assert!(x_hi.len() >= cblocks * 16 * g.plane && acc.len() >= conv.cout_tiles * 16 * g.n);
        configure();
        for mb in (0..conv.cout_tiles).step_by(2) {
            for n0 in (0..g.n).step_by(32) {
                asm!("tilezero tmm0", "tilezero tmm1", "tilezero tmm2", "tilezero tmm3", options(nostack, nomem));
                for tap in (0..taps).filter(|&t| g.tap_reads_input(t)) {
                    let off = g.tap_offset(tap);
                    for cb in 0..cblocks {
                        let a = ((mb * taps + tap) * cblocks + cb) * TILE;
                        let b = cb * 16 * g.plane + n0 + off;
                        let (ah0, al0) = (conv.w_hi.as_ptr().add(a), conv.w_lo.as_ptr().add(a));
                        let (bh0, bl0) = (x_hi.as_ptr().add(b), x_lo.as_ptr().add(b));
                        asm!(
                            "tileloadd tmm4, [{ah0} + {sa}*1]",
                            "tileloadd tmm5, [{ah1} + {sa}*1]",
                            "tileloadd tmm6, [{bh0} + {sb}*1]",
                            "tileloadd tmm7, [{bh1} + {sb}*1]",
                            products!(),
                            "tileloadd tmm6, [{bl0} + {sb}*1]",
                            "tileloadd tmm7, [{bl1} + {sb}*1]",
                            products!(),
                            "tileloadd tmm4, [{al0} + {sa}*1]",
                            "tileloadd tmm5, [{al1} + {sa}*1]",
                            "tileloadd tmm6, [{bh0} + {sb}*1]",
                            "tileloadd tmm7, [{bh1} + {sb}*1]",
                            products!(),
                            ah0 = in(reg) ah0,
                            ah1 = in(reg) ah0.add(a_next),
                            al0 = in(reg) al0,
                            al1 = in(reg) al0.add(a_next),
                            bh0 = in(reg) bh0,
                            bh1 = in(reg) bh0.add(16),
                            bl0 = in(reg) bl0,
                            bl1 = in(reg) bl0.add(16),
                            sa = in(reg) sa,
                            sb = in(reg) sb,
                            options(nostack, readonly),
                        );
                    }
                }
                let c = acc.as_mut_ptr().add(mb * 16 * g.n + n0);
                asm!(
                    "tilestored [{c0} + {sc}*1], tmm0",
                    "tilestored [{c1} + {sc}*1], tmm1",
                    "tilestored [{c2} + {sc}*1], tmm2",
                    "tilestored [{c3} + {sc}*1], tmm3",
                    c0 = in(reg) c,
                    c1 = in(reg) c.add(16),
                    c2 = in(reg) c.add(16 * g.n),
                    c3 = in(reg) c.add(16 * g.n + 16),
                    sc = in(reg) sc,
                    options(nostack),
                );
            }
        }
        asm!("tilerelease", options(nostack, nomem));
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod x86 {
    use super::{Conv, Grid};
    pub fn enable() -> bool {
        false
    }
    pub unsafe fn pack_row(even: &[f32], odd: &[f32], hi: &mut [u32], lo: &mut [u32]) {
        super::pack_row(even, odd, hi, lo)
    }
    pub unsafe fn conv_tiles(_: &Conv, _: &Grid, _: &[u32], _: &[u32], _: &mut [f32]) {
        unreachable!("AMX is x86-64 only")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn pseudo_random(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1664525).wrapping_add(1013904223);
                (s >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
            })
            .collect()
    }

    /// The direct definition of a convolution (OIHW), in f64, with zero padding `pads` (top, left,
    /// bottom, right); shared with the other routines' tests.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn reference(
        x: &[f32],
        kernel: &[f32],
        bias: &[f32],
        cin: usize,
        cout: usize,
        k: usize,
        stride: usize,
        pads: [usize; 4],
        h: usize,
        w: usize,
    ) -> Vec<f64> {
        let [t, l, b, r] = pads;
        let (oh, ow) = ((h + t + b - k) / stride + 1, (w + l + r - k) / stride + 1);
        let mut out = vec![0f64; cout * oh * ow];
        for co in 0..cout {
            for y in 0..oh {
                for xx in 0..ow {
                    let mut s = bias[co] as f64;
                    for ci in 0..cin {
                        for ky in 0..k {
                            for kx in 0..k {
                                let iy = (y * stride + ky) as isize - t as isize;
                                let ix = (xx * stride + kx) as isize - l as isize;
                                if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                    continue;
                                }
                                let wv = kernel[((co * cin + ci) * k + ky) * k + kx] as f64;
                                s += wv * x[(ci * h + iy as usize) * w + ix as usize] as f64;
                            }
                        }
                    }
                    out[(co * oh + y) * ow + xx] = s;
                }
            }
        }
        out
    }

    #[test]
    fn split_keeps_about_16_bits() {
        for v in pseudo_random(1000, 7).into_iter().chain([0.0, 1.0, -3.0e-5, 123.456]) {
            let (hi, lo) = split(v);
            let back = f32::from_bits((hi as u32) << 16) + f32::from_bits((lo as u32) << 16);
            assert!((back - v).abs() <= v.abs() * 2f32.powi(-16), "{v} -> {back}");
        }
    }

    #[test]
    fn shapes_outside_the_path_are_refused() {
        assert!(Conv::new(&[0.0; 32 * 32 * 4], &[0.0; 32], 32, 32, 2, 1, [1; 4]).is_none(), "even kernel, stride 1");
        assert!(Conv::new(&[0.0; 32 * 32 * 9], &[0.0; 32], 32, 32, 3, 1, [0; 4]).is_none(), "stride 1 unpadded");
        assert!(Conv::new(&[0.0; 32 * 32 * 9], &[0.0; 32], 32, 32, 3, 3, [0; 4]).is_none(), "stride 3");
        assert!(Conv::new(&[0.0; 32 * 32 * 9], &[0.0; 31], 32, 32, 3, 1, [1; 4]).is_none(), "bias length");
    }

    #[test]
    fn amx_convolution_equals_the_definition() {
        if !available() {
            eprintln!("SKIP amx_convolution_equals_the_definition: this CPU or kernel has no AMX (or FACE_AMX=0)");
            return;
        }
        // the ResNet's shapes (3x3 same, 3x3 / 2, its 7x7 / 2 first layer on 3 channels), channel counts
        // that need padding, odd sizes, 1x1 and 5x5 kernels
        let same = |k: usize| [k / 2; 4];
        let cases = [
            (32, 32, 3, 1, same(3), 35, 35),
            (64, 96, 3, 1, same(3), 9, 7),
            (128, 32, 1, 1, same(1), 5, 5),
            (32, 64, 5, 1, same(5), 6, 11),
            (24, 40, 3, 1, same(3), 8, 8),
            (32, 64, 3, 2, [0; 4], 35, 35),
            (3, 32, 7, 2, [0; 4], 30, 31),
            (64, 64, 3, 2, [0; 4], 8, 9),
            (64, 32, 3, 1, same(3), 1, 1),
            (32, 32, 5, 1, same(5), 2, 1),
            // the MediaPipe models' first layers ("same" padding at stride 2: more after than before)
            (3, 24, 5, 2, [1, 1, 2, 2], 16, 16),
            (3, 16, 3, 2, [0, 0, 1, 1], 12, 12),
            (5, 32, 3, 2, [1, 0, 0, 1], 7, 8),
        ];
        for (cin, cout, k, stride, pads, h, w) in cases {
            let x = pseudo_random(cin * h * w, 1);
            let kernel = pseudo_random(cout * cin * k * k, 2);
            let bias = pseudo_random(cout, 3);
            let conv = Conv::new(&kernel, &bias, cout, cin, k, stride, pads).expect("covered shape");
            let got = conv.run(&x, h, w);
            let want = reference(&x, &kernel, &bias, cin, cout, k, stride, pads, h, w);
            assert_eq!(got.len(), want.len(), "{cin}x{cout} k{k}/{stride} {pads:?} {h}x{w}: output size");
            let (oh, ow) = conv.output_size(h, w);
            assert_eq!(cout * oh * ow, want.len());
            let terms = (cin * k * k) as f64;
            for (i, (g, r)) in got.iter().zip(&want).enumerate() {
                // the split leaves ~2^-16 of each product (plain bf16 would leave ~2^-9: 100x this bound)
                assert!(
                    (*g as f64 - r).abs() <= 4e-5 * terms.sqrt(),
                    "{cin}x{cout} k{k}/{stride} {pads:?} {h}x{w} at {i}: {g} vs {r}"
                );
            }
        }
    }
}
