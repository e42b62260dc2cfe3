"""Micro-batching: concurrent callers' texts are scored together by one thread.

A caller gets a `concurrent.futures.Future` at once (`submit`) or waits for it (`score`). A
text waits at most ``max_wait_ms`` for company; while a batch is being scored new texts queue
up and form the next batch, so under load batches grow by themselves. Plain library: no
Django, no settings; the server configures it (civility.moderation.scoring).
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
    ) -> None:
        self.score_fn = score_fn
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000.0
        self.name = name
        self._queue: queue.Queue[_Job] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.batches = 0
        self.items = 0

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

    def submit(self, text: str) -> Future[Any]:
        self._ensure_thread()
        job = _Job(text)
        self._queue.put(job)
        return job.future

    def score(self, text: str, timeout: float = 30.0) -> Any:
        """The result for ``text``; raises TimeoutError past ``timeout`` or the scorer's error."""
        return self.submit(text).result(timeout)

    def _run(self) -> None:
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
            self.batches += 1
            self.items += len(live)
