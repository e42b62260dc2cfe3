#!/usr/bin/env bash
# The one test command (README and CI both call it): lint, types, then the suite on SQLite and on
# PostgreSQL. Creates ./.venv and installs the project with its dev extra when needed.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${CIVILITY_PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[dev]'

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy

mkdir -p test-output
echo "== pytest on SQLite"
.venv/bin/pytest "$@"

PG_URL=${CIVILITY_TEST_PG:-postgres://postgres@127.0.0.1:5432/civility}
if .venv/bin/python - "$PG_URL" <<'PY'
import sys
import psycopg
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
try:
    psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username, dbname="postgres",
                    connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL at {u.hostname}:{u.port} does not answer: {exc}")
    sys.exit(1)
PY
then
  echo "== pytest on PostgreSQL ($PG_URL); the model and browser suites ran above"
  DATABASE_URL="$PG_URL" .venv/bin/pytest -m "not browser" \
    --ignore=tests/scoring --ignore=tests/training "$@"
elif [ "${CIVILITY_REQUIRE_POSTGRES:-0}" = "1" ]; then
  echo "PostgreSQL is required here (CIVILITY_REQUIRE_POSTGRES=1) but does not answer" >&2
  exit 1
else
  echo "== SKIPPED the PostgreSQL run: no server answers at $PG_URL (set CIVILITY_TEST_PG)"
fi
