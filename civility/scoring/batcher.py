"""Micro-batching: concurrent callers' texts are scored together by one thread.

A caller gets a `concurrent.futures.Future` at once (`submit`) or waits for it (`score`). A
text waits at most ``max_wait_ms`` for company; while a batch is being scored new texts queue
up and form the next batch, so under load batches grow by themselves. `queue_wait` says how long
the texts queued now will take at the pace of recent batches, so a caller can decide not to
wait. With ``nice`` the scoring thread (and the threads it starts, such as the encoder's pool:
Linux threads inherit their creator's nice value) runs at a lower CPU priority, so in a web
worker the request threads get the CPU first and scoring takes what they leave.

A text nobody waits for (``submit(..., background=True)``: a comment stored held until its score
arrives) also waits while ``yield_while()`` says the process is busy serving requests, for at
most ``max_yield_s``: a niced thread still took about a third of the CPU of a two-core server
during a burst of posts (measured per thread, bench/RESULTS-comments.md) and holds the GIL for
its Python parts, so background scoring runs in the gaps between requests instead. Texts someone
waits for are scored at once, without background company while the process is busy. A
background text does not wake the thread unless it is idle: while it waits for a gap it looks at
new ones every ``yield_poll_s`` (woken by each, it took the GIL once a post in a burst). Plain
library: no Django, no settings; the server configures it (civility.moderation.scoring).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakSet

# Batchers of this process, finished at exit: a batch cut off inside onnxruntime while the
# interpreter ended (the thread is a daemon) aborted the process ("terminate called without an
# active exception", exit status 134).
_batchers: WeakSet[MicroBatcher] = WeakSet()


@atexit.register
def _finish_batches_at_exit() -> None:
    for batcher in list(_batchers):
        batcher.close()


@dataclass
class _Job:
    text: str
    background: bool = False
    queued_at: float = field(default_factory=time.monotonic)
    future: Future[Any] = field(default_factory=Future)


class MicroBatcher:
    def __init__(
        self,
        score_fn: Callable[[list[str]], Sequence[Any]],
        max_batch: int = 32,
        max_wait_ms: float = 2.0,
        name: str = "civility-batcher",
        nice: int = 0,
        yield_while: Callable[[], bool] | None = None,
        max_yield_s: float = 30.0,
        yield_poll_s: float = 0.02,
    ) -> None:
        self.score_fn = score_fn
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000.0
        self.name = name
        self.nice = nice
        self.yield_while = yield_while
        self.max_yield = max_yield_s
        self.yield_poll = yield_poll_s
        self._held = 0  # background texts taken off the queue and not scored yet
        self._queue: queue.Queue[_Job | None] = queue.Queue()  # None: look at the inbox
        self._inbox: deque[_Job] = deque()  # background texts, taken by the thread when it looks
        self._idle = False  # the thread waits for a text with nothing to score
        self._lock = threading.Lock()
        self._scoring = threading.Lock()  # held while a batch is scored; kept by `close`
        self._closed = False
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.batches = 0
        self.items = 0
        self._pace = 0.0  # seconds per text of recent batches (wall clock), smoothed
        self._running = 0  # texts in the batch being scored
        self._started = 0.0

    def _ensure_thread(self) -> None:
        # Started lazily and again after a fork (gunicorn preload): never shared by processes.
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._queue = queue.Queue()
                self._inbox = deque()
                self._idle = False
                self._scoring = threading.Lock()  # a parent's batch does not go on in a child
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
                _batchers.add(self)

    @property
    def backlog(self) -> int:
        """Texts waiting for a batch (not counting the batch being scored)."""
        return self._queue.qsize() + len(self._inbox) + self._held

    @property
    def unscored(self) -> int:
        """Texts submitted and not scored yet: queued, plus the batch being scored."""
        return self.backlog + self._running

    def queue_wait(self) -> float:
        """Seconds until every text queued now is scored, at the pace of recent batches (0
        before the first batch). A batch running longer than that pace sets the pace."""
        running, pace, started = self._running, self._pace, self._started
        left = 0.0
        if running:
            elapsed = time.monotonic() - started
            pace = max(pace, elapsed / running)
            left = max(running * pace - elapsed, 0.0)
        return left + self.backlog * pace

    def submit(self, text: str, background: bool = False) -> Future[Any]:
        """A future of the text's result. ``background``: nobody waits for it, so it may wait
        while the process is busy (``yield_while``)."""
        self._ensure_thread()
        job = _Job(text, background)
        if background:
            self._inbox.append(job)
            if self._idle:  # read after the append; the thread sets it before its last look
                self._queue.put(None)
        else:
            self._queue.put(job)
        return job.future

    def score(self, text: str, timeout: float = 30.0) -> Any:
        """The result for ``text``; raises TimeoutError past ``timeout`` or the scorer's error."""
        return self.submit(text).result(timeout)

    def _lower_priority(self) -> None:
        """``nice`` more than the thread that started this one (at most 19). On Linux a nice
        value belongs to a thread, named by its native id."""
        if self.nice > 0 and hasattr(os, "setpriority"):
            tid = threading.get_native_id()
            try:
                current = os.getpriority(os.PRIO_PROCESS, tid)
                os.setpriority(os.PRIO_PROCESS, tid, min(current + self.nice, 19))
            except OSError:
                pass

    def _run(self) -> None:
        self._lower_priority()
        q = self._queue
        waited: deque[_Job] = deque()  # someone waits for these
        background: deque[_Job] = deque()  # nobody does: they may wait for a gap

        inbox = self._inbox

        def put(job: _Job | None) -> None:
            if job is not None:
                (background if job.background else waited).append(job)
            while inbox:
                background.append(inbox.popleft())

        while True:
            put(None)
            if not waited and not background:
                self._idle = True
                put(None)  # a text submitted before the flag was set is seen here
                if not background:
                    put(q.get())
                self._idle = False
            deadline = None
            while len(waited) + len(background) < self.max_batch:
                try:
                    put(q.get_nowait())
                    continue
                except queue.Empty:
                    pass
                if self.max_wait <= 0:
                    break
                if deadline is None:
                    deadline = time.monotonic() + self.max_wait
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    put(q.get(timeout=remaining))
                except queue.Empty:
                    break
            with contextlib.suppress(queue.Empty):
                while True:  # whatever else is queued now, so waited texts are seen first
                    put(q.get_nowait())
            busy = bool(background) and self._busy(background[0])
            batch = [waited.popleft() for _ in range(min(len(waited), self.max_batch))]
            if not busy:
                while background and len(batch) < self.max_batch:
                    batch.append(background.popleft())
            self._held = len(waited) + len(background)
            if batch:
                self._score_batch(batch)
                continue
            # Only background texts, and the process is busy serving requests: wait for a gap.
            with contextlib.suppress(queue.Empty):
                put(q.get(timeout=self.yield_poll))
            self._held = len(waited) + len(background)

    def _busy(self, oldest: _Job) -> bool:
        """Background texts wait: the process is serving requests, and the oldest of them has
        waited less than max_yield."""
        return (
            self.yield_while is not None
            and time.monotonic() - oldest.queued_at < self.max_yield
            and self.yield_while()
        )

    def close(self, timeout: float = 10.0) -> None:
        """Let the batch being scored finish (at most ``timeout`` seconds) and score no more:
        texts submitted later fail."""
        self._closed = True
        self._scoring.acquire(timeout=timeout)  # kept: no batch starts after this

    def _score_batch(self, batch: list[_Job]) -> None:
        with self._scoring:
            if self._closed:
                for job in batch:
                    if job.future.set_running_or_notify_cancel():
                        job.future.set_exception(RuntimeError("the scoring thread was closed"))
                return
            self._score_open(batch)

    def _score_open(self, batch: list[_Job]) -> None:
        live = [job for job in batch if job.future.set_running_or_notify_cancel()]
        if not live:
            return
        self._started = time.monotonic()
        self._running = len(live)
        try:
            results = self.score_fn([job.text for job in live])
            if len(results) != len(live):
                raise RuntimeError(f"scorer returned {len(results)} results for {len(live)}")
        except BaseException as exc:  # noqa: BLE001 - handed to every waiting caller
            for job in live:
                job.future.set_exception(exc)
        else:
            for job, result in zip(live, results, strict=True):
                job.future.set_result(result)
        finally:
            pace = (time.monotonic() - self._started) / len(live)
            self._pace = pace if not self.batches else 0.7 * self._pace + 0.3 * pace
            self._running = 0
            self.batches += 1
            self.items += len(live)
