"""In-process event bus plus optional Redis fan-out, used for live updates (SSE).

Actions call `emit(channel, payload)` after their transaction commits. Listeners in the same process
(SSE streams under the threaded dev server or one gunicorn worker) get events directly; with
CIVILITY_REDIS_URL set, events are also published on Redis so every worker sees them.
"""

from __future__ import annotations

import json
import queue
import threading
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import transaction

_lock = threading.Lock()
_subscribers: dict[str, set[queue.Queue]] = defaultdict(set)


def subscribe(channel: str) -> queue.Queue:
    q: queue.Queue = queue.Queue(maxsize=1000)
    with _lock:
        _subscribers[channel].add(q)
    return q


def unsubscribe(channel: str, q: queue.Queue) -> None:
    with _lock:
        _subscribers[channel].discard(q)


def _deliver_local(channel: str, payload: dict[str, Any]) -> None:
    with _lock:
        targets = list(_subscribers.get(channel, ()))
    for q in targets:
        try:
            q.put_nowait(payload)
        except queue.Full:  # a stalled client must not block the writer
            pass


def _publish(channel: str, payload: dict[str, Any]) -> None:
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL).publish(
                f"civility:{channel}", json.dumps(payload)
            )
            return  # the Redis listener thread delivers locally too
        except Exception:  # noqa: BLE001 - live updates are best effort; the write already landed
            pass
    _deliver_local(channel, payload)


def emit(channel: str, payload: dict[str, Any]) -> None:
    """Publish after the current transaction commits (immediately outside one)."""
    transaction.on_commit(lambda: _publish(channel, payload))
