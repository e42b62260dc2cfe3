"""The reader-facing fixtures (site "news", story, readers with tokens), shared with
tests/comments, for the data-rights tests."""

from __future__ import annotations

import pytest

import tests.comments.conftest as reader_fixtures
import tests.mailserver

# pytest finds fixtures by their names in this module.
_clear_cache = reader_fixtures._clear_cache
anon = reader_fixtures.anon
make_reader = reader_fixtures.make_reader
reader = reader_fixtures.reader
other_reader = reader_fixtures.other_reader
site = reader_fixtures.site
story = reader_fixtures.story
mailbox = tests.mailserver.mailbox  # a real SMTP server (aiosmtpd) the test starts


@pytest.fixture(autouse=True)
def _no_notify_grace(settings):
    """Notification e-mail goes as soon as the reader's window allows: no minute's wait for a
    moderator's undo (tests/accounts/test_notifications.py has a test of that wait)."""
    settings.NOTIFY_GRACE_SECONDS = 0
