"""Fixed-window hit counters for rate limits and quotas, shared by every worker.

With Redis (CIVILITY_REDIS_URL): INCR and EXPIRE for all keys in one pipelined round trip; a post
checks two windows (user and IP), and four cache calls per post were a measurable share of its
cost. Without Redis (demo, tests): Django's local-memory cache, per process.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache


def count_hits(keys: list[str], window_seconds: int) -> list[int]:
    """Add one hit to each counter and return the new counts (keys live 2 windows)."""
    ttl = 2 * window_seconds
    if settings.REDIS_URL:
        from civility.events import redis_client

        pipe = redis_client().pipeline(transaction=False)
        for key in keys:
            pipe.incr(f"civility:hits:{key}")
            pipe.expire(f"civility:hits:{key}", ttl)
        return [int(n) for n in pipe.execute()[::2]]
    counts = []
    for key in keys:
        cache.add(key, 0, timeout=ttl)
        try:
            counts.append(cache.incr(key))
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=ttl)
            counts.append(1)
    return counts
