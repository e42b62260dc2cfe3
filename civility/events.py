"""Live updates: actions `emit(channel, payload)`; SSE views `listen(channels)`.

Without Redis, events stay in the process (the demo's threaded server, or tests). With
CIVILITY_REDIS_URL set, events go through Redis pub/sub so a reader connected to one worker sees
what another worker wrote. Either way, the write has already landed: live delivery is best effort.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import StreamingHttpResponse

log = logging.getLogger(__name__)
_lock = threading.Lock()
_subscribers: dict[str, set[queue.Queue]] = defaultdict(set)
_redis_client: Any = None


def redis_client() -> Any:
    """One client (and connection pool) per process: a connection per event halves post rates."""
    global _redis_client
    if _redis_client is None:
        import redis

        # Under the lock: a second client made by a racing thread would replace the first, whose
        # garbage collection closes the pool's sockets under the requests still using them.
        with _lock:
            if _redis_client is None:
                _redis_client = redis.Redis.from_url(settings.REDIS_URL)
    return _redis_client


class Listener:
    """Events of several channels, in arrival order. Use as a context manager."""

    def __init__(self, channels: list[str]) -> None:
        self.channels = channels
        self._queue: queue.Queue = queue.Queue(maxsize=1000)
        self._pubsub: Any = None
        self.lost = False  # Redis went away: this stream should end so the reader reconnects
        if settings.REDIS_URL:
            try:
                self._pubsub = redis_client().pubsub(ignore_subscribe_messages=True)
                self._pubsub.subscribe(*[f"civility:{c}" for c in channels])
            except Exception as exc:  # noqa: BLE001 - Redis down: the reader gets its catch-up
                log.warning("live events: Redis unavailable (%s); stream ends early", exc)
                self._pubsub, self.lost = None, True
        else:
            with _lock:
                for channel in channels:
                    _subscribers[channel].add(self._queue)

    def get(self, timeout: float) -> dict[str, Any] | None:
        """The next event, or None after `timeout` seconds."""
        if self.lost:
            time.sleep(min(timeout, 1.0))
            return None
        if self._pubsub is not None:
            try:
                msg = self._pubsub.get_message(timeout=timeout)
            except Exception as exc:  # noqa: BLE001 - the reader reconnects (Last-Event-ID)
                log.warning("live events: Redis connection lost (%s); stream ends", exc)
                self.lost = True
                return None
            if msg and msg.get("type") == "message":
                return json.loads(msg["data"])
            return None
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        if self._pubsub is not None:
            with contextlib.suppress(Exception):  # a dead connection closes anyway
                self._pubsub.close()
        with _lock:
            for channel in self.channels:
                _subscribers[channel].discard(self._queue)

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def listen(channels: list[str]) -> Listener:
    return Listener(channels)


def _deliver_local(channel: str, payload: dict[str, Any]) -> None:
    with _lock:
        targets = list(_subscribers.get(channel, ()))
    for q in targets:
        try:
            q.put_nowait(payload)
        except queue.Full:  # a stalled client must not block the writer
            log.warning("dropping a live event for a stalled listener on %s", channel)


_batch = threading.local()


@contextmanager
def redis_batch() -> Iterator[None]:
    """Send the Redis writes that follow the enclosed transaction's commit (live events, thread
    version bumps) in one pipelined round trip instead of one each.

    Use outside the transaction: ``with events.redis_batch(), transaction.atomic(): ...``, so
    the commit hooks have run when the batch is sent. Without Redis, or when a batch is already
    open, it changes nothing.
    """
    if not settings.REDIS_URL or getattr(_batch, "ops", None) is not None:
        yield
        return
    _batch.ops = []
    try:
        yield
    finally:
        ops, _batch.ops = _batch.ops, None
        if ops:
            try:
                pipe = redis_client().pipeline(transaction=False)
                for op in ops:
                    op(pipe)
                pipe.execute()
            except Exception:  # best effort, like each write alone; the data already landed
                log.exception("could not send %d post-commit Redis writes", len(ops))


def after_commit_redis(op: Callable[[Any], object]) -> bool:
    """Queue ``op(pipeline)`` on the open redis_batch(); False when none is open."""
    ops = getattr(_batch, "ops", None)
    if ops is None:
        return False
    ops.append(op)
    return True


def _publish(channel: str, payload: dict[str, Any]) -> None:
    if settings.REDIS_URL:
        message = json.dumps(payload)
        if after_commit_redis(lambda pipe: pipe.publish(f"civility:{channel}", message)):
            return
        try:
            redis_client().publish(f"civility:{channel}", message)
            return
        except Exception:  # live updates are best effort; the write already landed
            log.exception("could not publish a live event on %s", channel)
    _deliver_local(channel, payload)


def emit(channel: str, payload: dict[str, Any]) -> None:
    """Publish after the current transaction commits (immediately outside one)."""
    transaction.on_commit(lambda: _publish(channel, payload))


# A stream ends itself after this long and the browser reconnects (with Last-Event-ID): that bounds
# how long one reader holds a worker thread.
SSE_MAX_SECONDS = 55.0
SSE_HEARTBEAT = 15.0
# When a process already streams to settings.LIVE_STREAMS readers, the next one gets what it
# missed and is told to come back after this long: it polls instead of taking a thread.
OVERFLOW_RETRY_MS = 15_000
_open_streams: set[object] = set()  # one token per stream holding a slot
# Set when the process is shutting down: open streams end within a second (the browsers
# reconnect elsewhere) instead of holding the shutdown for up to SSE_MAX_SECONDS.
_closing = threading.Event()


def close_streams() -> None:
    _closing.set()


def _take_stream_slot() -> object | None:
    with _lock:
        if len(_open_streams) >= settings.LIVE_STREAMS:
            return None
        token = object()
        _open_streams.add(token)
        return token


def _give_back_stream_slot(token: object) -> None:
    with _lock:
        _open_streams.discard(token)


# While Redis is down a stream sends its catch-up and ends; the browser reconnects after this
# long (with Last-Event-ID, so nothing is missed) and gets live events again once Redis is back.
REDIS_LOST_RETRY_MS = 5000


def sse_response(
    channels: list[str],
    render: Callable[[dict[str, Any]], bytes],
    max_seconds: float = SSE_MAX_SECONDS,
    preamble: Callable[[], Iterable[bytes]] = lambda: (b"retry: 2000\n\n",),
) -> StreamingHttpResponse:
    """Server-sent events for `channels`: `preamble()` once subscribed, then each event rendered.

    The preamble runs after subscribing, so a catch-up query in it cannot miss an event.

    Each open stream holds one server thread. Without a cap, a few dozen readers with an article
    open took every thread of `civility serve` and new requests waited for a stream to end. Past
    settings.LIVE_STREAMS per process, a reader gets only the preamble (its catch-up) and a long
    `retry`, so its browser polls every OVERFLOW_RETRY_MS instead.
    """

    def stream() -> Iterator[bytes]:
        slot = _take_stream_slot()
        if slot is None:
            yield from preamble()
            yield f"retry: {OVERFLOW_RETRY_MS}\n\n".encode()  # the last retry sent wins
            return
        try:
            with listen(channels) as listener:
                yield from preamble()
                if listener.lost:  # Redis down: catch-up only; the browser comes back later
                    yield f"retry: {REDIS_LOST_RETRY_MS}\n\n".encode()
                    return
                deadline = time.monotonic() + max_seconds
                next_beat = time.monotonic() + SSE_HEARTBEAT
                while time.monotonic() < deadline and not _closing.is_set():
                    # At most a second, so a shutdown (close_streams) ends the stream quickly.
                    until = min(deadline, next_beat, time.monotonic() + 1)
                    wait = max(0.05, until - time.monotonic())
                    payload = listener.get(timeout=wait)
                    if listener.lost:
                        yield f"retry: {REDIS_LOST_RETRY_MS}\n\n".encode()
                        return
                    if payload is not None:
                        yield render(payload)
                    elif time.monotonic() >= next_beat:
                        next_beat = time.monotonic() + SSE_HEARTBEAT
                        yield b": keep-alive\n\n"
        finally:  # also when the client goes away (the server closes the generator)
            _give_back_stream_slot(slot)

    response = StreamingHttpResponse(stream(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
