"""Duplicate detection: the same body by the same reader on the same story within 24 h is
refused; deleted comments, other stories, other readers and one's own edit are not duplicates.
The check probes an indexed body digest, so these also guard that the digest follows edits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from civility.comments.models import Comment, body_digest

pytestmark = pytest.mark.django_db


def _post(api, story, body):
    return api.post(f"/stories/{story.pk}/comments", {"body": body})


def test_same_body_again_is_refused_even_with_other_spacing(story, reader):
    _, alice = reader
    assert _post(alice, story, "The numbers do not add up.").status_code == 201
    r = _post(alice, story, "   The numbers do not add up.\n")
    assert r.status_code == 409 and r.json_body["error"]["code"] == "duplicate"
    assert Comment.objects.count() == 1


def test_other_story_other_reader_and_old_or_deleted_comments_are_not_duplicates(
    site, story, reader, other_reader
):
    from civility.comments.models import Story

    (alice_user, alice), (_, bob) = reader, other_reader
    site.rate_limit_per_minute = 100
    site.save()
    other = Story.objects.create(site=site, url="https://news.example/other", title="Other")
    assert _post(alice, story, "Same words").status_code == 201
    assert _post(alice, other, "Same words").status_code == 201
    assert _post(bob, story, "Same words").status_code == 201

    # Older than 24 hours: fine to say again.
    Comment.objects.filter(author=alice_user, story=story).update(
        created_at=Comment.objects.get(author=alice_user, story=story).created_at
        - timedelta(hours=25)
    )
    assert _post(alice, story, "Same words").status_code == 201

    # Deleted by its author: fine to post again.
    first = _post(alice, story, "Deleted then reposted").json_body["comment"]["id"]
    assert alice.delete(f"/comments/{first}").status_code in {200, 204}
    assert _post(alice, story, "Deleted then reposted").status_code == 201


def test_the_digest_follows_edits(story, reader):
    _, alice = reader
    cid = _post(alice, story, "First wording").json_body["comment"]["id"]
    # Saving one's own comment unchanged is not a duplicate of itself.
    assert alice.patch(f"/comments/{cid}", {"body": "First wording"}).status_code == 200
    assert alice.patch(f"/comments/{cid}", {"body": "Second wording"}).status_code == 200
    comment = Comment.objects.get(pk=cid)
    assert comment.body_digest == body_digest("Second wording")
    # The old wording is free again; the new one is taken.
    assert _post(alice, story, "First wording").status_code == 201
    assert _post(alice, story, "Second wording").status_code == 409


@pytest.mark.django_db(transaction=True)
def test_migration_fills_digests_of_existing_comments(django_db_blocker):
    """Comments stored before 0002 get their digest, so old comments count as duplicates too."""
    executor = MigrationExecutor(connection)
    executor.migrate([("comments", "0001_initial")])
    apps = executor.loader.project_state([("comments", "0001_initial")]).apps
    Site = apps.get_model("comments", "Site")
    Story = apps.get_model("comments", "Story")
    OldComment = apps.get_model("comments", "Comment")
    User = apps.get_model("accounts", "User")
    user = User.objects.create(username="old-timer")
    site = Site.objects.create(name="Old", slug="old")
    story = Story.objects.create(site=site, url="https://old.example/a")
    OldComment.objects.create(story=story, author=user, body="  Said it in 2025  ", html="")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    (digest,) = Comment.objects.values_list("body_digest", flat=True)
    assert digest == body_digest("Said it in 2025")
