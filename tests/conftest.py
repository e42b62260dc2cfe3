"""Shared test setup.

The database is whatever DATABASE_URL says (SQLite by default). `.ci/run` runs the suite twice:
once on SQLite and once with DATABASE_URL=postgres://postgres@127.0.0.1:5432/civility.

scripts/test.sh runs it in parallel (pytest-xdist, `-n auto`): each worker gets its own test
database (pytest-django appends the worker id, e.g. test.sqlite3_gw0 or test_civility_gw0), its
own live server port and its own in-process cache, so no test needs to run alone.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from civility.scoring import Scorer

# The environment (a fresh data folder, a test secret key) is set in tests/environment.py.

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_OUTPUT = Path(os.environ.get("CIVILITY_TEST_OUTPUT", REPO_ROOT / "test-output"))
DATASETS = Path(os.environ.get("CIVILITY_DATASETS", REPO_ROOT.parent / "shared" / "datasets"))
CHROMIUM = "/usr/bin/chromium"


def pytest_configure(config: pytest.Config) -> None:
    """Test-only settings; production settings are untouched.

    Passwords are hashed with MD5: the production hasher (PBKDF2, slow on purpose) took most of
    the suite's time, creating users."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # SQLite's test database lies in this run's data folder (tests/environment.py); PostgreSQL's
    # is named for this run. pytest-django appends the xdist worker (_gw0, ...) to both.
    db = settings.DATABASES["default"]
    if not db.get("TEST", {}).get("NAME"):
        run = os.environ["CIVILITY_TEST_RUN"]
        db.setdefault("TEST", {})["NAME"] = f"test_{db['NAME']}_{run}"


@pytest.fixture(autouse=True)
def _forget_recent_scores() -> Iterator[None]:
    """Every test scores its texts afresh: the server keeps recent scores for reuse
    (civility.moderation.scoring), and tests share texts and a process. And every test starts
    with the process's scoring idle: texts a test left to be scored in the background (a post
    held for its late score) made the batcher busy for the next one, whose posts then went
    on without waiting for their scores (held `model_pending` instead of decided)."""
    yield
    scoring = sys.modules.get("civility.moderation.scoring")
    if scoring is not None:
        scoring.forget_recent_scores()
        deadline = time.monotonic() + 15
        for batcher in list(scoring._batchers.values()):
            while batcher.unscored and time.monotonic() < deadline:
                time.sleep(0.01)


@pytest.fixture(scope="session")
def scorer() -> Scorer:
    """The model artifact shipped inside the package, loaded once per test process.

    It is part of the package (civility/scoring/artifacts), so there is no legitimate reason for
    it to be missing: a missing or broken artifact fails every test that uses it, never skips.
    """
    from civility.scoring import Scorer

    return Scorer.load()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language: a request's LocaleMiddleware leaves the language
    it chose (Accept-Language) active in the thread, which the next test would inherit."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


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
