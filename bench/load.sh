#!/usr/bin/env bash
# Operators under load on PostgreSQL behind gunicorn, with a sender running.
#
#   bash bench/load.sh [SECONDS] [OPERATORS] [more options of bench/load.py]
#
# SECONDS (default 60) of OPERATORS (default 50) operators logging time and replying through
# the ticket form, on a PostgreSQL database of its own (beside DATABASE_URL, default
# postgresql://postgres@127.0.0.1:5432/test; dropped at the end), gunicorn with 4 sync
# workers and `flask send-mail` delivering to an aiosmtpd on loopback; then the hours and
# the outbox are checked against what was accepted (bench/load.py says how). Last line:
#   load: N req/s, p99 X ms, errors 0, hours ok, outbox ok
# Installs gunicorn into .venv (extra "server") when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

make --silent install
[ -x .venv/bin/gunicorn ] || .venv/bin/pip install --quiet -e '.[server,dev]'
# The migrations' progress is not part of the figures.
exec .venv/bin/python bench/load.py --seconds "${1:-60}" --operators "${2:-50}" "${@:3}" \
    2> >(grep -v '^INFO  \[alembic' >&2)
