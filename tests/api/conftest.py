"""The reader-facing fixtures (site "news", story, readers with tokens), plus a signed-in
moderator of that site for the desk's JSON endpoints."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.comments.conftest import (  # noqa: F401 - fixtures shared with tests/comments
    _clear_cache,
    anon,
    make_reader,
    reader,
    site,
    story,
)


@pytest.fixture
def moderator_client(site, make_reader) -> Client:  # noqa: F811 - the imported fixtures
    from civility.moderation.models import SiteMembership

    user, _ = make_reader("desk-mod")
    SiteMembership.objects.create(site=site, user=user, role="moderator")
    client = Client()
    client.force_login(user)
    return client
