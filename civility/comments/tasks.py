"""Background tasks about comments: scoring a comment still held for its score.

A post stored held `model_pending` is normally decided within seconds, in the process that
stored it, when the micro-batcher returns its score (comments.actions.apply_late_score). If that
process dies first, nothing in it remembers the comment: the workers' sweep queues a
`score_pending` task for every comment left waiting longer than settings.SCORE_PENDING_AFTER, and
`civility serve` re-submits the waiting ones when it starts, so no comment waits forever and none
is published unscored. The task does nothing for a comment already decided (by its score or by a
moderator). No task is queued per post: that row cost a post 0.3-0.5 ms of CPU (one more INSERT
in a write transaction) for a case the sweep covers anyway (bench/RESULTS-comments.md).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from civility.comments.models import Comment
from civility.tasks.base import backlog, durable, enqueue_on_commit
from civility.verdicts import ReasonCode

log = logging.getLogger(__name__)


@durable(queue="scoring")
def score_pending(comment_id: int) -> str:
    """Score a comment still waiting for its score, and decide it (apply_late_score)."""
    from civility.comments.actions import _awaits_score, apply_late_score
    from civility.moderation import scoring

    fields = ("id", "status", "moderation_reasons", "body")
    comment = Comment.objects.filter(pk=comment_id).only(*fields).first()
    if comment is None or not _awaits_score(comment):
        return "decided already"
    future: Future[dict[str, Any]] = Future()
    budget = max(float(settings.SCORING_TIMEOUT), float(settings.SCORING_LOAD_TIMEOUT))
    try:
        future.set_result(scoring.score_text(comment.body, budget=budget))
    except Exception as exc:  # held for a human with "scoring unavailable", never approved
        future.set_exception(exc)
    decided = apply_late_score(comment_id, future)
    return "decided" if decided is not None else "decided already"


def awaiting_score(older_than: float = 0.0) -> QuerySet[Comment]:
    """Comments held for their score for longer than ``older_than`` seconds, oldest first."""
    cutoff = timezone.now() - timedelta(seconds=older_than)
    return (
        Comment.objects.filter(status=Comment.Status.PENDING, updated_at__lt=cutoff)
        .annotate(reasons_text=Cast("moderation_reasons", TextField()))
        .filter(reasons_text__contains=ReasonCode.SCORING_PENDING)
        .order_by("id")
    )


def waiting_for_score(older_than: float, limit: int = 500) -> list[int]:
    """Ids of comments held for their score for longer than ``older_than`` seconds."""
    return list(awaiting_score(older_than).values_list("id", flat=True)[:limit])


_last_sweep: float | None = None


def sweep_pending_scores(force: bool = False) -> int:
    """Queue `score_pending` for comments left waiting longer than SCORE_PENDING_AFTER (the
    process that stored them died, or lost their score); at most once per that delay."""
    global _last_sweep
    after = float(settings.SCORE_PENDING_AFTER)
    if not force and _last_sweep is not None and time.monotonic() - _last_sweep < after:
        return 0
    if backlog("scoring"):
        return 0  # the workers are behind: what waits in the queue is not lost
    _last_sweep = time.monotonic()
    ids = waiting_for_score(after)
    for pk in ids:
        enqueue_on_commit(score_pending, pk)
    return len(ids)
