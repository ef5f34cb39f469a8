#!/usr/bin/env bash
# Monday-morning load test against a RELEASE server on a fresh MariaDB database (see backend/tests/api/load.rs
# for what the simulated kiosks and owners do and which LOAD_* variables shape the run).
#
#   backend/scripts/load-test.sh                       # 20 kiosks, 2 owners, 300 scans, realistic pacing
#   LOAD_CAPTURE_MS=0 LOAD_THINK_MS=0 backend/scripts/load-test.sh   # stampede: all kiosks back to back
#
# Needs MariaDB at $LOAD_MYSQL (default mysql://root:@127.0.0.1:3306) and ../shared/data/faces. Builds
# target/release/backend when missing (a cold release build takes a while on 2 cores). The server's log is
# kept in $LOAD_DIR/server.log; the database is dropped afterwards unless LOAD_KEEP_DB=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
MYSQL="${LOAD_MYSQL:-mysql://root:@127.0.0.1:3306}"
PORT="${LOAD_PORT:-18181}"
DB="absensi_load_$(date +%s)"
DIR="${LOAD_DIR:-$(mktemp -d /tmp/absensi-load.XXXXXX)}"
mkdir -p "$DIR"

BIN="${LOAD_SERVER_BIN:-$TARGET_DIR/release/backend}"   # another build to compare: LOAD_SERVER_BIN=path
# (with LOAD_MODELS_DIR=its face-models when the model files differ)
[ -x "$BIN" ] || cargo build --release -p backend
cargo test --workspace --test api --no-run >/dev/null 2>&1 || cargo test --workspace --test api --no-run

export OWNER_EMAIL=beban@contoh.co.id OWNER_PASSWORD=rahasia-beban-123
DATABASE_URL="$MYSQL/$DB" BIND_ADDR="127.0.0.1:$PORT" JWT_SECRET="load-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  UPLOAD_DIR="$DIR/uploads" KIOSK_RATE_PER_MINUTE=1000000 CHECKOUT_MIN_GAP_MINUTES=0 DAILY_CLOSE_ENABLED=false \
  FACE_MODELS_DIR="${LOAD_MODELS_DIR:-face-models}" STATIC_DIR=dist LOG_FORMAT=json RUST_LOG=warn \
  "$BIN" serve >"$DIR/server.log" 2>&1 &
SERVER=$!
echo "$SERVER" >"$DIR/server.pid"
cleanup() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  if [ "${LOAD_KEEP_DB:-0}" != 1 ]; then
    mariadb -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS \`$DB\`" 2>/dev/null || true
  fi
}
trap cleanup EXIT
for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$PORT/api/health" >/dev/null && break; sleep 1; done
curl -fs "http://127.0.0.1:$PORT/api/health" >/dev/null || { echo "server did not start: $DIR/server.log" >&2; exit 1; }
echo "server pid $SERVER on :$PORT, database $DB, logs $DIR/server.log" >&2

status=0
# the driver shares this machine's two cores with the server: its CPU (cargo's and the test binary's) is
# printed too, since it is taken from the server exactly when the kiosks send
TIMEFORMAT="driver CPU (cargo + simulated kiosks and owners): %U s user + %S s system, %R s wall"
time {
  LOAD_URL="http://127.0.0.1:$PORT" LOAD_DATABASE_URL="$MYSQL/$DB" LOAD_OWNER_EMAIL="$OWNER_EMAIL" \
    LOAD_OWNER_PASSWORD="$OWNER_PASSWORD" cargo test --workspace --test api load -- --ignored --nocapture \
    >"$DIR/driver.log" 2>&1 || status=$?
}
grep -E '^\{"attend_ms|panicked|test result' "$DIR/driver.log" || tail -20 "$DIR/driver.log"
echo "peak RSS of the server: $(grep VmHWM /proc/$SERVER/status 2>/dev/null | awk '{print $2 " kB"}')" >&2
# user + system CPU of the server over the whole run (registration of the test people included)
echo "server CPU: $(awk -v t="$(getconf CLK_TCK)" '{printf "%.1f s", ($14 + $15) / t}' "/proc/$SERVER/stat" 2>/dev/null)" >&2
exit $status
