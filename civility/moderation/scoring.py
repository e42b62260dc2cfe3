"""The scoring model as the server runs it: one Scorer per process, fed by one micro-batcher.

Every caller in the server (new and edited comments, the Coral hook, the Perspective API)
scores through `submit` / `score_text`, so concurrent requests share batches and the model is
in memory once per process. Configuration comes from Django settings (civility.settings):
SCORING_ARTIFACT, SCORING_STAGE2, SCORING_ROUTE_FROM, SCORING_TIMEOUT, SCORING_LOAD_TIMEOUT,
ENCODER_THREADS, BATCH_MAX, BATCH_WAIT_MS.

Scoring yields the CPU to requests: the batcher's thread runs at nice SCORING_NICE, so under a
burst of posts the request threads are served first and scores come when they leave CPU over. A
new comment waits for its score only while no requests queue for its process's slots and the
batcher's recent pace says it comes within POST_WAIT_SECONDS (`post_wait`); otherwise it is
stored held and decided when the score arrives (civility.comments.actions.apply_late_score);
its text is background work, scored in the gaps between this process's requests
(`metrics.serving`). Measured (bench/RESULTS-comments.md, 2 cores): the shipped model costs
more CPU per comment than the rest of a post, so under a burst posts that waited for their
scores were answered at the model's pace, and a post that waited 100 ms for a batch and then
went on without it had still spent the burst's CPU on its score.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, InvalidStateError, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from django.conf import settings

from civility import metrics
from civility.scoring.batcher import MicroBatcher


class ScoringUnavailable(RuntimeError):
    """The model could not score in time (or at all): the comment waits for a human."""


# The scoring thread's nice value (and its encoder threads', which inherit it): request threads
# of the same process run first. 10 gives scoring about a tenth of a core that a request thread
# wants, and all of an otherwise idle one.
SCORING_NICE = 10
# The longest a new comment waits for its score while other texts are being scored (alone, it
# waits up to SCORING_TIMEOUT).
POST_WAIT_SECONDS = 0.1
# Background scoring (comments stored held until their score arrives) waits while this process
# serves requests or ended one within this many seconds, for at most BACKGROUND_MAX_WAIT_SECONDS.
REQUEST_GAP_SECONDS = 0.02
BACKGROUND_MAX_WAIT_SECONDS = 30.0
# Scores of texts scored lately, by digest: the "are you sure?" nudge scores a draft, and the
# post that follows a moment later is usually the same text; it reuses that score instead of
# scoring it again (and is then decided on the request, even in a burst). Per process, bounded.
RECENT_SCORES_MAX = 1024
RECENT_SCORES_SECONDS = 120.0

_load_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="civility-model-load")


def _new_load_executor() -> None:
    # `civility serve` loads the model in the master, then forks: the child gets the executor
    # object without its thread, so it needs an executor of its own.
    global _load_executor
    _load_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="civility-model-load")


os.register_at_fork(after_in_child=_new_load_executor)
_lock = threading.Lock()
_scorers: dict[tuple[str, bool, float | None, int], Any] = {}
_batchers: dict[tuple[Any, ...], MicroBatcher] = {}
_recent: OrderedDict[tuple[Any, ...], tuple[float, dict[str, Any]]] = OrderedDict()
_recent_lock = threading.Lock()
_recent_generation = 0  # forget_recent_scores() moves on: scores still on their way are not kept


def route_from() -> float | None:
    """settings.SCORING_ROUTE_FROM as a number, or None for the model's own routing point."""
    raw = str(settings.SCORING_ROUTE_FROM or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        # Held with "scoring unavailable" (and said at start by `civility serve`), rather than
        # scored with a routing point nobody chose.
        raise ScoringUnavailable(
            f"CIVILITY_SCORING_ROUTE_FROM must be a number from 0 to 1, got {raw!r}"
        )
    return value


def _key() -> tuple[str, bool, float | None, int]:
    return (
        str(settings.SCORING_ARTIFACT or ""),
        bool(settings.SCORING_STAGE2),
        route_from(),
        int(settings.ENCODER_THREADS),
    )


def get_scorer() -> Any:
    """The scorer for the configured artifact (loaded once per setting, with a time limit)."""
    key = _key()
    scorer = _scorers.get(key)
    if scorer is not None:
        return scorer
    from civility.scoring import Scorer

    def load() -> Any:
        path, stage2, point, threads = key
        return Scorer.load(path or None, stage2=stage2, route_from=point, encoder_threads=threads)

    with _lock:
        if key not in _scorers:
            future = _load_executor.submit(load)
            try:
                _scorers[key] = future.result(float(settings.SCORING_LOAD_TIMEOUT))
            except FutureTimeout as exc:
                raise ScoringUnavailable("loading the scoring model timed out") from exc
        return _scorers[key]


def as_scored(scorer: Any, result: Any) -> dict[str, Any]:
    """What a comment stores: {"version", "scores", "spans"} (spans per attribute)."""
    return {
        "version": str(getattr(scorer, "version", "")),
        "scores": {k: round(float(v), 4) for k, v in result.scores.items()},
        "spans": [
            {
                "start": int(s.start),
                "end": int(s.end),
                "attribute": s.attribute,
                "score": round(float(s.score), 4),
            }
            for s in result.spans
        ],
    }


def get_batcher() -> MicroBatcher:
    """The process's micro-batcher for the configured scorer (results are Scorer results)."""
    key = (*_key(), int(settings.BATCH_MAX), float(settings.BATCH_WAIT_MS))
    batcher = _batchers.get(key)
    if batcher is None:
        with _lock:
            batcher = _batchers.get(key)
            if batcher is None:
                scorer_key = key[:4]

                def score_batch(texts: list[str]) -> list[Any]:
                    with metrics.scoring_batch(len(texts), backlog):
                        scorer = _scorers.get(scorer_key) or get_scorer()
                        return scorer.score(texts)

                batcher = MicroBatcher(
                    score_batch,
                    max_batch=int(settings.BATCH_MAX),
                    max_wait_ms=float(settings.BATCH_WAIT_MS),
                    name="civility-scoring",
                    nice=SCORING_NICE,
                    yield_while=_serving_requests,
                    max_yield_s=BACKGROUND_MAX_WAIT_SECONDS,
                )
                _batchers[key] = batcher
    return batcher


def _serving_requests() -> bool:
    return metrics.serving(REQUEST_GAP_SECONDS)


def _recent_key(text: str) -> tuple[Any, ...]:
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    return (*_key(), _recent_generation, digest)


def _recalled(key: tuple[Any, ...]) -> dict[str, Any] | None:
    with _recent_lock:
        found = _recent.get(key)
        if found is None:
            return None
        if time.monotonic() - found[0] > RECENT_SCORES_SECONDS:
            del _recent[key]
            return None
        return copy.deepcopy(found[1])  # callers store it in a comment: never share it


def _remember(key: tuple[Any, ...], scored: dict[str, Any]) -> None:
    with _recent_lock:
        _recent[key] = (time.monotonic(), copy.deepcopy(scored))
        _recent.move_to_end(key)
        while len(_recent) > RECENT_SCORES_MAX:
            _recent.popitem(last=False)


def forget_recent_scores() -> None:
    """Drop the scores kept for reuse, and those of texts submitted before now that are still
    being scored (tests start from none)."""
    global _recent_generation
    with _recent_lock:
        _recent.clear()
        _recent_generation += 1


def submit(text: str, background: bool = False) -> Future[dict[str, Any]]:
    """A future of `as_scored` for ``text``, scored in the next batch, or done at once when the
    same text was scored in this process within RECENT_SCORES_SECONDS (the nudge's draft).
    ``background``: nobody waits for it (a comment stored held until it comes), so it is scored
    in the gaps between this process's requests (at most BACKGROUND_MAX_WAIT_SECONDS later)."""
    scorer = get_scorer()  # loads (or fails) here, in the caller, with the load time limit
    outer: Future[dict[str, Any]] = Future()
    key = _recent_key(text)
    recalled = _recalled(key)
    if recalled is not None:
        outer.set_result(recalled)
        return outer
    inner = get_batcher().submit(text, background)

    def done(f: Future[Any]) -> None:
        try:
            scored = as_scored(scorer, f.result())
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits
            with contextlib.suppress(InvalidStateError):  # cancelled: nobody to tell
                outer.set_exception(exc)
        else:
            _remember(key, scored)  # even if the waiter gave up: the post may follow
            with contextlib.suppress(InvalidStateError):  # cancelled: nobody to tell
                outer.set_result(scored)

    inner.add_done_callback(done)
    return outer


def score_text(text: str, budget: float | None = None) -> dict[str, Any]:
    """`as_scored` for ``text``, waiting at most ``budget`` seconds (settings.SCORING_TIMEOUT).

    Raises ScoringUnavailable past the budget: the time limit bounds the request, not only the
    model's own run."""
    limit = float(settings.SCORING_TIMEOUT) if budget is None else budget
    future = submit(text)
    try:
        with metrics.slots.waiting():  # the batcher's thread scores it
            return future.result(limit)
    except FutureTimeout as exc:
        future.cancel()
        metrics.SCORING_FAILURES.labels("timeout").inc()
        raise ScoringUnavailable(f"scoring took longer than {limit:g} s") from exc


def post_wait() -> float:
    """Seconds a new comment may wait for its score now (asked before its text is submitted).

    While requests queue for this process's slots, or the server as a whole has more requests
    in flight than all its workers' slots (a burst; a worker holding few of the keep-alive
    connections sees no queue of its own while the others' burst holds the cores): 0, the
    comment is stored held and decided when its score arrives,
    and the post is answered at once: scoring a text costs more CPU than the rest of a post, so
    waiting for it would answer a burst at the model's pace and take the cores the queued
    requests need. Otherwise, alone in the batcher: SCORING_TIMEOUT, as long as any scoring may
    take; with texts queued or being scored: POST_WAIT_SECONDS, if everything queued will be
    scored within that at the batcher's recent pace, else 0."""
    slots = metrics.slots.size
    if (
        metrics.requests_in_flight() > slots
        or metrics.server_requests_in_flight() > slots * metrics.server_workers()
    ):
        return 0.0
    batcher = get_batcher()
    timeout = float(settings.SCORING_TIMEOUT)
    if batcher.unscored == 0:
        return timeout
    limit = min(POST_WAIT_SECONDS, timeout)
    return limit if batcher.queue_wait() <= limit else 0.0


def backlog() -> int:
    """Texts waiting for a batch in this process."""
    batcher = _batchers.get((*_key(), int(settings.BATCH_MAX), float(settings.BATCH_WAIT_MS)))
    return 0 if batcher is None else batcher.backlog


def model_loaded() -> bool:
    """Whether this process has the configured model in memory (for /readyz; loads nothing)."""
    try:
        return _key() in _scorers
    except ScoringUnavailable:
        return False
