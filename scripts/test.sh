#!/usr/bin/env bash
# The one test command (README and CI both call it): lint, types, then the suite on SQLite and on
# PostgreSQL; then again on Django 6 where a Python >= 3.12 is at hand (Django 6 needs it; on
# Python 3.11 the project runs on Django 5.2 LTS). Creates ./.venv (and ./.venv-django6) and
# installs the project with its dev extra when needed.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${CIVILITY_PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[dev]'
# Perspective's Node sample runs against a live server (tests/perspective/test_discovery.py);
# axe-core is injected into the comment widget by tests/widget/test_widget_a11y.py.
if command -v npm >/dev/null 2>&1; then
  npm ci --prefix tests/perspective/node --no-audit --no-fund --loglevel=error
  npm ci --prefix tests/widget --no-audit --no-fund --loglevel=error
fi

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
echo "== translations"
# Only the .po catalogues are in git; serve, demo and the test run compile them too.
.venv/bin/civility compilemessages

mkdir -p test-output
# In parallel (pytest-xdist): one worker per core unless CIVILITY_TEST_WORKERS says otherwise
# (0 runs in this process). Each worker has its own test database; tests that share something
# outside the process (the Redis test database) carry an xdist_group mark and run on one worker.
PARALLEL=(-n "${CIVILITY_TEST_WORKERS:-auto}" --dist loadgroup)
echo "== pytest on SQLite"
.venv/bin/pytest "${PARALLEL[@]}" "$@"
.venv/bin/python tests/contract/run_schemathesis.py  # API contract: schemathesis vs civility serve

PG_URL=${CIVILITY_TEST_PG:-postgres://postgres@127.0.0.1:5432/civility}
PG_UP=0
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
  PG_UP=1
  echo "== pytest on PostgreSQL ($PG_URL); the model and browser suites ran above"
  DATABASE_URL="$PG_URL" .venv/bin/pytest "${PARALLEL[@]}" -m "not browser" \
    --ignore=tests/scoring --ignore=tests/training "$@"
elif [ "${CIVILITY_REQUIRE_POSTGRES:-0}" = "1" ]; then
  echo "PostgreSQL is required here (CIVILITY_REQUIRE_POSTGRES=1) but does not answer" >&2
  exit 1
else
  echo "== SKIPPED the PostgreSQL run: no server answers at $PG_URL (set CIVILITY_TEST_PG)"
fi

# Django 6 (Python >= 3.12): the same suites except the model and training ones, which do not
# touch Django and ran above.
if .venv/bin/python -c 'import sys; sys.exit(sys.version_info >= (3, 12))'; then
  PY6=""
  for cand in python3.12 python3.13 python3.14; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c '' >/dev/null 2>&1; then PY6=$cand; break; fi
  done
  if [ -z "$PY6" ] && command -v pyenv >/dev/null 2>&1; then
    for d in "$(pyenv root)"/versions/3.1[2-9]*; do
      if [ -x "$d/bin/python3" ]; then PY6="$d/bin/python3"; break; fi
    done
  fi
  if [ -n "$PY6" ]; then
    [ -x .venv-django6/bin/python ] || "$PY6" -m venv .venv-django6
    .venv-django6/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv-django6/bin/python -m pip install -q -e '.[dev]'
    echo "== pytest on Django $(.venv-django6/bin/python -c 'import django; print(django.__version__)')" \
      "($(.venv-django6/bin/python --version)), SQLite"
    .venv-django6/bin/pytest "${PARALLEL[@]}" --ignore=tests/scoring --ignore=tests/training "$@"
    if [ "$PG_UP" = "1" ]; then
      echo "== pytest on Django 6, PostgreSQL"
      DATABASE_URL="$PG_URL" .venv-django6/bin/pytest "${PARALLEL[@]}" -m "not browser" \
        --ignore=tests/scoring --ignore=tests/training "$@"
    fi
  else
    echo "== SKIPPED the Django 6 run: no Python >= 3.12 on this machine"
  fi
fi
