"""Shared test setup.

The database is whatever DATABASE_URL says (SQLite by default). `.ci/run` runs the suite twice:
once on SQLite and once with DATABASE_URL=postgres://postgres@127.0.0.1:5432/civility.
"""

import os
import tempfile
from pathlib import Path

# Keep test runs from writing into the developer's ./civility-data.
os.environ.setdefault("CIVILITY_DATA_DIR", tempfile.mkdtemp(prefix="civility-test-"))
os.environ.setdefault("CIVILITY_SECRET_KEY", "test-only-secret-key-not-for-production")

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_OUTPUT = Path(os.environ.get("CIVILITY_TEST_OUTPUT", REPO_ROOT / "test-output"))
DATASETS = Path(os.environ.get("CIVILITY_DATASETS", REPO_ROOT.parent / "shared" / "datasets"))
