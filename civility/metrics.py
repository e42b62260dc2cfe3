"""Prometheus metrics every process records; `/metrics` (civility.ops.views) serves them.

Counters, histograms and gauges here are written by the process where the event happens. Under
`civility serve` (gunicorn, several worker processes) prometheus_client runs in multiprocess
mode: `civility serve` points PROMETHEUS_MULTIPROC_DIR at a folder of its own before anything
imports prometheus_client, each worker writes its values to memory-mapped files there, and a
scrape adds them up (civility.ops.views). Without it (the demo, tests) the process's default
registry is served. Cluster-wide state (task queue depth, webhook deliveries failing) is read
from the database at scrape time instead (civility.ops.collectors): workers may run elsewhere.

Like events.py this imports no Civility app, so any app may record here.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

disable_created_metrics()  # no *_created series: multiprocess mode has none either

# Seconds. Fine steps below 100 ms (reads from the page cache take a few ms), coarse above.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "civility_http_requests",
    "HTTP requests answered, by route (the URL pattern, not the URL), method and status",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "civility_http_request_duration_seconds",
    "Time to the response's headers, by route and method (a live stream counts until it starts)",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
COMMENTS = Counter(
    "civility_comments",
    "New comments by decision (approve, hold, reject) and stage: 'post' when decided on the"
    " request, 'late_score' when a comment held for its score was decided when it arrived",
    ["decision", "stage"],
)
SCORING_SECONDS = Histogram(
    "civility_scoring_batch_duration_seconds",
    "Time the model took per micro-batch",
    buckets=LATENCY_BUCKETS,
)
SCORED_TEXTS = Counter("civility_scored_texts", "Texts the model scored (all callers)")
SCORING_FAILURES = Counter(
    "civility_scoring_failures",
    "Texts not scored: 'error' (the model raised), 'timeout' (a caller stopped waiting)",
    ["reason"],
)
for _reason in ("error", "timeout"):
    SCORING_FAILURES.labels(_reason)  # exported as 0 before the first failure
SCORING_BACKLOG = Gauge(
    "civility_scoring_backlog",
    "Texts waiting for the model's next batch (summed over the server's live processes)",
    multiprocess_mode="livesum",
)


# Requests this process is serving now (a streamed answer counts until its view returns), and
# when the last one ended: background scoring waits for a gap (civility.moderation.scoring).
# Written by the first middleware (civility.ops.requests); probes and scrapes do not count.
_serving = 0
_last_end = 0.0
_serving_lock = threading.Lock()

# The same count for every worker of the server: one cell per worker process (its gunicorn age
# modulo the cells), in memory made here, at import, in the master before it forks, so the
# workers share it. Each process writes only its own cell; readers add them up without a lock.
# Outside `civility serve` (tests, the demo) it is this process's count.
_CELLS = 256
_server_serving = multiprocessing.RawArray("i", _CELLS)
_cell = 0
_server_workers = 1


def request_started() -> None:
    global _serving
    with _serving_lock:
        _serving += 1
        _server_serving[_cell] = _serving


def request_finished() -> None:
    global _serving, _last_end
    with _serving_lock:
        _serving -= 1
        _server_serving[_cell] = _serving
        _last_end = time.monotonic()


def serve_as_worker(number: int, workers: int) -> None:
    """This process is worker ``number`` (gunicorn's age) of a server of ``workers``."""
    global _cell, _server_workers
    with _serving_lock:
        _cell = number % _CELLS
        _server_workers = max(1, workers)
        _server_serving[_cell] = _serving


def worker_gone(number: int) -> None:
    """A dead worker's requests are no longer in flight (the master, on its exit)."""
    _server_serving[number % _CELLS] = 0


def server_requests_in_flight() -> int:
    """Requests every worker of this server is serving now (probes and scrapes not counted)."""
    return sum(_server_serving)


def server_workers() -> int:
    return _server_workers


class RequestSlots:
    """At most ``size`` requests of this process run at once (taken by the first middleware,
    civility.ops.requests); the rest wait for a slot off the CPU, first come first served.

    Measured (2 cores, SQLite, one process, 8 threads posting): CPU per post 2.9 ms with one
    thread alone; with 8 threads and 1 slot 3.4 ms, 2 slots 4.0 ms, 8 slots 4.2-4.7 ms: every
    runnable thread past one took turns at the GIL, 64 context switches a post against 7. A
    freed slot goes straight to the longest waiter (a semaphore let newcomers take it while the
    woken waiter was still getting the GIL, and some requests waited seconds). A request that
    waits for something that runs elsewhere (a score from the batcher's thread) gives its slot
    up meanwhile (`waiting`), so a waiting request does not idle the process.
    """

    def __init__(self, size: int = 1) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._free = size
        self._waiters: deque[threading.Lock] = deque()
        self._held = threading.local()

    def configure(self, size: int) -> None:
        """Change the number of slots; requests holding or waiting for one keep their place."""
        with self._lock:
            size = max(1, size)
            self._free += size - self.size  # below 0 until enough holders have let go
            self.size = size
            while self._free > 0 and self._waiters:
                self._free -= 1
                self._waiters.popleft().release()

    def _take(self) -> None:
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                return
            baton = threading.Lock()
            baton.acquire()
            self._waiters.append(baton)
        baton.acquire()  # released by `_give`, which handed this thread the slot

    def _give(self) -> None:
        with self._lock:
            if self._waiters and self._free >= 0:
                self._waiters.popleft().release()
            else:
                self._free += 1

    def acquire(self) -> None:
        self._take()
        self._held.slot = True

    def release(self) -> None:
        if getattr(self._held, "slot", False):
            self._held.slot = False
            self._give()

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """Give this thread's slot (if it holds one) to another request while waiting."""
        if not getattr(self._held, "slot", False):
            yield
            return
        self.release()
        try:
            yield
        finally:
            self.acquire()


slots = RequestSlots()


def requests_in_flight() -> int:
    """Requests this process is serving now (probes and scrapes not counted)."""
    return _serving


def serving(gap: float) -> bool:
    """Whether this process is serving a request, or ended one less than ``gap`` seconds ago."""
    return _serving > 0 or time.monotonic() - _last_end < gap


@contextmanager
def scoring_batch(size: int, backlog: Callable[[], int]) -> Iterator[None]:
    """Time one micro-batch of ``size`` texts; ``backlog()`` is read before and after it."""
    SCORING_BACKLOG.set(backlog())
    started = time.perf_counter()
    try:
        yield
    except BaseException:
        SCORING_FAILURES.labels("error").inc(size)
        raise
    else:
        SCORED_TEXTS.inc(size)
    finally:
        SCORING_SECONDS.observe(time.perf_counter() - started)
        SCORING_BACKLOG.set(backlog())
