#!/usr/bin/env bash
# Throughput of the client dashboard against a bare route, under wrk on loopback (what
# bench/load.sh measured before it put operators to work; kept for the ratio).
#
#   bash bench/throughput.sh [SECONDS] [CONNECTIONS]
#
# gunicorn with 2 sync workers serves the portal on a PostgreSQL database of its own
# (created from DATABASE_URL's server, default postgresql://postgres@127.0.0.1:5432/test,
# filled with the demo shop, dropped at the end). wrk runs SECONDS (default 30) against
# /client/ with a logged-in client's cookie, then against /healthz, which does no work.
# Needs: wrk (apt-get install wrk); installs gunicorn into .venv (extra "server").
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH="${1:-30}"
CONNECTIONS="${2:-16}"
PORT="${BENCH_PORT:-8765}"
BASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"
SERVER="${BASE_URL%/*}"
DB_NAME="portal_bench_load_$$"
export DATABASE_URL="$SERVER/$DB_NAME"
export SECRET_KEY="bench-$(date +%s)-$$"
export PORTAL_INSTANCE_PATH="$(mktemp -d)"
FLASK=".venv/bin/flask --app wsgi"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
make --silent install
[ -x .venv/bin/gunicorn ] || .venv/bin/pip install --quiet -e '.[server,dev]'

psql "$SERVER/postgres" -qc "CREATE DATABASE \"$DB_NAME\"" >/dev/null
cleanup() {
    [ -n "${GUNICORN_PID:-}" ] && kill "$GUNICORN_PID" 2>/dev/null && wait "$GUNICORN_PID" 2>/dev/null || true
    psql "$SERVER/postgres" -qc "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null
    rm -rf "$PORTAL_INSTANCE_PATH" "${COOKIES:-}"
}
trap cleanup EXIT

$FLASK db upgrade >/dev/null 2>&1
$FLASK seed-demo >/dev/null
.venv/bin/gunicorn --workers 2 --bind "127.0.0.1:$PORT" --log-level warning wsgi:app &
GUNICORN_PID=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done

# Log in through the real form (CSRF token from the page) and keep the session cookie.
COOKIES="$(mktemp)"
TOKEN=$(curl -fs -c "$COOKIES" "http://127.0.0.1:$PORT/login" \
    | sed -n 's/.*name="csrf_token" type="hidden" value="\([^"]*\)".*/\1/p' | head -n 1)
curl -fs -b "$COOKIES" -c "$COOKIES" -o /dev/null \
    --data-urlencode "csrf_token=$TOKEN" --data-urlencode "email=acme@example.com" \
    --data-urlencode "password=client-demo-2026" "http://127.0.0.1:$PORT/login"
SESSION=$(awk '$6 == "session" {print $7}' "$COOKIES")
[ -n "$SESSION" ] || { echo "login failed" >&2; exit 1; }
curl -fs -o /dev/null -H "Cookie: session=$SESSION" "http://127.0.0.1:$PORT/client/" \
    || { echo "the dashboard did not answer 200" >&2; exit 1; }

run() {  # run NAME PATH [HEADER] -> prints the line, sets RPS
    local output
    output=$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" --latency ${3:+-H "$3"} \
        "http://127.0.0.1:$PORT$2")
    RPS=$(echo "$output" | awk '/Requests\/sec/ {print $2}')
    local p50 p99 errors
    p50=$(echo "$output" | awk '$1 == "50%" {print $2}')
    p99=$(echo "$output" | awk '$1 == "99%" {print $2}')
    errors=$(echo "$output" | awk '/Non-2xx/ {print $NF}')
    echo "$1: ${RPS} req/s, p50 ${p50}, p99 ${p99}, non-2xx ${errors:-0}"
}

echo "machine: $(nproc) cores, $(python3 -V 2>&1), $(psql --version | head -n 1)"
echo "gunicorn 2 sync workers, wrk 2 threads x $CONNECTIONS connections, ${SECONDS_EACH}s each"
run "dashboard /client/" /client/ "Cookie: session=$SESSION"
DASHBOARD=$RPS
run "bare /healthz" /healthz
BARE=$RPS
echo "dashboard/bare ratio: $(python3 -c "print(f'{$DASHBOARD / $BARE:.2f}')")"
