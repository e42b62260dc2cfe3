"""Fixtures for the accounts-hardening tests: the reader-facing site "news" and its readers
(tests/comments), staff of that site with known passwords, and a helper for fixed windows."""

from __future__ import annotations

import time
from typing import Any

import pytest

import tests.comments.conftest as reader_fixtures

# Shared with tests/comments (pytest finds fixtures by their names in this module).
_clear_cache = reader_fixtures._clear_cache
anon = reader_fixtures.anon
make_reader = reader_fixtures.make_reader
reader = reader_fixtures.reader
site = reader_fixtures.site
story = reader_fixtures.story
Api = reader_fixtures.Api

PASSWORD = "staff-password-0123"


@pytest.fixture
def make_staff(db, site):
    from civility.accounts.models import User
    from civility.moderation.models import SiteMembership

    def make(name: str, role: str | None = "moderator", **fields: Any) -> Any:
        user = User.objects.create_user(username=name, password=PASSWORD, **fields)
        if role is not None:
            SiteMembership.objects.create(site=site, user=user, role=role)
        return user

    return make


def fresh_window(seconds: int, margin: float = 5.0) -> None:
    """Wait out the end of the current fixed rate-limit window if it is about to turn over, so
    a test's hits all fall into one window (at most ``margin`` seconds)."""
    left = seconds - time.time() % seconds
    if left < margin:
        time.sleep(left + 0.05)
