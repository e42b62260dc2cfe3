"""The scoring engine as this app sees it: the shared Scorer, micro-batched, plus calibration."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

CALIBRATION_DIR = Path(__file__).resolve().parent / "calibration"


def get_scorer() -> Any:
    """The process-wide Scorer, shared with the moderation pipeline (one copy in memory).

    CIVILITY_SCORING_ARTIFACT (an artifact folder) overrides the bundled model for both.
    """
    from civility.moderation.model_check import get_scorer as shared_scorer

    return shared_scorer()


def detect_language(text: str) -> str:
    from civility.scoring.language import detect_language as detect

    return detect(text)


# --- micro-batching -------------------------------------------------------------------------


@dataclass
class _Job:
    text: str
    done: threading.Event
    result: Any = None
    error: BaseException | None = None


class MicroBatcher:
    """Scores concurrent requests together: one thread drains the queue into batches.

    A request waits at most `max_wait_ms` for company; while a batch is being scored, new
    requests queue up and form the next batch, so under load batches grow by themselves.
    """

    def __init__(
        self,
        score_fn: Callable[[list[str]], Sequence[Any]],
        max_batch: int = 32,
        max_wait_ms: float = 2.0,
    ) -> None:
        self.score_fn = score_fn
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000.0
        self._queue: queue.Queue[_Job] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.batches = 0
        self.items = 0

    def _ensure_thread(self) -> None:
        # Started lazily and again after a fork (gunicorn preload), never shared across processes.
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._queue = queue.Queue()
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="perspective-batcher", daemon=True
                )
                self._thread.start()

    def score(self, text: str, timeout: float = 30.0) -> Any:
        self._ensure_thread()
        job = _Job(text, threading.Event())
        self._queue.put(job)
        if not job.done.wait(timeout):
            raise TimeoutError("scoring timed out")
        if job.error is not None:
            raise job.error
        return job.result

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
                    deadline = _now() + self.max_wait
                remaining = deadline - _now()
                if remaining <= 0:
                    break
                try:
                    batch.append(q.get(timeout=remaining))
                except queue.Empty:
                    break
            self._score_batch(batch)

    def _score_batch(self, batch: list[_Job]) -> None:
        try:
            results = self.score_fn([job.text for job in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"scorer returned {len(results)} results for {len(batch)}")
            for job, result in zip(batch, results, strict=True):
                job.result = result
        except BaseException as exc:  # handed to every waiting request
            for job in batch:
                job.error = exc
        finally:
            self.batches += 1
            self.items += len(batch)
            for job in batch:
                job.done.set()


def _now() -> float:
    import time

    return time.monotonic()


_batcher: MicroBatcher | None = None
_batcher_lock = threading.Lock()


def get_batcher() -> MicroBatcher:
    global _batcher
    if _batcher is None:
        with _batcher_lock:
            if _batcher is None:
                _batcher = MicroBatcher(
                    lambda texts: get_scorer().score(texts),
                    max_batch=int(os.environ.get("CIVILITY_BATCH_MAX", "32")),
                    max_wait_ms=float(os.environ.get("CIVILITY_BATCH_WAIT_MS", "2")),
                )
    return _batcher


# --- calibration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """Monotone piecewise-linear maps, per attribute, from our probability to Perspective's."""

    version: str
    knots: dict[str, tuple[np.ndarray, np.ndarray]]
    artifact_sha256: str = ""

    def apply(self, attribute: str, value: float) -> float:
        knots = self.knots.get(attribute)
        if knots is None:
            return float(value)
        return float(np.interp(value, knots[0], knots[1]))


def artifact_sha256(path: Path) -> str:
    """Fingerprint of a model artifact (weights + config), recorded with its calibration."""
    digest = hashlib.sha256()
    for name in ("config.json", "model.npz", "encoder.onnx"):
        if name == "encoder.onnx" and not (path / name).exists():
            continue  # a stage-1-only artifact
        with open(path / name, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def calibration_for(scorer: Any) -> Calibration:
    """The calibration for this scorer's version; warns once if it was fitted on other weights."""
    cal = load_calibration(scorer.version)
    key = (scorer.version, str(getattr(scorer, "path", "")))
    if cal.artifact_sha256 and key not in _checked:
        _checked.add(key)
        try:
            actual = artifact_sha256(Path(scorer.path))
        except (OSError, AttributeError, TypeError):
            actual = ""
        if actual and actual != cal.artifact_sha256:
            log.warning(
                "Perspective calibration for %s was fitted on other weights: re-run "
                "`python -m civility.training.perspective_calibration`",
                scorer.version,
            )
    return cal


_checked: set[tuple[str, str]] = set()


def calibration_path(model_version: str) -> Path:
    return CALIBRATION_DIR / f"{model_version}.json"


@lru_cache(maxsize=8)
def load_calibration(model_version: str) -> Calibration:
    """The calibration fitted for this model version; identity (with a warning) if none."""
    path = calibration_path(model_version)
    if not path.exists():
        log.warning("no Perspective calibration for model %s: uncalibrated", model_version)
        return Calibration(model_version, {})
    data = json.loads(path.read_text(encoding="utf-8"))
    knots = {
        attr: (np.asarray(spec["x"], dtype=float), np.asarray(spec["y"], dtype=float))
        for attr, spec in data["attributes"].items()
    }
    return Calibration(model_version, knots, str(data.get("artifact_sha256", "")))
