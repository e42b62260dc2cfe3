"""Shared test setup.

The database is whatever DATABASE_URL says (SQLite by default). `.ci/run` runs the suite twice:
once on SQLite and once with DATABASE_URL=postgres://postgres@127.0.0.1:5432/civility.
"""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Keep test runs from writing into the developer's ./civility-data.
os.environ.setdefault("CIVILITY_DATA_DIR", tempfile.mkdtemp(prefix="civility-test-"))
os.environ.setdefault("CIVILITY_SECRET_KEY", "test-only-secret-key-not-for-production")
# Playwright's sync API runs an event loop in the test thread; the ORM calls browser tests make
# between browser steps are ordinary blocking calls, not coroutines.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_OUTPUT = Path(os.environ.get("CIVILITY_TEST_OUTPUT", REPO_ROOT / "test-output"))
DATASETS = Path(os.environ.get("CIVILITY_DATASETS", REPO_ROOT.parent / "shared" / "datasets"))
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (never a browser Playwright downloads itself)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)  # two shared CPU cores: be patient, never flaky
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()
