"""Moderator actions: validation, writes, audit entries, events and permissions."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from civility import events
from civility.comments.models import Comment, Report
from civility.errors import Refused
from civility.moderation import actions
from civility.moderation.bans import standing
from civility.moderation.models import AuditEntry, SiteBan, UserNote

pytestmark = pytest.mark.django_db


def audit(action, **filters):
    return list(AuditEntry.objects.filter(action=action, **filters))


def drain(listener):
    out = []
    while (event := listener.get(timeout=0.01)) is not None:
        out.append(event)
    return out


def test_approve_publishes_audits_and_emits(moderator, pending, django_capture_on_commit_callbacks):
    story_q = events.listen([f"story:{pending.story_id}"])
    queue_q = events.listen([f"site:{pending.story.site_id}:queue"])
    try:
        with django_capture_on_commit_callbacks(execute=True):
            actions.approve(moderator, pending.pk, expected_status="pending")
        pending.refresh_from_db()
        assert pending.status == "approved"
        [entry] = audit("comment.approved", comment=pending)
        assert (entry.actor, entry.before, entry.after) == (moderator, "pending", "approved")
        [story_event] = drain(story_q)
        assert story_event["type"] == "comment.approved"
        assert story_event["comment"]["id"] == pending.pk
        [queue_event] = drain(queue_q)
        assert queue_event["comment_id"] == pending.pk and queue_event["status"] == "approved"
        assert queue_event["actor"] == "mod_a"
    finally:
        story_q.close()
        queue_q.close()


def test_reject_needs_reason_and_shows_it_to_author(moderator, make_comment):
    published = make_comment("nasty", status="approved", featured=True)
    with pytest.raises(Refused) as exc:
        actions.reject(moderator, published.pk, "  ")
    assert exc.value.code == "reason_required" and exc.value.status == 400
    assert Comment.objects.get(pk=published.pk).status == "approved"
    assert not AuditEntry.objects.filter(comment=published).exists()

    actions.reject(moderator, published.pk, "Personal attack")
    published.refresh_from_db()
    assert (published.status, published.rejection_reason) == ("rejected", "Personal attack")
    assert published.featured is False
    [entry] = audit("comment.rejected", comment=published)
    assert (entry.before, entry.after, entry.reason) == ("approved", "rejected", "Personal attack")


def test_second_moderator_gets_already_handled_by_first(moderator, moderator2, pending):
    actions.approve(moderator, pending.pk, expected_status="pending")
    with pytest.raises(Refused) as exc:
        actions.reject(moderator2, pending.pk, "spam", expected_status="pending")
    assert exc.value.status == 409
    assert "already handled by mod_a" in exc.value.message.lower()
    with pytest.raises(Refused) as exc:
        actions.approve(moderator2, pending.pk)
    assert "mod_a" in exc.value.message
    assert len(audit("comment.approved", comment=pending)) == 1
    assert audit("comment.rejected", comment=pending) == []


def test_unmoderated_comment_can_be_confirmed_once(moderator, moderator2, make_comment):
    auto = make_comment("fine", status="approved")
    actions.approve(moderator, auto.pk, expected_status="approved")
    with pytest.raises(Refused):
        actions.approve(moderator2, auto.pk, expected_status="approved")
    assert len(audit("comment.approved", comment=auto)) == 1


def test_deleted_comment_cannot_be_moderated(moderator, make_comment):
    gone = make_comment("x", status="deleted")
    with pytest.raises(Refused) as exc:
        actions.approve(moderator, gone.pk)
    assert exc.value.status == 409


def test_feature_and_unfeature(moderator, make_comment, pending):
    published = make_comment("insightful", status="approved")
    with pytest.raises(Refused) as exc:
        actions.feature(moderator, pending.pk)
    assert exc.value.code == "not_published"
    actions.feature(moderator, published.pk)
    assert Comment.objects.get(pk=published.pk).featured
    with pytest.raises(Refused):
        actions.feature(moderator, published.pk)
    actions.unfeature(moderator, published.pk)
    assert not Comment.objects.get(pk=published.pk).featured
    assert [e.action for e in AuditEntry.objects.filter(comment=published)] == [
        "comment.unfeatured",
        "comment.featured",
    ]


def test_ban_blocks_posting_and_unban_lifts_it(moderator, commenter, pending, site, story):
    from civility.moderation.pipeline import Submission, decide

    user = actions.ban_user(moderator, site, commenter.pk, "Repeated abuse")
    assert standing(site, user) == {
        "banned": True,
        "reason": "Repeated abuse",
        "suspended_until": None,
    }
    with pytest.raises(Refused) as exc:
        decide(Submission(site=site, story=story, author=user, body="hello again"))
    assert exc.value.code == "banned" and exc.value.status == 403
    with pytest.raises(Refused) as exc:
        actions.ban_user(moderator, site, commenter.pk, "again")
    assert exc.value.status == 409 and "mod_a" in exc.value.message
    actions.unban_user(moderator, site, commenter.pk)
    assert standing(site, commenter)["banned"] is False
    assert [
        e.action
        for e in AuditEntry.objects.filter(target_user=commenter, action__startswith="user.")
    ] == ["user.unbanned", "user.banned"]
    # The ban also rejected the comment that was waiting for review; unbanning does not undo it.
    pending.refresh_from_db()
    assert pending.status == "rejected"


def test_suspend_for_a_period(moderator, commenter, pending, site):
    with pytest.raises(Refused) as exc:
        actions.suspend_user(moderator, site, commenter.pk, 0, "cool off")
    assert exc.value.code == "bad_period"
    with pytest.raises(Refused):
        actions.suspend_user(moderator, site, commenter.pk, "soon", "cool off")
    user = actions.suspend_user(moderator, site, commenter.pk, 24, "cool off")
    until = standing(site, user)["suspended_until"]
    hours = (until - timezone.now()).total_seconds() / 3600
    assert 23 < hours <= 24
    [entry] = audit("user.suspended", target_user=commenter)
    assert entry.data["hours"] == 24 and entry.reason == "cool off"


def test_staff_and_self_cannot_be_banned(moderator, moderator2, site, make_comment):
    make_comment("staff comment", author=moderator2)
    with pytest.raises(Refused) as exc:
        actions.ban_user(moderator, site, moderator2.pk, "nope")
    assert exc.value.status == 403
    with pytest.raises(Refused):
        actions.ban_user(moderator, site, moderator.pk, "nope")


def test_moderator_cannot_ban_commenter_of_another_site(other_moderator, commenter, pending):
    with pytest.raises(Refused) as exc:
        actions.ban_user(other_moderator, other_moderator.memberships.get().site, commenter.pk, "x")
    assert exc.value.status == 404
    assert not SiteBan.objects.exists()


def test_a_ban_on_one_site_leaves_the_user_free_on_another(
    moderator, commenter, pending, site, story, make_comment
):
    from civility.comments.models import Site, Story
    from civility.moderation.pipeline import Submission, decide

    elsewhere = Site.objects.create(name="Other", slug="other-paper", premoderation="none")
    other_story = Story.objects.create(site=elsewhere, url="https://other.example/a", title="A")
    actions.ban_user(moderator, site, commenter.pk, "Abuse on our site")
    with pytest.raises(Refused):
        decide(Submission(site=site, story=story, author=commenter, body="still here"))
    decision = decide(
        Submission(site=elsewhere, story=other_story, author=commenter, body="hello there")
    )
    assert decision.action == "approve"
    assert standing(elsewhere, commenter)["banned"] is False


def test_remove_reports(moderator, make_comment, make_user):
    published = make_comment("reported", status="approved", report_count=2)
    for name in ("r1", "r2"):
        Report.objects.create(comment=published, reporter=make_user(name), reason="abusive")
    assert actions.remove_reports(moderator, published.pk) == 2
    assert not Report.objects.filter(comment=published, resolved=False).exists()
    with pytest.raises(Refused) as exc:
        actions.remove_reports(moderator, published.pk)
    assert exc.value.status == 409 and "mod_a" in exc.value.message


def test_user_note(moderator, commenter, pending, site):
    with pytest.raises(Refused):
        actions.add_user_note(moderator, site, commenter.pk, "   ")
    actions.add_user_note(moderator, site, commenter.pk, "Warned by email on Monday")
    [note] = UserNote.objects.filter(user=commenter)
    assert (note.author, note.text) == (moderator, "Warned by email on Monday")
    assert audit("user.note", target_user=commenter)[0].reason == "Warned by email on Monday"


def test_close_and_open_story(moderator, story, commenter, site):
    from civility.moderation.pipeline import Submission, decide

    actions.close_story(moderator, story.pk)
    story.refresh_from_db()
    assert story.closed
    with pytest.raises(Refused) as exc:
        decide(Submission(site=site, story=story, author=commenter, body="hi"))
    assert exc.value.code == "story_closed"
    with pytest.raises(Refused):
        actions.close_story(moderator, story.pk)
    actions.open_story(moderator, story.pk)
    story.refresh_from_db()
    assert not story.closed
    assert [e.action for e in AuditEntry.objects.filter(site=site)] == [
        "story.opened",
        "story.closed",
    ]


def test_bulk_approve_and_reject(moderator, moderator2, make_comment):
    a, b, c = (make_comment(f"c{i}") for i in range(3))
    actions.approve(moderator2, b.pk)
    results = actions.bulk_approve(moderator, [a.pk, b.pk])
    assert results[a.pk]["ok"] is True
    assert results[b.pk]["ok"] is False and "mod_a2" in results[b.pk]["message"]
    results = actions.bulk_reject(moderator, [c.pk], "off topic")
    assert Comment.objects.get(pk=c.pk).rejection_reason == "off topic"
    with pytest.raises(Refused):
        actions.bulk_reject(moderator, [], "x")
    with pytest.raises(Refused):
        actions.bulk_reject(moderator, ["x"], "x")


def test_bulk_with_a_foreign_comment_changes_nothing(moderator, make_comment, other_story):
    mine = make_comment("mine")
    theirs = make_comment("theirs", story=other_story)
    with pytest.raises(Refused) as exc:
        actions.bulk_approve(moderator, [mine.pk, theirs.pk])
    assert exc.value.status == 403
    assert Comment.objects.get(pk=mine.pk).status == "pending"
    assert Comment.objects.get(pk=theirs.pk).status == "pending"


@pytest.mark.parametrize("who", ["anonymous", "commenter", "other_moderator"])
def test_actions_refuse_outsiders(who, request, pending, site, commenter, story):
    from django.contrib.auth.models import AnonymousUser

    actor = AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)
    calls = [
        lambda: actions.approve(actor, pending.pk),
        lambda: actions.reject(actor, pending.pk, "x"),
        lambda: actions.feature(actor, pending.pk),
        lambda: actions.remove_reports(actor, pending.pk),
        lambda: actions.ban_user(actor, site, commenter.pk, "x"),
        lambda: actions.suspend_user(actor, site, commenter.pk, 2, "x"),
        lambda: actions.unban_user(actor, site, commenter.pk),
        lambda: actions.add_user_note(actor, site, commenter.pk, "x"),
        lambda: actions.close_story(actor, story.pk),
        lambda: actions.bulk_approve(actor, [pending.pk]),
    ]
    for call in calls:
        with pytest.raises(Refused) as exc:
            call()
        assert exc.value.status == 403
    assert Comment.objects.get(pk=pending.pk).status == "pending"
    assert not AuditEntry.objects.exists()


# --- concurrency: real threads, real connections, on whichever database the run uses ----------


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = ("ok", call())
        except Refused as exc:
            results[i] = ("refused", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("second", ["approve", "reject"])
def test_two_simultaneous_decisions_leave_one_audit_entry(moderator, moderator2, pending, second):
    def second_call():
        if second == "approve":
            return actions.approve(moderator2, pending.pk, expected_status="pending")
        return actions.reject(moderator2, pending.pk, "spam", expected_status="pending")

    results = _race(
        lambda: actions.approve(moderator, pending.pk, expected_status="pending"), second_call
    )
    outcomes = sorted(r[0] for r in results)
    assert outcomes == ["ok", "refused"], results
    refused = next(r[1] for r in results if r[0] == "refused")
    assert refused.status == 409 and "already handled by" in refused.message.lower()
    entries = AuditEntry.objects.filter(comment=pending, action__in=actions.DECISIONS)
    assert entries.count() == 1
    pending.refresh_from_db()
    assert pending.status == entries.get().after
    winner = next(r[1] for r in results if r[0] == "ok")
    assert entries.get().actor_id in {moderator.pk, moderator2.pk}
    assert winner.status == pending.status


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_bans_leave_one_ban_and_one_audit_entry(
    moderator, moderator2, commenter, pending, site
):
    results = _race(
        lambda: actions.ban_user(moderator, site, commenter.pk, "abuse"),
        lambda: actions.ban_user(moderator2, site, commenter.pk, "abuse too"),
    )
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    refused = next(r[1] for r in results if r[0] == "refused")
    assert refused.status == 409 and "already" in refused.message.lower()
    assert SiteBan.objects.filter(site=site, user=commenter).count() == 1
    assert AuditEntry.objects.filter(target_user=commenter, action="user.banned").count() == 1


def test_ban_rejects_the_authors_pending_comments_on_this_site_only(
    moderator, commenter, make_comment, site, other_story
):
    held = [make_comment("held one"), make_comment("held two")]
    published = make_comment("fine", status="approved")
    elsewhere = make_comment("held on the other site", story=other_story)

    actions.ban_user(moderator, site, commenter.pk, "Spam campaign")

    for c in held:
        c.refresh_from_db()
        assert c.status == "rejected"
        assert c.rejection_reason == "The author was banned: Spam campaign"
        (entry,) = audit("comment.rejected", comment=c)
        assert entry.actor == moderator and entry.before == "pending"
    published.refresh_from_db()
    elsewhere.refresh_from_db()
    assert published.status == "approved"  # published comments are a separate decision
    assert elsewhere.status == "pending"  # another site's queue is not this moderator's


def test_ban_or_suspend_can_leave_pending_comments_in_the_queue(
    moderator, commenter, make_comment, site, make_user
):
    kept = make_comment("keep me in the queue")
    actions.ban_user(moderator, site, commenter.pk, "Spam", reject_pending=False)
    kept.refresh_from_db()
    assert kept.status == "pending"

    other = make_user("another-reader")
    theirs = make_comment("held", author=other)
    actions.suspend_user(moderator, site, other.pk, 24, "Cool off")
    theirs.refresh_from_db()
    assert theirs.status == "rejected"
    assert theirs.rejection_reason == "The author was suspended: Cool off"
