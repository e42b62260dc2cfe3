"""Undo on the desk: every action's answer names the audit entries it wrote, and POST .../undo
takes them back as an action of its own (restores the earlier state, audited as
"<action>.undone"), only for the moderator who acted, within the window, and only while nobody
changed the thing since."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from civility.comments.models import Comment, Report
from civility.moderation import queries
from civility.moderation.models import AuditEntry, SiteBan

pytestmark = pytest.mark.django_db


def client_for(user=None):
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def post(c, url, data=None):
    return c.post(url, json.dumps(data or {}), content_type="application/json")


def api(site):
    return f"/moderate/{site.slug}/api/"


def test_approve_then_undo_restores_pending_and_is_audited(site, moderator, pending):
    c = client_for(moderator)
    resp = post(c, api(site) + f"comments/{pending.pk}/approve")
    assert resp.status_code == 200
    undo_ids = resp.json()["undo"]
    assert len(undo_ids) == 1
    pending.refresh_from_db()
    assert pending.status == "approved"

    resp = post(c, api(site) + "undo", {"undo": undo_ids})
    assert resp.status_code == 200, resp.content
    assert resp.json()["undone"] == 1
    pending.refresh_from_db()
    assert pending.status == "pending"
    entry = AuditEntry.objects.get(action="comment.approved.undone")
    assert (entry.before, entry.after, entry.actor_id) == ("approved", "pending", moderator.pk)
    assert entry.data["undoes"] == undo_ids[0]
    # Back in the pending queue; a second undo of the same action is refused.
    assert pending in queries.queue_queryset(site, "pending")
    again = post(c, api(site) + "undo", {"undo": undo_ids})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_undone"


def test_reject_then_undo_clears_the_reason_and_approve_again_works(site, moderator, pending):
    c = client_for(moderator)
    resp = post(c, api(site) + f"comments/{pending.pk}/reject", {"reason": "Insult"})
    pending.refresh_from_db()
    assert (pending.status, pending.rejection_reason) == ("rejected", "Insult")
    assert post(c, api(site) + "undo", {"undo": resp.json()["undo"]}).status_code == 200
    pending.refresh_from_db()
    assert (pending.status, pending.rejection_reason) == ("pending", "")
    assert post(c, api(site) + f"comments/{pending.pk}/approve").status_code == 200
    pending.refresh_from_db()
    assert pending.status == "approved"


def test_bulk_approve_is_undone_as_a_whole(site, moderator, make_comment):
    held = [make_comment(f"held {i}") for i in range(3)]
    c = client_for(moderator)
    resp = post(c, api(site) + "bulk", {"action": "approve", "ids": [h.pk for h in held]})
    assert resp.status_code == 200
    assert len(resp.json()["undo"]) == 3
    assert Comment.objects.filter(status="approved").count() == 3
    resp = post(c, api(site) + "undo", {"undo": resp.json()["undo"]})
    assert resp.json()["undone"] == 3
    assert Comment.objects.filter(status="pending").count() == 3


def test_undo_refused_once_another_moderator_acted(site, moderator, moderator2, pending):
    mine = post(client_for(moderator), api(site) + f"comments/{pending.pk}/approve").json()["undo"]
    post(client_for(moderator2), api(site) + f"comments/{pending.pk}/reject", {"reason": "Spam"})
    resp = post(client_for(moderator), api(site) + "undo", {"undo": mine})
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "already_handled"
    assert "mod_a2" in resp.json()["error"]["message"]
    pending.refresh_from_db()
    assert pending.status == "rejected"


def test_only_the_moderator_who_acted_may_undo(site, moderator, moderator2, pending):
    mine = post(client_for(moderator), api(site) + f"comments/{pending.pk}/approve").json()["undo"]
    resp = post(client_for(moderator2), api(site) + "undo", {"undo": mine})
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "not_yours"
    pending.refresh_from_db()
    assert pending.status == "approved"


def test_undo_window_closes(site, moderator, pending):
    mine = post(client_for(moderator), api(site) + f"comments/{pending.pk}/approve").json()["undo"]
    AuditEntry.objects.filter(pk__in=mine).update(created_at=timezone.now() - timedelta(minutes=5))
    resp = post(client_for(moderator), api(site) + "undo", {"undo": mine})
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "too_late"


def test_undone_confirmation_puts_a_comment_back_in_unmoderated(site, moderator, make_comment):
    published = make_comment("Fine words", status="approved")
    assert published in queries.queue_queryset(site, "unmoderated")
    c = client_for(moderator)
    mine = post(c, api(site) + f"comments/{published.pk}/approve").json()["undo"]
    assert published not in queries.queue_queryset(site, "unmoderated")
    assert post(c, api(site) + "undo", {"undo": mine}).status_code == 200
    assert published in queries.queue_queryset(site, "unmoderated")
    # The undone confirmation no longer counts: confirming again is allowed.
    assert post(c, api(site) + f"comments/{published.pk}/approve").status_code == 200
    assert published not in queries.queue_queryset(site, "unmoderated")


def test_undo_a_ban_lifts_it_and_returns_the_rejected_comments(
    site, moderator, commenter, make_comment
):
    held = [make_comment(f"held {i}") for i in range(2)]
    c = client_for(moderator)
    resp = post(c, api(site) + f"users/{commenter.pk}/ban", {"reason": "Abuse"})
    assert resp.status_code == 200
    assert len(resp.json()["undo"]) == 3  # the ban and its two rejections
    assert SiteBan.objects.filter(user=commenter).exists()
    assert Comment.objects.filter(pk__in=[h.pk for h in held], status="rejected").count() == 2
    assert post(c, api(site) + "undo", {"undo": resp.json()["undo"]}).json()["undone"] == 3
    assert not SiteBan.objects.filter(user=commenter).exists()
    assert Comment.objects.filter(pk__in=[h.pk for h in held], status="pending").count() == 2
    assert AuditEntry.objects.filter(action="user.banned.undone").count() == 1


def test_undo_a_suspension_over_a_running_one_restores_it(site, moderator, commenter, pending):
    c = client_for(moderator)
    post(c, api(site) + f"users/{commenter.pk}/suspend", {"reason": "Cool off", "hours": 24})
    first_until = SiteBan.objects.get(user=commenter).until
    resp = post(c, api(site) + f"users/{commenter.pk}/ban", {"reason": "Again"})
    assert SiteBan.objects.get(user=commenter).until is None
    assert post(c, api(site) + "undo", {"undo": resp.json()["undo"]}).status_code == 200
    ban = SiteBan.objects.get(user=commenter)
    assert (ban.until, ban.reason) == (first_until, "Cool off")


def test_undo_dismissed_reports_reopens_them(site, moderator, make_comment, make_user):
    published = make_comment("Reported words", status="approved")
    for name in ("r1", "r2"):
        Report.objects.create(comment=published, reporter=make_user(name), reason="spam")
    c = client_for(moderator)
    resp = post(c, api(site) + f"comments/{published.pk}/dismiss")
    assert resp.json()["dismissed"] == 2
    assert published not in queries.queue_queryset(site, "reported")
    assert post(c, api(site) + "undo", {"undo": resp.json()["undo"]}).status_code == 200
    assert Report.objects.filter(comment=published, resolved=False).count() == 2
    assert published in queries.queue_queryset(site, "reported")


def test_undo_feature_and_story_close(site, moderator, story, make_comment):
    published = make_comment("Great reporting", status="approved")
    c = client_for(moderator)
    resp = post(c, api(site) + f"comments/{published.pk}/feature")
    assert post(c, api(site) + "undo", {"undo": resp.json()["undo"]}).status_code == 200
    published.refresh_from_db()
    assert published.featured is False
    resp = post(c, api(site) + f"stories/{story.pk}/close")
    assert post(c, api(site) + "undo", {"undo": resp.json()["undo"]}).status_code == 200
    story.refresh_from_db()
    assert story.closed is False


@pytest.mark.parametrize("who", ["anonymous", "commenter", "other_moderator"])
def test_outsiders_cannot_undo(who, request, site, moderator, pending):
    mine = post(client_for(moderator), api(site) + f"comments/{pending.pk}/approve").json()["undo"]
    user = None if who == "anonymous" else request.getfixturevalue(who)
    resp = post(client_for(user), api(site) + "undo", {"undo": mine})
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] in {"login_required", "forbidden"}
    pending.refresh_from_db()
    assert pending.status == "approved"


@pytest.mark.parametrize(
    "body", [{}, {"undo": "5"}, {"undo": []}, {"undo": ["x"]}, {"undo": [{"a": 1}]}]
)
def test_bad_undo_requests_are_json_400(site, moderator, body):
    resp = post(client_for(moderator), api(site) + "undo", body)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "bad_ids"


def test_undo_of_an_unknown_action_is_404(site, moderator):
    resp = post(client_for(moderator), api(site) + "undo", {"undo": [999999]})
    assert resp.status_code == 404


def test_a_campaign_decision_is_undone_in_one_step(site, moderator, make_user, make_comment):
    members = [
        make_comment("Sign the petition at example.org today!", author=make_user(f"acc{i}"))
        for i in range(3)
    ]
    c = client_for(moderator)
    [card] = c.get(api(site) + "campaigns?queue=pending").json()["campaigns"]
    resp = post(
        c, api(site) + "campaigns", {"ids": card["ids"], "action": "reject", "reason": "Ad"}
    )
    assert resp.status_code == 200
    assert len(resp.json()["undo"]) == 3  # one decision per comment
    assert Comment.objects.filter(pk__in=card["ids"], status="rejected").count() == 3
    assert post(c, api(site) + "undo", {"undo": resp.json()["undo"]}).json()["undone"] == 3
    assert Comment.objects.filter(pk__in=[m.pk for m in members], status="pending").count() == 3
