"""The environment the test run's settings read, set before Django loads them.

Loaded as a plugin (`-p tests.environment` in pyproject.toml) because pytest-django reads the
settings before any conftest.py is imported: set there, these came too late, and every run
shared ./civility-data/test.sqlite3, so two runs at once (two developers, or a run and CI on
one machine) deleted each other's database mid-run. xdist workers inherit the controller's
environment, so one run's workers share its folder and pytest-django gives each worker its own
database file in it (test.sqlite3_gw0, ...).
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import tempfile

if "CIVILITY_DATA_DIR" not in os.environ:
    _data_dir = tempfile.mkdtemp(prefix="civility-test-")
    os.environ["CIVILITY_DATA_DIR"] = _data_dir
    atexit.register(shutil.rmtree, _data_dir, ignore_errors=True)
os.environ.setdefault("CIVILITY_SECRET_KEY", "test-only-secret-key-not-for-production")
# Tests score with the real model on machines that may be busy (CI, parallel workers): a post
# waits for its score rather than being held "waiting for the model's score" when a run is slow.
# Tests of the time budget set SCORING_TIMEOUT themselves.
os.environ.setdefault("CIVILITY_SCORING_TIMEOUT", "30")
# Names this run's PostgreSQL test databases (tests/conftest.py), so that two runs against one
# server do not drop each other's.
os.environ.setdefault("CIVILITY_TEST_RUN", secrets.token_hex(4))
# Playwright's sync API runs an event loop in the test thread; the ORM calls browser tests make
# between browser steps are ordinary blocking calls, not coroutines.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The translation catalogues are compiled from their .po files (only those are in git), as
# `civility serve` does at start; unchanged ones are skipped.
from civility.i18n import compile_catalogs  # noqa: E402

compile_catalogs()
