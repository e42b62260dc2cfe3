"""The post path's shortcuts keep its behaviour: a post right after the "are you sure?" nudge
reuses the nudge's score (scored once, decided on the request even when the model is busy)."""

from __future__ import annotations

from civility.comments.models import Comment


def test_a_post_after_the_nudge_reuses_its_score(story, reader, scorer, settings) -> None:
    _, alice = reader
    text = "  Thanks, this explains the bus lane plan well.  "
    checked = alice.post(f"/stories/{story.pk}/comments/check", {"body": text})
    assert checked.status_code == 200 and checked.json_body["action"] == "approve"

    settings.SCORING_TIMEOUT = 0  # no time to score now: only the kept score can decide it
    posted = alice.post(f"/stories/{story.pk}/comments", {"body": text})
    assert posted.status_code == 201, posted.json_body
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.APPROVED and comment.scores["version"]
    assert comment.body == text.strip()

    # A text the nudge never saw waits for its own score: held, never published unscored.
    other = alice.post(f"/stories/{story.pk}/comments", {"body": "Trams would serve us better."})
    assert other.status_code == 201
    assert other.json_body["comment"]["status"] == "pending"
    assert Comment.objects.get(pk=other.json_body["comment"]["id"]).scores == {}


def test_a_post_reads_the_sites_rules_bans_and_webhooks_with_its_story(
    story, site, reader, other_reader, scorer, django_assert_max_num_queries
) -> None:
    """Word rules, the author's ban and the site's active webhooks come with the story's row;
    each change shows on the next post."""
    from datetime import timedelta

    from django.utils import timezone

    from civility.moderation.models import SiteBan, WordRule
    from civility.webhooks.models import WebhookDelivery, WebhookEndpoint

    alice_user, alice = reader
    bob_user, bob = other_reader
    path = f"/stories/{story.pk}/comments"
    assert alice.post(path, {"body": "The lanes look fine to me."}).status_code == 201

    WordRule.objects.create(site=site, phrase="bus hater", action="reject")
    refused = alice.post(path, {"body": "Only a bus hater would say that."})
    assert refused.status_code == 201
    assert refused.json_body["comment"]["status"] == "rejected"
    assert refused.json_body["comment"]["statement"]["ground"] == "banned_word"

    # Bob's ban: alice still posts; bob is refused until it ends.
    ban = SiteBan.objects.create(site=site, user=bob_user, reason="Spam", until=None)
    banned = bob.post(path, {"body": "Hello again."})
    assert banned.status_code == 403 and banned.json_body["error"]["code"] == "banned"
    assert alice.post(path, {"body": "Good to see the council act."}).status_code == 201
    ban.until = timezone.now() + timedelta(hours=1)
    ban.save()
    suspended = bob.post(path, {"body": "Hello again."})
    assert suspended.status_code == 403 and suspended.json_body["error"]["code"] == "suspended"
    ban.until = timezone.now() - timedelta(minutes=1)
    ban.save()
    assert bob.post(path, {"body": "Back after my break."}).status_code == 201

    # An inactive endpoint gets nothing; an active one gets the next post.
    hook = WebhookEndpoint.objects.create(site=site, url="https://hooks.example/c", active=False)
    assert alice.post(path, {"body": "One more thought on the lanes."}).status_code == 201
    assert not WebhookDelivery.objects.exists()
    hook.active = True
    hook.save()
    with django_assert_max_num_queries(12):
        assert alice.post(path, {"body": "And a last one."}).status_code == 201
    assert WebhookDelivery.objects.filter(endpoint=hook, event_type="comment.created").count() == 1


def test_a_post_reads_the_authors_same_comments_with_its_story(
    story, reader, other_reader, scorer
) -> None:
    """The duplicate check's rows (the author's comments on the story with the same body) come
    with the story's row: a repeat is refused, another author's or a deleted or day-old one is
    not; a post reads twice (its author; its story with all it checks) and writes twice."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from civility.comments import actions

    alice_user, alice = reader
    _, bob = other_reader
    path = f"/stories/{story.pk}/comments"
    text = "The new timetable helps night workers."
    first = alice.post(path, {"body": text})
    assert first.status_code == 201
    again = alice.post(path, {"body": f"  {text} "})  # the same once trimmed
    assert again.status_code == 409 and again.json_body["error"]["code"] == "duplicate"
    assert bob.post(path, {"body": text}).status_code == 201  # another author may say it

    earlier = Comment.objects.get(pk=first.json_body["comment"]["id"])
    actions.delete_comment(comment=earlier, user=alice_user)
    assert alice.post(path, {"body": text}).status_code == 201  # the first one is deleted
    Comment.objects.filter(author=alice_user).update(created_at=timezone.now() - timedelta(days=2))
    with CaptureQueriesContext(connection) as ctx:
        assert alice.post(path, {"body": text}).status_code == 201  # a day old: allowed
    control = ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK")
    statements = [q["sql"].split()[0] for q in ctx.captured_queries]
    assert [s for s in statements if s not in control] == ["SELECT", "SELECT", "INSERT", "INSERT"]
    assert alice.post(path, {"body": text}).status_code == 409
