"""`civility rescore`: old and new scores with both model versions on each comment, the published
comments the new model would hold listed for moderators, and no comment changed."""

from __future__ import annotations

import pytest

from tests.tasks.helpers import drain


@pytest.fixture
def comments(story, make_reader):
    from civility.comments.actions import store_comment

    author = make_reader()
    old = {"version": "civility-own-1.0", "scores": {"TOXICITY": 0.01}, "spans": []}
    made = {}
    for key, body, status in [
        ("fine", "Thank you for this thoughtful piece of reporting.", "approved"),
        ("nasty", "You are a worthless idiot and everyone hates you.", "approved"),
        ("held", "You are a worthless idiot and everyone hates you, again.", "pending"),
        ("german", "Das ist ein guter Artikel.", "approved"),
    ]:
        scores = dict(old)
        if key == "german":
            scores = {"version": "", "scores": {}, "spans": [], "unscored": "language"}
        made[key] = store_comment(
            story=story, author=author, body=body, status=status, scores=scores
        )
    return made


def test_rescore_records_scores_and_lists_what_the_new_model_would_hold(
    comments, site, admin, client, capsys, scorer
):
    from civility.comments.models import Comment
    from civility.moderation import rescore
    from civility.moderation.models import CommentRescore

    before = {c.pk: (c.status, c.scores) for c in Comment.objects.all()}
    run = rescore.start(site=site, requested_by="test")
    assert run.total == 3  # the German comment was never scored: nor is it now
    drain()
    rows = {r.comment_id: r for r in CommentRescore.objects.filter(run=run)}
    for key in ("fine", "nasty", "held"):
        row = rows[comments[key].pk]
        assert row.old_version == "civility-own-1.0" and row.old_scores == {"TOXICITY": 0.01}
        assert row.new_version == run.model_version == scorer.version
        assert row.new_scores["TOXICITY"] >= 0 and row.scored_at is not None
    assert rows[comments["nasty"].pk].would_hold and not rows[comments["fine"].pk].would_hold
    # Only published comments are listed: the held one is already in front of a human.
    assert [r.comment_id for r in rescore.would_hold(run)] == [comments["nasty"].pk]
    # Nothing changed.
    assert {c.pk: (c.status, c.scores) for c in Comment.objects.all()} == before

    client.force_login(admin)
    page = client.get(f"/moderate/{site.slug}/rescore/")
    assert page.status_code == 200
    assert b"worthless idiot" in page.content and b"thoughtful" not in page.content

    from civility.moderation.rescore import rescore_main

    assert rescore_main(["--site", site.slug, "--list"]) == 0
    out = capsys.readouterr().out
    assert "3 of 3 comments scored" in out and f"comment {comments['nasty'].pk}" in out


def test_rescore_tasks_are_idempotent_and_since_limits_the_run(comments, site, scorer):
    from datetime import timedelta

    from django.utils import timezone

    from civility.comments.models import Comment
    from civility.moderation import rescore
    from civility.moderation.models import CommentRescore

    Comment.objects.filter(pk=comments["fine"].pk).update(
        created_at=timezone.now() - timedelta(days=10)
    )
    run = rescore.start(site=site, since=timezone.now() - timedelta(days=1))
    assert run.total == 2
    ids = list(CommentRescore.objects.filter(run=run).values_list("id", flat=True))
    rescore.rescore_batch.enqueue(ids)  # the same batch twice (a sweep raced the first)
    drain()
    assert CommentRescore.objects.filter(run=run, scored_at__isnull=False).count() == 2
    assert rescore.rescore_batch.call(ids) == 0  # nothing left to do
