"""Coral's external moderation phase and the per-site language policy (real model)."""

from __future__ import annotations

from typing import Any

import pytest

from civility.comments.models import Site

from .test_coral import NEW, coral_body, send, signature

pytestmark = pytest.mark.django_db

GERMAN = "Ich verstehe nicht, warum die Straße schon wieder gesperrt ist."


@pytest.fixture
def site(db: Any) -> Site:
    return Site.objects.create(
        name="Daily", slug="daily", settings={"coral": {"signing_secrets": [NEW]}}
    )


def test_held_for_its_language_goes_to_premoderation_unflagged(
    client: Any, site: Site, scorer: Any
) -> None:
    body = coral_body(GERMAN)
    resp = send(client, body, signature(NEW, body))
    assert resp.status_code == 200, resp.content
    assert resp.json() == {"status": "PREMOD"}  # not "detected toxic": it was never scored


def test_published_unscored_is_left_to_coral(client: Any, site: Site, scorer: Any) -> None:
    site.settings = {**site.settings, "unsupported_language": "publish"}
    site.save()
    body = coral_body(GERMAN)
    assert send(client, body, signature(NEW, body)).status_code == 204
