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


def _ttl() -> int:
    return SHARED_TTL if settings.REDIS_URL else LOCAL_TTL


def version(story_id: int) -> int:
    key = f"civ:threadver:{story_id}"
    value = cache.get(key)
    if value is None:
        value = time.time_ns()
        cache.add(key, value, timeout=None)
        value = cache.get(key, value)
    return int(value)


def bump(story_id: int) -> None:
    cache.set(f"civ:threadver:{story_id}", time.time_ns(), timeout=None)


def page_key(story_id: int, *parts: object) -> str:
    return f"civ:thread:{story_id}:{version(story_id)}:" + ":".join(str(p) for p in parts)


def get(key: str) -> bytes | None:
    return cache.get(key)


def put(key: str, data: bytes) -> None:
    cache.set(key, data, timeout=_ttl())
