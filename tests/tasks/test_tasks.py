"""Background tasks on Django's task API: retries with backoff, parking, idempotent e-mail, the
safety net for comments left waiting for their score, queue depth."""

from __future__ import annotations

import pytest
from django.core import mail

from tests.tasks.helpers import drain

pytestmark = pytest.mark.usefixtures("quick_retries")


def test_a_failing_task_is_retried_with_backoff_then_succeeds(transactional_db):
    from civility.tasks.models import DoneKey, ParkedTask
    from tests.tasks.sample_tasks import flaky

    flaky.enqueue("a", 2)
    drain(lambda: DoneKey.objects.filter(key="a:done").exists())
    assert DoneKey.objects.filter(key__startswith="a:try:").count() == 3
    assert not ParkedTask.objects.exists()


def test_a_task_that_keeps_failing_is_parked_visible_and_can_be_queued_again(
    transactional_db, settings, admin_client
):
    from civility.tasks.admin import requeue
    from civility.tasks.models import DoneKey, ParkedTask
    from tests.tasks.sample_tasks import flaky

    settings.TASK_MAX_ATTEMPTS = 3
    flaky.enqueue("b", 5)
    drain(lambda: ParkedTask.objects.exists())
    parked = ParkedTask.objects.get()
    assert parked.task_path == "tests.tasks.sample_tasks.flaky"
    assert parked.args == ["b", 5] and parked.attempts == 3
    assert "failure 3 of 5" in parked.error and "RuntimeError" in parked.traceback
    page = admin_client.get("/admin/civility_tasks/parkedtask/")
    assert page.status_code == 200 and b"tests.tasks.sample_tasks.flaky" in page.content

    requeue(parked)  # a fresh count of tries: 4 and 5 fail, the 6th succeeds
    drain(lambda: DoneKey.objects.filter(key="b:done").exists())
    parked.refresh_from_db()
    assert parked.requeued_at is not None


def test_send_mail_is_idempotent_by_key(transactional_db):
    from civility.tasks.mail import send_mail

    send_mail.enqueue("reply:1", ["a@example.org"], "A reply", "Someone answered you.")
    send_mail.enqueue("reply:1", ["a@example.org"], "A reply", "Someone answered you.")
    send_mail.enqueue("reply:2", ["b@example.org"], "A reply", "Someone answered you.")
    drain()
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.org", "b@example.org"]


def _left_waiting(story, make_reader) -> tuple:
    """Two comments stored held for their score by a process that then died (its in-memory
    future is gone): what the sweep and `civility serve`'s start must find and decide."""
    from civility.comments.actions import store_comment
    from civility.verdicts import HOLD, ReasonCode, Vote

    waiting = Vote(HOLD, ReasonCode.SCORING_PENDING, "waiting for the model's score")
    fine = store_comment(
        story=story,
        author=make_reader(),
        body="Thanks for the careful reporting.",
        status="pending",
        reasons=[waiting.as_reason()],
    )
    nasty = store_comment(
        story=story,
        author=make_reader(),
        body="You are a worthless idiot and everyone hates you.",
        status="pending",
        reasons=[waiting.as_reason()],
    )
    return fine, nasty


def _assert_decided_by_their_scores(fine, nasty) -> None:
    from civility.comments.models import Comment
    from civility.comments.tasks import waiting_for_score
    from civility.verdicts import ReasonCode

    fine.refresh_from_db()
    nasty.refresh_from_db()
    assert fine.status == Comment.Status.APPROVED and fine.scores["version"]
    assert nasty.status == Comment.Status.PENDING and nasty.scores["version"]  # never published
    assert ReasonCode.SCORING_PENDING not in {r["code"] for r in nasty.moderation_reasons}
    assert waiting_for_score(0) == []


def test_a_comment_left_waiting_for_its_score_is_scored_by_the_sweep(
    story, make_reader, scorer, settings
):
    from civility.comments.tasks import sweep_pending_scores, waiting_for_score
    from civility.tasks.base import queue_depth

    fine, nasty = _left_waiting(story, make_reader)
    assert set(waiting_for_score(0)) == {fine.pk, nasty.pk}
    assert queue_depth()["scoring"] == 0  # nothing is queued per comment: the sweep finds them
    assert sweep_pending_scores(force=True) == 0  # not waiting SCORE_PENDING_AFTER yet
    settings.SCORE_PENDING_AFTER = 0
    assert sweep_pending_scores(force=True) == 2
    drain()
    _assert_decided_by_their_scores(fine, nasty)


def test_a_post_deferred_in_a_burst_queues_no_task_and_is_never_published_unscored(
    story, make_reader, scorer, settings
):
    from civility.comments.actions import post_comment
    from civility.comments.tasks import waiting_for_score
    from civility.tasks.base import queue_depth

    settings.SCORING_TIMEOUT = 0  # the score is never back in time: the post is deferred
    comment = post_comment(story=story, author=make_reader(), body="A fair point about buses.")
    assert comment.status == "pending"
    assert [r["code"] for r in comment.moderation_reasons] == ["model_pending"]
    # No task row for it (the sweep covers a process that dies before the score arrives) ...
    assert queue_depth()["scoring"] == 0
    # ... and this process decides it when the score arrives, as before.
    drain(lambda: not waiting_for_score(0))
    comment.refresh_from_db()
    assert comment.status == "approved" and comment.scores["version"]


def test_a_restarted_server_resubmits_the_comments_left_waiting(story, make_reader, scorer):
    from civility.comments.actions import resume_pending_scores
    from civility.comments.tasks import waiting_for_score

    fine, nasty = _left_waiting(story, make_reader)
    assert resume_pending_scores() == 2
    drain(lambda: not waiting_for_score(0))  # decided in this process, as their scores arrive
    _assert_decided_by_their_scores(fine, nasty)


def test_queue_depth_counts_waiting_tasks_per_queue(transactional_db):
    from civility.tasks.base import queue_depth
    from civility.tasks.mail import send_mail
    from tests.tasks.sample_tasks import flaky

    flaky.enqueue("c", 0)
    send_mail.enqueue("depth:1", ["a@example.org"], "One", "Body.")
    send_mail.enqueue("depth:2", ["b@example.org"], "Two", "Body.")
    depth = queue_depth()
    assert depth["default"] == 1 and depth["mail"] == 2 and depth["webhooks"] == 0
    drain()
    assert sum(queue_depth().values()) == 0
