#!/usr/bin/env bash
# Browser tests (called by `make e2e`): installs what is missing — Debian's chromium and ffmpeg (apt), npm
# playwright-core (npm ci, no browser download) — then runs every test in tests/ with Node's test runner.
# Needs the built SPA in dist/ (frontend/build.sh); uses the backend binary when it is built.
# Usage: frontend/e2e/run.sh [test files...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
command -v node >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "[e2e] installing ${missing[*]} (apt)" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
fi

if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi

[ -f ../../dist/index.html ] || { echo "[e2e] no dist/index.html: run frontend/build.sh first" >&2; exit 1; }

args=(--test)
# One browser at a time on a 2-core machine (the flag exists from Node 20.10 on).
node --help | grep -q -- --test-concurrency && args+=(--test-concurrency=1)
if [ $# -gt 0 ]; then
  exec node "${args[@]}" "$@"
fi
exec node "${args[@]}" tests/
