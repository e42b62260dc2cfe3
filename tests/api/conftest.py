"""The reader-facing fixtures (site "news", story, readers with tokens), plus a signed-in
moderator of that site for the desk's JSON endpoints."""

from __future__ import annotations

import pytest
from django.test import Client

import tests.comments.conftest as reader_fixtures

# Shared with tests/comments (pytest finds fixtures by their names in this module).
_clear_cache = reader_fixtures._clear_cache
anon = reader_fixtures.anon
make_reader = reader_fixtures.make_reader
other_reader = reader_fixtures.other_reader
reader = reader_fixtures.reader
site = reader_fixtures.site
story = reader_fixtures.story


@pytest.fixture
def moderator_client(site, make_reader) -> Client:
    from civility.moderation.models import SiteMembership

    user, _ = make_reader("desk-mod")
    SiteMembership.objects.create(site=site, user=user, role="moderator")
    client = Client()
    client.force_login(user)
    return client
