"""Cached thread pages.

Rendered thread pages are cached as JSON bytes under a per-story version; every write bumps the
version (after commit), so readers never see a page older than the last change in this process.
With CIVILITY_REDIS_URL the cache (and so the version) is shared by all workers; without it each
worker has its own and a page may lag another worker's write by at most LOCAL_TTL seconds.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

LOCAL_TTL = 2
SHARED_TTL = 300
# With Redis, each process also remembers a story's version this long, so a cached read needs no
# network round trip; a write in another worker shows here at most this late (own writes: at once).
VERSION_MEMO_SECONDS = 0.5
_memo: dict[int, tuple[int, float]] = {}


def _ttl() -> int:
    return SHARED_TTL if settings.REDIS_URL else LOCAL_TTL


def version(story_id: int) -> int:
    memo = settings.REDIS_URL != ""
    if memo:
        hit = _memo.get(story_id)
        if hit is not None and hit[1] > time.monotonic():
            return hit[0]
    key = f"civ:threadver:{story_id}"
    value = cache.get(key)
    if value is None:
        value = time.time_ns()
        cache.add(key, value, timeout=None)
        value = cache.get(key, value)
    if memo:
        if len(_memo) > 10_000:
            _memo.clear()
        _memo[story_id] = (int(value), time.monotonic() + VERSION_MEMO_SECONDS)
    return int(value)


def _cache_is_events_redis() -> bool:
    """Whether the default cache is Django's Redis cache on CIVILITY_REDIS_URL (as configured
    by civility.settings whenever that is set)."""
    conf = settings.CACHES["default"]
    return (
        bool(settings.REDIS_URL)
        and conf["BACKEND"] == "django_redis.cache.RedisCache"
        and conf.get("LOCATION") == settings.REDIS_URL
    )


def bump(story_id: int) -> None:
    from civility.events import after_commit_redis

    value = time.time_ns()
    key = f"civ:threadver:{story_id}"
    # In a redis_batch, the same SET that cache.set(key, value, timeout=None) sends (Django's
    # Redis cache stores ints unpickled), in the batch's single round trip.
    raw_key = cache.make_and_validate_key(key)
    if not (_cache_is_events_redis() and after_commit_redis(lambda pipe: pipe.set(raw_key, value))):
        cache.set(key, value, timeout=None)
    if len(_memo) > 10_000:  # bounded, as in version(): a long import bumps many stories
        _memo.clear()
    _memo[story_id] = (value, time.monotonic() + VERSION_MEMO_SECONDS)


def page_key(story_id: int, *parts: object) -> str:
    return f"civ:thread:{story_id}:{version(story_id)}:" + ":".join(str(p) for p in parts)


def get(key: str) -> bytes | None:
    return cache.get(key)


def put(key: str, data: bytes) -> None:
    cache.set(key, data, timeout=_ttl())
