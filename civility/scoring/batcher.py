"""Micro-batching: concurrent callers' texts are scored together by one thread.

A caller gets a `concurrent.futures.Future` at once (`submit`) or waits for it (`score`). A
text waits at most ``max_wait_ms`` for company; while a batch is being scored new texts queue
up and form the next batch, so under load batches grow by themselves. `queue_wait` says how long
the texts queued now will take at the pace of recent batches, so a caller can decide not to
wait. With ``nice`` the scoring thread (and the threads it starts, such as the encoder's pool:
Linux threads inherit their creator's nice value) runs at a lower CPU priority, so in a web
worker the request threads get the CPU first and scoring takes what they leave. Plain library:
no Django, no settings; the server configures it (civility.moderation.scoring).
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Job:
    text: str
    future: Future[Any] = field(default_factory=Future)


class MicroBatcher:
    def __init__(
        self,
        score_fn: Callable[[list[str]], Sequence[Any]],
        max_batch: int = 32,
        max_wait_ms: float = 2.0,
        name: str = "civility-batcher",
        nice: int = 0,
    ) -> None:
        self.score_fn = score_fn
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000.0
        self.name = name
        self.nice = nice
        self._queue: queue.Queue[_Job] = queue.Queue()
        self._lock = threading.Lock()
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
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    @property
    def backlog(self) -> int:
        """Texts waiting for a batch (not counting the batch being scored)."""
        return self._queue.qsize()

    @property
    def unscored(self) -> int:
        """Texts submitted and not scored yet: queued, plus the batch being scored."""
        return self._queue.qsize() + self._running

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

    def submit(self, text: str) -> Future[Any]:
        self._ensure_thread()
        job = _Job(text)
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
        while True:
            batch = [q.get()]
            deadline = None
            while len(batch) < self.max_batch:
                try:
                    batch.append(q.get_nowait())
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
                    batch.append(q.get(timeout=remaining))
                except queue.Empty:
                    break
            self._score_batch(batch)

    def _score_batch(self, batch: list[_Job]) -> None:
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
