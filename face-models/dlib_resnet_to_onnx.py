#!/usr/bin/env python3
"""Write dlib's 128-D face recognition ResNet (dlib_face_recognition_resnet_model_v1.dat, CC0, Davis King)
as an ONNX graph, with the float32 weights read straight from dlib's own serialisation.

Architecture (dlib's examples/dnn_face_recognition_ex.cpp, `anet_type`):
  input_rgb_image_sized<150>: (pixel - [122.782, 117.001, 104.298]) / 256, RGB
  con<32,7,7,2,2> affine relu max_pool<3,3,2,2>
  alevel4: 3 x ares<32>;  alevel3: ares_down<64> + 3 x ares<64>;  alevel2: ares_down<128> + 2 x ares<128>
  alevel1: ares_down<256> + 2 x ares<256>;  alevel0: ares_down<256>
  avg_pool_everything, fc_no_bias<128>, loss_metric
  ares      = relu(x + affine(con3x3(relu(affine(con3x3 s1(x))))))
  ares_down = relu(avg_pool<2,2,2,2>(x) + affine(con3x3(relu(affine(con3x3 s2(x))))))
dlib's convolutions and pools use padding size/2 when the stride is 1 and 0 otherwise; add_prev adds tensors of
different sizes by treating the missing part (channels, bottom rows, right columns) as zeros.

Only the standard library, numpy and onnx are needed. Usage:
  python dlib_resnet_to_onnx.py dlib_face_recognition_resnet_model_v1.dat OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class DlibReader:
    """Minimal reader for the parts of dlib's serialisation format this file uses."""

    def __init__(self, data: bytes):
        self.d = data
        self.p = 0

    def int_(self) -> int:
        ctrl = self.d[self.p]
        self.p += 1
        n = ctrl & 0x0F
        if n > 8:
            raise ValueError(f"bad int control byte {ctrl:#x} at {self.p - 1}")
        v = int.from_bytes(self.d[self.p:self.p + n], "little")
        self.p += n
        return -v if ctrl & 0x80 else v

    def str_(self) -> str:
        n = self.int_()
        s = self.d[self.p:self.p + n]
        self.p += n
        return s.decode("ascii")

    def float_(self) -> float:  # dlib's portable float: int64 mantissa, int16 exponent
        m = self.int_()
        e = self.int_()
        return float(m) * 2.0 ** e

    def tensor(self) -> np.ndarray:
        version = self.int_()
        if version != 2:
            raise ValueError(f"tensor version {version} at {self.p}")
        shape = [self.int_() for _ in range(4)]
        n = int(np.prod(shape))
        a = np.frombuffer(self.d, dtype="<f4", count=n, offset=self.p).astype(np.float32)
        self.p += 4 * n
        return a.reshape(shape)


def find_tag(d: bytes, tag: str, start: int) -> int:
    """Position just after the next length-prefixed string `tag` (dlib writes a string as int length + bytes)."""
    pat = bytes([0x01, len(tag)]) + tag.encode("ascii")
    i = d.find(pat, start)
    if i < 0:
        raise ValueError(f"{tag} not found after {start}")
    return i + len(pat)


def parse(path: str):
    d = open(path, "rb").read()
    r = DlibReader(d)
    # input layer
    r.p = find_tag(d, "input_rgb_image_sized", 0)
    mean = [r.float_() for _ in range(3)]
    nr, nc = r.int_(), r.int_()
    assert (nr, nc) == (150, 150), (nr, nc)
    # every con_4 / affine_ / fc_2 in file order (dlib writes the innermost layer, i.e. the input side, first)
    layers = []
    pos = r.p
    while True:
        cands = []
        for tag in ("con_4", "affine_", "fc_2"):
            pat = bytes([0x01, len(tag)]) + tag.encode("ascii")
            i = d.find(pat, pos)
            if i >= 0:
                cands.append((i, tag))
        if not cands:
            break
        i, tag = min(cands)
        r.p = find_tag(d, tag, i)
        if tag == "con_4":
            params = r.tensor().reshape(-1)
            nf, knr, knc, sy, sx, py, px = (r.int_() for _ in range(7))
            kin = (params.size - nf) // (nf * knr * knc)
            assert kin * nf * knr * knc + nf == params.size
            w = params[: nf * kin * knr * knc].reshape(nf, kin, knr, knc)
            b = params[nf * kin * knr * knc:]
            layers.append(("con", dict(w=w, b=b, stride=(sy, sx), pad=(py, px))))
        elif tag == "affine_":
            params = r.tensor().reshape(-1)
            k = params.size // 2
            layers.append(("affine", dict(gamma=params[:k], beta=params[k:])))
        else:
            n_out, n_in = r.int_(), r.int_()
            params = r.tensor()
            assert params.size == n_in * n_out, (params.shape, n_in, n_out)
            # fc_ keeps its weights as an (num_inputs x num_outputs) matrix: y = x . W
            layers.append(("fc", dict(w=params.reshape(n_in, n_out))))
        pos = r.p
    return np.array(mean, dtype=np.float32), layers


def build(dat_path: str, out_path: str):
    mean, layers = parse(dat_path)
    kinds = [k for k, _ in layers]
    assert kinds == ["con", "affine"] * 29 + ["fc"], kinds
    convs = []
    for i in range(29):
        c = layers[2 * i][1]
        a = layers[2 * i + 1][1]
        g, be = a["gamma"], a["beta"]
        assert g.size == c["w"].shape[0]
        # fold the per-channel affine (y = g*x + b) into the preceding convolution
        w = (c["w"] * g[:, None, None, None]).astype(np.float32)
        b = (c["b"] * g + be).astype(np.float32)
        convs.append(dict(w=w, b=b, stride=c["stride"], pad=c["pad"]))
    fc_w = layers[-1][1]["w"].astype(np.float32)

    nodes, inits = [], []
    counter = [0]

    def name(prefix):
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def const(prefix, arr):
        n = name(prefix)
        inits.append(numpy_helper.from_array(np.asarray(arr), n))
        return n

    def node(op, inputs, **attrs):
        out = name(op.lower())
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    conv_iter = iter(convs)

    def conv(x, expect_stride, expect_k):
        c = next(conv_iter)
        kh, kw = c["w"].shape[2:]
        assert c["stride"] == (expect_stride, expect_stride) and kh == kw == expect_k, (c["stride"], kh)
        # dlib: padding = k/2 when stride 1, 0 otherwise (the stored values say which)
        py, px = c["pad"]
        return node("Conv", [x, const("W", c["w"]), const("B", c["b"])],
                    kernel_shape=[kh, kw], strides=list(c["stride"]), pads=[py, px, py, px]), c["w"].shape[0]

    def size_after(n, k, s, p):
        return (n + 2 * p - k) // s + 1

    # input: NHWC float 0..255 RGB -> NCHW. dlib's normalisation (x - mean) / 256 is folded into the first
    # convolution, which has no padding, so every output sees only real pixels: W' = W / 256,
    # b' = b - sum(W * mean) / 256, computed in float64. (As separate Sub and Mul nodes the broadcast
    # subtraction alone took ~5% of the network's time in tract.)
    c0 = convs[0]
    assert c0["pad"] == (0, 0), c0["pad"]
    w64 = c0["w"].astype(np.float64) / 256.0
    c0["b"] = (c0["b"].astype(np.float64) - (w64 * mean.astype(np.float64)[None, :, None, None]).sum(axis=(1, 2, 3))
               ).astype(np.float32)
    c0["w"] = w64.astype(np.float32)
    x = "input"
    x = node("Transpose", [x], perm=[0, 3, 1, 2])
    hw = 150
    x, ch = conv(x, 2, 7)
    hw = size_after(hw, 7, 2, 0)
    x = node("Relu", [x])
    x = node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 0, 0])
    hw = size_after(hw, 3, 2, 0)

    def ares(x, ch, hw):
        y, _ = conv(x, 1, 3)
        y = node("Relu", [y])
        y, _ = conv(y, 1, 3)
        return node("Relu", [node("Add", [x, y])]), ch, hw

    def ares_down(x, ch, hw, out_ch):
        y, c1 = conv(x, 2, 3)
        assert c1 == out_ch
        y = node("Relu", [y])
        y, _ = conv(y, 1, 3)
        main_hw = size_after(hw, 3, 2, 0)
        sc = node("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 0, 0])
        sc_hw = size_after(hw, 2, 2, 0)
        out_hw = max(main_hw, sc_hw)
        # add_prev: zero-extend whichever branch is smaller (channels / bottom rows / right columns)
        if out_hw > main_hw:
            d = out_hw - main_hw
            y = node("Pad", [y, const("pads", np.array([0, 0, 0, 0, 0, 0, d, d], dtype=np.int64))], mode="constant")
        if out_hw > sc_hw:
            d = out_hw - sc_hw
            sc = node("Pad", [sc, const("pads", np.array([0, 0, 0, 0, 0, 0, d, d], dtype=np.int64))], mode="constant")
        if out_ch > ch:
            sc = node("Pad", [sc, const("pads", np.array([0, 0, 0, 0, 0, out_ch - ch, 0, 0], dtype=np.int64))],
                      mode="constant")
        return node("Relu", [node("Add", [y, sc])]), out_ch, out_hw

    for _ in range(3):
        x, ch, hw = ares(x, ch, hw)
    for out_ch, n in ((64, 3), (128, 2), (256, 2)):
        x, ch, hw = ares_down(x, ch, hw, out_ch)
        for _ in range(n):
            x, ch, hw = ares(x, ch, hw)
    x, ch, hw = ares_down(x, ch, hw, 256)
    assert next(conv_iter, None) is None
    x = node("GlobalAveragePool", [x])
    x = node("Reshape", [x, const("shape", np.array([1, 256], dtype=np.int64))])
    nodes.append(helper.make_node("MatMul", [x, const("fc", fc_w)], ["embedding"], name="fc_no_bias"))

    graph = helper.make_graph(
        nodes, "dlib_face_recognition_resnet_model_v1",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 150, 150, 3])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, 128])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="absensi-wajah face-models/dlib_resnet_to_onnx.py")
    model.ir_version = 7
    model.doc_string = ("dlib_face_recognition_resnet_model_v1 (CC0, Davis King), float32 weights read from the .dat in "
                        "PyPI face-recognition-models 0.3.0; affine layers and the input normalisation folded into the convolutions. "
                        "input: [1,150,150,3] NHWC float RGB 0..255 (aligned dlib chip; the graph applies dlib's (x - mean) / 256 itself); "
                        "output: [1,128] raw embedding, compare with Euclidean distance (dlib threshold 0.6).")
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, out_path)
    print(f"wrote {out_path}: mean={mean.tolist()} convs={len(convs)} fc={fc_w.shape}")


if __name__ == "__main__":
    build(sys.argv[1], sys.argv[2])
