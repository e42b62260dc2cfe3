"""Fixed-window hit counters for rate limits and quotas, shared by every worker.

With Redis (CIVILITY_REDIS_URL): INCR and EXPIRE for all keys in one pipelined round trip; a post
checks two windows (user and IP), and four cache calls per post were a measurable share of its
cost. Without Redis (demo, tests), or while Redis is down: a local-memory window per process
(logged), so a dead Redis never turns posts into errors; limits are then per process.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

log = logging.getLogger(__name__)
_local = LocMemCache("civility-ratelimit", {"OPTIONS": {"MAX_ENTRIES": 100_000}})
_last_warning = 0.0


def _local_hits(keys: list[str], ttl: int) -> list[int]:
    cache = caches["default"] if not settings.REDIS_URL else _local
    counts = []
    for key in keys:
        cache.add(key, 0, timeout=ttl)
        try:
            counts.append(cache.incr(key))
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=ttl)
            counts.append(1)
    return counts


def count_hits(keys: list[str], window_seconds: int) -> list[int]:
    """Add one hit to each counter and return the new counts (keys live 2 windows)."""
    global _last_warning
    ttl = 2 * window_seconds
    if settings.REDIS_URL:
        from civility.events import redis_client

        try:
            pipe = redis_client().pipeline(transaction=False)
            for key in keys:
                pipe.incr(f"civility:hits:{key}")
                pipe.expire(f"civility:hits:{key}", ttl)
            return [int(n) for n in pipe.execute()[::2]]
        except Exception as exc:  # noqa: BLE001 - Redis down: count here instead
            now = time.monotonic()
            if now - _last_warning > 60:  # once a minute, not once a post
                _last_warning = now
                log.warning("Redis unavailable (%s): rate limits count per process", exc)
    return _local_hits(keys, ttl)


def seconds_left(window_seconds: int) -> int:
    """Seconds until the current fixed window ends (for Retry-After)."""
    return max(1, int(window_seconds - time.time() % window_seconds))


def window_hits(name: str, window_seconds: int) -> int:
    """One more hit on counter ``name`` in the current fixed window; the window's count so far.
    (Refuse past a limit with ``retry_after=seconds_left(window_seconds)``.)"""
    window = int(time.time() // window_seconds)
    (count,) = count_hits([f"{name}:{window}"], window_seconds)
    return count
