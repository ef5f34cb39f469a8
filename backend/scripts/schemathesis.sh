#!/usr/bin/env bash
# API fuzzing with schemathesis against the real server, driven by the OpenAPI document it serves.
#
#   backend/scripts/schemathesis.sh [sqlite|mysql] [extra schemathesis args...]
#
# What it does, from the repository root:
#   1. builds the backend as `make test` does (dev profile, CARGO_TARGET_DIR defaults to
#      ~/.cache/absensi-wajah/target) and
#      copies the binary into a temp dir, so concurrent builds cannot swap it mid-run;
#   2. installs schemathesis from PyPI into ~/.cache/absensi-wajah/tools/schemathesis-venv when missing;
#   3. starts `backend serve` on a fresh database: a SQLite file in the temp dir (default), or with `mysql` a
#      new MariaDB database absensi_st_<random> at 127.0.0.1:3306 (root, empty password; created by the
#      server, dropped at the end). Owner bootstrap from OWNER_EMAIL/OWNER_PASSWORD, APP_ENV=test, rate
#      limits raised (LOGIN_MAX_FAILURES, KIOSK_RATE_PER_MINUTE) so the fuzzer does not only see 429s;
#   4. logs in (POST /api/auth/login) and seeds real rows so ids exist: a shift, two employees, a leave and
#      a manual attendance row;
#   5. runs `schemathesis run <server>/api/openapi.json -H "Authorization: Bearer <token>"` over every
#      operation (examples, coverage, fuzzing and stateful phases), with a generated config that binds
#      `{id}` (70% of draws) and `employee_id` (50%) to the seeded ids, so handlers behind the 404 are
#      reached too;
#   6. stops the server, scans its log for panics and 5xx, drops the MariaDB database, removes the temp dir
#      (the reports are kept in ST_REPORT_DIR).
# Exit status: schemathesis' own (non-zero when a selected check failed), or 1 when the server logged a
# panic or a 5xx.
#
# Settings (environment):
#   ST_CHECKS    schemathesis --checks (default not_a_server_error; `all` also checks status codes,
#                response schemas, negative/positive data handling, undeclared methods, ...)
#   ST_EXAMPLES  --max-examples per operation (default 100)
#   ST_WORKERS   --workers (default 2)
#   ST_PORT      listen port (default 18080)
#   ST_REPORT_DIR  where the JUnit/NDJSON reports and the server log go (default $CARGO_TARGET_DIR/schemathesis-<db>)
#   ST_SKIP_BUILD=1  use the already built binary in $CARGO_TARGET_DIR/debug/backend
#
# Examples:
#   backend/scripts/schemathesis.sh                          # SQLite, 5xx only
#   ST_CHECKS=all ST_EXAMPLES=300 backend/scripts/schemathesis.sh
#   backend/scripts/schemathesis.sh mysql --seed 42
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
DB_KIND="${1:-sqlite}"
[ $# -gt 0 ] && shift
case "$DB_KIND" in sqlite|mysql) ;; *) echo "usage: $0 [sqlite|mysql] [schemathesis args...]" >&2; exit 2 ;; esac

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/absensi-wajah/target}"
CHECKS="${ST_CHECKS:-not_a_server_error}"
EXAMPLES="${ST_EXAMPLES:-100}"
WORKERS="${ST_WORKERS:-2}"
PORT="${ST_PORT:-18080}"
BASE="http://127.0.0.1:$PORT"
REPORT_DIR="${ST_REPORT_DIR:-$CARGO_TARGET_DIR/schemathesis-$DB_KIND}"
VENV="$HOME/.cache/absensi-wajah/tools/schemathesis-venv"
OWNER_EMAIL="owner@contoh.id"
OWNER_PASSWORD="rahasia-sekali-123"

if [ "${ST_SKIP_BUILD:-0}" != 1 ]; then
  # the debug binary `make test` (and e2e) builds: `cargo build -p backend` or `--workspace --bin backend`
  # resolve other dependency features and compile every dependency again (~7 min on a 2-core VM)
  cargo test --workspace --no-run
fi
if [ ! -x "$VENV/bin/schemathesis" ]; then
  echo "installing schemathesis into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q schemathesis
fi
"$VENV/bin/schemathesis" --version

TMP="$(mktemp -d /tmp/absensi-st.XXXXXX)"
cp "$CARGO_TARGET_DIR/debug/backend" "$TMP/backend"
mkdir -p "$REPORT_DIR"
SERVER_LOG="$REPORT_DIR/server.log"

MYSQL_DB=""
if [ "$DB_KIND" = mysql ]; then
  ping_db() { mariadb -h127.0.0.1 -uroot -e 'SELECT 1' >/dev/null 2>&1; }
  if ! ping_db; then
    # Started only, never reset: other test runs may be using it.
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    for _ in $(seq 1 60); do ping_db && break; sleep 1; done
    ping_db || { echo "MariaDB is not reachable at 127.0.0.1:3306 as root" >&2; exit 1; }
  fi
  MYSQL_DB="absensi_st_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  DATABASE_URL="mysql://root:@127.0.0.1:3306/$MYSQL_DB"
else
  DATABASE_URL="sqlite://$TMP/absensi.db?mode=rwc"
fi

SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ -n "$MYSQL_DB" ]; then
    mariadb -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS \`$MYSQL_DB\`" || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

echo "server: $DATABASE_URL on $BASE (log: $SERVER_LOG)"
env APP_ENV=test \
  DATABASE_URL="$DATABASE_URL" \
  BIND_ADDR="127.0.0.1:$PORT" \
  UPLOAD_DIR="$TMP/uploads" \
  STATIC_DIR="$TMP/no-static" \
  FACE_MODELS_DIR="$ROOT/face-models" \
  OWNER_EMAIL="$OWNER_EMAIL" OWNER_PASSWORD="$OWNER_PASSWORD" \
  LOGIN_MAX_FAILURES=1000000 KIOSK_RATE_PER_MINUTE=1000000 \
  DAILY_CLOSE_ENABLED=false GEOFENCE_ENABLED=true \
  LOG_FORMAT=json RUST_LOG=info \
  "$TMP/backend" serve >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
  curl -sf "$BASE/api/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited:" >&2; tail -20 "$SERVER_LOG" >&2; exit 1; }
  sleep 1
done
curl -sf "$BASE/api/health" >/dev/null

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
TOKEN="$(curl -sf -X POST "$BASE/api/auth/login" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$OWNER_EMAIL\",\"password\":\"$OWNER_PASSWORD\"}" | json '["token"]')"
AUTH="Authorization: Bearer $TOKEN"
post() {
  local out
  out="$(curl -s -w '\n%{http_code}' -X POST "$BASE$1" -H "$AUTH" "${@:2}")"
  case "${out##*$'\n'}" in 2??) printf '%s\n' "${out%$'\n'*}" ;; *) echo "seeding POST $1 failed: $out" >&2; return 1 ;; esac
}
SHIFT_ID="$(post /api/shifts -H 'Content-Type: application/json' \
  -d '{"nama":"Pagi","jam_masuk":"08:00","jam_pulang":"17:00","toleransi_menit":10}' | json '["id"]')"
EMP_ID="$(post /api/employees -H 'Content-Type: application/json' \
  -d "{\"kode\":\"K001\",\"nama\":\"Budi Santoso\",\"email\":\"budi@contoh.id\",\"shift_id\":$SHIFT_ID}" | json '["id"]')"
EMP2_ID="$(post /api/employees -H 'Content-Type: application/json' \
  -d "{\"kode\":\"K002\",\"nama\":\"Siti Aminah\",\"email\":\"siti@contoh.id\",\"shift_id\":$SHIFT_ID}" | json '["id"]')"
LEAVE_ID="$(post /api/leaves -F "employee_id=$EMP_ID" -F jenis=CUTI -F "tanggal_mulai=$(date -d 'next monday' +%F)" \
  -F "tanggal_selesai=$(date -d 'next monday + 1 day' +%F)" -F alasan=liburan | json '["id"]')"
YESTERDAY="$(date -d yesterday +%F)"
ATT_ID="$(post /api/attendance -H 'Content-Type: application/json' \
  -d "{\"employee_id\":$EMP_ID,\"tanggal\":\"$YESTERDAY\",\"status\":\"HADIR\",\"check_in\":\"08:02\",\"check_out\":\"17:00\"}" \
  | json '["id"]')"
echo "seeded: shift $SHIFT_ID, employees $EMP_ID and $EMP2_ID, leave $LEAVE_ID, attendance $ATT_ID"

# Most generated ids are random integers (404): bind `{id}` and `employee_id` to the seeded rows part of the
# time, so the handlers behind the 404 (approve, face registration, corrections, ...) are reached too.
IDS="$(printf '%s\n' "$SHIFT_ID" "$EMP_ID" "$EMP2_ID" "$LEAVE_ID" "$ATT_ID" | sort -un | paste -sd, -)"
cat >"$TMP/schemathesis.toml" <<TOML
[dictionaries.seeded]
values = [$IDS]

[parameters]
"path.id" = { dictionary = "seeded", probability = 0.7 }
"query.employee_id" = { dictionary = "seeded", probability = 0.5 }
TOML

set +e
# From the temp dir: schemathesis keeps a cache (`.schemathesis/`) in its working directory.
cd "$TMP"
"$VENV/bin/schemathesis" --config-file "$TMP/schemathesis.toml" run "$BASE/api/openapi.json" \
  -H "$AUTH" \
  --checks "$CHECKS" \
  --max-examples "$EXAMPLES" \
  --workers "$WORKERS" \
  --no-color \
  --report junit,ndjson --report-dir "$REPORT_DIR" \
  "$@"
ST_RC=$?
set -e
cd "$ROOT"

kill "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
FIVE_XX="$(grep -cE '"http.status_code":"?5[0-9][0-9]' "$SERVER_LOG" || true)"
PANICS="$(grep -c 'panicked' "$SERVER_LOG" || true)"
echo "server log: $FIVE_XX responses with a 5xx status, $PANICS panics ($SERVER_LOG)"
if [ "$FIVE_XX" != 0 ] || [ "$PANICS" != 0 ]; then
  exit 1
fi
exit "$ST_RC"
