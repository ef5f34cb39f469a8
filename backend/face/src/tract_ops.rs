//! The ONNX front end the engine loads its models with: tract-onnx's, with cheaper translations of
//! `PRelu` and of unpadded max pooling, plus a pass over the optimised model for constant padding. Each
//! was found and measured with `examples/profile_models.rs` (tract 0.23; re-check when upgrading).
//!
//! tract-onnx 0.23 expands `PRelu(x, a)` into `Iff(0 < x, x, a·x)`: a comparison that writes a boolean
//! tensor and a select, neither of which has a vectorised kernel. FaceMesh (23 PRelu) and the iris
//! model (53) spent 28% and 39% of their time there (`examples/profile_models.rs`). The same function
//! written as `x + (a − 1)·min(x, 0)` uses only min-by-scalar, multiply and add, which tract runs with
//! its SIMD element-wise kernels and can chain: equal for every `a` (for x ≥ 0 both give x, for x < 0
//! both give a·x), and equal in floating point up to the rounding of one multiply-add. Where the slopes are
//! constant and the input NCHW (every PRelu of these models), [`PreluOp`] does it in one pass instead,
//! bit-identical to the stock translation: three element-wise passes were still ~30% of FaceMesh's and the
//! iris model's time.
//!
//! `MaxPool` without padding (2x2 stride 2 in every pooling layer of the three MediaPipe models, 3x3
//! stride 2 in the ResNet) went through tract's general pooling loop at ~1.7 ns per input value: 0.9 ms of
//! FaceMesh's 6.4 ms. [`MaxPoolValid`] is that case written as a loop over rows (bit-identical results:
//! a maximum has no rounding). Padded or dilated pooling keeps tract's translation.
//!
//! Constant padding (the zero-extension of residual branches in the ResNet and BlazeFace, and the
//! borders tract's code generation puts in front of padded convolutions) ran through ndarray's
//! n-dimensional slice assignment, ~6 ns per value: 1 ms of each ResNet run. [`fast_pads`] swaps those
//! nodes of an optimised model for [`PadConstantOp`], a row copy.
//!
//! Every model starts by transposing its NHWC input, another general n-dimensional copy; [`planar_input`]
//! makes the optimised model take NCHW instead (the engine lays out the planes).
//!
//! On CPUs with Intel AMX, [`amx_convs`] moves the convolutions of a decluttered model to
//! [`crate::amx::Conv`] (for the models [`crate::engine::uses_amx`] names: ResNet run 10.4 → 5.3 ms).

use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;
use tract_onnx::tract_hir::ops::cnn::{HirMaxPool, PaddingSpec, PoolSpec};
use tract_onnx::tract_hir::ops::nn::DataFormat;
use tract_onnx::tract_hir::tract_core::ops::array::{Pad, PadMode};
use tract_onnx::tract_hir::tract_core::ops::cnn::{Conv, KernelFormat};
use tract_onnx::tract_hir::tract_core::ops::math;
use tract_onnx::tract_hir::tract_core::ops::source::TypedSource;

/// `tract_onnx::onnx()` with `PRelu` translated by [`PreluMinMul`] and unpadded `MaxPool` by [`MaxPoolValid`].
pub fn onnx() -> tract_onnx::Onnx {
    let mut onnx = tract_onnx::onnx();
    onnx.op_register.insert("PRelu", |_, _| Ok((expand(PreluMinMul), vec![])));
    onnx.op_register.insert("MaxPool", max_pool);
    onnx
}

fn max_pool(ctx: &ParsingContext, node: &NodeProto) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    if let Some(op) = valid_2d_pool(node) {
        let spec = PoolSpec::new(
            DataFormat::NCHW,
            tvec![op.kernel[0], op.kernel[1]],
            PaddingSpec::Valid,
            None,
            Some(tvec![op.stride[0], op.stride[1]]),
            0,
            0,
        );
        return Ok((expand(MaxPoolValid { op, stock: HirMaxPool::new(spec, None) }), vec![]));
    }
    let stock = tract_onnx::onnx().op_register.0["MaxPool"];
    stock(ctx, node)
}

/// The window of a 2-D `MaxPool` with one output, no padding, dilation 1 and floor rounding.
fn valid_2d_pool(node: &NodeProto) -> Option<MaxPoolValidOp> {
    let ints = |name: &str| node.attribute.iter().find(|a| a.name == name).map(|a| a.ints.clone());
    let int = |name: &str| node.attribute.iter().find(|a| a.name == name).map(|a| a.i);
    let auto_pad = node.attribute.iter().find(|a| a.name == "auto_pad").map(|a| a.s.clone());
    let pair = |v: Option<Vec<i64>>| match v.as_deref() {
        Some(&[a, b]) if a > 0 && b > 0 => Some([a as usize, b as usize]),
        _ => None,
    };
    let kernel = pair(ints("kernel_shape"))?;
    let stride = match ints("strides") {
        None => [1, 1],
        s => pair(s)?,
    };
    let plain = node.output.len() == 1
        && ints("pads").is_none_or(|p| p.iter().all(|&v| v == 0))
        && ints("dilations").is_none_or(|d| d.iter().all(|&v| v == 1))
        && int("ceil_mode").is_none_or(|c| c == 0)
        && auto_pad.is_none_or(|a| a.is_empty() || a == b"NOTSET" || a == b"VALID");
    plain.then_some(MaxPoolValidOp { kernel, stride })
}

/// Unpadded 2-D max pooling over NCHW f32; other element types use tract's pooling.
#[derive(Debug, Clone)]
struct MaxPoolValid {
    op: MaxPoolValidOp,
    stock: HirMaxPool,
}

impl Expansion for MaxPoolValid {
    fn name(&self) -> StaticName {
        "MaxPoolValid".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        self.stock.rules(s, inputs, outputs)
    }

    fn wire(&self, name: &str, model: &mut TypedModel, inputs: &[OutletId]) -> TractResult<TVec<OutletId>> {
        let fact = model.outlet_fact(inputs[0])?;
        if fact.datum_type == f32::datum_type() && fact.rank() == 4 {
            model.wire_node(name, self.op.clone(), inputs)
        } else {
            self.stock.wire(name, model, inputs)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct MaxPoolValidOp {
    kernel: [usize; 2],
    stride: [usize; 2],
}

impl MaxPoolValidOp {
    fn out_len(n: usize, k: usize, s: usize) -> usize {
        if n < k {
            0
        } else {
            (n - k) / s + 1
        }
    }
}

impl Op for MaxPoolValidOp {
    fn name(&self) -> StaticName {
        "MaxPoolValid".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!("kernel {:?} stride {:?}", self.kernel, self.stride)])
    }

    op_as_typed_op!();
}

impl EvalOp for MaxPoolValidOp {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = args_1!(inputs);
        let &[n, c, h, w] = input.shape() else { bail!("MaxPoolValid expects NCHW, got {:?}", input.shape()) };
        let x = input.try_as_plain_ram()?.as_slice::<f32>()?;
        let (out, oh, ow) = max_pool_valid(x, n * c, [h, w], self.kernel, self.stride);
        Ok(tvec!(Tensor::from_shape(&[n, c, oh, ow], &out)?.into_tvalue()))
    }
}

impl TypedOp for MaxPoolValidOp {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let s = &inputs[0].shape;
        let out = |i: usize| -> TractResult<TDim> {
            let n = s[2 + i].to_usize().context("MaxPoolValid needs concrete spatial sizes")?;
            Ok(Self::out_len(n, self.kernel[i], self.stride[i]).into())
        };
        Ok(tvec!(f32::fact([s[0].clone(), s[1].clone(), out(0)?, out(1)?])))
    }

    as_op!();
}

/// Max over each `kernel` window, `stride` apart, of `planes` planes of `hw` values; windows that would
/// cross the bottom or right edge are not computed (ONNX's floor rounding). Returns the values and the
/// output height and width.
fn max_pool_valid(
    x: &[f32],
    planes: usize,
    hw: [usize; 2],
    kernel: [usize; 2],
    stride: [usize; 2],
) -> (Vec<f32>, usize, usize) {
    let [h, w] = hw;
    let oh = MaxPoolValidOp::out_len(h, kernel[0], stride[0]);
    let ow = MaxPoolValidOp::out_len(w, kernel[1], stride[1]);
    if oh == 0 || ow == 0 {
        return (Vec::new(), oh, ow);
    }
    let mut out = vec![0f32; planes * oh * ow];
    // per output row: the maximum down the window's rows (contiguous, vectorised), then across each
    // window's columns
    let mut column_max = vec![0f32; w];
    for (plane, o) in x.chunks_exact(h * w).zip(out.chunks_exact_mut(oh * ow)) {
        for (y, row) in o.chunks_exact_mut(ow).enumerate() {
            let top = y * stride[0];
            column_max.copy_from_slice(&plane[top * w..][..w]);
            for ky in 1..kernel[0] {
                for (m, &p) in column_max.iter_mut().zip(&plane[(top + ky) * w..][..w]) {
                    *m = m.max(p);
                }
            }
            if kernel[1] == 2 && stride[1] == 2 {
                for (v, a) in row.iter_mut().zip(column_max.chunks_exact(2)) {
                    *v = a[0].max(a[1]);
                }
            } else {
                for (ox, v) in row.iter_mut().enumerate() {
                    let win = &column_max[ox * stride[1]..][..kernel[1]];
                    *v = win.iter().fold(win[0], |m, &p| m.max(p));
                }
            }
        }
    }
    (out, oh, ow)
}

/// `PRelu(x, a) = x + (a − 1)·min(x, 0)`.
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
struct PreluMinMul;

impl Expansion for PreluMinMul {
    fn name(&self) -> StaticName {
        "PreluMinMul".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 2)?;
        check_output_arity(outputs, 1)?;
        s.equals(&inputs[0].datum_type, &outputs[0].datum_type)?;
        s.equals(&inputs[0].shape, &outputs[0].shape)?;
        Ok(())
    }

    fn wire(&self, name: &str, model: &mut TypedModel, inputs: &[OutletId]) -> TractResult<TVec<OutletId>> {
        let x = inputs[0];
        let mut slope = inputs[1];
        let fact = model.outlet_fact(x)?.clone();
        let rank = fact.rank();
        if let Some(op) = PreluOp::for_input(&fact, model.outlet_fact(slope)?)? {
            return model.wire_node(name, op, &[x]);
        }
        while model.outlet_fact(slope)?.rank() < rank {
            let r = model.outlet_fact(slope)?.rank();
            slope = model.wire_node(format!("{name}.add-axis-{r}"), AxisOp::Add(0), &[slope])?[0];
        }
        let dt = fact.datum_type;
        let scalar =
            |v: f32| -> TractResult<Tensor> { tensor0(v).cast_to_dt(dt)?.into_owned().broadcast_into_rank(rank) };
        // a − 1: folded at load when the slopes are constant (they are initializers in every model here)
        let slope_minus_one = match model.outlet_fact(slope)?.konst.clone() {
            Some(k) => {
                let k = k.cast_to::<f32>()?.into_owned();
                let shifted: Vec<f32> = k.to_plain_array_view::<f32>()?.iter().map(|a| a - 1.0).collect();
                let t = Tensor::from_shape(k.shape(), &shifted)?.cast_to_dt(dt)?.into_owned();
                model.add_const(format!("{name}.slope-1"), t)?
            }
            None => {
                let one = model.add_const(format!("{name}.one"), scalar(1.0)?)?;
                model.wire_node(format!("{name}.slope-1"), math::sub(), &[slope, one])?[0]
            }
        };
        let zero = model.add_const(format!("{name}.zero"), scalar(0.0)?)?;
        let neg = model.wire_node(format!("{name}.min0"), math::min(), &[x, zero])?[0];
        let scaled = model.wire_node(format!("{name}.scale"), math::mul(), &[neg, slope_minus_one])?[0];
        model.wire_node(format!("{name}.add"), math::add(), &[x, scaled])
    }
}

/// `impl Op` for an operator of this module that has nothing to say but its name.
macro_rules! named_op {
    ($op:ty, $name:literal) => {
        impl Op for $op {
            fn name(&self) -> StaticName {
                $name.into()
            }

            op_as_typed_op!();
        }
    };
}

/// `PRelu` with constant slopes on an f32 input of rank 4 (NCHW), one slope per channel or one for all:
/// `x` where `x > 0`, `a·x` elsewhere (stock tract's `Iff(0 < x, x, a·x)`, bit for bit), in one pass
/// over the tensor, in place when the input is not shared. Instead of [`PreluMinMul`]'s three
/// element-wise passes (`min`, `mul`, `add`), which were 27-30% of FaceMesh's and the iris model's time.
#[derive(Debug, Clone, PartialEq)]
struct PreluOp {
    /// one per channel (axis 1), or a single one
    slopes: Arc<Vec<f32>>,
}

impl Eq for PreluOp {}

impl PreluOp {
    /// The op for an input `x` and slope `a`, when both are what it covers.
    fn for_input(x: &TypedFact, a: &TypedFact) -> TractResult<Option<PreluOp>> {
        let (Some(konst), Some(shape)) = (a.konst.as_ref(), x.shape.as_concrete()) else { return Ok(None) };
        if x.datum_type != f32::datum_type() || shape.len() != 4 {
            return Ok(None);
        }
        // broadcast from the right (ONNX's unidirectional broadcasting): `[C, 1, 1]` or `[1, C, 1, 1]`
        let Some(offset) = shape.len().checked_sub(konst.rank()) else { return Ok(None) };
        let per_channel = konst.shape().iter().enumerate().all(|(i, &d)| d == 1 || (i + offset == 1 && d == shape[1]));
        if !per_channel {
            return Ok(None);
        }
        let slopes: Vec<f32> = konst.cast_to::<f32>()?.to_plain_array_view::<f32>()?.iter().copied().collect();
        Ok(Some(PreluOp { slopes: Arc::new(slopes) }))
    }
}

named_op!(PreluOp, "Prelu");

impl EvalOp for PreluOp {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let mut t = args_1!(inputs).into_tensor();
        let &[_, c, h, w] = t.shape() else { bail!("Prelu expects NCHW, got {:?}", t.shape()) };
        for (k, plane) in t.try_as_plain_ram_mut()?.as_slice_mut::<f32>()?.chunks_exact_mut(h * w).enumerate() {
            let a = if self.slopes.len() == 1 { self.slopes[0] } else { self.slopes[k % c] };
            for v in plane {
                *v = if *v > 0.0 { *v } else { a * *v };
            }
        }
        Ok(tvec!(t.into_tvalue()))
    }
}

impl TypedOp for PreluOp {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        Ok(tvec!(inputs[0].without_value()))
    }

    as_op!();
}

/// What the engine runs: `model` decluttered by tract, its depthwise convolutions replaced
/// ([`depthwise_convs`]), with `amx` its other convolutions moved to AMX where [`amx_convs`] can (and the
/// CPU has it), on AVX-512 CPUs the 1 x 1 convolutions ([`pointwise_convs`]) and the first layers left
/// ([`small_convs`]) replaced, optimised by tract, then [`fast_pads`].
///
/// The engine picks the models ([`crate::engine::uses_amx`]).
pub fn optimize(model: InferenceModel, amx: bool) -> TractResult<TypedModel> {
    let typed = model.into_typed()?;
    // before decluttering, which turns 1 x 1 convolutions into a product (`EinSum`); the other two see
    // every convolution either way
    let typed = if crate::pointwise::enabled() { pointwise_convs(typed)? } else { typed };
    let typed = typed.into_decluttered()?;
    let typed = if crate::depthwise::enabled() { depthwise_convs(typed)? } else { typed };
    let typed = if amx && crate::amx::available() { amx_convs(typed)? } else { typed };
    let typed = if crate::pointwise::enabled() { small_convs(typed)? } else { typed };
    fast_pads(typed.into_optimized()?)
}

/// Replaces every depthwise convolution of a decluttered model (one filter per channel, NCHW or CHW, and
/// what [`plain_conv`] takes) by [`DepthwiseOp`].
pub fn depthwise_convs(model: TypedModel) -> TractResult<TypedModel> {
    replace_convs(model, depthwise_for)
}

/// Replaces each `Conv` node that `op_for` gives an operator for by that operator (on the same input).
fn replace_convs<O: TypedOp>(
    mut model: TypedModel,
    op_for: impl Fn(&TypedModel, &TypedNode) -> TractResult<Option<O>>,
) -> TractResult<TypedModel> {
    let ids: Vec<usize> = model.nodes.iter().filter(|n| n.op_is::<Conv>()).map(|n| n.id).collect();
    let mut replaced = 0;
    for id in ids {
        let node = &model.nodes[id];
        let Some(op) = op_for(&model, node)? else { continue };
        let patch = TypedModelPatch::replace_single_op(&model, node, &node.inputs[..1], op)?;
        patch.apply(&mut model)?;
        replaced += 1;
    }
    if replaced > 0 {
        model.compact()?; // the kernels and biases now feed nothing
    }
    Ok(model)
}

/// A convolution of the kind both replacements take: f32, not quantised, square kernel in OIHW,
/// dilation 1, stride 1 or 2, explicit or no zero padding, constant kernel and bias.
struct PlainConv<'a> {
    conv: &'a Conv,
    input: &'a TypedFact,
    k: usize,
    stride: usize,
    /// top, left, bottom, right
    pads: [usize; 4],
    kernel: Arc<Tensor>,
    bias: Arc<Tensor>,
}

impl PlainConv<'_> {
    /// The kernel's values (OIHW) and one bias per output channel.
    fn weights(&self) -> TractResult<(Vec<f32>, Vec<f32>)> {
        let values = |t: &Tensor| -> TractResult<Vec<f32>> {
            Ok(t.cast_to::<f32>()?.to_plain_array_view::<f32>()?.iter().copied().collect())
        };
        let mut bias = values(&self.bias)?;
        if bias.len() == 1 {
            bias = vec![bias[0]; self.conv.output_channels()];
        }
        Ok((values(&self.kernel)?, bias))
    }
}

fn plain_conv<'a>(model: &'a TypedModel, node: &'a TypedNode) -> TractResult<Option<PlainConv<'a>>> {
    let conv = node.op_as::<Conv>().expect("filtered on Conv");
    let spec = &conv.pool_spec;
    let k = spec.kernel_shape.as_slice();
    let all = |v: &Option<TVec<usize>>, n: usize| v.as_ref().is_none_or(|v| v.iter().all(|&d| d == n));
    let stride = if all(&spec.strides, 1) {
        1
    } else if all(&spec.strides, 2) {
        2
    } else {
        return Ok(None);
    };
    let pads = match &spec.padding {
        PaddingSpec::Explicit(b, a) | PaddingSpec::ExplicitOnnxPool(b, a, false) if b.len() == 2 && a.len() == 2 => {
            [b[0], b[1], a[0], a[1]]
        }
        PaddingSpec::Valid => [0; 4],
        _ => return Ok(None),
    };
    let input = model.outlet_fact(node.inputs[0])?;
    let plain = conv.q_params.is_none()
        && conv.kernel_fmt == KernelFormat::OIHW
        && k.len() == 2
        && k[0] == k[1]
        && all(&spec.dilations, 1)
        && input.datum_type == f32::datum_type()
        && node.inputs.len() == 3;
    if !plain {
        return Ok(None);
    }
    let (Some(kernel), Some(bias)) = (constant(model, node.inputs[1])?, constant(model, node.inputs[2])?) else {
        return Ok(None);
    };
    Ok(Some(PlainConv { conv, input, k: k[0], stride, pads, kernel, bias }))
}

/// The constant on `outlet`, also where it is a constant through a `Cast` (how a convolution's bias
/// arrives before decluttering folds it).
fn constant(model: &TypedModel, outlet: OutletId) -> TractResult<Option<Arc<Tensor>>> {
    if let Some(k) = &model.outlet_fact(outlet)?.konst {
        return Ok(Some(k.clone()));
    }
    let node = &model.nodes[outlet.node];
    let (Some(cast), [input]) = (node.op_as::<tract_onnx::tract_hir::tract_core::ops::cast::Cast>(), &node.inputs[..])
    else {
        return Ok(None);
    };
    match &model.outlet_fact(*input)?.konst {
        Some(k) => Ok(Some(k.cast_to_dt(cast.to)?.into_owned().into_arc_tensor())),
        None => Ok(None),
    }
}

/// `(batch_axis, channels, h, w)` of the convolution's input when it is NCHW (any batch) or CHW (where
/// tract's declutter dropped a batch axis of 1) of a fixed size: what [`PlanesOp`] takes.
fn planes_shape(p: &PlainConv) -> Option<(bool, usize, usize, usize)> {
    let batch_axis = match p.conv.pool_spec.data_format {
        DataFormat::NCHW if p.input.rank() == 4 => true,
        DataFormat::CHW if p.input.rank() == 3 => false,
        _ => return None,
    };
    let dims: Option<Vec<usize>> =
        p.input.shape.iter().skip(usize::from(batch_axis)).map(|d| d.to_usize().ok()).collect();
    match dims.as_deref() {
        Some(&[c, h, w]) => Some((batch_axis, c, h, w)),
        _ => None,
    }
}

fn depthwise_for(model: &TypedModel, node: &TypedNode) -> TractResult<Option<DepthwiseOp>> {
    let Some(p) = plain_conv(model, node)? else { return Ok(None) };
    let Some((batch_axis, c, h, w)) = planes_shape(&p) else { return Ok(None) };
    if p.conv.group != c || p.conv.output_channels() != c {
        return Ok(None);
    }
    let (kernel, bias) = p.weights()?;
    let Some(dw) = crate::depthwise::Depthwise::new(&kernel, &bias, c, p.k, p.stride, p.pads) else {
        return Ok(None);
    };
    let Some((oh, ow)) = dw.output_size(h, w) else { return Ok(None) };
    Ok(Some(PlanesOp { conv: Arc::new(dw), batch_axis, h, w, oh, ow }))
}

/// Replaces every 1 x 1 convolution of a typed model *before* decluttering (which turns them into a
/// packed `EinSum`): stride 1, no padding, no groups, NCHW or CHW, and what [`plain_conv`] takes, by
/// [`PointwiseOp`].
pub fn pointwise_convs(model: TypedModel) -> TractResult<TypedModel> {
    replace_convs(model, pointwise_for)
}

fn pointwise_for(model: &TypedModel, node: &TypedNode) -> TractResult<Option<PointwiseOp>> {
    let Some(p) = plain_conv(model, node)? else { return Ok(None) };
    if p.k != 1 || p.stride != 1 || p.pads != [0; 4] || p.conv.group != 1 {
        return Ok(None);
    }
    let Some((batch_axis, cin, h, w)) = planes_shape(&p) else { return Ok(None) };
    let (kernel, bias) = p.weights()?;
    let Some(pw) = crate::pointwise::Pointwise::new(&kernel, &bias, p.conv.output_channels(), cin) else {
        return Ok(None);
    };
    Ok(Some(PlanesOp { conv: Arc::new(pw), batch_axis, h, w, oh: h, ow: w }))
}

/// Replaces every convolution on at most [`crate::pointwise::SmallConv::MAX_INPUT_CHANNELS`] input
/// channels (the layers on the RGB planes; no groups, NCHW or CHW, and what [`plain_conv`] takes) by
/// [`SmallConvOp`].
pub fn small_convs(model: TypedModel) -> TractResult<TypedModel> {
    replace_convs(model, small_conv_for)
}

fn small_conv_for(model: &TypedModel, node: &TypedNode) -> TractResult<Option<SmallConvOp>> {
    let Some(p) = plain_conv(model, node)? else { return Ok(None) };
    let (Some((batch_axis, cin, h, w)), 1) = (planes_shape(&p), p.conv.group) else { return Ok(None) };
    let (kernel, bias) = p.weights()?;
    let cout = p.conv.output_channels();
    let Some(conv) = crate::pointwise::SmallConv::new(&kernel, &bias, cout, cin, p.k, p.stride, p.pads) else {
        return Ok(None);
    };
    let Some((oh, ow)) = conv.output_size(h, w) else { return Ok(None) };
    Ok(Some(PlanesOp { conv: Arc::new(conv), batch_axis, h, w, oh, ow }))
}

/// A convolution of our own on planes (NCHW of any batch, or CHW with `batch_axis` false) of a fixed
/// `h x w`: what [`PlanesOp`] runs.
pub trait PlaneConv: std::fmt::Debug + Clone + Send + Sync + 'static {
    /// The operator's name in tract's plans and profiles.
    const NAME: &'static str;
    fn output_channels(&self) -> usize;
    /// `n` images of `channels x h x w` in, `n x output_channels x oh x ow` out.
    fn run_planes(&self, x: &[f32], n: usize, h: usize, w: usize) -> Vec<f32>;
}

impl PlaneConv for crate::depthwise::Depthwise {
    const NAME: &'static str = "Depthwise";
    fn output_channels(&self) -> usize {
        self.channels()
    }
    fn run_planes(&self, x: &[f32], n: usize, h: usize, w: usize) -> Vec<f32> {
        self.run(x, n, h, w)
    }
}

impl PlaneConv for crate::pointwise::Pointwise {
    const NAME: &'static str = "Pointwise";
    fn output_channels(&self) -> usize {
        self.output_channels()
    }
    fn run_planes(&self, x: &[f32], n: usize, h: usize, w: usize) -> Vec<f32> {
        self.run(x, n, h * w)
    }
}

impl PlaneConv for crate::pointwise::SmallConv {
    const NAME: &'static str = "SmallConv";
    fn output_channels(&self) -> usize {
        self.output_channels()
    }
    fn run_planes(&self, x: &[f32], n: usize, h: usize, w: usize) -> Vec<f32> {
        self.run(x, n, h, w)
    }
}

/// A [`PlaneConv`] in a tract plan: on an input of `h x w`, an output of `oh x ow`.
#[derive(Debug, Clone)]
pub struct PlanesOp<K: PlaneConv> {
    conv: Arc<K>,
    batch_axis: bool,
    h: usize,
    w: usize,
    oh: usize,
    ow: usize,
}

pub type DepthwiseOp = PlanesOp<crate::depthwise::Depthwise>;
pub type PointwiseOp = PlanesOp<crate::pointwise::Pointwise>;
pub type SmallConvOp = PlanesOp<crate::pointwise::SmallConv>;

/// The same op when it shares the same weights (what `clone` gives) at the same size.
impl<K: PlaneConv> PartialEq for PlanesOp<K> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.conv, &other.conv)
            && (self.batch_axis, self.h, self.w) == (other.batch_axis, other.h, other.w)
    }
}

impl<K: PlaneConv> Eq for PlanesOp<K> {}

impl<K: PlaneConv> Op for PlanesOp<K> {
    fn name(&self) -> StaticName {
        K::NAME.into()
    }

    op_as_typed_op!();
}

impl<K: PlaneConv> EvalOp for PlanesOp<K> {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = args_1!(inputs);
        let n = if self.batch_axis { input.shape()[0] } else { 1 };
        let x = input.try_as_plain_ram()?.as_slice::<f32>()?;
        let out = self.conv.run_planes(x, n, self.h, self.w);
        let (c, oh, ow) = (self.conv.output_channels(), self.oh, self.ow);
        let shape: &[usize] = if self.batch_axis { &[n, c, oh, ow] } else { &[c, oh, ow] };
        let out = tract_ndarray::ArrayD::from_shape_vec(shape, out)?;
        Ok(tvec!(Tensor::from(out).into_tvalue()))
    }
}

impl<K: PlaneConv> TypedOp for PlanesOp<K> {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let chw: [TDim; 3] = [self.conv.output_channels().into(), self.oh.into(), self.ow.into()];
        Ok(tvec!(if self.batch_axis {
            let [c, h, w] = chw;
            f32::fact([inputs[0].shape[0].clone(), c, h, w])
        } else {
            f32::fact(chw)
        }))
    }

    as_op!();
}

/// Replaces every convolution of a decluttered model that [`crate::amx::Conv`] covers (NCHW of batch 1
/// and fixed size, no groups, stride 1 with "same" padding or stride 2 with any zero padding, and what
/// [`plain_conv`] takes) by [`AmxConvOp`].
pub fn amx_convs(model: TypedModel) -> TractResult<TypedModel> {
    replace_convs(model, amx_conv_for)
}

fn amx_conv_for(model: &TypedModel, node: &TypedNode) -> TractResult<Option<AmxConvOp>> {
    let Some(p) = plain_conv(model, node)? else { return Ok(None) };
    let shape: Option<Vec<usize>> = p.input.shape.iter().map(|d| d.to_usize().ok()).collect();
    let nchw = p.conv.group == 1 && p.conv.pool_spec.data_format == DataFormat::NCHW;
    let (true, Some(&[1, cin, h, w])) = (nchw, shape.as_deref()) else { return Ok(None) };
    let (kernel, bias) = p.weights()?;
    // `amx::Conv::new` says which strides and paddings it covers
    Ok(crate::amx::Conv::new(&kernel, &bias, p.conv.output_channels(), cin, p.k, p.stride, p.pads).map(|c| AmxConvOp {
        conv: Arc::new(c),
        h,
        w,
    }))
}

/// A convolution run by [`crate::amx::Conv`] on an NCHW input of batch 1 and size `h x w`.
#[derive(Debug, Clone)]
pub struct AmxConvOp {
    conv: Arc<crate::amx::Conv>,
    h: usize,
    w: usize,
}

/// The same op when it shares the same packed kernel (what `clone` gives) at the same size.
impl PartialEq for AmxConvOp {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.conv, &other.conv) && (self.h, self.w) == (other.h, other.w)
    }
}

impl Eq for AmxConvOp {}

named_op!(AmxConvOp, "AmxConv");

impl EvalOp for AmxConvOp {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = args_1!(inputs);
        let x = input.try_as_plain_ram()?.as_slice::<f32>()?;
        let out = self.conv.run(x, self.h, self.w);
        let (oh, ow) = self.conv.output_size(self.h, self.w);
        let shape = (1, self.conv.output_channels(), oh, ow);
        Ok(tvec!(Tensor::from(tract_ndarray::Array4::from_shape_vec(shape, out)?).into_tvalue()))
    }
}

impl TypedOp for AmxConvOp {
    fn output_facts(&self, _inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let (oh, ow) = self.conv.output_size(self.h, self.w);
        Ok(tvec!(f32::fact([1, self.conv.output_channels(), oh, ow])))
    }

    as_op!();
}

/// When the input of an optimised `model` goes only through a transpose from NHWC to NCHW (how every
/// model here takes interleaved pixels), the input becomes NCHW and the transpose goes: tract runs it as
/// a general n-dimensional copy (`MoveAxis`, 0.05-0.35 ms per run), the caller can lay out the planes
/// for less. Returns whether it did, i.e. whether the model now takes NCHW.
pub fn planar_input(mut model: TypedModel) -> TractResult<(TypedModel, bool)> {
    let &[source] = model.input_outlets()? else { return Ok((model, false)) };
    let &[consumer] = model.nodes[source.node].outputs[source.slot].successors.as_slice() else {
        return Ok((model, false));
    };
    let transpose = OutletId::new(consumer.node, 0);
    let nhwc_to_nchw = model.nodes[consumer.node].op_as::<AxisOp>() == Some(&AxisOp::Move(3, 1))
        && model.outlet_fact(source)?.rank() == 4
        && !model.output_outlets()?.contains(&transpose);
    if !nhwc_to_nchw {
        return Ok((model, false));
    }
    let planar = model.outlet_fact(transpose)?.clone();
    model.nodes[source.node].op = Box::new(TypedSource { fact: planar.clone() });
    model.set_outlet_fact(source, planar)?;
    for inlet in model.nodes[transpose.node].outputs[0].successors.clone() {
        model.add_edge(source, inlet)?;
    }
    model.compact()?; // drops the transpose, now feeding nothing
    Ok((model, true))
}

/// Replaces every f32 constant-mode `Pad` of a model (optimised: code generation adds some) by
/// [`PadConstantOp`].
pub fn fast_pads(mut model: TypedModel) -> TractResult<TypedModel> {
    let ids: Vec<usize> = model.nodes.iter().filter(|n| n.op_is::<Pad>()).map(|n| n.id).collect();
    for id in ids {
        let node = &model.nodes[id];
        let pad = node.op_as::<Pad>().expect("filtered on Pad");
        let PadMode::Constant(value) = &pad.mode else { continue };
        if model.outlet_fact(node.inputs[0])?.datum_type != f32::datum_type() {
            continue;
        }
        let op = PadConstantOp { pads: pad.pads.clone(), value: value.cast_to_scalar::<f32>()?.to_bits() };
        let patch = TypedModelPatch::replace_single_op(&model, node, &node.inputs, op)?;
        patch.apply(&mut model)?;
    }
    Ok(model)
}

/// Constant padding of an f32 tensor of any rank: `pads[axis] = (before, after)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PadConstantOp {
    pads: Vec<(usize, usize)>,
    /// the fill value's bits (f32 is not `Hash`)
    value: u32,
}

impl Op for PadConstantOp {
    fn name(&self) -> StaticName {
        "PadConstant".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!("pads {:?} value {}", self.pads, f32::from_bits(self.value))])
    }

    op_as_typed_op!();
}

impl EvalOp for PadConstantOp {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = args_1!(inputs);
        ensure!(input.rank() == self.pads.len(), "PadConstant: rank {} for {} pads", input.rank(), self.pads.len());
        let x = input.try_as_plain_ram()?.as_slice::<f32>()?;
        let (out, shape) = pad_constant(x, input.shape(), &self.pads, f32::from_bits(self.value));
        Ok(tvec!(Tensor::from_shape(&shape, &out)?.into_tvalue()))
    }
}

impl TypedOp for PadConstantOp {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let shape: TVec<TDim> = inputs[0].shape.iter().zip(&self.pads).map(|(d, (b, a))| d.clone() + *b + *a).collect();
        Ok(tvec!(f32::fact(shape)))
    }

    as_op!();
}

/// `x` of `shape` written into a tensor filled with `value` and `pads` larger on each axis; returns
/// the values and the padded shape.
fn pad_constant(x: &[f32], shape: &[usize], pads: &[(usize, usize)], value: f32) -> (Vec<f32>, Vec<usize>) {
    let out_shape: Vec<usize> = shape.iter().zip(pads).map(|(d, (b, a))| d + b + a).collect();
    let mut out = vec![value; out_shape.iter().product()];
    let rank = shape.len();
    if rank == 0 || x.is_empty() {
        out[..x.len()].copy_from_slice(x);
        return (out, out_shape);
    }
    // output strides, then one contiguous copy per input row (the last axis)
    let mut strides = vec![1usize; rank];
    for i in (0..rank - 1).rev() {
        strides[i] = strides[i + 1] * out_shape[i + 1];
    }
    let row = shape[rank - 1];
    let mut index = vec![0usize; rank - 1];
    for src in x.chunks_exact(row) {
        let offset: usize =
            index.iter().enumerate().map(|(i, &k)| (k + pads[i].0) * strides[i]).sum::<usize>() + pads[rank - 1].0;
        out[offset..offset + row].copy_from_slice(src);
        for i in (0..rank - 1).rev() {
            index[i] += 1;
            if index[i] < shape[i] {
                break;
            }
            index[i] = 0;
        }
    }
    (out, out_shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tract_onnx::pb;

    /// Runs a one-node ONNX model (`node` with input "x" of `shape`, output "y", `initializers`)
    /// loaded by `front`.
    fn run_node(
        front: &tract_onnx::Onnx,
        node: pb::NodeProto,
        initializers: Vec<pb::TensorProto>,
        shape: &[usize],
        x: &[f32],
    ) -> (Vec<usize>, Vec<f32>, Vec<String>) {
        let proto = model_proto(vec![node], initializers);
        let plan = front
            .model_for_proto_model(&proto)
            .and_then(|m| m.with_input_fact(0, f32::fact(shape).into()))
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .unwrap();
        let ops = plan.model().nodes.iter().map(|n| n.op().name().to_string()).collect();
        let y = plan.run(tvec!(Tensor::from_shape(shape, x).unwrap().into())).unwrap();
        (y[0].shape().to_vec(), y[0].try_as_plain_ram().unwrap().as_slice::<f32>().unwrap().to_vec(), ops)
    }

    /// An ONNX model of `nodes` with f32 input "x" (shape given when loading) and output "y".
    fn model_proto(nodes: Vec<pb::NodeProto>, initializers: Vec<pb::TensorProto>) -> pb::ModelProto {
        let float = pb::tensor_proto::DataType::Float as i32;
        let graph = pb::GraphProto {
            node: nodes,
            initializer: initializers,
            input: vec![pb::ValueInfoProto {
                name: "x".into(),
                r#type: Some(pb::TypeProto {
                    value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                        elem_type: float,
                        shape: None,
                    })),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            output: vec![pb::ValueInfoProto { name: "y".into(), ..Default::default() }],
            ..Default::default()
        };
        pb::ModelProto {
            graph: Some(graph),
            opset_import: vec![pb::OperatorSetIdProto { domain: String::new(), version: 13 }],
            ..Default::default()
        }
    }

    /// `proto` loaded with the engine's front end and optimised as the engine does, input of `shape`.
    fn load_optimized(proto: &pb::ModelProto, shape: &[usize]) -> TypedModel {
        onnx()
            .model_for_proto_model(proto)
            .and_then(|m| m.with_input_fact(0, f32::fact(shape).into()))
            .and_then(|m| optimize(m, false))
            .unwrap()
    }

    fn node(op: &str, inputs: &[&str], attributes: Vec<pb::AttributeProto>) -> pb::NodeProto {
        pb::NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec!["y".into()],
            op_type: op.into(),
            name: op.to_lowercase(),
            attribute: attributes,
            ..Default::default()
        }
    }

    fn ints(name: &str, v: &[i64]) -> pb::AttributeProto {
        pb::AttributeProto {
            name: name.into(),
            r#type: pb::attribute_proto::AttributeType::Ints as i32,
            ints: v.to_vec(),
            ..Default::default()
        }
    }

    fn pseudo_random(n: usize) -> Vec<f32> {
        (0..n).map(|i| ((i * 7919 + 13) % 251) as f32 / 25.1 - 5.0).collect()
    }

    /// Runs `PRelu(x, slope)` with x of `shape` and the slopes of dims `[slopes, 1, ...]` (one per channel,
    /// axis 1, broadcast over the rest); returns the output and the plan's operators.
    fn run_prelu(front: &tract_onnx::Onnx, x: &[f32], slope: &[f32], shape: &[usize]) -> (Vec<f32>, Vec<String>) {
        let mut dims = vec![slope.len() as i64];
        dims.resize(shape.len() - 1, 1);
        let a = pb::TensorProto {
            name: "a".into(),
            dims,
            data_type: pb::tensor_proto::DataType::Float as i32,
            float_data: slope.to_vec(),
            ..Default::default()
        };
        let (_, y, ops) = run_node(front, node("PRelu", &["x", "a"], vec![]), vec![a], shape, x);
        (y, ops)
    }

    #[test]
    fn max_pool_valid_equals_tracts_pooling() {
        // the MediaPipe case (2x2 / 2), the ResNet's (3x3 / 2), odd sizes that drop an edge, stride 1
        for (kernel, strides, shape) in [
            ([2, 2], [2, 2], [1, 3, 8, 10]),
            ([2, 2], [2, 2], [1, 2, 7, 9]),
            ([3, 3], [2, 2], [1, 4, 11, 12]),
            ([3, 2], [1, 2], [2, 3, 5, 6]),
        ] {
            let attrs = || vec![ints("kernel_shape", &kernel), ints("strides", &strides)];
            let x = pseudo_random(shape.iter().product());
            assert!(valid_2d_pool(&node("MaxPool", &["x"], attrs())).is_some());
            let fast = run_node(&onnx(), node("MaxPool", &["x"], attrs()), vec![], &shape, &x);
            let stock = run_node(&tract_onnx::onnx(), node("MaxPool", &["x"], attrs()), vec![], &shape, &x);
            assert!(fast.2.iter().any(|op| op == "MaxPoolValid"), "{:?}", fast.2);
            assert_eq!((fast.0, fast.1), (stock.0, stock.1), "kernel {kernel:?} strides {strides:?} shape {shape:?}");
        }
    }

    #[test]
    fn padded_or_ceiled_max_pool_keeps_tracts_translation() {
        let k = ints("kernel_shape", &[2, 2]);
        assert!(valid_2d_pool(&node("MaxPool", &["x"], vec![k.clone(), ints("pads", &[0, 0, 1, 1])])).is_none());
        assert!(valid_2d_pool(&node("MaxPool", &["x"], vec![k.clone(), ints("dilations", &[2, 2])])).is_none());
        let ceil = pb::AttributeProto {
            name: "ceil_mode".into(),
            r#type: pb::attribute_proto::AttributeType::Int as i32,
            i: 1,
            ..Default::default()
        };
        assert!(valid_2d_pool(&node("MaxPool", &["x"], vec![k.clone(), ceil])).is_none());
        // still loads and runs, through tract's own pooling
        let shape = [1, 2, 5, 5];
        let x = pseudo_random(50);
        let attrs = || vec![ints("kernel_shape", &[2, 2]), ints("pads", &[0, 0, 1, 1])];
        let fast = run_node(&onnx(), node("MaxPool", &["x"], attrs()), vec![], &shape, &x);
        let stock = run_node(&tract_onnx::onnx(), node("MaxPool", &["x"], attrs()), vec![], &shape, &x);
        assert!(!fast.2.iter().any(|op| op == "MaxPoolValid"), "{:?}", fast.2);
        assert_eq!(fast, stock);
    }

    #[test]
    fn pad_constant_equals_tracts_pad() {
        for (shape, pads) in [
            (vec![1, 3, 4, 5], vec![(0, 0), (0, 3), (0, 1), (0, 1)]), // the ResNet's two kinds, at once
            (vec![2, 2, 3], vec![(1, 0), (0, 2), (2, 1)]),
            (vec![5], vec![(2, 3)]),
        ] {
            let x = pseudo_random(shape.iter().product());
            let (ours, out_shape) = pad_constant(&x, &shape, &pads, 0.5);
            let input = Tensor::from_shape(&shape, &x).unwrap();
            let stock = Pad::new(pads.clone(), PadMode::Constant(Arc::new(0.5f32.into())));
            let expected = stock.eval(&EvalContext::out_of_plan(), tvec!(input.into_tvalue())).unwrap();
            assert_eq!(out_shape, expected[0].shape());
            assert_eq!(ours, expected[0].try_as_plain_ram().unwrap().as_slice::<f32>().unwrap(), "{shape:?} {pads:?}");
        }
    }

    #[test]
    fn planar_input_drops_the_input_transpose_and_keeps_the_results() {
        // NHWC input, transposed to NCHW, then a per-channel operation (as the models start)
        let perm = ints("perm", &[0, 3, 1, 2]);
        let transpose = pb::NodeProto { output: vec!["t".into()], ..node("Transpose", &["x"], vec![perm]) };
        let scale = pb::TensorProto {
            name: "s".into(),
            dims: vec![1, 3, 1, 1],
            data_type: pb::tensor_proto::DataType::Float as i32,
            float_data: vec![1.0, -2.0, 0.5],
            ..Default::default()
        };
        let (h, w) = (4, 5);
        let optimized =
            load_optimized(&model_proto(vec![transpose, node("Mul", &["t", "s"], vec![])], vec![scale]), &[1, h, w, 3]);
        assert!(optimized.nodes.iter().any(|n| n.op().name() == "MoveAxis"));
        let hwc = pseudo_random(h * w * 3);
        let expected = optimized
            .clone()
            .into_runnable()
            .unwrap()
            .run(tvec!(tensor1(&hwc).into_shape(&[1, h, w, 3]).unwrap().into()))
            .unwrap();

        let (planar, done) = planar_input(optimized).unwrap();
        assert!(done);
        assert!(!planar.nodes.iter().any(|n| n.op().name() == "MoveAxis"), "{planar}");
        let mut chw = vec![0f32; hwc.len()];
        for (i, v) in hwc.iter().enumerate() {
            chw[(i % 3) * h * w + i / 3] = *v;
        }
        let got = planar
            .into_runnable()
            .unwrap()
            .run(tvec!(tensor1(&chw).into_shape(&[1, 3, h, w]).unwrap().into()))
            .unwrap();
        assert_eq!(got[0].shape(), [1, 3, h, w]);
        assert_eq!(
            got[0].try_as_plain_ram().unwrap().as_slice::<f32>().unwrap(),
            expected[0].try_as_plain_ram().unwrap().as_slice::<f32>().unwrap()
        );

        // a model without the transpose is left alone
        let relu = load_optimized(&model_proto(vec![node("Relu", &["x"], vec![])], vec![]), &[1, 3, 4, 4]);
        assert!(!planar_input(relu).unwrap().1);
    }

    #[test]
    fn amx_convs_take_every_resnet_convolution_and_keep_its_embedding() {
        if !crate::amx::available() {
            eprintln!(
                "SKIP amx_convs_take_every_resnet_convolution_and_keep_its_embedding: no AMX here (or FACE_AMX=0)"
            );
            return;
        }
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../face-models/dlib_face_recognition_resnet_v1.onnx");
        let decluttered = onnx()
            .model_for_path(&path)
            .and_then(|m| m.with_input_fact(0, f32::fact([1, 150, 150, 3]).into()))
            .and_then(|m| m.into_typed())
            .and_then(|m| m.into_decluttered())
            .unwrap();
        let convs = |m: &TypedModel, name: &str| m.nodes.iter().filter(|n| n.op().name() == name).count();
        assert_eq!(convs(&decluttered, "Conv"), 29);
        let amx = amx_convs(decluttered.clone()).unwrap();
        assert_eq!((convs(&amx, "Conv"), convs(&amx, "AmxConv")), (0, 29), "every convolution moved");
        // a smooth synthetic face-sized image, 0..255 like the chips
        let chip: Vec<f32> = (0..150 * 150 * 3)
            .map(|i| {
                let (p, c) = (i / 3, i % 3);
                let (y, x) = ((p / 150) as f32, (p % 150) as f32);
                127.5 + 100.0 * ((x * 0.07 + c as f32).sin() * (y * 0.05).cos())
            })
            .collect();
        let run = |m: TypedModel| -> Vec<f32> {
            let plan = m.into_optimized().unwrap().into_runnable().unwrap();
            let out = plan.run(tvec!(tensor1(&chip).into_shape(&[1, 150, 150, 3]).unwrap().into())).unwrap();
            let v = out[0].try_as_plain_ram().unwrap().as_slice::<f32>().unwrap().to_vec();
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.iter().map(|x| x / n).collect()
        };
        let (want, got) = (run(decluttered), run(amx));
        let l2 = want.iter().zip(&got).map(|(a, b)| (a - b) * (a - b)).sum::<f32>().sqrt();
        // tract's f32 network against dlib: 1.3e-6 (face-models/README.md); the target is 0.05
        assert!(l2 < 1e-4, "L2 between the AMX and f32 embeddings {l2}");
    }

    /// One of the MediaPipe models with a `side x side` NHWC input, typed, and decluttered when asked.
    fn mediapipe_model(file: &str, side: usize, declutter: bool) -> TypedModel {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../face-models").join(file);
        let typed = onnx()
            .model_for_path(&path)
            .and_then(|m| m.with_input_fact(0, f32::fact([1, side, side, 3]).into()))
            .and_then(|m| m.into_typed())
            .unwrap();
        if declutter {
            typed.into_decluttered().unwrap()
        } else {
            typed
        }
    }

    fn count_ops(m: &TypedModel, name: &str) -> usize {
        m.nodes.iter().filter(|n| n.op().name() == name).count()
    }

    /// Runs both models on a smooth synthetic image in the models' 0..1 / -1..1 ranges and checks that
    /// every output moved by at most 1e-4 of its scale.
    fn assert_same_outputs(file: &str, side: usize, want: TypedModel, got: TypedModel) {
        let image: Vec<f32> = (0..side * side * 3)
            .map(|i| {
                let (p, c) = (i / 3, i % 3);
                let (y, x) = ((p / side) as f32, (p % side) as f32);
                0.5 + 0.4 * ((x * 0.11 + c as f32).sin() * (y * 0.07).cos())
            })
            .collect();
        let run = |m: TypedModel| -> Vec<Vec<f32>> {
            let plan = m.into_optimized().unwrap().into_runnable().unwrap();
            let input = tensor1(&image).into_shape(&[1, side, side, 3]).unwrap();
            let out = plan.run(tvec!(input.into())).unwrap();
            out.iter().map(|o| o.try_as_plain_ram().unwrap().as_slice::<f32>().unwrap().to_vec()).collect()
        };
        let (want, got) = (run(want), run(got));
        assert_eq!(want.len(), got.len(), "{file}: outputs");
        for (w, g) in want.iter().zip(&got) {
            let scale = w.iter().fold(1f32, |m, v| m.max(v.abs()));
            let worst = w.iter().zip(g).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(worst <= 1e-4 * scale, "{file}: outputs moved by {worst} (scale {scale})");
        }
    }

    /// `replace` on the model (decluttered first or not) swaps exactly `expected` convolutions for `op`
    /// nodes, keeps the others, and keeps the outputs ([`assert_same_outputs`]).
    fn assert_replaces(
        (file, side, expected): (&str, usize, usize),
        declutter: bool,
        replace: fn(TypedModel) -> TractResult<TypedModel>,
        op: &str,
    ) {
        let model = mediapipe_model(file, side, declutter);
        let convs = count_ops(&model, "Conv");
        let replaced = replace(model.clone()).unwrap();
        assert_eq!(count_ops(&replaced, op), expected, "{file}: convolutions replaced by {op}");
        assert_eq!(count_ops(&replaced, "Conv"), convs - expected, "{file}: the others kept");
        assert_same_outputs(file, side, model, replaced);
    }

    #[test]
    fn depthwise_convs_take_every_depthwise_convolution_and_keep_the_outputs() {
        // (model, input side, depthwise convolutions in it)
        for case in [("blazeface_short_range.onnx", 128, 16), ("face_landmark.onnx", 192, 20), ("iris_landmark.onnx", 64, 26)] {
            assert_replaces(case, true, depthwise_convs, "Depthwise");
        }
    }

    #[test]
    fn pointwise_convs_take_every_1x1_convolution_and_keep_the_outputs() {
        // (model, input side, 1 x 1 convolutions in it); before decluttering, which makes them products
        for case in [("blazeface_short_range.onnx", 128, 20), ("face_landmark.onnx", 192, 22), ("iris_landmark.onnx", 64, 46)] {
            assert_replaces(case, false, pointwise_convs, "Pointwise");
        }
    }

    #[test]
    fn small_convs_take_the_first_layers_and_keep_the_outputs() {
        // FaceMesh's and the iris model's first layers (BlazeFace's goes to AMX where there is AMX)
        for case in [("face_landmark.onnx", 192, 1), ("iris_landmark.onnx", 64, 1), ("blazeface_short_range.onnx", 128, 1)] {
            assert_replaces(case, true, small_convs, "SmallConv");
        }
    }

    #[test]
    fn prelu_min_mul_equals_the_definition_for_every_slope() {
        // slopes below 0, between 0 and 1, and above 1 (the MediaPipe models have all three)
        let slope = [-1.1f32, 0.0, 0.25, 1.0, 1.5];
        let x: Vec<f32> = (0..40).map(|i| (i as f32 - 19.5) * 0.37).collect();
        let per = x.len() / slope.len();
        let expected: Vec<f32> =
            x.iter().enumerate().map(|(i, &v)| if v > 0.0 { v } else { slope[i / per] * v }).collect();
        // rank 3: the min / mul / add translation
        let shape = [1, slope.len(), per];
        let (fast, ops) = run_prelu(&onnx(), &x, &slope, &shape);
        assert!(!ops.iter().any(|o| o == "Prelu"), "{ops:?}");
        let (stock, _) = run_prelu(&tract_onnx::onnx(), &x, &slope, &shape);
        for ((f, s), e) in fast.iter().zip(&stock).zip(&expected) {
            assert!((f - e).abs() <= 1e-6 * e.abs().max(1.0), "fast {f} expected {e}");
            assert!((s - e).abs() <= 1e-6 * e.abs().max(1.0), "stock {s} expected {e}");
        }
    }

    #[test]
    fn prelu_op_equals_stock_tract_bit_for_bit_on_nchw() {
        let slope = [-1.1f32, 0.0, 0.25, 1.0, 1.5];
        let x: Vec<f32> = (0..2 * 40).map(|i| (i as f32 - 39.5) * 0.37).collect();
        // a batch of 2, 5 channels of 2 x 4; and one slope for every channel
        for (shape, slope) in [([2, 5, 2, 4], &slope[..]), ([2, 5, 2, 4], &slope[2..3])] {
            let (fast, ops) = run_prelu(&onnx(), &x, slope, &shape);
            assert!(ops.iter().any(|o| o == "Prelu"), "{ops:?}");
            let (stock, _) = run_prelu(&tract_onnx::onnx(), &x, slope, &shape);
            assert_eq!(fast.len(), x.len());
            for (i, (f, s)) in fast.iter().zip(&stock).enumerate() {
                assert_eq!(f.to_bits(), s.to_bits(), "at {i}: {f} vs stock {s}");
                let a = slope[if slope.len() == 1 { 0 } else { i / 8 % 5 }];
                assert_eq!(*f, if x[i] > 0.0 { x[i] } else { a * x[i] });
            }
        }
    }
}
