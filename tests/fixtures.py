"""Fixtures and builders that several test folders share, in one place.

A conftest.py takes a fixture from here by naming it at module level
(`clear_cache = fixtures.clear_cache`); the builders are plain functions, so folders whose
fixtures need a different database fixture (``db`` or ``transactional_db``) share the body.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def clear_cache() -> Iterator[None]:
    """Rate-limit counters and cached thread pages live in the cache; tests must not share
    them (ids repeat across tests)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def daily_news() -> Any:
    """The desk's and the webhooks' site: every origin, no pre-moderation."""
    from civility.comments.models import Site

    return Site.objects.create(
        name="Daily News", slug="daily", allowed_origins=["*"], premoderation="none"
    )


def war_report(site: Any) -> Any:
    from civility.comments.models import Story

    return Story.objects.create(site=site, url="https://news.example/war", title="War report")


def news_with_maria(origin: str, maria_as: str = "Maria Lopez") -> dict[str, Any]:
    """The browser tests' publisher: site "news" for ``origin`` (guests welcome, no
    pre-moderation), its story "Bus lanes" at ``origin``/article.html, and Maria's published
    "Finally!" on it."""
    from civility.accounts.models import User
    from civility.comments.models import Comment, Site, Story

    site = Site.objects.create(
        name="News",
        slug="news",
        allowed_origins=[origin],
        premoderation="none",
        allow_guests=True,
        rate_limit_per_minute=1000,
    )
    story = Story.objects.create(site=site, url=f"{origin}/article.html", title="Bus lanes")
    maria = User.objects.create_user(username="maria", display_name=maria_as)
    seed = Comment.objects.create(
        story=story, author=maria, body="Finally!", html="<p>Finally!</p>", status="approved"
    )
    return {"site": site, "story": story, "maria": maria, "seed": seed}
