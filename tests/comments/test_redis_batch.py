"""With Redis, a post's after-commit writes (the thread version bump and the live events on the
story and site channels) go out in one pipelined round trip: readers of the cached thread and of
both channels must still see the comment."""

from __future__ import annotations

import json
import time

import pytest
import redis
from django.test import Client, override_settings

from civility import events
from civility.comments import actions
from civility.comments import cache as thread_cache

REDIS_TEST_URL = "redis://127.0.0.1:6379/9"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


pytestmark = [
    pytest.mark.django_db(transaction=True),  # commit hooks must run
    pytest.mark.skipif(not _redis_up(), reason="no Redis answers at 127.0.0.1:6379"),
    # One Redis database for every xdist worker, flushed by these tests: one worker runs them.
    pytest.mark.xdist_group("redis"),
]


@pytest.fixture
def redis_everywhere(monkeypatch):
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()
    monkeypatch.setattr(events, "_redis_client", None)  # a client for the test database
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_TEST_URL,
        }
    }
    with override_settings(REDIS_URL=REDIS_TEST_URL, CACHES=caches):
        yield
    thread_cache._memo.clear()
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()


def test_post_bumps_the_shared_version_and_reaches_both_channels(
    redis_everywhere, site, story, make_reader
):
    alice, _ = make_reader("alice")
    api = Client()
    url = f"/api/v1/stories/{story.pk}/comments?sort=oldest"
    assert json.loads(api.get(url).content)["total"] == 0  # cached page at the old version
    before = thread_cache.version(story.pk)

    with events.listen([f"story:{story.pk}", f"site:{site.pk}"]) as listener:
        comment = actions.post_comment(story=story, author=alice, body="Batched and delivered")
        got: list = []
        deadline = time.monotonic() + 3
        while len(got) < 2 and time.monotonic() < deadline:
            event = listener.get(timeout=0.2)  # None for subscribe confirmations too
            if event is not None:
                got.append(event)

    assert [e["type"] for e in got] == ["comment.created", "comment.created"]
    assert {e["comment"]["id"] for e in got} == {comment.pk}
    # Another worker (no memo) reads the new version from Redis, so no stale cached page.
    thread_cache._memo.clear()
    assert thread_cache.version(story.pk) > before
    page = json.loads(api.get(url).content)
    assert [c["id"] for c in page["comments"]] == [comment.pk]


def test_outside_a_batch_writes_go_out_one_by_one(redis_everywhere, story):
    # Moderation actions and other callers without redis_batch() still bump the version.
    before = thread_cache.version(story.pk)
    thread_cache.bump(story.pk)
    thread_cache._memo.clear()
    assert thread_cache.version(story.pk) > before
